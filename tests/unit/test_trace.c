// SPDX-License-Identifier: GPL-2.0
/*
 * test_trace.c - trace I/O: round trips of every format, format detection,
 * a clear error (with the right line or byte offset) for every class of bad
 * input, writer failure paths, epoch loading, and a 1M-event round trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "util/clock.h"
#include "harness.h"
#include "tracefile/trace.h"
#include "rng.h"

static char tmpdir[64];
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static const char *tpath(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

struct rec {
	enum trace_event_kind kind;
	uint64_t t;
	uint64_t page;
};

/* The reference trace: leading implicit epoch, a harvest-shaped epoch
 * (sorted pages at one time), a repeated page, an empty epoch, the last
 * page, an END record. */
static const struct rec ref[] = {
	{ TRACE_EV_WRITE, 0, 5 },
	{ TRACE_EV_WRITE, 3, 7 },
	{ TRACE_EV_EPOCH, 10, 0 },
	{ TRACE_EV_WRITE, 10, 1 },
	{ TRACE_EV_WRITE, 10, 2 },
	{ TRACE_EV_WRITE, 10, 9 },
	{ TRACE_EV_WRITE, 12, 2 },
	{ TRACE_EV_EPOCH, 20, 0 },
	{ TRACE_EV_EPOCH, 30, 0 },
	{ TRACE_EV_WRITE, 35, 4095 },
	{ TRACE_EV_WRITE, 35, 0 },
	{ TRACE_EV_END, 50, 0 },
};
#define NREF (sizeof(ref) / sizeof(ref[0]))

static void ref_header(struct trace_header *h)
{
	trace_header__init(h, 4096, 4096);
	trace_header__set(h, "command", "redis-server --port 6379");
	trace_header__set(h, "epoch_us", "100000");
	trace_header__set(h, "source", "kvm_dirty_ring_push");
}

static int put_rec(struct trace_writer *w, const struct rec *r)
{
	switch (r->kind) {
	case TRACE_EV_WRITE:
		return trace_writer__write_event(w, r->t, r->page);
	case TRACE_EV_EPOCH:
		return trace_writer__mark_epoch(w, r->t);
	default:
		return trace_writer__mark_end(w, r->t);
	}
}

static bool write_recs(const char *path, enum trace_format fmt,
		       const struct trace_header *h, const struct rec *recs,
		       size_t n)
{
	struct trace_writer *w = trace_writer__open(path, fmt, h);

	if (!ASSERT_NOT_NULL(w, "writer open"))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!ASSERT_OK(put_rec(w, &recs[i]), "write record")) {
			trace_writer__discard(w);
			return false;
		}
	}
	return ASSERT_OK(trace_writer__close(w), "writer close");
}

/* Read r to the end and compare with recs. */
static bool check_recs(struct trace_reader *r, const struct rec *recs, size_t n)
{
	struct trace_event ev;
	size_t i = 0;
	int ret;

	while ((ret = trace_reader__next(r, &ev)) == 1) {
		if (!ASSERT_TRUE(i < n, "no extra records"))
			return false;
		if (!ASSERT_EQ(ev.kind, recs[i].kind, "kind") ||
		    !ASSERT_EQ(ev.t_us, recs[i].t, "t_us") ||
		    !ASSERT_EQ(ev.page, recs[i].page, "page")) {
			printf("  at record %zu\n", i);
			return false;
		}
		i++;
	}
	if (!ASSERT_EQ(ret, 0, "clean end")) {
		printf("  error: %s\n", trace_reader__error(r));
		return false;
	}
	return ASSERT_EQ(i, n, "record count") &&
	       ASSERT_EQ(trace_reader__next(r, &ev), 0, "end is sticky");
}

static bool check_ref_header(const struct trace_header *h)
{
	return ASSERT_EQ(h->page_size, 4096, "page_size") &&
	       ASSERT_EQ(h->pages, 4096, "pages") &&
	       ASSERT_EQ(h->meta_cnt, 3, "meta_cnt") &&
	       ASSERT_STREQ(h->meta[0].key, "command", "meta order") &&
	       ASSERT_STREQ(trace_header__get(h, "command"),
			    "redis-server --port 6379", "command") &&
	       ASSERT_STREQ(trace_header__get(h, "epoch_us"), "100000", "epoch_us") &&
	       ASSERT_STREQ(trace_header__get(h, "source"), "kvm_dirty_ring_push",
			    "source") &&
	       ASSERT_TRUE(trace_header__get(h, "absent") == NULL, "absent key");
}

static void *slurp(const char *path, size_t *len)
{
	struct stat st;
	void *buf = NULL;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0) {
		buf = malloc(st.st_size ? st.st_size : 1);
		if (buf && read(fd, buf, st.st_size) != st.st_size) {
			free(buf);
			buf = NULL;
		}
		*len = st.st_size;
	}
	close(fd);
	return buf;
}

static bool spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(buf, 1, len, f) == len;
	return !fclose(f) && ok;
}

static void roundtrip(enum trace_format fmt)
{
	const char *path = tpath(trace_format__name(fmt));
	struct trace_reader *r = NULL;
	struct trace_header h;
	char err[512];
	void *buf = NULL;
	size_t len;

	ref_header(&h);
	if (!write_recs(path, fmt, &h, ref, NREF))
		return;
	r = trace_reader__open(path, err, sizeof(err));
	if (!ASSERT_NOT_NULL(r, err))
		goto cleanup;
	if (!ASSERT_EQ(trace_reader__format(r), fmt, "format detected") ||
	    !check_ref_header(trace_reader__header(r)) ||
	    !check_recs(r, ref, NREF))
		goto cleanup;
	trace_reader__close(r);

	/* the same bytes from memory */
	buf = slurp(path, &len);
	if (!ASSERT_NOT_NULL(buf, "slurp"))
		goto cleanup;
	r = trace_reader__open_mem(buf, len, err, sizeof(err));
	if (!ASSERT_NOT_NULL(r, err))
		goto cleanup;
	check_recs(r, ref, NREF);
cleanup:
	trace_reader__close(r);
	free(buf);
}

static void test_roundtrip_text(void)
{
	roundtrip(TRACE_FMT_TEXT);
}

static void test_roundtrip_text_gz(void)
{
	roundtrip(TRACE_FMT_TEXT_GZ);
}

static void test_roundtrip_text_zlib(void)
{
	roundtrip(TRACE_FMT_TEXT_ZLIB);
}

static void test_roundtrip_native(void)
{
	roundtrip(TRACE_FMT_NATIVE);
}

/* The exact text the writer produces: the interchange format of trace.h. */
static void test_text_exact(void)
{
	static const char want[] =
		"# precopy-trace v1 page_size=4096 pages=4096\n"
		"# command=redis-server --port 6379\n"
		"# epoch_us=100000\n"
		"# source=kvm_dirty_ring_push\n"
		"0 5\n3 7\n# epoch 10\n10 1\n10 2\n10 9\n12 2\n"
		"# epoch 20\n# epoch 30\n35 4095\n35 0\n# end 50\n";
	struct trace_header h;
	char *buf = NULL;
	size_t len;

	ref_header(&h);
	if (!write_recs(tpath("exact.txt"), TRACE_FMT_TEXT, &h, ref, NREF))
		return;
	buf = slurp(tpath("exact.txt"), &len);
	if (!ASSERT_NOT_NULL(buf, "slurp") ||
	    !ASSERT_EQ(len, strlen(want), "length"))
		goto cleanup;
	ASSERT_TRUE(!memcmp(buf, want, len), "content");
cleanup:
	free(buf);
}

