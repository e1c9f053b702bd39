/*
 * output.h — where reports go: stdout, or a file written atomically.
 */
#ifndef MIGSAFE_OUTPUT_H
#define MIGSAFE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/* A report being written: to stdout, or to a temp file renamed into place at the end. */
typedef struct OutputFile OutputFile;

/*
 * Starts writing to path (stdout when path is NULL or "-"): a file is
 * written to a temp file in the same directory. NULL (logged) when the temp
 * file cannot be created.
 */
OutputFile *output_open(const char *path);

/* Appends data; false (logged) on a write error. */
bool output_append(OutputFile *f, const char *data, size_t len);

/*
 * Finishes the output and frees f: fsync and rename the temp file into
 * place (or flush stdout). False (logged) on failure; a failed write never
 * leaves a partial file at path.
 */
bool output_commit(OutputFile *f);

/* Gives up on the output and frees f: the temp file is removed, path untouched. */
void output_discard(OutputFile *f);

/* output_open, output_append and output_commit in one call. */
bool output_write(const char *path, const char *data, size_t len);

#endif
