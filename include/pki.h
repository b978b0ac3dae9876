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

struct cfg_pki;
struct pki;

/* Loads everything [pki] names: each path a file or a directory of files
 * (every regular, non-hidden one), each file PEM (any number of blocks)
 * or DER. The settings are copied. 0, or negative with *err saying which
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

/* Reads path (at most UTIL_MAX_FILE_SIZE, refused unread when larger) and
 * decodes it. -errno when it cannot be read (-EFBIG when too large),
 * -EBADMSG when it holds no certificate; *why explains (caller frees). */
int pki_read_file(const char *path, STACK_OF(X509) **ret, char **why);

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
