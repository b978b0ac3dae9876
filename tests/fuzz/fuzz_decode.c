/* SPDX-License-Identifier: EUPL-1.2 */
/* libFuzzer target: what the directory hands over (any bytes) through
 * pki_decode() and, where it decodes, eval_cert() against a tiny PKI.
 * Build and run with `make fuzz` (clang). */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "evaluate.h"
#include "pki.h"

static struct pki *pki;

static void setup(void)
{
        static char anchors[] = "tests/data/pkits/certs/TrustAnchorRootCertificate.crt";
        struct cfg_pki s = { .trust_anchors = anchors, .revocation = true,
                             .min_rsa_bits = 3000, .min_ec_bits = 256 };
        char *err = NULL;

        if (pki_load(&s, &pki, &err) < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        STACK_OF(X509) *certs = NULL;
        struct cert_result r;
        struct eval_ctx ctx;
        char *why = NULL;

        if (!pki)
                setup();
        eval_ctx_init(&ctx, pki, 1700000000);
        if (pki_decode(data, size, &certs, &why) == 0) {
                if (eval_cert(&ctx, sk_X509_value(certs, 0), certs, "a@b.example", &r) == 0)
                        cert_result_free(&r);
        } else if (eval_unparsable(data, size, why ? why : "?", &r) == 0) {
                cert_result_free(&r);
        }
        sk_X509_pop_free(certs, X509_free);
        free(why);
        return 0;
}
