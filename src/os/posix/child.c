/* SPDX-License-Identifier: MIT */
/*
 * The child on POSIX. posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK,
 * so no copy-on-write of the wrapper, and exec errors come back as its
 * result) with POSIX_SPAWN_SETSID: the child leads a new session and
 * process group (pgid == pid) that the graceful stop methods are sent to,
 * like tini -g. terminate, the child's exit and every new start end the
 * whole tree (tree.c), including what left the group with setsid(). The
 * orphan guard (guard.c) learns the group so it dies with us. stdout and
 * stderr are pipes read by the loop, kept from one child to the next
 * (outchan.c; a hook gets its own); descriptors above 2 are closed in the
 * child; the exit arrives as SIGCHLD through the reaper below. Output,
 * drain and exit reporting: os/common/childio.c.
 */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID, addchdir_np */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "core/env.h"
#include "core/err.h"
#include "os/common/childio.h"
#include "os/os.h"
#include "os/posix/internal.h"
#include "os/posix/launch.h"
#include "os/posix/outchan.h"

extern char **environ;

typedef struct follow_s follow_t;

struct sw_child_s {
  sw__childio_t io; /* first: the handles' data points here */
  int pid;
  bool hook;    /* a hook, not the child (sw_spawn_opts_t.command) */
  bool outchan; /* its output goes through the kept pipes (outchan.h) */
  /* MAINPID= (sw_os_child_follow): the main process, 0 while it is the
   * launched process (pid). */
  int main_pid;
  bool launcher_gone; /* pid exited while main_pid lives */
  follow_t *watch;    /* learns of main_pid's end when we cannot reap it */
};

/*
 * The end of a main process that is not (yet) the wrapper's child, so not
 * seen by the reaper: a pidfd (Linux >= 5.3) readable once it exits, or,
 * where pidfd_open is missing, a timer looking at /proc. Its own heap
 * block, closed apart from the child's handles.
 */
#define FOLLOW_POLL_MS 100
struct follow_s {
  union {
    uv_poll_t poll;
    uv_timer_t timer;
  } h;
  bool is_poll;
  int fd; /* the pidfd, or -1 */
  sw_child_t *c;
};

/*
 * The reaper: one SIGCHLD watcher for the whole wrapper, unreferenced so
 * that it never keeps the loop alive. The wrapper is a subreaper (host.c),
 * so besides the child it collects every orphan of the child's tree, and
 * the orphan guard: one waitpid(-1) loop reaps them all, hands the child's
 * status to the child, and drops the rest (a zombie must never pile up,
 * least of all as PID 1).
 */
static uv_signal_t reaper;
static bool reaper_started;
static sw_child_t *current; /* the child being waited for, if any */
/* Hooks being waited for: one of each kind at most. */
#define MAX_HOOKS 8
static sw_child_t *hooks[MAX_HOOKS];
static bool have_last_exit;
static int last_code, last_signal;

/* Whether the wrapper has a child, alive or not yet reaped. The guard is
 * not one (guard.c), so "no child" means nothing of the tree is left and
 * the /proc walk can be skipped: the common restart costs one syscall
 * instead of reading every process's stat. */
static bool have_children(void) {
  siginfo_t si;
  int rc;

  do
    rc = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
  while (rc < 0 && errno == EINTR);
  return !(rc < 0 && errno == ECHILD);
}

/* What a tree walk did, in the wrapper log: whose ("child", "hook"). */
static void report_tree_kill(const char *why, const char *whose, int rc,
                             const sw__tree_result_t *res) {
  if (rc != 0)
    sw_log_warnx("%s: cannot look for the %s's processes in /proc: %s", why,
                 whose, strerror(-rc));
  if (res->killed > 0)
    sw_log_info("%s: ended %d process%s left of the %s's tree (pid %d%s)", why,
                res->killed, res->killed == 1 ? "" : "es", whose,
                res->first_pid, res->killed > 1 ? ", ..." : "");
  if (res->failed_pid > 0)
    sw_log_warnx("%s: kill pid %d: %s (%d)", why, res->failed_pid,
                 strerror(res->failed_errno), res->failed_errno);
}

