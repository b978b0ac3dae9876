/* SPDX-License-Identifier: EUPL-1.2 */
/* The verification memo: OpenSSL 3.0 verifies, for every certificate, the
 * signature of each CA certificate of its path and of every CRL it checks
 * (a hash over the whole CRL: with 100,000 entries that dominates a cycle),
 * although none of it changes from one certificate to the next. This memo
 * remembers, per cycle, what OpenSSL's own functions found about a path's
 * CA part and replays it, through the verifier's supported hooks
 * (X509_STORE_set_check_revocation, _set_check_crl, _set_cert_crl,
 * _set_verify):
 *
 * Revocation (check_revocation). With CRL_CHECK_ALL, OpenSSL checks each
 * chain position i on its own: the CRL it picks, that CRL's checks and its
 * signature depend only on chain[i..], the untrusted set, the CRLs, the
 * store and the parameters; for the end entity (i = 0) also on its issuer
 * name, its CA/proxy/freshest flags and its CRL distribution points, and
 * only the lookup of its serial (cert_crl) on anything else. The first
 * certificate with a given CA part and such a "profile" runs OpenSSL's
 * check_revocation and is recorded: the errors at i >= 1, and which CRLs
 * cert_crl was called with at i = 0. A later one with the same key gets
 * OpenSSL's cert_crl on those CRLs for itself, then the recorded errors, in
 * OpenSSL's order. A recording is kept only when it has that simple shape:
 * no error at i = 0 but cert_crl's own, each check_crl followed by the
 * cert_crl of the same CRL (no delta CRLs), and check_revocation returned 1.
 *
 * Signatures (verify, OpenSSL's internal_verify). Positions i >= 1 depend
 * only on chain[1..]; position 0 is the certificate's signature by chain[1]
 * and its validity times. When a recording of the same CA part reported no
 * error at i >= 1, a later certificate (not a proxy) gets only position 0,
 * done as internal_verify does it: X509_verify() and X509_cmp_time(), or,
 * for the common case, their steps with what does not change from one
 * certificate to the next made once (struct leaf_check, cmp_time()).
 *
 * tests/check_vmemo.c runs PKITS and the test PKIs through both ways and
 * requires identical verdicts. Only pointer-identical CA certificates from
 * the configuration and one memo per (pki, CRL set, time) can hit, and the
 * memo holds references to everything it compares by address. */
#include "vmemo.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"

#define VMEMO_MAX_ENTRIES 4096
#define PROFILE_MAX 4096

enum kind { KIND_REVOCATION, KIND_SIGNATURES };

struct event {                          /* a verify callback call with ok = 0 */
        int code, depth;
        X509 *cert;
        X509_CRL *crl;                  /* the current CRL at the time, or NULL */
};

struct crl_call {                       /* cert_crl at depth 0 */
        X509_CRL *crl;
        X509_CRL *current;              /* ctx's current CRL during the call */
};

/* X509_verify(x, key) spends a tenth of a cycle on setting up: each call
 * fetches the digest, the signature algorithm and the key's manager anew
 * (EVP_DigestVerifyInit()). For certificates signed with RSA PKCS#1 v1.5
 * by chain[1] a signatures entry keeps that key's verification context,
 * made once with the digest of the certificate that was recorded, and
 * leaf_verify() gives each later certificate with the same signature
 * algorithm a copy of it. */
struct leaf_check {
        EVP_PKEY_CTX *pctx;             /* NULL: not applicable, X509_verify() */
        EVP_MD *md;
        int sig_nid;                    /* the signature algorithm it is for */
};

struct entry {
        enum kind kind;
        X509 **suffix;                  /* chain[1..]: referenced */
        int n_suffix;
        unsigned char *profile;
        size_t profile_len;
        struct event *events;
        size_t n_events;
        struct crl_call *calls;
        size_t n_calls;
        struct leaf_check leaf;         /* signatures only */
};

struct vmemo {
        pthread_mutex_t lock;
        struct entry **entries;
        size_t n, cap;
};

