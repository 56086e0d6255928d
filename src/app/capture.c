/* SPDX-License-Identifier: MIT */
/* Child output capture: time stamps, files, tail ring. */
#include "app/capture.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/err.h"
#include "core/timefmt.h"
#include "os/os.h"

static void keep_tail(sw_capture_t *c, const char *lines, size_t len) {
  const char *end = lines + len, *p = end;
  unsigned want = c->tail_cap, found = 0;
  const char *starts[1000];

  if (want == 0) return;
  /* Only the last tail_cap lines of the chunk can stay in the ring: find
   * them from the end, so the cost does not grow with the chunk. */
  while (p > lines && found < want) {
    const char *s = p - 1; /* p - 1 is a '\n' */

    while (s > lines && s[-1] != '\n')
      s--;
    starts[found++] = s;
    p = s;
  }
  while (found > 0) {
    const char *s = starts[--found];
    const char *e = memchr(s, '\n', (size_t)(end - s));
    size_t n = (size_t)(e - s);
    sw_sbuf_t *slot = &c->tail[c->tail_next];

    if (n > 0 && s[n - 1] == '\r') n--;
    slot->len = 0;
    if (n > SW_TAIL_LINE_MAX) {
      sw_sbuf_put(slot, s, SW_TAIL_LINE_MAX);
      sw_sbuf_puts(slot, " [...]");
    } else {
      sw_sbuf_put(slot, s, n);
    }
    c->tail_next = (c->tail_next + 1) % c->tail_cap;
    if (c->tail_n < c->tail_cap) c->tail_n++;
  }
}

static void on_lines(void *data, const char *lines, size_t len) {
  sw_capture_stream_t *st = data;
  sw_capture_t *c = st->cap;
  sw_logfile_t *f = c->file[st->stream - 1];

  if (!c->initialised) return; /* set-up failed (reported): nowhere to go */
  keep_tail(c, lines, len);
  if (!c->timestamps) {
    sw_logwriter_write(c->writer, f, lines, len);
    return;
  }
  {
    /* One stamp per chunk: its lines arrived together. */
    char ts[SW_TIME_LEN];
    uv_timeval64_t tv;
    const char *p = lines, *end = lines + len;
    size_t tlen;

    if (uv_gettimeofday(&tv) != 0) tv.tv_sec = tv.tv_usec = 0;
    sw_time_format(tv.tv_sec * 1000 + tv.tv_usec / 1000,
                   sw_os_utc_offset_min(tv.tv_sec), 0, ts);
    tlen = strlen(ts);
    ts[tlen++] = ' ';
    c->scratch.len = 0;
    while (p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));

      sw_sbuf_put(&c->scratch, ts, tlen);
      sw_sbuf_put(&c->scratch, p, (size_t)(nl - p) + 1);
      p = nl + 1;
    }
    if (!sw_sbuf_failed(&c->scratch))
      sw_logwriter_write(c->writer, f, c->scratch.p, c->scratch.len);
    else /* without stamps rather than lost */
      sw_logwriter_write(c->writer, f, lines, len);
  }
}

int sw_capture_init(sw_capture_t *c, const sw_config_t *cfg,
                    sw_logwriter_t *writer) {
  int i;

  memset(c, 0, sizeof(*c));
  for (i = 0; i < 2; i++) {
    c->streams[i].cap = c;
    c->streams[i].stream = i + 1;
    sw_liner_init(&c->liner[i], on_lines, &c->streams[i]);
  }
  if (writer == NULL) return SW_ENOMEM;
  c->writer = writer;
  c->timestamps = cfg->log_timestamps;
  if (sw_logfile_init(&c->files[0], cfg->stdout_path, cfg->log_max_size,
                      cfg->log_keep, sw_logwriter_report, writer) != 0)
    return SW_ENOMEM;
  c->file[0] = &c->files[0];
  if (strcmp(cfg->stdout_path, cfg->stderr_path) == 0) {
    c->file[1] = &c->files[0];
  } else {
    if (sw_logfile_init(&c->files[1], cfg->stderr_path, cfg->log_max_size,
                        cfg->log_keep, sw_logwriter_report, writer) != 0)
      return SW_ENOMEM;
    c->file[1] = &c->files[1];
  }
  c->initialised = true;
  c->tail_cap = cfg->tail_lines;
  if (c->tail_cap > 0) {
    c->tail = calloc(c->tail_cap, sizeof(*c->tail));
    if (c->tail == NULL) {
      c->tail_cap = 0;
      return SW_ENOMEM;
    }
  }
  return 0;
}

void sw_capture_feed(sw_capture_t *c, int stream, const char *buf, size_t len) {
  sw_liner_feed(&c->liner[stream == 2], buf, len);
}

void sw_capture_flush(sw_capture_t *c) {
  sw_liner_flush(&c->liner[0]);
  sw_liner_flush(&c->liner[1]);
}

void sw_capture_reset_tail(sw_capture_t *c) {
  c->tail_n = 0;
  c->tail_next = 0;
}

void sw_capture_each_tail(const sw_capture_t *c,
                          void (*fn)(void *data, const char *line),
                          void *data) {
  unsigned i, start = (c->tail_next + c->tail_cap - c->tail_n) %
                      (c->tail_cap ? c->tail_cap : 1);

  for (i = 0; i < c->tail_n; i++) {
    const sw_sbuf_t *s = &c->tail[(start + i) % c->tail_cap];

    fn(data, s->p ? s->p : "");
  }
}

void sw_capture_rotate(sw_capture_t *c) {
  if (!c->initialised) return;
  sw_logwriter_rotate(c->writer, &c->files[0]);
  if (c->file[1] == &c->files[1]) sw_logwriter_rotate(c->writer, &c->files[1]);
}

uint64_t sw_capture_dropped(const sw_capture_t *c) {
  uint64_t n;

  if (!c->initialised) return 0;
  n = sw_logwriter_dropped(c->writer, &c->files[0]);
  if (c->file[1] == &c->files[1])
    n += sw_logwriter_dropped(c->writer, &c->files[1]);
  return n;
}

uint64_t sw_capture_split_lines(const sw_capture_t *c) {
  return c->liner[0].split_lines + c->liner[1].split_lines;
}

bool sw_capture_full(const sw_capture_t *c) {
  return c->initialised && sw_logwriter_full(c->writer);
}

void sw_capture_close(sw_capture_t *c) {
  unsigned i;

  if (c->initialised) {
    sw_capture_flush(c);
    /* The writer is done with the files once what is queued is written. */
    sw_logwriter_sync(c->writer);
  }
  sw_liner_free(&c->liner[0]);
  sw_liner_free(&c->liner[1]);
  if (c->files[0].path != NULL) sw_logfile_close(&c->files[0]);
  if (c->file[1] == &c->files[1]) sw_logfile_close(&c->files[1]);
  for (i = 0; i < c->tail_cap; i++)
    sw_sbuf_free(&c->tail[i]);
  free(c->tail);
  sw_sbuf_free(&c->scratch);
}
