/* SPDX-License-Identifier: MIT */
/* The management verbs through the Service Control Manager: install,
 * uninstall, start, stop, query. Runs on: main thread (CLI). */
#include "os/win/internal.h"

#include <ntsecapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/cmdline.h"
#include "core/err.h"
#include "core/ops.h"
#include "core/sbuf.h"
#include "core/secdesc.h"
#include "os/os.h"

/* How often a wait polls the SCM. */
#define POLL_MS 100

static int fail(char *why, size_t whylen, const char *what) {
  DWORD err = GetLastError();
  char msg[512];

  if (err == ERROR_ACCESS_DENIED)
    snprintf(why, whylen,
             "%s: %s; run from an elevated (administrator) "
             "prompt",
             what, sw__win_strerror(err, msg, sizeof(msg)));
  else if (err == ERROR_SERVICE_DOES_NOT_EXIST)
    snprintf(why, whylen,
             "the service is not installed; `svcwrap install` "
             "registers it");
  else
    snprintf(why, whylen, "%s: %s", what,
             sw__win_strerror(err, msg, sizeof(msg)));
  if (err == ERROR_SERVICE_DOES_NOT_EXIST) return SW_ENOTINST;
  return sw__win_error(err);
}

static const char *state_name(DWORD s) {
  switch (s) {
  case SERVICE_STOPPED:
    return "stopped";
  case SERVICE_START_PENDING:
    return "start-pending";
  case SERVICE_STOP_PENDING:
    return "stop-pending";
  case SERVICE_RUNNING:
    return "running";
  case SERVICE_CONTINUE_PENDING:
    return "continue-pending";
  case SERVICE_PAUSE_PENDING:
    return "pause-pending";
  case SERVICE_PAUSED:
    return "paused";
  default:
    return "unknown";
  }
}

static void fill(sw_svc_info_t *info, const SERVICE_STATUS_PROCESS *sp) {
  info->installed = true;
  snprintf(info->state, sizeof(info->state), "%s",
           state_name(sp->dwCurrentState));
  info->win32_exit_code = sp->dwWin32ExitCode;
  info->service_exit_code = sp->dwServiceSpecificExitCode;
  info->pid = (int)sp->dwProcessId;
}

static bool query(SC_HANDLE svc, SERVICE_STATUS_PROCESS *sp) {
  DWORD n;

  return QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (BYTE *)sp,
                              sizeof(*sp), &n) != 0;
}

static void close_both(SC_HANDLE svc, SC_HANDLE scm) {
  if (svc != NULL) CloseServiceHandle(svc);
  if (scm != NULL) CloseServiceHandle(scm);
}

/* Open the service with `access`. Returns 0 (the caller closes both with
 * close_both) or SW_ENOTINST, SW_EACCES, SW_EINVAL with the reason in
 * why (nothing left open). */
static int open_service(const sw_config_t *cfg, DWORD access, SC_HANDLE *scm,
                        SC_HANDLE *svc, char *why, size_t whylen) {
  wchar_t *name = sw__win_wide(cfg->name);
  int rc = 0;

  *svc = NULL;
  *scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  if (*scm == NULL) {
    rc = fail(why, whylen, "open the service manager");
  } else if (name == NULL) {
    snprintf(why, whylen, "the service name is not valid Unicode");
    rc = SW_EINVAL;
  } else if ((*svc = OpenServiceW(*scm, name, access)) == NULL) {
    rc = fail(why, whylen, "open the service");
  }
  free(name);
  if (rc != 0) {
    close_both(*svc, *scm);
    *svc = *scm = NULL;
  }
  return rc;
}

/* The registered command line, from QueryServiceConfigW. */
static void query_image_path(SC_HANDLE svc, sw_svc_info_t *info) {
  union {
    QUERY_SERVICE_CONFIGW qc;
    BYTE raw[8192];
  } buf;
  DWORD n;
  char *utf8;

  if (!QueryServiceConfigW(svc, &buf.qc, sizeof(buf), &n) ||
      buf.qc.lpBinaryPathName == NULL)
    return;
  utf8 = sw__win_utf8(buf.qc.lpBinaryPathName, -1);
  if (utf8 != NULL)
    snprintf(info->image_path, sizeof(info->image_path), "%s", utf8);
  free(utf8);
}

