// SPDX-License-Identifier: GPL-2.0
/* proc_track.c - the page-fault dirty tracker loader (see proc_track.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "util/bpf_util.h"
#include "util/dirty_epochs.h"
#include "util/errmsg.h"
#include "proc_track.h"
#include "proc_track.skel.h"

struct proc_track_slot {
	bool used;
	pid_t tgid;
	unsigned int table; /* the table the BPF side searches */
};

struct proc_track {
	struct proc_track_bpf *skel;
	struct bpf_link *links[3];
	int variant;
	char desc[320];
	uint64_t capacity;
	uint64_t high_water; /* pages ever given to a range */
	struct dirty_epochs de;
	struct bpf_util_mmap ranges;
	struct proc_track_slot slots[PROC_TRACK_MAX_PROCS];
};

static const char *const variant_names[PROC_TRACK_VARIANT__COUNT] = {
	[PROC_TRACK_VARIANT_TP_BTF] = "tp_btf",
	[PROC_TRACK_VARIANT_RAW_TP] = "raw_tp",
};

struct proc_track_opts proc_track_opts__default(void)
{
	struct proc_track_opts o = {
		.capacity_pages = PROC_TRACK_DEFAULT_CAPACITY,
		.variant = -1,
	};
	return o;
}

/* The three programs of a variant: user faults, kernel faults, exec. */
static void variant_progs(struct proc_track_bpf *skel, int variant,
			  struct bpf_program *out[3])
{
	if (variant == PROC_TRACK_VARIANT_TP_BTF) {
		out[0] = skel->progs.pf_user_btf;
		out[1] = skel->progs.pf_kernel_btf;
		out[2] = skel->progs.exec_btf;
	} else {
		out[0] = skel->progs.pf_user_raw;
		out[1] = skel->progs.pf_kernel_raw;
		out[2] = skel->progs.exec_raw;
	}
}

static void set_autoload(struct proc_track_bpf *skel, int variant)
{
	struct bpf_program *p[3];
	int v, i;

	for (v = 0; v < PROC_TRACK_VARIANT__COUNT; v++) {
		variant_progs(skel, v, p);
		for (i = 0; i < 3; i++)
			bpf_program__set_autoload(p[i], v == variant);
	}
}

/* Load `variant` into skel and attach its programs into links[3]. Returns
 * 0 or a positive errno. */
static int load_attach(struct proc_track_bpf *skel, int variant,
		       struct bpf_link *links[3])
{
	struct bpf_program *p[3];
	int i, err;

	set_autoload(skel, variant);
	err = -proc_track_bpf__load(skel);
	if (err)
		return err;
	variant_progs(skel, variant, p);
	for (i = 0; i < 3; i++) {
		links[i] = bpf_program__attach(p[i]);
		if (!links[i])
			return errno ? errno : EINVAL;
	}
	return 0;
}

/* Try each variant on this kernel (load and attach of all its programs).
 * Returns the mask of variants that work (bit v for variant v); why[v]
 * gets "ok" or the reason. Cannot fail. */
static unsigned int probe(char why[PROC_TRACK_VARIANT__COUNT][96])
{
	unsigned int ok = 0;
	int v, i;

	bpf_util__log_quiet(true);
	for (v = 0; v < PROC_TRACK_VARIANT__COUNT; v++) {
		struct proc_track_bpf *skel = proc_track_bpf__open();
		struct bpf_link *links[3] = { NULL, NULL, NULL };
		int err;

		if (!skel) {
			err = errno ? errno : ENOMEM;
		} else {
			bpf_map__set_max_entries(skel->maps.dirty, 2);
			bpf_map__set_max_entries(skel->maps.ranges, 1);
			bpf_map__set_max_entries(skel->maps.inflight, 1);
			err = load_attach(skel, v, links);
		}
		if (why)
			snprintf(why[v], 96, "%s",
				 err ? bpf_util__why(err, false) : "ok");
		if (!err)
			ok |= 1u << v;
		for (i = 0; i < 3; i++)
			bpf_link__destroy(links[i]);
		proc_track_bpf__destroy(skel);
	}
	bpf_util__log_quiet(false);
	return ok;
}

