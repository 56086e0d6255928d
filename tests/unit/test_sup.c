/* SPDX-License-Identifier: MIT */
/*
 * core/sup.c: the supervisor's state x event table, walked cell by cell,
 * then the paths through it that matter: the stop ladder, a step that
 * cannot be delivered, a forced stop, backoff and restart, spawn failures,
 * give-up and the exit code reported for it.
 */
#include "unit.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/events.h"
#include "core/sup.h"

#define TERM_WAIT 2000
#define GRACE     5000
#define WALL0     1700000000000ULL

typedef struct {
  sw_restart_cfg_t restart;
  sw_stop_cfg_t stop;
  sw_sup_t sup;
  uint64_t now;
  bool hooks; /* all four hooks configured */
} fixture_t;

/* on-failure, a fixed 100 ms delay, no burst limit, code 7 prevented;
 * the ladder ctrl-break, ctrl-c, terminate with 5 s of grace. */
static void fixture_init(fixture_t *f) {
  memset(f, 0, sizeof(*f));
  f->restart.policy = SW_RESTART_ON_FAILURE;
  f->restart.delay_ms = 100;
  f->restart.max_delay_ms = 100;
  f->restart.success_codes[0] = 0;
  f->restart.n_success = 1;
  f->restart.prevent_codes[0] = 7;
  f->restart.n_prevent = 1;
  f->restart.on_give_up = SW_GIVE_UP_FAIL;
  f->stop.methods[0] = SW_STOP_CTRL_BREAK;
  f->stop.methods[1] = SW_STOP_CTRL_C;
  f->stop.methods[2] = SW_STOP_TERMINATE;
  f->stop.n_methods = 3;
  f->stop.timeout_ms = GRACE;
  f->now = 1000;
  sw_sup_init(&f->sup, &f->restart, &f->stop, TERM_WAIT);
}

static sw_input_t ev_in(const fixture_t *f, sw_event_t ev) {
  sw_input_t in;

  memset(&in, 0, sizeof(in));
  in.ev = ev;
  in.now_ms = f->now;
  in.wall_ms = WALL0 + f->now;
  return in;
}

static void fixture_hooks(fixture_t *f) {
  static const bool all[SW_HOOK__COUNT] = {true, true, true, true};

  f->hooks = true;
  sw_sup_set_hooks(&f->sup, all, 30000);
}

/* The hook a state waits for (post_start where none is awaited). */
static sw_hook_t awaited_hook(sw_state_t st) {
  switch (st) {
  case SW_ST_PRE_START:
    return SW_HOOK_PRE_START;
  case SW_ST_PRE_STOP:
    return SW_HOOK_PRE_STOP;
  case SW_ST_POST_STOP:
    return SW_HOOK_POST_STOP;
  default:
    return SW_HOOK_POST_START;
  }
}

/* Hook h ended with code (signal 0). */
static void feed_hook(fixture_t *f, sw_hook_t h, uint32_t code,
                      bool timed_out) {
  sw_input_t in = ev_in(f, SW_EV_HOOK_DONE);

  in.hook = h;
  in.code = code;
  in.timed_out = timed_out;
  sw_sup_step(&f->sup, &in);
}

/* Feed one event at the fixture's time. */
static void feed(fixture_t *f, sw_event_t ev) {
  sw_input_t in = ev_in(f, ev);

  if (ev == SW_EV_SPAWNED) in.pid = 4242;
  if (ev == SW_EV_EXIT || ev == SW_EV_SPAWN_FAILED) in.code = 1;
  if (ev == SW_EV_HOOK_DONE) in.hook = awaited_hook(f->sup.state);
  if (ev == SW_EV_UNHEALTHY) {
    in.cls = SW_CLASS_UNHEALTHY;
    in.why = "probe failed";
  }
  sw_sup_step(&f->sup, &in);
}

static void feed_exit(fixture_t *f, uint32_t code, int sig) {
  sw_input_t in = ev_in(f, SW_EV_EXIT);

  in.code = code;
  in.signal = sig;
  sw_sup_step(&f->sup, &in);
}

static void feed_stop(fixture_t *f, bool force) {
  sw_input_t in = ev_in(f, SW_EV_STOP);

  in.force = force;
  sw_sup_step(&f->sup, &in);
}

/* Assert the commands of the last step, kind by kind. */
static void expect_cmds(const sw_sup_t *sup, unsigned n,
                        const sw_cmd_kind_t *kinds) {
  unsigned i;

  if (sup->nout != n)
    fail_msg("%u commands, want %u (state %s)", sup->nout, n,
             sw_state_name(sup->state));
  for (i = 0; i < n; i++)
    if (sup->out[i].kind != kinds[i])
      fail_msg("command %u is kind %d, want %d", i, sup->out[i].kind, kinds[i]);
}

#define EXPECT_CMDS(sup, ...)                                                  \
  do {                                                                         \
    static const sw_cmd_kind_t k_[] = {__VA_ARGS__};                           \
    expect_cmds(sup, (unsigned)(sizeof(k_) / sizeof(k_[0])), k_);              \
  } while (0)
#define EXPECT_NO_CMDS(sup) expect_cmds(sup, 0, NULL)

static void expect_send(const sw_cmd_t *c, sw_stop_method_t m) {
  assert_int_equal(c->kind, SW_CMD_SEND_STOP);
  assert_int_equal(c->method, m);
}

static void expect_evt(const sw_cmd_t *c, sw_evt_t evt, sw_evt_level_t level) {
  assert_int_equal(c->kind, SW_CMD_EVENT_LOG);
  assert_int_equal(c->evt, evt);
  assert_int_equal(c->level, level);
}

static void expect_timer(const sw_cmd_t *c, uint64_t ms) {
  assert_int_equal(c->kind, SW_CMD_ARM_TIMER);
  assert_int_equal(c->ms, ms);
}

/* With all hooks: bring a fresh fixture into `st` through real events. */
static void goto_hook_state(fixture_t *f, sw_state_t st) {
  fixture_init(f);
  fixture_hooks(f);
  if (st != SW_ST_STOPPED) feed(f, SW_EV_START); /* pre-start */
  if (st != SW_ST_STOPPED && st != SW_ST_PRE_START)
    feed_hook(f, SW_HOOK_PRE_START, 0, false); /* starting */
  if (st != SW_ST_STOPPED && st != SW_ST_PRE_START && st != SW_ST_STARTING)
    feed(f, SW_EV_SPAWNED); /* running */
  f->now += 10;
  switch (st) {
  case SW_ST_PRE_STOP:
    feed_stop(f, false);
    break;
  case SW_ST_STOPPING:
    feed_stop(f, false);
    feed_hook(f, SW_HOOK_PRE_STOP, 0, false);
    break;
  case SW_ST_POST_STOP:
    feed_exit(f, 1, 0);
    break;
  case SW_ST_BACKOFF:
    feed_exit(f, 1, 0);
    feed_hook(f, SW_HOOK_POST_STOP, 0, false);
    break;
  case SW_ST_FAILED:
    feed_exit(f, 7, 0); /* prevented */
    feed_hook(f, SW_HOOK_POST_STOP, 0, false);
    break;
  default:
    break;
  }
  assert_int_equal(f->sup.state, st);
  f->now += 10;
}

