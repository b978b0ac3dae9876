/* SPDX-License-Identifier: EUPL-1.2 */
/* The directory module against a real slapd (tests/slapd-ctl). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "directory.h"
#include "ldaptest.h"
#include "testlib.h"
#include "util.h"

#define SUFFIX "o=Test,c=DE"
#define PEOPLE "ou=people," SUFFIX
#define READER "uid=reader," PEOPLE
#define READER_PW "reader secret"
#define N_MANY 2000

/* Bytes with NULs and high bytes: they must come back exactly. */
static const unsigned char smime_a[] = { 0, 1, 's', 'm', 'i', 'm', 'e', '-', 'a', 0, 0xff, 0x80 };
static const unsigned char smime_b[] = { 0x30, 0x82, 0, 0, 'b', 0 };

static char *tmp;                       /* everything of this run */
static struct tl_slapd srv;             /* the TLS server most tests share */
static struct tl_slapd many;            /* N_MANY entries, no TLS */
static struct tl_slapd victim;          /* stopped or frozen by its tests */
static unsigned char *certs[3];         /* DER certificates for userCertificate */
static size_t cert_len[3];

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* slapd checks userCertificate values (certificate syntax): real DER. */
static void make_certs(void)
{
        for (int i = 0; i < 3; i++) {
                char *p;

                ck_assert_int_ge(asprintf(&p, "%s/cert%d.der", tmp, i), 0);
                ck_assert_int_eq(tl_sh("openssl req -x509 -new -newkey ec -pkeyopt "
                                       "ec_paramgen_curve:P-256 -nodes -keyout /dev/null "
                                       "-subj '/CN=user %d' -days 30 -outform DER -out '%s' "
                                       "2>/dev/null", i, p), 0);
                ck_assert_int_eq(util_read_file(p, 65536, &certs[i], &cert_len[i]), 0);
                free(p);
        }
}

static void ldif_b64(FILE *f, const char *attr, const unsigned char *p, size_t n)
{
        char *b = tl_base64(p, n);

        fprintf(f, "%s:: %s\n", attr, b);
        free(b);
}

static void ldif_person(FILE *f, const char *uid, const char *mail)
{
        fprintf(f, "dn: uid=%s," PEOPLE "\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n",
                uid, uid, uid, uid);
        if (mail)
                fprintf(f, "mail: %s\n", mail);
}

static void write_main_ldif(const char *path)
{
        FILE *f = fopen(path, "w");
        unsigned char big[70000];

        ck_assert_ptr_nonnull(f);
        fprintf(f, "dn: " PEOPLE "\nobjectClass: organizationalUnit\nou: people\n\n");
        ldif_person(f, "alice", "alice@example.org");
        ldif_b64(f, "userCertificate;binary", certs[0], cert_len[0]);
        ldif_b64(f, "userCertificate;binary", certs[1], cert_len[1]);
        ldif_b64(f, "userSMIMECertificate", smime_a, sizeof(smime_a));
        ldif_b64(f, "userSMIMECertificate", smime_b, sizeof(smime_b));
        fprintf(f, "\n");
        for (int i = 1; i <= 2; i++) {
                char uid[32];

                snprintf(uid, sizeof(uid), "bob%d", i);
                ldif_person(f, uid, "bob@example.org");
                ldif_b64(f, "userCertificate;binary", certs[i], cert_len[i]);
                fprintf(f, "\n");
        }
        /* Decoys that an unescaped filter would find as well. */
        ldif_person(f, "star", "inj*@example.org");
        fprintf(f, "description: the real one\n\n");
        ldif_person(f, "injection", "injection@example.org");
        fprintf(f, "\n");
        ldif_person(f, "paren", "a(b)c\\@x.example");
        fprintf(f, "description: the real one\n\n");
        ldif_person(f, "paren-decoy", "a(b)c@x.example");
        fprintf(f, "mail: abc@x.example\n\n");
        for (int i = 0; i < 10; i++) {
                char uid[32];

                snprintf(uid, sizeof(uid), "crowd%d", i);
                ldif_person(f, uid, "crowd@example.org");
                fprintf(f, "\n");
        }
        /* One value over DIR_MAX_VALUE_SIZE, then more than DIR_MAX_VALUES. */
        ldif_person(f, "big", "big@example.org");
        memset(big, 'x', sizeof(big));
        ldif_b64(f, "userSMIMECertificate", big, sizeof(big));
        for (int i = 0; i < DIR_MAX_VALUES + 8; i++) {
                unsigned char v[8] = { 'v', (unsigned char)i };

                ldif_b64(f, "userSMIMECertificate", v, sizeof(v));
        }
        fprintf(f, "\n");
        ldif_person(f, "reader", NULL);
        fprintf(f, "userPassword: " READER_PW "\n\n");
        fprintf(f, "dn: ou=refs," SUFFIX "\nobjectClass: organizationalUnit\nou: refs\n\n");
        fprintf(f, "dn: ou=elsewhere,ou=refs," SUFFIX "\nobjectClass: referral\n"
                   "objectClass: extensibleObject\nou: elsewhere\n"
                   "ref: ldap://ldap.elsewhere.example/ou=elsewhere," SUFFIX "\n\n");
        ck_assert_int_eq(fclose(f), 0);
}

