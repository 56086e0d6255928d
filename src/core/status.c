/* SPDX-License-Identifier: MIT */
/* The status document: built from the supervisor, printed for humans. */
#include "core/status.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/timefmt.h"
#include "core/usage.h"
#include "core/value.h"

/* cJSON returns NULL on OOM; collect that in one flag. */
typedef struct {
  cJSON *root;
  bool nomem;
} doc_t;

static void add(doc_t *d, cJSON *obj, const char *key, cJSON *item) {
  if (item == NULL) {
    d->nomem = true;
    return;
  }
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item); /* on failure the item is still ours */
    d->nomem = true;
  }
}

static void add_time(doc_t *d, cJSON *obj, const char *key, uint64_t wall) {
  char buf[SW_TIME_LEN];

  if (wall == 0)
    add(d, obj, key, cJSON_CreateNull());
  else
    add(d, obj, key,
        cJSON_CreateString(sw_time_format((int64_t)wall, 0, 1, buf)));
}

char *sw_status_json(const sw_config_t *cfg, const sw_sup_t *sup,
                     const sw_status_facts_t *f) {
  doc_t d = {cJSON_CreateObject(), false};
  bool has_child = sup->pid > 0;
  char *text = NULL;

  if (d.root == NULL) return NULL;
  add(&d, d.root, "name", cJSON_CreateString(cfg->name));
  /* Waiting for READY=1 is still starting, for the host and for the
   * status (product.md's states); "ready" tells the two apart. */
  add(&d, d.root, "state",
      cJSON_CreateString(sup->state == SW_ST_WAIT_READY
                             ? "starting"
                             : sw_state_name(sup->state)));
  add(&d, d.root, "ready",
      has_child ? cJSON_CreateBool(sup->state != SW_ST_WAIT_READY)
                : cJSON_CreateNull());
  add(&d, d.root, "pid",
      has_child ? cJSON_CreateNumber(sup->pid) : cJSON_CreateNull());
  add_time(&d, d.root, "started_at", has_child ? sup->started_wall_ms : 0);
  add(&d, d.root, "uptime_ms",
      has_child ? cJSON_CreateNumber((double)(f->now_ms - sup->started_ms))
                : cJSON_CreateNull());
  add(&d, d.root, "restarts", cJSON_CreateNumber(sup->policy.total_restarts));
  add(&d, d.root, "requested_restarts",
      cJSON_CreateNumber(sup->requested_restarts));
  if (sup->has_exit) {
    cJSON *le = cJSON_CreateObject();

    if (le == NULL) {
      d.nomem = true;
    } else {
      add(&d, le, "code", cJSON_CreateNumber(sup->last_exit.code));
      add(&d, le, "signal",
          sup->last_exit.signal ? cJSON_CreateNumber(sup->last_exit.signal)
                                : cJSON_CreateNull());
      add(&d, le, "class",
          cJSON_CreateString(sw_exit_class_name(sup->last_decision.cls)));
      add_time(&d, le, "at", sup->last_exit_wall_ms);
      add(&d, d.root, "last_exit", le);
    }
  } else {
    add(&d, d.root, "last_exit", cJSON_CreateNull());
  }
  add_time(&d, d.root, "next_restart_at",
           sup->state == SW_ST_BACKOFF ? sup->next_restart_wall_ms : 0);
  add(&d, d.root, "stop_step",
      sup->state == SW_ST_STOPPING ? cJSON_CreateString(sw_stop_method_name(
                                         sup->stop->methods[sup->step]))
                                   : cJSON_CreateNull());
  add(&d, d.root, "wrapper_pid", cJSON_CreateNumber(f->wrapper_pid));
  add(&d, d.root, "config", cJSON_CreateString(cfg->path));
  if (f->resources >= 0 && f->resources_name != NULL)
    add(&d, d.root, f->resources_name,
        cJSON_CreateNumber((double)f->resources));
  add(&d, d.root, "log_dropped_bytes",
      cJSON_CreateNumber((double)f->log_dropped_bytes));
  add(&d, d.root, "log_split_lines",
      cJSON_CreateNumber((double)f->log_split_lines));
  if (f->notify_on) {
    add(&d, d.root, "status_text",
        has_child && f->status_text ? cJSON_CreateString(f->status_text)
                                    : cJSON_CreateNull());
    add(&d, d.root, "main_pid",
        has_child && f->main_pid ? cJSON_CreateNumber(f->main_pid)
                                 : cJSON_CreateNull());
    add(&d, d.root, "child_stopping", cJSON_CreateBool(f->child_stopping));
    add(&d, d.root, "watchdog_ms",
        f->watchdog_ms ? cJSON_CreateNumber((double)f->watchdog_ms)
                       : cJSON_CreateNull());
    add(&d, d.root, "watchdog_ping_ago_ms",
        has_child && f->watchdog_ping_ago_ms >= 0
            ? cJSON_CreateNumber((double)f->watchdog_ping_ago_ms)
            : cJSON_CreateNull());
  }
  if (f->probe != NULL) {
    cJSON *pr = cJSON_CreateObject();

    if (pr == NULL) {
      d.nomem = true;
    } else {
      add(&d, pr, "target", cJSON_CreateString(f->probe));
      add(&d, pr, "result",
          f->probe_has_result
              ? cJSON_CreateString(f->probe_ok ? "ok" : "failed")
              : cJSON_CreateNull());
      add(&d, pr, "detail",
          f->probe_has_result && f->probe_detail != NULL
              ? cJSON_CreateString(f->probe_detail)
              : cJSON_CreateNull());
      add_time(&d, pr, "at", f->probe_has_result ? f->probe_at_wall_ms : 0);
      add(&d, pr, "took_ms",
          f->probe_has_result ? cJSON_CreateNumber((double)f->probe_took_ms)
                              : cJSON_CreateNull());
      add(&d, pr, "consecutive_failures",
          cJSON_CreateNumber(f->probe_failures));
      add(&d, d.root, "probe", pr);
    }
  } else {
    add(&d, d.root, "probe", cJSON_CreateNull());
  }
  add(&d, d.root, "memory_bytes",
      f->has_usage ? cJSON_CreateNumber((double)f->memory_bytes)
                   : cJSON_CreateNull());
  add(&d, d.root, "cpu_percent",
      f->has_usage && f->cpu_percent >= 0
          ? cJSON_CreateNumber((double)(long long)(f->cpu_percent * 10 + 0.5) /
                               10)
          : cJSON_CreateNull());
  add(&d, d.root, "tree_processes",
      f->has_usage ? cJSON_CreateNumber(f->tree_processes)
                   : cJSON_CreateNull());
  add(&d, d.root, "last_restart_reason",
      f->last_restart_reason ? cJSON_CreateString(f->last_restart_reason)
                             : cJSON_CreateNull());
  if (!d.nomem) text = cJSON_PrintUnformatted(d.root);
  cJSON_Delete(d.root);
  return text;
}

