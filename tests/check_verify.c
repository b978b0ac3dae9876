/* SPDX-License-Identifier: EUPL-1.2 */
/* smimewatch --verify end to end: the real binary ($SMIMEWATCH_BIN) with
 * configurations written here, against a real slapd (tests/slapd-ctl)
 * started once per group and loaded with certificates of a test PKI built
 * once with tests/mkpki. Covers every mailbox-level problem code, the
 * status and exit rules, the JSON document and the text report, TLS and
 * binding, directory outages and hostile directory content. */
#include <check.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ldaprogue.h"
#include "ldaptest.h"
#include "testlib.h"
#include "util.h"

#define DOM "example.org"
#define SUFFIX "o=Test,c=DE"
#define MAILDN "ou=mail," SUFFIX
#define READER "uid=reader," SUFFIX
#define READER_PW "Reader-Secret-4711"
#define WRONG_PW "Wrong-Secret-0815"
#define UC "userCertificate;binary"
#define SMIME "userSMIMECertificate"
#define ESC_CN "evil\033[31mred"
#define ESC_VALUE "\033]0;pwned\007 not a certificate \033[2J"
#define GARBAGE "garbage, not a certificate"
#define MAX_ARGS 24
#define DAY 86400L

static char *tmp;               /* everything of this run */
static char *pki;               /* tmp/pki, built by tests/mkpki */
static char *tls;               /* tmp/tls: the directory's TLS certificates */
static char *ldif;              /* tmp/directory.ldif: every group's directory content */
static time_t built;            /* the PKI's dates are relative to this */
static struct tl_slapd srv;     /* the server of the running group */

/* ---- the test PKI and the directory content ---- */

static void make_pki(void)
{
        char *mkpki = tl_path(tl_srcdir(), "tests/mkpki");
        int r;

        built = time(NULL);
        r = tl_sh("set -e; M='%s'; D='%s'; E=@" DOM "\n"
                  "i() { n=$1; shift; $M issue $D $n \"$@\"; }\n"
                  "$M init $D\n"
                  "i ok-enc --email ok$E --usage enc --to 400\n"
                  "i ok-sig --email ok$E --usage sig --to 300\n"
                  "i both --email both$E --to 800\n"
                  "i many --email many$E --to 800\n"
                  "i p7-enc --email p7$E --usage enc --to 800\n"
                  "i p7-sig --email p7$E --usage sig --to 800\n"
                  "i local-enc --email local$E --usage enc --to 800\n"
                  "i local-sig --email local$E --usage sig --to 800\n"
                  "i star --email 'inj*'$E --to 800\n"
                  "i thrlow --email thrlow$E --to 20\n"
                  "i thrhigh --email thrhigh$E --to 20\n"
                  "i twice-a --email twice$E --to 800\n"
                  "i twice-b --email twice$E --to 700\n"
                  "i soon --email soon$E --to 20\n"
                  "i verysoon --email verysoon$E --to 3\n"
                  "i stale-new --email stale$E --to 800\n"
                  "i stale-old --email stale$E --from -400 --to -2\n"
                  "i stale-revoked --email stale$E --to 600; $M revoke $D stale-revoked\n"
                  "i nocrl --email nocrl$E --ca nocrl --to 800\n"
                  "i weak --email weak$E --key rsa2048 --to 800\n"
                  "i dnonly --email dnonly$E --subject-email-only --to 800\n"
                  "i garbage --email garbage$E --to 800\n"
                  "i noenc --email noenc$E --usage sig --to 800\n"
                  "i nosig --email nosig$E --usage enc --to 800\n"
                  "cd $D\n"
                  "cat p7-enc.pem p7-sig.pem ca/sub/cert.pem > p7.chain.pem\n"
                  "openssl crl2pkcs7 -nocrl -certfile p7.chain.pem -outform DER -out p7.p7b\n"
                  /* A subject with an escape sequence, valid for 10 days. */
                  "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out evil.key\n"
                  "openssl req -new -config ca/sub/ca.cnf -key evil.key -utf8 "
                  "-subj \"/C=DE/O=Test/CN=evil$(printf '\\033')[31mred\" -out evil.req\n"
                  "printf '[ee]\\nbasicConstraints=critical,CA:false\\n"
                  "keyUsage=critical,digitalSignature,keyAgreement\\n"
                  "extendedKeyUsage=emailProtection\\n"
                  "subjectAltName=email:evil@" DOM "\\n' > evil.ext\n"
                  "openssl ca -batch -config ca/sub/ca.cnf -in evil.req -out evil.pem -notext "
                  "-preserveDN -extfile evil.ext -extensions ee -days 10 2>/dev/null\n"
                  "openssl x509 -in evil.pem -outform DER -out evil.der\n",
                  mkpki, pki);
        free(mkpki);
        ck_assert_msg(r == 0, "building the test PKI failed (%d)", r);
}

/* attr:: base64 (every value, so that no byte needs LDIF escaping). */
static void ldif_value(FILE *f, const char *attr, const void *p, size_t n)
{
        char *b = tl_base64(p, n);

        fprintf(f, "%s:: %s\n", attr, b);
        free(b);
}

static void ldif_str(FILE *f, const char *attr, const char *s)
{
        ldif_value(f, attr, s, strlen(s));
}

static unsigned char *pki_file(const char *name, size_t *len)
{
        char *p = tl_path(pki, name);
        unsigned char *data;

        ck_assert_msg(util_read_file(p, UTIL_MAX_FILE_SIZE, &data, len) == 0, "cannot read %s", p);
        free(p);
        return data;
}

/* An entry cn=CN under MAILDN (commas in CN escaped in the DN). Each
 * value is "NAME" (pki/NAME.der as userCertificate;binary), "smime:FILE"
 * (pki/FILE as userSMIMECertificate), "raw:TEXT" (TEXT as
 * userSMIMECertificate: slapd checks userCertificate values, not those) or
 * "huge" (70000 bytes, over DIR_MAX_VALUE_SIZE). NULL-terminated. */
static void ldif_entry(FILE *f, const char *cn, const char *mail, ...)
{
        char *dn = NULL, *rdn = calloc(2, strlen(cn) + 1), *q = rdn;
        va_list ap;

        ck_assert_ptr_nonnull(rdn);
        for (const char *p = cn; *p; p++) {
                if (*p == ',')
                        *q++ = '\\';
                *q++ = *p;
        }
        ck_assert_int_ge(asprintf(&dn, "cn=%s," MAILDN, rdn), 0);
        ldif_str(f, "dn", dn);
        fprintf(f, "objectClass: inetOrgPerson\nobjectClass: pkiUser\n");
        ldif_str(f, "cn", cn);
        fprintf(f, "sn: mailbox\n");
        if (mail)
                ldif_str(f, "mail", mail);
        va_start(ap, mail);
        for (const char *v; (v = va_arg(ap, const char *));) {
                unsigned char *data;
                size_t len;
                char *name;

                if (strncmp(v, "raw:", 4) == 0) {
                        ldif_value(f, SMIME, v + 4, strlen(v + 4));
                        continue;
                }
                if (strcmp(v, "huge") == 0) {
                        data = malloc(70000);
                        ck_assert_ptr_nonnull(data);
                        memset(data, 'x', 70000);
                        ldif_value(f, SMIME, data, 70000);
                        free(data);
                        continue;
                }
                if (strncmp(v, "smime:", 6) == 0)
                        name = strdup(v + 6);
                else
                        ck_assert_int_ge(asprintf(&name, "%s.der", v), 0);
                data = pki_file(name, &len);
                ldif_value(f, strncmp(v, "smime:", 6) == 0 ? SMIME : UC, data, len);
                free(data);
                free(name);
        }
        va_end(ap);
        fputc('\n', f);
        free(rdn);
        free(dn);
}

static void write_ldif(void)
{
        FILE *f;

        ldif = tl_path(tmp, "directory.ldif");
        f = fopen(ldif, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "dn: " MAILDN "\nobjectClass: organizationalUnit\nou: mail\n\n");
        ldif_entry(f, "ok", "ok@" DOM, "ok-enc", "ok-sig", NULL);
        ldif_entry(f, "both", "both@" DOM, "both", NULL);
        ldif_entry(f, "p7", "p7@" DOM, "smime:p7.p7b", NULL);
        ldif_entry(f, "local", "local@" DOM, "local-enc", NULL);
        /* The real inj* and decoys that an unescaped filter would match. */
        ldif_entry(f, "star", "inj*@" DOM, "star", NULL);
        ldif_entry(f, "injection", "injection@" DOM, NULL);
        ldif_entry(f, "injx", "injx@" DOM, NULL);
        ldif_entry(f, "thrlow", "thrlow@" DOM, "thrlow", NULL);
        ldif_entry(f, "thrhigh", "thrhigh@" DOM, "thrhigh", NULL);
        ldif_entry(f, "twice-a", "twice@" DOM, "twice-a", NULL);
        ldif_entry(f, "twice-b", "twice@" DOM, "twice-b", NULL);
        ldif_entry(f, "soon", "soon@" DOM, "soon", NULL);
        ldif_entry(f, "verysoon", "verysoon@" DOM, "verysoon", NULL);
        ldif_entry(f, "stale", "stale@" DOM, "stale-old", "stale-revoked", "stale-new", NULL);
        ldif_entry(f, "nocrl", "nocrl@" DOM, "nocrl", NULL);
        ldif_entry(f, "weak", "weak@" DOM, "weak", NULL);
        ldif_entry(f, "dnonly", "dnonly@" DOM, "dnonly", NULL);
        ldif_entry(f, "garbage", "garbage@" DOM, "garbage", "raw:" GARBAGE, NULL);
        ldif_entry(f, "garbageonly", "garbageonly@" DOM, "raw:" GARBAGE, NULL);
        ldif_entry(f, ESC_CN, "evil@" DOM, "evil", "raw:" ESC_VALUE, NULL);
        /* more entries than DIR_MAX_ENTRIES, a value over DIR_MAX_VALUE_SIZE */
        for (int i = 0; i < 10; i++) {
                char cn[32];

                snprintf(cn, sizeof(cn), "crowd%d", i);
                ldif_entry(f, cn, "crowd@" DOM, NULL);
        }
        ldif_entry(f, "big", "big@" DOM, "huge", NULL);
        /* a DN with an escape of its own */
        ldif_entry(f, "Mueller, Hans", "mueller@" DOM, NULL);
        ldif_entry(f, "noenc", "noenc@" DOM, "noenc", NULL);
        ldif_entry(f, "nosig", "nosig@" DOM, "nosig", NULL);
        /* A bind user, and a referral: a search below SUFFIX that finds
         * nothing fails naming it (the ou=mail base never sees it). */
        fprintf(f, "dn: " READER "\nobjectClass: inetOrgPerson\nuid: reader\ncn: reader\n"
                   "sn: reader\nuserPassword: " READER_PW "\n\n");
        fprintf(f, "dn: ou=refs," SUFFIX "\nobjectClass: organizationalUnit\nou: refs\n\n"
                   "dn: ou=elsewhere,ou=refs," SUFFIX "\nobjectClass: referral\n"
                   "objectClass: extensibleObject\nou: elsewhere\n"
                   "ref: ldap://ldap.elsewhere.example/ou=elsewhere," SUFFIX "\n\n");
        ck_assert_int_eq(fclose(f), 0);
}

/* Once per run, whichever group comes first; removed by main(). */
static void build_once(void)
{
        if (tmp)
                return;
        tmp = tl_mkdtemp();
        pki = tl_path(tmp, "pki");
        tls = tl_path(tmp, "tls");
        make_pki();
        tl_ldap_certs(tls);
        write_ldif();
}

static void start_server(const char *name, bool with_tls)
{
        char *d, *cert = NULL, *key = NULL;

        build_once();
        d = tl_path(tmp, name);
        if (with_tls) {
                cert = tl_path(tls, "server.pem");
                key = tl_path(tls, "server.key");
        }
        tl_slapd_start(&srv, d, SUFFIX, ldif, cert, key);
        free(cert);
        free(key);
        free(d);
}

static void setup_verdicts(void) { start_server("slapd-verdicts", false); }
static void setup_tls(void) { start_server("slapd-tls", true); }
static void setup_outage(void) { start_server("slapd-outage", false); }

static void stop_server(void)
{
        tl_slapd_stop(&srv);
}

/* ---- configurations ---- */

/* A configuration in tmp: [pki] of the test PKI, [directory] with uri and
 * base (NULL: MAILDN) plus dir_extra lines, then rest. Caller frees. */
