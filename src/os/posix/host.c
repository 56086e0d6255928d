/* SPDX-License-Identifier: MIT */
/*
 * The POSIX host: `svcwrap run` in the foreground. SIGTERM, SIGINT and
 * SIGHUP ask for a stop (a second one for terminate), SIGUSR1 for log
 * rotation; all arrive through uv_signal_t on the loop thread. There is no
 * service manager to report to.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/log.h"
#include "os/os.h"
#include "os/posix/internal.h"

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};
#define N_STOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

struct sw_host_s {
  uv_signal_t stop[N_STOP];
  uv_signal_t rotate;
  sw_host_events_t ev;
  unsigned requests;
  bool attached;
};

static void on_stop_signal(uv_signal_t *s, int signum) {
  sw_host_t *h = s->data;

  h->requests++;
  sw_log_info("received %s%s", strsignal(signum),
              h->requests > 1 ? "; terminating now" : "");
  h->ev.on_stop(h->ev.data,
                h->requests > 1 ? SW_STOP_REQ_FORCE : SW_STOP_REQ_STOP);
}

static void on_rotate_signal(uv_signal_t *s, int signum) {
  sw_host_t *h = s->data;

  (void)signum;
  if (h->ev.on_rotate != NULL) h->ev.on_rotate(h->ev.data);
}

int sw_os_host_run(const char *service_name, sw_host_body_fn *body,
                   void *data) {
  sw_host_t h;

  (void)service_name;
  memset(&h, 0, sizeof(h));
  /* Writing to a closed stdout must fail with EPIPE, not kill us. */
  signal(SIGPIPE, SIG_IGN);
  if (sw__posix_guard_start() != 0)
    sw_log_warnx(
        "no orphan guard: the child's processes would survive if "
        "svcwrap itself were killed");
  return body(&h, data);
}

int sw_os_host_attach(sw_host_t *h, uv_loop_t *loop,
                      const sw_host_events_t *ev) {
  size_t i;
  int rc;

  h->ev = *ev;
  for (i = 0; i < N_STOP; i++) {
    uv_signal_init(loop, &h->stop[i]);
    h->stop[i].data = h;
    rc = uv_signal_start(&h->stop[i], on_stop_signal, stop_signals[i]);
    if (rc != 0) {
      sw_log_warnx("watch %s: %s", strsignal(stop_signals[i]), uv_strerror(rc));
      return rc;
    }
  }
  uv_signal_init(loop, &h->rotate);
  h->rotate.data = h;
  rc = uv_signal_start(&h->rotate, on_rotate_signal, SIGUSR1);
  if (rc != 0) sw_log_warnx("watch SIGUSR1: %s", uv_strerror(rc));
  h->attached = true;
  return 0;
}

void sw_os_host_detach(sw_host_t *h) {
  size_t i;

  if (!h->attached) return;
  for (i = 0; i < N_STOP; i++)
    uv_close((uv_handle_t *)&h->stop[i], NULL);
  uv_close((uv_handle_t *)&h->rotate, NULL);
  h->attached = false;
}

void sw_os_host_report(sw_host_t *h, sw_host_state_t st, uint64_t wait_hint_ms,
                       int exit_code) {
  /* No service manager to tell; the state is in the log and status. */
  (void)h;
  (void)st;
  (void)wait_hint_ms;
  (void)exit_code;
}

bool sw_os_host_is_service(const sw_host_t *h) {
  (void)h;
  return false;
}
