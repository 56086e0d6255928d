/* SPDX-License-Identifier: MIT */
/*
 * The inih adapter: turns INI text into a flat list of (section, key,
 * value, line) entries, reporting every syntax and encoding problem with
 * its line number in one pass. It knows nothing of svcwrap's keys; the
 * config loader gives the entries their meaning. Pure: no I/O.
 */
#ifndef SW_CORE_INI_READ_H
#define SW_CORE_INI_READ_H

#include <stddef.h>

#include "core/config.h"

/* Longest line accepted, in bytes, without its line ending. Windows
 * command lines are limited to 32767 characters; this leaves room for
 * them in UTF-8. */
#define SW_INI_MAX_LINE 65536

typedef struct {
  char *name; /* owned; as written, trimmed; "" for a header reported as
                 malformed: the entries under it belong to no section */
  int line;
} sw_ini_section_t;

typedef struct {
  unsigned section; /* index into sections; entries before any are errors */
  char *key;        /* owned */
  char *value;      /* owned; trimmed, inline comment removed */
  int line;
} sw_ini_entry_t;

typedef struct {
  sw_ini_section_t *sections;
  unsigned n_sections;
  sw_ini_entry_t *entries;
  unsigned n_entries;
} sw_ini_t;

/*
 * Read `text` (len bytes). Problems go to *diags as errors; lines with a
 * problem are left out of the result. Returns 0 (even when there were
 * errors: check diags->n_errors) or SW_ENOMEM. Free *out with sw_ini_free().
 * Runs on: any thread (no global state).
 */
int sw_ini_read(const char *text, size_t len, sw_ini_t *out, sw_diags_t *diags);
void sw_ini_free(sw_ini_t *ini);

/* Length of the longest valid UTF-8 prefix of s[0..n): n if all valid. */
size_t sw_utf8_valid_prefix(const unsigned char *s, size_t n);

#endif
