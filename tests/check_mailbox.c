/* SPDX-License-Identifier: EUPL-1.2 */
/* mbx_evaluate: the mailbox verdicts of smimewatch(8), from directory
 * answers built here with real certificates that tests/mkpki makes. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cycle.h"
#include "directory.h"
#include "load.h"
#include "mailbox.h"
#include "pki.h"
#include "testlib.h"
#include "util.h"

#define ADDR "poststelle@lra.example"
#define UC "userCertificate;binary"

static char *tmp, *pkidir;
static struct cfg *cfg, *cfg_enc_only;
static struct pki *pki;
static time_t now;

static struct cfg *load_cfg(const char *name, const char *extra)
{
        char *path, *errors = NULL;
        struct cfg *c = NULL;

        path = tl_write(tmp, name,
                        "[pki]\ntrust_anchors = pki/anchors.pem\nintermediates = pki/intermediates.pem\n"
                        "crls = pki/crls\n[directory]\nuri = ldap://127.0.0.1:1\nbase = o=Test,c=DE\n"
                        "%s\n[mailbox " ADDR "]\nwarn_days = 40\ncritical_days = 5\n"
                        "[mailbox local@lra.example]\ncertificates = pki/local-sig.pem\n"
                        "[mailbox broken@lra.example]\ncertificates = broken.pem\n"
                        "[mailbox vanish@lra.example]\ncertificates = vanish.pem\n",
                        extra);
        ck_assert_msg(load_settings(path, CFG_NEED_DIRECTORY, &c, &errors) == 0, "%s", errors);
        free(errors);
        free(path);
        return c;
}

static void setup_all(void)
{
        char *errors = NULL;
        int r;

        tmp = tl_mkdtemp();
        pkidir = tl_path(tmp, "pki");
        r = tl_sh("set -e; M='%s/tests/mkpki'; D='%s'; A=" ADDR "\n"
                  "$M init $D\n"
                  "$M issue $D enc --email $A --usage enc --to 900\n"
                  "$M issue $D sig --email $A --usage sig --to 700\n"
                  "$M issue $D both --email $A --to 800\n"
                  "$M issue $D soon --email $A --to 20\n"
                  "$M issue $D verysoon --email $A --to 3\n"
                  "$M issue $D old --email $A --from -900 --to -2\n"
                  "$M issue $D revoked --email $A; $M revoke $D revoked\n"
                  "$M issue $D untrusted --email $A --ca other\n"
                  "$M issue $D server --email $A --eku server\n"
                  "$M issue $D dnonly --email $A --subject-email-only\n"
                  "$M issue $D weak --email $A --key rsa2048\n"
                  "$M issue $D nocrl --email $A --ca nocrl\n"
                  "$M issue $D local-sig --email local@lra.example --usage sig\n"
                  "$M issue $D local-enc --email local@lra.example --usage enc\n"
                  "cat $D/enc.pem $D/sig.pem > $D/encsig.pem\n"
                  "openssl crl2pkcs7 -nocrl -certfile $D/encsig.pem -outform DER -out $D/encsig.p7b\n"
                  ">/dev/null",
                  tl_srcdir(), pkidir);
        ck_assert_int_eq(r, 0);
        free(tl_write(tmp, "broken.pem", "-----BEGIN CERTIFICATE-----\ngarbage\n"));
        free(tl_write(tmp, "vanish.pem", "removed after the configuration is loaded\n"));
        cfg = load_cfg("c.conf", "");
        cfg_enc_only = load_cfg("e.conf", "[policy]\nrequire = encryption");
        ck_assert_msg(pki_load(&cfg->pki, &pki, &errors) == 0, "%s", errors);
        ck_assert_int_eq(tl_sh("rm '%s/vanish.pem'", tmp), 0);
        now = time(NULL);
}

static void teardown_all(void)
{
        pki_free(pki);
        cfg_free(cfg);
        cfg_free(cfg_enc_only);
        tl_rm_rf(tmp);
        free(pkidir);
        free(tmp);
}

/* An answer with one entry per DN; each value "NAME" is read from
 * pki/NAME.der, "NAME.p7b" from that file, "!text" is the text itself. */
struct spec {
        const char *dn;
        const char *values[4];
};

