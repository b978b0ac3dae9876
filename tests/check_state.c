/* SPDX-License-Identifier: EUPL-1.2 */
/* The persisted alert state: when a problem is due to be logged, what a
 * failed search leaves alone, and the atomic JSON file. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "cycle.h"
#include "mailbox.h"
#include "state.h"
#include "testlib.h"
#include "util.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define T0 ((time_t)1795896000)         /* 2026-11-28T20:00:00Z */
#define REALERT (3600 * USEC_PER_SEC)

/* A hand-made result: mailbox.c is another module, and only these fields
 * matter to the state. */
struct fake {
        struct mailbox_result m;
        struct cert_result certs[2];
};

static void fake_init(struct fake *f, const char *address, enum sw_status status)
{
        memset(f, 0, sizeof(*f));
        f->m.address = (char *)address;
        f->m.status = status;
        f->m.certs = f->certs;
        f->m.n_certs = 2;
        strcpy(f->certs[0].sha256, SHA_A);
        f->certs[0].serial = (char *)"0A1B";
        f->certs[0].not_after = T0 + 12 * 86400;
        strcpy(f->certs[1].sha256, SHA_B);
        f->certs[1].serial = (char *)"0C2D";
        f->certs[1].not_after = T0 + 400 * 86400;
}

static struct problem *fake_problem(struct fake *f, enum problem_code code, enum sw_status level,
                                    unsigned usage, int cert)
{
        struct problem *p = problem_add(&f->m.problems, code, level, "%s %d",
                                        problem_code_name(code), cert);

        ck_assert_ptr_nonnull(p);
        p->usage = usage;
        p->cert = cert;
        return p;
}

static void fake_clear(struct fake *f)
{
        problem_list_free(&f->m.problems);
}

/* What the callback was asked to log. */
struct log {
        char lines[16][160];
        size_t n;
        int fail;               /* >0: fail that many calls */
};

static int record(enum state_event e, const struct mailbox_result *m, const struct problem *p,
                  const struct state_alert *a, void *userdata)
{
        struct log *l = userdata;

        ck_assert_uint_lt(l->n, 16);
        if (e == STATE_EVENT_RECOVERED) {
                ck_assert_ptr_null(p);
                ck_assert_ptr_nonnull(a);
        } else {
                ck_assert_ptr_nonnull(p);
                ck_assert(e == STATE_EVENT_NEW ? a == NULL : a != NULL);
        }
        if (l->fail > 0) {
                l->fail--;
                return -EIO;
        }
        snprintf(l->lines[l->n++], 160, "%s %s %s %s", state_event_name(e), m->address,
                 problem_code_name(p ? p->code : a->code),
                 p ? sw_status_name(p->level) : a->cert_sha256[0] ? a->cert_sha256 : "-");
        return 0;
}

static void apply(struct state *s, struct fake *f, time_t now, struct log *l)
{
        memset(l->lines, 0, sizeof(l->lines));
        l->n = 0;
        ck_assert_int_eq(state_apply(s, &f->m, now, REALERT, record, l), 0);
}