static char *config(const char *name, const char *uri, const char *base, const char *dir_extra,
                    const char *rest)
{
        return tl_write(tmp, name,
                        "# written by check_verify\n"
                        "[pki]\n"
                        "trust_anchors = %s/anchors.pem\n"
                        "intermediates = %s/intermediates.pem\n"
                        "crls = %s/crls\n"
                        "\n"
                        "[directory]\n"
                        "uri = %s\n"
                        "base = %s\n"
                        "timeout = 5s\n"
                        "%s\n"
                        "%s",
                        pki, pki, pki, uri, base ? base : MAILDN, dir_extra ? dir_extra : "",
                        rest ? rest : "");
}

/* What the main configuration's mailboxes must come out as, in order. */
struct expect {
        const char *address;
        const char *section;            /* lines of its [mailbox] section */
        const char *status;
        size_t n_entries;
        const char *problems[4];        /* "CODE:level" (usage null) or "CODE:level:usage" */
};

static const struct expect expected[] = {
        { "ok@" DOM, NULL, "ok", 1, { NULL } },
        { "both@" DOM, NULL, "ok", 1, { NULL } },
        { "p7@" DOM, NULL, "ok", 1, { NULL } },
        { "local@" DOM, "certificates = pki/local-sig.pem\n", "ok", 1, { NULL } },
        { "inj*@" DOM, NULL, "ok", 1, { NULL } },
        { "thrlow@" DOM, "warn_days = 10\ncritical_days = 5\n", "ok", 1, { NULL } },
        { "twice@" DOM, NULL, "warning", 2, { "MAILBOX_AMBIGUOUS:warning" } },
        { "soon@" DOM, NULL, "warning", 1,
          { "CERT_EXPIRING:warning:encryption", "CERT_EXPIRING:warning:signature" } },
        { "stale@" DOM, NULL, "warning", 1,
          { "STALE_CERT_PUBLISHED:warning", "STALE_CERT_PUBLISHED:warning" } },
        { "nocrl@" DOM, NULL, "warning", 1, { "REVOCATION_UNKNOWN:warning" } },
        { "weak@" DOM, NULL, "warning", 1, { "CERT_WEAK_KEY:warning" } },
        { "dnonly@" DOM, NULL, "warning", 1, { "CERT_SUBJECT_EMAIL_ONLY:warning" } },
        { "garbage@" DOM, NULL, "warning", 1, { "STALE_CERT_PUBLISHED:warning" } },
        { "evil@" DOM, NULL, "warning", 1,
          { "CERT_EXPIRING:warning:encryption", "CERT_EXPIRING:warning:signature",
            "STALE_CERT_PUBLISHED:warning" } },
        { "noenc@" DOM, NULL, "critical", 1, { "ENCRYPTION_CERT_MISSING:critical:encryption" } },
        { "nosig@" DOM, NULL, "critical", 1, { "SIGNATURE_CERT_MISSING:critical:signature" } },
        { "verysoon@" DOM, NULL, "critical", 1,
          { "CERT_EXPIRING:critical:encryption", "CERT_EXPIRING:critical:signature" } },
        { "thrhigh@" DOM, "warn_days = 60\ncritical_days = 25\n", "critical", 1,
          { "CERT_EXPIRING:critical:encryption", "CERT_EXPIRING:critical:signature" } },
        { "garbageonly@" DOM, NULL, "critical", 1,
          { "ENCRYPTION_CERT_MISSING:critical:encryption",
            "SIGNATURE_CERT_MISSING:critical:signature" } },
        { "notfound@" DOM, NULL, "critical", 0, { "MAILBOX_NOT_FOUND:critical" } },
        /* Cut at the limits: what was left out may hold the certificates. */
        { "crowd@" DOM, NULL, "unknown", 8,
          { "MAILBOX_AMBIGUOUS:warning", "DIRECTORY_UNREACHABLE:unknown:encryption",
            "DIRECTORY_UNREACHABLE:unknown:signature" } },
        { "big@" DOM, NULL, "unknown", 1,
          { "DIRECTORY_UNREACHABLE:unknown:encryption",
            "DIRECTORY_UNREACHABLE:unknown:signature" } },
        { "mueller@" DOM, NULL, "critical", 1,
          { "ENCRYPTION_CERT_MISSING:critical:encryption",
            "SIGNATURE_CERT_MISSING:critical:signature" } },
};

#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

/* The main configuration: every mailbox of expected[], over uri. */
static char *main_config(const char *uri)
{
        char *sections = NULL, *conf;
        size_t len = 0;
        FILE *f = open_memstream(&sections, &len);

        ck_assert_ptr_nonnull(f);
        fprintf(f, "[service]\nwarn_days = 30\ncritical_days = 7\n\n");
        for (size_t i = 0; i < N_EXPECTED; i++)
                fprintf(f, "[mailbox %s]\n%s\n", expected[i].address,
                        expected[i].section ? expected[i].section : "");
        ck_assert_int_eq(fclose(f), 0);
        conf = config("main.conf", uri, NULL, NULL, sections);
        free(sections);
        return conf;
}

/* ---- running smimewatch ---- */

static void runv(struct tl_run *r, const char *first, va_list ap)
{
        const char *argv[MAX_ARGS];
        size_t n = 0;

        for (const char *a = first; a; a = va_arg(ap, const char *)) {
                ck_assert(n < MAX_ARGS - 1);
                argv[n++] = a;
        }
        argv[n] = NULL;
        tl_smimewatch(r, argv);
}

/* smimewatch with these arguments (NULL-terminated). */
static void run(struct tl_run *r, const char *first, ...)
{
        va_list ap;

        va_start(ap, first);
        runv(r, first, ap);
        va_end(ap);
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *str(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(json_is_string(v), "\"%s\" is not a string in %s", key,
                      json_dumps(o, JSON_COMPACT));
        return json_string_value(v);
}

static void is_null(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(v && json_is_null(v), "\"%s\" is missing or not null", key);
}

static long integer(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(json_is_integer(v), "\"%s\" is not an integer", key);
        return (long)json_integer_value(v);
}

static json_t *array(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        ck_assert_msg(json_is_array(v), "\"%s\" is not an array", key);
        return v;
}

/* No string anywhere in v holds a control character (ESC above all). */
static void no_control_chars(json_t *v)
{
        const char *key;
        json_t *x;
        size_t i;

        if (json_is_string(v)) {
                for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++)
                        ck_assert_msg(*p >= 0x20 && *p != 0x7f,
                                      "control character 0x%02x in \"%s\"", *p,
                                      json_string_value(v));
        } else if (json_is_array(v)) {
                json_array_foreach(v, i, x)
                        no_control_chars(x);
        } else if (json_is_object(v)) {
                json_object_foreach(v, key, x) {
                        for (const char *p = key; *p; p++)
                                ck_assert((unsigned char)*p >= 0x20);
                        no_control_chars(x);
                }
        }
}

static const char *const status_names[] = { "ok", "warning", "critical", "unknown" };

static int status_value(const char *name)
{
        for (int i = 0; i < 4; i++)
                if (strcmp(name, status_names[i]) == 0)
                        return i;
        ck_abort_msg("no such status: %s", name);
        return -1;
}

static int level_rank(int s)    /* ok < warning < unknown < critical */
{
        static const int rank[] = { 0, 1, 3, 2 };

        return rank[s];
}

/* What every mailbox of a document must satisfy: its status is the worst
 * level of its problems, every problem has its fields, and a problem's
 * certificate is one of the mailbox's. */
static void mailbox_invariants(json_t *mb)
{
        json_t *problems = array(mb, "problems"), *certs = array(mb, "certificates"), *p, *c;
        int worst = 0;
        size_t i, k;

        array(mb, "entries");
        json_array_foreach(problems, i, p) {
                json_t *sha = json_object_get(p, "certificate");
                int level = status_value(str(p, "level"));

                if (level_rank(level) > level_rank(worst))
                        worst = level;
                str(p, "code");
                ck_assert_msg(str(p, "message")[0], "a problem without a message");
                ck_assert(json_is_null(json_object_get(p, "usage")) ||
                          json_is_string(json_object_get(p, "usage")));
                ck_assert(json_is_null(json_object_get(p, "days_left")) ||
                          json_is_integer(json_object_get(p, "days_left")));
                ck_assert_msg(sha && (json_is_null(sha) || json_is_string(sha)), "certificate");
                if (json_is_null(sha))
                        continue;
                json_array_foreach(certs, k, c)
                        if (strcmp(str(c, "sha256"), json_string_value(sha)) == 0)
                                break;
                ck_assert_msg(k < json_array_size(certs), "%s: problem %s points at no certificate",
                              str(mb, "address"), str(p, "code"));
        }
        ck_assert_msg(strcmp(str(mb, "status"), status_names[worst]) == 0,
                      "%s is %s, its problems say %s", str(mb, "address"), str(mb, "status"),
                      status_names[worst]);
}

/* The document's status, summary and mailboxes agree with each other and
 * with the exit status. */
static void document_invariants(json_t *doc, int exit_status)
{
        json_t *mailboxes = array(doc, "mailboxes"), *summary = json_object_get(doc, "summary"), *m;
        unsigned counts[4] = { 0 };
        int overall = 0;
        time_t t;
        size_t i;

        ck_assert_int_eq(integer(doc, "version"), 1);
        ck_assert_msg(util_parse_time(str(doc, "checked_at"), &t) == 0, "checked_at");
        ck_assert_msg(json_is_object(summary), "no summary");
        json_array_foreach(mailboxes, i, m) {
                int s = status_value(str(m, "status"));

                counts[s]++;
                mailbox_invariants(m);
        }
        /* critical beats unknown beats warning beats ok */
        for (int s = 0; s < 4; s++)
                if (counts[s] && level_rank(s) > level_rank(overall))
                        overall = s;
        for (int s = 0; s < 4; s++)
                ck_assert_msg((unsigned)integer(summary, status_names[s]) == counts[s],
                              "summary %s: %ld, mailboxes say %u", status_names[s],
                              integer(summary, status_names[s]), counts[s]);
        ck_assert_str_eq(str(doc, "status"), status_names[overall]);
        ck_assert_int_eq(exit_status, overall);
        no_control_chars(doc);
}

/* smimewatch --verify -c CONFIG --json [ARGS... NULL]: asserts the exit
 * status, an empty stderr, exactly one JSON document on stdout that is
 * consistent in itself, and returns it (caller decrefs). */
static json_t *verify(int want, const char *conf, ...)
{
        const char *argv[MAX_ARGS] = { "--verify", "-c", conf, "--json" };
        size_t n = 4;
        struct tl_run r;
        va_list ap;
        json_t *doc;

        va_start(ap, conf);
        for (const char *a; (a = va_arg(ap, const char *));) {
                ck_assert(n < MAX_ARGS - 1);
                argv[n++] = a;
        }
        va_end(ap);
        argv[n] = NULL;
        tl_smimewatch(&r, argv);
        ck_assert_msg(r.status == want, "exit %d, want %d; stdout: %s\nstderr: %s", r.status, want,
                      r.out, r.err);
        ck_assert_msg(r.err[0] == 0, "stderr: %s", r.err);
        ck_assert_msg(!strchr(r.out, '\033'), "escape byte on stdout");
        /* tl_json refuses anything after the document */
        doc = tl_json(&r);
        ck_assert(json_is_object(doc));
        ck_assert(r.out[0] == '{' && r.out[strlen(r.out) - 1] == '\n');
        document_invariants(doc, r.status);
        tl_run_free(&r);
        return doc;
}

/* The mailbox with this address; there must be exactly one. */
static json_t *mailbox(json_t *doc, const char *address)
{
        json_t *found = NULL, *m;
        size_t i;

        json_array_foreach(array(doc, "mailboxes"), i, m) {
                if (strcmp(str(m, "address"), address) != 0)
                        continue;
                ck_assert_msg(!found, "%s twice", address);
                found = m;
        }
        ck_assert_msg(found, "no mailbox %s", address);
        return found;
}

/* Exactly these problems ("CODE:level" with usage null, or
 * "CODE:level:usage"), in any order; list NULL-terminated. */
