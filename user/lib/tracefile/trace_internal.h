/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_internal.h - what the files of the trace library share and its
 * callers never see: the limits of the native format, the reader's state,
 * the byte and text helpers, and the functions one file of the reader
 * offers the others. Callers include trace.h only.
 *
 *   trace_header.c   format names, headers, metadata rules
 *   trace_input.c    raw bytes, inflate, detection; the public reader API
 *   trace_text.c     the text format's parser
 *   trace_native.c   the native format's parser
 *   trace_writer.c   the writer, both formats
 *   trace_epochs.c   grouping a trace into epochs
 *
 * Functions offered across files are prefixed tr_. Those taking a reader
 * that fail store the message in the reader (state RS_ERR) and return the
 * negative errno, which every later trace_reader__next() returns again.
 */
#ifndef PRECOPY_TRACE_INTERNAL_H
#define PRECOPY_TRACE_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

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
 * Reader state
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

static inline bool tr_is_text(const struct trace_reader *r)
{
	return r->fmt_known && (r->fmt == TRACE_FMT_TEXT ||
				r->fmt == TRACE_FMT_TEXT_GZ ||
				r->fmt == TRACE_FMT_TEXT_ZLIB);
}

/* Offset of the next decoded byte. */
static inline uint64_t tr_off(const struct trace_reader *r)
{
	return r->d_base + r->d_pos;
}

/* ------------------------------------------------------------------------
 * Byte and text helpers
 */
static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline size_t put_varint(uint8_t *p, uint64_t v)
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
static inline int get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
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

static inline uint64_t zigzag(uint64_t delta)
{
	return (delta << 1) ^ (0 - (delta >> 63));
}

static inline uint64_t unzigzag(uint64_t v)
{
	return (v >> 1) ^ (0 - (v & 1));
}

static inline uint32_t crc32_buf(uint32_t crc, const void *p, size_t len)
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

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline size_t skip_blanks(const char *s, size_t len, size_t i)
{
	while (i < len && is_blank(s[i]))
		i++;
	return i;
}

static inline size_t word_end(const char *s, size_t len, size_t i)
{
	while (i < len && !is_blank(s[i]))
		i++;
	return i;
}

static inline bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !memcmp(s, w, len);
}

/* Parse a whole token of decimal digits. 0, -EINVAL (not digits) or
 * -ERANGE (more than 64 bits). */
static inline int parse_u64(const char *s, size_t len, uint64_t *out)
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

/* Copy at most 40 bytes of s into dst for a message, replacing what is
 * not printable by '?'. */
static inline const char *quote(char *dst, size_t dstlen, const char *s,
				 size_t len)
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
 * trace_header.c
 */

/* Whether a header's page size / page count is in the ranges of trace.h. */
bool tr_page_size_ok(uint64_t ps);
bool tr_pages_ok(uint64_t pages);

/* Check a metadata key or value of n bytes against the rules of trace.h.
 * 0, or -EINVAL / -E2BIG with *why set to a message. */
int tr_meta_check_key(const char *k, size_t n, const char **why);
int tr_meta_check_value(const char *v, size_t n, const char **why);

/* Add a checked entry to hdr, or replace its value if replace. 0, or
 * -ENOSPC (TRACE_META_MAX entries) / -EEXIST (present and !replace). */
int tr_meta_add(struct trace_header *hdr, const char *k, size_t kn,
		const char *v, size_t vn, bool replace);

/* Whether a caller-made header satisfies every rule (for the writer). */
bool tr_header_valid(const struct trace_header *hdr);

/* ------------------------------------------------------------------------
 * trace_input.c: decoded bytes for the parsers
 */

/* Fail at the current line (text) or decoded offset (native). Returns err. */
__attribute__((format(printf, 3, 4)))
int tr_fail(struct trace_reader *r, int err, const char *fmt, ...);

/* Fail with -EINVAL at decoded byte off (native; text names the current
 * line). Returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
int tr_fail_at(struct trace_reader *r, uint64_t off, const char *fmt, ...);

/* Get more decoded bytes: after it returns 0, d_len grew or d_eof is set.
 * Moves the unread bytes to the start of the buffer: pointers into it are
 * invalid afterwards. 0 or a negative errno. */
int tr_fill(struct trace_reader *r);

/* Copy up to n decoded bytes to dst. Returns how many (fewer only at the
 * end of the input) or a negative errno. */
ssize_t tr_read(struct trace_reader *r, void *dst, size_t n);

/* Ensure at least n decoded bytes are buffered, or the end was reached.
 * 0 or a negative errno. */
int tr_want(struct trace_reader *r, size_t n);

/* ------------------------------------------------------------------------
 * trace_text.c and trace_native.c: the parsers
 */

/* Read the header (and, for text, the preamble) once the format is known.
 * 0 or a negative errno. */
int tr_text_open(struct trace_reader *r);
int tr_native_open(struct trace_reader *r);

/* trace_reader__next() of each format: 1, 0 at the end, or a negative
 * errno. */
int tr_text_next(struct trace_reader *r, struct trace_event *ev);
int tr_native_next(struct trace_reader *r, struct trace_event *ev);

#endif /* PRECOPY_TRACE_INTERNAL_H */
