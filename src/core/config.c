/* SPDX-License-Identifier: MIT */
/*
 * The config struct's lifetime, its findings list and its canonical dump
 * (what `svcwrap check` prints). Loading lives in config_load.c.
 */
#include "core/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sbuf.h"

/* How long terminate is given to end the tree, counted in stop budgets. */
#define TERMINATE_ALLOWANCE_MS 5000

/* The field of key k in c. */
#define FIELD(c, k, type) ((type *)(void *)((char *)(c) + (k)->off))

void sw_config_free(sw_config_t *c) {
  const sw_key_t *k;
  unsigned i;

  if (c == NULL) return;
  for (i = 0; (k = sw_config_key_at(i)) != NULL; i++) {
    switch (k->type) {
    case SW_KEY_STRING:
    case SW_KEY_PATH:
      free(*FIELD(c, k, char *));
      break;
    case SW_KEY_LIST:
      sw_argv_free(FIELD(c, k, sw_argv_t));
      break;
    default:
      break; /* held in the struct itself */
    }
  }
  /* What is not a key's field: where the file is, and what the loader
   * derives (the split arguments, [environment]). */
  free(c->path);
  free(c->dir);
  sw_argv_free(&c->argv);
  sw_probe_spec_free(&c->probe_spec);
  for (i = 0; i < SW_HOOK__COUNT; i++)
    sw_argv_free(&c->hooks.argv[i]);
  for (i = 0; i < c->n_env; i++) {
    free(c->env[i].name);
    free(c->env[i].value);
  }
  free(c->env);
  for (i = 0; i < c->n_controls; i++)
    free(c->controls[i].arg);
  free(c->controls);
  free(c->recovery.command);
  free(c);
}

int sw_diags_add(sw_diags_t *d, bool is_error, int line, const char *fmt, ...) {
  sw_diag_t *v;
  va_list ap;
  int n;
  char *text;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return SW_EINVAL;
  text = malloc((size_t)n + 1);
  if (text == NULL) return SW_ENOMEM;
  va_start(ap, fmt);
  vsnprintf(text, (size_t)n + 1, fmt, ap);
  va_end(ap);
  v = realloc(d->v, (d->n + 1) * sizeof(*v));
  if (v == NULL) {
    free(text);
    return SW_ENOMEM;
  }
  d->v = v;
  v[d->n].is_error = is_error;
  v[d->n].line = line;
  v[d->n].text = text;
  d->n++;
  if (is_error) d->n_errors++;
  return 0;
}

void sw_diags_free(sw_diags_t *d) {
  unsigned i;

  for (i = 0; i < d->n; i++)
    free(d->v[i].text);
  free(d->v);
  memset(d, 0, sizeof(*d));
}

/* ---- the enums' names, from their lists in config.h ---- */

#define NAME_OF(id, name, ...)            name,
#define PLATFORMS_OF(id, name, platforms) platforms,

static const char *const start_types[] = {SW_START_TYPES(NAME_OF)};
static const char *const priorities[] = {SW_PRIORITIES(NAME_OF)};
static const char *const stop_methods[] = {SW_STOP_METHODS(NAME_OF)};
static const char *const restart_policies[] = {SW_RESTART_POLICIES(NAME_OF)};
static const char *const give_ups[] = {SW_GIVE_UPS(NAME_OF)};
static const char *const ready_modes[] = {SW_READY_MODES(NAME_OF)};
static const char *const hooks[] = {SW_HOOKS(NAME_OF)};
static const unsigned stop_platforms[] = {SW_STOP_METHODS(PLATFORMS_OF)};

#define NAMES(t)                                                               \
  { t, sizeof(t) / sizeof(t[0]) }
