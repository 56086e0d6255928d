/* SPDX-License-Identifier: MIT */
/* core/notify.c: sd_notify messages as systemd defines them, and the
 * `svcwrap notify` client's message. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/notify.h"

static void parse(const char *s, sw_notify_msg_t *m) {
  sw_notify_parse(s, strlen(s), m);
}

static void parse_each_key(void **state) {
  sw_notify_msg_t m;

  (void)state;
  parse("READY=1\nSTATUS=Listening on :8080\nMAINPID=4321\n", &m);
  assert_true(m.ready);
  assert_true(m.has_status);
  assert_string_equal(m.status, "Listening on :8080");
  assert_int_equal(m.mainpid, 4321);
  assert_false(m.watchdog);
  assert_int_equal(m.n_bad, 0);

  parse("WATCHDOG=1", &m); /* no final newline, as sd_notify sends it */
  assert_true(m.watchdog);
  assert_false(m.ready);
  assert_false(m.has_status);

  parse("WATCHDOG=trigger\nWATCHDOG_USEC=2500000\nSTOPPING=1", &m);
  assert_true(m.watchdog_trigger);
  assert_false(m.watchdog);
  assert_int_equal(m.watchdog_usec, 2500000);
  assert_true(m.stopping);

  parse("EXTEND_TIMEOUT_USEC=18446744073709551615\r\nSTATUS=\r\n", &m);
  assert_true(m.has_extend);
  assert_true(m.extend_usec == UINT64_MAX);
  assert_true(m.has_status);
  assert_string_equal(m.status, "");
  assert_int_equal(m.n_bad, 0);
}

/* Keys systemd has but the wrapper does not use, unknown keys and empty
 * lines are ignored; malformed ones are counted, the first kept. */
static void parse_ignored_and_bad(void **state) {
  sw_notify_msg_t m;

  (void)state;
  parse("FDSTORE=1\nERRNO=2\n\nX_CUSTOM=y\nREADY=1\n", &m);
  assert_true(m.ready);
  assert_int_equal(m.n_bad, 0);

  parse(
      "READY\nREADY=yes\nMAINPID=-3\nMAINPID=0\nWATCHDOG_USEC=0\n"
      "EXTEND_TIMEOUT_USEC=18446744073709551616\nWATCHDOG=2\n=1\n",
      &m);
  assert_false(m.ready);
  assert_int_equal(m.mainpid, 0);
  assert_int_equal(m.watchdog_usec, 0);
  assert_false(m.has_extend);
  assert_false(m.watchdog);
  assert_int_equal(m.n_bad, 8);
  assert_string_equal(m.bad, "\"READY\": not KEY=VALUE");
}

/* STATUS= text is one clean line, bounded, cut on a UTF-8 boundary. */
static void parse_status_text(void **state) {
  sw_notify_msg_t m;
  char buf[600];

  (void)state;
  parse("STATUS=a\tb\x1b[0mc", &m);
  assert_string_equal(m.status, "a b [0mc");
  memcpy(buf, "STATUS=", 7);
  memset(buf + 7, 'x', 254);
  memcpy(buf + 7 + 254, "\xc3\xa9\xc3\xa9", 4); /* "éé" across the bound */
  sw_notify_parse(buf, 7 + 258, &m);
  assert_int_equal(strlen(m.status), 254);
  sw_notify_parse(buf, 7 + 256, &m); /* exactly 255 bytes + a partial one */
  assert_int_equal(strlen(m.status), 254);
  /* A NUL inside the datagram does not end it early. */
  sw_notify_parse("STATUS=a\0b\nREADY=1", 18, &m);
  assert_true(m.ready);
  assert_int_equal(m.status[1], ' ');
}

static void join_args(void **state) {
  const char *ok[] = {"READY=1", "STATUS=up and running"};
  const char *nokey[] = {"READY"};
  const char *lower[] = {"ready=1"};
  const char *nl[] = {"STATUS=a\nREADY=1"};
  sw_sbuf_t b = SW_SBUF_INIT;
  char why[200];
  char *s;

  (void)state;
  assert_int_equal(sw_notify_join(ok, 2, &b, why, sizeof(why)), 0);
  s = sw_sbuf_take(&b);
  assert_string_equal(s, "READY=1\nSTATUS=up and running");
  free(s);
  assert_int_equal(sw_notify_join(nokey, 1, &b, why, sizeof(why)), SW_EINVAL);
  assert_non_null(strstr(why, "\"READY\" is not KEY=VALUE"));
  sw_sbuf_free(&b);
  assert_int_equal(sw_notify_join(lower, 1, &b, why, sizeof(why)), SW_EINVAL);
  sw_sbuf_free(&b);
  assert_int_equal(sw_notify_join(nl, 1, &b, why, sizeof(why)), SW_EINVAL);
  assert_non_null(strstr(why, "line break"));
  sw_sbuf_free(&b);
  assert_int_equal(sw_notify_join(ok, 0, &b, why, sizeof(why)), SW_EINVAL);
  sw_sbuf_free(&b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_each_key),
    cmocka_unit_test(parse_ignored_and_bad),
    cmocka_unit_test(parse_status_text),
    cmocka_unit_test(join_args),
};

const sw_test_group_t sw_group_notify = SW_GROUP("notify", tests);
