/* SPDX-License-Identifier: EUPL-1.2 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mailbox.h"
#include "util.h"

#define STATE_VERSION 1

static const char *const event_names[] = {
        [STATE_EVENT_NEW] = "new", [STATE_EVENT_CHANGED] = "changed",
        [STATE_EVENT_REPEATED] = "repeated", [STATE_EVENT_RECOVERED] = "recovered",
};

const char *state_event_name(enum state_event e)
{
        return (size_t)e < sizeof(event_names) / sizeof(event_names[0]) ? event_names[e] : "?";
}

struct state *state_new(void)
{
        return calloc(1, sizeof(struct state));
}

static void alert_free(struct state_alert *a)
{
        free(a->mailbox);
        free(a->cert_serial);
        free(a->message);
}

void state_free(struct state *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_alerts; i++)
                alert_free(&s->alerts[i]);
        free(s->alerts);
        for (size_t i = 0; i < s->n_mailboxes; i++)
                free(s->mailboxes[i].address);
        free(s->mailboxes);
        free(s->outage_reason);
        free(s);
}

char *state_path(void)
{
        const char *dir = getenv("STATE_DIRECTORY");
        char *p = NULL;
        int len;

        /* systemd lists one directory per StateDirectory= entry, ':'-separated. */
        if (!dir || !*dir)
                dir = STATE_DEFAULT_DIR;
        len = (int)strcspn(dir, ":");
        if (asprintf(&p, "%.*s/%s", len, dir, STATE_FILE_NAME) < 0)
                return NULL;
        return p;
}

/* ---- JSON encoding ---------------------------------------------------- */

static json_t *time_json(time_t t)
{
        char buf[21];

        return t ? json_string(util_format_time(t, buf)) : json_null();
}

static json_t *opt_json(const char *s)
{
        return s && *s ? json_string(s) : json_null();
}

static json_t *alert_json(const struct state_alert *a)
{
        return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:o}",
                         "mailbox", a->mailbox,
                         "code", problem_code_name(a->code),
                         "usage", a->usage ? json_string(usage_name(a->usage)) : json_null(),
                         "cert_sha256", opt_json(a->cert_sha256),
                         "cert_serial", opt_json(a->cert_serial),
                         "cert_not_after", time_json(a->cert_not_after),
                         "level", sw_status_name(a->level),
                         "message", a->message ? a->message : "",
                         "since", time_json(a->since),
                         "logged_at", time_json(a->logged_at));
}

static json_t *state_json(const struct state *s, time_t now)
{
        json_t *root = NULL, *alerts = json_array(), *mailboxes = json_array(), *outage;
        bool ok = alerts && mailboxes;

        for (size_t i = 0; ok && i < s->n_alerts; i++)
                ok = json_array_append_new(alerts, alert_json(&s->alerts[i])) == 0;
        for (size_t i = 0; ok && i < s->n_mailboxes; i++)
                ok = json_array_append_new(mailboxes, json_pack("{s:s, s:s, s:o}",
                        "address", s->mailboxes[i].address,
                        "status", sw_status_name(s->mailboxes[i].status),
                        "checked_at", time_json(s->mailboxes[i].checked_at))) == 0;
        if (!ok)
                goto out;
        if (s->outage_since)
                outage = json_pack("{s:o, s:s?}", "since", time_json(s->outage_since),
                                   "reason", s->outage_reason);
        else
                outage = json_null();
        root = json_pack("{s:i, s:o, s:o, s:O, s:O}", "version", STATE_VERSION,
                         "saved_at", time_json(now), "directory_outage", outage,
                         "mailboxes", mailboxes, "alerts", alerts);
out:
        json_decref(alerts);
        json_decref(mailboxes);
        return root;
}

int state_save(const struct state *s, const char *path, time_t now)
{
        json_t *j = state_json(s, now);
        char *text = NULL;
        int r = -ENOMEM;

        if (j && (text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS))) {
                size_t n = strlen(text);
                char *t = realloc(text, n + 2);

                if (t) {
                        text = t;
                        memcpy(text + n, "\n", 2);
                        r = util_replace_file(path, text, n + 1, 0600);
                }
        }
        free(text);
        json_decref(j);
        return r;
}

/* ---- JSON decoding ---------------------------------------------------- */

static int status_from_name(const char *name, enum sw_status *ret)
{
        for (int i = 0; i < SW_STATUS_COUNT; i++)
                if (name && strcmp(sw_status_name((enum sw_status)i), name) == 0) {
                        *ret = (enum sw_status)i;
                        return 0;
                }
        return -EBADMSG;
}

/* null or an RFC 3339 time; null gives 0. */
static int time_from_json(json_t *v, time_t *ret)
{
        if (json_is_null(v)) {
                *ret = 0;
                return 0;
        }
        if (!json_is_string(v) || util_parse_time(json_string_value(v), ret) < 0)
                return -EBADMSG;
        return 0;
}

