/* SPDX-License-Identifier: GPL-2.0 */
/*
 * planner.h - turns the dirty-probability model (model.h) into a pre-copy
 * plan per iteration: a window sized from the link bandwidth, the pages to
 * send in order, the pages deferred, and the stop-and-copy decision; it
 * detects non-convergence and says what would fix it.
 *
 * Online use (precopy-plan with a patched QEMU, or the simulator):
 *
 *	planner_params__default(&pp, pages, page_size, downtime_s, epoch_s,
 *				bandwidth_guess);
 *	pl = planner__new(&pp, model);
 *	plan = plan__new(pages);
 *	loop:
 *		every harvested epoch: model__update(model, epoch), then
 *			planner__epoch(pl, epoch bitmap, its length);
 *		at each QEMU bitmap sync:
 *			planner__feedback(pl, &(struct planner_feedback){
 *				duration, pages sent, bandwidth, remaining,
 *				has_fresh, fresh }) for the iteration that
 *				ended (fresh: the sync's count);
 *			planner__plan(pl, qemu_dirty_bitmap, plan);
 *			STOP: switch over if the dirty pages fit the limit at
 *			      the measured bandwidth (else as SEND with no
 *			      window); plan->send[] lists every dirty page;
 *			SEND: send plan->send[0 .. nr_send) (those still
 *			      dirty) in that order, then the other dirty pages
 *			      not in plan->risky in address order, until
 *			      plan->window pages were sent, then sync; the
 *			      pages of plan->risky stay dirty in QEMU's bitmap
 *			      for a later iteration (a plan never drops a
 *			      page). A fallback plan (Guard) has no send[] and
 *			      no risky page, and a window of every dirty page:
 *			      one stock pass.
 *
 * The dirty bitmap is QEMU's at the sync: every page not yet sent or
 * written since it was sent (in the first iteration: all pages). Bitmaps
 * are uint64_t words, page p = bit p % 64 of word p / 64.
 *
 * ===========================================================================
 * The rules
 * ===========================================================================
 *
 * The policy in one line: downtime up to the user's limit is free, so the
 * stop-and-copy carries the pages most likely to be rewritten, filling the
 * budget; pre-copy sends every other page as few times as possible, the
 * least likely to be rewritten first; the migration stops as soon as what
 * is dirty fits the budget (objective pages or time), or keeps going below
 * it only while that buys downtime (objective downtime).
 *
 * Objective (params.objective):
 *   pages     (default) the fewest pages sent. With a link-bound pre-copy
 *             total time is pages x page_size / bandwidth, so this is also
 *             the shortest migration; every iteration after R fits the
 *             budget only adds pages (what it sends, less what it cleans,
 *             is what the guest rewrites meanwhile), so STOP comes at the
 *             first sync with R <= budget, like QEMU's own rule.
 *   time      the same decisions, with iterations of at least 0.5 s: each
 *             bitmap sync costs QEMU time (and a plan) that pages do not
 *             show.
 *   downtime  the former polishing rule (see Stop-and-copy): below the
 *             budget, keep iterating while it lowers the downtime enough.
 *
 * Bandwidth. Each feedback is a measurement x (bytes/s). The estimate is
 * robust (link_estimate.h): mu is the median of the last 9 measurements,
 * sd their median absolute deviation from it times 1.4826 (the normal's
 * sd). Until the first measurement mu is params.bandwidth (the
 * guess) and sd 0. The planner sizes windows with the cautious bandwidth
 * lo = max(mu - bw_sigmas * sd, mu / 4), and the budget with a more
 * cautious one, max(mu - stop_sigmas * sd, mu / 4): a window a little too
 * long costs a little time, a stop-and-copy a little too long breaks the
 * user's limit. On a link whose rate QEMU alone sets (max-bandwidth) the
 * readings agree and sd is 0; on a shaped network link (tc tbf, 64 Mbit/s)
 * QEMU's 100 ms readings spread from 6.0 to 9.3 MB/s around a 7.6 MB/s
 * rate and repeat (a plan's iteration is shorter than QEMU's period), so
 * the median of 9 is off by a few per cent: with one sd the downtime went
 * to 1019 ms of a 1000 ms limit in one run of four. Why not a mean: QEMU
 * measures its bandwidth over its own periods, and one spent in a slow
 * bitmap sync (a vCPU asleep under a dirty limit: 1.3 s for 12 pages)
 * reads 107 KiB/s on an 8 MiB/s link. An exponentially weighted mean and variance (weight
 * 0.3) took a few such readings to lo = mu / 4: windows of 12-92 pages,
 * budgets of 123-929 pages instead of 2,047, so each iteration sent less,
 * the next readings were lower still, and a migration with 2,400 dirty
 * pages under a 1 MB/s limit never fitted its budget (180 s, 716 syncs).
 *
 * Budget. budget = floor(downtime_limit * max(mu - stop_sigmas * sd,
 * mu / 4) / page_size): the pages a stop-and-copy may hold and still meet
 * the downtime limit. When the last feedback carried the consumer's own
 * switchover threshold (QEMU's threshold_size, its latest bandwidth
 * reading x the limit), the budget is at most 99 % of it: the edge rule
 * (Window) brings R down to the budget exactly, and a STOP at a budget a
 * hair above QEMU's threshold is refused. The readings behind mu are
 * capped at QEMU's max-bandwidth, its threshold's are not: a 2 GiB guest
 * at 16 MiB/s stopped with 4,096 dirty pages against a threshold of
 * 4,057, QEMU refused, and ran one more iteration of its own (100 ms).
 *
 * Leak. A feedback that carries `fresh` (the pages the sync after the
 * iteration found written that were clean, i.e. sent: QEMU's fresh count)
 * measures the leak, fresh / the iteration's duration, kept as an
 * exponentially weighted mean (weight 0.3): how many sent pages come back
 * per second. Per second, not per page sent: the zero pages of a first
 * pass go out by the thousand in no link time, and a leak per page sent
 * would then promise the last iteration a fraction of the writes it gets.
 *
 * Horizon. How long a page sent now must stay clean: until the stop,
 * estimated as the time to bring R dirty pages down to the budget plus one
 * epoch for the last iteration, h = max(0, R - budget) / rate in epochs
 * + 1, clamped to [min_horizon, max_horizon]. rate is the link's, mu /
 * page_size pages/s, or the rate at which pages went out lately, if
 * faster: the pages the last iterations reported sent over their
 * durations, the newest first, as many as span 0.5 s (link_estimate.h;
 * one iteration's
 * rate is unsteady: QEMU's rate limiter lets a window of 204 pages out
 * in 2 ms at the start of its period, and the next iteration waits).
 * QEMU sends a zero page as a flag, so a first pass over a guest of
 * mostly zero pages goes at tens of thousands of pages per second (and
 * in QEMU's logs pages left at 1.5-3 times its bandwidth reading in
 * later iterations too: zero pages again, and the reading's own 100 ms
 * periods, which include syncs). At the link's rate the horizon
 * of a first pass is the time to send the whole RAM, tens of seconds,
 * and pages written once long ago get a high risk over it: held back,
 * they filled the budget with pages nobody rewrote, and a scanning guest
 * (seqsweep, 256 MiB at 8 MiB/s) needed one window more than QEMU (time
 * 1.14); at the reported rate it is the half-second the pass takes
 * (0.76). In the simulator every page costs the link, and the two rates
 * are the same. Every dirty page gets its cumulative hazard over h (risk_h =
 * 1 - exp(-hazard); unlike risk it does not round to 1, so it orders
 * pages that are all but sure to be written): over the first
 * hs = min(h, short_horizon) epochs the epoch model's, its bucket's
 * (model__hazard), then over the h - hs epochs after them the long-horizon
 * model's (renewal.h, front.h: the page's age and previous gap, or, never
 * written, its distance to the sequential writers below it), from its age
 * hs epochs on. Pages are grouped by the level of their hazard (16 levels
 * per octave, from the float's bits: no sort).
 *
 * Held back (deferred for their risk; plan->risky). The dirty pages of
 * the levels with risk_h >= defer_risk, the highest hazard first, as many
 * as fit in budget - keep, where keep provides for the pages written
 * during the last iteration: keep = max(margin * budget, leak * t_w),
 * t_w = window * page_size / mu the window's time on the link, once a
 * leak was measured, (1 - defer_share) * budget before. Where the room
 * ends inside a level, the pages of that level with a write on record
 * (renewal.h) are held first, then those nobody wrote (whose hazard is
 * inferred: front.h), each in address order from the cursor. Early in a
 * migration the model has seen one or two epochs and the long horizon
 * saturates both kinds to one level: a KVM guest sweeping 1,024 pages
 * (stride 16) had them tied with 9,500 never-written pages around them,
 * the room went to the first pages by address, and 670 sweep pages were
 * sent in pre-copy and again in the stop-and-copy (plan/stock bytes
 * 0.82; 0.74 with written pages first). Before the model has learned an
 * epoch (and without stall rates) nothing is held back: every hazard is
 * then the prior's, and a budget on a guessed bandwidth (QEMU's
 * max-bandwidth, 1000 MiB/s) held back all 69,778 dirty pages of a 256
 * MiB guest, so the first iteration sent nothing and its reading, 0.1
 * MB/s, made the next windows 2, 4, 8 ... pages (16 syncs where stock
 * QEMU took 2; plan/stock time 4.09). They stay
 * dirty until the stop-and-copy (or a later plan that sends them), so the
 * pages that would be rewritten anyway are sent once, in it.
 *
 * Window. window = max(1, floor(lo * iter_s / page_size)) pages: what the
 * link is expected to carry in one iteration of iter_s seconds (iter_s 0:
 * one epoch; objective time, and precopy-plan learning from QEMU's sync
 * bitmaps: at least PLANNER_LONG_ITER_S), so the plan is refreshed
 * about as often as epochs come. The send order is the pages not held
 * back whose risk_h is below `coarse`, in address order from where the
 * last plan's left off (as QEMU's pass resumes), then the others by
 * ascending hazard (ties by address), truncated to the window; the other
 * dirty pages not held back are just past the window (plan->deferred
 * holds both kinds).
 * Near the budget (edge > 0 and budget < R < budget + window) the window
 * is the excess, R - budget, but at least (1 - edge) of a window: the
 * iteration sends just what the stop-and-copy cannot hold, then syncs,
 * as stock QEMU does (it syncs once its unsent dirty pages fit the
 * budget). A shorter last iteration lets fewer writes in before the sync
 * that decides the stop; at the edge of convergence, where R hovers just
 * above the budget, full windows let prob run 499 iterations where QEMU
 * needed 238 (the simulator's vm/phases at 2x its dirty rate: 7.3 RAMs
 * against 3.5; 1.1 with the rule). The floor keeps iterations long
 * enough for QEMU to measure the link (default edge 0.75: a quarter of a
 * window). Before the first reading the window is at most guess_window
 * pages (0: no limit): precopy-plan's guess is QEMU's max-bandwidth, a
 * cap (1000 MiB/s over a 64 Mbit/s link would make a first iteration of
 * 12 s), so it sends 4 MiB and sizes the next windows on what they
 * measured; the simulator's guess is the link's rate (no limit).
 *
 * Stop-and-copy. Only when R <= budget and the bandwidth rests on a
 * reading (link_estimate__measured); with objective pages or time, always
 * then. Before the first reading the budget rests on the caller's guess,
 * for precopy-migrate QEMU's max-bandwidth, a cap and not a rate (1000
 * MiB/s over a 64 Mbit/s link: a budget of the whole RAM), and QEMU
 * refuses any switchover before it has measured its link (threshold 0).
 * A STOP there bought nothing: the refused STOP made the first pass
 * QEMU's own, the hot set sent in it too, and the plan took over only
 * after it (hotcold-netns, 2026-12-06, 2 x 3 runs a mode, each batch
 * against its own stock: plan/stock bytes 0.87, 0.87; with this rule
 * 0.49, 0.49, time 0.49, 0.48, downtime 0.80, 0.75, under the limit).
 * In the simulator, where QEMU's model now waits for its first 100 ms
 * too (sim_qemu.c), only cases where the RAM fit the budget at the first
 * sync changed: prob's pages there rose by up to 8 % (corpus/sqlite at 32
 * MiB/s; 0-3 % elsewhere), qemu's by up to 41 %, prob/qemu 0.71-1.00; the
 * medians of the tune and report splits stayed 0.916 and 0.883.
 * With objective downtime: another iteration would send the
 * S pages it does not hold back (at most the window) over t = S *
 * page_size / mu seconds; of them the sum of their risk over t comes back,
 * and the pages outside the dirty set that get written in t arrive (the
 * model's working-set curve W(t) less the expected writes to the dirty
 * set): R' = R - S + cost. The planner continues while R - R' > min_gain *
 * R and either R - R' >= trade * cost or fewer than `polish` iterations
 * were already granted without that; else it stops. A STOP plan lists
 * every dirty page (the final round sends everything still dirty). R = 0
 * stops at once.
 *
 * Nearly free (objectives pages and time). When R fits the budget the
 * plan stops, unless another iteration costs next to nothing: of the S
 * pages it would send (at most the window), add = max(cost, leak x t)
 * come back (cost as above; the leak, measured, covers what the model
 * does not foresee: a checkpoint's burst), and it is granted when add <=
 * free_share * (S - add), at most PLANNER_FREE_ITERS times a migration
 * (plans refreshed between two feedbacks count once). What fills the
 * budget is then pages nobody rewrites (a guest that wrote its memory
 * once and idles; an idle guest's cold pages, which the edge rule leaves
 * for the stop-and-copy), and a stop-and-copy of them buys nothing: they
 * are sent once either way, while the downtime is the limit's where stock
 * QEMU's last pass left next to nothing (a 256 MiB guest that wrote 64
 * MiB once, 16 MiB/s, 1 s limit: 8-11 ms of downtime against stock's
 * 2-3, bytes equal; on a real link of that rate, 1 s). A guest that
 * writes pages it does not hold back makes add well above 1 % of the
 * gain, and the plan stops as before. Iterations stay one window long:
 * the guest's writes during one are the risk, and a burst that pushes R
 * back over the budget costs the iterations to bring it down again
 * (corpus/postgres at 64 MiB/s: a free iteration of the whole 4,800 dirty
 * pages, 1.2 s, met a checkpoint, +12 % pages).
 *
 * Guard (bounded regret). The plan must not do worse than QEMU. The
 * planner replays stock QEMU beside the migration (shadow.h): the writes
 * it is told of (planner__epoch: every epoch the model learns from) and
 * as many sends as the migration made (feedback; between feedbacks, at
 * the link rate, at most a window ahead), address-order passes, a sync at
 * each pass end and QEMU's switchover rule. Both have then sent the same
 * number of pages, so the regret of the plan so far is what the migration
 * has sent plus what it still has to send (R), less the same for the
 * shadow (or the shadow's total, once it switched over). Over guard *
 * pages of regret the plan falls back (plan->fallback): an empty send
 * order, nothing held back and a window of every dirty page, so the
 * consumer makes one stock QEMU pass in its own (address) order, then
 * syncs (a sync every window would send in the same pass the pages a
 * scanning writer wrote ahead of the cursor); it plans again once the
 * regret is back to zero or less. It never falls back (and a fallback
 * ends) once the shadow has switched over, since QEMU's order cannot
 * catch up then, or when R is within a window of the budget, since the
 * plan stops at the first sync that fits where a stock pass would go on
 * to its end: the plan's way to the stop is then the shortest left. The
 * model keeps learning meanwhile.
 *
 * guard 1 (the default) only measures the regret (plan->regret): on the
 * tuning split and the project's own traces, falling back cost more than
 * it saved (capture of the oracle's savings 0.348 against 0.359 with it
 * off, and the only case more than 2 % worse than QEMU, a scan at 1.06,
 * was one the fallback made): the damage the shadow reveals was done by
 * sends made long before, and a stock pass started then is out of step
 * with the workload. What bounds the regret by default is the order
 * itself: pages under `coarse` risk, most of memory, go in QEMU's order
 * and pass; only pages with evidence of writes are reordered or held.
 * Tried again on 2026-12-08 (tools/eval/score, 231 tuning cases):
 * guard 0.02 took the tuning median from 0.916 to 0.924; guard 0.02 only
 * while the plan is not converging left the medians as they were and
 * brought two fresh cases that nobody converges on (cut at 2 RAMs) from
 * 1.056 and 1.025 to 1.008 and 0.999, but took a tuning scan from 0.499
 * to 0.858 (k = 1) and from 0.659 to 0.772 (16 MiB/s): the plan wins
 * those by holding on through its stall, and nothing the planner knows
 * then tells the two kinds apart.
 *
 * Handover. Whatever guard is, once the shadow has switched over, the
 * plan is not converging (below) with R over the budget, and its regret is
 * over `handover` (0.1) of the shadow's total pages, the plan is STOP
 * (reason "not converging where stock QEMU would have stopped"): the
 * consumer switches over only where its own rule allows (QEMU: pending
 * pages under its threshold, which counts the bandwidth it measures and
 * may hold more than the budget) and otherwise runs its own iteration, so
 * a migration stock QEMU ends is not left running by the plan. Seen with
 * QEMU's dirty bitmap log: the hot set alone filled the budget, the plan
 * held it back at every 100 ms sync and never stopped (787 iterations)
 * while stock QEMU ended in 26 s.
 *
 * Non-convergence. The planner keeps R and the pages sent at each sync
 * (progress.h). It is not converging when R > budget and, over the last 8 syncs, the
 * smallest R fell by less than 5 % of the smallest seen before them and by
 * less than half of the pages sent meanwhile (the share QEMU's
 * auto-converge asks of a period), or after max_iters iterations. The
 * second clause keeps a first pass over a large memory converging: there
 * R falls by about what is sent, under 5 % of R in 8 syncs (a 784 MiB scan
 * at 16 MiB/s: 9,808 of its 9,815 plans said "not converging" with the 5 %
 * test alone, from the 9th plan of the first pass on). Then the
 * plan gives advice from forecast__qemu() (forecast.h) run on the model's
 * working-set curve with R as the first iteration: need_bandwidth, the
 * bandwidth at which that forecast converges, and throttle, the smallest
 * share of guest time to take away (dirtying slows in proportion) with
 * which it converges at mu; 0 where none is found. The planner keeps
 * planning: it is advice; the caller decides (throttle, raise the downtime
 * limit, or cancel).
 *
 * Stalled. From the first plan that is not converging once a RAM's worth
 * of pages was sent (chosen when the progress test was the 5 % fall alone,
 * under which first passes over a large memory looked stalled) to the end
 * of the migration (stall_span_s > 0),
 * a page's hazard over the horizon is the larger of the model's and its
 * recent write rate times the horizon: the share of the epochs of about
 * the last stall_span_s in which it was written (recent.h: a count that
 * halves every stall_span_s / 2). The model predicts when
 * a page is written next; once the dirty set no longer shrinks, the pages
 * written most often decide whether it ever fits the budget, and a plain
 * count ranks those where the model's timing does not. Chosen on the
 * tuning split (k = 1, 1.5, 2, 3; 16, 64, 256 MiB/s), where it changed 16
 * of 147 cases: prob/qemu pages 0.362 -> 0.095, 0.154 -> 0.115, 0.109 ->
 * 0.077 where only prob converges, 1.023 -> 1.005 on the one case more
 * than 2 % worse than qemu, up by at most 0.117 elsewhere (a scan at 16
 * MiB/s, 0.542 -> 0.659, still far under qemu). The rate alone instead
 * of the larger of the two, or from the first stall on (during a first
 * pass), made 2 and 3 cases more than 2 % worse than qemu, and a count
 * over 10 s left the one as it was.
 */
