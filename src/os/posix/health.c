/* SPDX-License-Identifier: MIT */
/*
 * [health] on POSIX: the tree's usage from /proc (the memory limit held by
 * cgroup v2 is in cgroup.c), and helper commands (exec: probes) started
 * as descendants of the wrapper so that every end of the tree and the
 * orphan guard reach them. Helpers are reaped by the child's reaper
 * (child.c), which hands their status here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "core/env.h"
#include "core/err.h"
#include "os/os.h"
#include "os/posix/internal.h"

extern char **environ;

/* ---- usage ------------------------------------------------------------- */

typedef struct {
  int pid, ppid;
  uint64_t ticks; /* utime + stime */
  uint64_t rss_pages;
  bool in;
} usage_proc_t;

static bool read_usage(int pid, usage_proc_t *p) {
  char path[64], buf[2048], *s, state;
  unsigned long long ut = 0, st = 0;
  long long rss = 0;
  ssize_t n;
  int fd, ppid;

  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  s = strrchr(buf, ')'); /* the name may contain anything */
  /* state(3) ppid(4) pgrp session tty tpgid flags minflt cminflt majflt
   * cmajflt utime(14) stime(15) cutime cstime priority nice threads
   * itrealvalue starttime vsize rss(24) */
  if (s == NULL ||
      sscanf(s + 1,
             " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
             "%*d %*d %*d %*d %*u %*u %lld",
             &state, &ppid, &ut, &st, &rss) != 5)
    return false;
  if (state == 'Z' || state == 'X') return false;
  p->pid = pid;
  p->ppid = ppid;
  p->ticks = ut + st;
  p->rss_pages = rss > 0 ? (uint64_t)rss : 0;
  p->in = false;
  return true;
}

int sw_os_tree_usage(sw_child_t *c, sw_tree_usage_t *u, char *why,
                     size_t whylen) {
  static long hz, page;
  usage_proc_t *v = NULL;
  size_t n = 0, cap = 0, i;
  int self = (int)getpid();
  struct dirent *e;
  bool changed = true;
  DIR *d;

  (void)c;
  memset(u, 0, sizeof(*u));
  if (hz <= 0) hz = sysconf(_SC_CLK_TCK);
  if (page <= 0) page = sysconf(_SC_PAGESIZE);
  if (hz <= 0 || page <= 0) {
    snprintf(why, whylen, "sysconf: %s", strerror(errno));
    return SW_EINVAL;
  }
  d = opendir("/proc");
  if (d == NULL) {
    int err = errno;

    snprintf(why, whylen, "open /proc: %s", strerror(err));
    return -err;
  }
  while ((e = readdir(d)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);

    if (*end != '\0' || pid <= 0) continue;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 256;
      usage_proc_t *nv = realloc(v, ncap * sizeof(*v));

      if (nv == NULL) {
        closedir(d);
        free(v);
        snprintf(why, whylen, "%s", sw_strerror(SW_ENOMEM));
        return SW_ENOMEM;
      }
      v = nv;
      cap = ncap;
    }
    if (read_usage((int)pid, &v[n])) n++;
  }
  closedir(d);
  /* Every descendant of the wrapper is the child's tree (internal.h); the
   * scan is not ordered parent-first, so mark until nothing changes. */
  while (changed) {
    changed = false;
    for (i = 0; i < n; i++) {
      size_t j;

      if (v[i].in) continue;
      if (v[i].ppid == self) {
        v[i].in = changed = true;
        continue;
      }
      for (j = 0; j < n; j++)
        if (v[j].in && v[j].pid == v[i].ppid) {
          v[i].in = changed = true;
          break;
        }
    }
  }
  for (i = 0; i < n; i++) {
    if (!v[i].in) continue;
    u->processes++;
    u->memory_bytes += v[i].rss_pages * (uint64_t)page;
    u->cpu_us += v[i].ticks * 1000000ULL / (uint64_t)hz;
  }
  free(v);
  return 0;
}

/* ---- helpers ------------------------------------------------------------ */

struct sw_helper_s {
  int pid;
  bool exited;
  sw_helper_exit_cb *on_exit;
  void *data;
  sw_helper_t *next;
};

static sw_helper_t *helpers; /* running, in no order */

bool sw__posix_helper_reaped(int pid, int status) {
  sw_helper_t **p, *h;

  for (p = &helpers; *p != NULL; p = &(*p)->next) {
    if ((*p)->pid != pid) continue;
    h = *p;
    *p = h->next;
    h->next = NULL;
    h->exited = true;
    /* Its group too: what it started must not outlive it. */
    if (kill(-pid, SIGKILL) != 0 && errno != ESRCH)
      sw_log_warn("kill the probe's process group %d", pid);
    if (WIFSIGNALED(status))
      h->on_exit(h->data, 0, WTERMSIG(status));
    else
      h->on_exit(h->data, (uint32_t)WEXITSTATUS(status), 0);
    return true;
  }
  return false;
}

int sw_os_helper_start(uv_loop_t *loop, sw_child_t *c, const sw_config_t *cfg,
                       const sw_argv_t *argv, sw_helper_exit_cb *on_exit,
                       void *data, sw_helper_t **out, char *why,
                       size_t whylen) {
  char name_var[300];
  const char *extra[3] = {name_var, NULL, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  char **env = NULL;
  sw_helper_t *h;
  pid_t pid;
  int rc;

  (void)loop;
  (void)c; /* the tree is the wrapper's descendants: nothing to join */
  *out = NULL;
  if (argv->n == 0) {
    snprintf(why, whylen, "no command");
    return SW_EINVAL;
  }
  snprintf(name_var, sizeof(name_var), "SVCWRAP_SERVICE_NAME=%s", cfg->name);
  if (sw__posix_tree_marker()[0] != '\0') extra[1] = sw__posix_tree_marker();
  h = calloc(1, sizeof(*h));
  if (h == NULL || sw_env_build((const char *const *)environ, cfg, extra, false,
                                &env) != 0) {
    free(h);
    snprintf(why, whylen, "%s", sw_strerror(SW_ENOMEM));
    return SW_ENOMEM;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  /* Its own session and group, so a timeout kills all it started. */
  rc = sw__posix_spawnattr_clean(&attr, true);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (rc == 0)
    rc = posix_spawn_file_actions_addchdir_np(&fa, cfg->working_directory);
  sw__posix_cloexec_above_stderr();
  if (rc == 0) rc = posix_spawnp(&pid, argv->v[0], &fa, &attr, argv->v, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  sw_env_free(env);
  if (rc != 0) {
    snprintf(why, whylen, "start %s: %s", argv->v[0], strerror(rc));
    free(h);
    return -rc;
  }
  h->pid = (int)pid;
  h->on_exit = on_exit;
  h->data = data;
  h->next = helpers;
  helpers = h;
  *out = h;
  return 0;
}

void sw_os_helper_kill(sw_helper_t *h) {
  if (h == NULL || h->exited) return;
  if (kill(-h->pid, SIGKILL) != 0 && errno != ESRCH)
    sw_log_warn("kill the probe's process group %d", h->pid);
}

void sw_os_helper_free(sw_helper_t *h) {
  sw_helper_t **p;

  if (h == NULL) return;
  for (p = &helpers; *p != NULL; p = &(*p)->next)
    if (*p == h) {
      *p = h->next;
      break;
    }
  free(h);
}
