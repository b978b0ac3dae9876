/* SPDX-License-Identifier: EUPL-1.2 */
/* The command line end to end: the real binary ($SMIMEWATCH_BIN) run as a
 * user would, with --check-cert (every certificate-level code, the JSON
 * document, the text report, the input formats, --at), --check-config,
 * usage and configuration errors, --help and --version. The test PKI is
 * built once per run with tests/mkpki. --verify and the service are
 * tested elsewhere. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "testlib.h"
#include "util.h"

#define POLICY_OK "1.3.6.1.4.1.55555.1.1"
#define POLICY_OTHER "1.3.6.1.4.1.55555.1.2"
#define MAX_ARGS 24

static char *tmp;               /* everything of this run */
static char *pki;               /* tmp/pki, built by tests/mkpki */
static char *conf;              /* tmp/pki.conf: [pki] alone, with everything */
static time_t built;            /* when the PKI was built: its dates are relative to this */

/* ---- fixture ---- */

static void build_pki(void)
{
        char *mkpki = tl_path(tl_srcdir(), "tests/mkpki");
        int r;

        tmp = tl_mkdtemp();
        pki = tl_path(tmp, "pki");
        built = time(NULL);
        /* shortcrl: a CA whose CRL is current for 10 days only, for --at. */
        r = tl_sh("set -e; M='%s'; D='%s'\n"
                  "$M init $D\n"
                  "$M issue $D good\n"
                  "$M issue $D goodec --key ec256\n"
                  "$M issue $D expired --from -30 --to -1\n"
                  "$M issue $D notyet --from 10 --to 400\n"
                  "$M issue $D untrusted --ca other --key ec256\n"
                  "$M issue $D expiredca --ca expired --key ec256\n"
                  "$M issue $D revoked; $M revoke $D revoked\n"
                  "$M issue $D nocrl --ca nocrl --key ec256\n"
                  "$M issue $D stale --ca stalecrl --key ec256\n"
                  "$M issue $D dnonly --subject-email-only\n"
                  "$M issue $D servereku --eku server\n"
                  "$M issue $D rsa2048 --key rsa2048\n"
                  "$M issue $D rsa1024 --key rsa1024\n"
                  "$M issue $D sha1 --md sha1\n"
                  "$M issue $D polok --policy " POLICY_OK "\n"
                  "$M issue $D polbad --policy " POLICY_OTHER "\n"
                  "$M ca $D shortcrl; $M crl $D shortcrl --to 10\n"
                  "$M issue $D viashort --ca shortcrl --key ec256 --to 100\n"
                  "cd $D; openssl pkcs7 -inform DER -in good.p7b -outform PEM -out good.p7b.pem\n",
                  mkpki, pki);
        free(mkpki);
        ck_assert_msg(r == 0, "building the test PKI failed (%d)", r);
        conf = tl_write(tmp, "pki.conf",
                        "# only [pki]: enough for --check-cert\n"
                        "[pki]\n"
                        "trust_anchors = %s/anchors.pem\n"
                        "intermediates = %s/intermediates.pem\n"
                        "crls = %s/crls\n", pki, pki, pki);
}

static void remove_pki(void)
{
        tl_rm_rf(tmp);
}

/* ---- helpers ---- */

/* pki/name, or name itself when it is a path already. */
static char *in_pki(const char *name)
{
        return strchr(name, '/') ? strdup(name) : tl_path(pki, name);
}

/* Runs smimewatch with the arguments given (NULL-terminated). */
static void run(struct tl_run *r, const char *arg, ...)
{
        const char *argv[MAX_ARGS];
        size_t n = 0;
        va_list ap;

        va_start(ap, arg);
        for (const char *a = arg; a; a = va_arg(ap, const char *)) {
                ck_assert(n < MAX_ARGS - 1);
                argv[n++] = a;
        }
        va_end(ap);
        argv[n] = NULL;
        tl_smimewatch(r, argv);
}

/* A config file in tmp: [pki] as in conf plus extra lines; caller frees. */
static char *conf_with(const char *name, const char *extra_pki, const char *more)
{
        return tl_write(tmp, name,
                        "[pki]\n"
                        "trust_anchors = %s/anchors.pem\n"
                        "intermediates = %s/intermediates.pem\n"
                        "crls = %s/crls\n"
                        "%s\n%s", pki, pki, pki, extra_pki ? extra_pki : "", more ? more : "");
}

/* smimewatch --check-cert pki/NAME -c CONF --json [EXTRA... NULL]: asserts
 * the exit status, an empty stderr and one JSON document on stdout, which
 * it returns (caller decrefs). */
static json_t *check(int want, const char *name, const char *config, ...)
{
        const char *argv[MAX_ARGS];
        char *file = in_pki(name);
        struct tl_run r;
        size_t n = 0;
        va_list ap;
        json_t *doc;

        argv[n++] = "--check-cert";
        argv[n++] = file;
        argv[n++] = "-c";
        argv[n++] = config;
        argv[n++] = "--json";
        va_start(ap, config);
        for (const char *a; (a = va_arg(ap, const char *));) {
                ck_assert(n < MAX_ARGS - 1);
                argv[n++] = a;
        }
        va_end(ap);
        argv[n] = NULL;
        tl_smimewatch(&r, argv);
        ck_assert_msg(r.status == want, "%s: exit %d, want %d; stdout: %s\nstderr: %s",
                      name, r.status, want, r.out, r.err);
        ck_assert_msg(r.err[0] == 0, "%s: stderr: %s", name, r.err);
        /* tl_json refuses anything after the document, too */
        doc = tl_json(&r);
        ck_assert(json_is_object(doc));
        ck_assert(r.out[0] == '{' && r.out[strlen(r.out) - 1] == '\n');
        tl_run_free(&r);
        free(file);
        return doc;
}

static json_t *cert_of(json_t *doc)
{
        json_t *c = json_object_get(doc, "certificate");

        ck_assert_msg(json_is_object(c), "no certificate object");
        return c;
}

static const char *str(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
        return json_string_value(v);
}

static void is_null(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(v && json_is_null(v), "\"%s\" is missing or not null", key);
}

/* A usage array as "encryption,signature" ("" when empty). */
static void usages_are(json_t *o, const char *key, const char *want)
{
        json_t *a = json_object_get(o, key), *v;
        char buf[128] = "";
        size_t i;

        ck_assert_msg(json_is_array(a), "\"%s\" is not an array", key);
        json_array_foreach(a, i, v) {
                ck_assert(json_is_string(v));
                if (i)
                        strcat(buf, ",");
                ck_assert(strlen(buf) + strlen(json_string_value(v)) < sizeof(buf) - 1);
                strcat(buf, json_string_value(v));
        }
        ck_assert_str_eq(buf, want);
}

/* The certificate problem with this code (asserting its level and a
 * message), or a failure. */
