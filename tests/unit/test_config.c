/* SPDX-License-Identifier: MIT */
/*
 * core/ini_read.c, core/config_load.c, core/config.c: INI text in, config
 * or findings out. Every test parses a string with a fake environment, so
 * nothing depends on the machine. Findings are checked by line and text;
 * defaults against docs/configuration.md; the dump by parsing it again.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmdline.h"
#include "core/config.h"
#include "core/err.h"
#include "core/ini_read.h"

#define POSIX_INI "/etc/svc/svc.ini"
#define WIN_INI   "C:\\ProgramData\\svc\\svc.ini"

/* The smallest valid file: 4 lines, so added lines start at line 5. */
#define MIN_INI "[service]\nname = svc\n[process]\nexecutable = app\n"

/* ---- a fake environment -------------------------------------------------- */

typedef struct {
  const char *name;
  const char *value;
} fake_var_t;

static const fake_var_t fake_env[] = {
    {"APPDIR", "/opt/app"}, {"WINAPPDIR", "C:\\Program Files\\App"},
    {"PORT", "8080"},       {"SPACED", "two words"},
    {"PCT", "100%"},        {"SVCNAME", "mysvc"},
    {"EMPTY", ""},          {NULL, NULL},
};

static char *fake_getenv(const char *name, void *data) {
  const fake_var_t *v = data;

  for (; v->name != NULL; v++)
    if (strcmp(v->name, name) == 0) return strdup(v->value);
  return NULL;
}

/* ---- helpers ------------------------------------------------------------- */

static sw_platform_t platform_of(const char *path) {
  return path[0] == '/' ? SW_PLATFORM_POSIX : SW_PLATFORM_WIN;
}

static int parse_len(const char *path, const char *text, size_t len,
                     sw_config_t **out, sw_diags_t *d) {
  memset(d, 0, sizeof(*d));
  return sw_config_parse(path, text, len, platform_of(path), fake_getenv,
                         (void *)fake_env, out, d);
}

static void print_diags(const sw_diags_t *d) {
  unsigned i;

  for (i = 0; i < d->n; i++)
    print_message("  line %d: %s: %s\n", d->v[i].line,
                  d->v[i].is_error ? "error" : "warning", d->v[i].text);
}

/* Parse text that must load with no finding at all. */
static sw_config_t *load_ok(const char *path, const char *text) {
  sw_config_t *c = NULL;
  sw_diags_t d;
  int rc = parse_len(path, text, strlen(text), &c, &d);

  if (rc != 0 || d.n != 0) {
    print_diags(&d);
    fail_msg("expected a clean load, got rc %d and %u findings", rc, d.n);
  }
  assert_non_null(c);
  sw_diags_free(&d);
  return c;
}

/* Whether d holds a finding of that kind, line and text part. */
static bool has_diag(const sw_diags_t *d, bool is_error, int line,
                     const char *part) {
  unsigned i;

  for (i = 0; i < d->n; i++)
    if (d->v[i].is_error == is_error && d->v[i].line == line &&
        strstr(d->v[i].text, part) != NULL)
      return true;
  return false;
}

static void expect_diag(const sw_diags_t *d, bool is_error, int line,
                        const char *part) {
  if (!has_diag(d, is_error, line, part)) {
    print_diags(d);
    fail_msg("no %s on line %d containing \"%s\"",
             is_error ? "error" : "warning", line, part);
  }
}

/* Parse text that must fail with exactly n_errors errors (and no
 * warnings); the caller checks them and frees d. */
static void load_fail(const char *path, const char *text, size_t len,
                      unsigned n_errors, sw_diags_t *d) {
  sw_config_t *c = (sw_config_t *)1;
  int rc = parse_len(path, text, len, &c, d);

  if (rc != SW_ECONFIG || d->n_errors != n_errors || d->n != n_errors) {
    print_diags(d);
    fail_msg(
        "expected SW_ECONFIG with %u errors, got rc %d, %u errors, %u "
        "findings",
        n_errors, rc, d->n_errors, d->n);
  }
  assert_null(c);
}

/* MIN_INI + extra must give exactly one finding, an error on `line`
 * with `part` in its text. */
static void one_error(const char *extra, int line, const char *part) {
  char text[4096];
  sw_config_t *c = (sw_config_t *)1;
  sw_diags_t d;
  int rc;

  snprintf(text, sizeof(text), "%s%s", MIN_INI, extra);
  rc = parse_len(POSIX_INI, text, strlen(text), &c, &d);
  if (rc != SW_ECONFIG || c != NULL || d.n != 1 ||
      !has_diag(&d, true, line, part)) {
    print_diags(&d);
    fail_msg(
        "after MIN_INI + <%s>: rc %d, %u findings; want one error on "
        "line %d with \"%s\"",
        extra, rc, d.n, line, part);
  }
  sw_diags_free(&d);
}

/* ---- security: quotes, batch files, operators -----------------------------
 */

static void semicolon_inside_quotes_is_text(void **state) {
  sw_config_t *c;

  (void)state;
  c = load_ok(POSIX_INI, MIN_INI "arguments = --query \"SELECT 1 ;\" --pw=x\n");
  assert_int_equal(c->argv.n, 3);
  assert_string_equal(c->argv.v[0], "--query");
  assert_string_equal(c->argv.v[1], "SELECT 1 ;");
  assert_string_equal(c->argv.v[2], "--pw=x");
  sw_config_free(c);
  /* Outside quotes, " ;" still starts a comment. */
  c = load_ok(POSIX_INI, MIN_INI "arguments = a \"b ; c\" d ; e \"f\n");
  assert_int_equal(c->argv.n, 3);
  assert_string_equal(c->argv.v[1], "b ; c");
  assert_string_equal(c->argv.v[2], "d");
  sw_config_free(c);
  /* An empty value with a comment is empty, as the example INI writes it;
   * without a blank before it a ';' is text, as inih reads it. */
  c = load_ok(POSIX_INI, MIN_INI "arguments =        ; none\n");
  assert_int_equal(c->argv.n, 0);
  sw_config_free(c);
  c = load_ok(POSIX_INI, MIN_INI "arguments =;x\n");
  assert_int_equal(c->argv.n, 1);
  assert_string_equal(c->argv.v[0], ";x");
  sw_config_free(c);
}

static void unbalanced_quote_is_reported(void **state) {
  (void)state;
  one_error("arguments = --name \"my app --port 80\n", 5, "unbalanced quote");
  one_error("[service]\ndescription = say \"hi\n", 6, "unbalanced quote");
  /* A quote after an odd number of backslashes is a literal one, as
   * CommandLineToArgvW reads it. */
  one_error("arguments = \"C:\\dir\\\" x\n", 5, "unbalanced quote");
}

static void escaped_quotes_are_balanced(void **state) {
  sw_config_t *c;

  (void)state;
  c = load_ok(POSIX_INI,
              MIN_INI "arguments = a\\\"b \"x\\\\\" \"q ; r\" ; comment\n");
  assert_int_equal(c->argv.n, 3);
  assert_string_equal(c->argv.v[0], "a\"b");
  assert_string_equal(c->argv.v[1], "x\\");
  assert_string_equal(c->argv.v[2], "q ; r");
  sw_config_free(c);
}

static void batch_file_arguments(void **state) {
  static const char *const bad[] = {
      "\"a&b\"", "x|y", "\"100%%\"", "a^b", "\"(x)\"", "hi!", "\"\"\"\"",
  };
  char text[512];
  sw_config_t *c;
  size_t i;

  (void)state;
  assert_true(sw_is_batch_file("C:\\x\\run.CMD"));
  assert_true(sw_is_batch_file("run.bat"));
  assert_false(sw_is_batch_file("run.exe"));
  assert_false(sw_is_batch_file("bat"));
  assert_int_equal(sw_batch_unsafe_char("--port=8080"), '\0');
  assert_int_equal(sw_batch_unsafe_char("a\nb"), '\n');
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    sw_diags_t d;

    snprintf(text, sizeof(text),
             "[service]\nname = svc\n[process]\nexecutable = run.cmd\n"
             "arguments = ok %s\n",
             bad[i]);
    load_fail(WIN_INI, text, strlen(text), 1, &d);
    expect_diag(&d, true, 5, "argument 2");
    expect_diag(&d, true, 5, "cmd.exe acts on");
    sw_diags_free(&d);
  }
  /* The same arguments are fine for a program, and plain ones for a
   * batch file; POSIX runs no cmd.exe. */
  c = load_ok(WIN_INI,
              "[service]\nname = svc\n[process]\nexecutable = "
              "run.exe\narguments = \"a&b\" 100%%\n");
  sw_config_free(c);
  c = load_ok(WIN_INI,
              "[service]\nname = svc\n[process]\nexecutable = "
              "run.bat\narguments = --port=8080 \"C:\\My Data\"\n");
  assert_int_equal(c->argv.n, 2);
  sw_config_free(c);
  c = load_ok(POSIX_INI,
              "[service]\nname = svc\n[process]\nexecutable = "
              "run.bat\narguments = \"a&b\"\n");
  sw_config_free(c);
}

static void operators_key(void **state) {
  static const char *const ok[] = {"MyOps", "CORP\\Service Operators",
                                   "\"Ops Team\""};
  static const char *const bad[] = {"a,b",     "CORP\\", "\\ops",
                                    "a\\b\\c", "ops*",   "x@corp"};
  char text[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    sw_config_t *c;

    snprintf(text, sizeof(text), "%s[service]\noperators = %s\n", MIN_INI,
             ok[i]);
    c = load_ok(POSIX_INI, text);
    assert_true(c->operators[0] != '\0');
    assert_null(strchr(c->operators, '"'));
    sw_config_free(c);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(text, sizeof(text), "[service]\noperators = %s\n", bad[i]);
    one_error(text, 6, "is not a group name");
  }
}

/* ---- defaults ------------------------------------------------------------ */

