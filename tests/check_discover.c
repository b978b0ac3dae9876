/* SPDX-License-Identifier: EUPL-1.2 */
/* [directory] discover end to end: real slapds (tests/slapd-ctl) with a
 * size limit of 50 entries per search and 200 mailbox entries, one that
 * lets paged searches go on (as Active Directory's MaxPageSize does) and
 * one that limits them too (OpenLDAP's plain sizelimit); --list-mailboxes,
 * --verify --json and the service's summary (tests/journald-ns). */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journalread.h"
#include "ldaptest.h"
#include "msgid.h"
#include "testlib.h"
#include "util.h"

#define DOM "example.org"
#define SUFFIX "o=Test,c=DE"
#define N_ENTRIES 200

static char *tmp, *pki;
static char *paged_url;         /* sizelimit 50, paged searches unlimited */
static char *capped_url;        /* sizelimit 50 for paged searches too */

static char *start(const char *name, const char *ldif, const char *limit)
{
        char *dir = tl_path(tmp, name), *urlfile = tl_path(dir, "ldap_url"), *url;
        unsigned char *data;
        size_t len;

        ck_assert_int_eq(tl_sh("'%s/tests/slapd-ctl' start '%s' --ldif '%s' --sizelimit '%s' "
                               "--watch %d >/dev/null", tl_srcdir(), dir, ldif, limit,
                               (int)getpid()), 0);
        ck_assert_int_eq(util_read_file(urlfile, 4096, &data, &len), 0);
        url = (char *)data;
        url[strcspn(url, "\n")] = 0;
        free(urlfile);
        free(dir);
        return url;
}

/* m1@ .. m200@ without certificates; thr@ (spelt thr@EXAMPLE.ORG in the
 * directory) with a certificate that expires in 20 days; two@ and
 * second@ on one entry; a mail value that is no address. */
static void setup(void)
{
        char *ldif, *b64, *der;
        unsigned char *data;
        size_t len;
        FILE *f;

        tmp = tl_mkdtemp();
        pki = tl_path(tmp, "pki");
        ck_assert_int_eq(tl_sh("M='%s/tests/mkpki'; $M init '%s' >&2 && $M issue '%s' thr --email "
                               "thr@" DOM " --usage enc --to 20 >&2", tl_srcdir(), pki, pki), 0);
        der = tl_path(pki, "thr.der");
        ck_assert_int_eq(util_read_file(der, UTIL_MAX_FILE_SIZE, &data, &len), 0);
        b64 = tl_base64(data, len);
        ldif = tl_path(tmp, "d.ldif");
        f = fopen(ldif, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "dn: ou=mail," SUFFIX "\nobjectClass: organizationalUnit\nou: mail\n\n");
        for (int i = 1; i <= N_ENTRIES - 2; i++)
                fprintf(f, "dn: cn=m%d,ou=mail," SUFFIX "\nobjectClass: inetOrgPerson\ncn: m%d\n"
                        "sn: m\nmail: m%d@" DOM "\n\n", i, i, i);
        fprintf(f, "dn: cn=thr,ou=mail," SUFFIX "\nobjectClass: inetOrgPerson\ncn: thr\nsn: t\n"
                "mail: thr@EXAMPLE.ORG\nuserCertificate;binary:: %s\n\n", b64);
        fprintf(f, "dn: cn=two,ou=mail," SUFFIX "\nobjectClass: inetOrgPerson\ncn: two\nsn: t\n"
                "mail: two@" DOM "\nmail: second@" DOM "\nmail: not an address\n\n");
        ck_assert_int_eq(fclose(f), 0);
        paged_url = start("paged", ldif,
                          "size.soft=50 size.hard=50 size.pr=50 size.prtotal=unlimited");
        capped_url = start("capped", ldif, "50");
        free(ldif);
        free(b64);
        free(data);
        free(der);
}

static void teardown(void)
{
        tl_sh("'%s/tests/slapd-ctl' stop '%s/paged'; '%s/tests/slapd-ctl' stop '%s/capped'",
              tl_srcdir(), tmp, tl_srcdir(), tmp);
        tl_rm_rf(tmp);
        free(tmp);
        free(pki);
        free(paged_url);
        free(capped_url);
}

