/*
 * pgnode.c — readers over libpg_query's JSON parse tree.
 */
#include "pgnode.h"

#include <string.h>

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

const cJSON *
pgnode_as(const cJSON *node, const char *tag)
{
	const cJSON *body;
	const char *t = pgnode_tag(node, &body);

	if (t == NULL || strcmp(t, tag) != 0)
		return NULL;
	return body;
}

const char *
pgnode_str(const cJSON *body, const char *key)
{
	const cJSON *v = body ? cJSON_GetObjectItemCaseSensitive(body, key) : NULL;

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool
pgnode_bool(const cJSON *body, const char *key)
{
	const cJSON *v = body ? cJSON_GetObjectItemCaseSensitive(body, key) : NULL;

	return cJSON_IsTrue(v);
}

int
pgnode_int(const cJSON *body, const char *key)
{
	const cJSON *v = body ? cJSON_GetObjectItemCaseSensitive(body, key) : NULL;

	return cJSON_IsNumber(v) ? v->valueint : 0;
}

const cJSON *
pgnode_list(const cJSON *body, const char *key)
{
	const cJSON *v = body ? cJSON_GetObjectItemCaseSensitive(body, key) : NULL;

	return cJSON_IsArray(v) ? v : NULL;
}

const char *
pgnode_sval(const cJSON *node)
{
	return pgnode_str(pgnode_as(node, "String"), "sval");
}

const char *
pgnode_const_str(const cJSON *node)
{
	const cJSON *body = pgnode_as(node, "TypeCast");
	const cJSON *sval;

	if (body)
		node = cJSON_GetObjectItemCaseSensitive(body, "arg");
	body = pgnode_as(node, "A_Const");
	sval = body ? cJSON_GetObjectItemCaseSensitive(body, "sval") : NULL;
	return pgnode_str(sval, "sval");
}

bool
pgnode_const_int(const cJSON *node, int *out)
{
	const cJSON *body = pgnode_as(node, "A_Const");
	const cJSON *ival = body ? cJSON_GetObjectItemCaseSensitive(body, "ival") : NULL;

	if (!cJSON_IsObject(ival))
		return false;
	*out = pgnode_int(ival, "ival");
	return true;
}

int
pgnode_list_len(const cJSON *list)
{
	return cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
}

const char *
pgnode_name_at(const cJSON *list, int i)
{
	if (!cJSON_IsArray(list) || i < 0 || i >= cJSON_GetArraySize(list))
		return NULL;
	return pgnode_sval(cJSON_GetArrayItem(list, i));
}

const char *
pgnode_last_name(const cJSON *list)
{
	return pgnode_name_at(list, pgnode_list_len(list) - 1);
}