static void defaults_posix(void **state) {
  sw_config_t *c = load_ok(POSIX_INI, MIN_INI);

  (void)state;
  assert_int_equal(c->platform, SW_PLATFORM_POSIX);
  assert_string_equal(c->path, POSIX_INI);
  assert_string_equal(c->dir, "/etc/svc");
  /* [service] */
  assert_string_equal(c->name, "svc");
  assert_string_equal(c->display_name, "svc"); /* default: the name */
  assert_string_equal(c->description, "");
  assert_int_equal(c->start_type, SW_START_AUTO);
  assert_int_equal(c->depends_on.n, 0);
  assert_string_equal(c->account, "LocalSystem");
  /* [process] */
  assert_string_equal(c->executable, "/etc/svc/app");
  assert_string_equal(c->arguments, "");
  assert_int_equal(c->argv.n, 0);
  assert_string_equal(c->working_directory, "/etc/svc"); /* INI's folder */
  assert_int_equal(c->priority, SW_PRIO_NORMAL);
  /* [environment] */
  assert_int_equal(c->n_env, 0);
  /* [stop]: ctrl-break, terminate on Linux too */
  assert_int_equal(c->stop.n_methods, 2);
  assert_int_equal(c->stop.methods[0], SW_STOP_CTRL_BREAK);
  assert_int_equal(c->stop.methods[1], SW_STOP_TERMINATE);
  assert_int_equal(c->stop.timeout_ms, 10000);
  assert_string_equal(c->stop.event_name, "Global\\svcwrap-svc-stop");
  /* [restart] */
  assert_int_equal(c->restart.policy, SW_RESTART_ON_FAILURE);
  assert_int_equal(c->restart.delay_ms, 1000);
  assert_int_equal(c->restart.max_delay_ms, 60000);
  assert_int_equal(c->restart.steps, 5);
  assert_int_equal(c->restart.reset_after_ms, 60000);
  assert_int_equal(c->restart.burst, 5);
  assert_int_equal(c->restart.interval_ms, 60000);
  assert_int_equal(c->restart.n_success, 1);
  assert_int_equal(c->restart.success_codes[0], 0);
  assert_int_equal(c->restart.n_prevent, 0);
  assert_int_equal(c->restart.on_give_up, SW_GIVE_UP_FAIL);
  /* [log] */
  assert_string_equal(c->log_dir, "/etc/svc/logs");
  assert_string_equal(c->stdout_path, "/etc/svc/logs/svc.out.log");
  assert_string_equal(c->stderr_path, "/etc/svc/logs/svc.err.log");
  assert_int_equal(c->log_max_size, 10 * 1024 * 1024);
  assert_int_equal(c->log_keep, 5);
  assert_true(c->log_timestamps);
  assert_int_equal(c->tail_lines, 20);
  /* Where each key came from. */
  assert_int_equal(sw_config_key_line(c, "service", "name"), 2);
  assert_int_equal(sw_config_key_line(c, "process", "executable"), 4);
  assert_int_equal(sw_config_key_line(c, "restart", "policy"), 0);
  assert_int_equal(sw_config_key_line(c, "nope", "nope"), 0);
  /* 10s grace for ctrl-break, plus terminate's allowance. */
  assert_int_equal(sw_config_stop_budget_ms(c), 15000);
  sw_config_free(c);
}

static void defaults_win(void **state) {
  sw_config_t *c = load_ok(WIN_INI, MIN_INI);

  (void)state;
  assert_int_equal(c->platform, SW_PLATFORM_WIN);
  assert_string_equal(c->dir, "C:\\ProgramData\\svc");
  assert_string_equal(c->executable, "C:\\ProgramData\\svc\\app");
  assert_string_equal(c->working_directory, "C:\\ProgramData\\svc");
  assert_int_equal(c->stop.n_methods, 2);
  assert_int_equal(c->stop.methods[0], SW_STOP_CTRL_BREAK);
  assert_int_equal(c->stop.methods[1], SW_STOP_TERMINATE);
  assert_string_equal(c->stop.event_name, "Global\\svcwrap-svc-stop");
  assert_string_equal(c->log_dir, "C:\\ProgramData\\svc\\logs");
  assert_string_equal(c->stdout_path,
                      "C:\\ProgramData\\svc\\logs\\svc.out.log");
  assert_string_equal(c->stderr_path,
                      "C:\\ProgramData\\svc\\logs\\svc.err.log");
  assert_int_equal(c->restart.policy, SW_RESTART_ON_FAILURE);
  sw_config_free(c);
}

/* Every key set to something other than its default. */
static void every_key(void **state) {
  static const char text[] =
      "[service]\n"
      "name = web\n"
      "display_name = \"My Web Service\"\n"
      "description = Serves the web.\n"
      "start_type = delayed-auto\n"
      "depends_on = Tcpip, Dnscache\n"
      "account = NT AUTHORITY\\NetworkService\n"
      "[process]\n"
      "executable = bin/web\n"
      "arguments = --port %PORT% -v\n"
      "working_directory = /srv/web\n"
      "priority = below-normal\n"
      "[environment]\n"
      "GOMAXPROCS = 4\n"
      "Mode = prod\n"
      "[stop]\n"
      "method = ctrl-c, ctrl-break\n"
      "timeout = 1min 30s\n"
      "event_name = Local\\web-stop\n"
      "[restart]\n"
      "policy = always\n"
      "delay = 250ms\n"
      "max_delay = 2min\n"
      "steps = 0\n"
      "reset_after = 0\n"
      "burst = 0\n"
      "interval = 2h\n"
      "success_exit_codes = 0, 3, 0xC000013A\n"
      "prevent_exit_codes = 78, -1\n"
      "on_give_up = stop\n"
      "[log]\n"
      "directory = /var/log/web\n"
      "stdout = web.log\n"
      "stderr = web.log\n"
      "max_size = 512KB\n"
      "keep = 0\n"
      "timestamps = off\n"
      "tail_lines = 0\n";
  sw_config_t *c = load_ok(POSIX_INI, text);

  (void)state;
  assert_string_equal(c->name, "web");
  assert_string_equal(c->display_name, "My Web Service");
  assert_string_equal(c->description, "Serves the web.");
  assert_int_equal(c->start_type, SW_START_DELAYED_AUTO);
  assert_int_equal(c->depends_on.n, 2);
  assert_string_equal(c->depends_on.v[0], "Tcpip");
  assert_string_equal(c->depends_on.v[1], "Dnscache");
  assert_string_equal(c->account, "NT AUTHORITY\\NetworkService");
  assert_string_equal(c->executable, "/etc/svc/bin/web");
  assert_string_equal(c->arguments, "--port %PORT% -v");
  assert_int_equal(c->argv.n, 3);
  assert_string_equal(c->argv.v[0], "--port");
  assert_string_equal(c->argv.v[1], "8080");
  assert_string_equal(c->argv.v[2], "-v");
  assert_string_equal(c->working_directory, "/srv/web");
  assert_int_equal(c->priority, SW_PRIO_BELOW_NORMAL);
  assert_int_equal(c->n_env, 2);
  assert_string_equal(c->env[0].name, "GOMAXPROCS");
  assert_string_equal(c->env[0].value, "4");
  assert_string_equal(c->env[1].name, "Mode");
  assert_string_equal(c->env[1].value, "prod");
  assert_int_equal(c->stop.n_methods, 3);
  assert_int_equal(c->stop.methods[0], SW_STOP_CTRL_C);
  assert_int_equal(c->stop.methods[1], SW_STOP_CTRL_BREAK);
  assert_int_equal(c->stop.methods[2], SW_STOP_TERMINATE);
  assert_int_equal(c->stop.timeout_ms, 90000);
  assert_string_equal(c->stop.event_name, "Local\\web-stop");
  assert_int_equal(c->restart.policy, SW_RESTART_ALWAYS);
  assert_int_equal(c->restart.delay_ms, 250);
  assert_int_equal(c->restart.max_delay_ms, 120000);
  assert_int_equal(c->restart.steps, 0);
  assert_int_equal(c->restart.reset_after_ms, 0);
  assert_int_equal(c->restart.burst, 0);
  assert_int_equal(c->restart.interval_ms, 7200000);
  assert_int_equal(c->restart.n_success, 3);
  assert_int_equal(c->restart.success_codes[0], 0);
  assert_int_equal(c->restart.success_codes[1], 3);
  assert_int_equal(c->restart.success_codes[2], 0xC000013Au);
  assert_int_equal(c->restart.n_prevent, 2);
  assert_int_equal(c->restart.prevent_codes[0], 78);
  assert_int_equal(c->restart.prevent_codes[1], 0xFFFFFFFFu);
  assert_int_equal(c->restart.on_give_up, SW_GIVE_UP_STOP);
  assert_string_equal(c->log_dir, "/var/log/web");
  assert_string_equal(c->stdout_path, "/var/log/web/web.log");
  assert_string_equal(c->stderr_path, "/var/log/web/web.log"); /* merged */
  assert_int_equal(c->log_max_size, 524288);
  assert_int_equal(c->log_keep, 0);
  assert_false(c->log_timestamps);
  assert_int_equal(c->tail_lines, 0);
  assert_int_equal(sw_config_key_line(c, "log", "tail_lines"), 38);
  /* Two graceful steps of 90s, plus terminate's allowance. */
  assert_int_equal(sw_config_stop_budget_ms(c), 185000);
  sw_config_free(c);
}

/* Section and key names ignore case; inline comments are removed. */
static void names_case_and_comments(void **state) {
  static const char text[] =
      "; a comment\n"
      "# another\n"
      "[Service] ; the service\n"
      "NAME = svc\n"
      "[PROCESS]\n"
      "Executable = app   ; the program\n"
      "[restart]\n"
      "policy = ALWAYS ; restart always\n"
      "[log]\n"
      "stdout = a;b.log\n";
  sw_config_t *c = load_ok(POSIX_INI, text);

  (void)state;
  assert_string_equal(c->name, "svc");
  assert_string_equal(c->executable, "/etc/svc/app");
  assert_int_equal(c->restart.policy, SW_RESTART_ALWAYS);
  /* ';' without a blank before it is part of the value. */
  assert_string_equal(c->stdout_path, "/etc/svc/logs/a;b.log");
  sw_config_free(c);
}

