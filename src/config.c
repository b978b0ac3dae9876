/* SPDX-License-Identifier: EUPL-1.2 */
/* The configuration file, text into data. A small line reader numbers
 * the lines, strips comments, refuses malformed and overlong lines,
 * follows the section headers and splits KEY = VALUE (the README's
 * development section says why this is not inih); the one table of keys
 * (CFG_KEYS in config.h) gives each key its parser and field; checks that
 * span several keys run once the whole file is read. What only another
 * module can judge (URIs and DNs: directory.c, OIDs: pki.c, secrets:
 * secret.c) is kept as text and judged by that module's cfg_check, which
 * reports through cfg_report() at the key's line. Every problem is
 * collected as "FILE:LINE: ...", and any problem throws the whole struct
 * away. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "problem.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ERRORS 100          /* a binary file must not flood the terminal */
#define QUOTE_MAX 120           /* bytes of a value quoted in a message */

struct loader;
struct key;

/* Parses value into its field of the section struct sec (FIELD()); on
 * error reports it and returns -EINVAL. */
typedef int key_parser(struct loader *l, const struct key *k, const char *value, void *sec);

enum section_id { SEC_SERVICE, SEC_PKI, SEC_DIRECTORY, SEC_POLICY, SEC_MAILBOX, SEC_COUNT };

struct key {
        const char *name;
        enum section_id section;
        key_parser *parse;
        size_t offset;          /* of the field in the section's struct */
        long min, max;          /* durations in seconds */
        bool required;          /* empty is an error rather than the default */
};

#define FIELD(sec, k) ((void *)((char *)(sec) + (k)->offset))

static const char *const section_names[SEC_COUNT] = {
        [SEC_SERVICE] = "service", [SEC_PKI] = "pki", [SEC_DIRECTORY] = "directory",
        [SEC_POLICY] = "policy", [SEC_MAILBOX] = "mailbox",
};

/* Where one section and its keys were written; 0: not written. */
struct seen {
        unsigned header;
        unsigned line[CFG_KEY_COUNT];
        uint64_t bad;           /* bit per key whose value was refused */
};

_Static_assert(CFG_KEY_COUNT <= 64, "struct seen.bad has a bit per key");

struct loader {
        struct cfg *c;
        enum cfg_need need;
        const char *path;       /* as given, for messages */
        char *dir;              /* absolute directory of path */
        const char *buf;        /* the file */
        size_t len;
        unsigned lineno;
        FILE *err;
        char *err_buf;
        size_t err_len;
        unsigned n_errors;
        bool oom;
        bool in_section;
        bool has_cur;                   /* false: keys here are ignored */
        enum section_id cur;
        char *cur_name;                 /* the header as written, escaped */
        size_t cur_mailbox;
        char *line;                     /* the current line, CFG_MAX_LINE + 1 bytes */
        struct seen seen[SEC_MAILBOX];  /* the sections that occur once */
        struct seen *mbx_seen;          /* parallel to the [mailbox] sections, which
                                         * come first in c->mailboxes */
        size_t mbx_seen_cap;
        size_t n_mbx_seen;              /* the [mailbox] sections read */
        size_t mbx_cap;
        /* Open-addressing hash of c->mailboxes (index + 1; 0: free), so
         * that a mailbox_list of many thousand lines is not quadratic. */
        size_t *mbx_index;
        size_t mbx_index_cap;           /* a power of two, at least twice n_mailboxes */
};

__attribute__((format(printf, 4, 0)))
static void verror_at(struct loader *l, const char *file, unsigned line, const char *fmt, va_list ap)
{
        if (!l->err || ++l->n_errors > MAX_ERRORS + 1)
                return;
        if (l->n_errors > 1)
                fputc('\n', l->err);
        if (l->n_errors > MAX_ERRORS) {
                fprintf(l->err, "%s: more than %d errors; the rest are not shown", l->path, MAX_ERRORS);
                return;
        }
        fprintf(l->err, "%s:%u: ", file, line);
        vfprintf(l->err, fmt, ap);
}

__attribute__((format(printf, 3, 4)))
static void error_at(struct loader *l, unsigned line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        verror_at(l, l->path, line, fmt, ap);
        va_end(ap);
}

__attribute__((format(printf, 4, 5)))
static void error_in(struct loader *l, const char *file, unsigned line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        verror_at(l, file, line, fmt, ap);
        va_end(ap);
}

/* An escaped copy of configuration text for a message. */
static char *quote(struct loader *l, const char *s)
{
        char *q = util_sanitize(s, strlen(s), QUOTE_MAX);

        if (!q)
                l->oom = true;
        return q;
}

/* "FILE:LINE: [section] key 'value': what is wrong", on the current line. */
__attribute__((format(printf, 4, 5)))
static int bad_value(struct loader *l, const struct key *k, const char *value, const char *fmt, ...)
{
        char *q = quote(l, value), *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL;
                l->oom = true;
        }
        va_end(ap);
        if (q && msg)
                error_at(l, l->lineno, "[%s] %s '%s': %s", l->cur_name, k->name, q, msg);
        free(q);
        free(msg);
        return -EINVAL;
}

static char *dup_or_oom(struct loader *l, const char *s)
{
        char *d = strdup(s);

        if (!d)
                l->oom = true;
        return d;
}

static void set_string(char **field, char *s)
{
        free(*field);
        *field = s;
}

/* Relative paths are taken relative to the configuration file's directory. */
static char *resolve(struct loader *l, const char *value)
{
        char *p = NULL;

        if (value[0] == '/')
                return dup_or_oom(l, value);
        if (asprintf(&p, "%s/%s", strcmp(l->dir, "/") ? l->dir : "", value) < 0) {
                l->oom = true;
                return NULL;
        }
        return p;
}

/* ---- parsers of single values ---------------------------------------- */

