/* SPDX-License-Identifier: MIT */
/*
 * `svcwrap run`: the supervisor's imperative shell. It owns the loop,
 * turns OS callbacks (child output and exit, timers, stop requests) into
 * events for the pure state machine (core/sup.c), and carries out the
 * commands it returns through the platform layer (os/os.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/app.h"
#include "app/capture.h"
#include "app/endpoint.h"
#include "app/fsutil.h"
#include "app/health.h"
#include "app/health_notify.h"
#include "app/health_limits.h"
#include "app/health_probe.h"
#include "app/hooks.h"
#include "base/log.h"
#include "app/logfile.h"
#include "app/logwriter.h"
#include "app/metrics.h"
#include "app/run.h"
#include "core/cmdline.h"
#include "core/err.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/path.h"
#include "core/status.h"
#include "core/sup.h"
#include "os/os.h"

/* How long terminate may take before the wrapper stops waiting. */
#define TERMINATE_WAIT_MS 5000
/* While stopping under a service manager, progress is reported this
 * often: well inside the SCM's 30 s checkpoint limit. */
#define HEARTBEAT_MS 1000
/* Exit codes recorded when the child could not be started at all, as a
 * shell reports them: 127 when the executable does not exist, 126 when it
 * exists but cannot be run. One error space on both platforms (a missing
 * file is SW_ENOENT from posix_spawn and from CreateProcessW) makes this
 * decision platform-free. */
#define SPAWN_NOT_FOUND_CODE 127
#define SPAWN_FAILED_CODE    126
/* The log writer's queue: reading the child stops at HIGH bytes queued
 * and resumes at LOW. */
#define LOG_QUEUE_HIGH (4u << 20)
#define LOG_QUEUE_LOW  (1u << 20)
/* How long the service's end waits for the log writer to finish. */
#define LOG_CLOSE_GRACE_MS 5000
/* One exec: control command on its way. */
typedef struct {
  unsigned code;
  bool busy;
} exec_slot_t;

typedef struct run_s {
  const sw_config_t *cfg;
  sw_run_tuning_t tune;
  sw_host_t *host;
  uv_loop_t loop;
  uv_timer_t timer;     /* the state machine's one timer */
  uv_timer_t heartbeat; /* pending-state reports to the service manager */
  sw_sup_t sup;
  sw_child_t *child;
  sw_hooks_t hooks;     /* [hooks]; set up only when one is configured */
  sw_metrics_t metrics; /* [metrics]; started only when asked for */
  uint64_t log_bytes;   /* child output read, for the metrics */
  uint64_t wrapper_start_wall_ms;
  sw_endpoint_t ep;
  sw_capture_t cap;  /* the child's output to its log files */
  sw_logfile_t wlog; /* the wrapper's own log file */
  /* The wrapper log's lines of one turn of the loop, handed to the writer
   * together just before the loop waits (wlog_flush): one wake-up of the
   * writer thread per turn instead of one per line (a crash loop at zero
   * delay logs four lines per restart over two turns). */
  uv_prepare_t wlog_prepare;
  char wlog_batch[8192];
  size_t wlog_len;
  sw_logwriter_t *writer; /* writes all the log files, off the loop */
  bool logs_open;
  bool event_log;      /* sw_os_event_open: entries can be written */
  bool logs_abandoned; /* the writer was stuck at close: nothing freed */
  char *endpoint_name;
  sw_instance_lock_t *lock; /* the single-instance claim */
  bool second_copy;         /* refused: another wrapper runs the service */
  /* Events fed while a step's commands run. A step feeds back at most
   * SW_SUP_MAX_FEEDING events (sup.h) and they are handled before the next
   * loop callback, so at most one is queued at a time; the rest is margin,
   * and the last slot is kept for an EXIT, which must never be lost. */
  sw_input_t queue[4 * SW_SUP_MAX_FEEDING + 1];
  unsigned qlen;
  bool feeding;
  /* A "running -> backoff" whose restart follows at once (0 ms): logged
   * together with the next transition (log_transition). */
  bool held;
  sw_state_t held_from;
  char held_reason[sizeof(((sw_sup_t *)0)->reason)];
  bool finished;
  bool reported_running;     /* the service manager has been told RUNNING */
  char health_why[160];      /* the text of the last SW_EV_UNHEALTHY */
  sw_health_notify_t notify; /* [health] ready = notify, watchdog */
  sw_probe_run_t probe;      /* [health] probe */
  sw_limits_t limits;        /* [health] memory_max, cpu_max */
  bool has_restart_reason;
  char restart_reason[200]; /* why the child was last restarted */
  int exit_code;
  /* [control]: the named events (by index in cfg->controls; NULL for other
   * actions or when one could not be created), the child's environment
   * entries naming them, and the exec: commands running. */
  sw_ctl_event_t **ctl_events;
  char **ctl_why; /* why an event could not be created, by index */
  char **ctl_env; /* "SVCWRAP_CONTROL_129=Global\\x", NULL-terminated */
  unsigned n_ctl_env;
  exec_slot_t execs[SW_OS_MAX_COMMANDS];
} run_t;

static uint64_t now_ms(void) {
  return uv_hrtime() / 1000000;
}