static void problems_are_v(json_t *mb, const char *const *want)
{
        json_t *a = array(mb, "problems"), *p;
        bool used[16] = { false };
        size_t n = 0, i;

        ck_assert(json_array_size(a) < 16);
        for (; want[n]; n++) {
                char spec[128];
                const char *code, *level, *usage;

                snprintf(spec, sizeof(spec), "%s", want[n]);
                code = strtok(spec, ":");
                level = strtok(NULL, ":");
                usage = strtok(NULL, ":");
                json_array_foreach(a, i, p) {
                        json_t *u = json_object_get(p, "usage");

                        if (used[i] || strcmp(str(p, "code"), code) != 0)
                                continue;
                        if (usage ? !json_is_string(u) || strcmp(json_string_value(u), usage) != 0
                                  : !json_is_null(u))
                                continue;
                        ck_assert_msg(strcmp(str(p, "level"), level) == 0, "%s: %s is %s, want %s",
                                      str(mb, "address"), code, str(p, "level"), level);
                        used[i] = true;
                        break;
                }
                ck_assert_msg(i < json_array_size(a), "%s: no %s among %s", str(mb, "address"),
                              want[n], json_dumps(a, JSON_COMPACT));
        }
        ck_assert_msg(json_array_size(a) == n, "%s: %zu problems, want %zu: %s",
                      str(mb, "address"), json_array_size(a), n, json_dumps(a, JSON_COMPACT));
}

static void problems_are(json_t *mb, ...)
{
        const char *want[8];
        size_t n = 0;
        va_list ap;

        va_start(ap, mb);
        for (const char *s; (s = va_arg(ap, const char *));) {
                ck_assert(n < 7);
                want[n++] = s;
        }
        va_end(ap);
        want[n] = NULL;
        problems_are_v(mb, want);
}

/* The first problem with this code (and usage, unless NULL). */
static json_t *problem(json_t *mb, const char *code, const char *usage)
{
        json_t *p;
        size_t i;

        json_array_foreach(array(mb, "problems"), i, p) {
                json_t *u = json_object_get(p, "usage");

                if (strcmp(str(p, "code"), code) == 0 &&
                    (!usage || (json_is_string(u) && strcmp(json_string_value(u), usage) == 0)))
                        return p;
        }
        ck_abort_msg("%s: no %s", str(mb, "address"), code);
        return NULL;
}

static bool has_code(json_t *mb, const char *code)
{
        json_t *p;
        size_t i;

        json_array_foreach(array(mb, "problems"), i, p)
                if (strcmp(str(p, "code"), code) == 0)
                        return true;
        return false;
}

static void status_is(json_t *o, const char *status)
{
        json_t *a = json_object_get(o, "address");

        ck_assert_msg(strcmp(str(o, "status"), status) == 0, "%s is %s, want %s",
                      json_is_string(a) ? json_string_value(a) : "document", str(o, "status"),
                      status);
}

static void summary_is(json_t *doc, unsigned ok, unsigned warning, unsigned critical,
                       unsigned unknown)
{
        json_t *s = json_object_get(doc, "summary");

        ck_assert_int_eq(integer(s, "ok"), ok);
        ck_assert_int_eq(integer(s, "warning"), warning);
        ck_assert_int_eq(integer(s, "critical"), critical);
        ck_assert_int_eq(integer(s, "unknown"), unknown);
}

/* certificates[i] of a mailbox. */
static json_t *cert(json_t *mb, size_t i)
{
        json_t *c = json_array_get(array(mb, "certificates"), i);

        ck_assert_msg(json_is_object(c), "%s has no certificate %zu", str(mb, "address"), i);
        return c;
}

/* A usage array as "encryption,signature" ("" when empty). */
static void usages_are(json_t *o, const char *key, const char *want)
{
        json_t *a = array(o, key), *v;
        char buf[128] = "";
        size_t i;

        json_array_foreach(a, i, v) {
                ck_assert(json_is_string(v));
                if (i)
                        strcat(buf, ",");
                ck_assert(strlen(buf) + strlen(json_string_value(v)) < sizeof(buf) - 1);
                strcat(buf, json_string_value(v));
        }
        ck_assert_str_eq(buf, want);
}

/* Exactly these certificate-level problem codes, in any order. */
static void cert_codes_are(json_t *c, const char *want)
{
        json_t *p;
        char buf[256] = "";
        size_t i;

        json_array_foreach(array(c, "problems"), i, p) {
                if (i)
                        strcat(buf, ",");
                ck_assert(strlen(buf) + strlen(str(p, "code")) < sizeof(buf) - 1);
                strcat(buf, str(p, "code"));
        }
        ck_assert_msg(strcmp(buf, want) == 0, "certificate problems %s, want %s", buf, want);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
        unsigned char md[32];
        unsigned n = 0;

        ck_assert_int_eq(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
        ck_assert_uint_eq(n, 32);
        util_hex(md, 32, out);
}

/* sha256 of pki/NAME.der. */
static void sha_of(const char *name, char out[65])
{
        char *file;
        unsigned char *data;
        size_t len;

        ck_assert_int_ge(asprintf(&file, "%s.der", name), 0);
        data = pki_file(file, &len);
        sha256_hex(data, len, out);
        free(data);
        free(file);
}

static void is_cert(json_t *c, const char *name)
{
        char sha[65];

        sha_of(name, sha);
        ck_assert_msg(strcmp(str(c, "sha256"), sha) == 0, "certificate %s is not %s",
                      str(c, "sha256"), name);
}

/* The serial of pki/NAME.pem as openssl prints it. */
static void serial_is(json_t *c, const char *name)
{
        const char *argv[] = { "openssl", "x509", "-noout", "-serial", "-in", NULL, NULL };
        char *file, *eq;
        struct tl_run r;

        ck_assert_int_ge(asprintf(&file, "%s/%s.pem", pki, name), 0);
        argv[5] = file;
        tl_run_argv(&r, argv, NULL, 30);
        ck_assert_int_eq(r.status, 0);
        r.out[strcspn(r.out, "\n")] = 0;
        eq = strchr(r.out, '=');
        ck_assert_ptr_nonnull(eq);
        ck_assert_str_eq(str(c, "serial"), eq + 1);
        tl_run_free(&r);
        free(file);
}

static void points_at(json_t *p, const char *name)
{
        char sha[65];

        sha_of(name, sha);
        ck_assert_msg(strcmp(str(p, "certificate"), sha) == 0, "%s points at %s, not %s",
                      str(p, "code"), str(p, "certificate"), name);
}

static void days_between(json_t *o, long lo, long hi)
{
        long d = integer(o, "days_left");

        ck_assert_msg(d >= lo && d <= hi, "days_left %ld, want %ld..%ld", d, lo, hi);
}

/* An RFC 3339 time days from when the PKI was built. */
static const char *at_days(char buf[static 21], long days)
{
        return util_format_time(built + days * DAY, buf);
}

static size_t count(const char *haystack, const char *needle)
{
        size_t n = 0;

        for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* s with every run of white space made one space: the text report wraps. */
static char *unwrapped(const char *s)
{
        char *o = malloc(strlen(s) + 1), *q = o;

        ck_assert_ptr_nonnull(o);
        for (; *s; s++) {
                if (*s == ' ' || *s == '\n') {
                        if (q == o || q[-1] != ' ')
                                *q++ = ' ';
                } else {
                        *q++ = *s;
                }
        }
        *q = 0;
        return o;
}

/* The line number of the first line of path holding needle. */
static int line_of(const char *path, const char *needle)
{
        FILE *f = fopen(path, "r");
        char line[4096];
        int n = 0;

        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f)) {
                n++;
                if (strstr(line, needle)) {
                        fclose(f);
                        return n;
                }
        }
        fclose(f);
        ck_abort_msg("%s not in %s", needle, path);
        return 0;
}

/* ---- verdicts ---- */

START_TEST(every_mailbox)
{
        char *conf = main_config(srv.ldap_url);
        time_t before = time(NULL), checked;
        unsigned counts[4] = { 0 };
        json_t *doc = verify(2, conf, NULL), *mbs = array(doc, "mailboxes");

        status_is(doc, "critical");
        ck_assert_uint_eq(json_array_size(mbs), N_EXPECTED);
        for (size_t i = 0; i < N_EXPECTED; i++) {
                const struct expect *e = &expected[i];
                json_t *m = json_array_get(mbs, i);

                /* in the order of the configuration */
                ck_assert_str_eq(str(m, "address"), e->address);
                status_is(m, e->status);
                problems_are_v(m, e->problems);
                ck_assert_msg(json_array_size(array(m, "entries")) == e->n_entries,
                              "%s: %zu entries", e->address, json_array_size(array(m, "entries")));
                counts[status_value(e->status)]++;
        }
        summary_is(doc, counts[0], counts[1], counts[2], counts[3]);
        ck_assert_int_eq(util_parse_time(str(doc, "checked_at"), &checked), 0);
        ck_assert(checked >= before && checked <= time(NULL));
        json_decref(doc);
        free(conf);
}
END_TEST

START_TEST(ready_mailbox_fields)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(0, conf, "ok@" DOM, NULL), *m, *c;
        time_t t;

        status_is(doc, "ok");
        summary_is(doc, 1, 0, 0, 0);
        ck_assert_uint_eq(json_array_size(array(doc, "mailboxes")), 1);
        m = mailbox(doc, "ok@" DOM);
        problems_are(m, NULL);
        ck_assert_str_eq(json_string_value(json_array_get(array(m, "entries"), 0)),
                         "cn=ok," MAILDN);
        ck_assert_uint_eq(json_array_size(array(m, "entries")), 1);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 2);
        c = cert(m, 0);
        is_cert(c, "ok-enc");
        ck_assert_str_eq(str(c, "source"), "directory");
        ck_assert_str_eq(str(c, "attribute"), UC);
        ck_assert_str_eq(str(c, "subject"), "CN=ok-enc,O=Test,C=DE");
        ck_assert_str_eq(str(c, "issuer"), "CN=Test Verwaltungs-PKI User CA 1,O=Test,C=DE");
        ck_assert_str_eq(str(c, "key"), "RSA-3072");
        usages_are(c, "usages", "encryption");
        usages_are(c, "usable_for", "encryption");
        ck_assert(json_is_true(json_object_get(c, "path_valid")));
        is_null(c, "path_error");
        ck_assert_str_eq(str(c, "revocation"), "good");
        cert_codes_are(c, "");
        days_between(c, 399, 400);
        ck_assert_int_eq(util_parse_time(str(c, "not_after"), &t), 0);
        ck_assert_msg(labs((long)(t - (built + 400 * DAY))) < 300, "not_after %s",
                      str(c, "not_after"));
        ck_assert_int_eq(util_parse_time(str(c, "not_before"), &t), 0);
        ck_assert_msg(labs((long)(t - (built - DAY))) < 300, "not_before %s", str(c, "not_before"));
        serial_is(c, "ok-enc");
        c = cert(m, 1);
        is_cert(c, "ok-sig");
        usages_are(c, "usages", "signature");
        usages_are(c, "usable_for", "signature");
        days_between(c, 299, 300);
        json_decref(doc);
        free(conf);
}
END_TEST

/* A certs-only PKCS#7 in userSMIMECertificate: both certificates count,
 * the CA certificate in it only helps to build the path. */
START_TEST(pkcs7_container)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(0, conf, "p7@" DOM, NULL), *m = mailbox(doc, "p7@" DOM);

        problems_are(m, NULL);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 2);
        is_cert(cert(m, 0), "p7-enc");
        is_cert(cert(m, 1), "p7-sig");
        for (size_t i = 0; i < 2; i++) {
                ck_assert_str_eq(str(cert(m, i), "attribute"), SMIME);
                ck_assert_str_eq(str(cert(m, i), "source"), "directory");
                ck_assert(json_is_true(json_object_get(cert(m, i), "path_valid")));
        }
        usages_are(cert(m, 0), "usable_for", "encryption");
        usages_are(cert(m, 1), "usable_for", "signature");
        json_decref(doc);
        free(conf);
}
END_TEST

/* Several certificates in one entry: the usable one decides, the expired
 * and the revoked one are stale. */
