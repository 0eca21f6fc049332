// SPDX-License-Identifier: GPL-2.0
/*
 * trace-cut - copy a dirty-page trace, keeping one range of pages, into
 * the native format (or another one), with metadata added or replaced.
 *
 *   trace-cut IN OUT [--range LO:HI] [--meta KEY=VALUE]... [--format F]
 *
 * Every record of IN is copied in order; with --range only the WRITEs of
 * pages LO <= page < HI are kept, renumbered page - LO, and the header
 * says pages = HI - LO. EPOCH markers and the END record are kept, so the
 * epochs and the length do not change. The format of OUT is native unless
 * --format says otherwise (names of trace_format__parse()).
 *
 * Used by tools/record-corpus/record-holdout to cut a process trace of
 * QEMU down to its guest's RAM block (guest_ram.py finds LO) and to store
 * the holdout traces compactly. Refuses an existing OUT; on any error or
 * on SIGINT/SIGTERM OUT is not created.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracefile/trace.h"

#define MAX_META 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "trace-cut: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nusage: trace-cut IN OUT [--range LO:HI] "
		"[--meta KEY=VALUE]... [--format native|text|text.gz]\n");
	return 2;
}

static int parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	char *end;

	errno = 0;
	*lo = strtoull(s, &end, 10);
	if (errno || end == s || *end != ':' || *s == '-')
		return -EINVAL;
	s = end + 1;
	*hi = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *hi <= *lo)
		return -EINVAL;
	return 0;
}

/* Copy r to w, keeping [lo, hi). Returns 0 or a negative errno with a
 * message printed. */
static int copy(struct trace_reader *r, struct trace_writer *w, uint64_t lo,
		uint64_t hi, uint64_t *kept)
{
	struct trace_event ev;
	int ret;

	while ((ret = trace_reader__next(r, &ev)) == 1) {
		if (stop)
			return -EINTR;
		switch (ev.kind) {
		case TRACE_EV_WRITE:
			if (ev.page < lo || ev.page >= hi)
				continue;
			ret = trace_writer__write_event(w, ev.t_us, ev.page - lo);
			++*kept;
			break;
		case TRACE_EV_EPOCH:
			ret = trace_writer__mark_epoch(w, ev.t_us);
			break;
		default:
			ret = trace_writer__mark_end(w, ev.t_us);
			break;
		}
		if (ret) {
			fprintf(stderr, "trace-cut: %s\n",
				trace_writer__error(w)[0] ? trace_writer__error(w) :
				strerror(-ret));
			return ret;
		}
	}
	if (ret < 0)
		fprintf(stderr, "trace-cut: %s\n", trace_reader__error(r));
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "meta", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *meta[MAX_META], *in, *out;
	unsigned int nr_meta = 0, i;
	enum trace_format fmt = TRACE_FMT_NATIVE;
	uint64_t lo = 0, hi = UINT64_MAX, kept = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct trace_reader *r = NULL;
	struct trace_writer *w = NULL;
	struct trace_header hdr;
	char err[512], part[4096];
	struct stat st;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_range(optarg, &lo, &hi))
				return usage_error("bad --range '%s': LO:HI, LO < HI",
						   optarg);
			break;
		case 'm':
			if (nr_meta == MAX_META || !strchr(optarg, '='))
				return usage_error("bad --meta '%s': KEY=VALUE, at "
						   "most 16", optarg);
			meta[nr_meta++] = optarg;
			break;
		case 'f':
			if (trace_format__parse(optarg, &fmt) ||
			    fmt == TRACE_FMT_NATIVE_GZ ||
			    fmt == TRACE_FMT_NATIVE_ZLIB)
				return usage_error("unknown output format '%s'",
						   optarg);
			break;
		case 'h':
			printf("usage: trace-cut IN OUT [--range LO:HI] "
			       "[--meta KEY=VALUE]... [--format F]\n");
			return 0;
		default:
			return usage_error("%s", "bad option");
		}
	}
	if (argc - optind != 2)
		return usage_error("%s", "IN and OUT are needed");
	in = argv[optind];
	out = argv[optind + 1];
	if (lstat(out, &st) == 0) {
		fprintf(stderr, "trace-cut: %s exists; refusing to overwrite it\n",
			out);
		return 1;
	}
	if (snprintf(part, sizeof(part), "%s.%d.part", out, (int)getpid()) >=
	    (int)sizeof(part))
		return usage_error("path too long: %s", out);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	r = trace_reader__open(in, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "trace-cut: %s\n", err);
		return 1;
	}
	hdr = *trace_reader__header(r);
	if (hi != UINT64_MAX) {
		if (hi > hdr.pages) {
			fprintf(stderr, "trace-cut: --range ends at %" PRIu64
				", past the trace's %" PRIu64 " pages\n", hi,
				(uint64_t)hdr.pages);
			goto cleanup;
		}
		hdr.pages = hi - lo;
	}
	for (i = 0; i < nr_meta; i++) {
		char key[TRACE_META_KEY_MAX + 2];
		size_t klen = strcspn(meta[i], "=");

		if (klen >= sizeof(key) ||
		    trace_header__set(&hdr, (memcpy(key, meta[i], klen),
					     key[klen] = '\0', key),
				      meta[i] + klen + 1)) {
			fprintf(stderr, "trace-cut: bad metadata '%s' (key: "
				"letters, digits, ._-; value: at most %d "
				"bytes)\n", meta[i], TRACE_META_VAL_MAX);
			goto cleanup;
		}
	}
	w = trace_writer__open(part, fmt, &hdr);
	if (!w) {
		fprintf(stderr, "trace-cut: %s: %s\n", part, strerror(errno));
		goto cleanup;
	}
	ret = copy(r, w, lo, hi, &kept);
	if (ret) {
		ret = ret == -EINTR ? 130 : 1;
		goto cleanup;
	}
	ret = trace_writer__close(w);
	w = NULL;
	if (ret) {
		fprintf(stderr, "trace-cut: %s: %s\n", part, strerror(-ret));
		ret = 1;
		goto cleanup;
	}
	if (link(part, out)) {
		fprintf(stderr, "trace-cut: %s: %s\n", out, strerror(errno));
		ret = 1;
		goto cleanup;
	}
	printf("trace-cut: wrote %s: %" PRIu64 " pages, %" PRIu64
	       " writes kept\n", out, (uint64_t)hdr.pages, kept);
	ret = 0;
cleanup:
	trace_writer__discard(w);
	unlink(part);
	trace_reader__close(r);
	return ret;
}
