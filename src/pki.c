/* SPDX-License-Identifier: EUPL-1.2 */
/* Loading [pki] into one X509_STORE (anchors and CRLs) plus a stack of
 * untrusted intermediates, built once per configuration so that an
 * evaluation never touches the file system; and decoding certificate
 * containers with OpenSSL's own decoders only. */
#include "pki.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "policycheck.h"
#include "util.h"
#include "vmemo.h"

#define PATH_MSG_MAX 512

struct pki {
        struct cfg_pki settings;        /* a deep copy: the pki outlives no cfg */
        X509_STORE *store;              /* anchors, flags and policies */
        STACK_OF(X509) *intermediates;
        STACK_OF(X509_CRL) *crls;
        char **crl_paths;               /* the file of each of crls (escaped), or NULL */
        size_t n_crl_paths;
        size_t n_anchors;
};

/* What a file is expected to hold. */
enum pki_kind { PKI_KIND_CERTS, PKI_KIND_CRLS };

static int fmt_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fmt_err(char **err, const char *fmt, ...)
{
        va_list ap;
        int r;

        free(*err);
        *err = NULL;
        va_start(ap, fmt);
        r = vasprintf(err, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *err = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The reason OpenSSL gave last, and an empty error queue afterwards, so
 * that one failed decoding never leaks into the next call's diagnosis. */
static const char *ossl_reason(void)
{
        unsigned long e = ERR_peek_last_error();
        const char *s = e ? ERR_reason_error_string(e) : NULL;

        ERR_clear_error();
        return s ? s : "malformed data";
}

/* A path as it may appear in a message: file names come from directory
 * listings and are escaped like any other untrusted text. */
static char *path_msg(const char *path)
{
        return util_sanitize(path, strlen(path), PATH_MSG_MAX);
}

static int push_cert(STACK_OF(X509) *sk, X509 *x)
{
        if (!X509_up_ref(x))
                return -ENOMEM;
        if (!sk_X509_push(sk, x)) {
                X509_free(x);
                return -ENOMEM;
        }
        return 0;
}

/* ---- one DER certificate, fast --------------------------------------------
 *
 * OpenSSL 3.0's d2i_X509() decodes the public key through OSSL_DECODER,
 * and setting that decoder up (a search through every decoder and key
 * manager of the providers, name by name, under locks) costs about a
 * million instructions per certificate: more than the RSA signature check
 * and the rest of the parsing together (3.2 caches the setup; 3.0 does
 * not). A cycle decodes every published certificate, so for the common
 * case, an RSA key, pki_d2i_x509() avoids that search:
 *
 *  - the certificate is parsed with the key's decoding pointed at a
 *    library context without algorithms (only the built-in "null"
 *    provider, so that OpenSSL does not load the default one into it):
 *    the search finds nothing at once and the key is left undecoded;
 *  - the RSAPublicKey in the SubjectPublicKeyInfo is decoded with
 *    d2i_PublicKey(), which needs no search, and set as the key, when
 *    the SubjectPublicKeyInfo that X509_set_pubkey() makes from it is
 *    the one decoded (NULL parameters, the key encoding back to the same
 *    bytes);
 *  - the result is taken only when it encodes back to exactly the bytes
 *    it came from (the to-be-signed part is kept as decoded, so this
 *    compares the signature algorithm and the signature): then every
 *    field, the key included, is what d2i_X509() would have given, and
 *    its signature covers the same bytes.
 *
 * Anything else (another key type, a difference, any error) is decoded by
 * d2i_X509() itself, with the error queue as if the fast path had not
 * been tried. check_pkits and check_vmemo run the PKITS certificates and
 * the test PKIs through both and require the same verdicts. */
bool pki_slow_decoding;

static OSSL_LIB_CTX *no_algorithms;
static pthread_once_t no_algorithms_once = PTHREAD_ONCE_INIT;

static void no_algorithms_init(void)
{
        OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();

        if (c && !OSSL_PROVIDER_load(c, "null")) {
                OSSL_LIB_CTX_free(c);
                c = NULL;
        }
        no_algorithms = c;
}

/* The largest RSAPublicKey the fast path takes (RSA-8192: 1,038 bytes). */
#define FAST_KEY_MAX 1100

/* The fast path: NULL when it does not apply or fails. */
static X509 *d2i_rsa_cert(const unsigned char **pp, long len)
{
        const unsigned char *p = *pp, *bits, *key;
        const ASN1_OBJECT *alg;
        const ASN1_BIT_STRING *bs;
        X509_ALGOR *params;
        unsigned char *back = NULL, was[FAST_KEY_MAX];
        EVP_PKEY *pkey = NULL;
        X509 *x = NULL;
        int bits_len, back_len, ptype = V_ASN1_UNDEF;
        bool same = false;

        if (pthread_once(&no_algorithms_once, no_algorithms_init) != 0 || !no_algorithms)
                return NULL;
        x = (X509 *)ASN1_item_d2i_ex(NULL, &p, len, ASN1_ITEM_rptr(X509), no_algorithms, NULL);
        if (!x || !X509_PUBKEY_get0_param((ASN1_OBJECT **)&alg, &bits, &bits_len, &params,
                                          X509_get_X509_PUBKEY(x)) ||
            OBJ_obj2nid(alg) != NID_rsaEncryption || bits_len <= 0 || bits_len > FAST_KEY_MAX ||
            !(bs = X509_get0_pubkey_bitstr(x)) || (bs->flags & 0x7))
                goto out;
        X509_ALGOR_get0(NULL, &ptype, NULL, params);
        memcpy(was, bits, (size_t)bits_len);
        key = bits;
        pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &key, bits_len);
        /* X509_set_pubkey() makes the SubjectPublicKeyInfo anew from the
         * key (NULL parameters, the key re-encoded): taken only when that
         * is the one decoded. */
        if (!pkey || ptype != V_ASN1_NULL || !X509_set_pubkey(x, pkey) ||
            !(bs = X509_get0_pubkey_bitstr(x)) || bs->length != bits_len ||
            memcmp(bs->data, was, (size_t)bits_len) != 0)
                goto out;
        /* The to-be-signed part encodes as it was decoded (OpenSSL keeps
         * those bytes); this compares the rest. */
        back_len = i2d_X509(x, &back);
        same = back_len > 0 && back_len == p - *pp && memcmp(back, *pp, (size_t)back_len) == 0;
out:
        OPENSSL_free(back);
        EVP_PKEY_free(pkey);
        if (!same) {
                X509_free(x);
                return NULL;
        }
        *pp = p;
        return x;
}

X509 *pki_d2i_x509(const unsigned char **pp, long len)
{
        X509 *x;

        if (pki_slow_decoding)
                return d2i_X509(NULL, pp, len);
        ERR_set_mark();
        x = d2i_rsa_cert(pp, len);
        ERR_pop_to_mark();
        return x ? x : d2i_X509(NULL, pp, len);
}

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_init(void)
{
        sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *pki_sha256(void)
{
        if (pthread_once(&sha256_once, sha256_init) != 0 || !sha256)
                return EVP_sha256();
        return sha256;
}

bool pki_sha256_hex(const X509 *x, char out[static 65])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;

        if (!X509_digest(x, pki_sha256(), md, &len) || len != 32)
                return false;
        util_hex(md, len, out);
        return true;
}

bool pki_sha256_data_hex(const void *data, size_t len, char out[static 65])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;

        if (!EVP_Digest(data, len, md, &md_len, pki_sha256(), NULL) || md_len != 32)
                return false;
        util_hex(md, md_len, out);
        return true;
}

