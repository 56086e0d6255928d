/* SPDX-License-Identifier: MIT */
/*
 * core/cmdline.c: CommandLineToArgvW splitting and the matching quoting.
 * Hand-picked cases pin the rules; a property test checks that
 * split(quote(argv)) == argv for many random argv vectors; a differential
 * test compares sw_argv_split() with an independent transcription of
 * Wine's CommandLineToArgvW (dlls/shcore, the loop after the program name)
 * on random command lines.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmdline.h"
#include "core/err.h"
#include "core/sbuf.h"

/* A fixed-seed PRNG (xorshift64*), so failures reproduce. */
static uint64_t rng_state;

static uint32_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Print an argv for failure messages, e.g. ["a b", ""]. */
static void argv_text(char **v, int n, char *buf, size_t len) {
  size_t used = 0;
  int i;

  buf[0] = '\0';
  used += (size_t)snprintf(buf, len, "[");
  for (i = 0; i < n && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", i ? ", " : "",
                             v[i]);
  if (used < len) snprintf(buf + used, len - used, "]");
}

/* Split s and compare with the expected arguments (want[0..n)). */
static void check_split(const char *s, const char *const *want, int n) {
  sw_argv_t a;
  char got[512];
  int i;

  assert_int_equal(sw_argv_split(s, &a), 0);
  assert_non_null(a.v);
  argv_text(a.v, a.n, got, sizeof(got));
  if (a.n != n)
    fail_msg("split <%s>: %d arguments %s, want %d", s, a.n, got, n);
  for (i = 0; i < n; i++)
    if (strcmp(a.v[i], want[i]) != 0)
      fail_msg("split <%s>: argument %d is <%s>, want <%s> (all: %s)", s, i,
               a.v[i], want[i], got);
  assert_null(a.v[a.n]); /* NULL-terminated */
  sw_argv_free(&a);
  assert_null(a.v);
  assert_int_equal(a.n, 0);
}

#define SPLIT(s, ...)                                                          \
  do {                                                                         \
    static const char *const want_[] = {__VA_ARGS__};                          \
    check_split(s, want_, (int)(sizeof(want_) / sizeof(want_[0])));            \
  } while (0)
#define SPLIT_NONE(s) check_split(s, NULL, 0)

static void split_blanks(void **state) {
  (void)state;
  SPLIT_NONE("");
  SPLIT_NONE("   ");
  SPLIT_NONE(" \t \t");
  SPLIT("a b c", "a", "b", "c");
  SPLIT("  a   b  ", "a", "b");
  SPLIT("a\tb", "a", "b");
  SPLIT("a \t b\t", "a", "b");
  SPLIT("a   ", "a"); /* trailing spaces end nothing new */
  /* Only space and tab separate; a newline is part of the argument. */
  SPLIT("a\nb", "a\nb");
  SPLIT("--port 8080", "--port", "8080");
}

static void split_quotes(void **state) {
  (void)state;
  SPLIT("\"a b\" c", "a b", "c");
  SPLIT("\"a\tb\"", "a\tb");
  SPLIT("a\"b c\"d", "ab cd");
  SPLIT("\"a\" \"b", "a", "b");
  SPLIT("--port 8080 \"--data=C:\\My Data\"", "--port", "8080",
        "--data=C:\\My Data");
  /* The empty argument. */
  SPLIT("\"\"", "");
  SPLIT("a \"\" b", "a", "", "b");
  SPLIT("\"\"a", "a");
  /* An unclosed quote runs to the end, blanks included. */
  SPLIT("\"a b", "a b");
  SPLIT("\"a b   ", "a b   ");
  SPLIT("x \"", "x", "");
}

static void split_quote_runs(void **state) {
  (void)state;
  /* Inside quotes "" gives one literal quote and closes quoting. */
  SPLIT("\"a\"\"b\"", "a\"b");
  SPLIT("\"a\"\"b c\"", "a\"b", "c");
  /* A run of three after the opening quote: a literal quote, still open. */
  SPLIT("\"a\"\"\"b c\"", "a\"b c");
  SPLIT("\"a\"\"\"b\"", "a\"b");
  SPLIT("\"\"\"", "\"");
  SPLIT("\"\"\"\"", "\"");
  SPLIT("\"\"\"\"\"\"", "\"\"");
  SPLIT("\"a\"b\" c\"", "ab c");
}

