/* SPDX-License-Identifier: EUPL-1.2 */
/* The PKI side of [pki]: trust anchors, untrusted intermediates and CRLs,
 * loaded once per configuration and shared read-only by every
 * evaluation, and the decoding of certificate files and directory values. */
#ifndef SMIMEWATCH_PKI_H
#define SMIMEWATCH_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>

#include "config.h"

struct pki;

/* The rules of [pki] that need OpenSSL, as a check of cfg_load()
 * (load_settings() runs it): each require_policy a dotted OID. */
void pki_check_settings(struct cfg *c, enum cfg_need need, struct cfg_report *r);

/* Loads everything [pki] names: each path a file or a directory of files
 * (every regular, non-hidden one), each file PEM (any number of blocks)
 * or DER. The settings are copied, their origins too. 0, or negative with *err saying which
 * path or file and why (caller frees): a file that cannot be read or
 * decoded, and a trust_anchors path without any certificate, are errors.
 * The system trust store is never used. */
int pki_load(const struct cfg_pki *settings, struct pki **ret, char **err);
void pki_free(struct pki *p);
const struct cfg_pki *pki_settings(const struct pki *p);

/* Decodes one certificate container: a DER certificate, a DER PKCS#7
 * (certs-only or signed data), or PEM holding certificates or a PKCS#7.
 * The first certificate is the subject (in signed data with signers,
 * the first signer's certificate is put first). 0 with a non-empty
 * stack, or -EBADMSG with *why saying what was wrong (caller frees).
 * Safe on any bytes: nothing but OpenSSL's decoders looks at them. */
int pki_decode(const unsigned char *data, size_t len, STACK_OF(X509) **ret, char **why);

/* One DER certificate at *pp (advanced past it), as d2i_X509() decodes
 * it, only faster for RSA keys (OpenSSL 3.0's key decoder setup is
 * skipped: see pki.c); NULL when it is none. Every decoding of
 * certificates in smimewatch goes through it. */
X509 *pki_d2i_x509(const unsigned char **pp, long len);
/* For the equivalence tests only: true makes pki_d2i_x509() d2i_X509(). */
extern bool pki_slow_decoding;

/* The SHA-256 fingerprint of x, or of len bytes at data, as 64 lowercase
 * hex digits; false when it cannot be made (out of memory). SHA-256 is
 * fetched once for the process: EVP_sha256() is looked up in the provider
 * anew (names, locks) by every digest made with it. */
bool pki_sha256_hex(const X509 *x, char out[static 65]);
bool pki_sha256_data_hex(const void *data, size_t len, char out[static 65]);

/* A certificate file read with util_read_file() and decoded with
 * pki_decode(): how --check-cert reads its file (cycle.c reads the
 * [mailbox] certificates files the same way and decodes them with the
 * directory values, in mailbox.c). */
struct pki_file {
        int error;                      /* 0; -errno (util_read_file's, -EFBIG: over
                                         * UTIL_MAX_FILE_SIZE) when it cannot be read;
                                         * -EBADMSG when it holds no certificate */
        char *why;                      /* when error: what is wrong, without the path */
        unsigned char *data;            /* the bytes read, also when they are undecodable */
        size_t len;
        STACK_OF(X509) *certs;          /* when no error: the first is the subject */
};

/* Reads and decodes path into *f. 0, with f->error saying how it went, or
 * -ENOMEM. Free *f with pki_file_free() either way. */
int pki_read_file(const char *path, struct pki_file *f);
void pki_file_free(struct pki_file *f);

/* For the evaluation (evaluate.c): the store holds the anchors and the
 * verification flags and policies every X509_STORE_CTX inherits; the
 * intermediates are untrusted; the CRLs go to X509_STORE_CTX_set0_crls.
 * All are shared read-only. */
X509_STORE *pki_store(const struct pki *p);
STACK_OF(X509) *pki_intermediates(const struct pki *p);
STACK_OF(X509_CRL) *pki_crls(const struct pki *p);

/* Decodes CRLs (one DER CRL, or PEM with any number of CRL blocks) into
 * crls. 0, or -EBADMSG with *why (caller frees). */
int pki_decode_crls(const unsigned char *data, size_t len, STACK_OF(X509_CRL) *crls, char **why);

/* The configured file crl came from (escaped), NULL when it is not one. */
const char *pki_crl_path(const struct pki *p, const X509_CRL *crl);

/* A certificate or CRL time as time_t (UTC); false when unreadable. */
bool pki_asn1_time(const ASN1_TIME *t, time_t *ret);

#endif
