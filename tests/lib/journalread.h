/* SPDX-License-Identifier: EUPL-1.2 */
/* Reading back the private journal of tests/journald-ns: tests that send
 * journal entries run under that wrapper and check what journald stored. */
#ifndef SMIMEWATCH_JOURNALREAD_H
#define SMIMEWATCH_JOURNALREAD_H

#include <jansson.h>
#include <sys/types.h>

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

/* Starts the service (the binary under test, -c conf) with its state in
 * dir/state (made here) and stdout and stderr in dir/service.err, no
 * sd_notify socket, and ended with this process at the latest. */
pid_t jr_service_start(const char *conf, const char *dir);
/* Waits for the service's first check summary (failing the test after
 * 30 s), then ends it with SIGTERM; fails unless it exits 0. */
void jr_service_one_check(pid_t pid);

/* Keeps reading until at least n entries match (or timeout_ms passes);
 * returns them like jr_entries(). */
json_t *jr_wait(const char *const *matches, size_t n, int timeout_ms);

#endif