START_TEST(several_certificates_and_stale)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(1, conf, "stale@" DOM, NULL), *m = mailbox(doc, "stale@" DOM), *p;
        size_t i, old = 0, revoked = 0;

        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 3);
        is_cert(cert(m, 0), "stale-old");
        cert_codes_are(cert(m, 0), "CERT_EXPIRED");
        usages_are(cert(m, 0), "usable_for", "");
        is_cert(cert(m, 1), "stale-revoked");
        cert_codes_are(cert(m, 1), "CERT_REVOKED");
        ck_assert_str_eq(str(cert(m, 1), "revocation"), "revoked");
        ck_assert(json_is_false(json_object_get(cert(m, 1), "path_valid")));
        ck_assert_str_ne(str(cert(m, 1), "path_error"), "");
        is_cert(cert(m, 2), "stale-new");
        usages_are(cert(m, 2), "usable_for", "encryption,signature");
        json_array_foreach(array(m, "problems"), i, p) {
                char sha_old[65], sha_rev[65];

                sha_of("stale-old", sha_old);
                sha_of("stale-revoked", sha_rev);
                ck_assert_str_eq(str(p, "code"), "STALE_CERT_PUBLISHED");
                is_null(p, "days_left");
                old += strcmp(str(p, "certificate"), sha_old) == 0;
                revoked += strcmp(str(p, "certificate"), sha_rev) == 0;
        }
        ck_assert(old == 1 && revoked == 1);
        json_decref(doc);
        free(conf);
}
END_TEST

/* A signature certificate that the directory does not publish, from the
 * mailbox's certificates file; without that file the mailbox lacks it. */
START_TEST(local_signature_certificate)
{
        char *conf = main_config(srv.ldap_url);
        char *bare = config("bare.conf", srv.ldap_url, NULL, NULL, NULL);
        json_t *doc = verify(0, conf, "local@" DOM, NULL), *m = mailbox(doc, "local@" DOM), *c;

        problems_are(m, NULL);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 2);
        c = cert(m, 0);
        is_cert(c, "local-enc");
        ck_assert_str_eq(str(c, "source"), "directory");
        c = cert(m, 1);
        is_cert(c, "local-sig");
        ck_assert_str_eq(str(c, "source"), "file");
        is_null(c, "attribute");
        usages_are(c, "usable_for", "signature");
        json_decref(doc);

        doc = verify(2, bare, "local@" DOM, NULL);
        m = mailbox(doc, "local@" DOM);
        problems_are(m, "SIGNATURE_CERT_MISSING:critical:signature", NULL);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 1);
        json_decref(doc);
        free(bare);
        free(conf);
}
END_TEST

/* An unparsable value is a CERT_UNPARSABLE certificate; beside a usable
 * one it is only stale, alone it leaves the mailbox without certificates. */
START_TEST(garbage_values)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(2, conf, "garbage@" DOM, "garbageonly@" DOM, NULL), *m, *c, *p;
        static const char *const null_fields[] = { "subject", "issuer", "serial", "not_before",
                                                   "not_after", "days_left", "key", "path_valid",
                                                   "path_error", "revocation" };
        char sha[65];

        sha256_hex(GARBAGE, strlen(GARBAGE), sha);
        m = mailbox(doc, "garbage@" DOM);
        status_is(m, "warning");
        problems_are(m, "STALE_CERT_PUBLISHED:warning", NULL);
        ck_assert_str_eq(str(problem(m, "STALE_CERT_PUBLISHED", NULL), "certificate"), sha);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 2);
        /* the good certificate is untouched by its neighbour */
        c = cert(m, 0);
        is_cert(c, "garbage");
        cert_codes_are(c, "");
        usages_are(c, "usable_for", "encryption,signature");
        c = cert(m, 1);
        ck_assert_str_eq(str(c, "sha256"), sha);
        ck_assert_str_eq(str(c, "source"), "directory");
        ck_assert_str_eq(str(c, "attribute"), SMIME);
        cert_codes_are(c, "CERT_UNPARSABLE");
        p = json_array_get(array(c, "problems"), 0);
        ck_assert_str_eq(str(p, "level"), "critical");
        for (size_t i = 0; i < sizeof(null_fields) / sizeof(null_fields[0]); i++)
                is_null(c, null_fields[i]);
        usages_are(c, "usages", "");
        usages_are(c, "usable_for", "");

        m = mailbox(doc, "garbageonly@" DOM);
        problems_are(m, "ENCRYPTION_CERT_MISSING:critical:encryption",
                     "SIGNATURE_CERT_MISSING:critical:signature", NULL);
        ck_assert_msg(strstr(str(problem(m, "ENCRYPTION_CERT_MISSING", NULL), "message"),
                             "unparsable"), "%s",
                      str(problem(m, "ENCRYPTION_CERT_MISSING", NULL), "message"));
        cert_codes_are(cert(m, 0), "CERT_UNPARSABLE");
        json_decref(doc);
        free(conf);
}
END_TEST

/* "inj*@..." is searched for literally: the decoys an unescaped filter
 * would match stay out. */
START_TEST(escaped_address)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(0, conf, "inj*@" DOM, NULL), *m = mailbox(doc, "inj*@" DOM), *e;

        e = array(m, "entries");
        ck_assert_uint_eq(json_array_size(e), 1);
        ck_assert_str_eq(json_string_value(json_array_get(e, 0)), "cn=star," MAILDN);
        problems_are(m, NULL);
        json_decref(doc);

        /* the decoy itself is found alone too (it has no certificate) */
        doc = verify(2, conf, "injection@" DOM, NULL);
        m = mailbox(doc, "injection@" DOM);
        e = array(m, "entries");
        ck_assert_uint_eq(json_array_size(e), 1);
        ck_assert_str_eq(json_string_value(json_array_get(e, 0)), "cn=injection," MAILDN);
        json_decref(doc);
        free(conf);
}
END_TEST

START_TEST(ambiguous_and_not_found)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(2, conf, "twice@" DOM, "notfound@" DOM, NULL), *m, *e;
        const char *msg;

        m = mailbox(doc, "twice@" DOM);
        problems_are(m, "MAILBOX_AMBIGUOUS:warning", NULL);
        e = array(m, "entries");
        ck_assert_uint_eq(json_array_size(e), 2);
        msg = str(problem(m, "MAILBOX_AMBIGUOUS", NULL), "message");
        ck_assert_msg(strstr(msg, "cn=twice-a") && strstr(msg, "cn=twice-b"), "%s", msg);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 2);
        m = mailbox(doc, "notfound@" DOM);
        problems_are(m, "MAILBOX_NOT_FOUND:critical", NULL);
        ck_assert_uint_eq(json_array_size(array(m, "entries")), 0);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 0);
        summary_is(doc, 0, 1, 1, 0);
        json_decref(doc);
        free(conf);
}
END_TEST

/* More entries than the directory module keeps, a value over its size
 * limit, and a DN with an escape of its own (kept, not made \x5c). */
START_TEST(limits_and_escaped_dn)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(2, conf, "crowd@" DOM, "big@" DOM, "mueller@" DOM, NULL), *m;
        const char *msg, *dn;
        struct tl_run r;
        char *text;

        m = mailbox(doc, "crowd@" DOM);
        ck_assert_uint_eq(json_array_size(array(m, "entries")), 8);
        msg = str(problem(m, "MAILBOX_AMBIGUOUS", NULL), "message");
        ck_assert_msg(strncmp(msg, "more than 8 directory entries", 29) == 0, "%s", msg);
        ck_assert(json_is_true(json_object_get(json_object_get(m, "truncated"), "entries")));
        ck_assert_int_eq(integer(json_object_get(m, "truncated"), "entry_limit"), 8);
        msg = str(problem(m, "DIRECTORY_UNREACHABLE", "encryption"), "message");
        ck_assert_msg(strstr(msg, "only 8 of the matching entries were returned"), "%s", msg);
        m = mailbox(doc, "big@" DOM);
        ck_assert_uint_eq(json_array_size(array(m, "certificates")), 0);
        msg = str(problem(m, "DIRECTORY_UNREACHABLE", "encryption"), "message");
        ck_assert_msg(strstr(msg, "1 value left out (0 over 32 per entry, 1 over 64 KiB)"),
                      "%s", msg);
        ck_assert_int_eq(integer(json_object_get(m, "truncated"), "values_left_out"), 1);
        ck_assert_int_eq(integer(json_object_get(m, "truncated"), "values_over_size"), 1);
        ck_assert_int_eq(integer(json_object_get(m, "truncated"), "value_size_limit"), 65536);
        m = mailbox(doc, "mueller@" DOM);
        dn = json_string_value(json_array_get(array(m, "entries"), 0));
        ck_assert_msg(dn && (strcmp(dn, "cn=Mueller\\2C Hans," MAILDN) == 0 ||
                             strcmp(dn, "cn=Mueller\\, Hans," MAILDN) == 0), "%s", dn);
        run(&r, "--verify", "-c", conf, "mueller@" DOM, NULL);
        ck_assert_int_eq(r.status, 2);
        text = unwrapped(r.out);
        ck_assert_msg(strstr(text, dn), "%s not in %s", dn, r.out);
        free(text);
        tl_run_free(&r);
        json_decref(doc);
        free(conf);
}
END_TEST

/* Missing usages, and the certificate warnings a mailbox inherits. */
START_TEST(missing_and_warnings)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(2, conf, "noenc@" DOM, "nosig@" DOM, "nocrl@" DOM, "weak@" DOM,
                             "dnonly@" DOM, NULL), *m, *c;

        m = mailbox(doc, "noenc@" DOM);
        problems_are(m, "ENCRYPTION_CERT_MISSING:critical:encryption", NULL);
        is_null(problem(m, "ENCRYPTION_CERT_MISSING", NULL), "certificate");
        m = mailbox(doc, "nosig@" DOM);
        problems_are(m, "SIGNATURE_CERT_MISSING:critical:signature", NULL);

        m = mailbox(doc, "nocrl@" DOM);
        problems_are(m, "REVOCATION_UNKNOWN:warning", NULL);
        points_at(problem(m, "REVOCATION_UNKNOWN", NULL), "nocrl");
        c = cert(m, 0);
        ck_assert_str_eq(str(c, "revocation"), "unknown");
        /* strict RFC 5280: no CRL, no valid path; yet usable */
        ck_assert(json_is_false(json_object_get(c, "path_valid")));
        usages_are(c, "usable_for", "encryption,signature");
        cert_codes_are(c, "REVOCATION_UNKNOWN");

        m = mailbox(doc, "weak@" DOM);
        problems_are(m, "CERT_WEAK_KEY:warning", NULL);
        points_at(problem(m, "CERT_WEAK_KEY", NULL), "weak");
        ck_assert_str_eq(str(cert(m, 0), "key"), "RSA-2048");

        m = mailbox(doc, "dnonly@" DOM);
        problems_are(m, "CERT_SUBJECT_EMAIL_ONLY:warning", NULL);
        usages_are(cert(m, 0), "usable_for", "encryption,signature");
        summary_is(doc, 0, 3, 2, 0);
        json_decref(doc);
        free(conf);
}
END_TEST

START_TEST(expiry_thresholds)
{
        char *conf = main_config(srv.ldap_url);
        char *global = config("global.conf", srv.ldap_url, NULL, NULL,
                              "[service]\nwarn_days = 25\ncritical_days = 20\n");
        json_t *doc = verify(2, conf, "soon@" DOM, "verysoon@" DOM, "thrlow@" DOM, "thrhigh@" DOM,
                             NULL), *m, *p;
        static const char *const usages[] = { "encryption", "signature" };

        for (int u = 0; u < 2; u++) {
                p = problem(mailbox(doc, "soon@" DOM), "CERT_EXPIRING", usages[u]);
                ck_assert_str_eq(str(p, "level"), "warning");
                days_between(p, 19, 20);
                points_at(p, "soon");
                ck_assert_msg(strstr(str(p, "message"), usages[u]), "%s", str(p, "message"));
                p = problem(mailbox(doc, "verysoon@" DOM), "CERT_EXPIRING", usages[u]);
                ck_assert_str_eq(str(p, "level"), "critical");
                days_between(p, 2, 3);
                points_at(p, "verysoon");
                /* per mailbox: warn_days 60, critical_days 25 */
                p = problem(mailbox(doc, "thrhigh@" DOM), "CERT_EXPIRING", usages[u]);
                ck_assert_str_eq(str(p, "level"), "critical");
                days_between(p, 19, 20);
        }
        /* per mailbox: warn_days 10 */
        m = mailbox(doc, "thrlow@" DOM);
        status_is(m, "ok");
        days_between(cert(m, 0), 19, 20);
        summary_is(doc, 1, 1, 2, 0);
        json_decref(doc);

        /* Not configured there: the global [service] thresholds (25/20). */
        doc = verify(2, global, "thrlow@" DOM, "soon@" DOM, NULL);
        problems_are(mailbox(doc, "thrlow@" DOM), "CERT_EXPIRING:critical:encryption",
                     "CERT_EXPIRING:critical:signature", NULL);
        problems_are(mailbox(doc, "soon@" DOM), "CERT_EXPIRING:critical:encryption",
                     "CERT_EXPIRING:critical:signature", NULL);
        json_decref(doc);
        free(global);
        free(conf);
}
END_TEST

