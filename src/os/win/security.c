/* SPDX-License-Identifier: MIT */
/*
 * Security helpers of the Windows backend: the service SID, the token's
 * own SID, SDDL to descriptors, account names to SIDs. The descriptors
 * themselves are built (and unit-tested) in core/secdesc.c.
 */
#include "os/win/internal.h"

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/secdesc.h"

int sw__win_service_sid(const char *name, char *out, size_t outlen) {
  wchar_t *w = sw__win_wide(name);
  char *upper;
  int rc;

  if (w == NULL) return SW_EINVAL;
  /* The SCM hashes the name upper-cased by the system's table (RtlUpcase),
   * which CharUpperBuffW uses too; core upper-cases ASCII only. */
  CharUpperBuffW(w, (DWORD)wcslen(w));
  upper = sw__win_utf8(w, -1);
  free(w);
  if (upper == NULL) return SW_EINVAL;
  rc = sw_service_sid(upper, out, outlen);
  free(upper);
  return rc;
}

static bool sid_string(PSID sid, char *out, size_t outlen) {
  LPWSTR s = NULL;
  char *u;
  bool ok;

  if (!ConvertSidToStringSidW(sid, &s)) return false;
  u = sw__win_utf8(s, -1);
  LocalFree(s);
  ok = u != NULL && strlen(u) < outlen;
  if (ok) strcpy(out, u);
  free(u);
  if (!ok) SetLastError(ERROR_INSUFFICIENT_BUFFER);
  return ok;
}

bool sw__win_self_sid(char *out, size_t outlen) {
  HANDLE token;
  union {
    TOKEN_USER tu;
    BYTE raw[256];
  } user;
  DWORD n;
  bool ok = false;

  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
  if (GetTokenInformation(token, TokenUser, &user, sizeof(user), &n))
    ok = sid_string(user.tu.User.Sid, out, outlen);
  CloseHandle(token);
  return ok;
}

bool sw__win_token_has(const char *sid) {
  wchar_t *w = sw__win_wide(sid);
  PSID p = NULL;
  BOOL is = FALSE;

  if (w == NULL) return false;
  if (ConvertStringSidToSidW(w, &p)) {
    if (!CheckTokenMembership(NULL, p, &is)) is = FALSE;
    LocalFree(p);
  }
  free(w);
  return is != FALSE;
}

PSECURITY_DESCRIPTOR sw__win_sd(const char *sddl) {
  wchar_t *w = sw__win_wide(sddl);
  PSECURITY_DESCRIPTOR sd = NULL;

  if (w == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return NULL;
  }
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(w, SDDL_REVISION_1,
                                                            &sd, NULL))
    sd = NULL;
  free(w);
  return sd;
}

int sw__win_lookup_sid(const char *account, char *out, size_t outlen, char *why,
                       size_t whylen) {
  wchar_t *w = sw__win_wide(account), domain[256];
  BYTE sid[SECURITY_MAX_SID_SIZE];
  DWORD sidlen = sizeof(sid), domlen = 256, err;
  SID_NAME_USE use;
  char msg[256];

  if (w == NULL) {
    snprintf(why, whylen, "\"%s\" is not valid Unicode", account);
    return SW_EINVAL;
  }
  if (!LookupAccountNameW(NULL, w, sid, &sidlen, domain, &domlen, &use)) {
    err = GetLastError();
    free(w);
    snprintf(why, whylen, "LookupAccountNameW(%s): %s", account,
             sw__win_strerror(err, msg, sizeof(msg)));
    return sw__win_error(err);
  }
  free(w);
  if (!sid_string(sid, out, outlen)) {
    err = GetLastError();
    snprintf(why, whylen, "ConvertSidToStringSidW(%s): %s", account,
             sw__win_strerror(err, msg, sizeof(msg)));
    return sw__win_error(err);
  }
  return 0;
}
