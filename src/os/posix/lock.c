/* SPDX-License-Identifier: MIT */
/*
 * The single-instance claim on POSIX: an exclusive flock(2) on
 * "<endpoint>.lock", held by an open descriptor for the wrapper's life.
 * The kernel drops it when the wrapper exits, however it exits, so a
 * stale lock cannot exist; a stopped (SIGSTOP) or slow wrapper still
 * holds it. The descriptor is close-on-exec, so the child never holds
 * it. The lock file itself is never removed: unlinking a lock file
 * lets two processes lock two different files of the same name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "os/os.h"
#include "os/posix/internal.h"

/*
 * The endpoint's folder (<log dir>/.svcwrap): made 0700 if absent; if
 * present it must be a real folder (not a link) of our user, and is made
 * 0700 if it is more open. Returns 0 or -errno with why.
 */
static int private_dir(const char *endpoint, char *why, size_t whylen) {
  char *dir = strdup(endpoint), *slash;
  struct stat st;
  int rc = 0;

  if (dir == NULL) return -ENOMEM;
  slash = strrchr(dir, '/');
  if (slash != NULL) *slash = '\0';
  if (slash == NULL || strcmp(strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir,
                              SW_POSIX_ENDPOINT_DIR) != 0) {
    free(dir);
    return 0; /* an endpoint elsewhere (not ours to judge) */
  }
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    rc = -errno;
    snprintf(why, whylen, "mkdir %s: %s", dir, strerror(errno));
  } else if (lstat(dir, &st) != 0) {
    rc = -errno;
    snprintf(why, whylen, "stat %s: %s", dir, strerror(errno));
  } else if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
    rc = -EPERM;
    snprintf(why, whylen,
             "%s is not a folder of uid %u (it is %s of uid %u); remove it",
             dir, (unsigned)geteuid(),
             S_ISDIR(st.st_mode) ? "a folder" : "a file or link",
             (unsigned)st.st_uid);
  } else if ((st.st_mode & 077) != 0 && chmod(dir, 0700) != 0) {
    rc = -errno;
    snprintf(why, whylen, "chmod 0700 %s: %s", dir, strerror(errno));
  }
  free(dir);
  return rc;
}

struct sw_instance_lock_s {
  int fd;
};

int sw_os_instance_lock(const char *endpoint, sw_instance_lock_t **out,
                        char *why, size_t whylen) {
  size_t n = strlen(endpoint) + 6;
  char *path = malloc(n);
  sw_instance_lock_t *l;
  int fd, err;

  *out = NULL;
  l = malloc(sizeof(*l));
  if (path == NULL || l == NULL) {
    snprintf(why, whylen, "%s", sw_strerror(SW_ENOMEM));
    free(path);
    free(l);
    return SW_ENOMEM;
  }
  snprintf(path, n, "%s.lock", endpoint);
  if ((err = -private_dir(endpoint, why, whylen)) != 0) goto fail;
  do
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    err = errno;
    snprintf(why, whylen, "open %s: %s", path, strerror(err));
    goto fail;
  }
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    err = errno;
    if (err == EINTR) continue;
    close(fd);
    if (err == EWOULDBLOCK) {
      snprintf(why, whylen, "another process holds %s", path);
      free(path);
      free(l);
      return SW_EEXIST;
    }
    snprintf(why, whylen, "lock %s: %s", path, strerror(err));
    goto fail;
  }
  free(path);
  l->fd = fd;
  *out = l;
  return 0;
fail:
  free(path);
  free(l);
  return -err;
}

void sw_os_instance_unlock(sw_instance_lock_t *l) {
  if (l == NULL) return;
  close(l->fd); /* drops the lock */
  free(l);
}
