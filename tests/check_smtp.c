/* SPDX-License-Identifier: EUPL-1.2 */
/* [service] smtp end to end: real SMTP servers on 127.0.0.1 (Debian's
 * python3-aiosmtpd, one announcing SIZE 5 MB with STARTTLS, one 20 MB
 * without), a port nobody listens on, a real slapd and test PKI, and the
 * smimewatch binary's --verify --json. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ldaptest.h"
#include "testlib.h"
#include "util.h"

#define DOM "example.org"
#define SUFFIX "o=Test,c=DE"

static char *tmp, *pki, *tls;
static struct tl_slapd srv;
static pid_t small_pid = -1, large_pid = -1;
static int small_port, large_port, dead_port;

static bool listening(int port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

        if (fd >= 0)
                close(fd);
        return ok;
}

/* aiosmtpd on port with SIZE size, STARTTLS with tls/server.pem when
 * tls_on; it dies with this process. */
static pid_t smtp_start(int port, const char *size, bool tls_on)
{
        char listen[32], *cert = tl_path(tls, "server.pem"), *key = tl_path(tls, "server.key");
        pid_t pid;

        snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
        fflush(NULL);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (!freopen("/dev/null", "w", stdout))
                        _exit(127);
                if (tls_on)
                        execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen,
                              "-s", size, "--tlscert", cert, "--tlskey", key, (char *)NULL);
                else
                        execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen,
                              "-s", size, (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 100 && !listening(port); i++)
                usleep(100 * 1000);
        ck_assert_msg(listening(port), "aiosmtpd on %s did not come up", listen);
        free(cert);
        free(key);
        return pid;
}

static void ldif_entry(FILE *f, const char *name)
{
        char *der = NULL, *mail = NULL;

        ck_assert_int_ge(asprintf(&der, "%s/%s.der", pki, name), 0);
        ck_assert_int_ge(asprintf(&mail, "%s@" DOM, name), 0);
        tl_ldif_mailbox(f, name, SUFFIX, mail, der);
        free(der);
        free(mail);
}

static void setup(void)
{
        char *ldif, *d;
        FILE *f;

        tmp = tl_mkdtemp();
        pki = tl_path(tmp, "pki");
        tls = tl_path(tmp, "tls");
        ck_assert_int_eq(tl_sh("M='%s/tests/mkpki'; $M init '%s' >&2 && "
                               "$M issue '%s' one --email one@" DOM " --usage enc >&2 && "
                               "$M issue '%s' two --email two@" DOM " --usage enc >&2",
                               tl_srcdir(), pki, pki, pki), 0);
        tl_ldap_certs(tls);
        ldif = tl_path(tmp, "d.ldif");
        f = fopen(ldif, "w");
        ck_assert_ptr_nonnull(f);
        ldif_entry(f, "one");
        ldif_entry(f, "two");
        ck_assert_int_eq(fclose(f), 0);
        d = tl_path(tmp, "slapd");
        tl_slapd_start(&srv, d, SUFFIX, ldif, NULL, NULL);
        small_port = tl_dead_port();
        small_pid = smtp_start(small_port, "5000000", true);
        large_port = tl_dead_port();
        large_pid = smtp_start(large_port, "20000000", false);
        dead_port = tl_dead_port();
        free(d);
        free(ldif);
}

static void teardown(void)
{
        for (pid_t *p = &small_pid; p; p = p == &small_pid ? &large_pid : NULL)
                if (*p > 0) {
                        kill(*p, SIGTERM);
                        waitpid(*p, NULL, 0);
                }
        tl_slapd_stop(&srv);
        tl_rm_rf(tmp);
        free(tmp);
        free(pki);
        free(tls);
}

/* --verify --json with [service] smtp = 127.0.0.1:port and these lines. */
static json_t *verify(int port, const char *service, const char *ca, int want_exit)
{
        char name[64], *conf;
        const char *args[] = { "--verify", "--json", "-c", NULL, NULL };
        struct tl_run r;
        json_t *doc;

        snprintf(name, sizeof(name), "smtp-%d-%s.conf", port, ca);
        conf = tl_write(tmp, name, "[service]\nsmtp = 127.0.0.1:%d\n%s\n[pki]\n"
                        "trust_anchors = %s/anchors.pem\nintermediates = %s/intermediates.pem\n"
                        "crls = %s/crls\n\n[directory]\nuri = %s\nbase = " SUFFIX "\ntimeout = 3s\n"
                        "tls_ca_file = %s/%s\n\n[policy]\nrequire = encryption\n\n"
                        "[mailbox one@" DOM "]\n[mailbox two@" DOM "]\n", port, service, pki, pki,
                        pki, srv.ldap_url, tls, ca);
        args[3] = conf;
        tl_smimewatch(&r, args);
        ck_assert_msg(r.status == want_exit, "exit %d, want %d: %s %s", r.status, want_exit,
                      r.out, r.err);
        doc = tl_json(&r);
        tl_run_free(&r);
        free(conf);
        return doc;
}

