/* SPDX-License-Identifier: EUPL-1.2 */
/* Decryption readiness end to end: a test PKI (tests/mkpki), the key files
 * staff hold made by `openssl pkcs12 -export` and `openssl pkey` at test
 * time, a real slapd publishing the certificates, and the smimewatch
 * binary: each key file's verdict through --verify --json and in the
 * service's journal entries (tests/journald-ns), and the password in
 * none of the outputs. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journalread.h"
#include "ldaptest.h"
#include "msgid.h"
#include "testlib.h"
#include "util.h"

#define DOM "example.org"
#define SUFFIX "o=Test,c=DE"
#define PW "Key-Secret-p12-8472"
#define WRONG "Not-The-Key-Secret-1234"

static char *tmp;               /* everything of this run */
static char *pki;               /* tmp/pki */
static char *old_serial;        /* of renewed-old, the key staff still hold */
static struct tl_slapd srv;

/* Mailboxes of the main configuration: address, [mailbox] lines (%s is
 * the PKI directory), status, problem code or NULL, part of its message. */
static const struct mbx {
        const char *local;
        const char *section;
        const char *status;
        const char *code;
        const char *says;
} mailboxes[] = {
        { "match", "key = %s/match.p12\nkey_password_file = %s/pw", "ok", NULL, NULL },
        { "pem", "key = %s/pem.key\nkey_password_file = %s/pw", "ok", NULL, NULL },
        { "ec", "key = %s/ec.p12\nkey_password_file = %s/pw", "ok", NULL, NULL },
        { "plain", "key = %s/plain.p12", "ok", NULL, NULL },
        { "renewed", "key = %s/renewed-old.p12\nkey_password_file = %s/pw", "critical",
          "DECRYPTION_KEY_MISMATCH", "do not hold the key of the renewed certificate yet" },
        { "ecwrong", "key = %s/ecold.p12\nkey_password_file = %s/pw", "critical",
          "DECRYPTION_KEY_MISMATCH", "the key belongs to the certificate serial" },
        { "bare", "key = %s/bare.key", "critical", "DECRYPTION_KEY_MISMATCH",
          "the key file holds no certificate of its key" },
        { "wrongpw", "key = %s/match.p12\nkey_password_file = %s/wrong", "unknown",
          "DECRYPTION_KEY_UNREADABLE", "wrong password (from key_password_file" },
        { "pemwrong", "key = %s/pem.key\nkey_password_file = %s/wrong", "unknown",
          "DECRYPTION_KEY_UNREADABLE", "wrong password" },
        { "nopw", "key = %s/match.p12", "unknown", "DECRYPTION_KEY_UNREADABLE",
          "needs a password" },
        { "corrupt", "key = %s/corrupt.p12\nkey_password_file = %s/pw", "unknown",
          "DECRYPTION_KEY_UNREADABLE", "is neither PKCS#12 nor PEM" },
        { "others", "key = %s/others.p12\nkey_password_file = %s/pw", "unknown",
          "DECRYPTION_KEY_UNREADABLE", "is readable by others" },
        { "missing", "key = %s/missing.p12", "unknown", "DECRYPTION_KEY_UNREADABLE",
          "No such file or directory" },
};
#define N_MAILBOXES (sizeof(mailboxes) / sizeof(mailboxes[0]))

