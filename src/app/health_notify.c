/* SPDX-License-Identifier: MIT */
/* The sd_notify protocol's loop glue: see health_notify.h. */
#include "app/health_notify.h"

#include <stdio.h>
#include <string.h>

#include "app/health.h"
#include "base/log.h"

static uint64_t now_ms(void) {
  return uv_hrtime() / 1000000;
}

static void on_watchdog(uv_timer_t *t) {
  sw_health_notify_t *h = t->data;

  snprintf(h->why, sizeof(h->why), "no WATCHDOG=1 within %llums",
           (unsigned long long)h->watchdog_ms);
  h->child_up = false; /* one verdict per child */
  sw_run_unhealthy(h->hooks.run, SW_CLASS_WATCHDOG, h->why);
}

/* (Re)start the period: at the child's start and at each WATCHDOG=1. */
static void arm_watchdog(sw_health_notify_t *h) {
  if (h->watchdog_ms == 0 || !h->wd_init) return;
  uv_timer_start(&h->wd, on_watchdog, h->watchdog_ms, 0);
}

static void on_message(void *data, const char *buf, size_t len) {
  sw_health_notify_t *h = data;
  sw_notify_msg_t m;

  sw_notify_parse(buf, len, &m);
  if (m.n_bad > 0)
    sw_log_warnx("notify: %u malformed line%s ignored, the first %s", m.n_bad,
                 m.n_bad == 1 ? "" : "s", m.bad);
  if (!h->child_up) {
    /* Between children, or after a verdict: nothing to act on. */
    sw_log_debug("notify: message while no child runs, ignored");
    return;
  }
  if (m.has_status) {
    h->has_status = true;
    memcpy(h->status, m.status, sizeof(h->status));
  }
  if (m.mainpid != 0 && m.mainpid != h->main_pid) {
    if (h->hooks.on_mainpid == NULL ||
        h->hooks.on_mainpid(h->hooks.run, m.mainpid))
      h->main_pid = m.mainpid;
  }
  if (m.stopping && !h->stopping) {
    h->stopping = true;
    sw_log_info("notify: the child says it is stopping (STOPPING=1)");
  }
  if (m.watchdog_usec != 0) {
    h->watchdog_ms = (m.watchdog_usec + 999) / 1000;
    sw_log_info("notify: watchdog period is now %llums (WATCHDOG_USEC=%llu)",
                (unsigned long long)h->watchdog_ms,
                (unsigned long long)m.watchdog_usec);
  }
  if (m.watchdog || m.watchdog_usec != 0) {
    h->last_ping_ms = now_ms();
    h->has_ping = h->has_ping || m.watchdog;
    arm_watchdog(h);
  }
  if (m.has_extend && h->hooks.on_extend != NULL)
    h->hooks.on_extend(h->hooks.run, (m.extend_usec + 999) / 1000);
  if (m.ready && h->hooks.on_ready != NULL) h->hooks.on_ready(h->hooks.run);
  if (m.watchdog_trigger) {
    snprintf(h->why, sizeof(h->why), "the child sent WATCHDOG=trigger");
    h->child_up = false;
    if (h->wd_init) uv_timer_stop(&h->wd);
    sw_run_unhealthy(h->hooks.run, SW_CLASS_WATCHDOG, h->why);
  }
}

int sw_health_notify_open(sw_health_notify_t *h, uv_loop_t *loop,
                          const sw_config_t *cfg,
                          const sw_notify_hooks_t *hooks) {
  char why[512];
  int rc;

  memset(h, 0, sizeof(*h));
  h->hooks = *hooks;
  if (cfg->notify.ready != SW_READY_NOTIFY && cfg->notify.watchdog_ms == 0)
    return 0; /* off: nothing opened, nothing armed, no wake-ups */
  why[0] = '\0';
  rc = sw_os_notify_open(loop, on_message, h, &h->srv, &h->env, why,
                         sizeof(why));
  if (rc != 0) {
    sw_log_error("notify: %s; not starting service %s", why, cfg->name);
    return rc;
  }
  h->on = true;
  uv_timer_init(loop, &h->wd);
  h->wd.data = h;
  h->wd_init = true;
  h->cfg_watchdog_ms = cfg->notify.watchdog_ms;
  if (h->cfg_watchdog_ms != 0)
    snprintf(h->wd_env, sizeof(h->wd_env), "WATCHDOG_USEC=%llu",
             (unsigned long long)h->cfg_watchdog_ms * 1000);
  sw_log_info("notify: %s%s%s", h->env, h->wd_env[0] ? ", " : "", h->wd_env);
  return 0;
}

void sw_health_notify_env(const sw_health_notify_t *h, const char **env,
                          unsigned *n, unsigned max) {
  if (!h->on) return;
  if (*n < max) env[(*n)++] = h->env;
  if (h->wd_env[0] != '\0' && *n < max) env[(*n)++] = h->wd_env;
}

void sw_health_notify_child_started(sw_health_notify_t *h, uint64_t now) {
  if (!h->on) return;
  h->child_up = true;
  h->has_status = false;
  h->status[0] = '\0';
  h->stopping = false;
  h->main_pid = 0;
  h->has_ping = false;
  h->last_ping_ms = now;
  h->watchdog_ms = h->cfg_watchdog_ms;
  arm_watchdog(h);
}

void sw_health_notify_child_exited(sw_health_notify_t *h) {
  if (!h->on) return;
  h->child_up = false;
  if (h->wd_init) uv_timer_stop(&h->wd);
}

void sw_health_notify_close(sw_health_notify_t *h) {
  if (!h->on) return;
  h->on = false;
  h->child_up = false;
  sw_os_notify_close(h->srv);
  h->srv = NULL;
  if (h->wd_init && !uv_is_closing((uv_handle_t *)&h->wd))
    uv_close((uv_handle_t *)&h->wd, NULL);
}
