// SPDX-License-Identifier: GPL-2.0
/*
 * sim_oracle.c - the clairvoyant lower bound, computed and then played in
 * the simulator so that the simulator checks it is a real migration.
 *
 * The bound. In the simulator's time model (sim.h) a migration whose live
 * phase sends S pages stops at slot S; the pages then dirty are the pages
 * whose last write visible at S (a write of slot <= S) came after
 * their last live send, or that were never sent. Let l_p be the slot of
 * page p's last such write after the start (none if p is not written
 * after the start). p ends clean only if some live send of p happens at a
 * slot k with l_p <= k < S. For any S, the fewest pages that can be dirty
 * at S is, by Hall's theorem for unit jobs with release times,
 *
 *	F(S) = max(0, N - S, max_j (#{p : l_p >= j} - (S - j)))  over j >= 1
 *
 * (at most S - j live slots lie at or after j; N pages need a send each).
 * Any algorithm that stops at S with a stop-and-copy of F' <= budget pages
 * sends S + F' >= S + F(S) pages. As S grows by one, F(S) falls by at most
 * one (one more slot) and later writes can only raise the counts, so
 * S + F(S) never decreases: the least S with F(S) <= budget, S*, gives the
 * fewest pages any algorithm can send while meeting the downtime limit,
 * P* = S* + F(S*), and with them the shortest total time (P* * dt). It is
 * not a bound on downtime: the oracle may use the whole budget.
 *
 * The schedule that reaches it: the F(S*) pages with the latest l_p wait
 * for the stop-and-copy; the others are sent once each, in ascending l_p,
 * in the last N - F(S*) live slots (Hall's condition makes every l_p fit);
 * any slots before them carry filler sends (pages 0, 1, ... again). One
 * iteration, then stop. The oracle checks that the simulator ends with
 * exactly F(S*) dirty pages.
 *
 * Computing S*: writes are taken in time order; V(q) = s_q + #{p : l_p >=
 * s_q} is kept for each distinct write slot s_q in a segment tree with
 * range add and max (a write moves l_p up, adding one to V over the slots
 * it passes). Between two write slots F(S) only falls, so S* is found at
 * max(s_q, N - budget, max V - budget) when that is before the next
 * write's slot. O(writes log writes) time, 48 bytes per distinct write
 * slot. If no S up to the simulator's
 * cap works, the oracle plays the cap and is not converged either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

#define NONE UINT32_MAX

/* Range add, global max over leaves [0, n), bottom-up (no recursion):
 * mx[i] is the max of node i's subtree including adds made at i and
 * below; add[i] the adds made at internal node i. */
struct segtree {
	uint64_t p;		/* leaves, a power of two */
	int64_t *mx, *add;
};

#define SEG_EMPTY (INT64_MIN / 4)	/* unused leaves never win */

static int seg_init(struct segtree *t, uint64_t n)
{
	uint64_t i;

	for (t->p = 1; t->p < n; t->p *= 2)
		;
	t->mx = malloc(2 * t->p * sizeof(int64_t));
	t->add = calloc(t->p, sizeof(int64_t));
	if (!t->mx || !t->add)
		return -ENOMEM;
	for (i = 0; i < 2 * t->p; i++)
		t->mx[i] = SEG_EMPTY;
	return 0;
}

