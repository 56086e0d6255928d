/* SPDX-License-Identifier: MIT */
/*
 * The supervisor state machine, as a table of actions indexed by
 * [state][event] (the shape of s6-supervise's): the whole behaviour is
 * visible in one place and tests/unit/test_sup.c walks every cell.
 * Actions change sup->state and append commands; they never act.
 */
#include "core/attr.h"
#include "core/sup.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef void action_fn(sw_sup_t *sup, const sw_input_t *in);

static bool feeds_back(sw_cmd_kind_t kind) {
  return kind == SW_CMD_SPAWN || kind == SW_CMD_SEND_STOP;
}

static void emit(sw_sup_t *sup, sw_cmd_kind_t kind, sw_stop_method_t m,
                 uint64_t ms) {
  unsigned i, feeding = feeds_back(kind);

  for (i = 0; i < sup->nout; i++)
    feeding += feeds_back(sup->out[i].kind);
  assert(sup->nout < SW_SUP_MAX_CMDS && feeding <= SW_SUP_MAX_FEEDING);
  memset(&sup->out[sup->nout], 0, sizeof(sup->out[0]));
  sup->out[sup->nout].kind = kind;
  sup->out[sup->nout].method = m;
  sup->out[sup->nout].ms = ms;
  sup->nout++;
}

/* An entry for the system's event log, written from the state after the
 * step (so emitted after the fields its text shows are set). */
static void emit_event(sw_sup_t *sup, sw_evt_t evt, sw_evt_level_t level) {
  emit(sup, SW_CMD_EVENT_LOG, 0, 0);
  sup->out[sup->nout - 1].evt = evt;
  sup->out[sup->nout - 1].level = level;
}

/* The child's exit was a crash (or a health stop) worth an entry of its
 * own. */
static bool crashed(const sw_input_t *in, const sw_decision_t *d) {
  return in->ev == SW_EV_EXIT && d->cls != SW_CLASS_SUCCESS &&
         d->cls != SW_CLASS_CLEAN_STOP;
}

static void because(sw_sup_t *sup, const char *fmt, ...) SW_PRINTF(2, 3);
static void because(sw_sup_t *sup, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(sup->reason, sizeof(sup->reason), fmt, ap);
  va_end(ap);
}

/* ---- actions ----------------------------------------------------------- */

static void act_nop(sw_sup_t *sup, const sw_input_t *in) {
  (void)sup;
  (void)in;
}

static void act_spawn(sw_sup_t *sup, const sw_input_t *in) {
  sup->state = SW_ST_STARTING;
  sup->next_restart_wall_ms = 0;
  sup->started_ms = in->now_ms;
  sup->started_wall_ms = in->wall_ms;
  /* The burst limit counts start attempts, failed ones too, so a child
   * that cannot even be spawned still ends in a give-up. */
  sw_policy_record_start(sup->restart, &sup->policy, in->now_ms);
  if (in->ev == SW_EV_START)
    because(sup, "service start");
  else
    because(sup, "restart %u after %llums", sup->last_decision.attempt,
            (unsigned long long)sup->last_decision.delay_ms);
  emit(sup, SW_CMD_SPAWN, 0, 0);
}

static void act_spawned(sw_sup_t *sup, const sw_input_t *in) {
  sup->state = SW_ST_RUNNING;
  sup->pid = in->pid;
  sup->started_ms = in->now_ms;
  sup->started_wall_ms = in->wall_ms;
  because(sup, "child started, pid %d", in->pid);
  /* The service is up: its first child runs. (Later starts are restarts,
   * in the wrapper log only.) */
  if (sup->policy.total_restarts == 0)
    emit_event(sup, SW_EVT_STARTED, SW_EVT_INFO);
}

