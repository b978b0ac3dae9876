/* SPDX-License-Identifier: EUPL-1.2 */
/* The policy check without OpenSSL 3.0's leak (src/policycheck.c) against
 * OpenSSL's own: every PKITS certificate, and crafted paths whose end
 * entity or CA has a policyConstraints extension with certificatePolicies
 * absent, empty or naming a policy twice, are verified through a store
 * with the hook and one without, with and without an explicit policy and
 * an initial policy set; the errors (code, depth, certificate) and the
 * result must be the same. OpenSSL's own runs leak on the crafted paths
 * (that is why the hook exists), so under LeakSanitizer they run with
 * leak detection off; the hooked runs keep it on. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "policycheck.h"
#include "testlib.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LSAN_OFF() __lsan_disable()
#define LSAN_ON() __lsan_enable()
#else
#define LSAN_OFF() ((void)0)
#define LSAN_ON() ((void)0)
#endif

#define MAX_ERRS 32

struct verdict {
        int ok, n;
        int code[MAX_ERRS], depth[MAX_ERRS];
        X509 *cert[MAX_ERRS];
};

static int record(int ok, X509_STORE_CTX *ctx)
{
        struct verdict *v = X509_STORE_CTX_get_app_data(ctx);

        if (!ok && v->n < MAX_ERRS) {
                v->code[v->n] = X509_STORE_CTX_get_error(ctx);
                v->depth[v->n] = X509_STORE_CTX_get_error_depth(ctx);
                v->cert[v->n] = X509_STORE_CTX_get_current_cert(ctx);
                v->n++;
        }
        return 1;
}

enum mode { MODE_PLAIN, MODE_EXPLICIT, MODE_EXPLICIT_OID, MODE_COUNT };

static void verify(X509_STORE *store, X509 *ee, STACK_OF(X509) *untrusted, enum mode m,
                   struct verdict *v)
{
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        X509_VERIFY_PARAM *param;

        memset(v, 0, sizeof(*v));
        ck_assert(ctx && X509_STORE_CTX_init(ctx, store, ee, untrusted));
        param = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_POLICY_CHECK | X509_V_FLAG_PARTIAL_CHAIN |
                                                   X509_V_FLAG_NO_CHECK_TIME);
        if (m != MODE_PLAIN)
                X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_EXPLICIT_POLICY);
        if (m == MODE_EXPLICIT_OID) {
                STACK_OF(ASN1_OBJECT) *oids = sk_ASN1_OBJECT_new_null();

                ck_assert(oids && sk_ASN1_OBJECT_push(oids, OBJ_txt2obj("1.2.3.4", 1)));
                ck_assert(sk_ASN1_OBJECT_push(oids, OBJ_txt2obj("2.16.840.1.101.3.2.1.48.1", 1)));
                ck_assert(X509_VERIFY_PARAM_set1_policies(param, oids));
                sk_ASN1_OBJECT_pop_free(oids, ASN1_OBJECT_free);
        }
        X509_STORE_CTX_set_verify_cb(ctx, record);
        X509_STORE_CTX_set_app_data(ctx, v);
        v->ok = X509_verify_cert(ctx);
        X509_STORE_CTX_free(ctx);
}

/* Two sets of the same certificates, one per way, so that neither sees
 * the policy caches the other built: a (hooked) and b (OpenSSL's own). */
struct twin {
        X509 *ee[2];
        STACK_OF(X509) *untrusted[2];
};

