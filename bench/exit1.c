/* SPDX-License-Identifier: MIT */
/*
 * bench/exit1: the restart-rate child. Appends one byte to COUNT_FILE (so
 * the number of starts is the file's size) and exits 1 at once.
 */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int fd;

  if (argc > 1 && (fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
    if (write(fd, ".", 1) != 1) {
      /* counted as a missing start */
    }
    close(fd);
  }
  return 1;
}
