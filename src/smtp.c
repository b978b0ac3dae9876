/* SPDX-License-Identifier: EUPL-1.2 */
/* The SIZE check of the inbound mail server. Online procedures send
 * attachments, and the guidance asks that the receiving mailbox accept
 * messages of at least 10 MB; a server that announces less refuses them.
 *
 * The dialogue is the smallest that shows the limit: greeting, EHLO,
 * STARTTLS when offered (then EHLO again over TLS, as RFC 3207 requires),
 * QUIT. No mail is sent. Whatever goes wrong (no connection, a TLS
 * certificate that does not verify, an answer that is no SMTP) makes the
 * check unknown, which is reported beside the mailboxes' verdicts and never
 * changes them: only a limit actually read can warn. */
#include "smtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "mailbox.h"
#include "util.h"

#define LINE_MAX_LEN 1000               /* RFC 5321 4.5.3.1.5: 512; some send more */
#define REPLY_MAX_LINES 64
#define WHY_MAX 512

struct conn {
        int fd;
        SSL_CTX *ctx;
        SSL *ssl;                       /* after STARTTLS */
        char buf[4096];
        size_t len;
        time_t deadline;                /* the whole dialogue */
        char why[WHY_MAX];
};

/* One reply: its code, and the extension keywords of an EHLO reply. */
struct reply {
        int code;
        bool starttls;
        bool has_size;
        bool size_ok;                   /* "SIZE" with a valid number or none */
        uint64_t size;
};

static int fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct conn *c, const char *fmt, ...)
{
        va_list ap;

        if (!c->why[0]) {
                va_start(ap, fmt);
                vsnprintf(c->why, sizeof(c->why), fmt, ap);
                va_end(ap);
        }
        return -EPROTO;
}

static int connect_to(struct conn *c, const char *host, int port, uint64_t timeout_usec)
{
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        struct timeval tv = { .tv_sec = (time_t)(timeout_usec / USEC_PER_SEC),
                              .tv_usec = (suseconds_t)(timeout_usec % USEC_PER_SEC) };
        struct addrinfo *res = NULL;
        char service[16];
        int e, err = 0;

        snprintf(service, sizeof(service), "%d", port);
        e = getaddrinfo(host, service, &hints, &res);
        if (e != 0)
                return fail(c, "cannot resolve %s: %s", host, gai_strerror(e));
        for (struct addrinfo *a = res; a && c->fd < 0; a = a->ai_next) {
                c->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
                if (c->fd < 0) {
                        err = errno;
                        continue;
                }
                /* Blocking with timeouts: Linux bounds connect() by SO_SNDTIMEO. */
                if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
                    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
                    connect(c->fd, a->ai_addr, a->ai_addrlen) < 0) {
                        err = errno;
                        close(c->fd);
                        c->fd = -1;
                }
        }
        freeaddrinfo(res);
        if (c->fd < 0)
                return fail(c, "cannot connect: %s",
                            err == EINPROGRESS || err == EAGAIN ? "no answer within the timeout"
                                                                : strerror(err));
        return 0;
}

static int conn_write(struct conn *c, const char *s)
{
        size_t n = strlen(s), done = 0;

        while (done < n) {
                ssize_t k = c->ssl ? SSL_write(c->ssl, s + done, (int)(n - done))
                                   : send(c->fd, s + done, n - done, MSG_NOSIGNAL);

                if (k <= 0) {
                        ERR_clear_error();
                        return fail(c, "the connection broke while sending");
                }
                done += (size_t)k;
        }
        return 0;
}

static void conn_close(struct conn *c)
{
        if (c->ssl) {
                SSL_shutdown(c->ssl);
                SSL_free(c->ssl);
        }
        SSL_CTX_free(c->ctx);
        if (c->fd >= 0)
                close(c->fd);
        ERR_clear_error();
}

/* Fills the buffer; a server that drips bytes is cut off at the deadline. */
static int conn_fill(struct conn *c)
{
        ssize_t k;

        if (c->len >= sizeof(c->buf))
                return fail(c, "a reply line longer than %d bytes", LINE_MAX_LEN);
        if (time(NULL) > c->deadline)
                return fail(c, "no complete answer within the timeout");
        k = c->ssl ? SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len))
                   : recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (k == 0)
                return fail(c, "the server closed the connection");
        if (k < 0) {
                ERR_clear_error();
                return fail(c, errno == EAGAIN || errno == EWOULDBLOCK
                                       ? "no answer within the timeout"
                                       : "the connection broke while reading");
        }
        c->len += (size_t)k;
        return 0;
}

