/* SPDX-License-Identifier: MIT */
/*
 * Line alignment for the child's output: bytes in, whole lines out. A line
 * is never split between two writes; a partial last line is completed with
 * a newline at flush. Runs on: loop thread.
 */
#ifndef SW_APP_OUTPUT_H
#define SW_APP_OUTPUT_H

#include <stddef.h>

#include "core/sbuf.h"

/* Receives whole lines, each ending with '\n' (several per call). */
typedef void sw_lines_fn(void *data, const char *lines, size_t len);

typedef struct {
  sw_sbuf_t partial; /* bytes after the last newline */
  sw_lines_fn *fn;
  void *data;
} sw_liner_t;

void sw_liner_init(sw_liner_t *l, sw_lines_fn *fn, void *data);
void sw_liner_feed(sw_liner_t *l, const char *buf, size_t len);
/* Emit a pending partial line, newline added. */
void sw_liner_flush(sw_liner_t *l);
void sw_liner_free(sw_liner_t *l);

#endif
