/* SPDX-License-Identifier: EUPL-1.2 */
/* pki_load, pki_decode/pki_read_file and eval_cert against a test PKI that
 * tests/mkpki builds once at start: every certificate-level code of
 * smimewatch(8) where it applies, the good cases, decoding, and errors. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "evaluate.h"
#include "pki.h"
#include "problem.h"
#include "testlib.h"
#include "util.h"

#define POLICY_OK "1.3.6.1.4.1.55555.1.1"
#define POLICY_OTHER "1.3.6.1.4.1.55555.1.2"

static char *tmp;       /* the fixture's directory */
static char *dir;       /* tmp/pki: the main test PKI */
static char *dir2;      /* tmp/pki2: a PKI whose sub CA is revoked */
static bool have_md5;   /* the openssl command could still sign with MD5 */

/* ---- fixture ---- */

static void build_pkis(void)
{
        const char *m;
        char *mkpki;
        int r;

        tmp = tl_mkdtemp();
        dir = tl_path(tmp, "pki");
        dir2 = tl_path(tmp, "pki2");
        mkpki = tl_path(tl_srcdir(), "tests/mkpki");
        m = mkpki;
        r = tl_sh("set -e; M='%s'; D='%s'; D2='%s'\n"
                  "$M init $D\n"
                  "$M issue $D good\n"
                  "$M issue $D goodec --key ec256\n"
                  "$M issue $D enc --usage enc\n"
                  "$M issue $D sig --usage sig --key ec256\n"
                  "$M issue $D expired --from -30 --to -1\n"
                  "$M issue $D notyet --from 10 --to 400\n"
                  "$M issue $D untrusted --ca other --key ec256\n"
                  "$M issue $D expiredca --ca expired --key ec256\n"
                  "$M issue $D revoked; $M revoke $D revoked\n"
                  "$M issue $D nocrl --ca nocrl --key ec256\n"
                  "$M issue $D stale --ca stalecrl --key ec256\n"
                  "$M issue $D otheraddr --email someone.else@test.example --email x@y.example\n"
                  "$M issue $D nosan --no-san\n"
                  "$M issue $D dnonly --subject-email-only\n"
                  "$M issue $D mixed --email Mixed.Case@Test.Example\n"
                  "$M issue $D servereku --eku server\n"
                  "$M issue $D anyeku --eku any --key ec256\n"
                  "$M issue $D noeku --eku none --key ec256\n"
                  "$M issue $D badku --ku dataEncipherment\n"
                  "$M issue $D ecenconly --key ec256 --ku keyAgreement,encipherOnly\n"
                  "$M issue $D edsig --key ed25519 --usage sig\n"
                  "$M issue $D edenc --key ed25519 --usage enc\n"
                  "$M issue $D rsa2048 --key rsa2048\n"
                  "$M issue $D rsa1024 --key rsa1024\n"
                  "$M issue $D ec192 --key ec192\n"
                  "$M issue $D ec384 --key ec384\n"
                  "$M issue $D sha1 --md sha1\n"
                  "$M ca $D sha1ca --md sha1; $M issue $D viasha1ca --ca sha1ca --key ec256\n"
                  "$M issue $D md5 --md md5 2>/dev/null || true\n"
                  "$M issue $D polok --policy " POLICY_OK "\n"
                  "$M issue $D polbad --policy " POLICY_OTHER "\n"
                  "$M init $D2; $M issue $D2 user; $M revoke $D2 sub\n"
                  "cd $D\n"
                  "openssl pkcs7 -inform DER -in good.p7b -outform PEM -out good.p7b.pem\n"
                  "echo hello > msg.txt\n"
                  "openssl cms -sign -signer good.pem -inkey good.key -certfile ca/sub/cert.pem"
                  " -in msg.txt -outform DER -out good.p7s -nodetach\n"
                  "openssl x509 -in good.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g'"
                  " | tr A-F a-f > good.sha256\n"
                  "openssl x509 -in good.pem -noout -serial | sed 's/.*=//' > good.serial\n",
                  m, dir, dir2);
        ck_assert_msg(r == 0, "building the test PKI failed (%d)", r);
        free(mkpki);
        mkpki = tl_path(dir, "md5.pem");
        have_md5 = access(mkpki, F_OK) == 0;
        free(mkpki);
}

static void remove_pkis(void)
{
        tl_rm_rf(tmp);
}

/* ---- helpers ---- */

struct opts {
        const char *base;               /* the PKI directory; NULL: dir */
        bool no_revocation;
        bool no_intermediates;
        bool no_crls;
        const char *policy;
        unsigned min_ec_bits;
};

static struct pki *load(struct opts o)
{
        const char *base = o.base ? o.base : dir;
        char *crls = tl_path(base, "crls"), *err = NULL;
        char *policies[1] = { (char *)o.policy };
        struct cfg_pki s = {
                .trust_anchors = tl_path(base, "anchors.pem"),
                .intermediates = o.no_intermediates ? NULL : tl_path(base, "intermediates.pem"),
                .crls = o.no_crls ? NULL : &crls,
                .n_crls = o.no_crls ? 0 : 1,
                .revocation = !o.no_revocation,
                .require_policy = o.policy ? policies : NULL,
                .n_require_policy = o.policy ? 1 : 0,
                .min_rsa_bits = 3000,
                .min_ec_bits = o.min_ec_bits ? o.min_ec_bits : 256,
        };
        struct pki *p = NULL;

        ck_assert_msg(pki_load(&s, &p, &err) == 0, "pki_load: %s", err);
        free(s.trust_anchors);
        free(s.intermediates);
        free(crls);
        return p;
}

