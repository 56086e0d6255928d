/* SPDX-License-Identifier: MIT */
/*
 * The Windows host. Started by the SCM, `svcwrap run` connects to the
 * service control dispatcher and the body runs on the service thread
 * (ServiceMain); started from a console, StartServiceCtrlDispatcherW fails
 * with ERROR_FAILED_SERVICE_CONTROLLER_CONNECT and the body runs in the
 * foreground, stopped by Ctrl+C, Ctrl+Break or closing the console.
 *
 * Threads: the control handler runs on the dispatcher thread (the main
 * thread, inside StartServiceCtrlDispatcherW) and console events on
 * system-made threads. Both do the minimum: acknowledge, count the request
 * atomically, uv_async_send(); the loop thread (the service thread, or
 * main in a console) does the work, and only it logs (the log and its
 * file are not thread-safe): a failure on another thread is recorded and
 * logged by the loop. The async handle is guarded by a lock so that no
 * control can touch it once it closes. Each field below says who touches
 * it.
 */
#include "os/win/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>
#include <wchar.h>

#include "base/log.h"
#include "core/err.h"
#include "os/os.h"

/* The custom control code that rotates logs, as NSSM users know it. */
#define CONTROL_ROTATE 128

struct sw_host_s {
  /* Written by main before any other thread exists; read-only after. */
  bool service;
  wchar_t *name;
  sw_host_body_fn *body;
  void *data;
  HANDLE finished;  /* set by main when the body returned (console close) */
  HANDLE body_done; /* set by the service thread after exit_code */
  /* Written by the service thread before the dispatcher can call
   * on_control; read by both after. */
  SERVICE_STATUS_HANDLE status_handle;
  /* Guarded by lock: status (set_status from the loop and the dispatcher
   * threads) and attached (attach/detach on the loop thread, post() on
   * any thread). */
  CRITICAL_SECTION lock;
  SERVICE_STATUS status;
  bool stop_acked; /* STOP_PENDING sent for a stop the loop may not have
                      seen yet: no later report may say RUNNING again */
  bool attached;
  uv_async_t wakeup; /* initialised and closed by the loop thread; sent to
                        from any thread while attached (under lock) */
  /* Interlocked: incremented by any thread, exchanged by the loop. */
  LONG stop_requests; /* stop requests not yet delivered */
  LONG rotate_requests;
  LONG shutdown;     /* 1 once SHUTDOWN/PRESHUTDOWN came (dispatcher) */
  LONG status_error; /* a SetServiceStatus error on the dispatcher thread,
                        for the loop to log; 0 if none */
  LONG exit_code;    /* the body's, stored by the thread that ran it */
  /* Loop thread only. */
  LONG total_requests; /* all stop requests so far */
  sw_host_events_t ev; /* set by attach before attached becomes true */
};

static sw_host_t the_host; /* ServiceMain takes no context argument */

/* Report to the SCM. Returns 0 or SetServiceStatus's error; never logs
 * (it runs on the dispatcher thread too). Runs on: loop or dispatcher
 * thread. */
static DWORD set_status(sw_host_t *h, DWORD state, DWORD wait_hint, DWORD win32,
                        DWORD specific) {
  DWORD err = 0;

  if (!h->service) return 0;
  EnterCriticalSection(&h->lock);
  if (h->stop_acked &&
      (state == SERVICE_RUNNING || state == SERVICE_START_PENDING)) {
    /* A stop was acknowledged: a report the loop made before it saw the
     * request (a restart in a crash loop) must not make the service look
     * running, accepting STOP again (a second `sc stop` would then force
     * the stop). The loop reports STOP_PENDING itself once it stops. */
    state = SERVICE_STOP_PENDING;
    wait_hint = 10000;
  }
  if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING) {
    /* A rising checkpoint tells the SCM we are alive; the wait hint says
     * how long the rest may take. */
    h->status.dwCheckPoint =
        h->status.dwCurrentState == state ? h->status.dwCheckPoint + 1 : 1;
    h->status.dwControlsAccepted = 0;
  } else {
    h->status.dwCheckPoint = 0;
    h->status.dwControlsAccepted = state == SERVICE_RUNNING
                                       ? SERVICE_ACCEPT_STOP |
                                             SERVICE_ACCEPT_SHUTDOWN |
                                             SERVICE_ACCEPT_PRESHUTDOWN
                                       : 0;
  }
  h->status.dwCurrentState = state;
  h->status.dwWaitHint = wait_hint;
  h->status.dwWin32ExitCode = win32;
  h->status.dwServiceSpecificExitCode = specific;
  if (!SetServiceStatus(h->status_handle, &h->status)) err = GetLastError();
  LeaveCriticalSection(&h->lock);
  return err;
}

