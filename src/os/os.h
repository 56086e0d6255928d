/* SPDX-License-Identifier: MIT */
/*
 * The platform contract: the only OS-facing header src/app includes.
 * Implemented once per backend, in src/os/posix/ and src/os/win/; the
 * Makefile compiles exactly one of them. No Win32 or POSIX types cross
 * this header; strings are UTF-8.
 */
#ifndef SW_OS_OS_H
#define SW_OS_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/log.h"
#include "base/sys.h"
#include "core/attr.h"
#include "core/config.h"

/* ---- the child ---------------------------------------------------------- */

typedef struct sw_child_s sw_child_t;

/* Output of the child: stream 1 (stdout) or 2 (stderr). buf is borrowed
 * for the call. Runs on: loop thread. */
typedef void sw_child_output_cb(void *data, int stream, const char *buf,
                                size_t len);
/* The child exited with code (POSIX: 0..255) or signal (POSIX; else 0).
 * Called once, after the last output callback. Runs on: loop thread. */
typedef void sw_child_exit_cb(void *data, uint32_t code, int signal);

typedef struct {
  const sw_config_t *cfg;       /* executable, argv, working directory,
                                   priority, [environment], event name */
  const char *const *extra_env; /* more "NAME=value", NULL-terminated */
  /* Non-NULL: a hook. Run command->v[0] (absolute) with the rest as its
   * arguments instead of cfg's executable, with cfg's working directory,
   * priority and environment. A hook has a container of its own (POSIX:
   * its own session, reaped and found by the orphan guard like the child,
   * and ended with the child's tree when the child exits; Windows: its
   * own job object with KILL_ON_JOB_CLOSE); starting it leaves the child
   * and the stop event alone, and terminate ends only the hook's tree. */
  const sw_argv_t *command;
  sw_child_output_cb *on_output;
  sw_child_exit_cb *on_exit;
  void *data;
} sw_spawn_opts_t;

/*
 * Start the child in its own process tree container (POSIX: a new session
 * and process group watched by the orphan guard; Windows: a new job object
 * with KILL_ON_JOB_CLOSE, assigned before the child runs). Its stdout and
 * stderr are pipes read by the loop; stdin is empty. When the child exits,
 * whatever remains of its tree is killed, its output drained (bounded),
 * and then on_exit runs. On success returns 0 and a child in *out, owned by
 * the caller, to release with sw_os_child_free() after on_exit ran. On
 * failure returns a negative SW_E* code and writes the OS's reason to
 * why[whylen]; on_exit never runs. Runs on: loop thread.
 */
int sw_os_spawn(uv_loop_t *loop, const sw_spawn_opts_t *opts, sw_child_t **out,
                char *why, size_t whylen) SW_MUST_CHECK;

/* The child's main process: the launched process, or the pid it named with
 * MAINPID= once sw_os_child_follow() accepted it. */
int sw_os_child_pid(const sw_child_t *c);

/*
 * MAINPID=: make `pid` the child's main process, as systemd does for
 * Type=notify. Only a process of the child's own tree is accepted (POSIX:
 * a descendant of the launched process, or an orphan of its tree
 * reparented to the wrapper, a subreaper, carrying the tree's marker and
 * not in a hook's session; Windows: a process in the child's job object).
 * From then on the main process takes the stop methods' signals and
 * sw_os_child_signal(); when the launched process exits while the main
 * process lives, no exit is reported (one info line says so) until the
 * main process ends, and then with ITS status (POSIX: known when the
 * wrapper reaps it, else reported as code 0 with a log line saying the
 * status is unknown). If the main process ends first, the launched
 * process is the main process again. `pid` equal to the launched process
 * (or the main process already): nothing changes. Returns 0, or a
 * negative code with the reason for the refusal in why[whylen] (nothing
 * changes then). Runs on: loop thread.
 */
int sw_os_child_follow(sw_child_t *c, int pid, char *why,
                       size_t whylen) SW_MUST_CHECK;

