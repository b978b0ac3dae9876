/* SPDX-License-Identifier: EUPL-1.2 */
/* Alert entries as a real systemd-journald stores them (the test runs
 * under tests/journald-ns): fields, priorities and MESSAGE_IDs of
 * INTERFACE.md, "Journal (service mode)". */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "journalread.h"
#include "mailbox.h"
#include "msgid.h"
#include "state.h"
#include "testlib.h"
#include "util.h"

#define SHA "3f1c4e5d6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
#define CHECKED ((time_t)1795896000)    /* 2026-11-28T20:00:00Z */
#define NOT_AFTER ((time_t)1796947199)  /* 2026-12-10T23:59:59Z */

static void fake_mailbox(struct mailbox_result *m, struct cert_result *c, const char *address,
                         enum sw_status status)
{
        memset(m, 0, sizeof(*m));
        memset(c, 0, sizeof(*c));
        m->address = (char *)address;
        m->status = status;
        m->certs = c;
        m->n_certs = 1;
        strcpy(c->sha256, SHA);
        c->serial = (char *)"0A1B2C";
        c->not_after = NOT_AFTER;
}

/* The one entry for this mailbox and problem. */
static json_t *only_entry(const char *mailbox, const char *extra)
{
        char m[200];
        const char *matches[] = { "SYSLOG_IDENTIFIER=smimewatch", m, extra, NULL };
        json_t *list, *e;

        snprintf(m, sizeof(m), "SMIMEWATCH_MAILBOX=%s", mailbox);
        list = jr_entries(matches);
        ck_assert_msg(json_array_size(list) == 1, "%zu entries for %s", json_array_size(list),
                      mailbox);
        e = json_incref(json_array_get(list, 0));
        json_decref(list);
        return e;
}

#define ck_field(e, name, value) ck_assert_pstr_eq(jr_field((e), (name)), (value))

START_TEST(problem_entry)
{
        struct mailbox_result m;
        struct cert_result c;
        struct problem *p;
        json_t *e;

        jr_require_namespace();
        fake_mailbox(&m, &c, "poststelle@lra.example", SW_WARNING);
        p = problem_add(&m.problems, PROBLEM_CERT_EXPIRING, SW_WARNING,
                        "encryption certificate expires in 12 days");
        p->usage = USAGE_ENCRYPTION;
        p->has_days_left = true;
        p->days_left = 12;
        p->cert = 0;
        ck_assert_int_eq(journal_problem(&m, p, "new"), 0);

        e = only_entry("poststelle@lra.example", NULL);
        ck_field(e, "MESSAGE",
                 "poststelle@lra.example: encryption certificate expires in 12 days (2026-12-10)");
        ck_field(e, "MESSAGE_ID", MSGID_CERT_EXPIRING);
        ck_field(e, "PRIORITY", "4");
        ck_field(e, "SYSLOG_IDENTIFIER", "smimewatch");
        ck_field(e, "SMIMEWATCH_STATUS", "warning");
        ck_field(e, "SMIMEWATCH_PROBLEM", "CERT_EXPIRING");
        ck_field(e, "SMIMEWATCH_LEVEL", "warning");
        ck_field(e, "SMIMEWATCH_ALERT", "new");
        ck_field(e, "SMIMEWATCH_USAGE", "encryption");
        ck_field(e, "SMIMEWATCH_DAYS_LEFT", "12");
        ck_field(e, "SMIMEWATCH_CERT_SHA256", SHA);
        ck_field(e, "SMIMEWATCH_CERT_SERIAL", "0A1B2C");
        ck_field(e, "SMIMEWATCH_CERT_NOT_AFTER", "2026-12-10T23:59:59Z");
        json_decref(e);
        problem_list_free(&m.problems);
}
END_TEST