/* eval_cert() in a context of p at t. */
static int eval_at(const struct pki *p, X509 *x, STACK_OF(X509) *untrusted, const char *address,
                   time_t t, struct cert_result *res)
{
        struct eval_ctx ctx;

        eval_ctx_init(&ctx, p, t);
        return eval_cert(&ctx, x, untrusted, address, res);
}

/* Evaluates base/name.pem (its first certificate; the rest untrusted). */
static void eval_in(struct pki *p, const char *base, const char *file, const char *address,
                    struct cert_result *res)
{
        char *path = tl_path(base, file);
        struct pki_file f;

        ck_assert_int_eq(pki_read_file(path, &f), 0);
        ck_assert_msg(f.error == 0, "%s: %s", path, f.why);
        ck_assert_int_eq(eval_at(p, sk_X509_value(f.certs, 0), f.certs, address, time(NULL), res), 0);
        pki_file_free(&f);
        free(path);
}

static void eval_name(struct pki *p, const char *name, const char *address, struct cert_result *res)
{
        char file[256];

        snprintf(file, sizeof(file), "%s.pem", name);
        eval_in(p, dir, file, address, res);
}

static char *dump(const struct cert_result *r)
{
        static char buf[8192];
        size_t o = 0;

        buf[0] = 0;
        for (size_t i = 0; i < r->problems.n && o < sizeof(buf) - 1; i++)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\n  %s (%s): %s",
                                      problem_code_name(r->problems.items[i].code),
                                      sw_status_name(r->problems.items[i].level),
                                      r->problems.items[i].message);
        return buf;
}

/* The problems of r are exactly the codes listed (in any order). */
static void expect_codes(const struct cert_result *r, const char *const *want)
{
        size_t n = 0;

        for (; want[n]; n++)
                ck_assert_msg(problem_list_has(&r->problems, problem_code_from_name(want[n])),
                              "%s missing; problems:%s", want[n], dump(r));
        for (size_t i = 0; i < r->problems.n; i++) {
                bool listed = false;

                for (size_t j = 0; j < n; j++)
                        listed |= strcmp(problem_code_name(r->problems.items[i].code), want[j]) == 0;
                ck_assert_msg(listed, "unexpected problem; problems:%s", dump(r));
        }
}
#define EXPECT(r, ...) expect_codes(r, (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_NONE(r) expect_codes(r, (const char *const[]){ NULL })

static const struct problem *find(const struct cert_result *r, enum problem_code code)
{
        for (size_t i = 0; i < r->problems.n; i++)
                if (r->problems.items[i].code == code)
                        return &r->problems.items[i];
        ck_abort_msg("%s missing; problems:%s", problem_code_name(code), dump(r));
        return NULL;
}

static void expect_message(const struct cert_result *r, enum problem_code code,
                           enum sw_status level, const char *part)
{
        const struct problem *p = find(r, code);

        ck_assert_int_eq(p->level, level);
        ck_assert_msg(strstr(p->message, part), "'%s' not in '%s'", part, p->message);
}

/* As expect_message(), for the message as an output shows it: results are
 * raw, every output escapes them (util_escape()). */
static void expect_escaped(const struct cert_result *r, enum problem_code code,
                           enum sw_status level, const char *part)
{
        const struct problem *p = find(r, code);
        char *esc = util_escape(p->message);

        ck_assert_int_eq(p->level, level);
        ck_assert_msg(esc && strstr(esc, part), "'%s' not in '%s'", part, esc);
        ck_assert_ptr_null(strpbrk(esc, "\x1b\x07"));
        free(esc);
}

static char *slurp_line(const char *base, const char *name)
{
        char *path = tl_path(base, name), line[256] = "";
        FILE *f = fopen(path, "r");

        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
        fclose(f);
        free(path);
        line[strcspn(line, "\n")] = 0;
        return strdup(line);
}

/* ---- the good cases ---- */

START_TEST(good_rsa)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;
        char *sha = slurp_line(dir, "good.sha256"), *serial = slurp_line(dir, "good.serial");
        time_t now = time(NULL);

        eval_name(p, "good", "good@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert(r.path_valid);
        ck_assert_ptr_null(r.path_error);
        ck_assert_int_eq(r.revocation, REV_GOOD);
        ck_assert_str_eq(rev_status_name(r.revocation), "good");
        ck_assert_uint_eq(r.usages, USAGE_ALL);
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        ck_assert_str_eq(r.key, "RSA-3072");
        ck_assert_str_eq(r.subject, "CN=good,O=Test,C=DE");
        ck_assert_str_eq(r.issuer, "CN=Test Verwaltungs-PKI User CA 1,O=Test,C=DE");
        ck_assert_str_eq(r.sha256, sha);
        ck_assert_int_eq(strlen(r.sha256), 64);
        ck_assert_str_eq(r.serial, serial);
        ck_assert(r.parsed);
        /* issued for 365 days a moment ago */
        ck_assert_int_eq(r.days_left, util_days_until(now, r.not_after));
        ck_assert_int_ge(r.days_left, 363);
        ck_assert_int_le(r.days_left, 365);
        ck_assert_int_le(r.not_before, now - 86400 + 600);
        ck_assert_int_ge(r.not_after, now + 364 * 86400);
        cert_result_free(&r);
        ck_assert(!r.parsed);
        free(sha);
        free(serial);
        pki_free(p);
}
END_TEST

