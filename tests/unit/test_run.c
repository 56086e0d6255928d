/* SPDX-License-Identifier: MIT */
/*
 * app/run.c driven through the fake OS backend (src/os/fake/): no process
 * is started. Each test writes an INI into a fresh folder, scripts the
 * children and the host's requests, runs `run` (sw_run(), with a short
 * terminate wait and heartbeat), then checks what the host was told, what
 * went to the event log, and the log files the writer produced (capture,
 * the log writer and rotation, through run.c).
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/run.h"
#include "core/sbuf.h"
#include "core/sup.h"
#include "os/fake/fake.h"

#define TERM_WAIT 100 /* ms: the tests' terminate wait */
#define HEARTBEAT 20  /* ms */

static char dir[256];

/* ---- the folder and the run --------------------------------------------- */

static void remove_tree(const char *path) {
  uv_fs_t req;
  uv_dirent_t ent;

  if (uv_fs_scandir(NULL, &req, path, 0, NULL) >= 0) {
    while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
      char p[512];
      uv_fs_t r2;

      snprintf(p, sizeof(p), "%s/%s", path, ent.name);
      if (ent.type == UV_DIRENT_DIR) {
        remove_tree(p);
        continue;
      }
      uv_fs_unlink(NULL, &r2, p, NULL);
      uv_fs_req_cleanup(&r2);
    }
  }
  uv_fs_req_cleanup(&req);
  uv_fs_rmdir(NULL, &req, path, NULL);
  uv_fs_req_cleanup(&req);
}

static int setup(void **state) {
  const char *tmp = getenv("TMPDIR");

  (void)state;
  snprintf(dir, sizeof(dir), "%s/svcwrap-run-XXXXXX", tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) return -1;
  sw_fake_reset();
  sw_fake.dir = dir;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  sw_fake_reset();
  remove_tree(dir);
  return 0;
}

/* The file's contents (NUL-terminated, heap) or NULL if it is missing. */
static char *slurp(const char *name) {
  char p[512];
  FILE *f;
  sw_sbuf_t b = SW_SBUF_INIT;
  char buf[4096];
  size_t n;

  snprintf(p, sizeof(p), "%s/%s", dir, name);
  f = fopen(p, "rb");
  if (f == NULL) return NULL;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    sw_sbuf_put(&b, buf, n);
  fclose(f);
  return b.p ? sw_sbuf_take(&b) : strdup("");
}

/* Write svc.ini: the common sections plus `extra` (more sections). */
static void write_ini(const char *stop_methods, unsigned burst,
                      const char *extra) {
  char p[512];
  FILE *f;

  snprintf(p, sizeof(p), "%s/svc.ini", dir);
  f = fopen(p, "wb");
  assert_non_null(f);
  fprintf(f,
          "[service]\nname = fk\n"
          "[process]\nexecutable = child.exe\n"
          "[stop]\nmethod = %s\ntimeout = 100ms\n"
          "[restart]\npolicy = on-failure\ndelay = 10ms\nmax_delay = 10ms\n"
          "burst = %u\ninterval = 1min\n"
          "[log]\ndirectory = logs\nstdout = fk.out.log\n"
          "stderr = fk.err.log\ntimestamps = false\ntail_lines = 5\n%s",
          stop_methods, burst, extra ? extra : "");
  assert_int_equal(fclose(f), 0);
}

static int run(void) {
  const sw_run_tuning_t tune = {TERM_WAIT, HEARTBEAT};
  char p[512];
  sw_cli_t cli;

  snprintf(p, sizeof(p), "%s/svc.ini", dir);
  memset(&cli, 0, sizeof(cli));
  cli.config = p;
  cli.argv0 = "svcwrap";
  return sw_run(&cli, &tune);
}

/* After every run: nothing recorded was lost, no child was left. */
static void expect_clean_end(void) {
  assert_int_equal(sw_fake.overflow, 0);
  assert_int_equal(sw_fake.n_live, 0);
  assert_true(sw_fake.event_closed);
  assert_string_equal(sw_fake.service_name, "fk");
}

static void expect_entry(unsigned i, sw_log_level_t level, const char *start) {
  if (i >= sw_fake.n_entries) fail_msg("no event log entry %u", i);
  if (strncmp(sw_fake.entries[i].text, start, strlen(start)) != 0)
    fail_msg("entry %u is \"%s\", want it to start \"%s\"", i,
             sw_fake.entries[i].text, start);
  assert_int_equal(sw_fake.entries[i].level, level);
}

static unsigned count(const char *hay, const char *needle) {
  unsigned n = 0;

  while ((hay = strstr(hay, needle)) != NULL) {
    n++;
    hay += strlen(needle);
  }
  return n;
}

static const sw_fake_report_t *last_report(void) {
  assert_true(sw_fake.n_reports > 0);
  return &sw_fake.reports[sw_fake.n_reports - 1];
}

/* ---- the tests ------------------------------------------------------------
 */

/* A child that fails three times, burst 3: started, three crashes, the
 * give-up; the service ends failed with the child's code. */
