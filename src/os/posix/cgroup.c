/* SPDX-License-Identifier: MIT */
/*
 * memory_max held by the kernel: cgroup v2's memory.max, where the
 * wrapper's own group is delegated to it (writable, as systemd's
 * Delegate=yes or a container runtime gives it). The wrapper moves itself
 * into <group>/svcwrap (cgroup v2's no-internal-processes rule: a group
 * with processes cannot hand controllers to children), enables the memory
 * controller for <group>'s children, and puts each child into
 * <group>/svcwrap-child with memory.max set; memory.events' "max" count
 * tells when the limit was reached (watched with inotify through libuv).
 * Everywhere else (cgroup v1, no delegation) it says why, and the caller
 * samples the tree's memory from /proc instead.
 *
 * The child joins its group just after it was spawned: what it forks in
 * the first instant stays in the wrapper's group (posix_spawn gives no way
 * to start a process in another cgroup; clone3's CLONE_INTO_CGROUP does,
 * but libuv and glibc's posix_spawn do not use it). The /proc sampling
 * runs beside the limit and still sees the whole tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/log.h"
#include "core/err.h"
#include "core/usage.h"
#include "os/common/childio.h"
#include "os/os.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static char group[512];  /* the wrapper's delegated group, once set up */
static int setup_rc = 1; /* 1: not tried; 0: ready; < 0: unavailable */
static char setup_why[1024];

static uv_fs_event_t events_watch;
static bool watching;
static long long events_seen; /* memory.events "max" count at the start */
static sw_memory_limit_cb *limit_cb;
static void *limit_data;

static int read_text(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0) return -errno;
  n = read(fd, buf, len - 1);
  if (n < 0) {
    int err = errno;

    close(fd);
    return -err;
  }
  close(fd);
  buf[n] = '\0';
  return 0;
}

static int write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  size_t n = strlen(text);
  ssize_t w;

  if (fd < 0) return -errno;
  w = write(fd, text, n);
  if (w < 0 || (size_t)w != n) {
    int err = w < 0 ? errno : EIO;

    close(fd);
    return -err;
  }
  if (close(fd) != 0) return -errno;
  return 0;
}

/* Move every process listed in <group>/cgroup.procs into the group
 * whose folder is sub (the wrapper's own first). */
static int move_all(const char *sub) {
  char path[640], from[600], list[8192], pid[32], *p, *end;
  int rc;

  snprintf(path, sizeof(path), "%s/cgroup.procs", sub);
  snprintf(pid, sizeof(pid), "%d", (int)getpid());
  rc = write_text(path, pid);
  if (rc != 0) return rc;
  snprintf(from, sizeof(from), "%s/cgroup.procs", group);
  rc = read_text(from, list, sizeof(list));
  if (rc != 0) return rc;
  for (p = list; *p != '\0'; p = end) {
    long v = strtol(p, &end, 10);

    if (end == p) break;
    snprintf(pid, sizeof(pid), "%ld", v);
    /* A process that ended meanwhile is not an error. */
    if (v > 0 && (rc = write_text(path, pid)) != 0 && rc != -ESRCH) return rc;
  }
  return 0;
}