void sw__posix_end_tree(const char *why) {
  sw__tree_match_t m = {0};
  sw__tree_result_t res;
  int rc;

  if (!have_children()) return;
  m.root = (int)getpid();
  rc = sw__posix_tree_kill(&m, &res);
  report_tree_kill(why, "child", rc, &res);
  if (res.left > 0)
    sw_log_warnx(
        "%s: %d process%s of the child's tree still alive after %d "
        "passes (uninterruptible sleep?)",
        why, res.left, res.left == 1 ? "" : "es", res.passes);
}

bool sw__posix_last_exit(int *code, int *signal) {
  *code = last_code;
  *signal = last_signal;
  return have_last_exit;
}

static void follow_closed(uv_handle_t *h) {
  follow_t *w = h->data;

  if (w->fd >= 0) close(w->fd);
  free(w);
}

static void follow_stop(sw_child_t *c) {
  follow_t *w = c->watch;

  if (w == NULL) return;
  c->watch = NULL;
  w->c = NULL;
  uv_close((uv_handle_t *)&w->h, follow_closed);
}

/* "exit code 3" / "signal 15" for the log. */
static const char *status_text(int status, char *buf, size_t len) {
  if (WIFSIGNALED(status))
    snprintf(buf, len, "signal %d", WTERMSIG(status));
  else
    snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
  return buf;
}

static void child_exited(sw_child_t *c, int status);

/* The main process ended; status_known: reaped by us (status is its). */
static void main_ended(sw_child_t *c, bool status_known, int status) {
  char st[32];
  int pid = c->main_pid;

  follow_stop(c);
  if (!c->launcher_gone) {
    /* The launched process still runs: its exit counts again. */
    c->main_pid = 0;
    if (status_known)
      sw_log_info(
          "MAINPID %d ended (%s) before the launcher pid %d; the "
          "launcher is the main process again",
          pid, status_text(status, st, sizeof(st)), c->pid);
    else
      sw_log_info(
          "MAINPID %d ended before the launcher pid %d; the launcher is "
          "the main process again",
          pid, c->pid);
    return;
  }
  if (!status_known) {
    /* Not our child (its parent, in the tree, still runs and reaps it):
     * the kernel tells its status only to that parent. */
    sw_log_info(
        "MAINPID %d ended; its exit status is unknown (it is not the "
        "wrapper's child), reported as exit code 0",
        pid);
    status = 0;
  }
  child_exited(c, status);
}

/* Whether the followed process is still running (not a zombie). */
static bool main_alive(const sw_child_t *c) {
  int ppid, pgid, sid;

  return sw__posix_proc_info(c->main_pid, &ppid, &pgid, &sid);
}

/* The watch saw the main process end (or may have): collect its status
 * when it is our child, else report it unknown. */
static void follow_check(follow_t *w) {
  sw_child_t *c = w->c;
  int status = 0;
  pid_t r;

  if (c == NULL || c->main_pid == 0) return;
  do
    r = waitpid(c->main_pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == c->main_pid) {
    main_ended(c, true, status);
  } else if (r == 0) {
    /* Our child and not yet dead: the pidfd was early (never expected)
     * or the timer looked; the reaper will see its exit. */
    return;
  } else if (!main_alive(c)) {
    main_ended(c, false, 0);
  }
}

static void on_follow_poll(uv_poll_t *p, int status, int events) {
  (void)events;
  if (status != 0)
    sw_log_warnx("watch MAINPID: %s; looking in /proc", uv_strerror(status));
  follow_check(p->data);
}

static void on_follow_timer(uv_timer_t *t) {
  follow_t *w = t->data;
  int ppid, pgid, sid;

  if (w->c == NULL || w->c->main_pid == 0) return;
  if (!sw__posix_proc_info(w->c->main_pid, &ppid, &pgid, &sid)) follow_check(w);
}

