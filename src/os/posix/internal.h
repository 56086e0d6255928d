/* SPDX-License-Identifier: MIT */
/* Private to the POSIX backend. */
#ifndef SW_OS_POSIX_INTERNAL_H
#define SW_OS_POSIX_INTERNAL_H

/*
 * The orphan guard: a small process forked at startup that holds the read
 * end of a pipe only the wrapper writes to. The wrapper tells it the
 * child's process group; when the pipe closes because the wrapper died
 * (even by SIGKILL), the guard kills that whole group. PR_SET_PDEATHSIG
 * would only reach the direct child, not its descendants.
 */
int sw__posix_guard_start(void);
/* Tell the guard the process group to kill if we die; 0 for none. */
void sw__posix_guard_watch(int pgid);

#endif
