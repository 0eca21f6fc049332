// SPDX-License-Identifier: GPL-2.0
/* tracker.c - libprecopy's dirty tracker loader (see tracker.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "errmsg.h"
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

struct shared_map {
	void *mem;
	size_t len;
};

struct tracker {
	struct tracker_bpf *skel;
	struct bpf_link *links[PRECOPY_HOOK__COUNT];
	struct ring_buffer *rb;
	tracker_event_fn event_fn;
	void *event_ctx;
	unsigned int hooks;
	int variant[PRECOPY_HOOK__COUNT]; /* the form each hook loaded in */
	char desc[640];
	uint64_t capacity;   /* pages */
	uint64_t words;      /* bitmap words per buffer */
	uint64_t nregions;   /* regions per buffer */
	int ncpus;
	struct shared_map dirty, regions, page_epoch, vcpu, inflight;
	uint64_t *last_dirty;   /* words: the last harvested epoch */
	uint64_t *last_regions; /* nregions */
	struct tracker_vm vms[PRECOPY_MAX_VMS];
};

static const char *const hook_names[PRECOPY_HOOK__COUNT] = {
	[PRECOPY_HOOK_RING_PUSH] = "ring_push",
	[PRECOPY_HOOK_PAGE_FAULT] = "page_fault",
	[PRECOPY_HOOK_FAST_PF] = "fast_pf",
	[PRECOPY_HOOK_FENTRY] = "fentry",
	[PRECOPY_HOOK_KPROBE] = "kprobe",
};

static bool libbpf_verbose;
static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!libbpf_verbose && (level == LIBBPF_DEBUG || libbpf_quiet))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct tracker_opts tracker_opts__default(void)
{
	struct tracker_opts o = {
		.capacity_pages = PRECOPY_DEFAULT_CAPACITY,
		.hooks = 0,
		.sample_every = 0,
		.ringbuf_bytes = 1u << 20,
		.verbose = false,
	};
	return o;
}

const char *precopy_hook__name(enum precopy_hook hook)
{
	if ((unsigned int)hook >= PRECOPY_HOOK__COUNT)
		return "?";
	return hook_names[hook];
}

int tracker_hooks__parse(const char *list, unsigned int *mask, char *err,
			 size_t errlen)
{
	char buf[256], *tok, *save = NULL;
	unsigned int m = 0;
	int h;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf)) {
		errmsg_set(err, errlen, "hook list too long");
		return -EINVAL;
	}
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "auto"))
			continue;
		for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
			if (!strcmp(tok, hook_names[h]))
				break;
		if (h == PRECOPY_HOOK__COUNT) {
			errmsg_set(err, errlen,
				"unknown hook '%s' (known: ring_push, "
				"page_fault, fast_pf, fentry, kprobe, auto)",
				tok);
			return -EINVAL;
		}
		m |= TRACKER_HOOK_BIT(h);
	}
	*mask = m;
	return 0;
}

#define HOOK_VARIANTS 2

/* The forms a hook can take, best first; each is a program in the
 * object. kvm_dirty_ring_push prefers the BTF raw tracepoint (no trace
 * record formatting) and falls back to the classic tracepoint. */
static const char *const variant_names[PRECOPY_HOOK__COUNT][HOOK_VARIANTS] = {
	[PRECOPY_HOOK_RING_PUSH] = { "tp_btf", "tracepoint" },
	[PRECOPY_HOOK_PAGE_FAULT] = { "tracepoint" },
	[PRECOPY_HOOK_FAST_PF] = { "tracepoint" },
	[PRECOPY_HOOK_FENTRY] = { "fentry" },
	[PRECOPY_HOOK_KPROBE] = { "kprobe" },
};

/* The program of variant v of hook, or NULL if there is no such variant. */
static struct bpf_program *hook_prog(struct tracker_bpf *skel, int hook,
				     int v)
{
	switch (hook * HOOK_VARIANTS + v) {
	case PRECOPY_HOOK_RING_PUSH * HOOK_VARIANTS:
		return skel->progs.handle_ring_push_btf;
	case PRECOPY_HOOK_RING_PUSH * HOOK_VARIANTS + 1:
		return skel->progs.handle_ring_push;
	case PRECOPY_HOOK_PAGE_FAULT * HOOK_VARIANTS:
		return skel->progs.handle_page_fault;
	case PRECOPY_HOOK_FAST_PF * HOOK_VARIANTS:
		return skel->progs.handle_fast_pf;
	case PRECOPY_HOOK_FENTRY * HOOK_VARIANTS:
		return skel->progs.handle_fentry;
	case PRECOPY_HOOK_KPROBE * HOOK_VARIANTS:
		return skel->progs.handle_kprobe;
	}
	return NULL;
}

