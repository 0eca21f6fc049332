// SPDX-License-Identifier: GPL-2.0
/* tracker.c - libprecopy's dirty tracker loader (see tracker.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "util/bpf_util.h"
#include "util/dirty_epochs.h"
#include "util/errmsg.h"
#include "tracker.h"
#include "tracker.skel.h"

#define PAGE_SHIFT 12

struct tracker_vm {
	bool used;
	pid_t tgid;
	uint64_t page_base;  /* multiple of PRECOPY_REGION_PAGES */
	uint64_t page_limit; /* pages of the VM */
	uint64_t room;       /* pages reserved, page_limit rounded up */
};

struct tracker {
	struct tracker_bpf *skel;
	struct bpf_link *links[PRECOPY_HOOK__COUNT];
	unsigned int hooks;
	int variant[PRECOPY_HOOK__COUNT]; /* the form each hook loaded in */
	char desc[640];
	uint64_t capacity;   /* pages */
	struct dirty_epochs de;
	struct bpf_util_mmap vcpu;
	struct tracker_vm vms[PRECOPY_MAX_VMS];
};

struct tracker_opts tracker_opts__default(void)
{
	struct tracker_opts o = {
		.capacity_pages = PRECOPY_DEFAULT_CAPACITY,
		.hooks = 0,
		.verbose = false,
	};
	return o;
}

struct tracker *tracker__open(const struct tracker_opts *opts, char *err,
			      size_t errlen)
{
	char why[PRECOPY_HOOK__COUNT][TRACKER_WHY_LEN];
	struct tracker_opts o = opts ? *opts : tracker_opts__default();
	int t_variant[PRECOPY_HOOK__COUNT] = { 0 };
	struct tracker *t = NULL;
	unsigned int avail;
	int h, ret;

	bpf_util__log(o.verbose);
	if (!o.capacity_pages || o.capacity_pages % PRECOPY_REGION_PAGES ||
	    o.capacity_pages > (1ull << 32)) {
		errmsg_set(err, errlen, "capacity must be a multiple of %u pages, "
			"at most 2^32", PRECOPY_REGION_PAGES);
		return NULL;
	}

	avail = tracker_hooks__probe(why, t_variant);
	t = calloc(1, sizeof(*t));
	if (!t) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	if (o.hooks) {
		for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
			if ((o.hooks & TRACKER_HOOK_BIT(h)) &&
			    !(avail & TRACKER_HOOK_BIT(h))) {
				errmsg_set(err, errlen, "hook %s unavailable: %s",
					precopy_hook__name(h), why[h]);
				goto fail;
			}
		t->hooks = o.hooks;
	} else {
		t->hooks = tracker_hooks__choose(avail);
	}
	if (!t->hooks) {
		errmsg_set(err, errlen, "no dirty-tracking hook works on this "
			"kernel: ring_push: %s; fentry: %s",
			why[PRECOPY_HOOK_RING_PUSH], why[PRECOPY_HOOK_FENTRY]);
		goto fail;
	}
	memcpy(t->variant, t_variant, sizeof(t->variant));
	tracker_hooks__describe(t->desc, sizeof(t->desc), t->hooks, t->variant,
				avail, why);

	t->capacity = o.capacity_pages;
	t->skel = tracker_bpf__open();
	if (!t->skel) {
		errmsg_set(err, errlen, "cannot open BPF object: %s",
			strerror(errno));
		goto fail;
	}
	if (dirty_epochs__size(&t->de, t->skel->maps.dirty,
			       t->skel->maps.inflight,
			       &t->skel->rodata->words_per_buf,
			       t->capacity / 64, err, errlen))
		goto fail;
	tracker_hooks__setup(t->skel);
	tracker_hooks__set_autoload(t->skel, t->hooks, t->variant);

	ret = tracker_bpf__load(t->skel);
	if (ret) {
		errmsg_set(err, errlen, "cannot load the tracker: %s",
			strerror(-ret));
		goto fail;
	}
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++) {
		if (!(t->hooks & TRACKER_HOOK_BIT(h)))
			continue;
		t->links[h] = bpf_program__attach(
			tracker_hooks__prog(t->skel, h, t->variant[h]));
		if (!t->links[h]) {
			errmsg_set(err, errlen, "cannot attach %s: %s",
				precopy_hook__name(h), strerror(errno));
			goto fail;
		}
	}
	if (dirty_epochs__map(&t->de, t->skel->maps.dirty,
			      t->skel->maps.inflight, &t->skel->bss->epoch,
			      err, errlen))
		goto fail;
	ret = bpf_util__mmap(t->skel->maps.vcpu_stats, &t->vcpu);
	if (ret) {
		errmsg_set(err, errlen, "cannot map the vCPU counters: %s",
			strerror(-ret));
		goto fail;
	}
	return t;
