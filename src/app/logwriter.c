/* SPDX-License-Identifier: MIT */
/*
 * The log writer thread and its queue (uv_thread_t, uv_mutex_t,
 * uv_cond_t; uv_async_t back to the loop). Only the writer thread touches
 * a log file once it is queued; the loop thread only queues, reads the
 * shared counters under the mutex and delivers reports.
 */
#include "app/logwriter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/err.h"

typedef enum { ITEM_WRITE, ITEM_ROTATE } item_kind_t;

/* A write is queued in a buffer of at least this many bytes, and later
 * writes to the same file are appended to it while it waits: when the
 * disk is slower than the child, the writer makes fewer, larger writes. */
#define ITEM_MIN_CAP (256u * 1024)
/* Buffers of ITEM_MIN_CAP are kept for reuse, as many as a full queue
 * holds (the high mark): a fresh one per read costs an mmap, its page
 * faults and a munmap (musl's allocator maps every block this large;
 * glibc's raises its threshold after the first). Once the writer has had
 * nothing to do for SPARE_IDLE_NS it keeps SPARE_IDLE and frees the rest:
 * one wake-up after a burst, then none while idle. */
#define SPARE_IDLE    4
#define SPARE_IDLE_NS 1000000000u

typedef struct item_s {
  struct item_s *next;
  item_kind_t kind;
  sw_logfile_t *file;
  size_t len, cap;
  char data[]; /* len bytes of cap (ITEM_WRITE) */
} item_t;

typedef struct report_s {
  struct report_s *next;
  bool quiet, warn;
  char msg[]; /* NUL-terminated */
} report_t;

struct sw_logwriter_s {
  uv_thread_t thread;
  uv_mutex_t mu;
  uv_cond_t work; /* items queued, or stopping */
  uv_cond_t idle; /* the queue became empty */
  uv_async_t async;
  /* Guarded by mu: */
  item_t *head, *tail;
  size_t queued; /* bytes in the queue */
  bool busy;     /* the writer is doing an item (out of the queue) */
  bool stopping;
  bool attached; /* async may be sent */
  bool want_drain, drained;
  uint64_t done_items; /* items written: progress, for sync_for */
  report_t *reports, *reports_tail;
  item_t *spare; /* reusable ITEM_MIN_CAP buffers, at most spare_max */
  unsigned n_spare, spare_max;
  /* Constant after start: */
  size_t high, low;
  sw_logwriter_drained_fn *on_drained;
  void *data;
};

static void deliver(report_t *r) {
  while (r != NULL) {
    report_t *next = r->next;

    if (r->quiet) {
      sw_log_flush(); /* after the lines logged before it */
      fprintf(stderr, "svcwrap: %s\n", r->msg);
    } else if (r->warn)
      sw_log_warnx("%s", r->msg);
    else
      sw_log_info("%s", r->msg);
    free(r);
    r = next;
  }
}

static void on_async(uv_async_t *a) {
  sw_logwriter_t *w = a->data;
  report_t *r;
  bool drained;

  uv_mutex_lock(&w->mu);
  r = w->reports;
  w->reports = w->reports_tail = NULL;
  drained = w->drained;
  w->drained = false;
  uv_mutex_unlock(&w->mu);
  /* Outside the lock: logging queues the wrapper log's lines. */
  deliver(r);
  if (drained && w->on_drained != NULL) w->on_drained(w->data);
}

/* Call with mu held. */
static void wake_loop(sw_logwriter_t *w) {
  if (w->attached) uv_async_send(&w->async);
}

void sw_logwriter_report(void *data, const sw_logfile_t *f, bool warn,
                         const char *msg) {
  sw_logwriter_t *w = data;
  size_t n = strlen(msg) + 1;
  report_t *r = malloc(sizeof(*r) + n);

  if (r == NULL) {
    fprintf(stderr, "svcwrap: %s\n", msg);
    return;
  }
  r->next = NULL;
  r->quiet = f->quiet;
  r->warn = warn;
  memcpy(r->msg, msg, n);
  uv_mutex_lock(&w->mu);
  if (w->reports_tail)
    w->reports_tail->next = r;
  else
    w->reports = r;
  w->reports_tail = r;
  wake_loop(w);
  uv_mutex_unlock(&w->mu);
}

static void do_item(item_t *it) {
  if (it->kind == ITEM_WRITE)
    sw_logfile_write(it->file, it->data, it->len);
  else
    sw_logfile_rotate(it->file);
}

/* Free spare buffers until `keep` are left. Under w->mu (or alone). */
static void free_spares(sw_logwriter_t *w, unsigned keep) {
  while (w->n_spare > keep) {
    item_t *extra = w->spare;

    w->spare = extra->next;
    w->n_spare--;
    free(extra);
  }
}

