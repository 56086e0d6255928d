/* SPDX-License-Identifier: MIT */
/*
 * The endpoint's transport on Windows: a named pipe served by hand
 * instead of uv_pipe_bind, which creates its instances with the default
 * DACL (every local user may read, and may create instances of their
 * own), accepts remote clients and cannot take a security descriptor.
 * Each instance here has the DACL of core/secdesc.c (sw_sddl_pipe),
 * PIPE_REJECT_REMOTE_CLIENTS, and the first FILE_FLAG_FIRST_PIPE_INSTANCE;
 * it waits in an overlapped ConnectNamedPipe whose event a thread-pool
 * wait turns into a uv_async on the loop; a connected instance becomes a
 * uv_pipe_t (uv_pipe_open) and the next instance is made.
 *
 * The client opens the pipe with SECURITY_SQOS_PRESENT |
 * SECURITY_IDENTIFICATION: a server that is not the service (someone
 * created the name first) can learn who connected but cannot act with
 * the client's token (an administrator's or SYSTEM's), and it checks the
 * server's process id against the service's.
 */
#include "os/win/internal.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/secdesc.h"
#include "os/os.h"

#ifndef PIPE_REJECT_REMOTE_CLIENTS
#define PIPE_REJECT_REMOTE_CLIENTS 0x00000008
#endif

struct sw_listener_s {
  uv_async_t async; /* data: the listener, freed by its close callback */
  uv_loop_t *loop;
  sw_listener_cb *cb;
  void *data;
  wchar_t *name_w;
  PSECURITY_DESCRIPTOR sd;
  HANDLE inst;  /* the instance waiting for a client */
  HANDLE event; /* ov's */
  HANDLE wait;  /* RegisterWaitForSingleObject on event */
  OVERLAPPED ov;
  unsigned failures; /* consecutive instance failures */
};

static int fmt_err(char *why, size_t whylen, const char *what, DWORD err) {
  char msg[512];

  snprintf(why, whylen, "%s: %s", what,
           sw__win_strerror(err, msg, sizeof(msg)));
  return sw__win_error(err);
}

static VOID CALLBACK on_signalled(PVOID arg, BOOLEAN timed_out) {
  sw_listener_t *l = arg;

  (void)timed_out;
  uv_async_send(&l->async);
}