fail:
	tracker__close(t);
	return NULL;
}

void tracker__close(struct tracker *t)
{
	int h;

	if (!t)
		return;
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		bpf_link__destroy(t->links[h]);
	dirty_epochs__unmap(&t->de);
	bpf_util__munmap(&t->vcpu);
	tracker_bpf__destroy(t->skel);
	free(t);
}

unsigned int tracker__hooks(const struct tracker *t)
{
	return t->hooks;
}

const char *tracker__describe(const struct tracker *t)
{
	return t->desc;
}

static uint64_t used_words(const struct tracker *t)
{
	uint64_t end = 0;
	int i;

	for (i = 0; i < PRECOPY_MAX_VMS; i++)
		if (t->vms[i].used &&
		    t->vms[i].page_base + t->vms[i].room > end)
			end = t->vms[i].page_base + t->vms[i].room;
	return end / 64;
}

uint32_t tracker__harvest(struct tracker *t)
{
	return dirty_epochs__harvest(&t->de, used_words(t));
}

static struct tracker_vm *get_vm(const struct tracker *t, int vm)
{
	if (vm < 0 || vm >= PRECOPY_MAX_VMS || !t->vms[vm].used)
		return NULL;
	return (struct tracker_vm *)&t->vms[vm];
}

/* First fit of `room` pages in the page space, ignoring VM `skip`. */
static int find_room(const struct tracker *t, uint64_t room, int skip,
		     uint64_t *base)
{
	uint64_t cand = 0;
	bool moved = true;
	int i;

	while (moved) {
		moved = false;
		for (i = 0; i < PRECOPY_MAX_VMS; i++) {
			const struct tracker_vm *v = &t->vms[i];

			if (!v->used || i == skip)
				continue;
			if (cand < v->page_base + v->room &&
			    v->page_base < cand + room) {
				cand = v->page_base + v->room;
				moved = true;
			}
		}
	}
	if (cand + room > t->capacity)
		return -ENOSPC;
	*base = cand;
	return 0;
}

/* Zero a VM's pages in both buffers and the last-epoch view. */
static void clear_range(struct tracker *t, uint64_t base, uint64_t room)
{
	dirty_epochs__clear(&t->de, base / 64, room / 64);
}

/* The BPF side's entry of VM index i (mmapped .bss). */
static struct precopy_vm_id *vm_id(const struct tracker *t, int i)
{
	return &t->skel->bss->vm_ids[i];
}

/* Tell the BPF side which entries to scan: up to the last one used. */
static void set_nvm_ids(struct tracker *t)
{
	uint32_t n = PRECOPY_MAX_VMS;

	while (n > 0 && !t->vms[n - 1].used)
		n--;
	__atomic_store_n(&t->skel->bss->nvm_ids, n, __ATOMIC_RELEASE);
}

/*
 * Publish VM i's memory map: fill the copy the BPF side does not use,
 * switch to it, and wait out the sections that may still read the other,
 * so that the next call may overwrite it. Returns 0 or -errno.
 */
static int publish_map(struct tracker *t, int i, const struct precopy_vm *val)
{
	struct precopy_vm_id *id = vm_id(t, i);
	uint32_t cur = __atomic_load_n(&id->cur, __ATOMIC_RELAXED) ^ 1;
	__u32 key = i * 2 + cur;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.vms), &key, val,
				BPF_ANY))
		return -errno;
	__atomic_store_n(&id->cur, cur, __ATOMIC_SEQ_CST);
	dirty_epochs__wait_writers(&t->de);
	return 0;
}