int sw_os_service_query(const sw_config_t *cfg, sw_svc_info_t *info, char *why,
                        size_t whylen) {
  SERVICE_STATUS_PROCESS sp;
  SC_HANDLE scm, svc;
  int rc = 0;

  memset(info, 0, sizeof(*info));
  rc = open_service(cfg, SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG, &scm,
                    &svc, why, whylen);
  if (rc != 0) {
    snprintf(info->state, sizeof(info->state), "not-installed");
    return rc == SW_ENOTINST ? 0 : rc;
  }
  if (!query(svc, &sp)) {
    rc = fail(why, whylen, "query the service");
  } else {
    fill(info, &sp);
    query_image_path(svc, info);
  }
  close_both(svc, scm);
  return rc;
}

#define EVENTLOG_KEY                                                           \
  L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\"

/* The value that marks an Event Log source as svcwrap's own: install
 * creates a source only when it is absent (or already marked), uninstall
 * deletes only a marked one, so another product's source of the same
 * name is never overwritten or removed. */
#define EVENTLOG_MARKER L"SvcwrapSource"

static void eventlog_key(wchar_t *key, size_t n, const wchar_t *name) {
  _snwprintf(key, n, L"%ls%ls", EVENTLOG_KEY, name);
  key[n - 1] = L'\0';
}

/* Whether the source's key exists, and whether it carries our marker. */
static void source_state(const wchar_t *name, bool *exists, bool *ours) {
  wchar_t key[512];
  DWORD v = 0, n = sizeof(v), type;
  HKEY k;

  *exists = *ours = false;
  eventlog_key(key, sizeof(key) / sizeof(key[0]), name);
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_QUERY_VALUE, &k) !=
      ERROR_SUCCESS)
    return;
  *exists = true;
  *ours = RegQueryValueExW(k, EVENTLOG_MARKER, NULL, &type, (BYTE *)&v, &n) ==
              ERROR_SUCCESS &&
          type == REG_DWORD && v == 1;
  RegCloseKey(k);
}

/* Register the service's name as an Event Log source whose messages come
 * from svcwrap.exe's message table, unless another product has it
 * (*skipped then). Returns 0 or a negative code. */
static int register_event_source(const wchar_t *name, const wchar_t *exe,
                                 bool *skipped, char *why, size_t whylen) {
  wchar_t key[512];
  HKEY k;
  DWORD types =
      EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  DWORD one = 1;
  bool exists, ours;
  LONG rc;

  source_state(name, &exists, &ours);
  *skipped = exists && !ours;
  if (*skipped) return 0;
  eventlog_key(key, sizeof(key) / sizeof(key[0]), name);
  rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE, NULL,
                       &k, NULL);
  if (rc == ERROR_SUCCESS) {
    rc = RegSetValueExW(k, L"EventMessageFile", 0, REG_EXPAND_SZ,
                        (const BYTE *)exe,
                        (DWORD)((wcslen(exe) + 1) * sizeof(wchar_t)));
    if (rc == ERROR_SUCCESS)
      rc = RegSetValueExW(k, L"TypesSupported", 0, REG_DWORD,
                          (const BYTE *)&types, sizeof(types));
    if (rc == ERROR_SUCCESS)
      rc = RegSetValueExW(k, EVENTLOG_MARKER, 0, REG_DWORD, (const BYTE *)&one,
                          sizeof(one));
    RegCloseKey(k);
  }
  if (rc != ERROR_SUCCESS) {
    SetLastError((DWORD)rc);
    return fail(why, whylen, "register the Event Log source");
  }
  return 0;
}

/* Delete the source if it is ours; false when another product's was
 * left alone. */
static bool unregister_event_source(const sw_config_t *cfg) {
  wchar_t key[512], *name = sw__win_wide(cfg->name);
  bool exists, ours;

  if (name == NULL) return true;
  source_state(name, &exists, &ours);
  if (ours) {
    eventlog_key(key, sizeof(key) / sizeof(key[0]), name);
    RegDeleteKeyW(HKEY_LOCAL_MACHINE, key);
  }
  free(name);
  return ours || !exists;
}

