/* SPDX-License-Identifier: EUPL-1.2 */
/* The LDAP directory: one connection per cycle, searches pipelined over it.
 *
 * Decisions where the contract is silent:
 * - ldapi:// counts as a protected channel for the bind password (a local
 *   socket never leaves the machine); ldap:// without StartTLS does not,
 *   and dir_open() refuses it before connecting. The rules for the
 *   settings (parse_uri, password_in_clear) serve dir_check_settings(),
 *   i.e. --check-config and every load, and the connection alike.
 * - A base that does not exist (noSuchObject) is an error of the search,
 *   not "no entries": otherwise a typo in base would turn every mailbox
 *   into MAILBOX_NOT_FOUND.
 * - Referrals are never chased. A referral result is an error naming the
 *   URL. Continuation references are ignored when the search found
 *   entries; when it found none, the entry may live on the other server,
 *   so the search fails naming the reference instead of saying "none".
 * - More entries than DIR_MAX_ENTRIES (sizeLimitExceeded) is not an
 *   error: the answer keeps the first ones and says truncated.
 * - Once connected, libldap is not allowed to open another connection on
 *   its own: a silent reconnect would skip StartTLS and the bind.
 * - One hostile answer must not cost every mailbox its answer. When the
 *   connection breaks during a lookup (an answer over DIR_MAX_PDU, the
 *   server closing it, a search without an answer in time), the searches
 *   that were still open are retried on a new connection (connect,
 *   StartTLS and bind again, through dir_open()'s own steps), one at a
 *   time: one that breaks the connection again on its own is the culprit
 *   and fails alone with the reason. After DIR_MAX_RECONNECTS new
 *   connections in one lookup the directory is broken, not an answer: the
 *   lookup fails as a whole, and so does a reconnection that fails.
 */
#include "directory.h"

#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openldap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "secret.h"
#include "util.h"

/* Searches outstanding at once. OpenLDAP closes an anonymous connection
 * with more than 100 pending requests (conn_max_pending). */
#define DIR_WINDOW 64
/* Searches are sent this many at a time once as many answers are in,
 * corked (TCP_CORK): they leave in a few segments and the server wakes up
 * once for them, not once per search (a write, a segment and a wake-up
 * each). A quarter of the window keeps at least 48 searches open for a
 * distant server; half of it measured no cheaper. */
#define DIR_BATCH (DIR_WINDOW / 4)
/* Largest message accepted from the server: one entry with every value at
 * its limit fits many times over; anything bigger ends the connection
 * before libldap buffers it. */
#define DIR_MAX_PDU (16u * 1024u * 1024u)
#define DIR_MAX_DIAG 300                /* bytes of a server message we quote */
/* New connections one dir_lookup() may make after the connection broke;
 * each costs at most a timeout or two, which bounds the lookup's time. */
#define DIR_MAX_RECONNECTS 16

static const char *const dir_attributes[] = { "userCertificate;binary", "userSMIMECertificate",
                                              NULL };

struct dir {
        const struct cfg_directory *cfg;        /* for reconnecting; outlives d */
        LDAP *ld;
        ldap_conncb conncb;             /* libldap keeps a pointer to it: lives as long as ld */
        bool sealed;                    /* connected and bound: no further connections */
        bool broken;                    /* the connection failed during a lookup */
        bool tcp;                       /* ldap:// or ldaps://, not ldapi:// */
        char *uri;
        char *base;
        char *filter;
        int scope;
        uint64_t timeout_usec;
};

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static struct timeval usec_to_tv(uint64_t usec)
{
        return (struct timeval){ .tv_sec = (time_t)(usec / USEC_PER_SEC),
                                 .tv_usec = (suseconds_t)(usec % USEC_PER_SEC) };
}

/* Appends to a "; "-separated message; on OOM the message stays as it was. */
static void append(char **msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **msg, const char *fmt, ...)
{
        char *part, *joined = NULL;
        va_list ap;

        va_start(ap, fmt);
        part = util_vformat(fmt, ap);
        va_end(ap);
        if (!part)
                return;
        if (!*msg) {
                *msg = part;
                return;
        }
        if (asprintf(&joined, "%s; %s", *msg, part) >= 0) {
                free(*msg);
                *msg = joined;
        }
        free(part);
}

/* What libldap says about rc, with the diagnostic message of the server
 * or the TLS layer (untrusted: cut, escaped at the outputs). Never NULL unless OOM. */
static char *error_text(LDAP *ld, int rc)
{
        char *diag = NULL, *clean = NULL, *s = NULL;

        if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS &&
            diag && *diag)
                clean = util_cut(diag, strlen(diag), DIR_MAX_DIAG);
        if (clean && strcmp(clean, ldap_err2string(rc)) != 0) {
                if (asprintf(&s, "%s: %s", ldap_err2string(rc), clean) < 0)
                        s = NULL;
        } else {
                s = strdup(ldap_err2string(rc));
        }
        ldap_memfree(diag);
        free(clean);
        return s;
}

static int conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
                    struct ldap_conncb *ctx)
{
        struct dir *d = ctx->lc_arg;

        (void)ld, (void)sb, (void)srv, (void)addr;
        return d->sealed ? -1 : 0;
}

static void conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
        (void)ld, (void)sb, (void)ctx;
}

/* libldap writes with write(2): a server that went away would raise
 * SIGPIPE and end the process. It is blocked while this module talks to
 * the server, and one raised meanwhile is consumed; nothing global changes. */
struct pipe_guard {
        sigset_t old;
        bool was_pending;
};

