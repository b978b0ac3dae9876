/* SPDX-License-Identifier: EUPL-1.2 */
/* A real slapd for the tests (through tests/slapd-ctl), test TLS
 * certificates, and the network misbehaviour a directory client must
 * survive: a port nobody listens on and a server that never answers. */
#ifndef SMIMEWATCH_LDAPTEST_H
#define SMIMEWATCH_LDAPTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct tl_slapd {
        char *dir;              /* the server's files */
        char *ldap_url;         /* ldap://127.0.0.1:PORT (StartTLS offered with TLS) */
        char *ldaps_url;        /* ldaps://127.0.0.1:PORT, NULL without TLS */
        char *ldapi_url;        /* ldapi://<socket in dir> */
};

/* Makes dir/ca.pem, dir/server.pem + server.key (issued by ca.pem for
 * IP 127.0.0.1 and localhost), dir/wrong-ca.pem (an unrelated CA) and
 * dir/wrong-host.pem + wrong-host.key (issued by ca.pem for another name). */
void tl_ldap_certs(const char *dir);

/* Starts slapd in dir with suffix (NULL: o=Test,c=DE), loaded from ldif
 * (may be NULL), with TLS (ldaps:// and StartTLS) from the PEM files cert
 * and key, or without (NULL). The server is stopped when this process
 * ends, also if it crashes; tl_slapd_stop() stops it earlier. Fails the
 * test when slapd does not come up. */
void tl_slapd_start(struct tl_slapd *s, const char *dir, const char *suffix, const char *ldif,
                    const char *cert, const char *key);
/* Stops and waits; safe on a stopped or never started server; frees. */
void tl_slapd_stop(struct tl_slapd *s);
/* Freezes (SIGSTOP) or thaws (SIGCONT) the running slapd. */
void tl_slapd_freeze(const struct tl_slapd *s, bool frozen);

/* A 127.0.0.1 port that refuses connections (nothing listens on it). */
int tl_dead_port(void);
/* A listening socket on 127.0.0.1 that never accepts nor answers: the
 * kernel completes the TCP handshake, then nothing. Returns the fd (close
 * it to end) and the port in *port. */
int tl_hung_listener(int *port);

/* Base64 of n bytes for LDIF "attr:: value" lines (caller frees). */
char *tl_base64(const unsigned char *p, size_t n);

/* An LDIF entry "cn=CN,PARENT" (inetOrgPerson) with mail and, unless
 * der_file is NULL, that DER certificate as userCertificate;binary. */
void tl_ldif_mailbox(FILE *f, const char *cn, const char *parent, const char *mail,
                     const char *der_file);

#endif
