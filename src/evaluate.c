/* SPDX-License-Identifier: EUPL-1.2 */
/* The verdict on one certificate. OpenSSL validates the path (RFC 5280,
 * CRLs, policies) with a callback that records every error and goes on,
 * so that afterwards each error can be classified: revoked, revocation
 * unknown, policy, or untrusted. Usages, address, validity, key and
 * signature strength are checked here, where OpenSSL has no opinion or
 * a more lenient one than S/MIME readiness needs. */
#include "evaluate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "pki.h"
#include "revocation.h"
#include "util.h"
#include "vmemo.h"

#define NAME_MAX_LEN 1024       /* of a DN, in bytes, before escaping */
#define ADDR_MAX_LEN 256
#define MAX_VFY_ERRORS 32
#define MAX_LISTED_ADDRESSES 8
#define EKU_LIST_MAX 512        /* bytes of a listed extended key usage */

/* Hard floors below which a key is not merely weak but unusable. */
#define RSA_FLOOR_BITS 2048
#define EC_FLOOR_BITS 224

/* What a key type can do for S/MIME. */
enum key_cap {
        CAP_TRANSPORT = 1u << 0,        /* encrypt by key transport (RSA) */
        CAP_AGREEMENT = 1u << 1,        /* encrypt by key agreement (ECDH, X25519) */
        CAP_SIGN = 1u << 2,
};

struct vfy_error {
        int depth;
        int code;
        X509 *cert;                     /* referenced; NULL when OpenSSL names none */
        bool has_crl_next;              /* nextUpdate of the CRL concerned */
        time_t crl_next;
        bool has_revoked_at;            /* for CERT_REVOKED, from the CRL entry */
        time_t revoked_at;
        int revoked_reason;             /* CRLReason, -1 when absent */
        const char *detail;             /* OpenSSL's reason where code says little */
};

struct vfy_log {
        struct vfy_error e[MAX_VFY_ERRORS];
        size_t n;
        bool internal_error;            /* the verifier stopped without a verdict */
        int internal_code;
        const char *internal_detail;    /* static string of OpenSSL's error queue */
};

enum err_class { EC_REVOKED, EC_CHAIN, EC_EE_VALIDITY, EC_POLICY, EC_CRL, EC_COUNT };

const char *cert_source_name(enum cert_source s)
{
        return s == CERT_SOURCE_FILE ? "file" : "directory";
}

const char *rev_status_name(enum rev_status s)
{
        switch (s) {
        case REV_GOOD: return "good";
        case REV_REVOKED: return "revoked";
        case REV_UNKNOWN: return "unknown";
        case REV_OFF: return "off";
        }
        return "unknown";
}

/* ---- small helpers ---- */

/* The last two names a thread printed (by their DER), the least recent
 * replaced: a certificate's subject and issuer are printed one after the
 * other, and a cycle's issuers are a few CAs. In fixed buffers, so that
 * nothing is left when a cycle's threads end. */
#define DN_CACHE_DER 512
#define DN_CACHE_TEXT 512

struct dn_cached {
        size_t der_len;                 /* 0: empty */
        unsigned char der[DN_CACHE_DER];
        char text[DN_CACHE_TEXT];
};

static _Thread_local struct dn_cached dn_cache[2];
static _Thread_local int dn_recent;    /* the slot used last */

/* A name as RFC 2253 in UTF-8, cut to NAME_MAX_LEN (escaped at the outputs). */
char *eval_dn_string(const X509_NAME *name)
{
        const unsigned char *der = NULL;
        size_t der_len = 0;
        bool cacheable = X509_NAME_get0_der(name, &der, &der_len) && der_len > 0 &&
                         der_len <= DN_CACHE_DER;
        BIO *bio;
        char *data = NULL, *s = NULL;
        long len;

        if (cacheable)
                for (int k = 0; k < 2; k++)
                        if (dn_cache[k].der_len == der_len && memcmp(dn_cache[k].der, der, der_len) == 0) {
                                dn_recent = k;
                                return strdup(dn_cache[k].text);
                        }
        bio = BIO_new(BIO_s_mem());
        if (!bio)
                return NULL;
        if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
                len = BIO_get_mem_data(bio, &data);
                s = util_cut(data ? data : "", len > 0 ? (size_t)len : 0, NAME_MAX_LEN);
        }
        BIO_free(bio);
        if (s && cacheable && strlen(s) < DN_CACHE_TEXT) {
                struct dn_cached *c = &dn_cache[dn_recent ^= 1];

                c->der_len = der_len;
                memcpy(c->der, der, der_len);
                strcpy(c->text, s);
        }
        return s;
}

static char *cert_subject(const X509 *x)
{
        return x ? eval_dn_string(X509_get_subject_name(x)) : strdup("?");
}

char *eval_serial_hex(const X509 *x)
{
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL, *s = hex ? strdup(hex) : NULL;

        OPENSSL_free(hex);
        BN_free(bn);
        return s;
}

static const char *reason_name(int reason)
{
        static const char *const names[] = {
                "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
                "superseded", "cessationOfOperation", "certificateHold", NULL,
                "removeFromCRL", "privilegeWithdrawn", "aACompromise",
        };

        if (reason < 0 || reason >= (int)(sizeof(names) / sizeof(names[0])) || !names[reason])
                return NULL;
        return names[reason];
}

/* ---- path validation ---- */

