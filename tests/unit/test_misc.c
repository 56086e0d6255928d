/* SPDX-License-Identifier: MIT */
/*
 * The smaller pure pieces: the child's environment (core/env.c), time
 * stamps (core/timefmt.c), the status document and its human form
 * (core/status.c), the string builder (core/sbuf.c) and the line aligner
 * for the child's output (app/output.c).
 */
#include "unit.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/output.h"
#include "core/config.h"
#include "core/env.h"
#include "core/err.h"
#include "core/events.h"
#include "core/sbuf.h"
#include "core/status.h"
#include "core/sup.h"
#include "core/timefmt.h"

/* ---- env ----------------------------------------------------------------- */

static void expect_env(char **env, const char *const *want, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    if (env[i] == NULL) fail_msg("env has %zu entries, want %zu", i, n);
    if (strcmp(env[i], want[i]) != 0)
      fail_msg("env[%zu] = <%s>, want <%s>", i, env[i], want[i]);
  }
  if (env[n] != NULL)
    fail_msg("env has more than %zu entries: <%s>", n, env[n]);
}

static void env_merge(void **state) {
  static const char *const base[] = {"PATH=/bin",  "Foo=1", "NOEQUALS",
                                     "HOME=/root", "A=b=c", NULL};
  static const char *const extra[] = {"SVCWRAP_SERVICE_NAME=svc",
                                      "path=/usr/bin", "A=d", NULL};
  static const char *const want_nocase[] = {
      "path=/usr/bin", "FOO=2", "HOME=/root",
      "A=d",           "NEW=x", "SVCWRAP_SERVICE_NAME=svc"};
  static const char *const want_case[] = {"PATH=/bin",
                                          "Foo=1",
                                          "HOME=/root",
                                          "A=d",
                                          "FOO=2",
                                          "NEW=x",
                                          "SVCWRAP_SERVICE_NAME=svc",
                                          "path=/usr/bin"};
  sw_env_var_t vars[2] = {{(char *)"FOO", (char *)"2"},
                          {(char *)"NEW", (char *)"x"}};
  sw_config_t cfg;
  char **env = NULL;

  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  cfg.env = vars;
  cfg.n_env = 2;
  /* Windows: names compare ignoring case; a replaced variable keeps its
   * place, takes the new spelling. */
  assert_int_equal(sw_env_build(base, &cfg, extra, true, &env), 0);
  expect_env(env, want_nocase, sizeof(want_nocase) / sizeof(want_nocase[0]));
  sw_env_free(env);
  /* POSIX: case matters. */
  assert_int_equal(sw_env_build(base, &cfg, extra, false, &env), 0);
  expect_env(env, want_case, sizeof(want_case) / sizeof(want_case[0]));
  sw_env_free(env);
}

static void env_names(void **state) {
  static const char *const base[] = {"PATH=a", "PATHEXT=b", "=C:=C:\\x",
                                     "=D:=D:\\", NULL};
  static const char *const extra[] = {"PATH=c", "=C:=C:\\y", "PATHE=z", NULL};
  static const char *const want[] = {"PATH=c", "PATHEXT=b", "=C:=C:\\y",
                                     "=D:=D:\\", "PATHE=z"};
  char **env = NULL;

  (void)state;
  /* A name is everything up to '=', a leading '=' included: PATH never
   * matches PATHEXT, and =C: and =D: are different variables. */
  assert_int_equal(sw_env_build(base, NULL, extra, true, &env), 0);
  expect_env(env, want, sizeof(want) / sizeof(want[0]));
  sw_env_free(env);

  /* Nothing at all: an empty, NULL-terminated array. */
  assert_int_equal(sw_env_build(NULL, NULL, NULL, false, &env), 0);
  assert_non_null(env);
  assert_null(env[0]);
  sw_env_free(env);
  sw_env_free(NULL);
}

