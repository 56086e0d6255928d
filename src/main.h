/* SPDX-License-Identifier: MIT */
#ifndef SW_MAIN_H
#define SW_MAIN_H

/* The program, after the platform entry point made argv UTF-8. Returns
 * the process exit code. */
int sw_main(int argc, char **argv);

#endif