static void split_backslashes(void **state) {
  (void)state;
  /* Backslashes not before a quote are literal. */
  SPLIT("a\\b\\c", "a\\b\\c");
  SPLIT("a\\\\b", "a\\\\b");
  SPLIT("a\\\\", "a\\\\");
  SPLIT("\\\\\\\\", "\\\\\\\\");
  SPLIT("\"a\\b\"", "a\\b");
  SPLIT("C:\\dir\\ x", "C:\\dir\\", "x");
  /* 2n+1 backslashes then a quote: n backslashes and a literal quote. */
  SPLIT("\\\"", "\"");
  SPLIT("a\\\\\\\"b", "a\\\"b");
  SPLIT("\"a\\\"b\"", "a\"b");
  SPLIT("\\\"\\\"", "\"\"");
  SPLIT("\\\"\"", "\""); /* the bare quote after it opens quoting */
  SPLIT("\"a\\\\\\\"\" b", "a\\\"", "b");
  /* 2n backslashes then a quote: n backslashes, the quote is syntax. */
  SPLIT("a\\\\\"b c\"", "a\\b c");
  SPLIT("a\\\\\\\\\"b c\"", "a\\\\b c");
  SPLIT("\"a\\\\\"", "a\\");
  SPLIT("\"\\\\\"", "\\");
  SPLIT("\\\\\"a b\\\\\"", "\\a b\\");
}

static void split_utf8(void **state) {
  (void)state;
  SPLIT("caf\xC3\xA9 \"\xE2\x82\xAC x\"", "caf\xC3\xA9", "\xE2\x82\xAC x");
}

static char *quoted(const char *arg) {
  sw_sbuf_t b = SW_SBUF_INIT;

  sw_argv_quote_append(arg, &b);
  return sw_sbuf_take(&b);
}

#define QUOTE(in, out)                                                         \
  do {                                                                         \
    char *q_ = quoted(in);                                                     \
    assert_non_null(q_);                                                       \
    assert_string_equal(q_, out);                                              \
    free(q_);                                                                  \
  } while (0)

static void quote_cases(void **state) {
  (void)state;
  QUOTE("abc", "abc");
  QUOTE("a\\b", "a\\b");           /* no blank, no quote: as it is */
  QUOTE("C:\\dir\\", "C:\\dir\\"); /* ... even with a trailing backslash */
  QUOTE("", "\"\"");
  QUOTE("a b", "\"a b\"");
  QUOTE("a\tb", "\"a\tb\"");
  QUOTE("a\nb", "\"a\nb\"");
  QUOTE("a\"b", "\"a\\\"b\"");
  QUOTE("\"", "\"\\\"\"");
  QUOTE("a b\\", "\"a b\\\\\"");     /* trailing backslashes doubled */
  QUOTE("a\\\"b", "\"a\\\\\\\"b\""); /* \" -> \\\" */
  QUOTE("a\\b c", "\"a\\b c\"");     /* inner backslashes kept */
  QUOTE("C:\\My Data\\", "\"C:\\My Data\\\\\"");
}

/* split(quote(a1) + " " + quote(a2) ...) == argv, for random argv. */
static void quote_split_property(void **state) {
  /* Heavy in the characters the rules are about. */
  static const char *const alphabet[] = {
      " ",  " ", "\t", "\"", "\"", "\"", "\\", "\\", "\\",
      "\\", "a", "b",  "Z",  "0",  "-",  "=",  ":",  "\xC3\xA9"};
  const int n_alpha = (int)(sizeof(alphabet) / sizeof(alphabet[0]));
  int iter;

  (void)state;
  rng_state = 0x5DEECE66DULL;
  for (iter = 0; iter < 20000; iter++) {
    char args[6][64];
    int nargs = (int)(rng() % 7), i, j;
    sw_sbuf_t line = SW_SBUF_INIT;
    sw_argv_t got;
    char *text;

    for (i = 0; i < nargs; i++) {
      int len = (int)(rng() % 13);
      size_t used = 0;

      args[i][0] = '\0';
      for (j = 0; j < len; j++) {
        const char *piece = alphabet[rng() % (unsigned)n_alpha];

        memcpy(args[i] + used, piece, strlen(piece) + 1);
        used += strlen(piece);
      }
      if (i > 0) sw_sbuf_put(&line, " ", 1);
      sw_argv_quote_append(args[i], &line);
    }
    text = sw_sbuf_take(&line);
    assert_non_null(text);
    assert_int_equal(sw_argv_split(text, &got), 0);
    if (got.n != nargs)
      fail_msg("iteration %d: <%s> split into %d arguments, want %d", iter,
               text, got.n, nargs);
    for (i = 0; i < nargs; i++)
      if (strcmp(got.v[i], args[i]) != 0)
        fail_msg("iteration %d: <%s> argument %d is <%s>, want <%s>", iter,
                 text, i, got.v[i], args[i]);
    sw_argv_free(&got);
    free(text);
  }
}

/*
 * Wine's CommandLineToArgvW after the program name, transcribed: d is the
 * output cursor, bcount the backslashes just copied, qcount the quote
 * state (0 or 1 between runs). Arguments are written NUL-separated into
 * out; returns their number.
 */
