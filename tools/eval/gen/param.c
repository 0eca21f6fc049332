// SPDX-License-Identifier: GPL-2.0
/*
 * param.c - drawing a parameter from its declared range (family.h).
 */
#include <math.h>

#include "family.h"

double param__draw(const struct param_spec *s, struct rng *r)
{
	double v;

	switch (s->kind) {
	case PK_INT:
		return s->lo + (double)rng__below(r, (uint64_t)(s->hi - s->lo) + 1);
	case PK_LOGINT:
		v = floor(rng__loguniform(r, s->lo, s->hi + 1));
		break;
	case PK_LOG:
		v = rng__loguniform(r, s->lo, s->hi);
		break;
	default:
		v = rng__uniform(r, s->lo, s->hi);
		break;
	}
	/* round to 4 significant digits: the value printed is the value used */
	if (v != 0 && s->kind != PK_LOGINT) {
		double m = pow(10, 3 - floor(log10(fabs(v))));

		v = round(v * m) / m;
	}
	return v < s->lo ? s->lo : v > s->hi ? s->hi : v;
}
