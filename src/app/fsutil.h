/* SPDX-License-Identifier: MIT */
#ifndef SW_APP_FSUTIL_H
#define SW_APP_FSUTIL_H

/* Create dir and its missing parents. Returns 0 or a libuv error. */
int sw_mkdirs(const char *dir);

#endif
