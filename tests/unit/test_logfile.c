/* SPDX-License-Identifier: MIT */
/*
 * The log writer side: the bounded line buffer (app/output.c), the
 * rotated log file with its fault-injection seam (app/logfile.c) and the
 * writer thread's queue with back pressure (app/logwriter.c). These tests
 * use real files in a fresh folder under the temporary directory; the
 * seam makes chosen writes short or fail, and chosen renames fail as a
 * held file does.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/log.h"
#include "app/logfile.h"
#include "app/logwriter.h"
#include "app/output.h"
#include "core/sbuf.h"

/* ---- the wrapper log, as logwriter.c sees it: recorded here ---------- */

static sw_sbuf_t logged;

/* The real app/log.c, with this sink (the fake OS keeps stderr quiet). */
static void record_log(void *data, sw_log_level_t level, const char *line,
                       size_t len) {
  (void)data;
  (void)level;
  sw_sbuf_put(&logged, line, len);
  sw_sbuf_put(&logged, "\n", 1);
}

/* ---- helpers ------------------------------------------------------------ */

static char dir[256];
static sw_sbuf_t reports; /* what the log files reported */

static void make_dir(void) {
  const char *tmp = getenv("TMPDIR");

  snprintf(dir, sizeof(dir), "%s/svcwrap-unit-XXXXXX", tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) fail_msg("mkdtemp %s", dir);
}

static void remove_dir(void) {
  uv_fs_t req;
  uv_dirent_t ent;

  if (uv_fs_scandir(NULL, &req, dir, 0, NULL) >= 0) {
    while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
      char p[512];
      uv_fs_t r2;

      snprintf(p, sizeof(p), "%s/%s", dir, ent.name);
      uv_fs_unlink(NULL, &r2, p, NULL);
      uv_fs_req_cleanup(&r2);
    }
  }
  uv_fs_req_cleanup(&req);
  uv_fs_rmdir(NULL, &req, dir, NULL);
  uv_fs_req_cleanup(&req);
}

static char *path_of(const char *name) {
  static char p[4][512];
  static int next;
  char *out = p[next++ % 4];

  snprintf(out, 512, "%s/%s", dir, name);
  return out;
}

/* The file's contents (NUL-terminated, heap) or NULL if it is missing. */
static char *slurp(const char *name) {
  FILE *f = fopen(path_of(name), "rb");
  sw_sbuf_t b = SW_SBUF_INIT;
  char buf[4096];
  size_t n;

  if (f == NULL) return NULL;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    sw_sbuf_put(&b, buf, n);
  fclose(f);
  return b.p ? sw_sbuf_take(&b) : strdup("");
}

static void put_file(const char *name, const char *text) {
  FILE *f = fopen(path_of(name), "wb");

  if (f == NULL) fail_msg("create %s", name);
  fputs(text, f);
  fclose(f);
}

static void expect_file(const char *name, const char *want) {
  char *got = slurp(name);

  if (want == NULL) {
    if (got != NULL) fail_msg("%s exists: <%s>", name, got);
    return;
  }
  if (got == NULL) fail_msg("%s is missing, want <%s>", name, want);
  if (strcmp(got, want) != 0)
    fail_msg("%s is <%s>, want <%s>; reports:\n%s", name, got, want,
             reports.p ? reports.p : "");
  free(got);
}

/* The seam: write number `short_at` (1-based) writes only `short_len`
 * bytes; writes from `fail_from` on fail with ENOSPC; renames from the
 * path `held` fail with EBUSY (as a file held open on Windows). */
typedef struct {
  int writes;
  int short_at;
  size_t short_len;
  int fail_from;
  char held[512];
  /* For the writer test: writes block while `block` is set. */
  uv_mutex_t mu;
  uv_cond_t cond;
  bool block, blocking;
} fault_t;

