/* SPDX-License-Identifier: EUPL-1.2 */
/* The readiness verdict on one mailbox (smimewatch(8), VERDICTS). */
#ifndef SMIMEWATCH_MAILBOX_H
#define SMIMEWATCH_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "evaluate.h"
#include "problem.h"

/* One certificate container gathered for a mailbox: a directory value,
 * or the bytes of a local file. Pointers only: the gatherer owns them. */
struct mbx_blob {
        enum cert_source source;
        const char *attribute;          /* directory attribute; NULL for a file */
        const char *origin;             /* entry DN or file path, unescaped */
        const unsigned char *data;
        size_t len;
        int read_error;                 /* a file that could not be read: -errno */
        /* Decoded by the gatherer already (cycle.c, when it gathers
         * revocation material): certs, or NULL and why not; when not
         * decoded, mbx_evaluate() decodes data itself. */
        bool decoded;
        STACK_OF(X509) *certs;
        char *why;
};

/* Everything the verdict on one mailbox depends on, gathered before
 * mbx_evaluate() (cycle.c does it). Pointers only. Like every string of
 * the results, untrusted ones are raw (only cut): the outputs escape them
 * (util_escape()). */
struct mbx_input {
        const char *address;
        const char *unreachable;        /* non-NULL: the directory could not be searched, why */
        const char **entries;           /* DNs of the matching entries, unescaped */
        size_t n_entries;
        bool entries_truncated;         /* more entries matched than the directory returned */
        size_t n_dropped;               /* values the directory left out (over its limits) */
        size_t n_too_large;             /* of those, over the size limit */
        struct mbx_blob *blobs;         /* directory values first, then local files */
        size_t n_blobs;
        unsigned require_usages;        /* USAGE_ bits */
        int warn_days;
        int critical_days;
};

struct mailbox_result {
        char *address;
        enum sw_status status;
        char **entries;                 /* DNs */
        size_t n_entries;
        bool entries_truncated;         /* more entries matched than the directory returned */
        size_t values_dropped;          /* values left out at the directory limits */
        size_t values_too_large;        /* of those, over the size limit */
        struct cert_result *certs;      /* directory values first, then local files */
        size_t n_certs;
        int best_encryption;            /* index into certs, or -1 */
        int best_signature;
        struct problem_list problems;
};

/* Decides the mailbox from in alone at ctx->now: no I/O, so it may run on
 * any thread. With in->unreachable the mailbox is unknown with
 * DIRECTORY_UNREACHABLE. 0 or -ENOMEM. */
int mbx_evaluate(const struct eval_ctx *ctx, const struct mbx_input *in,
                 struct mailbox_result *out);

void mailbox_result_free(struct mailbox_result *r);   /* the contents */

#endif