#ifndef PRECOPY_PLANNER_H
#define PRECOPY_PLANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* Most nearly free iterations a migration (see Nearly free); under the
 * consumer's safety net, PLAN_EXEC_HOLDS (plan_ring.h), which switches
 * over after that many syncs in a row where its own rule would have. */
#define PLANNER_FREE_ITERS 24

/* Shortest iteration (s) under objective time; precopy-plan also uses it
 * when it learns from QEMU's sync bitmaps (TCG), where syncs are dear. */
#define PLANNER_LONG_ITER_S 0.5

enum planner_objective {
	PLANNER_PAGES = 0,	/* fewest pages (and total time) */
	PLANNER_TIME = 1,	/* the same, iterations of at least 0.5 s */
	PLANNER_DOWNTIME = 2,	/* also polish the downtime below the limit */
};

/* "pages", "time" or "downtime" into *o: 0, or -EINVAL. */
int planner_objective__parse(const char *s, enum planner_objective *o);
/* The name of o ("?" if out of range). */
const char *planner_objective__name(enum planner_objective o);

struct planner_params {
	uint64_t pages;		/* guest pages, = the model's */
	uint32_t page_size;	/* bytes, = the model's */
	double downtime_limit_s; /* > 0 */
	double epoch_s;		/* the model's epoch length, > 0 */
	double bandwidth;	/* first guess, bytes/s, > 0 */
	double bw_sigmas;	/* lo = mu - k * sd, >= 0 (1) */
	double stop_sigmas;	/* the budget's k, >= 0 (2) */
	double iter_s;		/* iteration length, >= 0; 0: one epoch */
	enum planner_objective objective; /* (PLANNER_PAGES) */
	double defer_risk;	/* (0, 1] (0.5); 1 defers only sure pages */
	double defer_share;	/* of the budget before a leak is known,
				 * [0, 1] (0.5) */
	double margin;		/* least share of the budget kept for the
				 * last iteration's writes, [0, 1] (0.1) */
	double coarse;		/* risk_h under which pages go in QEMU's
				 * (address) order, [0, 1] (0.1) */
	double min_horizon;	/* epochs, [1, MODEL_HORIZON_MAX] (1) */
	double max_horizon;	/* epochs, [min_horizon, 65536] (4096) */
	double short_horizon;	/* epochs of the epoch model's hazard,
				 * then the renewal model's, [0,
				 * MODEL_HORIZON_MAX] (4) */
	double leak_weight;	/* of the leak in keep, [0, 1] (1) */
	double guard;		/* regret tolerated before falling back, as a
				 * share of the guest's pages, [0, 1]
				 * (1: measure the regret, never fall back) */
	double handover;	/* regret tolerated once the shadow stopped
				 * and the plan does not converge, as a share
				 * of the shadow's total (Handover), [0, 1]
				 * (0.1; 1: never hand over) */
	double free_share;	/* objectives pages and time: below the
				 * budget, another iteration is granted when
				 * the pages it adds are at most this share
				 * of those it takes off the stop-and-copy
				 * (see Nearly free), [0, 1] (0.01); 0: never */
	double min_gain;	/* [0, 1) (0.1), objective downtime */
	double trade;		/* >= 0 (2), objective downtime */
	unsigned int polish;	/* 0..100 (1), objective downtime */
	unsigned int max_iters;	/* non-convergence after this, >= 1 (1000) */
	double edge;		/* [0, 1] (0.75): near the budget, iterations
				 * of the excess, at least (1 - edge) of a
				 * window (see Window); 0: full windows */
	uint64_t guess_window;	/* longest window before the first
				 * bandwidth reading, pages (0: none; see
				 * Window) */
	double stall_span_s;	/* the rates of a stalled migration (Stalled)
				 * count writes over about this many seconds
				 * (their counts halve every half of it, at
				 * most 127 epochs), [0, 3600] (20); 0: the
				 * model's hazards throughout */
};

