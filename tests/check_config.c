/* SPDX-License-Identifier: EUPL-1.2 */
/* The configuration module: every key, every default and every error
 * message with its FILE:LINE, on files written into a fresh directory. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "directory.h"
#include "load.h"
#include "problem.h"
#include "testlib.h"
#include "util.h"

/* The directory of each test, with the files a configuration refers to. */
static char *dir;

static void touch(const char *name)
{
        free(tl_write(dir, name, "x\n"));
}

static void setup(void)
{
        char *p;

        unsetenv("CREDENTIALS_DIRECTORY");
        dir = tl_mkdtemp();
        touch("ta.pem");
        touch("im.pem");
        touch("crl1.pem");
        touch("ca.pem");
        touch("cert.pem");
        p = tl_path(dir, "crls");
        ck_assert_int_eq(mkdir(p, 0755), 0);
        free(p);
        p = tl_write(dir, "pw", "s3cret\nsecond line\n");
        ck_assert_int_eq(chmod(p, 0600), 0);
        free(p);
}

static void teardown(void)
{
        tl_rm_rf(dir);
        free(dir);
}

/* s with every "@D" replaced by the test directory and "@F" by the
 * configuration file. */
static char *subst(const char *s)
{
        char *out = NULL, *conf = tl_path(dir, "smimewatch.conf");
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        ck_assert_ptr_nonnull(f);
        for (; *s; s++) {
                if (s[0] == '@' && (s[1] == 'D' || s[1] == 'F')) {
                        fputs(s[1] == 'D' ? dir : conf, f);
                        s++;
                } else {
                        fputc(*s, f);
                }
        }
        fclose(f);
        free(conf);
        return out;
}

/* Writes text (with @D expanded) as the configuration and loads it. */
static int load(const char *text, enum cfg_need need, struct cfg **c, char **errors)
{
        char *t = subst(text), *conf = tl_write(dir, "smimewatch.conf", "%s", t);
        int r;

        *c = NULL;
        r = load_settings(conf, need, c, errors);
        free(conf);
        free(t);
        return r;
}

static struct cfg *load_ok(const char *text, enum cfg_need need)
{
        struct cfg *c;
        char *errors;
        int r = load(text, need, &c, &errors);

        ck_assert_msg(r == 0, "load_settings: %d: %s", r, errors ? errors : "(no message)");
        ck_assert_ptr_null(errors);
        ck_assert_ptr_nonnull(c);
        return c;
}

/* The load must fail with exactly these messages (@F, @D expanded). */
static void load_fails(const char *text, enum cfg_need need, const char *expected)
{
        char *want = subst(expected), *errors = NULL;
        struct cfg *c;
        int r = load(text, need, &c, &errors);

        ck_assert_int_eq(r, -EINVAL);
        ck_assert_ptr_null(c);
        ck_assert_ptr_nonnull(errors);
        ck_assert_str_eq(errors, want);
        free(errors);
        free(want);
}

#define PKI_OK "[pki]\ntrust_anchors = ta.pem\n"

START_TEST(every_key)
{
        struct cfg *c;
        char *p;

        p = tl_write(dir, "mailboxes.txt", "list@lra.example\n");
        free(p);
        c = load_ok("[service]\n"
                    "interval = 15m\n"
                    "warn_days = 40\n"
                    "critical_days = 10\n"
                    "realert = 2d\n"
                    "mailbox_list = mailboxes.txt\n"
                    "metrics_file = textfile/smimewatch.prom\n"
                    "[pki]\n"
                    "trust_anchors = @D/ta.pem\n"
                    "intermediates = im.pem\n"
                    "crls = crl1.pem, crls\n"
                    "revocation = off\n"
                    "require_policy = 1.3.6.1.4.1.99.1, 2.5.29.32.0\n"
                    "min_rsa_bits = 4096\n"
                    "min_ec_bits = 384\n"
                    "[directory]\n"
                    "uri = ldap://a.example:1389 ldaps://b.example ldapi://%2Frun%2Fslapd\n"
                    "base = o=Example,c=DE\n"
                    "scope = one\n"
                    "filter = (&(objectClass=person)(mail=%s))\n"
                    "bind_dn = cn=smimewatch,o=Example,c=DE\n"
                    "password_file = pw\n"
                    "starttls = yes\n"
                    "tls_ca_file = ca.pem\n"
                    "timeout = 30s\n"
                    "[policy]\n"
                    "require = encryption\n"
                    "[mailbox poststelle@lra.example]\n"
                    "certificates = cert.pem\n"
                    "warn_days = 60\n"
                    "critical_days = 20\n",
                    CFG_NEED_DIRECTORY);
        ck_assert_uint_eq(c->service.interval_usec, 900 * USEC_PER_SEC);
        ck_assert_int_eq(c->service.warn_days, 40);
        ck_assert_int_eq(c->service.critical_days, 10);
        ck_assert_uint_eq(c->service.realert_usec, 2 * 86400 * USEC_PER_SEC);
        p = subst("@D/mailboxes.txt");
        ck_assert_str_eq(c->service.mailbox_list, p);
        free(p);
        /* its directory need not exist yet */
        p = subst("@D/textfile/smimewatch.prom");
        ck_assert_str_eq(c->service.metrics_file, p);
        free(p);
        p = subst("@D/ta.pem");
        ck_assert_str_eq(c->pki.trust_anchors, p);
        free(p);
        p = subst("@D/im.pem");
        ck_assert_str_eq(c->pki.intermediates, p);
        free(p);
        ck_assert_uint_eq(c->pki.n_crls, 2);
        p = subst("@D/crl1.pem");
        ck_assert_str_eq(c->pki.crls[0], p);
        free(p);
        p = subst("@D/crls");
        ck_assert_str_eq(c->pki.crls[1], p);
        free(p);
        ck_assert(!c->pki.revocation);
        ck_assert_uint_eq(c->pki.n_require_policy, 2);
        ck_assert_str_eq(c->pki.require_policy[0], "1.3.6.1.4.1.99.1");
        ck_assert_str_eq(c->pki.require_policy[1], "2.5.29.32.0");
        ck_assert_uint_eq(c->pki.min_rsa_bits, 4096);
        ck_assert_uint_eq(c->pki.min_ec_bits, 384);
        ck_assert(c->directory.configured);
        ck_assert_uint_eq(c->directory.n_uris, 3);
        ck_assert_str_eq(c->directory.uris[0], "ldap://a.example:1389");
        ck_assert_str_eq(c->directory.uris[1], "ldaps://b.example");
        ck_assert_str_eq(c->directory.uris[2], "ldapi://%2Frun%2Fslapd");
        ck_assert_str_eq(c->directory.base, "o=Example,c=DE");
        ck_assert_int_eq(c->directory.scope, CFG_SCOPE_ONE);
        ck_assert_str_eq(c->directory.filter, "(&(objectClass=person)(mail=%s))");
        ck_assert_str_eq(c->directory.bind_dn, "cn=smimewatch,o=Example,c=DE");
        p = subst("@D/pw");
        ck_assert_str_eq(c->directory.password_file, p);
        free(p);
        ck_assert(c->directory.starttls);
        p = subst("@D/ca.pem");
        ck_assert_str_eq(c->directory.tls_ca_file, p);
        free(p);
        ck_assert_uint_eq(c->directory.timeout_usec, 30 * USEC_PER_SEC);
        ck_assert_uint_eq(c->require_usages, USAGE_ENCRYPTION);
        ck_assert_uint_eq(c->n_mailboxes, 2);
        ck_assert_str_eq(c->mailboxes[0].address, "poststelle@lra.example");
        p = subst("@D/cert.pem");
        ck_assert_str_eq(c->mailboxes[0].certificates, p);
        free(p);
        ck_assert_int_eq(c->mailboxes[0].warn_days, 60);
        ck_assert_int_eq(c->mailboxes[0].critical_days, 20);
        p = subst("@F:28");
        ck_assert_str_eq(c->mailboxes[0].origin, p);
        free(p);
        ck_assert_str_eq(c->mailboxes[1].address, "list@lra.example");
        ck_assert_ptr_null(c->mailboxes[1].certificates);
        ck_assert_int_eq(c->mailboxes[1].warn_days, 40);
        ck_assert_int_eq(c->mailboxes[1].critical_days, 10);
        p = subst("@D/mailboxes.txt:1");
        ck_assert_str_eq(c->mailboxes[1].origin, p);
        free(p);
        cfg_free(c);
}
END_TEST