/* Wait until the service reaches `target` (or stops, when starting). */
static int wait_for(SC_HANDLE svc, DWORD target, uint64_t timeout_ms,
                    sw_svc_info_t *info, char *why, size_t whylen) {
  SERVICE_STATUS_PROCESS sp;
  ULONGLONG deadline = GetTickCount64() + timeout_ms;

  for (;;) {
    if (!query(svc, &sp)) return fail(why, whylen, "query the service");
    fill(info, &sp);
    if (sp.dwCurrentState == target) return 0;
    if (target == SERVICE_RUNNING && sp.dwCurrentState == SERVICE_STOPPED) {
      char msg[256];

      if (sp.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR)
        snprintf(why, whylen,
                 "the service stopped while starting, exit code "
                 "%lu; its wrapper log says why",
                 (unsigned long)sp.dwServiceSpecificExitCode);
      else
        snprintf(why, whylen, "the service stopped while starting: %s",
                 sw__win_strerror(sp.dwWin32ExitCode, msg, sizeof(msg)));
      return SW_EINVAL;
    }
    if (GetTickCount64() >= deadline) {
      snprintf(why, whylen, "still %s after %llums",
               state_name(sp.dwCurrentState), (unsigned long long)timeout_ms);
      return UV_ETIMEDOUT;
    }
    Sleep(POLL_MS);
  }
}

int sw_os_service_start(const sw_config_t *cfg, uint64_t timeout_ms,
                        sw_svc_info_t *info, char *why, size_t whylen) {
  SC_HANDLE scm, svc;
  int rc;

  rc = open_service(cfg, SERVICE_START | SERVICE_QUERY_STATUS, &scm, &svc, why,
                    whylen);
  if (rc != 0) return rc;
  if (!StartServiceW(svc, 0, NULL) &&
      GetLastError() != ERROR_SERVICE_ALREADY_RUNNING) {
    rc = fail(why, whylen, "start the service");
  } else {
    rc = wait_for(svc, SERVICE_RUNNING, timeout_ms, info, why, whylen);
  }
  close_both(svc, scm);
  return rc;
}

/* Send STOP. The SCM refuses it while the service is START_PENDING
 * (Windows: ERROR_SERVICE_CANNOT_ACCEPT_CTRL; Wine 8: ERROR_INVALID_SERVICE_
 * CONTROL, as the service accepts no controls yet): then wait for the
 * start to end and send it again. While STOP_PENDING, a stop is already
 * under way. */
static int stop_and_wait(SC_HANDLE svc, uint64_t timeout_ms,
                         sw_svc_info_t *info, char *why, size_t whylen) {
  ULONGLONG deadline = GetTickCount64() + timeout_ms, now;
  SERVICE_STATUS_PROCESS sp;
  SERVICE_STATUS st;
  int refused_while_up = 0;
  DWORD err;

  while (!ControlService(svc, SERVICE_CONTROL_STOP, &st)) {
    err = GetLastError();
    if (err == ERROR_SERVICE_NOT_ACTIVE) break;
    if (err != ERROR_SERVICE_CANNOT_ACCEPT_CTRL &&
        err != ERROR_INVALID_SERVICE_CONTROL)
      return fail(why, whylen, "stop the service");
    if (!query(svc, &sp)) return fail(why, whylen, "query the service");
    fill(info, &sp);
    if (sp.dwCurrentState == SERVICE_STOP_PENDING ||
        sp.dwCurrentState == SERVICE_STOPPED)
      break;
    if (sp.dwCurrentState != SERVICE_START_PENDING) {
      /* Up now: send again (it may have started since the refusal);
       * refused twice while up, it does not accept STOP at all. */
      if (refused_while_up++) {
        SetLastError(err);
        return fail(why, whylen, "stop the service");
      }
      continue;
    }
    if (GetTickCount64() >= deadline) {
      snprintf(why, whylen, "still starting after %llums",
               (unsigned long long)timeout_ms);
      return UV_ETIMEDOUT;
    }
    Sleep(POLL_MS);
  }
  now = GetTickCount64();
  return wait_for(svc, SERVICE_STOPPED, now < deadline ? deadline - now : 0,
                  info, why, whylen);
}

