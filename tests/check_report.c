/* SPDX-License-Identifier: EUPL-1.2 */
/* The report module on hand-built results: the JSON document field by
 * field (parsed back with jansson), the text report's facts, colour and
 * escaping, write errors, and advice for every problem code. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "evaluate.h"
#include "mailbox.h"
#include "report.h"
#include "testlib.h"
#include "util.h"

#define DAY 86400
#define ARROW "\xe2\x86\x92"

static time_t t0;       /* 2026-11-28T20:00:00Z, the evaluation time */

static void setup(void)
{
        ck_assert_int_eq(util_parse_time("2026-11-28T20:00:00Z", &t0), 0);
}

/* ---- building results by hand ---- */

static char *xstrdup(const char *s)
{
        char *d = strdup(s);

        ck_assert_ptr_nonnull(d);
        return d;
}

/* A good directory certificate expiring days (and an hour) after t0. */
static void cert_init(struct cert_result *r, const char *cn, const char *serial, char fill,
                      long days, unsigned usages)
{
        char subject[256];

        memset(r, 0, sizeof(*r));
        snprintf(subject, sizeof(subject), "CN=%s,O=Landratsamt Beispiel,C=DE", cn);
        r->source = CERT_SOURCE_DIRECTORY;
        r->attribute = xstrdup("userCertificate;binary");
        r->origin = xstrdup("cn=Poststelle,o=Beispiel,c=DE");
        r->subject = xstrdup(subject);
        r->issuer = xstrdup("CN=Bayern-PKI Issuing CA,O=Freistaat Bayern,C=DE");
        r->serial = xstrdup(serial);
        memset(r->sha256, fill, 64);
        r->sha256[64] = 0;
        r->not_after = t0 + days * DAY + 3600;
        r->not_before = r->not_after - 3 * 365 * DAY;
        r->days_left = days;
        strcpy(r->key, "RSA-3072");
        r->usages = usages;
        r->path_valid = true;
        r->revocation = REV_GOOD;
        r->usable_for = usages;
}

/* What eval_unparsable() leaves: only the source, sha256 and a problem. */
static void cert_init_unparsable(struct cert_result *r, char fill)
{
        memset(r, 0, sizeof(*r));
        r->source = CERT_SOURCE_DIRECTORY;
        r->attribute = xstrdup("userCertificate;binary");
        r->origin = xstrdup("cn=Kaemmerei,o=Beispiel,c=DE");
        memset(r->sha256, fill, 64);
        r->sha256[64] = 0;
        ck_assert_ptr_nonnull(problem_add(&r->problems, PROBLEM_CERT_UNPARSABLE, SW_CRITICAL,
                                          "value 2 of userCertificate;binary is not a certificate"));
}

static void cert_done(struct cert_result *r)
{
        free(r->attribute);
        free(r->origin);
        free(r->subject);
        free(r->issuer);
        free(r->serial);
        free(r->path_error);
        free(r->rev_source.kind);
        free(r->rev_source.location);
        problem_list_free(&r->problems);
}

static void mbx_init(struct mailbox_result *m, const char *address, enum sw_status status)
{
        memset(m, 0, sizeof(*m));
        m->address = xstrdup(address);
        m->status = status;
        m->best_encryption = m->best_signature = -1;
}

static void mbx_entry(struct mailbox_result *m, const char *dn)
{
        m->entries = realloc(m->entries, (m->n_entries + 1) * sizeof(*m->entries));
        ck_assert_ptr_nonnull(m->entries);
        m->entries[m->n_entries++] = xstrdup(dn);
}

/* A new certificate slot of m (zeroed); its index. */
static int mbx_cert(struct mailbox_result *m)
{
        m->certs = realloc(m->certs, (m->n_certs + 1) * sizeof(*m->certs));
        ck_assert_ptr_nonnull(m->certs);
        memset(&m->certs[m->n_certs], 0, sizeof(*m->certs));
        return (int)m->n_certs++;
}

static struct problem *mbx_problem(struct mailbox_result *m, enum problem_code code,
                                   enum sw_status level, unsigned usage, int cert,
                                   const char *msg)
{
        struct problem *p = problem_add(&m->problems, code, level, "%s", msg);

        ck_assert_ptr_nonnull(p);
        p->usage = usage;
        p->cert = cert;
        return p;
}

static void mbx_done(struct mailbox_result *m)
{
        free(m->address);
        for (size_t i = 0; i < m->n_entries; i++)
                free(m->entries[i]);
        free(m->entries);
        for (size_t i = 0; i < m->n_certs; i++)
                cert_done(&m->certs[i]);
        free(m->certs);
        problem_list_free(&m->problems);
}

static void cycle_init(struct cycle_result *c, size_t n)
{
        memset(c, 0, sizeof(*c));
        c->checked_at = t0;
        c->mailboxes = calloc(n ? n : 1, sizeof(*c->mailboxes));
        ck_assert_ptr_nonnull(c->mailboxes);
        c->n_mailboxes = n;
}

/* Counts and overall status from the mailboxes, as cycle_run() does. */
static void cycle_tally(struct cycle_result *c)
{
        c->status = SW_OK;
        for (size_t i = 0; i < c->n_mailboxes; i++) {
                c->counts[c->mailboxes[i].status]++;
                c->status = sw_status_worse(c->status, c->mailboxes[i].status);
        }
}

static void cycle_done(struct cycle_result *c)
{
        for (size_t i = 0; i < c->n_mailboxes; i++)
                mbx_done(&c->mailboxes[i]);
        free(c->mailboxes);
        free(c->directory_reason);
}

/* Four mailboxes: ok, warning (expiring encryption certificate and a
 * stale expired one), critical (expired and unparsable values), unknown
 * (a search that timed out). */
