/* SPDX-License-Identifier: MIT */
/* The fake sd_notify receiver: a scripted child's SW_FAKE_NOTIFY chunks
 * reach the callback directly; no socket, no pipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "os/fake/fake.h"

struct sw_notify_srv_s {
  sw_notify_msg_fn *fn;
  void *data;
};

static sw_notify_srv_t *open_srv; /* the one receiver, or NULL */

int sw_os_notify_open(uv_loop_t *loop, sw_notify_msg_fn *fn, void *data,
                      sw_notify_srv_t **out, const char **env, char *why,
                      size_t whylen) {
  sw_notify_srv_t *s = calloc(1, sizeof(*s));

  (void)loop;
  if (s == NULL) {
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  s->fn = fn;
  s->data = data;
  open_srv = s;
  sw_fake.n_notify_open++;
  *env = "NOTIFY_SOCKET=/fake/notify";
  *out = s;
  return 0;
}

void sw_os_notify_close(sw_notify_srv_t *s) {
  if (s == NULL) return;
  if (open_srv == s) open_srv = NULL;
  free(s);
}

int sw_os_notify_send(const char *msg, size_t len, char *why, size_t whylen) {
  (void)msg;
  (void)len;
  snprintf(why, whylen, "the fake backend has no client");
  return SW_ENOSYS;
}

void sw__fake_notify(const char *msg) {
  if (open_srv == NULL) {
    sw_fake.n_notify_lost++;
    return;
  }
  open_srv->fn(open_srv->data, msg, strlen(msg));
}
