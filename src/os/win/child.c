/* SPDX-License-Identifier: MIT */
/*
 * The child on Windows. libuv's uv_spawn cannot do what we need (it puts
 * children in its own global job that grandchildren escape, and creates a
 * process group only together with DETACHED_PROCESS, i.e. without a
 * console), so the process is created here:
 *  - CreateProcessW, suspended, then assigned to a new job object with
 *    KILL_ON_JOB_CLOSE before it runs a single instruction, then resumed:
 *    the whole tree lives in the job, and dies with it, also if the
 *    wrapper itself dies;
 *  - it inherits the wrapper's console (console.c) and, when the ladder
 *    uses ctrl-break, leads its own process group;
 *  - it inherits exactly its three standard handles
 *    (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), nothing else the wrapper has;
 *  - stdout and stderr are named pipes whose server ends are overlapped,
 *    handed to libuv (uv_pipe_open); stdin is NUL, so nothing ever waits
 *    for console input ("Terminate batch job (Y/N)?");
 *  - the exit reaches the loop through RegisterWaitForSingleObject and
 *    uv_async_send, as libuv does for its own processes.
 *
 * Lifetime: spawn -> output -> exit (the rest of the job is terminated at
 * once) -> both pipes at EOF or DRAIN_MS passed -> on_exit ->
 * sw_os_child_free() -> the handles close -> freed.
 */
#include "os/win/internal.h"

#include <fcntl.h>
#include <io.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "base/log.h"
#include "core/cmdline.h"
#include "core/env.h"
#include "core/err.h"
#include "core/secdesc.h"
#include "os/common/childio.h"
#include "os/os.h"

struct sw_child_s {
  sw__childio_t io; /* first: the handles' data points here */
  uv_async_t exited_async;
  HANDLE process;
  HANDLE job;
  HANDLE wait; /* RegisterWaitForSingleObject */
  DWORD pid;
  bool new_group;
  /* MAINPID= (sw_os_child_follow): the main process, when not pid. */
  uv_async_t main_async; /* main's end reaches the loop */
  HANDLE main;           /* SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION */
  HANDLE main_wait;      /* RegisterWaitForSingleObject on it */
  DWORD main_pid;        /* 0: the launched process is the main one */
  bool launcher_gone;    /* pid exited while main_pid lives */
};

/* The named stop event lives as long as the wrapper: children come and
 * go, the name in their environment stays the same. */
static HANDLE stop_event;
static char *stop_event_name;

/* "what: <the OS's message> (<code>)" into why; returns err in svcwrap's
 * error space. */
static int fmt_err(char *why, size_t whylen, const char *what, DWORD err) {
  char msg[512];

  snprintf(why, whylen, "%s: %s", what,
           sw__win_strerror(err, msg, sizeof(msg)));
  return sw__win_error(err);
}

/* A hook's command line: its program quoted, then its arguments. */
static int join_hook(const sw_argv_t *cmd, char **out) {
  sw_argv_t rest;

  if (cmd->n == 0) return SW_EINVAL;
  rest.v = cmd->v + 1;
  rest.n = cmd->n - 1;
  return sw_argv_join_command(cmd->v[0], &rest, out);
}

/* ---- the stop event ------------------------------------------------------ */

/*
 * The event's DACL (core/secdesc.c): full access for SYSTEM and
 * Administrators; SYNCHRONIZE (wait only) for the service SID, which the
 * SCM puts in the wrapper's token (install sets the SID type) and so in
 * the child's, and for the token's own user when the token has no
 * service SID (a run from a console). Not the whole account: under
 * LocalService every other service of that account would be let in. The
 * same for the stop event and the [control] events: the child only waits.
 * Returns a descriptor to LocalFree, or NULL (why says why).
 */
static PSECURITY_DESCRIPTOR stop_event_sd(const sw_config_t *cfg, char *why,
                                          size_t whylen) {
  char svc[SW_SID_MAX], self[SW_SID_MAX], sddl[SW_SDDL_MAX];
  const char *self_sid = NULL;
  PSECURITY_DESCRIPTOR sd;

  if (sw__win_service_sid(cfg->name, svc, sizeof(svc)) != 0) {
    snprintf(why, whylen, "service name \"%s\" gives no service SID",
             cfg->name);
    return NULL;
  }
  if (!sw__win_token_has(svc)) {
    if (!sw__win_self_sid(self, sizeof(self))) {
      fmt_err(why, whylen, "read the process token's user", GetLastError());
      return NULL;
    }
    self_sid = self;
  }
  if (sw_sddl_stop_event(svc, self_sid, sddl, sizeof(sddl)) != 0) {
    snprintf(why, whylen, "stop event descriptor too long");
    return NULL;
  }
  sd = sw__win_sd(sddl);
  if (sd == NULL)
    fmt_err(why, whylen, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
            GetLastError());
  return sd;
}

/* Create the event `name` with descriptor sd. NULL when it could not be
 * created or existed already (*existed set; someone else made it first,
 * with a DACL that is not ours, and could signal it). */
