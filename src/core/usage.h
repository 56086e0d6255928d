/* SPDX-License-Identifier: MIT */
/*
 * [health] resource limits as rules: when the tree's memory is above
 * memory_max, and when its CPU use stayed above cpu_max across cpu_window
 * (the seed's "CPU above 90 % for three checks in a row"). Pure: samples
 * come in as arguments; src/app/health_limits.c takes them.
 */
#ifndef SW_CORE_USAGE_H
#define SW_CORE_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CPU rule's memory between samples. Zero it (or sw_cpu_rule_reset)
 * at each start of the child. */
typedef struct {
  bool has_last;        /* last_* hold the previous sample */
  uint64_t last_ms;     /* its monotonic time */
  uint64_t last_cpu_us; /* the tree's CPU time then (user + system) */
  bool above;           /* every interval since above_since_ms was above */
  uint64_t above_since_ms;
  double pct; /* the last interval's use, % of one CPU; < 0 before one */
} sw_cpu_rule_t;

void sw_cpu_rule_reset(sw_cpu_rule_t *r);

/*
 * Feed one sample: at monotonic now_ms the tree had used cpu_us of CPU in
 * all (user + system, summed over its processes). The use over the
 * interval since the previous sample is 100 * dcpu / dt percent of one
 * CPU (so a tree may use 400 % on four cores, as in top and systemd's
 * CPUQuota=). Returns true when every interval of the last window_ms was
 * above max_pct, i.e. the use was sustained above it across the whole
 * window; then the streak starts again (one verdict per window). An
 * interval where the total went down (a process of the tree ended and
 * took its time with it) proves nothing and ends the streak.
 */
bool sw_cpu_rule_sample(sw_cpu_rule_t *r, uint64_t now_ms, uint64_t cpu_us,
                        unsigned max_pct, uint64_t window_ms);

/* How often to sample for a window: a tenth of it, within 100..1000 ms. */
uint64_t sw_cpu_sample_period_ms(uint64_t window_ms);

/* Whether a tree using `bytes` is above the limit (0: no limit). */
bool sw_memory_over(uint64_t bytes, uint64_t max_bytes);

/*
 * The cgroup v2 group of a process from the text of /proc/<pid>/cgroup:
 * the path of its "0::" line ("/user.slice/svc", "/" for the root) into
 * out[len]. Returns false when there is none (a v1-only host, or a
 * hybrid one without the unified line) or it does not fit.
 */
bool sw_cgroup_v2_path(const char *proc_cgroup, char *out, size_t len);

/* The "max N" count of a cgroup v2 memory.events text (how often the
 * group hit memory.max), or -1 when the line is missing. */
long long sw_cgroup_events_max(const char *memory_events);

/* bytes as a short figure ("312.4 MiB", "100.0 MiB", "512 KiB") into
 * buf[len]; returns buf. */
const char *sw_usage_format_bytes(uint64_t bytes, char *buf, unsigned len);

#endif
