// SPDX-License-Identifier: GPL-2.0
/*
 * trace_header.c - trace formats by name, trace headers and the rules of
 * their metadata, shared by the readers and the writer (see trace.h).
 */
#include <errno.h>
#include <string.h>

#include "trace_internal.h"

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

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

enum trace_format trace_format__of_path(const char *path)
{
	if (ends_with(path, ".gz"))
		return TRACE_FMT_TEXT_GZ;
	if (ends_with(path, ".zlib"))
		return TRACE_FMT_TEXT_ZLIB;
	if (ends_with(path, ".pctrace"))
		return TRACE_FMT_NATIVE;
	return TRACE_FMT_TEXT;
}

bool tr_page_size_ok(uint64_t ps)
{
	return ps >= TRACE_PAGE_SIZE_MIN && ps <= TRACE_PAGE_SIZE_MAX &&
	       !(ps & (ps - 1));
}

bool tr_pages_ok(uint64_t pages)
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
int tr_meta_check_key(const char *k, size_t n, const char **why)
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

int tr_meta_check_value(const char *v, size_t n, const char **why)
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
int tr_meta_add(struct trace_header *hdr, const char *k, size_t kn,
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
	if (!tr_page_size_ok(page_size) || !tr_pages_ok(pages))
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

	err = tr_meta_check_key(key, kn, &why);
	if (err)
		return err;
	err = tr_meta_check_value(value, vn, &why);
	if (err)
		return err;
	return tr_meta_add(hdr, key, kn, value, vn, true);
}

const char *trace_header__get(const struct trace_header *hdr, const char *key)
{
	int i = meta_find(hdr, key, strlen(key));

	return i < 0 ? NULL : hdr->meta[i].value;
}

/* Check a caller-made header as the writer needs it. */
bool tr_header_valid(const struct trace_header *hdr)
{
	const char *why;

	if (!tr_page_size_ok(hdr->page_size) || !tr_pages_ok(hdr->pages) ||
	    hdr->meta_cnt > TRACE_META_MAX)
		return false;
	for (unsigned int i = 0; i < hdr->meta_cnt; i++) {
		const struct trace_meta *m = &hdr->meta[i];
		size_t kn = strnlen(m->key, sizeof(m->key));
		size_t vn = strnlen(m->value, sizeof(m->value));

		if (kn == sizeof(m->key) || vn == sizeof(m->value))
			return false;
		if (tr_meta_check_key(m->key, kn, &why) ||
		    tr_meta_check_value(m->value, vn, &why))
			return false;
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(hdr->meta[j].key, m->key))
				return false;
	}
	return true;
}
