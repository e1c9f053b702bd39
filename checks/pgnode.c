/*
 * pgnode.c — readers over libpg_query's JSON parse tree.
 */
#include "pgnode.h"

#include <string.h>

/* A node is an object with exactly one key, its type. */
const char *
pgnode_tag(const cJSON *node, const cJSON **body)
{
	const cJSON *child;

	if (node == NULL || !cJSON_IsObject(node))
		return NULL;
	child = node->child;
	if (child == NULL || child->next != NULL || !cJSON_IsObject(child) || child->string == NULL)
		return NULL;
	if (body)
		*body = child;
	return child->string;
}

/* The body of a node of the given type. */
const cJSON *
pgnode_as(const cJSON *node, const char *tag)
{
	const cJSON *body;
	const char *t = pgnode_tag(node, &body);

	if (t == NULL || strcmp(t, tag) != 0)
		return NULL;
	return body;
}

/* A string field, NULL when absent. */
const char *
pgnode_str(const cJSON *body, const char *key)
{
	const cJSON *v = pgnode_get(body, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A boolean field; absent means false. */
bool
pgnode_bool(const cJSON *body, const char *key)
{
	const cJSON *v = pgnode_get(body, key);

	return cJSON_IsTrue(v);
}

/* An integer field; absent means 0. */
int
pgnode_int(const cJSON *body, const char *key)
{
	const cJSON *v = pgnode_get(body, key);

	return cJSON_IsNumber(v) ? v->valueint : 0;
}

/* An array field, NULL when absent. */
const cJSON *
pgnode_list(const cJSON *body, const char *key)
{
	const cJSON *v = pgnode_get(body, key);

	return cJSON_IsArray(v) ? v : NULL;
}

/* The text of a String node. */
const char *
pgnode_sval(const cJSON *node)
{
	return pgnode_str(pgnode_as(node, "String"), "sval");
}

/* The text of a string constant, also under a cast ('seq'::regclass). */
const char *
pgnode_const_str(const cJSON *node)
{
	const cJSON *body = pgnode_as(node, "TypeCast");
	const cJSON *sval;

	if (body)
		node = pgnode_get(body, "arg");
	body = pgnode_as(node, "A_Const");
	sval = pgnode_get(body, "sval");
	return pgnode_str(sval, "sval");
}

/* The value of an integer constant (0 is stored as an empty object). */
bool
pgnode_const_int(const cJSON *node, int *out)
{
	const cJSON *body = pgnode_as(node, "A_Const");
	const cJSON *ival = pgnode_get(body, "ival");

	if (!cJSON_IsObject(ival))
		return false;
	*out = pgnode_int(ival, "ival");
	return true;
}

/* Length of a list, 0 when absent. */
int
pgnode_list_len(const cJSON *list)
{
	return cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
}

/* Item i of a name list. */
const char *
pgnode_name_at(const cJSON *list, int i)
{
	if (!cJSON_IsArray(list) || i < 0 || i >= cJSON_GetArraySize(list))
		return NULL;
	return pgnode_sval(cJSON_GetArrayItem(list, i));
}

/* The last item of a name list (the object, without its schema). */
const char *
pgnode_last_name(const cJSON *list)
{
	return pgnode_name_at(list, pgnode_list_len(list) - 1);
}

bool
pgnode_has_option(const cJSON *options, const char *name)
{
	const cJSON *opt;

	cJSON_ArrayForEach(opt, options) {
		const char *defname = pgnode_str(pgnode_as(opt, "DefElem"), "defname");

		if (defname && strcmp(defname, name) == 0)
			return true;
	}
	return false;
}
