/* SPDX-License-Identifier: MIT */
/* The log path collision check of `check` and `run` (config_paths.h). */
#include "core/config_paths.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/path.h"

static bool same_char(bool fold, char a, char b) {
  if (fold) {
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
  }
  return a == b;
}

static bool same_n(bool fold, const char *a, const char *b, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (!same_char(fold, a[i], b[i])) return false;
  return true;
}

static bool same(bool fold, const char *a, const char *b) {
  size_t n = strlen(a);

  return n == strlen(b) && same_n(fold, a, b, n);
}

/* Where the extension of path's file name starts (its last dot, unless
 * that is the name's first character); the end if it has none. The same
 * split the log files rotate by (app/logfile.c). */
static const char *ext_of(const char *path) {
  const char *slash = strrchr(path, '/'), *bslash = strrchr(path, '\\');
  const char *base = slash > bslash ? slash : bslash;
  const char *dot;

  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  return dot != NULL && dot != base ? dot : base + strlen(base);
}

/* Whether a is one of b's rotated names: "<b without ext>.<n><ext>". */
static bool is_rotated_of(bool fold, const char *a, const char *b) {
  const char *ext = ext_of(b);
  size_t stem = (size_t)(ext - b), ext_len = strlen(ext), len = strlen(a);
  size_t i;

  if (len < stem + 2 + ext_len || !same_n(fold, a, b, stem) || a[stem] != '.' ||
      !same(fold, a + len - ext_len, ext))
    return false;
  for (i = stem + 1; i < len - ext_len; i++)
    if (a[i] < '0' || a[i] > '9') return false;
  return a[stem + 1] != '0';
}

/* Report if `path` (the value of [log] key) collides with `other`,
 * described as `what`. Returns 0 or SW_ENOMEM. */
static int check_pair(const sw_config_t *c, sw_diags_t *d, const char *key,
                      const char *path, const char *what, const char *other,
                      bool allow_equal) {
  bool fold = c->platform == SW_PLATFORM_WIN;
  int line = sw_config_key_line(c, "log", key);

  if (strcmp(path, other) == 0) {
    if (allow_equal) return 0;
    return sw_diags_add(d, true, line,
                        "[log] %s: %s collides with %s (the same file); "
                        "choose another name",
                        key, path, what);
  }
  if (same(fold, path, other))
    return sw_diags_add(d, true, line,
                        "[log] %s: %s collides with %s %s (the same file on "
                        "Windows, where case does not count); choose another "
                        "name",
                        key, path, what, other);
  if (is_rotated_of(fold, path, other))
    return sw_diags_add(d, true, line,
                        "[log] %s: %s collides with %s %s (it is one of its "
                        "rotated names); choose another name",
                        key, path, what, other);
  if (is_rotated_of(fold, other, path))
    return sw_diags_add(d, true, line,
                        "[log] %s: %s collides with %s %s (that is one of "
                        "this file's rotated names); choose another name",
                        key, path, what, other);
  return 0;
}

int sw_config_check_paths(const sw_config_t *c, sw_diags_t *d) {
  sw_path_style_t st =
      c->platform == SW_PLATFORM_WIN ? SW_PATH_WIN : SW_PATH_POSIX;
  char *file, *wlog = NULL;
  size_t n;
  int rc;

  if (c->log_dir == NULL || c->name == NULL || c->stdout_path == NULL ||
      c->stderr_path == NULL)
    return 0;
  n = strlen(c->name) + sizeof(".svcwrap.log");
  file = malloc(n);
  if (file == NULL) return SW_ENOMEM;
  snprintf(file, n, "%s.svcwrap.log", c->name);
  rc = sw_path_resolve(st, c->log_dir, file, &wlog);
  free(file);
  if (rc == SW_ENOMEM) return rc;
  if (rc != 0) return 0; /* reported elsewhere as an invalid name */
  rc = check_pair(c, d, "stdout", c->stdout_path, "the wrapper log", wlog,
                  false);
  if (rc == 0 && strcmp(c->stdout_path, c->stderr_path) != 0)
    rc = check_pair(c, d, "stderr", c->stderr_path, "the wrapper log", wlog,
                    false);
  if (rc == 0)
    rc = check_pair(c, d, "stderr", c->stderr_path, "[log] stdout",
                    c->stdout_path, true);
  free(wlog);
  return rc;
}
