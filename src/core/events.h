/* SPDX-License-Identifier: MIT */
/* The texts of the system event log entries (Windows Event Log), built
 * here so they are tested on every platform. Pure. */
#ifndef SW_CORE_EVENTS_H
#define SW_CORE_EVENTS_H

#include "core/sup.h" /* sw_evt_t */

/*
 * The entry for `kind`, from the supervisor's state after the event, and
 * the child's last lines (tail[0..n_tail), oldest first; may be NULL/0).
 * Heap string, caller frees; NULL on OOM.
 */
char *sw_event_text(sw_evt_t kind, const char *service, const char *exe,
                    const sw_sup_t *sup, const char *const *tail,
                    unsigned n_tail);

#endif