static void writer_main(void *arg) {
  sw_logwriter_t *w = arg;

  uv_mutex_lock(&w->mu);
  for (;;) {
    item_t *it;

    while (w->head == NULL && !w->stopping) {
      if (w->n_spare <= SPARE_IDLE) {
        uv_cond_wait(&w->work, &w->mu);
      } else if (uv_cond_timedwait(&w->work, &w->mu, SPARE_IDLE_NS) ==
                     UV_ETIMEDOUT &&
                 w->head == NULL) {
        free_spares(w, SPARE_IDLE);
      }
    }
    if (w->head == NULL) break; /* stopping, and all is written */
    it = w->head;
    w->head = it->next;
    if (w->head == NULL) w->tail = NULL;
    w->busy = true;
    uv_mutex_unlock(&w->mu);

    do_item(it);

    uv_mutex_lock(&w->mu);
    w->busy = false;
    w->done_items++;
    w->queued -= it->len;
    it->file->dropped_shared = it->file->dropped;
    if (it->cap == ITEM_MIN_CAP && w->n_spare < w->spare_max) {
      it->next = w->spare;
      w->spare = it;
      w->n_spare++;
    } else {
      free(it);
    }
    if (w->want_drain && w->queued <= w->low) {
      w->want_drain = false;
      w->drained = true;
      wake_loop(w);
    }
    if (w->head == NULL) uv_cond_broadcast(&w->idle);
  }
  uv_mutex_unlock(&w->mu);
}

int sw_logwriter_new(uv_loop_t *loop, size_t high, size_t low,
                     sw_logwriter_drained_fn *on_drained, void *data,
                     sw_logwriter_t **out) {
  sw_logwriter_t *w = calloc(1, sizeof(*w));
  int rc;

  *out = NULL;
  if (w == NULL) return SW_ENOMEM;
  w->high = high;
  w->low = low < high ? low : high / 2;
  w->spare_max = (unsigned)(high / ITEM_MIN_CAP);
  if (w->spare_max < SPARE_IDLE) w->spare_max = SPARE_IDLE;
  w->on_drained = on_drained;
  w->data = data;
  if ((rc = uv_mutex_init(&w->mu)) != 0) goto fail_mu;
  if ((rc = uv_cond_init(&w->work)) != 0) goto fail_work;
  if ((rc = uv_cond_init(&w->idle)) != 0) goto fail_idle;
  if ((rc = uv_async_init(loop, &w->async, on_async)) != 0) goto fail_async;
  w->async.data = w;
  uv_unref((uv_handle_t *)&w->async);
  w->attached = true;
  if ((rc = uv_thread_create(&w->thread, writer_main, w)) != 0) {
    uv_close((uv_handle_t *)&w->async, NULL);
    /* The handle is inside w: it must not be freed before the loop has
     * finished closing it, so w is left to leak in this rare case. */
    sw_log_error("start the log writer thread: %s", uv_strerror(rc));
    return rc;
  }
  *out = w;
  return 0;

fail_async:
  uv_cond_destroy(&w->idle);
fail_idle:
  uv_cond_destroy(&w->work);
fail_work:
  uv_mutex_destroy(&w->mu);
fail_mu:
  sw_log_error("set up the log writer: %s", uv_strerror(rc));
  free(w);
  return rc;
}

static void push(sw_logwriter_t *w, item_t *it) {
  bool may_wait;

  it->next = NULL;
  uv_mutex_lock(&w->mu);
  /* The writer waits only with an empty queue and nothing in hand (it
   * looks at the queue under the lock before it waits): otherwise it takes
   * this item without being woken. */
  may_wait = w->head == NULL && !w->busy;
  if (w->tail)
    w->tail->next = it;
  else
    w->head = it;
  w->tail = it;
  w->queued += it->len;
  uv_mutex_unlock(&w->mu);
  /* After the unlock: a writer woken while we still held the lock would
   * only block on it again (two futex calls and a switch instead of one). */
  if (may_wait) uv_cond_signal(&w->work);
}