/* Defaults (the values in parentheses above) with the given sizes. */
void planner_params__default(struct planner_params *p, uint64_t pages,
			     uint32_t page_size, double downtime_limit_s,
			     double epoch_s, double bandwidth);

enum plan_action {
	PLAN_SEND = 0,		/* send send[] now, keep the rest dirty */
	PLAN_STOP = 1,		/* stop the guest and send send[] (all dirty) */
};

struct plan {
	uint64_t iteration;	/* 1 for the first plan */
	enum plan_action action;
	uint64_t dirty;		/* pages set in the bitmap planned */
	uint64_t window;	/* pages this iteration may send; 0 on STOP */
	uint64_t nr_send;	/* send[] entries: <= window, or = dirty (STOP) */
	uint64_t *send;		/* page indices, in sending order */
	uint64_t nr_deferred;	/* dirty pages not in send[] */
	uint64_t *deferred;	/* bitmap of them */
	uint64_t nr_risky;	/* of which deferred for their risk */
	uint64_t *risky;	/* bitmap of those: the pages to hold back
				 * until a later iteration; the others of
				 * deferred are just past the window */
	uint64_t budget;	/* pages that fit in the downtime limit */
	double horizon_epochs;
	double bandwidth;	/* mu, bytes/s */
	double bandwidth_sd;	/* sd */
	double bandwidth_lo;	/* lo */
	double downtime_s;	/* STOP: dirty * page_size / mu */
	double expected_next;	/* SEND: expected dirty pages at next sync */
	bool converging;
	bool fallback;		/* SEND in the consumer's own order (Guard) */
	int64_t regret;		/* pages, against the shadow QEMU (Guard) */
	double need_bandwidth;	/* advice when !converging (bytes/s; 0: none) */
	double throttle;	/* advice when !converging (0..0.99; 0: none) */
	const char *reason;	/* one short phrase on the decision */

