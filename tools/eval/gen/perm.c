// SPDX-License-Identifier: GPL-2.0
/*
 * perm.c - Feistel bijection with cycle walking (perm.h).
 */
#include "perm.h"

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void perm__init(struct perm *p, uint64_t n, uint64_t key)
{
	unsigned int bits = 1;
	int i;

	while (bits < 64 && (1ULL << bits) < n)
		bits++;
	p->n = n;
	p->half_bits = (bits + 1) / 2;
	for (i = 0; i < 4; i++)
		p->key[i] = mix(key + 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1));
}

static uint64_t feistel(const struct perm *p, uint64_t x)
{
	uint64_t mask = (1ULL << p->half_bits) - 1;
	uint64_t l = x >> p->half_bits, r = x & mask;
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t t = l ^ (mix(r ^ p->key[i]) & mask);

		l = r;
		r = t;
	}
	return (l << p->half_bits) | r;
}

uint64_t perm__map(const struct perm *p, uint64_t x)
{
	if (p->n <= 1)
		return 0;
	do
		x = feistel(p, x);
	while (x >= p->n);
	return x;
}
