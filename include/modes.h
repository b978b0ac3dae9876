/* SPDX-License-Identifier: EUPL-1.2 */
/* The one-shot modes of the command line. Each returns the process exit
 * status, so tests can call them like main() does. */
#ifndef SMIMEWATCH_MODES_H
#define SMIMEWATCH_MODES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define EXIT_USAGE 64
#define EXIT_CONFIG 78

/* --format; --json is FORMAT_JSON. */
enum mode_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS, FORMAT_PLUGIN };

/* FORMAT_ for "text", "json", "prometheus" or "plugin"; -1 otherwise. */
int mode_format_from_name(const char *name);

struct mode_options {
        const char *config_path;        /* never NULL */
        enum mode_format format;
        bool has_format;                /* --format or --json given */
        bool has_at;
        time_t at;                      /* with has_at: the evaluation time */
        bool offline;                   /* --offline: no fetching, only the cache and files */
        const char *cert_file;          /* --check-cert FILE */
        const char *mailbox;            /* --mailbox ADDRESS, or NULL */
        char **addresses;               /* --verify ADDRESS... */
        size_t n_addresses;
};

int mode_check_config(const struct mode_options *o);
int mode_check_cert(const struct mode_options *o);
int mode_verify(const struct mode_options *o);
/* The mailboxes --verify would check, one "ADDRESS ORIGIN" line each. */
int mode_list_mailboxes(const struct mode_options *o);

#endif
