/* SPDX-License-Identifier: EUPL-1.2 */
/* The readiness verdict on one mailbox: every certificate the directory
 * publishes (and the local files add) is evaluated, the best one per
 * required usage decides, and the others only count as stale. Everything
 * comes in gathered (struct mbx_input): nothing here reads or asks. */
#include "mailbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>

#include "directory.h"
#include "pki.h"
#include "util.h"

/* Untrusted names and reasons are cut to this length in messages. */
#define NAME_MAX_LEN 256
/* At most this many certificates' reasons are listed in one message. */
#define MAX_REASONS 3

static int push_cert(struct mailbox_result *r, struct cert_result **ret)
{
        struct cert_result *certs = realloc(r->certs, (r->n_certs + 1) * sizeof(*certs));

        if (!certs)
                return -ENOMEM;
        r->certs = certs;
        *ret = &certs[r->n_certs];
        memset(*ret, 0, sizeof(**ret));
        return 0;
}

static bool already_have(const struct mailbox_result *r, size_t upto, const char *sha256)
{
        for (size_t i = 0; i < upto; i++)
                if (strcmp(r->certs[i].sha256, sha256) == 0)
                        return true;
        return false;
}

static char *cut_name(const char *dn)
{
        return util_cut(dn, strlen(dn), NAME_MAX_LEN);
}

static int set_origin(struct cert_result *cr, const struct mbx_blob *b)
{
        cr->source = b->source;
        cr->attribute = util_strdup0(b->attribute);
        cr->origin = cut_name(b->origin ? b->origin : "");
        return (b->attribute && !cr->attribute) || !cr->origin ? -ENOMEM : 0;
}

/* A container may carry several end-entity certificates (an encryption
 * and a signature certificate in one PKCS#7): each one that is not a CA
 * is a subject, every CA certificate only helps to build paths. */
static int add_container(struct mailbox_result *r, const struct eval_ctx *ctx,
                         STACK_OF(X509) *certs, const struct mbx_blob *b)
{
        STACK_OF(X509) *untrusted = NULL;
        bool any_subject = false;
        int n = sk_X509_num(certs), rc = -ENOMEM;

        untrusted = sk_X509_new_null();
        if (!untrusted)
                goto out;
        for (int i = 0; i < n; i++) {
                X509 *x = sk_X509_value(certs, i);

                if (X509_check_ca(x) != 0 && !sk_X509_push(untrusted, x))
                        goto out;
                if (X509_check_ca(x) == 0)
                        any_subject = true;
        }
        for (int i = 0; i < n; i++) {
                X509 *x = sk_X509_value(certs, i);
                struct cert_result *cr;
                size_t before = r->n_certs;

                /* Without any end-entity certificate the first one is the subject. */
                if (any_subject ? X509_check_ca(x) != 0 : i > 0)
                        continue;
                rc = push_cert(r, &cr);
                if (rc < 0)
                        goto out;
                r->n_certs++;
                rc = eval_cert(ctx, x, untrusted, r->address, cr);
                if (rc >= 0)
                        rc = set_origin(cr, b);
                if (rc < 0)
                        goto out;
                if (already_have(r, before, cr->sha256)) {
                        cert_result_free(cr);
                        r->n_certs--;
                }
        }
        rc = 0;
out:
        sk_X509_free(untrusted);
        return rc;
}

static int add_unparsable(struct mailbox_result *r, const unsigned char *data, size_t len,
                          const char *why, const struct mbx_blob *b)
{
        struct cert_result *cr;
        int rc = push_cert(r, &cr);

        if (rc < 0)
                return rc;
        r->n_certs++;
        rc = eval_unparsable(data, len, why, cr);
        if (rc < 0)
                return rc;
        return set_origin(cr, b);
}

/* A local file that could not be read is a problem of this mailbox only. */
static int add_unread(struct mailbox_result *r, const struct mbx_blob *b)
{
        char *why = NULL, buf[128];
        int rc;

        /* util_read_error: mailboxes are evaluated on threads */
        if (asprintf(&why, "cannot read the file: %s",
                     util_read_error(b->read_error, buf, sizeof(buf))) < 0)
                return -ENOMEM;
        rc = add_unparsable(r, (const unsigned char *)"", 0, why, b);
        free(why);
        return rc;
}

/* One directory value or file: whatever certificates it holds, or an
 * unparsable value with the hash of its bytes. */
