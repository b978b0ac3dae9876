/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "mailbox.h"
int mbx_evaluate(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mb, const struct dir_answer *answer, const char *dir_reason, time_t now, struct mailbox_result *out) { (void)c; (void)pki; (void)mb; (void)answer; (void)dir_reason; (void)now; (void)out; return -ENOSYS; }
void mailbox_result_free(struct mailbox_result *r) { (void)r; }
