/*
 * catalog.c — what earlier statements told the analysis about objects.
 */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

/* An empty catalog. */
Catalog *
catalog_new(void)
{
	return xcalloc(1, sizeof(Catalog));
}

void
catalog_function_add(Catalog *cat, const char *name)
{
	strset_add(&cat->functions, name);
}

bool
catalog_function_exists(const Catalog *cat, const char *name)
{
	return strset_contains(&cat->functions, name);
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
static void names_free(Catalog *cat);

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
	names_free(cat);
	strset_free(&cat->functions);
	free(cat);
}

/* What refers to a name: one list per kind of reference. */
typedef enum RefKind {
	REF_NAMED = 0,      /* relations called the name (more than one: namesakes) */
	REF_DEPS,           /* relations whose table or parent is the name */
	REF_FKS,            /* foreign keys whose table or ref_table is the name */
	REF_CHECKS,         /* NOT NULL checks on the name */
	REF_TRIGGERS,       /* triggers on the name */
	REF_KINDS
} RefKind;

/* One object referring to a name, with its creation number. */
typedef struct CatRef {
	size_t seq;
	void *obj;
} CatRef;

/* Objects referring to a name, oldest first: the order of the catalog's arrays. */
typedef struct CatRefs {
	CatRef *items;
	size_t count;
	size_t cap;
} CatRefs;

/* Everything that refers to one name. */
typedef struct CatName {
	char *name;
	CatRefs refs[REF_KINDS];
} CatName;