/* The certificate of signed data's first signer, which is the subject
 * of an S/MIME signature (.p7s) whatever order its certificates are in;
 * NULL for the certs-only form, which keeps its order. */
static X509 *pkcs7_signer(PKCS7 *p7)
{
        STACK_OF(X509) *signers;
        X509 *x = NULL;

        if (!PKCS7_type_is_signed(p7) || sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)) <= 0)
                return NULL;
        signers = PKCS7_get0_signers(p7, NULL, 0);
        if (sk_X509_num(signers) > 0)
                x = sk_X509_value(signers, 0);
        sk_X509_free(signers);
        ERR_clear_error();
        return x;
}

static int pkcs7_certs(PKCS7 *p7, STACK_OF(X509) *out, char **why)
{
        STACK_OF(X509) *certs = NULL;
        X509 *signer;
        int r;

        if (PKCS7_type_is_signed(p7))
                certs = p7->d.sign ? p7->d.sign->cert : NULL;
        else if (PKCS7_type_is_signedAndEnveloped(p7))
                certs = p7->d.signed_and_enveloped ? p7->d.signed_and_enveloped->cert : NULL;
        else
                return fmt_err(why, "PKCS#7 of type %s cannot hold certificates",
                               OBJ_nid2sn(OBJ_obj2nid(p7->type))) < 0 ? -ENOMEM : -EBADMSG;
        signer = pkcs7_signer(p7);
        if (signer && (r = push_cert(out, signer)) < 0)
                return r;
        for (int i = 0; i < sk_X509_num(certs); i++) {
                if (sk_X509_value(certs, i) == signer)
                        continue;
                r = push_cert(out, sk_X509_value(certs, i));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One DER object: a certificate, else a PKCS#7 (signed data, which
 * includes the certs-only form of userSMIMECertificate). */
static int decode_der(const unsigned char *data, size_t len, STACK_OF(X509) *out, char **why)
{
        const unsigned char *p = data;
        X509 *x = NULL;
        PKCS7 *p7 = NULL;
        const char *cert_reason;
        int r;

        x = pki_d2i_x509(&p, (long)len);
        if (x) {
                if (p != data + len) {
                        r = fmt_err(why, "%zu bytes of trailing data after the DER certificate",
                                    (size_t)(data + len - p)) < 0 ? -ENOMEM : -EBADMSG;
                        goto out;
                }
                r = push_cert(out, x);
                goto out;
        }
        cert_reason = ossl_reason();
        p = data;
        p7 = d2i_PKCS7(NULL, &p, (long)len);
        if (!p7) {
                ossl_reason();
                r = fmt_err(why, "neither a DER certificate nor PKCS#7 (%s)", cert_reason) < 0
                        ? -ENOMEM : -EBADMSG;
                goto out;
        }
        if (p != data + len) {
                r = fmt_err(why, "%zu bytes of trailing data after the PKCS#7 structure",
                            (size_t)(data + len - p)) < 0 ? -ENOMEM : -EBADMSG;
                goto out;
        }
        r = pkcs7_certs(p7, out, why);
out:
        X509_free(x);
        PKCS7_free(p7);
        return r;
}

static bool pem_is_cert(const char *name)
{
        return strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0;
}

static bool pem_is_pkcs7(const char *name)
{
        return strcmp(name, PEM_STRING_PKCS7) == 0 || strcmp(name, PEM_STRING_PKCS7_SIGNED) == 0 ||
               strcmp(name, PEM_STRING_CMS) == 0;
}

/* One PEM block's DER contents, by the block's name; blocks of other
 * kinds (private keys, parameters) are skipped, not errors. */
static int decode_pem_block(const char *name, const unsigned char *der, long len,
                            enum pki_kind kind, STACK_OF(X509) *certs,
                            STACK_OF(X509_CRL) *crls, char **why)
{
        const unsigned char *p = der;
        X509_CRL *crl = NULL;
        X509 *x = NULL;
        int r = 0;

        if (kind == PKI_KIND_CRLS && strcmp(name, PEM_STRING_X509_CRL) == 0) {
                crl = d2i_X509_CRL(NULL, &p, len);
                if (!crl || p != der + len)
                        r = fmt_err(why, "invalid CRL in PEM block (%s)", ossl_reason()) < 0
                                ? -ENOMEM : -EBADMSG;
                else if (!sk_X509_CRL_push(crls, crl))
                        r = -ENOMEM;
                else
                        crl = NULL;
        } else if (kind == PKI_KIND_CRLS) {
                /* anything else in a CRL file is skipped */
        } else if (pem_is_cert(name) || strcmp(name, PEM_STRING_X509_TRUSTED) == 0) {
                bool aux = strcmp(name, PEM_STRING_X509_TRUSTED) == 0;

                x = aux ? d2i_X509_AUX(NULL, &p, len) : pki_d2i_x509(&p, len);
                if (!x || p != der + len) {
                        r = fmt_err(why, "invalid certificate in PEM block (%s)", ossl_reason()) < 0
                                ? -ENOMEM : -EBADMSG;
                        goto out;
                }
                /* OpenSSL's trust settings must not override the configuration. */
                X509_trust_clear(x);
                X509_reject_clear(x);
                r = push_cert(certs, x);
        } else if (pem_is_pkcs7(name)) {
                r = decode_der(der, (size_t)len, certs, why);
        }
out:
        X509_CRL_free(crl);
        X509_free(x);
        return r;
}

/* Walks every PEM block of the buffer, counting them in *blocks.
 * -EBADMSG when a block is corrupt; what is missing is left to the
 * caller to judge. */
static int decode_pem(const unsigned char *data, size_t len, enum pki_kind kind,
                      STACK_OF(X509) *certs, STACK_OF(X509_CRL) *crls, int *blocks, char **why)
{
        BIO *bio = NULL;
        int r = 0;

        *blocks = 0;
        bio = BIO_new_mem_buf(data, (int)len);
        if (!bio)
                return -ENOMEM;
        for (int n = 1;; n++) {
                char *name = NULL, *header = NULL;
                unsigned char *der = NULL;
                long der_len = 0;
                unsigned long e;

                if (!PEM_read_bio(bio, &name, &header, &der, &der_len)) {
                        e = ERR_peek_last_error();
                        if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                                ERR_clear_error();
                                break;
                        }
                        r = fmt_err(why, "PEM block %d is corrupt (%s)", n, ossl_reason()) < 0
                                ? -ENOMEM : -EBADMSG;
                        break;
                }
                *blocks = n;
                r = decode_pem_block(name, der, der_len, kind, certs, crls, why);
                OPENSSL_free(name);
                OPENSSL_free(header);
                OPENSSL_free(der);
                if (r < 0)
                        break;
        }
        BIO_free(bio);
        return r;
}

