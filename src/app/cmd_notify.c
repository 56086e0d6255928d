/* SPDX-License-Identifier: MIT */
/*
 * `svcwrap notify KEY=VALUE...`: the sd_notify client for scripts and
 * batch files in the child's tree. Reads no config: the receiver is named
 * in the environment the wrapper gave the child (NOTIFY_SOCKET,
 * SVCWRAP_NOTIFY), so it also works under systemd itself.
 */
#include <stdio.h>
#include <stdlib.h>

#include "app/app.h"
#include "core/err.h"
#include "core/notify.h"
#include "os/os.h"

int sw_cmd_notify(int argc, char **argv) {
  sw_sbuf_t msg = SW_SBUF_INIT;
  char why[512];
  int rc;

  why[0] = '\0';
  rc = sw_notify_join((const char *const *)argv, (unsigned)argc, &msg, why,
                      sizeof(why));
  if (rc != 0) {
    sw_sbuf_free(&msg);
    if (rc == SW_ENOMEM) return SW_EXIT_RUNTIME;
    fprintf(stderr, "svcwrap: notify: %s; see `svcwrap help notify`\n", why);
    return SW_EXIT_USAGE;
  }
  rc = sw_os_notify_send(msg.p, msg.len, why, sizeof(why));
  sw_sbuf_free(&msg);
  if (rc != 0) {
    fprintf(stderr, "svcwrap: notify: %s\n", why);
    return SW_EXIT_RUNTIME;
  }
  return SW_EXIT_OK;
}