/* set_status from the loop thread, which may log. */
static void report(sw_host_t *h, DWORD state, DWORD wait_hint, DWORD win32,
                   DWORD specific) {
  DWORD err = set_status(h, state, wait_hint, win32, specific);

  if (err != 0) {
    char msg[256];

    sw_log_warnx("SetServiceStatus: %s",
                 sw__win_strerror(err, msg, sizeof(msg)));
  }
}

/* Queue a request for the loop. Runs on: any thread. */
static void post(sw_host_t *h, LONG *counter) {
  EnterCriticalSection(&h->lock);
  InterlockedIncrement(counter);
  if (h->attached) uv_async_send(&h->wakeup);
  LeaveCriticalSection(&h->lock);
}

/* Runs on: the service control dispatcher thread. */
static DWORD WINAPI on_control(DWORD control, DWORD type, void *event_data,
                               void *context) {
  sw_host_t *h = context;
  DWORD err;

  (void)type;
  (void)event_data;
  switch (control) {
  case SERVICE_CONTROL_STOP:
  case SERVICE_CONTROL_SHUTDOWN:
  case SERVICE_CONTROL_PRESHUTDOWN:
    /* Acknowledge at once; the loop reports progress from here on. */
    if (control != SERVICE_CONTROL_STOP) InterlockedExchange(&h->shutdown, 1);
    EnterCriticalSection(&h->lock); /* a CRITICAL_SECTION is re-entrant */
    h->stop_acked = true;
    err = set_status(h, SERVICE_STOP_PENDING, 10000, NO_ERROR, 0);
    LeaveCriticalSection(&h->lock);
    if (err != 0) InterlockedExchange(&h->status_error, (LONG)err);
    post(h, &h->stop_requests);
    return NO_ERROR;
  case SERVICE_CONTROL_INTERROGATE:
    return NO_ERROR;
  case CONTROL_ROTATE:
    post(h, &h->rotate_requests);
    return NO_ERROR;
  default:
    return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

/* Console mode: a user's Ctrl+C, Ctrl+Break, or the console closing.
 * Runs on: a console control thread. */
static void on_console_stop(void *data, DWORD ctrl) {
  sw_host_t *h = data;

  post(h, &h->stop_requests);
  if (ctrl == CTRL_CLOSE_EVENT || ctrl == CTRL_LOGOFF_EVENT ||
      ctrl == CTRL_SHUTDOWN_EVENT) {
    /* Windows ends the process when this handler returns (after about
     * 5 s for CTRL_CLOSE): give the ladder that long. */
    WaitForSingleObject(h->finished, 4500);
  }
}

/* Runs on: the loop thread. */
static void on_wakeup(uv_async_t *a) {
  sw_host_t *h = a->data;
  LONG stops = InterlockedExchange(&h->stop_requests, 0);
  LONG rotates = InterlockedExchange(&h->rotate_requests, 0);
  LONG status_err = InterlockedExchange(&h->status_error, 0);
  bool shutdown = InterlockedCompareExchange(&h->shutdown, 0, 0) != 0;

  if (status_err != 0) {
    char msg[256];

    sw_log_warnx("SetServiceStatus (acknowledging a stop): %s",
                 sw__win_strerror((DWORD)status_err, msg, sizeof(msg)));
  }
  while (stops-- > 0) {
    LONG n = ++h->total_requests;

    sw_log_info("%s%s",
                h->service ? (shutdown ? "system shutdown"
                                       : "stop requested by the SCM")
                           : "stop requested from the console",
                n > 1 ? "; terminating now" : "");
    h->ev.on_stop(h->ev.data, n > 1      ? SW_STOP_REQ_FORCE
                              : shutdown ? SW_STOP_REQ_SHUTDOWN
                                         : SW_STOP_REQ_STOP);
  }
  if (rotates > 0 && h->ev.on_rotate != NULL) h->ev.on_rotate(h->ev.data);
}

static int run_body(sw_host_t *h) {
  if (sw__win_console_init(h->service) != 0)
    sw_log_warnx(
        "console control events (ctrl-c, ctrl-break) will not "
        "reach the child");
  if (!h->service) sw__win_console_on_stop(on_console_stop, h);
  return h->body(h, h->data);
}

/* Runs on: the service thread the dispatcher creates. */
static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  sw_host_t *h = &the_host;

  (void)argc;
  (void)argv;
  /* This thread becomes the loop thread (run_body), so it may log. */
  h->status_handle = RegisterServiceCtrlHandlerExW(h->name, on_control, h);
  if (h->status_handle == NULL) {
    sw_log_warn("RegisterServiceCtrlHandlerExW");
    InterlockedExchange(&h->exit_code, 1);
  } else {
    h->status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    /* The first report before anything slow: setting up the console can
     * take a quarter of a second under Wine (the first call after
     * AllocConsole waits for conhost), and an SCM that hears nothing
     * for too long fails the start with 1053 (Wine: after 10 s). */
    report(h, SERVICE_START_PENDING, 10000, NO_ERROR, 0);
    InterlockedExchange(&h->exit_code, run_body(h));
  }
  if (h->body_done != NULL) SetEvent(h->body_done);
}

/*
 * Whether the SCM started this process: its parent is services.exe (the
 * test golang.org/x/sys/windows/svc.IsWindowsService makes too). Calling
 * StartServiceCtrlDispatcherW to find out is what Microsoft documents,
 * and on Windows it fails at once from a console; but under Wine it can
 * block when the process was not started by the SCM. A parent that is
 * gone or not services.exe means a console; only when the process list
 * cannot be read at all does the dispatcher decide.
 */
static bool parent_is_services(bool *known) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  PROCESSENTRY32W pe;
  DWORD me = GetCurrentProcessId(), parent = 0;
  bool found = false, services = false;

  *known = false;
  if (snap == INVALID_HANDLE_VALUE) return false;
  *known = true; /* from here on, anything but services.exe is a console */
  pe.dwSize = sizeof(pe);
  for (BOOL ok = Process32FirstW(snap, &pe); ok;
       ok = Process32NextW(snap, &pe)) {
    if (pe.th32ProcessID == me) {
      parent = pe.th32ParentProcessID;
      found = true;
      break;
    }
  }
  if (found) {
    pe.dwSize = sizeof(pe);
    for (BOOL ok = Process32FirstW(snap, &pe); ok;
         ok = Process32NextW(snap, &pe)) {
      if (pe.th32ProcessID == parent) {
        services = _wcsicmp(pe.szExeFile, L"services.exe") == 0;
        break;
      }
    }
  }
  CloseHandle(snap);
  return services;
}