/* Details of a revocation from the CRL OpenSSL was looking at. */
static void note_revocation(X509_STORE_CTX *ctx, X509 *cert, struct vfy_error *e)
{
        X509_CRL *crl = vmemo_current_crl(ctx);
        X509_REVOKED *rev = NULL;
        ASN1_ENUMERATED *reason;

        if (!crl || !cert || X509_CRL_get0_by_cert(crl, &rev, cert) != 1 || !rev)
                return;
        e->has_revoked_at = pki_asn1_time(X509_REVOKED_get0_revocationDate(rev), &e->revoked_at);
        reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
        if (reason)
                e->revoked_reason = (int)ASN1_ENUMERATED_get(reason);
        ASN1_ENUMERATED_free(reason);
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
        struct vfy_log *log = X509_STORE_CTX_get_app_data(ctx);
        int code = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
        X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
        X509_CRL *crl;
        struct vfy_error *e;

        if (ok || !log)
                return ok;
        for (size_t i = 0; i < log->n; i++)
                if (log->e[i].code == code && log->e[i].depth == depth)
                        return 1;
        /* Errors beyond the limit are dropped, but path_valid is already false. */
        if (log->n == MAX_VFY_ERRORS)
                return 1;
        e = &log->e[log->n];
        *e = (struct vfy_error){ .depth = depth, .code = code, .revoked_reason = -1 };
        if (cert && X509_up_ref(cert))
                e->cert = cert;
        crl = vmemo_current_crl(ctx);
        if (crl && (code == X509_V_ERR_CRL_HAS_EXPIRED || code == X509_V_ERR_CRL_NOT_YET_VALID))
                e->has_crl_next = pki_asn1_time(X509_CRL_get0_nextUpdate(crl), &e->crl_next);
        if (code == X509_V_ERR_CERT_REVOKED)
                note_revocation(ctx, cert, e);
        log->n++;
        /* Go on: every error is wanted for the classification. */
        return 1;
}

static void vfy_log_free(struct vfy_log *log)
{
        for (size_t i = 0; i < log->n; i++)
                X509_free(log->e[i].cert);
        log->n = 0;
}

static bool is_crl_error(int code)
{
        switch (code) {
        case X509_V_ERR_UNABLE_TO_GET_CRL:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
        case X509_V_ERR_CRL_NOT_YET_VALID:
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
        case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
        case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
        case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
        case X509_V_ERR_DIFFERENT_CRL_SCOPE:
        case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
                return true;
        default:
                return false;
        }
}

static enum err_class classify(const struct vfy_error *e)
{
        if (e->code == X509_V_ERR_CERT_REVOKED)
                return EC_REVOKED;
        if (is_crl_error(e->code))
                return EC_CRL;
        if (e->code == X509_V_ERR_NO_EXPLICIT_POLICY || e->code == X509_V_ERR_INVALID_POLICY_EXTENSION)
                return EC_POLICY;
        if (e->depth == 0 && (e->code == X509_V_ERR_CERT_HAS_EXPIRED ||
                              e->code == X509_V_ERR_CERT_NOT_YET_VALID))
                return EC_EE_VALIDITY;
        return EC_CHAIN;
}

/* The first error of each class, NULL where there is none. */
static void first_of_class(const struct vfy_log *log, const struct vfy_error *first[EC_COUNT])
{
        for (int c = 0; c < EC_COUNT; c++)
                first[c] = NULL;
        for (size_t i = 0; i < log->n; i++) {
                enum err_class c = classify(&log->e[i]);

                if (!first[c])
                        first[c] = &log->e[i];
        }
}

static const char *err_reason(const struct vfy_error *e)
{
        return e->detail ? e->detail : X509_verify_cert_error_string(e->code);
}

/* "certificate has expired (depth 1: CN=...)" */
static int path_error_string(const struct vfy_error *e, char **ret)
{
        char *subj = e->cert ? cert_subject(e->cert) : NULL;
        const char *reason = err_reason(e);
        int r;

        if (e->cert && !subj)
                return -ENOMEM;
        if (subj)
                r = asprintf(ret, "%s (depth %d: %s)", reason, e->depth, subj);
        else
                r = asprintf(ret, "%s", reason);
        free(subj);
        if (r < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* CRL_CHECK_ALL makes OpenSSL look for a CRL covering the trust anchor
 * too; RFC 5280 trusts an anchor as configured, and a sub CA configured
 * as the anchor would otherwise need its parent's CRL. The certificates
 * above num_untrusted in the chain came from the store: anchors. */
static void drop_anchor_crl_errors(struct vfy_log *log, int num_untrusted, int chain_len)
{
        size_t kept = 0;

        if (num_untrusted >= chain_len)
                return;
        for (size_t i = 0; i < log->n; i++) {
                if (is_crl_error(log->e[i].code) && log->e[i].depth >= num_untrusted) {
                        X509_free(log->e[i].cert);
                        continue;
                }
                log->e[kept++] = log->e[i];
        }
        log->n = kept;
}

/* Runs OpenSSL's verifier at now, recording every error in log. */
static int run_verify(const struct eval_ctx *ec, X509 *cert, STACK_OF(X509) *untrusted,
                      struct vfy_log *log, STACK_OF(X509) **chain, int *num_untrusted)
{
        STACK_OF(X509) *inter = pki_intermediates(ec->pki), *all = NULL, *use;
        struct vmemo_run memo = { .memo = NULL };
        X509_STORE_CTX *ctx = NULL;
        int r = -ENOMEM, ok;

        use = sk_X509_num(untrusted) > 0 ? untrusted : inter;
        if (sk_X509_num(untrusted) > 0 && sk_X509_num(inter) > 0) {
                /* The certificate's own companions first, then the configured ones. */
                all = sk_X509_dup(untrusted);
                for (int i = 0; all && i < sk_X509_num(inter); i++)
                        if (!sk_X509_push(all, sk_X509_value(inter, i)))
                                goto out;
                if (!all)
                        goto out;
                use = all;
        }
        ctx = X509_STORE_CTX_new();
        if (!ctx || !X509_STORE_CTX_init(ctx, pki_store(ec->pki), cert, use))
                goto out;
        X509_STORE_CTX_set0_crls(ctx, ec->crls);
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), ec->now);
        X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
        X509_STORE_CTX_set_app_data(ctx, log);
        /* Only the configured intermediates make a CA part the memo can
         * recognise; certificates that came with this one do not. */
        if (ec->memo && vmemo_attach(&memo, ec->memo, ctx, use == inter) < 0)
                goto out;
        ERR_clear_error();
        ok = X509_verify_cert(ctx);
        vmemo_detach(&memo, ctx);
        if (ok <= 0) {
                /* e.g. a public key that cannot be decoded: OpenSSL says
                 * "unspecified" and keeps the real reason in its queue. */
                unsigned long e = ERR_peek_last_error();

                log->internal_error = true;
                log->internal_code = X509_STORE_CTX_get_error(ctx);
                log->internal_detail = e ? ERR_reason_error_string(e) : NULL;
                for (size_t i = 0; i < log->n; i++)
                        if (log->e[i].code == X509_V_ERR_UNSPECIFIED)
                                log->e[i].detail = log->internal_detail;
                if (log->internal_code == X509_V_ERR_OUT_OF_MEM)
                        goto out;
        }
        *chain = X509_STORE_CTX_get1_chain(ctx);
        *num_untrusted = X509_STORE_CTX_get_num_untrusted(ctx);
        drop_anchor_crl_errors(log, *num_untrusted, sk_X509_num(*chain));
        r = 0;
out:
        X509_STORE_CTX_free(ctx);
        sk_X509_free(all);
        ERR_clear_error();
        return r;
}

