/* SPDX-License-Identifier: MIT */
/*
 * svcwrap's configuration: the INI contract of docs/configuration.md as a
 * struct, its defaults, and the loader that validates a whole file in one
 * pass. Pure: the caller reads the file and supplies the environment; this
 * module does no I/O. A loaded config is immutable and owned by the caller
 * (sw_config_free()).
 */
#ifndef SW_CORE_CONFIG_H
#define SW_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/cmdline.h"
#include "core/ops.h"
#include "core/path.h"
#include "core/probe.h"
#include "core/sbuf.h"

/* Which platform's rules to apply (paths, methods, warnings). */
typedef enum { SW_PLATFORM_POSIX, SW_PLATFORM_WIN } sw_platform_t;

#ifdef _WIN32
#define SW_PLATFORM_NATIVE SW_PLATFORM_WIN
#else
#define SW_PLATFORM_NATIVE SW_PLATFORM_POSIX
#endif

/* Platform masks: where a stop method can be delivered. */
#define SW_PLAT_POSIX (1u << SW_PLATFORM_POSIX)
#define SW_PLAT_WIN   (1u << SW_PLATFORM_WIN)
#define SW_PLAT_ALL   (SW_PLAT_POSIX | SW_PLAT_WIN)

/*
 * Every enum of the INI is one list X(C name, INI name[, more]) in INI
 * order. It makes the enum (below), its name table and its count
 * (config.c), so a value cannot be added to one and not the other.
 */
#define SW_ENUM_ID(id, ...) id,

/* [service] start_type */
#define SW_START_TYPES(X)                                                      \
  X(SW_START_AUTO, "auto")                                                     \
  X(SW_START_DELAYED_AUTO, "delayed-auto")                                     \
  X(SW_START_MANUAL, "manual")                                                 \
  X(SW_START_DISABLED, "disabled")

/* [process] priority */
#define SW_PRIORITIES(X)                                                       \
  X(SW_PRIO_IDLE, "idle")                                                      \
  X(SW_PRIO_BELOW_NORMAL, "below-normal")                                      \
  X(SW_PRIO_NORMAL, "normal")                                                  \
  X(SW_PRIO_ABOVE_NORMAL, "above-normal")                                      \
  X(SW_PRIO_HIGH, "high")

/*
 * [stop] method, with the platforms where each can be delivered (check
 * warns about the others; the backends keep their own delivery code):
 *  ctrl-break  Windows: CTRL_BREAK_EVENT; POSIX: SIGTERM
 *  ctrl-c      Windows: CTRL_C_EVENT; POSIX: SIGINT
 *  event       Windows: SetEvent on the named stop event
 *  wm-close    Windows: WM_CLOSE to the tree's top-level windows
 *  terminate   the whole tree at once: job object / SIGKILL
 */
#define SW_STOP_METHODS(X)                                                     \
  X(SW_STOP_CTRL_BREAK, "ctrl-break", SW_PLAT_ALL)                             \
  X(SW_STOP_CTRL_C, "ctrl-c", SW_PLAT_ALL)                                     \
  X(SW_STOP_EVENT, "event", SW_PLAT_WIN)                                       \
  X(SW_STOP_WM_CLOSE, "wm-close", SW_PLAT_WIN)                                 \
  X(SW_STOP_TERMINATE, "terminate", SW_PLAT_ALL)

/* [restart] policy */
#define SW_RESTART_POLICIES(X)                                                 \
  X(SW_RESTART_NO, "no")                                                       \
  X(SW_RESTART_ALWAYS, "always")                                               \
  X(SW_RESTART_ON_FAILURE, "on-failure")                                       \
  X(SW_RESTART_ON_SUCCESS, "on-success")                                       \
  X(SW_RESTART_ON_ABNORMAL, "on-abnormal")                                     \
  X(SW_RESTART_ON_WATCHDOG, "on-watchdog")

/* [health] ready: how the child says it is up */
#define SW_READY_MODES(X)                                                      \
  X(SW_READY_STARTED, "started")                                               \
  X(SW_READY_NOTIFY, "notify")
/* [hooks]: the commands run around the child's life, in this order */
#define SW_HOOKS(X)                                                            \
  X(SW_HOOK_PRE_START, "pre_start")                                            \
  X(SW_HOOK_POST_START, "post_start")                                          \
  X(SW_HOOK_PRE_STOP, "pre_stop")                                              \
  X(SW_HOOK_POST_STOP, "post_stop")