struct recording {
        struct event *events;
        size_t n_events, cap_events;
        struct crl_call *calls;
        size_t n_calls, cap_calls;
        X509_CRL *pending;              /* checked at depth 0, not yet looked up */
        size_t ca_errors;               /* while verifying signatures */
        struct leaf_check leaf;
        bool in_revocation, in_verify;
};

static int ex_index = -1;
static X509_STORE_CTX_check_revocation_fn def_check_revocation;
static X509_STORE_CTX_check_crl_fn def_check_crl;
static X509_STORE_CTX_cert_crl_fn def_cert_crl;
static X509_STORE_CTX_verify_fn def_verify;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* OpenSSL's own functions, as a context on a store without hooks has them. */
static void init_once(void)
{
        X509_STORE *store = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();

        if (store && ctx && X509_STORE_CTX_init(ctx, store, NULL, NULL)) {
                def_check_revocation = X509_STORE_CTX_get_check_revocation(ctx);
                def_check_crl = X509_STORE_CTX_get_check_crl(ctx);
                def_cert_crl = X509_STORE_CTX_get_cert_crl(ctx);
                def_verify = X509_STORE_CTX_get_verify(ctx);
                ex_index = X509_STORE_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        }
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
        ERR_clear_error();
}

static bool ready(void)
{
        pthread_once(&once, init_once);
        return ex_index >= 0 && def_check_revocation && def_check_crl && def_cert_crl && def_verify;
}

static struct vmemo_run *run_of(X509_STORE_CTX *ctx)
{
        return ex_index >= 0 ? X509_STORE_CTX_get_ex_data(ctx, ex_index) : NULL;
}

X509_CRL *vmemo_current_crl(X509_STORE_CTX *ctx)
{
        struct vmemo_run *run = run_of(ctx);

        return run && run->replaying ? run->replay_crl : X509_STORE_CTX_get0_current_crl(ctx);
}

/* ---- the memo ---- */

static void events_free(struct event *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                X509_free(e[i].cert);
                X509_CRL_free(e[i].crl);
        }
        free(e);
}

static void calls_free(struct crl_call *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                X509_CRL_free(c[i].crl);
                X509_CRL_free(c[i].current);
        }
        free(c);
}

static void leaf_check_free(struct leaf_check *lc)
{
        EVP_PKEY_CTX_free(lc->pctx);
        EVP_MD_free(lc->md);
        memset(lc, 0, sizeof(*lc));
}

static void entry_free(struct entry *e)
{
        if (!e)
                return;
        leaf_check_free(&e->leaf);
        for (int i = 0; i < e->n_suffix; i++)
                X509_free(e->suffix[i]);
        free(e->suffix);
        free(e->profile);
        events_free(e->events, e->n_events);
        calls_free(e->calls, e->n_calls);
        free(e);
}

int vmemo_new(struct vmemo **ret)
{
        struct vmemo *m;

        if (!ready())
                return -ENOMEM;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        if (pthread_mutex_init(&m->lock, NULL) != 0) {
                free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 0;
}

void vmemo_free(struct vmemo *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n; i++)
                entry_free(m->entries[i]);
        free(m->entries);
        pthread_mutex_destroy(&m->lock);
        free(m);
}

static bool entry_matches(const struct entry *e, enum kind kind, STACK_OF(X509) *chain,
                          const unsigned char *profile, size_t profile_len)
{
        if (e->kind != kind || e->n_suffix != sk_X509_num(chain) - 1 ||
            e->profile_len != profile_len || memcmp(e->profile, profile, profile_len) != 0)
                return false;
        for (int i = 0; i < e->n_suffix; i++)
                if (e->suffix[i] != sk_X509_value(chain, i + 1))
                        return false;
        return true;
}

