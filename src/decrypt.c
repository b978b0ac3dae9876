/* SPDX-License-Identifier: EUPL-1.2 */
/* Decryption readiness. A renewed certificate is published, but the people
 * who work the mailbox still hold only the old key: every submission is
 * unreadable and no certificate check notices. So this does what a sender
 * does (CMS enveloped data to the published certificate: RSA key transport
 * or ECDH key agreement, AES-256-CBC) and then what the recipient's mail
 * client does (decrypt with the held key), in memory.
 *
 * A key that cannot be read (missing file, wrong password, broken file,
 * a file others can read) is unknown, never a mismatch: only a key that
 * was read and failed to decrypt is DECRYPTION_KEY_MISMATCH. The key and
 * its password live only inside decrypt_check() and are cleansed there;
 * nothing is written anywhere and the password never reaches a message. */
#include "decrypt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "config.h"
#include "evaluate.h"
#include "mailbox.h"
#include "pki.h"
#include "secret.h"
#include "util.h"

/* A soft token is a few KiB; anything near this is not one. */
#define KEY_FILE_MAX (1024u * 1024u)
#define WHY_MAX 512

/* A reason into a WHY_MAX buffer; a long path is simply cut (the reason
 * then still names the file's start, which is enough to find it). */
static void say(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(char *buf, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, WHY_MAX, fmt, ap);
        va_end(ap);
}
#define TEST_TEXT "smimewatch decryption readiness test; this message never leaves memory\r\n"
#define NONCE_LEN 16

struct held_key {
        EVP_PKEY *pkey;
        STACK_OF(X509) *certs;          /* the file's certificates; may be empty */
};

static void held_key_free(struct held_key *k)
{
        EVP_PKEY_free(k->pkey);         /* clears the private key's numbers */
        sk_X509_pop_free(k->certs, X509_free);
        k->pkey = NULL;
        k->certs = NULL;
}

/* The reason of OpenSSL's last error ("mac verify failure"), and the queue
 * emptied: errors stay on this thread's queue otherwise. */
static const char *ssl_reason(void)
{
        unsigned long e = ERR_peek_last_error();
        const char *s = e ? ERR_reason_error_string(e) : NULL;

        ERR_clear_error();
        return s ? s : "unknown OpenSSL error";
}

/* ---- the password ------------------------------------------------------ */

/* key_password_file, else the credential key-password-ADDRESS when systemd
 * passed one, else none (*ret NULL). *source says where it came from, for
 * messages (never the password itself). 0 or negative with why. */
static int read_password(const struct cfg_mailbox *mb, char **ret, char *source, char *why)
{
        const char *file = mb->key_password_file;
        char *name = NULL, *path = NULL, *err = NULL;
        int r;

        *ret = NULL;
        if (file) {
                say(source, "key_password_file '%s'", file);
        } else {
                if (strchr(mb->address, '/'))
                        return 0;
                if (asprintf(&name, DECRYPT_CREDENTIAL_PREFIX "%s", mb->address) < 0)
                        return -ENOMEM;
                r = secret_credential_path(name, &path);
                free(name);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                if (access(path, F_OK) < 0) {
                        free(path);
                        return 0;
                }
                file = path;
                say(source, "credential " DECRYPT_CREDENTIAL_PREFIX "%s", mb->address);
        }
        /* The same rules (regular file, not readable by others, first line)
         * for every secret. */
        r = secret_read_file(file, ret, &err);
        if (r < 0)
                say(why, "key %s", err ? err : "password: cannot be read");
        free(err);
        free(path);
        return r == -ENOMEM ? -ENOMEM : r < 0 ? -EACCES : 0;
}

/* ---- the key file ------------------------------------------------------ */

/* The key file must be a regular file that others cannot read; it is
 * checked on the open file, so that what is read is what was checked. */
static int read_key_file(const char *path, unsigned char **ret, size_t *len, char *why)
{
        struct stat st;
        char buf[128];
        int fd, r;

        fd = -1;
        r = util_open_file(path, &fd, &st);
        if (r == -EISDIR || r == -EINVAL) {
                r = -EINVAL;
                say(why, "key file '%s' is not a regular file", path);
                goto out;
        }
        if (r < 0) {
                /* strerror_r: keys are read on the cycle's worker threads. */
                say(why, "key file '%s': %s", path, strerror_r(-r, buf, sizeof(buf)));
                goto out;
        }
        if (st.st_mode & S_IROTH) {
                r = -EACCES;
                say(why, "key file '%s' is readable by others, so it is not used: "
                         "chmod o-r it", path);
                goto out;
        }
        r = util_read_fd(fd, KEY_FILE_MAX, ret, len);
        if (r < 0)
                say(why, "key file '%s': %s", path,
                         r == -EFBIG ? "larger than 1 MiB, not a key file"
                                     : util_read_error(r, buf, sizeof(buf)));
out:
        if (fd >= 0)
                close(fd);
        return r;
}

