/* SPDX-License-Identifier: EUPL-1.2 */
/* The readiness verdict on one mailbox (INTERFACE.md, "Verdicts"). */
#ifndef SMIMEWATCH_MAILBOX_H
#define SMIMEWATCH_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "evaluate.h"
#include "problem.h"

struct cfg;
struct cfg_mailbox;
struct dir_answer;
struct pki;

struct mailbox_result {
        char *address;
        enum sw_status status;
        char **entries;                 /* DNs, escaped */
        size_t n_entries;
        bool entries_truncated;         /* more entries matched than the directory returned */
        struct cert_result *certs;      /* directory values first, then local files */
        size_t n_certs;
        int best_encryption;            /* index into certs, or -1 */
        int best_signature;
        struct problem_list problems;
};

/* Decides mb from what the directory answered. With answer NULL the
 * directory could not be asked: the mailbox is unknown with
 * DIRECTORY_UNREACHABLE and dir_reason. 0 or -ENOMEM. */
int mbx_evaluate(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mb,
                 const struct dir_answer *answer, const char *dir_reason, time_t now,
                 struct mailbox_result *out);

void mailbox_result_free(struct mailbox_result *r);   /* the contents */

#endif
