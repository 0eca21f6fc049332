// SPDX-License-Identifier: GPL-2.0
/*
 * fam_oltp.c - OLTP database (PostgreSQL, MySQL/InnoDB under TPC-B/C).
 *
 * Model: a buffer pool of `pool_frac` of the family's memory. Its first
 * `index_frac` holds the hot index pages (B-tree inner nodes and hot
 * leaves), updated at `index_mibps` with Zipf(`index_zipf`) popularity;
 * a table area (`table_frac` of the rest of the pool) takes row updates
 * at `row_mibps` with Zipf(`row_zipf`) popularity (0 = uniform, as
 * TPC-B's accounts). Each buffer write also touches its buffer
 * descriptor (64 bytes per buffer, an array after the pool). The
 * write-ahead log buffers are a ring of `log_mib` appended in address
 * order at `log_mibps`. Every `ckpt_every_s` a checkpoint writes every
 * buffer dirtied since the previous one to the kernel's page cache (a
 * copy of the buffer into a page-cache page, the region after the log),
 * spread over `ckpt_spread` of the period, in buffer order (as
 * PostgreSQL's checkpointer sorts its writes), and updates each
 * descriptor. Checkpoint write storms are the classic difficulty of
 * migrating databases (Mashtizadeh et al., "XvMotion", USENIX ATC 2014;
 * the TPC-C workloads of Svärd et al., VEE 2011).
 */
#include <errno.h>
#include <stdlib.h>

#include "family.h"
#include "pattern.h"

enum { POOL, IDX, IDXZ, IDXR, TAB, ROW, ROWZ, LOGM, LOGR, CKPT, SPREAD };

static const struct param_spec params[] = {
	[POOL] = { "pool_frac", "", PK_REAL, 0.40, 0.85,
		   "buffer pool, share of the family's memory" },
	[IDX] = { "index_frac", "", PK_REAL, 0.005, 0.03,
		  "hot index pages, share of the pool" },
	[IDXZ] = { "index_zipf", "", PK_REAL, 0.7, 1.1,
		   "Zipf exponent of index page updates" },
	[IDXR] = { "index_mibps", "MiB/s", PK_LOG, 2, 60,
		   "index page writes" },
	[TAB] = { "table_frac", "", PK_REAL, 0.3, 1.0,
		  "updated tables, share of the rest of the pool" },
	[ROW] = { "row_mibps", "MiB/s", PK_LOG, 2, 100,
		  "row update page writes" },
	[ROWZ] = { "row_zipf", "", PK_REAL, 0, 0.8,
		   "Zipf exponent of row updates (0 = uniform)" },
	[LOGM] = { "log_mib", "MiB", PK_LOG, 16, 256,
		   "log buffer ring (at most a tenth of the memory)" },
	[LOGR] = { "log_mibps", "MiB/s", PK_LOG, 1, 40, "log append rate" },
	[CKPT] = { "ckpt_every_s", "s", PK_REAL, 10, 60,
		   "checkpoint period" },
	[SPREAD] = { "ckpt_spread", "", PK_REAL, 0.3, 0.9,
		     "share of the period a checkpoint's writes spread over" },
};

struct oltp {
	double v[NPARAMS(params)];
	uint64_t pool_base, pool, desc_base, cache_base, cache;
	struct hotset idx, rows;
	struct seqw log;
	uint8_t *dirty;		/* pool pages dirtied since the checkpoint */
	uint64_t *flush;	/* the checkpoint's list */
	uint64_t nr_flush, flushed;
	double next_ckpt_s, ckpt_rate;	/* pages per second */
	struct perm cache_map;
};

static int oltp_init(void *st, const double *v, const struct layout *lay,
		     struct rng *r)
{
	struct oltp *o = st;
	uint64_t idx, logp, used;

