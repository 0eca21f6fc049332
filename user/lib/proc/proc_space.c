// SPDX-License-Identifier: GPL-2.0
/* proc_space.c - page identity of a traced process (see proc_space.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proc_space.h"

struct piece {
	uint64_t start, end, page;
};

struct proc_space {
	struct piece *pieces; /* sorted by start, not overlapping */
	unsigned int n, cap;
	struct proc_track_range *table;
	unsigned int ntable, cap_table;
	uint64_t pages;
};

struct proc_space *proc_space__new(void)
{
	return calloc(1, sizeof(struct proc_space));
}

void proc_space__free(struct proc_space *s)
{
	if (!s)
		return;
	free(s->pieces);
	free(s->table);
	free(s);
}

/* Index of the first piece whose end is above addr (n if none). */
static unsigned int first_after(const struct proc_space *s, uint64_t addr)
{
	unsigned int lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->pieces[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert_piece(struct proc_space *s, unsigned int at, uint64_t start,
			uint64_t end, uint64_t page)
{
	if (s->n == s->cap) {
		unsigned int cap = s->cap ? 2 * s->cap : 64;
		struct piece *p = realloc(s->pieces, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->pieces = p;
		s->cap = cap;
	}
	memmove(&s->pieces[at + 1], &s->pieces[at],
		(s->n - at) * sizeof(*s->pieces));
	s->pieces[at].start = start;
	s->pieces[at].end = end;
	s->pieces[at].page = page;
	s->n++;
	s->pages += (end - start) >> 12;
	return 0;
}

static int table_add(struct proc_space *s, uint64_t start, uint64_t end,
		     uint64_t page)
{
	struct proc_track_range *last;

	last = s->ntable ? &s->table[s->ntable - 1] : NULL;
	if (last && last->end == start &&
	    last->page + ((last->end - last->start) >> 12) == page) {
		last->end = end;
		return 0;
	}
	if (s->ntable == s->cap_table) {
		unsigned int cap = s->cap_table ? 2 * s->cap_table : 64;
		struct proc_track_range *t = realloc(s->table, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		s->table = t;
		s->cap_table = cap;
	}
	s->table[s->ntable].start = start;
	s->table[s->ntable].end = end;
	s->table[s->ntable].page = page;
	s->ntable++;
	return 0;
}

int64_t proc_space__update(struct proc_space *s, const struct proc_proto_span *v,
			unsigned int n, uint64_t *next_page, uint64_t capacity)
{
	int64_t added = 0;
	bool full = false;
	unsigned int i, k;
	int ret;

	for (i = 0; i < n; i++)
		if ((v[i].start | v[i].end) & 4095 || v[i].end <= v[i].start ||
		    (i && v[i].start < v[i - 1].end))
			return -EINVAL;
	/* New pieces for the parts of v that no piece covers. */
	for (i = 0; i < n; i++) {
		uint64_t s0 = v[i].start;

		k = first_after(s, s0);
		while (s0 < v[i].end) {
			uint64_t gap_end = v[i].end, pages;

			if (k < s->n && s->pieces[k].start <= s0) {
				s0 = s->pieces[k].end; /* covered */
				k++;
				continue;
			}
			if (k < s->n && s->pieces[k].start < gap_end)
				gap_end = s->pieces[k].start;
			pages = (gap_end - s0) >> 12;
			if (*next_page + pages > capacity) {
				full = true;
				pages = capacity - *next_page;
				gap_end = s0 + (pages << 12);
			}
			if (pages) {
				ret = insert_piece(s, k, s0, gap_end,
						   *next_page);
				if (ret)
					return ret;
				*next_page += pages;
				added += pages;
				k++;
			}
			if (full)
				break;
			s0 = gap_end;
		}
	}
	/* The table: pieces clipped to v. */
	s->ntable = 0;
	for (i = 0; i < n; i++) {
		for (k = first_after(s, v[i].start);
		     k < s->n && s->pieces[k].start < v[i].end; k++) {
			const struct piece *p = &s->pieces[k];
			uint64_t cs = p->start > v[i].start ? p->start
							    : v[i].start;
			uint64_t ce = p->end < v[i].end ? p->end : v[i].end;

			ret = table_add(s, cs, ce,
					p->page + ((cs - p->start) >> 12));
			if (ret)
				return ret;
		}
	}
	return full ? -ENOSPC : added;
}

const struct proc_track_range *proc_space__table(const struct proc_space *s,
					   unsigned int *n)
{
	*n = s->ntable;
	return s->table;
}

uint64_t proc_space__mark(const struct proc_space *s, uint64_t start, uint64_t end,
		       uint64_t *bitmap, uint64_t *unindexed)
{
	uint64_t marked = 0, a = start & ~4095ull;
	unsigned int k = first_after(s, a);

	while (a < end) {
		uint64_t stop = end, pg;

		if (k >= s->n || s->pieces[k].start > a) {
			if (k < s->n && s->pieces[k].start < stop)
				stop = s->pieces[k].start;
			if (unindexed)
				*unindexed += (stop - a + 4095) >> 12;
			a = stop;
			continue;
		}
		if (s->pieces[k].end < stop)
			stop = s->pieces[k].end;
		for (pg = s->pieces[k].page + ((a - s->pieces[k].start) >> 12);
		     a < stop; a += 4096, pg++) {
			bitmap[pg / 64] |= 1ull << (pg % 64);
			marked++;
		}
		k++;
	}
	return marked;
}

int64_t proc_space__page_of(const struct proc_space *s, uint64_t addr)
{
	unsigned int k = first_after(s, addr);

	if (k >= s->n || s->pieces[k].start > addr)
		return -1;
	return s->pieces[k].page + ((addr - s->pieces[k].start) >> 12);
}

uint64_t proc_space__pages(const struct proc_space *s)
{
	return s->pages;
}

int proc_space__piece(const struct proc_space *s, unsigned int i,
		      uint64_t *start, uint64_t *end, uint64_t *page)
{
	if (i >= s->n)
		return -ENOENT;
	*start = s->pieces[i].start;
	*end = s->pieces[i].end;
	*page = s->pieces[i].page;
	return 0;
}
