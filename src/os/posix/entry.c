/* SPDX-License-Identifier: MIT */
/* POSIX entry point: arguments are already bytes (UTF-8 by convention). */
#include "main.h"

int main(int argc, char **argv) {
  return sw_main(argc, argv);
}
