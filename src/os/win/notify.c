/* SPDX-License-Identifier: MIT */
/*
 * The sd_notify receiver and client on Windows: a named pipe,
 * \\.\pipe\svcwrap-notify-<128 random bits>, taking KEY=VALUE lines (each
 * line is one message). The loop serves it with libuv's pipe server; its
 * DACL lets only the wrapper's own account (the service's, which the child
 * runs as) and SYSTEM open it. Nothing here parses a message.
 */
#include "os/win/internal.h"

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/notify.h"
#include "os/os.h"

typedef struct conn_s {
  uv_pipe_t pipe;
  struct sw_notify_srv_s *srv;
  struct conn_s *next;
  size_t len;
  bool overlong; /* the current line passed SW_NOTIFY_MSG_MAX: dropped */
  char line[SW_NOTIFY_MSG_MAX + 1];
} conn_t;

struct sw_notify_srv_s {
  uv_pipe_t pipe;
  sw_notify_msg_fn *fn;
  void *data;
  conn_t *conns;
  bool closing;
  char name[80];
  char env[100];
};

static int fail(char *why, size_t whylen, const char *what, DWORD err) {
  char msg[512];

  snprintf(why, whylen, "%s: %s", what,
           sw__win_strerror(err, msg, sizeof(msg)));
  return sw__win_error(err);
}

/*
 * Only SYSTEM and the account this process runs as may open the pipe
 * (D:P: protected, nothing inherited). Applied to the first instance
 * right after uv_pipe_bind created it and before uv_listen makes more:
 * a named pipe's security descriptor belongs to the pipe, and every later
 * instance has it (CreateNamedPipeW: "lpSecurityAttributes ... specifies a
 * security descriptor for the new named pipe"; instances after the first
 * need FILE_CREATE_PIPE_INSTANCE, which the owner has).
 */
static int restrict_pipe(HANDLE h, char *why, size_t whylen) {
  HANDLE token;
  union {
    TOKEN_USER tu;
    BYTE raw[256];
  } user;
  DWORD n, err = 0;
  LPWSTR sid = NULL;
  wchar_t sddl[256];
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = NULL;
  BOOL present = FALSE, defaulted = FALSE;

  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return fail(why, whylen, "notify pipe: OpenProcessToken", GetLastError());
  if (!GetTokenInformation(token, TokenUser, &user, sizeof(user), &n) ||
      !ConvertSidToStringSidW(user.tu.User.Sid, &sid)) {
    err = GetLastError();
    CloseHandle(token);
    return fail(why, whylen, "notify pipe: the account's SID", err);
  }
  CloseHandle(token);
  _snwprintf(sddl, sizeof(sddl) / sizeof(sddl[0]),
             L"D:P(A;;GA;;;SY)(A;;GA;;;%ls)", sid);
  sddl[sizeof(sddl) / sizeof(sddl[0]) - 1] = L'\0';
  LocalFree(sid);
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
          sddl, SDDL_REVISION_1, &sd, NULL))
    return fail(why, whylen, "notify pipe: security descriptor",
                GetLastError());
  if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)) {
    err = GetLastError();
    LocalFree(sd);
    return fail(why, whylen, "notify pipe: GetSecurityDescriptorDacl", err);
  }
  err = SetSecurityInfo(
      h, SE_KERNEL_OBJECT,
      DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, NULL,
      NULL, dacl, NULL);
  LocalFree(sd);
  if (err != ERROR_SUCCESS)
    return fail(why, whylen, "notify pipe: SetSecurityInfo", err);
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  static char chunk[4096]; /* loop thread only; consumed in on_read */

  (void)h;
  (void)suggested;
  buf->base = chunk;
  buf->len = sizeof(chunk);
}

