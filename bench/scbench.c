/* SPDX-License-Identifier: MIT */
/*
 * bench/scbench.exe: SCM start/stop latency and working set of installed
 * services, measured from inside Wine (no `wine sc` process start in the
 * numbers).
 *
 *   scbench OUT_FILE REPEATS HOLD_MS MARKER_PREFIX NAME [NAME...]
 *
 * For each repeat, for each NAME in turn (so the services alternate and
 * share the machine's state): StartServiceW, then QueryServiceStatusEx
 * every millisecond until RUNNING (start latency, from just before
 * StartServiceW, QueryPerformanceCounter); wait HOLD_MS; read the service
 * process's memory (GetProcessMemoryInfo: WorkingSetSize, PeakWorkingSet,
 * PrivateUsage); create MARKER_PREFIX.NAME.REPEAT (so the Linux side can
 * read the Wine process's RSS) and wait until that file is deleted (at most
 * 10 s); then ControlService(STOP) and poll until STOPPED (stop latency).
 * One line per measurement in OUT_FILE:
 *   NAME REPEAT start_ms stop_ms pid ws peak_ws private
 * or `NAME REPEAT error WHAT CODE`.
 *
 * Two pseudo-names measure what a wrapper pays on top of a bare service
 * under the same Wine, one line each per repeat:
 *   spawn:PATH|ARGS  CreateProcessW("PATH" ARGS) until it returns, and
 *                until that process has exited:  `spawn EXE_NAME REPEAT
 *                create_ms exit_ms`
 *   console      AllocConsole() (from a process without a console, as a
 *                service is), then FreeConsole(): `console REPEAT alloc_ms`
 *
 * Start/stop reliability (`make bench`'s scm-cycles):
 *
 *   scbench --cycles OUT_FILE CYCLES HOLD_MS TIMEOUT_MS NAME [NAME...]
 *
 * CYCLES times, each NAME in turn: StartServiceW; poll every ms until
 * RUNNING, at most TIMEOUT_MS; wait HOLD_MS; ControlService(STOP); poll
 * until STOPPED, at most TIMEOUT_MS. A start that failed or did not reach
 * RUNNING is still brought back to STOPPED (waiting for it, and sending STOP
 * once RUNNING or if it stays pending), so that the next cycle starts from
 * the same state. One line per cycle:
 *   cycle NAME I UTC start_err call_ms start_ms start_state w32 svc
 *         stop_err stop_ms stop_state pid
 * start_err / stop_err: 0 or the GetLastError() of StartServiceW /
 * ControlService (stop_err -1: no STOP was sent); call_ms: how long
 * StartServiceW itself took; start_ms / stop_ms: from just before the call
 * until RUNNING / STOPPED, -1 if not reached within TIMEOUT_MS (then
 * start_state / stop_state is the last state seen, 0 if the query failed);
 * w32 / svc: dwWin32ExitCode / dwServiceSpecificExitCode once STOPPED; UTC:
 * the wall-clock time of the StartServiceW call (to find the cycle in the
 * service's own log).
 */
#include <windows.h>
#include <psapi.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static LARGE_INTEGER g_freq;

static double now_ms(void) {
  LARGE_INTEGER t;

  QueryPerformanceCounter(&t);
  return (double)t.QuadPart * 1000.0 / (double)g_freq.QuadPart;
}

static void spawn_cost(FILE *out, const wchar_t *spec, int r) {
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  wchar_t cmd[2048], path[1024];
  const wchar_t *bar = wcschr(spec, L'|'), *base;
  size_t n = bar ? (size_t)(bar - spec) : wcslen(spec);
  double t0, t1, t2;

  if (n >= 1024)
    return;
  wmemcpy(path, spec, n);
  path[n] = 0;
  base = wcsrchr(path, L'\\');
  base = base ? base + 1 : path;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  _snwprintf(cmd, 2048, L"\"%ls\" %ls", path, bar ? bar + 1 : L"");
  t0 = now_ms();
  if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL,
                      NULL, &si, &pi)) {
    fprintf(out, "spawn %ls %d error CreateProcess %lu\n", base, r,
            GetLastError());
    return;
  }
  t1 = now_ms();
  WaitForSingleObject(pi.hProcess, 30000);
  t2 = now_ms();
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  fprintf(out, "spawn %ls %d %.3f %.3f\n", base, r, t1 - t0, t2 - t0);
}

static void console_cost(FILE *out, int r) {
  double t0, t1;

  FreeConsole();
  t0 = now_ms();
  if (!AllocConsole()) {
    fprintf(out, "console %d error AllocConsole %lu\n", r, GetLastError());
    return;
  }
  t1 = now_ms();
  FreeConsole();
  fprintf(out, "console %d %.3f\n", r, t1 - t0);
}

