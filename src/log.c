/* SPDX-License-Identifier: EUPL-1.2 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
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
                sd_journal_printv(priority, fmt, ap);
        } else {
                fputs("smimewatch: ", stderr);
                vfprintf(stderr, fmt, ap);
                fputc('\n', stderr);
        }
        va_end(ap);
}
