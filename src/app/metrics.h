/* SPDX-License-Identifier: MIT */
/*
 * [metrics] in the shell: the textfile (rewritten atomically, off the
 * loop, on every state change and every interval) and the GET /metrics
 * listener (libuv TCP, bounded). The text itself is built by
 * core/metrics.c through the text callback. Set up only when [metrics]
 * asks for something: without it, no timer and no socket exist.
 * Runs on: loop thread.
 */
#ifndef SW_APP_METRICS_H
#define SW_APP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "core/config.h"

/* The current metrics text, a heap string the caller frees (NULL: out of
 * memory). */
typedef char *sw_metrics_text_fn(void *data);

/* Bounds of the listener. */
#define SW_METRICS_MAX_REQUEST (8 * 1024) /* request head, bytes */
#define SW_METRICS_MAX_CONNS   16
#define SW_METRICS_IDLE_MS     5000 /* to send the whole request head */

typedef struct sw_metrics_conn_s sw_metrics_conn_t;

typedef struct {
  uv_loop_t *loop;
  const sw_config_t *cfg;
  sw_metrics_text_fn *text;
  void *data;
  bool started, closing;
  uv_timer_t interval;

  /* The textfile: one write at a time; a change meanwhile is redone. */
  char *tmp_path;
  uv_fs_t req;
  uv_file fd;
  char *wbuf;
  size_t wlen, woff;
  bool writing, dirty, failing;
  bool wfailed; /* this write failed: close, do not rename */

  /* The listener. */
  uv_tcp_t server;
  bool listening;
  unsigned n_conns;
  sw_metrics_conn_t *conns;
  unsigned long long served, refused;
} sw_metrics_t;

/*
 * Start what cfg->metrics asks for: the interval timer and a first write
 * of the textfile, the listener. A listener that cannot be set up (port
 * in use, address not local) is logged with the OS's reason and the
 * service runs without it. Returns 0 or SW_ENOMEM.
 */
int sw_metrics_start(sw_metrics_t *m, uv_loop_t *loop, const sw_config_t *cfg,
                     sw_metrics_text_fn *text, void *data);

/* The state changed: rewrite the textfile (no-op without one). */
void sw_metrics_changed(sw_metrics_t *m);

/* Stop the timer and the listener and close open connections; a textfile
 * write under way finishes (the loop runs it to its end), after a last
 * one with the final state. Idempotent. */
void sw_metrics_close(sw_metrics_t *m);

/* Free what m owns, after the loop ran its last requests (uv_run after
 * sw_metrics_close). */
void sw_metrics_free(sw_metrics_t *m);

#endif