static void has_problem(json_t *doc, const char *code, const char *level)
{
        json_t *a = json_object_get(cert_of(doc), "problems"), *p;
        size_t i;

        ck_assert(json_is_array(a));
        json_array_foreach(a, i, p) {
                if (strcmp(str(p, "code"), code) != 0)
                        continue;
                ck_assert_msg(strcmp(str(p, "level"), level) == 0, "%s is %s, want %s", code,
                              str(p, "level"), level);
                ck_assert_msg(str(p, "message")[0], "%s without a message", code);
                return;
        }
        ck_abort_msg("no %s among the problems: %s", code, json_dumps(a, JSON_COMPACT));
}

/* Exactly these problems ("CODE:level", NULL-terminated), in any order. */
static void problems_are(json_t *doc, ...)
{
        json_t *a = json_object_get(cert_of(doc), "problems");
        size_t n = 0;
        va_list ap;

        va_start(ap, doc);
        for (const char *s; (s = va_arg(ap, const char *)); n++) {
                char code[64];
                const char *colon = strchr(s, ':');

                ck_assert(colon && (size_t)(colon - s) < sizeof(code));
                memcpy(code, s, (size_t)(colon - s));
                code[colon - s] = 0;
                has_problem(doc, code, colon + 1);
        }
        va_end(ap);
        ck_assert_msg(json_array_size(a) == n, "%zu problems, want %zu: %s", json_array_size(a),
                      n, json_dumps(a, JSON_COMPACT));
}

static void status_is(json_t *doc, const char *status)
{
        ck_assert_str_eq(str(doc, "status"), status);
}

static void path_valid_is(json_t *doc, bool valid)
{
        json_t *v = json_object_get(cert_of(doc), "path_valid");

        ck_assert(json_is_boolean(v));
        ck_assert_int_eq(json_is_true(v), valid);
}

/* A time days from when the PKI was built, RFC 3339 UTC. */
static const char *at_days(char buf[static 21], long days)
{
        return util_format_time(built + days * 86400, buf);
}

/* The output of a command (argv NULL-terminated), which must succeed. */
static char *output_of(const char *const *argv)
{
        struct tl_run r;
        char *out;

        tl_run_argv(&r, argv, NULL, 30);
        ck_assert_msg(r.status == 0, "%s failed: %s", argv[0], r.err);
        out = r.out;
        r.out = NULL;
        tl_run_free(&r);
        return out;
}

/* openssl x509 -noout OPTION... of pki/NAME.pem, the value after '='. */
static char *openssl_field(const char *name, const char *opt1, const char *opt2)
{
        char *file = in_pki(name), *out, *v;
        const char *argv[] = { "openssl", "x509", "-in", file, "-noout", opt1, opt2, NULL };

        out = output_of(argv);
        v = strchr(out, '=');
        ck_assert_ptr_nonnull(v);
        v = strdup(v + 1);
        v[strcspn(v, "\n")] = 0;
        free(out);
        free(file);
        return v;
}

/* stderr is one line mentioning what, and the --help hint. */
static void one_line_hint(const struct tl_run *r, const char *what)
{
        const char *nl = strchr(r->err, '\n');

        ck_assert_msg(nl && nl[1] == 0, "not one line: %s", r->err);
        ck_assert_msg(strstr(r->err, "smimewatch --help"), "no hint: %s", r->err);
        ck_assert_msg(strstr(r->err, what), "'%s' not in: %s", what, r->err);
}

/* line (up to its newline) starts "CONF:LINE: " */
static bool has_file_line(const char *line, const char *config)
{
        size_t len = strlen(config), digits;
        const char *q = line + len;

        if (strncmp(line, config, len) != 0 || q[0] != ':' || q[1] == '0')
                return false;
        digits = strspn(q + 1, "0123456789");
        return digits > 0 && strncmp(q + 1 + digits, ": ", 2) == 0;
}

/* Every line of stderr is "CONF:LINE: ..."; returns how many there are. */
static int config_error_lines(const struct tl_run *r, const char *config)
{
        int n = 0;

        ck_assert_msg(r->err[0], "no error message");
        for (const char *p = r->err; *p; n++) {
                const char *nl = strchr(p, '\n');

                ck_assert_msg(nl, "unterminated line: %s", p);
                ck_assert_msg(has_file_line(p, config), "not FILE:LINE: %.*s", (int)(nl - p), p);
                p = nl + 1;
        }
        return n;
}

/* A sparse file of size bytes in tmp; caller frees the path. */
static char *sparse_file(const char *name, off_t size)
{
        char *p = tl_path(tmp, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, size), 0);
        close(fd);
        return p;
}

/* ---- a good certificate ---- */

START_TEST(fixture_built)
{
        ck_assert_ptr_nonnull(conf);
}
END_TEST

static bool is_rfc3339_utc(const char *s)
{
        regex_t re;
        bool ok;

        ck_assert_int_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                                 REG_EXTENDED | REG_NOSUB), 0);
        ok = regexec(&re, s, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
}

/* openssl's "AB:CD:..." as the JSON writes it: "abcd...". */
static void plain_hex(char *s)
{
        size_t j = 0;

        for (size_t i = 0; s[i]; i++)
                if (s[i] != ':')
                        s[j++] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
        s[j] = 0;
}

/* The CERT of good.pem, checked at checked_at, against what openssl says. */
static void good_cert_fields(json_t *c, time_t checked_at)
{
        char *sha = openssl_field("good.pem", "-fingerprint", "-sha256");
        char *serial = openssl_field("good.pem", "-serial", NULL);
        char *nb = openssl_field("good.pem", "-startdate", "-dateopt=iso_8601");
        char *na = openssl_field("good.pem", "-enddate", "-dateopt=iso_8601");
        time_t not_after;

        ck_assert_str_eq(str(c, "source"), "file");
        is_null(c, "attribute");
        ck_assert_str_eq(str(c, "subject"), "CN=good,O=Test,C=DE");
        ck_assert_str_eq(str(c, "issuer"), "CN=Test Verwaltungs-PKI User CA 1,O=Test,C=DE");
        ck_assert_str_eq(str(c, "serial"), serial);
        plain_hex(sha);
        ck_assert_uint_eq(strlen(str(c, "sha256")), 64);
        ck_assert_uint_eq(strspn(str(c, "sha256"), "0123456789abcdef"), 64);
        ck_assert_str_eq(str(c, "sha256"), sha);
        /* openssl: "2026-11-27 20:44:22Z" */
        nb[10] = na[10] = 'T';
        ck_assert(is_rfc3339_utc(str(c, "not_before")));
        ck_assert(is_rfc3339_utc(str(c, "not_after")));
        ck_assert_str_eq(str(c, "not_before"), nb);
        ck_assert_str_eq(str(c, "not_after"), na);
        ck_assert_int_eq(util_parse_time(na, &not_after), 0);
        ck_assert(json_is_integer(json_object_get(c, "days_left")));
        ck_assert_int_eq(json_integer_value(json_object_get(c, "days_left")),
                         util_days_until(checked_at, not_after));
        ck_assert_str_eq(str(c, "key"), "RSA-3072");
        usages_are(c, "usages", "encryption,signature");
        ck_assert(json_is_true(json_object_get(c, "path_valid")));
        is_null(c, "path_error");
        ck_assert_str_eq(str(c, "revocation"), "good");
        usages_are(c, "usable_for", "encryption,signature");
        ck_assert(json_is_array(json_object_get(c, "problems")));
        ck_assert_uint_eq(json_array_size(json_object_get(c, "problems")), 0);
        {
                /* The configured CRL file decided (revocation_source, smimewatch(8)). */
                json_t *src = json_object_get(c, "revocation_source");

                ck_assert(json_is_object(src));
                ck_assert_str_eq(str(src, "type"), "file");
                ck_assert_ptr_nonnull(strstr(str(src, "location"), "crls/sub.pem"));
                ck_assert(is_rfc3339_utc(str(src, "this_update")));
                ck_assert(is_rfc3339_utc(str(src, "next_update")));
                ck_assert_uint_eq(json_object_size(src), 4);
        }
        ck_assert_uint_eq(json_object_size(c), 17);
        free(sha);
        free(serial);
        free(nb);
        free(na);
}