/* Find the delegated group and prepare it, once per wrapper. */
static int setup(void) {
  char text[4096], path[600], rel[400];
  struct statfs sf;
  int rc;

  if (setup_rc != 1) return setup_rc;
  setup_rc = SW_ENOSYS;
  if (statfs("/sys/fs/cgroup", &sf) != 0) {
    snprintf(setup_why, sizeof(setup_why),
             "no cgroup file system at /sys/fs/cgroup (%s)", strerror(errno));
    return setup_rc;
  }
  if ((unsigned long)sf.f_type != (unsigned long)CGROUP2_SUPER_MAGIC) {
    snprintf(setup_why, sizeof(setup_why),
             "/sys/fs/cgroup is not cgroup v2 (this host has the v1 or "
             "hybrid hierarchy)");
    return setup_rc;
  }
  rc = read_text("/proc/self/cgroup", text, sizeof(text));
  if (rc != 0) {
    snprintf(setup_why, sizeof(setup_why), "read /proc/self/cgroup: %s",
             strerror(-rc));
    return setup_rc;
  }
  if (!sw_cgroup_v2_path(text, rel, sizeof(rel))) {
    snprintf(setup_why, sizeof(setup_why),
             "the wrapper is in no cgroup v2 group");
    return setup_rc;
  }
  snprintf(group, sizeof(group), "/sys/fs/cgroup%s",
           strcmp(rel, "/") == 0 ? "" : rel);
  snprintf(path, sizeof(path), "%s/cgroup.subtree_control", group);
  if (access(path, W_OK) != 0) {
    snprintf(setup_why, sizeof(setup_why),
             "the wrapper's cgroup is not delegated to it (%s: %s)", path,
             strerror(errno));
    return setup_rc;
  }
  /* Out of the group, so that it may enable controllers for children. */
  snprintf(path, sizeof(path), "%s/svcwrap", group);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) {
    snprintf(setup_why, sizeof(setup_why), "mkdir %s: %s", path,
             strerror(errno));
    return setup_rc;
  }
  /* Every process of the group moves (the wrapper and its orphan guard,
   * forked earlier): one left behind would make enabling controllers
   * fail with EBUSY. */
  rc = move_all(path);
  if (rc == 0) {
    snprintf(path, sizeof(path), "%s/cgroup.subtree_control", group);
    rc = write_text(path, "+memory");
  }
  if (rc == 0) {
    snprintf(path, sizeof(path), "%s/svcwrap-child", group);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) rc = -errno;
  }
  if (rc != 0) {
    snprintf(setup_why, sizeof(setup_why), "set up %s: %s", path,
             strerror(-rc));
    return setup_rc;
  }
  setup_rc = 0;
  return 0;
}

static void on_events(uv_fs_event_t *h, const char *name, int events,
                      int status) {
  char path[600], text[1024];
  long long max;
  uint64_t current = 0;

  (void)h;
  (void)name;
  (void)events;
  if (status != 0 || limit_cb == NULL) return;
  snprintf(path, sizeof(path), "%s/svcwrap-child/memory.events", group);
  if (read_text(path, text, sizeof(text)) != 0) return;
  max = sw_cgroup_events_max(text);
  if (max < 0 || max <= events_seen) return;
  events_seen = max;
  snprintf(path, sizeof(path), "%s/svcwrap-child/memory.current", group);
  if (read_text(path, text, sizeof(text)) == 0)
    current = strtoull(text, NULL, 10);
  {
    sw_memory_limit_cb *cb = limit_cb;

    limit_cb = NULL; /* at most once per child */
    cb(limit_data, current);
  }
}

int sw_os_child_memory_limit(sw_child_t *c, uint64_t max_bytes,
                             sw_memory_limit_cb *cb, void *data, char *why,
                             size_t whylen) {
  char path[600], text[1024], num[32];
  uv_loop_t *loop = ((sw__childio_t *)c)->drain.loop;
  int rc;

  if (setup() != 0) {
    snprintf(why, whylen, "%s", setup_why);
    return SW_ENOSYS;
  }
  snprintf(path, sizeof(path), "%s/svcwrap-child/memory.max", group);
  snprintf(num, sizeof(num), "%llu", (unsigned long long)max_bytes);
  rc = write_text(path, num);
  if (rc == 0) {
    snprintf(path, sizeof(path), "%s/svcwrap-child/cgroup.procs", group);
    snprintf(num, sizeof(num), "%d", sw_os_child_pid(c));
    rc = write_text(path, num);
  }
  if (rc != 0) {
    snprintf(why, whylen, "write %s: %s", path, strerror(-rc));
    return rc; /* -errno: the error space on POSIX */
  }
  snprintf(path, sizeof(path), "%s/svcwrap-child/memory.events", group);
  events_seen = read_text(path, text, sizeof(text)) == 0
                    ? sw_cgroup_events_max(text)
                    : -1;
  limit_cb = cb;
  limit_data = data;
  if (!watching) {
    rc = uv_fs_event_init(loop, &events_watch);
    if (rc == 0) rc = uv_fs_event_start(&events_watch, on_events, path, 0);
    if (rc != 0) {
      snprintf(why, whylen, "watch %s: %s", path, uv_strerror(rc));
      return rc;
    }
    /* The watch never keeps the loop alive on its own. */
    uv_unref((uv_handle_t *)&events_watch);
    watching = true;
  }
  return 0;
}