/* Start watching c->main_pid's end; 0 or a negative code with why. */
static int follow_start(sw_child_t *c, char *why, size_t whylen) {
  uv_loop_t *loop = c->io.drain.loop;
  follow_t *w = calloc(1, sizeof(*w));
  int rc;

  if (w == NULL) {
    snprintf(why, whylen, "%s", sw_strerror(SW_ENOMEM));
    return SW_ENOMEM;
  }
  w->c = c;
  w->fd = -1;
#ifdef SYS_pidfd_open
  w->fd = (int)syscall(SYS_pidfd_open, (pid_t)c->main_pid, 0);
  if (w->fd < 0 && errno != ENOSYS) {
    int err = errno;

    snprintf(why, whylen, "pidfd_open(%d): %s", c->main_pid, strerror(err));
    free(w);
    return -err;
  }
#endif
  if (w->fd >= 0) {
    rc = uv_poll_init(loop, &w->h.poll, w->fd);
    if (rc == 0) {
      w->is_poll = true;
      w->h.poll.data = w;
      rc = uv_poll_start(&w->h.poll, UV_READABLE, on_follow_poll);
      if (rc != 0) {
        snprintf(why, whylen, "watch pid %d: %s", c->main_pid, uv_strerror(rc));
        c->watch = w;
        follow_stop(c);
        return rc;
      }
      c->watch = w;
      return 0;
    }
    close(w->fd);
    w->fd = -1;
  }
  /* No pidfd here (Linux < 5.3): look at /proc on a timer. */
  uv_timer_init(loop, &w->h.timer);
  w->h.timer.data = w;
  rc = uv_timer_start(&w->h.timer, on_follow_timer, FOLLOW_POLL_MS,
                      FOLLOW_POLL_MS);
  c->watch = w;
  if (rc != 0) {
    snprintf(why, whylen, "watch pid %d: %s", c->main_pid, uv_strerror(rc));
    follow_stop(c);
  }
  return rc;
}

/* The launched process was reaped with status. */
static void launcher_exited(sw_child_t *c, int status) {
  char st[32];

  if (c->main_pid != 0 && main_alive(c)) {
    c->launcher_gone = true;
    sw_log_info("the launcher pid %d exited (%s); following MAINPID %d", c->pid,
                status_text(status, st, sizeof(st)), c->main_pid);
    return;
  }
  if (c->main_pid != 0) {
    sw_log_info(
        "MAINPID %d ended before the launcher pid %d; the launcher's "
        "exit counts",
        c->main_pid, c->pid);
    follow_stop(c);
    c->main_pid = 0;
  }
  child_exited(c, status);
}

static void child_exited(sw_child_t *c, int status) {
  follow_stop(c);
  current = NULL;
  /* The leader is gone: nothing else of its tree may stay behind, neither
   * its group nor what left it (setsid), which would otherwise hold its
   * output open for the whole drain and survive into the next run. */
  if (kill(-c->pid, SIGKILL) != 0 && errno != ESRCH)
    sw_log_warn("kill process group %d", c->pid);
  sw__posix_end_tree("child exited");
  sw__posix_guard_watch(0);
  /* The kept pipes need no longer keep the loop alive (what the child
   * wrote is read by sw__childio_exited, through ext_drain). */
  if (c->outchan) sw__outchan_release();
  c->outchan = false;
  have_last_exit = true;
  if (WIFSIGNALED(status)) {
    last_code = 0;
    last_signal = WTERMSIG(status);
    sw__childio_exited(&c->io, 0, WTERMSIG(status));
  } else {
    last_code = WEXITSTATUS(status);
    last_signal = 0;
    sw__childio_exited(&c->io, (uint32_t)WEXITSTATUS(status), 0);
  }
}

/* What a hook leaves behind: its session and process group, and what is
 * still linked below it. (What escaped both ends with the child's tree.) */
static void end_hook_tree(int pid, const char *why) {
  sw__tree_match_t m = {.root = pid, .pgid = pid};
  sw__tree_result_t res;
  int rc = sw__posix_tree_kill(&m, &res);

  report_tree_kill(why, "hook", rc, &res);
}

static bool hook_reaped(int pid, int status) {
  int i;

  for (i = 0; i < MAX_HOOKS; i++) {
    sw_child_t *c = hooks[i];

    if (c == NULL || c->pid != pid) continue;
    hooks[i] = NULL;
    end_hook_tree(pid, "hook exited");
    if (WIFSIGNALED(status))
      sw__childio_exited(&c->io, 0, WTERMSIG(status));
    else
      sw__childio_exited(&c->io, (uint32_t)WEXITSTATUS(status), 0);
    return true;
  }
  return false;
}

/* Commands ([control] exec:) running beside the child, by pid. */
static struct {
  int pid; /* 0: free */
  sw_command_exit_cb *on_exit;
  void *data;
} commands[SW_OS_MAX_COMMANDS];

