/* SPDX-License-Identifier: MIT */
/*
 * [health] on Windows: the tree's usage from the child's job object, the
 * job's memory limit with its completion-port notification, and helper
 * commands (exec: probes) run inside the child's job.
 */
#include "os/win/internal.h"

#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/cmdline.h"
#include "core/err.h"
#include "os/os.h"

/* ---- usage -------------------------------------------------------------- */

int sw_os_tree_usage(sw_child_t *c, sw_tree_usage_t *u, char *why,
                     size_t whylen) {
  HANDLE job = sw__win_child_job(c);
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
  sw__win_job_pids_t ids;
  DWORD i, err;

  memset(u, 0, sizeof(*u));
  if (job == NULL) {
    snprintf(why, whylen, "the child has no job object");
    return SW_EINVAL;
  }
  if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation,
                                 &acct, sizeof(acct), NULL))
    return sw__win_fmt_err(why, whylen, "the job's accounting", GetLastError());
  /* 100 ns units; the job's total includes processes that ended. */
  u->cpu_us =
      (uint64_t)(acct.TotalUserTime.QuadPart + acct.TotalKernelTime.QuadPart) /
      10;
  if ((err = sw__win_job_pids(job, &ids)) != 0)
    return sw__win_fmt_err(why, whylen, "list the job's processes", err);
  for (i = 0; i < ids.list.NumberOfProcessIdsInList && i < SW_WIN_JOB_PIDS;
       i++) {
    DWORD pid = (DWORD)ids.list.ProcessIdList[i];
    HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    PROCESS_MEMORY_COUNTERS pmc;

    if (p == NULL) continue; /* ended meanwhile */
    memset(&pmc, 0, sizeof(pmc));
    /* The commit charge (private bytes), what JOB_OBJECT_LIMIT_JOB_MEMORY
     * counts. PagefileUsage is that figure ("the Commit Charge value in
     * bytes for this process", PROCESS_MEMORY_COUNTERS); the _EX
     * structure's PrivateUsage repeats it on Windows but is 0 under Wine 8
     * for another process, where PagefileUsage is filled. */
    if (GetProcessMemoryInfo(p, &pmc, sizeof(pmc))) {
      u->memory_bytes += pmc.PagefileUsage;
      u->processes++;
    }
    CloseHandle(p);
  }
  return 0;
}

/* ---- the memory limit ---------------------------------------------------- */

/*
 * One completion port for the wrapper's life, and one thread waiting on
 * it: each child's job is associated with it (completion key: the job)
 * when memory_max is set. The job posts JOB_OBJECT_MSG_JOB_MEMORY_LIMIT
 * when an allocation of its processes would take it above
 * JobMemoryLimit (the allocation fails in the child); the thread hands
 * that to the loop through an async handle. Only one child exists at a
 * time, so the current job, callback and data are kept here.
 */
static HANDLE port;
static uv_async_t limit_async;
static bool limit_async_ready;
static HANDLE cur_job; /* loop thread */
static sw_memory_limit_cb *cur_cb;
static void *cur_data;
static volatile LONG64 hit_job; /* the job that hit its limit (thread) */

static void on_limit_hit(uv_async_t *a) {
  HANDLE job = (HANDLE)InterlockedExchange64(&hit_job, 0);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
  uint64_t bytes = 0;

  (void)a;
  if (job == NULL || job != cur_job || cur_cb == NULL) return;
  if (QueryInformationJobObject(job, JobObjectExtendedLimitInformation, &lim,
                                sizeof(lim), NULL))
    bytes = lim.PeakJobMemoryUsed;
  else
    sw_log_warn("read the job's peak memory");
  cur_cb(cur_data, bytes);
}

static DWORD WINAPI port_thread(LPVOID arg) {
  (void)arg;
  for (;;) {
    DWORD msg = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;

    if (!GetQueuedCompletionStatus(port, &msg, &key, &ov, INFINITE)) {
      if (GetLastError() == ERROR_ABANDONED_WAIT_0) return 0;
      continue;
    }
    if (msg == JOB_OBJECT_MSG_JOB_MEMORY_LIMIT ||
        msg == JOB_OBJECT_MSG_PROCESS_MEMORY_LIMIT) {
      InterlockedExchange64(&hit_job, (LONG64)key);
      /* The async handle lives as long as the loop; the wrapper ends
       * right after the loop, with no job left to post. */
      uv_async_send(&limit_async);
    }
  }
}

