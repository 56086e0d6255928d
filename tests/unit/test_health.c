/* SPDX-License-Identifier: MIT */
/* [health] probes and limits: parsing, HTTP status lines, the failure
 * count, the CPU window rule, the memory check, the config keys. */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/probe.h"
#include "core/usage.h"
#include "unit.h"

static void parse_http(void **state) {
  sw_probe_spec_t s;
  char why[512];

  (void)state;
  assert_int_equal(
      sw_probe_parse("http://127.0.0.1:8080/healthz?x=1", &s, why, sizeof(why)),
      0);
  assert_int_equal(s.kind, SW_PROBE_HTTP);
  assert_string_equal(s.host, "127.0.0.1");
  assert_int_equal(s.port, 8080);
  assert_string_equal(s.path, "/healthz?x=1");
  sw_probe_spec_free(&s);

  assert_int_equal(sw_probe_parse("HTTP://example.com", &s, why, sizeof(why)),
                   0);
  assert_string_equal(s.host, "example.com");
  assert_int_equal(s.port, 80);
  assert_string_equal(s.path, "/");
  sw_probe_spec_free(&s);

  assert_int_equal(sw_probe_parse("http://[::1]:9/h", &s, why, sizeof(why)), 0);
  assert_string_equal(s.host, "::1");
  assert_int_equal(s.port, 9);
  sw_probe_spec_free(&s);
}

static void parse_tcp_exec_none(void **state) {
  sw_probe_spec_t s;
  char why[512];

  (void)state;
  assert_int_equal(sw_probe_parse("tcp://db:5432", &s, why, sizeof(why)), 0);
  assert_int_equal(s.kind, SW_PROBE_TCP);
  assert_string_equal(s.host, "db");
  assert_int_equal(s.port, 5432);
  sw_probe_spec_free(&s);

  assert_int_equal(sw_probe_parse("exec:check.cmd --deep \"C:\\My Dir\\x\"", &s,
                                  why, sizeof(why)),
                   0);
  assert_int_equal(s.kind, SW_PROBE_EXEC);
  assert_int_equal(s.argv.n, 3);
  assert_string_equal(s.argv.v[0], "check.cmd");
  assert_string_equal(s.argv.v[2], "C:\\My Dir\\x");
  sw_probe_spec_free(&s);

  assert_int_equal(sw_probe_parse("", &s, why, sizeof(why)), 0);
  assert_int_equal(s.kind, SW_PROBE_NONE);
}

static void parse_rejects(void **state) {
  static const char *const bad[] = {
      "tcp://db",       /* no port */
      "tcp://db:0",     /* port out of range */
      "tcp://db:65536", /* port out of range */
      "tcp://db:80x",   /* not a number */
      "http://:80/",    /* no host */
      "http://[::1/",   /* no ] */
      "http://a b/",    /* blank */
      "http://u@h/",    /* user info */
      "https://h/",     /* no TLS */
      "exec:",          /* no command */
      "ftp://h/",       /* unknown */
      "127.0.0.1:80",   /* no scheme */
  };
  sw_probe_spec_t s;
  char why[512];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    why[0] = '\0';
    if (sw_probe_parse(bad[i], &s, why, sizeof(why)) != SW_EINVAL)
      fail_msg("\"%s\" was accepted", bad[i]);
    assert_non_null(strstr(why, "write http://host:port/path"));
  }
}

static void http_status_lines(void **state) {
  int code = 0;

  (void)state;
  assert_int_equal(sw_http_status("HTTP/1.1 200 OK\r\n", 17, &code), 1);
  assert_int_equal(code, 200);
  assert_int_equal(sw_http_status("HTTP/1.0 503\r\n", 14, &code), 1);
  assert_int_equal(code, 503);
  /* Not yet decided: a prefix of a status line. */
  assert_int_equal(sw_http_status("HTTP/1.1 20", 11, &code), 0);
  assert_int_equal(sw_http_status("HT", 2, &code), 0);
  assert_int_equal(sw_http_status("", 0, &code), 0);
  /* Not HTTP/1.x. */
  assert_int_equal(sw_http_status("SSH-2.0-OpenSSH", 15, &code), -1);
  assert_int_equal(sw_http_status("HTTP/2 200 OK\r\n", 15, &code), -1);
  assert_int_equal(sw_http_status("HTTP/1.1 2x0 OK", 15, &code), -1);
  assert_int_equal(sw_http_status("HTTP/1.1 2000 OK", 16, &code), -1);
  assert_true(sw_http_healthy(200));
  assert_true(sw_http_healthy(302));
  assert_true(sw_http_healthy(399));
  assert_false(sw_http_healthy(199));
  assert_false(sw_http_healthy(404));
  assert_false(sw_http_healthy(500));
}

