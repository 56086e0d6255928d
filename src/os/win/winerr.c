/* SPDX-License-Identifier: MIT */
/* Win32 error texts, from FormatMessageW, as UTF-8. */
#include "os/win/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "os/os.h"

char *sw__win_strerror(DWORD code, char *buf, size_t len) {
  wchar_t *msg = NULL;
  char *utf8 = NULL;
  DWORD n;

  n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER |
                         FORMAT_MESSAGE_FROM_SYSTEM |
                         FORMAT_MESSAGE_IGNORE_INSERTS,
                     NULL, code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                     (LPWSTR)&msg, 0, NULL);
  if (n > 0 && msg != NULL) {
    /* Drop the trailing ".\r\n" Windows puts on every message. */
    while (n > 0 && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' ||
                     msg[n - 1] == L' ' || msg[n - 1] == L'.'))
      msg[--n] = L'\0';
    utf8 = sw__win_utf8(msg, -1);
  }
  if (utf8 != NULL)
    snprintf(buf, len, "%s (%lu)", utf8, (unsigned long)code);
  else
    snprintf(buf, len, "Windows error %lu", (unsigned long)code);
  free(utf8);
  if (msg != NULL) LocalFree(msg);
  return buf;
}

int sw__win_error(DWORD code) {
  /* libuv's table (src/win/error.c) is the one the rest of svcwrap's
   * error space comes from: ERROR_FILE_NOT_FOUND is UV_ENOENT here as
   * ENOENT is on POSIX. What it does not know is UV_UNKNOWN; the OS's own
   * message always travels beside the code (sw__win_strerror). */
  if (code == ERROR_ACCESS_DENIED) return SW_EACCES;
  if (code == 0) return SW_EINVAL; /* a failure that set no error */
  return uv_translate_sys_error((int)code);
}

void sw_os_last_error_text(char *buf, size_t len) {
  sw__win_strerror(GetLastError(), buf, len);
}
