/* SPDX-License-Identifier: EUPL-1.2 */
/* The service's alert entries in the journal (smimewatch(8),
 * JOURNAL): structured entries with a MESSAGE_ID from msgid.h and
 * SMIMEWATCH_* fields, for monitoring and for `journalctl -x`. Whether an
 * entry is due is decided by state.h; diagnostics of smimewatch itself go
 * through log.h. Every function returns 0 or the -errno of sd_journal_send. */
#ifndef SMIMEWATCH_JOURNAL_H
#define SMIMEWATCH_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "problem.h"

struct mailbox_result;
struct state_alert;

/* The MESSAGE_ID of a mailbox-level problem code; NULL for a code that
 * only certificates have (those never reach the journal on their own). */
const char *journal_msgid(enum problem_code code);

/* PRIORITY of a problem at this level: critical and unknown 3, warning 4. */
int journal_priority(enum sw_status level);

/* Problem p of the checked mailbox m; event is "new", "changed" or
 * "repeated" (SMIMEWATCH_ALERT). */
int journal_problem(const struct mailbox_result *m, const struct problem *p, const char *event);

/* The alerted problem a is gone; status is the mailbox's status now. */
int journal_recovered(const struct state_alert *a, enum sw_status status);

/* The directory did not answer at all (once per outage). */
int journal_outage(const char *reason, size_t n_mailboxes);
/* It answers again after an outage that began at since. */
int journal_outage_over(time_t since);

/* A revocation source starts failing (once per outage); covered: a
 * cached answer of it is still current, so nothing changes (notice, else
 * warning). */
int journal_source_failing(const char *source, const char *why, bool covered);
/* It answers again. */
int journal_source_back(const char *source);

/* After each cycle: the (last known) status counts of the n mailboxes (of
 * which discovered came from [directory] discover only) and when the next
 * check is; outage_reason is set while the directory is down. */
int journal_summary(const unsigned counts[SW_STATUS_COUNT], size_t n, size_t discovered,
                    enum sw_status overall, time_t next_check, const char *outage_reason);

#endif
