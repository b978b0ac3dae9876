/* SPDX-License-Identifier: EUPL-1.2 */
/* The scripted LDAP server of ldaprogue.h. */
#include "ldaprogue.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <lber.h>
#include <ldap.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REQUEST (1u << 20)
#define HUGE_VALUE (20u * 1000u * 1000u)
#define FLOOD_ENTRIES 5000
#define MANY_VALUES 1000

static bool read_all(int fd, unsigned char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = read(fd, p, n);

                if (k <= 0)
                        return false;
                p += k;
                n -= (size_t)k;
        }
        return true;
}

static bool write_all(int fd, const void *buf, size_t n)
{
        const char *p = buf;

        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k <= 0)
                        return false;
                p += k;
                n -= (size_t)k;
        }
        return true;
}

/* One LDAPMessage: its bytes (caller frees) and length; NULL at the end. */
static unsigned char *read_pdu(int fd, size_t *len)
{
        unsigned char head[2], lb[4], *pdu;
        size_t body = 0, hl = 2, nl = 0;

        if (!read_all(fd, head, 2) || head[0] != 0x30)
                return NULL;
        if (head[1] & 0x80) {
                nl = head[1] & 0x7f;
                if (nl == 0 || nl > 4 || !read_all(fd, lb, nl))
                        return NULL;
                for (size_t i = 0; i < nl; i++)
                        body = body << 8 | lb[i];
        } else {
                body = head[1];
        }
        if (body > MAX_REQUEST)
                return NULL;
        hl += nl;
        pdu = malloc(hl + body);
        if (!pdu)
                return NULL;
        memcpy(pdu, head, 2);
        memcpy(pdu + 2, lb, nl);
        if (!read_all(fd, pdu + hl, body)) {
                free(pdu);
                return NULL;
        }
        *len = hl + body;
        return pdu;
}

/* The message id and the protocol operation's tag of a request. */
static bool parse_request(const unsigned char *pdu, size_t len, int *msgid, unsigned *op)
{
        BerElement *ber;
        struct berval bv = { len, (char *)pdu };
        ber_int_t id;
        ber_len_t l;
        bool ok;

        ber = ber_init(&bv);
        if (!ber)
                return false;
        ok = ber_scanf(ber, "{i", &id) != LBER_ERROR;
        if (ok) {
                *op = (unsigned)ber_peek_tag(ber, &l);
                *msgid = id;
        }
        ber_free(ber, 1);
        return ok;
}

/* The flattened bytes of ber (caller frees with ber_bvfree). */
static struct berval *flat(BerElement *ber)
{
        struct berval *bv = NULL;

        ck_assert_int_eq(ber_flatten(ber, &bv), 0);
        ber_free(ber, 1);
        return bv;
}

static struct berval *result(int msgid, ber_tag_t tag, int code, const char *referral)
{
        BerElement *ber = ber_alloc_t(LBER_USE_DER);

        ck_assert_int_ne(ber_printf(ber, "{it{ess", msgid, tag, code, "", ""), -1);
        if (referral)
                ck_assert_int_ne(ber_printf(ber, "t{s}", (ber_tag_t)LDAP_TAG_REFERRAL, referral),
                                 -1);
        ck_assert_int_ne(ber_printf(ber, "}}"), -1);
        return flat(ber);
}

/* An entry for address with count values: the first count - 1 junk (or
 * one value of junk_size bytes when count is 1 and junk_size > 0), the
 * last the rule's value. */
static struct berval *entry(int msgid, const char *address, unsigned n, const struct tl_rogue_rule *rule,
                            size_t huge)
{
        BerElement *ber = ber_alloc_t(LBER_USE_DER);
        char dn[300];

        snprintf(dn, sizeof(dn), "uid=%u+mail=%s,o=Rogue", n, address);
        ck_assert_int_ne(ber_printf(ber, "{it{s{", msgid, (ber_tag_t)LDAP_RES_SEARCH_ENTRY, dn), -1);
        if (huge) {
                char *big = calloc(1, huge);

                ck_assert_ptr_nonnull(big);
                ck_assert_int_ne(ber_printf(ber, "{s[o]}", "userSMIMECertificate", big, huge), -1);
                free(big);
        }
        if (rule->act == TL_ROGUE_MANY_VALUES) {
                ck_assert_int_ne(ber_printf(ber, "{s[", "userSMIMECertificate"), -1);
                for (unsigned i = 0; i < MANY_VALUES; i++) {
                        char junk[32];
                        int k = snprintf(junk, sizeof(junk), "junk value %u", i);

                        ck_assert_int_ne(ber_printf(ber, "o", junk, (ber_len_t)k), -1);
                }
                ck_assert_int_ne(ber_printf(ber, "]}"), -1);
        }
        if (rule->value)
                ck_assert_int_ne(ber_printf(ber, "{s[o]}", "userCertificate;binary", rule->value,
                                            (ber_len_t)rule->len), -1);
        ck_assert_int_ne(ber_printf(ber, "}}}"), -1);
        return flat(ber);
}

static bool send_bv(int fd, struct berval *bv)
{
        bool ok = write_all(fd, bv->bv_val, bv->bv_len);

        ber_bvfree(bv);
        return ok;
}

