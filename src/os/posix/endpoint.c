/* SPDX-License-Identifier: MIT */
/*
 * The endpoint's transport on POSIX: a Unix socket, 0600 before it
 * listens (bound but not listening refuses every connect, so there is no
 * window in which others could connect), and a client that may check the
 * server's pid (SO_PEERCRED).
 */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "os/os.h"

struct sw_listener_s {
  uv_pipe_t server;
  sw_listener_cb *cb;
  void *data;
};

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

int sw_os_listen(uv_loop_t *loop, const sw_config_t *cfg, const char *name,
                 bool claimed, sw_listener_cb *cb, void *data,
                 sw_listener_t **out, char **used, char *why, size_t whylen) {
  sw_listener_t *l;
  struct stat st;
  int rc;

  (void)cfg;
  *out = NULL;
  *used = NULL;
  /* The holder of the instance lock may take the name over: a socket
   * there is what a dead wrapper left (a live one would hold the lock).
   * Anyone else removing it would steal a slow wrapper's socket. Only a
   * socket is removed, never a file someone put there. */
  if (claimed && lstat(name, &st) == 0 && S_ISSOCK(st.st_mode) &&
      unlink(name) != 0 && errno != ENOENT) {
    rc = -errno;
    snprintf(why, whylen, "remove the old socket %s: %s", name,
             strerror(errno));
    return rc;
  }
  l = calloc(1, sizeof(*l));
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
  rc = uv_pipe_bind(&l->server, name);
  if (rc == 0 && chmod(name, 0600) != 0) {
    rc = -errno;
    snprintf(why, whylen, "chmod 0600 %s: %s", name, strerror(errno));
  } else if (rc != 0) {
    snprintf(why, whylen, "bind %s: %s", name, uv_strerror(rc));
  }
  if (rc == 0) {
    rc = uv_listen((uv_stream_t *)&l->server, 16, on_connection);
    if (rc != 0) snprintf(why, whylen, "listen %s: %s", name, uv_strerror(rc));
  }
  if (rc == 0) {
    *out = l;
    return 0;
  }
  uv_close((uv_handle_t *)&l->server, (uv_close_cb)free);
  free(*used);
  *used = NULL;
  return rc == UV_EADDRINUSE ? SW_EEXIST : rc;
}

void sw_os_listen_close(sw_listener_t *l) {
  if (l == NULL) return;
  /* l is the handle's own memory: freed when the close completes. */
  uv_close((uv_handle_t *)&l->server, (uv_close_cb)free);
}

int sw_os_connect(uv_pipe_t *pipe, const char *name, bool write,
                  int expected_pid, unsigned timeout_ms, char *why,
                  size_t whylen) {
  struct sockaddr_un sa;
  struct ucred cred;
  socklen_t len = sizeof(cred);
  unsigned waited;
  int fd, rc;

  (void)write; /* a socket is both ways; the mode 0600 decides who */
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if (strlen(name) >= sizeof(sa.sun_path)) {
    snprintf(why, whylen, "socket path too long: %s", name);
    return SW_EINVAL;
  }
  strcpy(sa.sun_path, name);
  /* Non-blocking: a wrapper that is stopped (SIGSTOP) with its backlog
   * full would hold a blocking connect forever. EAGAIN means the backlog
   * is full: retry for up to timeout_ms. */
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    rc = -errno;
    snprintf(why, whylen, "socket: %s", strerror(errno));
    return rc;
  }
  for (waited = 0;;) {
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    if (rc == 0 || (errno != EINTR && errno != EAGAIN)) break;
    if (errno == EAGAIN) {
      if (waited >= timeout_ms) break;
      usleep(10 * 1000);
      waited += 10;
    }
  }
  if (rc != 0) {
    int e = errno;

    close(fd);
    snprintf(why, whylen, "connect %s: %s", name, strerror(e));
    if (e == ENOENT || e == ECONNREFUSED) return SW_ENOTRUNNING;
    if (e == EAGAIN) return UV_ETIMEDOUT;
    return e == EACCES || e == EPERM ? SW_EACCES : -e;
  }
  if (expected_pid > 0 &&
      (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
       cred.pid != expected_pid)) {
    snprintf(why, whylen, "%s is served by pid %ld, not the wrapper (pid %d)",
             name, (long)cred.pid, expected_pid);
    close(fd);
    return SW_EACCES;
  }
  rc = uv_pipe_open(pipe, fd);
  if (rc != 0) {
    close(fd);
    snprintf(why, whylen, "open %s: %s", name, uv_strerror(rc));
  }
  return rc;
}
