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
#include "cycle.h"
#include "mailbox.h"
#include "util.h"

#define STATE_VERSION 1
/* An outage's reason is cut to this length. */
#define STATE_REASON_MAX_LEN 1024

static const char *const event_names[] = {
        [STATE_EVENT_NEW] = "new", [STATE_EVENT_CHANGED] = "changed",
        [STATE_EVENT_REPEATED] = "repeated", [STATE_EVENT_RECOVERED] = "recovered",
        [STATE_EVENT_OUTAGE] = "outage", [STATE_EVENT_OUTAGE_OVER] = "outage over",
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
        s->cap_alerts = json_array_size(alerts) + 1;
        s->cap_mailboxes = json_array_size(mailboxes) + 1;
        s->alerts = calloc(s->cap_alerts, sizeof(*s->alerts));
        s->mailboxes = calloc(s->cap_mailboxes, sizeof(*s->mailboxes));
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

/* ---- the index: mailboxes and their alerts by address ------------------ */

/* items (n used, *cap allocated) with room for one more, growing by half:
 * a cycle that adds thousands must not copy the array thousands of times.
 * NULL when out of memory (items is then untouched). */
static void *reserve_one(void *items, size_t n, size_t *cap, size_t size)
{
        size_t want = n < 8 ? 16 : n + n / 2;
        void *grown;

        if (n < *cap)
                return items;
        grown = realloc(items, want * size);
        if (grown)
                *cap = want;
        return grown;
}

/* One address: its entry in s->mailboxes and its alerts in s->alerts, in
 * ascending order. An index is built for one call over the arrays as they
 * are; what the call adds or removes, it updates. */
struct slot {
        char *address;                  /* NULL: a free slot */
        uint64_t hash;
        size_t mailbox;                 /* in s->mailboxes, or SIZE_MAX */
        size_t *alerts;
        size_t n_alerts, cap;
};

struct index {
        struct slot *slots;
        size_t size;                    /* a power of two, more than twice used */
        size_t used;
};

static void index_free(struct index *x)
{
        for (size_t i = 0; i < x->size; i++) {
                free(x->slots[i].address);
                free(x->slots[i].alerts);
        }
        free(x->slots);
        *x = (struct index){ 0 };
}

static struct slot *index_probe(struct slot *slots, size_t size, uint64_t hash,
                                const char *address)
{
        for (size_t i = hash & (size - 1);; i = (i + 1) & (size - 1))
                if (!slots[i].address ||
                    (slots[i].hash == hash && address && util_address_equal(slots[i].address, address)))
                        return &slots[i];
}

static int index_grow(struct index *x)
{
        size_t size = x->size ? x->size * 2 : 64;
        struct slot *slots = calloc(size, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < x->size; i++)
                if (x->slots[i].address)
                        *index_probe(slots, size, x->slots[i].hash, NULL) = x->slots[i];
        free(x->slots);
        x->slots = slots;
        x->size = size;
        return 0;
}

/* The slot of address; with create, a new one when there is none. NULL:
 * none, or out of memory. The pointer holds until the next creation. */
/* gcc -fanalyzer (GCC 12) loses a pointer stored in an element of an array the caller owns (the
 * address strdup()ed into x->slots[], freed by index_free()) and reports a leak. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static struct slot *index_get(struct index *x, const char *address, bool create)
{
        uint64_t hash = util_address_hash(address);
        struct slot *sl = x->size ? index_probe(x->slots, x->size, hash, address) : NULL;

        if ((sl && sl->address) || !create)
                return sl && sl->address ? sl : NULL;
        /* !sl: an empty table, which the growth below makes (said for
         * gcc -fanalyzer, which does not see that size 0 always grows). */
        if (!sl || 2 * (x->used + 1) > x->size) {
                if (index_grow(x) < 0)
                        return NULL;
                sl = index_probe(x->slots, x->size, hash, address);
        }
        sl->address = strdup(address);
        if (!sl->address)
                return NULL;
        sl->hash = hash;
        sl->mailbox = SIZE_MAX;
        x->used++;
        return sl;
}
#pragma GCC diagnostic pop