static const char *str_or(const cJSON *o, const char *key, const char *def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

  return cJSON_IsString(v) ? v->valuestring : def;
}

static bool num(const cJSON *o, const char *key, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

  if (!cJSON_IsNumber(v)) return false;
  *out = v->valuedouble;
  return true;
}

int sw_status_format_human(const char *json, sw_sbuf_t *out) {
  cJSON *root = cJSON_Parse(json);
  const cJSON *le;
  double v;
  char buf[64];

  if (root == NULL || !cJSON_IsObject(root) ||
      str_or(root, "state", NULL) == NULL) {
    cJSON_Delete(root);
    return SW_EINVAL;
  }
  sw_sbuf_printf(out, "service:   %s\n", str_or(root, "name", "?"));
  sw_sbuf_printf(out, "state:     %s\n", str_or(root, "state", "?"));
  if (num(root, "pid", &v)) {
    double up = 0;

    num(root, "uptime_ms", &up);
    sw_sbuf_printf(
        out, "child:     pid %.0f, up %s (since %s)\n", v,
        sw_format_duration((uint64_t)up / 1000 * 1000, buf, sizeof(buf)),
        str_or(root, "started_at", "?"));
  } else {
    sw_sbuf_puts(out, "child:     not running\n");
  }
  {
    const cJSON *rd = cJSON_GetObjectItemCaseSensitive(root, "ready");

    /* Only where readiness means something: waiting for READY=1, or
     * with the notify protocol on (its fields are in the document). */
    if (cJSON_IsBool(rd) &&
        (cJSON_IsFalse(rd) ||
         cJSON_GetObjectItemCaseSensitive(root, "watchdog_ms") != NULL))
      sw_sbuf_printf(out, "ready:     %s\n",
                     cJSON_IsTrue(rd) ? "yes" : "no (waiting for READY=1)");
  }
  if (str_or(root, "status_text", NULL) != NULL)
    sw_sbuf_printf(out, "status:    %s\n", str_or(root, "status_text", ""));
  if (num(root, "main_pid", &v)) sw_sbuf_printf(out, "main pid:  %.0f\n", v);
  if (num(root, "watchdog_ms", &v)) {
    double ago;

    if (num(root, "watchdog_ping_ago_ms", &ago))
      sw_sbuf_printf(out, "watchdog:  %.0fms, last WATCHDOG=1 %.0fms ago\n", v,
                     ago);
    else
      sw_sbuf_printf(out, "watchdog:  %.0fms, no WATCHDOG=1 yet\n", v);
  }
  if (num(root, "restarts", &v)) sw_sbuf_printf(out, "restarts:  %.0f\n", v);
  if (num(root, "requested_restarts", &v) && v > 0)
    sw_sbuf_printf(out, "requested restarts: %.0f\n", v);
  le = cJSON_GetObjectItemCaseSensitive(root, "last_exit");
  if (cJSON_IsObject(le)) {
    double code = 0, sig = 0;

    num(le, "code", &code);
    if (num(le, "signal", &sig))
      sw_sbuf_printf(out, "last exit: signal %.0f (%s) at %s\n", sig,
                     str_or(le, "class", "?"), str_or(le, "at", "?"));
    else if (code >= 2147483648.0)
      sw_sbuf_printf(out, "last exit: code 0x%08llX (%s) at %s\n",
                     (unsigned long long)code, str_or(le, "class", "?"),
                     str_or(le, "at", "?"));
    else
      sw_sbuf_printf(out, "last exit: code %.0f (%s) at %s\n", code,
                     str_or(le, "class", "?"), str_or(le, "at", "?"));
  }
  if (str_or(root, "next_restart_at", NULL) != NULL)
    sw_sbuf_printf(out, "next restart: %s\n",
                   str_or(root, "next_restart_at", "?"));
  if (str_or(root, "stop_step", NULL) != NULL)
    sw_sbuf_printf(out, "stopping:  %s\n", str_or(root, "stop_step", "?"));
  {
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(root, "probe");

    if (cJSON_IsObject(pr)) {
      double fails = 0;

      num(pr, "consecutive_failures", &fails);
      if (str_or(pr, "result", NULL) != NULL)
        sw_sbuf_printf(out, "probe:     %s: %s (%s) at %s, %.0f failing\n",
                       str_or(pr, "target", "?"), str_or(pr, "result", "?"),
                       str_or(pr, "detail", "?"), str_or(pr, "at", "?"), fails);
      else
        sw_sbuf_printf(out, "probe:     %s: not run yet\n",
                       str_or(pr, "target", "?"));
    }
  }
  if (num(root, "memory_bytes", &v)) {
    double cpu = -1, procs = 0;

    num(root, "tree_processes", &procs);
    sw_sbuf_printf(out, "tree:      %.0f process%s, memory %s", procs,
                   procs == 1 ? "" : "es",
                   sw_usage_format_bytes((uint64_t)v, buf, sizeof(buf)));
    if (num(root, "cpu_percent", &cpu))
      sw_sbuf_printf(out, ", cpu %.1f%%", cpu);
    sw_sbuf_puts(out, "\n");
  }
  if (str_or(root, "last_restart_reason", NULL) != NULL)
    sw_sbuf_printf(out, "last restart: %s\n",
                   str_or(root, "last_restart_reason", "?"));
  if (num(root, "wrapper_pid", &v))
    sw_sbuf_printf(out, "wrapper:   pid %.0f\n", v);
  sw_sbuf_printf(out, "config:    %s\n", str_or(root, "config", "?"));
  cJSON_Delete(root);
  return 0;
}
