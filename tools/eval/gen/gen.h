/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gen.h - one generated trace: draw its parameters from (family, seed),
 * then write it.
 *
 * Common parameters, drawn for every family before its own:
 *   ram_mib       log-uniform 256 .. 4096 MiB, rounded down to 16 MiB
 *   length_s      integer, uniform 30 .. 120 s
 *   vcpus         integer, uniform 1 .. 16
 *   percpu_pages  integer, uniform 2 .. 8 (per-CPU pages a tick writes)
 *   kernel_mibps  log-uniform 0.02 .. 1 MiB/s (random kernel writes)
 * Epochs are 100 ms; every epoch has its marker, the trace its END.
 *
 * Determinism: the parameters come from a stream keyed by (family name,
 * seed), the writes from a second one; nothing else (time, pid, address)
 * enters. Same family, seed and CATALOG_VERSION: same bytes.
 */
#ifndef EVALGEN_GEN_H
#define EVALGEN_GEN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "family.h"

enum { G_RAM, G_LEN, G_VCPUS, G_PERCPU, G_KERNEL, G_NR };
#define GEN_PARAMS_MAX 16
#define GEN_EPOCH_US 100000ULL

extern const struct param_spec gen_common_params[G_NR];

struct gen_spec {
	const struct family *fam;
	uint64_t seed;
	double common[G_NR];
	double v[GEN_PARAMS_MAX];	/* the family's, fam->nr_params */
};

/* Draw every parameter of (fam, seed). Can't fail. */
void gen__draw(const struct family *fam, uint64_t seed,
	       struct gen_spec *s);

/* Guest pages of s. */
uint64_t gen__pages(const struct gen_spec *s);

/* Print "NAME VALUE LO HI UNIT" lines, common parameters first. */
void gen__print_params(FILE *f, const struct gen_spec *s);

/*
 * Write the trace of s to path (native format, through trace_writer: a
 * temporary file renamed over path at the end). Stops early, discarding
 * the file, once *stop becomes non-zero. Returns 0, -EINTR if stopped,
 * or a negative errno with a message in err.
 */
int gen__write(const struct gen_spec *s, const char *path,
	       volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif /* EVALGEN_GEN_H */
