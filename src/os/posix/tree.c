/* SPDX-License-Identifier: MIT */
/*
 * The child's whole tree on Linux, found by walking /proc (see internal.h
 * for why a walk and not a cgroup). A pass reads every /proc/<pid>/stat,
 * picks the processes that match, and SIGKILLs them; passes repeat until
 * one finds nothing alive, because a process can fork between the read and
 * the kill. Its new child is then reparented to the wrapper (a subreaper)
 * or, for the guard, still carries the marker and the session: the next
 * pass finds it. Used by the wrapper and by the orphan guard, so it logs
 * nothing itself; callers log with what it returns.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "os/posix/internal.h"

/* At most this many passes (about 200 ms with the pauses), for a tree
 * that keeps forking while it is killed. */
#define MAX_PASSES 200
/* Passes that find only processes already killed before the walk gives
 * up on them (about 20 ms): a process in uninterruptible sleep (D) or a
 * frozen one keeps matching until it dies, which may be never. */
#define IDLE_PASSES 20

typedef struct {
  int pid, ppid, pgid, sid;
  bool target;
} proc_t;

static char marker[64]; /* "SVCWRAP_TREE=<nonce>", empty until made */

void sw__posix_tree_init(void) {
  unsigned long long r = 0;
  struct timespec ts;
  int fd;

  if (marker[0] != '\0') return;
  /* A nonce, not a secret: it only has to differ between wrappers. */
  fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r)) r = 0;
    close(fd);
  }
  if (r == 0) {
    clock_gettime(CLOCK_REALTIME, &ts);
    r = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20);
  }
  snprintf(marker, sizeof(marker), "%s=%d-%016llx", SW_TREE_ENV, (int)getpid(),
           r);
}

const char *sw__posix_tree_marker(void) {
  return marker;
}

/* Read /proc/<pid>/stat: parent, group, session; false for a process that
 * is gone or already dead (zombie): it needs no kill. */
static bool read_stat(int pid, proc_t *p) {
  char path[64], buf[1024], *s, state;
  ssize_t n;
  int fd;

  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  /* The command name is in parentheses and may contain anything. */
  s = strrchr(buf, ')');
  if (s == NULL ||
      sscanf(s + 1, " %c %d %d %d", &state, &p->ppid, &p->pgid, &p->sid) != 4)
    return false;
  p->pid = pid;
  p->target = false;
  return state != 'Z' && state != 'X' && state != 'x';
}

static bool has_marker(int pid) {
  char path[64], buf[8192];
  size_t len = strlen(marker), have = 0;
  bool found = false, skip = false;
  ssize_t n;
  int fd;

  snprintf(path, sizeof(path), "/proc/%d/environ", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  /* "NAME=value\0" entries, read in chunks: an entry cut by the end of a
   * chunk is kept for the next one if it could still be the marker, else
   * skipped up to its NUL. */
  while (!found && (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
    char *p = buf, *end = buf + have + n;

    *end = '\0';
    if (skip) {
      p = memchr(buf, '\0', (size_t)(end - buf));
      if (p == NULL) continue; /* still inside the long entry */
      p++;
      skip = false;
    }
    for (; p < end; p += strlen(p) + 1) {
      if (p + strlen(p) == end) break; /* cut: look again with more */
      if (strcmp(p, marker) == 0) {
        found = true;
        break;
      }
    }
    have = found ? 0 : (size_t)(end - p);
    if (have > len) {
      have = 0;
      skip = true;
    }
    memmove(buf, p, have);
  }
  close(fd);
  return found;
}

bool sw__posix_proc_info(int pid, int *ppid, int *pgid, int *sid) {
  proc_t p;

  if (!read_stat(pid, &p)) return false;
  *ppid = p.ppid;
  *pgid = p.pgid;
  *sid = p.sid;
  return true;
}

bool sw__posix_has_marker(int pid) {
  return marker[0] != '\0' && has_marker(pid);
}

/* One scan: the live processes of the system into *v (grown as needed);
 * returns how many, or -errno. */
static int scan(proc_t **v, size_t *cap) {
  struct dirent *e;
  size_t n = 0;
  DIR *d;

  d = opendir("/proc");
  if (d == NULL) return -errno;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);

    if (*end != '\0' || pid <= 0) continue;
    if (n == *cap) {
      size_t ncap = *cap ? *cap * 2 : 256;
      proc_t *nv = realloc(*v, ncap * sizeof(**v));

      if (nv == NULL) {
        closedir(d);
        return -ENOMEM;
      }
      *v = nv;
      *cap = ncap;
    }
    if (read_stat((int)pid, &(*v)[n])) n++;
  }
  closedir(d);
  return (int)n;
}

