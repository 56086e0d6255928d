/* SPDX-License-Identifier: MIT */
/*
 * `svcwrap status [--json]`: the service manager's view (Windows) and the
 * running wrapper's own (its endpoint). Exit codes: 0 running, 3 stopped,
 * 4 not installed, 1 error, 2 bad configuration.
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/endpoint.h"
#include "core/err.h"
#include "core/sbuf.h"
#include "core/status.h"
#include "os/os.h"

static bool state_is_up(const char *state) {
  return state != NULL && strcmp(state, "stopped") != 0 &&
         strcmp(state, "failed") != 0;
}

/* The document printed by --json: the wrapper's status, or a stand-in
 * when no wrapper answers, plus the service manager's fields. */
static cJSON *build(const sw_config_t *cfg, const char *wrapper_json,
                    const sw_svc_info_t *scm) {
  cJSON *root = wrapper_json ? cJSON_Parse(wrapper_json) : NULL;

  if (root == NULL) {
    root = cJSON_CreateObject();
    if (root == NULL) return NULL;
    cJSON_AddStringToObject(root, "name", cfg->name);
    cJSON_AddStringToObject(root, "state", "stopped");
    cJSON_AddNullToObject(root, "pid");
    cJSON_AddNullToObject(root, "wrapper_pid");
    cJSON_AddStringToObject(root, "config", cfg->path);
  }
  cJSON_AddBoolToObject(root, "wrapper_running", wrapper_json != NULL);
  if (scm != NULL) {
    cJSON *s = cJSON_AddObjectToObject(root, "service_manager");

    if (s != NULL) {
      cJSON_AddBoolToObject(s, "installed", scm->installed);
      if (scm->installed) {
        cJSON_AddStringToObject(s, "state", scm->state);
        cJSON_AddNumberToObject(s, "win32_exit_code", scm->win32_exit_code);
        cJSON_AddNumberToObject(s, "service_exit_code", scm->service_exit_code);
        cJSON_AddNumberToObject(s, "pid", scm->pid);
        cJSON_AddStringToObject(s, "image_path", scm->image_path);
      }
    }
  }
  return root;
}

int sw_cmd_status(const sw_cli_t *cli) {
  sw_config_t *cfg;
  sw_svc_info_t info;
  char why[512], qwhy[512], *endpoint, *json = NULL;
  bool have_scm;
  int rc, code;

  rc = sw_app_load_config(cli, &cfg, false);
  if (rc != 0) return rc == SW_ECONFIG ? SW_EXIT_USAGE : SW_EXIT_RUNTIME;
  memset(&info, 0, sizeof(info));
  rc = sw_os_service_query(cfg, &info, why, sizeof(why));
  have_scm = rc == 0;
  if (rc != 0 && rc != SW_ENOSYS) {
    fprintf(stderr, "svcwrap: status of %s: %s\n", cfg->name, why);
    sw_config_free(cfg);
    return SW_EXIT_RUNTIME;
  }
  endpoint = sw_os_endpoint_name(cfg);
  qwhy[0] = '\0';
  /* The service manager's pid for the service, when it runs one: the
   * endpoint must be served by that process. */
  if (endpoint != NULL &&
      (rc = sw_endpoint_query(endpoint, NULL, have_scm ? info.pid : 0, &json,
                              NULL, 3000, qwhy, sizeof(qwhy))) != 0) {
    json = NULL;
    if (rc != SW_ENOTRUNNING)
      fprintf(stderr, "svcwrap: status of %s: %s\n", cfg->name, qwhy);
  }

  if (have_scm && !info.installed)
    code = SW_EXIT_NOT_INSTALLED;
  else if (have_scm)
    code = strcmp(info.state, "stopped") == 0 ? SW_EXIT_STATUS_STOPPED
                                              : SW_EXIT_OK;
  else
    code = SW_EXIT_STATUS_STOPPED;
  if (!have_scm && json != NULL) {
    cJSON *doc = cJSON_Parse(json);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "state");

    if (cJSON_IsString(st) && state_is_up(st->valuestring)) code = SW_EXIT_OK;
    cJSON_Delete(doc);
  }

  if (cli->json) {
    cJSON *doc = build(cfg, json, have_scm ? &info : NULL);
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;

    if (text == NULL) {
      code = SW_EXIT_RUNTIME;
    } else {
      printf("%s\n", text);
      free(text);
    }
    cJSON_Delete(doc);
  } else {
    sw_sbuf_t out = SW_SBUF_INIT;

    if (have_scm) {
      if (!info.installed)
        sw_sbuf_printf(&out, "service:   %s is not installed\n", cfg->name);
      else if (info.service_exit_code != 0)
        sw_sbuf_printf(&out,
                       "installed: yes; service manager says %s (last "
                       "exit code %u)\n",
                       info.state, info.service_exit_code);
      else
        sw_sbuf_printf(&out, "installed: yes; service manager says %s\n",
                       info.state);
      if (info.installed)
        sw_sbuf_printf(&out, "command:   %s\n", info.image_path);
    }
    if (json == NULL || sw_status_format_human(json, &out) != 0)
      sw_sbuf_printf(&out, "wrapper:   not running (nothing answers on %s)\n",
                     endpoint ? endpoint : "?");
    if (!sw_sbuf_failed(&out)) fputs(out.p, stdout);
    sw_sbuf_free(&out);
  }
  free(json);
  free(endpoint);
  sw_config_free(cfg);
  return code;
}
