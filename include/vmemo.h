/* SPDX-License-Identifier: EUPL-1.2 */
/* The verification memo of one cycle: what OpenSSL's verifier found about
 * the CA part of a path (the CA certificates' revocation checks and
 * signatures, the CRLs' signatures), kept so that the next certificate
 * under the same CAs only pays for its own signature and CRL lookup.
 * See src/vmemo.c for why the replay is what OpenSSL would have done. */
#ifndef SMIMEWATCH_VMEMO_H
#define SMIMEWATCH_VMEMO_H

#include <stdbool.h>
#include <openssl/x509_vfy.h>

struct vmemo;

/* What one X509_verify_cert() run needs; lives on the caller's stack
 * from vmemo_attach() to vmemo_detach(). */
struct vmemo_run {
        struct vmemo *memo;             /* NULL: nothing remembered or replayed */
        X509_STORE_CTX_verify_cb inner; /* the caller's callback */
        bool usable;                    /* the untrusted set is the memo's own */
        bool recording, in_cert_crl, replaying, spoiled;
        X509_CRL *replay_crl;           /* the current CRL while replaying */
        void *rec;                      /* what a recording collects */
};

/* A memo for evaluations with one PKI, CRL set and time. 0 or -ENOMEM. */
int vmemo_new(struct vmemo **ret);
void vmemo_free(struct vmemo *m);

/* Sets the store's hooks (once, at load): without an attached memo they
 * call OpenSSL's own functions and change nothing. 0 or -ENOMEM. */
int vmemo_install(X509_STORE *store);

/* Before X509_verify_cert(ctx), after the caller's verify callback is set.
 * configured_untrusted: the untrusted set is exactly the configured
 * intermediates (no certificates that came with this one), which is what
 * makes a path's CA part the same from one certificate to the next. */
int vmemo_attach(struct vmemo_run *run, struct vmemo *m, X509_STORE_CTX *ctx,
                 bool configured_untrusted);
void vmemo_detach(struct vmemo_run *run, X509_STORE_CTX *ctx);

/* The CRL the verifier is looking at, for the verify callback (replayed
 * errors carry theirs). */
X509_CRL *vmemo_current_crl(X509_STORE_CTX *ctx);

#endif
