/* SPDX-License-Identifier: EUPL-1.2 */
/* libFuzzer target: any bytes as the [service] mailbox_list file of an
 * otherwise valid configuration, through load_settings(). Build and run with
 * `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "fuzzfile.h"
#include "load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char conf[128];
        char *list = fuzz_file("list", data, size);
        struct cfg *c = NULL;
        char *errors = NULL;

        if (!conf[0]) {
                FILE *f;

                snprintf(conf, sizeof(conf), "/dev/shm/smimewatch-fuzz-list-conf.%d",
                         (int)getpid());
                f = fopen(conf, "w");
                if (!f || fprintf(f, "[service]\nmailbox_list = %s\n\n[pki]\ntrust_anchors = "
                                     "tests/data/pkits/certs/TrustAnchorRootCertificate.crt\n\n"
                                     "[directory]\nuri = ldap://127.0.0.1\nbase = o=Test\n",
                                  list) < 0 || fclose(f) != 0)
                        abort();
        }
        if (load_settings(conf, CFG_NEED_DIRECTORY, &c, &errors) == 0)
                cfg_free(c);
        free(errors);
        unlink(list);
        return 0;
}
