// SPDX-License-Identifier: GPL-2.0
/* test_sim.c - simulator invariants: under every algorithm the destination
 * ends with every page's last write; the metrics follow the time model;
 * the oracle sends no more pages than any algorithm that meets the same
 * downtime limit, and equals an exhaustive search on tiny traces; the
 * re-send accounting adds up; prob holds a hot set back and sends fewer
 * pages than QEMU, sends clearly fewer on a periodic sweep and on ring
 * buffers (the long-horizon model), and stays within 2 % of it when
 * nothing is predictable; QEMU's dirty log (SIM_LOG_SYNC) re-sends a page
 * written after the sync and before its send; qemu.threshold_sync syncs
 * where QEMU does (as soon as the unsent dirty pages fit the budget);
 * zero pages (never written) cost nothing but count as dirty; the future
 * index (sim__next_write_s) gives every page's next write as the trace has
 * it, counting replays; fed those, prob's planner (prob-clairvoyant)
 * reaches the oracle where the model cannot predict; bad configurations
 * are refused. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim/sim.h"

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

static enum sim_dirty_log run_log = SIM_LOG_EXACT; /* run()'s dirty log */

static int run(const struct sim_trace *t, const struct sim_algo *a,
	       double pages_per_s, double limit_s, double start_s,
	       struct sim_result *r)
{
	struct sim_config c;
	char err[256];
	int ret;

	sim_config__default(&c, pages_per_s * 4096, limit_s);
	c.start_s = start_s;
	c.dirty_log = run_log;
	ret = sim__run(t, a, &c, r, err, sizeof(err));
	if (ret)
		printf("  sim__run(%s): %s\n", a->name, err);
	return ret;
}

/* run() with one algorithm parameter */
static int run_p(const struct sim_trace *t, const struct sim_algo *a,
		 double pages_per_s, double limit_s, double start_s,
		 const char *param, struct sim_result *r)
{
	struct sim_config c;
	char err[256];
	int ret;

	sim_config__default(&c, pages_per_s * 4096, limit_s);
	c.start_s = start_s;
	c.nr_params = 1;
	c.params[0] = param;
	ret = sim__run(t, a, &c, r, err, sizeof(err));
	if (ret)
		printf("  sim__run(%s): %s\n", a->name, err);
	return ret;
}

/* The invariants on a grid of workloads and bandwidths, under both dirty
 * logs: the oracle's bound (computed for the exact log) holds for the
 * algorithms that see QEMU's log too. */
static void invariants_and_bound(void);

static void test_invariants_and_bound(void)
{
	run_log = SIM_LOG_EXACT;
	invariants_and_bound();
	run_log = SIM_LOG_SYNC;
	invariants_and_bound();
	run_log = SIM_LOG_EXACT;
}