static void http_request_text(void **state) {
  sw_probe_spec_t s;
  char why[256], buf[512];
  size_t n;

  (void)state;
  assert_int_equal(sw_probe_parse("http://[::1]:8080/h?a", &s, why, 256), 0);
  n = sw_http_request(&s, buf, sizeof(buf));
  assert_true(n > 0);
  assert_string_equal(buf,
                      "GET /h?a HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: "
                      "svcwrap-probe\r\nAccept: */*\r\nConnection: "
                      "close\r\n\r\n");
  /* Too small a buffer: nothing rather than a truncated request. */
  assert_int_equal(sw_http_request(&s, buf, 20), 0);
  sw_probe_spec_free(&s);
}

static void failure_count(void **state) {
  sw_probe_count_t c;

  (void)state;
  memset(&c, 0, sizeof(c));
  assert_false(sw_probe_record(&c, false, 3));
  assert_false(sw_probe_record(&c, false, 3));
  /* A success in between starts the count again. */
  assert_false(sw_probe_record(&c, true, 3));
  assert_false(sw_probe_record(&c, false, 3));
  assert_false(sw_probe_record(&c, false, 3));
  assert_true(sw_probe_record(&c, false, 3));
  assert_int_equal(c.failures, 0);
  assert_int_equal(c.total_failures, 5);
  assert_int_equal(c.total_ok, 1);
  assert_true(sw_probe_record(&c, false, 1));
}

/* A tree using `pct` percent of one CPU from t0, sampled every step ms. */
static bool feed_cpu(sw_cpu_rule_t *r, uint64_t *t, uint64_t *cpu, double pct,
                     uint64_t step, unsigned n, unsigned max, uint64_t window,
                     unsigned *fired_at) {
  unsigned i;
  bool fired = false;

  for (i = 0; i < n; i++) {
    *t += step;
    *cpu += (uint64_t)(pct * 10.0 * (double)step);
    if (sw_cpu_rule_sample(r, *t, *cpu, max, window)) {
      fired = true;
      if (fired_at) *fired_at = i;
    }
  }
  return fired;
}

static void cpu_rule_sustained(void **state) {
  sw_cpu_rule_t r;
  uint64_t t = 1000, cpu = 0;
  unsigned at = 99;

  (void)state;
  sw_cpu_rule_reset(&r);
  assert_false(sw_cpu_rule_sample(&r, t, cpu, 90, 3000)); /* baseline */
  /* 95% for 3 s with samples every 1 s: the third sample ends the window
   * (the seed's "three checks in a row"). */
  assert_true(feed_cpu(&r, &t, &cpu, 95, 1000, 3, 90, 3000, &at));
  assert_int_equal(at, 2);
  assert_true(r.pct > 94.9 && r.pct < 95.1);
  /* After a verdict the streak starts again. */
  assert_false(feed_cpu(&r, &t, &cpu, 95, 1000, 2, 90, 3000, NULL));
  assert_true(feed_cpu(&r, &t, &cpu, 95, 1000, 1, 90, 3000, NULL));
}

