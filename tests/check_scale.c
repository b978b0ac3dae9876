/* SPDX-License-Identifier: EUPL-1.2 */
/* Scale: 2,000 mailboxes with their own certificates (tests/lib/certgen.c)
 * in a real slapd, checked by the real binary in one cycle; the cycle's
 * parallel evaluation against a sequential one; and a mailbox_list of
 * 62,000 lines. The time bounds are loose enough for a loaded machine
 * and an ASan build, and far below what per-mailbox connections or
 * quadratic bookkeeping would take (tests/bench measures for real). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certgen.h"
#include "config.h"
#include "httptest.h"
#include "cycle.h"
#include "ldaptest.h"
#include "load.h"
#include "pki.h"
#include "testlib.h"

#define N_MAILBOXES 2000
#define N_SMALL 200
/* Ten times the mailboxes may take at most this many times as long as
 * the small cycle (plus a constant for noise): linear work stays near
 * ten, quadratic work lands near a hundred. */
#define SCALE_FACTOR_MAX 40.0
#define VERIFY_BOUND_S 60.0
#define LIST_LINES_UNIQUE 30000
#define LIST_BOUND_S 3.0

static const struct cg_params params = { .domain = "scale.example", .base = "o=Test,c=DE",
                                         .certs = 2, .mix = true };
static char *tmp, *conf, *conf_small, *conf_dp;
static struct tl_slapd slapd;

/* For streaming_with_fetched_crls: DP_N mailboxes after the scale ones,
 * the first half issued by CA dpa, the second by dpb, whose CRLs are only
 * at their distribution points on the test's HTTP server. */
#define DP_FIRST N_MAILBOXES
#define DP_N 600
static int http_port;

static double seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The entries of [first, first + n) by CA name with crl_url, and that
 * CA's CRL (for every mailbox below first + n) as DER in www/name.crl. */
static void write_dp_part(FILE *f, const char *pkidir, EVP_PKEY *key, const char *name,
                          size_t first, size_t n)
{
        struct cg_params p = params;
        struct cg_ca *ca = NULL;
        const char *why = "";
        char url[128], *pem = tl_path(tmp, "dp.pem");

        snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s.crl", http_port, name);
        p.crl_url = url;
        ck_assert_msg(cg_ca_load(pkidir, name, &ca, &why) == 0, "%s", why);
        ck_assert_int_eq(cg_write_entries(f, &p, ca, key, first, n), 0);
        ck_assert_int_eq(cg_write_crl(pem, &p, ca, first + n, 0), 0);
        ck_assert_int_eq(tl_sh("mkdir -p '%s/http/www' && openssl crl -in '%s' -outform DER "
                               "-out '%s/http/www/%s.crl'", tmp, pem, tmp, name), 0);
        cg_ca_free(ca);
        free(pem);
}

static void write_ldif(const char *path, const char *pkidir)
{
        struct cg_ca *ca = NULL;
        const char *why = "";
        char *keyfile = tl_path(tl_srcdir(), "tests/data/mkpki-keys/rsa3072.key"), *crl;
        EVP_PKEY *key = cg_key_load(keyfile);
        FILE *f = fopen(path, "w");

        ck_assert_ptr_nonnull(key);
        ck_assert_ptr_nonnull(f);
        ck_assert_msg(cg_ca_load(pkidir, "fast", &ca, &why) == 0, "%s", why);
        ck_assert_int_eq(cg_write_ou(f, &params), 0);
        ck_assert_int_eq(cg_write_entries(f, &params, ca, key, 0, N_MAILBOXES), 0);
        write_dp_part(f, pkidir, key, "dpa", DP_FIRST, DP_N / 2);
        write_dp_part(f, pkidir, key, "dpb", DP_FIRST + DP_N / 2, DP_N / 2);
        ck_assert_int_eq(fclose(f), 0);
        crl = tl_path(pkidir, "crls/fast.pem");
        ck_assert_int_eq(cg_write_crl(crl, &params, ca, N_MAILBOXES, 500), 0);
        free(crl);
        cg_ca_free(ca);
        EVP_PKEY_free(key);
        free(keyfile);
}