static void accounts(void **state) {
  static const struct {
    const char *value, *want;
    sw_account_kind_t kind;
  } ok[] = {
      {"LocalSystem", "LocalSystem", SW_ACCOUNT_BUILTIN},
      {"localsystem", "localsystem", SW_ACCOUNT_BUILTIN},
      {"NT AUTHORITY\\LocalService", "NT AUTHORITY\\LocalService",
       SW_ACCOUNT_BUILTIN},
      {"nt authority\\networkservice", "nt authority\\networkservice",
       SW_ACCOUNT_BUILTIN},
      {"NT SERVICE\\svc", "NT SERVICE\\svc", SW_ACCOUNT_VIRTUAL},
      {"\"NT SERVICE\\my svc\"", "NT SERVICE\\my svc", SW_ACCOUNT_VIRTUAL},
      {"CORP\\gmsa-web$", "CORP\\gmsa-web$", SW_ACCOUNT_GMSA},
      {"CORP\\user", "CORP\\user", SW_ACCOUNT_USER},
      {".\\admin", ".\\admin", SW_ACCOUNT_USER},
      {"svc@corp.example", "svc@corp.example", SW_ACCOUNT_USER},
  };
  static const char *const bad[] = {
      "Administrator", "NT SERVICE\\",        "gmsa$", "CORP\\$", "\\user",
      "a\\b\\c",       "NT AUTHORITY\\Other", "@corp", "user@"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    char text[256];
    sw_config_t *c;

    snprintf(text, sizeof(text), "%s[service]\naccount = %s\n", MIN_INI,
             ok[i].value);
    c = load_ok(POSIX_INI, text);
    assert_string_equal(c->account, ok[i].want);
    assert_int_equal(c->account_kind, ok[i].kind);
    assert_int_equal(
        sw_account_needs_logon_right(c->account_kind),
        ok[i].kind == SW_ACCOUNT_GMSA || ok[i].kind == SW_ACCOUNT_USER);
    sw_config_free(c);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char extra[256];

    snprintf(extra, sizeof(extra), "[service]\naccount = %s\n", bad[i]);
    one_error(extra, 6, "is not a service account");
  }
}

/* [service] recovery and recovery_reset, and their SCM form. */
static void recovery(void **state) {
  sw_sc_action_t sc[SW_MAX_RECOVERY];
  uint32_t reset_s;
  sw_config_t *c;
  char *dump;

  (void)state;
  c = load_ok(WIN_INI, MIN_INI
              "[service]\nrecovery = restart:10s, "
              "restart:1min, run:C:\\x\\n.cmd --a, reboot, "
              "none\nrecovery_reset = 2h\n");
  assert_int_equal(c->recovery.n, 5);
  assert_string_equal(c->recovery.command, "C:\\x\\n.cmd --a");
  assert_int_equal(sw_recovery_sc_actions(&c->recovery, sc, &reset_s), 5);
  /* SC_ACTION_RESTART 1, _RUN_COMMAND 3, _REBOOT 2, _NONE 0 */
  assert_int_equal(sc[0].type, 1);
  assert_int_equal(sc[0].delay_ms, 10000);
  assert_int_equal(sc[1].type, 1);
  assert_int_equal(sc[1].delay_ms, 60000);
  assert_int_equal(sc[2].type, 3);
  assert_int_equal(sc[2].delay_ms, 0);
  assert_int_equal(sc[3].type, 2);
  assert_int_equal(sc[3].delay_ms, SW_RECOVERY_DEFAULT_DELAY_MS);
  assert_int_equal(sc[4].type, 0);
  assert_int_equal(reset_s, 7200);
  assert_int_equal(sw_config_dump(c, &dump), 0);
  assert_non_null(strstr(dump,
                         "recovery = restart:10000ms, restart:60000ms, "
                         "run:C:\\x\\n.cmd --a, reboot:60000ms, none\n"));
  free(dump);
  sw_config_free(c);

  /* The defaults: no actions, a day. */
  c = load_ok(WIN_INI, MIN_INI);
  assert_int_equal(c->recovery.n, 0);
  assert_int_equal(sw_recovery_sc_actions(&c->recovery, sc, &reset_s), 0);
  assert_int_equal(reset_s, 86400);
  sw_config_free(c);

  one_error("[service]\nrecovery = restart:10s, resart\n", 6,
            "\"resart\" is not a recovery action");
  one_error("[service]\nrecovery = restart:2d\n", 6, "at most 1d");
  one_error("[service]\nrecovery = restart:soon\n", 6, "restart:soon");
  one_error("[service]\nrecovery = run\n", 6, "run needs its command");
  one_error("[service]\nrecovery = none:1s\n", 6, "none takes nothing");
  one_error("[service]\nrecovery = run:a, run:b\n", 6,
            "two different run commands");
  one_error(
      "[service]\nrecovery = none, none, none, none, none, none, none, "
      "none, none\n",
      6, "more than 8 actions");
  one_error("[service]\nrecovery_reset = 1500ms\n", 6, "whole seconds");
}

/* [control]: codes, actions, duplicates, platform warnings, the dump. */
static void control_section(void **state) {
  const sw_control_t *t;
  sw_config_t *c;
  char *dump;

  (void)state;
  c = load_ok(POSIX_INI, MIN_INI
              "[control]\n129 = signal:hup\n"
              "255 = restart\nreload = exec:/bin/echo "
              "%SVCNAME% \"a b\"\n130 = rotate\n"
              "131 = ctrl-break\n");
  assert_int_equal(c->n_controls, 5);
  t = sw_config_control(c, 129);
  assert_non_null(t);
  assert_int_equal(t->kind, SW_CTL_SIGNAL);
  assert_string_equal(t->arg, "SIGHUP");
  assert_int_equal(t->line, 6);
  t = sw_config_control(c, SW_CONTROL_RELOAD);
  assert_non_null(t);
  assert_int_equal(t->kind, SW_CTL_EXEC);
  assert_string_equal(t->arg, "/bin/echo mysvc \"a b\"");
  assert_int_equal(sw_config_control(c, 255)->kind, SW_CTL_RESTART);
  assert_null(sw_config_control(c, 132));
  assert_int_equal(sw_config_dump(c, &dump), 0);
  assert_non_null(strstr(dump,
                         "[control]\n129 = signal:SIGHUP\n255 = "
                         "restart\nreload = exec:/bin/echo mysvc"));
  free(dump);
  sw_config_free(c);

  c = load_ok(WIN_INI, MIN_INI
              "[control]\n129 = event:svc-reload\n"
              "130 = event:Local\\x\n");
  assert_string_equal(sw_config_control(c, 129)->arg, "Global\\svc-reload");
  assert_string_equal(sw_config_control(c, 130)->arg, "Local\\x");
  sw_config_free(c);

  {
    static const char text[] = MIN_INI
        "[control]\n129 = event:a\n"
        "130 = event:Local\\a\n"
        "131 = event:svcwrap-svc-stop\n";
    sw_diags_t d;

    load_fail(WIN_INI, text, sizeof(text) - 1, 2, &d);
    expect_diag(&d, true, 7, "line 6 uses the same event");
    expect_diag(&d, true, 8, "is the stop event's name");
    sw_diags_free(&d);
  }
  /* Actions the platform lacks, and recovery that cannot apply: warnings. */
  {
    static const char win[] = MIN_INI
        "[control]\n129 = signal:HUP\n"
        "[service]\nrecovery = restart\n"
        "[restart]\non_give_up = stop\n";
    static const char posix[] = MIN_INI
        "[control]\n129 = event:x\n"
        "[service]\nrecovery = restart\n";
    sw_config_t *cw = NULL, *cp = NULL;
    sw_diags_t d;

    assert_int_equal(parse_len(WIN_INI, win, sizeof(win) - 1, &cw, &d), 0);
    expect_diag(&d, false, 6, "signals exist on Linux only");
    expect_diag(&d, false, 8, "the SCM never applies these");
    assert_int_equal(d.n, 2);
    sw_diags_free(&d);
    sw_config_free(cw);
    assert_int_equal(parse_len(POSIX_INI, posix, sizeof(posix) - 1, &cp, &d),
                     0);
    expect_diag(&d, false, 6, "named events exist on Windows only");
    expect_diag(&d, false, 8, "exist on Windows only");
    assert_int_equal(d.n, 2);
    sw_diags_free(&d);
    sw_config_free(cp);
  }
  one_error("[control]\n128 = rotate\n", 6, "\"128\" is not a control code");
  one_error("[control]\n256 = rotate\n", 6, "from 129 to 255");
  one_error("[control]\nabc = rotate\n", 6, "is not a control code");
  one_error("[control]\n129 = signal:SIGNOPE\n", 6, "is not a signal name");
  one_error("[control]\n129 = signal\n", 6, "signal needs its name");
  one_error("[control]\n129 = event:a\\b\n", 6, "is not an event name");
  one_error("[control]\n129 = exec:\n", 6, "exec needs its command");
  one_error("[control]\n129 = restart:now\n", 6, "takes nothing after it");
  one_error("[control]\n129 = reboot\n", 6, "is not a control action");
  {
    static const char text[] = MIN_INI
        "[control]\n129 = rotate\n"
        "129 = restart\n";
    sw_diags_t d;

    load_fail(POSIX_INI, text, sizeof(text) - 1, 1, &d);
    expect_diag(&d, true, 7, "duplicate code; it is already set on line 6");
    sw_diags_free(&d);
  }
}

/* ---- errors -------------------------------------------------------------- */

typedef struct {
  const char *extra; /* appended to MIN_INI (lines 1-4) */
  int line;
  const char *text;
} err_case_t;

