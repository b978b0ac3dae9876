/* SPDX-License-Identifier: EUPL-1.2 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <glob.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int util_parse_int(const char *s, long min, long max, long *ret)
{
        char *end;
        long v;

        if (!s || !*s || isspace((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (*end)
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int util_parse_duration(const char *s, uint64_t *ret_usec)
{
        unsigned long long v, mult = 1;
        char *end;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        if (*end) {
                switch (*end) {
                case 's': mult = 1; break;
                case 'm': mult = 60; break;
                case 'h': mult = 3600; break;
                case 'd': mult = 86400; break;
                default: return -EINVAL;
                }
                if (end[1])
                        return -EINVAL;
        }
        /* Ten years is plenty and keeps every product far from overflow. */
        if (v > 10ULL * 366 * 86400 / mult)
                return -EINVAL;
        *ret_usec = (uint64_t)(v * mult) * USEC_PER_SEC;
        return 0;
}

static int parse_digits(const char **p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

int util_parse_time(const char *s, time_t *ret)
{
        struct tm tm = { 0 };
        int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
        const char *p = s;
        time_t t;

        if (!s || parse_digits(&p, 4, &y) < 0 || *p++ != '-' ||
            parse_digits(&p, 2, &mo) < 0 || *p++ != '-' || parse_digits(&p, 2, &d) < 0)
                return -EINVAL;
        if (*p) {
                if ((*p != 'T' && *p != 't' && *p != ' ') || !*++p ||
                    parse_digits(&p, 2, &h) < 0 || *p++ != ':' ||
                    parse_digits(&p, 2, &mi) < 0 || *p++ != ':' ||
                    parse_digits(&p, 2, &sec) < 0)
                        return -EINVAL;
                if (*p == '.') {
                        p++;
                        if (!isdigit((unsigned char)*p))
                                return -EINVAL;
                        while (isdigit((unsigned char)*p))
                                p++;
                }
                if (*p == 'Z' || *p == 'z') {
                        p++;
                } else if (*p == '+' || *p == '-') {
                        int sign = *p++ == '-' ? -1 : 1, oh, om;

                        if (parse_digits(&p, 2, &oh) < 0 || *p++ != ':' ||
                            parse_digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
                                return -EINVAL;
                        off = sign * (oh * 3600 + om * 60);
                } else {
                        return -EINVAL;
                }
                if (*p)
                        return -EINVAL;
        }
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        t = timegm(&tm);
        /* timegm normalises 2026-02-31 to March: refuse instead. */
        if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
                return -EINVAL;
        *ret = t - off;
        return 0;
}

/* The UTC calendar time of t with a year util_parse_time() reads back
 * (four digits: strftime's %Y writes "525" for the year 525); false for
 * a time outside the years 0 to 9999. */
static bool utc_tm(time_t t, struct tm *tm)
{
        return gmtime_r(&t, tm) && tm->tm_year >= -1900 && tm->tm_year <= 9999 - 1900;
}

char *util_format_time(time_t t, char buf[static 21])
{
        /* Where each field's last digit goes in "YYYY-MM-DDTHH:MM:SSZ". */
        static const int last[6] = { 3, 6, 9, 12, 15, 18 };
        struct tm tm;

        memcpy(buf, "1970-01-01T00:00:00Z", 21);
        if (!utc_tm(t, &tm))
                return buf;
        /* Digits by hand: snprintf() was a noticeable part of a large
         * cycle's JSON report (four times per certificate). utc_tm()
         * keeps the year within four digits, gmtime_r() the others
         * within two. */
        const int f[6] = { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                           tm.tm_hour,        tm.tm_min,     tm.tm_sec };

        for (int i = 0; i < 6; i++)
                for (int at = last[i], v = f[i]; at >= (i ? last[i] - 1 : 0); at--, v /= 10)
                        buf[at] = (char)('0' + v % 10);
        return buf;
}

char *util_format_date(time_t t, char buf[static 11])
{
        struct tm tm;

        if (!utc_tm(t, &tm) ||
            snprintf(buf, 11, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) != 10)
                snprintf(buf, 11, "1970-01-01");
        return buf;
}

long util_days_until(time_t now, time_t t)
{
        long long diff = (long long)t - (long long)now;

        return (long)(diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400));
}

/* Every file the program reads is opened here: the configuration, the
 * mailbox_list, certificate and CRL files, secret files, the state file
 * (through util_read_file() or, for files read in a special way, directly).
 * So what a file may be is decided in one place: a regular file, nothing
 * that could block or never end (refusing FIFOs and other special files
 * before they are opened belongs here too). */
int util_open_file(const char *path, int *ret_fd, struct stat *ret_st)
{
        struct stat st;
        int fd, r;

        /* O_NONBLOCK: opening a FIFO would wait for a writer; what it is
         * is known only once it is open, and only regular files are read. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (S_ISDIR(st.st_mode))
                r = -EISDIR;
        else if (!S_ISREG(st.st_mode))
                r = -EINVAL;
        else
                r = 0;
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        *ret_st = st;
        return 0;
}

int util_read_file(const char *path, size_t max, unsigned char **ret, size_t *ret_len)
{
        struct stat st;
        int fd, r;

        r = util_open_file(path, &fd, &st);
        if (r < 0)
                return r;
        r = util_read_fd(fd, max, ret, ret_len);
        close(fd);
        return r;
}

int util_read_fd(int fd, size_t max, unsigned char **ret, size_t *ret_len)
{
        unsigned char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        /* fd came from util_open_file(): a regular file; its size now. */
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto out;
        }
        if ((uintmax_t)st.st_size > max) {
                r = -EFBIG;
                goto out;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        /* Read to EOF but never past max, in case the file grows meanwhile. */
        for (;;) {
                ssize_t n;

                if (len == (size_t)st.st_size) {
                        char extra;

                        n = read(fd, &extra, 1);
                        if (n > 0) {
                                r = -EBUSY;     /* it grew meanwhile */
                                goto out;
                        }
                } else {
                        n = read(fd, buf + len, (size_t)st.st_size - len);
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len != (size_t)st.st_size) {
                r = -EBUSY;     /* it shrank meanwhile */
                goto out;
        }
        buf[len] = 0;
        *ret = buf;
        *ret_len = len;
        buf = NULL;
        r = 0;
out:
        /* A failed read may have been of a secret (a key file). */
        if (buf)
                explicit_bzero(buf, len);
        free(buf);
        return r;
}

const char *util_read_error(int r, char *buf, size_t size)
{
        if (r == -EFBIG) {
                snprintf(buf, size, "larger than %u MiB", UTIL_MAX_FILE_SIZE >> 20);
                return buf;
        }
        if (r == -EINVAL)
                return "not a regular file (a FIFO, device or socket)";
        if (r == -EBUSY)
                return "it changed while it was read";
        return strerror_r(-r, buf, size);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
        size_t len;
        unsigned cp;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                len = 2, cp = p[0] & 0x1f;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                len = 3, cp = p[0] & 0x0f;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                len = 4, cp = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return 0;
        /* C1 controls and bidirectional overrides can disguise text. */
        if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
            (cp >= 0x2066 && cp <= 0x2069))
                return 0;
        return len;
}

static char *sanitize(const char *s, size_t len, size_t max_len, bool keep_backslash)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n = len < max_len ? len : max_len, o = 0, i = 0;
        char *out;

        out = malloc(n * 4 + 4);
        if (!out)
                return NULL;
        while (i < n) {
                size_t l = utf8_len(p + i, n - i);

                if (l == 1 && (p[i] < 0x20 || p[i] == 0x7f || (p[i] == '\\' && !keep_backslash)))
                        l = 0;
                if (l == 0) {
                        o += (size_t)sprintf(out + o, "\\x%02x", p[i]);
                        i++;
                        continue;
                }
                memcpy(out + o, p + i, l);
                o += l;
                i += l;
        }
        if (len > max_len) {
                memcpy(out + o, "...", 3);
                o += 3;
        }
        out[o] = 0;
        return out;
}

