/* SPDX-License-Identifier: MIT */
/*
 * The live status document (JSON, via cJSON): what `svcwrap status --json`
 * prints and what the running wrapper serves. Pure: the caller supplies
 * the time and the process facts.
 */
#ifndef SW_CORE_STATUS_H
#define SW_CORE_STATUS_H

#include <stdint.h>

#include "core/config.h"
#include "core/sbuf.h"
#include "core/sup.h"

typedef struct {
  int wrapper_pid;
  uint64_t now_ms;      /* monotonic, same clock as the supervisor's */
  uint64_t now_wall_ms; /* Unix epoch ms */
  long resources;       /* handles (Windows) or descriptors (POSIX); <0 n/a */
  const char *resources_name; /* "handles" or "open_fds" */
  uint64_t log_dropped_bytes;
  uint64_t log_split_lines; /* lines written in marked pieces */
  /* [health] ready = notify / watchdog (notify_on false: none of these) */
  bool notify_on;
  const char *status_text;      /* the child's last STATUS=, or NULL */
  bool child_stopping;          /* it sent STOPPING=1 */
  int main_pid;                 /* its MAINPID=, or 0 */
  uint64_t watchdog_ms;         /* this child's watchdog period, 0: off */
  int64_t watchdog_ping_ago_ms; /* since its last WATCHDOG=1, -1: none */
  /* [health] probe: the probe as configured (NULL: none), its last
   * result (probe_has_result), consecutive failures so far. */
  const char *probe;
  bool probe_has_result, probe_ok;
  const char *probe_detail; /* "HTTP 200", "connect: connection refused" */
  uint64_t probe_at_wall_ms, probe_took_ms;
  unsigned probe_failures;
  /* The child's tree (has_usage: known now): memory, CPU (% of one CPU,
   * < 0 not known yet), processes. */
  bool has_usage;
  uint64_t memory_bytes;
  double cpu_percent;
  unsigned tree_processes;
  /* Why the child was last restarted ("probe ... failed 3 times in a
   * row", "exit code 3 (failure)"); NULL before the first restart. */
  const char *last_restart_reason;
} sw_status_facts_t;

/* One line of JSON (no newline), heap, caller frees; NULL on OOM. */
char *sw_status_json(const sw_config_t *cfg, const sw_sup_t *sup,
                     const sw_status_facts_t *facts);

/*
 * Append the human-readable form of a status JSON document to out.
 * Returns 0, or SW_EINVAL if json is not a status document.
 */
int sw_status_format_human(const char *json, sw_sbuf_t *out);

#endif
