// SPDX-License-Identifier: GPL-2.0
/* planner.c - pre-copy plans from the dirty-probability model (see
 * planner.h for the rules). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bitops.h"
#include "forecast.h"
#include "planner.h"

#define RHIST 8			/* syncs looked at for progress */
#define DEFER_MARGIN 0.9	/* of the budget, for the expected final */

struct planner {
	struct planner_params p;
	struct model *m;
	uint64_t words, last_mask;
	double mu, var;
	bool measured;
	uint64_t iter;
	uint64_t rhist[RHIST];	/* R at the last RHIST syncs (ring) */
	uint64_t rmin_old;	/* smallest R before those */
	unsigned int polished;	/* iterations granted for the downtime */

	float risk[MODEL_BUCKETS];	/* risk_h */
	float risk_it[MODEL_BUCKETS];	/* risk over one iteration */
	uint64_t cnt[MODEL_BUCKETS];	/* dirty pages per bucket */
	uint64_t defer_q[MODEL_BUCKETS];/* pages of each to defer */
	uint64_t send_q[MODEL_BUCKETS];	/* pages of each to send */
	uint64_t off[MODEL_BUCKETS];	/* next send[] slot of each */
	unsigned int order[MODEL_BUCKETS]; /* buckets by ascending risk */
	uint16_t *bk;			/* bucket of each dirty page, pass 1 */
	uint64_t bk_cap;
};

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
	p->bw_alpha = 0.3;
	p->bw_sigmas = 1;
	p->iter_s = 0;
	p->defer_risk = 0.5;
	p->defer_share = 0.5;
	p->min_gain = 0.1;
	p->trade = 2;
	p->polish = 1;
	p->max_iters = 1000;
}

