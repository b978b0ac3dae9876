/* SPDX-License-Identifier: EUPL-1.2 */
/* The reports of --check-cert and --verify: JSON version 1 (smimewatch(8), JSON)
 * built with jansson, and a text report for an administrator or an IT
 * clerk. Only the fields of the result structs are used, never the X509
 * object, so hand-built results print like real ones. */
#include "report.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "directory.h"
#include "evaluate.h"
#include "mailbox.h"
#include "util.h"

#define JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER)
#define WRAP_COLS 78            /* text is wrapped here */
#define ADDRESS_COLS 40         /* widest address in the table */
#define PROBLEM_COLS 60         /* widest problem in the table */
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */
#define ARROW "\xe2\x86\x92"    /* U+2192, before what to do */

static const unsigned usage_order[] = { USAGE_ENCRYPTION, USAGE_SIGNATURE };

/* ---- escaping: this is an output edge -------------------------------- */

/* s escaped with util_escape(), also left in *copy for the caller to
 * free. NULL when out of memory. */
static const char *clean(const char *s, char **copy)
{
        *copy = util_escape(s);
        return *copy;
}

/* ---- JSON ------------------------------------------------------------- */

/* A JSON string of s (null for NULL); NULL when out of memory. */
static json_t *jstr(const char *s)
{
        const char *c;
        char *copy;
        json_t *j;

        if (!s)
                return json_null();
        /* Most values need no escaping, and ASCII needs no UTF-8 check. */
        if (util_plain(s))
                return json_string_nocheck(s);
        c = clean(s, &copy);
        j = c ? json_string(c) : NULL;
        free(copy);
        return j;
}

static json_t *jtime(time_t t)
{
        char buf[21];

        return json_string_nocheck(util_format_time(t, buf));
}

/* o when it was built without an error (e), else NULL. */
static json_t *built(json_t *o, int e)
{
        if (!e)
                return o;
        json_decref(o);
        return NULL;
}

static json_t *usage_array(unsigned bits)
{
        json_t *a = json_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < sizeof(usage_order) / sizeof(usage_order[0]); i++)
                if ((bits & usage_order[i]) &&
                    json_array_append_new(a, json_string(usage_name(usage_order[i]))) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

/* A problem object with its code and level; NULL when out of memory. */
static json_t *problem_head(const struct problem *p, int *e)
{
        json_t *o = json_object();

        if (o) {
                *e |= json_object_set_new(o, "code", json_string(problem_code_name(p->code)));
                *e |= json_object_set_new(o, "level", json_string(sw_status_name(p->level)));
        }
        return o;
}

static json_t *cert_problem_json(const struct problem *p)
{
        int e = 0;
        json_t *o = problem_head(p, &e);

        if (!o)
                return NULL;
        e |= json_object_set_new(o, "message", jstr(p->message));
        return built(o, e);
}

static json_t *cert_problems_json(const struct problem_list *l)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < l->n; i++)
                if (json_array_append_new(a, cert_problem_json(&l->items[i])) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        return a;
}

/* Unparsable: neither a certificate nor a subject (eval_unparsable()). */
static bool cert_unparsable(const struct cert_result *r)
{
        return !r->parsed && !r->subject;
}

/* { "type": "crl"|"ocsp"|"file", "location": URL|PATH, "this_update", "next_update" },
 * or null when the status came from nowhere (unknown, off, unparsable). */
