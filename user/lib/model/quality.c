// SPDX-License-Identifier: GPL-2.0
/* quality.c - scores of dirty predictions (see quality.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "util/json.h"
#include "front.h"
#include "model.h"
#include "quality.h"

#define P_MIN 1e-6
#define LOGIT_MAX 13.815510557964274	/* logit(1 - 1e-6) */
#define BASE_DECAY 0.9

const char *const quality_names[QUALITY__N] = { "prob", "last", "tsb" };
const char *const quality_h_names[QUALITY_H__N] = { "prob", "epoch", "last" };
static const unsigned int horizons[QUALITY_HORIZONS] = { 20, 100 };
#define SHORT_H 4		/* the planner's default short horizon */

static double clamp_p(double p)
{
	return p < P_MIN ? P_MIN : p > 1 - P_MIN ? 1 - P_MIN : p;
}

void quality_acc__add(struct quality_acc *q, double p, double n, double k)
{
	double l;
	int bin;

	if (!(n > 0))
		return;
	p = clamp_p(p);
	q->n += n;
	q->k += k;
	q->brier += k * (1 - p) * (1 - p) + (n - k) * p * p;
	q->logloss += -(k * log(p) + (n - k) * log(1 - p));
	l = log(p / (1 - p));
	bin = (int)floor((l + LOGIT_MAX) / (2 * LOGIT_MAX) * QUALITY_BINS);
	if (bin < 0)
		bin = 0;
	if (bin >= QUALITY_BINS)
		bin = QUALITY_BINS - 1;
	q->pos[bin] += k;
	q->neg[bin] += n - k;
}

double quality_acc__brier(const struct quality_acc *q)
{
	return q->n ? q->brier / q->n : 0;
}

double quality_acc__logloss(const struct quality_acc *q)
{
	return q->n ? q->logloss / q->n : 0;
}

double quality_acc__rate(const struct quality_acc *q)
{
	return q->n ? q->k / q->n : 0;
}

double quality_acc__auc(const struct quality_acc *q)
{
	double below = 0, sum = 0, npos = q->k, nneg = q->n - q->k;
	int i;

	if (!(npos > 0) || !(nneg > 0))
		return 0.5;
	/* P(score of a positive > score of a negative) + half the ties. */
	for (i = 0; i < QUALITY_BINS; i++) {
		sum += q->pos[i] * (below + 0.5 * q->neg[i]);
		below += q->neg[i];
	}
	return sum / (npos * nneg);
}

/* The baselines' rule values for the pages of a bucket. */
static unsigned int rule_last(unsigned int bucket)
{
	unsigned int t = bucket / (4 * 3 * 6);

	return t >= 1 && t <= 60 && (((t - 1) / 4 + 1) & 1);
}

static unsigned int rule_tsb(unsigned int bucket)
{
	unsigned int t = bucket / (4 * 3 * 6);

	return t >= 1 && t <= 60 && __builtin_popcount((t - 1) / 4 + 1) >= 2;
}

struct qctx {
	struct quality_report *r;
	bool score;			/* false for the first epoch */
	/* this epoch's outcomes per baseline, rule value and set */
	double n[2][2][QUALITY__SETS], k[2][2][QUALITY__SETS];
	/* decayed calibration tables per baseline and rule value */
	double cn[2][2], ck[2][2];
};

static void observe(void *ctx, const struct model *m,
		    const struct model_outcome *o, unsigned int nr)
{
	struct qctx *c = ctx;
	unsigned int i, set;

	(void)m;
	for (i = 0; i < nr; i++) {
		unsigned int b = o[i].bucket, v[2], t = b / (4 * 3 * 6);
		bool active = t >= 1 && t <= 64;	/* dirty in the last 8 */
		int r;

		v[0] = rule_last(b);
		v[1] = rule_tsb(b);
		for (r = 0; r < 2; r++)
			for (set = 0; set < QUALITY__SETS; set++) {
				if (set == QUALITY_ACTIVE && !active)
					continue;
				c->n[r][v[r]][set] += o[i].n;
				c->k[r][v[r]][set] += o[i].k;
			}
		if (!c->score)
			continue;
		quality_acc__add(&c->r->acc[QUALITY_ALL][QUALITY_PROB], o[i].p,
				 o[i].n, o[i].k);
		if (active)
			quality_acc__add(&c->r->acc[QUALITY_ACTIVE][QUALITY_PROB],
					 o[i].p, o[i].n, o[i].k);
	}
}