static void invariants_and_bound(void)
{
	write_fn fns[] = { w_hotcold, w_random, w_phases, w_idle };
	const char *names[] = { "hotcold", "random", "phases", "idle" };
	double rates[] = { 300, 1000, 3000, 20000 };	/* pages/s */
	const struct sim_algo *algos[8];	/* the diagnostics too */
	unsigned int f, b, a, na = 0, runs = 0;

	for (a = 0; sim_algos[a] && na < 7; a++)
		algos[na++] = sim_algos[a];
	for (a = 0; sim_diagnostic_algos[a] && na < 7; a++)
		algos[na++] = sim_diagnostic_algos[a];
	algos[na] = NULL;

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

			for (a = 0; algos[a]; a++) {
				struct sim_result *r = &res[a];
				double dt = 1.0 / rates[b];

				if (!ASSERT_OK(run(t, algos[a], rates[b], 0.3,
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
				ASSERT_EQ(r->pages_sent, 1024 + r->wasted_sends +
					  r->clean_sends, "pages + wasted + "
					  "redundant sends");
				ASSERT_LE(r->resent_pages, r->pages_sent - 1024,
					  "re-sent pages");
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
			for (a = 0; algos[a]; a++) {
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
	printf("  %u runs checked (%s log)\n", runs,
	       run_log == SIM_LOG_SYNC ? "QEMU's sync" : "exact");
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
 * and sends each page once. What fills the budget besides the hot set is
 * pages nobody rewrites, so one more iteration, nearly free (planner.h),
 * sends them and only the hot set is left for the stop-and-copy; with
 * free_share 0 it stops as soon as what is dirty fits the limit (downtime
 * is free up to it), and objective downtime goes on until only the hot
 * set is left. An idle guest costs exactly one pass. */
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
		ASSERT_EQ(r.wasted_sends, 0, "no live send wasted");
		ASSERT_EQ(r.resent_pages, 0, "no page sent twice");
		ASSERT_EQ(r.final_pages, 10, "the cold pages sent for free");
		ASSERT_TRUE(r.converged && r.verified, "prob ok");
	}
	if (ASSERT_OK(run_p(t, &sim_algo_prob, 1000, 0.3, 1.0,
			    "prob.free_share=0", &r), "prob, free_share 0")) {
		ASSERT_EQ(r.pages_sent, 1024, "free_share 0: each page once");
		ASSERT_TRUE(r.final_pages > 10 && r.final_pages <= 300,
			    "stops at the first sync that fits");
	}
	if (ASSERT_OK(run_p(t, &sim_algo_prob, 1000, 0.3, 1.0,
			    "prob.objective=2", &r), "prob, downtime")) {
		ASSERT_EQ(r.pages_sent, 1024, "downtime: each page once");
		ASSERT_EQ(r.final_pages, 10, "hot set in the final copy");
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

/* All of RAM fits the budget at the first sync (1024 pages, 10,000
 * pages/s, 300 ms: 3,000): QEMU has no threshold before its first 100 ms
 * of sending, so qemu sends for 100 ms (1,000 pages) first, and prob, whose
 * planner stops only on a measured bandwidth, sends a window first too;
 * neither puts the whole RAM into the stop-and-copy. */
static void test_no_switchover_before_a_measurement(void)
{
	struct trace_epochs *tr = make_trace(1024, 100, 100000, w_hot10);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct sim_result r;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	if (ASSERT_OK(run(t, &sim_algo_qemu, 10000, 0.3, 1.0, &r), "qemu")) {
		ASSERT_EQ(r.iterations, 1, "qemu: one measuring period");
		ASSERT_TRUE(r.final_pages >= 24 && r.final_pages <= 34,
			    "qemu: the 24 unsent and the hot set in the final");
		ASSERT_TRUE(r.converged && r.verified, "qemu ok");
	}
	if (ASSERT_OK(run(t, &sim_algo_prob, 10000, 0.3, 1.0, &r), "prob")) {
		ASSERT_TRUE(r.iterations >= 1, "prob: a window first");
		ASSERT_TRUE(r.final_pages < 1024, "prob: not all in the final");
		ASSERT_TRUE(r.pages_sent <= 1034, "prob: no more than qemu");
		ASSERT_TRUE(r.converged && r.verified, "prob ok");
	}
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
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

/* 4096 pages: a hot set of 300 pages written every epoch (in runs of
 * 10 scattered over memory), 8 random other pages per epoch. Holding the
 * hot set back for the stop-and-copy must send clearly fewer pages than
 * QEMU, which sends it again every pass; every live send of a hot page
 * would be wasted, and prob's tagged sends say where its waste went. */
static bool w_hot300(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)e;
	if (p % 128 < 10 && p / 128 < 30)
		return true;
	return rnd(s) % 4096 < 8;
}

static void test_hot_set_waits(void)
{
	struct trace_epochs *tr = make_trace(4096, 100, 100000, w_hot300);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct sim_result q, p;
	double bws[] = { 1500, 2500, 4000 };	/* pages/s */
	unsigned int i, k;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	for (i = 0; i < 3; i++) {
		uint64_t tagged = 0, wasted = 0;

		if (!ASSERT_OK(run(t, &sim_algo_qemu, bws[i], 0.3, 5, &q),
			       "qemu") ||
		    !ASSERT_OK(run(t, &sim_algo_prob, bws[i], 0.3, 5, &p),
			       "prob"))
			continue;
		printf("  %4.0f pages/s: qemu %llu pages, prob %llu (%.3f), "
		       "wasted %llu vs %llu\n", bws[i],
		       (unsigned long long)q.pages_sent,
		       (unsigned long long)p.pages_sent,
		       (double)p.pages_sent / q.pages_sent,
		       (unsigned long long)q.wasted_sends,
		       (unsigned long long)p.wasted_sends);
		ASSERT_TRUE(p.converged && p.verified, "prob converges");
		ASSERT_LE(p.downtime_s, 0.3 + 1e-9, "within the limit");
		ASSERT_LE((double)p.pages_sent, 0.95 * (double)q.pages_sent,
			  "prob sends >= 5 % fewer pages than qemu");
		ASSERT_EQ(p.pages_sent, p.pages + p.wasted_sends +
			  p.clean_sends, "accounting adds up");
		ASSERT_EQ(p.nr_tags, SIM_TAGS, "prob tags its sends");
		for (k = 0; k < p.nr_tags; k++) {
			tagged += p.tag_sent[k];
			wasted += p.tag_wasted[k];
		}
		ASSERT_EQ(tagged, p.live_pages, "every live send tagged");
		ASSERT_EQ(wasted, p.wasted_sends, "every waste tagged");
		ASSERT_EQ(q.nr_tags, 0, "qemu does not tag");
	}
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
}

/* Uniform random writes: nothing to predict. prob must stay within 2 %
 * of QEMU in pages (and so time) at every bandwidth, converged or not. */
static bool w_uniform(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)e;
	(void)p;
	return rnd(s) % 1000 < 15;
}

static void test_regret_uniform(void)
{
	struct trace_epochs *tr = make_trace(4096, 100, 100000, w_uniform);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct sim_result q, p;
	double bws[] = { 800, 1200, 2000, 4000, 10000 };	/* pages/s */
	unsigned int i;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	for (i = 0; i < 5; i++) {
		if (!ASSERT_OK(run(t, &sim_algo_qemu, bws[i], 0.3, 5, &q),
			       "qemu") ||
		    !ASSERT_OK(run(t, &sim_algo_prob, bws[i], 0.3, 5, &p),
			       "prob"))
			continue;
		printf("  %5.0f pages/s: qemu %llu pages%s, prob %llu%s "
		       "(%.3f)\n", bws[i], (unsigned long long)q.pages_sent,
		       q.converged ? "" : " (not converged)",
		       (unsigned long long)p.pages_sent,
		       p.converged ? "" : " (not converged)",
		       (double)p.pages_sent / q.pages_sent);
		ASSERT_LE((double)p.pages_sent, 1.02 * (double)q.pages_sent,
			  "prob within 2 % of qemu");
		if (q.converged)
			ASSERT_TRUE(p.converged, "converges where qemu does");
	}
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
}

/* A batch job sweeps half of memory in address order, 1024 pages an
 * epoch, every 40 epochs (a GC sweep, a scan, a checkpoint); a small hot
 * set is written every epoch; the rest is never written. A swept page is
 * safe for the next 30 epochs and due after that: the renewal part of the
 * model (renewal.h) knows it, so prob must send clearly fewer pages than
 * QEMU, which re-sends the swept half on every pass. */
static bool w_sweep(unsigned int e, uint64_t p, unsigned int *s)
{
	unsigned int ph = e % 40;

	(void)s;
	if (p >= 8192 && p < 8208)
		return true;
	return ph < 8 && p >= ph * 1024u && p < (ph + 1) * 1024u;
}

/* Three ring buffers appended to in address order, 64 pages an epoch
 * each, through memory never written before (a recorder, a capture, a
 * log): the pages just ahead of a front are next (front.h). */
static bool w_rings(unsigned int e, uint64_t p, unsigned int *s)
{
	uint64_t r = p / 8192, o = p % 8192;

	(void)s;
	return r < 3 && o >= 1000 + (uint64_t)e * 64 &&
	       o < 1000 + (uint64_t)(e + 1) * 64;
}

static void test_periodic_and_fronts(void)
{
	static const struct {
		const char *name;
		write_fn fn;
		uint64_t pages;
		double bw;		/* pages/s */
		double most;		/* prob/qemu at most */
	} c[] = {
		{ "sweep", w_sweep, 16384, 2500, 0.85 },
		{ "rings", w_rings, 32768, 2500, 0.95 },
	};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct trace_epochs *tr = make_trace(c[i].pages, 100, 100000,
						     c[i].fn);
		struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
		struct sim_result q, p, s, o;

		if (!ASSERT_NOT_NULL(t, "trace"))
			goto next;
		if (!ASSERT_OK(run(t, &sim_algo_qemu, c[i].bw, 0.3, 5, &q),
			       "qemu") ||
		    !ASSERT_OK(run(t, &sim_algo_prob, c[i].bw, 0.3, 5, &p),
			       "prob") ||
		    !ASSERT_OK(run_p(t, &sim_algo_prob, c[i].bw, 0.3, 5,
				     "prob.max_horizon=4", &s), "prob short") ||
		    !ASSERT_OK(run(t, &sim_algo_oracle, c[i].bw, 0.3, 5, &o),
			       "oracle"))
			goto next;
		printf("  %s: qemu %llu pages, prob %llu (%.3f), prob with "
		       "the epoch model only %llu (%.3f), oracle %llu (%.3f)\n",
		       c[i].name, (unsigned long long)q.pages_sent,
		       (unsigned long long)p.pages_sent,
		       (double)p.pages_sent / q.pages_sent,
		       (unsigned long long)s.pages_sent,
		       (double)s.pages_sent / q.pages_sent,
		       (unsigned long long)o.pages_sent,
		       (double)o.pages_sent / q.pages_sent);
		ASSERT_TRUE(p.converged && p.verified, "prob converges");
		ASSERT_LE((double)p.pages_sent, c[i].most * (double)q.pages_sent,
			  "prob sends clearly fewer pages than qemu");
		ASSERT_LE((double)p.pages_sent, 0.95 * (double)s.pages_sent,
			  "the long horizon is what does it");
next:
		sim_trace__free(t);
		trace_epochs__free(tr);
	}
}

/* Pages 900..999 are written once, in the epoch [1.0, 1.1) s; the
 * migration starts at 1.0 s at 2048 pages/s, so QEMU's first pass sends
 * them at 1.44..1.49 s, after that write. Exactly, they are clean then;
 * QEMU's log (taken at syncs) still has them at the next sync, so it
 * sends them again. */
static bool w_once(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)s;
	return e == 10 && p >= 900 && p < 1000;
}

static void test_sync_log(void)
{
	struct trace_epochs *tr = make_trace(1024, 30, 100000, w_once);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct trace_epochs *tr2 = make_trace(1024, 60, 100000, w_hotcold);
	struct sim_trace *t2 = tr2 ? sim_trace__new(tr2, NULL, 0) : NULL;
	struct sim_result r, x;
	struct sim_config c;
	char err[256];
	unsigned int a;

	if (!ASSERT_NOT_NULL(t, "trace") || !ASSERT_NOT_NULL(t2, "trace"))
		goto out;
	sim_config__default(&c, 2048 * 4096.0, 0.3);
	c.start_s = 1.0;
	ASSERT_EQ(c.dirty_log, SIM_LOG_SYNC, "QEMU's log by default");
	c.dirty_log = SIM_LOG_EXACT;
	if (ASSERT_OK(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		      "exact")) {
		ASSERT_EQ(r.pages_sent, 1024, "exact: each page once");
		ASSERT_EQ(r.final_pages, 0, "exact: nothing dirty at sync 2");
	}
	c.dirty_log = SIM_LOG_SYNC;
	if (ASSERT_OK(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		      "sync")) {
		ASSERT_EQ(r.live_pages, 1024, "sync: one pass");
		ASSERT_EQ(r.final_pages, 100, "sync: the 100 pages written "
			  "before their send are dirty at sync 2");
		ASSERT_EQ(r.wasted_sends, 100, "their first sends wasted");
		ASSERT_TRUE(r.verified, "destination == source");
	}
	/* every algorithm under QEMU's log: verified, accounting adds up,
	 * qemu never sends fewer pages than with the exact log */
	for (a = 0; sim_algos[a]; a++) {
		c.dirty_log = SIM_LOG_SYNC;
		if (!ASSERT_OK(sim__run(t2, sim_algos[a], &c, &r, err,
					sizeof(err)), sim_algos[a]->name))
			continue;
		ASSERT_TRUE(r.verified, "sync log: destination == source");
		ASSERT_EQ(r.pages_sent, 1024 + r.wasted_sends + r.clean_sends,
			  "sync log: pages + wasted + redundant sends");
		if (sim_algos[a] != &sim_algo_qemu)
			continue;
		c.dirty_log = SIM_LOG_EXACT;
		if (ASSERT_OK(sim__run(t2, sim_algos[a], &c, &x, err,
				       sizeof(err)), "qemu exact"))
			ASSERT_GE(r.pages_sent, x.pages_sent, "qemu: the sync "
				  "log sends no fewer pages");
	}
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
	sim_trace__free(t2);
	trace_epochs__free(tr2);
}

/* qemu.threshold_sync=1 (the default; 0 syncs at pass ends): from the
 * second iteration on, QEMU sends until only `budget` dirty pages are
 * unsent, then syncs (migration_iteration_run's pending estimate <
 * threshold_size), its search going on from where it was. The per-sync
 * log says how many it sends. */
static void test_threshold_sync(void)
{
	struct trace_epochs *tr = make_trace(1024, 100, 100000, w_random);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	const char *param[] = { "qemu.threshold_sync=0",
				"qemu.threshold_sync=1" };
	struct sim_result r, x;
	struct sim_config c;
	char err[256], *log = NULL, *line;
	size_t loglen = 0;
	unsigned long long it, dirty, sent, syncs = 0, bad = 0;
	FILE *f;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	sim_config__default(&c, 1000 * 4096.0, 0.1);	/* budget 100 */
	c.start_s = 1.0;
	c.dirty_log = SIM_LOG_SYNC;
	c.nr_params = 1;
	c.params[0] = param[0];
	if (!ASSERT_OK(sim__run(t, &sim_algo_qemu, &c, &x, err, sizeof(err)),
		       "pass-end syncs"))
		goto out;
	f = open_memstream(&log, &loglen);
	if (!ASSERT_NOT_NULL(f, "log"))
		goto out;
	c.log = f;
	c.params[0] = param[1];
	if (!ASSERT_OK(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		       "threshold syncs")) {
		fclose(f);
		goto out;
	}
	fclose(f);
	for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "qemu: sync %llu at %*f s: %llu dirty, send "
			   "%llu", &it, &dirty, &sent) != 3)
			continue;
		syncs++;
		if (it == 1 ? sent != dirty : sent != dirty - r.budget)
			bad++;
	}
	ASSERT_EQ(r.budget, 100, "budget");
	ASSERT_GE(syncs, 2, "more than one iteration");
	ASSERT_EQ(bad, 0, "first: the whole pass; then: until budget left");
	ASSERT_TRUE(r.verified, "destination == source");
	ASSERT_GE(r.iterations, x.iterations + 1, "more, shorter iterations");
	printf("  qemu, pass-end syncs: %llu pages in %llu iterations; "
	       "threshold syncs: %llu in %llu\n",
	       (unsigned long long)x.pages_sent,
	       (unsigned long long)x.iterations,
	       (unsigned long long)r.pages_sent,
	       (unsigned long long)r.iterations);
	c.params[0] = "qemu.threshold_sync=2";
	ASSERT_EQ(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		  -EINVAL, "threshold_sync is 0 or 1");
out:
	free(log);
	sim_trace__free(t);
	trace_epochs__free(tr);
}

