/* SPDX-License-Identifier: EUPL-1.2 */
/* A configuration together with the PKI it names: what every mode and the
 * service (at start and on reload) need before they can check anything. */
#ifndef SMIMEWATCH_LOAD_H
#define SMIMEWATCH_LOAD_H

#include "config.h"

struct pki;

/* Loads path with cfg_load() and every module's rules for its settings
 * (directory, PKI, secrets): the whole check of a configuration file, as
 * --check-config and the service see it. 0, or negative with *errors
 * holding every reason, one "FILE:LINE: ..." per line (caller frees). */
int load_settings(const char *path, enum cfg_need need, struct cfg **ret, char **errors);

/* Loads path with load_settings() and its [pki] with pki_load(). 0, or
 * negative with *errors holding every reason, one "FILE:LINE: ..." per
 * line (caller frees); nothing is returned then. */
int load_configuration(const char *path, enum cfg_need need, struct cfg **ret_cfg,
                       struct pki **ret_pki, char **errors);

#endif
