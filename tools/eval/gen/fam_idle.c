// SPDX-License-Identifier: GPL-2.0
/*
 * fam_idle.c - idle guest: timer ticks, daemons, rare bursts.
 *
 * Model: on top of the kernel background every family has (background.h:
 * timekeeping and per-CPU pages every epoch, a trickle of random kernel
 * writes), `daemons` user-space daemons (logging, monitoring agents,
 * cron, time sync) each wake up with its own period (uniform in
 * [0.5, 1.5] x `daemon_period_s`) and rewrite most of their small working
 * set (uniform in [0.5, 1.5] x `daemon_pages` pages at a fixed place).
 * Rare bursts, on average every `burst_every_s` (exponential gaps), write
 * `burst_mib` of fresh memory in address order over `burst_s` (a package
 * cache update, a log rotation, a cron job). Idle guests are the common
 * case in clouds and the one any algorithm must not make worse
 * (Clark et al. NSDI 2005, "SPECweb idle" baselines; Deshpande et al.,
 * "Live gang migration of virtual machines", HPDC 2011).
 */
#include <errno.h>
#include <stdlib.h>

#include "family.h"
#include "pattern.h"

enum { DAEMONS, DPERIOD, DPAGES, BEVERY, BMIB, BLEN };

static const struct param_spec params[] = {
	[DAEMONS] = { "daemons", "", PK_INT, 2, 12, "daemons" },
	[DPERIOD] = { "daemon_period_s", "s", PK_REAL, 1, 30,
		      "typical daemon wake-up period" },
	[DPAGES] = { "daemon_pages", "pages", PK_LOGINT, 4, 256,
		     "typical daemon working set" },
	[BEVERY] = { "burst_every_s", "s", PK_REAL, 15, 90,
		     "mean time between bursts" },
	[BMIB] = { "burst_mib", "MiB", PK_LOG, 1, 32, "burst size" },
	[BLEN] = { "burst_s", "s", PK_REAL, 0.5, 3, "burst duration" },
};

struct daemon {
	uint64_t base, pages;
	double period_s, next_s;
};

struct idle {
	double v[NPARAMS(params)];
	uint64_t base, avail;
	struct daemon d[12];
	unsigned int nr;
	double next_burst_s;
	struct seqw burst;
	uint64_t burst_left;
};

static int idle_init(void *st, const double *v, const struct layout *lay,
		     struct rng *r)
{
	struct idle *s = st;

	for (unsigned int i = 0; i < NPARAMS(params); i++)
		s->v[i] = v[i];
	s->base = lay->base;
	s->avail = lay->avail;
	s->nr = (unsigned int)v[DAEMONS];
	for (unsigned int i = 0; i < s->nr; i++) {
		struct daemon *d = &s->d[i];

		d->pages = (uint64_t)(rng__uniform(r, 0.5, 1.5) * v[DPAGES]) + 1;
		d->base = lay->base + rng__below(r, lay->avail - d->pages);
		d->period_s = rng__uniform(r, 0.5, 1.5) * v[DPERIOD];
		d->next_s = rng__uniform(r, 0, d->period_s);
	}
	s->next_burst_s = rng__exp(r, v[BEVERY]);
	return 0;
}

static void idle_epoch(void *st, struct ebuf *b, struct rng *r)
{
	struct idle *s = st;
	double t = (double)b->t0_us / 1e6, ep = (double)b->len_us / 1e6;

	for (unsigned int i = 0; i < s->nr; i++) {
		struct daemon *d = &s->d[i];
		double f = rng__u01(r) * 0.8;

		if (t < d->next_s)
			continue;
		for (uint64_t p = 0; p < d->pages; p++)
			if (rng__u01(r) < 0.8)
				ebuf__add(b, f + 0.2 * (double)p /
					  (double)d->pages, d->base + p);
		d->next_s += d->period_s;
	}
	if (!s->burst_left && t >= s->next_burst_s) {
		uint64_t len = MIB_TO_PAGES(s->v[BMIB]);

		if (len > s->avail)
			len = s->avail;
		seqw__init(&s->burst, s->base + rng__below(r, s->avail - len + 1),
			   len, 1, 0);
		s->burst_left = len;
		s->next_burst_s = t + rng__exp(r, s->v[BEVERY]);
	}
	if (s->burst_left) {
		double n = (double)s->burst.len / s->v[BLEN] * ep;

		if (n > (double)s->burst_left)
			n = (double)s->burst_left;
		seqw__run(&s->burst, b, n, 0, 1);
		s->burst_left -= (uint64_t)n;
	}
}

const struct family fam_idle = {
	.name = "idle",
	.model = "idle guest. Besides the kernel background every family has "
		 "(timer ticks on timekeeping and per-CPU pages), a few daemons "
		 "wake up with their own periods and rewrite most of their small "
		 "working sets; rare bursts (exponential gaps) write a few MiB of "
		 "fresh memory in address order (package cache update, log "
		 "rotation)",
	.params = params,
	.nr_params = NPARAMS(params),
	.state_size = sizeof(struct idle),
	.init = idle_init,
	.epoch = idle_epoch,
};
