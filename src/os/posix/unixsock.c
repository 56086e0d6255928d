/* SPDX-License-Identifier: MIT */
/* The endpoint's Unix socket pieces shared by the POSIX backend and the
 * fake one (unixsock.h). */
#include "os/posix/unixsock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/err.h"

static void on_connection(uv_stream_t *server, int status) {
  sw_listener_t *l = server->data;
  uv_pipe_t *p;

  if (status != 0) {
    sw_log_warnx("status endpoint: accept: %s", uv_strerror(status));
    return;
  }
  p = malloc(sizeof(*p));
  if (p == NULL) return; /* the connection waits in the backlog */
  uv_pipe_init(server->loop, p, 0);
  if (uv_accept(server, (uv_stream_t *)p) != 0) {
    uv_close((uv_handle_t *)p, (uv_close_cb)free);
    return;
  }
  l->cb(l->data, p);
}

int sw__unix_listener_new(uv_loop_t *loop, const char *name, sw_listener_cb *cb,
                          void *data, sw_listener_t **out, char **used,
                          char *why, size_t whylen) {
  sw_listener_t *l = calloc(1, sizeof(*l));

  *out = NULL;
  *used = strdup(name);
  if (l == NULL || *used == NULL) {
    free(l);
    free(*used);
    *used = NULL;
    snprintf(why, whylen, "%s", sw_strerror(SW_ENOMEM));
    return SW_ENOMEM;
  }
  l->cb = cb;
  l->data = data;
  uv_pipe_init(loop, &l->server, 0);
  l->server.data = l;
  *out = l; /* the caller's until sw__unix_listener_done() */
  return 0;
}

int sw__unix_listen(sw_listener_t *l, const char *name, char *why,
                    size_t whylen) {
  int rc = uv_listen((uv_stream_t *)&l->server, 16, on_connection);

  if (rc != 0) snprintf(why, whylen, "listen %s: %s", name, uv_strerror(rc));
  return rc;
}

int sw__unix_listener_done(sw_listener_t *l, int rc, sw_listener_t **out,
                           char **used) {
  if (rc == 0) {
    *out = l;
    return 0;
  }
  uv_close((uv_handle_t *)&l->server, (uv_close_cb)free);
  free(*used);
  *used = NULL;
  return rc == UV_EADDRINUSE ? SW_EEXIST : rc;
}

void sw__unix_listener_close(sw_listener_t *l) {
  if (l == NULL) return;
  /* l is the handle's own memory: freed when the close completes. */
  uv_close((uv_handle_t *)&l->server, (uv_close_cb)free);
}

int sw__unix_addr(struct sockaddr_un *sa, const char *name, char *why,
                  size_t whylen) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (strlen(name) >= sizeof(sa->sun_path)) {
    snprintf(why, whylen, "socket path too long: %s", name);
    return SW_EINVAL;
  }
  memcpy(sa->sun_path, name, strlen(name) + 1);
  return 0;
}
