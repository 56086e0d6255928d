/* SPDX-License-Identifier: MIT */
/*
 * The child on POSIX. posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK,
 * so no copy-on-write of the wrapper, and exec errors come back as its
 * result) with POSIX_SPAWN_SETSID: the child leads a new session and
 * process group (pgid == pid) that every stop method is sent to, like
 * tini -g. The orphan guard (guard.c) learns the group so it dies with us.
 * stdout and stderr are socketpairs read by the loop; the exit arrives as
 * SIGCHLD through a uv_signal_t. Output,
 * drain and exit reporting: os/common/childio.c.
 */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID, addchdir_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
  uv_signal_t sigchld;
  int pid;
};

/* Runs on: loop thread (libuv turns SIGCHLD into a callback). */
static void on_sigchld(uv_signal_t *s, int signum) {
  sw_child_t *c = s->data;
  int status;
  pid_t r;

  (void)signum;
  do
    r = waitpid(c->pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r != c->pid) return; /* another child of ours, or not yet */
  uv_signal_stop(&c->sigchld);
  /* The leader is gone: nothing else of its group may stay behind. */
  if (kill(-c->pid, SIGKILL) != 0 && errno != ESRCH)
    sw_log_warn("kill process group %d", c->pid);
  sw__posix_guard_watch(0);
  if (WIFSIGNALED(status))
    sw__childio_exited(&c->io, 0, WTERMSIG(status));
  else
    sw__childio_exited(&c->io, (uint32_t)WEXITSTATUS(status), 0);
}

static int set_priority(int pid, sw_priority_t p) {
  static const int nice[] = {19, 10, 0, -5, -10};

  if (p == SW_PRIO_NORMAL) return 0;
  return uv_os_setpriority(pid, nice[p]);
}

/* Start the process; returns 0 or an errno value. */
static int start_process(const sw_config_t *cfg, char **argv, char **envp,
                         const int out_w[2], pid_t *pid) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, all;
  static int null_fd = -1; /* the child's stdin, opened once */
  int rc;

  if (null_fd < 0) null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return errno;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  sigemptyset(&none);
  sigfillset(&all);
  /* The child starts clean: no blocked signals, default handlers (the
   * wrapper ignores SIGPIPE, which exec would otherwise pass on). */
  rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
                                           POSIX_SPAWN_SETSIGMASK |
                                           POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, null_fd, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, out_w[0], 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, out_w[1], 2);
  if (rc == 0)
    rc = posix_spawn_file_actions_addchdir_np(&fa, cfg->working_directory);
  if (rc == 0) rc = posix_spawn(pid, cfg->executable, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc;
}

int sw_os_spawn(uv_loop_t *loop, const sw_spawn_opts_t *o, sw_child_t **out,
                char *why, size_t whylen) {
  const sw_config_t *cfg = o->cfg;
  int fds[2][2] = {{-1, -1}, {-1, -1}}, out_w[2];
  char **env = NULL, **args = NULL;
  sw_child_t *c = NULL;
  pid_t pid;
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
  for (i = 0; i < 2; i++) {
    /* A socketpair, as libuv's uv_spawn makes: measured (make bench) to
     * cost the reading wrapper 20-40 % less CPU for the same bytes than a
     * pipe, even one enlarged to 1 MiB. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds[i]) != 0) {
      rc = -errno;
      snprintf(why, whylen, "socketpair: %s", strerror(errno));
      free(c);
      goto out;
    }
    out_w[i] = fds[i][1];
  }

  sw__childio_init(&c->io, loop, o, 1 /* the SIGCHLD watcher */);
  uv_signal_init(loop, &c->sigchld);
  c->sigchld.data = c;
  /* Watch before starting, so an exit at once is not missed: libuv takes
   * the signal now and delivers it through the loop, after this function
   * returned (on_exit must never run before the spawn is reported). */
  uv_signal_start(&c->sigchld, on_sigchld, SIGCHLD);
  rc = start_process(cfg, args, env, out_w, &pid);
  if (rc != 0) {
    snprintf(why, whylen, "%s", strerror(rc));
    rc = -rc;
    uv_close((uv_handle_t *)&c->sigchld, sw__childio_handle_closed);
    sw__childio_close(&c->io); /* frees c once everything closed */
    goto out;
  }
  c->pid = (int)pid;
  sw__posix_guard_watch(c->pid);
  for (i = 0; i < 2; i++) {
    if (uv_pipe_open(&c->io.out[i], fds[i][0]) == 0) {
      fds[i][0] = -1; /* libuv owns it now */
      sw__childio_read(&c->io, i);
    } else {
      sw_log_warnx("child's %s cannot be read", i ? "stderr" : "stdout");
    }
  }
  rc = set_priority(c->pid, cfg->priority);
  if (rc != 0)
    sw_log_warnx(
        "set priority of pid %d: %s (the child runs at normal "
        "priority)",
        c->pid, uv_strerror(rc));
  *out = c;
  rc = 0;
out:
  for (i = 0; i < 2; i++) {
    if (fds[i][0] >= 0) close(fds[i][0]);
    if (fds[i][1] >= 0) close(fds[i][1]);
  }
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
  uv_close((uv_handle_t *)&c->sigchld, sw__childio_handle_closed);
  sw__childio_close(&c->io);
}
