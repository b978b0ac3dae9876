/* SPDX-License-Identifier: EUPL-1.2 */
/* The one-shot modes: --check-config, --check-cert and --verify. */
#include "modes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cycle.h"
#include "directory.h"
#include "evaluate.h"
#include "load.h"
#include "metrics.h"
#include "pki.h"
#include "plugin.h"
#include "report.h"
#include "revocation.h"
#include "secret.h"
#include "util.h"

/* Loads the configuration and the PKI it names; on failure prints why
 * and returns EXIT_CONFIG. */
static int load(const struct mode_options *o, enum cfg_need need, struct cfg **ret_cfg,
                struct pki **ret_pki)
{
        char *errors = NULL;

        if (load_configuration(o->config_path, need, ret_cfg, ret_pki, &errors) < 0) {
                /* One "FILE:LINE: what is wrong" per line, every one of them. */
                fprintf(stderr, "%s\n", errors ? errors : "cannot load the configuration");
                free(errors);
                return EXIT_CONFIG;
        }
        return 0;
}

int mode_format_from_name(const char *name)
{
        static const char *const names[] = { "text", "json", "prometheus", "plugin" };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(name, names[i]) == 0)
                        return (int)i;
        return -1;
}

static bool use_color(void)
{
        const char *term = getenv("TERM");

        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0;
}

static int output_done(int rc, int status)
{
        if (rc < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "smimewatch: cannot write the report: %s\n",
                        strerror(rc < 0 ? -rc : errno));
                return SW_UNKNOWN;
        }
        return status;
}

/* The revocation options of a one-shot mode: the service's cache, used
 * read-only when it cannot be written (the files just are not replaced). */
static int rev_options(const struct mode_options *o, struct rev_opts *ro, char **dir)
{
        *dir = rev_cache_dir();
        if (!*dir)
                return -ENOMEM;
        if (!o->offline)
                (void)mkdir(*dir, 0700);
        *ro = (struct rev_opts){ .cache_dir = *dir, .offline = o->offline };
        return 0;
}

/* Sources that failed: on stderr, once each, not per mailbox. */
static void print_rev_failures(const struct rev_material *m)
{
        size_t n;
        const struct rev_failure *f = rev_failures(m, &n);

        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "smimewatch: revocation source '%s': %s\n", f[i].source, f[i].why);
}

int mode_check_config(const struct mode_options *o)
{
        struct pki *pki = NULL;
        struct cfg *c = NULL;
        char *password = NULL, *err = NULL;
        int rc;

        rc = load(o, CFG_NEED_PKI, &c, &pki);
        if (rc)
                return rc;
        /* From a shell, $CREDENTIALS_DIRECTORY is unset: the password that
         * systemd will hand over (LoadCredential=) cannot be checked here. */
        if (c->directory.bind_dn && !c->directory.password_file)
                fprintf(stderr, "smimewatch: note: the bind password is not checked: it comes from "
                        "$CREDENTIALS_DIRECTORY/ldap-password when systemd runs the service "
                        "(LoadCredential=ldap-password:...)\n");
        else if (c->directory.bind_dn && dir_read_password(&c->directory, &password, &err) < 0) {
                fprintf(stderr, "%s: [directory] %s\n", c->path, err ? err : "cannot read the password");
                rc = EXIT_CONFIG;
                goto out;
        }
        rc = output_done(printf("configuration OK\n") < 0 ? -EIO : 0, 0);
        if (rc != 0)
                goto out;
        if (!c->directory.configured)
                fprintf(stderr, "smimewatch: note: %s has no [directory] section; only --check-cert "
                        "can use it\n", c->path);
        else if (c->n_mailboxes == 0 && !c->directory.discover)
                fprintf(stderr, "smimewatch: note: %s configures no mailbox\n", c->path);
out:
        secret_free(password);
        free(err);
        pki_free(pki);
        cfg_free(c);
        return rc;
}

/* --check-cert has no mailbox verdict to carry the expiry warning, so the
 * certificate itself gets CERT_EXPIRING (documented in smimewatch(8)). */