START_TEST(levels_and_optional_fields)
{
        struct mailbox_result m;
        struct cert_result c;
        struct problem *p;
        json_t *e;

        jr_require_namespace();
        /* critical: 3, and no usage, days or certificate where there are none */
        fake_mailbox(&m, &c, "missing@lra.example", SW_CRITICAL);
        p = problem_add(&m.problems, PROBLEM_MAILBOX_NOT_FOUND, SW_CRITICAL,
                        "no directory entry for the address");
        ck_assert_int_eq(journal_problem(&m, p, "repeated"), 0);
        e = only_entry("missing@lra.example", NULL);
        ck_field(e, "MESSAGE", "missing@lra.example: no directory entry for the address");
        ck_field(e, "MESSAGE_ID", MSGID_MAILBOX_NOT_FOUND);
        ck_field(e, "PRIORITY", "3");
        ck_field(e, "SMIMEWATCH_ALERT", "repeated");
        ck_assert_ptr_null(jr_field(e, "SMIMEWATCH_USAGE"));
        ck_assert_ptr_null(jr_field(e, "SMIMEWATCH_DAYS_LEFT"));
        ck_assert_ptr_null(jr_field(e, "SMIMEWATCH_CERT_SHA256"));
        json_decref(e);
        problem_list_free(&m.problems);

        /* unknown: 3 as well; a message that already has the date keeps it once */
        fake_mailbox(&m, &c, "search@lra.example", SW_UNKNOWN);
        p = problem_add(&m.problems, PROBLEM_DIRECTORY_UNREACHABLE, SW_UNKNOWN,
                        "search failed: Timed out");
        ck_assert_int_eq(journal_problem(&m, p, "new"), 0);
        e = only_entry("search@lra.example", NULL);
        ck_field(e, "PRIORITY", "3");
        ck_field(e, "MESSAGE_ID", MSGID_DIRECTORY_UNREACHABLE);
        ck_field(e, "SMIMEWATCH_STATUS", "unknown");
        json_decref(e);
        problem_list_free(&m.problems);

        fake_mailbox(&m, &c, "dated@lra.example", SW_CRITICAL);
        p = problem_add(&m.problems, PROBLEM_CERT_EXPIRING, SW_CRITICAL,
                        "signature certificate expires on 2026-12-10");
        p->cert = 0;
        p->usage = USAGE_SIGNATURE;
        ck_assert_int_eq(journal_problem(&m, p, "changed"), 0);
        e = only_entry("dated@lra.example", NULL);
        ck_field(e, "MESSAGE", "dated@lra.example: signature certificate expires on 2026-12-10");
        ck_field(e, "PRIORITY", "3");
        ck_field(e, "SMIMEWATCH_LEVEL", "critical");
        ck_field(e, "SMIMEWATCH_USAGE", "signature");
        json_decref(e);
        problem_list_free(&m.problems);
}
END_TEST

START_TEST(recovery_entry)
{
        struct state_alert a = {
                .mailbox = (char *)"fixed@lra.example", .code = PROBLEM_STALE_CERT_PUBLISHED,
                .usage = USAGE_ENCRYPTION, .cert_serial = (char *)"0FFF",
                .cert_not_after = NOT_AFTER, .level = SW_WARNING,
                .message = (char *)"an expired certificate is published beside the valid one",
        };
        json_t *e;

        jr_require_namespace();
        strcpy(a.cert_sha256, SHA);
        ck_assert_int_eq(journal_recovered(&a, SW_OK), 0);
        e = only_entry("fixed@lra.example", NULL);
        ck_field(e, "MESSAGE", "fixed@lra.example: resolved: an expired certificate is "
                 "published beside the valid one");
        ck_field(e, "MESSAGE_ID", MSGID_RECOVERED);
        ck_field(e, "PRIORITY", "5");
        ck_field(e, "SMIMEWATCH_STATUS", "ok");
        ck_field(e, "SMIMEWATCH_PROBLEM", "STALE_CERT_PUBLISHED");
        ck_field(e, "SMIMEWATCH_ALERT", "recovered");
        ck_field(e, "SMIMEWATCH_USAGE", "encryption");
        ck_field(e, "SMIMEWATCH_CERT_SHA256", SHA);
        ck_field(e, "SMIMEWATCH_CERT_SERIAL", "0FFF");
        ck_field(e, "SMIMEWATCH_CERT_NOT_AFTER", "2026-12-10T23:59:59Z");
        json_decref(e);
}
END_TEST