static json_t *rev_source_json(const struct cert_rev_source *src)
{
        json_t *o;
        int e = 0;

        if (!src->kind)
                return json_null();
        o = json_object();
        if (!o)
                return NULL;
        e |= json_object_set_new(o, "type", json_string(src->kind));
        e |= json_object_set_new(o, "location", jstr(src->location));
        e |= json_object_set_new(o, "this_update", src->this_update ? jtime(src->this_update)
                                                                    : json_null());
        e |= json_object_set_new(o, "next_update", src->next_update ? jtime(src->next_update)
                                                                    : json_null());
        if (e) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *report_cert_json(const struct cert_result *r)
{
        bool bad = cert_unparsable(r);
        json_t *o = json_object();
        int e = 0;

        if (!o)
                return NULL;
        e |= json_object_set_new(o, "source", json_string(cert_source_name(r->source)));
        e |= json_object_set_new(o, "attribute", jstr(r->attribute));
        e |= json_object_set_new(o, "subject", jstr(bad ? NULL : r->subject));
        e |= json_object_set_new(o, "issuer", jstr(bad ? NULL : r->issuer));
        e |= json_object_set_new(o, "serial", jstr(bad ? NULL : r->serial));
        e |= json_object_set_new(o, "sha256", jstr(r->sha256));
        e |= json_object_set_new(o, "not_before", bad ? json_null() : jtime(r->not_before));
        e |= json_object_set_new(o, "not_after", bad ? json_null() : jtime(r->not_after));
        e |= json_object_set_new(o, "days_left", bad ? json_null() : json_integer(r->days_left));
        e |= json_object_set_new(o, "key", jstr(bad || !r->key[0] ? NULL : r->key));
        e |= json_object_set_new(o, "usages", usage_array(bad ? 0 : r->usages));
        e |= json_object_set_new(o, "path_valid", bad ? json_null() : json_boolean(r->path_valid));
        e |= json_object_set_new(o, "path_error",
                                 jstr(bad || r->path_valid ? NULL : r->path_error));
        e |= json_object_set_new(o, "revocation",
                                 bad ? json_null() : json_string(rev_status_name(r->revocation)));
        e |= json_object_set_new(o, "revocation_source", rev_source_json(&r->rev_source));
        e |= json_object_set_new(o, "usable_for", usage_array(bad ? 0 : r->usable_for));
        e |= json_object_set_new(o, "problems", cert_problems_json(&r->problems));
        return built(o, e);
}

/* Flushes f; r is the error so far. 0 or -errno. */
static int finish(FILE *f, int r)
{
        errno = 0;
        if (fflush(f) == EOF && r == 0)
                r = errno > 0 ? -errno : -EIO;
        if (ferror(f) && r == 0)
                r = -EIO;
        return r;
}

/* Writes doc and a newline to f, and drops doc. 0 or -errno. */
static int dump(FILE *f, json_t *doc)
{
        int r = 0;

        if (!doc)
                return -ENOMEM;
        errno = 0;
        if (json_dumpf(doc, f, JSON_FLAGS) < 0 || fputc('\n', f) == EOF)
                r = errno > 0 ? -errno : -EIO;
        json_decref(doc);
        return finish(f, r);
}

/* { "version": 1, "checked_at": ..., "status": ... }, or NULL. */
static json_t *doc_head(time_t checked_at, enum sw_status status)
{
        json_t *o = json_object();
        int e = 0;

        if (!o)
                return NULL;
        e |= json_object_set_new(o, "version", json_integer(1));
        e |= json_object_set_new(o, "checked_at", jtime(checked_at));
        e |= json_object_set_new(o, "status", json_string(sw_status_name(status)));
        return built(o, e);
}

int report_check_cert_json(FILE *f, const struct cert_result *r, const char *mailbox,
                           time_t checked_at, enum sw_status status)
{
        json_t *doc = doc_head(checked_at, status);
        int e = 0;

        if (!doc)
                return -ENOMEM;
        e |= json_object_set_new(doc, "mailbox", jstr(mailbox));
        e |= json_object_set_new(doc, "certificate", report_cert_json(r));
        if (e) {
                json_decref(doc);
                return -ENOMEM;
        }
        return dump(f, doc);
}

static json_t *mailbox_problem_json(const struct mailbox_result *m, const struct problem *p)
{
        bool has_cert = p->cert >= 0 && (size_t)p->cert < m->n_certs;
        int e = 0;
        json_t *o = problem_head(p, &e);

        if (!o)
                return NULL;
        e |= json_object_set_new(o, "usage", jstr(usage_name(p->usage)));
        e |= json_object_set_new(o, "days_left",
                                 p->has_days_left ? json_integer(p->days_left) : json_null());
        e |= json_object_set_new(o, "message", jstr(p->message));
        e |= json_object_set_new(o, "certificate",
                                 jstr(has_cert ? m->certs[p->cert].sha256 : NULL));
        return built(o, e);
}

/* The entries, problems and certificates arrays of one mailbox; 0 or -1. */
static int mailbox_arrays(json_t *o, const struct mailbox_result *m)
{
        json_t *entries = json_array(), *problems = json_array(), *certs = json_array();
        int e = 0;

        e |= json_object_set_new(o, "entries", entries);
        e |= json_object_set_new(o, "problems", problems);
        e |= json_object_set_new(o, "certificates", certs);
        for (size_t i = 0; !e && i < m->n_entries; i++)
                e |= json_array_append_new(entries, jstr(m->entries[i]));
        for (size_t i = 0; !e && i < m->problems.n; i++)
                e |= json_array_append_new(problems, mailbox_problem_json(m, &m->problems.items[i]));
        for (size_t i = 0; !e && i < m->n_certs; i++)
                e |= json_array_append_new(certs, report_cert_json(&m->certs[i]));
        return e ? -1 : 0;
}

/* What the directory's answer lost at the limits, and which limits: null
 * when it lost nothing. */
static json_t *truncated_json(const struct mailbox_result *m)
{
        if (!m->entries_truncated && m->values_dropped == 0)
                return json_null();
        return json_pack("{s:b, s:i, s:I, s:I, s:i, s:i}", "entries", m->entries_truncated,
                         "entry_limit", DIR_MAX_ENTRIES,
                         "values_left_out", (json_int_t)m->values_dropped,
                         "values_over_size", (json_int_t)m->values_too_large,
                         "values_per_entry_limit", DIR_MAX_VALUES,
                         "value_size_limit", (int)DIR_MAX_VALUE_SIZE);
}

static json_t *mailbox_json(const struct mailbox_result *m)
{
        json_t *o = json_object();
        int e = 0;

        if (!o)
                return NULL;
        e |= json_object_set_new(o, "address", jstr(m->address));
        e |= json_object_set_new(o, "status", json_string(sw_status_name(m->status)));
        e = e || mailbox_arrays(o, m) < 0;
        e |= json_object_set_new(o, "truncated", truncated_json(m));
        return built(o, e);
}

static json_t *summary_json(const struct cycle_result *c)
{
        json_t *o = json_object();
        int e = 0;

        for (int s = 0; o && s < SW_STATUS_COUNT; s++)
                e |= json_object_set_new(o, sw_status_name(s), json_integer(c->counts[s]));
        return built(o, e);
}

/* What [directory] discover found, when it is set. */
static json_t *discovery_json(const struct cycle_set *s)
{
        return json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}", "complete", !s->discovery_reason,
                         "entries", (json_int_t)s->n_entries, "found", (json_int_t)s->n_found,
                         "added", (json_int_t)s->n_added, "invalid", (json_int_t)s->n_invalid,
                         "reason", jstr(s->discovery_reason));
}

/* The mail server's SIZE, when [service] smtp is set. */
static json_t *smtp_json(const struct smtp_result *s)
{
        return json_pack("{s:o, s:s, s:b, s:o, s:I, s:o}", "server", jstr(s->server ? s->server : ""),
                         "status", sw_status_name(s->status), "starttls", s->starttls,
                         "size_limit", s->has_limit ? json_integer((json_int_t)s->limit) : json_null(),
                         "min_message_size", (json_int_t)s->minimum, "reason", jstr(s->reason));
}

/* json_dump_callback()'s output into a util_buf, every line indented by
 * four spaces more: each after a newline (strings hold no raw newline).
 * jansson hands over a token at a time. */
static int indented_add(const char *buf, size_t size, void *arg)
{
        struct util_buf *b = arg;
        /* Room for the worst case, a newline each. */
        char *o = size <= SIZE_MAX / 5 ? util_buf_room(b, 5 * size) : NULL;

        if (!o)
                return -1;
        for (size_t k = 0; k < size; k++) {
                *o++ = buf[k];
                if (buf[k] == '\n') {
                        memcpy(o, "    ", 4);
                        o += 4;
                }
        }
        *o = 0;
        b->len = (size_t)(o - b->s);
        return 0;
}

/* A mailbox's object as text, as json_dumpf() of the whole document
 * indents it inside the "mailboxes" array, two levels deep: NULL when out
 * of memory. */
