/* SPDX-License-Identifier: EUPL-1.2 */
/* NIST PKITS through pki_load + eval_cert, as tests/data/pkits/README.md
 * describes: every case's path_valid must match PKITS, except two that
 * OpenSSL 3 cannot decide as PKITS expects. Every case also goes through
 * the verification memo (src/vmemo.c), per case and all cases in one PKI,
 * which must give the same verdicts as the full path. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "evalcmp.h"
#include "evaluate.h"
#include "pki.h"
#include "testlib.h"
#include "util.h"
#include "vmemo.h"

#define N_CASES 246

static const struct {
        const char *id;
        const char *why;
} known_exceptions[] = {
        { "4.1.5", "DSA parameter inheritance: the end entity's DSA key leaves its domain "
                   "parameters to be inherited from the issuing CA, which OpenSSL 3 does not "
                   "support (it cannot decode the key)" },
        { "4.14.30", "CRL issuer path: the CRL is signed by a separate cRLIssuer certificate, "
                     "and OpenSSL does not validate that signer's path as PKITS expects "
                     "(it reports a CRL path validation error)" },
};
#define N_EXCEPTIONS (sizeof(known_exceptions) / sizeof(known_exceptions[0]))

struct pkits_case {
        char *fields[9];        /* id title expect anchor intermediates crls policies explicit ee */
};

/* Splits a comma-separated field ("-" = none) into a new vector. */
static char **split(const char *field, size_t *n)
{
        char *copy, *tok, *save = NULL, **v = NULL;

        *n = 0;
        if (strcmp(field, "-") == 0)
                return NULL;
        copy = strdup(field);
        ck_assert_ptr_nonnull(copy);
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                v = realloc(v, (*n + 1) * sizeof(*v));
                ck_assert_ptr_nonnull(v);
                v[(*n)++] = strdup(tok);
        }
        free(copy);
        return v;
}