static HANDLE create_event(const char *name, PSECURITY_DESCRIPTOR sd,
                           bool manual, bool *existed, char *why,
                           size_t whylen) {
  SECURITY_ATTRIBUTES sa;
  wchar_t *wname = sw__win_wide(name);
  HANDLE h = NULL;

  *existed = false;
  if (wname == NULL) {
    snprintf(why, whylen, "event name is not valid Unicode");
    return NULL;
  }
  memset(&sa, 0, sizeof(sa));
  sa.nLength = sizeof(sa);
  sa.lpSecurityDescriptor = sd;
  /* The stop event is manual reset: it stays set until the next child
   * starts, so a child that opens it late still sees the stop. */
  h = CreateEventW(&sa, manual, FALSE, wname);
  if (h == NULL) {
    DWORD err = GetLastError();

    /* Access denied on an existing name is someone else's event too. */
    *existed = err == ERROR_ACCESS_DENIED && strncmp(name, "Local\\", 6) == 0;
    fmt_err(why, whylen, "CreateEventW", err);
  } else if (GetLastError() == ERROR_ALREADY_EXISTS) {
    CloseHandle(h);
    h = NULL;
    *existed = true;
    snprintf(why, whylen, "event %s already exists", name);
  }
  free(wname);
  return h;
}

/* Global\<base> and, when Global\ objects may not be created (a console
 * without SeCreateGlobalPrivilege: services and administrators have it),
 * Local\<base>. The name used is stored in stop_event_name. */
static HANDLE create_global_or_local(const char *name, PSECURITY_DESCRIPTOR sd,
                                     bool *existed, char *why, size_t whylen) {
  char *local;
  HANDLE h = create_event(name, sd, true, existed, why, whylen);
  size_t n;

  if (h != NULL) {
    stop_event_name = strdup(name);
    return h;
  }
  if (*existed || strncmp(name, "Global\\", 7) != 0) return NULL;
  n = strlen(name) + 8;
  local = malloc(n);
  if (local == NULL) return NULL;
  snprintf(local, n, "Local\\%s", name + 7);
  h = create_event(local, sd, true, existed, why, whylen);
  if (h != NULL) {
    sw_log_info("stop event: using %s (%s could not be created)", local, name);
    stop_event_name = local;
  } else {
    free(local);
  }
  return h;
}

/*
 * Create the stop event once per wrapper. The default name carries a
 * random part, new for every run: a predictable name could be created
 * first by any local user (creating a Global\ event needs no privilege),
 * which would make the event unusable and the stop a hard kill. The child
 * learns the name from SVCWRAP_STOP_EVENT. An explicit event_name is the
 * user's contract with the child: if it exists already, it is refused.
 */
static void ensure_stop_event(const sw_config_t *cfg) {
  char why[512], name[400];
  unsigned char rnd[16];
  PSECURITY_DESCRIPTOR sd;
  bool existed = false;
  int tries, i;

  if (stop_event != NULL) return;
  sd = stop_event_sd(cfg, why, sizeof(why));
  if (sd == NULL) {
    sw_log_warnx("stop event: %s; method event will not be available", why);
    return;
  }
  if (sw_config_key_line(cfg, "stop", "event_name") > 0) {
    stop_event = create_global_or_local(cfg->stop.event_name, sd, &existed, why,
                                        sizeof(why));
    if (stop_event == NULL)
      sw_log_warnx("stop event %s: %s%s; method event will not be available",
                   cfg->stop.event_name, why,
                   existed ? " (another process created it: another service "
                             "with the same event_name, or a squatter)"
                           : "");
    LocalFree(sd);
    return;
  }
  for (tries = 0; tries < 3 && stop_event == NULL; tries++) {
    int n, rc = uv_random(NULL, NULL, rnd, sizeof(rnd), 0, NULL);

    if (rc != 0) {
      snprintf(why, sizeof(why), "no random bytes: %s", uv_strerror(rc));
      break;
    }
    n = snprintf(name, sizeof(name), "%s-", cfg->stop.event_name);
    for (i = 0; i < (int)sizeof(rnd) && n > 0 && n < (int)sizeof(name) - 3; i++)
      n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x", rnd[i]);
    stop_event = create_global_or_local(name, sd, &existed, why, sizeof(why));
    if (stop_event == NULL && !existed) break;
  }
  if (stop_event == NULL)
    sw_log_warnx("stop event %s-*: %s; method event will not be available",
                 cfg->stop.event_name, why);
  LocalFree(sd);
}

/* ---- [control] events -----------------------------------------------------
 */

struct sw_ctl_event_s {
  HANDLE h;
  char *name;
};

