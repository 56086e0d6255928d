/* SPDX-License-Identifier: MIT */
/*
 * Command line -> verb. Nothing else: each verb lives in src/app/. The
 * platform entry point (src/os/<platform>/entry.c) converts the arguments
 * to UTF-8 and calls sw_main().
 */
#include <stdio.h>
#include <string.h>
#include <uv.h>
#include <cJSON.h>
#include <inih_version.h> /* SW_INIH_VERSION, written by scripts/win-deps */

#include "app/app.h"
#include "main.h"

static const struct {
  const char *verb;
  const char *usage;
  const char *text;
} verbs[] = {
    {"install", "install [--force] [--password -] [-c FILE]",
     "Register the service with the SCM: ImagePath \"<exe>\" run -c \"<ini>\"\n"
     "(always quoted), display name, description, start type, dependencies,\n"
     "account, a preshutdown timeout derived from [stop] and [service]\n"
     "recovery as SCM failure actions. A user account's password comes from\n"
     "standard input with --password - (never from the INI); gMSA and user\n"
     "accounts are granted \"Log on as a service\". Validates the INI first\n"
     "and creates nothing if it is invalid. Refuses if the service exists.\n"
     "Needs an elevated (administrator) prompt.\n"
     "Refuses too when anyone but SYSTEM and Administrators may change\n"
     "svcwrap.exe, the INI, the child's executable or the log folder (or a\n"
     "folder above them): the message names the path, who may write it and\n"
     "the icacls line that fixes it. --force installs anyway.\n"
     "Sets the service's security: SYSTEM and Administrators full control,\n"
     "[service] operators start/stop/control, everyone else query only."},
    {"uninstall", "uninstall [-c FILE]",
     "Stop the service if it runs (the stop ladder runs, bounded wait), then\n"
     "delete it."},
    {"start", "start [-c FILE]",
     "Start the service through the SCM and wait (30 s at most) until it "
     "runs."},
    {"stop", "stop [-c FILE]",
     "Stop the service through the SCM and wait until it is stopped (the\n"
     "whole stop ladder, plus 10 s)."},
    {"restart", "restart [-c FILE]", "stop, then start."},
    {"status", "status [--json] [-c FILE]",
     "Show whether the service is installed, the SCM's state and the running\n"
     "wrapper's own view: state, child pid, uptime, restarts, last exit, next\n"
     "restart. Exit code: 0 running, 3 stopped, 4 not installed, 1 error."},
    {"run", "run [-c FILE]",
     "The service's entry point. Under the SCM it runs as the service; from\n"
     "a console (or on Linux) it supervises in the foreground, and Ctrl+C,\n"
     "SIGTERM or SIGINT stop it the way an SCM stop does (a second one\n"
     "terminates at once)."},
    {"rotate", "rotate [-c FILE]",
     "Ask the running wrapper to rotate the child's logs and its own now\n"
     "(name.log becomes name.1.log, and so on). On Windows, `sc control\n"
     "NAME 128` does the same through the SCM. Exit code 3 if no wrapper\n"
     "runs."},
    {"control", "control CODE [-c FILE]",
     "Send control code CODE (129-255, or reload) to the running wrapper,\n"
     "which carries out its [control] action (signal, event, ctrl-break,\n"
     "restart, rotate, exec). On Windows `sc control NAME CODE` does the\n"
     "same through the SCM. Exit code 0 done, 1 failed, 2 CODE not in\n"
     "[control], 3 no wrapper runs."},
    {"check", "check [-c FILE]",
     "Validate the INI without starting anything or touching the SCM, and\n"
     "print the resolved configuration (absolute paths, durations in ms).\n"
     "Every problem is printed as file:line: message. Exit code 0 or 2."},
    {"notify", "notify KEY=VALUE...",
     "From inside the service's child (scripts, batch files): send sd_notify\n"
     "messages to the wrapper that started it, e.g. `svcwrap notify READY=1\n"
     "STATUS=listening`. Keys as systemd's sd_notify: READY=1, STATUS=text,\n"
     "WATCHDOG=1, WATCHDOG=trigger, WATCHDOG_USEC=n, EXTEND_TIMEOUT_USEC=n,\n"
     "STOPPING=1, MAINPID=n. The receiver is named by NOTIFY_SOCKET (Linux;\n"
     "a path or @abstract, as systemd sets it too) or SVCWRAP_NOTIFY\n"
     "(Windows), set by [health] ready = notify or watchdog. Exit code 0\n"
     "sent, 1 not sent (no receiver), 2 bad arguments."},
    {"version", "version", "Print the version."},
    {"help", "help [VERB]", "Explain svcwrap or one verb."},
};
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f) {
  size_t i;

  fprintf(f,
          "usage: svcwrap <verb> [-c CONFIG] [options]\n\n"
          "Runs a console program as a service, supervised by the rules\n"
          "of an INI file. Without -c, the config is the .ini file next to\n"
          "this executable, named like it.\n\nverbs:\n");
  for (i = 0; i < N_VERBS; i++)
    fprintf(f, "  svcwrap %s\n", verbs[i].usage);
  fprintf(f, "\n`svcwrap help VERB` explains a verb; docs/ has the rest.\n");
}