static void error_kinds(void **state) {
  static const err_case_t cases[] = {
      /* sections and keys */
      {"[restrat]\npolicy = always\n", 5,
       "unknown section [restrat]; did you mean [restart]?"},
      {"[LOGS]\nkeep = 3\n", 5, "unknown section [LOGS]; did you mean [log]?"},
      {"[frobnicate]\nx = 1\n", 5,
       "unknown section [frobnicate]; sections are [service], [process], "
       "[environment], [stop], [restart], [health], [hooks], [metrics], "
       "[control] and [log]"},
      {"[restart]\npolcy = no\n", 6,
       "unknown key \"polcy\" in [restart]; did you mean policy?"},
      {"[restart]\nzzzzzzzz = no\n", 6,
       "unknown key \"zzzzzzzz\" in [restart]; keys there: policy, delay, "
       "max_delay, steps, reset_after, burst, interval, success_exit_codes, "
       "prevent_exit_codes, on_give_up"},
      {"[process]\nexecutible = x\n", 6,
       "unknown key \"executible\" in [process]; did you mean executable?"},
      {"[restart]\ndelay = 1s\npolicy = always\ndelay = 2s\n", 8,
       "[restart] delay: duplicate key; it is already set on line 6"},
      {"[service]\nName = other\n", 6,
       "[service] name: duplicate key; it is already set on line 2"},
      {"[environment]\nGOMAXPROCS = 4\ngomaxprocs = 2\n", 7,
       "[environment] gomaxprocs: duplicate variable; it is already set on "
       "line 6"},
      /* syntax */
      {"[restart]\npolicy always\n", 6,
       "\"policy always\" is neither key = value nor [section]"},
      {"[restart]\n= always\n", 6, "missing key name before '='"},
      {"[restart\n", 5, "section header has no closing ']'"},
      {"[restart] policy = always\n", 5, "unexpected text after ']'"},
      {"[]\n", 5, "empty section name []"},
      {"[  ]\n", 5, "empty section name []"},
      /* enumerations */
      {"[service]\nstart_type = sometimes\n", 6,
       "[service] start_type: \"sometimes\" is not accepted; write auto, "
       "delayed-auto, manual or disabled"},
      {"[process]\npriority = realtime\n", 6,
       "[process] priority: \"realtime\" is not accepted; write idle, "
       "below-normal, normal, above-normal or high"},
      {"[restart]\npolicy = sometimes\n", 6,
       "[restart] policy: \"sometimes\" is not accepted; write no, always, "
       "on-failure, on-success, on-abnormal or on-watchdog"},
      {"[restart]\non_give_up = explode\n", 6,
       "[restart] on_give_up: \"explode\" is not accepted; write fail or stop"},
      {"[stop]\nmethod = ctrl-z\n", 6,
       "[stop] method: \"ctrl-z\" is not accepted; write ctrl-break, ctrl-c, "
       "event, wm-close or terminate"},
      /* durations */
      {"[stop]\ntimeout = forever\n", 6,
       "[stop] timeout: \"forever\" is not a duration; write e.g. 500ms, 10s, "
       "5min, 2h, 1min 30s (a bare number means seconds)"},
      {"[stop]\ntimeout = 2h\n", 6,
       "[stop] timeout: 2h is out of range; accepted: 0s to 1h"},
      {"[restart]\ndelay = -1s\n", 6,
       "[restart] delay: negative duration \"-1s\""},
      {"[restart]\nreset_after = 31d\n", 6, "[restart] reset_after: duration"},
      {"[restart]\ninterval = 1.5ms\n", 6, "finer than a millisecond"},
      /* integers, sizes, booleans, codes, lists */
      {"[restart]\nsteps = 1001\n", 6,
       "[restart] steps: 1001 is out of range 0..1000"},
      {"[restart]\nburst = many\n", 6,
       "[restart] burst: \"many\" is not a whole number"},
      {"[restart]\nburst = 1001\n", 6, "[restart] burst: 1001 is out of range"},
      {"[log]\nkeep = -1\n", 6, "[log] keep: -1 is out of range 0..10000"},
      {"[log]\ntail_lines = 1001\n", 6, "[log] tail_lines: 1001 is out of"},
      {"[log]\nmax_size = 12\n", 6,
       "[log] max_size: 12 is too small; at least 1KB"},
      {"[log]\nmax_size = 10 parsecs\n", 6,
       "[log] max_size: unknown unit \"parsecs\""},
      {"[log]\ntimestamps = maybe\n", 6,
       "[log] timestamps: \"maybe\" is not a boolean"},
      {"[restart]\nsuccess_exit_codes = 0, 0x1FFFFFFFF\n", 6,
       "[restart] success_exit_codes: exit code 0x1FFFFFFFF is larger than "
       "0xFFFFFFFF"},
      {"[restart]\nprevent_exit_codes = 1,,2\n", 6,
       "[restart] prevent_exit_codes: empty item in list"},
      {"[service]\ndepends_on = Tcpip,,Dnscache\n", 6,
       "[service] depends_on: empty item in list"},
      {"[service]\ndepends_on = Tcp/ip\n", 6,
       "dependency name may not contain '/'"},
      /* the stop ladder */
      {"[stop]\nmethod = terminate, ctrl-c\n", 6,
       "[stop] method: terminate must be the last method"},
      {"[stop]\nmethod = ctrl-c, ctrl-c\n", 6,
       "[stop] method: ctrl-c is listed twice"},
      {"[stop]\nmethod = ctrl-c, CTRL-C, terminate\n", 6, "is listed twice"},
      {"[stop]\nmethod = terminate, terminate\n", 6,
       "terminate must be the last method"},
      {"[stop]\nmethod = ctrl-c,\n", 6, "[stop] method: empty item in list"},
      {"[stop]\nevent_name = Global\\my\\event\n", 6,
       "[stop] event_name: \"Global\\my\\event\" is not an event name"},
      {"[stop]\nevent_name = Global\\\n", 6, "is not an event name"},
      /* combinations */
      {"[restart]\ndelay = 2s\nmax_delay = 1s\n", 7,
       "[restart] max_delay (1000ms) is shorter than delay (2000ms)"},
      {"[restart]\ndelay = 2min\n", 0,
       "[restart] max_delay (60000ms) is shorter than delay (120000ms)"},
      /* expansion */
      {"[process]\nworking_directory = %NOPE%/x\n", 6,
       "[process] working_directory: environment variable %NOPE% is not "
       "set"},
      {"[service]\ndescription = 50% off\n", 6,
       "[service] description: lone % in \"% off\""},
      {"[process]\narguments = a %NOPE% b\n", 6,
       "[process] arguments: environment variable %NOPE% is not set"},
      {"[environment]\nDISCOUNT = 50% off\n", 6,
       "[environment] DISCOUNT: lone % in \"% off\"; write %NAME% for a "
       "variable or %% for a percent sign"},
      {"[environment]\nX = %NOPE%\n", 6,
       "[environment] X: environment variable %NOPE% is not set"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    one_error(cases[i].extra, cases[i].line, cases[i].text);
}

/* Several problems in one file: every one reported, each on its line. */
static void errors_one_pass(void **state) {
  static const char text[] =
      "[service]\n"                  /* 1 */
      "name = svc\n"                 /* 2 */
      "start_type = sometimes\n"     /* 3 */
      "[process]\n"                  /* 4 */
      "executable = app\n"           /* 5 */
      "priority = urgent\n"          /* 6 */
      "[restart]\n"                  /* 7 */
      "delay = 5 parsecs\n"          /* 8 */
      "burst = -1\n"                 /* 9 */
      "policy = always\n"            /* 10 */
      "policy = no\n"                /* 11 */
      "dealy = 1s\n"                 /* 12 */
      "[logs]\n"                     /* 13 */
      "keep = 3\n"                   /* 14 */
      "[log]\n"                      /* 15 */
      "max_size = 12\n"              /* 16 */
      "timestamps = maybe\n"         /* 17 */
      "keep = lots\n"                /* 18 */
      "[stop]\n"                     /* 19 */
      "method = terminate, ctrl-c\n" /* 20 */
      "just words\n";                /* 21 */
  sw_diags_t d;

  (void)state;
  load_fail(POSIX_INI, text, strlen(text), 12, &d);
  expect_diag(&d, true, 3, "start_type");
  expect_diag(&d, true, 6, "priority");
  expect_diag(&d, true, 8, "unknown unit \"parsecs\"");
  expect_diag(&d, true, 9, "-1 is out of range 0..1000");
  expect_diag(&d, true, 11, "duplicate key; it is already set on line 10");
  expect_diag(&d, true, 12, "did you mean delay?");
  expect_diag(&d, true, 13, "unknown section [logs]; did you mean [log]?");
  expect_diag(&d, true, 16, "too small");
  expect_diag(&d, true, 17, "is not a boolean");
  expect_diag(&d, true, 18, "is not a whole number");
  expect_diag(&d, true, 20, "terminate must be the last method");
  expect_diag(&d, true, 21, "is neither key = value nor [section]");
  sw_diags_free(&d);
}

static void missing_required(void **state) {
  static const char text[] = "[service]\ndisplay_name = x\n";
  sw_diags_t d;

  (void)state;
  load_fail(POSIX_INI, text, strlen(text), 2, &d);
  /* At the header of a section that is there; line 0 for one that is
   * not. */
  expect_diag(&d, true, 1,
              "[service] name is required and missing; add name = ... under "
              "[service]");
  expect_diag(&d, true, 0,
              "[process] executable is required and missing; add "
              "executable = ... under [process]");
  sw_diags_free(&d);
}

static void empty_files(void **state) {
  static const char *const texts[] = {"", "\n\n", "; only\n# comments\n",
                                      "\xEF\xBB\xBF"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    sw_diags_t d;

    /* One finding: "required and missing" for every key would add
     * nothing. */
    load_fail(POSIX_INI, texts[i], strlen(texts[i]), 1, &d);
    expect_diag(&d, true, 0, "no settings: the file is empty or only comments");
    sw_diags_free(&d);
  }
}

static void key_before_section(void **state) {
  static const char text[] = "name = early\n" MIN_INI;
  sw_diags_t d;

  (void)state;
  load_fail(POSIX_INI, text, strlen(text), 1, &d);
  expect_diag(&d, true, 1,
              "key \"name\" comes before any [section]; put it under the "
              "section it belongs to, e.g. [service]");
  sw_diags_free(&d);
}

/*
 * Keys under a malformed section header belong to no section: checking
 * them against the section before it would report a second, false error
 * ("unknown key "policy" in [process]").
 */
static void keys_under_bad_header(void **state) {
  static const char *const extras[] = {
      "[restart\npolicy = always\ndelay = 1s\n",
      "[]\nkey = value\n",
      "[restart] x\npolicy = always\n",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
    char text[256];
    sw_diags_t d;

    snprintf(text, sizeof(text), "%s%s", MIN_INI, extras[i]);
    load_fail(POSIX_INI, text, strlen(text), 1, &d);
    assert_int_equal(d.v[0].line, 5);
    sw_diags_free(&d);
  }
}

/*
 * inih reports only its first error and hands no key-only line to the
 * handler after it: each line it refused is still reported, and a section
 * name is taken whole (inih keeps 49 bytes of it).
 */
static void every_refused_line(void **state) {
  static const char text[] = MIN_INI
      "[restart\n" /* 5 */
      "[stop]\n"   /* 6 */
      "one word\n" /* 7 */
      "[log\n"     /* 8 */
      "two ; x\n"  /* 9 */
      "[abcdefghijklmnopqrstuvwxyzabcdefghijklmn"
      "opqrstuvwxyz]\n"; /* 10 */
  sw_diags_t d;

  (void)state;
  load_fail(POSIX_INI, text, strlen(text), 5, &d);
  expect_diag(&d, true, 5, "section header has no closing ']'");
  expect_diag(&d, true, 7, "\"one word\" is neither key = value nor [section]");
  expect_diag(&d, true, 8, "section header has no closing ']'");
  expect_diag(&d, true, 9, "\"two\" is neither key = value nor [section]");
  expect_diag(&d, true, 10,
              "unknown section [abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrs"
              "tuvwxyz]");
  sw_diags_free(&d);
}

/* A value that fails to parse must not be cross-checked as if it were 0. */
static void invalid_value_not_cross_checked(void **state) {
  (void)state;
  /* max_delay would read as 0ms, "shorter than delay". */
  one_error("[restart]\ndelay = 1s\nmax_delay = soon\n", 7,
            "[restart] max_delay: \"soon\" is not a duration");
  /* delay would read as 0: "with delay = 0 every restart is immediate". */
  one_error("[restart]\ndelay = 5 minutez\n", 6,
            "[restart] delay: unknown unit \"minutez\"");
}

static void service_name(void **state) {
  sw_config_t *c;
  sw_diags_t d;
  static const char bad_char[] =
      "[service]\nname = my/service\n[process]\nexecutable = app\n";
  static const char empty[] = "[service]\nname =\n[process]\nexecutable = a\n";
  static const char unset[] =
      "[service]\nname = %NOPE%\n[process]\nexecutable = a\n";

  (void)state;
  /* %VAR% in the name, quotes removed; the name feeds the defaults. */
  c = load_ok(POSIX_INI,
              "[service]\nname = \"%SVCNAME%\"\n[process]\nexecutable = a\n");
  assert_string_equal(c->name, "mysvc");
  assert_string_equal(c->display_name, "mysvc");
  assert_string_equal(c->stop.event_name, "Global\\svcwrap-mysvc-stop");
  assert_string_equal(c->stdout_path, "/etc/svc/logs/mysvc.out.log");
  sw_config_free(c);

  c = load_ok(POSIX_INI,
              "[service]\nname = My Service 2.0_x-y\n[process]\n"
              "executable = a\n");
  assert_string_equal(c->name, "My Service 2.0_x-y");
  sw_config_free(c);

  load_fail(POSIX_INI, bad_char, strlen(bad_char), 1, &d);
  expect_diag(&d, true, 2,
              "[service] name: \"my/service\": service name may not contain "
              "'/'; use letters, digits, '-', '_', '.' or spaces");
  sw_diags_free(&d);
  load_fail(POSIX_INI, empty, strlen(empty), 1, &d);
  expect_diag(&d, true, 2, "[service] name: empty service name");
  sw_diags_free(&d);
  /* One error only: the later defaults use a placeholder name. */
  load_fail(POSIX_INI, unset, strlen(unset), 1, &d);
  expect_diag(&d, true, 2, "environment variable %NOPE% is not set");
  sw_diags_free(&d);
}

static void display_name_limit(void **state) {
  char text[512], name[258];
  sw_config_t *c;

  (void)state;
  memset(name, 'd', 256);
  name[256] = '\0';
  snprintf(text, sizeof(text), "%s[service]\ndisplay_name = %s\n", MIN_INI,
           name);
  c = load_ok(POSIX_INI, text);
  assert_int_equal(strlen(c->display_name), 256);
  sw_config_free(c);
  name[256] = 'd';
  name[257] = '\0';
  snprintf(text, sizeof(text), "[service]\ndisplay_name = %s\n", name);
  one_error(text, 6, "display name is 257 bytes long; at most 256");
}

/* ---- encodings and line endings ------------------------------------------ */

static void utf8_bom(void **state) {
  static const char bad[] = "\xEF\xBB\xBF" MIN_INI "[restart]\npolicy = x\n";
  sw_config_t *c;
  sw_diags_t d;

  (void)state;
  c = load_ok(POSIX_INI, "\xEF\xBB\xBF" MIN_INI);
  assert_string_equal(c->name, "svc");
  assert_int_equal(sw_config_key_line(c, "service", "name"), 2);
  sw_config_free(c);
  /* Line numbers are not shifted by the BOM. */
  load_fail(POSIX_INI, bad, strlen(bad), 1, &d);
  expect_diag(&d, true, 6, "[restart] policy");
  sw_diags_free(&d);
}

/* The same file with LF, CRLF, lone CR and mixed line endings. */
static void line_endings(void **state) {
  static const char *const files[] = {
      "[service]\nname = svc\n[process]\nexecutable = app\n"
      "[restart]\npolicy = bogus\n",
      "[service]\r\nname = svc\r\n[process]\r\nexecutable = app\r\n"
      "[restart]\r\npolicy = bogus\r\n",
      "[service]\rname = svc\r[process]\rexecutable = app\r"
      "[restart]\rpolicy = bogus\r",
      "[service]\r\nname = svc\r[process]\nexecutable = app\r\n"
      "[restart]\rpolicy = bogus",
  };
  static const char *const good[] = {
      "[service]\r\nname = svc\r\n[process]\r\nexecutable = app\r\n"
      "arguments = a b\r\n",
      "[service]\rname = svc\r[process]\rexecutable = app\rarguments = a b\r",
      "[service]\rname = svc\r\r\n[process]\nexecutable = app\r\n\r"
      "arguments = a b",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    sw_diags_t d;

    load_fail(POSIX_INI, files[i], strlen(files[i]), 1, &d);
    expect_diag(&d, true, 6, "[restart] policy: \"bogus\" is not accepted");
    sw_diags_free(&d);
  }
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    sw_config_t *c = load_ok(POSIX_INI, good[i]);

    /* No '\r' left in any value. */
    assert_string_equal(c->name, "svc");
    assert_string_equal(c->executable, "/etc/svc/app");
    assert_int_equal(c->argv.n, 2);
    assert_string_equal(c->argv.v[1], "b");
    sw_config_free(c);
  }
}

static void invalid_utf8(void **state) {
  static const err_case_t cases[] = {
      {"description = caf\xE9\n", 5,
       "invalid UTF-8 (byte 0xE9 at column 18); save the file as UTF-8"},
      {"description = \xC0\xAF\n", 5, "invalid UTF-8 (byte 0xC0 at column 15)"},
      {"description = \xED\xA0\x80\n", 5,
       "invalid UTF-8 (byte 0xED at column 15)"},
      {"description = \xF4\x90\x80\x80\n", 5,
       "invalid UTF-8 (byte 0xF4 at column 15)"},
      {"description = ab\xE2\x82\n", 5,
       "invalid UTF-8 (byte 0xE2 at column 17)"},
      {"description = \x80\n", 5, "invalid UTF-8 (byte 0x80 at column 15)"},
      {"; comment \xFF\n", 5, "invalid UTF-8 (byte 0xFF at column 11)"},
  };
  sw_config_t *c;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    one_error(cases[i].extra, cases[i].line, cases[i].text);
  /* Valid multi-byte UTF-8 passes through unchanged. */
  c = load_ok(POSIX_INI, MIN_INI
              "[service]\ndescription = caf\xC3\xA9 "
              "\xE2\x82\xAC \xF0\x9F\x98\x80\n");
  assert_string_equal(c->description,
                      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  sw_config_free(c);
}

static void utf8_prefix(void **state) {
  (void)state;
  assert_int_equal(sw_utf8_valid_prefix((const unsigned char *)"abc", 3), 3);
  assert_int_equal(sw_utf8_valid_prefix((const unsigned char *)"a\xC3\xA9z", 4),
                   4);
  assert_int_equal(sw_utf8_valid_prefix((const unsigned char *)"ab\xC3", 3), 2);
  assert_int_equal(
      sw_utf8_valid_prefix((const unsigned char *)"\xF4\x8F\xBF\xBF", 4), 4);
  assert_int_equal(
      sw_utf8_valid_prefix((const unsigned char *)"x\xE0\x80\x80", 4), 1);
  assert_int_equal(
      sw_utf8_valid_prefix((const unsigned char *)"\xEF\xBF\xBDq", 4), 4);
  assert_int_equal(sw_utf8_valid_prefix((const unsigned char *)"", 0), 0);
}

static void utf16_and_nul(void **state) {
  static const char le[] = "\xFF\xFE[\0s\0e\0r\0v\0i\0c\0e\0]\0\n\0";
  static const char be[] = "\xFE\xFF\0[\0s\0e\0r\0v\0i\0c\0e\0]\0\n";
  static const char nobom[] = "[\0s\0e\0r\0v\0i\0c\0e\0]\0\n\0";
  static const char nul[] =
      "[service]\nname = svc\n[process]\nexecutable = app\n"
      "description = a\0b\n[restart]\npolicy = bogus\n";
  sw_diags_t d;

  (void)state;
  /* Encoding errors are about the whole file: one error, nothing else
   * (the keys are not "missing", they could not be read). */
  load_fail(POSIX_INI, le, sizeof(le) - 1, 1, &d);
  expect_diag(&d, true, 0,
              "file is UTF-16 encoded; save it as UTF-8 (Notepad: Save As, "
              "Encoding: UTF-8)");
  sw_diags_free(&d);
  load_fail(POSIX_INI, be, sizeof(be) - 1, 1, &d);
  expect_diag(&d, true, 0, "file is UTF-16 encoded");
  sw_diags_free(&d);
  load_fail(POSIX_INI, nobom, sizeof(nobom) - 1, 1, &d);
  expect_diag(&d, true, 0,
              "file starts with NUL bytes (UTF-16 without a BOM?); save it as "
              "UTF-8");
  sw_diags_free(&d);
  /* A NUL in a line: that line, and the rest of the file still checked. */
  load_fail(POSIX_INI, nul, sizeof(nul) - 1, 2, &d);
  expect_diag(&d, true, 5, "line contains a NUL byte; is this a text file?");
  expect_diag(&d, true, 7, "[restart] policy");
  sw_diags_free(&d);
}

/* MIN_INI, "[service]", then on line 6 "prefix" + n times c, then tail
 * from line 7 on. */
static char *big_line(const char *prefix, size_t n, char c, const char *tail) {
  static const char head[] = MIN_INI "[service]\n";
  size_t a = strlen(head), b = strlen(prefix), t = strlen(tail);
  char *s = malloc(a + b + n + 1 + t + 1);

  assert_non_null(s);
  memcpy(s, head, a);
  memcpy(s + a, prefix, b);
  memset(s + a + b, c, n);
  s[a + b + n] = '\n';
  memcpy(s + a + b + n + 1, tail, t + 1);
  return s;
}

static void long_lines(void **state) {
  static const char prefix[] = "description = ";
  size_t plen = strlen(prefix);
  sw_config_t *c;
  sw_diags_t d;
  char *s;

  (void)state;
  /* Exactly SW_INI_MAX_LINE bytes: read whole. */
  s = big_line(prefix, SW_INI_MAX_LINE - plen, 'x', "[restart]\npolicy = no\n");
  c = load_ok(POSIX_INI, s);
  assert_int_equal(strlen(c->description), SW_INI_MAX_LINE - plen);
  assert_int_equal(c->restart.policy, SW_RESTART_NO);
  assert_int_equal(sw_config_key_line(c, "restart", "policy"), 8);
  sw_config_free(c);
  free(s);

  /* One byte more: rejected with its line; later lines still checked. */
  s = big_line(prefix, SW_INI_MAX_LINE - plen + 1, 'x',
               "[restart]\npolicy = bogus\n");
  load_fail(POSIX_INI, s, strlen(s), 2, &d);
  expect_diag(&d, true, 6,
              "line is 65537 bytes long; at most 65536 are accepted");
  expect_diag(&d, true, 8, "[restart] policy: \"bogus\"");
  sw_diags_free(&d);
  free(s);

  /* Far longer, and a comment: still its line, still one error. */
  s = big_line("; ", 200000, 'c', "");
  load_fail(POSIX_INI, s, strlen(s), 1, &d);
  expect_diag(&d, true, 6, "line is 200002 bytes long");
  sw_diags_free(&d);
  free(s);
}

/* A 5000-character arguments line is parsed whole. */
static void long_arguments(void **state) {
  char *text, *p;
  size_t cap = 8192;
  sw_config_t *c;
  int i;

  (void)state;
  text = malloc(cap);
  assert_non_null(text);
  p = text + sprintf(text, "%sarguments =", MIN_INI);
  for (i = 0; i < 840; i++)
    p += sprintf(p, " a%04d", i);
  p += sprintf(p, " \"last one\"\n[restart]\npolicy = no\n");
  assert_true((size_t)(p - text) < cap);
  c = load_ok(POSIX_INI, text);
  assert_true(strlen(c->arguments) > 5000);
  assert_int_equal(c->argv.n, 841);
  assert_string_equal(c->argv.v[0], "a0000");
  assert_string_equal(c->argv.v[839], "a0839");
  assert_string_equal(c->argv.v[840], "last one");
  assert_int_equal(c->restart.policy, SW_RESTART_NO);
  sw_config_free(c);
  free(text);
}

/* ---- %VAR% --------------------------------------------------------------- */

static void expansion(void **state) {
  static const char text[] =
      "[service]\n"
      "name = web\n"
      "description = 100%% sure, %PCT% too; %EMPTY%end\n"
      "[process]\n"
      "executable = %APPDIR%/bin/web\n"
      "arguments = --dir %SPACED% \"--x=%SPACED%\" %PORT%%PORT% 50%% "
      "\"%EMPTY%\"\n"
      "[environment]\n"
      "LISTEN = :%PORT%\n"
      "RAW = 100%%\n"
      "[log]\n"
      "stdout = %SVCWRAP_SERVICE_NAME%-%PORT%.log\n"
      "stderr = %svcwrap_service_name%.err\n";
  sw_config_t *c = load_ok(POSIX_INI, text);

  (void)state;
  assert_string_equal(c->description, "100% sure, 100% too; end");
  assert_string_equal(c->executable, "/opt/app/bin/web");
  /* Split before expansion: a value with spaces stays one argument. */
  assert_string_equal(c->arguments,
                      "--dir %SPACED% \"--x=%SPACED%\" %PORT%%PORT% 50%% "
                      "\"%EMPTY%\"");
  assert_int_equal(c->argv.n, 6);
  assert_string_equal(c->argv.v[0], "--dir");
  assert_string_equal(c->argv.v[1], "two words");
  assert_string_equal(c->argv.v[2], "--x=two words");
  assert_string_equal(c->argv.v[3], "80808080");
  assert_string_equal(c->argv.v[4], "50%");
  assert_string_equal(c->argv.v[5], "");
  assert_int_equal(c->n_env, 2);
  assert_string_equal(c->env[0].value, ":8080");
  assert_string_equal(c->env[1].value, "100%");
  /* %SVCWRAP_SERVICE_NAME% is the service name, in any letter case. */
  assert_string_equal(c->stdout_path, "/etc/svc/logs/web-8080.log");
  assert_string_equal(c->stderr_path, "/etc/svc/logs/web.err");
  sw_config_free(c);
}

/* ---- paths --------------------------------------------------------------- */

static void paths_posix(void **state) {
  sw_config_t *c;

  (void)state;
  c = load_ok(POSIX_INI,
              "[service]\nname = s\n[process]\nexecutable = ../bin/./app\n"
              "working_directory = data\n[log]\ndirectory = /var/log/s\n"
              "stdout = out.log\nstderr = ../err.log\n");
  assert_string_equal(c->executable, "/etc/bin/app");
  assert_string_equal(c->working_directory, "/etc/svc/data");
  assert_string_equal(c->log_dir, "/var/log/s");
  assert_string_equal(c->stdout_path, "/var/log/s/out.log");
  assert_string_equal(c->stderr_path, "/var/log/err.log");
  sw_config_free(c);

  c = load_ok(POSIX_INI,
              "[service]\nname = s\n[process]\n"
              "executable = \"/opt/my app/run\"\nworking_directory = /\n"
              "[log]\ndirectory = l2\nstderr = /tmp/e.log\n");
  assert_string_equal(c->executable, "/opt/my app/run");
  assert_string_equal(c->working_directory, "/");
  assert_string_equal(c->log_dir, "/etc/svc/l2");
  assert_string_equal(c->stdout_path, "/etc/svc/l2/s.out.log");
  assert_string_equal(c->stderr_path, "/tmp/e.log");
  sw_config_free(c);

  /* Characters Windows forbids are fine in POSIX names. */
  c = load_ok(POSIX_INI, "[service]\nname = s\n[process]\nexecutable = a<1>\n");
  assert_string_equal(c->executable, "/etc/svc/a<1>");
  sw_config_free(c);

  one_error("[process]\nworking_directory = \"\"\n", 6,
            "[process] working_directory: empty path");
}

static void paths_win(void **state) {
  sw_config_t *c;
  sw_diags_t d;
  static const char drive_rel[] =
      "[service]\nname = s\n[process]\nexecutable = C:app.exe\n";
  static const char bad_char[] =
      "[service]\nname = s\n[process]\nexecutable = app<1>.exe\n";

  (void)state;
  c = load_ok(WIN_INI,
              "[service]\nname = s\n[process]\nexecutable = bin\\app.exe\n"
              "working_directory = ..\\data\n[log]\ndirectory = D:/logs\n"
              "stdout = sub/out.log\n");
  assert_string_equal(c->executable, "C:\\ProgramData\\svc\\bin\\app.exe");
  assert_string_equal(c->working_directory, "C:\\ProgramData\\data");
  assert_string_equal(c->log_dir, "D:\\logs");
  assert_string_equal(c->stdout_path, "D:\\logs\\sub\\out.log");
  assert_string_equal(c->stderr_path, "D:\\logs\\s.err.log");
  sw_config_free(c);

  /* Quotes around a path are removed; %VAR% with spaces; UNC; \x. */
  c = load_ok(WIN_INI,
              "[service]\nname = s\n[process]\n"
              "executable = \"%WINAPPDIR%\\app.exe\"\n"
              "working_directory = \\\\srv\\share\\work\\..\\..\\up\n"
              "[log]\ndirectory = \\logs\n");
  assert_string_equal(c->executable, "C:\\Program Files\\App\\app.exe");
  assert_string_equal(c->working_directory, "\\\\srv\\share\\up");
  assert_string_equal(c->log_dir, "C:\\logs");
  sw_config_free(c);

  c = load_ok(WIN_INI,
              "[service]\nname = s\n[process]\n"
              "executable = \\\\?\\C:\\very\\long\\app.exe\n");
  assert_string_equal(c->executable, "\\\\?\\C:\\very\\long\\app.exe");
  sw_config_free(c);

  load_fail(WIN_INI, drive_rel, strlen(drive_rel), 1, &d);
  expect_diag(&d, true, 4,
              "[process] executable: \"C:app.exe\" is relative to the current "
              "directory of drive C:, which a service does not have; write "
              "C:\\app.exe");
  sw_diags_free(&d);
  load_fail(WIN_INI, bad_char, strlen(bad_char), 1, &d);
  expect_diag(&d, true, 4,
              "[process] executable: \"app<1>.exe\" contains a character "
              "Windows does not allow in paths");
  sw_diags_free(&d);
}

/* ---- the stop ladder and warnings ---------------------------------------- */

typedef struct {
  const char *platform_ini;
  const char *method;
  unsigned n;
  sw_stop_method_t m[5];
} ladder_t;

static void method_ladders(void **state) {
  static const ladder_t cases[] = {
      {POSIX_INI, "ctrl-c", 2, {SW_STOP_CTRL_C, SW_STOP_TERMINATE}},
      {POSIX_INI, "ctrl-c, terminate", 2, {SW_STOP_CTRL_C, SW_STOP_TERMINATE}},
      {POSIX_INI, "terminate", 1, {SW_STOP_TERMINATE}},
      {POSIX_INI, "", 1, {SW_STOP_TERMINATE}},
      {POSIX_INI,
       "CTRL-BREAK , Terminate",
       2,
       {SW_STOP_CTRL_BREAK, SW_STOP_TERMINATE}},
      {WIN_INI,
       "event, wm-close, ctrl-break",
       4,
       {SW_STOP_EVENT, SW_STOP_WM_CLOSE, SW_STOP_CTRL_BREAK,
        SW_STOP_TERMINATE}},
      {WIN_INI,
       "wm-close, ctrl-c, event, terminate",
       4,
       {SW_STOP_WM_CLOSE, SW_STOP_CTRL_C, SW_STOP_EVENT, SW_STOP_TERMINATE}},
  };
  size_t i;
  unsigned k;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char text[256];
    sw_config_t *c;

    snprintf(text, sizeof(text), "%s[stop]\nmethod = %s\n", MIN_INI,
             cases[i].method);
    c = load_ok(cases[i].platform_ini, text);
    if (c->stop.n_methods != cases[i].n)
      fail_msg("method = %s: %u steps, want %u", cases[i].method,
               c->stop.n_methods, cases[i].n);
    for (k = 0; k < cases[i].n; k++)
      assert_int_equal(c->stop.methods[k], cases[i].m[k]);
    sw_config_free(c);
  }
}

/* Parse text expecting success with exactly n warnings. */
static sw_config_t *load_warn(const char *path, const char *text, unsigned n,
                              sw_diags_t *d) {
  sw_config_t *c = NULL;
  int rc = parse_len(path, text, strlen(text), &c, d);

  if (rc != 0 || d->n_errors != 0 || d->n != n) {
    print_diags(d);
    fail_msg("expected success with %u warnings: rc %d, %u findings", n, rc,
             d->n);
  }
  assert_non_null(c);
  return c;
}

static void warnings(void **state) {
  sw_config_t *c;
  sw_diags_t d;

  (void)state;
  /* Windows: with ctrl-c in the ladder the child stays in the wrapper's
   * process group (src/os/win/child.c), so ctrl-break cannot reach it. */
  c = load_warn(WIN_INI, MIN_INI "[stop]\nmethod = ctrl-break, ctrl-c\n", 1,
                &d);
  expect_diag(&d, false, 6,
              "[stop] method: ctrl-break cannot reach the child: with ctrl-c "
              "in the ladder the child shares the wrapper's process group");
  sw_config_free(c);
  sw_diags_free(&d);
  /* ... not on POSIX, where they are SIGTERM and SIGINT. */
  c = load_ok(POSIX_INI, MIN_INI "[stop]\nmethod = ctrl-break, ctrl-c\n");
  sw_config_free(c);

  /* POSIX: event and wm-close do not exist there. */
  c = load_warn(POSIX_INI, MIN_INI "[stop]\nmethod = event, wm-close\n", 2, &d);
  expect_diag(&d, false, 6,
              "[stop] method: event is unavailable on Linux; the ladder skips "
              "it");
  expect_diag(&d, false, 6, "[stop] method: wm-close is unavailable on Linux");
  assert_int_equal(c->stop.n_methods, 3);
  sw_config_free(c);
  sw_diags_free(&d);
  /* ... but do on Windows. */
  c = load_ok(WIN_INI, MIN_INI "[stop]\nmethod = event, wm-close\n");
  sw_config_free(c);

  /* delay = 0 makes steps and max_delay meaningless. */
  c = load_warn(POSIX_INI, MIN_INI "[restart]\ndelay = 0\n", 1, &d);
  expect_diag(&d, false, 6, "[restart] delay: backoff multiplies the delay");
  sw_config_free(c);
  sw_diags_free(&d);
  c = load_ok(POSIX_INI, MIN_INI "[restart]\ndelay = 0\nsteps = 0\n");
  sw_config_free(c);

  /* Warnings come with errors too, and do not count as errors. */
  {
    static const char text[] =
        MIN_INI "[stop]\nmethod = event\n[restart]\npolicy = x\n";
    sw_config_t *none = (sw_config_t *)1;

    assert_int_equal(parse_len(POSIX_INI, text, strlen(text), &none, &d),
                     SW_ECONFIG);
    assert_null(none);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.n_errors, 1);
    expect_diag(&d, false, 6, "event is unavailable on Linux");
    expect_diag(&d, true, 8, "[restart] policy");
    sw_diags_free(&d);
  }
}

