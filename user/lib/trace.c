// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - dirty-page trace I/O. The formats and the contracts are in
 * trace.h.
 *
 * The reader is three layers: raw bytes (a file descriptor or a memory
 * buffer), an optional inflate stage (gzip or zlib, detected from the first
 * two bytes), and a parser for text or native (detected from the first
 * decoded bytes). Every layer works on a fixed-size buffer, so memory is
 * bounded: text lines are at most TRACE_LINE_MAX bytes, native blocks are
 * read into buffers that grow only as their bytes actually arrive, and a
 * compressed block may not claim to inflate beyond deflate's maximum ratio.
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

#include "errmsg.h"
#include "trace.h"

#define BUF_SIZE 65536			/* raw, decoded and output buffers */
#define NATIVE_MAGIC "PCTRACE1"
#define NATIVE_VERSION 1
#define NATIVE_HDR_LEN 32
#define NATIVE_META_LEN_MAX 65536U
#define BLOCK_MAGIC "PCTB"
#define BLOCK_HDR_LEN 32
#define BLOCK_CHUNK 1
#define BLOCK_END 2
#define BLK_F_EPOCH 0x01
#define BLK_F_SET 0x02
#define BLK_F_ZLIB 0x04
#define BLK_F_END_TIME 0x08
#define VARINT_MAX 10
#define DEFLATE_RATIO_MAX 1032		/* deflate never inflates more */
#define PAYLOAD_STEP (1U << 20)		/* payload read increment */

/*
 * Fuzzing builds (the libFuzzer convention) accept wrong CRCs, so that
 * mutated inputs reach the block decoders behind them. Never defined in
 * normal builds.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CRC_BAD(stored, computed) ((void)(stored), (void)(computed), false)
#else
#define CRC_BAD(stored, computed) ((stored) != (computed))
#endif

/* ------------------------------------------------------------------------
 * Small helpers
 */
static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint16_t get_le16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (v & 0x7f) | 0x80;
		v >>= 7;
	}
	p[n++] = v;
	return n;
}

/* 0, or -1 if the varint runs past len, -2 if it does not fit 64 bits. */
static int get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int shift = 0;
	size_t i = *pos;

	for (;;) {
		uint8_t b;

		if (i >= len)
			return -1;
		b = p[i++];
		if (shift == 63 && b > 1)
			return -2;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*pos = i;
	*v = x;
	return 0;
}

static uint64_t zigzag(uint64_t delta)
{
	return (delta << 1) ^ (0 - (delta >> 63));
}

static uint64_t unzigzag(uint64_t v)
{
	return (v >> 1) ^ (0 - (v & 1));
}

static uint32_t crc32_buf(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;

	/* zlib's crc32() takes a uInt length */
	while (len > 0) {
		uInt n = len > (1U << 30) ? (1U << 30) : (uInt)len;

		crc = crc32(crc, b, n);
		b += n;
		len -= n;
	}
	return crc;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
	while (i < len && is_blank(s[i]))
		i++;
	return i;
}

static size_t word_end(const char *s, size_t len, size_t i)
{
	while (i < len && !is_blank(s[i]))
		i++;
	return i;
}

static bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !memcmp(s, w, len);
}

/* Parse a whole token of decimal digits. 0, -EINVAL (not digits) or
 * -ERANGE (more than 64 bits). */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = s[i] - '0';
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

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

/* Copy at most 40 bytes of s into dst for a message, replacing what is
 * not printable by '?'. */
static const char *quote(char *dst, size_t dstlen, const char *s, size_t len)
{
	size_t n = 0, max = dstlen - 4;

	if (max > 40)
		max = 40;
	for (size_t i = 0; i < len && n < max; i++)
		dst[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > max)
		memcpy(dst + n, "...", 3), n += 3;
	dst[n] = '\0';
	return dst;
}

/* ------------------------------------------------------------------------
 * Formats and headers
 */
static const char *const fmt_names[] = {
	[TRACE_FMT_TEXT] = "text",
	[TRACE_FMT_TEXT_GZ] = "text.gz",
	[TRACE_FMT_TEXT_ZLIB] = "text.zlib",
	[TRACE_FMT_NATIVE] = "native",
	[TRACE_FMT_NATIVE_GZ] = "native.gz",
	[TRACE_FMT_NATIVE_ZLIB] = "native.zlib",
};

const char *trace_format__name(enum trace_format fmt)
{
	if ((unsigned int)fmt >= sizeof(fmt_names) / sizeof(fmt_names[0]))
		return "?";
	return fmt_names[fmt];
}

int trace_format__parse(const char *name, enum trace_format *fmt)
{
	for (unsigned int i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++) {
		if (!strcmp(name, fmt_names[i])) {
			*fmt = i;
			return 0;
		}
	}
	if (!strcmp(name, "gz")) {
		*fmt = TRACE_FMT_TEXT_GZ;
		return 0;
	}
	if (!strcmp(name, "zlib")) {
		*fmt = TRACE_FMT_TEXT_ZLIB;
		return 0;
	}
	return -EINVAL;
}

static bool page_size_ok(uint64_t ps)
{
	return ps >= TRACE_PAGE_SIZE_MIN && ps <= TRACE_PAGE_SIZE_MAX &&
	       !(ps & (ps - 1));
}

static bool pages_ok(uint64_t pages)
{
	return pages >= 1 && pages <= TRACE_PAGES_MAX;
}

