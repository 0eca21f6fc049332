// SPDX-License-Identifier: GPL-2.0
/* pftrack.c - the page-fault dirty tracker loader (see pftrack.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pftrack.h"
#include "pftrack.skel.h"

struct shared_map {
	void *mem;
	size_t len;
};

struct pftrack_slot {
	bool used;
	pid_t tgid;
	unsigned int table; /* the table the BPF side searches */
};

struct pftrack {
	struct pftrack_bpf *skel;
	struct bpf_link *links[3];
	int variant;
	char desc[320];
	uint64_t capacity;
	uint64_t words;
	uint64_t nregions;
	uint64_t high_water; /* pages ever given to a range */
	int ncpus;
	struct shared_map dirty, regions, page_epoch, ranges, pstats, inflight;
	uint64_t *last_dirty;
	struct pftrack_slot slots[PFTRACK_MAX_PROCS];
};

static const char *const variant_names[PFTRACK_VARIANT__COUNT] = {
	[PFTRACK_VARIANT_TP_BTF] = "tp_btf",
	[PFTRACK_VARIANT_TRACEPOINT] = "tracepoint",
};

static bool libbpf_verbose, libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!libbpf_verbose && (level == LIBBPF_DEBUG || libbpf_quiet))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct pftrack_opts pftrack_opts__default(void)
{
	struct pftrack_opts o = {
		.capacity_pages = PFTRACK_DEFAULT_CAPACITY,
		.variant = -1,
	};
	return o;
}

const char *pftrack_variant__name(int variant)
{
	if (variant < 0 || variant >= PFTRACK_VARIANT__COUNT)
		return "?";
	return variant_names[variant];
}

/* The three programs of a variant: user faults, kernel faults, exec. */
static void variant_progs(struct pftrack_bpf *skel, int variant,
			  struct bpf_program *out[3])
{
	if (variant == PFTRACK_VARIANT_TP_BTF) {
		out[0] = skel->progs.pf_user_btf;
		out[1] = skel->progs.pf_kernel_btf;
		out[2] = skel->progs.exec_btf;
	} else {
		out[0] = skel->progs.pf_user_tp;
		out[1] = skel->progs.pf_kernel_tp;
		out[2] = skel->progs.exec_tp;
	}
}

static void set_autoload(struct pftrack_bpf *skel, int variant)
{
	struct bpf_program *p[3];
	int v, i;

	for (v = 0; v < PFTRACK_VARIANT__COUNT; v++) {
		variant_progs(skel, v, p);
		for (i = 0; i < 3; i++)
			bpf_program__set_autoload(p[i], v == variant);
	}
}

static const char *probe_reason(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "no permission (EPERM; run as root)";
	case ENOENT:
	case ESRCH:
		return "tracepoint not found";
	case EOPNOTSUPP:
		return "not supported by this kernel";
	case EINVAL:
		return "rejected by the verifier or kernel (EINVAL)";
	}
	return strerror(err);
}

/* Load `variant` into skel and attach its programs into links[3]. Returns
 * 0 or a positive errno. */
static int load_attach(struct pftrack_bpf *skel, int variant,
		       struct bpf_link *links[3])
{
	struct bpf_program *p[3];
	int i, err;

	set_autoload(skel, variant);
	err = -pftrack_bpf__load(skel);
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

unsigned int pftrack__probe(char why[PFTRACK_VARIANT__COUNT][96])
{
	unsigned int ok = 0;
	int v, i;

	libbpf_set_print(libbpf_print);
	libbpf_quiet = true;
	for (v = 0; v < PFTRACK_VARIANT__COUNT; v++) {
		struct pftrack_bpf *skel = pftrack_bpf__open();
		struct bpf_link *links[3] = { NULL, NULL, NULL };
		int err;

		if (!skel) {
			err = errno ? errno : ENOMEM;
		} else {
			bpf_map__set_max_entries(skel->maps.dirty, 2);
			bpf_map__set_max_entries(skel->maps.regions, 2);
			bpf_map__set_max_entries(skel->maps.page_epoch, 1);
			bpf_map__set_max_entries(skel->maps.ranges, 1);
			bpf_map__set_max_entries(skel->maps.inflight, 1);
			err = load_attach(skel, v, links);
		}
		if (why)
			snprintf(why[v], 96, "%s", err ? probe_reason(err) : "ok");
		if (!err)
			ok |= 1u << v;
		for (i = 0; i < 3; i++)
			bpf_link__destroy(links[i]);
		pftrack_bpf__destroy(skel);
	}
	libbpf_quiet = false;
	return ok;
}

static int map_shared(struct bpf_map *map, struct shared_map *out)
{
	size_t page = sysconf(_SC_PAGESIZE);
	size_t vsz = (bpf_map__value_size(map) + 7) & ~7ul;
	size_t len = vsz * bpf_map__max_entries(map);

	len = (len + page - 1) & ~(page - 1);
	out->mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(map), 0);
	if (out->mem == MAP_FAILED) {
		out->mem = NULL;
		return -errno;
	}
	out->len = len;
	return 0;
}