/* Text written by hand or another tool: blanks, CRLF, free comments,
 * metadata with blanks around '=', '#epoch' without a space. */
static void test_text_lenient(void)
{
	static const char in[] =
		"# precopy-trace v1\tpage_size=4096   pages=10 \r\n"
		"# a free comment\n"
		"\n"
		"#  command = qemu  -m 1G \n"
		"# note: a=b is a comment, not metadata\n"
		"  1\t 2  \r\n"
		"# later=ignored\n"
		"#epoch 5\n"
		"# a comment in the body\n"
		"5 3\n"
		"   \n";
	static const struct rec want[] = {
		{ TRACE_EV_WRITE, 1, 2 },
		{ TRACE_EV_EPOCH, 5, 0 },
		{ TRACE_EV_WRITE, 5, 3 },
	};
	struct trace_reader *r;
	const struct trace_header *h;
	char err[512];

	r = trace_reader__open_mem(in, strlen(in), err, sizeof(err));
	if (!ASSERT_NOT_NULL(r, err))
		return;
	h = trace_reader__header(r);
	if (ASSERT_EQ(h->meta_cnt, 1, "metadata only from the preamble"))
		ASSERT_STREQ(trace_header__get(h, "command"), "qemu  -m 1G",
			     "value trimmed");
	check_recs(r, want, 3);
	trace_reader__close(r);
}

/* Native chunk splitting and both payload encodings, bit for bit. */
static void test_native_chunks(void)
{
	uint64_t n = 3 * TRACE_WRITER_CHUNK_EVENTS + 17;
	struct trace_writer *w;
	struct trace_reader *r = NULL;
	struct trace_event ev;
	struct trace_header h;
	char err[512];
	uint64_t i, got = 0;
	int ret;

	trace_header__init(&h, 4096, 1 << 20);
	w = trace_writer__open(tpath("chunks.pct"), TRACE_FMT_NATIVE, &h);
	if (!ASSERT_NOT_NULL(w, "open"))
		return;
	/* one epoch: all at t=7, sorted (SET), longer than a chunk */
	ret = trace_writer__mark_epoch(w, 7);
	for (i = 0; !ret && i < n; i++)
		ret = trace_writer__write_event(w, 7, i * 3);
	/* then unsorted pages at rising times (default encoding) */
	for (i = 0; !ret && i < n; i++)
		ret = trace_writer__write_event(w, 8 + i / 4, (i * 7919) % (1 << 20));
	if (!ASSERT_OK(ret, "write") ||
	    !ASSERT_OK(trace_writer__close(w), "close"))
		return;
	r = trace_reader__open(tpath("chunks.pct"), err, sizeof(err));
	if (!ASSERT_NOT_NULL(r, err))
		return;
	if (!ASSERT_EQ(trace_reader__next(r, &ev), 1, "epoch") ||
	    !ASSERT_EQ(ev.kind, TRACE_EV_EPOCH, "epoch kind"))
		goto cleanup;
	while ((ret = trace_reader__next(r, &ev)) == 1) {
		uint64_t t = got < n ? 7 : 8 + (got - n) / 4;
		uint64_t p = got < n ? got * 3 : ((got - n) * 7919) % (1 << 20);

		if (!ASSERT_EQ(ev.kind, TRACE_EV_WRITE, "kind") ||
		    !ASSERT_EQ(ev.t_us, t, "t") || !ASSERT_EQ(ev.page, p, "page"))
			goto cleanup;
		got++;
	}
	ASSERT_EQ(ret, 0, "end");
	ASSERT_EQ(got, 2 * n, "events");
cleanup:
	trace_reader__close(r);
}

/* ---- detection ---- */

static bool gzip_file(const char *src, const char *dst, const char *mode)
{
	size_t len;
	void *buf = slurp(src, &len);
	gzFile g;
	bool ok;

	if (!buf)
		return false;
	g = gzopen(dst, mode);
	ok = g && gzwrite(g, buf, len) == (int)len;
	ok = g && gzclose(g) == Z_OK && ok;
	free(buf);
	return ok;
}

static bool zlib_file(const char *src, const char *dst)
{
	size_t len;
	void *buf = slurp(src, &len);
	uLongf clen = compressBound(len);
	void *cbuf = malloc(clen);
	bool ok;

	ok = buf && cbuf && compress2(cbuf, &clen, buf, len, 9) == Z_OK &&
	     spit(dst, cbuf, clen);
	free(buf);
	free(cbuf);
	return ok;
}

static void test_autodetect(void)
{
	static const struct {
		const char *name;
		enum trace_format fmt;
	} want[] = {
		{ "det.txt", TRACE_FMT_TEXT },
		{ "det.txt.gz", TRACE_FMT_TEXT_GZ },
		{ "det.txt.z", TRACE_FMT_TEXT_ZLIB },
		{ "det.pct", TRACE_FMT_NATIVE },
		{ "det.pct.gz", TRACE_FMT_NATIVE_GZ },
		{ "det.pct.z", TRACE_FMT_NATIVE_ZLIB },
	};
	struct trace_header h;
	char err[512];

	ref_header(&h);
	if (!write_recs(tpath("det.txt"), TRACE_FMT_TEXT, &h, ref, NREF) ||
	    !write_recs(tpath("det.txt.gz"), TRACE_FMT_TEXT_GZ, &h, ref, NREF) ||
	    !write_recs(tpath("det.txt.z"), TRACE_FMT_TEXT_ZLIB, &h, ref, NREF) ||
	    !write_recs(tpath("det.pct"), TRACE_FMT_NATIVE, &h, ref, NREF) ||
	    !ASSERT_TRUE(gzip_file(tpath("det.pct"), tpath("det.pct.gz"), "wb9"),
			 "gzip native") ||
	    !ASSERT_TRUE(zlib_file(tpath("det.pct"), tpath("det.pct.z")),
			 "zlib native"))
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct trace_reader *r = trace_reader__open(tpath(want[i].name),
							    err, sizeof(err));

		if (!ASSERT_NOT_NULL(r, err))
			continue;
		if (ASSERT_EQ(trace_reader__format(r), want[i].fmt, want[i].name))
			check_recs(r, ref, NREF);
		trace_reader__close(r);
	}
}

/* `cat a.gz b.gz` is one valid gzip file. */
static void test_gzip_members(void)
{
	static const char a[] = "# precopy-trace v1 page_size=4096 pages=10\n1 2\n";
	static const char b[] = "3 4\n";
	static const struct rec want[] = {
		{ TRACE_EV_WRITE, 1, 2 }, { TRACE_EV_WRITE, 3, 4 },
	};
	struct trace_reader *r;
	char err[512];
	gzFile g;

	g = gzopen(tpath("members.gz"), "wb");
	if (!ASSERT_NOT_NULL(g, "gzopen"))
		return;
	gzwrite(g, a, strlen(a));
	gzclose(g);
	g = gzopen(tpath("members.gz"), "ab");
	if (!ASSERT_NOT_NULL(g, "gzopen append"))
		return;
	gzwrite(g, b, strlen(b));
	gzclose(g);
	r = trace_reader__open(tpath("members.gz"), err, sizeof(err));
	if (!ASSERT_NOT_NULL(r, err))
		return;
	check_recs(r, want, 2);
	trace_reader__close(r);
}

