/*
 * locktree.c — arranges lock waits into a tree: roots, then their waiters.
 */
#include "locktree.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Adjacency built once per locktree_build: who waits behind each node. */
typedef struct Graph {
	size_t n;
	size_t **waiters;        /* waiters[i]: indexes of the nodes blocked by node i */
	size_t *nwaiters;
	size_t **blockers;       /* blockers[i]: indexes of the nodes node i waits for */
	size_t *nblockers;
} Graph;

/* A (pid, index) pair, sorted by pid for bsearch. */
typedef struct PidIndex {
	int pid;
	size_t index;
} PidIndex;

TreeNode *
locktree_add(LockTree *t, int pid)
{
	TreeNode *n;

	array_reserve((void **) &t->items, &t->cap, t->count, sizeof(TreeNode));
	n = &t->items[t->count++];
	memset(n, 0, sizeof *n);
	n->b.pid = pid;
	n->b.xact_age_ms = -1;
	n->parent = -1;
	return n;
}

int
locktree_find(const LockTree *t, int pid)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->items[i].b.pid == pid)
			return (int) i;
	return -1;
}

static int
pid_index_cmp(const void *a, const void *b)
{
	const PidIndex *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Appends v to a growable size_t array whose length is *n. */
static void
push_index(size_t **arr, size_t *n, size_t v)
{
	*arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
	(*arr)[(*n)++] = v;
}

/* Resolves every blocked_by pid to a node index, both directions. */
static void
graph_build(const LockTree *t, Graph *g)
{
	PidIndex *idx = xcalloc(t->count ? t->count : 1, sizeof *idx);

	g->n = t->count;
	g->waiters = xcalloc(g->n ? g->n : 1, sizeof *g->waiters);
	g->nwaiters = xcalloc(g->n ? g->n : 1, sizeof *g->nwaiters);
	g->blockers = xcalloc(g->n ? g->n : 1, sizeof *g->blockers);
	g->nblockers = xcalloc(g->n ? g->n : 1, sizeof *g->nblockers);
	for (size_t i = 0; i < t->count; i++)
		idx[i] = (PidIndex) {t->items[i].b.pid, i};
	if (t->count > 1)
		qsort(idx, t->count, sizeof *idx, pid_index_cmp);
	for (size_t i = 0; i < t->count; i++) {
		const TreeNode *w = &t->items[i];

		for (size_t k = 0; k < w->nblocked_by; k++) {
			PidIndex key = {w->blocked_by[k], 0};
			PidIndex *hit = t->count ? bsearch(&key, idx, t->count, sizeof *idx, pid_index_cmp) : NULL;

			if (hit == NULL || hit->index == i)
				continue;
			push_index(&g->waiters[hit->index], &g->nwaiters[hit->index], i);
			push_index(&g->blockers[i], &g->nblockers[i], hit->index);
		}
	}
	free(idx);
}

static void
graph_free(Graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->waiters[i]);
		free(g->blockers[i]);
	}
	free(g->waiters);
	free(g->nwaiters);
	free(g->blockers);
	free(g->nblockers);
}

/*
 * Marks every node reachable from the marked ones, following waiters
 * (down) or blockers (up), through nodes of `within` only (NULL: all).
 * `mark` is updated in place.
 */