static void unmap_shared(struct shared_map *m)
{
	if (m->mem)
		munmap(m->mem, m->len);
	m->mem = NULL;
}

struct pftrack *pftrack__open(const struct pftrack_opts *opts, char *err,
			      size_t errlen)
{
	char why[PFTRACK_VARIANT__COUNT][96];
	struct pftrack_opts o = opts ? *opts : pftrack_opts__default();
	struct pftrack *t;
	unsigned int avail;
	int ret, v;

	libbpf_verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	if (!o.capacity_pages || o.capacity_pages % PFTRACK_REGION_PAGES ||
	    o.capacity_pages > (1ull << 31)) {
		set_err(err, errlen, "capacity must be a multiple of %u pages, "
			"at most 2^31", PFTRACK_REGION_PAGES);
		return NULL;
	}
	if (o.variant >= PFTRACK_VARIANT__COUNT) {
		set_err(err, errlen, "unknown variant %d", o.variant);
		return NULL;
	}
	avail = pftrack__probe(why);
	if (o.variant >= 0 && !(avail & (1u << o.variant))) {
		set_err(err, errlen, "%s variant unavailable: %s",
			variant_names[o.variant], why[o.variant]);
		return NULL;
	}
	if (!avail) {
		set_err(err, errlen, "the page-fault tracepoints cannot be "
			"used: tp_btf: %s; tracepoint: %s",
			why[PFTRACK_VARIANT_TP_BTF],
			why[PFTRACK_VARIANT_TRACEPOINT]);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	t->variant = o.variant;
	for (v = 0; t->variant < 0 && v < PFTRACK_VARIANT__COUNT; v++)
		if (avail & (1u << v))
			t->variant = v;
	ret = snprintf(t->desc, sizeof(t->desc),
		       "hooks: %s page_fault_user, page_fault_kernel, "
		       "sched_process_exec",
		       variant_names[t->variant]);
	for (v = 0; v < PFTRACK_VARIANT__COUNT; v++)
		if (!(avail & (1u << v)) && ret < (int)sizeof(t->desc))
			ret += snprintf(t->desc + ret, sizeof(t->desc) - ret,
					"; unavailable: %s (%s)",
					variant_names[v], why[v]);

	t->capacity = o.capacity_pages;
	t->words = t->capacity / 64;
	t->nregions = t->capacity / PFTRACK_REGION_PAGES;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0 || t->ncpus > PFTRACK_MAX_CPUS) {
		set_err(err, errlen, "unsupported CPU count %d", t->ncpus);
		goto fail;
	}
	t->skel = pftrack_bpf__open();
	if (!t->skel) {
		set_err(err, errlen, "cannot open BPF object: %s",
			strerror(errno));
		goto fail;
	}
	t->skel->rodata->words_per_buf = t->words;
	t->skel->rodata->regions_per_buf = t->nregions;
	bpf_map__set_max_entries(t->skel->maps.dirty, 2 * t->words);
	bpf_map__set_max_entries(t->skel->maps.regions, 2 * t->nregions);
	bpf_map__set_max_entries(t->skel->maps.page_epoch,
				 t->capacity / PFTRACK_PAGE_EPOCHS_PER_ELEM);
	bpf_map__set_max_entries(t->skel->maps.inflight, t->ncpus);
	ret = load_attach(t->skel, t->variant, t->links);
	if (ret) {
		set_err(err, errlen, "cannot load and attach the page-fault "
			"tracker: %s", strerror(ret));
		goto fail;
	}
	if ((ret = map_shared(t->skel->maps.dirty, &t->dirty)) ||
	    (ret = map_shared(t->skel->maps.regions, &t->regions)) ||
	    (ret = map_shared(t->skel->maps.page_epoch, &t->page_epoch)) ||
	    (ret = map_shared(t->skel->maps.ranges, &t->ranges)) ||
	    (ret = map_shared(t->skel->maps.proc_stats, &t->pstats)) ||
	    (ret = map_shared(t->skel->maps.inflight, &t->inflight))) {
		set_err(err, errlen, "cannot mmap tracker maps: %s",
			strerror(-ret));
		goto fail;
	}
	t->last_dirty = calloc(t->words, sizeof(uint64_t));
	if (!t->last_dirty) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	return t;
fail:
	pftrack__close(t);
	return NULL;
}

