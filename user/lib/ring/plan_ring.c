// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * plan_ring.c - the plan ring's shared helpers and its consumer (QEMU)
 * side. See plan_ring.h. libc and C11 atomics only: QEMU compiles this
 * file as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plan_ring.h"

static uint64_t align_up(uint64_t x)
{
	return (x + PLAN_RING_ALIGN - 1) & ~(uint64_t)(PLAN_RING_ALIGN - 1);
}

static int is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

uint64_t plan_ring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Offsets and sizes from the capacities; 0 on success. */
static int compute(struct plan_ring_hdr *h)
{
	uint64_t off;

	if (h->max_pages == 0 || h->max_pages > PLAN_RING_MAX_PAGES ||
	    h->max_ranges == 0 || h->max_ranges > PLAN_RING_MAX_RANGES ||
	    h->plan_slots < 2 || h->plan_slots > PLAN_RING_MAX_SLOTS ||
	    !is_pow2(h->plan_slots) || h->ev_slots < 2 ||
	    h->ev_slots > 65536 || !is_pow2(h->ev_slots) ||
	    h->max_blocks == 0 || h->max_blocks > PLAN_RING_MAX_BLOCKS ||
	    h->page_size < 512 || !is_pow2(h->page_size))
		return -1;
	off = align_up(sizeof(struct plan_ring_hdr));
	h->layout_off = off;
	off = align_up(off + sizeof(struct plan_ring_layout) +
		       (uint64_t)h->max_blocks * sizeof(struct plan_ring_block));
	h->ev_off = off;
	off = align_up(off + (uint64_t)h->ev_slots * sizeof(struct plan_ring_event));
	h->sync_off = off;
	off = align_up(off + sizeof(struct plan_ring_sync) +
		       2 * 8 * plan_ring_words(h->max_pages));
	h->epoch_off = off;
	off = align_up(off + sizeof(struct plan_ring_epoch) +
		       8 * plan_ring_words(h->max_pages));
	h->plan_off = off;
	h->plan_slot_size = align_up(sizeof(struct plan_ring_plan) +
				     h->max_ranges * sizeof(struct plan_ring_range));
	h->file_size = off + (uint64_t)h->plan_slots * h->plan_slot_size;
	return 0;
}

int plan_ring_layout_sizes(struct plan_ring_hdr *h, uint64_t max_pages,
			   uint64_t max_ranges, uint32_t plan_slots,
			   uint32_t ev_slots, uint32_t max_blocks,
			   uint32_t page_size)
{
	memset(h, 0, sizeof(*h));
	h->magic = PLAN_RING_MAGIC;
	h->version = PLAN_RING_VERSION;
	h->hdr_size = sizeof(*h);
	h->page_size = page_size;
	h->plan_slots = plan_slots;
	h->ev_slots = ev_slots;
	h->max_blocks = max_blocks;
	h->max_pages = max_pages;
	h->max_ranges = max_ranges;
	return compute(h);
}

int plan_ring_check(const void *buf, size_t size, const char **why)
{
	struct plan_ring_hdr want;
	const struct plan_ring_hdr *h = buf;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (!buf || size < sizeof(*h)) {
		*why = "file shorter than the ring header";
		return -1;
	}
	if (h->magic != PLAN_RING_MAGIC) {
		*why = "not a plan ring (bad magic)";
		return -1;
	}
	if (h->version != PLAN_RING_VERSION) {
		*why = "unsupported plan ring version";
		return -1;
	}
	if (h->hdr_size != sizeof(*h)) {
		*why = "plan ring header size mismatch";
		return -1;
	}
	memset(&want, 0, sizeof(want));
	want.page_size = h->page_size;
	want.plan_slots = h->plan_slots;
	want.ev_slots = h->ev_slots;
	want.max_blocks = h->max_blocks;
	want.max_pages = h->max_pages;
	want.max_ranges = h->max_ranges;
	if (compute(&want)) {
		*why = "plan ring capacities out of range";
		return -1;
	}
	if (h->layout_off != want.layout_off || h->ev_off != want.ev_off ||
	    h->sync_off != want.sync_off || h->plan_off != want.plan_off ||
	    h->epoch_off != want.epoch_off ||
	    h->plan_slot_size != want.plan_slot_size ||
	    h->file_size != want.file_size) {
		*why = "plan ring section offsets inconsistent";
		return -1;
	}
	if (h->file_size > size) {
		*why = "plan ring file shorter than its header says";
		return -1;
	}
	return 0;
}

