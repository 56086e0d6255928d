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

static size_t count_given(const sw_spawn_opts_t *o) {
  size_t n = 0;

  while (o->extra_env != NULL && o->extra_env[n] != NULL)
    n++;
  return n;
}

/* The marker by which the orphan guard finds the tree once the wrapper is
 * dead and the parent links are gone: the child's last extra entry. NULL
 * without one (as PID 1). */
static const char *tree_marker(void) {
  const char *m = sw__posix_tree_marker();

  return m[0] != '\0' ? m : NULL;
}

static int build_args(sw__launch_t *l, const sw_spawn_opts_t *o) {
  const sw_config_t *cfg = o->cfg;
  int n = o->command ? o->command->n : cfg->argv.n + 1, i, at = 0;
  bool trampoline = wants_watchdog_pid(o);

  l->args = calloc((size_t)n + (trampoline ? 3 : 1), sizeof(*l->args));
  if (l->args == NULL) return SW_ENOMEM;
  l->program = o->command ? o->command->v[0] : cfg->executable;
  if (trampoline) {
    /* {self, SW_WATCHDOG_EXEC_VERB, program, arguments...} */
    l->args[at++] = self_exe;
    l->args[at++] = (char *)SW_WATCHDOG_EXEC_VERB;
  }
  if (o->command != NULL) {
    for (i = 0; i < n; i++)
      l->args[at++] = o->command->v[i];
  } else {
    l->args[at++] = cfg->executable;
    for (i = 0; i < cfg->argv.n; i++)
      l->args[at++] = cfg->argv.v[i];
  }
  if (trampoline) l->program = self_exe;
  return 0;
}

int sw__launch_build(sw__launch_t *l, const sw_spawn_opts_t *o) {
  size_t n = count_given(o), i;
  int rc;

  memset(l, 0, sizeof(*l));
  l->cfg = o->cfg;
  l->extra = calloc(n + 2, sizeof(*l->extra));
  rc = l->extra == NULL ? SW_ENOMEM : 0;
  for (i = 0; i < n && rc == 0; i++)
    if ((l->extra[i] = strdup(o->extra_env[i])) == NULL) rc = SW_ENOMEM;
  if (rc == 0 && tree_marker() != NULL &&
      (l->extra[n] = strdup(tree_marker())) == NULL)
    rc = SW_ENOMEM;
  if (rc == 0)
    rc = sw_env_build((const char *const *)environ, o->cfg,
                      (const char *const *)l->extra, false, &l->env);
  if (rc == 0) rc = build_args(l, o);
  if (rc != 0) sw__launch_free(l);
  return rc;
}

bool sw__launch_matches(const sw__launch_t *l, const sw_spawn_opts_t *o) {
  size_t n = count_given(o), i;
  const char *marker = tree_marker();

  if (o->command != NULL || l->env == NULL || l->cfg != o->cfg) return false;
  for (i = 0; i < n; i++)
    if (l->extra[i] == NULL || strcmp(l->extra[i], o->extra_env[i]) != 0)
      return false;
  if (marker == NULL) return l->extra[n] == NULL;
  return l->extra[n] != NULL && strcmp(l->extra[n], marker) == 0 &&
         l->extra[n + 1] == NULL;
}

void sw__launch_free(sw__launch_t *l) {
  free(l->args);
  sw_env_free(l->env);
  sw_env_free(l->extra);
  memset(l, 0, sizeof(*l));
}
