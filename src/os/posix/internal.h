/* SPDX-License-Identifier: MIT */
/* Private to the POSIX backend. */
#ifndef SW_OS_POSIX_INTERNAL_H
#define SW_OS_POSIX_INTERNAL_H

#include <spawn.h>
#include <stdbool.h>
#include <uv.h>

/*
 * The orphan guard: a small process forked at startup that holds the read
 * end of a pipe only the wrapper holds the write end of (nothing is ever
 * written). The wrapper tells it the child's process group (which is also
 * its session: the child is started with setsid) in a page they share;
 * when the pipe closes because the wrapper died (even by
 * SIGKILL), the guard ends the child's tree: every process in that session
 * or process group, every process whose environment carries this run's
 * marker (SVCWRAP_TREE, below), and everything below those.
 * PR_SET_PDEATHSIG would only reach the direct child, not its descendants.
 */
int sw__posix_guard_start(void);
/* Tell the guard the process group to kill if we die; 0 for none. A store
 * into memory shared with the guard: no system call. */
void sw__posix_guard_watch(int pgid);
/* Watch the guard's end of the pipe in this loop, to log it if the guard
 * dies (it is not our child). Idempotent. */
void sw__posix_guard_attach(uv_loop_t *loop);
/* The guard is not the wrapper's child (it is forked through a middle
 * process before the wrapper becomes a subreaper), so the wrapper's
 * children are exactly what is left of the child's tree. None as PID 1. */

/*
 * The child's tree (tree.c). The wrapper is a child subreaper
 * (PR_SET_CHILD_SUBREAPER), so a descendant whose parent dies, even one
 * that left the process group and session with setsid(), is reparented to
 * the wrapper and stays its descendant: "every descendant of the wrapper"
 * is the whole tree (the guard is not one, see above). This is a /proc walk and
 * not a cgroup because cgroup v2 is rarely writable where svcwrap runs (hosts
 * with the v1 hierarchy, unprivileged containers) and the walk works
 * everywhere /proc is mounted.
 *
 * Every process the wrapper starts other than the child would be taken
 * for part of the tree: a future helper must be listed in `exclude`.
 */
#define SW_TREE_ENV "SVCWRAP_TREE"

/* The folder, inside the log folder, of the status sockets and their lock
 * files: mode 0700, owned by the wrapper's user. */
#define SW_POSIX_ENDPOINT_DIR ".svcwrap"

typedef struct {
  int root;    /* > 0: every descendant of this pid (not itself) */
  int pgid;    /* > 0: every process in this group or session */
  bool marker; /* every process whose environment has our marker */
  int exclude; /* > 0: never this pid (the guard) */
} sw__tree_match_t;

typedef struct {
  int killed;    /* processes sent SIGKILL */
  int first_pid; /* one of them, for the log */
  int passes;
  int left;         /* > 0: still alive after the last pass */
  int failed_pid;   /* > 0: a kill that failed other than ESRCH ... */
  int failed_errno; /* ... and its errno */
} sw__tree_result_t;

/* Make this run's marker, "SVCWRAP_TREE=<pid>-<nonce>". Once, at startup,
 * before the guard is forked. */
void sw__posix_tree_init(void);
/* The marker, for the child's environment; "" before sw__posix_tree_init. */
const char *sw__posix_tree_marker(void);
/* SIGKILL every process that matches m, in passes until none is left
 * alive (bounded: a process in uninterruptible sleep may outlast it, then
 * res->left > 0). Returns 0, or -errno if /proc cannot be read. Logs
 * nothing: the guard calls it too. */
int sw__posix_tree_kill(const sw__tree_match_t *m, sw__tree_result_t *res);

/* pid's parent, process group and session from /proc/<pid>/stat; false
 * when it is gone or a zombie (it has exited). */
bool sw__posix_proc_info(int pid, int *ppid, int *pgid, int *sid);
/* Whether pid's environment carries this run's marker. */
bool sw__posix_has_marker(int pid);

/* The wrapper's end of it (child.c): kill every descendant but the guard,
 * logging what was found and what failed under `why` ("child exited",
 * "terminate", ...). */
void sw__posix_end_tree(const char *why);

/* posix_spawn attributes for a clean start (child.c): no blocked signals,
 * default handlers, and with new_session its own session and group.
 * Returns 0 or an errno value. */
int sw__posix_spawnattr_clean(posix_spawnattr_t *attr, bool new_session);
/* Whatever the wrapper inherited above stderr (a socket of the shell or
 * the supervisor that started it, a lock file) is not for the processes
 * it starts: called before each posix_spawn, it marks every descriptor
 * above stderr close-on-exec. glibc's posix_spawn_file_actions_
 * addclosefrom_np would close them in the child instead, but musl, which
 * the static release binary is built with, has none: one way for both.
 * One close_range call (Linux 5.11), else (an older kernel, a seccomp
 * filter that refuses it: logged once) a walk of /proc/self/fd, else of
 * every number up to the limit; it never fails a start. Marking in the
 * parent is not atomic with the spawn: it relies on the rule that every
 * descriptor the wrapper itself opens is opened close-on-exec (O_CLOEXEC,
 * SOCK_CLOEXEC; libuv does so too), which a new open must keep. */
void sw__posix_cloexec_above_stderr(void);
/* One past the highest descriptor number worth trying where /proc cannot
 * list them: the open-files limit, at most 65536 (guard.c). */
int sw__posix_fd_limit(void);
/* The reaper found `pid` exited with `status`: if it is a helper
 * (health.c), report its exit and return true. */
bool sw__posix_helper_reaped(int pid, int status);

/* The last exit of a child, for the PID 1 exit status; false if none. */
bool sw__posix_last_exit(int *code, int *signal);

#endif
