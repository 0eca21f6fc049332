// SPDX-License-Identifier: GPL-2.0
/*
 * gen.c - drawing and writing one generated trace (gen.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "background.h"
#include "catalog.h"
#include "gen.h"
#include "tracefile/trace.h"

const struct param_spec gen_common_params[G_NR] = {
	[G_RAM] = { "ram_mib", "MiB", PK_LOG, 256, 4096,
		    "guest RAM (a multiple of 16 MiB)" },
	[G_LEN] = { "length_s", "s", PK_INT, 30, 120, "trace length" },
	[G_VCPUS] = { "vcpus", "", PK_INT, 1, 16, "vCPUs" },
	[G_PERCPU] = { "percpu_pages", "pages", PK_INT, 2, 8,
		       "per-CPU pages each timer tick writes" },
	[G_KERNEL] = { "kernel_mibps", "MiB/s", PK_LOG, 0.02, 1,
		       "random kernel writes over the whole guest" },
};

/* FNV-1a: a stable key from the family's name. */
static uint64_t name_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

void gen__draw(const struct family *fam, uint64_t seed, struct gen_spec *s)
{
	struct rng r;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->fam = fam;
	s->seed = seed;
	rng__seed(&r, name_key(fam->name), 2 * seed);
	for (i = 0; i < G_NR; i++)
		s->common[i] = param__draw(&gen_common_params[i], &r);
	s->common[G_RAM] = floor(s->common[G_RAM] / 16) * 16;
	s->common[G_LEN] = floor(s->common[G_LEN]);
	for (i = 0; i < fam->nr_params && i < GEN_PARAMS_MAX; i++)
		s->v[i] = param__draw(&fam->params[i], &r);
}

uint64_t gen__pages(const struct gen_spec *s)
{
	return MIB_TO_PAGES(s->common[G_RAM]);
}

static void print_one(FILE *f, const struct param_spec *p, double v)
{
	fprintf(f, "%s %.6g %.6g %.6g %s\n", p->name, v, p->lo, p->hi,
		*p->unit ? p->unit : "-");
}

void gen__print_params(FILE *f, const struct gen_spec *s)
{
	unsigned int i;

	for (i = 0; i < G_NR; i++)
		print_one(f, &gen_common_params[i], s->common[i]);
	for (i = 0; i < s->fam->nr_params; i++)
		print_one(f, &s->fam->params[i], s->v[i]);
}

static int set_meta(struct trace_header *h, const char *k, const char *fmt,
		    double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), fmt, v);
	return trace_header__set(h, k, buf);
}

static int header(const struct gen_spec *s, struct trace_header *h)
{
	char buf[64];
	unsigned int i;
	int err;

	err = trace_header__init(h, 4096, gen__pages(s));
	err = err ?: trace_header__set(h, "generator", "precopy eval-gen");
	err = err ?: set_meta(h, "gen_version", "%.0f", CATALOG_VERSION);
	err = err ?: trace_header__set(h, "family", s->fam->name);
	err = err ?: set_meta(h, "seed", "%.0f", (double)s->seed);
	err = err ?: trace_header__set(h, "split", catalog__split_name(
					       catalog__split(s->seed)));
	err = err ?: set_meta(h, "epoch_us", "%.0f", GEN_EPOCH_US);
	snprintf(buf, sizeof(buf), "%s-%llu", s->fam->name,
		 (unsigned long long)s->seed);
	err = err ?: trace_header__set(h, "workload", buf);
	for (i = 0; !err && i < G_NR; i++)
		err = set_meta(h, gen_common_params[i].name, "%.6g",
			       s->common[i]);
	for (i = 0; !err && i < s->fam->nr_params; i++)
		err = set_meta(h, s->fam->params[i].name, "%.6g", s->v[i]);
	return err;
}

int gen__write(const struct gen_spec *s, const char *path,
	       volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	const struct family *fam = s->fam;
	uint64_t pages = gen__pages(s), e, epochs;
	struct trace_header hdr;
	struct trace_writer *w = NULL;
	struct background bg;
	struct layout lay;
	struct ebuf b;
	struct rng r;
	void *st = NULL;
	int ret;

	ebuf__init(&b, pages, GEN_EPOCH_US);
	ret = header(s, &hdr);
	if (ret) {
		snprintf(err, errlen, "bad trace header: %s", strerror(-ret));
		goto cleanup;
	}
	st = calloc(1, fam->state_size);
	if (!st) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	rng__seed(&r, name_key(fam->name), 2 * s->seed + 1);
	lay = (struct layout){ .pages = pages, .base = LAYOUT_KERNEL_PAGES,
			       .avail = pages - LAYOUT_KERNEL_PAGES,
			       .length_s = s->common[G_LEN] };
	background__init(&bg, (unsigned int)s->common[G_VCPUS],
			 (unsigned int)s->common[G_PERCPU],
			 s->common[G_KERNEL], pages, rng__u64(&r));
	ret = fam->init(st, s->v, &lay, &r);
	if (ret) {
		snprintf(err, errlen, "%s: %s", fam->name, strerror(-ret));
		goto cleanup;
	}
	w = trace_writer__open(path, TRACE_FMT_NATIVE, &hdr);
	if (!w) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	epochs = (uint64_t)s->common[G_LEN] * 1000000 / GEN_EPOCH_US;
	for (e = 0; e < epochs; e++) {
		if (*stop) {
			ret = -EINTR;
			snprintf(err, errlen, "interrupted");
			goto cleanup;
		}
		ebuf__start(&b, e * GEN_EPOCH_US);
		background__epoch(&bg, &b, &r);
		fam->epoch(st, &b, &r);
		ret = ebuf__flush(&b, w);
		if (ret == -ERANGE) {
			snprintf(err, errlen, "%s: bug: page %llu is outside "
				 "the guest (%llu pages)", fam->name,
				 (unsigned long long)b.bad_page,
				 (unsigned long long)pages);
			goto cleanup;
		}
		if (ret) {
			snprintf(err, errlen, "%s: %s", path,
				 trace_writer__error(w)[0] ?
				 trace_writer__error(w) : strerror(-ret));
			goto cleanup;
		}
	}
	ret = trace_writer__mark_end(w, epochs * GEN_EPOCH_US);
	if (!ret) {
		ret = trace_writer__close(w);
		w = NULL;
		if (ret)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	}
cleanup:
	trace_writer__discard(w);
	if (st && fam->fini)
		fam->fini(st);
	free(st);
	ebuf__free(&b);
	return ret;
}