/* ---- the dump ------------------------------------------------------------ */

static void dump_defaults(void **state) {
  static const char want[] =
      "[service]\n"
      "name = svc\n"
      "display_name = svc\n"
      "description = \n"
      "start_type = auto\n"
      "depends_on = \n"
      "account = LocalSystem\n"
      "recovery = \n"
      "recovery_reset = 86400000ms\n"
      "operators = \n"
      "\n"
      "[process]\n"
      "executable = /etc/svc/app\n"
      "arguments = \n"
      "working_directory = /etc/svc\n"
      "priority = normal\n"
      "\n"
      "[environment]\n"
      "\n"
      "[stop]\n"
      "method = ctrl-break, terminate\n"
      "timeout = 10000ms\n"
      "; event_name = Global\\svcwrap-svc-stop-<random, new every run> (the "
      "default)\n"
      "\n"
      "[restart]\n"
      "policy = on-failure\n"
      "delay = 1000ms\n"
      "max_delay = 60000ms\n"
      "steps = 5\n"
      "reset_after = 60000ms\n"
      "burst = 5\n"
      "interval = 60000ms\n"
      "success_exit_codes = 0\n"
      "prevent_exit_codes = \n"
      "on_give_up = fail\n"
      "\n"
      "[health]\n"
      "ready = started\n"
      "ready_timeout = 90000ms\n"
      "watchdog = 0ms\n"
      "probe = \n"
      "probe_interval = 10000ms\n"
      "probe_timeout = 2000ms\n"
      "probe_failures = 3\n"
      "probe_start_delay = 0ms\n"
      "memory_max = 0\n"
      "cpu_max = 0%\n"
      "cpu_window = 30000ms\n"
      "\n"
      "[hooks]\n"
      "pre_start = \n"
      "post_start = \n"
      "pre_stop = \n"
      "post_stop = \n"
      "timeout = 30000ms\n"
      "\n"
      "[metrics]\n"
      "textfile = \n"
      "listen = \n"
      "allow_remote = false\n"
      "interval = 15000ms\n"
      "\n"
      "[control]\n"
      "\n"
      "[log]\n"
      "directory = /etc/svc/logs\n"
      "stdout = /etc/svc/logs/svc.out.log\n"
      "stderr = /etc/svc/logs/svc.err.log\n"
      "max_size = 10485760\n"
      "keep = 5\n"
      "timestamps = true\n"
      "tail_lines = 20\n";
  sw_config_t *c = load_ok(POSIX_INI, MIN_INI);
  char *dump = NULL;

  (void)state;
  assert_int_equal(sw_config_dump(c, &dump), 0);
  assert_string_equal(dump, want);
  free(dump);
  sw_config_free(c);
}

