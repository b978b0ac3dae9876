/* SPDX-License-Identifier: EUPL-1.2 */
/* For the libFuzzer targets whose parser reads a file: the input as a
 * file in /dev/shm (memory, so that millions of runs stay fast), one
 * name per target and process. New targets of file parsers (fetched
 * CRLs, OCSP responses) use the same. */
#ifndef SMIMEWATCH_FUZZFILE_H
#define SMIMEWATCH_FUZZFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes data to /dev/shm/smimewatch-fuzz-TAG.PID and returns that path
 * (static storage, the same each call); aborts when it cannot. */
static inline char *fuzz_file(const char *tag, const void *data, size_t size)
{
        static char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "/dev/shm/smimewatch-fuzz-%s.%d", tag, (int)getpid());
        f = fopen(path, "wb");
        if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
                abort();
        return path;
}

#endif
