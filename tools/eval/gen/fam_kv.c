// SPDX-License-Identifier: GPL-2.0
/*
 * fam_kv.c - key-value store (Redis, memcached, an LSM memtable).
 *
 * Model: a keyspace of `data_frac` of the family's memory holds the
 * values; updates hit pages with Zipf(`zipf_s`) popularity (YCSB's
 * request distribution, Cooper et al. SoCC 2010; measured KV traces such
 * as Atikoglu et al. SIGMETRICS 2012 fit Zipf exponents around 0.7-1.2),
 * the hottest keys scattered over the keyspace as a hash table scatters
 * them. Every update also appends to a write buffer (append-only file
 * buffer, replication backlog or memtable arena): a ring of `buf_mib`
 * written in address order at `buf_share` of the update rate. A few
 * `meta_pages` (allocator and statistics structures) are written every
 * epoch. Background compaction (defragmentation, LSM flush/compaction,
 * rehashing) every `compact_every_s` rewrites a contiguous `compact_frac`
 * of the keyspace in address order at `compact_mibps`, one at a time.
 */
#include <errno.h>

#include "family.h"
#include "pattern.h"

enum { DATA, RATE, ZIPF, BUF, BUFR, CEVERY, CFRAC, CRATE, META };

static const struct param_spec params[] = {
	[DATA] = { "data_frac", "", PK_REAL, 0.30, 0.80,
		   "keyspace, share of the family's memory" },
	[RATE] = { "update_mibps", "MiB/s", PK_LOG, 4, 200,
		   "page updates (4 KiB page writes per second)" },
	[ZIPF] = { "zipf_s", "", PK_REAL, 0.6, 1.2,
		   "Zipf exponent of key popularity" },
	[BUF] = { "buf_mib", "MiB", PK_LOG, 4, 64,
		  "write buffer ring (at most a tenth of the memory)" },
	[BUFR] = { "buf_share", "", PK_REAL, 0.05, 0.30,
		   "buffer appends, share of the update rate" },
	[CEVERY] = { "compact_every_s", "s", PK_REAL, 5, 30,
		     "compaction period" },
	[CFRAC] = { "compact_frac", "", PK_REAL, 0.02, 0.15,
		    "share of the keyspace one compaction rewrites" },
	[CRATE] = { "compact_mibps", "MiB/s", PK_LOG, 20, 200,
		    "compaction rewrite rate" },
	[META] = { "meta_pages", "pages", PK_LOGINT, 16, 256,
		   "metadata pages written every epoch" },
};

struct kv {
	double v[NPARAMS(params)];
	uint64_t keys, meta_base;
	struct hotset hot;
	struct seqw buf, comp;
	double next_compact_s;	/* start of the next compaction */
	uint64_t comp_left;	/* pages the running compaction still has */
};

static int kv_init(void *st, const double *v, const struct layout *lay,
		   struct rng *r)
{
	struct kv *k = st;
	uint64_t buf;

	for (unsigned int i = 0; i < NPARAMS(params); i++)
		k->v[i] = v[i];
	k->keys = (uint64_t)(v[DATA] * (double)lay->avail);
	buf = MIB_TO_PAGES(v[BUF]);
	if (buf > lay->avail / 10)
		buf = lay->avail / 10;
	k->meta_base = lay->base + k->keys;
	hotset__init(&k->hot, lay->base, k->keys, v[ZIPF], rng__u64(r));
	seqw__init(&k->buf, k->meta_base + (uint64_t)v[META], buf, 1, 0);
	k->next_compact_s = rng__uniform(r, 0, v[CEVERY]);
	return 0;
}

static void kv_epoch(void *st, struct ebuf *b, struct rng *r)
{
	struct kv *k = st;
	double t = (double)b->t0_us / 1e6, ep = (double)b->len_us / 1e6;
	double rate = MIBPS_TO_PAGES(k->v[RATE]);
	uint64_t i;

	hotset__run(&k->hot, b, r, pattern__count(r, b, rate));
	seqw__run(&k->buf, b, rate * k->v[BUFR] * ep, 0, 1);
	for (i = 0; i < (uint64_t)k->v[META]; i++) {
		ebuf__add(b, rng__u01(r) * 0.5, k->meta_base + i);
		ebuf__add(b, 0.5 + rng__u01(r) * 0.5, k->meta_base + i);
	}
	if (!k->comp_left && t >= k->next_compact_s) {
		uint64_t len = (uint64_t)(k->v[CFRAC] * (double)k->keys) + 1;

		seqw__init(&k->comp, k->hot.base +
			   rng__below(r, k->keys - len + 1), len, 1, 0);
		k->comp_left = len;
		k->next_compact_s = t + k->v[CEVERY];
	}
	if (k->comp_left) {
		double n = MIBPS_TO_PAGES(k->v[CRATE]) * ep;
		double f1 = 1;

		if (n >= (double)k->comp_left) {
			f1 = (double)k->comp_left / n;
			n = (double)k->comp_left;
		}
		seqw__run(&k->comp, b, n, 0, f1);
		k->comp_left -= (uint64_t)n < k->comp_left ? (uint64_t)n :
				k->comp_left;
	}
}

const struct family fam_kv = {
	.name = "kv",
	.model = "key-value store (Redis, memcached, an LSM memtable). Updates "
		 "hit keyspace pages with Zipf(`zipf_s`) popularity (YCSB, "
		 "Cooper et al. SoCC 2010; Atikoglu et al. SIGMETRICS 2012), the "
		 "hottest keys scattered over the keyspace as a hash table "
		 "scatters them; each update also appends to a write-buffer "
		 "ring; a few metadata pages are written every epoch; every "
		 "`compact_every_s` a background compaction rewrites a "
		 "contiguous `compact_frac` of the keyspace in address order",
	.params = params,
	.nr_params = NPARAMS(params),
	.state_size = sizeof(struct kv),
	.init = kv_init,
	.epoch = kv_epoch,
};