static void write_list(const char *path, size_t first, size_t n)
{
        FILE *f = fopen(path, "w");
        char a[320];

        ck_assert_ptr_nonnull(f);
        for (size_t i = first; i < first + n; i++) {
                cg_address(&params, i, a, sizeof(a));
                fprintf(f, "%s\n", a);
        }
        ck_assert_int_eq(fclose(f), 0);
}

static char *write_conf(const char *name, const char *list)
{
        return tl_write(tmp, name,
                        "[service]\nmailbox_list = %s\n"
                        "[pki]\ntrust_anchors = pki/anchors.pem\nintermediates = pki/intermediates.pem\n"
                        "crls = pki/crls\n"
                        "[directory]\nuri = %s\nbase = o=Test,c=DE\n", list, slapd.ldap_url);
}

/* A PKI whose CA "fast" has an EC key (signing 4,000 certificates takes
 * a moment), the directory, and the configuration. */
static void setup_all(void)
{
        char *pkidir, *ldif, *list, *sdir;

        tmp = tl_mkdtemp();
        pkidir = tl_path(tmp, "pki");
        ck_assert_int_eq(tl_sh("M='%s/tests/mkpki'; P='%s'; $M init $P >/dev/null && "
                               "$M ca $P fast >/dev/null && $M ca $P dpa >/dev/null && "
                               "$M ca $P dpb >/dev/null", tl_srcdir(), pkidir), 0);
        http_port = tl_fixed_port();
        ldif = tl_path(tmp, "scale.ldif");
        write_ldif(ldif, pkidir);
        list = tl_path(tmp, "mailboxes.txt");
        write_list(list, 0, N_MAILBOXES);
        free(list);
        list = tl_path(tmp, "small.txt");
        write_list(list, 0, N_SMALL);
        free(list);
        list = tl_path(tmp, "dp.txt");
        write_list(list, DP_FIRST, DP_N);
        free(list);
        sdir = tl_path(tmp, "slapd");
        tl_slapd_start(&slapd, sdir, NULL, ldif, NULL, NULL);
        conf = write_conf("scale.conf", "mailboxes.txt");
        conf_small = write_conf("small.conf", "small.txt");
        /* Only the root's CRL is a file: dpa's and dpb's must be fetched. */
        conf_dp = tl_write(tmp, "dp.conf",
                           "[service]\nmailbox_list = dp.txt\n"
                           "[pki]\ntrust_anchors = pki/anchors.pem\n"
                           "intermediates = pki/intermediates.pem\ncrls = pki/crls/root.pem\n"
                           "[directory]\nuri = %s\nbase = o=Test,c=DE\n", slapd.ldap_url);
        free(sdir);
        free(ldif);
        free(pkidir);
}

static void teardown_all(void)
{
        tl_slapd_stop(&slapd);
        tl_rm_rf(tmp);
        free(tmp);
        free(conf);
        free(conf_small);
        free(conf_dp);
}

/* Seconds one --verify --json over the configuration takes. */
static double timed_verify(const char *config, struct tl_run *r)
{
        const char *args[] = { "--verify", "--json", "-c", config, NULL };
        double t0 = seconds();

        tl_smimewatch(r, args);
        return seconds() - t0;
}

