/* SPDX-License-Identifier: MIT */
/* The log path collision check (core/config_paths.c) on both platforms;
 * `check` on Linux is covered by tests/integration/test_check.py. */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"

static char *no_env(const char *name, void *data) {
  (void)name;
  (void)data;
  return NULL;
}

/* Parse [log] `log` for a service named col; return the first error's
 * text ("" if none) in buf. */
static int parse(sw_platform_t platform, const char *log, char *buf, size_t n) {
  const char *path =
      platform == SW_PLATFORM_WIN ? "C:\\svc\\col.ini" : "/svc/col.ini";
  char text[1024];
  sw_diags_t d = {0};
  sw_config_t *c = NULL;
  unsigned i;
  int rc;

  snprintf(text, sizeof(text),
           "[service]\nname = col\n[process]\nexecutable = %s\n[log]\n%s\n",
           platform == SW_PLATFORM_WIN ? "C:\\app\\app.exe" : "/bin/true", log);
  rc =
      sw_config_parse(path, text, strlen(text), platform, no_env, NULL, &c, &d);
  buf[0] = '\0';
  for (i = 0; i < d.n; i++) {
    if (d.v[i].is_error) {
      snprintf(buf, n, "%d: %s", d.v[i].line, d.v[i].text);
      break;
    }
  }
  sw_config_free(c);
  sw_diags_free(&d);
  return rc;
}

static void windows_case_does_not_count(void **state) {
  char err[1024];

  (void)state;
  assert_int_equal(
      parse(SW_PLATFORM_WIN, "stdout = App.Out.log\nstderr = app.out.LOG", err,
            sizeof(err)),
      SW_ECONFIG);
  assert_non_null(strstr(err,
                         "7: [log] stderr: C:\\svc\\logs\\app.out.LOG "
                         "collides with [log] stdout "
                         "C:\\svc\\logs\\App.Out.log (the same file on "
                         "Windows"));
  assert_int_equal(
      parse(SW_PLATFORM_WIN, "stdout = COL.SVCWRAP.3.LOG", err, sizeof(err)),
      SW_ECONFIG);
  assert_non_null(strstr(err, "6: [log] stdout: "));
  assert_non_null(strstr(err, "(it is one of its rotated names)"));
  /* Slashes are folded before the comparison. */
  assert_int_equal(
      parse(SW_PLATFORM_WIN, "stdout = sub/x.log\nstderr = sub\\x.2.log", err,
            sizeof(err)),
      SW_ECONFIG);
  /* Merged is allowed, on both platforms. */
  assert_int_equal(parse(SW_PLATFORM_WIN, "stdout = a.log\nstderr = a.log", err,
                         sizeof(err)),
                   0);
  assert_int_equal(parse(SW_PLATFORM_POSIX, "stdout = a.log\nstderr = a.log",
                         err, sizeof(err)),
                   0);
  /* Case counts on Linux. */
  assert_int_equal(
      parse(SW_PLATFORM_POSIX, "stdout = App.Out.log\nstderr = app.out.log",
            err, sizeof(err)),
      0);
}

static void defaults_do_not_collide(void **state) {
  char err[1024];

  (void)state;
  assert_int_equal(parse(SW_PLATFORM_WIN, "", err, sizeof(err)), 0);
  assert_int_equal(parse(SW_PLATFORM_POSIX, "", err, sizeof(err)), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(windows_case_does_not_count),
    cmocka_unit_test(defaults_do_not_collide),
};

const sw_test_group_t sw_group_config_paths = SW_GROUP("config_paths", tests);
