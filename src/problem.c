/* SPDX-License-Identifier: EUPL-1.2 */
#include "problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const status_names[SW_STATUS_COUNT] = {
        [SW_OK] = "ok", [SW_WARNING] = "warning",
        [SW_CRITICAL] = "critical", [SW_UNKNOWN] = "unknown",
};

static const char *const code_names[PROBLEM_CODE_COUNT] = {
        [PROBLEM_DIRECTORY_UNREACHABLE] = "DIRECTORY_UNREACHABLE",
        [PROBLEM_MAILBOX_NOT_FOUND] = "MAILBOX_NOT_FOUND",
        [PROBLEM_MAILBOX_AMBIGUOUS] = "MAILBOX_AMBIGUOUS",
        [PROBLEM_ENCRYPTION_CERT_MISSING] = "ENCRYPTION_CERT_MISSING",
        [PROBLEM_SIGNATURE_CERT_MISSING] = "SIGNATURE_CERT_MISSING",
        [PROBLEM_CERT_EXPIRING] = "CERT_EXPIRING",
        [PROBLEM_STALE_CERT_PUBLISHED] = "STALE_CERT_PUBLISHED",
        [PROBLEM_DECRYPTION_KEY_MISMATCH] = "DECRYPTION_KEY_MISMATCH",
        [PROBLEM_DECRYPTION_KEY_UNREADABLE] = "DECRYPTION_KEY_UNREADABLE",
        [PROBLEM_MESSAGE_SIZE_LIMIT] = "MESSAGE_SIZE_LIMIT",
        [PROBLEM_REVOCATION_UNKNOWN] = "REVOCATION_UNKNOWN",
        [PROBLEM_CERT_WEAK_KEY] = "CERT_WEAK_KEY",
        [PROBLEM_CERT_SUBJECT_EMAIL_ONLY] = "CERT_SUBJECT_EMAIL_ONLY",
        [PROBLEM_CERT_UNPARSABLE] = "CERT_UNPARSABLE",
        [PROBLEM_CERT_EXPIRED] = "CERT_EXPIRED",
        [PROBLEM_CERT_NOT_YET_VALID] = "CERT_NOT_YET_VALID",
        [PROBLEM_CERT_UNTRUSTED] = "CERT_UNTRUSTED",
        [PROBLEM_CERT_REVOKED] = "CERT_REVOKED",
        [PROBLEM_CERT_ADDRESS_MISMATCH] = "CERT_ADDRESS_MISMATCH",
        [PROBLEM_CERT_WRONG_USAGE] = "CERT_WRONG_USAGE",
        [PROBLEM_CERT_WEAK_SIGNATURE] = "CERT_WEAK_SIGNATURE",
        [PROBLEM_CERT_POLICY_MISMATCH] = "CERT_POLICY_MISMATCH",
};

const char *sw_status_name(enum sw_status s)
{
        return (unsigned)s < SW_STATUS_COUNT ? status_names[s] : "unknown";
}

static int status_rank(enum sw_status s)
{
        switch (s) {
        case SW_OK: return 0;
        case SW_WARNING: return 1;
        case SW_UNKNOWN: return 2;
        case SW_CRITICAL: return 3;
        }
        return 2;
}

enum sw_status sw_status_worse(enum sw_status a, enum sw_status b)
{
        return status_rank(a) >= status_rank(b) ? a : b;
}

const char *usage_name(unsigned usage)
{
        switch (usage) {
        case USAGE_ENCRYPTION: return "encryption";
        case USAGE_SIGNATURE: return "signature";
        default: return NULL;
        }
}

const char *problem_code_name(enum problem_code code)
{
        return (unsigned)code < PROBLEM_CODE_COUNT ? code_names[code] : "UNKNOWN";
}

int problem_code_from_name(const char *name)
{
        for (int i = 0; i < PROBLEM_CODE_COUNT; i++)
                if (strcmp(code_names[i], name) == 0)
                        return i;
        return -1;
}

struct problem *problem_add(struct problem_list *l, enum problem_code code,
                            enum sw_status level, const char *fmt, ...)
{
        struct problem *items, *p;
        char *msg;
        va_list ap;

        va_start(ap, fmt);
        msg = util_vformat(fmt, ap);
        va_end(ap);
        if (!msg)
                return NULL;
        items = realloc(l->items, (l->n + 1) * sizeof(*items));
        if (!items) {
                free(msg);
                return NULL;
        }
        l->items = items;
        p = &items[l->n++];
        *p = (struct problem){ .code = code, .level = level, .scope = PROBLEM_SCOPE_CERT,
                               .cert = -1, .cause = -1, .message = msg };
        return p;
}

const struct problem *problem_list_find(const struct problem_list *l, enum problem_code code)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].code == code)
                        return &l->items[i];
        return NULL;
}

bool problem_list_has(const struct problem_list *l, enum problem_code code)
{
        return problem_list_find(l, code) != NULL;
}

bool problem_concerns_usage(const struct problem *p, unsigned usage)
{
        return p->usage == usage || p->scope == PROBLEM_SCOPE_BOTH_USAGES;
}

enum sw_status problem_list_worst(const struct problem_list *l)
{
        enum sw_status s = SW_OK;

        for (size_t i = 0; i < l->n; i++)
                s = sw_status_worse(s, l->items[i].level);
        return s;
}

const struct problem *problem_list_main(const struct problem_list *l)
{
        const struct problem *best = NULL;

        for (size_t i = 0; i < l->n; i++) {
                const struct problem *p = &l->items[i];

                if (!best || sw_status_worse(best->level, p->level) != best->level)
                        best = p;
        }
        return best;
}

void problem_list_free(struct problem_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].message);
        free(l->items);
        l->items = NULL;
        l->n = 0;
}
