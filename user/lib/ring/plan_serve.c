// SPDX-License-Identifier: GPL-2.0-or-later
/* plan_serve.c - the producer (planner) side of the plan ring (see
 * plan_serve.h and plan_ring.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/bitops.h"
#include "util/errmsg.h"
#include "plan_serve.h"

#define SEQ_TRIES 1000	/* reads of a section QEMU keeps rewriting */

void plan_serve_opts__default(struct plan_serve_opts *o, uint64_t max_ram_bytes)
{
	if (!max_ram_bytes)
		max_ram_bytes = 64ULL << 30;
	o->page_size = 4096;
	o->max_pages = (max_ram_bytes + o->page_size - 1) / o->page_size;
	o->max_ranges = 65536;
	o->plan_slots = 4;
	o->ev_slots = 256;
	o->max_blocks = 64;
}

static void load_acquire_fence(void)
{
	atomic_thread_fence(memory_order_acquire);
}

void plan_serve__beat(struct plan_serve *s)
{
	if (!s->hdr)
		return;
	atomic_store_explicit(&s->hdr->planner_pid, (uint32_t)getpid(),
			      memory_order_relaxed);
	atomic_store_explicit(&s->hdr->planner_heartbeat_ns, plan_ring_now_ns(),
			      memory_order_release);
}

void plan_serve__close(struct plan_serve *s)
{
	if (s->hdr) {
		atomic_store_explicit(&s->hdr->planner_heartbeat_ns, 0,
				      memory_order_release);
		munmap(s->hdr, s->size);
	}
	if (s->hdr && s->fd >= 0)
		close(s->fd);
	free(s->layout);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static bool same_capacities(const struct plan_ring_hdr *a,
			    const struct plan_ring_hdr *b)
{
	return a->max_pages == b->max_pages && a->max_ranges == b->max_ranges &&
	       a->plan_slots == b->plan_slots && a->ev_slots == b->ev_slots &&
	       a->max_blocks == b->max_blocks && a->page_size == b->page_size;
}

/* Size fd to want->file_size, map it and write a fresh header (magic last).
 * Returns the mapping or MAP_FAILED with errno set. */
static void *init_ring(int fd, const struct plan_ring_hdr *want)
{
	struct plan_ring_hdr *h;
	void *map;

	if (ftruncate(fd, 0) || ftruncate(fd, (off_t)want->file_size))
		return MAP_FAILED;
	map = mmap(NULL, want->file_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (map == MAP_FAILED)
		return map;
	h = map;
	memcpy(h, want, sizeof(*h));	/* live fields zero, from want */
	h->magic = 0;
	h->owner_uid = (uint32_t)geteuid();
	__atomic_store_n(&h->magic, PLAN_RING_MAGIC, __ATOMIC_RELEASE);
	return map;
}

/* Replace `path` by a fresh ring written aside and renamed over it.
 * Returns the new fd and mapping, or -errno. */
static int replace_ring(const char *path, const struct plan_ring_hdr *want,
			void **map)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600))
		goto fail;
	*map = init_ring(fd, want);
	if (*map == MAP_FAILED)
		goto fail;
	if (rename(tmp, path)) {
		err = errno;
		munmap(*map, want->file_size);
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	unlink(tmp);
	close(fd);
	return -err;
}

static uint64_t max_slot_id(struct plan_ring_hdr *h)
{
	uint64_t i, id = 0;

	for (i = 0; i < h->plan_slots; i++)
		if (plan_ring_slot(h, i)->id > id)
			id = plan_ring_slot(h, i)->id;
	return id;
}

/* A reused ring: repair indices a crashed producer or garbage left out of
 * their invariant (only the producer-owned ones are written). */