static char *format_seconds(long s, char buf[static 24])
{
        static const struct { long n; char unit; } units[] = {
                { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };

        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (s % units[i].n == 0) {
                        snprintf(buf, 24, "%ld%c", s / units[i].n, units[i].unit);
                        break;
                }
        return buf;
}

static int parse_duration(struct loader *l, const struct key *k, const char *v, void *sec)
{
        char lo[24], hi[24];
        uint64_t u;

        if (util_parse_duration(v, &u) < 0)
                return bad_value(l, k, v, "not a duration (a number with s, m, h or d)");
        if (u < (uint64_t)k->min * USEC_PER_SEC || u > (uint64_t)k->max * USEC_PER_SEC)
                return bad_value(l, k, v, "must be between %s and %s",
                                 format_seconds(k->min, lo), format_seconds(k->max, hi));
        *(uint64_t *)FIELD(sec, k) = u;
        return 0;
}

static int parse_number(struct loader *l, const struct key *k, const char *v, long *ret)
{
        int r = util_parse_int(v, k->min, k->max, ret);

        if (r == -ERANGE)
                return bad_value(l, k, v, "must be between %ld and %ld", k->min, k->max);
        if (r < 0)
                return bad_value(l, k, v, "not a whole number");
        return 0;
}

static int parse_int(struct loader *l, const struct key *k, const char *v, void *sec)
{
        long n;

        if (parse_number(l, k, v, &n) < 0)
                return -EINVAL;
        *(int *)FIELD(sec, k) = (int)n;
        return 0;
}

static int parse_unsigned(struct loader *l, const struct key *k, const char *v, void *sec)
{
        long n;

        if (parse_number(l, k, v, &n) < 0)
                return -EINVAL;
        *(unsigned *)FIELD(sec, k) = (unsigned)n;
        return 0;
}

/* Index of v in the NULL-terminated words (case-insensitive), or -1. */
static int word_index(const char *v, const char *const *words)
{
        for (int i = 0; words[i]; i++)
                if (strcasecmp(v, words[i]) == 0)
                        return i;
        return -1;
}

static int parse_bool(struct loader *l, const struct key *k, const char *v, void *sec)
{
        static const char *const words[] = { "no", "yes", "false", "true", "off", "on", "0", "1", NULL };
        int i = word_index(v, words);

        if (i < 0)
                return bad_value(l, k, v, "want yes or no (true/false, on/off, 1/0)");
        *(bool *)FIELD(sec, k) = i % 2;
        return 0;
}

static int parse_scope(struct loader *l, const struct key *k, const char *v, void *sec)
{
        static const char *const words[] = { "base", "one", "sub", NULL };
        static const enum cfg_scope scopes[] = { CFG_SCOPE_BASE, CFG_SCOPE_ONE, CFG_SCOPE_SUB };
        int i = word_index(v, words);

        if (i < 0)
                return bad_value(l, k, v, "want sub, one or base");
        *(enum cfg_scope *)FIELD(sec, k) = scopes[i];
        return 0;
}

static int parse_revocation(struct loader *l, const struct key *k, const char *v, void *sec)
{
        static const char *const words[] = { "off", "crl", "ocsp", "ocsp-then-crl", NULL };
        static const enum cfg_revocation methods[] = { CFG_REV_OFF, CFG_REV_CRL, CFG_REV_OCSP,
                                                       CFG_REV_OCSP_THEN_CRL };
        int i = word_index(v, words);

        if (i < 0)
                return bad_value(l, k, v, "want crl, ocsp, ocsp-then-crl or off");
        *(enum cfg_revocation *)FIELD(sec, k) = methods[i];
        return 0;
}

static int parse_sources(struct loader *l, const struct key *k, const char *v, void *sec)
{
        static const char *const words[] = { "files", "crl-dp", "crl-directory", NULL };
        struct cfg_pki *p = sec;
        enum cfg_rev_source got[CFG_SRC_COUNT];
        unsigned seen = 0;
        char *copy, *save = NULL;
        size_t n = 0;
        int r = 0;

        copy = dup_or_oom(l, v);
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                int i = word_index(w, words);

                if (i < 0)
                        r = bad_value(l, k, w, "want files, crl-dp or crl-directory "
                                      "(OCSP is chosen with revocation = ocsp or ocsp-then-crl)");
                else if (seen & (1u << i))
                        r = bad_value(l, k, w, "named twice");
                else {
                        seen |= 1u << i;
                        got[n++] = (enum cfg_rev_source)i;
                }
        }
        free(copy);
        if (r == 0 && n == 0)
                r = bad_value(l, k, v, "name at least one of files, crl-dp, crl-directory");
        if (r < 0)
                return r;
        memcpy(p->sources, got, n * sizeof(got[0]));
        p->n_sources = n;
        return 0;
}

static int parse_http_proxy(struct loader *l, const struct key *k, const char *v, void *sec)
{
        const char *host = v + strlen("http://");
        char **field = FIELD(sec, k);

        if (strncasecmp(v, "http://", 7) != 0 || !*host || *host == ':' || *host == '/' ||
            strpbrk(v, " \t"))
                return bad_value(l, k, v, "want http://HOST[:PORT]");
        set_string(field, dup_or_oom(l, v));
        return *field ? 0 : -ENOMEM;
}

static int parse_usages(struct loader *l, const struct key *k, const char *v, void *sec)
{
        static const char *const words[] = { "encryption", "signature", NULL };
        static const unsigned bits[] = { USAGE_ENCRYPTION, USAGE_SIGNATURE };
        unsigned usages = 0;
        char *copy, *save = NULL;
        int r = 0;

        copy = dup_or_oom(l, v);
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int i = word_index(w, words);

                if (i < 0)
                        r = bad_value(l, k, w, "want encryption, optionally with signature");
                else
                        usages |= bits[i];
        }
        free(copy);
        if (r == 0 && !(usages & USAGE_ENCRYPTION))
                r = bad_value(l, k, v, "must contain encryption (signature alone is not allowed)");
        if (r == 0)
                *(unsigned *)FIELD(sec, k) = usages;
        return r;
}

