/*
 * pgfacts.c — version-dependent and catalog facts of PostgreSQL, as tables.
 */
#include "pgfacts.h"

#include <string.h>

/* The first major version with each fact (PostgreSQL release notes). */
static const int fact_since[PGFACT_COUNT] = {
	[PGFACT_FAST_DEFAULT] = 11,
	[PGFACT_ENUM_ADD_VALUE_IN_TRANSACTION] = 12,
	[PGFACT_REINDEX_CONCURRENTLY] = 12,
	[PGFACT_DETACH_CONCURRENTLY] = 14,
	[PGFACT_ATTACH_PARTITION_SHARE_UPDATE] = 12,
	[PGFACT_RENAME_INDEX_SHARE_UPDATE] = 12,
	[PGFACT_NOT_NULL_FROM_CHECK] = 12,
	[PGFACT_MERGE] = 15,
	[PGFACT_LOCK_VIEW_RECURSES] = 11,
};

/* True when the version is at least the one that introduced the fact. */
bool
pgfacts_has(int pg_version, PgFact fact)
{
	if (fact < 0 || fact >= PGFACT_COUNT)
		return false;
	return pg_version >= fact_since[fact];
}

/*
 * Functions commonly used in column defaults that are not volatile, so a
 * default calling them is evaluated once and stored (no rewrite, PG >= 11).
 * Anything not listed is treated as volatile.
 */
static const char *const nonvolatile_functions[] = {
	"now", "transaction_timestamp", "statement_timestamp", "current_timestamp",
	"current_date", "current_time", "localtimestamp", "localtime",
	"current_user", "current_role", "session_user", "current_schema", "current_database",
	"lower", "upper", "length", "coalesce", "nullif", "greatest", "least", "concat",
	"to_timestamp", "to_date", "to_char", "make_date", "make_timestamp", "make_interval",
	"jsonb_build_object", "json_build_object", "jsonb_build_array", "json_build_array",
	"array_fill", "abs", "round", "trim", "btrim", "replace", "format", "md5",
	NULL
};

/* Functions that are volatile for certain; listed so the intent is explicit. */
static const char *const volatile_functions[] = {
	"random", "nextval", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4",
	"clock_timestamp", "timeofday", "txid_current", "setseed", NULL
};

/* PostgreSQL's polymorphic pseudo-types (pg_type.h, IsPolymorphicType). */
static const char *const polymorphic_types[] = {
	"anyelement", "anyarray", "anynonarray", "anyenum", "anyrange", "anymultirange",
	"anycompatible", "anycompatiblearray", "anycompatiblenonarray", "anycompatiblerange",
	"anycompatiblemultirange", NULL
};

/* True when name is in the NULL-terminated list. */
static bool
name_in(const char *const *list, const char *name)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Unknown functions are volatile, as PostgreSQL assumes for user functions. */
bool
pgfacts_function_volatile(const char *fname)
{
	if (fname == NULL)
		return true;
	if (name_in(volatile_functions, fname))
		return true;
	return !name_in(nonvolatile_functions, fname);
}

bool
pgfacts_type_polymorphic(const char *type_name)
{
	return type_name && name_in(polymorphic_types, type_name);
}

typedef struct SequenceFunction {
	const char *name;
	LockMode mode;
} SequenceFunction;

/* Each opens the sequence with RowExclusiveLock (sequence.c, init_sequence). */
static const SequenceFunction sequence_functions[] = {
	{"nextval", LOCK_ROW_EXCLUSIVE},
	{"setval", LOCK_ROW_EXCLUSIVE},
	{"currval", LOCK_ROW_EXCLUSIVE},
	{NULL, LOCK_NONE}
};

/* The lock a sequence function takes on the sequence it names. */
LockMode
pgfacts_sequence_function_lock(const char *fname)
{
	for (int i = 0; fname && sequence_functions[i].name; i++)
		if (strcmp(sequence_functions[i].name, fname) == 0)
			return sequence_functions[i].mode;
	return LOCK_NONE;
}

/* How type modifiers decide whether a same-family change is free. */
typedef enum ModRule {
	MOD_IGNORED,        /* always binary-coercible */
	MOD_LENGTH,         /* free when the new length is absent or not smaller */
	MOD_NUMERIC,        /* free when unconstrained, or same scale and no smaller precision */
	MOD_PRECISION       /* free when the new precision is absent or not smaller */
} ModRule;

typedef struct TypeChange {
	const char *from;
	const char *to;
	ModRule rule;
} TypeChange;

/*
 * Changes PostgreSQL performs without rewriting (binary-coercible casts or a
 * typmod "support function" that proves the old values still fit).
 */
static const TypeChange free_type_changes[] = {
	{"varchar", "varchar", MOD_LENGTH},
	{"varchar", "text", MOD_IGNORED},
	{"text", "varchar", MOD_LENGTH},
	{"bpchar", "text", MOD_IGNORED},
	{"varbit", "varbit", MOD_LENGTH},
	{"bit", "varbit", MOD_LENGTH},
	{"numeric", "numeric", MOD_NUMERIC},
	{"timestamp", "timestamp", MOD_PRECISION},
	{"timestamptz", "timestamptz", MOD_PRECISION},
	{"time", "time", MOD_PRECISION},
	{"interval", "interval", MOD_PRECISION},
	{"cidr", "inet", MOD_IGNORED},
	{"xml", "text", MOD_IGNORED},
	{NULL, NULL, MOD_IGNORED}
};

