/* SPDX-License-Identifier: MIT */
/*
 * fsm_queue.c: the FIFO of follow-up events. Actions push, the caller's
 * loop pops; nothing here fires an event.
 */
#include <stdlib.h>
#include <string.h>

#include "fsm.h"

/* Room for one more item. Returns 0, or -1 when memory is exhausted. */
static int grow(struct fsm_queue *q)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct fsm_qitem *v = malloc(cap * sizeof(*v));

		if (!v)
			return -1;
		for (size_t i = 0; i < q->len; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	return 0;
}

int fsm_queue_push(struct fsm_queue *q, int target, int event)
{
	if (grow(q) < 0)
		return -1;
	q->v[(q->head + q->len) % q->cap] = (struct fsm_qitem){ target, event };
	q->len++;
	return 0;
}

int fsm_queue_insert(struct fsm_queue *q, size_t pos, int target, int event)
{
	if (pos > q->len)
		pos = q->len;
	if (grow(q) < 0)
		return -1;
	for (size_t i = q->len; i > pos; i--)
		q->v[(q->head + i) % q->cap] = q->v[(q->head + i - 1) % q->cap];
	q->v[(q->head + pos) % q->cap] = (struct fsm_qitem){ target, event };
	q->len++;
	return 0;
}

bool fsm_queue_has(const struct fsm_queue *q, int target)
{
	for (size_t i = 0; i < q->len; i++)
		if (q->v[(q->head + i) % q->cap].target == target)
			return true;
	return false;
}

bool fsm_queue_pop(struct fsm_queue *q, struct fsm_qitem *out)
{
	if (!q->len)
		return false;
	*out = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return true;
}

void fsm_queue_release(struct fsm_queue *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}
