/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf_util.h - the small libbpf steps every BPF loader of libprecopy takes
 * the same way (as bcc's trace_helpers and map_helpers): libbpf's log,
 * mapping a BPF_F_MMAPABLE map, summing a per-CPU counter map, and reading
 * a program's run-time statistics.
 */
#ifndef PRECOPY_BPF_UTIL_H
#define PRECOPY_BPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_map;
struct bpf_program;

/*
 * bpf_util__log() routes libbpf's messages to stderr: warnings and errors
 * always, debug output only if verbose. Cannot fail.
 */
void bpf_util__log(bool verbose);

/*
 * bpf_util__log_quiet() silences even libbpf's warnings while quiet is
 * true, for probes that expect failures and report them themselves; debug
 * output asked for with bpf_util__log(true) still goes through. Cannot
 * fail.
 */
void bpf_util__log_quiet(bool quiet);

/*
 * bpf_util__why() says in a few words why loading or attaching a program
 * failed with errno err (positive): no permission, the hook missing,
 * rejected by the verifier... `function` says the hook is a kernel
 * function (fentry, kprobe), which a kernel may refuse with EPERM even to
 * root, rather than a tracepoint. The string is static. Cannot fail.
 */
const char *bpf_util__why(int err, bool function);

/* A BPF_F_MMAPABLE array map mapped into this process. */
struct bpf_util_mmap {
	void *mem;  /* NULL when not mapped */
	size_t len;
};

/*
 * bpf_util__mmap() maps all of a loaded BPF_F_MMAPABLE array map, read
 * and write, shared with the BPF programs. Returns 0 or -errno of mmap().
 */
int bpf_util__mmap(struct bpf_map *map, struct bpf_util_mmap *out);

/* bpf_util__munmap() unmaps; an unmapped one is a no-op. Cannot fail. */
void bpf_util__munmap(struct bpf_util_mmap *m);

/*
 * bpf_util__sum_percpu() reads keys 0..nkeys-1 of a BPF_MAP_TYPE_PERCPU_ARRAY
 * map of u64 values and stores in sum[k] the total of key k over ncpus
 * CPUs. Returns 0, -ENOMEM, or the -errno of a lookup (sum then partial).
 */
int bpf_util__sum_percpu(int map_fd, unsigned int nkeys, int ncpus,
			 uint64_t *sum);

/*
 * bpf_util__prog_stats() adds the kernel's run-time statistics of a loaded
 * program to *run_ns and *run_cnt (counted only while BPF statistics are
 * enabled, e.g. with bpf_enable_stats(BPF_STATS_RUN_TIME)). Returns 0 or
 * the -errno of the query.
 */
int bpf_util__prog_stats(const struct bpf_program *prog, uint64_t *run_ns,
			 uint64_t *run_cnt);

#endif /* PRECOPY_BPF_UTIL_H */