/* After an epoch: score the baselines with their tables, then learn. */
static void baselines(struct qctx *c)
{
	int r, v, set;

	for (r = 0; r < 2; r++)
		for (v = 0; v < 2; v++) {
			double p = (c->ck[r][v] + 0.5) / (c->cn[r][v] + 1);

			for (set = 0; set < QUALITY__SETS; set++)
				if (c->score)
					quality_acc__add(&c->r->acc[set][1 + r],
							 p, c->n[r][v][set],
							 c->k[r][v][set]);
			c->cn[r][v] = BASE_DECAY * c->cn[r][v] +
				      c->n[r][v][QUALITY_ALL];
			c->ck[r][v] = BASE_DECAY * c->ck[r][v] +
				      c->k[r][v][QUALITY_ALL];
		}
	memset(c->n, 0, sizeof(c->n));
	memset(c->k, 0, sizeof(c->k));
}

/* One long horizon's replay state. */
struct hctx {
	unsigned int h;
	bool made;			/* predictions are pending */
	float *pp, *pe;			/* per page: prob, epoch */
	uint64_t *last, *act, *out;	/* bitmaps: rule, active, outcome */
	double cn[2], ck[2];		/* the rule's calibration */
};

static void hctx_free(struct hctx *x)
{
	free(x->pp);
	free(x->pe);
	free(x->last);
	free(x->act);
	free(x->out);
}

static int hctx_init(struct hctx *x, unsigned int h, uint64_t pages)
{
	uint64_t words = (pages + 63) / 64;

	memset(x, 0, sizeof(*x));
	x->h = h;
	x->pp = malloc(pages * sizeof(*x->pp));
	x->pe = malloc(pages * sizeof(*x->pe));
	x->last = calloc(words, sizeof(uint64_t));
	x->act = calloc(words, sizeof(uint64_t));
	x->out = calloc(words, sizeof(uint64_t));
	return x->pp && x->pe && x->last && x->act && x->out ? 0 : -ENOMEM;
}

static inline bool bit_of(const uint64_t *bm, uint64_t p)
{
	return bm[p / 64] >> (p % 64) & 1;
}

/* End of a window of x->h epochs: score the predictions made at its start
 * against what it saw, learn the rule's calibration, predict the next. */
static int hctx_window(struct hctx *x, struct model *m, uint64_t pages,
		       struct quality_acc acc[QUALITY__SETS][QUALITY_H__N])
{
	uint64_t words = (pages + 63) / 64, w, p;
	struct model_horizon *hz;
	float *risk, z[64];
	double pl[2];
	unsigned int v;