/* null gives NULL; anything but a string is malformed. */
static int opt_string(json_t *v, const char **ret)
{
        if (json_is_null(v))
                *ret = NULL;
        else if (json_is_string(v))
                *ret = json_string_value(v);
        else
                return -EBADMSG;
        return 0;
}

/* Our own file, but it may have been edited: no control characters. */
static bool text_ok(const char *s)
{
        for (; s && *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return s != NULL;
}

static bool hex_ok(const char *s, size_t min, size_t max)
{
        size_t n = s ? strlen(s) : 0;

        return s && n >= min && n <= max && strspn(s, "0123456789abcdefABCDEF") == n;
}

static int alert_from_json(json_t *j, struct state_alert *a)
{
        const char *mailbox, *code, *usage, *sha, *serial, *level, *msg;
        json_t *usage_j, *sha_j, *serial_j, *not_after, *since, *logged;
        int c;

        if (json_unpack(j, "{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:o}",
                        "mailbox", &mailbox, "code", &code, "usage", &usage_j,
                        "cert_sha256", &sha_j, "cert_serial", &serial_j,
                        "cert_not_after", &not_after, "level", &level, "message", &msg,
                        "since", &since, "logged_at", &logged) < 0 ||
            opt_string(usage_j, &usage) < 0 || opt_string(sha_j, &sha) < 0 ||
            opt_string(serial_j, &serial) < 0)
                return -EBADMSG;
        c = problem_code_from_name(code);
        if (c < 0 || !util_address_valid(mailbox) || !text_ok(msg) ||
            (sha && !hex_ok(sha, 64, 64)) || (serial && !hex_ok(serial, 1, 128)) ||
            status_from_name(level, &a->level) < 0 ||
            time_from_json(not_after, &a->cert_not_after) < 0 ||
            time_from_json(since, &a->since) < 0 || time_from_json(logged, &a->logged_at) < 0)
                return -EBADMSG;
        a->code = (enum problem_code)c;
        a->usage = 0;
        if (usage) {
                if (strcmp(usage, "encryption") == 0)
                        a->usage = USAGE_ENCRYPTION;
                else if (strcmp(usage, "signature") == 0)
                        a->usage = USAGE_SIGNATURE;
                else
                        return -EBADMSG;
        }
        snprintf(a->cert_sha256, sizeof(a->cert_sha256), "%s", sha ? sha : "");
        a->mailbox = strdup(mailbox);
        a->message = strdup(msg);
        a->cert_serial = util_strdup0(serial);
        if (!a->mailbox || !a->message || (serial && !a->cert_serial))
                return -ENOMEM;
        return 0;
}

static int mailbox_from_json(json_t *j, struct state_mailbox *m)
{
        const char *address, *status;
        json_t *checked;

        if (json_unpack(j, "{s:s, s:s, s:o}", "address", &address, "status", &status,
                        "checked_at", &checked) < 0 ||
            !util_address_valid(address) || status_from_name(status, &m->status) < 0 ||
            time_from_json(checked, &m->checked_at) < 0)
                return -EBADMSG;
        m->address = strdup(address);
        return m->address ? 0 : -ENOMEM;
}

static int outage_from_json(json_t *j, struct state *s)
{
        const char *reason;
        json_t *since, *reason_j;

        if (json_is_null(j))
                return 0;
        if (json_unpack(j, "{s:o, s:o}", "since", &since, "reason", &reason_j) < 0 ||
            opt_string(reason_j, &reason) < 0 || time_from_json(since, &s->outage_since) < 0 ||
            !s->outage_since || (reason && !text_ok(reason)))
                return -EBADMSG;
        s->outage_reason = util_strdup0(reason);
        return reason && !s->outage_reason ? -ENOMEM : 0;
}

static int state_from_json(json_t *root, struct state *s, char **err)
{
        json_t *alerts, *mailboxes, *outage, *v;
        int version, r;
        size_t i;

        if (json_unpack(root, "{s:i, s:o, s:o, s:o}", "version", &version,
                        "directory_outage", &outage, "mailboxes", &mailboxes,
                        "alerts", &alerts) < 0 ||
            !json_is_array(alerts) || !json_is_array(mailboxes)) {
                *err = strdup("not a smimewatch state document");
                return -EBADMSG;
        }
        if (version != STATE_VERSION) {
                r = asprintf(err, "state version %d, expected %d", version, STATE_VERSION);
                if (r < 0)
                        *err = NULL;
                return -EBADMSG;
        }
        s->alerts = calloc(json_array_size(alerts) + 1, sizeof(*s->alerts));
        s->mailboxes = calloc(json_array_size(mailboxes) + 1, sizeof(*s->mailboxes));
        if (!s->alerts || !s->mailboxes)
                return -ENOMEM;
        json_array_foreach(alerts, i, v) {
                r = alert_from_json(v, &s->alerts[s->n_alerts++]);
                if (r < 0) {
                        if (r == -EBADMSG && asprintf(err, "alert %zu is malformed", i) < 0)
                                *err = NULL;
                        return r;
                }
        }
        json_array_foreach(mailboxes, i, v) {
                r = mailbox_from_json(v, &s->mailboxes[s->n_mailboxes++]);
                if (r < 0) {
                        if (r == -EBADMSG && asprintf(err, "mailbox %zu is malformed", i) < 0)
                                *err = NULL;
                        return r;
                }
        }
        r = outage_from_json(outage, s);
        if (r == -EBADMSG)
                *err = strdup("directory_outage is malformed");
        return r;
}

int state_load(const char *path, struct state **ret, char **err)
{
        unsigned char *data = NULL;
        struct state *s = NULL;
        json_error_t je;
        json_t *root = NULL;
        size_t len;
        int r;

        *err = NULL;
        r = util_read_file(path, UTIL_MAX_FILE_SIZE, &data, &len);
        if (r < 0)
                goto out;
        root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
                r = -EBADMSG;
                if (asprintf(err, "line %d: %s", je.line, je.text) < 0)
                        *err = NULL;
                goto out;
        }
        s = state_new();
        if (!s) {
                r = -ENOMEM;
                goto out;
        }
        r = state_from_json(root, s, err);
        if (r < 0)
                goto out;
        *ret = s;
        s = NULL;
out:
        state_free(s);
        json_decref(root);
        free(data);
        return r;
}

