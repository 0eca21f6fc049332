// SPDX-License-Identifier: GPL-2.0
/* test_mig_report.c - precopy-migrate's report: a line per migration,
 * medians over the completed migrations with equal memory only, the
 * plan/stock ratios, and the downtime to the microsecond compared only
 * when every migration of both modes has it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mig/mig_report.h"
#include "util/json.h"

static const enum migrun_mode both[] = { MIGRUN_STOCK, MIGRUN_PLAN };

/* A completed migration with equal memory. */
static struct migrun_result done(int64_t total_ms, int64_t down_ms,
				 int64_t bytes, int64_t down_us,
				 int64_t pause_us)
{
	struct migrun_result r;

	memset(&r, 0, sizeof(r));
	strcpy(r.status, "completed");
	r.total_time_ms = total_ms;
	r.downtime_ms = down_ms;
	r.transferred = bytes;
	r.dirty_syncs = 4;
	r.downtime_bytes = -1;
	r.downtime_us = down_us;
	r.pause_us = pause_us;
	r.mem_checked = true;
	r.mem_equal = true;
	return r;
}

/* The report's output, in memory (open_memstream). */
struct sink {
	char *buf;
	size_t len;
	FILE *f;
};

static void sink_open(struct sink *k)
{
	k->buf = NULL;
	k->len = 0;
	k->f = open_memstream(&k->buf, &k->len);
	if (!k->f) {
		perror("open_memstream");
		exit(1);
	}
}

static void sink_close(struct sink *k)
{
	fclose(k->f);
	free(k->buf);
}

/* The last line of the output parsed as JSON (the summary). */
static struct json *last_json(struct sink *k)
{
	char err[160];
	const char *l;

	fflush(k->f);
	l = k->len > 1 ? k->buf + k->len - 2 : k->buf;
	while (l > k->buf && l[-1] != '\n')
		l--;
	return json_parse(l, strlen(l), err, sizeof(err));
}

static double num_at(const struct json *root, const char *a, const char *b)
{
	const struct json *o = json_get(root, a);

	o = o ? json_get(o, b) : NULL;
	return o && o->type == JSON_NUMBER ? o->num : -99;
}

static void test_medians_and_ratios(void)
{
	struct mig_report rep;
	struct migrun_result r;
	struct sink k;
	struct json *sum;

	sink_open(&k);
	mig_report__init(&rep, k.f, true, both, 2, 3);
	r = done(2000, 4, 16000000, 4000, 6000);
	ASSERT_TRUE(mig_report__run(&rep, 1, MIGRUN_STOCK, &r, NULL),
		    "a completed run counts");
	r = done(1000, 5, 8000000, 3000, 6600);
	ASSERT_TRUE(mig_report__run(&rep, 1, MIGRUN_PLAN, &r, NULL), "plan 1");
	r = done(2200, 6, 17000000, 6000, 9000);
	mig_report__run(&rep, 2, MIGRUN_STOCK, &r, NULL);
	r = done(1200, 4, 9000000, 5000, 7000);
	mig_report__run(&rep, 2, MIGRUN_PLAN, &r, NULL);
	r = done(2400, 5, 18000000, 5000, 8000);
	mig_report__run(&rep, 3, MIGRUN_STOCK, &r, NULL);
	r = done(1100, 3, 8500000, 4000, 6500);
	mig_report__run(&rep, 3, MIGRUN_PLAN, &r, NULL);
	/* memory differs: reported, not counted (counted, it would move
	 * every plan median) */
	r = done(100, 1, 1000, 100, 200);
	r.mem_equal = false;
	ASSERT_FALSE(mig_report__run(&rep, 4, MIGRUN_PLAN, &r, NULL),
		     "memory different: a failure");
	mig_report__summary(&rep, 1);
	sum = last_json(&k);
	ASSERT_TRUE(sum != NULL, "the summary is JSON");
	if (!sum)
		goto out;
	printf("  plan/stock: time %.3f, bytes %.3f, downtime %.3f, to the us "
	       "%.3f, pause %.3f\n", num_at(sum, "ratio", "total_time"),
	       num_at(sum, "ratio", "transferred"),
	       num_at(sum, "ratio", "downtime"),
	       num_at(sum, "ratio", "downtime_precise"),
	       num_at(sum, "ratio", "pause"));
	ASSERT_NEAR(num_at(sum, "stock", "total_time_ms"), 2200, 0.5,
		    "stock's median of 3");
	ASSERT_NEAR(num_at(sum, "plan", "total_time_ms"), 1100, 0.5,
		    "the run with memory different is left out");
	ASSERT_NEAR(num_at(sum, "plan", "n"), 3, 0, "plan: 3 counted");
	ASSERT_NEAR(num_at(sum, "ratio", "total_time"), 1100.0 / 2200, 1e-3,
		    "time ratio");
	ASSERT_NEAR(num_at(sum, "ratio", "downtime"), 4.0 / 5, 1e-3,
		    "QEMU's whole-ms downtime ratio");
	ASSERT_NEAR(num_at(sum, "ratio", "downtime_precise"), 4000.0 / 5000,
		    1e-3, "downtime to the microsecond");
	ASSERT_NEAR(num_at(sum, "plan", "pause_us"), 6600, 0.5,
		    "plan's median pause");
	ASSERT_NEAR(num_at(sum, "ratio", "pause"), 6600.0 / 8000, 1e-3,
		    "pause ratio");
	ASSERT_NEAR(num_at(json_get(sum, "ratios"), "plan/stock", "total_time"),
		    1100.0 / 2200, 1e-3, "ratios['plan/stock'] the same");
	ASSERT_TRUE(json_get(sum, "failed") &&
		    json_get(sum, "failed")->num == 1, "failed as given");
	json_free(sum);
out:
	sink_close(&k);
}

