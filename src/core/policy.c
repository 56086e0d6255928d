/* SPDX-License-Identifier: MIT */
/*
 * The restart policy engine: exits in, decisions out. Pure and
 * allocation-free; tests/unit/test_policy.c drives it with virtual time.
 */
#include "core/policy.h"

#include <assert.h>
#include <string.h>

void sw_policy_init(sw_policy_state_t *st) {
  memset(st, 0, sizeof(*st));
}

static bool burst_limited(const sw_restart_cfg_t *cfg) {
  /* As in systemd: a zero burst or interval turns the limit off. */
  return cfg->burst > 0 && cfg->interval_ms > 0;
}

void sw_policy_record_start(const sw_restart_cfg_t *cfg, sw_policy_state_t *st,
                            uint64_t at_ms) {
  if (!burst_limited(cfg)) return;
  assert(cfg->burst <= SW_MAX_BURST);
  st->starts[st->next] = at_ms;
  st->next = (st->next + 1) % cfg->burst;
  if (st->n_starts < cfg->burst) st->n_starts++;
}

/* Starts recorded in the window (at_ms - interval, at_ms]. */
static unsigned starts_in_window(const sw_restart_cfg_t *cfg,
                                 const sw_policy_state_t *st, uint64_t at_ms) {
  unsigned i, n = 0;

  for (i = 0; i < st->n_starts; i++) {
    uint64_t s = st->starts[i];

    if (s <= at_ms && at_ms - s < cfg->interval_ms) n++;
  }
  return n;
}

static bool code_in(uint32_t code, const uint32_t *codes, unsigned n) {
  unsigned i;

  for (i = 0; i < n; i++)
    if (codes[i] == code) return true;
  return false;
}

sw_exit_class_t sw_policy_classify(const sw_restart_cfg_t *cfg,
                                   const sw_exit_t *ex) {
  if (ex->stop_requested) return SW_EXIT_CLEAN_STOP;
  if (ex->signal != 0) return SW_EXIT_ABNORMAL;
  if (code_in(ex->code, cfg->success_codes, cfg->n_success))
    return SW_EXIT_SUCCESS;
  /* NTSTATUS values with severity "error" (the two high bits set), such
   * as 0xC0000005 (access violation) or 0xC0000409 (stack buffer
   * overrun), are what Windows reports for a crashed process. */
  if ((ex->code & 0xC0000000u) == 0xC0000000u) return SW_EXIT_ABNORMAL;
  return SW_EXIT_FAILURE;
}

bool sw_policy_restarts(sw_restart_policy_t policy, sw_exit_class_t cls) {
  switch (cls) {
  case SW_EXIT_CLEAN_STOP:
    return false;
  case SW_EXIT_SUCCESS:
    return policy == SW_RESTART_ALWAYS || policy == SW_RESTART_ON_SUCCESS;
  case SW_EXIT_FAILURE:
    return policy == SW_RESTART_ALWAYS || policy == SW_RESTART_ON_FAILURE;
  case SW_EXIT_ABNORMAL:
    return policy == SW_RESTART_ALWAYS || policy == SW_RESTART_ON_FAILURE ||
           policy == SW_RESTART_ON_ABNORMAL;
  }
  return false;
}

/*
 * ln(x) for x >= 1 and e^x for x >= 0, enough for the backoff curve
 * (relative error near 1e-15) without linking libm, which would cost the
 * wrapper ~0.4 MB of resident pages for two calls.
 */
#define LN2 0.69314718055994530942

static double ln_ge1(double x) {
  double y, y2, term, sum = 0;
  int k = 0, i;

  while (x >= 2.0) { /* x = m * 2^k, m in [1, 2) */
    x /= 2.0;
    k++;
  }
  /* ln(m) = 2 atanh((m - 1) / (m + 1)), |y| < 1/3: fast convergence */
  y = (x - 1.0) / (x + 1.0);
  y2 = y * y;
  term = y;
  for (i = 1; i < 80; i += 2) {
    sum += term / i;
    term *= y2;
  }
  return 2.0 * sum + k * LN2;
}