START_TEST(good_certificate_json)
{
        time_t before = time(NULL), after, t;
        json_t *doc = check(0, "good.pem", conf, NULL);

        after = time(NULL);
        ck_assert(json_is_integer(json_object_get(doc, "version")));
        ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 1);
        ck_assert(is_rfc3339_utc(str(doc, "checked_at")));
        ck_assert_int_eq(util_parse_time(str(doc, "checked_at"), &t), 0);
        ck_assert(t >= before && t <= after);
        status_is(doc, "ok");
        is_null(doc, "mailbox");
        ck_assert_uint_eq(json_object_size(doc), 5);
        good_cert_fields(cert_of(doc), t);
        json_decref(doc);

        /* EC, and the mailbox named in the document */
        doc = check(0, "goodec.pem", conf, "--mailbox", "goodec@test.example", NULL);
        ck_assert_str_eq(str(doc, "mailbox"), "goodec@test.example");
        ck_assert_str_eq(str(cert_of(doc), "key"), "EC-P256");
        usages_are(cert_of(doc), "usable_for", "encryption,signature");
        problems_are(doc, NULL);
        json_decref(doc);
}
END_TEST

START_TEST(revocation_off)
{
        char *off = conf_with("off.conf", "revocation = off", NULL);
        json_t *doc = check(0, "good.pem", off, NULL);

        ck_assert_str_eq(str(cert_of(doc), "revocation"), "off");
        path_valid_is(doc, true);
        problems_are(doc, NULL);
        json_decref(doc);
        /* not checked at all: a revoked certificate passes */
        doc = check(0, "revoked.pem", off, NULL);
        ck_assert_str_eq(str(cert_of(doc), "revocation"), "off");
        problems_are(doc, NULL);
        json_decref(doc);
        free(off);
}
END_TEST

/* ---- input formats ---- */

START_TEST(formats)
{
        static const char *const files[] = { "good.pem", "good.der", "good.p7b", "good.p7b.pem",
                                             "good.chain.pem" };
        char *sha = NULL;

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                json_t *doc = check(0, files[i], conf, NULL);

                status_is(doc, "ok");
                ck_assert_str_eq(str(cert_of(doc), "subject"), "CN=good,O=Test,C=DE");
                if (!sha)
                        sha = strdup(str(cert_of(doc), "sha256"));
                ck_assert_str_eq(str(cert_of(doc), "sha256"), sha);
                json_decref(doc);
        }
        free(sha);
}
END_TEST

/* Without configured intermediates the rest of a file supplies them. */
START_TEST(chain_in_file)
{
        char *noint = tl_write(tmp, "noint.conf", "[pki]\ntrust_anchors = %s/anchors.pem\n"
                               "crls = %s/crls\n", pki, pki);
        json_t *doc = check(2, "good.pem", noint, NULL);

        problems_are(doc, "CERT_UNTRUSTED:critical", NULL);
        json_decref(doc);
        doc = check(0, "good.chain.pem", noint, NULL);
        path_valid_is(doc, true);
        ck_assert_str_eq(str(cert_of(doc), "subject"), "CN=good,O=Test,C=DE");
        problems_are(doc, NULL);
        json_decref(doc);
        doc = check(0, "good.p7b", noint, NULL);
        path_valid_is(doc, true);
        problems_are(doc, NULL);
        json_decref(doc);
        free(noint);
}
END_TEST

/* ---- every certificate-level code ---- */

START_TEST(unparsable)
{
        unsigned char data[512], md[32];
        char hex[65], *garbage;
        json_t *doc, *c;
        FILE *f;

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (unsigned char)(i * 7 + 3);
        garbage = tl_path(tmp, "garbage.bin");
        f = fopen(garbage, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(data, 1, sizeof(data), f), sizeof(data));
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(EVP_Digest(data, sizeof(data), md, NULL, EVP_sha256(), NULL), 1);
        util_hex(md, sizeof(md), hex);

        doc = check(2, garbage, conf, NULL);
        c = cert_of(doc);
        status_is(doc, "critical");
        problems_are(doc, "CERT_UNPARSABLE:critical", NULL);
        ck_assert_str_eq(str(c, "source"), "file");
        ck_assert_str_eq(str(c, "sha256"), hex);
        for (const char *const *k = (const char *const[]){ "subject", "issuer", "serial",
                        "not_before", "not_after", "days_left", "key", "path_valid",
                        "path_error", "revocation", NULL }; *k; k++)
                is_null(c, *k);
        usages_are(c, "usages", "");
        usages_are(c, "usable_for", "");
        json_decref(doc);

        /* an empty file is no certificate either */
        free(garbage);
        garbage = tl_write(tmp, "empty.pem", "%s", "");
        doc = check(2, garbage, conf, NULL);
        problems_are(doc, "CERT_UNPARSABLE:critical", NULL);
        json_decref(doc);
        free(garbage);
}
END_TEST

START_TEST(validity)
{
        json_t *doc = check(2, "expired.pem", conf, NULL);

        status_is(doc, "critical");
        problems_are(doc, "CERT_EXPIRED:critical", NULL);
        usages_are(cert_of(doc), "usable_for", "");
        ck_assert_int_lt(json_integer_value(json_object_get(cert_of(doc), "days_left")), 0);
        json_decref(doc);
        doc = check(2, "notyet.pem", conf, NULL);
        problems_are(doc, "CERT_NOT_YET_VALID:critical", NULL);
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
}
END_TEST