/* Look up an enumerator by name in vmlinux BTF, then in kvm's module BTF.
 * RET_PF_FIXED lives in an anonymous enum, out of CO-RE's reach. */
static int btf_enumerator(struct btf *btf, const char *name, long long *val)
{
	unsigned int id, n = btf__type_cnt(btf);

	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;
		int i;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off),
				    name)) {
				*val = e[i].val;
				return 0;
			}
	}
	return -ENOENT;
}

static int kernel_enumerator(const char *name, long long *val)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *kvm = NULL;
	int ret = -ENOENT;

	if (!vmlinux)
		return -ENOENT;
	ret = btf_enumerator(vmlinux, name, val);
	if (ret) {
		kvm = btf__load_module_btf("kvm", vmlinux);
		if (kvm)
			ret = btf_enumerator(kvm, name, val);
	}
	btf__free(kvm);
	btf__free(vmlinux);
	return ret;
}

/* Load only variant variant[h] of each hook h in mask. */
static void set_autoload(struct tracker_bpf *skel, unsigned int mask,
			 const int variant[PRECOPY_HOOK__COUNT])
{
	int h, v;

	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		for (v = 0; v < HOOK_VARIANTS; v++)
			if (hook_prog(skel, h, v))
				bpf_program__set_autoload(
					hook_prog(skel, h, v),
					(mask & TRACKER_HOOK_BIT(h)) &&
						variant[h] == v);
}

static const char *probe_reason(int hook, int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return hook == PRECOPY_HOOK_FENTRY || hook == PRECOPY_HOOK_KPROBE
			       ? "refused by the kernel (EPERM)"
			       : "no permission (EPERM; run as root)";
	case ENOENT:
	case ESRCH:
		return hook == PRECOPY_HOOK_KPROBE || hook == PRECOPY_HOOK_FENTRY
			       ? "function or kprobe support not found"
			       : "tracepoint not found (kvm not loaded?)";
	case EOPNOTSUPP:
		return "not supported by this kernel";
	case EINVAL:
		return "rejected by the verifier or kernel (EINVAL)";
	}
	return strerror(err);
}

/* Does variant v of hook h load and attach on this kernel? 0 or errno. */
static int probe_variant(int h, int v)
{
	int variant[PRECOPY_HOOK__COUNT] = { 0 };
	struct tracker_bpf *skel = tracker_bpf__open();
	struct bpf_link *link = NULL;
	int err;

	if (!skel)
		return errno ? errno : ENOMEM;
	bpf_map__set_max_entries(skel->maps.dirty, 2);
	bpf_map__set_max_entries(skel->maps.regions, 2);
	bpf_map__set_max_entries(skel->maps.page_epoch, 1);
	bpf_map__set_max_entries(skel->maps.inflight, 1);
	bpf_map__set_max_entries(skel->maps.events, 4096);
	variant[h] = v;
	set_autoload(skel, TRACKER_HOOK_BIT(h), variant);
	err = -tracker_bpf__load(skel);
	if (!err) {
		link = bpf_program__attach(hook_prog(skel, h, v));
		if (!link)
			err = errno ? errno : EINVAL;
	}
	bpf_link__destroy(link);
	tracker_bpf__destroy(skel);
	return err;
}

/* Probe every hook; variant[h] gets the first variant that works. */
static unsigned int probe_hooks(char why[PRECOPY_HOOK__COUNT][96],
				int variant[PRECOPY_HOOK__COUNT])
{
	unsigned int ok = 0;
	int h, v;

	libbpf_set_print(libbpf_print);
	libbpf_quiet = true;
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++) {
		int err = ENOENT, first_err = 0;

		for (v = 0; v < HOOK_VARIANTS && variant_names[h][v]; v++) {
			err = probe_variant(h, v);
			if (!err)
				break;
			if (!first_err)
				first_err = err;
		}
		if (why)
			snprintf(why[h], 96, "%s",
				 err ? probe_reason(h, first_err) : "ok");
		if (!err) {
			ok |= TRACKER_HOOK_BIT(h);
			variant[h] = v;
		}
	}
	libbpf_quiet = false;
	return ok;
}