static void env_grows(void **state) {
  /* 100 variables (the arrays grow from 32 to 64 to 128), every tenth
   * replaced by extra, one added: order and values stay right. */
  char *base[101], *extra[12], buf[32];
  char **env = NULL;
  int i;

  (void)state;
  for (i = 0; i < 100; i++) {
    snprintf(buf, sizeof(buf), "V%d=%d", i, i);
    base[i] = strdup(buf);
  }
  base[100] = NULL;
  for (i = 0; i < 10; i++) {
    snprintf(buf, sizeof(buf), "V%d=x%d", i * 10, i);
    extra[i] = strdup(buf);
  }
  extra[10] = strdup("NEW=1");
  extra[11] = NULL;
  assert_int_equal(sw_env_build((const char *const *)base, NULL,
                                (const char *const *)extra, false, &env),
                   0);
  for (i = 0; i < 100; i++) {
    if (i % 10 == 0)
      snprintf(buf, sizeof(buf), "V%d=x%d", i, i / 10);
    else
      snprintf(buf, sizeof(buf), "V%d=%d", i, i);
    assert_string_equal(env[i], buf);
  }
  assert_string_equal(env[100], "NEW=1");
  assert_null(env[101]);
  sw_env_free(env);
  for (i = 0; i < 100; i++)
    free(base[i]);
  for (i = 0; i < 11; i++)
    free(extra[i]);
}

/* ---- timefmt ------------------------------------------------------------- */

typedef struct {
  int64_t ms;
  int offset_min;
  int utc_z;
  const char *want;
} time_case_t;

static void time_format(void **state) {
  static const time_case_t cases[] = {
      {0, 0, 1, "1970-01-01T00:00:00.000Z"},
      {0, 0, 0, "1970-01-01T00:00:00.000+00:00"},
      {0, -300, 1, "1969-12-31T19:00:00.000-05:00"},
      {0, 330, 1, "1970-01-01T05:30:00.000+05:30"},
      {0, -30, 1, "1969-12-31T23:30:00.000-00:30"},
      {-1, 0, 1, "1969-12-31T23:59:59.999Z"},
      {-86400000, 0, 1, "1969-12-31T00:00:00.000Z"},
      {-86400001, 0, 1, "1969-12-30T23:59:59.999Z"},
      /* 2024 is a leap year: February has a 29th. */
      {1709164800000LL, 0, 1, "2024-02-29T00:00:00.000Z"},
      {1709251199999LL, 0, 1, "2024-02-29T23:59:59.999Z"},
      {1709251200000LL, 0, 1, "2024-03-01T00:00:00.000Z"},
      {1709161200000LL, 60, 1, "2024-02-29T00:00:00.000+01:00"},
      {1709164800000LL, -1, 1, "2024-02-28T23:59:00.000-00:01"},
      /* 2000 is one too (divisible by 400) ... */
      {951827696123LL, 0, 1, "2000-02-29T12:34:56.123Z"},
      /* ... 2100 is not (divisible by 100). */
      {4107542399999LL, 0, 1, "2100-02-28T23:59:59.999Z"},
      {4107542400000LL, 0, 1, "2100-03-01T00:00:00.000Z"},
      {1795767000123LL, 840, 1, "2026-11-27T22:10:00.123+14:00"},
      {1795767000123LL, -720, 0, "2026-11-26T20:10:00.123-12:00"},
      {1700000000010LL, 0, 1, "2023-11-14T22:13:20.010Z"},
      /* Years of five digits and before year 0 (ISO 8601's expanded form). */
      {253402300800000LL, 0, 1, "10000-01-01T00:00:00.000Z"},
      {-62198755200000LL, 0, 1, "-0001-01-01T00:00:00.000Z"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[SW_TIME_LEN];

    memset(buf, 'x', sizeof(buf));
    assert_ptr_equal(
        sw_time_format(cases[i].ms, cases[i].offset_min, cases[i].utc_z, buf),
        buf);
    if (strcmp(buf, cases[i].want) != 0)
      fail_msg("time %lld offset %d: <%s>, want <%s>", (long long)cases[i].ms,
               cases[i].offset_min, buf, cases[i].want);
  }
}

/* Every day of 1968..2104 follows the previous one. */
static void time_days_are_consecutive(void **state) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t day;
  int y = 1968, m = 1, d = 1;

  (void)state;
  for (day = -731; day < 49000; day++) {
    char buf[SW_TIME_LEN], want[64];
    int len;

    sw_time_format(day * 86400000LL + 43200000, 0, 1, buf);
    snprintf(want, sizeof(want), "%04d-%02d-%02dT12:00:00.000Z", y, m, d);
    if (strcmp(buf, want) != 0)
      fail_msg("day %lld: <%s>, want <%s>", (long long)day, buf, want);
    len = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) len = 29;
    if (++d > len) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
  }
}

