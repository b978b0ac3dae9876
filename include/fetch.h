/* SPDX-License-Identifier: EUPL-1.2 */
/* Fetching revocation material from where certificates say it is: a CRL
 * from an http://, ldap:// or ldaps:// URL, an OCSP answer by HTTP POST.
 * Everything is bounded: the size of the answer, the time (one overall
 * timeout per fetch), the redirects; other schemes are refused. */
#ifndef SMIMEWATCH_FETCH_H
#define SMIMEWATCH_FETCH_H

#include <stddef.h>
#include <stdint.h>

/* Largest answer read: a CRL of 100,000 entries is about 4 MiB. A server
 * that announces or sends more is cut off, unread beyond this. */
#define FETCH_MAX_SIZE (32u * 1024u * 1024u)
/* HTTP redirects followed before giving up. */
#define FETCH_MAX_REDIRECTS 3

struct fetch_opts {
        uint64_t timeout_usec;          /* overall, per fetch (connect, send, receive) */
        const char *http_proxy;         /* "http://host:port" or NULL: direct */
        const char *tls_ca_file;        /* for ldaps:// ([directory] tls_ca_file), NULL: system */
        size_t max_size;                /* 0: FETCH_MAX_SIZE */
};

/* True for the schemes fetch_get() takes. */
int fetch_scheme_ok(const char *url);

/* GETs url: for http://, the body; for ldap:// and ldaps://, the first
 * value of the attribute the URL names (e.g. "?certificateRevocationList;binary")
 * of the entry it names, read anonymously. 0 with the bytes (caller frees),
 * or negative with *why saying what failed (caller frees); the URL itself
 * is not repeated in *why. */
int fetch_get(const struct fetch_opts *o, const char *url, unsigned char **data, size_t *len,
              char **why);

/* POSTs body as content_type to an http:// url; the rest as fetch_get(). */
int fetch_post(const struct fetch_opts *o, const char *url, const char *content_type,
               const unsigned char *body, size_t body_len, unsigned char **data, size_t *len,
               char **why);

#endif