static int fault_write(void *ctx, uv_file fd, const char *buf, size_t len) {
  fault_t *ft = ctx;

  uv_mutex_lock(&ft->mu);
  while (ft->block) {
    ft->blocking = true;
    uv_cond_broadcast(&ft->cond);
    uv_cond_wait(&ft->cond, &ft->mu);
  }
  ft->blocking = false;
  ft->writes++;
  uv_mutex_unlock(&ft->mu);
  if (ft->fail_from > 0 && ft->writes >= ft->fail_from) return UV_ENOSPC;
  if (ft->writes == ft->short_at && len > ft->short_len) len = ft->short_len;
  return sw_logfile_real_ops.write(NULL, fd, buf, len);
}

static int fault_rename(void *ctx, const char *from, const char *to) {
  fault_t *ft = ctx;

  if (strcmp(from, ft->held) == 0) return UV_EBUSY;
  return sw_logfile_real_ops.rename(NULL, from, to);
}

static int fault_unlink(void *ctx, const char *path) {
  fault_t *ft = ctx;

  if (strcmp(path, ft->held) == 0) return UV_EBUSY;
  return sw_logfile_real_ops.unlink(NULL, path);
}

static fault_t fault;
static const sw_logfile_ops_t fault_ops = {fault_write, fault_rename,
                                           fault_unlink, &fault};

static void record_report(void *data, const sw_logfile_t *f, bool warn,
                          const char *msg) {
  (void)data;
  (void)f;
  sw_sbuf_printf(&reports, "%s %s\n", warn ? "warn" : "note", msg);
}

static int setup(void **state) {
  (void)state;
  make_dir();
  memset(&fault, 0, sizeof(fault));
  uv_mutex_init(&fault.mu);
  uv_cond_init(&fault.cond);
  reports.len = 0;
  logged.len = 0;
  sw_log_set_sink(record_log, NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  sw_log_set_sink(NULL, NULL);
  remove_dir();
  uv_cond_destroy(&fault.cond);
  uv_mutex_destroy(&fault.mu);
  sw_sbuf_free(&reports);
  sw_sbuf_free(&logged);
  return 0;
}

static void open_log(sw_logfile_t *f, uint64_t max_size, unsigned keep) {
  assert_int_equal(sw_logfile_init(f, path_of("x.out.log"), max_size, keep,
                                   record_report, NULL),
                   0);
  f->ops = &fault_ops;
}

/* ---- the bounded line buffer ------------------------------------------- */

typedef struct {
  sw_sbuf_t all;
  size_t calls, longest;
} lines_t;

static void collect(void *data, const char *lines, size_t len) {
  lines_t *r = data;
  const char *p = lines, *end = lines + len;

  r->calls++;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));

    assert_non_null(nl); /* whole lines only */
    if ((size_t)(nl - p) > r->longest) r->longest = (size_t)(nl - p);
    p = nl + 1;
  }
  sw_sbuf_put(&r->all, lines, len);
}

/* Remove every marker: what is left is the input (newline added). */
static char *unmark(const sw_sbuf_t *b, size_t *len) {
  const char *mark = SW_LINE_SPLIT_MARK;
  size_t mlen = strlen(mark), i = 0, o = 0;
  char *out = malloc(b->len + 1);

  assert_non_null(out);
  while (i < b->len) {
    if (b->len - i >= mlen && memcmp(b->p + i, mark, mlen) == 0) {
      i += mlen;
      continue;
    }
    out[o++] = b->p[i++];
  }
  *len = o;
  return out;
}

/* Feed text[0..n) in pieces of `piece` bytes; never more than the bound
 * is held in between. */
static void feed_in_pieces(sw_liner_t *l, const char *text, size_t n,
                           size_t piece) {
  size_t pos = 0;

  while (pos < n) {
    size_t c = piece < n - pos ? piece : n - pos;

    sw_liner_feed(l, text + pos, c);
    pos += c;
    assert_true(l->partial.len <= SW_LINE_MAX + strlen(SW_LINE_SPLIT_MARK));
  }
}

