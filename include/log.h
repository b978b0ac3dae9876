/* SPDX-License-Identifier: EUPL-1.2 */
/* Diagnostics of smimewatch itself (not mailbox alerts: see journal.h).
 * On a terminal or in one-shot modes they go to stderr as
 * "smimewatch: message"; in service mode to the journal with a priority. */
#ifndef SMIMEWATCH_LOG_H
#define SMIMEWATCH_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_to_journal(bool on);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)

#endif
