// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_trace.c - libFuzzer target for the trace reader (user/lib/tracefile/trace_*.c).
 *
 * Every input is opened with trace_reader__open_mem() and read to the end.
 * Besides the sanitizers' checks, the target asserts what the reader
 * promises: an error always comes with a message naming a line or a byte;
 * returned records are in time order, WRITE pages are below pages, END is
 * last; errors and the end are sticky. A valid trace is then grouped into
 * epochs (counts must add up) and written back in native and text form
 * through the writer, and read again: header and records must be equal.
 *
 * Built by `make fuzz` (tests/fuzz.mk) with -fsanitize=fuzzer and
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, under which the reader ignores
 * CRC mismatches so that mutations reach the block decoders.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tracefile/trace.h"

#define ROUNDTRIP_MAX 200000	/* records kept for the round trip */

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

static bool msg_ok(const char *msg)
{
	return msg && *msg && (strstr(msg, ": line ") || strstr(msg, ": byte ") ||
			       strstr(msg, "out of memory"));
}

/* Read r to the end checking invariants; keep the first ROUNDTRIP_MAX
 * records in *evs (grown as needed) if evs is not NULL. Returns the final
 * value of trace_reader__next() and sets *n. */
static int read_all(struct trace_reader *r, struct trace_event **evs,
		    size_t *n, uint64_t *last_t)
{
	size_t cap = 0;
	const struct trace_header *h = trace_reader__header(r);
	struct trace_event ev;
	uint64_t last = 0;
	bool ended = false;
	size_t k = 0;
	int ret;

	while ((ret = trace_reader__next(r, &ev)) == 1) {
		CHECK(!ended);
		CHECK(ev.t_us >= last);
		CHECK(ev.kind == TRACE_EV_WRITE || ev.kind == TRACE_EV_EPOCH ||
		      ev.kind == TRACE_EV_END);
		if (ev.kind == TRACE_EV_WRITE)
			CHECK(ev.page < h->pages);
		else
			CHECK(ev.page == 0);
		ended = ev.kind == TRACE_EV_END;
		last = ev.t_us;
		if (evs && k < ROUNDTRIP_MAX) {
			if (k == cap) {
				cap = cap ? 2 * cap : 64;
				*evs = realloc(*evs, cap * sizeof(**evs));
				CHECK(*evs);
			}
			(*evs)[k] = ev;
		}
		k++;
	}
	if (ret < 0)
		CHECK(msg_ok(trace_reader__error(r)));
	else
		CHECK(ret == 0 && trace_reader__error(r)[0] == '\0');
	CHECK(trace_reader__next(r, &ev) == ret);
	*n = k;
	if (last_t)
		*last_t = last;
	return ret;
}

static void check_epochs(const uint8_t *data, size_t size, uint64_t epoch_us,
			 size_t nrec)
{
	struct trace_reader *r = trace_reader__open_mem(data, size, NULL, 0);
	struct trace_epochs *e = NULL;
	uint64_t sum = 0;
	int err;

	CHECK(r);
	err = trace_epochs__load(r, epoch_us, &e);
	if (err) {
		CHECK(err == -E2BIG || err == -ENOMEM);
		CHECK(!e && msg_ok(trace_reader__error(r)));
		trace_reader__close(r);
		return;
	}
	for (uint64_t i = 0; i < e->nr_epochs; i++) {
		const struct trace_epoch *ep = &e->epochs[i];
		uint64_t s = 0;

		CHECK(ep->nr_pages <= ep->nr_events);
		for (uint64_t k = 0; k < ep->nr_pages; k++) {
			CHECK(ep->pages[k] < e->hdr.pages);
			CHECK(k == 0 || ep->pages[k] > ep->pages[k - 1]);
			CHECK(ep->counts[k] >= 1);
			s += ep->counts[k];
		}
		CHECK(s == ep->nr_events);
		CHECK(i == 0 || ep->start_us >= e->epochs[i - 1].start_us);
		sum += s;
	}
	CHECK(sum == e->nr_events && e->nr_events <= nrec);
	trace_epochs__free(e);
	trace_reader__close(r);
}

/* Write evs in fmt to a memory file, read it back, compare. */
static void roundtrip(const struct trace_header *h, const struct trace_event *evs,
		      size_t n, enum trace_format fmt)
{
	static int fd = -1;
	struct trace_event *back = NULL;
	struct trace_writer *w;
	struct trace_reader *r;
	char err[512];
	uint8_t *buf;
	size_t m;
	off_t len;

	if (fd < 0)
		fd = memfd_create("fuzz_trace", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	w = trace_writer__open_fd(fd, fmt, h);
	CHECK(w);
	for (size_t i = 0; i < n; i++) {
		int ret = evs[i].kind == TRACE_EV_WRITE ?
			  trace_writer__write_event(w, evs[i].t_us, evs[i].page) :
			  evs[i].kind == TRACE_EV_EPOCH ?
			  trace_writer__mark_epoch(w, evs[i].t_us) :
			  trace_writer__mark_end(w, evs[i].t_us);

		CHECK(ret == 0);
	}
	CHECK(trace_writer__close(w) == 0);
	len = lseek(fd, 0, SEEK_CUR);
	CHECK(len > 0);
	buf = malloc(len);
	CHECK(buf && pread(fd, buf, len, 0) == len);
	r = trace_reader__open_mem(buf, len, err, sizeof(err));
	if (!r)
		fprintf(stderr, "re-read: %s\n", err);
	CHECK(r);
	CHECK(trace_reader__format(r) == fmt);
	CHECK(!memcmp(trace_reader__header(r), h, sizeof(*h)));
	CHECK(read_all(r, &back, &m, NULL) == 0);
	CHECK(m == n);
	for (size_t i = 0; i < n; i++)
		CHECK(back[i].kind == evs[i].kind && back[i].t_us == evs[i].t_us &&
		      back[i].page == evs[i].page);
	trace_reader__close(r);
	free(back);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_event *evs = NULL;
	struct trace_reader *r;
	struct trace_header h;
	uint64_t last_t, epoch_us;
	char err[256];
	size_t n;
	int ret;

	err[0] = '\0';
	r = trace_reader__open_mem(data, size, err, sizeof(err));
	if (!r) {
		CHECK(msg_ok(err));
		return 0;
	}
	h = *trace_reader__header(r);
	CHECK(h.pages >= 1 && h.pages <= TRACE_PAGES_MAX);
	CHECK(h.page_size >= TRACE_PAGE_SIZE_MIN && !(h.page_size & (h.page_size - 1)));
	CHECK(h.meta_cnt <= TRACE_META_MAX);
	ret = read_all(r, &evs, &n, &last_t);
	trace_reader__close(r);
	if (ret == 0) {
		check_epochs(data, size, 0, n);
		/* fixed windows, at most ~64k of them (-E2BIG is unit-tested) */
		epoch_us = 1 + data[size - 1] * 1000ULL;
		if (last_t / epoch_us > 65536)
			epoch_us = last_t / 65536 + 1;
		check_epochs(data, size, epoch_us, n);
		if (n <= ROUNDTRIP_MAX) {
			roundtrip(&h, evs, n, TRACE_FMT_NATIVE);
			roundtrip(&h, evs, n, size & 1 ? TRACE_FMT_TEXT_GZ :
				  TRACE_FMT_TEXT);
		}
	}
	free(evs);
	return 0;
}