/* Entries never change once added and live as long as the memo. */
static const struct entry *lookup(struct vmemo *m, enum kind kind, STACK_OF(X509) *chain,
                                  const unsigned char *profile, size_t profile_len)
{
        const struct entry *found = NULL;

        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n && !found; i++)
                if (entry_matches(m->entries[i], kind, chain, profile, profile_len))
                        found = m->entries[i];
        pthread_mutex_unlock(&m->lock);
        return found;
}

/* Takes over rec's events and calls; a failure only means no memo.
 * gcc -fanalyzer (GCC 12) loses the realloc()ed array once it is stored
 * into m->entries (m owns it, vmemo_free() frees it) and reports it as
 * leaked at the end. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static void remember(struct vmemo *m, enum kind kind, STACK_OF(X509) *chain,
                     const unsigned char *profile, size_t profile_len, struct recording *rec)
{
        struct entry *e = calloc(1, sizeof(*e));
        int n = sk_X509_num(chain) - 1;

        if (!e)
                return;
        e->kind = kind;
        e->suffix = calloc((size_t)n, sizeof(*e->suffix));
        e->profile = malloc(profile_len ? profile_len : 1);
        if (!e->suffix || !e->profile) {
                entry_free(e);
                return;
        }
        for (; e->n_suffix < n; e->n_suffix++) {
                X509 *x = sk_X509_value(chain, e->n_suffix + 1);

                if (!X509_up_ref(x)) {
                        entry_free(e);
                        return;
                }
                e->suffix[e->n_suffix] = x;
        }
        if (profile_len)
                memcpy(e->profile, profile, profile_len);
        e->profile_len = profile_len;
        e->events = rec->events, e->n_events = rec->n_events;
        e->calls = rec->calls, e->n_calls = rec->n_calls;
        e->leaf = rec->leaf;
        rec->events = NULL, rec->n_events = 0;
        rec->calls = NULL, rec->n_calls = 0;
        rec->leaf = (struct leaf_check){ 0 };

        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++)
                if (entry_matches(m->entries[i], kind, chain, profile, profile_len)) {
                        pthread_mutex_unlock(&m->lock);
                        entry_free(e);
                        return;
                }
        if (m->n == m->cap && m->cap < VMEMO_MAX_ENTRIES) {
                size_t cap = m->cap ? 2 * m->cap : 8;
                struct entry **entries = realloc(m->entries, cap * sizeof(*entries));

                if (entries)
                        m->entries = entries, m->cap = cap;
        }
        if (m->n < m->cap) {
                m->entries[m->n++] = e;
                e = NULL;
        }
        pthread_mutex_unlock(&m->lock);
        entry_free(e);
}
#pragma GCC diagnostic pop

/* ---- recording ---- */

static void recording_free(struct recording *rec)
{
        events_free(rec->events, rec->n_events);
        calls_free(rec->calls, rec->n_calls);
        leaf_check_free(&rec->leaf);
        memset(rec, 0, sizeof(*rec));
}

static bool push_event(struct recording *rec, X509_STORE_CTX *ctx)
{
        X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
        X509_CRL *crl = vmemo_current_crl(ctx);
        struct event *e;

        if (rec->n_events == rec->cap_events) {
                size_t cap = rec->cap_events ? 2 * rec->cap_events : 4;
                struct event *events = realloc(rec->events, cap * sizeof(*events));

                if (!events)
                        return false;
                rec->events = events, rec->cap_events = cap;
        }
        if ((cert && !X509_up_ref(cert)) || (crl && !X509_CRL_up_ref(crl))) {
                if (cert)
                        X509_free(cert);
                return false;
        }
        e = &rec->events[rec->n_events++];
        *e = (struct event){ .code = X509_STORE_CTX_get_error(ctx),
                             .depth = X509_STORE_CTX_get_error_depth(ctx), .cert = cert, .crl = crl };
        return true;
}