	for (unsigned int i = 0; i < NPARAMS(params); i++)
		o->v[i] = v[i];
	o->pool_base = lay->base;
	o->pool = (uint64_t)(v[POOL] * (double)lay->avail);
	idx = (uint64_t)(v[IDX] * (double)o->pool) + 1;
	hotset__init(&o->idx, o->pool_base, idx, v[IDXZ], rng__u64(r));
	hotset__init(&o->rows, o->pool_base + idx,
		     (uint64_t)(v[TAB] * (double)(o->pool - idx)) + 1,
		     v[ROWZ], rng__u64(r));
	o->desc_base = o->pool_base + o->pool;
	logp = MIB_TO_PAGES(v[LOGM]);
	if (logp > lay->avail / 10)
		logp = lay->avail / 10;
	seqw__init(&o->log, o->desc_base + o->pool / 64 + 1, logp, 1, 0);
	o->cache_base = o->log.base + logp;
	used = o->cache_base - lay->base;
	o->cache = lay->avail - used;
	perm__init(&o->cache_map, o->cache, rng__u64(r));
	o->dirty = calloc(o->pool, 1);
	o->flush = calloc(o->pool, sizeof(*o->flush));
	if (!o->dirty || !o->flush)
		return -ENOMEM;
	o->next_ckpt_s = rng__uniform(r, 0.3, 1) * v[CKPT];
	return 0;
}

static void buf_write(struct oltp *o, struct ebuf *b, uint64_t page,
		      double f)
{
	ebuf__add(b, f, page);
	ebuf__add(b, f, o->desc_base + (page - o->pool_base) / 64);
	o->dirty[page - o->pool_base] = 1;
}

static void oltp_epoch(void *st, struct ebuf *b, struct rng *r)
{
	struct oltp *o = st;
	double t = (double)b->t0_us / 1e6, ep = (double)b->len_us / 1e6;
	uint64_t i, n;

	n = pattern__count(r, b, MIBPS_TO_PAGES(o->v[IDXR]));
	for (i = 0; i < n; i++)
		buf_write(o, b, hotset__draw(&o->idx, r), rng__u01(r));
	n = pattern__count(r, b, MIBPS_TO_PAGES(o->v[ROW]));
	for (i = 0; i < n; i++)
		buf_write(o, b, hotset__draw(&o->rows, r), rng__u01(r));
	seqw__run(&o->log, b, MIBPS_TO_PAGES(o->v[LOGR]) * ep, 0, 1);

	if (o->flushed == o->nr_flush && t >= o->next_ckpt_s) {
		o->nr_flush = o->flushed = 0;
		for (i = 0; i < o->pool; i++)
			if (o->dirty[i]) {
				o->dirty[i] = 0;
				o->flush[o->nr_flush++] = i;
			}
		o->ckpt_rate = (double)o->nr_flush /
			       (o->v[SPREAD] * o->v[CKPT]);
		o->next_ckpt_s = t + o->v[CKPT];
	}
	n = (uint64_t)(o->ckpt_rate * ep + 0.5);
	for (i = 0; i < n && o->flushed < o->nr_flush; i++) {
		uint64_t p = o->flush[o->flushed++];
		double f = (double)i / (double)n;

		ebuf__add(b, f, o->cache_base +
			  perm__map(&o->cache_map, p % o->cache));
		ebuf__add(b, f, o->desc_base + p / 64);
	}
}

static void oltp_fini(void *st)
{
	struct oltp *o = st;

	free(o->dirty);
	free(o->flush);
}

const struct family fam_oltp = {
	.name = "oltp",
	.model = "OLTP database (PostgreSQL or InnoDB under TPC-B/C). Hot index "
		 "pages take Zipf updates, table pages take row updates (uniform "
		 "to skewed), each buffer write also touches its buffer "
		 "descriptor; the write-ahead log buffers are a ring appended in "
		 "address order; every `ckpt_every_s` a checkpoint copies every "
		 "buffer dirtied since the last one into the page cache, in "
		 "buffer order, spread over `ckpt_spread` of the period "
		 "(Svärd et al. VEE 2011; Mashtizadeh et al. ATC 2014)",
	.params = params,
	.nr_params = NPARAMS(params),
	.state_size = sizeof(struct oltp),
	.init = oltp_init,
	.epoch = oltp_epoch,
	.fini = oltp_fini,
};
