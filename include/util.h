/* SPDX-License-Identifier: EUPL-1.2 */
/* Small helpers shared by every module: durations, times, files, escaping. */
#ifndef SMIMEWATCH_UTIL_H
#define SMIMEWATCH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define USEC_PER_SEC UINT64_C(1000000)

/* Largest file smimewatch reads (certificates, CRLs, lists, passwords). */
#define UTIL_MAX_FILE_SIZE (10u * 1024u * 1024u)

/* "90", "90s", "15m", "6h", "2d" -> microseconds. 0 or -EINVAL. */
int util_parse_duration(const char *s, uint64_t *ret_usec);
/* Decimal integer within [min, max]. 0, -EINVAL or -ERANGE. */
int util_parse_int(const char *s, long min, long max, long *ret);
/* "YYYY-MM-DD" (midnight UTC) or RFC 3339 ("2026-11-28T20:00:00Z",
 * "...+01:00", fractions allowed). 0 or -EINVAL. */
int util_parse_time(const char *s, time_t *ret);
/* RFC 3339 in UTC, "2026-11-28T20:00:00Z"; buf needs 21 bytes. */
char *util_format_time(time_t t, char buf[static 21]);
/* "2026-11-28"; buf needs 11 bytes. */
char *util_format_date(time_t t, char buf[static 11]);
/* Whole days from now until t, rounded towards minus infinity. */
long util_days_until(time_t now, time_t t);

/* Opens a regular file for reading: the one place where files the program
 * reads are opened (see util.c). 0 with the descriptor and what fstat says
 * (the caller closes it), -EISDIR for a directory, -EINVAL for anything
 * else that is not a regular file, or -errno. */
int util_open_file(const char *path, int *ret_fd, struct stat *ret_st);

/* Reads a whole regular file of at most max bytes (NUL-terminated as a
 * convenience), opened with util_open_file(), which never blocks on what
 * is not a regular file (a FIFO: -EINVAL). A larger file is refused with
 * -EFBIG without being read, one that changes size while it is read with
 * -EBUSY; other failures return -errno. */
int util_read_file(const char *path, size_t max, unsigned char **ret, size_t *ret_len);
/* The same on a file opened with util_open_file() (left open), for callers
 * that check what fstat() says first, so that what is read is what was
 * checked. */
int util_read_fd(int fd, size_t max, unsigned char **ret, size_t *ret_len);

/* Why util_read_file() (with UTIL_MAX_FILE_SIZE) failed with r, for
 * messages: "larger than 10 MiB", "not a regular file (a FIFO, device or
 * socket)", "it changed while it was read", or strerror's text. buf (64 bytes will do) may hold it; safe on any thread. */
const char *util_read_error(int r, char *buf, size_t size);

/* ---- output edges -------------------------------------------------------
 * Untrusted values (directory DNs and values, certificate names and
 * addresses, server diagnostics, OpenSSL's reasons) stay inside as they
 * came, only cut to a length with util_cut(). Each output escapes them
 * once, at its edge, with util_escape(): the reports on a terminal and in
 * JSON (report.c), the journal (journal.c, log.c) and the state file
 * (state.c). An output module added later calls util_escape() too. */

/* Copy of s that is safe for a terminal, a JSON string and a journal
 * field: valid UTF-8 passes; control characters, invalid bytes, C1
 * controls and bidirectional overrides become the text \xNN. When
 * anything had to be escaped, backslashes become \x5c as well, so that
 * the result is unambiguous; otherwise they stay, so that an RFC 4514 DN
 * ("cn=Mueller\, Hans") is still the DN. Escaping the result again
 * changes nothing. NULL only when out of memory. */
char *util_escape(const char *s);
/* True when util_escape(s) would give s unchanged, seen cheaply: every
 * byte printable ASCII (0x20-0x7e). False says nothing either way. */
bool util_plain(const char *s);

/* The first max_len of the len bytes at s, as they are, with "..." when
 * cut (a cut inside a UTF-8 sequence is escaped later like any invalid
 * byte); only a NUL, which a C string cannot hold, becomes the text \x00.
 * NULL only when out of memory. */
char *util_cut(const char *s, size_t len, size_t max_len);

/* Escapes always, backslashes too, after taking at most max_len input
 * bytes ("..." marks a cut): for a value of its own in a line format
 * (metrics labels, plugin output). NULL only when out of memory. */
char *util_sanitize(const char *s, size_t len, size_t max_len);

/* A plausible mail address: one '@', a non-empty local part without
 * spaces or control characters, a domain of dot-separated labels. */
bool util_address_valid(const char *s);
/* Addresses compare equal: local part exactly, domain case-insensitively. */
bool util_address_equal(const char *a, const char *b);
/* A hash that agrees with util_address_equal(): the local part as it is,
 * the domain folded the way strcasecmp() folds it (FNV-1a). */
uint64_t util_address_hash(const char *address);

/* A string built in pieces (lists for messages). Start it zeroed; after
 * a failed allocation further additions are ignored and util_buf_take()
 * returns NULL. */
struct util_buf {
        char *s;
        size_t len, cap;
        bool oom;
};

void util_buf_add(struct util_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for n more bytes and a NUL at b->s + b->len (the caller writes
 * them and advances b->len), or NULL once out of memory. */
char *util_buf_room(struct util_buf *b, size_t n);
/* Adds item, after sep unless b is still empty. */
void util_buf_item(struct util_buf *b, const char *sep, const char *item);
/* The string ("" when nothing was added; caller frees), or NULL when out
 * of memory; b is empty again either way. */
char *util_buf_take(struct util_buf *b);

/* vasprintf() returning the string, or NULL when out of memory (where
 * vasprintf() leaves its pointer undefined). */
char *util_vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Frees the n strings of v and v. */
void util_strv_free(char **v, size_t n);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void util_hex(const unsigned char *p, size_t n, char *out);

/* A TCP connection to host:port, non-blocking, the connect bounded by
 * timeout_usec over all addresses of host. 0 with *ret, or -errno with
 * *why saying what failed (caller frees; no host when refused). */
int util_connect_tcp(const char *host, int port, uint64_t timeout_usec, int *ret, char **why);

/* Replaces path with len bytes of data, atomically: a temporary file
 * "path.XXXXXX" in the same directory (mode mode), synced, renamed over
 * path, and the directory synced. On failure path is untouched and the
 * temporary file removed. 0 or -errno. */
int util_replace_file(const char *path, const void *data, size_t len, mode_t mode);
/* Removes the temporary files that util_replace_file(path) calls cut off
 * (kill -9, power loss) left behind: regular files "path.XXXXXX". Only
 * for a path that this process alone replaces. */
void util_replace_file_cleanup(const char *path);

/* strdup that aborts on OOM is not used: callers handle NULL. */
char *util_strdup0(const char *s); /* NULL stays NULL */

/* The CPUs this process may run on, at most max. */
#define UTIL_MAX_THREADS 4
size_t util_cpus(size_t max);

/* fn(arg, i) for every i below n, on up to threads threads (this one
 * included, at most UTIL_MAX_THREADS); returns when all are done. fn must
 * be safe to run at once for different i. */
typedef void util_parallel_fn(void *arg, size_t i);
void util_parallel(size_t n, size_t threads, util_parallel_fn *fn, void *arg);

#endif
