/* SPDX-License-Identifier: EUPL-1.2 */
/* The Debian package, for real: `make deb` builds it (in a copy of the
 * tree under a temporary BUILD), its contents and maintainer scripts are
 * inspected with dpkg-deb, lintian must report no error and no warning,
 * and it is installed with apt, run and purged in a throwaway root: an overlay
 * over / (writes go to a temporary upper directory) in a private mount
 * namespace, entered with chroot, so dpkg and the maintainer scripts act
 * as on a real Debian 12 machine without touching this one.
 *
 * Heavy (a full package build and lintian): built and run once per make
 * check, in the plain pass only (see the Makefile). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* The end of a long output: Check refuses failure messages of more than
 * a few KiB, and the end is where a build says why it failed. */
static const char *tail(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        return !s ? "" : n > 1500 ? s + n - 1500 : s;
}

static char *tmp;
static char *deb;               /* the .deb that make deb built */

/* In the unchecked fixture, so once for every test (each runs in a fork). */
static void build_once(void)
{
        char *build = tl_path(tmp, "b"), *var = NULL, *out;
        const char *env[] = { "MAKEFLAGS=", "MAKELEVEL=", "DEB_BUILD_OPTIONS=noddebs parallel=2",
                              NULL };
        struct tl_run r;

        ck_assert_int_ge(asprintf(&var, "BUILD=%s", build), 0);
        {
                const char *argv[] = { "make", "-s", "-C", tl_srcdir(), "deb", var, NULL };

                tl_run_argv(&r, argv, env, 600);
        }
        ck_assert_msg(r.status == 0, "make deb failed (%d):\n%s\n%s", r.status, tail(r.out), tail(r.err));
        /* the last line names the package */
        out = r.out + strlen(r.out);
        while (out > r.out && out[-1] == '\n')
                *--out = 0;
        while (out > r.out && out[-1] != '\n')
                out--;
        ck_assert_msg(strstr(out, "/deb/smimewatch_") && strstr(out, "_amd64.deb"), "%s", r.out);
        deb = strdup(out);
        tl_run_free(&r);
        /* the tree stays clean: nothing of the build beside debian/ */
        ck_assert_int_eq(tl_sh("cd '%s' && ! ls -d debian/smimewatch debian/.debhelper "
                               "debian/files ../smimewatch_*.deb 2>/dev/null | grep .",
                               tl_srcdir()), 0);
        free(var);
        free(build);
}

static void dpkg_deb(struct tl_run *r, const char *opt)
{
        const char *argv[] = { "dpkg-deb", opt, deb, NULL };

        tl_run_argv(r, argv, NULL, 60);
        ck_assert_msg(r->status == 0, "dpkg-deb %s: %s", opt, r->err);
}

START_TEST(contents)
{
        static const char *const files[] = {
                "./usr/sbin/smimewatch", "./usr/share/man/man8/smimewatch.8.gz",
                "./usr/share/man/man5/smimewatch.conf.5.gz", "./lib/systemd/system/smimewatch.service",
                "./usr/lib/systemd/catalog/smimewatch.catalog",
                "./usr/lib/systemd/catalog/smimewatch.de.catalog",
                "./etc/smimewatch/smimewatch.conf",
                "./usr/share/bash-completion/completions/smimewatch",
                "./usr/share/doc/smimewatch/copyright", "./usr/share/doc/smimewatch/changelog.gz",
                "./usr/share/doc/smimewatch/README.Debian",
                "./usr/share/doc/smimewatch/examples/icinga2/smimewatch.conf",
                "./usr/share/doc/smimewatch/examples/nagios/smimewatch.cfg",
                "./usr/share/doc/smimewatch/examples/prometheus/smimewatch.rules.yml",
        };
        struct tl_run r;
        char want[256];

        dpkg_deb(&r, "-c");
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(want, sizeof(want), " %s\n", files[i]);
                ck_assert_msg(strstr(r.out, want), "%s is not in the package:\n%s", files[i], tail(r.out));
        }
        ck_assert_msg(strstr(r.out, "-rwxr-xr-x root/root ") &&
                      strstr(strstr(r.out, "-rwxr-xr-x root/root "), "./usr/sbin/smimewatch\n"),
                      "%s", r.out);
        /* no second copy of the configuration as a conffile, nothing of the build */
        ck_assert_ptr_null(strstr(r.out, "smimewatch.conf.example"));
        ck_assert_ptr_null(strstr(r.out, "/usr/local"));
        tl_run_free(&r);

        /* the Makefile's VERSION is the package's (debian/changelog) */
        ck_assert_msg(tl_sh("cd '%s' && v=$(make -s --no-print-directory --eval 'print-version: ; "
                            "@echo $(VERSION)' print-version) && "
                            "[ \"$v\" = \"$(dpkg-parsechangelog -S Version)\" ] && "
                            "case '%s' in */smimewatch_${v}_amd64.deb) ;; *) exit 1 ;; esac",
                            tl_srcdir(), deb) == 0,
                      "VERSION in the Makefile and debian/changelog differ");
        dpkg_deb(&r, "-I");
        ck_assert_ptr_nonnull(strstr(r.out, " Package: smimewatch\n"));
        ck_assert_ptr_nonnull(strstr(r.out, " Architecture: amd64\n"));
        ck_assert_msg(strstr(r.out, " Depends: ") && strstr(r.out, "libssl3") &&
                      strstr(r.out, "libldap-2.5-0") && strstr(r.out, "libsystemd0"), "%s", r.out);
        tl_run_free(&r);
}
END_TEST

