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
 *   benchgen floor LDIF ISSUER.pem   times the least OpenSSL work a verdict needs for
 *                                    every certificate of the LDIF (cmd_floor())
 *
 * CERTS is 1 (one certificate for both usages) or 2 (default: one for
 * encryption, one for signature). */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certgen.h"
#include "pki.h"
#include "util.h"

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

/* fn(arg, DER, length) for every certificate of an LDIF that
 * cg_write_entries() wrote (one base64 line per value), in order; stops at
 * the first nonzero fn. 0, or 1 after saying why. */
typedef int cert_fn(void *arg, const unsigned char *der, int len);

static int ldif_certs(const char *ldif, cert_fn *fn, void *arg)
{
        static const char tag[] = "userCertificate;binary:: ";
        FILE *in = fopen(ldif, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        int bad = 0;

        if (!in) {
                fprintf(stderr, "benchgen: cannot read %s: %s\n", ldif, strerror(errno));
                return 1;
        }
        while (!bad && (len = getline(&line, &cap, in)) > 0) {
                size_t b64 = (size_t)len - (sizeof(tag) - 1);
                unsigned char *der;
                int n;

                if (strncmp(line, tag, sizeof(tag) - 1) != 0)
                        continue;
                while (b64 > 0 && (line[sizeof(tag) - 1 + b64 - 1] == '\n'))
                        b64--;
                der = malloc(b64);
                /* EVP_DecodeBlock counts the padding as zero bytes: DER ignores them. */
                n = der ? EVP_DecodeBlock(der, (unsigned char *)line + sizeof(tag) - 1, (int)b64) : -1;
                if (n <= 0)
                        bad = fprintf(stderr, "benchgen: %s: a value that is not base64\n", ldif);
                else
                        bad = fn(arg, der, n);
                free(der);
        }
        free(line);
        fclose(in);
        return bad ? 1 : 0;
}

struct pem_files {
        const char *outdir;
        size_t count;
};

static int pem_one(void *arg, const unsigned char *der, int len)
{
        struct pem_files *f = arg;
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, len);
        char path[PATH_MAX];
        FILE *out = NULL;
        int bad = 0;

        snprintf(path, sizeof(path), "%s/%06zu.pem", f->outdir, f->count++);
        if (x)
                out = fopen(path, "w");
        if (!out || !PEM_write_X509(out, x))
                bad = 1;
        if (out && fclose(out) != 0)
                bad = 1;
        if (bad)
                fprintf(stderr, "benchgen: cannot write %s\n", path);
        X509_free(x);
        return bad;
}

/* The certificates tests/bench hands to `openssl verify`: the same bytes
 * the directory serves, one file each, as openssl verify reads them. */
static int cmd_pem(const char *ldif, const char *outdir)
{
        struct pem_files f = { .outdir = outdir };

        return ldif_certs(ldif, pem_one, &f);
}

/* ---- floor: what OpenSSL itself needs per certificate ----------------- */

struct floor {
        unsigned char **der;
        int *len;
        size_t n, cap;
        EVP_PKEY_CTX *verify;           /* the issuer's key, set up once */
        EVP_MD *sha256;
        atomic_size_t verified, decoded;
};

static int floor_keep(void *arg, const unsigned char *der, int len)
{
        struct floor *f = arg;

        if (f->n == f->cap) {
                size_t cap = f->cap ? 2 * f->cap : 1024;
                unsigned char **d = realloc(f->der, cap * sizeof(*d));
                int *l = d ? realloc(f->len, cap * sizeof(*l)) : NULL;

                if (d)
                        f->der = d;
                if (!l)
                        return fprintf(stderr, "benchgen: out of memory\n");
                f->len = l;
                f->cap = cap;
        }
        if (!(f->der[f->n] = malloc((size_t)len)))
                return fprintf(stderr, "benchgen: out of memory\n");
        memcpy(f->der[f->n], der, (size_t)len);
        f->len[f->n++] = len;
        return 0;
}

/* The least a verdict takes of OpenSSL for certificate i: decoding (as
 * smimewatch decodes), the extension cache, the signature checked by a
 * key context set up once (as smimewatch's memo does), the SHA-256
 * fingerprint of the bytes. */
