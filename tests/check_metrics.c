/* SPDX-License-Identifier: EUPL-1.2 */
/* The Prometheus and monitoring-plugin renderers on hand-built results:
 * the escaping at their edges (what real addresses never contain but the
 * structs may), and metrics_write_file()'s atomic replacement watched by a
 * concurrent reader. The outputs of real checks against slapd are tested
 * in check_verify.c (--format) and check_service.c (metrics_file). And
 * the Prometheus alert rules of contrib/, through promtool. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cycle.h"
#include "mailbox.h"
#include "metrics.h"
#include "plugin.h"
#include "testlib.h"

#define HOSTILE "a\"b\\c\nd|e@x.example"

static char *tmp;

struct fixture {
        struct cycle_result c;
        struct mailbox_result m[2];
        struct cert_result cert;
        struct problem problems[2];
};

/* Two mailboxes: one warning (an expiring encryption certificate) with a
 * hostile address, one ok without certificates. Nothing is allocated. */
static void fixture(struct fixture *f, size_t n_mailboxes)
{
        memset(f, 0, sizeof(*f));
        f->cert = (struct cert_result){ .parsed = true, .serial = "0A1B", .not_after = 1800000000,
                                        .days_left = 12, .usable_for = USAGE_ENCRYPTION };
        f->problems[0] = (struct problem){ .code = PROBLEM_CERT_EXPIRING, .level = SW_WARNING,
                                           .usage = USAGE_ENCRYPTION, .has_days_left = true,
                                           .days_left = 12, .cert = 0,
                                           .message = "expires | soon\nreally" };
        f->m[0] = (struct mailbox_result){ .address = HOSTILE, .status = SW_WARNING,
                                           .certs = &f->cert, .n_certs = 1, .best_encryption = 0,
                                           .best_signature = -1,
                                           .problems = { f->problems, 1 } };
        f->m[1] = (struct mailbox_result){ .address = "ok@x.example", .status = SW_OK,
                                           .best_encryption = -1, .best_signature = -1 };
        f->c = (struct cycle_result){ .checked_at = 1790000000, .duration_usec = 1500000,
                                      .status = SW_WARNING, .mailboxes = f->m,
                                      .n_mailboxes = n_mailboxes };
        for (size_t i = 0; i < n_mailboxes; i++)
                f->c.counts[f->m[i].status]++;
}

static char *render(int (*fn)(FILE *, const struct fixture *), const struct fixture *fx)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fn(f, fx), 0);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

static int prom(FILE *f, const struct fixture *fx) { return metrics_write(f, &fx->c); }
static int plug(FILE *f, const struct fixture *fx) { return plugin_write(f, &fx->c, 30, 7); }

START_TEST(prometheus_escaping)
{
        struct fixture fx;
        char *out, *file;

        fixture(&fx, 2);
        out = render(prom, &fx);
        /* the exposition's escapes for " and \, control characters as \xNN text */
        ck_assert_msg(strstr(out, "smimewatch_mailbox_status{mailbox=\"a\\\"b\\\\x5cc\\\\x0ad|e"
                                  "@x.example\",status=\"warning\"} 1\n"), "%s", out);
        ck_assert_msg(strstr(out, "smimewatch_certificate_not_after_timestamp_seconds{mailbox=\"a"
                                  "\\\"b\\\\x5cc\\\\x0ad|e@x.example\",usage=\"encryption\","
                                  "serial=\"0A1B\"} 1800000000\n"), "%s", out);
        ck_assert_ptr_nonnull(strstr(out, "smimewatch_last_cycle_duration_seconds 1.500\n"));
        ck_assert_ptr_nonnull(strstr(out, "smimewatch_last_cycle_start_timestamp_seconds "
                                          "1790000000\n"));
        ck_assert_ptr_nonnull(strstr(out, ",code=\"CERT_EXPIRING\"} 1\n"));
        /* the ok mailbox: four status series, nothing else */
        ck_assert_ptr_null(strstr(out, "{mailbox=\"ok@x.example\",usage"));
        ck_assert_ptr_null(strstr(out, "{mailbox=\"ok@x.example\",code"));
        file = tl_write(tmp, "escaping.prom", "%s", out);
        ck_assert_msg(tl_sh("promtool check metrics < '%s' >&2", file) == 0, "%s", out);
        free(file);
        free(out);
}
END_TEST

