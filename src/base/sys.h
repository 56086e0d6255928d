/* SPDX-License-Identifier: MIT */
/*
 * The few facts about the OS that the base layer (the log) needs, declared
 * here so that base depends on nothing above it; each backend (src/os/posix,
 * src/os/win) defines them, as it defines the rest of os.h, and the build
 * links exactly one. Layers: core <- base <- os <- app <- main.
 */
#ifndef SW_BASE_SYS_H
#define SW_BASE_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The text of the last OS error (errno / GetLastError()) with its number,
 * e.g. "No such file or directory (2)". Call before anything that could
 * change it. */
void sw_os_last_error_text(char *buf, size_t len);

/* Whether stderr goes nowhere (the null device, or no handle at all):
 * then the log need not be written there. */
bool sw_os_stderr_is_null(void);

/* The local time zone's offset from UTC in minutes at epoch second t. */
int sw_os_utc_offset_min(int64_t t);

#endif
