/* SPDX-License-Identifier: MIT */
/*
 * The [hooks] runner (hooks.h): one slot per kind of hook, each with its
 * own timer. A hook is a child in its own container (os.h); its output is
 * logged line by line as "hook <kind> pid <pid>: <line>". Decisions about
 * what a hook's result means belong to core/sup.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/hooks.h"
#include "base/log.h"
#include "core/err.h"

/* Exit codes for a hook that could not start, as for the child (run.c). */
#define HOOK_NOT_FOUND_CODE 127
#define HOOK_FAILED_CODE    126

static const char *kind_name(sw_hook_t h) {
  return sw_enum_name(&sw_hook_names, (int)h);
}

static uint64_t now_ms(void) {
  return uv_hrtime() / 1000000;
}

static void log_lines(sw_hook_run_t *r, const char *buf, size_t len) {
  while (len > 0) {
    const char *nl = memchr(buf, '\n', len);
    size_t n = nl ? (size_t)(nl - buf) : len;
    size_t shown = n;

    if (shown > 0 && buf[shown - 1] == '\r') shown--;
    sw_log_info("hook %s pid %d: %.*s", kind_name(r->kind), r->pid, (int)shown,
                buf);
    if (nl == NULL) break;
    len -= n + 1;
    buf = nl + 1;
  }
}

static void on_lines_out(void *data, const char *lines, size_t len) {
  log_lines(data, lines, len);
}

static void on_output(void *data, int stream, const char *buf, size_t len) {
  sw_hook_run_t *r = data;

  sw_liner_feed(&r->lines[stream == 2], buf, len);
}

static void finish(sw_hook_run_t *r, uint32_t code, int signal, bool report) {
  sw_hooks_t *hs = r->owner;
  bool timed_out = r->timed_out;

  uv_timer_stop(&r->timer);
  sw_liner_flush(&r->lines[0]);
  sw_liner_flush(&r->lines[1]);
  if (r->child != NULL) sw_os_child_free(r->child);
  r->child = NULL;
  r->killing = false;
  r->timed_out = false;
  if (report) hs->done(hs->data, r->kind, code, signal, timed_out);
}

static void on_exit_cb(void *data, uint32_t code, int signal) {
  sw_hook_run_t *r = data;
  unsigned long long ran = now_ms() - r->started_ms;

  if (signal != 0)
    sw_log_info("hook %s pid %d killed by signal %d after %llums",
                kind_name(r->kind), r->pid, signal, ran);
  else if (code != 0)
    sw_log_warnx("hook %s pid %d failed: exit code %u after %llums",
                 kind_name(r->kind), r->pid, code, ran);
  else
    sw_log_info("hook %s pid %d succeeded after %llums", kind_name(r->kind),
                r->pid, ran);
  finish(r, code, signal, true);
}

static void terminate(sw_hook_run_t *r) {
  char why[512];

  why[0] = '\0';
  r->killing = true;
  if (sw_os_child_stop(r->child, SW_STOP_TERMINATE, why, sizeof(why)) != 0)
    sw_log_warnx("hook %s pid %d: terminate could not be delivered: %s",
                 kind_name(r->kind), r->pid, why);
}

static void on_timer(uv_timer_t *t) {
  sw_hook_run_t *r = t->data;
  sw_hooks_t *hs = r->owner;

  if (r->child == NULL) return;
  if (!r->killing) {
    sw_log_warnx(
        "hook %s pid %d: still running after %llums ([hooks] "
        "timeout); ending its tree",
        kind_name(r->kind), r->pid,
        (unsigned long long)hs->cfg->hooks.timeout_ms);
    r->timed_out = true;
    terminate(r);
    uv_timer_start(&r->timer, on_timer, hs->kill_wait_ms, 0);
    return;
  }
  /* Even terminate did not end it: release it, so it neither keeps the
   * loop alive nor holds the service; what is left dies with the wrapper
   * (orphan guard, job object). */
  sw_log_error(
      "hook %s pid %d did not exit %llums after terminate; leaving "
      "it behind",
      kind_name(r->kind), r->pid, (unsigned long long)hs->kill_wait_ms);
  r->timed_out = true;
  finish(r, 0, 0, true);
}

