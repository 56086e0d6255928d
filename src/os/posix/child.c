/* SPDX-License-Identifier: MIT */
/*
 * The child on POSIX: uv_spawn with UV_PROCESS_DETACHED, which makes the
 * child call setsid(), so it leads a new session and process group
 * (pgid == pid) that every stop method is sent to, like tini -g. The
 * orphan guard (guard.c) learns the group so it dies with us.
 *
 * Lifetime: spawn -> output callbacks -> process exit (the rest of the
 * group is killed at once) -> both pipes at EOF, or DRAIN_MS passed ->
 * on_exit -> sw_os_child_free() -> the handles close -> freed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/log.h"
#include "core/env.h"
#include "core/err.h"
#include "os/os.h"
#include "os/posix/internal.h"

extern char **environ;

/* After the child exits, how long its output may still arrive (held open
 * by a process that left the group, e.g. by setsid) before we stop
 * reading. */
#define DRAIN_MS 2000

struct sw_child_s {
  uv_process_t proc;
  uv_pipe_t out[2]; /* stdout, stderr */
  uv_timer_t drain;
  sw_spawn_opts_t opts;
  int pid;
  int open_handles; /* handles not yet closed; free at 0 */
  bool pipe_open[2];
  bool exited;
  bool reported;
  bool freeing;
  uint32_t code;
  int signal;
};

static void on_handle_closed(uv_handle_t *h) {
  sw_child_t *c = h->data;

  if (--c->open_handles == 0)
    free(c);
}

static void close_pipe(sw_child_t *c, int i) {
  if (!c->pipe_open[i])
    return;
  c->pipe_open[i] = false;
  uv_read_stop((uv_stream_t *)&c->out[i]);
  uv_close((uv_handle_t *)&c->out[i], on_handle_closed);
}

static void maybe_report(sw_child_t *c) {
  if (c->reported || !c->exited || c->pipe_open[0] || c->pipe_open[1])
    return;
  c->reported = true;
  uv_timer_stop(&c->drain);
  c->opts.on_exit(c->opts.data, c->code, c->signal);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  /* One buffer per read, freed after the callback: reads are large
   * (64 KiB) so the per-read cost stays small. */
  (void)h;
  (void)suggested;
  buf->base = malloc(65536);
  buf->len = buf->base ? 65536 : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  sw_child_t *c = s->data;
  int i = (uv_pipe_t *)s == &c->out[0] ? 0 : 1;

  if (n > 0)
    c->opts.on_output(c->opts.data, i + 1, buf->base, (size_t)n);
  free(buf->base);
  if (n < 0) {
    if (n != UV_EOF)
      sw_log_warnx("read from child's %s: %s", i ? "stderr" : "stdout",
                   uv_strerror((int)n));
    close_pipe(c, i);
    maybe_report(c);
  }
}

static void on_drain_timeout(uv_timer_t *t) {
  sw_child_t *c = t->data;

  sw_log_warnx("child's output is still open %dms after it exited (held by "
               "a process outside its group?); no longer reading it",
               DRAIN_MS);
  close_pipe(c, 0);
  close_pipe(c, 1);
  maybe_report(c);
}

static void on_proc_exit(uv_process_t *p, int64_t status, int term_signal) {
  sw_child_t *c = p->data;

  c->exited = true;
  c->code = (uint32_t)status;
  c->signal = term_signal;
  /* The leader is gone: nothing else of its group may stay behind. */
  if (kill(-c->pid, SIGKILL) != 0 && errno != ESRCH)
    sw_log_warn("kill process group %d", c->pid);
  sw__posix_guard_watch(0);
  uv_timer_start(&c->drain, on_drain_timeout, DRAIN_MS, 0);
  maybe_report(c);
}

static int set_priority(int pid, sw_priority_t p) {
  static const int nice[] = {19, 10, 0, -5, -10};

  if (p == SW_PRIO_NORMAL)
    return 0;
  return uv_os_setpriority(pid, nice[p]);
}

