// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_plan_ring.c - libFuzzer target for what QEMU's side of the plan
 * ring (plan_ring.c) reads from a file another process writes. Each input
 * is read two ways:
 *
 *  - as a ring: its first bytes a struct plan_ring_hdr for
 *    plan_ring_check(); a header it accepts must describe sections that
 *    lie inside file_size. Then (for rings up to 4 MiB) a ring is built
 *    from that header with the rest of the input as the newest plan slot,
 *    and plan_ring_take() must either reject it or return a plan that
 *    plan_ring_plan_check() accepts, without reading out of bounds;
 *  - as a plan: a struct plan_ring_plan and its ranges (as many as the
 *    input holds), for guest RAM of reserved[0] pages, for
 *    plan_ring_plan_check(); an accepted plan must have every range inside
 *    RAM and disjoint ascending deferred ranges, and plan_ring_deferred_end()
 *    must agree with a linear scan. An accepted plan is then executed
 *    (plan_exec_*) over a dirty set drawn from reserved[2]: every page it
 *    gives must be dirty, in the send order or not deferred, and the walk
 *    must end.
 *
 * Built with -DPLAN_RING_SEEDS it is instead a program that writes the
 * seeds (a valid ring with one plan, a valid plan) into the directory
 * given: tests/fuzz/corpus/plan_ring/ was made so.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/plan_ring.h"

#define RING_LIMIT (4u << 20)

static uint64_t scan_deferred_end(const struct plan_ring_plan *p, uint64_t pg)
{
	const struct plan_ring_range *d = p->ranges + p->nr_send;
	uint64_t i;

	for (i = 0; i < p->nr_deferred; i++)
		if (pg >= d[i].start && pg - d[i].start < d[i].len)
			return d[i].start + d[i].len;
	return pg;
}

static void check_accepted_plan(const struct plan_ring_plan *p,
				uint64_t ram_pages)
{
	const struct plan_ring_range *r = p->ranges;
	uint64_t i, n = p->nr_send + p->nr_deferred;

	for (i = 0; i < n; i++)
		if (!r[i].len || r[i].start >= ram_pages ||
		    r[i].len > ram_pages - r[i].start)
			abort();
	r += p->nr_send;
	for (i = 1; i < p->nr_deferred; i++)
		if (r[i].start < r[i - 1].start + r[i - 1].len)
			abort();
	for (i = 0; i < p->nr_deferred; i++) {
		uint64_t probe[4] = { r[i].start, r[i].start + r[i].len - 1,
				      r[i].start + r[i].len, r[i].start - 1 };
		unsigned int k;

		for (k = 0; k < 4; k++)
			if (plan_ring_deferred_end(p, probe[k]) !=
			    scan_deferred_end(p, probe[k]))
				abort();
	}
	if (plan_ring_deferred_end(p, p->reserved[1]) !=
	    scan_deferred_end(p, p->reserved[1]))
		abort();
}

/* The dirty set of exec_plan: page q is dirty when (q * m) >> 7 & 1,
 * m odd from the input; found arithmetic-free by a bounded scan. */
struct dirty_set {
	uint64_t m;
	uint64_t sent[64];	/* pages sent, cleaned (small set) */
	unsigned int nsent;
};

static bool set_dirty_at(const struct dirty_set *d, uint64_t q)
{
	unsigned int i;

	for (i = 0; i < d->nsent; i++)
		if (d->sent[i] == q)
			return false;
	return (q * d->m) >> 7 & 1;
}

static uint64_t fuzz_dirty(void *opaque, uint64_t from, uint64_t end)
{
	const struct dirty_set *d = opaque;
	unsigned int k;

	for (k = 0; from < end && k < 256; from++, k++)
		if (set_dirty_at(d, from))
			return from;
	return end;	/* a bounded scan: the rest counts as clean */
}

