/* SPDX-License-Identifier: MIT */
/* Runs every unit test group and prints one summary line. */
#include <stdio.h>

#include "unit.h"

static const sw_test_group_t *const groups[] = {
    &sw_group_value,   &sw_group_cmdline, &sw_group_path,
    &sw_group_config,  &sw_group_policy,  &sw_group_sup,
    &sw_group_misc,    &sw_group_logfile, &sw_group_config_paths,
    &sw_group_secdesc, &sw_group_notify,  &sw_group_health,
    &sw_group_run,     &sw_group_metrics,
};

int main(void) {
  size_t i, total = 0;
  int failed = 0;

  for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
    failed += _cmocka_run_group_tests(groups[i]->name, groups[i]->tests,
                                      groups[i]->n, NULL, NULL);
    total += groups[i]->n;
  }
  printf("unit tests: %zu run in %zu groups, %zu passed, %d failed\n", total,
         sizeof(groups) / sizeof(groups[0]), total - (size_t)failed, failed);
  return failed == 0 ? 0 : 1;
}