START_TEST(untrusted)
{
        json_t *doc = check(2, "untrusted.pem", conf, NULL);

        problems_are(doc, "CERT_UNTRUSTED:critical", NULL);
        path_valid_is(doc, false);
        ck_assert(str(cert_of(doc), "path_error")[0]);
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
        /* issued by a CA that has expired */
        doc = check(2, "expiredca.pem", conf, NULL);
        problems_are(doc, "CERT_UNTRUSTED:critical", NULL);
        path_valid_is(doc, false);
        ck_assert(strstr(str(cert_of(doc), "path_error"), "expired"));
        json_decref(doc);
}
END_TEST

START_TEST(revoked)
{
        json_t *doc = check(2, "revoked.pem", conf, NULL);

        problems_are(doc, "CERT_REVOKED:critical", NULL);
        ck_assert_str_eq(str(cert_of(doc), "revocation"), "revoked");
        path_valid_is(doc, false);
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
}
END_TEST

/* No CRL and an outdated CRL: strictly not a valid path, still usable. */
START_TEST(revocation_unknown)
{
        static const char *const files[] = { "nocrl.pem", "stale.pem" };

        for (size_t i = 0; i < 2; i++) {
                json_t *doc = check(1, files[i], conf, NULL);

                status_is(doc, "warning");
                problems_are(doc, "REVOCATION_UNKNOWN:warning", NULL);
                path_valid_is(doc, false);
                ck_assert(str(cert_of(doc), "path_error")[0]);
                ck_assert_str_eq(str(cert_of(doc), "revocation"), "unknown");
                usages_are(cert_of(doc), "usable_for", "encryption,signature");
                json_decref(doc);
        }
}
END_TEST

START_TEST(address)
{
        json_t *doc = check(2, "good.pem", conf, "--mailbox", "other@test.example", NULL);

        ck_assert_str_eq(str(doc, "mailbox"), "other@test.example");
        problems_are(doc, "CERT_ADDRESS_MISMATCH:critical", NULL);
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
        /* the domain is case-insensitive */
        doc = check(0, "good.pem", conf, "--mailbox", "good@TEST.Example", NULL);
        problems_are(doc, NULL);
        json_decref(doc);
        /* only in the subject DN: accepted with a warning */
        doc = check(1, "dnonly.pem", conf, "--mailbox", "dnonly@test.example", NULL);
        status_is(doc, "warning");
        problems_are(doc, "CERT_SUBJECT_EMAIL_ONLY:warning", NULL);
        usages_are(cert_of(doc), "usable_for", "encryption,signature");
        json_decref(doc);
}
END_TEST

START_TEST(wrong_usage)
{
        json_t *doc = check(2, "servereku.pem", conf, NULL);

        problems_are(doc, "CERT_WRONG_USAGE:critical", NULL);
        usages_are(cert_of(doc), "usages", "");
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
}
END_TEST

START_TEST(weak_key_and_signature)
{
        json_t *doc = check(1, "rsa2048.pem", conf, NULL);

        status_is(doc, "warning");
        problems_are(doc, "CERT_WEAK_KEY:warning", NULL);
        ck_assert_str_eq(str(cert_of(doc), "key"), "RSA-2048");
        usages_are(cert_of(doc), "usable_for", "encryption,signature");
        json_decref(doc);
        doc = check(2, "rsa1024.pem", conf, NULL);
        problems_are(doc, "CERT_WEAK_KEY:critical", NULL);
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
        doc = check(2, "sha1.pem", conf, NULL);
        problems_are(doc, "CERT_WEAK_SIGNATURE:critical", NULL);
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
}
END_TEST

START_TEST(policy)
{
        char *p = conf_with("policy.conf", "require_policy = " POLICY_OK, NULL);
        json_t *doc = check(2, "polbad.pem", p, NULL);

        problems_are(doc, "CERT_POLICY_MISMATCH:critical", NULL);
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
        doc = check(2, "good.pem", p, NULL);
        problems_are(doc, "CERT_POLICY_MISMATCH:critical", NULL);
        json_decref(doc);
        doc = check(0, "polok.pem", p, NULL);
        problems_are(doc, NULL);
        path_valid_is(doc, true);
        json_decref(doc);
        /* without require_policy the policy does not matter */
        doc = check(0, "polbad.pem", conf, NULL);
        problems_are(doc, NULL);
        json_decref(doc);
        free(p);
}
END_TEST

/* good.pem expires 365 days after the build, so days_left is 364. */
START_TEST(expiring)
{
        char *w = conf_with("warn.conf", NULL, "[service]\nwarn_days = 400\ncritical_days = 100\n");
        char *c = conf_with("crit.conf", NULL, "[service]\nwarn_days = 400\ncritical_days = 380\n");
        char *m = conf_with("mbox.conf", NULL,
                            "[mailbox good@test.example]\nwarn_days = 400\ncritical_days = 380\n"
                            "[mailbox goodec@test.example]\nwarn_days = 10\ncritical_days = 5\n"
                            "[service]\nwarn_days = 400\ncritical_days = 100\n");
        json_t *doc = check(1, "good.pem", w, NULL);

        status_is(doc, "warning");
        problems_are(doc, "CERT_EXPIRING:warning", NULL);
        usages_are(cert_of(doc), "usable_for", "encryption,signature");
        json_decref(doc);
        doc = check(2, "good.pem", c, NULL);
        status_is(doc, "critical");
        problems_are(doc, "CERT_EXPIRING:critical", NULL);
        json_decref(doc);
        /* [mailbox X] lends its thresholds to --mailbox X, others get [service] */
        doc = check(1, "good.pem", m, NULL);
        problems_are(doc, "CERT_EXPIRING:warning", NULL);
        json_decref(doc);
        doc = check(2, "good.pem", m, "--mailbox", "good@test.example", NULL);
        problems_are(doc, "CERT_EXPIRING:critical", NULL);
        json_decref(doc);
        doc = check(0, "goodec.pem", m, "--mailbox", "goodec@test.example", NULL);
        problems_are(doc, NULL);
        json_decref(doc);
        /* the defaults (30 / 7) */
        doc = check(0, "good.pem", conf, NULL);
        problems_are(doc, NULL);
        json_decref(doc);
        free(w);
        free(c);
        free(m);
}
END_TEST

/* ---- --at ---- */