static char *mailbox_text(const struct cycle_result *c, size_t i)
{
        json_t *m = mailbox_json(&c->mailboxes[i]);
        struct util_buf b = { .s = NULL };

        /* Where it came from, when discovery added to the configuration. */
        if (m && c->set.discovery && c->set.n == c->n_mailboxes &&
            json_object_set_new(m, "origin", json_string(cycle_origin_name(c->set.origins[i]))) < 0) {
                json_decref(m);
                m = NULL;
        }
        if (!m)
                return NULL;
        /* About the size of a mailbox with two certificates, in one go. */
        if (!util_buf_room(&b, 2048) || indented_add("    ", 4, &b) < 0 ||
            json_dump_callback(m, indented_add, &b, JSON_FLAGS) < 0)
                b.oom = true;
        json_decref(m);
        return util_buf_take(&b);
}

/* Mailboxes are made into text on every CPU, JSON_BATCH at a time (for a
 * large cycle the whole tree at once would take several times the memory
 * of the results it is made from), and written in order. */
#define JSON_BATCH 256

struct json_batch {
        const struct cycle_result *c;
        size_t from;
        char *text[JSON_BATCH];
};

static void batch_one(void *arg, size_t k)
{
        struct json_batch *b = arg;

        b->text[k] = mailbox_text(b->c, b->from + k);
}

static int write_mailboxes(FILE *f, const struct cycle_result *c)
{
        struct json_batch b = { .c = c };
        int r = 0;

        for (b.from = 0; r == 0 && b.from < c->n_mailboxes; b.from += JSON_BATCH) {
                size_t n = c->n_mailboxes - b.from < JSON_BATCH ? c->n_mailboxes - b.from : JSON_BATCH;

                util_parallel(n, util_cpus(UTIL_MAX_THREADS), batch_one, &b);
                for (size_t k = 0; k < n; k++) {
                        if (r == 0 && !b.text[k])
                                r = -ENOMEM;
                        if (r == 0 && (fputs(b.text[k], f) == EOF ||
                                       fputs(b.from + k + 1 < c->n_mailboxes ? ",\n" : "\n", f) == EOF))
                                r = -EIO;
                        free(b.text[k]);
                }
        }
        return r;
}

/* The document is written a mailbox at a time (write_mailboxes()). The
 * bytes are what json_dumpf() of the whole gives. */
int report_verify_json(FILE *f, const struct cycle_result *c)
{
        static const char empty_tail[] = "[]\n}";
        json_t *doc = doc_head(c->checked_at, c->status), *mailboxes = json_array();
        char *head = NULL;
        size_t len;
        int e = 0, r = 0;

        if (!doc) {
                json_decref(mailboxes);
                return -ENOMEM;
        }
        e |= json_object_set_new(doc, "summary", summary_json(c));
        if (c->set.discovery)
                e |= json_object_set_new(doc, "discovery", discovery_json(&c->set));
        if (c->smtp.checked)
                e |= json_object_set_new(doc, "smtp", smtp_json(&c->smtp));
        e |= json_object_set_new(doc, "mailboxes", mailboxes);
        if (e || c->n_mailboxes == 0)
                return e ? (json_decref(doc), -ENOMEM) : dump(f, doc);
        head = json_dumps(doc, JSON_FLAGS);
        json_decref(doc);
        len = head ? strlen(head) : 0;
        /* "mailboxes" is the last member: the text ends with its empty array. */
        if (!head || len < sizeof(empty_tail) - 1 ||
            strcmp(head + len - (sizeof(empty_tail) - 1), empty_tail) != 0) {
                free(head);
                return -ENOMEM;
        }
        errno = 0;
        if (fwrite(head, 1, len - (sizeof(empty_tail) - 1), f) == 0 || fputs("[\n", f) == EOF)
                r = -EIO;
        if (r == 0)
                r = write_mailboxes(f, c);
        if (r == 0 && fputs("  ]\n}\n", f) == EOF)
                r = -EIO;
        if (r == -EIO && errno > 0)
                r = -errno;
        free(head);
        return finish(f, r);
}

/* ---- text: helpers ----------------------------------------------------- */

struct text {
        FILE *f;
        bool color;
        int err;                /* -ENOMEM once an allocation failed */
        char **copies;          /* escaped copies, freed by text_finish() */
        size_t n_copies;
};

/* s made safe for a terminal ("" for NULL); lives until text_finish(). */
static const char *tx(struct text *t, const char *s)
{
        const char *c;
        char *copy, **v;

        if (!s)
                return "";
        c = clean(s, &copy);
        if (!c) {
                t->err = -ENOMEM;
                return "?";
        }
        if (!copy)
                return c;
        v = realloc(t->copies, (t->n_copies + 1) * sizeof(*v));
        if (!v) {
                free(copy);
                t->err = -ENOMEM;
                return "?";
        }
        t->copies = v;
        v[t->n_copies++] = copy;
        return copy;
}

static int text_finish(struct text *t)
{
        for (size_t i = 0; i < t->n_copies; i++)
                free(t->copies[i]);
        free(t->copies);
        return finish(t->f, t->err);
}

static const char *status_word(enum sw_status s)
{
        static const char *const w[SW_STATUS_COUNT] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

        return (unsigned)s < SW_STATUS_COUNT ? w[s] : "UNKNOWN";
}

/* The status word, coloured when asked, padded to width columns. */
static void put_status(struct text *t, enum sw_status s, int width)
{
        static const char *const col[SW_STATUS_COUNT] = {
                "\033[32m", "\033[33m", "\033[31m", "\033[35m",
        };
        const char *w = status_word(s);

        if (t->color)
                fprintf(t->f, "%s%s\033[0m", col[(unsigned)s < SW_STATUS_COUNT ? s : SW_UNKNOWN], w);
        else
                fputs(w, t->f);
        if (width > (int)strlen(w))
                fprintf(t->f, "%*s", width - (int)strlen(w), "");
}

/* Columns of len bytes of UTF-8 text: one per code point (wide characters
 * are rare in addresses and DNs and not worth a wcwidth table). */
static size_t cols_n(const char *s, size_t len)
{
        size_t n = 0;

        for (size_t i = 0; i < len; i++)
                n += ((unsigned char)s[i] & 0xc0) != 0x80;
        return n;
}

static size_t cols(const char *s)
{
        return cols_n(s, strlen(s));
}

/* Byte offset where column c of s starts. */
static size_t col_offset(const char *s, size_t c)
{
        size_t i = 0;

        for (; s[i]; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80 && c-- == 0)
                        break;
        return i;
}

/* Prints s wrapped at WRAP_COLS; the cursor is at column col, continuation
 * lines start at column indent. Ends the line. */
