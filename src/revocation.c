/* SPDX-License-Identifier: EUPL-1.2 */
/* Gathering revocation material once per cycle, before the evaluation.
 *
 * The certificates to check are grouped by their issuing CA; a CA's CRL
 * is looked for once per cycle, in the order of [pki] revocation_sources,
 * never once per certificate or mailbox. A cached CRL is used without a
 * fetch until it is due: when its nextUpdate is less than a tenth of its
 * lifetime (at most an hour) away, or crl_refresh after it was fetched
 * (the cache file's modification time). OCSP answers are cached per
 * certificate by the same rule (REV_OCSP_MAX_AGE without nextUpdate).
 *
 * Decisions where the issue is silent:
 * - Every CRL, fetched or cached, is verified against its issuing CA's
 *   key before it is used; the cache is not trusted more than the network.
 * - A fetched CRL is refused when it is older than the cached one (its
 *   thisUpdate, or its crlNumber where both have one): no rollback.
 * - A responder or CRL server that failed once in a cycle is not asked
 *   again in that cycle, so a dead OCSP responder costs one timeout per
 *   cycle, not one per certificate.
 * - OCSP nonces are sent; an answer without one is accepted (responders
 *   with precomputed answers do not echo it, and freshness still binds),
 *   an answer with a wrong one is not.
 */
#include "revocation.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "directory.h"
#include "evaluate.h"
#include "fetch.h"
#include "pki.h"
#include "util.h"

#define REV_MSG_MAX 300
#define REV_MARGIN_MAX 3600

struct crl_entry {
        X509_CRL *crl;
        char *kind;                     /* "crl" */
        char *location;
};

struct ocsp_entry {
        char sha256[65];
        int status, reason;
        time_t revoked_at;
        char *location;
        time_t this_update, next_update;
};

struct note {
        X509_NAME *issuer;
        char *text;
};

/* Read by the evaluations while the gathering adds to it (cycle.c
 * gathers as the answers come): every change is made under the write
 * lock, every read of the evaluation under the read lock, and nothing a
 * reader was handed is freed before the material: CRL stacks are
 * replaced, not changed (the old ones are kept in old_crls), and strings
 * are copied out or never freed early. */
struct rev_material {
        pthread_rwlock_t lock;
        STACK_OF(X509_CRL) *crls;       /* the current set; each change makes a new one */
        STACK_OF(X509_CRL) **old_crls;  /* the sets before, shallow */
        size_t n_old_crls;
        unsigned generation;            /* changes of crls so far */
        struct crl_entry *ce;
        size_t n_ce;
        struct ocsp_entry *oe;
        size_t n_oe;
        size_t *oe_index;               /* open addressing by SHA-256: 1 + index into oe, 0: free */
        size_t n_oe_index;              /* slots, a power of two above twice n_oe */
        struct note *notes;
        size_t n_notes;
        struct rev_failure *fail;
        size_t n_fail;
        char **ok;                      /* sources that answered when asked */
        size_t n_ok;
        unsigned fetches;
};

struct group {
        X509 *issuer;                   /* referenced */
        char **urls;                    /* CRL distribution points of its certificates */
        size_t n_urls;
        bool need_crl;
        bool looked;                    /* its CRL was looked for (need_crl) */
        bool got;                       /* and found */
        size_t n_tried;                 /* urls tried then */
};

struct rev_gathering {
        const struct cfg *c;
        const struct pki *pki;
        const struct rev_opts *o;
        struct fetch_opts fo;
        time_t now;
        struct rev_material *m;
        STACK_OF(X509) *cas;            /* issuer candidates: anchors, intermediates, companions */
        struct group *groups;
        size_t n_groups;
        char **dead;                    /* sources that failed in this cycle */
        size_t n_dead;
        size_t n_visited;               /* groups whose issuer was visited */
};


/* ---- small helpers ---- */

/* gcc -fanalyzer (GCC 12) loses a pointer stored in an element of an array the caller owns (the
 * copy strdup()ed into (*v)[*n], freed by util_strv_free()) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int strv_add(char ***v, size_t *n, const char *s)
{
        char **grown = realloc(*v, (*n + 1) * sizeof(**v));

        if (!grown)
                return -ENOMEM;
        *v = grown;
        grown[*n] = strdup(s);
        if (!grown[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}
#pragma GCC diagnostic pop

static bool strv_has(char **v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

/* The material is shared with readers on other threads (see above). */
static void write_lock(struct rev_material *m)
{
        pthread_rwlock_wrlock(&m->lock);
}

static void read_lock(const struct rev_material *m)
{
        pthread_rwlock_rdlock((pthread_rwlock_t *)&m->lock);
}

static void unlock(const struct rev_material *m)
{
        pthread_rwlock_unlock((pthread_rwlock_t *)&m->lock);
}

/* gcc -fanalyzer (GCC 12) loses the copy that strv_add() stores into m->ok[] and reports it as
 * leaked here; m owns it, and the material's free frees it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int add_ok(struct rev_material *m, const char *location)
{
        int r = 0;

        write_lock(m);
        if (!strv_has(m->ok, m->n_ok, location))
                r = strv_add(&m->ok, &m->n_ok, location);
        unlock(m);
        return r;
}
#pragma GCC diagnostic pop

static void count_fetch(struct rev_material *m)
{
        write_lock(m);
        m->fetches++;
        unlock(m);
}

static char *clean(const char *s)
{
        return util_cut(s, strlen(s), REV_MSG_MAX);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
        if (!pki_sha256_data_hex(p, n, out)) {
                memset(out, '0', 64);
                out[64] = 0;
        }
}


/* ---- the material ---- */

static int add_note(struct rev_material *m, const X509_NAME *issuer, const char *what);

/* A source that failed; unless a cached answer covered for it, the
 * failure is noted for issuer (the REVOCATION_UNKNOWN message). */
