/* SPDX-License-Identifier: MIT */
/*
 * A size-rotated log file that takes whole lines. Rotation: when the next
 * write would take the file past max_size, it is closed and renamed
 * (name.log -> name.1.log -> ... -> name.<keep>.log, the oldest deleted)
 * and a new one opened, so a write is never split between two files. A
 * write larger than max_size on its own goes whole into a fresh file.
 * Errors (disk full, no permission) never stop the caller: the bytes are
 * counted as dropped, the problem reported once per incident, and writing
 * resumes by itself when it can. Runs on: loop thread (blocking writes to
 * the local file system, which are short).
 */
#ifndef SW_APP_LOGFILE_H
#define SW_APP_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct {
  char *path; /* owned */
  uint64_t max_size;
  unsigned keep;
  uv_file fd;        /* -1 while closed */
  uint64_t size;     /* bytes in the current file */
  unsigned rotated;  /* numbered files that exist (<= keep) */
  uint64_t dropped;  /* bytes lost since the start */
  uint64_t incident; /* bytes lost in the current incident */
  bool failing;      /* inside an incident */
  bool quiet;        /* report problems to stderr only (wrapper log) */
} sw_logfile_t;

/* Set up (no file is opened until the first write). Returns 0 or
 * SW_ENOMEM. */
int sw_logfile_init(sw_logfile_t *f, const char *path, uint64_t max_size,
                    unsigned keep);
/* Write len bytes (whole lines). */
void sw_logfile_write(sw_logfile_t *f, const char *buf, size_t len);
/* Rotate now (if the current file is not empty). */
void sw_logfile_rotate(sw_logfile_t *f);
void sw_logfile_close(sw_logfile_t *f);

/* The path of rotated file n (1 = newest): "dir/name.n.ext". Heap. */
char *sw_logfile_rotated_path(const char *path, unsigned n);

#endif