static void adopt_ring(struct plan_serve *s)
{
	struct plan_ring_hdr *h = s->hdr;
	uint64_t head, tail;

	head = atomic_load_explicit(&h->plan_head, memory_order_relaxed);
	tail = atomic_load_explicit(&h->plan_tail, memory_order_acquire);
	if (head - tail > h->plan_slots)
		atomic_store_explicit(&h->plan_head, tail, memory_order_release);
	head = atomic_load_explicit(&h->ev_head, memory_order_acquire);
	tail = atomic_load_explicit(&h->ev_tail, memory_order_relaxed);
	if (head - tail > h->ev_slots)
		atomic_store_explicit(&h->ev_tail, head, memory_order_release);
	s->next_id = max_slot_id(h) + 1;
	if (!s->next_id)
		s->next_id = 1;
}

/* The pid of another live planner beating on ring h, or 0. */
static int live_planner(struct plan_ring_hdr *h)
{
	uint64_t beat = atomic_load(&h->planner_heartbeat_ns);
	uint64_t now = plan_ring_now_ns();
	pid_t pid = (pid_t)atomic_load(&h->planner_pid);

	if (!beat || !pid || pid == getpid() ||
	    (now > beat && now - beat > PLAN_RING_STALE_NS))
		return 0;
	if (kill(pid, 0) && errno == ESRCH)
		return 0;
	return pid;
}

/* Does the file open at fd start with a plan ring's magic? A ring of
 * another version or capacity, or a damaged one, is still ours to
 * replace; anything else (an empty file included) is not. */
static bool is_plan_ring(int fd, const struct stat *st)
{
	uint64_t magic = 0;

	if ((uint64_t)st->st_size < sizeof(struct plan_ring_hdr))
		return false;
	if (pread(fd, &magic, sizeof(magic), 0) != sizeof(magic))
		return false;
	return magic == PLAN_RING_MAGIC;
}

int plan_serve__open(struct plan_serve *s, const char *path,
		     const struct plan_serve_opts *o, char *err, size_t errlen)
{
	struct plan_ring_hdr want;
	struct stat st;
	void *map = MAP_FAILED;
	size_t maplen = 0;
	bool created = false;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (plan_ring_layout_sizes(&want, o->max_pages, o->max_ranges,
				   o->plan_slots, o->ev_slots, o->max_blocks,
				   o->page_size)) {
		errmsg_set(err, errlen, "plan ring capacities out of range");
		return -EINVAL;
	}
	/* Create the file, or open what is there: it must then be a plan
	 * ring (checked below), never a file of someone else's. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd >= 0)
		created = true;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errmsg_set(err, errlen, ret == -ELOOP ?
			   "%s is a symlink; refusing it as the plan ring" :
			   "cannot open the plan ring %s: %s", path,
			   strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		errmsg_set(err, errlen, "cannot stat %s: %s", path,
			   strerror(-ret));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		errmsg_set(err, errlen, "%s is not a regular file; refusing it "
			   "as the plan ring", path);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		ret = -EPERM;
		errmsg_set(err, errlen, "%s is owned by uid %u, not by us "
			   "(uid %u); refusing it as the plan ring", path,
			   (unsigned int)st.st_uid, (unsigned int)geteuid());
		goto fail;
	}
	if (!created && !is_plan_ring(fd, &st)) {
		ret = -EEXIST;
		errmsg_set(err, errlen, "%s exists and is not a plan ring "
			   "(%lld bytes); refusing to overwrite it", path,
			   (long long)st.st_size);
		goto fail;
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600)) {
		ret = -errno;
		errmsg_set(err, errlen, "cannot set mode 0600 on %s: %s", path,
			   strerror(-ret));
		goto fail;
	}
	if ((uint64_t)st.st_size >= sizeof(struct plan_ring_hdr)) {
		maplen = (size_t)st.st_size;
		map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			errmsg_set(err, errlen, "cannot map %s: %s", path,
				   strerror(-ret));
			goto fail;
		}
		if (!plan_ring_check(map, maplen, NULL) &&
		    same_capacities(map, &want)) {
			ret = live_planner(map);
			if (ret) {
				errmsg_set(err, errlen, "%s is served by "
					   "another planner (pid %d)", path,
					   ret);
				ret = -EBUSY;
				munmap(map, maplen);
				goto fail;
			}
			s->reused = true;
			goto done;
		}
		munmap(map, maplen);
		map = MAP_FAILED;
	}
	if (created) {
		/* new: nobody can have it mapped */
		map = init_ring(fd, &want);
	} else {
		close(fd);
		fd = replace_ring(path, &want, &map);
		if (fd < 0) {
			ret = fd;
			errmsg_set(err, errlen, "cannot replace %s with a new "
				   "plan ring: %s", path, strerror(-ret));
			return ret;
		}
	}
	if (map == MAP_FAILED) {
		ret = -errno;
		errmsg_set(err, errlen, "cannot size and map %s: %s", path,
			   strerror(-ret));
		goto fail;
	}
	maplen = want.file_size;
