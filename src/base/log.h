/* SPDX-License-Identifier: MIT */
/*
 * The wrapper's own log: one line per message, "what: why", lower case,
 * no final period. Lines go to stderr (unless it is the null device) and
 * to an optional extra sink (the wrapper log file). Runs on: the loop
 * thread, or main before the loop.
 */
#ifndef SW_BASE_LOG_H
#define SW_BASE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"

typedef enum {
  SW_LOG_DEBUG,
  SW_LOG_INFO,
  SW_LOG_WARN,
  SW_LOG_ERROR
} sw_log_level_t;

/* A sink gets each finished line (time stamp included, no newline). */
typedef void sw_log_sink_fn(void *data, sw_log_level_t level, const char *line,
                            size_t len);

void sw_log_info(const char *fmt, ...) SW_PRINTF(1, 2);
/* Appends ": " and the current system error text (errno/GetLastError). */
void sw_log_warn(const char *fmt, ...) SW_PRINTF(1, 2);
void sw_log_warnx(const char *fmt, ...) SW_PRINTF(1, 2);
void sw_log_error(const char *fmt, ...) SW_PRINTF(1, 2);
void sw_log_debug(const char *fmt, ...) SW_PRINTF(1, 2);

/* Add a second destination (NULL to remove). */
void sw_log_set_sink(sw_log_sink_fn *fn, void *data);

/* Batch the info and debug lines for stderr until sw_log_flush(), a
 * warning or an error (which go out at once, after what waited), a full
 * buffer, or exit(). Whoever turns it on flushes before the loop waits and
 * before a fork without exec. Off again flushes. */
void sw_log_batch_stderr(bool on);
/* Write what waits for stderr. Also before writing to stderr directly. */
void sw_log_flush(void);

#endif