static int add_failure(struct rev_gathering *g, const X509_NAME *issuer, const char *source, bool covered,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int add_failure(struct rev_gathering *g, const X509_NAME *issuer, const char *source, bool covered,
                       const char *fmt, ...)
{
        struct rev_material *m = g->m;
        struct rev_failure *grown;
        char *why;
        va_list ap;
        int r;

        va_start(ap, fmt);
        why = util_vformat(fmt, ap);
        va_end(ap);
        if (!why)
                return -ENOMEM;
        write_lock(m);
        grown = realloc(m->fail, (m->n_fail + 1) * sizeof(*grown));
        if (grown) {
                m->fail = grown;
                grown[m->n_fail] = (struct rev_failure){ .source = clean(source), .why = why,
                                                         .covered = covered };
                if (grown[m->n_fail].source)
                        m->n_fail++;
                else
                        grown = NULL;
        }
        unlock(m);
        if (!grown) {
                free(why);
                return -ENOMEM;
        }
        if (issuer && !covered) {
                char *note = NULL;

                if (asprintf(&note, "%s: %s", m->fail[m->n_fail - 1].source, why) < 0)
                        return -ENOMEM;
                r = add_note(m, issuer, note);
                free(note);
                if (r < 0)
                        return r;
        }
        return strv_has(g->dead, g->n_dead, source) ? 0 : strv_add(&g->dead, &g->n_dead, source);
}

/* Appends "what" to the explanation kept for issuer. */
static int add_note_locked(struct rev_material *m, const X509_NAME *issuer, const char *what)
{
        struct note *n = NULL, *grown;
        char *joined = NULL;

        for (size_t i = 0; i < m->n_notes; i++)
                if (X509_NAME_cmp(m->notes[i].issuer, issuer) == 0)
                        n = &m->notes[i];
        if (!n) {
                grown = realloc(m->notes, (m->n_notes + 1) * sizeof(*grown));
                if (!grown)
                        return -ENOMEM;
                m->notes = grown;
                n = &grown[m->n_notes];
                *n = (struct note){ .issuer = X509_NAME_dup(issuer) };
                if (!n->issuer)
                        return -ENOMEM;
                m->n_notes++;
        }
        if (asprintf(&joined, "%s%s%s", n->text ? n->text : "", n->text ? "; " : "", what) < 0)
                return -ENOMEM;
        free(n->text);
        n->text = joined;
        return 0;
}

static int add_note(struct rev_material *m, const X509_NAME *issuer, const char *what)
{
        int r;

        write_lock(m);
        r = add_note_locked(m, issuer, what);
        unlock(m);
        return r;
}

/* The current CRL set with crl added, as a new set: readers may still
 * be using the current one. */
/* gcc -fanalyzer (GCC 12) loses a pointer stored in an element of an array the caller owns (kind
 * and location strdup()ed into m->ce[], counted in m->n_ce before anything else can fail, freed
 * with the material) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int add_crl_locked(struct rev_material *m, X509_CRL *crl, const char *location)
{
        struct crl_entry *grown = realloc(m->ce, (m->n_ce + 1) * sizeof(*grown));
        STACK_OF(X509_CRL) **old, *next;

        if (!grown)
                return -ENOMEM;
        m->ce = grown;
        if (!X509_CRL_up_ref(crl))
                return -ENOMEM;
        grown[m->n_ce] = (struct crl_entry){ .crl = crl, .kind = strdup("crl"),
                                             .location = clean(location) };
        m->n_ce++;
        if (!grown[m->n_ce - 1].kind || !grown[m->n_ce - 1].location)
                return -ENOMEM;
        old = realloc(m->old_crls, (m->n_old_crls + 1) * sizeof(*old));
        if (!old)
                return -ENOMEM;
        m->old_crls = old;
        next = sk_X509_CRL_dup(m->crls);
        if (!next || !X509_CRL_up_ref(crl)) {
                sk_X509_CRL_free(next);
                return -ENOMEM;
        }
        if (!sk_X509_CRL_push(next, crl)) {
                X509_CRL_free(crl);
                sk_X509_CRL_free(next);
                return -ENOMEM;
        }
        old[m->n_old_crls++] = m->crls;
        m->crls = next;
        m->generation++;
        return 0;
}
#pragma GCC diagnostic pop

/* gcc -fanalyzer (GCC 12) loses what add_crl_locked() stores into m (m->ce[], m->old_crls[], the
 * new m->crls) and reports it as leaked here; m owns all of it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int add_crl(struct rev_material *m, X509_CRL *crl, const char *location)
{
        ASN1_INTEGER *zero = NULL;
        X509_REVOKED *rev;
        int r;

        /* Fills OpenSSL's lazily sorted revocation list now, while no
         * other thread can see the CRL (pki.c's warm_caches does the same). */
        zero = ASN1_INTEGER_new();
        if (zero && ASN1_INTEGER_set(zero, 0))
                X509_CRL_get0_by_serial(crl, &rev, zero);
        ASN1_INTEGER_free(zero);
        ERR_clear_error();
        write_lock(m);
        r = add_crl_locked(m, crl, location);
        unlock(m);
        return r;
}
#pragma GCC diagnostic pop

/* ---- the cache ---- */

char *rev_cache_dir(void)
{
        const char *dir = getenv("CACHE_DIRECTORY");
        char *p = NULL;

        /* systemd lists one directory per CacheDirectory= entry, ':'-separated. */
        if (!dir || !*dir)
                dir = REV_DEFAULT_CACHE_DIR;
        if (asprintf(&p, "%.*s", (int)strcspn(dir, ":"), dir) < 0)
                return NULL;
        return p;
}