/* 1024 pages, of which 0..99 were written before the start and never
 * again: the rest is zero pages. */
static bool w_data100(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)s;
	return e < 5 && p < 100;
}

static void test_zero_pages(void)
{
	struct trace_epochs *tr = make_trace(1024, 30, 100000, w_data100);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	const struct sim_algo *algos[] = { &sim_algo_qemu, &sim_algo_prob };
	uint64_t nz[16];
	struct sim_result r;
	struct sim_config c;
	char err[256];
	unsigned int i;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	/* 1000 pages/s, 50 ms: budget 50 pages, so the 1024 dirty pages
	 * (zero pages count, as in QEMU's pending estimate) do not fit */
	sim_config__default(&c, 1000 * 4096.0, 0.05);
	c.start_s = 1.0;
	for (i = 0; i < 2; i++) {
		c.zero_pages = false;
		if (ASSERT_OK(sim__run(t, algos[i], &c, &r, err, sizeof(err)),
			      "no zero pages"))
			ASSERT_EQ(r.pages_sent, 1024, "every page costs a slot");
		c.zero_pages = true;
		if (!ASSERT_OK(sim__run(t, algos[i], &c, &r, err, sizeof(err)),
			       "zero pages"))
			continue;
		printf("  %s: %llu pages, %llu zero pages, %.3f s\n",
		       algos[i]->name, (unsigned long long)r.pages_sent,
		       (unsigned long long)r.zero_sends, r.total_time_s);
		ASSERT_EQ(r.pages_sent, 100, "the 100 written pages only");
		ASSERT_EQ(r.zero_sends, 924, "the others as zero pages");
		ASSERT_TRUE(fabs(r.total_time_s - 0.1) < 1e-6,
			    "zero pages take no time");
		ASSERT_GE(r.iterations, 1, "not stopped at once: the zero "
			  "pages count as dirty");
		ASSERT_TRUE(r.verified, "destination == source");
	}
	/* pages 100..199 are non-zero from the start, unwritten */
	memset(nz, 0, sizeof(nz));
	for (i = 100; i < 200; i++)
		nz[i / 64] |= 1ULL << (i % 64);
	c.zero_pages = true;
	c.nonzero = nz;
	if (ASSERT_OK(sim__run(t, &sim_algo_qemu, &c, &r, err, sizeof(err)),
		      "non-zero set")) {
		ASSERT_EQ(r.pages_sent, 200, "the non-zero set costs too");
		ASSERT_EQ(r.zero_sends, 824, "the rest is zero pages");
	}
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
}