/* Answers one search; false when the connection is to end. */
static bool answer(int fd, int msgid, const struct tl_rogue_rule *rule)
{
        static const struct tl_rogue_rule none = { NULL, TL_ROGUE_NONE, NULL, 0 };
        struct berval *bv;
        bool ok = true;

        if (!rule)
                rule = &none;
        switch (rule->act) {
        case TL_ROGUE_ENTRY:
        case TL_ROGUE_MANY_VALUES:
                ok = send_bv(fd, entry(msgid, rule->address, 0, rule, 0));
                break;
        case TL_ROGUE_SIZELIMIT:
                ok = send_bv(fd, entry(msgid, rule->address, 0, rule, 0));
                return ok && send_bv(fd, result(msgid, LDAP_RES_SEARCH_RESULT,
                                                LDAP_SIZELIMIT_EXCEEDED, NULL));
        case TL_ROGUE_HUGE:
                ok = send_bv(fd, entry(msgid, rule->address, 0, rule, HUGE_VALUE));
                break;
        case TL_ROGUE_FLOOD:
                for (unsigned i = 0; ok && i < FLOOD_ENTRIES; i++)
                        ok = send_bv(fd, entry(msgid, rule->address, i, rule, 0));
                break;
        case TL_ROGUE_CLOSE_MID:
                bv = entry(msgid, rule->address, 0, rule, 0);
                write_all(fd, bv->bv_val, bv->bv_len / 2);
                ber_bvfree(bv);
                return false;
        case TL_ROGUE_SLOW:
                bv = entry(msgid, rule->address, 0, rule, 0);
                for (size_t i = 0; ok && i < bv->bv_len; i++) {
                        ok = write_all(fd, bv->bv_val + i, 1);
                        sleep(1);
                }
                ber_bvfree(bv);
                break;
        case TL_ROGUE_TIMELIMIT:
                return send_bv(fd, result(msgid, LDAP_RES_SEARCH_RESULT, LDAP_TIMELIMIT_EXCEEDED,
                                          NULL));
        case TL_ROGUE_REFERRAL:
                return send_bv(fd, result(msgid, LDAP_RES_SEARCH_RESULT, LDAP_REFERRAL,
                                          "ldap://elsewhere.example/o=Rogue"));
        case TL_ROGUE_CONTINUATION: {
                BerElement *ber = ber_alloc_t(LBER_USE_DER);

                ck_assert_int_ne(ber_printf(ber, "{it{s}}", msgid,
                                            (ber_tag_t)LDAP_RES_SEARCH_REFERENCE,
                                            "ldap://elsewhere.example/o=Rogue"), -1);
                ok = send_bv(fd, flat(ber));
                break;
        }
        case TL_ROGUE_NONE:
                break;
        }
        return ok && send_bv(fd, result(msgid, LDAP_RES_SEARCH_RESULT, LDAP_SUCCESS, NULL));
}

static const struct tl_rogue_rule *find_rule(const struct tl_rogue_rule *rules, size_t n,
                                             const unsigned char *pdu, size_t len)
{
        const struct tl_rogue_rule *best = NULL;

        /* The longest address found, so that "a@x" does not match "aa@x". */
        for (size_t i = 0; i < n; i++)
                if (memmem(pdu, len, rules[i].address, strlen(rules[i].address)) &&
                    (!best || strlen(rules[i].address) > strlen(best->address)))
                        best = &rules[i];
        return best;
}

static void serve(int fd, const struct tl_rogue_rule *rules, size_t n)
{
        unsigned char *pdu;
        size_t len;
        bool go = true;

        while (go && (pdu = read_pdu(fd, &len))) {
                unsigned op = 0;
                int msgid = 0;

                if (!parse_request(pdu, len, &msgid, &op))
                        go = false;
                else if (op == LDAP_REQ_BIND)
                        go = send_bv(fd, result(msgid, LDAP_RES_BIND, LDAP_SUCCESS, NULL));
                else if (op == LDAP_REQ_SEARCH)
                        go = answer(fd, msgid, find_rule(rules, n, pdu, len));
                else if (op == LDAP_REQ_UNBIND)
                        go = false;
                free(pdu);
        }
        close(fd);
}

void tl_rogue_start(struct tl_rogue *r, const struct tl_rogue_rule *rules, size_t n)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        pid_t parent = getpid();
        int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(lfd, 0);
        ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
        ck_assert_int_eq(listen(lfd, 64), 0);
        ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
        r->port = ntohs(a.sin_port);
        ck_assert_int_ge(asprintf(&r->url, "ldap://127.0.0.1:%d", r->port), 0);
        r->pid = fork();
        ck_assert_int_ge(r->pid, 0);
        if (r->pid > 0) {
                close(lfd);
                return;
        }
        /* The server, and each connection's process, end with the test. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(0);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGCHLD, SIG_IGN);
        for (;;) {
                int fd = accept(lfd, NULL, NULL);
                pid_t me = getpid();

                if (fd < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(1);
                }
                if (fork() == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() != me)
                                _exit(0);
                        close(lfd);
                        serve(fd, rules, n);
                        _exit(0);
                }
                close(fd);
        }
}

void tl_rogue_stop(struct tl_rogue *r)
{
        if (r->pid > 0) {
                kill(r->pid, SIGKILL);
                waitpid(r->pid, NULL, 0);
        }
        free(r->url);
        *r = (struct tl_rogue){ 0 };
}
