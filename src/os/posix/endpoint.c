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
#include "os/posix/unixsock.h"

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
  rc = sw__unix_listener_new(loop, name, cb, data, &l, used, why, whylen);
  if (rc != 0) return rc;
  rc = uv_pipe_bind(&l->server, name);
  if (rc == 0 && chmod(name, 0600) != 0) {
    rc = -errno;
    snprintf(why, whylen, "chmod 0600 %s: %s", name, strerror(errno));
  } else if (rc != 0) {
    snprintf(why, whylen, "bind %s: %s", name, uv_strerror(rc));
  }
  if (rc == 0) rc = sw__unix_listen(l, name, why, whylen);
  return sw__unix_listener_done(l, rc, out, used);
}

void sw_os_listen_close(sw_listener_t *l) {
  sw__unix_listener_close(l);
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
  if ((rc = sw__unix_addr(&sa, name, why, whylen)) != 0) return rc;
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
