/* SPDX-License-Identifier: MIT */
/*
 * The orphan guard (see internal.h). It must not hold anything of the
 * wrapper's open (sockets, pipes to the child), must survive the signals a
 * terminal or init sends to the wrapper's process group, and must do
 * nothing but wait. It is forked before the event loop exists, so the
 * wrapper is single-threaded at that point.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "base/log.h"
#include "os/posix/internal.h"

static int guard_fd = -1; /* write end; -1 when there is no guard */
/* The group to end, in a page shared with the guard (MAP_SHARED, mapped
 * before the fork): telling the guard of a new child costs a store, no
 * system call and no wake-up of the guard, which reads it only once the
 * wrapper is gone. The pipe is only for that: its EOF. */
static int32_t *shared_pgid;
static uv_poll_t guard_gone; /* the guard's end of the pipe closed */
static bool guard_gone_started;

int sw__posix_fd_limit(void) {
  long max = sysconf(_SC_OPEN_MAX);

  return max < 0 || max > 65536 ? 65536 : (int)max;
}

static void close_other_fds(int keep) {
  int fd, max = sw__posix_fd_limit();

  for (fd = 3; fd < max; fd++)
    if (fd != keep) close(fd);
}

static void guard_main(int rfd) {
  static const int ignored[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                SIGUSR1, SIGUSR2, SIGPIPE, SIGTSTP};
  int32_t pgid;
  char c;
  size_t i;

  /* Out of the wrapper's process group: a SIGKILL to that whole group
   * (kill -9 -PGID, a job-control shell, a supervisor ending the group)
   * must leave the guard alive to clean up after the wrapper. */
  setpgid(0, 0);
  for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
    signal(ignored[i], SIG_IGN);
  close_other_fds(rfd);
  /* Not the wrapper's stdin/stdout/stderr either: a reader of those (a
   * pipe into `tee`, a harness waiting for EOF) must see EOF when the
   * wrapper exits, not when the guard's clean-up ends. */
  {
    int null = open("/dev/null", O_RDWR);

    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
    }
  }
  if (chdir("/") != 0) {
    /* Nothing to do about it: the guard only reads a pipe. */
  }
  prctl(PR_SET_NAME, "svcwrap-guard", 0, 0, 0);
  /* Nothing is ever written: read() returns at EOF, when the wrapper is
   * gone (even by SIGKILL). */
  while (read(rfd, &c, 1) < 0 && errno == EINTR) {
  }
  pgid = __atomic_load_n(shared_pgid, __ATOMIC_SEQ_CST);
  /* The wrapper is gone, and with it the parent links of its orphans
   * (reparented to init): what is left of the tree is found by the
   * session/group it was told and by the marker. A process that cleared
   * its environment AND left the session AND whose parent died is out of
   * reach; see docs/containers.md. */
  {
    sw__tree_match_t m = {.pgid = pgid, .marker = true};
    sw__tree_result_t res;

    if (pgid > 0) kill(-pgid, SIGKILL);
    sw__posix_tree_kill(&m, &res);
  }
  _exit(0);
}

int sw__posix_guard_start(void) {
  int fds[2], status;
  pid_t pid, r;

  /* As PID 1 of a pid namespace there is nothing to guard: when PID 1
   * dies, the kernel kills every process of its namespace. */
  if (getpid() == 1) return 0;
  shared_pgid = mmap(NULL, sizeof(*shared_pgid), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared_pgid == MAP_FAILED) {
    int err = errno;

    shared_pgid = NULL;
    sw_log_warn("orphan guard: mmap");
    return -err;
  }
  /* O_CLOEXEC from the start: children must never inherit the write end,
   * or the pipe would outlive the wrapper and the guard would never fire.
   * Set later with fcntl(), a failure would leave exactly that. */
  if (pipe2(fds, O_CLOEXEC) != 0) {
    int err = errno;

    sw_log_warn("orphan guard: pipe");
    return -err;
  }
  /* Forked through a short-lived middle process, before the wrapper
   * becomes a subreaper (host.c), so that the guard is not our child: then
   * "svcwrap has no children" means "nothing of the child's tree is left",
   * which lets a restart skip the /proc walk (see sw__posix_end_tree).
   * Lines waiting for stderr go first, or the fork would write them too. */
  sw_log_flush();
  pid = fork();
  if (pid < 0) {
    int err = errno;

    sw_log_warn("orphan guard: fork");
    close(fds[0]);
    close(fds[1]);
    return -err;
  }
  if (pid == 0) {
    pid_t g;

    close(fds[1]);
    g = fork();
    if (g == 0) guard_main(fds[0]);
    _exit(g < 0 ? 1 : 0);
  }
  close(fds[0]);
  do
    r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    sw_log_warnx("orphan guard: its fork failed");
    close(fds[1]);
    return -ECHILD;
  }
  guard_fd = fds[1];
  return 0;
}

void sw__posix_guard_watch(int pgid) {
  if (guard_fd >= 0) __atomic_store_n(shared_pgid, pgid, __ATOMIC_SEQ_CST);
}

/* The guard's end of the pipe closed: it is gone (it is not our child, so
 * this is where we learn it). */
static void on_guard_gone(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  sw_log_warnx(
      "orphan guard: it has exited (the child's processes would survive if "
      "svcwrap itself were killed)");
  uv_poll_stop(p);
  uv_close((uv_handle_t *)p, NULL); /* a poll handle leaves its fd open */
  close(guard_fd);
  guard_fd = -1;
}

void sw__posix_guard_attach(uv_loop_t *loop) {
  int rc;

  if (guard_fd < 0 || (guard_gone_started && guard_gone.loop == loop &&
                       !uv_is_closing((uv_handle_t *)&guard_gone)))
    return;
  /* A pipe's write end reports an error once nobody can read it; asking
   * for UV_DISCONNECT alone, nothing else wakes the loop. */
  rc = uv_poll_init(loop, &guard_gone, guard_fd);
  if (rc == 0) {
    rc = uv_poll_start(&guard_gone, UV_DISCONNECT, on_guard_gone);
    if (rc != 0) uv_close((uv_handle_t *)&guard_gone, NULL);
  }
  if (rc != 0) {
    /* It still guards; only its death would go unnoticed. */
    sw_log_warnx("orphan guard: cannot watch it: %s", uv_strerror(rc));
    return;
  }
  uv_unref((uv_handle_t *)&guard_gone);
  guard_gone_started = true;
}