/* [restart] on_give_up */
#define SW_GIVE_UPS(X)                                                         \
  X(SW_GIVE_UP_FAIL, "fail")                                                   \
  X(SW_GIVE_UP_STOP, "stop")

typedef enum { SW_START_TYPES(SW_ENUM_ID) SW_START__COUNT } sw_start_type_t;
typedef enum { SW_PRIORITIES(SW_ENUM_ID) SW_PRIO__COUNT } sw_priority_t;
typedef enum { SW_STOP_METHODS(SW_ENUM_ID) SW_STOP__COUNT } sw_stop_method_t;
typedef enum {
  SW_RESTART_POLICIES(SW_ENUM_ID) SW_RESTART__COUNT
} sw_restart_policy_t;
typedef enum { SW_GIVE_UPS(SW_ENUM_ID) SW_GIVE_UP__COUNT } sw_give_up_t;
typedef enum { SW_READY_MODES(SW_ENUM_ID) SW_READY__COUNT } sw_ready_mode_t;
typedef enum { SW_HOOKS(SW_ENUM_ID) SW_HOOK__COUNT } sw_hook_t;

/* An enum's INI names, indexed by value. */
typedef struct {
  const char *const *names;
  unsigned n;
} sw_enum_names_t;

extern const sw_enum_names_t sw_start_type_names;
extern const sw_enum_names_t sw_priority_names;
extern const sw_enum_names_t sw_stop_method_names;
extern const sw_enum_names_t sw_restart_policy_names;
extern const sw_enum_names_t sw_give_up_names;
extern const sw_enum_names_t sw_ready_mode_names;
extern const sw_enum_names_t sw_hook_names;

/* The INI name of value v, or "?" if it has none. */
const char *sw_enum_name(const sw_enum_names_t *e, int v);

/* SW_PLAT_* mask of the platforms where method m can be delivered. */
unsigned sw_stop_method_platforms(sw_stop_method_t m);

#define SW_MAX_EXIT_CODES  64
#define SW_CONFIG_MAX_KEYS 64
#define SW_MAX_RECOVERY    8
#define SW_MAX_BURST       1000

/* [restart]: everything the policy engine needs, and nothing else. */
typedef struct {
  sw_restart_policy_t policy;
  uint64_t delay_ms;
  uint64_t max_delay_ms;
  unsigned steps;
  uint64_t reset_after_ms; /* 0: never reset */
  unsigned burst;          /* 0: no limit */
  uint64_t interval_ms;    /* 0: no limit */
  uint32_t success_codes[SW_MAX_EXIT_CODES];
  unsigned n_success;
  uint32_t prevent_codes[SW_MAX_EXIT_CODES];
  unsigned n_prevent;
  sw_give_up_t on_give_up;
} sw_restart_cfg_t;

/* [stop]: the ladder. methods always ends with SW_STOP_TERMINATE. */
typedef struct {
  sw_stop_method_t methods[SW_STOP__COUNT];
  unsigned n_methods;
  uint64_t timeout_ms; /* grace per graceful step */
  char *event_name;    /* owned */
} sw_stop_cfg_t;

/* [health], readiness and watchdog (the sd_notify protocol). */
typedef struct {
  sw_ready_mode_t ready;
  uint64_t ready_timeout_ms; /* 0: wait for READY=1 for ever */
  uint64_t watchdog_ms;      /* 0: off */
} sw_notify_cfg_t;
/* [hooks]: a hook is configured when its argv has an executable. */
typedef struct {
  char *command[SW_HOOK__COUNT];  /* as written, "" for none; owned */
  sw_argv_t argv[SW_HOOK__COUNT]; /* split and expanded; v[0] is the
                                     executable as an absolute path */
  uint64_t timeout_ms;            /* each hook's limit */
} sw_hooks_cfg_t;

/* [metrics]: neither set means no metrics at all (no timer, no socket). */
typedef struct {
  char *textfile;       /* absolute path of the .prom file, "" for none */
  char *listen;         /* as written, "" for none */
  char listen_host[64]; /* parsed from listen: an IPv4/IPv6 literal */
  unsigned listen_port; /* 0 when listen is "" */
  bool allow_remote;    /* a non-loopback listen address was asked for */
  uint64_t interval_ms; /* textfile rewrite period */
} sw_metrics_cfg_t;

typedef struct {
  char *name;  /* owned */
  char *value; /* owned */
} sw_env_var_t;

