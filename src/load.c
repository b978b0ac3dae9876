/* SPDX-License-Identifier: EUPL-1.2 */
#include "load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "pki.h"

/* The rules each module keeps for the settings it uses, in the order of
 * the sections in the file. */
static cfg_check *const checks[] = { pki_check_settings, dir_check_settings, NULL };

int load_settings(const char *path, enum cfg_need need, struct cfg **ret, char **errors)
{
        int r;

        *errors = NULL;
        r = cfg_load(path, need, checks, ret, errors);
        if (r < 0 && (!*errors || !**errors)) {
                free(*errors);
                if (asprintf(errors, "%s: %s", path, strerror(-r)) < 0)
                        *errors = NULL;
        }
        return r;
}

int load_configuration(const char *path, enum cfg_need need, struct cfg **ret_cfg,
                       struct pki **ret_pki, char **errors)
{
        struct cfg *c = NULL;
        struct pki *p = NULL;
        int r;

        r = load_settings(path, need, &c, errors);
        if (r < 0)
                return r;
        /* pki_load's messages already name FILE:LINE of the key concerned. */
        r = pki_load(&c->pki, &p, errors);
        if (r < 0) {
                cfg_free(c);
                return r;
        }
        *ret_cfg = c;
        *ret_pki = p;
        return 0;
}