	/* private */
	uint64_t cap;		/* send[] capacity */
	uint64_t pages;
};

/* Allocate a plan for `pages` pages. Returns NULL (errno EINVAL/ENOMEM). */
struct plan *plan__new(uint64_t pages);

/* Free; NULL is ignored. */
void plan__free(struct plan *p);

/* What QEMU reports after an iteration. */
struct planner_feedback {
	double duration_s;	/* wall time of the iteration, > 0 */
	uint64_t pages_sent;	/* pages it sent */
	double bandwidth;	/* measured bytes/s; 0: pages_sent * page /
				 * duration_s */
	uint64_t remaining;	/* dirty pages left (informative) */
	bool has_fresh;		/* fresh is known */
	uint64_t fresh;		/* pages the sync after the iteration found
				 * written that were clean (sent): QEMU's
				 * fresh count (see Leak) */
	uint64_t threshold;	/* the consumer's switchover threshold at
				 * the sync, bytes (QEMU's threshold_size);
				 * 0: unknown (see Budget) */
};

struct planner;

/*
 * Create a planner over model m (which must outlive it, and have the same
 * pages and page_size). Returns NULL with errno EINVAL (bad parameters or
 * mismatch) or ENOMEM.
 */
struct planner *planner__new(const struct planner_params *p, struct model *m);

