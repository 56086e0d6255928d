/* SPDX-License-Identifier: MIT */
/* A growable string with a latched allocation failure. */
#include "core/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grow(sw_sbuf_t *b, size_t extra) {
  size_t cap;
  char *p;

  if (b->failed) return false;
  if (b->len + extra + 1 <= b->cap) return true;
  cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  p = realloc(b->p, cap);
  if (p == NULL) {
    b->failed = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void sw_sbuf_put(sw_sbuf_t *b, const char *s, size_t n) {
  if (!grow(b, n)) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void sw_sbuf_puts(sw_sbuf_t *b, const char *s) {
  sw_sbuf_put(b, s, strlen(s));
}

void sw_sbuf_putc_n(sw_sbuf_t *b, char c, size_t n) {
  if (!grow(b, n)) return;
  memset(b->p + b->len, c, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void sw_sbuf_printf(sw_sbuf_t *b, const char *fmt, ...) {
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !grow(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

bool sw_sbuf_failed(const sw_sbuf_t *b) {
  return b->failed;
}

char *sw_sbuf_take(sw_sbuf_t *b) {
  char *p;

  if (!b->failed && b->p == NULL) grow(b, 0);
  if (b->failed) {
    sw_sbuf_free(b);
    return NULL;
  }
  b->p[b->len] = '\0';
  p = b->p;
  b->p = NULL;
  b->len = b->cap = 0;
  return p;
}

void sw_sbuf_free(sw_sbuf_t *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = false;
}
