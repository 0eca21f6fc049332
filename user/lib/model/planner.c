// SPDX-License-Identifier: GPL-2.0
/* planner.c - pre-copy plans from the dirty-probability model (see
 * planner.h for the rules). planner__plan() runs the phases in order:
 * measure (R, bandwidth, budget, window, progress), classify (horizon,
 * hazards, the bucket of every dirty page), guard (is the plan winning
 * against the shadow QEMU?),
 * defer (the held-back set), iterate (the next iteration and the stop
 * decision), then emit the STOP or SEND plan. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "live/forecast.h"
#include "link_estimate.h"
#include "planner.h"
#include "progress.h"
#include "recent.h"
#include "renewal.h"
#include "shadow.h"

#define LEAK_ALPHA 0.3		/* EWMA weight of a leak measurement */
/* the budget's share of the consumer's threshold at most (see Budget) */
#define PLANNER_THRESHOLD_SHARE 0.99

/* Hazard levels: a page's hazard over the horizon, 16 levels per octave
 * from 2^-40 (level 0: below) to 2^24, read off the float's bits. */
#define LEVELS 1024
#define LEVEL_BASE ((127 - 40) << 4)

static inline unsigned int hz_level(float hz)
{
	uint32_t b;
	int l;

	memcpy(&b, &hz, sizeof(b));
	if (!(hz > 0))
		return 0;
	l = (int)(b >> 19) - LEVEL_BASE;
	return l < 1 ? 0 : l >= LEVELS ? LEVELS - 1 : (unsigned int)l;
}

/* The middle of level l's hazards. */
static float level_hz(unsigned int l)
{
	uint32_t b = ((uint32_t)(l + LEVEL_BASE) << 19) | (1u << 18);
	float f;

	if (!l)
		return 0;
	memcpy(&f, &b, sizeof(f));
	return f;
}

struct planner {
	struct planner_params p;
	struct model *m;
	planner_hazard_fn hz_fn;	/* NULL: the model's hazards */
	void *hz_ctx;
	struct recent *rc;	/* write counts of the last epochs (Stalled) */
	bool stalled;		/* a plan found no progress: rc's rates too */
	uint64_t words, last_mask;
	struct link_estimate link;	/* bandwidth and page rate */
	double leak;		/* fresh pages per second (EWMA) */
	uint64_t threshold;	/* the consumer's, bytes, last fed; 0: none */
	bool leak_known;
	uint64_t iter;
	struct progress progress;	/* the non-convergence test */
	unsigned int polished;	/* iterations granted for the downtime */
	unsigned int free_iters; /* nearly free ones granted (Nearly free) */
	bool free_this;		/* one was granted since the last feedback
				 * (a plan refreshed within an iteration
				 * counts once) */
	/* the guard: stock QEMU replayed on the same writes and sends */
	struct shadow *sh;
	uint64_t sent;		/* live pages sent, from feedback */
	double carry;		/* shadow sends owed for elapsed time */
	uint64_t budget;	/* of the last plan */
	uint64_t window;	/* of the last plan */
	bool fallback;		/* this plan is QEMU's order */
	uint64_t fallbacks;
	int64_t regret;		/* at the last plan, pages */

	struct model_horizon hzn;	/* the last plan's horizon */
	float hz[LEVELS];		/* hazard over the horizon */
	float risk[LEVELS];		/* risk_h */
	float risk_it[LEVELS];		/* risk over one iteration */
	uint64_t cnt[LEVELS];		/* dirty pages per level */
	uint64_t cnt_rec[LEVELS];	/* of them with a write on record */
	uint64_t defer_q[LEVELS];	/* pages of each to defer */
	uint64_t defer_rec[LEVELS];	/* of them with a write on record */
	const uint64_t *rec;		/* pages with a write on record, this
					 * plan (renewal_ages.rec) */
	uint64_t send_q[LEVELS];	/* pages of each to send */
	uint64_t off[LEVELS];		/* next send[] slot of each */
	uint8_t cold[LEVELS];		/* risk_h < coarse: QEMU's order */
	uint16_t *bk;			/* level of each dirty page, pass 1 */
	uint64_t *below;		/* per word: front__below() */
	uint64_t bk_cap;
	uint64_t cursor;		/* word where the cold pages resume */
};

/* The numbers of one planning, shared by its phases. */
struct plan_ctx {
	const uint64_t *dirty;
	uint64_t r;		/* dirty pages */
	uint64_t budget;	/* pages that fit the downtime limit */
	uint64_t window;	/* pages per iteration */
	uint64_t ndef;		/* pages held back */
	uint64_t nsend;		/* pages the iteration sends */
	uint64_t ncold;		/* of them cold (in address order) */
	uint64_t kc;		/* dirty pages before the cursor's word */
	double lo;		/* cautious bandwidth */
	bool handover;		/* QEMU's own rules decide (plan_guard) */
};