START_TEST(plugin_escaping)
{
        struct fixture fx;
        char *out, *nl;

        fixture(&fx, 2);
        out = render(plug, &fx);
        nl = strchr(out, '\n');
        ck_assert_ptr_nonnull(nl);
        /* no "|" but the one before the performance data, no line break in a line */
        ck_assert_msg(strncmp(out, "SMIMEWATCH WARNING - 1 of 2 mailboxes warning: "
                                   "a\"b\\x5cc\\x0ad\\x7ce@x.example (CERT_EXPIRING 12 d) | "
                                   "ok=1;;;0 warning=1;;;0 critical=0;;;0 unknown=0;;;0 "
                                   "min_days_left=12;@~:30;@~:7\n", (size_t)(nl - out + 1)) == 0,
                      "%s", out);
        ck_assert_str_eq(nl + 1, "[WARNING] a\"b\\x5cc\\x0ad\\x7ce@x.example: CERT_EXPIRING 12 d "
                                 "(expires \\x7c soon\\x0areally)\n");
        free(out);

        /* no mailbox has a best certificate: no min_days_left */
        fixture(&fx, 2);
        fx.m[0].best_encryption = -1;
        out = render(plug, &fx);
        ck_assert_ptr_null(strstr(out, "min_days_left"));
        free(out);
}
END_TEST

/* A reader that opens and reads the file as fast as it can while it is
 * replaced: every read must be one whole exposition. */
struct reader {
        const char *path;
        atomic_bool stop;
        unsigned reads, partial;
};

static void *read_loop(void *userdata)
{
        struct reader *r = userdata;
        char buf[1 << 16];

        while (!atomic_load(&r->stop)) {
                FILE *f = fopen(r->path, "r");
                size_t n;

                if (!f) {
                        r->partial++;   /* never absent between two writes */
                        continue;
                }
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[n] = 0;
                r->reads++;
                /* a whole file starts with the first family and ends with the last series */
                if (strncmp(buf, "# HELP smimewatch_build_info ", 29) != 0 ||
                    !strstr(buf, "smimewatch_mailbox_problems{") || buf[n - 1] != '\n')
                        r->partial++;
        }
        return NULL;
}

/* Nothing but the file itself in dir: no temporary file left behind. */
static void only_the_file(const char *dir)
{
        ck_assert_msg(tl_sh("[ \"$(ls -A '%s')\" = smimewatch.prom ]", dir) == 0,
                      "more than smimewatch.prom in %s", dir);
}

START_TEST(atomic_replacement)
{
        char *dir = tl_path(tmp, "textfile"), *path = tl_path(dir, "smimewatch.prom");
        struct reader r = { .path = path };
        struct fixture fx;
        struct stat st;
        pthread_t t;

        ck_assert_int_eq(mkdir(dir, 0755), 0);
        fixture(&fx, 2);
        ck_assert_int_eq(metrics_write_file(path, &fx.c), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 0777, 0644);
        ck_assert_int_eq(pthread_create(&t, NULL, read_loop, &r), 0);
        for (int i = 0; i < 100; i++) {
                fx.c.checked_at++;
                ck_assert_int_eq(metrics_write_file(path, &fx.c), 0);
        }
        atomic_store(&r.stop, true);
        pthread_join(t, NULL);
        ck_assert_msg(r.reads > 10, "only %u reads", r.reads);
        ck_assert_msg(r.partial == 0, "%u of %u reads saw a partial or missing file", r.partial,
                      r.reads);
        /* the temporary files are gone */
        only_the_file(dir);

        /* no such directory, or not a directory: an error, nothing written */
        ck_assert_int_eq(metrics_write_file("/nonexistent-dir/x.prom", &fx.c), -ENOENT);
        {
                char *under_file = tl_path(path, "x.prom");

                ck_assert_int_eq(metrics_write_file(under_file, &fx.c), -ENOTDIR);
                free(under_file);
        }
        only_the_file(dir);
        free(path);
        free(dir);
}
END_TEST

/* The alert rules of contrib/ are valid and fire on the series as named. */
START_TEST(alert_rules)
{
        ck_assert_int_eq(tl_sh("set -e; cp '%s/contrib/prometheus/smimewatch.rules.yml' "
                               "'%s/tests/data/prometheus/smimewatch.rules.test.yml' '%s'; cd '%s'; "
                               "promtool check rules smimewatch.rules.yml >&2; "
                               "promtool test rules smimewatch.rules.test.yml >&2",
                               tl_srcdir(), tl_srcdir(), tmp, tmp), 0);
}
END_TEST

static void setup(void) { tmp = tl_mkdtemp(); }

static void teardown(void)
{
        tl_rm_rf(tmp);
        free(tmp);
}

int main(void)
{
        Suite *s = suite_create("metrics");
        TCase *tc = tcase_create("metrics");

        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, prometheus_escaping);
        tcase_add_test(tc, plugin_escaping);
        tcase_add_test(tc, atomic_replacement);
        tcase_add_test(tc, alert_rules);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
