/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h - dirty-page trace I/O: the text interchange format (plain, gzip
 * or zlib) and the native binary format, a streaming reader that detects
 * the format by itself, a writer, and a loader that groups a trace into
 * epochs for the simulator.
 *
 * Callers read this header, not the trace_*.c files. Every function states its failure
 * contract. Readers treat their input as hostile: any malformed input gives
 * a negative errno and a message naming the line (text) or byte offset
 * (binary) and what is wrong; memory stays bounded whatever the input.
 *
 * ===========================================================================
 * The trace model
 * ===========================================================================
 *
 * A trace is a header (page size, number of guest pages, metadata) followed
 * by a sequence of records in time order (t_us never decreases from one
 * record to the next, whatever their kinds):
 *
 *   WRITE (t_us, page)  a page was dirtied at t_us microseconds since the
 *                       start of the trace; 0 <= page < pages. The same page
 *                       may be written many times, in one epoch or not.
 *   EPOCH (t_us)        an epoch starts here. Trackers harvest the dirty
 *                       log by epochs; the marker lets a trace say exactly
 *                       where harvests happened, and two markers with no
 *                       WRITE between them are an epoch with no writes.
 *   END   (t_us)        optional, at most once, last record: the trace
 *                       covers [0, t_us). Without it, the trace's length is
 *                       only known up to its last record, so quiet time at
 *                       the end (or empty trailing epochs of a fixed length)
 *                       cannot be represented.
 *
 * Epoch membership is by position, not by time: the records after an EPOCH
 * marker and before the next marker (or the end) belong to its epoch. WRITEs
 * before the first marker belong to an implicit leading epoch starting at
 * t=0; there is no such epoch when the first record is a marker. A trace
 * with no marker at all is one epoch (see trace__load_epochs() for fixed
 * windows instead).
 *
 * ===========================================================================
 * Text interchange format
 * ===========================================================================
 *
 *   # precopy-trace v1 page_size=4096 pages=262144
 *   # command=redis-server --port 6379
 *   # epoch_us=100000
 *   # epoch 0
 *   17 5
 *   17 9
 *   93 5
 *   # epoch 100000
 *   # epoch 200000
 *   200011 70000
 *   # end 300000
 *
 * - Lines end with '\n' (a '\r' before it is ignored). Every line, the last
 *   one too, must end with '\n': a final line without one is reported as a
 *   truncated file. A line is at most TRACE_LINE_MAX bytes.
 * - Line 1 is the header: '#' as the very first byte of the file, then
 *   "precopy-trace v1" and the fields page_size= and pages=, in that order,
 *   separated by spaces or tabs. page_size is a power of two in
 *   [TRACE_PAGE_SIZE_MIN, TRACE_PAGE_SIZE_MAX]; pages is in
 *   [1, TRACE_PAGES_MAX]. Any other version or field is rejected.
 * - Numbers are unsigned decimal (digits only, no sign, at most 2^64-1).
 *   Fields are separated by runs of spaces or tabs; leading and trailing
 *   blanks are allowed.
 * - "<t_us> <page>" is a WRITE, "# epoch <t_us>" an EPOCH marker and
 *   "# end <t_us>" the END record. After the END record only blank and
 *   comment lines may follow.
 * - The preamble is the lines between the header and the first record.
 *   There, a comment whose text before its first '=' is a single word is
 *   metadata, "# key=value" (or "# key = value"): key is 1..TRACE_META_KEY_MAX characters of [A-Za-z0-9_.-]
 *   starting with a letter, not "epoch" nor "end"; value is everything after
 *   '=' with surrounding blanks trimmed, 0..TRACE_META_VAL_MAX bytes, no
 *   control characters. At most TRACE_META_MAX entries; keys are unique.
 *   Bad, overlong, duplicated or too many entries are rejected, not
 *   dropped.
 * - Any other line starting with '#' is a free comment and is ignored, and
 *   so are blank lines. After the preamble this includes "# key=value"
 *   lines: metadata must come first.
 * - Compressed text is the same bytes in a gzip stream (RFC 1952, several
 *   members allowed, as `cat a.gz b.gz`) or a zlib stream (RFC 1950). The
 *   writer compresses at level 1, for speed; native is the compact form
 *   (3 to 4 times smaller than gzipped text on tracker-like traces).
 *
 * ===========================================================================
 * Native binary format "PCTRACE1" (all integers little-endian)
 * ===========================================================================
 *
 * File header, then blocks. The native form carries everything the text
 * form does (header, metadata, every record in its order) except free
 * comments and blank lines.
 *
 *   offset size  file header
 *        0    8  magic "PCTRACE1"
 *        8    2  version = 1
 *       10    2  flags = 0 (readers reject unknown bits)
 *       12    4  page_size
 *       16    8  pages
 *       24    4  meta_len: bytes of the metadata section (<= 65536)
 *       28    4  meta_cnt: metadata entries (<= TRACE_META_MAX)
 *       32    *  metadata: meta_cnt times { u8 klen; key[klen];
 *                u16 vlen; value[vlen] }, exactly meta_len bytes, same
 *                rules as the text form
 *  32+meta_len 4 crc32 (zlib's crc32()) of bytes [0, 32 + meta_len)
 *
 *   offset size  block header (32 bytes), then stored_len payload bytes
 *        0    4  magic "PCTB"
 *        4    1  type: 1 = CHUNK of records, 2 = END of file
 *        5    1  flags:
 *                  0x01 EPOCH     (CHUNK) an EPOCH marker at base_t
 *                                 precedes the chunk's WRITEs
 *                  0x02 SET       (CHUNK) payload is a sorted page set
 *                  0x04 ZLIB      (CHUNK) payload is zlib-compressed
 *                  0x08 END_TIME  (END) the trace has an END record at
 *                                 base_t
 *        6    2  reserved = 0
 *        8    4  count: WRITEs in the chunk (<= TRACE_BLOCK_EVENTS_MAX)
 *       12    4  raw_len: payload bytes after decompression
 *       16    4  stored_len: payload bytes in the file (== raw_len unless
 *                ZLIB)
 *       20    8  base_t: time base of the chunk (marker time for EPOCH)
 *       28    4  crc32 of header bytes [0, 28) followed by the stored
 *                payload
 *
 * Payload (after decompression), with LEB128 varints (at most 10 bytes):
 *   - default: count times { varint dt; varint zigzag(dpage) }: the WRITE's
 *     time is the previous WRITE's time in the chunk (base_t for the first)
 *     plus dt; its page is the previous page (0 for the first) plus dpage,
 *     a signed delta zigzag-encoded (0,-1,1,-2.. -> 0,1,2,3..).
 *   - SET: every WRITE is at base_t and pages are strictly increasing:
 *     count times { varint gap }, page = previous page + 1 + gap, the first
 *     page being gap itself. The writer picks SET when the chunk qualifies,
 *     which is the usual shape of a harvest (sorted pages, one time).
 *   The writer sets ZLIB when compressing makes a payload of 64 bytes or
 *   more smaller.
 *   The payload must hold exactly count WRITEs and nothing more, so
 *   count <= raw_len <= 10 * count (SET) or 2 * count <= raw_len <=
 *   20 * count (default); a ZLIB payload may not claim more than
 *   1032 * stored_len + 64 bytes (deflate's maximum ratio), which keeps a
 *   hostile file from making the reader allocate more than it is worth.
 *
 * A CHUNK without EPOCH continues the current epoch (or the implicit
 * leading one); its base_t is at least the previous record's time. A CHUNK
 * has the EPOCH flag or at least one WRITE. The writer cuts epochs longer
 * than TRACE_WRITER_CHUNK_EVENTS WRITEs into several chunks, so a block
 * never needs more than a few MiB of memory. The END block (count,
 * raw_len, stored_len 0) is mandatory and last: a file that stops at a
 * block boundary without it is truncated. Nothing may follow it.
 *
 * The reader also accepts a native file wrapped in gzip or zlib.
 */
#ifndef PRECOPY_TRACE_H
#define PRECOPY_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_LINE_MAX 1024		/* bytes per text line, without '\n' */
#define TRACE_META_MAX 32		/* metadata entries */
#define TRACE_META_KEY_MAX 32		/* bytes of a metadata key */
#define TRACE_META_VAL_MAX 256		/* bytes of a metadata value */
#define TRACE_PAGE_SIZE_MIN 512U
#define TRACE_PAGE_SIZE_MAX (1U << 30)
#define TRACE_PAGES_MAX (1ULL << 40)
#define TRACE_BLOCK_EVENTS_MAX (1U << 20)	/* WRITEs per native chunk */
#define TRACE_WRITER_CHUNK_EVENTS 65536U	/* what the writer emits */
#define TRACE_EPOCHS_MAX (1U << 20)	/* epochs trace__load_epochs() makes */

enum trace_format {
	TRACE_FMT_TEXT = 0,		/* plain text */
	TRACE_FMT_TEXT_GZ,		/* text in a gzip stream */
	TRACE_FMT_TEXT_ZLIB,		/* text in a zlib stream */
	TRACE_FMT_NATIVE,		/* PCTRACE1 */
	TRACE_FMT_NATIVE_GZ,		/* PCTRACE1 in gzip (read only) */
	TRACE_FMT_NATIVE_ZLIB,		/* PCTRACE1 in zlib (read only) */
};

/* Short name of a format: "text", "text.gz", "text.zlib", "native",
 * "native.gz", "native.zlib"; "?" for an unknown value. Can't fail. */
const char *trace_format__name(enum trace_format fmt);

/* Parse a name of trace_format__name() (also "gz" for TEXT_GZ, "zlib" for
 * TEXT_ZLIB). Returns 0 and sets *fmt, or -EINVAL for an unknown name. */
int trace_format__parse(const char *name, enum trace_format *fmt);

/* The format a trace written to path should have, from its suffix:
 * ".gz" text.gz, ".zlib" text.zlib, ".pctrace" native, anything else
 * text. Can't fail. */
enum trace_format trace_format__of_path(const char *path);

struct trace_meta {
	char key[TRACE_META_KEY_MAX + 1];
	char value[TRACE_META_VAL_MAX + 1];
};

struct trace_header {
	uint32_t page_size;
	uint64_t pages;
	unsigned int meta_cnt;
	struct trace_meta meta[TRACE_META_MAX];	/* in file order */
};

/* Set *hdr to page_size and pages with no metadata. Returns 0, or -EINVAL
 * (hdr untouched) if page_size or pages are out of the ranges above. */
int trace_header__init(struct trace_header *hdr, uint32_t page_size,
		       uint64_t pages);

/* Add key=value, or replace the value of an existing key. Returns 0;
 * -EINVAL if key or value break the metadata rules (charset, reserved key,
 * control characters), -E2BIG if either is too long, -ENOSPC if the header
 * already holds TRACE_META_MAX keys. On error hdr is unchanged. */
int trace_header__set(struct trace_header *hdr, const char *key,
		      const char *value);

/* The value of key, or NULL if absent. Can't fail. */
const char *trace_header__get(const struct trace_header *hdr, const char *key);

enum trace_event_kind {
	TRACE_EV_WRITE = 0,	/* page dirtied at t_us */
	TRACE_EV_EPOCH = 1,	/* an epoch starts at t_us; page is 0 */
	TRACE_EV_END = 2,	/* the trace ends at t_us; page is 0 */
};

struct trace_event {
	uint64_t t_us;
	uint64_t page;
	enum trace_event_kind kind;
};

/* ------------------------------------------------------------------------
 * Reader
 */
struct trace_reader;

/*
 * Open a trace file (path "-" is standard input) and read its header. The
 * format is detected from the content: plain text, gzip or zlib wrapping
 * either text or native, or native. If errbuf is not NULL, an error message
 * is stored there (always NUL-terminated, truncated to errlen).
 *
 * Returns the reader, or NULL with errno set: ENOENT and the like from
 * open(2), EINVAL for input that is not a valid trace header (unknown
 * format, bad header line, bad metadata, header CRC mismatch...), ENOMEM.
 */
struct trace_reader *trace_reader__open(const char *path, char *errbuf,
					size_t errlen);

/* Same on an already open file descriptor, which is read from its current
 * position and never closed; name is used in messages (may be NULL). */
struct trace_reader *trace_reader__open_fd(int fd, const char *name,
					   char *errbuf, size_t errlen);

/* Same over len bytes at buf, which must outlive the reader (buf may be
 * NULL if len is 0; NULL with len > 0 fails with EINVAL). Never reads
 * outside [buf, buf + len). */
struct trace_reader *trace_reader__open_mem(const void *buf, size_t len,
					    char *errbuf, size_t errlen);

/* The header read by open. Can't fail. */
const struct trace_header *trace_reader__header(const struct trace_reader *r);

/* The detected format. Can't fail. */
enum trace_format trace_reader__format(const struct trace_reader *r);

/*
 * Read the next record into *ev. Returns 1 if a record was read, 0 at the
 * end of a well-formed trace, or a negative errno: -EINVAL for malformed
 * input (page out of range, time going backwards, garbage, truncation,
 * CRC mismatch, corrupt compression, overlong line...), -ENOMEM, or the
 * error of read(2). A record is returned only once everything it depends
 * on was checked (a native block's CRC is checked before any of its
 * records is returned). After 0 or an error, every later call returns the
 * same value; *ev is unchanged by a call that does not return 1.
 */
int trace_reader__next(struct trace_reader *r, struct trace_event *ev);

/* The last error as "NAME: line N: what" (text) or "NAME: byte N: what"
 * (native; offsets into the decompressed stream when it is compressed),
 * or "" if there was none. Valid until the reader is closed. */
const char *trace_reader__error(const struct trace_reader *r);

/* Close the reader and free it; NULL is ignored. Can't fail. */
void trace_reader__close(struct trace_reader *r);

/* ------------------------------------------------------------------------
 * Writer
 */
struct trace_writer;

/*
 * Create a trace at path in format fmt (TRACE_FMT_TEXT, _TEXT_GZ,
 * _TEXT_ZLIB or _NATIVE) with header hdr (copied; hdr must satisfy the
 * rules of trace_header__init/__set). A regular file is written to a
 * temporary file next to it and renamed over path by a successful
 * trace_writer__close(), so a failed write never leaves a partial trace
 * under the final name. Path "-" is standard output; another existing
 * non-regular file (FIFO, /dev/full...) is written in place.
 *
 * Returns the writer, or NULL with errno set: EINVAL (bad fmt or header),
 * ENOMEM, or the error of creating the file.
 */
struct trace_writer *trace_writer__open(const char *path,
					enum trace_format fmt,
					const struct trace_header *hdr);

/* Same on an open descriptor, which trace_writer__close() flushes but does
 * not close. */
struct trace_writer *trace_writer__open_fd(int fd, enum trace_format fmt,
					   const struct trace_header *hdr);

/*
 * Append a record. Returns 0, or a negative errno: -EINVAL if the record
 * breaks the trace rules (page >= pages, t_us less than the previous
 * record's, anything after mark_end); -ENOSPC, -EIO... if writing failed.
 * A rejected record is not written and the writer stays usable after
 * -EINVAL; an I/O error is sticky: every later call, and close, return it.
 */
int trace_writer__write_event(struct trace_writer *w, uint64_t t_us,
			      uint64_t page);
int trace_writer__mark_epoch(struct trace_writer *w, uint64_t t_us);
int trace_writer__mark_end(struct trace_writer *w, uint64_t t_us);

/* Message about the last error, or "". Valid until the writer is closed. */
const char *trace_writer__error(const struct trace_writer *w);

/*
 * Flush everything, make it durable (fsync) and, for a regular file,
 * rename the temporary file over the final path. Always frees w (NULL is
 * ignored, returning 0). Returns 0 only if every byte reached the file;
 * otherwise a negative errno (the sticky I/O error, or that of flush,
 * fsync, close or rename), and the temporary file is removed so the final
 * path keeps its previous content.
 */
int trace_writer__close(struct trace_writer *w);

/* Free w without publishing anything: the temporary file is removed. NULL
 * is ignored. Can't fail. */
void trace_writer__discard(struct trace_writer *w);

/* ------------------------------------------------------------------------
 * Loading a trace grouped by epochs (for the simulator)
 */
struct trace_epoch {
	uint64_t start_us;	/* marker time, or k * epoch_us */
	uint64_t end_us;	/* exclusive; see trace__load_epochs() */
	uint64_t nr_events;	/* WRITEs in the epoch, repeats included */
	uint64_t nr_pages;	/* distinct pages written */
	uint64_t *pages;	/* nr_pages page indices, ascending */
	uint32_t *counts;	/* WRITEs of pages[i] (saturates at 2^32-1) */
};

struct trace_epochs {
	struct trace_header hdr;
	uint64_t epoch_us;	/* as passed; 0 = the file's markers */
	uint64_t end_us;	/* END time, or last record's time + 1, or 0 */
	bool has_end;		/* the trace had an END record */
	uint64_t nr_events;	/* WRITEs in the trace */
	uint64_t nr_epochs;
	struct trace_epoch *epochs;
};

/*
 * Read the rest of the trace of r and group its WRITEs into epochs:
 *
 * - epoch_us == 0: by the file's own epochs (see "The trace model"). Epoch
 *   i ends where epoch i+1 starts; the last ends at the END time if any,
 *   else one past its last WRITE's time (at its start if it has none). A
 *   trace without markers gives one epoch, or none if it has no WRITE.
 * - epoch_us > 0: fixed windows; epoch k holds the WRITEs with
 *   k * epoch_us <= t_us < (k + 1) * epoch_us, markers are ignored. There
 *   are as many epochs as needed to cover every WRITE and, with an END
 *   record, [0, end) (ceil(end / epoch_us)); empty ones included.
 *
 * Returns 0 and sets *out (free with trace_epochs__free()), or a negative
 * errno with *out untouched: the reader's error (see trace_reader__error()),
 * -E2BIG if more than TRACE_EPOCHS_MAX epochs would be needed, -ENOMEM.
 * Memory is proportional to the number of WRITEs plus epochs.
 */
int trace_epochs__load(struct trace_reader *r, uint64_t epoch_us,
		       struct trace_epochs **out);

/* Open path, load it with trace_epochs__load() and close it. Returns 0 or
 * a negative errno as trace_reader__open (-errno) and trace_epochs__load;
 * a message is stored in errbuf (may be NULL) on error. */
int trace__load_epochs(const char *path, uint64_t epoch_us,
		       struct trace_epochs **out, char *errbuf, size_t errlen);

/* Free what trace_epochs__load() returned; NULL is ignored. Can't fail. */
void trace_epochs__free(struct trace_epochs *e);

#endif /* PRECOPY_TRACE_H */
