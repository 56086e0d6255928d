/* SPDX-License-Identifier: MIT */
/*
 * The fake child: a libuv timer that plays a sw_fake_child_t script
 * (output chunks, an exit) from the spawn on, and reacts to stop methods
 * as scripted. Like a real child, its exit comes after its last output,
 * and nothing is delivered while its output is paused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

static void on_timer(uv_timer_t *t);

/* Arm the timer for the next scripted moment (none while paused). */
static void schedule(sw_child_t *c) {
  uint64_t now = uv_now(c->loop) - c->start, at = UINT64_MAX;

  if (c->paused) return;
  if (c->next_chunk < c->script->n_out)
    at = c->script->out[c->next_chunk].at_ms;
  if (c->exiting && c->exit_at < at) at = c->exit_at;
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

    c->opts.on_output(c->opts.data, k->stream, k->text, strlen(k->text));
  }
  if (c->paused) return; /* resumed by sw_os_child_pause_output() */
  if (c->exiting && c->exit_at <= now &&
      (c->next_chunk >= c->script->n_out ||
       c->script->out[c->next_chunk].at_ms > c->exit_at)) {
    c->exiting = false;
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
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  schedule(c);
  sw_fake.n_live++;
  *out = c;
  return 0;
}

int sw_os_child_pid(const sw_child_t *c) {
  return c->pid;
}

int sw_os_child_stop(sw_child_t *c, sw_stop_method_t m, char *why,
                     size_t whylen) {
  const sw_fake_reaction_t *r = &c->script->on_stop[m];
  uint64_t at;

  if (sw_fake.n_stops < SW_FAKE_MAX_RECORDS)
    sw_fake.stops[sw_fake.n_stops++] = m;
  else
    sw_fake.overflow++;
  switch (r->kind) {
  case SW_FAKE_UNDELIVERABLE:
    snprintf(why, whylen, "fake: %s cannot be delivered to pid %d",
             sw_stop_method_name(m), c->pid);
    return SW_EUNDELIVERED;
  case SW_FAKE_EXIT:
    at = uv_now(c->loop) - c->start + r->ms;
    if (!c->exiting || at < c->exit_at) {
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
