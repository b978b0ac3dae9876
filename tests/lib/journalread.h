/* SPDX-License-Identifier: EUPL-1.2 */
/* Reading back the private journal of tests/journald-ns: tests that send
 * journal entries run under that wrapper and check what journald stored. */
#ifndef SMIMEWATCH_JOURNALREAD_H
#define SMIMEWATCH_JOURNALREAD_H

#include <jansson.h>

/* Fails the test unless it runs under tests/journald-ns. */
void jr_require_namespace(void);

/* Waits until journald has stored everything sent so far, then returns
 * the entries matching every "FIELD=value" of matches (NULL-terminated;
 * NULL for all) as a JSON array of objects, oldest first. */
json_t *jr_entries(const char *const *matches);

/* The string value of field in entry, NULL when absent. */
const char *jr_field(json_t *entry, const char *field);

/* Entries of list whose field equals value (a new array). */
json_t *jr_filter(json_t *list, const char *field, const char *value);

/* Keeps reading until at least n entries match (or timeout_ms passes);
 * returns them like jr_entries(). */
json_t *jr_wait(const char *const *matches, size_t n, int timeout_ms);

#endif