static bool push_call(struct recording *rec, X509_CRL *crl, X509_CRL *current)
{
        if (rec->n_calls == rec->cap_calls) {
                size_t cap = rec->cap_calls ? 2 * rec->cap_calls : 2;
                struct crl_call *calls = realloc(rec->calls, cap * sizeof(*calls));

                if (!calls)
                        return false;
                rec->calls = calls, rec->cap_calls = cap;
        }
        if (!X509_CRL_up_ref(crl))
                return false;
        if (current && !X509_CRL_up_ref(current)) {
                X509_CRL_free(crl);
                return false;
        }
        rec->calls[rec->n_calls++] = (struct crl_call){ .crl = crl, .current = current };
        return true;
}

static int memo_verify_cb(int ok, X509_STORE_CTX *ctx)
{
        struct vmemo_run *run = run_of(ctx);
        struct recording *rec;
        int depth;

        if (!run) {
                /* A CRL issuer's own path (check_crl_path): its context has
                 * the parent's callback but none of our data. */
                X509_STORE_CTX *parent = X509_STORE_CTX_get0_parent_ctx(ctx);

                run = parent ? run_of(parent) : NULL;
                return run && run->inner ? run->inner(ok, ctx) : ok;
        }
        rec = run->rec;
        if (!ok && rec && !run->replaying) {
                depth = X509_STORE_CTX_get_error_depth(ctx);
                if (rec->in_revocation && depth == 0 && !run->in_cert_crl)
                        run->spoiled = true;
                else if (rec->in_revocation && depth > 0 && !push_event(rec, ctx))
                        run->spoiled = true;
                else if (rec->in_verify && depth > 0)
                        rec->ca_errors++;
        }
        return run->inner(ok, ctx);
}

static int memo_check_crl(X509_STORE_CTX *ctx, X509_CRL *crl)
{
        struct vmemo_run *run = run_of(ctx);
        struct recording *rec = run ? run->rec : NULL;

        if (rec && rec->in_revocation && !run->replaying && X509_STORE_CTX_get_error_depth(ctx) == 0) {
                /* A delta CRL checked after its base: not the simple shape. */
                if (rec->pending)
                        run->spoiled = true;
                rec->pending = crl;
        }
        return def_check_crl(ctx, crl);
}

static int memo_cert_crl(X509_STORE_CTX *ctx, X509_CRL *crl, X509 *x)
{
        struct vmemo_run *run = run_of(ctx);
        struct recording *rec = run ? run->rec : NULL;
        int r;

        if (!rec || !rec->in_revocation || run->replaying || X509_STORE_CTX_get_error_depth(ctx) != 0)
                return def_cert_crl(ctx, crl, x);
        if (rec->pending != crl || !push_call(rec, crl, X509_STORE_CTX_get0_current_crl(ctx)))
                run->spoiled = true;
        rec->pending = NULL;
        run->in_cert_crl = true;
        r = def_cert_crl(ctx, crl, x);
        run->in_cert_crl = false;
        return r;
}

/* ---- keys ---- */

/* What OpenSSL's CRL selection reads of the end entity: its issuer name,
 * CA, proxy and freshestCRL flags, and its CRL distribution points.
 * 0 when it cannot be expressed (malformed extensions, too large). */
static size_t leaf_profile(X509 *x, unsigned char *buf, size_t size)
{
        uint32_t flags = X509_get_extension_flags(x);
        const unsigned char *name = NULL;
        const ASN1_OCTET_STRING *dp = NULL;
        size_t name_len = 0, dp_len, len;
        int at;

        if (flags & EXFLAG_INVALID)
                return 0;
        flags &= EXFLAG_CA | EXFLAG_PROXY | EXFLAG_FRESHEST;
        if (!X509_NAME_get0_der(X509_get_issuer_name(x), &name, &name_len))
                return 0;
        at = X509_get_ext_by_NID(x, NID_crl_distribution_points, -1);
        if (at >= 0)
                dp = X509_EXTENSION_get_data(X509_get_ext(x, at));
        dp_len = dp ? (size_t)ASN1_STRING_length(dp) : 0;
        len = sizeof(flags) + sizeof(name_len) + name_len + 1 + dp_len;
        if (len > size)
                return 0;
        memcpy(buf, &flags, sizeof(flags));
        memcpy(buf + sizeof(flags), &name_len, sizeof(name_len));
        memcpy(buf + sizeof(flags) + sizeof(name_len), name, name_len);
        buf[sizeof(flags) + sizeof(name_len) + name_len] = dp ? 1 : 0;
        if (dp_len)
                memcpy(buf + len - dp_len, ASN1_STRING_get0_data(dp), dp_len);
        return len;
}