	for (v = 0; v < 2; v++)
		pl[v] = (x->ck[v] + 0.5) / (x->cn[v] + 1);
	if (x->made) {
		double n[2] = { 0 }, k[2] = { 0 };

		for (p = 0; p < pages; p++) {
			bool o = bit_of(x->out, p), a = bit_of(x->act, p);
			unsigned int r = bit_of(x->last, p);
			int set;

			n[r]++;
			k[r] += o;
			for (set = 0; set < QUALITY__SETS; set++) {
				if (set == QUALITY_ACTIVE && !a)
					continue;
				quality_acc__add(&acc[set][QUALITY_H_PROB],
						 x->pp[p], 1, o);
				quality_acc__add(&acc[set][QUALITY_H_EPOCH],
						 x->pe[p], 1, o);
				quality_acc__add(&acc[set][QUALITY_H_LAST],
						 pl[r], 1, o);
			}
		}
		for (v = 0; v < 2; v++) {
			x->cn[v] = BASE_DECAY * x->cn[v] + n[v];
			x->ck[v] = BASE_DECAY * x->ck[v] + k[v];
		}
	}
	/* predict the next window */
	hz = malloc(sizeof(*hz));
	risk = malloc(MODEL_BUCKETS * sizeof(*risk));
	if (!hz || !risk) {
		free(hz);
		free(risk);
		return -ENOMEM;
	}
	model__horizon(m, x->h, SHORT_H, hz);
	model__risk(m, fmin(x->h, MODEL_HORIZON_MAX), risk);
	for (w = 0, p = 0; w < words; w++) {
		uint64_t mask = w + 1 == words ? last_word_mask(pages) : ~0ULL;
		uint64_t act = 0;
		unsigned int i;

		model__horizon_word(m, hz, w, mask, front__below(
					    model__front(m), w), z);
		for (i = 0; i < 64 && (mask >> i) & 1; i++, p++) {
			x->pp[p] = (float)-expm1(-(double)z[i]);
			x->pe[p] = risk[model__bucket(m, p)];
			act |= (uint64_t)(model__hist(m, p) != 0) << i;
		}
		x->act[w] = act;
	}
	memcpy(x->last, x->out, words * sizeof(uint64_t));
	memset(x->out, 0, words * sizeof(uint64_t));
	x->made = true;
	free(hz);
	free(risk);
	return 0;
}

