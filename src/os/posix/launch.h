/* SPDX-License-Identifier: MIT */
/*
 * What a process is started with: the program posix_spawn runs, its
 * arguments and its environment (launch.c). The service's child keeps
 * one from start to start while what it is made of stays the same: the
 * executable, arguments and [environment] of the configuration and the
 * extra environment entries (copies of all of them are compared at each
 * start), and the wrapper's own environment, which it never changes. So a
 * crash loop builds them once instead of allocating and freeing every
 * variable at every restart; with musl's allocator (the static release
 * binary) a block alone in its size class cost an mmap and a munmap each
 * time.
 * Hooks build theirs at each start. Runs on: loop thread.
 */
#ifndef SW_OS_POSIX_LAUNCH_H
#define SW_OS_POSIX_LAUNCH_H

#include <stdbool.h>

#include "os/os.h"

typedef struct {
  const char *program; /* the command, the executable, or, for
                          WATCHDOG_PID, the wrapper's own binary */
  char **args;
  char **env;
  /* What they were made of, copied: the executable, the arguments, the
   * [environment] names and values, the extra entries and the tree marker
   * (the child's arguments point into it). */
  char **key;
  size_t nkey;
} sw__launch_t;

/* Build l for o (o->command: a hook's); 0 or SW_ENOMEM (l is then empty). */
int sw__launch_build(sw__launch_t *l, const sw_spawn_opts_t *o);
/* Whether l, built for the child, is what o would build. */
bool sw__launch_matches(const sw__launch_t *l, const sw_spawn_opts_t *o);
/* Free what l holds and empty it. */
void sw__launch_free(sw__launch_t *l);

#endif
