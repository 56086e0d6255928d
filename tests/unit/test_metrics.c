/* SPDX-License-Identifier: MIT */
/*
 * core/metrics.c: the Prometheus text of a supervisor in a few states:
 * every family has HELP and TYPE, samples carry service="name", values
 * follow the state machine, labels are escaped, and the [health] metrics
 * are absent until measured. (The integration tests parse the served text
 * with prometheus_client.)
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/sup.h"

static sw_restart_cfg_t restart;
static sw_stop_cfg_t stop;

static void sup_at(sw_sup_t *sup) {
  memset(&restart, 0, sizeof(restart));
  restart.policy = SW_RESTART_ON_FAILURE;
  restart.delay_ms = 100;
  restart.max_delay_ms = 100;
  restart.n_success = 1;
  stop.methods[0] = SW_STOP_TERMINATE;
  stop.n_methods = 1;
  sw_sup_init(sup, &restart, &stop, 1000);
}

static sw_input_t in_at(sw_event_t ev, uint64_t now) {
  sw_input_t in;

  memset(&in, 0, sizeof(in));
  in.ev = ev;
  in.now_ms = now;
  in.wall_ms = 1700000000000ULL + now;
  return in;
}

static char *text(const sw_sup_t *sup, const char *name,
                  const sw_metrics_facts_t *f) {
  char *out = NULL;

  assert_int_equal(sw_metrics_text(name, sup, f, &out), 0);
  assert_non_null(out);
  return out;
}

static void has(const char *t, const char *line) {
  if (strstr(t, line) == NULL) fail_msg("no \"%s\" in:\n%s", line, t);
}

static void lacks(const char *t, const char *what) {
  if (strstr(t, what) != NULL)
    fail_msg("\"%s\" should be absent:\n%s", what, t);
}

static void running_then_restarting(void **state) {
  sw_metrics_facts_t f;
  sw_sup_t sup;
  sw_input_t in;
  char *t;

  (void)state;
  memset(&f, 0, sizeof(f));
  sup_at(&sup);
  in = in_at(SW_EV_START, 1000);
  sw_sup_step(&sup, &in);
  in = in_at(SW_EV_SPAWNED, 1000);
  in.pid = 77;
  sw_sup_step(&sup, &in);
  f.now_ms = 3500;
  f.wrapper_start_wall_ms = 1700000000000ULL;
  f.log_bytes = 12345;
  f.log_dropped_bytes = 7;
  t = text(&sup, "svc", &f);
  has(t, "# TYPE svcwrap_up gauge\nsvcwrap_up{service=\"svc\"} 1\n");
  has(t, "svcwrap_state{service=\"svc\",state=\"running\"} 1\n");
  has(t, "svcwrap_state{service=\"svc\",state=\"backoff\"} 0\n");
  has(t, "svcwrap_child_start_time_seconds{service=\"svc\"} 1700000001.000\n");
  has(t, "svcwrap_uptime_seconds{service=\"svc\"} 2.500\n");
  has(t,
      "# TYPE svcwrap_log_bytes_total counter\n"
      "svcwrap_log_bytes_total{service=\"svc\"} 12345\n");
  has(t, "svcwrap_log_dropped_bytes_total{service=\"svc\"} 7\n");
  has(t,
      "svcwrap_wrapper_start_time_seconds{service=\"svc\"} 1700000000.000\n");
  lacks(t, "svcwrap_last_exit_code");
  lacks(t, "svcwrap_tree_memory_bytes");
  lacks(t, "svcwrap_probe_failures_total");
  free(t);

  /* A crash: restarted, counted under its reason; no child any more. */
  in = in_at(SW_EV_EXIT, 4000);
  in.signal = 11;
  sw_sup_step(&sup, &in);
  assert_int_equal(sup.state, SW_ST_BACKOFF);
  f.now_ms = 4100;
  t = text(&sup, "svc", &f);
  has(t, "svcwrap_up{service=\"svc\"} 0\n");
  has(t, "svcwrap_state{service=\"svc\",state=\"backoff\"} 1\n");
  has(t, "svcwrap_restarts_total{service=\"svc\",reason=\"abnormal\"} 1\n");
  has(t, "svcwrap_restarts_total{service=\"svc\",reason=\"failure\"} 0\n");
  has(t, "svcwrap_last_exit_code{service=\"svc\"} 139\n");
  has(t, "svcwrap_uptime_seconds{service=\"svc\"} 0.000\n");
  lacks(t, "svcwrap_child_start_time_seconds{");
  free(t);
}

static void labels_escaped_and_health_facts(void **state) {
  sw_metrics_facts_t f;
  sw_sup_t sup;
  char *t, *p;
  unsigned helps = 0, types = 0;

  (void)state;
  memset(&f, 0, sizeof(f));
  sup_at(&sup);
  f.has_tree_memory = true;
  f.tree_memory_bytes = 1048576;
  f.has_tree_cpu = true;
  f.tree_cpu_ms = 1500;
  f.has_probe_failures = true;
  f.probe_failures = 3;
  t = text(&sup, "a\"b\\c\nd", &f);
  has(t, "svcwrap_up{service=\"a\\\"b\\\\c\\nd\"} 0\n");
  has(t, "svcwrap_state{service=\"a\\\"b\\\\c\\nd\",state=\"stopped\"} 1\n");
  has(t, "svcwrap_tree_memory_bytes{service=\"a\\\"b\\\\c\\nd\"} 1048576\n");
  has(t, "svcwrap_tree_cpu_seconds_total{service=\"a\\\"b\\\\c\\nd\"} 1.500\n");
  has(t, "svcwrap_probe_failures_total{service=\"a\\\"b\\\\c\\nd\"} 3\n");
  /* One HELP and one TYPE per family, every line ends with a newline. */
  for (p = t; (p = strstr(p, "# HELP ")) != NULL; p++)
    helps++;
  for (p = t; (p = strstr(p, "# TYPE ")) != NULL; p++)
    types++;
  assert_int_equal(helps, 10); /* no exit yet, no child */
  assert_int_equal(types, 10);
  assert_int_equal(t[strlen(t) - 1], '\n');
  free(t);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(running_then_restarting),
    cmocka_unit_test(labels_escaped_and_health_facts),
};

const sw_test_group_t sw_group_metrics = SW_GROUP("metrics", tests);