/* DER starts with a SEQUENCE tag; anything else can only be PEM. */
static bool looks_like_der(const unsigned char *data, size_t len)
{
        return len > 0 && data[0] == 0x30;
}

/* Why nothing was found: no DER, no PEM, or PEM of some other kind. */
static int nothing_found(bool der, int blocks, const char *what, char **why)
{
        int r;

        if (der)
                r = fmt_err(why, "PKCS#7 without certificates");
        else if (blocks > 0)
                r = fmt_err(why, "PEM data without any %s", what);
        else
                r = fmt_err(why, "no %s found (neither DER nor PEM)", what);
        return r < 0 ? -ENOMEM : -EBADMSG;
}

int pki_decode(const unsigned char *data, size_t len, STACK_OF(X509) **ret, char **why)
{
        STACK_OF(X509) *certs = NULL;
        bool der = looks_like_der(data, len);
        int r, blocks = 0;

        *why = NULL;
        if (len == 0)
                return fmt_err(why, "empty value") < 0 ? -ENOMEM : -EBADMSG;
        /* OpenSSL's decoders take int or long lengths. */
        if (len > INT_MAX)
                return fmt_err(why, "value too large (%zu bytes)", len) < 0 ? -ENOMEM : -EBADMSG;
        certs = sk_X509_new_null();
        if (!certs)
                return -ENOMEM;
        if (der)
                r = decode_der(data, len, certs, why);
        else
                r = decode_pem(data, len, PKI_KIND_CERTS, certs, NULL, &blocks, why);
        if (r == 0 && sk_X509_num(certs) == 0)
                r = nothing_found(der, blocks, "certificate", why);
        if (r < 0)
                goto out;
        *ret = certs;
        certs = NULL;
out:
        sk_X509_pop_free(certs, X509_free);
        ERR_clear_error();
        return r;
}

