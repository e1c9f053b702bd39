/*
 * lockmode.c — the lock conflict matrix as a table of facts.
 */
#include "lockmode.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define BIT(m) (1u << (m))

/*
 * conflict_mask[m] has a bit set for every mode that conflicts with m.
 * Mirrors the documentation's "Conflicting Lock Modes" table row by row.
 */
static const unsigned conflict_mask[LOCKMODE_COUNT] = {
	[LOCK_NONE] = 0,
	[LOCK_ACCESS_SHARE] = BIT(LOCK_ACCESS_EXCLUSIVE),
	[LOCK_ROW_SHARE] = BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE),
	[LOCK_ROW_EXCLUSIVE] = BIT(LOCK_SHARE) | BIT(LOCK_SHARE_ROW_EXCLUSIVE) |
		BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE),
	[LOCK_SHARE_UPDATE_EXCLUSIVE] = BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) |
		BIT(LOCK_SHARE) | BIT(LOCK_SHARE_ROW_EXCLUSIVE) |
		BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE),
	[LOCK_SHARE] = BIT(LOCK_ROW_EXCLUSIVE) | BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) |
		BIT(LOCK_SHARE_ROW_EXCLUSIVE) | BIT(LOCK_EXCLUSIVE) |
		BIT(LOCK_ACCESS_EXCLUSIVE),
	[LOCK_SHARE_ROW_EXCLUSIVE] = BIT(LOCK_ROW_EXCLUSIVE) |
		BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) | BIT(LOCK_SHARE) |
		BIT(LOCK_SHARE_ROW_EXCLUSIVE) | BIT(LOCK_EXCLUSIVE) |
		BIT(LOCK_ACCESS_EXCLUSIVE),
	[LOCK_EXCLUSIVE] = BIT(LOCK_ROW_SHARE) | BIT(LOCK_ROW_EXCLUSIVE) |
		BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) | BIT(LOCK_SHARE) |
		BIT(LOCK_SHARE_ROW_EXCLUSIVE) | BIT(LOCK_EXCLUSIVE) |
		BIT(LOCK_ACCESS_EXCLUSIVE),
	[LOCK_ACCESS_EXCLUSIVE] = BIT(LOCK_ACCESS_SHARE) | BIT(LOCK_ROW_SHARE) |
		BIT(LOCK_ROW_EXCLUSIVE) | BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) |
		BIT(LOCK_SHARE) | BIT(LOCK_SHARE_ROW_EXCLUSIVE) |
		BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE),
};

typedef struct LockModeFacts {
	const char *name;      /* pg_locks spelling */
	const char *sql_name;  /* LOCK TABLE spelling */
	const char *blocks;    /* what the application notices */
	const char *taken_by;  /* typical statements */
} LockModeFacts;

static const LockModeFacts facts[LOCKMODE_COUNT] = {
	[LOCK_NONE] = {"NoLock", "NONE", "nothing", "nothing"},
	[LOCK_ACCESS_SHARE] = {"AccessShareLock", "ACCESS SHARE", "DDL that rewrites or drops the table",
		"SELECT"},
	[LOCK_ROW_SHARE] = {"RowShareLock", "ROW SHARE", "EXCLUSIVE and ACCESS EXCLUSIVE locks",
		"SELECT FOR UPDATE/SHARE"},
	[LOCK_ROW_EXCLUSIVE] = {"RowExclusiveLock", "ROW EXCLUSIVE",
		"index builds and DDL", "INSERT, UPDATE, DELETE, MERGE, COPY FROM"},
	[LOCK_SHARE_UPDATE_EXCLUSIVE] = {"ShareUpdateExclusiveLock", "SHARE UPDATE EXCLUSIVE",
		"DDL, VACUUM and other schema changes (not reads or writes)",
		"VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT"},
	[LOCK_SHARE] = {"ShareLock", "SHARE", "writes and DDL", "CREATE INDEX"},
	[LOCK_SHARE_ROW_EXCLUSIVE] = {"ShareRowExclusiveLock", "SHARE ROW EXCLUSIVE",
		"writes and DDL", "CREATE TRIGGER, ADD FOREIGN KEY"},
	[LOCK_EXCLUSIVE] = {"ExclusiveLock", "EXCLUSIVE",
		"writes, row locks and DDL (plain reads continue)", "REFRESH MATERIALIZED VIEW CONCURRENTLY"},
	[LOCK_ACCESS_EXCLUSIVE] = {"AccessExclusiveLock", "ACCESS EXCLUSIVE",
		"reads, writes and DDL", "ALTER TABLE, DROP TABLE, TRUNCATE, VACUUM FULL"},
};

