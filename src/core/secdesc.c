/* SPDX-License-Identifier: MIT */
/*
 * Security descriptors as SDDL, the service SID, and the install audit's
 * ACL judgement (see secdesc.h). Pure: no OS calls. The SHA-1 here serves
 * only to derive the service SID the way the SCM does; it is not used for
 * anything that needs a secure hash.
 */
#include "core/secdesc.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* ---- SHA-1 (FIPS 180-4), for the service SID only ---------------------- */

typedef struct {
  uint32_t h[5];
  uint64_t len; /* bytes */
  unsigned char block[64];
  size_t used;
} sha1_t;

static uint32_t rol(uint32_t x, unsigned n) {
  return (x << n) | (x >> (32 - n));
}

static void sha1_block(sha1_t *s, const unsigned char *p) {
  uint32_t w[80], a, b, c, d, e, f, k, t;
  unsigned i;

  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
  for (i = 16; i < 80; i++)
    w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  a = s->h[0];
  b = s->h[1];
  c = s->h[2];
  d = s->h[3];
  e = s->h[4];
  for (i = 0; i < 80; i++) {
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999u;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1u;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDCu;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6u;
    }
    t = rol(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = t;
  }
  s->h[0] += a;
  s->h[1] += b;
  s->h[2] += c;
  s->h[3] += d;
  s->h[4] += e;
}

static void sha1_init(sha1_t *s) {
  static const uint32_t iv[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu,
                                 0x10325476u, 0xC3D2E1F0u};

  memcpy(s->h, iv, sizeof(iv));
  s->len = 0;
  s->used = 0;
}

static void sha1_put(sha1_t *s, const unsigned char *p, size_t n) {
  s->len += n;
  while (n > 0) {
    size_t take = 64 - s->used;

    if (take > n) take = n;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used == 64) {
      sha1_block(s, s->block);
      s->used = 0;
    }
  }
}

