/* SPDX-License-Identifier: MIT */
/*
 * The fake OS backend: src/os/os.h for unit tests, never linked into a
 * shipped binary. A test fills in sw_fake's script (what each spawned
 * child does, which requests the host delivers, and when), runs run.c,
 * then reads what happened: every host report, event log entry and stop
 * method sent. It runs the real libuv loop; the script's times are real
 * but short (ms) timers, counted from the spawn (a child's) or from
 * sw_os_host_attach() (the host's requests), so events scripted apart
 * happen in the scripted order however loaded the machine is. No process
 * is started. One job per file: child.c, host.c, eventlog.c, misc.c.
 */
#ifndef SW_OS_FAKE_FAKE_H
#define SW_OS_FAKE_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "os/os.h"

/* How a fake child takes a stop method. */
typedef enum {
  SW_FAKE_IGNORE = 0,   /* delivered; nothing happens */
  SW_FAKE_EXIT,         /* delivered; exits ms later with code/signal */
  SW_FAKE_UNDELIVERABLE /* sw_os_child_stop() fails: cannot be delivered */
} sw_fake_reaction_kind_t;

typedef struct {
  sw_fake_reaction_kind_t kind;
  uint64_t ms;
  uint32_t code;
  int signal;
} sw_fake_reaction_t;

/* Output: text on stream 1 (stdout) or 2 (stderr), at_ms after the
 * spawn; stream SW_FAKE_NOTIFY (0): text is an sd_notify message to the
 * open receiver (sw_os_notify_open). Chunks are in time order. */
#define SW_FAKE_NOTIFY 0
typedef struct {
  uint64_t at_ms;
  int stream;
  const char *text;
} sw_fake_chunk_t;

#define SW_FAKE_MAX_CHUNKS 8

/* One spawn's child. */
typedef struct {
  int spawn_error; /* not 0: sw_os_spawn() fails with this SW_E* code */
  sw_fake_chunk_t out[SW_FAKE_MAX_CHUNKS];
  unsigned n_out;
  bool exits; /* on its own, exit_ms after the spawn, with code/signal */
  uint64_t exit_ms;
  uint32_t code;
  int signal;
  sw_fake_reaction_t on_stop[SW_STOP__COUNT]; /* per method */
  /* MAINPID=: the one pid of its tree sw_os_child_follow() accepts (0:
   * none), and whether that process exits on its own, main_exit_ms after
   * the spawn, with main_code. A stop reaction's exit is the main
   * process's when one is followed. */
  int main_pid;
  bool main_exits;
  uint64_t main_exit_ms;
  uint32_t main_code;
} sw_fake_child_t;

typedef enum {
  SW_FAKE_REQ_STOP,     /* on_stop(SW_STOP_REQ_STOP) */
  SW_FAKE_REQ_SHUTDOWN, /* on_stop(SW_STOP_REQ_SHUTDOWN) */
  SW_FAKE_REQ_FORCE,    /* on_stop(SW_STOP_REQ_FORCE) */
  SW_FAKE_REQ_ROTATE,   /* on_rotate() */
  SW_FAKE_REQ_CONTROL   /* on_control(code) if accepted, else refused */
} sw_fake_req_kind_t;

/* A request the host delivers at_ms after sw_os_host_attach(). In time
 * order. */
typedef struct {
  uint64_t at_ms;
  sw_fake_req_kind_t kind;
  unsigned code; /* SW_FAKE_REQ_CONTROL */
} sw_fake_request_t;

typedef struct {
  sw_host_state_t state;
  uint64_t wait_hint_ms;
  int exit_code;
} sw_fake_report_t;

typedef struct {
  sw_log_level_t level;
  char *text; /* heap; sw_fake_reset() frees it */
} sw_fake_entry_t;

#define SW_FAKE_MAX_RECORDS 64

typedef struct {
  /* ---- the script (the test sets these) ---- */
  const char *dir;                 /* a folder for the endpoint and its lock */
  const sw_fake_child_t *children; /* spawn k runs children[k] */
  unsigned n_children;
  const sw_fake_request_t *requests;
  unsigned n_requests;
  bool is_service;  /* sw_os_host_is_service() */
  bool show_stderr; /* else stderr counts as the null device */
  int attach_error; /* not 0: sw_os_host_attach() fails with it */
  /* [health]: what sw_os_tree_usage() reports for the child (health.c);
   * the fake holds no memory limit and runs no helper (SW_ENOSYS). */
  sw_tree_usage_t usage;
  unsigned n_usage_reads; /* sw_os_tree_usage() calls */

  /* ---- what happened (the backend records) ---- */
  char service_name[128]; /* given to sw_os_host_run() */
  unsigned n_spawns;      /* sw_os_spawn() calls, failed ones too */
  unsigned n_live;        /* children not yet freed */
  sw_fake_report_t reports[SW_FAKE_MAX_RECORDS];
  unsigned n_reports;
  sw_fake_entry_t entries[SW_FAKE_MAX_RECORDS];
  unsigned n_entries;
  sw_stop_method_t stops[SW_FAKE_MAX_RECORDS]; /* every method tried */
  int stop_pids[SW_FAKE_MAX_RECORDS];          /* ... aimed at this pid */
  unsigned n_stops;
  unsigned n_follows; /* sw_os_child_follow() calls that were accepted */
  unsigned n_requests_done;
  unsigned n_controls_refused;           /* control codes the host refused */
  char signals[SW_FAKE_MAX_RECORDS][16]; /* sw_os_child_signal() names */
  int signal_pids[SW_FAKE_MAX_RECORDS];  /* ... aimed at this pid */
  unsigned n_signals;
  bool event_open, event_closed;
  unsigned overflow;      /* records that found their array full */
  unsigned n_notify_open; /* sw_os_notify_open() calls */
  unsigned n_notify_lost; /* messages sent while no receiver was open */
} sw_fake_t;

extern sw_fake_t sw_fake;

/* Deliver an sd_notify message to the open receiver (notify.c). */
void sw__fake_notify(const char *msg);

/* Forget the script and the records (freeing the entries' texts). */
void sw_fake_reset(void);

#endif