done:
	s->hdr = map;
	s->size = maplen;
	s->fd = fd;
	s->layout = calloc(1, sizeof(struct plan_ring_layout) +
			   (size_t)s->hdr->max_blocks *
			   sizeof(struct plan_ring_block));
	if (!s->layout) {
		errmsg_set(err, errlen, "out of memory");
		plan_serve__close(s);
		return -ENOMEM;
	}
	if (s->reused)
		adopt_ring(s);
	else
		s->next_id = 1;
	plan_serve__beat(s);
	return 0;
fail:
	close(fd);
	return ret;
}

int plan_serve__pop_event(struct plan_serve *s, struct plan_ring_event *ev)
{
	struct plan_ring_hdr *h = s->hdr;
	uint64_t head, tail;

	tail = atomic_load_explicit(&h->ev_tail, memory_order_relaxed);
	head = atomic_load_explicit(&h->ev_head, memory_order_acquire);
	if (head == tail)
		return 0;
	if (head - tail > h->ev_slots) {
		atomic_store_explicit(&h->ev_tail, head, memory_order_release);
		return -EPROTO;
	}
	*ev = plan_ring_events_of(h)[tail & (h->ev_slots - 1)];
	atomic_store_explicit(&h->ev_tail, tail + 1, memory_order_release);
	return 1;
}

static int check_layout(const struct plan_ring_layout *l,
			const struct plan_ring_hdr *h)
{
	uint32_t i;

	if (l->nr > h->max_blocks || !l->ram_pages ||
	    l->ram_pages > h->max_pages)
		return -EINVAL;
	for (i = 0; i < l->nr; i++) {
		const struct plan_ring_block *b = &l->blocks[i];

		if (b->ram_page >= l->ram_pages ||
		    b->pages > l->ram_pages - b->ram_page)
			return -EINVAL;
		if (b->gpa != PLAN_RING_NO_GPA &&
		    (b->gpa % h->page_size ||
		     b->pages > (UINT64_MAX - b->gpa) / h->page_size))
			return -EINVAL;
	}
	return 0;
}

int plan_serve__read_layout(struct plan_serve *s)
{
	struct plan_ring_hdr *h = s->hdr;
	struct plan_ring_layout *l = plan_ring_layout_of(h), *out = s->layout;
	size_t len = sizeof(*l) + (size_t)h->max_blocks * sizeof(l->blocks[0]);
	uint64_t seq, seq2;
	uint32_t i;
	int tries;

	for (tries = 0; tries < SEQ_TRIES; tries++) {
		seq = atomic_load_explicit(&l->seq, memory_order_acquire);
		if (seq == 0) {
			out->nr = 0;
			return -ENODATA;
		}
		if (seq & 1) {
			sched_yield();
			continue;
		}
		memcpy(out, l, len);
		load_acquire_fence();
		seq2 = atomic_load_explicit(&l->seq, memory_order_relaxed);
		if (seq2 == seq)
			break;
	}
	if (tries == SEQ_TRIES) {
		out->nr = 0;
		return -EAGAIN;
	}
	if (check_layout(out, h)) {
		out->nr = 0;
		return -EINVAL;
	}
	for (i = 0; i < out->nr; i++)
		out->blocks[i].name[PLAN_RING_NAME_LEN - 1] = '\0';
	return 0;
}