/*
 * Deliver stop method m to the child's tree. Returns 0 when delivered
 * (which says nothing about whether the child will exit); a negative code
 * when it could not be, with the OS's reason in why[whylen] (the caller
 * moves on to the next method). SW_STOP_TERMINATE ends the whole tree.
 * Runs on: loop thread.
 */
int sw_os_child_stop(sw_child_t *c, sw_stop_method_t m, char *why,
                     size_t whylen) SW_MUST_CHECK;

/*
 * Send the signal named `signame` ("SIGHUP": a name core/ops.h knows) to
 * the child's main process. POSIX only: Windows returns SW_ENOSYS. Returns
 * 0 or a negative code with the OS's reason in why[whylen]. Runs on: loop
 * thread.
 */
int sw_os_child_signal(sw_child_t *c, const char *signame, char *why,
                       size_t whylen) SW_MUST_CHECK;

/* A command (not the child) ended: code, or signal (POSIX). Runs on: loop
 * thread. */
typedef void sw_command_exit_cb(void *data, int pid, uint32_t code, int signal);

/*
 * Start a command beside the child ([control] exec:): argv[0] searched in
 * PATH, in `cwd`, with the wrapper's environment plus cfg's [environment]
 * and `extra_env` ("NAME=value", NULL-terminated); stdin empty, stdout and
 * stderr the wrapper's. on_exit runs once when it ends (its exit is
 * collected by the backend's reaper on POSIX). At most
 * SW_OS_MAX_COMMANDS run at a time. Returns 0 and its pid in *pid, or a
 * negative code with the reason in why[whylen]. It is not the child's:
 * POSIX ends it with the rest of the wrapper's tree when the child exits;
 * Windows (libuv's kill-on-close job) when the wrapper exits. Runs on:
 * loop thread.
 */
#define SW_OS_MAX_COMMANDS 4
int sw_os_command_start(uv_loop_t *loop, const sw_config_t *cfg,
                        const char *const *argv, const char *cwd,
                        const char *const *extra_env,
                        sw_command_exit_cb *on_exit, void *data, int *pid,
                        char *why, size_t whylen) SW_MUST_CHECK;

/* Release a child after its on_exit. Runs on: loop thread. */
void sw_os_child_free(sw_child_t *c);

/* Stop (pause true) or resume reading the child's output: back pressure
 * while the log writer catches up (the child blocks in its write). While
 * paused, the drain after the child's exit waits too. Idempotent. Runs on:
 * loop thread. */
void sw_os_child_pause_output(sw_child_t *c, bool pause);

/* Backend facts the status shows: the wrapper's handle count (Windows,
 * *name = "handles") or open descriptors (POSIX, "open_fds"). -1 if
 * unknown. */
long sw_os_resource_count(const char **name);

/*
 * WATCHDOG_PID: the child must find its own pid there (as systemd sets
 * it), known only once it exists. With [health] watchdog set, POSIX starts
 * `svcwrap SW_WATCHDOG_EXEC_VERB PROGRAM ARGS...` instead of PROGRAM;
 * main() passes that on to sw_os_watchdog_exec(argv = PROGRAM ARGS...),
 * which sets WATCHDOG_PID to its pid and execs PROGRAM (keeping the pid).
 * Returns only on failure: the exit status (127 not found, 126 other),
 * the reason said on stderr. Windows: not used (WATCHDOG_PID is unset).
 */
#define SW_WATCHDOG_EXEC_VERB "__watchdog-exec"
int sw_os_watchdog_exec(char **argv);

/* ---- [health]: the tree's usage, its memory limit, probe commands ------- */

typedef struct {
  uint64_t memory_bytes; /* POSIX: resident set (RSS) summed over the tree;
                            Windows: private bytes of the job's processes */
  uint64_t cpu_us;       /* CPU time used (user + system). POSIX: of the
                            live processes; Windows: the job's, ended
                            processes included */
  unsigned processes;    /* processes in the tree */
} sw_tree_usage_t;

/* The child's whole tree now (POSIX: every descendant of the wrapper, from
 * /proc; Windows: the job object). Returns 0, or a negative code with the
 * OS's reason in why[whylen]. Costs a /proc walk: call it only when a
 * limit is set or status asks. Runs on: loop thread. */