void pftrack__close(struct pftrack *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < 3; i++)
		bpf_link__destroy(t->links[i]);
	unmap_shared(&t->dirty);
	unmap_shared(&t->regions);
	unmap_shared(&t->page_epoch);
	unmap_shared(&t->ranges);
	unmap_shared(&t->pstats);
	unmap_shared(&t->inflight);
	pftrack_bpf__destroy(t->skel);
	free(t->last_dirty);
	free(t);
}

const char *pftrack__describe(const struct pftrack *t)
{
	return t->desc;
}

uint64_t pftrack__capacity(const struct pftrack *t)
{
	return t->capacity;
}

/* Wait until no CPU is inside a section that began before now. */
static void wait_writers(struct pftrack *t)
{
	struct pftrack_inflight *fl = t->inflight.mem;
	int cpu;

	for (cpu = 0; cpu < t->ncpus; cpu++) {
		uint64_t seq = __atomic_load_n(&fl[cpu].seq, __ATOMIC_ACQUIRE);

		if (!(seq & 1))
			continue;
		while (__atomic_load_n(&fl[cpu].seq, __ATOMIC_ACQUIRE) == seq)
			__builtin_ia32_pause();
	}
}

int pftrack__add_proc(struct pftrack *t, pid_t tgid)
{
	struct pftrack_proc val;
	__u32 key = tgid;
	int i, idx = -1;

	for (i = 0; i < PFTRACK_MAX_PROCS; i++) {
		if (t->slots[i].used && t->slots[i].tgid == tgid)
			return -EEXIST;
		if (!t->slots[i].used && idx < 0)
			idx = i;
	}
	if (idx < 0)
		return -ENOSPC;
	memset(&val, 0, sizeof(val));
	val.slot = idx;
	memset((struct pftrack_proc_stat *)t->pstats.mem + idx, 0,
	       sizeof(struct pftrack_proc_stat));
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.procs), &key, &val,
				BPF_ANY))
		return -errno;
	t->slots[idx].used = true;
	t->slots[idx].tgid = tgid;
	t->slots[idx].table = 0;
	return idx;
}

int pftrack__set_ranges(struct pftrack *t, int slot,
			const struct pftrack_range *r, unsigned int n)
{
	struct pftrack_range *dst;
	struct pftrack_proc val;
	struct pftrack_slot *s;
	uint64_t hw = t->high_water;
	unsigned int i, tab;
	__u32 key;

	if (slot < 0 || slot >= PFTRACK_MAX_PROCS || !t->slots[slot].used)
		return -ENOENT;
	if (n > PFTRACK_MAX_RANGES)
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
	dst = (struct pftrack_range *)t->ranges.mem +
	      ((size_t)slot * 2 + tab) * PFTRACK_MAX_RANGES;
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
	wait_writers(t); /* nobody searches the old table any more */
	return 0;
}

int pftrack__remove_proc(struct pftrack *t, int slot)
{
	__u32 key;

	if (slot < 0 || slot >= PFTRACK_MAX_PROCS || !t->slots[slot].used)
		return -ENOENT;
	key = t->slots[slot].tgid;
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.procs), &key);
	wait_writers(t);
	memset(&t->slots[slot], 0, sizeof(t->slots[slot]));
	return 0;
}