/* A new instance, waiting for its client. Returns 0 or a Win32 error. */
static DWORD arm(sw_listener_t *l, bool first) {
  SECURITY_ATTRIBUTES sa;
  DWORD err;

  memset(&sa, 0, sizeof(sa));
  sa.nLength = sizeof(sa);
  sa.lpSecurityDescriptor = l->sd;
  /* FILE_FLAG_FIRST_PIPE_INSTANCE: fail if anyone has the name already
   * (Wine 8 does not enforce it; the caller probes the name first, and
   * the instance mutex guards one wrapper per service). */
  l->inst = CreateNamedPipeW(l->name_w,
                             PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
                                 (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
                             PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                                 PIPE_REJECT_REMOTE_CLIENTS,
                             PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, &sa);
  if (l->inst == INVALID_HANDLE_VALUE) {
    l->inst = NULL;
    return GetLastError();
  }
  memset(&l->ov, 0, sizeof(l->ov));
  ResetEvent(l->event);
  l->ov.hEvent = l->event;
  if (ConnectNamedPipe(l->inst, &l->ov)) {
    SetEvent(l->event); /* overlapped: completed at once */
  } else {
    err = GetLastError();
    if (err == ERROR_PIPE_CONNECTED)
      SetEvent(l->event); /* a client came between create and connect */
    else if (err != ERROR_IO_PENDING)
      goto fail;
  }
  if (!RegisterWaitForSingleObject(&l->wait, l->event, on_signalled, l,
                                   INFINITE, WT_EXECUTEONLYONCE)) {
    err = GetLastError();
    l->wait = NULL;
    goto fail;
  }
  return 0;
fail:
  CancelIoEx(l->inst, &l->ov);
  CloseHandle(l->inst);
  l->inst = NULL;
  return err;
}

static void on_async(uv_async_t *a) {
  sw_listener_t *l = a->data;
  char msg[256];
  DWORD n, err;
  uv_pipe_t *p;
  int fd;

  if (l->inst == NULL || WaitForSingleObject(l->event, 0) != WAIT_OBJECT_0)
    return; /* a stale wake-up */
  if (l->wait != NULL) {
    /* Non-blocking: the wait fired once (WT_EXECUTEONLYONCE). */
    UnregisterWaitEx(l->wait, NULL);
    l->wait = NULL;
  }
  if (!GetOverlappedResult(l->inst, &l->ov, &n, FALSE) &&
      GetLastError() != ERROR_PIPE_CONNECTED) {
    /* The client left before we saw it: reuse nothing, make a new one. */
    CloseHandle(l->inst);
  } else if ((fd = _open_osfhandle((intptr_t)l->inst, _O_RDWR)) < 0) {
    sw_log_warnx("status endpoint: _open_osfhandle failed");
    CloseHandle(l->inst);
  } else if ((p = malloc(sizeof(*p))) == NULL) {
    _close(fd);
  } else {
    uv_pipe_init(l->loop, p, 0);
    if (uv_pipe_open(p, fd) != 0) {
      _close(fd);
      uv_close((uv_handle_t *)p, (uv_close_cb)free);
    } else {
      l->cb(l->data, p);
    }
  }
  l->inst = NULL;
  err = arm(l, false);
  if (err != 0 && l->failures++ == 0)
    sw_log_warnx("status endpoint: new pipe instance: %s",
                 sw__win_strerror(err, msg, sizeof(msg)));
  if (err == 0) l->failures = 0;
}

/* Whether someone already serves `name`: a server answers (or all its
 * instances are busy). */
static bool served(const wchar_t *name_w) {
  HANDLE h = CreateFileW(name_w, GENERIC_READ, 0, NULL, OPEN_EXISTING,
                         SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
  DWORD err;

  if (h != INVALID_HANDLE_VALUE) {
    CloseHandle(h);
    return true;
  }
  err = GetLastError();
  return err == ERROR_PIPE_BUSY || err == ERROR_ACCESS_DENIED;
}

static PSECURITY_DESCRIPTOR pipe_sd(const sw_config_t *cfg, char *why,
                                    size_t whylen) {
  char svc[SW_SID_MAX], self[SW_SID_MAX], ops[SW_SID_MAX], sddl[SW_SDDL_MAX];
  char owhy[512];
  const char *self_sid = NULL, *ops_sid = NULL;
  PSECURITY_DESCRIPTOR sd;

  if (sw__win_service_sid(cfg->name, svc, sizeof(svc)) != 0) {
    snprintf(why, whylen, "service name \"%s\" gives no service SID",
             cfg->name);
    return NULL;
  }
  /* A foreground run: its user serves the pipe (and needs
   * FILE_CREATE_PIPE_INSTANCE for every new instance). */
  if (!sw__win_token_has(svc) && sw__win_self_sid(self, sizeof(self)))
    self_sid = self;
  if (cfg->operators != NULL && cfg->operators[0] != '\0') {
    if (sw__win_lookup_sid(cfg->operators, ops, sizeof(ops), owhy,
                           sizeof(owhy)) == 0)
      ops_sid = ops;
    else
      sw_log_warnx(
          "status endpoint: operators %s: %s; they may read the "
          "status but not send commands",
          cfg->operators, owhy);
  }
  if (sw_sddl_pipe(svc, self_sid, ops_sid, sddl, sizeof(sddl)) != 0) {
    snprintf(why, whylen, "pipe descriptor too long");
    return NULL;
  }
  sd = sw__win_sd(sddl);
  if (sd == NULL)
    fmt_err(why, whylen, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
            GetLastError());
  return sd;
}

static void listener_free(uv_handle_t *h) {
  sw_listener_t *l = h->data;

  free(l->name_w);
  if (l->sd != NULL) LocalFree(l->sd);
  free(l);
}

int sw_os_listen(uv_loop_t *loop, const sw_config_t *cfg, const char *name,
                 bool claimed, sw_listener_cb *cb, void *data,
                 sw_listener_t **out, char **used, char *why, size_t whylen) {
  sw_listener_t *l;
  char *alt = NULL;
  DWORD err;
  int rc;

  *out = NULL;
  *used = NULL;
  l = calloc(1, sizeof(*l));
  if (l == NULL) {
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  l->loop = loop;
  l->cb = cb;
  l->data = data;
  l->sd = pipe_sd(cfg, why, whylen);
  l->name_w = sw__win_wide(name);
  *used = strdup(name);
  if (l->sd == NULL || l->name_w == NULL || *used == NULL) {
    if (l->sd != NULL && (l->name_w == NULL || *used == NULL))
      snprintf(why, whylen, "out of memory or invalid Unicode in %s", name);
    rc = l->sd == NULL ? SW_EINVAL : SW_ENOMEM;
    goto fail;
  }
  if (served(l->name_w)) {
    if (!claimed) {
      snprintf(why, whylen, "%s is in use", name);
      rc = SW_EEXIST;
      goto fail;
    }
    /* We hold the instance mutex, so no wrapper of this service serves
     * it: someone created the name first. Do not join their pipe (their
     * DACL, their instances): listen on a name with our pid, which
     * clients that know the service's pid try next. */
    size_t n = strlen(name) + 16;

    alt = malloc(n);
    if (alt == NULL) {
      rc = SW_ENOMEM;
      snprintf(why, whylen, "out of memory");
      goto fail;
    }
    snprintf(alt, n, "%s-%lu", name, (unsigned long)GetCurrentProcessId());
    sw_log_warnx(
        "status endpoint %s was created by another process (not a "
        "wrapper of this service); listening on %s instead",
        name, alt);
    free(l->name_w);
    free(*used);
    *used = alt;
    l->name_w = sw__win_wide(alt);
    if (l->name_w == NULL) {
      rc = SW_ENOMEM;
      snprintf(why, whylen, "out of memory");
      goto fail;
    }
  }
  l->event = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (l->event == NULL) {
    rc = fmt_err(why, whylen, "CreateEventW", GetLastError());
    goto fail;
  }
  err = arm(l, true);
  if (err != 0) {
    char what[600];

    snprintf(what, sizeof(what), "CreateNamedPipeW(%s)", *used);
    rc = fmt_err(why, whylen, what, err);
    if (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY) rc = SW_EEXIST;
    goto fail;
  }
  rc = uv_async_init(loop, &l->async, on_async);
  l->async.data = l;
  if (rc != 0) {
    snprintf(why, whylen, "uv_async_init: %s", uv_strerror(rc));
    UnregisterWaitEx(l->wait, INVALID_HANDLE_VALUE);
    CancelIoEx(l->inst, &l->ov);
    CloseHandle(l->inst);
    goto fail;
  }
  *out = l;
  return 0;
fail:
  if (l->event != NULL) CloseHandle(l->event);
  free(l->name_w);
  if (l->sd != NULL) LocalFree(l->sd);
  free(l);
  free(*used);
  *used = NULL;
  return rc;
}

void sw_os_listen_close(sw_listener_t *l) {
  if (l == NULL) return;
  /* Wait for a callback in flight, then nothing signals the async. */
  if (l->wait != NULL) UnregisterWaitEx(l->wait, INVALID_HANDLE_VALUE);
  l->wait = NULL;
  if (l->inst != NULL) {
    CancelIoEx(l->inst, &l->ov);
    CloseHandle(l->inst);
    l->inst = NULL;
  }
  CloseHandle(l->event);
  l->event = NULL;
  uv_close((uv_handle_t *)&l->async, listener_free);
}

/* ---- client ------------------------------------------------------------- */

/* Open `name` with identification only; INVALID_HANDLE_VALUE and *err
 * when it cannot be. */
static HANDLE open_pipe(const char *name, bool write, unsigned timeout_ms,
                        DWORD *err) {
  wchar_t *w = sw__win_wide(name);
  HANDLE h = INVALID_HANDLE_VALUE;
  int tries;

  *err = ERROR_INVALID_NAME;
  if (w == NULL) return h;
  for (tries = 0; tries < 2; tries++) {
    h = CreateFileW(
        w, GENERIC_READ | (write ? GENERIC_WRITE : 0), 0, NULL, OPEN_EXISTING,
        FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
        NULL);
    if (h != INVALID_HANDLE_VALUE) break;
    *err = GetLastError();
    /* Every instance busy: wait for one, once. */
    if (*err != ERROR_PIPE_BUSY || !WaitNamedPipeW(w, timeout_ms)) break;
  }
  free(w);
  return h;
}

int sw_os_connect(uv_pipe_t *pipe, const char *name, bool write,
                  int expected_pid, unsigned timeout_ms, char *why,
                  size_t whylen) {
  char alt[600], what[700];
  const char *used = name;
  ULONG server = 0;
  HANDLE h;
  DWORD err;
  int fd, rc;

  h = open_pipe(name, write, timeout_ms, &err);
  if (h != INVALID_HANDLE_VALUE && expected_pid > 0 &&
      (!GetNamedPipeServerProcessId(h, &server) ||
       server != (ULONG)expected_pid)) {
    /* Not the service's: someone created the name first, and the
     * wrapper listens on "<name>-<pid>" (sw_os_listen). */
    CloseHandle(h);
    snprintf(alt, sizeof(alt), "%s-%d", name, expected_pid);
    used = alt;
    h = open_pipe(alt, write, timeout_ms, &err);
    if (h != INVALID_HANDLE_VALUE &&
        (!GetNamedPipeServerProcessId(h, &server) ||
         server != (ULONG)expected_pid)) {
      CloseHandle(h);
      snprintf(why, whylen,
               "%s is served by process %lu, not by the service's wrapper "
               "(pid %d): another process created it",
               name, (unsigned long)server, expected_pid);
      return SW_EACCES;
    }
  }
  if (h == INVALID_HANDLE_VALUE) {
    snprintf(what, sizeof(what), "open %s", used);
    rc = fmt_err(why, whylen, what, err);
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PIPE_BUSY)
      return SW_ENOTRUNNING;
    return err == ERROR_ACCESS_DENIED ? SW_EACCES : rc;
  }
  fd = _open_osfhandle((intptr_t)h, write ? _O_RDWR : _O_RDONLY);
  if (fd < 0) {
    CloseHandle(h);
    snprintf(why, whylen, "_open_osfhandle(%s) failed", used);
    return SW_EINVAL;
  }
  rc = uv_pipe_open(pipe, fd);
  if (rc != 0) {
    _close(fd);
    snprintf(why, whylen, "uv_pipe_open(%s): %s", used, uv_strerror(rc));
  }
  return rc;
}
