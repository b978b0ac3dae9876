/* SPDX-License-Identifier: EUPL-1.2 */
/* One check of many mailboxes over one directory connection.
 *
 * A cycle first gathers what every verdict may depend on: the local
 * certificate files (each path read once). Then the directory is searched,
 * and each mailbox is evaluated by mbx_evaluate(), which does no I/O, as
 * soon as its answer is complete; the answer is dropped right after. So a
 * cycle holds only the answers not yet evaluated, not the whole directory:
 * when answers come faster than they are evaluated, the searching thread
 * evaluates too once the backlog passes CYCLE_BACKLOG, which also bounds
 * how many wait.
 *
 * Evaluating (decoding, path validation, CRL checks) is where a cycle
 * spends its time, and each mailbox is independent of the others: so they
 * are evaluated by a few threads at once, one mailbox at a time from the
 * queue of complete answers. Everything they share is read-only (the
 * gathered files, the evaluation context, and the PKI, which pki_load()
 * leaves with OpenSSL's lazy caches filled) or locked (the queue, the
 * verification memo); each result has its own slot, and the counts are
 * added up in order afterwards, so the result is the same as with one
 * thread and in any order of arrival. When the connection fails midway,
 * the verdicts made so far are thrown away: every mailbox is then
 * DIRECTORY_UNREACHABLE, as if no answer had come.
 *
 * Revocation material (CRLs, OCSP answers) must be there before a
 * verdict that needs it. With revocation checking on, each complete answer
 * is first gathered for: its values decoded (once; the evaluation takes
 * the certificates as they are) and handed to the revocation gathering,
 * one mailbox at a time, which fetches what they need and the cycle has
 * not got yet: a CA's CRL when its first certificate comes, an OCSP
 * answer per certificate (revocation.h). That is the cycle's I/O, done
 * before the verdict and never by mbx_evaluate(). The verdict then gets
 * the material as it is at that moment, which holds all this mailbox
 * needs; the material only grows, and every CRL set it hands out stays as
 * it is, so other threads keep evaluating while it grows. The
 * verification memo is kept per CRL set (vmemo.h: one memo per PKI, CRL
 * set and time). So answers stream with revocation on too, and a cycle's
 * memory does not grow with the number of mailboxes. */
#include "cycle.h"

#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#ifdef SW_JEMALLOC
#include <jemalloc/jemalloc.h>
#define SW_STR(x) #x
#define SW_XSTR(x) SW_STR(x)
#endif

#include "config.h"
#include "decrypt.h"
#include "directory.h"
#include "pki.h"
#include "revocation.h"
#include "util.h"
#include "vmemo.h"

/* Beyond a few threads OpenSSL's internal locks eat the gain. */
#define CYCLE_MAX_THREADS UTIL_MAX_THREADS
/* A thread is worth starting for this many mailboxes. */
#define CYCLE_MIN_PER_THREAD 64

/* Beyond this many complete answers waiting, the searching thread helps. */
#define CYCLE_BACKLOG 128

/* Complete answers waiting for a thread, in the order they came. */
struct stream {
        pthread_mutex_t lock;
        pthread_cond_t ready;
        size_t *queue;                  /* mailbox indices, each once */
        size_t head, tail;
        bool closed;                    /* the search has ended */
};

struct work {
        struct stream *stream;          /* NULL: every answer is there (or none) */
        const struct eval_ctx *ctx;
        unsigned require_usages;
        const struct cfg_mailbox *mailboxes;
        size_t n;
        struct dir_answer *answers;     /* NULL: the directory failed */
        const char *dir_reason;
        const struct cycle_file **files; /* per mailbox, NULL: none */
        struct mailbox_result *results;
        atomic_size_t next;             /* the next mailbox to take */
        atomic_int error;               /* the first failure; stops everyone */
        struct rev_gathering *gather;   /* non-NULL: revocation gathered as answers come */
        pthread_mutex_t gather_lock;    /* one mailbox at a time into gather */
        pthread_mutex_t memo_lock;
        struct vmemo **memos;           /* per CRL set (its rev_crls() generation) */
        size_t n_memos;
};

