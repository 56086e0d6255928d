/* SPDX-License-Identifier: MIT */
/*
 * The fake's small facts, its endpoint and instance lock (real files in
 * the script's folder), the service manager verbs (none), and the script
 * itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "os/fake/fake.h"

sw_fake_t sw_fake;

void sw_fake_reset(void) {
  unsigned i;

  for (i = 0; i < sw_fake.n_entries; i++)
    free(sw_fake.entries[i].text);
  memset(&sw_fake, 0, sizeof(sw_fake));
}

/* ---- small facts ----------------------------------------------------------
 */

void sw_os_last_error_text(char *buf, size_t len) {
  int e = errno;

  snprintf(buf, len, "%s (%d)", strerror(e), e);
}

bool sw_os_stderr_is_null(void) {
  return !sw_fake.show_stderr;
}

/* UTC: time stamps in the logs do not depend on the machine's zone. */
int sw_os_utc_offset_min(int64_t t) {
  (void)t;
  return 0;
}

/* ---- the endpoint and the instance lock --------------------------------- */

struct sw_instance_lock_s {
  char *path;
};

char *sw_os_endpoint_name(const sw_config_t *cfg) {
  size_t n = strlen(sw_fake.dir ? sw_fake.dir : ".") + strlen(cfg->name) + 8;
  char *s = malloc(n);

  if (s != NULL)
    snprintf(s, n, "%s/%s.sock", sw_fake.dir ? sw_fake.dir : ".", cfg->name);
  return s;
}

/* "<endpoint>.lock", created exclusively: a second claim finds it. */
int sw_os_instance_lock(const char *endpoint, sw_instance_lock_t **out,
                        char *why, size_t whylen) {
  sw_instance_lock_t *l = calloc(1, sizeof(*l));
  size_t n = strlen(endpoint) + 6;
  uv_fs_t req;
  int rc;

  *out = NULL;
  if (l == NULL || (l->path = malloc(n)) == NULL) {
    free(l);
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  snprintf(l->path, n, "%s.lock", endpoint);
  rc = uv_fs_open(NULL, &req, l->path,
                  UV_FS_O_CREAT | UV_FS_O_EXCL | UV_FS_O_WRONLY, 0600, NULL);
  uv_fs_req_cleanup(&req);
  if (rc < 0) {
    snprintf(why, whylen, "%s: %s", l->path, uv_strerror(rc));
    free(l->path);
    free(l);
    return rc;
  }
  uv_fs_close(NULL, &req, rc, NULL);
  uv_fs_req_cleanup(&req);
  *out = l;
  return 0;
}

void sw_os_instance_unlock(sw_instance_lock_t *l) {
  uv_fs_t req;

  if (l == NULL) return;
  uv_fs_unlink(NULL, &req, l->path, NULL);
  uv_fs_req_cleanup(&req);
  free(l->path);
  free(l);
}

/* ---- the service manager: not here --------------------------------------- */

static int none(char *why, size_t whylen) {
  snprintf(why, whylen, "the fake OS has no service manager");
  return SW_ENOSYS;
}

int sw_os_service_query(const sw_config_t *cfg, sw_svc_info_t *info, char *why,
                        size_t whylen) {
  (void)cfg;
  memset(info, 0, sizeof(*info));
  return none(why, whylen);
}

int sw_os_service_install(const sw_config_t *cfg, const char *exe,
                          const char *password, char *why, size_t whylen) {
  (void)cfg;
  (void)exe;
  (void)password;
  return none(why, whylen);
}

int sw_os_service_uninstall(const sw_config_t *cfg, uint64_t timeout_ms,
                            char *why, size_t whylen) {
  (void)cfg;
  (void)timeout_ms;
  return none(why, whylen);
}

int sw_os_service_start(const sw_config_t *cfg, uint64_t timeout_ms,
                        sw_svc_info_t *info, char *why, size_t whylen) {
  (void)cfg;
  (void)timeout_ms;
  memset(info, 0, sizeof(*info));
  return none(why, whylen);
}

int sw_os_service_stop(const sw_config_t *cfg, uint64_t timeout_ms,
                       sw_svc_info_t *info, char *why, size_t whylen) {
  (void)cfg;
  (void)timeout_ms;
  memset(info, 0, sizeof(*info));
  return none(why, whylen);
}

int sw_os_ctl_event_create(const sw_config_t *cfg, const char *name,
                           sw_ctl_event_t **out, char *why, size_t whylen) {
  (void)cfg;
  *out = NULL;
  snprintf(why, whylen, "the fake OS has no named events (%s)", name);
  return SW_ENOSYS;
}

const char *sw_os_ctl_event_name(const sw_ctl_event_t *e) {
  (void)e;
  return "";
}

int sw_os_ctl_event_set(sw_ctl_event_t *e, char *why, size_t whylen) {
  (void)e;
  snprintf(why, whylen, "the fake OS has no named events");
  return SW_ENOSYS;
}

void sw_os_ctl_event_free(sw_ctl_event_t *e) {
  (void)e;
}

int sw_os_read_secret(char *buf, size_t len, char *why, size_t whylen) {
  (void)buf;
  (void)len;
  snprintf(why, whylen, "the fake OS has no standard input");
  return SW_ENOSYS;
}