static void failing_child_gives_up(void **state) {
  static sw_fake_child_t kids[3];
  char *wlog;
  unsigned i;
  bool running = false;

  (void)state;
  for (i = 0; i < 3; i++) {
    memset(&kids[i], 0, sizeof(kids[i]));
    kids[i].out[0] = (sw_fake_chunk_t){5, 2, "boom\n"};
    kids[i].n_out = 1;
    kids[i].exits = true;
    kids[i].exit_ms = 20;
    kids[i].code = 1;
  }
  sw_fake.children = kids;
  sw_fake.n_children = 3;
  write_ini("ctrl-break, terminate", 3, NULL);

  assert_int_equal(run(), 1);
  expect_clean_end();
  assert_int_equal(sw_fake.n_spawns, 3);
  assert_int_equal(sw_fake.n_stops, 0);
  /* STARTING until the first child runs, then RUNNING through the
   * restarts (never STARTING again), STOPPED with the child's code. */
  assert_int_equal(sw_fake.reports[0].state, SW_HOST_STARTING);
  for (i = 0; i + 1 < sw_fake.n_reports; i++) {
    const sw_fake_report_t *r = &sw_fake.reports[i];

    if (r->state == SW_HOST_RUNNING) running = true;
    if (running) assert_int_equal(r->state, SW_HOST_RUNNING);
    assert_true(r->state == SW_HOST_STARTING || r->state == SW_HOST_RUNNING);
  }
  assert_true(running);
  assert_int_equal(last_report()->state, SW_HOST_STOPPED);
  assert_int_equal(last_report()->exit_code, 1);

  /* started, crashed, crashed, then the last exit: failed, crashed. */
  assert_int_equal(sw_fake.n_entries, 5);
  expect_entry(0, SW_LOG_INFO, "Service fk started ");
  assert_non_null(strstr(sw_fake.entries[0].text, "(pid 1000)."));
  expect_entry(1, SW_LOG_WARN, "The child of service fk (");
  assert_non_null(strstr(sw_fake.entries[1].text,
                         "ended with exit code 1 (failure) after "));
  assert_non_null(strstr(sw_fake.entries[1].text,
                         "\r\nIts last 1 lines of output:\r\n  boom"));
  expect_entry(2, SW_LOG_WARN, "The child of service fk (");
  expect_entry(3, SW_LOG_ERROR,
               "Service fk failed: failure exit; giving up: 3 starts within "
               "60000ms (burst 3). Last exit code 1 (failure); the "
               "service's exit code is 1.");
  expect_entry(4, SW_LOG_WARN, "The child of service fk (");

  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_int_equal(count(wlog, "event log: Service fk started "), 1);
  assert_int_equal(count(wlog, "event log: The child of service fk ("), 3);
  assert_int_equal(count(wlog, "event log: Service fk failed: failure exit"),
                   1);
  assert_int_equal(count(wlog,
                         "the child's last 1 lines before exit code 1 "
                         "(0x00000001):"),
                   3);
  assert_int_equal(count(wlog, "  | boom"), 3);
  assert_non_null(strstr(wlog, "service fk failed (exit code 1)"));
  free(wlog);
}

/* A stop request: ctrl-break is ignored, ctrl-c ends the child; the host
 * is told STOPPING with a hint that only falls, then STOPPED 0. */
static void stop_request_runs_the_ladder(void **state) {
  static sw_fake_child_t kid;
  static const sw_fake_request_t reqs[] = {{30, SW_FAKE_REQ_STOP, 0}};
  uint64_t prev = UINT64_MAX, first = 0;
  unsigned i, n_stopping = 0;
  char *wlog;

  (void)state;
  memset(&kid, 0, sizeof(kid));
  kid.on_stop[SW_STOP_CTRL_BREAK].kind = SW_FAKE_IGNORE;
  kid.on_stop[SW_STOP_CTRL_C] = (sw_fake_reaction_t){SW_FAKE_EXIT, 10, 0, 0};
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 1;
  sw_fake.is_service = true; /* heartbeats while stopping */
  write_ini("ctrl-break, ctrl-c, terminate", 0, NULL);

  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_requests_done, 1);
  assert_int_equal(sw_fake.n_stops, 2);
  assert_int_equal(sw_fake.stops[0], SW_STOP_CTRL_BREAK);
  assert_int_equal(sw_fake.stops[1], SW_STOP_CTRL_C);
  for (i = 0; i < sw_fake.n_reports; i++) {
    const sw_fake_report_t *r = &sw_fake.reports[i];

    if (r->state != SW_HOST_STOPPING) continue;
    if (n_stopping++ == 0) first = r->wait_hint_ms;
    assert_true(r->wait_hint_ms <= prev);
    prev = r->wait_hint_ms;
  }
  /* Two grace times and the terminate wait, then one grace time less;
   * the 100 ms of ctrl-break's grace hold heartbeats (every 20 ms). */
  assert_int_equal(first, 100 + 100 + TERM_WAIT);
  assert_int_equal(prev, 100 + TERM_WAIT);
  assert_true(n_stopping >= 3);
  assert_int_equal(last_report()->state, SW_HOST_STOPPED);
  assert_int_equal(last_report()->exit_code, 0);

  assert_int_equal(sw_fake.n_entries, 2);
  expect_entry(0, SW_LOG_INFO, "Service fk started ");
  expect_entry(1, SW_LOG_INFO,
               "Service fk stopped: child exited after the stop request.");
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog, "stop: sent ctrl-break to pid 1000"));
  assert_non_null(strstr(wlog, "ctrl-break grace time over; step 2 of 3"));
  assert_non_null(strstr(wlog, "stop: sent ctrl-c to pid 1000"));
  assert_non_null(strstr(wlog, "event log: Service fk stopped: "));
  free(wlog);
}

