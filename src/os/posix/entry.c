/* SPDX-License-Identifier: MIT */
/* POSIX entry point: arguments are already bytes (UTF-8 by convention). */
#include <string.h>

#include "main.h"
#include "os/os.h"

int main(int argc, char **argv) {
  /* The child's first step when [health] watchdog is set (os.h): not a
   * verb users type; the program to run follows. */
  if (argc >= 3 && strcmp(argv[1], SW_WATCHDOG_EXEC_VERB) == 0)
    return sw_os_watchdog_exec(argv + 2);
  return sw_main(argc, argv);
}
