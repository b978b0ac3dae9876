/* SPDX-License-Identifier: EUPL-1.2 */
#include "ldaptest.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"
#include "util.h"

static char *slapd_ctl(void)
{
        return tl_path(tl_srcdir(), "tests/slapd-ctl");
}

void tl_ldap_certs(const char *dir)
{
        char *ctl = slapd_ctl();

        ck_assert_int_eq(tl_sh("'%s' certs '%s'", ctl, dir), 0);
        free(ctl);
}

/* The first line of dir/name, or NULL when there is no such file. */
static char *read_line(const char *dir, const char *name)
{
        char *p = tl_path(dir, name), *line = NULL;
        size_t cap = 0;
        FILE *f = fopen(p, "r");

        free(p);
        if (!f)
                return NULL;
        if (getline(&line, &cap, f) < 0) {
                free(line);
                line = NULL;
        } else {
                line[strcspn(line, "\n")] = 0;
        }
        fclose(f);
        return line;
}

void tl_slapd_start(struct tl_slapd *s, const char *dir, const char *suffix, const char *ldif,
                    const char *cert, const char *key)
{
        char *ctl = slapd_ctl(), *tls = NULL, *ldif_arg = NULL;
        int rc;

        memset(s, 0, sizeof(*s));
        if (cert)
                ck_assert_int_ge(asprintf(&tls, " --tls '%s' '%s'", cert, key), 0);
        if (ldif)
                ck_assert_int_ge(asprintf(&ldif_arg, " --ldif '%s'", ldif), 0);
        /* --watch: slapd goes when this process goes, however it ends. */
        rc = tl_sh("'%s' start '%s' --suffix '%s'%s%s --watch %ld >/dev/null", ctl, dir,
                   suffix ? suffix : "o=Test,c=DE", ldif_arg ? ldif_arg : "", tls ? tls : "",
                   (long)getpid());
        free(tls);
        free(ldif_arg);
        free(ctl);
        ck_assert_msg(rc == 0, "slapd-ctl start %s failed (exit %d)", dir, rc);
        s->dir = strdup(dir);
        s->ldap_url = read_line(dir, "ldap_url");
        s->ldaps_url = cert ? read_line(dir, "ldaps_url") : NULL;
        s->ldapi_url = read_line(dir, "ldapi_url");
        ck_assert_ptr_nonnull(s->dir);
        ck_assert_ptr_nonnull(s->ldap_url);
        ck_assert_ptr_nonnull(s->ldapi_url);
        ck_assert(!cert || s->ldaps_url);
}

void tl_slapd_stop(struct tl_slapd *s)
{
        char *ctl;

        if (!s->dir)
                return;
        ctl = slapd_ctl();
        tl_slapd_freeze(s, false);
        tl_sh("'%s' stop '%s'", ctl, s->dir);
        free(ctl);
        free(s->dir);
        free(s->ldap_url);
        free(s->ldaps_url);
        free(s->ldapi_url);
        memset(s, 0, sizeof(*s));
}

/* Whether every thread of process pid is in state T (stopped). */
static bool all_threads_stopped(const char *pid)
{
        char *pattern = NULL;
        glob_t g = { 0 };
        bool stopped = true;

        if (asprintf(&pattern, "/proc/%s/task/*/stat", pid) < 0)
                return false;
        if (glob(pattern, 0, NULL, &g) != 0)
                stopped = false;
        for (size_t i = 0; stopped && i < g.gl_pathc; i++) {
                char buf[512] = "", *close_paren;
                FILE *f = fopen(g.gl_pathv[i], "re");

                if (f) {
                        if (!fgets(buf, sizeof(buf), f))
                                buf[0] = 0;
                        fclose(f);
                }
                /* "pid (comm) STATE ...": comm may contain spaces or ')'. */
                close_paren = strrchr(buf, ')');
                stopped = close_paren && close_paren[1] == ' ' && close_paren[2] == 'T';
        }
        globfree(&g);
        free(pattern);
        return stopped;
}

void tl_slapd_freeze(const struct tl_slapd *s, bool frozen)
{
        char *pid = s->dir ? read_line(s->dir, "slapd.pid") : NULL;

        if (pid && atol(pid) > 1) {
                kill((pid_t)atol(pid), frozen ? SIGSTOP : SIGCONT);
                /* SIGSTOP is delivered asynchronously: wait until every
                 * thread is stopped, or slapd may still answer a request. */
                for (int i = 0; frozen && i < 200 && !all_threads_stopped(pid); i++)
                        usleep(10 * 1000);
        }
        free(pid);
}

static int listener(int *port)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        ck_assert_int_eq(listen(fd, 16), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        *port = ntohs(a.sin_port);
        return fd;
}

int tl_dead_port(void)
{
        int port, fd = listener(&port);

        /* Closed again: connections are refused until someone else binds it,
         * which the kernel's port allocation makes unlikely for a while. */
        close(fd);
        return port;
}

int tl_hung_listener(int *port)
{
        return listener(port);
}

char *tl_base64(const unsigned char *p, size_t n)
{
        char *out = malloc(4 * ((n + 2) / 3) + 1);

        ck_assert_ptr_nonnull(out);
        EVP_EncodeBlock((unsigned char *)out, p, (int)n);
        return out;
}

void tl_ldif_mailbox(FILE *f, const char *cn, const char *parent, const char *mail,
                     const char *der_file)
{
        unsigned char *der = NULL;
        char *b64 = NULL;
        size_t len;

        fprintf(f, "dn: cn=%s,%s\nobjectClass: inetOrgPerson\ncn: %s\nsn: %s\nmail: %s\n", cn,
                parent, cn, cn, mail);
        if (der_file) {
                ck_assert_msg(util_read_file(der_file, UTIL_MAX_FILE_SIZE, &der, &len) == 0,
                              "cannot read %s", der_file);
                b64 = tl_base64(der, len);
                fprintf(f, "userCertificate;binary:: %s\n", b64);
        }
        fputc('\n', f);
        free(b64);
        free(der);
}