/* Bring a fresh fixture into `st` through real events. */
static void goto_state(fixture_t *f, sw_state_t st) {
  fixture_init(f);
  switch (st) {
  case SW_ST_STOPPED:
    return; /* the initial state */
  case SW_ST_STARTING:
    feed(f, SW_EV_START);
    break;
  case SW_ST_RUNNING:
    feed(f, SW_EV_START);
    feed(f, SW_EV_SPAWNED);
    break;
  case SW_ST_BACKOFF:
    feed(f, SW_EV_START);
    feed(f, SW_EV_SPAWNED);
    f->now += 10;
    feed_exit(f, 1, 0);
    break;
  case SW_ST_STOPPING:
    feed(f, SW_EV_START);
    feed(f, SW_EV_SPAWNED);
    f->now += 10;
    feed_stop(f, false);
    break;
  case SW_ST_FAILED:
    feed(f, SW_EV_START);
    feed(f, SW_EV_SPAWNED);
    f->now += 10;
    feed_exit(f, 7, 0); /* prevented: fails at once */
    break;
  default:
    break;
  }
  assert_int_equal(f->sup.state, st);
  f->now += 10;
}

/* ---- the whole table ----------------------------------------------------- */

#define BUG       (-1)
#define SPAWN     SW_CMD_SPAWN
#define SEND      SW_CMD_SEND_STOP
#define ARM       SW_CMD_ARM_TIMER
#define CANCEL    SW_CMD_CANCEL_TIMER
#define FINISH    SW_CMD_FINISH
#define ABANDON   SW_CMD_ABANDON
#define EVLOG     SW_CMD_EVENT_LOG
#define NO_EVT    (-1)
#define RUN       SW_CMD_RUN_HOOK
#define KILL      SW_CMD_KILL_HOOK
#define UNREACHED (-2)

typedef struct {
  int next;   /* next state, or BUG: the event cannot happen there */
  unsigned n; /* commands */
  sw_cmd_kind_t cmds[SW_SUP_MAX_CMDS];
  int evt;   /* the SW_CMD_EVENT_LOG's entry (sw_evt_t), or NO_EVT */
  int level; /* and its level */
} cell_t;

/*
 * Every (state, event), with the event log entry it writes. Events carry
 * code 1 (a failure: on-failure restarts it, a crash entry), pid 4242 and
 * force = false; the fixture's first start has no restarts yet, so
 * starting + spawned is the "started" entry. BUG cells assert in sw_sup.c
 * (act_bug); table_bug_cells_abort checks that in a child process.
 */