static int add_expiry(struct cert_result *r, int warn_days, int critical_days)
{
        enum sw_status level = r->days_left <= critical_days ? SW_CRITICAL : SW_WARNING;
        struct problem *p;
        char date[11];

        if (!r->usable_for || r->days_left > warn_days)
                return 0;
        p = problem_add(&r->problems, PROBLEM_CERT_EXPIRING, level,
                        "certificate expires in %ld day%s (%s)", r->days_left,
                        r->days_left == 1 ? "" : "s", util_format_date(r->not_after, date));
        if (!p)
                return -ENOMEM;
        p->has_days_left = true;
        p->days_left = r->days_left;
        return 0;
}

/* 0, or the exit status when the file cannot be evaluated at all. */
static int evaluate_file(const struct mode_options *o, const struct cfg *c, const struct pki *pki,
                         time_t now, struct cert_result *r)
{
        const struct cfg_mailbox *mb = o->mailbox ? cfg_find_mailbox(c, o->mailbox) : NULL;
        struct pki_file f;
        int rc;

        rc = pki_read_file(o->cert_file, &f);
        if (rc == 0 && f.error < 0 && f.error != -EBADMSG) {
                fprintf(stderr, "smimewatch: cannot read '%s': %s\n", o->cert_file, f.why);
                pki_file_free(&f);
                return SW_UNKNOWN;
        }
        if (rc == 0 && f.error < 0) {
                rc = eval_unparsable(f.data, f.len, f.why, r);
        } else if (rc == 0) {
                STACK_OF(X509) *rest = sk_X509_dup(f.certs);
                X509 *subject = rest ? sk_X509_shift(rest) : NULL;
                struct rev_material *m = NULL;
                struct eval_ctx ctx;
                struct rev_opts ro;
                char *dir = NULL;

                eval_ctx_init(&ctx, pki, now);
                rc = subject ? rev_options(o, &ro, &dir) : -ENOMEM;
                if (rc == 0)
                        rc = rev_gather(c, pki, &ro, f.certs, now, &m);
                if (rc == 0) {
                        print_rev_failures(m);
                        ctx.crls = rev_crls(m, NULL);
                        ctx.rev = m;
                        rc = eval_cert(&ctx, subject, rest, o->mailbox, r);
                }
                rev_material_free(m);
                free(dir);
                sk_X509_free(rest);
                if (rc >= 0)
                        rc = add_expiry(r, mb ? mb->warn_days : c->service.warn_days,
                                        mb ? mb->critical_days : c->service.critical_days);
        }
        r->source = CERT_SOURCE_FILE;
        if (rc >= 0 && !(r->origin = util_cut(o->cert_file, strlen(o->cert_file), 4096)))
                rc = -ENOMEM;
        pki_file_free(&f);
        if (rc < 0) {
                fprintf(stderr, "smimewatch: out of memory\n");
                return SW_UNKNOWN;
        }
        return 0;
}

int mode_check_cert(const struct mode_options *o)
{
        struct cert_result r = { 0 };
        struct pki *pki = NULL;
        struct cfg *c = NULL;
        time_t now = o->has_at ? o->at : time(NULL);
        enum sw_status status;
        int rc;

        rc = load(o, CFG_NEED_PKI, &c, &pki);
        if (rc)
                return rc;
        rc = evaluate_file(o, c, pki, now, &r);
        if (rc != 0)
                goto out;
        status = problem_list_worst(&r.problems);
        if (o->format == FORMAT_JSON)
                rc = report_check_cert_json(stdout, &r, o->mailbox, now, status);
        else
                rc = report_check_cert_text(stdout, &r, o->mailbox, now, status, use_color());
        rc = output_done(rc, status);
out:
        cert_result_free(&r);
        pki_free(pki);
        cfg_free(c);
        return rc;
}

/* The configured mailboxes, or those named on the command line (with the
 * global settings where they are not configured). */