/* Apply the policy's decision to an exit (or a failed spawn). */
static void decide(sw_sup_t *sup, const sw_input_t *in, bool stopping) {
  sw_exit_t ex;
  sw_decision_t d;

  memset(&ex, 0, sizeof(ex));
  ex.started_ms = sup->started_ms;
  ex.at_ms = in->now_ms >= sup->started_ms ? in->now_ms : sup->started_ms;
  ex.code = in->code;
  ex.signal = in->signal;
  ex.stop_requested = stopping && !sup->health_stop;
  ex.health_stop = stopping && sup->health_stop;
  ex.health_cls = sup->health_cls;
  sup->health_stop = false;
  d = sw_policy_decide(sup->restart, &sup->policy, &ex);

  sup->has_exit = true;
  sup->last_exit = ex;
  sup->last_decision = d;
  sup->last_exit_wall_ms = in->wall_ms;
  sup->pid = 0;
  if (stopping) emit(sup, SW_CMD_CANCEL_TIMER, 0, 0);

  switch (d.kind) {
  case SW_DECIDE_RESTART:
    sup->state = SW_ST_BACKOFF;
    sup->next_restart_wall_ms = in->wall_ms + d.delay_ms;
    because(sup, "%s exit; policy %s restarts in %llums (restart %u)",
            sw_exit_class_name(d.cls),
            sw_restart_policy_name(sup->restart->policy),
            (unsigned long long)d.delay_ms, d.attempt);
    emit(sup, SW_CMD_ARM_TIMER, 0, d.delay_ms);
    if (crashed(in, &d)) emit_event(sup, SW_EVT_CRASHED, SW_EVT_WARNING);
    return;
  case SW_DECIDE_STOP:
    sup->state = SW_ST_STOPPED;
    sup->exit_code = 0;
    break;
  case SW_DECIDE_FAIL:
    sup->state = SW_ST_FAILED;
    /* The child's own code, so SCM recovery and scripts see it; a crash
     * by signal (POSIX) has no code: report 128 + signal like a shell. */
    sup->exit_code = in->signal ? 128 + in->signal : (int)in->code;
    if (sup->exit_code == 0)
      sup->exit_code = 1; /* never report failure as success */
    break;
  }
  switch (d.why) {
  case SW_WHY_STOPPED:
    because(sup, "child exited after the stop request");
    break;
  case SW_WHY_POLICY:
    because(sup, "%s exit; policy %s does not restart it",
            sw_exit_class_name(d.cls),
            sw_restart_policy_name(sup->restart->policy));
    break;
  case SW_WHY_PREVENTED:
    because(sup, "%s exit with code %u, listed in prevent_exit_codes",
            sw_exit_class_name(d.cls), in->code);
    break;
  case SW_WHY_GIVE_UP:
    because(sup, "%s exit; giving up: %u starts within %llums (burst %u)",
            sw_exit_class_name(d.cls), sup->restart->burst,
            (unsigned long long)sup->restart->interval_ms, sup->restart->burst);
    break;
  case SW_WHY_RESTART:
    break;
  }
  /* The service's entry comes before the crash's: the order the wrapper
   * log has always shown. */
  if (sup->state == SW_ST_FAILED)
    emit_event(sup, SW_EVT_FAILED, SW_EVT_ERROR);
  else
    emit_event(sup, SW_EVT_STOPPED, SW_EVT_INFO);
  if (crashed(in, &d)) emit_event(sup, SW_EVT_CRASHED, SW_EVT_WARNING);
  emit(sup, SW_CMD_FINISH, 0, 0);
}

static void act_exited(sw_sup_t *sup, const sw_input_t *in) {
  decide(sup, in, false);
}

static void act_stopped(sw_sup_t *sup, const sw_input_t *in) {
  decide(sup, in, true);
}

/* Run ladder step sup->step: send its method and arm its timer. */
static void run_step(sw_sup_t *sup) {
  sw_stop_method_t m = sup->stop->methods[sup->step];

  emit(sup, SW_CMD_SEND_STOP, m, 0);
  emit(sup, SW_CMD_ARM_TIMER, 0,
       m == SW_STOP_TERMINATE ? sup->terminate_wait_ms : sup->stop->timeout_ms);
}

static void act_stop(sw_sup_t *sup, const sw_input_t *in) {
  sup->state = SW_ST_STOPPING;
  sup->step = in->force ? sup->stop->n_methods - 1 : 0;
  because(sup, "stop requested; step %u of %u: %s", sup->step + 1,
          sup->stop->n_methods,
          sw_stop_method_name(sup->stop->methods[sup->step]));
  run_step(sup);
}

/* The current step is over (grace time out, or not deliverable). */
static void act_next_step(sw_sup_t *sup, const sw_input_t *in) {
  const char *what =
      in->ev == SW_EV_TIMER ? "grace time over" : "could not be delivered";

  if (sup->step + 1 >= sup->stop->n_methods) {
    /* Even terminate did not end the child (uninterruptible sleep, a kill
     * the OS refused): stop waiting rather than hang the service manager
     * in STOP_PENDING. The child is released, not waited for, so the
     * service ends within the ladder's budget, failed. */
    sup->state = SW_ST_FAILED;
    sup->exit_code = SW_SUP_EXIT_UNKILLABLE;
    sup->unkillable_pid = sup->pid;
    sup->pid = 0;
    if (in->ev == SW_EV_TIMER)
      because(sup, "pid %d did not exit %llums after terminate",
              sup->unkillable_pid, (unsigned long long)sup->terminate_wait_ms);
    else
      because(sup, "terminate could not be delivered to pid %d",
              sup->unkillable_pid);
    emit(sup, SW_CMD_CANCEL_TIMER, 0, 0);
    emit(sup, SW_CMD_ABANDON, 0, 0);
    emit_event(sup, SW_EVT_FAILED, SW_EVT_ERROR);
    emit(sup, SW_CMD_FINISH, 0, 0);
    return;
  }
  because(sup, "%s %s; step %u of %u: %s",
          sw_stop_method_name(sup->stop->methods[sup->step]), what,
          sup->step + 2, sup->stop->n_methods,
          sw_stop_method_name(sup->stop->methods[sup->step + 1]));
  sup->step++;
  run_step(sup);
}

/* The child is not healthy: stop it through the ladder, then let the
 * policy decide on its exit as one of class in->cls. */