/* Stop recording VM i: once this returns, no program records for it. */
static void stop_vm(struct tracker *t, int i)
{
	__atomic_store_n(&vm_id(t, i)->tgid, 0, __ATOMIC_SEQ_CST);
	dirty_epochs__wait_writers(&t->de);
}

static void fill_vm_value(struct precopy_vm *val, int index,
			  const struct tracker_vm *v, const struct guest_map *map)
{
	unsigned int i;

	memset(val, 0, sizeof(*val));
	val->vm_index = index;
	val->nslots = map->nslots;
	val->page_base = v->page_base;
	val->page_limit = v->page_limit;
	for (i = 0; i < map->nslots; i++) {
		val->slots[i].slot = map->slots[i].slot;
		val->slots[i].base_gfn = map->slots[i].gpa >> PAGE_SHIFT;
		val->slots[i].npages = map->slots[i].npages;
	}
}

static uint64_t room_for(uint64_t pages)
{
	return (pages + PRECOPY_REGION_PAGES - 1) &
	       ~(uint64_t)(PRECOPY_REGION_PAGES - 1);
}

int tracker__add_vm(struct tracker *t, pid_t tgid, const struct guest_map *map)
{
	struct precopy_vm val;
	struct tracker_vm *v;
	uint64_t pages = guest_map__pages(map), base;
	int i, idx = -1, ret;

	if (!pages || !map->nslots || tgid <= 0)
		return -EINVAL;
	for (i = 0; i < PRECOPY_MAX_VMS; i++) {
		if (t->vms[i].used && t->vms[i].tgid == tgid)
			return -EEXIST;
		if (!t->vms[i].used && idx < 0)
			idx = i;
	}
	if (idx < 0)
		return -ENOSPC;
	ret = find_room(t, room_for(pages), -1, &base);
	if (ret)
		return ret;
	v = &t->vms[idx];
	v->tgid = tgid;
	v->page_base = base;
	v->page_limit = pages;
	v->room = room_for(pages);
	clear_range(t, v->page_base, v->room);
	memset((struct precopy_vcpu_stat *)t->vcpu.mem + idx * PRECOPY_MAX_VCPUS,
	       0, PRECOPY_MAX_VCPUS * sizeof(struct precopy_vcpu_stat));
	fill_vm_value(&val, idx, v, map);
	ret = publish_map(t, idx, &val);
	if (ret) {
		memset(v, 0, sizeof(*v));
		return ret;
	}
	v->used = true;
	set_nvm_ids(t);
	__atomic_store_n(&vm_id(t, idx)->tgid, tgid, __ATOMIC_SEQ_CST);
	return idx;
}

int tracker__update_vm(struct tracker *t, int vm, const struct guest_map *map)
{
	struct tracker_vm *v = get_vm(t, vm);
	struct precopy_vm val;
	uint64_t pages = guest_map__pages(map), base;
	bool moved = false;
	int ret;

	if (!v)
		return -ENOENT;
	if (!pages || !map->nslots)
		return -EINVAL;
	if (room_for(pages) > v->room) {
		if (find_room(t, room_for(pages), vm, &base))
			return -ENOSPC;
		/* Stop recording, move the VM, and start over in its room. */
		stop_vm(t, vm);
		clear_range(t, v->page_base, v->room);
		v->page_base = base;
		v->room = room_for(pages);
		clear_range(t, v->page_base, v->room);
		moved = true;
	}
	v->page_limit = pages;
	fill_vm_value(&val, vm, v, map);
	ret = publish_map(t, vm, &val);
	if (moved)
		__atomic_store_n(&vm_id(t, vm)->tgid, v->tgid,
				 __ATOMIC_SEQ_CST);
	return ret;
}