/* --verify ADDRESS: configured ones keep their settings, others get the
 * global ones; only the addresses named are checked. */
START_TEST(verify_addresses)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(2, conf, "thrlow@" DOM, "nobody@" DOM, "both@" DOM, NULL), *mbs;

        mbs = array(doc, "mailboxes");
        ck_assert_uint_eq(json_array_size(mbs), 3);
        /* in the order given */
        ck_assert_str_eq(str(json_array_get(mbs, 0), "address"), "thrlow@" DOM);
        ck_assert_str_eq(str(json_array_get(mbs, 1), "address"), "nobody@" DOM);
        ck_assert_str_eq(str(json_array_get(mbs, 2), "address"), "both@" DOM);
        status_is(mailbox(doc, "thrlow@" DOM), "ok");
        problems_are(mailbox(doc, "nobody@" DOM), "MAILBOX_NOT_FOUND:critical", NULL);
        status_is(mailbox(doc, "both@" DOM), "ok");
        json_decref(doc);
        free(conf);
}
END_TEST

/* --at: the same mailbox, later. ok-sig ends at +300 days, ok-enc at +400;
 * the CRLs are current until +365. */
START_TEST(at_time)
{
        char *conf = main_config(srv.ldap_url);
        char at[21], date[11];
        json_t *doc, *m, *p;

        doc = verify(2, conf, "ok@" DOM, "--at", at_days(at, 295), NULL);
        ck_assert_str_eq(str(doc, "checked_at"), at);
        m = mailbox(doc, "ok@" DOM);
        problems_are(m, "CERT_EXPIRING:critical:signature", NULL);
        p = problem(m, "CERT_EXPIRING", "signature");
        days_between(p, 4, 5);
        points_at(p, "ok-sig");
        days_between(cert(m, 0), 104, 105);
        json_decref(doc);

        doc = verify(2, conf, "ok@" DOM, "--at", at_days(at, 310), NULL);
        m = mailbox(doc, "ok@" DOM);
        status_is(m, "critical");
        problem(m, "SIGNATURE_CERT_MISSING", "signature");
        ck_assert(!has_code(m, "ENCRYPTION_CERT_MISSING"));
        ck_assert(!has_code(m, "CERT_EXPIRING"));
        cert_codes_are(cert(m, 1), "CERT_EXPIRED");
        json_decref(doc);

        /* YYYY-MM-DD is midnight UTC */
        util_format_date(built + 320 * DAY, date);
        doc = verify(2, conf, "--at", date, "ok@" DOM, NULL);
        ck_assert_msg(strncmp(str(doc, "checked_at"), date, 10) == 0 &&
                      strcmp(str(doc, "checked_at") + 10, "T00:00:00Z") == 0, "%s",
                      str(doc, "checked_at"));
        problem(mailbox(doc, "ok@" DOM), "SIGNATURE_CERT_MISSING", "signature");
        json_decref(doc);
        free(conf);
}
END_TEST

START_TEST(mailbox_list)
{
        char *list = tl_write(tmp, "list.txt", "# mailboxes of the list\n\nboth@" DOM "\n"
                              "  nosig@" DOM "   # trailing comment\n\nok@" DOM "\n");
        char *rest, *conf;
        json_t *doc, *mbs;

        ck_assert_int_ge(asprintf(&rest, "[service]\nmailbox_list = %s\n\n[mailbox ok@" DOM "]\n",
                                  list), 0);
        conf = config("list.conf", srv.ldap_url, NULL, NULL, rest);
        doc = verify(2, conf, NULL);
        mbs = array(doc, "mailboxes");
        /* sections first, then the list; ok@ only once */
        ck_assert_uint_eq(json_array_size(mbs), 3);
        ck_assert_str_eq(str(json_array_get(mbs, 0), "address"), "ok@" DOM);
        ck_assert_str_eq(str(json_array_get(mbs, 1), "address"), "both@" DOM);
        ck_assert_str_eq(str(json_array_get(mbs, 2), "address"), "nosig@" DOM);
        status_is(mailbox(doc, "both@" DOM), "ok");
        problems_are(mailbox(doc, "nosig@" DOM), "SIGNATURE_CERT_MISSING:critical:signature", NULL);
        summary_is(doc, 2, 0, 1, 0);
        json_decref(doc);
        free(rest);
        free(conf);
        free(list);
}
END_TEST

START_TEST(require_encryption_only)
{
        char *conf = config("enc.conf", srv.ldap_url, NULL, NULL,
                            "[policy]\nrequire = encryption\n\n[mailbox nosig@" DOM "]\n"
                            "[mailbox noenc@" DOM "]\n[mailbox weak@" DOM "]\n"
                            "[mailbox soon@" DOM "]\n");
        json_t *doc = verify(2, conf, NULL);

        problems_are(mailbox(doc, "nosig@" DOM), NULL);
        problems_are(mailbox(doc, "noenc@" DOM), "ENCRYPTION_CERT_MISSING:critical:encryption",
                     NULL);
        /* warnings of the certificate in use name the one usage required */
        problems_are(mailbox(doc, "weak@" DOM), "CERT_WEAK_KEY:warning:encryption", NULL);
        problems_are(mailbox(doc, "soon@" DOM), "CERT_EXPIRING:warning:encryption", NULL);
        summary_is(doc, 1, 2, 1, 0);
        json_decref(doc);
        free(conf);
}
END_TEST

struct rule_case {
        const char *conf;       /* "main" or "ref" */
        const char *addresses[4];
        int exit;
        unsigned counts[4];
};

/* critical beats unknown beats warning beats ok, in the document and the
 * exit status. Under the ref.conf base a search that finds nothing meets
 * a referral and fails: that mailbox alone is unknown. */
START_TEST(status_rules)
{
        char *main_conf = main_config(srv.ldap_url);
        char *ref = config("ref.conf", srv.ldap_url, SUFFIX, NULL, NULL);
        static const struct rule_case cases[] = {
                { "main", { "ok@" DOM }, 0, { 1, 0, 0, 0 } },
                { "main", { "ok@" DOM, "soon@" DOM }, 1, { 1, 1, 0, 0 } },
                { "main", { "soon@" DOM, "ok@" DOM, "verysoon@" DOM }, 2, { 1, 1, 1, 0 } },
                { "ref", { "ok@" DOM, "missing@" DOM }, 3, { 1, 0, 0, 1 } },
                { "ref", { "soon@" DOM, "missing@" DOM, "ok@" DOM }, 3, { 1, 1, 0, 1 } },
                { "ref", { "missing@" DOM, "verysoon@" DOM }, 2, { 0, 0, 1, 1 } },
                { "ref", { "ok@" DOM, "missing@" DOM, "soon@" DOM, "verysoon@" DOM }, 2,
                  { 1, 1, 1, 1 } },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct rule_case *k = &cases[i];
                const char *c = strcmp(k->conf, "ref") == 0 ? ref : main_conf;
                json_t *doc = verify(k->exit, c, k->addresses[0], k->addresses[1],
                                     k->addresses[2], k->addresses[3], NULL);

                summary_is(doc, k->counts[0], k->counts[1], k->counts[2], k->counts[3]);
                if (k->counts[3]) {
                        json_t *m = mailbox(doc, "missing@" DOM);

                        problems_are(m, "DIRECTORY_UNREACHABLE:unknown", NULL);
                        ck_assert_msg(strstr(str(problem(m, "DIRECTORY_UNREACHABLE", NULL),
                                                 "message"), "elsewhere"), "%s",
                                      str(problem(m, "DIRECTORY_UNREACHABLE", NULL), "message"));
                }
                json_decref(doc);
        }
        free(ref);
        free(main_conf);
}
END_TEST

/* Escape sequences in a DN, a certificate subject and a value do not
 * reach stdout raw, in JSON or text. */
START_TEST(hostile_content)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(1, conf, "evil@" DOM, NULL), *m = mailbox(doc, "evil@" DOM);
        static const char *const env[] = { "TERM=xterm-256color", NULL };
        const char *bin = getenv("SMIMEWATCH_BIN");
        const char *argv[] = { bin, "--verify", "-c", conf, "evil@" DOM, NULL };
        const char *entry = json_string_value(json_array_get(array(m, "entries"), 0));
        struct tl_run r;

        ck_assert_msg(entry && strstr(entry, "evil") && strstr(entry, "red,ou=mail"), "%s", entry);
        ck_assert_msg(strstr(str(cert(m, 0), "subject"), "evil") &&
                      strstr(str(cert(m, 0), "subject"), "red"), "%s", str(cert(m, 0), "subject"));
        cert_codes_are(cert(m, 1), "CERT_UNPARSABLE");
        json_decref(doc);

        /* stdout is a pipe: no colour either, even with TERM set */
        tl_run_argv(&r, argv, env, 60);
        ck_assert_int_eq(r.status, 1);
        ck_assert_str_eq(r.err, "");
        ck_assert_msg(!strchr(r.out, '\033'), "escape byte in: %s", r.out);
        for (const unsigned char *p = (const unsigned char *)r.out; *p; p++)
                ck_assert_msg(*p >= 0x20 || *p == '\n', "control character 0x%02x", *p);
        /* the details show the entry and the certificate concerned */
        ck_assert_msg(strstr(r.out, "red,ou=mail") && strstr(r.out, "CN=evil"), "%s", r.out);
        tl_run_free(&r);
        free(conf);
}
END_TEST

/* The human report agrees with the JSON verdict. */
START_TEST(text_report)
{
        char *conf = main_config(srv.ldap_url);
        json_t *doc = verify(2, conf, NULL), *m, *p;
        char line[256];
        struct tl_run r;
        size_t i, k;

        run(&r, "--verify", "-c", conf, NULL);
        ck_assert_int_eq(r.status, 2);
        ck_assert_str_eq(r.err, "");
        ck_assert(r.out[0] != '{');
        ck_assert_msg(strncmp(r.out, "STATUS", 6) == 0 &&
                      strstr(r.out, "MAILBOX") < strchr(r.out, '\n'), "%s", r.out);
        ck_assert(!strchr(r.out, '\033'));
        json_array_foreach(array(doc, "mailboxes"), i, m) {
                const char *st = str(m, "status");
                char word[16];

                for (k = 0; st[k] && k < sizeof(word) - 1; k++)
                        word[k] = (char)(st[k] - 'a' + 'A');
                word[k] = 0;
                /* a table row: the status word, then the address */
                snprintf(line, sizeof(line), "\n%s", word);
                ck_assert_msg(strstr(r.out, line), "no %s row", word);
                ck_assert_msg(strstr(r.out, str(m, "address")), "%s missing", str(m, "address"));
                /* every problem is told in the details, with its code */
                json_array_foreach(array(m, "problems"), k, p) {
                        snprintf(line, sizeof(line), "(%s)", str(p, "code"));
                        ck_assert_msg(strstr(r.out, line), "%s missing for %s", line,
                                      str(m, "address"));
                }
        }
        ck_assert(strstr(r.out, "\nDetails\n"));
        snprintf(line, sizeof(line), "%zu mailboxes: %ld ok, %ld warning, %ld critical, %ld unknown; "
                 "checked ", N_EXPECTED, integer(json_object_get(doc, "summary"), "ok"),
                 integer(json_object_get(doc, "summary"), "warning"),
                 integer(json_object_get(doc, "summary"), "critical"),
                 integer(json_object_get(doc, "summary"), "unknown"));
        ck_assert_msg(strstr(r.out, line), "no '%s' in %s", line, r.out);
        tl_run_free(&r);
        json_decref(doc);

        /* all ready: no details */
        run(&r, "--verify", "-c", conf, "ok@" DOM, "both@" DOM, NULL);
        ck_assert_int_eq(r.status, 0);
        ck_assert(strstr(r.out, "\nOK"));
        ck_assert(strstr(r.out, "valid to "));
        ck_assert(!strstr(r.out, "Details"));
        ck_assert(strstr(r.out, "2 mailboxes: 2 ok, 0 warning, 0 critical, 0 unknown; checked "));
        tl_run_free(&r);
        free(conf);
}
END_TEST

/* ---- --format prometheus and --format plugin ---- */

/* The value of the series (name with its labels, exactly as written) in
 * an exposition; NULL when it is not there. Each series at most once. */
