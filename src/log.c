/* SPDX-License-Identifier: EUPL-1.2 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-journal.h>

#include "util.h"

static bool journal;

void log_to_journal(bool on)
{
        journal = on;
}

/* An output edge: the message is escaped here (util_escape()). */
void log_msg(int priority, const char *fmt, ...)
{
        char *raw, *msg;
        va_list ap;

        va_start(ap, fmt);
        raw = util_vformat(fmt, ap);
        va_end(ap);
        msg = raw ? util_escape(raw) : NULL;
        if (journal)
                /* sd_journal_printv() would leave out SYSLOG_IDENTIFIER,
                 * which every entry of smimewatch carries. */
                sd_journal_send("MESSAGE=%s", msg ? msg : "out of memory", "PRIORITY=%i",
                                priority, "SYSLOG_IDENTIFIER=smimewatch", NULL);
        else
                fprintf(stderr, "smimewatch: %s\n", msg ? msg : "out of memory");
        free(msg);
        free(raw);
}