START_TEST(at_time)
{
        char t[21], want[21], offset[40];
        struct tm tm;
        time_t when;
        json_t *doc;

        /* after notAfter (365 days) and before notBefore (-1 day) */
        doc = check(2, "good.pem", conf, "--at", at_days(t, 400), NULL);
        ck_assert_str_eq(str(doc, "checked_at"), t);
        has_problem(doc, "CERT_EXPIRED", "critical");
        usages_are(cert_of(doc), "usable_for", "");
        json_decref(doc);
        doc = check(2, "good.pem", conf, "--at", at_days(t, -3), NULL);
        ck_assert_str_eq(str(doc, "checked_at"), t);
        has_problem(doc, "CERT_NOT_YET_VALID", "critical");
        json_decref(doc);
        /* 10 days before it expired, the expired certificate was usable but
         * expiring, and the CRLs of today were not issued yet */
        doc = check(1, "expired.pem", conf, "--at", at_days(t, -10), NULL);
        problems_are(doc, "CERT_EXPIRING:warning", "REVOCATION_UNKNOWN:warning", NULL);
        usages_are(cert_of(doc), "usable_for", "encryption,signature");
        json_decref(doc);
        /* expiry thresholds: 340 days on, about 25 days are left (< 30) */
        doc = check(1, "good.pem", conf, "--at", at_days(t, 340), NULL);
        problems_are(doc, "CERT_EXPIRING:warning", NULL);
        json_decref(doc);

        /* RFC 3339 with an offset: 100 days on, written as +02:00 */
        when = built + 100 * 86400;
        util_format_time(when, want);
        when += 2 * 3600;
        ck_assert_ptr_nonnull(gmtime_r(&when, &tm));
        ck_assert_uint_gt(strftime(offset, sizeof(offset), "%Y-%m-%dT%H:%M:%S+02:00", &tm), 0);
        doc = check(0, "good.pem", conf, "--at", offset, NULL);
        ck_assert_str_eq(str(doc, "checked_at"), want);
        json_decref(doc);
        /* a date alone is midnight UTC */
        at_days(t, 100);
        memcpy(want, t, 10);
        memcpy(want + 10, "T00:00:00Z", 11);
        t[10] = 0;
        doc = check(0, "good.pem", conf, "--at", t, NULL);
        ck_assert_str_eq(str(doc, "checked_at"), want);
        json_decref(doc);
}
END_TEST

/* shortcrl's CRL is current for 10 days after the build. */
START_TEST(at_crl_freshness)
{
        char t[21];
        json_t *doc = check(0, "viashort.pem", conf, "--at", at_days(t, 5), NULL);

        ck_assert_str_eq(str(cert_of(doc), "revocation"), "good");
        problems_are(doc, NULL);
        json_decref(doc);
        doc = check(1, "viashort.pem", conf, "--at", at_days(t, 20), NULL);
        problems_are(doc, "REVOCATION_UNKNOWN:warning", NULL);
        ck_assert_str_eq(str(cert_of(doc), "revocation"), "unknown");
        path_valid_is(doc, false);
        usages_are(cert_of(doc), "usable_for", "encryption,signature");
        json_decref(doc);
}
END_TEST

/* ---- could not check: exit 3 ---- */

static void unknown_exit(const char *file, const char *reason)
{
        struct tl_run r;

        run(&r, "--check-cert", file, "-c", conf, "--json", NULL);
        ck_assert_msg(r.status == 3, "%s: exit %d; stderr: %s", file, r.status, r.err);
        ck_assert_str_eq(r.out, "");
        ck_assert_msg(strstr(r.err, file) && strstr(r.err, reason), "%s: %s", file, r.err);
        tl_run_free(&r);
}

START_TEST(unreadable_files)
{
        char *missing = tl_path(tmp, "no-such-file.pem"), *huge, *max;
        struct timespec a, b;
        json_t *doc;

        unknown_exit(missing, "No such file or directory");
        unknown_exit(tmp, "Is a directory");
        unknown_exit("/dev/null", "not a regular file");

        /* refused unread: 4 GiB would take long to read and fill memory */
        huge = sparse_file("huge.pem", (off_t)4 << 30);
        clock_gettime(CLOCK_MONOTONIC, &a);
        unknown_exit(huge, "10 MiB");
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert_int_lt(b.tv_sec - a.tv_sec, 5);
        free(huge);
        huge = sparse_file("over.pem", 10 * 1024 * 1024 + 1);
        unknown_exit(huge, "10 MiB");
        /* exactly 10 MiB is read, and is no certificate */
        max = sparse_file("max.pem", 10 * 1024 * 1024);
        doc = check(2, max, conf, NULL);
        problems_are(doc, "CERT_UNPARSABLE:critical", NULL);
        json_decref(doc);
        free(missing);
        free(huge);
        free(max);
}
END_TEST

/* Every file smimewatch reads, as every kind of bad file: the
 * configuration, a mailbox_list and a certificate for --check-cert. Each
 * ends at once with the documented status and says which file and why;
 * none blocks (a FIFO used to hang --check-config and --check-cert). A
 * file root cannot read is read as nobody; a /proc file stands for one
 * that changes while it is read (its size says 0, then it has bytes). */
