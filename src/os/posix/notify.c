/* SPDX-License-Identifier: MIT */
/*
 * The sd_notify receiver and client on POSIX: an AF_UNIX datagram socket,
 * as systemd's NOTIFY_SOCKET. libuv has no datagram Unix sockets, so the
 * socket is ours and the loop polls it (uv_poll_t). Nothing here parses a
 * message (core/notify.c does).
 */
#define _GNU_SOURCE /* MSG_CMSG_CLOEXEC */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "core/notify.h"
#include "os/os.h"

/* At most this many datagrams per wake-up, so a flood cannot starve the
 * rest of the loop (the poll fires again at once for the rest). */
#define MAX_PER_WAKE 64

struct sw_notify_srv_s {
  uv_poll_t poll;
  int fd;
  sw_notify_msg_fn *fn;
  void *data;
  char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
  char env[sizeof(((struct sockaddr_un *)0)->sun_path) + 32];
  const char *path; /* inside env */
  char buf[SW_NOTIFY_MSG_MAX + 1];
};

static int fail(char *why, size_t whylen, const char *what) {
  int err = errno;

  snprintf(why, whylen, "%s: %s (%d)", what, strerror(err), err);
  return -err;
}

/* Close what a datagram carried (FDSTORE=1 and the like): the wrapper
 * keeps no descriptors for the child. */
static void close_passed_fds(struct msghdr *mh) {
  struct cmsghdr *c;

  for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int), i;
      int fds[64];

      if (n > 64) n = 64;
      memcpy(fds, CMSG_DATA(c), n * sizeof(int));
      for (i = 0; i < n; i++)
        close(fds[i]);
    }
  }
}

static void on_readable(uv_poll_t *p, int status, int events) {
  sw_notify_srv_t *s = p->data;
  int i;

  (void)events;
  if (status < 0) {
    sw_log_warnx("notify socket %s: %s", s->path, uv_strerror(status));
    return;
  }
  for (i = 0; i < MAX_PER_WAKE; i++) {
    union {
      struct cmsghdr align;
      char b[CMSG_SPACE(sizeof(int) * 64)];
    } ctl;
    struct iovec iov = {s->buf, sizeof(s->buf) - 1};
    struct msghdr mh;
    ssize_t n;

    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof(ctl.b);
    n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        sw_log_warn("notify socket %s: recvmsg", s->path);
      return;
    }
    close_passed_fds(&mh);
    if ((size_t)n > SW_NOTIFY_MSG_MAX || (mh.msg_flags & MSG_TRUNC)) {
      sw_log_warnx("notify: dropped a %zd-byte message (at most %d bytes)", n,
                   SW_NOTIFY_MSG_MAX);
      continue;
    }
    s->fn(s->data, s->buf, (size_t)n);
  }
}

static void on_closed(uv_handle_t *h);

int sw_os_notify_open(uv_loop_t *loop, sw_notify_msg_fn *fn, void *data,
                      sw_notify_srv_t **out, const char **env, char *why,
                      size_t whylen) {
  struct sockaddr_un sa;
  const char *base = getenv("XDG_RUNTIME_DIR");
  sw_notify_srv_t *s;
  int rc;

  *out = NULL;
  s = calloc(1, sizeof(*s));
  if (s == NULL) {
    snprintf(why, whylen, "out of memory");
    return SW_ENOMEM;
  }
  s->fd = -1;
  /* The path must fit sun_path with "/notify" after it. */
  if (base == NULL || base[0] != '/' ||
      strlen(base) + sizeof("/svcwrap-XXXXXX/notify") > sizeof(sa.sun_path))
    base = "/tmp";
  snprintf(s->dir, sizeof(s->dir), "%s/svcwrap-XXXXXX", base);
  if (mkdtemp(s->dir) == NULL) { /* mode 0700 */
    rc = fail(why, whylen, "create the notify socket's folder");
    free(s);
    return rc;
  }
  snprintf(s->env, sizeof(s->env), "NOTIFY_SOCKET=%s/notify", s->dir);
  s->path = s->env + strlen("NOTIFY_SOCKET=");
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
  s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->fd < 0) {
    rc = fail(why, whylen, "notify socket");
    goto fail;
  }
  if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    rc = fail(why, whylen, "bind the notify socket");
    goto fail;
  }
  rc = uv_poll_init(loop, &s->poll, s->fd);
  if (rc != 0) {
    snprintf(why, whylen, "watch the notify socket: %s", uv_strerror(rc));
    goto fail;
  }
  s->poll.data = s;
  rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    snprintf(why, whylen, "watch the notify socket: %s", uv_strerror(rc));
    uv_close((uv_handle_t *)&s->poll, on_closed); /* frees s */
    return rc;
  }
  s->fn = fn;
  s->data = data;
  *env = s->env;
  *out = s;
  return 0;
fail:
  if (s->fd >= 0) close(s->fd);
  unlink(s->path);
  if (rmdir(s->dir) != 0) sw_log_warn("remove %s", s->dir);
  free(s);
  return rc;
}

static void on_closed(uv_handle_t *h) {
  sw_notify_srv_t *s = h->data;

  close(s->fd);
  if (unlink(s->path) != 0) sw_log_warn("remove %s", s->path);
  if (rmdir(s->dir) != 0) sw_log_warn("remove %s", s->dir);
  free(s);
}

void sw_os_notify_close(sw_notify_srv_t *s) {
  if (s == NULL) return;
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

int sw_os_notify_send(const char *msg, size_t len, char *why, size_t whylen) {
  const char *name = getenv("NOTIFY_SOCKET");
  struct sockaddr_un sa;
  socklen_t salen;
  size_t n;
  ssize_t sent;
  int fd, rc = 0;

  if (name == NULL || name[0] == '\0') {
    snprintf(why, whylen,
             "NOTIFY_SOCKET is not set: run this from the service's child "
             "(with [health] ready = notify or watchdog set)");
    return SW_ENOENT;
  }
  n = strlen(name);
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if ((name[0] != '/' && name[0] != '@') || n >= sizeof(sa.sun_path)) {
    snprintf(why, whylen,
             "NOTIFY_SOCKET=%s: not a socket path or @abstract name "
             "(shorter than %zu bytes)",
             name, sizeof(sa.sun_path));
    return SW_EINVAL;
  }
  memcpy(sa.sun_path, name, n);
  salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  if (name[0] == '@')
    sa.sun_path[0] = '\0'; /* abstract: no NUL at the end either */
  else
    salen++;
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(why, whylen, "socket");
  sent = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  if (sent < 0) {
    int err = errno;

    snprintf(why, whylen, "send to NOTIFY_SOCKET=%s: %s (%d)", name,
             strerror(err), err);
    rc = -err;
  }
  close(fd);
  return rc;
}