static const char *series(const char *text, const char *name)
{
        static char value[64];
        const char *found = NULL;
        size_t n = strlen(name);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, name, n) == 0 && l[n] == ' ') {
                        ck_assert_msg(!found, "%s twice", name);
                        found = l + n + 1;
                }
        if (!found)
                return NULL;
        snprintf(value, sizeof(value), "%.*s", (int)strcspn(found, "\n"), found);
        return value;
}

#define ck_series(text, name, want) do { \
        const char *v_ = series((text), (name)); \
        ck_assert_msg(v_ && strcmp(v_, (want)) == 0, "%s is %s, want %s", (name), \
                      v_ ? v_ : "missing", (want)); \
} while (0)

/* promtool (Debian's prometheus package) accepts the exposition, lint included. */
static void promtool_accepts(const char *text)
{
        char *file = tl_write(tmp, "metrics.prom", "%s", text);

        ck_assert_msg(tl_sh("promtool check metrics < '%s' >&2", file) == 0,
                      "promtool refuses:\n%s", text);
        free(file);
}

/* The best certificate of mb for usage, from the JSON document. */
static json_t *best_cert(json_t *mb, const char *usage)
{
        json_t *c, *best = NULL;
        time_t t, best_t = 0;
        size_t i, k;
        json_t *u;

        json_array_foreach(array(mb, "certificates"), i, c) {
                json_array_foreach(array(c, "usable_for"), k, u)
                        if (strcmp(json_string_value(u), usage) == 0 &&
                            util_parse_time(str(c, "not_after"), &t) == 0 && (!best || t > best_t)) {
                                best = c;
                                best_t = t;
                        }
        }
        return best;
}

START_TEST(prometheus_format)
{
        static const char *const usages[] = { "encryption", "signature" };
        char *conf = main_config(srv.ldap_url), name[1024], want[32];
        json_t *doc = verify(2, conf, NULL), *m, *sum = json_object_get(doc, "summary");
        time_t checked, t;
        struct tl_run r;
        size_t i;

        run(&r, "--verify", "-c", conf, "--format", "prometheus", NULL);
        ck_assert_int_eq(r.status, 2);
        ck_assert_str_eq(r.err, "");
        promtool_accepts(r.out);
        /* every family with HELP and TYPE */
        ck_assert_ptr_nonnull(strstr(r.out, "# TYPE smimewatch_mailbox_status gauge\n"));
        ck_assert_ptr_nonnull(strstr(r.out, "# HELP smimewatch_mailbox_status "));
        ck_series(r.out, "smimewatch_directory_up", "1");
        /* crowd@ and big@ are unknown (their answers were cut): no verdict on every mailbox */
        ck_series(r.out, "smimewatch_last_cycle_success",
                  integer(sum, "unknown") ? "0" : "1");
        ck_assert_int_eq(util_parse_time(str(doc, "checked_at"), &checked), 0);
        ck_assert(atoll(series(r.out, "smimewatch_last_cycle_start_timestamp_seconds")) >=
                  (long long)checked - 5);
        ck_assert(atof(series(r.out, "smimewatch_last_cycle_duration_seconds")) < 30);
        snprintf(name, sizeof(name), "smimewatch_build_info{version=\"%s\"}", "0.1.0");
        ck_assert_ptr_nonnull(strstr(r.out, "smimewatch_build_info{version=\""));
        for (int s = 0; s < 4; s++) {
                snprintf(name, sizeof(name), "smimewatch_mailboxes{status=\"%s\"}", status_names[s]);
                snprintf(want, sizeof(want), "%ld", integer(sum, status_names[s]));
                ck_series(r.out, name, want);
        }
        json_array_foreach(array(doc, "mailboxes"), i, m) {
                const char *a = str(m, "address");
                size_t k;
                json_t *p;

                /* four status series, one of them 1 */
                for (int s = 0; s < 4; s++) {
                        snprintf(name, sizeof(name),
                                 "smimewatch_mailbox_status{mailbox=\"%s\",status=\"%s\"}", a,
                                 status_names[s]);
                        ck_series(r.out, name, strcmp(str(m, "status"), status_names[s]) ? "0" : "1");
                }
                /* the best certificate's end per usage, labelled with its serial */
                for (int u = 0; u < 2; u++) {
                        json_t *c = best_cert(m, usages[u]);
                        char prefix[512];

                        snprintf(prefix, sizeof(prefix),
                                 "smimewatch_certificate_not_after_timestamp_seconds{mailbox=\"%s\","
                                 "usage=\"%s\",", a, usages[u]);
                        if (!c) {
                                ck_assert_msg(!strstr(r.out, prefix), "%s without a best certificate",
                                              prefix);
                                continue;
                        }
                        snprintf(name, sizeof(name), "%sserial=\"%s\"}", prefix, str(c, "serial"));
                        ck_assert_int_eq(util_parse_time(str(c, "not_after"), &t), 0);
                        snprintf(want, sizeof(want), "%lld", (long long)t);
                        ck_series(r.out, name, want);
                }
                /* one series per problem code, counting its problems */
                json_array_foreach(array(m, "problems"), k, p) {
                        unsigned n = 0;
                        size_t j;
                        json_t *q;

                        json_array_foreach(array(m, "problems"), j, q)
                                n += strcmp(str(q, "code"), str(p, "code")) == 0;
                        snprintf(name, sizeof(name),
                                 "smimewatch_mailbox_problems{mailbox=\"%s\",code=\"%s\"}", a,
                                 str(p, "code"));
                        snprintf(want, sizeof(want), "%u", n);
                        ck_series(r.out, name, want);
                }
        }
        ck_series(r.out, "smimewatch_mailbox_problems{mailbox=\"stale@" DOM
                  "\",code=\"STALE_CERT_PUBLISHED\"}", "2");
        ck_assert_ptr_null(strstr(r.out, "smimewatch_mailbox_problems{mailbox=\"ok@"));
        /* bounded: no certificate hash anywhere, a fixed number of lines */
        json_array_foreach(array(doc, "mailboxes"), i, m) {
                json_t *c;
                size_t k;

                json_array_foreach(array(m, "certificates"), k, c)
                        ck_assert_ptr_null(strstr(r.out, str(c, "sha256")));
        }
        tl_run_free(&r);
        json_decref(doc);
        free(conf);
}
END_TEST

/* The Monitoring Plugins guidelines' performance data:
 * 'label'=value[UOM];[warn];[crit];[min];[max], space separated. */
#define PD_NUM "-?[0-9]+(\\.[0-9]+)?"
#define PD_RANGE "@?((~|" PD_NUM "):)?(" PD_NUM ")?"
#define PD_ITEM "('[^'=]+'|[^ '=|]+)=" PD_NUM "(s|ms|us|%|B|KB|MB|GB|TB|c)?" \
                "(;(" PD_RANGE ")(;(" PD_RANGE ")(;(" PD_NUM ")?(;(" PD_NUM ")?)?)?)?)?"
#define STATUS_LINE "^SMIMEWATCH (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+ \\| " PD_ITEM \
                    "( " PD_ITEM ")*$"

/* smimewatch --verify ... --format plugin: exits want, the first line
 * follows the grammar and starts with head, the perfdata has ok, warning,
 * critical and unknown as counted; returns the output (caller runs free). */
static void plugin(struct tl_run *r, int want, const char *head, const unsigned counts[4],
                   const char *conf, const char *address)
{
        char *first, perf[64];
        regex_t re;
        int rc;

        if (address)
                run(r, "--verify", address, "-c", conf, "--format", "plugin", NULL);
        else
                run(r, "--verify", "-c", conf, "--format", "plugin", NULL);
        ck_assert_msg(r->status == want, "exit %d, want %d: %s", r->status, want, r->out);
        ck_assert_str_eq(r->err, "");
        first = strndup(r->out, strcspn(r->out, "\n"));
        ck_assert_int_eq(regcomp(&re, STATUS_LINE, REG_EXTENDED | REG_NOSUB), 0);
        rc = regexec(&re, first, 0, NULL, 0);
        regfree(&re);
        ck_assert_msg(rc == 0, "not a plugin status line: %s", first);
        ck_assert_msg(strncmp(first, head, strlen(head)) == 0, "%s\nwant %s", first, head);
        snprintf(perf, sizeof(perf), "| ok=%u;;;0 warning=%u;;;0 critical=%u;;;0 unknown=%u;;;0",
                 counts[0], counts[1], counts[2], counts[3]);
        ck_assert_msg(strstr(first, perf), "%s\nwant %s", first, perf);
        ck_assert(!strchr(r->out, '\033'));
        ck_assert(r->out[strlen(r->out) - 1] == '\n');
        free(first);
}

static size_t lines(const char *s)
{
        return count(s, "\n");
}

START_TEST(plugin_ok_and_warning)
{
        char *conf = main_config(srv.ldap_url);
        const unsigned one_ok[4] = { 1, 0, 0, 0 }, one_warning[4] = { 0, 1, 0, 0 };
        struct tl_run r;

        plugin(&r, 0, "SMIMEWATCH OK - 1 mailbox ready | ", one_ok, conf, "ok@" DOM);
        /* ok-sig ends at +300 days: the fewest days left, ranges warn_days and critical_days */
        ck_assert_msg(strstr(r.out, " min_days_left=299;@~:30;@~:7\n") ||
                      strstr(r.out, " min_days_left=300;@~:30;@~:7\n"), "%s", r.out);
        ck_assert_uint_eq(lines(r.out), 1);
        tl_run_free(&r);

        plugin(&r, 1, "SMIMEWATCH WARNING - 1 of 1 mailbox warning: soon@" DOM
               " (CERT_EXPIRING 19 d) | ", one_warning, conf, "soon@" DOM);
        ck_assert_msg(strstr(r.out, " min_days_left=19;@~:30;@~:7\n"), "%s", r.out);
        /* long output: the mailbox, each problem with its code and message */
        ck_assert_uint_eq(lines(r.out), 2);
        ck_assert_msg(strstr(r.out, "\n[WARNING] soon@" DOM ": CERT_EXPIRING 19 d (encryption "
                             "certificate expires in 19 days"), "%s", r.out);
        ck_assert_msg(strstr(r.out, "; CERT_EXPIRING 19 d (signature"), "%s", r.out);
        tl_run_free(&r);
        free(conf);
}
END_TEST

START_TEST(plugin_critical)
{
        char *conf = main_config(srv.ldap_url), *l;
        json_t *doc = verify(2, conf, NULL), *sum = json_object_get(doc, "summary"), *m;
        unsigned counts[4], not_ok = 0;
        char head[512];
        struct tl_run r;
        size_t i;

        for (int s = 0; s < 4; s++)
                counts[s] = (unsigned)integer(sum, status_names[s]);
        snprintf(head, sizeof(head), "SMIMEWATCH CRITICAL - %u of %zu mailboxes critical: "
                 "noenc@" DOM " (ENCRYPTION_CERT_MISSING), nosig@" DOM " (SIGNATURE_CERT_MISSING), "
                 "verysoon@" DOM " (CERT_EXPIRING 2 d), ", counts[2], N_EXPECTED);
        plugin(&r, 2, head, counts, conf, NULL);
        /* five named, then how many more */
        snprintf(head, sizeof(head), " and %u more | ", counts[2] - 5);
        ck_assert_msg(strstr(r.out, head), "%s", r.out);
        ck_assert_msg(strstr(r.out, " min_days_left=2;@~:30;@~:7\n"), "%s", r.out);
        json_array_foreach(array(doc, "mailboxes"), i, m) {
                char want[128];

                if (strcmp(str(m, "status"), "ok") == 0) {
                        snprintf(want, sizeof(want), "] %s:", str(m, "address"));
                        ck_assert_msg(!strstr(r.out, want), "%s is ok: %s", str(m, "address"), r.out);
                        continue;
                }
                not_ok++;
                snprintf(want, sizeof(want), "\n[%s] %s: ", str(m, "status"), str(m, "address"));
                for (char *p = want + 2; *p != ']'; p++)
                        *p = (char)(*p - 'a' + 'A');
                ck_assert_msg(strstr(r.out, want), "no long output line %s", want + 1);
        }
        ck_assert_uint_eq(lines(r.out), 1 + not_ok);
        /* critical lines first, then warning */
        l = strstr(r.out, "\n[WARNING]");
        ck_assert_ptr_nonnull(l);
        ck_assert_ptr_null(strstr(l, "\n[CRITICAL]"));
        tl_run_free(&r);
        json_decref(doc);
        free(conf);
}
END_TEST

/* ---- TLS and binding ---- */

/* A configuration over uri with these [directory] lines; the password
 * file (mode 0600) holds password unless it is NULL. */
