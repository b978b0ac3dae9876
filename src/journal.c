/* SPDX-License-Identifier: EUPL-1.2 */
#include "journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "mailbox.h"
#include "msgid.h"
#include "state.h"
#include "util.h"

#define MAX_FIELDS 24

static const char *const problem_msgids[PROBLEM_CODE_COUNT] = {
        [PROBLEM_DIRECTORY_UNREACHABLE] = MSGID_DIRECTORY_UNREACHABLE,
        [PROBLEM_MAILBOX_NOT_FOUND] = MSGID_MAILBOX_NOT_FOUND,
        [PROBLEM_MAILBOX_AMBIGUOUS] = MSGID_MAILBOX_AMBIGUOUS,
        [PROBLEM_ENCRYPTION_CERT_MISSING] = MSGID_ENCRYPTION_CERT_MISSING,
        [PROBLEM_SIGNATURE_CERT_MISSING] = MSGID_SIGNATURE_CERT_MISSING,
        [PROBLEM_CERT_EXPIRING] = MSGID_CERT_EXPIRING,
        [PROBLEM_STALE_CERT_PUBLISHED] = MSGID_STALE_CERT_PUBLISHED,
        [PROBLEM_DECRYPTION_KEY_MISMATCH] = MSGID_DECRYPTION_KEY_MISMATCH,
        [PROBLEM_DECRYPTION_KEY_UNREADABLE] = MSGID_DECRYPTION_KEY_UNREADABLE,
        [PROBLEM_MESSAGE_SIZE_LIMIT] = MSGID_MESSAGE_SIZE_LIMIT,
        [PROBLEM_REVOCATION_UNKNOWN] = MSGID_REVOCATION_UNKNOWN,
        [PROBLEM_CERT_WEAK_KEY] = MSGID_CERT_WEAK_KEY,
        [PROBLEM_CERT_SUBJECT_EMAIL_ONLY] = MSGID_CERT_SUBJECT_EMAIL_ONLY,
};

const char *journal_msgid(enum problem_code code)
{
        return (unsigned)code < PROBLEM_CODE_COUNT ? problem_msgids[code] : NULL;
}

int journal_priority(enum sw_status level)
{
        return level == SW_WARNING ? LOG_WARNING : level == SW_OK ? LOG_INFO : LOG_ERR;
}

/* An entry under construction: "NAME=value" strings for sd_journal_sendv. */
struct entry {
        char *field[MAX_FIELDS];
        size_t n;
        bool oom;
};

/* "NAME=value": the journal is an output edge, the value is escaped here
 * (util_escape()). */
static void add(struct entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct entry *e, const char *fmt, ...)
{
        char *raw, *value = NULL, *eq;
        va_list ap;

        if (e->oom || e->n >= MAX_FIELDS) {
                e->oom = true;
                return;
        }
        va_start(ap, fmt);
        raw = util_vformat(fmt, ap);
        va_end(ap);
        eq = raw ? strchr(raw, '=') : NULL;
        if (eq)
                value = util_escape(eq + 1);
        if (value && asprintf(&e->field[e->n], "%.*s=%s", (int)(eq - raw), raw, value) >= 0)
                e->n++;
        else
                e->oom = true;
        free(value);
        free(raw);
}

static void add_time(struct entry *e, const char *name, time_t t)
{
        char buf[21];

        add(e, "%s=%s", name, util_format_time(t, buf));
}

static void add_common(struct entry *e, const char *msgid, int priority)
{
        add(e, "SYSLOG_IDENTIFIER=smimewatch");
        if (msgid)
                add(e, "MESSAGE_ID=%s", msgid);
        add(e, "PRIORITY=%d", priority);
}

static int send_entry(struct entry *e)
{
        struct iovec iov[MAX_FIELDS];
        int r = -ENOMEM;

        if (!e->oom) {
                for (size_t i = 0; i < e->n; i++)
                        iov[i] = (struct iovec){ e->field[i], strlen(e->field[i]) };
                r = sd_journal_sendv(iov, (int)e->n);
        }
        for (size_t i = 0; i < e->n; i++)
                free(e->field[i]);
        e->n = 0;
        return r;
}

