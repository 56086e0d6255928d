/* SPDX-License-Identifier: MIT */
/*
 * Lexical path resolution for POSIX and Windows paths. Windows forms
 * handled, as described in Microsoft's "File path formats on Windows
 * systems": drive-absolute (C:\x), UNC (\\server\share\x), device paths
 * (\\?\ and \\.\, taken verbatim), root-relative (\x) and relative paths.
 */
#include "core/path.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

static bool is_sep(sw_path_style_t st, char c) {
  return c == '/' || (st == SW_PATH_WIN && c == '\\');
}

static bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_device_path(const char *p) {
  return (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/') &&
         (p[2] == '?' || p[2] == '.') && (p[3] == '\\' || p[3] == '/');
}

static bool is_unc(const char *p) {
  return (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/') &&
         !is_device_path(p);
}

static bool has_drive(const char *p) {
  return is_letter(p[0]) && p[1] == ':';
}

bool sw_path_is_absolute(sw_path_style_t st, const char *p) {
  if (st == SW_PATH_POSIX) return p[0] == '/';
  if (is_device_path(p) || is_unc(p)) return true;
  return has_drive(p) && (p[2] == '\\' || p[2] == '/');
}

/*
 * Length of the root of an absolute Windows path: "C:\" (3), or
 * "\\server\share\" up to and including the separator after the share,
 * or the whole length for a bare "\\server\share".
 */
static size_t win_root_len(const char *p) {
  size_t i;
  int seps = 0;

  if (has_drive(p)) return 3;
  /* UNC: skip the two leading separators, then server and share. */
  for (i = 2; p[i] != '\0'; i++) {
    if (p[i] == '\\' || p[i] == '/') {
      if (++seps == 2) return i + 1;
    }
  }
  return i;
}

/*
 * Append the segments of `rel` to the normalised prefix in out[0..*len),
 * which ends right after a root of length root_len. Folds ".", "..", and
 * repeated separators. `out` has room for the result.
 */
static void append_segments(sw_path_style_t st, char *out, size_t *len,
                            size_t root_len, const char *rel) {
  char sep = st == SW_PATH_WIN ? '\\' : '/';
  const char *s = rel;

  while (*s != '\0') {
    const char *e = s;
    size_t n;

    while (*e != '\0' && !is_sep(st, *e))
      e++;
    n = (size_t)(e - s);
    if (n == 0 || (n == 1 && s[0] == '.')) {
      /* empty or "." segment: nothing */
    } else if (n == 2 && s[0] == '.' && s[1] == '.') {
      /* Drop the last segment, never the root. */
      if (*len > root_len) {
        size_t i = *len;

        while (i > root_len && out[i - 1] != sep)
          i--;
        *len = i > root_len ? i - 1 : root_len;
      }
    } else {
      if (*len > root_len || (*len > 0 && out[*len - 1] != sep))
        out[(*len)++] = sep;
      memcpy(out + *len, s, n);
      *len += n;
    }
    s = *e ? e + 1 : e;
  }
  out[*len] = '\0';
}

int sw_path_resolve(sw_path_style_t st, const char *base, const char *p,
                    char **out) {
  size_t cap, len = 0, root_len;
  char *r;
  char sep = st == SW_PATH_WIN ? '\\' : '/';

  *out = NULL;
  if (p[0] == '\0') return SW_EINVAL;
  if (st == SW_PATH_WIN && is_device_path(p)) {
    /* \\?\ and \\.\ paths skip all normalisation in Windows itself. */
    *out = strdup(p);
    return *out ? 0 : SW_ENOMEM;
  }
  if (st == SW_PATH_WIN && has_drive(p) && !is_sep(st, p[2])) return SW_EINVAL;

  cap = strlen(base) + strlen(p) + 4;
  r = malloc(cap);
  if (r == NULL) return SW_ENOMEM;

  if (st == SW_PATH_POSIX) {
    r[len++] = '/';
    root_len = 1;
    r[len] = '\0';
    if (p[0] != '/') append_segments(st, r, &len, root_len, base);
    append_segments(st, r, &len, root_len, p);
  } else {
    const char *abs = sw_path_is_absolute(st, p) ? p : base;
    size_t i;

    /* Copy the root of the absolute part, separators made '\'. */
    root_len = win_root_len(abs);
    for (i = 0; i < root_len; i++)
      r[len++] = is_sep(st, abs[i]) ? sep : abs[i];
    if (has_drive(abs))
      r[0] = (char)(r[0] >= 'a' && r[0] <= 'z' ? r[0] - 'a' + 'A' : r[0]);
    r[len] = '\0';
    if (abs == p) {
      append_segments(st, r, &len, root_len, p + root_len);
    } else {
      /* Root-relative "\x" keeps only base's root. */
      if (!is_sep(st, p[0]))
        append_segments(st, r, &len, root_len, base + root_len);
      append_segments(st, r, &len, root_len, p);
    }
    /* A bare "\\server\share" root has no trailing separator to keep. */
    if (len > 3 && r[len - 1] == sep && len > root_len) r[--len] = '\0';
  }
  *out = r;
  return 0;
}

int sw_path_dirname(sw_path_style_t st, const char *p, char **out) {
  size_t n = strlen(p);
  size_t root = 0;

  if (st == SW_PATH_POSIX)
    root = p[0] == '/' ? 1 : 0;
  else if (is_device_path(p))
    root = 4;
  else if (sw_path_is_absolute(st, p))
    root = win_root_len(p);
  while (n > root && !is_sep(st, p[n - 1]))
    n--;
  while (n > root && is_sep(st, p[n - 1]))
    n--;
  if (n == 0 && root == 0) {
    *out = strdup(".");
    return *out ? 0 : SW_ENOMEM;
  }
  *out = malloc(n + 1);
  if (*out == NULL) return SW_ENOMEM;
  memcpy(*out, p, n);
  (*out)[n] = '\0';
  return 0;
}

const char *sw_path_basename(sw_path_style_t st, const char *p) {
  const char *b = p;

  for (; *p != '\0'; p++)
    if (is_sep(st, *p)) b = p + 1;
  return b;
}

int sw_path_replace_ext(sw_path_style_t st, const char *p, const char *ext,
                        char **out) {
  const char *base = sw_path_basename(st, p);
  const char *dot = strrchr(base, '.');
  size_t keep = dot && dot != base ? (size_t)(dot - p) : strlen(p);

  *out = malloc(keep + strlen(ext) + 1);
  if (*out == NULL) return SW_ENOMEM;
  memcpy(*out, p, keep);
  strcpy(*out + keep, ext);
  return 0;
}

int sw_path_win_long(const char *p, char **out) {
  size_t n = strlen(p);
  char *q;

  /* MAX_PATH counts the terminating NUL; directories must leave room for
   * an 8.3 file name (248), so prefix from 248 characters on. */
  if (n < 248 || is_device_path(p)) {
    *out = strdup(p);
    return *out ? 0 : SW_ENOMEM;
  }
  *out = malloc(n + 8);
  if (*out == NULL) return SW_ENOMEM;
  if (is_unc(p)) {
    strcpy(*out, "\\\\?\\UNC\\");
    strcat(*out, p + 2);
  } else {
    strcpy(*out, "\\\\?\\");
    strcat(*out, p);
  }
  /* Windows does not normalise a \\?\ path, so a '/' after the prefix
   * would be part of a name rather than a separator. */
  for (q = *out; *q != '\0'; q++)
    if (*q == '/') *q = '\\';
  return 0;
}
