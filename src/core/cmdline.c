/* SPDX-License-Identifier: MIT */
/*
 * Windows command-line splitting and quoting. The rules are those of
 * CommandLineToArgvW (see "What's up with the strange treatment of
 * quotation marks and backslashes by CommandLineToArgvW", The Old New
 * Thing, 2010-09-17, and Microsoft's "Parsing C++ command-line arguments"),
 * implemented from their description; tests/unit/test_cmdline.c checks
 * them case by case and by a split(quote(argv)) == argv property test, and
 * tests/integration/test_win_cmdline.py against the real function.
 */
#include "core/cmdline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sbuf.h"
#include "core/value.h"

int sw_argv_push(sw_argv_t *a, const char *s) {
  char **v = realloc(a->v, (size_t)(a->n + 2) * sizeof(*v));

  if (v == NULL) return SW_ENOMEM;
  a->v = v;
  v[a->n] = strdup(s);
  if (v[a->n] == NULL) return SW_ENOMEM;
  a->n++;
  v[a->n] = NULL;
  return 0;
}

void sw_argv_free(sw_argv_t *a) {
  int i;

  for (i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  a->v = NULL;
  a->n = 0;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

/* End the argument being built: push it and clear the builder. */
static int end_arg(sw_argv_t *out, sw_sbuf_t *arg) {
  int rc;

  if (sw_sbuf_failed(arg)) return SW_ENOMEM;
  rc = sw_argv_push(out, arg->p ? arg->p : "");
  arg->len = 0;
  if (arg->p) arg->p[0] = '\0';
  return rc;
}

int sw_argv_split(const char *s, sw_argv_t *out) {
  sw_sbuf_t arg = SW_SBUF_INIT;
  bool in_arg = false;
  bool quoted = false;

  out->n = 0;
  out->v = calloc(1, sizeof(*out->v)); /* an empty, NULL-terminated argv */
  if (out->v == NULL) return SW_ENOMEM;

  while (*s != '\0') {
    if (is_blank(*s) && !quoted) {
      if (in_arg && end_arg(out, &arg) != 0) goto nomem;
      in_arg = false;
      s++;
      continue;
    }
    in_arg = true;
    if (*s == '\\') {
      size_t n = 0;

      while (*s == '\\') {
        n++;
        s++;
      }
      if (*s != '"') {
        /* Backslashes not followed by a quote are literal. */
        sw_sbuf_putc_n(&arg, '\\', n);
        continue;
      }
      sw_sbuf_putc_n(&arg, '\\', n / 2);
      if (n % 2 == 1) {
        /* An escaped quote is literal. A quote run right after it is
         * handled by the next iteration like any other run. */
        sw_sbuf_put(&arg, "\"", 1);
        s++;
        continue;
      }
      /* An even count: the quote below is a real one. */
    }
    if (*s == '"') {
      /* A run of quotes. The count includes the quote that opened the
       * current quoted part, if one is open: every third quote is a
       * literal, and quoting stays open only when the count modulo 3
       * is 1. */
      unsigned q = quoted ? 1 : 0;

      while (*s == '"') {
        if (++q == 3) {
          sw_sbuf_put(&arg, "\"", 1);
          q = 0;
        }
        s++;
      }
      quoted = (q == 1);
      continue;
    }
    sw_sbuf_put(&arg, s, 1);
    s++;
  }
  if (in_arg && end_arg(out, &arg) != 0) goto nomem;
  sw_sbuf_free(&arg);
  return 0;

nomem:
  sw_sbuf_free(&arg);
  sw_argv_free(out);
  return SW_ENOMEM;
}

void sw_argv_quote_append(const char *arg, sw_sbuf_t *b) {
  const char *p;

  if (*arg != '\0' && strpbrk(arg, " \t\n\v\"") == NULL) {
    sw_sbuf_puts(b, arg);
    return;
  }
  sw_sbuf_put(b, "\"", 1);
  for (p = arg;; p++) {
    size_t n = 0;

    while (*p == '\\') {
      n++;
      p++;
    }
    if (*p == '\0') {
      /* Double the backslashes so the closing quote stays a quote. */
      sw_sbuf_putc_n(b, '\\', n * 2);
      break;
    }
    if (*p == '"') {
      sw_sbuf_putc_n(b, '\\', n * 2 + 1);
      sw_sbuf_put(b, "\"", 1);
      continue;
    }
    sw_sbuf_putc_n(b, '\\', n);
    sw_sbuf_put(b, p, 1);
  }
  sw_sbuf_put(b, "\"", 1);
}

int sw_argv_join_command(const char *program, const sw_argv_t *args,
                         char **out) {
  sw_sbuf_t b = SW_SBUF_INIT;
  int i;

  *out = NULL;
  if (strchr(program, '"') != NULL) return SW_EINVAL;
  /* The program name follows other rules (everything up to the next
   * quote), so it is always quoted and never escaped. */
  sw_sbuf_printf(&b, "\"%s\"", program);
  for (i = 0; i < args->n; i++) {
    sw_sbuf_put(&b, " ", 1);
    sw_argv_quote_append(args->v[i], &b);
  }
  *out = sw_sbuf_take(&b);
  return *out ? 0 : SW_ENOMEM;
}

bool sw_is_batch_file(const char *program) {
  size_t n = strlen(program);
  const char *ext = n >= 4 ? program + n - 4 : "";

  return sw_streq_nocase(ext, ".bat") || sw_streq_nocase(ext, ".cmd");
}

char sw_batch_unsafe_char(const char *arg) {
  const char *p = strpbrk(arg, "\"%!&|<>^()\r\n");

  return p != NULL ? *p : '\0';
}
