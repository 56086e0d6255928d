/* SPDX-License-Identifier: MIT */
/*
 * [metrics] (metrics.h). The textfile goes through libuv's thread pool
 * (open, write, close, rename: a stalled disk never holds the loop, and
 * so never the service manager's heartbeat); a reader sees the old file
 * or the new one, never a partial one. The listener answers GET /metrics
 * and nothing else, one request per connection, with hard bounds on the
 * request size, the number of connections and the time to send it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/metrics.h"
#include "base/log.h"
#include "core/err.h"
#include "core/metrics.h"

struct sw_metrics_conn_s {
  uv_tcp_t tcp; /* first: handle data is the conn */
  uv_timer_t idle;
  uv_write_t wreq;
  uv_shutdown_t sreq;
  sw_metrics_t *m;
  char buf[SW_METRICS_MAX_REQUEST];
  size_t len;
  char *resp;
  int open_handles;
  bool answered;
  sw_metrics_conn_t *next, **pprev; /* in m->conns */
};

/* ---- the textfile -------------------------------------------------------- */

static void write_next(sw_metrics_t *m);

static void write_failed(sw_metrics_t *m, const char *what, const char *path,
                         int rc) {
  /* Once per incident: a missing folder would say it every interval. */
  if (!m->failing)
    sw_log_warnx(
        "metrics textfile: %s %s: %s (retried on each change and "
        "every %llums)",
        what, path, uv_strerror(rc),
        (unsigned long long)m->cfg->metrics.interval_ms);
  m->failing = true;
}

static void write_done(sw_metrics_t *m) {
  free(m->wbuf);
  m->wbuf = NULL;
  m->writing = false;
  if (m->dirty) write_next(m);
}

static void on_renamed(uv_fs_t *req) {
  sw_metrics_t *m = req->data;
  int rc = (int)req->result;

  uv_fs_req_cleanup(req);
  if (rc < 0) {
    write_failed(m, "rename to", m->cfg->metrics.textfile, rc);
  } else if (m->failing) {
    sw_log_info("metrics textfile: %s written again", m->cfg->metrics.textfile);
    m->failing = false;
  }
  write_done(m);
}

static void on_closed(uv_fs_t *req) {
  sw_metrics_t *m = req->data;
  int rc = (int)req->result;

  uv_fs_req_cleanup(req);
  if (rc < 0 || m->wfailed) {
    /* Not renamed: the old file stays whole. */
    if (rc < 0) write_failed(m, "close", m->tmp_path, rc);
    write_done(m);
    return;
  }
  rc = uv_fs_rename(m->loop, &m->req, m->tmp_path, m->cfg->metrics.textfile,
                    on_renamed);
  if (rc < 0) {
    write_failed(m, "rename to", m->cfg->metrics.textfile, rc);
    write_done(m);
  }
}

static void close_tmp(sw_metrics_t *m) {
  int rc = uv_fs_close(m->loop, &m->req, m->fd, on_closed);

  if (rc < 0) {
    write_failed(m, "close", m->tmp_path, rc);
    write_done(m);
  }
}

static void on_written(uv_fs_t *req) {
  sw_metrics_t *m = req->data;
  ssize_t n = req->result;
  uv_buf_t b;
  int rc;

  uv_fs_req_cleanup(req);
  if (n < 0) {
    write_failed(m, "write", m->tmp_path, (int)n);
    m->wfailed = true;
    close_tmp(m);
    return;
  }
  m->woff += (size_t)n;
  if (m->woff >= m->wlen) {
    close_tmp(m);
    return;
  }
  b = uv_buf_init(m->wbuf + m->woff, (unsigned)(m->wlen - m->woff));
  rc = uv_fs_write(m->loop, &m->req, m->fd, &b, 1, -1, on_written);
  if (rc < 0) {
    write_failed(m, "write", m->tmp_path, rc);
    m->wfailed = true;
    close_tmp(m);
  }
}

static void on_opened(uv_fs_t *req) {
  sw_metrics_t *m = req->data;
  int rc = (int)req->result;
  uv_buf_t b;

  uv_fs_req_cleanup(req);
  if (rc < 0) {
    write_failed(m, "create", m->tmp_path, rc);
    write_done(m);
    return;
  }
  m->fd = rc;
  m->woff = 0;
  b = uv_buf_init(m->wbuf, (unsigned)m->wlen);
  rc = uv_fs_write(m->loop, &m->req, m->fd, &b, 1, -1, on_written);
  if (rc < 0) {
    write_failed(m, "write", m->tmp_path, rc);
    m->wfailed = true;
    close_tmp(m);
  }
}

/* Start writing the current text to <textfile>.tmp. */
static void write_next(sw_metrics_t *m) {
  int rc;

  m->dirty = false;
  m->wbuf = m->text(m->data);
  if (m->wbuf == NULL) {
    sw_log_error("metrics textfile: out of memory building the text");
    return;
  }
  m->wlen = strlen(m->wbuf);
  m->writing = true;
  m->wfailed = false;
  m->req.data = m;
  rc = uv_fs_open(m->loop, &m->req, m->tmp_path,
                  UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC, 0644,
                  on_opened);
  if (rc < 0) {
    write_failed(m, "create", m->tmp_path, rc);
    free(m->wbuf);
    m->wbuf = NULL;
    m->writing = false;
  }
}

