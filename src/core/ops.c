/* SPDX-License-Identifier: MIT */
/*
 * Parsers for [service] recovery, [control] and the account kinds (see
 * ops.h). Pure: no I/O; signal names are checked against POSIX's list
 * here, and turned into numbers by the POSIX backend.
 */
#include "core/ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/cmdline.h"
#include "core/config.h"
#include "core/err.h"
#include "core/value.h"

#define NAME_OF(id, name) name,
static const char *const recovery_names[] = {SW_RECOVERY_KINDS(NAME_OF)};
static const char *const control_names[] = {SW_CONTROL_KINDS(NAME_OF)};

static int fail(char *why, size_t whylen, const char *fmt, ...) SW_PRINTF(3, 4);
static int fail(char *why, size_t whylen, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, whylen, fmt, ap);
  va_end(ap);
  return SW_EINVAL;
}

const char *sw_recovery_kind_name(sw_recovery_kind_t k) {
  return (unsigned)k < SW_RECOVERY__COUNT ? recovery_names[k] : "?";
}

const char *sw_control_kind_name(sw_control_kind_t k) {
  return (unsigned)k < SW_CTL__COUNT ? control_names[k] : "?";
}

/* "restart" -> the kind, before the first ':' (case-insensitive). */
static int kind_of(const char *word, const char *const *names, int n) {
  int i;

  for (i = 0; i < n; i++)
    if (sw_streq_nocase(word, names[i])) return i;
  return -1;
}

int sw_recovery_parse(char *item, sw_recovery_action_t *out, char **command,
                      char *why, size_t whylen) {
  char *colon = strchr(item, ':'), *arg = NULL, dwhy[256];
  int k;

  *command = NULL;
  if (colon != NULL) {
    *colon = '\0';
    arg = sw_trim(colon + 1);
  }
  k = kind_of(sw_trim(item), recovery_names, SW_RECOVERY__COUNT);
  if (k < 0)
    return fail(why, whylen,
                "\"%s\" is not a recovery action; write restart[:DELAY], "
                "reboot[:DELAY], run:COMMAND or none",
                item);
  out->kind = (sw_recovery_kind_t)k;
  out->delay_ms = 0;
  switch (out->kind) {
  case SW_RECOVERY_NONE:
    if (arg != NULL)
      return fail(why, whylen, "none takes nothing after it; write none");
    break;
  case SW_RECOVERY_RESTART:
  case SW_RECOVERY_REBOOT:
    out->delay_ms = SW_RECOVERY_DEFAULT_DELAY_MS;
    if (arg == NULL) break;
    if (sw_parse_duration(arg, &out->delay_ms, dwhy, sizeof(dwhy)) != 0)
      return fail(why, whylen, "%s:%s: %s", recovery_names[k], arg, dwhy);
    if (out->delay_ms > SW_RECOVERY_MAX_DELAY_MS)
      return fail(why, whylen, "%s:%s: the delay may be at most 1d",
                  recovery_names[k], arg);
    break;
  case SW_RECOVERY_RUN:
    if (arg == NULL || *arg == '\0')
      return fail(why, whylen,
                  "run needs its command: write run:COMMAND (the SCM runs "
                  "it when the service fails)");
    *command = arg;
    break;
  case SW_RECOVERY__COUNT:
    break;
  }
  return 0;
}

int sw_control_parse_code(const char *key, unsigned *code, char *why,
                          size_t whylen) {
  long long n;
  char iwhy[128];

  if (sw_streq_nocase(key, "reload")) {
    *code = SW_CONTROL_RELOAD;
    return 0;
  }
  if (sw_parse_int(key, SW_CONTROL_FIRST, SW_CONTROL_LAST, &n, iwhy,
                   sizeof(iwhy)) != 0)
    return fail(why, whylen,
                "\"%s\" is not a control code; write a number from 129 to "
                "255 (128 is svcwrap's rotate) or reload",
                key);
  *code = (unsigned)n;
  return 0;
}