static void pipe_block(struct pipe_guard *g)
{
        sigset_t set, pending;

        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        g->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void pipe_restore(const struct pipe_guard *g)
{
        static const struct timespec zero = { 0, 0 };
        sigset_t set, pending;

        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        if (!g->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1)
                (void)sigtimedwait(&set, NULL, &zero);
        pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* libldap bounds a TLS handshake by busy-polling a non-blocking socket at
 * best, and not at all at worst. So the handshake runs on a blocking
 * socket, and this timer thread shuts the socket down when it takes
 * longer than the timeout: the blocked read returns and the handshake fails. */
struct watchdog {
        pthread_t thread;
        int efd;                        /* written when the guarded call is done */
        int fd;                         /* the connection */
        uint64_t timeout_usec;
        bool fired;                     /* read only after pthread_join() */
};

static void *watchdog_main(void *arg)
{
        struct watchdog *w = arg;
        uint64_t deadline = now_usec() + w->timeout_usec, now;
        struct pollfd p = { .fd = w->efd, .events = POLLIN };

        while ((now = now_usec()) < deadline) {
                int n = poll(&p, 1, (int)((deadline - now + 999) / 1000));

                if (n > 0)
                        return NULL;
                if (n < 0 && errno != EINTR)
                        break;
        }
        w->fired = true;
        shutdown(w->fd, SHUT_RDWR);
        return NULL;
}

/* Runs fn on d->ld with the watchdog on fd; *fired tells a timeout. */
static int guarded(struct dir *d, int fd, int (*fn)(LDAP *), bool *fired)
{
        struct watchdog w = { .fd = fd, .timeout_usec = d->timeout_usec };
        uint64_t one = 1;
        int rc, e;

        *fired = false;
        w.efd = eventfd(0, EFD_CLOEXEC);
        if (w.efd < 0)
                return LDAP_NO_MEMORY;
        e = pthread_create(&w.thread, NULL, watchdog_main, &w);
        if (e != 0) {
                close(w.efd);
                return LDAP_NO_MEMORY;
        }
        rc = fn(d->ld);
        (void)!write(w.efd, &one, sizeof(one));
        pthread_join(w.thread, NULL);
        close(w.efd);
        *fired = w.fired;
        return rc;
}

static int install_tls(LDAP *ld)
{
        return ldap_install_tls(ld);
}

static int start_tls(LDAP *ld)
{
        return ldap_start_tls_s(ld, NULL, NULL);
}

/* Protocol, no referrals, timeouts and verified TLS on a fresh handle. */
static int set_options(struct dir *d, const struct cfg_directory *c, bool tls)
{
        struct timeval tv = usec_to_tv(d->timeout_usec), none = { -1, 0 };
        int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
        int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, client = 0;

        /* LDAP_OPT_TIMEOUT bounds every synchronous call (StartTLS, bind).
         * No network timeout: the connection is made here, and with one
         * libldap would spin on a non-blocking socket during the TLS
         * handshake (the watchdog bounds that instead). */
        if (ldap_set_option(d->ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
            ldap_set_option(d->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
            ldap_set_option(d->ld, LDAP_OPT_NETWORK_TIMEOUT, &none) != LDAP_OPT_SUCCESS ||
            ldap_set_option(d->ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(d->ld, LDAP_OPT_CONNECT_CB, &d->conncb) != LDAP_OPT_SUCCESS)
                return -EINVAL;
        if (!tls)
                return 0;
        /* Options on the handle take effect only with a new TLS context made
         * after them; without tls_ca_file, libldap's default CA set (Debian:
         * TLS_CACERT of /etc/ldap/ldap.conf, the system bundle) applies. */
        if (ldap_set_option(d->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
            ldap_set_option(d->ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != LDAP_OPT_SUCCESS ||
            (c->tls_ca_file &&
             ldap_set_option(d->ld, LDAP_OPT_X_TLS_CACERTFILE, c->tls_ca_file) != LDAP_OPT_SUCCESS) ||
            ldap_set_option(d->ld, LDAP_OPT_X_TLS_NEWCTX, &client) != LDAP_OPT_SUCCESS)
                return -EPROTO;
        return 0;
}

/* -errno for a libldap result code of the connection or bind. */
static int rc_to_errno(int rc)
{
        switch (rc) {
        case LDAP_TIMEOUT: return -ETIMEDOUT;
        case LDAP_NO_MEMORY: return -ENOMEM;
        case LDAP_INVALID_CREDENTIALS:
        case LDAP_INAPPROPRIATE_AUTH:
        case LDAP_INSUFFICIENT_ACCESS:
        case LDAP_CONFIDENTIALITY_REQUIRED:
        case LDAP_STRONG_AUTH_REQUIRED: return -EACCES;
        default: return -EIO;
        }
}

/* why: "what failed: libldap's text", or that nothing came in time. */
static int fail(struct dir *d, int rc, bool timed_out, const char *what, char **why)
{
        char *text;

        if (timed_out || rc == LDAP_TIMEOUT) {
                append(why, "%s: no answer within %.1f s", what,
                       (double)d->timeout_usec / (double)USEC_PER_SEC);
                return -ETIMEDOUT;
        }
        text = error_text(d->ld, rc);
        append(why, "%s: %s", what, text ? text : ldap_err2string(rc));
        free(text);
        return rc_to_errno(rc);
}

/* libldap's GnuTLS backend reports a rejected server certificate (wrong
 * issuer, host name, validity) only as "(unknown error code)" and says
 * which in its debug log alone; other TLS failures come with a text. */
static int tls_fail(struct dir *d, int rc, bool timed_out, const char *what, char **why)
{
        char *diag = NULL;
        bool unverified;

        if (timed_out || rc == LDAP_TIMEOUT)
                return fail(d, rc, timed_out, what, why);
        unverified = ldap_get_option(d->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS &&
                     diag && strcmp(diag, "(unknown error code)") == 0;
        ldap_memfree(diag);
        if (!unverified)
                return fail(d, rc, false, what, why);
        append(why, "%s: the server's certificate was rejected (not from a trusted CA "
                    "(tls_ca_file), not for this host name, expired or revoked)", what);
        return -EPROTO;
}

static int do_bind(struct dir *d, const struct cfg_directory *c, const char *password,
                   char **why)
{
        struct berval cred = { 0, NULL };
        char *what = NULL;
        int rc, r;

        if (password) {
                cred.bv_val = (char *)password;
                cred.bv_len = strlen(password);
        }
        rc = ldap_sasl_bind_s(d->ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
        if (rc == LDAP_SUCCESS)
                return 0;
        if (c->bind_dn) {
                char *dn = util_cut(c->bind_dn, strlen(c->bind_dn), DIR_MAX_DIAG);

                if (dn && asprintf(&what, "bind as '%s' failed", dn) < 0)
                        what = NULL;
                free(dn);
        }
        r = fail(d, rc, false, what ? what : c->bind_dn ? "bind failed" : "anonymous bind failed",
                 why);
        free(what);
        return r;
}

/* A blocking TCP connection to host:port, the connect bounded by the
 * timeout (over all addresses of host). 0 or -errno with *why. */
static int connect_tcp(const struct dir *d, const char *host, int port, int *ret, char **why)
{
        unsigned user_timeout_ms = (unsigned)(d->timeout_usec / 1000);
        char *reason = NULL;
        int fd = -1, r;

        r = util_connect_tcp(host, port, d->timeout_usec, &fd, &reason);
        if (r < 0) {
                append(why, "cannot connect: %s", reason ? reason : strerror(-r));
                free(reason);
                return r;
        }
        /* Blocking from now on (libldap expects it); writes to a peer that
         * stopped reading give up after the timeout. */
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
                r = -errno;
                close(fd);
                append(why, "cannot connect: %s", strerror(-r));
                return r;
        }
        (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
                         sizeof(user_timeout_ms));
        *ret = fd;
        return 0;
}

enum transport { T_LDAP, T_LDAPS, T_LDAPI };

static const char *url_error(int r)
{
        switch (r) {
        case LDAP_URL_ERR_BADSCHEME: return "unknown scheme";
        case LDAP_URL_ERR_BADHOST: return "bad host or port";
        case LDAP_URL_ERR_BADENCLOSURE: return "unbalanced < >";
        default: return "malformed LDAP URL";
        }
}

/* The rule for a [directory] uri, for --check-config and the connection
 * alike: ldap://, ldaps:// or ldapi://, a host and a port 1-65535 (ldapi:
 * a socket path), nothing else. libldap also takes "<ldap://...>" and URLs
 * with a DN, attributes or a filter, which would be silently ignored: they
 * are refused. 0 with the transport (and, when host is not NULL, the host
 * and port to connect to); -EINVAL with *why; -ENOMEM. */
static int parse_uri(const char *uri, enum transport *t, char **host, int *port, const char **why)
{
        static const char *const schemes[] = { "ldap://", "ldaps://", "ldapi://", NULL };
        LDAPURLDesc *u = NULL;
        bool has_scheme = false;
        int r;

        *why = NULL;
        r = ldap_url_parse(uri, &u);
        if (r == LDAP_URL_ERR_MEM)
                return -ENOMEM;
        if (r != LDAP_URL_SUCCESS) {
                *why = url_error(r);
                return -EINVAL;
        }
        for (size_t i = 0; schemes[i]; i++)
                if (strncasecmp(uri, schemes[i], strlen(schemes[i])) == 0)
                        has_scheme = true;
        *t = strcasecmp(u->lud_scheme, "ldaps") == 0 ? T_LDAPS :
             strcasecmp(u->lud_scheme, "ldapi") == 0 ? T_LDAPI : T_LDAP;
        if (!has_scheme)
                *why = "the scheme must be ldap://, ldaps:// or ldapi://";
        else if (*t != T_LDAPI && (!u->lud_host || !*u->lud_host))
                *why = "a host is required";
        else if (*t != T_LDAPI && (u->lud_port < 1 || u->lud_port > 65535))
                *why = "the port must be between 1 and 65535";
        else if ((u->lud_dn && *u->lud_dn) || u->lud_attrs || u->lud_filter || u->lud_exts)
                *why = "no DN, attributes, filter or extensions here: use base and filter";
        r = *why ? -EINVAL : 0;
        if (r == 0 && host) {
                *port = u->lud_port ? u->lud_port : *t == T_LDAPS ? LDAPS_PORT : LDAP_PORT;
                *host = strdup(u->lud_host && *u->lud_host ? u->lud_host : "localhost");
                if (!*host)
                        r = -ENOMEM;
        }
        ldap_free_urldesc(u);
        return r;
}

/* The rule that a bind password never crosses the network in clear:
 * whether binding over t would send it so. ldapi:// is a local socket. */
static bool password_in_clear(const struct cfg_directory *c, enum transport t)
{
        return c->bind_dn && t == T_LDAP && !c->starttls;
}

/* The connection's liblber settings: the largest message it takes, and a
 * read-ahead buffer under TLS and libldap: without it liblber reads each
 * message in two read() calls (its header, then the rest), with it one
 * read() takes what has come, as many answers as there are. libldap asks
 * its layers whether data is buffered before it waits on the socket. */
#define DIR_READAHEAD (64u * 1024u)

static void tune_sockbuf(struct dir *d)
{
        ber_len_t max = DIR_MAX_PDU, ahead = DIR_READAHEAD;
        Sockbuf *sb = NULL;

        if (ldap_get_option(d->ld, LDAP_OPT_SOCKBUF, &sb) == LDAP_OPT_SUCCESS && sb) {
                (void)ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max);
                (void)ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER,
                                         &ahead);
        }
}

/* A local socket without TLS: libldap connects, bounded by the network
 * timeout (a full listen backlog would block). */
static int connect_ldapi(struct dir *d, const struct cfg_directory *c, const char *uri,
                         char **why)
{
        struct timeval tv = usec_to_tv(d->timeout_usec);
        int rc = ldap_initialize(&d->ld, uri);

        if (rc != LDAP_SUCCESS) {
                d->ld = NULL;
                return fail(d, rc, false, "cannot connect", why);
        }
        if (set_options(d, c, false) < 0 ||
            ldap_set_option(d->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS)
                return fail(d, LDAP_LOCAL_ERROR, false, "cannot set up libldap", why);
        rc = ldap_connect(d->ld);
        if (rc != LDAP_SUCCESS)
                return fail(d, rc, false, "cannot connect", why);
        tune_sockbuf(d);
        return 0;
}

/* The handle for uri, connected; ldaps:// with TLS set up. */
static int connect_uri(struct dir *d, const struct cfg_directory *c, const char *uri,
                       enum transport t, const char *host, int port, char **why)
{
        bool fired;
        int fd = -1, rc, r;

        d->tcp = t != T_LDAPI;
        if (t == T_LDAPI)
                return connect_ldapi(d, c, uri, why);
        r = connect_tcp(d, host, port, &fd, why);
        if (r < 0)
                return r;
        rc = ldap_init_fd(fd, LDAP_PROTO_TCP, uri, &d->ld);
        if (rc != LDAP_SUCCESS) {
                close(fd);
                d->ld = NULL;
                return fail(d, rc, false, "cannot set up libldap", why);
        }
        tune_sockbuf(d);
        r = set_options(d, c, t == T_LDAPS || c->starttls);
        if (r == -EPROTO && c->tls_ca_file) {
                append(why, "cannot set up TLS with tls_ca_file '%s'", c->tls_ca_file);
                return r;
        }
        if (r < 0)
                return fail(d, LDAP_LOCAL_ERROR, false, "cannot set up TLS or libldap", why);
        if (t == T_LDAPS) {
                rc = guarded(d, fd, install_tls, &fired);
                if (rc != LDAP_SUCCESS)
                        return tls_fail(d, rc, fired, "TLS handshake failed", why);
        }
        if (t == T_LDAP && c->starttls) {
                rc = guarded(d, fd, start_tls, &fired);
                if (rc != LDAP_SUCCESS)
                        return tls_fail(d, rc, fired, "StartTLS failed", why);
        }
        return 0;
}

/* One URI: connect (TLS for ldaps://), StartTLS when asked, bind. On
 * success d->ld is the bound handle; otherwise it is NULL and *why says
 * what failed, without the URI. */
static int try_uri(struct dir *d, const struct cfg_directory *c, const char *uri,
                   const char *password, char **why)
{
        const char *bad = NULL;
        enum transport t;
        char *host = NULL;
        int port, r;

        r = parse_uri(uri, &t, &host, &port, &bad);
        if (r < 0) {
                append(why, "%s", r == -ENOMEM ? "out of memory" : bad);
                goto out;
        }
        if (password_in_clear(c, t)) {
                append(why, "refusing to send the bind password over an unencrypted connection "
                            "(use ldaps:// or starttls = yes)");
                r = -EPERM;
                goto out;
        }
        r = connect_uri(d, c, uri, t, host, port, why);
        if (r == 0)
                r = do_bind(d, c, password, why);
out:
        if (r < 0 && d->ld) {
                ldap_unbind_ext_s(d->ld, NULL, NULL);
                d->ld = NULL;
        }
        free(host);
        return r;
}

static struct dir *dir_new(const struct cfg_directory *c)
{
        struct dir *d = calloc(1, sizeof(*d));

        if (!d)
                return NULL;
        d->cfg = c;
        d->conncb = (ldap_conncb){ .lc_add = conn_add, .lc_del = conn_del, .lc_arg = d };
        d->timeout_usec = c->timeout_usec;
        d->scope = c->scope == CFG_SCOPE_BASE ? LDAP_SCOPE_BASE :
                   c->scope == CFG_SCOPE_ONE ? LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE;
        d->base = strdup(c->base);
        d->filter = strdup(c->filter);
        if (!d->base || !d->filter) {
                dir_close(d);
                return NULL;
        }
        return d;
}

/* Tries the URIs in order until one works; *reason collects every failure. */
static int connect_any(struct dir *d, const struct cfg_directory *c, const char *password,
                       char **reason)
{
        int r = -EINVAL;

        for (size_t i = 0; i < c->n_uris; i++) {
                char *why = NULL;

                r = try_uri(d, c, c->uris[i], password, &why);
                if (r == 0) {
                        free(why);
                        d->uri = strdup(c->uris[i]);
                        return d->uri ? 0 : -ENOMEM;
                }
                append(reason, "%s: %s", c->uris[i], why ? why : "failed");
                free(why);
        }
        return r;
}

/* ---- the settings ------------------------------------------------- */

#define DIR_PASSWORD_CREDENTIAL "ldap-password"

/* A DN as RFC 4514 writes it; reported when it is not one. */
static bool check_dn(struct cfg_report *r, enum cfg_key key, const char *dn)
{
        LDAPDN parsed = NULL;

        if (!dn)
                return true;
        if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
                cfg_report_value(r, key, dn, "not a distinguished name (RFC 4514, e.g. o=Example,c=DE)");
                return false;
        }
        ldap_dnfree(parsed);
        return true;
}

/* The bind password: password_file, else systemd's credential. */
static void check_password(struct cfg_directory *c, enum cfg_need need, struct cfg_report *r)
{
        enum cfg_key key = CFG_KEY_DIRECTORY_PASSWORD_FILE;
        char *why = NULL;
        int e;

        if (!c->password_file) {
                key = CFG_KEY_DIRECTORY_BIND_DN;
                e = secret_credential_path(DIR_PASSWORD_CREDENTIAL, &c->password_file);
                if (e == -ENOENT) {
                        /* --check-cert does not bind: lack of a secret is no error there. */
                        if (need == CFG_NEED_DIRECTORY)
                                cfg_report(r, key, "bind_dn is set but there is no password: set "
                                           "password_file, or pass the credential "
                                           DIR_PASSWORD_CREDENTIAL " ($CREDENTIALS_DIRECTORY is "
                                           "not set)");
                        return;
                }
                if (e < 0) {
                        cfg_report_oom(r);
                        return;
                }
        }
        if (secret_check_file(c->password_file, &why) < 0) {
                if (why)
                        cfg_report(r, key, "%s", why);
                else
                        cfg_report_oom(r);
        }
        free(why);
}

void dir_check_settings(struct cfg *cfg, enum cfg_need need, struct cfg_report *r)
{
        struct cfg_directory *c = &cfg->directory;
        const char *clear = NULL, *why;
        char *q;

        for (size_t i = 0; i < c->n_uris; i++) {
                enum transport t;
                int e = parse_uri(c->uris[i], &t, NULL, NULL, &why);

                if (e == -ENOMEM)
                        cfg_report_oom(r);
                else if (e < 0)
                        cfg_report_value(r, CFG_KEY_DIRECTORY_URI, c->uris[i], "%s", why);
                else if (!clear && password_in_clear(c, t))
                        clear = c->uris[i];
        }
        check_dn(r, CFG_KEY_DIRECTORY_BASE, c->base);
        if (!c->bind_dn || !check_dn(r, CFG_KEY_DIRECTORY_BIND_DN, c->bind_dn))
                return;
        check_password(c, need, r);
        if (!clear)
                return;
        q = util_sanitize(clear, strlen(clear), DIR_MAX_DIAG);
        if (q)
                cfg_report(r, CFG_KEY_DIRECTORY_BIND_DN, "bind_dn is set and uri '%s' is not "
                           "encrypted: set starttls = yes or use ldaps:// so the password is not "
                           "sent in clear", q);
        else
                cfg_report_oom(r);
        free(q);
}

int dir_read_password(const struct cfg_directory *c, char **ret, char **err)
{
        *err = NULL;
        if (!c->password_file) {
                if (asprintf(err, "no password file: set password_file, or pass the credential "
                             DIR_PASSWORD_CREDENTIAL " ($CREDENTIALS_DIRECTORY is not set)") < 0)
                        *err = NULL;
                return -ENOENT;
        }
        return secret_read_file(c->password_file, ret, err);
}

/* Reads the password (when bind_dn is set), connects and binds d->ld to
 * the first URI that works, and seals the handle. */
static int connect_and_bind(struct dir *d, char **reason)
{
        struct pipe_guard guard;
        char *password = NULL;
        int r;

        if (d->cfg->bind_dn) {
                r = dir_read_password(d->cfg, &password, reason);
                if (r < 0)
                        return r;
        }
        pipe_block(&guard);
        r = connect_any(d, d->cfg, password, reason);
        pipe_restore(&guard);
        secret_free(password);
        if (r == 0)
                d->sealed = true;
        return r;
}

int dir_open(const struct cfg_directory *c, struct dir **ret, char **reason)
{
        struct dir *d = NULL;
        int r;

        *reason = NULL;
        if (c->n_uris == 0 || !c->base || !c->filter) {
                append(reason, "[directory] needs uri, base and filter");
                return -EINVAL;
        }
        d = dir_new(c);
        if (!d)
                return -ENOMEM;
        r = connect_and_bind(d, reason);
        if (r < 0)
                goto out;
        free(*reason);
        *reason = NULL;
        *ret = d;
        d = NULL;
out:
        if (r == -ENOMEM && !*reason)
                append(reason, "out of memory");
        dir_close(d);
        return r;
}

/* Drops the connection and makes a new one, as dir_open() did. On failure
 * d keeps its old URI (for messages) and no connection. */
static int reconnect(struct dir *d, char **why)
{
        char *old_uri = d->uri;
        int r;

        if (d->ld)
                ldap_unbind_ext_s(d->ld, NULL, NULL);
        d->ld = NULL;
        d->sealed = false;
        d->uri = NULL;
        r = connect_and_bind(d, why);
        if (r < 0) {
                d->uri = old_uri;
                return r;
        }
        free(old_uri);
        return 0;
}

/* ---- lookups ------------------------------------------------------- */

struct slot {
        int msgid;                      /* -1: free */
        size_t index;                   /* into addresses and answers */
        uint64_t deadline;
        char *reference;                /* first continuation reference, cut */
        bool alone;                     /* a suspect retried on its own */
};

struct lookup {
        struct dir *d;
        const char *const *addresses;
        struct dir_answer *answers;
        size_t n;
        size_t next;                    /* the next address never sent */
        struct slot slots[DIR_WINDOW];
        size_t n_active;
        size_t total;                   /* bytes of values and DNs kept so far */
        uint64_t last_activity;
        /* Searches open when the connection broke, retried one at a time. */
        size_t *suspects;
        size_t n_suspects;
        size_t next_suspect;
        unsigned n_reconnects;
        char *incident;                 /* why the connection broke */
        int incident_error;             /* -EIO or -ETIMEDOUT */
        dir_answer_fn done;             /* told of each complete answer; may be NULL */
        void *done_arg;
};

/* answers[i] is final (found, not found, or failed on its own). */
static void complete(struct lookup *l, size_t i)
{
        if (l->done)
                l->done(l->done_arg, i);
}

/* The configured filter with its "%s" replaced by the RFC 4515-escaped
 * address; NULL when out of memory or the filter has no "%s". */
static char *make_filter(const char *filter, const char *address)
{
        struct berval in = { strlen(address), (char *)address }, esc = { 0, NULL };
        const char *p = strstr(filter, "%s");
        char *s = NULL;

        if (!p || ldap_bv2escaped_filter_value(&in, &esc) != 0)
                return NULL;
        if (asprintf(&s, "%.*s%s%s", (int)(p - filter), filter, esc.bv_val, p + 2) < 0)
                s = NULL;
        ldap_memfree(esc.bv_val);
        return s;
}

static void answer_fail(struct dir_answer *a, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void answer_fail(struct dir_answer *a, int error, const char *fmt, ...)
{
        va_list ap;

        /* A failed search has no entries: what arrived is not the answer. */
        dir_answer_free(a);
        a->error = error;
        va_start(ap, fmt);
        if (vasprintf(&a->reason, fmt, ap) < 0)
                a->reason = NULL;
        va_end(ap);
}

/* The connection broke: why, for recover(). Returns -EPIPE. */
static int incident(struct lookup *l, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int incident(struct lookup *l, int error, const char *fmt, ...)
{
        va_list ap;

        free(l->incident);
        va_start(ap, fmt);
        if (vasprintf(&l->incident, fmt, ap) < 0)
                l->incident = NULL;
        va_end(ap);
        l->incident_error = error;
        return -EPIPE;
}

/* Holds back (on) or lets go of what is written to a TCP connection;
 * nothing on a local socket. */
static void cork(struct dir *d, int on)
{
        int fd = -1;

        if (d->tcp && ldap_get_option(d->ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0)
                (void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

/* Sends the search for addresses[i] into a free slot. A bad search fails
 * its answer; -EPIPE when the connection broke (the search is queued
 * again), -ENOMEM. */
static int send_search(struct lookup *l, size_t i, bool alone)
{
        struct dir *d = l->d;
        struct timeval limit = usec_to_tv(d->timeout_usec + USEC_PER_SEC - 1);
        struct slot *s = NULL;
        char *filter;
        int rc, msgid;

        limit.tv_usec = 0;      /* the server counts whole seconds */
        /* The callers keep fewer than DIR_WINDOW searches open. */
        for (size_t k = 0; k < DIR_WINDOW && !s; k++)
                if (l->slots[k].msgid < 0)
                        s = &l->slots[k];
        if (!s)
                return -ENOBUFS;
        filter = make_filter(d->filter, l->addresses[i]);
        if (!filter) {
                answer_fail(&l->answers[i], -EINVAL, "cannot build a search filter from '%s'",
                            d->filter);
                complete(l, i);
                return 0;
        }
        rc = ldap_search_ext(d->ld, d->base, d->scope, filter, (char **)dir_attributes, 0, NULL,
                             NULL, &limit, DIR_MAX_ENTRIES, &msgid);
        free(filter);
        if (rc == LDAP_NO_MEMORY)
                return -ENOMEM;
        if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) {
                if (alone)
                        l->next_suspect--;
                else
                        l->next--;
                return incident(l, -EIO, "%s: sending a search failed: %s", d->uri,
                                ldap_err2string(rc));
        }
        if (rc != LDAP_SUCCESS) {
                answer_fail(&l->answers[i], -EIO, "search failed: %s", ldap_err2string(rc));
                complete(l, i);
                return 0;
        }
        *s = (struct slot){ .msgid = msgid, .index = i, .deadline = now_usec() + d->timeout_usec,
                            .alone = alone };
        l->n_active++;
        return 0;
}

static struct slot *find_slot(struct lookup *l, int msgid)
{
        for (size_t k = 0; k < DIR_WINDOW; k++)
                if (l->slots[k].msgid == msgid)
                        return &l->slots[k];
        return NULL;
}

static void release(struct lookup *l, struct slot *s)
{
        free(s->reference);
        *s = (struct slot){ .msgid = -1 };
        l->n_active--;
}

/* The canonical name of a certificate attribute as the server named it;
 * NULL for anything else. */
static const char *canonical_attribute(const char *name)
{
        size_t n = strcspn(name, ";");

        if (n == strlen("userCertificate") && strncasecmp(name, "userCertificate", n) == 0)
                return dir_attributes[0];
        if (n == strlen("userSMIMECertificate") && strncasecmp(name, "userSMIMECertificate", n) == 0)
                return dir_attributes[1];
        return NULL;
}

/* gcc -fanalyzer (GCC 12) loses the pointers stored in an element of the entry's realloc()ed
 * values (freed with the answers) and reports leaks, here and in add_values(). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int add_value(struct lookup *l, struct dir_entry *e, const char *attribute,
                     const struct berval *v)
{
        struct dir_value *values, *val;

        if (e->n_values >= DIR_MAX_VALUES || v->bv_len > DIR_MAX_VALUE_SIZE) {
                e->n_dropped++;
                e->n_too_large += v->bv_len > DIR_MAX_VALUE_SIZE;
                return 0;
        }
        if (l->total + v->bv_len > DIR_MAX_TOTAL)
                return -E2BIG;
        values = realloc(e->values, (e->n_values + 1) * sizeof(*values));
        if (!values)
                return -ENOMEM;
        e->values = values;
        val = &values[e->n_values];
        val->attribute = strdup(attribute);
        val->data = malloc(v->bv_len ? v->bv_len : 1);
        if (!val->attribute || !val->data) {
                free(val->attribute);
                free(val->data);
                *val = (struct dir_value){ 0 };
                return -ENOMEM;
        }
        memcpy(val->data, v->bv_val, v->bv_len);
        val->len = v->bv_len;
        e->n_values++;
        l->total += v->bv_len;
        return 0;
}

static int add_values(struct lookup *l, LDAPMessage *msg, struct dir_entry *e)
{
        BerElement *ber = NULL;
        int r = 0;

        for (char *a = ldap_first_attribute(l->d->ld, msg, &ber); a && r == 0;
             a = ldap_next_attribute(l->d->ld, msg, ber)) {
                const char *name = canonical_attribute(a);
                struct berval **vals = name ? ldap_get_values_len(l->d->ld, msg, a) : NULL;

                for (size_t i = 0; vals && vals[i] && r == 0; i++)
                        r = add_value(l, e, name, vals[i]);
                ldap_value_free_len(vals);
                ldap_memfree(a);
        }
        ber_free(ber, 0);
        return r;
}
#pragma GCC diagnostic pop

/* gcc -fanalyzer (GCC 12) loses a pointer stored in an element of an array the caller owns (the DN
 * strdup()ed into a->entries[], freed with the answers) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int add_entry(struct lookup *l, struct slot *s, LDAPMessage *msg)
{
        struct dir_answer *a = &l->answers[s->index];
        struct dir_entry *entries, *e;
        char *dn;

        if (a->error)
                return 0;
        if (a->n_entries >= DIR_MAX_ENTRIES) {
                /* The server ignored the size limit. */
                a->truncated = true;
                return 0;
        }
        entries = realloc(a->entries, (a->n_entries + 1) * sizeof(*entries));
        if (!entries)
                return -ENOMEM;
        a->entries = entries;
        e = &entries[a->n_entries++];
        *e = (struct dir_entry){ 0 };
        dn = ldap_get_dn(l->d->ld, msg);
        e->dn = strdup(dn ? dn : "");
        ldap_memfree(dn);
        if (!e->dn)
                return -ENOMEM;
        l->total += strlen(e->dn);
        return add_values(l, msg, e);
}
#pragma GCC diagnostic pop

/* gcc -fanalyzer (GCC 12) loses a pointer stored in a field of the caller's slot (s->reference,
 * freed with the slot) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static void add_reference(struct lookup *l, struct slot *s, LDAPMessage *msg)
{
        char **refs = NULL;

        if (s->reference)
                return;
        if (ldap_parse_reference(l->d->ld, msg, &refs, NULL, 0) == LDAP_SUCCESS && refs && refs[0])
                s->reference = util_cut(refs[0], strlen(refs[0]), DIR_MAX_DIAG);
        if (!s->reference)
                s->reference = strdup("(an unreadable reference)");
        ldap_memvfree((void **)refs);
}
#pragma GCC diagnostic pop

/* The search's final result decides its answer. */
static void finish(struct lookup *l, struct slot *s, LDAPMessage *msg)
{
        struct dir_answer *a = &l->answers[s->index];
        char *diag = NULL, *clean = NULL, **referrals = NULL;
        int rc, err = LDAP_OTHER;

        rc = ldap_parse_result(l->d->ld, msg, &err, NULL, &diag, &referrals, NULL, 0);
        if (rc != LDAP_SUCCESS)
                err = rc;
        if (diag && *diag)
                clean = util_cut(diag, strlen(diag), DIR_MAX_DIAG);
        if (a->error) {
                /* Already failed (e.g. while sending). */
        } else if (err == LDAP_SUCCESS || err == LDAP_SIZELIMIT_EXCEEDED) {
                if (err == LDAP_SIZELIMIT_EXCEEDED)
                        a->truncated = true;
                if (a->n_entries == 0 && s->reference)
                        answer_fail(a, -EREMOTE,
                                    "no entry on this server, which refers to %s "
                                    "(references are not followed)", s->reference);
        } else if (err == LDAP_NO_SUCH_OBJECT) {
                answer_fail(a, -ENOENT, "the search base does not exist: %s", ldap_err2string(err));
        } else if (err == LDAP_REFERRAL) {
                char *ref = referrals && referrals[0] ?
                            util_cut(referrals[0], strlen(referrals[0]), DIR_MAX_DIAG) : NULL;

                answer_fail(a, -EREMOTE, "the server refers the search to %s (referrals are not "
                            "followed)", ref ? ref : "another server");
                free(ref);
        } else {
                answer_fail(a, err == LDAP_TIMELIMIT_EXCEEDED ? -ETIMEDOUT : -EIO,
                            "search failed: %s%s%s", ldap_err2string(err), clean ? ": " : "",
                            clean ? clean : "");
        }
        ldap_memfree(diag);
        ldap_memvfree((void **)referrals);
        free(clean);
        complete(l, s->index);
        release(l, s);
}

/* Waits for one message and files it. -EPIPE when the connection broke or
 * a search got no answer in time (both are incidents for recover()), or
 * -ENOMEM / -E2BIG with *reason. */
static int receive(struct lookup *l, char **reason)
{
        struct dir *d = l->d;
        uint64_t now = now_usec(), until = l->last_activity + d->timeout_usec;
        LDAPMessage *msg = NULL;
        struct timeval tv;
        struct slot *s;
        int type, r = 0, e;

        for (size_t k = 0; k < DIR_WINDOW; k++)
                if (l->slots[k].msgid >= 0 && l->slots[k].deadline < until)
                        until = l->slots[k].deadline;
        /* A server that answers nothing in time, or dribbles an answer
         * slower than that, holds up every search behind it. */
        if (until <= now)
                return incident(l, -ETIMEDOUT, "%s: no answer from the server within %.1f s",
                                d->uri, (double)d->timeout_usec / (double)USEC_PER_SEC);
        tv = usec_to_tv(until - now);
        errno = 0;
        type = ldap_result(d->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &msg);
        e = errno;
        if (type == 0)
                return 0;       /* the next round sees what timed out */
        if (type < 0) {
                int rc = LDAP_OTHER;
                char *text;

                /* liblber refuses a message over the limit with ERANGE. */
                if (e == ERANGE)
                        return incident(l, -EIO, "%s: an answer larger than %u MiB (the largest "
                                        "accepted) ended the connection", d->uri,
                                        DIR_MAX_PDU / 1024u / 1024u);
                ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE, &rc);
                text = error_text(d->ld, rc);
                r = incident(l, -EIO, "%s: connection lost: %s", d->uri,
                             text ? text : ldap_err2string(rc));
                free(text);
                return r;
        }
        l->last_activity = now_usec();
        s = find_slot(l, ldap_msgid(msg));
        if (!s) {
                /* Msgid 0 is an unsolicited notification: the server is
                 * about to drop the connection. Others are stale. */
                if (ldap_msgid(msg) == 0)
                        r = incident(l, -EIO, "%s: the server ended the connection", d->uri);
        } else if (type == LDAP_RES_SEARCH_ENTRY) {
                r = add_entry(l, s, msg);
        } else if (type == LDAP_RES_SEARCH_REFERENCE) {
                add_reference(l, s, msg);
        } else if (type == LDAP_RES_SEARCH_RESULT) {
                finish(l, s, msg);
        }
        ldap_msgfree(msg);
        if (r == -E2BIG)
                append(reason, "%s: the answers exceed %u MiB together", d->uri,
                       DIR_MAX_TOTAL / 1024u / 1024u);
        return r;
}

/* After an incident: a search that was on its own is the culprit and fails
 * with the incident's reason; the others open become suspects; then a new
 * connection. Negative (with *reason) when the directory itself is gone. */
static int recover(struct lookup *l, char **reason)
{
        struct dir *d = l->d;
        const char *what = l->incident ? l->incident : "the connection broke";
        char *why = NULL;
        int r;

        for (size_t k = 0; k < DIR_WINDOW; k++) {
                struct slot *s = &l->slots[k];

                if (s->msgid < 0)
                        continue;
                if (s->alone) {
                        answer_fail(&l->answers[s->index], l->incident_error,
                                    "%s (also when searched alone on a new connection)", what);
                        complete(l, s->index);
                } else {
                        /* What arrived of it is incomplete: asked again. */
                        dir_answer_free(&l->answers[s->index]);
                        l->suspects[l->n_suspects++] = s->index;
                }
                release(l, s);
        }
        if (++l->n_reconnects > DIR_MAX_RECONNECTS) {
                append(reason, "%s; the connection broke %u times in one check: giving up", what,
                       DIR_MAX_RECONNECTS);
                return l->incident_error;
        }
        r = reconnect(d, &why);
        if (r < 0) {
                append(reason, "%s; connecting again failed: %s", what, why ? why : "unknown error");
                free(why);
                return r == -ENOMEM ? r : l->incident_error;
        }
        free(why);
        free(l->incident);
        l->incident = NULL;
        l->last_activity = now_usec();
        return 0;
}

int dir_lookup(struct dir *d, const char *const *addresses, size_t n,
               struct dir_answer *answers, char **reason)
{
        return dir_lookup_each(d, addresses, n, answers, NULL, NULL, reason);
}

int dir_lookup_each(struct dir *d, const char *const *addresses, size_t n,
                    struct dir_answer *answers, dir_answer_fn done, void *arg, char **reason)
{
        struct pipe_guard guard;
        struct lookup *l;
        int r = 0;

        *reason = NULL;
        if (d->broken) {
                append(reason, "%s: the connection failed earlier", d->uri);
                return -EIO;
        }
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        *l = (struct lookup){ .d = d, .addresses = addresses, .answers = answers, .n = n,
                              .last_activity = now_usec(), .done = done, .done_arg = arg,
                              .suspects = calloc(n ? n : 1, sizeof(size_t)) };
        if (!l->suspects) {
                free(l);
                return -ENOMEM;
        }
        for (size_t k = 0; k < DIR_WINDOW; k++)
                l->slots[k].msgid = -1;
        pipe_block(&guard);
        while (r == 0 && (l->next < n || l->next_suspect < l->n_suspects || l->n_active > 0)) {
                if (l->next_suspect < l->n_suspects) {
                        if (l->n_active == 0)
                                r = send_search(l, l->suspects[l->next_suspect++], true);
                } else if (l->next < n && l->n_active <= DIR_WINDOW - DIR_BATCH) {
                        cork(d, 1);
                        while (r == 0 && l->next < n && l->n_active < DIR_WINDOW) {
                                l->next++;
                                r = send_search(l, l->next - 1, false);
                        }
                        cork(d, 0);
                }
                if (r == 0 && l->n_active > 0)
                        r = receive(l, reason);
                if (r == -EPIPE)
                        r = recover(l, reason);
        }
        pipe_restore(&guard);
        for (size_t k = 0; k < DIR_WINDOW; k++)
                if (l->slots[k].msgid >= 0)
                        release(l, &l->slots[k]);
        if (r < 0)
                d->broken = true;
        if (r == -ENOMEM && !*reason)
                append(reason, "out of memory");
        free(l->incident);
        free(l->suspects);
        free(l);
        return r;
}

int dir_read_attr(struct dir *d, const char *dn, const char *attribute, size_t max,
                  unsigned char **data, size_t *len, char **reason)
{
        char *attrs[] = { (char *)attribute, NULL };
        struct timeval tv = usec_to_tv(d->timeout_usec);
        struct berval **vals = NULL;
        LDAPMessage *res = NULL, *e;
        struct pipe_guard guard;
        int rc, r = -ENOENT;

        *reason = NULL;
        pipe_block(&guard);
        rc = ldap_search_ext_s(d->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
                               &tv, 1, &res);
        pipe_restore(&guard);
        if (rc != LDAP_SUCCESS) {
                r = fail(d, rc, false, "search failed", reason);
                goto out;
        }
        e = ldap_first_entry(d->ld, res);
        if (e) {
                BerElement *ber = NULL;
                char *a = ldap_first_attribute(d->ld, e, &ber);

                vals = a ? ldap_get_values_len(d->ld, e, a) : NULL;
                ldap_memfree(a);
                ber_free(ber, 0);
        }
        if (!vals || !vals[0]) {
                append(reason, "the entry has no value of %s", attribute);
                goto out;
        }
        if (vals[0]->bv_len > max) {
                append(reason, "the value is larger than %zu bytes", max);
                r = -EFBIG;
                goto out;
        }
        *data = malloc(vals[0]->bv_len + 1);
        if (!*data) {
                r = -ENOMEM;
                goto out;
        }
        memcpy(*data, vals[0]->bv_val, vals[0]->bv_len);
        *len = vals[0]->bv_len;
        r = 0;
out:
        ldap_value_free_len(vals);
        ldap_msgfree(res);
        return r;
}

/* ---- discovery ----------------------------------------------------- */

#define DISCOVER_PAGE 500               /* entries per page asked for first */
#define DISCOVER_MIN_PAGE 8
#define DISCOVER_MAX_ADDRESSES 1000000  /* what a hostile server can make us hold */
#define DISCOVER_MAX_VALUE 320          /* RFC 5321: 64 + 1 + 255 */

static const char *const mail_attributes[] = { "mail", NULL };

/* gcc -fanalyzer (GCC 12) loses a pointer stored in an element of an array the caller owns (the
 * address strndup()ed into r->addresses[], freed by dir_discovery_free()) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int keep_address(struct dir_discovery *r, const struct berval *v)
{
        char **grown, *a;

        if (v->bv_len == 0 || v->bv_len > DISCOVER_MAX_VALUE || memchr(v->bv_val, 0, v->bv_len)) {
                r->n_invalid++;
                return 0;
        }
        a = strndup(v->bv_val, v->bv_len);
        if (!a)
                return -ENOMEM;
        if (!util_address_valid(a)) {
                free(a);
                r->n_invalid++;
                return 0;
        }
        if (r->n >= DISCOVER_MAX_ADDRESSES) {
                free(a);
                return -E2BIG;
        }
        grown = realloc(r->addresses, (r->n + 1) * sizeof(*grown));
        if (!grown) {
                free(a);
                return -ENOMEM;
        }
        r->addresses = grown;
        r->addresses[r->n++] = a;
        return 0;
}
#pragma GCC diagnostic pop

static int keep_entry(struct dir *d, LDAPMessage *msg, struct dir_discovery *r)
{
        struct berval **vals = ldap_get_values_len(d->ld, msg, "mail");
        int rc = 0;

        r->n_entries++;
        for (size_t i = 0; vals && vals[i] && rc == 0; i++)
                rc = keep_address(r, vals[i]);
        ldap_value_free_len(vals);
        return rc;
}

/* The end of one page: its result code, and the cookie for the next page
 * (empty: that was the last). *err is the server's result code. */
static int page_end(struct dir *d, LDAPMessage *msg, struct berval *cookie, int *err,
                    char **why)
{
        LDAPControl **ctrls = NULL, *page;
        char *diag = NULL, *clean = NULL;
        ber_int_t estimate = 0;
        int rc;

        rc = ldap_parse_result(d->ld, msg, err, NULL, &diag, NULL, &ctrls, 0);
        if (rc != LDAP_SUCCESS)
                *err = rc;
        if (diag && *diag)
                clean = util_cut(diag, strlen(diag), DIR_MAX_DIAG);
        ldap_memfree(cookie->bv_val);
        *cookie = (struct berval){ 0, NULL };
        if (*err != LDAP_SUCCESS) {
                append(why, "%s%s%s", ldap_err2string(*err), clean ? ": " : "", clean ? clean : "");
                rc = *err == LDAP_NO_MEMORY ? -ENOMEM : *err == LDAP_TIMELIMIT_EXCEEDED ? -ETIMEDOUT
                     : -EIO;
        } else {
                /* No control in the answer: the server sent everything at once. */
                page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
                rc = page && ldap_parse_pageresponse_control(d->ld, page, &estimate, cookie) !=
                             LDAP_SUCCESS ? -EPROTO : 0;
                if (rc < 0)
                        append(why, "the server's paged-results control is malformed");
        }
        ldap_controls_free(ctrls);
        ldap_memfree(diag);
        free(clean);
        return rc;
}

/* Sends one page's search and collects its entries. */
static int page(struct dir *d, const char *filter, int size, struct berval *cookie,
                struct dir_discovery *r, int *err, char **why)
{
        struct timeval limit = usec_to_tv(d->timeout_usec + USEC_PER_SEC - 1);
        LDAPControl *ctrl = NULL, *ctrls[2] = { NULL, NULL };
        int rc, msgid, type;

        limit.tv_usec = 0;
        *err = LDAP_SUCCESS;
        /* Critical: a server without paging must say so, not send a cut list. */
        rc = ldap_create_page_control(d->ld, size, cookie, 1, &ctrl);
        if (rc != LDAP_SUCCESS)
                return -ENOMEM;
        ctrls[0] = ctrl;
        rc = ldap_search_ext(d->ld, d->base, d->scope, filter, (char **)mail_attributes, 0, ctrls,
                             NULL, &limit, 0, &msgid);
        ldap_control_free(ctrl);
        if (rc != LDAP_SUCCESS) {
                *err = rc;
                append(why, "sending the search failed: %s", ldap_err2string(rc));
                return rc == LDAP_NO_MEMORY ? -ENOMEM : -EIO;
        }
        for (;;) {
                struct timeval tv = usec_to_tv(d->timeout_usec);
                LDAPMessage *msg = NULL;

                type = ldap_result(d->ld, msgid, LDAP_MSG_ONE, &tv, &msg);
                if (type == 0) {
                        ldap_abandon_ext(d->ld, msgid, NULL, NULL);
                        append(why, "no answer within %.1f s",
                               (double)d->timeout_usec / (double)USEC_PER_SEC);
                        return -ETIMEDOUT;
                }
                if (type < 0) {
                        append(why, "connection lost");
                        d->broken = true;
                        return -EIO;
                }
                if (type == LDAP_RES_SEARCH_ENTRY)
                        rc = keep_entry(d, msg, r);
                else if (type == LDAP_RES_SEARCH_RESULT)
                        rc = page_end(d, msg, cookie, err, why);
                else
                        rc = 0; /* references are not followed */
                ldap_msgfree(msg);
                if (rc == -E2BIG)
                        append(why, "more than %d addresses", DISCOVER_MAX_ADDRESSES);
                if (rc < 0 || type == LDAP_RES_SEARCH_RESULT)
                        return rc;
        }
}

/* The whole search in pages of size; *err the code of the last result. */
static int pages(struct dir *d, const char *filter, int size, struct dir_discovery *r, int *err,
                 char **why)
{
        struct berval cookie = { 0, NULL };
        int rc;

        do {
                rc = page(d, filter, size, &cookie, r, err, why);
                if (rc == 0)
                        r->n_pages++;
        } while (rc == 0 && cookie.bv_len > 0);
        ldap_memfree(cookie.bv_val);
        return rc;
}

int dir_discover(struct dir *d, const char *filter, struct dir_discovery *out)
{
        struct pipe_guard guard;
        char *why = NULL, *f;
        int size = DISCOVER_PAGE, err = LDAP_SUCCESS, rc;

        if (d->broken) {
                append(&out->reason, "%s: the connection failed earlier", d->uri);
                return -EIO;
        }
        pipe_block(&guard);
        for (;;) {
                rc = pages(d, filter, size, out, &err, &why);
                /* A server whose page limit is below the size asked for
                 * refuses the first page (OpenLDAP: adminLimitExceeded or
                 * sizeLimitExceeded; Active Directory just sends fewer). */
                if (rc == 0 || out->n_pages > 0 || size <= DISCOVER_MIN_PAGE ||
                    (err != LDAP_ADMINLIMIT_EXCEEDED && err != LDAP_SIZELIMIT_EXCEEDED))
                        break;
                dir_discovery_free(out);
                free(why);
                why = NULL;
                size /= 2;
        }
        pipe_restore(&guard);
        out->page_size = size;
        if (rc < 0) {
                f = util_cut(filter, strlen(filter), DIR_MAX_DIAG);
                append(&out->reason, "%s: the search with '%s' stopped after %zu entr%s in %zu "
                       "page%s of %d: %s%s", d->uri, f ? f : "?", out->n_entries,
                       out->n_entries == 1 ? "y" : "ies", out->n_pages, out->n_pages == 1 ? "" : "s",
                       size, why ? why : "failed",
                       err == LDAP_SIZELIMIT_EXCEEDED || err == LDAP_ADMINLIMIT_EXCEEDED
                       ? " (the server limits paged searches too)" : "");
                free(f);
        }
        free(why);
        return rc;
}

void dir_discovery_free(struct dir_discovery *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                free(r->addresses[i]);
        free(r->addresses);
        free(r->reason);
        *r = (struct dir_discovery){ 0 };
}

void dir_answer_free(struct dir_answer *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_entries; i++) {
                struct dir_entry *e = &a->entries[i];

                for (size_t j = 0; j < e->n_values; j++) {
                        free(e->values[j].attribute);
                        free(e->values[j].data);
                }
                free(e->values);
                free(e->dn);
        }
        free(a->entries);
        free(a->reason);
        *a = (struct dir_answer){ 0 };
}

void dir_close(struct dir *d)
{
        struct pipe_guard guard;

        if (!d)
                return;
        if (d->ld) {
                pipe_block(&guard);
                ldap_unbind_ext_s(d->ld, NULL, NULL);
                pipe_restore(&guard);
        }
        free(d->uri);
        free(d->base);
        free(d->filter);
        free(d);
}