START_TEST(good_variants)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;

        eval_name(p, "goodec", "goodec@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_str_eq(r.key, "EC-P256");
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);

        eval_name(p, "enc", "enc@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_uint_eq(r.usages, USAGE_ENCRYPTION);
        ck_assert_uint_eq(r.usable_for, USAGE_ENCRYPTION);
        cert_result_free(&r);

        eval_name(p, "sig", "sig@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_uint_eq(r.usages, USAGE_SIGNATURE);
        cert_result_free(&r);

        eval_name(p, "ec384", "ec384@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_str_eq(r.key, "EC-P384");
        cert_result_free(&r);

        /* anyExtendedKeyUsage and an absent EKU both allow S/MIME */
        eval_name(p, "anyeku", "anyeku@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);
        eval_name(p, "noeku", "noeku@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);

        /* Ed25519 signs but cannot encrypt */
        eval_name(p, "edsig", "edsig@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_str_eq(r.key, "ED25519");
        ck_assert_uint_eq(r.usable_for, USAGE_SIGNATURE);
        cert_result_free(&r);

        /* no address given: no address check */
        eval_name(p, "otheraddr", NULL, &r);
        EXPECT_NONE(&r);
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

START_TEST(domain_case_insensitive)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;

        eval_name(p, "mixed", "Mixed.Case@test.example", &r);
        EXPECT_NONE(&r);
        cert_result_free(&r);
        eval_name(p, "mixed", "Mixed.Case@TEST.EXAMPLE", &r);
        EXPECT_NONE(&r);
        cert_result_free(&r);
        /* the local part is exact */
        eval_name(p, "mixed", "mixed.case@test.example", &r);
        EXPECT(&r, "CERT_ADDRESS_MISMATCH");
        expect_message(&r, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL, "'Mixed.Case@Test.Example'");
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

START_TEST(revocation_off)
{
        struct pki *p = load((struct opts){ .no_revocation = true });
        struct cert_result r;

        eval_name(p, "good", "good@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert(r.path_valid);
        ck_assert_int_eq(r.revocation, REV_OFF);
        ck_assert_str_eq(rev_status_name(r.revocation), "off");
        cert_result_free(&r);
        /* not checked at all: a revoked certificate passes */
        eval_name(p, "revoked", "revoked@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert(r.path_valid);
        ck_assert_int_eq(r.revocation, REV_OFF);
        cert_result_free(&r);
        /* nor does a CA without CRL matter */
        eval_name(p, "nocrl", "nocrl@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert_int_eq(r.revocation, REV_OFF);
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

/* ---- validity ---- */

START_TEST(expired_and_not_yet_valid)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;

        eval_name(p, "expired", "expired@test.example", &r);
        EXPECT(&r, "CERT_EXPIRED");     /* once, not also CERT_UNTRUSTED */
        expect_message(&r, PROBLEM_CERT_EXPIRED, SW_CRITICAL, "expired on ");
        ck_assert(!r.path_valid);
        ck_assert_ptr_nonnull(strstr(r.path_error, "expired"));
        ck_assert_int_lt(r.days_left, 0);
        ck_assert_uint_eq(r.usable_for, 0);
        ck_assert_uint_eq(r.usages, USAGE_ALL);
        cert_result_free(&r);

        eval_name(p, "notyet", "notyet@test.example", &r);
        EXPECT(&r, "CERT_NOT_YET_VALID");
        expect_message(&r, PROBLEM_CERT_NOT_YET_VALID, SW_CRITICAL, "not valid before ");
        ck_assert(!r.path_valid);
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

/* ---- the path ---- */

START_TEST(untrusted)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;

        eval_name(p, "untrusted", "untrusted@test.example", &r);
        EXPECT(&r, "CERT_UNTRUSTED");
        expect_message(&r, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL, "Untrusted Other Root CA");
        ck_assert(!r.path_valid);
        ck_assert_ptr_nonnull(r.path_error);
        ck_assert_int_eq(r.revocation, REV_UNKNOWN);
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        /* its chain file includes the other root: self-signed, not an anchor */
        eval_in(p, dir, "untrusted.chain.pem", "untrusted@test.example", &r);
        EXPECT(&r, "CERT_UNTRUSTED");
        expect_message(&r, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL, "not a configured trust anchor");
        cert_result_free(&r);

        /* an expired CA in the chain */
        eval_name(p, "expiredca", "expiredca@test.example", &r);
        EXPECT(&r, "CERT_UNTRUSTED");
        expect_message(&r, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL,
                       "CA certificate 'CN=Test Verwaltungs-PKI Expired User CA,O=Test,C=DE' (depth 1) expired on");
        ck_assert_ptr_nonnull(strstr(r.path_error, "depth 1"));
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

START_TEST(revoked)
{
        struct pki *p = load((struct opts){ 0 }), *p2 = load((struct opts){ .base = dir2 });
        struct cert_result r;

        eval_name(p, "revoked", "revoked@test.example", &r);
        EXPECT(&r, "CERT_REVOKED");
        expect_message(&r, PROBLEM_CERT_REVOKED, SW_CRITICAL,
                       "the certificate was revoked on ");
        expect_message(&r, PROBLEM_CERT_REVOKED, SW_CRITICAL, "keyCompromise");
        ck_assert(!r.path_valid);
        ck_assert_int_eq(r.revocation, REV_REVOKED);
        ck_assert_str_eq(rev_status_name(r.revocation), "revoked");
        ck_assert_ptr_nonnull(strstr(r.path_error, "revoked"));
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        /* a revoked CA anywhere in the chain */
        eval_in(p2, dir2, "user.pem", "user@test.example", &r);
        EXPECT(&r, "CERT_REVOKED");
        expect_message(&r, PROBLEM_CERT_REVOKED, SW_CRITICAL,
                       "CA certificate 'CN=Test Verwaltungs-PKI User CA 1,O=Test,C=DE' (depth 1) was revoked");
        ck_assert_int_eq(r.revocation, REV_REVOKED);
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);
        pki_free(p);
        pki_free(p2);
}
END_TEST

START_TEST(revocation_unknown)
{
        struct pki *p = load((struct opts){ 0 }), *none = load((struct opts){ .no_crls = true });
        struct cert_result r;

        /* a CA that never publishes a CRL */
        eval_name(p, "nocrl", "nocrl@test.example", &r);
        EXPECT(&r, "REVOCATION_UNKNOWN");
        expect_message(&r, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING, "no CRL of 'CN=Test Verwaltungs-PKI User CA without CRL");
        ck_assert(!r.path_valid);       /* strict, as PKITS */
        ck_assert_int_eq(r.revocation, REV_UNKNOWN);
        ck_assert_str_eq(rev_status_name(r.revocation), "unknown");
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);

        /* an outdated CRL */
        eval_name(p, "stale", "stale@test.example", &r);
        EXPECT(&r, "REVOCATION_UNKNOWN");
        expect_message(&r, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING, "is outdated");
        ck_assert(!r.path_valid);
        ck_assert_ptr_nonnull(strstr(r.path_error, "CRL has expired"));
        ck_assert_int_eq(r.revocation, REV_UNKNOWN);
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);

        /* no CRLs configured at all, yet revocation = crl */
        eval_name(none, "good", "good@test.example", &r);
        EXPECT(&r, "REVOCATION_UNKNOWN");
        expect_message(&r, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING, "more CRL problem");
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);
        pki_free(p);
        pki_free(none);
}
END_TEST

START_TEST(policy)
{
        struct pki *p = load((struct opts){ .policy = POLICY_OK });
        struct pki *any = load((struct opts){ .policy = "2.5.29.32.0" });
        struct cert_result r;

        eval_name(p, "polok", "polok@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert(r.path_valid);
        cert_result_free(&r);

        eval_name(p, "polbad", "polbad@test.example", &r);
        EXPECT(&r, "CERT_POLICY_MISMATCH");
        expect_message(&r, PROBLEM_CERT_POLICY_MISMATCH, SW_CRITICAL,
                       "the path is not valid under the required certificate policy (" POLICY_OK ")");
        ck_assert(!r.path_valid);
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        /* no policy at all */
        eval_name(p, "good", "good@test.example", &r);
        EXPECT(&r, "CERT_POLICY_MISMATCH");
        cert_result_free(&r);

        /* anyPolicy: any policy will do, but one there must be */
        eval_name(any, "polbad", "polbad@test.example", &r);
        EXPECT_NONE(&r);
        cert_result_free(&r);
        eval_name(any, "good", "good@test.example", &r);
        EXPECT(&r, "CERT_POLICY_MISMATCH");
        cert_result_free(&r);
        pki_free(p);
        pki_free(any);
}
END_TEST

/* tests/mkpki crl republishes: a stale CRL made current again. Uses
 * pki2, whose stalecrl CA nothing else looks at. */
START_TEST(mkpki_crl_republish)
{
        struct pki *p = load((struct opts){ .base = dir2 });
        struct cert_result r;

        ck_assert_int_eq(tl_sh("'%s/tests/mkpki' issue '%s' fresh --ca stalecrl --key ec256",
                               tl_srcdir(), dir2), 0);
        eval_in(p, dir2, "fresh.pem", "fresh@test.example", &r);
        EXPECT(&r, "REVOCATION_UNKNOWN");
        cert_result_free(&r);
        pki_free(p);

        ck_assert_int_eq(tl_sh("'%s/tests/mkpki' crl '%s' stalecrl --from -1 --to 30",
                               tl_srcdir(), dir2), 0);
        p = load((struct opts){ .base = dir2 });
        eval_in(p, dir2, "fresh.pem", "fresh@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert(r.path_valid);
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

/* RFC 5280 anchors need not be self-signed: the issuing CA alone may be
 * trusted, and then nobody asks for the root's CRL about it. */
START_TEST(sub_ca_as_anchor)
{
        char *anchor = tl_path(dir, "ca/sub/cert.pem"), *crl = tl_path(dir, "crls/sub.pem"), *err = NULL;
        struct cfg_pki s = {
                .trust_anchors = anchor, .crls = &crl, .n_crls = 1, .revocation = true,
                .min_rsa_bits = 3000, .min_ec_bits = 256,
        };
        struct pki *p = NULL;
        struct cert_result r;

        ck_assert_msg(pki_load(&s, &p, &err) == 0, "%s", err);
        eval_name(p, "good", "good@test.example", &r);
        EXPECT_NONE(&r);
        ck_assert(r.path_valid);
        ck_assert_int_eq(r.revocation, REV_GOOD);
        cert_result_free(&r);
        eval_name(p, "revoked", "revoked@test.example", &r);
        EXPECT(&r, "CERT_REVOKED");
        cert_result_free(&r);
        eval_name(p, "stale", "stale@test.example", &r);
        EXPECT(&r, "CERT_UNTRUSTED");
        cert_result_free(&r);
        pki_free(p);
        free(anchor);
        free(crl);
}
END_TEST

/* ---- the certificate's own properties ---- */

START_TEST(address)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;

        eval_name(p, "otheraddr", "otheraddr@test.example", &r);
        EXPECT(&r, "CERT_ADDRESS_MISMATCH");
        expect_message(&r, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL,
                       "is for 'someone.else@test.example', 'x@y.example', not for 'otheraddr@test.example'");
        ck_assert(r.path_valid);
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        eval_name(p, "nosan", "nosan@test.example", &r);
        EXPECT(&r, "CERT_ADDRESS_MISMATCH");
        expect_message(&r, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL, "names no mail address");
        cert_result_free(&r);

        eval_name(p, "dnonly", "dnonly@TEST.example", &r);
        EXPECT(&r, "CERT_SUBJECT_EMAIL_ONLY");
        expect_message(&r, PROBLEM_CERT_SUBJECT_EMAIL_ONLY, SW_WARNING, "subjectAltName");
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        ck_assert_str_eq(r.subject, "emailAddress=dnonly@test.example,CN=dnonly,O=Test,C=DE");
        cert_result_free(&r);

        eval_name(p, "dnonly", "someone@test.example", &r);
        EXPECT(&r, "CERT_ADDRESS_MISMATCH");
        expect_message(&r, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL, "'dnonly@test.example'");
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

START_TEST(wrong_usage)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;

        eval_name(p, "servereku", "servereku@test.example", &r);
        EXPECT(&r, "CERT_WRONG_USAGE");
        expect_message(&r, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                       "extended key usage (serverAuth) does not include emailProtection");
        ck_assert_uint_eq(r.usages, 0);
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        eval_name(p, "badku", "badku@test.example", &r);
        EXPECT(&r, "CERT_WRONG_USAGE");
        expect_message(&r, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                       "key usage (dataEncipherment) allows neither keyEncipherment");
        cert_result_free(&r);

        /* encipherOnly: the holder could not decrypt */
        eval_name(p, "ecenconly", "ecenconly@test.example", &r);
        EXPECT(&r, "CERT_WRONG_USAGE");
        expect_message(&r, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL, "keyAgreement, encipherOnly");
        cert_result_free(&r);

        eval_name(p, "edenc", "edenc@test.example", &r);
        EXPECT(&r, "CERT_WRONG_USAGE");
        expect_message(&r, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL, "Ed25519 keys cannot encrypt");
        cert_result_free(&r);
        pki_free(p);
}
END_TEST

START_TEST(weak_keys)
{
        struct pki *p = load((struct opts){ 0 }), *strict = load((struct opts){ .min_ec_bits = 384 });
        struct cert_result r;

        eval_name(p, "rsa2048", "rsa2048@test.example", &r);
        EXPECT(&r, "CERT_WEAK_KEY");
        expect_message(&r, PROBLEM_CERT_WEAK_KEY, SW_WARNING, "2048 bits, fewer than min_rsa_bits = 3000");
        ck_assert_str_eq(r.key, "RSA-2048");
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);

        eval_name(p, "rsa1024", "rsa1024@test.example", &r);
        EXPECT(&r, "CERT_WEAK_KEY");
        expect_message(&r, PROBLEM_CERT_WEAK_KEY, SW_CRITICAL, "only 1024 bits");
        ck_assert_str_eq(r.key, "RSA-1024");
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        eval_name(p, "ec192", "ec192@test.example", &r);
        EXPECT(&r, "CERT_WEAK_KEY");
        expect_message(&r, PROBLEM_CERT_WEAK_KEY, SW_CRITICAL, "only 192 bits");
        ck_assert_str_eq(r.key, "EC-P192");
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        eval_name(strict, "goodec", "goodec@test.example", &r);
        EXPECT(&r, "CERT_WEAK_KEY");
        expect_message(&r, PROBLEM_CERT_WEAK_KEY, SW_WARNING, "min_ec_bits = 384");
        ck_assert_uint_eq(r.usable_for, USAGE_ALL);
        cert_result_free(&r);
        pki_free(p);
        pki_free(strict);
}
END_TEST

START_TEST(weak_signatures)
{
        struct pki *p = load((struct opts){ 0 });
        struct cert_result r;

        eval_name(p, "sha1", "sha1@test.example", &r);
        EXPECT(&r, "CERT_WEAK_SIGNATURE");
        expect_message(&r, PROBLEM_CERT_WEAK_SIGNATURE, SW_CRITICAL, "SHA1");
        ck_assert(r.path_valid);        /* OpenSSL accepts it; S/MIME readiness does not */
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        /* a CA of the chain signed with SHA-1 */
        eval_name(p, "viasha1ca", "viasha1ca@test.example", &r);
        EXPECT(&r, "CERT_WEAK_SIGNATURE");
        expect_message(&r, PROBLEM_CERT_WEAK_SIGNATURE, SW_CRITICAL,
                       "CA certificate 'CN=Test Verwaltungs-PKI CA sha1ca,O=Test,C=DE' (depth 1) is signed with SHA1");
        ck_assert(r.path_valid);
        ck_assert_uint_eq(r.usable_for, 0);
        cert_result_free(&r);

        if (have_md5) {
                eval_name(p, "md5", "md5@test.example", &r);
                EXPECT(&r, "CERT_WEAK_SIGNATURE");
                expect_message(&r, PROBLEM_CERT_WEAK_SIGNATURE, SW_CRITICAL, "MD5");
                ck_assert_uint_eq(r.usable_for, 0);
                cert_result_free(&r);
        } else {
                fprintf(stderr, "note: the openssl command cannot sign with MD5; MD5 case skipped\n");
        }
        pki_free(p);
}
END_TEST

/* Names and addresses are attacker-controlled: built here with control
 * characters, they must reach no message unescaped. */
START_TEST(escaping)
{
        struct pki *p = load((struct opts){ 0 });
        X509 *x = X509_new();
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509_NAME *name = X509_NAME_new();
        GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
        struct cert_result r;

        ck_assert(x && key && name && gens && g && ia5);
        ck_assert(X509_set_version(x, 2));
        ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 7));
        ck_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                             (const unsigned char *)"Evil\x1b[31m\xc3\xa4", -1, -1, 0));
        ck_assert(X509_set_subject_name(x, name));
        ck_assert(X509_set_issuer_name(x, name));
        ck_assert(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
        ck_assert(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
        ck_assert(X509_set_pubkey(x, key));
        ck_assert(ASN1_STRING_set(ia5, "ev\x1b" "il\x07@x.example", -1));
        g->type = GEN_EMAIL;
        g->d.rfc822Name = ia5;
        ck_assert(sk_GENERAL_NAME_push(gens, g));
        ck_assert(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT));
        ck_assert(X509_sign(x, key, EVP_sha256()));

        ck_assert_int_eq(eval_at(p, x, NULL, "evil@x.example", time(NULL), &r), 0);
        EXPECT(&r, "CERT_UNTRUSTED", "CERT_ADDRESS_MISMATCH");
        /* OpenSSL's RFC 2253 escape of ESC stays: the subject is still a DN */
        ck_assert_str_eq(r.subject, "CN=Evil\\1B[31m\xc3\xa4");
        ck_assert_ptr_null(strchr(r.subject, 0x1b));
        /* raw inside, escaped once on the way out */
        expect_message(&r, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL, "'ev\x1b" "il\x07@x.example'");
        expect_escaped(&r, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL, "'ev\\x1bil\\x07@x.example'");
        ck_assert_ptr_null(strchr(r.path_error, 0x1b));
        cert_result_free(&r);

        GENERAL_NAMES_free(gens);
        X509_NAME_free(name);
        EVP_PKEY_free(key);
        X509_free(x);
        pki_free(p);
}
END_TEST

/* ---- decoding ---- */

START_TEST(decode_formats)
{
        static const char *const files[] = { "good.pem", "good.der", "good.p7b", "good.p7b.pem",
                                             "good.chain.pem", "good.p7s" };
        static const int counts[] = { 1, 1, 2, 2, 2, 2 };
        struct pki *noint = load((struct opts){ .no_intermediates = true });

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char *path = tl_path(dir, files[i]), *subj;
                STACK_OF(X509) *certs;
                struct pki_file f;
                struct cert_result r;

                ck_assert_int_eq(pki_read_file(path, &f), 0);
                ck_assert_msg(f.error == 0, "%s: %s", files[i], f.why);
                certs = f.certs;
                ck_assert_msg(sk_X509_num(certs) == counts[i], "%s: %d certificates", files[i],
                              sk_X509_num(certs));
                subj = X509_NAME_oneline(X509_get_subject_name(sk_X509_value(certs, 0)), NULL, 0);
                ck_assert_str_eq(subj, "/C=DE/O=Test/CN=good");
                OPENSSL_free(subj);
                /* the rest are untrusted intermediates: enough without configured ones */
                ck_assert_int_eq(eval_at(noint, sk_X509_value(certs, 0), certs, "good@test.example",
                                         time(NULL), &r), 0);
                if (counts[i] == 2)
                        EXPECT_NONE(&r);
                else
                        EXPECT(&r, "CERT_UNTRUSTED");
                cert_result_free(&r);
                pki_file_free(&f);
                free(path);
        }
        pki_free(noint);
}
END_TEST

static void expect_garbage(const void *data, size_t len)
{
        STACK_OF(X509) *certs = NULL;
        char *why = NULL;

        ck_assert_int_eq(pki_decode(data, len, &certs, &why), -EBADMSG);
        ck_assert_ptr_null(certs);
        ck_assert_ptr_nonnull(why);
        free(why);
}

START_TEST(decode_garbage)
{
        unsigned char *der = NULL, *buf;
        char *path = tl_path(dir, "good.der"), *p7 = tl_path(dir, "good.p7b"), *why = NULL;
        unsigned char *p7der = NULL;
        size_t len = 0, p7len = 0;
        struct cert_result r;

        ck_assert_int_eq(util_read_file(path, UTIL_MAX_FILE_SIZE, &der, &len), 0);
        ck_assert_int_eq(util_read_file(p7, UTIL_MAX_FILE_SIZE, &p7der, &p7len), 0);
        static const char *const texts[] = {
                "", "hello world", "\x30", "\x30\x82\xff\xff",
                "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "-----BEGIN CERTIFICATE-----\nMIIB\n",
                "-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        };

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
                expect_garbage(texts[i], strlen(texts[i]));
        /* every truncation of a DER certificate and of a PKCS#7 */
        for (size_t n = 1; n < len; n++)
                expect_garbage(der, n);
        for (size_t n = 1; n < p7len; n += 7)
                expect_garbage(p7der, n);
        /* trailing data after a certificate */
        buf = malloc(len + 3);
        memcpy(buf, der, len);
        memcpy(buf + len, "xyz", 3);
        expect_garbage(buf, len + 3);
        free(buf);
        /* random bytes, one MiB of them, starting like DER and like PEM */
        buf = malloc(1 << 20);
        srandom(42);
        for (size_t i = 0; i < 1 << 20; i++)
                buf[i] = (unsigned char)random();
        buf[0] = 0x30;
        expect_garbage(buf, 1 << 20);
        buf[0] = '-';
        expect_garbage(buf, 1 << 20);
        free(buf);

        /* eval_unparsable reports what could not be decoded */
        ck_assert_int_eq(eval_unparsable(der, 100, "truncated \x1b", &r), 0);
        EXPECT(&r, "CERT_UNPARSABLE");
        expect_message(&r, PROBLEM_CERT_UNPARSABLE, SW_CRITICAL, "truncated \x1b");
        expect_escaped(&r, PROBLEM_CERT_UNPARSABLE, SW_CRITICAL, "truncated \\x1b");
        ck_assert(!r.parsed);
        ck_assert_ptr_null(r.subject);
        ck_assert_int_eq(strlen(r.sha256), 64);
        ck_assert_uint_eq(r.usable_for, 0);
        ck_assert(!r.path_valid);
        cert_result_free(&r);

        free(der);
        free(p7der);
        free(path);
        free(p7);
        free(why);
}
END_TEST

/* Mutated certificates that still decode must evaluate without harm. */
START_TEST(mutations_evaluate_safely)
{
        struct pki *p = load((struct opts){ 0 });
        char *path = tl_path(dir, "good.der");
        unsigned char *der = NULL;
        size_t len = 0;
        int decoded = 0;

        ck_assert_int_eq(util_read_file(path, UTIL_MAX_FILE_SIZE, &der, &len), 0);
        srandom(7);
        for (int i = 0; i < 300; i++) {
                unsigned char *m = malloc(len);
                STACK_OF(X509) *certs = NULL;
                struct cert_result r;
                char *why = NULL;

                memcpy(m, der, len);
                for (int k = 0; k < 1 + i % 3; k++)
                        m[(size_t)random() % len] ^= (unsigned char)(1 + random() % 255);
                if (pki_decode(m, len, &certs, &why) == 0) {
                        decoded++;
                        ck_assert_int_eq(eval_at(p, sk_X509_value(certs, 0), certs,
                                                 "good@test.example", time(NULL), &r), 0);
                        cert_result_free(&r);
                        sk_X509_pop_free(certs, X509_free);
                } else {
                        ck_assert_int_eq(eval_unparsable(m, len, why, &r), 0);
                        cert_result_free(&r);
                }
                free(why);
                free(m);
        }
        ck_assert_int_gt(decoded, 0);
        free(der);
        free(path);
        pki_free(p);
}
END_TEST

START_TEST(read_file_limits)
{
        char *big = tl_path(tmp, "big.pem"), *exact = tl_path(tmp, "exact.der");
        struct pki_file f;
        int fd;

        fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, UTIL_MAX_FILE_SIZE + 1), 0);
        close(fd);
        ck_assert_int_eq(pki_read_file(big, &f), 0);
        ck_assert_int_eq(f.error, -EFBIG);
        ck_assert_str_eq(f.why, "larger than 10 MiB");
        ck_assert_ptr_null(f.data);
        pki_file_free(&f);

        /* exactly 10 MiB is read, and is garbage: the bytes are handed out */
        fd = open(exact, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, UTIL_MAX_FILE_SIZE), 0);
        close(fd);
        ck_assert_int_eq(pki_read_file(exact, &f), 0);
        ck_assert_int_eq(f.error, -EBADMSG);
        ck_assert_ptr_nonnull(f.why);
        ck_assert_uint_eq(f.len, UTIL_MAX_FILE_SIZE);
        ck_assert_ptr_null(f.certs);
        pki_file_free(&f);

        ck_assert_int_eq(pki_read_file("/nonexistent/x.pem", &f), 0);
        ck_assert_int_eq(f.error, -ENOENT);
        ck_assert_str_eq(f.why, "No such file or directory");
        pki_file_free(&f);
        ck_assert_int_eq(pki_read_file("/dev/null", &f), 0);
        ck_assert_int_eq(f.error, -EINVAL);
        ck_assert_str_eq(f.why, "not a regular file (a FIFO, device or socket)");
        pki_file_free(&f);
        unlink(big);
        unlink(exact);
        free(big);
        free(exact);
}
END_TEST

/* The pki keeps its own copy of the settings, origins included: it is
 * used after the cfg it was loaded from is freed. */
START_TEST(settings_owned)
{
        struct cfg_pki s = { .revocation = true, .min_rsa_bits = 3000, .min_ec_bits = 256 };
        const struct cfg_pki *kept;
        struct pki *p = NULL;
        char *err = NULL;

        s.trust_anchors = tl_path(dir, "anchors.pem");
        s.origin[CFG_PKI_TRUST_ANCHORS] = strdup("/etc/smimewatch/smimewatch.conf:7");
        ck_assert_msg(pki_load(&s, &p, &err) == 0, "%s", err);
        free(s.trust_anchors);
        free(s.origin[CFG_PKI_TRUST_ANCHORS]);
        kept = pki_settings(p);
        ck_assert_str_eq(kept->origin[CFG_PKI_TRUST_ANCHORS], "/etc/smimewatch/smimewatch.conf:7");
        ck_assert_ptr_null(kept->origin[CFG_PKI_CRLS]);
        ck_assert_ptr_nonnull(strstr(kept->trust_anchors, "anchors.pem"));
        pki_free(p);
}
END_TEST

/* ---- pki_load ---- */

static char *load_error(const char *anchors, const char *intermediates, const char *crl)
{
        char *crls[1] = { (char *)crl }, *err = NULL;
        struct cfg_pki s = {
                .trust_anchors = (char *)anchors, .intermediates = (char *)intermediates,
                .crls = crl ? crls : NULL, .n_crls = crl ? 1 : 0, .revocation = true,
                .min_rsa_bits = 3000, .min_ec_bits = 256,
        };
        struct pki *p = NULL;

        ck_assert_int_lt(pki_load(&s, &p, &err), 0);
        ck_assert_ptr_null(p);
        ck_assert_ptr_nonnull(err);
        return err;
}

START_TEST(load_errors)
{
        char *anchors = tl_path(dir, "anchors.pem"), *err, *empty = tl_path(tmp, "empty");
        char *garbage = tl_write(tmp, "garbage.crl", "this is not a CRL\n");
        char *crlonly = tl_path(dir, "crls/sub.pem");
        char *big = tl_path(tmp, "big.crl");
        int fd;

        err = load_error("/nonexistent/anchors.pem", NULL, NULL);
        ck_assert_msg(strstr(err, "'/nonexistent/anchors.pem'") && strstr(err, "No such file"), "%s", err);
        free(err);

        mkdir(empty, 0755);
        err = load_error(empty, NULL, NULL);
        ck_assert_msg(strstr(err, "no certificate") && strstr(err, empty), "%s", err);
        free(err);

        /* a file that holds only a CRL is no anchor */
        err = load_error(crlonly, NULL, NULL);
        ck_assert_msg(strstr(err, "trust_anchors") && strstr(err, "sub.pem"), "%s", err);
        free(err);

        err = load_error(anchors, "/nonexistent/inter", NULL);
        ck_assert_msg(strstr(err, "intermediates") && strstr(err, "/nonexistent/inter"), "%s", err);
        free(err);

        err = load_error(anchors, NULL, garbage);
        ck_assert_msg(strstr(err, "crls") && strstr(err, "garbage.crl") && strstr(err, "no CRL"), "%s", err);
        free(err);

        free(garbage);
        garbage = tl_write(tmp, "bad-block.crl", "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
        err = load_error(anchors, NULL, garbage);
        ck_assert_msg(strstr(err, "bad-block.crl") && strstr(err, "invalid CRL"), "%s", err);
        free(err);

        /* a certificate is not a CRL either */
        err = load_error(anchors, NULL, anchors);
        ck_assert_msg(strstr(err, "anchors.pem"), "%s", err);
        free(err);

        fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, UTIL_MAX_FILE_SIZE + 1), 0);
        close(fd);
        err = load_error(anchors, NULL, big);
        ck_assert_msg(strstr(err, "big.crl") && strstr(err, "larger than 10 MiB"), "%s", err);
        free(err);
        unlink(big);

        free(anchors);
        free(empty);
        free(garbage);
        free(crlonly);
        free(big);
}
END_TEST

