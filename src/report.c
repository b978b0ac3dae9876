/* SPDX-License-Identifier: EUPL-1.2 */
/* PLACEHOLDER: replaced by the real module. */
#include <errno.h>
#include <stdlib.h>
#include "report.h"
json_t *report_cert_json(const struct cert_result *r) { (void)r; return NULL; }
int report_check_cert_json(FILE *f, const struct cert_result *r, const char *mailbox, time_t checked_at, enum sw_status status) { (void)f; (void)r; (void)mailbox; (void)checked_at; (void)status; return -ENOSYS; }
int report_check_cert_text(FILE *f, const struct cert_result *r, const char *mailbox, time_t checked_at, enum sw_status status, bool color) { (void)f; (void)r; (void)mailbox; (void)checked_at; (void)status; (void)color; return -ENOSYS; }
int report_verify_json(FILE *f, const struct cycle_result *c) { (void)f; (void)c; return -ENOSYS; }
int report_verify_text(FILE *f, const struct cycle_result *c, bool color) { (void)f; (void)c; (void)color; return -ENOSYS; }
const char *report_advice(enum problem_code code) { (void)code; return ""; }
