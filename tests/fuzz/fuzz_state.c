/* SPDX-License-Identifier: EUPL-1.2 */
/* libFuzzer target: any bytes as the alert state file through
 * state_load(), and what loads saved and loaded again (the service
 * rewrites what it read). Build and run with `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fuzzfile.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *path = fuzz_file("state", data, size);
        struct state *s = NULL, *again = NULL;
        char *err = NULL;

        if (state_load(path, &s, &err) == 0) {
                if (state_save(s, path, 1700000000) == 0) {
                        free(err);
                        err = NULL;
                        if (state_load(path, &again, &err) != 0)
                                abort();        /* what we wrote must load */
                        state_free(again);
                }
                state_free(s);
        }
        free(err);
        unlink(path);
        return 0;
}
