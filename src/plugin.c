/* SPDX-License-Identifier: EUPL-1.2 */
/* Monitoring-plugin output (Monitoring Plugins development guidelines,
 * "Plugin Output"): one status line "SMIMEWATCH STATUS - text | perfdata",
 * then the long output, one line per mailbox that is not ok, worst first.
 *
 * Performance data follow the guidelines' grammar
 * 'label'=value[UOM];[warn];[crit];[min];[max]: the mailboxes per status,
 * and min_days_left, the fewest days any best certificate has left, with
 * the ranges "@~:warn_days" and "@~:critical_days" (alert at or below, as
 * the verdicts do). Days are no unit of the guidelines, so it has none.
 *
 * A "|" in the text would start the performance data: text taken from the
 * result (addresses, the directory's reason) is passed through
 * util_sanitize() and any "|" is written as \x7c. */
#include "plugin.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "mailbox.h"
#include "problem.h"
#include "util.h"

#define TEXT_MAX_LEN 512
#define STATUS_LINE_MAILBOXES 5 /* named on the status line, then "and N more" */

static const enum sw_status severity[SW_STATUS_COUNT] = { SW_CRITICAL, SW_UNKNOWN, SW_WARNING,
                                                          SW_OK };

static const char *upper(enum sw_status s)
{
        static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

        return (unsigned)s < SW_STATUS_COUNT ? names[s] : "UNKNOWN";
}

static int put_text(FILE *f, const char *s)
{
        char *san = util_sanitize(s, strlen(s), TEXT_MAX_LEN);

        if (!san)
                return -ENOMEM;
        for (const char *p = san; *p; p++) {
                if (*p == '|')
                        fputs("\\x7c", f);
                else
                        fputc(*p, f);
        }
        free(san);
        return 0;
}

/* "CODE" or "CODE 3 d" for an expiry. */
static void put_code(FILE *f, const struct problem *p)
{
        fputs(problem_code_name(p->code), f);
        if (p->code == PROBLEM_CERT_EXPIRING && p->has_days_left)
                fprintf(f, " %ld d", p->days_left);
}

/* The fewest days left of any best certificate; false when there is none. */
static bool min_days_left(const struct cycle_result *c, long *ret)
{
        long min = LONG_MAX;

        for (size_t i = 0; i < c->n_mailboxes; i++) {
                const struct mailbox_result *m = &c->mailboxes[i];
                int best[] = { m->best_encryption, m->best_signature };

                for (size_t b = 0; b < 2; b++)
                        if (best[b] >= 0 && (size_t)best[b] < m->n_certs &&
                            m->certs[best[b]].days_left < min)
                                min = m->certs[best[b]].days_left;
        }
        *ret = min;
        return min != LONG_MAX;
}

static int put_summary(FILE *f, const struct cycle_result *c)
{
        size_t named = 0, total = c->counts[c->status];
        int r = 0;

        if (c->directory_failed) {
                fputs("directory unreachable: ", f);
                return put_text(f, c->directory_reason ? c->directory_reason : "unknown error");
        }
        if (c->status == SW_OK) {
                fprintf(f, "%zu mailbox%s ready", c->n_mailboxes,
                        c->n_mailboxes == 1 ? "" : "es");
                return 0;
        }
        fprintf(f, "%zu of %zu mailbox%s %s: ", total, c->n_mailboxes,
                c->n_mailboxes == 1 ? "" : "es", sw_status_name(c->status));
        for (size_t i = 0; i < c->n_mailboxes && r == 0; i++) {
                const struct mailbox_result *m = &c->mailboxes[i];
                const struct problem *p = problem_list_main(&m->problems);

                if (m->status != c->status)
                        continue;
                if (named == STATUS_LINE_MAILBOXES) {
                        fprintf(f, " and %zu more", total - named);
                        break;
                }
                fputs(named++ ? ", " : "", f);
                r = put_text(f, m->address);
                if (p) {
                        fputs(" (", f);
                        put_code(f, p);
                        fputc(')', f);
                }
        }
        return r;
}

static void put_perfdata(FILE *f, const struct cycle_result *c, int warn_days, int critical_days)
{
        long days;

        fprintf(f, " | ok=%u;;;0 warning=%u;;;0 critical=%u;;;0 unknown=%u;;;0",
                c->counts[SW_OK], c->counts[SW_WARNING], c->counts[SW_CRITICAL],
                c->counts[SW_UNKNOWN]);
        if (min_days_left(c, &days))
                fprintf(f, " min_days_left=%ld;@~:%d;@~:%d", days, warn_days, critical_days);
}

/* "[CRITICAL] a@x: CODE (message); CODE (message)" */
static int put_mailbox(FILE *f, const struct mailbox_result *m)
{
        int r;

        fprintf(f, "[%s] ", upper(m->status));
        r = put_text(f, m->address);
        fputc(':', f);
        for (size_t i = 0; i < m->problems.n && r == 0; i++) {
                const struct problem *p = &m->problems.items[i];

                fputs(i ? "; " : " ", f);
                put_code(f, p);
                fputs(" (", f);
                r = put_text(f, p->message);
                fputc(')', f);
        }
        fputc('\n', f);
        return r;
}

int plugin_write(FILE *f, const struct cycle_result *c, int warn_days, int critical_days)
{
        int r;

        fprintf(f, "SMIMEWATCH %s - ", upper(c->status));
        r = put_summary(f, c);
        put_perfdata(f, c, warn_days, critical_days);
        fputc('\n', f);
        /* With the directory down every mailbox says so: the status line is enough. */
        for (size_t s = 0; s < SW_STATUS_COUNT - 1 && r == 0 && !c->directory_failed; s++)
                for (size_t i = 0; i < c->n_mailboxes && r == 0; i++)
                        if (c->mailboxes[i].status == severity[s])
                                r = put_mailbox(f, &c->mailboxes[i]);
        if (fflush(f) != 0 || ferror(f))
                return -(errno ? errno : EIO);
        return r;
}
