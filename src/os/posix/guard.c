/* SPDX-License-Identifier: MIT */
/*
 * The orphan guard (see internal.h). It must not hold anything of the
 * wrapper's open (sockets, pipes to the child), must survive the signals a
 * terminal or init sends to the wrapper's process group, and must do
 * nothing but wait. It is forked before the event loop exists, so the
 * wrapper is single-threaded at that point.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include "app/log.h"
#include "os/posix/internal.h"

static int guard_fd = -1; /* write end; -1 when there is no guard */

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

  /* Out of the wrapper's process group (the parent does the same, so
   * there is no window): a SIGKILL to that whole group (kill -9 -PGID,
   * a job-control shell, a supervisor ending the group) must leave the
   * guard alive to clean up after the wrapper. */
  setpgid(0, 0);
  for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
    signal(ignored[i], SIG_IGN);
  close_other_fds(rfd);
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
  if (pgid > 0) kill(-pgid, SIGKILL);
  _exit(0);
}

int sw__posix_guard_start(void) {
  int fds[2];
  pid_t pid;

  if (pipe(fds) != 0) {
    sw_log_warn("orphan guard: pipe");
    return -errno;
  }
  pid = fork();
  if (pid < 0) {
    int err = errno;

    sw_log_warn("orphan guard: fork");
    close(fds[0]);
    close(fds[1]);
    return -err;
  }
  if (pid == 0) {
    close(fds[1]);
    guard_main(fds[0]);
  }
  /* As in guard_main(): done by both so that neither order leaves a
   * window; the second call changes nothing. */
  setpgid(pid, pid);
  close(fds[0]);
  /* Children must not inherit the write end, or the pipe would outlive
   * the wrapper and the guard would never fire. */
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  guard_fd = fds[1];
  return 0;
}

void sw__posix_guard_watch(int pgid) {
  int32_t v = pgid;

  if (guard_fd < 0) return;
  /* A 4-byte write to a pipe is atomic and never partial. */
  if (write(guard_fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
    sw_log_warn("orphan guard: write");
}
