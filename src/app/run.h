/* SPDX-License-Identifier: MIT */
/*
 * `svcwrap run` with its timings as parameters: sw_cmd_run() passes the
 * shipped ones; the unit tests (tests/unit/test_run.c, over the fake OS
 * backend) pass short ones. Runs on: main thread.
 */
#ifndef SW_APP_RUN_H
#define SW_APP_RUN_H

#include <stdint.h>

#include "app/app.h"

typedef struct {
  uint64_t terminate_wait_ms; /* how long terminate may take */
  uint64_t heartbeat_ms;      /* STOPPING reports under a service manager */
} sw_run_tuning_t;

/* sw_cmd_run() with these timings. Returns the process exit code. */
int sw_run(const sw_cli_t *cli, const sw_run_tuning_t *tune);

#endif