static int port_start(uv_loop_t *loop, char *why, size_t whylen) {
  HANDLE th;
  int rc;

  if (port != NULL) return 0;
  rc = uv_async_init(loop, &limit_async, on_limit_hit);
  if (rc != 0) {
    snprintf(why, whylen, "async handle: %s", uv_strerror(rc));
    return rc;
  }
  uv_unref((uv_handle_t *)&limit_async); /* never keeps the loop alive */
  limit_async_ready = true;
  port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
  if (port == NULL)
    return sw__win_fmt_err(why, whylen, "CreateIoCompletionPort",
                           GetLastError());
  th = CreateThread(NULL, 64 * 1024, port_thread, NULL, 0, NULL);
  if (th == NULL) {
    rc = sw__win_fmt_err(why, whylen, "CreateThread", GetLastError());
    CloseHandle(port);
    port = NULL;
    return rc;
  }
  CloseHandle(th);
  return 0;
}

int sw_os_child_memory_limit(sw_child_t *c, uint64_t max_bytes,
                             sw_memory_limit_cb *cb, void *data, char *why,
                             size_t whylen) {
  HANDLE job = sw__win_child_job(c);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
  JOBOBJECT_ASSOCIATE_COMPLETION_PORT acp;
  uv_loop_t *loop = sw__win_child_loop(c);
  int rc;

  if (job == NULL) {
    snprintf(why, whylen, "the child has no job object");
    return SW_EINVAL;
  }
  rc = port_start(loop, why, whylen);
  if (rc != 0) return rc;
  memset(&lim, 0, sizeof(lim));
  if (!QueryInformationJobObject(job, JobObjectExtendedLimitInformation, &lim,
                                 sizeof(lim), NULL))
    return sw__win_fmt_err(why, whylen, "read the job's limits",
                           GetLastError());
  lim.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
  lim.JobMemoryLimit = (SIZE_T)max_bytes;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &lim,
                               sizeof(lim)))
    return sw__win_fmt_err(why, whylen, "set JOB_OBJECT_LIMIT_JOB_MEMORY",
                           GetLastError());
  acp.CompletionKey = job;
  acp.CompletionPort = port;
  if (!SetInformationJobObject(job, JobObjectAssociateCompletionPortInformation,
                               &acp, sizeof(acp)))
    return sw__win_fmt_err(why, whylen,
                           "associate the job with a completion port",
                           GetLastError());
  cur_job = job;
  cur_cb = cb;
  cur_data = data;
  return 0;
}

/* ---- helpers ------------------------------------------------------------- */

struct sw_helper_s {
  uv_async_t async; /* first: the exit reaches the loop through it */
  HANDLE process;
  HANDLE wait;
  DWORD pid;
  bool exited;
  sw_helper_exit_cb *on_exit;
  void *data;
};

static void on_helper_exited(uv_async_t *a) {
  sw_helper_t *h = (sw_helper_t *)a;
  DWORD code = 1;

  if (h->exited) return;
  h->exited = true;
  if (!GetExitCodeProcess(h->process, &code))
    sw_log_warn("exit code of probe pid %lu", (unsigned long)h->pid);
  h->on_exit(h->data, code, 0);
}

static VOID CALLBACK helper_waited(PVOID data, BOOLEAN timed_out) {
  sw_helper_t *h = data;

  (void)timed_out;
  uv_async_send(&h->async);
}