/* The memo for the CRL set of generation gen, made when first needed. */
static int memo_for(struct work *w, unsigned gen, struct vmemo **ret)
{
        int rc = 0;

        pthread_mutex_lock(&w->memo_lock);
        if (gen >= w->n_memos) {
                struct vmemo **grown = realloc(w->memos, ((size_t)gen + 1) * sizeof(*grown));

                if (grown) {
                        memset(grown + w->n_memos, 0, ((size_t)gen + 1 - w->n_memos) * sizeof(*grown));
                        w->memos = grown;
                        w->n_memos = (size_t)gen + 1;
                } else {
                        rc = -ENOMEM;
                }
        }
        if (rc == 0 && !w->memos[gen])
                rc = vmemo_new(&w->memos[gen]);
        *ret = rc == 0 ? w->memos[gen] : NULL;
        pthread_mutex_unlock(&w->memo_lock);
        return rc;
}

/* One value decoded for the gathering and the verdict alike. OpenSSL
 * caches a certificate's extensions when first asked (X509_check_ca()):
 * here, outside the gathering's lock, rather than inside it. */
static void decode_blob(struct mbx_blob *b)
{
        if (b->read_error < 0)
                return;
        b->decoded = true;
        if (pki_decode(b->data, b->len, &b->certs, &b->why) < 0) {
                sk_X509_pop_free(b->certs, X509_free);
                b->certs = NULL;
        }
        for (int k = 0; k < sk_X509_num(b->certs); k++)
                X509_check_ca(sk_X509_value(b->certs, k));
        ERR_clear_error();
}

/* What a mailbox's verdict needs gathered before it (see the top): ctx
 * gets the material, its CRL set now and that set's memo. */
static int gather_for(struct work *w, struct mbx_input *in, struct eval_ctx *ctx)
{
        unsigned gen;
        int rc = 0;

        for (size_t k = 0; k < in->n_blobs; k++)
                decode_blob(&in->blobs[k]);
        pthread_mutex_lock(&w->gather_lock);
        for (size_t k = 0; k < in->n_blobs && rc >= 0; k++)
                if (in->blobs[k].certs)
                        rc = rev_gather_add(w->gather, in->blobs[k].certs);
        if (rc >= 0)
                rc = rev_gather_sync(w->gather);
        pthread_mutex_unlock(&w->gather_lock);
        if (rc < 0)
                return rc;
        ctx->rev = rev_gather_material(w->gather);
        ctx->crls = rev_crls(ctx->rev, &gen);
        return memo_for(w, gen, &ctx->memo);
}

static void wake_all(struct stream *s)
{
        pthread_mutex_lock(&s->lock);
        pthread_cond_broadcast(&s->ready);
        pthread_mutex_unlock(&s->lock);
}

static void evaluate_one(struct work *w, size_t i)
{
        struct eval_ctx ctx = *w->ctx;
        struct mbx_input in;
        int expected = 0, rc;

        rc = cycle_input(&w->mailboxes[i], w->require_usages, w->answers ? &w->answers[i] : NULL,
                         w->dir_reason, w->files[i], &in);
        if (rc >= 0 && w->gather && !in.unreachable)
                rc = gather_for(w, &in, &ctx);
        if (rc >= 0)
                rc = mbx_evaluate(&ctx, &in, &w->results[i]);
        /* Reads the held key (I/O, a secret): a step after the
         * verdict, as late and as briefly as possible. */
        if (rc >= 0)
                rc = decrypt_check(&w->mailboxes[i], &in, &w->results[i]);
        cycle_input_free(&in);
        /* The result holds copies: the raw answer can go now, which
         * keeps the peak memory of a large cycle down. */
        if (w->answers)
                dir_answer_free(&w->answers[i]);
        if (rc < 0 && atomic_compare_exchange_strong(&w->error, &expected, rc) && w->stream)
                wake_all(w->stream);
}