int pki_read_file(const char *path, struct pki_file *f)
{
        char buf[128];
        const char *reason;

        *f = (struct pki_file){ 0 };
        f->error = util_read_file(path, UTIL_MAX_FILE_SIZE, &f->data, &f->len);
        if (f->error == -ENOMEM)
                return -ENOMEM;
        if (f->error < 0) {
                /* util_read_error: --verify reads files on several threads too. */
                reason = util_read_error(f->error, buf, sizeof(buf));
                f->why = strdup(reason);
                return f->why ? 0 : -ENOMEM;
        }
        f->error = pki_decode(f->data, f->len, &f->certs, &f->why);
        if (f->error == -ENOMEM)
                return -ENOMEM;
        if (f->error < 0 && !f->why && !(f->why = strdup("not a certificate")))
                return -ENOMEM;
        return 0;
}

void pki_file_free(struct pki_file *f)
{
        if (!f)
                return;
        sk_X509_pop_free(f->certs, X509_free);
        free(f->data);
        free(f->why);
        *f = (struct pki_file){ 0 };
}

/* ---- pki_load ---- */

static int add_certs(struct pki *p, STACK_OF(X509) *certs, bool anchors)
{
        for (int i = 0; i < sk_X509_num(certs); i++) {
                X509 *x = sk_X509_value(certs, i);

                if (anchors) {
                        if (!X509_STORE_add_cert(p->store, x))
                                return -ENOMEM;
                        p->n_anchors++;
                } else if (push_cert(p->intermediates, x) < 0) {
                        return -ENOMEM;
                }
        }
        return 0;
}