struct proc_track *proc_track__open(const struct proc_track_opts *opts, char *err,
			      size_t errlen)
{
	char why[PROC_TRACK_VARIANT__COUNT][96];
	struct proc_track_opts o = opts ? *opts : proc_track_opts__default();
	struct proc_track *t;
	unsigned int avail;
	int ret, v;

	bpf_util__log(o.verbose);
	if (!o.capacity_pages || o.capacity_pages % PROC_TRACK_REGION_PAGES ||
	    o.capacity_pages > (1ull << 31)) {
		errmsg_set(err, errlen, "capacity must be a multiple of %u pages, "
			"at most 2^31", PROC_TRACK_REGION_PAGES);
		return NULL;
	}
	if (o.variant >= PROC_TRACK_VARIANT__COUNT) {
		errmsg_set(err, errlen, "unknown variant %d", o.variant);
		return NULL;
	}
	avail = probe(why);
	if (o.variant >= 0 && !(avail & (1u << o.variant))) {
		errmsg_set(err, errlen, "%s variant unavailable: %s",
			variant_names[o.variant], why[o.variant]);
		return NULL;
	}
	if (!avail) {
		errmsg_set(err, errlen, "the page-fault tracepoints cannot be "
			"used: tp_btf: %s; raw_tp: %s",
			why[PROC_TRACK_VARIANT_TP_BTF],
			why[PROC_TRACK_VARIANT_RAW_TP]);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	t->variant = o.variant;
	for (v = 0; t->variant < 0 && v < PROC_TRACK_VARIANT__COUNT; v++)
		if (avail & (1u << v))
			t->variant = v;
	ret = snprintf(t->desc, sizeof(t->desc),
		       "hooks: %s page_fault_user, page_fault_kernel, "
		       "sched_process_exec",
		       variant_names[t->variant]);
	for (v = 0; v < PROC_TRACK_VARIANT__COUNT; v++)
		if (!(avail & (1u << v)) && ret < (int)sizeof(t->desc))
			ret += snprintf(t->desc + ret, sizeof(t->desc) - ret,
					"; unavailable: %s (%s)",
					variant_names[v], why[v]);

	t->capacity = o.capacity_pages;
	t->skel = proc_track_bpf__open();
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
	ret = load_attach(t->skel, t->variant, t->links);
	if (ret) {
		errmsg_set(err, errlen, "cannot load and attach the page-fault "
			"tracker: %s", strerror(ret));
		goto fail;
	}
	if (dirty_epochs__map(&t->de, t->skel->maps.dirty,
			      t->skel->maps.inflight, &t->skel->bss->epoch,
			      err, errlen))
		goto fail;
	ret = bpf_util__mmap(t->skel->maps.ranges, &t->ranges);
	if (ret) {
		errmsg_set(err, errlen, "cannot map the range tables: %s",
			strerror(-ret));
		goto fail;
	}
	return t;
fail:
	proc_track__close(t);
	return NULL;
}

void proc_track__close(struct proc_track *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < 3; i++)
		bpf_link__destroy(t->links[i]);
	dirty_epochs__unmap(&t->de);
	bpf_util__munmap(&t->ranges);
	proc_track_bpf__destroy(t->skel);
	free(t);
}

const char *proc_track__describe(const struct proc_track *t)
{
	return t->desc;
}

int proc_track__add_proc(struct proc_track *t, pid_t tgid)
{
	struct proc_track_proc val;
	__u32 key = tgid;
	int i, idx = -1;

	for (i = 0; i < PROC_TRACK_MAX_PROCS; i++) {
		if (t->slots[i].used && t->slots[i].tgid == tgid)
			return -EEXIST;
		if (!t->slots[i].used && idx < 0)
			idx = i;
	}
	if (idx < 0)
		return -ENOSPC;
	memset(&val, 0, sizeof(val));
	val.slot = idx;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.procs), &key, &val,
				BPF_ANY))
		return -errno;
	t->slots[idx].used = true;
	t->slots[idx].tgid = tgid;
	t->slots[idx].table = 0;
	return idx;
}