/* "the certificate" or "CA certificate 'CN=...' (depth 1)" */
static char *who(const struct vfy_error *e)
{
        char *subj, *s = NULL;

        if (e->depth == 0)
                return strdup("the certificate");
        subj = cert_subject(e->cert);
        if (subj && asprintf(&s, "CA certificate '%s' (depth %d)", subj, e->depth) < 0)
                s = NULL;
        free(subj);
        return s;
}

static char *issuer_of(const struct vfy_error *e)
{
        return e->cert ? eval_dn_string(X509_get_issuer_name(e->cert)) : strdup("?");
}

static int add_untrusted(struct cert_result *out, const struct vfy_error *e)
{
        char *w = who(e), *iss = NULL, date[11];
        struct problem *p = NULL;
        time_t t;

        if (!w)
                return -ENOMEM;
        switch (e->code) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
                iss = issuer_of(e);
                if (iss)
                        p = problem_add(&out->problems, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL,
                                        "no path to a configured trust anchor: the issuer '%s' of %s "
                                        "is neither a trust anchor nor a known intermediate (%s)",
                                        iss, w, X509_verify_cert_error_string(e->code));
                break;
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
                p = problem_add(&out->problems, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL,
                                "%s is self-signed and not a configured trust anchor (%s)", w,
                                X509_verify_cert_error_string(e->code));
                break;
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
                if (e->cert && pki_asn1_time(e->code == X509_V_ERR_CERT_HAS_EXPIRED
                                            ? X509_get0_notAfter(e->cert)
                                            : X509_get0_notBefore(e->cert), &t)) {
                        p = problem_add(&out->problems, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL,
                                        e->code == X509_V_ERR_CERT_HAS_EXPIRED
                                        ? "%s expired on %s" : "%s is not valid before %s",
                                        w, util_format_date(t, date));
                        break;
                }
                /* fall through */
        default:
                p = problem_add(&out->problems, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL,
                                "path validation failed: %s: %s", w, err_reason(e));
                break;
        }
        free(iss);
        free(w);
        return p ? 0 : -ENOMEM;
}

static int add_revoked(struct cert_result *out, const struct vfy_error *e)
{
        const char *reason = reason_name(e->revoked_reason);
        char *w = who(e), date[11], when[32] = "is revoked", because[64] = "";
        struct problem *p;

        if (!w)
                return -ENOMEM;
        if (e->has_revoked_at)
                snprintf(when, sizeof(when), "was revoked on %s", util_format_date(e->revoked_at, date));
        if (reason)
                snprintf(because, sizeof(because), " (reason: %s)", reason);
        p = problem_add(&out->problems, PROBLEM_CERT_REVOKED, SW_CRITICAL, "%s %s%s", w, when, because);
        free(w);
        return p ? 0 : -ENOMEM;
}

static int add_policy(const struct pki *pki, struct cert_result *out, const struct vfy_error *e)
{
        const struct cfg_pki *s = pki_settings(pki);
        struct util_buf b = { 0 };
        struct problem *p = NULL;
        char *w = NULL, *msg;

        if (e->code == X509_V_ERR_INVALID_POLICY_EXTENSION) {
                w = who(e);
                b.oom = !w;
                util_buf_add(&b, "%s has an invalid or inconsistent certificate policy extension",
                             w);
        } else if (s->n_require_policy == 0) {
                util_buf_add(&b, "a CA of the chain requires an explicit certificate policy, "
                             "but no policy is valid for the path");
        } else {
                /* The OIDs passed OBJ_txt2obj in pki_load: dotted digits only. */
                util_buf_add(&b, "the path is not valid under the required certificate policy (");
                for (size_t i = 0; i < s->n_require_policy; i++)
                        util_buf_add(&b, "%s%s", i ? ", " : "", s->require_policy[i]);
                util_buf_add(&b, ")");
        }
        free(w);
        msg = util_buf_take(&b);
        if (msg)
                p = problem_add(&out->problems, PROBLEM_CERT_POLICY_MISMATCH, SW_CRITICAL, "%s", msg);
        free(msg);
        return p ? 0 : -ENOMEM;
}

