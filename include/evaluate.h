/* SPDX-License-Identifier: EUPL-1.2 */
/* The verdict on one certificate: RFC 5280 path validation with
 * revocation, usages, address match, validity, key and signature
 * strength, each finding a certificate-level problem (smimewatch(8),
 * "Certificate problems"). */
#ifndef SMIMEWATCH_EVALUATE_H
#define SMIMEWATCH_EVALUATE_H

#include <stdbool.h>
#include <time.h>
#include <openssl/x509.h>

#include "problem.h"

struct pki;
struct rev_material;

/* What every certificate evaluation of one run (a cycle, a --check-cert)
 * shares, read-only. Everything the evaluation needs from outside is
 * here or in its arguments, gathered before: it reads no file and asks
 * no server, so it may run on any thread. Material a run gathers for
 * revocation (fetched CRLs, OCSP answers) is added here as fields. */
struct eval_ctx {
        const struct pki *pki;          /* anchors, intermediates, settings */
        time_t now;                     /* the evaluation time */
        STACK_OF(X509_CRL) *crls;       /* checked against; pki_crls() by default */
        const struct rev_material *rev; /* OCSP answers and CRL origins of the cycle; NULL: none */
        struct vmemo *memo;             /* NULL (default): every path verified in full;
                                         * else one memo for this pki, crls and now */
};

/* A context for pki at now with the configured CRLs. */
void eval_ctx_init(struct eval_ctx *ctx, const struct pki *pki, time_t now);

enum cert_source { CERT_SOURCE_DIRECTORY, CERT_SOURCE_FILE };
enum rev_status { REV_GOOD, REV_REVOKED, REV_UNKNOWN, REV_OFF };

const char *cert_source_name(enum cert_source s);   /* "directory" | "file" */
const char *rev_status_name(enum rev_status s);     /* "good" | ... | "off" */

/* Where the certificate's own revocation status came from. */
struct cert_rev_source {
        char *kind;             /* "crl" | "ocsp" | "file"; NULL: none */
        char *location;         /* URL or path, escaped */
        time_t this_update;
        time_t next_update;     /* 0: none */
};

struct cert_result {
        enum cert_source source;
        char *attribute;        /* directory attribute; NULL for a file */
        char *origin;           /* entry DN or file path, for messages */
        bool parsed;            /* false: unparsable (the fields below are empty) */
        char *subject;          /* RFC 2253, UTF-8; NULL when unparsable */
        char *issuer;
        char *serial;           /* upper-case hex */
        char sha256[65];        /* of the DER (of the raw value when unparsable) */
        time_t not_before;
        time_t not_after;
        long days_left;         /* whole days from the evaluation time to not_after */
        char key[32];           /* "RSA-3072", "EC-P256", "DSA-1024", "ED25519" */
        unsigned usages;        /* USAGE_ bits key usage and EKU permit */
        bool path_valid;        /* strict RFC 5280 verdict incl. revocation */
        char *path_error;       /* why not, when !path_valid */
        enum rev_status revocation;
        struct cert_rev_source rev_source;
        unsigned usable_for;    /* USAGE_ bits after every check */
        struct problem_list problems;
};

/* Evaluates cert (the result keeps no reference to it) with untrusted as
 * extra intermediates (may be NULL), at ctx->now; address is the mailbox
 * to match or NULL to skip the address check. Problems never make this
 * fail: they end up in out->problems. 0 or -ENOMEM. */
int eval_cert(const struct eval_ctx *ctx, X509 *cert, STACK_OF(X509) *untrusted,
              const char *address, struct cert_result *out);

/* Fills out for a value that could not be decoded: CERT_UNPARSABLE with
 * why, sha256 of the raw bytes, every other field empty. 0 or -ENOMEM. */
int eval_unparsable(const unsigned char *data, size_t len, const char *why,
                    struct cert_result *out);

void cert_result_free(struct cert_result *r);  /* the contents; r may be NULL */

/* A name as RFC 2253 in UTF-8 (raw: the outputs escape it); the serial
 * number in upper-case hex. NULL when out of memory. */
char *eval_dn_string(const X509_NAME *name);
char *eval_serial_hex(const X509 *x);

#endif
