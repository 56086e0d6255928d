/* SPDX-License-Identifier: MIT */
/*
 * The POSIX host: `svcwrap run` in the foreground. SIGTERM, SIGINT and
 * SIGHUP ask for a stop (a second one for terminate; SIGHUP is [control]
 * reload instead when that is set), SIGUSR1 for log
 * rotation; all arrive through uv_signal_t on the loop thread. There is no
 * service manager to report to.
 *
 * The wrapper is a child subreaper, so every orphan of the child's tree is
 * reparented to it and reaped (child.c). As PID 1 of a container (pid
 * namespace) it is already everyone's reaper; then it also exits like
 * tini: with the child's status (code, or 128 + signal) when the service
 * ended because the child exited and was not restarted.
 */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
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

static bool accepts(const sw_host_t *h, unsigned code) {
  return code < 256 && (h->ev.controls[code / 8] >> (code % 8)) & 1;
}

static void on_stop_signal(uv_signal_t *s, int signum) {
  sw_host_t *h = s->data;

  if (signum == SIGHUP && h->ev.on_control != NULL &&
      accepts(h, SW_CONTROL_RELOAD)) {
    sw_log_info("received %s: reload", strsignal(signum));
    h->ev.on_control(h->ev.data, SW_CONTROL_RELOAD);
    return;
  }
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

/* After the loop: end what is left of the tree and reap it (the reaper's
 * handle is closed by now), so that nothing outlives `svcwrap run`. */
static void final_cleanup(void) {
  int status;
  pid_t r;

  sw__posix_end_tree("service ended");
  do
    r = waitpid(-1, &status, WNOHANG);
  while (r > 0 || (r < 0 && errno == EINTR));
}

int sw_os_host_run(const char *service_name, sw_host_body_fn *body,
                   void *data) {
  sw_host_t h;
  int rc, code, sig;

  (void)service_name;
  memset(&h, 0, sizeof(h));
  /* Writing to a closed stdout must fail with EPIPE, not kill us. */
  signal(SIGPIPE, SIG_IGN);
  sw__posix_tree_init();
  if (sw__posix_guard_start() != 0)
    sw_log_warnx(
        "no orphan guard: the child's processes would survive if "
        "svcwrap itself were killed");
  /* After the guard is forked: it must not become our child. */
  /* Orphans of the child's tree (setsid'd daemons included) become our
   * children instead of init's: we can reap them and end them. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    sw_log_warn(
        "PR_SET_CHILD_SUBREAPER (processes of the child that leave its "
        "session and lose their parent would escape a stop)");
  rc = body(&h, data);
  final_cleanup();
  if (getpid() == 1 && h.requests == 0 && sw__posix_last_exit(&code, &sig)) {
    /* An entrypoint's exit status is the container's: pass the child's
     * on, as tini and dumb-init do. After a requested stop (docker stop),
     * the wrapper's own code (0 for a clean stop). */
    rc = sig ? 128 + sig : code;
    sw_log_info("exiting with the child's status %d (PID 1)", rc);
  }
  return rc;
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