static int add_revocation_unknown(const struct eval_ctx *ec, struct cert_result *out,
                                  const struct vfy_error *e, size_t more)
{
        char *tried = e->cert ? rev_tried(ec->rev, X509_get_issuer_name(e->cert)) : strdup("");
        char *w = who(e), *iss = issuer_of(e), date[11], extra[64] = "", *ex = NULL;
        struct problem *p = NULL;

        if (!w || !iss || !tried)
                goto out;
        if (more > 0)
                snprintf(extra, sizeof(extra), " (and %zu more CRL problem%s in the chain)",
                         more, more == 1 ? "" : "s");
        if (*tried) {
                if (asprintf(&ex, "%s; sources tried: %s", extra, tried) < 0)
                        goto out;
        } else if (!(ex = strdup(extra))) {
                goto out;
        }
        if (e->code == X509_V_ERR_UNABLE_TO_GET_CRL)
                p = problem_add(&out->problems, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING,
                                "revocation status unknown: no CRL of '%s' covers %s%s", iss, w, ex);
        else if (e->code == X509_V_ERR_CRL_HAS_EXPIRED && e->has_crl_next)
                p = problem_add(&out->problems, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING,
                                "revocation status unknown: the CRL of '%s' for %s is outdated "
                                "(its next update was due on %s)%s", iss, w,
                                util_format_date(e->crl_next, date), ex);
        else
                p = problem_add(&out->problems, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING,
                                "revocation status of %s unknown: %s (CRL issuer '%s')%s", w,
                                err_reason(e), iss, ex);
out:
        free(ex);
        free(w);
        free(iss);
        free(tried);
        return p ? 0 : -ENOMEM;
}

static size_t count_class(const struct vfy_log *log, enum err_class c)
{
        size_t n = 0;

        for (size_t i = 0; i < log->n; i++)
                n += classify(&log->e[i]) == c;
        return n;
}

/* path_valid, path_error, revocation and the path's problems. */
static int judge_path(const struct eval_ctx *ec, const struct vfy_log *log, struct cert_result *out)
{
        const struct pki *pki = ec->pki;
        static const enum err_class relevance[] = { EC_REVOKED, EC_CHAIN, EC_EE_VALIDITY, EC_POLICY, EC_CRL };
        const struct vfy_error *first[EC_COUNT];
        const char *stop = !log->internal_error ? NULL : log->internal_detail ? log->internal_detail
                           : X509_verify_cert_error_string(log->internal_code);
        int r = 0;

        first_of_class(log, first);
        out->path_valid = log->n == 0 && !log->internal_error;
        for (size_t i = 0; i < sizeof(relevance) / sizeof(relevance[0]) && !out->path_error; i++)
                if (first[relevance[i]] && path_error_string(first[relevance[i]], &out->path_error) < 0)
                        return -ENOMEM;
        if (!out->path_valid && !out->path_error &&
            asprintf(&out->path_error, "path validation stopped: %s", stop ? stop : "?") < 0) {
                out->path_error = NULL;
                return -ENOMEM;
        }
        if (!pki_settings(pki)->revocation)
                out->revocation = REV_OFF;
        else if (first[EC_REVOKED])
                out->revocation = REV_REVOKED;
        else if (first[EC_CRL] || log->internal_error)
                out->revocation = REV_UNKNOWN;
        else
                out->revocation = REV_GOOD;

        if (first[EC_CHAIN])
                r = add_untrusted(out, first[EC_CHAIN]);
        else if (log->internal_error && !problem_add(&out->problems, PROBLEM_CERT_UNTRUSTED, SW_CRITICAL,
                                                     "path validation stopped: %s", stop))
                r = -ENOMEM;
        if (r == 0 && first[EC_REVOKED])
                r = add_revoked(out, first[EC_REVOKED]);
        if (r == 0 && first[EC_POLICY])
                r = add_policy(pki, out, first[EC_POLICY]);
        /* Without an anchored path, or with a revocation found, "no CRL" adds nothing. */
        if (r == 0 && first[EC_CRL] && !first[EC_CHAIN] && !first[EC_REVOKED] && !log->internal_error)
                r = add_revocation_unknown(ec, out, first[EC_CRL], count_class(log, EC_CRL) - 1);
        return r;
}

/* ---- revocation material of the cycle (revocation.c) ---- */

static int set_rev_source(struct cert_result *out, const char *kind, const char *location,
                          time_t this_update, time_t next_update)
{
        free(out->rev_source.kind);
        free(out->rev_source.location);
        out->rev_source = (struct cert_rev_source){ .kind = strdup(kind),
                                                    .location = strdup(location ? location : "?"),
                                                    .this_update = this_update,
                                                    .next_update = next_update };
        return out->rev_source.kind && out->rev_source.location ? 0 : -ENOMEM;
}

/* The OCSP answers of the cycle decide for the certificates they cover:
 * a missing or outdated CRL there no longer matters, and a revocation
 * the CRLs do not show is added. */
static int apply_ocsp(const struct eval_ctx *ec, STACK_OF(X509) *chain, int num_untrusted,
                      struct vfy_log *log, struct cert_result *out)
{
        const struct rev_material *m = ec->rev;
        struct rev_source src;