/* HOST[:PORT], an IPv6 address in brackets: [::1]:25. */
static int parse_smtp(struct loader *l, const struct key *k, const char *v, void *sec)
{
        struct cfg_service *sv = sec;
        const char *colon, *host = v;
        size_t n;
        long port = 25;
        char *h;

        if (v[0] == '[') {
                const char *end = strchr(v, ']');

                if (!end || end == v + 1 || (end[1] && end[1] != ':'))
                        return bad_value(l, k, v, "want HOST[:PORT], an IPv6 address as [ADDRESS]");
                host = v + 1;
                n = (size_t)(end - host);
                colon = end[1] ? end + 1 : NULL;
        } else {
                colon = strchr(v, ':');
                n = colon ? (size_t)(colon - v) : strlen(v);
        }
        if (n == 0 || memchr(host, ' ', n) || (v[0] != '[' && colon && strchr(colon + 1, ':')))
                return bad_value(l, k, v, "want HOST[:PORT], an IPv6 address as [ADDRESS]");
        if (colon && util_parse_int(colon + 1, 1, 65535, &port) < 0)
                return bad_value(l, k, v, "the port must be between 1 and 65535");
        h = strndup(host, n);
        if (!h) {
                l->oom = true;
                return -ENOMEM;
        }
        set_string(&sv->smtp_host, h);
        sv->smtp_port = (int)port;
        return 0;
}

/* Octets, with k, M, G (powers of 1000, as mail servers count) or KiB,
 * MiB, GiB; "10M", "10 MB", "20000000". */
static int parse_size(struct loader *l, const struct key *k, const char *v, void *sec)
{
        static const struct { const char *unit; uint64_t factor; } units[] = {
                { "", 1 }, { "b", 1 }, { "k", 1000 }, { "kb", 1000 }, { "m", 1000000 },
                { "mb", 1000000 }, { "g", 1000000000 }, { "gb", 1000000000 },
                { "kib", 1024 }, { "mib", 1048576 }, { "gib", 1073741824 },
        };
        const uint64_t max = UINT64_C(1) << 40;
        char *end = NULL;
        unsigned long long n;

        errno = 0;
        n = strtoull(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || errno)
                return bad_value(l, k, v, "not a size (a number of bytes, optionally with k, M or G)");
        while (isspace((unsigned char)*end))
                end++;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (strcasecmp(end, units[i].unit) == 0) {
                        if (n == 0 || n > max / units[i].factor)
                                return bad_value(l, k, v, "must be between 1 byte and 1 TiB");
                        *(uint64_t *)FIELD(sec, k) = n * units[i].factor;
                        return 0;
                }
        return bad_value(l, k, v, "not a size (a number of bytes, optionally with k, M or G)");
}

/* Puts the string s (NULL: out of memory) into the key's field. */
static int store(void *sec, const struct key *k, char *s)
{
        if (!s)
                return -ENOMEM;
        set_string(FIELD(sec, k), s);
        return 0;
}

static int parse_path(struct loader *l, const struct key *k, const char *v, void *sec)
{
        return store(sec, k, resolve(l, v));
}

/* Written by the service after every check; its directory need not exist
 * yet (systemd makes RuntimeDirectory= only when the service starts). */
static int parse_metrics_file(struct loader *l, const struct key *k, const char *v, void *sec)
{
        struct stat st;
        char *p;

        if (v[strlen(v) - 1] == '/')
                return bad_value(l, k, v, "names a directory, not a file");
        p = resolve(l, v);
        if (!p)
                return -ENOMEM;
        if (stat(p, &st) == 0 && !S_ISREG(st.st_mode)) {
                free(p);
                return bad_value(l, k, v, "exists and is not a regular file");
        }
        set_string(FIELD(sec, k), p);
        return 0;
}

/* The file (or, with dir_ok, directory) must exist; its contents are the
 * business of whoever reads it. */
static int check_exists(struct loader *l, const struct key *k, const char *v, const char *path,
                        bool dir_ok)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return bad_value(l, k, v, "cannot access %s: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode) && !(dir_ok && S_ISDIR(st.st_mode)))
                return bad_value(l, k, v, "%s is not a %s", path,
                                 dir_ok ? "file or directory" : "regular file");
        return 0;
}

static int resolve_existing(struct loader *l, const struct key *k, const char *v, bool dir_ok,
                            char **ret)
{
        char *p = resolve(l, v);

        if (!p)
                return -ENOMEM;
        if (check_exists(l, k, v, p, dir_ok) < 0) {
                free(p);
                return -EINVAL;
        }
        *ret = p;
        return 0;
}

static int store_existing(struct loader *l, const struct key *k, const char *v, void *sec,
                          bool dir_ok)
{
        char *p = NULL;

        if (resolve_existing(l, k, v, dir_ok, &p) < 0)
                return -EINVAL;
        set_string(FIELD(sec, k), p);
        return 0;
}

static int parse_file_or_dir(struct loader *l, const struct key *k, const char *v, void *sec)
{
        return store_existing(l, k, v, sec, true);
}

static int parse_file(struct loader *l, const struct key *k, const char *v, void *sec)
{
        return store_existing(l, k, v, sec, false);
}

/* Root can open anything, so "readable" is proven by opening it. */
static int parse_readable_file(struct loader *l, const struct key *k, const char *v, void *sec)
{
        char *p = NULL;
        struct stat st;
        int fd, r;

        if (resolve_existing(l, k, v, false, &p) < 0)
                return -EINVAL;
        r = util_open_file(p, &fd, &st);
        if (r < 0) {
                bad_value(l, k, v, "cannot read %s: %s", p, strerror(-r));
                free(p);
                return -EINVAL;
        }
        close(fd);
        set_string(FIELD(sec, k), p);
        return 0;
}

/* Text that other modules judge (DNs: directory.c), kept as written. */
static int parse_string(struct loader *l, const struct key *k, const char *v, void *sec)
{
        return store(sec, k, dup_or_oom(l, v));
}

/* One parenthesised filter: literal parentheses in RFC 4515 values are
 * escaped as \28 and \29, so counting them is exact. */
static bool one_filter(const char *v)
{
        size_t len = strlen(v);
        int depth = 0;

        for (size_t i = 0; i < len; i++) {
                depth += v[i] == '(' ? 1 : v[i] == ')' ? -1 : 0;
                if (depth < 0 || (depth == 0 && i + 1 < len))
                        return false;
        }
        return len > 0 && depth == 0;
}

static int set_filter(struct loader *l, const struct key *k, const char *v, void *sec)
{
        char *s = dup_or_oom(l, v);

        if (!s)
                return -ENOMEM;
        set_string(FIELD(sec, k), s);
        return 0;
}