static int same_both_ways(X509 *anchor, const struct twin *t, const char *what)
{
        X509_STORE *hooked = X509_STORE_new(), *own = X509_STORE_new();
        int policy_errors = 0;

        ck_assert(hooked && own && X509_STORE_add_cert(hooked, anchor) && X509_STORE_add_cert(own, anchor));
        ck_assert_int_eq(policycheck_install(hooked), 0);
        for (enum mode m = 0; m < MODE_COUNT; m++) {
                struct verdict a, b;

                verify(hooked, t->ee[0], t->untrusted[0], m, &a);
                LSAN_OFF();
                verify(own, t->ee[1], t->untrusted[1], m, &b);
                LSAN_ON();
                ck_assert_msg(a.ok == b.ok && a.n == b.n, "%s (mode %d): ok %d/%d, %d/%d errors", what,
                              m, a.ok, b.ok, a.n, b.n);
                for (int i = 0; i < a.n; i++) {
                        ck_assert_msg(a.code[i] == b.code[i] && a.depth[i] == b.depth[i] &&
                                      (a.cert[i] && b.cert[i] ? X509_cmp(a.cert[i], b.cert[i]) == 0
                                                              : a.cert[i] == b.cert[i]),
                                      "%s (mode %d), error %d: %d at %d, OpenSSL %d at %d", what, m, i,
                                      a.code[i], a.depth[i], b.code[i], b.depth[i]);
                        policy_errors += a.code[i] == X509_V_ERR_INVALID_POLICY_EXTENSION ||
                                         a.code[i] == X509_V_ERR_NO_EXPLICIT_POLICY;
                }
        }
        X509_STORE_free(hooked);
        X509_STORE_free(own);
        return policy_errors;
}

static X509 *read_cert(const char *path)
{
        FILE *f = fopen(path, "r");
        X509 *x;

        ck_assert_msg(f, "%s", path);
        x = PEM_read_X509(f, NULL, NULL, NULL);
        if (!x) {
                rewind(f);
                x = d2i_X509_fp(f, NULL);
        }
        fclose(f);
        ck_assert_msg(x, "%s", path);
        return x;
}

START_TEST(pkits_both_ways)
{
        char *dir = tl_path(tl_srcdir(), "tests/data/pkits/certs");
        STACK_OF(X509) *all[2] = { sk_X509_new_null(), sk_X509_new_null() };
        X509 *anchor = NULL;
        int leaking = 0, policy_errors = 0;
        struct dirent *e;
        DIR *d = opendir(dir);

        ck_assert(d && all[0] && all[1]);
        while ((e = readdir(d))) {
                char *path;

                if (!strstr(e->d_name, ".crt"))
                        continue;
                path = tl_path(dir, e->d_name);
                if (strcmp(e->d_name, "TrustAnchorRootCertificate.crt") == 0) {
                        anchor = read_cert(path);
                } else {
                        ck_assert(sk_X509_push(all[0], read_cert(path)));
                        ck_assert(sk_X509_push(all[1], read_cert(path)));
                }
                free(path);
        }
        closedir(d);
        ck_assert(anchor);
        for (int i = 0; i < sk_X509_num(all[0]); i++)
                leaking += policycheck_would_leak(sk_X509_value(all[0], i));
        for (int i = 0; i < sk_X509_num(all[0]); i++) {
                struct twin t = { { sk_X509_value(all[0], i), sk_X509_value(all[1], i) },
                                  { all[0], all[1] } };
                char what[32];

                snprintf(what, sizeof(what), "PKITS certificate %d", i);
                policy_errors += same_both_ways(anchor, &t, what);
        }
        fprintf(stderr, "PKITS: %d certificates, %d that OpenSSL's cache would leak, %d policy errors\n",
                sk_X509_num(all[0]), leaking, policy_errors);
        ck_assert_int_gt(policy_errors, 0);
        sk_X509_pop_free(all[0], X509_free);
        sk_X509_pop_free(all[1], X509_free);
        X509_free(anchor);
        free(dir);
}
END_TEST

