/* SPDX-License-Identifier: MIT */
/* Small Windows facts: time zone offset, handle count, endpoint name. */
#include "os/win/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "os/os.h"

bool sw_os_stderr_is_null(void) {
  HANDLE h = GetStdHandle(STD_ERROR_HANDLE);

  /* A service starts without standard handles. (The NUL device cannot be
   * told from a console by its type; writing to it is cheap anyway.) */
  return h == NULL || h == INVALID_HANDLE_VALUE;
}

int sw_os_utc_offset_min(int64_t t) {
  /* The local time of t minus t itself. SystemTimeToTzSpecificLocalTime
   * applies the daylight saving rule in force at t (FileTimeToLocalFileTime
   * would apply today's). */
  ULARGE_INTEGER u;
  FILETIME utc, local;
  SYSTEMTIME st, lst;

  u.QuadPart = (ULONGLONG)(t + 11644473600LL) * 10000000ULL;
  utc.dwLowDateTime = u.LowPart;
  utc.dwHighDateTime = u.HighPart;
  if (!FileTimeToSystemTime(&utc, &st) ||
      !SystemTimeToTzSpecificLocalTime(NULL, &st, &lst) ||
      !SystemTimeToFileTime(&lst, &local))
    return 0;
  u.LowPart = local.dwLowDateTime;
  u.HighPart = local.dwHighDateTime;
  return (int)(((int64_t)(u.QuadPart / 10000000ULL) - 11644473600LL - t) / 60);
}

/* Count open handles by asking about each possible value: multiples of
 * 4, handed out from the bottom up, so the scan stops after a long run of
 * closed ones. Each question is a server round trip under Wine, which is
 * why the run is bounded. */
static long probe_handles(void) {
  long n = 0;
  uintptr_t v, gap = 0;
  DWORD flags;

  for (v = 4; v < (1u << 20) && gap < 1024; v += 4) {
    if (GetHandleInformation((HANDLE)v, &flags)) {
      n++;
      gap = 0;
    } else {
      gap++;
    }
  }
  return n;
}

long sw_os_resource_count(const char **name) {
  DWORD n = 0;

  *name = "handles";
  if (!GetProcessHandleCount(GetCurrentProcess(), &n)) return -1;
  /* Wine 8 answers 0, which no live process has: count them instead. */
  return n > 0 ? (long)n : probe_handles();
}

char *sw_os_endpoint_name(const sw_config_t *cfg) {
  size_t n = strlen(cfg->name) + 32;
  char *s = malloc(n);

  if (s != NULL) snprintf(s, n, "\\\\.\\pipe\\svcwrap-%s", cfg->name);
  return s;
}

/*
 * One line of standard input. A console is read with ReadConsoleW and echo
 * off (the password never shows); a pipe or file byte by byte as UTF-8
 * (so nothing after the line is consumed).
 */
int sw_os_read_secret(char *buf, size_t len, char *why, size_t whylen) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  DWORD mode, got;
  size_t n = 0;
  char msg[256];
  int rc = 0;

  if (in == NULL || in == INVALID_HANDLE_VALUE) {
    snprintf(why, whylen, "no standard input to read the password from");
    return SW_EINVAL;
  }
  if (GetConsoleMode(in, &mode)) {
    wchar_t wline[512];
    char *utf8;

    SetConsoleMode(in, (mode | ENABLE_LINE_INPUT) & ~(DWORD)ENABLE_ECHO_INPUT);
    if (!ReadConsoleW(in, wline, 511, &got, NULL)) {
      rc = sw__win_error(GetLastError());
      snprintf(why, whylen, "read the console: %s",
               sw__win_strerror(GetLastError(), msg, sizeof(msg)));
      got = 0;
    }
    SetConsoleMode(in, mode);
    while (got > 0 && (wline[got - 1] == L'\n' || wline[got - 1] == L'\r'))
      got--;
    utf8 = sw__win_utf8(wline, (int)got);
    SecureZeroMemory(wline, sizeof(wline));
    if (rc == 0 && utf8 == NULL) {
      snprintf(why, whylen, "the password is not valid Unicode");
      rc = SW_EINVAL;
    }
    if (rc == 0 && strlen(utf8) + 1 > len) {
      snprintf(why, whylen, "the password is longer than %zu bytes", len - 1);
      rc = SW_EINVAL;
    }
    if (rc == 0) {
      n = strlen(utf8);
      memcpy(buf, utf8, n);
    }
    if (utf8 != NULL) {
      SecureZeroMemory(utf8, strlen(utf8));
      free(utf8);
    }
  } else {
    for (;;) {
      char ch;

      if (!ReadFile(in, &ch, 1, &got, NULL)) {
        DWORD err = GetLastError();

        if (err == ERROR_BROKEN_PIPE) break; /* end of input */
        rc = sw__win_error(err);
        snprintf(why, whylen, "read standard input: %s",
                 sw__win_strerror(err, msg, sizeof(msg)));
        break;
      }
      if (got == 0 || ch == '\n') break;
      if (n + 1 >= len) {
        snprintf(why, whylen, "the password is longer than %zu bytes", len - 1);
        rc = SW_EINVAL;
        break;
      }
      buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r') n--;
  }
  buf[n] = '\0';
  if (rc == 0 && n == 0) {
    snprintf(why, whylen, "no password on standard input (an empty line)");
    rc = SW_EINVAL;
  }
  return rc;
}
