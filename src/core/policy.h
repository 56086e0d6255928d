/* SPDX-License-Identifier: MIT */
/*
 * The restart policy engine. Pure: the child's exits and the time come in
 * as arguments, decisions come out; no clock, no I/O, no allocation.
 * Semantics follow systemd where names match (Restart=, RestartSec=,
 * RestartSteps=, RestartMaxDelaySec=, StartLimitBurst=,
 * StartLimitIntervalSec=, SuccessExitStatus=, RestartPreventExitStatus=);
 * docs/configuration.md has the rules in prose.
 */
#ifndef SW_CORE_POLICY_H
#define SW_CORE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

typedef enum {
  SW_CLASS_CLEAN_STOP, /* during a stop the wrapper asked for, any code */
  SW_CLASS_SUCCESS,    /* code in success_exit_codes */
  SW_CLASS_FAILURE,    /* any other code */
  SW_CLASS_ABNORMAL,   /* a crash: a signal, or an NTSTATUS error code */
  /* The wrapper stopped the child because it was not healthy (any exit
   * code then): */
  SW_CLASS_WATCHDOG,  /* no WATCHDOG=1 within the watchdog period */
  SW_CLASS_UNHEALTHY, /* a probe or a resource limit ([health]) */
  SW_CLASS_TIMEOUT    /* no READY=1 within ready_timeout */
} sw_exit_class_t;

/* One exit of the child, as the backend saw it. */
typedef struct {
  uint64_t started_ms; /* monotonic time the run started */
  uint64_t at_ms;      /* monotonic time of the exit; >= started_ms */
  uint32_t code;       /* exit code (Windows: the DWORD; POSIX: 0..255) */
  int signal;          /* POSIX: the terminating signal; 0 if none */
  bool stop_requested; /* the wrapper had asked the child to stop */
  /* The wrapper stopped the child for its health: the exit is of class
   * `health_cls` (SW_CLASS_WATCHDOG, _UNHEALTHY or _TIMEOUT) whatever its
   * code; a stop request (stop_requested) still wins. */
  bool health_stop;
  sw_exit_class_t health_cls;
} sw_exit_t;

typedef enum {
  SW_DECIDE_RESTART, /* start again after delay_ms */
  SW_DECIDE_STOP,    /* the service ends successfully */
  SW_DECIDE_FAIL     /* the service ends failed (exit code = the child's) */
} sw_decision_kind_t;

typedef enum {
  SW_WHY_RESTART,   /* the policy restarts this class */
  SW_WHY_STOPPED,   /* the wrapper stopped the child */
  SW_WHY_POLICY,    /* the policy does not restart this class */
  SW_WHY_PREVENTED, /* the code is in prevent_exit_codes */
  SW_WHY_GIVE_UP    /* more than burst starts within interval */
} sw_decision_why_t;

typedef struct {
  sw_decision_kind_t kind;
  sw_decision_why_t why;
  sw_exit_class_t cls;
  uint64_t delay_ms; /* SW_DECIDE_RESTART only */
  unsigned attempt;  /* restart number since the last reset, 1-based */
  bool was_reset;    /* the run was long enough to reset the backoff */
} sw_decision_t;

/* Counters between exits. Initialise with sw_policy_init(). */
typedef struct {
  unsigned attempts;       /* restarts since the last reset: backoff step */
  unsigned total_restarts; /* since the wrapper started */
  uint64_t starts[SW_MAX_BURST]; /* ring of recent start times */
  unsigned n_starts;             /* valid entries, at most burst */
  unsigned next;                 /* ring position of the next write */
} sw_policy_state_t;

void sw_policy_init(sw_policy_state_t *st);

/* Record that the child started at at_ms (every start, the first too). */
void sw_policy_record_start(const sw_restart_cfg_t *cfg, sw_policy_state_t *st,
                            uint64_t at_ms);

/* Classify an exit (see sw_exit_class_t). */
sw_exit_class_t sw_policy_classify(const sw_restart_cfg_t *cfg,
                                   const sw_exit_t *ex);

/* Whether `policy` restarts after an exit of class `cls`. */
bool sw_policy_restarts(sw_restart_policy_t policy, sw_exit_class_t cls);

/* The delay before restart number `attempt` (1-based): delay_ms growing
 * exponentially to max_delay_ms over `steps` restarts, then max_delay_ms. */
uint64_t sw_policy_backoff_ms(const sw_restart_cfg_t *cfg, unsigned attempt);

/* Decide what follows exit *ex; updates *st. */
sw_decision_t sw_policy_decide(const sw_restart_cfg_t *cfg,
                               sw_policy_state_t *st, const sw_exit_t *ex);

const char *sw_exit_class_name(sw_exit_class_t cls);

#endif