static void liner_bounds_long_lines(void **state) {
  size_t sizes[] = {1, 7, 4096, 65536, 300000};
  size_t n = 3 * SW_LINE_MAX + 123, i, k, len;
  char *text = malloc(n + 1);
  char *back;

  (void)state;
  assert_non_null(text);
  for (i = 0; i < n; i++)
    text[i] = (char)('a' + i % 26);
  text[n] = '\n';
  /* Any chunking gives the same pieces: the bound is on the line, not the
   * read. */
  for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    sw_liner_t l;
    lines_t r;

    memset(&r, 0, sizeof(r));
    sw_liner_init(&l, collect, &r);
    sw_liner_feed(&l, "short\n", 6);
    feed_in_pieces(&l, text, n + 1, sizes[k]);
    sw_liner_feed(&l, "after\n", 6);
    sw_liner_flush(&l);
    assert_int_equal(l.split_lines, 1);
    assert_true(r.longest <= SW_LINE_MAX + strlen(SW_LINE_SPLIT_MARK) - 1);
    back = unmark(&r.all, &len);
    assert_int_equal(len, 6 + n + 1 + 6);
    assert_memory_equal(back, "short\n", 6);
    assert_memory_equal(back + 6, text, n + 1);
    assert_memory_equal(back + 6 + n + 1, "after\n", 6);
    /* Three full pieces with the marker, then the rest. */
    assert_int_equal(r.all.len - len, 3 * strlen(SW_LINE_SPLIT_MARK));
    free(back);
    sw_liner_free(&l);
    sw_sbuf_free(&r.all);
  }
  free(text);
}

/* Lines just under, at and over the bound, mixed with short ones, in one
 * big chunk and in odd pieces: only the lines over the bound are split,
 * and the bytes come back whole. */
static void liner_mixed_lengths_in_one_chunk(void **state) {
  static const size_t lens[] = {0,
                                100,
                                SW_LINE_MAX - 1,
                                3,
                                SW_LINE_MAX,
                                SW_LINE_MAX + 1,
                                1,
                                2 * SW_LINE_MAX + 5,
                                SW_LINE_MAX,
                                0,
                                7};
  size_t sizes[] = {300000, 65537, 4099};
  size_t n = 0, i, k, len, over = 0;
  char *text, *back;

  (void)state;
  for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
    n += lens[i] + 1;
    if (lens[i] > SW_LINE_MAX) over++;
  }
  text = malloc(n);
  assert_non_null(text);
  n = 0;
  for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
    memset(text + n, (int)('a' + i), lens[i]);
    n += lens[i];
    text[n++] = '\n';
  }
  for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    sw_liner_t l;
    lines_t r;

    memset(&r, 0, sizeof(r));
    sw_liner_init(&l, collect, &r);
    feed_in_pieces(&l, text, n, sizes[k]);
    sw_liner_flush(&l);
    assert_int_equal(l.split_lines, over);
    assert_true(r.longest <= SW_LINE_MAX + strlen(SW_LINE_SPLIT_MARK) - 1);
    back = unmark(&r.all, &len);
    assert_int_equal(len, n);
    assert_memory_equal(back, text, n);
    /* 2 * SW_LINE_MAX + 5 makes 2 marked pieces, SW_LINE_MAX + 1 one. */
    assert_int_equal(r.all.len - len, 3 * strlen(SW_LINE_SPLIT_MARK));
    free(back);
    sw_liner_free(&l);
    sw_sbuf_free(&r.all);
  }
  free(text);
}

static void liner_exact_bound_is_not_split(void **state) {
  char *text = malloc(SW_LINE_MAX + 1);
  sw_liner_t l;
  lines_t r;

  (void)state;
  assert_non_null(text);
  memset(text, 'q', SW_LINE_MAX);
  text[SW_LINE_MAX] = '\n';
  memset(&r, 0, sizeof(r));
  sw_liner_init(&l, collect, &r);
  sw_liner_feed(&l, text, SW_LINE_MAX);
  sw_liner_feed(&l, text + SW_LINE_MAX, 1);
  assert_int_equal(l.split_lines, 0);
  assert_int_equal(r.all.len, SW_LINE_MAX + 1);
  /* A partial line at exit is completed, also after pieces. */
  sw_liner_feed(&l, text, SW_LINE_MAX);
  sw_liner_feed(&l, "zz", 2);
  sw_liner_flush(&l);
  assert_int_equal(l.split_lines, 1);
  assert_int_equal(r.all.len,
                   2 * (SW_LINE_MAX + 1) + strlen(SW_LINE_SPLIT_MARK) + 2);
  assert_memory_equal(r.all.p + r.all.len - 3, "zz\n", 3);
  sw_liner_free(&l);
  sw_sbuf_free(&r.all);
  free(text);
}