/* ---- status -------------------------------------------------------------- */

#define WALL0 1700000000000ULL

static char *fake_getenv(const char *name, void *data) {
  (void)name;
  (void)data;
  return NULL;
}

static sw_config_t *status_config(void) {
  static const char text[] =
      "[service]\nname = web\n[process]\nexecutable = /srv/web\n";
  sw_config_t *c = NULL;
  sw_diags_t d;

  memset(&d, 0, sizeof(d));
  assert_int_equal(
      sw_config_parse("/etc/svc/svc.ini", text, strlen(text), SW_PLATFORM_POSIX,
                      fake_getenv, NULL, &c, &d),
      0);
  sw_diags_free(&d);
  return c;
}

static void step(sw_sup_t *sup, sw_event_t ev, uint64_t now, uint32_t code,
                 int sig) {
  sw_input_t in;

  memset(&in, 0, sizeof(in));
  in.ev = ev;
  in.now_ms = now;
  in.wall_ms = WALL0 + now;
  in.pid = 4242;
  in.code = code;
  in.signal = sig;
  sw_sup_step(sup, &in);
}

static const cJSON *item(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

  if (v == NULL) fail_msg("status has no \"%s\"", key);
  return v;
}

static void expect_str(const cJSON *o, const char *key, const char *want) {
  const cJSON *v = item(o, key);

  if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0)
    fail_msg("\"%s\" is not \"%s\"", key, want);
}

static void expect_num(const cJSON *o, const char *key, double want) {
  const cJSON *v = item(o, key);

  if (!cJSON_IsNumber(v) || v->valuedouble != want)
    fail_msg("\"%s\" is not %.0f", key, want);
}

static void expect_null(const cJSON *o, const char *key) {
  if (!cJSON_IsNull(item(o, key))) fail_msg("\"%s\" is not null", key);
}

static char *human(const char *json) {
  sw_sbuf_t b = SW_SBUF_INIT;

  assert_int_equal(sw_status_format_human(json, &b), 0);
  return sw_sbuf_take(&b);
}