int sw_os_service_stop(const sw_config_t *cfg, uint64_t timeout_ms,
                       sw_svc_info_t *info, char *why, size_t whylen) {
  SC_HANDLE scm, svc;
  int rc;

  rc = open_service(cfg, SERVICE_STOP | SERVICE_QUERY_STATUS, &scm, &svc, why,
                    whylen);
  if (rc != 0) return rc;
  rc = stop_and_wait(svc, timeout_ms, info, why, whylen);
  close_both(svc, scm);
  return rc;
}

int sw_os_service_uninstall(const sw_config_t *cfg, uint64_t timeout_ms,
                            char *why, size_t whylen) {
  sw_svc_info_t info;
  SC_HANDLE scm, svc;
  int rc;

  rc = open_service(cfg, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE, &scm,
                    &svc, why, whylen);
  if (rc != 0) return rc;
  rc = stop_and_wait(svc, timeout_ms, &info, why, whylen);
  if (rc == 0 && !DeleteService(svc))
    rc = fail(why, whylen, "delete the service");
  if (rc == 0 && !unregister_event_source(cfg))
    snprintf(why, whylen,
             "the Event Log source %s is not svcwrap's (no SvcwrapSource "
             "marker); left as it was",
             cfg->name);
  close_both(svc, scm);
  return rc;
}

/* Set the DWORD value `value` = 1 under the service's registry key: where
 * ChangeServiceConfig2W lacks a level (ERROR_INVALID_LEVEL: Wine 8), the
 * value the SCM reads it from (DelayedAutostart,
 * FailureActionsOnNonCrashFailures). Returns 0 or sets the last error and
 * returns a negative code. */
static int set_service_flag(const wchar_t *name, const wchar_t *value) {
  wchar_t key[512];
  DWORD one = 1;
  HKEY k;
  LONG rc;

  _snwprintf(key, sizeof(key) / sizeof(key[0]),
             L"SYSTEM\\CurrentControlSet\\Services\\%ls", name);
  key[sizeof(key) / sizeof(key[0]) - 1] = L'\0';
  rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_SET_VALUE, &k);
  if (rc == ERROR_SUCCESS) {
    rc =
        RegSetValueExW(k, value, 0, REG_DWORD, (const BYTE *)&one, sizeof(one));
    RegCloseKey(k);
  }
  if (rc != ERROR_SUCCESS) {
    SetLastError((DWORD)rc);
    return sw__win_error((DWORD)rc);
  }
  return 0;
}

/* "a\0b\0\0" from a list of names; heap, caller frees. */
static wchar_t *multi_sz(const sw_argv_t *names) {
  size_t total = 1, k = 0;
  wchar_t *out;
  int i;

  for (i = 0; i < names->n; i++)
    total += strlen(names->v[i]) + 1;
  out = calloc(total, sizeof(*out));
  if (out == NULL) return NULL;
  for (i = 0; i < names->n; i++) {
    int w = MultiByteToWideChar(CP_UTF8, 0, names->v[i], -1, out + k,
                                (int)(total - k));

    if (w <= 0) {
      free(out);
      return NULL;
    }
    k += (size_t)w;
  }
  out[k] = L'\0';
  return out;
}

/* SC_ACTION_TYPE is what core/ops.h passes through. */
_Static_assert((int)SW_RECOVERY_NONE == (int)SC_ACTION_NONE &&
                   (int)SW_RECOVERY_RESTART == (int)SC_ACTION_RESTART &&
                   (int)SW_RECOVERY_REBOOT == (int)SC_ACTION_REBOOT &&
                   (int)SW_RECOVERY_RUN == (int)SC_ACTION_RUN_COMMAND,
               "SC_ACTION_TYPE values");

/* "Log on as a service" for `account` (".\user", "DOMAIN\user",
 * "DOMAIN\gmsa$", "user@domain"), granted through the LSA when the account
 * lacks it, as NSSM does. Returns 0 or a negative code with the reason. */
