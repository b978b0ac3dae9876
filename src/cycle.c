/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "cycle.h"
int cycle_run(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mailboxes, size_t n, time_t now, struct cycle_result *out) { (void)c; (void)pki; (void)mailboxes; (void)n; (void)now; (void)out; return -ENOSYS; }
void cycle_result_free(struct cycle_result *r) { (void)r; }