int proc_track__set_ranges(struct proc_track *t, int slot,
			const struct proc_track_range *r, unsigned int n)
{
	struct proc_track_range *dst;
	struct proc_track_proc val;
	struct proc_track_slot *s;
	uint64_t hw = t->high_water;
	unsigned int i, tab;
	__u32 key;

	if (slot < 0 || slot >= PROC_TRACK_MAX_PROCS || !t->slots[slot].used)
		return -ENOENT;
	if (n > PROC_TRACK_MAX_RANGES)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		uint64_t pages = (r[i].end - r[i].start) >> 12;

		if ((r[i].start | r[i].end) & 4095 || r[i].end <= r[i].start ||
		    (i && r[i].start < r[i - 1].end) ||
		    r[i].page + pages > t->capacity)
			return -EINVAL;
		if (r[i].page + pages > hw)
			hw = r[i].page + pages;
	}
	s = &t->slots[slot];
	tab = s->table ^ 1;
	dst = (struct proc_track_range *)t->ranges.mem +
	      ((size_t)slot * 2 + tab) * PROC_TRACK_MAX_RANGES;
	memcpy(dst, r, n * sizeof(*r));
	memset(&val, 0, sizeof(val));
	val.slot = slot;
	val.table = tab;
	val.nranges[tab] = n;
	key = s->tgid;
	/* BPF_EXIST: the BPF side drops a process that calls exec. */
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.procs), &key, &val,
				BPF_EXIST))
		return errno == ENOENT ? -ENOENT : -errno;
	s->table = tab;
	t->high_water = hw;
	/* Nobody searches the old table any more. */
	dirty_epochs__wait_writers(&t->de);
	return 0;
}

int proc_track__remove_proc(struct proc_track *t, int slot)
{
	__u32 key;

	if (slot < 0 || slot >= PROC_TRACK_MAX_PROCS || !t->slots[slot].used)
		return -ENOENT;
	key = t->slots[slot].tgid;
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.procs), &key);
	dirty_epochs__wait_writers(&t->de);
	memset(&t->slots[slot], 0, sizeof(t->slots[slot]));
	return 0;
}

uint32_t proc_track__harvest(struct proc_track *t)
{
	return dirty_epochs__harvest(&t->de, (t->high_water + 63) / 64);
}

const uint64_t *proc_track__bitmap(const struct proc_track *t, uint64_t *npages)
{
	if (npages)
		*npages = t->high_water;
	return t->de.last;
}

int proc_track__stats(const struct proc_track *t, struct proc_track_stats *out)
{
	uint64_t sum[PROC_TRACK_STAT__COUNT];
	int ret;

	ret = bpf_util__sum_percpu(bpf_map__fd(t->skel->maps.stats),
				   PROC_TRACK_STAT__COUNT, t->de.ncpus, sum);
	if (ret)
		return ret;
	out->faults_user = sum[PROC_TRACK_STAT_FAULTS_USER];
	out->faults_kernel = sum[PROC_TRACK_STAT_FAULTS_KERNEL];
	out->not_write = sum[PROC_TRACK_STAT_NOT_WRITE];
	out->writes = sum[PROC_TRACK_STAT_WRITES];
	out->no_range = sum[PROC_TRACK_STAT_NO_RANGE];
	out->new_dirty = sum[PROC_TRACK_STAT_NEW_DIRTY];
	out->out_of_range = sum[PROC_TRACK_STAT_OUT_OF_RANGE];
	out->execs = sum[PROC_TRACK_STAT_EXECS];
	out->map_error = sum[PROC_TRACK_STAT_MAP_ERROR];
	return 0;
}

int proc_track__prog_stats(const struct proc_track *t, uint64_t *run_ns,
			uint64_t *run_cnt)
{
	struct bpf_program *p[3];
	int i, ret;

	*run_ns = *run_cnt = 0;
	variant_progs(t->skel, t->variant, p);
	for (i = 0; i < 2; i++) { /* the two fault programs, not exec */
		ret = bpf_util__prog_stats(p[i], run_ns, run_cnt);
		if (ret)
			return ret;
	}
	return 0;
}
