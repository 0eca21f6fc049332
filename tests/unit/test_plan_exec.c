// SPDX-License-Identifier: GPL-2.0
/* test_plan_exec.c - the execution of plans (plan_exec_* of plan_ring.c),
 * the code the patched QEMU and the simulator's prob both run: the window
 * ends an iteration, pages already clean are skipped, deferred pages stay
 * dirty, STOP is honoured only within the caller's own limit, no plan or a
 * lost planner means stock, the wait for a late plan is bounded, and a
 * whole migration driven through it delivers every page. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model/planner.h"
#include "ring/plan_ring.h"
#include "ring/plan_serve.h"
#include "util/bitops.h"

#define PAGES 1024
#define WORDS (PAGES / 64)
#define T0 1000000000ULL	/* a sync time, ns */

static uint64_t dirty[WORDS];

static void set_dirty(uint64_t p)
{
	dirty[p / 64] |= 1ULL << (p % 64);
}

static void clear_dirty(uint64_t p)
{
	dirty[p / 64] &= ~(1ULL << (p % 64));
}

static bool is_dirty(uint64_t p)
{
	return dirty[p / 64] >> (p % 64) & 1;
}

static uint64_t count_dirty(void)
{
	uint64_t n = 0, w;

	for (w = 0; w < WORDS; w++)
		n += pop64(dirty[w]);
	return n;
}

/* plan_exec_dirty_fn over the test's bitmap; counts its calls */
static unsigned long calls;
static uint64_t next_dirty(void *opaque, uint64_t from, uint64_t end)
{
	(void)opaque;
	calls++;
	for (; from < end; from++)
		if (is_dirty(from))
			return from;
	return end;
}

/* A plan in a buffer big enough for a few ranges. */
static union {
	struct plan_ring_plan p;
	char b[sizeof(struct plan_ring_plan) + 16 * sizeof(struct plan_ring_range)];
} pb[2];

/* Plan `id` (into pb[id % 2]): action, window, send ranges then deferred
 * ranges as (start, len) pairs. */
static struct plan_ring_plan *mkplan(uint64_t id, uint32_t action,
				     uint64_t window, unsigned int nsend,
				     unsigned int ndef, const uint64_t *pairs)
{
	struct plan_ring_plan *p = &pb[id % 2].p;
	unsigned int i;

	memset(&pb[id % 2], 0, sizeof(pb[0]));
	p->id = id;
	p->action = action;
	p->window = window;
	p->nr_send = nsend;
	p->nr_deferred = ndef;
	for (i = 0; i < nsend + ndef; i++) {
		p->ranges[i].start = pairs[2 * i];
		p->ranges[i].len = pairs[2 * i + 1];
		if (i < nsend)
			p->send_pages += pairs[2 * i + 1];
		else
			p->deferred_pages += pairs[2 * i + 1];
	}
	return p;
}

/* Send the page: clean it and count it. */
static void send(struct plan_exec *e, uint64_t p)
{
	clear_dirty(p);
	plan_exec_sent(e, 1);
}

