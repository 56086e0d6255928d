/* SPDX-License-Identifier: MIT */
/*
 * The fake's endpoint transport: a real Unix socket in the script's
 * folder (the status and rotate paths of run.c are exercised as they
 * are), without the POSIX backend's modes and peer checks; the listener
 * and the address are the POSIX backend's own (os/posix/unixsock.c).
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
#include "os/posix/unixsock.h"

int sw_os_listen(uv_loop_t *loop, const sw_config_t *cfg, const char *name,
                 bool claimed, sw_listener_cb *cb, void *data,
                 sw_listener_t **out, char **used, char *why, size_t whylen) {
  sw_listener_t *l;
  int rc;

  (void)cfg;
  *out = NULL;
  rc = sw__unix_listener_new(loop, name, cb, data, &l, used, why, whylen);
  if (rc != 0) return rc;
  if (claimed) unlink(name); /* a dead run's socket */
  rc = uv_pipe_bind(&l->server, name);
  if (rc != 0)
    snprintf(why, whylen, "bind %s: %s", name, uv_strerror(rc));
  else
    rc = sw__unix_listen(l, name, why, whylen);
  return sw__unix_listener_done(l, rc, out, used);
}

void sw_os_listen_close(sw_listener_t *l) {
  sw__unix_listener_close(l);
}

int sw_os_connect(uv_pipe_t *pipe, const char *name, bool write,
                  int expected_pid, unsigned timeout_ms, char *why,
                  size_t whylen) {
  struct sockaddr_un sa;
  int fd, rc;

  (void)write;
  (void)expected_pid;
  (void)timeout_ms;
  if ((rc = sw__unix_addr(&sa, name, why, whylen)) != 0) return rc;
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
