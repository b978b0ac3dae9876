/* SPDX-License-Identifier: EUPL-1.2 */
#include "load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki.h"

int load_configuration(const char *path, enum cfg_need need, struct cfg **ret_cfg,
                       struct pki **ret_pki, char **errors)
{
        struct cfg *c = NULL;
        struct pki *p = NULL;
        int r;

        *errors = NULL;
        r = cfg_load(path, need, &c, errors);
        if (r < 0) {
                if ((!*errors || !**errors) && asprintf(errors, "%s: %s", path, strerror(-r)) < 0)
                        *errors = NULL;
                return r;
        }
        free(*errors);
        *errors = NULL;
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