static void make_pki(void)
{
        char *mkpki = tl_path(tl_srcdir(), "tests/mkpki");
        int r;

        /* multi: one RSA certificate for the mailboxes that differ only in
         * the key file; renewed-old has another key (mkpki's RSA keys are
         * fixed per size), the EC keys are made fresh. */
        r = tl_sh("set -e; M='%s'; D='%s'; E=@" DOM "\n"
                  "$M init $D\n"
                  "$M issue $D multi --usage enc --to 400 --email match$E --email pem$E "
                  "--email plain$E --email wrongpw$E --email pemwrong$E --email nopw$E "
                  "--email corrupt$E --email others$E --email missing$E --email bare$E --email cred$E\n"
                  "$M issue $D renewed-old --email renewed$E --usage enc --key rsa2048 "
                  "--from -700 --to -30\n"
                  "$M issue $D renewed --email renewed$E --usage enc --from -31 --to 700\n"
                  "$M issue $D ec --email ec$E --usage enc --key ec256 --to 400\n"
                  "$M issue $D ecold --email ecwrong$E --usage enc --key ec256 --to 100\n"
                  "$M issue $D ecnew --email ecwrong$E --usage enc --key ec256 --to 400\n"
                  "cd $D\n"
                  "p12() { openssl pkcs12 -export -inkey $1.key -in $1.pem -passout \"$3\" "
                  "-name \"$1\" -out $2; }\n"
                  "p12 multi match.p12 pass:" PW "\n"
                  "p12 multi plain.p12 pass:\n"
                  "p12 renewed-old renewed-old.p12 pass:" PW "\n"
                  "p12 ec ec.p12 pass:" PW "\n"
                  "p12 ecold ecold.p12 pass:" PW "\n"
                  "openssl pkey -in multi.key -aes256 -passout pass:" PW " -out pem.key\n"
                  "cat multi.pem >> pem.key\n"
                  "cp renewed-old.key bare.key\n"
                  "head -c 700 match.p12 > corrupt.p12\n"
                  "cp match.p12 others.p12\n"
                  "printf '%%s\\n' '" PW "' > pw\n"
                  "printf '%%s\\n' '" WRONG "' > wrong\n"
                  "chmod 0600 *.p12 pem.key bare.key pw wrong\n"
                  "chmod 0644 others.p12\n",
                  mkpki, pki);
        free(mkpki);
        ck_assert_msg(r == 0, "building the test PKI failed (%d)", r);
}

static char *serial_of(const char *name)
{
        char *out = tl_path(tmp, "serial"), *s;
        unsigned char *data;
        size_t len;

        ck_assert_int_eq(tl_sh("openssl x509 -in '%s/%s.pem' -noout -serial | cut -d= -f2 > '%s'",
                               pki, name, out), 0);
        ck_assert_int_eq(util_read_file(out, 4096, &data, &len), 0);
        s = (char *)data;
        s[strcspn(s, "\n")] = 0;
        free(out);
        return s;
}

static void ldif_entry(FILE *f, const char *local, const char *cert)
{
        char *der = NULL, *mail = NULL;

        ck_assert_int_ge(asprintf(&der, "%s/%s.der", pki, cert), 0);
        ck_assert_int_ge(asprintf(&mail, "%s@" DOM, local), 0);
        tl_ldif_mailbox(f, local, "ou=mail," SUFFIX, mail, der);
        free(der);
        free(mail);
}

static void setup(void)
{
        char *ldif, *d;
        FILE *f;

        tmp = tl_mkdtemp();
        pki = tl_path(tmp, "pki");
        make_pki();
        old_serial = serial_of("renewed-old");
        ldif = tl_path(tmp, "directory.ldif");
        f = fopen(ldif, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "dn: ou=mail," SUFFIX "\nobjectClass: organizationalUnit\nou: mail\n\n");
        for (size_t i = 0; i < N_MAILBOXES; i++) {
                const char *l = mailboxes[i].local;

                ldif_entry(f, l, strcmp(l, "renewed") == 0 ? "renewed"
                               : strcmp(l, "ec") == 0 ? "ec"
                               : strcmp(l, "ecwrong") == 0 ? "ecnew" : "multi");
        }
        ldif_entry(f, "cred", "multi");
        ck_assert_int_eq(fclose(f), 0);
        d = tl_path(tmp, "slapd");
        tl_slapd_start(&srv, d, SUFFIX, ldif, NULL, NULL);
        free(d);
        free(ldif);
}

static void teardown(void)
{
        tl_slapd_stop(&srv);
        tl_rm_rf(tmp);
        free(tmp);
        free(pki);
        free(old_serial);
}