/* ---- short writes and a full disk --------------------------------------- */

static void short_write_leaves_whole_lines(void **state) {
  sw_logfile_t f;

  (void)state;
  open_log(&f, 1 << 20, 3);
  sw_logfile_write(&f, "one\n", 4);
  /* The 2nd write takes 6 of "two\nthree\n" ("two\nth"), the 3rd fails:
   * "th" must not stay, and 6 bytes ("three\n") are dropped, not 10. */
  fault.short_at = 2;
  fault.short_len = 6;
  fault.fail_from = 3;
  sw_logfile_write(&f, "two\nthree\n", 10);
  expect_file("x.out.log", "one\ntwo\n");
  assert_int_equal(f.dropped, 6);
  assert_int_equal(f.size, 8);
  /* Still full: the whole write is dropped, reported once. */
  sw_logfile_write(&f, "four\n", 5);
  assert_int_equal(f.dropped, 11);
  /* Space again: writing resumes on a line boundary. */
  fault.fail_from = 0;
  sw_logfile_write(&f, "five\n", 5);
  expect_file("x.out.log", "one\ntwo\nfive\n");
  assert_int_equal(f.dropped, 11);
  assert_non_null(strstr(reports.p, "dropping output"));
  assert_null(
      strstr(strstr(reports.p, "dropping output") + 1, "dropping output"));
  assert_non_null(strstr(reports.p, "works again; 11 bytes were dropped"));
  sw_logfile_close(&f);
}

static void failed_write_drops_exactly(void **state) {
  sw_logfile_t f;

  (void)state;
  open_log(&f, 1 << 20, 3);
  /* Nothing at all can be written. */
  fault.fail_from = 1;
  sw_logfile_write(&f, "a\nbb\n", 5);
  assert_int_equal(f.dropped, 5);
  expect_file("x.out.log", "");
  /* A short write that ends on a line boundary keeps those lines. */
  fault.fail_from = 3;
  fault.writes = 0;
  fault.short_at = 2;
  fault.short_len = 2;
  sw_logfile_write(&f, "ok\n", 3);     /* write 1 */
  sw_logfile_write(&f, "c\nddd\n", 6); /* write 2: "c\n", write 3 fails */
  expect_file("x.out.log", "ok\nc\n");
  assert_int_equal(f.dropped, 5 + 4);
  sw_logfile_close(&f);
}

/* ---- rotation ----------------------------------------------------------- */

static void rotation_skips_a_deleted_file(void **state) {
  sw_logfile_t f;

  (void)state;
  put_file("x.out.1.log", "1\n");
  put_file("x.out.2.log", "2\n");
  /* x.out.3.log was deleted by an operator. */
  put_file("x.out.4.log", "4\n");
  open_log(&f, 4, 4);
  sw_logfile_write(&f, "aaa\n", 4);
  sw_logfile_write(&f, "bbb\n", 4); /* rotates: 1,2 move into the gap */
  expect_file("x.out.log", "bbb\n");
  expect_file("x.out.1.log", "aaa\n");
  expect_file("x.out.2.log", "1\n");
  expect_file("x.out.3.log", "2\n");
  expect_file("x.out.4.log", "4\n");
  sw_logfile_write(&f, "ccc\n", 4); /* all taken: the oldest goes */
  expect_file("x.out.log", "ccc\n");
  expect_file("x.out.1.log", "bbb\n");
  expect_file("x.out.2.log", "aaa\n");
  expect_file("x.out.3.log", "1\n");
  expect_file("x.out.4.log", "2\n");
  expect_file("x.out.5.log", NULL);
  assert_null(reports.p == NULL ? NULL : strstr(reports.p, "warn"));
  sw_logfile_close(&f);
}

