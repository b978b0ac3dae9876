/* SPDX-License-Identifier: EUPL-1.2 */
/* Many mailboxes with real certificates, fast: for the scale test and
 * tests/bench. One CA of a tests/mkpki PKI signs every certificate with
 * OpenSSL's API in-process (no openssl command per certificate), all end
 * entities share one key, and the directory arrives as an LDIF for
 * slapadd. Which mailbox gets which fate is a function of its index, so
 * the expected summary can be computed without looking at the output. */
#ifndef SMIMEWATCH_CERTGEN_H
#define SMIMEWATCH_CERTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <openssl/evp.h>

#include "problem.h"

struct cg_ca;

struct cg_params {
        const char *domain;             /* addresses are mbxNNNNNN@domain */
        const char *base;               /* entries go below ou=Mailboxes,base */
        unsigned certs;                 /* per mailbox: 1 (both usages) or 2 (enc and sig) */
        bool mix;                       /* every 100th: not found, expiring, revoked */
        const char *crl_url;            /* NULL, or each certificate's CRL distribution point */
};

/* The CA of pkidir/ca/name (cert.pem and key.pem, as tests/mkpki makes
 * them). 0 or -errno; on failure *why says what (static string). */
int cg_ca_load(const char *pkidir, const char *name, struct cg_ca **ret, const char **why);
void cg_ca_free(struct cg_ca *ca);
/* A private key from a PEM file (the end entities' shared key). */
EVP_PKEY *cg_key_load(const char *path);

/* "mbxNNNNNN@domain" into buf. */
void cg_address(const struct cg_params *p, size_t i, char *buf, size_t size);
/* The LDIF entry of ou=Mailboxes (once per directory). */
int cg_write_ou(FILE *f, const struct cg_params *p);
/* The entries of mailboxes [first, first + count) with fresh certificates
 * signed by ca. 0 or -errno. */
int cg_write_entries(FILE *f, const struct cg_params *p, const struct cg_ca *ca, EVP_PKEY *key,
                     size_t first, size_t count);
/* The CA's CRL (PEM, valid from yesterday for a year) revoking the
 * certificates the mix revokes among n mailboxes, plus extra serials that
 * belong to nobody (a large CRL as big CAs publish). 0 or -errno. */
int cg_write_crl(const char *path, const struct cg_params *p, const struct cg_ca *ca, size_t n,
                 size_t extra);
/* What --verify must report: the status of mailbox i, and the mailboxes
 * per status of n mailboxes. */
enum sw_status cg_status(const struct cg_params *p, size_t i);
void cg_expected(const struct cg_params *p, size_t n, unsigned counts[SW_STATUS_COUNT]);

#endif
