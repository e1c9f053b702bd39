/*
 * config.h — migsafe.json: project settings applied to Options before the
 * command line, which overrides them.
 */
#ifndef MIGSAFE_CONFIG_H
#define MIGSAFE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* The file looked for in the current directory when --config is not given. */
#define CONFIG_DEFAULT_FILE "migsafe.json"

/*
 * Reads the configuration text (name is used in messages) into opts. Unknown
 * keys, unknown rule ids and invalid values are errors: logged, false.
 */
bool config_apply_text(Options *opts, const char *text, size_t len, const char *name);

/*
 * Applies the file at path, or ./migsafe.json when path is NULL and that
 * file exists (no file is fine then). False (logged) when the file cannot
 * be read or is not valid.
 */
bool config_apply_file(Options *opts, const char *path);

#endif
