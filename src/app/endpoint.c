/* SPDX-License-Identifier: MIT */
/* The status/command endpoint: server side (in the loop) and client side
 * (a private loop, for the status and rotate verbs). */
#include "app/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cJSON.h>
#include <stdio.h>

#include "base/log.h"
#include "core/err.h"
#include "core/sbuf.h"

/* ---- server ------------------------------------------------------------- */

struct sw_conn_s {
  uv_pipe_t *pipe; /* from sw_os_listen(), ours */
  uv_timer_t idle; /* closes the connection after SW_ENDPOINT_IDLE_MS */
  sw_endpoint_t *ep;
  sw_conn_t *prev, *next; /* in ep->conns */
  sw_sbuf_t in;           /* the command line being read */
  int open;               /* handles not closed yet (pipe, timer) */
  bool answered;          /* the one command was answered */
  bool closing;
};
typedef sw_conn_t conn_t;

/* One answer on its way: its own request and bytes. */
typedef struct {
  uv_write_t req;
  conn_t *conn;
  char text[];
} answer_t;

static void conn_closed(uv_handle_t *h) {
  conn_t *c = h->data;

  if (h == (uv_handle_t *)c->pipe) {
    free(c->pipe);
    c->pipe = NULL;
  }
  if (--c->open > 0) return;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    c->ep->conns = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  c->ep->n_conns--;
  sw_sbuf_free(&c->in);
  free(c);
}

