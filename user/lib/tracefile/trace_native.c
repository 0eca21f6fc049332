// SPDX-License-Identifier: GPL-2.0
/*
 * trace_native.c - the reader of the native binary format "PCTRACE1" (see
 * trace.h): file header with metadata, then checked blocks of varint
 * records, inflated when the block says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "trace_internal.h"

int tr_native_open(struct trace_reader *r)
{
	uint8_t h[NATIVE_HDR_LEN], c[4], *meta = NULL;
	uint32_t meta_len, meta_cnt, crc, stored, version, flags;
	uint64_t ps, pages;
	size_t pos = 0;
	const char *why;
	char q[48];
	ssize_t got;
	int err;

	got = tr_read(r, h, sizeof(h));
	if (got < 0)
		return got;
	if (got < (ssize_t)sizeof(h))
		return tr_fail_at(r, got, "truncated file header (%zd of %d bytes)", got,
			     NATIVE_HDR_LEN);
	meta_len = get_le32(h + 24);
	if (meta_len > NATIVE_META_LEN_MAX)
		return tr_fail_at(r, 24, "metadata length %u larger than %u", meta_len,
			     NATIVE_META_LEN_MAX);
	meta = malloc(meta_len ? meta_len : 1);
	if (!meta)
		return tr_fail(r, -ENOMEM, "out of memory");
	got = tr_read(r, meta, meta_len);
	if (got == meta_len)
		got = tr_read(r, c, 4);
	else if (got >= 0)
		got = 0;	/* short: no room for the CRC */
	if (got < 0) {
		err = got;
		goto cleanup;
	}
	if (got != 4) {
		err = tr_fail_at(r, tr_off(r), "truncated file header (metadata of %u bytes and CRC expected)",
			    meta_len);
		goto cleanup;
	}
	stored = get_le32(c);
	crc = crc32_buf(crc32_buf(0, h, sizeof(h)), meta, meta_len);
	if (CRC_BAD(stored, crc)) {
		err = tr_fail_at(r, NATIVE_HDR_LEN + meta_len,
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
		tr_fail_at(r, 8, "unsupported native version %u (this reader knows %d)",
		      version, NATIVE_VERSION);
		goto cleanup;
	}
	if (flags) {
		tr_fail_at(r, 10, "unknown header flags 0x%04x", flags);
		goto cleanup;
	}
	if (!tr_page_size_ok(ps)) {
		tr_fail_at(r, 12, "page_size %" PRIu64 " is not a power of two in [%u, %u]",
		      ps, TRACE_PAGE_SIZE_MIN, TRACE_PAGE_SIZE_MAX);
		goto cleanup;
	}
	if (!tr_pages_ok(pages)) {
		tr_fail_at(r, 16, "pages %" PRIu64 " is not in [1, %llu]", pages,
		      (unsigned long long)TRACE_PAGES_MAX);
		goto cleanup;
	}
	if (meta_cnt > TRACE_META_MAX) {
		tr_fail_at(r, 28, "%u metadata entries, more than %d", meta_cnt,
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
		err = tr_meta_check_key(k, kn, &why);
		if (!err)
			err = tr_meta_check_value(v, vn, &why);
		if (err) {
			err = tr_fail_at(r, NATIVE_HDR_LEN + at, "bad metadata entry %u: %s",
				    i, why);
			goto cleanup;
		}
		if (tr_meta_add(&r->hdr, k, kn, v, vn, false)) {
			err = tr_fail_at(r, NATIVE_HDR_LEN + at, "duplicate metadata key '%s'",
				    quote(q, sizeof(q), k, kn));
			goto cleanup;
		}
	}
	if (pos != meta_len) {
		err = tr_fail_at(r, NATIVE_HDR_LEN + pos,
			    "%zu bytes left over after the metadata entries",
			    meta_len - pos);
		goto cleanup;
	}
	err = 0;
	goto cleanup;

short_meta:
	err = tr_fail_at(r, NATIVE_HDR_LEN + pos, "metadata entries run past the metadata section");
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
		return tr_fail(r, -ENOMEM, "out of memory");
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return tr_fail(r, -ENOMEM, "inflateInit failed");
	zs.next_in = r->payload;
	zs.avail_in = stored;
	zs.next_out = r->raw;
	zs.avail_out = raw_len;
	ret = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (ret == Z_MEM_ERROR)
		return tr_fail(r, -ENOMEM, "out of memory inflating");
	if (ret != Z_STREAM_END || zs.avail_out || zs.avail_in)
		return tr_fail_at(r, r->blk_off,
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
	uint64_t off = tr_off(r), base;
	uint8_t type, flags;
	ssize_t n;

	r->blk_off = off;
	n = tr_read(r, h, sizeof(h));
	if (n < 0)
		return n;
	if (n == 0)
		return tr_fail_at(r, off, "truncated file: it ends without an END block");
	if (n < (ssize_t)sizeof(h))
		return tr_fail_at(r, off, "truncated block header (%zd of %d bytes)", n,
			     BLOCK_HDR_LEN);
	if (memcmp(h, BLOCK_MAGIC, 4))
		return tr_fail_at(r, off, "bad block magic %02x %02x %02x %02x (expected \"PCTB\")",
			     h[0], h[1], h[2], h[3]);
	type = h[4];
	flags = h[5];
	count = get_le32(h + 8);
	raw_len = get_le32(h + 12);
	stored = get_le32(h + 16);
	base = get_le64(h + 20);
	scrc = get_le32(h + 28);
	if (stored > 20U * TRACE_BLOCK_EVENTS_MAX)
		return tr_fail_at(r, off + 16, "block stored_len %u too large", stored);
	/* read the payload in steps, so memory follows the bytes present */
	while (got < stored) {
		uint32_t step = stored - got < PAYLOAD_STEP ? stored - got : PAYLOAD_STEP;

		if (grow(&r->payload, &r->payload_cap, got + step))
			return tr_fail(r, -ENOMEM, "out of memory");
		n = tr_read(r, r->payload + got, step);
		if (n < 0)
			return n;
		got += n;
		if (n < step)
			return tr_fail_at(r, off, "truncated block: payload has %u of %u bytes",
				     got, stored);
	}
	crc = crc32_buf(crc32_buf(0, h, 28), r->payload, stored);
	if (CRC_BAD(scrc, crc))
		return tr_fail_at(r, off, "block CRC mismatch (stored 0x%08x, computed 0x%08x)",
			     scrc, crc);
	if (h[6] || h[7])
		return tr_fail_at(r, off + 6, "reserved block bytes are not zero");

	if (type == BLOCK_END) {
		if (flags & ~BLK_F_END_TIME)
			return tr_fail_at(r, off + 5, "unknown END block flags 0x%02x", flags);
		if (count || raw_len || stored)
			return tr_fail_at(r, off + 8, "END block with a payload");
		if ((flags & BLK_F_END_TIME) && base < r->last_t)
			return tr_fail_at(r, off + 20, "time goes backwards: end time %" PRIu64
				     " is before the previous record's %" PRIu64,
				     base, r->last_t);
		r->end_block = true;
		r->end_pending = flags & BLK_F_END_TIME;
		r->blk_base = base;
		return 0;
	}
	if (type != BLOCK_CHUNK)
		return tr_fail_at(r, off + 4, "unknown block type %u", type);
	if (flags & ~(BLK_F_EPOCH | BLK_F_SET | BLK_F_ZLIB))
		return tr_fail_at(r, off + 5, "unknown chunk flags 0x%02x", flags);
	if (!(flags & BLK_F_EPOCH) && count == 0)
		return tr_fail_at(r, off + 8, "chunk with neither an epoch marker nor events");
	if (count > TRACE_BLOCK_EVENTS_MAX)
		return tr_fail_at(r, off + 8, "chunk of %u events, more than %u", count,
			     TRACE_BLOCK_EVENTS_MAX);
	if ((flags & BLK_F_SET) ?
	    (raw_len < count || raw_len > (uint64_t)VARINT_MAX * count) :
	    (raw_len < 2ULL * count || raw_len > 2ULL * VARINT_MAX * count))
		return tr_fail_at(r, off + 12, "raw_len %u impossible for %u events",
			     raw_len, count);
	if (!(flags & BLK_F_ZLIB) && raw_len != stored)
		return tr_fail_at(r, off + 12, "raw_len %u differs from stored_len %u in an uncompressed chunk",
			     raw_len, stored);
	if ((flags & BLK_F_ZLIB) &&
	    raw_len > (uint64_t)stored * DEFLATE_RATIO_MAX + 64)
		return tr_fail_at(r, off + 12, "raw_len %u impossible for %u compressed bytes",
			     raw_len, stored);
	if (base < r->last_t)
		return tr_fail_at(r, off + 20, "time goes backwards: chunk base time %" PRIu64
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
		return tr_fail_at(r, r->blk_off, "event %u of the block: %s (at byte %zu of its inflated payload)",
			     r->blk_done, msg, at);
	return tr_fail_at(r, r->blk_off + BLOCK_HDR_LEN + at, "event %u of the block at byte %" PRIu64 ": %s",
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

int tr_native_next(struct trace_reader *r, struct trace_event *ev)
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
			err = tr_want(r, 1);
			if (err)
				return err;
			if (r->d_len > r->d_pos)
				return tr_fail_at(r, tr_off(r), "data after the END block");
			r->state = RS_DONE;
			return 0;
		}
		err = native_block(r);
		if (err)
			return err;
	}
}
