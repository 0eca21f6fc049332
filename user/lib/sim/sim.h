/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim.h - replay a dirty-page trace through a pre-copy migration algorithm
 * and measure it: pages sent, total time, downtime, iterations; and check
 * that the destination ends with every page's last write.
 *
 * ===========================================================================
 * The time model
 * ===========================================================================
 *
 * - The trace is a sequence of epochs (trace_epochs__load()). A tracker
 *   only says that a page was written during an epoch, so each write (one
 *   per page and epoch) is placed at a pseudo-random offset uniform in its
 *   epoch: offset = length * u, u from a hash of the page and the epoch's
 *   index (deterministic, the same for every algorithm and run). Writes
 *   happen continuously, as in a running guest; times inside an epoch
 *   that a trace may carry are not used.
 * - Migration starts at trace time start_s (default: 10 s, or 40 % of a
 *   shorter trace). Epochs before it are history: algorithms see them (a
 *   tracker runs before migration starts) and every page is unsent at the
 *   start anyway. The default skips the start-up of the traced program or
 *   guest: a VM that gets migrated has been running for a while.
 * - The link sends one page every dt = page_size / bandwidth seconds, back
 *   to back: live send number k (k = 0, 1, ...) happens at time
 *   t_k = start_s + k * dt and carries the page's content at that time;
 *   the live phase never idles. A write at time t is visible to send k and
 *   later iff t <= t_k, i.e. from slot ceil((t - start_s) / dt) on (0 if
 *   t <= start_s).
 * - Dirty state (cfg.dirty_log):
 *   SIM_LOG_EXACT: exact and per page, a page is dirty from a write
 *   until it is next sent. Pages never sent are dirty.
 *   SIM_LOG_SYNC (default since 2026-12-03; before, exact): what QEMU's
 *   KVM dirty log gives it. QEMU takes the log at each sync; with the dirty ring it re-protects the pages it reaped
 *   then, and with the bitmap it clears the log of a whole 1 GiB chunk
 *   (clear-bitmap-shift 18) before it sends the chunk's first page. So a
 *   page written after a sync is dirty again at the next sync even when
 *   the iteration sent it after that write: at every sync, dirty |= the
 *   pages written since the previous sync. (Exact for guests of one
 *   chunk and iterations shorter than the ring's reaps; tools/eval/
 *   sim-vs-e2e measured it against the patched QEMU.)
 * - Algorithms work in iterations. At a sync (slot k) an algorithm sees
 *   the dirty bitmap, the pages written since the previous sync, and the
 *   epochs that ended by t_k (for models). It answers stop, or a list of
 *   pages to send in order (normally dirty ones; a page may be sent while
 *   clean, which costs a slot). Pages it leaves out stay dirty: nothing is
 *   ever dropped. Syncs take no time.
 * - Stop-and-copy at slot k: the guest stops at t_k (the writes of slots
 *   <= k happened), and every page still dirty is sent:
 *   downtime = dirty * dt; total time = k * dt + downtime; pages sent =
 *   k + dirty. So total time is pages sent times dt: the two metrics move
 *   together.
 * - A migration that outlasts the trace replays it again (the trace loops,
 *   period = its length: the END time, or the last epoch's start plus the
 *   median epoch length; writes shifted by whole periods); result.loops
 *   says how many times.
 * - Safety cap: an algorithm that has not stopped by the time it sent
 *   max_sent_ram times the guest's pages (or after max_iters iterations) is
 *   stopped by the simulator (forced). Converged means: stopped by its own
 *   decision with dirty * dt <= downtime limit.
 * - budget = floor(downtime_limit * bandwidth / page_size): the most pages
 *   a stop-and-copy may hold.
 * - Zero pages (cfg.zero_pages): off by default, every page costs a slot.
 *   On, a page with no write so far is all zeroes, and QEMU sends it as a
 *   zero page: a few bytes, no slot (no time), not in pages_sent (in
 *   zero_sends); it is dirty until then, as in QEMU's bitmap (its pending
 *   estimate, and so its switchover check, counts it). A trace for this
 *   holds the guest's whole RAM; the pages already non-zero at its start
 *   are in cfg.nonzero (precopy-sim --nonzero FILE), not written at its
 *   start (a replay that loops would write them again).
 * - Ignored: compression, sync cost, the CPU time of zero-page scans,
 *   device state, bandwidth variation (the bandwidth is constant;
 *   algorithms are told the measured value after each iteration).
 *
 * After the stop-and-copy the simulator compares, for every page, the
 * version of its last write with the version the destination received
 * (result.verified).
 */