static void rotation_steps_over_a_held_file(void **state) {
  sw_logfile_t f;
  int i;

  (void)state;
  put_file("x.out.1.log", "1\n");
  put_file("x.out.2.log", "2\n");
  put_file("x.out.3.log", "3\n");
  strcpy(fault.held, path_of("x.out.2.log"));
  open_log(&f, 4, 3);
  sw_logfile_write(&f, "aaa\n", 4);
  /* 3 is deleted (oldest); 2 cannot move, so 1 (the oldest below it) is
   * deleted to free slot 1; the live file becomes 1. */
  sw_logfile_write(&f, "bbb\n", 4);
  expect_file("x.out.log", "bbb\n");
  expect_file("x.out.1.log", "aaa\n");
  expect_file("x.out.2.log", "2\n");
  expect_file("x.out.3.log", NULL);
  assert_non_null(strstr(reports.p, "it stays"));
  /* Rotation never stops, and the live file never grows past max_size. */
  for (i = 0; i < 5; i++) {
    char line[8];

    snprintf(line, sizeof(line), "%03d\n", i);
    sw_logfile_write(&f, line, 4);
    expect_file("x.out.log", line);
  }
  expect_file("x.out.2.log", "2\n");
  /* Released: moved on at the next rotation. */
  fault.held[0] = '\0';
  sw_logfile_write(&f, "zzz\n", 4);
  expect_file("x.out.log", "zzz\n");
  expect_file("x.out.1.log", "004\n");
  expect_file("x.out.2.log", "003\n");
  expect_file("x.out.3.log", "2\n");
  sw_logfile_close(&f);
}

static void live_file_that_cannot_move_keeps_data(void **state) {
  sw_logfile_t f;
  char *got;

  (void)state;
  strcpy(fault.held, path_of("x.out.log"));
  open_log(&f, 4, 2);
  sw_logfile_write(&f, "aaa\n", 4);
  sw_logfile_write(&f, "bbb\n", 4);
  sw_logfile_write(&f, "ccc\n", 4);
  /* Not renamed, not truncated: it grows, reported once. */
  expect_file("x.out.log", "aaa\nbbb\nccc\n");
  assert_true(f.stuck);
  got = strstr(reports.p, "keeps growing");
  assert_non_null(got);
  assert_null(strstr(got + 1, "keeps growing"));
  /* Retried after SW_LOGFILE_RETRY_MS. */
  fault.held[0] = '\0';
  f.retry_ms = 0;
  sw_logfile_write(&f, "ddd\n", 4);
  expect_file("x.out.log", "ddd\n");
  expect_file("x.out.1.log", "aaa\nbbb\nccc\n");
  assert_false(f.stuck);
  assert_non_null(strstr(reports.p, "works again"));
  sw_logfile_close(&f);
}

static void init_removes_files_beyond_keep(void **state) {
  sw_logfile_t f;
  const char *keep[] = {"x.out.log",    "x.out.1.log",     "x.out.2.log",
                        "x.out.03.log", "x.out.3.log.bak", "x.out.log.3",
                        "y.out.3.log",  "x.out.3x.log",    "x.out..log"};
  const char *gone[] = {"x.out.3.log", "x.out.4.log", "x.out.12.log"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
    put_file(keep[i], "k\n");
  for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
    put_file(gone[i], "g\n");
  assert_int_equal(
      sw_logfile_init(&f, path_of("x.out.log"), 100, 2, record_report, NULL),
      0);
  for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
    expect_file(keep[i], "k\n");
  for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
    char want[600];

    expect_file(gone[i], NULL);
    snprintf(want, sizeof(want), "note removed %s (beyond keep = 2)",
             path_of(gone[i]));
    assert_non_null(strstr(reports.p, want));
  }
  sw_logfile_close(&f);
}

/* ---- the writer thread --------------------------------------------------- */

typedef struct {
  int drained;
} drain_t;

static void on_drained(void *data) {
  drain_t *d = data;

  d->drained++;
}

static void idle_noop(uv_idle_t *h) {
  (void)h;
}

