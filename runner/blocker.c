/*
 * blocker.c — the blocker object shared by every report.
 */
#include "blocker.h"

#include <stdlib.h>
#include <string.h>

#include "sqlparse.h"
#include "util.h"

void
blocker_fill(Blocker *b, const PgResult *r, int row, bool redact)
{
	const char *query = pgresult_get(r, row, 12);

	b->pid = (int) pgresult_get_int(r, row, 0, 0);
	b->usename = pgresult_dup(r, row, 1);
	b->application_name = pgresult_dup(r, row, 2);
	b->client_addr = pgresult_dup(r, row, 3);
	b->backend_type = pgresult_dup(r, row, 4);
	b->state = pgresult_dup(r, row, 5);
	b->wait_event = pgresult_dup(r, row, 6);
	b->xact_age_ms = pgresult_get_int(r, row, 7, -1);
	b->state_age_ms = pgresult_get_int(r, row, 8, 0);
	b->mode = pgresult_dup(r, row, 9);
	b->granted = pgresult_get_bool(r, row, 10);
	b->relation = pgresult_dup(r, row, 11);
	b->query = query == NULL ? NULL : redact ? sqlparse_redact(query) : xstrdup(query);
}

Blocker *
blocker_list_add(BlockerList *l)
{
	array_reserve((void **) &l->items, &l->cap, l->count, sizeof(Blocker));
	memset(&l->items[l->count], 0, sizeof(Blocker));
	l->items[l->count].xact_age_ms = -1;
	return &l->items[l->count++];
}

void
blocker_clear(Blocker *b)
{
	free(b->usename);
	free(b->application_name);
	free(b->client_addr);
	free(b->backend_type);
	free(b->state);
	free(b->wait_event);
	free(b->mode);
	free(b->relation);
	free(b->query);
	memset(b, 0, sizeof *b);
	b->xact_age_ms = -1;
}

void
blocker_list_free(BlockerList *l)
{
	for (size_t i = 0; i < l->count; i++)
		blocker_clear(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

static void
add_string_or_null(cJSON *o, const char *key, const char *value)
{
	if (value)
		cJSON_AddStringToObject(o, key, value);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *
blocker_json(const Blocker *b)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "pid", b->pid);
	add_string_or_null(o, "state", b->state);
	cJSON_AddNumberToObject(o, "xact_age_ms", (double) b->xact_age_ms);
	cJSON_AddNumberToObject(o, "state_age_ms", (double) b->state_age_ms);
	cJSON_AddStringToObject(o, "application_name", b->application_name ? b->application_name : "");
	cJSON_AddStringToObject(o, "usename", b->usename ? b->usename : "");
	cJSON_AddStringToObject(o, "client_addr", b->client_addr ? b->client_addr : "");
	add_string_or_null(o, "mode", b->mode);
	cJSON_AddBoolToObject(o, "granted", b->granted);
	add_string_or_null(o, "relation", b->relation);
	cJSON_AddStringToObject(o, "query", b->query ? b->query : "");
	add_string_or_null(o, "wait_event", b->wait_event);
	add_string_or_null(o, "backend_type", b->backend_type);
	return o;
}

cJSON *
blocker_list_json(const BlockerList *l)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < l->count; i++)
		cJSON_AddItemToArray(arr, blocker_json(&l->items[i]));
	return arr;
}

char *
blocker_describe(const Blocker *b)
{
	int64_t age = b->xact_age_ms >= 0 ? b->xact_age_ms / 1000 : 0;

	return xasprintf("pid %d (%s %02lld:%02lld:%02lld, app=%s, user=%s, %s %s%s%s)", b->pid,
					 b->state ? b->state : "?", (long long) (age / 3600),
					 (long long) (age / 60 % 60), (long long) (age % 60),
					 b->application_name && b->application_name[0] ? b->application_name : "-",
					 b->usename ? b->usename : "-", b->granted ? "holds" : "waits for",
					 b->mode ? b->mode : "a lock",
					 b->relation ? " on " : " on its transaction",   /* virtualxid/xid waits */
					 b->relation ? b->relation : "");
}
