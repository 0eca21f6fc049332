/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracker_hooks.h - the kernel hooks the KVM dirty tracker (tracker.h) can
 * attach to: their names, the forms each can take (a BTF raw tracepoint or
 * a classic one...), probing each alone on the running kernel with the
 * reason it is unavailable, the automatic choice among those that work,
 * and the line that tells the user which hooks are in use.
 *
 * The first three functions are public (tracker.h includes this header);
 * the tracker_hooks__ functions below them serve tracker.c.
 */
#ifndef PRECOPY_TRACKER_HOOKS_H
#define PRECOPY_TRACKER_HOOKS_H

#include <stddef.h>

#include "tracker_common.h"

#define TRACKER_HOOK_BIT(h) (1u << (h))
#define TRACKER_HOOKS_ALL ((1u << PRECOPY_HOOK__COUNT) - 1)
#define TRACKER_HOOK_VARIANTS 2 /* forms of a hook, best first */
#define TRACKER_WHY_LEN 96      /* bytes of a reason */

/* precopy_hook__name() returns a hook's short name, e.g. "ring_push";
 * "?" for an invalid hook. Cannot fail. */
const char *precopy_hook__name(enum precopy_hook hook);

/*
 * tracker_hooks__parse() parses a comma-separated list of hook names
 * ("ring_push,page_fault,fast_pf,fentry,kprobe", or "auto") into a mask
 * (0 for auto). Returns 0, or -EINVAL naming the bad word in err.
 */
int tracker_hooks__parse(const char *list, unsigned int *mask, char *err,
			 size_t errlen);

/*
 * tracker__probe() tries each hook on this kernel: load and attach alone.
 * Returns the mask of hooks that work; per hook, why[h] (if not NULL) gets
 * "ok" or the reason it failed. Needs CAP_BPF/CAP_PERFMON (root); without
 * privileges every hook fails with the reason. Cannot fail otherwise.
 */
unsigned int tracker__probe(char why[PRECOPY_HOOK__COUNT][TRACKER_WHY_LEN]);

struct tracker_bpf;
struct bpf_program;

/* tracker_hooks__probe() is tracker__probe() that also stores in
 * variant[h] the first form of each working hook h. Cannot fail. */
unsigned int tracker_hooks__probe(char why[PRECOPY_HOOK__COUNT][TRACKER_WHY_LEN],
				  int variant[PRECOPY_HOOK__COUNT]);

/* tracker_hooks__choose() picks the hooks to use among `avail`: fentry,
 * else kprobe, else every tracepoint that works. Cannot fail. */
unsigned int tracker_hooks__choose(unsigned int avail);

/* tracker_hooks__prog() returns the program of form `variant` of `hook`
 * in skel, or NULL if the hook has no such form. Cannot fail. */
struct bpf_program *tracker_hooks__prog(struct tracker_bpf *skel, int hook,
					int variant);

/* tracker_hooks__set_autoload() makes skel load form variant[h] of each
 * hook h in mask, and no other program. Cannot fail. */
void tracker_hooks__set_autoload(struct tracker_bpf *skel, unsigned int mask,
				 const int variant[PRECOPY_HOOK__COUNT]);

/*
 * tracker_hooks__describe() writes into buf (len bytes, truncated) the
 * line "hooks: using ring_push (tp_btf); unavailable: fentry (reason),
 * ..." for the hooks `used` in their forms `variant`, and the hooks not in
 * `avail` with why[h]. Cannot fail.
 */
void tracker_hooks__describe(char *buf, size_t len, unsigned int used,
			     const int variant[PRECOPY_HOOK__COUNT],
			     unsigned int avail,
			     char why[PRECOPY_HOOK__COUNT][TRACKER_WHY_LEN]);

/*
 * tracker_hooks__setup() sets what skel's programs must know of this
 * kernel before load, read once from vmlinux or kvm module BTF: the
 * kernel's RET_PF_FIXED (what kvmmmu:fast_page_fault reports for a fixed
 * fault; -1 if unknown) and which arguments kvm:kvm_page_fault has.
 * Cannot fail: what cannot be read keeps the default.
 */
void tracker_hooks__setup(struct tracker_bpf *skel);

#endif /* PRECOPY_TRACKER_HOOKS_H */