static void value_of(struct dir_value *v, const char *what)
{
        char *path, *name;
        size_t len;

        if (what[0] == '!') {
                v->attribute = strdup(UC);
                v->data = (unsigned char *)strdup(what + 1);
                v->len = strlen(what + 1);
                return;
        }
        v->attribute = strdup(strstr(what, ".p7b") ? "userSMIMECertificate" : UC);
        ck_assert_int_ge(asprintf(&name, strstr(what, ".") ? "%s" : "%s.der", what), 0);
        path = tl_path(pkidir, name);
        ck_assert_int_eq(util_read_file(path, UTIL_MAX_FILE_SIZE, &v->data, &len), 0);
        v->len = len;
        free(path);
        free(name);
}

static void make_answer(struct dir_answer *a, const struct spec *specs, size_t n)
{
        memset(a, 0, sizeof(*a));
        a->entries = calloc(n ? n : 1, sizeof(*a->entries));
        a->n_entries = n;
        for (size_t i = 0; i < n; i++) {
                struct dir_entry *e = &a->entries[i];
                size_t k = 0;

                e->dn = strdup(specs[i].dn);
                while (k < 4 && specs[i].values[k])
                        k++;
                e->values = calloc(k ? k : 1, sizeof(*e->values));
                e->n_values = k;
                for (size_t j = 0; j < k; j++)
                        value_of(&e->values[j], specs[i].values[j]);
        }
}

/* Gathers as cycle_run() does (the local file read here), then evaluates. */
static void evaluate(const struct cfg *c, const struct cfg_mailbox *mb, const struct dir_answer *a,
                     const char *dir_reason, struct mailbox_result *r)
{
        struct cycle_file file = { 0 };
        struct mbx_input in;
        struct eval_ctx ctx;

        if (mb->certificates)
                ck_assert_int_eq(cycle_read_file(mb->certificates, &file), 0);
        ck_assert_int_eq(cycle_input(mb, c->require_usages, a, dir_reason,
                                     mb->certificates ? &file : NULL, &in), 0);
        eval_ctx_init(&ctx, pki, now);
        ck_assert_int_eq(mbx_evaluate(&ctx, &in, r), 0);
        cycle_input_free(&in);
        cycle_file_free(&file);
}

static void check_one(const struct cfg *c, const char *address, const struct spec *specs, size_t n,
                      struct mailbox_result *r)
{
        const struct cfg_mailbox *mb = cfg_find_mailbox(c, address);
        struct cfg_mailbox adhoc = { .address = (char *)address, .warn_days = 30, .critical_days = 7 };
        struct dir_answer a;

        make_answer(&a, specs, n);
        evaluate(c, mb ? mb : &adhoc, &a, NULL, r);
        dir_answer_free(&a);
}

static const struct problem *find(const struct mailbox_result *r, enum problem_code code,
                                  unsigned usage)
{
        for (size_t i = 0; i < r->problems.n; i++)
                if (r->problems.items[i].code == code && r->problems.items[i].usage == usage)
                        return &r->problems.items[i];
        return NULL;
}

static void assert_only(const struct mailbox_result *r, size_t n)
{
        ck_assert_msg(r->problems.n == n, "expected %zu problems, got %zu (first: %s %s)", n,
                      r->problems.n, r->problems.n ? problem_code_name(r->problems.items[0].code) : "-",
                      r->problems.n ? r->problems.items[0].message : "");
}

#define SPEC1(dn, ...) ((const struct spec[]){ { dn, { __VA_ARGS__ } } })