static void test_stdin(void)
{
	struct trace_header h;
	struct trace_reader *r = NULL;
	char err[512];
	int saved = -1, fd = -1;

	ref_header(&h);
	if (!write_recs(tpath("stdin.gz"), TRACE_FMT_TEXT_GZ, &h, ref, NREF))
		return;
	fd = open(tpath("stdin.gz"), O_RDONLY);
	saved = dup(STDIN_FILENO);
	if (!ASSERT_TRUE(fd >= 0 && saved >= 0, "fds") ||
	    !ASSERT_TRUE(dup2(fd, STDIN_FILENO) == STDIN_FILENO, "dup2"))
		goto cleanup;
	r = trace_reader__open("-", err, sizeof(err));
	if (!ASSERT_NOT_NULL(r, err))
		goto cleanup;
	check_recs(r, ref, NREF);
	trace_reader__close(r);
	r = NULL;
cleanup:
	if (saved >= 0) {
		dup2(saved, STDIN_FILENO);
		close(saved);
	}
	if (fd >= 0)
		close(fd);
}

/* ---- bad input ---- */

/* Open buf and read it to the end: the error (from open or next) must be
 * -EINVAL and contain every needle. */
static bool expect_error_mem(const char *what, const void *buf, size_t len,
			     const char *n1, const char *n2)
{
	struct trace_reader *r;
	struct trace_event ev;
	char err[512] = "";
	const char *msg = err;
	int ret;

	r = trace_reader__open_mem(buf, len, err, sizeof(err));
	if (!r) {
		ret = -errno;
	} else {
		while ((ret = trace_reader__next(r, &ev)) == 1)
			;
		msg = trace_reader__error(r);
	}
	bool ok = harness_check(ret == -EINVAL, __FILE__, __LINE__, what,
				"expected -EINVAL") &&
		  harness_check(strstr(msg, n1) != NULL, __FILE__, __LINE__, what, n1) &&
		  harness_check(!n2 || strstr(msg, n2) != NULL, __FILE__, __LINE__,
				what, n2 ? n2 : "");
	if (!ok)
		printf("  message was: \"%s\"\n", msg);
	else if (r)
		ok = ASSERT_EQ(trace_reader__next(r, &ev), -EINVAL, "error is sticky");
	trace_reader__close(r);
	return ok;
}

static bool expect_error(const char *what, const char *text, const char *n1,
			 const char *n2)
{
	return expect_error_mem(what, text, strlen(text), n1, n2);
}

#define HDR "# precopy-trace v1 page_size=4096 pages=10\n"

static void test_bad_text(void)
{
	char *big;

	expect_error("empty", "", "empty file", NULL);
	expect_error_mem("NULL empty", NULL, 0, "empty file", NULL);
	expect_error("garbage", "hello world\n", "not a precopy trace", NULL);
	expect_error("binary garbage", "\x01\x02\x03", "not a precopy trace", NULL);
	expect_error("header missing", "1 2\n", "not a precopy trace", NULL);
	expect_error("header missing, comment", "# hello\n1 2\n", "line 1:",
		     "missing header");
	expect_error("header only '#'", "#\n", "line 1:", "missing header");
	expect_error("version", "# precopy-trace v2 page_size=4096 pages=10\n",
		     "line 1:", "unsupported trace version 'v2'");
	expect_error("page_size", "# precopy-trace v1 page_size=4000 pages=10\n",
		     "line 1:", "page_size '4000'");
	expect_error("page_size missing", "# precopy-trace v1 pages=10\n",
		     "line 1:", "expected 'page_size='");
	expect_error("pages=0", "# precopy-trace v1 page_size=4096 pages=0\n",
		     "line 1:", "pages '0'");
	expect_error("pages huge",
		     "# precopy-trace v1 page_size=4096 pages=99999999999999999999\n",
		     "line 1:", "pages '99999999999999999999'");
	expect_error("header extra",
		     "# precopy-trace v1 page_size=4096 pages=10 foo=1\n",
		     "line 1:", "unexpected 'foo=1'");
	expect_error("header truncated", "# precopy-trace v1 page_size=4096 pages=10",
		     "line 1:", "truncated");
	expect_error("page out of range", HDR "1 2\n3 10\n", "line 3:",
		     "page 10 out of range: the header says pages=10");
	expect_error("time backwards", HDR "5 1\n6 1\n4 1\n", "line 4:",
		     "time goes backwards: time 4 is before the previous record's 6");
	expect_error("non-numeric page", HDR "1 x\n", "line 2:",
		     "page 'x' is not an unsigned decimal number");
	expect_error("non-numeric time", HDR "\n\nabc 1\n", "line 4:",
		     "time 'abc' is not");
	expect_error("negative", HDR "-1 2\n", "line 2:", "time '-1'");
	expect_error("hex", HDR "0x10 2\n", "line 2:", "time '0x10'");
	expect_error("time overflow", HDR "18446744073709551616 1\n", "line 2:",
		     "does not fit in 64 bits");
	expect_error("one field", HDR "1\n", "line 2:", "expected '<t_us> <page>'");
	expect_error("three fields", HDR "1 2 3\n", "line 2:", "extra '3'");
	expect_error("truncated line", HDR "1 2\n3 4", "line 3:",
		     "truncated file: the last line has no newline");
	expect_error_mem("NUL byte", HDR "1 2\0\n", strlen(HDR) + 5, "line 2:",
			 "page '2?'");
	expect_error("bad epoch", HDR "# epoch\n", "line 2:", "bad epoch marker");
	expect_error("bad epoch time", HDR "# epoch x\n", "line 2:",
		     "epoch time 'x' is not");
	expect_error("epoch backwards", HDR "7 1\n# epoch 6\n", "line 3:",
		     "epoch time 6 is before");
	expect_error("bad end", HDR "# end 1 2\n", "line 2:", "bad end marker");
	expect_error("record after end", HDR "1 2\n# end 5\n# ok comment\n6 1\n",
		     "line 5:", "record after the end marker of line 3");
	expect_error("epoch after end", HDR "# end 5\n# epoch 6\n", "line 3:",
		     "after the end marker");
	expect_error("bad metadata key", HDR "# 1abc=5\n", "line 2:",
		     "bad metadata '1abc'");
	expect_error("reserved metadata key", HDR "# epoch=5\n", "line 2:", "reserved");
	expect_error("metadata control char", HDR "# k=a\x01z\n", "line 2:",
		     "control character");
	expect_error("duplicate metadata", HDR "# k=1\n# k=2\n", "line 3:",
		     "duplicate metadata key 'k'");

	big = malloc(8192);
	if (!ASSERT_NOT_NULL(big, "malloc"))
		return;
	/* overlong metadata: key, value */
	snprintf(big, 8192, HDR "# %0*d=1\n", 40, 0);
	big[strlen(HDR) + 2] = 'k';
	expect_error("metadata key too long", big, "line 2:", "longer than 32");
	snprintf(big, 8192, HDR "# k=%0*d\n", 300, 0);
	expect_error("metadata value too long", big, "line 2:", "longer than 256");
	/* too many entries */
	strcpy(big, HDR);
	for (int i = 0; i <= TRACE_META_MAX; i++)
		sprintf(big + strlen(big), "# k%d=v\n", i);
	expect_error("too much metadata", big, "line 34:", "more than 32 metadata");
	/* overlong line, with and without a newline within the buffer */
	snprintf(big, 8192, HDR "1 2\n%0*d\n", 2000, 0);
	expect_error("overlong line", big, "line 3:", "longer than 1024 bytes");
	snprintf(big, 8192, HDR "%0*d", 3000, 0);
	expect_error("overlong unterminated line", big, "line 2:",
		     "longer than 1024 bytes");
	free(big);
}

