// SPDX-License-Identifier: GPL-2.0
/*
 * trace_epochs.c - loading a trace grouped by epochs, for the simulator
 * (see trace.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "trace_internal.h"

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
	tr_fail(r, -E2BIG, "the trace needs more than %u epochs%s", TRACE_EPOCHS_MAX,
	      epoch_us ? " of this length" : "");
cleanup:
	if (err == -ENOMEM && r->state != RS_ERR)
		tr_fail(r, -ENOMEM, "out of memory loading epochs");
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
