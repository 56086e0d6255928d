/* SPDX-License-Identifier: MIT */
/*
 * [health] memory_max and cpu_max in the loop. memory_max is held by the
 * OS where it can (os.h sw_os_child_memory_limit), else the tree's usage
 * is sampled; cpu_max is always sampled, over cpu_window (core/usage.h).
 * A limit crossed reports the child unhealthy (app/health.h). With
 * neither key set it has no handle and samples nothing. Runs on: loop
 * thread.
 */
#ifndef SW_APP_HEALTH_LIMITS_H
#define SW_APP_HEALTH_LIMITS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "app/health.h"
#include "core/config.h"
#include "core/usage.h"
#include "os/os.h"

typedef struct {
  const sw_config_t *cfg; /* borrowed */
  sw_unhealthy_fn *unhealthy;
  void *unhealthy_data;
  bool active;        /* a limit is set: the timer exists */
  bool sample_memory; /* the OS does not hold memory_max: sample it */
  bool said_fallback; /* the reason was logged (once per run) */
  uv_timer_t timer;
  uint64_t period_ms;
  sw_child_t *child; /* while it runs (borrowed) */
  bool tripped;      /* a verdict was given for this child */
  sw_cpu_rule_t cpu;
  /* The last sample, for status. */
  bool has_sample;
  sw_tree_usage_t last;
} sw_limits_t;

void sw_limits_init(sw_limits_t *l, uv_loop_t *loop, const sw_config_t *cfg,
                    sw_unhealthy_fn *unhealthy, void *data);
void sw_limits_child_started(sw_limits_t *l, sw_child_t *child);
void sw_limits_child_ended(sw_limits_t *l);
void sw_limits_close(sw_limits_t *l);

/* The tree's usage for status: the last sample when sampling, else read
 * now; false when there is no child or it cannot be read. *cpu_pct is the
 * last interval's use when cpu_max is set, else the average since the
 * child started at monotonic child_started_ms (% of one CPU; < 0 when not
 * known yet). */
bool sw_limits_usage(sw_limits_t *l, sw_child_t *child,
                     uint64_t child_started_ms, sw_tree_usage_t *u,
                     double *cpu_pct);

#endif
