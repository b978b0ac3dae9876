/* SPDX-License-Identifier: EUPL-1.2 */
/* Revocation that stays current by itself (revocation.c, fetch.c), all
 * real: a test PKI (tests/mkpki) whose certificates name HTTP and LDAP CRL
 * distribution points and an OCSP responder; the CRLs served by
 * tests/httpd (which counts the requests and misbehaves on demand) and by
 * slapd on the CAs' entries; OCSP answered by `openssl ocsp -port`. No
 * [pki] crls is configured unless a test says so. */
#include <check.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "httptest.h"
#include "ldaptest.h"
#include "testlib.h"
#include "util.h"

#define SUFFIX "o=Test,c=DE"
/* Commas in the DN are %2C: openssl x509v3 configuration splits its values at commas. */
#define CA_DN(name) "cn=Test%%20Verwaltungs-PKI%%20" name "%%2Co=Test%%2Cc=DE"

/* Made once per run of this binary (the tests fork from it). */
static struct {
        char *dir;
        char *pki;
        char *crls;             /* pristine DER CRLs, copied into each test's www/ */
        int hp, op;             /* ports of the HTTP server and the OCSP responder */
        struct tl_slapd slapd;
} W;

/* One test: its own server directory and cache. */
struct t {
        char *dir;
        char *cache;
        char *conf;
        struct tl_httpd h;
        struct tl_ocspd o;
};

static const char *script(const char *name)
{
        static char path[4096];

        snprintf(path, sizeof(path), "%s/tests/%s", tl_srcdir(), name);
        return path;
}

