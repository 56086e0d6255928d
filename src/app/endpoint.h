/* SPDX-License-Identifier: MIT */
/*
 * The running wrapper's local endpoint (a Unix socket or a Windows named
 * pipe, both as uv_pipe_t). Protocol, one line each way: on connect the
 * server sends the status JSON and a newline; a client may then send
 * "rotate\n" or "control CODE\n" and gets one more JSON line. Anyone who may
 * open the endpoint may read the status; on Windows, only writers
 * (administrators, the service account) can send a command.
 */
#ifndef SW_APP_ENDPOINT_H
#define SW_APP_ENDPOINT_H

#include <stdbool.h>
#include <uv.h>

#include "os/os.h"

/* At most this many connections at once (more are closed at once), each
 * closed after this long whatever it does: a client cannot hold the
 * wrapper's memory or its pipe instances. */
#define SW_ENDPOINT_MAX_CONNS 16
#define SW_ENDPOINT_IDLE_MS   5000

typedef struct sw_conn_s sw_conn_t;

typedef struct {
  sw_listener_t *listener;
  sw_conn_t *conns; /* open connections, closed with the endpoint */
  unsigned n_conns;
  unsigned refused;            /* connections closed for the cap */
  char *name;                  /* the name listened on (heap) */
  char *(*status)(void *data); /* heap JSON; NULL on OOM */
  void (*rotate)(void *data);
  /* Carry out control code `code` ([control]); returns 0 or a negative
   * code with the reason in why[whylen]. */
  int (*control)(void *data, unsigned code, char *why, size_t whylen);
  void *data;
  bool listening;
} sw_endpoint_t;

/*
 * Listen on `name` (borrowed). `claimed`: the caller holds the service's
 * instance lock (sw_os_instance_lock() gave one), so a socket file found
 * at `name` is a dead wrapper's and is removed; without it nothing is
 * removed and a name in use means another wrapper has it (Windows: the
 * pipe's first instance; see sw_os_listen() for a name someone else
 * created first). Returns 0; SW_EEXIST when the name is in use (another
 * wrapper); another negative code on failure, with why[whylen]. The
 * caller refuses to run on any failure.
 */
int sw_endpoint_listen(sw_endpoint_t *ep, uv_loop_t *loop,
                       const sw_config_t *cfg, const char *name, bool claimed,
                       char *why, size_t whylen);
void sw_endpoint_close(sw_endpoint_t *ep);

/*
 * Client: connect to `name`, read the status line into *status (heap),
 * and if command is not NULL send it and read its reply into *reply
 * (heap). expected_pid > 0: the wrapper's pid as the service manager
 * knows it; the server must be that process (sw_os_connect()). Waits at
 * most timeout_ms. Returns 0, SW_ENOTRUNNING when no wrapper listens,
 * SW_EACCES when the endpoint is someone else's or closed to us, or
 * another negative code; the reason in why[whylen].
 */
int sw_endpoint_query(const char *name, const char *command, int expected_pid,
                      char **status, char **reply, unsigned timeout_ms,
                      char *why, size_t whylen);

#endif