static int slot_push(struct slot *sl, size_t alert)
{
        size_t *grown = reserve_one(sl->alerts, sl->n_alerts, &sl->cap, sizeof(*grown));

        if (!grown)
                return -ENOMEM;
        sl->alerts = grown;
        sl->alerts[sl->n_alerts++] = alert;
        return 0;
}

/* gcc -fanalyzer (GCC 12) loses the slots that index_get() allocates into x->slots and reports
 * them as leaked here; x owns them, and index_free() frees them, also on the way out below. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int index_build(struct index *x, const struct state *s)
{
        *x = (struct index){ 0 };
        for (size_t i = 0; i < s->n_mailboxes; i++) {
                struct slot *sl = index_get(x, s->mailboxes[i].address, true);

                if (!sl)
                        goto oom;
                if (sl->mailbox == SIZE_MAX)
                        sl->mailbox = i;
        }
        for (size_t i = 0; i < s->n_alerts; i++) {
                struct slot *sl = index_get(x, s->alerts[i].mailbox, true);

                if (!sl || slot_push(sl, i) < 0)
                        goto oom;
        }
        return 0;
oom:
        index_free(x);
        return -ENOMEM;
}
#pragma GCC diagnostic pop

/* ---- following the results -------------------------------------------- */

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
        char *msg = util_escape(p->message ? p->message : "");
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

static int alert_add(struct state *s, struct slot *sl, const struct mailbox_result *m,
                     const struct problem *p, const char *sha256, time_t now)
{
        struct state_alert *grown, a = {
                .code = p->code, .usage = p->usage, .level = p->level,
                .since = now, .logged_at = now,
        };

        snprintf(a.cert_sha256, sizeof(a.cert_sha256), "%s", sha256);
        a.mailbox = strdup(m->address);
        if (!a.mailbox || alert_refresh(&a, m, p) < 0 || slot_push(sl, s->n_alerts) < 0)
                goto oom;
        grown = reserve_one(s->alerts, s->n_alerts, &s->cap_alerts, sizeof(a));
        if (!grown) {
                sl->n_alerts--;
                goto oom;
        }
        s->alerts = grown;
        s->alerts[s->n_alerts++] = a;
        return 0;
oom:
        alert_free(&a);
        return -ENOMEM;
}

/* Removed alerts are only marked (mailbox NULL) while an index refers to
 * positions; compact() closes the gaps, keeping the order. */
static void alert_kill(struct state_alert *a)
{
        alert_free(a);
        a->mailbox = NULL;
}

static void compact(struct state *s)
{
        size_t k = 0;

        for (size_t i = 0; i < s->n_alerts; i++)
                if (s->alerts[i].mailbox)
                        s->alerts[k++] = s->alerts[i];
        s->n_alerts = k;
}

static bool realert_due(const struct state_alert *a, time_t now, uint64_t realert_usec)
{
        /* A clock that went backwards counts as due rather than silencing
         * the problem until it has caught up again. */
        if (now < a->logged_at)
                return true;
        return (uint64_t)(now - a->logged_at) * USEC_PER_SEC >= realert_usec;
}

/* Among the mailbox's alerts (sl), the position of p's, or -1. */
static ssize_t find_alert(const struct state *s, const struct slot *sl, const struct problem *p,
                          const char *sha256)
{
        for (size_t k = 0; k < sl->n_alerts; k++) {
                const struct state_alert *a = &s->alerts[sl->alerts[k]];

                if (a->code == p->code && a->usage == p->usage && strcmp(a->cert_sha256, sha256) == 0)
                        return (ssize_t)k;
        }
        return -1;
}

struct follow {
        struct state *s;
        time_t now;
        uint64_t realert_usec;
        state_alert_fn fn;
        void *userdata;
};