static void write_many_ldif(const char *path)
{
        FILE *f = fopen(path, "w");

        ck_assert_ptr_nonnull(f);
        fprintf(f, "dn: " PEOPLE "\nobjectClass: organizationalUnit\nou: people\n\n");
        for (int i = 0; i < N_MANY; i++) {
                char uid[32], mail[64];
                unsigned char v[16] = { 0 };

                snprintf(uid, sizeof(uid), "m%d", i);
                snprintf(mail, sizeof(mail), "user%d@many.example", i);
                snprintf((char *)v + 1, sizeof(v) - 1, "%d", i);
                ldif_person(f, uid, mail);
                ldif_b64(f, "userCertificate;binary", certs[i % 3], cert_len[i % 3]);
                ldif_b64(f, "userSMIMECertificate", v, sizeof(v));
                fprintf(f, "\n");
        }
        ck_assert_int_eq(fclose(f), 0);
}

static char *tls_file(const char *name)
{
        char *d = tl_path(tmp, "tls"), *p = tl_path(d, name);

        free(d);
        return p;
}

static void setup_servers(void)
{
        char *p, *d, *cert, *key;

        tmp = tl_mkdtemp();
        make_certs();
        d = tl_path(tmp, "tls");
        tl_ldap_certs(d);
        free(d);
        p = tl_path(tmp, "main.ldif");
        write_main_ldif(p);
        d = tl_path(tmp, "srv");
        cert = tls_file("server.pem");
        key = tls_file("server.key");
        tl_slapd_start(&srv, d, SUFFIX, p, cert, key);
        free(cert);
        free(key);
        free(d);
        free(p);
}

static void teardown_servers(void)
{
        tl_slapd_stop(&srv);
        for (int i = 0; i < 3; i++)
                free(certs[i]);
        tl_rm_rf(tmp);
        free(tmp);
        tmp = NULL;
}

static void setup_many(void)
{
        char *p, *d;

        tmp = tl_mkdtemp();
        make_certs();
        p = tl_path(tmp, "many.ldif");
        write_many_ldif(p);
        d = tl_path(tmp, "many");
        tl_slapd_start(&many, d, SUFFIX, p, NULL, NULL);
        free(d);
        free(p);
}

static void teardown_many(void)
{
        tl_slapd_stop(&many);
        for (int i = 0; i < 3; i++)
                free(certs[i]);
        tl_rm_rf(tmp);
        free(tmp);
        tmp = NULL;
}

/* Each test of this case starts its own server: they stop or freeze it. */
static void setup_victim(void)
{
        char *d;

        tmp = tl_mkdtemp();
        d = tl_path(tmp, "victim");
        tl_slapd_start(&victim, d, SUFFIX, NULL, NULL, NULL);
        free(d);
}

static void teardown_victim(void)
{
        tl_slapd_stop(&victim);
        tl_rm_rf(tmp);
        free(tmp);
        tmp = NULL;
}

/* A [directory] as config.c would make it; uris is NULL-terminated. */
static void dcfg(struct cfg_directory *c, char **uris)
{
        *c = (struct cfg_directory){ .configured = true, .uris = uris, .base = PEOPLE,
                                     .scope = CFG_SCOPE_SUB, .filter = "(mail=%s)",
                                     .timeout_usec = 5 * USEC_PER_SEC };
        while (uris[c->n_uris])
                c->n_uris++;
}

static char *password_file(const char *password)
{
        char *p = tl_write(tmp, "password", "%s\n", password);

        ck_assert_int_eq(chmod(p, 0600), 0);
        return p;
}

static struct dir *open_ok(const struct cfg_directory *c)
{
        struct dir *d = NULL;
        char *reason = NULL;
        int r = dir_open(c, &d, &reason);

        ck_assert_msg(r == 0, "dir_open: %d %s", r, reason ? reason : "(no reason)");
        ck_assert_ptr_null(reason);
        ck_assert_ptr_nonnull(d);
        return d;
}