/* Free; NULL is ignored. */
void planner__free(struct planner *pl);

/*
 * Plan the next iteration for the dirty bitmap `dirty` (model__words()
 * words). Fills *out (resizing out->send as needed). Returns 0, or
 * -EINVAL (NULL arguments, plan made for another size), -ENOMEM (out is
 * then a STOP-less SEND plan of nothing: callers fall back to their own
 * order). Every dirty page is either in send[] or in deferred, never both;
 * no other page is in either.
 */
int planner__plan(struct planner *pl, const uint64_t *dirty, struct plan *out);

/*
 * Tell the guard's shadow QEMU (see Guard) of an epoch's writes: bitmap
 * `written` (model__words() words), over length_s seconds. Call it with
 * every epoch fed to the model, once migration started. Can't fail.
 */
void planner__epoch(struct planner *pl, const uint64_t *written,
		    double length_s);

/* Report an iteration. Returns 0 or -EINVAL (duration <= 0 or a bandwidth
 * that is negative or not finite; the estimate is unchanged). A report
 * with nothing sent and no bandwidth is ignored. */
int planner__feedback(struct planner *pl, const struct planner_feedback *fb);

/*
 * The non-convergence advice (see Non-convergence above) for `remaining`
 * dirty pages now, whether or not the planner found the migration
 * stalled: *need_bandwidth (bytes/s) and *throttle (share of guest time to
 * take away, 0..0.99), each 0 where none is found; *throttle is 0 as well
 * when the forecast converges without one. Returns 0 or -EINVAL.
 */