/* ---- revocation ---- */

static int replay_revocation(struct vmemo_run *run, X509_STORE_CTX *ctx, STACK_OF(X509) *chain,
                             const struct entry *e)
{
        X509 *leaf = sk_X509_value(chain, 0);
        int last = sk_X509_num(chain) - 1, ok = 1;

        run->replaying = true;
        for (size_t i = 0; ok && i < e->n_calls; i++) {
                X509_STORE_CTX_set_error_depth(ctx, 0);
                X509_STORE_CTX_set_current_cert(ctx, leaf);
                run->replay_crl = e->calls[i].current;
                ok = def_cert_crl(ctx, e->calls[i].crl, leaf) != 0;
        }
        for (size_t i = 0; ok && i < e->n_events; i++) {
                X509_STORE_CTX_set_error_depth(ctx, e->events[i].depth);
                X509_STORE_CTX_set_current_cert(ctx, e->events[i].cert);
                X509_STORE_CTX_set_error(ctx, e->events[i].code);
                run->replay_crl = e->events[i].crl;
                ok = run->inner(0, ctx) != 0;
        }
        run->replaying = false;
        run->replay_crl = NULL;
        if (!ok)
                return 0;
        /* Where OpenSSL's loop leaves the context. */
        X509_STORE_CTX_set_error_depth(ctx, last);
        X509_STORE_CTX_set_current_cert(ctx, sk_X509_value(chain, last));
        return 1;
}

static int memo_check_revocation(X509_STORE_CTX *ctx)
{
        const unsigned long all = X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
        struct vmemo_run *run = run_of(ctx);
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        unsigned char profile[PROFILE_MAX];
        struct recording rec = { .in_revocation = true };
        const struct entry *e;
        size_t len;
        int ok;

        if (!run || !run->memo || !run->usable || sk_X509_num(chain) < 2 ||
            (X509_VERIFY_PARAM_get_flags(X509_STORE_CTX_get0_param(ctx)) & all) != all ||
            (len = leaf_profile(sk_X509_value(chain, 0), profile, sizeof(profile))) == 0)
                return def_check_revocation(ctx);
        e = lookup(run->memo, KIND_REVOCATION, chain, profile, len);
        if (e)
                return replay_revocation(run, ctx, chain, e);
        run->rec = &rec;
        run->spoiled = false;
        ok = def_check_revocation(ctx);
        run->rec = NULL;
        if (ok == 1 && !run->spoiled && !rec.pending)
                remember(run->memo, KIND_REVOCATION, chain, profile, len, &rec);
        recording_free(&rec);
        return ok;
}

/* ---- signatures ---- */

static int report(struct vmemo_run *run, X509_STORE_CTX *ctx, X509 *x, int code)
{
        X509_STORE_CTX_set_error_depth(ctx, 0);
        X509_STORE_CTX_set_current_cert(ctx, x);
        X509_STORE_CTX_set_error(ctx, code);
        return run->inner(0, ctx);
}

/* The leaf check for certificates signed like leaf by issuer's key, when
 * that is RSA PKCS#1 v1.5 with a digest; else lc stays empty. */