char *util_sanitize(const char *s, size_t len, size_t max_len)
{
        return sanitize(s, len, max_len, false);
}

bool util_plain(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
                        return false;
        return true;
}

char *util_escape(const char *s)
{
        size_t len = strlen(s);
        char *kept = sanitize(s, len, len, true);

        if (!kept || strcmp(kept, s) == 0)
                return kept;
        free(kept);
        return sanitize(s, len, len, false);
}

char *util_cut(const char *s, size_t len, size_t max_len)
{
        size_t n = len < max_len ? len : max_len, o = 0, nuls = 0;
        char *out;

        /* Exactly the size needed: a cycle keeps these for every certificate. */
        for (size_t i = 0; i < n; i++)
                nuls += s[i] == 0;
        out = malloc(n + 3 * nuls + 4);
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                /* A C string cannot hold a NUL: it is written as an escape already. */
                if (s[i] == 0) {
                        memcpy(out + o, "\\x00", 4);
                        o += 4;
                } else {
                        out[o++] = s[i];
                }
        }
        memcpy(out + o, len > max_len ? "..." : "", len > max_len ? 4 : 1);
        return out;
}

bool util_address_valid(const char *s)
{
        const char *at, *p, *label;

        if (!s || strlen(s) > 254)
                return false;
        at = strchr(s, '@');
        if (!at || at == s || strchr(at + 1, '@') || at - s > 64)
                return false;
        for (p = s; p < at; p++)
                if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("\"(),:;<>[\\]", *p))
                        return false;
        label = at + 1;
        if (!*label)
                return false;
        for (p = label;; p++) {
                if (*p == '.' || *p == 0) {
                        if (p == label || p - label > 63 || label[0] == '-' || p[-1] == '-')
                                return false;
                        if (*p == 0)
                                break;
                        label = p + 1;
                } else if (!isalnum((unsigned char)*p) && *p != '-') {
                        return false;
                }
        }
        return true;
}