START_TEST(load_directories)
{
        char *d = tl_path(tmp, "anchordir"), *inter = tl_path(tmp, "interdir");
        char *err = NULL, *crls = tl_path(dir, "crls");
        struct cfg_pki s = {
                .trust_anchors = d, .intermediates = NULL, .crls = &crls, .n_crls = 1,
                .revocation = true, .min_rsa_bits = 3000, .min_ec_bits = 256,
        };
        struct pki *p = NULL;
        struct cert_result r;

        /* a directory: DER and PEM files count, hidden files and
         * subdirectories do not */
        ck_assert_int_eq(tl_sh("mkdir -p '%s/sub' && openssl x509 -in '%s/anchors.pem' -outform DER "
                               "-out '%s/root.der' && echo junk > '%s/.hidden' && "
                               "cp '%s/anchors.pem' '%s/same-root-again.pem'", d, dir, d, d, dir, d), 0);
        ck_assert_msg(pki_load(&s, &p, &err) == 0, "%s", err);
        ck_assert_ptr_nonnull(pki_settings(p));
        ck_assert_str_eq(pki_settings(p)->trust_anchors, d);
        pki_free(p);

        /* a garbage file in the directory is an error naming it */
        tl_sh("echo junk > '%s/zz.pem'", d);
        ck_assert_int_lt(pki_load(&s, &p, &err), 0);
        ck_assert_msg(strstr(err, "zz.pem"), "%s", err);
        free(err);
        err = NULL;
        tl_sh("rm '%s/zz.pem'", d);

        /* intermediates as a directory; a key beside a certificate in a
         * PEM file is skipped, not an error */
        ck_assert_int_eq(tl_sh("mkdir -p '%s' && cp '%s/ca/sub/cert.pem' '%s/a.pem' && "
                               "cat '%s/ca/nocrl/cert.pem' '%s/ca/nocrl/key.pem' > '%s/b.pem'",
                               inter, dir, inter, dir, dir, inter), 0);
        s.intermediates = inter;
        ck_assert_msg(pki_load(&s, &p, &err) == 0, "%s", err);
        eval_name(p, "good", "good@test.example", &r);
        EXPECT_NONE(&r);
        cert_result_free(&r);
        eval_name(p, "nocrl", "nocrl@test.example", &r);
        EXPECT(&r, "REVOCATION_UNKNOWN");
        cert_result_free(&r);
        pki_free(p);

        free(inter);
        free(crls);
        free(d);
}
END_TEST