int sw_os_ctl_event_create(const sw_config_t *cfg, const char *name,
                           sw_ctl_event_t **out, char *why, size_t whylen) {
  char gwhy[512], *local = NULL;
  const char *used = name;
  sw_ctl_event_t *e;
  PSECURITY_DESCRIPTOR sd;
  bool existed;
  HANDLE h;

  *out = NULL;
  /* Auto-reset: each SetEvent wakes one wait and resets, so a child that
   * waits in a loop sees every control once. */
  sd = stop_event_sd(cfg, why, whylen);
  if (sd == NULL) return SW_EINVAL;
  h = create_event(name, sd, false, &existed, gwhy, sizeof(gwhy));
  if (h == NULL && strncmp(name, "Global\\", 7) == 0) {
    size_t n = strlen(name) + 2;

    local = malloc(n);
    if (local == NULL) {
      LocalFree(sd);
      return SW_ENOMEM;
    }
    snprintf(local, n, "Local\\%s", name + 7);
    h = create_event(local, sd, false, &existed, why, whylen);
    if (h != NULL) {
      sw_log_info("control event: using %s (%s: %s)", local, name, gwhy);
      used = local;
    }
  } else if (h == NULL) {
    snprintf(why, whylen, "%s", gwhy);
  }
  LocalFree(sd);
  if (h == NULL) {
    free(local);
    return SW_EINVAL;
  }
  e = calloc(1, sizeof(*e));
  if (e == NULL || (e->name = strdup(used)) == NULL) {
    free(e);
    free(local);
    CloseHandle(h);
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  free(local);
  e->h = h;
  *out = e;
  return 0;
}

const char *sw_os_ctl_event_name(const sw_ctl_event_t *e) {
  return e->name;
}

int sw_os_ctl_event_set(sw_ctl_event_t *e, char *why, size_t whylen) {
  if (!SetEvent(e->h)) return fmt_err(why, whylen, "SetEvent", GetLastError());
  return 0;
}

void sw_os_ctl_event_free(sw_ctl_event_t *e) {
  if (e == NULL) return;
  CloseHandle(e->h);
  free(e->name);
  free(e);
}

/* ---- commands beside the child ---------------------------------------------
 */

/* libuv's process handle is enough here: the command needs no console
 * group or job of its own (docs/style.md 4.1 is about the child), and
 * libuv watches its exit with a wait, with no reaper to conflict with. */
typedef struct {
  uv_process_t proc;
  sw_command_exit_cb *on_exit;
  void *data;
} command_t;

static int n_commands;

static void command_closed(uv_handle_t *h) {
  free(h->data);
  n_commands--;
}

static void command_exited(uv_process_t *p, int64_t status, int signal) {
  command_t *c = p->data;

  (void)signal;
  c->on_exit(c->data, p->pid, (uint32_t)status, 0);
  uv_close((uv_handle_t *)p, command_closed);
}

int sw_os_command_start(uv_loop_t *loop, const sw_config_t *cfg,
                        const char *const *argv, const char *cwd,
                        const char *const *extra_env,
                        sw_command_exit_cb *on_exit, void *data, int *pid,
                        char *why, size_t whylen) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  uv_env_item_t *items = NULL;
  char **base = NULL, **env = NULL;
  command_t *c;
  int count = 0, i, rc;

  if (n_commands >= SW_OS_MAX_COMMANDS) {
    snprintf(why, whylen, "%d commands still run; try again later",
             SW_OS_MAX_COMMANDS);
    return SW_EEXIST;
  }
  rc = uv_os_environ(&items, &count);
  if (rc != 0) {
    snprintf(why, whylen, "read the environment: %s", uv_strerror(rc));
    return rc;
  }
  base = calloc((size_t)count + 1, sizeof(*base));
  for (i = 0; base != NULL && i < count; i++) {
    size_t n = strlen(items[i].name) + strlen(items[i].value) + 2;

    if ((base[i] = malloc(n)) == NULL) break;
    snprintf(base[i], n, "%s=%s", items[i].name, items[i].value);
  }
  uv_os_free_environ(items, count);
  c = calloc(1, sizeof(*c));
  if (base == NULL || i < count || c == NULL ||
      sw_env_build((const char *const *)base, cfg, extra_env, true, &env) !=
          0) {
    snprintf(why, whylen, "out of memory for the command's environment");
    rc = SW_ENOMEM;
    free(c);
    goto out;
  }
  memset(&o, 0, sizeof(o));
  memset(stdio, 0, sizeof(stdio));
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  o.file = argv[0];
  o.args = (char **)argv;
  o.env = env;
  o.cwd = cwd;
  o.exit_cb = command_exited;
  o.flags = UV_PROCESS_WINDOWS_HIDE;
  o.stdio = stdio;
  o.stdio_count = 3;
  c->on_exit = on_exit;
  c->data = data;
  c->proc.data = c;
  rc = uv_spawn(loop, &c->proc, &o);
  n_commands++;
  if (rc != 0) {
    snprintf(why, whylen, "start %s: %s", argv[0], uv_strerror(rc));
    uv_close((uv_handle_t *)&c->proc, command_closed);
  } else {
    *pid = c->proc.pid;
  }
out:
  for (i = 0; base != NULL && i < count; i++)
    free(base[i]);
  free(base);
  sw_env_free(env);
  return rc;
}

/* ---- pipes ----------------------------------------------------------------
 */

/*
 * An inbound pipe: the server end (overlapped, for libuv) stays with us,
 * the client end (inheritable) becomes the child's stdout or stderr.
 */
