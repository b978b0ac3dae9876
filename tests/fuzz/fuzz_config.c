/* SPDX-License-Identifier: EUPL-1.2 */
/* libFuzzer target: any bytes as a configuration file through load_settings()
 * (and the error messages it builds). Build and run with `make fuzz`. */
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
        char *path = fuzz_file("config", data, size);
        struct cfg *c = NULL;
        char *errors = NULL;

        if (load_settings(path, CFG_NEED_DIRECTORY, &c, &errors) == 0)
                cfg_free(c);
        free(errors);
        unlink(path);
        return 0;
}