static void free_vec(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static char *data_path(const char *kind, const char *name, const char *ext)
{
        char *p;

        ck_assert_int_ge(asprintf(&p, "%s/tests/data/pkits/%s/%s.%s", tl_srcdir(), kind, name, ext), 0);
        return p;
}

/* The case's CA certificates as a directory of symbolic links, which is
 * also how an administrator would point intermediates at a set of files. */
static char *intermediates_dir(const char *tmp, int index, const char *field)
{
        size_t n;
        char **names = split(field, &n), *dir;

        if (n == 0)
                return NULL;
        ck_assert_int_ge(asprintf(&dir, "%s/case%d", tmp, index), 0);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        for (size_t i = 0; i < n; i++) {
                char *target = data_path("certs", names[i], "crt"), *link;

                ck_assert_int_ge(asprintf(&link, "%s/%s.crt", dir, names[i]), 0);
                ck_assert_int_eq(symlink(target, link), 0);
                free(target);
                free(link);
        }
        free_vec(names, n);
        return dir;
}

/* x twice through one memo (recorded, then replayed) and the full path. */
static void memo_twice(const struct pki *pki, X509 *x, time_t at, const char *id)
{
        struct cert_result full, memod;
        struct vmemo *memo = NULL;

        ck_assert_int_eq(vmemo_new(&memo), 0);
        for (int pass = 0; pass < 2; pass++) {
                tl_eval_both(pki, memo, x, NULL, at, id, &full, &memod);
                cert_result_free(&full);
                cert_result_free(&memod);
        }
        vmemo_free(memo);
}

/* The case again with everything (anchors, intermediates, the end entity)
 * decoded by d2i_X509() alone: the verdict must be the same as with
 * pki_d2i_x509()'s fast path. */
static void slow_decoding_same(const struct cfg_pki *s, const char *ee, time_t at, const char *id,
                               const struct cert_result *fast)
{
        struct cert_result slow;
        struct pki_file file;
        struct pki *pki = NULL;
        struct eval_ctx ctx;
        char *err = NULL;

        pki_slow_decoding = true;
        ck_assert_msg(pki_load(s, &pki, &err) == 0, "%s: pki_load: %s", id, err);
        ck_assert_int_eq(pki_read_file(ee, &file), 0);
        pki_slow_decoding = false;
        ck_assert_msg(file.error == 0, "%s: %s", id, file.why);
        eval_ctx_init(&ctx, pki, at);
        ck_assert_int_eq(eval_cert(&ctx, sk_X509_value(file.certs, 0), file.certs, NULL, &slow), 0);
        tl_same_result(fast, &slow, id);
        cert_result_free(&slow);
        pki_file_free(&file);
        pki_free(pki);
}

/* Runs one case; returns its path_valid. */
static bool run_case(const struct pkits_case *c, const char *tmp, int index, time_t at)
{
        struct cfg_pki s = { .revocation = true, .min_rsa_bits = 3000, .min_ec_bits = 256 };
        struct cert_result res;
        struct pki_file file;
        struct pki *pki = NULL;
        struct eval_ctx ctx;
        char **crl_names, *err = NULL, *ee;
        size_t n_crl_names;
        bool valid;

        s.trust_anchors = data_path("certs", c->fields[3], "crt");
        s.intermediates = intermediates_dir(tmp, index, c->fields[4]);
        crl_names = split(c->fields[5], &n_crl_names);
        s.crls = calloc(n_crl_names + 1, sizeof(char *));
        s.n_crls = n_crl_names;
        for (size_t i = 0; i < n_crl_names; i++)
                s.crls[i] = data_path("crls", crl_names[i], "crl");
        s.require_policy = split(c->fields[6], &s.n_require_policy);
        if (s.n_require_policy == 0 && strcmp(c->fields[7], "yes") == 0)
                s.require_policy = split("2.5.29.32.0", &s.n_require_policy);

        ck_assert_msg(pki_load(&s, &pki, &err) == 0, "%s: pki_load: %s", c->fields[0], err);
        ee = data_path("certs", c->fields[8], "crt");
        ck_assert_int_eq(pki_read_file(ee, &file), 0);
        ck_assert_msg(file.error == 0, "%s: %s", c->fields[0], file.why);
        eval_ctx_init(&ctx, pki, at);
        ck_assert_int_eq(eval_cert(&ctx, sk_X509_value(file.certs, 0), file.certs, NULL, &res), 0);
        valid = res.path_valid;
        memo_twice(pki, sk_X509_value(file.certs, 0), at, c->fields[0]);
        slow_decoding_same(&s, ee, at, c->fields[0], &res);
        if (valid != (strcmp(c->fields[2], "valid") == 0))
                fprintf(stderr, "PKITS %s (%s): expected %s, got path_error %s\n", c->fields[0],
                        c->fields[1], c->fields[2], res.path_error ? res.path_error : "(none)");

        cert_result_free(&res);
        pki_file_free(&file);
        pki_free(pki);
        free(ee);
        free(s.trust_anchors);
        free(s.intermediates);
        free_vec(s.crls, s.n_crls);
        free_vec(crl_names, n_crl_names);
        free_vec(s.require_policy, s.n_require_policy);
        return valid;
}

static bool parse_line(char *line, struct pkits_case *c)
{
        char *save = NULL, *tok = strtok_r(line, "\t\n", &save);
        int n = 0;

        if (!tok || tok[0] == '#')
                return false;
        for (; tok && n < 9; tok = strtok_r(NULL, "\t\n", &save))
                c->fields[n++] = tok;
        ck_assert_msg(n == 9, "cases.tsv: a line with %d fields", n);
        return true;
}

static int exception_index(const char *id)
{
        for (size_t i = 0; i < N_EXCEPTIONS; i++)
                if (strcmp(known_exceptions[i].id, id) == 0)
                        return (int)i;
        return -1;
}

/* cases.tsv, open, and the time PKITS is evaluated at. */
static FILE *open_cases(time_t *at)
{
        char *tsv = NULL;
        FILE *f;

        ck_assert_int_eq(util_parse_time("2020-06-01", at), 0);
        ck_assert_int_ge(asprintf(&tsv, "%s/tests/data/pkits/cases.tsv", tl_srcdir()), 0);
        f = fopen(tsv, "r");
        ck_assert_msg(f, "cannot open %s", tsv);
        free(tsv);
        return f;
}

START_TEST(pkits_all_cases)
{
        char *tmp = tl_mkdtemp(), line[4096];
        int total = 0, as_expected = 0, unexpected = 0, index = 0;
        bool exception_missed[N_EXCEPTIONS] = { false };
        time_t at;
        FILE *f;

        f = open_cases(&at);
        while (fgets(line, sizeof(line), f)) {
                struct pkits_case c;
                bool valid, ok;
                int ex;

                if (!parse_line(line, &c))
                        continue;
                total++;
                valid = run_case(&c, tmp, index++, at);
                ok = valid == (strcmp(c.fields[2], "valid") == 0);
                ex = exception_index(c.fields[0]);
                if (ok) {
                        as_expected++;
                        if (ex >= 0) {
                                fprintf(stderr, "PKITS %s: known exception now passes: "
                                        "update the test\n", c.fields[0]);
                                unexpected++;
                        }
                } else if (ex >= 0) {
                        exception_missed[ex] = true;
                } else {
                        unexpected++;
                }
        }
        fclose(f);
        tl_rm_rf(tmp);
        free(tmp);

        for (size_t i = 0; i < N_EXCEPTIONS; i++)
                if (exception_missed[i])
                        printf("PKITS known exception %s: %s\n", known_exceptions[i].id,
                               known_exceptions[i].why);
        ck_assert_int_eq(total, N_CASES);
        ck_assert_msg(unexpected == 0, "PKITS: %d cases differ from PKITS (see above)", unexpected);
        ck_assert_int_eq(as_expected, N_CASES - (int)N_EXCEPTIONS);
        printf("PKITS: %d/%d as expected (known exceptions: %s, %s)\n", as_expected, total,
               known_exceptions[0].id, known_exceptions[1].id);
}
END_TEST

/* Appends the names of field to the comma-separated list *all, each once. */
static void add_names(char **all, const char *field)
{
        size_t n;
        char **names = split(field, &n), *wrapped, *joined;

        for (size_t i = 0; i < n; i++) {
                ck_assert_int_ge(asprintf(&wrapped, ",%s,", names[i]), 0);
                ck_assert_int_ge(asprintf(&joined, ",%s,", *all ? *all : ""), 0);
                if (!strstr(joined, wrapped)) {
                        free(joined);
                        ck_assert_int_ge(asprintf(&joined, "%s%s%s", *all ? *all : "",
                                                  *all ? "," : "", names[i]), 0);
                        free(*all);
                        *all = joined;
                } else {
                        free(joined);
                }
                free(wrapped);
        }
        free_vec(names, n);
}

/* Every case's anchors, intermediates and CRLs in one PKI, every end entity
 * through one memo twice: the CA parts the cases share are replayed for
 * end entities other than the one recorded, and must decide as the full
 * path does (which is not necessarily what PKITS expects of this mix). */
START_TEST(pkits_one_pki_memo)
{
        char *tmp = tl_mkdtemp(), line[4096], *anchors = NULL, *inter = NULL;
        char *crls = NULL, *ees = NULL, *err = NULL;
        char **crl_names, **ee_names;
        size_t n_crls, n_ees;
        struct cfg_pki s = { .revocation = true, .min_rsa_bits = 3000, .min_ec_bits = 256 };
        struct vmemo *memo = NULL;
        struct pki *pki = NULL;
        time_t at;
        FILE *f;

        f = open_cases(&at);
        while (fgets(line, sizeof(line), f)) {
                struct pkits_case c;

                if (!parse_line(line, &c))
                        continue;
                add_names(&anchors, c.fields[3]);
                add_names(&inter, c.fields[4]);
                add_names(&crls, c.fields[5]);
                add_names(&ees, c.fields[8]);
        }
        fclose(f);
        s.trust_anchors = intermediates_dir(tmp, 1000, anchors);
        s.intermediates = intermediates_dir(tmp, 1001, inter);
        crl_names = split(crls, &n_crls);
        s.crls = calloc(n_crls, sizeof(char *));
        ck_assert_ptr_nonnull(s.crls);
        s.n_crls = n_crls;
        for (size_t i = 0; i < n_crls; i++)
                s.crls[i] = data_path("crls", crl_names[i], "crl");
        ck_assert_msg(pki_load(&s, &pki, &err) == 0, "pki_load: %s", err);
        ee_names = split(ees, &n_ees);
        ck_assert_int_eq(vmemo_new(&memo), 0);
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n_ees; i++) {
                        char *path = data_path("certs", ee_names[i], "crt");
                        struct pki_file ee;
                        struct cert_result full, memod;

                        ck_assert_int_eq(pki_read_file(path, &ee), 0);
                        ck_assert_msg(ee.error == 0, "%s: %s", path, ee.why);
                        tl_eval_both(pki, memo, sk_X509_value(ee.certs, 0), NULL, at, ee_names[i],
                                     &full, &memod);
                        cert_result_free(&full);
                        cert_result_free(&memod);
                        pki_file_free(&ee);
                        free(path);
                }
        vmemo_free(memo);
        pki_free(pki);
        free_vec(ee_names, n_ees);
        free_vec(crl_names, n_crls);
        free_vec(s.crls, s.n_crls);
        free(s.trust_anchors);
        free(s.intermediates);
        free(anchors);
        free(inter);
        free(crls);
        free(ees);
        tl_rm_rf(tmp);
        free(tmp);
}
END_TEST

/* Every PKITS certificate (RSA keys of all kinds of odd certificates)
 * through pki.c's fast decoding and d2i_X509(): the same certificate. */
START_TEST(pkits_decode_fast_and_slow)
{
        char *dir = tl_path(tl_srcdir(), "tests/data/pkits/certs");
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        ck_assert_ptr_nonnull(d);
        while ((e = readdir(d))) {
                unsigned char *data = NULL;
                size_t len = 0;
                char *path;

                if (!strstr(e->d_name, ".crt"))
                        continue;
                path = tl_path(dir, e->d_name);
                ck_assert_int_eq(util_read_file(path, UTIL_MAX_FILE_SIZE, &data, &len), 0);
                tl_decode_both(data, (long)len, e->d_name);
                free(data);
                free(path);
                n++;
        }
        closedir(d);
        free(dir);
        ck_assert_int_ge(n, 400);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("pkits");
        TCase *tc = tcase_create("pkits");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, pkits_all_cases);
        tcase_add_test(tc, pkits_one_pki_memo);
        tcase_add_test(tc, pkits_decode_fast_and_slow);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
