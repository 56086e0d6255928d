/* SPDX-License-Identifier: MIT */
/*
 * Parsers for the value syntaxes of svcwrap's INI: durations, sizes,
 * booleans, integers, exit codes and comma-separated lists. Pure functions:
 * no I/O, no allocation except where a function says so.
 *
 * On failure each parser returns SW_EINVAL and writes a one-line reason
 * (lower case, no final period, naming what is accepted) into why[whylen].
 */
#ifndef SW_CORE_VALUE_H
#define SW_CORE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest duration accepted anywhere: 30 days, in milliseconds. */
#define SW_DURATION_MAX_MS (30ULL * 24 * 3600 * 1000)
/* Largest size accepted anywhere: 1 TiB. */
#define SW_SIZE_MAX (1ULL << 40)

/*
 * A duration like "500ms", "10s", "5min", "2h", "1min 30s", "1.5s"; a number
 * without a unit means seconds. Units: ms, s, min (m), h, d and their long
 * spellings. Stores milliseconds in *out_ms; the result must be a whole
 * number of milliseconds and at most SW_DURATION_MAX_MS.
 */
int sw_parse_duration(const char *s, uint64_t *out_ms, char *why,
                      size_t whylen);

/* A size like "512KB", "10MB", "1GB" (1024-based; KiB etc. accepted too);
 * a bare number means bytes. At most SW_SIZE_MAX. */
int sw_parse_size(const char *s, uint64_t *out_bytes, char *why, size_t whylen);

/* true/false, yes/no, on/off, 1/0, any letter case. */
int sw_parse_bool(const char *s, bool *out, char *why, size_t whylen);

/* A decimal integer in [min, max]. */
int sw_parse_int(const char *s, long long min, long long max, long long *out,
                 char *why, size_t whylen);

/* An exit code: decimal (0..4294967295, or negative down to -2147483648,
 * taken as its 32-bit two's complement) or hex "0x..." up to 0xFFFFFFFF. */
int sw_parse_exit_code(const char *s, uint32_t *out, char *why, size_t whylen);

/*
 * Split a comma-separated list in place. `s` is modified (commas become
 * NULs); up to max items are stored as pointers into s, trimmed of
 * surrounding blanks. An empty or all-blank s is an empty list. Returns the
 * number of items, or SW_EINVAL for an empty item ("a,,b") or more than max.
 */
int sw_split_list(char *s, char **items, int max, char *why, size_t whylen);

/* Format a duration in milliseconds the way users write it ("1min 30s",
 * "250ms", "0s") into buf. Returns buf. */
char *sw_format_duration(uint64_t ms, char *buf, size_t len);

/* ASCII-only helpers used by the parsers and the config loader. */
bool sw_streq_nocase(const char *a, const char *b);
char *sw_trim(char *s);

#endif
