/* SPDX-License-Identifier: EUPL-1.2 */
/* The LDAP directory of [directory]: one connection per cycle, searches
 * pipelined over it, certificate values handed back undecoded. */
#ifndef SMIMEWATCH_DIRECTORY_H
#define SMIMEWATCH_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

/* What one search may bring home: a broad filter or a hostile server
 * cannot make a lookup hold more than these (dir_lookup() fails once all
 * its answers together pass DIR_MAX_TOTAL bytes). */
#define DIR_MAX_ENTRIES 8                       /* per address (the search's size limit) */
#define DIR_MAX_VALUES 32                       /* per entry */
#define DIR_MAX_VALUE_SIZE (64u * 1024u)        /* per value */
#define DIR_MAX_TOTAL (256u * 1024u * 1024u)    /* all values of one dir_lookup() */

#include "config.h"

struct dir;

struct dir_value {
        char *attribute;                /* "userCertificate;binary" | "userSMIMECertificate" */
        unsigned char *data;
        size_t len;
};

struct dir_entry {
        char *dn;                       /* as the server sent it (untrusted, unescaped) */
        struct dir_value *values;
        size_t n_values;
        size_t n_dropped;               /* values left out: over DIR_MAX_VALUES or DIR_MAX_VALUE_SIZE */
        size_t n_too_large;             /* of those, over DIR_MAX_VALUE_SIZE */
};

struct dir_answer {
        int error;                      /* 0, or negative when this search failed */
        char *reason;                   /* why, when error */
        struct dir_entry *entries;
        size_t n_entries;
        bool truncated;                 /* more than DIR_MAX_ENTRIES matched: the rest is not here */
};

/* The rules of [directory] that need libldap or a secret, as a check of
 * cfg_load() (load_settings() runs it): every uri as dir_open() takes it
 * (scheme, host, port, nothing else), base and bind_dn as RFC 4514 DNs,
 * the bind password's file (password_file, else the credential
 * ldap-password, which is then put into password_file) that others must
 * not read, and no password over an unencrypted connection. */
void dir_check_settings(struct cfg *c, enum cfg_need need, struct cfg_report *r);

/* Reads the bind password from password_file (secret_read_file()). 0 or
 * -errno; *err explains (caller frees). Free *ret with secret_free(). */
int dir_read_password(const struct cfg_directory *c, char **ret, char **err);

/* Connects and binds, trying each URI in order, with TLS verified and
 * every step bounded by the configured timeout. 0, or negative with
 * *reason naming the URI and what failed (TLS, bind, timeout; caller frees). */
int dir_open(const struct cfg_directory *c, struct dir **ret, char **reason);

/* Searches for every address, keeping many searches outstanding at once;
 * answers[i] belongs to addresses[i] (the caller zeroes the array). A
 * failure of a single search is reported in its answer; a failure of the
 * connection returns negative with *reason, and the answers are then
 * meaningless (free them all). */
int dir_lookup(struct dir *d, const char *const *addresses, size_t n,
               struct dir_answer *answers, char **reason);

/* Reads the first value of attribute (as named, e.g.
 * "certificateRevocationList;binary") of the entry dn, by a base search
 * bounded by the timeout; a value over max bytes is refused (-EFBIG).
 * 0 with the bytes (caller frees), or negative with *reason. */
int dir_read_attr(struct dir *d, const char *dn, const char *attribute, size_t max,
                  unsigned char **data, size_t *len, char **reason);

/* dir_lookup(), telling done(arg, i) as soon as answers[i] is final, in
 * the order answers arrive, on the calling thread; done may take the
 * answer's contents (dir_answer_free) once it has used them. After a
 * failure of the connection the answers told so far are as meaningless
 * as the others. */
typedef void (*dir_answer_fn)(void *arg, size_t i);
int dir_lookup_each(struct dir *d, const char *const *addresses, size_t n,
                    struct dir_answer *answers, dir_answer_fn done, void *arg, char **reason);

/* The URI dir_open() connected to. */
const char *dir_uri(const struct dir *d);

/* What a discovery search found: the mail values of every entry under
 * base matching the filter. */
struct dir_discovery {
        char **addresses;               /* mail values that are addresses, as sent (unescaped) */
        size_t n;
        size_t n_entries;               /* entries that matched */
        size_t n_invalid;               /* mail values that are no address (left out) */
        size_t n_pages;
        int page_size;                  /* what the server accepted */
        char *reason;                   /* why the search stopped short, when it did */
};

/* Finds every entry under base (with scope) that matches filter, with the
 * paged-results control (RFC 2696), so that a server's size limit per
 * search does not cut the result; a server that refuses the page size is
 * asked again with smaller pages. 0 when the search went to its end;
 * negative with out->reason when it stopped short (a size or time limit
 * also for paged searches, an error, no answer in time): out keeps what
 * came until then. The caller zeroes out and frees it. */
int dir_discover(struct dir *d, const char *filter, struct dir_discovery *out);
void dir_discovery_free(struct dir_discovery *r);

void dir_answer_free(struct dir_answer *a);     /* the contents */
void dir_close(struct dir *d);                  /* unbinds; NULL is fine */

#endif