/* Looks the pair up in the conflict mask. */
bool
lockmode_conflicts(LockMode a, LockMode b)
{
	if (a <= LOCK_NONE || a >= LOCKMODE_COUNT || b <= LOCK_NONE || b >= LOCKMODE_COUNT)
		return false;
	return (conflict_mask[a] & BIT(b)) != 0;
}

/*
 * Strength follows the numbering: each mode conflicts with a superset of what
 * the weaker ones conflict with, except RowExclusive vs ShareUpdateExclusive
 * vs Share which PostgreSQL also orders by number; that order is what
 * "strongest lock on a relation" means in pg_locks as well.
 */
LockMode
lockmode_strongest(LockMode a, LockMode b)
{
	return a >= b ? a : b;
}

/* pg_locks spelling of a mode. */
const char *
lockmode_name(LockMode m)
{
	if (m < LOCK_NONE || m >= LOCKMODE_COUNT)
		return "NoLock";
	return facts[m].name;
}

/* LOCK TABLE spelling of a mode. */
const char *
lockmode_sql_name(LockMode m)
{
	if (m < LOCK_NONE || m >= LOCKMODE_COUNT)
		return "NONE";
	return facts[m].sql_name;
}

/* What the application notices while the mode is held. */
const char *
lockmode_blocks(LockMode m)
{
	if (m < LOCK_NONE || m >= LOCKMODE_COUNT)
		return "nothing";
	return facts[m].blocks;
}

/* Typical statements taking the mode. */
const char *
lockmode_taken_by(LockMode m)
{
	if (m < LOCK_NONE || m >= LOCKMODE_COUNT)
		return "nothing";
	return facts[m].taken_by;
}

typedef struct StatementClassFacts {
	const char *name;
	LockMode mode;
} StatementClassFacts;

static const StatementClassFacts class_facts[STMT_CLASS_COUNT] = {
	[STMT_CLASS_SELECT] = {"SELECT", LOCK_ACCESS_SHARE},
	[STMT_CLASS_DML] = {"INSERT / UPDATE / DELETE", LOCK_ROW_EXCLUSIVE},
	[STMT_CLASS_MAINTENANCE] = {"CREATE INDEX CONCURRENTLY / VACUUM", LOCK_SHARE_UPDATE_EXCLUSIVE},
	[STMT_CLASS_CREATE_INDEX] = {"CREATE INDEX", LOCK_SHARE},
	[STMT_CLASS_CREATE_TRIGGER] = {"CREATE TRIGGER", LOCK_SHARE_ROW_EXCLUSIVE},
	[STMT_CLASS_ALTER] = {"ALTER TABLE / DROP", LOCK_ACCESS_EXCLUSIVE},
};

/* The statements of a class, in words. */
const char *
lockmode_class_name(StatementClass c)
{
	if (c < 0 || c >= STMT_CLASS_COUNT)
		return "unknown";
	return class_facts[c].name;
}

/* The lock a class takes on its table. */
LockMode
lockmode_class_mode(StatementClass c)
{
	if (c < 0 || c >= STMT_CLASS_COUNT)
		return LOCK_NONE;
	return class_facts[c].mode;
}

/* Two classes run together when their modes do not conflict. */
bool
lockmode_class_concurrent(StatementClass a, StatementClass b)
{
	return !lockmode_conflicts(lockmode_class_mode(a), lockmode_class_mode(b));
}

/* Lower-cases and drops spaces, underscores and a trailing "lock". */
static void
normalize_name(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *in && n + 1 < outsz; in++) {
		if (*in == ' ' || *in == '_' || *in == '-')
			continue;
		out[n++] = (char) tolower((unsigned char) *in);
	}
	out[n] = '\0';
	if (n > 4 && strcmp(out + n - 4, "lock") == 0)
		out[n - 4] = '\0';
}

/* Compares normalised spellings against each mode's pg_locks name. */
LockMode
lockmode_parse(const char *name)
{
	char want[64], have[64];

	if (name == NULL)
		return LOCK_NONE;
	normalize_name(name, want, sizeof want);
	for (int m = LOCK_ACCESS_SHARE; m < LOCKMODE_COUNT; m++) {
		normalize_name(facts[m].name, have, sizeof have);
		if (strcmp(want, have) == 0)
			return (LockMode) m;
	}
	return LOCK_NONE;
}