static int make_pipe(HANDLE *ours, HANDLE *theirs, char *why, size_t whylen) {
  static LONG serial;
  wchar_t name[128];
  SECURITY_ATTRIBUTES inherit;

  _snwprintf(name, sizeof(name) / sizeof(name[0]),
             L"\\\\.\\pipe\\svcwrap-out-%lu-%ld-%lu",
             (unsigned long)GetCurrentProcessId(),
             (long)InterlockedIncrement(&serial),
             (unsigned long)GetTickCount());
  name[sizeof(name) / sizeof(name[0]) - 1] = L'\0';
  *ours = CreateNamedPipeW(name,
                           PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                               FILE_FLAG_FIRST_PIPE_INSTANCE,
                           PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                               PIPE_REJECT_REMOTE_CLIENTS,
                           1, 65536, 65536, 0, NULL);
  if (*ours == INVALID_HANDLE_VALUE) {
    return fmt_err(why, whylen, "CreateNamedPipeW", GetLastError());
  }
  memset(&inherit, 0, sizeof(inherit));
  inherit.nLength = sizeof(inherit);
  inherit.bInheritHandle = TRUE;
  *theirs = CreateFileW(name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0, &inherit,
                        OPEN_EXISTING, 0, NULL);
  if (*theirs == INVALID_HANDLE_VALUE) {
    int rc = fmt_err(why, whylen, "open the child's end of the output pipe",
                     GetLastError());

    CloseHandle(*ours);
    *ours = INVALID_HANDLE_VALUE;
    return rc;
  }
  return 0;
}

/* ---- lifetime ---------------------------------------------------------------
 */

/* Stop following the main process (its wait and handle). */
static void main_release(sw_child_t *c) {
  if (c->main_wait != NULL)
    UnregisterWaitEx(c->main_wait, INVALID_HANDLE_VALUE);
  c->main_wait = NULL;
  if (c->main != NULL) CloseHandle(c->main);
  c->main = NULL;
  c->main_pid = 0;
}

/* Release what only Windows has, before the last handle frees c. */
static void release_os(sw_child_t *c) {
  main_release(c);
  if (c->wait != NULL) UnregisterWaitEx(c->wait, INVALID_HANDLE_VALUE);
  c->wait = NULL;
  if (c->process != NULL) CloseHandle(c->process);
  c->process = NULL;
  if (c->job != NULL)
    CloseHandle(c->job); /* KILL_ON_JOB_CLOSE: anything left dies now */
  c->job = NULL;
}

/* The child's tree is over: its main process's exit code is code. */
static void tree_exited(sw_child_t *c, DWORD code) {
  /* The leader is gone: nothing else of its tree may stay behind. */
  if (!TerminateJobObject(c->job, 1))
    sw_log_warn("terminate the rest of pid %lu's job", (unsigned long)c->pid);
  sw__childio_exited(&c->io, code, 0);
}

/* Runs on: the loop thread, after main_waited. */
static void on_main_exited(uv_async_t *a) {
  sw_child_t *c = a->data;
  DWORD code = 1, pid = c->main_pid;

  /* A notification of an earlier main process (replaced meanwhile) finds
   * this one still running: not its end. */
  if (c->io.exited || c->main == NULL ||
      WaitForSingleObject(c->main, 0) != WAIT_OBJECT_0)
    return;
  if (!GetExitCodeProcess(c->main, &code))
    sw_log_warn("exit code of MAINPID %lu", (unsigned long)pid);
  if (!c->launcher_gone) {
    sw_log_info(
        "MAINPID %lu ended (exit code %lu) before the launcher pid %lu; "
        "the launcher is the main process again",
        (unsigned long)pid, (unsigned long)code, (unsigned long)c->pid);
    main_release(c);
    return;
  }
  main_release(c);
  c->main_pid = pid; /* still the main process: its exit is reported */
  tree_exited(c, code);
}

/* Runs on: a thread-pool thread. Only hands off to the loop. */
static VOID CALLBACK main_waited(PVOID data, BOOLEAN timed_out) {
  sw_child_t *c = data;

  (void)timed_out;
  uv_async_send(&c->main_async);
}

/* Runs on: the loop thread, after exit_waited. */
static void on_exited(uv_async_t *a) {
  sw_child_t *c = a->data;
  DWORD code = 1;

  if (c->io.exited || c->launcher_gone) return;
  if (!GetExitCodeProcess(c->process, &code))
    sw_log_warn("exit code of pid %lu", (unsigned long)c->pid);
  if (c->main != NULL && WaitForSingleObject(c->main, 0) == WAIT_TIMEOUT) {
    c->launcher_gone = true;
    sw_log_info(
        "the launcher pid %lu exited (exit code %lu); following "
        "MAINPID %lu",
        (unsigned long)c->pid, (unsigned long)code, (unsigned long)c->main_pid);
    return;
  }
  if (c->main != NULL) {
    sw_log_info(
        "MAINPID %lu ended before the launcher pid %lu; the launcher's "
        "exit counts",
        (unsigned long)c->main_pid, (unsigned long)c->pid);
    main_release(c);
  }
  tree_exited(c, code);
}

/* Runs on: a thread-pool thread. Only hands off to the loop. */
static VOID CALLBACK exit_waited(PVOID data, BOOLEAN timed_out) {
  sw_child_t *c = data;

  (void)timed_out;
  uv_async_send(&c->exited_async);
}

/* ---- spawn
 * -------------------------------------------------------------------- */

static bool ladder_has(const sw_config_t *cfg, sw_stop_method_t m) {
  unsigned i;

  for (i = 0; i < cfg->stop.n_methods; i++)
    if (cfg->stop.methods[i] == m) return true;
  return false;
}