static const char *const objective_names[] = {
	[PLANNER_PAGES] = "pages",
	[PLANNER_TIME] = "time",
	[PLANNER_DOWNTIME] = "downtime",
};

int planner_objective__parse(const char *s, enum planner_objective *o)
{
	unsigned int i;

	for (i = 0; s && i < sizeof(objective_names) /
			    sizeof(objective_names[0]); i++)
		if (!strcmp(s, objective_names[i])) {
			*o = (enum planner_objective)i;
			return 0;
		}
	return -EINVAL;
}

const char *planner_objective__name(enum planner_objective o)
{
	return (unsigned int)o < sizeof(objective_names) /
				 sizeof(objective_names[0]) ?
		       objective_names[o] : "?";
}

void planner_params__default(struct planner_params *p, uint64_t pages,
			     uint32_t page_size, double downtime_limit_s,
			     double epoch_s, double bandwidth)
{
	memset(p, 0, sizeof(*p));
	p->pages = pages;
	p->page_size = page_size;
	p->downtime_limit_s = downtime_limit_s;
	p->epoch_s = epoch_s;
	p->bandwidth = bandwidth;
	p->objective = PLANNER_PAGES;
	p->bw_sigmas = 1;
	p->stop_sigmas = 2;
	p->iter_s = 0;
	p->defer_risk = 0.5;
	p->defer_share = 0.5;
	p->margin = 0.1;
	p->coarse = 0.1;
	p->min_horizon = 1;
	p->max_horizon = 4096;
	p->short_horizon = 4;
	p->leak_weight = 1;
	p->guard = 1;
	p->handover = 0.1;
	p->free_share = 0.01;
	p->min_gain = 0.1;
	p->trade = 2;
	p->polish = 1;
	p->max_iters = 1000;
	p->edge = 0.75;
	p->stall_span_s = 20;
}

static bool finite_pos(double x)
{
	return isfinite(x) && x > 0;
}

static bool in01(double x)
{
	return isfinite(x) && x >= 0 && x <= 1;
}

struct plan *plan__new(uint64_t pages)
{
	struct plan *p;

