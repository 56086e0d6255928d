/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text format 0.0.4: "# HELP", "# TYPE", then one sample per
 * line, label values escaped (backslash, double quote, newline). Metric
 * names are svcwrap_*; every sample carries service="<name>". Builds text
 * only; never measures anything.
 */
#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sbuf.h"

static void escaped(sw_sbuf_t *b, const char *v) {
  for (; *v != '\0'; v++) {
    if (*v == '\\')
      sw_sbuf_puts(b, "\\\\");
    else if (*v == '"')
      sw_sbuf_puts(b, "\\\"");
    else if (*v == '\n')
      sw_sbuf_puts(b, "\\n");
    else
      sw_sbuf_put(b, v, 1);
  }
}

static void family(sw_sbuf_t *b, const char *metric, const char *type,
                   const char *help) {
  sw_sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

/* metric{service="name"[,label="value"]} */
static void sample_head(sw_sbuf_t *b, const char *metric, const char *name,
                        const char *label, const char *value) {
  sw_sbuf_printf(b, "%s{service=\"", metric);
  escaped(b, name);
  sw_sbuf_puts(b, "\"");
  if (label != NULL) {
    sw_sbuf_printf(b, ",%s=\"", label);
    escaped(b, value != NULL ? value : "");
    sw_sbuf_puts(b, "\"");
  }
  sw_sbuf_puts(b, "} ");
}

static void sample_u(sw_sbuf_t *b, const char *metric, const char *name,
                     const char *label, const char *value, uint64_t v) {
  sample_head(b, metric, name, label, value);
  sw_sbuf_printf(b, "%llu\n", (unsigned long long)v);
}

/* Milliseconds as seconds with three decimals (exact, no float). */
static void sample_ms(sw_sbuf_t *b, const char *metric, const char *name,
                      uint64_t ms) {
  sample_head(b, metric, name, NULL, NULL);
  sw_sbuf_printf(b, "%llu.%03u\n", (unsigned long long)(ms / 1000),
                 (unsigned)(ms % 1000));
}

int sw_metrics_text(const char *name, const sw_sup_t *sup,
                    const sw_metrics_facts_t *f, char **out) {
  sw_sbuf_t b = SW_SBUF_INIT;
  bool child = sup->pid != 0;
  unsigned i;

  family(&b, "svcwrap_up", "gauge",
         "1 while the child runs and no stop is under way, else 0.");
  sample_u(&b, "svcwrap_up", name, NULL, NULL, sup->state == SW_ST_RUNNING);

  family(&b, "svcwrap_state", "gauge",
         "1 for the supervisor's current state, 0 for the others.");
  for (i = 0; i < SW_ST__COUNT; i++)
    sample_u(&b, "svcwrap_state", name, "state", sw_state_name((sw_state_t)i),
             sup->state == (sw_state_t)i);

  family(&b, "svcwrap_restarts_total", "counter",
         "Restarts decided since the wrapper started, by reason.");
  for (i = 0; i < SW_REASON__COUNT; i++)
    sample_u(&b, "svcwrap_restarts_total", name, "reason",
             sw_restart_reason_name((sw_restart_reason_t)i),
             sup->restarts_by[i]);

  if (sup->has_exit) {
    family(&b, "svcwrap_last_exit_code", "gauge",
           "Exit code of the last exit (128 + signal for a signal).");
    sample_u(&b, "svcwrap_last_exit_code", name, NULL, NULL,
             sup->last_exit.signal ? 128u + (unsigned)sup->last_exit.signal
                                   : sup->last_exit.code);
  }

  if (child) {
    family(&b, "svcwrap_child_start_time_seconds", "gauge",
           "When the current child started, Unix time.");
    sample_ms(&b, "svcwrap_child_start_time_seconds", name,
              sup->started_wall_ms);
  }
  family(&b, "svcwrap_uptime_seconds", "gauge",
         "How long the current child has run; 0 while none runs.");
  sample_ms(
      &b, "svcwrap_uptime_seconds", name,
      child && f->now_ms >= sup->started_ms ? f->now_ms - sup->started_ms : 0);

  family(&b, "svcwrap_wrapper_start_time_seconds", "gauge",
         "When the wrapper started, Unix time.");
  sample_ms(&b, "svcwrap_wrapper_start_time_seconds", name,
            f->wrapper_start_wall_ms);

  family(&b, "svcwrap_log_bytes_total", "counter",
         "Bytes of the child's output read for its log files.");
  sample_u(&b, "svcwrap_log_bytes_total", name, NULL, NULL, f->log_bytes);
  family(&b, "svcwrap_log_dropped_bytes_total", "counter",
         "Bytes of the child's output lost before reaching the log files.");
  sample_u(&b, "svcwrap_log_dropped_bytes_total", name, NULL, NULL,
           f->log_dropped_bytes);

  if (f->has_tree_memory) {
    family(&b, "svcwrap_tree_memory_bytes", "gauge",
           "Memory of the child's whole process tree.");
    sample_u(&b, "svcwrap_tree_memory_bytes", name, NULL, NULL,
             f->tree_memory_bytes);
  }
  if (f->has_tree_cpu) {
    family(&b, "svcwrap_tree_cpu_seconds_total", "counter",
           "CPU time of the child's whole process tree.");
    sample_ms(&b, "svcwrap_tree_cpu_seconds_total", name, f->tree_cpu_ms);
  }
  if (f->has_probe_failures) {
    family(&b, "svcwrap_probe_failures_total", "counter",
           "Health probes that failed.");
    sample_u(&b, "svcwrap_probe_failures_total", name, NULL, NULL,
             f->probe_failures);
  }
  *out = sw_sbuf_take(&b);
  return *out != NULL ? 0 : SW_ENOMEM;
}
