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
  size_t *name_len; /* the length of each entry's name, beside v */
  size_t n;
  size_t cap; /* entries v and name_len have room for (v: one more, NULL) */
  bool nocase;
} envv_t;

/* The length of the name up to '=' (a leading '=' belongs to the name, as
 * in Windows' per-drive "=C:=C:\x" entries). */
static size_t name_length(const char *entry) {
  return strcspn(entry + 1, "=") + 1;
}

static bool same_name(const envv_t *e, const char *a, const char *b,
                      size_t len) {
  size_t i;

  if (!e->nocase) return memcmp(a, b, len) == 0;
  for (i = 0; i < len; i++) {
    char x = a[i], y = b[i];

    if (x >= 'a' && x <= 'z') x = (char)(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = (char)(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

/* Add entry, or replace the one of the same name. Each start builds the
 * whole block, so a name is measured once and compared by length first:
 * a long environment costs a few microseconds, not a strcspn per pair. */
static int put(envv_t *e, char *entry) {
  size_t i, len;
  size_t *lens;
  char **v;

  if (entry == NULL) return SW_ENOMEM;
  len = name_length(entry);
  for (i = 0; i < e->n; i++) {
    if (e->name_len[i] == len && same_name(e, e->v[i], entry, len)) {
      free(e->v[i]);
      e->v[i] = entry;
      return 0;
    }
  }
  if (e->n == e->cap) {
    /* Doubling: a few reallocs per start, not two per variable. */
    size_t cap = e->cap ? 2 * e->cap : 32;

    v = realloc(e->v, (cap + 1) * sizeof(*v));
    if (v != NULL) e->v = v;
    lens = v == NULL ? NULL : realloc(e->name_len, cap * sizeof(*lens));
    if (lens == NULL) {
      free(entry);
      return SW_ENOMEM;
    }
    e->name_len = lens;
    e->cap = cap;
  }
  e->name_len[e->n] = len;
  e->v[e->n++] = entry;
  e->v[e->n] = NULL;
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
  envv_t e = {NULL, NULL, 0, 0, nocase};
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
  free(e.name_len);
  *out = e.v;
  return 0;
nomem:
  free(e.name_len);
  sw_env_free(e.v);
  return SW_ENOMEM;
}

void sw_env_free(char **env) {
  char **p;

  for (p = env; p != NULL && *p != NULL; p++)
    free(*p);
  free(env);
}
