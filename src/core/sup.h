/* SPDX-License-Identifier: MIT */
/*
 * The supervisor as a pure state machine: (state, event, time) -> new
 * state + commands. It performs nothing; src/app/run.c executes the
 * commands through the platform layer and feeds the results back as
 * events. No I/O, no clock, no allocation.
 */
#ifndef SW_CORE_SUP_H
#define SW_CORE_SUP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/policy.h"

typedef enum {
  SW_ST_STARTING,  /* spawning the child */
  SW_ST_RUNNING,   /* the child runs */
  SW_ST_BACKOFF,   /* waiting to restart */
  SW_ST_STOPPING,  /* running the stop ladder */
  SW_ST_STOPPED,   /* ended successfully (final) */
  SW_ST_FAILED,    /* ended failed (final) */
  SW_ST_PRE_START, /* the pre_start hook runs; the child starts after it */
  SW_ST_PRE_STOP,  /* a stop was asked for: the pre_stop hook runs first,
                      the child still runs */
  SW_ST_POST_STOP, /* the child ended: the post_stop hook runs, then the
                      decision taken at the exit applies */
  SW_ST__COUNT
} sw_state_t;

typedef enum {
  SW_EV_START,        /* the service starts */
  SW_EV_SPAWNED,      /* the child runs: pid */
  SW_EV_SPAWN_FAILED, /* could not start the child: code */
  SW_EV_EXIT,         /* the child exited: code, signal */
  SW_EV_TIMER,        /* the armed timer fired */
  SW_EV_STOP,         /* stop requested (force: go straight to terminate) */
  SW_EV_STEP_FAILED,  /* the current stop method could not be delivered */
  SW_EV_UNHEALTHY,    /* a health check failed: cls, why (restart it) */
  SW_EV_HOOK_DONE,    /* a hook ended: hook, code, signal, timed_out */
  SW_EV__COUNT
} sw_event_t;

typedef struct {
  sw_event_t ev;
  uint64_t now_ms;  /* monotonic milliseconds */
  uint64_t wall_ms; /* Unix epoch milliseconds, for status only */
  int pid;          /* SW_EV_SPAWNED */
  uint32_t code;    /* SW_EV_EXIT, SW_EV_SPAWN_FAILED */
  int signal;       /* SW_EV_EXIT (POSIX) */
  bool force;       /* SW_EV_STOP: a second request skips to terminate */
  /* SW_EV_UNHEALTHY: the exit class the child's exit will have
   * (SW_CLASS_WATCHDOG, _UNHEALTHY or _TIMEOUT) and what failed, for the
   * log ("no WATCHDOG=1 within 5000ms"); copied, not kept. */
  sw_exit_class_t cls;
  const char *why;
  sw_hook_t hook; /* SW_EV_HOOK_DONE: which one (code, signal too) */
  bool timed_out; /* SW_EV_HOOK_DONE: killed at [hooks] timeout; also set
                     when it could not be started at all */
} sw_input_t;

/* The system event log's entries (texts: core/events.c). */
typedef enum {
  SW_EVT_STARTED, /* the child runs (first start of the service) */
  SW_EVT_STOPPED, /* the service ended successfully */
  SW_EVT_FAILED,  /* the service ended failed (give-up, policy) */
  SW_EVT_CRASHED  /* the child exited abnormally or with a failure */
} sw_evt_t;

/* An entry's severity (Windows: the Event Log's type). */
typedef enum { SW_EVT_INFO, SW_EVT_WARNING, SW_EVT_ERROR } sw_evt_level_t;

typedef enum {
  SW_CMD_SPAWN,        /* start the child */
  SW_CMD_SEND_STOP,    /* deliver method; on failure feed SW_EV_STEP_FAILED */
  SW_CMD_ARM_TIMER,    /* (re)arm the one timer: ms */
  SW_CMD_CANCEL_TIMER, /* disarm it */
  SW_CMD_ABANDON,      /* even terminate did not end the child (pid in
                          sw_sup_t.unkillable_pid): log it and release it,
                          so nothing of it keeps the loop alive */
  SW_CMD_EVENT_LOG,    /* write entry evt at level to the system's event
                          log, from the state after the step (a CRASHED
                          entry: the child's last lines go to the wrapper
                          log first) */
  SW_CMD_FINISH,       /* the service ended: see sw_sup_t.state/exit_code */
  SW_CMD_RUN_HOOK,     /* start hook `hook` (the executor enforces [hooks]
                          timeout); its end is fed as SW_EV_HOOK_DONE, at
                          once if it cannot start */
  SW_CMD_KILL_HOOK     /* end hook `hook`'s tree now, if it runs (its
                          SW_EV_HOOK_DONE still follows) */
} sw_cmd_kind_t;

typedef struct {
  sw_cmd_kind_t kind;
  sw_stop_method_t method; /* SW_CMD_SEND_STOP */
  uint64_t ms;             /* SW_CMD_ARM_TIMER */
  sw_evt_t evt;            /* SW_CMD_EVENT_LOG */
  sw_evt_level_t level;    /* SW_CMD_EVENT_LOG */
  sw_hook_t hook;          /* SW_CMD_RUN_HOOK, SW_CMD_KILL_HOOK */
} sw_cmd_t;

/* Why a restart was decided: the label of restarts_total in the metrics
 * (the exit's class, or what failed before the child ran). */
