// SPDX-License-Identifier: GPL-2.0
/*
 * trace_writer.c - the trace writer (see trace.h): text (plain, gzip or
 * zlib) or native, into a temporary file renamed over the final path only
 * when everything reached the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "trace_internal.h"

/* Write v in decimal at buf, without a NUL. Returns the digits written. */
static size_t u64_to_dec(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

struct trace_writer {
	enum trace_format fmt;
	struct trace_header hdr;
	int fd;
	bool own_fd;			/* close(fd) on close */
	char *path;			/* final path when tmp is used */
	char *tmp;			/* temporary file renamed on close */
	uint8_t *obuf;			/* pending output (before deflate) */
	size_t olen;
	z_stream zs;
	bool zs_init;
	uint8_t *zbuf;
	int err;			/* sticky I/O error */
	char errmsg[256];
	uint64_t last_t;
	bool ended;
	uint64_t end_t;
	/* native: the chunk being built */
	bool chunk_open, chunk_epoch;
	uint64_t chunk_base;
	uint32_t n;
	uint64_t *ct, *cp;
	uint8_t *raw, *cmp;
	size_t cmp_cap;
};

__attribute__((format(printf, 3, 4)))
static int wfail(struct trace_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static int write_all(struct trace_writer *w, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->err = k < 0 ? -errno : -EIO;
			return wfail(w, w->err, "write error: %s", strerror(-w->err));
		}
		p += k;
		n -= k;
	}
	return 0;
}

/* Push obuf out, through deflate for compressed text. */
static int flush_out(struct trace_writer *w, bool finish)
{
	int ret, err;

	if (w->err)
		return w->err;
	if (!w->zs_init) {
		err = write_all(w, w->obuf, w->olen);
		w->olen = 0;
		return err;
	}
	w->zs.next_in = w->obuf;
	w->zs.avail_in = w->olen;
	do {
		w->zs.next_out = w->zbuf;
		w->zs.avail_out = BUF_SIZE;
		ret = deflate(&w->zs, finish ? Z_FINISH : Z_NO_FLUSH);
		if (ret == Z_STREAM_ERROR) {
			w->err = -EIO;
			return wfail(w, w->err, "deflate failed");
		}
		err = write_all(w, w->zbuf, BUF_SIZE - w->zs.avail_out);
		if (err)
			return err;
	} while (w->zs.avail_out == 0 || (finish && ret != Z_STREAM_END));
	w->olen = 0;
	return 0;
}

static int emit(struct trace_writer *w, const void *data, size_t n)
{
	const uint8_t *p = data;
	int err;

	if (w->err)
		return w->err;
	while (n > 0) {
		size_t k = BUF_SIZE - w->olen;

		if (k > n)
			k = n;
		memcpy(w->obuf + w->olen, p, k);
		w->olen += k;
		p += k;
		n -= k;
		if (w->olen == BUF_SIZE) {
			err = flush_out(w, false);
			if (err)
				return err;
		}
	}
	return 0;
}

static int emit_text_header(struct trace_writer *w)
{
	char line[TRACE_LINE_MAX + 2];
	int n, err;

	n = snprintf(line, sizeof(line), "# precopy-trace v1 page_size=%u pages=%" PRIu64 "\n",
		     w->hdr.page_size, w->hdr.pages);
	err = emit(w, line, n);
	for (unsigned int i = 0; !err && i < w->hdr.meta_cnt; i++) {
		n = snprintf(line, sizeof(line), "# %s=%s\n", w->hdr.meta[i].key,
			     w->hdr.meta[i].value);
		err = emit(w, line, n);
	}
	return err;
}

