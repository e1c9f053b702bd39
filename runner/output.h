/*
 * output.h — where reports go: stdout, or a file written atomically.
 */
#ifndef MIGSAFE_OUTPUT_H
#define MIGSAFE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes data to path atomically (a temp file in the same directory, fsync,
 * rename), or to stdout when path is NULL or "-". False (logged) on failure;
 * a failed write never leaves a partial file at path.
 */
bool output_write(const char *path, const char *data, size_t len);

#endif
