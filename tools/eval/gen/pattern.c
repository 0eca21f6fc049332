// SPDX-License-Identifier: GPL-2.0
/*
 * pattern.c - sequential cursors and Zipf hot sets (pattern.h).
 */
#include <math.h>

#include "pattern.h"

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void seqw__init(struct seqw *s, uint64_t base, uint64_t len, double density,
		uint64_t key)
{
	*s = (struct seqw){ .base = base, .len = len ? len : 1,
			    .density = density, .key = key };
}

static int chunk_written(const struct seqw *s, uint64_t pos)
{
	uint64_t h;

	if (s->density >= 1)
		return 1;
	h = mix(s->key ^ mix((pos >> 4) + 0x9e3779b97f4a7c15ULL * s->pass));
	return (double)(h >> 11) * 0x1.0p-53 < s->density;
}

unsigned int seqw__run(struct seqw *s, struct ebuf *b, double pages,
		       double f0, double f1)
{
	double want = pages + s->carry;
	uint64_t n, i;
	unsigned int wraps = 0;

	if (!(want > 0)) {
		s->carry = 0;
		return 0;
	}
	n = (uint64_t)want;
	s->carry = want - (double)n;
	for (i = 0; i < n; i++) {
		if (chunk_written(s, s->pos))
			ebuf__add(b, f0 + (f1 - f0) * (double)i / (double)n,
				  s->base + s->pos);
		if (++s->pos == s->len) {
			s->pos = 0;
			s->pass++;
			wraps++;
		}
	}
	return wraps;
}

void hotset__init(struct hotset *h, uint64_t base, uint64_t n, double s,
		  uint64_t key)
{
	h->base = base;
	h->n = n ? n : 1;
	zipf__init(&h->z, h->n, s);
	perm__init(&h->p, h->n, key);
}

uint64_t hotset__draw(const struct hotset *h, struct rng *r)
{
	return h->base + perm__map(&h->p, zipf__draw(&h->z, r));
}

void hotset__run(const struct hotset *h, struct ebuf *b, struct rng *r,
		 uint64_t writes)
{
	uint64_t i;

	for (i = 0; i < writes; i++) {
		uint64_t page = hotset__draw(h, r);

		ebuf__add(b, rng__u01(r), page);
	}
}

uint64_t pattern__count(struct rng *r, const struct ebuf *b, double rate)
{
	return rng__poisson(r, rate * (double)b->len_us / 1e6);
}
