/* SPDX-License-Identifier: MIT */
/*
 * core/policy.c: classification, the policy x class table, systemd's
 * backoff formula, the reset after a long run, the burst window and
 * prevent_exit_codes. Time is virtual: every instant is a literal.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/policy.h"

/* A config with no backoff and no limit; tests change what they need. */
static sw_restart_cfg_t base_cfg(sw_restart_policy_t policy) {
  sw_restart_cfg_t c;

  memset(&c, 0, sizeof(c));
  c.policy = policy;
  c.delay_ms = 100;
  c.max_delay_ms = 100;
  c.steps = 0;
  c.reset_after_ms = 0;
  c.burst = 0;
  c.interval_ms = 0;
  c.success_codes[0] = 0;
  c.n_success = 1;
  c.on_give_up = SW_GIVE_UP_FAIL;
  return c;
}

static sw_exit_t exit_at(uint64_t started, uint64_t at, uint32_t code,
                         int sig) {
  sw_exit_t e;

  memset(&e, 0, sizeof(e));
  e.started_ms = started;
  e.at_ms = at;
  e.code = code;
  e.signal = sig;
  return e;
}

/* One exit of each class. */
static sw_exit_t exit_of_class(sw_exit_class_t cls) {
  sw_exit_t e = exit_at(0, 10, 0, 0);

  switch (cls) {
  case SW_CLASS_CLEAN_STOP:
    e.code = 1;
    e.stop_requested = true;
    break;
  case SW_CLASS_SUCCESS:
    e.code = 0;
    break;
  case SW_CLASS_FAILURE:
    e.code = 1;
    break;
  case SW_CLASS_ABNORMAL:
    e.code = 0xC0000005u;
    break;
  case SW_CLASS_WATCHDOG:
  case SW_CLASS_UNHEALTHY:
  case SW_CLASS_TIMEOUT:
    e.code = 0; /* a health stop's class does not depend on the code */
    e.health_stop = true;
    e.health_cls = cls;
    break;
  }
  return e;
}

#define R SW_DECIDE_RESTART
#define S SW_DECIDE_STOP
#define F SW_DECIDE_FAIL

/* Every policy x every exit class: the decision. */
static void policy_table(void **state) {
  static const sw_decision_kind_t want[SW_RESTART__COUNT][7] = {
      /*             clean-stop success failure abnormal watchdog unhealthy
                     timeout */
      [SW_RESTART_NO] = {S, S, F, F, F, F, F},
      [SW_RESTART_ALWAYS] = {S, R, R, R, R, R, R},
      [SW_RESTART_ON_FAILURE] = {S, S, R, R, R, R, R},
      [SW_RESTART_ON_SUCCESS] = {S, R, F, F, F, F, F},
      [SW_RESTART_ON_ABNORMAL] = {S, S, F, R, R, R, R},
      [SW_RESTART_ON_WATCHDOG] = {S, S, F, F, R, F, F},
  };
  int p, k;

  (void)state;
  for (p = 0; p < SW_RESTART__COUNT; p++) {
    for (k = 0; k < 7; k++) {
      sw_restart_cfg_t cfg = base_cfg((sw_restart_policy_t)p);
      sw_policy_state_t st;
      sw_exit_t e = exit_of_class((sw_exit_class_t)k);
      sw_decision_t d;

      sw_policy_init(&st);
      sw_policy_record_start(&cfg, &st, 0);
      d = sw_policy_decide(&cfg, &st, &e);
      if (d.kind != want[p][k] || d.cls != (sw_exit_class_t)k)
        fail_msg("policy %s, %s exit: kind %d class %d, want kind %d",
                 sw_restart_policy_name((sw_restart_policy_t)p),
                 sw_exit_class_name((sw_exit_class_t)k), d.kind, d.cls,
                 want[p][k]);
      assert_int_equal(
          sw_policy_restarts((sw_restart_policy_t)p, (sw_exit_class_t)k),
          want[p][k] == R);
      if (want[p][k] == R) {
        assert_int_equal(d.why, SW_WHY_RESTART);
        assert_int_equal(d.delay_ms, 100);
        assert_int_equal(d.attempt, 1);
        assert_int_equal(st.attempts, 1);
        assert_int_equal(st.total_restarts, 1);
      } else {
        assert_int_equal(
            d.why, k == SW_CLASS_CLEAN_STOP ? SW_WHY_STOPPED : SW_WHY_POLICY);
        assert_int_equal(d.delay_ms, 0);
        assert_int_equal(st.attempts, 0);
        assert_int_equal(st.total_restarts, 0);
      }
    }
  }
}

