/* SPDX-License-Identifier: EUPL-1.2 */
/* The configuration file (smimewatch.conf(5)), parsed into a
 * fresh struct that is thrown away whole on any error, so that a reload
 * can never leave a half-applied configuration behind. */
#ifndef SMIMEWATCH_CONFIG_H
#define SMIMEWATCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_DEFAULT_PATH "/etc/smimewatch/smimewatch.conf"

enum cfg_scope { CFG_SCOPE_BASE, CFG_SCOPE_ONE, CFG_SCOPE_SUB };

enum cfg_pki_path { CFG_PKI_TRUST_ANCHORS, CFG_PKI_INTERMEDIATES, CFG_PKI_CRLS, CFG_PKI_PATH_KEYS };

/* [pki] revocation: how revocation is checked (0 is off, so that the
 * value still reads as "checking at all"). */
enum cfg_revocation { CFG_REV_OFF, CFG_REV_CRL, CFG_REV_OCSP, CFG_REV_OCSP_THEN_CRL };
/* [pki] revocation_sources: where CRLs come from. */
enum cfg_rev_source { CFG_SRC_FILES, CFG_SRC_CRL_DP, CFG_SRC_CRL_DIRECTORY, CFG_SRC_COUNT };

/* Longest line of the file, without its line end (comments included). */
#define CFG_MAX_LINE 65536

/* Every key of the file, one row each: the only list of keys there is.
 *
 *   X(ID, SECTION, "name", parser, field, min, max, required)
 *
 * ID becomes CFG_KEY_<ID> (enum cfg_key), the name code uses: a misspelt
 * key does not compile. SECTION is SERVICE, PKI, DIRECTORY, POLICY or
 * MAILBOX; field is the member of that section's struct below (POLICY:
 * struct cfg) that parse_<parser> in config.c fills; min and max bound
 * numbers (durations in seconds); required: an empty value is an error.
 *
 * To add a key: add its row here and its field to the section's struct;
 * a default other than 0/NULL goes into cfg_new(), a rule that spans
 * several keys into config.c's checks (or the owning module's, see
 * load.c); then document it in man/smimewatch.conf.5 and
 * conf/smimewatch.conf. A new kind of value needs a parse_<parser>. */
