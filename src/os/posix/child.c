/* SPDX-License-Identifier: MIT */
/*
 * The child on POSIX: uv_spawn with UV_PROCESS_DETACHED, which makes the
 * child call setsid(), so it leads a new session and process group
 * (pgid == pid) that every stop method is sent to, like tini -g. The
 * orphan guard (guard.c) learns the group so it dies with us. Output,
 * drain and exit reporting: os/common/childio.c.
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
#include "os/common/childio.h"
#include "os/os.h"
#include "os/posix/internal.h"

extern char **environ;

struct sw_child_s {
  sw__childio_t io; /* first: the handles' data points here */
  uv_process_t proc;
  int pid;
};

static void on_proc_exit(uv_process_t *p, int64_t status, int term_signal) {
  sw_child_t *c = p->data;

  /* The leader is gone: nothing else of its group may stay behind. */
  if (kill(-c->pid, SIGKILL) != 0 && errno != ESRCH)
    sw_log_warn("kill process group %d", c->pid);
  sw__posix_guard_watch(0);
  sw__childio_exited(&c->io, (uint32_t)status, term_signal);
}

static int set_priority(int pid, sw_priority_t p) {
  static const int nice[] = {19, 10, 0, -5, -10};

  if (p == SW_PRIO_NORMAL) return 0;
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
  rc = sw_env_build((const char *const *)environ, cfg, o->extra_env, false,
                    &env);
  args = calloc((size_t)cfg->argv.n + 2, sizeof(*args));
  c = calloc(1, sizeof(*c));
  if (rc != 0 || args == NULL || c == NULL) {
    snprintf(why, whylen, "%s", sw_strerror(SW_ENOMEM));
    free(c);
    rc = SW_ENOMEM;
    goto out;
  }
  args[0] = cfg->executable;
  for (i = 0; i < cfg->argv.n; i++)
    args[i + 1] = cfg->argv.v[i];

  sw__childio_init(&c->io, loop, o, 1 /* the process handle */);
  memset(stdio, 0, sizeof(stdio));
  stdio[0].flags = UV_IGNORE; /* stdin: /dev/null */
  for (i = 0; i < 2; i++) {
    stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[i + 1].data.stream = (uv_stream_t *)&c->io.out[i];
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
    uv_close((uv_handle_t *)&c->proc, sw__childio_handle_closed);
    sw__childio_close(&c->io);
    goto out;
  }
  c->pid = c->proc.pid;
  sw__posix_guard_watch(c->pid);
  sw__childio_read(&c->io, 0);
  sw__childio_read(&c->io, 1);
  rc = set_priority(c->pid, cfg->priority);
  if (rc != 0)
    sw_log_warnx(
        "set priority of pid %d: %s (the child runs at normal "
        "priority)",
        c->pid, uv_strerror(rc));
  *out = c;
  rc = 0;
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

  if (c->io.exited) {
    /* Reaped already; its exit is reported once the output is drained
     * (a process that left the group may still hold the pipes, for at
     * most SW_DRAIN_MS). Its group is gone, so kill() would fail with
     * ESRCH and the ladder would end as if terminate had failed: the exit
     * is on its way, which is all a stop method can achieve. */
    sw_log_info(
        "stop: pid %d already exited; waiting for its output to "
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
  if (c == NULL || c->io.freeing) return;
  uv_close((uv_handle_t *)&c->proc, sw__childio_handle_closed);
  sw__childio_close(&c->io);
}