static struct cfg_mailbox *select_mailboxes(const struct mode_options *o, const struct cfg *c,
                                            size_t *ret_n)
{
        struct cfg_mailbox *m;

        if (o->n_addresses == 0) {
                *ret_n = c->n_mailboxes;
                m = calloc(c->n_mailboxes ? c->n_mailboxes : 1, sizeof(*m));
                if (m && c->n_mailboxes)
                        memcpy(m, c->mailboxes, c->n_mailboxes * sizeof(*m));
                return m;
        }
        m = calloc(o->n_addresses, sizeof(*m));
        if (!m)
                return NULL;
        for (size_t i = 0; i < o->n_addresses; i++) {
                const struct cfg_mailbox *known = cfg_find_mailbox(c, o->addresses[i]);

                m[i] = known ? *known : (struct cfg_mailbox){
                        .address = o->addresses[i],
                        .warn_days = c->service.warn_days,
                        .critical_days = c->service.critical_days,
                };
        }
        *ret_n = o->n_addresses;
        return m;
}

int mode_verify(const struct mode_options *o)
{
        struct cycle_result result = { 0 };
        struct cfg_mailbox *mailboxes = NULL;
        struct pki *pki = NULL;
        struct cfg *c = NULL;
        time_t now = o->has_at ? o->at : time(NULL);
        struct rev_opts ro;
        char *cache_dir = NULL;
        size_t n = 0;
        int rc;

        rc = load(o, CFG_NEED_DIRECTORY, &c, &pki);
        if (rc)
                return rc;
        mailboxes = select_mailboxes(o, c, &n);
        if (!mailboxes) {
                rc = SW_UNKNOWN;
                goto out;
        }
        if (n == 0 && !c->directory.discover) {
                fprintf(stderr, "%s: no mailbox configured: add [mailbox ADDRESS] sections, "
                        "mailbox_list or [directory] discover, or name addresses after --verify\n",
                        c->path);
                rc = EXIT_CONFIG;
                goto out;
        }
        /* Named addresses are checked alone, without discovery. */
        if (rev_options(o, &ro, &cache_dir) < 0 ||
            (o->n_addresses ? cycle_run(c, pki, mailboxes, n, now, &ro, &result)
                            : cycle_run_all(c, pki, now, &ro, &result)) < 0) {
                fprintf(stderr, "smimewatch: out of memory\n");
                rc = SW_UNKNOWN;
                goto out;
        }
        print_rev_failures(result.revocation);
        switch (o->format) {
        case FORMAT_JSON: rc = report_verify_json(stdout, &result); break;
        case FORMAT_PROMETHEUS: rc = metrics_write(stdout, &result); break;
        case FORMAT_PLUGIN:
                rc = plugin_write(stdout, &result, c->service.warn_days, c->service.critical_days);
                break;
        case FORMAT_TEXT: rc = report_verify_text(stdout, &result, use_color()); break;
        }
        rc = output_done(rc, result.status);
out:
        cycle_result_free(&result);
        free(cache_dir);
        free(mailboxes);
        pki_free(pki);
        cfg_free(c);
        return rc;
}

int mode_list_mailboxes(const struct mode_options *o)
{
        struct cycle_set set = { 0 };
        struct pki *pki = NULL;
        struct cfg *c = NULL;
        char *why = NULL;
        int rc, w = 0;

        rc = load(o, CFG_NEED_DIRECTORY, &c, &pki);
        if (rc)
                return rc;
        if (cycle_set_make(c, &set) < 0) {
                fprintf(stderr, "smimewatch: out of memory\n");
                rc = SW_UNKNOWN;
                goto out;
        }
        for (size_t i = 0; i < set.n && w >= 0; i++) {
                char *a = util_escape(set.mailboxes[i].address);

                w = a ? printf("%s %s\n", a, cycle_origin_name(set.origins[i])) : -1;
                free(a);
        }
        rc = output_done(w < 0 ? -EIO : 0, set.discovery_reason ? SW_UNKNOWN : 0);
        why = set.discovery_reason ? util_escape(set.discovery_reason) : NULL;
        if (set.discovery)
                fprintf(stderr, "smimewatch: discovery found %zu address%s in %zu entr%s, %zu of "
                        "them not configured%s%s\n", set.n_found, set.n_found == 1 ? "" : "es",
                        set.n_entries, set.n_entries == 1 ? "y" : "ies", set.n_added,
                        set.discovery_reason ? "; INCOMPLETE: " : "",
                        set.discovery_reason ? (why ? why : "out of memory") : "");
        free(why);
out:
        cycle_set_free(&set);
        pki_free(pki);
        cfg_free(c);
        return rc;
}