/* A child deaf to every method, terminate included: the wrapper stops
 * waiting after the terminate wait and ends failed, unkillable. */
static void unkillable_child_is_given_up(void **state) {
  static sw_fake_child_t kid;
  static const sw_fake_request_t reqs[] = {{20, SW_FAKE_REQ_STOP, 0}};
  char *wlog;

  (void)state;
  memset(&kid, 0, sizeof(kid)); /* ignores everything */
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 1;
  write_ini("ctrl-break, ctrl-c, terminate", 0, NULL);

  assert_int_equal(run(), 1);
  expect_clean_end();
  assert_int_equal(sw_fake.n_stops, 3);
  assert_int_equal(sw_fake.stops[2], SW_STOP_TERMINATE);
  assert_int_equal(last_report()->state, SW_HOST_STOPPED);
  assert_int_equal(last_report()->exit_code, SW_SUP_EXIT_UNKILLABLE);
  assert_int_equal(sw_fake.n_entries, 2);
  expect_entry(1, SW_LOG_ERROR,
               "Service fk failed: pid 1000 did not exit 100ms after "
               "terminate; pid 1000 could not be killed and was left behind.");
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog, "stop: pid 1000 could not be killed ("));
  free(wlog);
}

/* terminate that cannot even be delivered: given up at once. */
static void undeliverable_terminate_fails_at_once(void **state) {
  static sw_fake_child_t kid;
  static const sw_fake_request_t reqs[] = {{20, SW_FAKE_REQ_FORCE, 0}};
  char *wlog;

  (void)state;
  memset(&kid, 0, sizeof(kid));
  kid.on_stop[SW_STOP_TERMINATE].kind = SW_FAKE_UNDELIVERABLE;
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 1;
  write_ini("ctrl-break, terminate", 0, NULL);

  assert_int_equal(run(), 1);
  expect_clean_end();
  /* Forced: straight to terminate, nothing before it. */
  assert_int_equal(sw_fake.n_stops, 1);
  assert_int_equal(sw_fake.stops[0], SW_STOP_TERMINATE);
  assert_int_equal(last_report()->exit_code, SW_SUP_EXIT_UNKILLABLE);
  expect_entry(1, SW_LOG_ERROR,
               "Service fk failed: terminate could not be delivered to pid "
               "1000; pid 1000 could not be killed");
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog,
                         "stop: terminate could not be delivered: "
                         "fake: terminate cannot be delivered to pid "
                         "1000; next method"));
  free(wlog);
}

/* Output in pieces, lines split across chunks, a last line without its
 * newline: the child's log files hold exactly the lines. */
static void output_lands_in_the_child_logs(void **state) {
  static sw_fake_child_t kid;
  char *out, *err;

  (void)state;
  memset(&kid, 0, sizeof(kid));
  kid.out[0] = (sw_fake_chunk_t){5, 1, "hel"};
  kid.out[1] = (sw_fake_chunk_t){10, 1, "lo\nwor"};
  kid.out[2] = (sw_fake_chunk_t){12, 2, "e1\ne2"};
  kid.out[3] = (sw_fake_chunk_t){15, 1, "ld\n\n"};
  kid.out[4] = (sw_fake_chunk_t){20, 1, "tail"};
  kid.n_out = 5;
  kid.exits = true;
  kid.exit_ms = 30;
  kid.code = 0; /* success: on-failure does not restart it */
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  write_ini("ctrl-break, terminate", 0, NULL);

  assert_int_equal(run(), 0);
  expect_clean_end();
  out = slurp("logs/fk.out.log");
  err = slurp("logs/fk.err.log");
  assert_non_null(out);
  assert_non_null(err);
  assert_string_equal(out, "hello\nworld\n\ntail\n");
  assert_string_equal(err, "e1\ne2\n");
  free(out);
  free(err);
  assert_int_equal(last_report()->state, SW_HOST_STOPPED);
  assert_int_equal(last_report()->exit_code, 0);
  expect_entry(1, SW_LOG_INFO, "Service fk stopped: success exit; policy ");
}

/* A rotate request between two lines: the first is in the rotated file,
 * the second in the new one; the wrapper log rotated too. */
static void rotate_request_rotates(void **state) {
  static sw_fake_child_t kid;
  static const sw_fake_request_t reqs[] = {{40, SW_FAKE_REQ_ROTATE, 0}};
  char *old, *cur, *wold, *wcur;

  (void)state;
  memset(&kid, 0, sizeof(kid));
  kid.out[0] = (sw_fake_chunk_t){5, 1, "one\n"};
  kid.out[1] = (sw_fake_chunk_t){80, 1, "two\n"};
  kid.n_out = 2;
  kid.exits = true;
  kid.exit_ms = 100;
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 1;
  write_ini("ctrl-break, terminate", 0, NULL);

  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_requests_done, 1);
  old = slurp("logs/fk.out.1.log");
  cur = slurp("logs/fk.out.log");
  wold = slurp("logs/fk.svcwrap.1.log");
  assert_non_null(old);
  assert_non_null(cur);
  assert_non_null(wold);
  assert_string_equal(old, "one\n");
  assert_string_equal(cur, "two\n");
  assert_non_null(strstr(wold, "rotating logs on request"));
  /* The new wrapper log has what came after: the end, not the start. */
  wcur = slurp("logs/fk.svcwrap.log");
  assert_non_null(wcur);
  assert_null(strstr(wcur, "service fk starting"));
  assert_non_null(strstr(wcur, "service fk stopped (exit code 0)"));
  free(wcur);
  free(old);
  free(cur);
  free(wold);
}