static void test_window_and_clean_pages(void)
{
	/* send order 10..12, 5..6, 100; window 4; 11 and 5 are clean */
	static const uint64_t pairs[] = { 10, 3, 5, 2, 100, 1 };
	struct plan_exec e;
	uint64_t pg, got[8];
	unsigned int n = 0;

	memset(dirty, 0, sizeof(dirty));
	set_dirty(10), set_dirty(12), set_dirty(6), set_dirty(100);
	set_dirty(500);
	plan_exec_init(&e, true);
	plan_exec_begin(&e, 1, T0);
	plan_exec_adopt(&e, mkplan(1, PLAN_ACT_SEND, 4, 3, 0, pairs));
	ASSERT_EQ(plan_exec_mode(&e, T0), PLAN_EXEC_FOLLOW, "a plan in force");
	while (n < 8 && plan_exec_next(&e, next_dirty, NULL, &pg)) {
		got[n++] = pg;
		send(&e, pg);
	}
	ASSERT_EQ(n, 4, "the four dirty pages of the order");
	ASSERT_TRUE(n == 4 && got[0] == 10 && got[1] == 12 && got[2] == 6 &&
		    got[3] == 100, "in the plan's order, clean 11 and 5 skipped");
	ASSERT_TRUE(plan_exec_done(&e), "window of 4 used up: the iteration ends");
	ASSERT_TRUE(e.window_full, "ended by its window");
	ASSERT_EQ(plan_exec_next(&e, next_dirty, NULL, &pg), 0,
		  "nothing more once the window is used");
	ASSERT_TRUE(is_dirty(500), "page 500 waits for the next iteration");

	/* window 3: the own order does not go past it either */
	memset(dirty, 0, sizeof(dirty));
	set_dirty(10), set_dirty(20), set_dirty(30), set_dirty(40);
	plan_exec_begin(&e, 2, T0);
	plan_exec_adopt(&e, mkplan(2, PLAN_ACT_SEND, 3, 1, 0, pairs));
	ASSERT_TRUE(plan_exec_next(&e, next_dirty, NULL, &pg) && pg == 10,
		    "order first");
	send(&e, pg);
	ASSERT_EQ(plan_exec_next(&e, next_dirty, NULL, &pg), 0, "order done");
	for (pg = 0; !plan_exec_done(&e);) {
		pg = plan_exec_undeferred(&e, next_dirty, NULL, pg, PAGES);
		if (!ASSERT_TRUE(pg < PAGES, "own order finds a page"))
			break;
		send(&e, pg);
	}
	ASSERT_EQ(e.sent, 3, "three pages in the iteration");
	ASSERT_TRUE(is_dirty(40), "the fourth waits");

	/* window 0: no limit */
	plan_exec_begin(&e, 3, T0);
	plan_exec_adopt(&e, mkplan(3, PLAN_ACT_SEND, 0, 0, 0, pairs));
	plan_exec_sent(&e, 100000);
	ASSERT_FALSE(plan_exec_done(&e), "window 0 never ends an iteration");
}

static void test_deferred_kept_dirty(void)
{
	/* deferred 200..203 and 300; order 200 (deferred too: order wins) */
	static const uint64_t pairs[] = { 250, 1, 200, 4, 300, 1 };
	struct plan_exec e;
	uint64_t pg;
	int i;

	memset(dirty, 0, sizeof(dirty));
	for (i = 198; i < 206; i++)
		set_dirty(i);
	set_dirty(300);
	set_dirty(301);
	plan_exec_init(&e, true);
	plan_exec_begin(&e, 1, T0);
	plan_exec_adopt(&e, mkplan(1, PLAN_ACT_SEND, 100, 1, 2, pairs));
	ASSERT_TRUE(plan_exec_deferring(&e), "deferring");
	ASSERT_EQ(plan_exec_next(&e, next_dirty, NULL, &pg), 0,
		  "250 is clean: the order has nothing");
	for (pg = 0;;) {
		pg = plan_exec_undeferred(&e, next_dirty, NULL, pg, PAGES);
		if (pg >= PAGES)
			break;
		ASSERT_TRUE(pg < 200 || pg > 203, "a deferred page is not sent");
		ASSERT_NE(pg, 300, "deferred 300 is not sent");
		send(&e, pg);
	}
	ASSERT_EQ(e.sent, 5, "198, 199, 204, 205, 301 sent");
	ASSERT_EQ(count_dirty(), 5, "the five deferred pages stay dirty");
	ASSERT_TRUE(is_dirty(200) && is_dirty(203) && is_dirty(300),
		    "deferred pages dirty");
	ASSERT_TRUE(plan_exec_exhausted(&e), "only deferred pages: ends");
	ASSERT_TRUE(plan_exec_done(&e) && e.exhausted, "done, exhausted");
	/* the sync: nothing forbids switching over by the caller's rule, but
	 * the plan said SEND: it holds */
	plan_exec_begin(&e, 2, T0 + 1);
	ASSERT_FALSE(plan_exec_switchover(&e, true, false),
		     "SEND: no switchover on the caller's rule");
	ASSERT_EQ(e.n_held, 1, "counted as held");

	/* the next plan defers them again and nothing else is dirty: the
	 * iteration ends with nothing sent; the one after that drops the
	 * deferral instead of ending again */
	plan_exec_adopt(&e, mkplan(2, PLAN_ACT_SEND, 100, 0, 2, pairs + 2));
	ASSERT_TRUE(plan_exec_exhausted(&e), "first empty round ends");
	plan_exec_begin(&e, 3, T0 + 2);
	plan_exec_switchover(&e, false, false);
	plan_exec_adopt(&e, mkplan(3, PLAN_ACT_SEND, 100, 0, 2, pairs + 2));
	ASSERT_FALSE(plan_exec_exhausted(&e), "second: deferral dropped");
	ASSERT_FALSE(plan_exec_deferring(&e), "no longer deferring");
	ASSERT_EQ(plan_exec_undeferred(&e, next_dirty, NULL, 0, PAGES), 200,
		  "deferred pages are sent now");
	ASSERT_EQ(e.n_defer_off, 1, "counted");
}

