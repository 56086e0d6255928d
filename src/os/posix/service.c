/* SPDX-License-Identifier: MIT */
/* POSIX has no service manager of ours: the service verbs are Windows
 * verbs, and say so. */
#include <stdio.h>

#include "core/err.h"
#include "os/os.h"

static int windows_only(const char *verb, char *why, size_t whylen) {
  snprintf(why, whylen,
           "%s is a Windows service verb; on Linux run `svcwrap run -c "
           "FILE` under your init system (systemd, runit, a container)",
           verb);
  return SW_ENOSYS;
}

int sw_os_service_query(const sw_config_t *cfg, sw_svc_info_t *info, char *why,
                        size_t whylen) {
  (void)cfg;
  (void)info;
  return windows_only("querying the service manager", why, whylen);
}

int sw_os_service_install(const sw_config_t *cfg, const char *exe,
                          const char *password, char *why, size_t whylen) {
  (void)cfg;
  (void)exe;
  (void)password;
  return windows_only("install", why, whylen);
}

int sw_os_install_audit(const sw_config_t *cfg, const char *exe, char *why,
                        size_t whylen) {
  (void)cfg;
  (void)exe;
  return windows_only("the install audit", why, whylen);
}

int sw_os_service_uninstall(const sw_config_t *cfg, uint64_t timeout_ms,
                            char *why, size_t whylen) {
  (void)cfg;
  (void)timeout_ms;
  return windows_only("uninstall", why, whylen);
}

int sw_os_service_start(const sw_config_t *cfg, uint64_t timeout_ms,
                        sw_svc_info_t *info, char *why, size_t whylen) {
  (void)cfg;
  (void)timeout_ms;
  (void)info;
  return windows_only("start", why, whylen);
}

int sw_os_service_stop(const sw_config_t *cfg, uint64_t timeout_ms,
                       sw_svc_info_t *info, char *why, size_t whylen) {
  (void)cfg;
  (void)timeout_ms;
  (void)info;
  return windows_only("stop", why, whylen);
}

/* ---- named events: a Windows facility ---------------------------------- */

int sw_os_ctl_event_create(const sw_config_t *cfg, const char *name,
                           sw_ctl_event_t **out, char *why, size_t whylen) {
  (void)cfg;
  *out = NULL;
  snprintf(why, whylen,
           "event %s: named events exist on Windows only; use "
           "signal:NAME on Linux",
           name);
  return SW_ENOSYS;
}

const char *sw_os_ctl_event_name(const sw_ctl_event_t *e) {
  (void)e;
  return "";
}

int sw_os_ctl_event_set(sw_ctl_event_t *e, char *why, size_t whylen) {
  (void)e;
  snprintf(why, whylen, "named events exist on Windows only");
  return SW_ENOSYS;
}

void sw_os_ctl_event_free(sw_ctl_event_t *e) {
  (void)e;
}