/* Compressed text: errors keep their line numbers; stream damage is named. */
static void test_bad_compressed(void)
{
	static const char bad[] = HDR "1 2\n3 4\n5 99\n";
	struct trace_header h;
	uint8_t *buf = NULL, *cut = NULL;
	size_t len;

	if (!ASSERT_TRUE(spit(tpath("bad.txt"), bad, strlen(bad)), "spit") ||
	    !ASSERT_TRUE(gzip_file(tpath("bad.txt"), tpath("bad.gz"), "wb"), "gz"))
		return;
	buf = slurp(tpath("bad.gz"), &len);
	if (!ASSERT_NOT_NULL(buf, "slurp"))
		return;
	expect_error_mem("gz line number", buf, len, "line 4:", "page 99 out of range");
	free(buf);

	ref_header(&h);
	if (!write_recs(tpath("ok.gz"), TRACE_FMT_TEXT_GZ, &h, ref, NREF))
		return;
	buf = slurp(tpath("ok.gz"), &len);
	cut = malloc(len + 8);
	if (!ASSERT_NOT_NULL(buf, "slurp") || !ASSERT_NOT_NULL(cut, "malloc"))
		goto cleanup;
	/* every truncation of a gzip stream is reported as such */
	for (size_t n = 10; n < len; n++)
		if (!expect_error_mem("truncated gzip", buf, n, "truncated gzip stream",
				      "compressed input byte"))
			break;
	expect_error_mem("truncated gzip, line", buf, len - 4, "line ", "truncated gzip");
	/* a damaged byte in the deflate data or the trailer */
	memcpy(cut, buf, len);
	cut[len - 6] ^= 0x40;
	expect_error_mem("gzip crc", cut, len, "corrupt gzip stream", NULL);
	memcpy(cut, buf, len);
	memcpy(cut + len, "junk", 4);
	expect_error_mem("gzip trailing garbage", cut, len + 4,
			 "garbage after the end of the gzip stream", NULL);
	free(buf);
	free(cut);
	cut = NULL;

	if (!write_recs(tpath("ok.z"), TRACE_FMT_TEXT_ZLIB, &h, ref, NREF))
		return;
	buf = slurp(tpath("ok.z"), &len);
	if (!ASSERT_NOT_NULL(buf, "slurp"))
		return;
	expect_error_mem("truncated zlib", buf, len - 3, "truncated zlib stream", NULL);
	buf[len - 1] ^= 1;
	expect_error_mem("zlib adler", buf, len, "corrupt zlib stream",
			 "incorrect data check");
cleanup:
	free(buf);
	free(cut);
}

/* Byte offsets of the reference native file. */
static size_t native_meta_end(const uint8_t *buf)
{
	return 32 + (buf[24] | buf[25] << 8) + 4;	/* first block */
}

static void test_bad_native(void)
{
	struct trace_header h;
	uint8_t *buf = NULL, *cp = NULL;
	char want[64];
	size_t len, blk;

	ref_header(&h);
	if (!write_recs(tpath("bad.pct"), TRACE_FMT_NATIVE, &h, ref, NREF))
		return;
	buf = slurp(tpath("bad.pct"), &len);
	cp = malloc(len + 64);
	if (!ASSERT_NOT_NULL(buf, "slurp") || !ASSERT_NOT_NULL(cp, "malloc"))
		goto cleanup;
	blk = native_meta_end(buf);

	/* every proper prefix is an error, never a silently short trace */
	for (size_t n = 0; n < len; n++) {
		const char *needle = n == 0 ? "empty file" : "truncated";

		if (!expect_error_mem("truncated native", buf, n, needle, NULL)) {
			printf("  at prefix %zu\n", n);
			break;
		}
	}
	expect_error_mem("truncated in file header", buf, 20, "byte 20:",
			 "truncated file header");
	expect_error_mem("truncated in block header", buf, blk + 10, "byte ",
			 "truncated block header");
	snprintf(want, sizeof(want), "byte %zu:", blk);
	expect_error_mem("truncated in payload", buf, blk + 33, want,
			 "truncated block: payload has 1 of");
	expect_error_mem("no END block", buf, len - 32, "truncated file: it ends without an END block",
			 NULL);

	/* every single flipped bit is caught (all bytes are under a CRC) */
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(cp, buf, len);
			cp[i] ^= 1 << bit;
			if (!expect_error_mem("bit flip", cp, len, "byte ", NULL)) {
				printf("  at byte %zu bit %d\n", i, bit);
				goto cleanup;
			}
		}
	}
	memcpy(cp, buf, len);
	cp[40] ^= 1;
	snprintf(want, sizeof(want), "byte %zu:", blk - 4);
	expect_error_mem("header crc", cp, len, want, "file header CRC mismatch");
	memcpy(cp, buf, len);
	cp[blk + 33] ^= 0x10;
	snprintf(want, sizeof(want), "byte %zu:", blk);
	expect_error_mem("block crc", cp, len, want, "block CRC mismatch (stored 0x");
	memcpy(cp, buf, len);
	cp[8] = 2;
	expect_error_mem("version (CRC first)", cp, len, "CRC mismatch", NULL);
	memcpy(cp, buf, len);
	memcpy(cp + len, "x", 1);
	snprintf(want, sizeof(want), "byte %zu:", len);
	expect_error_mem("data after END", cp, len + 1, want, "data after the END block");
	memcpy(cp, buf, len);
	memcpy(cp + blk, "XXXX", 4);
	snprintf(want, sizeof(want), "byte %zu:", blk);
	expect_error_mem("block magic", cp, len, want, "bad block magic");
	memcpy(cp, "PCTRACE2", 8);
	expect_error_mem("native version", cp, len, "unsupported native trace version '2'",
			 NULL);
cleanup:
	free(buf);
	free(cp);
}

/* Hand-made native blocks with valid CRCs but bad content. */
static size_t mk_block(uint8_t *b, uint8_t type, uint8_t flags, uint32_t count,
		       uint64_t base, const uint8_t *payload, uint32_t len)
{
	uint32_t crc;

	memcpy(b, "PCTB", 4);
	b[4] = type;
	b[5] = flags;
	b[6] = b[7] = 0;
	for (int i = 0; i < 4; i++) {
		b[8 + i] = count >> (8 * i);
		b[12 + i] = len >> (8 * i);
		b[16 + i] = len >> (8 * i);
		b[28 + i] = 0;
	}
	for (int i = 0; i < 8; i++)
		b[20 + i] = base >> (8 * i);
	if (len)
		memcpy(b + 32, payload, len);
	crc = crc32(0, b, 28);
	if (len)	/* crc32(crc, NULL, 0) returns 0, not crc */
		crc = crc32(crc, payload, len);
	for (int i = 0; i < 4; i++)
		b[28 + i] = crc >> (8 * i);
	return 32 + len;
}

