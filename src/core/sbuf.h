/* SPDX-License-Identifier: MIT */
/*
 * A growable NUL-terminated string. Allocation failure is latched: after
 * it, every call is a no-op and sw_sbuf_failed() is true, so a builder can
 * append many pieces and check once at the end.
 */
#ifndef SW_CORE_SBUF_H
#define SW_CORE_SBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"

typedef struct {
  char *p;     /* owned; NULL until the first append */
  size_t len;  /* bytes before the NUL */
  size_t cap;  /* allocated bytes */
  bool failed; /* an allocation failed */
} sw_sbuf_t;

#define SW_SBUF_INIT                                                           \
  { NULL, 0, 0, false }

void sw_sbuf_put(sw_sbuf_t *b, const char *s, size_t n);
void sw_sbuf_puts(sw_sbuf_t *b, const char *s);
void sw_sbuf_putc_n(sw_sbuf_t *b, char c, size_t n);
void sw_sbuf_printf(sw_sbuf_t *b, const char *fmt, ...) SW_PRINTF(2, 3);
bool sw_sbuf_failed(const sw_sbuf_t *b);

/* Hand the string to the caller (who frees it) and reset b. Returns NULL
 * after an allocation failure (and frees what was built). An empty builder
 * gives "". */
char *sw_sbuf_take(sw_sbuf_t *b);
void sw_sbuf_free(sw_sbuf_t *b);

#endif