static char *cache_file(const struct rev_gathering *g, const char *prefix, const char *key)
{
        char hex[65], *p = NULL;

        if (!g->o || !g->o->cache_dir)
                return NULL;
        sha256_hex(key, strlen(key), hex);
        if (asprintf(&p, "%s/%s-%s.der", g->o->cache_dir, prefix, hex) < 0)
                return NULL;
        return p;
}

/* The cache file is replaced atomically (a reader sees the old file or
 * the new one). A cache that cannot be written (--verify as an ordinary
 * user) only means fetching again next time. */
static void cache_write(const char *path, const unsigned char *data, size_t len)
{
        if (path)
                (void)util_replace_file(path, data, len, 0600);
}

static bool cache_read(const char *path, unsigned char **data, size_t *len, time_t *mtime)
{
        struct stat st;

        if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        *mtime = st.st_mtime;
        return util_read_file(path, FETCH_MAX_SIZE, data, len) == 0;
}

/* ---- CRLs ---- */

bool rev_crl_current(X509_CRL *crl, time_t now)
{
        time_t this_update, next_update;

        if (!pki_asn1_time(X509_CRL_get0_lastUpdate(crl), &this_update) || this_update > now + REV_CLOCK_SKEW)
                return false;
        return pki_asn1_time(X509_CRL_get0_nextUpdate(crl), &next_update) && now < next_update;
}

/* Due: near its nextUpdate, or crl_refresh after it was fetched. */
static bool due(const struct rev_gathering *g, time_t this_update, time_t next_update, time_t fetched)
{
        time_t margin = next_update > this_update ? (next_update - this_update) / 10 : 0;

        if (margin > REV_MARGIN_MAX)
                margin = REV_MARGIN_MAX;
        if (next_update && g->now >= next_update - margin)
                return true;
        return time(NULL) >= fetched + (time_t)(g->c->pki.crl_refresh_usec / USEC_PER_SEC);
}

static bool crl_due(const struct rev_gathering *g, X509_CRL *crl, time_t fetched)
{
        time_t t = 0, n = 0;

        pki_asn1_time(X509_CRL_get0_lastUpdate(crl), &t);
        pki_asn1_time(X509_CRL_get0_nextUpdate(crl), &n);
        return due(g, t, n, fetched);
}

/* The one CRL in data, checked against issuer; NULL with *why. */
static X509_CRL *crl_accept(const unsigned char *data, size_t len, X509 *issuer, char **why)
{
        STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
        X509_CRL *crl = NULL;
        EVP_PKEY *key = X509_get0_pubkey(issuer);
        char *inner = NULL, *iss = NULL;

        *why = NULL;
        if (!crls)
                return NULL;
        if (pki_decode_crls(data, len, crls, &inner) < 0) {
                if (asprintf(why, "not a CRL (%s)", inner ? inner : "malformed") < 0)
                        *why = NULL;
                goto out;
        }
        crl = sk_X509_CRL_shift(crls);
        iss = eval_dn_string(X509_get_subject_name(issuer));
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
                if (asprintf(why, "the CRL is not issued by '%s'", iss ? iss : "?") < 0)
                        *why = NULL;
        } else if (!key || X509_CRL_verify(crl, key) != 1) {
                if (asprintf(why, "the CRL's signature does not verify with the key of '%s'",
                             iss ? iss : "?") < 0)
                        *why = NULL;
        } else if (!X509_CRL_get0_nextUpdate(crl)) {
                if (asprintf(why, "the CRL has no nextUpdate") < 0)
                        *why = NULL;
        }
        if (*why) {
                X509_CRL_free(crl);
                crl = NULL;
        }
out:
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
        free(inner);
        free(iss);
        ERR_clear_error();
        return crl;
}

/* Why fresh may not replace cached (no rollback), or NULL when it may. */
static char *rollback(X509_CRL *fresh, X509_CRL *cached)
{
        ASN1_INTEGER *a = NULL, *b = NULL;
        char *why = NULL;
        int cmp = ASN1_TIME_compare(X509_CRL_get0_lastUpdate(fresh), X509_CRL_get0_lastUpdate(cached));

        if (cmp < 0) {
                if (asprintf(&why, "older than the cached CRL (its thisUpdate is earlier)") < 0)
                        why = NULL;
                return why ? why : strdup("older than the cached CRL");
        }
        a = X509_CRL_get_ext_d2i(fresh, NID_crl_number, NULL, NULL);
        b = X509_CRL_get_ext_d2i(cached, NID_crl_number, NULL, NULL);
        if (a && b && ASN1_INTEGER_cmp(a, b) < 0)
                why = strdup("older than the cached CRL (its crlNumber is lower)");
        ASN1_INTEGER_free(a);
        ASN1_INTEGER_free(b);
        ERR_clear_error();
        return why;
}

X509_CRL *rev_crl_accept(const unsigned char *data, size_t len, X509 *issuer, X509_CRL *cached,
                         char **why)
{
        X509_CRL *crl = crl_accept(data, len, issuer, why);
        char *refused;

        if (crl && cached && (refused = rollback(crl, cached))) {
                X509_CRL_free(crl);
                *why = refused;
                return NULL;
        }
        return crl;
}

typedef int crl_fetcher(struct rev_gathering *g, const char *location, unsigned char **data,
                        size_t *len, char **why);

static int fetch_crl_url(struct rev_gathering *g, const char *location, unsigned char **data,
                         size_t *len, char **why)
{
        return fetch_get(&g->fo, location, data, len, why);
}

/* The CRL at location for issuer: cached while not due, else fetched,
 * verified, compared with the cached one and cached. *got when a current
 * CRL is now in the material. */
