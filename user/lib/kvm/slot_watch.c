// SPDX-License-Identifier: GPL-2.0
/* slot_watch.c - guest memory map from KVM slot ioctls (see slot_watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "slot_watch.h"
#include "slot_watch_common.h"
#include "slot_watch.skel.h"

#define PAGE_SHIFT 12

struct slot_watch {
	struct slot_watch_bpf *skel;
	struct ring_buffer *rb;
	/* state of the poll in progress */
	pid_t tgid;
	struct guest_map *map;
	int changes;
	int error;
};

static void remove_slot(struct guest_map *map, unsigned int i)
{
	memmove(&map->slots[i], &map->slots[i + 1],
		(map->nslots - i - 1) * sizeof(map->slots[0]));
	map->nslots--;
}

/* Apply one registration to the map. Returns 1 if the layout changed, 0
 * if not (only flags changed), or a negative errno. */
static int apply(struct guest_map *map, const struct memslot_event *e)
{
	uint64_t gfn = e->gpa >> PAGE_SHIFT, npages = e->size >> PAGE_SHIFT;
	unsigned int i;
	int ret;

	for (i = 0; i < map->nslots; i++) {
		struct guest_map_slot *s = &map->slots[i];

		if (s->slot != e->slot)
			continue;
		if (npages && s->gpa == e->gpa && s->npages == npages) {
			s->hva = e->hva; /* a flags change: same memory */
			return 0;
		}
		remove_slot(map, i);
		break;
	}
	if (!npages)
		return 1;
	/* Drop stale slots of the same address space this one overlaps. */
	for (i = 0; i < map->nslots;) {
		const struct guest_map_slot *s = &map->slots[i];
		uint64_t sg = s->gpa >> PAGE_SHIFT;

		if ((s->slot >> 16) == (e->slot >> 16) &&
		    gfn < sg + s->npages && sg < gfn + npages)
			remove_slot(map, i);
		else
			i++;
	}
	ret = guest_map__add(map, e->slot, e->gpa, npages, e->hva, NULL);
	return ret ? ret : 1;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct slot_watch *m = ctx;
	const struct memslot_event *e = data;
	int ret;

	if (size < sizeof(*e) || (pid_t)e->tgid != m->tgid || !m->map)
		return 0;
	ret = apply(m->map, e);
	if (ret < 0 && !m->error)
		m->error = ret;
	else if (ret > 0)
		m->changes++;
	return 0;
}

struct slot_watch *slot_watch__open(char *err, size_t errlen)
{
	struct slot_watch *m = calloc(1, sizeof(*m));
	int ret;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->skel = slot_watch_bpf__open_and_load();
	if (!m->skel) {
		snprintf(err, errlen, "cannot load the memory-slot watcher: %s",
			 strerror(errno));
		goto fail;
	}
	ret = slot_watch_bpf__attach(m->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach to raw_syscalls:sys_enter"
			 ": %s", strerror(-ret));
		goto fail;
	}
	m->rb = ring_buffer__new(bpf_map__fd(m->skel->maps.slot_events),
				 handle_event, m, NULL);
	if (!m->rb) {
		snprintf(err, errlen, "cannot open the slot ring buffer: %s",
			 strerror(errno));
		goto fail;
	}
	return m;
fail:
	slot_watch__close(m);
	return NULL;
}

void slot_watch__close(struct slot_watch *m)
{
	if (!m)
		return;
	ring_buffer__free(m->rb);
	slot_watch_bpf__destroy(m->skel);
	free(m);
}

int slot_watch__watch(struct slot_watch *m, pid_t tgid)
{
	__u32 key = tgid;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.watched), &key, &one,
				BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int slot_watch__poll(struct slot_watch *m, pid_t tgid, struct guest_map *map,
		   int timeout_ms, unsigned long long *lost)
{
	int ret;

	m->tgid = tgid;
	m->map = map;
	m->changes = 0;
	m->error = 0;
	ret = ring_buffer__poll(m->rb, timeout_ms);
	m->map = NULL;
	if (lost)
		*lost = __atomic_load_n(&m->skel->bss->lost, __ATOMIC_RELAXED);
	if (ret < 0 && ret != -EINTR)
		return ret;
	return m->error ? m->error : m->changes;
}