/* The CRLs are not put in the store: the store finds a CRL only by the
 * certificate's issuer name, which misses indirect CRLs (RFC 5280
 * cRLIssuer). A stack given to each X509_STORE_CTX is searched whole. */
static int add_crls(struct pki *p, STACK_OF(X509_CRL) *crls, const char *path)
{
        for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
                X509_CRL *crl = sk_X509_CRL_value(crls, i);
                char **grown;

                if (!X509_CRL_up_ref(crl))
                        return -ENOMEM;
                if (!sk_X509_CRL_push(p->crls, crl)) {
                        X509_CRL_free(crl);
                        return -ENOMEM;
                }
                grown = realloc(p->crl_paths, (p->n_crl_paths + 1) * sizeof(*grown));
                if (!grown)
                        return -ENOMEM;
                p->crl_paths = grown;
                grown[p->n_crl_paths++] = path ? path_msg(path) : NULL;
        }
        return 0;
}

int pki_decode_crls(const unsigned char *data, size_t len, STACK_OF(X509_CRL) *crls, char **why)
{
        const unsigned char *p = data;
        X509_CRL *crl = NULL;
        int r, blocks = 0;

        if (len > INT_MAX)
                return fmt_err(why, "too large") < 0 ? -ENOMEM : -EBADMSG;
        if (!looks_like_der(data, len)) {
                r = decode_pem(data, len, PKI_KIND_CRLS, NULL, crls, &blocks, why);
                if (r == 0 && sk_X509_CRL_num(crls) == 0)
                        r = nothing_found(false, blocks, "CRL", why);
                return r;
        }
        crl = d2i_X509_CRL(NULL, &p, (long)len);
        if (!crl || p != data + len) {
                X509_CRL_free(crl);
                return fmt_err(why, "not a DER CRL (%s)", ossl_reason()) < 0 ? -ENOMEM : -EBADMSG;
        }
        if (!sk_X509_CRL_push(crls, crl)) {
                X509_CRL_free(crl);
                return -ENOMEM;
        }
        return 0;
}

/* One regular file into p: certificates (anchors or intermediates) or CRLs. */
static int load_file(struct pki *p, const char *path, const char *key, enum pki_kind kind,
                     bool anchors, char **err)
{
        STACK_OF(X509) *certs = NULL;
        STACK_OF(X509_CRL) *crls = NULL;
        unsigned char *data = NULL;
        char *why = NULL, *pm = NULL;
        size_t len = 0;
        int r;

        pm = path_msg(path);
        if (!pm)
                return -ENOMEM;
        r = util_read_file(path, UTIL_MAX_FILE_SIZE, &data, &len);
        if (r < 0) {
                char buf[128];

                fmt_err(err, "%s: cannot read '%s': %s", key, pm, util_read_error(r, buf, sizeof(buf)));
                goto out;
        }
        if (kind == PKI_KIND_CRLS) {
                crls = sk_X509_CRL_new_null();
                r = crls ? pki_decode_crls(data, len, crls, &why) : -ENOMEM;
                if (r == 0)
                        r = add_crls(p, crls, path);
        } else {
                r = pki_decode(data, len, &certs, &why);
                if (r == 0)
                        r = add_certs(p, certs, anchors);
        }
        if (r < 0 && r != -ENOMEM)
                fmt_err(err, "%s: cannot use '%s': %s", key, pm, why ? why : strerror(-r));
out:
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
        sk_X509_pop_free(certs, X509_free);
        free(data);
        free(why);
        free(pm);
        return r;
}

