/* SPDX-License-Identifier: MIT */
/* The unit test groups; tests/unit/main.c runs them all. */
#ifndef SW_TESTS_UNIT_H
#define SW_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

typedef struct {
  const char *name;
  const struct CMUnitTest *tests;
  size_t n;
} sw_test_group_t;

#define SW_GROUP(name, arr)                                                    \
  { name, arr, sizeof(arr) / sizeof(arr[0]) }

/* Each test file defines one of these. */
extern const sw_test_group_t sw_group_value;
extern const sw_test_group_t sw_group_cmdline;
extern const sw_test_group_t sw_group_path;
extern const sw_test_group_t sw_group_config;
extern const sw_test_group_t sw_group_policy;
extern const sw_test_group_t sw_group_sup;
extern const sw_test_group_t sw_group_misc;
extern const sw_test_group_t sw_group_logfile;
extern const sw_test_group_t sw_group_config_paths;
extern const sw_test_group_t sw_group_notify;
extern const sw_test_group_t sw_group_health;
extern const sw_test_group_t sw_group_metrics;
extern const sw_test_group_t sw_group_secdesc;
extern const sw_test_group_t sw_group_run;

#endif