/* The configuration: every mailbox above (or only extra), in tmp/name. */
static char *config(const char *name, const char *service, bool all, const char *extra)
{
        char *path = tl_path(tmp, name);
        FILE *f = fopen(path, "w");

        ck_assert_ptr_nonnull(f);
        fprintf(f, "[service]\ninterval = 1h\n%s\n[pki]\ntrust_anchors = %s/anchors.pem\n"
                "intermediates = %s/intermediates.pem\ncrls = %s/crls\n\n[directory]\nuri = %s\n"
                "base = ou=mail," SUFFIX "\ntimeout = 5s\n\n[policy]\nrequire = encryption\n\n",
                service ? service : "", pki, pki, pki, srv.ldap_url);
        for (size_t i = 0; all && i < N_MAILBOXES; i++) {
                char *section = NULL;

                /* The sections' only %s is the PKI directory. */
                ck_assert_int_ge(asprintf(&section, "%s", mailboxes[i].section), 0);
                fprintf(f, "[mailbox %s@" DOM "]\n", mailboxes[i].local);
                for (char *p = section, *q; *p; p = q) {
                        q = strstr(p, "%s");
                        if (!q) {
                                fputs(p, f);
                                break;
                        }
                        fprintf(f, "%.*s%s", (int)(q - p), p, pki);
                        q += 2;
                }
                fprintf(f, "\n\n");
                free(section);
        }
        if (extra)
                fprintf(f, "%s", extra);
        ck_assert_int_eq(fclose(f), 0);
        return path;
}

static json_t *find_mailbox(json_t *doc, const char *address)
{
        size_t i;
        json_t *m;

        json_array_foreach(json_object_get(doc, "mailboxes"), i, m)
                if (strcmp(json_string_value(json_object_get(m, "address")), address) == 0)
                        return m;
        ck_abort_msg("mailbox %s missing from the JSON", address);
        return NULL;
}

/* The problem with this code, NULL when there is none. */
static json_t *find_problem(json_t *m, const char *code)
{
        size_t i;
        json_t *p;

        json_array_foreach(json_object_get(m, "problems"), i, p)
                if (strcmp(json_string_value(json_object_get(p, "code")), code) == 0)
                        return p;
        return NULL;
}

static bool has_decryption_problem(json_t *m)
{
        return find_problem(m, "DECRYPTION_KEY_MISMATCH") || find_problem(m, "DECRYPTION_KEY_UNREADABLE");
}

START_TEST(every_key_file)
{
        char *conf = config("all.conf", NULL, true, NULL);
        const char *args[] = { "--verify", "--json", "-c", conf, NULL };
        struct tl_run r;
        json_t *doc;

        tl_smimewatch(&r, args);
        ck_assert_msg(r.status == 2, "exit %d, stderr: %s", r.status, r.err);
        ck_assert_msg(!strstr(r.out, PW) && !strstr(r.err, PW) && !strstr(r.out, WRONG) &&
                      !strstr(r.err, WRONG), "a password is in the output");
        doc = tl_json(&r);
        for (size_t i = 0; i < N_MAILBOXES; i++) {
                const struct mbx *e = &mailboxes[i];
                char address[128];
                json_t *m, *p;

                snprintf(address, sizeof(address), "%s@" DOM, e->local);
                m = find_mailbox(doc, address);
                ck_assert_msg(strcmp(json_string_value(json_object_get(m, "status")), e->status) == 0,
                              "%s: status %s, want %s: %s", address,
                              json_string_value(json_object_get(m, "status")), e->status, r.out);
                if (!e->code) {
                        ck_assert_msg(!has_decryption_problem(m), "%s: unexpected problem", address);
                        continue;
                }
                p = find_problem(m, e->code);
                ck_assert_msg(p, "%s: no %s in %s", address, e->code, r.out);
                ck_assert_str_eq(json_string_value(json_object_get(p, "level")), e->status);
                ck_assert_str_eq(json_string_value(json_object_get(p, "usage")), "encryption");
                ck_assert_msg(strstr(json_string_value(json_object_get(p, "message")), e->says),
                              "%s: message '%s' lacks '%s'", address,
                              json_string_value(json_object_get(p, "message")), e->says);
                /* An unreadable key is never also a mismatch. */
                if (strcmp(e->code, "DECRYPTION_KEY_UNREADABLE") == 0)
                        ck_assert(!find_problem(m, "DECRYPTION_KEY_MISMATCH"));
        }
        /* The mismatch names the certificate the held key belongs to. */
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                find_problem(find_mailbox(doc, "renewed@" DOM), "DECRYPTION_KEY_MISMATCH"),
                "message")), old_serial));
        json_decref(doc);
        tl_run_free(&r);
        free(conf);
}
END_TEST