uint64_t plan_ring_checksum(const struct plan_ring_plan *p)
{
	struct plan_ring_plan head;
	const unsigned char *b;
	uint64_t hash = 0xcbf29ce484222325ULL, n, i;

	memcpy(&head, p, sizeof(head));
	head.checksum = 0;
	b = (const unsigned char *)&head;
	for (i = 0; i < sizeof(head); i++)
		hash = (hash ^ b[i]) * 0x100000001b3ULL;
	n = (p->nr_send + p->nr_deferred) * sizeof(struct plan_ring_range);
	b = (const unsigned char *)p->ranges;
	for (i = 0; i < n; i++)
		hash = (hash ^ b[i]) * 0x100000001b3ULL;
	return hash;
}

int plan_ring_plan_check(const struct plan_ring_plan *p, uint64_t ram_pages,
			 uint64_t max_ranges, const char **why)
{
	const struct plan_ring_range *r;
	uint64_t i, sum, prev_end;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (p->id == 0) {
		*why = "plan id 0";
		return -1;
	}
	if (p->action > PLAN_ACT_STOP || p->flags) {
		*why = "unknown plan action or flags";
		return -1;
	}
	if (p->nr_send > max_ranges || p->nr_deferred > max_ranges ||
	    p->nr_send + p->nr_deferred > max_ranges) {
		*why = "more plan ranges than the ring holds";
		return -1;
	}
	if (p->window > ram_pages) {
		*why = "plan window larger than guest RAM";
		return -1;
	}
	r = p->ranges;
	for (i = 0, sum = 0; i < p->nr_send; i++) {
		if (r[i].len == 0 || r[i].start >= ram_pages ||
		    r[i].len > ram_pages - r[i].start) {
			*why = "plan send range outside guest RAM";
			return -1;
		}
		sum += r[i].len;
	}
	if (sum != p->send_pages) {
		*why = "plan send_pages does not match its ranges";
		return -1;
	}
	r += p->nr_send;
	for (i = 0, sum = 0, prev_end = 0; i < p->nr_deferred; i++) {
		if (r[i].len == 0 || r[i].start >= ram_pages ||
		    r[i].len > ram_pages - r[i].start) {
			*why = "plan deferred range outside guest RAM";
			return -1;
		}
		if (i && r[i].start < prev_end) {
			*why = "plan deferred ranges not ascending and disjoint";
			return -1;
		}
		prev_end = r[i].start + r[i].len;
		sum += r[i].len;
	}
	if (sum != p->deferred_pages) {
		*why = "plan deferred_pages does not match its ranges";
		return -1;
	}
	if (plan_ring_checksum(p) != p->checksum) {
		*why = "plan checksum mismatch";
		return -1;
	}
	return 0;
}

int plan_ring_open(struct plan_ring *r, const char *path, const char **why)
{
	struct stat st;
	void *map = MAP_FAILED;
	const char *dummy;
	int fd = -1, err;

	if (!why)
		why = &dummy;
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		*why = err == ELOOP ? "plan ring path is a symlink"
				    : "cannot open the plan ring";
		goto fail;
	}
	if (fstat(fd, &st)) {
		err = errno;
		*why = "cannot stat the plan ring";
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = EINVAL;
		*why = "plan ring is not a regular file";
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		err = EPERM;
		*why = "plan ring is owned by another user";
		goto fail;
	}
	if (st.st_mode & 077) {
		err = EPERM;
		*why = "plan ring is accessible to group or others (want 0600)";
		goto fail;
	}
	if ((uint64_t)st.st_size < sizeof(struct plan_ring_hdr)) {
		err = EINVAL;
		*why = "file shorter than the ring header";
		goto fail;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = errno;
		*why = "cannot map the plan ring";
		goto fail;
	}
	if (plan_ring_check(map, (size_t)st.st_size, why)) {
		err = EINVAL;
		goto fail;
	}
	r->plan = malloc(((struct plan_ring_hdr *)map)->plan_slot_size);
	r->spare = malloc(((struct plan_ring_hdr *)map)->plan_slot_size);
	if (!r->plan || !r->spare) {
		free(r->plan);
		free(r->spare);
		r->plan = r->spare = NULL;
		err = ENOMEM;
		*why = "out of memory for the plan copy";
		goto fail;
	}
	r->hdr = map;
	r->size = (size_t)st.st_size;
	r->fd = fd;
	return 0;