START_TEST(ready)
{
        struct mailbox_result r;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "enc", "sig"), 1, &r);
        assert_only(&r, 0);
        ck_assert_int_eq(r.status, SW_OK);
        ck_assert_int_eq(r.n_certs, 2);
        ck_assert_int_eq(r.best_encryption, 0);
        ck_assert_int_eq(r.best_signature, 1);
        ck_assert_str_eq(r.entries[0], "cn=Post,o=Test,c=DE");
        ck_assert_str_eq(r.certs[0].attribute, UC);
        ck_assert_int_eq(r.certs[0].source, CERT_SOURCE_DIRECTORY);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(expiring_uses_mailbox_thresholds)
{
        struct mailbox_result r;
        const struct problem *p;

        /* warn_days 40 for ADDR: 20 days left is a warning there ... */
        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "soon"), 1, &r);
        ck_assert_int_eq(r.status, SW_WARNING);
        p = find(&r, PROBLEM_CERT_EXPIRING, USAGE_ENCRYPTION);
        ck_assert_ptr_nonnull(p);
        ck_assert(p->has_days_left);
        ck_assert_int_ge(p->days_left, 19);
        ck_assert_int_le(p->days_left, 20);
        ck_assert_int_eq(p->cert, 0);
        ck_assert_ptr_nonnull(strstr(p->message, "encryption certificate expires in"));
        ck_assert_ptr_nonnull(find(&r, PROBLEM_CERT_EXPIRING, USAGE_SIGNATURE));
        mailbox_result_free(&r);
        /* ... and with the global 30/7 too; 3 days is critical everywhere. */
        check_one(cfg, "other@lra.example", SPEC1("cn=O,o=Test,c=DE", "verysoon"), 1, &r);
        ck_assert(find(&r, PROBLEM_CERT_ADDRESS_MISMATCH, 0) == NULL);
        mailbox_result_free(&r);
        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "verysoon"), 1, &r);
        ck_assert_int_eq(r.status, SW_CRITICAL);
        ck_assert_int_eq(find(&r, PROBLEM_CERT_EXPIRING, USAGE_ENCRYPTION)->level, SW_CRITICAL);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(best_is_the_longest_valid)
{
        struct mailbox_result r;

        /* An expiring certificate beside a fresh one is no warning. */
        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "soon", "both"), 1, &r);
        assert_only(&r, 0);
        ck_assert_int_eq(r.best_encryption, 1);
        ck_assert_int_eq(r.best_signature, 1);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(stale_published)
{
        struct mailbox_result r;
        const struct problem *p;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "old", "both"), 1, &r);
        assert_only(&r, 1);
        p = find(&r, PROBLEM_STALE_CERT_PUBLISHED, 0);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->level, SW_WARNING);
        ck_assert_int_eq(p->cert, 0);
        ck_assert_ptr_nonnull(strstr(p->message, "expired"));
        ck_assert_int_eq(r.status, SW_WARNING);
        /* Its own problems stay on the certificate. */
        ck_assert(problem_list_has(&r.certs[0].problems, PROBLEM_CERT_EXPIRED));
        mailbox_result_free(&r);
}
END_TEST

START_TEST(missing_with_reasons)
{
        struct mailbox_result r;
        const struct problem *p;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "revoked", "untrusted"), 1, &r);
        ck_assert_int_eq(r.status, SW_CRITICAL);
        p = find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->level, SW_CRITICAL);
        ck_assert_msg(strstr(p->message, "revoked"), "%s", p->message);
        ck_assert_msg(strstr(p->message, "(serial"), "%s", p->message);
        ck_assert_ptr_nonnull(find(&r, PROBLEM_SIGNATURE_CERT_MISSING, USAGE_SIGNATURE));
        /* Nothing usable: no certificate is "stale beside a usable one". */
        ck_assert(!problem_list_has(&r.problems, PROBLEM_STALE_CERT_PUBLISHED));
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "server"), 1, &r);
        p = find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION);
        ck_assert_msg(strstr(p->message, "permits"), "%s", p->message);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", NULL), 1, &r);
        p = find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION);
        ck_assert_msg(strstr(p->message, "no certificate"), "%s", p->message);
        mailbox_result_free(&r);
}
END_TEST

