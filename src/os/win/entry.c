/* SPDX-License-Identifier: MIT */
/*
 * Windows entry point: wmain (built with -municode) gets the arguments as
 * UTF-16 exactly as CommandLineToArgvW splits them; they become UTF-8 for
 * the rest of svcwrap.
 */
#include "os/win/internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "main.h"

/* The -municode entry point; declared here for -Wmissing-prototypes. */
int wmain(int argc, wchar_t **wargv);

int wmain(int argc, wchar_t **wargv) {
  char **argv = calloc((size_t)argc + 1, sizeof(*argv));
  int i, rc;

  if (argv == NULL) return 1;
  for (i = 0; i < argc; i++) {
    argv[i] = sw__win_utf8(wargv[i], -1);
    if (argv[i] == NULL) {
      fprintf(stderr, "svcwrap: argument %d is not valid Unicode\n", i);
      return 2;
    }
  }
  /* UTF-8 text on a console shows as such (Windows 10 1903+). */
  SetConsoleOutputCP(CP_UTF8);
  rc = sw_main(argc, argv);
  for (i = 0; i < argc; i++)
    free(argv[i]);
  free(argv);
  return rc;
}
