/* SPDX-License-Identifier: MIT */
/*
 * The config loader: INI entries (from ini_read.c) -> sw_config_t. One
 * table lists every section and key with its default and the function
 * that parses it, so the whole contract is visible in one place and
 * defaults go through the same validation as user values. Every problem
 * is reported with its line; nothing stops at the first one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/config.h"
#include "core/config_paths.h"
#include "core/err.h"
#include "core/expand.h"
#include "core/ini_read.h"
#include "core/sbuf.h"
#include "core/value.h"

typedef struct loader_s loader_t;
/* Parse `value` (already %VAR%-expanded unless the key is KEY_RAW) into
 * the config; report problems with err(). */
typedef void apply_fn(loader_t *L, char *value);

enum {
  KEY_REQUIRED = 1, /* no default: must be in the file */
  KEY_RAW = 2       /* the apply function expands %VAR% itself */
};

typedef struct {
  const char *section;
  const char *key;
  apply_fn *apply;
  const char *def; /* default, as INI text; NULL with KEY_REQUIRED */
  unsigned flags;
} key_def_t;

struct loader_s {
  sw_config_t *c;
  sw_diags_t *d;
  const sw_ini_t *ini;
  sw_getenv_fn *getenv_fn;
  void *getenv_data;
  const key_def_t *key;      /* key being applied */
  const sw_ini_entry_t *cur; /* its entry, NULL when applying a default */
  bool name_ok;              /* [service] name is valid */
  bool nomem;
  bool bad[SW_CONFIG_MAX_KEYS]; /* the key's value was rejected */
};

static const char *const sections[] = {"service", "process", "environment",
                                       "stop",    "restart", "log"};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

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

