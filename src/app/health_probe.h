/* SPDX-License-Identifier: MIT */
/*
 * [health] probe in the loop: while the child runs, every probe_interval
 * (first after probe_start_delay) one HTTP GET, TCP connect or exec:
 * command, bounded by probe_timeout; probe_failures consecutive failures
 * report the child unhealthy (app/health.h). With no probe configured it
 * has no handle at all: an idle wrapper stays idle. Runs on: loop thread.
 */
#ifndef SW_APP_HEALTH_PROBE_H
#define SW_APP_HEALTH_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "app/health.h"
#include "core/config.h"
#include "core/probe.h"
#include "os/os.h"

typedef struct sw_probe_attempt_s sw_probe_attempt_t;

typedef struct {
  const sw_config_t *cfg; /* borrowed */
  uv_loop_t *loop;
  sw_unhealthy_fn *unhealthy;
  void *unhealthy_data;
  bool active;             /* a probe is configured: the timers exist */
  uv_timer_t next;         /* the next probe */
  uv_timer_t timeout;      /* the running probe's bound */
  sw_child_t *child;       /* while it runs, else NULL (borrowed) */
  sw_probe_attempt_t *cur; /* the probe in flight, if any */
  sw_probe_count_t count;
  uint64_t started_ms;       /* of the probe in flight */
  uint64_t first_failure_ms; /* of the current run of failures, or 0 */
  /* The last result, for status. */
  bool has_result;
  bool last_ok;
  char last_detail[160];
  uint64_t last_wall_ms;
  uint64_t last_ms_taken;
} sw_probe_run_t;

/* Set up (creates the timers only when cfg has a probe). */
void sw_probe_run_init(sw_probe_run_t *p, uv_loop_t *loop,
                       const sw_config_t *cfg, sw_unhealthy_fn *unhealthy,
                       void *data);
/* The child runs (borrowed until sw_probe_run_child_ended): probing
 * starts after probe_start_delay. */
void sw_probe_run_child_started(sw_probe_run_t *p, sw_child_t *child);
/* The child is gone: the probe in flight is abandoned, none is due. */
void sw_probe_run_child_ended(sw_probe_run_t *p);
/* Close the timers (the loop is ending). */
void sw_probe_run_close(sw_probe_run_t *p);

#endif