#ifndef PRECOPY_SIM_H
#define PRECOPY_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tracefile/trace.h"

#define SIM_PARAMS_MAX 16
#define SIM_TAGS 8		/* classes an algorithm may tag its sends with */
#define SIM_WASTE_BINS 12	/* log2 bins of the waste diagnostics */

enum sim_dirty_log {
	SIM_LOG_EXACT = 0,	/* dirty from a write until sent */
	SIM_LOG_SYNC = 1,	/* + written since the previous sync (QEMU) */
};

struct sim_config {
	double bandwidth;	/* bytes/s, > 0 */
	double downtime_limit_s; /* > 0 */
	double start_s;		/* < 0: default min(10 s, 0.4 x length) */
	double max_sent_ram;	/* forced stop after this many RAMs (20) */
	uint64_t max_iters;	/* forced stop after this many iterations
				 * (100000) */
	enum sim_dirty_log dirty_log; /* see the time model */
	bool zero_pages;	/* never-written pages are free (time model) */
	/* with zero_pages, NULL or a bitmap (sim__words() words) of the
	 * pages that are not all zeroes at the trace's start though no
	 * write of the trace says so (written before it began) */
	const uint64_t *nonzero;
	FILE *log;		/* if not NULL: one line per sync */
	/* if not NULL: called every 2^16 writes replayed and at every sync,
	 * with the migration time simulated so far and the RAMs sent, so a
	 * long run (a slow link) can show that it advances; arg is
	 * progress_arg */
	void (*progress)(void *arg, const char *algo, double sim_s,
			 double rams_sent);
	void *progress_arg;
	/* algorithm parameters "ALGO.NAME=VALUE" (e.g. "prob.defer_risk=0.6");
	 * a run uses those of its algorithm and rejects the ones of its
	 * algorithm it does not know; an unknown ALGO is rejected */
	unsigned int nr_params;
	const char *params[SIM_PARAMS_MAX];
};

/* Defaults above, with the given bandwidth and downtime limit. */
void sim_config__default(struct sim_config *c, double bandwidth,
			 double downtime_limit_s);

struct sim_result {
	char algo[24];
	bool converged;		/* own stop, downtime within the limit */
	bool forced;		/* stopped by the safety cap */
	bool verified;		/* destination == source, page by page */
	uint64_t mismatches;	/* pages that did not match (0) */
	double total_time_s;
	double downtime_s;
	uint64_t pages_sent;	/* live + final */
	uint64_t live_pages;
	uint64_t final_pages;
	uint64_t iterations;	/* syncs that sent pages (live iterations) */
	uint64_t budget;
	uint64_t loops;		/* times the trace was replayed past its end */
	double start_s;
	double epoch_s;		/* median epoch length of the trace */
	uint64_t pages;		/* guest pages */
	uint32_t page_size;
	double bandwidth;	/* the run's, bytes/s */
	double downtime_limit_s;
	char note[160];		/* algorithm's remark (e.g. the oracle's bound) */

	/* Re-send accounting. A live send is wasted when the page is
	 * written again before the stop (it must be sent again); a send of
	 * a clean page is redundant. pages_sent = pages + wasted_sends +
	 * clean_sends. */
	uint64_t resent_pages;	/* distinct pages sent more than once */
	uint64_t wasted_sends;	/* live sends superseded by a later write */
	uint64_t clean_sends;	/* sends of a page that was not dirty */
	uint64_t zero_sends;	/* zero pages sent (cfg.zero_pages), free */
	/* Per tag (when the algorithm tags its sends, see sim_decision):
	 * live sends and wasted live sends of each class. */
	unsigned int nr_tags;	/* 0: the algorithm does not tag */
	const char *const *tag_names;
	uint64_t tag_sent[SIM_TAGS];
	uint64_t tag_wasted[SIM_TAGS];
	/* Where the wasted live sends came from, in epochs of the trace's
	 * median length (bin 0: [0, 1), bin i >= 1: [2^(i-1), 2^i), the
	 * last bin open-ended): by the delay from the send to the write
	 * that wasted it, and by the page's age at the send (the time since
	 * its last write before the send; bin SIM_WASTE_BINS: no write
	 * since the trace began). */
	uint64_t wasted_by_delay[SIM_WASTE_BINS];
	uint64_t wasted_by_age[SIM_WASTE_BINS + 1];
};