/* ---- the future index and prob-clairvoyant -------------------------- */

/* 1024 pages, 30 epochs of 100 ms (a 3 s replay): page 0 written every
 * epoch, pages 900..999 once, in the epoch [1.0, 1.1) s, the rest never. */
static bool w_future(unsigned int e, uint64_t p, unsigned int *s)
{
	(void)s;
	return p == 0 || (e == 10 && p >= 900 && p < 1000);
}

#define FUT_START 0.5	/* s into the trace */

struct fut {
	struct sim *s;
	uint64_t *list;
	unsigned int before, after, bad;
};

static int fut_init(struct sim *s, void **state, char *err, size_t errlen)
{
	struct fut *f = calloc(1, sizeof(*f));

	(void)err;
	(void)errlen;
	if (!f)
		return -ENOMEM;
	f->s = s;
	f->list = malloc(sim__pages(s) * sizeof(*f->list));
	if (!f->list || sim__future_init(s)) {
		free(f->list);
		free(f);
		return -ENOMEM;
	}
	*state = f;
	return 0;
}

/* At every sync: page 1023 is never written; page 0 next within two
 * epochs; page 950 at its write in [1.0, 1.1) s while that is ahead, then
 * at the same write of the next replay, 3 s later. Sends 100 dirty pages
 * an iteration (page 1 again when none is dirty), stops after 3000. */