START_TEST(summary_and_outage)
{
        const char *summary[] = { "MESSAGE_ID=" MSGID_CYCLE_SUMMARY, NULL };
        const char *outage[] = { "MESSAGE_ID=" MSGID_DIRECTORY_OUTAGE, NULL };
        const char *recovered[] = { "MESSAGE_ID=" MSGID_RECOVERED,
                                    "SMIMEWATCH_PROBLEM=DIRECTORY_UNREACHABLE", NULL };
        unsigned counts[SW_STATUS_COUNT] = { 10, 1, 1, 0 };
        json_t *list, *e;

        jr_require_namespace();
        ck_assert_int_eq(journal_summary(counts, 12, SW_CRITICAL, CHECKED + 21600, NULL), 0);
        ck_assert_int_eq(journal_outage("ldap://127.0.0.1:1: Can't contact LDAP server", 12), 0);
        ck_assert_int_eq(journal_summary(counts, 12, SW_CRITICAL, CHECKED + 60, "refused"), 0);
        ck_assert_int_eq(journal_outage_over(CHECKED), 0);

        list = jr_entries(summary);
        ck_assert_uint_eq(json_array_size(list), 2);
        e = json_array_get(list, 0);
        ck_field(e, "MESSAGE", "checked 12 mailboxes: 10 ok, 1 warning, 1 critical, 0 unknown; "
                 "next check 2026-11-29T02:00:00Z");
        ck_field(e, "PRIORITY", "6");
        ck_field(e, "SYSLOG_IDENTIFIER", "smimewatch");
        ck_field(e, "SMIMEWATCH_STATUS", "critical");
        ck_field(e, "SMIMEWATCH_MAILBOXES", "12");
        ck_field(e, "SMIMEWATCH_OK", "10");
        ck_field(e, "SMIMEWATCH_CRITICAL", "1");
        ck_field(e, "SMIMEWATCH_NEXT_CHECK", "2026-11-29T02:00:00Z");
        e = json_array_get(list, 1);
        ck_field(e, "MESSAGE", "directory unreachable (refused); last known status of 12 "
                 "mailboxes: 10 ok, 1 warning, 1 critical, 0 unknown; next attempt "
                 "2026-11-28T20:01:00Z");
        json_decref(list);

        list = jr_entries(outage);
        ck_assert_uint_eq(json_array_size(list), 1);
        e = json_array_get(list, 0);
        ck_field(e, "PRIORITY", "3");
        ck_field(e, "SYSLOG_IDENTIFIER", "smimewatch");
        ck_field(e, "SMIMEWATCH_PROBLEM", "DIRECTORY_UNREACHABLE");
        ck_field(e, "SMIMEWATCH_REASON", "ldap://127.0.0.1:1: Can't contact LDAP server");
        ck_field(e, "MESSAGE", "directory unreachable: ldap://127.0.0.1:1: Can't contact LDAP "
                 "server; 12 mailboxes keep the last known status until it answers again");
        ck_assert_ptr_null(jr_field(e, "SMIMEWATCH_MAILBOX"));
        json_decref(list);

        list = jr_entries(recovered);
        ck_assert_uint_eq(json_array_size(list), 1);
        e = json_array_get(list, 0);
        ck_field(e, "PRIORITY", "5");
        ck_field(e, "MESSAGE", "directory answers again (unreachable since 2026-11-28T20:00:00Z)");
        json_decref(list);
}
END_TEST

START_TEST(message_ids)
{
        const char *special[] = { MSGID_RECOVERED, MSGID_CYCLE_SUMMARY, MSGID_DIRECTORY_OUTAGE };
        const char *seen[PROBLEM_CODE_COUNT + 3];
        size_t n = 0;

        /* Every mailbox-level code has its own id; certificate-level codes none. */
        for (int c = 0; c < PROBLEM_CODE_COUNT; c++) {
                const char *id = journal_msgid((enum problem_code)c);

                if (c <= PROBLEM_CERT_SUBJECT_EMAIL_ONLY) {
                        ck_assert_msg(id, "%s has no MESSAGE_ID", problem_code_name(c));
                        seen[n++] = id;
                } else {
                        ck_assert_ptr_null(id);
                }
        }
        for (size_t i = 0; i < 3; i++)
                seen[n++] = special[i];
        for (size_t i = 0; i < n; i++) {
                ck_assert_uint_eq(strlen(seen[i]), 32);
                ck_assert_uint_eq(strspn(seen[i], "0123456789abcdef"), 32);
                for (size_t j = 0; j < i; j++)
                        ck_assert_str_ne(seen[i], seen[j]);
        }
        ck_assert_int_eq(journal_priority(SW_CRITICAL), 3);
        ck_assert_int_eq(journal_priority(SW_UNKNOWN), 3);
        ck_assert_int_eq(journal_priority(SW_WARNING), 4);
}
END_TEST

static Suite *journal_suite(void)
{
        Suite *s = suite_create("journal");
        TCase *t = tcase_create("journal");

        tcase_set_timeout(t, 30);
        tcase_add_test(t, problem_entry);
        tcase_add_test(t, levels_and_optional_fields);
        tcase_add_test(t, recovery_entry);
        tcase_add_test(t, summary_and_outage);
        tcase_add_test(t, message_ids);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        SRunner *r = srunner_create(journal_suite());
        int failed;

        srunner_run_all(r, CK_NORMAL);
        failed = srunner_ntests_failed(r);
        srunner_free(r);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
