/* SPDX-License-Identifier: MIT */
/*
 * Civil dates from day counts, with the proleptic Gregorian calendar's
 * 400-year era arithmetic (days_to_civil below), so no gmtime/localtime is
 * needed: those differ between glibc and mingw and are not thread-safe.
 */
#include "core/timefmt.h"

#include <stdio.h>

/* Days since 1970-01-01 -> year, month (1..12), day (1..31). */
static void days_to_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  int64_t era, yoe, doy, mp;

  z += 719468; /* shift the epoch to 0000-03-01 */
  era = (z >= 0 ? z : z - 146096) / 146097;
  yoe = z - era * 146097;                                      /* [0, 146096] */
  yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365; /* [0, 399] */
  doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);  /* [0, 365] */
  mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* v as exactly `width` decimal digits at p; returns the end. */
static char *digits(char *p, unsigned v, int width) {
  int i;

  for (i = width - 1; i >= 0; i--) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

/* Digit by digit rather than snprintf: every line of the wrapper log
 * starts with one, three a restart in a crash loop. */
char *sw_time_format(int64_t epoch_ms, int offset_min, int utc_z, char *buf) {
  int64_t t = epoch_ms + (int64_t)offset_min * 60000;
  int64_t days = (t >= 0 ? t : t - 86399999) / 86400000;
  unsigned ms_of_day = (unsigned)(t - days * 86400000);
  int64_t y;
  unsigned m, d;
  /* Real offsets lie within +-14h; clamp so the text stays well-formed. */
  unsigned off = (unsigned)(offset_min < 0 ? -offset_min : offset_min) % 1440;
  char *p = buf;

  days_to_civil(days, &y, &m, &d);
  if (y >= 0 && y <= 9999) {
    p = digits(p, (unsigned)y, 4);
  } else { /* far outside any clock svcwrap will meet: ISO 8601's form */
    int n = snprintf(buf, SW_TIME_LEN, "%s%04lld", y < 0 ? "-" : "",
                     (long long)(y < 0 ? -y : y));

    p += n > 0 && n < 21 ? n : 0;
  }
  *p++ = '-';
  p = digits(p, m, 2);
  *p++ = '-';
  p = digits(p, d, 2);
  *p++ = 'T';
  p = digits(p, ms_of_day / 3600000, 2);
  *p++ = ':';
  p = digits(p, ms_of_day / 60000 % 60, 2);
  *p++ = ':';
  p = digits(p, ms_of_day / 1000 % 60, 2);
  *p++ = '.';
  p = digits(p, ms_of_day % 1000, 3);
  if (offset_min == 0 && utc_z) {
    *p++ = 'Z';
  } else {
    *p++ = offset_min < 0 ? '-' : '+';
    p = digits(p, off / 60, 2);
    *p++ = ':';
    p = digits(p, off % 60, 2);
  }
  *p = '\0';
  return buf;
}
