/* SPDX-License-Identifier: EUPL-1.2 */
/* The service's memory between cycles and across restarts: which problems
 * have been alerted (and when), the last known status of every mailbox,
 * and whether the directory is down. Persisted as JSON so that a restart
 * does not repeat every alert, written atomically so that a crash leaves
 * either the old or the new file, never half of one. */
#ifndef SMIMEWATCH_STATE_H
#define SMIMEWATCH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "problem.h"

struct cfg_mailbox;
struct cycle_result;
struct mailbox_result;

#define STATE_DEFAULT_DIR "/var/lib/smimewatch"
#define STATE_FILE_NAME "state.json"

/* A problem that has been logged. Its identity is (mailbox, code, usage,
 * cert_sha256): the same code for another certificate is another problem. */
struct state_alert {
        char *mailbox;
        enum problem_code code;
        unsigned usage;                 /* one USAGE_ bit, or 0 */
        char cert_sha256[65];           /* "" when no certificate is concerned */
        char *cert_serial;              /* NULL when unknown */
        time_t cert_not_after;          /* 0 when unknown */
        enum sw_status level;           /* as last logged */
        char *message;                  /* the latest one, for the recovery entry */
        time_t since;                   /* first seen */
        time_t logged_at;               /* last logged */
};

struct state_mailbox {
        char *address;
        enum sw_status status;          /* last known */
        time_t checked_at;              /* 0: never checked successfully */
};

struct state {
        struct state_alert *alerts;
        size_t n_alerts, cap_alerts;    /* cap_: allocated, for state.c */
        struct state_mailbox *mailboxes;
        size_t n_mailboxes, cap_mailboxes;
        time_t outage_since;            /* 0: the directory answered at the last check */
        char *outage_reason;
};

/* What state_apply() asks its callback to log. */
enum state_event {
        STATE_EVENT_NEW,                /* a problem appeared */
        STATE_EVENT_CHANGED,            /* its level changed */
        STATE_EVENT_REPEATED,           /* it persists and realert has passed */
        STATE_EVENT_RECOVERED,          /* it is gone */
        STATE_EVENT_OUTAGE,             /* the directory stopped answering */
        STATE_EVENT_OUTAGE_OVER,        /* it answers again */
};

const char *state_event_name(enum state_event e);       /* "new", ... */

/* Logs one event. For a problem p is the current problem of m and a its
 * alert as it was before (NULL for a new one); for a recovery p is NULL
 * and a the alert that ends. Returning negative means "not logged": the
 * state then stays as it was, so the event comes again next cycle. */
typedef int (*state_alert_fn)(enum state_event e, const struct mailbox_result *m,
                              const struct problem *p, const struct state_alert *a,
                              void *userdata);

/* Logs a change of the directory's reachability: STATE_EVENT_OUTAGE with
 * the reason (escaped, as stored), or STATE_EVENT_OUTAGE_OVER with since, when the
 * outage began. Negative means "not logged", as for state_alert_fn. */
typedef int (*state_outage_fn)(enum state_event e, const char *reason, time_t since,
                               void *userdata);

struct state *state_new(void);
void state_free(struct state *s);

/* $STATE_DIRECTORY (its first entry) or STATE_DEFAULT_DIR, plus
 * STATE_FILE_NAME. NULL when out of memory. */
char *state_path(void);

/* 0; -ENOENT when there is no state yet; -EBADMSG when the file is not a
 * state smimewatch wrote (*err says why; caller frees); other -errno when
 * it cannot be read. */
int state_load(const char *path, struct state **ret, char **err);

/* Writes a temporary file beside path, syncs it, renames it over path and
 * syncs the directory. 0 or -errno; path is untouched on failure. */
int state_save(const struct state *s, const char *path, time_t now);

/* Brings the state up to date with the checked mailbox m at now, calling
 * fn for every problem to log. A mailbox whose search failed (it has
 * DIRECTORY_UNREACHABLE) keeps its last known status and alerts; only the
 * DIRECTORY_UNREACHABLE problem itself is followed. 0 or -ENOMEM. */
int state_apply(struct state *s, const struct mailbox_result *m, time_t now,
                uint64_t realert_usec, state_alert_fn fn, void *userdata);

/* Brings the state up to date with a whole check, the only way the
 * service changes it: when the directory did not answer at all, an
 * outage begins (outage_fn is asked once per outage) or goes on with its
 * reason kept current, and every mailbox keeps what was known; otherwise
 * a running outage ends and every mailbox is followed as state_apply()
 * does. Mailboxes and alerts are found by hash: the cost grows with their
 * number, not with its square. 0, or -ENOMEM when some mailbox could not
 * be followed (the others are). */
int state_follow(struct state *s, const struct cycle_result *res, uint64_t realert_usec,
                 state_alert_fn alert_fn, state_outage_fn outage_fn, void *userdata);

/* Forgets alerts and statuses of mailboxes that are not among the n
 * configured ones (removed by a reload or while stopped). */
void state_prune(struct state *s, const struct cfg_mailbox *mailboxes, size_t n);

/* The last known status of each of the n mailboxes (unknown when never
 * checked) counted per status; returns the overall status. */
enum sw_status state_counts(const struct state *s, const struct cfg_mailbox *mailboxes,
                            size_t n, unsigned counts[SW_STATUS_COUNT]);

const struct state_mailbox *state_find_mailbox(const struct state *s, const char *address);

#endif
