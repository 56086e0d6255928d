/* SPDX-License-Identifier: MIT */
/*
 * The part of a child both backends share: its stdout and stderr pipes in
 * the loop, the drain after it exits, and the rule that on_exit comes once,
 * after the last output. A backend embeds sw__childio_t as the FIRST member
 * of its sw_child_s (every handle's data points at it), adds its own handle
 * (the process, or the exit notification) and closes it with
 * sw__childio_handle_closed. Runs on: loop thread.
 */
#ifndef SW_OS_COMMON_CHILDIO_H
#define SW_OS_COMMON_CHILDIO_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "os/os.h"

/* After the child exits, how long its output may still arrive (held open
 * by a process that left its tree) before the pipes are closed. */
#define SW_DRAIN_MS 2000
/* The drain waits another SW_DRAIN_MS period while output still arrives
 * or reading is paused for a log disk that does not keep up, but never
 * longer than this in all: a stalled disk or an outside holder that keeps
 * writing must not hold a stop (or a restart) forever. The whole wait
 * (4 s) stays inside the time the supervisor gives terminate
 * (TERMINATE_WAIT_MS, 5 s, in app/run.c), so a child killed by terminate
 * is reported as exited, not as unkillable. */
#define SW_DRAIN_MAX_MS 4000

typedef struct {
  uv_pipe_t out[2]; /* stdout, stderr */
  uv_timer_t drain;
  sw_child_output_cb *on_output;
  sw_child_exit_cb *on_exit;
  void *data;
  int open_handles; /* handles not yet closed; the child is freed at 0 */
  bool pipe_open[2];
  bool exited;
  bool reported;
  bool freeing;
  bool paused; /* reading stopped for the log writer (back pressure) */
  /* Output read elsewhere (POSIX: pipes kept across children, outchan.h):
   * told of every pause and resume, and asked at the exit to read what is
   * left (true: all of it; false: paused, the exit waits for a resume, as
   * for the pipes above, within SW_DRAIN_MAX_MS). NULL: the pipes above. */
  void (*ext_pause)(bool pause);
  bool (*ext_drain)(void);
  bool ext_pending;   /* the exit waits for ext_drain */
  bool progress;      /* output read since the drain timer was armed */
  uint64_t exited_at; /* uv_now() at the exit, for SW_DRAIN_MAX_MS */
  uint32_t code;
  int signal;
  /* Frees the record (the backend's child, of which io is the first
   * member) once its last handle closed; NULL: free(). */
  void (*release)(void *record);
} sw__childio_t;

/* Initialise the two pipes and the drain timer (uv_pipe_init etc.) and
 * count `extra` more handles of the backend's (release is left as set). */
void sw__childio_init(sw__childio_t *io, uv_loop_t *loop,
                      const sw_spawn_opts_t *o, int extra);
/* Start reading pipe i (0 stdout, 1 stderr), opened by the backend. If
 * libuv cannot read it, it is closed and that is logged. */
void sw__childio_read(sw__childio_t *io, int i);
/* Stop or resume reading both pipes (sw_os_child_pause_output). */
void sw__childio_pause(sw__childio_t *io, bool pause);
/* The process exited: drain, then report. */
void sw__childio_exited(sw__childio_t *io, uint32_t code, int signal);
/* Close the pipes and the timer (the backend closes its own handles with
 * sw__childio_handle_closed); the child is freed after the last close.
 * Idempotent. */
void sw__childio_close(sw__childio_t *io);
/* The read buffer every child pipe shares (a uv_alloc_cb): the loop
 * thread reads one pipe at a time and consumes each read before the next. */
void sw__childio_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
/* The close callback for every handle of the child. */
void sw__childio_handle_closed(uv_handle_t *h);

#endif