/* The abnormal column holds for a POSIX signal as for an NTSTATUS code. */
static void policy_table_signal(void **state) {
  static const sw_decision_kind_t want[5] = {F, R, R, F, R};
  int p;

  (void)state;
  for (p = 0; p < 5; p++) {
    sw_restart_cfg_t cfg = base_cfg((sw_restart_policy_t)p);
    sw_policy_state_t st;
    sw_exit_t e = exit_at(0, 10, 0, 11);
    sw_decision_t d;

    sw_policy_init(&st);
    d = sw_policy_decide(&cfg, &st, &e);
    assert_int_equal(d.cls, SW_CLASS_ABNORMAL);
    assert_int_equal(d.kind, want[p]);
  }
}

typedef struct {
  uint32_t code;
  int sig;
  bool stop_requested;
  sw_exit_class_t cls;
} class_case_t;

static void classify(void **state) {
  static const class_case_t cases[] = {
      {0, 0, false, SW_CLASS_SUCCESS},
      {3, 0, false, SW_CLASS_SUCCESS}, /* listed in success codes below */
      {1, 0, false, SW_CLASS_FAILURE},
      {255, 0, false, SW_CLASS_FAILURE},
      {0x80000003u, 0, false, SW_CLASS_FAILURE}, /* warning severity */
      {0x40000015u, 0, false, SW_CLASS_FAILURE},
      {0xC0000005u, 0, false, SW_CLASS_ABNORMAL}, /* access violation */
      {0xC0000409u, 0, false, SW_CLASS_ABNORMAL}, /* stack buffer overrun */
      {0xC000013Au, 0, false, SW_CLASS_ABNORMAL}, /* ctrl-c we did not ask */
      {0xFFFFFFFFu, 0, false, SW_CLASS_ABNORMAL},
      {0, 9, false, SW_CLASS_ABNORMAL}, /* a signal, even with code 0 */
      {0, 11, false, SW_CLASS_ABNORMAL},
      /* A stop the wrapper asked for: clean, whatever the code. */
      {0xC000013Au, 0, true, SW_CLASS_CLEAN_STOP},
      {0xC0000005u, 0, true, SW_CLASS_CLEAN_STOP},
      {1, 0, true, SW_CLASS_CLEAN_STOP},
      {0, 0, true, SW_CLASS_CLEAN_STOP},
      {0, 15, true, SW_CLASS_CLEAN_STOP},
      {0, 9, true, SW_CLASS_CLEAN_STOP},
  };
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  size_t i;

  (void)state;
  cfg.success_codes[1] = 3;
  cfg.n_success = 2;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sw_exit_t e = exit_at(0, 1, cases[i].code, cases[i].sig);

    e.stop_requested = cases[i].stop_requested;
    if (sw_policy_classify(&cfg, &e) != cases[i].cls)
      fail_msg("code 0x%08X signal %d stop %d: class %s, want %s",
               cases[i].code, cases[i].sig, cases[i].stop_requested,
               sw_exit_class_name(sw_policy_classify(&cfg, &e)),
               sw_exit_class_name(cases[i].cls));
  }
  /* A code listed in success_exit_codes is success, NTSTATUS or not. */
  cfg.success_codes[2] = 0xC000013Au;
  cfg.n_success = 3;
  {
    sw_exit_t e = exit_at(0, 1, 0xC000013Au, 0);

    assert_int_equal(sw_policy_classify(&cfg, &e), SW_CLASS_SUCCESS);
  }
  /* With no success codes, even 0 is a failure. */
  cfg.n_success = 0;
  {
    sw_exit_t e = exit_at(0, 1, 0, 0);

    assert_int_equal(sw_policy_classify(&cfg, &e), SW_CLASS_FAILURE);
  }
}

