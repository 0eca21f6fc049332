/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirty_epochs.h - the user side of the recording scheme both dirty
 * trackers' BPF programs share (bpf/dirty_record.bpf.h): the double-
 * buffered dirty bitmap, the per-CPU recording sections, and the harvest
 * that ends an epoch. Used by the KVM tracker (kvm/tracker.c) and the
 * process tracker (proc/proc_track.c).
 *
 * Life cycle, around the skeleton's own:
 *	dirty_epochs__size(&de, skel->maps.dirty, skel->maps.inflight,
 *			   &skel->rodata->words_per_buf, words, err, errlen);
 *	... load ...
 *	dirty_epochs__map(&de, skel->maps.dirty, skel->maps.inflight,
 *			  &skel->bss->epoch, err, errlen);
 *	loop: dirty_epochs__harvest(&de, nwords); read de.last
 *	dirty_epochs__unmap(&de);
 *
 * Harvest. The BPF side records into buffer (epoch & 1). Harvesting
 * advances the epoch, waits until no CPU is still inside a recording
 * section that may have read the old number, then moves the old buffer
 * into de.last and clears it. Events during the harvest land in the new
 * epoch; none is lost or counted twice.
 *
 * Functions that cannot fail say so; the others return 0 or a negative
 * errno, with a one-sentence reason in err (errlen bytes). One thread at a
 * time.
 */
#ifndef PRECOPY_DIRTY_EPOCHS_H
#define PRECOPY_DIRTY_EPOCHS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "util/bpf_util.h"

struct dirty_epochs {
	uint64_t words;              /* bitmap words per buffer */
	int ncpus;                   /* possible CPUs: inflight entries */
	uint32_t *epoch;             /* the programs' .bss epoch */
	struct bpf_util_mmap dirty;  /* 2 * words words */
	struct bpf_util_mmap inflight;
	uint64_t *last;              /* the last harvested epoch, words */
};

/*
 * dirty_epochs__size() zeroes *de and sizes an opened, not yet loaded,
 * object: `dirty` for two buffers of `words` words, `inflight` for every
 * possible CPU, and its rodata words_per_buf. Returns 0, or -ERANGE if
 * this machine has more CPUs than DIRTY_MAX_CPUS (dirty_common.h), or the
 * error of libbpf.
 */
int dirty_epochs__size(struct dirty_epochs *de, struct bpf_map *dirty,
		       struct bpf_map *inflight, __u64 *words_per_buf,
		       uint64_t words, char *err, size_t errlen);

/*
 * dirty_epochs__map() maps the loaded maps and allocates de->last; epoch
 * points into the skeleton's mmapped .bss. Returns 0, -ENOMEM, or the
 * error of mmap(). On error dirty_epochs__unmap() still frees what was
 * done.
 */
int dirty_epochs__map(struct dirty_epochs *de, struct bpf_map *dirty,
		      struct bpf_map *inflight, uint32_t *epoch, char *err,
		      size_t errlen);

/* dirty_epochs__unmap() undoes dirty_epochs__map(), whatever it did.
 * Cannot fail. */
void dirty_epochs__unmap(struct dirty_epochs *de);

/* dirty_epochs__buf() returns buffer b (0 or 1) of the mapped bitmap.
 * Cannot fail. */
uint64_t *dirty_epochs__buf(const struct dirty_epochs *de, unsigned int b);

/*
 * dirty_epochs__wait_writers() returns once no CPU is inside a recording
 * section that began before the call: after it, nothing the BPF side read
 * before (an epoch number, a table user space has replaced) is still in
 * use. Spins; sections are a few hundred nanoseconds. Cannot fail.
 */
void dirty_epochs__wait_writers(const struct dirty_epochs *de);

/*
 * dirty_epochs__harvest() ends the current epoch: the first nwords words
 * (those in use; at most de->words) of its buffer are moved into de->last
 * and cleared. Returns the number of the epoch harvested (0 for the
 * first). Cannot fail.
 */
uint32_t dirty_epochs__harvest(struct dirty_epochs *de, uint64_t nwords);

/* dirty_epochs__clear() zeroes words [w0, w0 + n) in both buffers and in
 * de->last, for a range no program records into any more. Cannot fail. */
void dirty_epochs__clear(struct dirty_epochs *de, uint64_t w0, uint64_t n);

/* dirty_epochs__mark() sets page's bit in the current epoch, as a BPF
 * program would (page < 64 * de->words). Cannot fail. */
void dirty_epochs__mark(struct dirty_epochs *de, uint64_t page);

#endif /* PRECOPY_DIRTY_EPOCHS_H */