/* The MAC of a PKCS#12 file proves the password before anything is
 * decrypted: without one, both no password and the empty one are tried,
 * as mail clients do. NULL (and *ok false) when none fits. */
static const char *p12_password(PKCS12 *p12, const char *pass, bool *ok)
{
        *ok = true;
        if (!PKCS12_mac_present(p12))
                return pass;
        if (pass) {
                *ok = PKCS12_verify_mac(p12, pass, -1) == 1;
                return pass;
        }
        if (PKCS12_verify_mac(p12, NULL, 0) == 1)
                return NULL;
        if (PKCS12_verify_mac(p12, "", 0) == 1)
                return "";
        *ok = false;
        return NULL;
}

static int parse_p12(const unsigned char *data, size_t len, const char *pass, const char *path,
                     const char *source, struct held_key *k, char *why)
{
        const unsigned char *p = data;
        PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
        X509 *cert = NULL;
        const char *use;
        bool ok;
        int r = -EBADMSG;

        if (!p12) {
                ERR_clear_error();
                say(why, "key file '%s' is neither PKCS#12 nor PEM with a private key",
                         path);
                return r;
        }
        use = p12_password(p12, pass, &ok);
        if (!ok) {
                ERR_clear_error();
                if (pass)
                        say(why, "key file '%s': wrong password (from %s)", path, source);
                else
                        say(why, "key file '%s' needs a password: set key_password_file "
                                 "or pass the credential " DECRYPT_CREDENTIAL_PREFIX "ADDRESS", path);
                goto out;
        }
        if (!PKCS12_parse(p12, use, &k->pkey, &cert, &k->certs)) {
                say(why, "key file '%s': cannot decrypt its contents: %s%s", path,
                         ssl_reason(), pass ? "" : " (no password was given)");
                goto out;
        }
        if (!k->pkey) {
                say(why, "key file '%s' holds no private key", path);
                goto out;
        }
        if (!k->certs && !(k->certs = sk_X509_new_null())) {
                r = -ENOMEM;
                goto out;
        }
        /* PKCS12_parse() hands out the key's own certificate apart. */
        if (cert && !sk_X509_unshift(k->certs, cert)) {
                r = -ENOMEM;
                goto out;
        }
        cert = NULL;
        r = 0;
out:
        X509_free(cert);
        PKCS12_free(p12);
        return r;
}

struct pem_password {
        const char *pass;
        bool asked;
};

static int ask_pem_password(char *buf, int size, int rwflag, void *userdata)
{
        struct pem_password *pw = userdata;
        size_t n;

        (void)rwflag;
        pw->asked = true;
        if (!pw->pass)
                return -1;
        n = strlen(pw->pass);
        if (n > (size_t)size)
                return -1;
        memcpy(buf, pw->pass, n);
        return (int)n;
}

/* A PEM file: the first private key (encrypted or not), and every
 * certificate beside it. */
static int parse_pem(const unsigned char *data, size_t len, const char *pass, const char *path,
                     const char *source, struct held_key *k, char *why)
{
        struct pem_password pw = { .pass = pass };
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        X509 *x;

        if (!bio)
                return -ENOMEM;
        k->pkey = PEM_read_bio_PrivateKey(bio, NULL, ask_pem_password, &pw);
        if (!k->pkey) {
                const char *reason = ssl_reason();

                if (pw.asked && !pass)
                        say(why, "key file '%s' holds an encrypted key and there is no "
                                 "password: set key_password_file or pass the credential "
                                 DECRYPT_CREDENTIAL_PREFIX "ADDRESS", path);
                else if (pw.asked)
                        say(why, "key file '%s': wrong password (from %s): %s", path,
                                 source, reason);
                else
                        say(why, "key file '%s' holds no readable private key: %s",
                                 path, reason);
                BIO_free(bio);
                return -EBADMSG;
        }
        k->certs = sk_X509_new_null();
        if (!k->certs || BIO_reset(bio) <= 0) {
                BIO_free(bio);
                return -ENOMEM;
        }
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
                if (!sk_X509_push(k->certs, x)) {
                        X509_free(x);
                        BIO_free(bio);
                        return -ENOMEM;
                }
        ERR_clear_error();      /* the end of the file */
        BIO_free(bio);
        return 0;
}

/* The held key and its certificates. 0, -ENOMEM, or another negative
 * errno with why: the key is unreadable. */
