/* SPDX-License-Identifier: EUPL-1.2 */
/* What a newcomer runs besides the tests: `make demo` (tests/demo) and
 * `make install`, both run for real. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char *src_path(const char *rel)
{
        return tl_path(tl_srcdir(), rel);
}

/* The demo shows a report of every kind of mailbox, exits 0 and leaves
 * neither its directory server nor its files behind. */
START_TEST(demo_report)
{
        char *demo = src_path("tests/demo"), *work = NULL;
        const char *argv[] = { demo, NULL }, *w;
        struct tl_run r;

        tl_run_argv(&r, argv, NULL, 120);
        ck_assert_msg(r.status == 0, "demo exited %d:\n%s\n%s", r.status, r.out, r.err);
        ck_assert_msg(strstr(r.out, "14 mailboxes: 3 ok, 7 warning, 4 critical, 0 unknown"), "%s",
                      r.out);
        ck_assert_ptr_nonnull(strstr(r.out, "OK        poststelle@lra-demo.example"));
        ck_assert_ptr_nonnull(strstr(r.out, "CRITICAL  jugendamt@lra-demo.example"));
        ck_assert_ptr_nonnull(strstr(r.out, "missing (revoked)"));
        ck_assert_ptr_nonnull(strstr(r.out, "missing (untrusted)"));
        ck_assert_ptr_nonnull(strstr(r.out, "\xe2\x86\x92 "));
        ck_assert_ptr_nonnull(strstr(r.out, "exit status 2 (critical)"));
        ck_assert_ptr_nonnull(strstr(r.out, "\"version\": 1"));
        ck_assert_ptr_null(strchr(r.out, '\033'));
        w = strstr(r.out, "/tmp/smimewatch-demo.");
        ck_assert_ptr_nonnull(w);
        work = strndup(w, strcspn(w, " \n"));
        ck_assert_msg(access(work, F_OK) != 0, "%s was left behind", work);
        /* "[s]lapd" keeps pgrep from finding the shell that runs it. */
        ck_assert_msg(tl_sh("pgrep -f '[s]lapd.*%s' >/dev/null", work) != 0,
                      "a slapd of %s still runs", work);
        tl_run_free(&r);
        free(work);
        free(demo);
}
END_TEST

static void make_install(const char *destdir, struct tl_run *r)
{
        char *build = strdup(getenv("SMIMEWATCH_BIN")), *dest, *buildvar;
        const char *env[] = { "MAKEFLAGS=", "MAKELEVEL=", NULL };

        *strrchr(build, '/') = 0;
        ck_assert_int_ge(asprintf(&dest, "DESTDIR=%s", destdir), 0);
        ck_assert_int_ge(asprintf(&buildvar, "BUILD=%s", build), 0);
        {
                const char *argv[] = { "make", "-s", "-C", tl_srcdir(), "install", dest,
                                       "PREFIX=/usr", buildvar, NULL };

                tl_run_argv(r, argv, env, 120);
        }
        free(dest);
        free(buildvar);
        free(build);
}

static void assert_file(const char *root, const char *rel, mode_t mode)
{
        char *p = tl_path(root, rel);
        struct stat st;

        ck_assert_msg(stat(p, &st) == 0, "%s was not installed", rel);
        ck_assert_msg((st.st_mode & 07777) == mode, "%s has mode %o", rel, st.st_mode & 07777);
        free(p);
}

START_TEST(install)
{
        char *root = tl_mkdtemp(), *conf;
        struct tl_run r;
        FILE *f;

        make_install(root, &r);
        ck_assert_msg(r.status == 0, "make install failed:\n%s\n%s", r.out, r.err);
        tl_run_free(&r);
        assert_file(root, "usr/sbin/smimewatch", 0755);
        assert_file(root, "etc/smimewatch/smimewatch.conf", 0644);
        assert_file(root, "etc/smimewatch/smimewatch.conf.example", 0644);
        assert_file(root, "usr/share/man/man8/smimewatch.8", 0644);
        assert_file(root, "usr/share/man/man5/smimewatch.conf.5", 0644);
        assert_file(root, "usr/lib/systemd/catalog/smimewatch.catalog", 0644);
        assert_file(root, "usr/lib/systemd/catalog/smimewatch.de.catalog", 0644);
        /* The unit goes where systemd's pkg-config file says, with the binary's path. */
        ck_assert_int_eq(tl_sh("u=$(find '%s' -name smimewatch.service) && [ -n \"$u\" ] && "
                               "grep -qx 'ExecStart=/usr/sbin/smimewatch' $u", root), 0);
        ck_assert_int_ne(tl_sh("grep -rq @SBINDIR@ '%s'", root), 0);

        /* An existing configuration is never overwritten. */
        conf = tl_path(root, "etc/smimewatch/smimewatch.conf");
        f = fopen(conf, "w");
        ck_assert_ptr_nonnull(f);
        fputs("# mine\n", f);
        fclose(f);
        make_install(root, &r);
        ck_assert_int_eq(r.status, 0);
        tl_run_free(&r);
        ck_assert_int_eq(tl_sh("grep -qx '# mine' '%s'", conf), 0);
        free(conf);
        tl_rm_rf(root);
        free(root);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("packaging");
        TCase *tc = tcase_create("packaging");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, demo_report);
        tcase_add_test(tc, install);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