/* ---- [health] ready = notify, watchdog ------------------------------------
 */

/* READY=1 ends START_PENDING: until then every report is STARTING (the
 * heartbeat's, with what is left of ready_timeout as the hint), and the
 * "started" entry comes with READY=1. */
static void ready_holds_start_pending(void **state) {
  static sw_fake_child_t kid;
  static const sw_fake_request_t reqs[] = {{400, SW_FAKE_REQ_STOP, 0}};
  unsigned i, n_starting = 0, first_running = 0;
  char *wlog;

  (void)state;
  memset(&kid, 0, sizeof(kid));
  kid.out[0] = (sw_fake_chunk_t){20, SW_FAKE_NOTIFY, "STATUS=warming up"};
  kid.out[1] = (sw_fake_chunk_t){150, SW_FAKE_NOTIFY, "READY=1"};
  kid.n_out = 2;
  kid.on_stop[SW_STOP_CTRL_BREAK] = (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 1;
  sw_fake.is_service = true;
  write_ini("ctrl-break, terminate", 0,
            "[health]\nready = notify\nready_timeout = 5s\n");

  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_notify_open, 1);
  assert_int_equal(sw_fake.n_notify_lost, 0);
  for (i = 0; i < sw_fake.n_reports; i++) {
    if (sw_fake.reports[i].state == SW_HOST_RUNNING) {
      first_running = i;
      break;
    }
    assert_int_equal(sw_fake.reports[i].state, SW_HOST_STARTING);
    n_starting++;
  }
  assert_true(first_running > 0);
  /* The first report (before the config) and the heartbeats: 150 ms at
   * 20 ms, so several, each hinting at most what is left of 5 s (+1 s). */
  assert_true(n_starting >= 4);
  for (i = 2; i < first_running; i++)
    assert_true(sw_fake.reports[i].wait_hint_ms <= 6000 &&
                sw_fake.reports[i].wait_hint_ms > 4000);
  assert_int_equal(sw_fake.n_entries, 2);
  expect_entry(0, SW_LOG_INFO, "Service fk started ");
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog,
                         "starting -> wait-ready: child started, pid "
                         "1000; waiting for READY=1 (ready_timeout "
                         "5000ms)"));
  assert_non_null(strstr(wlog, "wait-ready -> running: READY=1 from pid 1000"));
  /* The entry is written after READY=1, not at the spawn. */
  assert_true(strstr(wlog, "event log: Service fk started") >
              strstr(wlog, "wait-ready -> running"));
  free(wlog);
}

/* No READY=1 within ready_timeout, twice, burst 2: the service never was
 * RUNNING and ends failed. */
