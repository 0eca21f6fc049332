// SPDX-License-Identifier: GPL-2.0
/*
 * guestmem.c - a QEMU process's guest RAM, read in place with
 * process_vm_readv(2). See guestmem.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "guest_abi.h"
#include "guestmem.h"
#include "util/errmsg.h"
#include "util/qmp.h"

#define CHUNK (4u << 20)	/* compared at a time */
#define IOV 1024		/* remote pieces per process_vm_readv */

int guestmem__read(const struct guestmem *g, uint64_t off, void *buf,
		   size_t len)
{
	struct iovec l, r;
	ssize_t n;

	if (!g->pid || off > g->size || len > g->size - off)
		return -EFAULT;
	while (len) {
		l.iov_base = buf;
		l.iov_len = len;
		r.iov_base = (void *)(uintptr_t)(g->base + off);
		r.iov_len = len;
		n = process_vm_readv(g->pid, &l, 1, &r, 1, 0);
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		if (n == 0)
			return -EFAULT;
		buf = (char *)buf + n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int guestmem__attach(struct guestmem *g, pid_t pid, uint64_t base,
		     uint64_t size, char *err, size_t errlen)
{
	unsigned char page[4096];
	int rc;

	memset(g, 0, sizeof(*g));
	g->pid = pid;
	g->base = base;
	g->size = size;
	rc = guestmem__read(g, 0, page, size < sizeof(page) ? size : sizeof(page));
	if (rc) {
		errmsg_set(err, errlen, "cannot read the guest RAM of process %d "
			   "at 0x%" PRIx64 ": %s", (int)pid, base, strerror(-rc));
		memset(g, 0, sizeof(*g));
		return -1;
	}
	return 0;
}

int guestmem__open(struct guestmem *g, pid_t pid, struct qmp *q,
		   uint64_t size, char *err, size_t errlen)
{
	struct json *rep = NULL;
	const char *text, *is;
	char e[256];
	uint64_t base;
	int ret = -1;

	memset(g, 0, sizeof(*g));
	if (qmp__command(q, "human-monitor-command",
			 "{\"command-line\": \"gpa2hva 0\"}", &rep, e, sizeof(e))) {
		errmsg_set(err, errlen, "QMP gpa2hva: %s", e);
		return -1;
	}
	text = json_str(json_get(rep, "return"));
	is = text ? strstr(text, " is 0x") : NULL;
	if (!is || sscanf(is + 4, "%" SCNx64, &base) != 1) {
		errmsg_set(err, errlen, "QEMU did not say where its RAM is "
			   "(gpa2hva 0: %.80s)", text ? text : "no text");
		goto cleanup;
	}
	ret = guestmem__attach(g, pid, base, size, err, errlen);
cleanup:
	json_free(rep);
	return ret;
}

int guestmem__compare(const struct guestmem *a, const struct guestmem *b,
		      uint64_t skip_start, uint64_t skip_end,
		      struct memdiff *d, char *err, size_t errlen)
{
	unsigned char *x = NULL, *y = NULL;
	uint64_t off, n;
	int rc, ret = -1;

	memdiff__start(d);
	if (a->size != b->size) {
		errmsg_set(err, errlen, "RAM sizes differ: %" PRIu64 " and %"
			   PRIu64 " bytes", a->size, b->size);
		return -1;
	}
	x = malloc(CHUNK);
	y = malloc(CHUNK);
	if (!x || !y) {
		errmsg_set(err, errlen, "out of memory");
		goto cleanup;
	}
	for (off = 0; off < a->size; off += n) {
		n = a->size - off < CHUNK ? a->size - off : CHUNK;
		rc = guestmem__read(a, off, x, n);
		if (!rc)
			rc = guestmem__read(b, off, y, n);
		if (rc) {
			errmsg_set(err, errlen, "reading guest RAM at offset 0x%"
				   PRIx64 ": %s", off, strerror(-rc));
			goto cleanup;
		}
		memdiff__chunk(d, x, y, off, n, skip_start, skip_end);
	}
	ret = 0;
cleanup:
	free(x);
	free(y);
	return ret;
}

/* The status block, checked: 0 with *s, *w set, or -1. */
static int read_status(const struct guestmem *g, struct guest_status *s,
		       uint64_t *w)
{
	uint64_t passes;

	if (guestmem__read(g, GUEST_STATUS_GPA, s, sizeof(*s)) ||
	    s->magic != GUEST_STATUS_MAGIC || s->version != GUEST_ABI_VERSION ||
	    guest_status_read_counters(s, w, &passes))
		return -1;
	return 0;
}

int guestmem__status_writes(const struct guestmem *g, uint64_t *writes)
{
	struct guest_status s;

	return read_status(g, &s, writes);
}

int guestmem__guest_writes(const struct guestmem *g, uint64_t *writes)
{
	struct guest_status s;
	struct iovec l[IOV], r[IOV];
	uint32_t words[IOV], x, top = 0;
	uint64_t w, p, pages, k, i;
	ssize_t n;

	if (read_status(g, &s, &w))
		return -1;
	/* The block lags by up to GUEST_STATUS_INTERVAL writes; the data
	 * pages do not: write k stores k (mod 2^32) in its page's first
	 * word, so the largest first word is the last write. */
	pages = s.data_pages;
	if ((uint64_t)s.data_start + (pages << GUEST_PAGE_SHIFT) > g->size)
		pages = 0;
	for (p = 0; p < pages; p += k) {
		k = pages - p < IOV ? pages - p : IOV;
		for (i = 0; i < k; i++) {
			l[i].iov_base = &words[i];
			l[i].iov_len = sizeof(words[i]);
			r[i].iov_base = (void *)(uintptr_t)(g->base + s.data_start +
							    ((p + i) << GUEST_PAGE_SHIFT));
			r[i].iov_len = sizeof(words[i]);
		}
		n = process_vm_readv(g->pid, l, k, r, k, 0);
		if (n != (ssize_t)(k * sizeof(words[0])))
			break;
		for (i = 0; i < k; i++) {
			x = words[i] - (uint32_t)w;	/* writes past the block's */
			if (x < GUEST_STATUS_INTERVAL * 2 && x > top)
				top = x;
		}
	}
	*writes = w + top;
	return 0;
}