int sw_hooks_init(sw_hooks_t *hs, uv_loop_t *loop, const sw_config_t *cfg,
                  uint64_t kill_wait_ms, sw_hook_done_fn *done, void *data) {
  unsigned i;
  int rc;

  memset(hs, 0, sizeof(*hs));
  hs->loop = loop;
  hs->cfg = cfg;
  hs->done = done;
  hs->data = data;
  hs->kill_wait_ms = kill_wait_ms;
  for (i = 0; i < SW_HOOK__COUNT; i++) {
    sw_hook_run_t *r = &hs->run[i];

    r->owner = hs;
    r->kind = (sw_hook_t)i;
    rc = uv_timer_init(loop, &r->timer);
    if (rc != 0) {
      while (i-- > 0)
        uv_close((uv_handle_t *)&hs->run[i].timer, NULL);
      return rc;
    }
    r->timer.data = r;
    sw_liner_init(&r->lines[0], on_lines_out, r);
    sw_liner_init(&r->lines[1], on_lines_out, r);
  }
  hs->initialised = true;
  return 0;
}

void sw_hooks_start(sw_hooks_t *hs, sw_hook_t h, const char *const *extra_env) {
  sw_hook_run_t *r = &hs->run[h];
  const sw_argv_t *cmd = &hs->cfg->hooks.argv[h];
  sw_spawn_opts_t o;
  char why[512];
  int rc;

  if (!hs->initialised || cmd->n == 0) {
    sw_log_error("hook %s: not configured or not set up", kind_name(h));
    hs->done(hs->data, h, HOOK_FAILED_CODE, 0, true);
    return;
  }
  if (r->child != NULL) {
    /* Cannot happen with the state machine's order; said, not hidden. */
    sw_log_error(
        "hook %s: the previous one (pid %d) still runs; not "
        "starting another",
        kind_name(h), r->pid);
    hs->done(hs->data, h, HOOK_FAILED_CODE, 0, true);
    return;
  }
  memset(&o, 0, sizeof(o));
  o.cfg = hs->cfg;
  o.extra_env = extra_env;
  o.command = cmd;
  o.on_output = on_output;
  o.on_exit = on_exit_cb;
  o.data = r;
  why[0] = '\0';
  rc = sw_os_spawn(hs->loop, &o, &r->child, why, sizeof(why));
  if (rc != 0) {
    r->child = NULL;
    sw_log_error("hook %s: start %s: %s", kind_name(h), cmd->v[0], why);
    hs->done(hs->data, h,
             rc == SW_ENOENT ? HOOK_NOT_FOUND_CODE : HOOK_FAILED_CODE, 0, true);
    return;
  }
  r->pid = sw_os_child_pid(r->child);
  r->started_ms = now_ms();
  r->killing = false;
  r->timed_out = false;
  sw_log_info("hook %s: started %s, pid %d", kind_name(h), cmd->v[0], r->pid);
  uv_timer_start(&r->timer, on_timer, hs->cfg->hooks.timeout_ms, 0);
}

void sw_hooks_kill(sw_hooks_t *hs, sw_hook_t h) {
  sw_hook_run_t *r = &hs->run[h];

  if (r->child == NULL || r->killing) return;
  sw_log_info(
      "hook %s pid %d: ending it (second stop request, or the child "
      "is gone)",
      kind_name(h), r->pid);
  terminate(r);
  uv_timer_start(&r->timer, on_timer, hs->kill_wait_ms, 0);
}

bool sw_hooks_running(const sw_hooks_t *hs, sw_hook_t h) {
  return hs->run[h].child != NULL;
}

void sw_hooks_close(sw_hooks_t *hs) {
  unsigned i;

  if (!hs->initialised) return;
  for (i = 0; i < SW_HOOK__COUNT; i++) {
    sw_hook_run_t *r = &hs->run[i];

    if (r->child != NULL) {
      sw_log_warnx("hook %s pid %d still runs as the service ends; ending it",
                   kind_name(r->kind), r->pid);
      terminate(r);
      finish(r, 0, 0, false);
    }
    sw_liner_free(&r->lines[0]);
    sw_liner_free(&r->lines[1]);
    uv_close((uv_handle_t *)&r->timer, NULL);
  }
  hs->initialised = false;
}