static void cycle_sample(struct cycle_result *c)
{
        struct mailbox_result *m;
        struct problem *p;
        int k;

        cycle_init(c, 4);
        m = &c->mailboxes[0];
        mbx_init(m, "poststelle@lra-beispiel.example", SW_OK);
        mbx_entry(m, "cn=Poststelle,ou=Landratsamt,o=Beispiel,c=DE");
        k = mbx_cert(m);
        cert_init(&m->certs[k], "Poststelle", "0A1B2C", 'a', 458, USAGE_ALL);
        m->best_encryption = m->best_signature = 0;

        m = &c->mailboxes[1];
        mbx_init(m, "bauamt@lra-beispiel.example", SW_WARNING);
        mbx_entry(m, "cn=Bauamt,ou=Landratsamt,o=Beispiel,c=DE");
        k = mbx_cert(m);
        cert_init(&m->certs[k], "Bauamt", "11", 'b', 12, USAGE_ENCRYPTION);
        k = mbx_cert(m);
        cert_init(&m->certs[k], "Bauamt", "12", 'c', 400, USAGE_SIGNATURE);
        k = mbx_cert(m);
        cert_init(&m->certs[k], "Bauamt", "10", 'd', -400, USAGE_ENCRYPTION);
        m->certs[k].usable_for = 0;
        ck_assert_ptr_nonnull(problem_add(&m->certs[k].problems, PROBLEM_CERT_EXPIRED, SW_CRITICAL,
                                          "certificate expired on 2025-10-24"));
        m->best_encryption = 0;
        m->best_signature = 1;
        p = mbx_problem(m, PROBLEM_CERT_EXPIRING, SW_WARNING, USAGE_ENCRYPTION, 0,
                        "encryption certificate expires in 12 days (2026-12-10)");
        p->has_days_left = true;
        p->days_left = 12;
        mbx_problem(m, PROBLEM_STALE_CERT_PUBLISHED, SW_WARNING, 0, 2,
                    "an expired certificate (serial 10) is published beside the valid one");

        m = &c->mailboxes[2];
        mbx_init(m, "kaemmerei@gemeinde-dorf.example", SW_CRITICAL);
        mbx_entry(m, "cn=Kaemmerei,o=Gemeinde Dorf,c=DE");
        k = mbx_cert(m);
        cert_init(&m->certs[k], "Kaemmerei", "99", 'e', -12, USAGE_ALL);
        m->certs[k].usable_for = 0;
        m->certs[k].path_valid = false;
        m->certs[k].path_error = xstrdup("certificate has expired");
        ck_assert_ptr_nonnull(problem_add(&m->certs[k].problems, PROBLEM_CERT_EXPIRED, SW_CRITICAL,
                                          "certificate expired on 2026-11-16"));
        k = mbx_cert(m);
        cert_init_unparsable(&m->certs[k], 'f');
        mbx_problem(m, PROBLEM_ENCRYPTION_CERT_MISSING, SW_CRITICAL, USAGE_ENCRYPTION, -1,
                    "no usable encryption certificate");

        m = &c->mailboxes[3];
        mbx_init(m, "jugendamt@lra-beispiel.example", SW_UNKNOWN);
        mbx_problem(m, PROBLEM_DIRECTORY_UNREACHABLE, SW_UNKNOWN, 0, -1,
                    "directory search for jugendamt@lra-beispiel.example timed out");
        cycle_tally(c);
}

/* ---- capturing output ---- */

struct capture {
        FILE *f;
        char *buf;
        size_t len;
};

static FILE *cap_open(struct capture *cap)
{
        memset(cap, 0, sizeof(*cap));
        cap->f = open_memstream(&cap->buf, &cap->len);
        ck_assert_ptr_nonnull(cap->f);
        return cap->f;
}

/* The output so far, NUL-terminated; the caller frees. */
static char *cap_close(struct capture *cap)
{
        ck_assert_int_eq(fclose(cap->f), 0);
        ck_assert_uint_eq(strlen(cap->buf), cap->len);
        return cap->buf;
}

/* Parses a whole JSON document that must end in exactly one newline. */
static json_t *parse_doc(const char *out)
{
        json_error_t err;
        json_t *j;
        size_t n = strlen(out);

        ck_assert_uint_gt(n, 1);
        ck_assert_int_eq(out[n - 1], '\n');
        ck_assert_int_ne(out[n - 2], '\n');
        j = json_loads(out, 0, &err);
        if (!j)
                ck_abort_msg("not JSON (%s): %s", err.text, out);
        return j;
}

static char *cert_json_text(const struct cert_result *r)
{
        struct capture cap;

        ck_assert_int_eq(report_check_cert_json(cap_open(&cap), r, NULL, t0, SW_OK), 0);
        return cap_close(&cap);
}

/* ---- JSON assertions ---- */

static void assert_keys(const json_t *o, const char *const *keys)
{
        size_t n = 0;
        void *it;

        ck_assert(json_is_object(o));
        for (it = json_object_iter((json_t *)o); it; it = json_object_iter_next((json_t *)o, it)) {
                ck_assert_ptr_nonnull(keys[n]);
                ck_assert_str_eq(json_object_iter_key(it), keys[n]);
                n++;
        }
        ck_assert_ptr_null(keys[n]);
}

static void assert_str(const json_t *o, const char *key, const char *want)
{
        json_t *v = json_object_get(o, key);

        if (!want) {
                ck_assert_msg(json_is_null(v), "%s should be null", key);
                return;
        }
        ck_assert_msg(json_is_string(v), "%s should be a string", key);
        ck_assert_str_eq(json_string_value(v), want);
}

static void assert_int(const json_t *o, const char *key, json_int_t want)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(json_is_integer(v), "%s should be an integer", key);
        ck_assert_int_eq(json_integer_value(v), want);
}

static void assert_null(const json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(v && json_is_null(v), "%s should be null", key);
}

/* Array of strings equal to want (NULL-terminated). */
static void assert_strings(const json_t *a, const char *const *want)
{
        size_t n = 0;

        ck_assert(json_is_array(a));
        while (want[n])
                n++;
        ck_assert_uint_eq(json_array_size(a), n);
        for (size_t i = 0; i < n; i++)
                ck_assert_str_eq(json_string_value(json_array_get(a, i)), want[i]);
}

static const char *const cert_keys[] = {
        "source", "attribute", "subject", "issuer", "serial", "sha256", "not_before",
        "not_after", "days_left", "key", "usages", "path_valid", "path_error", "revocation",
        "revocation_source", "usable_for", "problems", NULL,
};

static const char *const no_strings[] = { NULL };
static const char *const both[] = { "encryption", "signature", NULL };

