/* SPDX-License-Identifier: EUPL-1.2 */
/* Fetching CRLs and OCSP answers with OpenSSL's HTTP client and libldap.
 *
 * Decisions where the issue is silent:
 * - An HTTP answer must be one DER object (RFC 5280 4.2.1.13 and RFC 6960
 *   A.1 say so): OpenSSL's client then reads its length first and refuses
 *   one longer than the limit before reading it.
 * - Redirects are followed for GET only, at most FETCH_MAX_REDIRECTS, and
 *   only to http:// again.
 * - A proxy is used only when http_proxy is configured; the environment's
 *   http_proxy is not (a service's environment is not its configuration).
 * - LDAP is read anonymously through directory.c's connection code, so
 *   that ldaps:// is verified exactly as the directory's TLS is.
 */
#include "fetch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldap.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>

#include "config.h"
#include "directory.h"
#include "util.h"

#define FETCH_MSG_MAX 300

int fetch_scheme_ok(const char *url)
{
        return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "ldap://", 7) == 0 ||
               strncasecmp(url, "ldaps://", 8) == 0;
}

static int set_why(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_why(char **why, const char *fmt, ...)
{
        va_list ap;

        free(*why);
        va_start(ap, fmt);
        *why = util_vformat(fmt, ap);
        va_end(ap);
        return *why ? 0 : -ENOMEM;
}

/* What OpenSSL's HTTP client said, e.g. "max resp len exceeded" or
 * "transfer timeout": the first error of the queue is the cause, the
 * later ones ("error receiving") only its consequences. The queue is
 * emptied. */
static void ossl_why(char **why, const char *what)
{
        unsigned long e = ERR_peek_error();
        const char *reason = e ? ERR_reason_error_string(e) : NULL;

        set_why(why, "%s: %s", what, reason ? reason : "failed");
        ERR_clear_error();
}

static int timeout_s(const struct fetch_opts *o)
{
        uint64_t s = (o->timeout_usec + USEC_PER_SEC - 1) / USEC_PER_SEC;

        return s == 0 ? 10 : s > 3600 ? 3600 : (int)s;
}

static int bio_bytes(BIO *b, size_t max, unsigned char **data, size_t *len, char **why)
{
        unsigned char *p = NULL, *grown;
        size_t n = 0, cap = 0;
        int got;

        for (;;) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 64 * 1024;
                        grown = realloc(p, cap + 1);
                        if (!grown) {
                                free(p);
                                return -ENOMEM;
                        }
                        p = grown;
                }
                got = BIO_read(b, p + n, (int)(cap - n));
                if (got <= 0)
                        break;
                n += (size_t)got;
                if (n > max) {
                        free(p);
                        return set_why(why, "the answer is larger than %zu bytes", max) < 0
                                ? -ENOMEM : -EFBIG;
                }
        }
        if (n == 0) {
                free(p);
                return set_why(why, "the answer is empty") < 0 ? -ENOMEM : -EBADMSG;
        }
        *data = p;
        *len = n;
        return 0;
}

/* A socket BIO connected to the server of the URL, or to the proxy. */
static int connect_to(const struct fetch_opts *o, const char *host, const char *port, BIO **ret,
                      char **why)
{
        char *phost = NULL, *pport = NULL, *reason = NULL;
        int fd = -1, r;

        if (o->http_proxy && !OSSL_HTTP_parse_url(o->http_proxy, NULL, NULL, &phost, &pport, NULL,
                                                  NULL, NULL, NULL)) {
                ERR_clear_error();
                return set_why(why, "http_proxy is not a valid URL") < 0 ? -ENOMEM : -EINVAL;
        }
        r = util_connect_tcp(phost ? phost : host, atoi(pport ? pport : port), o->timeout_usec,
                             &fd, &reason);
        if (r < 0)
                set_why(why, "cannot connect%s%s: %s", phost ? " to the proxy " : "",
                        phost ? phost : "", reason ? reason : "failed");
        OPENSSL_free(phost);
        OPENSSL_free(pport);
        free(reason);
        if (r < 0)
                return r;
        *ret = BIO_new_socket(fd, BIO_CLOSE);
        if (!*ret) {
                close(fd);
                return -ENOMEM;
        }
        return 0;
}

/* One HTTP exchange; *redirect is set (caller frees with OPENSSL_free)
 * when the server sent one instead of an answer. */
static int http_once(const struct fetch_opts *o, const char *url, const char *content_type,
                     const unsigned char *body, size_t body_len, unsigned char **data,
                     size_t *len, char **redirect, char **why)
{
        char *host = NULL, *port = NULL, *path = NULL, *query = NULL, *full = NULL;
        size_t max = o->max_size ? o->max_size : FETCH_MAX_SIZE;
        OSSL_HTTP_REQ_CTX *rctx = NULL;
        BIO *req = NULL, *resp = NULL, *bio = NULL;
        int ssl = 0, r = -EIO;

        if (!OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, &query, NULL)) {
                ERR_clear_error();
                r = set_why(why, "not a valid http:// URL") < 0 ? -ENOMEM : -EINVAL;
                goto out;
        }
        if (ssl) {
                r = set_why(why, "https:// is not supported (CRLs and OCSP use http://)") < 0
                        ? -ENOMEM : -EPROTONOSUPPORT;
                goto out;
        }
        if (asprintf(&full, "%s%s%s", path, query && *query ? "?" : "", query ? query : "") < 0) {
                full = NULL;
                r = -ENOMEM;
                goto out;
        }
        if (body && !(req = BIO_new_mem_buf(body, (int)body_len))) {
                r = -ENOMEM;
                goto out;
        }
        /* The connection is made here: OpenSSL's own retries a refused
         * connection until the timeout, which makes a server that is down
         * cost the whole timeout. Through a proxy, the request line names
         * the absolute URI. */
        r = connect_to(o, host, port, &bio, why);
        if (r < 0)
                goto out;
        rctx = OSSL_HTTP_open(host, port, NULL, NULL, 0, bio, bio, NULL, NULL, 0, timeout_s(o));
        if (!rctx) {
                ossl_why(why, "cannot connect");
                r = -EIO;
                goto out;
        }
        r = -EIO;
        if (!OSSL_HTTP_set1_request(rctx, o->http_proxy ? url : full, NULL, content_type, req, NULL,
                                    1, max, -1, 0)) {
                ossl_why(why, "cannot send the request");
                goto out;
        }
        resp = OSSL_HTTP_exchange(rctx, body ? NULL : redirect);
        if (!resp) {
                if (redirect && *redirect) {
                        ERR_clear_error();
                        r = 0;
                } else {
                        ossl_why(why, "no answer");
                }
                goto out;
        }
        r = bio_bytes(resp, max, data, len, why);
