/* SPDX-License-Identifier: MIT */
/* The wrapper log front-end: formatting, levels and sinks. */
#include "base/log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/timefmt.h"
#include "base/sys.h"

static sw_log_sink_fn *sink_fn;
static void *sink_data;
static int to_stderr = -1; /* -1: not yet decided */
static int pid; /* ours, once: logging should cost no extra syscalls */

/* With batching on, the info and debug lines for stderr wait here until
 * sw_log_flush() (run.c calls it just before the loop waits), a warning or
 * an error, or a full buffer: a crash loop's four lines per restart cost
 * one write to stderr instead of four. */
static bool batching;
static char batch[8192];
static size_t batch_len;

void sw_log_flush(void) {
  if (batch_len == 0) return;
  fwrite(batch, 1, batch_len, stderr);
  fflush(stderr);
  batch_len = 0;
}

void sw_log_batch_stderr(bool on) {
  static bool at_exit;

  if (on && !at_exit) at_exit = atexit(sw_log_flush) == 0;
  if (!on) sw_log_flush();
  batching = on && at_exit; /* never lines that exit() would drop */
}

static void to_stderr_line(sw_log_level_t level, const char *line, size_t n) {
  if (batching && level <= SW_LOG_INFO && n <= sizeof(batch)) {
    if (batch_len + n > sizeof(batch)) sw_log_flush();
    memcpy(batch + batch_len, line, n);
    batch_len += n;
    return;
  }
  sw_log_flush(); /* what came before goes first */
  fwrite(line, 1, n, stderr);
  fflush(stderr);
}

void sw_log_set_sink(sw_log_sink_fn *fn, void *data) {
  sink_fn = fn;
  sink_data = data;
}

static void emit(sw_log_level_t level, const char *syserr, const char *fmt,
                 va_list ap) {
  static const char *const names[] = {"debug", "info", "warning", "error"};
  char line[2048], ts[SW_TIME_LEN];
  uv_timeval64_t tv;
  int n;

  if (pid == 0) pid = (int)uv_os_getpid();
  if (uv_gettimeofday(&tv) != 0) tv.tv_sec = tv.tv_usec = 0;
  n = snprintf(line, sizeof(line), "%s svcwrap[%d]: %s: ",
               sw_time_format(tv.tv_sec * 1000 + tv.tv_usec / 1000,
                              sw_os_utc_offset_min(tv.tv_sec), 0, ts),
               pid, names[level]);
  if (n < 0) return;
  n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
  if (syserr != NULL && n >= 0 && (size_t)n < sizeof(line))
    n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", syserr);
  if (n < 0) return;
  /* Room for the newline: a line is written in one piece. */
  if ((size_t)n >= sizeof(line) - 1) n = (int)sizeof(line) - 2;
  if (sink_fn != NULL) sink_fn(sink_data, level, line, (size_t)n);
  if (to_stderr < 0) to_stderr = !sw_os_stderr_is_null();
  if (to_stderr) {
    line[n] = '\n';
    to_stderr_line(level, line, (size_t)n + 1);
  }
}

#define DEFINE_LOG(fn, level, with_syserr)                                     \
  void fn(const char *fmt, ...) {                                              \
    char err[512];                                                             \
    va_list ap;                                                                \
                                                                               \
    if (with_syserr) sw_os_last_error_text(err, sizeof(err));                  \
    va_start(ap, fmt);                                                         \
    emit(level, with_syserr ? err : NULL, fmt, ap);                            \
    va_end(ap);                                                                \
  }

DEFINE_LOG(sw_log_info, SW_LOG_INFO, 0)
DEFINE_LOG(sw_log_warn, SW_LOG_WARN, 1)
DEFINE_LOG(sw_log_warnx, SW_LOG_WARN, 0)
DEFINE_LOG(sw_log_error, SW_LOG_ERROR, 0)
DEFINE_LOG(sw_log_debug, SW_LOG_DEBUG, 0)
