/* SPDX-License-Identifier: EUPL-1.2 */
/* Alert entries as a real systemd-journald stores them (the test runs
 * under tests/journald-ns): fields, priorities and MESSAGE_IDs of
 * smimewatch(8), JOURNAL. */
#include <check.h>
#include <endian.h>
#include <stdint.h>
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

/* The journal is an output edge: raw values are escaped there, once. */
START_TEST(raw_values_escaped)
{
        struct mailbox_result m;
        struct cert_result c;
        struct problem *p;
        json_t *e;

        jr_require_namespace();
        fake_mailbox(&m, &c, "escape@lra.example", SW_CRITICAL);
        p = problem_add(&m.problems, PROBLEM_MAILBOX_AMBIGUOUS, SW_WARNING,
                        "entries \"cn=\x1b[31mA\\, B\n\", \"cn=\xff\"");
        ck_assert_int_eq(journal_problem(&m, p, "new"), 0);
        e = only_entry("escape@lra.example", NULL);
        ck_field(e, "MESSAGE", "escape@lra.example: entries \"cn=\\x1b[31mA\\x5c, B\\x0a\", "
                               "\"cn=\\xff\"");
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
        ck_assert_int_eq(journal_summary(counts, 12, 0, SW_CRITICAL, CHECKED + 21600, NULL), 0);
        ck_assert_int_eq(journal_outage("ldap://127.0.0.1:1: Can't contact LDAP server", 12), 0);
        ck_assert_int_eq(journal_summary(counts, 12, 0, SW_CRITICAL, CHECKED + 60, "refused"), 0);
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

/* ---- catalogs ----------------------------------------------------------- */

/* Every id in include/msgid.h, as 32 hex digits. */
static size_t msgids_of_header(char ids[][33], size_t max)
{
        char *path = tl_path(tl_srcdir(), "include/msgid.h"), line[512];
        FILE *f = fopen(path, "r");
        size_t n = 0;

        ck_assert_msg(f, "cannot read %s", path);
        while (fgets(line, sizeof(line), f)) {
                char *p = strstr(line, "SD_ID128_MAKE_STR(");
                size_t k = 0;

                if (strncmp(line, "#define MSGID_", 14) != 0 || !p)
                        continue;
                ck_assert_uint_lt(n, max);
                for (p += 18; *p && *p != ')'; p++)
                        if (*p != ',' && *p != ' ') {
                                ck_assert_uint_lt(k, 32);
                                ids[n][k++] = *p;
                        }
                ck_assert_uint_eq(k, 32);
                ids[n++][32] = 0;
        }
        fclose(f);
        free(path);
        return n;
}

/* The catalogs as `make install` puts them, compiled by journalctl into
 * ROOT/var/lib/systemd/catalog/database. */
static char *catalog_root(void)
{
        char *root = tl_mkdtemp();
        const char *argv[] = { "journalctl", "--root", root, "--update-catalog", NULL };
        struct tl_run r;

        ck_assert_int_eq(tl_sh("mkdir -p '%s/usr/lib/systemd/catalog' && cp '%s'/systemd/*.catalog "
                               "'%s/usr/lib/systemd/catalog/'", root, tl_srcdir(), root), 0);
        tl_run_argv(&r, argv, NULL, 30);
        ck_assert_msg(r.status == 0, "journalctl --update-catalog: %s", r.err);
        /* no warnings either: dpkg's trigger shows them on every install */
        ck_assert_msg(r.err[0] == 0, "journalctl --update-catalog: %s", r.err);
        tl_run_free(&r);
        return root;
}

/* The compiled database (systemd's catalog.c): a header, then items of
 * { id, language[32], offset }, then the texts. Reading it directly shows
 * which languages journalctl took in, whatever locales are installed. */
struct catalog_header {
        uint8_t signature[8];
        uint32_t compatible_flags, incompatible_flags;
        uint64_t header_size, n_items, catalog_item_size;
};

struct catalog_item {
        uint8_t id[16];
        char language[32];
        uint64_t offset;
};

static const char *catalog_text(const unsigned char *db, size_t len, const char *id,
                                const char *language)
{
        struct catalog_header h;
        uint64_t hs, n, is;

        ck_assert_uint_ge(len, sizeof(h));
        memcpy(&h, db, sizeof(h));
        ck_assert(memcmp(h.signature, "RHHHKSLP", 8) == 0);
        hs = le64toh(h.header_size);
        n = le64toh(h.n_items);
        is = le64toh(h.catalog_item_size);
        ck_assert_uint_ge(is, sizeof(struct catalog_item));
        ck_assert_uint_le(hs + n * is, len);
        for (uint64_t i = 0; i < n; i++) {
                struct catalog_item it;
                char hex[33];

                memcpy(&it, db + hs + i * is, sizeof(it));
                util_hex(it.id, 16, hex);
                if (strcmp(hex, id) == 0 && strncmp(it.language, language, 32) == 0) {
                        ck_assert_uint_lt(hs + n * is + le64toh(it.offset), len);
                        return (const char *)db + hs + n * is + le64toh(it.offset);
                }
        }
        return NULL;
}

START_TEST(catalogs)
{
        char ids[32][33], *root = catalog_root(), *dbpath;
        size_t n = msgids_of_header(ids, 32), len;
        unsigned char *db;

        ck_assert_uint_eq(n, 18);
        dbpath = tl_path(root, "var/lib/systemd/catalog/database");
        ck_assert_int_eq(util_read_file(dbpath, UTIL_MAX_FILE_SIZE, &db, &len), 0);
        for (size_t i = 0; i < n; i++) {
                const char *langs[] = { "", "de" };

                for (size_t k = 0; k < 2; k++) {
                        const char *t = catalog_text(db, len, ids[i], langs[k]);

                        ck_assert_msg(t, "no %s catalog entry for %s",
                                      k ? "German" : "English", ids[i]);
                        ck_assert_msg(!strncmp(t, "Subject: ", 9), "%s: %.60s", ids[i], t);
                        ck_assert_msg(strstr(t, "\nDefined-By: smimewatch\n") &&
                                      strstr(t, "\nSupport: ") &&
                                      strstr(t, "\nDocumentation: man:smimewatch(8)\n"),
                                      "%s (%s) lacks a header:\n%s", ids[i], langs[k], t);
                        /* journald fills in @NAME@ for NAME of A-Z and _ only */
                        for (const char *v = strstr(t, "@SMIMEWATCH_"); v;
                             v = strstr(v + 1, "@SMIMEWATCH_"))
                                ck_assert_msg(v[1 + strspn(v + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_")]
                                              == '@', "%s: %.40s", ids[i], v);
                        ck_assert_msg(strstr(t, "BayernPortal") || i >= 10,
                                      "%s does not say what it means for the procedures", ids[i]);
                }
        }
        free(db);
        free(dbpath);
        tl_rm_rf(root);
        free(root);
}
END_TEST

/* journalctl -x explains an entry with the catalog, fields filled in. */
START_TEST(catalog_explains_entry)
{
        char *root, *dir;
        struct mailbox_result m;
        struct cert_result c;
        struct problem *p;
        struct tl_run r;

        jr_require_namespace();
        fake_mailbox(&m, &c, "explained@lra.example", SW_CRITICAL);
        p = problem_add(&m.problems, PROBLEM_CERT_EXPIRING, SW_CRITICAL,
                        "encryption certificate expires in 5 days");
        p->usage = USAGE_ENCRYPTION;
        p->has_days_left = true;
        p->days_left = 5;
        p->cert = 0;
        ck_assert_int_eq(journal_problem(&m, p, "new"), 0);
        problem_list_free(&m.problems);
        json_decref(only_entry("explained@lra.example", NULL));   /* stored */

        /* journalctl -x reads /var/lib/systemd/catalog/database whatever
         * --root says: put ours there, in this mount namespace only. */
        root = catalog_root();
        dir = tl_path(root, "var/lib/systemd/catalog");
        ck_assert_int_eq(tl_sh("mount -t tmpfs tmpfs /var/lib/systemd/catalog && "
                               "cp '%s/database' /var/lib/systemd/catalog/", dir), 0);
        {
                const char *argv[] = { "journalctl", "-D", getenv("SMIMEWATCH_JOURNAL_DIR"),
                                       "--no-pager", "-x",
                                       "SMIMEWATCH_MAILBOX=explained@lra.example", NULL };

                tl_run_argv(&r, argv, NULL, 30);
        }
        tl_sh("umount /var/lib/systemd/catalog");
        ck_assert_msg(strstr(r.out, "Subject: A certificate of explained@lra.example expires soon"),
                      "journalctl -x:\n%s%s", r.out, r.err);
        ck_assert_msg(strstr(r.out, "0A1B2C") && strstr(r.out, "2026-12-10T23:59:59Z"),
                      "%s", r.out);
        /* journald substitutes @[A-Z_]+@ only: every field name we use must fit */
        ck_assert_msg(!strstr(r.out, "@SMIMEWATCH_"), "%s", r.out);
        tl_run_free(&r);
        tl_rm_rf(root);
        free(dir);
        free(root);
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
        tcase_add_test(t, raw_values_escaped);
        tcase_add_test(t, message_ids);
        tcase_add_test(t, catalogs);
        tcase_add_test(t, catalog_explains_entry);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return tl_run_suite(journal_suite());
}