static void test_stop_within_limit(void)
{
	static const uint64_t pairs[] = { 0, 8, 40, 2 };
	struct plan_exec e;
	uint64_t pg;

	memset(dirty, 0, sizeof(dirty));
	set_dirty(1), set_dirty(2), set_dirty(40);
	plan_exec_init(&e, true);
	plan_exec_begin(&e, 4, T0);
	plan_exec_adopt(&e, mkplan(1, PLAN_ACT_STOP, 0, 1, 0, pairs));
	ASSERT_TRUE(plan_exec_done(&e), "STOP ends the iteration at once");
	ASSERT_EQ(plan_exec_next(&e, next_dirty, NULL, &pg), 0,
		  "STOP sends nothing");
	/* the sync; the caller's own check fails: refused */
	plan_exec_begin(&e, 5, T0 + 1);
	ASSERT_FALSE(plan_exec_switchover(&e, false, false),
		     "STOP above the caller's limit: no switchover");
	ASSERT_EQ(e.n_refused, 1, "refusal counted");
	ASSERT_EQ(plan_exec_mode(&e, T0 + 1), PLAN_EXEC_STOCK,
		  "the next iteration runs the caller's own rules");
	plan_exec_adopt(&e, mkplan(2, PLAN_ACT_STOP, 1, 2, 0, pairs));
	ASSERT_EQ(plan_exec_mode(&e, T0 + 1), PLAN_EXEC_STOCK,
		  "its plans are ignored");
	ASSERT_FALSE(plan_exec_done(&e), "it does not end on a plan");
	ASSERT_EQ(plan_exec_next(&e, next_dirty, NULL, &pg), 0, "no order");
	ASSERT_EQ(plan_exec_undeferred(&e, next_dirty, NULL, 0, PAGES), 1,
		  "own address order");
	/* the caller syncs by its own rule and switches over by it */
	plan_exec_begin(&e, 6, T0 + 2);
	ASSERT_TRUE(plan_exec_switchover(&e, true, false),
		    "the caller's rule holds: switch over");
	ASSERT_TRUE(e.following, "still following (a refusal is no miss)");

	/* STOP and the caller's check holds: switch over */
	plan_exec_adopt(&e, mkplan(3, PLAN_ACT_STOP, 0, 0, 0, pairs));
	ASSERT_TRUE(plan_exec_done(&e), "STOP");
	plan_exec_begin(&e, 7, T0 + 3);
	ASSERT_TRUE(plan_exec_switchover(&e, true, false),
		    "STOP within the limit: switch over");
	ASSERT_EQ(e.n_stop, 2, "two STOPs ended iterations");
}