static bool in_send(const struct plan_ring_plan *p, uint64_t q)
{
	uint64_t i;

	for (i = 0; i < p->nr_send; i++)
		if (q >= p->ranges[i].start && q - p->ranges[i].start <
		    p->ranges[i].len)
			return true;
	return false;
}

/* Execute an accepted plan for up to 64 pages and check what it gives. */
static void exec_plan(const struct plan_ring_plan *p, uint64_t ram_pages)
{
	struct dirty_set d = { .m = p->reserved[2] | 1 };
	struct plan_exec e;
	uint64_t q, from = 0;
	bool order = true;

	plan_exec_init(&e, true);
	plan_exec_begin(&e, 1, 1);
	plan_exec_adopt(&e, p);
	if ((p->action == PLAN_ACT_STOP) != plan_exec_done(&e))
		abort();
	while (d.nsent < 64 && !plan_exec_done(&e)) {
		if (order && plan_exec_next(&e, fuzz_dirty, &d, &q)) {
			if (!in_send(p, q) || !set_dirty_at(&d, q))
				abort();
		} else {
			order = false;
			q = plan_exec_undeferred(&e, fuzz_dirty, &d, from,
						 ram_pages);
			if (q >= ram_pages) {
				if (!plan_exec_exhausted(&e))
					from = 0;
				continue;
			}
			if (!set_dirty_at(&d, q) || q < from ||
			    (plan_exec_deferring(&e) &&
			     scan_deferred_end(p, q) != q))
				abort();
			from = q + 1;
		}
		d.sent[d.nsent++] = q;
		plan_exec_sent(&e, 1);
		if (p->window && e.sent > p->window)
			abort();
	}
}

/* Returns 1 when the ring's plan was taken. */
static int fuzz_ring(const uint8_t *data, size_t size)
{
	int taken = 0;
	struct plan_ring_hdr h;
	struct plan_ring r;
	const char *why = NULL;
	char *buf;
	size_t rest;
	uint64_t head;

	if (plan_ring_check(data, size, &why)) {
		if (!why)
			abort();
		return 0;
	}
	memcpy(&h, data, sizeof(h));
	if (h.layout_off < sizeof(h) || h.ev_off <= h.layout_off ||
	    h.sync_off <= h.ev_off || h.epoch_off <= h.sync_off ||
	    h.plan_off <= h.epoch_off ||
	    h.plan_off + (uint64_t)h.plan_slots * h.plan_slot_size >
	    h.file_size || h.file_size > size)
		abort();
	/* a ring around the header, the rest of the input its newest plan */
	if (h.file_size > RING_LIMIT)
		return 0;
	buf = aligned_alloc(PLAN_RING_ALIGN, h.file_size);
	if (!buf)
		return 0;
	memset(buf, 0, h.file_size);
	memcpy(buf, data, sizeof(h));
	memset(&r, 0, sizeof(r));
	r.hdr = (struct plan_ring_hdr *)buf;
	r.size = h.file_size;
	r.fd = -1;
	r.generation = h.qemu_generation;
	r.ram_pages = h.reserved[0] % (h.max_pages + 1);
	/* as plan_ring_open() would: the current plan and the one checked */
	r.plan = malloc(h.plan_slot_size);
	r.spare = malloc(h.plan_slot_size);
	if (!r.plan || !r.spare)
		goto out;
	head = atomic_load(&r.hdr->plan_head);
	rest = size - sizeof(h);
	if (rest > h.plan_slot_size)
		rest = h.plan_slot_size;
	memcpy(plan_ring_slot(r.hdr, head - 1), data + sizeof(h), rest);
	if (atomic_load(&r.hdr->planner_heartbeat_ns))
		atomic_store(&r.hdr->planner_heartbeat_ns, plan_ring_now_ns());
	if (plan_ring_take(&r, plan_ring_slot(r.hdr, head - 1)->iteration,
			   &why) == PLAN_TAKE_OK) {
		if (plan_ring_plan_check(r.plan, r.ram_pages, h.max_ranges,
					 NULL))
			abort();
		check_accepted_plan(r.plan, r.ram_pages);
		exec_plan(r.plan, r.ram_pages);
		taken = 1;
	}
out:
	free(r.plan);
	free(r.spare);
	free(buf);
	return taken;
}