/* parse -> dump -> parse -> dump gives the same text twice. */
static void round_trip(const char *path, const char *text) {
  sw_config_t *c1, *c2;
  char *d1 = NULL, *d2 = NULL;
  sw_diags_t d;

  assert_int_equal(parse_len(path, text, strlen(text), &c1, &d), 0);
  sw_diags_free(&d);
  assert_int_equal(sw_config_dump(c1, &d1), 0);
  if (parse_len(path, d1, strlen(d1), &c2, &d) != 0) {
    print_diags(&d);
    fail_msg("the dump does not parse:\n%s", d1);
  }
  sw_diags_free(&d);
  assert_int_equal(sw_config_dump(c2, &d2), 0);
  assert_string_equal(d1, d2);
  free(d1);
  free(d2);
  sw_config_free(c1);
  sw_config_free(c2);
}

static void dump_round_trip(void **state) {
  static const char posix[] =
      "[service]\n"
      "name = web\n"
      "display_name = \"My Web Service\"\n"
      "description = 100%% done; really %PCT%\n"
      "start_type = manual\n"
      "depends_on = Tcpip, Dnscache\n"
      "account = NT SERVICE\\web\n"
      "[process]\n"
      "executable = \"%APPDIR%/bin/my app\"\n"
      "arguments = --port %PORT% \"--name=%SPACED%\" a\\\\\"b c\" \"\" 5%%\n"
      "working_directory = data\n"
      "priority = high\n"
      "[environment]\n"
      "GOMAXPROCS = 4\n"
      "PCTVAL = %PCT%\n"
      "[stop]\n"
      "method = ctrl-c, event\n"
      "timeout = 1min 30s\n"
      "event_name = Global\\my-stop\n"
      "[restart]\n"
      "policy = always\n"
      "delay = 250ms\n"
      "max_delay = 2min\n"
      "steps = 3\n"
      "reset_after = 1h\n"
      "burst = 7\n"
      "interval = 2min\n"
      "success_exit_codes = 0, 3, 0xC000013A\n"
      "prevent_exit_codes = 78, -1\n"
      "on_give_up = stop\n"
      "[log]\n"
      "directory = /var/log/%SVCWRAP_SERVICE_NAME%\n"
      "stdout = both.log\n"
      "stderr = both.log\n"
      "max_size = 1.5MB\n"
      "keep = 0\n"
      "timestamps = off\n"
      "tail_lines = 0\n";
  static const char win[] =
      "[service]\n"
      "name = web\n"
      "start_type = disabled\n"
      "[process]\n"
      "executable = \"%WINAPPDIR%\\web.exe\"\n"
      "arguments = --root \"C:\\My Data\\\\\" -v\n"
      "working_directory = \\\\srv\\share\\web\n"
      "[environment]\n"
      "Path = C:\\x;%WINAPPDIR%\n"
      "[stop]\n"
      "method = event, wm-close\n"
      "[log]\n"
      "directory = D:\\logs\n";

  (void)state;
  round_trip(POSIX_INI, posix);
  round_trip(WIN_INI, win);
  round_trip(POSIX_INI, MIN_INI);
  round_trip(WIN_INI, MIN_INI);
}