static int follow_problem(const struct follow *f, struct slot *sl, const struct mailbox_result *m,
                          const struct problem *p, size_t n_before, bool *seen)
{
        const struct cert_result *c = problem_cert(m, p);
        const char *sha = c ? c->sha256 : "";
        ssize_t k = find_alert(f->s, sl, p, sha);
        struct state_alert *a;
        enum state_event e;

        if (k < 0)
                return f->fn(STATE_EVENT_NEW, m, p, NULL, f->userdata) < 0 ? 0 :
                        alert_add(f->s, sl, m, p, sha, f->now);
        if ((size_t)k >= n_before || seen[k])
                return 0;       /* the same problem twice in one result */
        seen[k] = true;
        a = &f->s->alerts[sl->alerts[k]];
        if (a->level != p->level)
                e = STATE_EVENT_CHANGED;
        else if (realert_due(a, f->now, f->realert_usec))
                e = STATE_EVENT_REPEATED;
        else
                return alert_refresh(a, m, p);
        if (f->fn(e, m, p, a, f->userdata) >= 0) {
                a->level = p->level;
                a->logged_at = f->now;
        }
        return alert_refresh(a, m, p);
}

static int mailbox_set(struct state *s, struct slot *sl, const char *address, bool known,
                       enum sw_status status, time_t now)
{
        struct state_mailbox *n;

