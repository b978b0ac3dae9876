/* SPDX-License-Identifier: EUPL-1.2 */
/* The equivalence of the verification memo (src/vmemo.c) and OpenSSL's
 * full path: one certificate evaluated both ways must give the same
 * path_valid, path_error, revocation status, usages and problems. */
#ifndef SMIMEWATCH_EVALCMP_H
#define SMIMEWATCH_EVALCMP_H

#include <time.h>
#include <openssl/x509.h>

#include "evaluate.h"

struct vmemo;

/* eval_cert() of x without a memo into *full and with memo into *memod
 * (both succeed or the test fails); fails the test, naming what, when the
 * verdicts differ. The caller frees both. */
void tl_eval_both(const struct pki *p, struct vmemo *memo, X509 *x, STACK_OF(X509) *untrusted,
                  time_t at, const char *what, struct cert_result *full, struct cert_result *memod);

/* Fails the test, naming what, when a and b differ in path_valid,
 * path_error, revocation, usages or problems. */
void tl_same_result(const struct cert_result *a, const struct cert_result *b, const char *what);

/* pki_d2i_x509() and d2i_X509() of the same bytes: both fail, or both give
 * the same certificate (encoding, key, extension flags, purposes, self-
 * signature); fails the test, naming what, otherwise. */
void tl_decode_both(const unsigned char *der, long len, const char *what);

#endif
