/* SPDX-License-Identifier: MIT */
/* [health] resource limits: the CPU window rule and the memory check. */
#include "core/usage.h"

#include <stdio.h>
#include <string.h>

void sw_cpu_rule_reset(sw_cpu_rule_t *r) {
  memset(r, 0, sizeof(*r));
  r->pct = -1;
}

bool sw_cpu_rule_sample(sw_cpu_rule_t *r, uint64_t now_ms, uint64_t cpu_us,
                        unsigned max_pct, uint64_t window_ms) {
  uint64_t dt, dcpu;
  bool was = r->has_last;
  uint64_t from = r->last_ms, before = r->last_cpu_us;

  r->has_last = true;
  r->last_ms = now_ms;
  r->last_cpu_us = cpu_us;
  if (!was || now_ms <= from) return false;
  dt = now_ms - from;
  if (cpu_us < before) {
    r->above = false;
    r->pct = -1;
    return false;
  }
  dcpu = cpu_us - before;
  /* dcpu us over dt ms: 100 * dcpu / (1000 * dt) percent. */
  r->pct = (double)dcpu / (double)dt / 10.0;
  if (max_pct == 0 || dcpu <= (uint64_t)max_pct * dt * 10) {
    r->above = false;
    return false;
  }
  if (!r->above) {
    r->above = true;
    r->above_since_ms = from; /* the interval was above from its start */
  }
  if (now_ms - r->above_since_ms < window_ms) return false;
  r->above = false;
  return true;
}

uint64_t sw_cpu_sample_period_ms(uint64_t window_ms) {
  uint64_t p = window_ms / 10;

  if (p < 100) p = 100;
  if (p > 1000) p = 1000;
  return p;
}

bool sw_memory_over(uint64_t bytes, uint64_t max_bytes) {
  return max_bytes > 0 && bytes > max_bytes;
}

const char *sw_usage_format_bytes(uint64_t bytes, char *buf, unsigned len) {
  if (bytes >= (1ULL << 30))
    snprintf(buf, len, "%.1f GiB", (double)bytes / (double)(1ULL << 30));
  else if (bytes >= (1ULL << 20))
    snprintf(buf, len, "%.1f MiB", (double)bytes / (double)(1ULL << 20));
  else if (bytes >= 1024)
    snprintf(buf, len, "%llu KiB", (unsigned long long)(bytes / 1024));
  else
    snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
  return buf;
}

bool sw_cgroup_v2_path(const char *text, char *out, size_t len) {
  const char *line = text;

  while (line != NULL && *line != '\0') {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);

    if (n >= 3 && strncmp(line, "0::", 3) == 0) {
      if (n - 3 == 0 || n - 3 >= len || line[3] != '/') return false;
      memcpy(out, line + 3, n - 3);
      out[n - 3] = '\0';
      return true;
    }
    line = end ? end + 1 : NULL;
  }
  return false;
}

long long sw_cgroup_events_max(const char *text) {
  const char *line = text;

  while (line != NULL && *line != '\0') {
    unsigned long long v;

    if (sscanf(line, "max %llu", &v) == 1 && strncmp(line, "max ", 4) == 0)
      return (long long)v;
    line = strchr(line, '\n');
    if (line != NULL) line++;
  }
  return -1;
}
