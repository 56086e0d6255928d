/* SPDX-License-Identifier: MIT */
/*
 * The config loader: INI entries (from ini_read.c) -> sw_config_t. One
 * table (keys[] below) lists every section and key with its type, field,
 * default and range, so the whole contract is visible in one place, most
 * keys are parsed by their type, and defaults go through the same
 * validation as user values. Keys no type describes have a small apply
 * function. Every problem is reported with its line; nothing stops at the
 * first one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/config.h"
#include "core/config_paths.h"
#include "core/err.h"
#include "core/expand.h"
#include "core/ini_read.h"
#include "core/ops.h"
#include "core/sbuf.h"
#include "core/value.h"

typedef sw_loader_t loader_t;

struct sw_loader_s {
  sw_config_t *c;
  sw_diags_t *d;
  const sw_ini_t *ini;
  sw_getenv_fn *getenv_fn;
  void *getenv_data;
  const sw_key_t *key;       /* key being applied */
  const sw_ini_entry_t *cur; /* its entry, NULL when applying a default */
  bool name_ok;              /* [service] name is valid */
  bool nomem;
  bool bad[SW_CONFIG_MAX_KEYS]; /* the key's value was rejected */
};

static const char *const sections[] = {
    "service", "process", "environment", "stop",    "restart",
    "health",  "hooks",   "metrics",     "control", "log"};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

const char *sw_config_section_at(unsigned i) {
  return i < N_SECTIONS ? sections[i] : NULL;
}

/* ---- messages ---------------------------------------------------------- */

static void report(loader_t *L, bool is_error, int line, const char *fmt,
                   va_list ap) {
  char text[1024];
  int n = 0;

  if (L->key != NULL)
    n = snprintf(text, sizeof(text), "[%s] %s: ", L->key->section, L->key->key);
  vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
  if (sw_diags_add(L->d, is_error, line, "%s", text) != 0) L->nomem = true;
}

static void err(loader_t *L, const char *fmt, ...) SW_PRINTF(2, 3);
static void err(loader_t *L, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  report(L, true, L->cur ? L->cur->line : 0, fmt, ap);
  va_end(ap);
}

static void warn_at(loader_t *L, int line, const char *fmt, ...)
    SW_PRINTF(3, 4);
static void warn_at(loader_t *L, int line, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  report(L, false, line, fmt, ap);
  va_end(ap);
}

/* ---- helpers ------------------------------------------------------------ */

static char *xstrdup(loader_t *L, const char *s) {
  char *p = strdup(s);

  if (p == NULL) L->nomem = true;
  return p;
}

static void set_str(loader_t *L, char **field, const char *s) {
  free(*field);
  *field = xstrdup(L, s);
}

/* Remove one pair of double quotes around a whole value: users quote
 * paths with spaces out of habit, and no Windows path contains a quote. */
static char *unquote(char *v) {
  size_t n = strlen(v);

  if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
    v[n - 1] = '\0';
    return v + 1;
  }
  return v;
}

/* Case-insensitive lookup of v among names[0..n); -1 if absent. */
static int find_name(const char *v, const char *const *names, int n) {
  int i;

  for (i = 0; i < n; i++)
    if (sw_streq_nocase(v, names[i])) return i;
  return -1;
}