static void add_cert(struct entry *e, const char *sha256, const char *serial, time_t not_after)
{
        if (sha256 && *sha256)
                add(e, "SMIMEWATCH_CERT_SHA256=%s", sha256);
        if (serial && *serial)
                add(e, "SMIMEWATCH_CERT_SERIAL=%s", serial);
        if (not_after)
                add_time(e, "SMIMEWATCH_CERT_NOT_AFTER", not_after);
}

/* "ADDRESS: message", with the expiry date for CERT_EXPIRING unless the
 * message names it already. */
static void add_message(struct entry *e, const struct mailbox_result *m, const struct problem *p,
                        const struct cert_result *c)
{
        const char *msg = p->message ? p->message : problem_code_name(p->code);
        char date[11];

        if (p->code == PROBLEM_CERT_EXPIRING && c && c->not_after &&
            !strstr(msg, util_format_date(c->not_after, date)))
                add(e, "MESSAGE=%s: %s (%s)", m->address, msg, date);
        else
                add(e, "MESSAGE=%s: %s", m->address, msg);
}

int journal_problem(const struct mailbox_result *m, const struct problem *p, const char *event)
{
        const struct cert_result *c = NULL;
        struct entry e = { 0 };

        if (p->cert >= 0 && (size_t)p->cert < m->n_certs)
                c = &m->certs[p->cert];
        add_common(&e, journal_msgid(p->code), journal_priority(p->level));
        add_message(&e, m, p, c);
        add(&e, "SMIMEWATCH_MAILBOX=%s", m->address);
        add(&e, "SMIMEWATCH_STATUS=%s", sw_status_name(m->status));
        add(&e, "SMIMEWATCH_PROBLEM=%s", problem_code_name(p->code));
        add(&e, "SMIMEWATCH_LEVEL=%s", sw_status_name(p->level));
        add(&e, "SMIMEWATCH_ALERT=%s", event);
        if (p->usage && usage_name(p->usage))
                add(&e, "SMIMEWATCH_USAGE=%s", usage_name(p->usage));
        if (p->has_days_left)
                add(&e, "SMIMEWATCH_DAYS_LEFT=%ld", p->days_left);
        if (c)
                add_cert(&e, c->sha256, c->serial, c->not_after);
        return send_entry(&e);
}

int journal_recovered(const struct state_alert *a, enum sw_status status)
{
        struct entry e = { 0 };

        add_common(&e, MSGID_RECOVERED, LOG_NOTICE);
        add(&e, "MESSAGE=%s: resolved: %s", a->mailbox,
            a->message && *a->message ? a->message : problem_code_name(a->code));
        add(&e, "SMIMEWATCH_MAILBOX=%s", a->mailbox);
        add(&e, "SMIMEWATCH_STATUS=%s", sw_status_name(status));
        add(&e, "SMIMEWATCH_PROBLEM=%s", problem_code_name(a->code));
        add(&e, "SMIMEWATCH_ALERT=recovered");
        if (a->usage && usage_name(a->usage))
                add(&e, "SMIMEWATCH_USAGE=%s", usage_name(a->usage));
        add_cert(&e, a->cert_sha256, a->cert_serial, a->cert_not_after);
        return send_entry(&e);
}

int journal_outage(const char *reason, size_t n_mailboxes)
{
        struct entry e = { 0 };

        add_common(&e, MSGID_DIRECTORY_OUTAGE, journal_priority(SW_UNKNOWN));
        add(&e, "MESSAGE=directory unreachable: %s; %zu mailbox%s keep%s the last known status "
            "until it answers again", reason ? reason : "no reason given", n_mailboxes,
            n_mailboxes == 1 ? "" : "es", n_mailboxes == 1 ? "s" : "");
        add(&e, "SMIMEWATCH_PROBLEM=%s", problem_code_name(PROBLEM_DIRECTORY_UNREACHABLE));
        add(&e, "SMIMEWATCH_STATUS=%s", sw_status_name(SW_UNKNOWN));
        add(&e, "SMIMEWATCH_ALERT=new");
        if (reason)
                add(&e, "SMIMEWATCH_REASON=%s", reason);
        return send_entry(&e);
}