bool util_address_equal(const char *a, const char *b)
{
        const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');

        if (!at_a || !at_b || at_a - a != at_b - b)
                return false;
        return memcmp(a, b, (size_t)(at_a - a)) == 0 && strcasecmp(at_a, at_b) == 0;
}

uint64_t util_address_hash(const char *address)
{
        const char *at = strrchr(address, '@');
        uint64_t h = 14695981039346656037u;

        for (const char *p = address; *p; p++) {
                unsigned char ch = (unsigned char)*p;

                h = (h ^ (at && p > at ? (unsigned char)tolower(ch) : ch)) * 1099511628211u;
        }
        return h;
}

char *util_vformat(const char *fmt, va_list ap)
{
        char *s = NULL;

        return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *util_buf_room(struct util_buf *b, size_t n)
{
        if (b->oom)
                return NULL;
        /* Far beyond any string built here; keeps the doubling in range. */
        if (n > SIZE_MAX / 4 - b->len) {
                b->oom = true;
                return NULL;
        }
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->len + n + 1) * 2;
                char *s = realloc(b->s, cap);

                if (!s) {
                        b->oom = true;
                        return NULL;
                }
                b->s = s;
                b->cap = cap;
        }
        return b->s + b->len;
}

void util_buf_add(struct util_buf *b, const char *fmt, ...)
{
        va_list ap;
        char *at;
        int n;

        if (b->oom)
                return;
        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->oom = true;
                return;
        }
        if (!(at = util_buf_room(b, (size_t)n)))
                return;
        va_start(ap, fmt);
        vsnprintf(at, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void util_buf_item(struct util_buf *b, const char *sep, const char *item)
{
        util_buf_add(b, "%s%s", b->len ? sep : "", item);
}

char *util_buf_take(struct util_buf *b)
{
        char *s = b->oom ? NULL : b->s ? b->s : strdup("");

        if (b->oom)
                free(b->s);
        *b = (struct util_buf){ 0 };
        return s;
}

void util_strv_free(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

void util_hex(const unsigned char *p, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[p[i] >> 4];
                out[2 * i + 1] = digits[p[i] & 15];
        }
        out[2 * n] = 0;
}

char *util_strdup0(const char *s)
{
        return s ? strdup(s) : NULL;
}

static uint64_t monotonic_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static int wait_connected(int fd, uint64_t deadline)
{
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        socklen_t len = sizeof(int);
        uint64_t now;
        int n, err = 0;

        do {
                now = monotonic_usec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                n = poll(&p, 1, (int)((deadline - now + 999) / 1000));
        } while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ETIMEDOUT;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                return -errno;
        return -err;
}

int util_connect_tcp(const char *host, int port, uint64_t timeout_usec, int *ret, char **why)
{
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        struct addrinfo *res = NULL;
        uint64_t deadline = monotonic_usec() + timeout_usec;
        char service[16];
        int fd = -1, r = -EHOSTUNREACH, e;

        *why = NULL;
        snprintf(service, sizeof(service), "%d", port);
        e = getaddrinfo(host, service, &hints, &res);
        if (e != 0) {
                if (asprintf(why, "%s: %s", host, gai_strerror(e)) < 0)
                        *why = NULL;
                return -EHOSTUNREACH;
        }
        for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
                fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            a->ai_protocol);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                r = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : -errno;
                if (r == -EINPROGRESS)
                        r = wait_connected(fd, deadline);
                if (r < 0) {
                        close(fd);
                        fd = -1;
                }
        }
        freeaddrinfo(res);
        if (fd < 0) {
                if (asprintf(why, "%s", r == -ETIMEDOUT ? "no answer within the timeout"
                                                        : strerror(-r)) < 0)
                        *why = NULL;
                return r;
        }
        *ret = fd;
        return 0;
}

