// SPDX-License-Identifier: GPL-2.0
/*
 * trace_input.c - the reader's input layers and its public entry points
 * (see trace.h): raw bytes (a file descriptor or a memory buffer), an
 * optional inflate stage (gzip or zlib, detected from the first two bytes),
 * and the detection of the content (text or native, from the first decoded
 * bytes), which hands over to trace_text.c or trace_native.c.
 *
 * Every layer works on a fixed-size buffer, so memory is bounded: text
 * lines are at most TRACE_LINE_MAX bytes, native blocks are read into
 * buffers that grow only as their bytes actually arrive, and a compressed
 * block may not claim to inflate beyond deflate's maximum ratio.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/errmsg.h"
#include "trace_internal.h"

static uint64_t raw_off(const struct trace_reader *r)
{
	return r->in_base + r->in_pos;
}

__attribute__((format(printf, 4, 0)))
static int failv(struct trace_reader *r, int err, uint64_t off,
		 const char *fmt, va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (tr_is_text(r))
		snprintf(r->errmsg, sizeof(r->errmsg), "%s: line %" PRIu64 ": %s",
			 r->name, r->lineno, msg);
	else
		snprintf(r->errmsg, sizeof(r->errmsg), "%s: byte %" PRIu64 ": %s",
			 r->name, off, msg);
	r->state = RS_ERR;
	r->err = err;
	return err;
}

/* Fail at the current line (text) or decoded offset (native). */
__attribute__((format(printf, 3, 4)))
int tr_fail(struct trace_reader *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = failv(r, err, tr_off(r), fmt, ap);
	va_end(ap);
	return err;
}

/* Fail at byte off (native; text uses the current line). */
__attribute__((format(printf, 3, 4)))
int tr_fail_at(struct trace_reader *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = failv(r, -EINVAL, off, fmt, ap);
	va_end(ap);
	return err;
}

