/* SPDX-License-Identifier: EUPL-1.2 */
/* The agency's inbound mail server ([service] smtp): does it take messages
 * as large as online procedures send (the SIZE extension, RFC 1870)? */
#ifndef SMIMEWATCH_SMTP_H
#define SMIMEWATCH_SMTP_H

#include <stdbool.h>
#include <stdint.h>

#include "problem.h"

struct cfg;
struct mailbox_result;

struct smtp_result {
        bool checked;                   /* [service] smtp is set */
        char *server;                   /* "HOST:PORT" as configured */
        enum sw_status status;          /* ok, warning (below min_message_size) or unknown */
        bool starttls;                  /* the answer came over verified TLS */
        bool has_limit;                 /* SIZE with a number above 0 */
        uint64_t limit;                 /* octets */
        uint64_t minimum;               /* min_message_size */
        char *reason;                   /* unknown: why (unreachable, TLS, no SIZE) */
};

/* Says EHLO to the server once (STARTTLS where offered, the certificate
 * verified as the directory's is: [directory] tls_ca_file, else the system
 * store, and the host name), reads SIZE and QUITs. Every step is bounded
 * by [directory] timeout. Failures are a result (status unknown with
 * reason), not an error. 0 or -ENOMEM. */
int smtp_check(const struct cfg *c, struct smtp_result *out);

/* MESSAGE_SIZE_LIMIT on m when the limit is below the minimum; nothing for
 * an unknown result: an unreachable server is never an alarm. 0 or -ENOMEM. */
int smtp_add_problem(const struct smtp_result *s, struct mailbox_result *m);

void smtp_result_free(struct smtp_result *r);

#endif