static void put_wrapped(struct text *t, size_t col, size_t indent, const char *s)
{
        bool first = true;

        while (*s) {
                size_t len = strcspn(s, " "), w = cols_n(s, len);

                if (len == 0) {
                        s++;
                        continue;
                }
                if (!first && col + 1 + w > WRAP_COLS) {
                        fprintf(t->f, "\n%*s", (int)indent, "");
                        col = indent;
                } else if (!first) {
                        fputc(' ', t->f);
                        col++;
                }
                fwrite(s, 1, len, t->f);
                col += w;
                first = false;
                s += len;
        }
        fputc('\n', t->f);
}

/* One problem: level, message and code, then what to do (unless advice is
 * false), indented by indent columns. */
static void put_problem(struct text *t, int indent, const struct problem *p, bool advice)
{
        char *line = NULL;

        fprintf(t->f, "%*s", indent, "");
        put_status(t, p->level, 10);
        if (asprintf(&line, "%s (%s)", tx(t, p->message), problem_code_name(p->code)) < 0) {
                t->err = -ENOMEM;
                return;
        }
        put_wrapped(t, (size_t)indent + 10, (size_t)indent + 10, line);
        free(line);
        if (advice) {
                fprintf(t->f, "%*s" ARROW " ", indent + 10, "");
                put_wrapped(t, (size_t)indent + 12, (size_t)indent + 12, report_advice(p->code));
        }
}

/* "in 12 days", "in less than a day", "expired 3 days ago". */
/* "in 12 days", "expired 3 days ago": whole days counted the way the
 * CERT_EXPIRED message counts them (days_left rounds down, so an expiry
 * 2.5 days ago is days_left -3 but "2 days ago"). */
static void days_phrase(time_t now, time_t not_after, long days_left, char *buf, size_t n)
{
        long ago = now >= not_after ? (long)((now - not_after) / 86400) : 0;

        if (days_left > 0)
                snprintf(buf, n, "in %ld day%s", days_left, days_left == 1 ? "" : "s");
        else if (now < not_after)
                snprintf(buf, n, "in less than a day");
        else if (ago == 0)
                snprintf(buf, n, "expired less than a day ago");
        else
                snprintf(buf, n, "expired %ld day%s ago", ago, ago == 1 ? "" : "s");
}

static void usages_phrase(unsigned bits, const char *sep, char *buf, size_t n)
{
        if ((bits & USAGE_ALL) == USAGE_ALL)
                snprintf(buf, n, "encryption%ssignature", sep);
        else if (bits & USAGE_ENCRYPTION)
                snprintf(buf, n, "encryption");
        else if (bits & USAGE_SIGNATURE)
                snprintf(buf, n, "signature");
        else
                snprintf(buf, n, "none");
}

static void put_field(struct text *t, int indent, const char *label, const char *value)
{
        fprintf(t->f, "%*s%-13s%s\n", indent, "", label, value);
}

/* ---- text: one certificate -------------------------------------------- */

static void put_source(struct text *t, int indent, const struct cert_result *r)
{
        char *s = NULL;
        int n;

        if (r->source == CERT_SOURCE_FILE)
                n = asprintf(&s, "file %s", tx(t, r->origin));
        else if (r->attribute)
                n = asprintf(&s, "directory, %s", tx(t, r->attribute));
        else
                n = asprintf(&s, "directory");
        if (n < 0) {
                t->err = -ENOMEM;
                return;
        }
        put_field(t, indent, "Source:", s);
        free(s);
}

static void put_validity(struct text *t, int indent, const struct cert_result *r, time_t now,
                         bool dates_only)
{
        char when[21], days[40], line[80];

        if (dates_only)
                util_format_date(r->not_before, when);
        else
                util_format_time(r->not_before, when);
        snprintf(line, sizeof(line), "%s%s", when, r->not_before > now ? " (not yet valid)" : "");
        put_field(t, indent, "Valid from:", line);
        if (dates_only)
                util_format_date(r->not_after, when);
        else
                util_format_time(r->not_after, when);
        days_phrase(now, r->not_after, r->days_left, days, sizeof(days));
        snprintf(line, sizeof(line), "%s (%s)", when, days);
        put_field(t, indent, "Valid until:", line);
}

/* The facts about a certificate, one per line; brief leaves out issuer,
 * key, usages, chain and revocation (for the --verify details). */
static void put_cert_fields(struct text *t, int indent, const struct cert_result *r,
                            time_t now, bool brief)
{
        char buf[64];

        if (cert_unparsable(r)) {
                put_field(t, indent, "Certificate:", "not readable (see the problems)");
                put_source(t, indent, r);
                put_field(t, indent, "SHA-256:", tx(t, r->sha256));
                return;
        }
        put_field(t, indent, "Subject:", tx(t, r->subject));
        if (!brief)
                put_field(t, indent, "Issuer:", tx(t, r->issuer));
        put_field(t, indent, "Serial:", tx(t, r->serial));
        put_field(t, indent, "SHA-256:", tx(t, r->sha256));
        put_source(t, indent, r);
        put_validity(t, indent, r, now, brief);
        if (brief)
                return;
        put_field(t, indent, "Key:", r->key[0] ? tx(t, r->key) : "unknown");
        usages_phrase(r->usages, ", ", buf, sizeof(buf));
        put_field(t, indent, "Usages:", buf);
        if (r->path_valid)
                put_field(t, indent, "Chain:", "valid");
        else
                fprintf(t->f, "%*s%-13snot valid: %s\n", indent, "", "Chain:",
                        r->path_error ? tx(t, r->path_error) : "no reason given");
        if (r->rev_source.kind) {
                char this_update[21], next_update[21];

                fprintf(t->f, "%*s%-13s%s (%s %s, this update %s, next update %s)\n", indent, "",
                        "Revocation:", rev_status_name(r->revocation), r->rev_source.kind,
                        tx(t, r->rev_source.location),
                        util_format_time(r->rev_source.this_update, this_update),
                        r->rev_source.next_update
                        ? util_format_time(r->rev_source.next_update, next_update) : "none");
        } else {
                put_field(t, indent, "Revocation:", rev_status_name(r->revocation));
        }
}

/* ---- text: --check-cert ----------------------------------------------- */

static void put_verdict(struct text *t, const struct cert_result *r, const char *mailbox,
                        enum sw_status status)
{
        char usages[64];

