// SPDX-License-Identifier: GPL-2.0
/* tracker_hooks.c - the KVM dirty tracker's hooks: names, forms, probing,
 * choice and description (see tracker_hooks.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "util/bpf_util.h"
#include "util/errmsg.h"
#include "tracker_hooks.h"
#include "tracker.skel.h"

static const char *const hook_names[PRECOPY_HOOK__COUNT] = {
	[PRECOPY_HOOK_RING_PUSH] = "ring_push",
	[PRECOPY_HOOK_PAGE_FAULT] = "page_fault",
	[PRECOPY_HOOK_FAST_PF] = "fast_pf",
	[PRECOPY_HOOK_FENTRY] = "fentry",
	[PRECOPY_HOOK_KPROBE] = "kprobe",
};

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

/* The forms a hook can take, best first; each is a program in the
 * object. None needs tracefs: kvm_dirty_ring_push prefers the BTF raw
 * tracepoint and falls back to the raw tracepoint; the fault hooks are
 * BTF raw tracepoints. */
static const char *const variant_names[PRECOPY_HOOK__COUNT][TRACKER_HOOK_VARIANTS] = {
	[PRECOPY_HOOK_RING_PUSH] = { "tp_btf", "raw_tp" },
	[PRECOPY_HOOK_PAGE_FAULT] = { "tp_btf" },
	[PRECOPY_HOOK_FAST_PF] = { "tp_btf" },
	[PRECOPY_HOOK_FENTRY] = { "fentry" },
	[PRECOPY_HOOK_KPROBE] = { "kprobe" },
};

/* The program of variant v of hook, or NULL if there is no such variant. */
struct bpf_program *tracker_hooks__prog(struct tracker_bpf *skel, int hook,
				     int v)
{
	switch (hook * TRACKER_HOOK_VARIANTS + v) {
	case PRECOPY_HOOK_RING_PUSH * TRACKER_HOOK_VARIANTS:
		return skel->progs.handle_ring_push_btf;
	case PRECOPY_HOOK_RING_PUSH * TRACKER_HOOK_VARIANTS + 1:
		return skel->progs.handle_ring_push_raw;
	case PRECOPY_HOOK_PAGE_FAULT * TRACKER_HOOK_VARIANTS:
		return skel->progs.handle_page_fault;
	case PRECOPY_HOOK_FAST_PF * TRACKER_HOOK_VARIANTS:
		return skel->progs.handle_fast_pf;
	case PRECOPY_HOOK_FENTRY * TRACKER_HOOK_VARIANTS:
		return skel->progs.handle_fentry;
	case PRECOPY_HOOK_KPROBE * TRACKER_HOOK_VARIANTS:
		return skel->progs.handle_kprobe;
	}
	return NULL;
}

/* Look up an enumerator by name in one BTF. RET_PF_FIXED lives in an
 * anonymous enum, out of CO-RE's reach. */
static int btf_enumerator(const struct btf *btf, const char *name,
			  long long *val)
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

/* The number of arguments of tracepoint `name` (without the leading
 * void *), from its btf_trace_NAME typedef; -1 if there is none. */