/* The statuses of both mailboxes, and whether each has MESSAGE_SIZE_LIMIT. */
static void expect_mailboxes(json_t *doc, const char *status, bool size_problem)
{
        size_t i, k;
        json_t *m, *p;

        ck_assert_uint_eq(json_array_size(json_object_get(doc, "mailboxes")), 2);
        json_array_foreach(json_object_get(doc, "mailboxes"), i, m) {
                bool found = false;

                ck_assert_str_eq(json_string_value(json_object_get(m, "status")), status);
                json_array_foreach(json_object_get(m, "problems"), k, p)
                        found |= strcmp(json_string_value(json_object_get(p, "code")),
                                        "MESSAGE_SIZE_LIMIT") == 0;
                ck_assert(found == size_problem);
        }
}

START_TEST(small_limit_over_starttls)
{
        json_t *doc = verify(small_port, "", "ca.pem", 1), *s = json_object_get(doc, "smtp");

        expect_mailboxes(doc, "warning", true);
        ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "warning");
        ck_assert(json_is_true(json_object_get(s, "starttls")));
        ck_assert_int_eq(json_integer_value(json_object_get(s, "size_limit")), 5000000);
        ck_assert_int_eq(json_integer_value(json_object_get(s, "min_message_size")), 10000000);
        json_decref(doc);

        /* A minimum the server meets. */
        doc = verify(small_port, "min_message_size = 4 MB", "ca.pem", 0);
        expect_mailboxes(doc, "ok", false);
        json_decref(doc);
}
END_TEST

START_TEST(large_limit)
{
        json_t *doc = verify(large_port, "", "ca.pem", 0), *s = json_object_get(doc, "smtp");

        expect_mailboxes(doc, "ok", false);
        ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "ok");
        ck_assert(json_is_false(json_object_get(s, "starttls")));
        ck_assert_int_eq(json_integer_value(json_object_get(s, "size_limit")), 20000000);
        json_decref(doc);
}
END_TEST

/* Not running, or a certificate that does not verify: unknown for this
 * check only; the mailboxes stay ok. */
START_TEST(unknown_is_no_alarm)
{
        json_t *doc = verify(dead_port, "", "ca.pem", 0), *s = json_object_get(doc, "smtp");

        expect_mailboxes(doc, "ok", false);
        ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "unknown");
        ck_assert(json_is_null(json_object_get(s, "size_limit")));
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(s, "reason")),
                                     "Connection refused"));
        json_decref(doc);

        doc = verify(small_port, "", "wrong-ca.pem", 0);
        s = json_object_get(doc, "smtp");
        expect_mailboxes(doc, "ok", false);
        ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "unknown");
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(s, "reason")),
                                     "certificate was rejected"));
        json_decref(doc);
}
END_TEST

START_TEST(bad_settings)
{
        static const char *const bad[] = { "smtp = 127.0.0.1:0", "smtp = :25", "smtp = [::1",
                                           "min_message_size = 10 XB", "min_message_size = 0" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *conf = tl_write(tmp, "bad.conf", "[service]\n%s\n[pki]\ntrust_anchors = "
                                      "%s/anchors.pem\n", bad[i], pki);
                const char *args[] = { "--check-config", "-c", conf, NULL };
                struct tl_run r;

                tl_smimewatch(&r, args);
                ck_assert_msg(r.status == 78, "%s: exit %d", bad[i], r.status);
                ck_assert_msg(strstr(r.err, "bad.conf:2: [service]"), "%s: %s", bad[i], r.err);
                tl_run_free(&r);
                free(conf);
        }
}
END_TEST

int main(void)
{
        Suite *s = suite_create("smtp");
        TCase *tc = tcase_create("smtp");

        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, small_limit_over_starttls);
        tcase_add_test(tc, large_limit);
        tcase_add_test(tc, unknown_is_no_alarm);
        tcase_add_test(tc, bad_settings);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