static void mkpki(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mkpki(const char *fmt, ...)
{
        char *args = NULL;
        va_list ap;

        va_start(ap, fmt);
        ck_assert_int_ge(vasprintf(&args, fmt, ap), 0);
        va_end(ap);
        ck_assert_msg(tl_sh("'%s' %s >&2", script("mkpki"), args) == 0, "mkpki %s", args);
        free(args);
}

static char *b64_of_file(const char *path)
{
        unsigned char *data = NULL;
        size_t len;
        char *b64;

        ck_assert_msg(util_read_file(path, UTIL_MAX_FILE_SIZE, &data, &len) == 0, "%s", path);
        b64 = tl_base64(data, len);
        free(data);
        return b64;
}

static void ldif_ca(FILE *f, const char *cn, const char *crl_attr, const char *crl_file)
{
        char *path = tl_path(W.crls, crl_file), *b64 = b64_of_file(path);

        fprintf(f, "dn: cn=%s," SUFFIX "\nobjectClass: cRLDistributionPoint\ncn: %s\n", cn, cn);
        fprintf(f, "%s:: %s\n\n", crl_attr, b64);
        free(b64);
        free(path);
}

static void ldif_person(FILE *f, const char *uid, const char *cert)
{
        char *path = NULL, *b64;

        ck_assert_int_ge(asprintf(&path, "%s/%s.der", W.pki, cert), 0);
        b64 = b64_of_file(path);
        fprintf(f, "dn: uid=%s,ou=people," SUFFIX "\nobjectClass: inetOrgPerson\nuid: %s\n"
                "cn: %s\nsn: %s\nmail: %s@test.example\nuserCertificate;binary:: %s\n\n",
                uid, uid, uid, uid, uid, b64);
        free(b64);
        free(path);
}

static void der(const char *ca, const char *name)
{
        ck_assert_int_eq(tl_sh("openssl crl -in '%s/crls/%s.pem' -outform DER -out '%s/%s'",
                               W.pki, ca, W.crls, name), 0);
}

static void world_up(void)
{
        char *ldif, ldap[128], http[128], ocsp[128];
        const char *lp;
        FILE *f;

        W.dir = tl_mkdtemp();
        W.pki = tl_path(W.dir, "pki");
        W.crls = tl_path(W.dir, "crls");
        ck_assert_int_eq(mkdir(W.crls, 0755), 0);
        W.hp = tl_fixed_port();
        do
                W.op = tl_fixed_port();
        while (W.op == W.hp);
        {
                char *d = tl_path(W.dir, "ldap");

                tl_slapd_start(&W.slapd, d, SUFFIX, NULL, NULL, NULL);
                free(d);
        }
        lp = W.slapd.ldap_url;
        snprintf(ldap, sizeof(ldap), "%s", lp);
        snprintf(http, sizeof(http), "http://127.0.0.1:%d", W.hp);
        snprintf(ocsp, sizeof(ocsp), "http://127.0.0.1:%d/", W.op);

        mkpki("init '%s'", W.pki);
        mkpki("ca '%s' web --key rsa3072 --crl-url %s/root.crl", W.pki, http);
        mkpki("ca '%s' lca --key rsa3072 --crl-url '%s/" CA_DN("Root%%20CA")
              "?authorityRevocationList;binary'", W.pki, ldap);
        mkpki("ca '%s' oc --key rsa3072 --crl-url %s/root.crl", W.pki, http);
        mkpki("ca '%s' dark --crl-url %s/root.crl", W.pki, http);
        mkpki("issue '%s' good --ca web --crl-url %s/web.crl", W.pki, http);
        mkpki("issue '%s' revoked --ca web --crl-url %s/web.crl", W.pki, http);
        mkpki("issue '%s' late --ca web --crl-url %s/web.crl", W.pki, http);
        mkpki("issue '%s' proxied --ca web --crl-url http://crl.invalid/web.crl", W.pki);
        mkpki("issue '%s' lgood --ca lca --crl-url '%s/" CA_DN("CA%%20lca")
              "?certificateRevocationList;binary'", W.pki, ldap);
        mkpki("issue '%s' lplain --ca lca --crl-url '%s/" CA_DN("CA%%20lca")
              "?certificateRevocationList'", W.pki, ldap);
        mkpki("issue '%s' lrevoked --ca lca --crl-url '%s/" CA_DN("CA%%20lca")
              "?certificateRevocationList;binary'", W.pki, ldap);
        mkpki("issue '%s' ogood --ca oc --ocsp-url %s --crl-url %s/oc.crl", W.pki, ocsp, http);
        mkpki("issue '%s' orevoked --ca oc --ocsp-url %s --crl-url %s/oc.crl", W.pki, ocsp, http);
        /* A delegated responder of oc (RFC 6960 4.2.2.2). */
        mkpki("issue '%s' responder --ca oc --eku ocsp --ku digitalSignature --no-san", W.pki);
        mkpki("issue '%s' unknown --ca dark --crl-url %s/dark.crl", W.pki, http);
        /* CRLs of web: an old one (thisUpdate two days ago, before "late"
         * was revoked), a short-lived one, then the current one. */
        mkpki("crl '%s' web --from -2 --der '%s/web-old.crl'", W.pki, W.crls);
        mkpki("crl '%s' web --from -1m --to 2m --der '%s/web-short.crl'", W.pki, W.crls);
        mkpki("revoke '%s' revoked", W.pki);
        mkpki("revoke '%s' late", W.pki);
        mkpki("revoke '%s' lrevoked", W.pki);
        mkpki("revoke '%s' orevoked", W.pki);
        mkpki("forge-crl '%s' web '%s/web-forged.crl'", W.pki, W.crls);
        der("root", "root.crl");
        der("web", "web.crl");
        der("oc", "oc.crl");
        der("lca", "lca.crl");

        ldif = tl_path(W.dir, "cas.ldif");
        f = fopen(ldif, "w");
        ck_assert_ptr_nonnull(f);
        ldif_ca(f, "Test Verwaltungs-PKI Root CA", "authorityRevocationList;binary", "root.crl");
        ldif_ca(f, "Test Verwaltungs-PKI CA lca", "certificateRevocationList;binary", "lca.crl");
        ldif_ca(f, "Test Verwaltungs-PKI CA web", "certificateRevocationList;binary", "web.crl");
        fprintf(f, "dn: ou=people," SUFFIX "\nobjectClass: organizationalUnit\nou: people\n\n");
        ldif_person(f, "good", "good");
        ldif_person(f, "revoked", "revoked");
        ldif_person(f, "late", "late");
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(tl_sh("'%s' add '%s' '%s'", script("slapd-ctl"), W.slapd.dir, ldif), 0);
        free(ldif);
}

static void world_down(void)
{
        tl_slapd_stop(&W.slapd);
        tl_rm_rf(W.dir);
        free(W.dir);
        free(W.pki);
        free(W.crls);
}

/* ---- one test ---------------------------------------------------------- */

static void t_init(struct t *t)
{
        memset(t, 0, sizeof(*t));
        t->dir = tl_mkdtemp();
        t->cache = tl_path(t->dir, "cache");
        t->conf = tl_path(t->dir, "smimewatch.conf");
        ck_assert_int_eq(mkdir(t->cache, 0700), 0);
        ck_assert_int_eq(tl_sh("mkdir -p '%s/www' && cp '%s'/*.crl '%s/www/'", t->dir, W.crls,
                               t->dir), 0);
}

static void t_free(struct t *t)
{
        tl_httpd_stop(&t->h);
        tl_ocspd_stop(&t->o);
        tl_rm_rf(t->dir);
        free(t->h.dir);
        free(t->dir);
        free(t->cache);
        free(t->conf);
}

static void serve(struct t *t)
{
        tl_httpd_start(&t->h, t->dir, W.hp);
}

/* Serves www/NAME with the contents of the pristine CRL file. */
static void publish(struct t *t, const char *name, const char *from)
{
        ck_assert_int_eq(tl_sh("cp '%s/%s' '%s/www/%s'", W.crls, from, t->dir, name), 0);
}

/* [pki] with these intermediates (a CA name of the PKI or "all") and lines. */
static void conf(struct t *t, const char *inter, const char *lines)
{
        char *path = NULL;

        if (strcmp(inter, "all") == 0)
                ck_assert_int_ge(asprintf(&path, "%s/intermediates.pem", W.pki), 0);
        else
                ck_assert_int_ge(asprintf(&path, "%s/ca/%s/cert.pem", W.pki, inter), 0);
        /* A loaded machine may take a while to answer on loopback too. */
        free(tl_write(t->dir, "smimewatch.conf",
                      "[pki]\ntrust_anchors = %s/anchors.pem\nintermediates = %s\n"
                      "%s\n%s\n"
                      "[directory]\nuri = %s\nbase = " SUFFIX "\ntimeout = 2s\n"
                      "[policy]\nrequire = encryption\n",
                      W.pki, path, strstr(lines, "fetch_timeout") ? "" : "fetch_timeout = 10s",
                      lines, W.slapd.ldap_url));
        free(path);
}

/* smimewatch ARGS... with the test's cache. */
static void sw(struct t *t, struct tl_run *r, const char *const *args)
{
        const char *argv[32] = { getenv("SMIMEWATCH_BIN"), "-c", t->conf };
        char env_cache[4200];
        const char *env[] = { env_cache, NULL };
        size_t n = 3;

        ck_assert_ptr_nonnull(argv[0]);
        snprintf(env_cache, sizeof(env_cache), "CACHE_DIRECTORY=%s", t->cache);
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        tl_run_argv(r, argv, env, 60);
}

/* --check-cert NAME --json [extra [extra2]]: the document; r keeps stderr. */
static json_t *check2(struct t *t, struct tl_run *r, const char *name, const char *extra,
                      const char *extra2)
{
        char *file = NULL;
        json_t *doc;

        ck_assert_int_ge(asprintf(&file, "%s/%s.pem", W.pki, name), 0);
        {
                const char *args[] = { "--check-cert", file, "--json", extra, extra2, NULL };

                sw(t, r, args);
        }
        free(file);
        doc = tl_json(r);
        return doc;
}

static json_t *check(struct t *t, struct tl_run *r, const char *name, const char *extra)
{
        return check2(t, r, name, extra, NULL);
}

static const char *cstr(json_t *doc, const char *key)
{
        json_t *c = json_object_get(doc, "certificate");
        json_t *v = json_object_get(c, key);

        return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *src(json_t *doc, const char *key)
{
        json_t *s = json_object_get(json_object_get(doc, "certificate"), "revocation_source");
        json_t *v = json_object_get(s, key);

        return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The messages of the certificate's problems with code, joined. */
static bool has_problem(json_t *doc, const char *code, const char *text)
{
        json_t *list = json_object_get(json_object_get(doc, "certificate"), "problems");
        size_t i;
        json_t *p;

        json_array_foreach(list, i, p) {
                const char *c = json_string_value(json_object_get(p, "code"));
                const char *m = json_string_value(json_object_get(p, "message"));

                if (c && strcmp(c, code) == 0 && (!text || (m && strstr(m, text))))
                        return true;
        }
        return false;
}

static void expect(json_t *doc, const struct tl_run *r, const char *status, const char *revocation)
{
        ck_assert_msg(strcmp(json_string_value(json_object_get(doc, "status")), status) == 0 &&
                      strcmp(cstr(doc, "revocation"), revocation) == 0,
                      "want %s/%s:\n%s\nstderr: %s", status, revocation, r->out, r->err);
}

static char *url(const char *path)
{
        char *u = NULL;

        ck_assert_int_ge(asprintf(&u, "http://127.0.0.1:%d%s", W.hp, path), 0);
        return u;
}

/* The cache file of a CRL URL (revocation.c names them by its SHA-256). */
static char *cache_file(struct t *t, const char *u)
{
        unsigned char md[32];
        unsigned len = 0;
        char hex[65], *p = NULL;

        ck_assert(EVP_Digest(u, strlen(u), md, &len, EVP_sha256(), NULL));
        util_hex(md, 32, hex);
        ck_assert_int_ge(asprintf(&p, "%s/crl-%s.der", t->cache, hex), 0);
        return p;
}

/* Makes every cached file look fetched two hours ago: due again. */
static void age_cache(struct t *t)
{
        ck_assert_int_eq(tl_sh("touch -d '-2 hours' '%s'/*", t->cache), 0);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(http_good_revoked_unknown)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        char *u = url("/web.crl");

        t_init(&t);
        serve(&t);
        /* No [pki] crls at all: the distribution points are enough. */
        conf(&t, "all", "");
        doc = check(&t, &r, "good", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_str_eq(src(doc, "type"), "crl");
        ck_assert_str_eq(src(doc, "location"), u);
        ck_assert_ptr_nonnull(src(doc, "this_update"));
        ck_assert_ptr_nonnull(src(doc, "next_update"));
        json_decref(doc);
        tl_run_free(&r);

        doc = check(&t, &r, "revoked", NULL);
        expect(doc, &r, "critical", "revoked");
        ck_assert(has_problem(doc, "CERT_REVOKED", "keyCompromise"));
        json_decref(doc);
        tl_run_free(&r);

        /* dark's CRL is published nowhere: unknown, naming what was tried. */
        doc = check(&t, &r, "unknown", NULL);
        expect(doc, &r, "warning", "unknown");
        ck_assert(has_problem(doc, "REVOCATION_UNKNOWN", "/dark.crl"));
        ck_assert(json_is_null(json_object_get(json_object_get(doc, "certificate"),
                                               "revocation_source")));
        json_decref(doc);
        tl_run_free(&r);
        /* The human report names the source too. */
        {
                char *file = tl_path(W.pki, "good.pem");
                const char *args[] = { "--check-cert", file, NULL };

                sw(&t, &r, args);
                ck_assert_msg(strstr(r.out, "Revocation:  good (crl ") && strstr(r.out, u),
                              "%s", r.out);
                tl_run_free(&r);
                free(file);
        }
        free(u);
        t_free(&t);
}
END_TEST

START_TEST(ldap_distribution_points)
{
        struct t t;
        struct tl_run r;
        json_t *doc;

        t_init(&t);
        /* lca's certificate names the root's authorityRevocationList;binary,
         * lgood and lrevoked certificateRevocationList;binary, lplain the
         * attribute without ;binary: all on the CAs' entries in slapd. */
        conf(&t, "lca", "");
        doc = check(&t, &r, "lgood", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_str_eq(src(doc, "type"), "crl");
        ck_assert_ptr_nonnull(strstr(src(doc, "location"), "?certificateRevocationList;binary"));
        ck_assert(strncmp(src(doc, "location"), "ldap://127.0.0.1:", 17) == 0);
        json_decref(doc);
        tl_run_free(&r);
        doc = check(&t, &r, "lplain", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_ptr_nonnull(strstr(src(doc, "location"), "?certificateRevocationList"));
        ck_assert_ptr_null(strstr(src(doc, "location"), ";binary"));
        json_decref(doc);
        tl_run_free(&r);
        doc = check(&t, &r, "lrevoked", NULL);
        expect(doc, &r, "critical", "revoked");
        json_decref(doc);
        tl_run_free(&r);
        t_free(&t);
}
END_TEST

START_TEST(ocsp_responder)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        char ocsp[64];

        snprintf(ocsp, sizeof(ocsp), "http://127.0.0.1:%d/", W.op);
        t_init(&t);
        serve(&t);
        tl_ocspd_start(&t.o, W.pki, "oc", W.op, 5);
        conf(&t, "oc", "revocation = ocsp-then-crl");
        doc = check(&t, &r, "ogood", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_msg(strcmp(src(doc, "type"), "ocsp") == 0, "%s", r.err);
        ck_assert_str_eq(src(doc, "location"), ocsp);
        ck_assert_ptr_nonnull(src(doc, "next_update"));
        json_decref(doc);
        tl_run_free(&r);
        doc = check(&t, &r, "orevoked", NULL);
        expect(doc, &r, "critical", "revoked");
        ck_assert(has_problem(doc, "CERT_REVOKED", "was revoked on"));
        json_decref(doc);
        tl_run_free(&r);
        /* OCSP alone, with oc as the anchor so that only the certificate
         * itself needs an answer; the CRLs are not fetched at all. */
        free(tl_write(t.dir, "smimewatch.conf", "[pki]\ntrust_anchors = %s/ca/oc/cert.pem\n"
                      "revocation = ocsp\n", W.pki));
        doc = check(&t, &r, "ogood", "--offline");
        expect(doc, &r, "ok", "good");          /* the cached answer */
        json_decref(doc);
        tl_run_free(&r);

        /* The responder is down. */
        tl_ocspd_stop(&t.o);
        age_cache(&t);
        int hits = tl_httpd_hits(&t.h, "/oc.crl");
        doc = check(&t, &r, "orevoked", NULL);
        /* The cached answer is still current: the revocation stands. */
        expect(doc, &r, "critical", "revoked");
        json_decref(doc);
        tl_run_free(&r);
        tl_rm_rf(t.cache);
        ck_assert_int_eq(mkdir(t.cache, 0700), 0);
        doc = check(&t, &r, "ogood", NULL);
        expect(doc, &r, "warning", "unknown");
        ck_assert(has_problem(doc, "REVOCATION_UNKNOWN", ocsp));
        ck_assert_ptr_nonnull(strstr(r.err, ocsp));
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/oc.crl"), hits);
        /* ocsp-then-crl falls back to the CRL. */
        conf(&t, "oc", "revocation = ocsp-then-crl");
        doc = check(&t, &r, "ogood", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_str_eq(src(doc, "type"), "crl");
        ck_assert_ptr_nonnull(strstr(r.err, ocsp));
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/oc.crl"), hits + 1);
        t_free(&t);
}
END_TEST

/* oc as the anchor, OCSP only, answers signed by pki/SIGNER: only the
 * certificate itself needs an answer. */
static void ocsp_signed_by(struct t *t, const char *signer)
{
        t_init(t);
        tl_ocspd_start_signed(&t->o, W.pki, "oc", signer, W.op, 5);
        free(tl_write(t->dir, "smimewatch.conf", "[pki]\ntrust_anchors = %s/ca/oc/cert.pem\n"
                      "revocation = ocsp\nfetch_timeout = 10s\n", W.pki));
}

/* Answers signed by a responder certificate that oc issued for OCSP
 * signing are taken; answers signed with the key of one of oc's mail
 * certificates (issued by oc, but not for OCSP) are refused. */
START_TEST(ocsp_delegated_responder)
{
        struct t t;
        struct tl_run r;
        json_t *doc;

        ocsp_signed_by(&t, "responder");
        doc = check(&t, &r, "ogood", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_msg(strcmp(src(doc, "type"), "ocsp") == 0, "%s", r.err);
        json_decref(doc);
        tl_run_free(&r);
        doc = check(&t, &r, "orevoked", NULL);
        expect(doc, &r, "critical", "revoked");
        json_decref(doc);
        tl_run_free(&r);
        tl_ocspd_stop(&t.o);
        t_free(&t);

        ocsp_signed_by(&t, "ogood");
        doc = check(&t, &r, "orevoked", NULL);
        expect(doc, &r, "warning", "unknown");
        /* Refused for its signer, not for any other OCSP failure. */
        ck_assert_msg(has_problem(doc, "REVOCATION_UNKNOWN", "signer is not authorised by the CA"),
                      "%s", r.out);
        json_decref(doc);
        tl_run_free(&r);
        tl_ocspd_stop(&t.o);
        t_free(&t);
}
END_TEST

START_TEST(cache_reused_until_due)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        char at[32];

        t_init(&t);
        serve(&t);
        conf(&t, "web", "");
        for (int i = 0; i < 3; i++) {
                doc = check(&t, &r, "good", NULL);
                expect(doc, &r, "ok", "good");
                json_decref(doc);
                tl_run_free(&r);
        }
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 1);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/root.crl"), 1);
        /* crl_refresh (default 1h) after the fetch: due. */
        age_cache(&t);
        doc = check(&t, &r, "good", NULL);
        expect(doc, &r, "ok", "good");
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 2);
        /* Close to nextUpdate (365 days away; within the margin of an hour). */
        {
                time_t when = time(NULL) + 364 * 86400 + 23 * 3600 + 1800;

                util_format_time(when, at);
        }
        {
                char *file = tl_path(W.pki, "good.pem");
                const char *args[] = { "--check-cert", file, "--json", "--at", at, NULL };

                sw(&t, &r, args);
                tl_run_free(&r);
                free(file);
        }
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 3);
        t_free(&t);
}
END_TEST

START_TEST(verify_fetches_once_per_ca)
{
        struct t t;
        struct tl_run r;
        json_t *doc, *m;
        size_t i;

        t_init(&t);
        serve(&t);
        conf(&t, "web", "[mailbox good@test.example]\n[mailbox revoked@test.example]\n"
                        "[mailbox late@test.example]\n");
        {
                const char *args[] = { "--verify", "--json", NULL };

                sw(&t, &r, args);
        }
        doc = tl_json(&r);
        ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "critical");
        json_array_foreach(json_object_get(doc, "mailboxes"), i, m) {
                const char *a = json_string_value(json_object_get(m, "address"));
                json_t *c = json_array_get(json_object_get(m, "certificates"), 0);

                ck_assert_str_eq(json_string_value(json_object_get(c, "revocation")),
                                 strcmp(a, "good@test.example") == 0 ? "good" : "revoked");
        }
        json_decref(doc);
        tl_run_free(&r);
        /* Three mailboxes, one fetch per CA. */
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 1);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/root.crl"), 1);
        t_free(&t);
}
END_TEST

START_TEST(down_with_current_cache)
{
        struct t t;
        struct tl_run r;
        json_t *doc;

        t_init(&t);
        serve(&t);
        conf(&t, "web", "");
        doc = check(&t, &r, "good", NULL);
        expect(doc, &r, "ok", "good");
        json_decref(doc);
        tl_run_free(&r);
        tl_httpd_stop(&t.h);
        age_cache(&t);
        doc = check(&t, &r, "good", NULL);
        /* No alarm: the cached CRL is current. */
        expect(doc, &r, "ok", "good");
        ck_assert_ptr_nonnull(strstr(r.err, "the cached CRL is still current and is used"));
        json_decref(doc);
        tl_run_free(&r);
        t_free(&t);
}
END_TEST

START_TEST(down_with_expired_cache)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        char at[32], *u = url("/web.crl");

        t_init(&t);
        publish(&t, "web.crl", "web-short.crl");        /* valid for two minutes */
        serve(&t);
        conf(&t, "web", "");
        doc = check(&t, &r, "good", NULL);
        expect(doc, &r, "ok", "good");
        json_decref(doc);
        tl_run_free(&r);
        tl_httpd_stop(&t.h);
        util_format_time(time(NULL) + 600, at);
        doc = check2(&t, &r, "good", "--at", at);
        expect(doc, &r, "warning", "unknown");
        ck_assert(has_problem(doc, "REVOCATION_UNKNOWN", u));
        json_decref(doc);
        tl_run_free(&r);
        free(u);
        t_free(&t);
}
END_TEST

START_TEST(older_crl_refused)
{
        struct t t;
        struct tl_run r;
        json_t *doc;

        t_init(&t);
        serve(&t);
        conf(&t, "web", "");
        doc = check(&t, &r, "late", NULL);
        expect(doc, &r, "critical", "revoked");
        json_decref(doc);
        tl_run_free(&r);
        /* The server goes back to a CRL from before "late" was revoked. */
        publish(&t, "web.crl", "web-old.crl");
        age_cache(&t);
        doc = check(&t, &r, "late", NULL);
        expect(doc, &r, "critical", "revoked");
        ck_assert_msg(strstr(r.err, "/web.crl': older than the cached CRL"), "%s", r.err);
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 2);
        t_free(&t);
}
END_TEST

