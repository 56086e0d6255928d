/* SPDX-License-Identifier: MIT */
/* POSIX has no Event Log: lifecycle events are in the wrapper log (and
 * on stderr, which journald or a container runtime collects). */
#include "os/os.h"

bool sw_os_event_open(const char *service_name) {
  (void)service_name;
  return false;
}

bool sw_os_event_report(sw_log_level_t level, const char *text) {
  (void)level;
  (void)text;
  return false;
}

void sw_os_event_close(void) {
}