int planner__advise(const struct planner *pl, uint64_t remaining,
		    double *need_bandwidth, double *throttle);

/* The current bandwidth estimate: mean and standard deviation, bytes/s. */
void planner__bandwidth(const struct planner *pl, double *mu, double *sd);

/* The leak estimate (fresh pages per second), or -1 before any. */
double planner__leak(const struct planner *pl);

/* The planner's own memory per guest page, in bytes, as now allocated:
 * the held-back bitmap, the shadow QEMU's two bitmaps, the recent write
 * counts (Stalled) and the levels of the dirty pages (grown to the
 * largest R planned). Not the model's (model__bytes_per_page()) nor a
 * plan's (plan__bytes_per_page()). */
double planner__bytes_per_page(const struct planner *pl);

/* A plan's memory per guest page, in bytes: its two bitmaps and its send
 * list as now allocated. */
double plan__bytes_per_page(const struct plan *p);

/* Plans made as fallbacks so far (see Guard). */
uint64_t planner__fallbacks(const struct planner *pl);

/* risk_h of a page in the last plan made (0 out of range or before any
 * plan). O(1). */
double planner__page_risk(const struct planner *pl, uint64_t page);

/*
 * Another source of hazards in place of the model's, for the simulator's
 * clairvoyant diagnostic (sim_prob.c, precopy-sim --algo
 * prob-clairvoyant): at each plan, fn(ctx, page, h) gives every dirty
 * page's cumulative hazard over the plan's horizon of h epochs (>= 0; its
 * risk_h is 1 - exp(-hazard), also what planner__page_risk reports), and
 * the planner groups, holds back and orders the pages by it exactly as by
 * the model's (the model still learns, and still gives the working-set
 * curve and the advice). fn NULL: the model's again. Can't fail.
 */
typedef float (*planner_hazard_fn)(void *ctx, uint64_t page, double h);
void planner__set_hazard_source(struct planner *pl, planner_hazard_fn fn,
				void *ctx);

#endif /* PRECOPY_PLANNER_H */