        put_status(t, status, 0);
        if (r->usable_for && !cert_unparsable(r)) {
                usages_phrase(r->usable_for, " and ", usages, sizeof(usages));
                fprintf(t->f, ": usable for %s%s\n", usages,
                        status == SW_OK ? "" : ", but see the problems below");
        } else if (mailbox) {
                fprintf(t->f, ": certificate is not usable for %s\n", tx(t, mailbox));
        } else {
                fputs(": certificate is not usable\n", t->f);
        }
}

static void put_mailbox_match(struct text *t, const struct cert_result *r, const char *mailbox)
{
        const char *how = "named in the certificate";
        char *line = NULL;

        if (problem_list_has(&r->problems, PROBLEM_CERT_ADDRESS_MISMATCH))
                how = "NOT named in the certificate";
        else if (problem_list_has(&r->problems, PROBLEM_CERT_SUBJECT_EMAIL_ONLY))
                how = "only in the subject name, not in subjectAltName";
        else if (cert_unparsable(r))
                how = "not checked";
        if (asprintf(&line, "%s (%s)", tx(t, mailbox), how) < 0) {
                t->err = -ENOMEM;
                return;
        }
        put_field(t, 2, "Mailbox:", line);
        free(line);
}

int report_check_cert_text(FILE *f, const struct cert_result *r, const char *mailbox,
                           time_t checked_at, enum sw_status status, bool color)
{
        struct text t = { .f = f, .color = color };
        char when[21];

        put_verdict(&t, r, mailbox, status);
        fputc('\n', f);
        put_cert_fields(&t, 2, r, checked_at, false);
        if (mailbox)
                put_mailbox_match(&t, r, mailbox);
        put_field(&t, 2, "Checked at:", util_format_time(checked_at, when));
        fputc('\n', f);
        if (r->problems.n == 0)
                fputs("No problems found.\n", f);
        else
                fputs("Problems:\n", f);
        for (size_t i = 0; i < r->problems.n; i++)
                put_problem(&t, 2, &r->problems.items[i], true);
        return text_finish(&t);
}

/* ---- text: --verify table ---------------------------------------------- */

enum { COL_ADDRESS, COL_ENCRYPTION, COL_SIGNATURE, COL_PROBLEM, N_COLS };

struct row {
        char *cell[N_COLS];
};

static const char *const col_title[N_COLS] = { "MAILBOX", "ENCRYPTION", "SIGNATURE", "PROBLEM" };

/* A copy of s cut to at most max columns, "…" marking the cut. */
static char *cut(const char *s, size_t max)
{
        char *o;
        size_t n;

        if (cols(s) <= max)
                return strdup(s);
        n = col_offset(s, max - 1);
        o = malloc(n + sizeof(ELLIPSIS));
        if (o) {
                memcpy(o, s, n);
                memcpy(o + n, ELLIPSIS, sizeof(ELLIPSIS));
        }
        return o;
}

/* An address cut to max columns: the domain says whose mailbox it is, so
 * the local part is shortened first. */
static char *cut_address(const char *a, size_t max)
{
        const char *at = strrchr(a, '@');
        char *o = NULL;
        size_t keep;

        if (cols(a) <= max || !at || cols(at) + 6 > max)
                return cut(a, max);
        keep = col_offset(a, max - 1 - cols(at));
        if (asprintf(&o, "%.*s" ELLIPSIS "%s", (int)keep, a, at) < 0)
                return NULL;
        return o;
}

static bool has_problem(const struct mailbox_result *m, enum problem_code code)
{
        return problem_list_has(&m->problems, code);
}

/* The CERT_EXPIRING problem for this usage, or NULL. */
static const struct problem *expiring(const struct mailbox_result *m, unsigned usage)
{
        for (size_t i = 0; i < m->problems.n; i++) {
                const struct problem *p = &m->problems.items[i];

                if (p->code == PROBLEM_CERT_EXPIRING && problem_concerns_usage(p, usage))
                        return p;
        }
        return NULL;
}

/* "missing (revoked)": the cause the evaluation gave. */
static char *missing_cell(const struct problem *missing)
{
        static const struct { enum problem_code code; const char *word; } words[] = {
                { PROBLEM_CERT_REVOKED, "revoked" },
                { PROBLEM_CERT_EXPIRED, "expired" },
                { PROBLEM_CERT_NOT_YET_VALID, "not yet valid" },
                { PROBLEM_CERT_UNTRUSTED, "untrusted" },
                { PROBLEM_CERT_ADDRESS_MISMATCH, "wrong address" },
                { PROBLEM_CERT_WRONG_USAGE, "wrong usage" },
                { PROBLEM_CERT_WEAK_KEY, "weak key" },
                { PROBLEM_CERT_WEAK_SIGNATURE, "weak signature" },
                { PROBLEM_CERT_POLICY_MISMATCH, "wrong policy" },
                { PROBLEM_CERT_UNPARSABLE, "unreadable" },
        };
        char *o = NULL;

        for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
                if ((int)words[k].code == missing->cause)
                        return asprintf(&o, "missing (%s)", words[k].word) < 0 ? NULL : o;
        return strdup("missing");
}

/* "valid to 2027-03-01", "expires in 12 d", "missing", "not required". */
static char *usage_cell(const struct mailbox_result *m, unsigned usage)
{
        int best = usage == USAGE_ENCRYPTION ? m->best_encryption : m->best_signature;
        enum problem_code missing = usage == USAGE_ENCRYPTION ? PROBLEM_ENCRYPTION_CERT_MISSING
                                                              : PROBLEM_SIGNATURE_CERT_MISSING;
        const struct problem *p;
        char date[11], *o = NULL;
        long d;

        if (has_problem(m, PROBLEM_DIRECTORY_UNREACHABLE))
                return strdup("not checked");
        if (best < 0 || (size_t)best >= m->n_certs) {
                if (has_problem(m, PROBLEM_MAILBOX_NOT_FOUND))
                        return strdup("no entry");
                p = problem_list_find(&m->problems, missing);
                return p ? missing_cell(p) : strdup("not required");
        }
        p = expiring(m, usage);
        if (!p)
                return asprintf(&o, "valid to %s",
                                util_format_date(m->certs[best].not_after, date)) < 0 ? NULL : o;
        d = p->has_days_left ? p->days_left : m->certs[best].days_left;
        if (d <= 0)
                return strdup("expires in <1 d");
        return asprintf(&o, "expires in %ld d", d) < 0 ? NULL : o;
}

