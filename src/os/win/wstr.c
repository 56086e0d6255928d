/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16 at the Windows edge. Everything inside svcwrap is
 * UTF-8; only this backend sees wide strings. */
#include "os/win/internal.h"

#include <stdlib.h>

#include "core/path.h"

wchar_t *sw__win_wide(const char *utf8) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
  wchar_t *w;

  if (n <= 0) return NULL;
  w = malloc((size_t)n * sizeof(*w));
  if (w == NULL) return NULL;
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n) {
    free(w);
    return NULL;
  }
  return w;
}

char *sw__win_utf8(const wchar_t *w, int len) {
  /* WC_ERR_INVALID_CHARS: a lone surrogate is an error, not a U+FFFD
   * that would silently name another file or account. */
  int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, len, NULL, 0,
                              NULL, NULL);
  char *s;

  if (n <= 0 && len != 0) return NULL;
  s = malloc((size_t)n + 1);
  if (s == NULL) return NULL;
  if (n > 0 && WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, len, s, n,
                                   NULL, NULL) != n) {
    free(s);
    return NULL;
  }
  s[n] = '\0';
  return s;
}

wchar_t *sw__win_path(const char *utf8) {
  char *p;
  wchar_t *w;

  if (sw_path_win_long(utf8, &p) != 0) return NULL;
  w = sw__win_wide(p);
  free(p);
  return w;
}
