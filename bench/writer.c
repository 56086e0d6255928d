/* SPDX-License-Identifier: MIT */
/*
 * bench/writer: the log-throughput child. Writes N lines of B bytes to
 * stdout, each "%08d " + 'x' filler + '\n' (the same format as
 * tests/children/testchild --lines), as fast as the pipe takes them, in
 * 64 KiB writes that ignore line boundaries (like a fully buffered stdio).
 *
 *   writer N B START_FILE [DONE_FILE]
 *
 * START_FILE gets CLOCK_MONOTONIC nanoseconds just before the first write,
 * DONE_FILE after the last one returned. Then the writer sleeps until a
 * signal ends it, so that no supervisor restarts it mid-measurement.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static void stamp(const char *path) {
  struct timespec ts;
  char buf[64], tmp[4096];
  int fd, n;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  n = snprintf(buf, sizeof buf, "%lld\n",
               (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, buf, (size_t)n) != n)
    _exit(3);
  close(fd);
  rename(tmp, path);
}

static void on_sig(int s) {
  (void)s;
  _exit(0);
}

static void write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0)
      _exit(2);
    p += w;
    n -= (size_t)w;
  }
}

int main(int argc, char **argv) {
  long long n, seq;
  size_t b, fill = 0, i;
  char *buf, line[4096];

  if (argc < 4) {
    fprintf(stderr, "usage: writer N LINE_BYTES START_FILE [DONE_FILE]\n");
    return 64;
  }
  n = atoll(argv[1]);
  b = (size_t)atol(argv[2]);
  if (b < 10 || b > sizeof line)
    return 64;
  signal(SIGTERM, on_sig);
  signal(SIGINT, on_sig);
  buf = malloc(CHUNK + sizeof line);
  if (buf == NULL)
    return 1;
  memset(line, 'x', b);
  line[8] = ' ';
  line[b - 1] = '\n';
  stamp(argv[3]);
  for (seq = 1; seq <= n; seq++) {
    long long v = seq;
    for (i = 8; i-- > 0; v /= 10)
      line[i] = (char)('0' + v % 10);
    memcpy(buf + fill, line, b);
    fill += b;
    if (fill >= CHUNK) {
      write_all(buf, CHUNK);
      fill -= CHUNK;
      memmove(buf, buf + CHUNK, fill);
    }
  }
  write_all(buf, fill);
  if (argc > 4)
    stamp(argv[4]);
  for (;;)
    pause();
}
