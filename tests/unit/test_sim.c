// SPDX-License-Identifier: GPL-2.0
/* test_sim.c - simulator invariants: under every algorithm the destination
 * ends with every page's last write; the metrics follow the time model;
 * the oracle sends no more pages than any algorithm that meets the same
 * downtime limit, and equals an exhaustive search on tiny traces; bad
 * configurations are refused. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim.h"

#define MIB (1024.0 * 1024.0)

static unsigned int rnd(unsigned int *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

typedef bool (*write_fn)(unsigned int epoch, uint64_t page, unsigned int *seed);

/* A text trace of `pages` pages and `epochs` epochs of epoch_us, with the
 * writes chosen by fn, loaded into epochs. */
static struct trace_epochs *make_trace(uint64_t pages, unsigned int epochs,
				       uint64_t epoch_us, write_fn fn)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap), err[256];
	struct trace_reader *r = NULL;
	struct trace_epochs *e = NULL;
	unsigned int ep, seed = 42;
	uint64_t p;

	if (!buf)
		return NULL;
	len += snprintf(buf + len, cap - len,
			"# precopy-trace v1 page_size=4096 pages=%llu\n",
			(unsigned long long)pages);
	for (ep = 0; ep < epochs; ep++) {
		uint64_t t = ep * epoch_us;

		if (cap - len < 64 * (pages + 2)) {
			char *nb;

			cap = cap * 2 + 64 * (pages + 2);
			nb = realloc(buf, cap);
			if (!nb)
				goto out;
			buf = nb;
		}
		len += snprintf(buf + len, cap - len, "# epoch %llu\n",
				(unsigned long long)t);
		for (p = 0; p < pages; p++)
			if (fn(ep, p, &seed))
				len += snprintf(buf + len, cap - len,
						"%llu %llu\n",
						(unsigned long long)t,
						(unsigned long long)p);
	}
	len += snprintf(buf + len, cap - len, "# end %llu\n",
			(unsigned long long)(epochs * epoch_us));
	r = trace_reader__open_mem(buf, len, err, sizeof(err));
	if (!r || trace_epochs__load(r, 0, &e))
		e = NULL;
out:
	trace_reader__close(r);
	free(buf);
	return e;
}

/* 1024 pages; a hot set of 10 written every epoch; a cold sweep of 20
 * pages per epoch. */
static bool w_hotcold(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)s;
	return p < 10 || (p >= 10 + (e * 20) % 1000 && p < 30 + (e * 20) % 1000);
}

static bool w_random(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)e;
	(void)p;
	return rnd(s) % 100 < 4;
}

static bool w_phases(unsigned int e, uint64_t p, unsigned int *s)
{
	uint64_t base = (e / 20) * 128 % 1024;

	return p >= base && p < base + 128 && rnd(s) % 4 == 0;
}

static bool w_idle(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)e;
	(void)p;
	(void)s;
	return false;
}

static bool w_hot10(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)e;
	(void)s;
	return p < 10;
}

static int run(const struct sim_trace *t, const struct sim_algo *a,
	       double pages_per_s, double limit_s, double start_s,
	       struct sim_result *r)
{
	struct sim_config c;
	char err[256];
	int ret;

	sim_config__default(&c, pages_per_s * 4096, limit_s);
	c.start_s = start_s;
	ret = sim__run(t, a, &c, r, err, sizeof(err));
	if (ret)
		printf("  sim__run(%s): %s\n", a->name, err);
	return ret;
}