/* The password as systemd hands it over: $CREDENTIALS_DIRECTORY/key-password-ADDRESS. */
START_TEST(password_from_credential)
{
        char *creds = tl_path(tmp, "creds"), *conf;
        const char *env[] = { NULL, NULL };
        char *envvar = NULL;
        struct tl_run r;
        json_t *doc, *m, *p;
        const char *argv[] = { getenv("SMIMEWATCH_BIN"), "--verify", "--json", "-c", NULL, NULL };

        ck_assert_int_eq(tl_sh("mkdir -p '%s' && printf '%%s\\n' '" PW "' > '%s/key-password-cred@"
                               DOM "' && chmod 0400 '%s/key-password-cred@" DOM "'",
                               creds, creds, creds), 0);
        ck_assert_int_ge(asprintf(&envvar, "CREDENTIALS_DIRECTORY=%s", creds), 0);
        env[0] = envvar;
        conf = config("cred.conf", NULL, false, NULL);
        ck_assert_int_eq(tl_sh("printf '[mailbox cred@" DOM "]\\nkey = %s/match.p12\\n\\n"
                               "[mailbox nopw@" DOM "]\\nkey = %s/match.p12\\n' >> '%s'",
                               pki, pki, conf), 0);
        argv[4] = conf;
        tl_run_argv(&r, argv, env, 60);
        ck_assert_msg(r.status == 3, "exit %d: %s %s", r.status, r.out, r.err);
        ck_assert(!strstr(r.out, PW) && !strstr(r.err, PW));
        doc = tl_json(&r);
        m = find_mailbox(doc, "cred@" DOM);
        ck_assert_str_eq(json_string_value(json_object_get(m, "status")), "ok");
        ck_assert(!has_decryption_problem(m));
        /* Another mailbox's credential is not this one's. */
        p = find_problem(find_mailbox(doc, "nopw@" DOM), "DECRYPTION_KEY_UNREADABLE");
        ck_assert_ptr_nonnull(p);
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(p, "message")),
                                     "key-password-ADDRESS"));
        json_decref(doc);
        tl_run_free(&r);

        /* A wrong password in the credential says where it came from. */
        ck_assert_int_eq(tl_sh("chmod 0600 '%s/key-password-cred@" DOM "' && printf '%%s\\n' '"
                               WRONG "' > '%s/key-password-cred@" DOM "'", creds, creds), 0);
        tl_run_argv(&r, argv, env, 60);
        ck_assert(!strstr(r.out, WRONG) && !strstr(r.err, WRONG));
        doc = tl_json(&r);
        p = find_problem(find_mailbox(doc, "cred@" DOM), "DECRYPTION_KEY_UNREADABLE");
        ck_assert_ptr_nonnull(p);
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(p, "message")),
                                     "credential key-password-cred@" DOM));
        json_decref(doc);
        tl_run_free(&r);
        free(envvar);
        free(creds);
        free(conf);
}
END_TEST

START_TEST(password_file_without_key)
{
        char *conf = config("nokey.conf", NULL, false,
                            "[mailbox x@" DOM "]\nkey_password_file = /etc/hostname\n");
        const char *args[] = { "--check-config", "-c", conf, NULL };
        struct tl_run r;

        tl_smimewatch(&r, args);
        ck_assert_int_eq(r.status, 78);
        ck_assert_ptr_nonnull(strstr(r.err, "key_password_file is set but key is not"));
        tl_run_free(&r);
        free(conf);
}
END_TEST

/* The certificate read from the local file is CERT_UNPARSABLE. */
static bool file_unparsable(json_t *m)
{
        size_t i;
        json_t *c;

        json_array_foreach(json_object_get(m, "certificates"), i, c)
                if (strcmp(json_string_value(json_object_get(c, "source")), "file") == 0)
                        return find_problem(c, "CERT_UNPARSABLE") != NULL;
        return false;
}

/* The key file, its password file and a [mailbox] certificates file, each
 * as every kind of bad file: each run of --verify ends at once (a FIFO
 * must not block) with the documented outcome, and the message names the
 * file and why. A key or password file that cannot be used is
 * DECRYPTION_KEY_UNREADABLE (unknown, exit 3). A certificates file that
 * cannot be read at a check is a CERT_UNPARSABLE certificate of the mailbox
 * (beside the directory's usable one here: STALE_CERT_PUBLISHED, a warning,
 * exit 1, naming the file); one that is no regular file refuses the
 * configuration (exit 78, FILE:LINE). A file
 * root cannot read is read as nobody; /proc/self/environ stands for a file
 * that changes while it is read (its size says 0, then it has bytes; and
 * others cannot read it, as a key file must be). */
