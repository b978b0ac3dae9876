/* SPDX-License-Identifier: EUPL-1.2 */
/* The long-running service: periodic cycles on sd-event, journal alerts,
 * sd_notify, reload on SIGHUP, persisted alert state. */
#ifndef SMIMEWATCH_SERVICE_H
#define SMIMEWATCH_SERVICE_H

/* Runs until SIGTERM/SIGINT; returns the exit status (0, or 78 when the
 * configuration at start is bad). */
int service_run(const char *config_path);

#endif
