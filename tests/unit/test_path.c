/* SPDX-License-Identifier: MIT */
/*
 * core/path.c: lexical path resolution for both styles, on Linux, so the
 * Windows rules (drives, UNC shares, \\?\ paths, root-relative and
 * drive-relative paths) are tested without Windows.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/path.h"

typedef struct {
  const char *base;
  const char *p;
  const char *want; /* NULL: SW_EINVAL */
} resolve_t;

static void check_resolve(sw_path_style_t st, const resolve_t *cases,
                          size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    char *out = (char *)"sentinel";
    int rc = sw_path_resolve(st, cases[i].base, cases[i].p, &out);

    if (cases[i].want == NULL) {
      if (rc != SW_EINVAL)
        fail_msg("resolve(%s, <%s>, <%s>): rc %d, want SW_EINVAL",
                 st == SW_PATH_WIN ? "win" : "posix", cases[i].base, cases[i].p,
                 rc);
      if (out != NULL)
        fail_msg("resolve(<%s>, <%s>): *out not NULL on failure", cases[i].base,
                 cases[i].p);
      continue;
    }
    if (rc != 0)
      fail_msg("resolve(%s, <%s>, <%s>): rc %d",
               st == SW_PATH_WIN ? "win" : "posix", cases[i].base, cases[i].p,
               rc);
    if (strcmp(out, cases[i].want) != 0)
      fail_msg("resolve(%s, <%s>, <%s>) = <%s>, want <%s>",
               st == SW_PATH_WIN ? "win" : "posix", cases[i].base, cases[i].p,
               out, cases[i].want);
    free(out);
  }
}

static void posix_resolve(void **state) {
  static const resolve_t cases[] = {
      {"/etc/svc", "app", "/etc/svc/app"},
      {"/etc/svc", "bin/app", "/etc/svc/bin/app"},
      {"/etc/svc", "./bin/../app", "/etc/svc/app"},
      {"/etc/svc", ".", "/etc/svc"},
      {"/etc/svc", "./", "/etc/svc"},
      {"/etc/svc", "..", "/etc"},
      {"/etc/svc", "../../../../x", "/x"},
      {"/etc/svc", "a//b/", "/etc/svc/a/b"},
      {"/etc/svc", "/usr/bin/x", "/usr/bin/x"},
      {"/etc/svc", "/usr/../bin/./x", "/bin/x"},
      {"/etc/svc", "//x///y", "/x/y"},
      {"/etc/svc", "/", "/"},
      {"/etc/svc", "/..", "/"},
      {"/", "a", "/a"},
      {"/", "..", "/"},
      {"/a/b/", "c", "/a/b/c"},
      {"/a/./b/../c", "d", "/a/c/d"}, /* base is normalised too */
      /* A backslash is an ordinary character in POSIX names. */
      {"/etc/svc", "a\\b", "/etc/svc/a\\b"},
      {"/etc/svc", "C:x", "/etc/svc/C:x"},
      {"/etc/svc", "C:\\x", "/etc/svc/C:\\x"},
      {"/etc/svc", "", NULL},
  };

  (void)state;
  check_resolve(SW_PATH_POSIX, cases, sizeof(cases) / sizeof(cases[0]));
}

static void win_resolve_drive(void **state) {
  static const resolve_t cases[] = {
      {"C:\\svc", "bin\\app.exe", "C:\\svc\\bin\\app.exe"},
      {"C:\\svc", "bin/app.exe", "C:\\svc\\bin\\app.exe"},
      {"C:\\svc\\", "app.exe", "C:\\svc\\app.exe"},
      {"C:\\svc", ".\\a\\.\\b\\..\\c", "C:\\svc\\a\\c"},
      {"C:\\svc", ".", "C:\\svc"},
      {"C:\\svc", "..", "C:\\"},
      {"C:\\svc", "..\\..\\..\\x", "C:\\x"},
      {"C:\\svc", "a\\\\b//c\\", "C:\\svc\\a\\b\\c"},
      {"C:\\", "x", "C:\\x"},
      {"C:\\", "..", "C:\\"},
      {"C:/svc", "x", "C:\\svc\\x"},
      /* Absolute drive paths, '/' and '\', any letter case. */
      {"C:\\svc", "D:\\x\\y", "D:\\x\\y"},
      {"C:\\svc", "D:/x/./y/../z", "D:\\x\\z"},
      {"C:\\svc", "d:\\x", "D:\\x"},
      {"c:\\svc", "x", "C:\\svc\\x"},
      {"C:\\svc", "D:\\", "D:\\"},
      {"C:\\svc", "D:\\..\\..", "D:\\"},
      /* Names with spaces and non-ASCII characters are kept as written. */
      {"C:\\Program Files\\My App", "caf\xC3\xA9 dir\\a.exe",
       "C:\\Program Files\\My App\\caf\xC3\xA9 dir\\a.exe"},
  };

  (void)state;
  check_resolve(SW_PATH_WIN, cases, sizeof(cases) / sizeof(cases[0]));
}