        for (int d = 0; m && d < num_untrusted && d < sk_X509_num(chain); d++) {
                X509 *x = sk_X509_value(chain, d);
                bool revoked_noted = false;
                time_t revoked_at;
                int status, reason;
                size_t kept = 0;

                if (!rev_ocsp_status(m, x, &status, &revoked_at, &reason, &src))
                        continue;
                for (size_t i = 0; i < log->n; i++) {
                        if (log->e[i].depth == d && is_crl_error(log->e[i].code)) {
                                X509_free(log->e[i].cert);
                                continue;
                        }
                        revoked_noted |= log->e[i].depth == d && log->e[i].code == X509_V_ERR_CERT_REVOKED;
                        log->e[kept++] = log->e[i];
                }
                log->n = kept;
                if (status == V_OCSP_CERTSTATUS_REVOKED && !revoked_noted && log->n < MAX_VFY_ERRORS &&
                    X509_up_ref(x))
                        log->e[log->n++] = (struct vfy_error){ .depth = d, .code = X509_V_ERR_CERT_REVOKED,
                                                               .cert = x, .has_revoked_at = revoked_at != 0,
                                                               .revoked_at = revoked_at,
                                                               .revoked_reason = reason };
                if (d == 0 && set_rev_source(out, src.kind, src.location, src.this_update,
                                             src.next_update) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The CRL OpenSSL takes for cert: its issuer's, current, the newest. */
static int note_crl_source(const struct eval_ctx *ec, X509 *cert, struct cert_result *out)
{
        STACK_OF(X509_CRL) *crls = ec->crls;
        time_t now = ec->now;
        X509_CRL *best = NULL;
        struct rev_source src;
        time_t t, n;
        const char *path;

        if (out->rev_source.kind || (out->revocation != REV_GOOD && out->revocation != REV_REVOKED))
                return 0;
        for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
                X509_CRL *crl = sk_X509_CRL_value(crls, i);

                if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0 ||
                    !pki_asn1_time(X509_CRL_get0_lastUpdate(crl), &t) || t > now ||
                    !pki_asn1_time(X509_CRL_get0_nextUpdate(crl), &n) || n <= now)
                        continue;
                if (!best || ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl),
                                               X509_CRL_get0_lastUpdate(best)) > 0)
                        best = crl;
        }
        if (!best)
                return 0;
        pki_asn1_time(X509_CRL_get0_lastUpdate(best), &t);
        pki_asn1_time(X509_CRL_get0_nextUpdate(best), &n);
        if (rev_crl_source(ec->rev, best, &src))
                return set_rev_source(out, src.kind, src.location, t, n);
        path = pki_crl_path(ec->pki, best);
        return path ? set_rev_source(out, "file", path, t, n) : 0;
}

/* ---- the certificate itself ---- */

/* The fields that need no verification; *times_ok when both validity
 * times could be read (else the verifier reports ERROR_IN_CERT_*). */
static int describe(X509 *x, time_t now, struct cert_result *out, bool *times_ok)
{
        out->subject = eval_dn_string(X509_get_subject_name(x));
        out->issuer = eval_dn_string(X509_get_issuer_name(x));
        out->serial = eval_serial_hex(x);
        if (!out->subject || !out->issuer || !out->serial || !pki_sha256_hex(x, out->sha256))
                return -ENOMEM;
        *times_ok = pki_asn1_time(X509_get0_notBefore(x), &out->not_before) &&
                    pki_asn1_time(X509_get0_notAfter(x), &out->not_after);
        out->days_left = util_days_until(now, out->not_after);
        return 0;
}

/* The same boundaries as OpenSSL: valid from notBefore, expired at notAfter. */
static int check_validity(time_t now, struct cert_result *out)
{
        char date[11];

        if (now < out->not_before &&
            !problem_add(&out->problems, PROBLEM_CERT_NOT_YET_VALID, SW_CRITICAL,
                         "the certificate is not valid before %s", util_format_date(out->not_before, date)))
                return -ENOMEM;
        if (now >= out->not_after) {
                long ago = (long)((now - out->not_after) / 86400);

                if (!problem_add(&out->problems, PROBLEM_CERT_EXPIRED, SW_CRITICAL,
                                 "the certificate expired on %s (%s%ld day%s ago)",
                                 util_format_date(out->not_after, date), ago == 0 ? "less than " : "",
                                 ago == 0 ? 1 : ago, ago > 1 ? "s" : ""))
                        return -ENOMEM;
        }
        return 0;
}

static bool weak_digest(int nid)
{
        return nid == NID_md2 || nid == NID_md4 || nid == NID_md5 || nid == NID_md5_sha1 ||
               nid == NID_sha1 || nid == NID_mdc2;
}

/* Every certificate the path does not take from the trust store: OpenSSL
 * accepts SHA-1 and MD5 signatures unless told otherwise, S/MIME must not. */
static int check_signatures(X509 *cert, STACK_OF(X509) *chain, int num_untrusted,
                            struct cert_result *out)
{
        int n = chain ? num_untrusted : 1, weak = 0;
        struct vfy_error first = { 0 };
        const char *hash = NULL, *alg = NULL;
        struct problem *p;
        char *w;

        for (int i = 0; i < n; i++) {
                X509 *x = chain ? sk_X509_value(chain, i) : cert;
                int md = NID_undef;

                if (!x || !X509_get_signature_info(x, &md, NULL, NULL, NULL) || !weak_digest(md))
                        continue;
                if (weak++ == 0) {
                        first = (struct vfy_error){ .depth = i, .cert = x };
                        hash = OBJ_nid2sn(md);
                        alg = OBJ_nid2ln(X509_get_signature_nid(x));
                }
        }
        ERR_clear_error();
        if (weak == 0)
                return 0;
        w = who(&first);
        if (!w)
                return -ENOMEM;
        p = problem_add(&out->problems, PROBLEM_CERT_WEAK_SIGNATURE, SW_CRITICAL,
                        "%s is signed with %s (%s), which is no longer secure%s", w, hash, alg,
                        weak > 1 ? " (so are other certificates of the chain)" : "");
        free(w);
        return p ? 0 : -ENOMEM;
}