static int add_blob(struct mailbox_result *r, const struct eval_ctx *ctx, const struct mbx_blob *b)
{
        STACK_OF(X509) *certs = NULL;
        char *why = NULL;
        int rc;

        if (b->read_error < 0)
                return add_unread(r, b);
        if (b->decoded)
                return b->certs ? add_container(r, ctx, b->certs, b)
                                : add_unparsable(r, b->data, b->len,
                                                 b->why ? b->why : "not a certificate", b);
        if (pki_decode(b->data, b->len, &certs, &why) < 0)
                rc = add_unparsable(r, b->data, b->len, why ? why : "not a certificate", b);
        else
                rc = add_container(r, ctx, certs, b);
        sk_X509_pop_free(certs, X509_free);
        free(why);
        return rc;
}

static struct problem *scoped(struct problem *p, enum problem_scope scope)
{
        if (p)
                p->scope = scope;
        return p;
}

static int best_for(const struct mailbox_result *r, unsigned usage)
{
        int best = -1;

        for (size_t i = 0; i < r->n_certs; i++)
                if ((r->certs[i].usable_for & usage) &&
                    (best < 0 || r->certs[i].not_after > r->certs[best].not_after))
                        best = (int)i;
        return best;
}

/* "serial 0A1B (CN=...)" for messages. */
static const char *cert_label(const struct cert_result *c, char *buf, size_t size)
{
        if (c->serial)
                snprintf(buf, size, "serial %s (%s)", c->serial, c->subject ? c->subject : "?");
        else
                snprintf(buf, size, "unparsable value in %s", c->origin ? c->origin : "?");
        return buf;
}

/* The first critical problem of a certificate: why it cannot be used. */
static const struct problem *main_reason(const struct cert_result *c)
{
        for (size_t i = 0; i < c->problems.n; i++)
                if (c->problems.items[i].level == SW_CRITICAL)
                        return &c->problems.items[i];
        return c->problems.n ? &c->problems.items[0] : NULL;
}

/* Why no certificate serves usage, in one word of the report: the most
 * telling of these codes on the first candidate that has one. */
static int missing_cause(const struct mailbox_result *r, unsigned usage)
{
        static const enum problem_code causes[] = {
                PROBLEM_CERT_REVOKED, PROBLEM_CERT_EXPIRED, PROBLEM_CERT_NOT_YET_VALID,
                PROBLEM_CERT_UNTRUSTED, PROBLEM_CERT_ADDRESS_MISMATCH, PROBLEM_CERT_WRONG_USAGE,
                PROBLEM_CERT_WEAK_KEY, PROBLEM_CERT_WEAK_SIGNATURE, PROBLEM_CERT_POLICY_MISMATCH,
                PROBLEM_CERT_UNPARSABLE,
        };

        for (size_t i = 0; i < r->n_certs; i++) {
                const struct cert_result *c = &r->certs[i];

                if (c->parsed && !(c->usages & usage))
                        continue;
                for (size_t k = 0; k < sizeof(causes) / sizeof(causes[0]); k++)
                        if (problem_list_has(&c->problems, causes[k]))
                                return (int)causes[k];
        }
        return -1;
}

static int add_missing(struct mailbox_result *r, unsigned usage)
{
        enum problem_code code = usage == USAGE_ENCRYPTION ? PROBLEM_ENCRYPTION_CERT_MISSING
                                                            : PROBLEM_SIGNATURE_CERT_MISSING;
        char reasons[2048] = "", label[600], none[160];
        size_t listed = 0, len = 0;
        struct problem *missing;

        for (size_t i = 0; i < r->n_certs; i++) {
                const struct cert_result *c = &r->certs[i];
                const struct problem *p = main_reason(c);

                if (c->parsed && !(c->usages & usage))
                        continue;
                if (listed++ >= MAX_REASONS)
                        continue;
                len += (size_t)snprintf(reasons + len, len < sizeof(reasons) ? sizeof(reasons) - len : 0,
                                        "%s%s (%s)", listed > 1 ? "; " : "",
                                        p ? p->message : "not usable",
                                        cert_label(c, label, sizeof(label)));
                if (len >= sizeof(reasons))
                        len = sizeof(reasons) - 1;
        }
        if (listed > MAX_REASONS)
                snprintf(reasons + len, sizeof(reasons) - len, "; and %zu more", listed - MAX_REASONS);
        snprintf(none, sizeof(none), "the directory entry has no certificate");
        missing = problem_add(&r->problems, code, SW_CRITICAL, "no usable %s certificate: %s",
                              usage_name(usage),
                              listed ? reasons
                              : r->n_certs ? "no published certificate permits this usage" : none);
        if (!scoped(missing, PROBLEM_SCOPE_USAGE))
                return -ENOMEM;
        missing->usage = usage;
        missing->cause = missing_cause(r, usage);
        return 0;
}