static int help(const char *verb) {
  size_t i;

  if (verb == NULL) {
    usage(stdout);
    return SW_EXIT_OK;
  }
  for (i = 0; i < N_VERBS; i++) {
    if (strcmp(verbs[i].verb, verb) == 0) {
      printf("usage: svcwrap %s\n\n%s\n", verbs[i].usage, verbs[i].text);
      return SW_EXIT_OK;
    }
  }
  fprintf(stderr, "svcwrap: no verb \"%s\"; `svcwrap help` lists them\n", verb);
  return SW_EXIT_USAGE;
}

int sw_main(int argc, char **argv) {
  sw_cli_t cli;
  const char *verb;
  int i;

  memset(&cli, 0, sizeof(cli));
  cli.argv0 = argv[0];
  if (argc < 2) {
    usage(stderr);
    return SW_EXIT_USAGE;
  }
  verb = argv[1];
  if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) return help(NULL);
  if (strcmp(verb, "--version") == 0 || strcmp(verb, "-V") == 0)
    verb = "version";
  if (strcmp(verb, "help") == 0) return help(argc > 2 ? argv[2] : NULL);
  if (strcmp(verb, "version") == 0) {
    printf("svcwrap %s (libuv %s, cJSON %s, inih %s)\n", SW_VERSION,
           uv_version_string(), cJSON_Version(), SW_INIH_VERSION);
    return SW_EXIT_OK;
  }
  /* Its arguments are messages, not options. */
  if (strcmp(verb, "notify") == 0) {
    if (argc == 3 &&
        (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0))
      return help(verb);
    return sw_cmd_notify(argc - 2, argv + 2);
  }
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "svcwrap: %s needs a file name\n", argv[i]);
        return SW_EXIT_USAGE;
      }
      cli.config = argv[++i];
    } else if (strcmp(argv[i], "--json") == 0 && strcmp(verb, "status") == 0) {
      cli.json = true;
    } else if (strcmp(argv[i], "--force") == 0 &&
               strcmp(verb, "install") == 0) {
      cli.force = true;
    } else if (strcmp(argv[i], "--password") == 0 &&
               strcmp(verb, "install") == 0) {
      if (i + 1 >= argc || strcmp(argv[i + 1], "-") != 0) {
        fprintf(stderr,
                "svcwrap: --password takes only \"-\" (read it from "
                "standard input), so it never shows in a command line\n");
        return SW_EXIT_USAGE;
      }
      cli.password = true;
      i++;
    } else if (strcmp(verb, "control") == 0 && cli.code == NULL &&
               argv[i][0] != '-') {
      cli.code = argv[i];
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      return help(verb);
    } else {
      fprintf(stderr,
              "svcwrap: %s: unexpected argument \"%s\"; see "
              "`svcwrap help %s`\n",
              verb, argv[i], verb);
      return SW_EXIT_USAGE;
    }
  }
  if (strcmp(verb, "check") == 0) return sw_cmd_check(&cli);
  if (strcmp(verb, "run") == 0) return sw_cmd_run(&cli);
  if (strcmp(verb, "status") == 0) return sw_cmd_status(&cli);
  if (strcmp(verb, "rotate") == 0) return sw_cmd_rotate(&cli);
  if (strcmp(verb, "control") == 0) return sw_cmd_control(&cli);
  if (strcmp(verb, "install") == 0 || strcmp(verb, "uninstall") == 0 ||
      strcmp(verb, "start") == 0 || strcmp(verb, "stop") == 0 ||
      strcmp(verb, "restart") == 0)
    return sw_cmd_service(&cli, verb);
  fprintf(stderr, "svcwrap: unknown verb \"%s\"; `svcwrap help` lists them\n",
          verb);
  return SW_EXIT_USAGE;
}