static void ready_timeout_gives_up(void **state) {
  static sw_fake_child_t kids[2];
  char *wlog;
  unsigned i;

  (void)state;
  memset(kids, 0, sizeof(kids));
  for (i = 0; i < 2; i++)
    kids[i].on_stop[SW_STOP_CTRL_BREAK] =
        (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  sw_fake.children = kids;
  sw_fake.n_children = 2;
  sw_fake.is_service = true;
  write_ini("ctrl-break, terminate", 2,
            "[health]\nready = notify\nready_timeout = 60ms\n");

  assert_int_equal(run(), 1);
  expect_clean_end();
  for (i = 0; i < sw_fake.n_reports; i++)
    assert_int_not_equal(sw_fake.reports[i].state, SW_HOST_RUNNING);
  assert_int_equal(last_report()->state, SW_HOST_STOPPED);
  assert_int_equal(last_report()->exit_code, 1);
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_int_equal(count(wlog, "timeout: no READY=1 within 60ms"), 2);
  assert_non_null(strstr(wlog, "timeout exit; giving up"));
  free(wlog);
}

/* Pings, then none: one period after the last, a watchdog stop and a
 * restart; the service stays RUNNING for the host throughout. */
static void watchdog_missed_restarts(void **state) {
  static sw_fake_child_t kids[2];
  static const sw_fake_request_t reqs[] = {{600, SW_FAKE_REQ_STOP, 0}};
  unsigned i, running = 0;
  char *wlog;

  (void)state;
  memset(kids, 0, sizeof(kids));
  kids[0].out[0] = (sw_fake_chunk_t){20, SW_FAKE_NOTIFY, "WATCHDOG=1"};
  kids[0].out[1] = (sw_fake_chunk_t){60, SW_FAKE_NOTIFY, "WATCHDOG=1"};
  kids[0].out[2] = (sw_fake_chunk_t){100, SW_FAKE_NOTIFY, "WATCHDOG=1"};
  kids[0].n_out = 3;
  for (i = 0; i < 2; i++)
    kids[i].on_stop[SW_STOP_CTRL_BREAK] =
        (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  /* The second one pings until after the stop request. */
  for (i = 0; i < SW_FAKE_MAX_CHUNKS; i++)
    kids[1].out[i] =
        (sw_fake_chunk_t){20 + 60 * i, SW_FAKE_NOTIFY, "WATCHDOG=1"};
  kids[1].n_out = SW_FAKE_MAX_CHUNKS;
  sw_fake.children = kids;
  sw_fake.n_children = 2;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 1;
  sw_fake.is_service = true;
  write_ini("ctrl-break, terminate", 0, "[health]\nwatchdog = 150ms\n");

  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_spawns, 2);
  for (i = 0; i < sw_fake.n_reports; i++) {
    if (sw_fake.reports[i].state == SW_HOST_RUNNING) running++;
    if (running > 0 && sw_fake.reports[i].state == SW_HOST_STOPPING) break;
    /* RUNNING once up, until the stop request: never STARTING again. */
    if (running > 0)
      assert_int_equal(sw_fake.reports[i].state, SW_HOST_RUNNING);
  }
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_int_equal(count(wlog, "watchdog: no WATCHDOG=1 within 150ms"), 1);
  assert_non_null(strstr(wlog, "watchdog exit; policy on-failure restarts"));
  free(wlog);
}

/* ---- hooks ------------------------------------------------------------------
 */

static const char *const hooks_ini =
    "[hooks]\npre_start = hook.exe pre\npost_start = hook.exe poststart\n"
    "pre_stop = hook.exe prestop\npost_stop = hook.exe poststop\n"
    "timeout = 1s\n";

static const char *find_after(const char *hay, const char *needle,
                              const char *after) {
  const char *p = strstr(after ? after : hay, needle);

  if (p == NULL) fail_msg("no \"%s\" in order in:\n%s", needle, hay);
  return p;
}

/* Under a service manager: START_PENDING renewed while pre_start runs,
 * then the child, post_start, and at the stop pre_stop (STOP_PENDING with
 * both hooks' time in the hint), the ladder, post_stop. */
static void hooks_in_order_under_a_service_manager(void **state) {
  static sw_fake_child_t kids[5];
  static const sw_fake_request_t reqs[] = {{300, SW_FAKE_REQ_STOP, 0}};
  unsigned i, n_starting = 0, n_stopping = 0;
  uint64_t first_stop_hint = 0;
  const char *at;
  char *wlog;

  (void)state;
  memset(kids, 0, sizeof(kids));
  kids[0] = (sw_fake_child_t){.exits = true, .exit_ms = 100}; /* pre_start */
  kids[0].out[0] = (sw_fake_chunk_t){5, 1, "migrating\n"};
  kids[0].n_out = 1;
  kids[1].on_stop[SW_STOP_CTRL_BREAK] =
      (sw_fake_reaction_t){SW_FAKE_EXIT, 10, 0, 0};          /* the child */
  kids[2] = (sw_fake_child_t){.exits = true, .exit_ms = 5};  /* post_start */
  kids[3] = (sw_fake_child_t){.exits = true, .exit_ms = 60}; /* pre_stop */
  kids[4] = (sw_fake_child_t){.exits = true, .exit_ms = 5};  /* post_stop */
  sw_fake.children = kids;
  sw_fake.n_children = 5;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 1;
  sw_fake.is_service = true;
  write_ini("ctrl-break, terminate", 0, hooks_ini);

  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_spawns, 5);
  assert_int_equal(sw_fake.n_stops, 1);
  for (i = 0; i < sw_fake.n_reports; i++) {
    const sw_fake_report_t *r = &sw_fake.reports[i];

    /* Heartbeats while pre_start runs: its timeout plus terminate's wait
     * (the first report of the state adds the spawn's 10 s). */
    if (r->state == SW_HOST_STARTING && r->wait_hint_ms == 1000 + TERM_WAIT)
      n_starting++;
    if (r->state == SW_HOST_STOPPING && n_stopping++ == 0)
      first_stop_hint = r->wait_hint_ms;
  }
  /* Every 20 ms of pre_start's 100. */
  assert_true(n_starting >= 3);
  /* ctrl-break's grace, terminate's wait, and each hook's timeout plus
   * terminate's wait (pre_stop, post_stop). */
  assert_int_equal(first_stop_hint, 100 + TERM_WAIT + 2 * (1000 + TERM_WAIT));
  assert_true(n_stopping >= 3); /* heartbeats through pre_stop's 60 ms */
  assert_int_equal(last_report()->state, SW_HOST_STOPPED);
  assert_int_equal(last_report()->exit_code, 0);
  assert_int_equal(sw_fake.n_entries, 2);
  expect_entry(0, SW_LOG_INFO, "Service fk started ");
  expect_entry(1, SW_LOG_INFO, "Service fk stopped: ");

  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  at = find_after(wlog, "hook pre_start: started ", NULL);
  at = find_after(wlog, "hook pre_start pid 1000: migrating", at);
  at = find_after(wlog, "hook pre_start pid 1000 succeeded", at);
  at = find_after(wlog, ", pid 1001 (restart 0)", at);
  at = find_after(wlog, "hook post_start: started ", at);
  at = find_after(wlog, "running -> pre-stop: stop requested; pre_stop first",
                  at);
  at = find_after(wlog, "hook pre_stop pid 1003 succeeded", at);
  at = find_after(wlog, "stop: sent ctrl-break to pid 1001", at);
  at = find_after(wlog, "stopping -> post-stop: clean-stop exit", at);
  at = find_after(wlog, "hook post_stop pid 1004 succeeded", at);
  (void)find_after(wlog, "post-stop -> stopped: ", at);
  free(wlog);
}

/* A failing pre_start is a failed start: the policy restarts it (burst 2
 * here), the child never runs, the service fails with the hook's code;
 * no "started" and no crash entry (no child ran). */