#define CFG_KEYS(X)                                                                     \
        X(SERVICE_INTERVAL, SERVICE, "interval", duration, interval_usec, 10, 7 * 86400, false) \
        X(SERVICE_WARN_DAYS, SERVICE, "warn_days", int, warn_days, 0, CFG_DAYS_MAX, false) \
        X(SERVICE_CRITICAL_DAYS, SERVICE, "critical_days", int, critical_days, 0, CFG_DAYS_MAX, false) \
        X(SERVICE_REALERT, SERVICE, "realert", duration, realert_usec, 10, 30 * 86400, false) \
        X(SERVICE_MAILBOX_LIST, SERVICE, "mailbox_list", path, mailbox_list, 0, 0, false) \
        X(SERVICE_METRICS_FILE, SERVICE, "metrics_file", metrics_file, metrics_file, 0, 0, false) \
        X(SERVICE_SMTP, SERVICE, "smtp", smtp, smtp_host, 0, 0, false)                  \
        X(SERVICE_MIN_MESSAGE_SIZE, SERVICE, "min_message_size", size, min_message_size, 0, 0, false) \
        X(PKI_TRUST_ANCHORS, PKI, "trust_anchors", file_or_dir, trust_anchors, 0, 0, true) \
        X(PKI_INTERMEDIATES, PKI, "intermediates", file_or_dir, intermediates, 0, 0, false) \
        X(PKI_CRLS, PKI, "crls", crls, crls, 0, 0, false)                               \
        X(PKI_REVOCATION, PKI, "revocation", revocation, revocation, 0, 0, false)       \
        X(PKI_REVOCATION_SOURCES, PKI, "revocation_sources", sources, sources, 0, 0, false) \
        X(PKI_HTTP_PROXY, PKI, "http_proxy", http_proxy, http_proxy, 0, 0, false)       \
        X(PKI_FETCH_TIMEOUT, PKI, "fetch_timeout", duration, fetch_timeout_usec, 1, 300, false) \
        X(PKI_CRL_REFRESH, PKI, "crl_refresh", duration, crl_refresh_usec, 10, 30 * 86400, false) \
        X(PKI_REQUIRE_POLICY, PKI, "require_policy", policies, require_policy, 0, 0, false) \
        X(PKI_MIN_RSA_BITS, PKI, "min_rsa_bits", unsigned, min_rsa_bits, 2048, 16384, false) \
        X(PKI_MIN_EC_BITS, PKI, "min_ec_bits", unsigned, min_ec_bits, 224, 571, false)  \
        X(DIRECTORY_URI, DIRECTORY, "uri", uris, uris, 0, 0, true)                      \
        X(DIRECTORY_BASE, DIRECTORY, "base", string, base, 0, 0, true)                      \
        X(DIRECTORY_SCOPE, DIRECTORY, "scope", scope, scope, 0, 0, false)               \
        X(DIRECTORY_FILTER, DIRECTORY, "filter", filter, filter, 0, 0, false)           \
        X(DIRECTORY_BIND_DN, DIRECTORY, "bind_dn", string, bind_dn, 0, 0, false)            \
        X(DIRECTORY_PASSWORD_FILE, DIRECTORY, "password_file", path, password_file, 0, 0, false) \
        X(DIRECTORY_STARTTLS, DIRECTORY, "starttls", bool, starttls, 0, 0, false)       \
        X(DIRECTORY_TLS_CA_FILE, DIRECTORY, "tls_ca_file", readable_file, tls_ca_file, 0, 0, false) \
        X(DIRECTORY_TIMEOUT, DIRECTORY, "timeout", duration, timeout_usec, 1, 300, false) \
        X(DIRECTORY_DISCOVER, DIRECTORY, "discover", discover, discover, 0, 0, false)   \
        X(POLICY_REQUIRE, POLICY, "require", usages, require_usages, 0, 0, false)       \
        X(MAILBOX_CERTIFICATES, MAILBOX, "certificates", file, certificates, 0, 0, false) \
        /* An unreadable key file is a verdict of the check (DECRYPTION_KEY_UNREADABLE). */ \
        X(MAILBOX_KEY, MAILBOX, "key", path, key, 0, 0, false)                          \
        X(MAILBOX_KEY_PASSWORD_FILE, MAILBOX, "key_password_file", path, key_password_file, 0, 0, false) \
        X(MAILBOX_WARN_DAYS, MAILBOX, "warn_days", int, warn_days, 0, CFG_DAYS_MAX, false) \
        X(MAILBOX_CRITICAL_DAYS, MAILBOX, "critical_days", int, critical_days, 0, CFG_DAYS_MAX, false)

#define CFG_DAYS_MAX 3650

enum cfg_key {
#define CFG_KEY_ENUM(id, ...) CFG_KEY_##id,
        CFG_KEYS(CFG_KEY_ENUM)
#undef CFG_KEY_ENUM
        CFG_KEY_COUNT
};

struct cfg_service {
        uint64_t interval_usec;         /* default 6h, at least 10s */
        int warn_days;                  /* default 30 */
        int critical_days;              /* default 7, not above warn_days */
        uint64_t realert_usec;          /* default 24h */
        char *mailbox_list;             /* NULL when unset */
        char *metrics_file;             /* Prometheus textfile; NULL when unset */
        char *smtp_host;                /* [service] smtp; NULL: no SIZE check */
        int smtp_port;                  /* default 25 */
        uint64_t min_message_size;      /* octets; default 10 MB (10,000,000) */
};

struct cfg_pki {
        char *trust_anchors;            /* required */
        char *intermediates;            /* NULL when unset */
        char **crls;                    /* n_crls paths */
        size_t n_crls;
        enum cfg_revocation revocation; /* default crl; CFG_REV_OFF is 0 */
        enum cfg_rev_source sources[CFG_SRC_COUNT];    /* CRL sources in order */
        size_t n_sources;               /* default: files crl-dp */
        char *http_proxy;               /* "http://host:port"; NULL: direct */
        uint64_t fetch_timeout_usec;    /* default 10s, per fetch */
        uint64_t crl_refresh_usec;      /* default 1h: a cached CRL is fetched again after this */
        char **require_policy;          /* dotted OIDs; n_require_policy == 0: none */
        size_t n_require_policy;
        unsigned min_rsa_bits;          /* default 3000 */
        unsigned min_ec_bits;           /* default 256 */
        /* "FILE:LINE" of trust_anchors, intermediates and crls (NULL when
         * not set), so that errors found when loading them can say where. */
        char *origin[CFG_PKI_PATH_KEYS];
};