/* ---- JSON tests ---- */

START_TEST(cert_json_good)
{
        struct cert_result r;
        json_t *j;

        cert_init(&r, "Poststelle", "0A1B2C", 'a', 458, USAGE_ALL);
        j = report_cert_json(&r);
        ck_assert_ptr_nonnull(j);
        assert_keys(j, cert_keys);
        assert_str(j, "source", "directory");
        assert_str(j, "attribute", "userCertificate;binary");
        assert_str(j, "subject", "CN=Poststelle,O=Landratsamt Beispiel,C=DE");
        assert_str(j, "issuer", "CN=Bayern-PKI Issuing CA,O=Freistaat Bayern,C=DE");
        assert_str(j, "serial", "0A1B2C");
        assert_str(j, "sha256", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_str(j, "not_before", "2025-03-01T21:00:00Z");
        assert_str(j, "not_after", "2028-02-29T21:00:00Z");
        assert_int(j, "days_left", 458);
        assert_str(j, "key", "RSA-3072");
        assert_strings(json_object_get(j, "usages"), both);
        ck_assert(json_is_true(json_object_get(j, "path_valid")));
        assert_null(j, "path_error");
        /* The names are evaluate.c's (rev_status_name), whatever they are. */
        assert_str(j, "revocation", rev_status_name(REV_GOOD));
        /* No source recorded: null. */
        assert_null(j, "revocation_source");
        assert_strings(json_object_get(j, "usable_for"), both);
        ck_assert(json_is_array(json_object_get(j, "problems")));
        ck_assert_uint_eq(json_array_size(json_object_get(j, "problems")), 0);
        json_decref(j);
        /* With one: type, location, this_update, next_update (null when none). */
        r.rev_source = (struct cert_rev_source){ .kind = strdup("crl"),
                                                 .location = strdup("http://crl.example/ca.crl"),
                                                 .this_update = 1733000000 };
        j = report_cert_json(&r);
        {
                static const char *const src_keys[] = { "type", "location", "this_update",
                                                        "next_update", NULL };
                json_t *s = json_object_get(j, "revocation_source");

                assert_keys(s, src_keys);
                assert_str(s, "type", "crl");
                assert_str(s, "location", "http://crl.example/ca.crl");
                assert_str(s, "this_update", "2024-11-30T20:53:20Z");
                assert_null(s, "next_update");
        }
        json_decref(j);
        cert_done(&r);
}
END_TEST

START_TEST(cert_json_bad_path)
{
        static const char *const sig[] = { "signature", NULL };
        static const char *const prob_keys[] = { "code", "level", "message", NULL };
        struct cert_result r;
        json_t *j, *p;

        cert_init(&r, "Bauamt", "99", 'e', -12, USAGE_SIGNATURE);
        free(r.attribute);
        r.attribute = NULL;
        r.source = CERT_SOURCE_FILE;
        r.path_valid = false;
        r.path_error = xstrdup("certificate has expired");
        r.revocation = REV_REVOKED;
        r.usable_for = 0;
        strcpy(r.key, "EC-P256");
        ck_assert_ptr_nonnull(problem_add(&r.problems, PROBLEM_CERT_EXPIRED, SW_CRITICAL,
                                          "certificate expired on 2026-11-16"));
        ck_assert_ptr_nonnull(problem_add(&r.problems, PROBLEM_CERT_WEAK_SIGNATURE, SW_WARNING,
                                          "signed with sha1WithRSAEncryption"));
        j = report_cert_json(&r);
        ck_assert_ptr_nonnull(j);
        assert_keys(j, cert_keys);
        assert_str(j, "source", "file");
        assert_null(j, "attribute");
        assert_int(j, "days_left", -12);
        assert_str(j, "key", "EC-P256");
        assert_strings(json_object_get(j, "usages"), sig);
        ck_assert(json_is_false(json_object_get(j, "path_valid")));
        assert_str(j, "path_error", "certificate has expired");
        assert_str(j, "revocation", rev_status_name(REV_REVOKED));
        assert_strings(json_object_get(j, "usable_for"), no_strings);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "problems")), 2);
        p = json_array_get(json_object_get(j, "problems"), 0);
        assert_keys(p, prob_keys);
        assert_str(p, "code", "CERT_EXPIRED");
        assert_str(p, "level", "critical");
        assert_str(p, "message", "certificate expired on 2026-11-16");
        p = json_array_get(json_object_get(j, "problems"), 1);
        assert_str(p, "code", "CERT_WEAK_SIGNATURE");
        assert_str(p, "level", "warning");
        json_decref(j);
        cert_done(&r);
}
END_TEST

START_TEST(cert_json_unparsable)
{
        struct cert_result r;
        json_t *j, *p;

        cert_init_unparsable(&r, 'f');
        j = report_cert_json(&r);
        ck_assert_ptr_nonnull(j);
        assert_keys(j, cert_keys);
        assert_str(j, "source", "directory");
        assert_str(j, "attribute", "userCertificate;binary");
        assert_str(j, "sha256", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
        assert_null(j, "subject");
        assert_null(j, "issuer");
        assert_null(j, "serial");
        assert_null(j, "not_before");
        assert_null(j, "not_after");
        assert_null(j, "days_left");
        assert_null(j, "key");
        assert_null(j, "path_valid");
        assert_null(j, "path_error");
        assert_null(j, "revocation");
        assert_strings(json_object_get(j, "usages"), no_strings);
        assert_strings(json_object_get(j, "usable_for"), no_strings);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "problems")), 1);
        p = json_array_get(json_object_get(j, "problems"), 0);
        assert_str(p, "code", "CERT_UNPARSABLE");
        assert_str(p, "level", "critical");
        json_decref(j);
        cert_done(&r);
}
END_TEST