/* clang-format off */
static const cell_t table[SW_ST__COUNT][SW_EV__COUNT] = {
  [SW_ST_STARTING] = {
    [SW_EV_START]        = {SW_ST_STARTING, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWNED]      = {SW_ST_RUNNING, 1, {EVLOG}, SW_EVT_STARTED, SW_EVT_INFO},
    [SW_EV_SPAWN_FAILED] = {SW_ST_BACKOFF, 1, {ARM}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = {SW_ST_STARTING, 0, {0}, NO_EVT, 0},
    [SW_EV_STOP]         = {SW_ST_STARTING, 0, {0}, NO_EVT, 0},
    [SW_EV_STEP_FAILED]  = {SW_ST_STARTING, 0, {0}, NO_EVT, 0},
    [SW_EV_UNHEALTHY]    = {SW_ST_STARTING, 0, {0}, NO_EVT, 0},
    [SW_EV_HOOK_DONE]    = {SW_ST_STARTING, 0, {0}, NO_EVT, 0},
  },
  [SW_ST_RUNNING] = {
    [SW_EV_START]        = {SW_ST_RUNNING, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {SW_ST_BACKOFF, 2, {ARM, EVLOG}, SW_EVT_CRASHED, SW_EVT_WARNING},
    [SW_EV_TIMER]        = {SW_ST_RUNNING, 0, {0}, NO_EVT, 0},
    [SW_EV_STOP]         = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0},
    [SW_EV_STEP_FAILED]  = {SW_ST_RUNNING, 0, {0}, NO_EVT, 0},
    [SW_EV_UNHEALTHY]    = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0},
    [SW_EV_HOOK_DONE]    = {SW_ST_RUNNING, 0, {0}, NO_EVT, 0},
  },
  [SW_ST_BACKOFF] = {
    [SW_EV_START]        = {SW_ST_BACKOFF, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = {SW_ST_STARTING, 1, {SPAWN}, NO_EVT, 0},
    [SW_EV_STOP]         = {SW_ST_STOPPED, 3, {CANCEL, EVLOG, FINISH}, SW_EVT_STOPPED, SW_EVT_INFO},
    [SW_EV_STEP_FAILED]  = {SW_ST_BACKOFF, 0, {0}, NO_EVT, 0},
    [SW_EV_UNHEALTHY]    = {SW_ST_BACKOFF, 0, {0}, NO_EVT, 0},
    [SW_EV_HOOK_DONE]    = {SW_ST_BACKOFF, 0, {0}, NO_EVT, 0},
  },
  [SW_ST_STOPPING] = {
    [SW_EV_START]        = {SW_ST_STOPPING, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {SW_ST_STOPPED, 3, {CANCEL, EVLOG, FINISH}, SW_EVT_STOPPED, SW_EVT_INFO},
    [SW_EV_TIMER]        = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0},
    [SW_EV_STOP]         = {SW_ST_STOPPING, 0, {0}, NO_EVT, 0},
    [SW_EV_STEP_FAILED]  = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0},
    [SW_EV_UNHEALTHY]    = {SW_ST_STOPPING, 0, {0}, NO_EVT, 0},
    [SW_EV_HOOK_DONE]    = {SW_ST_STOPPING, 0, {0}, NO_EVT, 0},
  },
  [SW_ST_STOPPED] = {
    [SW_EV_START]        = {SW_ST_STARTING, 1, {SPAWN}, NO_EVT, 0},
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = {SW_ST_STOPPED, 0, {0}, NO_EVT, 0},
    [SW_EV_STOP]         = {SW_ST_STOPPED, 0, {0}, NO_EVT, 0},
    [SW_EV_STEP_FAILED]  = {SW_ST_STOPPED, 0, {0}, NO_EVT, 0},
    [SW_EV_UNHEALTHY]    = {SW_ST_STOPPED, 0, {0}, NO_EVT, 0},
    [SW_EV_HOOK_DONE]    = {SW_ST_STOPPED, 0, {0}, NO_EVT, 0},
  },
  [SW_ST_FAILED] = {
    [SW_EV_START]        = {SW_ST_FAILED, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = {SW_ST_FAILED, 0, {0}, NO_EVT, 0},
    [SW_EV_STOP]         = {SW_ST_FAILED, 0, {0}, NO_EVT, 0},
    [SW_EV_STEP_FAILED]  = {SW_ST_FAILED, 0, {0}, NO_EVT, 0},
    [SW_EV_UNHEALTHY]    = {SW_ST_FAILED, 0, {0}, NO_EVT, 0},
    [SW_EV_HOOK_DONE]    = {SW_ST_FAILED, 0, {0}, NO_EVT, 0},
  },
  /* Unreachable without hooks: walked in hook_table. */
  [SW_ST_PRE_START] = {{UNREACHED, 0, {0}, NO_EVT, 0}},
  [SW_ST_PRE_STOP]  = {{UNREACHED, 0, {0}, NO_EVT, 0}},
  [SW_ST_POST_STOP] = {{UNREACHED, 0, {0}, NO_EVT, 0}},
};

/*
 * The same with all four hooks configured. HOOK_DONE carries the hook the
 * state waits for (pre_start in pre-start, pre_stop in pre-stop, post_stop
 * in post-stop, else post_start), exit code 0: a hook that succeeded. The
 * child's exit (code 1) waits for post_stop, and its entries with it.
 */
#define NOP(st) {st, 0, {0}, NO_EVT, 0}
static const cell_t hook_table[SW_ST__COUNT][SW_EV__COUNT] = {
  [SW_ST_STARTING] = {
    [SW_EV_START]        = NOP(SW_ST_STARTING),
    [SW_EV_SPAWNED]      = {SW_ST_RUNNING, 2, {EVLOG, RUN}, SW_EVT_STARTED, SW_EVT_INFO},
    [SW_EV_SPAWN_FAILED] = {SW_ST_BACKOFF, 1, {ARM}, NO_EVT, 0}, /* never ran: no post_stop */
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = NOP(SW_ST_STARTING),
    [SW_EV_STOP]         = NOP(SW_ST_STARTING),
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_STARTING),
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_STARTING),
    [SW_EV_HOOK_DONE]    = NOP(SW_ST_STARTING),
  },
  [SW_ST_RUNNING] = {
    [SW_EV_START]        = NOP(SW_ST_RUNNING),
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {SW_ST_POST_STOP, 1, {RUN}, NO_EVT, 0},
    [SW_EV_TIMER]        = NOP(SW_ST_RUNNING),
    [SW_EV_STOP]         = {SW_ST_PRE_STOP, 1, {RUN}, NO_EVT, 0},
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_RUNNING),
    [SW_EV_UNHEALTHY]    = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0}, /* no pre_stop */
    [SW_EV_HOOK_DONE]    = NOP(SW_ST_RUNNING),
  },
  [SW_ST_BACKOFF] = {
    [SW_EV_START]        = NOP(SW_ST_BACKOFF),
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = {SW_ST_PRE_START, 1, {RUN}, NO_EVT, 0},
    [SW_EV_STOP]         = {SW_ST_STOPPED, 3, {CANCEL, EVLOG, FINISH}, SW_EVT_STOPPED, SW_EVT_INFO},
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_BACKOFF),
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_BACKOFF),
    [SW_EV_HOOK_DONE]    = NOP(SW_ST_BACKOFF),
  },
  [SW_ST_STOPPING] = {
    [SW_EV_START]        = NOP(SW_ST_STOPPING),
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {SW_ST_POST_STOP, 2, {CANCEL, RUN}, NO_EVT, 0},
    [SW_EV_TIMER]        = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0},
    [SW_EV_STOP]         = NOP(SW_ST_STOPPING),
    [SW_EV_STEP_FAILED]  = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0},
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_STOPPING),
    [SW_EV_HOOK_DONE]    = NOP(SW_ST_STOPPING),
  },
  [SW_ST_STOPPED] = {
    [SW_EV_START]        = {SW_ST_PRE_START, 1, {RUN}, NO_EVT, 0},
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = NOP(SW_ST_STOPPED),
    [SW_EV_STOP]         = NOP(SW_ST_STOPPED),
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_STOPPED),
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_STOPPED),
    [SW_EV_HOOK_DONE]    = NOP(SW_ST_STOPPED),
  },
  [SW_ST_FAILED] = {
    [SW_EV_START]        = NOP(SW_ST_FAILED),
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = NOP(SW_ST_FAILED),
    [SW_EV_STOP]         = NOP(SW_ST_FAILED),
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_FAILED),
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_FAILED),
    [SW_EV_HOOK_DONE]    = NOP(SW_ST_FAILED),
  },
  [SW_ST_PRE_START] = {
    [SW_EV_START]        = NOP(SW_ST_PRE_START),
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = NOP(SW_ST_PRE_START),
    [SW_EV_STOP]         = NOP(SW_ST_PRE_START), /* waits for the hook */
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_PRE_START),
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_PRE_START),
    [SW_EV_HOOK_DONE]    = {SW_ST_STARTING, 1, {SPAWN}, NO_EVT, 0},
  },
  [SW_ST_PRE_STOP] = {
    [SW_EV_START]        = NOP(SW_ST_PRE_STOP),
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {SW_ST_POST_STOP, 3, {KILL, CANCEL, RUN}, NO_EVT, 0},
    [SW_EV_TIMER]        = NOP(SW_ST_PRE_STOP),
    [SW_EV_STOP]         = NOP(SW_ST_PRE_STOP),
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_PRE_STOP),
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_PRE_STOP),
    [SW_EV_HOOK_DONE]    = {SW_ST_STOPPING, 2, {SEND, ARM}, NO_EVT, 0},
  },
  [SW_ST_POST_STOP] = {
    [SW_EV_START]        = NOP(SW_ST_POST_STOP),
    [SW_EV_SPAWNED]      = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_SPAWN_FAILED] = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_EXIT]         = {BUG, 0, {0}, NO_EVT, 0},
    [SW_EV_TIMER]        = NOP(SW_ST_POST_STOP),
    [SW_EV_STOP]         = NOP(SW_ST_POST_STOP), /* waits for the hook */
    [SW_EV_STEP_FAILED]  = NOP(SW_ST_POST_STOP),
    [SW_EV_UNHEALTHY]    = NOP(SW_ST_POST_STOP),
    [SW_EV_HOOK_DONE]    = {SW_ST_BACKOFF, 2, {ARM, EVLOG}, SW_EVT_CRASHED, SW_EVT_WARNING},
  },
};
/* clang-format on */

/* Walk every reachable, non-BUG cell of t; returns how many. */
static int walk(const cell_t t[SW_ST__COUNT][SW_EV__COUNT], bool hooks) {
  const char *tag = hooks ? "hooks: " : "";
  int s, e, checked = 0;

  for (s = 0; s < SW_ST__COUNT; s++) {
    for (e = 0; e < SW_EV__COUNT; e++) {
      const cell_t *c = &t[s][e];
      const char *sn = sw_state_name((sw_state_t)s);
      const char *en = sw_event_name((sw_event_t)e);
      fixture_t f;
      unsigned i;

      if (c->next == BUG || t[s][0].next == UNREACHED)
        continue; /* asserts: covered by table_bug_cells_abort */
      if (hooks)
        goto_hook_state(&f, (sw_state_t)s);
      else
        goto_state(&f, (sw_state_t)s);
      feed(&f, (sw_event_t)e);
      if ((int)f.sup.state != c->next)
        fail_msg("%s%s + %s -> %s, want %s", tag, sn, en,
                 sw_state_name(f.sup.state),
                 sw_state_name((sw_state_t)c->next));
      if (f.sup.nout != c->n)
        fail_msg("%s%s + %s: %u commands, want %u", tag, sn, en, f.sup.nout,
                 c->n);
      /* The executor's event queue relies on this bound (sup.h). */
      assert_true(f.sup.nout <= SW_SUP_MAX_CMDS);
      {
        unsigned feeding = 0;

        for (i = 0; i < f.sup.nout; i++)
          feeding += f.sup.out[i].kind == SPAWN || f.sup.out[i].kind == SEND ||
                     f.sup.out[i].kind == RUN;
        assert_true(feeding <= SW_SUP_MAX_FEEDING);
      }
      for (i = 0; i < c->n; i++) {
        if (f.sup.out[i].kind != c->cmds[i])
          fail_msg("%s%s + %s: command %u is %d, want %d", tag, sn, en, i,
                   f.sup.out[i].kind, c->cmds[i]);
        if (c->cmds[i] == EVLOG && ((int)f.sup.out[i].evt != c->evt ||
                                    (int)f.sup.out[i].level != c->level))
          fail_msg("%s%s + %s: entry %d level %d, want %d level %d", tag, sn,
                   en, f.sup.out[i].evt, f.sup.out[i].level, c->evt, c->level);
      }
      {
        unsigned entries = 0;

        for (i = 0; i < f.sup.nout; i++)
          entries += f.sup.out[i].kind == EVLOG;
        assert_int_equal(entries, c->evt == NO_EVT ? 0 : 1);
      }
      assert_int_equal(sw_sup_is_final(&f.sup),
                       c->next == SW_ST_STOPPED || c->next == SW_ST_FAILED);
      checked++;
    }
  }
  return checked;
}

