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
  if (ex->stop_requested) return SW_CLASS_CLEAN_STOP;
  if (ex->health_stop) return ex->health_cls;
  if (ex->signal != 0) return SW_CLASS_ABNORMAL;
  if (code_in(ex->code, cfg->success_codes, cfg->n_success))
    return SW_CLASS_SUCCESS;
  /* NTSTATUS values with severity "error" (the two high bits set), such
   * as 0xC0000005 (access violation) or 0xC0000409 (stack buffer
   * overrun), are what Windows reports for a crashed process. */
  if ((ex->code & 0xC0000000u) == 0xC0000000u) return SW_CLASS_ABNORMAL;
  return SW_CLASS_FAILURE;
}

bool sw_policy_restarts(sw_restart_policy_t policy, sw_exit_class_t cls) {
  switch (cls) {
  case SW_CLASS_CLEAN_STOP:
    return false;
  case SW_CLASS_SUCCESS:
    return policy == SW_RESTART_ALWAYS || policy == SW_RESTART_ON_SUCCESS;
  case SW_CLASS_FAILURE:
    return policy == SW_RESTART_ALWAYS || policy == SW_RESTART_ON_FAILURE;
  case SW_CLASS_ABNORMAL:
  case SW_CLASS_UNHEALTHY:
  case SW_CLASS_TIMEOUT:
    return policy == SW_RESTART_ALWAYS || policy == SW_RESTART_ON_FAILURE ||
           policy == SW_RESTART_ON_ABNORMAL;
  case SW_CLASS_WATCHDOG:
    /* systemd's Restart=: on-failure and on-abnormal include watchdog,
     * on-watchdog is watchdog alone. */
    return policy == SW_RESTART_ALWAYS || policy == SW_RESTART_ON_FAILURE ||
           policy == SW_RESTART_ON_ABNORMAL || policy == SW_RESTART_ON_WATCHDOG;
  }
  return false;
}

/*
 * The backoff curve in integers. A positive number as m * 2^e with m's top
 * bit set: 64 bits of precision, and an exponent that holds the powers
 * below (delay^steps reaches 2^27000). Products are truncated, so each
 * loses at most 2^-63 of its value.
 */
typedef struct {
  uint64_t m;
  int e;
} num_t;

static num_t num_of(uint64_t v) {
  num_t n;
  int shift;

  assert(v > 0);
  shift = __builtin_clzll(v);
  n.m = v << shift;
  n.e = -shift;
  return n;
}

static num_t num_mul(num_t a, num_t b) {
  unsigned __int128 p = (unsigned __int128)a.m * b.m; /* >= 2^126 */
  num_t n;

  if (p >> 127) {
    n.m = (uint64_t)(p >> 64);
    n.e = a.e + b.e + 64;
  } else {
    n.m = (uint64_t)(p >> 63);
    n.e = a.e + b.e + 63;
  }
  return n;
}

/* a^k by squaring: at most 2 log2(k) products. */
static num_t num_pow(num_t a, unsigned k) {
  num_t r = num_of(1);

  while (k > 0) {
    if (k & 1) r = num_mul(r, a);
    a = num_mul(a, a);
    k >>= 1;
  }
  return r;
}

static bool num_le(num_t a, num_t b) {
  return a.e != b.e ? a.e < b.e : a.m <= b.m;
}

/*
 * round(delay * (max/delay)^(k/steps)) for 0 < k < steps, delay < max.
 * That value X solves X^steps = T with T = delay^(steps-k) * max^k, so the
 * nearest integer is the largest y in [delay, max] with
 * (y - 1/2)^steps <= T, i.e. (2y - 1)^steps <= T * 2^steps: a binary
 * search of about 27 steps, each comparing two powers.
 */
static uint64_t curve(uint64_t delay, uint64_t max, unsigned k,
                      unsigned steps) {
  num_t t = num_mul(num_pow(num_of(delay), steps - k), num_pow(num_of(max), k));
  uint64_t lo = delay, hi = max;

  t.e += (int)steps;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;

    if (num_le(num_pow(num_of(2 * mid - 1), steps), t))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

uint64_t sw_policy_backoff_ms(const sw_restart_cfg_t *cfg, unsigned attempt) {
  if (attempt <= 1 || cfg->steps == 0 || cfg->delay_ms == 0 ||
      cfg->max_delay_ms <= cfg->delay_ms)
    return cfg->delay_ms;
  if (attempt - 1 >= cfg->steps) return cfg->max_delay_ms;
  /* systemd's RestartSteps=: delay * (max/delay)^((n-1)/steps), so the
   * delay reaches max_delay after `steps` increases; to the nearest ms. */
  return curve(cfg->delay_ms, cfg->max_delay_ms, attempt - 1, cfg->steps);
}

/* The end a non-restarting exit of class cls gives the service. */
static sw_decision_kind_t ending(sw_exit_class_t cls) {
  return cls == SW_CLASS_SUCCESS || cls == SW_CLASS_CLEAN_STOP ? SW_DECIDE_STOP
                                                               : SW_DECIDE_FAIL;
}

sw_decision_t sw_policy_decide(const sw_restart_cfg_t *cfg,
                               sw_policy_state_t *st, const sw_exit_t *ex) {
  sw_decision_t d;

  assert(ex->at_ms >= ex->started_ms);
  memset(&d, 0, sizeof(d));
  d.cls = sw_policy_classify(cfg, ex);
  if (d.cls == SW_CLASS_CLEAN_STOP) {
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
  case SW_CLASS_CLEAN_STOP:
    return "clean-stop";
  case SW_CLASS_SUCCESS:
    return "success";
  case SW_CLASS_FAILURE:
    return "failure";
  case SW_CLASS_ABNORMAL:
    return "abnormal";
  case SW_CLASS_WATCHDOG:
    return "watchdog";
  case SW_CLASS_UNHEALTHY:
    return "unhealthy";
  case SW_CLASS_TIMEOUT:
    return "timeout";
  }
  return "?";
}
