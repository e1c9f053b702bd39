/*
 * catalog.c — what earlier statements told the analysis about objects.
 */
#include "catalog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An empty catalog. */
Catalog *
catalog_new(void)
{
	return xcalloc(1, sizeof(Catalog));
}

/* Deep copy of a type. */
void
cattype_copy(CatType *dst, const CatType *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name ? src->name : "");
}

/* Releases a type's name. */
void
cattype_free(CatType *t)
{
	free(t->name);
	t->name = NULL;
}

/* Releases one relation with its columns. */
static void
relation_free(CatRelation *rel)
{
	for (size_t i = 0; i < rel->ncols; i++) {
		free(rel->cols[i].name);
		free(rel->cols[i].sequence);
		cattype_free(&rel->cols[i].type);
	}
	free(rel->cols);
	free(rel->name);
	free(rel->table);
	free(rel->parent);
	free(rel->tablespace);
	free(rel->access_method);
	strlist_free(&rel->reads);
	strlist_free(&rel->pkey);
	free(rel);
}

/* Releases one foreign key. */
static void
fk_free(CatForeignKey *fk)
{
	free(fk->name);
	free(fk->table);
	free(fk->ref_table);
	strlist_free(&fk->cols);
	strlist_free(&fk->ref_cols);
	free(fk);
}

/* Releases one CHECK (col IS NOT NULL) entry. */
static void
check_free(CatNotNullCheck *c)
{
	free(c->table);
	free(c->name);
	free(c->column);
	free(c);
}

static void catalog_trigger_drop_all(Catalog *cat);

/* Releases the catalog and everything in it. */
void
catalog_free(Catalog *cat)
{
	if (cat == NULL)
		return;
	for (size_t i = 0; i < cat->nrels; i++)
		relation_free(cat->rels[i]);
	for (size_t i = 0; i < cat->nfks; i++)
		fk_free(cat->fks[i]);
	for (size_t i = 0; i < cat->nchecks; i++)
		check_free(cat->checks[i]);
	free(cat->rels);
	free(cat->by_name);
	free(cat->fks);
	free(cat->checks);
	for (size_t i = 0; i < cat->ndomains; i++) {
		free(cat->domains[i]->name);
		cattype_free(&cat->domains[i]->base);
		free(cat->domains[i]);
	}
	free(cat->domains);
	catalog_trigger_drop_all(cat);
	free(cat);
}

/* FNV-1a: a simple, well-spread hash of a relation name. */
static size_t
name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return (size_t) h;
}