	if (!pages || pages > (1ULL << 40)) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pages = pages;
	p->deferred = calloc((pages + 63) / 64, sizeof(uint64_t));
	p->risky = calloc((pages + 63) / 64, sizeof(uint64_t));
	if (!p->deferred || !p->risky) {
		free(p->deferred);
		free(p->risky);
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void plan__free(struct plan *p)
{
	if (!p)
		return;
	free(p->send);
	free(p->deferred);
	free(p->risky);
	free(p);
}

static int plan_reserve(struct plan *p, uint64_t n)
{
	uint64_t cap = p->cap ? p->cap : 1024;
	uint64_t *s;

	if (n <= p->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	s = realloc(p->send, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	p->send = s;
	p->cap = cap;
	return 0;
}

static bool params_ok(const struct planner_params *p,
		      const struct model_params *mp)
{
	return p->pages == mp->pages && p->page_size == mp->page_size &&
	       finite_pos(p->downtime_limit_s) && finite_pos(p->epoch_s) &&
	       finite_pos(p->bandwidth) && isfinite(p->bw_sigmas) &&
	       p->bw_sigmas >= 0 && isfinite(p->stop_sigmas) &&
	       p->stop_sigmas >= 0 && isfinite(p->iter_s) && p->iter_s >= 0 &&
	       finite_pos(p->defer_risk) && p->defer_risk <= 1 &&
	       in01(p->defer_share) && in01(p->margin) && in01(p->guard) &&
	       in01(p->handover) && in01(p->coarse) && in01(p->edge) &&
	       isfinite(p->min_horizon) &&
	       p->min_horizon >= 1 && p->min_horizon <= MODEL_HORIZON_MAX &&
	       isfinite(p->max_horizon) && p->max_horizon >= p->min_horizon &&
	       p->max_horizon <= 65536 && isfinite(p->short_horizon) &&
	       p->short_horizon >= 0 &&
	       p->short_horizon <= MODEL_HORIZON_MAX &&
	       in01(p->leak_weight) && in01(p->free_share) &&
	       isfinite(p->min_gain) && p->min_gain >= 0 && p->min_gain < 1 &&
	       isfinite(p->trade) && p->trade >= 0 && p->polish <= 100 &&
	       p->max_iters >= 1 && (unsigned int)p->objective <= PLANNER_DOWNTIME &&
	       isfinite(p->stall_span_s) && p->stall_span_s >= 0 &&
	       p->stall_span_s <= 3600;
}

struct planner *planner__new(const struct planner_params *p, struct model *m)
{
	struct planner *pl;

	if (!p || !m || !params_ok(p, model__params(m))) {
		errno = EINVAL;
		return NULL;
	}
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return NULL;
	pl->p = *p;
	pl->m = m;
	pl->words = model__words(m);
	pl->last_mask = last_word_mask(p->pages);
	link_estimate__init(&pl->link, p->bandwidth);
	progress__init(&pl->progress);
	pl->below = calloc(pl->words, sizeof(*pl->below));
	if (!pl->below) {
		free(pl);
		errno = ENOMEM;
		return NULL;
	}
	pl->sh = shadow__new(p->pages);
	if (!pl->sh)
		goto nomem;
	if (p->stall_span_s > 0) {
		double half = round(p->stall_span_s / p->epoch_s / 2);

		pl->rc = recent__new(p->pages, half < 1 ? 1 :
					       half > RECENT_HALF_MAX ?
					       RECENT_HALF_MAX :
					       (unsigned int)half);
		if (!pl->rc)
			goto nomem;
	}
	return pl;
nomem:
	planner__free(pl);
	errno = ENOMEM;
	return NULL;
}

void planner__free(struct planner *pl)
{
	if (!pl)
		return;
	free(pl->bk);
	free(pl->below);
	shadow__free(pl->sh);
	recent__free(pl->rc);
	free(pl);
}

void planner__bandwidth(const struct planner *pl, double *mu, double *sd)
{
	if (mu)
		*mu = pl->link.mu;
	if (sd)
		*sd = pl->link.sd;
}

double planner__leak(const struct planner *pl)
{
	return pl->leak_known ? pl->leak : -1;
}

double planner__bytes_per_page(const struct planner *pl)
{
	double bpp = ((double)pl->words * sizeof(*pl->below) +
		      (double)pl->bk_cap * sizeof(*pl->bk)) /
		     (double)pl->p.pages;

	if (pl->sh)
		bpp += shadow__bytes_per_page(pl->sh);
	if (pl->rc)
		bpp += recent__bytes_per_page(pl->rc);
	return bpp;
}

double plan__bytes_per_page(const struct plan *p)
{
	double words = (double)((p->pages + 63) / 64);

	return p->pages ? (2 * words * 8 + (double)p->cap * sizeof(*p->send)) /
			  (double)p->pages : 0;
}

uint64_t planner__fallbacks(const struct planner *pl)
{
	return pl->fallbacks;
}

/* The hazards over the prepared horizon (pl->hzn) of the pages of word w
 * set in mask, into out: the model's (model__horizon_word, whose `below`
 * for the next word it returns), once the migration stalled the larger
 * of that and the recent write rate's (Stalled), or the hazard source's
 * when one is set (planner__set_hazard_source). */
static uint64_t word_hz(const struct planner *pl, uint64_t w, uint64_t mask,
			uint64_t below, float *out)
{
	uint64_t x;

	below = model__horizon_word(pl->m, &pl->hzn, w, mask, below, out);
	if (pl->hz_fn)
		for (x = mask; x; x &= x - 1) {
			unsigned int j = __builtin_ctzll(x);

			out[j] = pl->hz_fn(pl->hz_ctx, w * 64 + j, pl->hzn.h);
		}
	else if (pl->stalled && pl->rc)
		for (x = mask; x; x &= x - 1) {
			unsigned int j = __builtin_ctzll(x);

			out[j] = fmaxf(out[j], (float)(recent__rate(pl->rc,
							w * 64 + j) * pl->hzn.h));
		}
	return below;
}

/* A page's hazard over the last plan's horizon. */
static double page_hz(const struct planner *pl, uint64_t page)
{
	float z[64];
	uint64_t w = page / 64;

	if (page >= pl->p.pages)
		return 0;
	word_hz(pl, w, 1ULL << (page % 64), pl->below[w], z);
	return z[page % 64];
}

void planner__set_hazard_source(struct planner *pl, planner_hazard_fn fn,
				void *ctx)
{
	pl->hz_fn = fn;
	pl->hz_ctx = fn ? ctx : NULL;
}

double planner__page_risk(const struct planner *pl, uint64_t page)
{
	return pl->iter ? -expm1(-page_hz(pl, page)) : 0;
}

/* What the fresh count of an iteration says: the leak rate, per second
 * of the iteration (not per page sent: in a first pass most pages sent
 * are zero pages, which cost the link next to nothing, and would dilute
 * it). */
static void note_fresh(struct planner *pl, const struct planner_feedback *fb)
{
	double x;

	if (!fb->has_fresh)
		return;
	x = (double)fb->fresh / fb->duration_s;
	pl->leak = pl->leak_known ? pl->leak + LEAK_ALPHA * (x - pl->leak) : x;
	pl->leak_known = true;
}

/* The shadow sends what the migration sent. */
static void shadow_catch_up(struct planner *pl)
{
	uint64_t s;

	if (!pl->sh)
		return;
	s = shadow__sent(pl->sh);
	if (s < pl->sent)
		shadow__send(pl->sh, pl->sent - s, pl->budget);
	pl->carry = 0;
}

void planner__epoch(struct planner *pl, const uint64_t *written,
		    double length_s)
{
	double n;

	if (!written)
		return;
	if (pl->rc)
		recent__add(pl->rc, written);
	if (!pl->sh)
		return;
	/* the link kept sending during the epoch: so does the shadow, up
	 * to a window ahead of the sends reported */
	if (pl->iter && isfinite(length_s) && length_s > 0) {
		pl->carry += length_s * pl->link.mu / pl->p.page_size;
		n = floor(pl->carry);
		if (shadow__sent(pl->sh) + n > pl->sent + pl->window)
			n = (double)(pl->sent + pl->window) -
			    (double)shadow__sent(pl->sh);
		if (n >= 1) {
			shadow__send(pl->sh, (uint64_t)n, pl->budget);
			pl->carry -= n;
		}
	}
	shadow__write(pl->sh, written);
}

int planner__feedback(struct planner *pl, const struct planner_feedback *fb)
{
	double x;

	if (!fb || !finite_pos(fb->duration_s) || !isfinite(fb->bandwidth) ||
	    fb->bandwidth < 0)
		return -EINVAL;
	note_fresh(pl, fb);
	pl->free_this = false;
	pl->threshold = fb->threshold;
	link_estimate__add_iteration(&pl->link, fb->pages_sent,
				     fb->duration_s);
	pl->sent += fb->pages_sent;
	shadow_catch_up(pl);
	x = fb->bandwidth;
	if (!x)
		x = (double)fb->pages_sent * pl->p.page_size / fb->duration_s;
	link_estimate__add_bandwidth(&pl->link, x);
	return 0;
}

/* The model's working-set curve: W(k epochs) for k = 1, 4, 8. */
static void ws_curve_of(const struct planner *pl, struct ws_curve *c,
			double time_scale)
{
	static const unsigned int at[MODEL_WS_POINTS] = { 1, 4, 8 };
	struct model_stats st;
	unsigned int i;

	model__stats(pl->m, &st);
	memset(c, 0, sizeof(*c));
	for (i = 0; i < MODEL_WS_POINTS; i++)
		ws_curve__add(c, at[i] * st.epoch_s * time_scale,
			      (double)st.ws[i]);
}

/* W(t) of the model's curve, in pages. */
static double ws_at(const struct planner *pl, double t)
{
	struct ws_curve c;

	ws_curve_of(pl, &c, 1);
	return ws_curve__at(&c, t);
}

/* Advice for a migration that does not converge: fills need and throttle
 * from forecast__qemu() on the model's curve, R pages to go. */
static void advise(const struct planner *pl, uint64_t r, struct plan *out)
{
	struct forecast_input in = {
		.ram_pages = r ? r : 1,
		.page_size = pl->p.page_size,
		.bandwidth = pl->link.mu,
		.downtime_limit = pl->p.downtime_limit_s,
	};
	struct forecast f;
	double lo = 0, hi = 0.99, x;
	int i;

	out->need_bandwidth = 0;
	out->throttle = 0;
	ws_curve_of(pl, &in.ws, 1);
	if (forecast__qemu(&in, &f))
		return;
	out->need_bandwidth = f.converges ? pl->link.mu : f.needed_bandwidth;
	if (f.converges)
		return;
	/* Throttling by x stretches the curve in time: W'(t) = W((1-x) t). */
	ws_curve_of(pl, &in.ws, 1 / (1 - hi));
	if (forecast__qemu(&in, &f) || !f.converges)
		return;
	for (i = 0; i < 30; i++) {
		x = (lo + hi) / 2;
		ws_curve_of(pl, &in.ws, 1 / (1 - x));
		if (!forecast__qemu(&in, &f) && f.converges)
			hi = x;
		else
			lo = x;
	}
	out->throttle = hi;
}

int planner__advise(const struct planner *pl, uint64_t remaining,
		    double *need_bandwidth, double *throttle)
{
	struct plan out;

	if (!pl || !need_bandwidth || !throttle)
		return -EINVAL;
	advise(pl, remaining, &out);
	*need_bandwidth = out.need_bandwidth;
	*throttle = out.throttle;
	return 0;
}

/* Word w of the dirty bitmap, without the bits past the last page. */
static inline uint64_t dirty_word(const struct planner *pl,
				  const uint64_t *dirty, uint64_t w)
{
	return dirty[w] & (w + 1 == pl->words ? pl->last_mask : ~0ULL);
}

/* The plan callers fall back from: a SEND of nothing. */
static int plan_nomem(struct plan *out)
{
	out->action = PLAN_SEND;
	out->window = 0;
	out->nr_send = 0;
	out->reason = "out of memory";
	return -ENOMEM;
}

/* Progress (planner.h, "Non-convergence"): out->converging is false when
 * R is over the budget and the migration is not progressing (progress.h),
 * or after max_iters iterations. */
static void note_progress(struct planner *pl, uint64_t r, uint64_t budget,
			  struct plan *out)
{
	out->converging = progress__note(&pl->progress, r, pl->sent, budget);
	if (r > budget && pl->iter > pl->p.max_iters)
		out->converging = false;
}

/* Phase 1: R, the bandwidth, the budget, the window, progress. */
static void plan_measure(struct planner *pl, struct plan_ctx *c,
			 struct plan *out)
{
	const struct planner_params *p = &pl->p;
	double iter_s;
	uint64_t w;

	for (w = 0, c->r = 0; w < pl->words; w++)
		c->r += pop64(dirty_word(pl, c->dirty, w));
	c->lo = link_estimate__cautious(&pl->link, p->bw_sigmas);
	c->budget = (uint64_t)floor(p->downtime_limit_s *
				    link_estimate__cautious(&pl->link,
							    p->stop_sigmas) /
				    p->page_size);
	/* within the consumer's own threshold (see Budget) */
	if (pl->threshold) {
		uint64_t cap = (uint64_t)floor(PLANNER_THRESHOLD_SHARE *
					       (double)pl->threshold /
					       p->page_size);

		if (c->budget > cap)
			c->budget = cap;
	}
	iter_s = p->iter_s > 0 ? p->iter_s : p->epoch_s;
	if (p->objective == PLANNER_TIME && iter_s < PLANNER_LONG_ITER_S)
		iter_s = PLANNER_LONG_ITER_S;
	c->window = (uint64_t)floor(c->lo * iter_s / p->page_size);
	/* before the first reading: the guess may be a cap, not a rate */
	if (p->guess_window > 0 && !link_estimate__measured(&pl->link) &&
	    c->window > p->guess_window)
		c->window = p->guess_window;
	if (c->window < 1)
		c->window = 1;
	if (p->edge > 0 && c->r > c->budget && c->r - c->budget < c->window) {
		/* the excess only, but not under (1 - edge) of a window */
		uint64_t floor_w = (uint64_t)ceil((1 - p->edge) *
						  (double)c->window);

		c->window = c->r - c->budget > floor_w ? c->r - c->budget :
			    floor_w;	/* >= 1: r > budget */
	}
	pl->window = c->window;
	out->dirty = c->r;
	out->budget = c->budget;
	out->bandwidth = pl->link.mu;
	out->bandwidth_sd = pl->link.sd;
	out->bandwidth_lo = c->lo;
	note_progress(pl, c->r, c->budget, out);
	if (!out->converging) {
		advise(pl, c->r, out);
		/* not before a RAM's worth was sent (planner.h,
		 * "Stalled") */
		if (pl->sent >= pl->p.pages)
			pl->stalled = true;
	}
}

/* Phase 2: the horizon, the hazard of every dirty page over it (the
 * epoch model's over the short part, the renewal model's after), its
 * level (pl->bk, in page order), pages per level, and every level's
 * hazard and risk. Returns 0 or -ENOMEM. */
static int plan_classify(struct planner *pl, struct plan_ctx *c,
			 struct plan *out)
{
	const struct planner_params *p = &pl->p;
	struct renewal_ages ages;
	uint64_t w, k, below = 0;
	float hz[64];
	unsigned int l, j;
	double h, rate;

	/* Until the stop: at least the time to bring R down to the budget,
	 * plus one epoch for the last iteration, at the link's rate or the
	 * faster one pages went out at lately (zero pages). */
	rate = fmax(pl->link.mu / p->page_size,
		    link_estimate__page_rate(&pl->link));
	h = (double)(c->r > c->budget ? c->r - c->budget : 0) / rate /
	    p->epoch_s + 1;
	h = fmin(fmax(h, p->min_horizon), p->max_horizon);
	out->horizon_epochs = h;
	model__horizon(pl->m, h, p->short_horizon, &pl->hzn);
	for (l = 0; l < LEVELS; l++) {
		pl->hz[l] = level_hz(l);
		pl->risk[l] = (float)-expm1(-(double)pl->hz[l]);
		pl->cold[l] = pl->risk[l] < p->coarse;
	}
	if (pl->cursor >= pl->words)
		pl->cursor = 0;

	if (c->r > pl->bk_cap) {
		uint16_t *nb = realloc(pl->bk, c->r * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		pl->bk = nb;
		pl->bk_cap = c->r;
	}
	renewal__ages(model__renewal(pl->m), &ages);
	pl->rec = ages.rec;
	memset(pl->cnt, 0, sizeof(pl->cnt));
	memset(pl->cnt_rec, 0, sizeof(pl->cnt_rec));
	for (w = 0, k = 0; w < pl->words; w++) {
		uint64_t d = dirty_word(pl, c->dirty, w), x = d;
		uint64_t rw = pl->rec[w];

		if (w == pl->cursor)
			c->kc = k;
		pl->below[w] = below;
		below = word_hz(pl, w, d, below, hz);
		while (x) {
			j = __builtin_ctzll(x);
			x &= x - 1;
			l = hz_level(hz[j]);
			pl->bk[k++] = (uint16_t)l;
			pl->cnt[l]++;
			pl->cnt_rec[l] += (rw >> j) & 1;
		}
	}
	return 0;
}

/* Phase 3, the guard: regret = what the migration has sent and still
 * has to send, against the shadow QEMU's (or its total once it stopped).
 * Fall back to QEMU's order over guard * pages of regret; plan again once
 * the plan is back to even. Sets pl->fallback for this plan, and
 * c->handover (see Handover in planner.h). */
static void plan_guard(struct planner *pl, struct plan_ctx *c,
		       bool converging)
{
	double tol = pl->p.guard * (double)pl->p.pages;

	pl->budget = c->budget;
	if (!pl->sh)
		return;
	shadow_catch_up(pl);
	pl->regret = (int64_t)(pl->sent + c->r) -
		     (int64_t)(shadow__sent(pl->sh) + shadow__need(pl->sh));
	/* stock QEMU would have switched over by now, the plan is not
	 * converging and has cost more than `handover` of stock's total:
	 * hand the switchover back to QEMU's own rule, whatever the guard
	 * (a STOP that QEMU refuses above its threshold makes it run stock
	 * until its pending pages fit) */
	c->handover = pl->p.handover < 1 && shadow__stopped(pl->sh) &&
		      !converging && c->r > c->budget &&
		      (double)pl->regret > pl->p.handover *
					   (double)shadow__sent(pl->sh);
	if (pl->p.guard >= 1)
		return;	/* measure only */
	/* once the shadow switched over, QEMU's order cannot catch up; and
	 * within a window of the budget the plan stops at the next sync
	 * that fits, where a stock pass would go on to its end: then the
	 * plan's way to the stop is the shortest left */
	if (shadow__stopped(pl->sh) || c->r <= c->budget + c->window)
		pl->fallback = false;
	else if (!pl->fallback && (double)pl->regret > tol)
		pl->fallback = true;
	else if (pl->fallback && pl->regret <= 0)
		pl->fallback = false;
}

/* Phase 4: how many pages of each bucket to hold back (defer_q), the
 * riskiest first: buckets whose risk_h >= defer_risk, up to the room the
 * budget leaves once the pages written during the last iteration are
 * provided for. */
static void plan_defer(struct planner *pl, struct plan_ctx *c)
{
	const struct planner_params *p = &pl->p;
	double keep, room;
	struct model_stats st;
	unsigned int j;

	memset(pl->defer_q, 0, sizeof(pl->defer_q));
	memset(pl->defer_rec, 0, sizeof(pl->defer_rec));
	c->ndef = 0;
	if (pl->fallback)
		return;
	/* no epoch learned and no stall rates: every hazard is the
	 * prior's, no evidence to hold a page back on (see Held back) */
	model__stats(pl->m, &st);
	if (!st.epochs && !pl->stalled)
		return;
	if (!pl->leak_known)
		keep = (1 - p->defer_share) * (double)c->budget;
	else
		keep = fmax(p->margin * (double)c->budget,
			    p->leak_weight * pl->leak * (double)c->window *
				    p->page_size / pl->link.mu);
	room = (double)c->budget - keep;
	for (j = LEVELS; j-- > 0 && room >= 1;) {
		unsigned int b = j;
		uint64_t take;

		if (pl->risk[b] < p->defer_risk)
			break;
		take = pl->cnt[b] < room ? pl->cnt[b] : (uint64_t)room;
		pl->defer_q[b] = take;
		/* within a level, the pages whose hazard rests on a write
		 * of their own go first (see Held back) */
		pl->defer_rec[b] = take < pl->cnt_rec[b] ? take :
			pl->cnt_rec[b];
		c->ndef += take;
		room -= (double)take;
	}
}

/* Phase 5: the iteration the plan makes (send_q, by ascending hazard),
 * the dirty pages expected at the next sync, and whether to stop now. */
static bool plan_iterate(struct planner *pl, struct plan_ctx *c,
			 struct plan *out)
{
	const struct planner_params *p = &pl->p;
	double t_it, sum_s = 0, sum_d = 0, w_out, next, cost, r = (double)c->r;
	uint64_t all = c->r - c->ndef, left;
	unsigned int j;

	double cold = 0, cold_r = 0;

	c->nsend = all < c->window ? all : c->window;
	t_it = (double)c->nsend * p->page_size / pl->link.mu;
	/* over one iteration: the share of the horizon's hazard it holds,
	 * as if the hazard were even over the horizon */
	for (j = 0; j < LEVELS; j++)
		pl->risk_it[j] = (float)-expm1(-(double)pl->hz[j] *
			fmin(1, t_it / p->epoch_s / out->horizon_epochs));
	/* the cold pages first, as many as fit, in address order */
	for (j = 0; j < LEVELS; j++) {
		unsigned int b = j;
		double avail = (double)(pl->cnt[b] - pl->defer_q[b]);

		sum_d += (double)pl->cnt[b] * pl->risk_it[b];
		if (!pl->cold[b])
			continue;
		cold += avail;
		cold_r += avail * pl->risk_it[b];
	}
	c->ncold = cold < (double)c->nsend ? (uint64_t)cold : c->nsend;
	if (cold > 0)
		sum_s = cold_r * (double)c->ncold / cold;
	/* then the others by ascending hazard */
	left = c->nsend - c->ncold;
	for (j = 0; j < LEVELS; j++) {
		unsigned int b = j;
		uint64_t avail = pl->cnt[b] - pl->defer_q[b];
		uint64_t take = avail < left ? avail : left;

		if (pl->cold[b]) {
			pl->send_q[b] = 0;
			continue;
		}
		pl->send_q[b] = pl->fallback ? 0 : take;
		left -= take;
		sum_s += (double)take * pl->risk_it[b];
	}
	w_out = fmax(0, ws_at(pl, t_it) - sum_d);
	next = r - (double)c->nsend + sum_s + w_out;
	out->expected_next = next;

	/* no STOP on a guessed bandwidth (see Stop-and-copy in planner.h) */
	if (c->r > c->budget || (c->r && !link_estimate__measured(&pl->link)))
		return false;
	if (!c->r)
		return true;
	cost = sum_s + w_out;
	/* pages, time: a further iteration only adds pages, so none but a
	 * nearly free one (see Nearly free in planner.h) */
	if (p->objective != PLANNER_DOWNTIME) {
		/* the pages it adds: the model's cost, and at least what
		 * came back lately in as long (the leak) */
		double add = fmax(cost, pl->leak_known ? pl->leak * t_it : 0);
		bool may = pl->free_this || pl->free_iters < PLANNER_FREE_ITERS;

		if (!may || p->free_share <= 0 || !c->nsend ||
		    add > p->free_share * ((double)c->nsend - add))
			return true;
		if (!pl->free_this)
			pl->free_iters++;
		pl->free_this = true;
		return false;
	}
	/* downtime: continue while it shrinks the final round enough */
	if (next >= (1 - p->min_gain) * r)
		return true;
	if (r - next >= p->trade * cost)
		return false;
	if (pl->polished >= p->polish)
		return true;
	pl->polished++;	/* a last iteration for the downtime */
	return false;
}

/* Emit STOP: every dirty page, in address order. */
static int plan_emit_stop(struct planner *pl, const struct plan_ctx *c,
			  struct plan *out)
{
	uint64_t w;

	if (plan_reserve(out, c->r))
		return plan_nomem(out);
	for (w = 0; w < pl->words; w++) {
		uint64_t x = dirty_word(pl, c->dirty, w);

		while (x) {
			out->send[out->nr_send++] = w * 64 + __builtin_ctzll(x);
			x &= x - 1;
		}
	}
	out->action = PLAN_STOP;
	out->window = 0;
	out->downtime_s = (double)c->r * pl->p.page_size / pl->link.mu;
	out->reason = c->handover ?
		      "not converging where stock QEMU would have stopped: "
		      "QEMU's rules decide" :
		      !c->r ? "nothing dirty" :
		      pl->p.objective == PLANNER_DOWNTIME ?
		      "fits the downtime limit, no gain left" :
		      "fits the downtime limit";
	return 0;
}

/* Place the dirty pages of word w (k: index of its first one in pl->bk):
 * held back, in send[] (cold ones at *off0 while *q0 lasts, the others at
 * their bucket's offset while its quota lasts), or past the window.
 * Returns the index after the word's pages. */
static uint64_t place_word(struct planner *pl, const struct plan_ctx *c,
			   struct plan *out, uint64_t w, uint64_t k,
			   uint64_t *off0, uint64_t *q0)
{
	uint64_t x = dirty_word(pl, c->dirty, w), defw = 0, riskw = 0;
	uint64_t rw = pl->rec[w];

	while (x) {
		unsigned int j = __builtin_ctzll(x), b = pl->bk[k++];
		bool on_record = (rw >> j) & 1;

		x &= x - 1;
		if (on_record ? pl->defer_rec[b] > 0 :
				pl->defer_q[b] > pl->defer_rec[b]) {
			pl->defer_q[b]--;
			pl->defer_rec[b] -= on_record;
			riskw |= 1ULL << j;
		} else if (pl->cold[b] && *q0) {
			(*q0)--;
			out->send[(*off0)++] = w * 64 + j;
			if (!*q0)
				pl->cursor = w;
			continue;
		} else if (!pl->cold[b] && pl->send_q[b]) {
			pl->send_q[b]--;
			out->send[pl->off[b]++] = w * 64 + j;
			continue;
		}
		defw |= 1ULL << j;
	}
	out->deferred[w] = defw;
	out->risky[w] = riskw;
	out->nr_deferred += pop64(defw);
	out->nr_risky += pop64(riskw);
	return k;
}

/* Emit SEND: send[] holds the cold pages in address order from the cursor
 * (where the last plan's cold pages ended, as QEMU's pass resumes), then
 * the others by ascending hazard (offsets per bucket); the held back
 * pages go in risky and deferred, the rest of the dirty pages in deferred.
 * A fallback plan has an empty send[] and holds nothing back: the
 * consumer sends the window in its own order (address order, resuming
 * where it left off). */
static int plan_emit_send(struct planner *pl, const struct plan_ctx *c,
			  struct plan *out)
{
	uint64_t w, k, left, nsend = pl->fallback ? 0 : c->nsend;
	uint64_t off0 = 0, q0 = pl->fallback ? 0 : c->ncold, cw = pl->cursor;
	unsigned int j;

	if (plan_reserve(out, nsend))
		return plan_nomem(out);
	left = q0;
	for (j = 0; j < LEVELS; j++) {
		unsigned int b = j;

		pl->off[b] = left;
		left += pl->send_q[b];
	}
	for (w = cw, k = c->kc; w < pl->words; w++)
		k = place_word(pl, c, out, w, k, &off0, &q0);
	for (w = 0, k = 0; w < cw; w++)
		k = place_word(pl, c, out, w, k, &off0, &q0);
	if (q0 && !pl->fallback)
		pl->cursor = 0;	/* every cold page went: a new pass */
	out->nr_send = nsend;
	out->action = PLAN_SEND;
	/* a fallback is one stock QEMU pass: every dirty page, then a sync
	 * (a sync every window would send the pages written ahead of the
	 * cursor in the same pass, which a scanning writer rewrites) */
	out->window = pl->fallback ? c->r : c->window;
	pl->window = out->window;	/* how far the shadow may run ahead */
	out->downtime_s = 0;
	out->fallback = pl->fallback;
	out->regret = pl->regret;
	if (pl->fallback) {
		pl->fallbacks++;
		out->reason = "the plan is not winning: QEMU's order";
	} else {
		out->reason = c->r > c->budget ?
			"too much dirty for the downtime limit" :
			!link_estimate__measured(&pl->link) ?
			"no bandwidth reading yet: the budget is a guess" :
			"another iteration shrinks what is dirty";
	}
	return 0;
}

int planner__plan(struct planner *pl, const uint64_t *dirty, struct plan *out)
{
	struct plan_ctx c = { .dirty = dirty };

	if (!dirty || !out || out->pages != pl->p.pages)
		return -EINVAL;
	pl->iter++;
	out->iteration = pl->iter;
	out->nr_send = 0;
	out->nr_deferred = 0;
	out->nr_risky = 0;
	out->need_bandwidth = 0;
	out->throttle = 0;
	out->fallback = false;
	out->regret = 0;
	memset(out->deferred, 0, pl->words * sizeof(uint64_t));
	memset(out->risky, 0, pl->words * sizeof(uint64_t));

	plan_measure(pl, &c, out);
	if (plan_classify(pl, &c, out))
		return plan_nomem(out);
	plan_guard(pl, &c, out->converging);
	plan_defer(pl, &c);
	if (c.handover || plan_iterate(pl, &c, out))
		return plan_emit_stop(pl, &c, out);
	return plan_emit_send(pl, &c, out);
}
