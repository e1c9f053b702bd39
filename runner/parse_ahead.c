/*
 * parse_ahead.c — parsing migrations on worker threads, ahead of the analysis.
 */
#include "parse_ahead.h"

#include <pthread.h>
#include <stdlib.h>

#include "loader.h"
#include "log.h"

typedef enum ParseState {
	PARSE_PENDING, PARSE_RUNNING, PARSE_DONE
} ParseState;

typedef struct ParseSlot {
	Migration *m;
	ParseState state;
	bool ok;
	StrBuf log;               /* the messages its parsing logged, written out in order */
} ParseSlot;

struct ParseAhead {
	pthread_mutex_t mu;
	pthread_cond_t changed;   /* a slot was parsed, or the window moved, or stop */
	ParseSlot *slots;
	size_t count;
	size_t next;              /* the next slot a worker takes */
	size_t waited;            /* the slot the caller waits for (or analyses) now */
	size_t ahead;
	bool stopping;
	pthread_t *threads;
	int nthreads;
};

/* Takes the next slot inside the window; false when there is nothing more to parse. */
static bool
take_slot(ParseAhead *pa, size_t *i)
{
	bool got = false;

	pthread_mutex_lock(&pa->mu);
	while (!pa->stopping && pa->next < pa->count && pa->next >= pa->waited + pa->ahead)
		pthread_cond_wait(&pa->changed, &pa->mu);
	if (!pa->stopping && pa->next < pa->count) {
		*i = pa->next++;
		pa->slots[*i].state = PARSE_RUNNING;
		got = true;
	}
	pthread_mutex_unlock(&pa->mu);
	return got;
}

/* Parses (reads first, if need be) one slot's migration, its messages captured. */
static void
parse_slot(ParseSlot *s)
{
	log_capture_begin(&s->log);
	s->ok = loader_parse(s->m);
	log_capture_end();
}

/* A worker: parses slots in the order it takes them until none is left. */
static void *
worker_main(void *arg)
{
	ParseAhead *pa = arg;
	size_t i;

	while (take_slot(pa, &i)) {
		ParseSlot *s = &pa->slots[i];

		parse_slot(s);
		pthread_mutex_lock(&pa->mu);
		s->state = PARSE_DONE;
		pthread_cond_broadcast(&pa->changed);
		pthread_mutex_unlock(&pa->mu);
	}
	return NULL;
}

ParseAhead *
parse_ahead_start(const MigrationList *l, int nthreads, size_t ahead)
{
	ParseAhead *pa = xcalloc(1, sizeof *pa);

	pthread_mutex_init(&pa->mu, NULL);
	pthread_cond_init(&pa->changed, NULL);
	pa->count = l->count;
	pa->ahead = ahead > 0 ? ahead : 1;
	pa->slots = xcalloc(l->count ? l->count : 1, sizeof *pa->slots);
	for (size_t i = 0; i < l->count; i++)
		pa->slots[i].m = l->items[i];
	pa->threads = xcalloc((size_t) nthreads, sizeof *pa->threads);
	for (int t = 0; t < nthreads; t++) {
		if (pthread_create(&pa->threads[t], NULL, worker_main, pa) != 0) {
			log_debug("parse-ahead: started %d of %d threads", t, nthreads);
			break;
		}
		pa->nthreads++;
	}
	if (pa->nthreads == 0) {
		parse_ahead_stop(pa);
		return NULL;
	}
	return pa;
}

bool
parse_ahead_wait(ParseAhead *pa, size_t i)
{
	ParseSlot *s = &pa->slots[i];

	pthread_mutex_lock(&pa->mu);
	pa->waited = i;
	pthread_cond_broadcast(&pa->changed);       /* the window moved */
	while (s->state != PARSE_DONE) {
		/* rather than sleep, parse the next slot no worker took yet (i itself, first) */
		if (pa->next < pa->count && pa->next < pa->waited + pa->ahead) {
			ParseSlot *other = &pa->slots[pa->next++];

			other->state = PARSE_RUNNING;
			pthread_mutex_unlock(&pa->mu);
			parse_slot(other);
			pthread_mutex_lock(&pa->mu);
			other->state = PARSE_DONE;
			pthread_cond_broadcast(&pa->changed);
		} else
			pthread_cond_wait(&pa->changed, &pa->mu);
	}
	pthread_mutex_unlock(&pa->mu);
	log_replay(&s->log);
	strbuf_free(&s->log);
	return s->ok;
}

void
parse_ahead_stop(ParseAhead *pa)
{
	pthread_mutex_lock(&pa->mu);
	pa->stopping = true;
	pthread_cond_broadcast(&pa->changed);
	pthread_mutex_unlock(&pa->mu);
	for (int t = 0; t < pa->nthreads; t++)
		pthread_join(pa->threads[t], NULL);
	for (size_t i = 0; i < pa->count; i++)
		strbuf_free(&pa->slots[i].log);
	pthread_cond_destroy(&pa->changed);
	pthread_mutex_destroy(&pa->mu);
	free(pa->threads);
	free(pa->slots);
	free(pa);
}
