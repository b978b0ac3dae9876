/* SPDX-License-Identifier: EUPL-1.2 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-journal.h>

static bool journal;

void log_to_journal(bool on)
{
        journal = on;
}

void log_msg(int priority, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (journal) {
                char *msg = NULL;

                /* sd_journal_printv() would leave out SYSLOG_IDENTIFIER,
                 * which every entry of smimewatch carries. */
                if (vasprintf(&msg, fmt, ap) >= 0) {
                        sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", priority,
                                        "SYSLOG_IDENTIFIER=smimewatch", NULL);
                        free(msg);
                }
        } else {
                fputs("smimewatch: ", stderr);
                vfprintf(stderr, fmt, ap);
                fputc('\n', stderr);
        }
        va_end(ap);
}
