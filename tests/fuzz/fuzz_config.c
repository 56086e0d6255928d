/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for svcwrap's parsers. The first input byte chooses the
 * parser, the rest is its input:
 *   0: the INI loader, POSIX rules      1: the INI loader, Windows rules
 *   2: durations    3: sizes    4: exit codes    5: lists
 *   6: arguments: split, then quote and split again, which must give the
 *      same arguments (the round trip the Windows command line relies on)
 *   7: paths, both styles, against a fixed base      8: %VAR% expansion
 * Crashes, sanitizer reports and a failed round trip abort. Built and run
 * by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmdline.h"
#include "core/config.h"
#include "core/expand.h"
#include "core/path.h"
#include "core/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fake_getenv(const char *name, void *data) {
  (void)data;
  if (strcmp(name, "HOME") == 0) return strdup("/home/svc");
  if (strcmp(name, "SPACES") == 0) return strdup("C:\\Program Files\\x y");
  return NULL;
}

static void fuzz_config(const char *s, size_t n, sw_platform_t p) {
  sw_diags_t d = {0};
  sw_config_t *c = NULL;
  char *dump = NULL;

  if (sw_config_parse(
          p == SW_PLATFORM_WIN ? "C:\\svc\\fuzz.ini" : "/svc/fuzz.ini", s, n, p,
          fake_getenv, NULL, &c, &d) == 0) {
    if (sw_config_dump(c, &dump) == 0) free(dump);
    sw_config_free(c);
  }
  sw_diags_free(&d);
}

static void fuzz_argv(const char *s) {
  sw_argv_t a, b;
  sw_sbuf_t q = SW_SBUF_INIT;
  int i;

  if (sw_argv_split(s, &a) != 0) return;
  for (i = 0; i < a.n; i++) {
    if (i > 0) sw_sbuf_put(&q, " ", 1);
    sw_argv_quote_append(a.v[i], &q);
  }
  if (!sw_sbuf_failed(&q) && sw_argv_split(q.p ? q.p : "", &b) == 0) {
    if (b.n != a.n) abort();
    for (i = 0; i < a.n; i++)
      if (strcmp(a.v[i], b.v[i]) != 0) abort();
    sw_argv_free(&b);
  }
  sw_sbuf_free(&q);
  sw_argv_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[256], *s, *out = NULL;
  char *items[16];
  uint64_t u;
  uint32_t code;

  if (size < 1) return 0;
  s = malloc(size);
  if (s == NULL) return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = '\0';
  switch (data[0] % 9) {
  case 0:
  case 1:
    /* The loader takes a length: give it the raw bytes, NULs included. */
    fuzz_config((const char *)data + 1, size - 1,
                data[0] % 9 ? SW_PLATFORM_WIN : SW_PLATFORM_POSIX);
    break;
  case 2:
    sw_parse_duration(s, &u, why, sizeof(why));
    break;
  case 3:
    sw_parse_size(s, &u, why, sizeof(why));
    break;
  case 4:
    sw_parse_exit_code(s, &code, why, sizeof(why));
    break;
  case 5:
    sw_split_list(s, items, 16, why, sizeof(why));
    break;
  case 6:
    fuzz_argv(s);
    break;
  case 7:
    if (sw_path_resolve(SW_PATH_WIN, "C:\\base\\dir", s, &out) == 0) {
      free(out);
      out = NULL;
    }
    if (sw_path_resolve(SW_PATH_POSIX, "/base/dir", s, &out) == 0) free(out);
    out = NULL;
    if (sw_path_win_long(s, &out) == 0) free(out);
    break;
  case 8:
    if (sw_expand(s, fake_getenv, NULL, &out, why, sizeof(why)) == 0) free(out);
    break;
  }
  free(s);
  return 0;
}
