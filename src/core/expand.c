/* SPDX-License-Identifier: MIT */
/*
 * %NAME% expansion, as cmd.exe and WinSW users write it, but strict: an
 * unset variable or a lone % is an error rather than left as it is, so a
 * typo never reaches the service silently.
 */
#include "core/expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sbuf.h"

int sw_expand(const char *s, sw_getenv_fn *lookup, void *data, char **out,
              char *why, size_t whylen) {
  sw_sbuf_t b = SW_SBUF_INIT;

  *out = NULL;
  while (*s != '\0') {
    const char *pct = strchr(s, '%');
    const char *close;
    char *name, *val;

    if (pct == NULL) {
      sw_sbuf_puts(&b, s);
      break;
    }
    sw_sbuf_put(&b, s, (size_t)(pct - s));
    if (pct[1] == '%') {
      sw_sbuf_put(&b, "%", 1);
      s = pct + 2;
      continue;
    }
    close = strchr(pct + 1, '%');
    if (close == NULL) {
      snprintf(why, whylen,
               "lone %% in \"%s\"; write %%NAME%% for a variable or %%%% for "
               "a percent sign",
               pct);
      goto invalid;
    }
    name = malloc((size_t)(close - pct));
    if (name == NULL) goto nomem;
    memcpy(name, pct + 1, (size_t)(close - pct - 1));
    name[close - pct - 1] = '\0';
    val = lookup(name, data);
    if (val == NULL) {
      snprintf(why, whylen,
               "environment variable %%%s%% is not set; set it, or write "
               "%%%% for a percent sign",
               name);
      free(name);
      goto invalid;
    }
    free(name);
    sw_sbuf_puts(&b, val);
    free(val);
    s = close + 1;
  }
  *out = sw_sbuf_take(&b);
  return *out ? 0 : SW_ENOMEM;

invalid:
  sw_sbuf_free(&b);
  return SW_EINVAL;
nomem:
  sw_sbuf_free(&b);
  return SW_ENOMEM;
}