static void writer_queue_back_pressure_and_order(void **state) {
  uv_loop_t loop;
  uv_idle_t alive; /* the writer's wake-up does not keep a loop running */
  sw_logwriter_t *w;
  sw_logfile_t f;
  drain_t d = {0};
  char line[101];
  int i;

  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &alive);
  uv_idle_start(&alive, idle_noop);
  assert_int_equal(sw_logwriter_new(&loop, 1000, 300, on_drained, &d, &w), 0);
  assert_int_equal(sw_logfile_init(&f, path_of("x.out.log"), 1 << 20, 3,
                                   sw_logwriter_report, w),
                   0);
  f.ops = &fault_ops;
  memset(line, 'x', 99);
  line[99] = '\n';
  line[100] = '\0';
  /* The disk stalls: the writer blocks in its first write. */
  uv_mutex_lock(&fault.mu);
  fault.block = true;
  uv_mutex_unlock(&fault.mu);
  sw_logwriter_write(w, &f, line, 100);
  uv_mutex_lock(&fault.mu);
  while (!fault.blocking)
    uv_cond_wait(&fault.cond, &fault.mu);
  uv_mutex_unlock(&fault.mu);
  /* Queueing never blocks; full at 1000 bytes queued (the one being
   * written counts until it is written). */
  for (i = 0; i < 8; i++) {
    line[0] = (char)('0' + i);
    sw_logwriter_write(w, &f, line, 100);
    assert_false(sw_logwriter_full(w));
  }
  sw_logwriter_rotate(w, &f); /* ordered with the writes */
  line[0] = 'R';
  sw_logwriter_write(w, &f, line, 100);
  assert_true(sw_logwriter_full(w));
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(d.drained, 0);
  /* The disk is back: the queue drains, the loop is told once. */
  uv_mutex_lock(&fault.mu);
  fault.block = false;
  uv_cond_broadcast(&fault.cond);
  uv_mutex_unlock(&fault.mu);
  sw_logwriter_sync(w);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(d.drained, 1);
  assert_false(sw_logwriter_full(w));
  {
    char *rot = slurp("x.out.1.log"), *cur = slurp("x.out.log");

    assert_non_null(rot);
    assert_non_null(cur);
    assert_int_equal(strlen(rot), 900);
    assert_int_equal(rot[0], 'x');
    for (i = 0; i < 8; i++)
      assert_int_equal(rot[100 * (i + 1)], '0' + i);
    assert_int_equal(strlen(cur), 100);
    assert_int_equal(cur[0], 'R');
    free(rot);
    free(cur);
  }
  /* A report from the writer thread reaches the wrapper log on the loop
   * thread, not from the writer itself. */
  fault.fail_from = fault.writes + 1;
  sw_logwriter_write(w, &f, line, 100);
  sw_logwriter_sync(w);
  assert_true(logged.p == NULL || strstr(logged.p, "dropping") == NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_non_null(logged.p);
  assert_non_null(strstr(logged.p, "warning: write "));
  assert_int_equal(sw_logwriter_dropped(w, &f), 100);
  /* Free writes what is still queued. */
  fault.fail_from = 0;
  line[0] = 'L';
  sw_logwriter_write(w, &f, line, 100);
  sw_logwriter_detach(w);
  uv_close((uv_handle_t *)&alive, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  sw_logwriter_free(w);
  {
    char *cur = slurp("x.out.log");

    assert_int_equal(strlen(cur), 200);
    assert_int_equal(cur[100], 'L');
    free(cur);
  }
  sw_logfile_close(&f);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(liner_bounds_long_lines),
    cmocka_unit_test(liner_exact_bound_is_not_split),
    cmocka_unit_test(liner_mixed_lengths_in_one_chunk),
    cmocka_unit_test_setup_teardown(short_write_leaves_whole_lines, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(failed_write_drops_exactly, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rotation_skips_a_deleted_file, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rotation_steps_over_a_held_file, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(live_file_that_cannot_move_keeps_data,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(init_removes_files_beyond_keep, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(writer_queue_back_pressure_and_order, setup,
                                    teardown),
};

const sw_test_group_t sw_group_logfile = SW_GROUP("logfile", tests);