/* The next mailbox to evaluate: from the counter, or the next complete
 * answer (waiting for one while the search goes on, when wait). */
static bool take(struct work *w, bool wait, size_t *i)
{
        struct stream *s = w->stream;
        bool got;

        if (atomic_load(&w->error) != 0)
                return false;
        if (!s)
                return (*i = atomic_fetch_add(&w->next, 1)) < w->n;
        pthread_mutex_lock(&s->lock);
        while (wait && s->head == s->tail && !s->closed && atomic_load(&w->error) == 0)
                pthread_cond_wait(&s->ready, &s->lock);
        got = s->head < s->tail && atomic_load(&w->error) == 0;
        if (got)
                *i = s->queue[s->head++];
        pthread_mutex_unlock(&s->lock);
        return got;
}

static void *evaluate_some(void *arg)
{
        struct work *w = arg;
        size_t i;

        while (take(w, true, &i))
                evaluate_one(w, i);
        return NULL;
}

/* dir_lookup_each()'s news, on the searching thread. */
static void answer_complete(void *arg, size_t i)
{
        struct work *w = arg;
        struct stream *s = w->stream;
        size_t backlog;

        pthread_mutex_lock(&s->lock);
        s->queue[s->tail++] = i;
        backlog = s->tail - s->head;
        pthread_cond_signal(&s->ready);
        pthread_mutex_unlock(&s->lock);
        for (; backlog > CYCLE_BACKLOG && take(w, false, &i); backlog--)
                evaluate_one(w, i);
}

/* The CPUs this process may run on, at most CYCLE_MAX_THREADS, and no
 * more than the mailboxes make worthwhile. */
static size_t thread_count(size_t n)
{
        size_t t = util_cpus(CYCLE_MAX_THREADS);

        if (t > n / CYCLE_MIN_PER_THREAD)
                t = n / CYCLE_MIN_PER_THREAD;
        return t ? t : 1;
}

struct helpers {
        pthread_t t[CYCLE_MAX_THREADS - 1];
        size_t n;
};

/* Helpers get every signal blocked, so that the service's signals keep
 * going where it expects them; a helper that cannot be started only makes
 * the cycle slower. */
