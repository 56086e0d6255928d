/* SPDX-License-Identifier: MIT */
/*
 * Value parsers for the INI. Everything here is pure and locale-free: the
 * INI must mean the same on every machine, so no strtod, no isalpha on
 * non-ASCII bytes, no locale-dependent case folding.
 */
#include "core/attr.h"
#include "core/value.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

static int fail(char *why, size_t whylen, const char *fmt, ...) SW_PRINTF(3, 4);

static int fail(char *why, size_t whylen, const char *fmt, ...) {
  va_list ap;

  if (why != NULL && whylen > 0) {
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
  }
  return SW_EINVAL;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool sw_streq_nocase(const char *a, const char *b) {
  while (*a != '\0' && lower(*a) == lower(*b)) {
    a++;
    b++;
  }
  return lower(*a) == lower(*b);
}

char *sw_trim(char *s) {
  size_t n;

  while (is_blank(*s) || *s == '\r' || *s == '\n')
    s++;
  n = strlen(s);
  while (n > 0 && (is_blank(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
    s[--n] = '\0';
  return s;
}

/*
 * A decimal number with an optional fraction ("12", "1.5") as a fixed-point
 * value: *whole and *frac_num / *frac_den. Advances *p past it. Returns false
 * if no digit was found or the whole part overflows 10^15.
 */
static bool parse_number(const char **p, uint64_t *whole, uint64_t *frac_num,
                         uint64_t *frac_den) {
  const char *s = *p;
  bool any = false;

  *whole = 0;
  *frac_num = 0;
  *frac_den = 1;
  while (is_digit(*s)) {
    if (*whole > 1000000000000000ULL) return false;
    *whole = *whole * 10 + (uint64_t)(*s - '0');
    s++;
    any = true;
  }
  if (!any) return false; /* a number starts with a digit: "0.5", not ".5" */
  if (*s == '.') {
    s++;
    while (is_digit(*s)) {
      /* Digits past the ninth cannot change a millisecond or byte count
       * of a value below the caps, unless they are non-zero: keep them
       * exact up to 10^9 and reject longer non-zero tails below. */
      if (*frac_den >= 1000000000ULL) {
        if (*s != '0') return false;
      } else {
        *frac_num = *frac_num * 10 + (uint64_t)(*s - '0');
        *frac_den *= 10;
      }
      s++;
      any = true;
    }
  }
  *p = s;
  return any;
}

/* Read a unit word (letters only) into buf, lower-cased. */
static void read_unit(const char **p, char *buf, size_t len) {
  size_t n = 0;
  const char *s = *p;

  while (is_alpha(*s)) {
    if (n + 1 < len) buf[n++] = lower(*s);
    s++;
  }
  buf[n] = '\0';
  *p = s;
}

static bool unit_in(const char *unit, const char *const *names) {
  for (; *names != NULL; names++)
    if (strcmp(unit, *names) == 0) return true;
  return false;
}

/* Milliseconds per unit word, or 0 if unknown. */
static uint64_t duration_unit_ms(const char *unit) {
  static const char *const ms[] = {"ms",          "msec",         "msecs",
                                   "millisecond", "milliseconds", NULL};
  static const char *const sec[] = {"",       "s",       "sec", "secs",
                                    "second", "seconds", NULL};
  static const char *const min[] = {"m",      "min",     "mins",
                                    "minute", "minutes", NULL};
  static const char *const hour[] = {"h", "hr", "hrs", "hour", "hours", NULL};
  static const char *const day[] = {"d", "day", "days", NULL};

  if (unit_in(unit, ms)) return 1;
  if (unit_in(unit, sec)) return 1000;
  if (unit_in(unit, min)) return 60 * 1000;
  if (unit_in(unit, hour)) return 3600 * 1000;
  if (unit_in(unit, day)) return 24 * 3600 * 1000;
  return 0;
}

int sw_parse_duration(const char *s, uint64_t *out_ms, char *why,
                      size_t whylen) {
  const char *p = s;
  uint64_t total = 0;
  int parts = 0;

  while (is_blank(*p))
    p++;
  if (*p == '\0')
    return fail(why, whylen,
                "empty duration; write e.g. 500ms, 10s, 5min, "
                "1min 30s");
  while (*p != '\0') {
    uint64_t whole, num, den, per, part;
    char unit[16];
    const char *start = p;

    if (*p == '-')
      return fail(why, whylen,
                  "negative duration \"%s\"; durations are 0 or more, e.g. "
                  "500ms",
                  s);
    if (!parse_number(&p, &whole, &num, &den))
      return fail(why, whylen,
                  "\"%s\" is not a duration; write e.g. 500ms, 10s, 5min, "
                  "2h, 1min 30s (a bare number means seconds)",
                  s);
    while (is_blank(*p))
      p++;
    read_unit(&p, unit, sizeof(unit));
    /* Only the last number may go without a unit ("1min 30"): "1.5.5s"
     * and "10 20" are typos, not sums. */
    if (unit[0] == '\0' && *p != '\0')
      return fail(why, whylen,
                  "\"%s\" is not a duration; write e.g. 500ms, 10s, 5min, "
                  "2h, 1min 30s (a bare number means seconds)",
                  s);
    per = duration_unit_ms(unit);
    if (per == 0)
      return fail(why, whylen,
                  "unknown unit \"%s\" in duration \"%s\"; units: ms, s, "
                  "min, h, d",
                  unit, s);
    if (whole > SW_DURATION_MAX_MS)
      return fail(why, whylen, "duration \"%s\" is too long; at most 30 days",
                  s);
    if ((num * per) % den != 0)
      return fail(why, whylen, "duration \"%s\" is finer than a millisecond",
                  s);
    part = whole * per + num * per / den;
    total += part;
    if (total > SW_DURATION_MAX_MS)
      return fail(why, whylen, "duration \"%s\" is too long; at most 30 days",
                  s);
    parts++;
    while (is_blank(*p))
      p++;
    if (p == start) break; /* cannot happen: parse_number consumed something */
  }
  (void)parts;
  *out_ms = total;
  return 0;
}

int sw_parse_size(const char *s, uint64_t *out_bytes, char *why,
                  size_t whylen) {
  static const char *const b[] = {"", "b", "byte", "bytes", NULL};
  static const char *const kb[] = {"k", "kb", "kib", NULL};
  static const char *const mb[] = {"m", "mb", "mib", NULL};
  static const char *const gb[] = {"g", "gb", "gib", NULL};
  const char *p = s;
  uint64_t whole, num, den, per;
  char unit[16];

  while (is_blank(*p))
    p++;
  if (*p == '\0')
    return fail(why, whylen, "empty size; write e.g. 512KB, 10MB, 1GB");
  if (*p == '-')
    return fail(why, whylen, "negative size \"%s\"; write e.g. 512KB or 10MB",
                s);
  if (!parse_number(&p, &whole, &num, &den))
    return fail(why, whylen,
                "\"%s\" is not a size; write e.g. 512KB, 10MB, 1GB (a bare "
                "number means bytes)",
                s);
  while (is_blank(*p))
    p++;
  read_unit(&p, unit, sizeof(unit));
  while (is_blank(*p))
    p++;
  if (*p != '\0')
    return fail(why, whylen,
                "\"%s\" is not a size; write one number and one unit, e.g. "
                "10MB",
                s);
  if (unit_in(unit, b))
    per = 1;
  else if (unit_in(unit, kb))
    per = 1024;
  else if (unit_in(unit, mb))
    per = 1024 * 1024;
  else if (unit_in(unit, gb))
    per = 1024 * 1024 * 1024;
  else
    return fail(why, whylen,
                "unknown unit \"%s\" in size \"%s\"; units: B, KB, MB, GB "
                "(1024-based)",
                unit, s);
  /* Compare before multiplying: "17179869184GB" is 2^64 bytes, which
   * would wrap to 0. */
  if (whole > SW_SIZE_MAX / per)
    return fail(why, whylen, "size \"%s\" is too large; at most 1TB", s);
  if ((num * per) % den != 0)
    return fail(why, whylen, "size \"%s\" is not a whole number of bytes", s);
  *out_bytes = whole * per + num * per / den;
  if (*out_bytes > SW_SIZE_MAX)
    return fail(why, whylen, "size \"%s\" is too large; at most 1TB", s);
  return 0;
}

int sw_parse_bool(const char *s, bool *out, char *why, size_t whylen) {
  static const char *const yes[] = {"true", "yes", "on", "1", NULL};
  static const char *const no[] = {"false", "no", "off", "0", NULL};
  int i;

  for (i = 0; yes[i] != NULL; i++) {
    if (sw_streq_nocase(s, yes[i])) {
      *out = true;
      return 0;
    }
    if (sw_streq_nocase(s, no[i])) {
      *out = false;
      return 0;
    }
  }
  return fail(why, whylen,
              "\"%s\" is not a boolean; write true/false, yes/no, on/off or "
              "1/0",
              s);
}

int sw_parse_int(const char *s, long long min, long long max, long long *out,
                 char *why, size_t whylen) {
  const char *p = s;
  bool neg = false;
  unsigned long long v = 0;

  if (*p == '-' || *p == '+') {
    neg = *p == '-';
    p++;
  }
  if (!is_digit(*p))
    return fail(why, whylen,
                "\"%s\" is not a whole number; write one from "
                "%lld to %lld",
                s, min, max);
  while (is_digit(*p)) {
    if (v > 100000000000000000ULL)
      return fail(why, whylen, "\"%s\" is out of range %lld..%lld", s, min,
                  max);
    v = v * 10 + (unsigned long long)(*p - '0');
    p++;
  }
  if (*p != '\0')
    return fail(why, whylen,
                "\"%s\" is not a whole number; write one from "
                "%lld to %lld",
                s, min, max);
  if ((!neg && v > (unsigned long long)max) ||
      (!neg && min > 0 && v < (unsigned long long)min) ||
      (neg && (long long)-(long long)v < min) || (neg && min >= 0 && v != 0))
    return fail(why, whylen, "%s is out of range %lld..%lld", s, min, max);
  *out = neg ? -(long long)v : (long long)v;
  return 0;
}

int sw_parse_exit_code(const char *s, uint32_t *out, char *why, size_t whylen) {
  const char *p = s;
  uint64_t v = 0;

  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    p += 2;
    if (*p == '\0') return fail(why, whylen, "\"%s\" is not an exit code", s);
    for (; *p != '\0'; p++) {
      int d;

      if (is_digit(*p))
        d = *p - '0';
      else if (lower(*p) >= 'a' && lower(*p) <= 'f')
        d = lower(*p) - 'a' + 10;
      else
        return fail(why, whylen,
                    "\"%s\" is not an exit code; write a decimal number or "
                    "hex like 0xC000013A",
                    s);
      v = v * 16 + (uint64_t)d;
      if (v > 0xFFFFFFFFULL)
        return fail(why, whylen, "exit code %s is larger than 0xFFFFFFFF", s);
    }
    *out = (uint32_t)v;
    return 0;
  }
  {
    long long n;

    if (sw_parse_int(s, -2147483648LL, 4294967295LL, &n, NULL, 0) != 0)
      return fail(why, whylen,
                  "\"%s\" is not an exit code; write a decimal number "
                  "(-2147483648..4294967295) or hex like 0xC000013A",
                  s);
    *out = (uint32_t)(n < 0 ? (uint32_t)(int32_t)n : (uint32_t)n);
  }
  return 0;
}

int sw_split_list(char *s, char **items, int max, char *why, size_t whylen) {
  int n = 0;
  char *p = s;

  if (*sw_trim(s) == '\0') return 0;
  for (;;) {
    char *comma = strchr(p, ',');
    char *item;

    if (comma != NULL) *comma = '\0';
    item = sw_trim(p);
    if (*item == '\0')
      return fail(why, whylen,
                  "empty item in list; separate items with one "
                  "comma");
    if (n == max) return fail(why, whylen, "more than %d items in list", max);
    items[n++] = item;
    if (comma == NULL) break;
    p = comma + 1;
  }
  return n;
}

char *sw_format_duration(uint64_t ms, char *buf, size_t len) {
  static const struct {
    uint64_t ms;
    const char *name;
  } units[] = {{24ULL * 3600 * 1000, "d"},
               {3600ULL * 1000, "h"},
               {60ULL * 1000, "min"},
               {1000, "s"},
               {1, "ms"}};
  size_t used = 0;
  size_t i;

  if (len == 0) return buf;
  buf[0] = '\0';
  if (ms == 0) {
    snprintf(buf, len, "0s");
    return buf;
  }
  for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    if (ms >= units[i].ms) {
      int w = snprintf(buf + used, len - used, "%s%llu%s", used ? " " : "",
                       (unsigned long long)(ms / units[i].ms), units[i].name);

      if (w < 0 || (size_t)w >= len - used) break;
      used += (size_t)w;
      ms %= units[i].ms;
    }
  }
  return buf;
}