static void win_resolve_unc(void **state) {
  static const resolve_t cases[] = {
      {"C:\\svc", "\\\\server\\share\\x", "\\\\server\\share\\x"},
      {"C:\\svc", "\\\\server\\share\\x\\.\\y", "\\\\server\\share\\x\\y"},
      {"C:\\svc", "//server/share/x", "\\\\server\\share\\x"},
      /* ".." never climbs above the share. */
      {"C:\\svc", "\\\\server\\share\\x\\..\\..\\..\\y",
       "\\\\server\\share\\y"},
      {"C:\\svc", "\\\\server\\share\\..", "\\\\server\\share\\"},
      {"C:\\svc", "\\\\server\\share", "\\\\server\\share"},
      /* A UNC base. */
      {"\\\\server\\share\\dir", "a\\b", "\\\\server\\share\\dir\\a\\b"},
      {"\\\\server\\share\\dir", "..\\..\\..\\x", "\\\\server\\share\\x"},
      {"\\\\server\\share", "x", "\\\\server\\share\\x"},
      {"\\\\server\\share", "..", "\\\\server\\share"},
  };

  (void)state;
  check_resolve(SW_PATH_WIN, cases, sizeof(cases) / sizeof(cases[0]));
}

static void win_resolve_special(void **state) {
  static const resolve_t cases[] = {
      /* \\?\ and \\.\ paths are taken verbatim. */
      {"C:\\svc", "\\\\?\\C:\\a\\..\\b/c", "\\\\?\\C:\\a\\..\\b/c"},
      {"C:\\svc", "\\\\?\\UNC\\srv\\sh\\x", "\\\\?\\UNC\\srv\\sh\\x"},
      {"C:\\svc", "\\\\.\\pipe\\svcwrap", "\\\\.\\pipe\\svcwrap"},
      /* Root-relative: the drive or share of base. */
      {"D:\\svc\\conf", "\\x\\y", "D:\\x\\y"},
      {"D:\\svc\\conf", "/x/y", "D:\\x\\y"},
      {"d:\\svc", "\\x", "D:\\x"},
      {"D:\\svc", "\\..\\x", "D:\\x"},
      {"D:\\svc", "\\", "D:\\"},
      {"\\\\srv\\sh\\dir", "\\x", "\\\\srv\\sh\\x"},
      {"\\\\srv\\sh\\dir", "\\..\\x", "\\\\srv\\sh\\x"},
      /* Drive-relative paths depend on a per-drive current directory. */
      {"C:\\svc", "C:x", NULL},
      {"C:\\svc", "C:app.exe", NULL},
      {"C:\\svc", "D:", NULL},
      {"C:\\svc", "c:..\\x", NULL},
      {"C:\\svc", "", NULL},
  };

  (void)state;
  check_resolve(SW_PATH_WIN, cases, sizeof(cases) / sizeof(cases[0]));
}

static void is_absolute(void **state) {
  (void)state;
  assert_true(sw_path_is_absolute(SW_PATH_POSIX, "/x"));
  assert_true(sw_path_is_absolute(SW_PATH_POSIX, "/"));
  assert_false(sw_path_is_absolute(SW_PATH_POSIX, "x/y"));
  assert_false(sw_path_is_absolute(SW_PATH_POSIX, "C:\\x"));
  assert_false(sw_path_is_absolute(SW_PATH_POSIX, ""));

  assert_true(sw_path_is_absolute(SW_PATH_WIN, "C:\\x"));
  assert_true(sw_path_is_absolute(SW_PATH_WIN, "c:/x"));
  assert_true(sw_path_is_absolute(SW_PATH_WIN, "C:\\"));
  assert_true(sw_path_is_absolute(SW_PATH_WIN, "\\\\server\\share"));
  assert_true(sw_path_is_absolute(SW_PATH_WIN, "//server/share/x"));
  assert_true(sw_path_is_absolute(SW_PATH_WIN, "\\\\?\\C:\\x"));
  assert_true(sw_path_is_absolute(SW_PATH_WIN, "\\\\.\\pipe\\x"));
  assert_false(sw_path_is_absolute(SW_PATH_WIN, "\\x"));
  assert_false(sw_path_is_absolute(SW_PATH_WIN, "/x"));
  assert_false(sw_path_is_absolute(SW_PATH_WIN, "C:x"));
  assert_false(sw_path_is_absolute(SW_PATH_WIN, "C:"));
  assert_false(sw_path_is_absolute(SW_PATH_WIN, "x\\y"));
  assert_false(sw_path_is_absolute(SW_PATH_WIN, ""));
}

