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
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "os/posix/internal.h"

static int guard_fd = -1; /* write end; -1 when there is no guard */
/* The group last told is gone, "none" not written yet (unwatch_soon). */
static bool unwatch_due;

static void close_other_fds(int keep) {
  long max = sysconf(_SC_OPEN_MAX);
  int fd;

  if (max < 0 || max > 65536) max = 65536;
  for (fd = 3; fd < max; fd++)
    if (fd != keep) close(fd);
}

static void guard_main(int rfd) {
  static const int ignored[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                SIGUSR1, SIGUSR2, SIGPIPE, SIGTSTP};
  int32_t pgid = 0, v;
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
  /* The wrapper writes without blocking (pipe2 below); the guard blocks. */
  fcntl(rfd, F_SETFL, 0);
  if (chdir("/") != 0) {
    /* Nothing to do about it: the guard only reads a pipe. */
  }
  prctl(PR_SET_NAME, "svcwrap-guard", 0, 0, 0);
  for (;;) {
    ssize_t n = read(rfd, &v, sizeof(v));

    if (n == (ssize_t)sizeof(v)) {
      pgid = v;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break; /* EOF: the wrapper is gone */
  }
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
  /* O_CLOEXEC from the start: children must never inherit the write end,
   * or the pipe would outlive the wrapper and the guard would never fire.
   * Set later with fcntl(), a failure would leave exactly that. */
  /* O_NONBLOCK: a guard that does not read (stopped, traced) must never
   * block the loop in sw__posix_guard_watch. */
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
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
  /* A normal exit right after the child's must not leave the guard with
   * that child's group: its number could be another's by then. */
  if (atexit(sw__posix_guard_flush) != 0)
    sw_log_warnx(
        "orphan guard: atexit failed; the guard may be left with a "
        "stale group at exit");
  return 0;
}

void sw__posix_guard_unwatch_soon(void) {
  if (guard_fd >= 0) unwatch_due = true;
}

void sw__posix_guard_flush(void) {
  if (unwatch_due) sw__posix_guard_watch(0);
}

void sw__posix_guard_watch(int pgid) {
  int32_t v = pgid;

  unwatch_due = false;
  if (guard_fd < 0) return;
  /* A 4-byte write to a pipe is atomic and never partial. */
  if (write(guard_fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
    if (errno == EAGAIN) {
      /* The guard does not read (stopped?): it keeps an older group;
       * closing the pipe would make it kill the running child's. */
      static bool said;

      if (!said)
        sw_log_warnx(
            "orphan guard: not reading; it may end the wrong "
            "process group if svcwrap is killed");
      said = true;
      return;
    }
    /* EPIPE: the guard is gone (it is not our child, so this is where we
     * learn it). */
    sw_log_warn(
        "orphan guard: write (the child's processes would survive if "
        "svcwrap itself were killed)");
    close(guard_fd);
    guard_fd = -1;
  }
}