static DWORD state_of(SC_HANDLE svc, DWORD *pid) {
  SERVICE_STATUS_PROCESS ssp;
  DWORD need;

  if (!QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (LPBYTE)&ssp,
                            sizeof ssp, &need))
    return 0;
  if (pid)
    *pid = ssp.dwProcessId;
  return ssp.dwCurrentState;
}

/* Poll every ms until the state is `want`; -1 after timeout_ms. */
static double wait_state(SC_HANDLE svc, DWORD want, double t0,
                         double timeout_ms, DWORD *pid) {
  for (;;) {
    DWORD s = state_of(svc, pid);
    double t = now_ms();

    if (s == want)
      return t - t0;
    if (t - t0 > timeout_ms)
      return -1;
    Sleep(1);
  }
}

/* Poll every ms until the state is `want`; -1 after timeout_ms. The last
 * state seen and the exit codes go to *last / *w32 / *svc. */
static double wait_state_ex(SC_HANDLE svc, DWORD want, double t0,
                            double timeout_ms, DWORD *last, DWORD *w32,
                            DWORD *svc_code, DWORD *pid) {
  for (;;) {
    SERVICE_STATUS_PROCESS ssp;
    DWORD need;
    double t;

    *last = 0;
    if (QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (LPBYTE)&ssp,
                             sizeof ssp, &need)) {
      *last = ssp.dwCurrentState;
      *w32 = ssp.dwWin32ExitCode;
      *svc_code = ssp.dwServiceSpecificExitCode;
      if (ssp.dwProcessId != 0 && pid != NULL)
        *pid = ssp.dwProcessId;
    }
    t = now_ms();
    if (*last == want)
      return t - t0;
    if (t - t0 > timeout_ms)
      return -1;
    Sleep(1);
  }
}

static void utc_now(char *buf, size_t n) {
  SYSTEMTIME st;

  GetSystemTime(&st);
  _snprintf(buf, n, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", st.wYear,
            st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond,
            st.wMilliseconds);
  buf[n - 1] = 0;
}

/* One start/stop cycle of `name`; one `cycle` line. */
static void cycle(FILE *out, SC_HANDLE scm, const wchar_t *name, int i,
                  DWORD hold, double timeout) {
  SC_HANDLE svc = OpenServiceW(scm, name, SERVICE_ALL_ACCESS);
  SERVICE_STATUS ss;
  DWORD start_err = 0, start_state = 0, stop_state = 0, w32 = 0, code = 0;
  DWORD pid = 0, ignored;
  long stop_err = -1;
  double t0, call_ms, start_ms, stop_ms = -1;
  char when[40];

  if (svc == NULL) {
    fprintf(out, "cycle %ls %d - error OpenService %lu\n", name, i,
            GetLastError());
    return;
  }
  utc_now(when, sizeof when);
  t0 = now_ms();
  if (!StartServiceW(svc, 0, NULL))
    start_err = GetLastError();
  call_ms = now_ms() - t0;
  if (start_err == 0) {
    start_ms = wait_state_ex(svc, SERVICE_RUNNING, t0, timeout, &start_state,
                             &w32, &code, &pid);
  } else {
    start_ms = -1;
    wait_state_ex(svc, SERVICE_STOPPED, t0, 0, &start_state, &w32, &code,
                  &pid);
  }
  if (start_ms >= 0)
    Sleep(hold);
  /* Back to STOPPED, whatever happened: a pending start is waited for (the
   * SCM refuses STOP while START_PENDING), then stopped. */
  if (start_state == SERVICE_START_PENDING)
    wait_state_ex(svc, SERVICE_RUNNING, now_ms(), timeout, &ignored, &w32,
                  &code, &pid);
  t0 = now_ms();
  if (start_state != SERVICE_STOPPED) {
    stop_err = ControlService(svc, SERVICE_CONTROL_STOP, &ss) ? 0
                                                              : (long)GetLastError();
  }
  stop_ms = wait_state_ex(svc, SERVICE_STOPPED, t0, timeout, &stop_state,
                          &w32, &code, NULL);
  fprintf(out, "cycle %ls %d %s %lu %.3f %.3f %lu %lu %lu %ld %.3f %lu %lu\n",
          name, i, when, start_err, call_ms, start_ms, start_state, w32, code,
          stop_err, stop_ms, stop_state, pid);
  fflush(out);
  CloseServiceHandle(svc);
}