START_TEST(foreign_signature_refused)
{
        struct t t;
        struct tl_run r;
        json_t *doc;

        t_init(&t);
        publish(&t, "web.crl", "web-forged.crl");
        serve(&t);
        conf(&t, "web", "");
        doc = check(&t, &r, "revoked", NULL);
        /* Never "good" from a CRL the CA did not sign. */
        expect(doc, &r, "warning", "unknown");
        ck_assert(has_problem(doc, "REVOCATION_UNKNOWN", "signature does not verify with the key"));
        json_decref(doc);
        tl_run_free(&r);
        /* With a genuine CRL cached, the forged one changes nothing. */
        publish(&t, "web.crl", "web.crl");
        doc = check(&t, &r, "revoked", NULL);
        expect(doc, &r, "critical", "revoked");
        json_decref(doc);
        tl_run_free(&r);
        publish(&t, "web.crl", "web-forged.crl");
        age_cache(&t);
        doc = check(&t, &r, "revoked", NULL);
        expect(doc, &r, "critical", "revoked");
        ck_assert_ptr_nonnull(strstr(r.err, "signature does not verify"));
        json_decref(doc);
        tl_run_free(&r);
        t_free(&t);
}
END_TEST

static void limit_case(const char *mode, const char *why)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        time_t start;

        t_init(&t);
        serve(&t);
        tl_httpd_mode(&t.h, mode);
        conf(&t, "web", "fetch_timeout = 2s");
        start = time(NULL);
        doc = check(&t, &r, "good", NULL);
        /* fetch_timeout = 2s per URL, two URLs. */
        ck_assert_int_le(time(NULL) - start, 10);
        expect(doc, &r, "warning", "unknown");
        ck_assert_msg(has_problem(doc, "REVOCATION_UNKNOWN", why), "%s: %s", mode, r.out);
        json_decref(doc);
        tl_run_free(&r);
        t_free(&t);
}