static void names(void **state) {
  (void)state;
  assert_string_equal(sw_stop_method_name(SW_STOP_CTRL_BREAK), "ctrl-break");
  assert_string_equal(sw_stop_method_name(SW_STOP_CTRL_C), "ctrl-c");
  assert_string_equal(sw_stop_method_name(SW_STOP_EVENT), "event");
  assert_string_equal(sw_stop_method_name(SW_STOP_WM_CLOSE), "wm-close");
  assert_string_equal(sw_stop_method_name(SW_STOP_TERMINATE), "terminate");
  assert_string_equal(sw_stop_method_name(SW_STOP__COUNT), "?");
  assert_string_equal(sw_restart_policy_name(SW_RESTART_NO), "no");
  assert_string_equal(sw_restart_policy_name(SW_RESTART_ALWAYS), "always");
  assert_string_equal(sw_restart_policy_name(SW_RESTART_ON_FAILURE),
                      "on-failure");
  assert_string_equal(sw_restart_policy_name(SW_RESTART_ON_SUCCESS),
                      "on-success");
  assert_string_equal(sw_restart_policy_name(SW_RESTART_ON_ABNORMAL),
                      "on-abnormal");
}

static void diags_add(void **state) {
  sw_diags_t d;

  (void)state;
  memset(&d, 0, sizeof(d));
  assert_int_equal(sw_diags_add(&d, true, 3, "bad %s", "thing"), 0);
  assert_int_equal(sw_diags_add(&d, false, 0, "note %d", 7), 0);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.n_errors, 1);
  assert_string_equal(d.v[0].text, "bad thing");
  assert_int_equal(d.v[0].line, 3);
  assert_false(d.v[1].is_error);
  assert_string_equal(d.v[1].text, "note 7");
  sw_diags_free(&d);
  assert_int_equal(d.n, 0);
  assert_null(d.v);
}

