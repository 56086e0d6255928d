/* SPDX-License-Identifier: MIT */
/*
 * [health] ready = notify and watchdog: the loop glue of the sd_notify
 * protocol. It opens the receiver (os.h), parses each message
 * (core/notify.h), hands READY=1 and EXTEND_TIMEOUT_USEC= to run.c, keeps
 * STATUS= text for the status, MAINPID= to run.c (which has the OS follow
 * that process) and the status, and runs the watchdog: a
 * period without WATCHDOG=1 is reported through sw_run_unhealthy() as
 * class watchdog. With neither key set nothing is opened or armed.
 * Runs on: the loop thread.
 */
#ifndef SW_APP_HEALTH_NOTIFY_H
#define SW_APP_HEALTH_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "core/notify.h"
#include "os/os.h"

typedef struct {
  void *run;                                 /* borrowed: the run */
  void (*on_ready)(void *run);               /* READY=1 */
  void (*on_extend)(void *run, uint64_t ms); /* EXTEND_TIMEOUT_USEC= */
  /* MAINPID=: whether pid became the child's main process (refusals are
   * logged there). NULL: only recorded. */
  bool (*on_mainpid)(void *run, int pid);
} sw_notify_hooks_t;

typedef struct {
  bool on; /* ready = notify or watchdog set: the receiver is open */
  sw_notify_hooks_t hooks;
  sw_notify_srv_t *srv;
  const char *env; /* "NOTIFY_SOCKET=..." / "SVCWRAP_NOTIFY=...", borrowed */
  char wd_env[48]; /* "WATCHDOG_USEC=..." */
  uv_timer_t wd;
  bool wd_init;
  uint64_t cfg_watchdog_ms;
  uint64_t watchdog_ms; /* this child's period (WATCHDOG_USEC= may change it) */
  uint64_t last_ping_ms; /* monotonic; the child's start before a ping */
  bool has_ping;
  bool child_up; /* a child runs: messages count */
  /* What the child said, for the status; reset at each start. */
  bool has_status;
  char status[SW_NOTIFY_STATUS_MAX];
  bool stopping; /* STOPPING=1 */
  int main_pid;  /* the last MAINPID= accepted, else 0 */
  char why[96];
} sw_health_notify_t;

/* Open the receiver if cfg asks for it (else leave h off). Returns 0, or
 * a negative code after logging why (the service must not start: the
 * child could not report). */
int sw_health_notify_open(sw_health_notify_t *h, uv_loop_t *loop,
                          const sw_config_t *cfg,
                          const sw_notify_hooks_t *hooks);

/* The entries for the child's environment ("NAME=value", borrowed until
 * close) appended to env[*n..max). */
void sw_health_notify_env(const sw_health_notify_t *h, const char **env,
                          unsigned *n, unsigned max);

/* A child started (now_ms: monotonic) / its exit was seen. */
void sw_health_notify_child_started(sw_health_notify_t *h, uint64_t now_ms);
void sw_health_notify_child_exited(sw_health_notify_t *h);

/* Close the receiver and the timer (with the loop's handles). */
void sw_health_notify_close(sw_health_notify_t *h);

#endif