static void sha1_end(sha1_t *s, unsigned char out[20]) {
  unsigned char pad[72] = {0x80};
  unsigned char lenbe[8];
  uint64_t bits = s->len * 8;
  size_t padn = (s->used < 56 ? 56 : 120) - s->used;
  unsigned i;

  for (i = 0; i < 8; i++)
    lenbe[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha1_put(s, pad, padn);
  sha1_put(s, lenbe, 8);
  for (i = 0; i < 20; i++)
    out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* ---- the service SID ---------------------------------------------------- */

/* Next code point of UTF-8 text at *p; -1 when invalid. */
static long next_cp(const unsigned char **p) {
  const unsigned char *s = *p;
  unsigned need, i;
  long cp, min;

  if (s[0] < 0x80) {
    *p = s + 1;
    return s[0];
  }
  if ((s[0] & 0xE0) == 0xC0) {
    need = 1;
    cp = s[0] & 0x1F;
    min = 0x80;
  } else if ((s[0] & 0xF0) == 0xE0) {
    need = 2;
    cp = s[0] & 0x0F;
    min = 0x800;
  } else if ((s[0] & 0xF8) == 0xF0) {
    need = 3;
    cp = s[0] & 0x07;
    min = 0x10000;
  } else {
    return -1;
  }
  for (i = 1; i <= need; i++) {
    if ((s[i] & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *p = s + need + 1;
  return cp;
}

int sw_service_sid(const char *name, char *out, size_t outlen) {
  const unsigned char *p = (const unsigned char *)name;
  unsigned char u16[4], digest[20];
  sha1_t s;
  unsigned chars = 0, i;
  int n;

  sha1_init(&s);
  while (*p != '\0') {
    long cp = next_cp(&p);

    if (cp < 0 || ++chars > 256) return SW_EINVAL;
    if (cp >= 'a' && cp <= 'z') cp -= 'a' - 'A';
    if (cp < 0x10000) {
      u16[0] = (unsigned char)(cp & 0xFF);
      u16[1] = (unsigned char)(cp >> 8);
      sha1_put(&s, u16, 2);
    } else {
      long v = cp - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);

      u16[0] = (unsigned char)(hi & 0xFF);
      u16[1] = (unsigned char)(hi >> 8);
      u16[2] = (unsigned char)(lo & 0xFF);
      u16[3] = (unsigned char)(lo >> 8);
      sha1_put(&s, u16, 4);
    }
  }
  if (chars == 0) return SW_EINVAL;
  sha1_end(&s, digest);
  n = snprintf(out, outlen, "S-1-5-80");
  for (i = 0; i < 5 && n >= 0 && (size_t)n < outlen; i++) {
    uint32_t sub = (uint32_t)digest[4 * i] | (uint32_t)digest[4 * i + 1] << 8 |
                   (uint32_t)digest[4 * i + 2] << 16 |
                   (uint32_t)digest[4 * i + 3] << 24;

    n += snprintf(out + n, outlen - (size_t)n, "-%lu", (unsigned long)sub);
  }
  return n >= 0 && (size_t)n < outlen ? 0 : SW_ENOMEM;
}

/* ---- SDDL ---------------------------------------------------------------- */

/* Append "(A;flags;rights;;;sid)" when sid is not NULL. */
static int ace(char *out, size_t outlen, size_t *used, const char *flags,
               const char *rights, const char *sid) {
  int n;

  if (sid == NULL) return 0;
  n = snprintf(out + *used, outlen - *used, "(A;%s;%s;;;%s)", flags, rights,
               sid);
  if (n < 0 || (size_t)n >= outlen - *used) return SW_ENOMEM;
  *used += (size_t)n;
  return 0;
}

static int start(char *out, size_t outlen, size_t *used, const char *head) {
  int n = snprintf(out, outlen, "%s", head);

  if (n < 0 || (size_t)n >= outlen) return SW_ENOMEM;
  *used = (size_t)n;
  return 0;
}

int sw_sddl_stop_event(const char *service_sid, const char *self_sid, char *out,
                       size_t outlen) {
  size_t u;
  int rc;

  /* 0x1F0003 is EVENT_ALL_ACCESS; 0x100000 is SYNCHRONIZE alone. */
  if ((rc = start(out, outlen, &u, "D:P")) != 0 ||
      (rc = ace(out, outlen, &u, "", "0x1f0003", "SY")) != 0 ||
      (rc = ace(out, outlen, &u, "", "0x1f0003", "BA")) != 0 ||
      (rc = ace(out, outlen, &u, "", "0x100000", service_sid)) != 0 ||
      (rc = ace(out, outlen, &u, "", "0x100000", self_sid)) != 0)
    return rc;
  return 0;
}

int sw_sddl_pipe(const char *service_sid, const char *self_sid,
                 const char *operators_sid, char *out, size_t outlen) {
  size_t u;
  int rc;

  /* FA: FILE_ALL_ACCESS. 0x12008b: FILE_GENERIC_READ | FILE_WRITE_DATA,
   * which sends a command but, lacking FILE_APPEND_DATA (that is
   * FILE_CREATE_PIPE_INSTANCE for a pipe), cannot serve the pipe. FR:
   * FILE_GENERIC_READ, the status only. */
  if ((rc = start(out, outlen, &u, "D:P")) != 0 ||
      (rc = ace(out, outlen, &u, "", "FA", "SY")) != 0 ||
      (rc = ace(out, outlen, &u, "", "FA", "BA")) != 0 ||
      (rc = ace(out, outlen, &u, "", "FA", service_sid)) != 0 ||
      (rc = ace(out, outlen, &u, "", "FA", self_sid)) != 0 ||
      (rc = ace(out, outlen, &u, "", "0x12008b", operators_sid)) != 0 ||
      (rc = ace(out, outlen, &u, "", "FR", "AU")) != 0)
    return rc;
  return 0;
}

int sw_sddl_service(const char *operators_sid, char *out, size_t outlen) {
  size_t u;
  int rc;

  /* Service rights in SDDL: CC query config, DC change config, LC query
   * status, SW enumerate dependents, RP start, WP stop, DT pause and
   * continue, LO interrogate, CR user-defined control, SD delete, RC
   * read control, WD write DAC, WO write owner. Windows' default also
   * gives interactive users LO and CR: a user could send control 128 and
   * up (svcwrap's rotate and [control] codes). */
  if ((rc = start(out, outlen, &u, "D:")) != 0 ||
      (rc = ace(out, outlen, &u, "", "CCLCSWRPWPDTLOCRRC", "SY")) != 0 ||
      (rc = ace(out, outlen, &u, "", "CCDCLCSWRPWPDTLOCRSDRCWDWO", "BA")) !=
          0 ||
      (rc = ace(out, outlen, &u, "", "CCLCSWRPWPDTLOCRRC", operators_sid)) !=
          0 ||
      (rc = ace(out, outlen, &u, "", "CCLCSWRC", "AU")) != 0)
    return rc;
  return 0;
}

int sw_sddl_log_dir(const char *service_sid, const char *operators_sid,
                    char *out, size_t outlen) {
  size_t u;
  int rc;

  /* P: protected, so a writable parent's ACEs do not come in; OICI: files
   * and folders created inside inherit each ACE. */
  if ((rc = start(out, outlen, &u, "D:P")) != 0 ||
      (rc = ace(out, outlen, &u, "OICI", "FA", "SY")) != 0 ||
      (rc = ace(out, outlen, &u, "OICI", "FA", "BA")) != 0 ||
      (rc = ace(out, outlen, &u, "OICI", "FA", service_sid)) != 0 ||
      (rc = ace(out, outlen, &u, "OICI", "FR", operators_sid)) != 0)
    return rc;
  return 0;
}

/* ---- the audit ------------------------------------------------------------
 */

#define SID_TRUSTED_INSTALLER                                                  \
  "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

bool sw_sid_trusted(const char *sid, const char *const *extra) {
  static const char *const trusted[] = {
      "S-1-5-18",     /* SYSTEM */
      "S-1-5-32-544", /* Administrators */
      "S-1-3-0",      /* CREATOR OWNER */
      SID_TRUSTED_INSTALLER,
  };
  size_t i;

  for (i = 0; i < sizeof(trusted) / sizeof(trusted[0]); i++)
    if (strcmp(sid, trusted[i]) == 0) return true;
  for (i = 0; extra != NULL && extra[i] != NULL; i++)
    if (strcmp(sid, extra[i]) == 0) return true;
  return false;
}

int sw_acl_audit(const char *owner_sid, bool has_dacl, const sw_ace_t *aces,
                 int n_aces, uint32_t bits, const char *const *extra) {
  int i;

  if (!has_dacl) return n_aces + 1;
  for (i = 0; i < n_aces; i++) {
    if (!aces[i].allow || aces[i].inherit_only) continue;
    if ((aces[i].mask & bits) == 0) continue;
    if (!sw_sid_trusted(aces[i].sid, extra)) return i;
  }
  if (owner_sid != NULL && !sw_sid_trusted(owner_sid, extra)) return n_aces;
  return -1;
}

const char *sw_sid_known_name(const char *sid) {
  static const struct {
    const char *sid, *name;
  } known[] = {
      {"S-1-1-0", "Everyone"},
      {"S-1-5-11", "Authenticated Users"},
      {"S-1-5-32-545", "Users"},
      {"S-1-5-4", "INTERACTIVE"},
      {"S-1-5-32-546", "Guests"},
      {"S-1-5-7", "ANONYMOUS LOGON"},
      {"S-1-5-19", "LOCAL SERVICE"},
      {"S-1-5-20", "NETWORK SERVICE"},
      {"S-1-3-0", "CREATOR OWNER"},
      {"S-1-5-18", "SYSTEM"},
      {"S-1-5-32-544", "Administrators"},
  };
  size_t i;

  for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (strcmp(sid, known[i].sid) == 0) return known[i].name;
  return NULL;
}