/* ---- key ---- */

enum key_family { FAM_OTHER, FAM_RSA, FAM_EC, FAM_DSA };

struct key_facts {
        enum key_family family;
        int bits;
        unsigned caps;                  /* enum key_cap */
        const char *type;               /* for messages */
};

static void ec_key_name(EVP_PKEY *pk, char *key, size_t n)
{
        char group[64];
        int nid;

        if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL)) {
                /* explicit curve parameters instead of a named curve */
                snprintf(key, n, "EC-EXPLICIT");
                return;
        }
        nid = OBJ_sn2nid(group);
        if (nid == NID_undef)
                nid = OBJ_txt2nid(group);
        switch (nid) {
        case NID_X9_62_prime256v1: snprintf(key, n, "EC-P256"); break;
        case NID_secp384r1: snprintf(key, n, "EC-P384"); break;
        case NID_secp521r1: snprintf(key, n, "EC-P521"); break;
        case NID_secp224r1: snprintf(key, n, "EC-P224"); break;
        case NID_X9_62_prime192v1: snprintf(key, n, "EC-P192"); break;
        default: snprintf(key, n, "EC-%.28s", nid != NID_undef ? OBJ_nid2sn(nid) : group); break;
        }
}

static const struct key_type {
        int id;                         /* EVP_PKEY_ base id */
        enum key_family family;
        unsigned caps;
        const char *type;               /* for messages */
        const char *name;               /* for the key string */
        bool with_bits;                 /* "RSA-3072" rather than "ED25519" */
} key_types[] = {
        { EVP_PKEY_RSA, FAM_RSA, CAP_TRANSPORT | CAP_SIGN, "RSA", "RSA", true },
        /* RSASSA-PSS keys are restricted to signatures (RFC 4055). */
        { EVP_PKEY_RSA_PSS, FAM_RSA, CAP_SIGN, "RSA-PSS", "RSA-PSS", true },
        { EVP_PKEY_EC, FAM_EC, CAP_AGREEMENT | CAP_SIGN, "EC", "EC", false },
        { EVP_PKEY_DSA, FAM_DSA, CAP_SIGN, "DSA", "DSA", true },
        { EVP_PKEY_ED25519, FAM_OTHER, CAP_SIGN, "Ed25519", "ED25519", false },
        { EVP_PKEY_ED448, FAM_OTHER, CAP_SIGN, "Ed448", "ED448", false },
        { EVP_PKEY_X25519, FAM_OTHER, CAP_AGREEMENT, "X25519", "X25519", false },
        { EVP_PKEY_X448, FAM_OTHER, CAP_AGREEMENT, "X448", "X448", false },
};

static void key_facts(X509 *x, struct cert_result *out, struct key_facts *k)
{
        EVP_PKEY *pk = X509_get0_pubkey(x);
        const struct key_type *t = NULL;
        const char *name;

        *k = (struct key_facts){ .family = FAM_OTHER, .type = "unknown" };
        if (!pk) {
                ERR_clear_error();
                snprintf(out->key, sizeof(out->key), "UNKNOWN");
                return;
        }
        k->bits = EVP_PKEY_get_bits(pk);
        for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
                if (key_types[i].id == EVP_PKEY_get_base_id(pk))
                        t = &key_types[i];
        if (!t) {
                name = EVP_PKEY_get0_type_name(pk);
                snprintf(out->key, sizeof(out->key), "%s", name ? name : "UNKNOWN");
                for (char *c = out->key; *c; c++)
                        if (*c >= 'a' && *c <= 'z')
                                *c = (char)(*c - 'a' + 'A');
                return;
        }
        *k = (struct key_facts){ t->family, k->bits, t->caps, t->type };
        if (t->family == FAM_EC)
                ec_key_name(pk, out->key, sizeof(out->key));
        else if (t->with_bits)
                snprintf(out->key, sizeof(out->key), "%s-%d", t->name, k->bits);
        else
                snprintf(out->key, sizeof(out->key), "%s", t->name);
}

/* DSA is a finite-field scheme like RSA: the same sizes apply. */
static int check_key(const struct cfg_pki *s, const struct key_facts *k, struct cert_result *out)
{
        const char *setting;
        unsigned min;
        int floor;

        switch (k->family) {
        case FAM_RSA:
        case FAM_DSA:
                floor = RSA_FLOOR_BITS, min = s->min_rsa_bits, setting = "min_rsa_bits";
                break;
        case FAM_EC:
                floor = EC_FLOOR_BITS, min = s->min_ec_bits, setting = "min_ec_bits";
                break;
        default:
                return 0;
        }
        if (k->bits < floor)
                return problem_add(&out->problems, PROBLEM_CERT_WEAK_KEY, SW_CRITICAL,
                                   "the %s key has only %d bits; below %d bits it is unusable",
                                   k->type, k->bits, floor) ? 0 : -ENOMEM;
        if ((unsigned)k->bits < min)
                return problem_add(&out->problems, PROBLEM_CERT_WEAK_KEY, SW_WARNING,
                                   "the %s key has %d bits, fewer than %s = %u",
                                   k->type, k->bits, setting, min) ? 0 : -ENOMEM;
        return 0;
}

/* ---- usages ---- */