static void failing_pre_start_fails_the_service(void **state) {
  static sw_fake_child_t kids[2];
  char *wlog;

  (void)state;
  memset(kids, 0, sizeof(kids));
  kids[0] = (sw_fake_child_t){.exits = true, .exit_ms = 10, .code = 3};
  kids[1] = kids[0];
  sw_fake.children = kids;
  sw_fake.n_children = 2;
  write_ini("ctrl-break, terminate", 2, hooks_ini);

  assert_int_equal(run(), 1);
  expect_clean_end();
  assert_int_equal(sw_fake.n_spawns, 2); /* two pre_starts, no child */
  assert_int_equal(last_report()->exit_code, 3);
  assert_int_equal(sw_fake.n_entries, 1);
  expect_entry(0, SW_LOG_ERROR, "Service fk failed: failure exit; giving up");
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog, "hook pre_start pid 1000 failed: exit code 3"));
  assert_non_null(strstr(wlog, "hook pre_start pid 1001 failed: exit code 3"));
  assert_null(strstr(wlog, "hook post_stop"));
  free(wlog);
}

/* A pre_start that outlives the timeout is terminated and counts as a
 * failed start with code 124. */
static void pre_start_timeout_is_code_124(void **state) {
  static sw_fake_child_t kid;

  (void)state;
  memset(&kid, 0, sizeof(kid));
  kid.on_stop[SW_STOP_TERMINATE] = (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 9};
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  write_ini("ctrl-break, terminate", 1,
            "[hooks]\npre_start = hook.exe\ntimeout = 100ms\n");

  assert_int_equal(run(), 1);
  expect_clean_end();
  assert_int_equal(sw_fake.n_spawns, 1);
  assert_int_equal(sw_fake.n_stops, 1);
  assert_int_equal(sw_fake.stops[0], SW_STOP_TERMINATE);
  assert_int_equal(last_report()->exit_code, 124);
}


/* ready = notify with [control] restart and post_start: the child waits
 * for READY=1 (START_PENDING), post_start runs at READY=1, a requested
 * restart keeps the service RUNNING (no STOPPING report) while the new
 * child waits for READY=1 again, and post_start runs again at its READY. */
static void ready_restart_stays_running(void **state) {
  static sw_fake_child_t kids[4];
  static const sw_fake_request_t reqs[] = {{200, SW_FAKE_REQ_CONTROL, 129},
                                           {500, SW_FAKE_REQ_STOP, 0}};
  unsigned i, first_running = 0, first_stopping = 0;
  const char *at;
  char *wlog;

  (void)state;
  memset(kids, 0, sizeof(kids));
  kids[0].out[0] = (sw_fake_chunk_t){60, SW_FAKE_NOTIFY, "READY=1"};
  kids[0].n_out = 1;
  kids[0].on_stop[SW_STOP_CTRL_BREAK] =
      (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  kids[1] = (sw_fake_child_t){.exits = true, .exit_ms = 5}; /* post_start */
  kids[2] = kids[0];
  kids[2].out[0] = (sw_fake_chunk_t){100, SW_FAKE_NOTIFY, "READY=1"};
  kids[3] = kids[1];
  sw_fake.children = kids;
  sw_fake.n_children = 4;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 2;
  sw_fake.is_service = true;
  write_ini("ctrl-break, terminate", 1,
            "[health]\nready = notify\nready_timeout = 5s\n"
            "[hooks]\npost_start = hook.exe\n"
            "[control]\n129 = restart\n");

  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_requests_done, 2);
  assert_int_equal(sw_fake.n_spawns, 4);
  for (i = 0; i < sw_fake.n_reports; i++) {
    if (first_running == 0 && sw_fake.reports[i].state == SW_HOST_RUNNING)
      first_running = i;
    if (first_stopping == 0 && sw_fake.reports[i].state == SW_HOST_STOPPING)
      first_stopping = i;
  }
  assert_true(first_running > 0);
  assert_true(first_stopping > first_running);
  /* From RUNNING to the stop request: RUNNING only, through the restart
   * and the second child's wait for READY=1. */
  for (i = first_running; i < first_stopping; i++)
    assert_int_equal(sw_fake.reports[i].state, SW_HOST_RUNNING);
  /* The first STOPPING is the stop request's: never RUNNING after it. */
  for (i = first_stopping; i < sw_fake.n_reports; i++)
    assert_int_not_equal(sw_fake.reports[i].state, SW_HOST_RUNNING);
  assert_int_equal(sw_fake.n_entries, 2); /* started, stopped */
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  at = find_after(wlog, "wait-ready -> running: READY=1 from pid 1000", NULL);
  at = find_after(wlog, "hook post_start: started ", at);
  at = find_after(wlog, "restart requested; step 1 of 2: ctrl-break", at);
  at = find_after(wlog, "starting -> wait-ready: child started, pid 1002", at);
  at = find_after(wlog, "wait-ready -> running: READY=1 from pid 1002", at);
  (void)find_after(wlog, "hook post_start: started ", at);
  free(wlog);
}

/* [control] through the host: a signal code, a requested restart (the
 * ladder, a new child at once, not counted: burst 1 would give up at any
 * policy restart), a code not in [control] (refused by the host), then a
 * stop. One "started" entry: a requested restart is not a new start. */