static int grant_logon_right(const char *account, char *why, size_t whylen) {
  static wchar_t right_w[] = L"SeServiceLogonRight";
  LSA_UNICODE_STRING right = {sizeof(right_w) - sizeof(wchar_t),
                              sizeof(right_w), right_w};
  LSA_OBJECT_ATTRIBUTES attrs;
  LSA_HANDLE policy = NULL;
  PLSA_UNICODE_STRING have = NULL;
  ULONG n_have = 0, i;
  union {
    SID sid;
    BYTE raw[SECURITY_MAX_SID_SIZE];
  } sid;
  wchar_t domain[256], *name_w;
  DWORD sid_len = sizeof(sid), dom_len = 256;
  SID_NAME_USE use;
  NTSTATUS st;
  char msg[256];
  int rc = 0;

  /* LookupAccountNameW does not know ".\" (CreateServiceW does): the
   * local account is the bare name. */
  name_w =
      sw__win_wide(strncmp(account, ".\\", 2) == 0 ? account + 2 : account);
  if (name_w == NULL) {
    snprintf(why, whylen, "account name is not valid Unicode");
    return SW_EINVAL;
  }
  if (!LookupAccountNameW(NULL, name_w, &sid.sid, &sid_len, domain, &dom_len,
                          &use)) {
    DWORD err = GetLastError();

    snprintf(why, whylen, "look up account %s: %s", account,
             sw__win_strerror(err, msg, sizeof(msg)));
    free(name_w);
    return sw__win_error(err);
  }
  free(name_w);
  memset(&attrs, 0, sizeof(attrs));
  st = LsaOpenPolicy(NULL, &attrs, POLICY_LOOKUP_NAMES | POLICY_CREATE_ACCOUNT,
                     &policy);
  if (st != 0) {
    DWORD err = LsaNtStatusToWinError(st);

    snprintf(why, whylen,
             "open the local security policy to grant %s \"Log on as a "
             "service\": %s",
             account, sw__win_strerror(err, msg, sizeof(msg)));
    return sw__win_error(err);
  }
  /* STATUS_OBJECT_NAME_NOT_FOUND: the account has no rights at all yet. */
  st = LsaEnumerateAccountRights(policy, &sid.sid, &have, &n_have);
  for (i = 0; st == 0 && i < n_have; i++)
    if (have[i].Length == right.Length &&
        memcmp(have[i].Buffer, right_w, right.Length) == 0)
      break;
  if (st == 0 && i < n_have) goto out; /* has it */
  st = LsaAddAccountRights(policy, &sid.sid, &right, 1);
  if (st != 0) {
    DWORD err = LsaNtStatusToWinError(st);

    snprintf(why, whylen, "grant %s \"Log on as a service\": %s", account,
             sw__win_strerror(err, msg, sizeof(msg)));
    rc = sw__win_error(err);
  }
out:
  if (have != NULL) LsaFreeMemory(have);
  LsaClose(policy);
  return rc;
}

/*
 * [service] recovery as the service's failure actions, and the flag that
 * makes the SCM apply them when the service reports STOPPED with an error
 * (svcwrap's give-up), not only when its process dies. Then both are read
 * back; *note says what the SCM reported ("" when all matched). Returns 0
 * or a negative code with the reason (the caller undoes the install).
 */
