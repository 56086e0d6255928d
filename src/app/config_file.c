/* SPDX-License-Identifier: MIT */
/*
 * Finding and reading the INI file, then handing it to the pure loader.
 * File access goes through libuv's uv_fs_*, which takes UTF-8 paths on
 * every platform.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/app.h"
#include "base/log.h"
#include "core/err.h"
#include "core/path.h"

/* An INI larger than this is not a svcwrap config. */
#define MAX_CONFIG_BYTES (4u * 1024 * 1024)

/* sw_getenv_fn over uv_os_getenv (GetEnvironmentVariableW on Windows, so
 * names match ignoring case there). */
static char *getenv_utf8(const char *name, void *data) {
  size_t size = 256;
  char *buf = malloc(size);
  int rc;

  (void)data;
  if (buf == NULL) return NULL;
  rc = uv_os_getenv(name, buf, &size);
  if (rc == UV_ENOBUFS) {
    char *big = realloc(buf, size);

    if (big == NULL) {
      free(buf);
      return NULL;
    }
    buf = big;
    rc = uv_os_getenv(name, buf, &size);
  }
  if (rc != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* The absolute path of the config: -c FILE, or beside the executable. */
static int config_path(const sw_cli_t *cli, char **out) {
  char buf[4096];
  size_t len = sizeof(buf);
  int rc;

  if (cli->config == NULL) {
    rc = uv_exepath(buf, &len);
    if (rc != 0) {
      fprintf(stderr,
              "svcwrap: cannot find my own executable: %s; pass -c "
              "FILE\n",
              uv_strerror(rc));
      return rc;
    }
    return sw_path_replace_ext(SW_PATH_NATIVE, buf, ".ini", out);
  }
  if (cli->config[0] == '\0') {
    fprintf(stderr, "svcwrap: -c needs a file name\n");
    return SW_EINVAL;
  }
  if (sw_path_is_absolute(SW_PATH_NATIVE, cli->config)) {
    /* Normalise it anyway (".." and, on Windows, '/'). */
    return sw_path_resolve(SW_PATH_NATIVE, cli->config, cli->config, out) == 0
               ? 0
               : SW_ENOMEM;
  }
  rc = uv_cwd(buf, &len);
  if (rc != 0) {
    fprintf(stderr, "svcwrap: cannot read the current directory: %s\n",
            uv_strerror(rc));
    return rc;
  }
  rc = sw_path_resolve(SW_PATH_NATIVE, buf, cli->config, out);
  if (rc == SW_EINVAL)
    fprintf(stderr,
            "svcwrap: %s: a drive-relative path; write the full "
            "path\n",
            cli->config);
  return rc;
}

/* Read the whole file; reports problems as "path: error: ...". */
static int read_file(const char *path, bool given, char **text, size_t *len) {
  uv_fs_t req;
  uv_buf_t buf;
  uv_file fd;
  uint64_t size;
  size_t got = 0;
  int rc;

  *text = NULL;
  rc = uv_fs_stat(NULL, &req, path, NULL);
  size = req.statbuf.st_size;
  if (rc == 0 && (req.statbuf.st_mode & S_IFMT) == S_IFDIR) {
    uv_fs_req_cleanup(&req);
    fprintf(stderr,
            "%s: error: is a folder, not an INI file; pass the file "
            "inside it with -c\n",
            path);
    return SW_ECONFIG;
  }
  uv_fs_req_cleanup(&req);
  if (rc == UV_ENOENT) {
    fprintf(stderr,
            "%s: error: no such file; create it (config/example.ini "
            "shows every key)%s\n",
            path, given ? "" : " or pass -c FILE");
    return SW_ECONFIG;
  }
  if (rc != 0) {
    fprintf(stderr, "%s: error: %s\n", path, uv_strerror(rc));
    return SW_ECONFIG;
  }
  if (size > MAX_CONFIG_BYTES) {
    fprintf(stderr,
            "%s: error: %llu bytes is too large for a config (at "
            "most %u)\n",
            path, (unsigned long long)size, MAX_CONFIG_BYTES);
    return SW_ECONFIG;
  }
  fd = uv_fs_open(NULL, &req, path, UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) {
    fprintf(stderr, "%s: error: cannot open: %s\n", path, uv_strerror(fd));
    return SW_ECONFIG;
  }
  *text = malloc((size_t)size + 1);
  if (*text == NULL) {
    uv_fs_close(NULL, &req, fd, NULL);
    uv_fs_req_cleanup(&req);
    return SW_ENOMEM;
  }
  while (got < size) {
    buf = uv_buf_init(*text + got, (unsigned)(size - got));
    rc = uv_fs_read(NULL, &req, fd, &buf, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (rc <= 0) break;
    got += (size_t)rc;
  }
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  if (rc < 0) {
    fprintf(stderr, "%s: error: cannot read: %s\n", path, uv_strerror(rc));
    free(*text);
    *text = NULL;
    return SW_ECONFIG;
  }
  (*text)[got] = '\0';
  *len = got;
  return 0;
}

/* Findings in file order; those about the file as a whole (line 0) last.
 * Ties keep the loader's order. */
static int by_line(const void *a, const void *b) {
  const sw_diag_t *x = *(const sw_diag_t *const *)a;
  const sw_diag_t *y = *(const sw_diag_t *const *)b;
  unsigned lx = x->line > 0 ? (unsigned)x->line : ~0u;
  unsigned ly = y->line > 0 ? (unsigned)y->line : ~0u;

  if (lx != ly) return lx < ly ? -1 : 1;
  return x < y ? -1 : x > y; /* same array: address order is input order */
}

static void print_diags(const char *path, const sw_diags_t *d,
                        bool print_warnings) {
  const sw_diag_t **order = malloc(d->n * sizeof(*order) + 1);
  unsigned i;

  for (i = 0; order != NULL && i < d->n; i++)
    order[i] = &d->v[i];
  if (order != NULL) qsort(order, d->n, sizeof(*order), by_line);
  for (i = 0; i < d->n; i++) {
    const sw_diag_t *x = order != NULL ? order[i] : &d->v[i];

    if (!x->is_error && !print_warnings) continue;
    if (x->line > 0)
      fprintf(stderr, "%s:%d: %s: %s\n", path, x->line,
              x->is_error ? "error" : "warning", x->text);
    else
      fprintf(stderr, "%s: %s: %s\n", path, x->is_error ? "error" : "warning",
              x->text);
  }
  free(order);
}

int sw_app_load_config(const sw_cli_t *cli, sw_config_t **out,
                       bool print_warnings) {
  sw_diags_t diags = {0};
  char *path = NULL, *text = NULL;
  size_t len = 0;
  int rc;

  *out = NULL;
  rc = config_path(cli, &path);
  if (rc != 0) goto out;
  rc = read_file(path, cli->config != NULL, &text, &len);
  if (rc != 0) goto out;
  rc = sw_config_parse(path, text, len, SW_PLATFORM_NATIVE, getenv_utf8, NULL,
                       out, &diags);
  print_diags(path, &diags, print_warnings);
  if (rc == SW_ENOMEM)
    fprintf(stderr, "svcwrap: out of memory reading %s\n", path);
  else if (rc != 0)
    fprintf(stderr, "%s: %u error%s\n", path, diags.n_errors,
            diags.n_errors == 1 ? "" : "s");
out:
  sw_diags_free(&diags);
  free(path);
  free(text);
  return rc;
}
