/* SPDX-License-Identifier: MIT */
/*
 * The [hooks] runner: starts a hook the state machine asked for
 * (SW_CMD_RUN_HOOK) through the platform layer, in a container of its own
 * (os.h, sw_spawn_opts_t.command), sends its output to the wrapper log
 * line by line, ends it at [hooks] timeout, and reports its end. Never
 * waits: everything happens in loop callbacks, so a slow hook never holds
 * the service manager's heartbeat. It decides nothing (core/sup.c does).
 */
#ifndef SW_APP_HOOKS_H
#define SW_APP_HOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "app/output.h"
#include "core/config.h"
#include "os/os.h"

/* A hook ended: its exit code or signal; timed_out when it was killed at
 * the timeout or could not start (then code is 127 for a missing program,
 * else 126). Runs on: loop thread. */
typedef void sw_hook_done_fn(void *data, sw_hook_t h, uint32_t code, int signal,
                             bool timed_out);

typedef struct sw_hooks_s sw_hooks_t;

typedef struct {
  sw_hooks_t *owner;
  sw_hook_t kind;
  sw_child_t *child; /* while it runs */
  uv_timer_t timer;  /* its timeout, then terminate's wait */
  sw_liner_t lines[2];
  bool killing; /* terminate was sent */
  bool timed_out;
  int pid;
  uint64_t started_ms;
} sw_hook_run_t;

struct sw_hooks_s {
  uv_loop_t *loop;
  const sw_config_t *cfg;
  sw_hook_done_fn *done;
  void *data;
  sw_hook_run_t run[SW_HOOK__COUNT];
  bool initialised;
  uint64_t kill_wait_ms;
};

/* Set up (no handle is started). kill_wait_ms: how long a killed hook may
 * take to die before it is left behind. Returns 0 or a libuv error. */
int sw_hooks_init(sw_hooks_t *hs, uv_loop_t *loop, const sw_config_t *cfg,
                  uint64_t kill_wait_ms, sw_hook_done_fn *done, void *data);

/*
 * Start hook h with the service's environment plus extra_env
 * ("NAME=value", NULL-terminated). If it cannot start (or one of the same
 * kind still runs), done runs before this returns. Runs on: loop thread.
 */
void sw_hooks_start(sw_hooks_t *hs, sw_hook_t h, const char *const *extra_env);

/* End hook h's tree if it runs; its done still follows. */
void sw_hooks_kill(sw_hooks_t *hs, sw_hook_t h);

/* Whether hook h runs. */
bool sw_hooks_running(const sw_hooks_t *hs, sw_hook_t h);

/* The service ends: end every running hook (no done follows) and close
 * the timers. Idempotent. */
void sw_hooks_close(sw_hooks_t *hs);

#endif
