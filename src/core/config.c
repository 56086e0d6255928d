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

void sw_config_free(sw_config_t *c) {
  unsigned i;

  if (c == NULL) return;
  free(c->path);
  free(c->dir);
  free(c->name);
  free(c->display_name);
  free(c->description);
  sw_argv_free(&c->depends_on);
  free(c->account);
  free(c->executable);
  free(c->arguments);
  sw_argv_free(&c->argv);
  free(c->working_directory);
  for (i = 0; i < c->n_env; i++) {
    free(c->env[i].name);
    free(c->env[i].value);
  }
  free(c->env);
  free(c->stop.event_name);
  free(c->log_dir);
  free(c->stdout_path);
  free(c->stderr_path);
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

const char *sw_stop_method_name(sw_stop_method_t m) {
  static const char *const names[SW_STOP__COUNT] = {
      "ctrl-break", "ctrl-c", "event", "wm-close", "terminate"};

  return (unsigned)m < SW_STOP__COUNT ? names[m] : "?";
}

const char *sw_restart_policy_name(sw_restart_policy_t p) {
  static const char *const names[] = {"no", "always", "on-failure",
                                      "on-success", "on-abnormal"};

  return (unsigned)p < 5 ? names[p] : "?";
}

uint64_t sw_config_stop_budget_ms(const sw_config_t *c) {
  uint64_t ms = TERMINATE_ALLOWANCE_MS;
  unsigned i;

  for (i = 0; i < c->stop.n_methods; i++)
    if (c->stop.methods[i] != SW_STOP_TERMINATE) ms += c->stop.timeout_ms;
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

int sw_config_dump(const sw_config_t *c, char **out) {
  static const char *const start_types[] = {"auto", "delayed-auto", "manual",
                                            "disabled"};
  static const char *const prios[] = {"idle", "below-normal", "normal",
                                      "above-normal", "high"};
  sw_sbuf_t b = SW_SBUF_INIT;
  unsigned i;
  int k;

  sw_sbuf_puts(&b, "[service]\n");
  put_value(&b, "name", c->name);
  put_value(&b, "display_name", c->display_name);
  put_value(&b, "description", c->description);
  sw_sbuf_printf(&b, "start_type = %s\n", start_types[c->start_type]);
  sw_sbuf_puts(&b, "depends_on = ");
  for (k = 0; k < c->depends_on.n; k++)
    sw_sbuf_printf(&b, "%s%s", k ? ", " : "", c->depends_on.v[k]);
  sw_sbuf_puts(&b, "\n");
  put_value(&b, "account", c->account);

  sw_sbuf_puts(&b, "\n[process]\n");
  put_value(&b, "executable", c->executable);
  /* As written: the loader splits, then expands each argument. */
  sw_sbuf_printf(&b, "arguments = %s\n", c->arguments);
  for (k = 0; k < c->argv.n; k++)
    sw_sbuf_printf(&b, "; argument %d: %s\n", k + 1, c->argv.v[k]);
  put_value(&b, "working_directory", c->working_directory);
  sw_sbuf_printf(&b, "priority = %s\n", prios[c->priority]);

  sw_sbuf_puts(&b, "\n[environment]\n");
  for (i = 0; i < c->n_env; i++)
    put_value(&b, c->env[i].name, c->env[i].value);

  sw_sbuf_puts(&b, "\n[stop]\nmethod = ");
  for (i = 0; i < c->stop.n_methods; i++)
    sw_sbuf_printf(&b, "%s%s", i ? ", " : "",
                   sw_stop_method_name(c->stop.methods[i]));
  sw_sbuf_printf(&b, "\ntimeout = %llums\n",
                 (unsigned long long)c->stop.timeout_ms);
  put_value(&b, "event_name", c->stop.event_name);

  sw_sbuf_printf(&b,
                 "\n[restart]\npolicy = %s\ndelay = %llums\nmax_delay = "
                 "%llums\nsteps = %u\nreset_after = %llums\nburst = %u\n"
                 "interval = %llums\n",
                 sw_restart_policy_name(c->restart.policy),
                 (unsigned long long)c->restart.delay_ms,
                 (unsigned long long)c->restart.max_delay_ms, c->restart.steps,
                 (unsigned long long)c->restart.reset_after_ms,
                 c->restart.burst, (unsigned long long)c->restart.interval_ms);
  put_codes(&b, "success_exit_codes", c->restart.success_codes,
            c->restart.n_success);
  put_codes(&b, "prevent_exit_codes", c->restart.prevent_codes,
            c->restart.n_prevent);
  sw_sbuf_printf(&b, "on_give_up = %s\n",
                 c->restart.on_give_up == SW_GIVE_UP_FAIL ? "fail" : "stop");

  sw_sbuf_puts(&b, "\n[log]\n");
  put_value(&b, "directory", c->log_dir);
  put_value(&b, "stdout", c->stdout_path);
  put_value(&b, "stderr", c->stderr_path);
  sw_sbuf_printf(&b,
                 "max_size = %llu\nkeep = %u\ntimestamps = %s\ntail_lines = "
                 "%u\n",
                 (unsigned long long)c->log_max_size, c->log_keep,
                 c->log_timestamps ? "true" : "false", c->tail_lines);
  *out = sw_sbuf_take(&b);
  return *out ? 0 : SW_ENOMEM;
}
