// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * plan_fake - a throwaway plan ring producer for testing the patched QEMU
 * (tools/qemu/patches) without the planner.
 *
 * Usage: plan_fake PATH MODE [KEY=VALUE...]
 *
 * Creates the ring file PATH (mode 0600; an existing file is replaced),
 * beats the heartbeat, reads QEMU's events and answers every SYNC event
 * with a plan for that iteration, until a COMPLETE event arrives or
 * timeout= seconds pass. Prints one line per event and the ring's counters
 * at the end.
 *
 * Modes:
 *   plan     valid plans: defer=A:N[,A:N...] (ram page ranges, ascending)
 *            and send=A:N[,A:N...] (in sending order), both optional
 *   garbage  malformed plans (bad checksum, ranges outside RAM, in turn)
 *   stale    valid plans as in `plan`, but no heartbeat
 *   none     heartbeat only, no plans
 *
 * Keys: timeout=SECONDS (default 600), delay_ms=N (wait before publishing
 * each plan; default 0), window=N (the plans' window in pages; default 0,
 * no limit), stop=N (answer STOP when the SYNC says at most N pages
 * remain; default: never).
 *
 * Build: cc -O2 -Iuser/lib tests/helpers/plan_fake.c user/lib/ring/plan_ring.c
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ring/plan_ring.h"

#define MAX_PAGES	(1ULL << 20)	/* 4 GiB guests */
#define MAX_RANGES	4096u

static struct plan_ring_range defer[MAX_RANGES / 2], send_r[MAX_RANGES / 2];
static uint64_t nr_defer, nr_send;

static void die(const char *m)
{
	fprintf(stderr, "plan_fake: %s: %s\n", m, strerror(errno));
	exit(1);
}

