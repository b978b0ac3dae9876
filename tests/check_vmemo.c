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

#include <openssl/pem.h>

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
                  "$M issue $T/a sha384 --md sha384\n"
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

/* good2's DER with one change made by how: NULL when the change does not
 * apply (then the test fails). */
enum damage { SIGNATURE_BIT, INNER_ALGORITHM, OUTER_ALGORITHM, UNUSED_BITS, KEY_UNUSED_BITS };

/* The offset of the first occurrence of what in der[0..len), -1 when none;
 * last: of the last one. */
static long find(const unsigned char *der, long len, const unsigned char *what, size_t n, bool last)
{
        long at = -1;

        for (long i = 0; i + (long)n <= len; i++)
                if (memcmp(der + i, what, n) == 0 && (at < 0 || last))
                        at = i;
        return at;
}

/* good's DER with one change made by how (the test fails when the change
 * does not apply); *der_out, when not NULL, gets the bytes (caller frees). */
static X509 *damaged_der(X509 *good, enum damage how, unsigned char **der_out, int *len_out)
{
        static const unsigned char sha256_rsa[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                    0xf7, 0x0d, 0x01, 0x01, 0x0b };
        /* rsaEncryption, NULL parameters, then the key's BIT STRING. */
        static const unsigned char rsa_spki[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                  0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03 };

        const ASN1_BIT_STRING *sig;
        unsigned char *der = NULL;
        const unsigned char *p;
        int len = i2d_X509(good, &der);
        long at = -1;
        X509 *x;

        ck_assert_int_gt(len, 0);
        X509_get0_signature(&sig, NULL, good);
        switch (how) {
        case SIGNATURE_BIT:
                der[len - 1] ^= 0x01;
                break;
        case INNER_ALGORITHM:
        case OUTER_ALGORITHM:
                /* sha256WithRSAEncryption made sha384's: the first one is
                 * the to-be-signed part's, the last the outer one. */
                at = find(der, len, sha256_rsa, sizeof(sha256_rsa), how == OUTER_ALGORITHM);
                ck_assert_int_ge(at, 0);
                der[at + (long)sizeof(sha256_rsa) - 1] = 0x0c;
                break;
        case UNUSED_BITS:
                /* The signature is last: its unused-bits octet just before it. */
                der[len - sig->length - 1] = 0x01;
                break;
        case KEY_UNUSED_BITS:
                /* One unused bit in the key's BIT STRING (after its length). */
                at = find(der, len, rsa_spki, sizeof(rsa_spki), false);
                ck_assert_int_ge(at, 0);
                at += (long)sizeof(rsa_spki);
                ck_assert_int_eq(der[at], 0x82);
                der[at + 3] = 0x01;
                break;
        }
        p = der;
        x = pki_d2i_x509(&p, len);
        if (der_out) {
                *der_out = der;
                *len_out = len;
        } else {
                OPENSSL_free(der);
        }
        return x;
}

static X509 *damaged(X509 *good, enum damage how)
{
        return damaged_der(good, how, NULL, NULL);
}

/* good re-signed by its CA (a/ca/sub) with a notBefore that is no valid
 * UTCTime ("YYMMDDHHMMSS0", no Z): its signature verifies, so only the
 * time check can refuse it. */
static X509 *resigned_without_z(X509 *good)
{
        char *path = tl_path(tmp, "a/ca/sub/key.pem");
        FILE *f = fopen(path, "r");
        EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        ASN1_UTCTIME *t = ASN1_UTCTIME_new();
        X509 *x = X509_dup(good);

        ck_assert_msg(key && t && x, "%s: no key or out of memory", path);
        ck_assert(ASN1_STRING_set(t, "2601010000000", 13) && X509_set1_notBefore(x, t));
        ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
        ASN1_UTCTIME_free(t);
        EVP_PKEY_free(key);
        fclose(f);
        free(path);
        return x;
}

