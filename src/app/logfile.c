/* SPDX-License-Identifier: MIT */
/* Size-rotated, line-aligned log files over libuv's synchronous uv_fs_*. */
#include "app/logfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/log.h"
#include "core/err.h"

/* Report through the wrapper log, except for the wrapper log itself,
 * which would recurse: that one reports on stderr. */
static void report(sw_logfile_t *f, const char *fmt, ...) SW_PRINTF(2, 3);
static void report(sw_logfile_t *f, const char *fmt, ...) {
  char msg[1024];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (f->quiet)
    fprintf(stderr, "svcwrap: %s\n", msg);
  else
    sw_log_warnx("%s", msg);
}

char *sw_logfile_rotated_path(const char *path, unsigned n) {
  const char *slash = strrchr(path, '/');
  const char *bslash = strrchr(path, '\\');
  const char *base = slash > bslash ? slash : bslash;
  const char *dot = strrchr(base ? base : path, '.');
  size_t len = strlen(path) + 16;
  char *out = malloc(len);

  if (out == NULL) return NULL;
  if (dot == NULL || dot == (base ? base + 1 : path))
    snprintf(out, len, "%s.%u", path, n);
  else
    snprintf(out, len, "%.*s.%u%s", (int)(dot - path), path, n, dot);
  return out;
}

static bool exists(const char *path) {
  uv_fs_t req;
  int rc = uv_fs_stat(NULL, &req, path, NULL);

  uv_fs_req_cleanup(&req);
  return rc == 0;
}

int sw_logfile_init(sw_logfile_t *f, const char *path, uint64_t max_size,
                    unsigned keep) {
  unsigned n;

  memset(f, 0, sizeof(*f));
  f->fd = -1;
  f->max_size = max_size;
  f->keep = keep;
  f->path = strdup(path);
  if (f->path == NULL) return SW_ENOMEM;
  /* Count the numbered files an earlier run left, so rotation renames
   * only what exists. */
  for (n = 1; n <= keep; n++) {
    char *p = sw_logfile_rotated_path(path, n);
    bool there = p != NULL && exists(p);

    free(p);
    if (!there) break;
    f->rotated = n;
  }
  return 0;
}

static int open_file(sw_logfile_t *f) {
  uv_fs_t req;
  int fd;

  fd = uv_fs_open(NULL, &req, f->path,
                  UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_APPEND, 0644, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) return fd;
  f->fd = fd;
  if (uv_fs_fstat(NULL, &req, fd, NULL) == 0)
    f->size = req.statbuf.st_size;
  else
    f->size = 0;
  uv_fs_req_cleanup(&req);
  return 0;
}

static void close_file(sw_logfile_t *f) {
  uv_fs_t req;

  if (f->fd < 0) return;
  uv_fs_close(NULL, &req, f->fd, NULL);
  uv_fs_req_cleanup(&req);
  f->fd = -1;
}

static int rename_file(const char *from, const char *to) {
  uv_fs_t req;
  int rc = uv_fs_rename(NULL, &req, from, to, NULL);

  uv_fs_req_cleanup(&req);
  return rc;
}

static void unlink_file(const char *path) {
  uv_fs_t req;

  uv_fs_unlink(NULL, &req, path, NULL);
  uv_fs_req_cleanup(&req);
}

/* Shift the numbered files up by one and make the current file number 1.
 * Returns 0, or a libuv error (then the current file stays in use). */
