/* SPDX-License-Identifier: EUPL-1.2 */
/* Every committed input of the fuzz targets (tests/fuzz/corpus/NAME/:
 * the seeds, and every input that once crashed a target) through the
 * target's own function, in both passes of make check: a crash found by
 * `make fuzz` stays fixed. The Makefile compiles each tests/fuzz/NAME.c
 * with its entry point renamed NAME_one and lists them in
 * fuzz-targets.h. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "util.h"

#define FUZZ_TARGET(name) int name##_one(const uint8_t *data, size_t size);
#include "fuzz-targets.h"
#undef FUZZ_TARGET

static const struct {
        const char *name;
        int (*one)(const uint8_t *data, size_t size);
} targets[] = {
#define FUZZ_TARGET(name) { #name, name##_one },
#include "fuzz-targets.h"
#undef FUZZ_TARGET
};

START_TEST(replay_corpus)
{
        /* The targets name files relative to the project's top. */
        ck_assert_int_eq(chdir(tl_srcdir()), 0);
        for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
                char dir[256];
                struct dirent *e;
                size_t n = 0;
                DIR *d;

                snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", targets[t].name);
                d = opendir(dir);
                ck_assert_msg(d, "%s: no corpus", dir);
                while ((e = readdir(d))) {
                        unsigned char *data = NULL;
                        size_t len;
                        char *path;

                        if (e->d_name[0] == '.')
                                continue;
                        path = tl_path(dir, e->d_name);
                        ck_assert_int_eq(util_read_file(path, UTIL_MAX_FILE_SIZE, &data, &len), 0);
                        ck_assert_int_eq(targets[t].one(data, len), 0);
                        free(data);
                        free(path);
                        n++;
                }
                closedir(d);
                fprintf(stderr, "%s: %zu inputs\n", targets[t].name, n);
                ck_assert_msg(n > 0, "%s is empty", dir);
        }
}
END_TEST

int main(void)
{
        Suite *s = suite_create("fuzz");
        TCase *t = tcase_create("corpus");

        tcase_set_timeout(t, 60);
        tcase_add_test(t, replay_corpus);
        suite_add_tcase(s, t);
        return tl_run_suite(s);
}