/* dir_open must fail; returns the reason (caller frees). */
static char *open_fails(const struct cfg_directory *c, int *error)
{
        struct dir *d = NULL;
        char *reason = NULL;
        int r = dir_open(c, &d, &reason);

        ck_assert_msg(r < 0, "dir_open succeeded unexpectedly");
        ck_assert_ptr_null(d);
        ck_assert_ptr_nonnull(reason);
        if (error)
                *error = r;
        return reason;
}

static void lookup1(struct dir *d, const char *address, struct dir_answer *a)
{
        const char *addrs[] = { address };
        char *reason = NULL;
        int r;

        memset(a, 0, sizeof(*a));
        r = dir_lookup(d, addrs, 1, a, &reason);
        ck_assert_msg(r == 0, "dir_lookup: %d %s", r, reason ? reason : "");
        ck_assert_ptr_null(reason);
}

static const struct dir_value *find_value(const struct dir_entry *e, const char *attr,
                                          const void *data, size_t len)
{
        for (size_t i = 0; i < e->n_values; i++)
                if (strcmp(e->values[i].attribute, attr) == 0 && e->values[i].len == len &&
                    memcmp(e->values[i].data, data, len) == 0)
                        return &e->values[i];
        return NULL;
}

/* Opens the shared server anonymously over ldap://. */
static struct dir *open_plain(void)
{
        struct cfg_directory c;
        char *u[] = { srv.ldap_url, NULL };

        dcfg(&c, u);
        return open_ok(&c);
}