static void test_holds_net(void)
{
	static const uint64_t pairs[] = { 0, 1 };
	struct plan_exec e;
	unsigned int i;
	bool sw = false;

	plan_exec_init(&e, true);
	plan_exec_begin(&e, 1, T0);
	for (i = 1; i <= PLAN_EXEC_HOLDS && !sw; i++) {
		plan_exec_adopt(&e, mkplan(i, PLAN_ACT_SEND, 1, 1, 0, pairs));
		plan_exec_sent(&e, 1);
		ASSERT_TRUE(plan_exec_done(&e), "window");
		plan_exec_begin(&e, i + 1, T0 + i);
		sw = plan_exec_switchover(&e, true, false);
	}
	ASSERT_EQ(i - 1, PLAN_EXEC_HOLDS, "the net switches over after "
		  "PLAN_EXEC_HOLDS syncs its rule allowed");
	ASSERT_TRUE(sw, "switched over");
	ASSERT_EQ(e.n_held_out, 1, "counted");
	/* a sync where the caller's rule fails resets the count */
	plan_exec_init(&e, true);
	plan_exec_begin(&e, 1, T0);
	for (i = 1; i < 3 * PLAN_EXEC_HOLDS; i++) {
		plan_exec_adopt(&e, mkplan(i, PLAN_ACT_SEND, 1, 1, 0, pairs));
		plan_exec_sent(&e, 1);
		plan_exec_done(&e);
		plan_exec_begin(&e, i + 1, T0 + i);
		if (plan_exec_switchover(&e, i % 4 != 0, false))
			break;
	}
	ASSERT_EQ(i, 3 * PLAN_EXEC_HOLDS, "never PLAN_EXEC_HOLDS in a row");
}

static void test_no_plan_is_stock(void)
{
	static const uint64_t pairs[] = { 5, 1, 7, 3 };
	struct plan_exec e;
	uint64_t pg;

	memset(dirty, 0, sizeof(dirty));
	set_dirty(7), set_dirty(9);
	/* a planner that is not live: stock from the start */
	plan_exec_init(&e, false);
	plan_exec_begin(&e, 1, T0);
	ASSERT_EQ(plan_exec_mode(&e, T0), PLAN_EXEC_STOCK, "stock");
	ASSERT_FALSE(plan_exec_done(&e), "no plan never ends an iteration");
	ASSERT_FALSE(plan_exec_deferring(&e), "no deferral");
	ASSERT_EQ(plan_exec_next(&e, next_dirty, NULL, &pg), 0, "no order");
	ASSERT_EQ(plan_exec_undeferred(&e, next_dirty, NULL, 0, PAGES), 7,
		  "plain address order");
	plan_exec_sent(&e, 1000);
	ASSERT_FALSE(plan_exec_done(&e), "no window");
	plan_exec_begin(&e, 2, T0 + 1);
	ASSERT_TRUE(plan_exec_switchover(&e, true, false),
		    "the caller's own rule decides");
	ASSERT_FALSE(plan_exec_switchover(&e, false, false), "both ways");

	/* following, then the planner goes stale: stock at once */
	plan_exec_adopt(&e, mkplan(1, PLAN_ACT_SEND, 1, 1, 1, pairs));
	ASSERT_EQ(plan_exec_mode(&e, T0 + 1), PLAN_EXEC_FOLLOW, "following");
	plan_exec_lost(&e);
	ASSERT_EQ(plan_exec_mode(&e, T0 + 1), PLAN_EXEC_STOCK, "lost: stock");
	ASSERT_EQ(plan_exec_undeferred(&e, next_dirty, NULL, 0, PAGES), 7,
		  "the stale plan's deferral is gone");
	plan_exec_begin(&e, 3, T0 + 2);
	ASSERT_EQ(plan_exec_mode(&e, T0 + 2), PLAN_EXEC_STOCK,
		  "no wait for a planner that is gone");
	ASSERT_TRUE(plan_exec_switchover(&e, true, false), "stock switchover");

	/* following and plans stop coming: WAIT for a bounded time, then
	 * stock; PLAN_EXEC_MISSES iterations without a plan end following */
	plan_exec_init(&e, true);
	plan_exec_begin(&e, 2, T0);
	ASSERT_EQ(plan_exec_mode(&e, T0 + 1000), PLAN_EXEC_WAIT, "wait");
	ASSERT_EQ(plan_exec_mode(&e, T0 + PLAN_EXEC_GRACE_NS), PLAN_EXEC_STOCK,
		  "late: stock for the rest of the iteration");
	ASSERT_EQ(e.n_waits, 1, "one wait");
	ASSERT_EQ(e.n_late, 1, "one late plan");
	plan_exec_begin(&e, 3, T0 + 1);
	plan_exec_begin(&e, 4, T0 + 2);
	ASSERT_EQ(plan_exec_mode(&e, T0 + 2), PLAN_EXEC_WAIT, "two misses");
	plan_exec_begin(&e, 5, T0 + 3);
	ASSERT_EQ(plan_exec_mode(&e, T0 + 3), PLAN_EXEC_STOCK,
		  "three misses: stock, no wait");
	ASSERT_EQ(e.n_missed, 3, "misses counted");
	plan_exec_adopt(&e, mkplan(2, PLAN_ACT_SEND, 1, 1, 1, pairs));
	ASSERT_EQ(plan_exec_mode(&e, T0 + 3), PLAN_EXEC_FOLLOW,
		  "a plan again: following");
}

