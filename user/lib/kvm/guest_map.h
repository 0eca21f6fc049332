/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest_map.h - a VM's guest-physical memory map: which KVM memory slot holds
 * which guest-physical pages.
 *
 * The tracker needs it to turn what KVM reports (slot, page offset in the
 * slot) into guest-physical page numbers (gfn). A VMM publishes it; the
 * project's workload runner writes it to /run/precopy/<pid>.memmap while it
 * runs, and QEMU's comes from QMP or the plan ring.
 *
 * Text form, one slot per line, '#' comments allowed:
 *	slot <as_id<<16|id> gpa <hex> pages <n> [hva <hex>] [name <word>]
 */
#ifndef PRECOPY_GUEST_MAP_H
#define PRECOPY_GUEST_MAP_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tracker_common.h" /* PRECOPY_MAX_SLOTS */

#define MEMMAP_DIR "/run/precopy"

struct guest_map_slot {
	uint32_t slot;   /* as_id << 16 | slot id, as KVM reports it */
	uint64_t gpa;    /* guest-physical base address, page aligned */
	uint64_t npages; /* 4 KiB pages */
	uint64_t hva;    /* VMM virtual address of the slot, 0 if unknown */
	char name[32];   /* e.g. "pc.ram", may be empty */
};

struct guest_map {
	unsigned int nslots;
	struct guest_map_slot slots[PRECOPY_MAX_SLOTS];
};

/*
 * guest_map__add() appends a slot. Returns 0, -E2BIG when the map is full,
 * -EINVAL for an unaligned gpa, zero pages, or a range overlapping another
 * slot of the same address space. On error the map is unchanged.
 */
int guest_map__add(struct guest_map *map, uint32_t slot, uint64_t gpa,
		uint64_t npages, uint64_t hva, const char *name);

/* guest_map__pages() returns the number of guest pages the map spans: the
 * highest gfn + 1 (holes included). Cannot fail; 0 for an empty map. */
uint64_t guest_map__pages(const struct guest_map *map);

/* guest_map__ram_pages() returns the sum of all slots' pages. Cannot fail. */
uint64_t guest_map__ram_pages(const struct guest_map *map);

/*
 * guest_map__gfn_of() translates (slot, offset) to a gfn. Returns 0 and sets
 * *gfn, or -ENOENT when no slot matches or offset is beyond it.
 */
int guest_map__gfn_of(const struct guest_map *map, uint32_t slot, uint64_t offset,
		   uint64_t *gfn);

/*
 * guest_map__parse() parses the text form in `text`. Returns 0, or -EINVAL
 * with a message naming the line in err (errlen bytes); `map` is then
 * undefined.
 */
int guest_map__parse(const char *text, struct guest_map *map, char *err,
		  size_t errlen);

/* guest_map__write() writes the text form to f. Returns 0 or -EIO. */
int guest_map__write(const struct guest_map *map, FILE *f);

/*
 * guest_map__publish() writes the map of process `pid` to
 * MEMMAP_DIR/<pid>.memmap atomically (temp file + rename), creating the
 * directory. Returns 0 or a negative errno.
 */
int guest_map__publish(pid_t pid, const struct guest_map *map);

/* guest_map__unpublish() removes the published map of `pid`. Returns 0 or a
 * negative errno (-ENOENT if there was none). */
int guest_map__unpublish(pid_t pid);

/*
 * guest_map__load_pid() reads the map published for `pid`. Returns 0, -ENOENT
 * when the process published none (not a precopy workload VM), or another
 * negative errno; err says which in a sentence.
 */
int guest_map__load_pid(pid_t pid, struct guest_map *map, char *err, size_t errlen);

#endif /* PRECOPY_GUEST_MAP_H */