static void test_precise_only_when_all_have_it(void)
{
	struct mig_report rep;
	struct migrun_result r;
	struct sink k;
	struct json *sum;

	sink_open(&k);
	mig_report__init(&rep, k.f, true, both, 2, 2);
	r = done(2000, 4, 16000000, 4000, 6000);
	mig_report__run(&rep, 1, MIGRUN_STOCK, &r, NULL);
	r = done(1000, 5, 8000000, -1, -1);	/* no checkpoints read */
	mig_report__run(&rep, 1, MIGRUN_PLAN, &r, NULL);
	r = done(1000, 5, 8000000, 3000, 5000);
	mig_report__run(&rep, 2, MIGRUN_PLAN, &r, NULL);
	mig_report__summary(&rep, 0);
	/* the run line of a migration without checkpoints has no keys */
	ASSERT_TRUE(strstr(k.buf, "\"run\": 1, \"mode\": \"plan\"") &&
		    !strstr(strstr(k.buf, "\"run\": 1, \"mode\": \"plan\""),
			    "\"downtime_us\": -1"), "no downtime_us of -1");
	sum = last_json(&k);
	ASSERT_TRUE(sum != NULL, "the summary is JSON");
	if (!sum)
		goto out;
	ASSERT_TRUE(json_get(json_get(sum, "stock"), "downtime_us") != NULL,
		    "stock's runs all have it");
	ASSERT_TRUE(json_get(json_get(sum, "plan"), "downtime_us") == NULL,
		    "plan's median of some runs is not given");
	ASSERT_TRUE(json_get(json_get(sum, "ratio"), "downtime_precise") == NULL,
		    "no ratio of unlike sets");
	json_free(sum);
out:
	sink_close(&k);
}

static void test_failures(void)
{
	struct mig_report rep;
	struct migrun_result r;
	struct sink k;

	sink_open(&k);
	mig_report__init(&rep, k.f, false, both, 2, 1);
	mig_report__table_header(&rep);
	r = done(2000, 4, 16000000, 4000, 6000);
	ASSERT_FALSE(mig_report__run(&rep, 1, MIGRUN_STOCK, &r, "QMP failed"),
		     "a run with an error is a failure");
	strcpy(r.status, "timeout");
	ASSERT_FALSE(mig_report__run(&rep, 1, MIGRUN_PLAN, &r, NULL),
		     "a run that timed out is a failure");
	mig_report__summary(&rep, 2);
	fflush(k.f);
	ASSERT_TRUE(strstr(k.buf, "pause ms") != NULL, "the table's header");
	ASSERT_TRUE(strstr(k.buf, "2 migrations failed") != NULL,
		    "the failures said");
	ASSERT_TRUE(strstr(k.buf, "med ") == NULL,
		    "no medians without a counted run");
	sink_close(&k);
}

int main(void)
{
	RUN_TEST(test_medians_and_ratios);
	RUN_TEST(test_precise_only_when_all_have_it);
	RUN_TEST(test_failures);
	return harness_finish();
}