/*
 * The first iteration does not wait for its plan: the caller sends in its
 * own order until the plan comes, then follows it, the pages sent before
 * it counted in its window.
 */
static void test_first_iteration_does_not_wait(void)
{
	static const uint64_t pairs[] = { 0, 16 };
	struct plan_exec e;

	memset(dirty, 0, sizeof(dirty));
	set_dirty(3), set_dirty(9);
	plan_exec_init(&e, true);
	plan_exec_begin(&e, 1, T0);
	ASSERT_EQ(plan_exec_mode(&e, T0 + 1000), PLAN_EXEC_STOCK,
		  "iteration 1: no wait, the caller's own order");
	ASSERT_EQ(plan_exec_mode_now(&e), PLAN_EXEC_STOCK, "now too");
	ASSERT_EQ(e.n_waits, 0, "no wait counted");
	ASSERT_EQ(e.n_late, 0, "nor a late plan");
	ASSERT_FALSE(plan_exec_done(&e), "no plan ends nothing");
	plan_exec_sent(&e, 2);
	plan_exec_adopt(&e, mkplan(1, PLAN_ACT_SEND, 3, 1, 0, pairs));
	ASSERT_EQ(plan_exec_mode(&e, T0 + 2000), PLAN_EXEC_FOLLOW,
		  "its plan, late, is followed");
	ASSERT_FALSE(plan_exec_done(&e), "2 of a window of 3 sent");
	plan_exec_sent(&e, 1);
	ASSERT_TRUE(plan_exec_done(&e),
		    "the pages sent before the plan count in its window");
	plan_exec_begin(&e, 2, T0 + 3000);
	ASSERT_EQ(plan_exec_mode(&e, T0 + 3001), PLAN_EXEC_WAIT,
		  "iteration 2 waits for its plan");
}

/*
 * A small migration driven through the functions: 1024 pages, a hot set
 * 900..963 written every step (into a log merged into the dirty bitmap
 * at each sync, as QEMU does), a planner that defers the hot set and
 * sends the rest in a window of 64, and says STOP when the dirty pages
 * fit a budget of 100. The caller's check allows at most 50 at first
 * (refusing the first STOP: the caller then runs its own rules, sending
 * in address order until the dirty pages fit), then 100. Every page must
 * arrive with its last version, and the loop must end.
 */