static void command_exited(pid_t pid, int status) {
  size_t i;

  for (i = 0; i < SW_OS_MAX_COMMANDS; i++) {
    if (commands[i].pid == pid) {
      sw_command_exit_cb *cb = commands[i].on_exit;
      void *data = commands[i].data;

      commands[i].pid = 0;
      if (WIFSIGNALED(status))
        cb(data, pid, 0, WTERMSIG(status));
      else
        cb(data, pid, (uint32_t)WEXITSTATUS(status), 0);
      return;
    }
  }
}

/* Runs on: loop thread (libuv turns SIGCHLD into a callback). */
static void on_sigchld(uv_signal_t *s, int signum) {
  int status;
  pid_t r;

  (void)s;
  (void)signum;
  for (;;) {
    r = waitpid(-1, &status, WNOHANG);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break; /* none left to reap (0), or no children (ECHILD) */
    if (current != NULL && r == current->pid && !current->launcher_gone)
      launcher_exited(current, status);
    else if (current != NULL && current->main_pid != 0 &&
             r == current->main_pid)
      main_ended(current, true, status);
    else if (!hook_reaped((int)r, status) &&
             !sw__posix_helper_reaped((int)r, status))
      command_exited(r, status);
    /* else: an orphan of the tree, reparented to us; nothing to report */
  }
}

/* Start the reaper (and the guard's watch) once per loop; 0 or a negative
 * uv code. */
static int reaper_start(uv_loop_t *loop) {
  int rc;

  if (reaper_started && reaper.loop == loop &&
      !uv_is_closing((uv_handle_t *)&reaper))
    return 0;
  rc = uv_signal_init(loop, &reaper);
  if (rc != 0) return rc;
  rc = uv_signal_start(&reaper, on_sigchld, SIGCHLD);
  if (rc != 0) {
    uv_close((uv_handle_t *)&reaper, NULL);
    return rc;
  }
  uv_unref((uv_handle_t *)&reaper);
  sw__posix_guard_attach(loop);
  reaper_started = true;
  return 0;
}

static int set_priority(int pid, sw_priority_t p) {
  static const int nice[] = {19, 10, 0, -5, -10};

  if (p == SW_PRIO_NORMAL) return 0;
  return uv_os_setpriority(pid, nice[p]);
}

/* Every process the wrapper starts starts clean: no blocked signals,
 * default handlers (the wrapper ignores SIGPIPE, which exec would
 * otherwise pass on); with new_session, its own session and group, so
 * that one kill ends all it started. Returns 0 or an errno value. */