static int compare_env(const void *a, const void *b) {
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;

  for (;; x++, y++) {
    char cx = *x == '=' && x != *(const char *const *)a ? '\0' : *x;
    char cy = *y == '=' && y != *(const char *const *)b ? '\0' : *y;

    if (cx >= 'a' && cx <= 'z') cx = (char)(cx - 'a' + 'A');
    if (cy >= 'a' && cy <= 'z') cy = (char)(cy - 'a' + 'A');
    if (cx != cy || cx == '\0') return (unsigned char)cx - (unsigned char)cy;
  }
}

/* The environment block for CreateProcessW: the wrapper's own, merged
 * with [environment] and extra, sorted by name ignoring case as the
 * documentation asks, UTF-16, double-NUL terminated. */
wchar_t *sw__win_env_block(const sw_spawn_opts_t *o, const char *stop_var) {
  wchar_t *sys = GetEnvironmentStringsW(), *p, *block = NULL;
  char **base = NULL, **env = NULL;
  const char **extra = NULL;
  size_t n = 0, i, total = 0, k;

  if (sys == NULL) return NULL;
  for (p = sys; *p; p += wcslen(p) + 1)
    n++;
  base = calloc(n + 1, sizeof(*base));
  if (base == NULL) goto out;
  for (i = 0, p = sys; *p; p += wcslen(p) + 1)
    if ((base[i] = sw__win_utf8(p, -1)) != NULL) i++;
  for (k = 0; o->extra_env != NULL && o->extra_env[k] != NULL; k++)
    ;
  extra = calloc(k + 2, sizeof(*extra));
  if (extra == NULL) goto out;
  for (i = 0; i < k; i++)
    extra[i] = o->extra_env[i];
  extra[k] = stop_var;
  if (sw_env_build((const char *const *)base, o->cfg, extra, true, &env) != 0)
    goto out;
  for (n = 0; env[n] != NULL; n++)
    ;
  qsort(env, n, sizeof(*env), compare_env);
  for (i = 0; i < n; i++) {
    int w = MultiByteToWideChar(CP_UTF8, 0, env[i], -1, NULL, 0);

    if (w <= 0) goto out;
    total += (size_t)w;
  }
  block = malloc((total + 1) * sizeof(*block));
  if (block == NULL) goto out;
  for (i = 0, k = 0; i < n; i++)
    k += (size_t)MultiByteToWideChar(CP_UTF8, 0, env[i], -1, block + k,
                                     (int)(total - k));
  block[k] = L'\0';
out:
  FreeEnvironmentStringsW(sys);
  for (i = 0; base != NULL && base[i] != NULL; i++)
    free(base[i]);
  free(base);
  free(extra);
  sw_env_free(env);
  return block;
}

static DWORD priority_class(sw_priority_t p) {
  static const DWORD classes[] = {
      IDLE_PRIORITY_CLASS, BELOW_NORMAL_PRIORITY_CLASS, NORMAL_PRIORITY_CLASS,
      ABOVE_NORMAL_PRIORITY_CLASS, HIGH_PRIORITY_CLASS};

  return classes[p];
}

/*
 * An attribute list whose PROC_THREAD_ATTRIBUTE_HANDLE_LIST is handles[n]
 * (which must stay open until CreateProcessW returns). Heap; the caller
 * deletes it (DeleteProcThreadAttributeList) and frees it. NULL on failure,
 * with the reason in why.
 */
LPPROC_THREAD_ATTRIBUTE_LIST sw__win_handle_list(HANDLE *handles, DWORD n,
                                                 char *why, size_t whylen) {
  LPPROC_THREAD_ATTRIBUTE_LIST a;
  SIZE_T size = 0;

  /* The first call only reports the size (and fails with
   * ERROR_INSUFFICIENT_BUFFER, as documented). */
  InitializeProcThreadAttributeList(NULL, 1, 0, &size);
  if (size == 0) {
    fmt_err(why, whylen, "InitializeProcThreadAttributeList", GetLastError());
    return NULL;
  }
  a = malloc(size);
  if (a == NULL) {
    snprintf(why, whylen, "out of memory");
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  if (!InitializeProcThreadAttributeList(a, 1, 0, &size)) {
    DWORD err = GetLastError();

    fmt_err(why, whylen, "InitializeProcThreadAttributeList", err);
    free(a);
    SetLastError(err);
    return NULL;
  }
  if (!UpdateProcThreadAttribute(a, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                 handles, n * sizeof(*handles), NULL, NULL)) {
    DWORD err = GetLastError();

    fmt_err(why, whylen, "UpdateProcThreadAttribute(HANDLE_LIST)", err);
    DeleteProcThreadAttributeList(a);
    free(a);
    SetLastError(err);
    return NULL;
  }
  return a;
}

/* NULL on failure, with the reason in why and GetLastError() still the
 * failing call's (as for handle_list). */
static HANDLE make_job(char *why, size_t whylen) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
  HANDLE job = CreateJobObjectW(NULL, NULL);

  if (job == NULL) {
    fmt_err(why, whylen, "CreateJobObjectW", GetLastError());
    return NULL;
  }
  memset(&lim, 0, sizeof(lim));
  /* KILL_ON_JOB_CLOSE: the tree dies when the last handle to the job
   * closes, which happens when the wrapper exits or is killed.
   * DIE_ON_UNHANDLED_EXCEPTION: a crashing child exits with its exception
   * code instead of waiting on an error-report dialog nobody sees. No
   * BREAKAWAY_OK: nothing of the tree can leave the job. */
  lim.BasicLimitInformation.LimitFlags =
      JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
      JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &lim,
                               sizeof(lim))) {
    DWORD err = GetLastError();

    fmt_err(why, whylen, "SetInformationJobObject", err);
    CloseHandle(job);
    SetLastError(err);
    return NULL;
  }
  return job;
}