static int crl_from(struct rev_gathering *g, X509 *issuer, const char *location, crl_fetcher *fetch,
                    bool *got)
{
        char *path = cache_file(g, "crl", location), *why = NULL;
        unsigned char *data = NULL;
        X509_CRL *cached = NULL, *fresh = NULL, *use;
        size_t len = 0;
        time_t mtime = 0;
        bool current;
        int r = 0;

        *got = false;
        if (cache_read(path, &data, &len, &mtime)) {
                /* A corrupt or foreign file is ignored and replaced by the next fetch. */
                cached = crl_accept(data, len, issuer, &why);
                free(why);
                why = NULL;
        }
        free(data);
        data = NULL;
        current = cached && rev_crl_current(cached, g->now);
        if (current && (!crl_due(g, cached, mtime) || g->o->offline)) {
                r = add_crl(g->m, cached, location);
                *got = r == 0;
                goto out;
        }
        if (g->o->offline) {
                r = add_failure(g, X509_get_subject_name(issuer), location, false,
                                "offline, and no current CRL in the cache");
                goto out;
        }
        if (strv_has(g->dead, g->n_dead, location)) {
                r = current ? add_crl(g->m, cached, location) : 0;
                *got = current && r == 0;
                goto out;
        }
        count_fetch(g->m);
        r = fetch(g, location, &data, &len, &why);
        if (r == -ENOMEM)
                goto out;
        if (r == 0)
                fresh = rev_crl_accept(data, len, issuer, cached, &why);
        r = 0;
        if (fresh) {
                cache_write(path, data, len);
                if (add_ok(g->m, location) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
        } else {
                r = add_failure(g, X509_get_subject_name(issuer), location, current, "%s%s",
                                why ? why : "failed",
                                current ? " (the cached CRL is still current and is used)" : "");
                if (r < 0)
                        goto out;
        }
        use = fresh ? fresh : current ? cached : NULL;
        if (use && rev_crl_current(use, g->now)) {
                r = add_crl(g->m, use, location);
                *got = r == 0;
        } else if (use) {
                char t[21];
                time_t next = 0;

                pki_asn1_time(X509_CRL_get0_nextUpdate(use), &next);
                r = add_failure(g, X509_get_subject_name(issuer), location, false,
                                "the CRL is outdated (its nextUpdate was %s)",
                                util_format_time(next, t));
        }
out:
        X509_CRL_free(cached);
        X509_CRL_free(fresh);
        free(data);
        free(why);
        free(path);
        return r;
}

/* A configured file has a current CRL of issuer. */
static bool files_cover(const struct rev_gathering *g, X509 *issuer)
{
        STACK_OF(X509_CRL) *crls = pki_crls(g->pki);

        for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
                X509_CRL *crl = sk_X509_CRL_value(crls, i);

                if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) == 0 &&
                    rev_crl_current(crl, g->now))
                        return true;
        }
        return false;
}

/* The CA's own directory entry in [directory]. */
static const char *const dir_crl_attributes[] = { "certificateRevocationList;binary",
                                                  "authorityRevocationList;binary" };

static int fetch_crl_directory(struct rev_gathering *g, const char *location, unsigned char **data,
                               size_t *len, char **why)
{
        const char *dn = strchr(location, ' ') + 1;
        struct dir *d = NULL;
        char *reason = NULL;
        int r;

        r = dir_open(&g->c->directory, &d, &reason);
        if (r == 0)
                r = dir_read_attr(d, dn, dir_crl_attributes[0], FETCH_MAX_SIZE, data, len, &reason);
        if (r == -ENOENT) {
                free(reason);
                reason = NULL;
                r = dir_read_attr(d, dn, dir_crl_attributes[1], FETCH_MAX_SIZE, data, len, &reason);
        }
        dir_close(d);
        *why = reason;
        return r;
}

/* The group's CRL, in the order of the sources. A group is looked at
 * once its first certificate comes; distribution points that later
 * certificates add are tried only when nothing was found before. */
static int group_crl(struct rev_gathering *g, struct group *gr)
{
        const struct cfg_pki *s = &g->c->pki;
        char *iss = NULL, *loc = NULL;
        bool again = gr->looked, got = false;
        int r = 0;

        if (gr->got || (again && gr->n_tried == gr->n_urls))
                return 0;
        for (size_t k = 0; k < s->n_sources && !got && r == 0; k++) {
                if (again && s->sources[k] != CFG_SRC_CRL_DP)
                        continue;
                switch (s->sources[k]) {
                case CFG_SRC_FILES:
                        got = files_cover(g, gr->issuer);
                        break;
                case CFG_SRC_CRL_DP:
                        for (size_t u = again ? gr->n_tried : 0; u < gr->n_urls && !got && r == 0; u++)
                                r = crl_from(g, gr->issuer, gr->urls[u], fetch_crl_url, &got);
                        break;
                case CFG_SRC_CRL_DIRECTORY:
                        if (!g->c->directory.configured || g->c->directory.n_uris == 0)
                                break;
                        iss = eval_dn_string(X509_get_subject_name(gr->issuer));
                        if (!iss || asprintf(&loc, "directory %s", iss) < 0) {
                                loc = NULL;
                                r = -ENOMEM;
                                break;
                        }
                        r = crl_from(g, gr->issuer, loc, fetch_crl_directory, &got);
                        free(iss);
                        free(loc);
                        iss = loc = NULL;
                        break;
                case CFG_SRC_COUNT:
                        break;
                }
        }
        gr->looked = true;
        gr->got = got;
        gr->n_tried = gr->n_urls;
        return r;
}

/* ---- OCSP ---- */

/* The responder's signature, and its authority: the CA itself or a
 * responder certificate it issued for OCSP signing (RFC 6960 4.2.2.2). */
