/* SPDX-License-Identifier: EUPL-1.2 */
/* The configuration file (INTERFACE.md, "Configuration"), parsed into a
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

struct cfg_service {
        uint64_t interval_usec;         /* default 6h, at least 10s */
        int warn_days;                  /* default 30 */
        int critical_days;              /* default 7, not above warn_days */
        uint64_t realert_usec;          /* default 24h */
        char *mailbox_list;             /* NULL when unset */
        char *metrics_file;             /* Prometheus textfile; NULL when unset */
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
};

struct cfg_mailbox {
        char *address;
        char *certificates;             /* NULL when unset */
        char *key;                      /* the private key staff hold; NULL: not checked */
        char *key_password_file;        /* NULL: the credential key-password-ADDRESS, if any */
        int warn_days;                  /* resolved: the override or [service] */
        int critical_days;
        char *origin;                   /* "FILE:LINE" where it was configured */
};

struct cfg {
        char *path;
        struct cfg_service service;
        struct cfg_pki pki;
        struct cfg_directory directory;
        unsigned require_usages;        /* USAGE_ bits; default both */
        struct cfg_mailbox *mailboxes;  /* sections first, then mailbox_list */
        size_t n_mailboxes;
};

enum cfg_need {
        CFG_NEED_PKI,                   /* --check-cert: [pki] alone is enough */
        CFG_NEED_DIRECTORY,             /* --verify and the service */
};

/* Parses path. On success *ret is a new configuration and 0 is returned.
 * Otherwise nothing is returned in *ret, *errors holds every problem found,
 * one "FILE:LINE: what is wrong" per line (caller frees), and the result is
 * -EINVAL for a wrong configuration or -errno when the file cannot be read.
 * A password file that others can read, a password sent over an
 * unencrypted connection and an unreadable mailbox_list are errors too. */
int cfg_load(const char *path, enum cfg_need need, struct cfg **ret, char **errors);
void cfg_free(struct cfg *c);

/* The configured mailbox with this address (compared as util_address_equal). */
const struct cfg_mailbox *cfg_find_mailbox(const struct cfg *c, const char *address);

/* Reads the bind password (first line, without its newline) from
 * password_file, refusing a file that others can read. 0 or -errno; *err
 * explains (caller frees). The caller wipes and frees *ret. */
int cfg_read_password(const struct cfg_directory *d, char **ret, char **err);

#endif