int sw_os_spawn(uv_loop_t *loop, const sw_spawn_opts_t *o, sw_child_t **out,
                char *why, size_t whylen) {
  const sw_config_t *cfg = o->cfg;
  HANDLE ours[2] = {INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE};
  HANDLE theirs[2] = {INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE};
  HANDLE nul = INVALID_HANDLE_VALUE;
  sw__win_start_t st;
  char *cmdline = NULL, *stop_var = NULL;
  wchar_t *cmdline_w = NULL, *cwd_w = NULL, *env_w = NULL;
  sw_child_t *c;
  int rc = SW_EINVAL, i;

  *out = NULL;
  c = calloc(1, sizeof(*c));
  if (c == NULL) return SW_ENOMEM;

  /* A hook (o->command) leaves the stop event alone: the child may be
   * running, or stopping by it. */
  if (o->command == NULL) ensure_stop_event(cfg);
  if (o->command == NULL && stop_event != NULL) {
    size_t n = strlen(stop_event_name) + 32;

    /* A new child must not see the last stop: it would stop at once, and
     * the ladder would be one step short next time. */
    if (!ResetEvent(stop_event)) {
      rc = fmt_err(why, whylen, "reset the stop event", GetLastError());
      goto fail;
    }
    stop_var = malloc(n);
    if (stop_var != NULL)
      snprintf(stop_var, n, "SVCWRAP_STOP_EVENT=%s", stop_event_name);
  }
  if ((o->command != NULL ? join_hook(o->command, &cmdline)
                          : sw_argv_join_command(cfg->executable, &cfg->argv,
                                                 &cmdline)) != 0 ||
      (cmdline_w = sw__win_wide(cmdline)) == NULL ||
      (cwd_w = sw__win_wide(cfg->working_directory)) == NULL ||
      (env_w = sw__win_env_block(o, stop_var)) == NULL) {
    snprintf(why, whylen,
             "out of memory or invalid Unicode preparing the "
             "command line and environment");
    goto fail;
  }
  c->job = make_job(why, whylen);
  if (c->job == NULL) {
    rc = sw__win_error(GetLastError());
    goto fail;
  }
  for (i = 0; i < 2; i++)
    if ((rc = make_pipe(&ours[i], &theirs[i], why, whylen)) != 0) goto fail;
  nul = sw__win_open_nul(GENERIC_READ);
  if (nul == INVALID_HANDLE_VALUE) {
    rc = fmt_err(why, whylen, "open NUL for the child's stdin", GetLastError());
    goto fail;
  }
  memset(&st, 0, sizeof(st));
  st.cmdline = cmdline;
  st.cmdline_w = cmdline_w;
  st.env_w = env_w;
  st.cwd_w = cwd_w;
  st.std[0] = nul;
  st.std[1] = theirs[0];
  st.std[2] = theirs[1];
  /* A new process group when the ladder sends CTRL_BREAK (aimed at the
   * group) and not CTRL_C (which a new group ignores); see console.c. */
  c->new_group = !ladder_has(cfg, SW_STOP_CTRL_C);
  st.flags = priority_class(cfg->priority) |
             (c->new_group ? CREATE_NEW_PROCESS_GROUP : 0);
  st.job = c->job;
  st.who = "pid";
  rc = sw__win_start_in_job(&st, &c->process, &c->pid, why, whylen);
  if (rc != 0) goto fail;
  for (i = 0; i < 2; i++) {
    CloseHandle(theirs[i]);
    theirs[i] = INVALID_HANDLE_VALUE;
  }
  CloseHandle(nul);
  nul = INVALID_HANDLE_VALUE;

  /* From here on, libuv owns our pipe ends and the loop handles. */
  sw__childio_init(&c->io, loop, o,
                   2 /* the exit notifications: the child's, MAINPID's */);
  for (i = 0; i < 2; i++) {
    int fd = _open_osfhandle((intptr_t)ours[i], _O_RDONLY);

    if (fd < 0 || uv_pipe_open(&c->io.out[i], fd) != 0) {
      /* Never read, so closed now: libuv closes only what it opened, and
       * an open end nobody reads would block the child once the pipe's
       * buffer is full (closed, the child's writes fail instead). */
      sw_log_warnx("child's %s cannot be read", i ? "stderr" : "stdout");
      if (fd >= 0)
        _close(fd); /* closes ours[i] too */
      else
        CloseHandle(ours[i]);
    } else {
      sw__childio_read(&c->io, i);
    }
    ours[i] = INVALID_HANDLE_VALUE;
  }
  rc = uv_async_init(loop, &c->exited_async, on_exited);
  if (rc != 0) {
    /* Without it the exit could never reach the loop: end the child now
     * and fail the spawn. The async handle was never opened, so it is not
     * counted among the handles that free c once closed. */
    snprintf(why, whylen, "exit notification for pid %lu: %s",
             (unsigned long)c->pid, uv_strerror(rc));
    release_os(c); /* closes the job: KILL_ON_JOB_CLOSE ends the tree */
    c->io.open_handles -= 2;
    sw__childio_close(&c->io);
    goto out;
  }
  c->exited_async.data = c;
  rc = uv_async_init(loop, &c->main_async, on_main_exited);
  if (rc != 0) {
    snprintf(why, whylen, "exit notification for pid %lu: %s",
             (unsigned long)c->pid, uv_strerror(rc));
    release_os(c);
    c->io.open_handles--;
    uv_close((uv_handle_t *)&c->exited_async, sw__childio_handle_closed);
    sw__childio_close(&c->io);
    goto out;
  }
  c->main_async.data = c;
  if (!RegisterWaitForSingleObject(&c->wait, c->process, exit_waited, c,
                                   INFINITE, WT_EXECUTEONLYONCE)) {
    /* Without the wait we would never learn of the exit: stop now. */
    sw_log_warn("wait for pid %lu", (unsigned long)c->pid);
    c->wait = NULL;
    TerminateJobObject(c->job, 1);
    uv_async_send(&c->exited_async);
  }
  *out = c;
  rc = 0;
  goto out;

fail:
  for (i = 0; i < 2; i++) {
    if (ours[i] != INVALID_HANDLE_VALUE) CloseHandle(ours[i]);
    if (theirs[i] != INVALID_HANDLE_VALUE) CloseHandle(theirs[i]);
  }
  if (nul != INVALID_HANDLE_VALUE) CloseHandle(nul);
  if (c->job != NULL) CloseHandle(c->job);
  free(c);
out:
  free(cmdline);
  free(stop_var);
  free(cmdline_w);
  free(cwd_w);
  free(env_w);
  return rc;
}