/* A stop-requested exit ends the service cleanly and touches no counter. */
static void stop_requested_is_clean(void **state) {
  static const uint32_t codes[] = {0, 1, 0xC000013Au, 0xC0000005u};
  int p;
  size_t i;

  (void)state;
  for (p = 0; p < 5; p++) {
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
      sw_restart_cfg_t cfg = base_cfg((sw_restart_policy_t)p);
      sw_policy_state_t st;
      sw_exit_t e = exit_at(0, 5, codes[i], 0);
      sw_decision_t d;

      cfg.prevent_codes[0] = codes[i];
      cfg.n_prevent = 1;
      cfg.burst = 1;
      cfg.interval_ms = 1000;
      sw_policy_init(&st);
      sw_policy_record_start(&cfg, &st, 0);
      e.stop_requested = true;
      d = sw_policy_decide(&cfg, &st, &e);
      assert_int_equal(d.kind, SW_DECIDE_STOP);
      assert_int_equal(d.why, SW_WHY_STOPPED);
      assert_int_equal(d.cls, SW_CLASS_CLEAN_STOP);
      assert_int_equal(st.attempts, 0);
      assert_int_equal(st.total_restarts, 0);
    }
  }
}

/* ---- backoff ------------------------------------------------------------- */

typedef struct {
  uint64_t delay, max;
  unsigned steps;
  uint64_t want[8]; /* attempts 1..8 */
} backoff_case_t;

/* sw_policy_backoff_ms() for one curve. */
static uint64_t backoff(uint64_t delay, uint64_t max, unsigned steps,
                        unsigned attempt) {
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);

  cfg.delay_ms = delay;
  cfg.max_delay_ms = max;
  cfg.steps = steps;
  return sw_policy_backoff_ms(&cfg, attempt);
}

static void backoff_sequences(void **state) {
  static const backoff_case_t cases[] = {
      /* 100 * 8^((n-1)/3): doubles, then the cap. */
      {100, 800, 3, {100, 200, 400, 800, 800, 800, 800, 800}},
      /* steps = 0: a fixed delay. */
      {100, 800, 0, {100, 100, 100, 100, 100, 100, 100, 100}},
      /* The defaults: 1000 * 60^((n-1)/5), rounded to the nearest ms. */
      {1000, 60000, 5, {1000, 2268, 5144, 11665, 26456, 60000, 60000, 60000}},
      {3, 10, 4, {3, 4, 5, 7, 10, 10, 10, 10}},
      {100, 1000, 1, {100, 1000, 1000, 1000, 1000, 1000, 1000, 1000}},
      {100, 10000, 2, {100, 1000, 10000, 10000, 10000, 10000, 10000, 10000}},
      /* delay = 0: nothing to multiply. */
      {0, 60000, 5, {0, 0, 0, 0, 0, 0, 0, 0}},
      /* max_delay not above delay: the delay. */
      {500, 500, 5, {500, 500, 500, 500, 500, 500, 500, 500}},
      {1000, 500, 3, {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}},
  };
  size_t i;
  unsigned n;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    for (n = 1; n <= 8; n++) {
      uint64_t got = backoff(cases[i].delay, cases[i].max, cases[i].steps, n);

      if (got != cases[i].want[n - 1])
        fail_msg("delay %llu max %llu steps %u, attempt %u: %llu, want %llu",
                 (unsigned long long)cases[i].delay,
                 (unsigned long long)cases[i].max, cases[i].steps, n,
                 (unsigned long long)got,
                 (unsigned long long)cases[i].want[n - 1]);
    }
    /* Attempt 0 is treated as the first. */
    assert_int_equal(backoff(cases[i].delay, cases[i].max, cases[i].steps, 0),
                     cases[i].delay);
  }
}

/* The curve at extreme ratios and odd steps, against values computed
 * independently (Python: round(d * (m / d) ** ((n - 1) / s))): policy.c
 * computes it in integers. */
