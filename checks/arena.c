/*
 * arena.c — memory carved out of a few large blocks and freed all at once.
 */
#include "arena.h"

#include <stdlib.h>

#include "util.h"

#define BLOCK_SIZE (64 * 1024)

/* One block; the usable bytes follow the header. */
typedef struct Block {
	struct Block *next;
	size_t used;
	size_t size;
} Block;

struct Arena {
	Block *blocks;           /* the newest first */
};

Arena *
arena_create(void)
{
	return xcalloc(1, sizeof(Arena));
}

/*
 * A request bigger than a quarter block gets a block of its own, so that a
 * big piece does not waste the rest of the current block.
 */
void *
arena_alloc(Arena *a, size_t n)
{
	Block *b = a->blocks;
	size_t need = (n + 7) & ~(size_t) 7;

	if (b == NULL || b->size - b->used < need) {
		size_t size = need > BLOCK_SIZE / 4 ? need : BLOCK_SIZE;

		b = xmalloc(sizeof(Block) + size);
		b->size = size;
		b->used = 0;
		b->next = a->blocks;
		a->blocks = b;
	}
	b->used += need;
	return (char *) (b + 1) + b->used - need;
}

void
arena_free(Arena *a)
{
	if (a == NULL)
		return;
	while (a->blocks) {
		Block *b = a->blocks;

		a->blocks = b->next;
		free(b);
	}
	free(a);
}