static uint64_t wall_ms(void) {
  uv_timeval64_t tv;

  if (uv_gettimeofday(&tv) != 0) return 0;
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static sw_input_t input(sw_event_t ev) {
  sw_input_t in;

  memset(&in, 0, sizeof(in));
  in.ev = ev;
  in.now_ms = now_ms();
  in.wall_ms = wall_ms();
  return in;
}

static void feed(run_t *r, const sw_input_t *in);

/* ---- logs and the child's output ------------------------------------ */

/* Until the logs are open (open_logs), the lines are held in the batch. */
static void wlog_flush(run_t *r) {
  if (r->wlog_len == 0 || !r->logs_open) return;
  sw_logwriter_write(r->writer, &r->wlog, r->wlog_batch, r->wlog_len);
  r->wlog_len = 0;
}

/* Runs on: the loop thread, before it waits (and never blocks: the batch
 * is queued, not written). */
static void on_wlog_prepare(uv_prepare_t *p) {
  wlog_flush(p->data);
  sw_log_flush(); /* the same lines' stderr copy (sw_log_batch_stderr) */
}

static void wlog_sink(void *data, sw_log_level_t level, const char *line,
                      size_t len) {
  run_t *r = data;
  const size_t max_line = 2099; /* longer lines are cut, as they were */

  (void)level;
  if (len > max_line) len = max_line;
  if (r->wlog_len + len + 1 > sizeof(r->wlog_batch)) wlog_flush(r);
  /* Held before the logs open, and the batch is full: on stderr only. */
  if (r->wlog_len + len + 1 > sizeof(r->wlog_batch)) return;
  memcpy(r->wlog_batch + r->wlog_len, line, len);
  r->wlog_batch[r->wlog_len + len] = '\n';
  r->wlog_len += len + 1;
}

/* The writer has caught up after the queue was full: read the child's
 * output again. */
static void on_logs_drained(void *data) {
  run_t *r = data;

  if (r->child != NULL) sw_os_child_pause_output(r->child, false);
}

/* Make the log folder (the POSIX endpoint and its lock live in it, in
 * .svcwrap), without opening any file in it, and hold the wrapper log's
 * lines from here until open_logs() (or drop_held_lines()). */
static void make_log_dir(run_t *r) {
  int rc = sw_mkdirs(r->cfg->log_dir);

  sw_log_set_sink(wlog_sink, r);
  if (rc != 0)
    sw_log_warnx("create log folder %s: %s", r->cfg->log_dir, uv_strerror(rc));
}

/* Another wrapper runs the service: its log files are not ours to open,
 * and what this run said stays on stderr. */
static void drop_held_lines(run_t *r) {
  sw_log_set_sink(NULL, NULL);
  r->wlog_len = 0;
}

/* Open <log dir>/<name>.svcwrap.log and the child's log files, and start
 * the writer thread that writes them; the lines held since make_log_dir()
 * go first into the wrapper log. */
static void open_logs(run_t *r) {
  char *file, *path = NULL;
  size_t n = strlen(r->cfg->log_dir) + strlen(r->cfg->name) + 16;
  bool wlog_ok = false;

  /* On failure (logged) the child's output is read and dropped. */
  sw_logwriter_new(&r->loop, LOG_QUEUE_HIGH, LOG_QUEUE_LOW, on_logs_drained, r,
                   &r->writer);
  file = malloc(n);
  if (file != NULL && r->writer != NULL) {
    snprintf(file, n, "%s.svcwrap.log", r->cfg->name);
    if (sw_path_resolve(SW_PATH_NATIVE, r->cfg->log_dir, file, &path) == 0 &&
        sw_logfile_init(&r->wlog, path, r->cfg->log_max_size, r->cfg->log_keep,
                        sw_logwriter_report, r->writer) == 0) {
      r->wlog.quiet = true; /* its own problems go to stderr */
      wlog_ok = true;
    }
    free(path);
  }
  free(file);
  if (!wlog_ok) drop_held_lines(r);
  if (sw_capture_init(&r->cap, r->cfg, r->writer) != 0)
    sw_log_error("out of memory setting up the child's logs");
  r->logs_open = true;
}

/* The loop is about to close its handles: the writer stops waking it. */
static void detach_logs(run_t *r) {
  sw_logwriter_detach(r->writer);
}

/* Everything queued is written before this returns, or, if the disk takes
 * nothing for LOG_CLOSE_GRACE_MS (no progress at all), it is given up (said on
 * stderr) and the writer left where it is stuck: a stalled disk must not keep a
 * stopped service from exiting (and from reporting STOPPED). */
/* While the end waits for the log writer: still stopping, and alive. */
static void closing_logs(void *data) {
  run_t *r = data;

  sw_os_host_report(r->host, SW_HOST_STOPPING, 2 * LOG_CLOSE_GRACE_MS, 0);
}

static void close_logs(run_t *r) {
  if (!r->logs_open) return;
  wlog_flush(r);
  sw_capture_flush(&r->cap);
  if (r->writer != NULL &&
      !sw_logwriter_sync_for(r->writer, LOG_CLOSE_GRACE_MS, closing_logs, r)) {
    sw_log_set_sink(NULL, NULL);
    sw_log_error(
        "the log files took nothing for %dms (or were still writing after "
        "%dms); giving up %zu bytes not yet written and exiting",
        LOG_CLOSE_GRACE_MS, SW_LOGWRITER_SYNC_MAX_MS,
        sw_logwriter_queued(r->writer));
    r->logs_abandoned = true;
    r->logs_open = false;
    return;
  }
  sw_capture_close(&r->cap);
  sw_log_set_sink(NULL, NULL);
  wlog_flush(r);                /* what sw_capture_close() logged */
  sw_logwriter_free(r->writer); /* writes the wrapper log's last lines */
  r->writer = NULL;
  if (r->wlog.path != NULL) sw_logfile_close(&r->wlog);
  r->logs_open = false;
}

static void rotate_logs(void *data) {
  run_t *r = data;

  sw_log_info("rotating logs on request");
  sw_capture_rotate(&r->cap);
  wlog_flush(r); /* the lines before the rotation go into the old file */
  if (r->writer != NULL && r->wlog.path != NULL)
    sw_logwriter_rotate(r->writer, &r->wlog);
}

typedef struct {
  const char **v;
  unsigned n;
} tail_t;

static void collect_tail_line(void *data, const char *line) {
  tail_t *t = data;

  t->v[t->n++] = line;
}

/* An entry in the system's event log (Windows Event Log), its text from
 * the state the step left. Where there is none (POSIX), no text is made:
 * a crash loop would make and drop one per restart. */
static void event(run_t *r, const sw_sup_t *sup, sw_evt_t kind,
                  sw_evt_level_t level) {
  static const sw_log_level_t levels[] = {SW_LOG_INFO, SW_LOG_WARN,
                                          SW_LOG_ERROR};
  const char *lines[1000];
  tail_t t = {lines, 0};
  char *text;

  if (!r->event_log) return;
  if (r->logs_open) sw_capture_each_tail(&r->cap, collect_tail_line, &t);
  text = sw_event_text(kind, r->cfg->name, r->cfg->executable, sup, t.v, t.n);
  /* Noted in the wrapper log too (first line), so what went to the
   * system's log can be checked where the rest is. */
  if (text != NULL && sw_os_event_report(levels[level], text))
    sw_log_info("event log: %.*s", (int)strcspn(text, "\r\n"), text);
  free(text);
}

static void on_child_output(void *data, int stream, const char *buf,
                            size_t len) {
  run_t *r = data;

  r->log_bytes += len;
  sw_capture_feed(&r->cap, stream, buf, len);
  /* Back pressure: the child waits in its write until the disk catches up. */
  if (r->child != NULL && sw_capture_full(&r->cap))
    sw_os_child_pause_output(r->child, true);
}

static void log_tail_line(void *data, const char *line) {
  (void)data;
  sw_log_warnx("  | %s", line);
}

/* After a failure or a crash, the child's last lines go to the wrapper log
 * next to the exit code, so the cause is in one place. */
static void log_crash_context(run_t *r, uint32_t code, int signal) {
  if (r->cap.tail_n == 0) return;
  if (signal != 0)
    sw_log_warnx("the child's last %u lines before signal %d:", r->cap.tail_n,
                 signal);
  else
    sw_log_warnx("the child's last %u lines before exit code %u (0x%08X):",
                 r->cap.tail_n, code, code);
  sw_capture_each_tail(&r->cap, log_tail_line, r);
}

/* For status: why the child is being restarted, when it is. */
static void note_restart_reason(run_t *r, uint32_t code, int signal) {
  const sw_decision_t *d = &r->sup.last_decision;

  if (!r->sup.has_exit || d->kind != SW_DECIDE_RESTART) return;
  r->has_restart_reason = true;
  if (d->cls == SW_CLASS_WATCHDOG || d->cls == SW_CLASS_UNHEALTHY ||
      d->cls == SW_CLASS_TIMEOUT)
    snprintf(r->restart_reason, sizeof(r->restart_reason), "%s: %s",
             sw_exit_class_name(d->cls), r->health_why);
  else if (signal != 0)
    snprintf(r->restart_reason, sizeof(r->restart_reason),
             "%s: killed by signal %d", sw_exit_class_name(d->cls), signal);
  else
    snprintf(r->restart_reason, sizeof(r->restart_reason), "%s: exit code %u",
             sw_exit_class_name(d->cls), code);
}

static void on_child_exit(void *data, uint32_t code, int signal) {
  run_t *r = data;
  sw_input_t in = input(SW_EV_EXIT);
  int pid = r->child ? sw_os_child_pid(r->child) : 0;
  unsigned long long ran = in.now_ms - r->sup.started_ms;

  sw_capture_flush(&r->cap);
  in.code = code;
  in.signal = signal;
  if (signal != 0)
    sw_log_info("child pid %d killed by signal %d after %llums", pid, signal,
                ran);
  else if (code >= 0x80000000u)
    sw_log_info("child pid %d exited with code 0x%08X after %llums", pid, code,
                ran);
  else
    sw_log_info("child pid %d exited with code %u after %llums", pid, code,
                ran);
  sw_probe_run_child_ended(&r->probe);
  sw_limits_child_ended(&r->limits);
  sw_os_child_free(r->child);
  r->child = NULL;
  sw_health_notify_child_exited(&r->notify);
  feed(r, &in);
  note_restart_reason(r, code, signal);
}

/* ---- commands -------------------------------------------------------------
 */

static void spawn_child(run_t *r) {
  char name_var[300], why[512];
  /* the name, the [control] entries, the notify socket and watchdog, NULL */
  const char *extra[4 + 2 * (SW_CONTROL_LAST - SW_CONTROL_FIRST + 2)];
  unsigned n_extra = 0;
  sw_spawn_opts_t o;
  sw_input_t in;
  unsigned i;
  int rc;

  snprintf(name_var, sizeof(name_var), "SVCWRAP_SERVICE_NAME=%s", r->cfg->name);
  extra[n_extra++] = name_var;
  for (i = 0; i < r->n_ctl_env; i++)
    extra[n_extra++] = r->ctl_env[i];
  sw_health_notify_env(&r->notify, extra, &n_extra,
                       (unsigned)(sizeof(extra) / sizeof(extra[0])) - 1);
  extra[n_extra] = NULL;
  memset(&o, 0, sizeof(o));
  o.cfg = r->cfg;
  o.extra_env = extra;
  o.on_output = on_child_output;
  o.on_exit = on_child_exit;
  o.data = r;
  why[0] = '\0';
  sw_capture_reset_tail(&r->cap);
  rc = sw_os_spawn(&r->loop, &o, &r->child, why, sizeof(why));
  if (rc != 0) {
    sw_log_error("start %s: %s", r->cfg->executable, why);
    in = input(SW_EV_SPAWN_FAILED);
    in.code = rc == SW_ENOENT ? SPAWN_NOT_FOUND_CODE : SPAWN_FAILED_CODE;
    feed(r, &in);
    return;
  }
  /* Reading may still be paused for the log writer since the last child
   * (on POSIX the pipes outlive it, os/posix/outchan.h): resume it when
   * the writer has room, or on_logs_drained does once it has. */
  if (!sw_capture_full(&r->cap)) sw_os_child_pause_output(r->child, false);
  in = input(SW_EV_SPAWNED);
  in.pid = sw_os_child_pid(r->child);
  sw_log_info("started %s, pid %d (restart %u)", r->cfg->executable, in.pid,
              r->sup.policy.total_restarts);
  sw_health_notify_child_started(&r->notify, in.now_ms);
  feed(r, &in);
}

static void send_stop(run_t *r, sw_stop_method_t m) {
  char why[512];
  sw_input_t in;

  why[0] = '\0';
  if (r->child == NULL) {
    in = input(SW_EV_STEP_FAILED);
    feed(r, &in);
    return;
  }
  if (sw_os_child_stop(r->child, m, why, sizeof(why)) == 0) {
    sw_log_info("stop: sent %s to pid %d", sw_stop_method_name(m),
                sw_os_child_pid(r->child));
    return;
  }
  sw_log_warnx("stop: %s could not be delivered: %s; next method",
               sw_stop_method_name(m), why);
  in = input(SW_EV_STEP_FAILED);
  feed(r, &in);
}

static void on_timer(uv_timer_t *t) {
  run_t *r = t->data;
  sw_input_t in = input(SW_EV_TIMER);

  feed(r, &in);
}

/* The first start is not over (the service manager still waits): while
 * pre_start runs before the first child, before that child runs, or, with
 * ready = notify, until a child's READY=1, through ready timeouts, their
 * health stops (post_stop too) and the waits to restart. */
static bool first_start_pending(const run_t *r) {
  if (r->reported_running) return false;
  switch (r->sup.state) {
  case SW_ST_PRE_START:
    return !r->sup.stop_after_hook;
  case SW_ST_STARTING:
  case SW_ST_WAIT_READY:
    return true;
  case SW_ST_BACKOFF:
  case SW_ST_POST_STOP:
    return r->sup.wait_ready;
  case SW_ST_STOPPING:
    return r->sup.wait_ready &&
           (r->sup.health_stop || r->sup.restart_requested);
  default:
    return false;
  }
}

/* How long the first start may still take, for START_PENDING's wait hint:
 * what is left of the current wait (pre_start, ready_timeout, the stop
 * ladder and post_stop, the restart delay) plus, before a new child, its
 * pre_start and ready_timeout; 30 s at a time without a ready_timeout. */
static uint64_t start_hint_ms(const run_t *r) {
  uint64_t now = now_ms(), due = r->sup.timer_due_ms;
  uint64_t left = due > now ? due - now : 0;
  uint64_t ready = !r->sup.wait_ready        ? 0
                   : r->sup.ready_timeout_ms ? r->sup.ready_timeout_ms
                                             : 30000;
  uint64_t pre = r->sup.hook_on[SW_HOOK_PRE_START] ? r->sup.hook_timeout_ms : 0;

  switch (r->sup.state) {
  case SW_ST_PRE_START:
    /* As long as pre_start may take (its timeout; report_state adds the
     * spawn's 10 s), then READY=1. */
    return sw_sup_stop_remaining_ms(&r->sup) + ready;
  case SW_ST_WAIT_READY:
    return r->sup.ready_timeout_ms ? left + 1000 : 30000;
  case SW_ST_BACKOFF:
    return left + pre + ready + 1000;
  case SW_ST_STOPPING:
  case SW_ST_POST_STOP:
    return sw_sup_stop_remaining_ms(&r->sup) + r->sup.restart->max_delay_ms +
           pre + ready;
  default:
    return 10000;
  }
}

static void on_heartbeat(uv_timer_t *t) {
  run_t *r = t->data;

  if (sw_sup_is_stopping(&r->sup))
    sw_os_host_report(r->host, SW_HOST_STOPPING,
                      sw_sup_stop_remaining_ms(&r->sup), 0);
  else if (first_start_pending(r))
    sw_os_host_report(r->host, SW_HOST_STARTING, start_hint_ms(r), 0);
  else
    uv_timer_stop(t); /* nothing pending: no wake-ups while running */
}

/* ---- hooks ----------------------------------------------------------------
 */

static void on_hook_done(void *data, sw_hook_t h, uint32_t code, int signal,
                         bool timed_out) {
  run_t *r = data;
  sw_input_t in = input(SW_EV_HOOK_DONE);

  in.hook = h;
  in.code = code;
  in.signal = signal;
  in.timed_out = timed_out;
  feed(r, &in);
}

/* The hook's environment: the service's, its name, which hook, and for
 * post_stop how the child ended. */
static void run_hook(run_t *r, sw_hook_t h) {
  char name_var[300], hook_var[64], code_var[64], class_var[64];
  const char *extra[5] = {name_var, hook_var, NULL, NULL, NULL};
  const sw_exit_t *ex = &r->sup.last_exit;

  snprintf(name_var, sizeof(name_var), "SVCWRAP_SERVICE_NAME=%s", r->cfg->name);
  snprintf(hook_var, sizeof(hook_var), "SVCWRAP_HOOK=%s",
           sw_enum_name(&sw_hook_names, (int)h));
  if (h == SW_HOOK_POST_STOP && r->sup.has_exit) {
    /* A signal (POSIX) as a shell reports it: 128 + signal. */
    snprintf(code_var, sizeof(code_var), "SVCWRAP_EXIT_CODE=%u",
             ex->signal ? 128u + (unsigned)ex->signal : ex->code);
    snprintf(class_var, sizeof(class_var), "SVCWRAP_EXIT_CLASS=%s",
             sw_exit_class_name(r->sup.last_decision.cls));
    extra[2] = code_var;
    extra[3] = class_var;
  }
  sw_hooks_start(&r->hooks, h, extra);
}

static void close_all(run_t *r) {
  sw_health_notify_close(&r->notify);
  sw_hooks_close(&r->hooks);
  sw_metrics_close(&r->metrics);
  sw_endpoint_close(&r->ep);
  sw_os_host_detach(r->host);
  sw_probe_run_close(&r->probe);
  sw_limits_close(&r->limits);
  uv_close((uv_handle_t *)&r->timer, NULL);
  uv_close((uv_handle_t *)&r->heartbeat, NULL);
}

static void report_state(run_t *r) {
  if (sw_sup_is_stopping(&r->sup)) {
    sw_os_host_report(r->host, SW_HOST_STOPPING,
                      sw_sup_stop_remaining_ms(&r->sup), 0);
    return;
  }
  switch (r->sup.state) {
  case SW_ST_PRE_START:
  case SW_ST_STARTING:
  case SW_ST_WAIT_READY:
    /* Only the first start is START_PENDING (through pre_start, and until
     * READY=1 with ready = notify, so `sc start` and dependent services
     * wait for it). A restart leaves the service RUNNING: it did start,
     * and the SCM refuses every control, stop included
     * (ERROR_SERVICE_CANNOT_ACCEPT_CTRL), while START_PENDING, so a child
     * restarting often would make `sc stop` fail at random. */
    if (first_start_pending(r))
      sw_os_host_report(
          r->host, SW_HOST_STARTING,
          start_hint_ms(r) + (r->sup.state == SW_ST_PRE_START ? 10000 : 0), 0);
    break;
  case SW_ST_BACKOFF:
  case SW_ST_POST_STOP: /* before a restart: see sw_sup_is_stopping */
    /* Waiting to restart a child that never sent READY=1: the first start
     * goes on. */
    if (first_start_pending(r)) {
      sw_os_host_report(r->host, SW_HOST_STARTING, start_hint_ms(r), 0);
      break;
    }
    /* FALLTHROUGH */
  case SW_ST_RUNNING:
    /* Backoff is still RUNNING to the service manager (never PAUSED):
     * the service is up and will have its child again shortly. */
    sw_os_host_report(r->host, SW_HOST_RUNNING, 0, 0);
    r->reported_running = true;
    break;
  case SW_ST_STOPPING:
    /* A health stop or a requested restart (sw_sup_is_stopping): the
     * service stays as reported (START_PENDING, still, for a first child
     * that never was ready). */
    if (first_start_pending(r))
      sw_os_host_report(r->host, SW_HOST_STARTING, start_hint_ms(r), 0);
    break;
  default:
    break; /* STOPPED is reported after the loop ends */
  }
}

/* Execute the commands of a step. What they feed (a spawn's result, a
 * stop that could not be delivered) is queued and stepped after them
 * (feed), so r->sup stays as the step left it meanwhile: the event texts
 * and the exit code are read from it. The list itself is a copy, as each
 * step rewrites sup->out. */
static void execute(run_t *r, const sw_cmd_t *cmds, unsigned n) {
  const sw_sup_t *sup = &r->sup;
  unsigned i;

  for (i = 0; i < n; i++) {
    const sw_cmd_t *c = &cmds[i];

    switch (c->kind) {
    case SW_CMD_SPAWN:
      spawn_child(r);
      break;
    case SW_CMD_SEND_STOP:
      send_stop(r, c->method);
      break;
    case SW_CMD_ARM_TIMER:
      uv_timer_start(&r->timer, on_timer, c->ms, 0);
      break;
    case SW_CMD_CANCEL_TIMER:
      uv_timer_stop(&r->timer);
      break;
    case SW_CMD_RUN_HOOK:
      run_hook(r, c->hook);
      break;
    case SW_CMD_KILL_HOOK:
      sw_hooks_kill(&r->hooks, c->hook);
      break;
    case SW_CMD_ABANDON:
      /* Its handles (exit watch, output pipes) would keep the loop, and
       * so the service, alive forever: release them. What is left of the
       * process dies with the wrapper (orphan guard, job object) once the
       * OS lets it. */
      sw_log_error(
          "stop: pid %d could not be killed (%s); leaving it behind and "
          "ending the service as failed",
          r->sup.unkillable_pid, r->sup.reason);
      if (r->child != NULL) {
        sw_probe_run_child_ended(&r->probe);
        sw_limits_child_ended(&r->limits);
        sw_capture_flush(&r->cap);
        sw_os_child_free(r->child);
        r->child = NULL;
      }
      break;
    case SW_CMD_EVENT_LOG:
      /* A crash: the child's last lines next to its exit code first. */
      if (c->evt == SW_EVT_CRASHED)
        log_crash_context(r, sup->last_exit.code, sup->last_exit.signal);
      event(r, sup, c->evt, c->level);
      break;
    case SW_CMD_FINISH:
      r->finished = true;
      r->exit_code = sup->state == SW_ST_FAILED ? sup->exit_code : 0;
      close_all(r);
      break;
    }
  }
}

/* Whether the step just made armed the timer for 0 ms. */
static bool armed_at_once(const sw_sup_t *sup) {
  unsigned i;

  for (i = 0; i < sup->nout; i++)
    if (sup->out[i].kind == SW_CMD_ARM_TIMER && sup->out[i].ms == 0)
      return true;
  return false;
}

static void flush_held(run_t *r) {
  if (!r->held) return;
  r->held = false;
  sw_log_info("%s -> %s: %s", sw_state_name(r->held_from),
              sw_state_name(SW_ST_BACKOFF), r->held_reason);
}

/*
 * Every transition is logged. At zero delay a restart is "running ->
 * backoff" and, in the loop's next turn (the 0 ms timer), "backoff ->
 * starting": one line, "running -> backoff -> starting: <why>; <why>",
 * so a crash loop writes one line less per restart. The first is held
 * until the next transition (whichever it is) and never longer: anything
 * else that ends the service logs it first (flush_held).
 */
static void log_transition(run_t *r, sw_state_t before) {
  if (r->sup.state == SW_ST_BACKOFF && before != SW_ST_BACKOFF &&
      armed_at_once(&r->sup)) {
    flush_held(r);
    r->held = true;
    r->held_from = before;
    snprintf(r->held_reason, sizeof(r->held_reason), "%s", r->sup.reason);
    return;
  }
  if (r->held && before == SW_ST_BACKOFF && r->sup.state != SW_ST_BACKOFF) {
    r->held = false;
    sw_log_info("%s -> %s -> %s: %s; %s", sw_state_name(r->held_from),
                sw_state_name(SW_ST_BACKOFF), sw_state_name(r->sup.state),
                r->held_reason, r->sup.reason);
    return;
  }
  flush_held(r);
  sw_log_info("%s -> %s: %s", sw_state_name(before),
              sw_state_name(r->sup.state), r->sup.reason);
}

/*
 * Feed one event. Commands may produce further events (a spawn result, a
 * stop method that could not be delivered); those are queued and handled
 * in order after the current one, never recursively.
 */
static void feed(run_t *r, const sw_input_t *in) {
  const unsigned cap = sizeof(r->queue) / sizeof(r->queue[0]);

  if (r->finished) return;
  /* Only one child exists at a time, so only one EXIT can be in flight:
   * the reserved last slot always has room for it. */
  if (r->qlen >= (in->ev == SW_EV_EXIT ? cap : cap - 1)) {
    sw_log_error("internal: event queue full (%u events), dropping %s", r->qlen,
                 sw_event_name(in->ev));
    return;
  }
  r->queue[r->qlen++] = *in;
  if (r->feeding) return;
  r->feeding = true;
  while (r->qlen > 0 && !r->finished) {
    sw_input_t ev = r->queue[0];
    sw_state_t before = r->sup.state;
    sw_cmd_t cmds[SW_SUP_MAX_CMDS];
    unsigned ncmds;

    char reason[sizeof(r->sup.reason)];

    memmove(r->queue, r->queue + 1, --r->qlen * sizeof(r->queue[0]));
    memcpy(reason, r->sup.reason, sizeof(reason));
    sw_sup_step(&r->sup, &ev);
    /* Every transition is logged, every new step of the ladder, and
     * every decision that keeps the state (a stop waiting for a hook). */
    if (r->sup.state != before ||
        (r->sup.state == SW_ST_STOPPING && r->sup.nout > 0) ||
        strcmp(reason, r->sup.reason) != 0)
      log_transition(r, before);
    /* Pending states (stopping; a first start waiting for pre_start or,
     * with ready = notify, for READY=1) are reported every heartbeat while
     * they last. A health stop or a requested restart is not stopping:
     * the service stays RUNNING (sw_sup_is_stopping). */
    if ((sw_sup_is_stopping(&r->sup) ||
         (first_start_pending(r) &&
          (r->sup.wait_ready || r->sup.state == SW_ST_PRE_START))) &&
        sw_os_host_is_service(r->host) &&
        !uv_is_active((uv_handle_t *)&r->heartbeat))
      uv_timer_start(&r->heartbeat, on_heartbeat, r->tune.heartbeat_ms,
                     r->tune.heartbeat_ms);
    /* The [health] checks start once the child runs (a verdict while
     * starting would be a no-op, health.h); a verdict they give at once is
     * queued like any event. memory_max and cpu_max watch the tree from
     * the spawn; the probe, with ready = notify, from READY=1 (as a
     * Kubernetes liveness probe waits for the startup probe), so a slow
     * start is judged by ready_timeout alone. */
    if (before == SW_ST_STARTING &&
        (r->sup.state == SW_ST_RUNNING || r->sup.state == SW_ST_WAIT_READY) &&
        r->child != NULL)
      sw_limits_child_started(&r->limits, r->child);
    if ((before == SW_ST_STARTING || before == SW_ST_WAIT_READY) &&
        r->sup.state == SW_ST_RUNNING && r->child != NULL)
      sw_probe_run_child_started(&r->probe, r->child);
    if (r->sup.state != before) sw_metrics_changed(&r->metrics);
    /* Not the whole state (8.6 KB with the policy's ring of start
     * times, two or three copies a restart): execute() says why. */
    ncmds = r->sup.nout;
    memcpy(cmds, r->sup.out, ncmds * sizeof(cmds[0]));
    report_state(r);
    execute(r, cmds, ncmds);
  }
  r->feeding = false;
}

/* ---- [control] ------------------------------------------------------------
 */

/* Create the named events of [control] (Windows) and the environment
 * entries that give their names to the child. A failure is logged and
 * leaves that code refusing; the service still starts. */
static void open_control_events(run_t *r) {
  const sw_config_t *c = r->cfg;
  unsigned i;

  if (c->n_controls == 0) return;
  r->ctl_events = calloc(c->n_controls, sizeof(*r->ctl_events));
  r->ctl_env = calloc(c->n_controls + 1, sizeof(*r->ctl_env));
  r->ctl_why = calloc(c->n_controls, sizeof(*r->ctl_why));
  if (r->ctl_events == NULL || r->ctl_env == NULL || r->ctl_why == NULL) {
    sw_log_error("out of memory setting up [control]");
    return;
  }
  for (i = 0; i < c->n_controls; i++) {
    const sw_control_t *t = &c->controls[i];
    const char *name;
    char why[512], key[32];
    size_t n;

    if (t->kind != SW_CTL_EVENT) continue;
    why[0] = '\0';
    if (sw_os_ctl_event_create(c, t->arg, &r->ctl_events[i], why,
                               sizeof(why)) != 0) {
      sw_log_warnx("[control] %s: %s; this code will be refused", t->arg, why);
      r->ctl_why[i] = strdup(why);
      continue;
    }
    name = sw_os_ctl_event_name(r->ctl_events[i]);
    if (t->code == SW_CONTROL_RELOAD)
      snprintf(key, sizeof(key), "SVCWRAP_CONTROL_RELOAD");
    else
      snprintf(key, sizeof(key), "SVCWRAP_CONTROL_%u", t->code);
    n = strlen(key) + strlen(name) + 2;
    r->ctl_env[r->n_ctl_env] = malloc(n);
    if (r->ctl_env[r->n_ctl_env] == NULL) continue;
    snprintf(r->ctl_env[r->n_ctl_env++], n, "%s=%s", key, name);
    sw_log_info("[control] code %s: event %s (in the child's %s)", key + 16,
                name, key);
  }
}

static void close_control_events(run_t *r) {
  unsigned i;

  for (i = 0; r->ctl_events != NULL && i < r->cfg->n_controls; i++)
    sw_os_ctl_event_free(r->ctl_events[i]);
  for (i = 0; i < r->n_ctl_env; i++)
    free(r->ctl_env[i]);
  for (i = 0; r->ctl_why != NULL && i < r->cfg->n_controls; i++)
    free(r->ctl_why[i]);
  free(r->ctl_why);
  r->ctl_why = NULL;
  free(r->ctl_events);
  free(r->ctl_env);
  r->ctl_events = NULL;
  r->ctl_env = NULL;
  r->n_ctl_env = 0;
}

/* "129", or "reload" for SW_CONTROL_RELOAD. */
static const char *code_label(unsigned code, char *buf, size_t len) {
  if (code == SW_CONTROL_RELOAD)
    snprintf(buf, len, "reload");
  else
    snprintf(buf, len, "%u", code);
  return buf;
}

static void exec_exited(void *data, int pid, uint32_t code, int signal) {
  exec_slot_t *x = data;
  char label[16];

  x->busy = false;
  code_label(x->code, label, sizeof(label));
  if (signal != 0)
    sw_log_warnx("[control] %s: exec pid %d killed by signal %d", label, pid,
                 signal);
  else
    sw_log_info("[control] %s: exec pid %d exited with code %u", label, pid,
                code);
}

/* exec:COMMAND: split like arguments, run in the working directory with
 * the child's environment plus SVCWRAP_SERVICE_NAME and
 * SVCWRAP_CONTROL_CODE; its exit is logged. */
static int run_exec(run_t *r, const sw_control_t *t, char *why, size_t whylen) {
  char name_var[300], code_var[48], label[16];
  const char *extra[3] = {name_var, code_var, NULL};
  exec_slot_t *x = NULL;
  sw_argv_t argv;
  int i, pid, rc;

  for (i = 0; i < SW_OS_MAX_COMMANDS; i++)
    if (!r->execs[i].busy) x = &r->execs[i];
  if (x == NULL) {
    snprintf(why, whylen, "%d commands of [control] still run; try later",
             SW_OS_MAX_COMMANDS);
    return SW_EEXIST;
  }
  if (sw_argv_split(t->arg, &argv) != 0) return SW_ENOMEM;
  code_label(t->code, label, sizeof(label));
  snprintf(name_var, sizeof(name_var), "SVCWRAP_SERVICE_NAME=%s", r->cfg->name);
  snprintf(code_var, sizeof(code_var), "SVCWRAP_CONTROL_CODE=%s", label);
  x->code = t->code;
  rc = sw_os_command_start(&r->loop, r->cfg, (const char *const *)argv.v,
                           r->cfg->working_directory, extra, exec_exited, x,
                           &pid, why, whylen);
  if (rc == 0) {
    x->busy = true;
    sw_log_info("[control] %s: exec pid %d: %s", label, pid, t->arg);
  }
  sw_argv_free(&argv);
  return rc;
}

/* Carry out control code `code`. Returns 0 or a negative code with the
 * reason in why (also logged). Runs on: the loop thread. */
static int do_control(void *data, unsigned code, char *why, size_t whylen) {
  run_t *r = data;
  const sw_control_t *t = sw_config_control(r->cfg, code);
  char label[16];
  sw_input_t in;
  int rc = 0;

  code_label(code, label, sizeof(label));
  why[0] = '\0';
  if (t == NULL) {
    snprintf(why, whylen, "control %s is not in [control] of %s", label,
             r->cfg->path);
    sw_log_warnx("control %s refused: not in [control]", label);
    return SW_EINVAL;
  }
  switch (t->kind) {
  case SW_CTL_SIGNAL:
  case SW_CTL_CTRL_BREAK:
    if (r->child == NULL ||
        (r->sup.state != SW_ST_RUNNING && r->sup.state != SW_ST_WAIT_READY)) {
      snprintf(why, whylen, "no child runs (the service is %s)",
               sw_state_name(r->sup.state));
      rc = SW_ESTATE;
    } else if (t->kind == SW_CTL_SIGNAL) {
      rc = sw_os_child_signal(r->child, t->arg, why, whylen);
    } else {
      rc = sw_os_child_stop(r->child, SW_STOP_CTRL_BREAK, why, whylen);
    }
    break;
  case SW_CTL_EVENT: {
    unsigned i = (unsigned)(t - r->cfg->controls);

    if (r->ctl_events == NULL || r->ctl_events[i] == NULL) {
      snprintf(why, whylen, "%s",
               r->ctl_why != NULL && r->ctl_why[i] != NULL
                   ? r->ctl_why[i]
                   : "the event could not be created (see the log)");
      rc = SW_ENOSYS;
    } else {
      rc = sw_os_ctl_event_set(r->ctl_events[i], why, whylen);
    }
    break;
  }
  case SW_CTL_RESTART:
    /* Ready or not yet: a child runs (WAIT_READY restarts as RUNNING). */
    if (r->sup.state != SW_ST_RUNNING && r->sup.state != SW_ST_WAIT_READY) {
      snprintf(why, whylen, "no child runs (the service is %s)",
               sw_state_name(r->sup.state));
      rc = SW_ESTATE;
      break;
    }
    in = input(SW_EV_RESTART);
    feed(r, &in);
    break;
  case SW_CTL_ROTATE:
    rotate_logs(r);
    break;
  case SW_CTL_EXEC:
    rc = run_exec(r, t, why, whylen);
    break;
  case SW_CTL__COUNT:
    rc = SW_EINVAL;
    break;
  }
  if (rc == 0)
    sw_log_info("control %s: %s%s%s done", label, sw_control_kind_name(t->kind),
                t->arg ? ":" : "", t->arg ? t->arg : "");
  else
    sw_log_warnx("control %s: %s%s%s failed: %s", label,
                 sw_control_kind_name(t->kind), t->arg ? ":" : "",
                 t->arg ? t->arg : "", why);
  return rc;
}

static void on_host_control(void *data, unsigned code) {
  char why[512];

  (void)do_control(data, code, why, sizeof(why)); /* logged there */
}

/* ---- host events and status ---------------------------------------------- */

void sw_run_unhealthy(void *data, sw_exit_class_t cls, const char *why) {
  run_t *r = data;
  sw_input_t in = input(SW_EV_UNHEALTHY);

  /* The queue holds inputs by value until they run: the text is kept
   * here (a second verdict before the first runs only changes the text). */
  snprintf(r->health_why, sizeof(r->health_why), "%s", why ? why : "");
  in.cls = cls;
  in.why = r->health_why;
  feed(r, &in);
}

/* READY=1 and EXTEND_TIMEOUT_USEC= from the child (health_notify.c). */
static void on_notify_ready(void *data) {
  run_t *r = data;
  sw_input_t in = input(SW_EV_READY);

  feed(r, &in);
}

static void on_notify_extend(void *data, uint64_t ms) {
  run_t *r = data;
  sw_input_t in = input(SW_EV_EXTEND);

  in.ms = ms;
  sw_log_info(
      "notify: EXTEND_TIMEOUT_USEC: %s ends no sooner than %llums "
      "from now",
      r->sup.state == SW_ST_WAIT_READY ? "ready_timeout"
                                       : "the current timeout",
      (unsigned long long)ms);
  feed(r, &in);
  /* The SCM's wait hint follows the new deadline. */
  report_state(r);
}

/* MAINPID= from the child: the OS follows that process as the main one
 * (sw_os_child_follow) when it is of the child's tree. */
static bool on_notify_mainpid(void *data, int pid) {
  run_t *r = data;
  char why[256];
  int rc;

  if (r->child == NULL) return false;
  why[0] = '\0';
  rc = sw_os_child_follow(r->child, pid, why, sizeof(why));
  if (rc != 0) {
    sw_log_warnx(
        "notify: MAINPID=%d refused: %s; pid %d stays the main "
        "process",
        pid, why, sw_os_child_pid(r->child));
    return false;
  }
  sw_log_info("notify: MAINPID=%d: the child's main process is pid %d", pid,
              sw_os_child_pid(r->child));
  r->sup.pid = sw_os_child_pid(r->child);
  return true;
}

static void on_stop_request(void *data, sw_stop_req_t why) {
  run_t *r = data;
  sw_input_t in = input(SW_EV_STOP);

  in.force = why == SW_STOP_REQ_FORCE;
  feed(r, &in);
}

static char *status_json(void *data) {
  run_t *r = data;
  sw_status_facts_t f;

  memset(&f, 0, sizeof(f));
  f.wrapper_pid = (int)uv_os_getpid();
  f.now_ms = now_ms();
  f.now_wall_ms = wall_ms();
  f.resources = sw_os_resource_count(&f.resources_name);
  f.log_dropped_bytes = sw_capture_dropped(&r->cap);
  f.log_split_lines = sw_capture_split_lines(&r->cap);
  if (r->notify.on) {
    f.notify_on = true;
    f.status_text = r->notify.has_status ? r->notify.status : NULL;
    f.child_stopping = r->notify.stopping;
    /* The process followed now (the launcher again if the one named
     * ended first). */
    f.main_pid = r->notify.main_pid != 0 && r->child != NULL
                     ? sw_os_child_pid(r->child)
                     : r->notify.main_pid;
    f.watchdog_ms = r->notify.watchdog_ms;
    f.watchdog_ping_ago_ms =
        r->notify.has_ping ? (int64_t)(f.now_ms - r->notify.last_ping_ms) : -1;
  }
  if (r->cfg->probe_spec.kind != SW_PROBE_NONE) {
    f.probe = r->cfg->probe;
    f.probe_has_result = r->probe.has_result;
    f.probe_ok = r->probe.last_ok;
    f.probe_detail = r->probe.last_detail;
    f.probe_at_wall_ms = r->probe.last_wall_ms;
    f.probe_took_ms = r->probe.last_ms_taken;
    f.probe_failures = r->probe.count.failures;
  }
  /* The main process may have changed under MAINPID= (the OS follows it,
   * and falls back to the launcher if it ends first). */
  if (r->child != NULL && r->sup.pid != 0)
    r->sup.pid = sw_os_child_pid(r->child);
  if (r->child != NULL && r->sup.state != SW_ST_STARTING) {
    sw_tree_usage_t u = {0, 0, 0};

    f.has_usage = sw_limits_usage(&r->limits, r->child, r->sup.started_ms, &u,
                                  &f.cpu_percent);
    f.memory_bytes = u.memory_bytes;
    f.tree_processes = u.processes;
  }
  f.last_restart_reason = r->has_restart_reason ? r->restart_reason : NULL;
  return sw_status_json(r->cfg, &r->sup, &f);
}

static char *metrics_text(void *data) {
  run_t *r = data;
  sw_metrics_facts_t f;
  char *out = NULL;

  memset(&f, 0, sizeof(f));
  f.now_ms = now_ms();
  f.now_wall_ms = wall_ms();
  f.wrapper_start_wall_ms = r->wrapper_start_wall_ms;
  f.log_bytes = r->log_bytes;
  f.log_dropped_bytes = sw_capture_dropped(&r->cap);
  /* The tree's memory and CPU while a child runs (a /proc walk or a job
   * query: only when metrics are asked for); probe failures when a probe
   * is configured. Otherwise those metrics are absent, not 0. */
  if (r->child != NULL && r->sup.state != SW_ST_STARTING) {
    sw_tree_usage_t u = {0, 0, 0};
    double pct;

    if (sw_limits_usage(&r->limits, r->child, r->sup.started_ms, &u, &pct)) {
      f.has_tree_memory = true;
      f.tree_memory_bytes = u.memory_bytes;
      f.has_tree_cpu = true;
      f.tree_cpu_ms = u.cpu_us / 1000;
    }
  }
  if (r->cfg->probe_spec.kind != SW_PROBE_NONE) {
    f.has_probe_failures = true;
    f.probe_failures = r->probe.count.total_failures;
  }
  if (sw_metrics_text(r->cfg->name, &r->sup, &f, &out) != 0) return NULL;
  return out;
}

static bool has_hooks(const sw_config_t *cfg) {
  unsigned h;

  for (h = 0; h < SW_HOOK__COUNT; h++)
    if (sw_config_has_hook(cfg, (sw_hook_t)h)) return true;
  return false;
}

static void walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Do not start: end the run failed, before the loop runs. */
static void refuse(run_t *r) {
  r->exit_code = SW_EXIT_RUNTIME;
  r->finished = true;
  close_all(r);
}

/* Another wrapper has the service: say so (and whether it answers) and
 * refuse. held: what it holds, when known. */
static void already_running(run_t *r, const char *held) {
  char *st = NULL, why[512];

  if (sw_endpoint_query(r->endpoint_name, NULL, 0, &st, NULL, 1000, why,
                        sizeof(why)) == 0)
    sw_log_error(
        "service %s is already running (it answers on %s); not "
        "starting a second copy",
        r->cfg->name, r->endpoint_name);
  else
    sw_log_error(
        "service %s is already running (%s, but it does not answer on "
        "%s); not starting a second copy",
        r->cfg->name, held ? held : "another wrapper has its endpoint",
        r->endpoint_name);
  free(st);
  r->second_copy = true;
  refuse(r);
}

/* The single-instance claim, held until the run ends. Returns 0 when this
 * run may go on. */
static int claim_instance(run_t *r) {
  char why[512];
  int rc;

  why[0] = '\0';
  rc = sw_os_instance_lock(r->endpoint_name, &r->lock, why, sizeof(why));
  if (rc == SW_EEXIST) {
    already_running(r, why);
    return rc;
  }
  if (rc != 0) {
    sw_log_error("single-instance lock: %s; not starting service %s", why,
                 r->cfg->name);
    refuse(r);
  }
  return rc;
}

static int run_body(sw_host_t *host, void *data) {
  run_t *r = data;
  sw_host_events_t ev;
  sw_input_t in;
  unsigned i;
  int rc;

  memset(&ev, 0, sizeof(ev));
  ev.on_stop = on_stop_request;
  ev.on_rotate = rotate_logs;
  ev.on_control = on_host_control;
  ev.data = r;
  for (i = 0; r->cfg != NULL && i < r->cfg->n_controls; i++) {
    unsigned code = r->cfg->controls[i].code;

    ev.controls[code / 8] |= (uint8_t)(1u << (code % 8));
  }
  r->host = host;
  r->wrapper_start_wall_ms = wall_ms();
  sw_os_host_report(host, SW_HOST_STARTING, 10000, 0);
  if (r->cfg == NULL) {
    /* The problems are on stderr already. Under a service manager this
     * still reports a clean failure at once, instead of never answering
     * (which the SCM would show as error 1053 after 30 s). */
    sw_log_error(
        "invalid configuration; not starting (run `svcwrap check` "
        "for the details)");
    sw_os_host_report(host, SW_HOST_STOPPED, 0, SW_EXIT_USAGE);
    return SW_EXIT_USAGE;
  }
  rc = uv_loop_init(&r->loop);
  if (rc != 0) {
    sw_log_error("event loop: %s", uv_strerror(rc));
    sw_os_host_report(host, SW_HOST_STOPPED, 0, SW_EXIT_RUNTIME);
    return SW_EXIT_RUNTIME;
  }
  uv_timer_init(&r->loop, &r->timer);
  r->timer.data = r;
  uv_timer_init(&r->loop, &r->heartbeat);
  r->heartbeat.data = r;
  /* Never keeps the loop alive; closed with the rest by walk_close. */
  uv_prepare_init(&r->loop, &r->wlog_prepare);
  r->wlog_prepare.data = r;
  uv_prepare_start(&r->wlog_prepare, on_wlog_prepare);
  uv_unref((uv_handle_t *)&r->wlog_prepare);
  sw_log_batch_stderr(true); /* flushed by on_wlog_prepare */
  sw_probe_run_init(&r->probe, &r->loop, r->cfg, sw_run_unhealthy, r);
  sw_limits_init(&r->limits, &r->loop, r->cfg, sw_run_unhealthy, r);
  r->ep.status = status_json;
  r->ep.rotate = rotate_logs;
  r->ep.control = do_control;
  r->ep.data = r;
  /* The claim comes before any log file is opened: a refused second copy
   * must not open, prune, rotate or write the running wrapper's logs. */
  make_log_dir(r);
  r->event_log = sw_os_event_open(r->cfg->name);
  r->endpoint_name = sw_os_endpoint_name(r->cfg);
  if (r->endpoint_name == NULL) {
    sw_log_error("out of memory naming the status endpoint; not starting");
    refuse(r);
  } else if (claim_instance(r) == 0) {
    char why[512];

    rc = sw_endpoint_listen(&r->ep, &r->loop, r->cfg, r->endpoint_name,
                            r->lock != NULL, why, sizeof(why));
    if (rc == SW_EEXIST) {
      already_running(r, NULL);
    } else if (rc != 0) {
      /* Without its endpoint the wrapper could not be seen or rotated,
       * and a second one could start beside it: refuse. */
      sw_log_error("status endpoint %s: %s; not starting service %s",
                   r->endpoint_name, why, r->cfg->name);
      refuse(r);
    }
  }
  /* Any other refusal is said in the wrapper log too, as it was. */
  if (r->second_copy)
    drop_held_lines(r);
  else
    open_logs(r);
  if (!r->finished && has_hooks(r->cfg)) {
    rc = sw_hooks_init(&r->hooks, &r->loop, r->cfg, r->tune.terminate_wait_ms,
                       on_hook_done, r);
    if (rc != 0) {
      sw_log_error("hooks: %s; not starting service %s", uv_strerror(rc),
                   r->cfg->name);
      refuse(r);
    }
  }
  if (!r->finished && sw_config_has_metrics(r->cfg) &&
      sw_metrics_start(&r->metrics, &r->loop, r->cfg, metrics_text, r) != 0) {
    sw_log_error("metrics: out of memory; not starting service %s",
                 r->cfg->name);
    refuse(r);
  }
  if (!r->finished) {
    sw_notify_hooks_t hooks = {r, on_notify_ready, on_notify_extend,
                               on_notify_mainpid};

    if (sw_health_notify_open(&r->notify, &r->loop, r->cfg, &hooks) != 0)
      refuse(r);
  }
  if (!r->finished) {
    rc = sw_os_host_attach(host, &r->loop, &ev);
    if (rc != 0) {
      /* No stop request could ever reach the loop: a service nobody can
       * stop must not start. */
      sw_log_error("cannot receive stop requests (%s); not starting service %s",
                   uv_strerror(rc), r->cfg->name);
      r->exit_code = SW_EXIT_RUNTIME;
      r->finished = true;
      close_all(r);
    }
  }
  if (!r->finished) {
    sw_log_info("svcwrap %s: service %s starting (config %s)", SW_VERSION,
                r->cfg->name, r->cfg->path);
    open_control_events(r);
    in = input(SW_EV_START);
    feed(r, &in);
  }
  uv_run(&r->loop, UV_RUN_DEFAULT);
  flush_held(r);
  detach_logs(r);
  uv_walk(&r->loop, walk_close, NULL);
  uv_run(&r->loop, UV_RUN_DEFAULT);
  sw_log_batch_stderr(false); /* no prepare any more: lines go at once */
  if (uv_loop_close(&r->loop) != 0)
    sw_log_warnx("event loop closed with handles still open");
  sw_metrics_free(&r->metrics);
  sw_log_info("service %s %s (exit code %d)", r->cfg->name,
              r->exit_code ? "failed" : "stopped", r->exit_code);
  sw_os_event_close();
  close_control_events(r);
  close_logs(r);
  sw_os_instance_unlock(r->lock); /* after the socket is gone */
  r->lock = NULL;
  sw_os_host_report(host, SW_HOST_STOPPED, 0, r->exit_code);
  return r->exit_code ? SW_EXIT_RUNTIME : SW_EXIT_OK;
}

int sw_cmd_run(const sw_cli_t *cli) {
  const sw_run_tuning_t tune = {TERMINATE_WAIT_MS, HEARTBEAT_MS};

  return sw_run(cli, &tune);
}

int sw_run(const sw_cli_t *cli, const sw_run_tuning_t *tune) {
  run_t *r;
  sw_config_t *cfg;
  int rc;

  rc = sw_app_load_config(cli, &cfg, true);
  if (rc == SW_ENOMEM) return SW_EXIT_RUNTIME;
  /* On the heap: if the log writer is stuck in a write when the service
   * ends (close_logs), it may still use the log files in here, so then
   * nothing of it is freed. */
  r = calloc(1, sizeof(*r));
  if (r == NULL) {
    sw_config_free(cfg);
    return SW_EXIT_RUNTIME;
  }
  r->cfg = cfg;
  r->tune = *tune;
  if (cfg != NULL) {
    bool on[SW_HOOK__COUNT];
    unsigned h;

    sw_sup_init(&r->sup, &cfg->restart, &cfg->stop, tune->terminate_wait_ms);
    sw_sup_set_ready(&r->sup, cfg->notify.ready == SW_READY_NOTIFY,
                     cfg->notify.ready_timeout_ms);
    for (h = 0; h < SW_HOOK__COUNT; h++)
      on[h] = sw_config_has_hook(cfg, (sw_hook_t)h);
    sw_sup_set_hooks(&r->sup, on, cfg->hooks.timeout_ms);
  }
  /* Hosted even when the config is invalid: see run_body(). */
  rc = sw_os_host_run(cfg ? cfg->name : "", run_body, r);
  if (!r->logs_abandoned) {
    free(r->endpoint_name);
    sw_config_free(cfg);
    free(r);
  }
  return rc;
}