static void test_bad_native_content(void)
{
	struct trace_header h;
	uint8_t *hdr = NULL, buf[512];
	size_t hlen, n;
	char want[64];

	trace_header__init(&h, 4096, 10);
	if (!write_recs(tpath("empty.pct"), TRACE_FMT_NATIVE, &h, NULL, 0))
		return;
	hdr = slurp(tpath("empty.pct"), &hlen);
	if (!ASSERT_NOT_NULL(hdr, "slurp") || !ASSERT_EQ(hlen, 36 + 32, "size"))
		goto cleanup;
	hlen -= 32;	/* drop the END block */
	memcpy(buf, hdr, hlen);

	/* page out of range at event 1: byte of its page varint */
	n = hlen + mk_block(buf + hlen, 1, 0, 2, 0, (const uint8_t[]){ 1, 2, 0, 20 }, 4);
	n += mk_block(buf + n, 2, 0, 0, 0, NULL, 0);
	snprintf(want, sizeof(want), "byte %zu:", hlen + 32 + 3);
	expect_error_mem("native page range", buf, n, want,
			 "event 1 of the block at byte 36: page 11 out of range");
	/* time going backwards between chunks */
	n = hlen + mk_block(buf + hlen, 1, 1, 0, 100, NULL, 0);
	n += mk_block(buf + n, 1, 1, 0, 99, NULL, 0);
	snprintf(want, sizeof(want), "byte %zu:", hlen + 32 + 20);
	expect_error_mem("native backwards", buf, n, want, "time goes backwards");
	/* garbage after the last event */
	n = hlen + mk_block(buf + hlen, 1, 0, 1, 0, (const uint8_t[]){ 1, 2, 0 }, 3);
	n += mk_block(buf + n, 2, 0, 0, 0, NULL, 0);
	expect_error_mem("native payload garbage", buf, n, "1 bytes of garbage", NULL);
	/* unterminated varint */
	n = hlen + mk_block(buf + hlen, 1, 0, 1, 0, (const uint8_t[]){ 0x81, 0x82 }, 2);
	expect_error_mem("native varint", buf, n, "varint runs past the payload", NULL);
	/* SET pages must go up and stay in range */
	n = hlen + mk_block(buf + hlen, 1, 2, 3, 5, (const uint8_t[]){ 3, 0, 9 }, 3);
	expect_error_mem("native set range", buf, n, "event 2", "page 14 out of range");
	/* unknown type and flags, empty continuation chunk */
	n = hlen + mk_block(buf + hlen, 9, 0, 0, 0, NULL, 0);
	expect_error_mem("block type", buf, n, "unknown block type 9", NULL);
	n = hlen + mk_block(buf + hlen, 1, 0x41, 0, 0, NULL, 0);
	expect_error_mem("block flags", buf, n, "unknown chunk flags 0x41", NULL);
	n = hlen + mk_block(buf + hlen, 1, 0, 0, 0, NULL, 0);
	expect_error_mem("empty chunk", buf, n, "neither an epoch marker nor events",
			 NULL);
	/* a count the payload cannot hold */
	n = hlen + mk_block(buf + hlen, 1, 0, 1000, 0, (const uint8_t[]){ 1, 2 }, 2);
	expect_error_mem("count", buf, n, "raw_len 2 impossible for 1000 events", NULL);
	/* end before the last record */
	n = hlen + mk_block(buf + hlen, 1, 1, 0, 100, NULL, 0);
	n += mk_block(buf + n, 2, 8, 0, 50, NULL, 0);
	expect_error_mem("end backwards", buf, n, "end time 50 is before", NULL);
cleanup:
	free(hdr);
}

/* ---- writer ---- */

static void test_header_rules(void)
{
	struct trace_header h;
	char long_val[300];

	ASSERT_EQ(trace_header__init(&h, 4000, 10), -EINVAL, "page_size");
	ASSERT_EQ(trace_header__init(&h, 4096, 0), -EINVAL, "pages 0");
	ASSERT_EQ(trace_header__init(&h, 4096, TRACE_PAGES_MAX + 1), -EINVAL, "pages big");
	if (!ASSERT_OK(trace_header__init(&h, 2 << 20, 8192), "huge pages"))
		return;
	ASSERT_EQ(trace_header__set(&h, "", "v"), -EINVAL, "empty key");
	ASSERT_EQ(trace_header__set(&h, "9k", "v"), -EINVAL, "digit first");
	ASSERT_EQ(trace_header__set(&h, "a b", "v"), -EINVAL, "blank in key");
	ASSERT_EQ(trace_header__set(&h, "epoch", "v"), -EINVAL, "reserved");
	ASSERT_EQ(trace_header__set(&h, "k", "a\nb"), -EINVAL, "newline");
	ASSERT_EQ(trace_header__set(&h, "k", " a"), -EINVAL, "leading blank");
	ASSERT_EQ(trace_header__set(&h, "abcdefghijabcdefghijabcdefghijabc", "v"),
		  -E2BIG, "key 33");
	memset(long_val, 'v', sizeof(long_val) - 1);
	long_val[sizeof(long_val) - 1] = '\0';
	ASSERT_EQ(trace_header__set(&h, "k", long_val), -E2BIG, "value 299");
	long_val[TRACE_META_VAL_MAX] = '\0';
	ASSERT_OK(trace_header__set(&h, "k", long_val), "value 256");
	ASSERT_OK(trace_header__set(&h, "k", "x"), "replace");
	ASSERT_STREQ(trace_header__get(&h, "k"), "x", "replaced");
	for (int i = 1; i < TRACE_META_MAX; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		if (!ASSERT_OK(trace_header__set(&h, key, ""), "fill"))
			return;
	}
	ASSERT_EQ(trace_header__set(&h, "one.more", "v"), -ENOSPC, "full");
	ASSERT_EQ(h.meta_cnt, TRACE_META_MAX, "count");

	/* a full header round-trips too */
	if (!write_recs(tpath("fullhdr.pct"), TRACE_FMT_NATIVE, &h, ref, 2))
		return;
	struct trace_reader *r = trace_reader__open(tpath("fullhdr.pct"), NULL, 0);

	if (ASSERT_NOT_NULL(r, "open") &&
	    ASSERT_EQ(trace_reader__header(r)->meta_cnt, TRACE_META_MAX, "meta_cnt"))
		ASSERT_TRUE(!memcmp(trace_reader__header(r), &h, sizeof(h)), "same header");
	trace_reader__close(r);

	/* the writer refuses a broken header */
	h.meta[3].key[0] = '%';
	errno = 0;
	ASSERT_TRUE(trace_writer__open(tpath("x"), TRACE_FMT_TEXT, &h) == NULL, "bad hdr");
	ASSERT_EQ(errno, EINVAL, "errno");
	ASSERT_TRUE(trace_writer__open(tpath("x"), TRACE_FMT_NATIVE_GZ, &h) == NULL,
		    "read-only format");
	ASSERT_TRUE(access(tpath("x"), F_OK) != 0, "nothing created");
}

