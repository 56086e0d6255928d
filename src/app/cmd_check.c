/* SPDX-License-Identifier: MIT */
/* `svcwrap check`: validate, print the resolved configuration. Starts
 * nothing and touches no service manager. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/app.h"
#include "core/err.h"
#include "core/path.h"

/* stat() a path; returns 0 and the mode, or a libuv error. */
static int stat_mode(const char *path, uint64_t *mode) {
  uv_fs_t req;
  int rc = uv_fs_stat(NULL, &req, path, NULL);

  *mode = req.statbuf.st_mode;
  uv_fs_req_cleanup(&req);
  return rc;
}

static void where(const sw_config_t *c, const char *section, const char *key) {
  int line = sw_config_key_line(c, section, key);

  if (line > 0)
    fprintf(stderr, "%s:%d: ", c->path, line);
  else
    fprintf(stderr, "%s: ", c->path);
}

/* The log folder must be creatable: an existing ancestor that is a
 * folder. Returns whether it is fine. */
static int check_dir_reachable(const sw_config_t *c, const char *dir) {
  char *p = strdup(dir), *parent;
  uint64_t mode;
  int ok = 0;

  while (p != NULL) {
    int rc = stat_mode(p, &mode);

    if (rc == 0) {
      ok = (mode & S_IFMT) == S_IFDIR;
      break;
    }
    if (sw_path_dirname(SW_PATH_NATIVE, p, &parent) != 0 ||
        strcmp(parent, p) == 0) {
      free(parent);
      break;
    }
    free(p);
    p = parent;
  }
  free(p);
  (void)c;
  return ok;
}

int sw_app_check_files(const sw_config_t *c) {
  uint64_t mode;
  int errors = 0;
  int rc;

  rc = stat_mode(c->executable, &mode);
  if (rc != 0) {
    where(c, "process", "executable");
    fprintf(stderr,
            "warning: [process] executable: %s: %s (the service "
            "cannot start until it exists)\n",
            c->executable, uv_strerror(rc));
  } else if ((mode & S_IFMT) == S_IFDIR) {
    where(c, "process", "executable");
    fprintf(stderr, "error: [process] executable: %s is a folder\n",
            c->executable);
    errors++;
  }
  rc = stat_mode(c->working_directory, &mode);
  if (rc != 0 || (mode & S_IFMT) != S_IFDIR) {
    where(c, "process", "working_directory");
    fprintf(stderr, "warning: [process] working_directory: %s: %s\n",
            c->working_directory, rc != 0 ? uv_strerror(rc) : "not a folder");
  }
  rc = stat_mode(c->log_dir, &mode);
  if (rc == 0 && (mode & S_IFMT) != S_IFDIR) {
    where(c, "log", "directory");
    fprintf(stderr, "error: [log] directory: %s exists and is not a folder\n",
            c->log_dir);
    errors++;
  } else if (rc != 0 && !check_dir_reachable(c, c->log_dir)) {
    where(c, "log", "directory");
    fprintf(stderr,
            "error: [log] directory: %s cannot be created: no "
            "existing folder above it\n",
            c->log_dir);
    errors++;
  }
  if (stat_mode(c->stdout_path, &mode) == 0 && (mode & S_IFMT) == S_IFDIR) {
    where(c, "log", "stdout");
    fprintf(stderr, "error: [log] stdout: %s is a folder\n", c->stdout_path);
    errors++;
  }
  if (stat_mode(c->stderr_path, &mode) == 0 && (mode & S_IFMT) == S_IFDIR) {
    where(c, "log", "stderr");
    fprintf(stderr, "error: [log] stderr: %s is a folder\n", c->stderr_path);
    errors++;
  }
  return errors;
}

int sw_cmd_check(const sw_cli_t *cli) {
  sw_config_t *c;
  char *text;
  int rc = sw_app_load_config(cli, &c, true);

  if (rc == SW_ENOMEM) return SW_EXIT_RUNTIME;
  if (rc != 0) return SW_EXIT_USAGE;
  if (sw_app_check_files(c) > 0) {
    sw_config_free(c);
    return SW_EXIT_USAGE;
  }
  if (sw_config_dump(c, &text) != 0) {
    sw_config_free(c);
    return SW_EXIT_RUNTIME;
  }
  printf("; %s is valid; the configuration as svcwrap reads it:\n%s", c->path,
         text);
  free(text);
  sw_config_free(c);
  return SW_EXIT_OK;
}