/* Maps spellings that name the same type to one name. */
static const char *
canonical_type(const char *name)
{
	static const char *const aliases[][2] = {
		{"character varying", "varchar"}, {"character", "bpchar"}, {"char", "bpchar"},
		{"integer", "int4"}, {"int", "int4"}, {"smallint", "int2"}, {"bigint", "int8"},
		{"decimal", "numeric"}, {"bool", "boolean"}, {"timestamp without time zone", "timestamp"},
		{"timestamp with time zone", "timestamptz"}, {NULL, NULL}
	};

	for (int i = 0; aliases[i][0]; i++)
		if (strcmp(aliases[i][0], name) == 0)
			return aliases[i][1];
	return name;
}

/* True when the type modifiers make a same-family change free of a rewrite. */
static bool
mods_allow(ModRule rule, const CatType *from, const CatType *to)
{
	switch (rule) {
		case MOD_IGNORED:
			return true;
		case MOD_LENGTH:
		case MOD_PRECISION:
			if (to->nmods == 0)
				return true;
			if (from->nmods == 0)
				return false;
			return to->mods[0] >= from->mods[0];
		case MOD_NUMERIC:
			if (to->nmods == 0)
				return true;
			if (from->nmods == 0)
				return false;
			{
				int from_scale = from->nmods > 1 ? from->mods[1] : 0;
				int to_scale = to->nmods > 1 ? to->mods[1] : 0;

				return to_scale == from_scale && to->mods[0] >= from->mods[0];
			}
	}
	return false;
}

/* Same type and modifiers, or a listed free change: no rewrite; anything else rewrites. */
bool
pgfacts_type_change_rewrites(const CatType *from, const CatType *to)
{
	const char *f, *t;

	if (from == NULL || from->name == NULL || to == NULL || to->name == NULL)
		return true;
	f = canonical_type(from->name);
	t = canonical_type(to->name);
	if (from->array != to->array)
		return true;
	if (strcmp(f, t) == 0 && from->nmods == to->nmods &&
		(from->nmods < 1 || from->mods[0] == to->mods[0]) &&
		(from->nmods < 2 || from->mods[1] == to->mods[1]))
		return false;
	if (from->array)
		return true;
	for (int i = 0; free_type_changes[i].from; i++) {
		if (strcmp(free_type_changes[i].from, f) == 0 && strcmp(free_type_changes[i].to, t) == 0)
			return !mods_allow(free_type_changes[i].rule, from, to);
	}
	return true;
}

typedef struct RelOptionLock {
	const char *name;
	LockMode mode;
} RelOptionLock;

/* reloptions.c: the lockmode of each storage parameter (PostgreSQL 15). */
static const RelOptionLock reloption_locks[] = {
	{"fillfactor", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"autovacuum_enabled", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"toast_tuple_target", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"parallel_workers", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"vacuum_index_cleanup", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"vacuum_truncate", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"log_autovacuum_min_duration", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"autovacuum_", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"toast.", LOCK_SHARE_UPDATE_EXCLUSIVE},
	{"user_catalog_table", LOCK_ACCESS_EXCLUSIVE},
	{"security_barrier", LOCK_ACCESS_EXCLUSIVE},
	{"security_invoker", LOCK_ACCESS_EXCLUSIVE},
	{"check_option", LOCK_ACCESS_EXCLUSIVE},
	{NULL, LOCK_NONE}
};

/* Looks the parameter up in reloption_locks (entries ending in '_' or '.' are prefixes). */
LockMode
pgfacts_reloption_lock(const char *param)
{
	if (param == NULL)
		return LOCK_ACCESS_EXCLUSIVE;
	for (int i = 0; reloption_locks[i].name; i++) {
		const char *n = reloption_locks[i].name;
		size_t len = strlen(n);

		/* entries ending in '_' or '.' are prefixes (autovacuum_*, toast.*) */
		if ((n[len - 1] == '_' || n[len - 1] == '.') ? strncmp(n, param, len) == 0 : strcmp(n, param) == 0)
			return reloption_locks[i].mode;
	}
	return LOCK_ACCESS_EXCLUSIVE;
}

/* Maps serial pseudo-types to the integer type they create. */
const char *
pgfacts_serial_base(const char *type_name)
{
	static const char *const serials[][2] = {
		{"serial", "int4"}, {"serial4", "int4"}, {"bigserial", "int8"},
		{"serial8", "int8"}, {"smallserial", "int2"}, {"serial2", "int2"}, {NULL, NULL}
	};

	for (int i = 0; type_name && serials[i][0]; i++)
		if (strcmp(serials[i][0], type_name) == 0)
			return serials[i][1];
	return NULL;
}
