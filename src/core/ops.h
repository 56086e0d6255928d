/* SPDX-License-Identifier: MIT */
/*
 * The operator's settings that are not plain values: SCM recovery actions
 * ([service] recovery), the actions of control codes ([control]) and the
 * kinds of service account ([service] account). Pure parsers: text in,
 * a value or a reason out; no I/O, no platform calls. The loader
 * (config_load.c) reports the reasons with their line.
 */
#ifndef SW_CORE_OPS_H
#define SW_CORE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * [service] recovery: one SCM failure action. The values are SC_ACTION_TYPE's
 * (SC_ACTION_NONE 0, _RESTART 1, _REBOOT 2, _RUN_COMMAND 3), so the Windows
 * backend passes them through unchanged.
 */
#define SW_RECOVERY_KINDS(X)                                                   \
  X(SW_RECOVERY_NONE, "none")                                                  \
  X(SW_RECOVERY_RESTART, "restart")                                            \
  X(SW_RECOVERY_REBOOT, "reboot")                                              \
  X(SW_RECOVERY_RUN, "run")

#define SW_OPS_ENUM_ID(id, ...) id,
typedef enum {
  SW_RECOVERY_KINDS(SW_OPS_ENUM_ID) SW_RECOVERY__COUNT
} sw_recovery_kind_t;

/* The delay of a restart or reboot written without one: services.msc's
 * default ("after 1 minute"). */
#define SW_RECOVERY_DEFAULT_DELAY_MS 60000u
/* The most a delay may be: a day (the SCM takes a DWORD of ms). */
#define SW_RECOVERY_MAX_DELAY_MS (24u * 3600u * 1000u)

typedef struct {
  sw_recovery_kind_t kind;
  uint64_t delay_ms;
} sw_recovery_action_t;

/*
 * Parse one item of the recovery list: "none", "restart[:DELAY]",
 * "reboot[:DELAY]" or "run:COMMAND" (the command runs at once). On
 * success returns 0, *out, and for run a pointer into item at the command
 * in *command (borrowed). On error returns SW_EINVAL with the reason in
 * why[whylen].
 */
int sw_recovery_parse(char *item, sw_recovery_action_t *out, char **command,
                      char *why, size_t whylen);

const char *sw_recovery_kind_name(sw_recovery_kind_t k);

/*
 * [control]: what a control code does.
 *  signal     POSIX: send the signal (any name, SIGHUP or HUP) to the child
 *  event      Windows: set a named auto-reset event the child waits on
 *  ctrl-break Windows: CTRL_BREAK_EVENT; POSIX: SIGTERM (as in [stop])
 *  restart    stop the child through the ladder and start it again at once,
 *             not counted as a failure by the restart policy
 *  rotate     rotate the logs now (like code 128)
 *  exec       run a command (the child's environment plus
 *             SVCWRAP_SERVICE_NAME and SVCWRAP_CONTROL_CODE)
 */
#define SW_CONTROL_KINDS(X)                                                    \
  X(SW_CTL_SIGNAL, "signal")                                                   \
  X(SW_CTL_EVENT, "event")                                                     \
  X(SW_CTL_CTRL_BREAK, "ctrl-break")                                           \
  X(SW_CTL_RESTART, "restart")                                                 \
  X(SW_CTL_ROTATE, "rotate")                                                   \
  X(SW_CTL_EXEC, "exec")

typedef enum {
  SW_CONTROL_KINDS(SW_OPS_ENUM_ID) SW_CTL__COUNT
} sw_control_kind_t;

/* The code of the `reload` key: SERVICE_CONTROL_PARAMCHANGE on Windows,
 * SIGHUP on POSIX. The others are the SCM's user-defined 129-255 (128 is
 * svcwrap's own rotate). */
#define SW_CONTROL_RELOAD 0u
#define SW_CONTROL_FIRST  129u
#define SW_CONTROL_LAST   255u

typedef struct {
  unsigned code; /* SW_CONTROL_FIRST..LAST or SW_CONTROL_RELOAD */
  sw_control_kind_t kind;
  char *arg; /* owned: "SIGHUP", the event's name, the command; or NULL */
  int line;  /* in the INI */
} sw_control_t;

/*
 * Parse a [control] key: "129".."255" or "reload". Returns 0 and *code, or
 * SW_EINVAL with the reason.
 */
int sw_control_parse_code(const char *key, unsigned *code, char *why,
                          size_t whylen);

/*
 * Parse a [control] value: "signal:NAME", "event:NAME", "ctrl-break",
 * "restart", "rotate", "exec:COMMAND". Returns 0 with *kind and *arg (a
 * heap string, caller frees; NULL for actions without one), SW_ENOMEM, or
 * SW_EINVAL with the reason. A signal's name comes back as "SIGNAME"; an
 * event's with its namespace (Global\ added when none is written).
 */
int sw_control_parse_action(const char *value, sw_control_kind_t *kind,
                            char **arg, char *why, size_t whylen);

const char *sw_control_kind_name(sw_control_kind_t k);

/* Whether name ("SIGHUP") is a POSIX signal svcwrap knows by name. */
bool sw_signal_name_known(const char *name);

/* [service] account, by what the SCM needs to run a service as it. */
typedef enum {
  SW_ACCOUNT_BUILTIN, /* LocalSystem, NT AUTHORITY\LocalService,
                         ...\NetworkService */
  SW_ACCOUNT_VIRTUAL, /* NT SERVICE\<name> */
  SW_ACCOUNT_GMSA,    /* DOMAIN\name$: a group managed service account */
  SW_ACCOUNT_USER,    /* DOMAIN\user, .\user, user@domain: needs a password */
  SW_ACCOUNT_INVALID
} sw_account_kind_t;

sw_account_kind_t sw_account_kind(const char *account);

/* Whether the account needs "Log on as a service" granted (gMSA and user
 * accounts; the SCM handles the built-in and virtual ones). */
bool sw_account_needs_logon_right(sw_account_kind_t k);

#endif
