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
#include "core/path.h"

/* Which platform's rules to apply (paths, methods, warnings). */
typedef enum { SW_PLATFORM_POSIX, SW_PLATFORM_WIN } sw_platform_t;

#ifdef _WIN32
#define SW_PLATFORM_NATIVE SW_PLATFORM_WIN
#else
#define SW_PLATFORM_NATIVE SW_PLATFORM_POSIX
#endif

typedef enum {
  SW_START_AUTO,
  SW_START_DELAYED_AUTO,
  SW_START_MANUAL,
  SW_START_DISABLED
} sw_start_type_t;

typedef enum {
  SW_PRIO_IDLE,
  SW_PRIO_BELOW_NORMAL,
  SW_PRIO_NORMAL,
  SW_PRIO_ABOVE_NORMAL,
  SW_PRIO_HIGH
} sw_priority_t;

typedef enum {
  SW_STOP_CTRL_BREAK, /* Windows: CTRL_BREAK_EVENT; POSIX: SIGTERM */
  SW_STOP_CTRL_C,     /* Windows: CTRL_C_EVENT; POSIX: SIGINT */
  SW_STOP_EVENT,      /* Windows: SetEvent on the named stop event */
  SW_STOP_WM_CLOSE,   /* Windows: WM_CLOSE to the tree's top-level windows */
  SW_STOP_TERMINATE,  /* the whole tree at once: job object / SIGKILL */
  SW_STOP__COUNT
} sw_stop_method_t;

typedef enum {
  SW_RESTART_NO,
  SW_RESTART_ALWAYS,
  SW_RESTART_ON_FAILURE,
  SW_RESTART_ON_SUCCESS,
  SW_RESTART_ON_ABNORMAL
} sw_restart_policy_t;

typedef enum { SW_GIVE_UP_FAIL, SW_GIVE_UP_STOP } sw_give_up_t;

#define SW_MAX_EXIT_CODES  64
#define SW_CONFIG_MAX_KEYS 48
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

typedef struct {
  char *name;  /* owned */
  char *value; /* owned */
} sw_env_var_t;

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

/* The line where [section] key was set, or 0 if it took its default. */
int sw_config_key_line(const sw_config_t *c, const char *section,
                       const char *key);

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
 * Runs on: any one thread at a time (inih's options are process-global).
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

/* Names used in the INI and in messages. */
const char *sw_stop_method_name(sw_stop_method_t m);
const char *sw_restart_policy_name(sw_restart_policy_t p);

/* The ladder's longest duration: graceful steps' grace plus an allowance
 * for terminate, in ms (used for wait hints and the preshutdown timeout). */
uint64_t sw_config_stop_budget_ms(const sw_config_t *c);

#endif