int journal_outage_over(time_t since)
{
        struct entry e = { 0 };
        char buf[21];

        add_common(&e, MSGID_RECOVERED, LOG_NOTICE);
        add(&e, "MESSAGE=directory answers again (unreachable since %s)",
            util_format_time(since, buf));
        add(&e, "SMIMEWATCH_PROBLEM=%s", problem_code_name(PROBLEM_DIRECTORY_UNREACHABLE));
        add(&e, "SMIMEWATCH_ALERT=recovered");
        add_time(&e, "SMIMEWATCH_OUTAGE_SINCE", since);
        return send_entry(&e);
}

int journal_source_failing(const char *source, const char *why, bool covered)
{
        struct entry e = { 0 };

        add_common(&e, MSGID_REVOCATION_SOURCE_FAILING, covered ? LOG_NOTICE : LOG_WARNING);
        add(&e, "MESSAGE=revocation source %s fails: %s%s", source, why,
            covered ? "" : "; certificates it covers may get REVOCATION_UNKNOWN");
        add(&e, "SMIMEWATCH_SOURCE=%s", source);
        add(&e, "SMIMEWATCH_REASON=%s", why);
        add(&e, "SMIMEWATCH_COVERED=%s", covered ? "yes" : "no");
        add(&e, "SMIMEWATCH_ALERT=new");
        return send_entry(&e);
}

int journal_source_back(const char *source)
{
        struct entry e = { 0 };

        add_common(&e, MSGID_REVOCATION_SOURCE_BACK, LOG_NOTICE);
        add(&e, "MESSAGE=revocation source %s answers again", source);
        add(&e, "SMIMEWATCH_SOURCE=%s", source);
        add(&e, "SMIMEWATCH_ALERT=recovered");
        return send_entry(&e);
}

int journal_summary(const unsigned counts[SW_STATUS_COUNT], size_t n, size_t discovered,
                    enum sw_status overall, time_t next_check, const char *outage_reason)
{
        struct entry e = { 0 };
        char next[21], extra[48] = "";

        util_format_time(next_check, next);
        if (discovered)
                snprintf(extra, sizeof(extra), " (%zu discovered)", discovered);
        add_common(&e, MSGID_CYCLE_SUMMARY, LOG_INFO);
        if (outage_reason)
                add(&e, "MESSAGE=directory unreachable (%s); last known status of %zu "
                    "mailbox%s: %u ok, %u warning, %u critical, %u unknown; next attempt %s",
                    outage_reason, n, n == 1 ? "" : "es", counts[SW_OK], counts[SW_WARNING],
                    counts[SW_CRITICAL], counts[SW_UNKNOWN], next);
        else
                add(&e, "MESSAGE=checked %zu mailbox%s%s: %u ok, %u warning, %u critical, "
                    "%u unknown; next check %s", n, n == 1 ? "" : "es", extra, counts[SW_OK],
                    counts[SW_WARNING], counts[SW_CRITICAL], counts[SW_UNKNOWN], next);
        add(&e, "SMIMEWATCH_STATUS=%s", sw_status_name(overall));
        add(&e, "SMIMEWATCH_MAILBOXES=%zu", n);
        add(&e, "SMIMEWATCH_DISCOVERED=%zu", discovered);
        add(&e, "SMIMEWATCH_OK=%u", counts[SW_OK]);
        add(&e, "SMIMEWATCH_WARNING=%u", counts[SW_WARNING]);
        add(&e, "SMIMEWATCH_CRITICAL=%u", counts[SW_CRITICAL]);
        add(&e, "SMIMEWATCH_UNKNOWN=%u", counts[SW_UNKNOWN]);
        add(&e, "SMIMEWATCH_NEXT_CHECK=%s", next);
        if (outage_reason)
                add(&e, "SMIMEWATCH_REASON=%s", outage_reason);
        return send_entry(&e);
}