int sw_os_tree_usage(sw_child_t *c, sw_tree_usage_t *u, char *why,
                     size_t whylen) SW_MUST_CHECK;

/* The OS reached the tree's memory limit: the tree uses about `bytes`
 * (0 if unknown). Runs on: loop thread. */
typedef void sw_memory_limit_cb(void *data, uint64_t bytes);

/*
 * Have the OS hold the child's tree to max_bytes and say when it is
 * reached (Windows: JOB_OBJECT_LIMIT_JOB_MEMORY and the job's completion
 * port; Linux: cgroup v2 memory.max). Returns 0 when the OS enforces it
 * (cb then runs at most once per child); SW_ENOSYS with the reason in
 * why[whylen] when it cannot here (then the caller samples
 * sw_os_tree_usage); another negative code on an OS failure, with its
 * message. Runs on: loop thread.
 */
int sw_os_child_memory_limit(sw_child_t *c, uint64_t max_bytes,
                             sw_memory_limit_cb *cb, void *data, char *why,
                             size_t whylen) SW_MUST_CHECK;

typedef struct sw_helper_s sw_helper_t;
/* A helper ended: code, or signal (POSIX). Runs on: loop thread. */
typedef void sw_helper_exit_cb(void *data, uint32_t code, int signal);

/*
 * Run a short command for the child (an exec: probe) inside the child's
 * containment (POSIX: a descendant of the wrapper, so the tree's ends and
 * the orphan guard reach it; Windows: assigned to the child's job before
 * it runs), in its working directory and environment, with no input and
 * its output discarded. argv[0] without a directory is searched in PATH.
 * Returns 0 and *out (free with sw_os_helper_free() after on_exit ran), or
 * a negative code with the reason in why[whylen]. Runs on: loop thread.
 */
int sw_os_helper_start(uv_loop_t *loop, sw_child_t *c, const sw_config_t *cfg,
                       const sw_argv_t *argv, sw_helper_exit_cb *on_exit,
                       void *data, sw_helper_t **out, char *why,
                       size_t whylen) SW_MUST_CHECK;
/* Kill the helper and whatever it started (its exit callback still
 * comes). Runs on: loop thread. */
void sw_os_helper_kill(sw_helper_t *h);
void sw_os_helper_free(sw_helper_t *h);

/* ---- the host: service manager or console ------------------------------ */

typedef struct sw_host_s sw_host_t;

typedef enum {
  SW_HOST_STARTING,
  SW_HOST_RUNNING,
  SW_HOST_STOPPING,
  SW_HOST_STOPPED
} sw_host_state_t;

typedef enum {
  SW_STOP_REQ_STOP,     /* SCM stop, SIGTERM, console Ctrl+C */
  SW_STOP_REQ_SHUTDOWN, /* system shutdown / preshutdown */
  SW_STOP_REQ_FORCE     /* a second request: skip to terminate */
} sw_stop_req_t;

typedef struct {
  /* The host asks the service to stop. Runs on: loop thread. */
  void (*on_stop)(void *data, sw_stop_req_t why);
  /* The host asks for log rotation. Runs on: loop thread. */
  void (*on_rotate)(void *data);
  /* A control code came (Windows: `sc control`, 129-255; paramchange and,
   * on POSIX, SIGHUP as SW_CONTROL_RELOAD). Only codes set in `controls`
   * are accepted and delivered; the host refuses the others (Windows:
   * ERROR_CALL_NOT_IMPLEMENTED; POSIX: SIGHUP keeps stopping the service
   * when reload is not set). May be NULL. Runs on: loop thread. */
  void (*on_control)(void *data, unsigned code);
  uint8_t controls[32]; /* bit `code` set: accepted */
  void *data;
} sw_host_events_t;

/* The service body: runs the loop until the service ends; returns the
 * process exit code. Runs on: the service thread (Windows) or main. */
typedef int sw_host_body_fn(sw_host_t *host, void *data);