static int btf_tracepoint_args(const struct btf *btf, const char *name)
{
	const struct btf_type *t;
	char tname[128];
	int id;

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;  /* pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

/* What the programs must know of this kernel, read from vmlinux BTF and
 * kvm's module BTF once. */
static struct {
	bool done;
	int ret_pf_fixed;
	bool pf_has_vcpu;
} kernel;

static void read_kernel(void)
{
	struct btf *vmlinux, *kvm = NULL;
	long long fixed = -1;
	int n = -1;

	if (kernel.done)
		return;
	kernel.done = true;
	kernel.ret_pf_fixed = -1;
	kernel.pf_has_vcpu = true;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return;
	if (btf_enumerator(vmlinux, "RET_PF_FIXED", &fixed) ||
	    (n = btf_tracepoint_args(vmlinux, "kvm_page_fault")) < 0) {
		kvm = btf__load_module_btf("kvm", vmlinux);
		if (kvm && fixed < 0)
			btf_enumerator(kvm, "RET_PF_FIXED", &fixed);
		if (kvm && n < 0)
			n = btf_tracepoint_args(kvm, "kvm_page_fault");
	}
	kernel.ret_pf_fixed = (int)fixed;
	if (n == 2)
		kernel.pf_has_vcpu = false;
	btf__free(kvm);
	btf__free(vmlinux);
}

void tracker_hooks__setup(struct tracker_bpf *skel)
{
	read_kernel();
	skel->rodata->ret_pf_fixed = kernel.ret_pf_fixed;
	skel->rodata->pf_has_vcpu = kernel.pf_has_vcpu;
}

/* Load only variant variant[h] of each hook h in mask. */
void tracker_hooks__set_autoload(struct tracker_bpf *skel, unsigned int mask,
			 const int variant[PRECOPY_HOOK__COUNT])
{
	int h, v;

	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		for (v = 0; v < TRACKER_HOOK_VARIANTS; v++)
			if (tracker_hooks__prog(skel, h, v))
				bpf_program__set_autoload(
					tracker_hooks__prog(skel, h, v),
					(mask & TRACKER_HOOK_BIT(h)) &&
						variant[h] == v);
}

/* Why hook h is unavailable, from the errno of its first form. */
static void probe_reason(char why[TRACKER_WHY_LEN], int h, int err)
{
	bool function = h == PRECOPY_HOOK_FENTRY || h == PRECOPY_HOOK_KPROBE;

	snprintf(why, TRACKER_WHY_LEN, "%s%s", bpf_util__why(err, function),
		 !function && (err == ENOENT || err == ESRCH) ?
		 " (kvm not loaded?)" : "");
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
	bpf_map__set_max_entries(skel->maps.inflight, 1);
	variant[h] = v;
	tracker_hooks__setup(skel);
	tracker_hooks__set_autoload(skel, TRACKER_HOOK_BIT(h), variant);
	err = -tracker_bpf__load(skel);
	if (!err) {
		link = bpf_program__attach(tracker_hooks__prog(skel, h, v));
		if (!link)
			err = errno ? errno : EINVAL;
	}
	bpf_link__destroy(link);
	tracker_bpf__destroy(skel);
	return err;
}

/* Probe every hook; variant[h] gets the first variant that works. */
unsigned int tracker_hooks__probe(char why[PRECOPY_HOOK__COUNT][TRACKER_WHY_LEN],
				int variant[PRECOPY_HOOK__COUNT])
{
	unsigned int ok = 0;
	int h, v;

	bpf_util__log_quiet(true);
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++) {
		int err = ENOENT, first_err = 0;

		for (v = 0; v < TRACKER_HOOK_VARIANTS && variant_names[h][v]; v++) {
			err = probe_variant(h, v);
			if (!err)
				break;
			if (!first_err)
				first_err = err;
		}
		if (why && err)
			probe_reason(why[h], h, first_err);
		else if (why)
			snprintf(why[h], TRACKER_WHY_LEN, "ok");
		if (!err) {
			ok |= TRACKER_HOOK_BIT(h);
			variant[h] = v;
		}
	}
	bpf_util__log_quiet(false);
	return ok;
}

unsigned int tracker__probe(char why[PRECOPY_HOOK__COUNT][TRACKER_WHY_LEN])
{
	int variant[PRECOPY_HOOK__COUNT] = { 0 };

	return tracker_hooks__probe(why, variant);
}

unsigned int tracker_hooks__choose(unsigned int avail)
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

/* Append to buf (cap bytes) at *n, never past the end. */
__attribute__((format(printf, 4, 5)))
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += k;
}

void tracker_hooks__describe(char *buf, size_t cap, unsigned int used,
			     const int variant[PRECOPY_HOOK__COUNT],
			     unsigned int avail,
			     char why[PRECOPY_HOOK__COUNT][TRACKER_WHY_LEN])
{
	const char *sep = "";
	size_t n = 0;
	int h;

	append(buf, cap, &n, "hooks: using");
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		if (used & TRACKER_HOOK_BIT(h)) {
			append(buf, cap, &n, "%s %s", sep, hook_names[h]);
			if (variant_names[h][1])
				append(buf, cap, &n, " (%s)",
				       variant_names[h][variant[h]]);
			sep = ",";
		}
	sep = "; unavailable:";
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		if (!(avail & TRACKER_HOOK_BIT(h))) {
			append(buf, cap, &n, "%s %s (%s)", sep, hook_names[h],
			       why[h]);
			sep = ",";
		}
}