static void start_helpers(struct work *w, struct helpers *h)
{
        size_t want = thread_count(w->n) - 1;
        sigset_t all, old;

        h->n = 0;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        while (h->n < want && pthread_create(&h->t[h->n], NULL, evaluate_some, w) == 0)
                h->n++;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* This thread works too, until nothing is left. */
static int finish_helpers(struct work *w, struct helpers *h)
{
        evaluate_some(w);
        for (size_t k = 0; k < h->n; k++)
                pthread_join(h->t[k], NULL);
        return atomic_load(&w->error);
}

static int evaluate_all(struct work *w)
{
        struct helpers h;

        start_helpers(w, &h);
        return finish_helpers(w, &h);
}

/* Searches and evaluates at once; *failed when the connection failed
 * (the verdicts made are then meaningless). */
static int search_and_evaluate(struct dir *d, const char *const *addresses, struct work *w,
                               bool *failed, char **reason)
{
        struct stream s = { .head = 0 };
        struct helpers h;
        int rc;

        s.queue = calloc(w->n ? w->n : 1, sizeof(*s.queue));
        if (!s.queue)
                return -ENOMEM;
        if (pthread_mutex_init(&s.lock, NULL) != 0) {
                free(s.queue);
                return -ENOMEM;
        }
        if (pthread_cond_init(&s.ready, NULL) != 0) {
                pthread_mutex_destroy(&s.lock);
                free(s.queue);
                return -ENOMEM;
        }
        w->stream = &s;
        start_helpers(w, &h);
        *failed = dir_lookup_each(d, addresses, w->n, w->answers, answer_complete, w, reason) < 0;
        pthread_mutex_lock(&s.lock);
        s.closed = true;
        pthread_cond_broadcast(&s.ready);
        pthread_mutex_unlock(&s.lock);
        rc = finish_helpers(w, &h);
        w->stream = NULL;
        pthread_cond_destroy(&s.ready);
        pthread_mutex_destroy(&s.lock);
        free(s.queue);
        return rc;
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

int cycle_read_file(const char *path, struct cycle_file *f)
{
        *f = (struct cycle_file){ .path = strdup(path) };
        if (!f->path)
                return -ENOMEM;
        f->error = util_read_file(path, UTIL_MAX_FILE_SIZE, &f->data, &f->len);
        return 0;
}

void cycle_file_free(struct cycle_file *f)
{
        if (!f)
                return;
        free(f->path);
        free(f->data);
        memset(f, 0, sizeof(*f));
}

static int by_path(const void *a, const void *b)
{
        const struct cfg_mailbox *const *x = a, *const *y = b;

        return strcmp((*x)->certificates, (*y)->certificates);
}

/* Reads every local file the mailboxes name, each path once; files_of[i]
 * is mailbox i's (NULL: none). *files is owned by the caller. */
static int read_files(const struct cfg_mailbox *mailboxes, size_t n,
                      struct cycle_file **files, size_t *n_files, const struct cycle_file **files_of)
{
        const struct cfg_mailbox **with = NULL;
        size_t n_with = 0;
        int rc = -ENOMEM;

        *files = NULL;
        *n_files = 0;
        with = calloc(n ? n : 1, sizeof(*with));
        if (!with)
                goto out;
        for (size_t i = 0; i < n; i++)
                if (mailboxes[i].certificates)
                        with[n_with++] = &mailboxes[i];
        qsort(with, n_with, sizeof(*with), by_path);
        *files = calloc(n_with ? n_with : 1, sizeof(**files));
        if (!*files)
                goto out;
        for (size_t k = 0; k < n_with; k++) {
                if (k == 0 || strcmp(with[k]->certificates, with[k - 1]->certificates) != 0) {
                        rc = cycle_read_file(with[k]->certificates, &(*files)[*n_files]);
                        if (rc < 0)
                                goto out;
                        ++*n_files;
                }
                files_of[with[k] - mailboxes] = &(*files)[*n_files - 1];
        }
        rc = 0;
out:
        free(with);
        return rc;
}

int cycle_input(const struct cfg_mailbox *mb, unsigned require_usages,
                const struct dir_answer *answer, const char *dir_reason,
                const struct cycle_file *file, struct mbx_input *in)
{
        size_t n_values = file ? 1 : 0;

        *in = (struct mbx_input){ .address = mb->address, .require_usages = require_usages,
                                  .warn_days = mb->warn_days, .critical_days = mb->critical_days };
        if (!answer || answer->error) {
                const char *why = answer ? answer->reason : dir_reason;

                in->unreachable = why ? why : "unknown reason";
                return 0;
        }
        in->entries_truncated = answer->truncated;
        for (size_t i = 0; i < answer->n_entries; i++) {
                n_values += answer->entries[i].n_values;
                in->n_dropped += answer->entries[i].n_dropped;
                in->n_too_large += answer->entries[i].n_too_large;
        }
        in->entries = calloc(answer->n_entries ? answer->n_entries : 1, sizeof(*in->entries));
        in->blobs = calloc(n_values ? n_values : 1, sizeof(*in->blobs));
        if (!in->entries || !in->blobs) {
                cycle_input_free(in);
                return -ENOMEM;
        }
        for (size_t i = 0; i < answer->n_entries; i++) {
                const struct dir_entry *e = &answer->entries[i];

                in->entries[in->n_entries++] = e->dn;
                for (size_t j = 0; j < e->n_values; j++)
                        in->blobs[in->n_blobs++] = (struct mbx_blob){
                                .source = CERT_SOURCE_DIRECTORY, .attribute = e->values[j].attribute,
                                .origin = e->dn, .data = e->values[j].data, .len = e->values[j].len };
        }
        if (file)
                in->blobs[in->n_blobs++] = (struct mbx_blob){
                        .source = CERT_SOURCE_FILE, .origin = file->path, .data = file->data,
                        .len = file->len, .read_error = file->error };
        return 0;
}

void cycle_input_free(struct mbx_input *in)
{
        if (in) {
                for (size_t k = 0; in->blobs && k < in->n_blobs; k++) {
                        sk_X509_pop_free(in->blobs[k].certs, X509_free);
                        free(in->blobs[k].why);
                }
                free(in->entries);
                free(in->blobs);
                *in = (struct mbx_input){ .address = NULL };
        }
}

/* The search with everything that goes with it: with revocation on, the
 * gathering for each mailbox (see the top), its material in r. */
static int gather_search_and_evaluate(const struct cfg *c, const struct pki *pki,
                                      const struct rev_opts *rev, time_t now, struct dir *d,
                                      const char **addresses, struct work *w,
                                      struct cycle_result *r)
{
        int rc, end;

        if (!rev || c->pki.revocation == CFG_REV_OFF)
                return search_and_evaluate(d, addresses, w, &r->directory_failed,
                                           &r->directory_reason);
        rc = rev_gather_begin(c, pki, rev, now, &w->gather);
        if (rc < 0)
                return rc;
        if (pthread_mutex_init(&w->gather_lock, NULL) != 0) {
                rev_gather_abort(w->gather);
                w->gather = NULL;
                return -ENOMEM;
        }
        if (pthread_mutex_init(&w->memo_lock, NULL) != 0) {
                pthread_mutex_destroy(&w->gather_lock);
                rev_gather_abort(w->gather);
                w->gather = NULL;
                return -ENOMEM;
        }
        rc = search_and_evaluate(d, addresses, w, &r->directory_failed, &r->directory_reason);
        end = rev_gather_end(w->gather, &r->revocation);
        w->gather = NULL;
        pthread_mutex_destroy(&w->gather_lock);
        pthread_mutex_destroy(&w->memo_lock);
        for (size_t k = 0; k < w->n_memos; k++)
                vmemo_free(w->memos[k]);
        free(w->memos);
        w->memos = NULL;
        w->n_memos = 0;
        return rc < 0 ? rc : end;
}

/* A cycle allocates and frees a lot, on several threads. The build links
 * jemalloc (SW_JEMALLOC; not under the sanitizers, which bring their
 * own allocator): its per-thread caches take OpenSSL's hundreds of small
 * blocks per certificate with less work than glibc's malloc (8 % of a
 * cycle's CPU at 10,000 mailboxes), and it keeps freed pages for reuse
 * until cycle_release_memory() purges them. With glibc's malloc, which
 * would shrink a thread's heap whenever its top is free and grow it again
 * (an mprotect each time: thousands per 10,000 mailboxes, and fresh pages
 * to fault in), heaps keep 8 MiB of free top instead. It is only address
 * space until touched, and cycle_release_memory() gives back what is free
 * between cycles all the same. */
static void tune_malloc(void)
{
#ifndef SW_JEMALLOC
        mallopt(M_TOP_PAD, 8 << 20);
        mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
}

/* Checks the n mailboxes over *d (opened here when NULL and needed; closed
 * before the evaluation). r may already say that the directory failed. */
static int run(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mailboxes,
               size_t n, time_t now, const struct rev_opts *rev, struct dir **d,
               struct cycle_result *r)
{
        const struct cycle_file **files_of = NULL;
        struct dir_answer *answers = NULL;
        struct cycle_file *files = NULL;
        const char **addresses = NULL;
        struct vmemo *memo = NULL;
        struct eval_ctx ctx;
        struct timespec t0, t1;
        size_t n_files = 0;
        struct work w;
        int rc = -ENOMEM;

        static pthread_once_t tuned = PTHREAD_ONCE_INIT;

        pthread_once(&tuned, tune_malloc);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r->mailboxes = calloc(n ? n : 1, sizeof(*r->mailboxes));
        answers = calloc(n ? n : 1, sizeof(*answers));
        addresses = calloc(n ? n : 1, sizeof(*addresses));
        files_of = calloc(n ? n : 1, sizeof(*files_of));
        if (!r->mailboxes || !answers || !addresses || !files_of)
                goto out;
        for (size_t i = 0; i < n; i++)
                addresses[i] = mailboxes[i].address;

        /* Before the search: evaluations start while it runs. */
        rc = read_files(mailboxes, n, &files, &n_files, files_of);
        if (rc < 0)
                goto out;
        eval_ctx_init(&ctx, pki, now);
        /* One memo per cycle: the CA part of a path is verified once (vmemo.c). */
        rc = vmemo_new(&memo);
        if (rc < 0)
                goto out;
        ctx.memo = memo;
        w = (struct work){ .ctx = &ctx, .require_usages = c->require_usages,
                           .mailboxes = mailboxes, .n = n, .answers = answers,
                           .files = files_of, .results = r->mailboxes };
        atomic_init(&w.next, 0);
        atomic_init(&w.error, 0);
        if (n > 0 && !r->directory_failed && !*d &&
            dir_open(&c->directory, d, &r->directory_reason) < 0)
                r->directory_failed = true;
        else if (n > 0 && !r->directory_failed)
                rc = gather_search_and_evaluate(c, pki, rev, now, *d, addresses, &w, r);
        dir_close(*d);
        *d = NULL;
        if (rc == 0 && r->directory_failed) {
                if (!r->directory_reason && !(r->directory_reason = strdup("unknown error"))) {
                        rc = -ENOMEM;
                        goto out;
                }
                /* What was evaluated before the failure does not count. */
                for (size_t i = 0; i < n; i++) {
                        mailbox_result_free(&r->mailboxes[i]);
                        dir_answer_free(&answers[i]);
                }
                w.answers = NULL;
                w.dir_reason = r->directory_reason;
                rc = evaluate_all(&w);
        }
        /* Slots not reached are still zero: freeing them is harmless. */
        r->n_mailboxes = n;
        if (rc < 0)
                goto out;
        tally(r, n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        r->duration_usec = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000u +
                           (uint64_t)(t1.tv_nsec / 1000) - (uint64_t)(t0.tv_nsec / 1000);
out:
        vmemo_free(memo);
        for (size_t i = 0; answers && i < n; i++)
                dir_answer_free(&answers[i]);
        free(answers);
        free(addresses);
        for (size_t i = 0; i < n_files; i++)
                cycle_file_free(&files[i]);
        free(files);
        free(files_of);
        return rc;
}

/* The mail server's limit concerns every mailbox it serves. */
static int check_smtp(const struct cfg *c, struct cycle_result *r)
{
        int rc = smtp_check(c, &r->smtp);

        for (size_t i = 0; rc >= 0 && r->smtp.status == SW_WARNING && i < r->n_mailboxes; i++)
                rc = smtp_add_problem(&r->smtp, &r->mailboxes[i]);
        if (rc >= 0 && r->smtp.status == SW_WARNING) {
                memset(r->counts, 0, sizeof(r->counts));
                r->status = SW_OK;
                tally(r, r->n_mailboxes);
        }
        return rc;
}

int cycle_run(const struct cfg *c, const struct pki *pki, const struct cfg_mailbox *mailboxes,
              size_t n, time_t now, const struct rev_opts *rev, struct cycle_result *out)
{
        struct cycle_result r = { .checked_at = now, .status = SW_OK };
        struct dir *d = NULL;
        int rc;

        rc = run(c, pki, mailboxes, n, now, rev, &d, &r);
        if (rc >= 0)
                rc = check_smtp(c, &r);
        dir_close(d);
        if (rc < 0) {
                cycle_result_free(&r);
                return rc;
        }
        *out = r;
        return 0;
}

/* ---- the set of mailboxes ------------------------------------------------ */

const char *cycle_origin_name(enum cycle_origin o)
{
        switch (o) {
        case CYCLE_CONFIGURED: return "configured";
        case CYCLE_LISTED: return "mailbox_list";
        case CYCLE_DISCOVERED: return "discovered";
        }
        return "?";
}

/* An address with its domain folded as util_address_equal() folds it, so
 * that sorting puts equal addresses side by side. */
struct keyed {
        char *key;
        const char *address;
};

static int by_key(const void *a, const void *b)
{
        return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static char *fold(const char *address)
{
        char *k = strdup(address), *at = k ? strrchr(k, '@') : NULL;

        for (char *p = at; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return k;
}

static int keyed_make(struct keyed *k, size_t n, const char *(*get)(const void *, size_t),
                      const void *from)
{
        for (size_t i = 0; i < n; i++) {
                k[i].address = get(from, i);
                k[i].key = fold(k[i].address);
                if (!k[i].key)
                        return -ENOMEM;
        }
        qsort(k, n, sizeof(*k), by_key);
        return 0;
}

static void keyed_free(struct keyed *k, size_t n)
{
        for (size_t i = 0; k && i < n; i++)
                free(k[i].key);
        free(k);
}

static const char *configured_address(const void *from, size_t i)
{
        return ((const struct cfg *)from)->mailboxes[i].address;
}

static const char *found_address(const void *from, size_t i)
{
        return ((const struct dir_discovery *)from)->addresses[i];
}

static int set_grow(struct cycle_set *s, size_t n)
{
        s->mailboxes = calloc(n ? n : 1, sizeof(*s->mailboxes));
        s->origins = calloc(n ? n : 1, sizeof(*s->origins));
        return s->mailboxes && s->origins ? 0 : -ENOMEM;
}

/* The configured mailboxes, then every distinct address of found that is
 * not configured, in sorted order, with the [service] thresholds. */
/* gcc -fanalyzer (GCC 12) loses a pointer stored in an element of an array the caller owns (the
 * address strdup()ed into s->mailboxes[], freed with the set) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int merge(const struct cfg *c, const struct dir_discovery *found, struct cycle_set *s)
{
        struct keyed *conf = calloc(c->n_mailboxes ? c->n_mailboxes : 1, sizeof(*conf));
        struct keyed *disc = calloc(found->n ? found->n : 1, sizeof(*disc));
        int rc = -ENOMEM;

        if (!conf || !disc || set_grow(s, c->n_mailboxes + found->n) < 0)
                goto out;
        for (size_t i = 0; i < c->n_mailboxes; i++) {
                s->mailboxes[s->n] = c->mailboxes[i];
                s->origins[s->n++] = c->mailboxes[i].from_list ? CYCLE_LISTED : CYCLE_CONFIGURED;
        }
        if (found->n == 0) {
                rc = 0;
                goto out;
        }
        if (keyed_make(conf, c->n_mailboxes, configured_address, c) < 0 ||
            keyed_make(disc, found->n, found_address, found) < 0)
                goto out;
        for (size_t i = 0; i < found->n; i++) {
                struct cfg_mailbox *m;

                if (i > 0 && strcmp(disc[i].key, disc[i - 1].key) == 0)
                        continue;
                s->n_found++;
                if (bsearch(&disc[i], conf, c->n_mailboxes, sizeof(*conf), by_key))
                        continue;
                m = &s->mailboxes[s->n];
                *m = (struct cfg_mailbox){ .warn_days = c->service.warn_days,
                                           .critical_days = c->service.critical_days };
                m->address = strdup(disc[i].address);
                if (!m->address)
                        goto out;
                s->origins[s->n++] = CYCLE_DISCOVERED;
                s->n_added++;
        }
        rc = 0;
out:
        keyed_free(conf, c->n_mailboxes);
        keyed_free(disc, found->n);
        return rc;
}
#pragma GCC diagnostic pop

/* The set over d (NULL: no discovery possible, reason says why). */
static int make_set(const struct cfg *c, struct dir *d, const char *reason, struct cycle_set *s)
{
        struct dir_discovery found = { 0 };
        int rc;

        *s = (struct cycle_set){ .discovery = c->directory.discover != NULL };
        if (s->discovery && d && dir_discover(d, c->directory.discover, &found) < 0)
                s->discovery_reason = found.reason ? strdup(found.reason)
                                                   : strdup("the search failed");
        else if (s->discovery && !d)
                s->discovery_reason = strdup(reason ? reason : "the directory could not be reached");
        if (s->discovery && !d && !s->discovery_reason)
                return -ENOMEM;
        s->n_entries = found.n_entries;
        s->n_invalid = found.n_invalid;
        rc = merge(c, &found, s);
        dir_discovery_free(&found);
        if (rc < 0)
                cycle_set_free(s);
        return rc;
}

int cycle_set_make(const struct cfg *c, struct cycle_set *out)
{
        struct dir *d = NULL;
        char *reason = NULL;
        int rc;

        if (c->directory.discover)
                (void)dir_open(&c->directory, &d, &reason);
        rc = make_set(c, d, reason, out);
        dir_close(d);
        free(reason);
        return rc;
}

void cycle_set_free(struct cycle_set *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++)
                if (s->origins[i] == CYCLE_DISCOVERED)
                        free(s->mailboxes[i].address);
        free(s->mailboxes);
        free(s->origins);
        free(s->discovery_reason);
        memset(s, 0, sizeof(*s));
}

int cycle_run_all(const struct cfg *c, const struct pki *pki, time_t now,
                  const struct rev_opts *rev, struct cycle_result *out)
{
        struct cycle_result r = { .checked_at = now, .status = SW_OK };
        struct dir *d = NULL;
        int rc;

        if (c->directory.discover && dir_open(&c->directory, &d, &r.directory_reason) < 0)
                r.directory_failed = true;
        rc = make_set(c, d, r.directory_reason, &r.set);
        if (rc >= 0)
                rc = run(c, pki, r.set.mailboxes, r.set.n, now, rev, &d, &r);
        if (rc >= 0)
                rc = check_smtp(c, &r);
        /* A partial discovery: what it found is checked, but not everything was. */
        if (rc >= 0 && r.set.discovery_reason)
                r.status = sw_status_worse(r.status, SW_UNKNOWN);
        dir_close(d);
        if (rc < 0) {
                cycle_result_free(&r);
                return rc;
        }
        *out = r;
        return 0;
}

void cycle_result_free(struct cycle_result *r)
{
        for (size_t i = 0; r && i < r->n_mailboxes; i++)
                mailbox_result_free(&r->mailboxes[i]);
        if (r) {
                free(r->mailboxes);
                free(r->directory_reason);
                cycle_set_free(&r->set);
                smtp_result_free(&r->smtp);
                rev_material_free(r->revocation);
                memset(r, 0, sizeof(*r));
        }
}

void cycle_release_memory(void)
{
        /* Every arena, the helpers' too: free() keeps what it can reuse. */
#ifdef SW_JEMALLOC
        (void)mallctl("arena." SW_XSTR(MALLCTL_ARENAS_ALL) ".purge", NULL, NULL, NULL, 0);
#else
        malloc_trim(0);
#endif
}
