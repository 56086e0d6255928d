/* SPDX-License-Identifier: MIT */
/*
 * Line alignment for the child's output: bytes in, whole lines out. A line
 * is never split between two writes; a partial last line is completed with
 * a newline at flush. Memory is bounded: a line longer than
 * SW_LINE_MAX bytes (output without a newline: progress bars, binary
 * dumps) is passed on in pieces of SW_LINE_MAX bytes as it arrives, each
 * but the last ending with SW_LINE_SPLIT_MARK, instead of being held until
 * its newline comes. Runs on: loop thread.
 */
#ifndef SW_APP_OUTPUT_H
#define SW_APP_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

/* The longest line held in memory, newline not counted. */
#define SW_LINE_MAX (64 * 1024)
/* Ends every piece of a split line but the last (the newline included):
 * removing every occurrence from the log gives back the child's bytes. */
#define SW_LINE_SPLIT_MARK " [svcwrap: line continues]\n"

/* Receives whole lines, each ending with '\n' (several per call). */
typedef void sw_lines_fn(void *data, const char *lines, size_t len);

typedef struct {
  sw_sbuf_t partial; /* bytes after the last newline (<= SW_LINE_MAX) */
  sw_lines_fn *fn;
  void *data;
  bool splitting;       /* a piece of the current line was passed on */
  uint64_t split_lines; /* lines passed on in pieces since init */
} sw_liner_t;

void sw_liner_init(sw_liner_t *l, sw_lines_fn *fn, void *data);
/* Pass on the whole lines in buf[0..len) (any chunking); keep the rest. */
void sw_liner_feed(sw_liner_t *l, const char *buf, size_t len);
/* Emit a pending partial line, newline added. */
void sw_liner_flush(sw_liner_t *l);
void sw_liner_free(sw_liner_t *l);

#endif