START_TEST(check_cert_json_doc)
{
        static const char *const keys[] = {
                "version", "checked_at", "status", "mailbox", "certificate", NULL,
        };
        struct cert_result r;
        struct capture cap;
        char *out;
        json_t *j;

        cert_init(&r, "Poststelle", "0A1B2C", 'a', 458, USAGE_ALL);
        ck_assert_int_eq(report_check_cert_json(cap_open(&cap), &r, "poststelle@lra.example",
                                                t0, SW_WARNING), 0);
        out = cap_close(&cap);
        j = parse_doc(out);
        assert_keys(j, keys);
        assert_int(j, "version", 1);
        assert_str(j, "checked_at", "2026-11-28T20:00:00Z");
        assert_str(j, "status", "warning");
        assert_str(j, "mailbox", "poststelle@lra.example");
        assert_keys(json_object_get(j, "certificate"), cert_keys);
        assert_str(json_object_get(j, "certificate"), "serial", "0A1B2C");
        json_decref(j);
        free(out);

        out = cert_json_text(&r);
        j = parse_doc(out);
        assert_null(j, "mailbox");
        assert_str(j, "status", "ok");
        json_decref(j);
        free(out);
        cert_done(&r);
}
END_TEST

START_TEST(verify_json_doc)
{
        static const char *const doc_keys[] = {
                "version", "checked_at", "status", "summary", "mailboxes", NULL,
        };
        static const char *const sum_keys[] = { "ok", "warning", "critical", "unknown", NULL };
        static const char *const mbx_keys[] = {
                "address", "status", "entries", "problems", "certificates", "truncated", NULL,
        };
        static const char *const prob_keys[] = {
                "code", "level", "usage", "days_left", "message", "certificate", NULL,
        };
        static const char *const entries[] = { "cn=Bauamt,ou=Landratsamt,o=Beispiel,c=DE", NULL };
        struct cycle_result c;
        struct capture cap;
        json_t *j, *mbs, *m, *p;
        char *out;

        cycle_sample(&c);
        ck_assert_int_eq(report_verify_json(cap_open(&cap), &c), 0);
        out = cap_close(&cap);
        j = parse_doc(out);
        assert_keys(j, doc_keys);
        assert_int(j, "version", 1);
        assert_str(j, "checked_at", "2026-11-28T20:00:00Z");
        assert_str(j, "status", "critical");
        assert_keys(json_object_get(j, "summary"), sum_keys);
        assert_int(json_object_get(j, "summary"), "ok", 1);
        assert_int(json_object_get(j, "summary"), "warning", 1);
        assert_int(json_object_get(j, "summary"), "critical", 1);
        assert_int(json_object_get(j, "summary"), "unknown", 1);
        mbs = json_object_get(j, "mailboxes");
        ck_assert_uint_eq(json_array_size(mbs), 4);
        for (size_t i = 0; i < 4; i++)
                assert_keys(json_array_get(mbs, i), mbx_keys);

        m = json_array_get(mbs, 0);
        assert_str(m, "address", "poststelle@lra-beispiel.example");
        assert_str(m, "status", "ok");
        ck_assert_uint_eq(json_array_size(json_object_get(m, "problems")), 0);
        ck_assert_uint_eq(json_array_size(json_object_get(m, "certificates")), 1);

        m = json_array_get(mbs, 1);
        assert_str(m, "status", "warning");
        assert_strings(json_object_get(m, "entries"), entries);
        ck_assert_uint_eq(json_array_size(json_object_get(m, "certificates")), 3);
        assert_keys(json_array_get(json_object_get(m, "certificates"), 2), cert_keys);
        ck_assert_uint_eq(json_array_size(json_object_get(m, "problems")), 2);
        p = json_array_get(json_object_get(m, "problems"), 0);
        assert_keys(p, prob_keys);
        assert_str(p, "code", "CERT_EXPIRING");
        assert_str(p, "level", "warning");
        assert_str(p, "usage", "encryption");
        assert_int(p, "days_left", 12);
        assert_str(p, "message", "encryption certificate expires in 12 days (2026-12-10)");
        assert_str(p, "certificate", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        p = json_array_get(json_object_get(m, "problems"), 1);
        assert_keys(p, prob_keys);
        assert_str(p, "code", "STALE_CERT_PUBLISHED");
        assert_null(p, "usage");
        assert_null(p, "days_left");
        assert_str(p, "certificate", "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");

        m = json_array_get(mbs, 2);
        assert_str(m, "status", "critical");
        p = json_array_get(json_object_get(m, "problems"), 0);
        assert_keys(p, prob_keys);
        assert_str(p, "code", "ENCRYPTION_CERT_MISSING");
        assert_str(p, "level", "critical");
        assert_str(p, "usage", "encryption");
        assert_null(p, "days_left");
        assert_null(p, "certificate");
        assert_null(json_array_get(json_object_get(m, "certificates"), 1), "subject");

        m = json_array_get(mbs, 3);
        assert_str(m, "status", "unknown");
        assert_strings(json_object_get(m, "entries"), no_strings);
        assert_strings(json_object_get(m, "certificates"), no_strings);
        assert_str(json_array_get(json_object_get(m, "problems"), 0), "code",
                   "DIRECTORY_UNREACHABLE");
        json_decref(j);
        free(out);
        cycle_done(&c);
}
END_TEST

/* report_verify_json() writes a mailbox at a time; the bytes must be
 * jansson's own rendering of the whole document. */
START_TEST(verify_json_streamed_as_whole)
{
        struct cycle_result c;
        struct capture cap;
        char *out, *whole;
        json_t *j;

        cycle_sample(&c);
        ck_assert_int_eq(report_verify_json(cap_open(&cap), &c), 0);
        out = cap_close(&cap);
        j = parse_doc(out);
        whole = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        ck_assert_ptr_nonnull(whole);
        ck_assert_uint_eq(strlen(out), strlen(whole) + 1);
        ck_assert_int_eq(strncmp(out, whole, strlen(whole)), 0);
        free(whole);
        json_decref(j);
        free(out);
        cycle_done(&c);
}
END_TEST

START_TEST(verify_json_empty)
{
        struct cycle_result c;
        struct capture cap;
        char *out;
        json_t *j;

        cycle_init(&c, 0);
        ck_assert_int_eq(report_verify_json(cap_open(&cap), &c), 0);
        out = cap_close(&cap);
        j = parse_doc(out);
        assert_str(j, "status", "ok");
        assert_int(json_object_get(j, "summary"), "ok", 0);
        ck_assert(json_is_array(json_object_get(j, "mailboxes")));
        ck_assert_uint_eq(json_array_size(json_object_get(j, "mailboxes")), 0);
        json_decref(j);
        free(out);
        cycle_done(&c);
}
END_TEST

/* Producers escape, but a raw control character or invalid UTF-8 that
 * slips through must still give valid JSON without raw control bytes. */
START_TEST(json_hostile_strings)
{
        struct cycle_result c;
        struct capture cap;
        struct mailbox_result *m;
        json_t *j, *mb, *cert;
        char *out;
        int k;

        cycle_init(&c, 1);
        m = &c.mailboxes[0];
        mbx_init(m, "x\xff@lra.example", SW_CRITICAL);
        mbx_entry(m, "cn=\x1b[31mEvil,o=\xc3(,c=DE");
        k = mbx_cert(m);
        cert_init(&m->certs[k], "Doe\\, John\xe2\x80\xae\xff", "01", 'a', 5, USAGE_ALL);
        ck_assert_ptr_nonnull(problem_add(&m->certs[0].problems, PROBLEM_CERT_WEAK_KEY, SW_WARNING,
                                          "bad \x07\xfe message"));
        mbx_problem(m, PROBLEM_MAILBOX_AMBIGUOUS, SW_WARNING, 0, 0, "two \x1b entries \xc0\xaf");
        cycle_tally(&c);
        ck_assert_int_eq(report_verify_json(cap_open(&cap), &c), 0);
        out = cap_close(&cap);
        j = parse_doc(out);
        mb = json_array_get(json_object_get(j, "mailboxes"), 0);
        assert_str(mb, "address", "x\\xff@lra.example");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(mb, "entries"), 0)),
                         "cn=\\x1b[31mEvil,o=\\xc3(,c=DE");
        assert_str(json_array_get(json_object_get(mb, "problems"), 0), "message",
                   "two \\x1b entries \\xc0\\xaf");
        cert = json_array_get(json_object_get(mb, "certificates"), 0);
        /* A sanitized string escapes its backslashes too: unambiguous. */
        assert_str(cert, "subject",
                   "CN=Doe\\x5c, John\\xe2\\x80\\xae\\xff,O=Landratsamt Beispiel,C=DE");
        assert_str(json_array_get(json_object_get(cert, "problems"), 0), "message",
                   "bad \\x07\\xfe message");
        ck_assert_ptr_null(strchr(out, '\x1b'));
        ck_assert_ptr_null(strchr(out, '\x07'));
        json_decref(j);
        free(out);
        cycle_done(&c);
}
END_TEST

