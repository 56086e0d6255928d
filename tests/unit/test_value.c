/* SPDX-License-Identifier: MIT */
/*
 * core/value.c: durations, sizes, booleans, integers, exit codes, lists and
 * the duration formatter. Each case asserts the exact value or the exact
 * error, so a parser that accepts too much or too little fails here.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/value.h"

/* ---- durations ----------------------------------------------------------- */

typedef struct {
  const char *in;
  uint64_t ms;
} dur_ok_t;

static void duration_ok(void **state) {
  static const dur_ok_t cases[] = {
      {"500ms", 500},
      {"10s", 10000},
      {"5min", 300000},
      {"2h", 7200000},
      {"1d", 86400000},
      {"1min 30s", 90000},
      {"1min 30", 90000}, /* the last number may go without a unit */
      {"1min30s", 90000},
      {"1h 2min 3s 4ms", 3723004},
      {"1.5s", 1500},
      {"0.25s", 250},
      {"1.001s", 1001},
      {"1.5min", 90000},
      {"1.5", 1500}, /* bare number: seconds */
      {"10", 10000}, /* bare number: seconds */
      {"0", 0},
      {"0ms", 0},
      {"5 min", 300000},
      {"  10s  ", 10000},
      {"10S", 10000},
      {"3MIN", 180000},
      {"2m", 120000},
      {"250msec", 250},
      {"2 seconds", 2000},
      {"1 minute", 60000},
      {"3 hours", 10800000},
      {"2 days", 172800000},
      {"1.000000000000s", 1000}, /* zero tail past nine digits is exact */
      {"30d", SW_DURATION_MAX_MS},
      {"720h", SW_DURATION_MAX_MS},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint64_t ms = 12345;
    char why[256] = "";
    int rc = sw_parse_duration(cases[i].in, &ms, why, sizeof(why));

    if (rc != 0)
      fail_msg("duration \"%s\": rc %d (%s), want 0", cases[i].in, rc, why);
    if (ms != cases[i].ms)
      fail_msg("duration \"%s\": got %llu ms, want %llu", cases[i].in,
               (unsigned long long)ms, (unsigned long long)cases[i].ms);
  }
}

typedef struct {
  const char *in;
  const char *why; /* a part of the reason */
} bad_t;