static void seg_free(struct segtree *t)
{
	free(t->mx);
	free(t->add);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static void seg_pull(struct segtree *t, uint64_t i)
{
	for (i >>= 1; i; i >>= 1)
		t->mx[i] = max64(t->mx[2 * i], t->mx[2 * i + 1]) + t->add[i];
}

/* Add v to leaves [l, r]. */
static void seg_add(struct segtree *t, uint64_t l, uint64_t r, int64_t v)
{
	uint64_t a = l + t->p, b = r + t->p + 1, a0 = a, b0 = b - 1;

	for (; a < b; a >>= 1, b >>= 1) {
		if (a & 1) {
			t->mx[a] += v;
			if (a < t->p)
				t->add[a] += v;
			a++;
		}
		if (b & 1) {
			b--;
			t->mx[b] += v;
			if (b < t->p)
				t->add[b] += v;
		}
	}
	seg_pull(t, a0);
	seg_pull(t, b0);
}

/* Set leaf i to v, net of the adds above it. */
static void seg_set(struct segtree *t, uint64_t i, int64_t v)
{
	uint64_t j;

	for (j = (i + t->p) >> 1; j; j >>= 1)
		v -= t->add[j];
	t->mx[i + t->p] = v;
	seg_pull(t, i + t->p);
}

struct oracle_state {
	struct sim *s;
	uint64_t s_star, f_star;	/* the bound: S* live, F* final */
	bool feasible;
	uint64_t *order;		/* S* pages */
	bool has_writes;
	int err;
};

/* Find S* and F*, and every page's last-write index (lidx) and the slot of
 * each index (slots). */
static int oracle_bound(struct oracle_state *o, uint32_t *lidx,
			uint64_t **slots_out, uint64_t *nq_out)
{
	struct sim *s = o->s;
	int64_t n = (int64_t)sim__pages(s), L = (int64_t)sim__budget(s);
	int64_t cap = (int64_t)sim__max_slots(s), m, cand, lo, next;
	uint64_t i = 0, i0, nq = 0, maxq = 0, *slots = NULL, page, slot, prev;
	bool any = o->has_writes;
	struct segtree t = { 0 };
	int ret;

	/* Skip the history: writes visible at slot 0 do not constrain. */
	while (any && (sim__write_at(s, i, &page, &slot), slot == 0))
		i++;
	/* Distinct write slots up to the cap: the most indices we need. */
	for (i0 = i, prev = 0; any; i0++) {
		sim__write_at(s, i0, &page, &slot);
		if (slot > (uint64_t)cap)
			break;
		maxq += slot != prev;
		prev = slot;
	}
	ret = seg_init(&t, maxq + 1);
	slots = malloc((maxq + 1) * sizeof(*slots));
	if (ret || !slots) {
		ret = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		next = INT64_MAX;
		if (any) {
			sim__write_at(s, i, &page, &slot);
			next = (int64_t)slot;
		}
		m = nq ? t.mx[1] : SEG_EMPTY;
		lo = nq ? (int64_t)slots[nq - 1] : 0;
		cand = max64(max64(lo, n - L), m - L);
		if (cand < next && cand <= cap) {
			o->s_star = cand;
			o->feasible = true;
			break;
		}
		if (next > cap) {
			o->s_star = cap;
			o->feasible = false;
			break;
		}
		/* A new index for the writes of this slot. */
		slots[nq] = next;
		seg_set(&t, nq, next);
		for (;;) {
			sim__write_at(s, i, &page, &slot);
			if ((int64_t)slot != next)
				break;
			if (lidx[page] == NONE)
				seg_add(&t, 0, nq, 1);
			else if (lidx[page] + 1 <= nq)
				seg_add(&t, lidx[page] + 1, nq, 1);
			lidx[page] = (uint32_t)nq;
			i++;
		}
		nq++;
	}
	m = nq ? t.mx[1] : SEG_EMPTY;
	o->f_star = (uint64_t)max64(0, max64(n - (int64_t)o->s_star,
					     m - (int64_t)o->s_star));
	*slots_out = slots;
	*nq_out = nq;
	slots = NULL;
	ret = 0;
cleanup:
	free(slots);
	seg_free(&t);
	return ret;
}

/* Build the send order: filler, then the non-final pages by ascending
 * last write. */
static int oracle_schedule(struct oracle_state *o, const uint32_t *lidx,
			   const uint64_t *slots, uint64_t nq)
{
	uint64_t n = sim__pages(o->s), *cnt = NULL, *byl = NULL, i, k, keep;
	uint64_t filler, pos;
	int ret = -ENOMEM;

	/* Counting sort of pages by lidx; NONE first (index 0), then q+1. */
	cnt = calloc(nq + 2, sizeof(*cnt));
	byl = malloc(n * sizeof(*byl));
	o->order = malloc((o->s_star ? o->s_star : 1) * sizeof(*o->order));
	if (!cnt || !byl || !o->order)
		goto cleanup;
	for (i = 0; i < n; i++)
		cnt[(lidx[i] == NONE ? 0 : lidx[i] + 1) + 1]++;
	for (k = 1; k < nq + 2; k++)
		cnt[k] += cnt[k - 1];
	for (i = 0; i < n; i++)
		byl[cnt[lidx[i] == NONE ? 0 : lidx[i] + 1]++] = i;
	/* byl is ascending in last write; the last F* wait. */
	keep = n - o->f_star;
	filler = o->s_star - keep;
	if (o->s_star < keep) {
		ret = -EFAULT;
		goto cleanup;
	}
	for (i = 0; i < filler; i++)
		o->order[i] = i % n;
	for (i = 0, pos = filler; i < keep; i++, pos++) {
		uint64_t p = byl[i];

		/* Hall: the page's last write must be at or before its slot. */
		if (lidx[p] != NONE && slots[lidx[p]] > pos) {
			ret = -EFAULT;
			goto cleanup;
		}
		o->order[pos] = p;
	}
	ret = 0;
cleanup:
	free(cnt);
	free(byl);
	return ret;
}

static int oracle_init(struct sim *s, void **state, char *err, size_t errlen)
{
	struct oracle_state *o;
	uint32_t *lidx = NULL;
	uint64_t *slots = NULL, nq = 0, i;
	int ret = -ENOMEM;

	o = calloc(1, sizeof(*o));
	lidx = malloc(sim__pages(s) * sizeof(*lidx));
	if (!o || !lidx)
		goto fail;
	o->s = s;
	o->has_writes = sim__trace_writes(s) > 0;
	for (i = 0; i < sim__pages(s); i++)
		lidx[i] = NONE;
	ret = oracle_bound(o, lidx, &slots, &nq);
	if (!ret)
		ret = oracle_schedule(o, lidx, slots, nq);
	if (ret) {
		snprintf(err, errlen, "oracle: %s", ret == -EFAULT ?
			 "internal error: schedule infeasible" :
			 "out of memory");
		goto fail;
	}
	free(lidx);
	free(slots);
	*state = o;
	return 0;
fail:
	free(lidx);
	free(slots);
	if (o)
		free(o->order);
	free(o);
	return ret;
}

static int oracle_sync(void *state, const struct sim_sync *v,
		       struct sim_decision *d)
{
	struct oracle_state *o = state;

	if (v->iteration == 1 && o->s_star) {
		d->nr = o->s_star;
		d->pages = o->order;
		return 0;
	}
	if (v->nr_dirty != o->f_star)
		return -EFAULT;	/* the bound and the simulator disagree */
	d->stop = true;
	return 0;
}

static void oracle_fini(void *state, struct sim_result *r)
{
	struct oracle_state *o = state;

	snprintf(r->note, sizeof(r->note), "bound: %llu live + %llu final "
		 "pages%s", (unsigned long long)o->s_star,
		 (unsigned long long)o->f_star,
		 o->feasible ? "" : " (no schedule meets the limit)");
	free(o->order);
	free(o);
}

const struct sim_algo sim_algo_oracle = {
	.name = "oracle",
	.summary = "clairvoyant lower bound on pages sent (and total time) at "
		   "this downtime limit",
	.init = oracle_init,
	.sync = oracle_sync,
	.fini = oracle_fini,
	.exact_log = true,
};
