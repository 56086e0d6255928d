/* SPDX-License-Identifier: MIT */
/*
 * bench/minsvc.exe: the smallest correct Windows service, the floor for
 * SCM start/stop latency and working set under the same Wine. It connects
 * to the SCM with StartServiceCtrlDispatcherW, reports RUNNING at once, and
 * on STOP (or SHUTDOWN) reports STOPPED. No child, no logs.
 */
#include <windows.h>

static SERVICE_STATUS_HANDLE g_handle;
static SERVICE_STATUS g_status;
static HANDLE g_stop;

static void report(DWORD state) {
  g_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  g_status.dwCurrentState = state;
  g_status.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  g_status.dwWin32ExitCode = NO_ERROR;
  g_status.dwWaitHint = 0;
  SetServiceStatus(g_handle, &g_status);
}

static DWORD WINAPI handler(DWORD ctrl, DWORD type, LPVOID data, LPVOID ctx) {
  (void)type;
  (void)data;
  (void)ctx;
  if (ctrl == SERVICE_CONTROL_STOP || ctrl == SERVICE_CONTROL_SHUTDOWN) {
    SetEvent(g_stop);
    return NO_ERROR;
  }
  if (ctrl == SERVICE_CONTROL_INTERROGATE)
    return NO_ERROR;
  return ERROR_CALL_NOT_IMPLEMENTED;
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  (void)argc;
  g_handle = RegisterServiceCtrlHandlerExW(argv[0], handler, NULL);
  if (g_handle == NULL)
    return;
  g_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
  report(SERVICE_RUNNING);
  WaitForSingleObject(g_stop, INFINITE);
  report(SERVICE_STOPPED);
}

int wmain(void) {
  static WCHAR name[] = L"minsvc";
  SERVICE_TABLE_ENTRYW table[] = {{name, service_main}, {NULL, NULL}};

  return StartServiceCtrlDispatcherW(table) ? 0 : 1;
}
