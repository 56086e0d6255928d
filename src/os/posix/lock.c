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
#include <unistd.h>

#include "core/err.h"
#include "os/os.h"

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