#define SW_RESTART_REASONS(X)                                                  \
  X(SW_REASON_FAILURE, "failure")                                              \
  X(SW_REASON_ABNORMAL, "abnormal")                                            \
  X(SW_REASON_SUCCESS, "success")                                              \
  X(SW_REASON_WATCHDOG, "watchdog")                                            \
  X(SW_REASON_UNHEALTHY, "unhealthy")                                          \
  X(SW_REASON_READY_TIMEOUT, "ready-timeout")                                  \
  X(SW_REASON_SPAWN_FAILED, "spawn-failed")                                    \
  X(SW_REASON_PRE_START_FAILED, "pre-start-failed")

typedef enum {
  SW_RESTART_REASONS(SW_ENUM_ID) SW_REASON__COUNT
} sw_restart_reason_t;

/* The code a failed pre_start is recorded with when it has none of its
 * own: timed out (as GNU timeout(1) exits), or 128 + signal. */
#define SW_SUP_HOOK_TIMEOUT_CODE 124

/*
 * A step emits at most SW_SUP_MAX_CMDS commands (the most: an unkillable
 * child's cancel, abandon, failed entry and finish; or a final failed exit's
 * cancel, failed entry, crashed entry and finish; 5 leaves room for a
 * killed pre_stop hook beside those), and at most one of them
 * (SW_CMD_SPAWN, SW_CMD_SEND_STOP or SW_CMD_RUN_HOOK) makes the executor feed
 * an event back (its result), so an executor that queues those needs room for
 * one event per step in progress; tests/unit/test_sup.c checks both bounds on
 * every cell of the table.
 */
#define SW_SUP_MAX_CMDS    5
#define SW_SUP_MAX_FEEDING 1

/*
 * The service's exit code when the child could not be ended even by
 * terminate (a process in uninterruptible sleep, a kill refused): bit 29,
 * which Windows reserves for application-defined codes, so it is neither
 * a system error code nor an NTSTATUS. Windows reports it as the
 * service-specific exit code (536870913); POSIX `run` exits with status 1.
 */
#define SW_SUP_EXIT_UNKILLABLE 0x20000001

typedef struct {
  const sw_restart_cfg_t *restart; /* borrowed */
  const sw_stop_cfg_t *stop;       /* borrowed */
  uint64_t terminate_wait_ms;      /* how long terminate may take */

  sw_state_t state;
  sw_policy_state_t policy;
  unsigned step; /* ladder step while stopping */
  /* While stopping: the ladder runs because of SW_EV_UNHEALTHY, not a stop
   * request, so the exit goes to the policy as class health_cls. */
  bool health_stop;
  sw_exit_class_t health_cls;
  int pid; /* child pid while starting/running/stopping, else 0 */
  uint64_t started_ms, started_wall_ms;
  uint64_t next_restart_wall_ms; /* while in backoff, else 0 */

  /* [hooks] (sw_sup_set_hooks): which run, and their time limit. */
  bool hook_on[SW_HOOK__COUNT];
  uint64_t hook_timeout_ms;
  bool stop_after_hook;  /* a stop came while pre_start/post_stop ran */
  sw_decision_t pending; /* SW_ST_POST_STOP: applied after the hook */
  sw_restart_reason_t pending_reason;
  bool pending_crashed; /* ... and the exit deserves a CRASHED entry */
  unsigned restarts_by[SW_REASON__COUNT]; /* restarts decided, by reason */

  bool has_exit; /* last_* are set */
  sw_exit_t last_exit;
  sw_decision_t last_decision;
  uint64_t last_exit_wall_ms;

  int exit_code;      /* after SW_CMD_FINISH in SW_ST_FAILED: the child's */
  int unkillable_pid; /* the child terminate could not end, else 0 */
  char reason[160];   /* why the last transition happened, for the log */

  sw_cmd_t out[SW_SUP_MAX_CMDS];
  unsigned nout;
} sw_sup_t;

/* Set up in SW_ST_STARTING-to-be; feed SW_EV_START to begin. */
void sw_sup_init(sw_sup_t *sup, const sw_restart_cfg_t *restart,
                 const sw_stop_cfg_t *stop, uint64_t terminate_wait_ms);

/* Which hooks are configured (indexed by sw_hook_t) and their timeout.
 * Call after sw_sup_init, before SW_EV_START; without it none runs. */
void sw_sup_set_hooks(sw_sup_t *sup, const bool on[SW_HOOK__COUNT],
                      uint64_t timeout_ms);

/* Process one event: updates sup->state and fills sup->out[0..nout). */
void sw_sup_step(sw_sup_t *sup, const sw_input_t *in);

/* Milliseconds the remaining stop ladder may still take (wait hints). */
uint64_t sw_sup_stop_remaining_ms(const sw_sup_t *sup);

bool sw_sup_is_final(const sw_sup_t *sup);
/* Whether the service is on its way down (pre_stop, the ladder of a stop
 * request, a post_stop after which it ends, a stop waiting for
 * pre_start): what the service manager is told as STOP_PENDING. A health
 * stop (a restart) is not. */
bool sw_sup_is_stopping(const sw_sup_t *sup);
const char *sw_restart_reason_name(sw_restart_reason_t r);
const char *sw_state_name(sw_state_t st);
const char *sw_event_name(sw_event_t ev);

#endif
