// SPDX-License-Identifier: GPL-2.0
/* bpf_util.c - libbpf steps shared by the loaders (see bpf_util.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_util.h"

static bool log_verbose, log_quiet;

static int log_print(enum libbpf_print_level level, const char *fmt,
		     va_list ap)
{
	if (!log_verbose && (level == LIBBPF_DEBUG || log_quiet))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void bpf_util__log(bool verbose)
{
	log_verbose = verbose;
	libbpf_set_print(log_print);
}

void bpf_util__log_quiet(bool quiet)
{
	log_quiet = quiet;
	libbpf_set_print(log_print);
}

const char *bpf_util__why(int err, bool function)
{
	switch (err) {
	case EPERM:
		return function ? "refused by the kernel (EPERM)"
				: "no permission (EPERM; needs CAP_BPF and "
				  "CAP_PERFMON)";
	case EACCES:
		return "rejected by the verifier (EACCES)";
	case ENOENT:
	case ESRCH:
		return function ? "function or kprobe support not found"
				: "tracepoint not found";
	case EOPNOTSUPP:
		return "not supported by this kernel";
	case EINVAL:
		return "rejected by the verifier or kernel (EINVAL)";
	}
	return strerror(err);
}

int bpf_util__mmap(struct bpf_map *map, struct bpf_util_mmap *out)
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

void bpf_util__munmap(struct bpf_util_mmap *m)
{
	if (m->mem)
		munmap(m->mem, m->len);
	m->mem = NULL;
}

int bpf_util__sum_percpu(int map_fd, unsigned int nkeys, int ncpus,
			 uint64_t *sum)
{
	uint64_t *vals = calloc(ncpus, sizeof(uint64_t));
	unsigned int key;
	int cpu, ret = 0;

	if (!vals)
		return -ENOMEM;
	for (key = 0; key < nkeys; key++) {
		sum[key] = 0;
		if (bpf_map_lookup_elem(map_fd, &key, vals)) {
			ret = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpus; cpu++)
			sum[key] += vals[cpu];
	}
	free(vals);
	return ret;
}

int bpf_util__prog_stats(const struct bpf_program *prog, uint64_t *run_ns,
			 uint64_t *run_cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return -errno;
	*run_ns += info.run_time_ns;
	*run_cnt += info.run_cnt;
	return 0;
}
