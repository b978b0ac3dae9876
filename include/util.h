/* SPDX-License-Identifier: EUPL-1.2 */
/* Small helpers shared by every module: durations, times, files, escaping. */
#ifndef SMIMEWATCH_UTIL_H
#define SMIMEWATCH_UTIL_H

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
 * convenience), opened with util_open_file(). A larger file is refused
 * with -EFBIG without being read; other failures return -errno. */
int util_read_file(const char *path, size_t max, unsigned char **ret, size_t *ret_len);
/* The same on a file opened with util_open_file() (left open), for callers
 * that check what fstat() says first, so that what is read is what was
 * checked. */
int util_read_fd(int fd, size_t max, unsigned char **ret, size_t *ret_len);

/* Why util_read_file() (with UTIL_MAX_FILE_SIZE) failed with r, for
 * messages: "larger than 10 MiB", "not a regular file", or strerror's
 * text. buf (64 bytes will do) may hold it; safe on any thread. */
const char *util_read_error(int r, char *buf, size_t size);

/* Copy of untrusted bytes that is safe for a terminal, JSON and the
 * journal: valid UTF-8 passes, control characters and invalid bytes
 * become \xNN; at most max_len input bytes are taken ("..." marks a cut).
 * NULL only when out of memory. */
char *util_sanitize(const char *s, size_t len, size_t max_len);

/* The same for a distinguished name (RFC 4514): its own backslash escapes
 * ("cn=Mueller\, Hans") stay as they are, so the result is still the DN. */
char *util_sanitize_dn(const char *s, size_t len, size_t max_len);

/* A plausible mail address: one '@', a non-empty local part without
 * spaces or control characters, a domain of dot-separated labels. */
bool util_address_valid(const char *s);
/* Addresses compare equal: local part exactly, domain case-insensitively. */
bool util_address_equal(const char *a, const char *b);
/* A hash that agrees with util_address_equal(): the local part as it is,
 * the domain folded the way strcasecmp() folds it (FNV-1a). */
uint64_t util_address_hash(const char *address);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void util_hex(const unsigned char *p, size_t n, char *out);

/* Replaces path with len bytes of data, atomically: a temporary file
 * "path.XXXXXX" in the same directory (mode mode), synced, renamed over
 * path, and the directory synced. On failure path is untouched and the
 * temporary file removed. 0 or -errno. */
int util_replace_file(const char *path, const void *data, size_t len, mode_t mode);

/* strdup that aborts on OOM is not used: callers handle NULL. */
char *util_strdup0(const char *s); /* NULL stays NULL */

#endif