static uint64_t parse_ranges(const char *s, struct plan_ring_range *r)
{
	uint64_t n = 0;
	char *end;

	while (*s && n < MAX_RANGES / 2) {
		r[n].start = strtoull(s, &end, 0);
		if (*end != ':')
			break;
		r[n].len = strtoull(end + 1, &end, 0);
		n++;
		if (*end != ',')
			break;
		s = end + 1;
	}
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	struct plan_ring_hdr h0, *h;
	const char *path, *mode;
	uint64_t last_beat = 0, start, plan_id = 0, ram_pages = 0, timeout = 600;
	uint64_t window = 0, stop_at = 0, epochs = 0;
	int stop = 0;
	long delay_ms = 0;
	int fd, i, beat = 1, plans = 1, garbage = 0, done = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: plan_fake PATH plan|garbage|stale|none [defer=A:N,...] [send=A:N,...] [timeout=S] [delay_ms=N] [window=N] [stop=N]\n");
		return 2;
	}
	path = argv[1];
	mode = argv[2];
	if (!strcmp(mode, "garbage"))
		garbage = 1;
	else if (!strcmp(mode, "stale"))
		beat = 0;
	else if (!strcmp(mode, "none"))
		plans = 0;
	else if (strcmp(mode, "plan")) {
		fprintf(stderr, "plan_fake: unknown mode %s\n", mode);
		return 2;
	}
	for (i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "defer=", 6))
			nr_defer = parse_ranges(argv[i] + 6, defer);
		else if (!strncmp(argv[i], "send=", 5))
			nr_send = parse_ranges(argv[i] + 5, send_r);
		else if (!strncmp(argv[i], "timeout=", 8))
			timeout = strtoull(argv[i] + 8, NULL, 0);
		else if (!strncmp(argv[i], "delay_ms=", 9))
			delay_ms = strtol(argv[i] + 9, NULL, 0);
		else if (!strncmp(argv[i], "window=", 7))
			window = strtoull(argv[i] + 7, NULL, 0);
		else if (!strncmp(argv[i], "stop=", 5))
			stop_at = strtoull(argv[i] + 5, NULL, 0), stop = 1;
		else {
			fprintf(stderr, "plan_fake: unknown argument %s\n", argv[i]);
			return 2;
		}
	}

	if (plan_ring_layout_sizes(&h0, MAX_PAGES, MAX_RANGES, 4, 256, 64, 4096))
		die("plan_ring_layout_sizes");
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open");
	if (ftruncate(fd, (off_t)h0.file_size))
		die("ftruncate");
	h = mmap(NULL, h0.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		die("mmap");
	h0.owner_uid = geteuid();
	{
		uint64_t magic = h0.magic;

		h0.magic = 0;
		memcpy(h, &h0, offsetof(struct plan_ring_hdr, planner_heartbeat_ns));
		atomic_thread_fence(memory_order_release);
		h->magic = magic;
	}
	atomic_store(&h->planner_pid, (uint32_t)getpid());
	printf("plan_fake: ring %s (%" PRIu64 " bytes), mode %s, %" PRIu64
	       " deferred and %" PRIu64 " send ranges\n", path, h0.file_size,
	       mode, nr_defer, nr_send);
	fflush(stdout);

	start = plan_ring_now_ns();
	while (!done && plan_ring_now_ns() - start < timeout * 1000000000ULL) {
		uint64_t now = plan_ring_now_ns(), head, tail;

		if (beat && now - last_beat > PLAN_RING_HEARTBEAT_NS / 2) {
			atomic_store_explicit(&h->planner_heartbeat_ns, now,
					      memory_order_release);
			last_beat = now;
		}
		head = atomic_load_explicit(&h->ev_head, memory_order_acquire);
		tail = atomic_load_explicit(&h->ev_tail, memory_order_relaxed);
		for (; tail != head; tail++) {
			struct plan_ring_event ev =
				plan_ring_events_of(h)[tail & (h->ev_slots - 1)];
			struct plan_ring_layout *l = plan_ring_layout_of(h);
			struct plan_ring_sync *s = plan_ring_sync_of(h);

			atomic_store_explicit(&h->ev_tail, tail + 1,
					      memory_order_release);
			if (ev.type == PLAN_EV_START) {
				uint32_t b;

				ram_pages = l->ram_pages;
				printf("START gen %" PRIu64 " iter %" PRIu64
				       " ram_pages %" PRIu64 " accel %u blocks %u\n",
				       ev.generation, ev.iteration, l->ram_pages,
				       l->accel, l->nr);
				for (b = 0; b < l->nr; b++)
					printf("  block %-24s ram_page %8" PRIu64
					       " pages %8" PRIu64 " gpa 0x%" PRIx64 "\n",
					       l->blocks[b].name, l->blocks[b].ram_page,
					       l->blocks[b].pages, l->blocks[b].gpa);
			} else if (ev.type == PLAN_EV_SYNC) {
				uint64_t *dmap = plan_ring_sync_dirty(h), dd = 0, q, pg;

				/* deferred pages dirty after the sync */
				for (q = 0; q < nr_defer; q++)
					for (pg = defer[q].start; pg < defer[q].start + defer[q].len &&
					     pg < s->pages; pg++)
						dd += dmap[pg / 64] >> (pg % 64) & 1;
				printf("SYNC iter %" PRIu64 " sent %" PRIu64
				       " remaining %" PRIu64 " bytes %" PRIu64
				       " bw %" PRIu64 " iter_ms %" PRIu64
				       " plan %" PRIu64 " fallbacks %" PRIu64
				       " | sync iter %" PRIu64 " dirty %" PRIu64
				       " written %" PRIu64 " deferred_dirty %" PRIu64
				       " flags 0x%x threshold %" PRIu64 " epochs %"
				       PRIu64 "\n", ev.iteration,
				       ev.pages_sent, ev.remaining, ev.bytes_total,
				       ev.bandwidth, ev.iter_ns / 1000000,
				       ev.plan_id, ev.fallbacks, s->iteration,
				       s->dirty_count, s->written_count, dd,
				       ev.flags, ev.threshold, epochs);
			} else if (ev.type == PLAN_EV_EPOCH) {
				epochs++;
			} else if (ev.type == PLAN_EV_COMPLETE) {
				printf("COMPLETE iter %" PRIu64 " flags %u bytes %"
				       PRIu64 " remaining %" PRIu64 "\n",
				       ev.iteration, ev.flags, ev.bytes_total,
				       ev.remaining);
				done = 1;
			}
			fflush(stdout);
			if (ev.type != PLAN_EV_SYNC || !plans || !ram_pages)
				continue;

			/* answer with a plan for this iteration */
			uint64_t ph = atomic_load_explicit(&h->plan_head, memory_order_relaxed);
			uint64_t pt = atomic_load_explicit(&h->plan_tail, memory_order_acquire);
			struct plan_ring_plan *p;
			uint64_t k;

			if (ph - pt >= h->plan_slots) {
				printf("  plan ring full, skipped\n");
				continue;
			}
			if (delay_ms)
				sleep_ms(delay_ms);
			p = plan_ring_slot(h, ph);
			memset(p, 0, sizeof(*p));
			p->id = ++plan_id;
			p->generation = ev.generation;
			p->iteration = ev.iteration;
			p->action = stop && ev.remaining <= stop_at ?
				    PLAN_ACT_STOP : PLAN_ACT_SEND;
			p->window = window < ram_pages ? window : ram_pages;
			p->nr_send = nr_send;
			p->nr_deferred = nr_defer;
			for (k = 0; k < nr_send; k++) {
				p->ranges[k] = send_r[k];
				p->send_pages += send_r[k].len;
			}
			for (k = 0; k < nr_defer; k++) {
				p->ranges[nr_send + k] = defer[k];
				p->deferred_pages += defer[k].len;
			}
			p->created_ns = plan_ring_now_ns();
			if (garbage && plan_id % 2) {
				p->nr_send = 1;
				p->nr_deferred = 0;
				p->ranges[0].start = ram_pages + 5;
				p->ranges[0].len = 7;
				p->send_pages = 7;
				p->deferred_pages = 0;
			}
			p->checksum = plan_ring_checksum(p);
			if (garbage && !(plan_id % 2))
				p->checksum ^= 0xdeadbeef;
			atomic_store_explicit(&h->plan_head, ph + 1, memory_order_release);
			printf("  plan %" PRIu64 " for iter %" PRIu64 "%s%s\n",
			       plan_id, ev.iteration,
			       p->action == PLAN_ACT_STOP ? " STOP" : "",
			       garbage ? " (garbage)" : "");
			fflush(stdout);
		}
		sleep_ms(1);
	}
	printf("counters: plans_used %" PRIu64 " fallback_none %" PRIu64
	       " fallback_stale %" PRIu64 " rejected %" PRIu64 " ev_dropped %"
	       PRIu64 " generation %" PRIu64 "\n",
	       atomic_load(&h->plans_used), atomic_load(&h->fallback_none),
	       atomic_load(&h->fallback_stale), atomic_load(&h->rejected),
	       atomic_load(&h->ev_dropped), atomic_load(&h->qemu_generation));
	atomic_store(&h->planner_heartbeat_ns, 0);
	return done ? 0 : 1;
}