static void backoff_extremes(void **state) {
  static const struct {
    uint64_t delay, max;
    unsigned steps, attempt;
    uint64_t want;
  } cases[] = {
      {1, 86400000, 1000, 2, 1},
      {1, 86400000, 1000, 500, 9127},
      {1, 86400000, 1000, 1000, 84835423},
      {7, 3600000, 13, 5, 400},
      {250, 59999, 7, 4, 2618},
      /* Python's decimal at 60 digits: round(d * (m / d) ** ((n - 1) / s)).
       * The last two lie within 2e-17 and 1e-4 (relative) of a half. */
      {1, 86400000, 1000, 999, 83299178},
      {1000, 86400000, 999, 998, 84456063},
      {2, 86400000, 7, 6, 568783},
      {1, 2, 3, 2, 1},
      {3600000, 86400000, 1000, 1, 3600000},
      {86399999, 86400000, 2, 2, 86399999},
      {999, 1000, 1000, 500, 999},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    assert_int_equal(
        backoff(cases[i].delay, cases[i].max, cases[i].steps, cases[i].attempt),
        cases[i].want);
}

/* The same sequences through sw_policy_decide(), exit after exit. */
static void backoff_through_decide(void **state) {
  static const uint64_t want[] = {100, 200, 400, 800, 800, 800};
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ON_FAILURE);
  sw_policy_state_t st;
  uint64_t now = 0;
  size_t i;

  (void)state;
  cfg.max_delay_ms = 800;
  cfg.steps = 3;
  sw_policy_init(&st);
  for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    sw_exit_t e = exit_at(now, now + 5, 1, 0);
    sw_decision_t d;

    sw_policy_record_start(&cfg, &st, now);
    d = sw_policy_decide(&cfg, &st, &e);
    assert_int_equal(d.kind, SW_DECIDE_RESTART);
    assert_int_equal(d.attempt, i + 1);
    assert_int_equal(d.delay_ms, want[i]);
    assert_false(d.was_reset);
    now = e.at_ms + d.delay_ms;
  }
  assert_int_equal(st.attempts, 6);
  assert_int_equal(st.total_restarts, 6);
}

/* One exit of code 1 and what sw_policy_decide() must answer. */
typedef struct {
  uint64_t started, at;
  bool reset;
  unsigned attempt;
  uint64_t delay;
} decide_step_t;

/* Feed the exits to the engine in order, checking each decision. */
static void expect_steps(const sw_restart_cfg_t *cfg, sw_policy_state_t *st,
                         const decide_step_t *steps, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    sw_exit_t e = exit_at(steps[i].started, steps[i].at, 1, 0);
    sw_decision_t d = sw_policy_decide(cfg, st, &e);

    if (d.kind != SW_DECIDE_RESTART || d.was_reset != steps[i].reset ||
        d.attempt != steps[i].attempt || d.delay_ms != steps[i].delay)
      fail_msg(
          "exit %zu (ran %llu..%llu ms): kind %d, reset %d, attempt %u, "
          "delay %llu; want a restart, reset %d, attempt %u, delay %llu",
          i + 1, (unsigned long long)steps[i].started,
          (unsigned long long)steps[i].at, (int)d.kind, d.was_reset, d.attempt,
          (unsigned long long)d.delay_ms, steps[i].reset, steps[i].attempt,
          (unsigned long long)steps[i].delay);
  }
}