static void status_json(void **state) {
  sw_config_t *cfg = status_config();
  sw_status_facts_t facts;
  sw_sup_t sup;
  cJSON *root;
  const cJSON *le;
  char *json, *text;

  (void)state;
  memset(&facts, 0, sizeof(facts));
  facts.wrapper_pid = 99;
  facts.resources = 12;
  facts.resources_name = "open_fds";
  facts.log_dropped_bytes = 5;
  sw_sup_init(&sup, &cfg->restart, &cfg->stop, 5000);

  /* Running. */
  step(&sup, SW_EV_START, 0, 0, 0);
  step(&sup, SW_EV_SPAWNED, 10, 0, 0);
  facts.now_ms = 60010;
  facts.now_wall_ms = WALL0 + 60010;
  json = sw_status_json(cfg, &sup, &facts);
  assert_non_null(json);
  assert_null(strchr(json, '\n')); /* one line */
  root = cJSON_Parse(json);
  assert_non_null(root);
  expect_str(root, "name", "web");
  expect_str(root, "state", "running");
  expect_num(root, "pid", 4242);
  expect_str(root, "started_at", "2023-11-14T22:13:20.010Z");
  expect_num(root, "uptime_ms", 60000);
  expect_num(root, "restarts", 0);
  expect_null(root, "last_exit");
  expect_null(root, "next_restart_at");
  expect_null(root, "stop_step");
  expect_num(root, "wrapper_pid", 99);
  expect_str(root, "config", "/etc/svc/svc.ini");
  expect_num(root, "open_fds", 12);
  expect_num(root, "log_dropped_bytes", 5);
  cJSON_Delete(root);
  text = human(json);
  assert_string_equal(text,
                      "service:   web\n"
                      "state:     running\n"
                      "child:     pid 4242, up 1min (since "
                      "2023-11-14T22:13:20.010Z)\n"
                      "restarts:  0\n"
                      "wrapper:   pid 99\n"
                      "config:    /etc/svc/svc.ini\n");
  free(text);
  free(json);

  /* No notify protocol: no notify fields, and ready is true. */
  json = sw_status_json(cfg, &sup, &facts);
  root = cJSON_Parse(json);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ready")));
  assert_null(cJSON_GetObjectItemCaseSensitive(root, "status_text"));
  cJSON_Delete(root);
  free(json);

  /* Exited with a failure code: backoff, the restart due in 1s. */
  step(&sup, SW_EV_EXIT, 60010, 3, 0);
  assert_int_equal(sup.state, SW_ST_BACKOFF);
  facts.resources = -1;
  json = sw_status_json(cfg, &sup, &facts);
  root = cJSON_Parse(json);
  assert_non_null(root);
  expect_str(root, "state", "backoff");
  expect_null(root, "pid");
  expect_null(root, "started_at");
  expect_null(root, "uptime_ms");
  expect_num(root, "restarts", 1);
  le = item(root, "last_exit");
  assert_true(cJSON_IsObject(le));
  expect_num(le, "code", 3);
  expect_null(le, "signal");
  expect_str(le, "class", "failure");
  expect_str(le, "at", "2023-11-14T22:14:20.010Z");
  expect_str(root, "next_restart_at", "2023-11-14T22:14:21.010Z");
  assert_null(cJSON_GetObjectItemCaseSensitive(root, "open_fds"));
  cJSON_Delete(root);
  text = human(json);
  assert_string_equal(text,
                      "service:   web\n"
                      "state:     backoff\n"
                      "child:     not running\n"
                      "restarts:  1\n"
                      "last exit: code 3 (failure) at "
                      "2023-11-14T22:14:20.010Z\n"
                      "next restart: 2023-11-14T22:14:21.010Z\n"
                      "wrapper:   pid 99\n"
                      "config:    /etc/svc/svc.ini\n");
  free(text);
  free(json);

  /* Running again, then stopping: the current stop step. */
  step(&sup, SW_EV_TIMER, 61010, 0, 0);
  step(&sup, SW_EV_SPAWNED, 61020, 0, 0);
  step(&sup, SW_EV_STOP, 62000, 0, 0);
  json = sw_status_json(cfg, &sup, &facts);
  root = cJSON_Parse(json);
  expect_str(root, "state", "stopping");
  expect_str(root, "stop_step", "ctrl-break");
  expect_num(root, "pid", 4242);
  cJSON_Delete(root);
  text = human(json);
  assert_non_null(strstr(text, "stopping:  ctrl-break\n"));
  free(text);
  free(json);

  /* A crash by signal, then one with an NTSTATUS code. */
  step(&sup, SW_EV_TIMER, 67000, 0, 0);
  step(&sup, SW_EV_EXIT, 67001, 0, 9);
  assert_int_equal(sup.state, SW_ST_STOPPED);
  json = sw_status_json(cfg, &sup, &facts);
  root = cJSON_Parse(json);
  expect_str(root, "state", "stopped");
  le = item(root, "last_exit");
  expect_num(le, "signal", 9);
  expect_str(le, "class", "clean-stop");
  cJSON_Delete(root);
  text = human(json);
  assert_non_null(strstr(text,
                         "last exit: signal 9 (clean-stop) at "
                         "2023-11-14T22:14:27.001Z\n"));
  free(text);
  free(json);

  sw_sup_init(&sup, &cfg->restart, &cfg->stop, 5000);
  step(&sup, SW_EV_START, 0, 0, 0);
  step(&sup, SW_EV_SPAWNED, 10, 0, 0);
  step(&sup, SW_EV_EXIT, 20, 0xC0000005u, 0);
  json = sw_status_json(cfg, &sup, &facts);
  root = cJSON_Parse(json);
  le = item(root, "last_exit");
  expect_num(le, "code", 3221225477.0);
  expect_str(le, "class", "abnormal");
  cJSON_Delete(root);
  text = human(json);
  assert_non_null(strstr(text, "last exit: code 0xC0000005 (abnormal) at "));
  free(text);
  free(json);
  sw_config_free(cfg);
}

