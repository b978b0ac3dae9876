/* SPDX-License-Identifier: EUPL-1.2 */
/* One check of many mailboxes over one directory connection.
 *
 * Evaluating the answers (decoding, path validation, CRL checks) is where
 * a cycle spends its time, and each mailbox is independent of the others:
 * so they are evaluated by a few threads at once, one mailbox at a time
 * from a shared counter. Everything they share is read-only (the
 * configuration, and the PKI, which pki_load() leaves with OpenSSL's lazy
 * caches filled); each result has its own slot, and the counts are added
 * up in order afterwards, so the result is the same as with one thread. */
#include "cycle.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "decrypt.h"
#include "directory.h"

/* Beyond a few threads OpenSSL's internal locks eat the gain. */
#define CYCLE_MAX_THREADS 4
/* A thread is worth starting for this many mailboxes. */
#define CYCLE_MIN_PER_THREAD 64

struct work {
        const struct cfg *c;
        const struct pki *pki;
        const struct cfg_mailbox *mailboxes;
        size_t n;
        struct dir_answer *answers;     /* NULL: the directory failed */
        const char *dir_reason;
        time_t now;
        struct mailbox_result *results;
        atomic_size_t next;             /* the next mailbox to take */
        atomic_int error;               /* the first failure; stops everyone */
};

static void *evaluate_some(void *arg)
{
        struct work *w = arg;
        size_t i;

        while (atomic_load(&w->error) == 0 && (i = atomic_fetch_add(&w->next, 1)) < w->n) {
                int expected = 0, rc;

                rc = mbx_evaluate(w->c, w->pki, &w->mailboxes[i], w->answers ? &w->answers[i] : NULL,
                                  w->dir_reason, w->now, &w->results[i]);
                /* Reads the held key (I/O): a step after the verdict, not in it. */
                if (rc >= 0)
                        rc = decrypt_check(&w->mailboxes[i], w->answers ? &w->answers[i] : NULL,
                                           &w->results[i]);
                /* The result holds copies: the raw answer can go now, which
                 * keeps the peak memory of a large cycle down. */
                if (w->answers)
                        dir_answer_free(&w->answers[i]);
                if (rc < 0)
                        atomic_compare_exchange_strong(&w->error, &expected, rc);
        }
        return NULL;
}

/* The CPUs this process may run on, at most CYCLE_MAX_THREADS, and no
 * more than the mailboxes make worthwhile. */
static size_t thread_count(size_t n)
{
        cpu_set_t set;
        long cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                 : sysconf(_SC_NPROCESSORS_ONLN);
        size_t t = cpus > 0 ? (size_t)cpus : 1;

        if (t > CYCLE_MAX_THREADS)
                t = CYCLE_MAX_THREADS;
        if (t > n / CYCLE_MIN_PER_THREAD)
                t = n / CYCLE_MIN_PER_THREAD;
        return t ? t : 1;
}

/* This thread works too. Helpers get every signal blocked, so that the
 * service's signals keep going where it expects them; a helper that
 * cannot be started only makes the cycle slower. */
static int evaluate_all(struct work *w)
{
        pthread_t helpers[CYCLE_MAX_THREADS - 1];
        size_t started = 0, want = thread_count(w->n) - 1;
        sigset_t all, old;

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        while (started < want && pthread_create(&helpers[started], NULL, evaluate_some, w) == 0)
                started++;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        evaluate_some(w);
        for (size_t k = 0; k < started; k++)
                pthread_join(helpers[k], NULL);
        return atomic_load(&w->error);
}

static void tally(struct cycle_result *r, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct mailbox_result *m = &r->mailboxes[i];

                r->counts[m->status]++;
                r->status = sw_status_worse(r->status, m->status);
        }
        r->n_mailboxes = n;
}

int cycle_run(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mailboxes,
              size_t n, time_t now, struct cycle_result *out)
{
        struct cycle_result r = { .checked_at = now, .status = SW_OK };
        struct dir_answer *answers = NULL;
        const char **addresses = NULL;
        struct dir *d = NULL;
        struct work w;
        int rc = -ENOMEM;

        r.mailboxes = calloc(n ? n : 1, sizeof(*r.mailboxes));
        answers = calloc(n ? n : 1, sizeof(*answers));
        addresses = calloc(n ? n : 1, sizeof(*addresses));
        if (!r.mailboxes || !answers || !addresses)
                goto out;
        for (size_t i = 0; i < n; i++)
                addresses[i] = mailboxes[i].address;

        if (n > 0 && (dir_open(&c->directory, &d, &r.directory_reason) < 0 ||
                      dir_lookup(d, addresses, n, answers, &r.directory_reason) < 0)) {
                r.directory_failed = true;
                if (!r.directory_reason && !(r.directory_reason = strdup("unknown error")))
                        goto out;
        }
        /* The connection is not needed while the answers are evaluated. */
        dir_close(d);
        d = NULL;
        w = (struct work){ .c = c, .pki = pki, .mailboxes = mailboxes, .n = n,
                           .answers = r.directory_failed ? NULL : answers,
                           .dir_reason = r.directory_reason, .now = now, .results = r.mailboxes };
        atomic_init(&w.next, 0);
        atomic_init(&w.error, 0);
        rc = evaluate_all(&w);
        if (rc < 0) {
                /* Slots not reached are still zero: freeing them is harmless. */
                r.n_mailboxes = n;
                goto out;
        }
        tally(&r, n);
out:
        dir_close(d);
        for (size_t i = 0; answers && i < n; i++)
                dir_answer_free(&answers[i]);
        free(answers);
        free(addresses);
        if (rc < 0) {
                cycle_result_free(&r);
                return rc;
        }
        *out = r;
        return 0;
}

void cycle_result_free(struct cycle_result *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_mailboxes; i++)
                mailbox_result_free(&r->mailboxes[i]);
        free(r->mailboxes);
        free(r->directory_reason);
        memset(r, 0, sizeof(*r));
}