static int wine_split(const char *s, char *out, int *lens) {
  char *d = out, *start;
  int qcount = 0, bcount = 0, argc = 0;

  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '\0') return 0;
  start = d;
  while (*s != '\0') {
    if ((*s == ' ' || *s == '\t') && qcount == 0) {
      lens[argc++] = (int)(d - start);
      *d++ = '\0';
      bcount = 0;
      do
        s++;
      while (*s == ' ' || *s == '\t');
      if (*s == '\0') return argc;
      start = d;
    } else if (*s == '\\') {
      *d++ = *s++;
      bcount++;
    } else if (*s == '"') {
      if ((bcount & 1) == 0) {
        d -= bcount / 2;
        qcount++;
      } else {
        d = d - bcount / 2 - 1;
        *d++ = '"';
      }
      s++;
      bcount = 0;
      while (*s == '"') {
        if (++qcount == 3) {
          *d++ = '"';
          qcount = 0;
        }
        s++;
      }
      if (qcount == 2) qcount = 0;
    } else {
      *d++ = *s++;
      bcount = 0;
    }
  }
  lens[argc++] = (int)(d - start);
  *d = '\0';
  return argc;
}

static void split_matches_wine(void **state) {
  static const char alphabet[] = "  \t\"\"\"\\\\\\ab";
  int iter;

  (void)state;
  rng_state = 0x9E3779B97F4A7C15ULL;
  for (iter = 0; iter < 20000; iter++) {
    char line[40], ref[80];
    int lens[40];
    int len = (int)(rng() % 24), i, n;
    const char *r;
    sw_argv_t got;

    for (i = 0; i < len; i++)
      line[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
    line[len] = '\0';
    n = wine_split(line, ref, lens);
    assert_int_equal(sw_argv_split(line, &got), 0);
    if (got.n != n)
      fail_msg("<%s>: %d arguments, Wine gives %d", line, got.n, n);
    for (i = 0, r = ref; i < n; r += lens[i] + 1, i++)
      if (strcmp(got.v[i], r) != 0)
        fail_msg("<%s>: argument %d is <%s>, Wine gives <%s>", line, i,
                 got.v[i], r);
    sw_argv_free(&got);
  }
}

static void join_command(void **state) {
  sw_argv_t a = {NULL, 0};
  char *cmd = (char *)"sentinel";

  (void)state;
  /* No arguments: just the quoted program. */
  assert_int_equal(sw_argv_join_command("C:\\app\\app.exe", &a, &cmd), 0);
  assert_string_equal(cmd, "\"C:\\app\\app.exe\"");
  free(cmd);

  assert_int_equal(sw_argv_push(&a, "--data=C:\\My Data\\"), 0);
  assert_int_equal(sw_argv_push(&a, "plain"), 0);
  assert_int_equal(sw_argv_push(&a, ""), 0);
  assert_int_equal(sw_argv_push(&a, "say \"hi\""), 0);
  assert_int_equal(a.n, 4);
  assert_null(a.v[4]);
  assert_int_equal(
      sw_argv_join_command("C:\\Program Files\\My App\\app.exe", &a, &cmd), 0);
  assert_string_equal(cmd,
                      "\"C:\\Program Files\\My App\\app.exe\" "
                      "\"--data=C:\\My Data\\\\\" plain \"\" "
                      "\"say \\\"hi\\\"\"");
  free(cmd);

  /* A program name with a trailing backslash is not escaped: the program
   * name ends at the next quote whatever precedes it. */
  assert_int_equal(sw_argv_join_command("C:\\dir\\", &a, &cmd), 0);
  assert_int_equal(strncmp(cmd, "\"C:\\dir\\\" ", 10), 0);
  free(cmd);

  cmd = (char *)"sentinel";
  assert_int_equal(sw_argv_join_command("C:\\a\"b.exe", &a, &cmd), SW_EINVAL);
  assert_null(cmd);
  sw_argv_free(&a);
}

/* The arguments of a joined command line split back to the argv. */
static void join_then_split(void **state) {
  static const char *const args[] = {"a b", "", "\\\"", "x\\", "\t"};
  sw_argv_t a = {NULL, 0}, back;
  char *cmd, *rest;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(args) / sizeof(args[0]); i++)
    assert_int_equal(sw_argv_push(&a, args[i]), 0);
  assert_int_equal(sw_argv_join_command("C:\\p.exe", &a, &cmd), 0);
  rest = cmd + strlen("\"C:\\p.exe\"");
  assert_int_equal(sw_argv_split(rest, &back), 0);
  assert_int_equal(back.n, (int)(sizeof(args) / sizeof(args[0])));
  for (i = 0; i < sizeof(args) / sizeof(args[0]); i++)
    assert_string_equal(back.v[i], args[i]);
  sw_argv_free(&back);
  sw_argv_free(&a);
  free(cmd);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(split_blanks),
    cmocka_unit_test(split_quotes),
    cmocka_unit_test(split_quote_runs),
    cmocka_unit_test(split_backslashes),
    cmocka_unit_test(split_utf8),
    cmocka_unit_test(quote_cases),
    cmocka_unit_test(quote_split_property),
    cmocka_unit_test(split_matches_wine),
    cmocka_unit_test(join_command),
    cmocka_unit_test(join_then_split),
};

const sw_test_group_t sw_group_cmdline = SW_GROUP("cmdline", tests);