int sw__posix_spawnattr_clean(posix_spawnattr_t *attr, bool new_session) {
  sigset_t none, all;
  int rc;

  sigemptyset(&none);
  sigfillset(&all);
  rc = posix_spawnattr_setflags(
      attr, (short)((new_session ? POSIX_SPAWN_SETSID : 0) |
                    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  if (rc == 0) rc = posix_spawnattr_setsigmask(attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(attr, &all);
  return rc;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) /* <linux/close_range.h>, Linux 5.11 */
#endif

static void set_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);

  if (flags >= 0 && !(flags & FD_CLOEXEC))
    (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* One descriptor at a time: a kernel before 5.11, or a seccomp filter
 * older than close_range that refuses it. */
static void cloexec_each_above_stderr(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int fd, max;

  if (d == NULL) {
    /* No /proc: every number up to the limit. */
    max = sw__posix_fd_limit();
    for (fd = 3; fd < max; fd++)
      set_cloexec(fd);
    return;
  }
  while ((e = readdir(d)) != NULL) {
    fd = atoi(e->d_name);
    if (fd >= 3 && fd != dirfd(d)) set_cloexec(fd);
  }
  closedir(d);
}

void sw__posix_cloexec_above_stderr(void) {
  static bool no_close_range;

  if (!no_close_range &&
      syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
  if (!no_close_range)
    sw_log_info("close_range: %s; descriptors are marked one by one",
                strerror(errno));
  no_close_range = true;
  cloexec_each_above_stderr();
}

/* Start the process; returns 0 or an errno value. */
static int start_process(const sw_config_t *cfg, const char *program,
                         char **argv, char **envp, const int out_w[2],
                         pid_t *pid) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  static int null_fd = -1; /* the child's stdin, opened once */
  int rc;

  if (null_fd < 0) null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return errno;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  rc = sw__posix_spawnattr_clean(&attr, true);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, null_fd, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, out_w[0], 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, out_w[1], 2);
  if (rc == 0)
    rc = posix_spawn_file_actions_addchdir_np(&fa, cfg->working_directory);
  sw__posix_cloexec_above_stderr();
  if (rc == 0) rc = posix_spawn(pid, program, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc;
}

/* ---- WATCHDOG_PID (launch.c starts the trampoline) -----------------------
 */

int sw_os_watchdog_exec(char **argv) {
  char pid[24];

  snprintf(pid, sizeof(pid), "%d", (int)getpid());
  if (setenv("WATCHDOG_PID", pid, 1) != 0) {
    fprintf(stderr, "svcwrap: setenv WATCHDOG_PID: %s\n", strerror(errno));
    return 126;
  }
  execv(argv[0], argv);
  {
    int err = errno; /* before fprintf may change it */

    fprintf(stderr, "svcwrap: exec %s: %s\n", argv[0], strerror(err));
    return err == ENOENT ? 127 : 126;
  }
}

/*
 * The service's child's record. A crash loop makes and releases one per
 * restart, and musl's allocator (the static release build) returns the
 * page of a lone 784-byte block to the kernel at each free: an mmap, a
 * munmap and a page fault per restart. So the child reuses one static
 * record, free again by the next start (its handles close within the
 * exit's loop turn); hooks, and a child started while the last one's
 * handles still close, get records from the heap.
 */
static sw_child_t child_record;
static bool child_record_taken;
#ifdef __SANITIZE_ADDRESS__
/* The sanitized build takes every record from the heap, so that ASan still
 * reports a stale pointer to an ended child's record. */
#define CHILD_RECORD_REUSED false
#else
#define CHILD_RECORD_REUSED true
#endif

static void child_record_release(void *record) {
  if (record == &child_record)
    child_record_taken = false;
  else
    free(record);
}

static sw_child_t *child_record_take(bool hook) {
  sw_child_t *c;

  if (!hook && CHILD_RECORD_REUSED && !child_record_taken) {
    child_record_taken = true;
    c = &child_record;
    memset(c, 0, sizeof(*c));
  } else if ((c = calloc(1, sizeof(*c))) == NULL) {
    return NULL;
  }
  c->io.release = child_record_release;
  return c;
}

int sw_os_spawn(uv_loop_t *loop, const sw_spawn_opts_t *o, sw_child_t **out,
                char *why, size_t whylen) {
  static sw__launch_t child_launch; /* the service's child's, kept */
  sw__launch_t hook_launch = {0},
               *l = o->command ? &hook_launch : &child_launch;
  int fds[2][2] = {{-1, -1}, {-1, -1}}, out_w[2], slot = -1;
  sw_child_t *c = NULL;
  pid_t pid;
  int rc, i;

  *out = NULL;
  /* Watch SIGCHLD before anything starts, so an exit at once is not
   * missed: libuv takes the signal now and delivers it through the loop,
   * after this function returned (on_exit must never run before the
   * spawn is reported). */
  rc = reaper_start(loop);
  if (rc != 0) {
    snprintf(why, whylen, "watch SIGCHLD: %s", uv_strerror(rc));
    return rc;
  }
  /* Nothing of an earlier run may still be around (it was ended when that
   * run's child exited; this catches what a race let through). A hook
   * starts beside the child (post_start, pre_stop): it ends nothing. */
  if (o->command == NULL) {
    sw__posix_end_tree("before start");
  } else {
    for (i = 0; i < MAX_HOOKS && slot < 0; i++)
      if (hooks[i] == NULL) slot = i;
    if (o->command->n == 0 || slot < 0) {
      snprintf(why, whylen, "no program, or too many hooks at once");
      return SW_EINVAL;
    }
  }
  /* Program, arguments and environment (launch.h: the child's are kept
   * from the start before while they stay the same). */
  rc = 0;
  if (!sw__launch_matches(l, o)) {
    if (l == &child_launch) sw__launch_free(l);
    rc = sw__launch_build(l, o);
  }
  c = rc == 0 ? child_record_take(o->command != NULL) : NULL;
  if (c == NULL) {
    snprintf(why, whylen, "%s", sw_strerror(SW_ENOMEM));
    rc = SW_ENOMEM;
    goto out;
  }
  /* The child writes to the pipes kept from the one before; a hook, or
   * the child when those cannot be had, to pipes of its own. */
  if (o->command == NULL) {
    char cwhy[256];

    if (sw__outchan_take(loop, o->on_output, o->data, out_w, cwhy,
                         sizeof(cwhy)) == 0)
      c->outchan = true;
    else
      sw_log_warnx("child's output: %s; it gets pipes of its own", cwhy);
  }
  for (i = 0; i < 2 && !c->outchan; i++) {
    rc = sw__posix_output_pipe(fds[i], why, whylen);
    if (rc != 0) {
      child_record_release(c);
      goto out;
    }
    out_w[i] = fds[i][1];
  }

  sw__childio_init(&c->io, loop, o, 0);
  rc = start_process(o->cfg, l->program, l->args, l->env, out_w, &pid);
  if (rc != 0) {
    snprintf(why, whylen, "%s", strerror(rc));
    rc = -rc;
    if (c->outchan) sw__outchan_release();
    sw__childio_close(&c->io); /* frees c once everything closed */
    goto out;
  }
  c->pid = (int)pid;
  if (o->command != NULL) {
    /* The guard finds a hook by the marker in its environment. */
    c->hook = true;
    hooks[slot] = c;
  } else {
    current = c;
    sw__posix_guard_watch(c->pid);
  }
  if (c->outchan) {
    /* Paused for the log writer since the last child: this one waits
     * for the writer too (run.c resumes it when there is room). */
    c->io.ext_pause = sw__outchan_pause;
    c->io.ext_drain = sw__outchan_drain;
    c->io.paused = sw__outchan_paused();
  }
  for (i = 0; i < 2 && !c->outchan; i++) {
    int urc = uv_pipe_open(&c->io.out[i], fds[i][0]);

    if (urc == 0) {
      fds[i][0] = -1; /* libuv owns it now */
      sw__childio_read(&c->io, i);
    } else {
      sw_log_warnx("child's %s cannot be read: %s", i ? "stderr" : "stdout",
                   uv_strerror(urc));
    }
  }
  rc = set_priority(c->pid, o->cfg->priority);
  if (rc != 0)
    sw_log_warnx(
        "set priority of pid %d: %s (the child runs at normal "
        "priority)",
        c->pid, uv_strerror(rc));
  *out = c;
  rc = 0;
out:
  for (i = 0; i < 2; i++) {
    if (fds[i][0] >= 0) close(fds[i][0]);
    if (fds[i][1] >= 0) close(fds[i][1]);
  }
  if (l == &hook_launch) sw__launch_free(l);
  return rc;
}

int sw_os_child_pid(const sw_child_t *c) {
  return c->main_pid != 0 ? c->main_pid : c->pid;
}

/* Whether hook pid leads session sid (a hook's tree, not the child's). */
static bool in_hook_session(int sid) {
  int i;

  for (i = 0; i < MAX_HOOKS; i++)
    if (hooks[i] != NULL && hooks[i]->pid == sid) return true;
  return false;
}

/*
 * Whether pid belongs to c's tree: its parent links lead to the launched
 * process, or to the wrapper (a subreaper adopts the orphans of the tree)
 * through a process with the tree's marker that is not in a hook's
 * session (hooks carry the marker too). Else why says where they lead.
 */
static bool in_tree(const sw_child_t *c, int pid, char *why, size_t whylen) {
  int self = (int)getpid(), cur = pid, ppid, pgid, sid, steps;

  for (steps = 0; steps < 4096; steps++) {
    if (!sw__posix_proc_info(cur, &ppid, &pgid, &sid)) {
      if (cur == pid)
        snprintf(why, whylen, "no such process running");
      else
        snprintf(why, whylen, "its ancestor pid %d is gone", cur);
      return false;
    }
    if (cur == c->pid && !c->launcher_gone) return true;
    if (ppid == self) break;
    if (ppid <= 1 || ppid == cur) {
      snprintf(why, whylen,
               "not in the child's tree (its parents lead to pid %d, not to "
               "the child pid %d or the wrapper)",
               ppid, c->pid);
      return false;
    }
    cur = ppid;
  }
  if (steps == 4096) {
    snprintf(why, whylen, "its parents go on and on");
    return false;
  }
  /* cur is a child of the wrapper: an orphan of some tree, a hook or a
   * [control] exec: command (which has no marker). */
  if (!sw__posix_has_marker(cur)) {
    snprintf(why, whylen,
             "not in the child's tree (pid %d below the wrapper is not "
             "the child's)",
             cur);
    return false;
  }
  if (in_hook_session(sid) || in_hook_session(cur)) {
    snprintf(why, whylen, "it belongs to a hook's tree");
    return false;
  }
  return true;
}

int sw_os_child_follow(sw_child_t *c, int pid, char *why, size_t whylen) {
  int old = c->main_pid, rc;

  if (c->hook || c->io.exited) {
    snprintf(why, whylen, "%s",
             c->hook ? "a hook has no main process" : "the child has exited");
    return SW_ESTATE;
  }
  if (pid <= 0) {
    snprintf(why, whylen, "%d is not a pid", pid);
    return SW_EINVAL;
  }
  if (pid == sw_os_child_pid(c)) return 0;
  if (pid == c->pid && !c->launcher_gone) {
    /* Back to the launched process, which still runs. */
    follow_stop(c);
    c->main_pid = 0;
    return 0;
  }
  if (!in_tree(c, pid, why, whylen)) return SW_EACCES;
  follow_stop(c);
  c->main_pid = pid;
  rc = follow_start(c, why, whylen);
  if (rc != 0) {
    c->main_pid = old;
    if (old != 0 && follow_start(c, why, whylen) != 0)
      sw_log_warnx("watch MAINPID %d again: %s", old, why);
    return rc;
  }
  /* Gone between the check and the watch: its end may have come before
   * the pidfd existed. Look once now. */
  if (!main_alive(c)) {
    snprintf(why, whylen, "pid %d exited meanwhile", pid);
    follow_stop(c);
    c->main_pid = old;
    return SW_ENOENT;
  }
  return 0;
}

int sw_os_child_stop(sw_child_t *c, sw_stop_method_t m, char *why,
                     size_t whylen) {
  int sig;

  if (c->io.exited) {
    /* Reaped already; its exit is reported once the output is drained
     * (a hook's pipes may still be held by a process that left its group;
     * the child's wait for a log writer that takes nothing, for at most
     * SW_DRAIN_MAX_MS). Its group is gone, so kill() would fail with
     * ESRCH and the ladder would end as if terminate had failed: the exit
     * is on its way, which is all a stop method can achieve. */
    sw_log_info(
        "stop: pid %d already exited; waiting for its output to "
        "end",
        c->pid);
    return 0;
  }
  switch (m) {
  case SW_STOP_CTRL_BREAK:
    sig = SIGTERM;
    break;
  case SW_STOP_CTRL_C:
    sig = SIGINT;
    break;
  case SW_STOP_TERMINATE:
    sig = SIGKILL;
    break;
  default:
    snprintf(why, whylen, "%s is not available on this platform",
             sw_stop_method_name(m));
    return SW_ENOSYS;
  }
  if (c->main_pid != 0) {
    /* MAINPID=: the main process takes the method's signal; the
     * launcher's group too while the launcher runs (once gone, its
     * group's rest is ended with the tree). */
    int g = (int)getpgid(c->main_pid);

    if ((!c->launcher_gone || g == c->pid) && kill(-c->pid, sig) != 0 &&
        errno != ESRCH)
      sw_log_warn("kill(-%d, %s)", c->pid, strsignal(sig));
    if (g != c->pid && kill(c->main_pid, sig) != 0 && errno != ESRCH) {
      int err = errno;

      snprintf(why, whylen, "kill(%d, %s): %s", c->main_pid, strsignal(sig),
               strerror(err));
      return -err;
    }
  } else if (kill(-c->pid, sig) != 0) {
    int err = errno;

    snprintf(why, whylen, "kill(-%d, %s): %s", c->pid, strsignal(sig),
             strerror(err));
    return -err;
  }
  /* terminate ends the whole tree, with what left the group (setsid);
   * for a hook, its own tree only (the child may be running). */
  if (m == SW_STOP_TERMINATE && c->hook)
    end_hook_tree(c->pid, "terminate hook");
  else if (m == SW_STOP_TERMINATE)
    sw__posix_end_tree("terminate");
  return 0;
}

static int reaper_start(uv_loop_t *loop);

int sw_os_command_start(uv_loop_t *loop, const sw_config_t *cfg,
                        const char *const *argv, const char *cwd,
                        const char *const *extra_env,
                        sw_command_exit_cb *on_exit, void *data, int *pid,
                        char *why, size_t whylen) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  char **env = NULL;
  size_t slot;
  pid_t p;
  int rc;

  for (slot = 0; slot < SW_OS_MAX_COMMANDS; slot++)
    if (commands[slot].pid == 0) break;
  if (slot == SW_OS_MAX_COMMANDS) {
    snprintf(why, whylen, "%d commands still run; try again later",
             SW_OS_MAX_COMMANDS);
    return SW_EEXIST;
  }
  rc = reaper_start(loop);
  if (rc != 0) {
    snprintf(why, whylen, "watch SIGCHLD: %s", uv_strerror(rc));
    return rc;
  }
  if (sw_env_build((const char *const *)environ, cfg, extra_env, false, &env) !=
      0) {
    snprintf(why, whylen, "out of memory for the command's environment");
    return SW_ENOMEM;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  rc = sw__posix_spawnattr_clean(&attr, false);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  sw__posix_cloexec_above_stderr();
  if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&fa, cwd);
  /* The SIGCHLD of a command that ends at once must find it registered:
   * signals reach the reaper through the loop, after this returns. */
  if (rc == 0)
    rc = posix_spawnp(&p, argv[0], &fa, &attr, (char *const *)argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  sw_env_free(env);
  if (rc != 0) {
    snprintf(why, whylen, "start %s: %s", argv[0], strerror(rc));
    return -rc;
  }
  commands[slot].pid = p;
  commands[slot].on_exit = on_exit;
  commands[slot].data = data;
  *pid = p;
  return 0;
}

/* Signal names core/ops.h accepts, to numbers. */
static int signal_number(const char *name) {
  static const struct {
    const char *name;
    int sig;
  } table[] = {
      {"SIGHUP", SIGHUP},       {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT},
      {"SIGILL", SIGILL},       {"SIGTRAP", SIGTRAP}, {"SIGABRT", SIGABRT},
      {"SIGBUS", SIGBUS},       {"SIGFPE", SIGFPE},   {"SIGKILL", SIGKILL},
      {"SIGUSR1", SIGUSR1},     {"SIGSEGV", SIGSEGV}, {"SIGUSR2", SIGUSR2},
      {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},
      {"SIGCHLD", SIGCHLD},     {"SIGCONT", SIGCONT}, {"SIGSTOP", SIGSTOP},
      {"SIGTSTP", SIGTSTP},     {"SIGTTIN", SIGTTIN}, {"SIGTTOU", SIGTTOU},
      {"SIGURG", SIGURG},       {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
      {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH},
      {"SIGIO", SIGIO},
#ifdef SIGPWR
      {"SIGPWR", SIGPWR},
#endif
      {"SIGSYS", SIGSYS},
  };
  size_t i;

  for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
    if (strcmp(table[i].name, name) == 0) return table[i].sig;
  return 0;
}

int sw_os_child_signal(sw_child_t *c, const char *signame, char *why,
                       size_t whylen) {
  int sig = signal_number(signame);

  if (sig == 0) {
    snprintf(why, whylen, "%s is not a signal this system has", signame);
    return SW_EINVAL;
  }
  if (c->io.exited) {
    snprintf(why, whylen, "pid %d has exited", sw_os_child_pid(c));
    return SW_ESTATE;
  }
  /* The main process only, as systemd's ExecReload=kill -HUP $MAINPID:
   * a reload is the service's business, not every helper's. */
  if (kill(sw_os_child_pid(c), sig) != 0) {
    int err = errno;

    snprintf(why, whylen, "kill(%d, %s): %s", sw_os_child_pid(c), signame,
             strerror(err));
    return -err;
  }
  return 0;
}

void sw_os_child_free(sw_child_t *c) {
  if (c == NULL || c->io.freeing) return;
  if (current == c) {
    /* Released before its exit (abandoned as unkillable): the guard must
     * not keep its group, whose id the system may give to another. */
    current = NULL;
    sw__posix_guard_watch(0);
  }
  for (int i = 0; i < MAX_HOOKS; i++)
    if (hooks[i] == c) hooks[i] = NULL;
  if (c->outchan) sw__outchan_release(); /* abandoned before its exit */
  c->outchan = false;
  follow_stop(c);
  sw__childio_close(&c->io);
}
