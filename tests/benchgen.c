/* SPDX-License-Identifier: EUPL-1.2 */
/* benchgen: the data of tests/bench (not part of make check), from
 * tests/lib/certgen.c.
 *
 *   benchgen ldif PKIDIR CA KEY FIRST COUNT [CERTS [nomix]] > part.ldif
 *       entries of mailboxes FIRST..FIRST+COUNT-1 (FIRST 0 adds ou=Mailboxes)
 *   benchgen crl PKIDIR CA N EXTRA OUT.pem [CERTS [nomix]]
 *       CA's CRL for N mailboxes with EXTRA more revoked serials
 *   benchgen list N                  the N addresses, one per line
 *   benchgen expect N [nomix]        "ok warning critical unknown" counts
 *   benchgen check N REPORT.json     the --verify --json report says what the
 *                                    generator made of N mailboxes (exit 1 if not)
 *   benchgen pem LDIF OUTDIR         every certificate of the LDIF as its own PEM file
 *                                    (OUTDIR/NNNNNN.pem, in order), for `openssl verify`
 *
 * CERTS is 1 (one certificate for both usages) or 2 (default: one for
 * encryption, one for signature). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certgen.h"

static struct cg_params params(int argc, char **argv, int at)
{
        struct cg_params p = { .domain = "bench.example", .base = "o=Test,c=DE", .certs = 2,
                               .mix = true };

        if (argc > at)
                p.certs = strcmp(argv[at], "1") == 0 ? 1 : 2;
        if (argc > at + 1 && strcmp(argv[at + 1], "nomix") == 0)
                p.mix = false;
        return p;
}

static size_t number(const char *s)
{
        char *end;
        unsigned long long v = strtoull(s, &end, 10);

        if (*s == 0 || *end != 0) {
                fprintf(stderr, "benchgen: '%s' is not a number\n", s);
                exit(64);
        }
        return (size_t)v;
}

static struct cg_ca *ca_or_die(const char *pkidir, const char *name)
{
        struct cg_ca *ca = NULL;
        const char *why = NULL;

        if (cg_ca_load(pkidir, name, &ca, &why) < 0) {
                fprintf(stderr, "benchgen: %s/ca/%s: %s\n", pkidir, name, why);
                exit(1);
        }
        return ca;
}

static int cmd_ldif(int argc, char **argv)
{
        struct cg_params p = params(argc, argv, 7);
        struct cg_ca *ca = ca_or_die(argv[2], argv[3]);
        EVP_PKEY *key = cg_key_load(argv[4]);
        size_t first = number(argv[5]), count = number(argv[6]);
        int r = -EINVAL;

        if (!key)
                fprintf(stderr, "benchgen: cannot read the key %s\n", argv[4]);
        else if ((r = first == 0 ? cg_write_ou(stdout, &p) : 0) == 0)
                r = cg_write_entries(stdout, &p, ca, key, first, count);
        if (r == 0 && fflush(stdout) != 0)
                r = -EIO;
        EVP_PKEY_free(key);
        cg_ca_free(ca);
        return r < 0 ? 1 : 0;
}

static int cmd_crl(int argc, char **argv)
{
        struct cg_params p = params(argc, argv, 7);
        struct cg_ca *ca = ca_or_die(argv[2], argv[3]);
        int r = cg_write_crl(argv[6], &p, ca, number(argv[4]), number(argv[5]));

        if (r < 0)
                fprintf(stderr, "benchgen: cannot write the CRL %s: %s\n", argv[6], strerror(-r));
        cg_ca_free(ca);
        return r < 0 ? 1 : 0;
}

/* The summary and each mailbox's address and status, in order. */
static int cmd_check(size_t n, const char *path)
{
        struct cg_params p = params(0, NULL, 0);
        unsigned want[SW_STATUS_COUNT];
        json_t *doc = json_load_file(path, 0, NULL), *summary, *list;
        int bad = 0;
        char a[320];

        if (!doc) {
                fprintf(stderr, "benchgen: %s is not JSON\n", path);
                return 1;
        }
        summary = json_object_get(doc, "summary");
        list = json_object_get(doc, "mailboxes");
        cg_expected(&p, n, want);
        for (int s = 0; s < SW_STATUS_COUNT; s++)
                if (json_integer_value(json_object_get(summary, sw_status_name(s))) != want[s])
                        bad = fprintf(stderr, "benchgen: %s: %lld, expected %u\n", sw_status_name(s),
                                      json_integer_value(json_object_get(summary, sw_status_name(s))),
                                      want[s]);
        if (json_array_size(list) != n)
                bad = fprintf(stderr, "benchgen: %zu mailboxes, expected %zu\n", json_array_size(list), n);
        for (size_t i = 0; !bad && i < n; i++) {
                json_t *m = json_array_get(list, i);
                const char *address = json_string_value(json_object_get(m, "address"));
                const char *status = json_string_value(json_object_get(m, "status"));
                const char *want_status = sw_status_name(cg_status(&p, i));

                cg_address(&p, i, a, sizeof(a));
                if (!address || strcmp(address, a) != 0 || !status || strcmp(status, want_status) != 0)
                        bad = fprintf(stderr, "benchgen: mailbox %zu is not %s with status %s\n", i, a,
                                      want_status);
        }
        json_decref(doc);
        return bad ? 1 : 0;
}

