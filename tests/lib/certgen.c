/* SPDX-License-Identifier: EUPL-1.2 */
#include "certgen.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Serials of the generated certificates and of the CRL's filler entries:
 * ranges tests/mkpki never uses (it starts from the CA's name). */
#define SERIAL_BASE UINT64_C(0x0BE000000000)
#define FILLER_BASE UINT64_C(0x0BEF00000000)
#define DAY 86400L

struct cg_ca {
        X509 *cert;
        EVP_PKEY *key;
};

enum fate { FATE_OK, FATE_NOT_FOUND, FATE_EXPIRING, FATE_REVOKED };

static enum fate fate_of(const struct cg_params *p, size_t i)
{
        if (!p->mix)
                return FATE_OK;
        switch (i % 100) {
        case 17: return FATE_NOT_FOUND;
        case 33: return FATE_EXPIRING;
        case 50: return FATE_REVOKED;
        default: return FATE_OK;
        }
}

/* Certificate k of mailbox i; with two, 0 encrypts and 1 signs. */
static uint64_t serial_of(size_t i, unsigned k)
{
        return SERIAL_BASE + 2 * (uint64_t)i + k;
}

int cg_ca_load(const char *pkidir, const char *name, struct cg_ca **ret, const char **why)
{
        struct cg_ca *ca = calloc(1, sizeof(*ca));
        char path[4096];
        FILE *f;

        if (!ca)
                return -ENOMEM;
        snprintf(path, sizeof(path), "%s/ca/%s/cert.pem", pkidir, name);
        f = fopen(path, "r");
        ca->cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
        if (f)
                fclose(f);
        snprintf(path, sizeof(path), "%s/ca/%s/key.pem", pkidir, name);
        ca->key = cg_key_load(path);
        if (!ca->cert || !ca->key) {
                *why = !ca->cert ? "cannot read the CA certificate" : "cannot read the CA key";
                cg_ca_free(ca);
                return -EINVAL;
        }
        *ret = ca;
        return 0;
}

void cg_ca_free(struct cg_ca *ca)
{
        if (!ca)
                return;
        X509_free(ca->cert);
        EVP_PKEY_free(ca->key);
        free(ca);
}

EVP_PKEY *cg_key_load(const char *path)
{
        FILE *f = fopen(path, "r");
        EVP_PKEY *k;

        if (!f)
                return NULL;
        k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        return k;
}

void cg_address(const struct cg_params *p, size_t i, char *buf, size_t size)
{
        snprintf(buf, size, "mbx%06zu@%s", i, p->domain);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
        X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
        int ok = e && X509_add_ext(x, e, -1);

        X509_EXTENSION_free(e);
        return ok ? 0 : -EINVAL;
}

/* usage: 1 encryption, 2 signature, 3 both (problem.h's USAGE_ bits). */
static const char *key_usage(EVP_PKEY *key, unsigned usage)
{
        bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;

        switch (usage) {
        case USAGE_ENCRYPTION:
                return rsa ? "critical,keyEncipherment" : "critical,keyAgreement";
        case USAGE_SIGNATURE:
                return "critical,digitalSignature,nonRepudiation";
        default:
                return rsa ? "critical,digitalSignature,nonRepudiation,keyEncipherment"
                           : "critical,digitalSignature,nonRepudiation,keyAgreement";
        }
}

static int set_names(X509 *x, const struct cg_ca *ca, const char *cn)
{
        X509_NAME *n = X509_get_subject_name(x);

        if (!X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"DE", -1, -1, 0) ||
            !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Test", -1, -1, 0) ||
            !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
            !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)))
                return -ENOMEM;
        return 0;
}

/* A DER end-entity certificate for address, like `mkpki issue` makes. */
static int issue(const struct cg_ca *ca, EVP_PKEY *key, const char *address, const char *cn,
                 unsigned usage, uint64_t serial, long days, const char *crl_url,
                 unsigned char **der, int *len)
{
        char dp[600];
        X509 *x = X509_new();
        X509V3_CTX ctx;
        char san[512];
        int r = -ENOMEM;

        *der = NULL;
        snprintf(san, sizeof(san), "email:%s", address);
        if (!x || !X509_set_version(x, 2) ||
            !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) ||
            !X509_gmtime_adj(X509_getm_notBefore(x), -DAY) ||
            !X509_gmtime_adj(X509_getm_notAfter(x), days * DAY) ||
            set_names(x, ca, cn) < 0 || !X509_set_pubkey(x, key))
                goto out;
        X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
            add_ext(x, &ctx, NID_authority_key_identifier, "keyid") < 0 ||
            add_ext(x, &ctx, NID_key_usage, key_usage(key, usage)) < 0 ||
            add_ext(x, &ctx, NID_ext_key_usage, "emailProtection") < 0 ||
            add_ext(x, &ctx, NID_subject_alt_name, san) < 0)
                goto out;
        snprintf(dp, sizeof(dp), "URI:%s", crl_url ? crl_url : "");
        if (crl_url && add_ext(x, &ctx, NID_crl_distribution_points, dp) < 0)
                goto out;
        if (!X509_sign(x, ca->key, EVP_sha256()))
                goto out;
        *len = i2d_X509(x, der);
        r = *len > 0 ? 0 : -ENOMEM;
out:
        X509_free(x);
        return r;
}

int cg_write_ou(FILE *f, const struct cg_params *p)
{
        return fprintf(f, "dn: ou=Mailboxes,%s\nobjectClass: organizationalUnit\nou: Mailboxes\n\n",
                       p->base) < 0 ? -EIO : 0;
}

