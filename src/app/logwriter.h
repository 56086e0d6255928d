/* SPDX-License-Identifier: MIT */
/*
 * The log writer: one thread that does every log file write, rename and
 * delete, so a slow or stalled disk never stalls the loop (output reading,
 * stop timers, the service manager's heartbeat). The loop queues work in
 * one ordered queue (the child's lines, the wrapper's own lines,
 * rotations); the writer does it in that order.
 *
 * The queue is bounded by back pressure, not by dropping: once it holds
 * `high` bytes, sw_logwriter_full() says so and the caller stops reading
 * the child's pipes (the child then blocks in its write: nothing is lost);
 * when the writer has brought it down to `low` bytes, on_drained runs on
 * the loop thread and reading resumes.
 *
 * The writer thread never logs (the wrapper log is written through this
 * very queue): the log files' reports are passed back to the loop thread
 * and logged there with sw_log_*.
 */
#ifndef SW_APP_LOGWRITER_H
#define SW_APP_LOGWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "app/logfile.h"

typedef struct sw_logwriter_s sw_logwriter_t;

/* Runs on the loop thread when the queue has drained to the low-water
 * mark after sw_logwriter_full() returned true. */
typedef void sw_logwriter_drained_fn(void *data);

/*
 * Start the writer thread; its wake-up handle is added to `loop` (it does
 * not keep the loop alive). high and low are byte counts (low < high).
 * Returns 0 and a writer the caller owns in *out (release with
 * sw_logwriter_free()), or a libuv error (logged).
 * Runs on: the loop thread.
 */
int sw_logwriter_new(uv_loop_t *loop, size_t high, size_t low,
                     sw_logwriter_drained_fn *on_drained, void *data,
                     sw_logwriter_t **out);

/* The report function to give the log files (sw_logfile_init) with the
 * writer as data: reports go to the wrapper log on the loop thread (the
 * wrapper log's own, marked quiet, to stderr). Any thread. */
void sw_logwriter_report(void *data, const sw_logfile_t *f, bool warn,
                         const char *msg);

/* Queue len bytes (whole lines; copied) for f. Never blocks, never drops
 * (but the bytes are counted as dropped by f if memory runs out). */
void sw_logwriter_write(sw_logwriter_t *w, sw_logfile_t *f, const char *buf,
                        size_t len);
/* Queue a rotation of f (after everything queued before it). */
void sw_logwriter_rotate(sw_logwriter_t *w, sw_logfile_t *f);
/* True if the queue holds at least `high` bytes; then on_drained will
 * run once it is down to `low`. */
bool sw_logwriter_full(sw_logwriter_t *w);
/* The longest sync_for waits in all, even for a disk that keeps writing
 * slowly: a service manager's stop must end. */
#define SW_LOGWRITER_SYNC_MAX_MS 60000
/* Wait until everything queued is written; false if the writer made no
 * progress for ms (a stalled disk) or SW_LOGWRITER_SYNC_MAX_MS passed.
 * waiting(data), if not NULL, is called about once a second meanwhile.
 * Runs on: the loop thread. */
bool sw_logwriter_sync_for(sw_logwriter_t *w, uint64_t ms,
                           void (*waiting)(void *data), void *data);
/* Bytes queued and not yet written. Any thread. */
size_t sw_logwriter_queued(sw_logwriter_t *w);
/* Bytes f has dropped, as of the last finished queue entry. */
uint64_t sw_logwriter_dropped(sw_logwriter_t *w, const sw_logfile_t *f);
/* Wait until everything queued so far is written. */
void sw_logwriter_sync(sw_logwriter_t *w);
/* The loop is closing: deliver pending reports, close the wake-up handle;
 * later reports wait for sw_logwriter_free(). Idempotent. */
void sw_logwriter_detach(sw_logwriter_t *w);
/* Write everything still queued, stop the thread, deliver the last
 * reports and free w (detach first if the loop still runs). NULL is a
 * no-op. */
void sw_logwriter_free(sw_logwriter_t *w);

/* All the above run on the loop thread unless they say otherwise. */

#endif
