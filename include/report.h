/* SPDX-License-Identifier: EUPL-1.2 */
/* What --check-cert and --verify print: a report for people, or the JSON
 * document of INTERFACE.md (version 1). */
#ifndef SMIMEWATCH_REPORT_H
#define SMIMEWATCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>

#include "problem.h"

struct cert_result;
struct cycle_result;

/* The CERT object of INTERFACE.md; NULL when out of memory. */
json_t *report_cert_json(const struct cert_result *r);

/* --check-cert: mailbox may be NULL. 0 or -errno (write error). */
int report_check_cert_json(FILE *f, const struct cert_result *r, const char *mailbox,
                           time_t checked_at, enum sw_status status);
int report_check_cert_text(FILE *f, const struct cert_result *r, const char *mailbox,
                           time_t checked_at, enum sw_status status, bool color);

/* --verify */
int report_verify_json(FILE *f, const struct cycle_result *c);
int report_verify_text(FILE *f, const struct cycle_result *c, bool color);

/* What to do about a problem, for people (one or two sentences). */
const char *report_advice(enum problem_code code);

#endif
