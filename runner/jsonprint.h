/*
 * jsonprint.h — cJSON's formatted printing, at any depth of a document.
 */
#ifndef MIGSAFE_JSONPRINT_H
#define MIGSAFE_JSONPRINT_H

#include <cjson/cJSON.h>

#include "util.h"

/*
 * Appends item to sb byte for byte as cJSON_Print prints it where it sits
 * `depth` levels deep in a document (0: the document itself).
 */
void jsonprint_append(StrBuf *sb, const cJSON *item, int depth);

#endif