START_TEST(defaults)
{
        struct cfg *c = load_ok(PKI_OK, CFG_NEED_PKI);
        char *p = subst("@F");

        ck_assert_str_eq(c->path, p);
        free(p);
        ck_assert_uint_eq(c->service.interval_usec, 6 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(c->service.warn_days, 30);
        ck_assert_int_eq(c->service.critical_days, 7);
        ck_assert_uint_eq(c->service.realert_usec, 24 * 3600 * USEC_PER_SEC);
        ck_assert_ptr_null(c->service.mailbox_list);
        ck_assert_ptr_null(c->service.metrics_file);
        ck_assert_ptr_null(c->pki.intermediates);
        ck_assert_uint_eq(c->pki.n_crls, 0);
        ck_assert(c->pki.revocation);
        ck_assert_uint_eq(c->pki.n_require_policy, 0);
        ck_assert_uint_eq(c->pki.min_rsa_bits, 3000);
        ck_assert_uint_eq(c->pki.min_ec_bits, 256);
        ck_assert(!c->directory.configured);
        ck_assert_uint_eq(c->directory.n_uris, 0);
        ck_assert_ptr_null(c->directory.base);
        ck_assert_int_eq(c->directory.scope, CFG_SCOPE_SUB);
        ck_assert_str_eq(c->directory.filter, "(mail=%s)");
        ck_assert_ptr_null(c->directory.bind_dn);
        ck_assert_ptr_null(c->directory.password_file);
        ck_assert(!c->directory.starttls);
        ck_assert_ptr_null(c->directory.tls_ca_file);
        ck_assert_uint_eq(c->directory.timeout_usec, 10 * USEC_PER_SEC);
        ck_assert_uint_eq(c->require_usages, USAGE_ALL);
        ck_assert_uint_eq(c->n_mailboxes, 0);
        cfg_free(c);

        /* Empty values leave the defaults; booleans and words ignore case. */
        c = load_ok("[service]\ninterval =\nmailbox_list =\n" PKI_OK "intermediates =\n"
                    "[directory]\nuri = ldaps://d.example\nbase = o=X\nfilter =\nbind_dn =\n"
                    "starttls = On\nscope = BASE\n[policy]\nrequire =\n",
                    CFG_NEED_DIRECTORY);
        ck_assert_uint_eq(c->service.interval_usec, 6 * 3600 * USEC_PER_SEC);
        ck_assert_ptr_null(c->service.mailbox_list);
        ck_assert_ptr_null(c->pki.intermediates);
        ck_assert_str_eq(c->directory.filter, "(mail=%s)");
        ck_assert_ptr_null(c->directory.bind_dn);
        ck_assert(c->directory.starttls);
        ck_assert_int_eq(c->directory.scope, CFG_SCOPE_BASE);
        ck_assert_uint_eq(c->require_usages, USAGE_ALL);
        cfg_free(c);
}
END_TEST

START_TEST(booleans_and_words)
{
        static const char *const yes[] = { "yes", "true", "on", "1", "YES" };
        static const char *const no[] = { "no", "false", "off", "0", "No" };
        char text[200];

        for (size_t i = 0; i < 5; i++) {
                for (int v = 0; v < 2; v++) {
                        struct cfg *c;

                        snprintf(text, sizeof(text), PKI_OK "[directory]\nstarttls = %s\n",
                                 v ? yes[i] : no[i]);
                        c = load_ok(text, CFG_NEED_PKI);
                        ck_assert_int_eq(c->directory.starttls, v);
                        cfg_free(c);
                }
        }
        struct cfg *c = load_ok(PKI_OK "revocation = CRL\n[policy]\nrequire = signature encryption\n",
                                CFG_NEED_PKI);
        ck_assert(c->pki.revocation);
        ck_assert_uint_eq(c->require_usages, USAGE_ALL);
        /* The defaults of the revocation keys. */
        ck_assert_int_eq(c->pki.revocation, CFG_REV_CRL);
        ck_assert_uint_eq(c->pki.n_sources, 2);
        ck_assert_int_eq(c->pki.sources[0], CFG_SRC_FILES);
        ck_assert_int_eq(c->pki.sources[1], CFG_SRC_CRL_DP);
        ck_assert_ptr_null(c->pki.http_proxy);
        ck_assert_uint_eq(c->pki.fetch_timeout_usec, 10 * USEC_PER_SEC);
        ck_assert_uint_eq(c->pki.crl_refresh_usec, 3600 * USEC_PER_SEC);
        cfg_free(c);
        c = load_ok(PKI_OK "revocation = ocsp-then-crl\nrevocation_sources = crl-directory, crl-dp\n"
                    "http_proxy = http://proxy.example:3128\nfetch_timeout = 3s\ncrl_refresh = 15m\n",
                    CFG_NEED_PKI);
        ck_assert_int_eq(c->pki.revocation, CFG_REV_OCSP_THEN_CRL);
        ck_assert_uint_eq(c->pki.n_sources, 2);
        ck_assert_int_eq(c->pki.sources[0], CFG_SRC_CRL_DIRECTORY);
        ck_assert_int_eq(c->pki.sources[1], CFG_SRC_CRL_DP);
        ck_assert_str_eq(c->pki.http_proxy, "http://proxy.example:3128");
        ck_assert_uint_eq(c->pki.fetch_timeout_usec, 3 * USEC_PER_SEC);
        ck_assert_uint_eq(c->pki.crl_refresh_usec, 900 * USEC_PER_SEC);
        cfg_free(c);
}
END_TEST

/* One bad line each: the exact message with its line. */
static const struct {
        const char *text;
        const char *error;
} bad[] = {
        /* [service] */
        { "[service]\ninterval = 5s\n" PKI_OK,
          "@F:2: [service] interval '5s': must be between 10s and 7d" },
        { "[service]\ninterval = 8d\n" PKI_OK,
          "@F:2: [service] interval '8d': must be between 10s and 7d" },
        { "[service]\ninterval = 1w\n" PKI_OK,
          "@F:2: [service] interval '1w': not a duration (a number with s, m, h or d)" },
        { "[service]\nrealert = 9\n" PKI_OK,
          "@F:2: [service] realert '9': must be between 10s and 30d" },
        { "[service]\nwarn_days = -1\n" PKI_OK,
          "@F:2: [service] warn_days '-1': must be between 0 and 3650" },
        { "[service]\nwarn_days = 3651\n" PKI_OK,
          "@F:2: [service] warn_days '3651': must be between 0 and 3650" },
        { "[service]\ncritical_days = seven\n" PKI_OK,
          "@F:2: [service] critical_days 'seven': not a whole number" },
        { "[service]\ncritical_days = 8\nwarn_days = 7\n" PKI_OK,
          "@F:2: [service] critical_days (8) must not exceed warn_days (7)" },
        { "[service]\nwarn_days = 5\n" PKI_OK,
          "@F:2: [service] critical_days (7) must not exceed warn_days (5)" },
        { "[service]\nmailbox_list = nolist.txt\n" PKI_OK,
          "@F:2: [service] mailbox_list: cannot read @D/nolist.txt: No such file or directory" },
        { "[service]\nmailbox_list = crls\n" PKI_OK,
          "@F:2: [service] mailbox_list: cannot read @D/crls: Is a directory" },
        { "[service]\nmetrics_file = crls\n" PKI_OK,
          "@F:2: [service] metrics_file 'crls': exists and is not a regular file" },
        { "[service]\nmetrics_file = textfile/\n" PKI_OK,
          "@F:2: [service] metrics_file 'textfile/': names a directory, not a file" },
        /* [pki] */
        { "", "@F:1: section [pki] is missing (trust_anchors is required)" },
        { "[service]\n", "@F:1: section [pki] is missing (trust_anchors is required)" },
        { "\n[pki]\nintermediates = im.pem\n", "@F:2: [pki] trust_anchors is required" },
        { "[pki]\ntrust_anchors =\n", "@F:2: [pki] trust_anchors must not be empty" },
        { "[pki]\ntrust_anchors = none.pem\n",
          "@F:2: [pki] trust_anchors 'none.pem': cannot access @D/none.pem: No such file or directory" },
        { PKI_OK "intermediates = /nonexistent/im.pem\n",
          "@F:3: [pki] intermediates '/nonexistent/im.pem': cannot access /nonexistent/im.pem: "
          "No such file or directory" },
        { PKI_OK "crls = crl1.pem, nocrl.pem,crls\n",
          "@F:3: [pki] crls 'nocrl.pem': cannot access @D/nocrl.pem: No such file or directory" },
        { PKI_OK "crls = crl1.pem,,crls\n",
          "@F:3: [pki] crls 'crl1.pem,,crls': empty item in the comma-separated list" },
        { PKI_OK "revocation = crl-then-ocsp\n",
          "@F:3: [pki] revocation 'crl-then-ocsp': want crl, ocsp, ocsp-then-crl or off" },
        { PKI_OK "revocation_sources = crl-dp ocsp\n",
          "@F:3: [pki] revocation_sources 'ocsp': want files, crl-dp or crl-directory "
          "(OCSP is chosen with revocation = ocsp or ocsp-then-crl)" },
        { PKI_OK "revocation_sources = files crl-dp files\n",
          "@F:3: [pki] revocation_sources 'files': named twice" },
        { PKI_OK "http_proxy = proxy.example:3128\n",
          "@F:3: [pki] http_proxy 'proxy.example:3128': want http://HOST[:PORT]" },
        { PKI_OK "fetch_timeout = 0s\n",
          "@F:3: [pki] fetch_timeout '0s': must be between 1s and 5m" },
        { PKI_OK "crl_refresh = 5s\n",
          "@F:3: [pki] crl_refresh '5s': must be between 10s and 30d" },
        { PKI_OK "require_policy = 1.2.3, anyPolicy\n",
          "@F:3: [pki] require_policy 'anyPolicy': not a dotted OID such as 2.5.29.32.0" },
        { PKI_OK "require_policy = 1.2.3.\n",
          "@F:3: [pki] require_policy '1.2.3.': not a dotted OID such as 2.5.29.32.0" },
        { PKI_OK "require_policy = 1.02.3\n",
          "@F:3: [pki] require_policy '1.02.3': not a dotted OID such as 2.5.29.32.0" },
        { PKI_OK "require_policy = 1\n",
          "@F:3: [pki] require_policy '1': not a dotted OID such as 2.5.29.32.0" },
        { PKI_OK "min_rsa_bits = 1024\n",
          "@F:3: [pki] min_rsa_bits '1024': must be between 2048 and 16384" },
        { PKI_OK "min_ec_bits = 1000\n",
          "@F:3: [pki] min_ec_bits '1000': must be between 224 and 571" },
        /* [directory] */
        { PKI_OK "[directory]\nuri = http://d.example\n",
          "@F:4: [directory] uri 'http://d.example': unknown scheme" },
        { PKI_OK "[directory]\nuri = <ldap://d.example>\n",
          "@F:4: [directory] uri '<ldap://d.example>': the scheme must be ldap://, ldaps:// or ldapi://" },
        { PKI_OK "[directory]\nuri = ldaps://d.example ldap://\n",
          "@F:4: [directory] uri 'ldap://': a host is required" },
        { PKI_OK "[directory]\nuri = ldap://d.example:99999\n",
          "@F:4: [directory] uri 'ldap://d.example:99999': the port must be between 1 and 65535" },
        { PKI_OK "[directory]\nuri = ldap://d.example/o=X\n",
          "@F:4: [directory] uri 'ldap://d.example/o=X': no DN, attributes, filter or extensions "
          "here: use base and filter" },
        { PKI_OK "[directory]\nuri =\n", "@F:4: [directory] uri must not be empty" },
        { PKI_OK "[directory]\nbase = o=Ex,,c=DE\n",
          "@F:4: [directory] base 'o=Ex,,c=DE': not a distinguished name (RFC 4514, e.g. o=Example,c=DE)" },
        { PKI_OK "[directory]\nbind_dn = smimewatch\n",
          "@F:4: [directory] bind_dn 'smimewatch': not a distinguished name (RFC 4514, e.g. o=Example,c=DE)" },
        { PKI_OK "[directory]\nscope = subtree\n",
          "@F:4: [directory] scope 'subtree': want sub, one or base" },
        { PKI_OK "[directory]\nfilter = (mail=x)\n",
          "@F:4: [directory] filter '(mail=x)': must contain %s exactly once and no other %" },
        { PKI_OK "[directory]\nfilter = (|(mail=%s)(alias=%s))\n",
          "@F:4: [directory] filter '(|(mail=%s)(alias=%s))': must contain %s exactly once and no other %" },
        { PKI_OK "[directory]\nfilter = (mail=%s%%)\n",
          "@F:4: [directory] filter '(mail=%s%%)': must contain %s exactly once and no other %" },
        { PKI_OK "[directory]\nfilter = (mail=%d)\n",
          "@F:4: [directory] filter '(mail=%d)': must contain %s exactly once and no other %" },
        { PKI_OK "[directory]\nfilter = mail=%s\n",
          "@F:4: [directory] filter 'mail=%s': must be one filter in parentheses, e.g. (mail=%s)" },
        { PKI_OK "[directory]\nfilter = (mail=%s)(cn=x)\n",
          "@F:4: [directory] filter '(mail=%s)(cn=x)': must be one filter in parentheses, e.g. (mail=%s)" },
        { PKI_OK "[directory]\nfilter = ((mail=%s)\n",
          "@F:4: [directory] filter '((mail=%s)': must be one filter in parentheses, e.g. (mail=%s)" },
        { PKI_OK "[directory]\nstarttls = maybe\n",
          "@F:4: [directory] starttls 'maybe': want yes or no (true/false, on/off, 1/0)" },
        { PKI_OK "[directory]\ntls_ca_file = noca.pem\n",
          "@F:4: [directory] tls_ca_file 'noca.pem': cannot access @D/noca.pem: No such file or directory" },
        { PKI_OK "[directory]\ntls_ca_file = crls\n",
          "@F:4: [directory] tls_ca_file 'crls': @D/crls is not a regular file" },
        { PKI_OK "[directory]\ntimeout = 0\n",
          "@F:4: [directory] timeout '0': must be between 1s and 5m" },
        { PKI_OK "[directory]\ntimeout = 1h\n",
          "@F:4: [directory] timeout '1h': must be between 1s and 5m" },
        { PKI_OK "[directory]\npassword_file = pw\n",
          "@F:4: [directory] password_file is set but bind_dn is not" },
        /* [policy] */
        { PKI_OK "[policy]\nrequire = signature\n",
          "@F:4: [policy] require 'signature': must contain encryption (signature alone is not allowed)" },
        { PKI_OK "[policy]\nrequire = encryption authentication\n",
          "@F:4: [policy] require 'authentication': want encryption, optionally with signature" },
        /* [mailbox ADDRESS] */
        { PKI_OK "[mailbox]\n", "@F:3: section [mailbox] needs an address: [mailbox ADDRESS]" },
        { PKI_OK "[mailbox no-at.example]\nwarn_days = 1\n",
          "@F:3: malformed address 'no-at.example' in section header (want [mailbox ADDRESS])" },
        { PKI_OK "[mailbox  a@b.example]\n",
          "@F:3: malformed address ' a@b.example' in section header (want [mailbox ADDRESS])" },
        { PKI_OK "[mailbox a@b.example]\n[mailbox a@B.EXAMPLE]\nwarn_days = 1\n",
          "@F:4: duplicate section [mailbox a@B.EXAMPLE] (first on line 3)" },
        { PKI_OK "[mailbox a@b.example]\ncertificates = none.pem\n",
          "@F:4: [mailbox a@b.example] certificates 'none.pem': cannot access @D/none.pem: "
          "No such file or directory" },
        { PKI_OK "[mailbox a@b.example]\ncertificates = crls\n",
          "@F:4: [mailbox a@b.example] certificates 'crls': @D/crls is not a regular file" },
        { PKI_OK "[mailbox a@b.example]\nwarn_days = 4000\n",
          "@F:4: [mailbox a@b.example] warn_days '4000': must be between 0 and 3650" },
        { PKI_OK "[mailbox a@b.example]\ncritical_days = 31\n",
          "@F:4: [mailbox a@b.example] critical_days (31) must not exceed warn_days (30)" },
        { PKI_OK "[mailbox a@b.example]\nwarn_days = 3\n",
          "@F:4: [mailbox a@b.example] critical_days (7) must not exceed warn_days (3)" },
        { PKI_OK "[mailbox a@b.example]\ninterval = 1h\n",
          "@F:4: [mailbox a@b.example] unknown key 'interval'" },
        /* structure */
        { "interval = 1h\n" PKI_OK, "@F:1: key 'interval' outside of any section" },
        { PKI_OK "[Service]\ninterval = 1h\n", "@F:3: unknown section [Service]" },
        { PKI_OK "[ pki ]\n", "@F:3: unknown section [ pki ]" },
        { PKI_OK "colour = blue\n", "@F:3: [pki] unknown key 'colour'" },
        { PKI_OK "trust_anchors = ta.pem\n", "@F:3: [pki] trust_anchors set twice (first on line 2)" },
        { PKI_OK "[pki]\nmin_ec_bits = 384\n", "@F:3: duplicate section [pki] (first on line 1)" },
        { PKI_OK "min_ec_bits\n",
          "@F:3: malformed line (want KEY = VALUE, [SECTION] or a comment)" },
        { PKI_OK "min_ec_bits: 384\n",
          "@F:3: malformed line (want KEY = VALUE, [SECTION] or a comment)" },
        { PKI_OK "= 384\n", "@F:3: missing key name before '='" },
        { PKI_OK "[directory\nuri = ldap://x\n", "@F:3: malformed section header (want [SECTION])" },
        { PKI_OK "[directory] uri = ldap://x\n", "@F:3: malformed section header (want [SECTION])" },
        { PKI_OK "[]\n", "@F:3: malformed section header (want [SECTION])" },
        /* an indented line does not continue the previous value */
        { PKI_OK "[directory]\nuri = ldaps://a.example\n  ldaps://b.example\n",
          "@F:5: malformed line (want KEY = VALUE, [SECTION] or a comment)" },
};

START_TEST(bad_values)
{
        load_fails(bad[_i].text, CFG_NEED_PKI, bad[_i].error);
}
END_TEST

START_TEST(all_errors_reported)
{
        load_fails("# a file with many mistakes\n"
                   "[service]\n"
                   "interval = 1s\n"
                   "warn_days = 5\n"
                   "critical_days = 6\n"
                   "nonsense\n"
                   "[pki]\n"
                   "trust_anchors = missing.pem\n"
                   "min_rsa_bits = 512\n"
                   "min_rsa_bits = 4096\n"
                   "[directry]\n"
                   "uri = ldap://ignored.example\n"
                   "[directory]\n"
                   "scope = all\n"
                   "bind_dn = cn=reader,o=Example\n"
                   "password_file = pw\n"
                   "uri = ldap://d.example\n"
                   "[mailbox bad]\n"
                   "[mailbox ok@lra.example]\n"
                   "colour = red\n"
                   "warn_days 3\n"
                   "[broken\n"
                   "warn_days = 4\n",
                   CFG_NEED_DIRECTORY,
                   "@F:3: [service] interval '1s': must be between 10s and 7d\n"
                   "@F:6: malformed line (want KEY = VALUE, [SECTION] or a comment)\n"
                   "@F:8: [pki] trust_anchors 'missing.pem': cannot access @D/missing.pem: "
                   "No such file or directory\n"
                   "@F:9: [pki] min_rsa_bits '512': must be between 2048 and 16384\n"
                   "@F:10: [pki] min_rsa_bits set twice (first on line 9)\n"
                   "@F:11: unknown section [directry]\n"
                   "@F:14: [directory] scope 'all': want sub, one or base\n"
                   "@F:18: malformed address 'bad' in section header (want [mailbox ADDRESS])\n"
                   "@F:20: [mailbox ok@lra.example] unknown key 'colour'\n"
                   "@F:21: malformed line (want KEY = VALUE, [SECTION] or a comment)\n"
                   "@F:22: malformed section header (want [SECTION])\n"
                   "@F:5: [service] critical_days (6) must not exceed warn_days (5)\n"
                   "@F:13: [directory] base is required\n"
                   "@F:15: [directory] bind_dn is set and uri 'ldap://d.example' is not encrypted: "
                   "set starttls = yes or use ldaps:// so the password is not sent in clear");
}
END_TEST

/* A file (with the directories above it) whose absolute path is exactly
 * len bytes long; returns the path. */
static char *file_of_length(const char *tag, size_t len)
{
        char *p = NULL, *slash;
        size_t base = strlen(dir) + 1 + strlen(tag);

        ck_assert_uint_gt(len, base + 2);
        ck_assert_int_ge(asprintf(&p, "%s/%s%0*d", dir, tag, (int)(len - base), 0), 0);
        /* Components of at most 200 bytes: NAME_MAX is 255. */
        for (size_t i = strlen(dir) + 201; i < len - 1; i += 201)
                p[i] = '/';
        slash = strrchr(p, '/');
        *slash = 0;
        ck_assert_int_eq(tl_sh("mkdir -p '%s'", p), 0);
        *slash = '/';
        ck_assert_int_eq(tl_sh("echo x > '%s'", p), 0);
        ck_assert_uint_eq(strlen(p), len);
        return p;
}

START_TEST(long_lines)
{
        char *a = file_of_length("crl-a-", 70), *b = file_of_length("crl-b-", 70);
        char *d = file_of_length("crl-c-", 70), *deep = file_of_length("cert-", PATH_MAX - 1);
        char *text = NULL, *big = NULL, *want = NULL;
        const char *dn = "cn=smimewatch-reader,ou=Technische Dienstkonten,ou=Zentrale "
                         "Dienste,ou=IT-Dienstleistungszentrum des Freistaats Bayern,"
                         "o=Landesamt fuer Digitalisierung Breitband und Vermessung,l=Muenchen,"
                         "st=Bayern,c=DE";
        const char *uris = "ldaps://verzeichnis-eins.landratsamt-beispielstadt.example.bayern.de:636 "
                           "ldaps://verzeichnis-zwei.landratsamt-beispielstadt.example.bayern.de:636 "
                           "ldaps://verzeichnis-drei.landratsamt-beispielstadt.example.bayern.de:636";
        struct cfg *c;
        size_t n;

        /* The lines of issue 11, each well over inih's 199 characters. */
        ck_assert_int_ge(asprintf(&text, PKI_OK "crls = %s, %s, %s\n[directory]\nuri = %s\n"
                                  "base = o=X\nbind_dn = %s\npassword_file = pw\n"
                                  "[mailbox a@b.example]\ncertificates = %s\n",
                                  a, b, d, uris, dn, deep), 0);
        ck_assert_uint_gt(strlen("crls = , , ") + 3 * 70, 199);
        ck_assert_uint_gt(strlen(dn), 199);
        c = load_ok(text, CFG_NEED_DIRECTORY);
        ck_assert_uint_eq(c->pki.n_crls, 3);
        ck_assert_str_eq(c->pki.crls[0], a);
        ck_assert_str_eq(c->pki.crls[1], b);
        ck_assert_str_eq(c->pki.crls[2], d);
        ck_assert_uint_eq(c->directory.n_uris, 3);
        ck_assert_str_eq(c->directory.uris[2],
                         "ldaps://verzeichnis-drei.landratsamt-beispielstadt.example.bayern.de:636");
        ck_assert_str_eq(c->directory.bind_dn, dn);
        ck_assert_str_eq(c->mailboxes[0].certificates, deep);
        cfg_free(c);
        free(text);

        /* A line of exactly CFG_MAX_LINE bytes (64 KiB), a value of nearly that. */
        big = malloc(CFG_MAX_LINE + 2);
        ck_assert_ptr_nonnull(big);
        n = (size_t)sprintf(big, "filter = (|(mail=%%s)(cn=");
        memset(big + n, 'x', CFG_MAX_LINE - n - 2);
        strcpy(big + CFG_MAX_LINE - 2, "))");
        ck_assert_uint_eq(strlen(big), CFG_MAX_LINE);
        ck_assert_int_ge(asprintf(&text, PKI_OK "[directory]\n%s\n", big), 0);
        c = load_ok(text, CFG_NEED_PKI);
        ck_assert_uint_eq(strlen(c->directory.filter), CFG_MAX_LINE - strlen("filter = "));
        cfg_free(c);
        free(text);

        /* One byte more is refused, never cut; so is a section header that
         * long, and the keys below it are then not judged. */
        big[CFG_MAX_LINE - 2] = 'x';
        strcpy(big + CFG_MAX_LINE - 1, "))");
        ck_assert_int_ge(asprintf(&text, PKI_OK "[directory]\n%s\n[%s]\nx = 1\n", big, big), 0);
        ck_assert_int_ge(asprintf(&want, "@F:4: line too long (65537 bytes, at most 65536)\n"
                                  "@F:5: line too long (65539 bytes, at most 65536)"), 0);
        load_fails(text, CFG_NEED_PKI, want);
        free(want);
        free(text);
        free(big);
        free(a);
        free(b);
        free(d);
        free(deep);
}
END_TEST

/* Keys are named by enum, not by string: the table has a row for each,
 * and the config says where each was written. */
START_TEST(key_table)
{
        struct cfg *c;

        for (int k = 0; k < CFG_KEY_COUNT; k++) {
                ck_assert_ptr_nonnull(cfg_key_name(k));
                ck_assert_uint_gt(strlen(cfg_key_name(k)), 0);
        }
        ck_assert_str_eq(cfg_key_name(CFG_KEY_SERVICE_CRITICAL_DAYS), "critical_days");
        ck_assert_str_eq(cfg_key_name(CFG_KEY_DIRECTORY_BIND_DN), "bind_dn");
        c = load_ok("[service]\ncritical_days = 3\n\n" PKI_OK "[directory]\nbind_dn = cn=r,o=X\n"
                    "password_file = pw\nuri = ldaps://d.example\n[mailbox a@b.example]\n"
                    "warn_days = 9\n", CFG_NEED_PKI);
        ck_assert_uint_eq(cfg_line(c, CFG_KEY_SERVICE_CRITICAL_DAYS), 2);
        ck_assert_uint_eq(cfg_line(c, CFG_KEY_SERVICE_WARN_DAYS), 0);
        ck_assert_uint_eq(cfg_line(c, CFG_KEY_PKI_TRUST_ANCHORS), 5);
        ck_assert_uint_eq(cfg_line(c, CFG_KEY_DIRECTORY_BIND_DN), 7);
        ck_assert_uint_eq(cfg_line(c, CFG_KEY_DIRECTORY_URI), 9);
        ck_assert_uint_eq(cfg_line(c, CFG_KEY_MAILBOX_WARN_DAYS), 0);
        cfg_free(c);
}
END_TEST

/* cfg_load() alone turns text into data; the rules of URIs, DNs, OIDs and
 * secrets are the modules' checks, which load_settings() runs. */
START_TEST(text_to_data)
{
        static const char text[] = PKI_OK "require_policy = anyPolicy\n[directory]\n"
                                   "uri = http://d.example ldap://e.example\nbase = not a DN\n"
                                   "bind_dn = cn=r,o=X\n";
        char *conf = tl_write(dir, "smimewatch.conf", "%s", text), *errors = NULL;
        struct cfg *c = NULL;

        ck_assert_int_eq(cfg_load(conf, CFG_NEED_PKI, NULL, &c, &errors), 0);
        ck_assert_ptr_null(errors);
        ck_assert_str_eq(c->pki.require_policy[0], "anyPolicy");
        ck_assert_str_eq(c->directory.uris[0], "http://d.example");
        ck_assert_str_eq(c->directory.base, "not a DN");
        ck_assert_ptr_null(c->directory.password_file);
        cfg_free(c);
        c = NULL;
        free(conf);
        load_fails(text, CFG_NEED_PKI,
                   "@F:3: [pki] require_policy 'anyPolicy': not a dotted OID such as 2.5.29.32.0\n"
                   "@F:5: [directory] uri 'http://d.example': unknown scheme\n"
                   "@F:6: [directory] base 'not a DN': not a distinguished name (RFC 4514, e.g. "
                   "o=Example,c=DE)\n"
                   "@F:7: [directory] bind_dn is set and uri 'ldap://e.example' is not encrypted: "
                   "set starttls = yes or use ldaps:// so the password is not sent in clear");
}
END_TEST

/* A module's check reports at the key's line, else at its section's. */
static void test_check(struct cfg *c, enum cfg_need need, struct cfg_report *r)
{
        (void)need;
        cfg_report(r, CFG_KEY_SERVICE_INTERVAL, "interval %llu", (unsigned long long)
                   (c->service.interval_usec / USEC_PER_SEC));
        cfg_report(r, CFG_KEY_SERVICE_REALERT, "realert is not written");
        cfg_report_value(r, CFG_KEY_DIRECTORY_BASE, "o=\x1b", "escaped");
        cfg_report_mailbox(r, &c->mailboxes[0], CFG_KEY_MAILBOX_WARN_DAYS, "9", "in the section");
        cfg_report_mailbox(r, &c->mailboxes[0], CFG_KEY_MAILBOX_CERTIFICATES, NULL, "at its header");
}

START_TEST(module_reports)
{
        static cfg_check *const checks[] = { test_check, NULL };
        char *conf = tl_write(dir, "smimewatch.conf", "%s", PKI_OK "\n[service]\ninterval = 1h\n"
                              "[mailbox a@b.example]\nwarn_days = 9\n");
        char *errors = NULL, *want = subst("@F:5: [service] interval 3600\n"
                                           "@F:4: [service] realert is not written\n"
                                           "@F:1: [directory] base 'o=\\x1b': escaped\n"
                                           "@F:7: [mailbox a@b.example] warn_days '9': in the section\n"
                                           "@F:6: [mailbox a@b.example] at its header");
        struct cfg *c = NULL;

        ck_assert_int_eq(cfg_load(conf, CFG_NEED_PKI, checks, &c, &errors), -EINVAL);
        ck_assert_ptr_null(c);
        ck_assert_str_eq(errors, want);
        free(errors);
        free(want);
        free(conf);
}
END_TEST

START_TEST(comments)
{
        struct cfg *c;

        c = load_ok("\xef\xbb\xbf# comment\n"
                    "; another\n"
                    "   # indented comment\n"
                    "[service]   # section comment\n"
                    "interval = 1h   # an hour\n"
                    "warn_days = 20 ; twenty\n"
                    PKI_OK
                    "[directory]\n"
                    "\t uri = ldaps://a.example\t# indented key\n"
                    "base = o=Example,c=DE ;comment\n"
                    "filter = (&(mail=%s)(cn=a#b;c))\n",
                    CFG_NEED_PKI);
        ck_assert_uint_eq(c->service.interval_usec, 3600 * USEC_PER_SEC);
        ck_assert_int_eq(c->service.warn_days, 20);
        ck_assert_str_eq(c->directory.uris[0], "ldaps://a.example");
        ck_assert_str_eq(c->directory.base, "o=Example,c=DE");
        ck_assert_str_eq(c->directory.filter, "(&(mail=%s)(cn=a#b;c))");
        cfg_free(c);
}
END_TEST

START_TEST(inline_hash_is_part_of_value)
{
        /* '#' without a blank before it belongs to the value. */
        load_fails("[service]\ncritical_days = 2#x\n" PKI_OK, CFG_NEED_PKI,
                   "@F:2: [service] critical_days '2#x': not a whole number");
        load_fails(PKI_OK "\x01 = 1\n", CFG_NEED_PKI, "@F:3: [pki] unknown key '\\x01'");
}
END_TEST

START_TEST(nul_byte)
{
        char *conf = tl_path(dir, "smimewatch.conf"), *errors = NULL, *want;
        struct cfg *c = NULL;
        FILE *f = fopen(conf, "w");

        ck_assert_ptr_nonnull(f);
        fwrite(PKI_OK "revocation = crl\0x\n", 1, sizeof(PKI_OK "revocation = crl\0x\n") - 1, f);
        fclose(f);
        ck_assert_int_eq(load_settings(conf, CFG_NEED_PKI, &c, &errors), -EINVAL);
        want = subst("@F:3: NUL byte in line");
        ck_assert_str_eq(errors, want);
        free(want);
        free(errors);
        free(conf);
}
END_TEST

START_TEST(mailbox_sections)
{
        struct cfg *c;
        char *p;

        c = load_ok("[service]\nwarn_days = 50\n"
                    "[mailbox empty@lra.example]\n"
                    "[mailbox crit@lra.example]\ncritical_days = 3\n"
                    "[mailbox warn@lra.example]\nwarn_days = 10\n"
                    PKI_OK,
                    CFG_NEED_PKI);
        ck_assert_uint_eq(c->n_mailboxes, 3);
        ck_assert_str_eq(c->mailboxes[0].address, "empty@lra.example");
        ck_assert_ptr_null(c->mailboxes[0].certificates);
        ck_assert_int_eq(c->mailboxes[0].warn_days, 50);
        ck_assert_int_eq(c->mailboxes[0].critical_days, 7);
        p = subst("@F:3");
        ck_assert_str_eq(c->mailboxes[0].origin, p);
        free(p);
        ck_assert_int_eq(c->mailboxes[1].warn_days, 50);
        ck_assert_int_eq(c->mailboxes[1].critical_days, 3);
        ck_assert_int_eq(c->mailboxes[2].warn_days, 10);
        ck_assert_int_eq(c->mailboxes[2].critical_days, 7);
        ck_assert_ptr_eq(cfg_find_mailbox(c, "crit@LRA.Example"), &c->mailboxes[1]);
        ck_assert_ptr_null(cfg_find_mailbox(c, "Crit@lra.example"));
        ck_assert_ptr_null(cfg_find_mailbox(c, "other@lra.example"));
        cfg_free(c);
}
END_TEST

START_TEST(mailbox_list)
{
        struct cfg *c;
        char *p;

        free(tl_write(dir, "list.txt",
                      "# mailboxes of the district\n"
                      "\n"
                      "  one@lra.example  \n"
                      "two@lra.example # the second\n"
                      "section@LRA.EXAMPLE\n"
                      "one@lra.example\n"
                      "\tthree@gemeinde.example\r\n"
                      "four@gemeinde.example"));
        c = load_ok("[service]\nmailbox_list = list.txt\n" PKI_OK
                    "[mailbox section@lra.example]\nwarn_days = 90\n",
                    CFG_NEED_PKI);
        ck_assert_uint_eq(c->n_mailboxes, 5);
        ck_assert_str_eq(c->mailboxes[0].address, "section@lra.example");
        ck_assert_int_eq(c->mailboxes[0].warn_days, 90);
        ck_assert_str_eq(c->mailboxes[1].address, "one@lra.example");
        ck_assert_str_eq(c->mailboxes[2].address, "two@lra.example");
        ck_assert_str_eq(c->mailboxes[3].address, "three@gemeinde.example");
        ck_assert_str_eq(c->mailboxes[4].address, "four@gemeinde.example");
        ck_assert_int_eq(c->mailboxes[4].warn_days, 30);
        p = subst("@D/list.txt:3");
        ck_assert_str_eq(c->mailboxes[1].origin, p);
        free(p);
        p = subst("@D/list.txt:8");
        ck_assert_str_eq(c->mailboxes[4].origin, p);
        free(p);
        cfg_free(c);

        free(tl_write(dir, "list.txt", "ok@lra.example\nnot an address\n# fine\nx@@y.example\n"));
        load_fails("[service]\nmailbox_list = list.txt\n" PKI_OK, CFG_NEED_PKI,
                   "@D/list.txt:2: malformed address 'not an address'\n"
                   "@D/list.txt:4: malformed address 'x@@y.example'");
}
END_TEST

START_TEST(relative_paths)
{
        char *sub = tl_path(dir, "etc"), *cwd = getcwd(NULL, 0), *p, *errors = NULL;
        struct cfg *c = NULL;

        ck_assert_int_eq(mkdir(sub, 0755), 0);
        free(tl_write(sub, "anchors.pem", "x\n"));
        free(tl_write(sub, "smimewatch.conf",
                      "[pki]\ntrust_anchors = anchors.pem\nintermediates = ../im.pem\n"
                      "crls = ./../crls\n"));
        /* A relative configuration path still gives absolute paths. */
        ck_assert_int_eq(chdir(dir), 0);
        ck_assert_int_eq(load_settings("etc/smimewatch.conf", CFG_NEED_PKI, &c, &errors), 0);
        ck_assert_int_eq(chdir(cwd), 0);
        ck_assert_str_eq(c->path, "etc/smimewatch.conf");
        p = subst("@D/etc/anchors.pem");
        ck_assert_str_eq(c->pki.trust_anchors, p);
        free(p);
        p = subst("@D/etc/../im.pem");
        ck_assert_str_eq(c->pki.intermediates, p);
        free(p);
        p = subst("@D/etc/./../crls");
        ck_assert_str_eq(c->pki.crls[0], p);
        free(p);
        cfg_free(c);
        free(sub);
        free(cwd);
}
END_TEST

#define DIR_BIND "[directory]\nuri = ldaps://d.example\nbase = o=X\nbind_dn = cn=r,o=X\n"

START_TEST(password_file_mode)
{
        char *pw = tl_path(dir, "pw"), *password = NULL, *err = NULL, *want;
        struct cfg *c;

        ck_assert_int_eq(chmod(pw, 0644), 0);
        load_fails(PKI_OK DIR_BIND "password_file = pw\n", CFG_NEED_DIRECTORY,
                   "@F:7: [directory] password file '@D/pw' is readable by others; chmod o-r it");
        ck_assert_int_eq(chmod(pw, 0640), 0);
        c = load_ok(PKI_OK DIR_BIND "password_file = pw\n", CFG_NEED_DIRECTORY);
        ck_assert_int_eq(dir_read_password(&c->directory, &password, &err), 0);
        ck_assert_ptr_null(err);
        ck_assert_str_eq(password, "s3cret");
        free(password);
        password = NULL;

        /* The mode is checked again when the password is read. */
        ck_assert_int_eq(chmod(pw, 0604), 0);
        ck_assert_int_eq(dir_read_password(&c->directory, &password, &err), -EACCES);
        ck_assert_ptr_null(password);
        want = subst("password file '@D/pw' is readable by others; chmod o-r it");
        ck_assert_str_eq(err, want);
        free(want);
        free(err);
        err = NULL;

        ck_assert_int_eq(chmod(pw, 0600), 0);
        free(tl_write(dir, "pw", "\nsecret on line two\n"));
        ck_assert_int_eq(chmod(pw, 0600), 0);
        ck_assert_int_eq(dir_read_password(&c->directory, &password, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "the first line is empty"));
        ck_assert_ptr_null(strstr(err, "secret"));
        free(err);
        err = NULL;

        free(tl_write(dir, "pw", "crlf\r\n"));
        ck_assert_int_eq(chmod(pw, 0600), 0);
        ck_assert_int_eq(dir_read_password(&c->directory, &password, &err), 0);
        ck_assert_str_eq(password, "crlf");
        free(password);
        password = NULL;

        ck_assert_int_eq(unlink(pw), 0);
        ck_assert_int_eq(dir_read_password(&c->directory, &password, &err), -ENOENT);
        ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
        free(err);
        cfg_free(c);

        load_fails(PKI_OK DIR_BIND "password_file = pw\n", CFG_NEED_DIRECTORY,
                   "@F:7: [directory] password file '@D/pw': No such file or directory");
        free(pw);
}
END_TEST

START_TEST(password_needs_encryption)
{
        struct cfg *c;

        load_fails(PKI_OK "[directory]\nuri = ldaps://a.example ldap://b.example\nbase = o=X\n"
                   "bind_dn = cn=r,o=X\npassword_file = pw\nstarttls = no\n",
                   CFG_NEED_DIRECTORY,
                   "@F:6: [directory] bind_dn is set and uri 'ldap://b.example' is not encrypted: "
                   "set starttls = yes or use ldaps:// so the password is not sent in clear");
        /* Checked with CFG_NEED_PKI too: the file itself is wrong. */
        load_fails(PKI_OK "[directory]\nuri = LDAP://b.example\nbind_dn = cn=r,o=X\npassword_file = pw\n",
                   CFG_NEED_PKI,
                   "@F:5: [directory] bind_dn is set and uri 'LDAP://b.example' is not encrypted: "
                   "set starttls = yes or use ldaps:// so the password is not sent in clear");
        c = load_ok(PKI_OK "[directory]\nuri = ldap://b.example\nbase = o=X\nbind_dn = cn=r,o=X\n"
                    "password_file = pw\nstarttls = yes\n", CFG_NEED_DIRECTORY);
        cfg_free(c);
        c = load_ok(PKI_OK "[directory]\nuri = ldaps://a.example ldapi://%2Frun%2Fldapi\nbase = o=X\n"
                    "bind_dn = cn=r,o=X\npassword_file = pw\n", CFG_NEED_DIRECTORY);
        cfg_free(c);
        /* Anonymous binds over ldap:// send no secret. */
        c = load_ok(PKI_OK "[directory]\nuri = ldap://b.example\nbase = o=X\n", CFG_NEED_DIRECTORY);
        cfg_free(c);
}
END_TEST

START_TEST(credentials_directory)
{
        char *creds = tl_path(dir, "creds"), *want, *password = NULL, *err = NULL;
        struct cfg *c;

        load_fails(PKI_OK DIR_BIND, CFG_NEED_DIRECTORY,
                   "@F:6: [directory] bind_dn is set but there is no password: set password_file, "
                   "or pass the credential ldap-password ($CREDENTIALS_DIRECTORY is not set)");
        /* --check-cert does not bind, so the missing secret does not matter there. */
        c = load_ok(PKI_OK DIR_BIND, CFG_NEED_PKI);
        ck_assert_ptr_null(c->directory.password_file);
        ck_assert_int_eq(dir_read_password(&c->directory, &password, &err), -ENOENT);
        ck_assert_ptr_nonnull(strstr(err, "CREDENTIALS_DIRECTORY"));
        free(err);
        err = NULL;
        cfg_free(c);

        ck_assert_int_eq(mkdir(creds, 0700), 0);
        ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
        load_fails(PKI_OK DIR_BIND, CFG_NEED_DIRECTORY,
                   "@F:6: [directory] password file '@D/creds/ldap-password': No such file or directory");
        free(tl_write(creds, "ldap-password", "from-credential\n"));
        load_fails(PKI_OK DIR_BIND, CFG_NEED_PKI,
                   "@F:6: [directory] password file '@D/creds/ldap-password' is readable by others; "
                   "chmod o-r it");
        want = tl_path(creds, "ldap-password");
        ck_assert_int_eq(chmod(want, 0400), 0);
        c = load_ok(PKI_OK DIR_BIND, CFG_NEED_DIRECTORY);
        ck_assert_str_eq(c->directory.password_file, want);
        ck_assert_int_eq(dir_read_password(&c->directory, &password, &err), 0);
        ck_assert_str_eq(password, "from-credential");
        explicit_bzero(password, strlen(password));
        free(password);
        cfg_free(c);
        /* An explicit password_file wins. */
        c = load_ok(PKI_OK DIR_BIND "password_file = pw\n", CFG_NEED_DIRECTORY);
        free(want);
        want = tl_path(dir, "pw");
        ck_assert_str_eq(c->directory.password_file, want);
        cfg_free(c);
        free(want);
        free(creds);
}
END_TEST

START_TEST(need_directory)
{
        struct cfg *c;

        load_fails(PKI_OK, CFG_NEED_DIRECTORY,
                   "@F:1: section [directory] is missing (uri and base are required)");
        load_fails(PKI_OK "\n[directory]\nscope = one\n", CFG_NEED_DIRECTORY,
                   "@F:4: [directory] uri is required\n"
                   "@F:4: [directory] base is required");
        load_fails(PKI_OK "[directory]\nuri = ldaps://d.example\n", CFG_NEED_DIRECTORY,
                   "@F:3: [directory] base is required");
        /* With CFG_NEED_PKI an incomplete [directory] is fine, a wrong one is not. */
        c = load_ok(PKI_OK "[directory]\nscope = one\n", CFG_NEED_PKI);
        ck_assert(c->directory.configured);
        ck_assert_int_eq(c->directory.scope, CFG_SCOPE_ONE);
        cfg_free(c);
        load_fails(PKI_OK "[directory]\nscope = two\n", CFG_NEED_PKI,
                   "@F:4: [directory] scope 'two': want sub, one or base");
}
END_TEST

START_TEST(unreadable)
{
        char *missing = tl_path(dir, "missing.conf"), *errors = NULL, *want;
        struct cfg *c = NULL;

        ck_assert_int_eq(load_settings(missing, CFG_NEED_PKI, &c, &errors), -ENOENT);
        ck_assert_ptr_null(c);
        want = subst("@D/missing.conf: cannot read: No such file or directory");
        ck_assert_str_eq(errors, want);
        free(want);
        free(errors);
        ck_assert_int_eq(load_settings(dir, CFG_NEED_PKI, &c, &errors), -EISDIR);
        want = subst("@D: cannot read: Is a directory");
        ck_assert_str_eq(errors, want);
        free(want);
        free(errors);
        free(missing);
}
END_TEST

/* The shipped example, with the files it names created beside it. */
START_TEST(example_config)
{
        char *src, *conf = tl_path(dir, "smimewatch.conf"), *errors = NULL;
        struct cfg *c = NULL;

        ck_assert_int_ge(asprintf(&src, "%s/conf/smimewatch.conf", tl_srcdir()), 0);
        ck_assert_int_eq(tl_sh("cp '%s' '%s'", src, conf), 0);
        ck_assert_int_eq(tl_sh("cd '%s' && mkdir -p pki crls && touch pki/root-ca.pem "
                               "pki/intermediates.pem", dir), 0);
        ck_assert_int_eq(load_settings(conf, CFG_NEED_DIRECTORY, &c, &errors), 0);
        ck_assert_ptr_null(errors);
        /* It shows the defaults. */
        ck_assert_uint_eq(c->service.interval_usec, 6 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(c->service.warn_days, 30);
        ck_assert_int_eq(c->service.critical_days, 7);
        ck_assert_uint_eq(c->service.realert_usec, 24 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(c->pki.revocation, CFG_REV_CRL);
        ck_assert_uint_eq(c->pki.n_crls, 0);
        ck_assert_uint_eq(c->pki.n_sources, 2);
        ck_assert_uint_eq(c->pki.fetch_timeout_usec, 10 * USEC_PER_SEC);
        ck_assert_uint_eq(c->pki.crl_refresh_usec, 3600 * USEC_PER_SEC);
        ck_assert_uint_eq(c->pki.min_rsa_bits, 3000);
        ck_assert_uint_eq(c->pki.min_ec_bits, 256);
        ck_assert_int_eq(c->directory.scope, CFG_SCOPE_SUB);
        ck_assert_str_eq(c->directory.filter, "(mail=%s)");
        ck_assert(!c->directory.starttls);
        ck_assert_uint_eq(c->directory.timeout_usec, 10 * USEC_PER_SEC);
        ck_assert_uint_eq(c->require_usages, USAGE_ALL);
        ck_assert_uint_eq(c->n_mailboxes, 2);
        ck_assert_int_eq(c->mailboxes[0].warn_days, 30);
        ck_assert_int_eq(c->mailboxes[1].critical_days, 14);
        cfg_free(c);
        free(src);
        free(conf);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("config");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, every_key);
        tcase_add_test(tc, defaults);
        tcase_add_test(tc, booleans_and_words);
        tcase_add_loop_test(tc, bad_values, 0, (int)(sizeof(bad) / sizeof(bad[0])));
        tcase_add_test(tc, all_errors_reported);
        tcase_add_test(tc, long_lines);
        tcase_add_test(tc, key_table);
        tcase_add_test(tc, text_to_data);
        tcase_add_test(tc, module_reports);
        tcase_add_test(tc, comments);
        tcase_add_test(tc, inline_hash_is_part_of_value);
        tcase_add_test(tc, nul_byte);
        tcase_add_test(tc, mailbox_sections);
        tcase_add_test(tc, mailbox_list);
        tcase_add_test(tc, relative_paths);
        tcase_add_test(tc, password_file_mode);
        tcase_add_test(tc, password_needs_encryption);
        tcase_add_test(tc, credentials_directory);
        tcase_add_test(tc, need_directory);
        tcase_add_test(tc, unreadable);
        tcase_add_test(tc, example_config);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