uint32_t pftrack__harvest(struct pftrack *t)
{
	uint32_t *epoch = &t->skel->bss->epoch;
	uint32_t old = __atomic_load_n(epoch, __ATOMIC_RELAXED);
	uint64_t *src, *rsrc, i, n, nr;

	/* A sequentially consistent store is an xchg: a full barrier that
	 * orders the switch before the reads of the writers' counters. */
	__atomic_store_n(epoch, old + 1, __ATOMIC_SEQ_CST);
	wait_writers(t);

	src = (uint64_t *)t->dirty.mem + (uint64_t)(old & 1) * t->words;
	n = (t->high_water + 63) / 64;
	for (i = 0; i < n; i++) {
		uint64_t v = src[i];

		t->last_dirty[i] = v;
		if (v)
			src[i] = 0;
	}
	rsrc = (uint64_t *)t->regions.mem + (uint64_t)(old & 1) * t->nregions;
	nr = (t->high_water + PFTRACK_REGION_PAGES - 1) / PFTRACK_REGION_PAGES;
	for (i = 0; i < nr; i++)
		if (rsrc[i])
			rsrc[i] = 0;
	return old;
}

const uint64_t *pftrack__bitmap(const struct pftrack *t, uint64_t *npages)
{
	if (npages)
		*npages = t->high_water;
	return t->last_dirty;
}

uint32_t pftrack__page_last_epoch(const struct pftrack *t, uint64_t page)
{
	const uint32_t *pe = t->page_epoch.mem;

	if (page >= t->capacity)
		return 0;
	return __atomic_load_n(&pe[page], __ATOMIC_RELAXED);
}

int pftrack__proc_stats(const struct pftrack *t, int slot,
			struct pftrack_proc_stat *out)
{
	const struct pftrack_proc_stat *src;

	if (slot < 0 || slot >= PFTRACK_MAX_PROCS)
		return -ENOENT;
	src = (const struct pftrack_proc_stat *)t->pstats.mem + slot;
	out->writes = __atomic_load_n(&src->writes, __ATOMIC_RELAXED);
	out->new_dirty = __atomic_load_n(&src->new_dirty, __ATOMIC_RELAXED);
	out->no_range = __atomic_load_n(&src->no_range, __ATOMIC_RELAXED);
	out->pad = 0;
	return 0;
}

int pftrack__stats(const struct pftrack *t, struct pftrack_stats *out)
{
	uint64_t sum[PFTRACK_STAT__COUNT] = { 0 }, *vals;
	int fd = bpf_map__fd(t->skel->maps.stats), cpu;
	__u32 key;

	vals = calloc(t->ncpus, sizeof(uint64_t));
	if (!vals)
		return -ENOMEM;
	for (key = 0; key < PFTRACK_STAT__COUNT; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			int ret = -errno;

			free(vals);
			return ret;
		}
		for (cpu = 0; cpu < t->ncpus; cpu++)
			sum[key] += vals[cpu];
	}
	free(vals);
	out->faults_user = sum[PFTRACK_STAT_FAULTS_USER];
	out->faults_kernel = sum[PFTRACK_STAT_FAULTS_KERNEL];
	out->not_write = sum[PFTRACK_STAT_NOT_WRITE];
	out->writes = sum[PFTRACK_STAT_WRITES];
	out->no_range = sum[PFTRACK_STAT_NO_RANGE];
	out->new_dirty = sum[PFTRACK_STAT_NEW_DIRTY];
	out->out_of_range = sum[PFTRACK_STAT_OUT_OF_RANGE];
	out->execs = sum[PFTRACK_STAT_EXECS];
	out->map_error = sum[PFTRACK_STAT_MAP_ERROR];
	return 0;
}

int pftrack__prog_stats(const struct pftrack *t, uint64_t *run_ns,
			uint64_t *run_cnt)
{
	struct bpf_program *p[3];
	int i;

	*run_ns = *run_cnt = 0;
	variant_progs(t->skel, t->variant, p);
	for (i = 0; i < 2; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p[i]), &info, &len))
			return -errno;
		*run_ns += info.run_time_ns;
		*run_cnt += info.run_cnt;
	}
	return 0;
}
