/* SPDX-License-Identifier: EUPL-1.2 */
/* The Prometheus text exposition format (version 0.0.4) of one check.
 *
 * Cardinality is bounded by design: labels are the mailbox address, a
 * status, a usage, a problem code and the best certificate's serial,
 * never a certificate hash. Per mailbox there are always the four status
 * series, one expiry series per usage that has a best certificate, and one
 * problem series per mailbox-level code it has (at most ten). Families are
 * written in a fixed order, each with its HELP and TYPE, so that the file
 * diffs well between checks.
 *
 * Label values go through util_sanitize() (control characters and invalid
 * UTF-8 become the text \xNN) and then the exposition format's own escapes
 * (backslash, double quote, line feed): the format requires UTF-8 and
 * knows no other escape. */
#include "metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "log.h"
#include "mailbox.h"
#include "problem.h"
#include "util.h"

#define LABEL_MAX_LEN 1024

static const enum sw_status status_order[SW_STATUS_COUNT] = { SW_OK, SW_WARNING, SW_CRITICAL,
                                                              SW_UNKNOWN };

static void family(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, quoted and escaped. */
static int put_value(FILE *f, const char *s)
{
        char *san = util_sanitize(s, strlen(s), LABEL_MAX_LEN);

        if (!san)
                return -ENOMEM;
        fputc('"', f);
        for (const char *p = san; *p; p++) {
                if (*p == '\\' || *p == '"')
                        fputc('\\', f);
                if (*p == '\n')
                        fputs("\\n", f);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
        free(san);
        return 0;
}

/* name{label="value",...} with n label pairs (names are ours, values not). */
static int put_series(FILE *f, const char *name, size_t n, const char *const *labels)
{
        int r = 0;

        fputs(name, f);
        for (size_t i = 0; i < n && r == 0; i++) {
                fprintf(f, "%s%s=", i ? "," : "{", labels[2 * i]);
                r = put_value(f, labels[2 * i + 1]);
        }
        if (n > 0)
                fputc('}', f);
        fputc(' ', f);
        return r;
}

static void put_cycle(FILE *f, const struct cycle_result *c)
{
        family(f, "smimewatch_build_info", "gauge", "Always 1; the version of smimewatch.");
        fprintf(f, "smimewatch_build_info{version=\"%s\"} 1\n", SMIMEWATCH_VERSION);
        family(f, "smimewatch_last_cycle_start_timestamp_seconds", "gauge",
               "When the last check started (the evaluation time), as a Unix time.");
        fprintf(f, "smimewatch_last_cycle_start_timestamp_seconds %lld\n",
                (long long)c->checked_at);
        family(f, "smimewatch_last_cycle_duration_seconds", "gauge",
               "How long the last check took.");
        fprintf(f, "smimewatch_last_cycle_duration_seconds %.3f\n",
                (double)c->duration_usec / 1e6);
        family(f, "smimewatch_last_cycle_success", "gauge",
               "1 when the last check reached a verdict on every mailbox (none unknown), else 0.");
        fprintf(f, "smimewatch_last_cycle_success %d\n",
                !c->directory_failed && c->counts[SW_UNKNOWN] == 0);
        family(f, "smimewatch_directory_up", "gauge",
               "1 when the directory answered in the last check, 0 when it could not be reached.");
        fprintf(f, "smimewatch_directory_up %d\n", !c->directory_failed);
        family(f, "smimewatch_mailboxes", "gauge", "Mailboxes per status in the last check.");
        for (size_t i = 0; i < SW_STATUS_COUNT; i++)
                fprintf(f, "smimewatch_mailboxes{status=\"%s\"} %u\n",
                        sw_status_name(status_order[i]), c->counts[status_order[i]]);
}

static int put_status(FILE *f, const struct cycle_result *c)
{
        int r = 0;

        family(f, "smimewatch_mailbox_status", "gauge",
               "1 for the status the mailbox has (ok, warning, critical, unknown), 0 for the others.");
        for (size_t i = 0; i < c->n_mailboxes && r == 0; i++) {
                const struct mailbox_result *m = &c->mailboxes[i];

                for (size_t s = 0; s < SW_STATUS_COUNT && r == 0; s++) {
                        const char *l[] = { "mailbox", m->address,
                                            "status", sw_status_name(status_order[s]) };

                        r = put_series(f, "smimewatch_mailbox_status", 2, l);
                        fprintf(f, "%d\n", m->status == status_order[s]);
                }
        }
        return r;
}

static int put_expiry(FILE *f, const struct cycle_result *c)
{
        static const unsigned usages[] = { USAGE_ENCRYPTION, USAGE_SIGNATURE };
        int r = 0;

        family(f, "smimewatch_certificate_not_after_timestamp_seconds", "gauge",
               "End of validity (Unix time) of the best usable certificate of the mailbox for the "
               "usage; absent while it has none.");
        for (size_t i = 0; i < c->n_mailboxes && r == 0; i++) {
                const struct mailbox_result *m = &c->mailboxes[i];

                for (size_t u = 0; u < 2 && r == 0; u++) {
                        int best = usages[u] == USAGE_ENCRYPTION ? m->best_encryption
                                                                 : m->best_signature;
                        const struct cert_result *cert;

                        if (best < 0 || (size_t)best >= m->n_certs)
                                continue;
                        cert = &m->certs[best];
                        {
                                const char *l[] = { "mailbox", m->address,
                                                    "usage", usage_name(usages[u]),
                                                    "serial", cert->serial ? cert->serial : "" };

                                r = put_series(f, "smimewatch_certificate_not_after_timestamp_seconds",
                                               3, l);
                        }
                        fprintf(f, "%lld\n", (long long)cert->not_after);
                }
        }
        return r;
}

static int put_problems(FILE *f, const struct cycle_result *c)
{
        int r = 0;

        family(f, "smimewatch_mailbox_problems", "gauge",
               "Problems of the mailbox with this code in the last check; absent when none.");
        for (size_t i = 0; i < c->n_mailboxes && r == 0; i++) {
                const struct mailbox_result *m = &c->mailboxes[i];
                unsigned count[PROBLEM_CODE_COUNT] = { 0 };

                for (size_t p = 0; p < m->problems.n; p++)
                        if ((unsigned)m->problems.items[p].code < PROBLEM_CODE_COUNT)
                                count[m->problems.items[p].code]++;
                for (int code = 0; code < PROBLEM_CODE_COUNT && r == 0; code++) {
                        const char *l[] = { "mailbox", m->address,
                                            "code", problem_code_name((enum problem_code)code) };

                        if (!count[code])
                                continue;
                        r = put_series(f, "smimewatch_mailbox_problems", 2, l);
                        fprintf(f, "%u\n", count[code]);
                }
        }
        return r;
}

/* Families that other parts add go here, after the mailbox series, each
 * a function like the ones above reading only the result (issue 7: the
 * age and nextUpdate of each CRL, e.g.
 * smimewatch_crl_next_update_timestamp_seconds{issuer}). */

int metrics_write(FILE *f, const struct cycle_result *c)
{
        int r;

        put_cycle(f, c);
        r = put_status(f, c);
        if (r == 0)
                r = put_expiry(f, c);
        if (r == 0)
                r = put_problems(f, c);
        if (fflush(f) != 0 || ferror(f))
                return -(errno ? errno : EIO);
        return r;
}

int metrics_write_file(const char *path, const struct cycle_result *c)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r;

        if (!f)
                return -ENOMEM;
        r = metrics_write(f, c);
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        /* node_exporter runs as another user. */
        if (r == 0)
                r = util_replace_file(path, text, len, 0644);
        free(text);
        return r;
}

int metrics_update(const char *path, const struct cycle_result *c, int last_error)
{
        int r;

        if (!path)
                return 0;
        r = metrics_write_file(path, c);
        if (r < 0 && r != last_error)
                log_warning("cannot write the metrics to \"%s\": %s", path, strerror(-r));
        else if (r == 0 && last_error < 0)
                log_notice("metrics written to \"%s\" again", path);
        return r;
}
