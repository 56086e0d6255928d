/* SPDX-License-Identifier: MIT */
/* [health] memory_max and cpu_max: the OS limit or sampling, the rules of
 * core/usage.c, the verdicts through app/health.h. */
#include "app/health_limits.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "core/err.h"

/* How often the tree's memory is sampled when the OS cannot hold it. */
#define MEMORY_SAMPLE_MS 500

static uint64_t now_ms(void) {
  return uv_hrtime() / 1000000;
}

static void verdict(sw_limits_t *l, const char *why) {
  l->tripped = true;
  uv_timer_stop(&l->timer);
  sw_log_warnx("%s; restarting the child", why);
  l->unhealthy(l->unhealthy_data, SW_CLASS_UNHEALTHY, why);
}

static void on_memory_limit(void *data, uint64_t bytes) {
  sw_limits_t *l = data;
  char a[32], b[32], why[160];

  if (l->child == NULL || l->tripped) return;
  snprintf(why, sizeof(why), "memory %s reached memory_max %s",
           bytes ? sw_usage_format_bytes(bytes, a, sizeof(a)) : "of the tree",
           sw_usage_format_bytes(l->cfg->memory_max, b, sizeof(b)));
  verdict(l, why);
}

static void on_sample(uv_timer_t *t) {
  sw_limits_t *l = t->data;
  const sw_config_t *cfg = l->cfg;
  char why[512];
  uint64_t now;

  if (l->child == NULL || l->tripped) return;
  why[0] = '\0';
  if (sw_os_tree_usage(l->child, &l->last, why, sizeof(why)) != 0) {
    /* Logged each time: it should never happen with /proc mounted. */
    sw_log_warnx("[health] cannot sample the tree: %s", why);
    return;
  }
  l->has_sample = true;
  now = now_ms();
  if (l->sample_memory &&
      sw_memory_over(l->last.memory_bytes, cfg->memory_max)) {
    char a[32], b[32];

    snprintf(why, sizeof(why), "memory %s (%u process%s) above memory_max %s",
             sw_usage_format_bytes(l->last.memory_bytes, a, sizeof(a)),
             l->last.processes, l->last.processes == 1 ? "" : "es",
             sw_usage_format_bytes(cfg->memory_max, b, sizeof(b)));
    verdict(l, why);
    return;
  }
  if (cfg->cpu_max > 0 &&
      sw_cpu_rule_sample(&l->cpu, now, l->last.cpu_us, cfg->cpu_max,
                         cfg->cpu_window_ms)) {
    snprintf(why, sizeof(why),
             "cpu %.1f%% of one CPU above cpu_max %u%% for cpu_window %llums",
             l->cpu.pct, cfg->cpu_max, (unsigned long long)cfg->cpu_window_ms);
    verdict(l, why);
  }
}

void sw_limits_init(sw_limits_t *l, uv_loop_t *loop, const sw_config_t *cfg,
                    sw_unhealthy_fn *unhealthy, void *data) {
  memset(l, 0, sizeof(*l));
  l->cfg = cfg;
  l->unhealthy = unhealthy;
  l->unhealthy_data = data;
  sw_cpu_rule_reset(&l->cpu);
  if (cfg->memory_max == 0 && cfg->cpu_max == 0) return;
  uv_timer_init(loop, &l->timer);
  l->timer.data = l;
  l->active = true;
}

void sw_limits_child_started(sw_limits_t *l, sw_child_t *child) {
  const sw_config_t *cfg = l->cfg;
  uint64_t period = 0;

  if (!l->active) return;
  l->child = child;
  l->tripped = false;
  l->has_sample = false;
  sw_cpu_rule_reset(&l->cpu);
  /* memory_max is sampled even where the OS holds it: the sample is the
   * backstop where the job's limit is not enforced (Wine), and where it
   * is, the tree never gets above it for the sample to see. */
  l->sample_memory = cfg->memory_max > 0;
  if (cfg->memory_max > 0) {
    char why[512], b[32];
    int rc;

    why[0] = '\0';
    period = MEMORY_SAMPLE_MS;
    rc = sw_os_child_memory_limit(child, cfg->memory_max, on_memory_limit, l,
                                  why, sizeof(why));
    if (!l->said_fallback) {
      if (rc != 0)
        sw_log_info(
            "memory_max %s: the OS cannot hold it here (%s); sampling the "
            "tree's memory every %dms instead",
            sw_usage_format_bytes(cfg->memory_max, b, sizeof(b)), why,
            MEMORY_SAMPLE_MS);
      else
        sw_log_info(
            "memory_max %s: held by the OS, and the tree's memory sampled "
            "every %dms as well",
            sw_usage_format_bytes(cfg->memory_max, b, sizeof(b)),
            MEMORY_SAMPLE_MS);
    }
    l->said_fallback = true;
  }
  if (cfg->cpu_max > 0) {
    uint64_t p = sw_cpu_sample_period_ms(cfg->cpu_window_ms);

    if (period == 0 || p < period) period = p;
  }
  l->period_ms = period;
  if (period > 0) {
    uv_timer_start(&l->timer, on_sample, period, period);
    on_sample(&l->timer); /* the first sample at once: the CPU baseline */
  }
}

void sw_limits_child_ended(sw_limits_t *l) {
  if (!l->active) return;
  l->child = NULL;
  uv_timer_stop(&l->timer);
}

void sw_limits_close(sw_limits_t *l) {
  if (!l->active) return;
  sw_limits_child_ended(l);
  uv_close((uv_handle_t *)&l->timer, NULL);
  l->active = false;
}

bool sw_limits_usage(sw_limits_t *l, sw_child_t *child,
                     uint64_t child_started_ms, sw_tree_usage_t *u,
                     double *cpu_pct) {
  char why[256];
  uint64_t up;

  *cpu_pct = -1;
  if (child == NULL) return false;
  if (l->active && l->child == child && l->has_sample)
    *u = l->last;
  else if (sw_os_tree_usage(child, u, why, sizeof(why)) != 0)
    return false;
  if (l->active && l->cfg->cpu_max > 0) {
    *cpu_pct = l->cpu.pct;
    return true;
  }
  /* Without the sampler, the average since the start is what is known. */
  up = now_ms() - child_started_ms;
  if (up > 0) *cpu_pct = (double)u->cpu_us / (double)up / 10.0;
  return true;
}