/* Built once for the whole run; the first check fails clearly if it breaks. */
START_TEST(fixture_built)
{
        ck_assert_ptr_nonnull(dir);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("evaluate");
        TCase *tc = tcase_create("evaluate");

        tcase_add_unchecked_fixture(tc, build_pkis, remove_pkis);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, fixture_built);
        tcase_add_test(tc, good_rsa);
        tcase_add_test(tc, good_variants);
        tcase_add_test(tc, domain_case_insensitive);
        tcase_add_test(tc, revocation_off);
        tcase_add_test(tc, expired_and_not_yet_valid);
        tcase_add_test(tc, untrusted);
        tcase_add_test(tc, revoked);
        tcase_add_test(tc, revocation_unknown);
        tcase_add_test(tc, policy);
        tcase_add_test(tc, sub_ca_as_anchor);
        tcase_add_test(tc, mkpki_crl_republish);
        tcase_add_test(tc, address);
        tcase_add_test(tc, wrong_usage);
        tcase_add_test(tc, weak_keys);
        tcase_add_test(tc, weak_signatures);
        tcase_add_test(tc, escaping);
        tcase_add_test(tc, decode_formats);
        tcase_add_test(tc, decode_garbage);
        tcase_add_test(tc, mutations_evaluate_safely);
        tcase_add_test(tc, read_file_limits);
        tcase_add_test(tc, load_errors);
        tcase_add_test(tc, settings_owned);
        tcase_add_test(tc, load_directories);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