int sw_os_spawn(uv_loop_t *loop, const sw_spawn_opts_t *o, sw_child_t **out,
                char *why, size_t whylen) {
  const sw_config_t *cfg = o->cfg;
  uv_process_options_t po;
  uv_stdio_container_t stdio[3];
  char **env = NULL, **args = NULL;
  sw_child_t *c;
  int rc, i;

  *out = NULL;
  c = calloc(1, sizeof(*c));
  if (c == NULL)
    return SW_ENOMEM;
  c->opts = *o;
  rc = sw_env_build((const char *const *)environ, cfg, o->extra_env, false,
                    &env);
  if (rc != 0)
    goto fail;
  args = calloc((size_t)cfg->argv.n + 2, sizeof(*args));
  if (args == NULL) {
    rc = SW_ENOMEM;
    goto fail;
  }
  args[0] = cfg->executable;
  for (i = 0; i < cfg->argv.n; i++)
    args[i + 1] = cfg->argv.v[i];

  for (i = 0; i < 2; i++) {
    uv_pipe_init(loop, &c->out[i], 0);
    c->out[i].data = c;
  }
  uv_timer_init(loop, &c->drain);
  c->drain.data = c;
  c->open_handles = 4; /* two pipes, the drain timer, the process */

  memset(stdio, 0, sizeof(stdio));
  stdio[0].flags = UV_IGNORE; /* stdin: /dev/null */
  for (i = 0; i < 2; i++) {
    stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[i + 1].data.stream = (uv_stream_t *)&c->out[i];
  }
  memset(&po, 0, sizeof(po));
  po.exit_cb = on_proc_exit;
  po.file = cfg->executable;
  po.args = args;
  po.env = env;
  po.cwd = cfg->working_directory;
  po.flags = UV_PROCESS_DETACHED; /* setsid(): own session and group */
  po.stdio_count = 3;
  po.stdio = stdio;
  c->proc.data = c;

  rc = uv_spawn(loop, &c->proc, &po);
  if (rc != 0) {
    snprintf(why, whylen, "%s", uv_strerror(rc));
    /* Even a failed uv_spawn leaves the process handle initialised: close
     * it with the others; the last close frees c. */
    uv_close((uv_handle_t *)&c->proc, on_handle_closed);
    uv_close((uv_handle_t *)&c->out[0], on_handle_closed);
    uv_close((uv_handle_t *)&c->out[1], on_handle_closed);
    uv_close((uv_handle_t *)&c->drain, on_handle_closed);
    goto out;
  }
  c->pid = c->proc.pid;
  sw__posix_guard_watch(c->pid);
  for (i = 0; i < 2; i++) {
    c->pipe_open[i] = true;
    uv_read_start((uv_stream_t *)&c->out[i], on_alloc, on_read);
  }
  if (set_priority(c->pid, cfg->priority) != 0)
    sw_log_warnx("set priority of pid %d: %s (the child runs at normal "
                 "priority)",
                 c->pid, uv_strerror(set_priority(c->pid, cfg->priority)));
  *out = c;
  rc = 0;
  goto out;

fail:
  snprintf(why, whylen, "%s", sw_strerror(rc));
  free(c);
out:
  free(args);
  sw_env_free(env);
  return rc;
}

int sw_os_child_pid(const sw_child_t *c) {
  return c->pid;
}

int sw_os_child_stop(sw_child_t *c, sw_stop_method_t m, char *why,
                     size_t whylen) {
  int sig;

  if (c->exited) {
    /* Reaped already; its exit is reported once the output is drained
     * (a process that left the group may still hold the pipes, for at
     * most DRAIN_MS). Its group is gone, so kill() would fail with ESRCH
     * and the ladder would end as if terminate had failed: the exit is
     * on its way, which is all a stop method can achieve. */
    sw_log_info("stop: pid %d already exited; waiting for its output to "
                "end",
                c->pid);
    return 0;
  }
  switch (m) {
  case SW_STOP_CTRL_BREAK:
    sig = SIGTERM;
    break;
  case SW_STOP_CTRL_C:
    sig = SIGINT;
    break;
  case SW_STOP_TERMINATE:
    sig = SIGKILL;
    break;
  default:
    snprintf(why, whylen, "%s is not available on this platform",
             sw_stop_method_name(m));
    return SW_ENOSYS;
  }
  if (kill(-c->pid, sig) != 0) {
    int err = errno;

    snprintf(why, whylen, "kill(-%d, %s): %s", c->pid, strsignal(sig),
             strerror(err));
    return -err;
  }
  return 0;
}

void sw_os_child_free(sw_child_t *c) {
  if (c == NULL || c->freeing)
    return;
  c->freeing = true;
  close_pipe(c, 0);
  close_pipe(c, 1);
  uv_close((uv_handle_t *)&c->drain, on_handle_closed);
  uv_close((uv_handle_t *)&c->proc, on_handle_closed);
}