static bool key_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	if (first)
		return false;
	return (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* 0 or -EINVAL/-E2BIG with *why set. */
static int meta_check_key(const char *k, size_t n, const char **why)
{
	if (n == 0) {
		*why = "empty metadata key";
		return -EINVAL;
	}
	if (n > TRACE_META_KEY_MAX) {
		*why = "metadata key longer than " "32" " bytes";
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		if (!key_char(k[i], i == 0)) {
			*why = "metadata key must be a letter then letters, digits, '_', '.' or '-'";
			return -EINVAL;
		}
	}
	if (word_is(k, n, "epoch") || word_is(k, n, "end")) {
		*why = "metadata key 'epoch' or 'end' is reserved for markers";
		return -EINVAL;
	}
	return 0;
}

static int meta_check_value(const char *v, size_t n, const char **why)
{
	if (n > TRACE_META_VAL_MAX) {
		*why = "metadata value longer than " "256" " bytes";
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = v[i];

		if (c < 0x20 || c == 0x7f) {
			*why = "control character in metadata value";
			return -EINVAL;
		}
	}
	if (n > 0 && (v[0] == ' ' || v[n - 1] == ' ')) {
		*why = "metadata value has leading or trailing blanks";
		return -EINVAL;
	}
	return 0;
}

static int meta_find(const struct trace_header *hdr, const char *k, size_t n)
{
	for (unsigned int i = 0; i < hdr->meta_cnt && i < TRACE_META_MAX; i++) {
		if (word_is(k, n, hdr->meta[i].key))
			return i;
	}
	return -1;
}

/* Add (or replace) a checked entry. 0, or -ENOSPC / -EEXIST. */
static int meta_add(struct trace_header *hdr, const char *k, size_t kn,
		    const char *v, size_t vn, bool replace)
{
	int i = meta_find(hdr, k, kn);

	if (i >= 0 && !replace)
		return -EEXIST;
	if (i < 0) {
		if (hdr->meta_cnt >= TRACE_META_MAX)
			return -ENOSPC;
		i = hdr->meta_cnt++;
		memset(hdr->meta[i].key, 0, sizeof(hdr->meta[i].key));
		memcpy(hdr->meta[i].key, k, kn);
	}
	/* zero-filled, so equal headers compare equal with memcmp() */
	memset(hdr->meta[i].value, 0, sizeof(hdr->meta[i].value));
	memcpy(hdr->meta[i].value, v, vn);
	return 0;
}

int trace_header__init(struct trace_header *hdr, uint32_t page_size,
		       uint64_t pages)
{
	if (!page_size_ok(page_size) || !pages_ok(pages))
		return -EINVAL;
	memset(hdr, 0, sizeof(*hdr));
	hdr->page_size = page_size;
	hdr->pages = pages;
	return 0;
}

int trace_header__set(struct trace_header *hdr, const char *key,
		      const char *value)
{
	const char *why;
	size_t kn = strnlen(key, TRACE_META_KEY_MAX + 1);
	size_t vn = strnlen(value, TRACE_META_VAL_MAX + 1);
	int err;

	err = meta_check_key(key, kn, &why);
	if (err)
		return err;
	err = meta_check_value(value, vn, &why);
	if (err)
		return err;
	return meta_add(hdr, key, kn, value, vn, true);
}

const char *trace_header__get(const struct trace_header *hdr, const char *key)
{
	int i = meta_find(hdr, key, strlen(key));

	return i < 0 ? NULL : hdr->meta[i].value;
}

/* Check a caller-made header as the writer needs it. */
static bool header_valid(const struct trace_header *hdr)
{
	const char *why;

	if (!page_size_ok(hdr->page_size) || !pages_ok(hdr->pages) ||
	    hdr->meta_cnt > TRACE_META_MAX)
		return false;
	for (unsigned int i = 0; i < hdr->meta_cnt; i++) {
		const struct trace_meta *m = &hdr->meta[i];
		size_t kn = strnlen(m->key, sizeof(m->key));
		size_t vn = strnlen(m->value, sizeof(m->value));

		if (kn == sizeof(m->key) || vn == sizeof(m->value))
			return false;
		if (meta_check_key(m->key, kn, &why) ||
		    meta_check_value(m->value, vn, &why))
			return false;
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(hdr->meta[j].key, m->key))
				return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Reader
 */
enum comp { COMP_NONE, COMP_GZIP, COMP_ZLIB };
enum rstate { RS_OK, RS_DONE, RS_ERR };

struct trace_reader {
	char name[128];
	enum trace_format fmt;
	bool fmt_known;
	struct trace_header hdr;
	enum rstate state;
	int err;
	char errmsg[640];
	uint64_t last_t;		/* time of the last record */
	bool ended;			/* END record delivered or pending */

	/* raw input: a file descriptor or memory */
	int fd;				/* -1 for memory */
	bool own_fd;
	const uint8_t *in;		/* raw bytes (inbuf or memory) */
	uint8_t *inbuf;
	size_t in_len, in_pos;
	bool in_eof;			/* nothing more past in_len */
	uint64_t in_base;		/* raw offset of in[0] */

	/* inflate stage */
	enum comp comp;
	z_stream zs;
	bool zs_init, z_end;

	/* decoded bytes */
	const uint8_t *d;		/* dbuf, or memory when uncompressed */
	uint8_t *dbuf;
	size_t d_len, d_pos;
	bool d_eof;
	uint64_t d_base;		/* decoded offset of d[0] */

	/* text */
	uint64_t line;			/* lines consumed */
	uint64_t lineno;		/* line being examined */
	uint64_t end_line;		/* line of the END record */

	/* native */
	uint8_t *payload, *raw;
	size_t payload_cap, raw_cap;
	const uint8_t *p;		/* current chunk payload (decoded) */
	size_t p_len, p_pos;
	bool p_zlib;
	uint64_t blk_off;		/* offset of the current block */
	uint32_t blk_count, blk_done;
	bool blk_set, epoch_pending, end_pending, end_block;
	uint64_t blk_base, blk_t, blk_page;
};

static bool is_text(const struct trace_reader *r)
{
	return r->fmt_known && (r->fmt == TRACE_FMT_TEXT ||
				r->fmt == TRACE_FMT_TEXT_GZ ||
				r->fmt == TRACE_FMT_TEXT_ZLIB);
}

static uint64_t d_off(const struct trace_reader *r)
{
	return r->d_base + r->d_pos;
}

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
	if (is_text(r))
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
static int rfail(struct trace_reader *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = failv(r, err, d_off(r), fmt, ap);
	va_end(ap);
	return err;
}

/* Fail at byte off (native; text uses the current line). */
__attribute__((format(printf, 3, 4)))
static int bfail(struct trace_reader *r, uint64_t off, const char *fmt, ...)
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

		return rfail(r, err, "read error: %s", strerror(-err));
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
	return bfail(r, r->d_base + r->d_len, "%s (compressed input byte %" PRIu64 ")",
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
			return rfail(r, -ENOMEM, "out of memory inflating");
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
static int fill(struct trace_reader *r)
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
		return rfail(r, -EINVAL, "internal error: buffer full");
	do {
		n = read(r->fd, r->dbuf + r->d_len, BUF_SIZE - r->d_len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = -errno;

		return rfail(r, err, "read error: %s", strerror(-err));
	}
	if (n == 0)
		r->d_eof = true;
	r->d_len += n;
	return 0;
}

/* Copy up to n decoded bytes to dst. Returns how many (fewer only at the
 * end of the input) or a negative errno. */
static ssize_t dread(struct trace_reader *r, void *dst, size_t n)
{
	uint8_t *out = dst;
	size_t got = 0;
	int err;

	while (got < n) {
		size_t avail = r->d_len - r->d_pos, k;

		if (avail == 0) {
			if (r->d_eof)
				break;
			err = fill(r);
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
static int want(struct trace_reader *r, size_t n)
{
	int err;

	while (r->d_len - r->d_pos < n && !r->d_eof) {
		err = fill(r);
		if (err)
			return err;
	}
	return 0;
}

/* ---- text ---- */

/* Look at the next line without consuming it: 1 with l and n set (without
 * the '\n' and a '\r' before it), 0 at the end, or a negative errno. */
static int text_peek(struct trace_reader *r, const char **l, size_t *n)
{
	int err;

	r->lineno = r->line + 1;
	for (;;) {
		size_t avail = r->d_len - r->d_pos;
		const uint8_t *s = r->d + r->d_pos;
		const uint8_t *nl = memchr(s, '\n', avail);

		if (nl) {
			size_t len = nl - s;

			if (len > TRACE_LINE_MAX)
				return rfail(r, -EINVAL, "line longer than %d bytes",
					     TRACE_LINE_MAX);
			if (len > 0 && s[len - 1] == '\r')
				len--;
			*l = (const char *)s;
			*n = len;
			return 1;
		}
		if (avail > TRACE_LINE_MAX)
			return rfail(r, -EINVAL, "line longer than %d bytes",
				     TRACE_LINE_MAX);
		if (r->d_eof) {
			if (avail == 0)
				return 0;
			return rfail(r, -EINVAL,
				     "truncated file: the last line has no newline");
		}
		err = fill(r);
		if (err)
			return err;
	}
}

static void text_consume(struct trace_reader *r)
{
	const uint8_t *nl = memchr(r->d + r->d_pos, '\n', r->d_len - r->d_pos);

	r->d_pos = nl - r->d + 1;
	r->line++;
}

static int text_header(struct trace_reader *r)
{
	static const char usage[] =
		"expected header '# precopy-trace v1 page_size=<bytes> pages=<n>'";
	const char *l, *w;
	size_t n, i, e;
	uint64_t ps, pages;
	char q[48];
	int ret;

	ret = text_peek(r, &l, &n);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return rfail(r, -EINVAL, "empty file: %s", usage);
	if (n == 0 || l[0] != '#')
		return rfail(r, -EINVAL, "missing header: %s", usage);
	i = skip_blanks(l, n, 1);
	e = word_end(l, n, i);
	if (!word_is(l + i, e - i, "precopy-trace"))
		return rfail(r, -EINVAL, "missing header: %s", usage);
	i = skip_blanks(l, n, e);
	e = word_end(l, n, i);
	if (!word_is(l + i, e - i, "v1"))
		return rfail(r, -EINVAL, "unsupported trace version '%s' (this reader knows v1)",
			     quote(q, sizeof(q), l + i, e - i));

	i = skip_blanks(l, n, e);
	e = word_end(l, n, i);
	w = l + i;
	if (e - i < 10 || memcmp(w, "page_size=", 10))
		return rfail(r, -EINVAL, "bad header: expected 'page_size=' after 'v1'");
	ret = parse_u64(w + 10, e - i - 10, &ps);
	if (ret || !page_size_ok(ps))
		return rfail(r, -EINVAL, "bad header: page_size '%s' is not a power of two in [%u, %u]",
			     quote(q, sizeof(q), w + 10, e - i - 10),
			     TRACE_PAGE_SIZE_MIN, TRACE_PAGE_SIZE_MAX);

	i = skip_blanks(l, n, e);
	e = word_end(l, n, i);
	w = l + i;
	if (e - i < 6 || memcmp(w, "pages=", 6))
		return rfail(r, -EINVAL, "bad header: expected 'pages=' after page_size");
	ret = parse_u64(w + 6, e - i - 6, &pages);
	if (ret || !pages_ok(pages))
		return rfail(r, -EINVAL, "bad header: pages '%s' is not a number in [1, %llu]",
			     quote(q, sizeof(q), w + 6, e - i - 6),
			     (unsigned long long)TRACE_PAGES_MAX);

	i = skip_blanks(l, n, e);
	if (i != n)
		return rfail(r, -EINVAL, "bad header: unexpected '%s' after pages=",
			     quote(q, sizeof(q), l + i, n - i));
	r->hdr.page_size = ps;
	r->hdr.pages = pages;
	text_consume(r);
	return 0;
}

enum line_kind { LK_BLANK, LK_COMMENT, LK_META, LK_EPOCH, LK_END, LK_EVENT };

/* Classify a line. For LK_META, *eq is the offset of '='. */
static enum line_kind classify(const char *l, size_t n, size_t *eq)
{
	size_t i = skip_blanks(l, n, 0), e, k;

	if (i == n)
		return LK_BLANK;
	if (l[i] != '#')
		return LK_EVENT;
	i = skip_blanks(l, n, i + 1);
	e = word_end(l, n, i);
	if (word_is(l + i, e - i, "epoch"))
		return LK_EPOCH;
	if (word_is(l + i, e - i, "end"))
		return LK_END;
	/* "# key=value" or "# key = value": one word before the first '=' */
	for (k = i; k < n && l[k] != '='; k++)
		;
	if (k == n || k == i)
		return LK_COMMENT;
	e = word_end(l, k, i);
	if (skip_blanks(l, k, e) != k)
		return LK_COMMENT;
	*eq = k;
	return LK_META;
}

static int text_meta(struct trace_reader *r, const char *l, size_t n, size_t eq)
{
	size_t ks = skip_blanks(l, n, skip_blanks(l, n, 0) + 1);
	size_t ke = word_end(l, eq, ks);
	size_t vs = skip_blanks(l, n, eq + 1), ve = n;
	const char *why;
	char q[48];
	int err;

	while (ve > vs && is_blank(l[ve - 1]))
		ve--;
	err = meta_check_key(l + ks, ke - ks, &why);
	if (!err)
		err = meta_check_value(l + vs, ve - vs, &why);
	if (err)
		return rfail(r, -EINVAL, "bad metadata '%s': %s",
			     quote(q, sizeof(q), l + ks, ke - ks), why);
	err = meta_add(&r->hdr, l + ks, ke - ks, l + vs, ve - vs, false);
	if (err == -EEXIST)
		return rfail(r, -EINVAL, "duplicate metadata key '%s'",
			     quote(q, sizeof(q), l + ks, ke - ks));
	if (err)
		return rfail(r, -EINVAL, "more than %d metadata entries",
			     TRACE_META_MAX);
	return 0;
}

/* Header line, then the preamble (metadata and comments) up to the first
 * record, which is left unconsumed. */
static int text_open(struct trace_reader *r)
{
	const char *l;
	size_t n, eq = 0;
	int ret;

	ret = text_header(r);
	if (ret)
		return ret;
	for (;;) {
		ret = text_peek(r, &l, &n);
		if (ret <= 0)
			return ret;
		switch (classify(l, n, &eq)) {
		case LK_BLANK:
		case LK_COMMENT:
			break;
		case LK_META:
			ret = text_meta(r, l, n, eq);
			if (ret)
				return ret;
			break;
		default:
			return 0;
		}
		text_consume(r);
	}
}

static int text_time(struct trace_reader *r, const char *s, size_t n,
		     const char *what, uint64_t *t)
{
	char q[48];
	int err = parse_u64(s, n, t);

	if (err == -ERANGE)
		return rfail(r, -EINVAL, "%s '%s' does not fit in 64 bits", what,
			     quote(q, sizeof(q), s, n));
	if (err)
		return rfail(r, -EINVAL, "%s '%s' is not an unsigned decimal number",
			     what, quote(q, sizeof(q), s, n));
	if (*t < r->last_t)
		return rfail(r, -EINVAL, "time goes backwards: %s %" PRIu64
			     " is before the previous record's %" PRIu64,
			     what, *t, r->last_t);
	return 0;
}

static int text_marker(struct trace_reader *r, const char *l, size_t n,
		       enum line_kind k, struct trace_event *ev)
{
	const char *name = k == LK_EPOCH ? "epoch" : "end";
	size_t i = skip_blanks(l, n, skip_blanks(l, n, 0) + 1);
	size_t e = word_end(l, n, i);	/* the word "epoch" or "end" */
	uint64_t t;
	int err;

	i = skip_blanks(l, n, e);
	e = word_end(l, n, i);
	if (i == e || skip_blanks(l, n, e) != n)
		return rfail(r, -EINVAL, "bad %s marker: expected '# %s <t_us>'",
			     name, name);
	err = text_time(r, l + i, e - i, k == LK_EPOCH ? "epoch time" : "end time",
			&t);
	if (err)
		return err;
	ev->t_us = t;
	ev->page = 0;
	ev->kind = k == LK_EPOCH ? TRACE_EV_EPOCH : TRACE_EV_END;
	return 0;
}

static int text_event(struct trace_reader *r, const char *l, size_t n,
		      struct trace_event *ev)
{
	size_t ts = skip_blanks(l, n, 0), te = word_end(l, n, ts);
	size_t ps = skip_blanks(l, n, te), pe = word_end(l, n, ps);
	uint64_t t, page;
	char q[48];
	int err;

	if (ps == pe)
		return rfail(r, -EINVAL, "expected '<t_us> <page>', got '%s'",
			     quote(q, sizeof(q), l, n));
	if (skip_blanks(l, n, pe) != n)
		return rfail(r, -EINVAL, "expected '<t_us> <page>', got extra '%s'",
			     quote(q, sizeof(q), l + skip_blanks(l, n, pe),
				   n - skip_blanks(l, n, pe)));
	err = text_time(r, l + ts, te - ts, "time", &t);
	if (err)
		return err;
	err = parse_u64(l + ps, pe - ps, &page);
	if (err)
		return rfail(r, -EINVAL, "page '%s' is not an unsigned decimal number%s",
			     quote(q, sizeof(q), l + ps, pe - ps),
			     err == -ERANGE ? " of 64 bits" : "");
	if (page >= r->hdr.pages)
		return rfail(r, -EINVAL, "page %" PRIu64
			     " out of range: the header says pages=%" PRIu64,
			     page, r->hdr.pages);
	ev->t_us = t;
	ev->page = page;
	ev->kind = TRACE_EV_WRITE;
	return 0;
}

static int text_next(struct trace_reader *r, struct trace_event *ev)
{
	struct trace_event tmp;
	enum line_kind k;
	const char *l;
	size_t n, eq;
	int ret;

	for (;;) {
		ret = text_peek(r, &l, &n);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			r->state = RS_DONE;
			return 0;
		}
		text_consume(r);	/* l stays valid until the next fill */
		k = classify(l, n, &eq);
		if (k == LK_BLANK || k == LK_COMMENT || k == LK_META)
			continue;
		if (r->ended)
			return rfail(r, -EINVAL, "record after the end marker of line %" PRIu64,
				     r->end_line);
		if (k == LK_EVENT)
			ret = text_event(r, l, n, &tmp);
		else
			ret = text_marker(r, l, n, k, &tmp);
		if (ret)
			return ret;
		if (k == LK_END) {
			r->ended = true;
			r->end_line = r->lineno;
		}
		r->last_t = tmp.t_us;
		*ev = tmp;
		return 1;
	}
}

/* ---- native ---- */

static int native_open(struct trace_reader *r)
{
	uint8_t h[NATIVE_HDR_LEN], c[4], *meta = NULL;
	uint32_t meta_len, meta_cnt, crc, stored, version, flags;
	uint64_t ps, pages;
	size_t pos = 0;
	const char *why;
	char q[48];
	ssize_t got;
	int err;

	got = dread(r, h, sizeof(h));
	if (got < 0)
		return got;
	if (got < (ssize_t)sizeof(h))
		return bfail(r, got, "truncated file header (%zd of %d bytes)", got,
			     NATIVE_HDR_LEN);
	meta_len = get_le32(h + 24);
	if (meta_len > NATIVE_META_LEN_MAX)
		return bfail(r, 24, "metadata length %u larger than %u", meta_len,
			     NATIVE_META_LEN_MAX);
	meta = malloc(meta_len ? meta_len : 1);
	if (!meta)
		return rfail(r, -ENOMEM, "out of memory");
	got = dread(r, meta, meta_len);
	if (got == meta_len)
		got = dread(r, c, 4);
	else if (got >= 0)
		got = 0;	/* short: no room for the CRC */
	if (got < 0) {
		err = got;
		goto cleanup;
	}
	if (got != 4) {
		err = bfail(r, d_off(r), "truncated file header (metadata of %u bytes and CRC expected)",
			    meta_len);
		goto cleanup;
	}
	stored = get_le32(c);
	crc = crc32_buf(crc32_buf(0, h, sizeof(h)), meta, meta_len);
	if (CRC_BAD(stored, crc)) {
		err = bfail(r, NATIVE_HDR_LEN + meta_len,
			    "file header CRC mismatch (stored 0x%08x, computed 0x%08x)",
			    stored, crc);
		goto cleanup;
	}

	version = get_le16(h + 8);
	flags = get_le16(h + 10);
	ps = get_le32(h + 12);
	pages = get_le64(h + 16);
	meta_cnt = get_le32(h + 28);
	err = -EINVAL;
	if (version != NATIVE_VERSION) {
		bfail(r, 8, "unsupported native version %u (this reader knows %d)",
		      version, NATIVE_VERSION);
		goto cleanup;
	}
	if (flags) {
		bfail(r, 10, "unknown header flags 0x%04x", flags);
		goto cleanup;
	}
	if (!page_size_ok(ps)) {
		bfail(r, 12, "page_size %" PRIu64 " is not a power of two in [%u, %u]",
		      ps, TRACE_PAGE_SIZE_MIN, TRACE_PAGE_SIZE_MAX);
		goto cleanup;
	}
	if (!pages_ok(pages)) {
		bfail(r, 16, "pages %" PRIu64 " is not in [1, %llu]", pages,
		      (unsigned long long)TRACE_PAGES_MAX);
		goto cleanup;
	}
	if (meta_cnt > TRACE_META_MAX) {
		bfail(r, 28, "%u metadata entries, more than %d", meta_cnt,
		      TRACE_META_MAX);
		goto cleanup;
	}
	r->hdr.page_size = ps;
	r->hdr.pages = pages;
	for (uint32_t i = 0; i < meta_cnt; i++) {
		size_t at = pos, kn, vn;
		const char *k, *v;

		if (meta_len - pos < 1)
			goto short_meta;
		kn = meta[pos++];
		if (meta_len - pos < kn)
			goto short_meta;
		k = (const char *)meta + pos;
		pos += kn;
		if (meta_len - pos < 2)
			goto short_meta;
		vn = get_le16(meta + pos);
		pos += 2;
		if (meta_len - pos < vn)
			goto short_meta;
		v = (const char *)meta + pos;
		pos += vn;
		err = meta_check_key(k, kn, &why);
		if (!err)
			err = meta_check_value(v, vn, &why);
		if (err) {
			err = bfail(r, NATIVE_HDR_LEN + at, "bad metadata entry %u: %s",
				    i, why);
			goto cleanup;
		}
		if (meta_add(&r->hdr, k, kn, v, vn, false)) {
			err = bfail(r, NATIVE_HDR_LEN + at, "duplicate metadata key '%s'",
				    quote(q, sizeof(q), k, kn));
			goto cleanup;
		}
	}
	if (pos != meta_len) {
		err = bfail(r, NATIVE_HDR_LEN + pos,
			    "%zu bytes left over after the metadata entries",
			    meta_len - pos);
		goto cleanup;
	}
	err = 0;
	goto cleanup;

short_meta:
	err = bfail(r, NATIVE_HDR_LEN + pos, "metadata entries run past the metadata section");
cleanup:
	free(meta);
	return err;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;
	size_t n = *cap ? *cap : 4096;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

static int inflate_payload(struct trace_reader *r, uint32_t stored,
			   uint32_t raw_len)
{
	z_stream zs;
	int ret;

	if (grow(&r->raw, &r->raw_cap, raw_len ? raw_len : 1))
		return rfail(r, -ENOMEM, "out of memory");
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return rfail(r, -ENOMEM, "inflateInit failed");
	zs.next_in = r->payload;
	zs.avail_in = stored;
	zs.next_out = r->raw;
	zs.avail_out = raw_len;
	ret = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (ret == Z_MEM_ERROR)
		return rfail(r, -ENOMEM, "out of memory inflating");
	if (ret != Z_STREAM_END || zs.avail_out || zs.avail_in)
		return bfail(r, r->blk_off,
			     "block payload does not inflate to exactly raw_len=%u bytes (%s)",
			     raw_len, ret == Z_STREAM_END ? "size mismatch" :
			     ret == Z_BUF_ERROR ? "more data or truncated" :
			     zs.msg ? zs.msg : "corrupt");
	return 0;
}

/* Read and check the next block. */
static int native_block(struct trace_reader *r)
{
	uint8_t h[BLOCK_HDR_LEN];
	uint32_t count, raw_len, stored, crc, scrc, got = 0;
	uint64_t off = d_off(r), base;
	uint8_t type, flags;
	ssize_t n;

	r->blk_off = off;
	n = dread(r, h, sizeof(h));
	if (n < 0)
		return n;
	if (n == 0)
		return bfail(r, off, "truncated file: it ends without an END block");
	if (n < (ssize_t)sizeof(h))
		return bfail(r, off, "truncated block header (%zd of %d bytes)", n,
			     BLOCK_HDR_LEN);
	if (memcmp(h, BLOCK_MAGIC, 4))
		return bfail(r, off, "bad block magic %02x %02x %02x %02x (expected \"PCTB\")",
			     h[0], h[1], h[2], h[3]);
	type = h[4];
	flags = h[5];
	count = get_le32(h + 8);
	raw_len = get_le32(h + 12);
	stored = get_le32(h + 16);
	base = get_le64(h + 20);
	scrc = get_le32(h + 28);
	if (stored > 20U * TRACE_BLOCK_EVENTS_MAX)
		return bfail(r, off + 16, "block stored_len %u too large", stored);
	/* read the payload in steps, so memory follows the bytes present */
	while (got < stored) {
		uint32_t step = stored - got < PAYLOAD_STEP ? stored - got : PAYLOAD_STEP;

		if (grow(&r->payload, &r->payload_cap, got + step))
			return rfail(r, -ENOMEM, "out of memory");
		n = dread(r, r->payload + got, step);
		if (n < 0)
			return n;
		got += n;
		if (n < step)
			return bfail(r, off, "truncated block: payload has %u of %u bytes",
				     got, stored);
	}
	crc = crc32_buf(crc32_buf(0, h, 28), r->payload, stored);
	if (CRC_BAD(scrc, crc))
		return bfail(r, off, "block CRC mismatch (stored 0x%08x, computed 0x%08x)",
			     scrc, crc);
	if (h[6] || h[7])
		return bfail(r, off + 6, "reserved block bytes are not zero");

	if (type == BLOCK_END) {
		if (flags & ~BLK_F_END_TIME)
			return bfail(r, off + 5, "unknown END block flags 0x%02x", flags);
		if (count || raw_len || stored)
			return bfail(r, off + 8, "END block with a payload");
		if ((flags & BLK_F_END_TIME) && base < r->last_t)
			return bfail(r, off + 20, "time goes backwards: end time %" PRIu64
				     " is before the previous record's %" PRIu64,
				     base, r->last_t);
		r->end_block = true;
		r->end_pending = flags & BLK_F_END_TIME;
		r->blk_base = base;
		return 0;
	}
	if (type != BLOCK_CHUNK)
		return bfail(r, off + 4, "unknown block type %u", type);
	if (flags & ~(BLK_F_EPOCH | BLK_F_SET | BLK_F_ZLIB))
		return bfail(r, off + 5, "unknown chunk flags 0x%02x", flags);
	if (!(flags & BLK_F_EPOCH) && count == 0)
		return bfail(r, off + 8, "chunk with neither an epoch marker nor events");
	if (count > TRACE_BLOCK_EVENTS_MAX)
		return bfail(r, off + 8, "chunk of %u events, more than %u", count,
			     TRACE_BLOCK_EVENTS_MAX);
	if ((flags & BLK_F_SET) ?
	    (raw_len < count || raw_len > (uint64_t)VARINT_MAX * count) :
	    (raw_len < 2ULL * count || raw_len > 2ULL * VARINT_MAX * count))
		return bfail(r, off + 12, "raw_len %u impossible for %u events",
			     raw_len, count);
	if (!(flags & BLK_F_ZLIB) && raw_len != stored)
		return bfail(r, off + 12, "raw_len %u differs from stored_len %u in an uncompressed chunk",
			     raw_len, stored);
	if ((flags & BLK_F_ZLIB) &&
	    raw_len > (uint64_t)stored * DEFLATE_RATIO_MAX + 64)
		return bfail(r, off + 12, "raw_len %u impossible for %u compressed bytes",
			     raw_len, stored);
	if (base < r->last_t)
		return bfail(r, off + 20, "time goes backwards: chunk base time %" PRIu64
			     " is before the previous record's %" PRIu64,
			     base, r->last_t);
	if (flags & BLK_F_ZLIB) {
		int err = inflate_payload(r, stored, raw_len);

		if (err)
			return err;
		r->p = r->raw;
	} else {
		r->p = r->payload;
	}
	r->p_zlib = flags & BLK_F_ZLIB;
	r->p_len = raw_len;
	r->p_pos = 0;
	r->blk_count = count;
	r->blk_done = 0;
	r->blk_set = flags & BLK_F_SET;
	r->blk_base = base;
	r->blk_t = base;
	r->blk_page = 0;
	r->epoch_pending = flags & BLK_F_EPOCH;
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int efail(struct trace_reader *r, size_t at, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->p_zlib)
		return bfail(r, r->blk_off, "event %u of the block: %s (at byte %zu of its inflated payload)",
			     r->blk_done, msg, at);
	return bfail(r, r->blk_off + BLOCK_HDR_LEN + at, "event %u of the block at byte %" PRIu64 ": %s",
		     r->blk_done, r->blk_off, msg);
}

static int native_event(struct trace_reader *r, struct trace_event *ev)
{
	size_t at = r->p_pos;
	uint64_t v, page, t;
	int ret;

	ret = get_varint(r->p, r->p_len, &r->p_pos, &v);
	if (ret)
		return efail(r, at, ret == -1 ? "varint runs past the payload" :
			     "varint does not fit in 64 bits");
	if (r->blk_set) {
		t = r->blk_base;
		if (r->blk_done == 0) {
			page = v;
		} else {
			if (v >= UINT64_MAX - r->blk_page)
				return efail(r, at, "page gap overflows");
			page = r->blk_page + 1 + v;
		}
	} else {
		if (v > UINT64_MAX - r->blk_t)
			return efail(r, at, "time overflows 64 bits");
		t = r->blk_t + v;
		at = r->p_pos;
		ret = get_varint(r->p, r->p_len, &r->p_pos, &v);
		if (ret)
			return efail(r, at, ret == -1 ? "varint runs past the payload" :
				     "varint does not fit in 64 bits");
		page = r->blk_page + unzigzag(v);
	}
	if (page >= r->hdr.pages)
		return efail(r, at, "page %" PRIu64 " out of range: the header says pages=%" PRIu64,
			     page, r->hdr.pages);
	if (t < r->last_t)
		return efail(r, at, "time goes backwards: %" PRIu64 " before %" PRIu64,
			     t, r->last_t);
	r->blk_done++;
	if (r->blk_done == r->blk_count && r->p_pos != r->p_len)
		return efail(r, r->p_pos, "%zu bytes of garbage after the last event",
			     r->p_len - r->p_pos);
	r->blk_t = t;
	r->blk_page = page;
	ev->t_us = t;
	ev->page = page;
	ev->kind = TRACE_EV_WRITE;
	return 0;
}

static int native_next(struct trace_reader *r, struct trace_event *ev)
{
	int err;

	for (;;) {
		if (r->epoch_pending) {
			r->epoch_pending = false;
			ev->t_us = r->blk_base;
			ev->page = 0;
			ev->kind = TRACE_EV_EPOCH;
			r->last_t = ev->t_us;
			return 1;
		}
		if (r->blk_done < r->blk_count) {
			struct trace_event tmp;

			err = native_event(r, &tmp);
			if (err)
				return err;
			*ev = tmp;
			r->last_t = tmp.t_us;
			return 1;
		}
		if (r->end_pending) {
			r->end_pending = false;
			r->ended = true;
			ev->t_us = r->blk_base;
			ev->page = 0;
			ev->kind = TRACE_EV_END;
			r->last_t = ev->t_us;
			return 1;
		}
		if (r->end_block) {
			err = want(r, 1);
			if (err)
				return err;
			if (r->d_len > r->d_pos)
				return bfail(r, d_off(r), "data after the END block");
			r->state = RS_DONE;
			return 0;
		}
		err = native_block(r);
		if (err)
			return err;
	}
}

/* ---- open / detect ---- */

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
			return rfail(r, -ENOMEM, "out of memory");
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
			return rfail(r, -ENOMEM, "out of memory");
		r->d = r->dbuf;
		if (inflateInit2(&r->zs, r->comp == COMP_GZIP ? 16 + MAX_WBITS :
				 MAX_WBITS) != Z_OK)
			return rfail(r, -ENOMEM, "inflateInit failed");
		r->zs_init = true;
	}

	err = want(r, 8);
	if (err)
		return err;
	avail = r->d_len - r->d_pos;
	b = r->d + r->d_pos;
	if (avail == 0)
		return rfail(r, -EINVAL, r->comp == COMP_NONE ? "empty file" :
			     "empty file after decompression");
	if (avail >= 8 && !memcmp(b, NATIVE_MAGIC, 8)) {
		r->fmt = r->comp == COMP_NONE ? TRACE_FMT_NATIVE :
			 r->comp == COMP_GZIP ? TRACE_FMT_NATIVE_GZ :
			 TRACE_FMT_NATIVE_ZLIB;
		r->fmt_known = true;
		return native_open(r);
	}
	if (b[0] == '#') {
		r->fmt = r->comp == COMP_NONE ? TRACE_FMT_TEXT :
			 r->comp == COMP_GZIP ? TRACE_FMT_TEXT_GZ :
			 TRACE_FMT_TEXT_ZLIB;
		r->fmt_known = true;
		return text_open(r);
	}
	if (avail < 8 && !memcmp(b, NATIVE_MAGIC, avail))
		return rfail(r, -EINVAL, "truncated file header (%zu of %d bytes)",
			     avail, NATIVE_HDR_LEN);
	if (avail >= 8 && !memcmp(b, NATIVE_MAGIC, 7))
		return rfail(r, -EINVAL, "unsupported native trace version '%c'",
			     b[7] >= 0x20 && b[7] < 0x7f ? b[7] : '?');
	return rfail(r, -EINVAL,
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
	return is_text(r) ? text_next(r, ev) : native_next(r, ev);
}

const char *trace_reader__error(const struct trace_reader *r)
{
	return r->state == RS_ERR ? r->errmsg : "";
}

uint64_t trace_reader__line(const struct trace_reader *r)
{
	return is_text(r) ? r->lineno : 0;
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

/* ------------------------------------------------------------------------
 * Writer
 */
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

	if (fd < 0 || !fmt_writable(fmt) || !hdr || !header_valid(hdr)) {
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

	if (!path || !fmt_writable(fmt) || !hdr || !header_valid(hdr)) {
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

/* ------------------------------------------------------------------------
 * Epoch loader
 */
struct ep_build {
	struct trace_epochs *e;
	uint64_t cap;			/* epochs allocated */
	uint64_t *buf;			/* pages written in the open epoch */
	size_t len, bcap;
	bool open;
	uint64_t last_write;		/* time of its last WRITE */
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int ep_start(struct ep_build *b, uint64_t start)
{
	struct trace_epochs *e = b->e;

	if (e->nr_epochs >= TRACE_EPOCHS_MAX)
		return -E2BIG;
	if (e->nr_epochs == b->cap) {
		uint64_t n = b->cap ? b->cap * 2 : 64;
		struct trace_epoch *p = realloc(e->epochs, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		e->epochs = p;
		b->cap = n;
	}
	memset(&e->epochs[e->nr_epochs], 0, sizeof(e->epochs[0]));
	e->epochs[e->nr_epochs].start_us = start;
	e->nr_epochs++;
	b->open = true;
	b->len = 0;
	return 0;
}

static int ep_push(struct ep_build *b, uint64_t page, uint64_t t)
{
	if (b->len == b->bcap) {
		size_t n = b->bcap ? b->bcap * 2 : 1024;
		uint64_t *p = realloc(b->buf, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->bcap = n;
	}
	b->buf[b->len++] = page;
	b->last_write = t;
	return 0;
}

static int ep_close(struct ep_build *b)
{
	struct trace_epoch *ep;
	size_t distinct = 0, i, j;

	if (!b->open)
		return 0;
	b->open = false;
	ep = &b->e->epochs[b->e->nr_epochs - 1];
	ep->nr_events = b->len;
	ep->end_us = b->len ? sat_add(b->last_write, 1) : ep->start_us;
	if (!b->len)
		return 0;
	qsort(b->buf, b->len, sizeof(b->buf[0]), cmp_u64);
	for (i = 0; i < b->len; i++)
		if (i == 0 || b->buf[i] != b->buf[i - 1])
			distinct++;
	ep->pages = malloc(distinct * sizeof(*ep->pages));
	ep->counts = malloc(distinct * sizeof(*ep->counts));
	if (!ep->pages || !ep->counts)
		return -ENOMEM;
	for (i = 0, j = 0; i < b->len; i++) {
		if (i == 0 || b->buf[i] != b->buf[i - 1]) {
			ep->pages[j] = b->buf[i];
			ep->counts[j++] = 1;
		} else if (ep->counts[j - 1] != UINT32_MAX) {
			ep->counts[j - 1]++;
		}
	}
	ep->nr_pages = distinct;
	b->len = 0;
	return 0;
}

void trace_epochs__free(struct trace_epochs *e)
{
	if (!e)
		return;
	for (uint64_t i = 0; i < e->nr_epochs; i++) {
		free(e->epochs[i].pages);
		free(e->epochs[i].counts);
	}
	free(e->epochs);
	free(e);
}

int trace_epochs__load(struct trace_reader *r, uint64_t epoch_us,
		       struct trace_epochs **out)
{
	struct ep_build b = { 0 };
	struct trace_event ev;
	struct trace_epochs *e;
	uint64_t last_t = 0, i;
	bool any = false;
	int err;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	b.e = e;
	e->hdr = r->hdr;
	e->epoch_us = epoch_us;
	while ((err = trace_reader__next(r, &ev)) == 1) {
		any = true;
		last_t = ev.t_us;
		switch (ev.kind) {
		case TRACE_EV_WRITE:
			if (epoch_us) {
				uint64_t k = ev.t_us / epoch_us;

				if (k >= TRACE_EPOCHS_MAX) {
					err = -E2BIG;
					goto too_many;
				}
				while (e->nr_epochs <= k) {
					err = ep_close(&b);
					if (!err)
						err = ep_start(&b, e->nr_epochs * epoch_us);
					if (err)
						goto cleanup;
				}
			} else if (!b.open) {
				err = ep_start(&b, 0);	/* implicit leading epoch */
				if (err)
					goto cleanup;
			}
			err = ep_push(&b, ev.page, ev.t_us);
			if (err)
				goto cleanup;
			e->nr_events++;
			break;
		case TRACE_EV_EPOCH:
			if (epoch_us)
				break;
			err = ep_close(&b);
			if (!err)
				err = ep_start(&b, ev.t_us);
			if (err == -E2BIG)
				goto too_many;
			if (err)
				goto cleanup;
			break;
		case TRACE_EV_END:
			e->has_end = true;
			e->end_us = ev.t_us;
			break;
		}
	}
	if (err < 0)
		goto cleanup;
	err = ep_close(&b);
	if (err)
		goto cleanup;
	if (epoch_us && e->has_end) {
		uint64_t need = e->end_us / epoch_us + !!(e->end_us % epoch_us);

		if (need > TRACE_EPOCHS_MAX) {
			err = -E2BIG;
			goto too_many;
		}
		while (e->nr_epochs < need) {
			err = ep_start(&b, e->nr_epochs * epoch_us);
			if (!err)
				err = ep_close(&b);
			if (err)
				goto cleanup;
		}
	}
	for (i = 0; i < e->nr_epochs; i++) {
		struct trace_epoch *ep = &e->epochs[i];

		if (epoch_us)
			ep->end_us = sat_add(ep->start_us, epoch_us);
		else if (i + 1 < e->nr_epochs)
			ep->end_us = e->epochs[i + 1].start_us;
		else if (e->has_end)
			ep->end_us = e->end_us;
	}
	if (!e->has_end)
		e->end_us = any ? sat_add(last_t, 1) : 0;
	free(b.buf);
	*out = e;
	return 0;

too_many:
	rfail(r, -E2BIG, "the trace needs more than %u epochs%s", TRACE_EPOCHS_MAX,
	      epoch_us ? " of this length" : "");
cleanup:
	if (err == -ENOMEM && r->state != RS_ERR)
		rfail(r, -ENOMEM, "out of memory loading epochs");
	free(b.buf);
	trace_epochs__free(e);
	return err;
}

int trace__load_epochs(const char *path, uint64_t epoch_us,
		       struct trace_epochs **out, char *errbuf, size_t errlen)
{
	struct trace_reader *r;
	int err;

	r = trace_reader__open(path, errbuf, errlen);
	if (!r)
		return -errno;
	err = trace_epochs__load(r, epoch_us, out);
	if (err)
		errmsg_set(errbuf, errlen, "%s", trace_reader__error(r));
	trace_reader__close(r);
	return err;
}