/* The invariants on a grid of workloads and bandwidths. */
static void test_invariants_and_bound(void)
{
	write_fn fns[] = { w_hotcold, w_random, w_phases, w_idle };
	const char *names[] = { "hotcold", "random", "phases", "idle" };
	double rates[] = { 300, 1000, 3000, 20000 };	/* pages/s */
	unsigned int f, b, a, runs = 0;

	for (f = 0; f < 4; f++) {
		struct trace_epochs *tr = make_trace(1024, 60, 100000, fns[f]);
		struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;

		if (!ASSERT_NOT_NULL(t, names[f])) {
			trace_epochs__free(tr);
			return;
		}
		for (b = 0; b < 4; b++) {
			struct sim_result res[8], *o = NULL;
			bool any_conv = false;

			for (a = 0; sim_algos[a]; a++) {
				struct sim_result *r = &res[a];
				double dt = 1.0 / rates[b];

				if (!ASSERT_OK(run(t, sim_algos[a], rates[b], 0.3,
						   1.0, r), "run"))
					continue;
				runs++;
				if (!ASSERT_TRUE(r->verified, "destination == "
						 "source") ||
				    !ASSERT_EQ(r->mismatches, 0, "mismatches"))
					printf("  %s %s at %.0f pages/s\n",
					       names[f], r->algo, rates[b]);
				ASSERT_EQ(r->pages_sent, r->live_pages +
					  r->final_pages, "live + final");
				ASSERT_TRUE(fabs(r->total_time_s -
						 r->pages_sent * dt) < 1e-6,
					    "total = pages x dt");
				ASSERT_TRUE(fabs(r->downtime_s -
						 r->final_pages * dt) < 1e-9,
					    "downtime = final x dt");
				ASSERT_GE(r->pages_sent, 1024, "every page "
					  "sent once at least");
				if (r->converged)
					ASSERT_LE(r->final_pages, r->budget,
						  "converged within budget");
				if (!strcmp(r->algo, "oracle"))
					o = r;
				else
					any_conv |= r->converged;
			}
			if (!ASSERT_NOT_NULL(o, "oracle ran"))
				continue;
			if (any_conv)
				ASSERT_TRUE(o->converged, "oracle converges "
					    "when anyone does");
			for (a = 0; sim_algos[a]; a++) {
				if (!res[a].converged)
					continue;
				if (!ASSERT_LE(o->pages_sent, res[a].pages_sent,
					       "oracle <= every converged "
					       "algorithm"))
					printf("  %s at %.0f: oracle %llu > %s "
					       "%llu\n", names[f], rates[b],
					       (unsigned long long)o->pages_sent,
					       res[a].algo,
					       (unsigned long long)res[a].pages_sent);
			}
		}
		sim_trace__free(t);
		trace_epochs__free(tr);
	}
	printf("  %u runs checked\n", runs);
}

/* ---- exhaustive search, as an algorithm ------------------------------ */

#define BF_MAX_S 10
#define BF_PAGES 3

struct brute {
	uint64_t best[BF_MAX_S + 1], nbest, total;
	bool found;
	bool sent;
};

static uint64_t bf_stale(struct sim *s, const uint64_t *seq, unsigned int n)
{
	uint64_t i, page, slot, last[BF_PAGES] = { 0 }, stale = 0;
	unsigned int k, p;

	for (i = 0; i < sim__trace_writes(s); i++) {
		sim__write_at(s, i, &page, &slot);
		if (slot <= n && slot > last[page])
			last[page] = slot;
	}
	for (p = 0; p < BF_PAGES; p++) {
		bool clean = false;

		for (k = 0; k < n; k++)
			if (seq[k] == p && k >= last[p])
				clean = true;
		stale += !clean;
	}
	return stale;
}

static int bf_init(struct sim *s, void **state, char *err, size_t errlen)
{
	struct brute *b = calloc(1, sizeof(*b));
	uint64_t seq[BF_MAX_S], stale;
	unsigned int n, i, combos, c;

	(void)err;
	(void)errlen;
	if (!b)
		return -ENOMEM;
	for (n = 0; n <= BF_MAX_S && !b->found; n++) {
		for (combos = 1, i = 0; i < n; i++)
			combos *= BF_PAGES;
		for (c = 0; c < combos; c++) {
			unsigned int x = c;

			for (i = 0; i < n; i++, x /= BF_PAGES)
				seq[i] = x % BF_PAGES;
			stale = bf_stale(s, seq, n);
			if (stale > sim__budget(s))
				continue;
			if (!b->found || n + stale < b->total) {
				b->found = true;
				b->total = n + stale;
				b->nbest = n;
				memcpy(b->best, seq, n * sizeof(*seq));
			}
		}
		/* S + F(S) never decreases: the first n that works wins. */
	}
	*state = b;
	return 0;
}