void sw_metrics_changed(sw_metrics_t *m) {
  if (!m->started || m->tmp_path == NULL) return;
  if (m->writing) {
    m->dirty = true; /* written again once this write is over */
    return;
  }
  write_next(m);
}

static void on_interval(uv_timer_t *t) {
  sw_metrics_changed(t->data);
}

/* ---- the listener ----------------------------------------------------------
 */

static void conn_handle_closed(uv_handle_t *h) {
  sw_metrics_conn_t *c = h->data;

  if (--c->open_handles > 0) return;
  c->m->n_conns--;
  *c->pprev = c->next;
  if (c->next != NULL) c->next->pprev = c->pprev;
  free(c->resp);
  free(c);
}

static void conn_close(sw_metrics_conn_t *c) {
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
  if (!uv_is_closing((uv_handle_t *)&c->idle))
    uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status; /* the peer may be gone: closed either way */
  conn_close(req->data);
}

static void on_written_resp(uv_write_t *req, int status) {
  sw_metrics_conn_t *c = req->data;

  c->sreq.data = c;
  if (status < 0 ||
      uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
    conn_close(c);
}

/* Send status line, headers and body (body may be NULL), then close. */
static void respond(sw_metrics_conn_t *c, const char *status,
                    const char *extra_header, const char *body, bool head) {
  size_t blen = body ? strlen(body) : 0, n = blen + 512;
  uv_buf_t b;
  int len;

  c->answered = true;
  uv_read_stop((uv_stream_t *)&c->tcp);
  uv_timer_stop(&c->idle);
  c->resp = malloc(n);
  if (c->resp == NULL) {
    conn_close(c);
    return;
  }
  len = snprintf(c->resp, n,
                 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: "
                 "%zu\r\n%sConnection: close\r\n\r\n",
                 status,
                 body == NULL || strncmp(status, "200", 3) != 0
                     ? "text/plain; charset=utf-8"
                     : SW_METRICS_CONTENT_TYPE,
                 blen, extra_header ? extra_header : "");
  if (len < 0 || (size_t)len >= n) {
    conn_close(c);
    return;
  }
  if (body != NULL && !head) {
    memcpy(c->resp + len, body, blen);
    len += (int)blen;
  }
  b = uv_buf_init(c->resp, (unsigned)len);
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written_resp) != 0)
    conn_close(c);
}

/* The request head is complete in c->buf[0..c->len). */
static void handle_request(sw_metrics_conn_t *c) {
  char method[16], target[256], version[16];
  char *text;
  bool head;

  c->buf[c->len < sizeof(c->buf) ? c->len : sizeof(c->buf) - 1] = '\0';
  if (sscanf(c->buf, "%15s %255s %15s", method, target, version) != 3 ||
      strncmp(version, "HTTP/1.", 7) != 0) {
    respond(c, "400 Bad Request", NULL, "bad request\n", false);
    return;
  }
  head = strcmp(method, "HEAD") == 0;
  if (strcmp(method, "GET") != 0 && !head) {
    respond(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
            "only GET /metrics\n", false);
    return;
  }
  if (strcmp(target, "/metrics") != 0 && strncmp(target, "/metrics?", 9) != 0) {
    respond(c, "404 Not Found", NULL, "not found; try /metrics\n", head);
    return;
  }
  text = c->m->text(c->m->data);
  if (text == NULL) {
    respond(c, "503 Service Unavailable", NULL, "out of memory\n", head);
    return;
  }
  respond(c, "200 OK", NULL, text, head);
  c->m->served++;
  free(text);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  sw_metrics_conn_t *c = h->data;

  (void)suggested;
  /* One byte kept for the terminating NUL. */
  *buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - 1 - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  sw_metrics_conn_t *c = s->data;

  (void)buf;
  if (c->answered) return;
  if (n < 0) {
    conn_close(c); /* EOF or error before a whole request */
    return;
  }
  c->len += (size_t)n;
  c->buf[c->len] = '\0';
  if (strstr(c->buf, "\r\n\r\n") != NULL || strstr(c->buf, "\n\n") != NULL) {
    handle_request(c);
    return;
  }
  if (c->len >= sizeof(c->buf) - 1)
    respond(c, "431 Request Header Fields Too Large", NULL,
            "request too large\n", false);
}

static void on_idle(uv_timer_t *t) {
  sw_metrics_conn_t *c = t->data;

  if (!c->answered)
    respond(c, "408 Request Timeout", NULL, "too slow\n", false);
}