/* An escaped DN (backslashes only) is valid and must not be escaped twice. */
START_TEST(json_escaped_dn_kept)
{
        struct cert_result r;
        json_t *j;

        cert_init(&r, "M\\C3\\BCller\\, Hans \xc3\xa4", "01", 'a', 5, USAGE_ALL);
        j = report_cert_json(&r);
        ck_assert_ptr_nonnull(j);
        assert_str(j, "subject",
                   "CN=M\\C3\\BCller\\, Hans \xc3\xa4,O=Landratsamt Beispiel,C=DE");
        json_decref(j);
        cert_done(&r);
}
END_TEST

/* ---- text tests ---- */

static char *check_cert_text(const struct cert_result *r, const char *mailbox,
                             enum sw_status status, bool color)
{
        struct capture cap;

        ck_assert_int_eq(report_check_cert_text(cap_open(&cap), r, mailbox, t0, status, color), 0);
        return cap_close(&cap);
}

static char *verify_text(const struct cycle_result *c, bool color)
{
        struct capture cap;

        ck_assert_int_eq(report_verify_text(cap_open(&cap), c, color), 0);
        return cap_close(&cap);
}

static void assert_has(const char *out, const char *want)
{
        ck_assert_msg(strstr(out, want), "missing \"%s\" in:\n%s", want, out);
}

static size_t count(const char *out, const char *what)
{
        size_t n = 0;

        for (const char *p = out; (p = strstr(p, what)); p += strlen(what))
                n++;
        return n;
}

/* out without its SGR escape sequences (ESC [ ... m). */
static char *strip_sgr(const char *out)
{
        char *s = xstrdup(out), *o = s;

        for (const char *p = out; *p; p++) {
                if (*p == '\x1b' && p[1] == '[') {
                        p += strcspn(p, "m");
                        continue;
                }
                *o++ = *p;
        }
        *o = 0;
        return s;
}

