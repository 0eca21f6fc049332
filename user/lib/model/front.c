// SPDX-License-Identifier: GPL-2.0
/* front.c - first writes of never-written pages from the distance to a
 * sequential front (see front.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "front.h"

#define K FRONT_CLASSES
#define B FRONT_BLOCKS
#define HZ_CAP 50.0

/* One chain per block. */
struct chain {
	double e[K], w[K], n[K][K];	/* decayed counts */
	uint32_t ce[K], cw[K], cn[K][K]; /* this epoch's */
	double pw[FRONT_POWERS][K][K];	/* M^(2^j) */
	double hz[K];			/* prepared */
	double p[K];
};

struct front {
	double decay, prior;
	struct chain c[B];
};

uint64_t front__below(const uint64_t *fb, uint64_t w)
{
	uint64_t lim = FRONT_MAX / 64 + 1;

	if (!fb)
		return 0;
	while (w-- > 0 && lim--)
		if (fb[w])
			return w * 64 + 64 - __builtin_clzll(fb[w]);
	return 0;
}

static void refresh(struct front *f);

struct front *front__new(double decay, double prior)
{
	struct front *f;

	if (!isfinite(decay) || decay <= 0 || decay > 1 || !isfinite(prior) ||
	    prior <= 0) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->decay = decay;
	f->prior = prior;
	refresh(f);
	return f;
}

void front__free(struct front *f)
{
	free(f);
}

/* The class every page of word w has when no front bit is in it and the
 * class is the same from its first page to its last; K if not. */
static unsigned int word_class(uint64_t w, uint64_t fw, uint64_t below)
{
	unsigned int a;

	if (fw)
		return K;
	if (!below)
		return 0;
	a = front__dclass(w * 64 + 1 - below);
	return a == front__dclass(w * 64 + 64 - below) ? a : K;
}

void front__learn_word(struct front *fr, unsigned int blk, uint64_t w,
		       uint64_t cand, uint64_t d, uint64_t fw0, uint64_t below0,
		       uint64_t fw1, uint64_t below1)
{
	struct chain *f = &fr->c[blk < B ? blk : B - 1];
	unsigned int a = word_class(w, fw0, below0);
	unsigned int b = word_class(w, fw1, below1);

	if (!cand)
		return;
	if (a < K && b < K) {
		unsigned int nw = pop64(cand & d);

		f->ce[a] += pop64(cand);
		f->cw[a] += nw;
		f->cn[a][b] += pop64(cand) - nw;
		return;
	}
	while (cand) {
		unsigned int i = __builtin_ctzll(cand), k0, k1;

		cand &= cand - 1;
		k0 = a < K ? a : front__class(w, i, fw0, below0);
		f->ce[k0]++;
		if ((d >> i) & 1) {
			f->cw[k0]++;
			continue;
		}
		k1 = b < K ? b : front__class(w, i, fw1, below1);
		f->cn[k0][k1]++;
	}
}

/* c = a * b (K x K). */
static void matmul(double c[K][K], double a[K][K], double b[K][K])
{
	unsigned int i, j, l;

	for (i = 0; i < K; i++)
		for (j = 0; j < K; j++) {
			double s = 0;

			for (l = 0; l < K; l++)
				s += a[i][l] * b[l][j];
			c[i][j] = s;
		}
}

static void refresh_chain(struct chain *f, double m, double pall)
{
	double se = 0, sw = 0, p0;
	unsigned int i, j;

	for (i = 0; i < K; i++) {
		se += f->e[i];
		sw += f->w[i];
	}
	p0 = (sw + m * pall) / (se + m);
	for (i = 0; i < K; i++) {
		double p = (f->w[i] + m * p0) / (f->e[i] + m), rs = m;

		p = fmin(fmax(p, 1e-9), 1 - 1e-6);
		f->p[i] = p;
		for (j = 0; j < K; j++)
			rs += f->n[i][j];
		for (j = 0; j < K; j++)
			f->pw[0][i][j] = (1 - p) *
				(f->n[i][j] + (i == j ? m : 0)) / rs;
	}
	for (i = 1; i < FRONT_POWERS; i++)
		matmul(f->pw[i], f->pw[i - 1], f->pw[i - 1]);
}

static void refresh(struct front *f)
{
	double se = 0, sw = 0;
	unsigned int b, i;

	for (b = 0; b < B; b++)
		for (i = 0; i < K; i++) {
			se += f->c[b].e[i];
			sw += f->c[b].w[i];
		}
	for (b = 0; b < B; b++)
		refresh_chain(&f->c[b], f->prior, (sw + 0.5) / (se + 1));
}

void front__end_epoch(struct front *fr)
{
	double d = fr->decay;
	unsigned int i, j, b;

	for (b = 0; b < B; b++) {
		struct chain *f = &fr->c[b];

		for (i = 0; i < K; i++) {
			f->e[i] = d * f->e[i] + f->ce[i];
			f->w[i] = d * f->w[i] + f->cw[i];
			for (j = 0; j < K; j++)
				f->n[i][j] = d * f->n[i][j] + f->cn[i][j];
		}
		memset(f->ce, 0, sizeof(f->ce));
		memset(f->cw, 0, sizeof(f->cw));
		memset(f->cn, 0, sizeof(f->cn));
	}
	refresh(fr);
}

/* s = M^n 1. */
static void survival(const struct chain *f, uint64_t n, double *s)
{
	double t[K];
	unsigned int j, i, l;

	for (i = 0; i < K; i++)
		s[i] = 1;
	for (j = 0; n && j < FRONT_POWERS; j++, n >>= 1) {
		if (!(n & 1))
			continue;
		for (i = 0; i < K; i++) {
			double x = 0;

			for (l = 0; l < K; l++)
				x += f->pw[j][i][l] * s[l];
			t[i] = x;
		}
		memcpy(s, t, sizeof(t));
	}
}

void front__prepare(struct front *fr, double from, double h)
{
	double s1[K], s2[K];
	uint64_t n1, n2;
	unsigned int k, b;

	if (!(from > 0))
		from = 0;
	if (!(h > 0))
		h = 0;
	n1 = (uint64_t)llround(fmin(from, 1e5));
	n2 = (uint64_t)llround(fmin(from + h, 1e5));
	for (b = 0; b < B; b++) {
		struct chain *f = &fr->c[b];

		survival(f, n1, s1);
		survival(f, n2, s2);
		for (k = 0; k < K; k++) {
			double x = s2[k] > 0 ? log(s1[k] / s2[k]) : HZ_CAP;

			f->hz[k] = fmin(fmax(x, 0), HZ_CAP);
		}
	}
}

double front__hazard(const struct front *f, unsigned int b, unsigned int k)
{
	return k < K && b < B ? f->c[b].hz[k] : 0;
}

double front__p(const struct front *f, unsigned int b, unsigned int k)
{
	return k < K && b < B ? f->c[b].p[k] : 0;
}
