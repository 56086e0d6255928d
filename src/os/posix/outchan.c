/* SPDX-License-Identifier: MIT */
/*
 * The child's stdout and stderr pipes on POSIX, kept from one child to the
 * next. The wrapper holds both ends: each new child gets the write ends as
 * its fd 1 and 2, and the read ends stay in the loop. A restart then makes
 * no pipes and closes none, and the loop is not woken by the end of the
 * old child's output (EPOLLHUP) before its SIGCHLD: in a crash loop at zero
 * delay that was a fifth of the wrapper's work between two children.
 *
 * The cost of keeping the write ends: the pipes never see EOF, so a
 * child's exit is not "its output ended". What it wrote before exiting is
 * in the pipes when the reaper sees the exit and is read then, at once
 * (sw__outchan_drain), before the exit is reported. What a process
 * outside the tree writes later is read like any output, into the logs,
 * instead of holding the exit back for the old 2 s drain.
 *
 * The handles are unreferenced while no child runs (never keeping the loop
 * alive), and closed with everything else when the loop ends (run.c's
 * walk_close); the next loop opens new ones. When the pipes cannot be had
 * (no descriptors, a read error closing them), the caller falls back to
 * pipes of the child's own, as for hooks. Runs on: loop thread.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ, pipe2 */
#include "os/posix/outchan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "os/common/childio.h"

static struct {
  uv_loop_t *loop;
  uv_pipe_t rd[2]; /* stdout, stderr: the read ends */
  int wr[2];       /* the write ends, the next child's fd 1 and 2 */
  int size[2];     /* each pipe's capacity as made (F_GETPIPE_SZ) */
  bool open;
  bool paused; /* reading stopped for the log writer (back pressure) */
  int refs;    /* children running on it: the handles keep the loop alive */
  int closing; /* read ends closed after an error, not yet gone */
  sw_child_output_cb *on_output;
  void *data;
} ch = {.wr = {-1, -1}};

static void close_write_ends(void) {
  int i;

  for (i = 0; i < 2; i++) {
    if (ch.wr[i] >= 0) close(ch.wr[i]);
    ch.wr[i] = -1;
  }
}

/* Closed by the loop's end (walk_close, uv_close without a callback) or by
 * a read error: forget it, so that the next child gets new pipes. */
static bool still_usable(uv_loop_t *loop) {
  return ch.open && ch.loop == loop &&
         !uv_is_closing((uv_handle_t *)&ch.rd[0]) &&
         !uv_is_closing((uv_handle_t *)&ch.rd[1]);
}

static void on_closed(uv_handle_t *h) {
  (void)h;
  ch.closing--;
}

/* A read end failed: close both (the child writing to them gets EPIPE,
 * as when its own pipe failed) and make new ones for the next child. */
static void give_up(int i, int rc) {
  int j;

  sw_log_warnx("read from child's %s: %s; the next child gets new pipes",
               i ? "stderr" : "stdout", uv_strerror(rc));
  for (j = 0; j < 2; j++) {
    if (uv_is_closing((uv_handle_t *)&ch.rd[j])) continue;
    ch.closing++;
    uv_close((uv_handle_t *)&ch.rd[j], on_closed);
  }
  close_write_ends();
  ch.open = false;
  ch.refs = 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  int i = (uv_pipe_t *)s == &ch.rd[0] ? 0 : 1;

  if (n > 0) ch.on_output(ch.data, i + 1, buf->base, (size_t)n);
  /* Not EOF: the write ends are ours. */
  if (n < 0) give_up(i, (int)n);
}

static int start_reading(int i) {
  int rc = uv_read_start((uv_stream_t *)&ch.rd[i], sw__childio_alloc, on_read);

  if (rc != 0) give_up(i, rc);
  return rc;
}