/* ---- following the results -------------------------------------------- */

static ssize_t find_alert(const struct state *s, const char *mailbox, enum problem_code code,
                          unsigned usage, const char *sha256)
{
        for (size_t i = 0; i < s->n_alerts; i++) {
                const struct state_alert *a = &s->alerts[i];

                if (a->code == code && a->usage == usage && strcmp(a->cert_sha256, sha256) == 0 &&
                    util_address_equal(a->mailbox, mailbox))
                        return (ssize_t)i;
        }
        return -1;
}

static const struct cert_result *problem_cert(const struct mailbox_result *m,
                                              const struct problem *p)
{
        return p->cert >= 0 && (size_t)p->cert < m->n_certs ? &m->certs[p->cert] : NULL;
}

/* Takes the latest message and certificate details of p into a. */
static int alert_refresh(struct state_alert *a, const struct mailbox_result *m,
                         const struct problem *p)
{
        const struct cert_result *c = problem_cert(m, p);
        char *msg = strdup(p->message ? p->message : "");
        char *serial = c ? util_strdup0(c->serial) : NULL;

        if (!msg || (c && c->serial && !serial)) {
                free(msg);
                free(serial);
                return -ENOMEM;
        }
        free(a->message);
        free(a->cert_serial);
        a->message = msg;
        a->cert_serial = serial;
        a->cert_not_after = c ? c->not_after : 0;
        return 0;
}

static int alert_add(struct state *s, const struct mailbox_result *m, const struct problem *p,
                     const char *sha256, time_t now)
{
        struct state_alert *n, a = {
                .code = p->code, .usage = p->usage, .level = p->level,
                .since = now, .logged_at = now,
        };

        snprintf(a.cert_sha256, sizeof(a.cert_sha256), "%s", sha256);
        a.mailbox = strdup(m->address);
        if (!a.mailbox || alert_refresh(&a, m, p) < 0)
                goto oom;
        n = realloc(s->alerts, (s->n_alerts + 1) * sizeof(*n));
        if (!n)
                goto oom;
        s->alerts = n;
        s->alerts[s->n_alerts++] = a;
        return 0;
oom:
        alert_free(&a);
        return -ENOMEM;
}

static void alert_remove(struct state *s, size_t i)
{
        alert_free(&s->alerts[i]);
        memmove(&s->alerts[i], &s->alerts[i + 1], (s->n_alerts - i - 1) * sizeof(s->alerts[0]));
        s->n_alerts--;
}

static bool realert_due(const struct state_alert *a, time_t now, uint64_t realert_usec)
{
        /* A clock that went backwards counts as due rather than silencing
         * the problem until it has caught up again. */
        if (now < a->logged_at)
                return true;
        return (uint64_t)(now - a->logged_at) * USEC_PER_SEC >= realert_usec;
}

