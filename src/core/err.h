/* SPDX-License-Identifier: MIT */
/*
 * One error space for all of svcwrap: libuv's negative error codes, plus
 * svcwrap's own below UV_ERRNO_MAX, which libuv never uses. Every fallible
 * function returns 0 (or a documented count) on success and a negative
 * SW_E* on failure. This header must stay free of OS headers.
 */
#ifndef SW_CORE_ERR_H
#define SW_CORE_ERR_H

#include <uv.h>

enum {
  SW_ENOMEM = UV_ENOMEM,
  SW_EINVAL = UV_EINVAL,
  SW_ENOENT = UV_ENOENT,
  SW_ENOSYS = UV_ENOSYS,
  SW_EEXIST = UV_EEXIST,
  SW_EACCES = UV_EACCES,
  SW_ECONFIG = UV_ERRNO_MAX - 1,     /* invalid configuration file */
  SW_EGIVEUP = UV_ERRNO_MAX - 2,     /* restart policy exhausted */
  SW_ESTATE = UV_ERRNO_MAX - 3,      /* event not valid in this state (bug) */
  SW_ENOTRUNNING = UV_ERRNO_MAX - 4, /* no running wrapper answers */
  SW_ENOTINST = UV_ERRNO_MAX - 5,    /* service is not installed */
  SW_EUNDELIVERED = UV_ERRNO_MAX - 6 /* stop method could not be delivered */
};

/* Text for any SW_E* or libuv code. Never NULL; static storage. */
const char *sw_strerror(int err);

#endif
