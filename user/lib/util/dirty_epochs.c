// SPDX-License-Identifier: GPL-2.0
/* dirty_epochs.c - epochs of the trackers' shared dirty bitmap (see
 * dirty_epochs.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "dirty_common.h"
#include "dirty_epochs.h"
#include "errmsg.h"

int dirty_epochs__size(struct dirty_epochs *de, struct bpf_map *dirty,
		       struct bpf_map *inflight, __u64 *words_per_buf,
		       uint64_t words, char *err, size_t errlen)
{
	int ret;

	memset(de, 0, sizeof(*de));
	de->words = words;
	de->ncpus = libbpf_num_possible_cpus();
	if (de->ncpus <= 0 || de->ncpus > DIRTY_MAX_CPUS) {
		ret = de->ncpus < 0 ? de->ncpus : -ERANGE;
		errmsg_set(err, errlen, "cannot size the tracker for %d CPUs "
			   "(at most %d): %s", de->ncpus, DIRTY_MAX_CPUS,
			   strerror(-ret));
		return ret;
	}
	ret = bpf_map__set_max_entries(dirty, 2 * words);
	if (!ret)
		ret = bpf_map__set_max_entries(inflight, de->ncpus);
	if (ret) {
		errmsg_set(err, errlen, "cannot size the tracker's maps: %s",
			   strerror(-ret));
		return ret;
	}
	*words_per_buf = words;
	return 0;
}

int dirty_epochs__map(struct dirty_epochs *de, struct bpf_map *dirty,
		      struct bpf_map *inflight, uint32_t *epoch, char *err,
		      size_t errlen)
{
	int ret;

	de->epoch = epoch;
	ret = bpf_util__mmap(dirty, &de->dirty);
	if (!ret)
		ret = bpf_util__mmap(inflight, &de->inflight);
	if (!ret && !(de->last = calloc(de->words, sizeof(uint64_t))))
		ret = -ENOMEM;
	if (ret)
		errmsg_set(err, errlen, "cannot map the dirty bitmap: %s",
			   strerror(-ret));
	return ret;
}

void dirty_epochs__unmap(struct dirty_epochs *de)
{
	bpf_util__munmap(&de->dirty);
	bpf_util__munmap(&de->inflight);
	free(de->last);
	de->last = NULL;
}

uint64_t *dirty_epochs__buf(const struct dirty_epochs *de, unsigned int b)
{
	return (uint64_t *)de->dirty.mem + (uint64_t)(b & 1) * de->words;
}

void dirty_epochs__wait_writers(const struct dirty_epochs *de)
{
	const struct dirty_inflight *fl = de->inflight.mem;
	int cpu;

	for (cpu = 0; cpu < de->ncpus; cpu++) {
		uint64_t seq = __atomic_load_n(&fl[cpu].seq, __ATOMIC_ACQUIRE);

		if (!(seq & 1))
			continue;
		while (__atomic_load_n(&fl[cpu].seq, __ATOMIC_ACQUIRE) == seq)
			__builtin_ia32_pause();
	}
}

uint32_t dirty_epochs__harvest(struct dirty_epochs *de, uint64_t nwords)
{
	uint32_t old = __atomic_load_n(de->epoch, __ATOMIC_RELAXED);
	uint64_t *src, i;

	/* A sequentially consistent store is an xchg: a full barrier that
	 * orders the switch before the reads of the writers' counters. */
	__atomic_store_n(de->epoch, old + 1, __ATOMIC_SEQ_CST);
	dirty_epochs__wait_writers(de);

	if (nwords > de->words)
		nwords = de->words;
	src = dirty_epochs__buf(de, old);
	for (i = 0; i < nwords; i++) {
		uint64_t v = src[i];

		de->last[i] = v;
		if (v)
			src[i] = 0;
	}
	return old;
}

void dirty_epochs__clear(struct dirty_epochs *de, uint64_t w0, uint64_t n)
{
	memset(dirty_epochs__buf(de, 0) + w0, 0, n * 8);
	memset(dirty_epochs__buf(de, 1) + w0, 0, n * 8);
	memset(de->last + w0, 0, n * 8);
}

void dirty_epochs__mark(struct dirty_epochs *de, uint64_t page)
{
	uint32_t ep = __atomic_load_n(de->epoch, __ATOMIC_ACQUIRE);

	__atomic_fetch_or(&dirty_epochs__buf(de, ep)[page / 64],
			  1ull << (page & 63), __ATOMIC_RELAXED);
}