START_TEST(verify_all)
{
        unsigned want[SW_STATUS_COUNT];
        struct tl_run r;
        json_t *doc, *summary, *list;
        double small, took;
        char a[320];

        small = timed_verify(conf_small, &r);
        ck_assert_msg(r.status == SW_CRITICAL, "exit %d: %s", r.status, r.err);
        tl_run_free(&r);
        took = timed_verify(conf, &r);
        fprintf(stderr, "one cycle: %d mailboxes %.2f s, %d mailboxes %.2f s\n", N_SMALL, small,
                N_MAILBOXES, took);
        ck_assert_msg(r.status == SW_CRITICAL, "exit %d: %s", r.status, r.err);
        doc = tl_json(&r);
        summary = json_object_get(doc, "summary");
        cg_expected(&params, N_MAILBOXES, want);
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "ok")), want[SW_OK]);
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "warning")), want[SW_WARNING]);
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "critical")), want[SW_CRITICAL]);
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "unknown")), 0);
        list = json_object_get(doc, "mailboxes");
        ck_assert_uint_eq(json_array_size(list), N_MAILBOXES);
        /* In configuration order, each with its own verdict. */
        for (size_t i = 0; i < N_MAILBOXES; i++) {
                json_t *m = json_array_get(list, i);

                cg_address(&params, i, a, sizeof(a));
                ck_assert_str_eq(json_string_value(json_object_get(m, "address")), a);
                ck_assert_str_eq(json_string_value(json_object_get(m, "status")),
                                 sw_status_name(cg_status(&params, i)));
        }
        ck_assert_msg(took < VERIFY_BOUND_S && took < SCALE_FACTOR_MAX * small + 2.0,
                      "%d mailboxes took %.1f s, %d took %.2f s", N_MAILBOXES, took, N_SMALL, small);
        json_decref(doc);
        tl_run_free(&r);
}
END_TEST

static void same_problems(const struct problem_list *a, const struct problem_list *b)
{
        ck_assert_uint_eq(a->n, b->n);
        for (size_t i = 0; i < a->n; i++) {
                ck_assert_int_eq(a->items[i].code, b->items[i].code);
                ck_assert_int_eq(a->items[i].level, b->items[i].level);
                ck_assert_int_eq(a->items[i].cert, b->items[i].cert);
                ck_assert_str_eq(a->items[i].message, b->items[i].message);
        }
}

static void same_result(const struct mailbox_result *a, const struct mailbox_result *b)
{
        ck_assert_str_eq(a->address, b->address);
        ck_assert_int_eq(a->status, b->status);
        ck_assert_uint_eq(a->n_entries, b->n_entries);
        ck_assert_int_eq(a->best_encryption, b->best_encryption);
        ck_assert_int_eq(a->best_signature, b->best_signature);
        ck_assert_uint_eq(a->n_certs, b->n_certs);
        for (size_t k = 0; k < a->n_certs; k++) {
                ck_assert_str_eq(a->certs[k].sha256, b->certs[k].sha256);
                ck_assert_int_eq(a->certs[k].path_valid, b->certs[k].path_valid);
                ck_assert_int_eq(a->certs[k].revocation, b->certs[k].revocation);
                ck_assert_uint_eq(a->certs[k].usable_for, b->certs[k].usable_for);
                same_problems(&a->certs[k].problems, &b->certs[k].problems);
        }
        same_problems(&a->problems, &b->problems);
}

/* One cycle over many mailboxes (several threads where there are CPUs
 * for them) decides exactly like cycles too small to share the work. */
START_TEST(parallel_equals_sequential)
{
        const size_t n = 640, chunk = 40;
        struct cycle_result all, part;
        struct cfg *c = NULL;
        struct pki *pki = NULL;
        char *errors = NULL;
        time_t now = time(NULL);

        ck_assert_msg(load_settings(conf, CFG_NEED_DIRECTORY, &c, &errors) == 0, "%s", errors);
        ck_assert_msg(pki_load(&c->pki, &pki, &errors) == 0, "%s", errors);
        ck_assert_uint_ge(c->n_mailboxes, n);
        ck_assert_int_eq(cycle_run(c, pki, c->mailboxes, n, now, NULL, &all), 0);
        ck_assert(!all.directory_failed);
        ck_assert_uint_eq(all.n_mailboxes, n);
        for (size_t first = 0; first < n; first += chunk) {
                ck_assert_int_eq(cycle_run(c, pki, c->mailboxes + first, chunk, now, NULL, &part), 0);
                for (size_t i = 0; i < chunk; i++)
                        same_result(&all.mailboxes[first + i], &part.mailboxes[i]);
                cycle_result_free(&part);
        }
        cycle_result_free(&all);
        pki_free(pki);
        cfg_free(c);
}
END_TEST