static void status_human_rejects(void **state) {
  static const char *const bad[] = {"",   "not json",       "[]",
                                    "{}", "{\"state\": 1}", "\"running\""};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    sw_sbuf_t b = SW_SBUF_INIT;

    if (sw_status_format_human(bad[i], &b) != SW_EINVAL)
      fail_msg("<%s> accepted as a status document", bad[i]);
    assert_int_equal(b.len, 0);
    sw_sbuf_free(&b);
  }
  /* The minimum: a state. */
  {
    char *text = human("{\"state\":\"stopped\"}");

    assert_string_equal(text,
                        "service:   ?\n"
                        "state:     stopped\n"
                        "child:     not running\n"
                        "config:    ?\n");
    free(text);
  }
}

/* ---- sbuf ---------------------------------------------------------------- */

static void sbuf_building(void **state) {
  sw_sbuf_t b = SW_SBUF_INIT;
  char *s;
  int i;

  (void)state;
  /* An empty builder gives "". */
  s = sw_sbuf_take(&b);
  assert_non_null(s);
  assert_string_equal(s, "");
  free(s);

  sw_sbuf_puts(&b, "ab");
  sw_sbuf_put(&b, "cdef", 2);
  sw_sbuf_putc_n(&b, '-', 3);
  sw_sbuf_putc_n(&b, 'x', 0);
  sw_sbuf_put(&b, "", 0);
  sw_sbuf_printf(&b, "%d:%s", 42, "z");
  assert_int_equal(b.len, 11);
  assert_string_equal(b.p, "abcd---42:z");
  assert_false(sw_sbuf_failed(&b));
  s = sw_sbuf_take(&b);
  assert_string_equal(s, "abcd---42:z");
  assert_null(b.p);
  assert_int_equal(b.len, 0);
  free(s);

  /* Growth across many reallocations keeps every byte. */
  for (i = 0; i < 10000; i++)
    sw_sbuf_putc_n(&b, (char)('a' + i % 26), 1);
  sw_sbuf_printf(&b, "%s", "");
  sw_sbuf_printf(&b, "%0500d", 7);
  assert_int_equal(b.len, 10500);
  assert_int_equal(strlen(b.p), 10500);
  for (i = 0; i < 10000; i++)
    if (b.p[i] != (char)('a' + i % 26)) fail_msg("byte %d is %c", i, b.p[i]);
  assert_int_equal(b.p[10499], '7');
  assert_int_equal(b.p[10498], '0');
  assert_true(b.cap > b.len);
  sw_sbuf_free(&b);
  assert_null(b.p);
  assert_int_equal(b.cap, 0);
  sw_sbuf_free(&b); /* twice is harmless */
}

/* ---- the line aligner ---------------------------------------------------- */

typedef struct {
  int calls;
  char last[64];
  sw_sbuf_t all;
  bool bad; /* a call that did not end with '\n' */
} rec_t;

static void record(void *data, const char *lines, size_t len) {
  rec_t *r = data;

  r->calls++;
  if (len == 0 || lines[len - 1] != '\n') r->bad = true;
  snprintf(r->last, sizeof(r->last), "%.*s", (int)len, lines);
  sw_sbuf_put(&r->all, lines, len);
}