static int load_key(const struct cfg_mailbox *mb, struct held_key *k, char *why)
{
        unsigned char *data = NULL;
        char *pass = NULL, source[WHY_MAX] = "";
        size_t len = 0;
        int r;

        r = read_password(mb, &pass, source, why);
        if (r >= 0)
                r = read_key_file(mb->key, &data, &len, why);
        if (r >= 0)
                /* data is set whenever read_key_file() succeeds; said here
                 * for gcc -fanalyzer, which loses that through util_read_fd(). */
                r = data && memmem(data, len, "-----BEGIN ", 11)
                        ? parse_pem(data, len, pass, mb->key, source, k, why)
                        : parse_p12(data, len, pass, mb->key, source, k, why);
        if (r < 0)
                held_key_free(k);
        if (data) {
                OPENSSL_cleanse(data, len);
                free(data);
        }
        if (pass) {
                OPENSSL_cleanse(pass, strlen(pass));
                free(pass);
        }
        return r;
}

/* ---- the certificate senders use --------------------------------------- */

static bool has_digest(X509 *x, const char *sha256)
{
        char hex[65];

        return pki_sha256_hex(x, hex) && strcmp(hex, sha256) == 0;
}

/* The certificate with this SHA-256 among those a container holds. */
static X509 *find_in(const unsigned char *data, size_t len, const char *sha256)
{
        STACK_OF(X509) *certs = NULL;
        X509 *found = NULL;
        char *why = NULL;

        if (pki_decode(data, len, &certs, &why) == 0)
                for (int i = 0; !found && i < sk_X509_num(certs); i++)
                        if (has_digest(sk_X509_value(certs, i), sha256)) {
                                found = sk_X509_value(certs, i);
                                X509_up_ref(found);
                        }
        sk_X509_pop_free(certs, X509_free);
        free(why);
        return found;
}

/* The best certificate among what was gathered for the verdict. */
static X509 *find_published(const struct mbx_input *in, const struct cert_result *best)
{
        X509 *x = NULL;

        for (size_t i = 0; !x && i < in->n_blobs; i++)
                if (in->blobs[i].source == best->source && !in->blobs[i].read_error)
                        x = find_in(in->blobs[i].data, in->blobs[i].len, best->sha256);
        return x;
}

/* ---- the test ---------------------------------------------------------- */

/* 1: the key decrypted the test message to the same bytes; 0: it could
 * not (why); -EPROTO: nothing could be encrypted to cert (why); -ENOMEM. */
static int round_trip(X509 *cert, EVP_PKEY *pkey, char *why)
{
        unsigned char msg[sizeof(TEST_TEXT) - 1 + NONCE_LEN];
        STACK_OF(X509) *to = sk_X509_new_null();
        BIO *in = NULL, *out = BIO_new(BIO_s_mem());
        CMS_ContentInfo *cms = NULL;
        char *got = NULL;
        long got_len;
        int r = -ENOMEM;

        memcpy(msg, TEST_TEXT, sizeof(TEST_TEXT) - 1);
        if (!to || !out || !sk_X509_push(to, cert) ||
            RAND_bytes(msg + sizeof(TEST_TEXT) - 1, NONCE_LEN) != 1 ||
            !(in = BIO_new_mem_buf(msg, (int)sizeof(msg))))
                goto out;
        cms = CMS_encrypt(to, in, EVP_aes_256_cbc(), CMS_BINARY);
        if (!cms) {
                say(why, "no test message could be encrypted to the published "
                         "certificate: %s", ssl_reason());
                r = -EPROTO;
                goto out;
        }
        /* CMS_DEBUG_DECRYPT: report a failed key transport instead of
         * hiding it behind a random key (a countermeasure for servers that
         * decrypt for strangers; this is our own test message). */
        if (!CMS_decrypt(cms, pkey, cert, NULL, out, CMS_BINARY | CMS_DEBUG_DECRYPT)) {
                say(why, "%s", ssl_reason());
                r = 0;
                goto out;
        }
        got_len = BIO_get_mem_data(out, &got);
        if (got_len != (long)sizeof(msg) || memcmp(got, msg, sizeof(msg)) != 0) {
                say(why, "the test message came out different");
                r = 0;
                goto out;
        }
        r = 1;
out:
        CMS_ContentInfo_free(cms);
        BIO_free(in);
        BIO_free(out);
        sk_X509_free(to);
        return r;
}

static void format_date(const ASN1_TIME *t, char buf[static 11])
{
        struct tm tm;

        if (!t || !ASN1_TIME_to_tm(t, &tm) || !strftime(buf, 11, "%Y-%m-%d", &tm))
                snprintf(buf, 11, "?");
}

/* "it belongs to the certificate serial 0F (CN=..., valid until ...)", or
 * that the file holds none. */