static void act_health_stop(sw_sup_t *sup, const sw_input_t *in) {
  sup->state = SW_ST_STOPPING;
  sup->step = 0;
  sup->health_stop = true;
  sup->health_cls = in->cls;
  because(sup, "%s: %s; step 1 of %u: %s", sw_exit_class_name(in->cls),
          in->why ? in->why : "health check failed", sup->stop->n_methods,
          sw_stop_method_name(sup->stop->methods[0]));
  run_step(sup);
}

static void act_force(sw_sup_t *sup, const sw_input_t *in) {
  unsigned last = sup->stop->n_methods - 1;

  if (sup->health_stop) {
    /* A stop request during a health stop: the service stops, the exit
     * is a clean stop and is not restarted. */
    sup->health_stop = false;
    because(sup, "stop requested during the %s stop",
            sw_exit_class_name(sup->health_cls));
  }
  if (!in->force || sup->step == last) return;
  because(sup, "second stop request; step %u of %u: terminate", last + 1,
          sup->stop->n_methods);
  sup->step = last;
  run_step(sup);
}

static void act_cancel(sw_sup_t *sup, const sw_input_t *in) {
  (void)in;
  sup->state = SW_ST_STOPPED;
  sup->exit_code = 0;
  sup->next_restart_wall_ms = 0;
  because(sup, "stop requested while waiting to restart");
  emit(sup, SW_CMD_CANCEL_TIMER, 0, 0);
  emit_event(sup, SW_EVT_STOPPED, SW_EVT_INFO);
  emit(sup, SW_CMD_FINISH, 0, 0);
}

static void act_bug(sw_sup_t *sup, const sw_input_t *in) {
  (void)sup;
  (void)in;
  assert(!"event not valid in this state");
}

/* clang-format off */
static action_fn *const actions[SW_ST__COUNT][SW_EV__COUNT] = {
  /*                 START      SPAWNED      SPAWN_FAILED EXIT         TIMER          STOP        STEP_FAILED    UNHEALTHY */
  [SW_ST_STARTING] = {act_nop,  act_spawned, act_exited,  act_bug,     act_nop,       act_nop,    act_nop,       act_nop},
  [SW_ST_RUNNING]  = {act_nop,  act_bug,     act_bug,     act_exited,  act_nop,       act_stop,   act_nop,       act_health_stop},
  [SW_ST_BACKOFF]  = {act_nop,  act_bug,     act_bug,     act_bug,     act_spawn,     act_cancel, act_nop,       act_nop},
  [SW_ST_STOPPING] = {act_nop,  act_bug,     act_bug,     act_stopped, act_next_step, act_force,  act_next_step, act_nop},
  [SW_ST_STOPPED]  = {act_spawn,act_bug,     act_bug,     act_bug,     act_nop,       act_nop,    act_nop,       act_nop},
  [SW_ST_FAILED]   = {act_nop,  act_bug,     act_bug,     act_bug,     act_nop,       act_nop,    act_nop,       act_nop},
};
/* clang-format on */

void sw_sup_init(sw_sup_t *sup, const sw_restart_cfg_t *restart,
                 const sw_stop_cfg_t *stop, uint64_t terminate_wait_ms) {
  assert(stop->n_methods > 0 &&
         stop->methods[stop->n_methods - 1] == SW_STOP_TERMINATE);
  memset(sup, 0, sizeof(*sup));
  sup->restart = restart;
  sup->stop = stop;
  sup->terminate_wait_ms = terminate_wait_ms;
  sup->state = SW_ST_STOPPED;
  sw_policy_init(&sup->policy);
}

void sw_sup_step(sw_sup_t *sup, const sw_input_t *in) {
  assert(sup->state < SW_ST__COUNT && in->ev < SW_EV__COUNT);
  sup->nout = 0;
  actions[sup->state][in->ev](sup, in);
}

uint64_t sw_sup_stop_remaining_ms(const sw_sup_t *sup) {
  uint64_t ms = sup->terminate_wait_ms;
  unsigned i;

  for (i = sup->state == SW_ST_STOPPING ? sup->step : 0;
       i < sup->stop->n_methods; i++)
    if (sup->stop->methods[i] != SW_STOP_TERMINATE) ms += sup->stop->timeout_ms;
  return ms;
}

bool sw_sup_is_final(const sw_sup_t *sup) {
  return sup->state == SW_ST_STOPPED || sup->state == SW_ST_FAILED;
}

const char *sw_state_name(sw_state_t st) {
  static const char *const names[SW_ST__COUNT] = {
      "starting", "running", "backoff", "stopping", "stopped", "failed"};

  return (unsigned)st < SW_ST__COUNT ? names[st] : "?";
}

const char *sw_event_name(sw_event_t ev) {
  static const char *const names[SW_EV__COUNT] = {
      "start", "spawned", "spawn-failed", "exit",
      "timer", "stop",    "step-failed",  "unhealthy"};

  return (unsigned)ev < SW_EV__COUNT ? names[ev] : "?";
}
