/* SPDX-License-Identifier: MIT */
/* `svcwrap rotate`: ask the running wrapper to rotate every log now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/endpoint.h"
#include "core/err.h"
#include "os/os.h"

int sw_cmd_rotate(const sw_cli_t *cli) {
  sw_config_t *cfg;
  char *endpoint, *status = NULL, *reply = NULL, why[512];
  sw_svc_info_t info;
  int rc, code = SW_EXIT_OK, pid = 0;

  rc = sw_app_load_config(cli, &cfg, false);
  if (rc != 0) return rc == SW_ECONFIG ? SW_EXIT_USAGE : SW_EXIT_RUNTIME;
  /* When the service manager runs the service, only its process may
   * answer (POSIX has none: SW_ENOSYS). */
  memset(&info, 0, sizeof(info));
  if (sw_os_service_query(cfg, &info, why, sizeof(why)) == 0) pid = info.pid;
  snprintf(why, sizeof(why), "%s", sw_strerror(SW_ENOMEM));
  endpoint = sw_os_endpoint_name(cfg);
  rc = endpoint ? sw_endpoint_query(endpoint, "rotate\n", pid, &status, &reply,
                                    5000, why, sizeof(why))
                : SW_ENOMEM;
  if (rc == SW_ENOTRUNNING) {
    fprintf(stderr,
            "svcwrap: rotate %s: no running wrapper answers on %s; "
            "is the service running?\n",
            cfg->name, endpoint);
    code = SW_EXIT_STATUS_STOPPED;
  } else if (rc != 0 || reply == NULL ||
             strstr(reply, "\"rotated\":true") == NULL) {
    fprintf(stderr, "svcwrap: rotate %s: %s\n", cfg->name,
            rc != 0 ? why
                    : "the wrapper refused (only administrators and the "
                      "service's account may send commands)");
    code = SW_EXIT_RUNTIME;
  } else {
    printf("service %s: logs rotated\n", cfg->name);
  }
  free(status);
  free(reply);
  free(endpoint);
  sw_config_free(cfg);
  return code;
}
