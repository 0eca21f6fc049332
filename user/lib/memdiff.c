// SPDX-License-Identifier: GPL-2.0
/*
 * memdiff.c - compare two guest memory dumps page by page. See memdiff.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "memdiff.h"

#define PAGE 4096u

static uint64_t fnv_words(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Map a whole file read-only; size in *size. NULL on error (err set). */
static void *map_file(const char *path, uint64_t *size, char *err,
		      size_t errlen)
{
	struct stat st;
	void *m = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errmsg_set(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st)) {
		errmsg_set(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		goto cleanup;
	}
	*size = (uint64_t)st.st_size;
	if (!st.st_size) {
		errmsg_set(err, errlen, "%s is empty", path);
		goto cleanup;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		errmsg_set(err, errlen, "cannot map %s: %s", path, strerror(errno));
		m = NULL;
	}
cleanup:
	close(fd);
	return m;
}

int memdiff__files(const char *a, const char *b, uint64_t skip_start,
		   uint64_t skip_end, struct memdiff *d, char *err,
		   size_t errlen)
{
	unsigned char *ma = NULL, *mb = NULL;
	uint64_t sa = 0, sb = 0, off, n;
	int ret = -1;

	memset(d, 0, sizeof(*d));
	ma = map_file(a, &sa, err, errlen);
	if (!ma)
		goto cleanup;
	mb = map_file(b, &sb, err, errlen);
	if (!mb)
		goto cleanup;
	if (sa != sb) {
		errmsg_set(err, errlen, "dumps differ in size: %s %llu bytes, %s %llu",
			   a, (unsigned long long)sa, b, (unsigned long long)sb);
		goto cleanup;
	}
	d->bytes = sa;
	d->hash_a = d->hash_b = 0xcbf29ce484222325ULL;
	for (off = 0; off < sa; off += n) {
		n = sa - off < PAGE ? sa - off : PAGE;
		if (off >= skip_start && off + n <= skip_end) {
			d->skipped += n;
			continue;
		}
		d->hash_a = fnv_words(d->hash_a, ma + off, n);
		d->hash_b = fnv_words(d->hash_b, mb + off, n);
		if (memcmp(ma + off, mb + off, n)) {
			if (!d->diff_pages) {
				uint64_t i = 0;

				while (ma[off + i] == mb[off + i])
					i++;
				d->first_diff = off + i;
			}
			d->diff_pages++;
		}
	}
	ret = 0;
cleanup:
	if (ma)
		munmap(ma, sa);
	if (mb)
		munmap(mb, sb);
	return ret;
}