/*
 * Run `body` hosted: under the SCM when the SCM started us (Windows), else
 * in the foreground of the console. service_name is the SCM name.
 * Returns the process exit code. Runs on: main thread.
 */
int sw_os_host_run(const char *service_name, sw_host_body_fn *body, void *data);

/* Start delivering stop/rotate requests into `loop`. Call once from body
 * before running the loop; sw_os_host_detach() before closing it. */
int sw_os_host_attach(sw_host_t *h, uv_loop_t *loop,
                      const sw_host_events_t *ev) SW_MUST_CHECK;
void sw_os_host_detach(sw_host_t *h);

/* Tell the service manager where we are. wait_hint_ms: how long the
 * current pending state may still take. exit_code: with SW_HOST_STOPPED, 0
 * for success or the service-specific code. Runs on: loop thread. */
void sw_os_host_report(sw_host_t *h, sw_host_state_t st, uint64_t wait_hint_ms,
                       int exit_code);

/* Whether the SCM (not a console) hosts us. */
bool sw_os_host_is_service(const sw_host_t *h);

/* ---- named events for [control] (Windows; POSIX returns SW_ENOSYS) ------- */

typedef struct sw_ctl_event_s sw_ctl_event_t;

/*
 * Create the auto-reset named event `name` ("Global\x" or "Local\x") with
 * the stop event's DACL (SYSTEM and Administrators full, wait only for the
 * service SID of cfg->name, or the user when the token has none);
 * when Global\ may not be created, Local\ with the same base name. An
 * event that exists already is refused (someone else could signal it).
 * Returns 0 and *out (free with sw_os_ctl_event_free()), or a negative
 * code with the reason in why[whylen]. Runs on: loop thread.
 */
int sw_os_ctl_event_create(const sw_config_t *cfg, const char *name,
                           sw_ctl_event_t **out, char *why,
                           size_t whylen) SW_MUST_CHECK;
/* The name it was created under (borrowed, as long as the event). */
const char *sw_os_ctl_event_name(const sw_ctl_event_t *e);
/* Set it: one waiting child wakes. Returns 0 or a negative code with the
 * OS's reason. */
int sw_os_ctl_event_set(sw_ctl_event_t *e, char *why,
                        size_t whylen) SW_MUST_CHECK;
void sw_os_ctl_event_free(sw_ctl_event_t *e);

/* ---- the service manager (Windows; POSIX returns SW_ENOSYS) -------------- */

typedef struct {
  bool installed;
  char state[32]; /* "stopped", "start-pending", "stop-pending",
                     "running", "continue-pending", "pause-pending",
                     "paused" */
  uint32_t win32_exit_code;
  uint32_t service_exit_code;
  int pid;               /* 0 when not running */
  char image_path[2048]; /* the registered command line (UTF-8) */
} sw_svc_info_t;

/* Each returns 0 or a negative code with the reason (including the OS's
 * message) in why[whylen]. Runs on: main thread. */
int sw_os_service_query(const sw_config_t *cfg, sw_svc_info_t *info, char *why,
                        size_t whylen) SW_MUST_CHECK;
/* Register the service: ImagePath "<exe>" run -c "<cfg->path>", with
 * [service] recovery as its failure actions (and the failure actions flag
 * set). password: the account's (a user account), or NULL; borrowed, never
 * logged or kept. A gMSA or user account is granted "Log on as a service"
 * if it lacks it. */
int sw_os_service_install(const sw_config_t *cfg, const char *exe,
                          const char *password, char *why,
                          size_t whylen) SW_MUST_CHECK;
/*
 * The install audit (Windows; POSIX returns SW_ENOSYS): who may change
 * svcwrap.exe (`exe`), the INI, the child's executable and the log folder,
 * and the folders above them. Returns 0 when only trusted principals
 * (SYSTEM, Administrators, TrustedInstaller, the service SID, the
 * installing user) may; SW_EACCES with the first finding in why (the path,
 * the principal, what they could do, and the icacls line that fixes it);
 * another code when a path's security cannot be read.
 */