/* The buffer is no string: its lines are checked by length. */
static bool all_digits(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i] < '0' || p[i] > '9')
                        return false;
        return true;
}

/* "SIZE", "SIZE 0" (no fixed limit) or "SIZE 52428800" (RFC 1870). */
static void keyword(struct reply *r, const char *kw, size_t n)
{
        char digits[24];
        long long v;
        size_t dn;

        if (n == 8 && strncasecmp(kw, "STARTTLS", 8) == 0)
                r->starttls = true;
        if (n < 4 || strncasecmp(kw, "SIZE", 4) != 0 || (n > 4 && kw[4] != ' '))
                return;
        r->has_size = true;
        r->size_ok = true;
        r->size = 0;
        dn = n > 5 ? n - 5 : 0;
        if (dn == 0)
                return;
        if (dn >= sizeof(digits) || !all_digits(kw + 5, dn)) {
                r->size_ok = false;
                return;
        }
        memcpy(digits, kw + 5, dn);
        digits[dn] = 0;
        v = strtoll(digits, NULL, 10);
        r->size = v > 0 ? (uint64_t)v : 0;
}

/* Reads one (multi-line) reply: "250-..." lines, then "250 ...". */
static int read_reply(struct conn *c, struct reply *r)
{
        *r = (struct reply){ .code = -1 };
        for (int lines = 0; lines < REPLY_MAX_LINES; lines++) {
                char *nl;
                size_t n, used;
                bool last;
                int code;

                while (!(nl = memchr(c->buf, '\n', c->len)))
                        if (conn_fill(c) < 0)
                                return -EPROTO;
                n = (size_t)(nl - c->buf);
                used = n + 1;
                if (n > 0 && c->buf[n - 1] == '\r')
                        n--;
                if (n < 3 || n > LINE_MAX_LEN || !all_digits(c->buf, 3) ||
                    (n > 3 && c->buf[3] != ' ' && c->buf[3] != '-'))
                        return fail(c, "the server does not speak SMTP");
                code = (c->buf[0] - '0') * 100 + (c->buf[1] - '0') * 10 + (c->buf[2] - '0');
                if (r->code >= 0 && code != r->code)
                        return fail(c, "the server does not speak SMTP");
                r->code = code;
                last = n == 3 || c->buf[3] == ' ';
                /* The first line of an EHLO reply greets; keywords follow. */
                if (lines > 0 && n > 4)
                        keyword(r, c->buf + 4, n - 4);
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                if (last)
                        return 0;
        }
        return fail(c, "a reply of more than %d lines", REPLY_MAX_LINES);
}

static int expect(struct conn *c, struct reply *r, int code, const char *after)
{
        if (read_reply(c, r) < 0)
                return -EPROTO;
        if (r->code != code)
                return fail(c, "the server answered %d to %s", r->code, after);
        return 0;
}

static int ehlo(struct conn *c, struct reply *r)
{
        char name[256], line[300];

        /* EHLO wants this host's name; a literal is the fallback RFC 5321 allows. */
        if (gethostname(name, sizeof(name)) < 0 || !name[0] || strchr(name, ' '))
                snprintf(name, sizeof(name), "[127.0.0.1]");
        name[sizeof(name) - 1] = 0;
        snprintf(line, sizeof(line), "EHLO %s\r\n", name);
        if (conn_write(c, line) < 0)
                return -EPROTO;
        return expect(c, r, 250, "EHLO");
}

/* TLS as for the directory: verified against tls_ca_file, else the
 * system store, for the configured host name (or address). */
