/* SPDX-License-Identifier: MIT */
/* File-system helpers shared by the verbs, over libuv's uv_fs_* (UTF-8
 * paths on every platform). */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/fsutil.h"
#include "core/err.h"
#include "core/path.h"

int sw_mkdirs(const char *dir) {
  uv_fs_t req;
  char *parent;
  int rc;

  rc = uv_fs_mkdir(NULL, &req, dir, 0750, NULL);
  uv_fs_req_cleanup(&req);
  if (rc == 0 || rc == UV_EEXIST) return 0;
  if (rc != UV_ENOENT) return rc;
  if (sw_path_dirname(SW_PATH_NATIVE, dir, &parent) != 0) return SW_ENOMEM;
  if (strcmp(parent, dir) == 0) {
    free(parent);
    return rc;
  }
  rc = sw_mkdirs(parent);
  free(parent);
  if (rc != 0) return rc;
  rc = uv_fs_mkdir(NULL, &req, dir, 0750, NULL);
  uv_fs_req_cleanup(&req);
  return rc == UV_EEXIST ? 0 : rc;
}