START_TEST(maintainer_scripts)
{
        char *ctl = tl_path(tmp, "control");

        ck_assert_int_eq(tl_sh("dpkg-deb -e '%s' '%s'", deb, ctl), 0);
        /* the configuration is a conffile, the only one */
        ck_assert_int_eq(tl_sh("[ \"$(cat '%s/conffiles')\" = /etc/smimewatch/smimewatch.conf ]",
                               ctl), 0);
        /* purge removes the state and the cache, DynamicUser's private copies too */
        ck_assert_int_eq(tl_sh("grep -q 'rm -rf /var/lib/smimewatch /var/lib/private/smimewatch' "
                               "'%s/postrm' && grep -q '/var/cache/smimewatch "
                               "/var/cache/private/smimewatch' '%s/postrm'", ctl, ctl), 0);
        /* enabled again only where it was (install_and_purge: not on install) */
        ck_assert_int_eq(tl_sh("grep -A2 'deb-systemd-helper --quiet was-enabled' '%s/postinst' | "
                               "grep -q 'deb-systemd-helper enable'", ctl), 0);
        ck_assert_int_eq(tl_sh("for s in postinst postrm; do sh -n '%s'/$s || exit 1; done",
                               ctl), 0);
        free(ctl);
}
END_TEST

START_TEST(lintian_clean)
{
        const char *argv[] = { "lintian", "--fail-on", "error,warning", NULL, NULL };
        struct tl_run r;

        argv[3] = deb;
        tl_run_argv(&r, argv, NULL, 300);
        ck_assert_msg(r.status == 0, "lintian (%d):\n%s\n%s", r.status, tail(r.out), tail(r.err));
        ck_assert_msg(!strstr(r.out, "E: ") && !strstr(r.out, "W: "), "lintian:\n%s", tail(r.out));
        tl_run_free(&r);
}
END_TEST

/* Installed with apt (as a new user would: apt install ./smimewatch_*.deb)
 * in the throwaway root: --version, --check-config on
 * the shipped example (with the PKI files it names put in place), not
 * enabled, and purged without a trace of its state and cache. */
START_TEST(install_and_purge)
{
        char *mkpki = tl_path(tl_srcdir(), "tests/mkpki"), *pki = tl_path(tmp, "pki");
        char *root = tl_path(tmp, "root"), *upper = tl_path(tmp, "upper"), *work = tl_path(tmp, "work");
        int rc;

        ck_assert_int_eq(tl_sh("'%s' init '%s' >/dev/null", mkpki, pki), 0);
        rc = tl_sh("mkdir -p '%s' '%s' '%s' && exec unshare --mount --propagation private sh -euc '\n"
                   "R=%s\n"
                   "mount -t overlay overlay -o lowerdir=/,upperdir=%s,workdir=%s \"$R\"\n"
                   "mount --rbind /dev \"$R/dev\"\n"
                   "mount -t proc proc \"$R/proc\"\n"
                   "mount -t tmpfs tmpfs \"$R/run\"\n"
                   "inroot() { chroot \"$R\" \"$@\"; }\n"
                   /* apt's chatter only when it fails */
                   "apt() { inroot env DEBIAN_FRONTEND=noninteractive apt-get -y -q \"$@\" "
                   ">\"$R/tmp/apt.log\" 2>&1 || { cat \"$R/tmp/apt.log\" >&2; exit 1; }; }\n"
                   "apt install %s\n"
                   /* systemd's trigger compiled the catalogs without a word */
                   "! grep -i catalog \"$R/tmp/apt.log\" | grep -v \"^Processing triggers\" >&2\n"
                   "inroot dpkg-query -W -f=\"\\${Status}\\n\" smimewatch | grep -qx \"install ok installed\"\n"
                   "inroot smimewatch --version | grep -qx \"smimewatch $(dpkg-deb -f %s Version)\"\n"
                   "[ ! -e \"$R/etc/systemd/system/multi-user.target.wants/smimewatch.service\" ]\n"
                   "E=$R/etc/smimewatch\n"
                   "mkdir -p \"$E/pki\"\n"
                   "cp %s/anchors.pem \"$E/pki/root-ca.pem\"\n"
                   "cp %s/intermediates.pem \"$E/pki/intermediates.pem\"\n"
                   "cp -r %s/crls \"$E/crls\"\n"
                   "inroot smimewatch --check-config | grep -qx \"configuration OK\"\n"
                   "mkdir -p \"$R/var/lib/private/smimewatch\" \"$R/var/cache/smimewatch\"\n"
                   "echo {} > \"$R/var/lib/private/smimewatch/state.json\"\n"
                   "ln -s private/smimewatch \"$R/var/lib/smimewatch\"\n"
                   "apt purge smimewatch\n"
                   "for p in /usr/sbin/smimewatch /etc/smimewatch/smimewatch.conf /var/lib/smimewatch "
                   "/var/lib/private/smimewatch /var/cache/smimewatch; do\n"
                   "        if [ -e \"$R$p\" ] || [ -L \"$R$p\" ]; then echo \"$p is left\" >&2; exit 1; fi\n"
                   "done\n"
                   "'", root, upper, work, root, upper, work, deb, deb, pki, pki, pki);
        ck_assert_msg(rc == 0, "installing, running or purging the package failed (%d)", rc);
        tl_rm_rf(upper);
        free(mkpki);
        free(pki);
        free(root);
        free(upper);
        free(work);
}
END_TEST

static void setup(void)
{
        tmp = tl_mkdtemp();
        build_once();
}

static void teardown(void)
{
        tl_rm_rf(tmp);
        free(tmp);
        free(deb);
}

int main(void)
{
        Suite *s = suite_create("deb");
        TCase *tc = tcase_create("deb");

        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 900);
        tcase_add_test(tc, contents);
        tcase_add_test(tc, maintainer_scripts);
        tcase_add_test(tc, lintian_clean);
        tcase_add_test(tc, install_and_purge);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