static int emit_native_header(struct trace_writer *w)
{
	uint8_t h[NATIVE_HDR_LEN], c[4];
	uint8_t meta[TRACE_META_MAX * (3 + TRACE_META_KEY_MAX + TRACE_META_VAL_MAX)];
	size_t len = 0;
	uint32_t crc;
	int err;

	for (unsigned int i = 0; i < w->hdr.meta_cnt; i++) {
		size_t kn = strlen(w->hdr.meta[i].key);
		size_t vn = strlen(w->hdr.meta[i].value);

		meta[len++] = kn;
		memcpy(meta + len, w->hdr.meta[i].key, kn);
		len += kn;
		put_le16(meta + len, vn);
		len += 2;
		memcpy(meta + len, w->hdr.meta[i].value, vn);
		len += vn;
	}
	memcpy(h, NATIVE_MAGIC, 8);
	put_le16(h + 8, NATIVE_VERSION);
	put_le16(h + 10, 0);
	put_le32(h + 12, w->hdr.page_size);
	put_le64(h + 16, w->hdr.pages);
	put_le32(h + 24, len);
	put_le32(h + 28, w->hdr.meta_cnt);
	crc = crc32_buf(crc32_buf(0, h, sizeof(h)), meta, len);
	put_le32(c, crc);
	err = emit(w, h, sizeof(h));
	if (!err)
		err = emit(w, meta, len);
	if (!err)
		err = emit(w, c, sizeof(c));
	return err;
}

static int emit_block(struct trace_writer *w, uint8_t type, uint8_t flags,
		      uint32_t count, uint32_t raw_len, uint64_t base,
		      const uint8_t *payload, uint32_t stored)
{
	uint8_t h[BLOCK_HDR_LEN];
	int err;

	memcpy(h, BLOCK_MAGIC, 4);
	h[4] = type;
	h[5] = flags;
	h[6] = h[7] = 0;
	put_le32(h + 8, count);
	put_le32(h + 12, raw_len);
	put_le32(h + 16, stored);
	put_le64(h + 20, base);
	put_le32(h + 28, crc32_buf(crc32_buf(0, h, 28), payload, stored));
	err = emit(w, h, sizeof(h));
	if (!err)
		err = emit(w, payload, stored);
	return err;
}

static int flush_chunk(struct trace_writer *w)
{
	uint8_t flags = w->chunk_epoch ? BLK_F_EPOCH : 0;
	const uint8_t *payload = w->raw;
	uint64_t t = w->chunk_base, page = 0;
	size_t len = 0;
	uint32_t count;
	uLongf clen;
	bool set = true;

	if (!w->chunk_open)
		return 0;
	for (uint32_t i = 0; i < w->n && set; i++)
		if (w->ct[i] != w->chunk_base || (i > 0 && w->cp[i] <= w->cp[i - 1]))
			set = false;
	if (set) {
		flags |= BLK_F_SET;
		for (uint32_t i = 0; i < w->n; i++)
			len += put_varint(w->raw + len,
					  i ? w->cp[i] - w->cp[i - 1] - 1 : w->cp[i]);
	} else {
		for (uint32_t i = 0; i < w->n; i++) {
			len += put_varint(w->raw + len, w->ct[i] - t);
			len += put_varint(w->raw + len, zigzag(w->cp[i] - page));
			t = w->ct[i];
			page = w->cp[i];
		}
	}
	clen = w->cmp_cap;
	if (len >= 64 && compress2(w->cmp, &clen, w->raw, len,
				   Z_DEFAULT_COMPRESSION) == Z_OK && clen < len) {
		flags |= BLK_F_ZLIB;
		payload = w->cmp;
	} else {
		clen = len;
	}
	count = w->n;
	w->chunk_open = false;
	w->n = 0;
	return emit_block(w, BLOCK_CHUNK, flags, count, len, w->chunk_base,
			  payload, clen);
}

static bool fmt_writable(enum trace_format fmt)
{
	return fmt == TRACE_FMT_TEXT || fmt == TRACE_FMT_TEXT_GZ ||
	       fmt == TRACE_FMT_TEXT_ZLIB || fmt == TRACE_FMT_NATIVE;
}