        if (sl->mailbox != SIZE_MAX) {
                if (known) {
                        s->mailboxes[sl->mailbox].status = status;
                        s->mailboxes[sl->mailbox].checked_at = now;
                }
                return 0;
        }
        n = reserve_one(s->mailboxes, s->n_mailboxes, &s->cap_mailboxes, sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->mailboxes = n;
        n = &s->mailboxes[s->n_mailboxes];
        n->address = strdup(address);
        if (!n->address)
                return -ENOMEM;
        n->status = known ? status : SW_UNKNOWN;
        n->checked_at = known ? now : 0;
        sl->mailbox = s->n_mailboxes++;
        return 0;
}

/* The recoveries: the mailbox's alerts from before that the result no
 * longer has, backwards (the order they are logged in). */
static void follow_recoveries(const struct follow *f, struct slot *sl, const struct mailbox_result *m,
                              size_t n_before, const bool *seen, bool unreachable)
{
        size_t kept = 0;

        for (size_t k = n_before; k-- > 0;) {
                struct state_alert *a = &f->s->alerts[sl->alerts[k]];

                if (seen[k] || (unreachable && a->code != PROBLEM_DIRECTORY_UNREACHABLE))
                        continue;
                if (f->fn(STATE_EVENT_RECOVERED, m, NULL, a, f->userdata) >= 0)
                        alert_kill(a);
        }
        for (size_t k = 0; k < sl->n_alerts; k++)
                if (f->s->alerts[sl->alerts[k]].mailbox)
                        sl->alerts[kept++] = sl->alerts[k];
        sl->n_alerts = kept;
}

static int follow_mailbox(const struct follow *f, struct index *x, const struct mailbox_result *m)
{
        bool unreachable = problem_list_has(&m->problems, PROBLEM_DIRECTORY_UNREACHABLE);
        struct slot *sl = index_get(x, m->address, true);
        size_t n_before = sl ? sl->n_alerts : 0;
        bool *seen = sl ? calloc(n_before + 1, sizeof(*seen)) : NULL;
        int r = -ENOMEM;

        if (!seen)
                goto out;
        for (size_t i = 0; i < m->problems.n; i++) {
                const struct problem *p = &m->problems.items[i];

                /* A failed search says nothing about the certificates. */
                if (unreachable && p->code != PROBLEM_DIRECTORY_UNREACHABLE)
                        continue;
                r = follow_problem(f, sl, m, p, n_before, seen);
                if (r < 0)
                        goto out;
        }
        follow_recoveries(f, sl, m, n_before, seen, unreachable);
        r = mailbox_set(f->s, sl, m->address, !unreachable, m->status, f->now);
out:
        free(seen);
        return r;
}

int state_apply(struct state *s, const struct mailbox_result *m, time_t now,
                uint64_t realert_usec, state_alert_fn fn, void *userdata)
{
        const struct follow f = { s, now, realert_usec, fn, userdata };
        struct index x;
        int r = index_build(&x, s);

        if (r == 0)
                r = follow_mailbox(&f, &x, m);
        compact(s);
        index_free(&x);
        return r;
}

/* The directory did not answer: one event per outage, the reason kept
 * current while it lasts. */
static void outage_goes_on(struct state *s, const struct cycle_result *res, state_outage_fn fn,
                           void *userdata)
{
        const char *why = res->directory_reason ? res->directory_reason : "unknown error";
        char *cut = util_cut(why, strlen(why), STATE_REASON_MAX_LEN);
        char *reason = cut ? util_escape(cut) : NULL;

        if (!s->outage_since &&
            fn(STATE_EVENT_OUTAGE, reason ? reason : why, res->checked_at, userdata) >= 0)
                s->outage_since = res->checked_at;
        if (s->outage_since && reason) {
                free(s->outage_reason);
                s->outage_reason = reason;
                reason = NULL;
        }
        free(reason);
        free(cut);
}

int state_follow(struct state *s, const struct cycle_result *res, uint64_t realert_usec,
                 state_alert_fn alert_fn, state_outage_fn outage_fn, void *userdata)
{
        const struct follow f = { s, res->checked_at, realert_usec, alert_fn, userdata };
        struct index x;
        int r = 0;

        if (res->directory_failed) {
                outage_goes_on(s, res, outage_fn, userdata);
                return 0;
        }
        if (s->outage_since &&
            outage_fn(STATE_EVENT_OUTAGE_OVER, s->outage_reason, s->outage_since, userdata) >= 0) {
                s->outage_since = 0;
                free(s->outage_reason);
                s->outage_reason = NULL;
        }
        if (index_build(&x, s) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < res->n_mailboxes; i++)
                if (follow_mailbox(&f, &x, &res->mailboxes[i]) < 0)
                        r = -ENOMEM;
        compact(s);
        index_free(&x);
        return r;
}

/* The configured addresses, as an index without mailboxes or alerts. */
static int configured_index(struct index *x, const struct cfg_mailbox *mailboxes, size_t n)
{
        *x = (struct index){ 0 };
        for (size_t i = 0; i < n; i++)
                if (!index_get(x, mailboxes[i].address, true)) {
                        index_free(x);
                        return -ENOMEM;
                }
        return 0;
}

void state_prune(struct state *s, const struct cfg_mailbox *mailboxes, size_t n)
{
        struct index x;
        size_t k = 0;

        /* Without memory for the index nothing is forgotten this time. */
        if (configured_index(&x, mailboxes, n) < 0)
                return;
        for (size_t i = 0; i < s->n_alerts; i++)
                if (!index_get(&x, s->alerts[i].mailbox, false))
                        alert_kill(&s->alerts[i]);
        compact(s);
        for (size_t i = 0; i < s->n_mailboxes; i++) {
                if (index_get(&x, s->mailboxes[i].address, false))
                        s->mailboxes[k++] = s->mailboxes[i];
                else
                        free(s->mailboxes[i].address);
        }
        s->n_mailboxes = k;
        index_free(&x);
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
        struct index x;
        bool indexed = index_build(&x, s) == 0;

        memset(counts, 0, SW_STATUS_COUNT * sizeof(counts[0]));
        for (size_t i = 0; i < n; i++) {
                const struct slot *sl = indexed ? index_get(&x, mailboxes[i].address, false) : NULL;
                const struct state_mailbox *m =
                        !indexed ? state_find_mailbox(s, mailboxes[i].address)
                        : sl && sl->mailbox != SIZE_MAX ? &s->mailboxes[sl->mailbox] : NULL;
                enum sw_status st = m ? m->status : SW_UNKNOWN;

                counts[st]++;
                overall = sw_status_worse(overall, st);
        }
        if (indexed)
                index_free(&x);
        return overall;
}