/* The search for one address: one filter with exactly one %s. */
static int parse_filter(struct loader *l, const struct key *k, const char *v, void *sec)
{
        const char *pct = strchr(v, '%');

        if (!pct || pct[1] != 's' || strchr(pct + 1, '%'))
                return bad_value(l, k, v, "must contain %%s exactly once and no other %%");
        if (!one_filter(v))
                return bad_value(l, k, v, "must be one filter in parentheses, e.g. (mail=%%s)");
        return set_filter(l, k, v, sec);
}

/* The discovery search: one filter, sent as it is. */
static int parse_discover(struct loader *l, const struct key *k, const char *v, void *sec)
{
        if (!one_filter(v))
                return bad_value(l, k, v, "must be one filter in parentheses, e.g. "
                                 "(&(mail=*)(userCertificate;binary=*))");
        return set_filter(l, k, v, sec);
}

/* ---- parsers of lists -------------------------------------------------- */

/* Checks one list item; returns the string to store in *ret. */
typedef int item_parser(struct loader *l, const struct key *k, const char *item, char **ret);

/* Splits v at commas (items trimmed, none may be empty) or, with
 * sep == ' ', at runs of blanks; every bad item is reported. */
static int parse_list(struct loader *l, const struct key *k, const char *v, char sep,
                      item_parser *item, char ***ret, size_t *ret_n)
{
        char *copy = dup_or_oom(l, v), *p, **items = NULL;
        size_t n = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        p = copy;
        for (;;) {
                size_t len = sep == ' ' ? strcspn(p, " \t") : strcspn(p, ",");
                char *start = p, *end = p + len, **grown;
                bool last = *end == 0;

                *end = 0;
                while (isspace((unsigned char)*start))
                        start++;
                for (char *e = end; e > start && isspace((unsigned char)e[-1]); )
                        *--e = 0;
                if (*start) {
                        grown = realloc(items, (n + 1) * sizeof(*items));
                        if (!grown) {
                                r = -ENOMEM;
                                l->oom = true;
                                break;
                        }
                        items = grown;
                        items[n] = NULL;
                        if (item(l, k, start, &items[n]) < 0)
                                r = -EINVAL;
                        else
                                n++;
                } else if (sep != ' ') {
                        r = bad_value(l, k, v, "empty item in the comma-separated list");
                }
                if (last)
                        break;
                p = end + 1;
        }
        free(copy);
        if (r < 0) {
                util_strv_free(items, n);
                return r;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

static int item_crl(struct loader *l, const struct key *k, const char *item, char **ret)
{
        return resolve_existing(l, k, item, true, ret);
}

/* An item that another module judges (OIDs: pki.c, URIs: directory.c). */
static int item_string(struct loader *l, const struct key *k, const char *item, char **ret)
{
        (void)k;
        *ret = dup_or_oom(l, item);
        return *ret ? 0 : -ENOMEM;
}

static int parse_crls(struct loader *l, const struct key *k, const char *v, void *sec)
{
        struct cfg_pki *p = sec;

        return parse_list(l, k, v, ',', item_crl, &p->crls, &p->n_crls);
}

static int parse_policies(struct loader *l, const struct key *k, const char *v, void *sec)
{
        struct cfg_pki *p = sec;

        return parse_list(l, k, v, ',', item_string, &p->require_policy, &p->n_require_policy);
}

static int parse_uris(struct loader *l, const struct key *k, const char *v, void *sec)
{
        struct cfg_directory *d = sec;

        return parse_list(l, k, v, ' ', item_string, &d->uris, &d->n_uris);
}

/* ---- the table --------------------------------------------------------- */

/* The struct whose field a key of each section fills (see CFG_KEYS). */
#define SECTION_TYPE_SERVICE struct cfg_service
#define SECTION_TYPE_PKI struct cfg_pki
#define SECTION_TYPE_DIRECTORY struct cfg_directory
#define SECTION_TYPE_POLICY struct cfg
#define SECTION_TYPE_MAILBOX struct cfg_mailbox

#define KEY_ROW(id, sec, key_name, parser, field, lo, hi, req)                                \
        [CFG_KEY_##id] = { .name = key_name, .section = SEC_##sec, .parse = parse_##parser,   \
                           .offset = offsetof(SECTION_TYPE_##sec, field), .min = lo, .max = hi, \
                           .required = req },
static const struct key keys[CFG_KEY_COUNT] = { CFG_KEYS(KEY_ROW) };
#undef KEY_ROW

/* The key of this section with this name, or -1. */
static int key_find(enum section_id id, const char *name)
{
        for (int k = 0; k < CFG_KEY_COUNT; k++)
                if (keys[k].section == id && strcmp(keys[k].name, name) == 0)
                        return k;
        return -1;
}

/* The line where the key was written, 0 when it was not. */
static unsigned key_line(const struct seen *s, enum cfg_key k)
{
        return s->line[k];
}

static bool key_bad(const struct seen *s, enum cfg_key k)
{
        return s->bad & (UINT64_C(1) << k);
}

static void *section_struct(struct loader *l)
{
        switch (l->cur) {
        case SEC_SERVICE: return &l->c->service;
        case SEC_PKI: return &l->c->pki;
        case SEC_DIRECTORY: return &l->c->directory;
        case SEC_POLICY: return l->c;
        default: return &l->c->mailboxes[l->cur_mailbox];
        }
}

static struct seen *section_seen(struct loader *l)
{
        return l->cur == SEC_MAILBOX ? &l->mbx_seen[l->cur_mailbox] : &l->seen[l->cur];
}

/* ---- sections ---------------------------------------------------------- */

/* Linear: cfg_find_mailbox() is called for a few command line addresses. */
static const struct cfg_mailbox *find_mailbox(const struct cfg *c, const char *address)
{
        for (size_t i = 0; i < c->n_mailboxes; i++)
                if (util_address_equal(c->mailboxes[i].address, address))
                        return &c->mailboxes[i];
        return NULL;
}

/* The slot of address in the index: the one holding it, else a free one. */
static size_t index_slot(const struct loader *l, const char *address)
{
        size_t mask = l->mbx_index_cap - 1, k = util_address_hash(address) & mask;

        while (l->mbx_index[k] &&
               !util_address_equal(l->c->mailboxes[l->mbx_index[k] - 1].address, address))
                k = (k + 1) & mask;
        return k;
}

static const struct cfg_mailbox *loader_find(const struct loader *l, const char *address)
{
        size_t k;

        if (!l->mbx_index)
                return NULL;
        k = index_slot(l, address);
        return l->mbx_index[k] ? &l->c->mailboxes[l->mbx_index[k] - 1] : NULL;
}

/* Makes room for one more mailbox in the index (rebuilt when it grows). */
static int index_reserve(struct loader *l)
{
        size_t cap = l->mbx_index_cap ? l->mbx_index_cap : 64;
        size_t *old = l->mbx_index;

        while (cap < 2 * (l->c->n_mailboxes + 1))
                cap *= 2;
        if (old && cap == l->mbx_index_cap)
                return 0;
        l->mbx_index = calloc(cap, sizeof(*l->mbx_index));
        if (!l->mbx_index) {
                l->mbx_index = old;
                return -ENOMEM;
        }
        l->mbx_index_cap = cap;
        for (size_t i = 0; i < l->c->n_mailboxes; i++)
                l->mbx_index[index_slot(l, l->c->mailboxes[i].address)] = i + 1;
        free(old);
        return 0;
}

/* The array a (*cap elements of size bytes) with room for element n:
 * doubled when full. NULL when out of memory (a is still valid then). */
static void *grow(struct loader *l, void *a, size_t *cap, size_t n, size_t size)
{
        size_t new_cap = *cap ? 2 * *cap : 16;

        if (n < *cap)
                return a;
        a = realloc(a, new_cap * size);
        if (!a) {
                l->oom = true;
                return NULL;
        }
        *cap = new_cap;
        return a;
}

static struct cfg_mailbox *add_mailbox(struct loader *l, const char *address, const char *file,
                                       unsigned line)
{
        struct cfg *c = l->c;
        struct cfg_mailbox *m;

        if (index_reserve(l) < 0) {
                l->oom = true;
                return NULL;
        }
        m = grow(l, c->mailboxes, &l->mbx_cap, c->n_mailboxes, sizeof(*m));
        if (!m)
                return NULL;
        c->mailboxes = m;
        m = &c->mailboxes[c->n_mailboxes];
        *m = (struct cfg_mailbox){ .warn_days = c->service.warn_days,
                                   .critical_days = c->service.critical_days };
        m->address = strdup(address);
        if (!m->address || asprintf(&m->origin, "%s:%u", file, line) < 0) {
                free(m->address);
                l->oom = true;
                return NULL;
        }
        l->mbx_index[index_slot(l, address)] = ++c->n_mailboxes;
        return m;
}

/* Room for the bookkeeping of one more [mailbox] section. */
static struct seen *add_mailbox_seen(struct loader *l)
{
        size_t n = l->c->n_mailboxes;
        struct seen *s = grow(l, l->mbx_seen, &l->mbx_seen_cap, n, sizeof(*s));

        if (!s)
                return NULL;
        l->mbx_seen = s;
        l->mbx_seen[n] = (struct seen){ .header = l->lineno };
        return &l->mbx_seen[n];
}

static void begin_mailbox(struct loader *l, const char *address)
{
        const struct cfg_mailbox *old;
        char *q;

        if (!util_address_valid(address)) {
                q = quote(l, address);
                if (q)
                        error_at(l, l->lineno, "malformed address '%s' in section header "
                                 "(want [mailbox ADDRESS])", q);
                free(q);
                return;
        }
        /* The [mailbox] sections are all read before mailbox_list: every
         * mailbox known so far has its bookkeeping in mbx_seen. */
        old = loader_find(l, address);
        if (old) {
                q = quote(l, address);
                if (q)
                        error_at(l, l->lineno, "duplicate section [mailbox %s] (first on line %u)",
                                 q, l->mbx_seen[old - l->c->mailboxes].header);
                free(q);
                return;
        }
        if (!add_mailbox_seen(l) || !add_mailbox(l, address, l->path, l->lineno))
                return;
        l->n_mbx_seen++;
        l->has_cur = true;
        l->cur = SEC_MAILBOX;
        l->cur_mailbox = l->c->n_mailboxes - 1;
}

static void begin_section(struct loader *l, const char *name)
{
        char *q = quote(l, name);

        l->in_section = true;
        l->has_cur = false;
        free(l->cur_name);
        l->cur_name = q;
        if (!q)
                return;
        if (strncmp(name, "mailbox", 7) == 0 && (name[7] == ' ' || name[7] == 0)) {
                if (name[7] == 0)
                        error_at(l, l->lineno, "section [mailbox] needs an address: [mailbox ADDRESS]");
                else
                        begin_mailbox(l, name + 8);
                return;
        }
        for (enum section_id id = 0; id < SEC_MAILBOX; id++) {
                if (strcmp(name, section_names[id]) != 0)
                        continue;
                if (l->seen[id].header) {
                        error_at(l, l->lineno, "duplicate section [%s] (first on line %u)",
                                 name, l->seen[id].header);
                        return;
                }
                l->seen[id].header = l->lineno;
                l->has_cur = true;
                l->cur = id;
                if (id == SEC_DIRECTORY)
                        l->c->directory.configured = true;
                return;
        }
        error_at(l, l->lineno, "unknown section [%s]", q);
}

/* ---- reading the file -------------------------------------------------- */

/* Comments start with '#' or ';' at the start of a line or after a blank. */
static size_t comment_start(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((p[i] == '#' || p[i] == ';') && (i == 0 || isspace((unsigned char)p[i - 1])))
                        return i;
        return n;
}

static void trim(const char **p, size_t *n)
{
        while (*n && isspace((unsigned char)**p))
                (*p)++, (*n)--;
        while (*n && isspace((unsigned char)(*p)[*n - 1]))
                (*n)--;
}

typedef void line_handler(struct loader *l, const char *file, unsigned line, const char *p,
                          size_t n);

/* Calls fn for every line of buf (numbered from 1, without its '\n'). */
static void for_each_line(struct loader *l, const char *file, const char *buf, size_t len,
                          line_handler *fn)
{
        unsigned line = 0;

        for (size_t pos = 0; pos < len; ) {
                const char *p = buf + pos, *nl = memchr(p, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - p) : len - pos;

                fn(l, file, ++line, p, n);
                pos += n + 1;
        }
}

static void on_key(struct loader *l, const char *name, const char *value)
{
        const struct key *k;
        struct seen *s;
        int i;

        if (!l->in_section) {
                char *q = quote(l, name);

                if (q)
                        error_at(l, l->lineno, "key '%s' outside of any section", q);
                free(q);
                return;
        }
        if (!l->has_cur)
                return;         /* the section header was reported */
        i = key_find(l->cur, name);
        if (i < 0) {
                char *q = quote(l, name);

                if (q)
                        error_at(l, l->lineno, "[%s] unknown key '%s'", l->cur_name, q);
                free(q);
                return;
        }
        k = &keys[i];
        s = section_seen(l);
        if (s->line[i]) {
                error_at(l, l->lineno, "[%s] %s set twice (first on line %u)", l->cur_name,
                         k->name, s->line[i]);
                return;
        }
        s->line[i] = l->lineno;
        if (!*value && k->required) {
                error_at(l, l->lineno, "[%s] %s must not be empty", l->cur_name, k->name);
                s->bad |= UINT64_C(1) << i;
        } else if (*value && k->parse(l, k, value, section_struct(l)) < 0) {
                s->bad |= UINT64_C(1) << i;
        }
}

/* "[SECTION]" (n bytes, trimmed): follows it, or reports it. */
static void section_header(struct loader *l, char *str, size_t n)
{
        if (n < 3 || str[n - 1] != ']' || memchr(str + 1, ']', n - 2) ||
            memchr(str + 1, '[', n - 2)) {
                error_at(l, l->lineno, "malformed section header (want [SECTION])");
                l->in_section = true;
                l->has_cur = false;     /* its keys belong to no known section */
                return;
        }
        str[n - 1] = 0;
        begin_section(l, str + 1);
}

/* "KEY = VALUE" (trimmed): blanks around the key and the value do not count. */
static void key_value(struct loader *l, char *str)
{
        /* A ':' before the '=' is refused, as it always was: only '=' is
         * documented, and "key: value" is another INI dialect. */
        size_t sep = strcspn(str, "=:");
        char *value, *end;

        if (str[sep] != '=') {
                error_at(l, l->lineno, "malformed line (want KEY = VALUE, [SECTION] or a comment)");
                return;
        }
        if (sep == 0) {
                error_at(l, l->lineno, "missing key name before '='");
                return;
        }
        end = str + sep;
        value = end + 1;
        *end = 0;
        while (end > str && isspace((unsigned char)end[-1]))
                *--end = 0;
        while (isspace((unsigned char)*value))
                value++;
        on_key(l, str, value);
}

/* One line of the configuration file. A line is never cut short: one that
 * is too long is an error. */
static void config_line(struct loader *l, const char *file, unsigned line, const char *p, size_t n)
{
        (void)file;
        l->lineno = line;
        if (line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
                p += 3, n -= 3;
        if (memchr(p, 0, n)) {
                error_at(l, line, "NUL byte in line");
                return;
        }
        if (n > CFG_MAX_LINE) {
                error_at(l, line, "line too long (%zu bytes, at most %d)", n, CFG_MAX_LINE);
                trim(&p, &n);
                if (n && p[0] == '[') {
                        l->in_section = true;
                        l->has_cur = false;
                }
                return;
        }
        n = comment_start(p, n);
        trim(&p, &n);
        if (n == 0)
                return;
        memcpy(l->line, p, n);
        l->line[n] = 0;
        if (l->line[0] == '[')
                section_header(l, l->line, n);
        else
                key_value(l, l->line);
}

/* ---- checks across keys ------------------------------------------------ */

static void check_service(struct loader *l)
{
        const struct seen *s = &l->seen[SEC_SERVICE];
        const struct cfg_service *sv = &l->c->service;
        unsigned line = key_line(s, CFG_KEY_SERVICE_CRITICAL_DAYS);

        if (key_bad(s, CFG_KEY_SERVICE_WARN_DAYS) || key_bad(s, CFG_KEY_SERVICE_CRITICAL_DAYS))
                return;
        if (sv->critical_days > sv->warn_days)
                error_at(l, line ? line : key_line(s, CFG_KEY_SERVICE_WARN_DAYS),
                         "[service] critical_days (%d) must not exceed warn_days (%d)",
                         sv->critical_days, sv->warn_days);
}

static void note_pki_origins(struct loader *l)
{
        static const enum cfg_key path_keys[CFG_PKI_PATH_KEYS] = {
                [CFG_PKI_TRUST_ANCHORS] = CFG_KEY_PKI_TRUST_ANCHORS,
                [CFG_PKI_INTERMEDIATES] = CFG_KEY_PKI_INTERMEDIATES,
                [CFG_PKI_CRLS] = CFG_KEY_PKI_CRLS,
        };
        const struct seen *s = &l->seen[SEC_PKI];

        for (size_t i = 0; i < CFG_PKI_PATH_KEYS; i++) {
                unsigned line = key_line(s, path_keys[i]);

                if (line && asprintf(&l->c->pki.origin[i], "%s:%u", l->path, line) < 0) {
                        l->c->pki.origin[i] = NULL;
                        l->oom = true;
                }
        }
}

static void check_pki(struct loader *l)
{
        const struct seen *s = &l->seen[SEC_PKI];

        note_pki_origins(l);
        if (!s->header)
                error_at(l, 1, "section [pki] is missing (trust_anchors is required)");
        else if (!key_line(s, CFG_KEY_PKI_TRUST_ANCHORS))
                error_at(l, s->header, "[pki] trust_anchors is required");
}

/* What [directory] needs; its values are judged by directory.c. */
static void check_directory(struct loader *l)
{
        const struct cfg_directory *d = &l->c->directory;
        const struct seen *s = &l->seen[SEC_DIRECTORY];

        if (!d->configured) {
                if (l->need == CFG_NEED_DIRECTORY)
                        error_at(l, 1, "section [directory] is missing (uri and base are required)");
                return;
        }
        if (l->need == CFG_NEED_DIRECTORY) {
                if (!key_line(s, CFG_KEY_DIRECTORY_URI))
                        error_at(l, s->header, "[directory] uri is required");
                if (!key_line(s, CFG_KEY_DIRECTORY_BASE))
                        error_at(l, s->header, "[directory] base is required");
        }
        if (!d->bind_dn && d->password_file)
                error_at(l, key_line(s, CFG_KEY_DIRECTORY_PASSWORD_FILE),
                         "[directory] password_file is set but bind_dn is not");
}

/* Overrides were parsed into the mailbox; the rest comes from [service]. */
static void check_mailboxes(struct loader *l)
{
        const struct seen *sv = &l->seen[SEC_SERVICE];
        bool svc_bad = key_bad(sv, CFG_KEY_SERVICE_WARN_DAYS) || key_bad(sv, CFG_KEY_SERVICE_CRITICAL_DAYS);

        for (size_t i = 0; i < l->c->n_mailboxes; i++) {
                struct cfg_mailbox *m = &l->c->mailboxes[i];
                const struct seen *s = &l->mbx_seen[i];
                unsigned w = key_line(s, CFG_KEY_MAILBOX_WARN_DAYS);
                unsigned k = key_line(s, CFG_KEY_MAILBOX_CRITICAL_DAYS);
                char *q;

                if (!m->key && m->key_password_file) {
                        q = quote(l, m->address);
                        if (q)
                                error_at(l, key_line(s, CFG_KEY_MAILBOX_KEY_PASSWORD_FILE),
                                         "[mailbox %s] key_password_file is set but key is not", q);
                        free(q);
                }
                if (!w)
                        m->warn_days = l->c->service.warn_days;
                if (!k)
                        m->critical_days = l->c->service.critical_days;
                if ((!w && !k) || (svc_bad && (!w || !k)) || key_bad(s, CFG_KEY_MAILBOX_WARN_DAYS) ||
                    key_bad(s, CFG_KEY_MAILBOX_CRITICAL_DAYS) || m->critical_days <= m->warn_days)
                        continue;
                q = quote(l, m->address);
                if (q)
                        error_at(l, k ? k : w, "[mailbox %s] critical_days (%d) must not exceed "
                                 "warn_days (%d)", q, m->critical_days, m->warn_days);
                free(q);
        }
}

/* One mailbox_list line: an address, '#' comments, blank lines. */
static void list_line(struct loader *l, const char *file, unsigned line, const char *p, size_t n)
{
        char *addr, *q;

        n = comment_start(p, n);
        trim(&p, &n);
        if (n == 0)
                return;
        addr = memchr(p, 0, n) ? NULL : strndup(p, n);
        if (addr && util_address_valid(addr)) {
                struct cfg_mailbox *m = loader_find(l, addr) ? NULL : add_mailbox(l, addr, file, line);

                if (m)
                        m->from_list = true;
                free(addr);
                return;
        }
        q = util_sanitize(p, n, QUOTE_MAX);
        if (q)
                error_in(l, file, line, "malformed address '%s'", q);
        else
                l->oom = true;
        free(q);
        free(addr);
}

static void load_mailbox_list(struct loader *l)
{
        const char *file = l->c->service.mailbox_list;
        unsigned char *buf = NULL;
        char ebuf[128];
        size_t len = 0;
        int r;

        if (!file)
                return;
        r = util_read_file(file, UTIL_MAX_FILE_SIZE, &buf, &len);
        if (r < 0) {
                error_at(l, key_line(&l->seen[SEC_SERVICE], CFG_KEY_SERVICE_MAILBOX_LIST),
                         "[service] mailbox_list: cannot read %s: %s", file,
                         util_read_error(r, ebuf, sizeof(ebuf)));
                return;
        }
        for_each_line(l, file, (const char *)buf, len, list_line);
        free(buf);
}

/* ---- the public functions ---------------------------------------------- */

static struct cfg *cfg_new(const char *path)
{
        struct cfg *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->service = (struct cfg_service){ .interval_usec = 6 * 3600 * USEC_PER_SEC,
                                           .warn_days = 30, .critical_days = 7,
                                           .realert_usec = 24 * 3600 * USEC_PER_SEC,
                                           .smtp_port = 25, .min_message_size = 10000000 };
        c->pki.revocation = CFG_REV_CRL;
        c->pki.sources[0] = CFG_SRC_FILES;
        c->pki.sources[1] = CFG_SRC_CRL_DP;
        c->pki.n_sources = 2;
        c->pki.fetch_timeout_usec = 10 * USEC_PER_SEC;
        c->pki.crl_refresh_usec = 3600 * USEC_PER_SEC;
        c->pki.min_rsa_bits = 3000;
        c->pki.min_ec_bits = 256;
        c->directory.scope = CFG_SCOPE_SUB;
        c->directory.timeout_usec = 10 * USEC_PER_SEC;
        c->require_usages = USAGE_ALL;
        c->path = strdup(path);
        c->directory.filter = strdup("(mail=%s)");
        if (!c->path || !c->directory.filter) {
                /* Only these two are set yet (and cfg_free() here made GCC's
                 * analyzer see a double free of two fields still NULL). */
                free(c->path);
                free(c->directory.filter);
                free(c);
                return NULL;
        }
        return c;
}

/* The absolute directory of the configuration file. */
static int config_dir(const char *path, char **ret)
{
        char *copy = strdup(path), *dir;

        if (!copy)
                return -ENOMEM;
        dir = realpath(dirname(copy), NULL);
        free(copy);
        if (!dir)
                return -errno;
        *ret = dir;
        return 0;
}

/* Where the keys of the sections that occur once were written, for cfg_line(). */
static void note_key_lines(struct loader *l)
{
        for (int k = 0; k < CFG_KEY_COUNT; k++)
                if (keys[k].section != SEC_MAILBOX)
                        l->c->key_line[k] = l->seen[keys[k].section].line[k];
}

struct cfg_report {
        struct loader *l;
};

/* The line to blame for key: where it was written, else its section's
 * header; for a key of mailbox m, in m's section (a mailbox of the
 * mailbox_list has none: the line of mailbox_list). */
static unsigned report_line(const struct loader *l, const struct cfg_mailbox *m, enum cfg_key key)
{
        const struct seen *s = &l->seen[keys[key].section];
        size_t i;

        if (keys[key].section == SEC_MAILBOX) {
                i = m ? (size_t)(m - l->c->mailboxes) : SIZE_MAX;
                if (i >= l->n_mbx_seen)
                        return report_line(l, NULL, CFG_KEY_SERVICE_MAILBOX_LIST);
                s = &l->mbx_seen[i];
        }
        return s->line[key] ? s->line[key] : s->header ? s->header : 1;
}

__attribute__((format(printf, 5, 0)))
static void vreport(struct cfg_report *r, const struct cfg_mailbox *m, enum cfg_key key,
                    const char *value, const char *fmt, va_list ap)
{
        struct loader *l = r->l;
        char *msg = NULL, *q = value ? quote(l, value) : NULL, *section = NULL;
        int n;

        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        if (m) {
                char *a = quote(l, m->address);

                n = a ? asprintf(&section, "mailbox %s", a) : -1;
                free(a);
        } else {
                n = asprintf(&section, "%s", section_names[keys[key].section]);
        }
        if (n < 0)
                section = NULL;
        if (!msg || !section || (value && !q))
                l->oom = true;
        else if (value)
                error_at(l, report_line(l, m, key), "[%s] %s '%s': %s", section, keys[key].name, q,
                         msg);
        else
                error_at(l, report_line(l, m, key), "[%s] %s", section, msg);
        free(section);
        free(msg);
        free(q);
}

void cfg_report(struct cfg_report *r, enum cfg_key key, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vreport(r, NULL, key, NULL, fmt, ap);
        va_end(ap);
}

void cfg_report_value(struct cfg_report *r, enum cfg_key key, const char *value, const char *fmt,
                      ...)
{
        va_list ap;

        va_start(ap, fmt);
        vreport(r, NULL, key, value, fmt, ap);
        va_end(ap);
}

void cfg_report_mailbox(struct cfg_report *r, const struct cfg_mailbox *m, enum cfg_key key,
                        const char *value, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vreport(r, m, key, value, fmt, ap);
        va_end(ap);
}

void cfg_report_oom(struct cfg_report *r)
{
        r->l->oom = true;
}

static void parse(struct loader *l, cfg_check *const *checks)
{
        struct cfg_report report = { .l = l };

        for_each_line(l, l->path, l->buf, l->len, config_line);
        note_key_lines(l);
        check_service(l);
        check_pki(l);
        check_directory(l);
        check_mailboxes(l);
        load_mailbox_list(l);
        for (size_t i = 0; checks && checks[i] && !l->oom; i++)
                checks[i](l->c, l->need, &report);
}

/* Closes the message stream; hands out the messages, if any. */
static int finish_errors(struct loader *l, char **errors)
{
        if (!l->err || fclose(l->err) != 0 || l->oom) {
                l->err = NULL;
                return -ENOMEM;
        }
        l->err = NULL;
        if (l->n_errors == 0)
                return 0;
        *errors = l->err_buf;
        l->err_buf = NULL;
        return -EINVAL;
}

int cfg_load(const char *path, enum cfg_need need, cfg_check *const *checks, struct cfg **ret,
             char **errors)
{
        struct loader l = { .path = path, .need = need };
        unsigned char *buf = NULL;
        int r;

        *errors = NULL;
        r = util_read_file(path, UTIL_MAX_FILE_SIZE, &buf, &l.len);
        if (r >= 0)
                r = config_dir(path, &l.dir);
        if (r < 0) {
                char ebuf[128];

                if (asprintf(errors, "%s: cannot read: %s", path,
                             util_read_error(r, ebuf, sizeof(ebuf))) < 0)
                        *errors = NULL;
                goto out;
        }
        l.buf = (const char *)buf;
        l.c = cfg_new(path);
        l.line = malloc(CFG_MAX_LINE + 1);
        l.err = open_memstream(&l.err_buf, &l.err_len);
        if (!l.c || !l.line || !l.err) {
                r = -ENOMEM;
                goto out;
        }
        parse(&l, checks);
        r = finish_errors(&l, errors);
        if (r == 0) {
                *ret = l.c;
                l.c = NULL;
        }
out:
        if (l.err)
                fclose(l.err);
        free(l.err_buf);
        free(l.cur_name);
        free(l.line);
        free(l.mbx_seen);
        free(l.mbx_index);
        free(l.dir);
        free(buf);
        cfg_free(l.c);
        return r;
}

void cfg_free(struct cfg *c)
{
        if (!c)
                return;
        free(c->path);
        free(c->service.mailbox_list);
        free(c->service.smtp_host);
        free(c->service.metrics_file);
        for (size_t i = 0; i < CFG_PKI_PATH_KEYS; i++)
                free(c->pki.origin[i]);
        free(c->pki.trust_anchors);
        free(c->pki.intermediates);
        free(c->pki.http_proxy);
        util_strv_free(c->pki.crls, c->pki.n_crls);
        util_strv_free(c->pki.require_policy, c->pki.n_require_policy);
        util_strv_free(c->directory.uris, c->directory.n_uris);
        free(c->directory.base);
        free(c->directory.filter);
        free(c->directory.discover);
        free(c->directory.bind_dn);
        free(c->directory.password_file);
        free(c->directory.tls_ca_file);
        for (size_t i = 0; i < c->n_mailboxes; i++) {
                free(c->mailboxes[i].address);
                free(c->mailboxes[i].certificates);
                free(c->mailboxes[i].key);
                free(c->mailboxes[i].key_password_file);
                free(c->mailboxes[i].origin);
        }
        free(c->mailboxes);
        free(c);
}

const struct cfg_mailbox *cfg_find_mailbox(const struct cfg *c, const char *address)
{
        return find_mailbox(c, address);
}

unsigned cfg_line(const struct cfg *c, enum cfg_key key)
{
        return c->key_line[key];
}

const char *cfg_key_name(enum cfg_key key)
{
        return keys[key].name;
}