static int set_recovery(SC_HANDLE svc, const wchar_t *name,
                        const sw_config_t *cfg, char *note, size_t notelen,
                        char *why, size_t whylen) {
  sw_sc_action_t acts[SW_MAX_RECOVERY];
  SC_ACTION sc[SW_MAX_RECOVERY];
  SERVICE_FAILURE_ACTIONSW fa;
  SERVICE_FAILURE_ACTIONS_FLAG flag = {TRUE};
  wchar_t *command = NULL, empty[1] = {L'\0'};
  uint32_t reset_s;
  unsigned n = sw_recovery_sc_actions(&cfg->recovery, acts, &reset_s), i;
  union {
    SERVICE_FAILURE_ACTIONSW fa;
    SERVICE_FAILURE_ACTIONS_FLAG flag;
    BYTE raw[8192];
  } back;
  DWORD need;
  char msg[256];

  note[0] = '\0';
  if (n == 0) return 0; /* no actions: leave the SCM's defaults (none) */
  if (cfg->recovery.command != NULL &&
      (command = sw__win_wide(cfg->recovery.command)) == NULL) {
    snprintf(why, whylen, "recovery command is not valid Unicode");
    return SW_EINVAL;
  }
  for (i = 0; i < n; i++) {
    sc[i].Type = (SC_ACTION_TYPE)acts[i].type;
    sc[i].Delay = acts[i].delay_ms;
  }
  memset(&fa, 0, sizeof(fa));
  fa.dwResetPeriod = reset_s;
  fa.lpRebootMsg = NULL; /* keep the SCM's (none) */
  fa.lpCommand = command ? command : empty;
  fa.cActions = n;
  fa.lpsaActions = sc;
  if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa)) {
    free(command);
    /* A reboot action needs SE_SHUTDOWN_NAME in the caller's token. */
    return fail(why, whylen, "set the recovery (failure) actions");
  }
  free(command);
  if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag) &&
      (GetLastError() != ERROR_INVALID_LEVEL ||
       set_service_flag(name, L"FailureActionsOnNonCrashFailures") != 0))
    return fail(why, whylen, "set the failure actions flag");

  /* Read back: what the SCM will apply. */
  if (!QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, back.raw,
                            sizeof(back), &need)) {
    snprintf(note, notelen,
             "the service manager does not report failure actions back "
             "(QueryServiceConfig2W: %s)",
             sw__win_strerror(GetLastError(), msg, sizeof(msg)));
    return 0;
  }
  if (back.fa.cActions != n || back.fa.dwResetPeriod != reset_s) {
    snprintf(note, notelen,
             "the service manager reports %lu failure actions and a reset "
             "of %lus, not %u and %lus",
             (unsigned long)back.fa.cActions,
             (unsigned long)back.fa.dwResetPeriod, n, (unsigned long)reset_s);
    return 0;
  }
  for (i = 0; i < n; i++)
    if (back.fa.lpsaActions[i].Type != sc[i].Type ||
        back.fa.lpsaActions[i].Delay != sc[i].Delay)
      snprintf(note, notelen, "failure action %u reads back differently",
               i + 1);
  if (note[0] == '\0' &&
      QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, back.raw,
                           sizeof(back), &need) &&
      !back.flag.fFailureActionsOnNonCrashFailures)
    snprintf(note, notelen, "the failure actions flag reads back FALSE");
  return 0;
}

/*
 * The service's own security: its SID type (so the SCM puts NT
 * SERVICE\<name> in its token, which the stop event, the pipe and the log
 * folder grant), and its DACL (core/secdesc.c: sw_sddl_service). Windows'
 * default DACL lets interactive users send user-defined controls; this
 * one lets only SYSTEM, Administrators and [service] operators start,
 * stop or control it. Returns 0 or a negative code.
 */
static int secure_service(SC_HANDLE svc, const sw_config_t *cfg, char *why,
                          size_t whylen) {
  SERVICE_SID_INFO sid_info = {SERVICE_SID_TYPE_UNRESTRICTED};
  char ops[SW_SID_MAX], sddl[SW_SDDL_MAX];
  const char *ops_sid = NULL;
  PSECURITY_DESCRIPTOR sd;
  int rc;

  if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_SERVICE_SID_INFO, &sid_info)) {
    if (GetLastError() != ERROR_INVALID_LEVEL)
      return fail(why, whylen, "set the service SID type");
    /* Wine 8 has no SERVICE_CONFIG_SERVICE_SID_INFO; Windows has since
     * Vista. Say so and go on: the descriptors also name the account. */
    fprintf(stderr,
            "svcwrap: install %s: this system does not support service SIDs "
            "(ChangeServiceConfig2W: invalid level); NT SERVICE\\%s will "
            "not be in the service's token\n",
            cfg->name, cfg->name);
  }
  if (cfg->operators[0] != '\0') {
    rc = sw__win_lookup_sid(cfg->operators, ops, sizeof(ops), why, whylen);
    if (rc != 0) return rc;
    ops_sid = ops;
  }
  if (sw_sddl_service(ops_sid, sddl, sizeof(sddl)) != 0) {
    snprintf(why, whylen, "service descriptor too long");
    return SW_ENOMEM;
  }
  sd = sw__win_sd(sddl);
  if (sd == NULL)
    return fail(why, whylen,
                "ConvertStringSecurityDescriptorToSecurityDescriptorW");
  if (!SetServiceObjectSecurity(svc, DACL_SECURITY_INFORMATION, sd)) {
    rc = fail(why, whylen,
              "set the service's security (SetServiceObjectSecurity)");
    LocalFree(sd);
    return rc;
  }
  LocalFree(sd);
  return 0;
}

