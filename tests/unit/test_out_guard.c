// SPDX-License-Identifier: GPL-2.0
/* test_out_guard.c - out_guard__ready(): a pipe with room is ready, a
 * full one is not (and the drops are counted), a drained one is ready
 * again, a regular file always is, a pipe whose reader is gone is (the
 * write then fails as it would have). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "util/out_guard.h"

/* Fill the pipe's write end w until a non-blocking write fails. */
static size_t fill(int w)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	int fl = fcntl(w, F_GETFL);

	memset(buf, 'x', sizeof(buf));
	fcntl(w, F_SETFL, fl | O_NONBLOCK);
	while ((n = write(w, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	/* the last page: byte by byte, until truly full */
	while (write(w, buf, 1) == 1)
		total++;
	fcntl(w, F_SETFL, fl);
	return total;
}

static void test_pipe(void)
{
	int p[2];
	struct out_guard g = { .prog = "test_out_guard" };
	char buf[65536];
	size_t filled;

	if (!ASSERT_OK(pipe(p), "pipe"))
		return;
	g.fd = p[1];
	ASSERT_TRUE(out_guard__ready(&g), "an empty pipe is ready");
	filled = fill(p[1]);
	ASSERT_TRUE(filled >= 4096, "filled the pipe");
	ASSERT_TRUE(!out_guard__ready(&g), "a full pipe is not ready");
	ASSERT_TRUE(!out_guard__ready(&g), "still full");
	ASSERT_EQ(g.dropped, 2, "both drops counted");
	while (filled > 0) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		filled -= (size_t)n;
	}
	ASSERT_TRUE(out_guard__ready(&g), "a drained pipe is ready again");
	/* a line written when ready goes through without blocking */
	ASSERT_EQ(write(p[1], "line\n", 5), 5, "the line is written");
	close(p[0]);
	ASSERT_TRUE(out_guard__ready(&g), "reader gone: ready (write fails)");
	ASSERT_EQ(g.dropped, 2, "no more drops");
	close(p[1]);
}

static void test_file(void)
{
	FILE *f = tmpfile();
	struct out_guard g = { .prog = "test_out_guard" };

	if (!ASSERT_NOT_NULL(f, "tmpfile"))
		return;
	g.fd = fileno(f);
	ASSERT_TRUE(out_guard__ready(&g), "a regular file is ready");
	ASSERT_EQ(g.dropped, 0, "nothing dropped");
	fclose(f);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN_TEST(test_pipe);
	RUN_TEST(test_file);
	return harness_finish();
}
