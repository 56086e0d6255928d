/* SPDX-License-Identifier: MIT */
/* Error texts for svcwrap's own codes; libuv's codes fall through to it. */
#include "core/err.h"

const char *sw_strerror(int err) {
  switch (err) {
  case SW_ECONFIG:
    return "invalid configuration";
  case SW_EGIVEUP:
    return "restart limit reached";
  case SW_ESTATE:
    return "event not valid in current state";
  case SW_ENOTRUNNING:
    return "no running wrapper";
  case SW_ENOTINST:
    return "service is not installed";
  case SW_EUNDELIVERED:
    return "stop method could not be delivered";
  default:
    return uv_strerror(err);
  }
}