const sw_enum_names_t sw_start_type_names = NAMES(start_types);
const sw_enum_names_t sw_priority_names = NAMES(priorities);
const sw_enum_names_t sw_stop_method_names = NAMES(stop_methods);
const sw_enum_names_t sw_restart_policy_names = NAMES(restart_policies);
const sw_enum_names_t sw_give_up_names = NAMES(give_ups);
const sw_enum_names_t sw_ready_mode_names = NAMES(ready_modes);
const sw_enum_names_t sw_hook_names = NAMES(hooks);

_Static_assert(sizeof(start_types) / sizeof(start_types[0]) == SW_START__COUNT,
               "start types");
_Static_assert(sizeof(stop_methods) / sizeof(stop_methods[0]) == SW_STOP__COUNT,
               "stop methods");

const char *sw_enum_name(const sw_enum_names_t *e, int v) {
  return v >= 0 && (unsigned)v < e->n ? e->names[v] : "?";
}

unsigned sw_stop_method_platforms(sw_stop_method_t m) {
  return (unsigned)m < SW_STOP__COUNT ? stop_platforms[m] : 0;
}

const char *sw_stop_method_name(sw_stop_method_t m) {
  return sw_enum_name(&sw_stop_method_names, (int)m);
}

const char *sw_restart_policy_name(sw_restart_policy_t p) {
  return sw_enum_name(&sw_restart_policy_names, (int)p);
}

bool sw_config_has_hook(const sw_config_t *c, sw_hook_t h) {
  return (unsigned)h < SW_HOOK__COUNT && c->hooks.argv[h].n > 0;
}

bool sw_config_has_metrics(const sw_config_t *c) {
  return (c->metrics.textfile != NULL && c->metrics.textfile[0] != '\0') ||
         c->metrics.listen_port != 0;
}

uint64_t sw_config_stop_budget_ms(const sw_config_t *c) {
  uint64_t ms = TERMINATE_ALLOWANCE_MS;
  unsigned i;

  for (i = 0; i < c->stop.n_methods; i++)
    if (c->stop.methods[i] != SW_STOP_TERMINATE) ms += c->stop.timeout_ms;
  /* pre_stop runs before the ladder and post_stop after it, each for at
   * most the hook timeout plus terminate's allowance. */
  if (sw_config_has_hook(c, SW_HOOK_PRE_STOP))
    ms += c->hooks.timeout_ms + TERMINATE_ALLOWANCE_MS;
  if (sw_config_has_hook(c, SW_HOOK_POST_STOP))
    ms += c->hooks.timeout_ms + TERMINATE_ALLOWANCE_MS;
  return ms;
}

/* A value as INI text that reads back the same: '%' doubled, since the
 * loader expands %NAME%. */
static void put_value(sw_sbuf_t *b, const char *key, const char *v) {
  sw_sbuf_printf(b, "%s = ", key);
  for (; *v != '\0'; v++) {
    if (*v == '%')
      sw_sbuf_puts(b, "%%");
    else
      sw_sbuf_put(b, v, 1);
  }
  sw_sbuf_puts(b, "\n");
}

static void put_codes(sw_sbuf_t *b, const char *key, const uint32_t *codes,
                      unsigned n) {
  unsigned i;

  sw_sbuf_printf(b, "%s = ", key);
  for (i = 0; i < n; i++) {
    if (codes[i] >= 0x80000000u)
      sw_sbuf_printf(b, "%s0x%08X", i ? ", " : "", codes[i]);
    else
      sw_sbuf_printf(b, "%s%u", i ? ", " : "", codes[i]);
  }
  sw_sbuf_puts(b, "\n");
}

