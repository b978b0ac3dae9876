/* SPDX-License-Identifier: EUPL-1.2 */
/* For the revocation targets: their fixtures in tests/fuzz/data/revocation
 * (made by tests/fuzz/revocation-seeds, with the seeds) and their time,
 * two hours after the thisUpdate of the CRL that plays the cached one. */
#ifndef SMIMEWATCH_FUZZREV_H
#define SMIMEWATCH_FUZZREV_H

#include <stdio.h>
#include <stdlib.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki.h"
#include "util.h"

#define FUZZREV_DIR "tests/fuzz/data/revocation/"

static inline FILE *fuzzrev_open(const char *name)
{
        FILE *f = fopen(name, "rb");

        if (!f)
                abort();
        return f;
}

static inline X509 *fuzzrev_cert(const char *name)
{
        FILE *f = fuzzrev_open(name);
        X509 *x = PEM_read_X509(f, NULL, NULL, NULL);

        fclose(f);
        if (!x)
                abort();
        return x;
}

static inline X509_CRL *fuzzrev_cached_crl(time_t *now)
{
        FILE *f = fuzzrev_open(FUZZREV_DIR "cached.crl");
        X509_CRL *crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);

        fclose(f);
        if (!crl || !pki_asn1_time(X509_CRL_get0_lastUpdate(crl), now))
                abort();
        *now += 2 * 3600;
        return crl;
}

static inline OCSP_REQUEST *fuzzrev_request(void)
{
        unsigned char *der = NULL;
        const unsigned char *p;
        OCSP_REQUEST *req;
        size_t len;

        if (util_read_file(FUZZREV_DIR "request.der", UTIL_MAX_FILE_SIZE, &der, &len) < 0)
                abort();
        p = der;
        req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
        free(der);
        if (!req)
                abort();
        return req;
}

#endif