/* The slot of names (cap of them) holding name, or the empty slot where it would go. */
static size_t
names_slot(CatName *const *names, size_t cap, const char *name)
{
	size_t mask = cap - 1, i = str_hash(name) & mask;

	while (names[i] && strcmp(names[i]->name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Doubles the name table (or creates it), moving every entry over. */
static void
names_grow(Catalog *cat)
{
	size_t cap = cat->names_cap ? cat->names_cap * 2 : 64;
	CatName **names = xcalloc(cap, sizeof(CatName *));

	for (size_t i = 0; i < cat->names_cap; i++)
		if (cat->names[i])
			names[names_slot(names, cap, cat->names[i]->name)] = cat->names[i];
	free(cat->names);
	cat->names = names;
	cat->names_cap = cap;
}

/* What refers to name, or NULL when nothing ever did. */
static CatName *
name_find(const Catalog *cat, const char *name)
{
	if (cat->names_cap == 0)
		return NULL;
	return cat->names[names_slot(cat->names, cat->names_cap, name)];
}

/* The entry of name, made empty when missing; the table is kept at most half full. */
static CatName *
name_entry(Catalog *cat, const char *name)
{
	CatName *e = name_find(cat, name);

	if (e)
		return e;
	if (2 * (cat->nnames + 1) > cat->names_cap)
		names_grow(cat);
	e = xcalloc(1, sizeof *e);
	e->name = xstrdup(name);
	cat->names[names_slot(cat->names, cat->names_cap, name)] = e;
	cat->nnames++;
	return e;
}

/* Releases the name table (catalog_free). */
static void
names_free(Catalog *cat)
{
	for (size_t i = 0; i < cat->names_cap; i++) {
		if (cat->names[i] == NULL)
			continue;
		for (int k = 0; k < REF_KINDS; k++)
			free(cat->names[i]->refs[k].items);
		free(cat->names[i]->name);
		free(cat->names[i]);
	}
	free(cat->names);
}

/* Records that obj (created seq-th) refers to name, keeping the list in creation order. */
static void
ref_add(Catalog *cat, const char *name, RefKind kind, size_t seq, void *obj)
{
	CatRefs *l = &name_entry(cat, name)->refs[kind];
	size_t i = l->count;

	array_reserve((void **) &l->items, &l->cap, l->count, sizeof(CatRef));
	while (i > 0 && l->items[i - 1].seq > seq)
		i--;
	memmove(&l->items[i + 1], &l->items[i], (l->count - i) * sizeof(CatRef));
	l->items[i].seq = seq;
	l->items[i].obj = obj;
	l->count++;
}

/* Forgets that obj refers to name (nothing when it does not). */
static void
ref_remove(Catalog *cat, const char *name, RefKind kind, const void *obj)
{
	CatName *e = name_find(cat, name);
	CatRefs *l = e ? &e->refs[kind] : NULL;

	for (size_t i = 0; l && i < l->count; i++) {
		if (l->items[i].obj == obj) {
			memmove(&l->items[i], &l->items[i + 1], (l->count - i - 1) * sizeof(CatRef));
			l->count--;
			return;
		}
	}
}

/* The objects referring to name, oldest first (an empty list when none). */
static const CatRefs *
refs_of(const Catalog *cat, const char *name, RefKind kind)
{
	static const CatRefs none;
	CatName *e = name_find(cat, name);

	return e ? &e->refs[kind] : &none;
}

/*
 * A copy of the objects referring to name, oldest first, to walk while the
 * catalog changes; *n gets their number. The caller frees it.
 */
static void **
refs_copy(const Catalog *cat, const char *name, RefKind kind, size_t *n)
{
	const CatRefs *l = refs_of(cat, name, kind);
	void **objs = xcalloc(l->count + 1, sizeof(void *));

	for (size_t i = 0; i < l->count; i++)
		objs[i] = l->items[i].obj;
	*n = l->count;
	return objs;
}

/* Records rel under its table and its parent (once when they are the same). */
static void
deps_link(Catalog *cat, CatRelation *rel)
{
	if (rel->table)
		ref_add(cat, rel->table, REF_DEPS, rel->seq, rel);
	if (rel->parent && !(rel->table && strcmp(rel->parent, rel->table) == 0))
		ref_add(cat, rel->parent, REF_DEPS, rel->seq, rel);
}

/* Forgets rel under its table and its parent, before either changes. */
static void
deps_unlink(Catalog *cat, CatRelation *rel)
{
	if (rel->table)
		ref_remove(cat, rel->table, REF_DEPS, rel);
	if (rel->parent)
		ref_remove(cat, rel->parent, REF_DEPS, rel);
}

/* Records fk under its table and the table it references (once when the same). */
static void
fk_link(Catalog *cat, CatForeignKey *fk)
{
	ref_add(cat, fk->table, REF_FKS, fk->seq, fk);
	if (strcmp(fk->ref_table, fk->table) != 0)
		ref_add(cat, fk->ref_table, REF_FKS, fk->seq, fk);
}

/* Forgets fk under both its tables, before either changes. */
static void
fk_unlink(Catalog *cat, CatForeignKey *fk)
{
	ref_remove(cat, fk->table, REF_FKS, fk);
	ref_remove(cat, fk->ref_table, REF_FKS, fk);
}

/* The index slot holding name, or the empty slot where it would go. */
static size_t
index_slot(const Catalog *cat, const char *name)
{
	size_t mask = cat->by_name_cap - 1, i = str_hash(name) & mask;

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
		size_t home = str_hash(cat->by_name[i]->name) & mask;

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

/* The position of rel in the relation array, which is in creation order. */
static size_t
rel_position(const Catalog *cat, const CatRelation *rel)
{
	size_t lo = 0, hi = cat->nrels;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cat->rels[mid]->seq < rel->seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Removes entry i of the relation array, keeping the order. */
static void
catalog_remove_at(Catalog *cat, size_t i)
{
	CatRelation *gone = cat->rels[i];
	const CatRefs *namesakes;

	if (catalog_find(cat, gone->name) == gone)
		index_remove(cat, gone->name);
	memmove(&cat->rels[i], &cat->rels[i + 1], (cat->nrels - i - 1) * sizeof(CatRelation *));
	cat->nrels--;
	ref_remove(cat, gone->name, REF_NAMED, gone);
	deps_unlink(cat, gone);
	/* a namesake left by a rename onto this name becomes the one found: the oldest */
	namesakes = refs_of(cat, gone->name, REF_NAMED);
	if (cat->namesakes && catalog_find(cat, gone->name) == NULL && namesakes->count > 0)
		cat->by_name[index_slot(cat, gone->name)] = namesakes->items[0].obj;
	relation_free(gone);
}

/* Adds a relation, replacing one of the same name (CREATE OR REPLACE, re-creation). */
CatRelation *
catalog_add(Catalog *cat, const char *name, CatKind kind)
{
	CatRelation *rel;

	/* the oldest of that name goes (with namesakes not necessarily the one found) */
	if (catalog_find(cat, name))
		catalog_remove_at(cat, rel_position(cat, refs_of(cat, name, REF_NAMED)->items[0].obj));
	rel = xcalloc(1, sizeof *rel);
	rel->name = xstrdup(name);
	rel->seq = cat->next_seq++;
	rel->kind = kind;
	index_insert(cat, rel);
	array_reserve((void **) &cat->rels, &cat->rels_cap, cat->nrels, sizeof(CatRelation *));
	cat->rels[cat->nrels++] = rel;
	ref_add(cat, rel->name, REF_NAMED, rel->seq, rel);
	return rel;
}

/* The relations whose table or parent is name, oldest first, NULL-terminated (free it). */
CatRelation **
catalog_dependents(const Catalog *cat, const char *name)
{
	const CatRefs *l = refs_of(cat, name, REF_DEPS);
	CatRelation **rels = xcalloc(l->count + 1, sizeof(CatRelation *));

	for (size_t i = 0; i < l->count; i++)
		rels[i] = l->items[i].obj;
	return rels;
}

/* Sets the table of an index or sequence, keeping the record of what refers to it. */
void
catalog_set_table(Catalog *cat, CatRelation *rel, const char *table)
{
	char *copy = table ? xstrdup(table) : NULL;

	deps_unlink(cat, rel);
	free(rel->table);
	rel->table = copy;
	deps_link(cat, rel);
}

/* Sets the parent of a partition or child, keeping the record of what refers to it. */
void
catalog_set_parent(Catalog *cat, CatRelation *rel, const char *parent)
{
	char *copy = parent ? xstrdup(parent) : NULL;

	deps_unlink(cat, rel);
	free(rel->parent);
	rel->parent = copy;
	deps_link(cat, rel);
}

static void check_forget(Catalog *cat, CatNotNullCheck *c);

/* Removes a relation and its dependents, as DROP does. */
void
catalog_drop(Catalog *cat, const char *name)
{
	char *victim = xstrdup(name);
	const CatRefs *deps = refs_of(cat, victim, REF_DEPS);
	StrList dependents = {0};
	CatRelation *rel;
	void **objs;
	size_t i, n;

	/* what hangs off the relation goes first, recursively, oldest first */
	for (i = 0; i < deps->count; i++) {
		CatRelation *r = deps->items[i].obj;

		if ((r->table && strcmp(r->table, victim) == 0 && (r->kind == CAT_INDEX || r->kind == CAT_SEQUENCE)) ||
			(r->parent && strcmp(r->parent, victim) == 0 && r->kind != CAT_VIEW))
			strlist_add(&dependents, r->name);
	}
	for (i = 0; i < dependents.count; i++)
		catalog_drop(cat, dependents.items[i]);
	strlist_free(&dependents);
	objs = refs_copy(cat, victim, REF_FKS, &n);
	for (i = 0; i < n; i++)
		catalog_fk_forget(cat, objs[i]);
	free(objs);
	objs = refs_copy(cat, victim, REF_CHECKS, &n);
	for (i = 0; i < n; i++)
		check_forget(cat, objs[i]);
	free(objs);
	catalog_trigger_drop(cat, NULL, victim);
	rel = catalog_find(cat, victim);
	if (rel)
		catalog_remove_at(cat, rel_position(cat, rel));
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

/*
 * Renames relation r, called old_name, to new_name. Renamed onto a name
 * already there (PostgreSQL would refuse): the older one stays found.
 */
static void
rename_relation(Catalog *cat, CatRelation *r, const char *old_name, const char *new_name)
{
	size_t slot;

	index_remove(cat, r->name);
	ref_remove(cat, r->name, REF_NAMED, r);
	rename_field(&r->name, old_name, new_name);
	ref_add(cat, r->name, REF_NAMED, r->seq, r);
	slot = index_slot(cat, r->name);
	if (cat->by_name[slot] == NULL)
		cat->by_name[slot] = r;
	else
		cat->namesakes = true;
}

/* The relations whose table or parent is old_name take new_name there. */
static void
rename_in_deps(Catalog *cat, const char *old_name, const char *new_name)
{
	size_t n;
	void **objs = refs_copy(cat, old_name, REF_DEPS, &n);

	for (size_t i = 0; i < n; i++) {
		CatRelation *r = objs[i];

		deps_unlink(cat, r);
		rename_field(&r->table, old_name, new_name);
		rename_field(&r->parent, old_name, new_name);
		deps_link(cat, r);
	}
	free(objs);
}

/* The foreign keys, checks and triggers on old_name follow it to new_name. */
static void
rename_in_constraints(Catalog *cat, const char *old_name, const char *new_name)
{
	size_t n;
	void **objs = refs_copy(cat, old_name, REF_FKS, &n);

	for (size_t i = 0; i < n; i++) {
		CatForeignKey *fk = objs[i];

		fk_unlink(cat, fk);
		rename_field(&fk->table, old_name, new_name);
		rename_field(&fk->ref_table, old_name, new_name);
		fk_link(cat, fk);
	}
	free(objs);
	objs = refs_copy(cat, old_name, REF_CHECKS, &n);
	for (size_t i = 0; i < n; i++) {
		CatNotNullCheck *c = objs[i];

		ref_remove(cat, c->table, REF_CHECKS, c);
		rename_field(&c->table, old_name, new_name);
		ref_add(cat, c->table, REF_CHECKS, c->seq, c);
	}
	free(objs);
	objs = refs_copy(cat, old_name, REF_TRIGGERS, &n);
	for (size_t i = 0; i < n; i++) {
		CatTrigger *t = objs[i];

		ref_remove(cat, t->table, REF_TRIGGERS, t);
		rename_field(&t->table, old_name, new_name);
		ref_add(cat, t->table, REF_TRIGGERS, t->seq, t);
	}
	free(objs);
}

/* Renames a relation and every reference to it. */
void
catalog_rename(Catalog *cat, const char *old_name, const char *new_name)
{
	char *old_copy = xstrdup(old_name);
	size_t n;
	void **named = refs_copy(cat, old_copy, REF_NAMED, &n);

	for (size_t i = 0; i < n; i++)
		rename_relation(cat, named[i], old_copy, new_name);
	free(named);
	rename_in_deps(cat, old_copy, new_name);
	/* what views read is not recorded by name: look at every relation */
	for (size_t i = 0; i < cat->nrels; i++) {
		CatRelation *r = cat->rels[i];

		for (size_t j = 0; j < r->reads.count; j++)
			rename_field(&r->reads.items[j], old_copy, new_name);
	}
	rename_in_constraints(cat, old_copy, new_name);
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
	fk->seq = cat->next_seq++;
	array_reserve((void **) &cat->fks, &cat->fks_cap, cat->nfks, sizeof(CatForeignKey *));
	cat->fks[cat->nfks++] = fk;
	fk_link(cat, fk);
	return fk;
}

/* A named foreign key of table, or NULL. */
CatForeignKey *
catalog_fk_find(const Catalog *cat, const char *table, const char *name)
{
	const CatRefs *fks = refs_of(cat, table, REF_FKS);

	for (size_t i = 0; i < fks->count; i++) {
		CatForeignKey *fk = fks->items[i].obj;

		if (fk->name && strcmp(fk->name, name) == 0 && strcmp(fk->table, table) == 0)
			return fk;
	}
	return NULL;
}

/* Removes a named foreign key of table. */
bool
catalog_fk_drop(Catalog *cat, const char *table, const char *name)
{
	CatForeignKey *fk = catalog_fk_find(cat, table, name);

	if (fk)
		catalog_fk_forget(cat, fk);
	return fk != NULL;
}

/* qsort order of references: by creation. */
static int
ref_cmp(const void *a, const void *b)
{
	size_t x = ((const CatRef *) a)->seq, y = ((const CatRef *) b)->seq;

	return x < y ? -1 : x > y;
}

/* The foreign keys from or to any of tables, each once, oldest first, NULL-terminated (free it). */
CatForeignKey **
catalog_fks_on(const Catalog *cat, const char *const *tables, size_t count)
{
	CatRef *all = NULL;
	size_t n = 0, cap = 0, kept = 0;
	CatForeignKey **fks;

	for (size_t t = 0; t < count; t++) {
		const CatRefs *l = refs_of(cat, tables[t], REF_FKS);

		for (size_t i = 0; i < l->count; i++) {
			array_reserve((void **) &all, &cap, n, sizeof(CatRef));
			all[n++] = l->items[i];
		}
	}
	if (count > 1 && n > 1)
		qsort(all, n, sizeof(CatRef), ref_cmp);
	fks = xcalloc(n + 1, sizeof(CatForeignKey *));
	for (size_t i = 0; i < n; i++)
		if (i == 0 || all[i].seq != all[i - 1].seq)
			fks[kept++] = all[i].obj;
	free(all);
	return fks;
}

/* Removes fk from the foreign keys, keeping the order of the others. */
void
catalog_fk_forget(Catalog *cat, CatForeignKey *fk)
{
	for (size_t i = 0; i < cat->nfks; i++) {
		if (cat->fks[i] == fk) {
			fk_unlink(cat, fk);
			fk_free(fk);
			memmove(&cat->fks[i], &cat->fks[i + 1], (cat->nfks - i - 1) * sizeof(CatForeignKey *));
			cat->nfks--;
			return;
		}
	}
}

/* Removes c from the checks, keeping the order of the others, and frees it. */
static void
check_forget(Catalog *cat, CatNotNullCheck *c)
{
	for (size_t i = 0; i < cat->nchecks; i++) {
		if (cat->checks[i] == c) {
			ref_remove(cat, c->table, REF_CHECKS, c);
			check_free(c);
			memmove(&cat->checks[i], &cat->checks[i + 1], (cat->nchecks - i - 1) * sizeof(CatNotNullCheck *));
			cat->nchecks--;
			return;
		}
	}
}

/* Removes the checks of table matching name (NULL: any) and column (NULL: any). */
static void
checks_remove(Catalog *cat, const char *table, const char *name, const char *column)
{
	size_t n;
	void **objs = refs_copy(cat, table, REF_CHECKS, &n);

	for (size_t i = 0; i < n; i++) {
		CatNotNullCheck *c = objs[i];

		if ((name == NULL || strcmp(c->name, name) == 0) && (column == NULL || strcmp(c->column, column) == 0))
			check_forget(cat, c);
	}
	free(objs);
}

/* Forgets a dropped CHECK (col IS NOT NULL). */
void
catalog_check_drop(Catalog *cat, const char *table, const char *name)
{
	if (name)
		checks_remove(cat, table, name, NULL);
}

/* The oldest index of table whose key columns include column, or NULL. */
static CatRelation *
index_with_column(const Catalog *cat, const char *table, const char *column)
{
	const CatRefs *deps = refs_of(cat, table, REF_DEPS);

	for (size_t i = 0; i < deps->count; i++) {
		CatRelation *idx = deps->items[i].obj;

		if (idx->kind == CAT_INDEX && idx->table && strcmp(idx->table, table) == 0 &&
			catalog_column_find(idx, column))
			return idx;
	}
	return NULL;
}

/* Forgets a dropped column, its primary key, the indexes on it and its NOT NULL checks. */
void
catalog_column_forget(Catalog *cat, const char *table, const char *column)
{
	CatRelation *rel = catalog_find(cat, table);
	CatRelation *idx;

	while ((idx = index_with_column(cat, table, column)) != NULL)
		catalog_drop(cat, idx->name);

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
	const CatRefs *fks = refs_of(cat, table, REF_FKS);
	const CatRefs *checks = refs_of(cat, table, REF_CHECKS);
	const CatRefs *triggers = refs_of(cat, table, REF_TRIGGERS);

	for (size_t i = 0; i < fks->count; i++) {
		CatForeignKey *fk = fks->items[i].obj;

		if (strcmp(fk->table, table) == 0)
			rename_field(&fk->name, old_copy, new_name);
	}
	for (size_t i = 0; i < checks->count; i++)
		rename_field(&((CatNotNullCheck *) checks->items[i].obj)->name, old_copy, new_name);
	for (size_t i = 0; i < triggers->count; i++)
		rename_field(&((CatTrigger *) triggers->items[i].obj)->name, old_copy, new_name);
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
	c->seq = cat->next_seq++;
	array_reserve((void **) &cat->checks, &cat->checks_cap, cat->nchecks, sizeof(CatNotNullCheck *));
	cat->checks[cat->nchecks++] = c;
	ref_add(cat, c->table, REF_CHECKS, c->seq, c);
	return c;
}

/* A named CHECK (col IS NOT NULL) of table, or NULL. */
CatNotNullCheck *
catalog_check_find(const Catalog *cat, const char *table, const char *name)
{
	const CatRefs *checks = refs_of(cat, table, REF_CHECKS);

	for (size_t i = 0; i < checks->count; i++) {
		CatNotNullCheck *c = checks->items[i].obj;

		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* True when a validated CHECK proves column is never NULL. */
bool
catalog_has_notnull_check(const Catalog *cat, const char *table, const char *column)
{
	const CatRefs *checks = refs_of(cat, table, REF_CHECKS);

	for (size_t i = 0; i < checks->count; i++) {
		CatNotNullCheck *c = checks->items[i].obj;

		if (c->valid && strcmp(c->column, column) == 0)
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
	const CatRefs *deps = refs_of(cat, table, REF_DEPS);
	const CatRefs *fks = refs_of(cat, table, REF_FKS);
	const CatRefs *checks = refs_of(cat, table, REF_CHECKS);

	if (col)
		rename_field(&col->name, old_name, new_name);
	if (rel)
		rename_in_list(&rel->pkey, old_name, new_name);
	for (size_t i = 0; i < deps->count; i++) {
		CatRelation *idx = deps->items[i].obj;
		CatColumn *key = idx->kind == CAT_INDEX && idx->table && strcmp(idx->table, table) == 0 ?
			catalog_column_find(idx, old_name) : NULL;

		if (key)
			rename_field(&key->name, old_name, new_name);
	}
	for (size_t i = 0; i < fks->count; i++) {
		CatForeignKey *fk = fks->items[i].obj;

		if (strcmp(fk->table, table) == 0)
			rename_in_list(&fk->cols, old_name, new_name);
		if (strcmp(fk->ref_table, table) == 0)
			rename_in_list(&fk->ref_cols, old_name, new_name);
	}
	for (size_t i = 0; i < checks->count; i++)
		rename_field(&((CatNotNullCheck *) checks->items[i].obj)->column, old_name, new_name);
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
	t->seq = cat->next_seq++;
	array_reserve((void **) &cat->triggers, &cat->triggers_cap, cat->ntriggers, sizeof(CatTrigger *));
	cat->triggers[cat->ntriggers++] = t;
	ref_add(cat, t->table, REF_TRIGGERS, t->seq, t);
}

/* Removes t from the triggers, keeping the order of the others, and frees it. */
static void
trigger_forget(Catalog *cat, CatTrigger *t)
{
	for (size_t i = 0; i < cat->ntriggers; i++) {
		if (cat->triggers[i] == t) {
			ref_remove(cat, t->table, REF_TRIGGERS, t);
			free(t->name);
			free(t->table);
			free(t->function);
			free(t);
			memmove(&cat->triggers[i], &cat->triggers[i + 1], (cat->ntriggers - i - 1) * sizeof(CatTrigger *));
			cat->ntriggers--;
			return;
		}
	}
}

/* Removes the matching triggers, keeping the order of the others. */
void
catalog_trigger_drop(Catalog *cat, const char *name, const char *table)
{
	size_t n;
	void **objs = refs_copy(cat, table, REF_TRIGGERS, &n);

	for (size_t i = 0; i < n; i++) {
		CatTrigger *t = objs[i];

		if (name == NULL || strcmp(t->name, name) == 0)
			trigger_forget(cat, t);
	}
	free(objs);
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
