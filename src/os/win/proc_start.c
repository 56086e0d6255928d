/* SPDX-License-Identifier: MIT */
/*
 * Starting a process inside a job, shared by the child (child.c) and the
 * exec probes (health.c): CreateProcessW suspended, with its window hidden
 * and exactly its three standard handles inherited
 * (PROC_THREAD_ATTRIBUTE_HANDLE_LIST: nothing else the wrapper has), then
 * assigned to the job before it runs a single instruction, then resumed.
 */
#include "os/win/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/os.h"

int sw__win_fmt_err(char *why, size_t whylen, const char *what, DWORD err) {
  char msg[512];

  snprintf(why, whylen, "%s: %s", what,
           sw__win_strerror(err, msg, sizeof(msg)));
  return sw__win_error(err);
}

HANDLE sw__win_open_nul(DWORD access) {
  SECURITY_ATTRIBUTES inherit;

  memset(&inherit, 0, sizeof(inherit));
  inherit.nLength = sizeof(inherit);
  inherit.bInheritHandle = TRUE;
  return CreateFileW(L"NUL", access, FILE_SHARE_READ | FILE_SHARE_WRITE,
                     &inherit, OPEN_EXISTING, 0, NULL);
}

/* A process that never ran cannot have started others: ending it is
 * ending all of it. */
static void end_suspended(const PROCESS_INFORMATION *pi, const char *who) {
  if (!TerminateProcess(pi->hProcess, 1))
    sw_log_warn("terminate the suspended %s %lu", who,
                (unsigned long)pi->dwProcessId);
  CloseHandle(pi->hThread);
  CloseHandle(pi->hProcess);
}

int sw__win_start_in_job(const sw__win_start_t *s, HANDLE *process, DWORD *pid,
                         char *why, size_t whylen) {
  LPPROC_THREAD_ATTRIBUTE_LIST attrs;
  PROCESS_INFORMATION pi;
  STARTUPINFOEXW si;
  HANDLE list[3] = {NULL, NULL, NULL};
  DWORD n = 0, i, j;
  int rc = 0;

  *process = NULL;
  *pid = 0;
  /* Each handle once: the same one may be stdin, stdout and stderr. */
  for (i = 0; i < 3; i++) {
    bool seen = false;

    for (j = 0; j < n; j++)
      seen = seen || list[j] == s->std[i];
    if (!seen) list[n++] = s->std[i];
  }
  /* Without the list, CreateProcessW with bInheritHandles passes every
   * inheritable handle the wrapper has (a concurrent spawn's pipe ends,
   * anything a library opened). */
  attrs = sw__win_handle_list(list, n, why, whylen);
  if (attrs == NULL) return sw__win_error(GetLastError());
  memset(&si, 0, sizeof(si));
  si.StartupInfo.cb = sizeof(si);
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES | STARTF_USESHOWWINDOW;
  si.StartupInfo.wShowWindow = SW_HIDE;
  si.StartupInfo.hStdInput = s->std[0];
  si.StartupInfo.hStdOutput = s->std[1];
  si.StartupInfo.hStdError = s->std[2];
  si.lpAttributeList = attrs;
  memset(&pi, 0, sizeof(pi));
  /* No application name: the first word is searched in PATH, as cmd
   * would. Suspended until it is in the job. */
  if (!CreateProcessW(NULL, s->cmdline_w, NULL, NULL, TRUE,
                      CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT |
                          EXTENDED_STARTUPINFO_PRESENT | s->flags,
                      s->env_w, s->cwd_w, &si.StartupInfo, &pi)) {
    /* ERROR_FILE_NOT_FOUND -> SW_ENOENT, as a missing file is on POSIX. */
    rc = sw__win_fmt_err(why, whylen, s->cmdline, GetLastError());
  } else if (!AssignProcessToJobObject(s->job, pi.hProcess)) {
    rc = sw__win_fmt_err(why, whylen, "AssignProcessToJobObject",
                         GetLastError());
    end_suspended(&pi, s->who);
  } else if (ResumeThread(pi.hThread) == (DWORD)-1) {
    /* A process left suspended would look alive forever and never exit:
     * if it cannot be resumed, end it and fail the start. */
    rc = sw__win_fmt_err(why, whylen, "ResumeThread", GetLastError());
    end_suspended(&pi, s->who);
  } else {
    CloseHandle(pi.hThread);
    *process = pi.hProcess;
    *pid = pi.dwProcessId;
  }
  DeleteProcThreadAttributeList(attrs);
  free(attrs);
  return rc;
}