static int shift(sw_logfile_t *f) {
  unsigned n = f->rotated < f->keep ? f->rotated : f->keep;
  int rc;

  close_file(f);
  if (f->keep == 0) {
    unlink_file(f->path);
    return 0;
  }
  if (f->rotated >= f->keep) {
    char *oldest = sw_logfile_rotated_path(f->path, f->keep);

    if (oldest != NULL) unlink_file(oldest);
    free(oldest);
    n = f->keep - 1;
  }
  for (; n >= 1; n--) {
    char *from = sw_logfile_rotated_path(f->path, n);
    char *to = sw_logfile_rotated_path(f->path, n + 1);

    rc = from && to ? rename_file(from, to) : SW_ENOMEM;
    free(from);
    free(to);
    if (rc != 0) return rc;
  }
  {
    char *first = sw_logfile_rotated_path(f->path, 1);

    rc = first ? rename_file(f->path, first) : SW_ENOMEM;
    free(first);
  }
  if (rc != 0) return rc;
  if (f->rotated < f->keep) f->rotated++;
  return 0;
}

void sw_logfile_rotate(sw_logfile_t *f) {
  int rc;

  if (f->fd < 0 && open_file(f) != 0) return;
  if (f->size == 0) return;
  rc = shift(f);
  if (rc != 0)
    report(f, "rotate %s: %s (it keeps growing until rotation works)", f->path,
           uv_strerror(rc));
  f->size = 0;
}

static void drop(sw_logfile_t *f, size_t len, int err) {
  f->dropped += len;
  f->incident += len;
  if (!f->failing) {
    f->failing = true;
    report(f, "write %s: %s; dropping output until it can be written", f->path,
           uv_strerror(err));
  }
}

/* The longest prefix of buf[0..len) made of whole lines and at most room
 * bytes long; 0 if even the first line is longer. */
static size_t whole_lines_within(const char *buf, size_t len, uint64_t room) {
  size_t n = len < room ? len : (size_t)room;

  while (n > 0 && buf[n - 1] != '\n')
    n--;
  return n;
}

/* Write all of buf; returns 0 or a libuv error. */
static int write_all(sw_logfile_t *f, const char *buf, size_t len) {
  uv_fs_t req;
  uv_buf_t b;
  int rc;

  while (len > 0) {
    b = uv_buf_init((char *)buf, (unsigned)(len > 1u << 30 ? 1u << 30 : len));
    rc = uv_fs_write(NULL, &req, f->fd, &b, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (rc <= 0) return rc < 0 ? rc : UV_EIO;
    f->size += (uint64_t)rc;
    buf += rc;
    len -= (size_t)rc;
  }
  return 0;
}

void sw_logfile_write(sw_logfile_t *f, const char *buf, size_t len) {
  bool can_rotate = true;
  int rc;

  while (len > 0) {
    size_t n = len;

    if (f->fd < 0 && (rc = open_file(f)) != 0) {
      drop(f, len, rc);
      return;
    }
    if (can_rotate && f->size + len > f->max_size) {
      /* The whole lines that still fit go here; then the file rotates,
       * so a line never straddles two files. A line longer than max_size
       * on its own goes whole into a fresh file. */
      n = whole_lines_within(
          buf, len,
          f->max_size - (f->size < f->max_size ? f->size : f->max_size));
      if (n == 0 && f->size > 0) {
        rc = shift(f);
        if (rc != 0) {
          report(f, "rotate %s: %s (it keeps growing until rotation works)",
                 f->path, uv_strerror(rc));
          can_rotate = false;
        }
        f->size = 0;
        continue;
      }
      if (n == 0) {
        const char *nl = memchr(buf, '\n', len);

        n = nl ? (size_t)(nl - buf) + 1 : len;
      }
    }
    rc = write_all(f, buf, n);
    if (rc != 0) {
      drop(f, len, rc);
      /* Reopen next time: the file may have been deleted or the disk
       * replaced under us. */
      close_file(f);
      return;
    }
    buf += n;
    len -= n;
  }
  if (f->failing) {
    f->failing = false;
    report(f, "write %s works again; %llu bytes were dropped", f->path,
           (unsigned long long)f->incident);
    f->incident = 0;
  }
}

void sw_logfile_close(sw_logfile_t *f) {
  close_file(f);
  free(f->path);
  f->path = NULL;
}