START_TEST(limits)
{
        limit_case("huge", "max resp len exceeded");
        limit_case("slow", "timeout");
        limit_case("redirect", "more than 3 redirects");
}
END_TEST

START_TEST(corrupt_cache_replaced)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        char *u = url("/web.crl"), *file;

        t_init(&t);
        serve(&t);
        conf(&t, "web", "");
        file = cache_file(&t, u);
        ck_assert_int_eq(tl_sh("echo 'not a CRL at all' > '%s'", file), 0);
        doc = check(&t, &r, "good", NULL);
        expect(doc, &r, "ok", "good");
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 1);
        ck_assert_int_eq(tl_sh("cmp -s '%s' '%s/web.crl'", file, W.crls), 0);
        free(file);
        free(u);
        t_free(&t);
}
END_TEST

START_TEST(through_a_proxy)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        char line[128];

        t_init(&t);
        serve(&t);
        snprintf(line, sizeof(line), "http_proxy = http://127.0.0.1:%d", W.hp);
        conf(&t, "web", line);
        doc = check(&t, &r, "proxied", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_str_eq(src(doc, "location"), "http://crl.invalid/web.crl");
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "PROXY /web.crl"), 1);
        t_free(&t);
}
END_TEST

START_TEST(offline_uses_the_cache_only)
{
        struct t t;
        struct tl_run r;
        json_t *doc;

        t_init(&t);
        serve(&t);
        conf(&t, "web", "");
        doc = check(&t, &r, "good", "--offline");
        expect(doc, &r, "warning", "unknown");
        ck_assert(has_problem(doc, "REVOCATION_UNKNOWN", "offline"));
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 0);
        doc = check(&t, &r, "good", NULL);
        json_decref(doc);
        tl_run_free(&r);
        age_cache(&t);
        doc = check(&t, &r, "good", "--offline");
        expect(doc, &r, "ok", "good");
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 1);
        t_free(&t);
}
END_TEST