unsigned int tracker__probe(char why[PRECOPY_HOOK__COUNT][96])
{
	int variant[PRECOPY_HOOK__COUNT] = { 0 };

	return probe_hooks(why, variant);
}

static unsigned int choose_hooks(unsigned int avail)
{
	const unsigned int tps = TRACKER_HOOK_BIT(PRECOPY_HOOK_RING_PUSH) |
				 TRACKER_HOOK_BIT(PRECOPY_HOOK_PAGE_FAULT) |
				 TRACKER_HOOK_BIT(PRECOPY_HOOK_FAST_PF);

	if (avail & TRACKER_HOOK_BIT(PRECOPY_HOOK_FENTRY))
		return TRACKER_HOOK_BIT(PRECOPY_HOOK_FENTRY);
	if (avail & TRACKER_HOOK_BIT(PRECOPY_HOOK_KPROBE))
		return TRACKER_HOOK_BIT(PRECOPY_HOOK_KPROBE);
	return avail & tps;
}

static void describe(struct tracker *t, unsigned int avail,
		     char why[PRECOPY_HOOK__COUNT][96])
{
	size_t n = 0, cap = sizeof(t->desc);
	bool first = true;
	int h;

	n += snprintf(t->desc + n, cap - n, "hooks: using");
	for (h = 0; h < PRECOPY_HOOK__COUNT && n < cap; h++)
		if (t->hooks & TRACKER_HOOK_BIT(h)) {
			n += snprintf(t->desc + n, cap - n, "%s %s",
				      first ? "" : ",", hook_names[h]);
			if (variant_names[h][1])
				n += snprintf(t->desc + n, cap - n, " (%s)",
					      variant_names[h][t->variant[h]]);
			first = false;
		}
	first = true;
	for (h = 0; h < PRECOPY_HOOK__COUNT && n < cap; h++)
		if (!(avail & TRACKER_HOOK_BIT(h))) {
			n += snprintf(t->desc + n, cap - n, "%s %s (%s)",
				      first ? "; unavailable:" : ",",
				      hook_names[h], why[h]);
			first = false;
		}
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

static int handle_rb_event(void *ctx, void *data, size_t size)
{
	struct tracker *t = ctx;

	if (size < sizeof(struct precopy_event) || !t->event_fn)
		return 0;
	return t->event_fn(t->event_ctx, data);
}

struct tracker *tracker__open(const struct tracker_opts *opts, char *err,
			      size_t errlen)
{
	char why[PRECOPY_HOOK__COUNT][96];
	struct tracker_opts o = opts ? *opts : tracker_opts__default();
	int t_variant[PRECOPY_HOOK__COUNT] = { 0 };
	struct tracker *t = NULL;
	unsigned int avail;
	long long fixed;
	int h, ret;

	libbpf_verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	if (!o.capacity_pages || o.capacity_pages % PRECOPY_REGION_PAGES ||
	    o.capacity_pages > (1ull << 32)) {
		errmsg_set(err, errlen, "capacity must be a multiple of %u pages, "
			"at most 2^32", PRECOPY_REGION_PAGES);
		return NULL;
	}
	if (o.ringbuf_bytes < 4096 || (o.ringbuf_bytes & (o.ringbuf_bytes - 1))) {
		errmsg_set(err, errlen, "ring buffer size must be a power of two "
			">= 4096");
		return NULL;
	}

	avail = probe_hooks(why, t_variant);
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
					hook_names[h], why[h]);
				goto fail;
			}
		t->hooks = o.hooks;
	} else {
		t->hooks = choose_hooks(avail);
	}
	if (!t->hooks) {
		errmsg_set(err, errlen, "no dirty-tracking hook works on this "
			"kernel: ring_push: %s; fentry: %s",
			why[PRECOPY_HOOK_RING_PUSH], why[PRECOPY_HOOK_FENTRY]);
		goto fail;
	}
	memcpy(t->variant, t_variant, sizeof(t->variant));
	describe(t, avail, why);

	t->capacity = o.capacity_pages;
	t->words = t->capacity / 64;
	t->nregions = t->capacity / PRECOPY_REGION_PAGES;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0 || t->ncpus > PRECOPY_MAX_CPUS) {
		errmsg_set(err, errlen, "unsupported CPU count %d", t->ncpus);
		goto fail;
	}

	t->skel = tracker_bpf__open();
	if (!t->skel) {
		errmsg_set(err, errlen, "cannot open BPF object: %s",
			strerror(errno));
		goto fail;
	}
	t->skel->rodata->words_per_buf = t->words;
	t->skel->rodata->regions_per_buf = t->nregions;
	t->skel->rodata->sample_every = o.sample_every;
	if (!kernel_enumerator("RET_PF_FIXED", &fixed))
		t->skel->rodata->ret_pf_fixed = (int)fixed;
	bpf_map__set_max_entries(t->skel->maps.dirty, 2 * t->words);
	bpf_map__set_max_entries(t->skel->maps.regions, 2 * t->nregions);
	bpf_map__set_max_entries(t->skel->maps.page_epoch,
				 t->capacity / PRECOPY_PAGE_EPOCHS_PER_ELEM);
	bpf_map__set_max_entries(t->skel->maps.inflight, t->ncpus);
	bpf_map__set_max_entries(t->skel->maps.events, o.ringbuf_bytes);
	set_autoload(t->skel, t->hooks, t->variant);

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
			hook_prog(t->skel, h, t->variant[h]));
		if (!t->links[h]) {
			errmsg_set(err, errlen, "cannot attach %s: %s",
				hook_names[h], strerror(errno));
			goto fail;
		}
	}
	if ((ret = map_shared(t->skel->maps.dirty, &t->dirty)) ||
	    (ret = map_shared(t->skel->maps.regions, &t->regions)) ||
	    (ret = map_shared(t->skel->maps.page_epoch, &t->page_epoch)) ||
	    (ret = map_shared(t->skel->maps.vcpu_stats, &t->vcpu)) ||
	    (ret = map_shared(t->skel->maps.inflight, &t->inflight))) {
		errmsg_set(err, errlen, "cannot mmap tracker maps: %s",
			strerror(-ret));
		goto fail;
	}
	t->last_dirty = calloc(t->words, sizeof(uint64_t));
	t->last_regions = calloc(t->nregions, sizeof(uint64_t));
	if (!t->last_dirty || !t->last_regions) {
		errmsg_set(err, errlen, "out of memory");
		goto fail;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events),
				 handle_rb_event, t, NULL);
	if (!t->rb) {
		errmsg_set(err, errlen, "cannot open the event ring buffer: %s",
			strerror(errno));
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
	ring_buffer__free(t->rb);
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		bpf_link__destroy(t->links[h]);
	unmap_shared(&t->dirty);
	unmap_shared(&t->regions);
	unmap_shared(&t->page_epoch);
	unmap_shared(&t->vcpu);
	unmap_shared(&t->inflight);
	tracker_bpf__destroy(t->skel);
	free(t->last_dirty);
	free(t->last_regions);
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

/* Wait until no CPU is inside a recording section that began before now. */
static void wait_writers(struct tracker *t)
{
	struct precopy_inflight *fl = t->inflight.mem;
	int cpu;

	for (cpu = 0; cpu < t->ncpus; cpu++) {
		uint64_t seq = __atomic_load_n(&fl[cpu].seq, __ATOMIC_ACQUIRE);

		if (!(seq & 1))
			continue;
		while (__atomic_load_n(&fl[cpu].seq, __ATOMIC_ACQUIRE) == seq)
			__builtin_ia32_pause();
	}
}

static uint64_t *buf_words(const struct tracker *t, unsigned int buf)
{
	return (uint64_t *)t->dirty.mem + (uint64_t)buf * t->words;
}

static uint64_t *buf_regions(const struct tracker *t, unsigned int buf)
{
	return (uint64_t *)t->regions.mem + (uint64_t)buf * t->nregions;
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
	uint32_t *epoch = &t->skel->bss->epoch;
	uint32_t old = __atomic_load_n(epoch, __ATOMIC_RELAXED);
	uint64_t *src, *rsrc, i, n, nr;

	/* A sequentially consistent store is an xchg: a full barrier that
	 * orders the switch before the reads of the writers' counters. */
	__atomic_store_n(epoch, old + 1, __ATOMIC_SEQ_CST);
	wait_writers(t);

	src = buf_words(t, old & 1);
	n = used_words(t);
	for (i = 0; i < n; i++) {
		uint64_t v = src[i];

		t->last_dirty[i] = v;
		if (v)
			src[i] = 0;
	}
	rsrc = buf_regions(t, old & 1);
	nr = n * 64 / PRECOPY_REGION_PAGES;
	for (i = 0; i < nr; i++) {
		uint64_t v = rsrc[i];

		t->last_regions[i] = v;
		if (v)
			rsrc[i] = 0;
	}
	return old;
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

/* Zero a VM's pages in both buffers, the last-epoch view and page epochs. */
static void clear_range(struct tracker *t, uint64_t base, uint64_t room)
{
	uint64_t w0 = base / 64, nw = room / 64;
	uint64_t r0 = base / PRECOPY_REGION_PAGES;
	uint64_t nr = room / PRECOPY_REGION_PAGES;
	unsigned int b;

	for (b = 0; b < 2; b++) {
		memset(buf_words(t, b) + w0, 0, nw * 8);
		memset(buf_regions(t, b) + r0, 0, nr * 8);
	}
	memset(t->last_dirty + w0, 0, nw * 8);
	memset(t->last_regions + r0, 0, nr * 8);
	memset((uint32_t *)t->page_epoch.mem + base, 0, room * 4);
}

static void fill_vm_value(struct precopy_vm *val, int index,
			  const struct tracker_vm *v, const struct memmap *map)
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

int tracker__add_vm(struct tracker *t, pid_t tgid, const struct memmap *map)
{
	struct precopy_vm val;
	struct tracker_vm *v;
	__u32 key = tgid;
	uint64_t pages = memmap__pages(map), base;
	int i, idx = -1, ret;

	if (!pages || !map->nslots)
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
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.vms), &key, &val,
				BPF_NOEXIST))
		return -errno;
	v->used = true;
	return idx;
}