static bool ocsp_verified(OCSP_BASICRESP *bs, X509 *issuer)
{
        X509_STORE *store = X509_STORE_new();
        STACK_OF(X509) *certs = sk_X509_new_null();
        bool ok = false;

        if (store && certs && X509_STORE_add_cert(store, issuer) && sk_X509_push(certs, issuer) &&
            X509_VERIFY_PARAM_set_flags(X509_STORE_get0_param(store), X509_V_FLAG_PARTIAL_CHAIN))
                ok = OCSP_basic_verify(bs, certs, store, 0) == 1;
        sk_X509_free(certs);
        X509_STORE_free(store);
        ERR_clear_error();
        return ok;
}

/* The answer for id in der (verified, fresh at now); *why when unusable. */
static int ocsp_parse(const unsigned char *der, size_t len, X509 *issuer, OCSP_CERTID *id,
                      OCSP_REQUEST *req, time_t now, struct ocsp_entry *e, char **why)
{
        const unsigned char *p = der;
        OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
        OCSP_BASICRESP *bs = NULL;
        ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
        const char *problem = NULL;
        int status = -1, reason = -1, n;

        if (!resp)
                problem = "not an OCSP response";
        else if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
                problem = OCSP_response_status_str(OCSP_response_status(resp));
        else if (!(bs = OCSP_response_get1_basic(resp)))
                problem = "not a basic OCSP response";
        else if (req && (n = OCSP_check_nonce(req, bs)) != 1 && n != -1)
                problem = "the response's nonce does not match the request";
        else if (!ocsp_verified(bs, issuer))
                problem = "the response's signature does not verify, or its signer is not "
                          "authorised by the CA";
        else if (!OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd))
                problem = "the response does not cover the certificate";
        else if (status == V_OCSP_CERTSTATUS_UNKNOWN)
                problem = "the responder does not know the certificate";
        if (!problem) {
                *e = (struct ocsp_entry){ .status = status, .reason = reason };
                if (rev)
                        pki_asn1_time(rev, &e->revoked_at);
                if (!pki_asn1_time(thisupd, &e->this_update))
                        problem = "the response has no valid thisUpdate";
                else if (nextupd && !pki_asn1_time(nextupd, &e->next_update))
                        problem = "the response has no valid nextUpdate";
                else if (e->this_update > now + REV_CLOCK_SKEW)
                        problem = "the response's thisUpdate is in the future";
                else if ((e->next_update ? e->next_update : e->this_update + REV_OCSP_MAX_AGE) +
                         REV_CLOCK_SKEW <= now)
                        problem = "the response is outdated";
        }
        OCSP_BASICRESP_free(bs);
        OCSP_RESPONSE_free(resp);
        ERR_clear_error();
        if (problem) {
                *why = strdup(problem);
                return *why ? -EBADMSG : -ENOMEM;
        }
        return 0;
}

int rev_ocsp_accept(const unsigned char *der, size_t len, X509 *issuer, OCSP_CERTID *id,
                    OCSP_REQUEST *req, time_t now, int *status, char **why)
{
        struct ocsp_entry e;
        int r = ocsp_parse(der, len, issuer, id, req, now, &e, why);

        if (r == 0)
                *status = e.status;
        return r;
}

static int ocsp_request(OCSP_CERTID *id, OCSP_REQUEST **req, unsigned char **der, int *len)
{
        OCSP_CERTID *copy = OCSP_CERTID_dup(id);

        *req = OCSP_REQUEST_new();
        if (!copy || !*req || !OCSP_request_add0_id(*req, copy)) {
                OCSP_CERTID_free(copy);
                return -ENOMEM;
        }
        if (!OCSP_request_add1_nonce(*req, NULL, -1))
                return -ENOMEM;
        *der = NULL;
        *len = i2d_OCSP_REQUEST(*req, der);
        return *len > 0 ? 0 : -ENOMEM;
}

/* The OCSP answers are looked up by the certificate's SHA-256 (hex) for
 * every certificate of a cycle: hashed, not a scan over all of them. */
static size_t slot_of(const char *sha, size_t n_slots)
{
        size_t h = 0;

        for (int i = 0; i < 16; i++)
                h = h << 4 | (size_t)(sha[i] <= '9' ? sha[i] - '0' : sha[i] - 'a' + 10);
        return h & (n_slots - 1);
}

static const struct ocsp_entry *ocsp_find(const struct rev_material *m, const char *sha)
{
        if (m->n_oe_index == 0)
                return NULL;
        for (size_t k = slot_of(sha, m->n_oe_index);; k = (k + 1) & (m->n_oe_index - 1)) {
                size_t i = m->oe_index[k];

                if (i == 0)
                        return NULL;
                if (strcmp(m->oe[i - 1].sha256, sha) == 0)
                        return &m->oe[i - 1];
        }
}

/* Entry n_oe - 1 into the index, grown first when it would be half full. */
static int ocsp_index(struct rev_material *m)
{
        if (2 * m->n_oe >= m->n_oe_index) {
                size_t n = m->n_oe_index ? 2 * m->n_oe_index : 64;
                size_t *grown = calloc(n, sizeof(*grown));

                if (!grown)
                        return -ENOMEM;
                free(m->oe_index);
                m->oe_index = grown;
                m->n_oe_index = n;
                for (size_t i = 0; i + 1 < m->n_oe; i++) {
                        size_t k = slot_of(m->oe[i].sha256, n);

                        while (grown[k])
                                k = (k + 1) & (n - 1);
                        grown[k] = i + 1;
                }
        }
        {
                size_t k = slot_of(m->oe[m->n_oe - 1].sha256, m->n_oe_index);

                while (m->oe_index[k])
                        k = (k + 1) & (m->n_oe_index - 1);
                m->oe_index[k] = m->n_oe;
        }
        return 0;
}