int sw_os_host_run(const char *service_name, sw_host_body_fn *body,
                   void *data) {
  sw_host_t *h = &the_host;
  SERVICE_TABLE_ENTRYW table[2];
  static wchar_t no_name[] = L""; /* own-process services ignore the name */

  memset(h, 0, sizeof(*h));
  InitializeCriticalSection(&h->lock);
  h->name = sw__win_wide(service_name);
  h->body = body;
  h->data = data;
  h->finished = CreateEventW(NULL, TRUE, FALSE, NULL);
  h->body_done = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (h->finished == NULL || h->body_done == NULL) {
    /* Without them main could not wait for the body, and would free what
     * the body still uses: refuse to run. */
    sw_log_warn("CreateEventW (host)");
    h->exit_code = 1;
    goto out;
  }
  h->service = true;
  memset(table, 0, sizeof(table));
  table[0].lpServiceName = h->name ? h->name : no_name;
  table[0].lpServiceProc = service_main;
  {
    bool known, by_scm = parent_is_services(&known);

    if (known && !by_scm) {
      h->service = false;
      h->exit_code = run_body(h);
      goto out;
    }
  }
  /* From here until the dispatcher returns, on_control may run on this
   * thread and service_main on another: nothing here touches h. */
  if (!StartServiceCtrlDispatcherW(table)) {
    DWORD err = GetLastError();

    h->service = false;
    if (err != ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      char msg[256];

      sw_log_warnx(
          "StartServiceCtrlDispatcherW: %s; running in the "
          "foreground",
          sw__win_strerror(err, msg, sizeof(msg)));
    }
    h->exit_code = run_body(h);
  } else {
    /* The dispatcher returns once the service reported STOPPED, which the
     * body does just before it returns: wait for its exit code. No time
     * limit: the caller frees what the body uses, and the body's end is
     * bounded (close_logs gives a stuck writer up). */
    if (WaitForSingleObject(h->body_done, INFINITE) != WAIT_OBJECT_0)
      sw_log_warn("WaitForSingleObject (service thread)");
  }
out:
  if (h->finished != NULL) SetEvent(h->finished);
  free(h->name);
  /* h->lock and h->finished stay: a console handler may still run. */
  return (int)InterlockedCompareExchange(&h->exit_code, 0, 0);
}

int sw_os_host_attach(sw_host_t *h, uv_loop_t *loop,
                      const sw_host_events_t *ev) {
  int rc;

  h->ev = *ev;
  rc = uv_async_init(loop, &h->wakeup, on_wakeup);
  if (rc != 0) return rc;
  h->wakeup.data = h;
  EnterCriticalSection(&h->lock);
  h->attached = true;
  /* Requests that came before we listened are delivered now. */
  if (h->stop_requests > 0 || h->rotate_requests > 0) uv_async_send(&h->wakeup);
  LeaveCriticalSection(&h->lock);
  return 0;
}

