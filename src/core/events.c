/* SPDX-License-Identifier: MIT */
/* Event log entry texts. */
#include "core/events.h"

#include "core/sbuf.h"

static void put_exit(sw_sbuf_t *b, const sw_sup_t *sup) {
  if (sup->last_exit.signal != 0)
    sw_sbuf_printf(b, "signal %d", sup->last_exit.signal);
  else if (sup->last_exit.code >= 0x80000000u)
    sw_sbuf_printf(b, "exit code 0x%08X", sup->last_exit.code);
  else
    sw_sbuf_printf(b, "exit code %u", sup->last_exit.code);
  sw_sbuf_printf(b, " (%s)", sw_exit_class_name(sup->last_decision.cls));
}

char *sw_event_text(sw_evt_t kind, const char *service, const char *exe,
                    const sw_sup_t *sup, const char *const *tail,
                    unsigned n_tail) {
  sw_sbuf_t b = SW_SBUF_INIT;
  unsigned i;

  switch (kind) {
  case SW_EVT_STARTED:
    sw_sbuf_printf(&b, "Service %s started %s (pid %d).", service, exe,
                   sup->pid);
    break;
  case SW_EVT_STOPPED:
    sw_sbuf_printf(&b, "Service %s stopped: %s.", service, sup->reason);
    break;
  case SW_EVT_FAILED:
    if (sup->unkillable_pid != 0) {
      /* No exit to show: the child never ended. */
      sw_sbuf_printf(&b,
                     "Service %s failed: %s; pid %d could not be killed "
                     "and was left behind. The service's exit code is "
                     "%d (0x%08X).",
                     service, sup->reason, sup->unkillable_pid, sup->exit_code,
                     (unsigned)sup->exit_code);
      break;
    }
    sw_sbuf_printf(&b, "Service %s failed: %s. Last ", service, sup->reason);
    put_exit(&b, sup);
    sw_sbuf_printf(&b, "; the service's exit code is %d.", sup->exit_code);
    break;
  case SW_EVT_CRASHED:
    sw_sbuf_printf(&b, "The child of service %s (%s) ended with ", service,
                   exe);
    put_exit(&b, sup);
    sw_sbuf_printf(
        &b, " after %llu ms.",
        (unsigned long long)(sup->last_exit.at_ms - sup->last_exit.started_ms));
    break;
  }
  if (n_tail > 0 && (kind == SW_EVT_CRASHED || kind == SW_EVT_FAILED)) {
    sw_sbuf_printf(&b, "\r\nIts last %u lines of output:", n_tail);
    for (i = 0; i < n_tail; i++)
      sw_sbuf_printf(&b, "\r\n  %s", tail[i]);
  }
  return sw_sbuf_take(&b);
}