out:
        BIO_free(resp);
        BIO_free(req);
        if (rctx)
                OSSL_HTTP_close(rctx, r == 0);
        BIO_free_all(bio);
        OPENSSL_free(host);
        OPENSSL_free(port);
        OPENSSL_free(path);
        OPENSSL_free(query);
        free(full);
        ERR_clear_error();
        return r;
}

static int http_fetch(const struct fetch_opts *o, const char *url, const char *content_type,
                      const unsigned char *body, size_t body_len, unsigned char **data,
                      size_t *len, char **why)
{
        char *current = strdup(url), *redirect = NULL, *clean;
        int r = -ENOMEM;

        for (int hops = 0; current; hops++) {
                r = http_once(o, current, content_type, body, body_len, data, len, &redirect, why);
                if (r < 0 || !redirect)
                        break;
                clean = util_cut(redirect, strlen(redirect), FETCH_MSG_MAX);
                if (hops == FETCH_MAX_REDIRECTS)
                        r = set_why(why, "more than %d redirects (the last to '%s')",
                                    FETCH_MAX_REDIRECTS, clean ? clean : "?") < 0 ? -ENOMEM
                                                                                 : -ELOOP;
                else if (strncasecmp(redirect, "http://", 7) != 0)
                        r = set_why(why, "redirected to '%s', which is not http://",
                                    clean ? clean : "?") < 0 ? -ENOMEM : -EPROTONOSUPPORT;
                free(clean);
                free(current);
                current = r < 0 ? NULL : strdup(redirect);
                OPENSSL_free(redirect);
                redirect = NULL;
                if (r < 0)
                        break;
                if (!current)
                        r = -ENOMEM;
        }
        free(current);
        return r;
}

/* ---- LDAP ---- */

static int ldap_fetch(const struct fetch_opts *o, const char *url, unsigned char **data,
                      size_t *len, char **why)
{
        LDAPURLDesc *lud = NULL;
        struct cfg_directory dc = { 0 };
        struct dir *d = NULL;
        char *server = NULL, *uris[1], *reason = NULL;
        int r;

        if (ldap_url_parse(url, &lud) != LDAP_URL_SUCCESS || !lud->lud_dn || !*lud->lud_dn ||
            !lud->lud_attrs || !lud->lud_attrs[0] || lud->lud_attrs[1]) {
                r = set_why(why, "not an LDAP URL naming an entry and one attribute") < 0
                        ? -ENOMEM : -EINVAL;
                goto out;
        }
        if (asprintf(&server, "%s://%s:%d", lud->lud_scheme, lud->lud_host && *lud->lud_host
                     ? lud->lud_host : "localhost", lud->lud_port) < 0) {
                server = NULL;
                r = -ENOMEM;
                goto out;
        }
        uris[0] = server;
        dc = (struct cfg_directory){ .configured = true, .uris = uris, .n_uris = 1,
                                     .base = lud->lud_dn, .scope = CFG_SCOPE_BASE,
                                     .filter = "(objectClass=*)",
                                     .tls_ca_file = (char *)o->tls_ca_file,
                                     .timeout_usec = o->timeout_usec };
        r = dir_open(&dc, &d, &reason);
        if (r == 0)
                r = dir_read_attr(d, lud->lud_dn, lud->lud_attrs[0],
                                  o->max_size ? o->max_size : FETCH_MAX_SIZE, data, len, &reason);
        if (r < 0 && r != -ENOMEM)
                set_why(why, "%s", reason ? reason : "failed");
out:
        dir_close(d);
        free(reason);
        free(server);
        if (lud)
                ldap_free_urldesc(lud);
        return r;
}

int fetch_get(const struct fetch_opts *o, const char *url, unsigned char **data, size_t *len,
              char **why)
{
        *why = NULL;
        if (strncasecmp(url, "http://", 7) == 0)
                return http_fetch(o, url, NULL, NULL, 0, data, len, why);
        if (strncasecmp(url, "ldap://", 7) == 0 || strncasecmp(url, "ldaps://", 8) == 0)
                return ldap_fetch(o, url, data, len, why);
        return set_why(why, "only http://, ldap:// and ldaps:// URLs are fetched") < 0
                ? -ENOMEM : -EPROTONOSUPPORT;
}

int fetch_post(const struct fetch_opts *o, const char *url, const char *content_type,
               const unsigned char *body, size_t body_len, unsigned char **data, size_t *len,
               char **why)
{
        *why = NULL;
        if (strncasecmp(url, "http://", 7) != 0)
                return set_why(why, "only http:// is used for OCSP") < 0 ? -ENOMEM
                                                                          : -EPROTONOSUPPORT;
        return http_fetch(o, url, content_type, body, body_len, data, len, why);
}