static void table_walk(void **state) {
  (void)state;
  assert_int_equal(walk(table, false), 40);     /* 54 cells, 14 of them BUG */
  assert_int_equal(walk(hook_table, true), 59); /* 81 cells, 22 BUG */
}

/* Each BUG cell must stop the program (assert), never pass silently. */
static void table_bug_cells_abort(void **state) {
  int s, e, n = 0, pass;

  (void)state;
  for (pass = 0; pass < 2; pass++) {
    const cell_t(*t)[SW_EV__COUNT] = pass ? hook_table : table;

    for (s = 0; s < SW_ST__COUNT; s++) {
      for (e = 0; e < SW_EV__COUNT; e++) {
        pid_t pid;
        int status = 0;

        if (t[s][e].next != BUG || t[s][0].next == UNREACHED) continue;
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
          fixture_t f;

          signal(SIGABRT, SIG_DFL);
          /* The assertion message is expected; keep the output clean. */
          if (freopen("/dev/null", "w", stderr) == NULL) _exit(3);
          if (pass)
            goto_hook_state(&f, (sw_state_t)s);
          else
            goto_state(&f, (sw_state_t)s);
          feed(&f, (sw_event_t)e);
          _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
          fail_msg("%s%s + %s did not abort (status 0x%x)",
                   pass ? "hooks: " : "", sw_state_name((sw_state_t)s),
                   sw_event_name((sw_event_t)e), status);
        n++;
      }
    }
  }
  assert_int_equal(n, 14 + 22);
}

/* ---- paths through the table --------------------------------------------- */

static void stop_ladder(void **state) {
  fixture_t f;

  (void)state;
  fixture_init(&f);
  /* ctrl-break and terminate only, as in the default config. */
  f.stop.methods[1] = SW_STOP_TERMINATE;
  f.stop.n_methods = 2;
  feed(&f, SW_EV_START);
  EXPECT_CMDS(&f.sup, SPAWN);
  feed(&f, SW_EV_SPAWNED);
  assert_int_equal(f.sup.pid, 4242);
  f.now += 60000;

  feed_stop(&f, false);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  assert_int_equal(f.sup.step, 0);
  EXPECT_CMDS(&f.sup, SEND, ARM);
  expect_send(&f.sup.out[0], SW_STOP_CTRL_BREAK);
  expect_timer(&f.sup.out[1], GRACE);
  assert_int_equal(sw_sup_stop_remaining_ms(&f.sup), GRACE + TERM_WAIT);

  f.now += GRACE;
  feed(&f, SW_EV_TIMER);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  assert_int_equal(f.sup.step, 1);
  EXPECT_CMDS(&f.sup, SEND, ARM);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);
  expect_timer(&f.sup.out[1], TERM_WAIT);
  assert_int_equal(sw_sup_stop_remaining_ms(&f.sup), TERM_WAIT);

  f.now += 3;
  feed_exit(&f, 0, 9);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  EXPECT_CMDS(&f.sup, CANCEL, EVLOG, FINISH);
  expect_evt(&f.sup.out[1], SW_EVT_STOPPED, SW_EVT_INFO);
  assert_true(sw_sup_is_final(&f.sup));
  assert_int_equal(f.sup.exit_code, 0);
  assert_int_equal(f.sup.pid, 0);
  assert_true(f.sup.has_exit);
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_CLEAN_STOP);
  assert_int_equal(f.sup.last_decision.kind, SW_DECIDE_STOP);
  assert_int_equal(f.sup.last_exit.signal, 9);
  assert_int_equal(f.sup.policy.total_restarts, 0);
}

static void stop_ladder_three_steps(void **state) {
  fixture_t f;

  (void)state;
  goto_state(&f, SW_ST_RUNNING);
  feed_stop(&f, false);
  expect_send(&f.sup.out[0], SW_STOP_CTRL_BREAK);
  assert_int_equal(sw_sup_stop_remaining_ms(&f.sup), GRACE + GRACE + TERM_WAIT);
  feed(&f, SW_EV_TIMER);
  expect_send(&f.sup.out[0], SW_STOP_CTRL_C);
  expect_timer(&f.sup.out[1], GRACE);
  assert_int_equal(sw_sup_stop_remaining_ms(&f.sup), GRACE + TERM_WAIT);
  feed(&f, SW_EV_TIMER);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);
  expect_timer(&f.sup.out[1], TERM_WAIT);
  /* The child exits with STATUS_CONTROL_C_EXIT: still a clean stop. */
  feed_exit(&f, 0xC000013Au, 0);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  assert_int_equal(f.sup.exit_code, 0);
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_CLEAN_STOP);
}

/* Even terminate did not end the child: give up waiting, failed, and
 * release the child so the service ends within the ladder's budget. */
static void terminate_times_out(void **state) {
  fixture_t f;
  int e;

  (void)state;
  goto_state(&f, SW_ST_RUNNING);
  feed_stop(&f, true);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);
  expect_timer(&f.sup.out[1], TERM_WAIT);
  f.now += TERM_WAIT;
  feed(&f, SW_EV_TIMER);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  EXPECT_CMDS(&f.sup, CANCEL, ABANDON, EVLOG, FINISH);
  expect_evt(&f.sup.out[2], SW_EVT_FAILED, SW_EVT_ERROR);
  assert_int_equal(f.sup.exit_code, SW_SUP_EXIT_UNKILLABLE);
  assert_int_equal(f.sup.unkillable_pid, 4242);
  assert_int_equal(f.sup.pid, 0);
  assert_non_null(strstr(f.sup.reason, "pid 4242 did not exit 2000ms"));
  /* Final: nothing afterwards starts a second child beside it. */
  for (e = 0; e < SW_EV__COUNT; e++) {
    if (e == SW_EV_SPAWNED || e == SW_EV_SPAWN_FAILED || e == SW_EV_EXIT)
      continue; /* cannot happen with no child: BUG cells */
    feed(&f, (sw_event_t)e);
    assert_int_equal(f.sup.state, SW_ST_FAILED);
    EXPECT_NO_CMDS(&f.sup);
  }
}

/*
 * The row of STOPPING while at the last step (terminate sent): every
 * event. An exit still ends the stop cleanly; the timer and a failed
 * delivery give the child up; a repeated request changes nothing.
 */
