// SPDX-License-Identifier: GPL-2.0
/* test_downtime_trace.c - QEMU's downtime checkpoints read at microsecond
 * resolution: the source's downtime and the guest's pause (to the
 * destination's vm-started), from logs as the log trace backend writes
 * them with -msg timestamp=on; malformed lines and checkpoints of an
 * earlier migration are skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "mig/downtime_trace.h"

/* Lines copied from a run of the patched QEMU 10.0.2 (the source's
 * migration thread and the destination's main thread). */
static const char src_log[] =
	"10550@1796547343.994519:migration_bitmap_sync_end dirty_pages 174\n"
	"10550@1796547344.001668:vmstate_downtime_checkpoint src-downtime-start\n"
	"10550@1796547344.001909:vmstate_downtime_checkpoint src-vm-stopped\n"
	"10550@1796547344.005583:vmstate_downtime_checkpoint src-iterable-saved\n"
	"10550@1796547344.007141:vmstate_downtime_checkpoint src-non-iterable-saved\n"
	"10550@1796547344.007156:vmstate_downtime_checkpoint src-downtime-end\n";
static const char dst_log[] =
	"10536@1796547344.010850:vmstate_downtime_checkpoint dst-precopy-loadvm-completed\n"
	"10536@1796547344.010912:vmstate_downtime_checkpoint dst-precopy-bh-enter\n"
	"10536@1796547344.010941:vmstate_downtime_checkpoint dst-precopy-bh-vm-started\n";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void test_find(void)
{
	uint64_t us = 0;

	ASSERT_EQ(downtime_trace__find(src_log, sizeof(src_log) - 1,
				       "src-downtime-end", 0, 0, &us), 0,
		  "src-downtime-end found");
	ASSERT_EQ(us, 1796547344007156ull, "its time in microseconds");
	ASSERT_EQ(downtime_trace__find(src_log, sizeof(src_log) - 1,
				       "src-downtime", 0, 0, &us), -1,
		  "a prefix of a name is not the name");
	ASSERT_EQ(downtime_trace__find(src_log, sizeof(src_log) - 1,
				       "src-downtime-end", 0,
				       1796547344007157ull, &us), -1,
		  "none at or after a later time");
	/* the last line without its newline still counts */
	ASSERT_EQ(downtime_trace__find(src_log, sizeof(src_log) - 2,
				       "src-downtime-end", 1, 0, &us), 0,
		  "a last line without a newline");
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"1@1796547344.001668:vmstate_downtime_checkpoint src-downtime-start",
		"x@1.000001:vmstate_downtime_checkpoint src-downtime-start\n",
		"1@1.01:vmstate_downtime_checkpoint src-downtime-start\n",
		"1@1.0000001:vmstate_downtime_checkpoint src-downtime-start\n",
		"1@99999999999999999999.000001:vmstate_downtime_checkpoint src-downtime-start\n",
		"1@18446744073710.000000:vmstate_downtime_checkpoint src-downtime-start\n",
		"1@1.000001 vmstate_downtime_checkpoint src-downtime-start\n",
		"1@1.000001:vmstate_downtime_save src-downtime-start\n",
		"vmstate_downtime_checkpoint src-downtime-start\n",
		"1@1.000001:vmstate_downtime_checkpoint src-downtime-start \n",
	};
	uint64_t us = 7;
	size_t i;

	/* the first one is well formed: the control */
	ASSERT_EQ(downtime_trace__find(bad[0], strlen(bad[0]),
				       "src-downtime-start", 0, 0, &us), 0,
		  "a well-formed line is read");
	for (i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
		us = 7;
		ASSERT_EQ(downtime_trace__find(bad[i], strlen(bad[i]),
					       "src-downtime-start", 1, 0, &us),
			  -1, bad[i]);
		ASSERT_EQ(us, 7, "*us untouched");
	}
}

static void test_read(void)
{
	char dir[] = "/tmp/test_downtime_trace.XXXXXX", src[64], dst[64];
	char twice[sizeof(src_log) * 2];
	struct downtime_trace t;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "a scratch folder");
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	write_file(src, src_log);
	write_file(dst, dst_log);
	ASSERT_EQ(downtime_trace__read(src, dst, &t), 0, "both read");
	printf("  downtime %lld us, pause %lld us\n",
	       (long long)t.downtime_us, (long long)t.pause_us);
	ASSERT_EQ(t.downtime_us, 5488, "src-downtime-start to -end");
	ASSERT_EQ(t.pause_us, 9273, "to the destination's vm-started");

	ASSERT_EQ(downtime_trace__read(src, NULL, &t), -1,
		  "no destination log: not complete");
	ASSERT_EQ(t.downtime_us, 5488, "the source's downtime still read");
	ASSERT_EQ(t.pause_us, -1, "the pause unknown");

	/* an earlier migration's checkpoints in the same log: the last
	 * start counts, and the end after it */
	snprintf(twice, sizeof(twice), "%s%s",
		 "10550@1796547300.000000:vmstate_downtime_checkpoint src-downtime-start\n"
		 "10550@1796547300.500000:vmstate_downtime_checkpoint src-downtime-end\n",
		 src_log);
	write_file(src, twice);
	ASSERT_EQ(downtime_trace__read(src, dst, &t), 0, "read again");
	ASSERT_EQ(t.downtime_us, 5488, "the last migration's downtime");

	/* a start without an end (the migration failed in its downtime) */
	write_file(src, "1@2.000000:vmstate_downtime_checkpoint src-downtime-start\n");
	ASSERT_EQ(downtime_trace__read(src, dst, &t), -1, "no end");
	ASSERT_EQ(t.downtime_us, -1, "no downtime");

	ASSERT_EQ(downtime_trace__read("/nonexistent/src", dst, &t), -1,
		  "no source log");
	unlink(src);
	unlink(dst);
	rmdir(dir);
}

int main(void)
{
	RUN_TEST(test_find);
	RUN_TEST(test_malformed);
	RUN_TEST(test_read);
	return harness_finish();
}