static char *ku_list(uint32_t ku)
{
        static const struct { uint32_t bit; const char *name; } names[] = {
                { KU_DIGITAL_SIGNATURE, "digitalSignature" }, { KU_NON_REPUDIATION, "nonRepudiation" },
                { KU_KEY_ENCIPHERMENT, "keyEncipherment" }, { KU_DATA_ENCIPHERMENT, "dataEncipherment" },
                { KU_KEY_AGREEMENT, "keyAgreement" }, { KU_KEY_CERT_SIGN, "keyCertSign" },
                { KU_CRL_SIGN, "cRLSign" }, { KU_ENCIPHER_ONLY, "encipherOnly" },
                { KU_DECIPHER_ONLY, "decipherOnly" },
        };
        struct util_buf b = { 0 };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (ku & names[i].bit)
                        util_buf_item(&b, ", ", names[i].name);
        if (b.len == 0)
                util_buf_add(&b, "none");
        return util_buf_take(&b);
}

static char *eku_list(X509 *x)
{
        EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
        struct util_buf b = { 0 };
        char oid[80];

        for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
                ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
                int nid = OBJ_obj2nid(o);

                if (nid != NID_undef)
                        snprintf(oid, sizeof(oid), "%s", OBJ_nid2sn(nid));
                else if (OBJ_obj2txt(oid, sizeof(oid), o, 1) <= 0)
                        snprintf(oid, sizeof(oid), "?");
                if (b.len + strlen(oid) + 8 >= EKU_LIST_MAX) {
                        util_buf_add(&b, ", ...");
                        break;
                }
                util_buf_item(&b, ", ", oid);
        }
        EXTENDED_KEY_USAGE_free(eku);
        ERR_clear_error();
        if (b.len == 0)
                util_buf_add(&b, "none");
        return util_buf_take(&b);
}

static int wrong_usage(X509 *x, const struct key_facts *k, uint32_t ku, bool eku_ok,
                       struct cert_result *out)
{
        const char *enc = k->caps & CAP_TRANSPORT ? "keyEncipherment"
                          : (ku & KU_ENCIPHER_ONLY) ? "keyAgreement without encipherOnly"
                          : "keyAgreement";
        struct problem *p = NULL;
        char *list = NULL;

        if (X509_get_extension_flags(x) & EXFLAG_INVALID)
                p = problem_add(&out->problems, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                                "the certificate's extensions are malformed or duplicated, "
                                "so it permits no usage");
        else if (!eku_ok && (list = eku_list(x)))
                p = problem_add(&out->problems, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                                "the extended key usage (%s) does not include emailProtection", list);
        else if (k->caps == 0)
                p = problem_add(&out->problems, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                                "a key of type %s (%s) can be used neither to encrypt nor to sign",
                                k->type, out->key);
        else if (!(list = ku_list(ku)))
                p = NULL;
        else if ((k->caps & CAP_SIGN) && (k->caps & (CAP_TRANSPORT | CAP_AGREEMENT)))
                p = problem_add(&out->problems, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                                "the key usage (%s) allows neither %s (encryption) nor "
                                "digitalSignature or nonRepudiation (signature)", list, enc);
        else if (k->caps & CAP_SIGN)
                p = problem_add(&out->problems, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                                "the key usage (%s) allows neither digitalSignature nor "
                                "nonRepudiation, and %s keys cannot encrypt", list, k->type);
        else
                p = problem_add(&out->problems, PROBLEM_CERT_WRONG_USAGE, SW_CRITICAL,
                                "the key usage (%s) does not allow %s, and %s keys cannot sign",
                                list, enc, k->type);
        free(list);
        return p ? 0 : -ENOMEM;
}

/* Key usage and extended key usage, absent = not restricting. */
static int check_usages(X509 *x, const struct key_facts *k, struct cert_result *out)
{
        uint32_t ku = X509_get_key_usage(x), xku = X509_get_extended_key_usage(x);
        bool has_ku = ku != UINT32_MAX;
        bool eku_ok = xku == UINT32_MAX || (xku & (XKU_SMIME | XKU_ANYEKU));
        bool transport = (k->caps & CAP_TRANSPORT) && (!has_ku || (ku & KU_KEY_ENCIPHERMENT));
        /* encipherOnly: the holder could not decrypt what others send it. */
        bool agreement = (k->caps & CAP_AGREEMENT) &&
                         (!has_ku || ((ku & KU_KEY_AGREEMENT) && !(ku & KU_ENCIPHER_ONLY)));
        bool sign = (k->caps & CAP_SIGN) &&
                    (!has_ku || (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)));

        ERR_clear_error();
        out->usages = 0;
        if (eku_ok && (transport || agreement))
                out->usages |= USAGE_ENCRYPTION;
        if (eku_ok && sign)
                out->usages |= USAGE_SIGNATURE;
        if (out->usages)
                return 0;
        return wrong_usage(x, k, has_ku ? ku : 0, eku_ok, out);
}

/* ---- address ---- */

struct seen_addresses {
        char *items[MAX_LISTED_ADDRESSES];
        size_t n, more;
};

/* Notes an address the certificate names; true when it is the mailbox. */
static bool address_is(const unsigned char *data, int len, const char *address,
                       struct seen_addresses *seen)
{
        char *copy, *esc = NULL;
        bool eq;

        if (!data || len <= 0)
                return false;
        if (seen->n < MAX_LISTED_ADDRESSES)
                esc = util_cut((const char *)data, (size_t)len, ADDR_MAX_LEN);
        if (esc)
                seen->items[seen->n++] = esc;
        else
                seen->more++;
        /* An embedded NUL could make a different address look equal. */
        if (memchr(data, 0, (size_t)len))
                return false;
        copy = strndup((const char *)data, (size_t)len);
        eq = copy && util_address_equal(copy, address);
        free(copy);
        return eq;
}

static bool san_has(X509 *x, const char *address, struct seen_addresses *seen)
{
        GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        bool found = false;

        for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
                GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

                if (g->type == GEN_EMAIL &&
                    address_is(ASN1_STRING_get0_data(g->d.rfc822Name),
                               ASN1_STRING_length(g->d.rfc822Name), address, seen))
                        found = true;
        }
        GENERAL_NAMES_free(gens);
        ERR_clear_error();
        return found;
}

