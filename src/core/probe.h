/* SPDX-License-Identifier: MIT */
/*
 * [health] probe: what the probe is (parsed from `probe = ...`), how an
 * HTTP answer is judged, and when consecutive failures mean a restart.
 * Pure: no I/O, no clock; src/app/health_probe.c does the talking.
 */
#ifndef SW_CORE_PROBE_H
#define SW_CORE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cmdline.h"

typedef enum {
  SW_PROBE_NONE, /* no probe configured */
  SW_PROBE_HTTP, /* http://host:port/path: healthy on 2xx/3xx */
  SW_PROBE_TCP,  /* tcp://host:port: healthy when it connects */
  SW_PROBE_EXEC  /* exec:command: healthy on exit 0 */
} sw_probe_kind_t;

typedef struct {
  sw_probe_kind_t kind;
  char *host;     /* HTTP, TCP: owned; an IPv4/IPv6 literal or a name */
  unsigned port;  /* HTTP, TCP: 1..65535 (HTTP default 80) */
  char *path;     /* HTTP: owned; "/..." with the query, as written */
  sw_argv_t argv; /* EXEC: the command split like [process] arguments
                     (argv.v[0] is the program); owned */
} sw_probe_spec_t;

/*
 * Parse `text` (the value of `probe`, quotes already removed) into *out.
 * Returns 0; SW_EINVAL with the reason in why[whylen] ("... ; write
 * http://host:port/path, tcp://host:port or exec:command"); SW_ENOMEM.
 * An empty text is SW_PROBE_NONE. Free with sw_probe_spec_free().
 */
int sw_probe_parse(const char *text, sw_probe_spec_t *out, char *why,
                   size_t whylen);
void sw_probe_spec_free(sw_probe_spec_t *s);

/* The name of a kind: "none", "http", "tcp", "exec". */
const char *sw_probe_kind_name(sw_probe_kind_t k);

/*
 * The status code of an HTTP/1.x response whose first len bytes are in
 * buf. Returns 1 and *code when the status line is complete; 0 when more
 * bytes are needed; -1 when it is not an HTTP/1.x status line.
 */
int sw_http_status(const char *buf, size_t len, int *code);

/* Whether an HTTP status counts as healthy (2xx and 3xx). */
bool sw_http_healthy(int code);

/*
 * The GET request for spec (HTTP/1.1, Host header, Connection: close)
 * into buf[len]; returns its length, or 0 if it does not fit.
 */
size_t sw_http_request(const sw_probe_spec_t *spec, char *buf, size_t len);

/* Consecutive failures of the probe. */
typedef struct {
  unsigned failures; /* since the last success (or the child's start) */
  unsigned total_failures, total_ok;
} sw_probe_count_t;

/* Record one result; returns true when it makes `limit` consecutive
 * failures (limit >= 1): then the child must be restarted, and the count
 * starts again. */
bool sw_probe_record(sw_probe_count_t *c, bool ok, unsigned limit);

#endif