static void test_driven_migration(void)
{
	static uint32_t version[PAGES], got[PAGES];
	static uint64_t logb[WORDS];
	static const uint64_t hot[] = { 900, 64 };
	struct plan_exec e;
	uint64_t iter = 1, pg, steps = 0, stops = 0, limit = 50, w;
	bool switched = false;
	unsigned int i;

	memset(version, 0, sizeof(version));
	memset(got, 0xff, sizeof(got));
	memset(dirty, 0xff, sizeof(dirty));
	memset(logb, 0, sizeof(logb));
	plan_exec_init(&e, true);
	plan_exec_begin(&e, iter, T0);
	while (!switched && steps < 100000) {
		uint64_t n = count_dirty();
		struct plan_ring_plan *p;

		p = n <= 100 ? mkplan(iter, PLAN_ACT_STOP, 0, 0, 0, hot)
			     : mkplan(iter, PLAN_ACT_SEND, 64, 0, 1, hot);
		stops += p->action == PLAN_ACT_STOP;
		plan_exec_adopt(&e, p);
		/* stock (after a refused STOP): address order until the
		 * dirty pages fit the limit, then sync */
		for (pg = 0; plan_exec_mode(&e, T0 + iter) == PLAN_EXEC_STOCK &&
		     count_dirty() > limit; steps++) {
			for (i = 900; i < 964; i++) {
				version[i]++;
				logb[i / 64] |= 1ULL << (i % 64);
			}
			pg = plan_exec_undeferred(&e, next_dirty, NULL, 0, PAGES);
			got[pg] = version[pg];
			send(&e, pg);
		}
		for (pg = 0; plan_exec_mode(&e, T0 + iter) == PLAN_EXEC_FOLLOW &&
		     !plan_exec_done(&e); steps++) {
			/* the guest writes its hot set */
			for (i = 900; i < 964; i++) {
				version[i]++;
				logb[i / 64] |= 1ULL << (i % 64);
			}
			if (plan_exec_next(&e, next_dirty, NULL, &pg)) {
				;
			} else {
				pg = plan_exec_undeferred(&e, next_dirty, NULL,
							  0, PAGES);
				if (pg >= PAGES) {
					if (!plan_exec_exhausted(&e))
						continue;
					break;
				}
			}
			got[pg] = version[pg];
			send(&e, pg);
		}
		/* the sync */
		for (w = 0; w < WORDS; w++) {
			dirty[w] |= logb[w];
			logb[w] = 0;
		}
		iter++;
		plan_exec_begin(&e, iter, T0 + iter);
		n = count_dirty();
		switched = plan_exec_switchover(&e, n <= limit, n == 0);
		if (e.n_refused)
			limit = 100;
	}
	ASSERT_TRUE(switched, "the migration switched over");
	ASSERT_LE(count_dirty(), 100, "within the caller's limit");
	ASSERT_GE(stops, 1, "the plan said STOP");
	ASSERT_EQ(e.n_refused, 1, "one refusal, then the caller's rule");
	ASSERT_LE(count_dirty(), 64, "the hot set at most is left");
	/* stop-and-copy: every dirty page */
	for (pg = 0; pg < PAGES; pg++)
		if (is_dirty(pg))
			got[pg] = version[pg];
	for (pg = 0; pg < PAGES; pg++)
		if (got[pg] != version[pg])
			break;
	ASSERT_EQ(pg, PAGES, "every page arrived with its last version");
	ASSERT_LE(steps, 3 * PAGES, "hot pages were not sent over and over");
}

/* The simulator's path: a struct plan encoded as ring ranges
 * (plan_serve__encode) executes as the plan says. */
