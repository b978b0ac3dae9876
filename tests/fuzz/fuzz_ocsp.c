/* SPDX-License-Identifier: EUPL-1.2 */
/* libFuzzer target: an OCSP responder's answer (any bytes) the way the
 * gathering takes it (src/revocation.c: rev_ocsp_accept()), once as the
 * answer to the fixture request, whose nonce it must echo, and once as a
 * cached answer, about the fixture end entity of the fixture CA
 * (tests/fuzz/revocation-seeds made both and the seeds). Mutated bytes
 * rarely keep a valid signature, so beyond it the seeds go deepest. Build
 * and run with `make fuzz` (clang). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "fuzzrev.h"
#include "revocation.h"

static X509 *issuer;
static OCSP_CERTID *id;
static OCSP_REQUEST *req;
static time_t now;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void setup(void)
{
        X509 *ee = fuzzrev_cert(FUZZREV_DIR "ee.pem");
        X509_CRL *crl = fuzzrev_cached_crl(&now);

        issuer = fuzzrev_cert(FUZZREV_DIR "ca.pem");
        req = fuzzrev_request();
        id = OCSP_cert_to_id(EVP_sha1(), ee, issuer);
        if (!req || !id)
                abort();
        X509_free(ee);
        X509_CRL_free(crl);
}

static void one(const uint8_t *data, size_t size, OCSP_REQUEST *r)
{
        char *why = NULL;
        int status = -1, rc = rev_ocsp_accept(data, size, issuer, id, r, now, &status, &why);

        if ((rc == 0 && status != V_OCSP_CERTSTATUS_GOOD && status != V_OCSP_CERTSTATUS_REVOKED) ||
            (rc == -EBADMSG && !why) || (rc != 0 && rc != -EBADMSG && rc != -ENOMEM))
                abort();
        free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!issuer)
                setup();
        one(data, size, req);
        one(data, size, NULL);
        ERR_clear_error();
        return 0;
}