/* [service] recovery and recovery_reset: the SCM's failure actions for the
 * service itself (Windows), applied when it ends failed. */
typedef struct {
  sw_recovery_action_t actions[SW_MAX_RECOVERY];
  unsigned n;        /* 0: no recovery actions (the default) */
  char *command;     /* owned: run:COMMAND's command, or NULL */
  uint64_t reset_ms; /* failure count reset period, whole seconds */
  char *text;        /* owned: the value as written, for messages */
} sw_recovery_cfg_t;

typedef struct sw_config_s {
  sw_platform_t platform;
  char *path; /* absolute path of the INI */
  char *dir;  /* its folder: base of every relative path */

  /* [service] */
  char *name;
  char *display_name;
  char *description;
  sw_start_type_t start_type;
  sw_argv_t depends_on;
  char *account;
  sw_account_kind_t account_kind;
  sw_recovery_cfg_t recovery;
  char *operators; /* a group allowed to start, stop and control; "" none */

  /* [process] */
  char *executable; /* absolute */
  char *arguments;  /* as written, before splitting */
  sw_argv_t argv;   /* split, each argument %VAR%-expanded */
  char *working_directory;
  sw_priority_t priority;

  /* [environment], in file order */
  sw_env_var_t *env;
  unsigned n_env;

  sw_stop_cfg_t stop;
  sw_restart_cfg_t restart;
  sw_notify_cfg_t notify; /* [health] ready, ready_timeout, watchdog */
  sw_hooks_cfg_t hooks;
  sw_metrics_cfg_t metrics;

  /* [control], in file order: at most one entry per code */
  sw_control_t *controls;
  unsigned n_controls;
  /* [health]: the probe and the resource limits */
  char *probe;                   /* as written; "" when there is none */
  sw_probe_spec_t probe_spec;    /* parsed from it (core/probe.h) */
  uint64_t probe_interval_ms;    /* between the ends of two probes */
  uint64_t probe_timeout_ms;     /* one probe's bound */
  unsigned probe_failures;       /* consecutive failures before a restart */
  uint64_t probe_start_delay_ms; /* after the child's start */
  uint64_t memory_max;           /* bytes for the whole tree; 0: none */
  unsigned cpu_max;              /* % of one CPU for the whole tree; 0: none */
  uint64_t cpu_window_ms;        /* how long cpu_max must be exceeded */

  /* [log] */
  char *log_dir;
  char *stdout_path;
  char *stderr_path; /* equal to stdout_path when merged */
  uint64_t log_max_size;
  unsigned log_keep;
  bool log_timestamps;
  unsigned tail_lines;

  /* Line of each key in the file (0: default), for later diagnostics;
   * read with sw_config_key_line(). */
  int key_lines[SW_CONFIG_MAX_KEYS];
} sw_config_t;

/* The SCM's form of [service] recovery (SERVICE_FAILURE_ACTIONS): type is
 * SC_ACTION_TYPE's value (sw_recovery_kind_t), delays in ms. */
typedef struct {
  uint32_t type;
  uint32_t delay_ms;
} sw_sc_action_t;

/* Fill out[0..SW_MAX_RECOVERY) with r's actions and *reset_s with its
 * reset period in seconds; returns the number of actions. */
unsigned sw_recovery_sc_actions(const sw_recovery_cfg_t *r, sw_sc_action_t *out,
                                uint32_t *reset_s);

/* The action of control code `code` (SW_CONTROL_RELOAD for reload), or
 * NULL if [control] does not map it. */
const sw_control_t *sw_config_control(const sw_config_t *c, unsigned code);

/* The line where [section] key was set, or 0 if it took its default. */
int sw_config_key_line(const sw_config_t *c, const char *section,
                       const char *key);

/*
 * The INI contract as data: one row per key (the table is in
 * config_load.c). Loading, check's dump, freeing, key lookups and the docs
 * test are all driven from it, so adding a key is its row, its field and
 * its use, plus the docs.
 */
typedef enum {
  SW_KEY_STRING,   /* char *: quotes around the whole value removed */
  SW_KEY_PATH,     /* char *: resolved to an absolute path */
  SW_KEY_DURATION, /* uint64_t ms in [min, max] */
  SW_KEY_SIZE,     /* uint64_t bytes, at least min */
  SW_KEY_UINT,     /* unsigned in [min, max] */
  SW_KEY_BOOL,     /* bool */
  SW_KEY_ENUM,     /* an enum (int-sized) named by `names` */
  SW_KEY_LIST,     /* sw_argv_t: a comma-separated list */
  SW_KEY_CODES,    /* uint32_t[SW_MAX_EXIT_CODES] + unsigned count */
  SW_KEY_LADDER    /* sw_stop_cfg_t's methods + n_methods */
} sw_key_type_t;

