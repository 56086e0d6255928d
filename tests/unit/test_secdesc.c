/* SPDX-License-Identifier: MIT */
/*
 * The Windows security descriptors as SDDL strings, the service SID
 * derivation and the install audit's judgement of an ACL
 * (core/secdesc.c). These run natively: Wine 8 accepts but does not
 * enforce most DACLs, so the strings themselves are what is checked.
 */
#include "unit.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "core/secdesc.h"

#define SVC "S-1-5-80-1-2-3-4-5"
#define OPS "S-1-5-21-7-8-9-1013"

static void service_sid_known_values(void **state) {
  char sid[SW_SID_MAX];

  (void)state;
  /* The SID Windows gives NT SERVICE\TrustedInstaller (every file of
   * System32 names it), from any case of the name. */
  assert_int_equal(sw_service_sid("TrustedInstaller", sid, sizeof(sid)), 0);
  assert_string_equal(
      sid, "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
  assert_int_equal(sw_service_sid("trustedinstaller", sid, sizeof(sid)), 0);
  assert_string_equal(
      sid, "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
  /* NT SERVICE\MSSQLSERVER, as SQL Server's setup grants it. */
  assert_int_equal(sw_service_sid("MSSQLSERVER", sid, sizeof(sid)), 0);
  assert_string_equal(
      sid, "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003");
}

static void service_sid_rejects(void **state) {
  char sid[SW_SID_MAX], small[12];
  char longname[300];

  (void)state;
  assert_int_equal(sw_service_sid("", sid, sizeof(sid)), SW_EINVAL);
  assert_int_equal(sw_service_sid("a\xff", sid, sizeof(sid)), SW_EINVAL);
  /* An encoded surrogate is not UTF-8. */
  assert_int_equal(sw_service_sid("\xed\xa0\x80", sid, sizeof(sid)), SW_EINVAL);
  memset(longname, 'a', 257);
  longname[257] = '\0';
  assert_int_equal(sw_service_sid(longname, sid, sizeof(sid)), SW_EINVAL);
  assert_int_equal(sw_service_sid("svc", small, sizeof(small)), SW_ENOMEM);
  /* Non-ASCII names hash their UTF-16 (here 2 and 4 bytes each). */
  assert_int_equal(sw_service_sid("\xc3\x89t\xc3\xa9", sid, sizeof(sid)), 0);
  assert_int_equal(strncmp(sid, "S-1-5-80-", 9), 0);
  assert_int_equal(sw_service_sid("\xf0\x9f\x98\x80", sid, sizeof(sid)), 0);
}

static void sddl_stop_event(void **state) {
  char s[SW_SDDL_MAX];

  (void)state;
  assert_int_equal(sw_sddl_stop_event(SVC, NULL, s, sizeof(s)), 0);
  /* Protected; only SYSTEM and Administrators may set it; the service's
   * own processes may only wait; nobody else is named. */
  assert_string_equal(s,
                      "D:P(A;;0x1f0003;;;SY)(A;;0x1f0003;;;BA)"
                      "(A;;0x100000;;;" SVC ")");
  assert_int_equal(sw_sddl_stop_event(SVC, "S-1-5-21-1-2-3-1001", s, sizeof(s)),
                   0);
  assert_non_null(strstr(s, "(A;;0x100000;;;S-1-5-21-1-2-3-1001)"));
  assert_null(strstr(s, ";;;AU)"));
  assert_null(strstr(s, ";;;WD)"));
  assert_int_equal(sw_sddl_stop_event(SVC, NULL, s, 20), SW_ENOMEM);
}

static void sddl_pipe(void **state) {
  char s[SW_SDDL_MAX];

  (void)state;
  assert_int_equal(sw_sddl_pipe(SVC, NULL, NULL, s, sizeof(s)), 0);
  assert_string_equal(
      s, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;" SVC ")(A;;FR;;;AU)");
  assert_int_equal(sw_sddl_pipe(SVC, NULL, OPS, s, sizeof(s)), 0);
  /* Operators may write a command but not create an instance
   * (FILE_APPEND_DATA, 0x4, is FILE_CREATE_PIPE_INSTANCE). */
  assert_non_null(strstr(s, "(A;;0x12008b;;;" OPS ")"));
  assert_int_equal(0x12008b & 0x4, 0);
  assert_int_equal(sw_sddl_pipe(SVC, NULL, OPS, s, 40), SW_ENOMEM);
}

static void sddl_service(void **state) {
  char s[SW_SDDL_MAX];

  (void)state;
  assert_int_equal(sw_sddl_service(NULL, s, sizeof(s)), 0);
  assert_string_equal(s,
                      "D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)"
                      "(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)"
                      "(A;;CCLCSWRC;;;AU)");
  /* Nobody but SYSTEM and Administrators may start, stop or control. */
  assert_null(strstr(s, ";;;IU)"));
  assert_int_equal(sw_sddl_service(OPS, s, sizeof(s)), 0);
  assert_non_null(strstr(s, "(A;;CCLCSWRPWPDTLOCRRC;;;" OPS ")"));
  assert_int_equal(sw_sddl_service(OPS, s, 64), SW_ENOMEM);
}

static void sddl_log_dir(void **state) {
  char s[SW_SDDL_MAX];

  (void)state;
  assert_int_equal(sw_sddl_log_dir(SVC, NULL, s, sizeof(s)), 0);
  assert_string_equal(s,
                      "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
                      "(A;OICI;FA;;;" SVC ")");
  assert_int_equal(sw_sddl_log_dir(SVC, OPS, s, sizeof(s)), 0);
  assert_non_null(strstr(s, "(A;OICI;FR;;;" OPS ")"));
}

static void acl_audit(void **state) {
  const char *extra[] = {SVC, NULL};
  /* What a folder made under C:\ gets: Authenticated Users may modify. */
  const sw_ace_t under_c[] = {
      {"S-1-5-32-544", 0x1F01FF, true, false},
      {"S-1-5-18", 0x1F01FF, true, false},
      {"S-1-5-32-545", 0x1200A9, true, false},
      {"S-1-5-11", 0x1301BF, true, false},
  };
  /* C:\Program Files: users read and execute; CREATOR OWNER only on what
   * is created inside (inherit only). */
  const sw_ace_t program_files[] = {
      {"S-1-5-18", 0x1F01FF, true, false},
      {"S-1-5-32-544", 0x1F01FF, true, false},
      {"S-1-5-32-545", 0x1200A9, true, false},
      {"S-1-5-21-1-2-3-1001", 0x10000000, true, true},
      {SVC, 0x1F01FF, true, false},
      {"S-1-1-0", 0x1F01FF, false, false}, /* a deny: never a grant */
  };
  const sw_ace_t generic_write[] = {{"S-1-1-0", 0x40000000, true, false}};
  const sw_ace_t delete_child[] = {{"S-1-5-4", 0x40, true, false}};
  /* The root of C:: Authenticated Users may add folders (AD, 0x4). */
  const sw_ace_t drive_root[] = {
      {"S-1-5-32-544", 0x1F01FF, true, false},
      {"S-1-5-11", 0x4, true, false},
      {"S-1-5-11", 0x10000000 | 0x40000000, true, true},
  };
  const uint32_t W = SW_ACCESS_WRITE_BITS, A = SW_ACCESS_ANCESTOR_BITS;

  (void)state;
  assert_int_equal(sw_acl_audit("S-1-5-32-544", true, under_c, 4, W, extra), 3);
  assert_int_equal(sw_acl_audit("S-1-5-18", true, program_files, 6, W, extra),
                   -1);
  /* An owner who is not trusted may rewrite the DACL. */
  assert_int_equal(
      sw_acl_audit("S-1-5-21-1-2-3-1001", true, program_files, 6, W, extra), 6);
  assert_int_equal(sw_acl_audit("S-1-5-18", true, generic_write, 1, W, extra),
                   0);
  assert_int_equal(sw_acl_audit("S-1-5-18", true, delete_child, 1, W, extra),
                   0);
  /* A NULL DACL grants everyone everything. */
  assert_int_equal(sw_acl_audit("S-1-5-18", false, NULL, 0, W, extra), 1);
  /* The service SID is only trusted when named. */
  assert_int_equal(sw_acl_audit("S-1-5-18", true, program_files, 6, W, NULL),
                   4);
  /* Further up, adding an entry is harmless; deleting one is not. */
  assert_int_equal(sw_acl_audit("S-1-5-18", true, drive_root, 3, A, extra), -1);
  assert_int_equal(sw_acl_audit("S-1-5-18", true, drive_root, 3, W, extra), 1);
  assert_int_equal(sw_acl_audit("S-1-5-18", true, delete_child, 1, A, extra),
                   0);
  assert_string_equal(sw_sid_known_name("S-1-5-11"), "Authenticated Users");
  assert_null(sw_sid_known_name(SVC));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(service_sid_known_values),
    cmocka_unit_test(service_sid_rejects),
    cmocka_unit_test(sddl_stop_event),
    cmocka_unit_test(sddl_pipe),
    cmocka_unit_test(sddl_service),
    cmocka_unit_test(sddl_log_dir),
    cmocka_unit_test(acl_audit),
};

const sw_test_group_t sw_group_secdesc = SW_GROUP("secdesc", tests);