static void test_encoded_plan(void)
{
	static const uint64_t order[] = { 10, 11, 12, 5, 6, 100 };
	static union {
		struct plan_ring_plan p;
		char b[sizeof(struct plan_ring_plan) +
		       64 * sizeof(struct plan_ring_range)];
	} rp;
	struct plan_serve_pub pub;
	struct plan_exec e;
	struct plan *p = plan__new(PAGES);
	uint64_t pg, got[16];
	unsigned int n = 0, i;

	if (!ASSERT_NOT_NULL(p, "plan"))
		return;
	p->send = malloc(sizeof(order));
	if (!ASSERT_NOT_NULL(p->send, "send"))
		goto out;
	memcpy(p->send, order, sizeof(order));
	p->nr_send = 6;
	p->window = 8;
	p->action = PLAN_SEND;
	for (i = 200; i < 204; i++) {
		p->deferred[i / 64] |= 1ULL << (i % 64);
		p->risky[i / 64] |= 1ULL << (i % 64);
	}
	p->deferred[400 / 64] |= 1ULL << (400 % 64);	/* past the window */
	ASSERT_EQ(plan_serve__encode(p, PAGES, 64, &rp.p, &pub), 0,
		  "nothing cut");
	ASSERT_EQ(rp.p.nr_send, 3, "10-12, 5-6, 100");
	ASSERT_EQ(rp.p.nr_deferred, 1, "200-203 held back, 400 not");
	ASSERT_EQ(rp.p.window, 8, "window");
	rp.p.id = 1;
	memset(dirty, 0, sizeof(dirty));
	for (i = 0; i < 6; i++)
		set_dirty(order[i]);
	set_dirty(201), set_dirty(400), set_dirty(401), set_dirty(402);
	plan_exec_init(&e, true);
	plan_exec_begin(&e, 1, T0);
	plan_exec_adopt(&e, &rp.p);
	while (n < 16 && plan_exec_next(&e, next_dirty, NULL, &pg)) {
		got[n++] = pg;
		send(&e, pg);
	}
	ASSERT_EQ(n, 6, "the order");
	for (i = 0; i < n && i < 6; i++)
		ASSERT_EQ(got[i], order[i], "in order");
	for (pg = 0; !plan_exec_done(&e);) {
		pg = plan_exec_undeferred(&e, next_dirty, NULL, pg, PAGES);
		if (!ASSERT_TRUE(pg < PAGES, "a page"))
			break;
		ASSERT_NE(pg, 201, "held back");
		send(&e, pg);
	}
	ASSERT_EQ(e.sent, 8, "window of 8");
	ASSERT_TRUE(is_dirty(201) && is_dirty(402), "201 held, 402 waits");
out:
	plan__free(p);
}

/* plan_exec_mode_now: the mode of plan_exec_mode at the clock's time
 * (plan_ring_now_ns), FOLLOW with a plan in force. */
static void test_mode_now(void)
{
	static const uint64_t pairs[] = { 5, 1, 7, 3 };
	struct plan_exec e;
	uint64_t now = plan_ring_now_ns();

	plan_exec_init(&e, true);
	plan_exec_begin(&e, 2, now);
	ASSERT_EQ(plan_exec_mode_now(&e), PLAN_EXEC_WAIT,
		  "no plan yet, within the grace: wait");
	plan_exec_adopt(&e, mkplan(1, PLAN_ACT_SEND, 1, 1, 1, pairs));
	ASSERT_EQ(plan_exec_mode_now(&e), PLAN_EXEC_FOLLOW, "a plan in force");
	plan_exec_begin(&e, 3, now - 2 * PLAN_EXEC_GRACE_NS);
	ASSERT_EQ(plan_exec_mode_now(&e), PLAN_EXEC_STOCK,
		  "no plan, the grace over by the clock: stock");
	ASSERT_EQ(e.n_late, 1, "one late plan");
	/* late, the iteration is QEMU's to its end: the clock is no longer
	 * asked (a start in the future would read as WAIT) */
	e.start_ns = plan_ring_now_ns() + PLAN_EXEC_GRACE_NS;
	ASSERT_EQ(plan_exec_mode_now(&e), PLAN_EXEC_STOCK, "late: stock");
	ASSERT_EQ(plan_exec_mode(&e, e.start_ns), PLAN_EXEC_WAIT,
		  "which the clock alone would not say");
	/* a refused STOP: the same */
	plan_exec_begin(&e, 4, plan_ring_now_ns() + PLAN_EXEC_GRACE_NS);
	e.refused = true;
	ASSERT_EQ(plan_exec_mode_now(&e), PLAN_EXEC_STOCK, "refused: stock");
}

int main(void)
{
	RUN_TEST(test_window_and_clean_pages);
	RUN_TEST(test_deferred_kept_dirty);
	RUN_TEST(test_stop_within_limit);
	RUN_TEST(test_holds_net);
	RUN_TEST(test_no_plan_is_stock);
	RUN_TEST(test_first_iteration_does_not_wait);
	RUN_TEST(test_driven_migration);
	RUN_TEST(test_encoded_plan);
	RUN_TEST(test_mode_now);
	return harness_finish();
}
