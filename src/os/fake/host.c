/* SPDX-License-Identifier: MIT */
/*
 * The fake host: runs the body at once (no service manager), delivers the
 * script's stop and rotate requests at their times after attach, and
 * records every state report.
 */
#include <stdio.h>
#include <string.h>

#include "os/fake/fake.h"

struct sw_host_s {
  uv_loop_t *loop;
  sw_host_events_t ev;
  uv_timer_t timer;
  uint64_t start; /* uv_now() at attach */
  bool attached;
};

static sw_host_t host;

int sw_os_host_run(const char *service_name, sw_host_body_fn *body,
                   void *data) {
  memset(&host, 0, sizeof(host));
  snprintf(sw_fake.service_name, sizeof(sw_fake.service_name), "%s",
           service_name);
  return body(&host, data);
}

static void on_timer(uv_timer_t *t);

static void schedule(sw_host_t *h) {
  uint64_t now = uv_now(h->loop) - h->start, at;

  if (sw_fake.n_requests_done >= sw_fake.n_requests) return;
  at = sw_fake.requests[sw_fake.n_requests_done].at_ms;
  uv_timer_start(&h->timer, on_timer, at > now ? at - now : 0, 0);
}

static void on_timer(uv_timer_t *t) {
  static const sw_stop_req_t why[] = {SW_STOP_REQ_STOP, SW_STOP_REQ_SHUTDOWN,
                                      SW_STOP_REQ_FORCE};
  sw_host_t *h = t->data;
  uint64_t now = uv_now(h->loop) - h->start;

  while (h->attached && sw_fake.n_requests_done < sw_fake.n_requests &&
         sw_fake.requests[sw_fake.n_requests_done].at_ms <= now) {
    sw_fake_req_kind_t k = sw_fake.requests[sw_fake.n_requests_done++].kind;

    if (k == SW_FAKE_REQ_ROTATE)
      h->ev.on_rotate(h->ev.data);
    else
      h->ev.on_stop(h->ev.data, why[k]);
  }
  if (h->attached) schedule(h);
}

int sw_os_host_attach(sw_host_t *h, uv_loop_t *loop,
                      const sw_host_events_t *ev) {
  if (sw_fake.attach_error != 0) return sw_fake.attach_error;
  h->loop = loop;
  h->ev = *ev;
  h->start = uv_now(loop);
  uv_timer_init(loop, &h->timer);
  h->timer.data = h;
  h->attached = true;
  schedule(h);
  return 0;
}

void sw_os_host_detach(sw_host_t *h) {
  if (!h->attached) return;
  h->attached = false;
  uv_close((uv_handle_t *)&h->timer, NULL);
}

void sw_os_host_report(sw_host_t *h, sw_host_state_t st, uint64_t wait_hint_ms,
                       int exit_code) {
  (void)h;
  if (sw_fake.n_reports >= SW_FAKE_MAX_RECORDS) {
    sw_fake.overflow++;
    return;
  }
  sw_fake.reports[sw_fake.n_reports].state = st;
  sw_fake.reports[sw_fake.n_reports].wait_hint_ms = wait_hint_ms;
  sw_fake.reports[sw_fake.n_reports].exit_code = exit_code;
  sw_fake.n_reports++;
}

bool sw_os_host_is_service(const sw_host_t *h) {
  (void)h;
  return sw_fake.is_service;
}