static int bf_sync(void *state, const struct sim_sync *v,
		   struct sim_decision *d)
{
	struct brute *b = state;

	(void)v;
	if (b->sent || !b->found || !b->nbest) {
		d->stop = true;
		return 0;
	}
	b->sent = true;
	d->nr = b->nbest;
	d->pages = b->best;
	return 0;
}

static void bf_fini(void *state, struct sim_result *r)
{
	struct brute *b = state;

	if (!b->found)
		snprintf(r->note, sizeof(r->note), "none");
	free(b);
}

static const struct sim_algo brute = {
	.name = "brute", .summary = "exhaustive search (test)",
	.init = bf_init, .sync = bf_sync, .fini = bf_fini,
};

static unsigned int bf_mask[6];

static bool w_mask(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)s;
	return e < 6 && (bf_mask[e] >> p & 1);
}

/* 3 pages, 6 epochs of 2 ms, one page per ms, budget 1 page: the oracle
 * equals the best of every send sequence of up to 10 pages. */
static void test_oracle_exhaustive(void)
{
	unsigned int trial, e, seed = 2024, agree = 0;

	for (trial = 0; trial < 60; trial++) {
		struct trace_epochs *tr;
		struct sim_trace *t;
		struct sim_result ro, rb;

		for (e = 0; e < 6; e++)
			bf_mask[e] = rnd(&seed) % 8;
		tr = make_trace(BF_PAGES, 6, 2000, w_mask);
		t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
		if (!ASSERT_NOT_NULL(t, "trace"))
			return;
		/* 1000 pages/s; limit 1.5 ms -> budget 1 page; start 0 */
		if (ASSERT_OK(run(t, &sim_algo_oracle, 1000, 0.0015, 0, &ro),
			      "oracle") &&
		    ASSERT_OK(run(t, &brute, 1000, 0.0015, 0, &rb), "brute")) {
			ASSERT_TRUE(ro.verified && rb.verified, "verified");
			if (rb.note[0] == 0) {
				if (ASSERT_EQ(ro.pages_sent, rb.pages_sent,
					      "oracle = exhaustive optimum"))
					agree++;
				ASSERT_TRUE(ro.converged, "oracle converged");
				ASSERT_LE(ro.final_pages, 1, "within budget");
			}
		}
		sim_trace__free(t);
		trace_epochs__free(tr);
	}
	printf("  %u random tiny traces: oracle = optimum\n", agree);
}

/* Known answers: hot pages 0..9 written every 100 ms, 1024 pages at 1000
 * pages/s (a pass takes 1.024 s), limit 300 ms (300 pages). QEMU sends
 * every page, then the 10 hot pages again in the stop-and-copy. prob,
 * having seen the hot pages for 1 s, keeps them for the stop-and-copy
 * and sends each page once. An idle guest costs exactly one pass. */
