/* SPDX-License-Identifier: MIT */
/* Line alignment of the child's output. */
#include "app/output.h"

#include <string.h>

void sw_liner_init(sw_liner_t *l, sw_lines_fn *fn, void *data) {
  memset(l, 0, sizeof(*l));
  l->fn = fn;
  l->data = data;
}

void sw_liner_feed(sw_liner_t *l, const char *buf, size_t len) {
  const char *last = NULL;
  size_t head;

  /* Find the last newline: everything up to it is whole lines. */
  for (head = len; head > 0; head--) {
    if (buf[head - 1] == '\n') {
      last = buf + head - 1;
      break;
    }
  }
  if (last == NULL) {
    sw_sbuf_put(&l->partial, buf, len);
    return;
  }
  head = (size_t)(last - buf) + 1;
  if (l->partial.len > 0) {
    /* Complete the pending line first, then the rest in one piece. */
    const char *nl = memchr(buf, '\n', head);
    size_t first = (size_t)(nl - buf) + 1;

    sw_sbuf_put(&l->partial, buf, first);
    if (!sw_sbuf_failed(&l->partial))
      l->fn(l->data, l->partial.p, l->partial.len);
    l->partial.len = 0;
    buf += first;
    head -= first;
    len -= first;
  }
  if (head > 0) l->fn(l->data, buf, head);
  if (len > head) sw_sbuf_put(&l->partial, buf + head, len - head);
}

void sw_liner_flush(sw_liner_t *l) {
  if (l->partial.len == 0) return;
  sw_sbuf_put(&l->partial, "\n", 1);
  if (!sw_sbuf_failed(&l->partial))
    l->fn(l->data, l->partial.p, l->partial.len);
  l->partial.len = 0;
}

void sw_liner_free(sw_liner_t *l) {
  sw_sbuf_free(&l->partial);
}
