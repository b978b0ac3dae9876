/* SPDX-License-Identifier: EUPL-1.2 */
#include "evalcmp.h"

#include <check.h>
#include <string.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "problem.h"

static const char *or_none(const char *s)
{
        return s ? s : "(none)";
}

void tl_same_result(const struct cert_result *a, const struct cert_result *b, const char *what)
{
        ck_assert_msg(a->path_valid == b->path_valid, "%s: path_valid %d first way, %d the other",
                      what, a->path_valid, b->path_valid);
        ck_assert_msg(strcmp(or_none(a->path_error), or_none(b->path_error)) == 0,
                      "%s: path_error '%s' first way, '%s' the other", what,
                      or_none(a->path_error), or_none(b->path_error));
        ck_assert_msg(a->revocation == b->revocation, "%s: revocation %s first way, %s the other",
                      what, rev_status_name(a->revocation), rev_status_name(b->revocation));
        ck_assert_msg(a->usages == b->usages && a->usable_for == b->usable_for,
                      "%s: usages differ", what);
        ck_assert_msg(a->problems.n == b->problems.n, "%s: %zu problems first way, %zu the other",
                      what, a->problems.n, b->problems.n);
        for (size_t i = 0; i < a->problems.n; i++) {
                const struct problem *p = &a->problems.items[i], *q = &b->problems.items[i];

                ck_assert_msg(p->code == q->code && p->level == q->level &&
                              strcmp(p->message, q->message) == 0,
                              "%s: problem %zu is %s '%s' the first way, %s '%s' the other", what, i,
                              problem_code_name(p->code), p->message, problem_code_name(q->code),
                              q->message);
        }
}

void tl_eval_both(const struct pki *p, struct vmemo *memo, X509 *x, STACK_OF(X509) *untrusted,
                  time_t at, const char *what, struct cert_result *full, struct cert_result *memod)
{
        struct eval_ctx ctx;

        eval_ctx_init(&ctx, p, at);
        ck_assert_msg(eval_cert(&ctx, x, untrusted, NULL, full) == 0, "%s: eval_cert failed", what);
        ctx.memo = memo;
        ck_assert_msg(eval_cert(&ctx, x, untrusted, NULL, memod) == 0, "%s: eval_cert with the memo failed",
                      what);
        tl_same_result(full, memod, what);
}

void tl_decode_both(const unsigned char *der, long len, const char *what)
{
        const unsigned char *p = der, *q = der;
        X509 *fast, *slow;
        unsigned char *a = NULL, *b = NULL;
        int la, lb;

        fast = pki_d2i_x509(&p, len);
        slow = d2i_X509(NULL, &q, len);
        ck_assert_msg((fast != NULL) == (slow != NULL), "%s: decodes one way only", what);
        if (!slow)
                return;
        ck_assert_msg(p == q, "%s: consumed %td bytes one way, %td the other", what, p - der, q - der);
        la = i2d_X509(fast, &a);
        lb = i2d_X509(slow, &b);
        ck_assert_msg(la == lb && la > 0 && memcmp(a, b, (size_t)la) == 0, "%s: encodes differently", what);
        ck_assert_msg(X509_cmp(fast, slow) == 0, "%s: X509_cmp differs", what);
        OPENSSL_free(a);
        OPENSSL_free(b);
        a = b = NULL;
        /* The key info as the certificate holds it (what i2d_X509() does
         * not show: it writes the to-be-signed part as decoded). */
        la = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(fast), &a);
        lb = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(slow), &b);
        ck_assert_msg(la == lb && la > 0 && memcmp(a, b, (size_t)la) == 0,
                      "%s: the SubjectPublicKeyInfo differs", what);
        ck_assert_msg((X509_get0_pubkey(fast) != NULL) == (X509_get0_pubkey(slow) != NULL),
                      "%s: a key one way only", what);
        if (X509_get0_pubkey(slow)) {
                ck_assert_msg(EVP_PKEY_eq(X509_get0_pubkey(fast), X509_get0_pubkey(slow)) == 1,
                              "%s: the keys differ", what);
                ck_assert_int_eq(EVP_PKEY_get_bits(X509_get0_pubkey(fast)),
                                 EVP_PKEY_get_bits(X509_get0_pubkey(slow)));
                ck_assert_int_eq(EVP_PKEY_get_security_bits(X509_get0_pubkey(fast)),
                                 EVP_PKEY_get_security_bits(X509_get0_pubkey(slow)));
                ck_assert_int_eq(EVP_PKEY_get_base_id(X509_get0_pubkey(fast)),
                                 EVP_PKEY_get_base_id(X509_get0_pubkey(slow)));
        }
        ck_assert_msg(X509_get_extension_flags(fast) == X509_get_extension_flags(slow),
                      "%s: extension flags %#x one way, %#x the other", what,
                      X509_get_extension_flags(fast), X509_get_extension_flags(slow));
        for (int purpose = X509_PURPOSE_MIN; purpose <= X509_PURPOSE_MAX; purpose++)
                for (int ca = 0; ca <= 1; ca++)
                        ck_assert_msg(X509_check_purpose(fast, purpose, ca) ==
                                      X509_check_purpose(slow, purpose, ca),
                                      "%s: purpose %d differs", what, purpose);
        ck_assert_int_eq(X509_self_signed(fast, 1), X509_self_signed(slow, 1));
        OPENSSL_free(a);
        OPENSSL_free(b);
        X509_free(fast);
        X509_free(slow);
}