/* A bitmap of `words` words (NULL: none) into which n words of a section
 * of `pages` pages were copied: clear the words past n, and the bits past
 * the last page when the copy ended there. */
static void fit_section(uint64_t *bm, uint64_t n, uint64_t words,
			uint64_t pages)
{
	uint64_t w;

	if (!bm)
		return;
	for (w = n; w < words; w++)
		bm[w] = 0;
	if (n && n == plan_ring_words(pages))
		bm[n - 1] &= last_word_mask(pages);
}

int plan_serve__read_sync(struct plan_serve *s, uint64_t *dirty,
			  uint64_t *written, uint64_t words,
			  struct plan_serve_sync *info)
{
	struct plan_ring_hdr *h = s->hdr;
	struct plan_ring_sync *sy = plan_ring_sync_of(h);
	uint64_t seq, seq2, n;
	int tries;

	for (tries = 0; tries < SEQ_TRIES; tries++) {
		seq = atomic_load_explicit(&sy->seq, memory_order_acquire);
		if (seq == 0)
			return -ENODATA;
		if (seq & 1) {
			sched_yield();
			continue;
		}
		info->generation = sy->generation;
		info->iteration = sy->iteration;
		info->pages = sy->pages;
		info->dirty_count = sy->dirty_count;
		info->written_count = sy->written_count;
		info->fresh_count = sy->fresh_count;
		if (info->pages > h->max_pages)
			n = 0;
		else
			n = plan_ring_words(info->pages);
		if (n > words)
			n = words;
		if (dirty)
			memcpy(dirty, plan_ring_sync_dirty(h), n * 8);
		if (written)
			memcpy(written, plan_ring_sync_written(h), n * 8);
		load_acquire_fence();
		seq2 = atomic_load_explicit(&sy->seq, memory_order_relaxed);
		if (seq2 == seq)
			break;
	}
	if (tries == SEQ_TRIES)
		return -EAGAIN;
	if (info->pages > h->max_pages)
		return -EINVAL;
	fit_section(dirty, n, words, info->pages);
	fit_section(written, n, words, info->pages);
	return 0;
}

