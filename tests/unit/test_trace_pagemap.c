// SPDX-License-Identifier: GPL-2.0
/*
 * test_trace_pagemap - the page map of process traces
 * (tracefile/trace_pagemap.h): written and read back, page numbers to
 * addresses, malformed files refused with their line, no overwriting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tracefile/trace_pagemap.h"

static char dir[] = "/tmp/test_trace_pagemap.XXXXXX";

static const char *path_in(const char *name)
{
	static char buf[4][256];
	static int i;
	char *b = buf[i++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static void test_roundtrip(void)
{
	struct trace_pagemap_range r[] = {	/* unsorted on purpose */
		{ .page = 16, .pages = 4, .addr = 0x5581d0c3a000, .pid = 7 },
		{ .page = 0, .pages = 16, .addr = 0x7f31c8a00000, .pid = 42 },
		{ .page = 30, .pages = 2, .addr = 0x1000, .pid = 42 },
	};
	struct trace_pagemap m;
	char err[256];
	uint64_t addr;
	int32_t pid;

	if (!ASSERT_OK(trace_pagemap__write(path_in("a.pagemap"), 4096, 40, r,
					    3, err, sizeof(err)), err))
		return;
	if (!ASSERT_OK(trace_pagemap__read(path_in("a.pagemap"), &m, err,
					   sizeof(err)), err))
		return;
	ASSERT_EQ(m.n, 3, "three ranges");
	ASSERT_EQ(m.pages, 40, "pages");
	ASSERT_EQ(m.page_size, 4096, "page size");
	ASSERT_OK(trace_pagemap__addr(&m, 0, &pid, &addr), "page 0");
	ASSERT_EQ(pid, 42, "page 0: pid");
	ASSERT_EQ(addr, 0x7f31c8a00000ULL, "page 0: address");
	ASSERT_OK(trace_pagemap__addr(&m, 19, &pid, &addr), "page 19");
	ASSERT_EQ(pid, 7, "page 19: pid");
	ASSERT_EQ(addr, 0x5581d0c3a000ULL + 3 * 4096, "page 19: address");
	ASSERT_OK(trace_pagemap__addr(&m, 31, &pid, &addr), "page 31");
	ASSERT_EQ(addr, 0x2000, "page 31: address");
	ASSERT_EQ(trace_pagemap__addr(&m, 20, &pid, &addr), -ENOENT,
		  "page 20: never registered");
	ASSERT_EQ(trace_pagemap__addr(&m, 40, &pid, &addr), -ENOENT,
		  "page 40: outside");
	trace_pagemap__free(&m);
	/* never overwritten */
	ASSERT_EQ(trace_pagemap__write(path_in("a.pagemap"), 4096, 40, r, 3,
				       err, sizeof(err)), -EEXIST,
		  "an existing file is refused");
}

static void expect_bad(const char *name, const char *text, const char *want)
{
	struct trace_pagemap m;
	char err[256];
	FILE *f = fopen(path_in(name), "w");

	if (!ASSERT_NOT_NULL(f, name))
		return;
	fputs(text, f);
	fclose(f);
	ASSERT_TRUE(trace_pagemap__read(path_in(name), &m, err,
					sizeof(err)) < 0, name);
	if (!ASSERT_TRUE(strstr(err, want) != NULL, name))
		printf("# got: %s\n", err);
}

static void test_rejects_bad_files(void)
{
	struct trace_pagemap_range over[] = {
		{ .page = 0, .pages = 8, .addr = 0, .pid = 1 },
		{ .page = 4, .pages = 8, .addr = 0, .pid = 1 },
	};
	char err[256];

#define HDR "# precopy-pagemap v1 page_size=4096 pages=10\n"
	expect_bad("hdr", "# precopy-pagemap v2 page_size=4096 pages=10\n",
		   "line 1");
	expect_bad("line", HDR "0 4 1 4096\n", "line 2");
	expect_bad("overlap", HDR "0 4 1 0x0\n2 4 1 0x8000\n", "line 3");
	expect_bad("past", HDR "8 4 1 0x0\n", "line 2");
	expect_bad("pid", HDR "0 4 0 0x0\n", "line 2");
	expect_bad("empty", "", "empty");
	ASSERT_EQ(trace_pagemap__write(path_in("o.pagemap"), 4096, 20, over, 2,
				       err, sizeof(err)), -EINVAL,
		  "overlapping ranges are not written");
	ASSERT_TRUE(access(path_in("o.pagemap"), F_OK) != 0, "no file left");
}

int main(void)
{
	char cmd[300];
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN_TEST(test_roundtrip);
	RUN_TEST(test_rejects_bad_files);
	ret = harness_finish();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		ret = 1;
	return ret;
}