/* The headlines that are the same for every mailbox. */
static const char *fixed_headline(enum problem_code code)
{
        static const struct { enum problem_code code; const char *text; } fixed[] = {
                { PROBLEM_STALE_CERT_PUBLISHED, "unusable certificate published (remove it)" },
                { PROBLEM_REVOCATION_UNKNOWN, "revocation status unknown (CRL missing or outdated)" },
                { PROBLEM_CERT_SUBJECT_EMAIL_ONLY, "address only in the subject, not in subjectAltName" },
                { PROBLEM_DECRYPTION_KEY_MISMATCH, "held key cannot decrypt (wrong key)" },
                { PROBLEM_DECRYPTION_KEY_UNREADABLE, "held key unreadable: decryption not checked" },
                { PROBLEM_MESSAGE_SIZE_LIMIT, "mail server refuses large messages" },
        };

        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                if (fixed[i].code == code)
                        return fixed[i].text;
        return NULL;
}

/* A few words for the table; the full message is in the details. NULL
 * where the message itself is short enough (or out of memory). */
static char *headline(const struct mailbox_result *m, const struct problem *p)
{
        const char *usage = usage_name(p->usage), *fixed = fixed_headline(p->code);
        const struct cert_result *c = p->cert >= 0 && (size_t)p->cert < m->n_certs
                                              ? &m->certs[p->cert] : NULL;
        char *o = NULL;
        int r = -1;

        if (fixed)
                return strdup(fixed);
        switch (p->code) {
        case PROBLEM_MAILBOX_AMBIGUOUS:
                r = asprintf(&o, "%s%zu directory entries for the address",
                             m->entries_truncated ? "more than " : "", m->n_entries);
                break;
        case PROBLEM_CERT_EXPIRING:
                r = asprintf(&o, "%s%scertificate expires in %ld day%s", usage ? usage : "",
                             usage ? " " : "", p->days_left, p->days_left == 1 ? "" : "s");
                break;
        case PROBLEM_CERT_WEAK_KEY:
                r = asprintf(&o, "weak key%s%s%s", c && c->key[0] ? " (" : "",
                             c && c->key[0] ? c->key : "", c && c->key[0] ? ")" : "");
                break;
        case PROBLEM_ENCRYPTION_CERT_MISSING:
        case PROBLEM_SIGNATURE_CERT_MISSING:
                r = asprintf(&o, "no usable %s certificate", usage ? usage : "");
                break;
        default:
                break;
        }
        return r < 0 ? NULL : o;
}

static char *problem_cell(struct text *t, const struct cycle_result *c,
                          const struct mailbox_result *m)
{
        const struct problem *p = problem_list_main(&m->problems);
        char more[32] = "", *msg, *o = NULL;

        if (!p)
                return strdup("-");
        if (c->directory_failed && p->code == PROBLEM_DIRECTORY_UNREACHABLE)
                return strdup("directory unreachable (see above)");
        if (m->problems.n > 1)
                snprintf(more, sizeof(more), " (+%zu more)", m->problems.n - 1);
        msg = headline(m, p);
        if (!msg)
                msg = cut(tx(t, p->message), PROBLEM_COLS - strlen(more));
        if (!msg || asprintf(&o, "%s%s", msg, more) < 0)
                o = NULL;
        free(msg);
        return o;
}

static int make_row(struct text *t, const struct cycle_result *c,
                    const struct mailbox_result *m, struct row *row)
{
        row->cell[COL_ADDRESS] = cut_address(tx(t, m->address), ADDRESS_COLS);
        row->cell[COL_ENCRYPTION] = usage_cell(m, USAGE_ENCRYPTION);
        row->cell[COL_SIGNATURE] = usage_cell(m, USAGE_SIGNATURE);
        row->cell[COL_PROBLEM] = problem_cell(t, c, m);
        for (int i = 0; i < N_COLS; i++)
                if (!row->cell[i])
                        return -ENOMEM;
        return 0;
}

static void put_row(struct text *t, const size_t width[N_COLS], enum sw_status s,
                    char *const cell[N_COLS])
{
        if (cell == NULL) {     /* the heading */
                fprintf(t->f, "%-10s", "STATUS");
                for (int i = 0; i < N_COLS - 1; i++)
                        fprintf(t->f, "%-*s  ", (int)width[i], col_title[i]);
                fprintf(t->f, "%s\n", col_title[N_COLS - 1]);
                return;
        }
        put_status(t, s, 10);
        for (int i = 0; i < N_COLS - 1; i++)
                fprintf(t->f, "%s%*s  ", cell[i], (int)(width[i] - cols(cell[i])), "");
        fprintf(t->f, "%s\n", cell[N_COLS - 1]);
}

static void put_table(struct text *t, const struct cycle_result *c)
{
        struct row *rows = calloc(c->n_mailboxes, sizeof(*rows));
        size_t width[N_COLS];

        if (!rows) {
                t->err = -ENOMEM;
                return;
        }
        for (int i = 0; i < N_COLS; i++)
                width[i] = strlen(col_title[i]);
        for (size_t m = 0; m < c->n_mailboxes && t->err == 0; m++) {
                if (make_row(t, c, &c->mailboxes[m], &rows[m]) < 0)
                        t->err = -ENOMEM;
                for (int i = 0; t->err == 0 && i < N_COLS; i++)
                        if (cols(rows[m].cell[i]) > width[i])
                                width[i] = cols(rows[m].cell[i]);
        }
        if (t->err == 0) {
                put_row(t, width, SW_OK, NULL);
                for (size_t m = 0; m < c->n_mailboxes; m++)
                        put_row(t, width, c->mailboxes[m].status, rows[m].cell);
        }
        for (size_t m = 0; m < c->n_mailboxes; m++)
                for (int i = 0; i < N_COLS; i++)
                        free(rows[m].cell[i]);
        free(rows);
}

/* ---- text: --verify details ---------------------------------------------- */

/* Whether a problem is worth repeating under the mailbox: a directory
 * outage of the whole cycle is said once, at the top. */
static bool detail_worthy(const struct cycle_result *c, const struct problem *p)
{
        return !(c->directory_failed && p->code == PROBLEM_DIRECTORY_UNREACHABLE);
}

static bool mailbox_has_details(const struct cycle_result *c, const struct mailbox_result *m)
{
        if (m->status == SW_OK)
                return false;
        for (size_t i = 0; i < m->problems.n; i++)
                if (detail_worthy(c, &m->problems.items[i]))
                        return true;
        return false;
}

