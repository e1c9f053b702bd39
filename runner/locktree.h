/*
 * locktree.h — the lock tree: sessions that wait for locks and the sessions
 * they wait for, arranged roots first (sessions that wait for nobody), then
 * what waits on them, level by level.
 *
 * Pure: nodes and pg_blocking_pids() edges in, levels, parents, display
 * order and how many sessions each one holds up out. Unit-tested without a
 * server (tests/unit/test_locktree.c).
 */
#ifndef MIGSAFE_LOCKTREE_H
#define MIGSAFE_LOCKTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "blocker.h"

/* A session of the lock tree. */
typedef struct TreeNode {
	Blocker b;               /* mode/relation/granted: the lock it waits for, else the
							  * lock it holds that others wait for (or that conflicts) */
	char *wait_event_type;
	int *blocked_by;         /* pg_blocking_pids(); 0 stands for a prepared transaction */
	size_t nblocked_by;
	bool conflicts;          /* with a --table filter: its lock conflicts with --mode */
	bool churn;              /* --blocker-min-age: as a root, it would end by itself */
	/* computed by locktree_build */
	bool shown;              /* part of the displayed tree */
	int level;               /* 0 for a root */
	int parent;              /* pid it is shown under, -1 for a root */
	int holds_up;            /* sessions waiting behind it, directly or not */
	bool in_cycle;           /* a root picked inside a wait cycle */
} TreeNode;

typedef struct LockTree {
	TreeNode *items;
	size_t count;
	size_t cap;
	size_t *order;           /* indexes into items: each root, then its subtree */
	size_t norder;
	size_t hidden;           /* computed: churn roots and the nodes waiting only on them */
} LockTree;

/* Appends a zeroed node for pid and returns it; strings are owned by the tree. */
TreeNode *locktree_add(LockTree *t, int pid);
/* Index of pid's node, or -1. */
int locktree_find(const LockTree *t, int pid);

/*
 * Computes the tree. With `narrow`, only nodes flagged "conflicts", the
 * sessions they wait for (transitively) and the sessions waiting behind
 * them (transitively) are shown; otherwise every node is. Then a root
 * flagged churn is left out with every node that waits only through such
 * roots (counted in t->hidden); a node some other root reaches stays. Roots come
 * oldest transaction first; a node waiting for several sessions is shown
 * under the first one reached, at the smallest level; a wait cycle gets
 * its oldest member as a root, marked in_cycle.
 */
void locktree_build(LockTree *t, bool narrow);

void locktree_free(LockTree *t);

#endif