static void conn_close(conn_t *c) {
  if (c->closing) return;
  c->closing = true;
  uv_close((uv_handle_t *)c->pipe, conn_closed);
  uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void conn_idle(uv_timer_t *t) {
  conn_close(t->data);
}

static void on_written(uv_write_t *req, int status) {
  answer_t *a = req->data;
  conn_t *c = a->conn;

  free(a);
  /* A failed write means the client is gone. (A write cancelled by the
   * close still ends here, before the handle's close callback, so c is
   * valid.) After a successful one the client hangs up: closing our end
   * first could discard an answer it has not read yet (Windows named
   * pipes do); the idle timer closes it if the client never does. */
  if (status != 0) conn_close(c);
}

/* Send json (taken, may be NULL on OOM) and a newline. */
static void conn_send(conn_t *c, char *json) {
  answer_t *a;
  uv_buf_t buf;
  size_t n;

  if (json == NULL) {
    conn_close(c);
    return;
  }
  n = strlen(json);
  a = malloc(sizeof(*a) + n + 2);
  if (a == NULL) {
    free(json);
    conn_close(c);
    return;
  }
  memcpy(a->text, json, n);
  free(json);
  a->text[n] = '\n';
  a->text[n + 1] = '\0';
  a->conn = c;
  a->req.data = a;
  buf = uv_buf_init(a->text, (unsigned)n + 1);
  if (uv_write(&a->req, (uv_stream_t *)c->pipe, &buf, 1, on_written) != 0) {
    free(a);
    conn_close(c);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  static char scratch[256]; /* loop thread only; consumed at once */

  (void)h;
  (void)suggested;
  buf->base = scratch;
  buf->len = sizeof(scratch);
}

/* "control 129" -> {"control":129,"ok":true} or {"control":129,"ok":false,
 * "error":"..."}; heap JSON or NULL. */
static char *control_reply(sw_endpoint_t *ep, const char *arg) {
  char why[512];
  cJSON *o = cJSON_CreateObject();
  char *out, *end;
  unsigned long code = strtoul(arg, &end, 10);
  int rc;

  if (o == NULL) return NULL;
  why[0] = '\0';
  if (end == arg || *end != '\0' || code > 255) {
    snprintf(why, sizeof(why), "\"%s\" is not a control code", arg);
    rc = SW_EINVAL;
  } else {
    rc = ep->control(ep->data, (unsigned)code, why, sizeof(why));
  }
  cJSON_AddNumberToObject(o, "control", (double)code);
  cJSON_AddBoolToObject(o, "ok", rc == 0);
  if (rc != 0) cJSON_AddStringToObject(o, "error", why);
  out = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return out;
}

static void on_conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn_t *c = s->data;
  char *nl;

  if (n < 0) {
    conn_close(c); /* the client hung up */
    return;
  }
  if (c->answered) return; /* one command per connection; the rest is ignored */
  sw_sbuf_put(&c->in, buf->base, (size_t)n);
  if (sw_sbuf_failed(&c->in) || c->in.len > 1024) {
    conn_close(c);
    return;
  }
  nl = c->in.p ? strchr(c->in.p, '\n') : NULL;
  if (nl == NULL) return;
  *nl = '\0';
  c->answered = true;
  if (strcmp(c->in.p, "rotate") == 0 && c->ep->rotate != NULL) {
    c->ep->rotate(c->ep->data);
    conn_send(c, strdup("{\"rotated\":true}"));
  } else if (strncmp(c->in.p, "control ", 8) == 0 && c->ep->control != NULL) {
    conn_send(c, control_reply(c->ep, c->in.p + 8));
  } else {
    conn_send(c, strdup("{\"error\":\"unknown command\"}"));
  }
}

static void on_connection(void *data, uv_pipe_t *pipe) {
  sw_endpoint_t *ep = data;
  conn_t *c;

  if (ep->n_conns >= SW_ENDPOINT_MAX_CONNS ||
      (c = calloc(1, sizeof(*c))) == NULL) {
    /* Over the cap: this client gets nothing, the others are served. */
    if (ep->refused++ == 0)
      sw_log_warnx(
          "status endpoint: more than %d connections at once; "
          "closing the newest (logged once)",
          SW_ENDPOINT_MAX_CONNS);
    uv_close((uv_handle_t *)pipe, (uv_close_cb)free);
    return;
  }
  c->ep = ep;
  c->pipe = pipe;
  c->next = ep->conns;
  if (ep->conns != NULL) ep->conns->prev = c;
  ep->conns = c;
  ep->n_conns++;
  c->open = 2;
  pipe->data = c;
  uv_timer_init(pipe->loop, &c->idle);
  c->idle.data = c;
  uv_timer_start(&c->idle, conn_idle, SW_ENDPOINT_IDLE_MS, 0);
  conn_send(c, ep->status(ep->data));
  if (!c->closing)
    uv_read_start((uv_stream_t *)c->pipe, on_alloc, on_conn_read);
}

int sw_endpoint_listen(sw_endpoint_t *ep, uv_loop_t *loop,
                       const sw_config_t *cfg, const char *name, bool claimed,
                       char *why, size_t whylen) {
  return sw_os_listen(loop, cfg, name, claimed, on_connection, ep,
                      &ep->listener, &ep->name, why, whylen);
}

void sw_endpoint_close(sw_endpoint_t *ep) {
  conn_t *c;

  if (ep->listener == NULL) return;
  sw_os_listen_close(ep->listener);
  ep->listener = NULL;
  free(ep->name);
  ep->name = NULL;
  /* Connections still open (a client that never hung up) go too. */
  for (c = ep->conns; c != NULL; c = c->next)
    conn_close(c);
}

/* ---- client ------------------------------------------------------------- */

typedef struct {
  uv_pipe_t pipe;
  uv_write_t wr;
  uv_timer_t timer;
  const char *command;
  char chunk[4096]; /* one read */
  sw_sbuf_t in;     /* what was read and not yet split into lines */
  char *lines[2];
  int want; /* lines to read */
  int got;
  int rc;
  bool done;
} client_t;

static void client_finish(client_t *c, int rc) {
  if (c->done) return;
  c->done = true;
  c->rc = rc;
  uv_timer_stop(&c->timer);
  if (!uv_is_closing((uv_handle_t *)&c->pipe))
    uv_close((uv_handle_t *)&c->pipe, NULL);
  uv_close((uv_handle_t *)&c->timer, NULL);
}

static void client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  client_t *c = h->data;

  (void)suggested;
  buf->base = c->chunk;
  buf->len = sizeof(c->chunk);
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void client_written(uv_write_t *req, int status) {
  client_t *c = req->data;

  if (status != 0) client_finish(c, status);
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  client_t *c = s->data;
  char *nl;

  if (n < 0) {
    client_finish(c, c->got == c->want ? 0 : (int)n);
    return;
  }
  sw_sbuf_put(&c->in, buf->base, (size_t)n); /* keeps a NUL after it */
  if (sw_sbuf_failed(&c->in)) {
    client_finish(c, SW_ENOMEM);
    return;
  }
  while (c->got < c->want && (nl = strchr(c->in.p, '\n')) != NULL) {
    size_t len = (size_t)(nl - c->in.p);

    c->lines[c->got] = malloc(len + 1);
    if (c->lines[c->got] == NULL) {
      client_finish(c, SW_ENOMEM);
      return;
    }
    memcpy(c->lines[c->got], c->in.p, len);
    c->lines[c->got][len] = '\0';
    memmove(c->in.p, nl + 1, c->in.len - len);
    c->in.len -= len + 1;
    c->got++;
    if (c->got == 1 && c->command != NULL) {
      uv_buf_t b =
          uv_buf_init((char *)c->command, (unsigned)strlen(c->command));

      c->wr.data = c;
      if (uv_write(&c->wr, s, &b, 1, client_written) != 0) {
        client_finish(c, SW_EINVAL);
        return;
      }
    }
  }
  if (c->got == c->want) client_finish(c, 0);
}

static void client_timeout(uv_timer_t *t) {
  client_finish(t->data, UV_ETIMEDOUT);
}

int sw_endpoint_query(const char *name, const char *command, int expected_pid,
                      char **status, char **reply, unsigned timeout_ms,
                      char *why, size_t whylen) {
  uv_loop_t loop;
  client_t c;
  int rc;

  *status = NULL;
  if (reply != NULL) *reply = NULL;
  snprintf(why, whylen, "no answer");
  memset(&c, 0, sizeof(c));
  c.command = command;
  c.want = command ? 2 : 1;
  rc = uv_loop_init(&loop);
  if (rc != 0) {
    snprintf(why, whylen, "uv_loop_init: %s", uv_strerror(rc));
    return rc;
  }
  uv_pipe_init(&loop, &c.pipe, 0);
  c.pipe.data = &c;
  uv_timer_init(&loop, &c.timer);
  c.timer.data = &c;
  rc = sw_os_connect(&c.pipe, name, command != NULL, expected_pid, timeout_ms,
                     why, whylen);
  if (rc != 0) {
    c.done = true;
    c.rc = rc;
    uv_close((uv_handle_t *)&c.pipe, NULL);
    uv_close((uv_handle_t *)&c.timer, NULL);
  } else {
    uv_timer_start(&c.timer, client_timeout, timeout_ms, 0);
    uv_read_start((uv_stream_t *)&c.pipe, client_alloc, client_read);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  sw_sbuf_free(&c.in);
  if (c.rc == 0) {
    *status = c.lines[0];
    if (reply != NULL)
      *reply = c.lines[1];
    else
      free(c.lines[1]);
  } else {
    free(c.lines[0]);
    free(c.lines[1]);
    if (rc == 0)
      snprintf(why, whylen, "%s: %s", name,
               c.rc == UV_ETIMEDOUT ? "no answer in time" : uv_strerror(c.rc));
  }
  return c.rc;
}
