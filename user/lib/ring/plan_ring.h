/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan_ring.h - the shared-memory plan ring between precopy-plan (the
 * planner) and a patched QEMU (the migration), version 2, the small
 * consumer library QEMU uses (plan_ring.c), and the execution of plans
 * (plan_exec_*: which page to send next, when to sync, when to switch
 * over), which QEMU's patch and the simulator's prob both call. Depends on
 * libc and C11 atomics only, so QEMU compiles both files as they are.
 *
 * ===========================================================================
 * The file
 * ===========================================================================
 *
 * One regular file, normally under /dev/shm, mode 0600, created and sized
 * by the planner (plan_serve.h). Whoever opens it checks that it is a
 * regular file owned by its own effective uid with no group/other access,
 * and refuses it otherwise. All integers are native-endian (both ends run
 * on one host). Sections, at the offsets the header gives, each aligned to
 * PLAN_RING_ALIGN:
 *
 *   header   struct plan_ring_hdr: sizes, offsets, liveness, counters
 *   layout   QEMU -> planner: RAM layout (struct plan_ring_layout)
 *   events   QEMU -> planner: SPSC ring of struct plan_ring_event
 *   sync     QEMU -> planner: the dirty bitmaps of the last sync
 *   epoch    QEMU -> planner: the pages written in the last epoch (TCG)
 *   plans    planner -> QEMU: SPSC ring of plan slots
 *
 * Page identity. A page index is QEMU's ram_addr_t / page_size: RAMBlock
 * `b` holds pages [b.ram_page, b.ram_page + b.pages). The layout maps them
 * to guest-physical addresses and KVM memory slots, so a planner that
 * tracks guest-physical pages (the eBPF tracker) can translate.
 *
 * Liveness and staleness.
 *   - The planner writes planner_heartbeat_ns (CLOCK_MONOTONIC) at least
 *     every PLAN_RING_HEARTBEAT_NS and 0 when it exits cleanly. A plan is
 *     only used while the heartbeat is younger than PLAN_RING_STALE_NS.
 *   - QEMU increments qemu_generation when a migration starts using the
 *     ring; every event carries it, and a plan is only used for the
 *     generation and the iteration (QEMU's dirty-sync count) it names.
 *
 * Plans. Per iteration: the action (SEND or STOP), the window (pages the
 * iteration sends before QEMU syncs and takes the next plan), the send
 * order as page ranges, and the deferred set as ascending disjoint ranges.
 * Ranges, not bitmaps: order matters and a bitmap has none; a 1 TiB guest
 * has 2^28 pages (a 32 MiB bitmap per plan), while a plan holds at most
 * one window (what the link carries in one iteration, e.g. 300k pages at
 * 10 Gbit/s in 1 s) plus a deferred set bounded by the downtime budget
 * (what fits in the stop-and-copy), and dirty pages come in runs, so
 * ranges are both smaller and ordered. Pages in neither list are sent
 * after the ordered ones, in QEMU's own order. A plan never removes a
 * page from QEMU's dirty bitmap: deferred pages stay dirty, count towards
 * the switchover decision and are all sent by the stop-and-copy. How QEMU
 * executes a plan is the plan_exec_* part below.
 *
 * Sync bitmaps. At each bitmap sync QEMU writes `dirty` (its migration
 * bitmap after the sync: the pages still to send) and `written` (every
 * page its dirty log says was written since the previous sync, whether or
 * not it was still dirty), over layout.ram_pages pages, under a sequence
 * lock. Under TCG no KVM hook fires and QEMU's dirty log is how the
 * planner learns the guest's writes: QEMU then also publishes epochs,
 * below; under KVM the planner learns from its tracker and plans over
 * `dirty`.
 *
 * Epochs (TCG). Under TCG QEMU reads its dirty log without clearing it
 * when PLAN_RING_EPOCH_NS passed since the last sync or epoch, and
 * publishes in the epoch section every page the log shows written since
 * the sync that began the iteration (a PLAN_EV_EPOCH event each time), so
 * the planner learns between syncs: the pages new in an epoch are those
 * it did not see in an earlier epoch of the same iteration, and the sync's
 * `written` less all of those is the iteration's last piece. The content
 * is cumulative, so an epoch overwritten before the planner read it loses
 * nothing. A page written again after its first write in an iteration
 * shows in no later epoch of it (the log holds one bit per page until the
 * sync clears it).
 *
 * Rings. plan_head/ev_head are written by the producer only, plan_tail/
 * ev_tail by the consumer only (release stores; the other side acquires).
 * Slot i lives at index i % slots. The producer writes slot head % slots
 * only while head - tail < slots, so a slot the consumer holds is never
 * rewritten; a full event ring drops the event (ev_dropped counts it).
 *
 * Version 2 (from 1): `fresh` became `written` (every write, not only the
 * pages that were clean), the epoch section and PLAN_EV_EPOCH, QEMU's
 * switchover threshold, downtime limit and rate limit in every event, and
 * QEMU acts on the window and on STOP (plan_exec_*).
 */
#ifndef PRECOPY_PLAN_RING_H
#define PRECOPY_PLAN_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLAN_RING_MAGIC		0x474e49524c504350ULL	/* "PCPLRING" */
#define PLAN_RING_VERSION	2u
#define PLAN_RING_ALIGN		4096u
#define PLAN_RING_HEARTBEAT_NS	200000000ULL	/* planner beats this often */
#define PLAN_RING_STALE_NS	2000000000ULL	/* older heartbeat: stale */
#define PLAN_RING_STALE_EVERY	256	/* takes without a new plan per
					 * reading of the heartbeat's age */
#define PLAN_RING_EPOCH_NS	100000000ULL	/* TCG epochs this often */
#define PLAN_RING_NAME_LEN	48
#define PLAN_RING_NO_GPA	UINT64_MAX
/* Limits a consumer accepts; a header beyond them is refused. */
#define PLAN_RING_MAX_PAGES	(1ULL << 40)	/* 4 PiB of 4 KiB pages */
#define PLAN_RING_MAX_RANGES	(1ULL << 24)
#define PLAN_RING_MAX_SLOTS	64u
#define PLAN_RING_MAX_BLOCKS	1024u

struct plan_ring_hdr {
	/* fixed at creation by the planner; checked by plan_ring_check() */
	uint64_t magic;		/* PLAN_RING_MAGIC */
	uint32_t version;	/* PLAN_RING_VERSION */
	uint32_t hdr_size;	/* sizeof(struct plan_ring_hdr) */
	uint64_t file_size;	/* bytes; set by plan_ring_layout_sizes() */
	uint32_t page_size;	/* bytes per page index (4096) */
	uint32_t plan_slots;	/* power of two, 2..PLAN_RING_MAX_SLOTS */
	uint32_t ev_slots;	/* power of two, 2..65536 */
	uint32_t max_blocks;	/* layout entries, 1..PLAN_RING_MAX_BLOCKS */
	uint64_t max_pages;	/* page indices are < max_pages */
	uint64_t max_ranges;	/* per plan, send + deferred */
	uint64_t layout_off, ev_off, sync_off, plan_off; /* section offsets */
	uint64_t plan_slot_size; /* bytes per plan slot */
	uint32_t owner_uid;	/* the creator's euid (informative) */
	uint32_t reserved0;
	uint64_t epoch_off;	/* epoch section offset */
	uint64_t reserved[3];

	/* live fields, one writer each */
	_Alignas(64) _Atomic uint64_t planner_heartbeat_ns; /* planner */
	_Atomic uint32_t planner_pid;			/* planner */
	_Alignas(64) _Atomic uint64_t plan_head;	/* planner */
	_Alignas(64) _Atomic uint64_t plan_tail;	/* QEMU */
	_Alignas(64) _Atomic uint64_t ev_head;		/* QEMU */
	_Alignas(64) _Atomic uint64_t ev_tail;		/* planner */
	_Alignas(64) _Atomic uint64_t qemu_generation;	/* QEMU */
	_Atomic uint32_t qemu_pid;			/* QEMU */
	/* QEMU's counters, per ring lifetime (informative) */
	_Atomic uint64_t plans_used;	/* iterations that followed a plan */
	_Atomic uint64_t fallback_none;	/* ... with no plan for them */
	_Atomic uint64_t fallback_stale; /* ... whose plan was stale */
	_Atomic uint64_t rejected;	/* malformed plans or sections */
	_Atomic uint64_t ev_dropped;	/* events lost to a full ring */
};

/* One guest-physical mapping of (part of) a RAMBlock. A block mapped at
 * several addresses has several entries; a block that is not mapped
 * (gpa PLAN_RING_NO_GPA) still migrates and has one entry. */
struct plan_ring_block {
	char name[PLAN_RING_NAME_LEN];	/* RAMBlock idstr, NUL-terminated */
	uint64_t ram_page;	/* page index of the mapping's first page */
	uint64_t pages;		/* length of the mapping in pages */
	uint64_t gpa;		/* guest-physical byte address, or NO_GPA */
	int32_t kvm_slot;	/* KVM memory slot (as_id << 16 | id), -1 */
	uint32_t flags;		/* 0 */
};

struct plan_ring_layout {
	_Atomic uint64_t seq;	/* sequence lock: odd while QEMU writes */
	uint64_t generation;	/* qemu_generation it belongs to */
	uint64_t ram_pages;	/* highest page index + 1 */
	uint32_t nr;		/* entries used, <= max_blocks */
	uint32_t accel;		/* enum plan_ring_accel */
	uint64_t reserved[4];
	struct plan_ring_block blocks[]; /* max_blocks */
};

enum plan_ring_accel {
	PLAN_ACCEL_UNKNOWN = 0,
	PLAN_ACCEL_KVM = 1,
	PLAN_ACCEL_TCG = 2,
};

enum plan_ring_event_type {
	PLAN_EV_START = 1,	/* migration started; layout published */
	PLAN_EV_SYNC = 2,	/* bitmap synced: iteration `iteration - 1`
				 * ended, `iteration` begins; sync bitmaps
				 * published */
	PLAN_EV_COMPLETE = 3,	/* stop-and-copy done, or the migration
				 * ended otherwise (flags: 1 = failed) */
	PLAN_EV_EPOCH = 4,	/* the epoch section was written (TCG):
				 * iteration = the running one */
	PLAN_EV_SWITCHOVER = 5,	/* QEMU decided to switch over: the guest
				 * stops, no plan is used any more (a
				 * planner should stay idle until COMPLETE:
				 * the downtime runs) */
};

/* SYNC event flags: how the iteration that ended went. */
#define PLAN_EV_F_WINDOW	0x1u	/* its plan's window was used up */
#define PLAN_EV_F_EXHAUSTED	0x2u	/* nothing but deferred pages left */
#define PLAN_EV_F_STOP		0x4u	/* it ended on a STOP plan */
#define PLAN_EV_F_REFUSED	0x8u	/* it began with a STOP that QEMU's
					 * own check refused: it ran as
					 * stock (no plan) */
#define PLAN_EV_F_FOLLOWED	0x10u	/* it followed a plan */
#define PLAN_EV_F_LAST		0x20u	/* the stop-and-copy's sync: no plan
					 * is wanted for it */

struct plan_ring_event {
	uint32_t type;		/* enum plan_ring_event_type */
	uint32_t flags;
	uint64_t generation;	/* qemu_generation */
	uint64_t iteration;	/* QEMU's dirty-sync count after the event */
	uint64_t time_ns;	/* CLOCK_MONOTONIC */
	uint64_t bytes_total;	/* RAM bytes transferred so far */
	uint64_t pages_sent;	/* pages sent in the iteration that ended */
	uint64_t iter_ns;	/* wall time of the iteration that ended */
	uint64_t bandwidth;	/* bytes/s QEMU measured (over its last
				 * 100 ms), at most its rate limit; 0
				 * unknown */
	uint64_t remaining;	/* dirty pages left after the event */
	uint64_t plan_id;	/* plan the ended iteration followed; 0 none */
	uint64_t fallbacks;	/* none + stale + rejected so far */
	uint64_t threshold;	/* bytes: QEMU switches over when the dirty
				 * bytes are below this (its bandwidth x
				 * downtime limit); 0 not measured yet */
	uint64_t downtime_limit_ms; /* QEMU's downtime-limit */
	uint64_t max_bandwidth;	/* bytes/s QEMU's rate limit; 0 none */
	uint64_t wait_ns;	/* SYNC: the ended iteration waited this long
				 * for its plan (see plan_exec_mode) */
	uint64_t reserved[1];
};

struct plan_ring_sync {
	_Atomic uint64_t seq;	/* sequence lock: odd while QEMU writes */
	uint64_t generation;
	uint64_t iteration;	/* dirty-sync count */
	uint64_t pages;		/* bits valid in each bitmap */
	uint64_t dirty_count;	/* bits set in dirty */
	uint64_t written_count;	/* bits set in written */
	uint64_t fresh_count;	/* pages the sync made dirty: written and
				 * not dirty before it (sent since the
				 * previous sync, or never dirty) */
	uint64_t reserved[1];
	/* followed by uint64_t dirty[W] and uint64_t written[W],
	 * W = plan_ring_words(max_pages); page p = bit p % 64 of word p / 64 */
};

struct plan_ring_epoch {
	_Atomic uint64_t seq;	/* sequence lock: odd while QEMU writes */
	uint64_t generation;
	uint64_t iteration;	/* the iteration it fell in */
	uint64_t index;		/* epochs published before it */
	uint64_t start_ns;	/* CLOCK_MONOTONIC: the iteration's sync */
	uint64_t end_ns;	/* ... and this reading */
	uint64_t pages;		/* bits valid in written */
	uint64_t written_count;	/* bits set in written */
	/* followed by uint64_t written[W], W = plan_ring_words(max_pages) */
};

enum plan_ring_action {
	PLAN_ACT_SEND = 0,	/* follow the order, keep deferred pages */
	PLAN_ACT_STOP = 1,	/* switch over now (QEMU checks its limit) */
};

struct plan_ring_range {
	uint64_t start;		/* first page index */
	uint64_t len;		/* pages, >= 1 */
};

struct plan_ring_plan {
	uint64_t id;		/* > 0, increasing */
	uint64_t generation;	/* qemu_generation it was made for */
	uint64_t iteration;	/* dirty-sync count it was made for */
	uint32_t action;	/* enum plan_ring_action */
	uint32_t flags;		/* 0 */
	uint64_t window;	/* pages this iteration sends before QEMU
				 * syncs; 0: no limit */
	uint64_t nr_send;	/* send ranges, in sending order */
	uint64_t nr_deferred;	/* deferred ranges, ascending, disjoint */
	uint64_t send_pages;	/* sum of the send ranges' lengths */
	uint64_t deferred_pages; /* sum of the deferred ranges' lengths */
	uint64_t created_ns;	/* CLOCK_MONOTONIC */
	uint64_t checksum;	/* plan_ring_checksum() of the plan */
	uint64_t reserved[5];
	struct plan_ring_range ranges[]; /* nr_send, then nr_deferred */
};

_Static_assert(sizeof(struct plan_ring_block) == 80, "ABI");
_Static_assert(sizeof(struct plan_ring_event) == 128, "ABI");
_Static_assert(sizeof(struct plan_ring_sync) == 64, "ABI");
_Static_assert(sizeof(struct plan_ring_epoch) == 64, "ABI");
_Static_assert(sizeof(struct plan_ring_plan) == 128, "ABI");
_Static_assert(sizeof(struct plan_ring_range) == 16, "ABI");

/* ---------------------------------------------------------------------------
 * Shared helpers (both ends)
 */

/* Words of a bitmap of `pages` bits. */
static inline uint64_t plan_ring_words(uint64_t pages)
{
	return (pages + 63) / 64;
}

/*
 * Fill the fixed part of *h (zeroing the rest) for a ring of the given
 * capacities: offsets, slot size and file_size. Returns 0, or -1 when a
 * capacity is out of the limits above (slots not a power of two, ...).
 */
int plan_ring_layout_sizes(struct plan_ring_hdr *h, uint64_t max_pages,
			   uint64_t max_ranges, uint32_t plan_slots,
			   uint32_t ev_slots, uint32_t max_blocks,
			   uint32_t page_size);

/*
 * Check a header read from a ring file of `size` bytes: magic, version,
 * sizes within the limits, offsets and sections inside the file and
 * consistent with plan_ring_layout_sizes(). Returns 0, or -1 with *why set
 * to a static one-line reason (why may be NULL). Reads only the fixed part,
 * never beyond min(size, sizeof(*h)).
 */
int plan_ring_check(const void *buf, size_t size, const char **why);

/* FNV-1a 64 over the plan with its checksum field taken as 0 and its
 * nr_send + nr_deferred ranges (the caller guarantees they are readable). */
uint64_t plan_ring_checksum(const struct plan_ring_plan *p);

/*
 * Validate a plan copied out of a slot, for a ring of `ram_pages` pages and
 * `max_ranges` ranges: counts within max_ranges, every range non-empty and
 * inside [0, ram_pages), the sums match, deferred ranges ascending and
 * disjoint, and the checksum. Returns 0, or -1 with *why set.
 */
int plan_ring_plan_check(const struct plan_ring_plan *p, uint64_t ram_pages,
			 uint64_t max_ranges, const char **why);

/* Section pointers of a mapped ring (no checks; see plan_ring_check). */
static inline struct plan_ring_layout *plan_ring_layout_of(struct plan_ring_hdr *h)
{
	return (struct plan_ring_layout *)((char *)h + h->layout_off);
}
static inline struct plan_ring_event *plan_ring_events_of(struct plan_ring_hdr *h)
{
	return (struct plan_ring_event *)((char *)h + h->ev_off);
}
static inline struct plan_ring_sync *plan_ring_sync_of(struct plan_ring_hdr *h)
{
	return (struct plan_ring_sync *)((char *)h + h->sync_off);
}
static inline uint64_t *plan_ring_sync_dirty(struct plan_ring_hdr *h)
{
	return (uint64_t *)(plan_ring_sync_of(h) + 1);
}
static inline uint64_t *plan_ring_sync_written(struct plan_ring_hdr *h)
{
	return plan_ring_sync_dirty(h) + plan_ring_words(h->max_pages);
}
static inline struct plan_ring_epoch *plan_ring_epoch_of(struct plan_ring_hdr *h)
{
	return (struct plan_ring_epoch *)((char *)h + h->epoch_off);
}
static inline uint64_t *plan_ring_epoch_written(struct plan_ring_hdr *h)
{
	return (uint64_t *)(plan_ring_epoch_of(h) + 1);
}
static inline struct plan_ring_plan *plan_ring_slot(struct plan_ring_hdr *h,
						    uint64_t i)
{
	return (struct plan_ring_plan *)((char *)h + h->plan_off +
		(i & (h->plan_slots - 1)) * h->plan_slot_size);
}

/* CLOCK_MONOTONIC in ns. */
uint64_t plan_ring_now_ns(void);

/* ---------------------------------------------------------------------------
 * Consumer (QEMU) side
 */

enum plan_ring_take {
	PLAN_TAKE_OK = 0,	/* r->plan holds a valid plan for iteration */
	PLAN_TAKE_NONE = 1,	/* no plan for this iteration (yet) */
	PLAN_TAKE_STALE = 2,	/* the planner's heartbeat is too old */
	PLAN_TAKE_BAD = 3,	/* a malformed plan was rejected */
};

struct plan_ring {
	struct plan_ring_hdr *hdr;	/* the mapping, NULL when closed */
	size_t size;
	int fd;
	uint64_t generation;		/* this migration's, after attach */
	uint64_t ram_pages;		/* as published in the layout */
	struct plan_ring_plan *plan;	/* private copy of the current plan */
	struct plan_ring_plan *spare;	/* where the next one is checked */
	uint64_t plan_iteration;	/* iteration r->plan is for; 0 none */
	enum plan_ring_take last;	/* why the last take had no new plan */
	uint64_t stale_iteration;	/* iteration of the last take */
	unsigned int stale_calls;	/* takes left before the heartbeat is
					 * read again (no new plan) */
	int stale;			/* what it read */
};

/*
 * Open and map the ring at `path` for the consumer. Refuses (returns -1
 * with *why set, errno set) a path that is not a regular file (symlinks
 * are not followed), is owned by another uid, has group/other permission
 * bits, or whose header fails plan_ring_check(). On success returns 0 and
 * fills *r (a private plan buffer is allocated).
 */
int plan_ring_open(struct plan_ring *r, const char *path, const char **why);

/* Unmap and free; safe on a closed or zeroed ring. */
void plan_ring_close(struct plan_ring *r);

/* Start a migration on the ring: bump qemu_generation, set qemu_pid.
 * Returns the new generation. */
uint64_t plan_ring_attach(struct plan_ring *r, uint32_t pid);

/*
 * Publish the RAM layout (nr entries, truncated to max_blocks) for this
 * generation, and ram_pages. Returns 0, or -1 when ram_pages exceeds the
 * ring's max_pages (then no plan can be used: callers fall back).
 */
int plan_ring_publish_layout(struct plan_ring *r,
			     const struct plan_ring_block *blocks, uint32_t nr,
			     uint64_t ram_pages, uint32_t accel);

/* Push an event (generation filled in). Returns 0, or -1 when the ring is
 * full (ev_dropped counted). */
int plan_ring_push_event(struct plan_ring *r, struct plan_ring_event *ev);

/*
 * Sync bitmaps: plan_ring_sync_begin() opens the write (seq odd) and
 * returns the zeroed dirty and written bitmaps (ram_pages bits) to fill;
 * plan_ring_sync_end() closes it with the counts (see struct
 * plan_ring_sync). begin returns -1 when no
 * layout was published.
 */
int plan_ring_sync_begin(struct plan_ring *r, uint64_t iteration,
			 uint64_t **dirty, uint64_t **written);
void plan_ring_sync_end(struct plan_ring *r, uint64_t dirty_count,
			uint64_t written_count, uint64_t fresh_count);

/*
 * Epoch bitmap, the same way: begin returns the zeroed written bitmap of
 * epoch number `index` (the writes of `iteration` from its sync at
 * start_ns to end_ns) to fill, end closes it. begin returns -1 when no
 * layout was published. Push a PLAN_EV_EPOCH event after end.
 */
int plan_ring_epoch_begin(struct plan_ring *r, uint64_t iteration,
			  uint64_t index, uint64_t start_ns, uint64_t end_ns,
			  uint64_t **written);
void plan_ring_epoch_end(struct plan_ring *r, uint64_t written_count);

/*
 * Look for the plan of `iteration` (this generation). Takes every
 * published slot, keeps the newest and releases the slots; copies it into
 * a private buffer and validates it there, so later writes to the ring
 * cannot change it. A valid plan for `iteration` replaces r->plan (the
 * planner refreshes its plan as epochs come, so several plans may arrive
 * within one iteration: callers restart their walk of the send order when
 * r->plan->id changes). Plans for other generations or iterations are
 * skipped; a malformed one is counted in `rejected` and leaves r->plan as
 * it was. Returns PLAN_TAKE_OK when r->plan is valid for `iteration` after
 * the call (new or kept). Cheap when nothing was published since the last
 * call: two atomic loads (the heartbeat's age, for PLAN_TAKE_STALE, is
 * read with the clock at the first such call of an iteration, then at one
 * in PLAN_RING_STALE_EVERY). Does not count fallbacks: the caller does,
 * once per iteration (plan_ring_count).
 */
enum plan_ring_take plan_ring_take(struct plan_ring *r, uint64_t iteration,
				   const char **why);

/* Count one iteration under `t`: OK counts plans_used, the others their
 * fallback counter. */
void plan_ring_count(struct plan_ring *r, enum plan_ring_take t);

/*
 * For page index `page`: if it lies in a deferred range of the plan p,
 * return the end of that range (first page after it); else return page.
 * O(log nr_deferred).
 */
uint64_t plan_ring_deferred_end(const struct plan_ring_plan *p, uint64_t page);

/* ---------------------------------------------------------------------------
 * Executing plans (both QEMU's patch and the simulator's prob call these)
 *
 * One struct plan_exec per migration. The caller owns the dirty bitmap and
 * the sending; these functions decide, from the plan in force and the
 * dirty state, which page goes next, when the iteration ends (the caller
 * then syncs its bitmap, which begins the next iteration) and whether the
 * caller may switch over at a sync:
 *
 *   - Following. A consumer follows plans once it adopted one (or from
 *     the start when the planner is live then: plan_exec_init). It stops
 *     following, and runs as stock until it adopts a plan again, when the
 *     planner is stale or gone (plan_exec_lost) or when PLAN_EXEC_MISSES
 *     iterations in a row ended without a plan.
 *   - Modes (plan_exec_mode). STOCK: no plan in charge; the caller's own
 *     rules (address order, its own sync and switchover rule). WAIT:
 *     following, and the iteration's plan has not come yet, for at most
 *     PLAN_EXEC_GRACE_NS after the sync: send nothing (the planner answers
 *     a sync within milliseconds); past that the iteration is STOCK
 *     (late). The first iteration (1, begun by the setup's sync) does
 *     not wait: its plan is STOCK's order, since the planner has learned
 *     nothing yet (no epoch: no page held back, the window in address
 *     order), so the caller sends in its own order until the plan comes
 *     and is adopted, the pages sent before it counted in its window.
 *     FOLLOW: a plan for this iteration is in force.
 *   - SEND, in FOLLOW: the plan's send order first, pages already clean
 *     skipped (plan_exec_next); then the caller's own order over the dirty
 *     pages outside the deferred set (plan_exec_undeferred). The iteration
 *     ends (plan_exec_done) when `window` pages were sent in it (counted
 *     from the sync, plan_exec_sent; window 0: no limit), or when only
 *     deferred pages are left (plan_exec_exhausted). Deferred pages stay
 *     dirty. A newer plan for the same iteration replaces the older one:
 *     the send order restarts, the pages sent so far still count.
 *   - STOP, in FOLLOW: the iteration ends at once; at the sync that
 *     follows the caller switches over if its own check holds (dirty bytes
 *     / its measured bandwidth <= its downtime limit), else (refused) the
 *     iteration that sync began runs as STOCK: the caller's own order and
 *     rules, so it switches over as soon as its check holds, as stock
 *     would; plans for it are ignored (plan_exec_switchover).
 *   - While following, the caller syncs only when plan_exec_done() says
 *     so (not on its own rule), and switches over only at such a sync,
 *     on STOP or when nothing is dirty; as a safety net, when its own rule
 *     would have switched over at PLAN_EXEC_HOLDS such syncs in a row
 *     while the plans said SEND, it switches over (counted in n_held_out).
 *   - An iteration that ends with only deferred pages left and nothing
 *     sent, right after one that ended the same way, drops deferral for
 *     the rest of it instead (no loop of syncs without sending).
 *   - Stop-and-copy: the caller sends every dirty page, with no plan.
 *
 * Page indices are the ring's (ram page index). The caller tells the
 * functions its dirty state through plan_exec_dirty_fn.
 */
#define PLAN_EXEC_GRACE_NS	50000000ULL	/* WAIT at most this long */
#define PLAN_EXEC_MISSES	3u	/* iterations without a plan: stock */
#define PLAN_EXEC_HOLDS		32u	/* see above; above the planner's
					 * own PLANNER_FREE_ITERS */

enum plan_exec_mode {
	PLAN_EXEC_STOCK = 0,
	PLAN_EXEC_WAIT = 1,
	PLAN_EXEC_FOLLOW = 2,
};

/* The first page in [from, end) that is dirty, or end if none. */
typedef uint64_t (*plan_exec_dirty_fn)(void *opaque, uint64_t from,
				       uint64_t end);

struct plan_exec {
	/* the running iteration */
	uint64_t iteration;	/* the sync count it began at; 0 none */
	uint64_t start_ns;	/* when it began */
	uint64_t sent;		/* pages sent in it (plan_exec_sent) */
	const struct plan_ring_plan *plan; /* in force for it, or NULL */
	uint64_t plan_id;
	uint64_t cursor_range;	/* send order: next range ... */
	uint64_t cursor_page;	/* ... and next page in it */
	bool stop;		/* its plan says STOP */
	bool refused;		/* a STOP was refused at its start: stock
				 * until the next sync */
	bool no_defer;		/* deferral dropped for the rest of it */
	bool ended;		/* it ended under its plan: the caller syncs */
	bool exhausted;		/* ... with only deferred pages left */
	bool window_full;	/* ... with its window used up */
	bool waited;		/* it was in WAIT */
	bool late;		/* ... and its plan did not come in time */
	/* across iterations */
	bool following;
	bool stop_asked;	/* the iteration the last sync ended: STOP */
	bool decide;		/* ... ended under its plan (a decision) */
	unsigned int misses;	/* iterations in a row without a plan */
	unsigned int holds;	/* see PLAN_EXEC_HOLDS */
	unsigned int empty;	/* iterations in a row that ended with
				 * only deferred pages, sending nothing */
	/* counters (informative) */
	uint64_t n_followed;	/* iterations that adopted a plan */
	uint64_t n_missed;	/* ... that did not, while following */
	uint64_t n_window;	/* iterations ended by their window */
	uint64_t n_exhausted;	/* ... with only deferred pages left */
	uint64_t n_stop;	/* STOP plans that ended an iteration */
	uint64_t n_refused;	/* ... and were refused by the caller's check */
	uint64_t n_held;	/* syncs where the caller's rule would have
				 * switched over and the plan said SEND */
	uint64_t n_held_out;	/* switchovers by the PLAN_EXEC_HOLDS net */
	uint64_t n_defer_off;	/* deferral dropped */
	uint64_t n_waits;	/* iterations that waited for their plan */
	uint64_t n_late;	/* ... and did not get it in time */
};

/* Start a migration: nothing running; following from the start when
 * `following` (the planner is live). */
void plan_exec_init(struct plan_exec *e, bool following);

/*
 * A sync at now_ns began iteration `iteration`: close the running one (a
 * plan adopted in it makes the consumer follow; PLAN_EXEC_MISSES in a row
 * without one end following) and begin the new one with no plan.
 */
void plan_exec_begin(struct plan_exec *e, uint64_t iteration,
		     uint64_t now_ns);

/*
 * Plan p (valid and made for the running iteration: plan_ring_take() said
 * PLAN_TAKE_OK; it must stay readable until the next adopt or begin) is in
 * force. Cheap when p is the plan already in force (same id).
 */
void plan_exec_adopt(struct plan_exec *e, const struct plan_ring_plan *p);

/* The planner is stale or gone: stock until a plan is adopted again. */
void plan_exec_lost(struct plan_exec *e);

/* The mode at now_ns (see above). */
enum plan_exec_mode plan_exec_mode(struct plan_exec *e, uint64_t now_ns);

/* plan_exec_mode() now, by plan_ring_now_ns(), which it reads only while
 * the iteration may still wait for its plan (not when a plan is in force:
 * FOLLOW; nor when it runs QEMU's way for the rest of the iteration:
 * not following, a refused STOP, a late plan): for a consumer that asks
 * at every page. */
enum plan_exec_mode plan_exec_mode_now(struct plan_exec *e);

/* Count `pages` pages sent in the running iteration. */
void plan_exec_sent(struct plan_exec *e, uint64_t pages);

/*
 * Whether the running iteration is over under its plan (window used up,
 * STOP, or only deferred pages left): send nothing more, sync. False
 * outside FOLLOW.
 */
bool plan_exec_done(struct plan_exec *e);

/*
 * FOLLOW: the next page of the send order that `dirty` says is dirty:
 * returns 1 with *page set (the cursor moves past it), or 0 when the order
 * is exhausted or the iteration is done (plan_exec_done).
 */
int plan_exec_next(struct plan_exec *e, plan_exec_dirty_fn dirty,
		   void *opaque, uint64_t *page);

/* Whether deferred pages are skipped now (FOLLOW, deferral not dropped). */
bool plan_exec_deferring(const struct plan_exec *e);

/*
 * The first page in [from, end) that is dirty and, while deferring, not
 * deferred; end if none.
 */
uint64_t plan_exec_undeferred(const struct plan_exec *e,
			      plan_exec_dirty_fn dirty, void *opaque,
			      uint64_t from, uint64_t end);

/*
 * FOLLOW: the caller's own order found no dirty page outside the deferred
 * set. Returns true when the iteration ends here (plan_exec_done() is then
 * true: sync), false when deferral was dropped instead (scan again).
 */
bool plan_exec_exhausted(struct plan_exec *e);

/*
 * At a sync the caller made because plan_exec_done() said so, after
 * plan_exec_begin(): whether it switches over now. caller_ok: its own
 * switchover rule holds (dirty bytes / measured bandwidth <= downtime
 * limit, and nothing else forbids it); empty: nothing is dirty. True when
 * caller_ok and (the ended iteration said STOP, or empty, or the
 * PLAN_EXEC_HOLDS net); a STOP with !caller_ok makes the running
 * iteration STOCK (refused): the caller's own rules decide its end and
 * the switchover.
 */
bool plan_exec_switchover(struct plan_exec *e, bool caller_ok, bool empty);

#endif /* PRECOPY_PLAN_RING_H */