static long rss_kib(void)
{
        long pages = 0, resident = 0;
        FILE *f = fopen("/proc/self/statm", "r");

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &resident), 2);
        fclose(f);
        return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* What a cycle allocated is given back once its result is freed, as the
 * service does between cycles. ASan keeps freed memory in quarantine, so
 * only the plain build can tell. */
START_TEST(memory_given_back)
{
        struct cycle_result all;
        struct cfg *c = NULL;
        struct pki *pki = NULL;
        char *errors = NULL;
        long before, after;

        ck_assert_msg(load_settings(conf, CFG_NEED_DIRECTORY, &c, &errors) == 0, "%s", errors);
        ck_assert_msg(pki_load(&c->pki, &pki, &errors) == 0, "%s", errors);
        /* A first cycle warms OpenSSL's and libldap's lasting caches and
         * makes the helper threads' malloc arenas. */
        ck_assert_int_eq(cycle_run(c, pki, c->mailboxes, c->n_mailboxes, time(NULL), NULL, &all), 0);
        cycle_result_free(&all);
        cycle_release_memory();
        before = rss_kib();
        ck_assert_int_eq(cycle_run(c, pki, c->mailboxes, c->n_mailboxes, time(NULL), NULL, &all), 0);
        ck_assert_uint_eq(all.n_mailboxes, N_MAILBOXES);
        cycle_result_free(&all);
        cycle_release_memory();
        after = rss_kib();
        printf("memory_given_back: RSS %ld KiB before the cycle, %ld KiB after it\n", before, after);
#ifndef __SANITIZE_ADDRESS__
        ck_assert_msg(after - before < 512, "RSS %ld KiB before the cycle, %ld KiB after it",
                      before, after);
#endif
        pki_free(pki);
        cfg_free(c);
}
END_TEST

/* 62,000 lines: every address twice (the domain in other case), and
 * 2,000 whose local part differs only in case, which are other
 * mailboxes (util_address_equal). A section comes first. */
START_TEST(long_mailbox_list)
{
        char *dir = tl_mkdtemp(), *list = tl_path(dir, "list.txt"), *path, *errors = NULL;
        struct cfg *c = NULL;
        FILE *f = fopen(list, "w");
        double t0, took;
        char a[64];

        ck_assert_ptr_nonnull(f);
        for (int i = 0; i < LIST_LINES_UNIQUE; i++)
                fprintf(f, "m%05d@scale.example\n", i);
        for (int i = 0; i < LIST_LINES_UNIQUE; i++)
                fprintf(f, "m%05d@SCALE.Example\n", i);
        for (int i = 0; i < 2000; i++)
                fprintf(f, "M%05d@scale.example\n", i);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(tl_sh("'%s/tests/mkpki' init '%s/pki' >/dev/null", tl_srcdir(), dir), 0);
        path = tl_write(dir, "list.conf", "[service]\nmailbox_list = list.txt\n"
                        "[pki]\ntrust_anchors = pki/anchors.pem\n"
                        "[mailbox m00005@Scale.example]\nwarn_days = 60\n");
        t0 = seconds();
        ck_assert_msg(load_settings(path, CFG_NEED_PKI, &c, &errors) == 0, "%s", errors);
        took = seconds() - t0;
        fprintf(stderr, "mailbox_list of %d lines: %.3f s\n", 2 * LIST_LINES_UNIQUE + 2000, took);
        ck_assert_uint_eq(c->n_mailboxes, LIST_LINES_UNIQUE + 2000);
        ck_assert_str_eq(c->mailboxes[0].address, "m00005@Scale.example");
        ck_assert_int_eq(c->mailboxes[0].warn_days, 60);
        ck_assert_str_eq(c->mailboxes[1].address, "m00000@scale.example");
        ck_assert_str_eq(c->mailboxes[6].address, "m00006@scale.example");
        ck_assert_str_eq(c->mailboxes[LIST_LINES_UNIQUE].address, "M00000@scale.example");
        for (int i = 0; i < LIST_LINES_UNIQUE; i += 997) {
                snprintf(a, sizeof(a), "m%05d@Scale.EXAMPLE", i);
                ck_assert_ptr_nonnull(cfg_find_mailbox(c, a));
        }
        ck_assert_ptr_eq(cfg_find_mailbox(c, "M00001@SCALE.EXAMPLE"),
                         &c->mailboxes[LIST_LINES_UNIQUE + 1]);
        ck_assert_ptr_null(cfg_find_mailbox(c, "M02000@scale.example"));
        ck_assert_msg(took < LIST_BOUND_S, "loading took %.1f s", took);
        cfg_free(c);
        free(path);
        free(list);
        tl_rm_rf(dir);
        free(dir);
}
END_TEST

