/* SPDX-License-Identifier: EUPL-1.2 */
/* Secret files and systemd credentials. A secret file must be a regular
 * file that others cannot read; it is checked on the open file before it
 * is read, and what is read is wiped once copied. */
#include "secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define SECRET_MAX 4096         /* bytes of a secret file that are read */

int secret_credential_path(const char *name, char **ret)
{
        const char *creds = getenv("CREDENTIALS_DIRECTORY");

        if (!creds || !*creds)
                return -ENOENT;
        if (asprintf(ret, "%s/%s", creds, name) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static void explain(char **why, const char *path, const char *problem)
{
        if (asprintf(why, "password file '%s'%s", path, problem) < 0)
                *why = NULL;
}

/* r from util_open_file() or stat(), or the mode of a file that opened. */
static int judge(const char *path, int r, const struct stat *st, char **why)
{
        char buf[128], *msg = NULL;

        if (r == -EISDIR || r == -EINVAL || (r == 0 && !S_ISREG(st->st_mode))) {
                explain(why, path, " is not a regular file");
                return -EACCES;
        }
        if (r < 0) {
                /* strerror_r: secrets may be read on worker threads. */
                if (asprintf(&msg, ": %s", strerror_r(-r, buf, sizeof(buf))) < 0)
                        msg = NULL;
                explain(why, path, msg ? msg : "");
                free(msg);
                return r;
        }
        if (st->st_mode & S_IROTH) {
                explain(why, path, " is readable by others; chmod o-r it");
                return -EACCES;
        }
        return 0;
}

int secret_check_file(const char *path, char **why)
{
        struct stat st;
        int r = stat(path, &st) < 0 ? -errno : 0;

        *why = NULL;
        return judge(path, r, &st, why);
}

/* The first line of the open secret file; *why explains a refusal. */
static int read_first_line(int fd, const char *path, char **ret, char **why)
{
        char buf[SECRET_MAX], err[128];
        const char *problem = NULL, *nl;
        size_t len = 0, n;
        int r = -EINVAL;

        while (len < sizeof(buf)) {
                ssize_t k = read(fd, buf + len, sizeof(buf) - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        problem = strerror_r(errno, err, sizeof(err));
                        break;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        nl = memchr(buf, '\n', len);
        n = nl ? (size_t)(nl - buf) : len;
        if (n > 0 && buf[n - 1] == '\r')
                n--;
        if (problem)
                ;
        else if (!nl && len == sizeof(buf))
                problem = "the first line is too long";
        else if (n == 0)
                problem = "the first line is empty";
        else if (memchr(buf, 0, n))
                problem = "the first line contains a NUL byte";
        if (problem) {
                if (asprintf(why, "password file '%s': %s", path, problem) < 0)
                        *why = NULL;
        } else {
                *ret = strndup(buf, n);
                r = *ret ? 0 : -ENOMEM;
        }
        explicit_bzero(buf, sizeof(buf));
        return r;
}

int secret_read_file(const char *path, char **ret, char **why)
{
        struct stat st;
        int fd = -1, r;

        *why = NULL;
        r = util_open_file(path, &fd, &st);
        r = judge(path, r, &st, why);
        if (r == 0)
                r = read_first_line(fd, path, ret, why);
        if (fd >= 0)
                close(fd);
        return r;
}

void secret_free(char *secret)
{
        if (!secret)
                return;
        explicit_bzero(secret, strlen(secret));
        free(secret);
}