/* Returns 1 when the plan was accepted. */
static int fuzz_plan(const uint8_t *data, size_t size)
{
	struct plan_ring_plan *p;
	uint64_t ram_pages, max_ranges;
	const char *why = NULL;
	int ok = 0;

	if (size < sizeof(*p))
		return 0;
	p = malloc(size);
	if (!p)
		return 0;
	memcpy(p, data, size);
	ram_pages = p->reserved[0] ? p->reserved[0] : 1ULL << 20;
	max_ranges = (size - sizeof(*p)) / sizeof(struct plan_ring_range);
	if (!plan_ring_plan_check(p, ram_pages, max_ranges, &why)) {
		check_accepted_plan(p, ram_pages);
		exec_plan(p, ram_pages);
		ok = 1;
	} else if (!why) {
		abort();
	}
	free(p);
	return ok;
}

#ifndef PLAN_RING_SEEDS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ring(data, size);
	fuzz_plan(data, size);
	return 0;
}
#else
/* A valid plan: send (10,3) (5,2), deferred (200,4) (300,1), for 4096
 * pages (reserved[0]). */
static size_t seed_plan(struct plan_ring_plan *p)
{
	static const struct plan_ring_range rr[] = {
		{ 10, 3 }, { 5, 2 }, { 200, 4 }, { 300, 1 },
	};

	memset(p, 0, sizeof(*p));
	p->id = 1;
	p->generation = 1;
	p->iteration = 3;
	p->window = 5;
	p->nr_send = 2;
	p->nr_deferred = 2;
	p->send_pages = 5;
	p->deferred_pages = 5;
	p->reserved[0] = 4096;
	p->reserved[1] = 201;
	p->reserved[2] = 0x9e3779b97f4a7c15ULL;
	memcpy(p->ranges, rr, sizeof(rr));
	p->checksum = plan_ring_checksum(p);
	return sizeof(*p) + sizeof(rr);
}

static int write_file(const char *dir, const char *name, const void *b,
		      size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	static union {
		struct plan_ring_plan p;
		char b[4096];
	} plan;
	static char ring[sizeof(struct plan_ring_hdr) + 4096];
	struct plan_ring_hdr h;
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	n = seed_plan(&plan.p);
	if (!fuzz_plan((const uint8_t *)&plan, n)) {
		fprintf(stderr, "the plan seed is not accepted\n");
		return 1;
	}
	if (write_file(argv[1], "valid-plan", &plan, n))
		return 1;
	/* a ring of 4096 pages, 16 ranges, 2 slots; QEMU generation 1,
	 * one plan published; the file size is the input's, so the header's
	 * file_size must fit: the seed is padded to it below */
	if (plan_ring_layout_sizes(&h, 4096, 16, 2, 4, 4, 4096))
		return 1;
	h.qemu_generation = 1;
	h.plan_head = 1;
	h.planner_heartbeat_ns = 1;
	h.reserved[0] = 4096;	/* the ring's ram_pages for the harness */
	memcpy(ring, &h, sizeof(h));
	memcpy(ring + sizeof(h), &plan, n);
	{
		char *full = calloc(1, h.file_size);
		int ret;

		if (!full)
			return 1;
		memcpy(full, ring, sizeof(h) + n);
		if (!fuzz_ring((const uint8_t *)full, h.file_size)) {
			fprintf(stderr, "the ring seed's plan is not taken\n");
			return 1;
		}
		ret = write_file(argv[1], "valid-ring", full, h.file_size);
		free(full);
		if (ret)
			return 1;
	}
	return write_file(argv[1], "valid-header", &h, sizeof(h));
}
#endif