START_TEST(bad_files)
{
        static const struct {
                const char *name;       /* in tmp/bad, or an absolute path */
                const char *why;        /* in the message */
                int config, list, cert; /* exit of each role; cert 2: unparsable */
                const char *list_why;   /* as a mailbox_list, when not why */
        } kinds[] = {
                { "empty", "section [pki] is missing", 78, 0, 2, NULL },
                { "binary", "NUL byte in line", 78, 78, 2, "malformed address" },
                { "dir", "Is a directory", 78, 78, 3, NULL },
                { "fifo", "not a regular file (a FIFO", 78, 78, 3, NULL },
                { "loop", "Too many levels of symbolic links", 78, 78, 3, NULL },
                { "unreadable", "Permission denied", 78, 78, 3, NULL },
                { "big", "larger than 10 MiB", 78, 78, 3, NULL },
                { "/proc/self/status", "it changed while it was read", 78, 78, 3, NULL },
        };
        const char *bin = getenv("SMIMEWATCH_BIN");
        char *dir = tl_path(tmp, "bad"), *list_conf = tl_path(tmp, "bad-list.conf");

        ck_assert_int_eq(tl_sh("set -e; D='%s'; mkdir -p $D; chmod 755 '%s' $D; : > $D/empty; "
                               "printf 'a\\0b\\n\\377\\376\\n' > $D/binary; mkdir $D/dir; "
                               "mkfifo $D/fifo; ln -s loop2 $D/loop; ln -s loop $D/loop2; "
                               "echo secret > $D/unreadable; chmod 600 $D/unreadable; "
                               "truncate -s 11M $D/big", dir, tmp), 0);
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                char *f = kinds[i].name[0] == '/' ? strdup(kinds[i].name)
                                                  : tl_path(dir, kinds[i].name);
                bool as_nobody = strcmp(kinds[i].name, "unreadable") == 0;
                const char *roles[3][8] = {
                        { bin, "--check-config", "-c", f, NULL },
                        { bin, "--check-config", "-c", list_conf, NULL },
                        { bin, "--check-cert", f, "-c", conf, NULL },
                };
                const int want[3] = { kinds[i].config, kinds[i].list, kinds[i].cert };

                free(tl_write(tmp, "bad-list.conf", "[service]\nmailbox_list = %s\n\n[pki]\n"
                              "trust_anchors = %s/anchors.pem\n\n[directory]\n"
                              "uri = ldap://127.0.0.1:1\nbase = o=Test\n", f, pki));
                ck_assert_int_eq(chmod(list_conf, 0644), 0);
                for (int k = 0; k < 3; k++) {
                        const char *argv[12] = { "setpriv", "--reuid=65534", "--regid=65534",
                                                 "--clear-groups" };
                        size_t n = 4;
                        struct tl_run r;

                        for (size_t j = 0; roles[k][j]; j++)
                                argv[n++] = roles[k][j];
                        argv[n] = NULL;
                        if (!as_nobody)
                                memmove(argv, argv + 4, (n - 3) * sizeof(*argv));
                        tl_run_argv(&r, argv, NULL, 10);
                        ck_assert_msg(r.status == want[k], "%s as %s: exit %d, want %d\n%s%s",
                                      kinds[i].name, k == 0 ? "configuration" : k == 1 ?
                                      "mailbox_list" : "certificate", r.status, want[k], r.out,
                                      r.err);
                        if (want[k] == 78 || want[k] == 3)
                                ck_assert_msg(strstr(r.err, f) &&
                                              strstr(r.err, k == 1 && kinds[i].list_why ?
                                                     kinds[i].list_why : kinds[i].why),
                                              "%s: %s", kinds[i].name, r.err);
                        if (k == 1 && want[k] == 78 && !kinds[i].list_why)
                                ck_assert_msg(strstr(r.err, "bad-list.conf:2: [service] "
                                                     "mailbox_list"), "%s", r.err);
                        tl_run_free(&r);
                }
                free(f);
        }
        /* The bind password file as a FIFO (its open used to block too). */
        {
                char *fifo = tl_path(dir, "fifo"), *c;
                const char *argv[] = { bin, "--check-config", "-c", NULL, NULL };
                struct tl_run r;

                c = tl_write(tmp, "bad-pw.conf", "[pki]\ntrust_anchors = %s/anchors.pem\n\n"
                             "[directory]\nuri = ldaps://127.0.0.1:1\nbase = o=Test\n"
                             "bind_dn = cn=reader,o=Test\npassword_file = %s\n", pki, fifo);
                argv[3] = c;
                tl_run_argv(&r, argv, NULL, 10);
                ck_assert_msg(r.status == 78 && strstr(r.err, "bad-pw.conf:8:") &&
                              strstr(r.err, "not a regular file"), "exit %d: %s", r.status, r.err);
                tl_run_free(&r);
                free(c);
                free(fifo);
        }
        tl_rm_rf(dir);
        free(dir);
        free(list_conf);
}
END_TEST

/* The report cannot be written: the check did not reach anyone. */
START_TEST(write_error)
{
        const char *bin = getenv("SMIMEWATCH_BIN");
        char *good = tl_path(pki, "good.pem");

        ck_assert_msg(access("/dev/full", W_OK) == 0, "this test needs /dev/full");
        ck_assert_int_eq(tl_sh("'%s' --check-config -c '%s' >/dev/full 2>/dev/null", bin, conf), 3);
        ck_assert_int_eq(tl_sh("'%s' --check-cert '%s' -c '%s' --json >/dev/full 2>/dev/null",
                               bin, good, conf), 3);
        ck_assert_int_eq(tl_sh("'%s' --check-cert '%s' -c '%s' >/dev/full 2>/dev/null",
                               bin, good, conf), 3);
        free(good);
}
END_TEST

/* ---- usage errors ---- */

struct usage_case {
        const char *args[8];
        const char *says;       /* in the message */
};

