/* SPDX-License-Identifier: EUPL-1.2 */
/* The service: a check right after start and then every interval, on
 * sd-event; alerts through journal.c as state.c decides; SIGHUP reloads,
 * SIGTERM/SIGINT end it; sd_notify keeps systemd informed.
 *
 * A check runs on a thread of its own, so that the event loop keeps
 * feeding the watchdog and answering signals while the directory takes
 * its time. The thread only reads the configuration and the PKI and fills
 * its own cycle_result; everything else (the alert state, the journal
 * entries, the schedule) stays on the loop's thread, which takes the
 * result when the thread says it is done (an eventfd). So a reload that
 * arrives during a check waits for its end, and SIGTERM during a check
 * saves the state as it was before the check and ends the process within
 * STOP_WAIT_USEC, leaving the unfinished check behind.
 *
 * Where diagnostics go: to the journal (with priorities) when stderr is
 * the journal stream systemd set up (JOURNAL_STREAM names it), otherwise
 * to stderr, so that someone starting the service in a terminal sees why
 * it refuses a configuration. Alert entries always go to the journal: they
 * are the service's output. */
#include "service.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cycle.h"
#include "journal.h"
#include "load.h"
#include "log.h"
#include "metrics.h"
#include "modes.h"
#include "pki.h"
#include "revocation.h"
#include "state.h"
#include "util.h"

#define BACKOFF_START_USEC (60 * USEC_PER_SEC)
/* How long SIGTERM waits for a running check to end by itself (systemd's
 * stop is expected to take well under 2 s). */
#define STOP_WAIT_USEC (500 * 1000)

/* The check running on its own thread; set up before it starts, read by
 * the loop only after the thread signalled done. */
struct check {
        pthread_t thread;
        bool running;
        int done_fd;                    /* eventfd, written when the thread ends */
        sd_event_source *done_source;
        const struct cfg *cfg;
        const struct pki *pki;
        time_t started;
        struct rev_opts ro;
        int r;
        struct cycle_result res;
};

struct service {
        sd_event *event;
        sd_event_source *timer;
        const char *config_path;
        struct cfg *cfg;
        struct pki *pki;
        struct state *state;
        char *state_path;
        int save_error;                 /* of the last state_save(), to log changes only */
        int metrics_error;              /* of the last metrics_update(), likewise */
        uint64_t backoff_start_usec;
        uint64_t backoff_usec;          /* the last retry delay; 0 while the directory answers */
        char status[512];               /* the last STATUS=, restored after a failed reload */
        struct check check;
        bool reload_pending;            /* SIGHUP during a check */
        char *cache_dir;                /* revocation.h's cache */
        struct rev_outages rev_outages; /* failing revocation sources, announced once */
        /* The mailboxes of the last check that reached the directory
         * (configured and discovered); empty before it. */
        struct cycle_set known;
        bool discovery_incomplete;      /* logged once when it starts and when it ends */
        bool smtp_unknown;              /* the same for the mail server's SIZE check */
};

/* What the counts are about: the last checked set, else the configuration. */
static const struct cfg_mailbox *known_mailboxes(const struct service *s, size_t *n)
{
        if (s->known.mailboxes) {
                *n = s->known.n;
                return s->known.mailboxes;
        }
        *n = s->cfg->n_mailboxes;
        return s->cfg->mailboxes;
}

static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* cfg_load() reports every error, one "FILE:LINE: ..." per line. */
static void log_lines(int priority, const char *text)
{
        while (text && *text) {
                size_t n = strcspn(text, "\n");

                if (n > 0)
                        log_msg(priority, "%.*s", (int)n, text);
                text += n + (text[n] == '\n');
        }
}

/* A fresh configuration and PKI from path, or every reason why not. */
static int load_config(const char *path, struct cfg **ret_cfg, struct pki **ret_pki)
{
        char *errors = NULL;
        int r;

        r = load_configuration(path, CFG_NEED_DIRECTORY, ret_cfg, ret_pki, &errors);
        if (r < 0)
                log_lines(LOG_ERR, errors ? errors : "cannot load the configuration");
        free(errors);
        return r;
}

