/* SPDX-License-Identifier: MIT */
/* Line alignment of the child's output, with a bounded line buffer. */
#include "app/output.h"

#include <string.h>

void sw_liner_init(sw_liner_t *l, sw_lines_fn *fn, void *data) {
  memset(l, 0, sizeof(*l));
  l->fn = fn;
  l->data = data;
}

static void emit_partial(sw_liner_t *l) {
  if (!sw_sbuf_failed(&l->partial))
    l->fn(l->data, l->partial.p, l->partial.len);
  l->partial.len = 0;
}

/*
 * Add s[0..n) (no newline in it) to the pending line; `ends` says a
 * newline follows. Whenever the pending line would grow past SW_LINE_MAX,
 * the first SW_LINE_MAX bytes go out as a marked piece, so at most
 * SW_LINE_MAX bytes are ever held. A line of exactly SW_LINE_MAX bytes is
 * not split.
 */
static void add_pending(sw_liner_t *l, const char *s, size_t n, bool ends) {
  while (l->partial.len + n > SW_LINE_MAX) {
    size_t take = SW_LINE_MAX - l->partial.len;

    sw_sbuf_put(&l->partial, s, take);
    sw_sbuf_puts(&l->partial, SW_LINE_SPLIT_MARK);
    emit_partial(l);
    if (!l->splitting) {
      l->splitting = true;
      l->split_lines++;
    }
    s += take;
    n -= take;
  }
  sw_sbuf_put(&l->partial, s, n);
  if (ends) {
    sw_sbuf_put(&l->partial, "\n", 1);
    emit_partial(l);
    l->splitting = false;
  }
}

/* The last newline in s[0..n), or NULL. Searched from the end: in output
 * of ordinary lines it is a line's length away. */
static const char *last_newline(const char *s, size_t n) {
  while (n > 0)
    if (s[--n] == '\n') return s + n;
  return NULL;
}

void sw_liner_feed(sw_liner_t *l, const char *buf, size_t len) {
  const char *p = buf, *end = buf + len, *run;

  if (l->partial.len > 0) {
    /* Complete (or extend) the pending line first. */
    const char *nl = memchr(p, '\n', len);

    add_pending(l, p, (size_t)((nl ? nl : end) - p), nl != NULL);
    if (nl == NULL) return;
    p = nl + 1;
  }
  /* Runs of whole lines within the bound go out in one call; a longer
   * line ends the run and goes out in pieces. A line from p within the
   * bound ends within the next SW_LINE_MAX + 1 bytes, so the last newline
   * of that window (found from its end) is a safe step: a chunk of short
   * lines costs a few short backward scans, not a pass over every line.
   * A full window without a newline starts with a line over the bound. */
  run = p;
  while (p < end) {
    size_t window = (size_t)(end - p) < SW_LINE_MAX + 1 ? (size_t)(end - p)
                                                        : SW_LINE_MAX + 1;
    const char *nl = last_newline(p, window);

    if (nl == NULL && window <= SW_LINE_MAX) break; /* a partial line */
    if (nl == NULL) {
      nl = memchr(p + window, '\n', (size_t)(end - p) - window);
      if (p > run) l->fn(l->data, run, (size_t)(p - run));
      add_pending(l, p, (size_t)((nl ? nl : end) - p), nl != NULL);
      if (nl == NULL) return;
      run = nl + 1;
    }
    p = nl + 1;
  }
  if (p > run) l->fn(l->data, run, (size_t)(p - run));
  if (p < end) add_pending(l, p, (size_t)(end - p), false);
}

void sw_liner_flush(sw_liner_t *l) {
  if (l->partial.len == 0) return;
  sw_sbuf_put(&l->partial, "\n", 1);
  emit_partial(l);
  l->splitting = false;
}

void sw_liner_free(sw_liner_t *l) {
  sw_sbuf_free(&l->partial);
}
