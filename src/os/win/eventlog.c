/* SPDX-License-Identifier: MIT */
/*
 * Windows Event Log entries for the service's lifecycle: start, stop,
 * give-up, abnormal exits. The texts are built by the caller (and also
 * written to the wrapper log); here they are only handed to ReportEventW
 * with message 1 of our message table (res/messages.mc), registered for
 * the source at install. A failure to report is logged and never fails
 * the service.
 */
#include "os/win/internal.h"

#include <stdlib.h>

#include "base/log.h"
#include "os/os.h"

/* Message 1 of res/messages.mc: "%1". */
#define SW_MSG_TEXT 1

static HANDLE source;
static bool warned;

bool sw_os_event_open(const char *service_name) {
  wchar_t *name = sw__win_wide(service_name);

  if (name == NULL) return false;
  source = RegisterEventSourceW(NULL, name);
  if (source == NULL)
    sw_log_warn(
        "RegisterEventSourceW(%s): Event Log entries will be "
        "missing",
        service_name);
  free(name);
  return source != NULL;
}

bool sw_os_event_report(sw_log_level_t level, const char *text) {
  WORD type = level >= SW_LOG_ERROR  ? EVENTLOG_ERROR_TYPE
              : level == SW_LOG_WARN ? EVENTLOG_WARNING_TYPE
                                     : EVENTLOG_INFORMATION_TYPE;
  wchar_t *w;
  LPCWSTR strings[1];
  bool ok;

  if (source == NULL) return false;
  w = sw__win_wide(text);
  if (w == NULL) return false;
  strings[0] = w;
  ok = ReportEventW(source, type, 0, SW_MSG_TEXT, NULL, 1, 0, strings, NULL);
  if (!ok && !warned) {
    warned = true;
    sw_log_warn("ReportEventW: Event Log entries will be missing");
  }
  free(w);
  return ok;
}

void sw_os_event_close(void) {
  if (source != NULL) DeregisterEventSource(source);
  source = NULL;
}