static int fut_sync(void *state, const struct sim_sync *v,
		    struct sim_decision *d)
{
	struct fut *f = state;
	double tt = FUT_START + v->now_s, n950 = sim__next_write_s(f->s, 950);
	double n0 = sim__next_write_s(f->s, 0);
	uint64_t n;
	bool ok;

	if (!isinf(sim__next_write_s(f->s, 1023)) || !(n0 >= 0 && n0 < 0.2))
		f->bad++;
	if (tt + n950 < 1.1) {
		ok = tt < 1.1 && tt + n950 >= 1.0 && n950 >= 0;
		f->before++;
	} else {
		ok = tt >= 1.0 && tt + n950 >= 4.0 && tt + n950 < 4.1;
		f->after++;
	}
	if (!ok) {
		printf("  at %.3f s: page 950 next in %.3f s\n", tt, n950);
		f->bad++;
	}
	if (v->slot >= 3000) {
		d->stop = true;
		return 0;
	}
	n = sim__bitmap_list(f->s, v->dirty, f->list);
	if (!n)		/* nothing dirty: let time pass with a clean send */
		f->list[n++] = 1;
	d->nr = n < 100 ? n : 100;
	d->pages = f->list;
	return 0;
}

static struct fut fut_seen;

static void fut_fini(void *state, struct sim_result *r)
{
	struct fut *f = state;

	(void)r;
	fut_seen = *f;
	free(f->list);
	free(f);
}