static bool finite_pos(double x)
{
	return isfinite(x) && x > 0;
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

struct planner *planner__new(const struct planner_params *p, struct model *m)
{
	const struct model_params *mp;
	struct planner *pl;

	if (!p || !m) {
		errno = EINVAL;
		return NULL;
	}
	mp = model__params(m);
	if (p->pages != mp->pages || p->page_size != mp->page_size ||
	    !finite_pos(p->downtime_limit_s) || !finite_pos(p->epoch_s) ||
	    !finite_pos(p->bandwidth) || !finite_pos(p->bw_alpha) ||
	    p->bw_alpha > 1 || !isfinite(p->bw_sigmas) || p->bw_sigmas < 0 ||
	    !isfinite(p->iter_s) || p->iter_s < 0 ||
	    !finite_pos(p->defer_risk) || p->defer_risk > 1 ||
	    !isfinite(p->defer_share) || p->defer_share < 0 ||
	    p->defer_share > 1 || !isfinite(p->min_gain) || p->min_gain < 0 ||
	    p->min_gain >= 1 || !isfinite(p->trade) || p->trade < 0 ||
	    p->polish > 100 ||
	    p->max_iters < 1) {
		errno = EINVAL;
		return NULL;
	}
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return NULL;
	pl->p = *p;
	pl->m = m;
	pl->words = model__words(m);
	pl->last_mask = p->pages % 64 ? (1ULL << (p->pages % 64)) - 1 : ~0ULL;
	pl->mu = p->bandwidth;
	pl->rmin_old = UINT64_MAX;
	return pl;
}

void planner__free(struct planner *pl)
{
	if (!pl)
		return;
	free(pl->bk);
	free(pl);
}

void planner__bandwidth(const struct planner *pl, double *mu, double *sd)
{
	if (mu)
		*mu = pl->mu;
	if (sd)
		*sd = sqrt(pl->var);
}

int planner__feedback(struct planner *pl, const struct planner_feedback *fb)
{
	double x, a = pl->p.bw_alpha, d;

	if (!fb || !finite_pos(fb->duration_s) || !isfinite(fb->bandwidth) ||
	    fb->bandwidth < 0)
		return -EINVAL;
	x = fb->bandwidth;
	if (!x)
		x = (double)fb->pages_sent * pl->p.page_size / fb->duration_s;
	if (!(x > 0))
		return 0;
	if (!pl->measured) {
		pl->mu = x;
		pl->var = 0;
		pl->measured = true;
		return 0;
	}
	d = x - pl->mu;
	pl->mu += a * d;
	pl->var = (1 - a) * (pl->var + a * d * d);
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
		.bandwidth = pl->mu,
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
	out->need_bandwidth = f.converges ? pl->mu : f.needed_bandwidth;
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

static int cmp_bucket_risk(const void *a, const void *b, void *ctx)
{
	const float *risk = ctx;
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	if (risk[x] != risk[y])
		return risk[x] < risk[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Sort order[] (bucket numbers) by ascending risk, ties by number. */
static void sort_buckets(struct planner *pl)
{
	unsigned int i;

	for (i = 0; i < MODEL_BUCKETS; i++)
		pl->order[i] = i;
	qsort_r(pl->order, MODEL_BUCKETS, sizeof(pl->order[0]),
		cmp_bucket_risk, pl->risk);
}

static void note_progress(struct planner *pl, uint64_t r, uint64_t budget,
			  struct plan *out)
{
	uint64_t slot = (pl->iter - 1) % RHIST, minr = UINT64_MAX;
	unsigned int i;

	if (pl->iter > RHIST && pl->rhist[slot] < pl->rmin_old)
		pl->rmin_old = pl->rhist[slot];
	pl->rhist[slot] = r;
	for (i = 0; i < RHIST && i < pl->iter; i++)
		if (pl->rhist[i] < minr)
			minr = pl->rhist[i];
	out->converging = true;
	if (r <= budget)
		return;
	if (pl->iter > pl->p.max_iters ||
	    (pl->iter > RHIST && pl->rmin_old != UINT64_MAX &&
	     (double)minr > 0.95 * (double)pl->rmin_old))
		out->converging = false;
}

int planner__plan(struct planner *pl, const uint64_t *dirty, struct plan *out)
{
	const struct planner_params *p = &pl->p;
	uint64_t w, r = 0, budget, window, ndef = 0, nsend_all = 0;
	uint64_t nsend, left, k;
	double sd, lo, h, t_it, sum_risk_d = 0, sum_risk_s = 0, w_out, next;
	double cost, t_win, fresh, share_cap, sr1 = 0;
	struct model_stats st;
	bool stop;
	uint16_t bk[64];
	unsigned int j;
	int err;

	if (!dirty || !out || out->pages != p->pages)
		return -EINVAL;
	pl->iter++;
	out->iteration = pl->iter;
	out->nr_send = 0;
	out->nr_deferred = 0;
	out->nr_risky = 0;
	out->need_bandwidth = 0;
	out->throttle = 0;
	memset(out->deferred, 0, pl->words * sizeof(uint64_t));
	memset(out->risky, 0, pl->words * sizeof(uint64_t));

	for (w = 0; w < pl->words; w++)
		r += pop64(dirty[w] & (w + 1 == pl->words ?
						     pl->last_mask : ~0ULL));
	sd = sqrt(pl->var);
	lo = fmax(pl->mu - p->bw_sigmas * sd, pl->mu / 4);
	budget = (uint64_t)floor(p->downtime_limit_s * lo / p->page_size);
	out->dirty = r;
	out->budget = budget;
	out->bandwidth = pl->mu;
	out->bandwidth_sd = sd;
	out->bandwidth_lo = lo;
	model__stats(pl->m, &st);
	note_progress(pl, r, budget, out);
	if (!out->converging)
		advise(pl, r, out);

	/* Until the stop: at least the time to bring R down to the budget,
	 * plus one epoch for the last iteration. */
	h = (double)(r > budget ? r - budget : 0) * p->page_size / pl->mu /
	    p->epoch_s + 1;
	h = fmin(fmax(h, 1), MODEL_HORIZON_MAX);
	out->horizon_epochs = h;
	model__risk(pl->m, h, pl->risk);

	/* Pass 1: the bucket of every dirty page (kept in pl->bk, in page
	 * order) and the pages per bucket. */
	if (r > pl->bk_cap) {
		uint16_t *nb = realloc(pl->bk, r * sizeof(*nb));

		if (!nb) {
			out->action = PLAN_SEND;
			out->window = 0;
			out->reason = "out of memory";
			return -ENOMEM;
		}
		pl->bk = nb;
		pl->bk_cap = r;
	}
	memset(pl->cnt, 0, sizeof(pl->cnt));
	for (w = 0, k = 0; w < pl->words; w++) {
		uint64_t d = dirty[w] & (w + 1 == pl->words ? pl->last_mask :
					 ~0ULL), x = d;

		if (!d)
			continue;
		model__buckets_word(pl->m, w, d, bk);
		while (x) {
			j = __builtin_ctzll(x);
			x &= x - 1;
			pl->bk[k++] = bk[j];
			pl->cnt[bk[j]]++;
		}
	}

	/* Window: what the link carries in one iteration. */
	window = (uint64_t)floor(lo * (p->iter_s > 0 ? p->iter_s :
				      p->epoch_s) / p->page_size);
	if (window < 1)
		window = 1;
	t_win = (double)window * p->page_size / pl->mu;
	model__risk(pl->m, t_win / p->epoch_s, pl->risk_it);

	/* Deferral: the riskiest pages over defer_risk. As many as keep the
	 * expected stop-and-copy (deferred pages plus the other pages
	 * written during one window) within the budget, and at least
	 * defer_share * budget. A deferred page that would have been
	 * rewritten anyway costs nothing there. */
	sort_buckets(pl);
	fresh = (double)st.dirty_last * t_win / st.epoch_s;
	share_cap = floor(p->defer_share * (double)budget);
	memset(pl->defer_q, 0, sizeof(pl->defer_q));
	memset(pl->send_q, 0, sizeof(pl->send_q));
	for (j = MODEL_BUCKETS; j-- > 0;) {
		unsigned int b = pl->order[j];
		double r1 = pl->risk_it[b], room, take;

		if (pl->risk[b] < p->defer_risk || !pl->cnt[b])
			continue;
		/* ndef + take + fresh - (sr1 + take * r1) <= margin * budget */
		room = DEFER_MARGIN * (double)budget - (double)ndef - fresh +
		       sr1;
		take = r1 < 1 ? floor(room / (1 - r1)) : (double)pl->cnt[b];
		if (take < share_cap - (double)ndef)
			take = share_cap - (double)ndef;
		if (take > (double)pl->cnt[b])
			take = (double)pl->cnt[b];
		if (take > (double)(budget - ndef))
			take = (double)(budget - ndef);	/* all fit the final */
		if (take <= 0)
			break;
		pl->defer_q[b] = (uint64_t)take;
		ndef += (uint64_t)take;
		sr1 += take * r1;
	}
	nsend_all = r - ndef;

	/* The iteration it makes. */
	nsend = nsend_all < window ? nsend_all : window;
	t_it = (double)nsend * p->page_size / pl->mu;
	model__risk(pl->m, t_it / p->epoch_s, pl->risk_it);
	left = nsend;
	for (j = 0; j < MODEL_BUCKETS; j++) {
		unsigned int b = pl->order[j];
		uint64_t avail = pl->cnt[b] - pl->defer_q[b];
		uint64_t take = avail < left ? avail : left;

		pl->send_q[b] = take;
		left -= take;
		sum_risk_s += (double)take * pl->risk_it[b];
		sum_risk_d += (double)pl->cnt[b] * pl->risk_it[b];
	}
	w_out = fmax(0, ws_at(pl, t_it) - sum_risk_d);
	next = (double)r - (double)nsend + sum_risk_s + w_out;
	out->expected_next = next;

	cost = sum_risk_s + w_out;
	stop = r <= budget &&
	       (r == 0 || next >= (1 - p->min_gain) * (double)r ||
		((double)r - next < p->trade * cost &&
		 pl->polished >= p->polish));
	if (r <= budget && !stop && (double)r - next < p->trade * cost)
		pl->polished++;	/* a last iteration for the downtime */
	if (stop) {
		/* Stop and copy: every dirty page, in address order. */
		err = plan_reserve(out, r);
		if (err) {
			out->action = PLAN_SEND;
			out->window = 0;
			out->reason = "out of memory";
			return err;
		}
		for (w = 0; w < pl->words; w++) {
			uint64_t x = dirty[w] & (w + 1 == pl->words ?
						 pl->last_mask : ~0ULL);

			while (x) {
				out->send[out->nr_send++] =
					w * 64 + __builtin_ctzll(x);
				x &= x - 1;
			}
		}
		out->action = PLAN_STOP;
		out->window = 0;
		out->downtime_s = (double)r * p->page_size / pl->mu;
		out->reason = r == 0 ? "nothing dirty" :
				       "fits the downtime limit, no gain left";
		return 0;
	}

	/* Pass 2: place pages. Offsets in ascending-risk bucket order. */
	err = plan_reserve(out, nsend);
	if (err) {
		out->action = PLAN_SEND;
		out->window = 0;
		out->reason = "out of memory";
		return err;
	}
	left = 0;
	for (j = 0; j < MODEL_BUCKETS; j++) {
		unsigned int b = pl->order[j];

		pl->off[b] = left;
		left += pl->send_q[b];
	}
	for (w = 0, k = 0; w < pl->words; w++) {
		uint64_t d = dirty[w] & (w + 1 == pl->words ? pl->last_mask :
					 ~0ULL), x = d, defw = 0, riskw = 0;

		if (!d)
			continue;
		while (x) {
			unsigned int b;

			j = __builtin_ctzll(x);
			x &= x - 1;
			b = pl->bk[k++];
			if (pl->defer_q[b]) {
				pl->defer_q[b]--;
				out->nr_risky++;
				defw |= 1ULL << j;
				riskw |= 1ULL << j;
			} else if (pl->send_q[b]) {
				pl->send_q[b]--;
				out->send[pl->off[b]++] = w * 64 + j;
			} else {
				defw |= 1ULL << j;
			}
		}
		out->deferred[w] = defw;
		out->risky[w] = riskw;
		out->nr_deferred += pop64(defw);
	}
	out->nr_send = nsend;
	out->action = PLAN_SEND;
	out->window = window;
	out->downtime_s = 0;
	out->reason = r > budget ? "too much dirty for the downtime limit" :
				   "another iteration shrinks what is dirty";
	return 0;
}