static void on_connection(uv_stream_t *server, int status) {
  sw_metrics_t *m = server->data;
  sw_metrics_conn_t *c;
  int rc;

  if (status < 0) {
    sw_log_warnx("metrics listener: accept: %s", uv_strerror(status));
    return;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    sw_log_error("metrics listener: out of memory for a connection");
    return;
  }
  c->m = m;
  rc = uv_tcp_init(m->loop, &c->tcp);
  if (rc != 0) {
    sw_log_warnx("metrics listener: a connection's socket: %s",
                 uv_strerror(rc));
    free(c);
    return;
  }
  /* Cannot fail on a loop that runs (no allocation, no system call). */
  (void)uv_timer_init(m->loop, &c->idle);
  c->tcp.data = c;
  c->idle.data = c;
  c->open_handles = 2;
  m->n_conns++;
  c->next = m->conns;
  c->pprev = &m->conns;
  if (m->conns != NULL) m->conns->pprev = &c->next;
  m->conns = c;
  rc = uv_accept(server, (uv_stream_t *)&c->tcp);
  if (rc != 0) {
    sw_log_warnx("metrics listener: accept: %s", uv_strerror(rc));
    conn_close(c);
    return;
  }
  /* Over the cap: accepted (so the backlog drains) and closed at once. */
  if (m->closing || m->n_conns > SW_METRICS_MAX_CONNS) {
    m->refused++;
    conn_close(c);
    return;
  }
  uv_timer_start(&c->idle, on_idle, SW_METRICS_IDLE_MS, 0);
  rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (rc != 0) {
    sw_log_warnx("metrics listener: read: %s", uv_strerror(rc));
    conn_close(c);
  }
}

static void listen_on(sw_metrics_t *m) {
  const sw_metrics_cfg_t *mc = &m->cfg->metrics;
  struct sockaddr_storage addr;
  int rc;

  if (strchr(mc->listen_host, ':') != NULL)
    rc = uv_ip6_addr(mc->listen_host, (int)mc->listen_port,
                     (struct sockaddr_in6 *)&addr);
  else
    rc = uv_ip4_addr(mc->listen_host, (int)mc->listen_port,
                     (struct sockaddr_in *)&addr);
  if (rc != 0) {
    sw_log_error("metrics listener %s: %s; serving no metrics there",
                 mc->listen, uv_strerror(rc));
    return;
  }
  rc = uv_tcp_init(m->loop, &m->server);
  if (rc != 0) {
    sw_log_error("metrics listener %s: %s; serving no metrics there",
                 mc->listen, uv_strerror(rc));
    return;
  }
  m->server.data = m;
  m->listening = true; /* the handle exists: closed with the rest */
  rc = uv_tcp_bind(&m->server, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    /* A backlog well above the cap: connections over the cap are
     * accepted and closed in order, not left to the kernel's queue
     * overflow (which would reorder them). */
    rc = uv_listen((uv_stream_t *)&m->server, 128, on_connection);
  if (rc != 0) {
    sw_log_error("metrics listener %s:%u: %s; serving no metrics there",
                 mc->listen_host, mc->listen_port, uv_strerror(rc));
    uv_close((uv_handle_t *)&m->server, NULL);
    return;
  }
  sw_log_info("metrics: serving GET /metrics on %s port %u", mc->listen_host,
              mc->listen_port);
}

/* ---- start and close
 * --------------------------------------------------------- */

int sw_metrics_start(sw_metrics_t *m, uv_loop_t *loop, const sw_config_t *cfg,
                     sw_metrics_text_fn *text, void *data) {
  const sw_metrics_cfg_t *mc = &cfg->metrics;

  memset(m, 0, sizeof(*m));
  m->loop = loop;
  m->cfg = cfg;
  m->text = text;
  m->data = data;
  if (mc->textfile != NULL && mc->textfile[0] != '\0') {
    size_t n = strlen(mc->textfile) + 5;

    m->tmp_path = malloc(n);
    if (m->tmp_path == NULL) return SW_ENOMEM;
    snprintf(m->tmp_path, n, "%s.tmp", mc->textfile);
    /* Neither can fail on an initialised loop (no system call). */
    (void)uv_timer_init(loop, &m->interval);
    m->interval.data = m;
    (void)uv_timer_start(&m->interval, on_interval, mc->interval_ms,
                         mc->interval_ms);
    sw_log_info("metrics: writing %s every %llums and on each change",
                mc->textfile, (unsigned long long)mc->interval_ms);
  }
  m->started = true;
  if (mc->listen_port != 0) listen_on(m);
  sw_metrics_changed(m);
  return 0;
}

void sw_metrics_close(sw_metrics_t *m) {
  sw_metrics_conn_t *c;

  if (!m->started || m->closing) return;
  m->closing = true;
  /* The final state, then nothing more. */
  sw_metrics_changed(m);
  if (m->tmp_path != NULL) uv_close((uv_handle_t *)&m->interval, NULL);
  if (m->listening && !uv_is_closing((uv_handle_t *)&m->server))
    uv_close((uv_handle_t *)&m->server, NULL);
  for (c = m->conns; c != NULL; c = c->next)
    conn_close(c);
}

void sw_metrics_free(sw_metrics_t *m) {
  free(m->tmp_path);
  m->tmp_path = NULL;
  free(m->wbuf);
  m->wbuf = NULL;
}