static char *config(const char *name, const char *url, const char *filter, const char *rest)
{
        return tl_write(tmp, name, "[service]\nwarn_days = 30\ncritical_days = 7\n%s\n"
                        "[pki]\ntrust_anchors = %s/anchors.pem\nintermediates = %s/intermediates.pem\n"
                        "crls = %s/crls\n\n[directory]\nuri = %s\nbase = " SUFFIX "\ntimeout = 5s\n"
                        "discover = %s\n\n[policy]\nrequire = encryption\n\n%s",
                        strstr(rest ? rest : "", "mailbox_list") ? "mailbox_list = list.txt" : "",
                        pki, pki, pki, url, filter, rest ? rest : "");
}

static size_t count_lines(const char *s, const char *suffix)
{
        size_t n = 0;

        for (const char *l = s; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
                size_t len = strcspn(l, "\n");

                if (len >= strlen(suffix) && strncmp(l + len - strlen(suffix), suffix,
                                                     strlen(suffix)) == 0)
                        n++;
        }
        return n;
}

START_TEST(list_every_entry_through_pages)
{
        char *list = tl_write(tmp, "list.txt", "listed@" DOM "\nm5@" DOM "\n");
        char *conf = config("list.conf", paged_url, "(mail=*)",
                            "# mailbox_list\n[mailbox m1@" DOM "]\n");
        const char *args[] = { "--list-mailboxes", "-c", conf, NULL };
        struct tl_run r;

        tl_smimewatch(&r, args);
        ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
        /* 198 + thr, two, second: 201 addresses; m1 and m5 are configured. */
        ck_assert_uint_eq(count_lines(r.out, " discovered"), 199);
        ck_assert_uint_eq(count_lines(r.out, " configured"), 1);
        ck_assert_uint_eq(count_lines(r.out, " mailbox_list"), 2);
        ck_assert_ptr_nonnull(strstr(r.out, "m1@" DOM " configured\n"));
        ck_assert_ptr_nonnull(strstr(r.out, "m5@" DOM " mailbox_list\n"));
        ck_assert_ptr_nonnull(strstr(r.out, "second@" DOM " discovered\n"));
        ck_assert_ptr_nonnull(strstr(r.err, "discovery found 201 addresses in 200 entries, "
                                            "199 of them not configured"));
        tl_run_free(&r);
        free(conf);
        free(list);
}
END_TEST

START_TEST(verify_configured_settings_win)
{
        char *conf = config("verify.conf", paged_url, "(&(mail=*)(userCertificate;binary=*))",
                            "[mailbox thr@" DOM "]\nwarn_days = 10\ncritical_days = 5\n");
        const char *args[] = { "--verify", "--json", "-c", conf, NULL };
        struct tl_run r;
        json_t *doc, *d, *m;

        tl_smimewatch(&r, args);
        ck_assert_msg(r.status == 0, "exit %d: %s %s", r.status, r.out, r.err);
        doc = tl_json(&r);
        d = json_object_get(doc, "discovery");
        ck_assert(json_is_true(json_object_get(d, "complete")));
        ck_assert_int_eq(json_integer_value(json_object_get(d, "found")), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(d, "added")), 0);
        /* Found as thr@EXAMPLE.ORG, checked once, with its own thresholds:
         * 20 days left is no warning at warn_days 10. */
        ck_assert_uint_eq(json_array_size(json_object_get(doc, "mailboxes")), 1);
        m = json_array_get(json_object_get(doc, "mailboxes"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(m, "address")), "thr@" DOM);
        ck_assert_str_eq(json_string_value(json_object_get(m, "origin")), "configured");
        ck_assert_str_eq(json_string_value(json_object_get(m, "status")), "ok");
        json_decref(doc);
        tl_run_free(&r);
        free(conf);

        /* Not configured, the same mailbox has the [service] thresholds. */
        conf = config("verify2.conf", paged_url, "(&(mail=*)(userCertificate;binary=*))", NULL);
        args[3] = conf;
        tl_smimewatch(&r, args);
        ck_assert_msg(r.status == 1, "exit %d: %s %s", r.status, r.out, r.err);
        doc = tl_json(&r);
        m = json_array_get(json_object_get(doc, "mailboxes"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(m, "address")), "thr@EXAMPLE.ORG");
        ck_assert_str_eq(json_string_value(json_object_get(m, "origin")), "discovered");
        ck_assert_str_eq(json_string_value(json_object_get(m, "status")), "warning");
        json_decref(doc);
        tl_run_free(&r);
        free(conf);
}
END_TEST