int tracker__update_vm(struct tracker *t, int vm, const struct memmap *map)
{
	struct tracker_vm *v = get_vm(t, vm);
	struct precopy_vm val;
	uint64_t pages = memmap__pages(map), base;
	__u32 key;

	if (!v)
		return -ENOENT;
	if (!pages || !map->nslots)
		return -EINVAL;
	if (room_for(pages) > v->room) {
		if (find_room(t, room_for(pages), vm, &base))
			return -ENOSPC;
		/* Stop recording, move the VM, and start over in its room. */
		key = v->tgid;
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.vms), &key);
		wait_writers(t);
		clear_range(t, v->page_base, v->room);
		v->page_base = base;
		v->room = room_for(pages);
		clear_range(t, v->page_base, v->room);
	}
	v->page_limit = pages;
	fill_vm_value(&val, vm, v, map);
	key = v->tgid;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.vms), &key, &val,
				BPF_ANY))
		return -errno;
	return 0;
}

int tracker__remove_vm(struct tracker *t, int vm)
{
	struct tracker_vm *v = get_vm(t, vm);
	struct precopy_unmapped_key k, next;
	bool first = true;
	int fd;
	__u32 key;

	if (!v)
		return -ENOENT;
	key = v->tgid;
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.vms), &key);
	wait_writers(t);
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
	return 0;
}

