// SPDX-License-Identifier: GPL-2.0
/*
 * ebuf.c - an epoch of writes: dedupe to first/last, sort, write (ebuf.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "ebuf.h"
#include "tracefile/trace.h"

void ebuf__init(struct ebuf *b, uint64_t pages, uint64_t len_us)
{
	*b = (struct ebuf){ .pages = pages, .len_us = len_us };
}

void ebuf__start(struct ebuf *b, uint64_t t0_us)
{
	b->t0_us = t0_us;
	b->n = 0;
}

void ebuf__add(struct ebuf *b, double f, uint64_t page)
{
	uint64_t off;

	if (b->err)
		return;
	if (page >= b->pages) {
		b->err = -ERANGE;
		b->bad_page = page;
		return;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4096;
		struct ebuf_ev *ev = realloc(b->ev, cap * sizeof(*ev));

		if (!ev) {
			b->err = -ENOMEM;
			return;
		}
		b->ev = ev;
		b->cap = cap;
	}
	if (!(f > 0))
		f = 0;
	off = (uint64_t)(f * (double)b->len_us);
	if (off >= b->len_us)
		off = b->len_us - 1;
	b->ev[b->n++] = (struct ebuf_ev){ b->t0_us + off, page };
}

static int by_page(const void *a, const void *b)
{
	const struct ebuf_ev *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->t_us < y->t_us ? -1 : x->t_us > y->t_us;
}

static int by_time(const void *a, const void *b)
{
	const struct ebuf_ev *x = a, *y = b;

	if (x->t_us != y->t_us)
		return x->t_us < y->t_us ? -1 : 1;
	return x->page < y->page ? -1 : x->page > y->page;
}

int ebuf__flush(struct ebuf *b, struct trace_writer *w)
{
	size_t i, j, k = 0;
	int err;

	if (b->err)
		return b->err;
	qsort(b->ev, b->n, sizeof(*b->ev), by_page);
	/* keep the first and the last write of each page */
	for (i = 0; i < b->n; i = j) {
		for (j = i + 1; j < b->n && b->ev[j].page == b->ev[i].page; j++)
			;
		b->ev[k++] = b->ev[i];
		if (j - i > 1)
			b->ev[k++] = b->ev[j - 1];
	}
	qsort(b->ev, k, sizeof(*b->ev), by_time);
	err = trace_writer__mark_epoch(w, b->t0_us);
	for (i = 0; !err && i < k; i++)
		err = trace_writer__write_event(w, b->ev[i].t_us,
						b->ev[i].page);
	b->records += k;
	b->n = 0;
	return err;
}

void ebuf__free(struct ebuf *b)
{
	free(b->ev);
	b->ev = NULL;
	b->n = b->cap = 0;
}
