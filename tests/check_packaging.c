/* SPDX-License-Identifier: EUPL-1.2 */
/* What a newcomer runs besides the tests: `make demo` (tests/demo) and
 * `make install`, both run for real; and the bash completion, in a real
 * bash. (`make deb` is tested in check_deb.c.) */
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
        assert_file(root, "usr/share/bash-completion/completions/smimewatch", 0644);
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

/* ---- bash completion ---------------------------------------------------- */

static char *comp_dir;

/* What the completion offers for the words (the last is the one being
 * completed), one per line, sorted. */
static char *complete_words(const char *words)
{
        char *script = src_path("completion/smimewatch.bash"), *cmd = NULL, *out;
        const char *argv[] = { "bash", "--norc", "--noprofile", "-c", NULL, NULL };
        struct tl_run r;

        ck_assert_int_ge(asprintf(&cmd, "source '%s' || exit 1\n"
                                  "COMP_WORDS=(%s)\n"
                                  "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                                  "COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
                                  "cd '%s' && _smimewatch smimewatch || exit 1\n"
                                  "printf '%%s\\n' \"${COMPREPLY[@]}\" | LC_ALL=C sort\n",
                                  script, words, comp_dir), 0);
        argv[4] = cmd;
        tl_run_argv(&r, argv, NULL, 30);
        ck_assert_msg(r.status == 0, "bash: %s", r.err);
        ck_assert_str_eq(r.err, "");
        out = strdup(r.out);
        tl_run_free(&r);
        free(cmd);
        free(script);
        return out;
}

#define ck_completes(words, want) do { \
        char *got_ = complete_words(words); \
        ck_assert_msg(strcmp(got_, (want)) == 0, "%s\ngot:\n%s\nwant:\n%s", (words), got_, (want)); \
        free(got_); \
} while (0)

START_TEST(bash_completion)
{
        char *conf, *list;

        comp_dir = tl_mkdtemp();
        conf = tl_write(comp_dir, "my.conf",
                        "[service]\nmailbox_list = list.txt  # more\n"
                        "[pki]\ntrust_anchors = ta.pem\n"
                        "[mailbox poststelle@lra.example]\nwarn_days = 40\n"
                        "  [mailbox  buergerbuero@gemeinde.example ]\n"
                        "[mailbox post@other.example]\n");
        list = tl_write(comp_dir, "list.txt", "# list\npostfach@lra.example  # a comment\n\n"
                        "bauamt@lra.example\n");
        free(tl_write(comp_dir, "cert.pem", "x"));

        ck_completes("smimewatch --v", "--verify\n--version\n");
        ck_completes("smimewatch --check-c", "--check-cert\n--check-config\n");
        ck_completes("smimewatch --l", "--list-mailboxes\n");
        ck_completes("smimewatch --format ''", "json\nplugin\nprometheus\ntext\n");
        ck_completes("smimewatch --verify --format p", "plugin\nprometheus\n");
        /* addresses of -c FILE: its sections and its mailbox_list */
        ck_completes("smimewatch -c my.conf --verify post",
                     "post@other.example\npostfach@lra.example\npoststelle@lra.example\n");
        ck_completes("smimewatch --verify --config my.conf ''",
                     "bauamt@lra.example\nbuergerbuero@gemeinde.example\npost@other.example\n"
                     "postfach@lra.example\npoststelle@lra.example\n");
        ck_completes("smimewatch --check-cert cert.pem -c my.conf --mailbox b",
                     "bauamt@lra.example\nbuergerbuero@gemeinde.example\n");
        /* files where a file is wanted */
        ck_completes("smimewatch --check-cert ce", "cert.pem\n");
        ck_completes("smimewatch -c my", "my.conf\n");
        /* no configuration readable: no addresses, no error */
        ck_completes("smimewatch -c nonexistent.conf --verify ''", "\n");
        ck_completes("smimewatch --at ''", "\n");
        free(list);
        free(conf);
        tl_rm_rf(comp_dir);
        free(comp_dir);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("packaging");
        TCase *tc = tcase_create("packaging");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, demo_report);
        tcase_add_test(tc, install);
        tcase_add_test(tc, bash_completion);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