static void on_conn_closed(uv_handle_t *h) {
  conn_t *c = h->data, **pp;

  for (pp = &c->srv->conns; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  free(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = s->data;
  ssize_t i;

  if (nread < 0) {
    if (nread != UV_EOF)
      sw_log_warnx("notify pipe %s: %s", c->srv->name, uv_strerror((int)nread));
    if (!uv_is_closing((uv_handle_t *)s))
      uv_close((uv_handle_t *)s, on_conn_closed);
    return;
  }
  for (i = 0; i < nread; i++) {
    char ch = buf->base[i];

    if (ch == '\n') {
      if (c->overlong)
        sw_log_warnx("notify: dropped a line longer than %d bytes",
                     SW_NOTIFY_MSG_MAX);
      else if (c->srv->fn != NULL)
        c->srv->fn(c->srv->data, c->line, c->len);
      c->len = 0;
      c->overlong = false;
    } else if (c->len < SW_NOTIFY_MSG_MAX) {
      c->line[c->len++] = ch;
    } else {
      c->overlong = true;
    }
  }
}

static void on_connection(uv_stream_t *server, int status) {
  struct sw_notify_srv_s *s = server->data;
  conn_t *c;
  int rc;

  if (status < 0) {
    sw_log_warnx("notify pipe %s: %s", s->name, uv_strerror(status));
    return;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    sw_log_error("notify pipe: out of memory");
    return;
  }
  c->srv = s;
  uv_pipe_init(server->loop, &c->pipe, 0);
  c->pipe.data = c;
  c->next = s->conns;
  s->conns = c;
  rc = uv_accept(server, (uv_stream_t *)&c->pipe);
  if (rc == 0) rc = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
  if (rc != 0) {
    sw_log_warnx("notify pipe %s: accept: %s", s->name, uv_strerror(rc));
    uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
  }
}

static void on_srv_closed(uv_handle_t *h) {
  free(h->data);
}

int sw_os_notify_open(uv_loop_t *loop, sw_notify_msg_fn *fn, void *data,
                      sw_notify_srv_t **out, const char **env, char *why,
                      size_t whylen) {
  struct sw_notify_srv_s *s;
  unsigned char rnd[16];
  char hex[33];
  int rc, i;

  *out = NULL;
  rc = uv_random(NULL, NULL, rnd, sizeof(rnd), 0, NULL);
  if (rc != 0) {
    snprintf(why, whylen, "notify pipe: random name: %s", uv_strerror(rc));
    return rc;
  }
  for (i = 0; i < 16; i++)
    snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
  s = calloc(1, sizeof(*s));
  if (s == NULL) {
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  snprintf(s->name, sizeof(s->name), "\\\\.\\pipe\\svcwrap-notify-%s", hex);
  snprintf(s->env, sizeof(s->env), "SVCWRAP_NOTIFY=%s", s->name);
  s->fn = fn;
  s->data = data;
  uv_pipe_init(loop, &s->pipe, 0);
  s->pipe.data = s;
  rc = uv_pipe_bind(&s->pipe, s->name);
  if (rc != 0) {
    snprintf(why, whylen, "notify pipe %s: %s", s->name, uv_strerror(rc));
    goto fail;
  }
  /* libuv keeps the first instance it created in accept_reqs[0]. */
  rc = restrict_pipe(s->pipe.pipe.serv.accept_reqs[0].pipeHandle, why, whylen);
  if (rc != 0) goto fail;
  rc = uv_listen((uv_stream_t *)&s->pipe, 4, on_connection);
  if (rc != 0) {
    snprintf(why, whylen, "notify pipe %s: listen: %s", s->name,
             uv_strerror(rc));
    goto fail;
  }
  *env = s->env;
  *out = s;
  return 0;
fail:
  uv_close((uv_handle_t *)&s->pipe, on_srv_closed);
  return rc;
}

void sw_os_notify_close(sw_notify_srv_t *s) {
  conn_t *c;

  if (s == NULL) return;
  s->fn = NULL;
  for (c = s->conns; c != NULL; c = c->next)
    if (!uv_is_closing((uv_handle_t *)&c->pipe))
      uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
  uv_close((uv_handle_t *)&s->pipe, on_srv_closed);
}

int sw_os_notify_send(const char *msg, size_t len, char *why, size_t whylen) {
  const wchar_t *name = _wgetenv(L"SVCWRAP_NOTIFY");
  HANDLE h = INVALID_HANDLE_VALUE;
  char *buf;
  DWORD done = 0;
  int tries, rc = 0;

  if (name == NULL || name[0] == L'\0') {
    snprintf(why, whylen,
             "SVCWRAP_NOTIFY is not set: run this from the service's child "
             "(with [health] ready = notify or watchdog set)");
    return SW_ENOENT;
  }
  /* Every instance may be busy with another client: wait for one. */
  for (tries = 0; tries < 50; tries++) {
    h = CreateFileW(name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_PIPE_BUSY) break;
    if (!WaitNamedPipeW(name, 100) && GetLastError() != ERROR_SEM_TIMEOUT)
      break;
  }
  if (h == INVALID_HANDLE_VALUE)
    return fail(why, whylen, "open the SVCWRAP_NOTIFY pipe", GetLastError());
  buf = malloc(len + 1);
  if (buf == NULL) {
    CloseHandle(h);
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  memcpy(buf, msg, len);
  buf[len] = '\n'; /* the pipe takes lines; the message's last one too */
  if (!WriteFile(h, buf, (DWORD)(len + 1), &done, NULL) || done != len + 1)
    rc = fail(why, whylen, "write to the SVCWRAP_NOTIFY pipe", GetLastError());
  else if (!FlushFileBuffers(h))
    rc = fail(why, whylen, "flush the SVCWRAP_NOTIFY pipe", GetLastError());
  free(buf);
  CloseHandle(h);
  return rc;
}
