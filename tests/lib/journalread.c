/* SPDX-License-Identifier: EUPL-1.2 */
#include "journalread.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msgid.h"
#include "testlib.h"

void jr_require_namespace(void)
{
        ck_assert_msg(getenv("SMIMEWATCH_JOURNALD_NS") && getenv("SMIMEWATCH_JOURNAL_DIR"),
                      "run this test under tests/journald-ns (tests/run-tests does)");
}

static json_t *read_entries(const char *const *matches)
{
        const char *argv[40] = { "journalctl", "--no-pager", "-q", "-o", "json", "-D",
                                 getenv("SMIMEWATCH_JOURNAL_DIR") };
        size_t n = 7;
        json_t *list = json_array();
        struct tl_run r;

        for (size_t i = 0; matches && matches[i]; i++) {
                ck_assert_uint_lt(n, 38);
                argv[n++] = matches[i];
        }
        argv[n] = NULL;
        tl_run_argv(&r, argv, NULL, 20);
        /* journalctl exits 1 when a match finds nothing in some versions */
        ck_assert_msg(r.status == 0 || (r.status == 1 && !*r.out), "journalctl: %s", r.err);
        for (char *line = r.out, *next; line && *line; line = next) {
                json_error_t e;
                json_t *j;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                j = json_loads(line, 0, &e);
                ck_assert_msg(j, "journalctl printed no JSON: %s", line);
                json_array_append_new(list, j);
        }
        tl_run_free(&r);
        return list;
}

json_t *jr_entries(const char *const *matches)
{
        const char *sync[] = { "journalctl", "--sync", NULL };
        struct tl_run r;

        tl_run_argv(&r, sync, NULL, 20);
        ck_assert_msg(r.status == 0, "journalctl --sync: %s", r.err);
        tl_run_free(&r);
        return read_entries(matches);
}

json_t *jr_wait(const char *const *matches, size_t n, int timeout_ms)
{
        for (int waited = 0;; waited += 100) {
                json_t *list = jr_entries(matches);

                if (json_array_size(list) >= n || waited >= timeout_ms)
                        return list;
                json_decref(list);
                usleep(100 * 1000);
        }
}

const char *jr_field(json_t *entry, const char *field)
{
        return json_string_value(json_object_get(entry, field));
}

json_t *jr_filter(json_t *list, const char *field, const char *value)
{
        json_t *out = json_array(), *e;
        size_t i;

        json_array_foreach(list, i, e) {
                const char *v = jr_field(e, field);

                if (v && strcmp(v, value) == 0)
                        json_array_append(out, e);
        }
        return out;
}

pid_t jr_service_start(const char *conf, const char *dir)
{
        char *state = NULL, *err = NULL;
        pid_t pid;

        ck_assert_int_ge(asprintf(&state, "%s/state", dir), 0);
        ck_assert_int_ge(asprintf(&err, "%s/service.err", dir), 0);
        ck_assert_int_eq(mkdir(state, 0700), 0);
        fflush(NULL);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(fd, 1);
                dup2(fd, 2);
                setenv("STATE_DIRECTORY", state, 1);
                unsetenv("NOTIFY_SOCKET");
                unsetenv("JOURNAL_STREAM");
                execl(getenv("SMIMEWATCH_BIN"), "smimewatch", "-c", conf, (char *)NULL);
                _exit(127);
        }
        free(state);
        free(err);
        return pid;
}

void jr_service_one_check(pid_t pid)
{
        char p[32];
        const char *m[] = { "SYSLOG_IDENTIFIER=smimewatch", p, "MESSAGE_ID=" MSGID_CYCLE_SUMMARY,
                            NULL };
        json_t *l;
        int st;

        snprintf(p, sizeof(p), "_PID=%d", (int)pid);
        l = jr_wait(m, 1, 30000);
        ck_assert_msg(json_array_size(l) >= 1, "no check summary from the service");
        json_decref(l);
        ck_assert_int_eq(kill(pid, SIGTERM), 0);
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "service status %d", st);
}
