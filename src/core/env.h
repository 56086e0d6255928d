/* SPDX-License-Identifier: MIT */
/* The child's environment block, built from the wrapper's. Pure. */
#ifndef SW_CORE_ENV_H
#define SW_CORE_ENV_H

#include <stdbool.h>

#include "core/config.h"

/*
 * A new NULL-terminated "NAME=value" array: `base` (the wrapper's own
 * environment), then cfg's [environment] and then `extra` ("NAME=value"),
 * each replacing an earlier variable of the same name (ignoring case when
 * nocase, as Windows does). Caller frees with sw_env_free(). Returns 0 or
 * SW_ENOMEM.
 */
int sw_env_build(const char *const *base, const sw_config_t *cfg,
                 const char *const *extra, bool nocase, char ***out);
void sw_env_free(char **env);

#endif