static void test_writer_rejects(void)
{
	static const enum trace_format fmts[] = {
		TRACE_FMT_TEXT, TRACE_FMT_TEXT_GZ, TRACE_FMT_NATIVE,
	};
	static const struct rec want[] = {
		{ TRACE_EV_WRITE, 5, 1 },
		{ TRACE_EV_EPOCH, 6, 0 },
		{ TRACE_EV_WRITE, 7, 9 },
		{ TRACE_EV_END, 8, 0 },
	};

	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		const char *path = tpath("rejects");
		struct trace_reader *r;
		struct trace_writer *w;
		struct trace_header h;

		trace_header__init(&h, 4096, 10);
		w = trace_writer__open(path, fmts[f], &h);
		if (!ASSERT_NOT_NULL(w, "open"))
			return;
		ASSERT_OK(trace_writer__write_event(w, 5, 1), "ok");
		ASSERT_EQ(trace_writer__write_event(w, 6, 10), -EINVAL, "page range");
		ASSERT_TRUE(strstr(trace_writer__error(w), "page 10 out of range"), "msg");
		ASSERT_EQ(trace_writer__write_event(w, 4, 1), -EINVAL, "backwards");
		ASSERT_EQ(trace_writer__mark_epoch(w, 4), -EINVAL, "epoch backwards");
		ASSERT_OK(trace_writer__mark_epoch(w, 6), "epoch");
		ASSERT_OK(trace_writer__write_event(w, 7, 9), "ok after rejects");
		ASSERT_OK(trace_writer__mark_end(w, 8), "end");
		ASSERT_EQ(trace_writer__write_event(w, 9, 1), -EINVAL, "after end");
		ASSERT_EQ(trace_writer__mark_end(w, 9), -EINVAL, "end twice");
		ASSERT_TRUE(access(path, F_OK) != 0, "not visible before close");
		if (!ASSERT_OK(trace_writer__close(w), "close"))
			return;
		r = trace_reader__open(path, NULL, 0);
		if (ASSERT_NOT_NULL(r, "reopen"))
			check_recs(r, want, 4);
		trace_reader__close(r);
		unlink(path);
	}
}

static int count_dir_entries(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", tmpdir);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

/* A full disk must not lose data silently. */
static void test_writer_full_disk(void)
{
	static const enum trace_format fmts[] = {
		TRACE_FMT_TEXT, TRACE_FMT_TEXT_GZ, TRACE_FMT_NATIVE,
	};
	struct trace_header h;

	if (access("/dev/full", W_OK)) {
		TEST_SKIP("/dev/full not writable");
		return;
	}
	trace_header__init(&h, 4096, 1 << 20);
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		struct trace_writer *w = trace_writer__open("/dev/full", fmts[f], &h);
		int err = 0;

		if (!ASSERT_NOT_NULL(w, "open /dev/full"))
			return;
		/* small: the error only shows at close */
		ASSERT_OK(trace_writer__write_event(w, 1, 1), "buffered");
		ASSERT_EQ(trace_writer__close(w), -ENOSPC, "close reports ENOSPC");

		/* large (random pages defeat compression): the error shows
		 * while writing, and sticks */
		w = trace_writer__open("/dev/full", fmts[f], &h);
		if (!ASSERT_NOT_NULL(w, "open /dev/full"))
			return;
		for (uint64_t i = 0; i < 2000000 && !err; i++)
			err = trace_writer__write_event(w, i, rng_next(&rng_state) % (1 << 20));
		ASSERT_EQ(err, -ENOSPC, "write reports ENOSPC");
		ASSERT_EQ(trace_writer__mark_epoch(w, 1ULL << 40), -ENOSPC, "sticky");
		ASSERT_EQ(trace_writer__close(w), -ENOSPC, "close too");
	}
}

/* A write error on a regular file leaves neither the trace nor a
 * temporary file, and an older trace at the path survives. */
static void test_writer_efbig(void)
{
	const char *path = tpath("efbig.txt");
	static const char old[] = HDR "1 1\n";
	struct rlimit saved, lim;
	struct trace_header h;
	struct trace_writer *w;
	size_t len;
	char *buf;
	int before, err = 0;

	if (!ASSERT_TRUE(spit(path, old, strlen(old)), "old trace"))
		return;
	before = count_dir_entries();
	trace_header__init(&h, 4096, 10);
	if (getrlimit(RLIMIT_FSIZE, &saved))
		return;
	signal(SIGXFSZ, SIG_IGN);
	lim = saved;
	lim.rlim_cur = 100000;
	if (!ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim), "setrlimit"))
		return;
	w = trace_writer__open(path, TRACE_FMT_TEXT, &h);
	if (ASSERT_NOT_NULL(w, "open")) {
		for (uint64_t i = 0; i < 100000 && !err; i++)
			err = trace_writer__write_event(w, i, i % 10);
		ASSERT_EQ(err, -EFBIG, "write fails");
		ASSERT_EQ(trace_writer__close(w), -EFBIG, "close fails");
	}
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_DFL);
	ASSERT_EQ(count_dir_entries(), before, "no temporary file left");
	buf = slurp(path, &len);
	if (ASSERT_NOT_NULL(buf, "old trace kept"))
		ASSERT_TRUE(len == strlen(old) && !memcmp(buf, old, len), "unchanged");
	free(buf);

	/* discard publishes nothing either */
	w = trace_writer__open(tpath("discarded"), TRACE_FMT_NATIVE, &h);
	if (ASSERT_NOT_NULL(w, "open")) {
		trace_writer__write_event(w, 1, 1);
		trace_writer__discard(w);
	}
	ASSERT_EQ(count_dir_entries(), before, "discard leaves nothing");
}

