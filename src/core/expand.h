/* SPDX-License-Identifier: MIT */
/* %NAME% expansion of INI values. Pure: the caller supplies the lookup. */
#ifndef SW_CORE_EXPAND_H
#define SW_CORE_EXPAND_H

#include <stddef.h>

#include "core/config.h"

/*
 * Replace each %NAME% in s by lookup(NAME) and each %% by one %.
 * Returns 0 and a heap string in *out; SW_EINVAL with a reason in why for
 * an unset variable or a lone %; SW_ENOMEM.
 */
int sw_expand(const char *s, sw_getenv_fn *lookup, void *data, char **out,
              char *why, size_t whylen);

#endif