static void cpu_rule_dip_restarts_window(void **state) {
  sw_cpu_rule_t r;
  uint64_t t = 0, cpu = 0;

  (void)state;
  sw_cpu_rule_reset(&r);
  assert_false(sw_cpu_rule_sample(&r, t, cpu, 90, 3000));
  assert_false(feed_cpu(&r, &t, &cpu, 99, 1000, 2, 90, 3000, NULL));
  /* Exactly at the limit is not above it. */
  assert_false(feed_cpu(&r, &t, &cpu, 90, 1000, 1, 90, 3000, NULL));
  assert_false(feed_cpu(&r, &t, &cpu, 99, 1000, 2, 90, 3000, NULL));
  assert_true(feed_cpu(&r, &t, &cpu, 99, 1000, 1, 90, 3000, NULL));
  /* Never above: never a verdict, however long. */
  sw_cpu_rule_reset(&r);
  assert_false(feed_cpu(&r, &t, &cpu, 50, 100, 1000, 90, 3000, NULL));
  /* Above 100%: several cores. */
  sw_cpu_rule_reset(&r);
  assert_false(feed_cpu(&r, &t, &cpu, 350, 500, 1, 300, 1000, NULL));
  assert_true(feed_cpu(&r, &t, &cpu, 350, 500, 2, 300, 1000, NULL));
  /* cpu_max 0: off. */
  sw_cpu_rule_reset(&r);
  assert_false(feed_cpu(&r, &t, &cpu, 400, 100, 100, 0, 1000, NULL));
}

static void cpu_rule_total_going_down(void **state) {
  sw_cpu_rule_t r;
  uint64_t t = 0, cpu = 5000000;

  (void)state;
  sw_cpu_rule_reset(&r);
  assert_false(sw_cpu_rule_sample(&r, t, cpu, 50, 2000));
  assert_false(feed_cpu(&r, &t, &cpu, 100, 1000, 1, 50, 2000, NULL));
  /* A process of the tree ended and its time went with it: no figure,
   * and the streak ends. */
  t += 1000;
  cpu -= 3000000;
  assert_false(sw_cpu_rule_sample(&r, t, cpu, 50, 2000));
  assert_true(r.pct < 0);
  assert_false(feed_cpu(&r, &t, &cpu, 100, 1000, 1, 50, 2000, NULL));
  assert_true(feed_cpu(&r, &t, &cpu, 100, 1000, 1, 50, 2000, NULL));
  /* A sample at the same time as the previous one proves nothing. */
  assert_false(sw_cpu_rule_sample(&r, t, cpu + 1000000, 50, 2000));
}

static void cpu_period_and_memory(void **state) {
  char buf[32];

  (void)state;
  assert_int_equal(sw_cpu_sample_period_ms(30000), 1000);
  assert_int_equal(sw_cpu_sample_period_ms(5000), 500);
  assert_int_equal(sw_cpu_sample_period_ms(200), 100);
  assert_false(sw_memory_over(300u << 20, 0));
  assert_false(sw_memory_over(100u << 20, 100u << 20));
  assert_true(sw_memory_over((100u << 20) + 1, 100u << 20));
  assert_string_equal(sw_usage_format_bytes(300u << 20, buf, sizeof(buf)),
                      "300.0 MiB");
  assert_string_equal(sw_usage_format_bytes(2048, buf, sizeof(buf)), "2 KiB");
  assert_string_equal(sw_usage_format_bytes(3ULL << 30, buf, sizeof(buf)),
                      "3.0 GiB");
}

static sw_config_t *load(const char *text, sw_diags_t *d) {
  sw_config_t *c = NULL;

  memset(d, 0, sizeof(*d));
  (void)sw_config_parse("/etc/svc/svc.ini", text, strlen(text),
                        SW_PLATFORM_POSIX, NULL, NULL, &c, d);
  return c;
}

#define BASE "[service]\nname = svc\n[process]\nexecutable = /bin/app\n"