static void notify_status(struct service *s, const char *extra, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void notify_status(struct service *s, const char *extra, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(s->status, sizeof(s->status), fmt, ap);
        va_end(ap);
        sd_notifyf(false, "%sSTATUS=%s", extra ? extra : "", s->status);
}

/* ---- one check ---------------------------------------------------------- */

static int on_alert(enum state_event e, const struct mailbox_result *m, const struct problem *p,
                    const struct state_alert *a, void *userdata)
{
        int r;

        (void)userdata;
        if (e == STATE_EVENT_RECOVERED)
                r = journal_recovered(a, m->status);
        else
                r = journal_problem(m, p, state_event_name(e));
        if (r < 0)
                log_warning("cannot write an alert for %s to the journal: %s", m->address,
                            strerror(-r));
        return r;
}

static int on_outage(enum state_event e, const char *reason, time_t since, void *userdata)
{
        const struct service *s = userdata;
        size_t n;

        (void)known_mailboxes(s, &n);
        if (e == STATE_EVENT_OUTAGE)
                return journal_outage(reason, n);
        if (journal_outage_over(since) < 0)
                return -1;
        log_notice("the directory answers again");
        return 0;
}

/* The whole directory is down: retries with back-off (state.c follows
 * the outage itself). */
static uint64_t directory_down(struct service *s)
{
        uint64_t interval = s->cfg->service.interval_usec;

        if (s->backoff_usec == 0)
                s->backoff_usec = s->backoff_start_usec;
        else
                s->backoff_usec *= 2;
        if (s->backoff_usec > interval)
                s->backoff_usec = interval;
        return s->backoff_usec;
}

static void save_state(struct service *s, time_t now)
{
        int r = state_save(s->state, s->state_path, now);

        if (r < 0 && r != s->save_error)
                log_warning("cannot save the alert state to \"%s\": %s", s->state_path,
                            strerror(-r));
        else if (r == 0 && s->save_error)
                log_notice("alert state saved to \"%s\" again", s->state_path);
        s->save_error = r;
}

/* Discovery that stops short is logged when it starts and when it ends;
 * the mailboxes it found are checked meanwhile (and the summary says so). */
static void follow_discovery(struct service *s, const struct cycle_result *res)
{
        const char *why = res->set.discovery_reason;

        if (why && !s->discovery_incomplete)
                log_error("discovery is incomplete, only the mailboxes found are checked: %s", why);
        else if (!why && s->discovery_incomplete && res->set.discovery)
                log_notice("discovery is complete again: %zu mailbox%s", res->set.n_found,
                           res->set.n_found == 1 ? "" : "es");
        s->discovery_incomplete = why != NULL;
}

/* A mail server that cannot be asked is no alarm (the mailboxes keep their
 * verdicts), but the operator should know: logged when it starts and ends. */
static void follow_smtp(struct service *s, const struct smtp_result *r)
{
        bool unknown = r->checked && r->status == SW_UNKNOWN;

        if (unknown && !s->smtp_unknown)
                log_warning("the size limit of the mail server %s is unknown: %s", r->server,
                            r->reason ? r->reason : "no reason given");
        else if (!unknown && s->smtp_unknown && r->checked)
                log_notice("the mail server %s answers again", r->server);
        s->smtp_unknown = unknown;
}

/* After a check that reached the directory, its set is what is known;
 * the alert state of mailboxes no longer in it is forgotten, but only
 * when discovery was complete (a cut list must not make alerts vanish). */
static void keep_set(struct service *s, struct cycle_result *res)
{
        if (!res->set.discovery)
                return;
        if (!res->set.discovery_reason)
                state_prune(s->state, res->set.mailboxes, res->set.n);
        cycle_set_free(&s->known);
        s->known = res->set;
        res->set = (struct cycle_set){ 0 };
}

/* "12 discovered" for STATUS=. */
static const char *discovered_text(const struct service *s, char *buf, size_t size)
{
        snprintf(buf, size, "%zu discovered", s->known.n_added);
        return buf;
}

static void report(struct service *s, time_t now, uint64_t next_usec)
{
        unsigned counts[SW_STATUS_COUNT];
        size_t n;
        const struct cfg_mailbox *mailboxes = known_mailboxes(s, &n);
        enum sw_status overall = state_counts(s->state, mailboxes, n, counts);
        const char *outage = s->state->outage_since ? s->state->outage_reason : NULL;
        time_t next = now + (time_t)(next_usec / USEC_PER_SEC);
        size_t discovered = s->known.n_added;
        char at[21], since[21];

        if (s->discovery_incomplete)
                overall = sw_status_worse(overall, SW_UNKNOWN);
        if (journal_summary(counts, n, discovered, overall, next, outage) < 0)
                log_warning("cannot write the check summary to the journal");
        util_format_time(next, at);
        if (s->state->outage_since)
                notify_status(s, NULL, "directory unreachable since %s; last known: %u ok, "
                              "%u warning, %u critical, %u unknown; next attempt %s",
                              util_format_time(s->state->outage_since, since), counts[SW_OK],
                              counts[SW_WARNING], counts[SW_CRITICAL], counts[SW_UNKNOWN], at);
        else
                notify_status(s, NULL, "%u ok, %u warning, %u critical, %u unknown%s%s%s; "
                              "next check %s", counts[SW_OK], counts[SW_WARNING],
                              counts[SW_CRITICAL], counts[SW_UNKNOWN],
                              s->known.discovery ? "; " : "",
                              s->known.discovery ? discovered_text(s, since, sizeof(since)) : "",
                              s->discovery_incomplete ? " (discovery incomplete)" : "", at);
}

/* Counts from now, not from the start of the loop iteration (what
 * sd_event_now() would give): a check may have taken a while. */
static int schedule(struct service *s, uint64_t delay_usec)
{
        struct timespec ts;
        uint64_t now;
        int r;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                return -errno;
        now = (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
        r = sd_event_source_set_time(s->timer, now + delay_usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        return r;
}

/* One journal entry when a revocation source starts failing, one when it is back. */
static void on_rev_source(const char *source, const char *why, bool covered, bool recovered,
                          void *arg)
{
        (void)arg;
        if (recovered)
                journal_source_back(source);
        else
                journal_source_failing(source, why, covered);
}

static void *check_main(void *userdata)
{
        struct check *k = userdata;
        uint64_t one = 1;

        k->r = cycle_run_all(k->cfg, k->pki, k->started, &k->ro, &k->res);
        (void)!write(k->done_fd, &one, sizeof(one));
        return NULL;
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
        struct service *s = userdata;
        struct check *k = &s->check;
        int e;

        (void)es;
        (void)usec;
        k->cfg = s->cfg;
        k->pki = s->pki;
        k->started = time(NULL);
        k->ro = (struct rev_opts){ .cache_dir = s->cache_dir };
        k->res = (struct cycle_result){ 0 };
        k->r = 0;
        e = pthread_create(&k->thread, NULL, check_main, k);
        if (e != 0) {
                log_error("cannot start the check: %s", strerror(e));
                return sd_event_exit(s->event, EXIT_FAILURE);
        }
        k->running = true;
        return 0;
}

static int do_reload(struct service *s, uint64_t next_usec);

/* The loop's half of a check: what the thread found becomes alerts,
 * state and the next schedule. */
static int on_check_done(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
        struct service *s = userdata;
        struct check *k = &s->check;
        uint64_t next = s->cfg->service.interval_usec, count;
        time_t now;
        int r;

        (void)es;
        (void)revents;
        if (read(fd, &count, sizeof(count)) < 0 || !k->running)
                return 0;
        pthread_join(k->thread, NULL);
        k->running = false;
        if (k->r < 0) {
                log_error("the check could not run: %s", strerror(-k->r));
        } else {
                if (rev_outages_update(&s->rev_outages, k->res.revocation, on_rev_source, s) < 0)
                        log_error("out of memory");
                if (k->res.directory_failed)
                        next = directory_down(s);
                else
                        s->backoff_usec = 0;
                if (state_follow(s->state, &k->res, s->cfg->service.realert_usec, on_alert, on_outage,
                                 s) < 0)
                        log_error("out of memory while following the results of the check");
                if (!k->res.directory_failed) {
                        follow_discovery(s, &k->res);
                        follow_smtp(s, &k->res.smtp);
                        keep_set(s, &k->res);
                }
                now = time(NULL);
                save_state(s, now);
                report(s, now, next);
                s->metrics_error = metrics_update(s->cfg->service.metrics_file, &k->res,
                                                  s->metrics_error);
                cycle_result_free(&k->res);
                cycle_release_memory();
        }
        if (s->reload_pending) {
                s->reload_pending = false;
                return do_reload(s, next);
        }
        r = schedule(s, next);
        if (r < 0) {
                log_error("cannot schedule the next check: %s", strerror(-r));
                return sd_event_exit(s->event, EXIT_FAILURE);
        }
        return 0;
}

/* SIGTERM during a check: the check gets a moment to end by itself; if
 * it does not, its thread is left running and the process ends here,
 * without the exit handlers that would pull OpenSSL and libldap from under
 * it. Either way its result is discarded: the state saved is the one from
 * before the check. Returns only when the check is over. */
static void stop_check(struct service *s)
{
        struct check *k = &s->check;
        struct pollfd p = { .fd = k->done_fd, .events = POLLIN };
        int n;

        if (!k->running)
                return;
        do
                n = poll(&p, 1, STOP_WAIT_USEC / 1000);
        while (n < 0 && errno == EINTR);
        if (n > 0) {
                pthread_join(k->thread, NULL);
                k->running = false;
                if (k->r >= 0)
                        cycle_result_free(&k->res);
                log_info("the check in progress was discarded");
                return;
        }
        log_info("the check in progress is abandoned");
        save_state(s, time(NULL));
        fflush(NULL);
        _exit(EXIT_SUCCESS);
}

/* ---- signals ---------------------------------------------------------- */

/* next_usec: after a check that waited for this reload, when the next one
 * is due if the new configuration is refused (nothing is scheduled yet);
 * 0 otherwise. */
static int do_reload(struct service *s, uint64_t next_usec)
{
        struct cfg *c = NULL;
        struct pki *p = NULL;

        sd_notify(false, "RELOADING=1\nSTATUS=reloading the configuration");
        log_info("reloading \"%s\"", s->config_path);
        if (load_config(s->config_path, &c, &p) < 0) {
                log_error("\"%s\" is not valid; the previous configuration stays in force",
                          s->config_path);
                sd_notifyf(false, "READY=1\nSTATUS=%s", s->status);
                if (next_usec && schedule(s, next_usec) < 0)
                        return sd_event_exit(s->event, EXIT_FAILURE);
                return 0;
        }
        pki_free(s->pki);
        cfg_free(s->cfg);
        s->cfg = c;
        s->pki = p;
        /* No check is running: nothing of ours is being written there. */
        if (c->service.metrics_file)
                util_replace_file_cleanup(c->service.metrics_file);
        /* Discovered mailboxes are forgotten after the next complete discovery. */
        cycle_set_free(&s->known);
        if (!c->directory.discover)
                state_prune(s->state, c->mailboxes, c->n_mailboxes);
        log_notice("configuration reloaded: %zu mailbox%s", c->n_mailboxes,
                   c->n_mailboxes == 1 ? "" : "es");
        notify_status(s, "READY=1\n", "configuration reloaded; checking %zu mailbox%s",
                      c->n_mailboxes, c->n_mailboxes == 1 ? "" : "es");
        /* Added mailboxes are checked, removed ones forgotten, right now. */
        if (schedule(s, 0) < 0)
                return sd_event_exit(s->event, EXIT_FAILURE);
        return 0;
}

/* SIGUSR1: check now (an operator who just fixed a certificate need not
 * wait for the interval); during a check, nothing more happens. */
static int on_check_now(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
        struct service *s = userdata;

        (void)es;
        (void)si;
        if (s->check.running)
                return 0;
        log_info("checking now, as asked by SIGUSR1");
        if (schedule(s, 0) < 0)
                return sd_event_exit(s->event, EXIT_FAILURE);
        return 0;
}

/* The running check uses the configuration: a reload waits for its end. */
static int on_reload(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
        struct service *s = userdata;

        (void)es;
        (void)si;
        if (s->check.running) {
                log_info("reloading \"%s\" after the check in progress", s->config_path);
                s->reload_pending = true;
                return 0;
        }
        return do_reload(s, 0);
}

static int on_stop(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
        struct service *s = userdata;

        (void)es;
        sd_notify(false, "STOPPING=1\nSTATUS=stopping");
        log_info("stopping on %s", sigabbrev_np((int)si->ssi_signo));
        stop_check(s);
        return sd_event_exit(s->event, 0);
}

/* ---- start and end ------------------------------------------------------ */

static struct state *open_state(const char *path)
{
        struct state *st = NULL;
        char *err = NULL, *keep = NULL;
        int r;

        /* What a save cut off by kill -9 left (the state file itself is
         * replaced atomically and stays whole). */
        util_replace_file_cleanup(path);
        r = state_load(path, &st, &err);

        if (r == -EBADMSG) {
                /* Kept for a look, never in the way: the next save replaces it. */
                if (asprintf(&keep, "%s.corrupt", path) < 0)
                        keep = NULL;
                if (keep && rename(path, keep) < 0) {
                        free(keep);
                        keep = NULL;
                }
                log_warning("\"%s\" is not a valid alert state (%s); starting afresh%s%s%s", path,
                            err ? err : "malformed", keep ? ", the old file is now \"" : "",
                            keep ? keep : "", keep ? "\"" : "");
        } else if (r < 0 && r != -ENOENT) {
                log_warning("cannot read the alert state \"%s\": %s; starting afresh", path,
                            strerror(-r));
        }
        free(err);
        free(keep);
        return st ? st : state_new();
}

/* Test hook: SMIMEWATCH_TEST_BACKOFF_START (a duration such as "1s")
 * replaces the first retry delay of one minute after a directory outage,
 * so that tests need not wait minutes. Not meant for production. */
static uint64_t backoff_start(void)
{
        const char *e = getenv("SMIMEWATCH_TEST_BACKOFF_START");
        uint64_t u;

        if (e && util_parse_duration(e, &u) == 0 && u > 0)
                return u;
        return BACKOFF_START_USEC;
}

static int setup_events(struct service *s)
{
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGUSR1);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_default(&s->event);
        if (r >= 0)
                r = sd_event_add_signal(s->event, NULL, SIGTERM, on_stop, s);
        if (r >= 0)
                r = sd_event_add_signal(s->event, NULL, SIGINT, on_stop, s);
        if (r >= 0)
                r = sd_event_add_signal(s->event, NULL, SIGHUP, on_reload, s);
        if (r >= 0)
                r = sd_event_add_signal(s->event, NULL, SIGUSR1, on_check_now, s);
        /* WATCHDOG=1 at half of WatchdogSec, when systemd asks for it. */
        if (r >= 0)
                r = sd_event_set_watchdog(s->event, true);
        /* The first check right away. */
        if (r >= 0)
                r = sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, 0, 0, on_timer, s);
        if (r >= 0) {
                s->check.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                r = s->check.done_fd < 0 ? -errno : 0;
        }
        if (r >= 0)
                r = sd_event_add_io(s->event, &s->check.done_source, s->check.done_fd, EPOLLIN,
                                    on_check_done, s);
        return r < 0 ? r : 0;
}

static void service_free(struct service *s)
{
        /* The loop has ended: a check still running ends before its inputs go. */
        if (s->check.running) {
                pthread_join(s->check.thread, NULL);
                if (s->check.r >= 0)
                        cycle_result_free(&s->check.res);
        }
        sd_event_source_unref(s->check.done_source);
        if (s->check.done_fd >= 0)
                close(s->check.done_fd);
        sd_event_source_unref(s->timer);
        sd_event_unref(s->event);
        state_free(s->state);
        cycle_set_free(&s->known);
        free(s->state_path);
        free(s->cache_dir);
        rev_outages_free(&s->rev_outages);
        pki_free(s->pki);
        cfg_free(s->cfg);
}

int service_run(const char *config_path)
{
        struct service s = { .config_path = config_path, .backoff_start_usec = backoff_start(),
                             .check.done_fd = -1 };
        int r, status = EXIT_FAILURE;

        log_to_journal(stderr_is_journal());
        if (load_config(config_path, &s.cfg, &s.pki) < 0) {
                status = EXIT_CONFIG;
                goto out;
        }
        /* What a metrics write cut off by kill -9 left, as for the state. */
        if (s.cfg->service.metrics_file)
                util_replace_file_cleanup(s.cfg->service.metrics_file);
        s.state_path = state_path();
        s.cache_dir = rev_cache_dir();
        if (s.cache_dir)
                (void)mkdir(s.cache_dir, 0700);
        if (!s.state_path || !(s.state = open_state(s.state_path))) {
                log_error("out of memory");
                goto out;
        }
        if (!s.cfg->directory.discover)
                state_prune(s.state, s.cfg->mailboxes, s.cfg->n_mailboxes);
        r = setup_events(&s);
        if (r < 0) {
                log_error("cannot set up the event loop: %s", strerror(-r));
                goto out;
        }
        log_info("started: %zu mailbox%s, configuration \"%s\", state \"%s\"",
                 s.cfg->n_mailboxes, s.cfg->n_mailboxes == 1 ? "" : "es", config_path,
                 s.state_path);
        notify_status(&s, "READY=1\n", "checking %zu mailbox%s", s.cfg->n_mailboxes,
                      s.cfg->n_mailboxes == 1 ? "" : "es");
        r = sd_event_loop(s.event);
        if (r < 0)
                log_error("the event loop failed: %s", strerror(-r));
        save_state(&s, time(NULL));
        status = r < 0 ? EXIT_FAILURE : r;
out:
        service_free(&s);
        return status;
}
