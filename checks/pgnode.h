/*
 * pgnode.h — small readers over libpg_query's JSON parse tree (cJSON).
 *
 * A node is an object with one key naming its type: {"RangeVar": {...}}.
 * Fields whose value is PostgreSQL's default (false, 0, empty) are absent
 * from the JSON, so every reader returns that default when a key is missing.
 */
#ifndef MIGSAFE_PGNODE_H
#define MIGSAFE_PGNODE_H

#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

/*
 * The member of an object named key, NULL when absent: what
 * cJSON_GetObjectItemCaseSensitive returns. The analysis reads the parse
 * tree by key millions of times over a large check, and most keys it
 * passes differ from their first byte, so it compares that byte before
 * calling strcmp.
 */
static inline const cJSON *
pgnode_get(const cJSON *obj, const char *key)
{
	if (obj == NULL || key == NULL)
		return NULL;
	for (const cJSON *c = obj->child; c; c = c->next)
		if (c->string && c->string[0] == key[0] && strcmp(c->string, key) == 0)
			return c;
	return NULL;
}

/* The type name of a node and its body; NULL when node is not a node. */
const char *pgnode_tag(const cJSON *node, const cJSON **body);

/* The body when node has type tag, else NULL. */
const cJSON *pgnode_as(const cJSON *node, const char *tag);

/* A string field of a body; NULL when absent. */
const char *pgnode_str(const cJSON *body, const char *key);

/* A boolean field of a body; false when absent. */
bool pgnode_bool(const cJSON *body, const char *key);

/* An integer field of a body; 0 when absent. */
int pgnode_int(const cJSON *body, const char *key);

/* An array field of a body; NULL when absent (iterate with cJSON_ArrayForEach). */
const cJSON *pgnode_list(const cJSON *body, const char *key);

/* The text of a {"String": {"sval": ...}} node; NULL for anything else. */
const char *pgnode_sval(const cJSON *node);

/* The text of an A_Const string, or of a TypeCast of one; NULL otherwise. */
const char *pgnode_const_str(const cJSON *node);

/* The integer of an A_Const integer; false when node is not one. */
bool pgnode_const_int(const cJSON *node, int *out);

/* The last String of a name list ("names", "funcname"); NULL when empty. */
const char *pgnode_last_name(const cJSON *list);

/* Number of items of a list (0 for NULL). */
int pgnode_list_len(const cJSON *list);

/* The i-th String of a name list; NULL when out of range. */
const char *pgnode_name_at(const cJSON *list, int i);

/* True when a DefElem option list (VACUUM, REINDEX, ...) names option `name`. */
bool pgnode_has_option(const cJSON *options, const char *name);

#endif