static void terminate_step_row(void **state) {
  static const struct {
    sw_event_t ev;
    int next;
    unsigned n;
    sw_cmd_kind_t cmds[SW_SUP_MAX_CMDS];
  } row[] = {
      {SW_EV_START, SW_ST_STOPPING, 0, {0}},
      {SW_EV_EXIT, SW_ST_STOPPED, 3, {CANCEL, EVLOG, FINISH}},
      {SW_EV_TIMER, SW_ST_FAILED, 4, {CANCEL, ABANDON, EVLOG, FINISH}},
      {SW_EV_STOP, SW_ST_STOPPING, 0, {0}},
      {SW_EV_STEP_FAILED, SW_ST_FAILED, 4, {CANCEL, ABANDON, EVLOG, FINISH}},
  };
  unsigned i, k;

  (void)state;
  for (i = 0; i < sizeof(row) / sizeof(row[0]); i++) {
    fixture_t f;

    goto_state(&f, SW_ST_RUNNING);
    feed_stop(&f, true);
    assert_int_equal(f.sup.step, f.stop.n_methods - 1);
    feed(&f, row[i].ev);
    if ((int)f.sup.state != row[i].next)
      fail_msg("terminate step + %s -> %s", sw_event_name(row[i].ev),
               sw_state_name(f.sup.state));
    expect_cmds(&f.sup, row[i].n, row[i].cmds);
    for (k = 0; k < f.sup.nout; k++)
      if (f.sup.out[k].kind == SW_CMD_ABANDON) {
        assert_int_equal(f.sup.unkillable_pid, 4242);
        assert_int_equal(f.sup.exit_code, SW_SUP_EXIT_UNKILLABLE);
      }
    if (row[i].ev == SW_EV_EXIT) {
      assert_int_equal(f.sup.unkillable_pid, 0);
      assert_int_equal(f.sup.exit_code, 0);
    }
  }
}

/* A method that cannot be delivered moves on at once, not after grace. */
static void step_failed_moves_on(void **state) {
  fixture_t f;
  uint64_t t;

  (void)state;
  goto_state(&f, SW_ST_RUNNING);
  feed_stop(&f, false);
  t = f.now;
  feed(&f, SW_EV_STEP_FAILED); /* same instant */
  assert_int_equal(f.now, t);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  assert_int_equal(f.sup.step, 1);
  EXPECT_CMDS(&f.sup, SEND, ARM);
  expect_send(&f.sup.out[0], SW_STOP_CTRL_C);
  expect_timer(&f.sup.out[1], GRACE);
  feed(&f, SW_EV_STEP_FAILED);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);
  expect_timer(&f.sup.out[1], TERM_WAIT);
  /* terminate itself failing leaves nothing to try: the child is given
   * up at once, not after the terminate wait. */
  feed(&f, SW_EV_STEP_FAILED);
  assert_int_equal(f.now, t);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  EXPECT_CMDS(&f.sup, CANCEL, ABANDON, EVLOG, FINISH);
  expect_evt(&f.sup.out[2], SW_EVT_FAILED, SW_EVT_ERROR);
  assert_int_equal(f.sup.exit_code, SW_SUP_EXIT_UNKILLABLE);
  assert_int_equal(f.sup.unkillable_pid, 4242);
  assert_non_null(strstr(f.sup.reason, "could not be delivered to pid 4242"));
}

static void forced_stop(void **state) {
  fixture_t f;

  (void)state;
  /* A forced first request goes straight to terminate. */
  goto_state(&f, SW_ST_RUNNING);
  feed_stop(&f, true);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  assert_int_equal(f.sup.step, 2);
  EXPECT_CMDS(&f.sup, SEND, ARM);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);
  expect_timer(&f.sup.out[1], TERM_WAIT);

  /* A second, forced request during the ladder jumps to terminate. */
  goto_state(&f, SW_ST_STOPPING);
  assert_int_equal(f.sup.step, 0);
  feed_stop(&f, false); /* a plain repeat changes nothing */
  EXPECT_NO_CMDS(&f.sup);
  assert_int_equal(f.sup.step, 0);
  feed_stop(&f, true);
  assert_int_equal(f.sup.step, 2);
  EXPECT_CMDS(&f.sup, SEND, ARM);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);
  expect_timer(&f.sup.out[1], TERM_WAIT);
  /* Already at terminate: a third request does not send it again. */
  feed_stop(&f, true);
  EXPECT_NO_CMDS(&f.sup);
  feed_exit(&f, 1, 0);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  assert_int_equal(f.sup.exit_code, 0);
}

static void backoff_then_spawn(void **state) {
  fixture_t f;

  (void)state;
  goto_state(&f, SW_ST_RUNNING);
  f.now = 5000;
  feed_exit(&f, 1, 0);
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  EXPECT_CMDS(&f.sup, ARM, EVLOG);
  expect_evt(&f.sup.out[1], SW_EVT_CRASHED, SW_EVT_WARNING);
  expect_timer(&f.sup.out[0], 100);
  assert_int_equal(f.sup.pid, 0);
  assert_int_equal(f.sup.next_restart_wall_ms, WALL0 + 5000 + 100);
  assert_int_equal(f.sup.last_decision.kind, SW_DECIDE_RESTART);
  assert_int_equal(f.sup.last_decision.attempt, 1);
  assert_int_equal(f.sup.last_exit_wall_ms, WALL0 + 5000);
  assert_int_equal(f.sup.policy.total_restarts, 1);

  f.now = 5100;
  feed(&f, SW_EV_TIMER);
  assert_int_equal(f.sup.state, SW_ST_STARTING);
  EXPECT_CMDS(&f.sup, SPAWN);
  assert_int_equal(f.sup.next_restart_wall_ms, 0);
  assert_int_equal(f.sup.started_ms, 5100);
  feed(&f, SW_EV_SPAWNED);
  assert_int_equal(f.sup.state, SW_ST_RUNNING);
  assert_int_equal(f.sup.pid, 4242);
  assert_int_equal(f.sup.started_wall_ms, WALL0 + 5100);
  /* A restart's child is in the wrapper log only: no "started" entry. */
  EXPECT_NO_CMDS(&f.sup);

  /* A stop while waiting: stopped at once, the timer cancelled. */
  feed_exit(&f, 1, 0);
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  feed_stop(&f, false);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  EXPECT_CMDS(&f.sup, CANCEL, EVLOG, FINISH);
  expect_evt(&f.sup.out[1], SW_EVT_STOPPED, SW_EVT_INFO);
  assert_int_equal(f.sup.exit_code, 0);
  assert_int_equal(f.sup.next_restart_wall_ms, 0);
}

static void spawn_failure_goes_to_policy(void **state) {
  fixture_t f;
  sw_input_t in;
  int i;

  (void)state;
  /* on-failure: a spawn failure is a failure, so it restarts. */
  goto_state(&f, SW_ST_STARTING);
  in = ev_in(&f, SW_EV_SPAWN_FAILED);
  in.code = 2;
  sw_sup_step(&f.sup, &in);
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  EXPECT_CMDS(&f.sup, ARM); /* no crash entry: nothing ran */
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_FAILURE);

  /* policy no: failed, with that code. */
  goto_state(&f, SW_ST_STARTING);
  f.restart.policy = SW_RESTART_NO;
  in = ev_in(&f, SW_EV_SPAWN_FAILED);
  in.code = 2;
  sw_sup_step(&f.sup, &in);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  EXPECT_CMDS(&f.sup, EVLOG, FINISH);
  expect_evt(&f.sup.out[0], SW_EVT_FAILED, SW_EVT_ERROR);
  assert_int_equal(f.sup.exit_code, 2);

  /* Failed spawns count as starts: the burst limit ends the loop. */
  fixture_init(&f);
  f.restart.burst = 3;
  f.restart.interval_ms = 60000;
  feed(&f, SW_EV_START);
  for (i = 0; i < 3; i++) {
    assert_int_equal(f.sup.state, SW_ST_STARTING);
    f.now += 1;
    feed(&f, SW_EV_SPAWN_FAILED);
    if (i < 2) {
      assert_int_equal(f.sup.state, SW_ST_BACKOFF);
      f.now += 100;
      feed(&f, SW_EV_TIMER);
    }
  }
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  assert_int_equal(f.sup.last_decision.why, SW_WHY_GIVE_UP);
  assert_int_equal(f.sup.exit_code, 1);
}