static void duration_bad(void **state) {
  static const bad_t cases[] = {
      {"", "empty duration"},
      {"   ", "empty duration"},
      {"-5s", "negative duration"},
      {" -1", "negative duration"},
      {"5s -1s", "negative duration"},
      {"10parsecs", "unknown unit \"parsecs\""},
      {"10 x", "unknown unit \"x\""},
      {"10y", "unknown unit \"y\""},
      {"ms", "is not a duration"},
      {"ten seconds", "is not a duration"},
      {"1,5s", "is not a duration"},
      {"31d", "too long"},
      {"721h", "too long"},
      {"30d 1ms", "too long"},
      {"2592000001ms", "too long"},
      {"99999999999999999999s", "is not a duration"},
      {"0.5ms", "finer than a millisecond"},
      {"1.0005s", "finer than a millisecond"},
      {"1.0000000001s", "is not a duration"}, /* non-zero past 9 digits */
      /* Typos, not sums: only the last number may lack a unit. */
      {"1.5.5s", "is not a duration"},
      {"10 20", "is not a duration"},
      {".5s", "is not a duration"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint64_t ms = 777;
    char why[256] = "";
    int rc = sw_parse_duration(cases[i].in, &ms, why, sizeof(why));

    if (rc != SW_EINVAL)
      fail_msg("duration \"%s\": rc %d (%llu ms), want SW_EINVAL", cases[i].in,
               rc, (unsigned long long)ms);
    if (strstr(why, cases[i].why) == NULL)
      fail_msg("duration \"%s\": reason \"%s\" lacks \"%s\"", cases[i].in, why,
               cases[i].why);
    if (ms != 777)
      fail_msg("duration \"%s\": output written on failure", cases[i].in);
  }
}

static void duration_null_why(void **state) {
  uint64_t ms;

  (void)state;
  /* A NULL reason buffer is allowed. */
  assert_int_equal(sw_parse_duration("x", &ms, NULL, 0), SW_EINVAL);
}

/* ---- sizes --------------------------------------------------------------- */

typedef struct {
  const char *in;
  uint64_t bytes;
} size_ok_t;

static void size_ok(void **state) {
  static const size_ok_t cases[] = {
      {"512KB", 524288},
      {"10MB", 10485760},
      {"1GB", 1073741824},
      {"1KiB", 1024},
      {"2kib", 2048},
      {"3MiB", 3145728},
      {"1GiB", 1073741824},
      {"1k", 1024},
      {"1m", 1048576},
      {"1g", 1073741824},
      {"100", 100},
      {"100B", 100},
      {"100 bytes", 100},
      {"0", 0},
      {"1.5MB", 1572864},
      {"1.5KB", 1536},
      {"0.5GB", 536870912},
      {" 10 MB ", 10485760},
      {"1024GB", SW_SIZE_MAX},
      {"1099511627776", SW_SIZE_MAX},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint64_t n = 12345;
    char why[256] = "";
    int rc = sw_parse_size(cases[i].in, &n, why, sizeof(why));

    if (rc != 0)
      fail_msg("size \"%s\": rc %d (%s), want 0", cases[i].in, rc, why);
    if (n != cases[i].bytes)
      fail_msg("size \"%s\": got %llu, want %llu", cases[i].in,
               (unsigned long long)n, (unsigned long long)cases[i].bytes);
  }
}

static void size_bad(void **state) {
  static const bad_t cases[] = {
      {"", "empty size"},
      {"-1MB", "negative size"},
      {"MB", "is not a size"},
      {"10MB extra", "write one number and one unit"},
      {"10MB 5KB", "write one number and one unit"},
      {"1TB", "unknown unit \"tb\""},
      {"5 parsecs", "unknown unit \"parsecs\""},
      {"1.5", "not a whole number of bytes"},
      {"0.3KB", "not a whole number of bytes"},
      {"1025GB", "too large"},
      {"1099511627777", "too large"},
      /* 2^34 GB and 2^40 GB are 2^64 and 2^70 bytes: multiplying without
       * an overflow check would wrap them to 0 and accept them. */
      {"17179869184GB", "too large"},
      {"1099511627776GB", "too large"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint64_t n = 777;
    char why[256] = "";
    int rc = sw_parse_size(cases[i].in, &n, why, sizeof(why));

    if (rc != SW_EINVAL)
      fail_msg("size \"%s\": rc %d (%llu bytes), want SW_EINVAL", cases[i].in,
               rc, (unsigned long long)n);
    if (strstr(why, cases[i].why) == NULL)
      fail_msg("size \"%s\": reason \"%s\" lacks \"%s\"", cases[i].in, why,
               cases[i].why);
  }
}

/* ---- booleans ------------------------------------------------------------ */

static void bool_spellings(void **state) {
  static const char *const yes[] = {"true", "TRUE", "True", "yes", "YES",
                                    "Yes",  "on",   "ON",   "oN",  "1"};
  static const char *const no[] = {"false", "FALSE", "False", "no", "NO",
                                   "No",    "off",   "OFF",   "0"};
  static const char *const bad[] = {"",    "2",  "y",    "n",  "truee",
                                    "tru", "of", "yes ", "-1", "enabled"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    bool b = false;

    if (sw_parse_bool(yes[i], &b, NULL, 0) != 0 || !b)
      fail_msg("bool \"%s\" should be true", yes[i]);
  }
  for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
    bool b = true;

    if (sw_parse_bool(no[i], &b, NULL, 0) != 0 || b)
      fail_msg("bool \"%s\" should be false", no[i]);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    bool b = true;
    char why[256] = "";

    if (sw_parse_bool(bad[i], &b, why, sizeof(why)) != SW_EINVAL)
      fail_msg("bool \"%s\" should be rejected", bad[i]);
    if (strstr(why, "is not a boolean") == NULL)
      fail_msg("bool \"%s\": reason \"%s\"", bad[i], why);
  }
}

/* ---- integers ------------------------------------------------------------ */

static void int_parse(void **state) {
  long long v = 0;
  char why[256];

  (void)state;
  assert_int_equal(sw_parse_int("42", 0, 100, &v, why, sizeof(why)), 0);
  assert_int_equal(v, 42);
  assert_int_equal(sw_parse_int("+7", 0, 100, &v, why, sizeof(why)), 0);
  assert_int_equal(v, 7);
  assert_int_equal(sw_parse_int("-5", -10, 10, &v, why, sizeof(why)), 0);
  assert_true(v == -5);
  assert_int_equal(sw_parse_int("0", 0, 0, &v, why, sizeof(why)), 0);
  assert_int_equal(v, 0);
  assert_int_equal(sw_parse_int("-0", 0, 10, &v, why, sizeof(why)), 0);
  assert_int_equal(v, 0);
  assert_int_equal(sw_parse_int("100", 0, 100, &v, why, sizeof(why)), 0);
  assert_int_equal(v, 100);
  assert_int_equal(sw_parse_int("-10", -10, 10, &v, why, sizeof(why)), 0);
  assert_true(v == -10);

  v = 99;
  assert_int_equal(sw_parse_int("101", 0, 100, &v, why, sizeof(why)),
                   SW_EINVAL);
  assert_non_null(strstr(why, "out of range 0..100"));
  assert_int_equal(sw_parse_int("-1", 0, 100, &v, why, sizeof(why)), SW_EINVAL);
  assert_int_equal(sw_parse_int("-11", -10, 10, &v, why, sizeof(why)),
                   SW_EINVAL);
  assert_int_equal(sw_parse_int("", 0, 100, &v, why, sizeof(why)), SW_EINVAL);
  assert_non_null(strstr(why, "is not a whole number"));
  assert_int_equal(sw_parse_int("12a", 0, 100, &v, why, sizeof(why)),
                   SW_EINVAL);
  assert_int_equal(sw_parse_int("1.5", 0, 100, &v, why, sizeof(why)),
                   SW_EINVAL);
  assert_int_equal(sw_parse_int(" 5", 0, 100, &v, why, sizeof(why)), SW_EINVAL);
  assert_int_equal(sw_parse_int("-", 0, 100, &v, why, sizeof(why)), SW_EINVAL);
  assert_int_equal(
      sw_parse_int("99999999999999999999", 0, 100, &v, why, sizeof(why)),
      SW_EINVAL);
  assert_int_equal(v, 99); /* untouched on failure */
}

/* ---- exit codes ---------------------------------------------------------- */

typedef struct {
  const char *in;
  uint32_t code;
} code_ok_t;

static void exit_code_parse(void **state) {
  static const code_ok_t ok[] = {
      {"0", 0},
      {"1", 1},
      {"255", 255},
      {"3221225786", 0xC000013Au},
      {"4294967295", 0xFFFFFFFFu},
      {"0xC000013A", 0xC000013Au},
      {"0XC000013a", 0xC000013Au},
      {"0xc0000005", 0xC0000005u},
      {"0x0", 0},
      {"0xFFFFFFFF", 0xFFFFFFFFu},
      {"0x00000000FF", 0xFFu},
      {"-1", 0xFFFFFFFFu},
      {"-2", 0xFFFFFFFEu},
      {"-1073741510", 0xC000013Au},
      {"-2147483648", 0x80000000u},
  };
  static const char *const bad[] = {
      "",
      "0x",
      "0xG1",
      "0x1FFFFFFFF",
      "0x100000000",
      "4294967296",
      "-2147483649",
      "abc",
      "1.0",
      " 1",
      "12x",
      "99999999999999999999",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    uint32_t c = 12345;
    char why[256] = "";

    if (sw_parse_exit_code(ok[i].in, &c, why, sizeof(why)) != 0)
      fail_msg("exit code \"%s\" rejected: %s", ok[i].in, why);
    if (c != ok[i].code)
      fail_msg("exit code \"%s\": got 0x%08X, want 0x%08X", ok[i].in, c,
               ok[i].code);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint32_t c = 12345;
    char why[256] = "";

    if (sw_parse_exit_code(bad[i], &c, why, sizeof(why)) != SW_EINVAL)
      fail_msg("exit code \"%s\" accepted as 0x%08X", bad[i], c);
    if (why[0] == '\0') fail_msg("exit code \"%s\": no reason given", bad[i]);
    if (c != 12345)
      fail_msg("exit code \"%s\": output written on failure", bad[i]);
  }
}

/* ---- lists --------------------------------------------------------------- */

static void list_split(void **state) {
  char *items[8];
  char why[256];
  char empty[] = "";
  char blank[] = "  \t ";
  char one[] = "Tcpip";
  char three[] = " a , b ,c ";
  char inner[] = "a b, c  d";

  (void)state;
  assert_int_equal(sw_split_list(empty, items, 8, why, sizeof(why)), 0);
  assert_int_equal(sw_split_list(blank, items, 8, why, sizeof(why)), 0);
  assert_int_equal(sw_split_list(one, items, 8, why, sizeof(why)), 1);
  assert_string_equal(items[0], "Tcpip");
  assert_int_equal(sw_split_list(three, items, 8, why, sizeof(why)), 3);
  assert_string_equal(items[0], "a");
  assert_string_equal(items[1], "b");
  assert_string_equal(items[2], "c");
  /* Blanks inside an item are kept. */
  assert_int_equal(sw_split_list(inner, items, 8, why, sizeof(why)), 2);
  assert_string_equal(items[0], "a b");
  assert_string_equal(items[1], "c  d");
}

static void list_errors(void **state) {
  char *items[2];
  char why[256];
  char mid[] = "a,,b";
  char blank_mid[] = "a, ,b";
  char trailing[] = "a,";
  char leading[] = ",a";
  char comma[] = ",";
  char many[] = "a,b,c";

  (void)state;
  assert_int_equal(sw_split_list(mid, items, 2, why, sizeof(why)), SW_EINVAL);
  assert_non_null(strstr(why, "empty item"));
  assert_int_equal(sw_split_list(blank_mid, items, 2, why, sizeof(why)),
                   SW_EINVAL);
  assert_int_equal(sw_split_list(trailing, items, 2, why, sizeof(why)),
                   SW_EINVAL);
  assert_int_equal(sw_split_list(leading, items, 2, why, sizeof(why)),
                   SW_EINVAL);
  assert_int_equal(sw_split_list(comma, items, 2, why, sizeof(why)), SW_EINVAL);
  assert_int_equal(sw_split_list(many, items, 2, why, sizeof(why)), SW_EINVAL);
  assert_non_null(strstr(why, "more than 2 items"));
}

/* ---- formatting and helpers ---------------------------------------------- */

typedef struct {
  uint64_t ms;
  const char *text;
} fmt_t;

static void format_duration(void **state) {
  static const fmt_t cases[] = {
      {0, "0s"},
      {1, "1ms"},
      {250, "250ms"},
      {1000, "1s"},
      {1500, "1s 500ms"},
      {60000, "1min"},
      {90000, "1min 30s"},
      {3600000, "1h"},
      {3723004, "1h 2min 3s 4ms"},
      {86400001, "1d 1ms"},
      {SW_DURATION_MAX_MS, "30d"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[64];
    uint64_t back = 0;

    assert_ptr_equal(sw_format_duration(cases[i].ms, buf, sizeof(buf)), buf);
    if (strcmp(buf, cases[i].text) != 0)
      fail_msg("format %llu: got \"%s\", want \"%s\"",
               (unsigned long long)cases[i].ms, buf, cases[i].text);
    /* What is printed parses back to the same duration. */
    assert_int_equal(sw_parse_duration(buf, &back, NULL, 0), 0);
    assert_true(back == cases[i].ms);
  }
}

static void format_duration_small_buffer(void **state) {
  char buf[8] = "xxxxxxx";

  (void)state;
  /* len 0: nothing written. */
  sw_format_duration(90000, buf, 0);
  assert_string_equal(buf, "xxxxxxx");
  /* A short buffer stays NUL-terminated and holds the leading units. */
  sw_format_duration(3723004, buf, sizeof(buf));
  assert_true(strlen(buf) < sizeof(buf));
  assert_int_equal(strncmp(buf, "1h 2min", 7), 0);
}

static void streq_and_trim(void **state) {
  char s1[] = "  \t hello world \r\n";
  char s2[] = "";
  char s3[] = " \t ";

  (void)state;
  assert_true(sw_streq_nocase("Hello", "hELLO"));
  assert_true(sw_streq_nocase("", ""));
  assert_false(sw_streq_nocase("abc", "abcd"));
  assert_false(sw_streq_nocase("abcd", "abc"));
  assert_false(sw_streq_nocase("a-b", "a_b"));
  assert_string_equal(sw_trim(s1), "hello world");
  assert_string_equal(sw_trim(s2), "");
  assert_string_equal(sw_trim(s3), "");
}

static void strerror_texts(void **state) {
  (void)state;
  assert_string_equal(sw_strerror(SW_ECONFIG), "invalid configuration");
  assert_string_equal(sw_strerror(SW_EGIVEUP), "restart limit reached");
  assert_string_equal(sw_strerror(SW_EUNDELIVERED),
                      "stop method could not be delivered");
  /* libuv's own codes fall through to libuv. */
  assert_string_equal(sw_strerror(SW_ENOMEM), uv_strerror(UV_ENOMEM));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(duration_ok),
    cmocka_unit_test(duration_bad),
    cmocka_unit_test(duration_null_why),
    cmocka_unit_test(size_ok),
    cmocka_unit_test(size_bad),
    cmocka_unit_test(bool_spellings),
    cmocka_unit_test(int_parse),
    cmocka_unit_test(exit_code_parse),
    cmocka_unit_test(list_split),
    cmocka_unit_test(list_errors),
    cmocka_unit_test(format_duration),
    cmocka_unit_test(format_duration_small_buffer),
    cmocka_unit_test(streq_and_trim),
    cmocka_unit_test(strerror_texts),
};

const sw_test_group_t sw_group_value = SW_GROUP("value", tests);
