/* SPDX-License-Identifier: MIT */
/*
 * The fake's endpoint transport: a real Unix socket in the script's
 * folder (the status and rotate paths of run.c are exercised as they
 * are), without the POSIX backend's modes and peer checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "os/fake/fake.h"

struct sw_listener_s {
  uv_pipe_t server; /* first: freed by its close callback */
  sw_listener_cb *cb;
  void *data;
};

static void on_connection(uv_stream_t *server, int status) {
  sw_listener_t *l = server->data;
  uv_pipe_t *p;

  if (status != 0 || (p = malloc(sizeof(*p))) == NULL) return;
  uv_pipe_init(server->loop, p, 0);
  if (uv_accept(server, (uv_stream_t *)p) != 0) {
    uv_close((uv_handle_t *)p, (uv_close_cb)free);
    return;
  }
  l->cb(l->data, p);
}

int sw_os_listen(uv_loop_t *loop, const sw_config_t *cfg, const char *name,
                 bool claimed, sw_listener_cb *cb, void *data,
                 sw_listener_t **out, char **used, char *why, size_t whylen) {
  sw_listener_t *l = calloc(1, sizeof(*l));
  int rc;

  (void)cfg;
  *out = NULL;
  *used = strdup(name);
  if (l == NULL || *used == NULL) {
    free(l);
    free(*used);
    *used = NULL;
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  if (claimed) unlink(name); /* a dead run's socket */
  l->cb = cb;
  l->data = data;
  uv_pipe_init(loop, &l->server, 0);
  l->server.data = l;
  rc = uv_pipe_bind(&l->server, name);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&l->server, 16, on_connection);
  if (rc == 0) {
    *out = l;
    return 0;
  }
  snprintf(why, whylen, "%s: %s", name, uv_strerror(rc));
  uv_close((uv_handle_t *)&l->server, (uv_close_cb)free);
  free(*used);
  *used = NULL;
  return rc == UV_EADDRINUSE ? SW_EEXIST : rc;
}

void sw_os_listen_close(sw_listener_t *l) {
  if (l != NULL) uv_close((uv_handle_t *)&l->server, (uv_close_cb)free);
}

int sw_os_connect(uv_pipe_t *pipe, const char *name, bool write,
                  int expected_pid, unsigned timeout_ms, char *why,
                  size_t whylen) {
  struct sockaddr_un sa;
  int fd, rc;

  (void)write;
  (void)expected_pid;
  (void)timeout_ms;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if (strlen(name) >= sizeof(sa.sun_path)) {
    snprintf(why, whylen, "socket path too long: %s", name);
    return SW_EINVAL;
  }
  strcpy(sa.sun_path, name);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    rc = errno;
    if (fd >= 0) close(fd);
    snprintf(why, whylen, "connect %s: %s", name, strerror(rc));
    return rc == ENOENT || rc == ECONNREFUSED ? SW_ENOTRUNNING : -rc;
  }
  rc = uv_pipe_open(pipe, fd);
  if (rc != 0) {
    close(fd);
    snprintf(why, whylen, "open %s: %s", name, uv_strerror(rc));
  }
  return rc;
}

int sw_os_install_audit(const sw_config_t *cfg, const char *exe, char *why,
                        size_t whylen) {
  (void)cfg;
  (void)exe;
  snprintf(why, whylen, "the fake OS has no install audit");
  return SW_ENOSYS;
}