static int start_tls(struct conn *c, const struct cfg *cfg)
{
        const char *host = cfg->service.smtp_host, *ca = cfg->directory.tls_ca_file;
        struct in6_addr addr;
        bool literal = inet_pton(AF_INET, host, &addr) == 1 || inet_pton(AF_INET6, host, &addr) == 1;
        struct reply r;
        long v;

        if (conn_write(c, "STARTTLS\r\n") < 0 || expect(c, &r, 220, "STARTTLS") < 0)
                return -EPROTO;
        c->ctx = SSL_CTX_new(TLS_client_method());
        if (!c->ctx)
                return -ENOMEM;
        SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        if (ca ? SSL_CTX_load_verify_locations(c->ctx, ca, NULL) != 1
               : SSL_CTX_set_default_verify_paths(c->ctx) != 1)
                return fail(c, "cannot load the CA certificates for TLS%s%s", ca ? " from " : "",
                            ca ? ca : "");
        c->ssl = SSL_new(c->ctx);
        if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
                return -ENOMEM;
        if (literal ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)
                    : !SSL_set1_host(c->ssl, host) || !SSL_set_tlsext_host_name(c->ssl, host))
                return -ENOMEM;
        if (SSL_connect(c->ssl) != 1) {
                v = SSL_get_verify_result(c->ssl);
                SSL_free(c->ssl);
                c->ssl = NULL;
                if (v != X509_V_OK)
                        return fail(c, "STARTTLS: the server's certificate was rejected: %s",
                                    X509_verify_cert_error_string(v));
                return fail(c, "STARTTLS: the TLS handshake failed");
        }
        return 0;
}

/* The dialogue; on success r is the last EHLO reply. */
static int talk(struct conn *c, const struct cfg *cfg, struct reply *r, bool *tls)
{
        int rc;

        rc = connect_to(c, cfg->service.smtp_host, cfg->service.smtp_port,
                        cfg->directory.timeout_usec);
        if (rc == 0)
                rc = expect(c, r, 220, "the connection");
        if (rc == 0)
                rc = ehlo(c, r);
        if (rc == 0 && r->starttls) {
                rc = start_tls(c, cfg);
                if (rc == 0)
                        rc = ehlo(c, r);
                *tls = rc == 0;
        }
        if (rc == 0)
                (void)conn_write(c, "QUIT\r\n");
        return rc;
}

static double megabytes(uint64_t n)
{
        return (double)n / 1e6;
}

int smtp_check(const struct cfg *cfg, struct smtp_result *out)
{
        struct conn c = { .fd = -1 };
        struct reply r = { 0 };
        int rc;

        *out = (struct smtp_result){ .status = SW_UNKNOWN,
                                     .minimum = cfg->service.min_message_size };
        if (!cfg->service.smtp_host)
                return 0;
        out->checked = true;
        if (asprintf(&out->server, strchr(cfg->service.smtp_host, ':') ? "[%s]:%d" : "%s:%d",
                     cfg->service.smtp_host, cfg->service.smtp_port) < 0) {
                out->server = NULL;
                return -ENOMEM;
        }
        c.deadline = time(NULL) + 3 * (time_t)(cfg->directory.timeout_usec / USEC_PER_SEC + 1);
        rc = talk(&c, cfg, &r, &out->starttls);
        conn_close(&c);
        if (rc == -ENOMEM)
                return rc;
        if (rc == 0 && (!r.has_size || !r.size_ok))
                rc = fail(&c, r.has_size ? "its SIZE is not a number"
                                         : "it does not announce a size limit (no SIZE extension)");
        if (rc < 0) {
                out->reason = util_cut(c.why, strlen(c.why), sizeof(c.why));
                return out->reason ? 0 : -ENOMEM;
        }
        out->has_limit = r.size > 0;
        out->limit = r.size;
        out->status = out->has_limit && out->limit < out->minimum ? SW_WARNING : SW_OK;
        return 0;
}

int smtp_add_problem(const struct smtp_result *s, struct mailbox_result *m)
{
        if (!s->checked || s->status != SW_WARNING)
                return 0;
        if (!problem_add(&m->problems, PROBLEM_MESSAGE_SIZE_LIMIT, SW_WARNING,
                         "the mail server %s accepts messages of at most %" PRIu64 " bytes "
                         "(%.1f MB), less than min_message_size (%.1f MB)", s->server, s->limit,
                         megabytes(s->limit), megabytes(s->minimum)))
                return -ENOMEM;
        m->status = problem_list_worst(&m->problems);
        return 0;
}

void smtp_result_free(struct smtp_result *r)
{
        if (!r)
                return;
        free(r->server);
        free(r->reason);
        *r = (struct smtp_result){ 0 };
}
