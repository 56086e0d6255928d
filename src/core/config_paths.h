/* SPDX-License-Identifier: MIT */
/*
 * The log paths of a parsed config must not collide: the child's stdout
 * and stderr files, the wrapper's own log (<log dir>/<name>.svcwrap.log)
 * and the rotated names of each (x.log -> x.<n>.log). Pure: no I/O.
 */
#ifndef SW_CORE_CONFIG_PATHS_H
#define SW_CORE_CONFIG_PATHS_H

#include "core/config.h"

/*
 * Add an error to *d for each collision: stdout or stderr equal to the
 * wrapper log or to one of its rotated names, or to the other stream's
 * rotated names; on Windows names that differ only in case are the same.
 * stdout and stderr naming exactly the same file (merged) is allowed.
 * Does nothing while a path is unset (an earlier error). Returns 0 or
 * SW_ENOMEM. Runs on: any thread.
 */
int sw_config_check_paths(const sw_config_t *c, sw_diags_t *d);

#endif
