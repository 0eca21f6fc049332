/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan_serve.h - the producer (planner) side of the plan ring (plan_ring.h):
 * creates or reuses the ring file, beats the heartbeat, pops QEMU's events,
 * reads its layout and sync bitmaps under their sequence locks, and
 * publishes plans made by the planner (planner.h) as page ranges.
 *
 *	struct plan_serve s;
 *	plan_serve_opts__default(&o, max_ram_bytes);
 *	if (plan_serve__open(&s, path, &o, err, sizeof(err))) fail;
 *	loop:
 *		plan_serve__beat(&s);            // at least every 200 ms
 *		while (plan_serve__pop_event(&s, &ev) == 1)
 *			START: plan_serve__read_layout(&s, ...);
 *			EPOCH: plan_serve__read_epoch(&s, ...);  (TCG)
 *			SYNC:  plan_serve__read_sync(&s, ...);
 *			       planner__plan(...);
 *			       plan_serve__publish(&s, plan, gen, iter, ...);
 *	plan_serve__close(&s);                   // heartbeat 0
 *
 * One producer per ring: the functions are used from one thread, and no
 * second planner may serve the same file.
 */
#ifndef PRECOPY_PLAN_SERVE_H
#define PRECOPY_PLAN_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan_ring.h"
#include "model/planner.h"

#define PLAN_SERVE_PATH "/dev/shm/precopy-plan"

/* Capacities of a ring the planner creates. */
struct plan_serve_opts {
	uint64_t max_pages;	/* largest guest, in pages */
	uint64_t max_ranges;	/* per plan */
	uint32_t plan_slots;	/* power of two, 2..PLAN_RING_MAX_SLOTS */
	uint32_t ev_slots;	/* power of two, 2..65536 */
	uint32_t max_blocks;	/* layout entries */
	uint32_t page_size;	/* bytes */
};

/* Defaults for guests of up to max_ram_bytes (0: 64 GiB): 4 KiB pages,
 * 65536 ranges, 4 plan slots, 256 event slots, 64 layout entries. */
void plan_serve_opts__default(struct plan_serve_opts *o,
			      uint64_t max_ram_bytes);

struct plan_serve {
	struct plan_ring_hdr *hdr;	/* the mapping; NULL when closed */
	size_t size;
	int fd;
	bool reused;		/* open found a live ring and kept it */
	uint64_t next_id;	/* id of the next plan */
	uint64_t published;	/* plans published by this producer */
	uint64_t dropped;	/* plans dropped: the plan ring was full */
	uint64_t cut_ranges;	/* ranges left out to fit max_ranges */
	struct plan_ring_layout *layout; /* copy from read_layout; nr 0 none */
};

/*
 * Create or reuse the ring at `path`: created with O_NOFOLLOW | O_CREAT |
 * O_EXCL, mode 0600, or opened with O_NOFOLLOW. Refuses a symlink, a file
 * that is not regular, or one owned by another user (returns -ELOOP,
 * -EINVAL or -EPERM with a one-line reason in err), an existing file that
 * is not a plan ring, i.e. does not start with PLAN_RING_MAGIC (-EEXIST:
 * a file we did not create is never overwritten; an empty one neither),
 * and a ring another live planner beats on (-EBUSY: its heartbeat is
 * fresh and its pid runs). Forces mode 0600. A file that already holds a
 * valid ring with the same capacities is reused as it is (QEMU may have
 * it mapped: its indices, counters, layout and generation are kept;
 * s->reused); a file just created is sized and initialised in place; a
 * ring of another version or capacity, or a damaged one, is replaced by
 * a fresh ring (written aside and renamed over `path`, so a process that
 * still maps the old file is not hurt). The header's magic is written
 * last. Also beats the heartbeat. Returns 0, or a negative errno with the
 * reason in err; *s is then closed.
 */
int plan_serve__open(struct plan_serve *s, const char *path,
		     const struct plan_serve_opts *o, char *err, size_t errlen);

/* Write heartbeat 0 (a clean exit), unmap and free. Safe on a closed or
 * zeroed struct. Can't fail. */
void plan_serve__close(struct plan_serve *s);

/* Write planner_heartbeat_ns = now and planner_pid. Can't fail. */
void plan_serve__beat(struct plan_serve *s);

/*
 * Pop QEMU's oldest unread event into *ev. Returns 1, 0 when there is
 * none, or -EPROTO when the indices are corrupt (the unread events are
 * then skipped).
 */
int plan_serve__pop_event(struct plan_serve *s, struct plan_ring_event *ev);

/*
 * Copy the layout QEMU published into s->layout (consistent: retried while
 * QEMU writes it). Returns 0; -EAGAIN when QEMU kept writing (try again);
 * -ENODATA when none was published (seq 0); -EINVAL for a layout that does
 * not fit the ring (ram_pages 0 or over max_pages, an entry outside
 * ram_pages), s->layout's nr then 0.
 */
