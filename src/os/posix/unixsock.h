/* SPDX-License-Identifier: MIT */
/* The endpoint's Unix socket pieces shared by the POSIX backend and the
 * fake one (src/os/fake/endpoint.c): the listener, its accept, and the
 * client's address. */
#ifndef SW_OS_POSIX_UNIXSOCK_H
#define SW_OS_POSIX_UNIXSOCK_H

#include <sys/socket.h>
#include <sys/un.h>

#include "os/os.h"

struct sw_listener_s {
  uv_pipe_t server; /* first: the listener is freed by its close callback */
  sw_listener_cb *cb;
  void *data;
};

/* A listener on loop, not bound yet, and *used = a copy of name. 0, or
 * SW_ENOMEM with why (nothing left). */
int sw__unix_listener_new(uv_loop_t *loop, const char *name, sw_listener_cb *cb,
                          void *data, sw_listener_t **out, char **used,
                          char *why, size_t whylen);
/* Listen on the bound listener: each connection accepted goes to its cb. */
int sw__unix_listen(sw_listener_t *l, const char *name, char *why,
                    size_t whylen);
/* After bind and listen gave rc: 0 sets *out = l; else l is closed and
 * *used freed, and rc returned (a name in use as SW_EEXIST). */
int sw__unix_listener_done(sw_listener_t *l, int rc, sw_listener_t **out,
                           char **used);
/* Close the listener (NULL: nothing); freed when the close completes. */
void sw__unix_listener_close(sw_listener_t *l);
/* The address of the socket at name: 0, or SW_EINVAL (too long) with why. */
int sw__unix_addr(struct sockaddr_un *sa, const char *name, char *why,
                  size_t whylen);

#endif