START_TEST(alert_lifecycle)
{
        struct state *s = state_new();
        struct fake f;
        struct log l = { 0 };

        fake_init(&f, "poststelle@lra.example", SW_WARNING);
        fake_problem(&f, PROBLEM_CERT_EXPIRING, SW_WARNING, USAGE_ENCRYPTION, 0);
        apply(s, &f, T0, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.lines[0], "new poststelle@lra.example CERT_EXPIRING warning");
        ck_assert_uint_eq(s->n_alerts, 1);
        ck_assert_str_eq(s->alerts[0].cert_serial, "0A1B");
        ck_assert_int_eq(s->alerts[0].cert_not_after, T0 + 12 * 86400);

        /* Within realert: silence, also for an address spelt with another domain case. */
        f.m.address = (char *)"poststelle@LRA.example";
        apply(s, &f, T0 + 3599, &l);
        ck_assert_uint_eq(l.n, 0);
        apply(s, &f, T0 + 3600, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.lines[0], "repeated poststelle@LRA.example CERT_EXPIRING warning");
        apply(s, &f, T0 + 3700, &l);
        ck_assert_uint_eq(l.n, 0);

        /* A level change is logged at once. */
        f.m.problems.items[0].level = SW_CRITICAL;
        apply(s, &f, T0 + 3800, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.lines[0], "changed poststelle@LRA.example CERT_EXPIRING critical");
        ck_assert_int_eq(s->alerts[0].level, SW_CRITICAL);
        apply(s, &f, T0 + 3900, &l);
        ck_assert_uint_eq(l.n, 0);

        /* The renewed certificate expires too: another problem, the old one recovers. */
        f.m.problems.items[0].cert = 1;
        apply(s, &f, T0 + 4000, &l);
        ck_assert_uint_eq(l.n, 2);
        ck_assert_str_eq(l.lines[0], "new poststelle@LRA.example CERT_EXPIRING critical");
        ck_assert_str_eq(l.lines[1], "recovered poststelle@LRA.example CERT_EXPIRING " SHA_A);
        ck_assert_uint_eq(s->n_alerts, 1);

        /* Gone: one recovery, then nothing. */
        fake_clear(&f);
        f.m.status = SW_OK;
        apply(s, &f, T0 + 4100, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.lines[0], "recovered poststelle@LRA.example CERT_EXPIRING " SHA_B);
        ck_assert_uint_eq(s->n_alerts, 0);
        apply(s, &f, T0 + 99999, &l);
        ck_assert_uint_eq(l.n, 0);
        ck_assert_int_eq(state_find_mailbox(s, "poststelle@lra.example")->status, SW_OK);
        state_free(s);
}
END_TEST

START_TEST(identity)
{
        struct state *s = state_new();
        struct fake f, g;
        struct log l = { 0 };

        fake_init(&f, "a@x.example", SW_WARNING);
        /* Same code, different usage or certificate: three problems; a duplicate: one. */
        fake_problem(&f, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING, USAGE_ENCRYPTION, 0);
        fake_problem(&f, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING, USAGE_SIGNATURE, 0);
        fake_problem(&f, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING, USAGE_ENCRYPTION, 1);
        fake_problem(&f, PROBLEM_REVOCATION_UNKNOWN, SW_WARNING, USAGE_ENCRYPTION, 1);
        apply(s, &f, T0, &l);
        ck_assert_uint_eq(l.n, 3);
        ck_assert_uint_eq(s->n_alerts, 3);
        apply(s, &f, T0 + 10, &l);
        ck_assert_uint_eq(l.n, 0);

        /* Another mailbox with the same problem is its own, and does not
         * recover the first one's. */
        fake_init(&g, "b@x.example", SW_CRITICAL);
        fake_problem(&g, PROBLEM_MAILBOX_NOT_FOUND, SW_CRITICAL, 0, -1);
        apply(s, &g, T0 + 20, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.lines[0], "new b@x.example MAILBOX_NOT_FOUND critical");
        ck_assert_uint_eq(s->n_alerts, 4);
        ck_assert_str_eq(s->alerts[3].cert_sha256, "");
        ck_assert_ptr_null(s->alerts[3].cert_serial);
        fake_clear(&f);
        fake_clear(&g);
        state_free(s);
}
END_TEST

START_TEST(failed_search_keeps_state)
{
        struct state *s = state_new();
        struct fake f;
        struct log l = { 0 };

        fake_init(&f, "a@x.example", SW_CRITICAL);
        fake_problem(&f, PROBLEM_ENCRYPTION_CERT_MISSING, SW_CRITICAL, USAGE_ENCRYPTION, -1);
        apply(s, &f, T0, &l);
        ck_assert_uint_eq(l.n, 1);

        /* The search fails: its own problem is alerted, the rest stays. */
        fake_clear(&f);
        f.m.status = SW_UNKNOWN;
        fake_problem(&f, PROBLEM_DIRECTORY_UNREACHABLE, SW_UNKNOWN, 0, -1);
        apply(s, &f, T0 + 10, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.lines[0], "new a@x.example DIRECTORY_UNREACHABLE unknown");
        ck_assert_uint_eq(s->n_alerts, 2);
        ck_assert_int_eq(state_find_mailbox(s, "a@x.example")->status, SW_CRITICAL);
        ck_assert_int_eq(state_find_mailbox(s, "a@x.example")->checked_at, T0);
        apply(s, &f, T0 + 20, &l);
        ck_assert_uint_eq(l.n, 0);

        /* It answers again, and the certificate is there now. */
        fake_clear(&f);
        f.m.status = SW_OK;
        apply(s, &f, T0 + 30, &l);
        ck_assert_uint_eq(l.n, 2);
        ck_assert_uint_eq(s->n_alerts, 0);
        ck_assert_int_eq(state_find_mailbox(s, "a@x.example")->status, SW_OK);

        /* A mailbox whose very first search fails is unknown, not checked. */
        fake_init(&f, "new@x.example", SW_UNKNOWN);
        fake_problem(&f, PROBLEM_DIRECTORY_UNREACHABLE, SW_UNKNOWN, 0, -1);
        apply(s, &f, T0 + 40, &l);
        ck_assert_int_eq(state_find_mailbox(s, "new@x.example")->status, SW_UNKNOWN);
        ck_assert_int_eq(state_find_mailbox(s, "new@x.example")->checked_at, 0);
        fake_clear(&f);
        state_free(s);
}
END_TEST