int sw_os_helper_start(uv_loop_t *loop, sw_child_t *c, const sw_config_t *cfg,
                       const sw_argv_t *argv, sw_helper_exit_cb *on_exit,
                       void *data, sw_helper_t **out, char *why,
                       size_t whylen) {
  HANDLE job = sw__win_child_job(c), nul = INVALID_HANDLE_VALUE;
  char name_var[300], *cmdline = NULL;
  const char *extra[] = {name_var, NULL};
  wchar_t *cmdline_w = NULL, *cwd_w = NULL, *env_w = NULL;
  sw__win_start_t st;
  sw_spawn_opts_t o;
  sw_argv_t rest;
  sw_helper_t *h;
  int rc = SW_EINVAL;

  *out = NULL;
  if (argv->n == 0 || job == NULL) {
    snprintf(why, whylen, argv->n == 0 ? "no command" : "the child has no job");
    return SW_EINVAL;
  }
  h = calloc(1, sizeof(*h));
  if (h == NULL) return SW_ENOMEM;
  snprintf(name_var, sizeof(name_var), "SVCWRAP_SERVICE_NAME=%s", cfg->name);
  memset(&o, 0, sizeof(o));
  o.cfg = cfg;
  o.extra_env = extra;
  rest.v = argv->v + 1;
  rest.n = argv->n - 1;
  if (sw_argv_join_command(argv->v[0], &rest, &cmdline) != 0 ||
      (cmdline_w = sw__win_wide(cmdline)) == NULL ||
      (cwd_w = sw__win_wide(cfg->working_directory)) == NULL ||
      (env_w = sw__win_env_block(&o, NULL)) == NULL) {
    snprintf(why, whylen, "out of memory or invalid Unicode preparing %s",
             argv->v[0]);
    goto fail;
  }
  nul = sw__win_open_nul(GENERIC_READ | GENERIC_WRITE);
  if (nul == INVALID_HANDLE_VALUE) {
    rc = sw__win_fmt_err(why, whylen, "open NUL for the probe", GetLastError());
    goto fail;
  }
  memset(&st, 0, sizeof(st));
  st.cmdline = cmdline;
  st.cmdline_w = cmdline_w;
  st.env_w = env_w;
  st.cwd_w = cwd_w;
  st.std[0] = st.std[1] = st.std[2] = nul;
  st.flags = CREATE_NO_WINDOW;
  st.job = job; /* the child's: the probe's own children end with the tree */
  st.who = "probe pid";
  rc = sw__win_start_in_job(&st, &h->process, &h->pid, why, whylen);
  if (rc != 0) goto fail;
  h->on_exit = on_exit;
  h->data = data;
  rc = uv_async_init(loop, &h->async, on_helper_exited);
  if (rc != 0) {
    snprintf(why, whylen, "exit notification for the probe: %s",
             uv_strerror(rc));
    TerminateProcess(h->process, 1);
    CloseHandle(h->process);
    goto fail;
  }
  h->async.data = h;
  if (!RegisterWaitForSingleObject(&h->wait, h->process, helper_waited, h,
                                   INFINITE, WT_EXECUTEONLYONCE)) {
    sw_log_warn("wait for probe pid %lu", (unsigned long)h->pid);
    h->wait = NULL;
    TerminateProcess(h->process, 1);
    uv_async_send(&h->async);
  }
  *out = h;
  h = NULL;
  rc = 0;
fail:
  if (h != NULL) free(h);
  if (nul != INVALID_HANDLE_VALUE) CloseHandle(nul);
  free(cmdline);
  free(cmdline_w);
  free(cwd_w);
  free(env_w);
  return rc;
}

void sw_os_helper_kill(sw_helper_t *h) {
  /* Its own children stay in the child's job and end with the tree. */
  if (h != NULL && !h->exited && !TerminateProcess(h->process, 1) &&
      GetLastError() != ERROR_ACCESS_DENIED)
    sw_log_warn("terminate probe pid %lu", (unsigned long)h->pid);
}

static void on_helper_closed(uv_handle_t *a) {
  free(a); /* the async is the first member */
}

void sw_os_helper_free(sw_helper_t *h) {
  if (h == NULL) return;
  if (h->wait != NULL) UnregisterWaitEx(h->wait, INVALID_HANDLE_VALUE);
  h->wait = NULL;
  if (h->process != NULL) CloseHandle(h->process);
  h->process = NULL;
  uv_close((uv_handle_t *)&h->async, on_helper_closed);
}