static void control_codes_reach_run(void **state) {
  static sw_fake_child_t kids[2];
  static const sw_fake_request_t reqs[] = {{10, SW_FAKE_REQ_CONTROL, 130},
                                           {20, SW_FAKE_REQ_CONTROL, 129},
                                           {60, SW_FAKE_REQ_CONTROL, 140},
                                           {70, SW_FAKE_REQ_STOP, 0}};
  char *wlog;
  int i;

  (void)state;
  memset(kids, 0, sizeof(kids));
  for (i = 0; i < 2; i++)
    kids[i].on_stop[SW_STOP_CTRL_BREAK] =
        (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  sw_fake.children = kids;
  sw_fake.n_children = 2;
  sw_fake.requests = reqs;
  sw_fake.n_requests = 4;
  write_ini("ctrl-break, terminate", 1,
            "[control]\n129 = restart\n130 = signal:SIGHUP\n");

  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_requests_done, 4);
  assert_int_equal(sw_fake.n_signals, 1);
  assert_string_equal(sw_fake.signals[0], "SIGHUP");
  assert_int_equal(sw_fake.n_controls_refused, 1);
  assert_int_equal(sw_fake.n_spawns, 2);
  assert_int_equal(sw_fake.n_stops, 2); /* the restart's, the stop's */
  assert_int_equal(last_report()->state, SW_HOST_STOPPED);
  assert_int_equal(last_report()->exit_code, 0);
  assert_int_equal(sw_fake.n_entries, 2);
  expect_entry(0, SW_LOG_INFO, "Service fk started ");
  expect_entry(1, SW_LOG_INFO, "Service fk stopped");
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog, "control 130: signal:SIGHUP done"));
  assert_non_null(strstr(wlog, "restart requested; step 1 of 2: ctrl-break"));
  assert_non_null(strstr(wlog, "not counted by the policy"));
  assert_null(strstr(wlog, "giving up"));
  free(wlog);
}

/* memory_max with the fake tree at 200 MiB: the fake OS holds no limit,
 * so the tree is sampled (the reason logged once); each child is stopped
 * through the ladder as unhealthy at its first sample, the service stays
 * RUNNING, and burst 3 gives up after the third start. */