static const struct sim_algo future_probe = {
	.name = "future", .summary = "checks sim__next_write_s (test)",
	.init = fut_init, .sync = fut_sync, .fini = fut_fini,
};

static void test_future_index(void)
{
	struct trace_epochs *tr = make_trace(1024, 30, 100000, w_future);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	struct sim_result r;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	if (!ASSERT_OK(run(t, &future_probe, 2048, 0.3, FUT_START, &r),
		       "run"))
		goto out;
	printf("  %u syncs before page 950's write, %u after, %u wrong\n",
	       fut_seen.before, fut_seen.after, fut_seen.bad);
	ASSERT_GE(fut_seen.before, 5, "syncs before the write");
	ASSERT_GE(fut_seen.after, 5, "syncs after it");
	ASSERT_EQ(fut_seen.bad, 0, "next writes as the trace has them");
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
}

/* Uniform random writes: the model has nothing to go on, and prob sends
 * about what QEMU sends (test_regret_uniform); fed the true next writes,
 * the same planner reaches the oracle's pages: its distance to the
 * oracle is the policy's share of prob's, none here. */
static void test_clairvoyant_reaches_oracle(void)
{
	struct trace_epochs *tr = make_trace(4096, 100, 100000, w_uniform);
	struct sim_trace *t = tr ? sim_trace__new(tr, NULL, 0) : NULL;
	double bws[] = { 1200, 2000 };	/* pages/s: where qemu repeats */
	struct sim_result p, c, o;
	unsigned int i;

	if (!ASSERT_NOT_NULL(t, "trace"))
		goto out;
	for (i = 0; i < 2; i++) {
		if (!ASSERT_OK(run(t, &sim_algo_prob, bws[i], 0.3, 5, &p),
			       "prob") ||
		    !ASSERT_OK(run(t, &sim_algo_prob_clairvoyant, bws[i], 0.3,
				   5, &c), "prob-clairvoyant") ||
		    !ASSERT_OK(run(t, &sim_algo_oracle, bws[i], 0.3, 5, &o),
			       "oracle"))
			continue;
		printf("  %5.0f pages/s: prob %llu pages, prob-clairvoyant "
		       "%llu, oracle %llu\n", bws[i],
		       (unsigned long long)p.pages_sent,
		       (unsigned long long)c.pages_sent,
		       (unsigned long long)o.pages_sent);
		ASSERT_TRUE(c.converged && c.verified, "it converges");
		ASSERT_LE((double)c.pages_sent, 1.01 * (double)o.pages_sent,
			  "within 1 % of the oracle");
		ASSERT_LE((double)c.pages_sent, 0.95 * (double)p.pages_sent,
			  "clearly fewer than prob");
	}
out:
	sim_trace__free(t);
	trace_epochs__free(tr);
}

