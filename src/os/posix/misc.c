/* SPDX-License-Identifier: MIT */
/* Small POSIX facts: error texts, time zone offset, descriptor count,
 * the status endpoint's name. */
#define _GNU_SOURCE /* O_PATH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/err.h"

#include "core/path.h"
#include "os/os.h"
#include "os/posix/internal.h"

void sw_os_last_error_text(char *buf, size_t len) {
  int err = errno;

  snprintf(buf, len, "%s (%d)", strerror(err), err);
}

bool sw_os_stderr_is_null(void) {
  struct stat err, null;

  if (fstat(2, &err) != 0) return true; /* closed */
  return S_ISCHR(err.st_mode) && stat("/dev/null", &null) == 0 &&
         err.st_rdev == null.st_rdev;
}

int sw_os_utc_offset_min(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;

  if (localtime_r(&tt, &tm) == NULL) return 0;
  return (int)(tm.tm_gmtoff / 60);
}

long sw_os_resource_count(const char **name) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  long n = 0;

  *name = "open_fds";
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* not counting the one opendir holds */
}

/*
 * <log directory>/.svcwrap/<name>.sock. A socket path must fit sun_path (108
 * bytes with its NUL, and libuv 1.44 truncates silently). A longer one is named
 * through a descriptor of the log directory, /proc/self/fd/<n>/<file>,
 * which the kernel resolves like the directory itself: no chdir, and the
 * same name works for bind, connect, the lock file beside it and unlink.
 * The descriptor (O_PATH, close-on-exec) stays open for the process's
 * life; one is opened per directory asked for, at most once each call.
 */
char *sw_os_endpoint_name(const sw_config_t *cfg) {
  static int dir_fd = -1;
  static char *dir_of_fd;
  char *path = NULL, *file, *via;
  size_t n = strlen(cfg->name) + 16;

  file = malloc(n);
  if (file == NULL) return NULL;
  /* In a folder of its own, 0700 (sw_os_instance_lock() makes it): the
   * log folder is 0750, and only the wrapper's user may reach the
   * socket. */
  snprintf(file, n, SW_POSIX_ENDPOINT_DIR "/%s.sock", cfg->name);
  if (sw_path_resolve(SW_PATH_POSIX, cfg->log_dir, file, &path) != 0) {
    free(file);
    return NULL;
  }
  if (strlen(path) < 100) {
    free(file);
    return path;
  }
  if (dir_of_fd == NULL || strcmp(dir_of_fd, cfg->log_dir) != 0) {
    int fd = open(cfg->log_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
      /* The folder is not there (yet): the long path fails visibly at
       * bind or connect, with the OS's message. */
      free(file);
      return path;
    }
    if (dir_fd >= 0) close(dir_fd);
    free(dir_of_fd);
    dir_fd = fd;
    dir_of_fd = strdup(cfg->log_dir);
  }
  n = strlen(file) + 32;
  via = malloc(n);
  if (via != NULL) snprintf(via, n, "/proc/self/fd/%d/%s", dir_fd, file);
  free(file);
  if (via == NULL || strlen(via) >= 100) {
    free(via);
    return path;
  }
  free(path);
  return via;
}

int sw_os_read_secret(char *buf, size_t len, char *why, size_t whylen) {
  struct termios old, quiet;
  bool tty = isatty(0) && tcgetattr(0, &old) == 0;
  size_t n = 0;
  int rc = 0;

  if (tty) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    if (tcsetattr(0, TCSAFLUSH, &quiet) != 0) tty = false;
  }
  for (;;) {
    char ch;
    ssize_t r = read(0, &ch, 1);

    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(why, whylen, "read standard input: %s", strerror(errno));
      rc = -errno;
      break;
    }
    if (r == 0 || ch == '\n') break;
    if (n + 1 >= len) {
      snprintf(why, whylen, "the password is longer than %zu bytes", len - 1);
      rc = SW_EINVAL;
      break;
    }
    buf[n++] = ch;
  }
  if (tty) tcsetattr(0, TCSAFLUSH, &old);
  if (n > 0 && buf[n - 1] == '\r') n--;
  buf[n] = '\0';
  if (rc == 0 && n == 0) {
    snprintf(why, whylen, "no password on standard input (an empty line)");
    rc = SW_EINVAL;
  }
  return rc;
}
