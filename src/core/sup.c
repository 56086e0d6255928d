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

#define SW_REASON_NAME(id, name) name,

static bool feeds_back(sw_cmd_kind_t kind) {
  return kind == SW_CMD_SPAWN || kind == SW_CMD_SEND_STOP ||
         kind == SW_CMD_RUN_HOOK;
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

static void emit_hook(sw_sup_t *sup, sw_cmd_kind_t kind, sw_hook_t h) {
  emit(sup, kind, 0, 0);
  sup->out[sup->nout - 1].hook = h;
}

static const char *hook_name(sw_hook_t h) {
  return sw_enum_name(&sw_hook_names, (int)h);
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
    because(sup, "service start%s",
            sup->hook_on[SW_HOOK_PRE_START] ? "; pre_start first" : "");
  else
    because(sup, "restart %u after %llums%s", sup->last_decision.attempt,
            (unsigned long long)sup->last_decision.delay_ms,
            sup->hook_on[SW_HOOK_PRE_START] ? "; pre_start first" : "");
  if (sup->hook_on[SW_HOOK_PRE_START]) {
    sup->state = SW_ST_PRE_START;
    emit_hook(sup, SW_CMD_RUN_HOOK, SW_HOOK_PRE_START);
    return;
  }
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
  if (sup->hook_on[SW_HOOK_POST_START])
    emit_hook(sup, SW_CMD_RUN_HOOK, SW_HOOK_POST_START);
}

/* Carry out decision d, taken at an exit (or a failed start): the next
 * state, its timer, or the end of the service. */
static void apply(sw_sup_t *sup, const sw_decision_t *d,
                  sw_restart_reason_t reason, bool crash, uint64_t wall_ms) {
  switch (d->kind) {
  case SW_DECIDE_RESTART:
    sup->state = SW_ST_BACKOFF;
    sup->next_restart_wall_ms = wall_ms + d->delay_ms;
    sup->restarts_by[reason]++;
    because(sup, "%s exit; policy %s restarts in %llums (restart %u)",
            sw_exit_class_name(d->cls),
            sw_restart_policy_name(sup->restart->policy),
            (unsigned long long)d->delay_ms, d->attempt);
    emit(sup, SW_CMD_ARM_TIMER, 0, d->delay_ms);
    if (crash) emit_event(sup, SW_EVT_CRASHED, SW_EVT_WARNING);
    return;
  case SW_DECIDE_STOP:
    sup->state = SW_ST_STOPPED;
    sup->exit_code = 0;
    break;
  case SW_DECIDE_FAIL:
    sup->state = SW_ST_FAILED;
    /* The child's own code, so SCM recovery and scripts see it; a crash
     * by signal (POSIX) has no code: report 128 + signal like a shell. */
    sup->exit_code = sup->last_exit.signal ? 128 + sup->last_exit.signal
                                           : (int)sup->last_exit.code;
    if (sup->exit_code == 0)
      sup->exit_code = 1; /* never report failure as success */
    break;
  }
  switch (d->why) {
  case SW_WHY_STOPPED:
    because(sup, "child exited after the stop request");
    break;
  case SW_WHY_POLICY:
    because(sup, "%s exit; policy %s does not restart it",
            sw_exit_class_name(d->cls),
            sw_restart_policy_name(sup->restart->policy));
    break;
  case SW_WHY_PREVENTED:
    because(sup, "%s exit with code %u, listed in prevent_exit_codes",
            sw_exit_class_name(d->cls), sup->last_exit.code);
    break;
  case SW_WHY_GIVE_UP:
    because(sup, "%s exit; giving up: %u starts within %llums (burst %u)",
            sw_exit_class_name(d->cls), sup->restart->burst,
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
  if (crash) emit_event(sup, SW_EVT_CRASHED, SW_EVT_WARNING);
  emit(sup, SW_CMD_FINISH, 0, 0);
}

static sw_restart_reason_t reason_of(sw_exit_class_t cls) {
  switch (cls) {
  case SW_CLASS_SUCCESS:
    return SW_REASON_SUCCESS;
  case SW_CLASS_ABNORMAL:
    return SW_REASON_ABNORMAL;
  case SW_CLASS_WATCHDOG:
    return SW_REASON_WATCHDOG;
  case SW_CLASS_UNHEALTHY:
    return SW_REASON_UNHEALTHY;
  case SW_CLASS_TIMEOUT:
    return SW_REASON_READY_TIMEOUT;
  default:
    return SW_REASON_FAILURE;
  }
}

/* Take the policy's decision on an exit (or a failed start). A child that
 * ran (ran: not a failed spawn or pre_start) gets its post_stop hook
 * first when one is configured, and the decision waits for it. */
static void decide(sw_sup_t *sup, const sw_input_t *in, bool stopping, bool ran,
                   sw_restart_reason_t reason) {
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
  if (ran && reason != SW_REASON_SPAWN_FAILED) reason = reason_of(d.cls);
  if (ran && sup->hook_on[SW_HOOK_POST_STOP]) {
    sup->state = SW_ST_POST_STOP;
    sup->pending = d;
    sup->pending_reason = reason;
    sup->pending_crashed = crashed(in, &d);
    because(sup, "%s exit; post_stop first", sw_exit_class_name(d.cls));
    emit_hook(sup, SW_CMD_RUN_HOOK, SW_HOOK_POST_STOP);
    return;
  }
  apply(sup, &d, reason, crashed(in, &d), in->wall_ms);
}

static void act_exited(sw_sup_t *sup, const sw_input_t *in) {
  bool ran = in->ev == SW_EV_EXIT;

  decide(sup, in, false, ran, ran ? SW_REASON_FAILURE : SW_REASON_SPAWN_FAILED);
}

static void act_stopped(sw_sup_t *sup, const sw_input_t *in) {
  decide(sup, in, true, true, SW_REASON_FAILURE);
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
 * policy decide on its exit as one of class in->cls. (A restart, not a
 * stop: pre_stop does not run; post_stop does, after the exit.) */
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

/* ---- hooks ------------------------------------------------------------ */

/* RUNNING + STOP: pre_stop first when there is one (not for a forced
 * stop, which goes straight to terminate). */
static void act_request_stop(sw_sup_t *sup, const sw_input_t *in) {
  if (!in->force && sup->hook_on[SW_HOOK_PRE_STOP]) {
    sup->state = SW_ST_PRE_STOP;
    because(sup, "stop requested; pre_stop first");
    emit_hook(sup, SW_CMD_RUN_HOOK, SW_HOOK_PRE_STOP);
    return;
  }
  act_stop(sup, in);
}

/* PRE_STOP + STOP: a second request ends pre_stop and terminates. */
static void act_pre_stop_force(sw_sup_t *sup, const sw_input_t *in) {
  if (!in->force) return;
  emit_hook(sup, SW_CMD_KILL_HOOK, SW_HOOK_PRE_STOP);
  act_stop(sup, in);
}

/* PRE_STOP + HOOK_DONE: whatever pre_stop did, the ladder runs. */
static void act_pre_stop_done(sw_sup_t *sup, const sw_input_t *in) {
  sw_input_t go = *in;

  if (in->hook != SW_HOOK_PRE_STOP) return; /* post_start's end */
  go.force = false;
  act_stop(sup, &go);
}

/* PRE_STOP + EXIT: the child went by itself while pre_stop ran; it was
 * asked to stop, so this is the stop. */
static void act_pre_stop_exit(sw_sup_t *sup, const sw_input_t *in) {
  emit_hook(sup, SW_CMD_KILL_HOOK, SW_HOOK_PRE_STOP);
  decide(sup, in, true, true, SW_REASON_FAILURE);
}

/* The effective code of a failed hook. */
static uint32_t hook_code(const sw_input_t *in) {
  if (in->timed_out) return SW_SUP_HOOK_TIMEOUT_CODE;
  if (in->signal != 0) return 128u + (uint32_t)in->signal;
  return in->code;
}

static bool hook_ok(const sw_input_t *in) {
  return !in->timed_out && in->signal == 0 && in->code == 0;
}

/* PRE_START + HOOK_DONE: start the child, or count a failed start. */
static void act_pre_start_done(sw_sup_t *sup, const sw_input_t *in) {
  sw_input_t failed = *in;

  if (in->hook != SW_HOOK_PRE_START) return;
  if (sup->stop_after_hook) {
    sup->stop_after_hook = false;
    sup->state = SW_ST_STOPPED;
    sup->exit_code = 0;
    because(sup, "stop requested while pre_start ran; the child never started");
    emit_event(sup, SW_EVT_STOPPED, SW_EVT_INFO);
    emit(sup, SW_CMD_FINISH, 0, 0);
    return;
  }
  if (hook_ok(in)) {
    sup->state = SW_ST_STARTING;
    because(sup, "pre_start succeeded; starting the child");
    emit(sup, SW_CMD_SPAWN, 0, 0);
    return;
  }
  /* Like a spawn failure: the restart policy decides on the hook's code
   * (a failure: never 0, never a crash of the child). */
  failed.code = hook_code(in);
  if (failed.code == 0) failed.code = 1;
  failed.signal = 0;
  decide(sup, &failed, false, false, SW_REASON_PRE_START_FAILED);
}

/* PRE_START or POST_STOP + STOP: the hook may finish (within [hooks]
 * timeout), then the service stops; a second request ends it now. */
static void act_stop_after_hook(sw_sup_t *sup, const sw_input_t *in) {
  sup->stop_after_hook = true;
  because(sup, "stop requested; waiting for %s",
          hook_name(sup->state == SW_ST_PRE_START ? SW_HOOK_PRE_START
                                                  : SW_HOOK_POST_STOP));
  if (in->force)
    emit_hook(
        sup, SW_CMD_KILL_HOOK,
        sup->state == SW_ST_PRE_START ? SW_HOOK_PRE_START : SW_HOOK_POST_STOP);
}

/* POST_STOP + HOOK_DONE: what was decided at the exit happens now. */
static void act_post_stop_done(sw_sup_t *sup, const sw_input_t *in) {
  if (in->hook != SW_HOOK_POST_STOP) return;
  if (sup->stop_after_hook && sup->pending.kind == SW_DECIDE_RESTART) {
    sup->stop_after_hook = false;
    sup->state = SW_ST_STOPPED;
    sup->exit_code = 0;
    because(sup, "stop requested while post_stop ran; not restarting");
    emit_event(sup, SW_EVT_STOPPED, SW_EVT_INFO);
    if (sup->pending_crashed) emit_event(sup, SW_EVT_CRASHED, SW_EVT_WARNING);
    emit(sup, SW_CMD_FINISH, 0, 0);
    return;
  }
  sup->stop_after_hook = false;
  apply(sup, &sup->pending, sup->pending_reason, sup->pending_crashed,
        in->wall_ms);
}

static void act_bug(sw_sup_t *sup, const sw_input_t *in) {
  (void)sup;
  (void)in;
  assert(!"event not valid in this state");
}

/* clang-format off */
static action_fn *const actions[SW_ST__COUNT][SW_EV__COUNT] = {
  /*                  START      SPAWNED      SPAWN_FAILED EXIT               TIMER          STOP                 STEP_FAILED    UNHEALTHY        HOOK_DONE */
  [SW_ST_STARTING]  = {act_nop,  act_spawned, act_exited,  act_bug,           act_nop,       act_nop,             act_nop,       act_nop,         act_nop},
  [SW_ST_RUNNING]   = {act_nop,  act_bug,     act_bug,     act_exited,        act_nop,       act_request_stop,    act_nop,       act_health_stop, act_nop},
  [SW_ST_BACKOFF]   = {act_nop,  act_bug,     act_bug,     act_bug,           act_spawn,     act_cancel,          act_nop,       act_nop,         act_nop},
  [SW_ST_STOPPING]  = {act_nop,  act_bug,     act_bug,     act_stopped,       act_next_step, act_force,           act_next_step, act_nop,         act_nop},
  [SW_ST_STOPPED]   = {act_spawn,act_bug,     act_bug,     act_bug,           act_nop,       act_nop,             act_nop,       act_nop,         act_nop},
  [SW_ST_FAILED]    = {act_nop,  act_bug,     act_bug,     act_bug,           act_nop,       act_nop,             act_nop,       act_nop,         act_nop},
  [SW_ST_PRE_START] = {act_nop,  act_bug,     act_bug,     act_bug,           act_nop,       act_stop_after_hook, act_nop,       act_nop,         act_pre_start_done},
  [SW_ST_PRE_STOP]  = {act_nop,  act_bug,     act_bug,     act_pre_stop_exit, act_nop,       act_pre_stop_force,  act_nop,       act_nop,         act_pre_stop_done},
  [SW_ST_POST_STOP] = {act_nop,  act_bug,     act_bug,     act_bug,           act_nop,       act_stop_after_hook, act_nop,       act_nop,         act_post_stop_done},
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

void sw_sup_set_hooks(sw_sup_t *sup, const bool on[SW_HOOK__COUNT],
                      uint64_t timeout_ms) {
  memcpy(sup->hook_on, on, sizeof(sup->hook_on));
  sup->hook_timeout_ms = timeout_ms;
}

uint64_t sw_sup_stop_remaining_ms(const sw_sup_t *sup) {
  /* A hook may take its timeout, then terminate's wait to die. */
  uint64_t hook = sup->hook_timeout_ms + sup->terminate_wait_ms;
  uint64_t ms = sup->terminate_wait_ms;
  unsigned i;

  if (sup->state == SW_ST_POST_STOP || sup->state == SW_ST_PRE_START)
    return hook;
  for (i = sup->state == SW_ST_STOPPING ? sup->step : 0;
       i < sup->stop->n_methods; i++)
    if (sup->stop->methods[i] != SW_STOP_TERMINATE) ms += sup->stop->timeout_ms;
  if (sup->state != SW_ST_STOPPING && sup->hook_on[SW_HOOK_PRE_STOP])
    ms += hook;
  if (sup->hook_on[SW_HOOK_POST_STOP]) ms += hook;
  return ms;
}

bool sw_sup_is_final(const sw_sup_t *sup) {
  return sup->state == SW_ST_STOPPED || sup->state == SW_ST_FAILED;
}

bool sw_sup_is_stopping(const sw_sup_t *sup) {
  switch (sup->state) {
  case SW_ST_PRE_STOP:
    return true;
  case SW_ST_STOPPING:
    return !sup->health_stop;
  case SW_ST_PRE_START:
    return sup->stop_after_hook;
  case SW_ST_POST_STOP:
    return sup->stop_after_hook || sup->pending.kind != SW_DECIDE_RESTART;
  default:
    return false;
  }
}

const char *sw_restart_reason_name(sw_restart_reason_t r) {
  static const char *const names[SW_REASON__COUNT] = {
      SW_RESTART_REASONS(SW_REASON_NAME)};

  return (unsigned)r < SW_REASON__COUNT ? names[r] : "?";
}

const char *sw_state_name(sw_state_t st) {
  static const char *const names[SW_ST__COUNT] = {
      "starting", "running",   "backoff",  "stopping", "stopped",
      "failed",   "pre-start", "pre-stop", "post-stop"};

  return (unsigned)st < SW_ST__COUNT ? names[st] : "?";
}

const char *sw_event_name(sw_event_t ev) {
  static const char *const names[SW_EV__COUNT] = {
      "start", "spawned",     "spawn-failed", "exit",     "timer",
      "stop",  "step-failed", "unhealthy",    "hook-done"};

  return (unsigned)ev < SW_EV__COUNT ? names[ev] : "?";
}