static int ocsp_add(struct rev_material *m, struct ocsp_entry *e, const char *sha, const char *url)
{
        struct ocsp_entry *grown;

        memcpy(e->sha256, sha, 65);
        e->location = clean(url);
        if (!e->location)
                return -ENOMEM;
        write_lock(m);
        grown = realloc(m->oe, (m->n_oe + 1) * sizeof(*grown));
        if (grown) {
                m->oe = grown;
                grown[m->n_oe++] = *e;
                if (ocsp_index(m) < 0) {
                        m->n_oe--;
                        grown = NULL;
                }
        }
        unlock(m);
        if (!grown) {
                free(e->location);
                return -ENOMEM;
        }
        return 0;
}

/* Asks url about x (cached while not due); *got when an answer is in m. */
static int ocsp_for(struct rev_gathering *g, X509 *x, X509 *issuer, const char *url, const char *sha,
                    bool *got)
{
        char *path = cache_file(g, "ocsp", sha), *why = NULL;
        OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), x, issuer);
        OCSP_REQUEST *req = NULL;
        unsigned char *data = NULL, *body = NULL;
        struct ocsp_entry e;
        size_t len = 0;
        time_t mtime = 0;
        int body_len = 0, r = 0;
        bool cached;

        *got = false;
        if (!id) {
                r = -ENOMEM;
                goto out;
        }
        cached = cache_read(path, &data, &len, &mtime) &&
                 ocsp_parse(data, len, issuer, id, NULL, g->now, &e, &why) == 0;
        free(why);
        why = NULL;
        free(data);
        data = NULL;
        if (cached && (g->o->offline || !due(g, e.this_update, e.next_update, mtime))) {
                r = ocsp_add(g->m, &e, sha, url);
                *got = r == 0;
                goto out;
        }
        if (g->o->offline || strv_has(g->dead, g->n_dead, url)) {
                if (cached && (r = ocsp_add(g->m, &e, sha, url)) == 0)
                        *got = true;
                else if (!cached && g->o->offline)
                        r = add_failure(g, X509_get_issuer_name(x), url, false,
                                        "offline, and no OCSP answer in the cache");
                goto out;
        }
        r = ocsp_request(id, &req, &body, &body_len);
        if (r < 0)
                goto out;
        count_fetch(g->m);
        r = fetch_post(&g->fo, url, "application/ocsp-request", body, (size_t)body_len, &data,
                       &len, &why);
        if (r == -ENOMEM)
                goto out;
        if (r == 0 && (r = ocsp_parse(data, len, issuer, id, req, g->now, &e, &why)) == 0) {
                cache_write(path, data, len);
                if (add_ok(g->m, url) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = ocsp_add(g->m, &e, sha, url);
                *got = r == 0;
                goto out;
        }
        if (r == -ENOMEM)
                goto out;
        /* A definite answer that does not help (unknown, unverifiable) is
         * the certificate's matter; a responder that does not answer is down. */
        if (r == -EBADMSG) {
                char *u = clean(url), *note = NULL;

                r = u && asprintf(&note, "OCSP %s: %s", u, why) >= 0
                        ? add_note(g->m, X509_get_issuer_name(x), note) : -ENOMEM;
                free(u);
                free(note);
        } else {
                r = add_failure(g, X509_get_issuer_name(x), url, cached, "%s",
                                why ? why : "failed");
        }
        if (r == 0 && cached) {
                r = ocsp_add(g->m, &e, sha, url);
                *got = r == 0;
        }
out:
        OCSP_CERTID_free(id);
        OCSP_REQUEST_free(req);
        OPENSSL_free(body);
        free(data);
        free(why);
        free(path);
        return r;
}

/* ---- grouping ---- */

static X509 *find_issuer(struct rev_gathering *g, X509 *x)
{
        for (int i = 0; i < sk_X509_num(g->cas); i++) {
                X509 *ca = sk_X509_value(g->cas, i);

                if (X509_check_issued(ca, x) == X509_V_OK)
                        return ca;
        }
        return NULL;
}

static int add_ca(struct rev_gathering *g, X509 *x)
{
        if (!X509_check_ca(x))
                return 0;
        for (int i = 0; i < sk_X509_num(g->cas); i++)
                if (X509_cmp(sk_X509_value(g->cas, i), x) == 0)
                        return 0;
        if (!X509_up_ref(x))
                return -ENOMEM;
        if (!sk_X509_push(g->cas, x)) {
                X509_free(x);
                return -ENOMEM;
        }
        return 0;
}

static int collect_cas(struct rev_gathering *g)
{
        STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(pki_store(g->pki));
        STACK_OF(X509) *inter = pki_intermediates(g->pki);
        int r = 0;

        for (int i = 0; i < sk_X509_OBJECT_num(objs) && r == 0; i++) {
                X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

                if (x)
                        r = add_ca(g, x);
        }
        for (int i = 0; i < sk_X509_num(inter) && r == 0; i++)
                r = add_ca(g, sk_X509_value(inter, i));
        ERR_clear_error();
        return r;
}

static struct group *group_of(struct rev_gathering *g, X509 *issuer)
{
        struct group *grown;

        for (size_t i = 0; i < g->n_groups; i++)
                if (g->groups[i].issuer == issuer)
                        return &g->groups[i];
        grown = realloc(g->groups, (g->n_groups + 1) * sizeof(*grown));
        if (!grown)
                return NULL;
        g->groups = grown;      /* before anything else can fail: the old block is gone */
        if (!X509_up_ref(issuer))
                return NULL;
        grown[g->n_groups] = (struct group){ .issuer = issuer };
        return &grown[g->n_groups++];
}

static int add_dps(struct group *gr, X509 *x)
{
        STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
        int r = 0;

        for (int i = 0; i < sk_DIST_POINT_num(dps) && r == 0; i++) {
                DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
                GENERAL_NAMES *names;

                /* Partitioned (reasons) and indirect (cRLIssuer) CRLs are not fetched. */
                if (!dp->distpoint || dp->distpoint->type != 0 || dp->reasons || dp->CRLissuer)
                        continue;
                names = dp->distpoint->name.fullname;
                for (int j = 0; j < sk_GENERAL_NAME_num(names) && r == 0; j++) {
                        GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
                        const char *uri;

                        if (gn->type != GEN_URI)
                                continue;
                        uri = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
                        if ((size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier) != strlen(uri) ||
                            !fetch_scheme_ok(uri) || strv_has(gr->urls, gr->n_urls, uri))
                                continue;
                        r = strv_add(&gr->urls, &gr->n_urls, uri);
                }
        }
        sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
        ERR_clear_error();
        return r;
}