/* A run of reset_after resets the backoff: attempt 1, delay `delay`. */
static void reset_after_uptime(void **state) {
  static const decide_step_t steps[] = {
      {0, 10, false, 1, 100},
      {110, 120, false, 2, 200},
      /* 9999 ms of uptime: not yet. */
      {320, 320 + 9999, false, 3, 400},
      /* Exactly reset_after: reset. */
      {20000, 30000, true, 1, 100},
      /* And it grows again from there. */
      {30100, 30110, false, 2, 200},
  };
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st;
  sw_decision_t d;
  sw_exit_t e;

  (void)state;
  cfg.max_delay_ms = 800;
  cfg.steps = 3;
  cfg.reset_after_ms = 10000;
  sw_policy_init(&st);
  expect_steps(&cfg, &st, steps, sizeof(steps) / sizeof(steps[0]));
  /* The total is never reset. */
  assert_int_equal(st.total_restarts, 5);

  /* A reset is reported even when the policy then stops. */
  cfg.policy = SW_RESTART_NO;
  e = exit_at(40000, 50000, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_true(d.was_reset);
  assert_int_equal(d.kind, SW_DECIDE_FAIL);
  assert_int_equal(st.attempts, 0);
}

static void reset_after_zero_never_resets(void **state) {
  static const decide_step_t steps[] = {
      {0, 10, false, 1, 100},
      /* A day of uptime resets nothing. */
      {1000, 1000 + 24ULL * 3600 * 1000, false, 2, 200},
  };
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st;

  (void)state;
  cfg.max_delay_ms = 800;
  cfg.steps = 3;
  cfg.reset_after_ms = 0;
  sw_policy_init(&st);
  expect_steps(&cfg, &st, steps, sizeof(steps) / sizeof(steps[0]));
}

/* ---- the burst window ---------------------------------------------------- */

/* Start at `start`, exit 10 ms later with code 1; returns the decision and
 * records the next start at exit + delay when it restarts. */
static sw_decision_t run_once(const sw_restart_cfg_t *cfg,
                              sw_policy_state_t *st, uint64_t start,
                              uint64_t *next_start) {
  sw_exit_t e = exit_at(start, start + 10, 1, 0);
  sw_decision_t d;

  sw_policy_record_start(cfg, st, start);
  d = sw_policy_decide(cfg, st, &e);
  *next_start = e.at_ms + d.delay_ms;
  return d;
}

static void burst_exactly_burst_starts(void **state) {
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st;
  sw_decision_t d;
  sw_exit_t e;

  (void)state;
  cfg.delay_ms = 0;
  cfg.max_delay_ms = 0;
  cfg.burst = 3;
  cfg.interval_ms = 1000;
  sw_policy_init(&st);
  /* Starts at 0, 10, 20: three starts within the interval are allowed. */
  sw_policy_record_start(&cfg, &st, 0);
  e = exit_at(0, 10, 1, 0);
  assert_int_equal(sw_policy_decide(&cfg, &st, &e).kind, SW_DECIDE_RESTART);
  sw_policy_record_start(&cfg, &st, 10);
  e = exit_at(10, 20, 1, 0);
  assert_int_equal(sw_policy_decide(&cfg, &st, &e).kind, SW_DECIDE_RESTART);
  sw_policy_record_start(&cfg, &st, 20);
  /* The fourth start, at 30, would be one too many. */
  e = exit_at(20, 30, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_int_equal(d.kind, SW_DECIDE_FAIL);
  assert_int_equal(d.why, SW_WHY_GIVE_UP);
  assert_int_equal(d.cls, SW_CLASS_FAILURE);
  assert_int_equal(d.delay_ms, 0);
  assert_int_equal(st.total_restarts, 2);
}

static void burst_window_edge(void **state) {
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st, copy;
  sw_decision_t d;
  sw_exit_t e;

  (void)state;
  cfg.delay_ms = 0;
  cfg.max_delay_ms = 0;
  cfg.burst = 3;
  cfg.interval_ms = 1000;
  sw_policy_init(&st);
  sw_policy_record_start(&cfg, &st, 0);
  sw_policy_record_start(&cfg, &st, 10);
  sw_policy_record_start(&cfg, &st, 20);
  copy = st;
  /* A start 999 ms after the oldest is inside the window: refused. */
  e = exit_at(20, 999, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_int_equal(d.why, SW_WHY_GIVE_UP);
  /* Exactly `interval` after the oldest: that one is outside. */
  st = copy;
  e = exit_at(20, 1000, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_int_equal(d.kind, SW_DECIDE_RESTART);
  /* The ring now forgets the start at 0 when 1000 is recorded. */
  sw_policy_record_start(&cfg, &st, 1000);
  e = exit_at(1000, 1005, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_int_equal(d.why, SW_WHY_GIVE_UP); /* 10, 20, 1000 */
  e = exit_at(1000, 1010, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_int_equal(d.kind, SW_DECIDE_RESTART); /* 20, 1000 */
}

/* The limit looks at the moment the restart would start: exit + delay. */
static void burst_counts_exit_plus_delay(void **state) {
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st;
  sw_decision_t d;
  uint64_t next;

  (void)state;
  cfg.delay_ms = 500;
  cfg.max_delay_ms = 500;
  cfg.burst = 2;
  cfg.interval_ms = 1000;
  sw_policy_init(&st);
  d = run_once(&cfg, &st, 0, &next); /* exits at 10, restarts at 510 */
  assert_int_equal(d.kind, SW_DECIDE_RESTART);
  assert_int_equal(next, 510);
  /* Exit at 520; the restart at 1020 sees only the start at 510 within
   * (20, 1020]. Counted at the exit (520) it would see two. */
  d = run_once(&cfg, &st, 510, &next);
  assert_int_equal(d.kind, SW_DECIDE_RESTART);
  assert_int_equal(next, 1020);
  /* Exit at 1030; the restart at 1530 sees the window (530, 1530]: the
   * start at 510 is outside, 1020 inside: allowed. */
  d = run_once(&cfg, &st, 1020, &next);
  assert_int_equal(d.kind, SW_DECIDE_RESTART);
  /* A quick exit after a long delay: the window moves with the delay. */
  cfg.delay_ms = 0;
  cfg.max_delay_ms = 0;
  d = run_once(&cfg, &st, 1530, &next); /* 1020 and 1530 in (540, 1540] */
  assert_int_equal(d.why, SW_WHY_GIVE_UP);
}

static void burst_zero_means_no_limit(void **state) {
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st;
  uint64_t t = 0, next;
  int i;

  (void)state;
  cfg.delay_ms = 0;
  cfg.max_delay_ms = 0;
  /* burst = 0 */
  cfg.burst = 0;
  cfg.interval_ms = 60000;
  sw_policy_init(&st);
  for (i = 0; i < 200; i++) {
    assert_int_equal(run_once(&cfg, &st, t, &next).kind, SW_DECIDE_RESTART);
    t = next;
  }
  assert_int_equal(st.n_starts, 0); /* nothing recorded without a limit */
  /* interval = 0 */
  cfg.burst = 5;
  cfg.interval_ms = 0;
  sw_policy_init(&st);
  t = 0;
  for (i = 0; i < 200; i++) {
    assert_int_equal(run_once(&cfg, &st, t, &next).kind, SW_DECIDE_RESTART);
    t = next;
  }
  assert_int_equal(st.total_restarts, 200);
}

static void burst_reset_by_long_run(void **state) {
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st;
  sw_decision_t d;
  sw_exit_t e;

  (void)state;
  cfg.burst = 2;
  cfg.interval_ms = 1000000;
  cfg.reset_after_ms = 5000;
  sw_policy_init(&st);
  sw_policy_record_start(&cfg, &st, 0);
  e = exit_at(0, 1, 1, 0);
  assert_int_equal(sw_policy_decide(&cfg, &st, &e).kind, SW_DECIDE_RESTART);
  sw_policy_record_start(&cfg, &st, 101);
  /* Two starts in the window, but this run lasted reset_after. */
  e = exit_at(101, 5101, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_true(d.was_reset);
  assert_int_equal(d.kind, SW_DECIDE_RESTART);
  /* The same exit after a short run gives up. */
  sw_policy_init(&st);
  sw_policy_record_start(&cfg, &st, 0);
  sw_policy_record_start(&cfg, &st, 101);
  e = exit_at(101, 5100, 1, 0);
  d = sw_policy_decide(&cfg, &st, &e);
  assert_false(d.was_reset);
  assert_int_equal(d.why, SW_WHY_GIVE_UP);
}

static void give_up_fail_or_stop(void **state) {
  static const struct {
    sw_give_up_t on;
    uint32_t code;
    sw_decision_kind_t kind;
  } cases[] = {
      {SW_GIVE_UP_FAIL, 1, SW_DECIDE_FAIL},
      {SW_GIVE_UP_STOP, 1, SW_DECIDE_STOP},
      {SW_GIVE_UP_FAIL, 0, SW_DECIDE_FAIL}, /* always + success exits */
      {SW_GIVE_UP_STOP, 0xC0000005u, SW_DECIDE_STOP},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
    sw_policy_state_t st;
    sw_exit_t e = exit_at(0, 10, cases[i].code, 0);
    sw_decision_t d;

    cfg.burst = 1;
    cfg.interval_ms = 60000;
    cfg.on_give_up = cases[i].on;
    sw_policy_init(&st);
    sw_policy_record_start(&cfg, &st, 0);
    d = sw_policy_decide(&cfg, &st, &e);
    assert_int_equal(d.why, SW_WHY_GIVE_UP);
    assert_int_equal(d.kind, cases[i].kind);
    assert_int_equal(st.attempts, 0);
    assert_int_equal(st.total_restarts, 0);
  }
}

static void prevent_exit_codes(void **state) {
  static const struct {
    uint32_t code;
    int sig;
    sw_decision_kind_t kind;
    sw_decision_why_t why;
  } cases[] = {
      {3, 0, SW_DECIDE_FAIL, SW_WHY_PREVENTED},
      {0xC0000005u, 0, SW_DECIDE_FAIL, SW_WHY_PREVENTED},
      {7, 0, SW_DECIDE_STOP, SW_WHY_PREVENTED}, /* 7 is also a success */
      {4, 0, SW_DECIDE_RESTART, SW_WHY_RESTART},
      {0, 0, SW_DECIDE_RESTART, SW_WHY_RESTART},
      /* A signal has no exit code to match, even if code is listed. */
      {3, 9, SW_DECIDE_RESTART, SW_WHY_RESTART},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
    sw_policy_state_t st;
    sw_exit_t e = exit_at(0, 10, cases[i].code, cases[i].sig);
    sw_decision_t d;

    cfg.success_codes[1] = 7;
    cfg.n_success = 2;
    cfg.prevent_codes[0] = 3;
    cfg.prevent_codes[1] = 0xC0000005u;
    cfg.prevent_codes[2] = 7;
    cfg.n_prevent = 3;
    sw_policy_init(&st);
    d = sw_policy_decide(&cfg, &st, &e);
    if (d.kind != cases[i].kind || d.why != cases[i].why)
      fail_msg("code %u signal %d: kind %d why %d, want %d %d", cases[i].code,
               cases[i].sig, d.kind, d.why, cases[i].kind, cases[i].why);
  }
}

/* The ring keeps the last `burst` starts. */
static void record_start_ring(void **state) {
  sw_restart_cfg_t cfg = base_cfg(SW_RESTART_ALWAYS);
  sw_policy_state_t st;
  sw_exit_t e;

  (void)state;
  cfg.delay_ms = 0;
  cfg.burst = 2;
  cfg.interval_ms = 1000;
  sw_policy_init(&st);
  sw_policy_record_start(&cfg, &st, 0);
  sw_policy_record_start(&cfg, &st, 10);
  sw_policy_record_start(&cfg, &st, 20);
  assert_int_equal(st.n_starts, 2);
  e = exit_at(20, 25, 1, 0);
  assert_int_equal(sw_policy_decide(&cfg, &st, &e).why, SW_WHY_GIVE_UP);
  /* 1010: 10 is out, 20 is in. */
  e = exit_at(20, 1010, 1, 0);
  assert_int_equal(sw_policy_decide(&cfg, &st, &e).kind, SW_DECIDE_RESTART);
}

static void class_names(void **state) {
  (void)state;
  assert_string_equal(sw_exit_class_name(SW_CLASS_CLEAN_STOP), "clean-stop");
  assert_string_equal(sw_exit_class_name(SW_CLASS_SUCCESS), "success");
  assert_string_equal(sw_exit_class_name(SW_CLASS_FAILURE), "failure");
  assert_string_equal(sw_exit_class_name(SW_CLASS_ABNORMAL), "abnormal");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(policy_table),
    cmocka_unit_test(policy_table_signal),
    cmocka_unit_test(classify),
    cmocka_unit_test(stop_requested_is_clean),
    cmocka_unit_test(backoff_sequences),
    cmocka_unit_test(backoff_extremes),
    cmocka_unit_test(backoff_through_decide),
    cmocka_unit_test(reset_after_uptime),
    cmocka_unit_test(reset_after_zero_never_resets),
    cmocka_unit_test(burst_exactly_burst_starts),
    cmocka_unit_test(burst_window_edge),
    cmocka_unit_test(burst_counts_exit_plus_delay),
    cmocka_unit_test(burst_zero_means_no_limit),
    cmocka_unit_test(burst_reset_by_long_run),
    cmocka_unit_test(give_up_fail_or_stop),
    cmocka_unit_test(prevent_exit_codes),
    cmocka_unit_test(record_start_ring),
    cmocka_unit_test(class_names),
};

const sw_test_group_t sw_group_policy = SW_GROUP("policy", tests);
