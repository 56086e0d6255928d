/* SPDX-License-Identifier: MIT */
/*
 * What the health checks ([health]: readiness, watchdog, probes, limits)
 * share with run.c: how they say the child is not healthy. run.c feeds
 * SW_EV_UNHEALTHY to the state machine, which stops the child through the
 * ladder and lets the restart policy decide on its exit as one of class
 * `cls` (core/policy.h). Runs on: the loop thread.
 */
#ifndef SW_APP_HEALTH_H
#define SW_APP_HEALTH_H

#include "core/policy.h"

/* A check's verdict: cls is SW_CLASS_WATCHDOG, _UNHEALTHY or _TIMEOUT;
 * why says what failed with its figures ("memory 312 MiB above
 * memory_max 100 MiB"), for the wrapper log; it is copied. */
typedef void sw_unhealthy_fn(void *data, sw_exit_class_t cls, const char *why);

/* run.c's sw_unhealthy_fn; `data` is the run. Only a running child is
 * affected: while starting, stopping or waiting to restart it is a no-op. */
void sw_run_unhealthy(void *data, sw_exit_class_t cls, const char *why);

#endif