/* The directory's answer was cut at its limits (directory.h). */
static bool answer_cut(const struct mbx_input *in)
{
        return in->entries_truncated || in->n_dropped > 0;
}

/* What was cut, in words. */
static void cut_text(const struct mbx_input *in, char *buf, size_t size)
{
        size_t n = in->n_dropped, big = in->n_too_large;

        buf[0] = 0;
        if (in->entries_truncated)
                snprintf(buf, size, "only %zu of the matching entries were returned: size "
                         "limit, at most %d are asked for%s", in->n_entries, DIR_MAX_ENTRIES,
                         n ? "; " : "");
        if (n)
                snprintf(buf + strlen(buf), size - strlen(buf),
                         "%zu value%s left out (%zu over %d per entry, %zu over %u KiB)", n,
                         n == 1 ? "" : "s", n - big, DIR_MAX_VALUES, big,
                         DIR_MAX_VALUE_SIZE / 1024u);
}

/* A verdict that what was left out could change: the mailbox is unknown
 * for usage, not critical (the certificate may be among the rest). */
static int add_cut(struct mailbox_result *r, const struct mbx_input *in, unsigned usage,
                   const char *what)
{
        char cut[256];
        struct problem *p;

        cut_text(in, cut, sizeof(cut));
        p = problem_add(&r->problems, PROBLEM_DIRECTORY_UNREACHABLE, SW_UNKNOWN,
                        "the directory's answer was cut at its limits (%s): %s, and one may be "
                        "among what was left out", cut, what);
        if (!scoped(p, PROBLEM_SCOPE_USAGE))
                return -ENOMEM;
        p->usage = usage;
        return 0;
}

static int add_expiring(struct mailbox_result *r, const struct mbx_input *in, unsigned usage,
                        int best)
{
        const struct cert_result *c = &r->certs[best];
        enum sw_status level;
        struct problem *p;
        char date[11];

        if (c->days_left <= in->critical_days)
                level = SW_CRITICAL;
        else if (c->days_left <= in->warn_days)
                level = SW_WARNING;
        else
                return 0;
        if (level == SW_CRITICAL && answer_cut(in)) {
                char what[96];

                snprintf(what, sizeof(what), "the best %s certificate read expires in %ld day%s",
                         usage_name(usage), c->days_left, c->days_left == 1 ? "" : "s");
                return add_cut(r, in, usage, what);
        }
        p = problem_add(&r->problems, PROBLEM_CERT_EXPIRING, level,
                        "%s certificate expires in %ld day%s (%s)", usage_name(usage),
                        c->days_left, c->days_left == 1 ? "" : "s",
                        util_format_date(c->not_after, date));
        if (!p)
                return -ENOMEM;
        p->scope = PROBLEM_SCOPE_USAGE;
        p->usage = usage;
        p->has_days_left = true;
        p->days_left = c->days_left;
        p->cert = best;
        return 0;
}

/* Warnings of a certificate in use (revocation unknown, weak key, address
 * only in the subject) are the mailbox's warnings too. */
static int add_best_warnings(struct mailbox_result *r, int best, unsigned usage)
{
        const struct cert_result *c = &r->certs[best];

        for (size_t i = 0; i < c->problems.n; i++) {
                const struct problem *cp = &c->problems.items[i];
                struct problem *p;

                if (cp->level != SW_WARNING)
                        continue;
                p = problem_add(&r->problems, cp->code, SW_WARNING, "%s certificate: %s",
                                usage ? usage_name(usage) : "encryption and signature",
                                cp->message);
                if (!p)
                        return -ENOMEM;
                p->scope = usage ? PROBLEM_SCOPE_USAGE : PROBLEM_SCOPE_BOTH_USAGES;
                p->usage = usage;
                p->cert = best;
        }
        return 0;
}

static int add_stale(struct mailbox_result *r, int index)
{
        const struct cert_result *c = &r->certs[index];
        const struct problem *why = main_reason(c);
        char label[600];
        struct problem *p;

        p = problem_add(&r->problems, PROBLEM_STALE_CERT_PUBLISHED, SW_WARNING,
                        "%s beside a usable one: %s (%s)",
                        c->source == CERT_SOURCE_FILE ? "unusable certificate in a local file"
                                                      : "stale certificate published",
                        why ? why->message : "not usable", cert_label(c, label, sizeof(label)));
        if (!scoped(p, PROBLEM_SCOPE_MAILBOX))
                return -ENOMEM;
        p->cert = index;
        return 0;
}