/* The index slot holding name, or the empty slot where it would go. */
static size_t
index_slot(const Catalog *cat, const char *name)
{
	size_t mask = cat->by_name_cap - 1, i = name_hash(name) & mask;

	while (cat->by_name[i] && strcmp(cat->by_name[i]->name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

static void index_insert(Catalog *cat, CatRelation *rel);

/* Doubles the index (or creates it) and re-inserts every relation. */
static void
index_grow(Catalog *cat)
{
	free(cat->by_name);
	cat->by_name_cap = cat->by_name_cap ? cat->by_name_cap * 2 : 64;
	cat->by_name = xcalloc(cat->by_name_cap, sizeof(CatRelation *));
	for (size_t i = 0; i < cat->nrels; i++)
		index_insert(cat, cat->rels[i]);
}

/* Indexes rel by its name; the array is kept at most half full. */
static void
index_insert(Catalog *cat, CatRelation *rel)
{
	if (2 * (cat->nrels + 1) > cat->by_name_cap) {
		index_grow(cat);            /* re-inserts everything already in rels */
		if (catalog_find(cat, rel->name) == rel)
			return;
	}
	cat->by_name[index_slot(cat, rel->name)] = rel;
}

/*
 * Removes name from the index, shifting back the entries of its probe run
 * so that lookups never stop early at the hole (no tombstones needed).
 */
static void
index_remove(Catalog *cat, const char *name)
{
	size_t mask = cat->by_name_cap - 1, hole, i;

	if (cat->by_name_cap == 0)
		return;
	hole = index_slot(cat, name);
	if (cat->by_name[hole] == NULL)
		return;
	cat->by_name[hole] = NULL;
	for (i = (hole + 1) & mask; cat->by_name[i]; i = (i + 1) & mask) {
		size_t home = name_hash(cat->by_name[i]->name) & mask;

		/* move the entry into the hole unless its home lies cyclically in (hole, i] */
		if ((i > hole && (home <= hole || home > i)) || (i < hole && home <= hole && home > i)) {
			cat->by_name[hole] = cat->by_name[i];
			cat->by_name[i] = NULL;
			hole = i;
		}
	}
}

/* Lookup by qualified name through the hash index. */
CatRelation *
catalog_find(const Catalog *cat, const char *name)
{
	if (cat->by_name_cap == 0)
		return NULL;
	return cat->by_name[index_slot(cat, name)];
}

/* Removes entry i of the relation array, keeping the order. */
static void
catalog_remove_at(Catalog *cat, size_t i)
{
	CatRelation *gone = cat->rels[i];

	if (catalog_find(cat, gone->name) == gone)
		index_remove(cat, gone->name);
	memmove(&cat->rels[i], &cat->rels[i + 1], (cat->nrels - i - 1) * sizeof(CatRelation *));
	cat->nrels--;
	/* a namesake left by a rename onto this name becomes the one found */
	if (cat->namesakes && catalog_find(cat, gone->name) == NULL) {
		for (size_t k = 0; k < cat->nrels; k++) {
			if (strcmp(cat->rels[k]->name, gone->name) == 0) {
				cat->by_name[index_slot(cat, gone->name)] = cat->rels[k];
				break;
			}
		}
	}
	relation_free(gone);
}

/* Adds a relation, replacing one of the same name (CREATE OR REPLACE, re-creation). */
CatRelation *
catalog_add(Catalog *cat, const char *name, CatKind kind)
{
	CatRelation *rel;

	for (size_t i = 0; catalog_find(cat, name) && i < cat->nrels; i++) {
		if (strcmp(cat->rels[i]->name, name) == 0) {
			catalog_remove_at(cat, i);
			break;
		}
	}
	rel = xcalloc(1, sizeof *rel);
	rel->name = xstrdup(name);
	rel->kind = kind;
	index_insert(cat, rel);
	array_reserve((void **) &cat->rels, &cat->rels_cap, cat->nrels, sizeof(CatRelation *));
	cat->rels[cat->nrels++] = rel;
	return rel;
}

/* Removes a relation and its dependents, as DROP does. */
void
catalog_drop(Catalog *cat, const char *name)
{
	char *victim = xstrdup(name);
	StrList dependents = {0};
	CatRelation *rel;
	size_t i;

	/* what hangs off the relation goes first, recursively */
	for (i = 0; i < cat->nrels; i++) {
		CatRelation *r = cat->rels[i];

		if ((r->table && strcmp(r->table, victim) == 0 && (r->kind == CAT_INDEX || r->kind == CAT_SEQUENCE)) ||
			(r->parent && strcmp(r->parent, victim) == 0 && r->kind != CAT_VIEW))
			strlist_add(&dependents, r->name);
	}
	for (i = 0; i < dependents.count; i++)
		catalog_drop(cat, dependents.items[i]);
	strlist_free(&dependents);
	for (i = 0; i < cat->nfks;) {
		if (strcmp(cat->fks[i]->table, victim) == 0 || strcmp(cat->fks[i]->ref_table, victim) == 0) {
			fk_free(cat->fks[i]);
			memmove(&cat->fks[i], &cat->fks[i + 1], (cat->nfks - i - 1) * sizeof(CatForeignKey *));
			cat->nfks--;
			continue;
		}
		i++;
	}
	for (i = 0; i < cat->nchecks;) {
		if (strcmp(cat->checks[i]->table, victim) == 0) {
			check_free(cat->checks[i]);
			memmove(&cat->checks[i], &cat->checks[i + 1], (cat->nchecks - i - 1) * sizeof(CatNotNullCheck *));
			cat->nchecks--;
			continue;
		}
		i++;
	}
	catalog_trigger_drop(cat, NULL, victim);
	rel = catalog_find(cat, victim);
	for (i = 0; rel && i < cat->nrels; i++) {
		if (cat->rels[i] == rel) {
			catalog_remove_at(cat, i);
			break;
		}
	}
	free(victim);
}

/* Replaces *field by new_name when it equals old_name. */
static void
rename_field(char **field, const char *old_name, const char *new_name)
{
	if (*field && strcmp(*field, old_name) == 0) {
		free(*field);
		*field = xstrdup(new_name);
	}
}

/* Renames a relation and every reference to it. */
void
catalog_rename(Catalog *cat, const char *old_name, const char *new_name)
{
	char *old_copy = xstrdup(old_name);

	for (size_t i = 0; i < cat->nrels; i++) {
		CatRelation *r = cat->rels[i];

		if (strcmp(r->name, old_copy) == 0) {
			size_t slot;

			index_remove(cat, r->name);
			rename_field(&r->name, old_copy, new_name);
			/* renamed onto a name already there (PostgreSQL would refuse): the older one stays found */
			slot = index_slot(cat, r->name);
			if (cat->by_name[slot] == NULL)
				cat->by_name[slot] = r;
			else
				cat->namesakes = true;
		}
		rename_field(&r->table, old_copy, new_name);
		rename_field(&r->parent, old_copy, new_name);
		for (size_t j = 0; j < r->reads.count; j++)
			rename_field(&r->reads.items[j], old_copy, new_name);
	}
	for (size_t i = 0; i < cat->nfks; i++) {
		rename_field(&cat->fks[i]->table, old_copy, new_name);
		rename_field(&cat->fks[i]->ref_table, old_copy, new_name);
	}
	for (size_t i = 0; i < cat->nchecks; i++)
		rename_field(&cat->checks[i]->table, old_copy, new_name);
	for (size_t i = 0; i < cat->ntriggers; i++)
		rename_field(&cat->triggers[i]->table, old_copy, new_name);
	free(old_copy);
}

/* True when rel's qualified name is in schema. */
bool
catalog_in_schema(const CatRelation *rel, const char *schema)
{
	size_t n = strlen(schema);

	return strncmp(rel->name, schema, n) == 0 && rel->name[n] == '.';
}

/* A column of rel by name, or NULL. */
CatColumn *
catalog_column_find(const CatRelation *rel, const char *column)
{
	if (rel == NULL || column == NULL)
		return NULL;
	for (size_t i = 0; i < rel->ncols; i++)
		if (strcmp(rel->cols[i].name, column) == 0)
			return &rel->cols[i];
	return NULL;
}

/* Adds or retypes a column. */
CatColumn *
catalog_column_add(CatRelation *rel, const char *column, const CatType *type)
{
	CatColumn *c = catalog_column_find(rel, column);

	if (c == NULL) {
		array_reserve((void **) &rel->cols, &rel->cols_cap, rel->ncols, sizeof(CatColumn));
		c = &rel->cols[rel->ncols++];
		/* the slot may hold a stale copy of a dropped column's pointers */
		memset(c, 0, sizeof *c);
		c->name = xstrdup(column);
	} else {
		cattype_free(&c->type);
	}
	cattype_copy(&c->type, type);
	return c;
}

/* Removes a column, keeping the order of the others. */
void
catalog_column_drop(CatRelation *rel, const char *column)
{
	for (size_t i = 0; i < rel->ncols; i++) {
		if (strcmp(rel->cols[i].name, column) == 0) {
			free(rel->cols[i].name);
			free(rel->cols[i].sequence);
			cattype_free(&rel->cols[i].type);
			memmove(&rel->cols[i], &rel->cols[i + 1], (rel->ncols - i - 1) * sizeof(CatColumn));
			rel->ncols--;
			return;
		}
	}
}

/* Adds a foreign key; the caller fills its column lists. */
CatForeignKey *
catalog_fk_add(Catalog *cat, const char *name, const char *table, const char *ref_table,
			   char upd_action, char del_action)
{
	CatForeignKey *fk = xcalloc(1, sizeof *fk);

	fk->name = name ? xstrdup(name) : NULL;
	fk->table = xstrdup(table);
	fk->ref_table = xstrdup(ref_table);
	fk->upd_action = upd_action ? upd_action : 'a';
	fk->del_action = del_action ? del_action : 'a';
	fk->valid = true;
	array_reserve((void **) &cat->fks, &cat->fks_cap, cat->nfks, sizeof(CatForeignKey *));
	cat->fks[cat->nfks++] = fk;
	return fk;
}

/* A named foreign key of table, or NULL. */
CatForeignKey *
catalog_fk_find(const Catalog *cat, const char *table, const char *name)
{
	for (size_t i = 0; i < cat->nfks; i++) {
		CatForeignKey *fk = cat->fks[i];

		if (fk->name && strcmp(fk->name, name) == 0 && strcmp(fk->table, table) == 0)
			return fk;
	}
	return NULL;
}

/* Removes a named foreign key of table. */
bool
catalog_fk_drop(Catalog *cat, const char *table, const char *name)
{
	for (size_t i = 0; i < cat->nfks; i++) {
		CatForeignKey *fk = cat->fks[i];

		if (fk->name && strcmp(fk->name, name) == 0 && strcmp(fk->table, table) == 0) {
			fk_free(fk);
			memmove(&cat->fks[i], &cat->fks[i + 1], (cat->nfks - i - 1) * sizeof(CatForeignKey *));
			cat->nfks--;
			return true;
		}
	}
	return false;
}

/* Removes fk from the foreign keys, keeping the order of the others. */
void
catalog_fk_forget(Catalog *cat, CatForeignKey *fk)
{
	for (size_t i = 0; i < cat->nfks; i++) {
		if (cat->fks[i] == fk) {
			fk_free(fk);
			memmove(&cat->fks[i], &cat->fks[i + 1], (cat->nfks - i - 1) * sizeof(CatForeignKey *));
			cat->nfks--;
			return;
		}
	}
}

/* Removes the checks of table matching name (NULL: any) and column (NULL: any). */
static void
checks_remove(Catalog *cat, const char *table, const char *name, const char *column)
{
	for (size_t i = 0; i < cat->nchecks;) {
		CatNotNullCheck *c = cat->checks[i];

		if (strcmp(c->table, table) == 0 && (name == NULL || strcmp(c->name, name) == 0) &&
			(column == NULL || strcmp(c->column, column) == 0)) {
			check_free(c);
			memmove(&cat->checks[i], &cat->checks[i + 1], (cat->nchecks - i - 1) * sizeof(CatNotNullCheck *));
			cat->nchecks--;
			continue;
		}
		i++;
	}
}

/* Forgets a dropped CHECK (col IS NOT NULL). */
void
catalog_check_drop(Catalog *cat, const char *table, const char *name)
{
	if (name)
		checks_remove(cat, table, name, NULL);
}

/* Forgets a dropped column, its primary key, the indexes on it and its NOT NULL checks. */
void
catalog_column_forget(Catalog *cat, const char *table, const char *column)
{
	CatRelation *rel = catalog_find(cat, table);

	for (size_t i = 0; i < cat->nrels;) {
		CatRelation *idx = cat->rels[i];

		if (idx->kind == CAT_INDEX && idx->table && strcmp(idx->table, table) == 0 &&
			catalog_column_find(idx, column)) {
			catalog_drop(cat, idx->name);
			i = 0;
			continue;
		}
		i++;
	}

	if (rel) {
		if (strlist_contains(&rel->pkey, column))
			strlist_free(&rel->pkey);
		catalog_column_drop(rel, column);
	}
	checks_remove(cat, table, NULL, column);
}

/* Renames a constraint (and the index behind it) or a trigger of table. */
void
catalog_subobject_rename(Catalog *cat, const char *table, const char *old_name, const char *new_name)
{
	const char *dot = strchr(table, '.');
	char *old_copy = xstrdup(old_name);
	char *old_index = xasprintf("%.*s.%s", dot ? (int) (dot - table) : 0, table, old_copy);
	CatRelation *idx = catalog_find(cat, old_index);

	for (size_t i = 0; i < cat->nfks; i++)
		if (strcmp(cat->fks[i]->table, table) == 0)
			rename_field(&cat->fks[i]->name, old_copy, new_name);
	for (size_t i = 0; i < cat->nchecks; i++)
		if (strcmp(cat->checks[i]->table, table) == 0)
			rename_field(&cat->checks[i]->name, old_copy, new_name);
	for (size_t i = 0; i < cat->ntriggers; i++)
		if (strcmp(cat->triggers[i]->table, table) == 0)
			rename_field(&cat->triggers[i]->name, old_copy, new_name);
	if (idx && idx->kind == CAT_INDEX && idx->table && strcmp(idx->table, table) == 0) {
		char *new_index = xasprintf("%.*s.%s", dot ? (int) (dot - table) : 0, table, new_name);

		catalog_rename(cat, old_index, new_index);
		free(new_index);
	}
	free(old_index);
	free(old_copy);
}

/* Records a named CHECK (col IS NOT NULL). */
CatNotNullCheck *
catalog_check_add(Catalog *cat, const char *table, const char *name, const char *column, bool valid)
{
	CatNotNullCheck *c = xcalloc(1, sizeof *c);

	c->table = xstrdup(table);
	c->name = xstrdup(name ? name : "");
	c->column = xstrdup(column);
	c->valid = valid;
	array_reserve((void **) &cat->checks, &cat->checks_cap, cat->nchecks, sizeof(CatNotNullCheck *));
	cat->checks[cat->nchecks++] = c;
	return c;
}

/* A named CHECK (col IS NOT NULL) of table, or NULL. */
CatNotNullCheck *
catalog_check_find(const Catalog *cat, const char *table, const char *name)
{
	for (size_t i = 0; i < cat->nchecks; i++)
		if (strcmp(cat->checks[i]->table, table) == 0 && strcmp(cat->checks[i]->name, name) == 0)
			return cat->checks[i];
	return NULL;
}

/* True when a validated CHECK proves column is never NULL. */
bool
catalog_has_notnull_check(const Catalog *cat, const char *table, const char *column)
{
	for (size_t i = 0; i < cat->nchecks; i++) {
		CatNotNullCheck *c = cat->checks[i];

		if (c->valid && strcmp(c->table, table) == 0 && strcmp(c->column, column) == 0)
			return true;
	}
	return false;
}

/* A domain by name, or NULL. */
CatDomain *
catalog_domain_find(const Catalog *cat, const char *name)
{
	for (size_t i = 0; name && i < cat->ndomains; i++)
		if (strcmp(cat->domains[i]->name, name) == 0)
			return cat->domains[i];
	return NULL;
}

/* Records a domain; CREATE DOMAIN of an existing name replaces its facts. */
CatDomain *
catalog_domain_add(Catalog *cat, const char *name, const CatType *base)
{
	CatDomain *d = catalog_domain_find(cat, name);

	if (d) {
		cattype_free(&d->base);
	} else {
		d = xcalloc(1, sizeof *d);
		d->name = xstrdup(name);
		array_reserve((void **) &cat->domains, &cat->domains_cap, cat->ndomains, sizeof(CatDomain *));
		cat->domains[cat->ndomains++] = d;
	}
	cattype_copy(&d->base, base);
	d->constrained = false;
	return d;
}

/* Replaces old_name by new_name in a list of column names. */
static void
rename_in_list(StrList *l, const char *old_name, const char *new_name)
{
	for (size_t i = 0; i < l->count; i++)
		rename_field(&l->items[i], old_name, new_name);
}

/* RENAME COLUMN: every place the catalog names the column follows. */
void
catalog_column_rename(Catalog *cat, const char *table, const char *column, const char *new_name)
{
	CatRelation *rel = catalog_find(cat, table);
	CatColumn *col = catalog_column_find(rel, column);
	char *old_name = xstrdup(column);

	if (col)
		rename_field(&col->name, old_name, new_name);
	if (rel)
		rename_in_list(&rel->pkey, old_name, new_name);
	for (size_t i = 0; i < cat->nrels; i++) {
		CatRelation *idx = cat->rels[i];
		CatColumn *key = idx->kind == CAT_INDEX && idx->table && strcmp(idx->table, table) == 0 ?
			catalog_column_find(idx, old_name) : NULL;

		if (key)
			rename_field(&key->name, old_name, new_name);
	}
	for (size_t i = 0; i < cat->nfks; i++) {
		if (strcmp(cat->fks[i]->table, table) == 0)
			rename_in_list(&cat->fks[i]->cols, old_name, new_name);
		if (strcmp(cat->fks[i]->ref_table, table) == 0)
			rename_in_list(&cat->fks[i]->ref_cols, old_name, new_name);
	}
	for (size_t i = 0; i < cat->nchecks; i++)
		if (strcmp(cat->checks[i]->table, table) == 0)
			rename_field(&cat->checks[i]->column, old_name, new_name);
	free(old_name);
}

/* Records which table a trigger is on and which function it runs. */
void
catalog_trigger_add(Catalog *cat, const char *name, const char *table, const char *function)
{
	CatTrigger *t = xcalloc(1, sizeof *t);

	t->name = xstrdup(name ? name : "");
	t->table = xstrdup(table);
	t->function = xstrdup(function ? function : "");
	array_reserve((void **) &cat->triggers, &cat->triggers_cap, cat->ntriggers, sizeof(CatTrigger *));
	cat->triggers[cat->ntriggers++] = t;
}

/* Removes the matching triggers, keeping the order of the others. */
void
catalog_trigger_drop(Catalog *cat, const char *name, const char *table)
{
	for (size_t i = 0; i < cat->ntriggers;) {
		CatTrigger *t = cat->triggers[i];

		if (strcmp(t->table, table) == 0 && (name == NULL || strcmp(t->name, name) == 0)) {
			free(t->name);
			free(t->table);
			free(t->function);
			free(t);
			memmove(&cat->triggers[i], &cat->triggers[i + 1], (cat->ntriggers - i - 1) * sizeof(CatTrigger *));
			cat->ntriggers--;
			continue;
		}
		i++;
	}
}

/* Releases every trigger (catalog_free). */
static void
catalog_trigger_drop_all(Catalog *cat)
{
	for (size_t i = 0; i < cat->ntriggers; i++) {
		free(cat->triggers[i]->name);
		free(cat->triggers[i]->table);
		free(cat->triggers[i]->function);
		free(cat->triggers[i]);
	}
	free(cat->triggers);
	cat->triggers = NULL;
	cat->ntriggers = cat->triggers_cap = 0;
}