/* ---- the key table against the docs ------------------------------------- */

/* A file of the repository, read whole (the tests run from its top, as
 * make runs them; __FILE__ names this file from there). */
static char *repo_file(const char *rel) {
  static const char self[] = "tests/unit/test_config.c";
  const char *file = __FILE__;
  size_t top = strlen(file) >= strlen(self) ? strlen(file) - strlen(self) : 0;
  char path[4096];
  FILE *f;
  char *text;
  long n = -1;

  snprintf(path, sizeof(path), "%.*s%s", (int)top, file, rel);
  f = fopen(path, "rb");
  if (f == NULL)
    fail_msg("cannot open %s (run from the repository's top)", path);
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0)
    fail_msg("cannot read %s", path);
  text = malloc((size_t)n + 1);
  assert_non_null(text);
  if (fread(text, 1, (size_t)n, f) != (size_t)n)
    fail_msg("cannot read %s", path);
  text[n] = '\0';
  fclose(f);
  return text;
}

/* Whether docs/configuration.md has a row "| `key` |" under "## [section]". */
static bool doc_has_row(const char *md, const char *section, const char *key) {
  char heading[64], row[80];
  const char *s, *end;

  snprintf(heading, sizeof(heading), "\n## [%s]\n", section);
  snprintf(row, sizeof(row), "\n| `%s` |", key);
  s = strstr(md, heading);
  if (s == NULL) return false;
  s += strlen(heading);
  end = strstr(s, "\n## ");
  if (end == NULL) end = s + strlen(s);
  s = strstr(s, row);
  return s != NULL && s < end;
}

/* Whether config/example.ini has "key =" or "; key =" under [section]. */
static bool example_has_line(const char *ini, const char *section,
                             const char *key) {
  const char *line = ini;
  bool in = false;

  for (; *line != '\0';
       line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
    const char *p = line;
    size_t n = strlen(key);

    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '[') {
      const char *close = strchr(p, ']');

      in = close != NULL && (size_t)(close - p - 1) == strlen(section) &&
           strncmp(p + 1, section, strlen(section)) == 0;
      continue;
    }
    if (!in) continue;
    if (*p == ';') {
      p++;
      while (*p == ' ' || *p == '\t')
        p++;
    }
    if (strncmp(p, key, n) != 0) continue;
    p += n;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '=') return true;
  }
  return false;
}

/* Every key of the table has its row in docs/configuration.md and its line
 * in config/example.ini. */
static void docs_name_every_key(void **state) {
  char *md = repo_file("docs/configuration.md");
  char *ini = repo_file("config/example.ini");
  char missing[2048] = "";
  const sw_key_t *k;
  unsigned i;

  (void)state;
  for (i = 0; (k = sw_config_key_at(i)) != NULL; i++) {
    size_t used = strlen(missing);

    if (!doc_has_row(md, k->section, k->key))
      snprintf(missing + used, sizeof(missing) - used,
               "\n  docs/configuration.md: no row \"| `%s` |\" under "
               "## [%s]",
               k->key, k->section);
    used = strlen(missing);
    if (!example_has_line(ini, k->section, k->key))
      snprintf(missing + used, sizeof(missing) - used,
               "\n  config/example.ini: no line \"%s =\" (or \"; %s =\") "
               "under [%s]",
               k->key, k->key, k->section);
  }
  free(md);
  free(ini);
  if (missing[0] != '\0') fail_msg("keys missing from the docs:%s", missing);
}

/* The table itself: names unique, defaults and ranges coherent. */
static void key_table(void **state) {
  const sw_key_t *k, *o;
  unsigned i, j, n_sections = 0;

  (void)state;
  while (sw_config_section_at(n_sections) != NULL)
    n_sections++;
  assert_true(n_sections > 0);
  for (i = 0; (k = sw_config_key_at(i)) != NULL; i++) {
    bool known = false;

    for (j = 0; j < n_sections; j++)
      known |= strcmp(sw_config_section_at(j), k->section) == 0;
    if (!known) fail_msg("[%s] %s: no such section", k->section, k->key);
    for (j = 0; j < i; j++) {
      o = sw_config_key_at(j);
      if (strcmp(o->section, k->section) == 0 && strcmp(o->key, k->key) == 0)
        fail_msg("[%s] %s: two rows", k->section, k->key);
    }
    if (k->type == SW_KEY_ENUM && k->names == NULL)
      fail_msg("[%s] %s: an enum without names", k->section, k->key);
    if ((k->type == SW_KEY_DURATION || k->type == SW_KEY_UINT) &&
        k->min > k->max)
      fail_msg("[%s] %s: min above max", k->section, k->key);
  }
  assert_true(i <= SW_CONFIG_MAX_KEYS);
  assert_null(sw_config_key_at(i));
}

/* [hooks]: split like arguments, the program resolved against the INI's
 * folder, each word expanded; [metrics]: .prom only, loopback unless
 * allow_remote, a bare port on 127.0.0.1. */
static void hooks_and_metrics_keys(void **state) {
  sw_config_t *c;

  (void)state;
  c = load_ok(POSIX_INI, MIN_INI
              "[hooks]\n"
              "pre_start = scripts/migrate \"a b\" %SVCWRAP_SERVICE_NAME%\n"
              "post_stop = /bin/sh -c \"exit 0\"\n"
              "timeout = 2s\n"
              "[metrics]\n"
              "textfile = m/svc.prom\n"
              "listen = 9561\n");
  assert_true(sw_config_has_hook(c, SW_HOOK_PRE_START));
  assert_false(sw_config_has_hook(c, SW_HOOK_POST_START));
  assert_false(sw_config_has_hook(c, SW_HOOK_PRE_STOP));
  assert_true(sw_config_has_hook(c, SW_HOOK_POST_STOP));
  assert_int_equal(c->hooks.argv[SW_HOOK_PRE_START].n, 3);
  assert_string_equal(c->hooks.argv[SW_HOOK_PRE_START].v[0],
                      "/etc/svc/scripts/migrate");
  assert_string_equal(c->hooks.argv[SW_HOOK_PRE_START].v[1], "a b");
  assert_string_equal(c->hooks.argv[SW_HOOK_PRE_START].v[2], "svc");
  assert_string_equal(c->hooks.argv[SW_HOOK_POST_STOP].v[2], "exit 0");
  assert_int_equal(c->hooks.timeout_ms, 2000);
  assert_string_equal(c->metrics.textfile, "/etc/svc/m/svc.prom");
  assert_string_equal(c->metrics.listen_host, "127.0.0.1");
  assert_int_equal(c->metrics.listen_port, 9561);
  assert_true(sw_config_has_metrics(c));
  sw_config_free(c);

  c = load_ok(POSIX_INI, MIN_INI "[metrics]\nlisten = [::1]:80\n");
  assert_string_equal(c->metrics.listen_host, "::1");
  sw_config_free(c);
  c = load_ok(POSIX_INI, MIN_INI
              "[metrics]\nlisten = 0.0.0.0:80\n"
              "allow_remote = true\n");
  assert_int_equal(c->metrics.listen_port, 80);
  sw_config_free(c);
  c = load_ok(POSIX_INI, MIN_INI);
  assert_false(sw_config_has_metrics(c));
  sw_config_free(c);

  one_error("[metrics]\ntextfile = svc.txt\n", 6, "does not end in .prom");
  one_error("[metrics]\nlisten = 0.0.0.0:9561\n", 6, "not a loopback address");
  one_error("[metrics]\nlisten = localhost:9561\n", 6, "not an IP address");
  one_error("[metrics]\nlisten = 127.0.0.1:70000\n", 6, "[metrics] listen");
  one_error("[hooks]\ntimeout = 10ms\n", 6, "[hooks] timeout");
  one_error("[hooks]\npre_start = x %NOPE%\n", 6, "NOPE");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(defaults_posix),
    cmocka_unit_test(defaults_win),
    cmocka_unit_test(every_key),
    cmocka_unit_test(names_case_and_comments),
    cmocka_unit_test(accounts),
    cmocka_unit_test(recovery),
    cmocka_unit_test(control_section),
    cmocka_unit_test(semicolon_inside_quotes_is_text),
    cmocka_unit_test(unbalanced_quote_is_reported),
    cmocka_unit_test(escaped_quotes_are_balanced),
    cmocka_unit_test(batch_file_arguments),
    cmocka_unit_test(operators_key),
    cmocka_unit_test(error_kinds),
    cmocka_unit_test(errors_one_pass),
    cmocka_unit_test(missing_required),
    cmocka_unit_test(empty_files),
    cmocka_unit_test(key_before_section),
    cmocka_unit_test(keys_under_bad_header),
    cmocka_unit_test(every_refused_line),
    cmocka_unit_test(docs_name_every_key),
    cmocka_unit_test(key_table),
    cmocka_unit_test(invalid_value_not_cross_checked),
    cmocka_unit_test(service_name),
    cmocka_unit_test(display_name_limit),
    cmocka_unit_test(utf8_bom),
    cmocka_unit_test(line_endings),
    cmocka_unit_test(invalid_utf8),
    cmocka_unit_test(utf8_prefix),
    cmocka_unit_test(utf16_and_nul),
    cmocka_unit_test(long_lines),
    cmocka_unit_test(long_arguments),
    cmocka_unit_test(expansion),
    cmocka_unit_test(paths_posix),
    cmocka_unit_test(paths_win),
    cmocka_unit_test(method_ladders),
    cmocka_unit_test(warnings),
    cmocka_unit_test(dump_defaults),
    cmocka_unit_test(hooks_and_metrics_keys),
    cmocka_unit_test(dump_round_trip),
    cmocka_unit_test(names),
    cmocka_unit_test(diags_add),
};

const sw_test_group_t sw_group_config = SW_GROUP("config", tests);
