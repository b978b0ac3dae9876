/* SPDX-License-Identifier: EUPL-1.2 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "problem.h"
#include "secret.h"
#include "testlib.h"
#include "util.h"

START_TEST(durations)
{
        uint64_t u;

        ck_assert_int_eq(util_parse_duration("90", &u), 0);
        ck_assert_uint_eq(u, 90 * USEC_PER_SEC);
        ck_assert_int_eq(util_parse_duration("6h", &u), 0);
        ck_assert_uint_eq(u, 6 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(util_parse_duration("2d", &u), 0);
        ck_assert_uint_eq(u, 2 * 86400 * USEC_PER_SEC);
        ck_assert_int_eq(util_parse_duration("15m", &u), 0);
        ck_assert_uint_eq(u, 900 * USEC_PER_SEC);
        ck_assert_int_eq(util_parse_duration("", &u), -EINVAL);
        ck_assert_int_eq(util_parse_duration("-1s", &u), -EINVAL);
        ck_assert_int_eq(util_parse_duration("5w", &u), -EINVAL);
        ck_assert_int_eq(util_parse_duration("5hh", &u), -EINVAL);
        ck_assert_int_eq(util_parse_duration("99999999999999999999d", &u), -EINVAL);
}
END_TEST

START_TEST(times)
{
        char buf[21];
        time_t t;

        ck_assert_int_eq(util_parse_time("2026-11-28", &t), 0);
        ck_assert_str_eq(util_format_time(t, buf), "2026-11-28T00:00:00Z");
        ck_assert_int_eq(util_parse_time("2026-11-28T20:00:00Z", &t), 0);
        ck_assert_str_eq(util_format_time(t, buf), "2026-11-28T20:00:00Z");
        ck_assert_int_eq(util_parse_time("2026-11-28T21:30:00.25+01:30", &t), 0);
        ck_assert_str_eq(util_format_time(t, buf), "2026-11-28T20:00:00Z");
        /* Every year util_parse_time() takes is written back with four
         * digits (a state file with the year 525 once did not load again). */
        ck_assert_int_eq(util_parse_time("0525-11-28T19:00:00Z", &t), 0);
        ck_assert_str_eq(util_format_time(t, buf), "0525-11-28T19:00:00Z");
        ck_assert_int_eq(util_parse_time("9999-12-31T23:59:59Z", &t), 0);
        ck_assert_str_eq(util_format_time(t, buf), "9999-12-31T23:59:59Z");
        ck_assert_str_eq(util_format_time(t + 1, buf), "1970-01-01T00:00:00Z");
        ck_assert_int_eq(util_parse_time("2026-02-31", &t), -EINVAL);
        ck_assert_int_eq(util_parse_time("2026-11-28T20:00:00", &t), -EINVAL);
        ck_assert_int_eq(util_parse_time("yesterday", &t), -EINVAL);
        ck_assert_int_eq(util_days_until(0, 86399), 0);
        ck_assert_int_eq(util_days_until(0, 86400), 1);
        ck_assert_int_eq(util_days_until(0, -1), -1);
}
END_TEST

START_TEST(addresses)
{
        ck_assert(util_address_valid("poststelle@lra.example"));
        ck_assert(util_address_valid("inj*@example.org"));
        ck_assert(!util_address_valid("no-at.example"));
        ck_assert(!util_address_valid("a@b@c"));
        ck_assert(!util_address_valid("a b@c.example"));
        ck_assert(!util_address_valid("a@-c.example"));
        ck_assert(!util_address_valid("a@c..example"));
        ck_assert(!util_address_valid("(a)@c.example"));
        ck_assert(util_address_equal("Post@LRA.example", "Post@lra.EXAMPLE"));
        ck_assert(!util_address_equal("post@lra.example", "Post@lra.example"));
}
END_TEST