static void writer_free(struct trace_writer *w)
{
	if (w->zs_init)
		deflateEnd(&w->zs);
	free(w->obuf);
	free(w->zbuf);
	free(w->ct);
	free(w->cp);
	free(w->raw);
	free(w->cmp);
	free(w->path);
	free(w->tmp);
	free(w);
}

/* Allocate buffers and queue the header; w->fd is set. */
static int writer_init(struct trace_writer *w, enum trace_format fmt,
		       const struct trace_header *hdr)
{
	w->fmt = fmt;
	w->hdr = *hdr;
	w->obuf = malloc(BUF_SIZE);
	if (!w->obuf)
		return -ENOMEM;
	if (fmt == TRACE_FMT_TEXT_GZ || fmt == TRACE_FMT_TEXT_ZLIB) {
		w->zbuf = malloc(BUF_SIZE);
		if (!w->zbuf)
			return -ENOMEM;
		/* level 1: 4x faster than 6 for ~13% more bytes on traces;
		 * native is the compact format */
		if (deflateInit2(&w->zs, Z_BEST_SPEED, Z_DEFLATED,
				 fmt == TRACE_FMT_TEXT_GZ ? 16 + MAX_WBITS : MAX_WBITS,
				 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		w->zs_init = true;
	}
	if (fmt == TRACE_FMT_NATIVE) {
		size_t raw_max = (size_t)TRACE_WRITER_CHUNK_EVENTS * 2 * VARINT_MAX;

		w->ct = malloc(TRACE_WRITER_CHUNK_EVENTS * sizeof(*w->ct));
		w->cp = malloc(TRACE_WRITER_CHUNK_EVENTS * sizeof(*w->cp));
		w->raw = malloc(raw_max);
		w->cmp_cap = compressBound(raw_max);
		w->cmp = malloc(w->cmp_cap);
		if (!w->ct || !w->cp || !w->raw || !w->cmp)
			return -ENOMEM;
		return emit_native_header(w);
	}
	return emit_text_header(w);
}

struct trace_writer *trace_writer__open_fd(int fd, enum trace_format fmt,
					   const struct trace_header *hdr)
{
	struct trace_writer *w;
	int err;

	if (fd < 0 || !fmt_writable(fmt) || !hdr || !tr_header_valid(hdr)) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->fd = fd;
	err = writer_init(w, fmt, hdr);
	if (err) {
		writer_free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

struct trace_writer *trace_writer__open(const char *path,
					enum trace_format fmt,
					const struct trace_header *hdr)
{
	struct trace_writer *w = NULL;
	char *tmp = NULL, *final = NULL;
	struct stat st;
	int fd = -1, err;

	if (!path || !fmt_writable(fmt) || !hdr || !tr_header_valid(hdr)) {
		errno = EINVAL;
		return NULL;
	}
	if (!strcmp(path, "-"))
		return trace_writer__open_fd(STDOUT_FILENO, fmt, hdr);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* FIFO, device...: nothing to rename, write in place */
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
	} else {
		if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
			tmp = NULL;
			err = -ENOMEM;
			goto cleanup;
		}
		final = strdup(path);
		if (!final) {
			err = -ENOMEM;
			goto cleanup;
		}
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			goto cleanup;
		}
		if (fchmod(fd, 0644)) {
			err = -errno;
			goto cleanup;
		}
	}
	w = trace_writer__open_fd(fd, fmt, hdr);
	if (!w) {
		err = -errno;
		goto cleanup;
	}
	w->own_fd = true;
	w->tmp = tmp;
	w->path = final;
	return w;

cleanup:
	if (fd >= 0) {
		close(fd);
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	free(final);
	errno = -err;
	return NULL;
}

/* Common checks of a new record. */
static int writer_check(struct trace_writer *w, uint64_t t_us, const char *what)
{
	if (w->err)
		return w->err;
	if (w->ended)
		return wfail(w, -EINVAL, "%s after the end marker", what);
	if (t_us < w->last_t)
		return wfail(w, -EINVAL, "%s time %" PRIu64 " is before the previous record's %" PRIu64,
			     what, t_us, w->last_t);
	return 0;
}

static int emit_text_record(struct trace_writer *w, const char *prefix,
			    uint64_t a, bool has_b, uint64_t b)
{
	char line[64];
	size_t n = strlen(prefix);

	memcpy(line, prefix, n);
	n += u64_to_dec(line + n, a);
	if (has_b) {
		line[n++] = ' ';
		n += u64_to_dec(line + n, b);
	}
	line[n++] = '\n';
	return emit(w, line, n);
}

int trace_writer__write_event(struct trace_writer *w, uint64_t t_us,
			      uint64_t page)
{
	int err = writer_check(w, t_us, "event");

	if (err)
		return err;
	if (page >= w->hdr.pages)
		return wfail(w, -EINVAL, "page %" PRIu64 " out of range (pages=%" PRIu64 ")",
			     page, w->hdr.pages);
	if (w->fmt == TRACE_FMT_NATIVE) {
		if (w->chunk_open && w->n == TRACE_WRITER_CHUNK_EVENTS) {
			err = flush_chunk(w);
			if (err)
				return err;
		}
		if (!w->chunk_open) {
			w->chunk_open = true;
			w->chunk_epoch = false;
			w->chunk_base = w->last_t;
		}
		w->ct[w->n] = t_us;
		w->cp[w->n] = page;
		w->n++;
	} else {
		err = emit_text_record(w, "", t_us, true, page);
		if (err)
			return err;
	}
	w->last_t = t_us;
	return 0;
}

int trace_writer__mark_epoch(struct trace_writer *w, uint64_t t_us)
{
	int err = writer_check(w, t_us, "epoch marker");

	if (err)
		return err;
	if (w->fmt == TRACE_FMT_NATIVE) {
		err = flush_chunk(w);
		if (err)
			return err;
		w->chunk_open = true;
		w->chunk_epoch = true;
		w->chunk_base = t_us;
	} else {
		err = emit_text_record(w, "# epoch ", t_us, false, 0);
		if (err)
			return err;
	}
	w->last_t = t_us;
	return 0;
}

int trace_writer__mark_end(struct trace_writer *w, uint64_t t_us)
{
	int err = writer_check(w, t_us, "end marker");

	if (err)
		return err;
	if (w->fmt == TRACE_FMT_NATIVE) {
		err = flush_chunk(w);
		if (err)
			return err;
	} else {
		err = emit_text_record(w, "# end ", t_us, false, 0);
		if (err)
			return err;
	}
	w->ended = true;
	w->end_t = t_us;
	w->last_t = t_us;
	return 0;
}

const char *trace_writer__error(const struct trace_writer *w)
{
	return w->errmsg;
}

int trace_writer__close(struct trace_writer *w)
{
	int err = 0;

	if (!w)
		return 0;
	if (w->fmt == TRACE_FMT_NATIVE) {
		err = flush_chunk(w);
		if (!err)
			err = emit_block(w, BLOCK_END, w->ended ? BLK_F_END_TIME : 0,
					 0, 0, w->ended ? w->end_t : 0, NULL, 0);
	}
	if (!err)
		err = flush_out(w, true);
	if (!err && w->tmp && fsync(w->fd))
		err = -errno;
	if (w->own_fd && close(w->fd) && !err)
		err = -errno;
	if (!err && w->tmp && rename(w->tmp, w->path))
		err = -errno;
	if (err && w->tmp)
		unlink(w->tmp);
	writer_free(w);
	return err;
}

void trace_writer__discard(struct trace_writer *w)
{
	if (!w)
		return;
	if (w->own_fd)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	writer_free(w);
}
