/* SPDX-License-Identifier: MIT */
/* Compiler attributes shared by every layer. */
#ifndef SW_CORE_ATTR_H
#define SW_CORE_ATTR_H

/* printf-style checking. mingw needs gnu_printf (with
 * __USE_MINGW_ANSI_STDIO=1) so %zu and %lld are checked and work. */
#if defined(__MINGW32__)
#define SW_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define SW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SW_PRINTF(f, a)
#endif

/* A result that must be looked at: every fallible platform call (os.h),
 * so that a failure cannot be dropped silently. */
#if defined(__GNUC__)
#define SW_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SW_MUST_CHECK
#endif

#endif
