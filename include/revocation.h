/* SPDX-License-Identifier: EUPL-1.2 */
/* Revocation material that stays current by itself: per cycle, before
 * anything is evaluated, the CRLs of every issuing CA and the OCSP answers
 * of every certificate are gathered (from the cache while they are not
 * due, else from the CRL distribution points, the directory, the OCSP
 * responders), each verified against its issuer, and handed to the
 * evaluation read-only (struct eval_ctx: crls and rev).
 *
 * The cache (one file per CRL URL and per certificate's OCSP answer) lives
 * in $CACHE_DIRECTORY, else /var/cache/smimewatch; writes are atomic, and a
 * cached CRL is replaced only by a verified one that is not older. */
#ifndef SMIMEWATCH_REVOCATION_H
#define SMIMEWATCH_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

struct cfg;
struct pki;

#define REV_DEFAULT_CACHE_DIR "/var/cache/smimewatch"
/* Allowance for the clocks of responders and CRL issuers. */
#define REV_CLOCK_SKEW 300
/* An OCSP answer without nextUpdate is used at most this long. */
#define REV_OCSP_MAX_AGE 3600

struct rev_opts {
        const char *cache_dir;          /* NULL: no cache at all */
        bool offline;                   /* only what is cached and configured */
};

/* Where one status came from, for the report. */
struct rev_source {
        const char *kind;               /* "crl" | "ocsp" | "file" */
        const char *location;           /* URL or path (escaped) */
        time_t this_update;
        time_t next_update;             /* 0: none */
};

/* A source that failed in this cycle (for the journal and the messages). */
struct rev_failure {
        char *source;                   /* URL, or "directory DN" (escaped) */
        char *why;
        bool covered;                   /* a current cached answer was used instead */
};

struct rev_material;

/* The cache directory: $CACHE_DIRECTORY (its first entry) or the
 * default; NULL when out of memory (caller frees). */
char *rev_cache_dir(void);

/* Gathers what certificates need at time now, in steps so that a cycle
 * can hand over its certificates one container at a time, as the answers
 * come: begin, add each container (subject and companions; duplicates
 * across containers are fine), sync (fetches what the containers added so
 * far need and the material lacks), end (syncs and hands the material
 * over). Each returns 0 or -ENOMEM: failures of sources are part of the
 * material, not errors. end and abort free g. add and sync are for one
 * thread at a time; between syncs, the material (rev_gather_material())
 * may be read by any number of threads at once, also while the next
 * container is added and synced: it only grows.
 *
 * A CA's CRL is looked for when the first certificate it issued is
 * synced, with that certificate's distribution points; the points of
 * later certificates are tried only when nothing was found then. */
struct rev_gathering;
int rev_gather_begin(const struct cfg *c, const struct pki *pki, const struct rev_opts *o,
                     time_t now, struct rev_gathering **g);
int rev_gather_add(struct rev_gathering *g, STACK_OF(X509) *certs);
int rev_gather_sync(struct rev_gathering *g);
const struct rev_material *rev_gather_material(const struct rev_gathering *g);
int rev_gather_end(struct rev_gathering *g, struct rev_material **ret);
void rev_gather_abort(struct rev_gathering *g);
/* The three in one, for a single container. */
int rev_gather(const struct cfg *c, const struct pki *pki, const struct rev_opts *o,
               STACK_OF(X509) *certs, time_t now, struct rev_material **ret);
void rev_material_free(struct rev_material *m);

/* The configured CRLs and the verified ones gathered so far: eval_ctx.crls.
 * The stack never changes (a CRL gathered later makes a new one) and lives
 * as long as m; *generation (may be NULL) counts the changes before it,
 * so that what was learnt with one set (a vmemo) is not used with another. */
STACK_OF(X509_CRL) *rev_crls(const struct rev_material *m, unsigned *generation);
/* Where crl came from; false when the material did not bring it. */
bool rev_crl_source(const struct rev_material *m, const X509_CRL *crl, struct rev_source *ret);
/* The OCSP answer for x: V_OCSP_CERTSTATUS_GOOD or _REVOKED with the
 * revocation time and reason (-1: none); false when there is none. */
bool rev_ocsp_status(const struct rev_material *m, X509 *x, int *status, time_t *revoked_at,
                     int *reason, struct rev_source *src);
/* What was tried for the CRLs of issuer and why it failed, "" when
 * nothing; a copy (caller frees), NULL when out of memory. */
char *rev_tried(const struct rev_material *m, const X509_NAME *issuer);
/* The sources that failed. */
const struct rev_failure *rev_failures(const struct rev_material *m, size_t *n);
/* Fetches made (network requests), for the tests and the bench. */
unsigned rev_fetches(const struct rev_material *m);

/* What the gathering makes of bytes from outside, without I/O (also for
 * the fuzz targets). A CRL from a distribution point or the cache: the
 * one CRL in data, by issuer and verified with its key, with a
 * nextUpdate, and (cached not NULL) not older than cached; NULL with *why
 * (caller frees) when unusable. */
X509_CRL *rev_crl_accept(const unsigned char *data, size_t len, X509 *issuer, X509_CRL *cached,
                         char **why);
/* Whether crl is current at now (thisUpdate not in the future beyond
 * REV_CLOCK_SKEW, nextUpdate still ahead). */
bool rev_crl_current(X509_CRL *crl, time_t now);
/* A responder's answer (req: the request, whose nonce it must echo if it
 * has one) or a cached one (req NULL) about the certificate id names,
 * verified with issuer as the authority, fresh at now: 0 with *status
 * V_OCSP_CERTSTATUS_GOOD or _REVOKED, -EBADMSG with *why (caller frees),
 * or -ENOMEM. */
int rev_ocsp_accept(const unsigned char *der, size_t len, X509 *issuer, OCSP_CERTID *id,
                    OCSP_REQUEST *req, time_t now, int *status, char **why);

/* Which failing sources the service has announced: it logs one entry when
 * a source starts failing and one when it works again. */
struct rev_outages {
        char **sources;
        size_t n;
};
typedef void rev_outage_fn(const char *source, const char *why, bool covered, bool recovered,
                           void *arg);
/* Compares m's failures with o, calls fn for each change, updates o.
 * A source counts as recovered when it was tried and did not fail; a
 * source not tried in this cycle (cached, not due) keeps its state. */
int rev_outages_update(struct rev_outages *o, const struct rev_material *m, rev_outage_fn *fn,
                       void *arg);
void rev_outages_free(struct rev_outages *o);

#endif
