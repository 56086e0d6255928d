/* SPDX-License-Identifier: MIT */
/* [health] probe: parsing, HTTP status lines, the failure count. */
#include "core/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define PROBE_FORMS                                                            \
  "write http://host:port/path, tcp://host:port or exec:command"

static int fail(char *why, size_t whylen, const char *what) {
  snprintf(why, whylen, "%s; %s", what, PROBE_FORMS);
  return SW_EINVAL;
}

static bool has_prefix_nocase(const char *s, const char *p) {
  for (; *p != '\0'; s++, p++) {
    char a = *s, b = *p;

    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

/* host:port (IPv6 in brackets), ending at `end`. */
static int parse_authority(const char *s, const char *end, unsigned def_port,
                           sw_probe_spec_t *out, char *why, size_t whylen) {
  const char *host = s, *host_end, *colon = NULL;
  unsigned long port = def_port;
  size_t n;

  if (s < end && *s == '[') {
    host = s + 1;
    host_end = memchr(host, ']', (size_t)(end - host));
    if (host_end == NULL)
      return fail(why, whylen, "no ] after an IPv6 address");
    colon = host_end + 1 < end && host_end[1] == ':' ? host_end + 1 : NULL;
    if (host_end + 1 < end && colon == NULL)
      return fail(why, whylen, "junk after ]");
  } else {
    colon = memchr(s, ':', (size_t)(end - s));
    host_end = colon ? colon : end;
  }
  n = (size_t)(host_end - host);
  if (n == 0 || n > 253) return fail(why, whylen, "no host");
  if (colon != NULL) {
    char digits[8], *e;
    size_t dn = (size_t)(end - colon - 1);

    if (dn == 0 || dn >= sizeof(digits) || strspn(colon + 1, "0123456789") < dn)
      return fail(why, whylen, "the port is not a number");
    memcpy(digits, colon + 1, dn);
    digits[dn] = '\0';
    port = strtoul(digits, &e, 10);
  } else if (def_port == 0) {
    return fail(why, whylen, "no port (tcp://host:port)");
  }
  if (port == 0 || port > 65535)
    return fail(why, whylen, "the port is not in 1..65535");
  out->host = malloc(n + 1);
  if (out->host == NULL) return SW_ENOMEM;
  memcpy(out->host, host, n);
  out->host[n] = '\0';
  out->port = (unsigned)port;
  return 0;
}

int sw_probe_parse(const char *text, sw_probe_spec_t *out, char *why,
                   size_t whylen) {
  int rc;

  memset(out, 0, sizeof(*out));
  while (*text == ' ' || *text == '\t')
    text++;
  if (*text == '\0') return 0;
  if (strpbrk(text, "\r\n") != NULL)
    return fail(why, whylen, "a line break in the probe");
  if (has_prefix_nocase(text, "http://")) {
    const char *a = text + 7, *slash = strchr(a, '/');
    const char *end = slash ? slash : a + strlen(a);

    if (strpbrk(a, " \t") != NULL)
      return fail(why, whylen, "a blank in the URL (encode it as %20)");
    if (memchr(a, '@', (size_t)(end - a)) != NULL)
      return fail(why, whylen, "user info in the URL is not supported");
    rc = parse_authority(a, end, 80, out, why, whylen);
    if (rc != 0) return rc;
    out->path = strdup(slash ? slash : "/");
    if (out->path == NULL) {
      sw_probe_spec_free(out);
      return SW_ENOMEM;
    }
    out->kind = SW_PROBE_HTTP;
    return 0;
  }
  if (has_prefix_nocase(text, "https://"))
    return fail(why, whylen,
                "https is not supported (probe the plain "
                "HTTP port, or use exec: with a client)");
  if (has_prefix_nocase(text, "tcp://")) {
    const char *a = text + 6;
    const char *end = a + strlen(a);

    while (end > a && (end[-1] == '/' || end[-1] == ' '))
      end--;
    rc = parse_authority(a, end, 0, out, why, whylen);
    if (rc != 0) return rc;
    out->kind = SW_PROBE_TCP;
    return 0;
  }
  if (has_prefix_nocase(text, "exec:")) {
    rc = sw_argv_split(text + 5, &out->argv);
    if (rc != 0) return rc;
    if (out->argv.n == 0) {
      sw_argv_free(&out->argv);
      return fail(why, whylen, "exec: without a command");
    }
    out->kind = SW_PROBE_EXEC;
    return 0;
  }
  {
    char head[128];

    snprintf(head, sizeof(head), "\"%.60s\" is not a probe", text);
    return fail(why, whylen, head);
  }
}

void sw_probe_spec_free(sw_probe_spec_t *s) {
  free(s->host);
  free(s->path);
  sw_argv_free(&s->argv);
  memset(s, 0, sizeof(*s));
}

const char *sw_probe_kind_name(sw_probe_kind_t k) {
  static const char *const names[] = {"none", "http", "tcp", "exec"};

  return (unsigned)k < 4 ? names[k] : "?";
}

int sw_http_status(const char *buf, size_t len, int *code) {
  static const char head[] = "HTTP/1.";
  size_t i;

  /* "HTTP/1.x SP ddd": 12 bytes decide it. */
  for (i = 0; i < len && i < 7; i++)
    if (buf[i] != head[i]) return -1;
  if (len < 12) return 0;
  if (buf[7] < '0' || buf[7] > '9' || buf[8] != ' ') return -1;
  for (i = 9; i < 12; i++)
    if (buf[i] < '0' || buf[i] > '9') return -1;
  if (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
    return -1;
  *code = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
  return 1;
}

bool sw_http_healthy(int code) {
  return code >= 200 && code <= 399;
}

size_t sw_http_request(const sw_probe_spec_t *spec, char *buf, size_t len) {
  bool v6 = strchr(spec->host, ':') != NULL;
  int n;

  if (spec->port == 80)
    n = snprintf(buf, len,
                 "GET %s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: svcwrap-probe"
                 "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                 spec->path, v6 ? "[" : "", spec->host, v6 ? "]" : "");
  else
    n = snprintf(buf, len,
                 "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUser-Agent: "
                 "svcwrap-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                 spec->path, v6 ? "[" : "", spec->host, v6 ? "]" : "",
                 spec->port);
  return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

bool sw_probe_record(sw_probe_count_t *c, bool ok, unsigned limit) {
  if (ok) {
    c->failures = 0;
    c->total_ok++;
    return false;
  }
  c->total_failures++;
  if (++c->failures < (limit ? limit : 1)) return false;
  c->failures = 0;
  return true;
}
