/*
 * arena.h — memory carved out of a few large blocks and freed all at once.
 *
 * For data made of many small pieces that live and die together (a JSON
 * parse tree, the scanner's decoded tokens): one malloc per block instead of
 * one per piece, and one free per block instead of a walk over the pieces.
 */
#ifndef MIGSAFE_ARENA_H
#define MIGSAFE_ARENA_H

#include <stddef.h>

typedef struct Arena Arena;

Arena *arena_create(void);

/* n bytes, 8-byte aligned, valid until arena_free; never NULL. */
void *arena_alloc(Arena *a, size_t n);

/* Frees every block, and the arena. */
void arena_free(Arena *a);

#endif