START_TEST(filter_matching_nothing)
{
        char *conf = config("none.conf", paged_url, "(mail=nobody*)", NULL);
        const char *args[] = { "--verify", "-c", conf, NULL };
        struct tl_run r;

        tl_smimewatch(&r, args);
        ck_assert_msg(r.status == 0, "exit %d: %s %s", r.status, r.out, r.err);
        ck_assert_ptr_nonnull(strstr(r.out, "Discovery: 0 addresses in 0 entries"));
        ck_assert_ptr_nonnull(strstr(r.out, "0 mailboxes:"));
        tl_run_free(&r);
        free(conf);
}
END_TEST

/* A server that limits paged searches too: what came is checked, and the
 * verdict says that it is not everything. */
START_TEST(size_limit_is_reported)
{
        char *conf = config("capped.conf", capped_url, "(mail=*)", NULL);
        const char *args[] = { "--verify", "--json", "-c", conf, NULL };
        const char *list[] = { "--list-mailboxes", "-c", conf, NULL };
        struct tl_run r;
        json_t *doc, *d;

        tl_smimewatch(&r, args);
        ck_assert_msg(r.status == 2 || r.status == 3, "exit %d", r.status);
        doc = tl_json(&r);
        ck_assert_str_eq(json_string_value(json_object_get(doc, "status")),
                         r.status == 2 ? "critical" : "unknown");
        d = json_object_get(doc, "discovery");
        ck_assert(json_is_false(json_object_get(d, "complete")));
        ck_assert_int_eq(json_integer_value(json_object_get(d, "entries")), 50);
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(d, "reason")),
                                     "Size limit exceeded"));
        json_decref(doc);
        tl_run_free(&r);

        tl_smimewatch(&r, list);
        ck_assert_int_eq(r.status, 3);
        ck_assert_uint_eq(count_lines(r.out, " discovered"), 50);
        ck_assert_ptr_nonnull(strstr(r.err, "INCOMPLETE"));
        tl_run_free(&r);
        free(conf);
}
END_TEST

/* The service counts discovered mailboxes in its summary. */
START_TEST(service_summary)
{
        char *conf = config("svc.conf", paged_url, "(mail=*)", "[mailbox m1@" DOM "]\n");
        char pidm[32];
        const char *m[] = { "SYSLOG_IDENTIFIER=smimewatch", pidm, "MESSAGE_ID=" MSGID_CYCLE_SUMMARY,
                            NULL };
        json_t *l;
        pid_t pid;

        jr_require_namespace();
        pid = jr_service_start(conf, tmp);
        snprintf(pidm, sizeof(pidm), "_PID=%d", (int)pid);
        jr_service_one_check(pid);
        l = jr_entries(m);
        ck_assert_uint_ge(json_array_size(l), 1);
        ck_assert_str_eq(jr_field(json_array_get(l, 0), "SMIMEWATCH_MAILBOXES"), "201");
        ck_assert_str_eq(jr_field(json_array_get(l, 0), "SMIMEWATCH_DISCOVERED"), "200");
        ck_assert_ptr_nonnull(strstr(jr_field(json_array_get(l, 0), "MESSAGE"),
                                     "checked 201 mailboxes (200 discovered)"));
        json_decref(l);
        free(conf);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("discover");
        TCase *tc = tcase_create("discover");

        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, list_every_entry_through_pages);
        tcase_add_test(tc, verify_configured_settings_win);
        tcase_add_test(tc, filter_matching_nothing);
        tcase_add_test(tc, size_limit_is_reported);
        tcase_add_test(tc, service_summary);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