static void memory_max_restarts_through_the_ladder(void **state) {
  static sw_fake_child_t kids[3];
  char *wlog;
  unsigned i;

  (void)state;
  for (i = 0; i < 3; i++) {
    memset(&kids[i], 0, sizeof(kids[i]));
    kids[i].on_stop[SW_STOP_CTRL_BREAK] =
        (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  }
  sw_fake.children = kids;
  sw_fake.n_children = 3;
  sw_fake.usage.memory_bytes = 200ULL << 20;
  sw_fake.usage.processes = 2;
  write_ini("ctrl-break, terminate", 3, "[health]\nmemory_max = 100MB\n");

  (void)run();
  expect_clean_end();
  assert_int_equal(sw_fake.n_spawns, 3);
  assert_int_equal(sw_fake.n_stops, 3);
  for (i = 0; i < 3; i++)
    assert_int_equal(sw_fake.stops[i], SW_STOP_CTRL_BREAK);
  assert_true(sw_fake.n_usage_reads >= 3);
  /* Never STOPPING before the end: health stops are restarts. */
  for (i = 0; i + 1 < sw_fake.n_reports; i++)
    assert_true(sw_fake.reports[i].state != SW_HOST_STOPPING ||
                i + 2 >= sw_fake.n_reports);
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_int_equal(count(wlog,
                         "memory_max 100.0 MiB: the OS cannot hold it "
                         "here (the fake OS holds no limit)"),
                   1);
  assert_int_equal(count(wlog,
                         "memory 200.0 MiB (2 processes) above "
                         "memory_max 100.0 MiB; restarting the child"),
                   3);
  assert_non_null(strstr(wlog, "unhealthy exit; policy on-failure restarts"));
  free(wlog);
}

/* No [health] key: the tree is never read (no sampling at all). */
static void no_limit_reads_nothing(void **state) {
  static sw_fake_child_t kid;

  (void)state;
  memset(&kid, 0, sizeof(kid));
  kid.exits = true;
  kid.exit_ms = 30;
  kid.code = 0;
  sw_fake.children = &kid;
  sw_fake.n_children = 1;
  write_ini("ctrl-break, terminate", 3, "[restart]\n");
  (void)run();
  assert_int_equal(sw_fake.n_usage_reads, 0);
}

/* ---- MAINPID= -------------------------------------------------------------
 */

/* k sends READY=1 and MAINPID=<named> at 10 ms; its main process (what
 * the fake reports for a follow) is main_pid. */
static void sends_mainpid(sw_fake_child_t *k, const char *notify,
                          int main_pid) {
  k->out[0] = (sw_fake_chunk_t){10, SW_FAKE_NOTIFY, notify};
  k->n_out = 1;
  k->main_pid = main_pid;
}

/* Run the two children with ready = notify and the one request (a stop):
 * both start, and the run ends cleanly. */
static void run_two_notify_children(sw_fake_child_t kids[2],
                                    const sw_fake_request_t *stop) {
  sw_fake.children = kids;
  sw_fake.n_children = 2;
  sw_fake.requests = stop;
  sw_fake.n_requests = 1;
  write_ini("ctrl-break, terminate", 0,
            "[health]\nready = notify\nready_timeout = 5s\n");
  assert_int_equal(run(), 0);
  expect_clean_end();
  assert_int_equal(sw_fake.n_spawns, 2);
}

/* The launcher names its worker with MAINPID= and exits 0: no exit yet;
 * the worker's exit 3 is the child's, and on-failure restarts it. The
 * next child's MAINPID= outside its tree is refused; its stop goes to it. */
static void mainpid_exit_is_the_childs(void **state) {
  static sw_fake_child_t kids[2];
  static const sw_fake_request_t reqs[] = {{600, SW_FAKE_REQ_STOP, 0}};
  char *wlog;

  (void)state;
  memset(kids, 0, sizeof(kids));
  sends_mainpid(&kids[0], "READY=1\nMAINPID=1500", 1500);
  kids[0].out[1] = (sw_fake_chunk_t){100, 1, "worker still writes\n"};
  kids[0].n_out = 2;
  kids[0].exits = true;
  kids[0].exit_ms = 30;
  kids[0].main_exits = true;
  kids[0].main_exit_ms = 150;
  kids[0].main_code = 3;
  sends_mainpid(&kids[1], "READY=1\nMAINPID=42", 1600);
  kids[1].on_stop[SW_STOP_CTRL_BREAK] =
      (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  run_two_notify_children(kids, reqs);
  assert_int_equal(sw_fake.n_follows, 1);
  assert_int_equal(sw_fake.n_stops, 1);
  assert_int_equal(sw_fake.stop_pids[0], 1001);
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(
      strstr(wlog,
             "notify: MAINPID=1500: the child's main process is pid "
             "1500"));
  assert_non_null(strstr(wlog,
                         "fake: the launcher pid 1000 exited (exit "
                         "code 0); following MAINPID 1500"));
  assert_null(strstr(wlog, "child pid 1000 exited"));
  assert_non_null(strstr(wlog, "child pid 1500 exited with code 3 after"));
  assert_non_null(strstr(wlog, "failure exit; policy on-failure restarts"));
  assert_non_null(strstr(wlog,
                         "notify: MAINPID=42 refused: fake: pid 42 is "
                         "not in the tree of pid 1001; pid 1001 stays "
                         "the main process"));
  assert_non_null(strstr(wlog, "child pid 1001 exited with code 0"));
  free(wlog);
  wlog = slurp("logs/fk.out.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog, "worker still writes"));
  free(wlog);
}

/* Followed, the main process takes the stop method (and the launcher,
 * gone, does not end the service); a main process that ends before the
 * launcher gives the launcher's exit back. */
static void mainpid_takes_the_stop(void **state) {
  static sw_fake_child_t kids[2];
  static const sw_fake_request_t reqs[] = {{300, SW_FAKE_REQ_STOP, 0}};
  char *wlog;

  (void)state;
  memset(kids, 0, sizeof(kids));
  /* Its main process ends at 50 ms, before the launcher's exit 2. */
  sends_mainpid(&kids[0], "READY=1\nMAINPID=1500", 1500);
  kids[0].exits = true;
  kids[0].exit_ms = 100;
  kids[0].code = 2;
  kids[0].main_exits = true;
  kids[0].main_exit_ms = 50;
  kids[0].main_code = 7;
  /* Its main process runs until stopped. */
  sends_mainpid(&kids[1], "READY=1\nMAINPID=1600", 1600);
  kids[1].exits = true;
  kids[1].exit_ms = 20;
  kids[1].on_stop[SW_STOP_CTRL_BREAK] =
      (sw_fake_reaction_t){SW_FAKE_EXIT, 5, 0, 0};
  run_two_notify_children(kids, reqs);
  assert_int_equal(sw_fake.n_stops, 1);
  assert_int_equal(sw_fake.stops[0], SW_STOP_CTRL_BREAK);
  assert_int_equal(sw_fake.stop_pids[0], 1600);
  wlog = slurp("logs/fk.svcwrap.log");
  assert_non_null(wlog);
  assert_non_null(strstr(wlog,
                         "fake: MAINPID 1500 ended before the launcher "
                         "pid 1000"));
  assert_non_null(strstr(wlog, "child pid 1000 exited with code 2 after"));
  assert_non_null(strstr(wlog, "stop: sent ctrl-break to pid 1600"));
  assert_non_null(strstr(wlog, "child pid 1600 exited with code 0 after"));
  assert_null(strstr(wlog, "child pid 1001 exited"));
  free(wlog);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(failing_child_gives_up, setup, teardown),
    cmocka_unit_test_setup_teardown(stop_request_runs_the_ladder, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(unkillable_child_is_given_up, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(undeliverable_terminate_fails_at_once,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(output_lands_in_the_child_logs, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(ready_holds_start_pending, setup, teardown),
    cmocka_unit_test_setup_teardown(ready_timeout_gives_up, setup, teardown),
    cmocka_unit_test_setup_teardown(watchdog_missed_restarts, setup, teardown),
    cmocka_unit_test_setup_teardown(rotate_request_rotates, setup, teardown),
    cmocka_unit_test_setup_teardown(memory_max_restarts_through_the_ladder,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(no_limit_reads_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(hooks_in_order_under_a_service_manager,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(failing_pre_start_fails_the_service, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(pre_start_timeout_is_code_124, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(control_codes_reach_run, setup, teardown),
    cmocka_unit_test_setup_teardown(ready_restart_stays_running, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(mainpid_exit_is_the_childs, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(mainpid_takes_the_stop, setup, teardown),
};

const sw_test_group_t sw_group_run = SW_GROUP("run", tests);
