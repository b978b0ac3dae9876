/* SPDX-License-Identifier: EUPL-1.2 */
/* What --check-cert and --verify print: a report for people, or the JSON
 * document of smimewatch(8), JSON (version 1). Only the fields of the result
 * structs are read (never the X509 object). Their strings are raw: every
 * one is escaped here, once, with util_escape(), for JSON and text alike.
 *
 * JSON decisions the man page leaves open: an unparsable CERT has null scalars
 * but "usages": [] and "usable_for": []; each mailbox problem always has
 * "usage" and "days_left" (null when not applicable) and "certificate",
 * the sha256 of the certificate concerned or null. Text is coloured only
 * when color is true; without it no escape byte is written. */
#ifndef SMIMEWATCH_REPORT_H
#define SMIMEWATCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>

#include "problem.h"

struct cert_result;
struct cycle_result;

/* The CERT object of smimewatch(8), JSON; NULL when out of memory. */
json_t *report_cert_json(const struct cert_result *r);

/* --check-cert: mailbox may be NULL. 0 or -errno (a write error, or
 * -ENOMEM); the output ends with a newline. */
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