/* Pages 0..399 start a hot phase (30 % of epochs) just as the migration
 * starts at 5 s; the rest is a 0.5 % background. */
static bool w_late_hot(unsigned int e, uint64_t p, unsigned int *s)
{
	return rnd(s) % 1000 < (p < 400 && e >= 50 ? 300u : 5u);
}

/* prob-rates takes each page's hazard from its writes in the trace within
 * a window around now (past and future). Where the writes are uniform,
 * rates say nothing (only the window's chance counts do, a page with no
 * write in its future half being clean that long): it stays well above
 * the oracle, which prob-clairvoyant reaches on the same trace. Where a
 * hot phase starts with the migration, the model has no record of it and
 * sends those pages in its first pass; the window sees it: fewer pages.
 * A broken window (no counts, or counts of the wrong pages) fails the
 * second; a window that ends now (ahead=0) cannot see it coming. */
static void test_rates_diagnostic(void)
{
	struct trace_epochs *tu = make_trace(4096, 100, 100000, w_uniform);
	struct trace_epochs *tl = make_trace(4096, 150, 100000, w_late_hot);
	struct sim_trace *u = tu ? sim_trace__new(tu, NULL, 0) : NULL;
	struct sim_trace *l = tl ? sim_trace__new(tl, NULL, 0) : NULL;
	struct sim_result p, r, o;

	if (!ASSERT_NOT_NULL(u, "uniform trace") ||
	    !ASSERT_NOT_NULL(l, "late-hot trace"))
		goto out;
	if (ASSERT_OK(run(u, &sim_algo_prob, 1200, 0.3, 5, &p), "prob") &&
	    ASSERT_OK(run(u, &sim_algo_prob_rates, 1200, 0.3, 5, &r),
		      "prob-rates") &&
	    ASSERT_OK(run(u, &sim_algo_oracle, 1200, 0.3, 5, &o), "oracle")) {
		printf("  uniform: prob %llu pages, prob-rates %llu, oracle "
		       "%llu\n", (unsigned long long)p.pages_sent,
		       (unsigned long long)r.pages_sent,
		       (unsigned long long)o.pages_sent);
		ASSERT_TRUE(r.converged && r.verified, "uniform: converges");
		ASSERT_LE((double)r.pages_sent, 1.05 * (double)p.pages_sent,
			  "uniform: no worse than prob");
		ASSERT_LE(1.05 * (double)o.pages_sent, (double)r.pages_sent,
			  "uniform: rates alone do not reach the oracle");
	}
	if (ASSERT_OK(run(l, &sim_algo_prob, 2000, 0.3, 5, &p), "prob") &&
	    ASSERT_OK(run(l, &sim_algo_prob_rates, 2000, 0.3, 5, &r),
		      "prob-rates")) {
		printf("  late hot set: prob %llu pages, prob-rates %llu\n",
		       (unsigned long long)p.pages_sent,
		       (unsigned long long)r.pages_sent);
		ASSERT_TRUE(r.converged && r.verified, "late: converges");
		ASSERT_LE((double)r.pages_sent, 0.95 * (double)p.pages_sent,
			  "late: the window sees the hot phase coming");
		/* a window that ends now (a causal count) does not */
		if (ASSERT_OK(run_p(l, &sim_algo_prob_rates, 2000, 0.3, 5,
				    "prob-rates.ahead=0", &o), "causal")) {
			printf("  late hot set, window in the past: %llu\n",
			       (unsigned long long)o.pages_sent);
			ASSERT_TRUE(o.converged && o.verified,
				    "causal: converges");
			ASSERT_LE(1.05 * (double)r.pages_sent,
				  (double)o.pages_sent,
				  "causal: the phase is seen only once it came");
		}
	}
out:
	sim_trace__free(u);
	sim_trace__free(l);
	trace_epochs__free(tu);
	trace_epochs__free(tl);
}

int main(void)
{
	RUN_TEST(test_invariants_and_bound);
	RUN_TEST(test_oracle_exhaustive);
	RUN_TEST(test_known_answers);
	RUN_TEST(test_no_switchover_before_a_measurement);
	RUN_TEST(test_hot_set_waits);
	RUN_TEST(test_regret_uniform);
	RUN_TEST(test_periodic_and_fronts);
	RUN_TEST(test_future_index);
	RUN_TEST(test_clairvoyant_reaches_oracle);
	RUN_TEST(test_rates_diagnostic);
	RUN_TEST(test_sync_log);
	RUN_TEST(test_threshold_sync);
	RUN_TEST(test_zero_pages);
	RUN_TEST(test_loops);
	RUN_TEST(test_rejects);
	return harness_finish();
}