static void config_keys(void **state) {
  sw_diags_t d;
  sw_config_t *c;

  (void)state;
  c = load(BASE
           "[health]\nprobe = tcp://127.0.0.1:9\nprobe_interval = 1s\n"
           "probe_timeout = 300ms\nprobe_failures = 2\n"
           "probe_start_delay = 5s\nmemory_max = 100MB\ncpu_max = 90%\n"
           "cpu_window = 2s\n",
           &d);
  assert_non_null(c);
  assert_int_equal(c->probe_spec.kind, SW_PROBE_TCP);
  assert_int_equal(c->probe_interval_ms, 1000);
  assert_int_equal(c->probe_timeout_ms, 300);
  assert_int_equal(c->probe_failures, 2);
  assert_int_equal(c->probe_start_delay_ms, 5000);
  assert_int_equal(c->memory_max, 100ULL << 20); /* MB is MiB */
  assert_int_equal(c->cpu_max, 90);
  assert_int_equal(c->cpu_window_ms, 2000);
  sw_config_free(c);
  sw_diags_free(&d);

  /* Unset: nothing is checked. */
  c = load(BASE, &d);
  assert_non_null(c);
  assert_int_equal(c->probe_spec.kind, SW_PROBE_NONE);
  assert_int_equal(c->memory_max, 0);
  assert_int_equal(c->cpu_max, 0);
  sw_config_free(c);
  sw_diags_free(&d);
}

static void config_rejects(void **state) {
  static const struct {
    const char *ini;
    int line;
    const char *text;
  } cases[] = {
      {BASE "[health]\nprobe = tcp://host\n", 6, "[health] probe: no port"},
      {BASE "[health]\ncpu_max = lots\n", 6, "[health] cpu_max:"},
      {BASE "[health]\ncpu_max = %\n", 6, "[health] cpu_max:"},
      {BASE "[health]\ncpu_max = 200000%\n", 6, "[health] cpu_max:"},
      {BASE "[health]\nprobe_failures = 0\n", 6, "[health] probe_failures"},
      {BASE "[health]\nprobe_interval = 10ms\n", 6, "[health] probe_interval"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sw_diags_t d;
    sw_config_t *c = load(cases[i].ini, &d);

    if (c != NULL || d.n_errors != 1 || d.v[0].line != cases[i].line ||
        strstr(d.v[0].text, cases[i].text) == NULL)
      fail_msg("case %zu: %u errors, first: line %d %s", i, d.n_errors,
               d.n ? d.v[0].line : 0, d.n ? d.v[0].text : "-");
    sw_config_free(c);
    sw_diags_free(&d);
  }
}

/* The unified line of /proc/<pid>/cgroup, and memory.events' max count. */
static void cgroup_text(void **state) {
  char p[64];

  (void)state;
  assert_true(sw_cgroup_v2_path("0::/user.slice/svc.service\n", p, sizeof(p)));
  assert_string_equal(p, "/user.slice/svc.service");
  /* hybrid: v1 lines first */
  assert_true(sw_cgroup_v2_path("12:memory:/x\n1:name=systemd:/x\n0::/\n", p,
                                sizeof(p)));
  assert_string_equal(p, "/");
  /* v1 only (this machine's kind of host): none */
  assert_false(
      sw_cgroup_v2_path("12:memory:/x\n1:cpu,cpuacct:/x\n", p, sizeof(p)));
  assert_false(sw_cgroup_v2_path("0::\n", p, sizeof(p)));
  assert_false(
      sw_cgroup_v2_path("0::/a/very/long/path/that/does/not/fit/in/"
                        "sixty/four/bytes/at/all/not/even/close\n",
                        p, sizeof(p)));
  assert_int_equal(sw_cgroup_events_max("low 0\nhigh 0\nmax 7\noom 1\n"), 7);
  assert_int_equal(sw_cgroup_events_max("low 0\nmax 0\n"), 0);
  assert_int_equal(sw_cgroup_events_max("low 0\nmax_x 3\n"), -1);
  assert_int_equal(sw_cgroup_events_max(""), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_http),
    cmocka_unit_test(parse_tcp_exec_none),
    cmocka_unit_test(parse_rejects),
    cmocka_unit_test(http_status_lines),
    cmocka_unit_test(http_request_text),
    cmocka_unit_test(failure_count),
    cmocka_unit_test(cpu_rule_sustained),
    cmocka_unit_test(cpu_rule_dip_restarts_window),
    cmocka_unit_test(cpu_rule_total_going_down),
    cmocka_unit_test(cpu_period_and_memory),
    cmocka_unit_test(config_keys),
    cmocka_unit_test(config_rejects),
    cmocka_unit_test(cgroup_text),
};

const sw_test_group_t sw_group_health = SW_GROUP("health", tests);