/* "a, b or c" for messages. */
static void list_names(char *buf, size_t len, const char *const *names, int n) {
  size_t used = 0;
  int i;

  buf[0] = '\0';
  for (i = 0; i < n && used < len; i++) {
    int w = snprintf(buf + used, len - used, "%s%s",
                     i == 0 ? "" : (i == n - 1 ? " or " : ", "), names[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
}

static int parse_enum(loader_t *L, const char *v, const sw_enum_names_t *e) {
  int i = find_name(v, e->names, (int)e->n);

  if (i < 0) {
    char list[256];

    list_names(list, sizeof(list), e->names, (int)e->n);
    err(L, "\"%s\" is not accepted; write %s", v, list);
  }
  return i;
}

/* Edit distance, for "did you mean" hints on short names. */
static unsigned distance(const char *a, const char *b) {
  unsigned row[64], i, j, prev, tmp;
  size_t la = strlen(a), lb = strlen(b);

  if (la >= 63 || lb >= 63) return 99;
  for (j = 0; j <= lb; j++)
    row[j] = j;
  for (i = 1; i <= la; i++) {
    prev = row[0];
    row[0] = i;
    for (j = 1; j <= lb; j++) {
      char ca = a[i - 1], cb = b[j - 1];
      unsigned cost;

      if (ca >= 'A' && ca <= 'Z') ca = (char)(ca - 'A' + 'a');
      if (cb >= 'A' && cb <= 'Z') cb = (char)(cb - 'A' + 'a');
      cost = ca == cb ? 0 : 1;
      tmp = row[j];
      row[j] = prev + cost;
      if (row[j - 1] + 1 < row[j]) row[j] = row[j - 1] + 1;
      if (tmp + 1 < row[j]) row[j] = tmp + 1;
      prev = tmp;
    }
  }
  return row[lb];
}

static char *lookup(const char *name, void *data);

/* Expand %VAR% in v; reports and returns NULL on failure. */
static char *expand(loader_t *L, const char *v) {
  char why[512];
  char *out;
  int rc = sw_expand(v, lookup, L, &out, why, sizeof(why));

  if (rc == SW_ENOMEM)
    L->nomem = true;
  else if (rc != 0)
    err(L, "%s", why);
  return rc == 0 ? out : NULL;
}

/* The lookup handed to sw_expand(): SVCWRAP_SERVICE_NAME is the service's
 * name, everything else comes from the caller's environment. */
static char *lookup(const char *name, void *data) {
  loader_t *L = data;

  if (sw_streq_nocase(name, "SVCWRAP_SERVICE_NAME")) {
    /* Before the name is known (or when it is invalid, already reported)
     * a placeholder avoids a second, misleading error. */
    return strdup(L->c->name && L->name_ok ? L->c->name : "service");
  }
  return L->getenv_fn(name, L->getenv_data);
}

static sw_path_style_t path_style(const loader_t *L) {
  return L->c->platform == SW_PLATFORM_WIN ? SW_PATH_WIN : SW_PATH_POSIX;
}

static void set_path(loader_t *L, char **field, const char *base, char *v) {
  char *p;
  int rc;

  v = unquote(v);
  if (*v == '\0') {
    err(L, "empty path; write a file or folder path");
    return;
  }
  if (L->c->platform == SW_PLATFORM_WIN && strpbrk(v, "\"<>|?*") != NULL &&
      strncmp(v, "\\\\?\\", 4) != 0) {
    err(L,
        "\"%s\" contains a character Windows does not allow in paths "
        "(\" < > | ? *)",
        v);
    return;
  }
  rc = sw_path_resolve(path_style(L), base, v, &p);
  if (rc == SW_EINVAL) {
    err(L,
        "\"%s\" is relative to the current directory of drive %c:, which a "
        "service does not have; write %c:\\%s",
        v, v[0], v[0], v + 2);
    return;
  }
  if (rc != 0) {
    L->nomem = true;
    return;
  }
  free(*field);
  *field = p;
}

static bool duration_in(loader_t *L, const char *v, uint64_t min, uint64_t max,
                        uint64_t *out) {
  char why[256], a[64], b[64];

  if (sw_parse_duration(v, out, why, sizeof(why)) != 0) {
    err(L, "%s", why);
    return false;
  }
  if (*out < min || *out > max) {
    err(L, "%s is out of range; accepted: %s to %s", v,
        sw_format_duration(min, a, sizeof(a)),
        sw_format_duration(max, b, sizeof(b)));
    return false;
  }
  return true;
}

static bool int_in(loader_t *L, const char *v, long long min, long long max,
                   long long *out) {
  char why[256];

  if (sw_parse_int(v, min, max, out, why, sizeof(why)) != 0) {
    err(L, "%s", why);
    return false;
  }
  return true;
}

/* Characters the SCM, file names and pipe names all accept. */
static bool valid_name(loader_t *L, const char *v, const char *what) {
  const unsigned char *p;

  if (*v == '\0') {
    err(L, "empty %s", what);
    return false;
  }
  if (strlen(v) > 256) {
    err(L, "%s is %zu bytes long; at most 256", what, strlen(v));
    return false;
  }
  for (p = (const unsigned char *)v; *p != '\0'; p++) {
    if (*p < 0x20 || strchr("/\\<>:\"|?*%", *p) != NULL) {
      err(L,
          "\"%s\": %s may not contain '%c'; use letters, digits, '-', '_', "
          "'.' or spaces",
          v, what, *p < 0x20 ? '?' : *p);
      return false;
    }
  }
  return true;
}

/* ---- [service] -------------------------------------------------------- */

static void apply_name(loader_t *L, char *v) {
  char why[512];
  char *x;

  /* %SVCWRAP_SERVICE_NAME% cannot be used here: it is this value. */
  if (strstr(v, "%") != NULL) {
    int rc = sw_expand(v, L->getenv_fn, L->getenv_data, &x, why, sizeof(why));

    if (rc == SW_ENOMEM) {
      L->nomem = true;
      return;
    }
    if (rc != 0) {
      err(L, "%s", why);
      return;
    }
  } else {
    x = xstrdup(L, v);
    if (x == NULL) return;
  }
  v = unquote(x);
  L->name_ok = valid_name(L, v, "service name");
  set_str(L, &L->c->name, v);
  free(x);
}

static void apply_display_name(loader_t *L, char *v) {
  v = unquote(v);
  if (strlen(v) > 256) {
    err(L, "display name is %zu bytes long; at most 256", strlen(v));
    return;
  }
  set_str(L, &L->c->display_name, *v ? v : (L->c->name ? L->c->name : ""));
}

static void apply_depends_on(loader_t *L, char *v) {
  char *items[64], why[256];
  int n = sw_split_list(v, items, 64, why, sizeof(why)), i;

  if (n < 0) {
    err(L, "%s", why);
    return;
  }
  for (i = 0; i < n; i++) {
    if (!valid_name(L, items[i], "dependency name")) continue;
    if (sw_argv_push(&L->c->depends_on, items[i]) != 0) L->nomem = true;
  }
}

static void apply_account(loader_t *L, char *v) {
  sw_account_kind_t k;

  v = unquote(v);
  k = sw_account_kind(v);
  /* Built-in, virtual (NT SERVICE\name) and group managed (DOMAIN\name$)
   * accounts need no password; a user account needs one at install
   * (install --password -), which is never stored here. */
  if (k == SW_ACCOUNT_INVALID) {
    err(L,
        "\"%s\" is not a service account; write LocalSystem, NT AUTHORITY\\"
        "LocalService, NT AUTHORITY\\NetworkService, NT SERVICE\\<name>, a "
        "gMSA DOMAIN\\name$, or a user DOMAIN\\user, .\\user or "
        "user@domain (its password is given to install --password -)",
        v);
    return;
  }
  L->c->account_kind = k;
  set_str(L, &L->c->account, v);
}

/* restart:10s, restart:1min, run:COMMAND, reboot, none */
static void apply_recovery(loader_t *L, char *v) {
  sw_recovery_cfg_t *r = &L->c->recovery;
  char *items[SW_MAX_RECOVERY + 1], why[512];
  int n, i;

  set_str(L, &r->text, v);
  n = sw_split_list(v, items, SW_MAX_RECOVERY + 1, why, sizeof(why));
  if (n < 0) {
    err(L, "%s", why);
    return;
  }
  if (n > SW_MAX_RECOVERY) {
    err(L,
        "more than %d actions; the last one repeats for every later "
        "failure, so list at most %d",
        SW_MAX_RECOVERY, SW_MAX_RECOVERY);
    return;
  }
  r->n = 0;
  for (i = 0; i < n; i++) {
    char *command;

    if (sw_recovery_parse(items[i], &r->actions[r->n], &command, why,
                          sizeof(why)) != 0) {
      err(L, "%s", why);
      return;
    }
    if (command != NULL) {
      /* The SCM keeps one command for all run actions. */
      if (r->command != NULL && strcmp(r->command, command) != 0) {
        err(L,
            "two different run commands (\"%s\" and \"%s\"); the SCM "
            "keeps one command for every run action",
            r->command, command);
        return;
      }
      if (r->command == NULL) r->command = xstrdup(L, command);
    }
    r->n++;
  }
}

static void dump_recovery(const sw_config_t *c, sw_sbuf_t *b) {
  const sw_recovery_cfg_t *r = &c->recovery;
  unsigned i;

  sw_sbuf_puts(b, "recovery = ");
  for (i = 0; i < r->n; i++) {
    const sw_recovery_action_t *a = &r->actions[i];

    sw_sbuf_printf(b, "%s%s", i ? ", " : "", sw_recovery_kind_name(a->kind));
    if (a->kind == SW_RECOVERY_RUN)
      sw_sbuf_printf(b, ":%s", r->command);
    else if (a->kind != SW_RECOVERY_NONE)
      sw_sbuf_printf(b, ":%llums", (unsigned long long)a->delay_ms);
  }
  sw_sbuf_puts(b, "\n");
  if (r->n > 0)
    sw_sbuf_printf(b,
                   "; the SCM applies these when the service ends failed "
                   "(after a give-up with on_give_up = fail), the last one "
                   "for every later failure\n");
}

static void dump_account(const sw_config_t *c, sw_sbuf_t *b) {
  static const char *const what[] = {
      NULL, "a virtual account: no password",
      "a group managed service account: no password, granted Log on as a "
      "service at install",
      "a user account: install needs --password - and grants Log on as a "
      "service",
      "?"};

  sw_sbuf_printf(b, "account = %s\n", c->account);
  if (what[c->account_kind] != NULL)
    sw_sbuf_printf(b, "; %s\n", what[c->account_kind]);
}

/* A group (or user) name for [service] operators: DOMAIN\name or name,
 * no characters Windows refuses in account names. Whether it exists is
 * for install to find out (on the machine it installs on). */
static void apply_operators(loader_t *L, char *v) {
  const unsigned char *p;
  const char *slash;

  v = unquote(v);
  if (*v == '\0') {
    set_str(L, &L->c->operators, v);
    return;
  }
  slash = strchr(v, '\\');
  for (p = (const unsigned char *)v; *p != '\0'; p++) {
    if (*p < 0x20 || strchr("/[]:;|=,+*?<>\"@", *p) != NULL) {
      err(L,
          "\"%s\" is not a group name: '%c' is not allowed in Windows "
          "account names; write a local group (MyOps) or DOMAIN\\group",
          v, *p < 0x20 ? '?' : *p);
      return;
    }
  }
  if (strlen(v) > 256 || (slash != NULL && (slash == v || slash[1] == '\0' ||
                                            strchr(slash + 1, '\\') != NULL))) {
    err(L,
        "\"%s\" is not a group name; write a local group (MyOps) or "
        "DOMAIN\\group, at most 256 characters",
        v);
    return;
  }
  set_str(L, &L->c->operators, v);
}

/* ---- [process] -------------------------------------------------------- */

/* Split first, then expand each argument: a variable whose value has
 * spaces (%ProgramFiles%) stays one argument. */
static void apply_arguments(loader_t *L, char *v) {
  sw_argv_t raw;
  int i;

  set_str(L, &L->c->arguments, v);
  if (sw_argv_split(v, &raw) != 0) {
    L->nomem = true;
    return;
  }
  for (i = 0; i < raw.n; i++) {
    char *x = expand(L, raw.v[i]);

    if (x == NULL) break;
    if (L->c->platform == SW_PLATFORM_WIN && L->c->executable != NULL &&
        sw_is_batch_file(L->c->executable)) {
      char bad = sw_batch_unsafe_char(x), shown[3] = {bad, '\0', '\0'};

      if (bad == '\r' || bad == '\n') {
        shown[0] = '\\';
        shown[1] = bad == '\r' ? 'r' : 'n';
      }
      if (bad != '\0')
        err(L,
            "argument %d \"%s\" contains '%s', which cmd.exe acts on even "
            "inside quotes when it runs %s (a batch file); svcwrap refuses "
            "it: pass the value through [environment] instead, or run the "
            "program the batch file runs directly",
            i + 1, x, shown, L->c->executable);
    }
    if (sw_argv_push(&L->c->argv, x) != 0) L->nomem = true;
    free(x);
  }
  sw_argv_free(&raw);
}

/* As written, '%' and all: the loader splits, then expands each argument,
 * which the comment lines show. */
static void dump_arguments(const sw_config_t *c, sw_sbuf_t *b) {
  int k;

  sw_sbuf_printf(b, "arguments = %s\n", c->arguments);
  for (k = 0; k < c->argv.n; k++)
    sw_sbuf_printf(b, "; argument %d: %s\n", k + 1, c->argv.v[k]);
}

/* ---- [hooks] ---------------------------------------------------------- */

/* A hook's command: split like [process] arguments (Windows quoting
 * rules), each word %VAR%-expanded after the split; the first word is the
 * program, resolved against the INI's folder when relative (no PATH
 * search: a service's PATH is not the operator's). */
static void apply_hook(loader_t *L, char *v) {
  unsigned h = (unsigned)((L->key->off - offsetof(sw_config_t, hooks.command)) /
                          sizeof(char *));
  sw_argv_t raw, *out;
  char *prog = NULL;
  int i;

  if (h >= SW_HOOK__COUNT) return;
  out = &L->c->hooks.argv[h];
  set_str(L, &L->c->hooks.command[h], v);
  if (sw_argv_split(v, &raw) != 0) {
    L->nomem = true;
    return;
  }
  for (i = 0; i < raw.n; i++) {
    char *x = expand(L, raw.v[i]);

    if (x == NULL) break;
    if (i == 0) {
      set_path(L, &prog, L->c->dir, x);
      free(x);
      if (prog == NULL) break;
      x = prog;
    }
    if (sw_argv_push(out, x) != 0) L->nomem = true;
    free(x);
  }
  /* All or nothing: a hook whose command was rejected does not run. */
  if (i < raw.n || L->nomem) sw_argv_free(out);
  sw_argv_free(&raw);
}

static void dump_hook(const sw_config_t *c, sw_sbuf_t *b, sw_hook_t h) {
  int k;

  sw_sbuf_printf(b, "%s = %s\n", sw_enum_name(&sw_hook_names, (int)h),
                 c->hooks.command[h] ? c->hooks.command[h] : "");
  for (k = 0; k < c->hooks.argv[h].n; k++)
    sw_sbuf_printf(b, "; %s %d: %s\n", k ? "argument" : "program", k,
                   c->hooks.argv[h].v[k]);
}

static void dump_pre_start(const sw_config_t *c, sw_sbuf_t *b) {
  dump_hook(c, b, SW_HOOK_PRE_START);
}
static void dump_post_start(const sw_config_t *c, sw_sbuf_t *b) {
  dump_hook(c, b, SW_HOOK_POST_START);
}
static void dump_pre_stop(const sw_config_t *c, sw_sbuf_t *b) {
  dump_hook(c, b, SW_HOOK_PRE_STOP);
}
static void dump_post_stop(const sw_config_t *c, sw_sbuf_t *b) {
  dump_hook(c, b, SW_HOOK_POST_STOP);
}

/* ---- [metrics] --------------------------------------------------------- */

static void apply_textfile(loader_t *L, char *v) {
  size_t n;

  v = unquote(v);
  if (*v == '\0') {
    set_str(L, &L->c->metrics.textfile, "");
    return;
  }
  n = strlen(v);
  /* The textfile collectors (node_exporter, windows_exporter) read only
   * *.prom files: any other name would be written and never collected. */
  if (n < 5 || !sw_streq_nocase(v + n - 5, ".prom")) {
    err(L,
        "\"%s\" does not end in .prom; the textfile collectors read only "
        "*.prom files",
        v);
    return;
  }
  set_path(L, &L->c->metrics.textfile, L->c->dir, v);
}

/* Whether host (an IP literal) is a loopback address. */
static bool is_loopback(const char *host) {
  return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

static bool is_ip_literal(const char *h) {
  unsigned a, b, c, d;
  char end;
  const char *p;

  if (sscanf(h, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) == 4)
    return a < 256 && b < 256 && c < 256 && d < 256;
  if (strchr(h, ':') == NULL) return false;
  for (p = h; *p != '\0'; p++)
    if (strchr("0123456789abcdefABCDEF:.", *p) == NULL) return false;
  return true;
}

/* listen = PORT | HOST:PORT | [IPV6]:PORT; HOST an IP literal (no name
 * lookup: the wrapper must not depend on DNS to start). */
static void apply_listen(loader_t *L, char *v) {
  sw_metrics_cfg_t *m = &L->c->metrics;
  char host[64], *colon, *port_s;
  long long port;

  v = unquote(v);
  set_str(L, &m->listen, v);
  m->listen_port = 0;
  if (*v == '\0') return;
  if (v[0] == '[') {
    char *close = strchr(v, ']');

    if (close == NULL || close[1] != ':' || (size_t)(close - v - 1) >= 64) {
      err(L, "\"%s\": write [IPV6]:PORT, e.g. [::1]:9561", v);
      return;
    }
    memcpy(host, v + 1, (size_t)(close - v - 1));
    host[close - v - 1] = '\0';
    port_s = close + 2;
  } else if ((colon = strrchr(v, ':')) != NULL) {
    if (strchr(v, ':') != colon || (size_t)(colon - v) >= 64) {
      err(L, "\"%s\": write HOST:PORT (an IPv6 address in brackets)", v);
      return;
    }
    memcpy(host, v, (size_t)(colon - v));
    host[colon - v] = '\0';
    port_s = colon + 1;
  } else {
    snprintf(host, sizeof(host), "127.0.0.1");
    port_s = v;
  }
  if (!is_ip_literal(host)) {
    err(L,
        "\"%s\" is not an IP address; write 127.0.0.1:PORT (names are not "
        "looked up)",
        host);
    return;
  }
  if (!int_in(L, port_s, 1, 65535, &port)) return;
  snprintf(m->listen_host, sizeof(m->listen_host), "%s", host);
  m->listen_port = (unsigned)port;
}

static void dump_listen(const sw_config_t *c, sw_sbuf_t *b) {
  const sw_metrics_cfg_t *m = &c->metrics;

  if (m->listen_port == 0)
    sw_sbuf_puts(b, "listen = \n");
  else if (strchr(m->listen_host, ':') != NULL)
    sw_sbuf_printf(b, "listen = [%s]:%u\n", m->listen_host, m->listen_port);
  else
    sw_sbuf_printf(b, "listen = %s:%u\n", m->listen_host, m->listen_port);
}

/* ---- [stop] ----------------------------------------------------------- */

static void apply_event_name(loader_t *L, char *v) {
  const char *base;

  v = unquote(v);
  /* Kernel object names: an optional Global\ or Local\ namespace, then
   * no more backslashes. */
  base = v;
  if (strncmp(v, "Global\\", 7) == 0 || strncmp(v, "Local\\", 6) == 0)
    base = strchr(v, '\\') + 1;
  if (*base == '\0' || strchr(base, '\\') != NULL || strlen(v) > 250) {
    err(L,
        "\"%s\" is not an event name; write Global\\<name> (or Local\\<name>) "
        "with no other backslash, at most 250 characters",
        v);
    return;
  }
  set_str(L, &L->c->stop.event_name, v);
}

/* The default is a prefix: the wrapper adds a random part for every run.
 * Shown as a comment, so that the dump, read back, keeps the default
 * (an explicit event_name is used as written and refused if it exists). */
static void dump_event_name(const sw_config_t *c, sw_sbuf_t *b) {
  if (sw_config_key_line(c, "stop", "event_name") > 0)
    sw_sbuf_printf(b, "event_name = %s\n", c->stop.event_name);
  else
    sw_sbuf_printf(b,
                   "; event_name = %s-<random, new every run> (the default)\n",
                   c->stop.event_name);
}

/* ---- parsing by type ---------------------------------------------------- */

#define FIELD(L, type) ((type *)(void *)((char *)(L)->c + (L)->key->off))
#define COUNT(L)       ((unsigned *)(void *)((char *)(L)->c + (L)->key->count_off))

/* "1KB" for 1024: sizes in messages as users write them. */
static const char *format_size(uint64_t n, char *buf, size_t len) {
  static const char *const units[] = {"B", "KB", "MB", "GB"};
  unsigned u = 0;

  while (u < 3 && n >= 1024 && n % 1024 == 0) {
    n /= 1024;
    u++;
  }
  snprintf(buf, len, "%llu%s", (unsigned long long)n, units[u]);
  return buf;
}

static void apply_codes(loader_t *L, char *v) {
  char *items[SW_MAX_EXIT_CODES], why[256];
  int k = sw_split_list(v, items, SW_MAX_EXIT_CODES, why, sizeof(why)), i;
  uint32_t *codes = FIELD(L, uint32_t);
  unsigned *n = COUNT(L);

  *n = 0;
  if (k < 0) {
    err(L, "%s", why);
    return;
  }
  for (i = 0; i < k; i++) {
    if (sw_parse_exit_code(items[i], &codes[*n], why, sizeof(why)) != 0) {
      err(L, "%s", why);
      continue;
    }
    (*n)++;
  }
}

/* The stop ladder: each method once, terminate last and always there. */
static void apply_ladder(loader_t *L, char *v) {
  char *items[SW_STOP__COUNT + 1], why[256];
  int n = sw_split_list(v, items, SW_STOP__COUNT + 1, why, sizeof(why)), i, j;
  sw_stop_method_t *methods = FIELD(L, sw_stop_method_t);
  unsigned *count = COUNT(L);

  *count = 0;
  if (n < 0) {
    err(L, "%s", why);
    return;
  }
  for (i = 0; i < n; i++) {
    int m = parse_enum(L, items[i], &sw_stop_method_names);

    if (m < 0) return;
    for (j = 0; j < (int)*count; j++) {
      if (methods[j] == (sw_stop_method_t)m) {
        err(L, "%s is listed twice; each method runs once", items[i]);
        return;
      }
    }
    if (m == SW_STOP_TERMINATE && i != n - 1) {
      err(L, "terminate must be the last method: nothing runs after it");
      return;
    }
    methods[(*count)++] = (sw_stop_method_t)m;
  }
  /* terminate is always the last step, written or not. */
  if (*count == 0 || methods[*count - 1] != SW_STOP_TERMINATE)
    methods[(*count)++] = SW_STOP_TERMINATE;
}

static void apply_by_type(loader_t *L, char *v) {
  const sw_key_t *k = L->key;
  char why[256], a[64];
  long long n;
  uint64_t u;
  int i;

  switch (k->type) {
  case SW_KEY_STRING:
    set_str(L, FIELD(L, char *), unquote(v));
    break;
  case SW_KEY_PATH:
    set_path(L, FIELD(L, char *),
             k->flags & SW_KEY_IN_LOG_DIR && L->c->log_dir ? L->c->log_dir
                                                           : L->c->dir,
             v);
    break;
  case SW_KEY_DURATION:
    duration_in(L, v, k->min, k->max, FIELD(L, uint64_t));
    break;
  case SW_KEY_SIZE:
    if (sw_parse_size(v, &u, why, sizeof(why)) != 0)
      err(L, "%s", why);
    else if (u < k->min)
      err(L, "%s is too small; at least %s", v,
          format_size(k->min, a, sizeof(a)));
    else
      *FIELD(L, uint64_t) = u;
    break;
  case SW_KEY_UINT:
    if (int_in(L, v, (long long)k->min, (long long)k->max, &n))
      *FIELD(L, unsigned) = (unsigned)n;
    break;
  case SW_KEY_BOOL:
    if (sw_parse_bool(v, FIELD(L, bool), why, sizeof(why)) != 0)
      err(L, "%s", why);
    break;
  case SW_KEY_ENUM:
    i = parse_enum(L, v, k->names);
    if (i >= 0) *FIELD(L, int) = i;
    break;
  case SW_KEY_LIST: {
    char *items[64];
    int c = sw_split_list(v, items, 64, why, sizeof(why));

    if (c < 0) err(L, "%s", why);
    for (i = 0; i < c; i++)
      if (sw_argv_push(FIELD(L, sw_argv_t), items[i]) != 0) L->nomem = true;
    break;
  }
  case SW_KEY_CODES:
    apply_codes(L, v);
    break;
  case SW_KEY_LADDER:
    apply_ladder(L, v);
    break;
  }
}

/* ---- [health] probe and limits ----------------------------------------- */

static void apply_probe(loader_t *L, char *v) {
  char why[512];
  int rc;

  v = unquote(v);
  set_str(L, &L->c->probe, v);
  sw_probe_spec_free(&L->c->probe_spec);
  rc = sw_probe_parse(v, &L->c->probe_spec, why, sizeof(why));
  if (rc == SW_ENOMEM)
    L->nomem = true;
  else if (rc != 0)
    err(L, "%s", why);
}

/* "90%" or "90": percent of one CPU; 0 for none. */
static void apply_cpu_max(loader_t *L, char *v) {
  char why[256], num[32];
  size_t n = strlen(v);
  long long pct;

  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  if (n > 0 && v[n - 1] == '%') n--;
  if (n == 0 || n >= sizeof(num)) {
    err(L,
        "\"%s\" is not a percentage; write e.g. 90%% (of one CPU; 0 for "
        "no limit)",
        v);
    return;
  }
  memcpy(num, v, n);
  num[n] = '\0';
  if (sw_parse_int(num, 0, 100000, &pct, why, sizeof(why)) != 0) {
    err(L,
        "\"%s\" is not a percentage from 0 to 100000; write e.g. 90%% (of "
        "one CPU; 0 for no limit)",
        v);
    return;
  }
  L->c->cpu_max = (unsigned)pct;
}

static void dump_cpu_max(const sw_config_t *c, sw_sbuf_t *b) {
  sw_sbuf_printf(b, "cpu_max = %u%%\n", c->cpu_max);
}

/* ---- the contract ------------------------------------------------------ */

/* Enums are stored through an int. */
_Static_assert(sizeof(sw_start_type_t) == sizeof(int) &&
                   sizeof(sw_priority_t) == sizeof(int) &&
                   sizeof(sw_restart_policy_t) == sizeof(int) &&
                   sizeof(sw_give_up_t) == sizeof(int) &&
                   sizeof(sw_ready_mode_t) == sizeof(int) &&
                   sizeof(sw_hook_t) == sizeof(int),
               "enum fields are int-sized");

#define F(field) offsetof(sw_config_t, field)
#define S(field) F(stop.field)
#define R(field) F(restart.field)
#define HK(i)    F(hooks.command[i])
#define M(field) F(metrics.field)
#define H        (3600ULL * 1000)
#define N(field) F(notify.field)

/* clang-format off */
/* Applied in this order: the name first (other defaults use it), the log
 * directory before the log files inside it. Fields after the default:
 * min, max, enum names, flags, apply, dump. */
static const sw_key_t keys[] = {
  {"service", "name", SW_KEY_STRING, F(name), 0, NULL, 0, 0, NULL,
   SW_KEY_RAW, apply_name, NULL},
  {"service", "display_name", SW_KEY_STRING, F(display_name), 0, "", 0, 0,
   NULL, 0, apply_display_name, NULL},
  {"service", "description", SW_KEY_STRING, F(description), 0, "", 0, 0,
   NULL, 0, NULL, NULL},
  {"service", "start_type", SW_KEY_ENUM, F(start_type), 0, "auto", 0, 0,
   &sw_start_type_names, 0, NULL, NULL},
  {"service", "depends_on", SW_KEY_LIST, F(depends_on), 0, "", 0, 0, NULL, 0,
   apply_depends_on, NULL},
  {"service", "account", SW_KEY_STRING, F(account), 0, "LocalSystem", 0, 0,
   NULL, 0, apply_account, dump_account},
  {"service", "recovery", SW_KEY_STRING, F(recovery.text), 0, "", 0, 0, NULL,
   0, apply_recovery, dump_recovery},
  {"service", "recovery_reset", SW_KEY_DURATION, F(recovery.reset_ms), 0,
   "1d", 0, 3650 * 24 * H, NULL, 0, NULL, NULL},
  {"service", "operators", SW_KEY_STRING, F(operators), 0, "", 0, 0, NULL, 0,
   apply_operators, NULL},
  {"process", "executable", SW_KEY_PATH, F(executable), 0, NULL, 0, 0, NULL,
   0, NULL, NULL},
  {"process", "arguments", SW_KEY_STRING, F(arguments), 0, "", 0, 0, NULL,
   SW_KEY_RAW, apply_arguments, dump_arguments},
  {"process", "working_directory", SW_KEY_PATH, F(working_directory), 0, ".",
   0, 0, NULL, 0, NULL, NULL},
  {"process", "priority", SW_KEY_ENUM, F(priority), 0, "normal", 0, 0,
   &sw_priority_names, 0, NULL, NULL},
  {"stop", "method", SW_KEY_LADDER, S(methods), S(n_methods),
   "ctrl-break, terminate", 0, 0, NULL, 0, NULL, NULL},
  {"stop", "timeout", SW_KEY_DURATION, S(timeout_ms), 0, "10s", 0, H, NULL, 0,
   NULL, NULL},
  {"stop", "event_name", SW_KEY_STRING, S(event_name), 0,
   "Global\\svcwrap-%SVCWRAP_SERVICE_NAME%-stop", 0, 0, NULL, 0,
   apply_event_name, dump_event_name},
  {"restart", "policy", SW_KEY_ENUM, R(policy), 0, "on-failure", 0, 0,
   &sw_restart_policy_names, 0, NULL, NULL},
  {"restart", "delay", SW_KEY_DURATION, R(delay_ms), 0, "1s", 0, H, NULL, 0,
   NULL, NULL},
  {"restart", "max_delay", SW_KEY_DURATION, R(max_delay_ms), 0, "1min", 0,
   24 * H, NULL, 0, NULL, NULL},
  {"restart", "steps", SW_KEY_UINT, R(steps), 0, "5", 0, 1000, NULL, 0, NULL,
   NULL},
  {"restart", "reset_after", SW_KEY_DURATION, R(reset_after_ms), 0, "1min", 0,
   SW_DURATION_MAX_MS, NULL, 0, NULL, NULL},
  {"restart", "burst", SW_KEY_UINT, R(burst), 0, "5", 0, SW_MAX_BURST, NULL,
   0, NULL, NULL},
  {"restart", "interval", SW_KEY_DURATION, R(interval_ms), 0, "1min", 0,
   SW_DURATION_MAX_MS, NULL, 0, NULL, NULL},
  {"restart", "success_exit_codes", SW_KEY_CODES, R(success_codes),
   R(n_success), "0", 0, 0, NULL, 0, NULL, NULL},
  {"restart", "prevent_exit_codes", SW_KEY_CODES, R(prevent_codes),
   R(n_prevent), "", 0, 0, NULL, 0, NULL, NULL},
  {"restart", "on_give_up", SW_KEY_ENUM, R(on_give_up), 0, "fail", 0, 0,
   &sw_give_up_names, 0, NULL, NULL},
  {"health", "ready", SW_KEY_ENUM, N(ready), 0, "started", 0, 0,
   &sw_ready_mode_names, 0, NULL, NULL},
  {"health", "ready_timeout", SW_KEY_DURATION, N(ready_timeout_ms), 0, "90s",
   0, 24 * H, NULL, 0, NULL, NULL},
  {"health", "watchdog", SW_KEY_DURATION, N(watchdog_ms), 0, "0", 0, 24 * H,
   NULL, 0, NULL, NULL},
  {"health", "probe", SW_KEY_STRING, F(probe), 0, "", 0, 0, NULL, 0,
   apply_probe, NULL},
  {"health", "probe_interval", SW_KEY_DURATION, F(probe_interval_ms), 0, "10s",
   100, 24 * H, NULL, 0, NULL, NULL},
  {"health", "probe_timeout", SW_KEY_DURATION, F(probe_timeout_ms), 0, "2s",
   10, H, NULL, 0, NULL, NULL},
  {"health", "probe_failures", SW_KEY_UINT, F(probe_failures), 0, "3", 1,
   1000, NULL, 0, NULL, NULL},
  {"health", "probe_start_delay", SW_KEY_DURATION, F(probe_start_delay_ms), 0,
   "0", 0, 24 * H, NULL, 0, NULL, NULL},
  {"health", "memory_max", SW_KEY_SIZE, F(memory_max), 0, "0", 0, 0, NULL, 0,
   NULL, NULL},
  {"health", "cpu_max", SW_KEY_UINT, F(cpu_max), 0, "0", 0, 0, NULL,
   SW_KEY_RAW, apply_cpu_max, dump_cpu_max},
  {"health", "cpu_window", SW_KEY_DURATION, F(cpu_window_ms), 0, "30s", 200,
   24 * H, NULL, 0, NULL, NULL},
  {"hooks", "pre_start", SW_KEY_STRING, HK(SW_HOOK_PRE_START), 0, "", 0, 0,
   NULL, SW_KEY_RAW, apply_hook, dump_pre_start},
  {"hooks", "post_start", SW_KEY_STRING, HK(SW_HOOK_POST_START), 0, "", 0, 0,
   NULL, SW_KEY_RAW, apply_hook, dump_post_start},
  {"hooks", "pre_stop", SW_KEY_STRING, HK(SW_HOOK_PRE_STOP), 0, "", 0, 0,
   NULL, SW_KEY_RAW, apply_hook, dump_pre_stop},
  {"hooks", "post_stop", SW_KEY_STRING, HK(SW_HOOK_POST_STOP), 0, "", 0, 0,
   NULL, SW_KEY_RAW, apply_hook, dump_post_stop},
  {"hooks", "timeout", SW_KEY_DURATION, F(hooks.timeout_ms), 0, "30s", 100,
   H, NULL, 0, NULL, NULL},
  {"metrics", "textfile", SW_KEY_STRING, M(textfile), 0, "", 0, 0, NULL, 0,
   apply_textfile, NULL},
  {"metrics", "listen", SW_KEY_STRING, M(listen), 0, "", 0, 0, NULL, 0,
   apply_listen, dump_listen},
  {"metrics", "allow_remote", SW_KEY_BOOL, M(allow_remote), 0, "false", 0, 0,
   NULL, 0, NULL, NULL},
  {"metrics", "interval", SW_KEY_DURATION, M(interval_ms), 0, "15s", 1000, H,
   NULL, 0, NULL, NULL},
  {"log", "directory", SW_KEY_PATH, F(log_dir), 0, "logs", 0, 0, NULL, 0,
   NULL, NULL},
  {"log", "stdout", SW_KEY_PATH, F(stdout_path), 0,
   "%SVCWRAP_SERVICE_NAME%.out.log", 0, 0, NULL, SW_KEY_IN_LOG_DIR, NULL,
   NULL},
  {"log", "stderr", SW_KEY_PATH, F(stderr_path), 0,
   "%SVCWRAP_SERVICE_NAME%.err.log", 0, 0, NULL, SW_KEY_IN_LOG_DIR, NULL,
   NULL},
  {"log", "max_size", SW_KEY_SIZE, F(log_max_size), 0, "10MB", 1024, 0, NULL,
   0, NULL, NULL},
  {"log", "keep", SW_KEY_UINT, F(log_keep), 0, "5", 0, 10000, NULL, 0, NULL,
   NULL},
  {"log", "timestamps", SW_KEY_BOOL, F(log_timestamps), 0, "true", 0, 0, NULL,
   0, NULL, NULL},
  {"log", "tail_lines", SW_KEY_UINT, F(tail_lines), 0, "20", 0, 1000, NULL, 0,
   NULL, NULL},
};
/* clang-format on */
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(N_KEYS <= SW_CONFIG_MAX_KEYS, "grow SW_CONFIG_MAX_KEYS");

const sw_key_t *sw_config_key_at(unsigned i) {
  return i < N_KEYS ? &keys[i] : NULL;
}

int sw_config_key_line(const sw_config_t *c, const char *section,
                       const char *key) {
  unsigned i;

  for (i = 0; i < N_KEYS; i++)
    if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
      return c->key_lines[i];
  return 0;
}

/* ---- passes ------------------------------------------------------------ */

static int find_section(const char *name) {
  return find_name(name, sections, (int)N_SECTIONS);
}

static const char *closest_section(const char *name) {
  unsigned i, best = 3;
  const char *hint = NULL;

  for (i = 0; i < N_SECTIONS; i++) {
    unsigned d = distance(name, sections[i]);

    if (d < best) {
      best = d;
      hint = sections[i];
    }
  }
  return hint;
}

static void check_sections(loader_t *L) {
  char all[256];
  size_t used = 0;
  unsigned i;

  /* "[service], [process], ... and [log]" */
  for (i = 0; i < N_SECTIONS; i++)
    used += (size_t)snprintf(
        all + used, sizeof(all) - used, "%s[%s]",
        i == 0 ? "" : (i == N_SECTIONS - 1 ? " and " : ", "), sections[i]);

  for (i = 0; i < L->ini->n_sections; i++) {
    const sw_ini_section_t *s = &L->ini->sections[i];
    const char *hint;

    if (s->name[0] == '\0' || find_section(s->name) >= 0)
      continue; /* known, or a malformed header the reader reported */
    hint = closest_section(s->name);
    if (hint != NULL)
      sw_diags_add(L->d, true, s->line,
                   "unknown section [%s]; did you mean [%s]?", s->name, hint);
    else
      sw_diags_add(L->d, true, s->line, "unknown section [%s]; sections are %s",
                   s->name, all);
  }
}

static void unknown_key(loader_t *L, const sw_ini_entry_t *e,
                        const char *section) {
  char list[512];
  size_t used = 0;
  const char *hint = NULL;
  unsigned i, best = 3;

  list[0] = '\0';
  for (i = 0; i < N_KEYS; i++) {
    unsigned d;

    if (!sw_streq_nocase(keys[i].section, section)) continue;
    used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                             used ? ", " : "", keys[i].key);
    d = distance(e->key, keys[i].key);
    if (d < best) {
      best = d;
      hint = keys[i].key;
    }
  }
  if (hint != NULL)
    sw_diags_add(L->d, true, e->line,
                 "unknown key \"%s\" in [%s]; did you mean %s?", e->key,
                 section, hint);
  else
    sw_diags_add(L->d, true, e->line,
                 "unknown key \"%s\" in [%s]; keys there: %s", e->key, section,
                 list);
}

/* Match entries to keys: unknown keys, duplicates, and [environment]. */
static void match_entries(loader_t *L, const sw_ini_entry_t **found) {
  unsigned i, j;

  for (i = 0; i < L->ini->n_entries; i++) {
    const sw_ini_entry_t *e = &L->ini->entries[i];
    const char *section = L->ini->sections[e->section].name;
    int s = find_section(section);

    if (s < 0) continue; /* reported with the section */
    if (strcmp(sections[s], "environment") == 0 ||
        strcmp(sections[s], "control") == 0)
      continue; /* handled by apply_environment(), apply_controls() */
    for (j = 0; j < N_KEYS; j++)
      if (sw_streq_nocase(keys[j].section, section) &&
          sw_streq_nocase(keys[j].key, e->key))
        break;
    if (j == N_KEYS) {
      unknown_key(L, e, sections[s]);
      continue;
    }
    if (found[j] != NULL) {
      sw_diags_add(L->d, true, e->line,
                   "[%s] %s: duplicate key; it is already set on line %d",
                   keys[j].section, keys[j].key, found[j]->line);
      continue;
    }
    found[j] = e;
  }
}

static void apply_key(loader_t *L, unsigned k, const sw_ini_entry_t *e) {
  unsigned errors;
  char *v;

  L->key = &keys[k];
  L->cur = e;
  if (e == NULL && keys[k].def == NULL) {
    /* Point at the section when it is there, so the fix has a place. */
    int line = 0;
    unsigned i;

    for (i = 0; i < L->ini->n_sections && line == 0; i++)
      if (sw_streq_nocase(L->ini->sections[i].name, keys[k].section))
        line = L->ini->sections[i].line;
    sw_diags_add(L->d, true, line,
                 "[%s] %s is required and missing; add %s = ... under [%s]",
                 keys[k].section, keys[k].key, keys[k].key, keys[k].section);
    L->key = NULL;
    return;
  }
  errors = L->d->n_errors;
  v = e ? (keys[k].flags & SW_KEY_RAW ? xstrdup(L, e->value)
                                      : expand(L, e->value))
        : (keys[k].flags & SW_KEY_RAW ? xstrdup(L, keys[k].def)
                                      : expand(L, keys[k].def));
  if (v != NULL) {
    if (keys[k].apply != NULL)
      keys[k].apply(L, v);
    else
      apply_by_type(L, v);
    free(v);
  }
  L->bad[k] = L->d->n_errors > errors;
  L->key = NULL;
  L->cur = NULL;
}

static void apply_environment(loader_t *L) {
  char why[512];
  unsigned i, j;
  int rc;

  for (i = 0; i < L->ini->n_entries; i++) {
    const sw_ini_entry_t *e = &L->ini->entries[i];
    sw_env_var_t *v;
    char *x;
    bool dup = false;

    if (!sw_streq_nocase(L->ini->sections[e->section].name, "environment"))
      continue;
    for (j = 0; j < i; j++) {
      const sw_ini_entry_t *o = &L->ini->entries[j];

      if (sw_streq_nocase(L->ini->sections[o->section].name, "environment") &&
          sw_streq_nocase(o->key, e->key)) {
        sw_diags_add(L->d, true, e->line,
                     "[environment] %s: duplicate variable; it is already set "
                     "on line %d (names are compared ignoring case, as "
                     "Windows does)",
                     e->key, o->line);
        dup = true;
        break;
      }
    }
    if (dup) continue;
    rc = sw_expand(e->value, lookup, L, &x, why, sizeof(why));
    if (rc == SW_ENOMEM) {
      L->nomem = true;
      return;
    }
    if (rc != 0) {
      /* The "[section] key: " prefix every finding has (see sw_diag_t). */
      if (sw_diags_add(L->d, true, e->line, "[environment] %s: %s", e->key,
                       why) != 0)
        L->nomem = true;
      continue;
    }
    v = realloc(L->c->env, (L->c->n_env + 1) * sizeof(*v));
    if (v == NULL) {
      free(x);
      L->nomem = true;
      return;
    }
    L->c->env = v;
    v[L->c->n_env].name = xstrdup(L, e->key);
    v[L->c->n_env].value = x;
    L->c->n_env++;
  }
}

/* [control]: code = action, each code once. */
static void apply_controls(loader_t *L) {
  unsigned i, j;

  for (i = 0; i < L->ini->n_entries; i++) {
    const sw_ini_entry_t *e = &L->ini->entries[i];
    sw_control_t *v, t;
    char why[512], *x;
    int rc;

    if (!sw_streq_nocase(L->ini->sections[e->section].name, "control"))
      continue;
    memset(&t, 0, sizeof(t));
    t.line = e->line;
    if (sw_control_parse_code(e->key, &t.code, why, sizeof(why)) != 0) {
      sw_diags_add(L->d, true, e->line, "[control] %s: %s", e->key, why);
      continue;
    }
    for (j = 0; j < L->c->n_controls; j++)
      if (L->c->controls[j].code == t.code) break;
    if (j < L->c->n_controls) {
      sw_diags_add(L->d, true, e->line,
                   "[control] %s: duplicate code; it is already set on line "
                   "%d",
                   e->key, L->c->controls[j].line);
      continue;
    }
    rc = sw_expand(e->value, lookup, L, &x, why, sizeof(why));
    if (rc == 0) {
      rc = sw_control_parse_action(sw_trim(x), &t.kind, &t.arg, why,
                                   sizeof(why));
      free(x);
    }
    if (rc == SW_ENOMEM) {
      L->nomem = true;
      return;
    }
    if (rc != 0) {
      sw_diags_add(L->d, true, e->line, "[control] %s: %s", e->key, why);
      continue;
    }
    v = realloc(L->c->controls, (L->c->n_controls + 1) * sizeof(*v));
    if (v == NULL) {
      free(t.arg);
      L->nomem = true;
      return;
    }
    L->c->controls = v;
    v[L->c->n_controls++] = t;
  }
}

static int line_of(const sw_ini_entry_t **found, const char *section,
                   const char *key) {
  unsigned i;

  for (i = 0; i < N_KEYS; i++)
    if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
      return found[i] ? found[i]->line : 0;
  return 0;
}

/* Whether [section] key holds a valid value (its own error, if any, is
 * already reported: a rejected value is not checked against others). */
static bool valid(const loader_t *L, const char *section, const char *key) {
  unsigned i;

  for (i = 0; i < N_KEYS; i++)
    if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
      return !L->bad[i];
  return false;
}

/* Combinations of individually valid values that cannot work. */
static void cross_checks(loader_t *L, const sw_ini_entry_t **found) {
  sw_config_t *c = L->c;
  const sw_stop_cfg_t *s = &c->stop;
  bool has_break = false, has_c = false;
  bool backoff_ok = valid(L, "restart", "delay") &&
                    valid(L, "restart", "max_delay") &&
                    valid(L, "restart", "steps");
  unsigned i;

  if (backoff_ok && c->restart.max_delay_ms < c->restart.delay_ms)
    sw_diags_add(L->d, true, line_of(found, "restart", "max_delay"),
                 "[restart] max_delay (%llums) is shorter than delay "
                 "(%llums); make it at least as long",
                 (unsigned long long)c->restart.max_delay_ms,
                 (unsigned long long)c->restart.delay_ms);
  if (backoff_ok && c->restart.delay_ms == 0 && c->restart.steps > 0 &&
      c->restart.max_delay_ms > 0)
    warn_at(L, line_of(found, "restart", "delay"),
            "[restart] delay: backoff multiplies the delay, so with delay = 0 "
            "every restart is immediate; set a delay (e.g. 100ms) for "
            "max_delay and steps to matter");
  if (valid(L, "service", "recovery_reset") && c->recovery.reset_ms % 1000 != 0)
    sw_diags_add(L->d, true, line_of(found, "service", "recovery_reset"),
                 "[service] recovery_reset: the SCM counts in whole seconds; "
                 "write e.g. 1d, 12h or 30s");
  if (c->recovery.n > 0 && valid(L, "service", "recovery")) {
    if (c->platform != SW_PLATFORM_WIN)
      warn_at(L, line_of(found, "service", "recovery"),
              "[service] recovery: SCM failure actions exist on Windows "
              "only; here they are checked and not used");
    else if (c->restart.on_give_up == SW_GIVE_UP_STOP)
      warn_at(L, line_of(found, "service", "recovery"),
              "[service] recovery: with [restart] on_give_up = stop the "
              "service ends STOPPED with success after a give-up, so the SCM "
              "never applies these; set on_give_up = fail");
  }
  for (i = 0; i < c->n_controls; i++) {
    const sw_control_t *t = &c->controls[i];
    unsigned j;

    /* One event per name: a second create would find the first. */
    if (t->kind == SW_CTL_EVENT) {
      const char *base = strchr(t->arg, '\\') + 1;
      const char *stop = strchr(c->stop.event_name, '\\');

      if (sw_streq_nocase(base, stop ? stop + 1 : c->stop.event_name))
        sw_diags_add(L->d, true, t->line,
                     "[control] event:%s is the stop event's name ([stop] "
                     "event_name); give it a name of its own",
                     t->arg);
      for (j = 0; j < i; j++)
        if (c->controls[j].kind == SW_CTL_EVENT &&
            sw_streq_nocase(strchr(c->controls[j].arg, '\\') + 1, base))
          sw_diags_add(L->d, true, t->line,
                       "[control] event:%s: line %d uses the same event; map "
                       "each code to an event of its own",
                       t->arg, c->controls[j].line);
    }
    if (t->kind == SW_CTL_SIGNAL && c->platform == SW_PLATFORM_WIN)
      warn_at(L, t->line,
              "[control] %s: signals exist on Linux only; on Windows this "
              "code is refused (use event:NAME or ctrl-break)",
              sw_control_kind_name(t->kind));
    if (t->kind == SW_CTL_EVENT && c->platform != SW_PLATFORM_WIN)
      warn_at(L, t->line,
              "[control] event: named events exist on Windows only; on "
              "Linux this code is refused (use signal:NAME)");
  }
  for (i = 0; i < s->n_methods; i++) {
    has_break |= s->methods[i] == SW_STOP_CTRL_BREAK;
    has_c |= s->methods[i] == SW_STOP_CTRL_C;
    if (!(sw_stop_method_platforms(s->methods[i]) & (1u << c->platform)))
      warn_at(L, line_of(found, "stop", "method"),
              "[stop] method: %s is unavailable on %s; the ladder skips it",
              sw_stop_method_name(s->methods[i]),
              c->platform == SW_PLATFORM_WIN ? "Windows" : "Linux");
  }
  /* A listener anyone on the network can read must be asked for twice:
   * the address, and allow_remote (the metrics name the service, its
   * restarts and exit codes). */
  if (valid(L, "metrics", "listen") && c->metrics.listen_port != 0 &&
      !is_loopback(c->metrics.listen_host) && !c->metrics.allow_remote)
    sw_diags_add(L->d, true, line_of(found, "metrics", "listen"),
                 "[metrics] listen: %s is not a loopback address; the "
                 "metrics endpoint has no authentication, so set "
                 "allow_remote = true under [metrics] to serve it there, or "
                 "listen on 127.0.0.1",
                 c->metrics.listen_host);
  if (c->metrics.allow_remote && c->metrics.listen_port == 0)
    warn_at(L, line_of(found, "metrics", "allow_remote"),
            "[metrics] allow_remote: there is no listen address; it has no "
            "effect");
  /* What src/os/win/child.c does: a child in a process group of its own
   * ignores CTRL_C, so with ctrl-c in the ladder the child stays in the
   * wrapper's group, where CTRL_BREAK cannot be aimed at it alone. */
  if (c->platform == SW_PLATFORM_WIN && has_break && has_c)
    warn_at(L, line_of(found, "stop", "method"),
            "[stop] method: ctrl-break cannot reach the child: with ctrl-c "
            "in the ladder the child shares the wrapper's process group (a "
            "group of its own would ignore CTRL_C), and CTRL_BREAK can only "
            "be aimed at a group; the ladder skips ctrl-break; use one of "
            "the two (or event)");
}

int sw_config_parse(const char *path, const char *text, size_t len,
                    sw_platform_t platform, sw_getenv_fn *getenv_fn,
                    void *getenv_data, sw_config_t **out, sw_diags_t *diags) {
  const sw_ini_entry_t *found[N_KEYS] = {0};
  sw_ini_t ini;
  sw_config_t *c;
  loader_t L;
  unsigned errors_before = diags->n_errors, k;
  int rc;

  *out = NULL;
  c = calloc(1, sizeof(*c));
  if (c == NULL) return SW_ENOMEM;
  c->platform = platform;
  c->path = strdup(path);
  if (c->path == NULL ||
      sw_path_dirname(platform == SW_PLATFORM_WIN ? SW_PATH_WIN : SW_PATH_POSIX,
                      path, &c->dir) != 0) {
    sw_config_free(c);
    return SW_ENOMEM;
  }

  rc = sw_ini_read(text, len, &ini, diags);
  if (rc != 0) {
    sw_config_free(c);
    return rc;
  }
  if (ini.n_entries == 0 && ini.n_sections == 0) {
    /* Nothing could be read (UTF-16, a binary file: the reader said why)
     * or there is nothing (empty, only comments): every required key
     * would now be reported missing, which says nothing new. */
    if (diags->n_errors == errors_before)
      sw_diags_add(diags, true, 0,
                   "no settings: the file is empty or only comments; start "
                   "from config/example.ini (at least [service] name and "
                   "[process] executable)");
    sw_ini_free(&ini);
    sw_config_free(c);
    return SW_ECONFIG;
  }

  memset(&L, 0, sizeof(L));
  L.c = c;
  L.d = diags;
  L.ini = &ini;
  L.getenv_fn = getenv_fn;
  L.getenv_data = getenv_data;

  check_sections(&L);
  match_entries(&L, found);
  for (k = 0; k < N_KEYS; k++) {
    apply_key(&L, k, found[k]);
    c->key_lines[k] = found[k] ? found[k]->line : 0;
  }
  apply_environment(&L);
  apply_controls(&L);
  cross_checks(&L, found);
  sw_ini_free(&ini);
  if (sw_config_check_paths(c, diags) != 0) L.nomem = true;

  if (L.nomem) {
    sw_config_free(c);
    return SW_ENOMEM;
  }
  if (diags->n_errors > errors_before) {
    sw_config_free(c);
    return SW_ECONFIG;
  }
  *out = c;
  return 0;
}
