/* SPDX-License-Identifier: MIT */
/*
 * Windows command-line rules, on every platform: split an `arguments`
 * string exactly as CommandLineToArgvW splits the part after the program
 * name, and quote an argv back so that splitting gives the same argv.
 * Pure: no I/O; results are heap-allocated and owned by the caller.
 */
#ifndef SW_CORE_CMDLINE_H
#define SW_CORE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sbuf.h"

/* A NULL-terminated array of heap strings; free with sw_argv_free(). */
typedef struct {
  char **v;
  int n;
} sw_argv_t;

/*
 * Split `s` into arguments by CommandLineToArgvW's rules for the arguments
 * after the program name:
 *  - blanks (space, tab) outside quotes separate arguments;
 *  - 2n backslashes then a quote give n backslashes and a quote that opens
 *    or closes quoting; 2n+1 backslashes then a quote give n backslashes
 *    and a literal quote; backslashes before anything else are literal;
 *  - inside quotes, runs of quotes count in threes together with the quote
 *    that opened them: every third gives one literal quote (so "a""b"
 *    is a"b), and a run that ends on its second quote closes quoting.
 * Returns 0 and fills *out, or SW_ENOMEM.
 */
int sw_argv_split(const char *s, sw_argv_t *out);

/* Append `arg` to b, quoted so that sw_argv_split() yields it unchanged.
 * Arguments without blanks or quotes are copied as they are. */
void sw_argv_quote_append(const char *arg, sw_sbuf_t *b);

/* The whole command line for CreateProcessW: the program in quotes (it
 * cannot contain a quote), then every argument quoted as above, joined by
 * single spaces. Caller frees *out. Returns 0, SW_EINVAL if the program
 * contains a quote, or SW_ENOMEM. */
int sw_argv_join_command(const char *program, const sw_argv_t *args,
                         char **out);

/* Whether `program` is a batch file, which CreateProcessW runs through
 * cmd.exe (.bat or .cmd, any case). */
bool sw_is_batch_file(const char *program);

/*
 * cmd.exe parses a batch file's command line by its own rules, not
 * CommandLineToArgvW's: quoting that is right for a program can be
 * broken out of, and `%VAR%` (and `!VAR!`) are expanded even inside
 * quotes (the "BatBadBut" class). svcwrap does not try to escape for it:
 * it refuses an argument with a character cmd.exe acts on. Returns that
 * character (the first one), or '\0' when `arg` is safe:
 * " % ! & | < > ^ ( ) and line breaks.
 */
char sw_batch_unsafe_char(const char *arg);

/* Duplicate an argv; Returns 0 or SW_ENOMEM. */
int sw_argv_push(sw_argv_t *a, const char *s);
void sw_argv_free(sw_argv_t *a);

#endif