/* Each problem says what it is about, so that the reports only render. */
START_TEST(problem_scopes)
{
        struct mailbox_result r;
        const struct problem *p;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "revoked", "untrusted"), 1, &r);
        p = find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION);
        ck_assert_int_eq(p->scope, PROBLEM_SCOPE_USAGE);
        ck_assert_int_eq(p->cause, PROBLEM_CERT_REVOKED);
        ck_assert_int_eq(p->cert, -1);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "untrusted"), 1, &r);
        ck_assert_int_eq(find(&r, PROBLEM_SIGNATURE_CERT_MISSING, USAGE_SIGNATURE)->cause,
                         PROBLEM_CERT_UNTRUSTED);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", NULL), 1, &r);
        ck_assert_int_eq(find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION)->cause, -1);
        mailbox_result_free(&r);

        /* One certificate for both usages: its warning is about both, not about none. */
        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "dnonly"), 1, &r);
        p = find(&r, PROBLEM_CERT_SUBJECT_EMAIL_ONLY, 0);
        ck_assert_int_eq(p->scope, PROBLEM_SCOPE_BOTH_USAGES);
        ck_assert(problem_concerns_usage(p, USAGE_ENCRYPTION));
        ck_assert(problem_concerns_usage(p, USAGE_SIGNATURE));
        ck_assert_int_eq(p->cert, 0);
        ck_assert_int_eq(r.certs[0].problems.items[0].scope, PROBLEM_SCOPE_CERT);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "soon", "old"), 1, &r);
        p = find(&r, PROBLEM_CERT_EXPIRING, USAGE_SIGNATURE);
        ck_assert_int_eq(p->scope, PROBLEM_SCOPE_USAGE);
        ck_assert(!problem_concerns_usage(p, USAGE_ENCRYPTION));
        ck_assert_int_eq(find(&r, PROBLEM_STALE_CERT_PUBLISHED, 0)->scope, PROBLEM_SCOPE_MAILBOX);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, NULL, 0, &r);
        ck_assert_int_eq(find(&r, PROBLEM_MAILBOX_NOT_FOUND, 0)->scope, PROBLEM_SCOPE_MAILBOX);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(signature_only_missing)
{
        struct mailbox_result r;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "enc"), 1, &r);
        assert_only(&r, 1);
        ck_assert_ptr_nonnull(find(&r, PROBLEM_SIGNATURE_CERT_MISSING, USAGE_SIGNATURE));
        mailbox_result_free(&r);
        /* require = encryption: the same mailbox is ready. */
        check_one(cfg_enc_only, ADDR, SPEC1("cn=Post,o=Test,c=DE", "enc"), 1, &r);
        assert_only(&r, 0);
        ck_assert_int_eq(r.status, SW_OK);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(not_found_and_ambiguous)
{
        static const struct spec two[] = {
                { "cn=Post,o=Test,c=DE", { "enc" } },
                { "cn=Post2,o=Test,c=DE", { "sig" } },
        };
        struct mailbox_result r;

        check_one(cfg, ADDR, NULL, 0, &r);
        assert_only(&r, 1);
        ck_assert_int_eq(r.problems.items[0].code, PROBLEM_MAILBOX_NOT_FOUND);
        ck_assert_int_eq(r.status, SW_CRITICAL);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, two, 2, &r);
        assert_only(&r, 1);
        ck_assert_int_eq(r.problems.items[0].code, PROBLEM_MAILBOX_AMBIGUOUS);
        ck_assert_ptr_nonnull(strstr(r.problems.items[0].message, "cn=Post2"));
        ck_assert_int_eq(r.status, SW_WARNING);
        ck_assert_int_eq(r.n_entries, 2);
        ck_assert_int_eq(r.n_certs, 2);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(garbage_values)
{
        struct mailbox_result r;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "both", "!\x01garbage\xff"), 1, &r);
        assert_only(&r, 1);
        ck_assert_ptr_nonnull(find(&r, PROBLEM_STALE_CERT_PUBLISHED, 0));
        ck_assert(problem_list_has(&r.certs[1].problems, PROBLEM_CERT_UNPARSABLE));
        ck_assert(!r.certs[1].parsed);
        ck_assert_int_eq(strlen(r.certs[1].sha256), 64);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "!garbage"), 1, &r);
        ck_assert_int_eq(r.status, SW_CRITICAL);
        ck_assert_msg(strstr(find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION)->message,
                             "unparsable"), "%s", r.problems.items[0].message);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(pkcs7_with_two_certificates)
{
        struct mailbox_result r;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "encsig.p7b"), 1, &r);
        assert_only(&r, 0);
        ck_assert_int_eq(r.n_certs, 2);
        ck_assert_str_eq(r.certs[0].attribute, "userSMIMECertificate");
        mailbox_result_free(&r);
}
END_TEST

START_TEST(local_certificates)
{
        struct mailbox_result r;

        check_one(cfg, "local@lra.example", SPEC1("cn=L,o=Test,c=DE", "local-enc"), 1, &r);
        assert_only(&r, 0);
        ck_assert_int_eq(r.n_certs, 2);
        ck_assert_int_eq(r.certs[1].source, CERT_SOURCE_FILE);
        ck_assert_ptr_null(r.certs[1].attribute);
        ck_assert_int_eq(r.best_signature, 1);
        mailbox_result_free(&r);
        /* The same certificate in the directory and the file counts once. */
        check_one(cfg, "local@lra.example", SPEC1("cn=L,o=Test,c=DE", "local-enc", "local-sig"), 1, &r);
        ck_assert_int_eq(r.n_certs, 2);
        assert_only(&r, 0);
        mailbox_result_free(&r);
}
END_TEST

/* A local file that is garbage or gone: CERT_UNPARSABLE on that file, with
 * the hash of what it held, and the reason among the mailbox's. */
