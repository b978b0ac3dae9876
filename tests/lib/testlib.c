/* SPDX-License-Identifier: EUPL-1.2 */
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void append(char **buf, size_t *len, const char *p, size_t n)
{
        char *b = realloc(*buf, *len + n + 1);

        ck_assert_ptr_nonnull(b);
        memcpy(b + *len, p, n);
        *len += n;
        b[*len] = 0;
        *buf = b;
}

static char **merged_env(const char *const *env)
{
        size_t n = 0, m = 0, k = 0;
        char **e;

        while (environ[n])
                n++;
        while (env && env[m])
                m++;
        e = calloc(n + m + 1, sizeof(*e));
        ck_assert_ptr_nonnull(e);
        for (size_t i = 0; i < m; i++)
                e[k++] = (char *)env[i];
        for (size_t i = 0; i < n; i++) {
                size_t nl = strcspn(environ[i], "=");
                bool overridden = false;

                for (size_t j = 0; j < m; j++)
                        if (strncmp(env[j], environ[i], nl + 1) == 0)
                                overridden = true;
                if (!overridden)
                        e[k++] = environ[i];
        }
        return e;
}

void tl_run_argv(struct tl_run *r, const char *const *argv, const char *const *env, int timeout_s)
{
        int out[2], err[2];
        size_t olen = 0, elen = 0;
        char **e = merged_env(env);
        time_t deadline = time(NULL) + timeout_s;
        bool killed = false;
        struct rusage ru;
        pid_t pid;
        int st;

        memset(r, 0, sizeof(*r));
        ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
        append(&r->out, &olen, "", 0);
        append(&r->err, &elen, "", 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY);

                dup2(null, 0);
                dup2(out[1], 1);
                dup2(err[1], 2);
                execvpe(argv[0], (char *const *)argv, e);
                dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        free(e);
        close(out[1]);
        close(err[1]);
        for (int open_fds = 2; open_fds > 0;) {
                struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
                char buf[65536];
                int n = poll(p, 2, 200);

                if (!killed && time(NULL) > deadline) {
                        kill(pid, SIGKILL);
                        killed = true;
                }
                if (n <= 0)
                        continue;
                for (int i = 0; i < 2; i++) {
                        ssize_t k;

                        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        k = read(p[i].fd, buf, sizeof(buf));
                        if (k > 0) {
                                if (i == 0)
                                        append(&r->out, &olen, buf, (size_t)k);
                                else
                                        append(&r->err, &elen, buf, (size_t)k);
                        } else {
                                close(i == 0 ? out[0] : err[0]);
                                if (i == 0)
                                        out[0] = -1;
                                else
                                        err[0] = -1;
                                open_fds--;
                        }
                }
        }
        ck_assert_int_eq(wait4(pid, &st, 0, &ru), pid);
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        r->maxrss_kib = ru.ru_maxrss;
        if (killed)
                ck_abort_msg("%s timed out after %d s; stderr: %s", argv[0], timeout_s, r->err);
}

void tl_smimewatch(struct tl_run *r, const char *const *args)
{
        const char *argv[64];
        const char *bin = getenv("SMIMEWATCH_BIN");
        size_t n = 0;

        ck_assert_msg(bin, "SMIMEWATCH_BIN is not set");
        argv[n++] = bin;
        for (size_t i = 0; args[i]; i++) {
                ck_assert(n < 63);
                argv[n++] = args[i];
        }
        argv[n] = NULL;
        tl_run_argv(r, argv, NULL, 60);
}

void tl_run_free(struct tl_run *r)
{
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}

int tl_sh(const char *fmt, ...)
{
        char *cmd;
        va_list ap;
        int r, st;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(r, 0);
        fflush(NULL);
        st = system(cmd);
        free(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *tl_mkdtemp(void)
{
        const char *tmp = getenv("TMPDIR");
        char *path;

        ck_assert_int_ge(asprintf(&path, "%s/smimewatch-test.XXXXXX", tmp ? tmp : "/tmp"), 0);
        ck_assert_ptr_nonnull(mkdtemp(path));
        chmod(path, 0755);
        return path;
}

void tl_rm_rf(const char *path)
{
        if (path && strstr(path, "smimewatch-test."))
                tl_sh("rm -rf '%s'", path);
}

char *tl_path(const char *dir, const char *name)
{
        char *p;

        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
        return p;
}

char *tl_write(const char *dir, const char *name, const char *fmt, ...)
{
        char *p = tl_path(dir, name);
        FILE *f = fopen(p, "w");
        va_list ap;

        ck_assert_msg(f, "cannot write %s: %s", p, strerror(errno));
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        ck_assert_int_eq(fclose(f), 0);
        return p;
}

const char *tl_srcdir(void)
{
        const char *s = getenv("SMIMEWATCH_SRCDIR");

        return s ? s : ".";
}

json_t *tl_json(const struct tl_run *r)
{
        json_error_t e;
        json_t *j = json_loads(r->out, 0, &e);

        ck_assert_msg(j, "not JSON (%s at line %d): stdout: %s\nstderr: %s", e.text, e.line,
                      r->out, r->err);
        return j;
}

int tl_run_suite(Suite *s)
{
        SRunner *sr = srunner_create(s);
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
