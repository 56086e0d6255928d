/* SPDX-License-Identifier: MIT */
/*
 * [health] probe: a minimal HTTP/1.1 GET and a TCP connect over libuv, or
 * an exec: command through the platform (os.h helpers), each bounded by
 * probe_timeout, with the response read bounded (the status line is all
 * that counts). Verdicts go to core/probe.c's count, restarts to
 * app/health.h.
 */
#include "app/health_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/err.h"

/* The most of an HTTP answer read: the status line comes first. */
#define HTTP_READ_MAX 4096

struct sw_probe_attempt_s {
  sw_probe_run_t *owner; /* NULL once abandoned: results are dropped */
  uv_getaddrinfo_t gai;
  uv_tcp_t tcp;
  uv_connect_t conn;
  uv_write_t wr;
  sw_helper_t *helper;
  bool resolving, tcp_open, timed_out;
  char req[1024];
  char resp[HTTP_READ_MAX];
  size_t resp_len;
};

static uint64_t now_ms(void) {
  return uv_hrtime() / 1000000;
}

static uint64_t wall_ms(void) {
  uv_timeval64_t tv;

  if (uv_gettimeofday(&tv) != 0) return 0;
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void start_probe(uv_timer_t *t);

/* The attempt's handles are closed; free it when nothing is pending. */
static void attempt_release(sw_probe_attempt_t *a) {
  if (a->resolving || a->tcp_open || a->helper != NULL) return;
  free(a);
}

static void on_tcp_closed(uv_handle_t *h) {
  sw_probe_attempt_t *a = h->data;

  a->tcp_open = false;
  attempt_release(a);
}

/* Drop the attempt: whatever it still waits for ends without a result. */
static void attempt_abandon(sw_probe_attempt_t *a) {
  a->owner = NULL;
  if (a->resolving) uv_cancel((uv_req_t *)&a->gai);
  if (a->tcp_open && !uv_is_closing((uv_handle_t *)&a->tcp))
    uv_close((uv_handle_t *)&a->tcp, on_tcp_closed);
  if (a->helper != NULL) sw_os_helper_kill(a->helper);
  attempt_release(a);
}

/* One probe ended: count it, report, schedule the next. */
static void finish(sw_probe_run_t *p, bool ok, const char *detail) {
  const sw_config_t *cfg = p->cfg;
  sw_probe_attempt_t *a = p->cur;
  uint64_t now = now_ms();
  bool restart;

  p->cur = NULL;
  if (a != NULL) attempt_abandon(a);
  uv_timer_stop(&p->timeout);
  p->has_result = true;
  p->last_ok = ok;
  p->last_wall_ms = wall_ms();
  p->last_ms_taken = now - p->started_ms;
  snprintf(p->last_detail, sizeof(p->last_detail), "%s", detail);
  if (ok && p->count.failures > 0)
    sw_log_info("probe %s: healthy again (%s) after %u failure%s", cfg->probe,
                detail, p->count.failures, p->count.failures == 1 ? "" : "s");
  if (ok) p->first_failure_ms = 0;
  if (!ok && p->first_failure_ms == 0) p->first_failure_ms = now;
  restart = sw_probe_record(&p->count, ok, cfg->probe_failures);
  if (!ok && !restart)
    sw_log_warnx("probe %s failed (%s): %u of %u", cfg->probe, detail,
                 p->count.failures, cfg->probe_failures);
  if (restart) {
    char why[320];

    snprintf(why, sizeof(why),
             "probe %s failed %u time%s in a row (last: %s) over %llums",
             cfg->probe, cfg->probe_failures,
             cfg->probe_failures == 1 ? "" : "s", detail,
             (unsigned long long)(now - p->first_failure_ms));
    p->first_failure_ms = 0;
    sw_log_warnx("%s; restarting the child", why);
    p->unhealthy(p->unhealthy_data, SW_CLASS_UNHEALTHY, why);
  }
  /* A restart ends the child (sw_probe_run_child_ended), which stops
   * this timer again. */
  if (p->child != NULL)
    uv_timer_start(&p->next, start_probe, cfg->probe_interval_ms, 0);
}

/* ---- exec: ------------------------------------------------------------- */

static void on_helper_exit(void *data, uint32_t code, int signal) {
  sw_probe_attempt_t *a = data;
  sw_probe_run_t *p = a->owner;
  char detail[96];

  sw_os_helper_free(a->helper);
  a->helper = NULL;
  if (p == NULL) {
    attempt_release(a);
    return;
  }
  if (signal != 0)
    snprintf(detail, sizeof(detail), "killed by signal %d", signal);
  else
    snprintf(detail, sizeof(detail), "exit code %u", code);
  finish(p, code == 0 && signal == 0, detail);
}

/* ---- tcp:// and http:// ------------------------------------------------ */

static void fail_uv(sw_probe_run_t *p, const char *what, int rc) {
  char detail[128];

  snprintf(detail, sizeof(detail), "%s: %s", what, uv_strerror(rc));
  finish(p, false, detail);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  sw_probe_attempt_t *a = h->data;

  (void)suggested;
  buf->base = a->resp + a->resp_len;
  buf->len = sizeof(a->resp) - a->resp_len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  sw_probe_attempt_t *a = s->data;
  sw_probe_run_t *p = a->owner;
  char detail[64];
  int code = 0, st;

  (void)buf;
  if (p == NULL || n == 0) return;
  if (n < 0) {
    if (n == UV_EOF)
      finish(p, false, "connection closed before the status line");
    else
      fail_uv(p, "read", (int)n);
    return;
  }
  a->resp_len += (size_t)n;
  st = sw_http_status(a->resp, a->resp_len, &code);
  if (st == 0 && a->resp_len < sizeof(a->resp)) return;
  if (st <= 0) {
    finish(p, false, "not an HTTP/1.x response");
    return;
  }
  snprintf(detail, sizeof(detail), "HTTP %d", code);
  finish(p, sw_http_healthy(code), detail);
}

static void on_written(uv_write_t *w, int status) {
  sw_probe_attempt_t *a = w->data;
  sw_probe_run_t *p = a->owner;
  int rc;

  if (p == NULL) return;
  if (status != 0) {
    fail_uv(p, "send the request", status);
    return;
  }
  rc = uv_read_start((uv_stream_t *)&a->tcp, on_alloc, on_read);
  if (rc != 0) fail_uv(p, "read", rc);
}

static void on_connected(uv_connect_t *c, int status) {
  sw_probe_attempt_t *a = c->data;
  sw_probe_run_t *p = a->owner;
  uv_buf_t b;
  size_t n;
  int rc;

  if (p == NULL) return;
  if (status != 0) {
    fail_uv(p, "connect", status);
    return;
  }
  if (p->cfg->probe_spec.kind == SW_PROBE_TCP) {
    finish(p, true, "connected");
    return;
  }
  n = sw_http_request(&p->cfg->probe_spec, a->req, sizeof(a->req));
  if (n == 0) {
    finish(p, false, "the request does not fit in 1 KiB");
    return;
  }
  b = uv_buf_init(a->req, (unsigned)n);
  a->wr.data = a;
  rc = uv_write(&a->wr, (uv_stream_t *)&a->tcp, &b, 1, on_written);
  if (rc != 0) fail_uv(p, "send the request", rc);
}

static void connect_to(sw_probe_run_t *p, sw_probe_attempt_t *a,
                       const struct sockaddr *sa) {
  int rc = uv_tcp_init(p->loop, &a->tcp);

  if (rc != 0) {
    fail_uv(p, "socket", rc);
    return;
  }
  a->tcp.data = a;
  a->tcp_open = true;
  a->conn.data = a;
  rc = uv_tcp_connect(&a->conn, &a->tcp, sa, on_connected);
  if (rc != 0) fail_uv(p, "connect", rc);
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res) {
  sw_probe_attempt_t *a = g->data;
  sw_probe_run_t *p = a->owner;

  a->resolving = false;
  if (p == NULL) {
    uv_freeaddrinfo(res);
    attempt_release(a);
    return;
  }
  if (status != 0 || res == NULL) {
    char detail[320];

    snprintf(detail, sizeof(detail), "resolve %s: %s", p->cfg->probe_spec.host,
             uv_strerror(status ? status : UV_EAI_NONAME));
    uv_freeaddrinfo(res);
    finish(p, false, detail);
    return;
  }
  connect_to(p, a, res->ai_addr);
  uv_freeaddrinfo(res);
}

static void start_net(sw_probe_run_t *p, sw_probe_attempt_t *a) {
  const sw_probe_spec_t *s = &p->cfg->probe_spec;
  struct sockaddr_storage ss;
  struct addrinfo hints;
  char port[8];
  int rc;

  if (uv_ip4_addr(s->host, (int)s->port, (struct sockaddr_in *)&ss) == 0 ||
      uv_ip6_addr(s->host, (int)s->port, (struct sockaddr_in6 *)&ss) == 0) {
    connect_to(p, a, (const struct sockaddr *)&ss);
    return;
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  snprintf(port, sizeof(port), "%u", s->port);
  a->gai.data = a;
  rc = uv_getaddrinfo(p->loop, &a->gai, on_resolved, s->host, port, &hints);
  if (rc != 0) {
    fail_uv(p, "resolve", rc);
    return;
  }
  a->resolving = true;
}

/* ---- scheduling -----------------------------------------------------------
 */

static void on_timeout(uv_timer_t *t) {
  sw_probe_run_t *p = t->data;
  sw_probe_attempt_t *a = p->cur;
  char detail[64];

  snprintf(detail, sizeof(detail), "no answer within %llums",
           (unsigned long long)p->cfg->probe_timeout_ms);
  if (a != NULL && a->helper != NULL) {
    /* Killed at the timeout; the verdict is this, not its exit's. */
    sw_log_warnx("probe %s: killing it after %llums", p->cfg->probe,
                 (unsigned long long)p->cfg->probe_timeout_ms);
  }
  finish(p, false, detail);
}

static void start_probe(uv_timer_t *t) {
  sw_probe_run_t *p = t->data;
  sw_probe_attempt_t *a;
  char why[512];
  int rc;

  if (p->child == NULL || p->cur != NULL) return;
  a = calloc(1, sizeof(*a));
  if (a == NULL) {
    sw_log_error("probe %s: out of memory; trying again in %llums",
                 p->cfg->probe, (unsigned long long)p->cfg->probe_interval_ms);
    uv_timer_start(&p->next, start_probe, p->cfg->probe_interval_ms, 0);
    return;
  }
  a->owner = p;
  p->cur = a;
  p->started_ms = now_ms();
  uv_timer_start(&p->timeout, on_timeout, p->cfg->probe_timeout_ms, 0);
  if (p->cfg->probe_spec.kind != SW_PROBE_EXEC) {
    start_net(p, a);
    return;
  }
  why[0] = '\0';
  rc = sw_os_helper_start(p->loop, p->child, p->cfg, &p->cfg->probe_spec.argv,
                          on_helper_exit, a, &a->helper, why, sizeof(why));
  if (rc != 0) finish(p, false, why);
}

void sw_probe_run_init(sw_probe_run_t *p, uv_loop_t *loop,
                       const sw_config_t *cfg, sw_unhealthy_fn *unhealthy,
                       void *data) {
  memset(p, 0, sizeof(*p));
  p->cfg = cfg;
  p->loop = loop;
  p->unhealthy = unhealthy;
  p->unhealthy_data = data;
  if (cfg->probe_spec.kind == SW_PROBE_NONE) return;
  uv_timer_init(loop, &p->next);
  uv_timer_init(loop, &p->timeout);
  p->next.data = p->timeout.data = p;
  p->active = true;
}

void sw_probe_run_child_started(sw_probe_run_t *p, sw_child_t *child) {
  uint64_t first;

  if (!p->active) return;
  p->child = child;
  p->count.failures = 0;
  p->first_failure_ms = 0;
  first = p->cfg->probe_start_delay_ms ? p->cfg->probe_start_delay_ms
                                       : p->cfg->probe_interval_ms;
  uv_timer_start(&p->next, start_probe, first, 0);
}

void sw_probe_run_child_ended(sw_probe_run_t *p) {
  if (!p->active) return;
  p->child = NULL;
  uv_timer_stop(&p->next);
  uv_timer_stop(&p->timeout);
  if (p->cur != NULL) {
    attempt_abandon(p->cur);
    p->cur = NULL;
  }
}

void sw_probe_run_close(sw_probe_run_t *p) {
  if (!p->active) return;
  sw_probe_run_child_ended(p);
  uv_close((uv_handle_t *)&p->next, NULL);
  uv_close((uv_handle_t *)&p->timeout, NULL);
  p->active = false;
}
