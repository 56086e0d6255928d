/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format (version 0.0.4) of one service's
 * metrics, built from the state machine and a few facts the shell
 * measures. Pure: no I/O, no clock (time comes in the facts). Served and
 * written by src/app/metrics.c.
 */
#ifndef SW_CORE_METRICS_H
#define SW_CORE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sup.h"

/* The Content-Type of the text built here. */
#define SW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct {
  uint64_t now_ms;                /* monotonic, as sup's times */
  uint64_t now_wall_ms;           /* Unix epoch ms */
  uint64_t wrapper_start_wall_ms; /* when the wrapper started */
  uint64_t log_bytes;             /* child output read for its logs */
  uint64_t log_dropped_bytes;     /* of it, lost (exact) */
  /*
   * Measured by the [health] code (tree memory/CPU, probes) when it
   * exists; until something sets has_*, the metric is left out rather
   * than shown as 0.
   */
  bool has_tree_memory;
  uint64_t tree_memory_bytes;
  bool has_tree_cpu;
  uint64_t tree_cpu_ms;
  bool has_probe_failures;
  uint64_t probe_failures;
} sw_metrics_facts_t;

/*
 * The metrics of service `name` (each labelled service="<name>") as a heap
 * string in *out, the caller frees. Returns 0 or SW_ENOMEM.
 * Runs on: any thread.
 */
int sw_metrics_text(const char *name, const sw_sup_t *sup,
                    const sw_metrics_facts_t *f, char **out);

#endif