static double exp_ge0(double x) {
  int k = (int)(x / LN2), i;
  double f = x - k * LN2, term = 1.0, sum = 1.0; /* f in [0, ln 2) */

  for (i = 1; i < 30; i++) {
    term *= f / i;
    sum += term;
  }
  while (k-- > 0)
    sum *= 2.0;
  return sum;
}

uint64_t sw_policy_backoff_ms(const sw_restart_cfg_t *cfg, unsigned attempt) {
  double ratio, v;

  if (attempt <= 1 || cfg->steps == 0 || cfg->delay_ms == 0 ||
      cfg->max_delay_ms <= cfg->delay_ms)
    return cfg->delay_ms;
  if (attempt - 1 >= cfg->steps) return cfg->max_delay_ms;
  /* systemd's RestartSteps=: delay * (max/delay)^((n-1)/steps), so the
   * delay reaches max_delay after `steps` increases. */
  ratio = (double)cfg->max_delay_ms / (double)cfg->delay_ms;
  v = (double)cfg->delay_ms *
      exp_ge0(ln_ge1(ratio) * (double)(attempt - 1) / (double)cfg->steps);
  if (v > (double)cfg->max_delay_ms) return cfg->max_delay_ms;
  return (uint64_t)(v + 0.5); /* nearest millisecond */
}

/* The end a non-restarting exit of class cls gives the service. */
static sw_decision_kind_t ending(sw_exit_class_t cls) {
  return cls == SW_EXIT_SUCCESS || cls == SW_EXIT_CLEAN_STOP ? SW_DECIDE_STOP
                                                             : SW_DECIDE_FAIL;
}

sw_decision_t sw_policy_decide(const sw_restart_cfg_t *cfg,
                               sw_policy_state_t *st, const sw_exit_t *ex) {
  sw_decision_t d;

  assert(ex->at_ms >= ex->started_ms);
  memset(&d, 0, sizeof(d));
  d.cls = sw_policy_classify(cfg, ex);
  if (d.cls == SW_EXIT_CLEAN_STOP) {
    d.kind = SW_DECIDE_STOP;
    d.why = SW_WHY_STOPPED;
    return d;
  }

  /* A run that lasted reset_after forgets the earlier failures. */
  if (cfg->reset_after_ms > 0 &&
      ex->at_ms - ex->started_ms >= cfg->reset_after_ms) {
    st->attempts = 0;
    st->n_starts = 0;
    st->next = 0;
    d.was_reset = true;
  }

  if (ex->signal == 0 &&
      code_in(ex->code, cfg->prevent_codes, cfg->n_prevent)) {
    d.kind = ending(d.cls);
    d.why = SW_WHY_PREVENTED;
    return d;
  }
  if (!sw_policy_restarts(cfg->policy, d.cls)) {
    d.kind = ending(d.cls);
    d.why = SW_WHY_POLICY;
    return d;
  }

  d.attempt = st->attempts + 1;
  d.delay_ms = sw_policy_backoff_ms(cfg, d.attempt);
  /* The limit counts starts, as systemd's StartLimitBurst= does: the
   * restart would start at at_ms + delay, and is refused if `burst`
   * starts already lie within `interval` before that moment. */
  if (burst_limited(cfg) &&
      starts_in_window(cfg, st, ex->at_ms + d.delay_ms) >= cfg->burst) {
    d.kind =
        cfg->on_give_up == SW_GIVE_UP_FAIL ? SW_DECIDE_FAIL : SW_DECIDE_STOP;
    d.why = SW_WHY_GIVE_UP;
    d.delay_ms = 0;
    return d;
  }
  st->attempts++;
  st->total_restarts++;
  d.kind = SW_DECIDE_RESTART;
  d.why = SW_WHY_RESTART;
  return d;
}

const char *sw_exit_class_name(sw_exit_class_t cls) {
  switch (cls) {
  case SW_EXIT_CLEAN_STOP:
    return "clean-stop";
  case SW_EXIT_SUCCESS:
    return "success";
  case SW_EXIT_FAILURE:
    return "failure";
  case SW_EXIT_ABNORMAL:
    return "abnormal";
  }
  return "?";
}