static int follow_problem(struct state *s, const struct mailbox_result *m,
                          const struct problem *p, size_t n_before, bool *seen, time_t now,
                          uint64_t realert_usec, state_alert_fn fn, void *userdata)
{
        const struct cert_result *c = problem_cert(m, p);
        const char *sha = c ? c->sha256 : "";
        ssize_t i = find_alert(s, m->address, p->code, p->usage, sha);
        struct state_alert *a;
        enum state_event e;

        if (i < 0)
                return fn(STATE_EVENT_NEW, m, p, NULL, userdata) < 0 ? 0 :
                        alert_add(s, m, p, sha, now);
        if ((size_t)i >= n_before || seen[i])
                return 0;       /* the same problem twice in one result */
        seen[i] = true;
        a = &s->alerts[i];
        if (a->level != p->level)
                e = STATE_EVENT_CHANGED;
        else if (realert_due(a, now, realert_usec))
                e = STATE_EVENT_REPEATED;
        else
                return alert_refresh(a, m, p);
        if (fn(e, m, p, a, userdata) >= 0) {
                a->level = p->level;
                a->logged_at = now;
        }
        return alert_refresh(a, m, p);
}

static int mailbox_set(struct state *s, const char *address, bool known, enum sw_status status,
                       time_t now)
{
        struct state_mailbox *n;

        for (size_t i = 0; i < s->n_mailboxes; i++)
                if (util_address_equal(s->mailboxes[i].address, address)) {
                        if (known) {
                                s->mailboxes[i].status = status;
                                s->mailboxes[i].checked_at = now;
                        }
                        return 0;
                }
        n = realloc(s->mailboxes, (s->n_mailboxes + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->mailboxes = n;
        n = &s->mailboxes[s->n_mailboxes];
        n->address = strdup(address);
        if (!n->address)
                return -ENOMEM;
        n->status = known ? status : SW_UNKNOWN;
        n->checked_at = known ? now : 0;
        s->n_mailboxes++;
        return 0;
}

int state_apply(struct state *s, const struct mailbox_result *m, time_t now,
                uint64_t realert_usec, state_alert_fn fn, void *userdata)
{
        bool unreachable = problem_list_has(&m->problems, PROBLEM_DIRECTORY_UNREACHABLE);
        size_t n_before = s->n_alerts;
        bool *seen = calloc(n_before + 1, sizeof(*seen));
        int r = -ENOMEM;

        if (!seen)
                goto out;
        for (size_t i = 0; i < m->problems.n; i++) {
                const struct problem *p = &m->problems.items[i];

                /* A failed search says nothing about the certificates. */
                if (unreachable && p->code != PROBLEM_DIRECTORY_UNREACHABLE)
                        continue;
                r = follow_problem(s, m, p, n_before, seen, now, realert_usec, fn, userdata);
                if (r < 0)
                        goto out;
        }
        /* Backwards, so that removing one does not move those still to come. */
        for (size_t i = n_before; i-- > 0;) {
                const struct state_alert *a = &s->alerts[i];

                if (seen[i] || !util_address_equal(a->mailbox, m->address) ||
                    (unreachable && a->code != PROBLEM_DIRECTORY_UNREACHABLE))
                        continue;
                if (fn(STATE_EVENT_RECOVERED, m, NULL, a, userdata) >= 0)
                        alert_remove(s, i);
        }
        r = mailbox_set(s, m->address, !unreachable, m->status, now);
out:
        free(seen);
        return r;
}

static bool configured(const struct cfg_mailbox *mailboxes, size_t n, const char *address)
{
        for (size_t i = 0; i < n; i++)
                if (util_address_equal(mailboxes[i].address, address))
                        return true;
        return false;
}

void state_prune(struct state *s, const struct cfg_mailbox *mailboxes, size_t n)
{
        size_t k = 0;

        for (size_t i = s->n_alerts; i-- > 0;)
                if (!configured(mailboxes, n, s->alerts[i].mailbox))
                        alert_remove(s, i);
        for (size_t i = 0; i < s->n_mailboxes; i++) {
                if (configured(mailboxes, n, s->mailboxes[i].address))
                        s->mailboxes[k++] = s->mailboxes[i];
                else
                        free(s->mailboxes[i].address);
        }
        s->n_mailboxes = k;
}

const struct state_mailbox *state_find_mailbox(const struct state *s, const char *address)
{
        for (size_t i = 0; i < s->n_mailboxes; i++)
                if (util_address_equal(s->mailboxes[i].address, address))
                        return &s->mailboxes[i];
        return NULL;
}

enum sw_status state_counts(const struct state *s, const struct cfg_mailbox *mailboxes,
                            size_t n, unsigned counts[SW_STATUS_COUNT])
{
        enum sw_status overall = SW_OK;

        memset(counts, 0, SW_STATUS_COUNT * sizeof(counts[0]));
        for (size_t i = 0; i < n; i++) {
                const struct state_mailbox *m = state_find_mailbox(s, mailboxes[i].address);
                enum sw_status st = m ? m->status : SW_UNKNOWN;

                counts[st]++;
                overall = sw_status_worse(overall, st);
        }
        return overall;
}