typedef struct {
  sw_path_style_t st;
  const char *p;
  const char *want;
} one_t;

static void dirname_cases(void **state) {
  static const one_t cases[] = {
      {SW_PATH_POSIX, "/etc/svc/svc.ini", "/etc/svc"},
      {SW_PATH_POSIX, "/svc.ini", "/"},
      {SW_PATH_POSIX, "/", "/"},
      {SW_PATH_POSIX, "svc.ini", "."},
      {SW_PATH_POSIX, "a/b", "a"},
      {SW_PATH_POSIX, "/a//b", "/a"},
      {SW_PATH_POSIX, "/a\\b", "/"},
      {SW_PATH_WIN, "C:\\svc\\svc.ini", "C:\\svc"},
      {SW_PATH_WIN, "C:\\svc\\sub\\svc.ini", "C:\\svc\\sub"},
      {SW_PATH_WIN, "C:/svc/svc.ini", "C:/svc"},
      {SW_PATH_WIN, "C:\\svc.ini", "C:\\"},
      {SW_PATH_WIN, "C:\\", "C:\\"},
      {SW_PATH_WIN, "\\\\srv\\share\\dir\\svc.ini", "\\\\srv\\share\\dir"},
      {SW_PATH_WIN, "\\\\srv\\share\\svc.ini", "\\\\srv\\share\\"},
      {SW_PATH_WIN, "\\\\?\\C:\\svc\\svc.ini", "\\\\?\\C:\\svc"},
      {SW_PATH_WIN, "svc.ini", "."},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *out = NULL;

    assert_int_equal(sw_path_dirname(cases[i].st, cases[i].p, &out), 0);
    if (strcmp(out, cases[i].want) != 0)
      fail_msg("dirname(<%s>) = <%s>, want <%s>", cases[i].p, out,
               cases[i].want);
    free(out);
  }
}

static void basename_cases(void **state) {
  (void)state;
  assert_string_equal(sw_path_basename(SW_PATH_WIN, "C:\\svc\\svc.ini"),
                      "svc.ini");
  assert_string_equal(sw_path_basename(SW_PATH_WIN, "C:/svc/app.exe"),
                      "app.exe");
  assert_string_equal(sw_path_basename(SW_PATH_WIN, "app.exe"), "app.exe");
  assert_string_equal(sw_path_basename(SW_PATH_WIN, "C:\\svc\\"), "");
  assert_string_equal(sw_path_basename(SW_PATH_POSIX, "/etc/svc.ini"),
                      "svc.ini");
  assert_string_equal(sw_path_basename(SW_PATH_POSIX, "/etc/a\\b"), "a\\b");
  assert_string_equal(sw_path_basename(SW_PATH_POSIX, "x"), "x");
}

typedef struct {
  sw_path_style_t st;
  const char *p;
  const char *ext;
  const char *want;
} ext_t;

