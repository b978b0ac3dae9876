/* SPDX-License-Identifier: EUPL-1.2 */
/* libFuzzer target: a CRL's bytes as a distribution point (HTTP, LDAP) or
 * the cache hands them over, the way the gathering takes them
 * (src/revocation.c: rev_crl_accept() without and with a cached CRL to
 * compare with, rev_crl_current()), then the revoked list that add_crl()
 * sorts and the evaluation looks serials up in. The issuer is the fixture
 * CA that signed the seeds (tests/fuzz/revocation-seeds): mutated bytes
 * rarely keep a valid signature, so beyond it the seeds go deepest. Build
 * and run with `make fuzz` (clang). */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "fuzzrev.h"
#include "revocation.h"

static X509 *issuer;
static X509_CRL *cached;
static time_t now;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void look_up(X509_CRL *crl)
{
        ASN1_INTEGER *serial = ASN1_INTEGER_new();
        X509_REVOKED *rev;

        if (serial && ASN1_INTEGER_set(serial, 4096))
                X509_CRL_get0_by_serial(crl, &rev, serial);
        ASN1_INTEGER_free(serial);
        X509_CRL_get0_by_cert(crl, &rev, issuer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        X509_CRL *crl;
        char *why = NULL;

        if (!issuer) {
                issuer = fuzzrev_cert(FUZZREV_DIR "ca.pem");
                cached = fuzzrev_cached_crl(&now);
        }
        crl = rev_crl_accept(data, size, issuer, NULL, &why);
        if (crl) {
                rev_crl_current(crl, now);
                look_up(crl);
        } else if (!why) {
                abort();        /* refused, but without a reason */
        }
        X509_CRL_free(crl);
        free(why);
        why = NULL;
        crl = rev_crl_accept(data, size, issuer, cached, &why);
        if (!crl && !why)
                abort();
        X509_CRL_free(crl);
        free(why);
        ERR_clear_error();
        return 0;
}