START_TEST(local_file_problems)
{
        static const char empty_sha256[] =
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        struct mailbox_result r;
        const struct problem *p;

        check_one(cfg, "broken@lra.example", SPEC1("cn=B,o=Test,c=DE", NULL), 1, &r);
        ck_assert_int_eq(r.n_certs, 1);
        ck_assert_int_eq(r.certs[0].source, CERT_SOURCE_FILE);
        ck_assert(problem_list_has(&r.certs[0].problems, PROBLEM_CERT_UNPARSABLE));
        ck_assert_str_ne(r.certs[0].sha256, empty_sha256);
        p = find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION);
        ck_assert_msg(p && strstr(p->message, "broken.pem"), "%s", p ? p->message : "-");
        mailbox_result_free(&r);

        check_one(cfg, "vanish@lra.example", SPEC1("cn=V,o=Test,c=DE", NULL), 1, &r);
        ck_assert_int_eq(r.n_certs, 1);
        ck_assert(problem_list_has(&r.certs[0].problems, PROBLEM_CERT_UNPARSABLE));
        ck_assert_msg(strstr(r.certs[0].problems.items[0].message, "No such file"), "%s",
                      r.certs[0].problems.items[0].message);
        mailbox_result_free(&r);
}
END_TEST

/* The evaluation works on what was gathered: a local file removed after
 * it was read is still evaluated from its bytes, nothing is read again. */
START_TEST(evaluation_does_no_io)
{
        struct cfg_mailbox mb = { .address = (char *)"local@lra.example", .warn_days = 30,
                                  .critical_days = 7 };
        struct cycle_file file;
        struct mbx_input in;
        struct eval_ctx ctx;
        struct mailbox_result r;
        struct dir_answer a;
        char *path = tl_path(tmp, "gathered.pem");

        ck_assert_int_eq(tl_sh("cp '%s/local-sig.pem' '%s'", pkidir, path), 0);
        make_answer(&a, SPEC1("cn=L,o=Test,c=DE", "local-enc"), 1);
        ck_assert_int_eq(cycle_read_file(path, &file), 0);
        ck_assert_int_eq(cycle_input(&mb, cfg->require_usages, &a, NULL, &file, &in), 0);
        ck_assert_int_eq(unlink(path), 0);
        eval_ctx_init(&ctx, pki, now);
        ck_assert_int_eq(mbx_evaluate(&ctx, &in, &r), 0);
        assert_only(&r, 0);
        ck_assert_int_eq(r.n_certs, 2);
        ck_assert_int_eq(r.certs[1].source, CERT_SOURCE_FILE);
        ck_assert(r.certs[1].parsed);
        ck_assert_int_eq(r.best_signature, 1);
        mailbox_result_free(&r);
        cycle_input_free(&in);
        cycle_file_free(&file);
        dir_answer_free(&a);
        free(path);
}
END_TEST

START_TEST(warnings_of_the_best)
{
        struct mailbox_result r;
        const struct problem *p;

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "dnonly"), 1, &r);
        assert_only(&r, 1);
        p = find(&r, PROBLEM_CERT_SUBJECT_EMAIL_ONLY, 0);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->cert, 0);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "weak", "sig"), 1, &r);
        assert_only(&r, 1);
        p = find(&r, PROBLEM_CERT_WEAK_KEY, USAGE_ENCRYPTION);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(r.status, SW_WARNING);
        mailbox_result_free(&r);

        check_one(cfg, ADDR, SPEC1("cn=Post,o=Test,c=DE", "nocrl"), 1, &r);
        ck_assert_ptr_nonnull(find(&r, PROBLEM_REVOCATION_UNKNOWN, 0));
        ck_assert_int_eq(r.status, SW_WARNING);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(directory_failures)
{
        const struct cfg_mailbox *mb = cfg_find_mailbox(cfg, ADDR);
        struct dir_answer failed = { .error = -EIO, .reason = (char *)"size limit exceeded" };
        struct mailbox_result r;

        evaluate(cfg, mb, NULL, "ldap://x: timed out", &r);
        assert_only(&r, 1);
        ck_assert_int_eq(r.problems.items[0].code, PROBLEM_DIRECTORY_UNREACHABLE);
        ck_assert_int_eq(r.status, SW_UNKNOWN);
        ck_assert_ptr_nonnull(strstr(r.problems.items[0].message, "timed out"));
        mailbox_result_free(&r);
        evaluate(cfg, mb, &failed, NULL, &r);
        ck_assert_int_eq(r.status, SW_UNKNOWN);
        ck_assert_ptr_nonnull(strstr(r.problems.items[0].message, "size limit"));
        mailbox_result_free(&r);
}
END_TEST

