/* SPDX-License-Identifier: EUPL-1.2 */
/* OpenSSL 3.0's policy check without its leak. policy_cache_new()
 * (crypto/x509/pcy_cache.c, still in Debian 12's 3.0.19; fixed upstream by
 * openssl/openssl#31678) returns early without freeing the decoded
 * policyConstraints of a certificate whose policyConstraints it accepts
 * (a field set, none negative) when its certificatePolicies is absent,
 * empty or names a policy twice: 42 bytes per certificate object, once,
 * when the policy check first builds that certificate's policy cache. The
 * service decodes the directory's certificates afresh at every check, so
 * one such entry (hostile or merely odd) would grow the daemon at every
 * check for as long as it runs.
 *
 * The store's check_policy hook hands every path without such a
 * certificate below its anchor to OpenSSL's own check_policy. A path with
 * one needs no policy tree: such a certificate makes tree_init() return
 * "invalid" (a policy named twice) or "empty" (none), so that
 * X509_policy_check()'s answer follows from tree_init()'s second loop
 * alone, which looks at four things per certificate: self-issued, its
 * policy extensions invalid, no policy data, requireExplicitPolicy. Here
 * those come from the extensions decoded as policy_cache_new() decodes
 * them, except "invalid" of the other certificates, which is OpenSSL's own
 * flag once X509_policy_check() has built their cache (which does not leak
 * for them). That loop runs here, and its answer is reported as
 * check_policy() reports it (error, depth, certificate, callback).
 * Not reproduced: X509_STORE_CTX_get_explicit_policy() stays 0 where
 * OpenSSL would set it (a failed explicit policy); smimewatch does not read
 * it, nor the tree, which is NULL on these paths with OpenSSL too, nor uses
 * DANE (bare trust anchor keys). tests/check_policycheck.c compares the
 * verdicts with OpenSSL's own on PKITS and on crafted paths. */
#include "policycheck.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

static X509_STORE_CTX_check_policy_fn def_check_policy;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* OpenSSL's own function, as a context on a store without hooks has it. */
static void init_once(void)
{
        X509_STORE *store = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();

        if (store && ctx && X509_STORE_CTX_init(ctx, store, NULL, NULL))
                def_check_policy = X509_STORE_CTX_get_check_policy(ctx);
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
        ERR_clear_error();
}

enum pcons { PCONS_ABSENT, PCONS_BAD, PCONS_OK };
enum cpols { CPOLS_ABSENT, CPOLS_BAD, CPOLS_EMPTY, CPOLS_TWICE, CPOLS_OK };

/* One certificate as tree_init() sees it. */
struct profile {
        bool leaks;             /* policy_cache_new() would lose its policyConstraints */
        bool invalid;           /* EXFLAG_INVALID_POLICY */
        bool no_data;           /* no policy data: the tree is empty */
        bool self_issued;       /* EXFLAG_SI */
        long explicit_skip;     /* requireExplicitPolicy, -1: none */
};

/* policyConstraints as policy_cache_new() and policy_cache_set_int()
 * judge it. */
static enum pcons read_pcons(X509 *x, long *skip)
{
        int crit;
        POLICY_CONSTRAINTS *pc = X509_get_ext_d2i(x, NID_policy_constraints, &crit, NULL);
        enum pcons s = PCONS_OK;

        *skip = -1;
        if (!pc)
                return crit == -1 ? PCONS_ABSENT : PCONS_BAD;
        if (!pc->requireExplicitPolicy && !pc->inhibitPolicyMapping)
                s = PCONS_BAD;
        else if ((pc->requireExplicitPolicy &&
                  ASN1_STRING_type(pc->requireExplicitPolicy) == V_ASN1_NEG_INTEGER) ||
                 (pc->inhibitPolicyMapping &&
                  ASN1_STRING_type(pc->inhibitPolicyMapping) == V_ASN1_NEG_INTEGER))
                s = PCONS_BAD;
        else if (pc->requireExplicitPolicy)
                *skip = ASN1_INTEGER_get(pc->requireExplicitPolicy);
        POLICY_CONSTRAINTS_free(pc);
        return s;
}

static int oid_cmp(const ASN1_OBJECT *const *a, const ASN1_OBJECT *const *b)
{
        return OBJ_cmp(*a, *b);
}