static void liner_cases(void **state) {
  sw_liner_t l;
  rec_t r;

  (void)state;
  memset(&r, 0, sizeof(r));
  sw_liner_init(&l, record, &r);

  sw_liner_feed(&l, "", 0);
  sw_liner_feed(&l, "abc", 3);
  assert_int_equal(r.calls, 0);
  sw_liner_feed(&l, "def\nghi", 7);
  assert_int_equal(r.calls, 1);
  assert_string_equal(r.last, "abcdef\n");
  sw_liner_feed(&l, "\n", 1);
  assert_int_equal(r.calls, 2);
  assert_string_equal(r.last, "ghi\n");
  /* Whole lines in one piece, the tail kept. */
  sw_liner_feed(&l, "a\nb\nc", 5);
  assert_int_equal(r.calls, 3);
  assert_string_equal(r.last, "a\nb\n");
  /* The pending line is completed first, then the rest. */
  sw_liner_feed(&l, "1\n2\n3", 5);
  assert_int_equal(r.calls, 5);
  assert_string_equal(r.last, "2\n");
  sw_liner_flush(&l);
  assert_int_equal(r.calls, 6);
  assert_string_equal(r.last, "3\n");
  sw_liner_flush(&l); /* nothing pending */
  assert_int_equal(r.calls, 6);
  /* Empty lines are lines. */
  sw_liner_feed(&l, "\n\n", 2);
  assert_int_equal(r.calls, 7);
  assert_string_equal(r.last, "\n\n");
  assert_false(r.bad);
  assert_string_equal(r.all.p, "abcdef\nghi\na\nb\nc1\n2\n3\n\n\n");
  sw_liner_free(&l);
  sw_sbuf_free(&r.all);
}

/* Any chunking of any text gives whole lines that add up to the text. */
static void liner_random_chunks(void **state) {
  uint64_t x = 88172645463325252ULL;
  int iter;

  (void)state;
  for (iter = 0; iter < 2000; iter++) {
    char text[300];
    size_t len, pos = 0, i;
    sw_liner_t l;
    rec_t r;

    memset(&r, 0, sizeof(r));
    sw_liner_init(&l, record, &r);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    len = (size_t)(x % sizeof(text));
    for (i = 0; i < len; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      text[i] = (x % 5 == 0) ? '\n' : (char)('a' + x % 26);
    }
    while (pos < len) {
      size_t n;

      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      n = 1 + (size_t)(x % 40);
      if (n > len - pos) n = len - pos;
      sw_liner_feed(&l, text + pos, n);
      pos += n;
    }
    sw_liner_flush(&l);
    assert_false(r.bad);
    if (len == 0) {
      assert_int_equal(r.calls, 0);
    } else {
      size_t want = len + (text[len - 1] == '\n' ? 0 : 1);

      assert_int_equal(r.all.len, want);
      assert_memory_equal(r.all.p, text, len);
      assert_int_equal(r.all.p[want - 1], '\n');
    }
    sw_liner_free(&l);
    sw_sbuf_free(&r.all);
  }
}

/* The Windows Event Log texts, checked here where they can be read. */
static void event_texts(void **state) {
  static const sw_stop_cfg_t stop = {{SW_STOP_TERMINATE}, 1, 0, NULL};
  static const char *const tail[] = {"panic: nil map", "goroutine 1"};
  sw_restart_cfg_t restart;
  sw_sup_t sup;
  char *t;

  (void)state;
  memset(&restart, 0, sizeof(restart));
  sw_sup_init(&sup, &restart, &stop, 5000);
  sup.pid = 42;
  t = sw_event_text(SW_EVT_STARTED, "Svc", "C:\\a.exe", &sup, NULL, 0);
  assert_string_equal(t, "Service Svc started C:\\a.exe (pid 42).");
  free(t);

  sup.has_exit = true;
  sup.last_exit.code = 0xC0000005u;
  sup.last_exit.started_ms = 1000;
  sup.last_exit.at_ms = 3500;
  sup.last_decision.cls = SW_CLASS_ABNORMAL;
  t = sw_event_text(SW_EVT_CRASHED, "Svc", "a.exe", &sup, tail, 2);
  assert_string_equal(t,
                      "The child of service Svc (a.exe) ended with exit "
                      "code 0xC0000005 (abnormal) after 2500 ms.\r\n"
                      "Its last 2 lines of output:\r\n  panic: nil map"
                      "\r\n  goroutine 1");
  free(t);

  snprintf(sup.reason, sizeof(sup.reason), "giving up");
  sup.exit_code = 3;
  sup.last_exit.code = 3;
  sup.last_decision.cls = SW_CLASS_FAILURE;
  t = sw_event_text(SW_EVT_FAILED, "Svc", "a.exe", &sup, NULL, 0);
  assert_string_equal(t,
                      "Service Svc failed: giving up. Last exit code 3 "
                      "(failure); the service's exit code is 3.");
  free(t);

  sup.last_exit.signal = 9;
  sup.exit_code = 137;
  t = sw_event_text(SW_EVT_FAILED, "Svc", "a.exe", &sup, NULL, 0);
  assert_string_equal(t,
                      "Service Svc failed: giving up. Last signal 9 "
                      "(failure); the service's exit code is 137.");
  free(t);

  snprintf(sup.reason, sizeof(sup.reason),
           "child exited after the stop "
           "request");
  t = sw_event_text(SW_EVT_STOPPED, "Svc", "a.exe", &sup, tail, 2);
  assert_string_equal(t,
                      "Service Svc stopped: child exited after the stop "
                      "request.");
  free(t);
}

