/* SPDX-License-Identifier: MIT */
/*
 * The child's stdout and stderr pipes, kept from one child to the next
 * (outchan.c says why). Only the child uses them; hooks get pipes of
 * their own, [control] commands the wrapper's stdout and stderr. Runs on:
 * loop thread.
 */
#ifndef SW_OS_POSIX_OUTCHAN_H
#define SW_OS_POSIX_OUTCHAN_H

#include <stdbool.h>
#include <uv.h>

#include "os/os.h"

/* One pipe for a child's stdout or stderr (pipe2, O_CLOEXEC, enlarged);
 * 0 or a negative errno with why. */
int sw__posix_output_pipe(int fds[2], char *why, size_t whylen);
/* The write ends for a new child's fd 1 and 2 (the wrapper keeps them;
 * they are O_CLOEXEC), making the pipes when there are none in this loop;
 * what is read goes to on_output(data, 1 or 2, ...). Until
 * sw__outchan_release() the pipes keep the loop alive. 0, or a negative
 * code with why: then the child needs pipes of its own. */
int sw__outchan_take(uv_loop_t *loop, sw_child_output_cb *on_output, void *data,
                     int wr[2], char *why, size_t whylen);
/* The child that took them exited (or was abandoned). */
void sw__outchan_release(void);
/* Read what the pipes hold now: what the child wrote before it exited,
 * to be logged before its exit. false: reading is paused (the log writer
 * is full), call again once resumed. */
bool sw__outchan_drain(void);
/* Stop or resume reading (back pressure from the log writer). */
void sw__outchan_pause(bool pause);
/* Whether reading is stopped: a new child starts paused then. */
bool sw__outchan_paused(void);

#endif
