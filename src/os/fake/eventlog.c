/* SPDX-License-Identifier: MIT */
/* The fake system event log: records every entry. */
#include <stdlib.h>
#include <string.h>

#include "os/fake/fake.h"

bool sw_os_event_open(const char *service_name) {
  (void)service_name; /* sw_os_host_run() recorded it */
  sw_fake.event_open = true;
  return true;
}

bool sw_os_event_report(sw_log_level_t level, const char *text) {
  char *copy;

  if (!sw_fake.event_open || sw_fake.event_closed) return false;
  if (sw_fake.n_entries >= SW_FAKE_MAX_RECORDS) {
    sw_fake.overflow++;
    return false;
  }
  copy = strdup(text);
  if (copy == NULL) return false;
  sw_fake.entries[sw_fake.n_entries].level = level;
  sw_fake.entries[sw_fake.n_entries].text = copy;
  sw_fake.n_entries++;
  return true;
}

void sw_os_event_close(void) {
  sw_fake.event_closed = true;
}