fail:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

void plan_ring_close(struct plan_ring *r)
{
	if (r->hdr)
		munmap(r->hdr, r->size);
	if (r->fd >= 0 && r->hdr)
		close(r->fd);
	free(r->plan);
	free(r->spare);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

uint64_t plan_ring_attach(struct plan_ring *r, uint32_t pid)
{
	struct plan_ring_hdr *h = r->hdr;

	atomic_store_explicit(&h->qemu_pid, pid, memory_order_relaxed);
	r->generation = atomic_fetch_add_explicit(&h->qemu_generation, 1,
						  memory_order_acq_rel) + 1;
	r->ram_pages = 0;
	r->plan_iteration = 0;
	r->last = PLAN_TAKE_NONE;
	return r->generation;
}

int plan_ring_publish_layout(struct plan_ring *r,
			     const struct plan_ring_block *blocks, uint32_t nr,
			     uint64_t ram_pages, uint32_t accel)
{
	struct plan_ring_hdr *h = r->hdr;
	struct plan_ring_layout *l = plan_ring_layout_of(h);
	uint64_t seq;

	if (nr > h->max_blocks)
		nr = h->max_blocks;
	seq = atomic_load_explicit(&l->seq, memory_order_relaxed);
	atomic_store_explicit(&l->seq, seq | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	l->generation = r->generation;
	l->ram_pages = ram_pages;
	l->nr = nr;
	l->accel = accel;
	memcpy(l->blocks, blocks, (size_t)nr * sizeof(*blocks));
	atomic_store_explicit(&l->seq, (seq | 1) + 1, memory_order_release);
	if (ram_pages > h->max_pages)
		return -1;
	r->ram_pages = ram_pages;
	return 0;
}

int plan_ring_push_event(struct plan_ring *r, struct plan_ring_event *ev)
{
	struct plan_ring_hdr *h = r->hdr;
	uint64_t head, tail;

	head = atomic_load_explicit(&h->ev_head, memory_order_relaxed);
	tail = atomic_load_explicit(&h->ev_tail, memory_order_acquire);
	if (head - tail >= h->ev_slots) {
		atomic_fetch_add_explicit(&h->ev_dropped, 1, memory_order_relaxed);
		return -1;
	}
	ev->generation = r->generation;
	plan_ring_events_of(h)[head & (h->ev_slots - 1)] = *ev;
	atomic_store_explicit(&h->ev_head, head + 1, memory_order_release);
	return 0;
}

int plan_ring_sync_begin(struct plan_ring *r, uint64_t iteration,
			 uint64_t **dirty, uint64_t **written)
{
	struct plan_ring_hdr *h = r->hdr;
	struct plan_ring_sync *s = plan_ring_sync_of(h);
	uint64_t seq, words = plan_ring_words(r->ram_pages);

	if (!r->ram_pages)
		return -1;
	seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, seq | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	s->generation = r->generation;
	s->iteration = iteration;
	s->pages = r->ram_pages;
	s->dirty_count = 0;
	s->written_count = 0;
	s->fresh_count = 0;
	*dirty = plan_ring_sync_dirty(h);
	*written = plan_ring_sync_written(h);
	memset(*dirty, 0, words * 8);
	memset(*written, 0, words * 8);
	return 0;
}

void plan_ring_sync_end(struct plan_ring *r, uint64_t dirty_count,
			uint64_t written_count, uint64_t fresh_count)
{
	struct plan_ring_sync *s = plan_ring_sync_of(r->hdr);
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	s->dirty_count = dirty_count;
	s->written_count = written_count;
	s->fresh_count = fresh_count;
	atomic_store_explicit(&s->seq, (seq | 1) + 1, memory_order_release);
}

int plan_ring_epoch_begin(struct plan_ring *r, uint64_t iteration,
			  uint64_t index, uint64_t start_ns, uint64_t end_ns,
			  uint64_t **written)
{
	struct plan_ring_epoch *ep = plan_ring_epoch_of(r->hdr);
	uint64_t seq;

	if (!r->ram_pages)
		return -1;
	seq = atomic_load_explicit(&ep->seq, memory_order_relaxed);
	atomic_store_explicit(&ep->seq, seq | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	ep->generation = r->generation;
	ep->iteration = iteration;
	ep->index = index;
	ep->start_ns = start_ns;
	ep->end_ns = end_ns;
	ep->pages = r->ram_pages;
	ep->written_count = 0;
	*written = plan_ring_epoch_written(r->hdr);
	memset(*written, 0, plan_ring_words(r->ram_pages) * 8);
	return 0;
}

void plan_ring_epoch_end(struct plan_ring *r, uint64_t written_count)
{
	struct plan_ring_epoch *ep = plan_ring_epoch_of(r->hdr);
	uint64_t seq = atomic_load_explicit(&ep->seq, memory_order_relaxed);

	ep->written_count = written_count;
	atomic_store_explicit(&ep->seq, (seq | 1) + 1, memory_order_release);
}

/* The planner's heartbeat is 0 (it exited) or older than
 * PLAN_RING_STALE_NS. */
static int planner_stale(struct plan_ring_hdr *h)
{
	uint64_t beat, now;

	beat = atomic_load_explicit(&h->planner_heartbeat_ns, memory_order_acquire);
	now = plan_ring_now_ns();
	return !beat || (now > beat && now - beat > PLAN_RING_STALE_NS);
}

/* planner_stale(), kept for the next calls of planner_stale_every(),
 * which reads it afresh at one call in PLAN_RING_STALE_EVERY (and at the
 * first of an iteration): a consumer that asks at every page would read
 * the clock at every page, and a heartbeat goes stale in seconds. */
static int planner_stale_now(struct plan_ring *r)
{
	r->stale = planner_stale(r->hdr);
	r->stale_calls = PLAN_RING_STALE_EVERY;
	return r->stale;
}

static int planner_stale_every(struct plan_ring *r)
{
	if (!r->stale_calls)
		planner_stale_now(r);
	r->stale_calls--;
	return r->stale;
}

/* Copy slot `i` into r->spare and check it; PLAN_TAKE_OK or _BAD. */
static enum plan_ring_take copy_slot(struct plan_ring *r, uint64_t i,
				     const char **why)
{
	struct plan_ring_hdr *h = r->hdr;
	struct plan_ring_plan *slot = plan_ring_slot(h, i), *p = r->spare;
	uint64_t nranges;

	memcpy(p, slot, sizeof(*p));
	nranges = p->nr_send + p->nr_deferred;
	if (p->nr_send > h->max_ranges || p->nr_deferred > h->max_ranges ||
	    nranges > h->max_ranges) {
		*why = "more plan ranges than the ring holds";
		return PLAN_TAKE_BAD;
	}
	memcpy(p->ranges, slot->ranges, nranges * sizeof(struct plan_ring_range));
	if (plan_ring_plan_check(p, r->ram_pages, h->max_ranges, why))
		return PLAN_TAKE_BAD;
	return PLAN_TAKE_OK;
}

enum plan_ring_take plan_ring_take(struct plan_ring *r, uint64_t iteration,
				   const char **why)
{
	struct plan_ring_hdr *h = r->hdr;
	struct plan_ring_plan *tmp;
	uint64_t head, tail;
	enum plan_ring_take t;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (r->stale_iteration != iteration) {
		r->stale_iteration = iteration;	/* read the age afresh */
		r->stale_calls = 0;
	}
	if (r->plan_iteration != iteration) {
		if (r->plan_iteration)	/* the plan of an earlier iteration */
			r->last = PLAN_TAKE_NONE;
		r->plan_iteration = 0;
	}
	if (!r->ram_pages) {
		*why = "no layout published";
		return r->last = PLAN_TAKE_NONE;
	}
	head = atomic_load_explicit(&h->plan_head, memory_order_acquire);
	tail = atomic_load_explicit(&h->plan_tail, memory_order_relaxed);
	if (head == tail)
		goto keep;
	if (head - tail > h->plan_slots) {
		/* a producer that broke the protocol, or garbage */
		atomic_store_explicit(&h->plan_tail, head, memory_order_release);
		atomic_fetch_add_explicit(&h->rejected, 1, memory_order_relaxed);
		*why = "plan ring indices corrupt";
		r->last = PLAN_TAKE_BAD;
		goto keep;
	}
	/* the newest published slot; older ones are superseded */
	t = copy_slot(r, head - 1, why);
	atomic_store_explicit(&h->plan_tail, head, memory_order_release);
	if (t != PLAN_TAKE_OK) {
		atomic_fetch_add_explicit(&h->rejected, 1, memory_order_relaxed);
		r->last = PLAN_TAKE_BAD;
		goto keep;
	}
	if (r->spare->generation != r->generation ||
	    r->spare->iteration != iteration) {
		*why = "plan made for another iteration";
		r->last = PLAN_TAKE_NONE;
		goto keep;
	}
	if (planner_stale_now(r)) {
		*why = "planner heartbeat stale";
		r->last = PLAN_TAKE_STALE;
		goto keep;
	}
	tmp = r->plan;
	r->plan = r->spare;
	r->spare = tmp;
	r->plan_iteration = iteration;
	return PLAN_TAKE_OK;
keep:
	if (r->plan_iteration && r->plan_iteration == iteration)
		return PLAN_TAKE_OK;
	if (r->last == PLAN_TAKE_BAD) {
		if (!*why)
			*why = "a malformed plan was rejected";
		return PLAN_TAKE_BAD;
	}
	if (planner_stale_every(r)) {
		if (!*why)
			*why = "planner heartbeat stale";
		return r->last = PLAN_TAKE_STALE;
	}
	if (!*why)
		*why = "no plan for this iteration";
	return r->last = PLAN_TAKE_NONE;
}

void plan_ring_count(struct plan_ring *r, enum plan_ring_take t)
{
	struct plan_ring_hdr *h = r->hdr;

	switch (t) {
	case PLAN_TAKE_OK:
		atomic_fetch_add_explicit(&h->plans_used, 1, memory_order_relaxed);
		break;
	case PLAN_TAKE_NONE:
	case PLAN_TAKE_BAD:	/* rejected was counted by plan_ring_take */
		atomic_fetch_add_explicit(&h->fallback_none, 1, memory_order_relaxed);
		break;
	case PLAN_TAKE_STALE:
		atomic_fetch_add_explicit(&h->fallback_stale, 1, memory_order_relaxed);
		break;
	}
}

uint64_t plan_ring_deferred_end(const struct plan_ring_plan *p, uint64_t page)
{
	const struct plan_ring_range *d = p->ranges + p->nr_send;
	uint64_t lo = 0, hi = p->nr_deferred;

	/* the last range with start <= page */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (d[mid].start <= page)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && page - d[lo - 1].start < d[lo - 1].len)
		return d[lo - 1].start + d[lo - 1].len;
	return page;
}

/* ---------------------------------------------------------------------------
 * Executing plans
 */

void plan_exec_init(struct plan_exec *e, bool following)
{
	memset(e, 0, sizeof(*e));
	e->following = following;
}

/* The running iteration has no plan (any more). */
static void drop_plan(struct plan_exec *e)
{
	e->plan = NULL;
	e->plan_id = 0;
	e->cursor_range = 0;
	e->cursor_page = 0;
	e->stop = false;
}

void plan_exec_begin(struct plan_exec *e, uint64_t iteration,
		     uint64_t now_ns)
{
	if (e->iteration) {
		if (e->plan || e->refused) {
			e->n_followed++;
			e->following = true;
			e->misses = 0;
		} else if (e->following) {
			e->n_missed++;
			if (++e->misses >= PLAN_EXEC_MISSES)
				e->following = false;
		}
		if (e->plan && ((e->exhausted && !e->sent) || e->no_defer))
			e->empty++;
		else
			e->empty = 0;
	}
	e->stop_asked = e->ended && e->stop;
	e->decide = e->ended;
	e->iteration = iteration;
	e->start_ns = now_ns;
	e->sent = 0;
	drop_plan(e);
	e->refused = false;
	e->no_defer = false;
	e->ended = false;
	e->exhausted = false;
	e->window_full = false;
	e->waited = false;
	e->late = false;
}

void plan_exec_adopt(struct plan_exec *e, const struct plan_ring_plan *p)
{
	if (e->refused)
		return;		/* stock until the next sync */
	if (e->plan && e->plan_id == p->id) {
		e->plan = p;	/* the same plan, maybe in another buffer */
		return;
	}
	e->plan = p;
	e->plan_id = p->id;
	e->cursor_range = 0;
	e->cursor_page = p->nr_send ? p->ranges[0].start : 0;
	e->following = true;
	e->misses = 0;
	e->stop = p->action == PLAN_ACT_STOP;
	if (e->stop && !e->ended) {
		e->ended = true;
		e->n_stop++;
	}
}

void plan_exec_lost(struct plan_exec *e)
{
	drop_plan(e);
	e->following = false;
	e->misses = 0;
	e->ended = false;
	e->exhausted = false;
	e->window_full = false;
}

/* The mode where it does not depend on the time: true with *m set. */
static bool mode_settled(const struct plan_exec *e, enum plan_exec_mode *m)
{
	if (e->plan) {
		*m = PLAN_EXEC_FOLLOW;
		return true;
	}
	*m = PLAN_EXEC_STOCK;
	return !e->following || !e->iteration || e->refused;
}

enum plan_exec_mode plan_exec_mode(struct plan_exec *e, uint64_t now_ns)
{
	enum plan_exec_mode m;

	if (mode_settled(e, &m))
		return m;
	/* the first iteration does not wait for its plan (see above) */
	if (e->iteration == 1)
		return PLAN_EXEC_STOCK;
	if (now_ns < e->start_ns || now_ns - e->start_ns < PLAN_EXEC_GRACE_NS) {
		if (!e->waited) {
			e->waited = true;
			e->n_waits++;
		}
		return PLAN_EXEC_WAIT;
	}
	if (!e->late) {
		e->late = true;
		e->n_late++;
	}
	return PLAN_EXEC_STOCK;
}

enum plan_exec_mode plan_exec_mode_now(struct plan_exec *e)
{
	enum plan_exec_mode m;

	if (mode_settled(e, &m))
		return m;
	if (e->late)	/* the grace is over: stock to the iteration's end */
		return PLAN_EXEC_STOCK;
	return plan_exec_mode(e, plan_ring_now_ns());
}

void plan_exec_sent(struct plan_exec *e, uint64_t pages)
{
	e->sent += pages;
}

bool plan_exec_done(struct plan_exec *e)
{
	if (!e->plan)
		return false;
	if (!e->ended && e->plan->window &&
	    e->sent >= e->plan->window) {
		e->ended = true;
		e->window_full = true;
		e->n_window++;
	}
	return e->ended;
}

int plan_exec_next(struct plan_exec *e, plan_exec_dirty_fn dirty,
		   void *opaque, uint64_t *page)
{
	const struct plan_ring_plan *p = e->plan;

	if (!p || plan_exec_done(e))
		return 0;
	while (e->cursor_range < p->nr_send) {
		const struct plan_ring_range *r = &p->ranges[e->cursor_range];
		uint64_t end = r->start + r->len, from = r->start, pg;

		if (e->cursor_page > from)
			from = e->cursor_page;
		if (from < end) {
			pg = dirty(opaque, from, end);
			if (pg < end) {
				e->cursor_page = pg + 1;
				*page = pg;
				return 1;
			}
		}
		if (++e->cursor_range < p->nr_send)
			e->cursor_page = p->ranges[e->cursor_range].start;
	}
	return 0;
}

bool plan_exec_deferring(const struct plan_exec *e)
{
	return e->plan && e->plan->nr_deferred && !e->no_defer;
}

uint64_t plan_exec_undeferred(const struct plan_exec *e,
			      plan_exec_dirty_fn dirty, void *opaque,
			      uint64_t from, uint64_t end)
{
	while (from < end) {
		uint64_t pg = dirty(opaque, from, end), next;

		if (pg >= end)
			return end;
		if (!plan_exec_deferring(e))
			return pg;
		next = plan_ring_deferred_end(e->plan, pg);
		if (next == pg)
			return pg;
		from = next;
	}
	return end;
}

bool plan_exec_exhausted(struct plan_exec *e)
{
	if (!e->plan || e->ended)
		return true;
	if (plan_exec_deferring(e) && !e->sent && e->empty) {
		/* ending here again would sync without sending, again */
		e->no_defer = true;
		e->n_defer_off++;
		return false;
	}
	e->ended = true;
	e->exhausted = true;
	e->n_exhausted++;
	return true;
}

bool plan_exec_switchover(struct plan_exec *e, bool caller_ok, bool empty)
{
	bool stop = e->stop_asked, decide = e->decide;

	e->stop_asked = false;
	e->decide = false;
	if (!caller_ok) {
		e->holds = 0;
		if (stop) {
			/* never above the caller's own limit: its own
			 * rules until it may switch over */
			e->refused = true;
			e->n_refused++;
		}
		return false;
	}
	if (stop || empty || !decide)
		return true;
	if (++e->holds >= PLAN_EXEC_HOLDS) {
		e->n_held_out++;
		return true;
	}
	e->n_held++;
	return false;
}