static int raw_refill(struct trace_reader *r)
{
	ssize_t n;

	if (r->in_eof)
		return 0;
	if (r->in_pos > 0) {
		memmove(r->inbuf, r->inbuf + r->in_pos, r->in_len - r->in_pos);
		r->in_base += r->in_pos;
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	if (r->in_len == BUF_SIZE)
		return 0;
	do {
		n = read(r->fd, r->inbuf + r->in_len, BUF_SIZE - r->in_len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = -errno;

		return tr_fail(r, err, "read error: %s", strerror(-err));
	}
	if (n == 0)
		r->in_eof = true;
	r->in_len += n;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int zfail(struct trace_reader *r, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tr_fail_at(r, r->d_base + r->d_len, "%s (compressed input byte %" PRIu64 ")",
		     msg, raw_off(r));
}

/* Inflate until at least one byte is added to dbuf, or the end. */
static int inflate_more(struct trace_reader *r)
{
	const char *kind = r->comp == COMP_GZIP ? "gzip" : "zlib";
	size_t space = BUF_SIZE - r->d_len;
	int err, ret;

	for (;;) {
		size_t produced;

		if (r->in_pos == r->in_len && !r->in_eof) {
			err = raw_refill(r);
			if (err)
				return err;
			continue;
		}
		if (r->z_end) {
			if (r->in_pos == r->in_len) {
				r->d_eof = true;
				return 0;
			}
			/* another gzip member, as `cat a.gz b.gz` makes */
			if (r->comp == COMP_GZIP && r->in[r->in_pos] == 0x1f) {
				if (inflateReset(&r->zs) != Z_OK)
					return zfail(r, "inflateReset failed");
				r->z_end = false;
				continue;
			}
			return zfail(r, "garbage after the end of the %s stream", kind);
		}
		r->zs.next_in = (Bytef *)(r->in + r->in_pos);
		r->zs.avail_in = r->in_len - r->in_pos;
		r->zs.next_out = r->dbuf + r->d_len;
		r->zs.avail_out = space;
		ret = inflate(&r->zs, Z_NO_FLUSH);
		r->in_pos = r->in_len - r->zs.avail_in;
		produced = space - r->zs.avail_out;
		r->d_len += produced;
		switch (ret) {
		case Z_STREAM_END:
			r->z_end = true;
			break;
		case Z_OK:
			break;
		case Z_BUF_ERROR:
			if (r->in_pos == r->in_len && r->in_eof)
				return zfail(r, "truncated %s stream: the input ends before the end of the compressed data",
					     kind);
			if (r->in_pos < r->in_len)
				return zfail(r, "%s stream makes no progress", kind);
			break;
		case Z_MEM_ERROR:
			return tr_fail(r, -ENOMEM, "out of memory inflating");
		case Z_NEED_DICT:
			return zfail(r, "%s stream needs a preset dictionary", kind);
		default:
			return zfail(r, "corrupt %s stream: %s", kind,
				     r->zs.msg ? r->zs.msg : "error");
		}
		if (produced)
			return 0;
	}
}

/* Get more decoded bytes: after it returns 0, d_len grew or d_eof is set. */
int tr_fill(struct trace_reader *r)
{
	ssize_t n;

	if (r->dbuf && r->d_pos > 0) {
		memmove(r->dbuf, r->dbuf + r->d_pos, r->d_len - r->d_pos);
		r->d_base += r->d_pos;
		r->d_len -= r->d_pos;
		r->d_pos = 0;
	}
	if (r->d_eof)
		return 0;
	if (r->comp != COMP_NONE)
		return inflate_more(r);
	/* uncompressed file: dbuf is the read buffer */
	if (r->d_len == BUF_SIZE)
		return tr_fail(r, -EINVAL, "internal error: buffer full");
	do {
		n = read(r->fd, r->dbuf + r->d_len, BUF_SIZE - r->d_len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = -errno;

		return tr_fail(r, err, "read error: %s", strerror(-err));
	}
	if (n == 0)
		r->d_eof = true;
	r->d_len += n;
	return 0;
}

/* Copy up to n decoded bytes to dst. Returns how many (fewer only at the
 * end of the input) or a negative errno. */
ssize_t tr_read(struct trace_reader *r, void *dst, size_t n)
{
	uint8_t *out = dst;
	size_t got = 0;
	int err;

	while (got < n) {
		size_t avail = r->d_len - r->d_pos, k;

		if (avail == 0) {
			if (r->d_eof)
				break;
			err = tr_fill(r);
			if (err)
				return err;
			continue;
		}
		k = avail < n - got ? avail : n - got;
		memcpy(out + got, r->d + r->d_pos, k);
		r->d_pos += k;
		got += k;
	}
	return got;
}

/* Ensure at least n decoded bytes are buffered, or the end was reached. */
int tr_want(struct trace_reader *r, size_t n)
{
	int err;

	while (r->d_len - r->d_pos < n && !r->d_eof) {
		err = tr_fill(r);
		if (err)
			return err;
	}
	return 0;
}

static struct trace_reader *reader_new(const char *name)
{
	struct trace_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->fd = -1;
	return r;
}

/* Detect compression and content, then read the header. */
static int reader_start(struct trace_reader *r)
{
	const uint8_t *b;
	size_t avail;
	int err;

	/* raw bytes: at least 2 for the compression magic */
	if (r->fd >= 0) {
		r->inbuf = malloc(BUF_SIZE);
		if (!r->inbuf)
			return tr_fail(r, -ENOMEM, "out of memory");
		r->in = r->inbuf;
		while (r->in_len < 2 && !r->in_eof) {
			err = raw_refill(r);
			if (err)
				return err;
		}
	}
	b = r->in;
	if (r->in_len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		r->comp = COMP_GZIP;
	else if (r->in_len >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 &&
		 ((b[0] << 8) | b[1]) % 31 == 0)
		r->comp = COMP_ZLIB;
	else
		r->comp = COMP_NONE;

	if (r->comp == COMP_NONE) {
		/* the raw buffer is the decoded buffer */
		r->d = r->in;
		r->dbuf = r->inbuf;
		r->inbuf = NULL;
		r->d_len = r->in_len;
		r->d_eof = r->in_eof;
		r->in = NULL;
		r->in_len = 0;
	} else {
		r->dbuf = malloc(BUF_SIZE);
		if (!r->dbuf)
			return tr_fail(r, -ENOMEM, "out of memory");
		r->d = r->dbuf;
		if (inflateInit2(&r->zs, r->comp == COMP_GZIP ? 16 + MAX_WBITS :
				 MAX_WBITS) != Z_OK)
			return tr_fail(r, -ENOMEM, "inflateInit failed");
		r->zs_init = true;
	}

	err = tr_want(r, 8);
	if (err)
		return err;
	avail = r->d_len - r->d_pos;
	b = r->d + r->d_pos;
	if (avail == 0)
		return tr_fail(r, -EINVAL, r->comp == COMP_NONE ? "empty file" :
			     "empty file after decompression");
	if (avail >= 8 && !memcmp(b, NATIVE_MAGIC, 8)) {
		r->fmt = r->comp == COMP_NONE ? TRACE_FMT_NATIVE :
			 r->comp == COMP_GZIP ? TRACE_FMT_NATIVE_GZ :
			 TRACE_FMT_NATIVE_ZLIB;
		r->fmt_known = true;
		return tr_native_open(r);
	}
	if (b[0] == '#') {
		r->fmt = r->comp == COMP_NONE ? TRACE_FMT_TEXT :
			 r->comp == COMP_GZIP ? TRACE_FMT_TEXT_GZ :
			 TRACE_FMT_TEXT_ZLIB;
		r->fmt_known = true;
		return tr_text_open(r);
	}
	if (avail < 8 && !memcmp(b, NATIVE_MAGIC, avail))
		return tr_fail(r, -EINVAL, "truncated file header (%zu of %d bytes)",
			     avail, NATIVE_HDR_LEN);
	if (avail >= 8 && !memcmp(b, NATIVE_MAGIC, 7))
		return tr_fail(r, -EINVAL, "unsupported native trace version '%c'",
			     b[7] >= 0x20 && b[7] < 0x7f ? b[7] : '?');
	return tr_fail(r, -EINVAL,
		     "not a precopy trace: starts with bytes %02x %02x%s (expected '#', \"PCTRACE1\", gzip or zlib)",
		     b[0], avail > 1 ? b[1] : 0, avail > 1 ? "" : " (1 byte)");
}

static struct trace_reader *reader_finish(struct trace_reader *r, int err,
					  char *errbuf, size_t errlen)
{
	if (!err)
		return r;
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", r->errmsg);
	trace_reader__close(r);
	errno = -err;
	return NULL;
}

struct trace_reader *trace_reader__open_fd(int fd, const char *name,
					   char *errbuf, size_t errlen)
{
	struct trace_reader *r = reader_new(name ? name : "<fd>");

	if (!r) {
		errmsg_set(errbuf, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->fd = fd;
	return reader_finish(r, reader_start(r), errbuf, errlen);
}

struct trace_reader *trace_reader__open(const char *path, char *errbuf,
					size_t errlen)
{
	struct trace_reader *r;
	int fd, err;

	if (!strcmp(path, "-"))
		return trace_reader__open_fd(STDIN_FILENO, "<stdin>", errbuf, errlen);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		errmsg_set(errbuf, errlen, "%s: %s", path, strerror(err));
		errno = err;
		return NULL;
	}
	r = trace_reader__open_fd(fd, path, errbuf, errlen);
	if (!r) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	r->own_fd = true;
	return r;
}

struct trace_reader *trace_reader__open_mem(const void *buf, size_t len,
					    char *errbuf, size_t errlen)
{
	struct trace_reader *r;

	if (!buf && len) {
		errmsg_set(errbuf, errlen, "<memory>: NULL buffer");
		errno = EINVAL;
		return NULL;
	}
	r = reader_new("<memory>");
	if (!r) {
		errmsg_set(errbuf, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->in = buf ? buf : (const void *)"";
	r->in_len = len;
	r->in_eof = true;
	return reader_finish(r, reader_start(r), errbuf, errlen);
}

const struct trace_header *trace_reader__header(const struct trace_reader *r)
{
	return &r->hdr;
}

enum trace_format trace_reader__format(const struct trace_reader *r)
{
	return r->fmt;
}

int trace_reader__next(struct trace_reader *r, struct trace_event *ev)
{
	if (r->state == RS_DONE)
		return 0;
	if (r->state == RS_ERR)
		return r->err;
	return tr_is_text(r) ? tr_text_next(r, ev) : tr_native_next(r, ev);
}

const char *trace_reader__error(const struct trace_reader *r)
{
	return r->state == RS_ERR ? r->errmsg : "";
}

void trace_reader__close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->zs_init)
		inflateEnd(&r->zs);
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	free(r->inbuf);
	free(r->dbuf);
	free(r->payload);
	free(r->raw);
	free(r);
}
