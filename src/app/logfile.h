/* SPDX-License-Identifier: MIT */
/*
 * A size-rotated log file that takes whole lines. Rotation: when the next
 * write would take the file past max_size, it is closed and renamed
 * (name.log -> name.1.log -> ... -> name.<keep>.log, the oldest deleted)
 * and a new one opened, so a write is never split between two files. A
 * write larger than max_size on its own goes whole into a fresh file.
 *
 * Rotation does not stop at a file it cannot move. A numbered file that is
 * missing (deleted by an operator) is a free slot: the files below it move
 * up into it and no further. One that cannot be renamed (held open by
 * another program: EBUSY, EACCES, EPERM) stays where it is and is retried
 * at the next rotation; to free a slot for the newer files, the oldest of
 * those below it is deleted instead (retention drops the oldest file it
 * can). Only if the live file itself cannot become name.1.log does it keep
 * growing, and the rename is retried at most every SW_LOGFILE_RETRY_MS:
 * data is never thrown away to make rotation work.
 *
 * Errors (disk full, no permission) never stop the caller: the bytes not
 * written are counted as dropped (exactly), the problem reported once per
 * incident, and writing resumes by itself when it can. Lines in the file
 * are whole or absent: if a write stops part way through a line, the file
 * is cut back to the end of the last whole line.
 *
 * Runs on: one thread at a time (the log writer thread, see logwriter.h;
 * init and close on the loop thread while the writer is not using it).
 */
#ifndef SW_APP_LOGFILE_H
#define SW_APP_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* After the live file could not be renamed, how long until it is tried
 * again (writes go on into it meanwhile). */
#define SW_LOGFILE_RETRY_MS 1000

typedef struct sw_logfile_s sw_logfile_t;

/* The file-system calls the log file makes, replaceable for fault
 * injection in tests. Each returns what the uv_fs_* call it stands for
 * returns: write the number of bytes written (> 0) or a libuv error;
 * rename and unlink 0 or a libuv error. */
typedef struct {
  int (*write)(void *ctx, uv_file fd, const char *buf, size_t len);
  int (*rename)(void *ctx, const char *from, const char *to);
  int (*unlink)(void *ctx, const char *path);
  void *ctx;
} sw_logfile_ops_t;

/* The real file system (uv_fs_write, uv_fs_rename, uv_fs_unlink). */
extern const sw_logfile_ops_t sw_logfile_real_ops;

/* Receives the file's problems (warn) and notes (!warn, e.g. a removed
 * old file), one line each, without a newline; msg is borrowed for the
 * call. Called on the thread that is using the file. */
typedef void sw_logfile_report_fn(void *data, const sw_logfile_t *f, bool warn,
                                  const char *msg);

struct sw_logfile_s {
  char *path; /* owned */
  uint64_t max_size;
  unsigned keep;
  uv_file fd;        /* -1 while closed */
  uint64_t size;     /* bytes in the current file */
  uint64_t dropped;  /* bytes lost since the start */
  uint64_t incident; /* bytes lost in the current incident */
  bool failing;      /* inside a write incident */
  bool torn;         /* a cut-off line could not be removed (see write) */
  bool stuck;        /* the live file could not be renamed */
  uint64_t retry_ms; /* while stuck: no rename before this (uv_hrtime ms) */
  bool quiet;        /* for the report function: this is the wrapper log */
  const sw_logfile_ops_t *ops; /* borrowed; never NULL */
  sw_logfile_report_fn *report;
  void *report_data;
  /* For the log writer, guarded by its mutex: a copy of dropped, and the
   * bytes that could not even be queued (out of memory). */
  uint64_t dropped_shared, queue_dropped;
};

/*
 * Set up (no file is opened until the first write) and remove the old
 * numbered files beyond keep that an earlier run with a higher keep left
 * (exactly "<stem>.<n><ext>" with n > keep, n written without leading
 * zeros; nothing else is touched), reporting each removal. report may be
 * NULL (problems then go to stderr). Returns 0 or SW_ENOMEM.
 */
int sw_logfile_init(sw_logfile_t *f, const char *path, uint64_t max_size,
                    unsigned keep, sw_logfile_report_fn *report,
                    void *report_data);
/* Write len bytes (whole lines). */
void sw_logfile_write(sw_logfile_t *f, const char *buf, size_t len);
/* Rotate now (if the current file is not empty). */
void sw_logfile_rotate(sw_logfile_t *f);
void sw_logfile_close(sw_logfile_t *f);

/* The path of rotated file n (1 = newest): "dir/name.n.ext". Heap. */
char *sw_logfile_rotated_path(const char *path, unsigned n);

#endif