static void test_writer_stdout(void)
{
	struct trace_header h;
	struct trace_writer *w;
	int saved, fd;
	char *buf;
	size_t len;

	trace_header__init(&h, 4096, 10);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(tpath("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!ASSERT_TRUE(saved >= 0 && fd >= 0, "fds"))
		return;
	dup2(fd, STDOUT_FILENO);
	w = trace_writer__open("-", TRACE_FMT_TEXT, &h);
	if (w) {
		trace_writer__write_event(w, 3, 4);
		trace_writer__close(w);
	}
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	ASSERT_NOT_NULL(w, "open -");
	buf = slurp(tpath("stdout.txt"), &len);
	if (ASSERT_NOT_NULL(buf, "slurp"))
		ASSERT_TRUE(len == strlen(HDR "3 4\n") && !memcmp(buf, HDR "3 4\n", len),
			    "content");
	free(buf);
}

/* ---- epochs ---- */

static bool check_epoch(const struct trace_epochs *e, uint64_t i, uint64_t start,
			uint64_t end, uint64_t nr_events, size_t n,
			const uint64_t *pages, const uint32_t *counts)
{
	const struct trace_epoch *ep;

	if (!ASSERT_TRUE(i < e->nr_epochs, "epoch exists"))
		return false;
	ep = &e->epochs[i];
	if (!ASSERT_EQ(ep->start_us, start, "start") ||
	    !ASSERT_EQ(ep->end_us, end, "end") ||
	    !ASSERT_EQ(ep->nr_events, nr_events, "nr_events") ||
	    !ASSERT_EQ(ep->nr_pages, n, "nr_pages")) {
		printf("  epoch %" PRIu64 "\n", i);
		return false;
	}
	for (size_t k = 0; k < n; k++)
		if (!ASSERT_EQ(ep->pages[k], pages[k], "page") ||
		    !ASSERT_EQ(ep->counts[k], counts[k], "count"))
			return false;
	return true;
}

static void test_load_epochs(void)
{
	struct trace_epochs *e = NULL;
	struct trace_header h;
	char err[512];

	ref_header(&h);
	if (!write_recs(tpath("ep.pct"), TRACE_FMT_NATIVE, &h, ref, NREF))
		return;

	/* the file's own epochs */
	if (!ASSERT_OK(trace__load_epochs(tpath("ep.pct"), 0, &e, err, sizeof(err)), err))
		return;
	ASSERT_EQ(e->nr_epochs, 4, "marker epochs");
	ASSERT_EQ(e->nr_events, 8, "events");
	ASSERT_TRUE(e->has_end && e->end_us == 50, "end");
	ASSERT_STREQ(trace_header__get(&e->hdr, "source"), "kvm_dirty_ring_push", "hdr");
	check_epoch(e, 0, 0, 10, 2, 2, (uint64_t[]){ 5, 7 }, (uint32_t[]){ 1, 1 });
	check_epoch(e, 1, 10, 20, 4, 3, (uint64_t[]){ 1, 2, 9 }, (uint32_t[]){ 1, 2, 1 });
	check_epoch(e, 2, 20, 30, 0, 0, NULL, NULL);
	check_epoch(e, 3, 30, 50, 2, 2, (uint64_t[]){ 0, 4095 }, (uint32_t[]){ 1, 1 });
	trace_epochs__free(e);
	e = NULL;

	/* fixed windows of 10 us: up to END at 50 -> 5 epochs */
	if (!ASSERT_OK(trace__load_epochs(tpath("ep.pct"), 10, &e, err, sizeof(err)), err))
		return;
	ASSERT_EQ(e->nr_epochs, 5, "fixed epochs");
	check_epoch(e, 0, 0, 10, 2, 2, (uint64_t[]){ 5, 7 }, (uint32_t[]){ 1, 1 });
	check_epoch(e, 1, 10, 20, 4, 3, (uint64_t[]){ 1, 2, 9 }, (uint32_t[]){ 1, 2, 1 });
	check_epoch(e, 2, 20, 30, 0, 0, NULL, NULL);
	check_epoch(e, 3, 30, 40, 2, 2, (uint64_t[]){ 0, 4095 }, (uint32_t[]){ 1, 1 });
	check_epoch(e, 4, 40, 50, 0, 0, NULL, NULL);
	trace_epochs__free(e);
	e = NULL;

	/* windows of 7: 0..6 {5,7}; 7..13 {1,2,9}+2; 14..20; 21..27; 28..34;
	 * 35..41 {0,4095}; 42..48; 49 -> 8 epochs */
	if (!ASSERT_OK(trace__load_epochs(tpath("ep.pct"), 7, &e, err, sizeof(err)), err))
		return;
	ASSERT_EQ(e->nr_epochs, 8, "windows of 7");
	check_epoch(e, 1, 7, 14, 4, 3, (uint64_t[]){ 1, 2, 9 }, (uint32_t[]){ 1, 2, 1 });
	check_epoch(e, 5, 35, 42, 2, 2, (uint64_t[]){ 0, 4095 }, (uint32_t[]){ 1, 1 });
	trace_epochs__free(e);
	e = NULL;
}

static void test_load_epochs_edges(void)
{
	static const char nomark[] = HDR "4 1\n9 1\n9 3\n";
	static const char empty[] = HDR;
	static const char lastempty[] = HDR "# epoch 0\n2 1\n# epoch 5\n";
	static const char far[] = HDR "1000000000000 1\n";
	struct trace_epochs *e = NULL;
	struct trace_reader *r;

	r = trace_reader__open_mem(nomark, strlen(nomark), NULL, 0);
	if (ASSERT_NOT_NULL(r, "open") && ASSERT_OK(trace_epochs__load(r, 0, &e), "load")) {
		ASSERT_EQ(e->nr_epochs, 1, "one epoch");
		check_epoch(e, 0, 0, 10, 3, 2, (uint64_t[]){ 1, 3 }, (uint32_t[]){ 2, 1 });
		ASSERT_TRUE(!e->has_end && e->end_us == 10, "end = last + 1");
		trace_epochs__free(e);
		e = NULL;
	}
	trace_reader__close(r);

	r = trace_reader__open_mem(empty, strlen(empty), NULL, 0);
	if (ASSERT_NOT_NULL(r, "open") && ASSERT_OK(trace_epochs__load(r, 0, &e), "load")) {
		ASSERT_TRUE(e->nr_epochs == 0 && e->end_us == 0, "nothing");
		trace_epochs__free(e);
		e = NULL;
	}
	trace_reader__close(r);

	r = trace_reader__open_mem(lastempty, strlen(lastempty), NULL, 0);
	if (ASSERT_NOT_NULL(r, "open") && ASSERT_OK(trace_epochs__load(r, 0, &e), "load")) {
		ASSERT_EQ(e->nr_epochs, 2, "trailing empty epoch kept");
		check_epoch(e, 0, 0, 5, 1, 1, (uint64_t[]){ 1 }, (uint32_t[]){ 1 });
		check_epoch(e, 1, 5, 5, 0, 0, NULL, NULL);
		trace_epochs__free(e);
		e = NULL;
	}
	trace_reader__close(r);

	r = trace_reader__open_mem(far, strlen(far), NULL, 0);
	if (ASSERT_NOT_NULL(r, "open")) {
		ASSERT_EQ(trace_epochs__load(r, 1000, &e), -E2BIG, "too many epochs");
		ASSERT_TRUE(e == NULL, "out untouched");
		ASSERT_TRUE(strstr(trace_reader__error(r), "line 2: the trace needs more than"),
			    trace_reader__error(r));
	}
	trace_reader__close(r);

	/* a reader error comes through, with its message */
	char err[512];

	if (!ASSERT_TRUE(spit(tpath("bad_ep.txt"), HDR "1 1\n0 1\n", strlen(HDR) + 8),
			 "spit"))
		return;
	ASSERT_EQ(trace__load_epochs(tpath("bad_ep.txt"), 0, &e, err, sizeof(err)),
		  -EINVAL, "bad trace");
	ASSERT_TRUE(strstr(err, "bad_ep.txt: line 3: time goes backwards"), err);
	ASSERT_EQ(trace__load_epochs(tpath("missing"), 0, &e, err, sizeof(err)),
		  -ENOENT, "missing file");
	ASSERT_TRUE(strstr(err, "No such file"), err);
}

/* ---- large ---- */

#define BIG_N 1000000
#define BIG_PAGES (1ULL << 22)

/* 1M records: epochs every ~1000 writes, half harvest-shaped (sorted, one
 * time), half timed writes with locality and repeats. */
static struct rec *big_trace(size_t *n)
{
	struct rec *recs = malloc((BIG_N + BIG_N / 500 + 2) * sizeof(*recs));
	uint64_t t = 0, hot = 0;
	size_t k = 0;

	if (!recs)
		return NULL;
	rng_state = 0x9e3779b97f4a7c15ULL;
	while (k < BIG_N) {
		uint64_t m = 500 + rng_next(&rng_state) % 1000, base = rng_next(&rng_state) % BIG_PAGES;

		t += 1000 + rng_next(&rng_state) % 100000;
		recs[k++] = (struct rec){ TRACE_EV_EPOCH, t, 0 };
		if (rng_next(&rng_state) & 1) {
			for (uint64_t i = 0; i < m && k < BIG_N; i++) {
				base += 1 + rng_next(&rng_state) % 64;
				if (base >= BIG_PAGES)
					break;
				recs[k++] = (struct rec){ TRACE_EV_WRITE, t, base };
			}
		} else {
			for (uint64_t i = 0; i < m && k < BIG_N; i++) {
				t += rng_next(&rng_state) % 50;
				if (rng_next(&rng_state) % 4 == 0)
					hot = rng_next(&rng_state) % BIG_PAGES;
				else
					hot = (hot + rng_next(&rng_state) % 16) % BIG_PAGES;
				recs[k++] = (struct rec){ TRACE_EV_WRITE, t, hot };
			}
		}
	}
	recs[k++] = (struct rec){ TRACE_EV_END, t + 1, 0 };
	*n = k;
	return recs;
}

static void test_large_roundtrip(void)
{
	static const enum trace_format fmts[] = {
		TRACE_FMT_TEXT, TRACE_FMT_TEXT_GZ, TRACE_FMT_TEXT_ZLIB, TRACE_FMT_NATIVE,
	};
	struct trace_epochs *e = NULL;
	struct trace_header h;
	struct rec *recs;
	size_t n, writes = 0;
	char err[512];

	recs = big_trace(&n);
	if (!ASSERT_NOT_NULL(recs, "malloc"))
		return;
	trace_header__init(&h, 4096, BIG_PAGES);
	trace_header__set(&h, "command", "test_large_roundtrip");
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		const char *path = tpath(trace_format__name(fmts[f]));
		struct trace_reader *r;
		struct stat st;
		double t0 = clock_now_s(), t1;

		if (!write_recs(path, fmts[f], &h, recs, n))
			goto cleanup;
		t1 = clock_now_s();
		r = trace_reader__open(path, err, sizeof(err));
		if (!ASSERT_NOT_NULL(r, err))
			goto cleanup;
		check_recs(r, recs, n);
		trace_reader__close(r);
		stat(path, &st);
		printf("  %-9s %zu records: %8.1f KiB, write %.2f s, read %.2f s\n",
		       trace_format__name(fmts[f]), n, st.st_size / 1024.0, t1 - t0,
		       clock_now_s() - t1);
	}

	/* epochs: an independent count from the records */
	if (!ASSERT_OK(trace__load_epochs(tpath("native"), 0, &e, err, sizeof(err)), err))
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		writes += recs[i].kind == TRACE_EV_WRITE;
	ASSERT_EQ(e->nr_events, writes, "writes");
	ASSERT_EQ(e->nr_epochs, n - writes - 1, "one epoch per marker");
	for (size_t i = 0, ep = (size_t)-1; i < n; i++) {
		if (recs[i].kind == TRACE_EV_EPOCH) {
			ep++;
			if (!ASSERT_EQ(e->epochs[ep].start_us, recs[i].t, "start"))
				break;
		} else if (recs[i].kind == TRACE_EV_WRITE) {
			const struct trace_epoch *x = &e->epochs[ep];
			uint64_t lo = 0, hi = x->nr_pages;

			while (lo < hi) {
				uint64_t mid = (lo + hi) / 2;

				if (x->pages[mid] < recs[i].page)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (!ASSERT_TRUE(lo < x->nr_pages && x->pages[lo] == recs[i].page,
					 "page in its epoch"))
				break;
		}
	}
	uint64_t sum = 0;

	for (uint64_t i = 0; i < e->nr_epochs; i++) {
		for (uint64_t k = 0; k < e->epochs[i].nr_pages; k++) {
			sum += e->epochs[i].counts[k];
			if (k && e->epochs[i].pages[k] <= e->epochs[i].pages[k - 1]) {
				ASSERT_TRUE(false, "pages ascending");
				goto cleanup;
			}
		}
	}
	ASSERT_EQ(sum, writes, "counts add up");
cleanup:
	trace_epochs__free(e);
	free(recs);
}

static void test_format_names(void)
{
	enum trace_format f;

	for (int i = TRACE_FMT_TEXT; i <= TRACE_FMT_NATIVE_ZLIB; i++) {
		if (!ASSERT_OK(trace_format__parse(trace_format__name(i), &f), "parse") ||
		    !ASSERT_EQ(f, i, "same"))
			return;
	}
	ASSERT_OK(trace_format__parse("gz", &f), "gz");
	ASSERT_EQ(f, TRACE_FMT_TEXT_GZ, "gz is text.gz");
	ASSERT_EQ(trace_format__parse("bogus", &f), -EINVAL, "unknown");
	ASSERT_STREQ(trace_format__name(TRACE_FMT_TEXT), "text", "text");
	ASSERT_STREQ(trace_format__name(TRACE_FMT_NATIVE_ZLIB), "native.zlib",
		     "native.zlib");
	ASSERT_STREQ(trace_format__name(99), "?", "bad value");
	ASSERT_EQ(trace_format__of_path("a/b.trace"), TRACE_FMT_TEXT, "text");
	ASSERT_EQ(trace_format__of_path("x.trace.gz"), TRACE_FMT_TEXT_GZ, ".gz");
	ASSERT_EQ(trace_format__of_path("x.zlib"), TRACE_FMT_TEXT_ZLIB, ".zlib");
	ASSERT_EQ(trace_format__of_path("x.pctrace"), TRACE_FMT_NATIVE,
		  ".pctrace");
	ASSERT_EQ(trace_format__of_path("gz"), TRACE_FMT_TEXT, "no suffix");
}

int main(void)
{
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_trace.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN_TEST(test_roundtrip_text);
	RUN_TEST(test_roundtrip_text_gz);
	RUN_TEST(test_roundtrip_text_zlib);
	RUN_TEST(test_roundtrip_native);
	RUN_TEST(test_text_exact);
	RUN_TEST(test_text_lenient);
	RUN_TEST(test_native_chunks);
	RUN_TEST(test_autodetect);
	RUN_TEST(test_gzip_members);
	RUN_TEST(test_stdin);
	RUN_TEST(test_bad_text);
	RUN_TEST(test_bad_compressed);
	RUN_TEST(test_bad_native);
	RUN_TEST(test_bad_native_content);
	RUN_TEST(test_header_rules);
	RUN_TEST(test_writer_rejects);
	RUN_TEST(test_writer_full_disk);
	RUN_TEST(test_writer_efbig);
	RUN_TEST(test_writer_stdout);
	RUN_TEST(test_load_epochs);
	RUN_TEST(test_load_epochs_edges);
	RUN_TEST(test_large_roundtrip);
	RUN_TEST(test_format_names);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return harness_finish();
}