static char *tls_config(const char *name, const char *uri, const char *ca, const char *dir_extra,
                        const char *password)
{
        char *extra = NULL, *pwfile = NULL, *conf, *ca_path = tl_path(tls, ca ? ca : "ca.pem");

        if (password) {
                char *n;

                ck_assert_int_ge(asprintf(&n, "%s.password", name), 0);
                pwfile = tl_write(tmp, n, "%s\n", password);
                ck_assert_int_eq(chmod(pwfile, 0600), 0);
                free(n);
        }
        ck_assert_int_ge(asprintf(&extra, "tls_ca_file = %s\n%s%s%s%s%s", ca_path,
                                  dir_extra ? dir_extra : "",
                                  password ? "bind_dn = " READER "\n" : "",
                                  password ? "password_file = " : "", password ? pwfile : "",
                                  password ? "\n" : ""), 0);
        conf = config(name, uri, NULL, extra,
                      "[mailbox ok@" DOM "]\n[mailbox soon@" DOM "]\n[mailbox notfound@" DOM "]\n");
        free(ca_path);
        free(pwfile);
        free(extra);
        return conf;
}

/* Three mailboxes checked over a working connection. */
static void works(const char *conf)
{
        json_t *doc = verify(2, conf, NULL);

        summary_is(doc, 1, 1, 1, 0);
        status_is(mailbox(doc, "ok@" DOM), "ok");
        problems_are(mailbox(doc, "notfound@" DOM), "MAILBOX_NOT_FOUND:critical", NULL);
        json_decref(doc);
}

/* Every mailbox unknown for the directory alone, and the reason names
 * what (what2 may be NULL); never a verdict drawn from the missing answer. */
static void unreachable(json_t *doc, const char *what1, const char *what2)
{
        json_t *m;
        size_t i;

        status_is(doc, "unknown");
        json_array_foreach(array(doc, "mailboxes"), i, m) {
                const char *msg;

                status_is(m, "unknown");
                problems_are(m, "DIRECTORY_UNREACHABLE:unknown", NULL);
                ck_assert_uint_eq(json_array_size(array(m, "entries")), 0);
                ck_assert_uint_eq(json_array_size(array(m, "certificates")), 0);
                msg = str(problem(m, "DIRECTORY_UNREACHABLE", NULL), "message");
                ck_assert_msg(strstr(msg, what1) && (!what2 || strstr(msg, what2)), "%s", msg);
        }
        ck_assert_uint_eq((size_t)integer(json_object_get(doc, "summary"), "unknown"),
                          json_array_size(array(doc, "mailboxes")));
}

START_TEST(ldaps_right_ca)
{
        char *conf = tls_config("ldaps.conf", srv.ldaps_url, NULL, NULL, NULL);

        works(conf);
        free(conf);
}
END_TEST

START_TEST(starttls_right_ca)
{
        char *conf = tls_config("starttls.conf", srv.ldap_url, NULL, "starttls = yes\n", NULL);

        works(conf);
        free(conf);
}
END_TEST

START_TEST(wrong_ca)
{
        char *a = tls_config("wrongca-ldaps.conf", srv.ldaps_url, "wrong-ca.pem", NULL, NULL);
        char *b = tls_config("wrongca-starttls.conf", srv.ldap_url, "wrong-ca.pem",
                             "starttls = yes\n", NULL);
        json_t *doc;

        doc = verify(3, a, NULL);
        unreachable(doc, "TLS", srv.ldaps_url);
        unreachable(doc, "certificate", NULL);
        json_decref(doc);
        doc = verify(3, b, NULL);
        unreachable(doc, "StartTLS", srv.ldap_url);
        unreachable(doc, "certificate", NULL);
        json_decref(doc);
        free(a);
        free(b);
}
END_TEST

/* A password over plain ldap:// is refused before anything is sent. */
START_TEST(plain_bind_is_a_configuration_error)
{
        char *conf = tls_config("plain.conf", srv.ldap_url, NULL, "starttls = no\n", READER_PW);
        char want[512];
        struct tl_run r;

        for (int json = 0; json < 2; json++) {
                if (json)
                        run(&r, "--verify", "-c", conf, "--json", NULL);
                else
                        run(&r, "--verify", "-c", conf, NULL);
                ck_assert_msg(r.status == 78, "exit %d: %s", r.status, r.err);
                ck_assert_str_eq(r.out, "");
                snprintf(want, sizeof(want), "%s:%d: ", conf, line_of(conf, "bind_dn"));
                ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "want %s in: %s", want,
                              r.err);
                ck_assert_msg(strstr(r.err, "starttls") && strstr(r.err, srv.ldap_url), "%s",
                              r.err);
                ck_assert(!strstr(r.err, READER_PW));
                tl_run_free(&r);
        }
        free(conf);
}
END_TEST

/* A password file that others can read is refused too. */
START_TEST(readable_password_file)
{
        char *conf = tls_config("readable.conf", srv.ldaps_url, NULL, NULL, READER_PW);
        char *pw = tl_path(tmp, "readable.conf.password");
        struct tl_run r;

        ck_assert_int_eq(chmod(pw, 0644), 0);
        run(&r, "--verify", "-c", conf, "--json", NULL);
        ck_assert_msg(r.status == 78, "exit %d: %s", r.status, r.err);
        ck_assert_str_eq(r.out, "");
        ck_assert_msg(strncmp(r.err, conf, strlen(conf)) == 0 && strstr(r.err, pw), "%s", r.err);
        ck_assert(!strstr(r.err, READER_PW));
        tl_run_free(&r);
        free(pw);
        free(conf);
}
END_TEST

START_TEST(wrong_password)
{
        char *a = tls_config("wrongpw-ldaps.conf", srv.ldaps_url, NULL, NULL, WRONG_PW);
        char *b = tls_config("wrongpw-starttls.conf", srv.ldap_url, NULL, "starttls = yes\n",
                             WRONG_PW);
        const char *confs[] = { a, b };
        struct tl_run r;
        char *text;

        for (int i = 0; i < 2; i++) {
                json_t *doc;

                run(&r, "--verify", "-c", confs[i], "--json", NULL);
                ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
                ck_assert_msg(!strstr(r.out, WRONG_PW) && !strstr(r.err, WRONG_PW),
                              "the password is shown");
                tl_run_free(&r);
                doc = verify(3, confs[i], NULL);
                unreachable(doc, "bind", READER);
                ck_assert(strstr(str(problem(mailbox(doc, "ok@" DOM), "DIRECTORY_UNREACHABLE",
                                             NULL), "message"), "Invalid credentials"));
                json_decref(doc);
                /* the text report says it once at the top, without the password */
                run(&r, "--verify", "-c", confs[i], NULL);
                ck_assert_int_eq(r.status, 3);
                ck_assert_msg(strncmp(r.out, "UNKNOWN", 7) == 0, "%s", r.out);
                text = unwrapped(r.out);
                ck_assert_msg(count(text, "failed: Invalid credentials") == 1, "%s", r.out);
                free(text);
                ck_assert_msg(!strstr(r.out, WRONG_PW) && !strstr(r.err, WRONG_PW),
                              "the password is shown");
                tl_run_free(&r);
        }
        free(a);
        free(b);
}
END_TEST

START_TEST(right_password)
{
        char *a = tls_config("pw-ldaps.conf", srv.ldaps_url, NULL, NULL, READER_PW);
        char *b = tls_config("pw-starttls.conf", srv.ldap_url, NULL, "starttls = yes\n", READER_PW);
        struct tl_run r;

        works(a);
        works(b);
        run(&r, "--verify", "-c", b, NULL);
        ck_assert_int_eq(r.status, 2);
        ck_assert(!strstr(r.out, READER_PW) && !strstr(r.err, READER_PW));
        tl_run_free(&r);
        free(a);
        free(b);
}
END_TEST

/* ---- outages ---- */

/* Four mailboxes, one with a local certificate file, over uri. */
static char *outage_config(const char *name, const char *uri)
{
        return tl_write(tmp, name,
                        "[pki]\ntrust_anchors = %s/anchors.pem\n"
                        "intermediates = %s/intermediates.pem\ncrls = %s/crls\n\n"
                        "[directory]\nuri = %s\nbase = " MAILDN "\ntimeout = 2s\n\n"
                        "[mailbox ok@" DOM "]\n[mailbox notfound@" DOM "]\n"
                        "[mailbox noenc@" DOM "]\n"
                        "[mailbox local@" DOM "]\ncertificates = %s/local-sig.pem\n",
                        pki, pki, pki, uri, pki);
}

/* Exit 3 within about the timeout, every mailbox unknown, and the text
 * report states the failure once, at the top. */
static void outage(const char *uri, const char *what)
{
        char *conf = outage_config("outage.conf", uri);
        double t0 = now_s(), elapsed;
        struct tl_run r;
        char *text;
        json_t *doc;

        doc = verify(3, conf, NULL);
        elapsed = now_s() - t0;
        ck_assert_msg(elapsed < 5, "took %.1f s", elapsed);
        unreachable(doc, what, uri);
        summary_is(doc, 0, 0, 0, 4);
        json_decref(doc);

        t0 = now_s();
        run(&r, "--verify", "-c", conf, NULL);
        elapsed = now_s() - t0;
        ck_assert_msg(elapsed < 5, "took %.1f s", elapsed);
        ck_assert_int_eq(r.status, 3);
        ck_assert_str_eq(r.err, "");
        text = unwrapped(r.out);
        ck_assert_msg(strncmp(text, "UNKNOWN: the directory could not be reached", 43) == 0, "%s",
                      r.out);
        ck_assert_msg(count(text, "could not be reached") == 1, "%s", r.out);
        ck_assert_msg(count(text, uri) == 1, "%s", r.out);
        ck_assert_msg(count(text, what) == 1, "%s", r.out);
        ck_assert_msg(count(text, "directory unreachable (see above)") == 4, "%s", r.out);
        ck_assert_msg(!strstr(text, "NOT_FOUND") && !strstr(text, "CERT_MISSING") &&
                      !strstr(text, "Details"), "%s", r.out);
        ck_assert(strstr(r.out, "4 mailboxes: 0 ok, 0 warning, 0 critical, 4 unknown; checked "));
        free(text);
        tl_run_free(&r);
        free(conf);
}

START_TEST(dead_port)
{
        const unsigned all_unknown[4] = { 0, 0, 0, 4 };
        char uri[64], *conf;
        struct tl_run r;

        snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", tl_dead_port());
        outage(uri, "cannot connect");
        /* the plugin says why on its status line, and nothing per mailbox */
        conf = outage_config("outage.conf", uri);
        plugin(&r, 3, "SMIMEWATCH UNKNOWN - directory unreachable: ", all_unknown, conf, NULL);
        ck_assert_msg(strstr(r.out, uri) && strstr(r.out, "cannot connect"), "%s", r.out);
        ck_assert_uint_eq(lines(r.out), 1);
        ck_assert_ptr_null(strstr(r.out, "min_days_left"));
        tl_run_free(&r);
        run(&r, "--verify", "-c", conf, "--format", "prometheus", NULL);
        ck_assert_int_eq(r.status, 3);
        promtool_accepts(r.out);
        ck_series(r.out, "smimewatch_directory_up", "0");
        ck_series(r.out, "smimewatch_last_cycle_success", "0");
        ck_series(r.out, "smimewatch_mailboxes{status=\"unknown\"}", "4");
        ck_series(r.out, "smimewatch_mailbox_status{mailbox=\"ok@" DOM "\",status=\"unknown\"}", "1");
        ck_series(r.out, "smimewatch_mailbox_problems{mailbox=\"ok@" DOM
                  "\",code=\"DIRECTORY_UNREACHABLE\"}", "1");
        ck_assert_ptr_null(strstr(r.out, "smimewatch_certificate_not_after_timestamp_seconds{"));
        tl_run_free(&r);
        free(conf);
}
END_TEST

START_TEST(hung_server)
{
        char uri[64];
        int port, fd = tl_hung_listener(&port);

        snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", port);
        outage(uri, "no answer");
        close(fd);
}
END_TEST

START_TEST(first_dead_second_alive)
{
        char uri[256];
        char *conf;
        json_t *doc;

        snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d %s", tl_dead_port(), srv.ldap_url);
        conf = outage_config("second.conf", uri);
        doc = verify(2, conf, NULL);
        summary_is(doc, 2, 0, 2, 0);
        status_is(mailbox(doc, "ok@" DOM), "ok");
        status_is(mailbox(doc, "local@" DOM), "ok");
        problems_are(mailbox(doc, "notfound@" DOM), "MAILBOX_NOT_FOUND:critical", NULL);
        json_decref(doc);
        free(conf);
}
END_TEST