static bool has_ocsp(const struct rev_material *m, const char *sha)
{
        return ocsp_find(m, sha) != NULL;
}

/* One certificate: its group, its distribution points, its OCSP answer. */
static int visit(struct rev_gathering *g, X509 *x)
{
        enum cfg_revocation method = g->c->pki.revocation;
        STACK_OF(OPENSSL_STRING) *ocsp = NULL;
        struct group *gr;
        X509 *issuer;
        char sha[65];
        bool got = false;
        int r = 0;

        if (X509_check_issued(x, x) == X509_V_OK || !(issuer = find_issuer(g, x)))
                return 0;
        gr = group_of(g, issuer);
        if (!gr)
                return -ENOMEM;
        if (method == CFG_REV_OCSP || method == CFG_REV_OCSP_THEN_CRL) {
                if (!pki_sha256_hex(x, sha))
                        return -ENOMEM;
                if (has_ocsp(g->m, sha))
                        return 0;
                ocsp = X509_get1_ocsp(x);
                for (int i = 0; i < sk_OPENSSL_STRING_num(ocsp) && !got && r == 0; i++) {
                        const char *url = sk_OPENSSL_STRING_value(ocsp, i);

                        if (strncasecmp(url, "http://", 7) == 0)
                                r = ocsp_for(g, x, issuer, url, sha, &got);
                }
                X509_email_free(ocsp);
                if (r < 0)
                        return r;
        }
        if (method == CFG_REV_CRL || (method == CFG_REV_OCSP_THEN_CRL && !got)) {
                gr->need_crl = true;
                r = add_dps(gr, x);
        }
        return r;
}

static struct rev_material *rev_material_new(void);

int rev_gather_begin(const struct cfg *c, const struct pki *pki, const struct rev_opts *o,
                     time_t now, struct rev_gathering **ret)
{
        static const struct rev_opts none = { 0 };
        struct rev_gathering *g = calloc(1, sizeof(*g));
        int r = -ENOMEM;

        if (!g)
                return -ENOMEM;
        *g = (struct rev_gathering){ .c = c, .pki = pki, .o = o ? o : &none, .now = now };
        g->fo = (struct fetch_opts){ .timeout_usec = c->pki.fetch_timeout_usec,
                                     .http_proxy = c->pki.http_proxy,
                                     .tls_ca_file = c->directory.tls_ca_file };
        g->m = rev_material_new();
        g->cas = sk_X509_new_null();
        if (!g->m || !g->cas)
                goto out;
        /* The evaluation gets one stack: the configured CRLs, then the gathered. */
        for (int i = 0; i < sk_X509_CRL_num(pki_crls(pki)); i++) {
                X509_CRL *crl = sk_X509_CRL_value(pki_crls(pki), i);

                if (!X509_CRL_up_ref(crl))
                        goto out;
                if (!sk_X509_CRL_push(g->m->crls, crl)) {
                        X509_CRL_free(crl);
                        goto out;
                }
        }
        r = collect_cas(g);
out:
        if (r < 0) {
                rev_gather_abort(g);
                return r;
        }
        *ret = g;
        return 0;
}

int rev_gather_add(struct rev_gathering *g, STACK_OF(X509) *certs)
{
        int r = 0;

        if (g->c->pki.revocation == CFG_REV_OFF)
                return 0;
        for (int i = 0; i < sk_X509_num(certs) && r == 0; i++)
                r = add_ca(g, sk_X509_value(certs, i));
        for (int i = 0; i < sk_X509_num(certs) && r == 0; i++)
                r = visit(g, sk_X509_value(certs, i));
        return r;
}

int rev_gather_sync(struct rev_gathering *g)
{
        int r = 0;

        if (g->c->pki.revocation == CFG_REV_OFF)
                return 0;
        /* The CAs of the paths need their issuers' CRLs too: each issuer
         * seen is visited in turn (which may add its own issuer's group). */
        for (; g->n_visited < g->n_groups && r == 0; g->n_visited++)
                r = visit(g, g->groups[g->n_visited].issuer);
        for (size_t i = 0; i < g->n_groups && r == 0; i++)
                if (g->groups[i].need_crl)
                        r = group_crl(g, &g->groups[i]);
        return r;
}

const struct rev_material *rev_gather_material(const struct rev_gathering *g)
{
        return g->m;
}

int rev_gather_end(struct rev_gathering *g, struct rev_material **ret)
{
        int r = rev_gather_sync(g);

        if (r == 0) {
                *ret = g->m;
                g->m = NULL;
        }
        rev_gather_abort(g);
        return r;
}

void rev_gather_abort(struct rev_gathering *g)
{
        if (!g)
                return;
        for (size_t i = 0; i < g->n_groups; i++) {
                X509_free(g->groups[i].issuer);
                util_strv_free(g->groups[i].urls, g->groups[i].n_urls);
        }
        free(g->groups);
        util_strv_free(g->dead, g->n_dead);
        sk_X509_pop_free(g->cas, X509_free);
        rev_material_free(g->m);
        free(g);
}

int rev_gather(const struct cfg *c, const struct pki *pki, const struct rev_opts *o,
               STACK_OF(X509) *certs, time_t now, struct rev_material **ret)
{
        struct rev_gathering *g = NULL;
        int r = rev_gather_begin(c, pki, o, now, &g);

        if (r < 0)
                return r;
        r = rev_gather_add(g, certs);
        if (r < 0) {
                rev_gather_abort(g);
                return r;
        }
        return rev_gather_end(g, ret);
}