static void give_up(void **state) {
  fixture_t f;
  int i;

  (void)state;
  /* on_give_up = fail: failed, exit code = the child's. */
  fixture_init(&f);
  f.restart.burst = 2;
  f.restart.interval_ms = 60000;
  feed(&f, SW_EV_START);
  for (i = 0; i < 2; i++) {
    feed(&f, SW_EV_SPAWNED);
    f.now += 10;
    feed_exit(&f, 3, 0);
    if (i == 0) {
      assert_int_equal(f.sup.state, SW_ST_BACKOFF);
      f.now += 100;
      feed(&f, SW_EV_TIMER);
    }
  }
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  /* The service's entry, then the crash's (the order run.c always had). */
  EXPECT_CMDS(&f.sup, EVLOG, EVLOG, FINISH);
  expect_evt(&f.sup.out[0], SW_EVT_FAILED, SW_EVT_ERROR);
  expect_evt(&f.sup.out[1], SW_EVT_CRASHED, SW_EVT_WARNING);
  assert_int_equal(f.sup.exit_code, 3);
  assert_int_equal(f.sup.last_decision.why, SW_WHY_GIVE_UP);
  assert_int_equal(f.sup.policy.total_restarts, 1);
  assert_true(strstr(f.sup.reason, "giving up") != NULL);

  /* on_give_up = stop: stopped, exit code 0. */
  fixture_init(&f);
  f.restart.burst = 1;
  f.restart.interval_ms = 60000;
  f.restart.on_give_up = SW_GIVE_UP_STOP;
  feed(&f, SW_EV_START);
  feed(&f, SW_EV_SPAWNED);
  feed_exit(&f, 3, 0);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  EXPECT_CMDS(&f.sup, EVLOG, EVLOG, FINISH);
  expect_evt(&f.sup.out[0], SW_EVT_STOPPED, SW_EVT_INFO);
  expect_evt(&f.sup.out[1], SW_EVT_CRASHED, SW_EVT_WARNING);
  assert_int_equal(f.sup.exit_code, 0);

  /* A give-up on an NTSTATUS crash reports that code. */
  fixture_init(&f);
  f.restart.burst = 1;
  f.restart.interval_ms = 60000;
  feed(&f, SW_EV_START);
  feed(&f, SW_EV_SPAWNED);
  feed_exit(&f, 0xC0000005u, 0);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  assert_int_equal((uint32_t)f.sup.exit_code, 0xC0000005u);
}

static void exit_codes_when_failed(void **state) {
  fixture_t f;

  (void)state;
  /* A signal: 128 + signal, like a shell. */
  goto_state(&f, SW_ST_RUNNING);
  f.restart.policy = SW_RESTART_NO;
  feed_exit(&f, 0, 9);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  assert_int_equal(f.sup.exit_code, 137);
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_ABNORMAL);

  goto_state(&f, SW_ST_RUNNING);
  f.restart.policy = SW_RESTART_ON_SUCCESS;
  feed_exit(&f, 0, 15);
  assert_int_equal(f.sup.exit_code, 143);

  /* A plain failure code. */
  goto_state(&f, SW_ST_RUNNING);
  f.restart.policy = SW_RESTART_NO;
  feed_exit(&f, 42, 0);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  assert_int_equal(f.sup.exit_code, 42);

  /* A failure with code 0 (0 not a success code) is never reported 0. */
  goto_state(&f, SW_ST_RUNNING);
  f.restart.policy = SW_RESTART_NO;
  f.restart.n_success = 0;
  feed_exit(&f, 0, 0);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  assert_int_equal(f.sup.exit_code, 1);

  /* A success under policy no: stopped, 0. */
  goto_state(&f, SW_ST_RUNNING);
  f.restart.policy = SW_RESTART_NO;
  feed_exit(&f, 0, 0);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  EXPECT_CMDS(&f.sup, EVLOG, FINISH);
  expect_evt(&f.sup.out[0], SW_EVT_STOPPED, SW_EVT_INFO);
  assert_int_equal(f.sup.exit_code, 0);

  /* A prevented code: failed with that code. */
  goto_state(&f, SW_ST_RUNNING);
  feed_exit(&f, 7, 0);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  assert_int_equal(f.sup.exit_code, 7);
  assert_int_equal(f.sup.last_decision.why, SW_WHY_PREVENTED);
}

/* The backoff grows across restarts through the supervisor too. */
static void backoff_grows(void **state) {
  static const uint64_t want[] = {100, 200, 400, 800, 800};
  fixture_t f;
  size_t i;

  (void)state;
  fixture_init(&f);
  f.restart.max_delay_ms = 800;
  f.restart.steps = 3;
  f.restart.reset_after_ms = 60000;
  feed(&f, SW_EV_START);
  for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    feed(&f, SW_EV_SPAWNED);
    f.now += 50;
    feed_exit(&f, 1, 0);
    assert_int_equal(f.sup.state, SW_ST_BACKOFF);
    expect_timer(&f.sup.out[0], want[i]);
    f.now += want[i];
    feed(&f, SW_EV_TIMER);
  }
  /* A run of reset_after: back to the first delay. */
  feed(&f, SW_EV_SPAWNED);
  f.now += 60000;
  feed_exit(&f, 1, 0);
  expect_timer(&f.sup.out[0], 100);
  assert_true(f.sup.last_decision.was_reset);
}

/* The Event Log entry for a child given up: the pid and the code, and no
 * "last exit" (there was none). */
static void unkillable_event_text(void **state) {
  fixture_t f;
  char *t;

  (void)state;
  goto_state(&f, SW_ST_RUNNING);
  feed_stop(&f, true);
  feed(&f, SW_EV_TIMER);
  t = sw_event_text(SW_EVT_FAILED, "Svc", "a.exe", &f.sup, NULL, 0);
  assert_non_null(t);
  assert_string_equal(t,
                      "Service Svc failed: pid 4242 did not exit 2000ms "
                      "after terminate; pid 4242 could not be killed and "
                      "was left behind. The service's exit code is "
                      "536870913 (0x20000001).");
  free(t);
}

/* A failed health check stops the child through the ladder; its exit then
 * has the check's class whatever its code, and the policy restarts it. */
