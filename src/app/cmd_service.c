/* SPDX-License-Identifier: MIT */
/* install, uninstall, start, stop, restart: through the service manager. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "app/app.h"
#include "core/err.h"
#include "core/ops.h"
#include "os/os.h"

/* How long `start` waits for RUNNING. */
#define START_WAIT_MS 30000
/* With ready = notify the start lasts until READY=1: `start` waits for
 * ready_timeout and 10 s more when that is longer (no limit: 30 s). */
static uint64_t start_wait_ms(const sw_config_t *cfg) {
  uint64_t ms = cfg->notify.ready_timeout_ms + 10000;

  if (cfg->notify.ready != SW_READY_NOTIFY) return START_WAIT_MS;
  return ms > START_WAIT_MS ? ms : START_WAIT_MS;
}

/* `stop` waits for the whole ladder plus this much. */
#define STOP_SLACK_MS 10000

static int print_state(const sw_config_t *cfg, const sw_svc_info_t *info) {
  printf("service %s: %s\n", cfg->name, info->state);
  return SW_EXIT_OK;
}

int sw_cmd_service(const sw_cli_t *cli, const char *verb) {
  sw_config_t *cfg;
  sw_svc_info_t info;
  char why[1024], exe[4096], password[512];
  size_t len = sizeof(exe);
  uint64_t stop_wait;
  int rc, code = SW_EXIT_OK;

  rc = sw_app_load_config(cli, &cfg, strcmp(verb, "install") == 0);
  if (rc != 0) return rc == SW_ECONFIG ? SW_EXIT_USAGE : SW_EXIT_RUNTIME;
  stop_wait = sw_config_stop_budget_ms(cfg) + STOP_SLACK_MS;
  memset(&info, 0, sizeof(info));
  why[0] = '\0';

  if (strcmp(verb, "install") == 0) {
    if (sw_app_check_files(cfg) > 0) {
      code = SW_EXIT_USAGE;
      goto out;
    }
    /* A user account needs its password, and only one needs it. */
    if (cfg->account_kind == SW_ACCOUNT_USER && !cli->password) {
      fprintf(stderr,
              "svcwrap: install %s: account %s is a user account and needs "
              "its password: run `svcwrap install --password -` and give it "
              "on standard input (it is never stored in the INI)\n",
              cfg->name, cfg->account);
      code = SW_EXIT_USAGE;
      goto out;
    }
    if (cli->password && cfg->account_kind != SW_ACCOUNT_USER) {
      fprintf(stderr,
              "svcwrap: install %s: account %s has no password (built-in, "
              "virtual or gMSA); drop --password\n",
              cfg->name, cfg->account);
      code = SW_EXIT_USAGE;
      goto out;
    }
    if (cli->password &&
        sw_os_read_secret(password, sizeof(password), why, sizeof(why)) != 0) {
      fprintf(stderr, "svcwrap: install %s: %s\n", cfg->name, why);
      code = SW_EXIT_USAGE;
      goto out;
    }
    rc = uv_exepath(exe, &len);
    if (rc != 0) {
      snprintf(why, sizeof(why), "cannot find my own executable: %s",
               uv_strerror(rc));
    } else if ((rc = sw_os_install_audit(cfg, exe, why, sizeof(why))) != 0 &&
               rc != SW_ENOSYS && cli->force) {
      fprintf(stderr, "svcwrap: install %s: --force: installing although %s\n",
              cfg->name, why);
      rc = 0;
    }
    if (rc == SW_ENOSYS) rc = 0; /* no audit here; install says so */
    if (rc == 0) {
      rc = sw_os_service_install(cfg, exe, cli->password ? password : NULL, why,
                                 sizeof(why));
      if (rc == 0)
        printf(
            "installed service %s (%s); start it with `svcwrap start` or "
            "`sc start %s`\n",
            cfg->name, why, cfg->name);
    }
  } else if (strcmp(verb, "uninstall") == 0) {
    rc = sw_os_service_uninstall(cfg, stop_wait, why, sizeof(why));
    if (rc == 0) printf("uninstalled service %s\n", cfg->name);
  } else if (strcmp(verb, "start") == 0) {
    rc = sw_os_service_start(cfg, start_wait_ms(cfg), &info, why, sizeof(why));
    if (rc == 0) code = print_state(cfg, &info);
  } else if (strcmp(verb, "stop") == 0) {
    rc = sw_os_service_stop(cfg, stop_wait, &info, why, sizeof(why));
    if (rc == 0) code = print_state(cfg, &info);
  } else { /* restart */
    rc = sw_os_service_stop(cfg, stop_wait, &info, why, sizeof(why));
    if (rc == 0)
      rc =
          sw_os_service_start(cfg, start_wait_ms(cfg), &info, why, sizeof(why));
    if (rc == 0) code = print_state(cfg, &info);
  }
  if (rc != 0) {
    fprintf(stderr, "svcwrap: %s %s: %s\n", verb, cfg->name, why);
    code = rc == SW_ENOSYS     ? SW_EXIT_USAGE
           : rc == SW_ENOTINST ? SW_EXIT_NOT_INSTALLED
                               : SW_EXIT_RUNTIME;
  }
out:
  /* Not left in memory longer than needed (volatile: not optimised out). */
  {
    volatile char *p = password;
    size_t i;

    for (i = 0; i < sizeof(password); i++)
      p[i] = 0;
  }
  sw_config_free(cfg);
  return code;
}
