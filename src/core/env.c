/* SPDX-License-Identifier: MIT */
/* Merging environment variables for the child. */
#include "core/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/value.h"

typedef struct {
  char **v;
  size_t n;
  bool nocase;
} envv_t;

static bool same_name(const envv_t *e, const char *a, const char *b) {
  /* Compare the names up to '=' (a leading '=' belongs to the name, as in
   * Windows' per-drive "=C:=C:\x" entries). */
  size_t la = strcspn(a + 1, "=") + 1, lb = strcspn(b + 1, "=") + 1;
  size_t i;

  if (la != lb) return false;
  for (i = 0; i < la; i++) {
    char x = a[i], y = b[i];

    if (e->nocase) {
      if (x >= 'a' && x <= 'z') x = (char)(x - 'a' + 'A');
      if (y >= 'a' && y <= 'z') y = (char)(y - 'a' + 'A');
    }
    if (x != y) return false;
  }
  return true;
}

/* Add or replace: takes ownership of entry. */
static int put(envv_t *e, char *entry) {
  size_t i;
  char **v;

  if (entry == NULL) return SW_ENOMEM;
  for (i = 0; i < e->n; i++) {
    if (same_name(e, e->v[i], entry)) {
      free(e->v[i]);
      e->v[i] = entry;
      return 0;
    }
  }
  v = realloc(e->v, (e->n + 2) * sizeof(*v));
  if (v == NULL) {
    free(entry);
    return SW_ENOMEM;
  }
  e->v = v;
  v[e->n++] = entry;
  v[e->n] = NULL;
  return 0;
}

static char *join(const char *name, const char *value) {
  size_t n = strlen(name) + strlen(value) + 2;
  char *s = malloc(n);

  if (s != NULL) snprintf(s, n, "%s=%s", name, value);
  return s;
}

int sw_env_build(const char *const *base, const sw_config_t *cfg,
                 const char *const *extra, bool nocase, char ***out) {
  envv_t e = {NULL, 0, nocase};
  unsigned i;

  *out = NULL;
  e.v = calloc(1, sizeof(*e.v));
  if (e.v == NULL) return SW_ENOMEM;
  for (; base != NULL && *base != NULL; base++)
    if (strchr(*base, '=') != NULL && put(&e, strdup(*base)) != 0) goto nomem;
  for (i = 0; cfg != NULL && i < cfg->n_env; i++)
    if (put(&e, join(cfg->env[i].name, cfg->env[i].value)) != 0) goto nomem;
  for (; extra != NULL && *extra != NULL; extra++)
    if (put(&e, strdup(*extra)) != 0) goto nomem;
  *out = e.v;
  return 0;
nomem:
  sw_env_free(e.v);
  return SW_ENOMEM;
}

void sw_env_free(char **env) {
  char **p;

  for (p = env; p != NULL && *p != NULL; p++)
    free(*p);
  free(env);
}
