/* SPDX-License-Identifier: MIT */
/* A process's program, arguments and environment (launch.h). */
#include "os/posix/launch.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/env.h"
#include "core/err.h"
#include "os/posix/internal.h"

extern char **environ;

/* The wrapper's own binary, even if replaced on disk since it started:
 * in the spawned process (before its exec) /proc/self is still svcwrap. */
static char self_exe[] = "/proc/self/exe";

/* systemd sets WATCHDOG_PID to the child's own pid, which is known only
 * once it exists: the wrapper's own binary starts first
 * (SW_WATCHDOG_EXEC_VERB), sets it to its pid and execs the program,
 * which keeps that pid. Only with [health] watchdog set, i.e. when the
 * child is given WATCHDOG_USEC. */
static bool wants_watchdog_pid(const sw_spawn_opts_t *o) {
  unsigned i;

  if (o->command != NULL) return false;
  for (i = 0; o->extra_env != NULL && o->extra_env[i] != NULL; i++)
    if (strncmp(o->extra_env[i], "WATCHDOG_USEC=", 14) == 0) return true;
  return false;
}

/*
 * What the launch is made of, in order: the executable and the arguments
 * (the child's; a hook's come from o->command), the [environment] names
 * and values, the extra entries, and the marker by which the orphan guard
 * finds the tree once the wrapper is dead (none as PID 1). The first cap
 * go into key; returns how many there are, and in *extras where the extra
 * entries begin.
 */
static size_t make_key(const sw_spawn_opts_t *o, const char **key, size_t cap,
                       size_t *extras) {
  const sw_config_t *cfg = o->cfg;
  const char *marker = sw__posix_tree_marker();
  size_t n = 0;
  unsigned i;

#define ADD(s)                                                                 \
  do {                                                                         \
    if (n < cap) key[n] = (s);                                                 \
    n++;                                                                       \
  } while (0)
  if (o->command == NULL) {
    ADD(cfg->executable);
    for (i = 0; i < (unsigned)cfg->argv.n; i++)
      ADD(cfg->argv.v[i]);
  }
  for (i = 0; i < cfg->n_env; i++) {
    ADD(cfg->env[i].name);
    ADD(cfg->env[i].value);
  }
  *extras = n;
  for (i = 0; o->extra_env != NULL && o->extra_env[i] != NULL; i++)
    ADD(o->extra_env[i]);
  if (marker[0] != '\0') ADD(marker);
#undef ADD
  return n;
}

/* {self, SW_WATCHDOG_EXEC_VERB,} program, arguments: the child's from the
 * key's copies, a hook's from its command. */
static int build_args(sw__launch_t *l, const sw_spawn_opts_t *o) {
  const sw_config_t *cfg = o->cfg;
  int n = o->command ? o->command->n : cfg->argv.n + 1, i, at = 0;
  bool trampoline = wants_watchdog_pid(o);

  l->args = calloc((size_t)n + (trampoline ? 3 : 1), sizeof(*l->args));
  if (l->args == NULL) return SW_ENOMEM;
  if (trampoline) {
    l->args[at++] = self_exe;
    l->args[at++] = (char *)SW_WATCHDOG_EXEC_VERB;
  }
  for (i = 0; i < n; i++)
    l->args[at++] = o->command ? o->command->v[i] : l->key[i];
  l->program = trampoline ? self_exe : l->args[0];
  return 0;
}

int sw__launch_build(sw__launch_t *l, const sw_spawn_opts_t *o) {
  size_t extras, n = make_key(o, NULL, 0, &extras), i;
  const char **key;
  int rc = 0;

  memset(l, 0, sizeof(*l));
  key = calloc(n + 1, sizeof(*key));
  l->key = calloc(n + 1, sizeof(*l->key));
  if (key == NULL || l->key == NULL) rc = SW_ENOMEM;
  if (rc == 0) make_key(o, key, n, &extras);
  for (i = 0; i < n && rc == 0; i++)
    if ((l->key[i] = strdup(key[i])) == NULL) rc = SW_ENOMEM;
  free(key);
  l->nkey = n;
  /* The extra entries (and the marker) are the key's tail. */
  if (rc == 0)
    rc = sw_env_build((const char *const *)environ, o->cfg,
                      (const char *const *)l->key + extras, false, &l->env);
  if (rc == 0) rc = build_args(l, o);
  if (rc != 0) sw__launch_free(l);
  return rc;
}

bool sw__launch_matches(const sw__launch_t *l, const sw_spawn_opts_t *o) {
  const char *key[512];
  size_t n, i, extras;

  if (o->command != NULL || l->env == NULL) return false;
  n = make_key(o, key, sizeof(key) / sizeof(key[0]), &extras);
  /* A key this long is rebuilt each time (never: a few dozen entries). */
  if (n != l->nkey || n > sizeof(key) / sizeof(key[0])) return false;
  for (i = 0; i < n; i++)
    if (strcmp(key[i], l->key[i]) != 0) return false;
  return true;
}

void sw__launch_free(sw__launch_t *l) {
  free(l->args);
  sw_env_free(l->env);
  sw_env_free(l->key);
  memset(l, 0, sizeof(*l));
}
