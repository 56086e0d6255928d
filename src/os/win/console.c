/* SPDX-License-Identifier: MIT */
/*
 * The console arrangement. Console control events only reach processes
 * attached to the sender's console (GenerateConsoleCtrlEvent: "a console
 * process group that shares the console associated with the calling
 * process"), and a service has no console. So the wrapper owns one, and
 * the child inherits it:
 *  - ctrl-break: the child leads its own process group
 *    (CREATE_NEW_PROCESS_GROUP); CTRL_BREAK_EVENT aimed at that group never
 *    reaches the wrapper.
 *  - ctrl-c: CTRL_C_EVENT cannot be aimed at a group (only at "0", every
 *    process on the console), so the wrapper receives it too and swallows
 *    it here. A child in its own group ignores CTRL_C (Windows sets that
 *    for CREATE_NEW_PROCESS_GROUP), which is why `check` warns about
 *    ladders with both.
 * Under the SCM the console is allocated by us, and its window hidden; a
 * service in session 0 has no interactive desktop anyway. In console mode
 * we share the user's console, and a user's Ctrl+C starts the ladder.
 */
#include "os/win/internal.h"

#include "base/log.h"

static volatile LONG expected_ctrl_c; /* self-sent CTRL_C not yet seen */
static bool is_service;
static sw__win_console_stop_fn *stop_fn;
static void *stop_data;

/* Runs on: a thread the system creates for each console event. */
static BOOL WINAPI on_console_event(DWORD ctrl) {
  if (ctrl == CTRL_C_EVENT &&
      InterlockedCompareExchange(&expected_ctrl_c, 0, 0) > 0) {
    InterlockedDecrement(&expected_ctrl_c);
    return TRUE; /* our own, sent to the child */
  }
  if (is_service) return TRUE; /* the SCM controls a service, not its console */
  if (stop_fn != NULL) stop_fn(stop_data, ctrl);
  return TRUE;
}

void sw__win_console_on_stop(sw__win_console_stop_fn *fn, void *data) {
  stop_data = data;
  stop_fn = fn;
}

void sw__win_console_expect_ctrl_c(void) {
  InterlockedIncrement(&expected_ctrl_c);
}

void sw__win_console_cancel_ctrl_c(void) {
  InterlockedDecrement(&expected_ctrl_c);
}

int sw__win_console_init(bool service) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  HANDLE err = GetStdHandle(STD_ERROR_HANDLE);

  is_service = service;
  if (GetConsoleWindow() == NULL && GetConsoleCP() == 0) {
    /* No console (a service, or started detached): make one. AllocConsole
     * replaces the standard handles; keep ours where they were valid. */
    if (!AllocConsole()) {
      DWORD e = GetLastError();

      sw_log_warn("allocate a console for the child's control events");
      return sw__win_error(e);
    }
    if (GetConsoleWindow() != NULL) ShowWindow(GetConsoleWindow(), SW_HIDE);
    if (in != NULL && in != INVALID_HANDLE_VALUE)
      SetStdHandle(STD_INPUT_HANDLE, in);
    if (out != NULL && out != INVALID_HANDLE_VALUE)
      SetStdHandle(STD_OUTPUT_HANDLE, out);
    if (err != NULL && err != INVALID_HANDLE_VALUE)
      SetStdHandle(STD_ERROR_HANDLE, err);
  }
  if (!SetConsoleCtrlHandler(on_console_event, TRUE)) {
    DWORD e = GetLastError();

    sw_log_warn("install the console control handler");
    return sw__win_error(e);
  }
  return 0;
}
