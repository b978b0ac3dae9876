/* SPDX-License-Identifier: EUPL-1.2 */
#include "httptest.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "util.h"

static bool port_free(int port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
        bool ok;

        ck_assert_int_ge(fd, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(fd);
        return ok;
}

int tl_fixed_port(void)
{
        srand((unsigned)(time(NULL) ^ getpid()));
        for (int i = 0; i < 200; i++) {
                int p = 10000 + rand() % 22000;

                if (port_free(p))
                        return p;
        }
        ck_abort_msg("no free port");
        return -1;
}

static bool connects(int port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        ck_assert_int_ge(fd, 0);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(fd);
        return ok;
}

/* argv in a child that dies with this process, output to log (or /dev/null). */
static pid_t spawn(const char *const *argv, const char *log)
{
        pid_t parent = getpid(), pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(1);
                if (!freopen(log ? log : "/dev/null", "w", stdout) || dup2(1, 2) < 0)
                        _exit(1);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        return pid;
}

static void wait_listening(pid_t pid, int port, const char *what)
{
        for (int i = 0; i < 500; i++) {
                int st;

                if (connects(port))
                        return;
                ck_assert_msg(waitpid(pid, &st, WNOHANG) == 0, "%s ended before listening", what);
                usleep(10000);
        }
        ck_abort_msg("%s does not listen on port %d", what, port);
}

static void stop(pid_t *pid)
{
        if (*pid <= 0)
                return;
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
        *pid = 0;
}

void tl_httpd_start(struct tl_httpd *h, const char *dir, int port)
{
        char *script = tl_path(tl_srcdir(), "tests/httpd"), ports[16];
        const char *argv[] = { "python3", script, dir, ports, NULL };

        ck_assert_int_eq(tl_sh("mkdir -p '%s/www'", dir), 0);
        if (h->dir != dir) {
                free(h->dir);
                h->dir = strdup(dir);
        }
        h->port = port;
        snprintf(ports, sizeof(ports), "%d", port);
        h->pid = spawn(argv, NULL);
        wait_listening(h->pid, port, "tests/httpd");
        free(script);
}

void tl_httpd_stop(struct tl_httpd *h)
{
        stop(&h->pid);
}

void tl_httpd_mode(const struct tl_httpd *h, const char *mode)
{
        free(tl_write(h->dir, "mode", "%s\n", mode));
}

int tl_httpd_hits(const struct tl_httpd *h, const char *path)
{
        char *p = tl_path(h->dir, "hits"), *line = NULL;
        FILE *f = fopen(p, "r");
        size_t cap = 0;
        int n = 0;

        free(p);
        while (f && getline(&line, &cap, f) > 0) {
                line[strcspn(line, "\n")] = 0;
                n += strcmp(line, path) == 0;
        }
        free(line);
        if (f)
                fclose(f);
        return n;
}

/* openssl ocsp serves one connection at a time and waits forever for the
 * request of one that sends none: a probing connect() would hang it. So
 * readiness is its "waiting for OCSP client connections" line. */
static void wait_ocspd(pid_t pid, const char *log)
{
        for (int i = 0; i < 500; i++) {
                unsigned char *data = NULL;
                size_t len;
                bool ready;
                int st;

                ready = util_read_file(log, 1 << 20, &data, &len) == 0 &&
                        strstr((char *)data, "waiting for OCSP client connections");
                free(data);
                if (ready)
                        return;
                ck_assert_msg(waitpid(pid, &st, WNOHANG) == 0, "openssl ocsp ended at start");
                usleep(10000);
        }
        ck_abort_msg("openssl ocsp does not come up");
}

void tl_ocspd_start(struct tl_ocspd *o, const char *pki, const char *ca, int port, int minutes)
{
        tl_ocspd_start_signed(o, pki, ca, NULL, port, minutes);
}

void tl_ocspd_start_signed(struct tl_ocspd *o, const char *pki, const char *ca, const char *signer,
                           int port, int minutes)
{
        char *index = NULL, *cert = NULL, *rcert = NULL, *key = NULL, *log = NULL, ports[16], nmin[16];
        const char *argv[] = { "openssl", "ocsp", "-index", NULL, "-CA", NULL, "-rsigner", NULL,
                               "-rkey", NULL, "-port", ports, "-nmin", nmin, "-ignore_err", NULL };

        ck_assert_int_ge(asprintf(&index, "%s/ca/%s/index.txt", pki, ca), 0);
        ck_assert_int_ge(asprintf(&cert, "%s/ca/%s/cert.pem", pki, ca), 0);
        if (signer) {
                ck_assert_int_ge(asprintf(&rcert, "%s/%s.pem", pki, signer), 0);
                ck_assert_int_ge(asprintf(&key, "%s/%s.key", pki, signer), 0);
        } else {
                ck_assert_int_ge(asprintf(&rcert, "%s/ca/%s/cert.pem", pki, ca), 0);
                ck_assert_int_ge(asprintf(&key, "%s/ca/%s/key.pem", pki, ca), 0);
        }
        ck_assert_int_ge(asprintf(&log, "%s/ca/%s/ocsp.log", pki, ca), 0);
        argv[3] = index;
        argv[5] = cert;
        argv[7] = rcert;
        argv[9] = key;
        snprintf(ports, sizeof(ports), "%d", port);
        snprintf(nmin, sizeof(nmin), "%d", minutes);
        unlink(log);
        o->port = port;
        o->pid = spawn(argv, log);
        wait_ocspd(o->pid, log);
        free(index);
        free(cert);
        free(rcert);
        free(key);
        free(log);
}

void tl_ocspd_stop(struct tl_ocspd *o)
{
        stop(&o->pid);
}
