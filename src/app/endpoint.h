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

typedef struct sw_conn_s sw_conn_t;

typedef struct {
  uv_pipe_t server;
  sw_conn_t *conns; /* open connections, closed with the endpoint */
  char *name;
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
 * pipe's first instance). Returns 0; SW_EEXIST when the name is in use
 * (another wrapper); another negative code on failure. Never logs: the
 * caller refuses to run on any failure.
 */
int sw_endpoint_listen(sw_endpoint_t *ep, uv_loop_t *loop, const char *name,
                       bool claimed);
void sw_endpoint_close(sw_endpoint_t *ep);

/*
 * Client: connect to `name`, read the status line into *status (heap),
 * and if command is not NULL send it and read its reply into *reply
 * (heap). Waits at most timeout_ms. Returns 0, SW_ENOTRUNNING when no
 * wrapper listens, or another negative code.
 */
int sw_endpoint_query(const char *name, const char *command, char **status,
                      char **reply, unsigned timeout_ms);

#endif