/* Mark the matches, then everything below a match or below m->root, until
 * nothing changes (the scan is not ordered parent-first). */
static void mark(proc_t *v, int n, const sw__tree_match_t *m) {
  int self = (int)getpid(), i;
  bool changed = true;

  for (i = 0; i < n; i++) {
    proc_t *p = &v[i];

    if (p->pid == self || p->pid == m->exclude) continue;
    if ((m->pgid > 0 && (p->pgid == m->pgid || p->sid == m->pgid)) ||
        (m->root > 0 && p->ppid == m->root) ||
        (m->marker && marker[0] != '\0' && has_marker(p->pid)))
      p->target = true;
  }
  while (changed) {
    changed = false;
    for (i = 0; i < n; i++) {
      int j;

      if (v[i].target || v[i].pid == self || v[i].pid == m->exclude) continue;
      for (j = 0; j < n; j++) {
        if (v[j].target && v[j].pid == v[i].ppid) {
          v[i].target = changed = true;
          break;
        }
      }
    }
  }
}

/* Whether pid is in v[0..n). */
static bool seen(const int *v, size_t n, int pid) {
  size_t i;

  for (i = 0; i < n; i++)
    if (v[i] == pid) return true;
  return false;
}

int sw__posix_tree_kill(const sw__tree_match_t *m, sw__tree_result_t *res) {
  static const struct timespec pause = {0, 1000000}; /* 1 ms */
  proc_t *v = NULL;
  int *killed = NULL;
  size_t cap = 0, n_killed = 0, killed_cap = 0;
  int pass, rc = 0, idle = 0;

  memset(res, 0, sizeof(*res));
  for (pass = 0; pass < MAX_PASSES; pass++) {
    int n = scan(&v, &cap), i, fresh = 0, alive = 0;

    if (n < 0) {
      rc = n;
      break;
    }
    mark(v, n, m);
    for (i = 0; i < n; i++) {
      if (!v[i].target) continue;
      alive++;
      /* Killed by an earlier pass and still here: in uninterruptible
       * sleep, or frozen. SIGKILL is pending and a process with a fatal
       * signal pending can no longer fork, so looking again finds nothing
       * new: not a reason for another pass. */
      if (seen(killed, n_killed, v[i].pid)) continue;
      if (kill(v[i].pid, SIGKILL) != 0) {
        /* Gone meanwhile, or not ours to kill (EPERM): looking again
         * would not change that. */
        if (errno != ESRCH) {
          res->failed_pid = v[i].pid;
          res->failed_errno = errno;
        }
        alive--;
        continue;
      }
      if (n_killed == killed_cap) {
        size_t ncap = killed_cap ? killed_cap * 2 : 64;
        int *nk = realloc(killed, ncap * sizeof(*nk));

        if (nk == NULL) {
          rc = -ENOMEM;
          break;
        }
        killed = nk;
        killed_cap = ncap;
      }
      killed[n_killed++] = v[i].pid;
      fresh++;
      res->killed++;
      if (res->first_pid == 0) res->first_pid = v[i].pid;
    }
    res->passes = pass + 1;
    res->left = alive;
    if (rc != 0 || alive == 0) break;
    /* Only processes killed already are left: give them IDLE_PASSES to
     * die, then leave them (uninterruptible sleep or frozen). */
    if (fresh == 0 && ++idle >= IDLE_PASSES) break;
    /* Give SIGKILL a moment to land before looking again for what the
     * killed processes forked meanwhile. */
    nanosleep(&pause, NULL);
  }
  free(killed);
  free(v);
  return rc;
}
