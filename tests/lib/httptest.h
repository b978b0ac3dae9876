/* SPDX-License-Identifier: EUPL-1.2 */
/* Real servers for the revocation tests on 127.0.0.1: tests/httpd (CRLs
 * over HTTP, hit counts, misbehaviour) and `openssl ocsp -port` (a real
 * OCSP responder). Both end when the process that started them ends. */
#ifndef SMIMEWATCH_HTTPTEST_H
#define SMIMEWATCH_HTTPTEST_H

#include <sys/types.h>

/* A free port on 127.0.0.1 below the ephemeral range, so that a server
 * can be started on it again and again (certificates name it). */
int tl_fixed_port(void);

struct tl_httpd {
        char *dir;              /* www/ is served, hits and mode live here */
        int port;
        pid_t pid;              /* 0: stopped */
};

/* Starts tests/httpd on port in dir (created if missing); returns once it listens. */
void tl_httpd_start(struct tl_httpd *h, const char *dir, int port);
void tl_httpd_stop(struct tl_httpd *h);         /* safe when stopped; keeps dir and port */
/* "normal", "slow", "huge", "redirect" (see tests/httpd). */
void tl_httpd_mode(const struct tl_httpd *h, const char *mode);
/* How many requests for path ("/web.crl", or "PROXY /web.crl") it saw. */
int tl_httpd_hits(const struct tl_httpd *h, const char *path);

struct tl_ocspd {
        int port;
        pid_t pid;
};

/* `openssl ocsp` answering for CA of the mkpki PKI in pki (its index is
 * re-read when it changes), signed by the CA itself, answers valid for
 * minutes. Returns once it accepts connections. */
void tl_ocspd_start(struct tl_ocspd *o, const char *pki, const char *ca, int port, int minutes);
/* The same with answers signed by pki/NAME.pem and NAME.key (a delegated
 * responder, or a certificate that is none). */
void tl_ocspd_start_signed(struct tl_ocspd *o, const char *pki, const char *ca, const char *signer,
                           int port, int minutes);
void tl_ocspd_stop(struct tl_ocspd *o);

#endif
