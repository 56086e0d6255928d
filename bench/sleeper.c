/* SPDX-License-Identifier: MIT */
/*
 * bench/sleeper: the idle / memory / stop-latency child. Writes its pid to
 * READY_FILE (atomically), then sleeps. On SIGTERM, SIGINT or SIGHUP it
 * appends CLOCK_MONOTONIC nanoseconds and its pid to STAMP_FILE and exits
 * at once with code 0: the stamp is the child's own exit time, so a stop
 * latency is stamp - request, with nothing of the child's in it.
 *
 *   sleeper READY_FILE STAMP_FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *stamp_path;

static void on_stop(int s) {
  struct timespec ts;
  char buf[80];
  int fd, n;

  (void)s;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  n = snprintf(buf, sizeof buf, "%lld %d\n",
               (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)getpid());
  fd = open(stamp_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    if (write(fd, buf, (size_t)n) != n) {
      /* nothing to do */
    }
    close(fd);
  }
  _exit(0);
}

int main(int argc, char **argv) {
  struct sigaction sa;
  char buf[32], tmp[4096];
  int fd, n;

  if (argc != 3) {
    fprintf(stderr, "usage: sleeper READY_FILE STAMP_FILE\n");
    return 64;
  }
  stamp_path = argv[2];
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", argv[1], (int)getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (write(fd, buf, (size_t)n) != n) {
      /* the harness times out */
    }
    close(fd);
    rename(tmp, argv[1]);
  }
  for (;;)
    pause();
}
