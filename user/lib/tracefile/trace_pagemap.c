// SPDX-License-Identifier: GPL-2.0
/* trace_pagemap.c - page numbers of a process trace to addresses
 * (trace_pagemap.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_pagemap.h"
#include "util/errmsg.h"

static int by_page(const void *a, const void *b)
{
	const struct trace_pagemap_range *x = a, *y = b;

	return x->page < y->page ? -1 : x->page > y->page;
}

/* Sorted ranges: inside [0, pages), not overlapping. */
static int check(const struct trace_pagemap_range *r, size_t n,
		 uint64_t pages, size_t *bad)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!r[i].pages || r[i].page >= pages ||
		    r[i].pages > pages - r[i].page ||
		    (i && r[i].page < r[i - 1].page + r[i - 1].pages)) {
			*bad = i;
			return -EINVAL;
		}
	}
	return 0;
}

int trace_pagemap__write(const char *path, uint32_t page_size, uint64_t pages,
			 struct trace_pagemap_range *r, size_t n, char *err,
			 size_t errlen)
{
	FILE *f;
	size_t i, bad;
	int fd;

	qsort(r, n, sizeof(*r), by_page);
	if (check(r, n, pages, &bad)) {
		errmsg_set(err, errlen, "page map: range %zu (pages %" PRIu64
			   "+%" PRIu64 ") overlaps or leaves the %" PRIu64
			   " pages", bad, r[bad].page, r[bad].pages, pages);
		return -EINVAL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		errmsg_set(err, errlen, "cannot create %s: %s", path,
			   strerror(errno));
		return -errno;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		errmsg_set(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	fprintf(f, "# precopy-pagemap v1 page_size=%u pages=%" PRIu64 "\n"
		"# first_page pages pid address\n", page_size, pages);
	for (i = 0; i < n; i++)
		fprintf(f, "%" PRIu64 " %" PRIu64 " %d 0x%" PRIx64 "\n",
			r[i].page, r[i].pages, (int)r[i].pid, r[i].addr);
	if (fflush(f) || ferror(f) || fsync(fileno(f))) {
		int e = errno ? errno : EIO;

		fclose(f);
		unlink(path);
		errmsg_set(err, errlen, "writing %s: %s", path, strerror(e));
		return -e;
	}
	fclose(f);
	return 0;
}

void trace_pagemap__free(struct trace_pagemap *m)
{
	free(m->r);
	memset(m, 0, sizeof(*m));
}

int trace_pagemap__read(const char *path, struct trace_pagemap *m, char *err,
			size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[256];
	size_t cap = 0, lineno = 0, bad;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	if (!f) {
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		struct trace_pagemap_range x;
		unsigned long long a, b, c;
		int pid, end = 0;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			errmsg_set(err, errlen, "%s: line %zu: too long", path,
				   lineno);
			ret = -EINVAL;
			break;
		}
		if (lineno == 1) {
			if (sscanf(line, "# precopy-pagemap v1 page_size=%u "
				   "pages=%llu %n", &m->page_size, &a, &end) != 2 ||
			    line[end] || !m->page_size || !a) {
				errmsg_set(err, errlen, "%s: line 1: not a "
					   "'# precopy-pagemap v1 page_size=N "
					   "pages=N' header", path);
				ret = -EINVAL;
				break;
			}
			m->pages = a;
			continue;
		}
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%llu %llu %d 0x%llx %n", &a, &b, &pid, &c,
			   &end) != 4 || line[end] || pid <= 0) {
			errmsg_set(err, errlen, "%s: line %zu: expected "
				   "'first_page pages pid 0xaddress'", path,
				   lineno);
			ret = -EINVAL;
			break;
		}
		if (m->n == TRACE_PAGEMAP_MAX) {
			errmsg_set(err, errlen, "%s: line %zu: more than %u "
				   "ranges", path, lineno, TRACE_PAGEMAP_MAX);
			ret = -E2BIG;
			break;
		}
		if (m->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *p = realloc(m->r, nc * sizeof(*m->r));

			if (!p) {
				errmsg_set(err, errlen, "out of memory");
				ret = -ENOMEM;
				break;
			}
			m->r = p;
			cap = nc;
		}
		x = (struct trace_pagemap_range){ a, b, c, pid };
		m->r[m->n++] = x;
		if (check(m->r, m->n, m->pages, &bad)) {
			errmsg_set(err, errlen, "%s: line %zu: range unsorted, "
				   "overlapping or past pages=%" PRIu64, path,
				   lineno, m->pages);
			ret = -EINVAL;
			break;
		}
	}
	if (!ret && lineno == 0) {
		errmsg_set(err, errlen, "%s: empty", path);
		ret = -EINVAL;
	}
	fclose(f);
	if (ret)
		trace_pagemap__free(m);
	return ret;
}

int trace_pagemap__addr(const struct trace_pagemap *m, uint64_t page,
			int32_t *pid, uint64_t *addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct trace_pagemap_range *r = &m->r[mid];

		if (page < r->page) {
			hi = mid;
		} else if (page - r->page >= r->pages) {
			lo = mid + 1;
		} else {
			*pid = r->pid;
			*addr = r->addr + (page - r->page) * m->page_size;
			return 0;
		}
	}
	return -ENOENT;
}