/* Each crafted case: the CA's and the end entity's extensions. */
static const struct {
        const char *name, *ca_ext, *ee_ext;
        bool leaks_ca, leaks_ee;
} cases[] = {
        { "ee-twice", "", "policyConstraints = requireExplicitPolicy:0\n"
                          "certificatePolicies = 1.2.3.4, 1.2.3.4\n", false, true },
        { "ee-any-twice", "", "policyConstraints = inhibitPolicyMapping:1\n"
                              "certificatePolicies = 2.5.29.32.0, 2.5.29.32.0\n", false, true },
        { "ee-none", "", "policyConstraints = requireExplicitPolicy:0\n", false, true },
        { "ee-none-map", "", "policyConstraints = inhibitPolicyMapping:0\n", false, true },
        { "ee-empty", "", "policyConstraints = requireExplicitPolicy:3\n"
                          "certificatePolicies = DER:3000\n", false, true },
        { "ca-none", "policyConstraints = requireExplicitPolicy:0\n",
          "certificatePolicies = 1.2.3.4\n", true, false },
        { "ca-none-later", "policyConstraints = requireExplicitPolicy:1\n",
          "certificatePolicies = 1.2.3.4\n", true, false },
        { "ca-twice", "policyConstraints = requireExplicitPolicy:0\n"
                      "certificatePolicies = 1.2.3.4, 1.2.3.4\n",
          "certificatePolicies = 1.2.3.4\n", true, false },
        { "ca-empty-ee-twice", "policyConstraints = requireExplicitPolicy:5\n"
                               "certificatePolicies = DER:3000\n",
          "certificatePolicies = 1.2.3.5, 1.2.3.5\n", true, false },
        { "both", "policyConstraints = requireExplicitPolicy:0\n",
          "policyConstraints = requireExplicitPolicy:0\ncertificatePolicies = 1.2.3.4, 1.2.3.4\n",
          true, true },
        { "ca-ok-ee-none", "policyConstraints = requireExplicitPolicy:0\n"
                           "certificatePolicies = 1.2.3.4\n",
          "policyConstraints = inhibitPolicyMapping:2\n", false, true },
        { "no-leak", "certificatePolicies = 1.2.3.4\n", "certificatePolicies = 1.2.3.4\n",
          false, false },
};

START_TEST(crafted_both_ways)
{
        char *tmp = tl_mkdtemp(), *root, *ca, *ee;
        struct twin t;
        X509 *anchor;
        int i = _i, r;

        r = tl_sh("set -e; cd '%s'\n"
                  "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n"
                  "key root.key; key ca.key; key ee.key\n"
                  "printf '[v3]\\nbasicConstraints = critical,CA:true\\nkeyUsage = keyCertSign,cRLSign\\n%%s' '%s' > ca.ext\n"
                  "printf '[v3]\\nkeyUsage = digitalSignature\\n%%s' '%s' > ee.ext\n"
                  "openssl req -x509 -new -key root.key -subj /CN=root -days 30 -out root.pem "
                  "-addext basicConstraints=critical,CA:true -addext keyUsage=keyCertSign,cRLSign\n"
                  "openssl req -new -key ca.key -subj /CN=ca -out ca.csr\n"
                  "openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -set_serial 2 -days 30 "
                  "-extfile ca.ext -extensions v3 -out ca.pem 2>/dev/null\n"
                  "openssl req -new -key ee.key -subj /CN=ee -out ee.csr\n"
                  "openssl x509 -req -in ee.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 30 "
                  "-extfile ee.ext -extensions v3 -out ee.pem 2>/dev/null\n",
                  tmp, cases[i].ca_ext, cases[i].ee_ext);
        ck_assert_msg(r == 0, "%s: making the certificates failed", cases[i].name);
        root = tl_path(tmp, "root.pem");
        ca = tl_path(tmp, "ca.pem");
        ee = tl_path(tmp, "ee.pem");
        anchor = read_cert(root);
        for (int w = 0; w < 2; w++) {
                t.ee[w] = read_cert(ee);
                t.untrusted[w] = sk_X509_new_null();
                ck_assert(t.untrusted[w] && sk_X509_push(t.untrusted[w], read_cert(ca)));
        }
        ck_assert_msg(policycheck_would_leak(sk_X509_value(t.untrusted[0], 0)) == cases[i].leaks_ca,
                      "%s: CA", cases[i].name);
        ck_assert_msg(policycheck_would_leak(t.ee[0]) == cases[i].leaks_ee, "%s: end entity",
                      cases[i].name);
        fprintf(stderr, "%s: %d policy errors\n", cases[i].name, same_both_ways(anchor, &t, cases[i].name));
        for (int w = 0; w < 2; w++) {
                sk_X509_pop_free(t.untrusted[w], X509_free);
                X509_free(t.ee[w]);
        }
        X509_free(anchor);
        free(root);
        free(ca);
        free(ee);
        tl_rm_rf(tmp);
        free(tmp);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("policycheck");
        TCase *t = tcase_create("both_ways");

        tcase_set_timeout(t, 120);
        tcase_add_test(t, pkits_both_ways);
        tcase_add_loop_test(t, crafted_both_ways, 0, sizeof(cases) / sizeof(cases[0]));
        suite_add_tcase(s, t);
        return tl_run_suite(s);
}