/* Whether a policy is named twice, as policy_cache_create() finds it:
 * anyPolicy twice, or another OID twice. */
static int named_twice(const CERTIFICATEPOLICIES *cp, bool *twice)
{
        STACK_OF(ASN1_OBJECT) *ids = sk_ASN1_OBJECT_new(oid_cmp);
        int any = 0;

        *twice = false;
        if (!ids)
                return -ENOMEM;
        for (int i = 0; i < sk_POLICYINFO_num(cp); i++) {
                ASN1_OBJECT *id = sk_POLICYINFO_value(cp, i)->policyid;

                if (OBJ_obj2nid(id) == NID_any_policy)
                        any++;
                else if (!sk_ASN1_OBJECT_push(ids, id)) {
                        sk_ASN1_OBJECT_free(ids);
                        return -ENOMEM;
                }
        }
        sk_ASN1_OBJECT_sort(ids);
        *twice = any > 1;
        for (int i = 1; i < sk_ASN1_OBJECT_num(ids) && !*twice; i++)
                *twice = OBJ_cmp(sk_ASN1_OBJECT_value(ids, i - 1), sk_ASN1_OBJECT_value(ids, i)) == 0;
        sk_ASN1_OBJECT_free(ids);
        return 0;
}

/* certificatePolicies as policy_cache_new() and policy_cache_create()
 * judge it; a policy named twice is looked for only when asked. */
static int read_cpols(X509 *x, bool look_twice, enum cpols *ret)
{
        int crit, r = 0;
        CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
        bool twice = false;

        if (!cp) {
                *ret = crit == -1 ? CPOLS_ABSENT : CPOLS_BAD;
                return 0;
        }
        if (sk_POLICYINFO_num(cp) <= 0)
                *ret = CPOLS_EMPTY;
        else if (look_twice && (r = named_twice(cp, &twice)) == 0)
                *ret = twice ? CPOLS_TWICE : CPOLS_OK;
        else
                *ret = CPOLS_OK;
        CERTIFICATEPOLICIES_free(cp);
        return r;
}

static int profile(X509 *x, struct profile *p)
{
        enum cpols cp;
        enum pcons pc;
        long skip;
        int r;

        /* Decoding errors here are OpenSSL's to report, when it decodes. */
        ERR_set_mark();
        pc = read_pcons(x, &skip);
        r = read_cpols(x, pc == PCONS_OK, &cp);
        ERR_pop_to_mark();
        if (r < 0)
                return r;
        *p = (struct profile){
                .leaks = pc == PCONS_OK && (cp == CPOLS_ABSENT || cp == CPOLS_EMPTY || cp == CPOLS_TWICE),
                .invalid = pc == PCONS_OK && cp == CPOLS_TWICE,
                .no_data = cp == CPOLS_ABSENT || cp == CPOLS_EMPTY,
                .self_issued = (X509_get_extension_flags(x) & EXFLAG_SI) != 0,
                .explicit_skip = skip,
        };
        return 0;
}

bool policycheck_would_leak(X509 *x)
{
        struct profile p;

        return profile(x, &p) == 0 && p.leaks;
}

/* Builds x's policy cache as tree_init()'s first loop does (for x not
 * leaking), so that its "invalid" flag is OpenSSL's own. */
static int build_cache(X509 *x)
{
        STACK_OF(X509) *path = sk_X509_new_null();
        X509_POLICY_TREE *tree = NULL;
        int explicit_policy, r;

        if (!path || !sk_X509_push(path, x) || !sk_X509_push(path, x)) {
                sk_X509_free(path);
                return -ENOMEM;
        }
        r = X509_policy_check(&tree, &explicit_policy, path, NULL, 0);
        X509_policy_tree_free(tree);
        sk_X509_free(path);
        return r == X509_PCY_TREE_INTERNAL ? -ENOMEM : 0;
}

/* tree_init()'s second loop and X509_policy_check()'s answer for an
 * empty tree; p[0] is the end entity, p[n - 1] the certificate below the
 * anchor. A leaking certificate is invalid or has no data, and the loop
 * goes on until it has seen one that is either. */