HANDLE sw__win_child_job(const sw_child_t *c) {
  return c->job;
}

uv_loop_t *sw__win_child_loop(const sw_child_t *c) {
  return c->io.drain.loop;
}

int sw_os_child_pid(const sw_child_t *c) {
  return (int)(c->main_pid != 0 ? c->main_pid : c->pid);
}

DWORD sw__win_job_pids(HANDLE job, sw__win_job_pids_t *ids) {
  memset(ids, 0, sizeof(*ids));
  if (!QueryInformationJobObject(job, JobObjectBasicProcessIdList, ids,
                                 sizeof(*ids), NULL) &&
      GetLastError() != ERROR_MORE_DATA)
    return GetLastError();
  return 0;
}

/* Whether pid is in c's job, from the job's list of processes; 0 or the
 * OS's error. */
static DWORD job_has_pid(const sw_child_t *c, DWORD pid, BOOL *in) {
  sw__win_job_pids_t ids;
  DWORD i, err = sw__win_job_pids(c->job, &ids);

  *in = FALSE;
  if (err != 0) return err;
  for (i = 0; i < ids.list.NumberOfProcessIdsInList && i < SW_WIN_JOB_PIDS; i++)
    if ((DWORD)ids.list.ProcessIdList[i] == pid) *in = TRUE;
  return 0;
}

int sw_os_child_follow(sw_child_t *c, int pid, char *why, size_t whylen) {
  BOOL in = FALSE;
  HANDLE h;

  if (c->io.exited) {
    snprintf(why, whylen, "the child has exited");
    return SW_ESTATE;
  }
  if (pid <= 0) {
    snprintf(why, whylen, "%d is not a pid", pid);
    return SW_EINVAL;
  }
  if (pid == sw_os_child_pid(c)) return 0;
  if ((DWORD)pid == c->pid && !c->launcher_gone) {
    main_release(c); /* back to the launched process, which still runs */
    return 0;
  }
  /* Full query rights where we have them (Wine's IsProcessInJob wants
   * them), else the limited ones Windows needs. */
  h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_INFORMATION, FALSE, (DWORD)pid);
  if (h == NULL)
    h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                    (DWORD)pid);
  if (h == NULL) {
    char what[64];

    snprintf(what, sizeof(what), "OpenProcess(pid %d)", pid);
    return fmt_err(why, whylen, what, GetLastError());
  }
  if (!IsProcessInJob(h, c->job, &in)) {
    /* Refused the question: the job's own list of processes answers. */
    DWORD err = job_has_pid(c, (DWORD)pid, &in);

    if (err != 0) {
      int rc = fmt_err(why, whylen, "list the job's processes", err);

      CloseHandle(h);
      return rc;
    }
  }
  if (!in) {
    CloseHandle(h);
    snprintf(why, whylen,
             "not in the child's job object (not of the tree of pid %lu)",
             (unsigned long)c->pid);
    return SW_EACCES;
  }
  if (WaitForSingleObject(h, 0) != WAIT_TIMEOUT) {
    CloseHandle(h);
    snprintf(why, whylen, "pid %d has exited", pid);
    return SW_ENOENT;
  }
  main_release(c);
  c->main = h;
  c->main_pid = (DWORD)pid;
  if (!RegisterWaitForSingleObject(&c->main_wait, h, main_waited, c, INFINITE,
                                   WT_EXECUTEONLYONCE)) {
    int rc =
        fmt_err(why, whylen, "RegisterWaitForSingleObject", GetLastError());

    c->main_wait = NULL;
    main_release(c);
    return rc;
  }
  return 0;
}