static int skip_hidden(const struct dirent *d)
{
        return d->d_name[0] != '.';
}

/* A file, or every regular non-hidden file of a directory in name order
 * (sorted, so that error messages and chain choices are reproducible). */
static int load_path(struct pki *p, const char *path, const char *key, enum pki_kind kind,
                     bool anchors, char **err)
{
        struct dirent **list = NULL;
        struct stat st;
        int n = 0, r = 0;

        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return load_file(p, path, key, kind, anchors, err);
        n = scandir(path, &list, skip_hidden, alphasort);
        if (n < 0) {
                char *pm = path_msg(path);

                r = -errno;
                fmt_err(err, "%s: cannot list '%s': %s", key, pm ? pm : "?", strerror(-r));
                free(pm);
                return r;
        }
        for (int i = 0; i < n && r == 0; i++) {
                char *file = NULL;

                if (asprintf(&file, "%s/%s", path, list[i]->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                /* stat follows symbolic links: a link to a file counts as a file,
                 * and a dangling one is reported by load_file. */
                if (stat(file, &st) < 0 || S_ISREG(st.st_mode))
                        r = load_file(p, file, key, kind, anchors, err);
                free(file);
        }
        for (int i = 0; i < n; i++)
                free(list[i]);
        free(list);
        return r;
}

/* gcc -fanalyzer (GCC 12) loses a pointer stored in an element of an array the caller owns (each
 * string strdup()ed into *dst[], freed with the settings, also after a failure halfway: the array
 * is calloc()ed and n is the caller's count) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int copy_strv(char **src, size_t n, char ***dst)
{
        if (n == 0)
                return 0;
        *dst = calloc(n, sizeof(char *));
        if (!*dst)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                (*dst)[i] = strdup(src[i]);
                if (!(*dst)[i])
                        return -ENOMEM;
        }
        return 0;
}
#pragma GCC diagnostic pop

static int copy_settings(const struct cfg_pki *s, struct cfg_pki *d)
{
        *d = *s;
        d->trust_anchors = NULL;
        d->intermediates = NULL;
        d->crls = NULL;
        d->require_policy = NULL;
        d->http_proxy = util_strdup0(s->http_proxy);
        memset(d->origin, 0, sizeof(d->origin));
        d->trust_anchors = util_strdup0(s->trust_anchors);
        d->intermediates = util_strdup0(s->intermediates);
        if ((s->trust_anchors && !d->trust_anchors) || (s->intermediates && !d->intermediates) ||
            (s->http_proxy && !d->http_proxy) ||
            copy_strv(s->crls, s->n_crls, &d->crls) < 0 ||
            copy_strv(s->require_policy, s->n_require_policy, &d->require_policy) < 0)
                return -ENOMEM;
        /* The origins too: the pki outlives the cfg it was loaded from. */
        for (size_t i = 0; i < CFG_PKI_PATH_KEYS; i++) {
                d->origin[i] = util_strdup0(s->origin[i]);
                if (s->origin[i] && !d->origin[i])
                        return -ENOMEM;
        }
        return 0;
}

/* The X509_V_FLAG_ set that [pki] implies. */
static unsigned long verify_flags(const struct pki *p)
{
        const struct cfg_pki *s = &p->settings;
        /* Policy processing always runs, as RFC 5280 requires: a CA's
         * requireExplicitPolicy binds even when no policy is configured.
         * Configured anchors are trusted as they are (RFC 5280 anchors are
         * a name and a key), so a sub CA may be configured as the anchor. */
        unsigned long flags = X509_V_FLAG_POLICY_CHECK | X509_V_FLAG_PARTIAL_CHAIN;

        if (s->revocation)
                flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                         X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS;
        if (s->n_require_policy > 0)
                flags |= X509_V_FLAG_EXPLICIT_POLICY;
        return flags;
}

/* Dotted decimal only: OBJ_txt2obj alone also takes "1.2.3." and names. */
static bool oid_syntax(const char *s)
{
        int arcs = 0;

        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char)*p))
                        return false;
                if (*p == '0' && isdigit((unsigned char)p[1]))
                        return false;
                while (isdigit((unsigned char)p[1]))
                        p++;
                arcs++;
                if (p[1] == '.' && p[2])
                        p++;
                else if (p[1])
                        return false;
        }
        return arcs >= 2;
}