uint64_t tracker__vm_pages(const struct tracker *t, int vm)
{
	const struct tracker_vm *v = get_vm(t, vm);

	return v ? v->page_limit : 0;
}

pid_t tracker__vm_pid(const struct tracker *t, int vm)
{
	const struct tracker_vm *v = get_vm(t, vm);

	return v ? v->tgid : -1;
}

const uint64_t *tracker__vm_bitmap(const struct tracker *t, int vm,
				   uint64_t *npages)
{
	const struct tracker_vm *v = get_vm(t, vm);

	if (!v)
		return NULL;
	if (npages)
		*npages = v->page_limit;
	return t->last_dirty + v->page_base / 64;
}

const uint64_t *tracker__vm_regions(const struct tracker *t, int vm,
				    uint64_t *nregions)
{
	const struct tracker_vm *v = get_vm(t, vm);

	if (!v)
		return NULL;
	if (nregions)
		*nregions = (v->page_limit + PRECOPY_REGION_PAGES - 1) /
			    PRECOPY_REGION_PAGES;
	return t->last_regions + v->page_base / PRECOPY_REGION_PAGES;
}

uint32_t tracker__page_last_epoch(const struct tracker *t, int vm,
				  uint64_t gfn)
{
	const struct tracker_vm *v = get_vm(t, vm);
	const uint32_t *pe = t->page_epoch.mem;

	if (!v || gfn >= v->page_limit)
		return 0;
	return __atomic_load_n(&pe[v->page_base + gfn], __ATOMIC_RELAXED);
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
	uint64_t sum[PRECOPY_STAT__COUNT] = { 0 };
	uint64_t *vals;
	__u32 key;
	int fd = bpf_map__fd(t->skel->maps.stats), cpu, h;

	vals = calloc(t->ncpus, sizeof(uint64_t));
	if (!vals)
		return -ENOMEM;
	for (key = 0; key < PRECOPY_STAT__COUNT; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			int ret = -errno;

			free(vals);
			return ret;
		}
		for (cpu = 0; cpu < t->ncpus; cpu++)
			sum[key] += vals[cpu];
	}
	free(vals);
	memset(out, 0, sizeof(*out));
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		out->events[h] = sum[PRECOPY_STAT_EVENTS + h];
	out->new_dirty = sum[PRECOPY_STAT_NEW_DIRTY];
	out->unknown_slot = sum[PRECOPY_STAT_UNKNOWN_SLOT];
	out->out_of_range = sum[PRECOPY_STAT_OUT_OF_RANGE];
	out->not_write = sum[PRECOPY_STAT_NOT_WRITE];
	out->not_fixed = sum[PRECOPY_STAT_NOT_FIXED];
	out->rb_sampled = sum[PRECOPY_STAT_RB_SAMPLED];
	out->rb_dropped = sum[PRECOPY_STAT_RB_DROPPED];
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
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	if ((unsigned int)hook >= PRECOPY_HOOK__COUNT ||
	    !(t->hooks & TRACKER_HOOK_BIT(hook)))
		return -ENOENT;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(
		    bpf_program__fd(hook_prog(t->skel, hook, t->variant[hook])),
		    &info, &len))
		return -errno;
	*run_ns = info.run_time_ns;
	*run_cnt = info.run_cnt;
	return 0;
}