void sw_os_host_detach(sw_host_t *h) {
  EnterCriticalSection(&h->lock);
  if (!h->attached) {
    LeaveCriticalSection(&h->lock);
    return;
  }
  h->attached = false;
  LeaveCriticalSection(&h->lock);
  uv_close((uv_handle_t *)&h->wakeup, NULL);
}

void sw_os_host_report(sw_host_t *h, sw_host_state_t st, uint64_t wait_hint_ms,
                       int exit_code) {
  DWORD hint = wait_hint_ms > 600000 ? 600000 : (DWORD)wait_hint_ms;

  switch (st) {
  case SW_HOST_STARTING:
    report(h, SERVICE_START_PENDING, hint, NO_ERROR, 0);
    break;
  case SW_HOST_RUNNING:
    report(h, SERVICE_RUNNING, 0, NO_ERROR, 0);
    break;
  case SW_HOST_STOPPING:
    report(h, SERVICE_STOP_PENDING, hint, NO_ERROR, 0);
    break;
  case SW_HOST_STOPPED:
    /* A failure carries the child's code as the service-specific exit
     * code, so SCM recovery actions and `sc query` see it. */
    report(h, SERVICE_STOPPED, 0,
           exit_code ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR,
           (DWORD)exit_code);
    break;
  }
}

bool sw_os_host_is_service(const sw_host_t *h) {
  return h->service;
}

/*
 * The claim is a named mutex, Global\<pipe name>-instance, held (open) for
 * the process's life; the kernel drops it however the process ends. The
 * pipe's first instance (FILE_FLAG_FIRST_PIPE_INSTANCE, in uv_pipe_bind)
 * would be a claim too on Windows, but Wine 8 does not enforce that flag,
 * and a named object works on both. A console without the privilege to
 * create Global\ objects uses Local\ (after checking that no Global\ one
 * exists).
 */
struct sw_instance_lock_s {
  HANDLE mutex;
};

static HANDLE claim_mutex(const wchar_t *prefix, const char *base, DWORD *err) {
  wchar_t *wbase = sw__win_wide(base), name[400];
  HANDLE m;

  if (wbase == NULL) {
    *err = ERROR_INVALID_NAME;
    return NULL;
  }
  _snwprintf(name, sizeof(name) / sizeof(name[0]), L"%ls%ls-instance", prefix,
             wbase);
  name[sizeof(name) / sizeof(name[0]) - 1] = L'\0';
  free(wbase);
  m = CreateMutexW(NULL, FALSE, name);
  *err = GetLastError();
  if (m != NULL && *err == ERROR_ALREADY_EXISTS) {
    CloseHandle(m);
    return NULL;
  }
  if (m != NULL) *err = 0;
  if (m == NULL && *err == ERROR_ACCESS_DENIED) {
    /* Either it exists with a DACL we do not pass (a service's), or we
     * may not create Global\ objects: tell them apart. */
    m = OpenMutexW(SYNCHRONIZE, FALSE, name);
    if (m != NULL || GetLastError() == ERROR_ACCESS_DENIED) {
      if (m != NULL) CloseHandle(m);
      *err = ERROR_ALREADY_EXISTS;
      return NULL;
    }
    *err = ERROR_ACCESS_DENIED;
  }
  return m;
}

int sw_os_instance_lock(const char *endpoint, sw_instance_lock_t **out,
                        char *why, size_t whylen) {
  const char *base = strrchr(endpoint, '\\');
  sw_instance_lock_t *l;
  HANDLE m;
  DWORD err;
  char msg[256];

  *out = NULL;
  base = base ? base + 1 : endpoint;
  m = claim_mutex(L"Global\\", base, &err);
  if (m == NULL && err == ERROR_ACCESS_DENIED)
    m = claim_mutex(L"Local\\", base, &err);
  if (m == NULL) {
    if (err == ERROR_ALREADY_EXISTS) {
      snprintf(why, whylen, "another process holds %s-instance", base);
      return SW_EEXIST;
    }
    snprintf(why, whylen, "CreateMutexW(%s-instance): %s", base,
             sw__win_strerror(err, msg, sizeof(msg)));
    return uv_translate_sys_error((int)err);
  }
  l = malloc(sizeof(*l));
  if (l == NULL) {
    CloseHandle(m);
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  l->mutex = m;
  *out = l;
  return 0;
}

void sw_os_instance_unlock(sw_instance_lock_t *l) {
  if (l == NULL) return;
  CloseHandle(l->mutex);
  free(l);
}