/* ready = notify: "starting" and ready false until READY=1, with the
 * child's STATUS= text and the watchdog facts. */
static void status_json_waiting_for_ready(void **state) {
  sw_config_t *cfg = status_config();
  sw_status_facts_t facts;
  sw_sup_t sup;
  cJSON *root;
  char *json, *text;

  (void)state;
  memset(&facts, 0, sizeof(facts));
  facts.wrapper_pid = 99;
  facts.resources = -1;
  facts.notify_on = true;
  facts.status_text = "loading cache";
  facts.watchdog_ms = 5000;
  facts.watchdog_ping_ago_ms = 1200;
  facts.main_pid = 4243;
  sw_sup_init(&sup, &cfg->restart, &cfg->stop, 5000);
  sw_sup_set_ready(&sup, true, 90000);
  step(&sup, SW_EV_START, 0, 0, 0);
  step(&sup, SW_EV_SPAWNED, 10, 0, 0);
  assert_int_equal(sup.state, SW_ST_WAIT_READY);
  facts.now_ms = 2010;
  facts.now_wall_ms = WALL0 + 2010;
  json = sw_status_json(cfg, &sup, &facts);
  root = cJSON_Parse(json);
  expect_str(root, "state", "starting");
  assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "ready")));
  expect_str(root, "status_text", "loading cache");
  expect_num(root, "main_pid", 4243);
  expect_num(root, "watchdog_ms", 5000);
  expect_num(root, "watchdog_ping_ago_ms", 1200);
  cJSON_Delete(root);
  text = human(json);
  assert_non_null(strstr(text, "state:     starting\n"));
  assert_non_null(strstr(text, "ready:     no (waiting for READY=1)\n"));
  assert_non_null(strstr(text, "status:    loading cache\n"));
  assert_non_null(
      strstr(text, "watchdog:  5000ms, last WATCHDOG=1 1200ms ago\n"));
  free(text);
  free(json);
  step(&sup, SW_EV_READY, 3000, 0, 0);
  json = sw_status_json(cfg, &sup, &facts);
  root = cJSON_Parse(json);
  expect_str(root, "state", "running");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ready")));
  cJSON_Delete(root);
  text = human(json);
  assert_non_null(strstr(text, "ready:     yes\n"));
  free(text);
  free(json);
  sw_config_free(cfg);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(event_texts),
    cmocka_unit_test(env_merge),
    cmocka_unit_test(env_names),
    cmocka_unit_test(env_grows),
    cmocka_unit_test(time_format),
    cmocka_unit_test(time_days_are_consecutive),
    cmocka_unit_test(status_json),
    cmocka_unit_test(status_json_waiting_for_ready),
    cmocka_unit_test(status_human_rejects),
    cmocka_unit_test(sbuf_building),
    cmocka_unit_test(liner_cases),
    cmocka_unit_test(liner_random_chunks),
};

const sw_test_group_t sw_group_misc = SW_GROUP("misc", tests);