int tracker__remove_vm(struct tracker *t, int vm)
{
	struct tracker_vm *v = get_vm(t, vm);
	struct precopy_unmapped_key k, next;
	bool first = true;
	int fd;

	if (!v)
		return -ENOENT;
	stop_vm(t, vm);
	clear_range(t, v->page_base, v->room);
	memset((struct precopy_vcpu_stat *)t->vcpu.mem + vm * PRECOPY_MAX_VCPUS,
	       0, PRECOPY_MAX_VCPUS * sizeof(struct precopy_vcpu_stat));
	fd = bpf_map__fd(t->skel->maps.unmapped);
	memset(&k, 0, sizeof(k));
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		if (next.tgid == (__u32)v->tgid) {
			bpf_map_delete_elem(fd, &next);
			continue; /* go on from the same predecessor */
		}
		first = false;
		k = next;
	}
	memset(v, 0, sizeof(*v));
	set_nvm_ids(t);
	return 0;
}

const uint64_t *tracker__vm_bitmap(const struct tracker *t, int vm,
				   uint64_t *npages)
{
	const struct tracker_vm *v = get_vm(t, vm);

	if (!v)
		return NULL;
	if (npages)
		*npages = v->page_limit;
	return t->de.last + v->page_base / 64;
}

int tracker__vcpu_stats(const struct tracker *t, int vm,
			struct precopy_vcpu_stat out[PRECOPY_MAX_VCPUS])
{
	const struct precopy_vcpu_stat *src;
	int i;

	if (!get_vm(t, vm))
		return -ENOENT;
	src = (const struct precopy_vcpu_stat *)t->vcpu.mem +
	      vm * PRECOPY_MAX_VCPUS;
	for (i = 0; i < PRECOPY_MAX_VCPUS; i++) {
		out[i].events = __atomic_load_n(&src[i].events,
						__ATOMIC_RELAXED);
		out[i].new_dirty = __atomic_load_n(&src[i].new_dirty,
						   __ATOMIC_RELAXED);
	}
	return 0;
}

int tracker__stats(const struct tracker *t, struct tracker_stats *out)
{
	uint64_t sum[PRECOPY_STAT__COUNT];
	int h, ret;

	ret = bpf_util__sum_percpu(bpf_map__fd(t->skel->maps.stats),
				   PRECOPY_STAT__COUNT, t->de.ncpus, sum);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		out->events[h] = sum[PRECOPY_STAT_EVENTS + h];
	out->new_dirty = sum[PRECOPY_STAT_NEW_DIRTY];
	out->unknown_slot = sum[PRECOPY_STAT_UNKNOWN_SLOT];
	out->out_of_range = sum[PRECOPY_STAT_OUT_OF_RANGE];
	out->not_write = sum[PRECOPY_STAT_NOT_WRITE];
	out->not_fixed = sum[PRECOPY_STAT_NOT_FIXED];
	out->map_error = sum[PRECOPY_STAT_MAP_ERROR];
	return 0;
}

uint64_t tracker__unmapped_events(const struct tracker *t, int vm,
				  uint32_t *slot)
{
	const struct tracker_vm *v = get_vm(t, vm);
	struct precopy_unmapped_key k, next;
	uint64_t total = 0, cnt;
	bool first = true;
	int fd;

	if (!v)
		return 0;
	fd = bpf_map__fd(t->skel->maps.unmapped);
	memset(&k, 0, sizeof(k));
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (next.tgid != (__u32)v->tgid)
			continue;
		if (bpf_map_lookup_elem(fd, &next, &cnt))
			continue;
		if (!total && slot)
			*slot = next.slot;
		total += cnt;
	}
	return total;
}

int tracker__prog_stats(const struct tracker *t, enum precopy_hook hook,
			uint64_t *run_ns, uint64_t *run_cnt)
{
	if ((unsigned int)hook >= PRECOPY_HOOK__COUNT ||
	    !(t->hooks & TRACKER_HOOK_BIT(hook)))
		return -ENOENT;
	*run_ns = *run_cnt = 0;
	return bpf_util__prog_stats(
		tracker_hooks__prog(t->skel, hook, t->variant[hook]), run_ns,
		run_cnt);
}

int tracker__mark_dirty(struct tracker *t, int vm, uint64_t gfn)
{
	const struct tracker_vm *v = get_vm(t, vm);

	if (!v)
		return -ENOENT;
	if (gfn >= v->page_limit)
		return -ERANGE;
	/* A harvest running concurrently is excluded by the one-thread rule
	 * of this API. */
	dirty_epochs__mark(&t->de, v->page_base + gfn);
	return 0;
}