START_TEST(usage_errors)
{
        char *good = tl_path(pki, "good.pem");
        const struct usage_case cases[] = {
                { { "--bogus" }, "'--bogus'" },
                { { "-x" }, "'-x'" },
                { { "--json", "-xc", "foo" }, "'-x'" },
                { { "--json=yes", "--check-cert", good }, "'--json=yes'" },
                { { "--check-cert" }, "'--check-cert'" },
                { { "--check-cert", good, "-c" }, "'-c'" },
                { { "--check-cert", good, "--check-config", "-c", conf }, "choose one" },
                { { "--verify", "--check-cert", good, "-c", conf }, "choose one" },
                { { "--mailbox", "a@b.example", "-c", conf }, "--mailbox" },
                { { "--check-config", "--mailbox", "a@b.example", "-c", conf }, "--mailbox" },
                { { "--check-cert", good, "--mailbox", "not an address", "-c", conf },
                  "'not an address'" },
                { { "--check-cert", good, "--mailbox", "nobody", "-c", conf }, "'nobody'" },
                { { "--check-cert", good, "--mailbox", "a@b@c.example", "-c", conf },
                  "'a@b@c.example'" },
                { { "--check-cert", good, "--at", "yesterday", "-c", conf }, "'yesterday'" },
                { { "--check-cert", good, "--at", "2027-02-30", "-c", conf }, "'2027-02-30'" },
                { { "--check-cert", good, "--at", "2027-01-15T08:00:00", "-c", conf },
                  "'2027-01-15T08:00:00'" },
                { { "--check-cert", good, "-c", conf, "stray" }, "'stray'" },
                { { "--check-config", "-c", conf, "stray" }, "'stray'" },
                { { "--check-config", "--json", "-c", conf }, "--json" },
                { { "--json", "-c", conf }, "--json" },
                { { "--format", "xml", "--verify", "-c", conf }, "'xml'" },
                { { "--verify", "--format" }, "'--format'" },
                { { "--json", "--format", "text", "--verify", "-c", conf }, "one output format" },
                { { "--check-cert", good, "--format", "prometheus", "-c", conf }, "text or json" },
                { { "--check-cert", good, "--format", "plugin", "-c", conf }, "text or json" },
                { { "--check-config", "--format", "text", "-c", conf }, "--format" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *argv[10];
                struct tl_run r;
                size_t n = 0;

                for (; cases[i].args[n]; n++)
                        argv[n] = cases[i].args[n];
                argv[n] = NULL;
                tl_smimewatch(&r, argv);
                ck_assert_msg(r.status == 64, "case %zu (%s): exit %d; stderr: %s", i,
                              cases[i].says, r.status, r.err);
                ck_assert_msg(r.out[0] == 0, "case %zu: stdout: %s", i, r.out);
                one_line_hint(&r, cases[i].says);
                tl_run_free(&r);
        }
        free(good);
}
END_TEST

/* ---- configuration errors ---- */

START_TEST(config_errors)
{
        char *good = tl_path(pki, "good.pem");
        char *bad = tl_write(tmp, "bad.conf",
                             "# three mistakes\n"
                             "[pki]\n"
                             "trust_anchors = %s/anchors.pem\n"
                             "bogus = 1\n"
                             "\n"
                             "[nosuch]\n"
                             "x = 1\n"
                             "[service]\n"
                             "warn_days = many\n", pki);
        char *missing = tl_write(tmp, "missing.conf", "[pki]\ntrust_anchors = %s/nothing.pem\n",
                                 tmp);
        char *none = tl_path(tmp, "no-such.conf");
        struct tl_run r;
        char want[512];

        /* every error of the file, each as FILE:LINE: */
        for (int mode = 0; mode < 2; mode++) {
                if (mode == 0)
                        run(&r, "--check-cert", good, "-c", bad, "--json", NULL);
                else
                        run(&r, "--check-config", "-c", bad, NULL);
                ck_assert_msg(r.status == 78, "exit %d: %s", r.status, r.err);
                ck_assert_str_eq(r.out, "");
                ck_assert_int_eq(config_error_lines(&r, bad), 3);
                snprintf(want, sizeof(want), "%s:4: ", bad);
                ck_assert_msg(strstr(r.err, want) && strstr(r.err, "bogus"), "%s", r.err);
                snprintf(want, sizeof(want), "%s:6: ", bad);
                ck_assert_msg(strstr(r.err, want) && strstr(r.err, "nosuch"), "%s", r.err);
                snprintf(want, sizeof(want), "%s:9: ", bad);
                ck_assert_msg(strstr(r.err, want) && strstr(r.err, "warn_days"), "%s", r.err);
                tl_run_free(&r);
        }

        /* a trust_anchors file that is not there */
        run(&r, "--check-cert", good, "-c", missing, NULL);
        ck_assert_int_eq(r.status, 78);
        ck_assert_str_eq(r.out, "");
        ck_assert_int_eq(config_error_lines(&r, missing), 1);
        snprintf(want, sizeof(want), "%s:2: ", missing);
        ck_assert_msg(strstr(r.err, want) && strstr(r.err, "trust_anchors") &&
                      strstr(r.err, "nothing.pem"), "%s", r.err);
        tl_run_free(&r);

        /* no configuration file at all */
        run(&r, "--check-cert", good, "-c", none, NULL);
        ck_assert_int_eq(r.status, 78);
        ck_assert_msg(strstr(r.err, none) && strstr(r.err, "No such file"), "%s", r.err);
        tl_run_free(&r);
        free(good);
        free(bad);
        free(missing);
        free(none);
}
END_TEST

/* A trust_anchors file that exists but holds no certificate is found by
 * pki_load, after the configuration was parsed. */
START_TEST(config_anchors_without_certificate)
{
        char *good = tl_path(pki, "good.pem");
        char *anchors = tl_write(tmp, "no-anchor.pem", "not a certificate\n");
        char *c = tl_write(tmp, "no-anchor.conf", "[pki]\ntrust_anchors = %s\n", anchors);
        struct tl_run r;

        run(&r, "--check-cert", good, "-c", c, NULL);
        ck_assert_int_eq(r.status, 78);
        ck_assert_str_eq(r.out, "");
        ck_assert_msg(strncmp(r.err, c, strlen(c)) == 0 && strstr(r.err, "trust_anchors") &&
                      strstr(r.err, anchors), "%s", r.err);
        ck_assert_int_eq(config_error_lines(&r, c), 1);
        ck_assert_msg(strncmp(r.err + strlen(c), ":2: ", 4) == 0, "%s", r.err);
        tl_run_free(&r);
        free(good);
        free(anchors);
        free(c);
}
END_TEST

START_TEST(check_config)
{
        char *bad = tl_write(tmp, "bad2.conf", "[pki]\ntrust_anchors = %s/anchors.pem\n"
                             "revocation = sometimes\nmin_rsa_bits = 12\n", pki);
        struct tl_run r;

        run(&r, "--check-config", "-c", conf, NULL);
        ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
        ck_assert_str_eq(r.out, "configuration OK\n");
        tl_run_free(&r);
        run(&r, "--check-config", "-c", bad, NULL);
        ck_assert_int_eq(r.status, 78);
        ck_assert_str_eq(r.out, "");
        ck_assert_int_eq(config_error_lines(&r, bad), 2);
        ck_assert_msg(strstr(r.err, ":3: ") && strstr(r.err, "revocation"), "%s", r.err);
        ck_assert_msg(strstr(r.err, ":4: ") && strstr(r.err, "min_rsa_bits"), "%s", r.err);
        tl_run_free(&r);
        free(bad);
}
END_TEST

/* ---- --help, --version ---- */

START_TEST(help_and_version)
{
        static const char *const modes[] = { "--verify", "--check-cert", "--check-config",
                                             "--help", "--version", "service", "--mailbox",
                                             "--json", "--format", "--at", "--config" };
        regex_t version;
        struct tl_run r;

        for (int i = 0; i < 2; i++) {
                run(&r, i ? "-h" : "--help", NULL);
                ck_assert_int_eq(r.status, 0);
                ck_assert_str_eq(r.err, "");
                for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
                        ck_assert_msg(strstr(r.out, modes[k]), "%s missing in --help", modes[k]);
                tl_run_free(&r);
        }
        ck_assert_int_eq(regcomp(&version, "^smimewatch [0-9]+\\.[0-9]+\\.[0-9]+\n$",
                                 REG_EXTENDED | REG_NOSUB), 0);
        for (int i = 0; i < 2; i++) {
                run(&r, i ? "-V" : "--version", NULL);
                ck_assert_int_eq(r.status, 0);
                ck_assert_str_eq(r.err, "");
                ck_assert_msg(regexec(&version, r.out, 0, NULL, 0) == 0, "%s", r.out);
                tl_run_free(&r);
        }
        regfree(&version);
}
END_TEST

/* ---- the text report ---- */

/* The report for pki/NAME with EXTRA (one argument or NULL) agrees with
 * the JSON verdict: the status word first, every problem code, one advice
 * line each, and no escape byte (stdout is a pipe, even with TERM set). */
static void text_matches_json(const char *name, const char *opt, const char *val, int want)
{
        const char *bin = getenv("SMIMEWATCH_BIN");
        static const char *const env[] = { "TERM=xterm-256color", NULL };
        char *file = in_pki(name);
        const char *argv[] = { bin, "--check-cert", file, "-c", conf, opt, val, NULL };
        json_t *doc = check(want, name, conf, opt, val, NULL), *a, *p;
        const char *word = str(doc, "status");
        size_t i, arrows = 0;
        struct tl_run r;

        tl_run_argv(&r, argv, env, 60);
        ck_assert_msg(r.status == want, "%s: exit %d", name, r.status);
        ck_assert_str_eq(r.err, "");
        ck_assert_msg(!strchr(r.out, '\033'), "%s: escape byte in %s", name, r.out);
        for (i = 0; word[i]; i++)
                ck_assert_int_eq(r.out[i], word[i] - 'a' + 'A');
        ck_assert_msg(strstr(r.out, "Subject:") || strstr(r.out, "not readable"), "%s", r.out);
        a = json_object_get(cert_of(doc), "problems");
        json_array_foreach(a, i, p)
                ck_assert_msg(strstr(r.out, str(p, "code")), "%s missing: %s", str(p, "code"),
                              r.out);
        for (const char *s = r.out; (s = strstr(s, "\xe2\x86\x92 ")); s++)
                arrows++;
        ck_assert_uint_eq(arrows, json_array_size(a));
        if (json_array_size(a) == 0)
                ck_assert(strstr(r.out, "No problems found."));
        tl_run_free(&r);
        json_decref(doc);
        free(file);
}

START_TEST(text_report)
{
        char *good = tl_path(pki, "good.pem");
        struct tl_run r;

        run(&r, "--check-cert", good, "-c", conf, "--mailbox", "good@test.example", NULL);
        ck_assert_int_eq(r.status, 0);
        ck_assert(strncmp(r.out, "OK", 2) == 0);
        ck_assert(strstr(r.out, "Subject:     CN=good,O=Test,C=DE\n"));
        ck_assert(strstr(r.out, "good@test.example"));
        ck_assert(strstr(r.out, "RSA-3072"));
        ck_assert(!strchr(r.out, '\033'));
        /* a text report is not JSON */
        ck_assert(r.out[0] != '{');
        tl_run_free(&r);
        free(good);

        text_matches_json("good.pem", NULL, NULL, 0);
        text_matches_json("rsa2048.pem", "--mailbox", "other@test.example", 2);
        text_matches_json("dnonly.pem", "--mailbox", "dnonly@test.example", 1);
        text_matches_json("stale.pem", NULL, NULL, 1);
        text_matches_json("revoked.pem", NULL, NULL, 2);
        text_matches_json("sha1.pem", NULL, NULL, 2);
        text_matches_json("good.pem", "--at", "2030-01-01", 2);
}
END_TEST

/* Colour only on a terminal (a pty from script(1) here), and never with
 * NO_COLOR or TERM=dumb. */
START_TEST(colour_on_a_terminal)
{
        char *good = tl_path(pki, "good.pem");
        const char *bin = getenv("SMIMEWATCH_BIN");

        ck_assert_int_eq(tl_sh("TERM=xterm script -qec \"'%s' --check-cert '%s' -c '%s'\" /dev/null "
                               "| grep -q \"$(printf '\\033')\\[\"", bin, good, conf), 0);
        ck_assert_int_ne(tl_sh("NO_COLOR=1 TERM=xterm script -qec \"'%s' --check-cert '%s' -c '%s'\" "
                               "/dev/null | grep -q \"$(printf '\\033')\"", bin, good, conf), 0);
        ck_assert_int_ne(tl_sh("TERM=dumb script -qec \"'%s' --check-cert '%s' -c '%s'\" /dev/null "
                               "| grep -q \"$(printf '\\033')\"", bin, good, conf), 0);
        free(good);
}
END_TEST

START_TEST(text_report_unparsable)
{
        char *g = tl_write(tmp, "garbage.txt", "this is not a certificate\n");
        struct tl_run r;

        run(&r, "--check-cert", g, "-c", conf, NULL);
        ck_assert_int_eq(r.status, 2);
        ck_assert(strncmp(r.out, "CRITICAL", 8) == 0);
        ck_assert(strstr(r.out, "CERT_UNPARSABLE"));
        ck_assert(strstr(r.out, "\xe2\x86\x92 "));
        ck_assert(!strchr(r.out, '\033'));
        tl_run_free(&r);
        free(g);
}
END_TEST

/* The password systemd hands over (LoadCredential=) cannot be checked from
 * a shell: --check-config says so instead of failing; a password file it
 * can see is checked. */
START_TEST(check_config_bind_password)
{
        char *creds = tl_path(tmp, "creds");
        char *pw, *c, *env;
        struct tl_run r;

        c = conf_with("bind.conf", "",
                      "[directory]\nuri = ldaps://127.0.0.1:1\nbase = o=Test,c=DE\n"
                      "bind_dn = cn=reader,o=Test,c=DE\n");
        unsetenv("CREDENTIALS_DIRECTORY");
        run(&r, "--check-config", "-c", c, NULL);
        ck_assert_int_eq(r.status, 0);
        ck_assert_str_eq(r.out, "configuration OK\n");
        ck_assert_msg(strstr(r.err, "bind password is not checked"), "%s", r.err);
        tl_run_free(&r);

        ck_assert_int_eq(mkdir(creds, 0700), 0);
        pw = tl_write(creds, "ldap-password", "secret\n");
        ck_assert_int_eq(chmod(pw, 0600), 0);
        ck_assert_int_ge(asprintf(&env, "CREDENTIALS_DIRECTORY=%s", creds), 0);
        {
                const char *argv[] = { getenv("SMIMEWATCH_BIN"), "--check-config", "-c", c, NULL };
                const char *envv[] = { env, NULL };

                tl_run_argv(&r, argv, envv, 30);
                ck_assert_int_eq(r.status, 0);
                ck_assert_msg(!strstr(r.err, "password"), "%s", r.err);
                tl_run_free(&r);
                ck_assert_int_eq(chmod(pw, 0644), 0);
                tl_run_argv(&r, argv, envv, 30);
                ck_assert_int_eq(r.status, 78);
                ck_assert_msg(strstr(r.err, "readable by others"), "%s", r.err);
                ck_assert_ptr_null(strstr(r.err, "secret"));
                tl_run_free(&r);
        }
        free(env);
        free(pw);
        free(c);
        free(creds);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("cli");
        TCase *tc = tcase_create("cli");

        tcase_add_unchecked_fixture(tc, build_pki, remove_pki);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, fixture_built);
        tcase_add_test(tc, good_certificate_json);
        tcase_add_test(tc, revocation_off);
        tcase_add_test(tc, formats);
        tcase_add_test(tc, chain_in_file);
        tcase_add_test(tc, unparsable);
        tcase_add_test(tc, validity);
        tcase_add_test(tc, untrusted);
        tcase_add_test(tc, revoked);
        tcase_add_test(tc, revocation_unknown);
        tcase_add_test(tc, address);
        tcase_add_test(tc, wrong_usage);
        tcase_add_test(tc, weak_key_and_signature);
        tcase_add_test(tc, policy);
        tcase_add_test(tc, expiring);
        tcase_add_test(tc, at_time);
        tcase_add_test(tc, at_crl_freshness);
        tcase_add_test(tc, unreadable_files);
        tcase_add_test(tc, write_error);
        tcase_add_test(tc, usage_errors);
        tcase_add_test(tc, config_errors);
        tcase_add_test(tc, config_anchors_without_certificate);
        tcase_add_test(tc, check_config_bind_password);
        tcase_add_test(tc, check_config);
        tcase_add_test(tc, help_and_version);
        tcase_add_test(tc, text_report);
        tcase_add_test(tc, text_report_unparsable);
        tcase_add_test(tc, colour_on_a_terminal);
        tcase_add_test(tc, bad_files);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
