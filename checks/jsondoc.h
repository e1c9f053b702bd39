/*
 * jsondoc.h — a read-only JSON document whose cJSON nodes live in one arena.
 *
 * libpg_query gives parse trees as JSON. A tree has a node per value, is
 * read by the analysis and the rules, then dropped whole: parsing it with
 * cJSON_Parse (three mallocs per node) and freeing it with cJSON_Delete (as
 * many frees) was about a quarter of check's time over a big corpus. Here
 * the nodes and strings are carved out of a few large blocks, and freeing
 * the document frees the blocks. The nodes are ordinary cJSON nodes for
 * every cJSON reader (cJSON_GetObjectItem, cJSON_ArrayForEach...); they
 * must not be modified, detached or passed to cJSON_Delete.
 */
#ifndef MIGSAFE_JSONDOC_H
#define MIGSAFE_JSONDOC_H

#include <cjson/cJSON.h>

typedef struct JsonDoc JsonDoc;

/*
 * Parses text as cJSON_Parse would (same node types, values, nesting limit);
 * NULL when it is not valid JSON.
 */
JsonDoc *jsondoc_parse(const char *text);

/* The document's top-level value. */
const cJSON *jsondoc_root(const JsonDoc *doc);

/* Frees the document and every node in it. */
void jsondoc_free(JsonDoc *doc);

#endif