void sw_logwriter_write(sw_logwriter_t *w, sw_logfile_t *f, const char *buf,
                        size_t len) {
  item_t *it;
  size_t cap;

  if (len == 0) return;
  uv_mutex_lock(&w->mu);
  it = w->tail;
  if (it != NULL && it->kind == ITEM_WRITE && it->file == f &&
      it->cap - it->len >= len) {
    /* Still queued (the writer takes items from the head, and only the
     * loop thread adds): append. */
    memcpy(it->data + it->len, buf, len);
    it->len += len;
    w->queued += len;
    uv_mutex_unlock(&w->mu);
    return;
  }
  cap = len < ITEM_MIN_CAP ? ITEM_MIN_CAP : len;
  it = NULL;
  if (cap == ITEM_MIN_CAP && w->spare != NULL) {
    it = w->spare;
    w->spare = it->next;
    w->n_spare--;
  }
  uv_mutex_unlock(&w->mu);
  if (it == NULL) it = malloc(sizeof(*it) + cap);
  if (it == NULL) {
    /* Counted where the writer counts, so status shows it. */
    uv_mutex_lock(&w->mu);
    f->queue_dropped += len;
    uv_mutex_unlock(&w->mu);
    return;
  }
  it->kind = ITEM_WRITE;
  it->file = f;
  it->len = len;
  it->cap = cap;
  memcpy(it->data, buf, len);
  push(w, it);
}

void sw_logwriter_rotate(sw_logwriter_t *w, sw_logfile_t *f) {
  item_t *it = malloc(sizeof(*it));

  if (it == NULL) return;
  it->kind = ITEM_ROTATE;
  it->file = f;
  it->len = it->cap = 0;
  push(w, it);
}

bool sw_logwriter_full(sw_logwriter_t *w) {
  bool full;

  uv_mutex_lock(&w->mu);
  full = w->queued >= w->high;
  if (full) w->want_drain = true;
  uv_mutex_unlock(&w->mu);
  return full;
}

uint64_t sw_logwriter_dropped(sw_logwriter_t *w, const sw_logfile_t *f) {
  uint64_t n;

  uv_mutex_lock(&w->mu);
  n = f->dropped_shared + f->queue_dropped;
  uv_mutex_unlock(&w->mu);
  return n;
}

void sw_logwriter_sync(sw_logwriter_t *w) {
  uv_mutex_lock(&w->mu);
  while (w->head != NULL || w->busy)
    uv_cond_wait(&w->idle, &w->mu);
  uv_mutex_unlock(&w->mu);
}

bool sw_logwriter_sync_for(sw_logwriter_t *w, uint64_t ms,
                           void (*waiting)(void *data), void *data) {
  uint64_t start = uv_hrtime(), deadline = start + ms * 1000000, seen;
  uint64_t last_call = start;
  bool done;

  uv_mutex_lock(&w->mu);
  seen = w->done_items;
  while (w->head != NULL || w->busy) {
    uint64_t now = uv_hrtime();

    /* A slow disk that keeps writing is waited for; only ms without any
     * progress is a stalled one. The writer signals idle only when the
     * queue is empty, so wake up in slices to look at its progress. */
    if (w->done_items != seen) {
      seen = w->done_items;
      deadline = now + ms * 1000000;
    }
    if (now >= deadline ||
        now - start >= (uint64_t)SW_LOGWRITER_SYNC_MAX_MS * 1000000)
      break;
    if (waiting != NULL && now - last_call >= 1000000000) {
      /* Once a second, outside the lock: the caller tells its service
       * manager it is still alive. */
      last_call = now;
      uv_mutex_unlock(&w->mu);
      waiting(data);
      uv_mutex_lock(&w->mu);
      continue;
    }
    uv_cond_timedwait(&w->idle, &w->mu,
                      deadline - now < 100000000 ? deadline - now : 100000000);
  }
  done = w->head == NULL && !w->busy;
  uv_mutex_unlock(&w->mu);
  return done;
}

size_t sw_logwriter_queued(sw_logwriter_t *w) {
  size_t n;

  uv_mutex_lock(&w->mu);
  n = w->queued;
  uv_mutex_unlock(&w->mu);
  return n;
}

void sw_logwriter_detach(sw_logwriter_t *w) {
  bool was;

  if (w == NULL) return;
  uv_mutex_lock(&w->mu);
  was = w->attached;
  w->attached = false;
  uv_mutex_unlock(&w->mu);
  if (!was) return;
  on_async(&w->async); /* what is pending now */
  if (!uv_is_closing((uv_handle_t *)&w->async))
    uv_close((uv_handle_t *)&w->async, NULL);
}

void sw_logwriter_free(sw_logwriter_t *w) {
  report_t *r;

  if (w == NULL) return;
  uv_mutex_lock(&w->mu);
  w->stopping = true;
  uv_cond_signal(&w->work);
  uv_mutex_unlock(&w->mu);
  uv_thread_join(&w->thread);
  r = w->reports;
  w->reports = w->reports_tail = NULL;
  deliver(r);
  free_spares(w, 0);
  uv_cond_destroy(&w->idle);
  uv_cond_destroy(&w->work);
  uv_mutex_destroy(&w->mu);
  free(w);
}