static void leaf_check_init(struct leaf_check *lc, X509 *leaf, X509 *issuer)
{
        EVP_PKEY *pkey = X509_get0_pubkey(issuer);
        const X509_ALGOR *alg;
        int nid, md_nid, pk_nid;

        X509_get0_signature(NULL, &alg, leaf);
        nid = OBJ_obj2nid(alg->algorithm);
        if (!pkey || EVP_PKEY_get_id(pkey) != EVP_PKEY_RSA ||
            !OBJ_find_sigid_algs(nid, &md_nid, &pk_nid) || pk_nid != NID_rsaEncryption ||
            md_nid == NID_undef)
                goto out;
        lc->md = EVP_MD_fetch(NULL, OBJ_nid2sn(md_nid), NULL);
        lc->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (!lc->md || !lc->pctx || EVP_PKEY_verify_init(lc->pctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(lc->pctx, RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_signature_md(lc->pctx, lc->md) <= 0)
                leaf_check_free(lc);
        else
                lc->sig_nid = nid;
out:
        ERR_clear_error();
}

/* X509_verify(x, key of chain[1]) with lc: its checks in its order (the
 * outer and inner signature algorithms alike, no unused bits in the
 * signature, the digest of the to-be-signed part as encoded, RSA_verify()
 * through the same provider); -2 when lc is not for x's signature
 * algorithm. */
static int leaf_verify(const struct leaf_check *lc, X509 *x)
{
        const ASN1_BIT_STRING *sig;
        const X509_ALGOR *alg;
        const unsigned char *p, *tbs;
        unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        EVP_PKEY_CTX *pctx = NULL;
        long len;
        int der_len, tag, cls, r = -1;

        X509_get0_signature(&sig, &alg, x);
        if (!lc->pctx || OBJ_obj2nid(alg->algorithm) != lc->sig_nid)
                return -2;
        if (X509_ALGOR_cmp(alg, X509_get0_tbs_sigalg(x)) != 0)
                return 0;
        if (sig->type == V_ASN1_BIT_STRING && (sig->flags & 0x7))
                return -1;
        /* Certificate ::= SEQUENCE { tbsCertificate, ... }; i2d_X509()
         * gives the to-be-signed part as it was decoded. */
        der_len = i2d_X509(x, &der);
        p = der;
        if (der_len <= 0 || (ASN1_get_object(&p, &len, &tag, &cls, der_len) & 0x80))
                goto out;
        tbs = p;
        if ((ASN1_get_object(&p, &len, &tag, &cls, der_len - (p - der)) & 0x80) ||
            len > der_len - (p - der))
                goto out;
        if (!EVP_Digest(tbs, (size_t)(p - tbs) + (size_t)len, md, &md_len, lc->md, NULL) ||
            !(pctx = EVP_PKEY_CTX_dup(lc->pctx)))
                goto out;
        r = EVP_PKEY_verify(pctx, sig->data, (size_t)sig->length, md, md_len);
out:
        EVP_PKEY_CTX_free(pctx);
        OPENSSL_free(der);
        return r;
}

/* X509_cmp_time(t, at) without turning *at into an ASN1_TIME and back on
 * every call: the same format checks, then -1 when t is at or before the
 * time, 1 after it, 0 when t is malformed. */
static int cmp_time(const ASN1_TIME *t, const time_t *at)
{
        time_t tt;

        if (!t || (t->type == V_ASN1_UTCTIME ? t->length != 13
                   : t->type != V_ASN1_GENERALIZEDTIME || t->length != 15))
                return 0;
        for (int i = 0; i < t->length - 1; i++)
                if (t->data[i] < '0' || t->data[i] > '9')
                        return 0;
        if (t->data[t->length - 1] != 'Z' || !pki_asn1_time(t, &tt))
                return 0;
        return tt <= (at ? *at : time(NULL)) ? -1 : 1;
}

/* internal_verify's last step: the certificate's signature by chain[1]
 * (whose key usage and key the recording found fine) and its times. */
static int verify_leaf(struct vmemo_run *run, X509_STORE_CTX *ctx, STACK_OF(X509) *chain,
                       const struct leaf_check *lc)
{
        X509_VERIFY_PARAM *vpm = X509_STORE_CTX_get0_param(ctx);
        unsigned long flags = X509_VERIFY_PARAM_get_flags(vpm);
        X509 *xs = sk_X509_value(chain, 0);
        EVP_PKEY *pkey = X509_get0_pubkey(sk_X509_value(chain, 1));
        time_t t, *at = NULL;
        int i;

        if (!pkey)
                return def_verify(ctx);
        i = leaf_verify(lc, xs);
        if (i == -2)
                i = X509_verify(xs, pkey);
        if (i <= 0 && !report(run, ctx, xs, X509_V_ERR_CERT_SIGNATURE_FAILURE))
                return 0;
        if (flags & X509_V_FLAG_USE_CHECK_TIME) {
                t = X509_VERIFY_PARAM_get_time(vpm);
                at = &t;
        }
        if (!(flags & X509_V_FLAG_USE_CHECK_TIME) && (flags & X509_V_FLAG_NO_CHECK_TIME)) {
                /* no time checks */
        } else {
                i = cmp_time(X509_get0_notBefore(xs), at);
                if (i == 0 && !report(run, ctx, xs, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD))
                        return 0;
                if (i > 0 && !report(run, ctx, xs, X509_V_ERR_CERT_NOT_YET_VALID))
                        return 0;
                i = cmp_time(X509_get0_notAfter(xs), at);
                if (i == 0 && !report(run, ctx, xs, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD))
                        return 0;
                if (i < 0 && !report(run, ctx, xs, X509_V_ERR_CERT_HAS_EXPIRED))
                        return 0;
        }
        X509_STORE_CTX_set_error_depth(ctx, 0);
        X509_STORE_CTX_set_current_cert(ctx, xs);
        return run->inner(1, ctx) ? 1 : 0;
}

static int memo_verify(X509_STORE_CTX *ctx)
{
        struct vmemo_run *run = run_of(ctx);
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        struct recording rec = { .in_verify = true };
        const struct entry *e;
        int ok;

        if (!run || !run->memo || !run->usable || sk_X509_num(chain) < 2 ||
            (X509_get_extension_flags(sk_X509_value(chain, 0)) & (EXFLAG_PROXY | EXFLAG_INVALID)))
                return def_verify(ctx);
        e = lookup(run->memo, KIND_SIGNATURES, chain, (const unsigned char *)"", 0);
        if (e)
                return verify_leaf(run, ctx, chain, &e->leaf);
        run->rec = &rec;
        run->spoiled = false;
        ok = def_verify(ctx);
        run->rec = NULL;
        if (ok == 1 && !run->spoiled && rec.ca_errors == 0) {
                leaf_check_init(&rec.leaf, sk_X509_value(chain, 0), sk_X509_value(chain, 1));
                remember(run->memo, KIND_SIGNATURES, chain, (const unsigned char *)"", 0, &rec);
        }
        recording_free(&rec);
        return ok;
}

/* ---- attaching ---- */

int vmemo_install(X509_STORE *store)
{
        if (!ready())
                return -ENOMEM;
        X509_STORE_set_check_revocation(store, memo_check_revocation);
        X509_STORE_set_check_crl(store, memo_check_crl);
        X509_STORE_set_cert_crl(store, memo_cert_crl);
        X509_STORE_set_verify(store, memo_verify);
        return 0;
}

int vmemo_attach(struct vmemo_run *run, struct vmemo *m, X509_STORE_CTX *ctx,
                 bool configured_untrusted)
{
        *run = (struct vmemo_run){ .memo = m, .inner = X509_STORE_CTX_get_verify_cb(ctx),
                                   .usable = configured_untrusted };
        if (!ready() || !X509_STORE_CTX_set_ex_data(ctx, ex_index, run))
                return -ENOMEM;
        X509_STORE_CTX_set_verify_cb(ctx, memo_verify_cb);
        return 0;
}

void vmemo_detach(struct vmemo_run *run, X509_STORE_CTX *ctx)
{
        if (ctx && ex_index >= 0)
                X509_STORE_CTX_set_ex_data(ctx, ex_index, NULL);
        run->memo = NULL;
}