/* The group's own server goes away: the last test of the group. */
START_TEST(stopped_server)
{
        char *url = strdup(srv.ldap_url), *conf = outage_config("stopped.conf", url);
        json_t *doc = verify(2, conf, NULL);

        json_decref(doc);
        tl_slapd_stop(&srv);
        free(conf);
        outage(url, "cannot connect");
        free(url);
}
END_TEST

/* ---- a misbehaving directory (tests/lib/ldaprogue) ---- */

struct hostile {
        const char *address;
        enum tl_rogue_act act;
        const char *cert;               /* pki/NAME.der as its value, or NULL */
        const char *status;             /* what --verify must say */
        const char *reason;             /* in its DIRECTORY_UNREACHABLE message, or NULL */
};

/* Each case on its own mailbox, the well-behaved ones among them: the
 * huge answer comes first, so every search after it was open when the
 * connection broke and has to be asked again. */
static const struct hostile hostile[] = {
        { "both@" DOM, TL_ROGUE_ENTRY, "both", "ok", NULL },
        { "huge@" DOM, TL_ROGUE_HUGE, NULL, "unknown", "larger than 16 MiB" },
        { "twice@" DOM, TL_ROGUE_ENTRY, "twice-a", "ok", NULL },
        { "closemid@" DOM, TL_ROGUE_CLOSE_MID, "both", "unknown", "connection lost" },
        { "slow@" DOM, TL_ROGUE_SLOW, "both", "unknown", "no answer from the server within 2.0 s" },
        { "timelimit@" DOM, TL_ROGUE_TIMELIMIT, NULL, "unknown", "Time limit exceeded" },
        { "referral@" DOM, TL_ROGUE_REFERRAL, NULL, "unknown", "elsewhere.example" },
        { "continuation@" DOM, TL_ROGUE_CONTINUATION, NULL, "unknown", "elsewhere.example" },
        { "p7@" DOM, TL_ROGUE_ENTRY, "both", NULL, NULL },      /* address mismatch: critical */
        /* Cut at the limits: unknown, never critical. */
        { "many@" DOM, TL_ROGUE_MANY_VALUES, "many", "unknown", "969 values left out (969 over 32" },
        { "flood@" DOM, TL_ROGUE_FLOOD, "both", "unknown", "only 8 of the matching entries were returned" },
        { "sizelimit@" DOM, TL_ROGUE_SIZELIMIT, NULL, "unknown", "only 1 of the matching entries were returned" },
        { "ok@" DOM, TL_ROGUE_NONE, NULL, "critical", NULL },   /* MAILBOX_NOT_FOUND */
};

#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

START_TEST(hostile_directory)
{
        struct tl_rogue_rule rules[N_HOSTILE];
        unsigned char *der[N_HOSTILE] = { NULL };
        struct tl_rogue rogue;
        char *sections = NULL, *conf, name[64];
        size_t len = 0;
        FILE *f = open_memstream(&sections, &len);
        double t0, took;
        json_t *doc;

        build_once();
        ck_assert_ptr_nonnull(f);
        for (size_t i = 0; i < N_HOSTILE; i++) {
                rules[i] = (struct tl_rogue_rule){ hostile[i].address, hostile[i].act, NULL, 0 };
                if (hostile[i].cert) {
                        snprintf(name, sizeof(name), "%s.der", hostile[i].cert);
                        der[i] = pki_file(name, &rules[i].len);
                        rules[i].value = der[i];
                }
                fprintf(f, "[mailbox %s]\n", hostile[i].address);
        }
        ck_assert_int_eq(fclose(f), 0);
        tl_rogue_start(&rogue, rules, N_HOSTILE);
        conf = tl_write(tmp, "hostile.conf",
                        "[pki]\ntrust_anchors = %s/anchors.pem\nintermediates = %s/intermediates.pem\n"
                        "crls = %s/crls\n\n[directory]\nuri = %s\nbase = o=Rogue\ntimeout = 2s\n\n%s",
                        pki, pki, pki, rogue.url, sections);
        t0 = now_s();
        doc = verify(2, conf, NULL);
        took = now_s() - t0;
        fprintf(stderr, "hostile directory: %.1f s\n", took);
        /* The huge answer at once, the slow one its timeout, the rest quick. */
        ck_assert_msg(took < 10, "took %.1f s", took);
        for (size_t i = 0; i < N_HOSTILE; i++) {
                json_t *m = mailbox(doc, hostile[i].address);

                if (hostile[i].status)
                        status_is(m, hostile[i].status);
                if (hostile[i].reason && json_is_null(json_object_get(m, "truncated"))) {
                        const char *msg;

                        problems_are(m, "DIRECTORY_UNREACHABLE:unknown", NULL);
                        msg = str(problem(m, "DIRECTORY_UNREACHABLE", NULL), "message");
                        fprintf(stderr, "  %s: %s\n", hostile[i].address, msg);
                        ck_assert_msg(strstr(msg, hostile[i].reason), "%s: %s",
                                      hostile[i].address, msg);
                } else if (hostile[i].reason) {
                        const char *msg;

                        ck_assert_msg(!has_code(m, "ENCRYPTION_CERT_MISSING") &&
                                      !has_code(m, "SIGNATURE_CERT_MISSING"), "%s",
                                      hostile[i].address);
                        msg = str(problem(m, "DIRECTORY_UNREACHABLE", "encryption"), "message");
                        fprintf(stderr, "  %s: %s\n", hostile[i].address, msg);
                        ck_assert_msg(strstr(msg, hostile[i].reason), "%s: %s",
                                      hostile[i].address, msg);
                } else {
                        ck_assert_msg(!has_code(m, "DIRECTORY_UNREACHABLE"), "%s unreachable",
                                      hostile[i].address);
                }
        }
        problems_are(mailbox(doc, "ok@" DOM), "MAILBOX_NOT_FOUND:critical", NULL);
        json_decref(doc);
        tl_rogue_stop(&rogue);
        for (size_t i = 0; i < N_HOSTILE; i++)
                free(der[i]);
        free(sections);
        free(conf);
}
END_TEST

/* The cases that could make smimewatch hold a lot, each alone in a
 * --verify of its own: its peak RSS (wait4 of the child) may exceed that of
 * a --verify of one well-behaved mailbox by at most 16 MiB, less than the
 * 20 MB value, which must never be held (measured: 0.2 MiB more at most;
 * libldap refuses the PDU by its length before reading it). Judged in the
 * plain build only: ASan's quarantine and shadow memory inflate RSS. */
START_TEST(hostile_directory_memory)
{
        static const struct {
                const char *address;
                enum tl_rogue_act act;
                int status;
        } cases[] = {
                { "both@" DOM, TL_ROGUE_ENTRY, 0 },             /* the baseline */
                { "huge@" DOM, TL_ROGUE_HUGE, 3 },              /* a 20 MB value */
                { "many@" DOM, TL_ROGUE_MANY_VALUES, 3 },       /* 1,000 values */
                { "flood@" DOM, TL_ROGUE_FLOOD, 3 },            /* 5,000 entries */
        };
        enum { N = sizeof(cases) / sizeof(cases[0]) };
        struct tl_rogue_rule rules[N];
        unsigned char *der;
        struct tl_rogue rogue;
        long baseline = 0;
        size_t len;

        build_once();
        der = pki_file("both.der", &len);
        for (size_t i = 0; i < N; i++)
                rules[i] = (struct tl_rogue_rule){ cases[i].address, cases[i].act, der, len };
        tl_rogue_start(&rogue, rules, N);
        for (size_t i = 0; i < N; i++) {
                char *conf = tl_write(tmp, "hostile-one.conf",
                                      "[pki]\ntrust_anchors = %s/anchors.pem\n"
                                      "intermediates = %s/intermediates.pem\ncrls = %s/crls\n\n"
                                      "[directory]\nuri = %s\nbase = o=Rogue\ntimeout = 2s\n\n"
                                      "[mailbox %s]\n", pki, pki, pki, rogue.url,
                                      cases[i].address);
                const char *args[] = { "--verify", "--json", "-c", conf, NULL };
                struct tl_run r;
                double t0 = now_s(), took;

                tl_smimewatch(&r, args);
                took = now_s() - t0;
                ck_assert_msg(r.status == cases[i].status, "%s: exit %d, want %d\n%s%s",
                              cases[i].address, r.status, cases[i].status, r.out, r.err);
                if (i == 0)
                        baseline = r.maxrss_kib;
                fprintf(stderr, "hostile directory memory: %s: peak RSS %ld KiB (baseline %ld KiB), "
                        "%.1f s\n", cases[i].address, r.maxrss_kib, baseline, took);
                ck_assert_msg(took < 10, "%s: took %.1f s", cases[i].address, took);
#ifndef __SANITIZE_ADDRESS__
                ck_assert_msg(r.maxrss_kib <= baseline + 16 * 1024, "%s: peak RSS %ld KiB, "
                              "baseline %ld KiB", cases[i].address, r.maxrss_kib, baseline);
#endif
                tl_run_free(&r);
                free(conf);
        }
        tl_rogue_stop(&rogue);
        free(der);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("verify");
        TCase *verdicts = tcase_create("verdicts");
        TCase *tls_case = tcase_create("tls");
        TCase *outages = tcase_create("outage");
        TCase *rogue = tcase_create("hostile directory");
        SRunner *sr;
        int failed;

        tcase_add_unchecked_fixture(verdicts, setup_verdicts, stop_server);
        tcase_set_timeout(verdicts, 120);
        tcase_add_test(verdicts, every_mailbox);
        tcase_add_test(verdicts, ready_mailbox_fields);
        tcase_add_test(verdicts, pkcs7_container);
        tcase_add_test(verdicts, several_certificates_and_stale);
        tcase_add_test(verdicts, local_signature_certificate);
        tcase_add_test(verdicts, garbage_values);
        tcase_add_test(verdicts, escaped_address);
        tcase_add_test(verdicts, ambiguous_and_not_found);
        tcase_add_test(verdicts, limits_and_escaped_dn);
        tcase_add_test(verdicts, missing_and_warnings);
        tcase_add_test(verdicts, expiry_thresholds);
        tcase_add_test(verdicts, verify_addresses);
        tcase_add_test(verdicts, at_time);
        tcase_add_test(verdicts, mailbox_list);
        tcase_add_test(verdicts, require_encryption_only);
        tcase_add_test(verdicts, status_rules);
        tcase_add_test(verdicts, hostile_content);
        tcase_add_test(verdicts, text_report);
        tcase_add_test(verdicts, prometheus_format);
        tcase_add_test(verdicts, plugin_ok_and_warning);
        tcase_add_test(verdicts, plugin_critical);
        suite_add_tcase(s, verdicts);

        tcase_add_unchecked_fixture(tls_case, setup_tls, stop_server);
        tcase_set_timeout(tls_case, 60);
        tcase_add_test(tls_case, ldaps_right_ca);
        tcase_add_test(tls_case, starttls_right_ca);
        tcase_add_test(tls_case, wrong_ca);
        tcase_add_test(tls_case, plain_bind_is_a_configuration_error);
        tcase_add_test(tls_case, readable_password_file);
        tcase_add_test(tls_case, wrong_password);
        tcase_add_test(tls_case, right_password);
        suite_add_tcase(s, tls_case);

        tcase_add_unchecked_fixture(outages, setup_outage, stop_server);
        tcase_set_timeout(outages, 60);
        tcase_add_test(outages, dead_port);
        tcase_add_test(outages, hung_server);
        tcase_add_test(outages, first_dead_second_alive);
        tcase_add_test(outages, stopped_server);
        suite_add_tcase(s, outages);

        tcase_set_timeout(rogue, 60);
        tcase_add_test(rogue, hostile_directory);
        tcase_add_test(rogue, hostile_directory_memory);
        suite_add_tcase(s, rogue);

        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        /* not tl_rm_rf(): no ck_assert outside a test */
        if (tmp && strstr(tmp, "smimewatch-test.")) {
                char *cmd;

                if (asprintf(&cmd, "rm -rf '%s'", tmp) >= 0) {
                        if (system(cmd) != 0)
                                fprintf(stderr, "cannot remove %s\n", tmp);
                        free(cmd);
                }
        }
        free(tmp);
        free(pki);
        free(tls);
        free(ldif);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
