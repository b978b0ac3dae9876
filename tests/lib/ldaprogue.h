/* SPDX-License-Identifier: EUPL-1.2 */
/* A scripted LDAP server for what slapd will not do: a server that closes
 * the connection in the middle of an answer, dribbles one byte a second,
 * ignores the size limit, or answers with a message over the client's
 * limit. It speaks just enough LDAPv3 (BER through liblber): any bind
 * succeeds, each search is answered as the rule for the address in its
 * filter says, and every connection has its own process, so that a new
 * connection is served while an old one still dribbles. */
#ifndef SMIMEWATCH_LDAPROGUE_H
#define SMIMEWATCH_LDAPROGUE_H

#include <stddef.h>
#include <sys/types.h>

enum tl_rogue_act {
        TL_ROGUE_ENTRY,         /* one entry with the rule's value, then success */
        TL_ROGUE_NONE,          /* success without an entry */
        TL_ROGUE_CLOSE_MID,     /* half of the entry, then the connection closes */
        TL_ROGUE_SLOW,          /* the entry at one byte per second */
        TL_ROGUE_HUGE,          /* an entry with one value of 20 MB */
        TL_ROGUE_FLOOD,         /* 5,000 entries, ignoring the size limit */
        TL_ROGUE_MANY_VALUES,   /* 1,000 junk values, then the rule's value */
        TL_ROGUE_TIMELIMIT,     /* timeLimitExceeded, no entry */
        TL_ROGUE_SIZELIMIT,     /* the entry, then sizeLimitExceeded */
        TL_ROGUE_REFERRAL,      /* a referral result to ldap://elsewhere.example/ */
        TL_ROGUE_CONTINUATION,  /* a continuation reference, no entry, success */
};

struct tl_rogue_rule {
        const char *address;    /* found in the search request's filter */
        enum tl_rogue_act act;
        const unsigned char *value;     /* userCertificate;binary (may be NULL) */
        size_t len;
};

struct tl_rogue {
        pid_t pid;
        int port;
        char *url;              /* ldap://127.0.0.1:PORT */
};

/* Serves the n rules (copied) on a free 127.0.0.1 port until
 * tl_rogue_stop() or the end of this process. A search for an address
 * without a rule is answered with success and no entry. */
void tl_rogue_start(struct tl_rogue *r, const struct tl_rogue_rule *rules, size_t n);
void tl_rogue_stop(struct tl_rogue *r);

#endif
