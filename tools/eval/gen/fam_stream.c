// SPDX-License-Identifier: GPL-2.0
/*
 * fam_stream.c - streaming writer (media recording, packet capture,
 * message-queue or log ingestion).
 *
 * Model: `streams` producers, each appending to its own ring buffer in
 * address order and wrapping; rings of `ring_mib` each (times a factor
 * uniform in [0.5, 1.5], at most 0.8 of the family's memory in total).
 * Together they write `rate_mibps`, split between the streams in shares
 * drawn uniformly in [0.5, 1.5] and normalised; each epoch's rate varies
 * by a factor uniform in [1 - `jitter`, 1 + `jitter`]. A few
 * `meta_pages` (ring heads, indexes, counters) are written every epoch.
 * A steady sequential writer is the textbook case where pre-copy only
 * converges when the link outruns the writer (Clark et al. NSDI 2005,
 * the "diabolical" workload; Akoush et al., "Predicting the performance
 * of virtual machine migration", MASCOTS 2010).
 */
#include "family.h"
#include "pattern.h"

enum { STREAMS, RING, RATE, JITTER, META };

static const struct param_spec params[] = {
	[STREAMS] = { "streams", "", PK_INT, 1, 4, "producers" },
	[RING] = { "ring_mib", "MiB", PK_LOG, 16, 1024,
		   "typical ring buffer size" },
	[RATE] = { "rate_mibps", "MiB/s", PK_LOG, 5, 300,
		   "total write rate" },
	[JITTER] = { "jitter", "", PK_REAL, 0, 0.3,
		     "per-epoch rate variation" },
	[META] = { "meta_pages", "pages", PK_INT, 1, 64,
		   "metadata pages written every epoch" },
};

struct stream {
	double v[NPARAMS(params)];
	struct seqw ring[4];
	double share[4];
	unsigned int nr;
	uint64_t meta_base;
};

static int stream_init(void *st, const double *v, const struct layout *lay,
		       struct rng *r)
{
	struct stream *s = st;
	uint64_t len[4], total = 0, base = lay->base, cap;
	double sum = 0;
	unsigned int i;

	for (i = 0; i < NPARAMS(params); i++)
		s->v[i] = v[i];
	s->nr = (unsigned int)v[STREAMS];
	for (i = 0; i < s->nr; i++) {
		len[i] = MIB_TO_PAGES(v[RING] * rng__uniform(r, 0.5, 1.5)) + 1;
		total += len[i];
		s->share[i] = rng__uniform(r, 0.5, 1.5);
		sum += s->share[i];
	}
	cap = (uint64_t)(0.8 * (double)lay->avail);
	for (i = 0; i < s->nr; i++) {
		uint64_t gap;

		if (total > cap)
			len[i] = len[i] * cap / total + 1;
		s->share[i] /= sum;
		/* rings are separate allocations: leave a random gap */
		gap = rng__below(r, (lay->avail - cap) / 4 / s->nr + 1);
		base += gap;
		seqw__init(&s->ring[i], base, len[i], 1, 0);
		s->ring[i].pos = rng__below(r, len[i]);
		base += len[i];
	}
	s->meta_base = base;
	return 0;
}

static void stream_epoch(void *st, struct ebuf *b, struct rng *r)
{
	struct stream *s = st;
	double ep = (double)b->len_us / 1e6;
	double rate = MIBPS_TO_PAGES(s->v[RATE]) *
		      rng__uniform(r, 1 - s->v[JITTER], 1 + s->v[JITTER]);

	for (unsigned int i = 0; i < s->nr; i++)
		seqw__run(&s->ring[i], b, rate * s->share[i] * ep, 0, 1);
	for (uint64_t i = 0; i < (uint64_t)s->v[META]; i++) {
		ebuf__add(b, rng__u01(r) * 0.5, s->meta_base + i);
		ebuf__add(b, 0.5 + rng__u01(r) * 0.5, s->meta_base + i);
	}
}

const struct family fam_stream = {
	.name = "stream",
	.model = "streaming writer (recording, packet capture, log "
		 "ingestion). One to four producers append to their own ring "
		 "buffers in address order and wrap, at a steady total rate "
		 "with per-epoch jitter; a few metadata pages are written every "
		 "epoch (Clark et al. NSDI 2005's diabolical workload; Akoush "
		 "et al. MASCOTS 2010)",
	.params = params,
	.nr_params = NPARAMS(params),
	.state_size = sizeof(struct stream),
	.init = stream_init,
	.epoch = stream_epoch,
};