static int describe_owner(const struct held_key *k, X509 *published, char *buf, size_t size)
{
        X509 *own = NULL;
        char *serial = NULL, *subject = NULL, date[11];
        bool older;

        for (int i = 0; !own && i < sk_X509_num(k->certs); i++)
                if (X509_check_private_key(sk_X509_value(k->certs, i), k->pkey) == 1)
                        own = sk_X509_value(k->certs, i);
        ERR_clear_error();
        if (!own) {
                snprintf(buf, size, "the key file holds no certificate of its key");
                return 0;
        }
        serial = eval_serial_hex(own);
        subject = eval_dn_string(X509_get_subject_name(own));
        if (!serial || !subject) {
                free(serial);
                free(subject);
                return -ENOMEM;
        }
        format_date(X509_get0_notAfter(own), date);
        older = ASN1_TIME_compare(X509_get0_notAfter(own), X509_get0_notAfter(published)) < 0;
        snprintf(buf, size, "the key belongs to the certificate serial %s (%s, valid until %s)%s",
                 serial, subject, date,
                 older ? ": the staff do not hold the key of the renewed certificate yet" : "");
        free(serial);
        free(subject);
        return 0;
}

/* The parts of text from outside (file names, certificate names) are
 * raw, cut to a length; the outputs escape them (util_escape()). */
static int add(struct mailbox_result *r, enum problem_code code, enum sw_status level,
               const char *text)
{
        struct problem *p = problem_add(&r->problems, code, level, "%s", text);

        if (!p)
                return -ENOMEM;
        p->scope = PROBLEM_SCOPE_USAGE;
        p->usage = USAGE_ENCRYPTION;
        p->cert = r->best_encryption;
        r->status = problem_list_worst(&r->problems);
        return 0;
}

int decrypt_check(const struct cfg_mailbox *mb, const struct mbx_input *in,
                  struct mailbox_result *r)
{
        const struct cert_result *best;
        struct held_key k = { 0 };
        X509 *published = NULL;
        char why[WHY_MAX] = "", owner[WHY_MAX], msg[3 * WHY_MAX], *path = NULL, *safe = NULL;
        int rc;

        /* Without a usable encryption certificate senders cannot encrypt
         * at all, which the mailbox's verdict already says. */
        if (!mb->key || in->unreachable || r->best_encryption < 0 ||
            (size_t)r->best_encryption >= r->n_certs)
                return 0;
        best = &r->certs[r->best_encryption];
        path = util_cut(mb->key, strlen(mb->key), 1024);
        if (!path)
                return -ENOMEM;
        published = find_published(in, best);
        if (!published) {
                rc = add(r, PROBLEM_DECRYPTION_KEY_UNREADABLE, SW_UNKNOWN,
                         "decryption cannot be checked: the published encryption certificate "
                         "could not be decoded again");
                goto out;
        }
        rc = load_key(mb, &k, why);
        if (rc == -ENOMEM)
                goto out;
        if (rc < 0) {
                /* why names files of the configuration and says what OpenSSL said. */
                safe = util_cut(why, strlen(why), sizeof(why));
                if (!safe) {
                        rc = -ENOMEM;
                        goto out;
                }
                snprintf(msg, sizeof(msg), "decryption cannot be checked: %s", safe);
                rc = add(r, PROBLEM_DECRYPTION_KEY_UNREADABLE, SW_UNKNOWN, msg);
                goto out;
        }
        rc = round_trip(published, k.pkey, why);
        if (rc == -EPROTO) {
                snprintf(msg, sizeof(msg), "decryption cannot be checked: %s", why);
                rc = add(r, PROBLEM_DECRYPTION_KEY_UNREADABLE, SW_UNKNOWN, msg);
        } else if (rc == 0) {
                /* The key fits the certificate and still failed: say why. */
                bool same = EVP_PKEY_eq(X509_get0_pubkey(published), k.pkey) == 1;

                ERR_clear_error();
                rc = describe_owner(&k, published, owner, sizeof(owner));
                if (rc == 0) {
                        snprintf(msg, sizeof(msg), "the key in '%s' cannot decrypt mail encrypted to "
                                 "the published encryption certificate serial %s (%s): %s%s%s",
                                 path, best->serial ? best->serial : "?",
                                 best->subject ? best->subject : "?", owner,
                                 same ? "; decryption failed: " : "", same ? why : "");
                        rc = add(r, PROBLEM_DECRYPTION_KEY_MISMATCH, SW_CRITICAL, msg);
                }
        } else if (rc == 1) {
                rc = 0;
        }
out:
        held_key_free(&k);
        X509_free(published);
        free(path);
        free(safe);
        return rc;
}
