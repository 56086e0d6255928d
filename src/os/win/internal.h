/* SPDX-License-Identifier: MIT */
/* Private to the Windows backend: the only place Win32 types meet. */
#ifndef SW_OS_WIN_INTERNAL_H
#define SW_OS_WIN_INTERNAL_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdbool.h>

#include "os/os.h"

/* UTF-8 -> UTF-16, heap, caller frees; NULL on failure (bad input or
 * OOM). Invalid UTF-8 fails rather than being replaced. */
wchar_t *sw__win_wide(const char *utf8);
/* UTF-16 -> UTF-8, heap, caller frees; NULL on failure. len < 0: up to the
 * NUL; else that many wide characters. */
char *sw__win_utf8(const wchar_t *w, int len);

/* The system's message for a Win32 error code, UTF-8, without the final
 * period and line break, followed by " (code)". Writes into buf. */
char *sw__win_strerror(DWORD code, char *buf, size_t len);
/* A Win32 error code in svcwrap's error space (core/err.h): libuv's
 * translation, so a missing file is SW_ENOENT on both platforms. */
int sw__win_error(DWORD code);

/* ---- security (security.c) ---- */

/* The service SID of `name` (NT SERVICE\<name>) as a string, computed
 * like the SCM does (the name upper-cased by the OS's rules). Returns 0 or
 * a negative code. */
int sw__win_service_sid(const char *name, char *out, size_t outlen);
/* The SID of the process token's user, as a string. false on failure
 * (GetLastError() has the reason). */
bool sw__win_self_sid(char *out, size_t outlen);
/* Whether the process token has `sid` (string) as an enabled group. */
bool sw__win_token_has(const char *sid);
/* A security descriptor from SDDL (UTF-8), to LocalFree; NULL on failure
 * with GetLastError() set. */
PSECURITY_DESCRIPTOR sw__win_sd(const char *sddl);
/* The SID of an account or group name (UTF-8) as a string: 0, or a
 * negative code with the reason in why. */
int sw__win_lookup_sid(const char *account, char *out, size_t outlen, char *why,
                       size_t whylen);

/* A path for the W APIs: UTF-16, with the \\?\ prefix when long. */
wchar_t *sw__win_path(const char *utf8);

/* The console arrangement (console.c): the wrapper owns a console that
 * the child shares, so console control events can reach the child. */
int sw__win_console_init(bool service);
/* Note that the wrapper is about to send CTRL_C to its own console, so
 * its handler swallows it instead of taking it for a user's Ctrl+C. */
void sw__win_console_expect_ctrl_c(void);
/* Undo the above when the event could not be sent. */
void sw__win_console_cancel_ctrl_c(void);
/* Set by the host: called on a user's Ctrl+C/Break/close in console mode.
 * Runs on: the console control thread. */
typedef void sw__win_console_stop_fn(void *data, DWORD ctrl);
void sw__win_console_on_stop(sw__win_console_stop_fn *fn, void *data);

/* The child's parts [health] needs (child.c). */
/* Its job object; NULL once it ended. */
HANDLE sw__win_child_job(const sw_child_t *c);
/* The loop it was started in. */
uv_loop_t *sw__win_child_loop(const sw_child_t *c);
/* The ids of a job's processes, at most SW_WIN_JOB_PIDS of them. */
#define SW_WIN_JOB_PIDS 1024
typedef union {
  JOBOBJECT_BASIC_PROCESS_ID_LIST list;
  BYTE raw[sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) +
           SW_WIN_JOB_PIDS * sizeof(ULONG_PTR)];
} sw__win_job_pids_t;
/* Fill ids (more processes than fit is not an error: the first ones);
 * 0 or the OS's error. */
DWORD sw__win_job_pids(HANDLE job, sw__win_job_pids_t *ids);
/* The environment block a child of these options gets (plus stop_var if
 * not NULL): UTF-16, sorted, double-NUL ended; caller frees; NULL on OOM. */
wchar_t *sw__win_env_block(const sw_spawn_opts_t *o, const char *stop_var);
/* A PROC_THREAD_ATTRIBUTE_HANDLE_LIST of handles[n], heap (the handles
 * are borrowed until CreateProcessW); free with
 * DeleteProcThreadAttributeList and free(). NULL with the reason in why. */
LPPROC_THREAD_ATTRIBUTE_LIST sw__win_handle_list(HANDLE *handles, DWORD n,
                                                 char *why, size_t whylen);

/* ---- starting a process in a job (proc_start.c) ---- */

/* "what: <the OS's message> (<code>)" into why; returns err in svcwrap's
 * error space. */
int sw__win_fmt_err(char *why, size_t whylen, const char *what, DWORD err);
/* NUL opened with `access`, inheritable; INVALID_HANDLE_VALUE on failure
 * (GetLastError() has the reason). */
HANDLE sw__win_open_nul(DWORD access);

typedef struct {
  const char *cmdline; /* UTF-8, names the command in messages */
  wchar_t *cmdline_w;  /* CreateProcessW may write into it */
  wchar_t *env_w;      /* sw__win_env_block() */
  const wchar_t *cwd_w;
  HANDLE std[3];   /* stdin, stdout, stderr: inheritable, may repeat */
  DWORD flags;     /* beyond CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT |
                      EXTENDED_STARTUPINFO_PRESENT */
  HANDLE job;      /* it is in the job before it runs */
  const char *who; /* "pid", "probe pid": names it in warnings */
} sw__win_start_t;

/* Start s->cmdline_w suspended, inheriting exactly s->std, put it into
 * s->job, resume it. 0 with its process handle (the caller closes it) and
 * pid; else a code with the reason in why, and nothing of it left. */
int sw__win_start_in_job(const sw__win_start_t *s, HANDLE *process, DWORD *pid,
                         char *why, size_t whylen);

#endif
