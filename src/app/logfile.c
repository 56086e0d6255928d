/* SPDX-License-Identifier: MIT */
/*
 * Size-rotated, line-aligned log files over libuv's synchronous uv_fs_*.
 * No logging from here: problems go to the owner's report function (this
 * file runs on the log writer thread, where the wrapper log is not).
 */
#include "app/logfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/err.h"

static int real_write(void *ctx, uv_file fd, const char *buf, size_t len) {
  uv_fs_t req;
  uv_buf_t b;
  int rc;

  (void)ctx;
  b = uv_buf_init((char *)buf, (unsigned)(len > 1u << 30 ? 1u << 30 : len));
  rc = uv_fs_write(NULL, &req, fd, &b, 1, -1, NULL);
  uv_fs_req_cleanup(&req);
  return rc;
}

static int real_rename(void *ctx, const char *from, const char *to) {
  uv_fs_t req;
  int rc;

  (void)ctx;
  rc = uv_fs_rename(NULL, &req, from, to, NULL);
  uv_fs_req_cleanup(&req);
  return rc;
}

static int real_unlink(void *ctx, const char *path) {
  uv_fs_t req;
  int rc;

  (void)ctx;
  rc = uv_fs_unlink(NULL, &req, path, NULL);
  uv_fs_req_cleanup(&req);
  return rc;
}

const sw_logfile_ops_t sw_logfile_real_ops = {real_write, real_rename,
                                              real_unlink, NULL};

static void report(sw_logfile_t *f, bool warn, const char *fmt, ...)
    SW_PRINTF(3, 4);
static void report(sw_logfile_t *f, bool warn, const char *fmt, ...) {
  char msg[1024];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (f->report != NULL)
    f->report(f->report_data, f, warn, msg);
  else
    fprintf(stderr, "svcwrap: %s\n", msg);
}

/* The file name's start in path, and where its extension starts (the
 * last dot, if it is not the first character; else the end). */
static void split_name(const char *path, const char **base, const char **ext) {
  const char *slash = strrchr(path, '/');
  const char *bslash = strrchr(path, '\\');
  const char *sep = slash > bslash ? slash : bslash;
  const char *dot;

  *base = sep ? sep + 1 : path;
  dot = strrchr(*base, '.');
  *ext = dot != NULL && dot != *base ? dot : *base + strlen(*base);
}

char *sw_logfile_rotated_path(const char *path, unsigned n) {
  const char *base, *ext;
  size_t len = strlen(path) + 16;
  char *out = malloc(len);

  if (out == NULL) return NULL;
  split_name(path, &base, &ext);
  snprintf(out, len, "%.*s.%u%s", (int)(ext - path), path, n, ext);
  return out;
}

static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);

  if (p == NULL) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static bool exists(const char *path) {
  uv_fs_t req;
  int rc = uv_fs_stat(NULL, &req, path, NULL);

  uv_fs_req_cleanup(&req);
  return rc == 0;
}

/* If name is "<stem>.<n><ext>" (n decimal, no leading zero, n > 0),
 * return n; else 0. */
static unsigned long numbered(const char *name, const char *stem,
                              size_t stem_len, const char *ext) {
  size_t ext_len = strlen(ext), len = strlen(name), i;
  unsigned long n = 0;

  if (len < stem_len + 2 + ext_len || memcmp(name, stem, stem_len) != 0 ||
      name[stem_len] != '.' || strcmp(name + len - ext_len, ext) != 0)
    return 0;
  if (name[stem_len + 1] == '0') return 0;
  for (i = stem_len + 1; i < len - ext_len; i++) {
    if (name[i] < '0' || name[i] > '9' || n > 100000000ul) return 0;
    n = n * 10 + (unsigned long)(name[i] - '0');
  }
  return n;
}