static void floor_one(void *arg, size_t i)
{
        struct floor *f = arg;
        const unsigned char *der = f->der[i], *p = der, *tbs;
        unsigned char md[EVP_MAX_MD_SIZE], fp[EVP_MAX_MD_SIZE];
        X509 *x = pki_d2i_x509(&p, f->len[i]);
        const ASN1_BIT_STRING *sig;
        EVP_PKEY_CTX *c = NULL;
        unsigned md_len = 0;
        int tag, cls;
        long len;

        if (!x)
                return;
        atomic_fetch_add(&f->decoded, 1);
        X509_check_ca(x);
        X509_get0_signature(&sig, NULL, x);
        /* Certificate ::= SEQUENCE { tbsCertificate, ... } */
        p = der;
        if (!(ASN1_get_object(&p, &len, &tag, &cls, f->len[i]) & 0x80) && (tbs = p) &&
            !(ASN1_get_object(&p, &len, &tag, &cls, f->len[i] - (p - der)) & 0x80) &&
            len <= f->len[i] - (p - der) &&
            EVP_Digest(tbs, (size_t)(p - tbs) + (size_t)len, md, &md_len, f->sha256, NULL) &&
            (c = EVP_PKEY_CTX_dup(f->verify)) &&
            EVP_PKEY_verify(c, sig->data, (size_t)sig->length, md, md_len) == 1 &&
            EVP_Digest(der, (size_t)f->len[i], fp, NULL, f->sha256, NULL))
                atomic_fetch_add(&f->verified, 1);
        EVP_PKEY_CTX_free(c);
        X509_free(x);
        ERR_clear_error();
}

static double seconds(struct timeval t)
{
        return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

/* The certificates of LDIF through floor_one() on as many threads as
 * smimewatch takes, timed apart from reading them: "wall user sys maxrss"
 * (seconds, KiB) on stdout, as tests/bench's /usr/bin/time writes it, and
 * how many were decoded and verified on stderr. */
static int cmd_floor(const char *ldif, const char *issuer)
{
        struct floor f = { .verified = 0, .decoded = 0 };
        FILE *in = fopen(issuer, "r");
        X509 *ca = in ? PEM_read_X509(in, NULL, NULL, NULL) : NULL;
        struct timespec t0, t1;
        struct rusage r0, r1;
        int bad;

        if (in)
                fclose(in);
        f.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        f.verify = ca ? EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(ca), NULL) : NULL;
        if (!f.sha256 || !f.verify || EVP_PKEY_verify_init(f.verify) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(f.verify, RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_signature_md(f.verify, f.sha256) <= 0) {
                fprintf(stderr, "benchgen: %s: no RSA issuer certificate\n", issuer);
                bad = 1;
        } else {
                bad = ldif_certs(ldif, floor_keep, &f);
        }
        if (!bad) {
                getrusage(RUSAGE_SELF, &r0);
                clock_gettime(CLOCK_MONOTONIC, &t0);
                util_parallel(f.n, util_cpus(UTIL_MAX_THREADS), floor_one, &f);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                getrusage(RUSAGE_SELF, &r1);
                printf("%.2f %.2f %.2f %ld\n",
                       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                       seconds(r1.ru_utime) - seconds(r0.ru_utime),
                       seconds(r1.ru_stime) - seconds(r0.ru_stime), r1.ru_maxrss);
                fprintf(stderr, "benchgen: floor: %zu certificates, %zu decoded, %zu verified\n", f.n,
                        (size_t)f.decoded, (size_t)f.verified);
                bad = f.decoded != f.n;
        }
        for (size_t i = 0; i < f.n; i++)
                free(f.der[i]);
        free(f.der);
        free(f.len);
        EVP_PKEY_CTX_free(f.verify);
        EVP_MD_free(f.sha256);
        X509_free(ca);
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
        if (strcmp(cmd, "floor") == 0 && argc == 4)
                return cmd_floor(argv[2], argv[3]);
        if (strcmp(cmd, "check") == 0 && argc == 4)
                return cmd_check(number(argv[2]), argv[3]);
        fprintf(stderr, "usage: see the comment at the top of tests/benchgen.c\n");
        return 64;
}