static void
graph_spread(const Graph *g, bool *mark, bool down, const bool *within)
{
	size_t *queue = xcalloc(g->n ? g->n : 1, sizeof *queue);
	size_t head = 0, tail = 0;

	for (size_t i = 0; i < g->n; i++)
		if (mark[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t u = queue[head++];
		size_t *next = down ? g->waiters[u] : g->blockers[u];
		size_t nnext = down ? g->nwaiters[u] : g->nblockers[u];

		for (size_t k = 0; k < nnext; k++) {
			if (!mark[next[k]] && (within == NULL || within[next[k]])) {
				mark[next[k]] = true;
				queue[tail++] = next[k];
			}
		}
	}
	free(queue);
}

/* How many nodes wait behind node i, directly or through others. */
static int
count_held_up(const Graph *g, size_t i)
{
	bool *mark = xcalloc(g->n, sizeof *mark);
	int n = 0;

	mark[i] = true;
	graph_spread(g, mark, true, NULL);
	for (size_t k = 0; k < g->n; k++)
		n += mark[k] && k != i;
	free(mark);
	return n;
}

/* Sort order of roots and siblings: oldest transaction first, then pid. */
static const LockTree *sort_tree;

static int
node_age_cmp(const void *a, const void *b)
{
	const TreeNode *x = &sort_tree->items[*(const size_t *) a];
	const TreeNode *y = &sort_tree->items[*(const size_t *) b];

	if (x->b.xact_age_ms != y->b.xact_age_ms)
		return x->b.xact_age_ms > y->b.xact_age_ms ? -1 : 1;
	return (x->b.pid > y->b.pid) - (x->b.pid < y->b.pid);
}

static void
sort_indexes(const LockTree *t, size_t *v, size_t n)
{
	sort_tree = t;
	if (n > 1)
		qsort(v, n, sizeof *v, node_age_cmp);
}

/*
 * Breadth-first from root over shown, unplaced nodes: each gets the level
 * and parent of its first discovery, the smallest level it can have.
 */
static void
place_from(LockTree *t, const Graph *g, size_t root, bool *placed)
{
	size_t *queue = xcalloc(g->n, sizeof *queue);
	size_t head = 0, tail = 0;

	placed[root] = true;
	t->items[root].level = 0;
	t->items[root].parent = -1;
	queue[tail++] = root;
	while (head < tail) {
		size_t u = queue[head++];
		size_t *next = xcalloc(g->nwaiters[u] ? g->nwaiters[u] : 1, sizeof *next);
		size_t nnext = 0;

		for (size_t k = 0; k < g->nwaiters[u]; k++)
			if (t->items[g->waiters[u][k]].shown && !placed[g->waiters[u][k]])
				next[nnext++] = g->waiters[u][k];
		sort_indexes(t, next, nnext);
		for (size_t k = 0; k < nnext; k++) {
			placed[next[k]] = true;
			t->items[next[k]].level = t->items[u].level + 1;
			t->items[next[k]].parent = t->items[u].b.pid;
			queue[tail++] = next[k];
		}
		free(next);
	}
	free(queue);
}

/* Appends node i and then, depth first, the nodes placed under it. */
static void
emit_subtree(LockTree *t, const Graph *g, size_t i)
{
	size_t *kids = xcalloc(g->nwaiters[i] ? g->nwaiters[i] : 1, sizeof *kids);
	size_t nkids = 0;

	t->order[t->norder++] = i;
	for (size_t k = 0; k < g->nwaiters[i]; k++) {
		const TreeNode *c = &t->items[g->waiters[i][k]];

		if (c->shown && c->parent == t->items[i].b.pid && c->level == t->items[i].level + 1)
			kids[nkids++] = g->waiters[i][k];
	}
	sort_indexes(t, kids, nkids);
	for (size_t k = 0; k < nkids; k++)
		emit_subtree(t, g, kids[k]);
	free(kids);
}

/* True when node i waits for a node that is shown. */
static bool
waits_on_shown(const LockTree *t, const Graph *g, size_t i)
{
	for (size_t k = 0; k < g->nblockers[i]; k++)
		if (t->items[g->blockers[i][k]].shown)
			return true;
	return false;
}

/*
 * Leaves out the shown roots flagged churn and the nodes that wait only
 * through them: a node stays when a root that is not churn reaches it, or
 * when no root does (a wait cycle). Sets t->hidden to how many went.
 */
static void
hide_churn(LockTree *t, const Graph *g)
{
	bool *shown = xcalloc(g->n ? g->n : 1, sizeof *shown);
	bool *kept = xcalloc(g->n ? g->n : 1, sizeof *kept);
	bool *dropped = xcalloc(g->n ? g->n : 1, sizeof *dropped);

	for (size_t i = 0; i < g->n; i++) {
		shown[i] = t->items[i].shown;
		if (shown[i] && !waits_on_shown(t, g, i))
			(t->items[i].churn ? dropped : kept)[i] = true;
	}
	graph_spread(g, kept, true, shown);
	graph_spread(g, dropped, true, shown);
	t->hidden = 0;
	for (size_t i = 0; i < g->n; i++) {
		if (dropped[i] && !kept[i]) {
			t->items[i].shown = false;
			t->hidden++;
		}
	}
	free(shown);
	free(kept);
	free(dropped);
}

void
locktree_build(LockTree *t, bool narrow)
{
	Graph g = {0};
	bool *placed;
	size_t *roots;
	size_t nroots = 0;

	graph_build(t, &g);
	free(t->order);
	t->order = xcalloc(t->count ? t->count : 1, sizeof *t->order);
	t->norder = 0;
	placed = xcalloc(t->count ? t->count : 1, sizeof *placed);
	roots = xcalloc(t->count ? t->count : 1, sizeof *roots);

	/* Which nodes are shown: all, or the conflicting ones and their chains. */
	if (narrow) {
		bool *up = xcalloc(t->count ? t->count : 1, sizeof *up);
		bool *down = xcalloc(t->count ? t->count : 1, sizeof *down);

		for (size_t i = 0; i < t->count; i++)
			up[i] = down[i] = t->items[i].conflicts;
		graph_spread(&g, up, false, NULL);
		graph_spread(&g, down, true, NULL);
		for (size_t i = 0; i < t->count; i++)
			t->items[i].shown = up[i] || down[i];
		free(up);
		free(down);
	} else {
		for (size_t i = 0; i < t->count; i++)
			t->items[i].shown = true;
	}

	hide_churn(t, &g);
	for (size_t i = 0; i < t->count; i++) {
		t->items[i].holds_up = count_held_up(&g, i);
		t->items[i].in_cycle = false;
		if (t->items[i].shown && !waits_on_shown(t, &g, i))
			roots[nroots++] = i;
	}
	sort_indexes(t, roots, nroots);
	for (size_t r = 0; r < nroots; r++)
		place_from(t, &g, roots[r], placed);

	/* What is left waits in a cycle: its oldest member becomes a root. */
	sort_tree = t;
	for (;;) {
		size_t best = t->count;

		for (size_t i = 0; i < t->count; i++) {
			if (!t->items[i].shown || placed[i])
				continue;
			if (best == t->count || node_age_cmp(&i, &best) < 0)
				best = i;
		}
		if (best == t->count)
			break;
		t->items[best].in_cycle = true;
		place_from(t, &g, best, placed);
		roots[nroots++] = best;
	}
	for (size_t r = 0; r < nroots; r++)
		emit_subtree(t, &g, roots[r]);

	free(roots);
	free(placed);
	graph_free(&g);
}

void
locktree_free(LockTree *t)
{
	for (size_t i = 0; i < t->count; i++) {
		blocker_clear(&t->items[i].b);
		free(t->items[i].wait_event_type);
		free(t->items[i].blocked_by);
	}
	free(t->items);
	free(t->order);
	memset(t, 0, sizeof *t);
}