/* vmemo.c's leaf check (leaf_verify(), cmp_time()) against the full path,
 * after good1 has recorded the CA part: good2 with a damaged signature,
 * with inner and outer signature algorithms that differ (either changed),
 * with unused bits in its signature, re-signed with a malformed notBefore,
 * all refused, and a certificate signed with
 * another digest than the recorded one (X509_verify() then), accepted. */
START_TEST(memo_leaf_signature)
{
        static const char *const labels[] = { "a damaged signature", "another inner algorithm",
                                              "another outer algorithm",
                                              "unused bits in the signature" };
        struct pki *p = load("a");
        struct vmemo *memo = NULL;
        time_t now = time(NULL);
        struct pki_file good1, good2, sha384;
        struct cert_result full, memod;
        char *path;

        ck_assert_int_eq(vmemo_new(&memo), 0);
        path = tl_path(tmp, "a/good1.pem");
        ck_assert_int_eq(pki_read_file(path, &good1), 0);
        free(path);
        path = tl_path(tmp, "a/good2.pem");
        ck_assert_int_eq(pki_read_file(path, &good2), 0);
        free(path);
        path = tl_path(tmp, "a/sha384.pem");
        ck_assert_int_eq(pki_read_file(path, &sha384), 0);
        free(path);
        ck_assert(good1.error == 0 && good2.error == 0 && sha384.error == 0);
        for (int pass = 0; pass < 2; pass++) {
                tl_eval_both(p, memo, sk_X509_value(good1.certs, 0), NULL, now, "good1", &full, &memod);
                ck_assert(memod.path_valid);
                cert_result_free(&full);
                cert_result_free(&memod);
                for (enum damage d = SIGNATURE_BIT; d <= UNUSED_BITS; d++) {
                        X509 *x = damaged(sk_X509_value(good2.certs, 0), d);

                        ck_assert_msg(x, "good2 with %s does not decode", labels[d]);
                        tl_eval_both(p, memo, x, NULL, now, labels[d], &full, &memod);
                        ck_assert_msg(!memod.path_valid && memod.path_error &&
                                              strstr(memod.path_error, "signature"),
                                      "good2 with %s: %s", labels[d],
                                      memod.path_error ? memod.path_error : "valid");
                        cert_result_free(&full);
                        cert_result_free(&memod);
                        X509_free(x);
                }
                {
                        X509 *x = resigned_without_z(sk_X509_value(good2.certs, 0));

                        tl_eval_both(p, memo, x, NULL, now, "a notBefore without its Z", &full, &memod);
                        ck_assert_msg(!memod.path_valid && memod.path_error &&
                                              strstr(memod.path_error, "notBefore"),
                                      "good2 with a notBefore without its Z: %s",
                                      memod.path_error ? memod.path_error : "valid");
                        cert_result_free(&full);
                        cert_result_free(&memod);
                        X509_free(x);
                }
                tl_eval_both(p, memo, sk_X509_value(sha384.certs, 0), NULL, now, "sha384", &full,
                             &memod);
                ck_assert_msg(memod.path_valid, "sha384: %s", memod.path_error);
                cert_result_free(&full);
                cert_result_free(&memod);
        }
        pki_file_free(&good1);
        pki_file_free(&good2);
        pki_file_free(&sha384);
        vmemo_free(memo);
        pki_free(p);
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
        struct pki_file good1;
        unsigned char *der = NULL;
        int len = 0;
        char *path = tl_path(tmp, "a/good1.pem");
        X509 *x;

        /* A key info X509_set_pubkey() would not make again: d2i_X509() then. */
        ck_assert_int_eq(pki_read_file(path, &good1), 0);
        ck_assert(good1.error == 0);
        x = damaged_der(sk_X509_value(good1.certs, 0), KEY_UNUSED_BITS, &der, &len);
        ck_assert_msg(x, "good1 with unused bits in its key does not decode");
        tl_decode_both(der, len, "good1 with unused bits in its key");
        X509_free(x);
        OPENSSL_free(der);
        pki_file_free(&good1);
        free(path);
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
        tcase_add_test(tc, memo_leaf_signature);
        tcase_add_test(tc, decode_fast_and_slow);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