/* Create the log folder, when absent, with a protected DACL
 * (sw_sddl_log_dir): a folder that inherits "Authenticated Users: Modify"
 * from C:\ would let anyone plant a junction that rotation (as the
 * service's account) follows. A failure is reported and not fatal: the
 * wrapper creates the folder at its start otherwise. */
static void make_log_dir(const sw_config_t *cfg) {
  char svc[SW_SID_MAX], ops[SW_SID_MAX], sddl[SW_SDDL_MAX], msg[256], owhy[256];
  const char *ops_sid = NULL;
  SECURITY_ATTRIBUTES sa;
  wchar_t *w;

  if (sw__win_service_sid(cfg->name, svc, sizeof(svc)) != 0) return;
  if (cfg->operators[0] != '\0' &&
      sw__win_lookup_sid(cfg->operators, ops, sizeof(ops), owhy,
                         sizeof(owhy)) == 0)
    ops_sid = ops;
  if (sw_sddl_log_dir(svc, ops_sid, sddl, sizeof(sddl)) != 0) return;
  memset(&sa, 0, sizeof(sa));
  sa.nLength = sizeof(sa);
  sa.lpSecurityDescriptor = sw__win_sd(sddl);
  w = sw__win_path(cfg->log_dir);
  if (w != NULL && sa.lpSecurityDescriptor != NULL &&
      !CreateDirectoryW(w, &sa) && GetLastError() != ERROR_ALREADY_EXISTS)
    fprintf(stderr,
            "svcwrap: install %s: create the log folder %s: %s (the wrapper "
            "creates it at start, inheriting its parent's permissions)\n",
            cfg->name, cfg->log_dir,
            sw__win_strerror(GetLastError(), msg, sizeof(msg)));
  free(w);
  if (sa.lpSecurityDescriptor != NULL) LocalFree(sa.lpSecurityDescriptor);
}