START_TEST(existing_and_missing)
{
        struct dir *d = open_plain();
        const struct dir_entry *e;
        struct dir_answer a;

        lookup1(d, "alice@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 1);
        ck_assert(!a.truncated);
        e = &a.entries[0];
        ck_assert_str_eq(e->dn, "uid=alice," PEOPLE);
        ck_assert_uint_eq(e->n_values, 4);
        ck_assert_uint_eq(e->n_dropped, 0);
        ck_assert_ptr_nonnull(find_value(e, "userCertificate;binary", certs[0], cert_len[0]));
        ck_assert_ptr_nonnull(find_value(e, "userCertificate;binary", certs[1], cert_len[1]));
        /* Exact bytes, NULs included. */
        ck_assert_ptr_nonnull(find_value(e, "userSMIMECertificate", smime_a, sizeof(smime_a)));
        ck_assert_ptr_nonnull(find_value(e, "userSMIMECertificate", smime_b, sizeof(smime_b)));
        dir_answer_free(&a);

        lookup1(d, "nobody@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 0);
        dir_answer_free(&a);
        dir_close(d);
}
END_TEST

START_TEST(several_entries)
{
        struct dir *d = open_plain();
        struct dir_answer a;
        bool seen[3] = { false };

        lookup1(d, "bob@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 2);
        for (size_t i = 0; i < 2; i++) {
                int k = strcmp(a.entries[i].dn, "uid=bob1," PEOPLE) == 0 ? 1 : 2;

                ck_assert_uint_eq(a.entries[i].n_values, 1);
                ck_assert_ptr_nonnull(find_value(&a.entries[i], "userCertificate;binary",
                                                 certs[k], cert_len[k]));
                seen[k] = true;
        }
        ck_assert(seen[1] && seen[2]);
        dir_answer_free(&a);
        dir_close(d);
}
END_TEST

START_TEST(filter_metacharacters)
{
        struct dir *d = open_plain();
        struct dir_answer a;

        /* Unescaped, "inj*" would be a substring filter matching "injection@". */
        lookup1(d, "inj*@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 1);
        ck_assert_str_eq(a.entries[0].dn, "uid=star," PEOPLE);
        dir_answer_free(&a);
        lookup1(d, "a(b)c\\@x.example", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 1);
        ck_assert_str_eq(a.entries[0].dn, "uid=paren," PEOPLE);
        dir_answer_free(&a);
        lookup1(d, "*@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 0);
        dir_answer_free(&a);
        lookup1(d, "*)(mail=*", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 0);
        dir_answer_free(&a);
        dir_close(d);
}
END_TEST

START_TEST(limits)
{
        struct dir *d = open_plain();
        struct dir_answer a;

        lookup1(d, "crowd@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, DIR_MAX_ENTRIES);
        ck_assert(a.truncated);
        dir_answer_free(&a);
        lookup1(d, "big@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 1);
        ck_assert_uint_eq(a.entries[0].n_values, DIR_MAX_VALUES);
        ck_assert_uint_eq(a.entries[0].n_dropped, 1 + 8);
        for (size_t i = 0; i < a.entries[0].n_values; i++)
                ck_assert_uint_eq(a.entries[0].values[i].len, 8);
        dir_answer_free(&a);
        dir_close(d);
}
END_TEST

START_TEST(missing_base_and_referrals)
{
        struct cfg_directory c;
        char *u[] = { srv.ldap_url, NULL };
        struct dir *d;
        struct dir_answer a;

        dcfg(&c, u);
        c.base = "ou=nowhere," SUFFIX;
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_int_eq(a.error, -ENOENT);
        ck_assert_ptr_nonnull(strstr(a.reason, "does not exist"));
        ck_assert_uint_eq(a.n_entries, 0);
        dir_answer_free(&a);
        dir_close(d);

        /* The base itself is a referral object: a referral result. */
        c.base = "ou=elsewhere,ou=refs," SUFFIX;
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_int_eq(a.error, -EREMOTE);
        ck_assert_msg(strstr(a.reason, "ldap.elsewhere.example") &&
                      strstr(a.reason, "not followed"), "%s", a.reason);
        dir_answer_free(&a);
        dir_close(d);

        /* Below the base a continuation reference, and no entry here. */
        c.base = "ou=refs," SUFFIX;
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_int_eq(a.error, -EREMOTE);
        ck_assert_msg(strstr(a.reason, "ldap.elsewhere.example") &&
                      strstr(a.reason, "not followed"), "%s", a.reason);
        dir_answer_free(&a);
        dir_close(d);

        /* The same with entries found: they count, the reference is ignored. */
        c.base = SUFFIX;
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 1);
        dir_answer_free(&a);
        dir_close(d);
}
END_TEST

START_TEST(scopes)
{
        struct cfg_directory c;
        char *u[] = { srv.ldap_url, NULL };
        struct dir *d;
        struct dir_answer a;

        dcfg(&c, u);
        c.base = SUFFIX;
        c.scope = CFG_SCOPE_ONE;
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_uint_eq(a.n_entries, 0);
        dir_answer_free(&a);
        dir_close(d);
        c.base = "uid=alice," PEOPLE;
        c.scope = CFG_SCOPE_BASE;
        c.filter = "(&(objectClass=inetOrgPerson)(mail=%s))";
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_uint_eq(a.n_entries, 1);
        dir_answer_free(&a);
        dir_close(d);
}
END_TEST

/* ldapi:// is local: anonymous, and a password may go over it. */
START_TEST(ldapi)
{
        struct cfg_directory c;
        char *u[] = { srv.ldapi_url, NULL };
        struct dir *d;
        struct dir_answer a;
        char *reason;

        dcfg(&c, u);
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_uint_eq(a.n_entries, 1);
        dir_answer_free(&a);
        dir_close(d);
        c.bind_dn = READER;
        c.password_file = password_file(READER_PW);
        d = open_ok(&c);
        dir_close(d);
        free(c.password_file);
        c.bind_dn = NULL;
        c.password_file = NULL;
        u[0] = "ldapi://%2Fnonexistent%2Fldapi";
        reason = open_fails(&c, NULL);
        ck_assert_msg(strstr(reason, "cannot connect"), "%s", reason);
        free(reason);
}
END_TEST

START_TEST(ldaps_right_ca_with_password)
{
        struct cfg_directory c;
        char *u[] = { srv.ldaps_url, NULL };
        struct dir *d;
        struct dir_answer a;

        dcfg(&c, u);
        c.tls_ca_file = tls_file("ca.pem");
        c.bind_dn = READER;
        c.password_file = password_file(READER_PW);
        d = open_ok(&c);
        lookup1(d, "alice@example.org", &a);
        ck_assert_uint_eq(a.n_entries, 1);
        dir_answer_free(&a);
        dir_close(d);
        free(c.tls_ca_file);
        free(c.password_file);
}
END_TEST

START_TEST(wrong_password)
{
        struct cfg_directory c;
        char *u[] = { srv.ldaps_url, NULL };
        char *reason;
        int r;

        dcfg(&c, u);
        c.tls_ca_file = tls_file("ca.pem");
        c.bind_dn = READER;
        c.password_file = password_file("not the password");
        reason = open_fails(&c, &r);
        ck_assert_int_eq(r, -EACCES);
        ck_assert_msg(strstr(reason, srv.ldaps_url) && strstr(reason, "bind as '" READER "'") &&
                      strstr(reason, "Invalid credentials"), "%s", reason);
        ck_assert_msg(!strstr(reason, "not the password"), "%s", reason);
        free(reason);
        free(c.tls_ca_file);
        free(c.password_file);
}
END_TEST

/* dir_open() judges a URI by the rule --check-config uses
 * (dir_check_settings): refused before anything is sent. */
START_TEST(uri_rule_shared)
{
        char *u[] = { "ldap://127.0.0.1:1/o=X", "<ldap://127.0.0.1:1>", NULL };
        struct cfg_directory c;
        char *reason;
        int r;

        dcfg(&c, u);
        reason = open_fails(&c, &r);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_msg(strstr(reason, "ldap://127.0.0.1:1/o=X: no DN, attributes, filter or "
                             "extensions here: use base and filter") &&
                      strstr(reason, "<ldap://127.0.0.1:1>: the scheme must be ldap://, ldaps:// "
                             "or ldapi://"), "%s", reason);
        free(reason);
}
END_TEST

START_TEST(password_needs_encryption)
{
        struct cfg_directory c;
        char *u[] = { srv.ldap_url, NULL };
        struct dir *d;
        char *reason;
        int r;

        dcfg(&c, u);
        c.tls_ca_file = tls_file("ca.pem");
        c.bind_dn = READER;
        c.password_file = password_file(READER_PW);
        reason = open_fails(&c, &r);
        ck_assert_int_eq(r, -EPERM);
        ck_assert_msg(strstr(reason, "unencrypted"), "%s", reason);
        free(reason);
        c.starttls = true;
        d = open_ok(&c);
        dir_close(d);
        /* A password file others can read is refused. */
        ck_assert_int_eq(chmod(c.password_file, 0644), 0);
        reason = open_fails(&c, &r);
        ck_assert_msg(strstr(reason, "readable by others"), "%s", reason);
        free(reason);
        free(c.tls_ca_file);
        free(c.password_file);
}
END_TEST

START_TEST(ldaps_wrong_ca)
{
        struct cfg_directory c;
        char *u[] = { srv.ldaps_url, NULL };
        char *reason;

        /* The environment cannot switch verification off (libldap reads it
         * when first used, and this test process has not used it yet). */
        setenv("LDAPTLS_REQCERT", "never", 1);
        dcfg(&c, u);
        c.tls_ca_file = tls_file("wrong-ca.pem");
        reason = open_fails(&c, NULL);
        fprintf(stderr, "ldaps, wrong CA: %s\n", reason);
        ck_assert_msg(strstr(reason, srv.ldaps_url) && strstr(reason, "TLS"), "%s", reason);
        free(reason);
        free(c.tls_ca_file);
        /* Without tls_ca_file the system's CAs apply, which do not know ours. */
        c.tls_ca_file = NULL;
        reason = open_fails(&c, NULL);
        ck_assert_msg(strstr(reason, "TLS handshake failed"), "%s", reason);
        free(reason);
        unsetenv("LDAPTLS_REQCERT");
}
END_TEST

/* The right CA, but a certificate for another name: refused. */
START_TEST(ldaps_wrong_host)
{
        struct tl_slapd other;
        struct cfg_directory c;
        char *u[2] = { NULL, NULL };
        char *d = tl_path(tmp, "other"), *cert = tls_file("wrong-host.pem");
        char *key = tls_file("wrong-host.key"), *reason;

        tl_slapd_start(&other, d, SUFFIX, NULL, cert, key);
        u[0] = other.ldaps_url;
        dcfg(&c, u);
        c.base = SUFFIX;
        c.tls_ca_file = tls_file("ca.pem");
        reason = open_fails(&c, NULL);
        fprintf(stderr, "ldaps, wrong host: %s\n", reason);
        ck_assert_msg(strstr(reason, other.ldaps_url) && strstr(reason, "TLS") &&
                      strstr(reason, "certificate was rejected"), "%s", reason);
        free(reason);
        tl_slapd_stop(&other);
        free(c.tls_ca_file);
        free(cert);
        free(key);
        free(d);
}
END_TEST

START_TEST(unreadable_ca_file)
{
        struct cfg_directory c;
        char *u[] = { srv.ldaps_url, NULL };
        char *reason;

        dcfg(&c, u);
        c.tls_ca_file = "/nonexistent/ca.pem";
        reason = open_fails(&c, NULL);
        fprintf(stderr, "missing CA file: %s\n", reason);
        ck_assert_msg(strstr(reason, "/nonexistent/ca.pem"), "%s", reason);
        free(reason);
}
END_TEST

START_TEST(starttls_right_and_wrong_ca)
{
        struct cfg_directory c;
        char *u[] = { srv.ldap_url, NULL };
        struct dir *d;
        struct dir_answer a;
        char *reason;

        dcfg(&c, u);
        c.starttls = true;
        c.tls_ca_file = tls_file("ca.pem");
        d = open_ok(&c);
        lookup1(d, "bob@example.org", &a);
        ck_assert_uint_eq(a.n_entries, 2);
        dir_answer_free(&a);
        dir_close(d);
        free(c.tls_ca_file);
        c.tls_ca_file = tls_file("wrong-ca.pem");
        reason = open_fails(&c, NULL);
        fprintf(stderr, "StartTLS, wrong CA: %s\n", reason);
        ck_assert_msg(strstr(reason, "StartTLS failed"), "%s", reason);
        free(reason);
        free(c.tls_ca_file);
}
END_TEST

/* ldaps:// to a port that speaks plain LDAP. */
START_TEST(ldaps_to_plain_port)
{
        struct cfg_directory c;
        char uri[80];
        char *u[] = { uri, NULL };
        char *reason;
        double t0 = now_s();

        snprintf(uri, sizeof(uri), "ldaps://%s", srv.ldap_url + strlen("ldap://"));
        dcfg(&c, u);
        c.tls_ca_file = tls_file("ca.pem");
        reason = open_fails(&c, NULL);
        fprintf(stderr, "ldaps to plain: %s\n", reason);
        ck_assert_msg(now_s() - t0 < 2, "took %.1f s", now_s() - t0);
        ck_assert_msg(strstr(reason, "TLS handshake failed"), "%s", reason);
        free(reason);
        free(c.tls_ca_file);
}
END_TEST

START_TEST(first_dead_second_alive)
{
        struct cfg_directory c;
        char dead[64];
        char *u[] = { dead, srv.ldap_url, NULL };
        struct dir_answer a;
        struct dir *d;

        snprintf(dead, sizeof(dead), "ldap://127.0.0.1:%d", tl_dead_port());
        dcfg(&c, u);
        d = open_ok(&c);
        /* connected to the live one: its entries are found */
        lookup1(d, "alice@example.org", &a);
        ck_assert_int_eq(a.error, 0);
        ck_assert_uint_eq(a.n_entries, 1);
        dir_answer_free(&a);
        dir_close(d);
}
END_TEST

START_TEST(all_dead)
{
        struct cfg_directory c;
        char dead1[64], dead2[64], bad[] = "http://127.0.0.1/";
        char *u[] = { dead1, dead2, bad, NULL };
        char *reason;
        double t0 = now_s();

        snprintf(dead1, sizeof(dead1), "ldap://127.0.0.1:%d", tl_dead_port());
        snprintf(dead2, sizeof(dead2), "ldaps://127.0.0.1:%d", tl_dead_port());
        dcfg(&c, u);
        reason = open_fails(&c, NULL);
        ck_assert_msg(now_s() - t0 < 2, "took %.1f s", now_s() - t0);
        ck_assert_msg(strstr(reason, dead1) && strstr(reason, dead2) && strstr(reason, bad) &&
                      strstr(reason, "cannot connect") && strstr(reason, "; "), "%s", reason);
        fprintf(stderr, "all dead: %s\n", reason);
        free(reason);
}
END_TEST

static int count_fds(void)
{
        DIR *dir = opendir("/proc/self/fd");
        int n = 0;

        ck_assert_ptr_nonnull(dir);
        while (readdir(dir))
                n++;
        closedir(dir);
        return n;
}

/* The service opens and closes every cycle: nothing may pile up. */
START_TEST(no_descriptor_leak)
{
        struct cfg_directory c;
        char dead[64];
        char *u[] = { dead, srv.ldaps_url, NULL };
        int before;

        snprintf(dead, sizeof(dead), "ldap://127.0.0.1:%d", tl_dead_port());
        dcfg(&c, u);
        before = count_fds();
        for (int i = 0; i < 20; i++) {
                struct dir *d = NULL;
                struct dir_answer a;
                char *reason = NULL;

                c.tls_ca_file = tls_file(i % 2 ? "ca.pem" : "wrong-ca.pem");
                if (dir_open(&c, &d, &reason) == 0) {
                        lookup1(d, "alice@example.org", &a);
                        ck_assert_uint_eq(a.n_entries, 1);
                        dir_answer_free(&a);
                }
                ck_assert((i % 2 == 1) == (d != NULL));
                dir_close(d);
                free(reason);
                free(c.tls_ca_file);
        }
        ck_assert_int_eq(count_fds(), before);
}
END_TEST

/* A server that takes the TCP connection and then says nothing. */
static void hung(const char *scheme, bool starttls, const char *expect)
{
        struct cfg_directory c;
        char uri[64];
        char *u[] = { uri, NULL };
        char *reason;
        int port, fd = tl_hung_listener(&port);
        double t0, elapsed;

        snprintf(uri, sizeof(uri), "%s://127.0.0.1:%d", scheme, port);
        dcfg(&c, u);
        c.timeout_usec = 2 * USEC_PER_SEC;
        c.starttls = starttls;
        c.tls_ca_file = tls_file("ca.pem");
        t0 = now_s();
        reason = open_fails(&c, NULL);
        elapsed = now_s() - t0;
        fprintf(stderr, "hung %s%s: %.2f s: %s\n", scheme, starttls ? "+starttls" : "", elapsed,
                reason);
        ck_assert_msg(elapsed < 2 + 2, "took %.1f s", elapsed);
        ck_assert_msg(elapsed > 1.5, "took only %.1f s", elapsed);
        ck_assert_msg(strstr(reason, uri) && strstr(reason, expect), "%s", reason);
        free(reason);
        free(c.tls_ca_file);
        close(fd);
}

START_TEST(hung_ldap) { hung("ldap", false, "bind"); }
END_TEST
START_TEST(hung_ldaps) { hung("ldaps", false, "TLS"); }
END_TEST
START_TEST(hung_starttls) { hung("ldap", true, "StartTLS"); }
END_TEST

START_TEST(pipelined_many)
{
        struct cfg_directory c;
        char *u[] = { many.ldap_url, NULL };
        const char **addrs = calloc(N_MANY + 1, sizeof(*addrs));
        struct dir_answer *answers = calloc(N_MANY + 1, sizeof(*answers));
        char *reason = NULL;
        struct dir *d;
        double t0;
        int r;

        ck_assert(addrs && answers);
        /* Reverse order, and one that does not exist at the end. */
        for (int i = 0; i < N_MANY; i++)
                ck_assert_int_ge(asprintf((char **)&addrs[i], "user%d@many.example",
                                          N_MANY - 1 - i), 0);
        addrs[N_MANY] = "nobody@many.example";
        dcfg(&c, u);
        d = open_ok(&c);
        t0 = now_s();
        r = dir_lookup(d, addrs, N_MANY + 1, answers, &reason);
        fprintf(stderr, "%d pipelined lookups: %.3f s\n", N_MANY + 1, now_s() - t0);
        ck_assert_msg(r == 0, "%d %s", r, reason ? reason : "");
        for (int i = 0; i < N_MANY; i++) {
                int k = N_MANY - 1 - i;
                char dn[64];
                unsigned char v[16] = { 0 };

                snprintf(dn, sizeof(dn), "uid=m%d," PEOPLE, k);
                snprintf((char *)v + 1, sizeof(v) - 1, "%d", k);
                ck_assert_int_eq(answers[i].error, 0);
                ck_assert_uint_eq(answers[i].n_entries, 1);
                ck_assert_str_eq(answers[i].entries[0].dn, dn);
                ck_assert_uint_eq(answers[i].entries[0].n_values, 2);
                ck_assert_ptr_nonnull(find_value(&answers[i].entries[0], "userSMIMECertificate",
                                                 v, sizeof(v)));
                ck_assert_ptr_nonnull(find_value(&answers[i].entries[0],
                                                 "userCertificate;binary", certs[k % 3],
                                                 cert_len[k % 3]));
        }
        ck_assert_int_eq(answers[N_MANY].error, 0);
        ck_assert_uint_eq(answers[N_MANY].n_entries, 0);
        /* The connection serves a second round too. */
        for (int i = 0; i <= N_MANY; i++)
                dir_answer_free(&answers[i]);
        r = dir_lookup(d, addrs, 10, answers, &reason);
        ck_assert_int_eq(r, 0);
        ck_assert_uint_eq(answers[9].n_entries, 1);
        for (int i = 0; i <= N_MANY; i++)
                dir_answer_free(&answers[i]);
        dir_close(d);
        for (int i = 0; i < N_MANY; i++)
                free((char *)addrs[i]);
        free(addrs);
        free(answers);
}
END_TEST

START_TEST(stopped_server)
{
        struct cfg_directory c;
        char *url = strdup(victim.ldap_url);
        char *u[] = { url, NULL };      /* the configuration outlives the server */
        const char *addrs[] = { "a@example.org", "b@example.org" };
        struct dir_answer answers[2] = { { 0 } };
        char *reason = NULL;
        struct dir *d;
        double t0;
        int r;

        dcfg(&c, u);
        d = open_ok(&c);
        tl_slapd_stop(&victim);
        t0 = now_s();
        r = dir_lookup(d, addrs, 2, answers, &reason);
        ck_assert_msg(now_s() - t0 < 2, "took %.1f s", now_s() - t0);
        ck_assert_int_lt(r, 0);
        ck_assert_msg(reason && strstr(reason, url), "%s", reason ? reason : "(none)");
        fprintf(stderr, "stopped mid-way: %s\n", reason);
        free(reason);
        reason = NULL;
        /* The handle stays refused: no silent reconnect. */
        ck_assert_int_lt(dir_lookup(d, addrs, 2, answers, &reason), 0);
        free(reason);
        dir_answer_free(&answers[0]);
        dir_answer_free(&answers[1]);
        dir_close(d);

        /* And opening it now fails at once. */
        t0 = now_s();
        reason = open_fails(&c, NULL);
        ck_assert_msg(now_s() - t0 < 2, "took %.1f s", now_s() - t0);
        ck_assert_msg(strstr(reason, url) && strstr(reason, "cannot connect"), "%s", reason);
        free(reason);
        free(url);
}
END_TEST

/* A server without TLS refuses StartTLS: that is a failure, not plain text. */
START_TEST(starttls_unsupported)
{
        struct cfg_directory c;
        char *u[] = { victim.ldap_url, NULL };
        char *reason;

        dcfg(&c, u);
        c.starttls = true;
        reason = open_fails(&c, NULL);
        fprintf(stderr, "StartTLS unsupported: %s\n", reason);
        ck_assert_msg(strstr(reason, "StartTLS failed"), "%s", reason);
        free(reason);
}
END_TEST

START_TEST(frozen_server)
{
        struct cfg_directory c;
        char *u[] = { victim.ldap_url, NULL };
        const char *addrs[] = { "a@example.org", "b@example.org", "c@example.org" };
        struct dir_answer answers[3] = { { 0 } };
        char *reason = NULL;
        struct dir *d;
        double t0, elapsed;
        int r;

        dcfg(&c, u);
        c.timeout_usec = 2 * USEC_PER_SEC;
        d = open_ok(&c);
        tl_slapd_freeze(&victim, true);
        t0 = now_s();
        r = dir_lookup(d, addrs, 3, answers, &reason);
        elapsed = now_s() - t0;
        tl_slapd_freeze(&victim, false);
        fprintf(stderr, "frozen: %.2f s: %s\n", elapsed, reason ? reason : "(none)");
        ck_assert_int_eq(r, -ETIMEDOUT);
        /* The searches' timeout, then that of the bind on a new connection. */
        ck_assert_msg(elapsed < 2 * 2 + 1.5 && elapsed > 3.5, "took %.1f s", elapsed);
        ck_assert_msg(reason && strstr(reason, victim.ldap_url), "%s", reason ? reason : "");
        free(reason);
        for (int i = 0; i < 3; i++)
                dir_answer_free(&answers[i]);
        dir_close(d);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("directory");
        TCase *tc = tcase_create("shared server");
        TCase *tm = tcase_create("many entries");
        TCase *tv = tcase_create("server goes away");

        tcase_add_unchecked_fixture(tc, setup_servers, teardown_servers);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, existing_and_missing);
        tcase_add_test(tc, uri_rule_shared);
        tcase_add_test(tc, several_entries);
        tcase_add_test(tc, filter_metacharacters);
        tcase_add_test(tc, limits);
        tcase_add_test(tc, missing_base_and_referrals);
        tcase_add_test(tc, scopes);
        tcase_add_test(tc, ldapi);
        tcase_add_test(tc, ldaps_right_ca_with_password);
        tcase_add_test(tc, wrong_password);
        tcase_add_test(tc, password_needs_encryption);
        tcase_add_test(tc, ldaps_wrong_ca);
        tcase_add_test(tc, ldaps_wrong_host);
        tcase_add_test(tc, unreadable_ca_file);
        tcase_add_test(tc, starttls_right_and_wrong_ca);
        tcase_add_test(tc, ldaps_to_plain_port);
        tcase_add_test(tc, first_dead_second_alive);
        tcase_add_test(tc, all_dead);
        tcase_add_test(tc, no_descriptor_leak);
        tcase_add_test(tc, hung_ldap);
        tcase_add_test(tc, hung_ldaps);
        tcase_add_test(tc, hung_starttls);
        suite_add_tcase(s, tc);

        tcase_add_unchecked_fixture(tm, setup_many, teardown_many);
        tcase_set_timeout(tm, 60);
        tcase_add_test(tm, pipelined_many);
        suite_add_tcase(s, tm);

        tcase_add_checked_fixture(tv, setup_victim, teardown_victim);
        tcase_set_timeout(tv, 30);
        tcase_add_test(tv, stopped_server);
        tcase_add_test(tv, frozen_server);
        tcase_add_test(tv, starttls_unsupported);
        suite_add_tcase(s, tv);

        return tl_run_suite(s);
}