/* The rule for a [pki] require_policy OID, for the check and the store
 * alike: 0 with the object (caller frees), or -EINVAL with *why. */
static int policy_oid(const char *s, ASN1_OBJECT **ret, const char **why)
{
        char buf[256];
        int n;

        if (!oid_syntax(s) || !(*ret = OBJ_txt2obj(s, 1))) {
                *why = "not a dotted OID such as 2.5.29.32.0";
                return -EINVAL;
        }
        n = OBJ_obj2txt(buf, sizeof(buf), *ret, 1);
        if (n <= 0 || (size_t)n >= sizeof(buf)) {
                ASN1_OBJECT_free(*ret);
                *ret = NULL;
                *why = "OID too long";
                return -EINVAL;
        }
        return 0;
}

void pki_check_settings(struct cfg *c, enum cfg_need need, struct cfg_report *r)
{
        (void)need;
        for (size_t i = 0; i < c->pki.n_require_policy; i++) {
                ASN1_OBJECT *oid = NULL;
                const char *why = NULL;

                if (policy_oid(c->pki.require_policy[i], &oid, &why) < 0)
                        cfg_report_value(r, CFG_KEY_PKI_REQUIRE_POLICY, c->pki.require_policy[i],
                                         "%s", why);
                ASN1_OBJECT_free(oid);
        }
        ERR_clear_error();
}

/* Verification parameters every evaluation inherits from the store. */
static int set_params(struct pki *p, char **err)
{
        const struct cfg_pki *s = &p->settings;
        X509_VERIFY_PARAM *param = X509_STORE_get0_param(p->store);
        /* RFC 5280's default initial-policy-set is {anyPolicy}; OpenSSL needs
         * it spelled out, or a CA's requireExplicitPolicy finds no user policy. */
        static char *any_policy[] = { "2.5.29.32.0" };
        char **policies = s->n_require_policy ? s->require_policy : any_policy;
        size_t n = s->n_require_policy ? s->n_require_policy : 1;

        if (!X509_VERIFY_PARAM_set_flags(param, verify_flags(p)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                ASN1_OBJECT *oid = NULL;
                const char *why = NULL;

                if (policy_oid(policies[i], &oid, &why) < 0) {
                        ERR_clear_error();
                        fmt_err(err, "require_policy '%s': %s", policies[i], why);
                        return -EINVAL;
                }
                if (!X509_VERIFY_PARAM_add0_policy(param, oid)) {
                        ASN1_OBJECT_free(oid);
                        return -ENOMEM;
                }
        }
        return 0;
}


/* "FILE:LINE: [pki] key" where the configuration says, else "key". */
static char *key_label(const struct cfg_pki *origins, enum cfg_pki_path key, const char *name)
{
        char *label = NULL;

        if (origins->origin[key])
                return asprintf(&label, "%s: [pki] %s", origins->origin[key], name) < 0 ? NULL
                                                                                          : label;
        return strdup(name);
}

static int load_all(struct pki *p, const struct cfg_pki *origins, char **err)
{
        const struct cfg_pki *s = &p->settings;
        char *label = NULL;
        int r = -ENOMEM;

        if (!s->trust_anchors) {
                fmt_err(err, "trust_anchors is not set");
                return -EINVAL;
        }
        label = key_label(origins, CFG_PKI_TRUST_ANCHORS, "trust_anchors");
        if (!label)
                goto out;
        r = load_path(p, s->trust_anchors, label, PKI_KIND_CERTS, true, err);
        if (r < 0)
                goto out;
        if (p->n_anchors == 0) {
                char *pm = path_msg(s->trust_anchors);

                fmt_err(err, "%s: no certificate in '%s'", label, pm ? pm : "?");
                free(pm);
                r = -EINVAL;
                goto out;
        }
        if (s->intermediates) {
                free(label);
                label = key_label(origins, CFG_PKI_INTERMEDIATES, "intermediates");
                r = label ? load_path(p, s->intermediates, label, PKI_KIND_CERTS, false, err)
                          : -ENOMEM;
                if (r < 0)
                        goto out;
        }
        free(label);
        label = key_label(origins, CFG_PKI_CRLS, "crls");
        if (!label) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < s->n_crls; i++) {
                r = load_path(p, s->crls[i], label, PKI_KIND_CRLS, false, err);
                if (r < 0)
                        goto out;
        }
        r = set_params(p, err);
out:
        free(label);
        return r;
}

