/* SPDX-License-Identifier: MIT */
/* sd_notify messages: parsed for the wrapper, joined for the client. */
#include "core/notify.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* A decimal unsigned 64-bit number, whole and without overflow. */
static bool parse_u64(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  size_t i;

  if (n == 0 || n > 20) return false;
  for (i = 0; i < n; i++) {
    unsigned d;

    if (s[i] < '0' || s[i] > '9') return false;
    d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static bool key_is(const char *line, size_t klen, const char *key) {
  return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

static bool value_is(const char *v, size_t vlen, const char *want) {
  return strlen(want) == vlen && memcmp(v, want, vlen) == 0;
}

static void bad(sw_notify_msg_t *m, const char *line, size_t len,
                const char *why) {
  if (m->n_bad++ == 0)
    snprintf(m->bad, sizeof(m->bad), "\"%.*s\": %s", (int)(len > 60 ? 60 : len),
             line, why);
}

/* STATUS= text: control characters become spaces (it goes into one log
 * line and a JSON string), cut at SW_NOTIFY_STATUS_MAX - 1 bytes without
 * splitting a UTF-8 sequence. */
static void set_status(sw_notify_msg_t *m, const char *v, size_t n) {
  size_t i;

  if (n > SW_NOTIFY_STATUS_MAX - 1) {
    n = SW_NOTIFY_STATUS_MAX - 1;
    while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
      n--;
  }
  for (i = 0; i < n; i++)
    m->status[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? ' ' : v[i];
  m->status[n] = '\0';
  m->has_status = true;
}

static void parse_line(sw_notify_msg_t *m, const char *line, size_t len) {
  const char *eq = memchr(line, '=', len);
  const char *v;
  size_t klen, vlen;
  uint64_t n;

  if (len == 0) return;
  if (eq == NULL || eq == line) {
    bad(m, line, len, "not KEY=VALUE");
    return;
  }
  klen = (size_t)(eq - line);
  v = eq + 1;
  vlen = len - klen - 1;
  if (key_is(line, klen, "READY")) {
    if (value_is(v, vlen, "1"))
      m->ready = true;
    else
      bad(m, line, len, "READY takes 1");
  } else if (key_is(line, klen, "STOPPING")) {
    if (value_is(v, vlen, "1"))
      m->stopping = true;
    else
      bad(m, line, len, "STOPPING takes 1");
  } else if (key_is(line, klen, "STATUS")) {
    set_status(m, v, vlen);
  } else if (key_is(line, klen, "WATCHDOG")) {
    if (value_is(v, vlen, "1"))
      m->watchdog = true;
    else if (value_is(v, vlen, "trigger"))
      m->watchdog_trigger = true;
    else
      bad(m, line, len, "WATCHDOG takes 1 or trigger");
  } else if (key_is(line, klen, "WATCHDOG_USEC")) {
    if (parse_u64(v, vlen, &n) && n > 0)
      m->watchdog_usec = n;
    else
      bad(m, line, len, "not a positive number of microseconds");
  } else if (key_is(line, klen, "EXTEND_TIMEOUT_USEC")) {
    if (parse_u64(v, vlen, &n)) {
      m->has_extend = true;
      m->extend_usec = n;
    } else {
      bad(m, line, len, "not a number of microseconds");
    }
  } else if (key_is(line, klen, "MAINPID")) {
    if (parse_u64(v, vlen, &n) && n > 0 && n <= 0x7fffffff)
      m->mainpid = (int)n;
    else
      bad(m, line, len, "not a process id");
  }
  /* Anything else is ignored, as systemd ignores what it does not know. */
}

void sw_notify_parse(const char *buf, size_t len, sw_notify_msg_t *out) {
  size_t i = 0;

  memset(out, 0, sizeof(*out));
  while (i < len) {
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;

    /* A Windows client writing text may end lines with CRLF. */
    parse_line(out, buf + i, n > 0 && buf[i + n - 1] == '\r' ? n - 1 : n);
    i += n + 1;
  }
}

int sw_notify_join(const char *const *args, unsigned n, sw_sbuf_t *out,
                   char *why, size_t whylen) {
  unsigned i;

  for (i = 0; i < n; i++) {
    const char *a = args[i], *eq = strchr(a, '=');
    const char *p;

    if (eq == NULL || eq == a) {
      snprintf(why, whylen, "\"%s\" is not KEY=VALUE (e.g. READY=1)", a);
      return SW_EINVAL;
    }
    for (p = a; p < eq; p++) {
      if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '_')) {
        snprintf(why, whylen,
                 "\"%s\": the key may have only A-Z, 0-9 and _ (e.g. READY=1)",
                 a);
        return SW_EINVAL;
      }
    }
    if (strchr(a, '\n') != NULL || strchr(a, '\r') != NULL) {
      snprintf(why, whylen, "\"%.*s\": a value may not have a line break",
               (int)(eq - a), a);
      return SW_EINVAL;
    }
    if (i > 0) sw_sbuf_puts(out, "\n");
    sw_sbuf_puts(out, a);
  }
  if (n == 0) {
    snprintf(why, whylen, "nothing to send; give KEY=VALUE (e.g. READY=1)");
    return SW_EINVAL;
  }
  if (out->len > SW_NOTIFY_MSG_MAX) {
    snprintf(why, whylen, "the message is %zu bytes; at most %d are taken",
             out->len, SW_NOTIFY_MSG_MAX);
    return SW_EINVAL;
  }
  return sw_sbuf_failed(out) ? SW_ENOMEM : 0;
}
