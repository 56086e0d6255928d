/* SPDX-License-Identifier: MIT */
/*
 * The child's output on its way to disk: bytes -> whole lines (output.c)
 * -> optional ISO-8601 time stamp -> the stdout and stderr log files (one
 * file when both name the same path). The last lines are kept in a small
 * ring for crash context (kept here, on the loop side). The files are
 * written by the log writer thread (logwriter.h): this module only queues.
 * Runs on: loop thread.
 */
#ifndef SW_APP_CAPTURE_H
#define SW_APP_CAPTURE_H

#include <stdbool.h>

#include "app/logfile.h"
#include "app/logwriter.h"
#include "app/output.h"
#include "core/config.h"
#include "core/sbuf.h"

/* Longest line kept in the tail ring; longer ones are cut with a marker. */
#define SW_TAIL_LINE_MAX 1024

typedef struct sw_capture_s sw_capture_t;

typedef struct {
  sw_capture_t *cap;
  int stream; /* 1 stdout, 2 stderr */
} sw_capture_stream_t;

struct sw_capture_s {
  sw_liner_t liner[2];
  sw_capture_stream_t streams[2];
  sw_logfile_t files[2];
  sw_logfile_t *file[2];  /* per stream; both &files[0] when merged */
  sw_logwriter_t *writer; /* borrowed; outlives the capture */
  bool initialised;       /* the files are set up: lines can be queued */
  bool timestamps;
  sw_sbuf_t scratch; /* lines with their time stamps */
  sw_sbuf_t *tail;   /* ring of tail_cap lines */
  unsigned tail_cap, tail_n, tail_next;
};

/* Set up the files (written through `writer`, borrowed; NULL when it
 * could not be started). Returns 0 or SW_ENOMEM; after a failure the
 * capture is safe to use and close, and drops what it is fed. */
int sw_capture_init(sw_capture_t *c, const sw_config_t *cfg,
                    sw_logwriter_t *writer);
/* Output of the child, any chunking. */
void sw_capture_feed(sw_capture_t *c, int stream, const char *buf, size_t len);
/* The child exited: complete partial lines. */
void sw_capture_flush(sw_capture_t *c);
/* Forget the tail (a new run starts). */
void sw_capture_reset_tail(sw_capture_t *c);
/* Call fn for each kept line, oldest first (no newline). */
void sw_capture_each_tail(const sw_capture_t *c,
                          void (*fn)(void *data, const char *line), void *data);
/* Queue a rotation of the child's files. */
void sw_capture_rotate(sw_capture_t *c);
/* Bytes of the child's output lost (disk full etc.), exact. */
uint64_t sw_capture_dropped(const sw_capture_t *c);
/* Lines longer than SW_LINE_MAX, written in marked pieces. */
uint64_t sw_capture_split_lines(const sw_capture_t *c);
/* The writer's queue is full: stop reading the child until it drains. */
bool sw_capture_full(const sw_capture_t *c);
/* Complete partial lines, wait until all is written, close the files. */
void sw_capture_close(sw_capture_t *c);

#endif