/* OpenSSL fills some caches on first use: a certificate's extension flags,
 * a CRL's list of revoked serials sorted for lookups. Filling them now,
 * while one thread owns the pki, leaves the evaluations that share it
 * (cycle.c runs several at once) nothing to write. */
static int warm_caches(struct pki *p)
{
        STACK_OF(X509_OBJECT) *objects = X509_STORE_get0_objects(p->store);
        ASN1_INTEGER *zero = ASN1_INTEGER_new();
        X509_REVOKED *rev;

        if (!zero || !ASN1_INTEGER_set(zero, 0)) {
                ASN1_INTEGER_free(zero);
                return -ENOMEM;
        }
        for (int i = 0; i < sk_X509_OBJECT_num(objects); i++) {
                X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));

                if (x)
                        X509_check_purpose(x, -1, 0);
        }
        for (int i = 0; i < sk_X509_num(p->intermediates); i++)
                X509_check_purpose(sk_X509_value(p->intermediates, i), -1, 0);
        for (int i = 0; i < sk_X509_CRL_num(p->crls); i++)
                X509_CRL_get0_by_serial(sk_X509_CRL_value(p->crls, i), &rev, zero);
        ASN1_INTEGER_free(zero);
        ERR_clear_error();
        return 0;
}

int pki_load(const struct cfg_pki *settings, struct pki **ret, char **err)
{
        struct pki *p = NULL;
        int r;

        *err = NULL;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        r = copy_settings(settings, &p->settings);
        if (r < 0)
                goto out;
        p->store = X509_STORE_new();
        p->intermediates = sk_X509_new_null();
        p->crls = sk_X509_CRL_new_null();
        if (!p->store || !p->intermediates || !p->crls) {
                r = -ENOMEM;
                goto out;
        }
        r = load_all(p, settings, err);
        if (r == 0)
                r = warm_caches(p);
        if (r == 0)
                r = vmemo_install(p->store);
        if (r == 0)
                r = policycheck_install(p->store);
        if (r < 0)
                goto out;
        *ret = p;
        p = NULL;
out:
        if (r == -ENOMEM && !*err)
                fmt_err(err, "out of memory");
        ERR_clear_error();
        pki_free(p);
        return r;
}

void pki_free(struct pki *p)
{
        if (!p)
                return;
        X509_STORE_free(p->store);
        sk_X509_pop_free(p->intermediates, X509_free);
        sk_X509_CRL_pop_free(p->crls, X509_CRL_free);
        for (size_t i = 0; i < p->n_crl_paths; i++)
                free(p->crl_paths[i]);
        free(p->crl_paths);
        free(p->settings.http_proxy);
        free(p->settings.trust_anchors);
        free(p->settings.intermediates);
        util_strv_free(p->settings.crls, p->settings.n_crls);
        util_strv_free(p->settings.require_policy, p->settings.n_require_policy);
        for (size_t i = 0; i < CFG_PKI_PATH_KEYS; i++)
                free(p->settings.origin[i]);
        free(p);
}

const struct cfg_pki *pki_settings(const struct pki *p)
{
        return &p->settings;
}

X509_STORE *pki_store(const struct pki *p)
{
        return p->store;
}

STACK_OF(X509) *pki_intermediates(const struct pki *p)
{
        return p->intermediates;
}

STACK_OF(X509_CRL) *pki_crls(const struct pki *p)
{
        return p->crls;
}

const char *pki_crl_path(const struct pki *p, const X509_CRL *crl)
{
        for (int i = 0; i < sk_X509_CRL_num(p->crls) && (size_t)i < p->n_crl_paths; i++)
                if (sk_X509_CRL_value(p->crls, i) == crl)
                        return p->crl_paths[i];
        return NULL;
}

bool pki_asn1_time(const ASN1_TIME *t, time_t *ret)
{
        struct tm tm;

        if (!t || !ASN1_TIME_to_tm(t, &tm))
                return false;
        *ret = timegm(&tm);
        return true;
}