static int cycles(int argc, wchar_t **argv) {
  FILE *out;
  SC_HANDLE scm;
  int n, i, k;
  DWORD hold;
  double timeout;

  if (argc < 7) {
    fwprintf(stderr, L"usage: scbench --cycles OUT CYCLES HOLD_MS TIMEOUT_MS "
                     L"NAME...\n");
    return 64;
  }
  out = _wfopen(argv[2], L"w");
  if (out == NULL) {
    fwprintf(stderr, L"scbench: cannot open %ls: error %lu\n", argv[2],
             GetLastError());
    return 2;
  }
  n = _wtoi(argv[3]);
  hold = (DWORD)_wtoi(argv[4]);
  timeout = (double)_wtoi(argv[5]);
  scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  if (scm == NULL) {
    fprintf(out, "cycle - 0 - error OpenSCManager %lu\n", GetLastError());
    fclose(out);
    return 1;
  }
  for (i = 0; i < n; i++) {
    for (k = 6; k < argc; k++) {
      cycle(out, scm, argv[k], i, hold, timeout);
      Sleep(100);
    }
  }
  CloseServiceHandle(scm);
  fclose(out);
  return 0;
}

int wmain(int argc, wchar_t **argv) {
  FILE *out;
  SC_HANDLE scm;
  int repeats, hold, r, i;

  if (argc < 6) {
    fwprintf(stderr, L"usage: scbench OUT REPEATS HOLD_MS MARKER NAME...\n");
    return 64;
  }
  QueryPerformanceFrequency(&g_freq);
  if (wcscmp(argv[1], L"--cycles") == 0)
    return cycles(argc, argv);
  out = _wfopen(argv[1], L"w");
  if (out == NULL)
    return 2;
  repeats = _wtoi(argv[2]);
  hold = _wtoi(argv[3]);
  scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  if (scm == NULL) {
    fprintf(out, "- 0 error OpenSCManager %lu\n", GetLastError());
    fclose(out);
    return 1;
  }
  for (r = 0; r < repeats; r++) {
    for (i = 5; i < argc; i++) {
      SC_HANDLE svc = OpenServiceW(scm, argv[i], SERVICE_ALL_ACCESS);
      SERVICE_STATUS ss;
      PROCESS_MEMORY_COUNTERS_EX pmc;
      HANDLE proc;
      DWORD pid = 0;
      double t0, start_ms, stop_ms;
      wchar_t marker[1024];
      int waited;

      if (wcsncmp(argv[i], L"spawn:", 6) == 0) {
        spawn_cost(out, argv[i] + 6, r);
        fflush(out);
        continue;
      }
      if (wcscmp(argv[i], L"console") == 0) {
        console_cost(out, r);
        fflush(out);
        continue;
      }
      if (svc == NULL) {
        fprintf(out, "%ls %d error OpenService %lu\n", argv[i], r, GetLastError());
        continue;
      }
      t0 = now_ms();
      if (!StartServiceW(svc, 0, NULL)) {
        fprintf(out, "%ls %d error StartService %lu\n", argv[i], r, GetLastError());
        CloseServiceHandle(svc);
        continue;
      }
      start_ms = wait_state(svc, SERVICE_RUNNING, t0, 30000, &pid);
      Sleep((DWORD)hold);
      memset(&pmc, 0, sizeof pmc);
      proc = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ,
                         FALSE, pid);
      if (proc != NULL) {
        GetProcessMemoryInfo(proc, (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof pmc);
        CloseHandle(proc);
      }
      _snwprintf(marker, 1024, L"%ls.%ls.%d", argv[4], argv[i], r);
      {
        FILE *m = _wfopen(marker, L"w");
        if (m) {
          fprintf(m, "%lu\n", pid);
          fclose(m);
        }
        for (waited = 0; waited < 10000 &&
                         GetFileAttributesW(marker) != INVALID_FILE_ATTRIBUTES;
             waited += 5)
          Sleep(5);
      }
      t0 = now_ms();
      if (!ControlService(svc, SERVICE_CONTROL_STOP, &ss)) {
        fprintf(out, "%ls %d error ControlService %lu\n", argv[i], r, GetLastError());
        CloseServiceHandle(svc);
        continue;
      }
      stop_ms = wait_state(svc, SERVICE_STOPPED, t0, 60000, NULL);
      fprintf(out, "%ls %d %.3f %.3f %lu %llu %llu %llu\n", argv[i], r, start_ms,
              stop_ms, pid, (unsigned long long)pmc.WorkingSetSize,
              (unsigned long long)pmc.PeakWorkingSetSize,
              (unsigned long long)pmc.PrivateUsage);
      fflush(out);
      CloseServiceHandle(svc);
      Sleep(200);
    }
  }
  CloseServiceHandle(scm);
  fclose(out);
  return 0;
}
