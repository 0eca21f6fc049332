// SPDX-License-Identifier: GPL-2.0
/* sim.c - the pre-copy migration simulator (see sim.h for the model). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "util/errmsg.h"
#include "util/median.h"
#include "sim.h"

const struct sim_algo *const sim_algos[] = {
	&sim_algo_qemu, &sim_algo_xen, &sim_algo_tsb, &sim_algo_prob,
	&sim_algo_oracle, NULL,
};

const struct sim_algo *const sim_diagnostic_algos[] = {
	&sim_algo_prob_clairvoyant, &sim_algo_prob_rates, NULL,
};

/* A write placed in time: page and absolute trace time (first replay). */
struct sim_write {
	uint64_t page;
	double t;
};

struct sim_trace {
	const struct trace_epochs *tr;
	uint64_t pages, nr_ep, nr_w;
	uint32_t page_size;
	double epoch_s, period;
	double *start, *len;		/* per epoch, seconds */
	struct sim_write *w;		/* all writes in time order */
};

struct sim {
	const struct sim_trace *t;
	struct sim_config cfg;
	const struct sim_algo *algo;
	uint64_t pages, words, last_mask, nr_ep;
	uint32_t page_size;
	double dt, start, period, epoch_s;
	uint64_t budget, max_slots;

	uint32_t *src, *dst;		/* versions: writes seen, received */
	uint16_t *nsent;		/* sends per page (saturating) */
	uint8_t *tag;			/* class of each page's last live send */
	float *wrote_t;			/* per page: time of its last write
					 * (trace time; < 0: none) */
	float *sent_t, *sent_age;	/* ... of its last live send, and its
					 * age then (< 0: never written) */
	struct sim_result *res;		/* the run's, for the accounting */
	uint64_t *dirty, *written, *snap, *epbits;
	uint64_t slot;			/* live pages sent */
	uint64_t next_apply;		/* next write (global index) */
	uint64_t next_obs;		/* next global epoch to show */
	uint64_t loops;
	bool used[SIM_PARAMS_MAX];
	/* the future (sim__future_init): per write of one replay, the index
	 * of the same page's next write (>= the replay's writes: in the next
	 * replay); per page, the global index of its next write not applied
	 * yet (UINT64_MAX: never written) */
	uint64_t *next_same, *next_w;
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int cmp_write(const void *a, const void *b)
{
	const struct sim_write *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->page < y->page ? -1 : x->page > y->page;
}

static double median_epoch(const struct trace_epochs *tr);

struct sim_trace *sim_trace__new(const struct trace_epochs *tr, char *err,
				 size_t errlen)
{
	struct sim_trace *t;
	uint64_t e, i, n = 0;

	if (!tr || !tr->nr_epochs || !tr->hdr.pages) {
		errmsg_set(err, errlen, "the trace has no epochs");
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->tr = tr;
	t->pages = tr->hdr.pages;
	t->page_size = tr->hdr.page_size;
	t->nr_ep = tr->nr_epochs;
	t->epoch_s = median_epoch(tr);
	t->period = fmax(tr->end_us * 1e-6,
			 tr->epochs[tr->nr_epochs - 1].start_us * 1e-6 +
				 t->epoch_s);
	for (e = 0; e < tr->nr_epochs; e++)
		n += tr->epochs[e].nr_pages;
	t->nr_w = n;
	t->start = malloc(t->nr_ep * sizeof(double));
	t->len = malloc(t->nr_ep * sizeof(double));
	t->w = malloc((n ? n : 1) * sizeof(*t->w));
	if (!t->start || !t->len || !t->w)
		goto nomem;
	n = 0;
	for (e = 0; e < tr->nr_epochs; e++) {
		const struct trace_epoch *ep = &tr->epochs[e];
		double st = ep->start_us * 1e-6, len;

		len = (e + 1 < tr->nr_epochs ?
			       tr->epochs[e + 1].start_us * 1e-6 : t->period) - st;
		t->start[e] = st;
		t->len[e] = len > 0 ? len : 0;
		for (i = 0; i < ep->nr_pages; i++) {
			uint64_t h = mix64(ep->pages[i] * 0x100000001b3ULL ^
					   mix64(e));

			t->w[n + i].page = ep->pages[i];
			t->w[n + i].t = st + t->len[e] *
					     ((h >> 11) * 0x1.0p-53);
		}
		qsort(&t->w[n], ep->nr_pages, sizeof(*t->w), cmp_write);
		n += ep->nr_pages;
	}
	return t;
nomem:
	errmsg_set(err, errlen, "out of memory preparing the trace");
	sim_trace__free(t);
	errno = ENOMEM;
	return NULL;
}

void sim_trace__free(struct sim_trace *t)
{
	if (!t)
		return;
	free(t->start);
	free(t->len);
	free(t->w);
	free(t);
}

double sim_trace__epoch_s(const struct sim_trace *t)
{
	return t->epoch_s;
}

double sim_trace__length_s(const struct sim_trace *t)
{
	return t->period;
}

uint64_t sim_trace__writes(const struct sim_trace *t)
{
	return t->nr_w;
}

double sim_trace__dirty_rate(const struct sim_trace *t, double window_s)
{
	const struct trace_epochs *tr = t->tr;
	uint32_t *seen;
	uint64_t per, e, i, distinct = 0, windows = 0, win = 0;

	per = (uint64_t)llround(window_s / t->epoch_s);
	if (per < 1)
		per = 1;
	if (tr->nr_epochs < per)
		per = tr->nr_epochs;
	seen = calloc(t->pages, sizeof(*seen));
	if (!seen)
		return -1;
	/* seen[p] = 1 + the last window p was counted in */
	windows = tr->nr_epochs / per;
	for (e = 0; e < windows * per; e++) {
		win = e / per + 1;
		for (i = 0; i < tr->epochs[e].nr_pages; i++) {
			uint64_t p = tr->epochs[e].pages[i];

			if (seen[p] != win) {
				seen[p] = (uint32_t)win;
				distinct++;
			}
		}
	}
	free(seen);
	return windows ? distinct / (windows * per * t->epoch_s) : 0;
}

void sim_config__default(struct sim_config *c, double bandwidth,
			 double downtime_limit_s)
{
	memset(c, 0, sizeof(*c));
	c->bandwidth = bandwidth;
	c->downtime_limit_s = downtime_limit_s;
	c->start_s = -1;
	c->max_sent_ram = 20;
	c->max_iters = 100000;
	c->dirty_log = SIM_LOG_SYNC;	/* QEMU's (tools/eval/sim-vs-e2e) */
}

const struct sim_algo *sim_algo__find(const char *name)
{
	unsigned int i;

	for (i = 0; sim_algos[i]; i++)
		if (!strcmp(sim_algos[i]->name, name))
			return sim_algos[i];
	for (i = 0; sim_diagnostic_algos[i]; i++)
		if (!strcmp(sim_diagnostic_algos[i]->name, name))
			return sim_diagnostic_algos[i];
	return NULL;
}

const struct sim_config *sim__config(const struct sim *s) { return &s->cfg; }
bool sim__zero(const struct sim *s, uint64_t p)
{
	return s->cfg.zero_pages && !s->src[p] &&
	       !(s->cfg.nonzero && (s->cfg.nonzero[p / 64] >> (p % 64) & 1));
}
uint64_t sim__pages(const struct sim *s) { return s->pages; }
uint32_t sim__page_size(const struct sim *s) { return s->page_size; }
uint64_t sim__words(const struct sim *s) { return s->words; }
uint64_t sim__budget(const struct sim *s) { return s->budget; }
double sim__dt(const struct sim *s) { return s->dt; }
double sim__epoch_s(const struct sim *s) { return s->epoch_s; }
uint64_t sim__max_slots(const struct sim *s) { return s->max_slots; }

uint64_t sim__bitmap_list(const struct sim *s, const uint64_t *bm,
			  uint64_t *out)
{
	uint64_t w, n = 0;

	for (w = 0; w < s->words; w++) {
		uint64_t x = bm[w] & (w + 1 == s->words ? s->last_mask : ~0ULL);

		while (x) {
			out[n++] = w * 64 + __builtin_ctzll(x);
			x &= x - 1;
		}
	}
	return n;
}

static double ep_start(const struct sim *s, uint64_t g)
{
	return s->t->start[g % s->nr_ep] + (double)(g / s->nr_ep) * s->period;
}

static double ep_len(const struct sim *s, uint64_t g)
{
	return s->t->len[g % s->nr_ep];
}

static uint64_t slot_of(const struct sim *s, double t)
{
	t -= s->start;
	if (t <= 0)
		return 0;
	return (uint64_t)ceil(t / s->dt);
}

/* Write number i's time (trace time, replays shifted). */
static double write_time(const struct sim *s, uint64_t i)
{
	return s->t->w[i % s->t->nr_w].t +
	       (double)(i / s->t->nr_w) * s->period;
}

/* The log2 bin (see sim_result.wasted_by_delay) of x seconds. */
static unsigned int waste_bin(const struct sim *s, double x)
{
	double e = x / s->epoch_s;
	unsigned int b = 0;

	while (e >= 1 && b + 1 < SIM_WASTE_BINS) {
		e /= 2;
		b++;
	}
	return b;
}

/* Write number i was applied: its page's next write is the same page's
 * next one (sim__future_init). */
static void note_applied(struct sim *s, uint64_t i)
{
	uint64_t n = s->t->nr_w, j = i % n;

	s->next_w[s->t->w[j].page] = i - j + s->next_same[j];
}

int sim__future_init(struct sim *s)
{
	uint64_t n = s->t->nr_w, i, *first;
	int ret = -ENOMEM;

	if (s->next_w)
		return 0;
	if (s->next_apply)
		return -EINVAL;	/* only before the run (in init) */
	s->next_same = malloc((n ? n : 1) * sizeof(*s->next_same));
	s->next_w = malloc(s->pages * sizeof(*s->next_w));
	first = malloc(s->pages * sizeof(*first));
	if (!s->next_same || !s->next_w || !first)
		goto cleanup;
	for (i = 0; i < s->pages; i++)
		first[i] = UINT64_MAX;
	/* backwards: first[p] ends as p's first write of the replay */
	for (i = n; i-- > 0;) {
		uint64_t p = s->t->w[i].page;

		s->next_same[i] = first[p];
		first[p] = i;
	}
	/* a page's last write of a replay is followed by its first of the
	 * next replay */
	for (i = 0; i < n; i++)
		if (s->next_same[i] == UINT64_MAX)
			s->next_same[i] = first[s->t->w[i].page] + n;
	/* no write applied yet: each page's next is its first */
	for (i = 0; i < s->pages; i++)
		s->next_w[i] = first[i];
	ret = 0;
cleanup:
	free(first);
	if (ret) {
		free(s->next_same);
		free(s->next_w);
		s->next_same = s->next_w = NULL;
	}
	return ret;
}

double sim__now_s(const struct sim *s)
{
	return s->start + (double)s->slot * s->dt;
}

double sim__next_write_s(const struct sim *s, uint64_t p)
{
	if (!s->next_w || p >= s->pages || s->next_w[p] == UINT64_MAX)
		return INFINITY;
	return write_time(s, s->next_w[p]) - sim__now_s(s);
}

void sim__write_time(const struct sim *s, uint64_t i, uint64_t *page,
		     double *t)
{
	*page = s->t->w[i % s->t->nr_w].page;
	*t = write_time(s, i);
}

uint64_t sim__trace_writes(const struct sim *s)
{
	return s->t->nr_w;
}

void sim__write_at(const struct sim *s, uint64_t i, uint64_t *page,
		   uint64_t *slot)
{
	const struct sim_write *w = &s->t->w[i % s->t->nr_w];

	*page = w->page;
	*slot = slot_of(s, w->t + (double)(i / s->t->nr_w) * s->period);
}

int sim__param(const struct sim *s, const char *name, double min, double max,
	       double *v, char *err, size_t errlen)
{
	return sim__param_of(s, s->algo->name, name, min, max, v, err, errlen);
}

int sim__param_of(const struct sim *s, const char *algo, const char *name,
		  double min, double max, double *v, char *err, size_t errlen)
{
	size_t an = strlen(algo), nn = strlen(name);
	unsigned int i;

	for (i = 0; i < s->cfg.nr_params; i++) {
		const char *p = s->cfg.params[i], *val;
		char *end;
		double x;

		if (strncmp(p, algo, an) || p[an] != '.' ||
		    strncmp(p + an + 1, name, nn) || p[an + 1 + nn] != '=')
			continue;
		((struct sim *)s)->used[i] = true;
		val = p + an + 1 + nn + 1;
		errno = 0;
		x = strtod(val, &end);
		if (errno || end == val || *end || !isfinite(x) || x < min ||
		    x > max) {
			errmsg_set(err, errlen, "parameter %s: '%s' is not a "
				"number in [%g, %g]", p, val, min, max);
			return -EINVAL;
		}
		*v = x;
		return 1;
	}
	return 0;
}

static int check_params(const struct sim_config *c, char *err, size_t len)
{
	unsigned int i;

	if (c->nr_params > SIM_PARAMS_MAX) {
		errmsg_set(err, len, "too many parameters (at most %d)",
			SIM_PARAMS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < c->nr_params; i++) {
		const char *p = c->params[i], *dot, *eq;
		char algo[32];

		dot = p ? strchr(p, '.') : NULL;
		eq = p ? strchr(p, '=') : NULL;
		if (!dot || !eq || eq < dot || dot == p || eq == dot + 1 ||
		    (size_t)(dot - p) >= sizeof(algo)) {
			errmsg_set(err, len, "parameter '%s': expected "
				"ALGO.NAME=VALUE", p ? p : "(null)");
			return -EINVAL;
		}
		memcpy(algo, p, dot - p);
		algo[dot - p] = 0;
		if (!sim_algo__find(algo)) {
			errmsg_set(err, len, "parameter '%s': unknown algorithm "
				"'%s'", p, algo);
			return -EINVAL;
		}
	}
	return 0;
}

/* Median epoch length of the trace, seconds (0.1 if unknown). */
static double median_epoch(const struct trace_epochs *tr)
{
	double *d, m;
	uint64_t i, n = 0;

	if (tr->nr_epochs == 1) {
		const struct trace_epoch *e = &tr->epochs[0];

		return e->end_us > e->start_us ?
			       (e->end_us - e->start_us) * 1e-6 : 0.1;
	}
	d = malloc((tr->nr_epochs - 1) * sizeof(*d));
	if (!d)
		return 0.1;
	for (i = 0; i + 1 < tr->nr_epochs; i++)
		if (tr->epochs[i + 1].start_us > tr->epochs[i].start_us)
			d[n++] = (tr->epochs[i + 1].start_us -
				  tr->epochs[i].start_us) * 1e-6;
	if (!n) {
		free(d);
		return 0.1;
	}
	m = median_double(d, n);
	free(d);
	return m;
}

/* Tell the caller how far the run got, if it asked. */
static void progress(const struct sim *s)
{
	if (s->cfg.progress)
		s->cfg.progress(s->cfg.progress_arg, s->algo->name,
				s->slot * s->dt,
				(double)s->slot / (double)s->pages);
}

/* Apply every write visible at slot k. */
static void apply_until(struct sim *s, uint64_t k)
{
	uint64_t page, slot;

	if (!s->t->nr_w)
		return;
	for (;;) {
		sim__write_at(s, s->next_apply, &page, &slot);
		if (slot > k)
			return;
		if (s->next_apply / s->t->nr_w > s->loops)
			s->loops = s->next_apply / s->t->nr_w;
		s->src[page]++;
		if (!(s->dirty[page / 64] >> (page % 64) & 1) &&
		    s->nsent[page]) {
			/* a clean page sent live is written: that send is
			 * wasted */
			double wt = write_time(s, s->next_apply);

			s->res->wasted_sends++;
			s->res->tag_wasted[s->tag[page]]++;
			s->res->wasted_by_delay[waste_bin(s, wt -
							  s->sent_t[page])]++;
			s->res->wasted_by_age[s->sent_age[page] < 0 ?
				SIM_WASTE_BINS :
				waste_bin(s, s->sent_age[page])]++;
		}
		if (s->next_w)
			note_applied(s, s->next_apply);
		s->wrote_t[page] = (float)write_time(s, s->next_apply);
		s->dirty[page / 64] |= 1ULL << (page % 64);
		s->written[page / 64] |= 1ULL << (page % 64);
		s->next_apply++;
		if (!(s->next_apply & 0xffff))
			progress(s);
	}
}

/* Show the algorithm every epoch that ended by slot k. */
static void observe_until(struct sim *s, void *state, uint64_t k)
{
	double now = s->start + k * s->dt;

	while (ep_start(s, s->next_obs) + ep_len(s, s->next_obs) <=
	       now + 1e-9) {
		uint64_t g = s->next_obs++, i;
		const struct trace_epoch *e = &s->t->tr->epochs[g % s->nr_ep];
		struct sim_epoch ev = {
			.index = g, .start_s = ep_start(s, g),
			.length_s = ep_len(s, g), .ep = e, .bitmap = s->epbits,
		};

		if (!s->algo->epoch)
			continue;
		for (i = 0; i < e->nr_pages; i++)
			s->epbits[e->pages[i] / 64] |= 1ULL << (e->pages[i] % 64);
		s->algo->epoch(state, &ev);
		for (i = 0; i < e->nr_pages; i++)
			s->epbits[e->pages[i] / 64] = 0;
	}
}

static uint64_t popcount_bm(const struct sim *s, const uint64_t *bm)
{
	uint64_t w, n = 0;

	for (w = 0; w < s->words; w++)
		n += pop64(bm[w]);
	return n;
}

static void sim_free(struct sim *s)
{
	free(s->next_same);
	free(s->next_w);
	free(s->src);
	free(s->dst);
	free(s->nsent);
	free(s->tag);
	free(s->wrote_t);
	free(s->sent_t);
	free(s->sent_age);
	free(s->dirty);
	free(s->written);
	free(s->snap);
	free(s->epbits);
}

static int sim_setup(struct sim *s, const struct sim_trace *t,
		     const struct sim_algo *algo, const struct sim_config *cfg,
		     char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (!t || !algo || !cfg) {
		errmsg_set(err, errlen, "missing trace, algorithm or config");
		return -EINVAL;
	}
	if (!isfinite(cfg->bandwidth) || cfg->bandwidth <= 0) {
		errmsg_set(err, errlen, "bandwidth must be > 0");
		return -EINVAL;
	}
	if (!isfinite(cfg->downtime_limit_s) || cfg->downtime_limit_s <= 0) {
		errmsg_set(err, errlen, "downtime limit must be > 0");
		return -EINVAL;
	}
	if (!isfinite(cfg->max_sent_ram) || cfg->max_sent_ram < 1 ||
	    cfg->max_sent_ram > 1e6 || cfg->max_iters < 1) {
		errmsg_set(err, errlen, "safety cap out of range");
		return -EINVAL;
	}
	if (check_params(cfg, err, errlen))
		return -EINVAL;
	s->t = t;
	s->cfg = *cfg;
	if (algo->exact_log)
		s->cfg.dirty_log = SIM_LOG_EXACT;
	s->algo = algo;
	s->pages = t->pages;
	s->page_size = t->page_size;
	s->words = (s->pages + 63) / 64;
	s->last_mask = last_word_mask(s->pages);
	s->nr_ep = t->nr_ep;
	s->dt = s->page_size / cfg->bandwidth;
	s->epoch_s = t->epoch_s;
	s->period = t->period;
	s->start = cfg->start_s >= 0 ? cfg->start_s :
					fmin(10.0, s->period * 0.4);
	if (s->start >= s->period) {
		errmsg_set(err, errlen, "migration start %.3f s is past the end "
			"of the trace (%.3f s)", s->start, s->period);
		return -EINVAL;
	}
	s->budget = (uint64_t)floor(cfg->downtime_limit_s * cfg->bandwidth /
				    s->page_size);
	s->max_slots = (uint64_t)ceil(cfg->max_sent_ram * (double)s->pages);
	s->src = calloc(s->pages, sizeof(*s->src));
	s->dst = calloc(s->pages, sizeof(*s->dst));
	s->nsent = calloc(s->pages, sizeof(*s->nsent));
	s->tag = calloc(s->pages, sizeof(*s->tag));
	s->wrote_t = malloc(s->pages * sizeof(*s->wrote_t));
	s->sent_t = calloc(s->pages, sizeof(*s->sent_t));
	s->sent_age = calloc(s->pages, sizeof(*s->sent_age));
	s->dirty = malloc(s->words * sizeof(uint64_t));
	s->written = calloc(s->words, sizeof(uint64_t));
	s->snap = calloc(s->words, sizeof(uint64_t));
	s->epbits = calloc(s->words, sizeof(uint64_t));
	if (!s->src || !s->dst || !s->nsent || !s->tag || !s->wrote_t ||
	    !s->sent_t || !s->sent_age || !s->dirty ||
	    !s->written || !s->snap || !s->epbits) {
		errmsg_set(err, errlen, "out of memory for %llu pages",
			(unsigned long long)s->pages);
		sim_free(s);
		return -ENOMEM;
	}
	/* Every page is unsent, hence dirty, at the start; the destination
	 * has version 0 of nothing: dst = UINT32_MAX marks "never sent". */
	memset(s->dirty, 0xff, s->words * sizeof(uint64_t));
	s->dirty[s->words - 1] = s->last_mask;
	memset(s->dst, 0xff, s->pages * sizeof(*s->dst));
	for (uint64_t p = 0; p < s->pages; p++)
		s->wrote_t[p] = -1;
	return 0;
}

/* Account for a live send of page p (tag: its class). */
static void count_send(struct sim *s, uint64_t p, uint8_t tag)
{
	double now = s->start + s->slot * s->dt;

	s->sent_t[p] = (float)now;
	s->sent_age[p] = s->wrote_t[p] < 0 ? -1 :
			 (float)fmax(0, now - s->wrote_t[p]);
	if (!(s->dirty[p / 64] >> (p % 64) & 1))
		s->res->clean_sends++;
	if (s->nsent[p] == 1)
		s->res->resent_pages++;
	if (s->nsent[p] < UINT16_MAX)
		s->nsent[p]++;
	if (tag >= SIM_TAGS)
		tag = SIM_TAGS - 1;
	s->tag[p] = tag;
	s->res->tag_sent[tag]++;
}

/* SIM_LOG_SYNC, at a sync: every page written since the previous sync is
 * dirty (QEMU's log), also one sent after its write; such a page's last
 * live send is wasted. */
static void relog(struct sim *s)
{
	uint64_t w, p, x;

	for (w = 0; w < s->words; w++) {
		x = s->written[w] & ~s->dirty[w];
		s->dirty[w] |= s->written[w];
		while (x) {
			p = w * 64 + __builtin_ctzll(x);
			x &= x - 1;
			if (!s->nsent[p])
				continue;
			s->res->wasted_sends++;
			s->res->tag_wasted[s->tag[p]]++;
			s->res->wasted_by_delay[0]++;
			s->res->wasted_by_age[s->sent_age[p] < 0 ? SIM_WASTE_BINS
				: waste_bin(s, s->sent_age[p])]++;
		}
	}
}

static int run_loop(struct sim *s, void *state, struct sim_result *res,
		    char *err, size_t errlen)
{
	uint64_t iter = 0, w;
	int ret;

	for (;;) {
		struct sim_sync v;
		struct sim_decision d = { 0 };
		uint64_t i, sent = 0;

		apply_until(s, s->slot);
		observe_until(s, state, s->slot);
		progress(s);
		if (s->slot >= s->max_slots || iter >= s->cfg.max_iters) {
			res->forced = true;
			return 0;
		}
		iter++;
		if (s->cfg.dirty_log == SIM_LOG_SYNC)
			relog(s);
		memcpy(s->snap, s->dirty, s->words * sizeof(uint64_t));
		v = (struct sim_sync){
			.iteration = iter, .slot = s->slot,
			.now_s = s->slot * s->dt, .dirty = s->snap,
			.nr_dirty = popcount_bm(s, s->snap),
			.written = s->written,
		};
		ret = s->algo->sync(state, &v, &d);
		memset(s->written, 0, s->words * sizeof(uint64_t));
		if (ret) {
			errmsg_set(err, errlen, "%s failed at iteration %llu: %s",
				s->algo->name, (unsigned long long)iter,
				strerror(-ret));
			return ret;
		}
		if (s->cfg.log)
			fprintf(s->cfg.log, "%s: sync %llu at %.3f s: %llu dirty, "
				"%s %llu\n", s->algo->name, (unsigned long long)iter,
				v.now_s, (unsigned long long)v.nr_dirty,
				d.stop ? "stop, final" : "send",
				(unsigned long long)(d.stop ? v.nr_dirty : d.nr));
		if (d.stop)
			return 0;
		if (!d.nr) {
			errmsg_set(err, errlen, "%s neither stopped nor sent a page "
				"at iteration %llu", s->algo->name,
				(unsigned long long)iter);
			return -EPROTO;
		}
		for (i = 0; i < d.nr && s->slot < s->max_slots; i++) {
			uint64_t p = d.pages[i];
			bool zero;

			if (p >= s->pages) {
				errmsg_set(err, errlen, "%s sent page %llu of %llu",
					s->algo->name, (unsigned long long)p,
					(unsigned long long)s->pages);
				return -EPROTO;
			}
			apply_until(s, s->slot);
			w = p / 64;
			if (d.skip_rewritten &&
			    (s->written[w] >> (p % 64) & 1))
				continue;
			zero = sim__zero(s, p);	/* a zero page: no slot */
			if (zero && (s->dirty[w] >> (p % 64) & 1))
				res->zero_sends++;
			else if (!zero)
				count_send(s, p, d.tags ? d.tags[i] : 0);
			s->dst[p] = s->src[p];
			s->dirty[w] &= ~(1ULL << (p % 64));
			if (!zero) {
				s->slot++;
				sent++;
			}
		}
		if (sent)
			res->iterations++;
		if (s->algo->iteration_done)
			s->algo->iteration_done(state, sent, sent * s->dt);
	}
}

int sim__run(const struct sim_trace *t, const struct sim_algo *algo,
	     const struct sim_config *cfg, struct sim_result *res, char *err,
	     size_t errlen)
{
	struct sim s;
	void *state = NULL;
	uint64_t p, w, final = 0;
	unsigned int i;
	int ret;

	if (!res) {
		errmsg_set(err, errlen, "no result");
		return -EINVAL;
	}
	memset(res, 0, sizeof(*res));
	ret = sim_setup(&s, t, algo, cfg, err, errlen);
	if (ret)
		return ret;
	s.res = res;
	snprintf(res->algo, sizeof(res->algo), "%s", algo->name);
	res->nr_tags = algo->nr_tags <= SIM_TAGS ? algo->nr_tags : SIM_TAGS;
	res->tag_names = res->nr_tags ? algo->tag_names : NULL;
	ret = algo->init(&s, &state, err, errlen);
	if (ret)
		goto cleanup;
	for (i = 0; i < cfg->nr_params; i++) {
		size_t an = strlen(algo->name);

		if (!s.used[i] && !strncmp(cfg->params[i], algo->name, an) &&
		    cfg->params[i][an] == '.') {
			errmsg_set(err, errlen, "parameter '%s': %s has no such "
				"parameter", cfg->params[i], algo->name);
			ret = -EINVAL;
			goto cleanup;
		}
	}
	ret = run_loop(&s, state, res, err, errlen);
	if (ret)
		goto cleanup;

	/* Stop-and-copy: everything still dirty. */
	for (w = 0; w < s.words; w++) {
		uint64_t x = s.dirty[w];

		while (x) {
			p = w * 64 + __builtin_ctzll(x);
			x &= x - 1;
			s.dst[p] = s.src[p];
			if (sim__zero(&s, p)) {
				res->zero_sends++;
				continue;
			}
			if (s.nsent[p] == 1)
				res->resent_pages++;
			final++;
		}
	}
	for (p = 0; p < s.pages; p++)
		if (s.dst[p] != s.src[p])
			res->mismatches++;
	res->verified = res->mismatches == 0;
	res->live_pages = s.slot;
	res->final_pages = final;
	res->pages_sent = s.slot + final;
	res->downtime_s = final * s.dt;
	res->total_time_s = res->pages_sent * s.dt;
	res->budget = s.budget;
	res->converged = !res->forced && final <= s.budget;
	res->loops = s.loops;
	res->start_s = s.start;
	res->epoch_s = s.epoch_s;
	res->pages = s.pages;
	res->page_size = s.page_size;
	res->bandwidth = cfg->bandwidth;
	res->downtime_limit_s = cfg->downtime_limit_s;
cleanup:
	if (algo->fini && state)
		algo->fini(state, res);
	sim_free(&s);
	return ret;
}