START_TEST(unlogged_events_come_again)
{
        struct state *s = state_new();
        struct fake f;
        struct log l = { .fail = 1 };

        fake_init(&f, "a@x.example", SW_WARNING);
        fake_problem(&f, PROBLEM_MAILBOX_AMBIGUOUS, SW_WARNING, 0, -1);
        apply(s, &f, T0, &l);
        ck_assert_uint_eq(l.n, 0);
        ck_assert_uint_eq(s->n_alerts, 0);
        apply(s, &f, T0 + 1, &l);
        ck_assert_uint_eq(l.n, 1);

        fake_clear(&f);
        l.fail = 1;
        apply(s, &f, T0 + 2, &l);
        ck_assert_uint_eq(l.n, 0);
        ck_assert_uint_eq(s->n_alerts, 1);
        apply(s, &f, T0 + 3, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_uint_eq(s->n_alerts, 0);
        state_free(s);
}
END_TEST

START_TEST(prune_and_count)
{
        struct state *s = state_new();
        struct cfg_mailbox mbs[] = { { .address = (char *)"a@x.example" },
                                     { .address = (char *)"c@x.example" } };
        unsigned counts[SW_STATUS_COUNT];
        struct fake f;
        struct log l = { 0 };

        fake_init(&f, "a@x.example", SW_WARNING);
        fake_problem(&f, PROBLEM_MAILBOX_AMBIGUOUS, SW_WARNING, 0, -1);
        apply(s, &f, T0, &l);
        f.m.address = (char *)"b@x.example";
        apply(s, &f, T0, &l);
        ck_assert_uint_eq(s->n_alerts, 2);
        ck_assert_uint_eq(s->n_mailboxes, 2);

        state_prune(s, mbs, 2);
        ck_assert_uint_eq(s->n_alerts, 1);
        ck_assert_str_eq(s->alerts[0].mailbox, "a@x.example");
        ck_assert_uint_eq(s->n_mailboxes, 1);
        ck_assert_ptr_null(state_find_mailbox(s, "b@x.example"));

        ck_assert_int_eq(state_counts(s, mbs, 2, counts), SW_UNKNOWN);
        ck_assert_uint_eq(counts[SW_WARNING], 1);
        ck_assert_uint_eq(counts[SW_UNKNOWN], 1);
        ck_assert_uint_eq(counts[SW_OK] + counts[SW_CRITICAL], 0);
        fake_clear(&f);
        state_free(s);
}
END_TEST

/* What the outage callback was asked to log. */
struct outages {
        char lines[4][160];
        size_t n;
        int fail;
};

static int record_outage(enum state_event e, const char *reason, time_t since, void *userdata)
{
        struct outages *o = userdata;

        ck_assert_uint_lt(o->n, 4);
        if (o->fail > 0) {
                o->fail--;
                return -EIO;
        }
        snprintf(o->lines[o->n++], 160, "%s %s %lld", state_event_name(e), reason ? reason : "-",
                 (long long)since);
        return 0;
}

static int no_alert(enum state_event e, const struct mailbox_result *m, const struct problem *p,
                    const struct state_alert *a, void *userdata)
{
        (void)e, (void)m, (void)p, (void)a, (void)userdata;
        ck_abort_msg("no alert expected");
        return 0;
}

/* state.c alone moves the outage: one event when it begins (again next
 * time when it could not be logged), the reason kept current, one when
 * it ends, escaped reasons. */
START_TEST(outage_transitions)
{
        struct state *s = state_new();
        struct cycle_result down = { .checked_at = T0, .directory_failed = true,
                                     .directory_reason = (char *)"ldap://x: refused \x1b" };
        struct cycle_result up = { .checked_at = T0 + 300 };
        struct outages o = { .fail = 1 };

        ck_assert_int_eq(state_follow(s, &down, REALERT, no_alert, record_outage, &o), 0);
        ck_assert_uint_eq(o.n, 0);
        ck_assert_int_eq(s->outage_since, 0);
        down.checked_at = T0 + 60;
        ck_assert_int_eq(state_follow(s, &down, REALERT, no_alert, record_outage, &o), 0);
        ck_assert_uint_eq(o.n, 1);
        ck_assert_str_eq(o.lines[0], "outage ldap://x: refused \\x1b 1795896060");
        ck_assert_int_eq(s->outage_since, T0 + 60);
        down.checked_at = T0 + 180;
        down.directory_reason = (char *)"ldap://x: timed out";
        ck_assert_int_eq(state_follow(s, &down, REALERT, no_alert, record_outage, &o), 0);
        ck_assert_uint_eq(o.n, 1);
        ck_assert_str_eq(s->outage_reason, "ldap://x: timed out");
        ck_assert_int_eq(s->outage_since, T0 + 60);
        o.fail = 1;
        ck_assert_int_eq(state_follow(s, &up, REALERT, no_alert, record_outage, &o), 0);
        ck_assert_int_eq(s->outage_since, T0 + 60);
        ck_assert_int_eq(state_follow(s, &up, REALERT, no_alert, record_outage, &o), 0);
        ck_assert_uint_eq(o.n, 2);
        ck_assert_str_eq(o.lines[1], "outage over ldap://x: timed out 1795896060");
        ck_assert_int_eq(s->outage_since, 0);
        ck_assert_ptr_null(s->outage_reason);
        state_free(s);
}
END_TEST

static int count_alert(enum state_event e, const struct mailbox_result *m, const struct problem *p,
                       const struct state_alert *a, void *userdata)
{
        (void)m, (void)p, (void)a;
        ((unsigned *)userdata)[e]++;
        return 0;
}

static int count_outage(enum state_event e, const char *reason, time_t since, void *userdata)
{
        (void)reason, (void)since;
        ((unsigned *)userdata)[e]++;
        return 0;
}

/* 10,000 mailboxes with a problem each, followed twice and then
 * recovered: found by hash, this takes well under a second (a linear
 * search took 10,000 x 10,000 comparisons per step). */
START_TEST(ten_thousand_mailboxes)
{
        enum { N = 10000 };
        struct cycle_result res = { .checked_at = T0, .n_mailboxes = N };
        struct cfg_mailbox *mbs = calloc(N, sizeof(*mbs));
        unsigned events[STATE_EVENT_OUTAGE_OVER + 1] = { 0 }, counts[SW_STATUS_COUNT];
        struct state *s = state_new();
        struct timespec t0, t1;
        double secs;

        res.mailboxes = calloc(N, sizeof(*res.mailboxes));
        ck_assert_ptr_nonnull(res.mailboxes);
        ck_assert_ptr_nonnull(mbs);
        for (size_t i = 0; i < N; i++) {
                struct mailbox_result *m = &res.mailboxes[i];

                ck_assert_int_ge(asprintf(&m->address, "m%zu@Lra.Example", i), 0);
                mbs[i].address = m->address;
                m->status = SW_WARNING;
                ck_assert_ptr_nonnull(problem_add(&m->problems, PROBLEM_MAILBOX_AMBIGUOUS,
                                                  SW_WARNING, "two entries"));
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ck_assert_int_eq(state_follow(s, &res, REALERT, count_alert, count_outage, events), 0);
        res.checked_at = T0 + 60;
        ck_assert_int_eq(state_follow(s, &res, REALERT, count_alert, count_outage, events), 0);
        ck_assert_int_eq(state_counts(s, mbs, N, counts), SW_WARNING);
        for (size_t i = 0; i < N; i++) {
                problem_list_free(&res.mailboxes[i].problems);
                res.mailboxes[i].status = SW_OK;
        }
        ck_assert_int_eq(state_follow(s, &res, REALERT, count_alert, count_outage, events), 0);
        state_prune(s, mbs, N);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("state: 3 checks of %d mailboxes followed in %.3f s\n", N, secs);
        ck_assert_uint_eq(events[STATE_EVENT_NEW], N);
        ck_assert_uint_eq(events[STATE_EVENT_REPEATED] + events[STATE_EVENT_CHANGED], 0);
        ck_assert_uint_eq(events[STATE_EVENT_RECOVERED], N);
        ck_assert_uint_eq(counts[SW_WARNING], N);
        ck_assert_uint_eq(s->n_alerts, 0);
        ck_assert_uint_eq(s->n_mailboxes, N);
        ck_assert_int_eq(state_find_mailbox(s, "m9999@lra.example")->status, SW_OK);
        ck_assert_uint_eq(events[STATE_EVENT_OUTAGE] + events[STATE_EVENT_OUTAGE_OVER], 0);
        ck_assert_msg(secs < 2.0, "%.3f s", secs);
        for (size_t i = 0; i < N; i++)
                free(res.mailboxes[i].address);
        free(res.mailboxes);
        free(mbs);
        state_free(s);
}
END_TEST

START_TEST(state_file_path)
{
        char *p;

        setenv("STATE_DIRECTORY", "/var/lib/one:/var/lib/two", 1);
        p = state_path();
        ck_assert_str_eq(p, "/var/lib/one/state.json");
        free(p);
        unsetenv("STATE_DIRECTORY");
        p = state_path();
        ck_assert_str_eq(p, "/var/lib/smimewatch/state.json");
        free(p);
}
END_TEST

static unsigned count_files(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        unsigned n = 0;

        ck_assert_ptr_nonnull(d);
        while ((e = readdir(d)))
                n += e->d_name[0] != '.';
        closedir(d);
        return n;
}

START_TEST(save_and_load)
{
        char *dir = tl_mkdtemp(), *path = tl_path(dir, "state.json"), *err = NULL;
        struct state *s = state_new(), *t = NULL;
        struct fake f;
        struct log l = { 0 };

        fake_init(&f, "a@x.example", SW_CRITICAL);
        fake_problem(&f, PROBLEM_CERT_EXPIRING, SW_CRITICAL, USAGE_SIGNATURE, 0);
        free(f.m.problems.items[0].message);
        f.m.problems.items[0].message = strdup("signature certificate expires in 2 days \xc3\xa4");
        fake_problem(&f, PROBLEM_MAILBOX_AMBIGUOUS, SW_WARNING, 0, -1);
        apply(s, &f, T0, &l);
        s->outage_since = T0 + 5;
        s->outage_reason = strdup("ldap://127.0.0.1:1: connection refused");

        ck_assert_int_eq(state_save(s, path, T0 + 6), 0);
        ck_assert_int_eq(state_save(s, path, T0 + 7), 0);  /* over an existing one */
        ck_assert_uint_eq(count_files(dir), 1);            /* no temporary file left */
        ck_assert_int_eq(state_load(path, &t, &err), 0);
        ck_assert_ptr_null(err);
        ck_assert_uint_eq(t->n_alerts, 2);
        ck_assert_str_eq(t->alerts[0].mailbox, "a@x.example");
        ck_assert_int_eq(t->alerts[0].code, PROBLEM_CERT_EXPIRING);
        ck_assert_int_eq(t->alerts[0].usage, USAGE_SIGNATURE);
        ck_assert_int_eq(t->alerts[0].level, SW_CRITICAL);
        ck_assert_str_eq(t->alerts[0].cert_sha256, SHA_A);
        ck_assert_str_eq(t->alerts[0].cert_serial, "0A1B");
        ck_assert_int_eq(t->alerts[0].cert_not_after, T0 + 12 * 86400);
        ck_assert_str_eq(t->alerts[0].message, "signature certificate expires in 2 days \xc3\xa4");
        ck_assert_int_eq(t->alerts[0].since, T0);
        ck_assert_int_eq(t->alerts[0].logged_at, T0);
        ck_assert_str_eq(t->alerts[1].cert_sha256, "");
        ck_assert_int_eq(t->alerts[1].usage, 0);
        ck_assert_ptr_null(t->alerts[1].cert_serial);
        ck_assert_uint_eq(t->n_mailboxes, 1);
        ck_assert_int_eq(t->mailboxes[0].status, SW_CRITICAL);
        ck_assert_int_eq(t->mailboxes[0].checked_at, T0);
        ck_assert_int_eq(t->outage_since, T0 + 5);
        ck_assert_str_eq(t->outage_reason, "ldap://127.0.0.1:1: connection refused");

        /* After a restart, a problem logged within realert is not repeated. */
        apply(t, &f, T0 + 60, &l);
        ck_assert_uint_eq(l.n, 0);

        fake_clear(&f);
        state_free(s);
        state_free(t);
        tl_rm_rf(dir);
        free(path);
        free(dir);
}
END_TEST

static void expect_corrupt(const char *dir, const char *text)
{
        char *path = tl_write(dir, "state.json", "%s", text), *err = NULL;
        struct state *s = NULL;

        ck_assert_int_eq(state_load(path, &s, &err), -EBADMSG);
        ck_assert_ptr_null(s);
        ck_assert_msg(err && *err, "no reason for %s", text);
        free(err);
        free(path);
}

/* One alert in the file's syntax; %s is its code. */
#define ALERT "{\"mailbox\":\"a@x.example\",\"code\":\"%s\",\"usage\":null," \
        "\"cert_sha256\":null,\"cert_serial\":null,\"cert_not_after\":null," \
        "\"level\":\"warning\",\"message\":\"m\",\"since\":null,\"logged_at\":null}"

START_TEST(missing_and_corrupt)
{
        char *dir = tl_mkdtemp(), *path = tl_path(dir, "nothing.json"), *err = NULL;
        char *nodir = tl_path(dir, "no/such/dir/state.json");
        struct state *s = NULL;
        char buf[1024];

        ck_assert_int_eq(state_load(path, &s, &err), -ENOENT);
        ck_assert_ptr_null(s);
        free(err);
        expect_corrupt(dir, "");
        expect_corrupt(dir, "{\"version\": 1, \"alerts\": [");        /* a torn write */
        expect_corrupt(dir, "[1,2,3]");
        expect_corrupt(dir, "{\"version\":2,\"directory_outage\":null,\"mailboxes\":[],"
                       "\"alerts\":[]}");
        snprintf(buf, sizeof(buf), "{\"version\":1,\"directory_outage\":null,\"mailboxes\":[],"
                 "\"alerts\":[" ALERT "]}", "NO_SUCH_CODE");
        expect_corrupt(dir, buf);       /* no such problem code */
        snprintf(buf, sizeof(buf), "{\"version\":1,\"directory_outage\":null,\"mailboxes\":"
                 "[{\"address\":\"a@x.example\",\"status\":\"bad\",\"checked_at\":null}],"
                 "\"alerts\":[]}");
        expect_corrupt(dir, buf);

        /* The well-formed minimum loads. */
        free(path);
        path = tl_write(dir, "state.json", "{\"version\":1,\"directory_outage\":null,"
                        "\"mailboxes\":[],\"alerts\":[" ALERT "]}", "MAILBOX_AMBIGUOUS");
        ck_assert_int_eq(state_load(path, &s, &err), 0);
        ck_assert_uint_eq(s->n_alerts, 1);

        /* A state directory that is not there: an error, no file. */
        ck_assert_int_eq(state_save(s, nodir, T0), -ENOENT);
        state_free(s);
        tl_rm_rf(dir);
        free(nodir);
        free(path);
        free(dir);
}
END_TEST

static Suite *state_suite(void)
{
        Suite *s = suite_create("state");
        TCase *t = tcase_create("state");

        tcase_add_test(t, alert_lifecycle);
        tcase_add_test(t, identity);
        tcase_add_test(t, failed_search_keeps_state);
        tcase_add_test(t, unlogged_events_come_again);
        tcase_add_test(t, prune_and_count);
        tcase_add_test(t, outage_transitions);
        tcase_add_test(t, ten_thousand_mailboxes);
        tcase_add_test(t, state_file_path);
        tcase_add_test(t, save_and_load);
        tcase_add_test(t, missing_and_corrupt);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return tl_run_suite(state_suite());
}