int sw__posix_output_pipe(int fds[2], char *why, size_t whylen) {
  /* Pipes, not socketpairs: a program that opens /dev/stdout or
   * /dev/stderr (nginx's error_log /dev/stderr, `echo x >/dev/stderr`)
   * reopens /proc/self/fd/N, which fails with ENXIO on a socket. A
   * socketpair was measured (make bench) to cost the reading wrapper
   * 20-40 % less CPU for the same bytes; correctness comes first. */
  if (pipe2(fds, O_CLOEXEC) != 0) {
    int err = errno;

    snprintf(why, whylen, "pipe: %s", strerror(err));
    return -err;
  }
  /* 1 MiB where allowed (pipe-max-size; root may exceed it): fewer
   * wakeups for a chatty child. The default 64 KiB works too. */
  (void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  return 0;
}

/* Make the two pipes and put their read ends in the loop; 0 or a negative
 * code with why. */
static int create(uv_loop_t *loop, char *why, size_t whylen) {
  int fds[2][2] = {{-1, -1}, {-1, -1}}, i, rc = 0;

  ch.loop = loop;
  for (i = 0; i < 2 && rc == 0; i++)
    rc = sw__posix_output_pipe(fds[i], why, whylen);
  for (i = 0; i < 2 && rc == 0; i++) {
    uv_pipe_init(loop, &ch.rd[i], 0);
    rc = uv_pipe_open(&ch.rd[i], fds[i][0]);
    if (rc == 0) {
      fds[i][0] = -1; /* libuv's now */
      continue;
    }
    snprintf(why, whylen, "read the child's %s: %s", i ? "stderr" : "stdout",
             uv_strerror(rc));
    ch.closing += i + 1; /* this one (its fd still ours) and stdout's */
    uv_close((uv_handle_t *)&ch.rd[i], on_closed);
    if (i == 1) uv_close((uv_handle_t *)&ch.rd[0], on_closed);
  }
  if (rc != 0) {
    for (i = 0; i < 2; i++) {
      if (fds[i][0] >= 0) close(fds[i][0]);
      if (fds[i][1] >= 0) close(fds[i][1]);
    }
    return rc;
  }
  ch.wr[0] = fds[0][1];
  ch.wr[1] = fds[1][1];
  for (i = 0; i < 2; i++)
    ch.size[i] = fcntl(ch.wr[i], F_GETPIPE_SZ);
  ch.open = true;
  ch.paused = false;
  ch.refs = 0;
  for (i = 0; i < 2; i++)
    uv_unref((uv_handle_t *)&ch.rd[i]);
  for (i = 0; i < 2 && ch.open; i++)
    start_reading(i);
  if (!ch.open) {
    snprintf(why, whylen, "cannot read the pipes");
    return UV_EIO;
  }
  return 0;
}

int sw__outchan_take(uv_loop_t *loop, sw_child_output_cb *on_output, void *data,
                     int wr[2], char *why, size_t whylen) {
  int rc, i;

  if (!still_usable(loop)) {
    if (ch.closing > 0 && ch.loop == loop) {
      snprintf(why, whylen, "the last pipes are still closing");
      return UV_EBUSY;
    }
    if (ch.open) close_write_ends(); /* the loop closed the read ends */
    ch.open = false;
    ch.closing = 0;
    rc = create(loop, why, whylen);
    if (rc != 0) return rc;
  }
  /* The pipes are the same open files for every child: what one child
   * changed on them (O_NONBLOCK, as Node.js sets on its stdio; O_APPEND;
   * the pipe's size) would reach the next, which may expect a blocking
   * stdout. Each child gets them as they were made. */
  for (i = 0; i < 2; i++) {
    const int changeable =
        O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK;
    int fl = fcntl(ch.wr[i], F_GETFL);

    if (fl >= 0 && (fl & changeable) != 0)
      (void)fcntl(ch.wr[i], F_SETFL, fl & ~changeable);
    if (ch.size[i] > 0 && fcntl(ch.wr[i], F_GETPIPE_SZ) != ch.size[i])
      (void)fcntl(ch.wr[i], F_SETPIPE_SZ, ch.size[i]);
  }
  ch.on_output = on_output;
  ch.data = data;
  if (ch.refs++ == 0)
    for (i = 0; i < 2; i++)
      uv_ref((uv_handle_t *)&ch.rd[i]);
  wr[0] = ch.wr[0];
  wr[1] = ch.wr[1];
  return 0;
}

void sw__outchan_release(void) {
  int i;

  if (ch.refs == 0 || --ch.refs > 0 || !ch.open) return;
  for (i = 0; i < 2; i++)
    uv_unref((uv_handle_t *)&ch.rd[i]);
}

bool sw__outchan_drain(void) {
  int i;

  for (i = 0; i < 2; i++) {
    /* At most what the pipe held at the exit: a process outside the tree
     * that keeps writing must not keep the loop in here; the rest is read
     * by the loop like any output. */
    ssize_t left = ch.size[i] > 0 ? ch.size[i] : 1 << 20;
    uv_os_fd_t fd;
    uv_buf_t buf;
    ssize_t n;

    /* Read through the fd itself (non-blocking): libuv would read only
     * when the loop next polls, after the exit was reported. */
    while (left > 0 && ch.open &&
           uv_fileno((uv_handle_t *)&ch.rd[i], &fd) == 0) {
      if (ch.paused) return false; /* the log writer is full */
      sw__childio_alloc(NULL, 0, &buf);
      n = read(fd, buf.base, buf.len);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break; /* all read */
      if (n <= 0) {
        give_up(i, n == 0 ? UV_EOF : -errno);
        break;
      }
      left -= n;
      ch.on_output(ch.data, i + 1, buf.base, (size_t)n);
    }
  }
  return true;
}

void sw__outchan_pause(bool pause) {
  int i;

  if (ch.paused == pause || !ch.open) return;
  ch.paused = pause;
  for (i = 0; i < 2 && ch.open; i++) {
    if (pause)
      uv_read_stop((uv_stream_t *)&ch.rd[i]);
    else
      start_reading(i);
  }
}

bool sw__outchan_paused(void) {
  return ch.open && ch.paused;
}