static void hostile_dn_is_escaped(void)
{
        struct mailbox_result r;

        char *esc;

        /* Raw inside; util_escape() is what every output applies. */
        check_one(cfg, ADDR, SPEC1("cn=\x1b[31mEvil\n,o=Test,c=DE", "both"), 1, &r);
        ck_assert_str_eq(r.entries[0], "cn=\x1b[31mEvil\n,o=Test,c=DE");
        esc = util_escape(r.entries[0]);
        ck_assert_str_eq(esc, "cn=\\x1b[31mEvil\\x0a,o=Test,c=DE");
        free(esc);
        mailbox_result_free(&r);
}

/* An answer cut at the directory limits: never critical for a certificate
 * the rest may hold; a verdict the rest cannot spoil stays. */
START_TEST(cut_answer_never_critical)
{
        struct cfg_mailbox mb = { .address = (char *)ADDR, .warn_days = 30, .critical_days = 7 };
        struct mailbox_result r;
        const struct problem *p;
        struct dir_answer a;

        /* Expiring in 3 days, but 3 values were left out: unknown. */
        make_answer(&a, SPEC1("cn=Post,o=Test,c=DE", "verysoon"), 1);
        a.entries[0].n_dropped = 3;
        a.entries[0].n_too_large = 1;
        evaluate(cfg, &mb, &a, NULL, &r);
        dir_answer_free(&a);
        ck_assert_int_eq(r.status, SW_UNKNOWN);
        ck_assert_ptr_null(find(&r, PROBLEM_CERT_EXPIRING, USAGE_ENCRYPTION));
        p = find(&r, PROBLEM_DIRECTORY_UNREACHABLE, USAGE_ENCRYPTION);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(strstr(p->message, "3 values left out (2 over 32 per entry, 1 over 64 KiB)") &&
                      strstr(p->message, "expires in"), "%s", p->message);
        ck_assert_uint_eq(r.values_dropped, 3);
        ck_assert_uint_eq(r.values_too_large, 1);
        mailbox_result_free(&r);

        /* No certificate among the entries read, more entries matched: unknown. */
        make_answer(&a, SPEC1("cn=Post,o=Test,c=DE", "!garbage"), 1);
        a.truncated = true;
        evaluate(cfg, &mb, &a, NULL, &r);
        dir_answer_free(&a);
        ck_assert_int_eq(r.status, SW_UNKNOWN);
        ck_assert_ptr_null(find(&r, PROBLEM_ENCRYPTION_CERT_MISSING, USAGE_ENCRYPTION));
        ck_assert_ptr_nonnull(find(&r, PROBLEM_DIRECTORY_UNREACHABLE, USAGE_ENCRYPTION));
        ck_assert_ptr_nonnull(find(&r, PROBLEM_DIRECTORY_UNREACHABLE, USAGE_SIGNATURE));
        mailbox_result_free(&r);

        /* Usable certificates for both usages: what was left out cannot
         * make it worse than ready. */
        make_answer(&a, SPEC1("cn=Post,o=Test,c=DE", "enc", "sig"), 1);
        a.entries[0].n_dropped = 40;
        evaluate(cfg, &mb, &a, NULL, &r);
        dir_answer_free(&a);
        ck_assert_int_eq(r.status, SW_OK);
        assert_only(&r, 0);
        mailbox_result_free(&r);
}
END_TEST

START_TEST(hostile_dn)
{
        hostile_dn_is_escaped();
}
END_TEST

int main(void)
{
        Suite *s = suite_create("mailbox");
        TCase *tc = tcase_create("verdicts");

        tcase_add_unchecked_fixture(tc, setup_all, teardown_all);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, ready);
        tcase_add_test(tc, expiring_uses_mailbox_thresholds);
        tcase_add_test(tc, best_is_the_longest_valid);
        tcase_add_test(tc, stale_published);
        tcase_add_test(tc, missing_with_reasons);
        tcase_add_test(tc, problem_scopes);
        tcase_add_test(tc, signature_only_missing);
        tcase_add_test(tc, not_found_and_ambiguous);
        tcase_add_test(tc, garbage_values);
        tcase_add_test(tc, pkcs7_with_two_certificates);
        tcase_add_test(tc, local_certificates);
        tcase_add_test(tc, evaluation_does_no_io);
        tcase_add_test(tc, local_file_problems);
        tcase_add_test(tc, warnings_of_the_best);
        tcase_add_test(tc, directory_failures);
        tcase_add_test(tc, hostile_dn);
        tcase_add_test(tc, cut_answer_never_critical);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