struct cfg_directory {
        bool configured;                /* the file has a [directory] section */
        char **uris;                    /* n_uris, in order */
        size_t n_uris;
        char *base;
        enum cfg_scope scope;           /* default sub */
        char *filter;                   /* default "(mail=%s)", exactly one %s */
        char *bind_dn;                  /* NULL: anonymous */
        char *password_file;            /* resolved path; NULL when anonymous */
        bool starttls;
        char *tls_ca_file;              /* NULL: the system store */
        uint64_t timeout_usec;          /* default 10s */
        char *discover;                 /* filter whose entries' mail values are mailboxes; NULL: none */
};

struct cfg_mailbox {
        char *address;
        char *certificates;             /* NULL when unset */
        char *key;                      /* the private key staff hold; NULL: not checked */
        char *key_password_file;        /* NULL: the credential key-password-ADDRESS, if any */
        int warn_days;                  /* resolved: the override or [service] */
        int critical_days;
        char *origin;                   /* "FILE:LINE" where it was configured */
        bool from_list;                 /* from mailbox_list, not a [mailbox] section */
};

struct cfg {
        char *path;
        struct cfg_service service;
        struct cfg_pki pki;
        struct cfg_directory directory;
        unsigned require_usages;        /* USAGE_ bits; default both */
        struct cfg_mailbox *mailboxes;  /* sections first, then mailbox_list */
        size_t n_mailboxes;
        /* The line of path where each key of [service], [pki], [directory]
         * and [policy] was written (0: not written), so that the modules
         * that judge a value can say where it is (cfg_line()). */
        unsigned key_line[CFG_KEY_COUNT];
};

enum cfg_need {
        CFG_NEED_PKI,                   /* --check-cert: [pki] alone is enough */
        CFG_NEED_DIRECTORY,             /* --verify and the service */
};

/* Reports what a module's check finds wrong in the settings, at the line of
 * the key concerned (the section header, or line 1, when the key was not
 * written): "FILE:LINE: [section] " and the message. */
struct cfg_report;
void cfg_report(struct cfg_report *r, enum cfg_key key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* "FILE:LINE: [section] key 'value': " and the message; value is escaped. */
void cfg_report_value(struct cfg_report *r, enum cfg_key key, const char *value,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same for a key of the [mailbox ADDRESS] section of m (one of
 * c->mailboxes): "FILE:LINE: [mailbox ADDRESS] key 'value': " (value NULL:
 * "FILE:LINE: [mailbox ADDRESS] ") and the message. */
void cfg_report_mailbox(struct cfg_report *r, const struct cfg_mailbox *m, enum cfg_key key,
                        const char *value, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Out of memory while checking: cfg_load() fails with -ENOMEM. */
void cfg_report_oom(struct cfg_report *r);

/* A module's rules for the settings it uses (URIs and DNs: directory.c,
 * policy OIDs: pki.c), run once the whole file is read. It reports each
 * problem and may complete its settings (the bind password's credential). */
typedef void cfg_check(struct cfg *c, enum cfg_need need, struct cfg_report *r);

/* Parses path into data: syntax, types, ranges, paths that must exist, and
 * rules across keys; then runs each of the NULL-terminated checks (NULL:
 * none; load_settings() in load.c passes every module's). On success *ret
 * is a new configuration and 0 is returned. Otherwise nothing is returned
 * in *ret, *errors holds every problem found, one "FILE:LINE: what is
 * wrong" per line (caller frees), and the result is -EINVAL for a wrong
 * configuration or -errno when the file cannot be read. An unreadable
 * mailbox_list is an error too. */
int cfg_load(const char *path, enum cfg_need need, cfg_check *const *checks, struct cfg **ret,
             char **errors);
void cfg_free(struct cfg *c);

/* The configured mailbox with this address (compared as util_address_equal). */
const struct cfg_mailbox *cfg_find_mailbox(const struct cfg *c, const char *address);

/* The line of c->path where key was written, 0 when it was not (always 0
 * for the keys of [mailbox ADDRESS] sections: see cfg_mailbox.origin). */
unsigned cfg_line(const struct cfg *c, enum cfg_key key);
/* The key's name as written in the file, e.g. "critical_days". */
const char *cfg_key_name(enum cfg_key key);

#endif