/* Remove "<stem>.<n><ext>" for n > keep in the file's folder. */
static void prune(sw_logfile_t *f) {
  const char *base, *ext;
  char *dir, *stem, *full;
  size_t dir_len, stem_len;
  uv_fs_t req;
  uv_dirent_t ent;
  int rc;

  split_name(f->path, &base, &ext);
  dir_len = (size_t)(base - f->path);
  stem_len = (size_t)(ext - base);
  dir = dir_len > 0 ? dup_n(f->path, dir_len) : dup_n(".", 1);
  stem = dup_n(base, stem_len);
  if (dir == NULL || stem == NULL) goto out;
  rc = uv_fs_scandir(NULL, &req, dir, 0, NULL);
  if (rc < 0) {
    /* A folder that does not exist yet holds nothing to remove. */
    if (rc != UV_ENOENT)
      report(f, true, "list %s for old log files: %s", dir, uv_strerror(rc));
    uv_fs_req_cleanup(&req);
    goto out;
  }
  while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
    unsigned long n = numbered(ent.name, stem, stem_len, ext);
    size_t len;

    if (n <= f->keep || ent.type == UV_DIRENT_DIR) continue;
    len = dir_len + strlen(ent.name) + 1;
    full = malloc(len);
    if (full == NULL) break;
    snprintf(full, len, "%.*s%s", (int)dir_len, f->path, ent.name);
    rc = f->ops->unlink(f->ops->ctx, full);
    if (rc == 0)
      report(f, false, "removed %s (beyond keep = %u)", full, f->keep);
    else if (rc != UV_ENOENT)
      report(f, true, "remove %s (beyond keep = %u): %s", full, f->keep,
             uv_strerror(rc));
    free(full);
  }
  uv_fs_req_cleanup(&req);
out:
  free(dir);
  free(stem);
}

int sw_logfile_init(sw_logfile_t *f, const char *path, uint64_t max_size,
                    unsigned keep, sw_logfile_report_fn *report_fn,
                    void *report_data) {
  memset(f, 0, sizeof(*f));
  f->fd = -1;
  f->max_size = max_size;
  f->keep = keep;
  f->ops = &sw_logfile_real_ops;
  f->report = report_fn;
  f->report_data = report_data;
  f->path = strdup(path);
  if (f->path == NULL) return SW_ENOMEM;
  prune(f);
  return 0;
}