static int decide(struct mailbox_result *r, const struct mbx_input *in)
{
        static const unsigned usages[] = { USAGE_ENCRYPTION, USAGE_SIGNATURE };
        bool any_usable = false;
        int rc;

        if (r->n_entries == 0) {
                if (!scoped(problem_add(&r->problems, PROBLEM_MAILBOX_NOT_FOUND, SW_CRITICAL,
                                        "no directory entry matches the address"),
                            PROBLEM_SCOPE_MAILBOX))
                        return -ENOMEM;
                return 0;
        }
        if (r->n_entries > 1 &&
            !scoped(problem_add(&r->problems, PROBLEM_MAILBOX_AMBIGUOUS, SW_WARNING,
                                "%s%zu directory entries match the address: \"%s\", \"%s\"%s",
                                r->entries_truncated ? "more than " : "", r->n_entries,
                                r->entries[0], r->entries[1],
                                r->n_entries > 2 || r->entries_truncated ? " and more" : ""),
                    PROBLEM_SCOPE_MAILBOX))
                return -ENOMEM;
        r->best_encryption = best_for(r, USAGE_ENCRYPTION);
        r->best_signature = best_for(r, USAGE_SIGNATURE);
        for (size_t i = 0; i < r->n_certs; i++)
                any_usable |= r->certs[i].usable_for != 0;
        for (size_t k = 0; k < 2; k++) {
                unsigned usage = usages[k];
                int best = usage == USAGE_ENCRYPTION ? r->best_encryption : r->best_signature;

                if (!(in->require_usages & usage))
                        continue;
                if (best >= 0)
                        rc = add_expiring(r, in, usage, best);
                else if (answer_cut(in))
                        rc = add_cut(r, in, usage, usage == USAGE_ENCRYPTION
                                     ? "no usable encryption certificate among what was read"
                                     : "no usable signature certificate among what was read");
                else
                        rc = add_missing(r, usage);
                if (rc < 0)
                        return rc;
        }
        for (size_t i = 0; i < r->n_certs; i++) {
                bool enc = (int)i == r->best_encryption && (in->require_usages & USAGE_ENCRYPTION);
                bool sig = (int)i == r->best_signature && (in->require_usages & USAGE_SIGNATURE);

                if (enc || sig)
                        rc = add_best_warnings(r, (int)i, enc && sig ? 0
                                                          : enc ? USAGE_ENCRYPTION : USAGE_SIGNATURE);
                else if (any_usable && r->certs[i].problems.n > 0)
                        rc = add_stale(r, (int)i);
                else
                        rc = 0;
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static int copy_entries(struct mailbox_result *r, const struct mbx_input *in)
{
        r->entries_truncated = in->entries_truncated;
        r->values_dropped = in->n_dropped;
        r->values_too_large = in->n_too_large;
        if (in->n_entries == 0)
                return 0;
        r->entries = calloc(in->n_entries, sizeof(*r->entries));
        if (!r->entries)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_entries; i++) {
                r->entries[i] = cut_name(in->entries[i] ? in->entries[i] : "");
                if (!r->entries[i])
                        return -ENOMEM;
                r->n_entries++;
        }
        return 0;
}

int mbx_evaluate(const struct eval_ctx *ctx, const struct mbx_input *in,
                 struct mailbox_result *out)
{
        struct mailbox_result r = { .best_encryption = -1, .best_signature = -1 };
        int rc = -ENOMEM;

        r.address = strdup(in->address);
        if (!r.address)
                goto out;
        if (in->unreachable) {
                if (!scoped(problem_add(&r.problems, PROBLEM_DIRECTORY_UNREACHABLE, SW_UNKNOWN,
                                        "the directory could not be searched: %s",
                                        in->unreachable), PROBLEM_SCOPE_MAILBOX))
                        goto out;
                r.status = SW_UNKNOWN;
                rc = 0;
                goto out;
        }
        rc = copy_entries(&r, in);
        for (size_t i = 0; rc >= 0 && i < in->n_blobs; i++)
                rc = add_blob(&r, ctx, &in->blobs[i]);
        if (rc >= 0)
                rc = decide(&r, in);
        if (rc < 0)
                goto out;
        r.status = problem_list_worst(&r.problems);
        rc = 0;
out:
        if (rc < 0)
                mailbox_result_free(&r);
        else
                *out = r;
        return rc;
}

void mailbox_result_free(struct mailbox_result *r)
{
        if (!r)
                return;
        free(r->address);
        for (size_t i = 0; i < r->n_entries; i++)
                free(r->entries[i]);
        free(r->entries);
        for (size_t i = 0; i < r->n_certs; i++)
                cert_result_free(&r->certs[i]);
        free(r->certs);
        problem_list_free(&r->problems);
        memset(r, 0, sizeof(*r));
}