/* A certificate is concerned when it has problems of its own or a mailbox
 * problem is about it. */
static bool cert_concerned(const struct mailbox_result *m, size_t i, bool *stale)
{
        bool concerned = m->certs[i].problems.n > 0;

        *stale = false;
        for (size_t k = 0; k < m->problems.n; k++) {
                const struct problem *p = &m->problems.items[k];

                if (p->cert >= 0 && (size_t)p->cert == i) {
                        concerned = true;
                        if (p->code == PROBLEM_STALE_CERT_PUBLISHED)
                                *stale = true;
                }
        }
        return concerned;
}

static void put_entries(struct text *t, const struct mailbox_result *m)
{
        if (has_problem(m, PROBLEM_DIRECTORY_UNREACHABLE))
                return;
        if (m->n_entries == 0)
                put_field(t, 2, "Entry:", "none in the directory");
        for (size_t i = 0; i < m->n_entries; i++)
                put_field(t, 2, i == 0 ? "Entry:" : "", tx(t, m->entries[i]));
}

/* True the first time a code is asked about. */
static bool first_advice(bool advised[PROBLEM_CODE_COUNT + 1], enum problem_code code)
{
        unsigned i = (unsigned)code < PROBLEM_CODE_COUNT ? code : PROBLEM_CODE_COUNT;
        bool first = !advised[i];

        advised[i] = true;
        return first;
}

/* Problems of the mailbox, then its concerned certificates. Advice is
 * given once per code; a stale certificate's own problems get none, as
 * the advice is to remove it. */
static void put_mailbox_details(struct text *t, const struct cycle_result *c,
                                const struct mailbox_result *m)
{
        bool advised[PROBLEM_CODE_COUNT + 1] = { false }, stale;

        put_status(t, m->status, 10);
        fprintf(t->f, "%s\n", tx(t, m->address));
        put_entries(t, m);
        for (size_t i = 0; i < m->problems.n; i++) {
                const struct problem *p = &m->problems.items[i];

                if (!detail_worthy(c, p))
                        continue;
                put_problem(t, 2, p, first_advice(advised, p->code));
        }
        for (size_t i = 0; i < m->n_certs; i++) {
                const struct cert_result *r = &m->certs[i];

                if (!cert_concerned(m, i, &stale))
                        continue;
                fprintf(t->f, "  Certificate %zu of %zu:\n", i + 1, m->n_certs);
                put_cert_fields(t, 4, r, c->checked_at, true);
                for (size_t k = 0; k < r->problems.n; k++) {
                        const struct problem *p = &r->problems.items[k];

                        put_problem(t, 4, p, !stale && first_advice(advised, p->code));
                }
        }
        fputc('\n', t->f);
}

static void put_details(struct text *t, const struct cycle_result *c)
{
        bool any = false;

        for (size_t i = 0; i < c->n_mailboxes; i++) {
                const struct mailbox_result *m = &c->mailboxes[i];

                if (!mailbox_has_details(c, m))
                        continue;
                if (!any)
                        fputs("\nDetails\n\n", t->f);
                any = true;
                put_mailbox_details(t, c, m);
        }
        if (!any)
                fputc('\n', t->f);
}

static void put_directory_failure(struct text *t, const struct cycle_result *c)
{
        char *line = NULL;

        put_status(t, SW_UNKNOWN, 0);
        if (asprintf(&line, ": the directory could not be reached, so no mailbox was checked: %s",
                     c->directory_reason ? tx(t, c->directory_reason) : "no reason given") < 0) {
                t->err = -ENOMEM;
                return;
        }
        put_wrapped(t, strlen(status_word(SW_UNKNOWN)), 2, line);
        free(line);
        fputs("  " ARROW " ", t->f);
        put_wrapped(t, 4, 4, report_advice(PROBLEM_DIRECTORY_UNREACHABLE));
        fputc('\n', t->f);
}

static void put_discovery(struct text *t, const struct cycle_set *s)
{
        char *line = NULL;

        if (asprintf(&line, "Discovery: %zu address%s in %zu entr%s, %zu of them not configured%s%s%s",
                     s->n_found, s->n_found == 1 ? "" : "es", s->n_entries,
                     s->n_entries == 1 ? "y" : "ies", s->n_added,
                     s->n_invalid ? " (mail values that are no address left out)" : "",
                     s->discovery_reason ? "; INCOMPLETE: " : "",
                     s->discovery_reason ? tx(t, s->discovery_reason) : "") < 0) {
                t->err = -ENOMEM;
                return;
        }
        if (s->discovery_reason) {
                put_status(t, SW_UNKNOWN, 0);
                fputs("  ", t->f);
        }
        put_wrapped(t, s->discovery_reason ? strlen(status_word(SW_UNKNOWN)) + 2 : 0, 2, line);
        free(line);
        fputc('\n', t->f);
}

/* One line on the mail server; unknown is a note, not a verdict. */
static void put_smtp(struct text *t, const struct smtp_result *s)
{
        char *line = NULL;
        int r;

        if (s->status == SW_UNKNOWN)
                r = asprintf(&line, "Mail server %s: its size limit is unknown (the mailboxes' "
                             "verdicts do not depend on it): %s", tx(t, s->server),
                             s->reason ? tx(t, s->reason) : "no reason given");
        else if (s->has_limit)
                r = asprintf(&line, "Mail server %s%s: accepts messages up to %.1f MB (SIZE %llu)%s",
                             tx(t, s->server), s->starttls ? " (STARTTLS)" : "",
                             (double)s->limit / 1e6, (unsigned long long)s->limit,
                             s->status == SW_WARNING ? ", less than min_message_size" : "");
        else
                r = asprintf(&line, "Mail server %s%s: announces no fixed size limit (SIZE 0)",
                             tx(t, s->server), s->starttls ? " (STARTTLS)" : "");
        if (r < 0) {
                t->err = -ENOMEM;
                return;
        }
        put_status(t, s->status, 0);
        fputs("  ", t->f);
        put_wrapped(t, strlen(status_word(s->status)) + 2, 2, line);
        free(line);
        fputc('\n', t->f);
}