int tracker__mark_dirty(struct tracker *t, int vm, uint64_t gfn)
{
	const struct tracker_vm *v = get_vm(t, vm);
	uint32_t ep;
	uint64_t page, bit, old;

	if (!v)
		return -ENOENT;
	if (gfn >= v->page_limit)
		return -ERANGE;
	page = v->page_base + gfn;
	/* User space runs no BPF program; a harvest running concurrently is
	 * excluded by the one-thread rule of this API. */
	ep = __atomic_load_n(&t->skel->bss->epoch, __ATOMIC_ACQUIRE);
	bit = 1ull << (page & 63);
	old = __atomic_fetch_or(&buf_words(t, ep & 1)[page / 64], bit,
				__ATOMIC_RELAXED);
	if (!(old & bit)) {
		__atomic_fetch_add(&buf_regions(t, ep & 1)
					    [page / PRECOPY_REGION_PAGES], 1,
				   __ATOMIC_RELAXED);
		__atomic_store_n(&((uint32_t *)t->page_epoch.mem)[page], ep + 1,
				 __ATOMIC_RELAXED);
	}
	return 0;
}

int tracker__poll_events(struct tracker *t, tracker_event_fn fn, void *ctx,
			 int timeout_ms)
{
	int ret;

	t->event_fn = fn;
	t->event_ctx = ctx;
	ret = ring_buffer__poll(t->rb, timeout_ms);
	t->event_fn = NULL;
	return ret;
}