static void test_known_answers(void)
{
	struct trace_epochs *tr = make_trace(1024, 100, 100000, w_hot10);
	struct trace_epochs *ti = make_trace(1024, 100, 100000, w_idle);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct sim_trace *ti2 = ti ? sim_trace__new(ti, NULL, 0) : NULL;
	struct sim_result r;

	if (!ASSERT_NOT_NULL(t, "trace") || !ASSERT_NOT_NULL(ti2, "idle"))
		goto out;
	if (ASSERT_OK(run(t, &sim_algo_qemu, 1000, 0.3, 1.0, &r), "qemu")) {
		ASSERT_EQ(r.pages_sent, 1034, "qemu: RAM + hot set");
		ASSERT_EQ(r.iterations, 1, "one pass");
		ASSERT_TRUE(fabs(r.downtime_s - 0.010) < 1e-9, "10 ms");
	}
	if (ASSERT_OK(run(t, &sim_algo_prob, 1000, 0.3, 1.0, &r), "prob")) {
		ASSERT_EQ(r.pages_sent, 1024, "prob: each page once");
		ASSERT_EQ(r.final_pages, 10, "hot set in the final copy");
		ASSERT_TRUE(r.converged && r.verified, "prob ok");
	}
	if (ASSERT_OK(run(t, &sim_algo_oracle, 1000, 0.3, 1.0, &r), "oracle"))
		ASSERT_EQ(r.pages_sent, 1024, "oracle: each page once");
	if (ASSERT_OK(run(ti2, &sim_algo_qemu, 1000, 0.3, 1.0, &r), "idle")) {
		ASSERT_EQ(r.pages_sent, 1024, "idle: one pass");
		ASSERT_EQ(r.final_pages, 0, "nothing left");
	}
out:
	sim_trace__free(t);
	sim_trace__free(ti2);
	trace_epochs__free(tr);
	trace_epochs__free(ti);
}

/* A migration longer than the trace replays it. */
static void test_loops(void)
{
	struct trace_epochs *tr = make_trace(1024, 10, 100000, w_random);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct sim_result r;
	unsigned int a;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	ASSERT_TRUE(fabs(sim_trace__length_s(t) - 1.0) < 1e-9, "1 s trace");
	for (a = 0; sim_algos[a]; a++) {
		/* 500 pages/s: the first pass alone takes 2 s */
		if (!ASSERT_OK(run(t, sim_algos[a], 500, 0.3, 0.2, &r), "run"))
			continue;
		ASSERT_GE(r.loops, 1, "replayed");
		ASSERT_TRUE(r.verified, "verified across replays");
	}
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
}

static void test_rejects(void)
{
	struct trace_epochs *tr = make_trace(64, 10, 100000, w_random);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct sim_config c;
	struct sim_result r;
	char err[256];
	const char *p1[] = { "prob.defer_risk=2" };
	const char *p2[] = { "nosuch.x=1" };
	const char *p3[] = { "prob.nosuch=1" };
	const char *p4[] = { "prob-defer" };

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	sim_config__default(&c, 1e6, 0.3);
	c.start_s = 5;
	ASSERT_EQ(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		  -EINVAL, "start past the end");
	ASSERT_TRUE(strstr(err, "past the end") != NULL, "says so");
	sim_config__default(&c, 0, 0.3);
	ASSERT_EQ(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		  -EINVAL, "no bandwidth");
	sim_config__default(&c, 1e6, 0.3);
	c.nr_params = 1;
	c.params[0] = p1[0];
	ASSERT_EQ(sim__run(t, &sim_algo_prob, &c, &r, err, sizeof(err)),
		  -EINVAL, "out of range parameter");
	ASSERT_TRUE(strstr(err, "defer_risk") != NULL, "names it");
	c.params[0] = p2[0];
	ASSERT_EQ(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		  -EINVAL, "unknown algorithm in a parameter");
	c.params[0] = p3[0];
	ASSERT_EQ(sim__run(t, &sim_algo_prob, &c, &r, err, sizeof(err)),
		  -EINVAL, "unknown parameter");
	ASSERT_TRUE(strstr(err, "no such parameter") != NULL, "says so");
	ASSERT_OK(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		  "another algorithm's parameter is not ours");
	c.params[0] = p4[0];
	ASSERT_EQ(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		  -EINVAL, "malformed parameter");
	ASSERT_TRUE(sim_trace__new(NULL, err, sizeof(err)) == NULL, "no trace");
	ASSERT_TRUE(sim_algo__find("qemu") == &sim_algo_qemu, "find");
	ASSERT_TRUE(sim_algo__find("nope") == NULL, "not found");
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
}

int main(void)
{
	RUN_TEST(test_invariants_and_bound);
	RUN_TEST(test_oracle_exhaustive);
	RUN_TEST(test_known_answers);
	RUN_TEST(test_loops);
	RUN_TEST(test_rejects);
	return harness_finish();
}
