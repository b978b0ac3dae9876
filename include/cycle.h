/* SPDX-License-Identifier: EUPL-1.2 */
/* One check of a set of mailboxes: a single directory connection, every
 * search pipelined, every answer evaluated. Shared by --verify and the
 * service. */
#ifndef SMIMEWATCH_CYCLE_H
#define SMIMEWATCH_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mailbox.h"
#include "problem.h"
#include "smtp.h"

struct cfg;
struct cfg_mailbox;
struct dir_answer;
struct pki;
struct rev_material;
struct rev_opts;

/* A local certificates file as a cycle read it, once, before any
 * evaluation (mailboxes naming the same path share one). */
struct cycle_file {
        char *path;
        unsigned char *data;
        size_t len;
        int error;                      /* 0, or -errno when it could not be read */
};

/* Where a mailbox of a cycle comes from. */
enum cycle_origin { CYCLE_CONFIGURED, CYCLE_LISTED, CYCLE_DISCOVERED };

/* "configured" | "mailbox_list" | "discovered" */
const char *cycle_origin_name(enum cycle_origin o);

/* The mailboxes a cycle checks: the configured ones (sections, then
 * mailbox_list), then those [directory] discover found that are not
 * configured (a configured mailbox keeps its own settings). */
struct cycle_set {
        struct cfg_mailbox *mailboxes;  /* configured: copies pointing into the configuration */
        enum cycle_origin *origins;
        size_t n;
        bool discovery;                 /* [directory] discover is set */
        size_t n_found;                 /* distinct addresses discovery found, configured or not */
        size_t n_added;                 /* of them not configured: the last n_added mailboxes */
        size_t n_entries;               /* entries the filter matched */
        size_t n_invalid;               /* mail values that were no address */
        char *discovery_reason;         /* non-NULL: discovery stopped short or failed */
};

struct cycle_result {
        time_t checked_at;
        uint64_t duration_usec;                 /* wall time the check took */
        enum sw_status status;                  /* overall */
        unsigned counts[SW_STATUS_COUNT];       /* mailboxes per status */
        bool directory_failed;                  /* no answer from the directory at all */
        char *directory_reason;                 /* why, when directory_failed */
        struct mailbox_result *mailboxes;
        size_t n_mailboxes;
        struct cycle_set set;                   /* of cycle_run_all(); empty after cycle_run() */
        struct smtp_result smtp;                /* [service] smtp, checked once per cycle */
        struct rev_material *revocation;        /* what was gathered; NULL without rev */
};

/* Checks the n mailboxes at time now. With rev, the revocation material
 * the answers need is gathered first (revocation.h); without, only the
 * configured CRL files count. 0 or -ENOMEM; a directory failure is a
 * result (directory_failed, every mailbox unknown), not an error. */
int cycle_run(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mailboxes,
              size_t n, time_t now, const struct rev_opts *rev, struct cycle_result *out);
void cycle_result_free(struct cycle_result *r);
/* Gives the memory a freed cycle used back to the system (the service
 * calls it between cycles, which may be hours apart). */
void cycle_release_memory(void);

/* Checks the configuration's mailboxes and, with [directory] discover,
 * every mailbox the directory lists, over one connection; out->set says
 * which and whence (mailboxes[i] belongs to set.mailboxes[i]). A
 * discovery that stops short is in set.discovery_reason: what it found is
 * checked, and the overall status is at least unknown. 0 or -ENOMEM. */
int cycle_run_all(const struct cfg *c, const struct pki *pki, time_t now,
                  const struct rev_opts *rev, struct cycle_result *out);

/* Only the set: connects and discovers when discover is set, checks
 * nothing (--list-mailboxes). A directory that cannot be reached is
 * set.discovery_reason. 0 or -ENOMEM. */
int cycle_set_make(const struct cfg *c, struct cycle_set *out);
void cycle_set_free(struct cycle_set *s);

/* Reads path (at most UTIL_MAX_FILE_SIZE) into f; a file that cannot be
 * read is not an error but f->error, for the mailbox's verdict. 0 or -ENOMEM. */
int cycle_read_file(const char *path, struct cycle_file *f);
void cycle_file_free(struct cycle_file *f);     /* the contents */

/* The input of mbx_evaluate() for mb: what the directory answered (NULL:
 * it could not be asked, dir_reason says why) and the local file (NULL:
 * none). in points into mb, answer and file, which must outlive it.
 * No I/O. 0 or -ENOMEM. */
int cycle_input(const struct cfg_mailbox *mb, unsigned require_usages,
                const struct dir_answer *answer, const char *dir_reason,
                const struct cycle_file *file, struct mbx_input *in);
void cycle_input_free(struct mbx_input *in);    /* the arrays cycle_input() made */

#endif
