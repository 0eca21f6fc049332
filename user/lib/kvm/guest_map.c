// SPDX-License-Identifier: GPL-2.0
/* memmap.c - a VM's guest-physical memory map (see memmap.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "guest_map.h"

#define PAGE_SHIFT 12

int guest_map__add(struct guest_map *map, uint32_t slot, uint64_t gpa,
		uint64_t npages, uint64_t hva, const char *name)
{
	struct guest_map_slot *s;
	uint64_t gfn = gpa >> PAGE_SHIFT;
	unsigned int i;

	if (map->nslots >= PRECOPY_MAX_SLOTS)
		return -E2BIG;
	if (gpa & ((1u << PAGE_SHIFT) - 1) || !npages ||
	    gfn + npages < gfn)
		return -EINVAL;
	for (i = 0; i < map->nslots; i++) {
		const struct guest_map_slot *o = &map->slots[i];
		uint64_t ogfn = o->gpa >> PAGE_SHIFT;

		if (o->slot == slot)
			return -EINVAL;
		if ((o->slot >> 16) != (slot >> 16))
			continue;
		if (gfn < ogfn + o->npages && ogfn < gfn + npages)
			return -EINVAL;
	}
	s = &map->slots[map->nslots++];
	memset(s, 0, sizeof(*s));
	s->slot = slot;
	s->gpa = gpa;
	s->npages = npages;
	s->hva = hva;
	if (name)
		snprintf(s->name, sizeof(s->name), "%s", name);
	return 0;
}

uint64_t guest_map__pages(const struct guest_map *map)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < map->nslots; i++) {
		uint64_t e = (map->slots[i].gpa >> PAGE_SHIFT) +
			     map->slots[i].npages;
		if (e > end)
			end = e;
	}
	return end;
}

uint64_t guest_map__ram_pages(const struct guest_map *map)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < map->nslots; i++)
		sum += map->slots[i].npages;
	return sum;
}

int guest_map__gfn_of(const struct guest_map *map, uint32_t slot, uint64_t offset,
		   uint64_t *gfn)
{
	unsigned int i;

	for (i = 0; i < map->nslots; i++) {
		if (map->slots[i].slot != slot)
			continue;
		if (offset >= map->slots[i].npages)
			return -ENOENT;
		*gfn = (map->slots[i].gpa >> PAGE_SHIFT) + offset;
		return 0;
	}
	return -ENOENT;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int guest_map__parse(const char *text, struct guest_map *map, char *err,
		  size_t errlen)
{
	const char *p = text;
	int line = 0, ret;

	memset(map, 0, sizeof(*map));
	while (*p) {
		char buf[256], *tok, *save = NULL, name[32] = "";
		uint64_t slot = UINT64_MAX, gpa = UINT64_MAX, pages = 0, hva = 0;
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		line++;
		if (len >= sizeof(buf)) {
			errmsg_set(err, errlen, "memmap line %d: too long", line);
			return -EINVAL;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (nl ? 1 : 0);
		if (strchr(buf, '#'))
			*strchr(buf, '#') = '\0';
		tok = strtok_r(buf, " \t\r", &save);
		if (!tok)
			continue;
		if (strcmp(tok, "slot")) {
			errmsg_set(err, errlen,
				"memmap line %d: expected 'slot', got '%s'",
				line, tok);
			return -EINVAL;
		}
		tok = strtok_r(NULL, " \t\r", &save);
		if (parse_u64(tok, &slot) || slot > UINT32_MAX)
			goto bad;
		while ((tok = strtok_r(NULL, " \t\r", &save))) {
			char *val = strtok_r(NULL, " \t\r", &save);
			uint64_t *dst = NULL;

			if (!val)
				goto bad;
			if (!strcmp(tok, "gpa"))
				dst = &gpa;
			else if (!strcmp(tok, "pages"))
				dst = &pages;
			else if (!strcmp(tok, "hva"))
				dst = &hva;
			else if (!strcmp(tok, "name"))
				snprintf(name, sizeof(name), "%s", val);
			else
				goto bad;
			if (dst && parse_u64(val, dst))
				goto bad;
		}
		if (gpa == UINT64_MAX || !pages)
			goto bad;
		ret = guest_map__add(map, (uint32_t)slot, gpa, pages, hva, name);
		if (ret) {
			errmsg_set(err, errlen,
				"memmap line %d: %s", line,
				ret == -E2BIG ? "too many slots" :
				"unaligned, empty or overlapping slot");
			return -EINVAL;
		}
		continue;
bad:
		errmsg_set(err, errlen,
			"memmap line %d: expected 'slot N gpa 0xADDR pages N "
			"[hva 0xADDR] [name WORD]'", line);
		return -EINVAL;
	}
	return 0;
}

int guest_map__write(const struct guest_map *map, FILE *f)
{
	unsigned int i;

	fprintf(f, "# precopy memmap v1: slot gpa pages hva name\n");
	for (i = 0; i < map->nslots; i++) {
		const struct guest_map_slot *s = &map->slots[i];

		fprintf(f, "slot %u gpa 0x%" PRIx64 " pages %" PRIu64
			   " hva 0x%" PRIx64 "%s%s\n",
			s->slot, s->gpa, s->npages, s->hva,
			s->name[0] ? " name " : "", s->name);
	}
	return ferror(f) ? -EIO : 0;
}

int guest_map__publish(pid_t pid, const struct guest_map *map)
{
	char path[96], tmp[112];
	FILE *f = NULL;
	int ret = 0;

	if (mkdir(MEMMAP_DIR, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), MEMMAP_DIR "/%d.memmap", (int)pid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	ret = guest_map__write(map, f);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int guest_map__unpublish(pid_t pid)
{
	char path[96];

	snprintf(path, sizeof(path), MEMMAP_DIR "/%d.memmap", (int)pid);
	return unlink(path) ? -errno : 0;
}

int guest_map__load_pid(pid_t pid, struct guest_map *map, char *err, size_t errlen)
{
	char path[96], text[16384];
	size_t n;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), MEMMAP_DIR "/%d.memmap", (int)pid);
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		if (ret == -ENOENT)
			errmsg_set(err, errlen,
				"process %d published no memory map (%s): "
				"not a precopy workload VM", (int)pid, path);
		else
			errmsg_set(err, errlen, "cannot read %s: %s", path,
				strerror(-ret));
		return ret;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (ret) {
		errmsg_set(err, errlen, "cannot read %s", path);
		return ret;
	}
	text[n] = '\0';
	return guest_map__parse(text, map, err, errlen);
}