START_TEST(check_cert_text_ok)
{
        struct cert_result r;
        char *out;

        cert_init(&r, "Poststelle", "0A1B2C", 'a', 458, USAGE_ALL);
        out = check_cert_text(&r, NULL, SW_OK, false);
        ck_assert_msg(strncmp(out, "OK: usable for encryption and signature\n", 40) == 0, "%s", out);
        assert_has(out, "CN=Poststelle,O=Landratsamt Beispiel,C=DE");
        assert_has(out, "CN=Bayern-PKI Issuing CA");
        assert_has(out, "0A1B2C");
        assert_has(out, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_has(out, "2025-03-01T21:00:00Z");
        assert_has(out, "2028-02-29T21:00:00Z (in 458 days)");
        assert_has(out, "RSA-3072");
        assert_has(out, "encryption, signature");
        assert_has(out, "Chain:       valid");
        assert_has(out, "Checked at:  2026-11-28T20:00:00Z");
        assert_has(out, "No problems found.");
        ck_assert_ptr_null(strstr(out, "Mailbox:"));
        ck_assert_ptr_null(strchr(out, '\x1b'));
        free(out);
        cert_done(&r);
}
END_TEST

START_TEST(check_cert_text_critical)
{
        struct cert_result r;
        char *out, *plain, *stripped;

        cert_init(&r, "Kaemmerei", "99", 'e', -12, USAGE_ALL);
        r.usable_for = 0;
        r.path_valid = false;
        r.path_error = xstrdup("certificate has expired");
        ck_assert_ptr_nonnull(problem_add(&r.problems, PROBLEM_CERT_EXPIRED, SW_CRITICAL,
                                          "certificate expired on 2026-11-16"));
        ck_assert_ptr_nonnull(problem_add(&r.problems, PROBLEM_CERT_ADDRESS_MISMATCH, SW_CRITICAL,
                                          "the certificate does not name kaemmerei@dorf.example"));
        plain = check_cert_text(&r, "kaemmerei@dorf.example", SW_CRITICAL, false);
        out = plain;
        ck_assert_msg(strncmp(out, "CRITICAL: certificate is not usable for kaemmerei@dorf.example\n",
                              63) == 0, "%s", out);
        assert_has(out, "2026-11-16T21:00:00Z (expired 11 days ago)");
        assert_has(out, "not valid: certificate has expired");
        assert_has(out, "kaemmerei@dorf.example (NOT named in the certificate)");
        assert_has(out, "Problems:");
        assert_has(out, "CRITICAL  certificate expired on 2026-11-16 (CERT_EXPIRED)");
        assert_has(out, ARROW " The certificate has expired.");
        assert_has(out, "IT-DLZ");
        ck_assert_uint_eq(count(out, ARROW), 2);
        ck_assert_ptr_null(strchr(out, '\x1b'));

        out = check_cert_text(&r, "kaemmerei@dorf.example", SW_CRITICAL, true);
        assert_has(out, "\x1b[31mCRITICAL\x1b[0m: certificate is not usable");
        stripped = strip_sgr(out);
        ck_assert_str_eq(stripped, plain);
        free(stripped);
        free(out);
        free(plain);
        cert_done(&r);
}
END_TEST

START_TEST(check_cert_text_unparsable)
{
        struct cert_result r;
        char *out;

        cert_init_unparsable(&r, 'f');
        out = check_cert_text(&r, NULL, SW_CRITICAL, false);
        ck_assert_msg(strncmp(out, "CRITICAL: certificate is not usable\n", 36) == 0, "%s", out);
        assert_has(out, "not readable");
        assert_has(out, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
        assert_has(out, "(CERT_UNPARSABLE)");
        assert_has(out, ARROW " The value is not a readable certificate.");
        ck_assert_ptr_null(strstr(out, "Subject:"));
        ck_assert_ptr_null(strstr(out, "1970"));
        free(out);
        cert_done(&r);
}
END_TEST

/* The column where the n-th cell (0: status) of a table line starts,
 * counted in characters; cells are separated by two or more spaces. */
static size_t cell_col(const char *line, int n)
{
        size_t col = 0;
        const char *p = line;

        while (n > 0 && *p && *p != '\n') {
                if (p[0] == ' ' && p[1] == ' ' && p[2] != ' ') {
                        n--;
                        col += 2;
                        p += 2;
                        continue;
                }
                col += ((unsigned char)*p & 0xc0) != 0x80;
                p++;
        }
        return col;
}

static const char *line_with(const char *out, const char *what)
{
        const char *p = strstr(out, what);

        ck_assert_msg(p, "missing \"%s\" in:\n%s", what, out);
        while (p > out && p[-1] != '\n')
                p--;
        return p;
}

START_TEST(verify_text_table)
{
        struct cycle_result c;
        const char *head, *l;
        char *out, *colored, *stripped;

        cycle_sample(&c);
        out = verify_text(&c, false);
        head = line_with(out, "STATUS");
        ck_assert_msg(strncmp(head, "STATUS    MAILBOX", 17) == 0, "%s", out);
        l = line_with(out, "poststelle@lra-beispiel.example");
        ck_assert(strncmp(l, "OK        poststelle@", 21) == 0);
        ck_assert_ptr_nonnull(strstr(l, "valid to 2028-02-29  valid to 2028-02-29"));
        l = line_with(out, "bauamt@lra-beispiel.example  ");
        ck_assert(strncmp(l, "WARNING   bauamt@", 17) == 0);
        ck_assert_ptr_nonnull(strstr(l, "expires in 12 d"));
        ck_assert_ptr_nonnull(strstr(l, "valid to 2028-01-02"));
        /* The table has a headline; the full message is in the details. */
        ck_assert_ptr_nonnull(strstr(l, "  encryption certificate expires in 12 days (+1 more)\n"));
        l = line_with(out, "kaemmerei@gemeinde-dorf.example  ");
        ck_assert(strncmp(l, "CRITICAL  kaemmerei@", 20) == 0);
        ck_assert_ptr_nonnull(strstr(l, "missing"));
        ck_assert_ptr_nonnull(strstr(l, "not required"));
        ck_assert_ptr_nonnull(strstr(l, "no usable encryption certificate"));
        l = line_with(out, "jugendamt@lra-beispiel.example  ");
        ck_assert(strncmp(l, "UNKNOWN   jugendamt@", 20) == 0);
        ck_assert_ptr_nonnull(strstr(l, "not checked"));
        /* Every column starts where its heading does. */
        for (int n = 1; n <= 4; n++) {
                size_t want = cell_col(head, n);

                ck_assert_uint_eq(cell_col(line_with(out, "OK        "), n), want);
                ck_assert_uint_eq(cell_col(line_with(out, "WARNING   "), n), want);
                ck_assert_uint_eq(cell_col(line_with(out, "CRITICAL  "), n), want);
                ck_assert_uint_eq(cell_col(line_with(out, "UNKNOWN   "), n), want);
        }
        assert_has(out, "4 mailboxes: 1 ok, 1 warning, 1 critical, 1 unknown; "
                        "checked 2026-11-28T20:00:00Z\n");
        ck_assert_ptr_null(strchr(out, '\x1b'));

        colored = verify_text(&c, true);
        assert_has(colored, "\x1b[32mOK\x1b[0m");
        assert_has(colored, "\x1b[33mWARNING\x1b[0m");
        assert_has(colored, "\x1b[31mCRITICAL\x1b[0m");
        assert_has(colored, "\x1b[35mUNKNOWN\x1b[0m");
        stripped = strip_sgr(colored);
        ck_assert_str_eq(stripped, out);
        free(stripped);
        free(colored);
        free(out);
        cycle_done(&c);
}
END_TEST

START_TEST(verify_text_details)
{
        struct cycle_result c;
        const char *details;
        char *out;

        cycle_sample(&c);
        out = verify_text(&c, false);
        details = strstr(out, "\nDetails\n");
        ck_assert_msg(details, "%s", out);
        /* The ok mailbox has no details; the others have. */
        ck_assert_ptr_null(strstr(details, "poststelle@"));
        assert_has(details, "WARNING   bauamt@lra-beispiel.example\n");
        assert_has(details, "CRITICAL  kaemmerei@gemeinde-dorf.example\n");
        assert_has(details, "UNKNOWN   jugendamt@lra-beispiel.example\n");
        assert_has(details, "Entry:       cn=Bauamt,ou=Landratsamt,o=Beispiel,c=DE");
        assert_has(details, "WARNING   encryption certificate expires in 12 days (2026-12-10)\n"
                            "            (CERT_EXPIRING)\n");
        assert_has(details, ARROW " Renew in time. Request a new certificate");
        assert_has(details, ARROW " Remove the expired, revoked or otherwise unusable");
        assert_has(details, "(STALE_CERT_PUBLISHED)");
        assert_has(details, ARROW " Nobody can send encrypted mail");
        assert_has(details, "jugendamt@lra-beispiel.example timed out\n"
                            "            (DIRECTORY_UNREACHABLE)\n");
        assert_has(details, ARROW " Check the directory connection");
        /* Certificates concerned: subject, serial, expiry, their problems. */
        assert_has(details, "Certificate 1 of 3:");
        assert_has(details, "Serial:      11\n");
        assert_has(details, "Valid until: 2026-12-10 (in 12 days)");
        assert_has(details, "Certificate 3 of 3:");
        assert_has(details, "Valid until: 2025-10-24 (expired 399 days ago)");
        assert_has(details, "Valid until: 2026-11-16 (expired 11 days ago)");
        assert_has(details, "certificate expired on 2026-11-16 (CERT_EXPIRED)");
        assert_has(details, "Certificate 2 of 2:");
        assert_has(details, "(CERT_UNPARSABLE)");
        /* The best signature certificate of bauamt is not concerned. */
        ck_assert_ptr_null(strstr(details, "Certificate 2 of 3:"));
        /* The stale certificate's own expiry gets no renewal advice; the
         * expired certificate of kaemmerei does, once. */
        ck_assert_uint_eq(count(details, "(CERT_EXPIRED)"), 2);
        ck_assert_uint_eq(count(details, ARROW " The certificate has expired."), 1);
        free(out);
        cycle_done(&c);
}
END_TEST

START_TEST(verify_text_directory_failed)
{
        struct cycle_result c;
        char *out;

        cycle_init(&c, 2);
        c.directory_failed = true;
        c.directory_reason = xstrdup("ldaps://directory.example.org: Can't contact LDAP server");
        for (int i = 0; i < 2; i++) {
                mbx_init(&c.mailboxes[i], i ? "b@lra.example" : "a@lra.example", SW_UNKNOWN);
                mbx_problem(&c.mailboxes[i], PROBLEM_DIRECTORY_UNREACHABLE, SW_UNKNOWN, 0, -1,
                            "ldaps://directory.example.org: Can't contact LDAP server");
        }
        cycle_tally(&c);
        out = verify_text(&c, false);
        ck_assert_msg(strncmp(out, "UNKNOWN: the directory could not be reached", 43) == 0, "%s",
                      out);
        ck_assert_uint_eq(count(out, "Can't contact LDAP server"), 1);
        ck_assert_uint_eq(count(out, ARROW " Check the directory connection"), 1);
        ck_assert_ptr_null(strstr(out, "Details"));
        ck_assert_ptr_nonnull(strstr(line_with(out, "a@lra.example"),
                                     "not checked  not checked  directory unreachable (see above)"));
        assert_has(out, "2 mailboxes: 0 ok, 0 warning, 0 critical, 2 unknown;");
        free(out);
        cycle_done(&c);
}
END_TEST

START_TEST(verify_text_long_address)
{
        static const char addr[] =
                "vorzimmer.des.landrats.und.der.stellvertretung@landratsamt-beispiel.example";
        struct cycle_result c;
        const char *l;
        char *out, *line;

        cycle_init(&c, 2);
        mbx_init(&c.mailboxes[0], addr, SW_CRITICAL);
        mbx_problem(&c.mailboxes[0], PROBLEM_MAILBOX_NOT_FOUND, SW_CRITICAL, 0, -1,
                    "no directory entry matches vorzimmer.des.landrats.und.der.stellvertretung@"
                    "landratsamt-beispiel.example, the search returned nothing at all");
        mbx_problem(&c.mailboxes[0], PROBLEM_ENCRYPTION_CERT_MISSING, SW_CRITICAL,
                    USAGE_ENCRYPTION, -1, "no usable encryption certificate");
        mbx_init(&c.mailboxes[1], "a@b.example", SW_OK);
        cycle_tally(&c);
        out = verify_text(&c, false);
        l = line_with(out, "CRITICAL  vorzimmer");
        line = strndup(l, strcspn(l, "\n"));
        ck_assert_ptr_nonnull(line);
        /* Cut to 40 columns, the domain kept. */
        ck_assert_msg(strstr(line, "vorzimmer." "\xe2\x80\xa6" "@landratsamt-beispiel.example  "),
                      "%s", line);
        ck_assert_ptr_nonnull(strstr(line, "no entry"));
        ck_assert_ptr_nonnull(strstr(line, "\xe2\x80\xa6 (+1 more)"));
        /* The full address is in the details. */
        assert_has(out, addr);
        assert_has(out, "Entry:       none in the directory");
        free(line);
        free(out);
        cycle_done(&c);
}
END_TEST

/* The table gives a headline, not the message; a truncated answer says so. */
START_TEST(verify_text_ambiguous_headline)
{
        static const char two[] = "  2 directory entries for the address";
        struct cycle_result c;
        const char *l;
        char *out;

        cycle_init(&c, 2);
        for (int i = 0; i < 2; i++) {
                mbx_init(&c.mailboxes[i], i ? "many@lra.example" : "two@lra.example", SW_WARNING);
                mbx_entry(&c.mailboxes[i], "cn=A,o=Test,c=DE");
                mbx_entry(&c.mailboxes[i], "cn=B,o=Test,c=DE");
                mbx_problem(&c.mailboxes[i], PROBLEM_MAILBOX_AMBIGUOUS, SW_WARNING, 0, -1,
                            "a long message the table does not show");
        }
        c.mailboxes[1].entries_truncated = true;
        cycle_tally(&c);
        out = verify_text(&c, false);
        l = line_with(out, "WARNING   two@");
        /* The line ends with the headline, without "more than". */
        ck_assert_msg(strncmp(l + strcspn(l, "\n") - strlen(two), two, strlen(two)) == 0, "%s", out);
        l = line_with(out, "WARNING   many@");
        ck_assert_ptr_nonnull(strstr(l, "more than 2 directory entries for the address\n"));
        free(out);
        cycle_done(&c);
}
END_TEST

START_TEST(verify_text_hostile)
{
        struct cycle_result c;
        struct mailbox_result *m;
        char *out, *colored, *stripped;
        int k;

        cycle_init(&c, 1);
        m = &c.mailboxes[0];
        mbx_init(m, "x\x1b]0;pwned\x07@lra.example", SW_WARNING);
        mbx_entry(m, "cn=\x1b[2Jwipe,c=DE");
        k = mbx_cert(m);
        cert_init(&m->certs[k], "Evil\x1b[31m\xff", "0\x1b", 'a', 5, USAGE_ALL);
        m->best_encryption = m->best_signature = 0;
        mbx_problem(m, PROBLEM_CERT_WEAK_KEY, SW_WARNING, 0, 0, "weak \x1b[5m key \x9b");
        cycle_tally(&c);
        out = verify_text(&c, false);
        ck_assert_ptr_null(strchr(out, '\x1b'));
        ck_assert_ptr_null(strchr(out, '\x07'));
        ck_assert_ptr_null(strchr(out, '\x9b'));
        ck_assert_ptr_null(strchr(out, '\xff'));
        assert_has(out, "x\\x1b]0;pwned\\x07@lra.example");
        assert_has(out, "cn=\\x1b[2Jwipe,c=DE");
        assert_has(out, "CN=Evil\\x1b[31m\\xff,O=");
        assert_has(out, "weak \\x1b[5m key \\x9b");
        /* With colour only our own escapes appear. */
        colored = verify_text(&c, true);
        stripped = strip_sgr(colored);
        ck_assert_str_eq(stripped, out);
        free(stripped);
        free(colored);
        free(out);
        cycle_done(&c);
}
END_TEST

START_TEST(verify_text_empty)
{
        struct cycle_result c;
        char *out;

        cycle_init(&c, 0);
        out = verify_text(&c, false);
        assert_has(out, "No mailboxes were checked.");
        assert_has(out, "0 mailboxes: 0 ok, 0 warning, 0 critical, 0 unknown; checked "
                        "2026-11-28T20:00:00Z\n");
        free(out);
        cycle_done(&c);
}
END_TEST

/* ---- errors and advice ---- */

START_TEST(write_errors)
{
        struct cycle_result c;
        struct cert_result r;
        FILE *f;

        f = fopen("/dev/full", "w");
        ck_assert_ptr_nonnull(f);
        cycle_sample(&c);
        cert_init(&r, "Poststelle", "0A1B2C", 'a', 458, USAGE_ALL);
        ck_assert_int_eq(report_check_cert_json(f, &r, NULL, t0, SW_OK), -ENOSPC);
        clearerr(f);
        ck_assert_int_eq(report_check_cert_text(f, &r, NULL, t0, SW_OK, false), -ENOSPC);
        clearerr(f);
        ck_assert_int_eq(report_verify_json(f, &c), -ENOSPC);
        clearerr(f);
        ck_assert_int_eq(report_verify_text(f, &c, true), -ENOSPC);
        fclose(f);
        /* A stream that already failed is not reported as written. */
        f = fopen("/dev/null", "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_lt(report_verify_json(f, &c), 0);
        fclose(f);
        cert_done(&r);
        cycle_done(&c);
}
END_TEST

START_TEST(advice_for_every_code)
{
        for (int i = 0; i < PROBLEM_CODE_COUNT; i++) {
                const char *a = report_advice(i);

                ck_assert_ptr_nonnull(a);
                ck_assert_msg(strlen(a) > 40, "no real advice for %s", problem_code_name(i));
                ck_assert_ptr_null(strchr(a, '\n'));
                for (int k = 0; k < i; k++)
                        ck_assert_str_ne(a, report_advice(k));
        }
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_CERT_EXPIRING), "IT-DLZ"));
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_CERT_EXPIRED), "Landratsamt"));
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_REVOCATION_UNKNOWN), "crls"));
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_MAILBOX_NOT_FOUND), "filter"));
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_MAILBOX_AMBIGUOUS), "duplicate"));
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_CERT_UNPARSABLE), "broken value"));
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_DIRECTORY_UNREACHABLE), "tls_ca_file"));
        ck_assert_ptr_nonnull(strstr(report_advice(PROBLEM_CERT_ADDRESS_MISMATCH), "subjectAltName"));
        ck_assert_uint_gt(strlen(report_advice(PROBLEM_CODE_COUNT)), 0);
        ck_assert_uint_gt(strlen(report_advice((enum problem_code)-1)), 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("report");
        TCase *tc = tcase_create("report");

        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, cert_json_good);
        tcase_add_test(tc, cert_json_bad_path);
        tcase_add_test(tc, cert_json_unparsable);
        tcase_add_test(tc, check_cert_json_doc);
        tcase_add_test(tc, verify_json_doc);
        tcase_add_test(tc, verify_json_streamed_as_whole);
        tcase_add_test(tc, verify_json_empty);
        tcase_add_test(tc, json_hostile_strings);
        tcase_add_test(tc, json_escaped_dn_kept);
        tcase_add_test(tc, check_cert_text_ok);
        tcase_add_test(tc, check_cert_text_critical);
        tcase_add_test(tc, check_cert_text_unparsable);
        tcase_add_test(tc, verify_text_table);
        tcase_add_test(tc, verify_text_details);
        tcase_add_test(tc, verify_text_directory_failed);
        tcase_add_test(tc, verify_text_long_address);
        tcase_add_test(tc, verify_text_ambiguous_headline);
        tcase_add_test(tc, verify_text_hostile);
        tcase_add_test(tc, verify_text_empty);
        tcase_add_test(tc, write_errors);
        tcase_add_test(tc, advice_for_every_code);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
