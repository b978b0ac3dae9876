/* SPDX-License-Identifier: EUPL-1.2 */
/* One check of many mailboxes over one directory connection. */
#include "cycle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "directory.h"

static int evaluate_all(const struct cfg *c, const struct pki *pki,
                        const struct cfg_mailbox *mailboxes, size_t n,
                        const struct dir_answer *answers, time_t now, struct cycle_result *out)
{
        for (size_t i = 0; i < n; i++) {
                struct mailbox_result *m = &out->mailboxes[i];
                int rc;

                rc = mbx_evaluate(c, pki, &mailboxes[i], answers ? &answers[i] : NULL,
                                  out->directory_reason, now, m);
                if (rc < 0)
                        return rc;
                out->n_mailboxes++;
                out->counts[m->status]++;
                out->status = sw_status_worse(out->status, m->status);
        }
        return 0;
}

int cycle_run(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mailboxes,
              size_t n, time_t now, struct cycle_result *out)
{
        struct cycle_result r = { .checked_at = now, .status = SW_OK };
        struct dir_answer *answers = NULL;
        const char **addresses = NULL;
        struct dir *d = NULL;
        int rc = -ENOMEM;

        r.mailboxes = calloc(n ? n : 1, sizeof(*r.mailboxes));
        answers = calloc(n ? n : 1, sizeof(*answers));
        addresses = calloc(n ? n : 1, sizeof(*addresses));
        if (!r.mailboxes || !answers || !addresses)
                goto out;
        for (size_t i = 0; i < n; i++)
                addresses[i] = mailboxes[i].address;

        if (n > 0 && (dir_open(&c->directory, &d, &r.directory_reason) < 0 ||
                      dir_lookup(d, addresses, n, answers, &r.directory_reason) < 0)) {
                r.directory_failed = true;
                if (!r.directory_reason && !(r.directory_reason = strdup("unknown error")))
                        goto out;
        }
        rc = evaluate_all(c, pki, mailboxes, n, r.directory_failed ? NULL : answers, now, &r);
out:
        dir_close(d);
        for (size_t i = 0; answers && i < n; i++)
                dir_answer_free(&answers[i]);
        free(answers);
        free(addresses);
        if (rc < 0) {
                cycle_result_free(&r);
                return rc;
        }
        *out = r;
        return 0;
}

void cycle_result_free(struct cycle_result *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_mailboxes; i++)
                mailbox_result_free(&r->mailboxes[i]);
        free(r->mailboxes);
        free(r->directory_reason);
        memset(r, 0, sizeof(*r));
}
