/* SPDX-License-Identifier: EUPL-1.2 */
#include "evalcmp.h"

#include <check.h>
#include <string.h>

#include "problem.h"

static const char *or_none(const char *s)
{
        return s ? s : "(none)";
}

static void same_result(const struct cert_result *a, const struct cert_result *b, const char *what)
{
        ck_assert_msg(a->path_valid == b->path_valid, "%s: path_valid %d without the memo, %d with it",
                      what, a->path_valid, b->path_valid);
        ck_assert_msg(strcmp(or_none(a->path_error), or_none(b->path_error)) == 0,
                      "%s: path_error '%s' without the memo, '%s' with it", what,
                      or_none(a->path_error), or_none(b->path_error));
        ck_assert_msg(a->revocation == b->revocation, "%s: revocation %s without the memo, %s with it",
                      what, rev_status_name(a->revocation), rev_status_name(b->revocation));
        ck_assert_msg(a->usages == b->usages && a->usable_for == b->usable_for,
                      "%s: usages differ with the memo", what);
        ck_assert_msg(a->problems.n == b->problems.n, "%s: %zu problems without the memo, %zu with it",
                      what, a->problems.n, b->problems.n);
        for (size_t i = 0; i < a->problems.n; i++) {
                const struct problem *p = &a->problems.items[i], *q = &b->problems.items[i];

                ck_assert_msg(p->code == q->code && p->level == q->level &&
                              strcmp(p->message, q->message) == 0,
                              "%s: problem %zu is %s '%s' without the memo, %s '%s' with it", what, i,
                              problem_code_name(p->code), p->message, problem_code_name(q->code),
                              q->message);
        }
}

void tl_eval_both(const struct pki *p, struct vmemo *memo, X509 *x, STACK_OF(X509) *untrusted,
                  time_t at, const char *what, struct cert_result *full, struct cert_result *memod)
{
        struct eval_ctx ctx;

        eval_ctx_init(&ctx, p, at);
        ck_assert_msg(eval_cert(&ctx, x, untrusted, NULL, full) == 0, "%s: eval_cert failed", what);
        ctx.memo = memo;
        ck_assert_msg(eval_cert(&ctx, x, untrusted, NULL, memod) == 0, "%s: eval_cert with the memo failed",
                      what);
        same_result(full, memod, what);
}