START_TEST(bad_files)
{
        enum { KEY, PASSWORD, CERTIFICATES, ROLES };
        static const char *const role_names[ROLES] = { "key", "key_password_file",
                                                       "certificates" };
        static const struct {
                const char *name;               /* in tmp/bad, or an absolute path */
                const char *why[ROLES];         /* in the message; NULL: not this role */
                int certificates;               /* exit as certificates: 1 or 78 */
        } kinds[] = {
                { "empty", { "is neither PKCS#12 nor PEM", "the first line is empty",
                             "empty value" }, 1 },
                { "binary", { "is neither PKCS#12 nor PEM", "the first line contains a NUL byte",
                              "the value is not a certificate" }, 1 },
                { "dir", { "is not a regular file", "is not a regular file",
                           "is not a regular file" }, 78 },
                { "fifo", { "is not a regular file", "is not a regular file",
                            "is not a regular file" }, 78 },
                { "loop", { "Too many levels of symbolic links", "Too many levels of symbolic links",
                            "Too many levels of symbolic links" }, 78 },
                { "unreadable", { "Permission denied", "Permission denied",
                                  "Permission denied" }, 1 },
                { "big", { "larger than 1 MiB", "the first line is too long",
                           "larger than 10 MiB" }, 1 },
                /* A password is only its first line, read to SECRET_MAX. */
                { "/proc/self/environ", { "it changed while it was read", NULL,
                                          "it changed while it was read" }, 1 },
        };
        static const char *const locals[ROLES] = { "plain", "match", "plain" };
        const char *bin = getenv("SMIMEWATCH_BIN");
        char *dir = tl_path(tmp, "bad");

        /* nobody must reach the PKI and the configurations; the key files
         * themselves stay 0600. */
        ck_assert_int_eq(tl_sh("set -e; D='%s'; mkdir -p $D; chmod 755 '%s' '%s' $D; "
                               "chmod -R a+rX '%s'/crls '%s'/anchors.pem '%s'/intermediates.pem; "
                               ": > $D/empty; printf 'a\\0b\\n\\377\\376\\n' > $D/binary; mkdir $D/dir; "
                               "mkfifo $D/fifo; ln -s loop2 $D/loop; ln -s loop $D/loop2; "
                               "echo secret > $D/unreadable; truncate -s 11M $D/big; "
                               "chmod 600 $D/empty $D/binary $D/fifo $D/unreadable $D/big",
                               dir, tmp, pki, pki, pki, pki), 0);
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                char *f = kinds[i].name[0] == '/' ? strdup(kinds[i].name)
                                                  : tl_path(dir, kinds[i].name);
                bool as_nobody = strcmp(kinds[i].name, "unreadable") == 0;

                for (int k = 0; k < ROLES; k++) {
                        const char *argv[12] = { "setpriv", "--reuid=65534", "--regid=65534",
                                                 "--clear-groups", bin, "--verify", "--json",
                                                 "-c", NULL, NULL };
                        const char *const *run = as_nobody ? argv : argv + 4;
                        int want = k == CERTIFICATES ? kinds[i].certificates : 3;
                        char extra[3 * PATH_MAX], address[64], *conf;
                        long long t0;
                        struct tl_run r;

                        if (!kinds[i].why[k])
                                continue;
                        snprintf(address, sizeof(address), "%s@" DOM, locals[k]);
                        snprintf(extra, sizeof(extra), "[mailbox %s]\n%s = %s\n%s%s%s\n", address,
                                 role_names[k], f, k == PASSWORD ? "key = " : "",
                                 k == PASSWORD ? pki : "", k == PASSWORD ? "/match.p12" : "");
                        conf = config("bad.conf", NULL, false, extra);
                        ck_assert_int_eq(chmod(conf, 0644), 0);
                        argv[8] = conf;
                        t0 = time(NULL);
                        tl_run_argv(&r, run, NULL, 30);
                        ck_assert_msg(time(NULL) - t0 < 20, "%s as %s: %lld s", kinds[i].name,
                                      role_names[k], (long long)(time(NULL) - t0));
                        ck_assert_msg(r.status == want, "%s as %s: exit %d, want %d\n%s%s",
                                      kinds[i].name, role_names[k], r.status, want, r.out, r.err);
                        if (want == 78) {
                                /* the line of certificates = in bad.conf */
                                ck_assert_msg(strstr(r.err, "bad.conf:") && strstr(r.err, f) &&
                                              strstr(r.err, kinds[i].why[k]), "%s as %s: %s",
                                              kinds[i].name, role_names[k], r.err);
                        } else {
                                json_t *doc = tl_json(&r), *p = NULL, *m = find_mailbox(doc, address);
                                const char *msg = NULL;
                                size_t j;

                                json_array_foreach(json_object_get(m, "problems"), j, p) {
                                        msg = json_string_value(json_object_get(p, "message"));
                                        if (strstr(msg, f) && strstr(msg, kinds[i].why[k]))
                                                break;
                                }
                                ck_assert_msg(j < json_array_size(json_object_get(m, "problems")),
                                              "%s as %s: no problem names the file and says '%s': %s",
                                              kinds[i].name, role_names[k], kinds[i].why[k], r.out);
                                ck_assert_str_eq(json_string_value(json_object_get(p, "code")),
                                                 k == CERTIFICATES ? "STALE_CERT_PUBLISHED"
                                                                   : "DECRYPTION_KEY_UNREADABLE");
                                if (k == CERTIFICATES)
                                        ck_assert_msg(file_unparsable(m), "%s: %s", kinds[i].name,
                                                      r.out);
                                json_decref(doc);
                        }
                        tl_run_free(&r);
                        free(conf);
                }
                free(f);
        }
        tl_rm_rf(dir);
        free(dir);
}
END_TEST