/* Revocation gathered while the answers stream in: dpb's first mailbox
 * comes when dpa's are still being evaluated on another thread, so its
 * CRL is fetched and added while they read the material. Every verdict
 * as certgen predicts it (the revoked ones revoked, by their CA's fetched
 * CRL), each CRL fetched once. */
START_TEST(streaming_with_fetched_crls)
{
        char *http = tl_path(tmp, "http"), *cache = tl_path(tmp, "dp-cache"), env_cache[4200], a[320];
        const char *env[] = { env_cache, NULL };
        const char *argv[] = { getenv("SMIMEWATCH_BIN"), "--verify", "--json", "-c", conf_dp, NULL };
        unsigned want[SW_STATUS_COUNT] = { 0 };
        struct tl_httpd h = { 0 };
        struct tl_run r;
        json_t *doc, *list, *summary;

        ck_assert_ptr_nonnull(argv[0]);
        ck_assert_int_eq(tl_sh("rm -rf '%s' && mkdir -p '%s'", cache, cache), 0);
        snprintf(env_cache, sizeof(env_cache), "CACHE_DIRECTORY=%s", cache);
        tl_httpd_start(&h, http, http_port);
        tl_run_argv(&r, argv, env, 120);
        ck_assert_msg(r.status == SW_CRITICAL, "exit %d: %s", r.status, r.err);
        doc = tl_json(&r);
        list = json_object_get(doc, "mailboxes");
        ck_assert_uint_eq(json_array_size(list), DP_N);
        for (size_t i = 0; i < DP_N; i++) {
                json_t *m = json_array_get(list, i), *c;
                enum sw_status st = cg_status(&params, DP_FIRST + i);
                size_t k;

                want[st]++;
                cg_address(&params, DP_FIRST + i, a, sizeof(a));
                ck_assert_str_eq(json_string_value(json_object_get(m, "address")), a);
                ck_assert_msg(strcmp(json_string_value(json_object_get(m, "status")),
                                     sw_status_name(st)) == 0,
                              "%s is %s, not %s", a, json_string_value(json_object_get(m, "status")),
                              sw_status_name(st));
                json_array_foreach(json_object_get(m, "certificates"), k, c) {
                        const char *rev = json_string_value(json_object_get(c, "revocation"));

                        ck_assert_msg(rev && (strcmp(rev, "good") == 0 || strcmp(rev, "revoked") == 0),
                                      "%s: revocation %s", a, rev ? rev : "(none)");
                }
        }
        summary = json_object_get(doc, "summary");
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "ok")), want[SW_OK]);
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "critical")), want[SW_CRITICAL]);
        ck_assert_int_gt(want[SW_CRITICAL], 0);
        ck_assert_int_eq(tl_httpd_hits(&h, "/dpa.crl"), 1);
        ck_assert_int_eq(tl_httpd_hits(&h, "/dpb.crl"), 1);
        json_decref(doc);
        tl_run_free(&r);
        tl_httpd_stop(&h);
        free(h.dir);
        free(http);
        free(cache);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("scale");
        TCase *tc = tcase_create("cycle"), *tl = tcase_create("list");
        SRunner *sr;
        int failed;

        tcase_add_unchecked_fixture(tc, setup_all, teardown_all);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, verify_all);
        tcase_add_test(tc, parallel_equals_sequential);
        tcase_add_test(tc, memory_given_back);
        tcase_add_test(tc, streaming_with_fetched_crls);
        tcase_set_timeout(tl, 60);
        tcase_add_test(tl, long_mailbox_list);
        suite_add_tcase(s, tc);
        suite_add_tcase(s, tl);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