int sw_os_install_audit(const sw_config_t *cfg, const char *exe, char *why,
                        size_t whylen) SW_MUST_CHECK;
/* Stop it if running (waits up to timeout_ms), then delete it. */
int sw_os_service_uninstall(const sw_config_t *cfg, uint64_t timeout_ms,
                            char *why, size_t whylen) SW_MUST_CHECK;
/* Start or stop through the SCM and wait (bounded) for the target state;
 * info receives the final state. */
int sw_os_service_start(const sw_config_t *cfg, uint64_t timeout_ms,
                        sw_svc_info_t *info, char *why,
                        size_t whylen) SW_MUST_CHECK;
int sw_os_service_stop(const sw_config_t *cfg, uint64_t timeout_ms,
                       sw_svc_info_t *info, char *why,
                       size_t whylen) SW_MUST_CHECK;

/* ---- the system's event log --------------------------------------------- */

/* Windows: the Event Log, source = the service name (registered with our
 * message table by install). POSIX: nothing (the wrapper log has it all).
 * Runs on: loop thread. */
/* Returns whether entries can be written (false: none will be, POSIX). */
bool sw_os_event_open(const char *service_name);
/* Returns whether an entry was written. */
bool sw_os_event_report(sw_log_level_t level, const char *text);
void sw_os_event_close(void);

/* ---- small facts --------------------------------------------------------- */

/*
 * Read one line from standard input into buf[len] (the newline removed),
 * without echo when it is a terminal / console. For secrets: nothing is
 * logged. Returns 0, SW_EINVAL when the line is empty or longer than
 * len - 1, or another negative code with the reason in why[whylen]. Runs
 * on: main thread.
 */
int sw_os_read_secret(char *buf, size_t len, char *why,
                      size_t whylen) SW_MUST_CHECK;

/* The facts the log needs (the last OS error's text, whether stderr goes
 * anywhere, the UTC offset) are in base/sys.h, included above. */

/* ---- the sd_notify receiver ([health] ready = notify, watchdog) ------------
 */

typedef struct sw_notify_srv_s sw_notify_srv_t;

/* One message from the child's tree: a datagram (POSIX) or one line
 * (Windows), at most SW_NOTIFY_MSG_MAX bytes, borrowed for the call.
 * Runs on: loop thread. */
typedef void sw_notify_msg_fn(void *data, const char *msg, size_t len);

/*
 * Open a receiver only the wrapper's account can reach, under a name
 * nobody can guess. POSIX: an AF_UNIX datagram socket "notify" in a new
 * 0700 folder (mkdtemp) under $XDG_RUNTIME_DIR or /tmp; descriptors sent
 * with a message are closed. Windows: the named pipe
 * \\.\pipe\svcwrap-notify-<128 random bits> with a DACL for the
 * wrapper's own account and SYSTEM. *env (borrowed until close) is the
 * child's environment entry: "NOTIFY_SOCKET=<path>" or
 * "SVCWRAP_NOTIFY=<pipe>". Returns 0, or a negative code with the OS's
 * reason in why[whylen]. Runs on: loop thread.
 */
int sw_os_notify_open(uv_loop_t *loop, sw_notify_msg_fn *fn, void *data,
                      sw_notify_srv_t **out, const char **env, char *why,
                      size_t whylen) SW_MUST_CHECK;
/* Stop receiving; the handles close with the loop's next turn, and the
 * socket and its folder are removed (NULL is fine). Runs on: loop thread. */
void sw_os_notify_close(sw_notify_srv_t *s);

/*
 * The client (`svcwrap notify`): send msg to the receiver named in this
 * process's environment (POSIX: NOTIFY_SOCKET, a path or @abstract as
 * systemd sets it; Windows: SVCWRAP_NOTIFY). Returns 0; SW_ENOENT when the
 * variable is not set; another negative code; the reason in why[whylen].
 * Runs on: main thread.
 */
int sw_os_notify_send(const char *msg, size_t len, char *why,
                      size_t whylen) SW_MUST_CHECK;

/* ---- the wrapper's own endpoint ------------------------------------------ */

