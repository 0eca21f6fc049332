// SPDX-License-Identifier: GPL-2.0
/*
 * trace_text.c - the reader of the text interchange format (see trace.h):
 * header line, preamble of metadata, then records line by line.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "trace_internal.h"

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
				return tr_fail(r, -EINVAL, "line longer than %d bytes",
					     TRACE_LINE_MAX);
			if (len > 0 && s[len - 1] == '\r')
				len--;
			*l = (const char *)s;
			*n = len;
			return 1;
		}
		if (avail > TRACE_LINE_MAX)
			return tr_fail(r, -EINVAL, "line longer than %d bytes",
				     TRACE_LINE_MAX);
		if (r->d_eof) {
			if (avail == 0)
				return 0;
			return tr_fail(r, -EINVAL,
				     "truncated file: the last line has no newline");
		}
		err = tr_fill(r);
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
		return tr_fail(r, -EINVAL, "empty file: %s", usage);
	if (n == 0 || l[0] != '#')
		return tr_fail(r, -EINVAL, "missing header: %s", usage);
	i = skip_blanks(l, n, 1);
	e = word_end(l, n, i);
	if (!word_is(l + i, e - i, "precopy-trace"))
		return tr_fail(r, -EINVAL, "missing header: %s", usage);
	i = skip_blanks(l, n, e);
	e = word_end(l, n, i);
	if (!word_is(l + i, e - i, "v1"))
		return tr_fail(r, -EINVAL, "unsupported trace version '%s' (this reader knows v1)",
			     quote(q, sizeof(q), l + i, e - i));

	i = skip_blanks(l, n, e);
	e = word_end(l, n, i);
	w = l + i;
	if (e - i < 10 || memcmp(w, "page_size=", 10))
		return tr_fail(r, -EINVAL, "bad header: expected 'page_size=' after 'v1'");
	ret = parse_u64(w + 10, e - i - 10, &ps);
	if (ret || !tr_page_size_ok(ps))
		return tr_fail(r, -EINVAL, "bad header: page_size '%s' is not a power of two in [%u, %u]",
			     quote(q, sizeof(q), w + 10, e - i - 10),
			     TRACE_PAGE_SIZE_MIN, TRACE_PAGE_SIZE_MAX);

	i = skip_blanks(l, n, e);
	e = word_end(l, n, i);
	w = l + i;
	if (e - i < 6 || memcmp(w, "pages=", 6))
		return tr_fail(r, -EINVAL, "bad header: expected 'pages=' after page_size");
	ret = parse_u64(w + 6, e - i - 6, &pages);
	if (ret || !tr_pages_ok(pages))
		return tr_fail(r, -EINVAL, "bad header: pages '%s' is not a number in [1, %llu]",
			     quote(q, sizeof(q), w + 6, e - i - 6),
			     (unsigned long long)TRACE_PAGES_MAX);

	i = skip_blanks(l, n, e);
	if (i != n)
		return tr_fail(r, -EINVAL, "bad header: unexpected '%s' after pages=",
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
	err = tr_meta_check_key(l + ks, ke - ks, &why);
	if (!err)
		err = tr_meta_check_value(l + vs, ve - vs, &why);
	if (err)
		return tr_fail(r, -EINVAL, "bad metadata '%s': %s",
			     quote(q, sizeof(q), l + ks, ke - ks), why);
	err = tr_meta_add(&r->hdr, l + ks, ke - ks, l + vs, ve - vs, false);
	if (err == -EEXIST)
		return tr_fail(r, -EINVAL, "duplicate metadata key '%s'",
			     quote(q, sizeof(q), l + ks, ke - ks));
	if (err)
		return tr_fail(r, -EINVAL, "more than %d metadata entries",
			     TRACE_META_MAX);
	return 0;
}

/* Header line, then the preamble (metadata and comments) up to the first
 * record, which is left unconsumed. */
int tr_text_open(struct trace_reader *r)
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
		return tr_fail(r, -EINVAL, "%s '%s' does not fit in 64 bits", what,
			     quote(q, sizeof(q), s, n));
	if (err)
		return tr_fail(r, -EINVAL, "%s '%s' is not an unsigned decimal number",
			     what, quote(q, sizeof(q), s, n));
	if (*t < r->last_t)
		return tr_fail(r, -EINVAL, "time goes backwards: %s %" PRIu64
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
		return tr_fail(r, -EINVAL, "bad %s marker: expected '# %s <t_us>'",
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
		return tr_fail(r, -EINVAL, "expected '<t_us> <page>', got '%s'",
			     quote(q, sizeof(q), l, n));
	if (skip_blanks(l, n, pe) != n)
		return tr_fail(r, -EINVAL, "expected '<t_us> <page>', got extra '%s'",
			     quote(q, sizeof(q), l + skip_blanks(l, n, pe),
				   n - skip_blanks(l, n, pe)));
	err = text_time(r, l + ts, te - ts, "time", &t);
	if (err)
		return err;
	err = parse_u64(l + ps, pe - ps, &page);
	if (err)
		return tr_fail(r, -EINVAL, "page '%s' is not an unsigned decimal number%s",
			     quote(q, sizeof(q), l + ps, pe - ps),
			     err == -ERANGE ? " of 64 bits" : "");
	if (page >= r->hdr.pages)
		return tr_fail(r, -EINVAL, "page %" PRIu64
			     " out of range: the header says pages=%" PRIu64,
			     page, r->hdr.pages);
	ev->t_us = t;
	ev->page = page;
	ev->kind = TRACE_EV_WRITE;
	return 0;
}

int tr_text_next(struct trace_reader *r, struct trace_event *ev)
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
			return tr_fail(r, -EINVAL, "record after the end marker of line %" PRIu64,
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