/* POSIX's signals by name (and Linux's common extras), without "SIG". */
static const char *const signal_names[] = {
    "HUP",    "INT",  "QUIT",  "ILL",  "TRAP", "ABRT", "BUS",  "FPE",
    "KILL",   "USR1", "SEGV",  "USR2", "PIPE", "ALRM", "TERM", "CHLD",
    "CONT",   "STOP", "TSTP",  "TTIN", "TTOU", "URG",  "XCPU", "XFSZ",
    "VTALRM", "PROF", "WINCH", "IO",   "PWR",  "SYS"};
#define N_SIGNALS (sizeof(signal_names) / sizeof(signal_names[0]))

bool sw_signal_name_known(const char *name) {
  size_t i;

  if (strncmp(name, "SIG", 3) != 0) return false;
  for (i = 0; i < N_SIGNALS; i++)
    if (strcmp(name + 3, signal_names[i]) == 0) return true;
  return false;
}

/* "SIGHUP" from "hup", "SIGhup", "SIGHUP"; NULL if unknown or no memory
 * (*nomem tells which). */
static char *signal_name(const char *s, bool *nomem) {
  char up[16], *out;
  size_t i, n;

  *nomem = false;
  if (strncmp(s, "SIG", 3) == 0 || strncmp(s, "sig", 3) == 0) s += 3;
  n = strlen(s);
  if (n == 0 || n >= sizeof(up) - 3) return NULL;
  memcpy(up, "SIG", 3);
  for (i = 0; i < n; i++)
    up[3 + i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
  up[3 + n] = '\0';
  if (!sw_signal_name_known(up)) return NULL;
  out = strdup(up);
  if (out == NULL) *nomem = true;
  return out;
}

/* A kernel object name: an optional Global\ or Local\, then a name with no
 * backslash (as [stop] event_name). Global\ is added when none is given. */
static int event_name(const char *s, char **out, char *why, size_t whylen) {
  const char *base = s;
  bool ns = false;
  size_t n;

  if (strncmp(s, "Global\\", 7) == 0 || strncmp(s, "Local\\", 6) == 0) {
    base = strchr(s, '\\') + 1;
    ns = true;
  }
  if (*base == '\0' || strchr(base, '\\') != NULL || strlen(s) > 240)
    return fail(why, whylen,
                "\"%s\" is not an event name; write NAME, Global\\NAME or "
                "Local\\NAME with no other backslash, at most 240 characters",
                s);
  n = strlen(s) + 8;
  *out = malloc(n);
  if (*out == NULL) return SW_ENOMEM;
  snprintf(*out, n, "%s%s", ns ? "" : "Global\\", s);
  return 0;
}

int sw_control_parse_action(const char *value, sw_control_kind_t *kind,
                            char **arg, char *why, size_t whylen) {
  char word[32];
  const char *colon = strchr(value, ':'), *rest = NULL;
  size_t n = colon ? (size_t)(colon - value) : strlen(value);
  bool nomem;
  int k;

  *arg = NULL;
  if (colon != NULL) rest = colon + 1;
  if (n >= sizeof(word)) n = sizeof(word) - 1;
  memcpy(word, value, n);
  word[n] = '\0';
  k = kind_of(sw_trim(word), control_names, SW_CTL__COUNT);
  if (k < 0)
    return fail(why, whylen,
                "\"%s\" is not a control action; write signal:NAME, "
                "event:NAME, ctrl-break, restart, rotate or exec:COMMAND",
                value);
  *kind = (sw_control_kind_t)k;
  switch (*kind) {
  case SW_CTL_SIGNAL:
    if (rest == NULL || *rest == '\0')
      return fail(why, whylen, "signal needs its name: write signal:SIGHUP");
    *arg = signal_name(rest, &nomem);
    if (*arg == NULL)
      return nomem ? SW_ENOMEM
                   : fail(why, whylen,
                          "\"%s\" is not a signal name; write e.g. SIGHUP, "
                          "SIGUSR1, SIGUSR2, SIGWINCH",
                          rest);
    return 0;
  case SW_CTL_EVENT:
    if (rest == NULL || *rest == '\0')
      return fail(why, whylen,
                  "event needs its name: write event:NAME (a named event "
                  "the child waits on)");
    return event_name(rest, arg, why, whylen);
  case SW_CTL_EXEC: {
    sw_argv_t a;
    bool empty;

    if (rest == NULL || *rest == '\0')
      return fail(why, whylen, "exec needs its command: write exec:COMMAND");
    if (sw_argv_split(rest, &a) != 0) return SW_ENOMEM;
    empty = a.n == 0;
    sw_argv_free(&a);
    if (empty)
      return fail(why, whylen, "exec needs its command: write exec:COMMAND");
    *arg = strdup(rest);
    return *arg ? 0 : SW_ENOMEM;
  }
  case SW_CTL_CTRL_BREAK:
  case SW_CTL_RESTART:
  case SW_CTL_ROTATE:
    if (rest != NULL)
      return fail(why, whylen, "%s takes nothing after it; write %s",
                  control_names[k], control_names[k]);
    return 0;
  case SW_CTL__COUNT:
    break;
  }
  return SW_EINVAL;
}

static bool prefix_nocase(const char *s, const char *prefix) {
  size_t i;

  for (i = 0; prefix[i] != '\0'; i++) {
    char a = s[i], b = prefix[i];

    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

sw_account_kind_t sw_account_kind(const char *a) {
  static const char *const builtin[] = {"LocalSystem",
                                        "NT AUTHORITY\\LocalService",
                                        "NT AUTHORITY\\NetworkService"};
  const char *bs = strchr(a, '\\'), *at = strchr(a, '@');
  size_t n = strlen(a), i;

  for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
    if (sw_streq_nocase(a, builtin[i])) return SW_ACCOUNT_BUILTIN;
  if (n == 0 || strpbrk(a, "\"/[]:;|=+*?<>") != NULL) return SW_ACCOUNT_INVALID;
  if (prefix_nocase(a, "NT SERVICE\\"))
    return n > 11 && strchr(a + 11, '\\') == NULL ? SW_ACCOUNT_VIRTUAL
                                                  : SW_ACCOUNT_INVALID;
  if (prefix_nocase(a, "NT AUTHORITY\\")) return SW_ACCOUNT_INVALID;
  if (bs != NULL) {
    /* DOMAIN\name: one backslash, something on both sides. */
    if (bs == a || bs[1] == '\0' || strchr(bs + 1, '\\') != NULL || at != NULL)
      return SW_ACCOUNT_INVALID;
    return a[n - 1] == '$' ? (n - (size_t)(bs - a) > 2 ? SW_ACCOUNT_GMSA
                                                       : SW_ACCOUNT_INVALID)
                           : SW_ACCOUNT_USER;
  }
  /* user@domain (a UPN); a bare name could be anything: refuse it. */
  if (at != NULL && at != a && at[1] != '\0' && strchr(at + 1, '@') == NULL)
    return SW_ACCOUNT_USER;
  return SW_ACCOUNT_INVALID;
}

bool sw_account_needs_logon_right(sw_account_kind_t k) {
  return k == SW_ACCOUNT_GMSA || k == SW_ACCOUNT_USER;
}

unsigned sw_recovery_sc_actions(const sw_recovery_cfg_t *r, sw_sc_action_t *out,
                                uint32_t *reset_s) {
  unsigned i;

  for (i = 0; i < r->n && i < SW_MAX_RECOVERY; i++) {
    out[i].type = (uint32_t)r->actions[i].kind;
    out[i].delay_ms = (uint32_t)r->actions[i].delay_ms;
  }
  *reset_s = r->reset_ms / 1000 > UINT32_MAX - 1
                 ? UINT32_MAX - 1
                 : (uint32_t)(r->reset_ms / 1000);
  return i;
}