typedef struct sw_instance_lock_s sw_instance_lock_t;

/*
 * Claim the service's single instance for the life of the process, before
 * listening on `endpoint` (sw_os_endpoint_name()). POSIX: an exclusive
 * lock on "<endpoint>.lock" (close-on-exec, so the child never holds it);
 * only its holder may remove a socket left at `endpoint`. Windows: a named
 * mutex Global\<pipe name>-instance (Local\ when Global\ may not be
 * created), besides the pipe's first instance (uv_pipe_bind uses
 * FILE_FLAG_FIRST_PIPE_INSTANCE, which Wine 8 does not enforce).
 * Returns 0; SW_EEXIST when another process holds the claim;
 * another negative code with the OS's reason in why[whylen].
 * Runs on: loop thread.
 */
int sw_os_instance_lock(const char *endpoint, sw_instance_lock_t **out,
                        char *why, size_t whylen) SW_MUST_CHECK;
/* Release the claim (NULL is fine). */
void sw_os_instance_unlock(sw_instance_lock_t *l);

/* ---- the endpoint's transport ------------------------------------------- */

typedef struct sw_listener_s sw_listener_t;

/* A client connected: conn is a heap uv_pipe_t, initialised on the
 * listener's loop and open; the callee owns it (uv_close, then free() in
 * the close callback). Runs on: loop thread. */
typedef void sw_listener_cb(void *data, uv_pipe_t *conn);

/*
 * Listen on `name` (sw_os_endpoint_name()) for `cfg`'s service. POSIX: a
 * Unix socket, mode 0600 before it listens; `claimed` (the caller holds
 * the instance lock) lets a dead wrapper's socket be removed first.
 * Windows: a named pipe with an explicit DACL (core/secdesc.c:
 * sw_sddl_pipe), FILE_FLAG_FIRST_PIPE_INSTANCE and
 * PIPE_REJECT_REMOTE_CLIENTS; when `claimed` and someone else already
 * serves `name` (created it first), the wrapper listens on "<name>-<pid>"
 * instead, which clients that know the service's pid try next, and logs
 * it. *used receives the name listened on (heap, caller frees).
 * Returns 0; SW_EEXIST when the name is in use and not claimed; another
 * negative code with the OS's reason in why[whylen]. Runs on: loop thread.
 */
int sw_os_listen(uv_loop_t *loop, const sw_config_t *cfg, const char *name,
                 bool claimed, sw_listener_cb *cb, void *data,
                 sw_listener_t **out, char **used, char *why,
                 size_t whylen) SW_MUST_CHECK;
/* Stop listening and free l (NULL is fine); connections already handed
 * out stay the callee's. Runs on: loop thread. */
void sw_os_listen_close(sw_listener_t *l);

/*
 * Connect `pipe` (initialised by the caller, not open) to the endpoint
 * `name`, for reading only or, with `write`, for a command too. Windows:
 * the client allows identification only (SECURITY_SQOS_PRESENT |
 * SECURITY_IDENTIFICATION), so a server that is not the service cannot
 * act with the client's token; with expected_pid > 0 the server process
 * (GetNamedPipeServerProcessId) must be that pid, else "<name>-<pid>" is
 * tried, else it fails. POSIX: expected_pid > 0 is checked against the
 * peer's pid (SO_PEERCRED). Waits at most timeout_ms for a busy endpoint.
 * Returns 0; SW_ENOTRUNNING when nobody listens; SW_EACCES when the
 * server is not the expected process or access is denied; another
 * negative code; the reason in why[whylen]. Runs on: any thread (the
 * pipe's loop's).
 */
int sw_os_connect(uv_pipe_t *pipe, const char *name, bool write,
                  int expected_pid, unsigned timeout_ms, char *why,
                  size_t whylen) SW_MUST_CHECK;

/* The name the running wrapper listens on for `status`/`rotate`, for a
 * uv_pipe_t (POSIX: a socket path; Windows: \\.\pipe\svcwrap-<name>).
 * Heap string, caller frees. */
char *sw_os_endpoint_name(const sw_config_t *cfg);

#endif
