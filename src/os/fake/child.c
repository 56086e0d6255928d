/* SPDX-License-Identifier: MIT */
/*
 * The fake child: a libuv timer that plays a sw_fake_child_t script
 * (output chunks, an exit) from the spawn on, and reacts to stop methods
 * as scripted. Like a real child, its exit comes after its last output,
 * and nothing is delivered while its output is paused. With MAINPID=
 * followed, the launched process's exit waits for the main process's, as
 * in the real backends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/err.h"
#include "os/fake/fake.h"

struct sw_child_s {
  const sw_fake_child_t *script;
  sw_spawn_opts_t opts;
  uv_loop_t *loop;
  uv_timer_t timer;
  uint64_t start; /* uv_now() at the spawn */
  int pid;
  unsigned next_chunk;
  bool exiting; /* exit_at, code, signal are set */
  uint64_t exit_at;
  uint32_t code;
  int signal;
  bool paused;
  bool following;     /* script->main_pid is the main process */
  bool launcher_gone; /* the launched process exited, the main one runs */
  bool main_exiting;  /* main_exit_at, main_code set */
  uint64_t main_exit_at;
  uint32_t main_code;
};

static void on_timer(uv_timer_t *t);

/* Arm the timer for the next scripted moment (none while paused). */
static void schedule(sw_child_t *c) {
  uint64_t now = uv_now(c->loop) - c->start, at = UINT64_MAX;

  if (c->paused) return;
  if (c->next_chunk < c->script->n_out)
    at = c->script->out[c->next_chunk].at_ms;
  if (c->exiting && c->exit_at < at) at = c->exit_at;
  if (c->following && !c->launcher_gone && c->main_exiting &&
      c->main_exit_at < at)
    at = c->main_exit_at;
  if (at == UINT64_MAX) return;
  uv_timer_start(&c->timer, on_timer, at > now ? at - now : 0, 0);
}

static void on_timer(uv_timer_t *t) {
  sw_child_t *c = t->data;
  uint64_t now = uv_now(c->loop) - c->start;

  while (!c->paused && c->next_chunk < c->script->n_out &&
         c->script->out[c->next_chunk].at_ms <= now &&
         (!c->exiting || c->script->out[c->next_chunk].at_ms <= c->exit_at)) {
    const sw_fake_chunk_t *k = &c->script->out[c->next_chunk++];

    if (k->stream == SW_FAKE_NOTIFY)
      sw__fake_notify(k->text);
    else
      c->opts.on_output(c->opts.data, k->stream, k->text, strlen(k->text));
  }
  if (c->paused) return; /* resumed by sw_os_child_pause_output() */
  if (c->following && !c->launcher_gone && c->main_exiting &&
      c->main_exit_at <= now) {
    /* The main process ended first: the launcher's exit counts. */
    c->following = false;
    c->main_exiting = false;
    sw_log_info("fake: MAINPID %d ended before the launcher pid %d",
                c->script->main_pid, c->pid);
  }
  if (c->exiting && c->exit_at <= now &&
      (c->next_chunk >= c->script->n_out ||
       c->script->out[c->next_chunk].at_ms > c->exit_at)) {
    c->exiting = false;
    if (c->following && !c->launcher_gone) {
      c->launcher_gone = true;
      sw_log_info(
          "fake: the launcher pid %d exited (exit code %u); "
          "following MAINPID %d",
          c->pid, c->code, c->script->main_pid);
      if (c->main_exiting) {
        c->exiting = true;
        c->exit_at = c->main_exit_at;
        c->code = c->main_code;
        c->signal = 0;
      }
      schedule(c);
      return;
    }
    c->next_chunk = c->script->n_out; /* what comes later never comes */
    /* The caller may free the child in here: touch nothing after. */
    c->opts.on_exit(c->opts.data, c->code, c->signal);
    return;
  }
  schedule(c);
}