static bool subject_has(X509 *x, const char *address, struct seen_addresses *seen)
{
        const X509_NAME *name = X509_get_subject_name(x);
        bool found = false;

        for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_pkcs9_emailAddress, i)) >= 0;) {
                ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
                unsigned char *utf8 = NULL;
                int len = ASN1_STRING_to_UTF8(&utf8, v);

                if (len > 0 && address_is(utf8, len, address, seen))
                        found = true;
                OPENSSL_free(utf8);
        }
        ERR_clear_error();
        return found;
}

static char *seen_list(const struct seen_addresses *seen)
{
        struct util_buf b = { 0 };

        for (size_t i = 0; i < seen->n; i++)
                util_buf_add(&b, "%s'%s'", i ? ", " : "", seen->items[i]);
        if (seen->more)
                util_buf_add(&b, " and %zu more", seen->more);
        return util_buf_take(&b);
}

/* The problem, if any, of an address that is not in subjectAltName. */
static struct problem *address_problem(X509 *x, const char *address, const char *want,
                                       struct seen_addresses *seen, struct cert_result *out)
{
        struct problem *p = NULL;
        char *list;

        if (subject_has(x, address, seen))
                return problem_add(&out->problems, PROBLEM_CERT_SUBJECT_EMAIL_ONLY, SW_WARNING,
                                   "'%s' is only in the subject's emailAddress, not in "
                                   "subjectAltName", want);
        if (seen->n + seen->more == 0)
                return problem_add(&out->problems, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL,
                                   "the certificate names no mail address, not '%s'", want);
        list = seen_list(seen);
        if (list)
                p = problem_add(&out->problems, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL,
                                "the certificate is for %s, not for '%s'", list, want);
        free(list);
        return p;
}

static int check_address(X509 *x, const char *address, struct cert_result *out)
{
        struct seen_addresses seen = { .n = 0 };
        char *want = util_cut(address, strlen(address), ADDR_MAX_LEN);
        int r = -ENOMEM;

        if (!want)
                return -ENOMEM;
        if (san_has(x, address, &seen) || address_problem(x, address, want, &seen, out))
                r = 0;
        for (size_t i = 0; i < seen.n; i++)
                free(seen.items[i]);
        free(want);
        return r;
}

/* ---- the entry points ---- */

void eval_ctx_init(struct eval_ctx *ctx, const struct pki *pki, time_t now)
{
        *ctx = (struct eval_ctx){ .pki = pki, .now = now, .crls = pki_crls(pki), .rev = NULL };
}

int eval_cert(const struct eval_ctx *ctx, X509 *cert, STACK_OF(X509) *untrusted,
              const char *address, struct cert_result *out)
{
        const struct pki *pki = ctx->pki;
        time_t now = ctx->now;
        struct vfy_log log = { .n = 0 };
        STACK_OF(X509) *chain = NULL;
        struct key_facts k;
        int num_untrusted = 0, r;
        bool times_ok = false;

        memset(out, 0, sizeof(*out));
        out->parsed = true;
        r = describe(cert, now, out, &times_ok);
        if (r < 0)
                goto out;
        key_facts(cert, out, &k);
        r = run_verify(ctx, cert, untrusted, &log, &chain, &num_untrusted);
        if (r == 0)
                r = apply_ocsp(ctx, chain, num_untrusted, &log, out);
        if (r < 0)
                goto out;
        r = times_ok ? check_validity(now, out) : 0;
        if (r == 0)
                r = judge_path(ctx, &log, out);
        if (r == 0)
                r = note_crl_source(ctx, cert, out);
        if (r == 0)
                r = check_signatures(cert, chain, num_untrusted, out);
        if (r == 0)
                r = check_key(pki_settings(pki), &k, out);
        if (r == 0)
                r = check_usages(cert, &k, out);
        if (r == 0 && address)
                r = check_address(cert, address, out);
        if (r < 0)
                goto out;
        /* REVOCATION_UNKNOWN, a weak-key warning and SUBJECT_EMAIL_ONLY are warnings. */
        out->usable_for = problem_list_worst(&out->problems) == SW_CRITICAL ? 0 : out->usages;
out:
        vfy_log_free(&log);
        sk_X509_pop_free(chain, X509_free);
        ERR_clear_error();
        if (r < 0)
                cert_result_free(out);
        return r;
}

int eval_unparsable(const unsigned char *data, size_t len, const char *why,
                    struct cert_result *out)
{
        char *esc = NULL;
        int r = -ENOMEM;

        memset(out, 0, sizeof(*out));
        out->revocation = REV_UNKNOWN;
        if (!pki_sha256_data_hex(data ? data : (const unsigned char *)"", data ? len : 0, out->sha256))
                goto out;
        why = why ? why : "unknown reason";
        esc = util_cut(why, strlen(why), 512);
        if (!esc || !problem_add(&out->problems, PROBLEM_CERT_UNPARSABLE, SW_CRITICAL,
                                 "the value is not a certificate: %s", esc))
                goto out;
        r = 0;
out:
        free(esc);
        ERR_clear_error();
        if (r < 0)
                cert_result_free(out);
        return r;
}

void cert_result_free(struct cert_result *r)
{
        if (!r)
                return;
        char *strings[] = { r->attribute, r->origin, r->subject, r->issuer, r->serial,
                            r->path_error, r->rev_source.kind,
                            r->rev_source.location };

        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
                free(strings[i]);
        problem_list_free(&r->problems);
        memset(r, 0, sizeof(*r));
}