static struct rev_material *rev_material_new(void)
{
        struct rev_material *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        if (pthread_rwlock_init(&m->lock, NULL) != 0) {
                free(m);
                return NULL;
        }
        m->crls = sk_X509_CRL_new_null();
        if (!m->crls) {
                rev_material_free(m);
                return NULL;
        }
        return m;
}

void rev_material_free(struct rev_material *m)
{
        if (!m)
                return;
        pthread_rwlock_destroy(&m->lock);
        for (size_t i = 0; i < m->n_old_crls; i++)
                sk_X509_CRL_free(m->old_crls[i]);
        free(m->old_crls);
        sk_X509_CRL_pop_free(m->crls, X509_CRL_free);
        for (size_t i = 0; i < m->n_ce; i++) {
                X509_CRL_free(m->ce[i].crl);
                free(m->ce[i].kind);
                free(m->ce[i].location);
        }
        free(m->ce);
        for (size_t i = 0; i < m->n_oe; i++)
                free(m->oe[i].location);
        free(m->oe);
        free(m->oe_index);
        for (size_t i = 0; i < m->n_notes; i++) {
                X509_NAME_free(m->notes[i].issuer);
                free(m->notes[i].text);
        }
        free(m->notes);
        for (size_t i = 0; i < m->n_fail; i++) {
                free(m->fail[i].source);
                free(m->fail[i].why);
        }
        free(m->fail);
        util_strv_free(m->ok, m->n_ok);
        free(m);
}

/* ---- for the evaluation and the report (read-only, any thread) ---- */

STACK_OF(X509_CRL) *rev_crls(const struct rev_material *m, unsigned *generation)
{
        STACK_OF(X509_CRL) *crls = NULL;
        unsigned gen = 0;

        if (m) {
                read_lock(m);
                crls = m->crls;
                gen = m->generation;
                unlock(m);
        }
        if (generation)
                *generation = gen;
        return crls;
}

bool rev_crl_source(const struct rev_material *m, const X509_CRL *crl, struct rev_source *ret)
{
        bool found = false;

        if (!m)
                return false;
        read_lock(m);
        for (size_t i = 0; i < m->n_ce && !found; i++)
                if (m->ce[i].crl == crl) {
                        ret->kind = m->ce[i].kind;
                        ret->location = m->ce[i].location;
                        found = true;
                }
        unlock(m);
        if (found) {
                ret->this_update = ret->next_update = 0;
                pki_asn1_time(X509_CRL_get0_lastUpdate(crl), &ret->this_update);
                pki_asn1_time(X509_CRL_get0_nextUpdate(crl), &ret->next_update);
        }
        return found;
}

bool rev_ocsp_status(const struct rev_material *m, X509 *x, int *status, time_t *revoked_at,
                     int *reason, struct rev_source *src)
{
        char sha[65];
        bool found = false, any;

        if (!m)
                return false;
        read_lock(m);
        any = m->n_oe > 0;
        unlock(m);
        if (!any || !pki_sha256_hex(x, sha))
                return false;
        read_lock(m);
        {
                const struct ocsp_entry *e = ocsp_find(m, sha);

                if (!e)
                        goto out;
                *status = e->status;
                *revoked_at = e->revoked_at;
                *reason = e->reason;
                *src = (struct rev_source){ .kind = "ocsp", .location = e->location,
                                            .this_update = e->this_update,
                                            .next_update = e->next_update };
                found = true;
        }
out:
        unlock(m);
        return found;
}

char *rev_tried(const struct rev_material *m, const X509_NAME *issuer)
{
        const char *text = "";
        char *copy;

        if (!m)
                return strdup("");
        read_lock(m);
        for (size_t i = 0; i < m->n_notes; i++)
                if (X509_NAME_cmp(m->notes[i].issuer, issuer) == 0)
                        text = m->notes[i].text;
        copy = strdup(text);
        unlock(m);
        return copy;
}

const struct rev_failure *rev_failures(const struct rev_material *m, size_t *n)
{
        *n = m ? m->n_fail : 0;
        return m ? m->fail : NULL;
}

unsigned rev_fetches(const struct rev_material *m)
{
        return m ? m->fetches : 0;
}

/* ---- outages, for the service ---- */

int rev_outages_update(struct rev_outages *o, const struct rev_material *m, rev_outage_fn *fn,
                       void *arg)
{
        size_t kept = 0;

        if (!m)
                return 0;
        for (size_t i = 0; i < m->n_fail; i++) {
                if (strv_has(o->sources, o->n, m->fail[i].source))
                        continue;
                if (strv_add(&o->sources, &o->n, m->fail[i].source) < 0)
                        return -ENOMEM;
                fn(m->fail[i].source, m->fail[i].why, m->fail[i].covered, false, arg);
        }
        for (size_t i = 0; i < o->n; i++) {
                char *u = clean(o->sources[i]);
                bool back = u && strv_has(m->ok, m->n_ok, o->sources[i]);

                /* m->ok holds raw URLs, the outages escaped ones: compare both. */
                for (size_t k = 0; !back && u && k < m->n_ok; k++) {
                        char *c = clean(m->ok[k]);

                        back = c && strcmp(c, o->sources[i]) == 0;
                        free(c);
                }
                free(u);
                if (back) {
                        fn(o->sources[i], NULL, false, true, arg);
                        free(o->sources[i]);
                } else {
                        o->sources[kept++] = o->sources[i];
                }
        }
        o->n = kept;
        return 0;
}

void rev_outages_free(struct rev_outages *o)
{
        util_strv_free(o->sources, o->n);
        *o = (struct rev_outages){ 0 };
}
