/* SPDX-License-Identifier: EUPL-1.2 */
/* Statuses, usages and problem codes: the vocabulary of every verdict. */
#ifndef SMIMEWATCH_PROBLEM_H
#define SMIMEWATCH_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>

/* Values are the exit statuses of --verify and --check-cert. */
enum sw_status { SW_OK = 0, SW_WARNING = 1, SW_CRITICAL = 2, SW_UNKNOWN = 3 };

#define SW_STATUS_COUNT 4

const char *sw_status_name(enum sw_status s);
/* The overall status: critical beats unknown beats warning beats ok. */
enum sw_status sw_status_worse(enum sw_status a, enum sw_status b);

enum usage { USAGE_ENCRYPTION = 1u << 0, USAGE_SIGNATURE = 1u << 1 };
#define USAGE_ALL (USAGE_ENCRYPTION | USAGE_SIGNATURE)

/* "encryption" or "signature" for a single bit, NULL otherwise. */
const char *usage_name(unsigned usage);

enum problem_code {
        /* mailbox level */
        PROBLEM_DIRECTORY_UNREACHABLE,
        PROBLEM_MAILBOX_NOT_FOUND,
        PROBLEM_MAILBOX_AMBIGUOUS,
        PROBLEM_ENCRYPTION_CERT_MISSING,
        PROBLEM_SIGNATURE_CERT_MISSING,
        PROBLEM_CERT_EXPIRING,
        PROBLEM_STALE_CERT_PUBLISHED,
        PROBLEM_DECRYPTION_KEY_MISMATCH,
        PROBLEM_DECRYPTION_KEY_UNREADABLE,
        PROBLEM_MESSAGE_SIZE_LIMIT,
        /* both levels */
        PROBLEM_REVOCATION_UNKNOWN,
        PROBLEM_CERT_WEAK_KEY,
        PROBLEM_CERT_SUBJECT_EMAIL_ONLY,
        /* certificate level */
        PROBLEM_CERT_UNPARSABLE,
        PROBLEM_CERT_EXPIRED,
        PROBLEM_CERT_NOT_YET_VALID,
        PROBLEM_CERT_UNTRUSTED,
        PROBLEM_CERT_REVOKED,
        PROBLEM_CERT_ADDRESS_MISMATCH,
        PROBLEM_CERT_WRONG_USAGE,
        PROBLEM_CERT_WEAK_SIGNATURE,
        PROBLEM_CERT_POLICY_MISMATCH,
        PROBLEM_CODE_COUNT
};

/* The exact name of smimewatch(8), VERDICTS, e.g. "CERT_EXPIRING". */
const char *problem_code_name(enum problem_code code);
/* Inverse of problem_code_name(); -1 when unknown. */
int problem_code_from_name(const char *name);

/* What a problem is about, said by the one that finds it so that the
 * reports only render (usage 0 alone would mean both "no usage in
 * particular" and "both usages"). */
enum problem_scope {
        PROBLEM_SCOPE_CERT,             /* a certificate's own finding (the default) */
        PROBLEM_SCOPE_MAILBOX,          /* the mailbox, no usage in particular */
        PROBLEM_SCOPE_USAGE,            /* the mailbox for one usage: usage says which */
        PROBLEM_SCOPE_BOTH_USAGES,      /* the certificate the mailbox uses for both usages */
};

struct problem {
        enum problem_code code;
        enum sw_status level;
        enum problem_scope scope;
        unsigned usage;         /* the USAGE_ bit of PROBLEM_SCOPE_USAGE, else 0 */
        bool has_days_left;
        long days_left;
        int cert;               /* the certificate it is about: index into the owner's, or -1 */
        int cause;              /* *_CERT_MISSING: the problem code that made the first
                                 * candidate unusable, or -1 (none, or no candidate) */
        char *message;          /* one readable line; raw (escaped at the outputs) */
};

struct problem_list {
        struct problem *items;
        size_t n;
};

/* Appends a problem (certificate scope, usage 0, cert and cause -1, no
 * days) and returns it for the caller to refine; NULL when out of memory. */
struct problem *problem_add(struct problem_list *l, enum problem_code code,
                            enum sw_status level, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
bool problem_list_has(const struct problem_list *l, enum problem_code code);
/* The first problem with code, or NULL. */
const struct problem *problem_list_find(const struct problem_list *l, enum problem_code code);
/* Whether p is about the mailbox's certificate for usage (one USAGE_ bit). */
bool problem_concerns_usage(const struct problem *p, unsigned usage);
enum sw_status problem_list_worst(const struct problem_list *l);
/* The problem to name first: the worst, the first of equals; NULL for none. */
const struct problem *problem_list_main(const struct problem_list *l);
void problem_list_free(struct problem_list *l);

#endif