static void health_stop_restarts(void **state) {
  fixture_t f;
  sw_input_t in;

  (void)state;
  goto_state(&f, SW_ST_RUNNING);
  in = ev_in(&f, SW_EV_UNHEALTHY);
  in.cls = SW_CLASS_WATCHDOG;
  in.why = "no WATCHDOG=1 within 5000ms";
  sw_sup_step(&f.sup, &in);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  EXPECT_CMDS(&f.sup, SEND, ARM);
  expect_send(&f.sup.out[0], f.stop.methods[0]);
  assert_non_null(
      strstr(f.sup.reason, "watchdog: no WATCHDOG=1 within 5000ms"));

  /* A second check failing during the stop changes nothing. */
  in.cls = SW_CLASS_UNHEALTHY;
  sw_sup_step(&f.sup, &in);
  EXPECT_NO_CMDS(&f.sup);

  f.now += 5;
  feed_exit(&f, 0, 0); /* exits 0 on ctrl-break: still a watchdog exit */
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  EXPECT_CMDS(&f.sup, CANCEL, ARM, EVLOG); /* a crash entry: watchdog */
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_WATCHDOG);
  assert_int_equal(f.sup.last_decision.kind, SW_DECIDE_RESTART);
  assert_false(f.sup.health_stop);
  assert_non_null(strstr(f.sup.reason, "watchdog exit; policy on-failure"));

  /* The next exit is classified by its code again. */
  f.now += 1000;
  feed(&f, SW_EV_TIMER);
  feed(&f, SW_EV_SPAWNED);
  f.now += 10;
  feed_exit(&f, 0, 0);
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_SUCCESS);
}

/* A stop request during a health stop turns it into a plain stop. */
static void stop_during_health_stop(void **state) {
  fixture_t f;
  sw_input_t in;

  (void)state;
  goto_state(&f, SW_ST_RUNNING);
  in = ev_in(&f, SW_EV_UNHEALTHY);
  in.cls = SW_CLASS_UNHEALTHY;
  in.why = "memory 300 MiB above memory_max 100 MiB";
  sw_sup_step(&f.sup, &in);
  feed_stop(&f, false);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  assert_int_equal(f.sup.step, 0);
  EXPECT_NO_CMDS(&f.sup);
  f.now += 5;
  feed_exit(&f, 1, 0);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_CLEAN_STOP);

  /* with force, straight to terminate as usual */
  goto_state(&f, SW_ST_RUNNING);
  in = ev_in(&f, SW_EV_UNHEALTHY);
  in.cls = SW_CLASS_UNHEALTHY;
  sw_sup_step(&f.sup, &in);
  feed_stop(&f, true);
  EXPECT_CMDS(&f.sup, SEND, ARM);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);
  assert_false(f.sup.health_stop);
}

static void state_and_event_names(void **state) {
  (void)state;
  assert_string_equal(sw_state_name(SW_ST_STARTING), "starting");
  assert_string_equal(sw_state_name(SW_ST_RUNNING), "running");
  assert_string_equal(sw_state_name(SW_ST_BACKOFF), "backoff");
  assert_string_equal(sw_state_name(SW_ST_STOPPING), "stopping");
  assert_string_equal(sw_state_name(SW_ST_STOPPED), "stopped");
  assert_string_equal(sw_state_name(SW_ST_FAILED), "failed");
  assert_string_equal(sw_state_name(SW_ST__COUNT), "?");
  assert_string_equal(sw_event_name(SW_EV_START), "start");
  assert_string_equal(sw_event_name(SW_EV_SPAWN_FAILED), "spawn-failed");
  assert_string_equal(sw_event_name(SW_EV_STEP_FAILED), "step-failed");
  assert_string_equal(sw_event_name(SW_EV_UNHEALTHY), "unhealthy");
  assert_string_equal(sw_event_name(SW_EV__COUNT), "?");
}

/* ---- hooks ----------------------------------------------------------------
 */

/* The order over a whole life: pre_start, spawn, post_start; stop:
 * pre_stop, the ladder, post_stop, stopped. */
static void hooks_in_order(void **state) {
  fixture_t f;

  (void)state;
  fixture_init(&f);
  fixture_hooks(&f);
  feed(&f, SW_EV_START);
  assert_int_equal(f.sup.state, SW_ST_PRE_START);
  EXPECT_CMDS(&f.sup, RUN);
  assert_int_equal(f.sup.out[0].hook, SW_HOOK_PRE_START);
  feed_hook(&f, SW_HOOK_PRE_START, 0, false);
  EXPECT_CMDS(&f.sup, SPAWN);
  feed(&f, SW_EV_SPAWNED);
  assert_int_equal(f.sup.state, SW_ST_RUNNING);
  EXPECT_CMDS(&f.sup, EVLOG, RUN);
  assert_int_equal(f.sup.out[1].hook, SW_HOOK_POST_START);
  feed_hook(&f, SW_HOOK_POST_START, 3, false); /* logged only */
  assert_int_equal(f.sup.state, SW_ST_RUNNING);
  EXPECT_NO_CMDS(&f.sup);
  f.now += 60000;
  feed_stop(&f, false);
  assert_int_equal(f.sup.state, SW_ST_PRE_STOP);
  assert_true(sw_sup_is_stopping(&f.sup));
  assert_int_equal(f.sup.out[0].hook, SW_HOOK_PRE_STOP);
  /* pre_stop, the ladder (ctrl-break, ctrl-c), post_stop: each hook its
   * timeout plus terminate's wait. */
  assert_int_equal(sw_sup_stop_remaining_ms(&f.sup),
                   TERM_WAIT + 2 * GRACE + 2 * (30000 + TERM_WAIT));
  feed_hook(&f, SW_HOOK_PRE_STOP, 1,
            false); /* failed: the ladder runs anyway */
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  expect_send(&f.sup.out[0], SW_STOP_CTRL_BREAK);
  feed_exit(&f, 0, 0);
  assert_int_equal(f.sup.state, SW_ST_POST_STOP);
  EXPECT_CMDS(&f.sup, CANCEL, RUN);
  assert_int_equal(f.sup.out[1].hook, SW_HOOK_POST_STOP);
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_CLEAN_STOP);
  assert_true(sw_sup_is_stopping(&f.sup));
  feed_hook(&f, SW_HOOK_POST_STOP, 0, false);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  EXPECT_CMDS(&f.sup, EVLOG, FINISH);
  expect_evt(&f.sup.out[0], SW_EVT_STOPPED, SW_EVT_INFO);
  assert_int_equal(f.sup.exit_code, 0);
}

/* A failing pre_start is a failed start: the policy restarts it, counted
 * by its reason, the child is never spawned; the hook's code is kept. */
static void pre_start_failure_is_a_failed_start(void **state) {
  fixture_t f;

  (void)state;
  fixture_init(&f);
  fixture_hooks(&f);
  feed(&f, SW_EV_START);
  f.now += 10;
  feed_hook(&f, SW_HOOK_PRE_START, 3, false);
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  EXPECT_CMDS(&f.sup, ARM); /* no post_stop: no child ran */
  assert_int_equal(f.sup.last_exit.code, 3);
  assert_int_equal(f.sup.last_decision.cls, SW_CLASS_FAILURE);
  assert_int_equal(f.sup.restarts_by[SW_REASON_PRE_START_FAILED], 1);
  assert_int_equal(f.sup.restarts_by[SW_REASON_FAILURE], 0);
  /* The restart runs pre_start again; this time it times out: 124. */
  f.now += 200;
  feed(&f, SW_EV_TIMER);
  assert_int_equal(f.sup.state, SW_ST_PRE_START);
  EXPECT_CMDS(&f.sup, RUN);
  f.now += 10;
  feed_hook(&f, SW_HOOK_PRE_START, 0, true);
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  assert_int_equal(f.sup.last_exit.code, SW_SUP_HOOK_TIMEOUT_CODE);
  assert_int_equal(f.sup.restarts_by[SW_REASON_PRE_START_FAILED], 2);
  /* prevent_exit_codes applies to the hook's code too (7 here). */
  f.now += 200;
  feed(&f, SW_EV_TIMER);
  feed_hook(&f, SW_HOOK_PRE_START, 7, false);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  EXPECT_CMDS(&f.sup, EVLOG, FINISH); /* failed; no crash: no child ran */
  expect_evt(&f.sup.out[0], SW_EVT_FAILED, SW_EVT_ERROR);
  assert_int_equal(f.sup.exit_code, 7);
}

