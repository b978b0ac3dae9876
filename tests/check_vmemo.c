/* SPDX-License-Identifier: EUPL-1.2 */
/* The verification memo (src/vmemo.c) against the full OpenSSL path on
 * test PKIs made by tests/mkpki: good, revoked, expired and not yet valid
 * end entities, CAs without a CRL, with a stale CRL, expired or revoked,
 * a root CRL that is out of date, an untrusted issuer, and certificates
 * that bring their own chain (which the memo must not take for its own).
 * Each is evaluated both ways, interleaved, twice through one memo, so
 * that every CA part is recorded for one certificate and replayed for the
 * others. PKITS goes through the memo in check_pkits.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "evalcmp.h"
#include "evaluate.h"
#include "pki.h"
#include "testlib.h"
#include "vmemo.h"

static char *tmp;

static void build(void)
{
        char *mkpki = tl_path(tl_srcdir(), "tests/mkpki");
        int r;

        tmp = tl_mkdtemp();
        r = tl_sh("set -e; M='%s'; T='%s'\n"
                  "$M init $T/a\n"
                  "for n in good1 good2 good3; do $M issue $T/a $n; done\n"
                  "$M issue $T/a revoked1; $M revoke $T/a revoked1\n"
                  "$M issue $T/a revoked2 --key ec256; $M revoke $T/a revoked2 --reason superseded\n"
                  "$M issue $T/a expired --from -30 --to -1\n"
                  "$M issue $T/a notyet --from 10 --to 400\n"
                  "$M issue $T/a sha1 --md sha1\n"
                  "$M issue $T/a untrusted --ca other --key ec256\n"
                  "$M issue $T/a expiredca --ca expired --key ec256\n"
                  "$M issue $T/a nocrl1 --ca nocrl --key ec256\n"
                  "$M issue $T/a nocrl2 --ca nocrl --key ec256\n"
                  "$M issue $T/a stale1 --ca stalecrl --key ec256\n"
                  "$M issue $T/a stale2 --ca stalecrl --key ec256\n"
                  "$M init $T/b; $M issue $T/b user1; $M issue $T/b user2; $M revoke $T/b sub\n"
                  "$M init $T/c; $M issue $T/c user1; $M issue $T/c user2; $M revoke $T/c user2\n"
                  "$M crl $T/c root --from -30 --to -1\n",
                  mkpki, tmp);
        ck_assert_msg(r == 0, "building the test PKIs failed (%d)", r);
        free(mkpki);
}

static void teardown(void)
{
        tl_rm_rf(tmp);
        free(tmp);
}

static struct pki *load(const char *name)
{
        char *base = tl_path(tmp, name), *crls = tl_path(base, "crls"), *err = NULL;
        struct cfg_pki s = { .trust_anchors = tl_path(base, "anchors.pem"),
                             .intermediates = tl_path(base, "intermediates.pem"),
                             .crls = &crls, .n_crls = 1, .revocation = true,
                             .min_rsa_bits = 3000, .min_ec_bits = 256 };
        struct pki *p = NULL;

        ck_assert_msg(pki_load(&s, &p, &err) == 0, "pki_load: %s", err);
        free(s.trust_anchors);
        free(s.intermediates);
        free(crls);
        free(base);
        return p;
}

/* Every file both ways through one memo, twice; with_chain: the file's
 * other certificates are the untrusted set (NAME.chain.pem). */
static void compare_all(const char *pkidir, const char *const *names, bool with_chain)
{
        struct pki *p = load(pkidir);
        struct vmemo *memo = NULL;
        time_t now = time(NULL);

        ck_assert_int_eq(vmemo_new(&memo), 0);
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; names[i]; i++) {
                        char file[128], *path;
                        struct pki_file f;
                        struct cert_result full, memod;

                        snprintf(file, sizeof(file), "%s/%s.%s", pkidir, names[i],
                                 with_chain ? "chain.pem" : "pem");
                        path = tl_path(tmp, file);
                        ck_assert_int_eq(pki_read_file(path, &f), 0);
                        ck_assert_msg(f.error == 0, "%s: %s", path, f.why);
                        tl_eval_both(p, memo, sk_X509_value(f.certs, 0), with_chain ? f.certs : NULL,
                                     now, file, &full, &memod);
                        cert_result_free(&full);
                        cert_result_free(&memod);
                        pki_file_free(&f);
                        free(path);
                }
        vmemo_free(memo);
        pki_free(p);
}

