/* SPDX-License-Identifier: MIT */
/*
 * The fake [health] parts: the tree's usage is what the script says; no
 * memory limit is held by this "OS" (so run.c samples), and no helper
 * command runs (no processes here).
 */
#include <stdio.h>

#include "core/err.h"
#include "os/fake/fake.h"

int sw_os_tree_usage(sw_child_t *c, sw_tree_usage_t *u, char *why,
                     size_t whylen) {
  (void)c;
  (void)why;
  (void)whylen;
  sw_fake.n_usage_reads++;
  *u = sw_fake.usage;
  return 0;
}

int sw_os_child_memory_limit(sw_child_t *c, uint64_t max_bytes,
                             sw_memory_limit_cb *cb, void *data, char *why,
                             size_t whylen) {
  (void)c;
  (void)max_bytes;
  (void)cb;
  (void)data;
  snprintf(why, whylen, "the fake OS holds no limit");
  return SW_ENOSYS;
}

int sw_os_helper_start(uv_loop_t *loop, sw_child_t *c, const sw_config_t *cfg,
                       const sw_argv_t *argv, sw_helper_exit_cb *on_exit,
                       void *data, sw_helper_t **out, char *why,
                       size_t whylen) {
  (void)loop;
  (void)c;
  (void)cfg;
  (void)argv;
  (void)on_exit;
  (void)data;
  *out = NULL;
  snprintf(why, whylen, "the fake OS runs no command");
  return SW_ENOSYS;
}

void sw_os_helper_kill(sw_helper_t *h) {
  (void)h;
}

void sw_os_helper_free(sw_helper_t *h) {
  (void)h;
}