int sw_os_service_install(const sw_config_t *cfg, const char *exe,
                          const char *password, char *why, size_t whylen) {
  static const DWORD start_types[] = {SERVICE_AUTO_START, SERVICE_AUTO_START,
                                      SERVICE_DEMAND_START, SERVICE_DISABLED};
  sw_sbuf_t image = SW_SBUF_INIT;
  wchar_t *name = NULL, *display = NULL, *image_w = NULL, *deps = NULL,
          *account = NULL, *desc = NULL, *exe_w = NULL, *password_w = NULL;
  SC_HANDLE scm = NULL, svc = NULL;
  char note[512];
  bool skipped = false;
  int rc = SW_EINVAL;

  /* "<exe>" run -c "<ini>": both quoted, whatever they contain (an
   * unquoted path with spaces is CWE-428). The INI path is quoted with
   * CommandLineToArgvW's rules, so a trailing backslash stays put. */
  sw_sbuf_printf(&image, "\"%s\" run -c ", exe);
  if (strpbrk(cfg->path, " \t\"") == NULL)
    sw_sbuf_put(&image, "\"", 1), sw_sbuf_puts(&image, cfg->path),
        sw_sbuf_put(&image, "\"", 1);
  else
    sw_argv_quote_append(cfg->path, &image);
  if (sw_sbuf_failed(&image) || (name = sw__win_wide(cfg->name)) == NULL ||
      (display = sw__win_wide(cfg->display_name)) == NULL ||
      (image_w = sw__win_wide(image.p)) == NULL ||
      (deps = multi_sz(&cfg->depends_on)) == NULL ||
      (exe_w = sw__win_wide(exe)) == NULL ||
      (desc = sw__win_wide(cfg->description)) == NULL) {
    snprintf(why, whylen, "out of memory or invalid Unicode");
    goto out;
  }
  if (_stricmp(cfg->account, "LocalSystem") != 0 &&
      (account = sw__win_wide(cfg->account)) == NULL) {
    snprintf(why, whylen, "account name is not valid Unicode");
    goto out;
  }
  if (password != NULL && (password_w = sw__win_wide(password)) == NULL) {
    snprintf(why, whylen, "the password is not valid Unicode");
    goto out;
  }
  scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
  if (scm == NULL) {
    rc = fail(why, whylen, "open the service manager");
    goto out;
  }
  /* Before the service exists: a refusal leaves nothing behind. */
  if (sw_account_needs_logon_right(cfg->account_kind)) {
    rc = grant_logon_right(cfg->account, why, whylen);
    if (rc != 0) goto out;
  }
  svc = CreateServiceW(scm, name, display, SERVICE_ALL_ACCESS,
                       SERVICE_WIN32_OWN_PROCESS, start_types[cfg->start_type],
                       SERVICE_ERROR_NORMAL, image_w, NULL, NULL, deps, account,
                       password_w);
  if (svc == NULL) {
    if (GetLastError() == ERROR_SERVICE_EXISTS) {
      snprintf(why, whylen,
               "service %s already exists; `svcwrap uninstall` "
               "it first or choose another [service] name",
               cfg->name);
      rc = SW_EEXIST;
    } else {
      rc = fail(why, whylen, "create the service");
    }
    goto out;
  }
  {
    SERVICE_DESCRIPTIONW d = {desc};
    SERVICE_PRESHUTDOWN_INFO pre;
    SERVICE_DELAYED_AUTO_START_INFO delayed = {TRUE};

    if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &d)) {
      rc = fail(why, whylen, "set the description");
      goto undo;
    }
    /* Preshutdown: enough for the whole ladder, so a shutdown waits for
     * the graceful stop (the default is 10 s on current Windows). */
    pre.dwPreshutdownTimeout = (DWORD)(sw_config_stop_budget_ms(cfg) + 5000);
    if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre)) {
      rc = fail(why, whylen, "set the preshutdown timeout");
      goto undo;
    }
    if (cfg->start_type == SW_START_DELAYED_AUTO &&
        !ChangeServiceConfig2W(svc, SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
                               &delayed) &&
        (GetLastError() != ERROR_INVALID_LEVEL ||
         set_service_flag(name, L"DelayedAutostart") != 0)) {
      rc = fail(why, whylen, "set delayed auto start");
      goto undo;
    }
  }
  rc = set_recovery(svc, name, cfg, note, sizeof(note), why, whylen);
  if (rc != 0) goto undo;
  rc = secure_service(svc, cfg, why, whylen);
  if (rc != 0) goto undo;
  rc = register_event_source(name, exe_w, &skipped, why, whylen);
  if (rc != 0) goto undo;
  make_log_dir(cfg);
  if (skipped)
    fprintf(stderr,
            "svcwrap: install %s: the Event Log source %s belongs to another "
            "product; left as it was (svcwrap's entries will show without "
            "their message text)\n",
            cfg->name, cfg->name);
  if (cfg->recovery.n > 0)
    snprintf(why, whylen,
             "ImagePath %s; recovery %s, reset after %llus, "
             "applied when the service fails%s%s",
             image.p, cfg->recovery.text,
             (unsigned long long)(cfg->recovery.reset_ms / 1000),
             note[0] ? "; warning: " : " (read back)", note);
  else
    snprintf(why, whylen, "ImagePath %s", image.p);
  rc = 0;
  goto out;
undo:
  /* Never leave a half-configured service behind. */
  DeleteService(svc);
out:
  close_both(svc, scm);
  sw_sbuf_free(&image);
  free(name);
  free(display);
  free(image_w);
  free(deps);
  free(account);
  free(desc);
  free(exe_w);
  if (password_w != NULL) {
    SecureZeroMemory(password_w, wcslen(password_w) * sizeof(wchar_t));
    free(password_w);
  }
  return rc;
}