/* ---- files replaced atomically ----------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

static int sync_dir_of(const char *path)
{
        char *dir = strdup(path), *slash;
        int fd, r = 0;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = 0;
        else if (slash)
                *slash = 0;
        else
                strcpy(dir, ".");
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                r = -errno;
        if (fd >= 0)
                close(fd);
        free(dir);
        return r;
}

int util_replace_file(const char *path, const void *data, size_t len, mode_t mode)
{
        char *tmp = NULL;
        int fd = -1, r;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        /* mkstemp: a file in the same directory, so rename() is atomic. */
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                free(tmp);
                return r;
        }
        r = fchmod(fd, mode) < 0 ? -errno : 0;
        if (r == 0)
                r = write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                goto out;
        }
        r = sync_dir_of(path);
out:
        free(tmp);
        return r;
}

void util_replace_file_cleanup(const char *path)
{
        char *pattern = NULL;
        glob_t g = { 0 };

        /* mkostemp()'s six characters; glob metacharacters in path are
         * not expected in a state or metrics path, and would only make the
         * pattern match less. */
        if (asprintf(&pattern, "%s.??????", path) < 0)
                return;
        if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        struct stat st;

                        if (lstat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
                                unlink(g.gl_pathv[i]);
                }
        globfree(&g);
        free(pattern);
}

/* ---- threads ---------------------------------------------------------- */

size_t util_cpus(size_t max)
{
        cpu_set_t set;
        long cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                 : sysconf(_SC_NPROCESSORS_ONLN);
        size_t t = cpus > 0 ? (size_t)cpus : 1;

        return t < max ? t : max;
}

struct parallel {
        util_parallel_fn *fn;
        void *arg;
        size_t n;
        atomic_size_t next;
};

static void *parallel_some(void *arg)
{
        struct parallel *p = arg;
        size_t i;

        while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
                p->fn(p->arg, i);
        return NULL;
}

void util_parallel(size_t n, size_t threads, util_parallel_fn *fn, void *arg)
{
        pthread_t t[UTIL_MAX_THREADS - 1];
        struct parallel p = { .fn = fn, .arg = arg, .n = n };
        sigset_t all, old;
        size_t started = 0, want = threads < UTIL_MAX_THREADS ? threads : UTIL_MAX_THREADS;

        atomic_init(&p.next, 0);
        /* Helpers get every signal blocked: signals keep going where the
         * caller expects them. One that cannot start only makes it slower. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        while (started + 1 < want && started + 1 < n &&
               pthread_create(&t[started], NULL, parallel_some, &p) == 0)
                started++;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        parallel_some(&p);
        for (size_t k = 0; k < started; k++)
                pthread_join(t[k], NULL);
}
