/* SPDX-License-Identifier: EUPL-1.2 */
/* One check of a set of mailboxes: a single directory connection, every
 * search pipelined, every answer evaluated. Shared by --verify and the
 * service. */
#ifndef SMIMEWATCH_CYCLE_H
#define SMIMEWATCH_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mailbox.h"
#include "problem.h"

struct cfg;
struct cfg_mailbox;
struct pki;

struct cycle_result {
        time_t checked_at;
        uint64_t duration_usec;                 /* wall time the check took */
        enum sw_status status;                  /* overall */
        unsigned counts[SW_STATUS_COUNT];       /* mailboxes per status */
        bool directory_failed;                  /* no answer from the directory at all */
        char *directory_reason;                 /* why, when directory_failed */
        struct mailbox_result *mailboxes;
        size_t n_mailboxes;
};

/* Checks the n mailboxes at time now. 0 or -ENOMEM; a directory failure is
 * a result (directory_failed, every mailbox unknown), not an error. */
int cycle_run(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mailboxes,
              size_t n, time_t now, struct cycle_result *out);
void cycle_result_free(struct cycle_result *r);

#endif
