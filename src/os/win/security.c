/* SPDX-License-Identifier: MIT */
/*
 * Security helpers of the Windows backend: the service SID, the token's
 * own SID, SDDL to descriptors, account names to SIDs. The descriptors
 * themselves are built (and unit-tested) in core/secdesc.c.
 */
#include "os/win/internal.h"

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/secdesc.h"
#include "os/os.h"

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

/* ---- the install audit ----------------------------------------------------
 */


#define AUDIT_MAX_ACES 64

/*
 * Judge one path: 0 when only trusted principals may write it (with
 * `bits`), SW_EACCES with the finding in why, SW_ENOENT when it does not
 * exist, another code when its security cannot be read.
 */
static int audit_path(const char *path, uint32_t bits,
                      const char *const *trusted, char *why, size_t whylen) {
  wchar_t *w = sw__win_path(path);
  PSECURITY_DESCRIPTOR sd = NULL;
  PSID owner = NULL;
  PACL dacl = NULL;
  char owner_s[SW_SID_MAX], sids[AUDIT_MAX_ACES][SW_SID_MAX], msg[256];
  sw_ace_t aces[AUDIT_MAX_ACES];
  const char *who, *name;
  DWORD err;
  int n = 0, bad, i;

  if (w == NULL) {
    snprintf(why, whylen, "%s: not a valid path", path);
    return SW_EINVAL;
  }
  err = GetNamedSecurityInfoW(
      w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
      &owner, NULL, &dacl, NULL, &sd);
  free(w);
  if (err != ERROR_SUCCESS) {
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
      return SW_ENOENT;
    snprintf(why, whylen,
             "read the permissions of %s: GetNamedSecurityInfoW: %s", path,
             sw__win_strerror(err, msg, sizeof(msg)));
    return sw__win_error(err);
  }
  owner_s[0] = '\0';
  if (owner != NULL && !sid_string(owner, owner_s, sizeof(owner_s)))
    owner_s[0] = '\0';
  for (i = 0; dacl != NULL && i < (int)dacl->AceCount && n < AUDIT_MAX_ACES;
       i++) {
    ACE_HEADER *h;
    ACCESS_ALLOWED_ACE *a;

    if (!GetAce(dacl, (DWORD)i, (void **)&h)) continue;
    if (h->AceType != ACCESS_ALLOWED_ACE_TYPE &&
        h->AceType != ACCESS_DENIED_ACE_TYPE)
      continue; /* object and callback ACEs: not on files here */
    a = (ACCESS_ALLOWED_ACE *)h;
    if (!sid_string(&a->SidStart, sids[n], sizeof(sids[n]))) continue;
    aces[n].sid = sids[n];
    aces[n].mask = a->Mask;
    aces[n].allow = h->AceType == ACCESS_ALLOWED_ACE_TYPE;
    aces[n].inherit_only = (h->AceFlags & INHERIT_ONLY_ACE) != 0;
    n++;
  }
  bad = sw_acl_audit(owner_s[0] ? owner_s : NULL, dacl != NULL, aces, n, bits,
                     trusted);
  LocalFree(sd);
  if (bad < 0) return 0;
  who = bad < n ? aces[bad].sid : bad == n ? owner_s : "S-1-1-0";
  name = sw_sid_known_name(who);
  if (bad > n)
    snprintf(why, whylen,
             "%s has no DACL: everyone may change it; fix: icacls \"%s\" "
             "/inheritance:r /grant:r *S-1-5-18:F *S-1-5-32-544:F",
             path, path);
  else if (bad == n)
    snprintf(why, whylen,
             "%s is owned by %s%s%s%s (an owner may rewrite its permissions); "
             "fix: icacls \"%s\" /setowner *S-1-5-32-544",
             path, name ? name : who, name ? " (" : "", name ? who : "",
             name ? ")" : "", path);
  else
    snprintf(why, whylen,
             "%s may be changed by %s%s%s%s (access mask 0x%lx), and what "
             "runs from it runs as the service's account; fix: icacls \"%s\" "
             "/inheritance:d && icacls \"%s\" /remove:g *%s (or install "
             "under C:\\Program Files), or install --force",
             path, name ? name : who, name ? " (" : "", name ? who : "",
             name ? ")" : "", (unsigned long)aces[bad].mask, path, path, who);
  return SW_EACCES;
}

/* Audit `path` with `bits`, then every folder above it up to the root
 * with SW_ACCESS_ANCESTOR_BITS (the first one, its own folder, with
 * `parent_bits`). A path that does not exist is skipped (its folder is
 * still judged). */
static int audit_chain(const char *path, uint32_t bits, uint32_t parent_bits,
                       const char *const *trusted, char *why, size_t whylen) {
  char *p = strdup(path), *cut;
  int rc, level = 0;

  if (p == NULL) return SW_ENOMEM;
  for (;;) {
    rc = audit_path(p,
                    level == 0   ? bits
                    : level == 1 ? parent_bits
                                 : SW_ACCESS_ANCESTOR_BITS,
                    trusted, why, whylen);
    if (rc != 0 && rc != SW_ENOENT) break;
    rc = 0;
    cut = strrchr(p, '\\');
    /* Stop at the root: "C:\" (keep its backslash) or "\\server\share". */
    if (cut == NULL || cut == p || (cut == p + 2 && p[1] == ':' && !p[3]))
      break;
    if (cut == p + 2 && p[1] == ':')
      cut[1] = '\0';
    else
      *cut = '\0';
    level++;
  }
  free(p);
  return rc;
}

int sw_os_install_audit(const sw_config_t *cfg, const char *exe, char *why,
                        size_t whylen) {
  char svc[SW_SID_MAX], self[SW_SID_MAX];
  const char *trusted[3] = {NULL, NULL, NULL};
  int n = 0, rc;

  if (sw__win_service_sid(cfg->name, svc, sizeof(svc)) == 0) trusted[n++] = svc;
  if (sw__win_self_sid(self, sizeof(self))) trusted[n++] = self;
  /* The executables and the INI, and their own folders (a DLL planted
   * beside an executable loads into it); the log folder itself fully (a
   * junction planted there turns rotation against any file). */
  if ((rc = audit_chain(exe, SW_ACCESS_WRITE_BITS, SW_ACCESS_WRITE_BITS,
                        trusted, why, whylen)) != 0 ||
      (rc = audit_chain(cfg->path, SW_ACCESS_WRITE_BITS, SW_ACCESS_WRITE_BITS,
                        trusted, why, whylen)) != 0 ||
      (rc = audit_chain(cfg->executable, SW_ACCESS_WRITE_BITS,
                        SW_ACCESS_WRITE_BITS, trusted, why, whylen)) != 0 ||
      (rc = audit_chain(cfg->log_dir, SW_ACCESS_WRITE_BITS,
                        SW_ACCESS_ANCESTOR_BITS, trusted, why, whylen)) != 0)
    return rc;
  return 0;
}
