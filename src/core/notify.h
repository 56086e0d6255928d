/* SPDX-License-Identifier: MIT */
/*
 * The sd_notify protocol's messages (systemd's sd_notify(3)): newline-
 * separated KEY=VALUE lines, parsed into what the wrapper acts on; and the
 * client side's message, built from `svcwrap notify` arguments. Pure: no
 * I/O, no allocation.
 */
#ifndef SW_CORE_NOTIFY_H
#define SW_CORE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

/* Longest STATUS= text kept (longer text is cut at a UTF-8 boundary). */
#define SW_NOTIFY_STATUS_MAX 256
/* Largest message taken: systemd's own bound for a notify datagram. */
#define SW_NOTIFY_MSG_MAX 4096

typedef struct {
  bool ready;            /* READY=1 */
  bool stopping;         /* STOPPING=1 */
  bool watchdog;         /* WATCHDOG=1 */
  bool watchdog_trigger; /* WATCHDOG=trigger */
  bool has_status;       /* STATUS= (status, possibly empty) */
  char status[SW_NOTIFY_STATUS_MAX];
  uint64_t watchdog_usec; /* WATCHDOG_USEC=, else 0 */
  bool has_extend;        /* EXTEND_TIMEOUT_USEC= */
  uint64_t extend_usec;
  int mainpid;    /* MAINPID=, else 0 */
  unsigned n_bad; /* lines without '=', or with a value we refuse */
  char bad[128];  /* the first of them, with why, for the log */
} sw_notify_msg_t;

/*
 * Parse one message (a datagram, or one line from the Windows pipe): buf
 * need not be NUL-terminated. Keys systemd defines but the wrapper has no
 * use for (FDSTORE=, ERRNO=, BUSERROR=, RELOADING=, ...) and unknown keys
 * are ignored, as systemd does; the last value of a repeated key wins.
 * Runs on: any thread.
 */
void sw_notify_parse(const char *buf, size_t len, sw_notify_msg_t *out);

/*
 * The message `svcwrap notify ARG...` sends: the arguments joined with
 * newlines. Each must be KEY=VALUE with KEY of A-Z, 0-9 and '_' and no
 * newline anywhere. Returns 0, or SW_EINVAL with the reason (naming the
 * argument) in why[whylen]; SW_ENOMEM.
 */
int sw_notify_join(const char *const *args, unsigned n, sw_sbuf_t *out,
                   char *why, size_t whylen);

#endif