int sw_os_spawn(uv_loop_t *loop, const sw_spawn_opts_t *opts, sw_child_t **out,
                char *why, size_t whylen) {
  unsigned k = sw_fake.n_spawns++;
  const sw_fake_child_t *s;
  sw_child_t *c;

  *out = NULL;
  if (k >= sw_fake.n_children) {
    snprintf(why, whylen, "fake: the script has no child for spawn %u", k + 1);
    return SW_EINVAL;
  }
  s = &sw_fake.children[k];
  if (s->spawn_error != 0) {
    snprintf(why, whylen, "fake: spawn %u fails: %s", k + 1,
             sw_strerror(s->spawn_error));
    return s->spawn_error;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    snprintf(why, whylen, "fake: out of memory");
    return SW_ENOMEM;
  }
  c->script = s;
  c->opts = *opts;
  c->loop = loop;
  c->start = uv_now(loop);
  c->pid = 1000 + (int)k;
  c->exiting = s->exits;
  c->exit_at = s->exit_ms;
  c->code = s->code;
  c->signal = s->signal;
  c->main_exiting = s->main_exits;
  c->main_exit_at = s->main_exit_ms;
  c->main_code = s->main_code;
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  schedule(c);
  sw_fake.n_live++;
  *out = c;
  return 0;
}

int sw_os_child_pid(const sw_child_t *c) {
  return c->following ? c->script->main_pid : c->pid;
}

int sw_os_child_follow(sw_child_t *c, int pid, char *why, size_t whylen) {
  if (pid == sw_os_child_pid(c)) return 0;
  if (pid == c->pid && !c->launcher_gone) {
    c->following = false;
    return 0;
  }
  if (c->script->main_pid == 0 || pid != c->script->main_pid ||
      (c->main_exiting && c->main_exit_at <= uv_now(c->loop) - c->start)) {
    snprintf(why, whylen, "fake: pid %d is not in the tree of pid %d", pid,
             c->pid);
    return SW_EACCES;
  }
  c->following = true;
  sw_fake.n_follows++;
  schedule(c);
  return 0;
}

int sw_os_child_stop(sw_child_t *c, sw_stop_method_t m, char *why,
                     size_t whylen) {
  const sw_fake_reaction_t *r = &c->script->on_stop[m];
  uint64_t at;

  if (sw_fake.n_stops < SW_FAKE_MAX_RECORDS) {
    sw_fake.stop_pids[sw_fake.n_stops] = sw_os_child_pid(c);
    sw_fake.stops[sw_fake.n_stops++] = m;
  } else
    sw_fake.overflow++;
  switch (r->kind) {
  case SW_FAKE_UNDELIVERABLE:
    snprintf(why, whylen, "fake: %s cannot be delivered to pid %d",
             sw_stop_method_name(m), c->pid);
    return SW_EUNDELIVERED;
  case SW_FAKE_EXIT:
    at = uv_now(c->loop) - c->start + r->ms;
    if (!c->exiting || at < c->exit_at || c->following) {
      /* Followed, the main process takes the method: its exit is the
       * child's, whatever the launcher still does. */
      if (c->following) {
        c->launcher_gone = true;
        c->main_exiting = false;
      }
      c->exiting = true;
      c->exit_at = at;
      c->code = r->code;
      c->signal = r->signal;
      schedule(c);
    }
    return 0;
  case SW_FAKE_IGNORE:
    break;
  }
  return 0;
}

int sw_os_child_signal(sw_child_t *c, const char *signame, char *why,
                       size_t whylen) {
  (void)why;
  (void)whylen;
  if (sw_fake.n_signals < SW_FAKE_MAX_RECORDS) {
    sw_fake.signal_pids[sw_fake.n_signals] = sw_os_child_pid(c);
    snprintf(sw_fake.signals[sw_fake.n_signals++], sizeof(sw_fake.signals[0]),
             "%s", signame);
  } else
    sw_fake.overflow++;
  return 0;
}

int sw_os_command_start(uv_loop_t *loop, const sw_config_t *cfg,
                        const char *const *argv, const char *cwd,
                        const char *const *extra_env,
                        sw_command_exit_cb *on_exit, void *data, int *pid,
                        char *why, size_t whylen) {
  (void)loop;
  (void)cfg;
  (void)cwd;
  (void)extra_env;
  (void)on_exit;
  (void)data;
  (void)pid;
  snprintf(why, whylen, "the fake OS runs no command (%s)", argv[0]);
  return SW_ENOSYS;
}

static void on_closed(uv_handle_t *h) {
  free(h->data);
}

void sw_os_child_free(sw_child_t *c) {
  if (c == NULL) return;
  sw_fake.n_live--;
  uv_close((uv_handle_t *)&c->timer, on_closed);
}

void sw_os_child_pause_output(sw_child_t *c, bool pause) {
  if (c->paused == pause) return;
  c->paused = pause;
  if (pause)
    uv_timer_stop(&c->timer);
  else
    schedule(c);
}

long sw_os_resource_count(const char **name) {
  *name = "fake_children";
  return (long)sw_fake.n_live;
}
