/* SPDX-License-Identifier: MIT */
/* `svcwrap control CODE`: ask the running wrapper to carry out a [control]
 * action, through the same endpoint (and access rules) as `rotate`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/endpoint.h"
#include "core/err.h"
#include "core/ops.h"
#include "os/os.h"

int sw_cmd_control(const sw_cli_t *cli) {
  sw_config_t *cfg;
  char *endpoint = NULL, *status = NULL, *reply = NULL, why[512], cmd[32];
  sw_svc_info_t info;
  unsigned code;
  int rc, exit_code = SW_EXIT_OK, pid = 0;

  if (cli->code == NULL) {
    fprintf(stderr,
            "svcwrap: control needs a code: `svcwrap control 129` (129-255 "
            "or reload, as in [control])\n");
    return SW_EXIT_USAGE;
  }
  if (sw_control_parse_code(cli->code, &code, why, sizeof(why)) != 0) {
    fprintf(stderr, "svcwrap: control: %s\n", why);
    return SW_EXIT_USAGE;
  }
  rc = sw_app_load_config(cli, &cfg, false);
  if (rc != 0) return rc == SW_ECONFIG ? SW_EXIT_USAGE : SW_EXIT_RUNTIME;
  if (sw_config_control(cfg, code) == NULL) {
    fprintf(stderr,
            "svcwrap: control %s: %s has no such code in [control]; add "
            "e.g. `%s = signal:SIGHUP` there\n",
            cli->code, cfg->path, cli->code);
    exit_code = SW_EXIT_USAGE;
    goto out;
  }
  /* When the service manager runs the service, only its process may
   * answer (as for rotate; POSIX has none: SW_ENOSYS). */
  memset(&info, 0, sizeof(info));
  if (sw_os_service_query(cfg, &info, why, sizeof(why)) == 0) pid = info.pid;
  snprintf(why, sizeof(why), "%s", sw_strerror(SW_ENOMEM));
  endpoint = sw_os_endpoint_name(cfg);
  snprintf(cmd, sizeof(cmd), "control %u\n", code);
  rc = endpoint ? sw_endpoint_query(endpoint, cmd, pid, &status, &reply, 5000,
                                    why, sizeof(why))
                : SW_ENOMEM;
  if (rc == SW_ENOTRUNNING) {
    fprintf(stderr,
            "svcwrap: control %s %s: no running wrapper answers on %s; is "
            "the service running?\n",
            cfg->name, cli->code, endpoint);
    exit_code = SW_EXIT_STATUS_STOPPED;
  } else if (rc != 0 || reply == NULL) {
    fprintf(stderr, "svcwrap: control %s %s: %s\n", cfg->name, cli->code,
            rc != 0 ? why : "no answer");
    exit_code = SW_EXIT_RUNTIME;
  } else if (strstr(reply, "\"ok\":true") == NULL) {
    /* {"error":"unknown command"}: a wrapper that refused the command
     * (Windows: not an operator) or does not know it. */
    fprintf(stderr, "svcwrap: control %s %s: the wrapper says %s\n", cfg->name,
            cli->code, reply);
    exit_code = SW_EXIT_RUNTIME;
  } else {
    printf("service %s: control %s done\n", cfg->name, cli->code);
  }
out:
  free(status);
  free(reply);
  free(endpoint);
  sw_config_free(cfg);
  return exit_code;
}