static int answer(const struct profile *p, int n, bool explicit_required)
{
        int explicit_policy = explicit_required ? 0 : n + 1;
        bool empty = false;

        for (int i = n - 1; i >= 0 && (explicit_policy > 0 || !empty); i--) {
                if (p[i].invalid)
                        return X509_PCY_TREE_INVALID;
                if (p[i].no_data)
                        empty = true;
                if (explicit_policy > 0) {
                        if (!p[i].self_issued)
                                explicit_policy--;
                        if (p[i].explicit_skip >= 0 && p[i].explicit_skip < explicit_policy)
                                explicit_policy = (int)p[i].explicit_skip;
                }
        }
        if (!empty)
                return X509_PCY_TREE_INTERNAL;
        return explicit_policy == 0 ? X509_PCY_TREE_FAILURE : X509_PCY_TREE_VALID;
}

/* check_policy()'s reporting of X509_policy_check()'s answer. */
static int report(X509_STORE_CTX *ctx, const struct profile *p, int n, int answer_)
{
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        X509_STORE_CTX_verify_cb cb = X509_STORE_CTX_get_verify_cb(ctx);
        unsigned long flags = X509_VERIFY_PARAM_get_flags(X509_STORE_CTX_get0_param(ctx));

        switch (answer_) {
        case X509_PCY_TREE_INVALID:
                for (int i = 0; i < sk_X509_num(chain); i++) {
                        X509 *x = sk_X509_value(chain, i);
                        bool invalid = i < n ? p[i].invalid
                                             : (X509_get_extension_flags(x) & EXFLAG_INVALID_POLICY) != 0;

                        if (!invalid)
                                continue;
                        X509_STORE_CTX_set_error_depth(ctx, i);
                        X509_STORE_CTX_set_current_cert(ctx, x);
                        X509_STORE_CTX_set_error(ctx, X509_V_ERR_INVALID_POLICY_EXTENSION);
                        if (!cb(0, ctx))
                                return 0;
                }
                return 1;
        case X509_PCY_TREE_FAILURE:
                X509_STORE_CTX_set_current_cert(ctx, NULL);
                X509_STORE_CTX_set_error(ctx, X509_V_ERR_NO_EXPLICIT_POLICY);
                return cb(0, ctx);
        case X509_PCY_TREE_VALID:
                if (flags & X509_V_FLAG_NOTIFY_POLICY) {
                        X509_STORE_CTX_set_current_cert(ctx, NULL);
                        if (!cb(2, ctx))
                                return 0;
                }
                return 1;
        default:
                X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
                return 0;
        }
}

static int guarded_check_policy(X509_STORE_CTX *ctx)
{
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        int n = sk_X509_num(chain) - 1; /* RFC 5280 paths omit the anchor */
        unsigned long flags = X509_VERIFY_PARAM_get_flags(X509_STORE_CTX_get0_param(ctx));
        struct profile *p = NULL;
        bool leaks = false;
        int r = 0;

        if (n <= 0 || X509_STORE_CTX_get0_parent_ctx(ctx))
                return def_check_policy(ctx);
        p = calloc((size_t)n, sizeof(*p));
        if (!p)
                goto out;
        for (int i = 0; i < n; i++) {
                if (profile(sk_X509_value(chain, i), &p[i]) < 0)
                        goto out;
                leaks |= p[i].leaks;
        }
        if (!leaks) {
                r = def_check_policy(ctx);
                goto done;
        }
        for (int i = 0; i < n; i++) {
                X509 *x = sk_X509_value(chain, i);

                if (p[i].leaks)
                        continue;
                if (build_cache(x) < 0)
                        goto out;
                p[i].invalid = (X509_get_extension_flags(x) & EXFLAG_INVALID_POLICY) != 0;
        }
        r = report(ctx, p, n, answer(p, n, flags & X509_V_FLAG_EXPLICIT_POLICY));
        goto done;
out:
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_OUT_OF_MEM);
        r = 0;
done:
        free(p);
        return r;
}

int policycheck_install(X509_STORE *store)
{
        pthread_once(&once, init_once);
        if (!def_check_policy)
                return -ENOMEM;
        X509_STORE_set_check_policy(store, guarded_check_policy);
        return 0;
}