static const char *const main_pki[] = {
        "good1", "revoked1", "good2", "expired", "notyet", "revoked2", "sha1", "untrusted",
        "expiredca", "nocrl1", "stale1", "good3", "nocrl2", "stale2", NULL,
};

START_TEST(memo_main_pki)
{
        compare_all("a", main_pki, false);
}
END_TEST

START_TEST(memo_with_own_chain)
{
        compare_all("a", main_pki, true);
}
END_TEST

/* The sub CA is revoked: an error at depth 1, replayed for the second user. */
START_TEST(memo_revoked_ca)
{
        compare_all("b", (const char *const[]){ "user1", "user2", NULL }, false);
}
END_TEST

/* The root's CRL is out of date: the sub CA's revocation is unknown for
 * every user, one of whom is revoked as well. */
START_TEST(memo_stale_root_crl)
{
        compare_all("c", (const char *const[]){ "user1", "user2", NULL }, false);
}
END_TEST

/* pki.c's fast decoding against d2i_X509() alone on the same PKIs (RSA
 * and EC keys, CAs and end entities, with and without their chains):
 * the same certificates, and the same verdicts through the memo. */
static void decode_both_ways(const char *pkidir, const char *const *names)
{
        struct pki *fast = load(pkidir), *slow;
        struct vmemo *memo = NULL;
        time_t now = time(NULL);

        pki_slow_decoding = true;
        slow = load(pkidir);
        pki_slow_decoding = false;
        ck_assert_int_eq(vmemo_new(&memo), 0);
        for (size_t i = 0; names[i]; i++) {
                char file[128], *path;
                struct pki_file f, g;
                struct cert_result a, b;
                struct eval_ctx ctx;

                snprintf(file, sizeof(file), "%s/%s.chain.pem", pkidir, names[i]);
                path = tl_path(tmp, file);
                ck_assert_int_eq(pki_read_file(path, &f), 0);
                pki_slow_decoding = true;
                ck_assert_int_eq(pki_read_file(path, &g), 0);
                pki_slow_decoding = false;
                ck_assert_msg(f.error == 0 && g.error == 0, "%s: %s", path, f.why);
                for (int k = 0; k < sk_X509_num(f.certs); k++) {
                        unsigned char *der = NULL;
                        int len = i2d_X509(sk_X509_value(f.certs, k), &der);

                        ck_assert_int_gt(len, 0);
                        tl_decode_both(der, len, file);
                        OPENSSL_free(der);
                }
                eval_ctx_init(&ctx, fast, now);
                ctx.memo = memo;
                ck_assert_int_eq(eval_cert(&ctx, sk_X509_value(f.certs, 0), NULL, NULL, &a), 0);
                eval_ctx_init(&ctx, slow, now);
                ck_assert_int_eq(eval_cert(&ctx, sk_X509_value(g.certs, 0), NULL, NULL, &b), 0);
                tl_same_result(&a, &b, file);
                cert_result_free(&a);
                cert_result_free(&b);
                pki_file_free(&f);
                pki_file_free(&g);
                free(path);
        }
        vmemo_free(memo);
        pki_free(fast);
        pki_free(slow);
}

START_TEST(decode_fast_and_slow)
{
        decode_both_ways("a", main_pki);
        decode_both_ways("b", (const char *const[]){ "user1", "user2", NULL });
        decode_both_ways("c", (const char *const[]){ "user1", "user2", NULL });
}
END_TEST

int main(void)
{
        Suite *s = suite_create("vmemo");
        TCase *tc = tcase_create("vmemo");

        tcase_add_unchecked_fixture(tc, build, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, memo_main_pki);
        tcase_add_test(tc, memo_with_own_chain);
        tcase_add_test(tc, memo_revoked_ca);
        tcase_add_test(tc, memo_stale_root_crl);
        tcase_add_test(tc, decode_fast_and_slow);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