/* One key's line(s), by its type. */
static void dump_key(sw_sbuf_t *b, const sw_config_t *c, const sw_key_t *k) {
  unsigned i;
  int n;

  if (k->dump != NULL) {
    k->dump(c, b);
    return;
  }
  switch (k->type) {
  case SW_KEY_STRING:
  case SW_KEY_PATH:
    put_value(b, k->key, *FIELD(c, k, char *));
    break;
  case SW_KEY_DURATION:
    sw_sbuf_printf(b, "%s = %llums\n", k->key,
                   (unsigned long long)*FIELD(c, k, uint64_t));
    break;
  case SW_KEY_SIZE:
    sw_sbuf_printf(b, "%s = %llu\n", k->key,
                   (unsigned long long)*FIELD(c, k, uint64_t));
    break;
  case SW_KEY_UINT:
    sw_sbuf_printf(b, "%s = %u\n", k->key, *FIELD(c, k, unsigned));
    break;
  case SW_KEY_BOOL:
    sw_sbuf_printf(b, "%s = %s\n", k->key,
                   *FIELD(c, k, bool) ? "true" : "false");
    break;
  case SW_KEY_ENUM:
    sw_sbuf_printf(b, "%s = %s\n", k->key,
                   sw_enum_name(k->names, *FIELD(c, k, int)));
    break;
  case SW_KEY_LIST: {
    const sw_argv_t *l = FIELD(c, k, sw_argv_t);

    sw_sbuf_printf(b, "%s = ", k->key);
    for (n = 0; n < l->n; n++)
      sw_sbuf_printf(b, "%s%s", n ? ", " : "", l->v[n]);
    sw_sbuf_puts(b, "\n");
    break;
  }
  case SW_KEY_CODES:
    put_codes(
        b, k->key, FIELD(c, k, uint32_t),
        *(const unsigned *)(const void *)((const char *)c + k->count_off));
    break;
  case SW_KEY_LADDER: {
    const sw_stop_method_t *m = FIELD(c, k, sw_stop_method_t);
    unsigned count =
        *(const unsigned *)(const void *)((const char *)c + k->count_off);

    sw_sbuf_printf(b, "%s = ", k->key);
    for (i = 0; i < count; i++)
      sw_sbuf_printf(b, "%s%s", i ? ", " : "", sw_stop_method_name(m[i]));
    sw_sbuf_puts(b, "\n");
    break;
  }
  }
}

const sw_control_t *sw_config_control(const sw_config_t *c, unsigned code) {
  unsigned i;

  for (i = 0; i < c->n_controls; i++)
    if (c->controls[i].code == code) return &c->controls[i];
  return NULL;
}

/* [control]: "129 = signal:SIGHUP", as the loader reads it back. */
static void dump_controls(sw_sbuf_t *b, const sw_config_t *c) {
  unsigned i;

  for (i = 0; i < c->n_controls; i++) {
    const sw_control_t *t = &c->controls[i];
    char key[16];

    if (t->code == SW_CONTROL_RELOAD)
      snprintf(key, sizeof(key), "reload");
    else
      snprintf(key, sizeof(key), "%u", t->code);
    sw_sbuf_printf(b, "%s = %s%s", key, sw_control_kind_name(t->kind),
                   t->arg ? ":" : "");
    if (t->arg != NULL) {
      const char *v;

      for (v = t->arg; *v != '\0'; v++)
        if (*v == '%')
          sw_sbuf_puts(b, "%%");
        else
          sw_sbuf_put(b, v, 1);
    }
    sw_sbuf_puts(b, "\n");
  }
}

int sw_config_dump(const sw_config_t *c, char **out) {
  sw_sbuf_t b = SW_SBUF_INIT;
  const char *section;
  const sw_key_t *k;
  unsigned s, i;

  for (s = 0; (section = sw_config_section_at(s)) != NULL; s++) {
    sw_sbuf_printf(&b, "%s[%s]\n", s ? "\n" : "", section);
    if (strcmp(section, "environment") == 0)
      for (i = 0; i < c->n_env; i++)
        put_value(&b, c->env[i].name, c->env[i].value);
    if (strcmp(section, "control") == 0) dump_controls(&b, c);
    for (i = 0; (k = sw_config_key_at(i)) != NULL; i++)
      if (strcmp(k->section, section) == 0) dump_key(&b, c, k);
  }
  *out = sw_sbuf_take(&b);
  return *out ? 0 : SW_ENOMEM;
}
