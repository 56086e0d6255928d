/* SPDX-License-Identifier: MIT */
/*
 * The Windows security descriptors svcwrap creates, built as SDDL strings
 * so that they can be read and unit-tested on any platform, the service
 * SID (NT SERVICE\<name>) computed from the name, and the install audit's
 * judgement of an ACL (who may write). Pure: no OS calls, no I/O; the
 * Windows backend converts the strings with
 * ConvertStringSecurityDescriptorToSecurityDescriptorW and reads ACLs for
 * the audit.
 */
#ifndef SW_CORE_SECDESC_H
#define SW_CORE_SECDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest SDDL string built here, and longest SID string. */
#define SW_SDDL_MAX 1024
#define SW_SID_MAX  192

/*
 * The service SID of service `name` (UTF-8, already upper-cased by the
 * caller for non-ASCII letters; ASCII letters are upper-cased here):
 * "S-1-5-80-" and the SHA-1 of the UTF-16LE upper-case name as five
 * little-endian 32-bit numbers, as the SCM derives it. Writes the string
 * to out[outlen]. Returns 0, SW_EINVAL for invalid UTF-8 or a name over
 * 256 characters, or SW_ENOMEM when outlen is too short.
 */
int sw_service_sid(const char *name, char *out, size_t outlen);

/*
 * The stop event: protected DACL, full access (EVENT_ALL_ACCESS) for
 * SYSTEM and Administrators, SYNCHRONIZE only (wait, never set or reset)
 * for the service SID and, when self_sid is not NULL, for that SID too
 * (the console user of a foreground run, whose token has no service SID).
 * Returns 0 or SW_ENOMEM (out too short).
 */
int sw_sddl_stop_event(const char *service_sid, const char *self_sid, char *out,
                       size_t outlen);

/*
 * The control pipe: protected DACL. SYSTEM, Administrators, the service
 * SID and self_sid (when not NULL: the creator of a foreground run) have
 * full access, FILE_CREATE_PIPE_INSTANCE included; operators_sid (when not
 * NULL) may read the status and send commands (FILE_GENERIC_READ |
 * FILE_WRITE_DATA, never a new instance); Authenticated Users may read the
 * status only (FILE_GENERIC_READ). Returns 0 or SW_ENOMEM.
 */
int sw_sddl_pipe(const char *service_sid, const char *self_sid,
                 const char *operators_sid, char *out, size_t outlen);

/*
 * The service object (SetServiceObjectSecurity): SYSTEM as Windows grants
 * it; Administrators everything; Authenticated Users query only (config,
 * status, dependents, read control: no start, stop, interrogate or user
 * control); operators_sid (when not NULL) start, stop, pause, interrogate
 * and user-defined controls besides the queries. Returns 0 or SW_ENOMEM.
 */
int sw_sddl_service(const char *operators_sid, char *out, size_t outlen);

/*
 * A log folder svcwrap creates: protected (no inherited ACEs), inherited
 * by what is created inside; full control for SYSTEM, Administrators and
 * the service SID; read for operators_sid when not NULL. Returns 0 or
 * SW_ENOMEM.
 */
int sw_sddl_log_dir(const char *service_sid, const char *operators_sid,
                    char *out, size_t outlen);

/* One access-control entry as the audit sees it. */
typedef struct {
  const char *sid;   /* string SID, e.g. "S-1-5-32-545" */
  uint32_t mask;     /* access mask, generic bits not mapped */
  bool allow;        /* ACCESS_ALLOWED (false: denied, ignored) */
  bool inherit_only; /* INHERIT_ONLY_ACE: does not apply to this object */
} sw_ace_t;

/* Access bits that let a principal change a file or folder, or what is in
 * it: write/append data (add file, add folder), write extended attributes,
 * delete child, delete, write DAC, write owner, generic write and all. */
#define SW_ACCESS_WRITE_BITS 0x500D0056u
/* What matters on a folder further up: whoever may delete or rename what
 * is inside it (delete child), or the folder itself, or rewrite its DACL
 * or owner. Adding an entry there replaces nothing that exists (and the
 * root of a drive lets every user add folders). */
#define SW_ACCESS_ANCESTOR_BITS 0x500D0040u

/*
 * Whether a SID is trusted to write svcwrap's files: SYSTEM, the
 * Administrators group, TrustedInstaller, CREATOR OWNER (it stands for
 * whoever creates a file, and the file's owner is judged on its own),
 * or one of the `extra` SIDs (NULL-terminated, may be NULL: the service
 * SID, the installing administrator).
 */
bool sw_sid_trusted(const char *sid, const char *const *extra);

/*
 * The audit of one object's security: its owner and its DACL. Returns the
 * index of the first allow ACE that applies to the object, grants one of
 * the bits in `bits` (SW_ACCESS_WRITE_BITS for the files and their own
 * folders, SW_ACCESS_ANCESTOR_BITS further up) and names an untrusted SID;
 * n_aces when only the owner is untrusted (an owner may rewrite the DACL); -1
 * when nobody untrusted may write. has_dacl false (a NULL DACL: everyone has
 * full access) returns n_aces + 1.
 */
int sw_acl_audit(const char *owner_sid, bool has_dacl, const sw_ace_t *aces,
                 int n_aces, uint32_t bits, const char *const *extra);

/* A well-known name for a string SID ("Authenticated Users", "Users",
 * "Everyone", "INTERACTIVE", ...), or NULL. For messages. */
const char *sw_sid_known_name(const char *sid);

#endif