/* What an algorithm sees at a sync. */
struct sim_sync {
	uint64_t iteration;	/* 1 for the first sync */
	uint64_t slot;		/* live pages sent so far */
	double now_s;		/* since the migration started */
	const uint64_t *dirty;	/* dirty bitmap (read only) */
	uint64_t nr_dirty;
	const uint64_t *written; /* pages written since the previous sync
				  * (all pages written since start at the
				  * first) */
};

/* An algorithm's answer to a sync. */
struct sim_decision {
	bool stop;
	uint64_t nr;		/* pages to send, in order */
	const uint64_t *pages;	/* owned by the algorithm; valid until the
				 * next call into it */
	bool skip_rewritten;	/* skip a listed page written since this sync
				 * when its turn comes (Xen); it stays dirty */
	const uint8_t *tags;	/* NULL, or the class (< the algorithm's
				 * nr_tags) of each listed page, for the
				 * re-send accounting */
};

struct sim;
struct sim_trace;

/*
 * Prepare trace tr for runs: place its writes in time (see the time
 * model). tr must outlive the result, which many runs (even concurrent
 * ones) may share. Returns it, or NULL with a message in err: the trace
 * has no epochs (EINVAL), out of memory (ENOMEM); errno is set.
 * Memory: 16 bytes per page written per epoch.
 */
struct sim_trace *sim_trace__new(const struct trace_epochs *tr, char *err,
				 size_t errlen);
void sim_trace__free(struct sim_trace *t);

/* The trace's median epoch length, seconds, and length (the replay
 * period). */
double sim_trace__epoch_s(const struct sim_trace *t);
double sim_trace__length_s(const struct sim_trace *t);

/* The trace's dirty rate as QEMU's calc-dirty-rate measures it: distinct
 * pages written per window of window_s seconds (whole epochs, at least
 * one), averaged over the consecutive windows of the trace, per second.
 * Returns it (pages/s), or a negative value if out of memory. */
double sim_trace__dirty_rate(const struct sim_trace *t, double window_s);

/* Writes (one per page and epoch) in the trace. */
uint64_t sim_trace__writes(const struct sim_trace *t);

/* An epoch handed to algorithms when it has ended (t_end <= now). */
struct sim_epoch {
	uint64_t index;		/* global, counting replays */
	double start_s, length_s; /* trace time, replays shifted */
	const struct trace_epoch *ep; /* pages (ascending), counts */
	const uint64_t *bitmap;	/* the same pages as a bitmap */
};

struct sim_algo {
	const char *name;
	const char *summary;	/* one line */
	/* Create state. Returns 0 or a negative errno; a message in err. */
	int (*init)(struct sim *s, void **state, char *err, size_t errlen);
	void (*epoch)(void *state, const struct sim_epoch *ep);
	/* Decide at a sync. Returns 0 or a negative errno (aborts the run). */
	int (*sync)(void *state, const struct sim_sync *v,
		    struct sim_decision *d);
	/* The iteration just finished: it sent `sent` pages in duration_s. */
	void (*iteration_done)(void *state, uint64_t sent, double duration_s);
	/* Fill result->note if there is something to say; free the state. */
	void (*fini)(void *state, struct sim_result *r);
	/* Names of the classes the algorithm tags its sends with (see
	 * sim_decision.tags); nr_tags <= SIM_TAGS, 0 if it does not tag. */
	unsigned int nr_tags;
	const char *const *tag_names;
	/* A bound computed for the exact log (the oracle): it runs with
	 * SIM_LOG_EXACT whatever cfg.dirty_log says. Any schedule sends at
	 * least as many pages under QEMU's log as under the exact one, so
	 * the bound holds for both. */
	bool exact_log;
};

extern const struct sim_algo sim_algo_qemu;
extern const struct sim_algo sim_algo_xen;
extern const struct sim_algo sim_algo_tsb;
extern const struct sim_algo sim_algo_prob;
extern const struct sim_algo sim_algo_oracle;
/* prob's planner with every page's true next write in place of the
 * model's hazards (sim_prob.c): not a method, a diagnostic that splits
 * prob's distance to the oracle into what the policy loses and what the
 * predictions do. */