static int write_cert(FILE *f, const unsigned char *der, int len)
{
        char *b64 = malloc(4 * ((size_t)len + 2) / 3 + 4);
        int r;

        if (!b64)
                return -ENOMEM;
        EVP_EncodeBlock((unsigned char *)b64, der, len);
        r = fprintf(f, "userCertificate;binary:: %s\n", b64) < 0 ? -EIO : 0;
        free(b64);
        return r;
}

static int write_entry(FILE *f, const struct cg_params *p, const struct cg_ca *ca, EVP_PKEY *key,
                       size_t i)
{
        static const unsigned one[] = { USAGE_ALL }, two[] = { USAGE_ENCRYPTION, USAGE_SIGNATURE };
        static const char *const label[] = { "", "enc", "sig", "both" };
        const unsigned *usages = p->certs == 2 ? two : one;
        char address[320], local[32], cn[64];
        enum fate fate = fate_of(p, i);

        if (fate == FATE_NOT_FOUND)
                return 0;
        cg_address(p, i, address, sizeof(address));
        snprintf(local, sizeof(local), "mbx%06zu", i);
        if (fprintf(f, "dn: cn=%s,ou=Mailboxes,%s\nobjectClass: inetOrgPerson\n"
                    "objectClass: pkiUser\ncn: %s\nsn: %s\nmail: %s\n",
                    local, p->base, local, local, address) < 0)
                return -EIO;
        for (unsigned k = 0; k < (p->certs == 2 ? 2u : 1u); k++) {
                /* Spread over a year or two, like a real directory's renewals. */
                long days = fate == FATE_EXPIRING && k == 0 ? 10 : 400 + (long)(i % 300);
                unsigned char *der = NULL;
                int len = 0, r;

                snprintf(cn, sizeof(cn), "%s %s", local, label[usages[k]]);
                r = issue(ca, key, address, cn, usages[k], serial_of(i, k), days, p->crl_url, &der,
                          &len);
                if (r == 0)
                        r = write_cert(f, der, len);
                OPENSSL_free(der);
                if (r < 0)
                        return r;
        }
        return fputc('\n', f) == EOF ? -EIO : 0;
}

int cg_write_entries(FILE *f, const struct cg_params *p, const struct cg_ca *ca, EVP_PKEY *key,
                     size_t first, size_t count)
{
        for (size_t i = first; i < first + count; i++) {
                int r = write_entry(f, p, ca, key, i);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int revoke(X509_CRL *crl, uint64_t serial, const ASN1_TIME *when)
{
        X509_REVOKED *rev = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        int ok = rev && s && ASN1_INTEGER_set_uint64(s, serial) &&
                 X509_REVOKED_set_serialNumber(rev, s) &&
                 X509_REVOKED_set_revocationDate(rev, (ASN1_TIME *)when) &&
                 X509_CRL_add0_revoked(crl, rev);

        ASN1_INTEGER_free(s);
        if (!ok)
                X509_REVOKED_free(rev);
        return ok ? 0 : -ENOMEM;
}

static int crl_extensions(X509_CRL *crl, const struct cg_ca *ca)
{
        ASN1_INTEGER *number = ASN1_INTEGER_new();
        X509_EXTENSION *aki = NULL;
        X509V3_CTX ctx;
        int ok;

        X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
        aki = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
        ok = number && aki && ASN1_INTEGER_set(number, 5000) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) &&
             X509_CRL_add_ext(crl, aki, -1);
        ASN1_INTEGER_free(number);
        X509_EXTENSION_free(aki);
        return ok ? 0 : -ENOMEM;
}

static int fill_crl(X509_CRL *crl, const struct cg_params *p, const struct cg_ca *ca, size_t n,
                    size_t extra)
{
        ASN1_TIME *last = X509_gmtime_adj(NULL, -DAY), *next = X509_gmtime_adj(NULL, 365 * DAY);
        int r = -ENOMEM;

        if (!last || !next || !X509_CRL_set_version(crl, 1) ||
            !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
            !X509_CRL_set1_lastUpdate(crl, last) || !X509_CRL_set1_nextUpdate(crl, next))
                goto out;
        r = 0;
        for (size_t i = 0; r == 0 && i < n; i++)
                if (fate_of(p, i) == FATE_REVOKED)
                        r = revoke(crl, serial_of(i, 0), last);
        for (size_t j = 0; r == 0 && j < extra; j++)
                r = revoke(crl, FILLER_BASE + j, last);
        if (r == 0)
                r = crl_extensions(crl, ca);
        if (r == 0 && (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, ca->key, EVP_sha256())))
                r = -ENOMEM;
out:
        ASN1_TIME_free(last);
        ASN1_TIME_free(next);
        return r;
}

int cg_write_crl(const char *path, const struct cg_params *p, const struct cg_ca *ca, size_t n,
                 size_t extra)
{
        X509_CRL *crl = X509_CRL_new();
        FILE *f = NULL;
        int r = crl ? fill_crl(crl, p, ca, n, extra) : -ENOMEM;

        if (r == 0) {
                f = fopen(path, "w");
                if (!f || !PEM_write_X509_CRL(f, crl))
                        r = -EIO;
                if (f && fclose(f) != 0)
                        r = -EIO;
        }
        X509_CRL_free(crl);
        return r;
}

enum sw_status cg_status(const struct cg_params *p, size_t i)
{
        static const enum sw_status status[] = {
                [FATE_OK] = SW_OK, [FATE_NOT_FOUND] = SW_CRITICAL,
                [FATE_EXPIRING] = SW_WARNING, [FATE_REVOKED] = SW_CRITICAL,
        };

        return status[fate_of(p, i)];
}

void cg_expected(const struct cg_params *p, size_t n, unsigned counts[SW_STATUS_COUNT])
{
        memset(counts, 0, SW_STATUS_COUNT * sizeof(*counts));
        for (size_t i = 0; i < n; i++)
                counts[cg_status(p, i)]++;
}