static bool starts_with_nocase(const char *s, const char *prefix) {
  size_t n = strlen(prefix);
  char head[64];

  if (strlen(s) < n || n >= sizeof(head)) return false;
  memcpy(head, s, n);
  head[n] = '\0';
  return sw_streq_nocase(head, prefix);
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

static int parse_enum(loader_t *L, const char *v, const char *const *names,
                      int n) {
  int i = find_name(v, names, n);

  if (i < 0) {
    char list[256];

    list_names(list, sizeof(list), names, n);
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

static void apply_description(loader_t *L, char *v) {
  set_str(L, &L->c->description, unquote(v));
}

static void apply_start_type(loader_t *L, char *v) {
  static const char *const names[] = {"auto", "delayed-auto", "manual",
                                      "disabled"};
  int i = parse_enum(L, v, names, 4);

  if (i >= 0) L->c->start_type = (sw_start_type_t)i;
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
  static const char *const builtin[] = {"LocalSystem",
                                        "NT AUTHORITY\\LocalService",
                                        "NT AUTHORITY\\NetworkService"};
  size_t n;

  v = unquote(v);
  n = strlen(v);
  /* Accounts that need no password: svcwrap never stores one. Virtual
   * accounts (NT SERVICE\name) and group managed service accounts
   * (DOMAIN\name$) are accepted too. */
  if (find_name(v, builtin, 3) < 0 &&
      !(starts_with_nocase(v, "NT SERVICE\\") && n > 11) &&
      !(strchr(v, '\\') != NULL && n > 2 && v[n - 1] == '$')) {
    err(L,
        "\"%s\" is not an account svcwrap can install without a password; "
        "write LocalSystem, NT AUTHORITY\\LocalService, NT AUTHORITY\\"
        "NetworkService, NT SERVICE\\<name> or a gMSA DOMAIN\\name$ (set a "
        "user account afterwards with sc config obj= password=)",
        v);
    return;
  }
  set_str(L, &L->c->account, v);
}

/* ---- [process] -------------------------------------------------------- */

static void apply_executable(loader_t *L, char *v) {
  set_path(L, &L->c->executable, L->c->dir, v);
}

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
    if (sw_argv_push(&L->c->argv, x) != 0) L->nomem = true;
    free(x);
  }
  sw_argv_free(&raw);
}

static void apply_working_directory(loader_t *L, char *v) {
  set_path(L, &L->c->working_directory, L->c->dir, v);
}

static void apply_priority(loader_t *L, char *v) {
  static const char *const names[] = {"idle", "below-normal", "normal",
                                      "above-normal", "high"};
  int i = parse_enum(L, v, names, 5);

  if (i >= 0) L->c->priority = (sw_priority_t)i;
}

/* ---- [stop] ----------------------------------------------------------- */

static const char *const method_names[SW_STOP__COUNT] = {
    "ctrl-break", "ctrl-c", "event", "wm-close", "terminate"};

static void apply_method(loader_t *L, char *v) {
  char *items[16], why[256];
  int n = sw_split_list(v, items, 16, why, sizeof(why)), i, j;
  sw_stop_cfg_t *s = &L->c->stop;

  s->n_methods = 0;
  if (n < 0) {
    err(L, "%s", why);
    return;
  }
  for (i = 0; i < n; i++) {
    int m = parse_enum(L, items[i], method_names, SW_STOP__COUNT);

    if (m < 0) return;
    for (j = 0; j < (int)s->n_methods; j++) {
      if (s->methods[j] == (sw_stop_method_t)m) {
        err(L, "%s is listed twice; each method runs once", items[i]);
        return;
      }
    }
    if (m == SW_STOP_TERMINATE && i != n - 1) {
      err(L, "terminate must be the last method: nothing runs after it");
      return;
    }
    s->methods[s->n_methods++] = (sw_stop_method_t)m;
  }
  /* terminate is always the last step, written or not. */
  if (s->n_methods == 0 || s->methods[s->n_methods - 1] != SW_STOP_TERMINATE)
    s->methods[s->n_methods++] = SW_STOP_TERMINATE;
}

static void apply_stop_timeout(loader_t *L, char *v) {
  duration_in(L, v, 0, 3600 * 1000, &L->c->stop.timeout_ms);
}

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

/* ---- [restart] -------------------------------------------------------- */

static const char *const policy_names[] = {"no", "always", "on-failure",
                                           "on-success", "on-abnormal"};

static void apply_policy(loader_t *L, char *v) {
  int i = parse_enum(L, v, policy_names, 5);

  if (i >= 0) L->c->restart.policy = (sw_restart_policy_t)i;
}

static void apply_delay(loader_t *L, char *v) {
  duration_in(L, v, 0, 3600 * 1000, &L->c->restart.delay_ms);
}

static void apply_max_delay(loader_t *L, char *v) {
  duration_in(L, v, 0, 24 * 3600 * 1000, &L->c->restart.max_delay_ms);
}

static void apply_steps(loader_t *L, char *v) {
  long long n;

  if (int_in(L, v, 0, 1000, &n)) L->c->restart.steps = (unsigned)n;
}

static void apply_reset_after(loader_t *L, char *v) {
  duration_in(L, v, 0, SW_DURATION_MAX_MS, &L->c->restart.reset_after_ms);
}

static void apply_burst(loader_t *L, char *v) {
  long long n;

  if (int_in(L, v, 0, SW_MAX_BURST, &n)) L->c->restart.burst = (unsigned)n;
}

static void apply_interval(loader_t *L, char *v) {
  duration_in(L, v, 0, SW_DURATION_MAX_MS, &L->c->restart.interval_ms);
}

static void parse_codes(loader_t *L, char *v, uint32_t *codes, unsigned *n) {
  char *items[SW_MAX_EXIT_CODES], why[256];
  int k = sw_split_list(v, items, SW_MAX_EXIT_CODES, why, sizeof(why)), i;

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

static void apply_success_codes(loader_t *L, char *v) {
  parse_codes(L, v, L->c->restart.success_codes, &L->c->restart.n_success);
}

static void apply_prevent_codes(loader_t *L, char *v) {
  parse_codes(L, v, L->c->restart.prevent_codes, &L->c->restart.n_prevent);
}

static void apply_on_give_up(loader_t *L, char *v) {
  static const char *const names[] = {"fail", "stop"};
  int i = parse_enum(L, v, names, 2);

  if (i >= 0) L->c->restart.on_give_up = (sw_give_up_t)i;
}

/* ---- [log] ------------------------------------------------------------ */

static void apply_log_dir(loader_t *L, char *v) {
  set_path(L, &L->c->log_dir, L->c->dir, v);
}

static void apply_stdout(loader_t *L, char *v) {
  set_path(L, &L->c->stdout_path, L->c->log_dir ? L->c->log_dir : L->c->dir, v);
}

static void apply_stderr(loader_t *L, char *v) {
  set_path(L, &L->c->stderr_path, L->c->log_dir ? L->c->log_dir : L->c->dir, v);
}

static void apply_max_size(loader_t *L, char *v) {
  char why[256];
  uint64_t n;

  if (sw_parse_size(v, &n, why, sizeof(why)) != 0) {
    err(L, "%s", why);
    return;
  }
  if (n < 1024) {
    err(L, "%s is too small; at least 1KB", v);
    return;
  }
  L->c->log_max_size = n;
}

static void apply_keep(loader_t *L, char *v) {
  long long n;

  if (int_in(L, v, 0, 10000, &n)) L->c->log_keep = (unsigned)n;
}

static void apply_timestamps(loader_t *L, char *v) {
  char why[256];

  if (sw_parse_bool(v, &L->c->log_timestamps, why, sizeof(why)) != 0)
    err(L, "%s", why);
}

static void apply_tail_lines(loader_t *L, char *v) {
  long long n;

  if (int_in(L, v, 0, 1000, &n)) L->c->tail_lines = (unsigned)n;
}

/* ---- the contract ------------------------------------------------------ */

/* Applied in this order: the name first (other defaults use it), the log
 * directory before the log files inside it. */
static const key_def_t keys[] = {
    {"service", "name", apply_name, NULL, KEY_REQUIRED | KEY_RAW},
    {"service", "display_name", apply_display_name, "", 0},
    {"service", "description", apply_description, "", 0},
    {"service", "start_type", apply_start_type, "auto", 0},
    {"service", "depends_on", apply_depends_on, "", 0},
    {"service", "account", apply_account, "LocalSystem", 0},
    {"process", "executable", apply_executable, NULL, KEY_REQUIRED},
    {"process", "arguments", apply_arguments, "", KEY_RAW},
    {"process", "working_directory", apply_working_directory, ".", 0},
    {"process", "priority", apply_priority, "normal", 0},
    {"stop", "method", apply_method, "ctrl-break, terminate", 0},
    {"stop", "timeout", apply_stop_timeout, "10s", 0},
    {"stop", "event_name", apply_event_name,
     "Global\\svcwrap-%SVCWRAP_SERVICE_NAME%-stop", 0},
    {"restart", "policy", apply_policy, "on-failure", 0},
    {"restart", "delay", apply_delay, "1s", 0},
    {"restart", "max_delay", apply_max_delay, "1min", 0},
    {"restart", "steps", apply_steps, "5", 0},
    {"restart", "reset_after", apply_reset_after, "1min", 0},
    {"restart", "burst", apply_burst, "5", 0},
    {"restart", "interval", apply_interval, "1min", 0},
    {"restart", "success_exit_codes", apply_success_codes, "0", 0},
    {"restart", "prevent_exit_codes", apply_prevent_codes, "", 0},
    {"restart", "on_give_up", apply_on_give_up, "fail", 0},
    {"log", "directory", apply_log_dir, "logs", 0},
    {"log", "stdout", apply_stdout, "%SVCWRAP_SERVICE_NAME%.out.log", 0},
    {"log", "stderr", apply_stderr, "%SVCWRAP_SERVICE_NAME%.err.log", 0},
    {"log", "max_size", apply_max_size, "10MB", 0},
    {"log", "keep", apply_keep, "5", 0},
    {"log", "timestamps", apply_timestamps, "true", 0},
    {"log", "tail_lines", apply_tail_lines, "20", 0},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(N_KEYS <= SW_CONFIG_MAX_KEYS, "grow SW_CONFIG_MAX_KEYS");

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
  unsigned i;

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
      sw_diags_add(L->d, true, s->line,
                   "unknown section [%s]; sections are [service], [process], "
                   "[environment], [stop], [restart] and [log]",
                   s->name);
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
    if (strcmp(sections[s], "environment") == 0)
      continue; /* handled by apply_environment() */
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
  v = e ? (keys[k].flags & KEY_RAW ? xstrdup(L, e->value) : expand(L, e->value))
        : (keys[k].flags & KEY_RAW ? xstrdup(L, keys[k].def)
                                   : expand(L, keys[k].def));
  if (v != NULL) {
    keys[k].apply(L, v);
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
  for (i = 0; i < s->n_methods; i++) {
    has_break |= s->methods[i] == SW_STOP_CTRL_BREAK;
    has_c |= s->methods[i] == SW_STOP_CTRL_C;
    if (c->platform == SW_PLATFORM_POSIX &&
        (s->methods[i] == SW_STOP_EVENT || s->methods[i] == SW_STOP_WM_CLOSE))
      warn_at(L, line_of(found, "stop", "method"),
              "[stop] method: %s is unavailable on Linux; the ladder skips "
              "it",
              method_names[s->methods[i]]);
  }
  if (c->platform == SW_PLATFORM_WIN && has_break && has_c)
    warn_at(L, line_of(found, "stop", "method"),
            "[stop] method: ctrl-c cannot reach the child: ctrl-break needs "
            "the child in its own process group, and such a group ignores "
            "CTRL_C; use one of the two (or event)");
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
