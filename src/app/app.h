/* SPDX-License-Identifier: MIT */
/* The verbs and the helpers they share. Runs on: main thread. */
#ifndef SW_APP_APP_H
#define SW_APP_APP_H

#include <stdbool.h>

#include "core/config.h"

/* The version, from `git describe` at build time (scripts/version; the
 * Makefile generates the definition). */
extern const char sw_version[];
#define SW_VERSION sw_version

/* Exit codes (docs/cli.md). */
enum {
  SW_EXIT_OK = 0,
  SW_EXIT_RUNTIME = 1,
  SW_EXIT_USAGE = 2,
  SW_EXIT_STATUS_STOPPED = 3,
  SW_EXIT_NOT_INSTALLED = 4
};

typedef struct {
  const char *config; /* -c FILE, or NULL for the default */
  bool json;          /* --json */
  bool password;      /* install --password -: read it from stdin */
  const char *code;   /* control CODE */
  bool force;         /* install --force: past the permission audit */
  const char *argv0;
} sw_cli_t;

/*
 * Find, read and validate the config: -c FILE (relative to the current
 * directory) or the file beside the executable named like it with ".ini".
 * Prints every finding as "file:line: error: ..." on stderr. Returns 0 and
 * *out, or SW_ECONFIG / another negative code (already reported).
 */
int sw_app_load_config(const sw_cli_t *cli, sw_config_t **out,
                       bool print_warnings);

/* Checks `check` adds to the loader's: files and folders that exist or
 * can be created. Prints warnings; returns the number of errors printed. */
int sw_app_check_files(const sw_config_t *cfg);

int sw_cmd_check(const sw_cli_t *cli);
int sw_cmd_run(const sw_cli_t *cli);
int sw_cmd_status(const sw_cli_t *cli);
int sw_cmd_rotate(const sw_cli_t *cli);
int sw_cmd_control(const sw_cli_t *cli);
int sw_cmd_service(const sw_cli_t *cli, const char *verb);
/* argv: the KEY=VALUE arguments after the verb. */
int sw_cmd_notify(int argc, char **argv);

#endif