START_TEST(sanitize)
{
        char *s = util_sanitize("a\x1b[31mb\xff\\\xc3\xa4", 11, 100), *t;

        ck_assert_str_eq(s, "a\\x1b[31mb\\xff\\x5c\xc3\xa4");
        free(s);
        /* util_escape: a DN's own escapes stay unless anything else is escaped */
        s = util_escape("cn=Doe\\, John");
        ck_assert_str_eq(s, "cn=Doe\\, John");
        free(s);
        s = util_escape("cn=Doe\\, John\x1b\xc3\xa4");
        ck_assert_str_eq(s, "cn=Doe\\x5c, John\\x1b\xc3\xa4");
        /* escaping twice changes nothing */
        t = util_escape(s);
        ck_assert_str_eq(t, s);
        free(t);
        free(s);
        /* util_plain: true only where util_escape() changes nothing */
        {
                static const char *const samples[] = { "cn=Doe\\, John", " ~", "", "a\tb", "a\x7f",
                                                       "\xc3\xa4", "\xff", "a\x1b[31m" };

                for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
                        t = util_escape(samples[i]);
                        if (util_plain(samples[i]))
                                ck_assert_str_eq(t, samples[i]);
                        free(t);
                }
                ck_assert(util_plain("cn=Doe\\, John") && util_plain(" ~") && util_plain(""));
                ck_assert(!util_plain("a\tb") && !util_plain("a\x7f") && !util_plain("\xc3\xa4"));
        }
        s = util_cut("ab\0cdef", 7, 5);
        ck_assert_str_eq(s, "ab\\x00cd...");
        free(s);
        {
                struct util_buf b = { 0 };

                s = util_buf_take(&b);
                ck_assert_str_eq(s, "");
                free(s);
                for (int i = 0; i < 300; i++)
                        util_buf_item(&b, ", ", "item");
                util_buf_add(&b, " and %d more", 7);
                s = util_buf_take(&b);
                ck_assert_uint_eq(strlen(s), 300 * 4 + 299 * 2 + 11);
                ck_assert_str_eq(s + strlen(s) - 17, ", item and 7 more");
                free(s);
                /* Written in place: room, bytes, the length advanced. */
                for (int i = 0; i < 1000; i++) {
                        char *at = util_buf_room(&b, 3);

                        ck_assert_ptr_nonnull(at);
                        memcpy(at, "abc", 4);
                        b.len += 3;
                }
                util_buf_add(&b, "%s", "!");
                s = util_buf_take(&b);
                ck_assert_uint_eq(strlen(s), 3001);
                ck_assert_str_eq(s + 2994, "abcabc!");
                free(s);
                /* A size no string could have: out of memory, and stays so. */
                util_buf_add(&b, "x");
                ck_assert_ptr_null(util_buf_room(&b, SIZE_MAX - 1));
                util_buf_add(&b, "y");
                ck_assert_ptr_null(util_buf_take(&b));
        }
        s = util_sanitize("abcdef", 6, 3);
        ck_assert_str_eq(s, "abc...");
        free(s);
}
END_TEST

/* The one place files are opened, and the one text for its refusals. */
START_TEST(files)
{
        char *dir = tl_mkdtemp(), *p = tl_write(dir, "f", "abc"), *creds = NULL, buf[64];
        unsigned char *data = NULL;
        struct stat st;
        size_t len = 0;
        int fd = -1;

        ck_assert_int_eq(util_open_file(p, &fd, &st), 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(st.st_size, 3);
        close(fd);
        ck_assert_int_eq(util_open_file(dir, &fd, &st), -EISDIR);
        ck_assert_int_eq(util_open_file("/dev/null", &fd, &st), -EINVAL);
        ck_assert_int_eq(util_read_file(p, 2, &data, &len), -EFBIG);
        ck_assert_int_eq(util_read_file(p, 3, &data, &len), 0);
        ck_assert_str_eq((char *)data, "abc");
        free(data);
        ck_assert_str_eq(util_read_error(-EFBIG, buf, sizeof(buf)), "larger than 10 MiB");
        ck_assert_str_eq(util_read_error(-EINVAL, buf, sizeof(buf)),
                         "not a regular file (a FIFO, device or socket)");
        ck_assert_str_eq(util_read_error(-EBUSY, buf, sizeof(buf)), "it changed while it was read");
        ck_assert_str_eq(util_read_error(-EISDIR, buf, sizeof(buf)), "Is a directory");

        unsetenv("CREDENTIALS_DIRECTORY");
        ck_assert_int_eq(secret_credential_path("ldap-password", &creds), -ENOENT);
        setenv("CREDENTIALS_DIRECTORY", "", 1);
        ck_assert_int_eq(secret_credential_path("ldap-password", &creds), -ENOENT);
        setenv("CREDENTIALS_DIRECTORY", "/run/credentials/smimewatch.service", 1);
        ck_assert_int_eq(secret_credential_path("ldap-password", &creds), 0);
        ck_assert_str_eq(creds, "/run/credentials/smimewatch.service/ldap-password");
        unsetenv("CREDENTIALS_DIRECTORY");
        free(creds);
        free(p);
        tl_rm_rf(dir);
        free(dir);
}
END_TEST

START_TEST(statuses)
{
        struct problem_list l = { 0 };

        ck_assert_int_eq(sw_status_worse(SW_UNKNOWN, SW_CRITICAL), SW_CRITICAL);
        ck_assert_int_eq(sw_status_worse(SW_UNKNOWN, SW_WARNING), SW_UNKNOWN);
        ck_assert_int_eq(sw_status_worse(SW_OK, SW_WARNING), SW_WARNING);
        ck_assert_ptr_nonnull(problem_add(&l, PROBLEM_CERT_WEAK_KEY, SW_WARNING, "key %d", 1024));
        ck_assert_str_eq(l.items[0].message, "key 1024");
        ck_assert(problem_list_has(&l, PROBLEM_CERT_WEAK_KEY));
        ck_assert_int_eq(problem_list_worst(&l), SW_WARNING);
        problem_list_free(&l);
        for (int i = 0; i < PROBLEM_CODE_COUNT; i++)
                ck_assert_int_eq(problem_code_from_name(problem_code_name(i)), i);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("util");
        TCase *tc = tcase_create("util");

        tcase_add_test(tc, durations);
        tcase_add_test(tc, times);
        tcase_add_test(tc, addresses);
        tcase_add_test(tc, sanitize);
        tcase_add_test(tc, statuses);
        tcase_add_test(tc, files);
        suite_add_tcase(s, tc);
        return tl_run_suite(s);
}