int quality__run(const struct trace_epochs *tr, struct quality_report *out,
		 char *err, size_t errlen)
{
	struct hctx hx[QUALITY_HORIZONS];
	unsigned int j;
	struct model_params mp;
	struct model *m = NULL;
	struct qctx *c = NULL;
	uint64_t *bm = NULL, e, i;
	double epoch_s;
	int ret = -ENOMEM;

	if (!tr || !tr->nr_epochs) {
		snprintf(err, errlen, "the trace has no epochs");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->pages = tr->hdr.pages;
	epoch_s = tr->nr_epochs > 1 ?
		(tr->epochs[1].start_us - tr->epochs[0].start_us) * 1e-6 : 0.1;
	if (!(epoch_s > 0))
		epoch_s = 0.1;
	model_params__default(&mp, tr->hdr.pages, tr->hdr.page_size, epoch_s);
	m = model__new(&mp);
	c = calloc(1, sizeof(*c));
	bm = calloc((tr->hdr.pages + 63) / 64, sizeof(*bm));
	memset(hx, 0, sizeof(hx));
	for (j = 0; j < QUALITY_HORIZONS; j++) {
		out->horizon_epochs[j] = horizons[j];
		if (hctx_init(&hx[j], horizons[j], tr->hdr.pages))
			m = NULL;	/* out of memory */
	}
	if (!m || !c || !bm) {
		snprintf(err, errlen, "out of memory for %llu pages",
			 (unsigned long long)tr->hdr.pages);
		goto cleanup;
	}
	c->r = out;
	model__set_observer(m, observe, c);
	for (e = 0; e < tr->nr_epochs; e++) {
		const struct trace_epoch *ep = &tr->epochs[e];
		struct model_epoch me = {
			.dirty = bm, .nr_detail = ep->nr_pages,
			.detail_pages = ep->pages, .detail_counts = ep->counts,
		};

		for (i = 0; i < ep->nr_pages; i++)
			bm[ep->pages[i] / 64] |= 1ULL << (ep->pages[i] % 64);
		c->score = e > 0;
		ret = model__update(m, &me);
		if (ret) {
			snprintf(err, errlen, "model update failed: %s",
				 strerror(-ret));
			goto cleanup;
		}
		baselines(c);
		for (j = 0; j < QUALITY_HORIZONS; j++) {
			for (i = 0; i < ep->nr_pages; i++)
				hx[j].out[ep->pages[i] / 64] |=
					1ULL << (ep->pages[i] % 64);
			if ((e + 1) % hx[j].h == 0 &&
			    hctx_window(&hx[j], m, tr->hdr.pages,
					out->hacc[j])) {
				ret = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				goto cleanup;
			}
		}
		for (i = 0; i < ep->nr_pages; i++)
			bm[ep->pages[i] / 64] = 0;
	}
	out->epochs = tr->nr_epochs;
	ret = 0;
cleanup:
	for (j = 0; j < QUALITY_HORIZONS; j++)
		hctx_free(&hx[j]);
	model__free(m);
	free(c);
	free(bm);
	return ret;
}

void quality__print(FILE *f, const char *name, const struct quality_report *q)
{
	static const char *sets[QUALITY__SETS] = { "all", "active" };
	int s, i;

	fprintf(f, "model quality on %s: %llu pages, %llu epochs; next-epoch "
		"predictions\n", name, (unsigned long long)q->pages,
		(unsigned long long)q->epochs);
	fprintf(f, "%-7s %-5s %14s %9s %9s %9s %7s\n", "pages", "pred",
		"page-epochs", "dirty", "brier", "logloss", "auc");
	for (s = 0; s < QUALITY__SETS; s++)
		for (i = 0; i < QUALITY__N; i++) {
			const struct quality_acc *a = &q->acc[s][i];

			fprintf(f, "%-7s %-5s %14.0f %9.5f %9.6f %9.6f %7.4f\n",
				sets[s], quality_names[i], a->n,
				quality_acc__rate(a), quality_acc__brier(a),
				quality_acc__logloss(a), quality_acc__auc(a));
		}
	for (int j = 0; j < QUALITY_HORIZONS; j++) {
		fprintf(f, "written within the next %u epochs\n",
			q->horizon_epochs[j]);
		for (s = 0; s < QUALITY__SETS; s++)
			for (i = 0; i < QUALITY_H__N; i++) {
				const struct quality_acc *a = &q->hacc[j][s][i];

				fprintf(f, "%-7s %-5s %14.0f %9.5f %9.6f %9.6f "
					"%7.4f\n", sets[s], quality_h_names[i],
					a->n, quality_acc__rate(a),
					quality_acc__brier(a),
					quality_acc__logloss(a),
					quality_acc__auc(a));
			}
	}
}

void quality__print_json(FILE *f, const char *name,
			 const struct quality_report *q)
{
	static const char *sets[QUALITY__SETS] = { "all", "active" };
	int s, i;

	fprintf(f, "{\"version\":%d,\"type\":\"quality\",\"trace\":",
		QUALITY_JSON_VERSION);
	json_write_str(f, name);
	fprintf(f, ",\"pages\":%llu,\"epochs\":%llu",
		(unsigned long long)q->pages, (unsigned long long)q->epochs);
	for (s = 0; s < QUALITY__SETS; s++) {
		fprintf(f, ",\"%s\":{", sets[s]);
		for (i = 0; i < QUALITY__N; i++) {
			const struct quality_acc *a = &q->acc[s][i];

			fprintf(f, "%s\"%s\":{\"n\":%.0f,\"rate\":%.6g,"
				"\"brier\":%.6g,\"logloss\":%.6g,\"auc\":%.6g}",
				i ? "," : "", quality_names[i], a->n,
				quality_acc__rate(a), quality_acc__brier(a),
				quality_acc__logloss(a), quality_acc__auc(a));
		}
		fputc('}', f);
	}
	fputs(",\"horizons\":[", f);
	for (int j = 0; j < QUALITY_HORIZONS; j++) {
		fprintf(f, "%s{\"epochs\":%u", j ? "," : "",
			q->horizon_epochs[j]);
		for (s = 0; s < QUALITY__SETS; s++) {
			fprintf(f, ",\"%s\":{", sets[s]);
			for (i = 0; i < QUALITY_H__N; i++) {
				const struct quality_acc *a = &q->hacc[j][s][i];

				fprintf(f, "%s\"%s\":{\"n\":%.0f,\"rate\":%.6g,"
					"\"brier\":%.6g,\"logloss\":%.6g,"
					"\"auc\":%.6g}", i ? "," : "",
					quality_h_names[i], a->n,
					quality_acc__rate(a),
					quality_acc__brier(a),
					quality_acc__logloss(a),
					quality_acc__auc(a));
			}
			fputc('}', f);
		}
		fputc('}', f);
	}
	fputs("]}\n", f);
}