/* The service: the same verdicts as journal entries, with their
 * MESSAGE_IDs, and no password anywhere in the journal. */
START_TEST(service_journal)
{
        char *conf = config("service.conf", NULL, true, NULL), *err = tl_path(tmp, "service.err");
        char pidm[32], *all;
        const char *m_mis[] = { "SYSLOG_IDENTIFIER=smimewatch", pidm,
                                "MESSAGE_ID=" MSGID_DECRYPTION_KEY_MISMATCH, NULL };
        const char *m_unr[] = { "SYSLOG_IDENTIFIER=smimewatch", pidm,
                                "MESSAGE_ID=" MSGID_DECRYPTION_KEY_UNREADABLE, NULL };
        json_t *l;
        pid_t pid;

        jr_require_namespace();
        pid = jr_service_start(conf, tmp);
        snprintf(pidm, sizeof(pidm), "_PID=%d", (int)pid);
        jr_service_one_check(pid);

        l = jr_entries(m_mis);
        ck_assert_uint_eq(json_array_size(l), 3);       /* renewed, ecwrong, bare */
        for (size_t i = 0; i < json_array_size(l); i++) {
                json_t *e = json_array_get(l, i);

                ck_assert_str_eq(jr_field(e, "SMIMEWATCH_PROBLEM"), "DECRYPTION_KEY_MISMATCH");
                ck_assert_str_eq(jr_field(e, "PRIORITY"), "3");
                ck_assert_str_eq(jr_field(e, "SMIMEWATCH_USAGE"), "encryption");
                ck_assert_ptr_nonnull(jr_field(e, "SMIMEWATCH_CERT_SHA256"));
        }
        json_decref(l);
        l = jr_entries(m_unr);
        ck_assert_uint_eq(json_array_size(l), 6);
        for (size_t i = 0; i < json_array_size(l); i++)
                ck_assert_str_eq(jr_field(json_array_get(l, i), "SMIMEWATCH_STATUS"), "unknown");
        json_decref(l);

        /* Every entry of the journal, every field. */
        l = jr_entries(NULL);
        all = json_dumps(l, 0);
        ck_assert_ptr_nonnull(all);
        ck_assert_msg(!strstr(all, PW) && !strstr(all, WRONG), "a password is in the journal");
        free(all);
        json_decref(l);
        ck_assert_int_eq(tl_sh("! grep -q -e '" PW "' -e '" WRONG "' '%s'", err), 0);
        free(conf);
        free(err);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("decrypt");
        TCase *tc = tcase_create("decrypt");

        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, every_key_file);
        tcase_add_test(tc, password_from_credential);
        tcase_add_test(tc, password_file_without_key);
        tcase_add_test(tc, service_journal);
        tcase_add_test(tc, bad_files);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