START_TEST(files_and_directory_sources)
{
        struct t t;
        struct tl_run r;
        json_t *doc;
        char lines[512];

        t_init(&t);
        serve(&t);
        /* A current configured file comes first: nothing is fetched. */
        snprintf(lines, sizeof(lines), "crls = %s/crls/web.pem, %s/crls/root.pem", W.pki, W.pki);
        conf(&t, "web", lines);
        doc = check(&t, &r, "good", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_str_eq(src(doc, "type"), "file");
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 0);
        /* Only the CA's entry in [directory]. */
        conf(&t, "web", "revocation_sources = crl-directory");
        doc = check(&t, &r, "revoked", NULL);
        expect(doc, &r, "critical", "revoked");
        json_decref(doc);
        tl_run_free(&r);
        doc = check(&t, &r, "good", NULL);
        expect(doc, &r, "ok", "good");
        ck_assert_str_eq(src(doc, "location"), "directory CN=Test Verwaltungs-PKI CA web,O=Test,C=DE");
        json_decref(doc);
        tl_run_free(&r);
        ck_assert_int_eq(tl_httpd_hits(&t.h, "/web.crl"), 0);
        t_free(&t);
}
END_TEST

static Suite *revocation_suite(void)
{
        Suite *s = suite_create("revocation");
        TCase *t = tcase_create("revocation");

        tcase_add_unchecked_fixture(t, world_up, world_down);
        tcase_set_timeout(t, 60);
        tcase_add_test(t, http_good_revoked_unknown);
        tcase_add_test(t, ldap_distribution_points);
        tcase_add_test(t, ocsp_responder);
        tcase_add_test(t, ocsp_delegated_responder);
        tcase_add_test(t, cache_reused_until_due);
        tcase_add_test(t, verify_fetches_once_per_ca);
        tcase_add_test(t, down_with_current_cache);
        tcase_add_test(t, down_with_expired_cache);
        tcase_add_test(t, older_crl_refused);
        tcase_add_test(t, foreign_signature_refused);
        tcase_add_test(t, limits);
        tcase_add_test(t, corrupt_cache_replaced);
        tcase_add_test(t, through_a_proxy);
        tcase_add_test(t, offline_uses_the_cache_only);
        tcase_add_test(t, files_and_directory_sources);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return tl_run_suite(revocation_suite());
}