/* The certificates tests/bench hands to `openssl verify`: the same bytes
 * the directory serves, one file each, as openssl verify reads them. */
static int cmd_pem(const char *ldif, const char *outdir)
{
        static const char tag[] = "userCertificate;binary:: ";
        FILE *in = fopen(ldif, "r");
        char *line = NULL, path[PATH_MAX];
        size_t cap = 0, count = 0;
        ssize_t len;
        int bad = 0;

        if (!in) {
                fprintf(stderr, "benchgen: cannot read %s: %s\n", ldif, strerror(errno));
                return 1;
        }
        while (!bad && (len = getline(&line, &cap, in)) > 0) {
                unsigned char *der;
                const unsigned char *p;
                X509 *x = NULL;
                FILE *out = NULL;
                size_t b64 = (size_t)len - (sizeof(tag) - 1);
                int n;

                if (strncmp(line, tag, sizeof(tag) - 1) != 0)
                        continue;
                while (b64 > 0 && (line[sizeof(tag) - 1 + b64 - 1] == '\n'))
                        b64--;
                der = malloc(b64);
                n = der ? EVP_DecodeBlock(der, (unsigned char *)line + sizeof(tag) - 1, (int)b64) : -1;
                /* EVP_DecodeBlock counts the padding as zero bytes: DER ignores them. */
                p = der;
                if (n > 0)
                        x = d2i_X509(NULL, &p, n);
                snprintf(path, sizeof(path), "%s/%06zu.pem", outdir, count++);
                if (x)
                        out = fopen(path, "w");
                if (!out || !PEM_write_X509(out, x))
                        bad = 1;
                if (out && fclose(out) != 0)
                        bad = 1;
                if (bad)
                        fprintf(stderr, "benchgen: cannot write %s\n", path);
                X509_free(x);
                free(der);
        }
        free(line);
        fclose(in);
        return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "";

        if (strcmp(cmd, "ldif") == 0 && argc >= 7)
                return cmd_ldif(argc, argv);
        if (strcmp(cmd, "crl") == 0 && argc >= 7)
                return cmd_crl(argc, argv);
        if (strcmp(cmd, "list") == 0 && argc == 3) {
                struct cg_params p = params(argc, argv, 3);
                size_t n = number(argv[2]);
                char a[320];

                for (size_t i = 0; i < n; i++) {
                        cg_address(&p, i, a, sizeof(a));
                        puts(a);
                }
                return fflush(stdout) == 0 ? 0 : 1;
        }
        if (strcmp(cmd, "expect") == 0 && (argc == 3 || argc == 4)) {
                struct cg_params p = params(argc, argv, 4);
                unsigned c[SW_STATUS_COUNT];

                if (argc == 4)
                        p.mix = strcmp(argv[3], "nomix") != 0;
                cg_expected(&p, number(argv[2]), c);
                printf("%u %u %u %u\n", c[SW_OK], c[SW_WARNING], c[SW_CRITICAL], c[SW_UNKNOWN]);
                return 0;
        }
        if (strcmp(cmd, "pem") == 0 && argc == 4)
                return cmd_pem(argv[2], argv[3]);
        if (strcmp(cmd, "check") == 0 && argc == 4)
                return cmd_check(number(argv[2]), argv[3]);
        fprintf(stderr, "usage: see the comment at the top of tests/benchgen.c\n");
        return 64;
}