int plan_serve__read_epoch(struct plan_serve *s, uint64_t *written,
			   uint64_t words, struct plan_serve_epoch *info)
{
	struct plan_ring_hdr *h = s->hdr;
	struct plan_ring_epoch *ep = plan_ring_epoch_of(h);
	uint64_t seq, seq2, n = 0;
	int tries;

	for (tries = 0; tries < SEQ_TRIES; tries++) {
		seq = atomic_load_explicit(&ep->seq, memory_order_acquire);
		if (seq == 0)
			return -ENODATA;
		if (seq & 1) {
			sched_yield();
			continue;
		}
		info->generation = ep->generation;
		info->iteration = ep->iteration;
		info->index = ep->index;
		info->start_ns = ep->start_ns;
		info->end_ns = ep->end_ns;
		info->pages = ep->pages;
		info->written_count = ep->written_count;
		n = info->pages > h->max_pages ? 0 : plan_ring_words(info->pages);
		if (n > words)
			n = words;
		if (written)
			memcpy(written, plan_ring_epoch_written(h), n * 8);
		load_acquire_fence();
		seq2 = atomic_load_explicit(&ep->seq, memory_order_relaxed);
		if (seq2 == seq)
			break;
	}
	if (tries == SEQ_TRIES)
		return -EAGAIN;
	if (info->pages > h->max_pages)
		return -EINVAL;
	fit_section(written, n, words, info->pages);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Publishing
 */

/* Count the ranges of the send order (consecutive pages merged). */
static uint64_t count_send(const struct plan *p, uint64_t ram_pages)
{
	uint64_t i, n = 0, end = UINT64_MAX;

	for (i = 0; i < p->nr_send; i++) {
		if (p->send[i] >= ram_pages)
			continue;
		if (p->send[i] != end)
			n++;
		end = p->send[i] + 1;
	}
	return n;
}

/* Write up to `max` send ranges into r; returns the pages they hold. */
static uint64_t fill_send(const struct plan *p, uint64_t ram_pages,
			  struct plan_ring_range *r, uint64_t max)
{
	uint64_t i, n = 0, pages = 0, end = UINT64_MAX;

	for (i = 0; i < p->nr_send; i++) {
		uint64_t pg = p->send[i];

		if (pg >= ram_pages)
			continue;
		if (pg == end) {
			r[n - 1].len++;
		} else {
			if (n == max)
				break;
			r[n].start = pg;
			r[n].len = 1;
			n++;
		}
		end = pg + 1;
		pages++;
	}
	return pages;
}

/* Write the runs of set bits of bm below `pages`, ascending, as ranges
 * into r (at most max of them; *sum gets their pages). Returns the number
 * of runs in the bitmap, written or not. */
static uint64_t bitmap_ranges(const uint64_t *bm, uint64_t pages,
			      struct plan_ring_range *r, uint64_t max,
			      uint64_t *sum)
{
	uint64_t w, words = plan_ring_words(pages), n = 0, run = 0, start = 0;
	unsigned int b;

	*sum = 0;
	for (w = 0; w < words; w++) {
		uint64_t word = bm[w];

		if (w == words - 1)
			word &= last_word_mask(pages);
		if (!run && !word)
			continue;
		if (run && word == UINT64_MAX) {
			run += 64;
			continue;
		}
		for (b = 0; b < 64; b++) {
			if (word >> b & 1) {
				if (!run)
					start = w * 64 + b;
				run++;
				continue;
			}
			if (!run)
				continue;
			if (n < max) {
				r[n].start = start;
				r[n].len = run;
				*sum += run;
			}
			n++;
			run = 0;
		}
	}
	if (run) {
		if (n < max) {
			r[n].start = start;
			r[n].len = run;
			*sum += run;
		}
		n++;
	}
	return n;
}

uint64_t plan_serve__encode(const struct plan *p, uint64_t ram_pages,
			    uint64_t max_ranges, struct plan_ring_plan *out,
			    struct plan_serve_pub *pub)
{
	uint64_t n_send, n_def, keep_send, keep_def, sum = 0;
	/* held back: the pages deferred for their risk; the other pages of
	 * p->deferred are only past the window and QEMU sends them in its
	 * own order after the plan's */
	const uint64_t *held = p->risky ? p->risky : p->deferred;

	memset(pub, 0, sizeof(*pub));
	if (ram_pages > p->pages)
		ram_pages = p->pages;
	n_send = count_send(p, ram_pages);
	keep_send = n_send < max_ranges ? n_send : max_ranges;
	/* deferred ranges fill what the send order leaves */
	pub->send_pages = fill_send(p, ram_pages, out->ranges, keep_send);
	n_def = held ? bitmap_ranges(held, ram_pages, out->ranges + keep_send,
				     max_ranges - keep_send, &sum) : 0;
	keep_def = n_def < max_ranges - keep_send ? n_def
						  : max_ranges - keep_send;
	pub->deferred_pages = keep_def ? sum : 0;
	pub->nr_send = keep_send;
	pub->nr_deferred = keep_def;
	if (keep_send < n_send) {
		uint64_t i, all = 0;

		for (i = 0; i < p->nr_send; i++)
			all += p->send[i] < ram_pages;
		pub->cut_send = all - pub->send_pages;
	}
	if (keep_def < n_def) {
		uint64_t all = 0, w;

		for (w = 0; w < plan_ring_words(ram_pages); w++) {
			uint64_t word = held[w];

			if (w == plan_ring_words(ram_pages) - 1)
				word &= last_word_mask(ram_pages);
			all += (uint64_t)pop64(word);
		}
		pub->cut_deferred = all - pub->deferred_pages;
	}
	out->action = p->action == PLAN_STOP ? PLAN_ACT_STOP : PLAN_ACT_SEND;
	out->flags = 0;
	out->window = p->window < ram_pages ? p->window : ram_pages;
	out->nr_send = keep_send;
	out->nr_deferred = keep_def;
	out->send_pages = pub->send_pages;
	out->deferred_pages = pub->deferred_pages;
	memset(out->reserved, 0, sizeof(out->reserved));
	return (n_send - keep_send) + (n_def - keep_def);
}

int plan_serve__publish(struct plan_serve *s, const struct plan *p,
			uint64_t generation, uint64_t iteration,
			uint64_t ram_pages, struct plan_serve_pub *out)
{
	struct plan_serve_pub pub = { 0 };
	struct plan_ring_hdr *h = s->hdr;
	struct plan_ring_plan *slot;
	uint64_t head, tail;

	if (out)
		*out = pub;
	if (!h || !p || !ram_pages || ram_pages > h->max_pages)
		return -EINVAL;
	head = atomic_load_explicit(&h->plan_head, memory_order_relaxed);
	tail = atomic_load_explicit(&h->plan_tail, memory_order_acquire);
	if (head - tail >= h->plan_slots) {
		s->dropped++;
		return 1;
	}
	slot = plan_ring_slot(h, head);
	s->cut_ranges += plan_serve__encode(p, ram_pages, h->max_ranges, slot,
					    &pub);
	slot->id = s->next_id++;
	slot->generation = generation;
	slot->iteration = iteration;
	slot->created_ns = plan_ring_now_ns();
	slot->checksum = 0;
	slot->checksum = plan_ring_checksum(slot);
	atomic_store_explicit(&h->plan_head, head + 1, memory_order_release);
	pub.id = slot->id;
	s->published++;
	if (out)
		*out = pub;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Page translation
 */

int plan_serve__gfn_to_ram(const struct plan_ring_layout *l,
			   uint32_t page_size, uint64_t gfn, uint64_t *out)
{
	uint32_t i;

	for (i = 0; i < l->nr; i++) {
		const struct plan_ring_block *b = &l->blocks[i];
		uint64_t g0;

		if (b->gpa == PLAN_RING_NO_GPA)
			continue;
		g0 = b->gpa / page_size;
		if (gfn >= g0 && gfn - g0 < b->pages) {
			*out = b->ram_page + (gfn - g0);
			return 0;
		}
	}
	return -ENOENT;
}

int plan_serve__ram_to_gfn(const struct plan_ring_layout *l,
			   uint32_t page_size, uint64_t ram, uint64_t *out)
{
	uint32_t i;

	for (i = 0; i < l->nr; i++) {
		const struct plan_ring_block *b = &l->blocks[i];

		if (b->gpa == PLAN_RING_NO_GPA)
			continue;
		if (ram >= b->ram_page && ram - b->ram_page < b->pages) {
			*out = b->gpa / page_size + (ram - b->ram_page);
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t plan_serve__gfn_bitmap_to_ram(const struct plan_ring_layout *l,
				       uint32_t page_size,
				       const uint64_t *gfn_bm,
				       uint64_t gfn_pages, uint64_t *ram_bm,
				       uint64_t ram_pages)
{
	uint64_t added = 0;
	uint32_t i;

	for (i = 0; i < l->nr; i++) {
		const struct plan_ring_block *b = &l->blocks[i];
		uint64_t g0, k, n;

		if (b->gpa == PLAN_RING_NO_GPA || b->ram_page >= ram_pages)
			continue;
		g0 = b->gpa / page_size;
		if (g0 >= gfn_pages)
			continue;
		n = b->pages;
		if (n > gfn_pages - g0)
			n = gfn_pages - g0;
		if (n > ram_pages - b->ram_page)
			n = ram_pages - b->ram_page;
		for (k = 0; k < n; k++) {
			uint64_t g = g0 + k, r = b->ram_page + k;

			if (g % 64 == 0 && !gfn_bm[g / 64] && n - k >= 64) {
				k += 63;	/* a clean word */
				continue;
			}
			if (gfn_bm[g / 64] >> (g % 64) & 1 &&
			    !(ram_bm[r / 64] >> (r % 64) & 1)) {
				ram_bm[r / 64] |= 1ULL << (r % 64);
				added++;
			}
		}
	}
	return added;
}