/* A stop while pre_start or post_stop runs waits for the hook, then the
 * service stops (no start, no restart); force ends the hook. */
static void stop_waits_for_hook(void **state) {
  fixture_t f;

  (void)state;
  fixture_init(&f);
  fixture_hooks(&f);
  feed(&f, SW_EV_START);
  feed_stop(&f, false);
  assert_int_equal(f.sup.state, SW_ST_PRE_START);
  EXPECT_NO_CMDS(&f.sup);
  assert_true(sw_sup_is_stopping(&f.sup));
  feed_stop(&f, true);
  EXPECT_CMDS(&f.sup, KILL);
  assert_int_equal(f.sup.out[0].hook, SW_HOOK_PRE_START);
  feed_hook(&f, SW_HOOK_PRE_START, 0, false); /* even a success */
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  EXPECT_CMDS(&f.sup, EVLOG, FINISH);

  /* post_stop before a restart: the stop cancels the restart. */
  goto_hook_state(&f, SW_ST_POST_STOP);
  assert_int_equal(f.sup.pending.kind, SW_DECIDE_RESTART);
  assert_false(sw_sup_is_stopping(&f.sup)); /* a restart is coming */
  feed_stop(&f, false);
  assert_true(sw_sup_is_stopping(&f.sup));
  feed_hook(&f, SW_HOOK_POST_STOP, 0, false);
  assert_int_equal(f.sup.state, SW_ST_STOPPED);
  /* Stopped, and the exit that ended the child was still a failure. */
  EXPECT_CMDS(&f.sup, EVLOG, EVLOG, FINISH);
  expect_evt(&f.sup.out[0], SW_EVT_STOPPED, SW_EVT_INFO);
  expect_evt(&f.sup.out[1], SW_EVT_CRASHED, SW_EVT_WARNING);
  assert_int_equal(f.sup.restarts_by[SW_REASON_FAILURE], 0);

  /* Without a stop, the restart decided at the exit happens, counted. */
  goto_hook_state(&f, SW_ST_POST_STOP);
  feed_hook(&f, SW_HOOK_POST_START, 0, false); /* not the awaited one */
  assert_int_equal(f.sup.state, SW_ST_POST_STOP);
  feed_hook(&f, SW_HOOK_POST_STOP, 1, false);
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  expect_timer(&f.sup.out[0], 100);
  assert_int_equal(f.sup.restarts_by[SW_REASON_FAILURE], 1);
}

/* A forced stop skips pre_stop, and ends one that runs. */
static void forced_stop_and_pre_stop(void **state) {
  fixture_t f;

  (void)state;
  goto_hook_state(&f, SW_ST_RUNNING);
  feed_stop(&f, true);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  expect_send(&f.sup.out[0], SW_STOP_TERMINATE);

  goto_hook_state(&f, SW_ST_PRE_STOP);
  feed_stop(&f, true);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  EXPECT_CMDS(&f.sup, KILL, SEND, ARM);
  assert_int_equal(f.sup.out[0].hook, SW_HOOK_PRE_STOP);
  expect_send(&f.sup.out[1], SW_STOP_TERMINATE);
  /* The killed pre_stop's end arrives later: nothing happens. */
  feed_hook(&f, SW_HOOK_PRE_STOP, 0, true);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  EXPECT_NO_CMDS(&f.sup);
}

/* A give-up waits for post_stop, then fails with the child's code. */
/* A health stop is a restart: no pre_stop, not STOP_PENDING, post_stop
 * after the exit, counted under the check's reason. */
static void health_stop_with_hooks(void **state) {
  fixture_t f;

  (void)state;
  goto_hook_state(&f, SW_ST_RUNNING);
  feed(&f, SW_EV_UNHEALTHY);
  assert_int_equal(f.sup.state, SW_ST_STOPPING);
  assert_false(sw_sup_is_stopping(&f.sup));
  feed_exit(&f, 0, 15);
  assert_int_equal(f.sup.state, SW_ST_POST_STOP);
  assert_false(sw_sup_is_stopping(&f.sup));
  feed_hook(&f, SW_HOOK_POST_STOP, 0, false);
  assert_int_equal(f.sup.state, SW_ST_BACKOFF);
  assert_int_equal(f.sup.restarts_by[SW_REASON_UNHEALTHY], 1);
  assert_string_equal(sw_restart_reason_name(SW_REASON_UNHEALTHY), "unhealthy");
}

static void give_up_after_post_stop(void **state) {
  fixture_t f;

  (void)state;
  goto_hook_state(&f, SW_ST_RUNNING);
  feed_exit(&f, 7, 0); /* prevented */
  assert_int_equal(f.sup.state, SW_ST_POST_STOP);
  assert_true(sw_sup_is_stopping(&f.sup)); /* the service is ending */
  assert_int_equal(f.sup.pending.kind, SW_DECIDE_FAIL);
  feed_hook(&f, SW_HOOK_POST_STOP, 0, false);
  assert_int_equal(f.sup.state, SW_ST_FAILED);
  EXPECT_CMDS(&f.sup, EVLOG, EVLOG, FINISH);
  expect_evt(&f.sup.out[0], SW_EVT_FAILED, SW_EVT_ERROR);
  expect_evt(&f.sup.out[1], SW_EVT_CRASHED, SW_EVT_WARNING);
  assert_int_equal(f.sup.exit_code, 7);
  assert_string_equal(sw_restart_reason_name(SW_REASON_PRE_START_FAILED),
                      "pre-start-failed");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(table_walk),
    cmocka_unit_test(table_bug_cells_abort),
    cmocka_unit_test(hooks_in_order),
    cmocka_unit_test(pre_start_failure_is_a_failed_start),
    cmocka_unit_test(stop_waits_for_hook),
    cmocka_unit_test(forced_stop_and_pre_stop),
    cmocka_unit_test(health_stop_with_hooks),
    cmocka_unit_test(give_up_after_post_stop),
    cmocka_unit_test(stop_ladder),
    cmocka_unit_test(stop_ladder_three_steps),
    cmocka_unit_test(terminate_times_out),
    cmocka_unit_test(terminate_step_row),
    cmocka_unit_test(step_failed_moves_on),
    cmocka_unit_test(forced_stop),
    cmocka_unit_test(backoff_then_spawn),
    cmocka_unit_test(spawn_failure_goes_to_policy),
    cmocka_unit_test(give_up),
    cmocka_unit_test(exit_codes_when_failed),
    cmocka_unit_test(backoff_grows),
    cmocka_unit_test(unkillable_event_text),
    cmocka_unit_test(health_stop_restarts),
    cmocka_unit_test(stop_during_health_stop),
    cmocka_unit_test(state_and_event_names),
};

const sw_test_group_t sw_group_sup = SW_GROUP("sup", tests);