int report_verify_text(FILE *f, const struct cycle_result *c, bool color)
{
        struct text t = { .f = f, .color = color };
        char when[21];

        if (c->directory_failed)
                put_directory_failure(&t, c);
        if (c->n_mailboxes == 0)
                fputs("No mailboxes were checked.\n\n", f);
        else
                put_table(&t, c);
        if (c->n_mailboxes > 0 && t.err == 0)
                put_details(&t, c);
        if (c->set.discovery && t.err == 0)
                put_discovery(&t, &c->set);
        if (c->smtp.checked && t.err == 0)
                put_smtp(&t, &c->smtp);
        fprintf(f, "%zu mailbox%s: %u ok, %u warning, %u critical, %u unknown; checked %s\n",
                c->n_mailboxes, c->n_mailboxes == 1 ? "" : "es", c->counts[SW_OK],
                c->counts[SW_WARNING], c->counts[SW_CRITICAL], c->counts[SW_UNKNOWN],
                util_format_time(c->checked_at, when));
        return text_finish(&t);
}

/* ---- advice --------------------------------------------------------------- */

#define RENEW "Request a new certificate through your IT department from the IT-DLZ of the " \
        "Free State of Bavaria (municipalities within a district: through the PKI " \
        "registration office at the Landratsamt), then publish it in the directory."

static const char *const advice[PROBLEM_CODE_COUNT] = {
        [PROBLEM_DIRECTORY_UNREACHABLE] =
                "Check the directory connection: the [directory] uri, network and firewall, "
                "the bind_dn and its password file, and for ldaps:// or StartTLS the "
                "tls_ca_file. No mailbox can be judged until the directory answers.",
        [PROBLEM_MAILBOX_NOT_FOUND] =
                "Publish the mailbox in the directory. If it is published, check the address "
                "for typing errors and the [directory] base and filter settings.",
        [PROBLEM_MAILBOX_AMBIGUOUS] =
                "Several directory entries carry this address: remove or merge the duplicate "
                "entry, so that senders find exactly one.",
        [PROBLEM_ENCRYPTION_CERT_MISSING] =
                "Nobody can send encrypted mail to this mailbox. If certificates are published, "
                "their problems say why none can be used. " RENEW,
        [PROBLEM_SIGNATURE_CERT_MISSING] =
                "The mailbox has no usable signature certificate. " RENEW " If the directory "
                "does not publish signature certificates, name the certificate file with "
                "certificates = in the [mailbox ADDRESS] section of the configuration.",
        [PROBLEM_CERT_EXPIRING] =
                "Renew in time. " RENEW " Remove the old certificate from the directory "
                "entry once the new one is published.",
        [PROBLEM_STALE_CERT_PUBLISHED] =
                "Remove the expired, revoked or otherwise unusable certificate from the "
                "directory entry (keep the valid one), so that senders cannot pick it.",
        [PROBLEM_DECRYPTION_KEY_MISMATCH] =
                "Mail encrypted to the published certificate cannot be read with the key the "
                "staff hold. Give the staff the PKCS#12 file of the published certificate and "
                "point key = at it, or publish the certificate of the key they hold.",
        [PROBLEM_DECRYPTION_KEY_UNREADABLE] =
                "The key file could not be used, so decryption was not tested. Check key = "
                "(PKCS#12 or PEM, not readable by others: chmod o-r) and its password "
                "(key_password_file, or the credential key-password-ADDRESS).",
        [PROBLEM_MESSAGE_SIZE_LIMIT] =
                "The inbound mail server refuses messages as large as online procedures send "
                "(attachments). Ask the mail administrators to raise its message size limit "
                "(Postfix: message_size_limit) to at least min_message_size.",
        [PROBLEM_REVOCATION_UNKNOWN] =
                "The revocation status could not be checked: no current CRL or OCSP answer "
                "covers the certificate; the message names the sources tried and why each "
                "failed. Make sure the CRL distribution points and OCSP responders the "
                "certificates name are reachable (set [pki] http_proxy if the network needs "
                "one), or keep current CRLs in the files named by [pki] crls.",
        [PROBLEM_CERT_WEAK_KEY] =
                "The key is shorter than the configured minimum (min_rsa_bits / min_ec_bits). "
                RENEW,
        [PROBLEM_CERT_SUBJECT_EMAIL_ONLY] =
                "The address is only in the subject name, not in subjectAltName, and some mail "
                "programs will not accept it. " RENEW " Ask for the address in subjectAltName.",
        [PROBLEM_CERT_UNPARSABLE] =
                "The value is not a readable certificate. Remove the broken value from the "
                "directory entry (for a file: use PEM, DER or PKCS#7) and publish a correct "
                "certificate if none remains.",
        [PROBLEM_CERT_EXPIRED] =
                "The certificate has expired. " RENEW " Remove the expired certificate from "
                "the directory entry.",
        [PROBLEM_CERT_NOT_YET_VALID] =
                "The certificate is not valid yet. Check the clock of this computer (and any "
                "--at time); otherwise wait for its start date and keep a currently valid "
                "certificate published until then.",
        [PROBLEM_CERT_UNTRUSTED] =
                "The certificate does not chain to a configured trust anchor (see the chain "
                "error). Check that [pki] trust_anchors and intermediates hold the issuing CA "
                "certificates. A certificate from another CA must be replaced. " RENEW,
        [PROBLEM_CERT_REVOKED] =
                "The certificate has been revoked and must not be used. Remove it from the "
                "directory entry. " RENEW,
        [PROBLEM_CERT_ADDRESS_MISMATCH] =
                "The certificate does not name this address in subjectAltName. Check that it "
                "is published on the right entry and the mailbox address is spelled right. "
                "If both are right, the certificate was issued for another address. " RENEW,
        [PROBLEM_CERT_WRONG_USAGE] =
                "The key usage or extended key usage does not allow this use for S/MIME "
                "(encryption needs keyEncipherment or keyAgreement, signature needs "
                "digitalSignature, the EKU must allow emailProtection). " RENEW,
        [PROBLEM_CERT_WEAK_SIGNATURE] =
                "The certificate is signed with a weak algorithm (such as SHA-1 or MD5) and is "
                "no longer accepted. " RENEW,
        [PROBLEM_CERT_POLICY_MISMATCH] =
                "The certificate path is not valid under the policy required by [pki] "
                "require_policy. Check the policy OIDs configured there. If they are right, "
                "the certificate was issued by the wrong CA or under the wrong profile. "
                RENEW,
};

const char *report_advice(enum problem_code code)
{
        if ((unsigned)code >= PROBLEM_CODE_COUNT || !advice[code])
                return "See the message and the smimewatch documentation.";
        return advice[code];
}