int plan_serve__read_layout(struct plan_serve *s);

/* What a sync section said (see struct plan_ring_sync). */
struct plan_serve_sync {
	uint64_t generation;
	uint64_t iteration;
	uint64_t pages;
	uint64_t dirty_count;
	uint64_t written_count;
	uint64_t fresh_count;
};

/*
 * Copy the sync bitmaps into dirty and written (each `words` words; bits at
 * or past the section's pages are cleared; either may be NULL) and its
 * header into *info, consistently. Returns 0, -EAGAIN when QEMU kept
 * writing, -ENODATA when nothing was published, -EINVAL when the section's
 * pages exceed max_pages.
 */
int plan_serve__read_sync(struct plan_serve *s, uint64_t *dirty,
			  uint64_t *written, uint64_t words,
			  struct plan_serve_sync *info);

/* What an epoch section said (see struct plan_ring_epoch). */
struct plan_serve_epoch {
	uint64_t generation;
	uint64_t iteration;
	uint64_t index;
	uint64_t start_ns, end_ns;
	uint64_t pages;
	uint64_t written_count;
};

/*
 * Copy the epoch section's bitmap into written (`words` words; bits at or
 * past its pages cleared; may be NULL) and its header into *info,
 * consistently. Returns 0, -EAGAIN when QEMU kept writing, -ENODATA when
 * no epoch was published, -EINVAL when its pages exceed max_pages.
 */
int plan_serve__read_epoch(struct plan_serve *s, uint64_t *written,
			   uint64_t words, struct plan_serve_epoch *info);

/* What a publish did. */
struct plan_serve_pub {
	uint64_t id;		/* 0 when dropped */
	uint64_t nr_send, nr_deferred;	/* ranges in the slot */
	uint64_t send_pages, deferred_pages;
	uint64_t cut_send, cut_deferred; /* pages left out to fit */
};

/*
 * Encode plan p (of a guest of ram_pages pages) as the ring's ranges into
 * out (room for max_ranges ranges), as plan_serve__publish() does, for
 * plan_exec_*: the action, the window, send[] as ranges in sending order
 * (consecutive pages merged), the held-back pages (p->risky, else
 * p->deferred) as ascending disjoint ranges; deferred ranges are left out
 * first when they do not fit, then the tail of the send order. Leaves id,
 * generation, iteration, created_ns and checksum to the caller. Fills
 * *pub (id 0) and returns the number of ranges left out. Can't fail.
 */
uint64_t plan_serve__encode(const struct plan *p, uint64_t ram_pages,
			    uint64_t max_ranges, struct plan_ring_plan *out,
			    struct plan_serve_pub *pub);

/*
 * Publish plan p (of a guest of ram_pages pages) for (generation,
 * iteration): send[] becomes ranges in sending order (consecutive pages
 * merged), the deferred bitmap ascending disjoint ranges. If the ranges
 * exceed max_ranges, deferred ranges are left out first (from the
 * highest: those pages are then sent in QEMU's order, which is safe), then
 * the tail of the send order. Pages at or past ram_pages are ignored.
 * Returns 0 (published, *out filled if not NULL), 1 when the plan ring is
 * full (the plan is dropped and counted in s->dropped), or -EINVAL (ring
 * closed, ram_pages 0 or over max_pages).
 */
int plan_serve__publish(struct plan_serve *s, const struct plan *p,
			uint64_t generation, uint64_t iteration,
			uint64_t ram_pages, struct plan_serve_pub *out);

/*
 * Translate between guest-physical page numbers (gpa / page_size) and ram
 * page indices through layout l. Return 0 with *out set, or -ENOENT when
 * no entry maps the page. O(l->nr).
 */
int plan_serve__gfn_to_ram(const struct plan_ring_layout *l,
			   uint32_t page_size, uint64_t gfn, uint64_t *out);
int plan_serve__ram_to_gfn(const struct plan_ring_layout *l,
			   uint32_t page_size, uint64_t ram, uint64_t *out);

/*
 * OR a bitmap over guest-physical pages (gfn_pages bits) into a bitmap
 * over ram pages (ram_pages bits) through layout l. Pages mapped by no
 * entry are left out. Returns the number of bits newly set. Can't fail.
 */
uint64_t plan_serve__gfn_bitmap_to_ram(const struct plan_ring_layout *l,
				       uint32_t page_size,
				       const uint64_t *gfn_bm,
				       uint64_t gfn_pages, uint64_t *ram_bm,
				       uint64_t ram_pages);

#endif /* PRECOPY_PLAN_SERVE_H */