extern const struct sim_algo sim_algo_prob_clairvoyant;
/* prob's planner with every page's true write rate around now (its writes
 * in a window of the trace around now, by default past and future, over
 * the window) in place of the model's hazards: about the best a predictor
 * of rates could do, without knowing when the writes come; with the
 * window in the past only, what a causal count of each page's writes
 * gives (sim_prob.c). */
extern const struct sim_algo sim_algo_prob_rates;

/* All algorithms, NULL-terminated, in the order reports use. */
extern const struct sim_algo *const sim_algos[];

/* The diagnostic algorithms (by name only, not in sim_algos: "all"). */
extern const struct sim_algo *const sim_diagnostic_algos[];

/* The algorithm called name (of either list), or NULL. */
const struct sim_algo *sim_algo__find(const char *name);

/*
 * Run algo over the prepared trace t (not modified) under cfg. Returns 0 and fills *res, or a negative errno with a message
 * in err: -EINVAL (bad config: bandwidth, limit, start past the trace's
 * end, a parameter the algorithm rejects, a trace without pages or
 * epochs), -ENOMEM, or an algorithm's error.
 */
int sim__run(const struct sim_trace *t, const struct sim_algo *algo,
	     const struct sim_config *cfg, struct sim_result *res, char *err,
	     size_t errlen);

/* ---- for algorithms -------------------------------------------------- */

const struct sim_config *sim__config(const struct sim *s);
uint64_t sim__pages(const struct sim *s);
uint32_t sim__page_size(const struct sim *s);
uint64_t sim__words(const struct sim *s);
uint64_t sim__budget(const struct sim *s);
/* With cfg.zero_pages, whether page p has had no write so far and is not
 * in cfg.nonzero (sending it now costs nothing); always false without. */
bool sim__zero(const struct sim *s, uint64_t p);
double sim__dt(const struct sim *s);		/* seconds per page */
double sim__epoch_s(const struct sim *s);	/* median epoch length */
uint64_t sim__max_slots(const struct sim *s);	/* the safety cap */

/* List the set bits of bitmap bm (sim__words() words) in ascending order
 * into out (room for sim__pages()); returns how many. Can't fail. */
uint64_t sim__bitmap_list(const struct sim *s, const uint64_t *bm,
			  uint64_t *out);

/* The future, for the oracle: write number i (0, 1, ... in time order,
 * counting replays) is of page *page and visible from slot *slot (see the
 * time model). Writes visible at slot 0 come first. Can't fail. */
void sim__write_at(const struct sim *s, uint64_t i, uint64_t *page,
		   uint64_t *slot);

/* Writes in one replay of the trace (0: sim__write_at and
 * sim__write_time must not be called). */
uint64_t sim__trace_writes(const struct sim *s);

/* Write number i (as sim__write_at counts them): its page and its time in
 * seconds of trace time (replays shifted by the trace's period), which
 * never decreases with i. Can't fail. */
void sim__write_time(const struct sim *s, uint64_t i, uint64_t *page,
		     double *t);

/* Now (the current slot) in the same trace time. Can't fail. */
double sim__now_s(const struct sim *s);

/* The future, for a clairvoyant diagnostic: sim__future_init (in init,
 * before any write is applied: -EINVAL after) indexes every page's next
 * write (8 bytes per write of one replay and 8 per page; 0 or -ENOMEM);
 * then sim__next_write_s(s, p) is the time in
 * seconds from now (the current slot) to page p's next write, counting
 * replays, INFINITY for a page never written (or without the index). */
int sim__future_init(struct sim *s);
double sim__next_write_s(const struct sim *s, uint64_t p);

/*
 * Parameter lookup for algorithms, in init: if cfg has "ALGO.name=value"
 * for the running algorithm, parse value as a double in [min, max] into *v
 * and return 1; 0 if absent (*v untouched); -EINVAL (message in err) if
 * malformed or out of range.
 */
int sim__param(const struct sim *s, const char *name, double min, double max,
	       double *v, char *err, size_t errlen);

/* The same for another algorithm's parameter "ALGO.name=value": for an
 * algorithm that must follow a rule of another (prob runs QEMU's own
 * iterations by qemu.threshold_sync). */
int sim__param_of(const struct sim *s, const char *algo, const char *name,
		  double min, double max, double *v, char *err, size_t errlen);

#endif /* PRECOPY_SIM_H */