enum {
  SW_KEY_RAW = 1,       /* the value reaches apply unexpanded */
  SW_KEY_IN_LOG_DIR = 2 /* SW_KEY_PATH: relative to [log] directory */
};

typedef struct sw_loader_s sw_loader_t;
/* A key's own parser, for values no type describes (name, account, ...).
 * Reports problems through the loader; stores into the config. */
typedef void sw_key_apply_fn(sw_loader_t *L, char *value);
struct sw_config_s;
/* A key's own dump line(s), for a field no type prints as it reads back. */
typedef void sw_key_dump_fn(const struct sw_config_s *c, sw_sbuf_t *b);

typedef struct {
  const char *section;
  const char *key;
  sw_key_type_t type;
  size_t off;       /* offsetof the field in sw_config_t */
  size_t count_off; /* SW_KEY_CODES, SW_KEY_LADDER: offsetof its count */
  const char *def;  /* the default as INI text; NULL: required */
  uint64_t min, max;
  const sw_enum_names_t *names; /* SW_KEY_ENUM */
  unsigned flags;               /* SW_KEY_* */
  sw_key_apply_fn *apply;       /* NULL: parsed by type */
  sw_key_dump_fn *dump;         /* NULL: dumped by type */
} sw_key_t;

/* Row i of the key table, in load order; NULL past its end. */
const sw_key_t *sw_config_key_at(unsigned i);

/* The sections, in file order (the table's keys and [environment]);
 * NULL past the end. */
const char *sw_config_section_at(unsigned i);

/* One finding of the loader: an error, or a warning that does not stop
 * the config from loading. line 0 means the file as a whole. */
typedef struct {
  bool is_error;
  int line;
  char *text; /* owned; "[section] key: what is wrong; what is accepted" */
} sw_diag_t;

typedef struct {
  sw_diag_t *v;
  unsigned n;
  unsigned n_errors;
} sw_diags_t;

/* Looks up an environment variable for %NAME% expansion. Returns a heap
 * string the caller frees, or NULL if it is not set. */
typedef char *sw_getenv_fn(const char *name, void *data);

/*
 * Parse and validate the INI text `text` (len bytes, need not be
 * NUL-terminated) read from the absolute path `path`. Every problem is
 * added to *diags (initialise with {0}; free with sw_diags_free()), all in
 * one pass. Returns 0 and a config in *out (free with sw_config_free())
 * when there is no error; SW_ECONFIG when there is at least one (then *out
 * is NULL); SW_ENOMEM.
 * Runs on: any thread (no global state).
 */
int sw_config_parse(const char *path, const char *text, size_t len,
                    sw_platform_t platform, sw_getenv_fn *getenv_fn,
                    void *getenv_data, sw_config_t **out, sw_diags_t *diags);

void sw_config_free(sw_config_t *c);
void sw_diags_free(sw_diags_t *d);

/* Add a finding (used by the loader and by the file-reading caller).
 * Returns 0 or SW_ENOMEM. */
int sw_diags_add(sw_diags_t *d, bool is_error, int line, const char *fmt, ...)
    SW_PRINTF(4, 5);

/*
 * Write the resolved configuration as INI text (absolute paths, durations
 * in ms, sizes in bytes) that sw_config_parse() accepts again, into a heap
 * string *out. Returns 0 or SW_ENOMEM.
 */
int sw_config_dump(const sw_config_t *c, char **out);

/* Whether hook h is configured. */
bool sw_config_has_hook(const sw_config_t *c, sw_hook_t h);
/* Whether [metrics] asks for anything (a textfile or a listener). */
bool sw_config_has_metrics(const sw_config_t *c);

/* Names used in the INI and in messages (sw_enum_name() shorthands). */
const char *sw_stop_method_name(sw_stop_method_t m);
const char *sw_restart_policy_name(sw_restart_policy_t p);

/* The ladder's longest duration: graceful steps' grace plus an allowance
 * for terminate, in ms (used for wait hints and the preshutdown timeout). */
uint64_t sw_config_stop_budget_ms(const sw_config_t *c);

#endif
