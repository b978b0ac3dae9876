/* SPDX-License-Identifier: EUPL-1.2 */
/* Helpers for the Check tests: temporary directories, files, and running
 * programs (the smimewatch binary above all) with captured output. */
#ifndef SMIMEWATCH_TESTLIB_H
#define SMIMEWATCH_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <check.h>
#include <jansson.h>

struct tl_run {
        int status;             /* exit status, or 128+signal */
        char *out;              /* stdout, NUL-terminated */
        char *err;              /* stderr */
        long maxrss_kib;        /* its peak RSS (wait4), in KiB */
};

/* Runs argv (NULL-terminated; argv[0] searched in PATH) with extra
 * environment entries env ("NAME=value", NULL-terminated, may be NULL),
 * stdin from /dev/null, killed after timeout_s seconds. Aborts the test
 * on failure to start. */
void tl_run_argv(struct tl_run *r, const char *const *argv, const char *const *env, int timeout_s);
/* The smimewatch binary under test ($SMIMEWATCH_BIN) with these arguments. */
void tl_smimewatch(struct tl_run *r, const char *const *args);
void tl_run_free(struct tl_run *r);
/* Runs a shell command line; returns its exit status. Output goes to the
 * test's stderr. */
int tl_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A fresh directory under $TMPDIR (or /tmp); tl_rm_rf() removes it. */
char *tl_mkdtemp(void);
void tl_rm_rf(const char *path);
/* Writes text to dir/name (creating it, mode 0644) and returns the full
 * path (caller frees). */
char *tl_write(const char *dir, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
char *tl_path(const char *dir, const char *name);
/* $SMIMEWATCH_SRCDIR (the project top), or "." */
const char *tl_srcdir(void);

/* Runs every test of s (the runner takes the suite) and returns the exit
 * status for main(): EXIT_FAILURE when any test failed. */
int tl_run_suite(Suite *s);

/* Parses r->out as JSON; fails the test (with the output) when it is not. */
json_t *tl_json(const struct tl_run *r);

#endif