static int open_file(sw_logfile_t *f) {
  uv_fs_t req;
  int fd;

  fd = uv_fs_open(NULL, &req, f->path,
                  UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_APPEND, 0640, NULL);
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

static int rename_numbered(sw_logfile_t *f, unsigned from, unsigned to) {
  char *a = from ? sw_logfile_rotated_path(f->path, from) : f->path;
  char *b = sw_logfile_rotated_path(f->path, to);
  int rc = a && b ? f->ops->rename(f->ops->ctx, a, b) : SW_ENOMEM;

  if (rc != 0 && rc != UV_ENOENT && from != 0)
    report(f, true,
           "rotate: rename %s to %s: %s; it stays, and is tried again at the "
           "next rotation",
           a, b, uv_strerror(rc));
  if (from) free(a);
  free(b);
  return rc;
}

static bool numbered_exists(sw_logfile_t *f, unsigned n) {
  char *p = sw_logfile_rotated_path(f->path, n);
  bool there = p != NULL && exists(p);

  free(p);
  return there;
}

/* Free a slot at or below top by deleting the oldest numbered file there
 * that can be deleted. Returns the slot, or 0 if none could be freed. */
static unsigned free_slot_at_or_below(sw_logfile_t *f, unsigned top) {
  unsigned k;

  for (k = top; k >= 1; k--) {
    char *p = sw_logfile_rotated_path(f->path, k);
    int rc = p ? f->ops->unlink(f->ops->ctx, p) : SW_ENOMEM;

    if (rc != 0 && rc != UV_ENOENT)
      report(f, true, "rotate: remove %s: %s", p ? p : "?", uv_strerror(rc));
    free(p);
    if (rc == 0 || rc == UV_ENOENT) return k;
  }
  return 0;
}

/*
 * Make the current file number 1: move the numbered files below the
 * lowest free slot up by one (deleting the oldest when every slot is
 * taken), stepping over any that cannot be moved (see the header).
 * Returns 0, or a libuv error when the current file could not be renamed
 * (it stays in use).
 */
static int shift(sw_logfile_t *f) {
  unsigned slot = 0, j;
  int rc;

  close_file(f);
  if (f->keep == 0) {
    rc = f->ops->unlink(f->ops->ctx, f->path);
    return rc == UV_ENOENT ? 0 : rc;
  }
  for (j = 1; j <= f->keep && slot == 0; j++)
    if (!numbered_exists(f, j)) slot = j;
  if (slot == 0) slot = free_slot_at_or_below(f, f->keep);
  if (slot == 0) return UV_EBUSY;
  for (j = slot - 1; j >= 1; j--) {
    rc = rename_numbered(f, j, j + 1);
    if (rc == 0 || rc == UV_ENOENT) continue;
    /* File j stays; the files newer than it need a slot below it. */
    slot = free_slot_at_or_below(f, j - 1);
    if (slot == 0) return rc;
    j = slot;
  }
  return rename_numbered(f, 0, 1);
}

static uint64_t mono_ms(void) {
  return uv_hrtime() / 1000000;
}

/* Rotate now. Returns true if it did (the next write opens a new file). */
static bool rotate_now(sw_logfile_t *f) {
  int rc = shift(f);

  if (rc != 0) {
    if (!f->stuck)
      report(f, true,
             "rotate %s: %s; it keeps growing, and renaming it is tried "
             "again every %dms",
             f->path, uv_strerror(rc), SW_LOGFILE_RETRY_MS);
    f->stuck = true;
    f->retry_ms = mono_ms() + SW_LOGFILE_RETRY_MS;
    return false;
  }
  if (f->stuck) {
    f->stuck = false;
    report(f, true, "rotate %s works again", f->path);
  }
  f->size = 0;
  return true;
}

static bool may_rotate(const sw_logfile_t *f) {
  return !f->stuck || mono_ms() >= f->retry_ms;
}

void sw_logfile_rotate(sw_logfile_t *f) {
  if (f->fd < 0 && open_file(f) != 0) return;
  if (f->size == 0) return;
  rotate_now(f);
}

static void drop(sw_logfile_t *f, size_t len, int err) {
  f->dropped += len;
  f->incident += len;
  if (!f->failing) {
    f->failing = true;
    report(f, true, "write %s: %s; dropping output until it can be written",
           f->path, uv_strerror(err));
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

/*
 * Write buf[0..len) (whole lines). Returns 0, or a libuv error; either
 * way *kept says how many bytes of buf are now in the file, always a
 * whole number of lines: a write that stopped inside a line (a full disk
 * takes what fits) is cut back with ftruncate, so the next line is not
 * glued to a torn one. If even that fails, the piece stays (it counts as
 * kept) and the next write starts with a newline.
 */
static int write_lines(sw_logfile_t *f, const char *buf, size_t len,
                       size_t *kept) {
  uint64_t start = f->size;
  size_t done = 0, whole;
  uv_fs_t req;
  int rc = 0, trc;

  while (done < len) {
    rc = f->ops->write(f->ops->ctx, f->fd, buf + done, len - done);
    if (rc <= 0) break;
    done += (size_t)rc;
    f->size += (uint64_t)rc;
    rc = 0;
  }
  *kept = done;
  if (done == len) return 0;
  if (rc == 0) rc = UV_EIO; /* a write of 0 bytes: no progress */
  whole = done;
  while (whole > 0 && buf[whole - 1] != '\n')
    whole--;
  if (whole == done) return rc;
  trc = uv_fs_ftruncate(NULL, &req, f->fd, (int64_t)(start + whole), NULL);
  uv_fs_req_cleanup(&req);
  if (trc == 0) {
    f->size = start + whole;
    *kept = whole;
  } else {
    report(f, true, "cut the torn line off %s: %s", f->path, uv_strerror(trc));
    f->torn = true;
  }
  return rc;
}

void sw_logfile_write(sw_logfile_t *f, const char *buf, size_t len) {
  size_t kept;
  int rc;

  while (len > 0) {
    size_t n = len;

    if (f->fd < 0 && (rc = open_file(f)) != 0) {
      drop(f, len, rc);
      return;
    }
    if (f->torn) {
      if (write_lines(f, "\n", 1, &kept) != 0) {
        drop(f, len, UV_EIO);
        close_file(f);
        return;
      }
      f->torn = false;
    }
    if (f->size + len > f->max_size && may_rotate(f)) {
      /* The whole lines that still fit go here; then the file rotates,
       * so a line never straddles two files. A line longer than max_size
       * on its own goes whole into a fresh file. */
      n = whole_lines_within(
          buf, len,
          f->max_size - (f->size < f->max_size ? f->size : f->max_size));
      if (n == 0 && f->size > 0) {
        if (rotate_now(f)) continue;
        n = len; /* stuck: it keeps growing until renaming works */
      } else if (n == 0) {
        const char *nl = memchr(buf, '\n', len);

        n = nl ? (size_t)(nl - buf) + 1 : len;
      }
    }
    if (f->fd < 0 && (rc = open_file(f)) != 0) {
      drop(f, len, rc);
      return;
    }
    rc = write_lines(f, buf, n, &kept);
    if (rc != 0) {
      drop(f, len - kept, rc);
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
    report(f, true, "write %s works again; %llu bytes were dropped", f->path,
           (unsigned long long)f->incident);
    f->incident = 0;
  }
}

void sw_logfile_close(sw_logfile_t *f) {
  close_file(f);
  free(f->path);
  f->path = NULL;
}
