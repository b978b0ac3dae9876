/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "evaluate.h"
const char *cert_source_name(enum cert_source s) { return s == CERT_SOURCE_FILE ? "file" : "directory"; }
const char *rev_status_name(enum rev_status s) { (void)s; return "unknown"; }
int eval_cert(const struct pki *pki, X509 *cert, STACK_OF(X509) *untrusted, const char *address, time_t now, struct cert_result *out) { (void)pki; (void)cert; (void)untrusted; (void)address; (void)now; (void)out; return -ENOSYS; }
int eval_unparsable(const unsigned char *data, size_t len, const char *why, struct cert_result *out) { (void)data; (void)len; (void)why; (void)out; return -ENOSYS; }
void cert_result_free(struct cert_result *r) { (void)r; }