static void replace_ext_cases(void **state) {
  static const ext_t cases[] = {
      {SW_PATH_WIN, "C:\\svc\\svcwrap.exe", ".ini", "C:\\svc\\svcwrap.ini"},
      {SW_PATH_WIN, "C:\\svc\\myapp-svc.exe", ".ini", "C:\\svc\\myapp-svc.ini"},
      {SW_PATH_WIN, "C:\\svc\\a.tar.gz", ".ini", "C:\\svc\\a.tar.ini"},
      /* A dot in a folder name is not an extension. */
      {SW_PATH_WIN, "C:\\my.dir\\svcwrap", ".ini", "C:\\my.dir\\svcwrap.ini"},
      /* A leading dot names a file, it does not start an extension. */
      {SW_PATH_WIN, "C:\\svc\\.hidden", ".ini", "C:\\svc\\.hidden.ini"},
      {SW_PATH_WIN, "C:\\svc\\x.", ".log", "C:\\svc\\x.log"},
      {SW_PATH_POSIX, "/usr/bin/svcwrap", ".ini", "/usr/bin/svcwrap.ini"},
      {SW_PATH_POSIX, "/opt/a.b\\c", ".ini", "/opt/a.ini"},
      {SW_PATH_POSIX, "/opt/svc.old/svc", "", "/opt/svc.old/svc"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *out = NULL;

    assert_int_equal(
        sw_path_replace_ext(cases[i].st, cases[i].p, cases[i].ext, &out), 0);
    if (strcmp(out, cases[i].want) != 0)
      fail_msg("replace_ext(<%s>, <%s>) = <%s>, want <%s>", cases[i].p,
               cases[i].ext, out, cases[i].want);
    free(out);
  }
}

/* A path of exactly n characters: prefix, then 'a's and '\' every 10. */
static char *long_path(const char *prefix, size_t n, char sep) {
  char *p = malloc(n + 1);
  size_t i, k = strlen(prefix);

  assert_non_null(p);
  assert_true(k < n);
  memcpy(p, prefix, k);
  for (i = k; i < n; i++)
    p[i] = (i - k) % 10 == 9 ? sep : 'a';
  p[n - 1] = 'z'; /* never end with a separator */
  p[n] = '\0';
  return p;
}

static void win_long(void **state) {
  char *p, *out, *want;

  (void)state;
  /* Short paths are unchanged. */
  assert_int_equal(sw_path_win_long("C:\\svc\\app.exe", &out), 0);
  assert_string_equal(out, "C:\\svc\\app.exe");
  free(out);

  /* 247 characters: unchanged; 248 (no room left for an 8.3 name in a
   * directory of MAX_PATH): prefixed. */
  p = long_path("C:\\", 247, '\\');
  assert_int_equal(sw_path_win_long(p, &out), 0);
  assert_string_equal(out, p);
  free(out);
  free(p);

  p = long_path("C:\\", 248, '\\');
  assert_int_equal(sw_path_win_long(p, &out), 0);
  assert_int_equal(strlen(out), 252);
  assert_int_equal(strncmp(out, "\\\\?\\C:\\", 7), 0);
  assert_string_equal(out + 4, p);
  free(out);
  free(p);

  p = long_path("D:\\", 400, '\\');
  assert_int_equal(sw_path_win_long(p, &out), 0);
  assert_int_equal(strncmp(out, "\\\\?\\", 4), 0);
  assert_string_equal(out + 4, p);
  free(out);
  free(p);

  /* UNC: \\server\share\x -> \\?\UNC\server\share\x */
  p = long_path("\\\\server\\share\\", 300, '\\');
  assert_int_equal(sw_path_win_long(p, &out), 0);
  want = malloc(strlen(p) + 8);
  assert_non_null(want);
  strcpy(want, "\\\\?\\UNC\\");
  strcat(want, p + 2);
  assert_string_equal(out, want);
  free(want);
  free(out);
  free(p);

  /* Already a device path: unchanged, whatever its length. */
  p = long_path("\\\\?\\C:\\", 300, '\\');
  assert_int_equal(sw_path_win_long(p, &out), 0);
  assert_string_equal(out, p);
  free(out);
  free(p);

  /* A short UNC path is unchanged. */
  assert_int_equal(sw_path_win_long("\\\\srv\\sh\\x", &out), 0);
  assert_string_equal(out, "\\\\srv\\sh\\x");
  free(out);
}

/* A \\?\ path is not normalised by Windows, so '/' would not separate
 * anything after the prefix: the long form must use '\' throughout. */
static void win_long_forward_slashes(void **state) {
  char *p, *out, *want;
  size_t i;

  (void)state;
  p = long_path("C:/", 300, '/');
  assert_int_equal(sw_path_win_long(p, &out), 0);
  want = malloc(strlen(p) + 5);
  assert_non_null(want);
  strcpy(want, "\\\\?\\");
  strcat(want, p);
  for (i = 4; want[i] != '\0'; i++)
    if (want[i] == '/') want[i] = '\\';
  assert_string_equal(out, want);
  free(want);
  free(out);
  free(p);

  p = long_path("//server/share/", 300, '/');
  assert_int_equal(sw_path_win_long(p, &out), 0);
  assert_int_equal(strncmp(out, "\\\\?\\UNC\\server\\share\\", 21), 0);
  assert_null(strchr(out, '/'));
  free(out);
  free(p);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(posix_resolve),
    cmocka_unit_test(win_resolve_drive),
    cmocka_unit_test(win_resolve_unc),
    cmocka_unit_test(win_resolve_special),
    cmocka_unit_test(is_absolute),
    cmocka_unit_test(dirname_cases),
    cmocka_unit_test(basename_cases),
    cmocka_unit_test(replace_ext_cases),
    cmocka_unit_test(win_long),
    cmocka_unit_test(win_long_forward_slashes),
};

const sw_test_group_t sw_group_path = SW_GROUP("path", tests);
