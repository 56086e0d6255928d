/* SPDX-License-Identifier: MIT */
/* Child output pipes, drain and exit reporting, shared by both backends. */
#include "os/common/childio.h"

#include <stdlib.h>

#include "base/log.h"

void sw__childio_handle_closed(uv_handle_t *h) {
  sw__childio_t *io = h->data;

  /* io is the first member of the backend's child: freeing it frees the
   * child (whose own resources the backend released before closing). */
  if (--io->open_handles > 0) return;
  if (io->release != NULL)
    io->release(io);
  else
    free(io);
}

static void close_pipe(sw__childio_t *io, int i) {
  if (!io->pipe_open[i]) return;
  io->pipe_open[i] = false;
  uv_read_stop((uv_stream_t *)&io->out[i]);
  uv_close((uv_handle_t *)&io->out[i], sw__childio_handle_closed);
}

static void maybe_report(sw__childio_t *io) {
  if (io->reported || !io->exited || io->pipe_open[0] || io->pipe_open[1] ||
      io->ext_pending)
    return;
  io->reported = true;
  uv_timer_stop(&io->drain);
  io->on_exit(io->data, io->code, io->signal);
}

/* One read buffer for every child pipe: the loop thread reads one pipe at
 * a time and each read is consumed before the next begins. */
static char read_buf[256 * 1024];

void sw__childio_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  buf->base = read_buf;
  buf->len = sizeof(read_buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  sw__childio_t *io = s->data;
  int i = (uv_pipe_t *)s == &io->out[0] ? 0 : 1;

  if (n > 0) {
    io->progress = true;
    io->on_output(io->data, i + 1, buf->base, (size_t)n);
  }
  if (n < 0) {
    if (n != UV_EOF)
      sw_log_warnx("read from child's %s: %s", i ? "stderr" : "stdout",
                   uv_strerror((int)n));
    close_pipe(io, i);
    maybe_report(io);
  }
}

static void on_drain_timeout(uv_timer_t *t) {
  sw__childio_t *io = t->data;
  uint64_t waited = uv_now(t->loop) - io->exited_at;

  /* Output still arriving, or paused for the log writer (what is left in
   * the pipes is not late output, just output not read yet): wait another
   * period, within the bound. */
  if ((io->progress || io->paused) && waited < SW_DRAIN_MAX_MS) {
    uint64_t left = SW_DRAIN_MAX_MS - waited;

    io->progress = false;
    uv_timer_start(&io->drain, on_drain_timeout,
                   left < SW_DRAIN_MS ? left : SW_DRAIN_MS, 0);
    return;
  }
  if (io->paused)
    sw_log_warnx(
        "the log files have taken nothing for %llums after the child "
        "exited (a stalled disk?); the output still in its pipes is "
        "given up",
        (unsigned long long)waited);
  else if (io->progress)
    sw_log_warnx(
        "child's output still arrives %llums after it exited (written by "
        "a process outside its tree?); no longer reading it",
        (unsigned long long)waited);
  else
    sw_log_warnx(
        "child's output is still open %llums after it exited (held by "
        "a process outside its tree?); no longer reading it",
        (unsigned long long)waited);
  close_pipe(io, 0);
  close_pipe(io, 1);
  io->ext_pending = false; /* what is left stays in those pipes */
  maybe_report(io);
}

void sw__childio_init(sw__childio_t *io, uv_loop_t *loop,
                      const sw_spawn_opts_t *o, int extra) {
  int i;

  io->on_output = o->on_output;
  io->on_exit = o->on_exit;
  io->data = o->data;
  io->ext_pause = NULL;
  io->ext_drain = NULL;
  io->ext_pending = false;
  for (i = 0; i < 2; i++) {
    uv_pipe_init(loop, &io->out[i], 0);
    io->out[i].data = io;
  }
  uv_timer_init(loop, &io->drain);
  io->drain.data = io;
  io->open_handles = 3 + extra;
}

static int start_reading(sw__childio_t *io, int i) {
  int rc =
      uv_read_start((uv_stream_t *)&io->out[i], sw__childio_alloc, on_read);

  if (rc != 0) {
    /* A pipe that cannot be read would fill and block the child: close
     * it (the child then gets EPIPE on that stream, not a hang). */
    sw_log_warnx("read from child's %s: %s; closing it",
                 i ? "stderr" : "stdout", uv_strerror(rc));
    close_pipe(io, i);
    maybe_report(io);
  }
  return rc;
}

void sw__childio_read(sw__childio_t *io, int i) {
  io->pipe_open[i] = true;
  if (!io->paused) start_reading(io, i);
}

void sw__childio_pause(sw__childio_t *io, bool pause) {
  int i;

  if (io->paused == pause || io->freeing) return;
  io->paused = pause;
  if (io->ext_pause != NULL) io->ext_pause(pause);
  for (i = 0; i < 2; i++) {
    if (!io->pipe_open[i]) continue;
    if (pause)
      uv_read_stop((uv_stream_t *)&io->out[i]);
    else
      start_reading(io, i);
  }
  /* An exit waiting for the output read elsewhere: read the rest now. */
  if (!pause && io->ext_pending && io->ext_drain()) {
    io->ext_pending = false;
    maybe_report(io);
  }
}

void sw_os_child_pause_output(sw_child_t *c, bool pause) {
  /* sw__childio_t is the first member of every backend's sw_child_s. */
  sw__childio_pause((sw__childio_t *)c, pause);
}

void sw__childio_exited(sw__childio_t *io, uint32_t code, int signal) {
  if (io->exited) return;
  io->exited = true;
  io->code = code;
  io->signal = signal;
  io->progress = false;
  io->exited_at = uv_now(io->drain.loop);
  /* What it wrote before its exit is in the pipes now (no EOF comes from
   * pipes kept for the next child). */
  if (io->ext_drain != NULL && !io->ext_drain()) io->ext_pending = true;
  uv_timer_start(&io->drain, on_drain_timeout, SW_DRAIN_MS, 0);
  maybe_report(io);
}

void sw__childio_close(sw__childio_t *io) {
  int i;

  if (io->freeing) return;
  io->freeing = true;
  for (i = 0; i < 2; i++) {
    if (io->pipe_open[i]) {
      close_pipe(io, i);
    } else if (!uv_is_closing((uv_handle_t *)&io->out[i])) {
      uv_close((uv_handle_t *)&io->out[i], sw__childio_handle_closed);
    }
  }
  uv_close((uv_handle_t *)&io->drain, sw__childio_handle_closed);
}