/* ---- stop methods
 * -------------------------------------------------------------- */

typedef struct {
  DWORD *pids;
  DWORD n;
  unsigned posted;
} close_ctx_t;

static BOOL CALLBACK close_window(HWND w, LPARAM arg) {
  close_ctx_t *x = (close_ctx_t *)arg;
  DWORD pid = 0, i;

  GetWindowThreadProcessId(w, &pid);
  for (i = 0; i < x->n; i++) {
    if (x->pids[i] == pid) {
      if (PostMessageW(w, WM_CLOSE, 0, 0)) x->posted++;
      break;
    }
  }
  return TRUE;
}

/* WM_CLOSE to every top-level window of every process in the job. */
static int post_wm_close(sw_child_t *c, char *why, size_t whylen) {
  union {
    JOBOBJECT_BASIC_PROCESS_ID_LIST list;
    BYTE
        raw[sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + 1024 * sizeof(ULONG_PTR)];
  } ids;
  DWORD pids[1024], i;
  close_ctx_t x = {pids, 0, 0};

  memset(&ids, 0, sizeof(ids));
  if (!QueryInformationJobObject(c->job, JobObjectBasicProcessIdList, &ids,
                                 sizeof(ids), NULL) &&
      GetLastError() != ERROR_MORE_DATA) {
    return fmt_err(why, whylen, "list the job's processes", GetLastError());
  }
  for (i = 0; i < ids.list.NumberOfProcessIdsInList && i < 1024; i++)
    pids[x.n++] = (DWORD)ids.list.ProcessIdList[i];
  EnumWindows(close_window, (LPARAM)&x);
  if (x.posted == 0) {
    snprintf(why, whylen,
             "no window to close among the %lu processes of the "
             "child's tree",
             (unsigned long)x.n);
    return SW_EUNDELIVERED;
  }
  return 0;
}

int sw_os_child_stop(sw_child_t *c, sw_stop_method_t m, char *why,
                     size_t whylen) {
  bool sent_main = false;

  if (c->io.exited) {
    /* Gone already (its tree ended with it); the exit is reported once
     * its output is drained, which is all a stop method can achieve. */
    sw_log_info(
        "stop: pid %lu already exited; waiting for its output to "
        "end",
        (unsigned long)c->pid);
    return 0;
  }
  switch (m) {
  case SW_STOP_CTRL_BREAK:
    if (!c->new_group) {
      snprintf(why, whylen,
               "the child shares the wrapper's process group "
               "(the ladder has ctrl-c), so CTRL_BREAK cannot be "
               "aimed at it");
      return SW_EUNDELIVERED;
    }
    /* MAINPID=: the main process's own group too, when it leads one
     * (else it is in the launcher's, reached below). Groups are disjoint:
     * nobody gets it twice. */
    if (c->main_pid != 0 &&
        GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, c->main_pid))
      sent_main = true;
    if (!GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, c->pid) && !sent_main) {
      return fmt_err(why, whylen, "GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT)",
                     GetLastError());
    }
    return 0;
  case SW_STOP_CTRL_C:
    /* CTRL_C goes to every process on the console, ourselves included:
     * tell our handler to swallow it. */
    sw__win_console_expect_ctrl_c();
    if (!GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)) {
      DWORD err = GetLastError();

      sw__win_console_cancel_ctrl_c();
      return fmt_err(why, whylen, "GenerateConsoleCtrlEvent(CTRL_C_EVENT)",
                     err);
    }
    return 0;
  case SW_STOP_EVENT:
    if (stop_event == NULL) {
      snprintf(why, whylen,
               "no stop event (it could not be created; see "
               "the log at startup)");
      return SW_EUNDELIVERED;
    }
    if (!SetEvent(stop_event)) {
      return fmt_err(why, whylen, "SetEvent", GetLastError());
    }
    return 0;
  case SW_STOP_WM_CLOSE:
    return post_wm_close(c, why, whylen);
  case SW_STOP_TERMINATE:
    if (!TerminateJobObject(c->job, 1)) {
      return fmt_err(why, whylen, "TerminateJobObject", GetLastError());
    }
    return 0;
  default:
    snprintf(why, whylen, "unknown stop method");
    return SW_EINVAL;
  }
}

int sw_os_child_signal(sw_child_t *c, const char *signame, char *why,
                       size_t whylen) {
  (void)c;
  snprintf(why, whylen,
           "%s: Windows has no signals; map the code to event:NAME or "
           "ctrl-break",
           signame);
  return SW_ENOSYS;
}

void sw_os_child_free(sw_child_t *c) {
  if (c == NULL || c->io.freeing) return;
  release_os(c);
  uv_close((uv_handle_t *)&c->exited_async, sw__childio_handle_closed);
  uv_close((uv_handle_t *)&c->main_async, sw__childio_handle_closed);
  sw__childio_close(&c->io);
}
