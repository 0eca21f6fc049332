// SPDX-License-Identifier: GPL-2.0
/* test_forecast.c - the QEMU pre-copy convergence forecast on workloads
 * whose answer can be worked out by hand. */
#include <errno.h>
#include <math.h>

#include "live/forecast.h"
#include "harness.h"

#define PAGE 4096.0
#define MIB (1024.0 * 1024.0)

static struct forecast_input input(uint64_t pages, double bw_mib, double dl)
{
	struct forecast_input in = {
		.ram_pages = pages,
		.page_size = 4096,
		.bandwidth = bw_mib * MIB,
		.downtime_limit = dl,
	};
	return in;
}

static void test_curve_interpolates(void)
{
	struct ws_curve c = { 0 };

	ASSERT_OK(ws_curve__add(&c, 1, 100), "p1");
	ASSERT_OK(ws_curve__add(&c, 10, 1000), "p2");
	ASSERT_EQ(ws_curve__add(&c, 10, 5), -EINVAL, "t not increasing");
	ASSERT_EQ(ws_curve__add(&c, -1, 5), -EINVAL, "negative t");
	ASSERT_TRUE(fabs(ws_curve__at(&c, 0.5) - 50) < 1e-9, "first segment");
	ASSERT_TRUE(fabs(ws_curve__at(&c, 5.5) - 550) < 1e-9, "second");
	ASSERT_TRUE(fabs(ws_curve__at(&c, 20) - 2000) < 1e-9, "extrapolated");
	ASSERT_OK(ws_curve__add(&c, 20, 10), "smaller is raised");
	ASSERT_TRUE(fabs(ws_curve__at(&c, 20) - 1000) < 1e-9, "monotone");
}

static void test_idle_converges_in_one_iteration(void)
{
	struct forecast_input in = input(65536, 128, 0.3);
	struct forecast f;

	ws_curve__add(&in.ws, 1, 0);
	ASSERT_OK(forecast__qemu(&in, &f), "forecast");
	ASSERT_TRUE(f.converges, "converges");
	ASSERT_EQ(f.iterations, 1, "one pass");
	ASSERT_EQ(f.pages_sent, 65536, "all RAM once");
	ASSERT_TRUE(fabs(f.total_s - 65536 * PAGE / (128 * MIB)) < 1e-9,
		    "total = RAM / bandwidth");
	ASSERT_TRUE(f.downtime_s == 0, "nothing left to copy");
}

/* Dirtying at half the link rate: each pass is half the previous one.
 * 256 MiB at 128 MiB/s: 65536, 32768, 16384 pages sent, then 8192 pages
 * (0.0625 s <= 0.3 s) in the stop-and-copy. */
static void test_geometric_sweep(void)
{
	struct forecast_input in = input(65536, 128, 0.3);
	struct forecast f;

	ws_curve__add(&in.ws, 1, 16384); /* 64 MiB/s of distinct pages */
	ASSERT_OK(forecast__qemu(&in, &f), "forecast");
	ASSERT_TRUE(f.converges, "converges");
	ASSERT_EQ(f.iterations, 3, "iterations");
	ASSERT_EQ(f.pages_sent, 65536 + 32768 + 16384 + 8192, "pages sent");
	ASSERT_TRUE(fabs(f.downtime_s - 8192 * PAGE / (128 * MIB)) < 1e-9,
		    "downtime");
	ASSERT_TRUE(fabs(f.total_s - 3.75) < 1e-9, "total");
}

/* A 20000-page hot set rewritten every 0.1 s never fits in 0.3 s at
 * 128 MiB/s (0.61 s). It would at 20000 pages * 4 KiB / 0.3 s. */
static void test_hot_set_does_not_converge(void)
{
	struct forecast_input in = input(65536, 128, 0.3);
	double need = 20000 * PAGE / 0.3;
	struct forecast f;

	ws_curve__add(&in.ws, 0.1, 20000);
	ws_curve__add(&in.ws, 60, 20000);
	ASSERT_OK(forecast__qemu(&in, &f), "forecast");
	ASSERT_FALSE(f.converges, "does not converge");
	ASSERT_EQ(f.steady_pages, 20000, "steady set");
	ASSERT_TRUE(fabs(f.needed_bandwidth - need) / need < 0.01,
		    "needed bandwidth within 1 %");
	in.bandwidth = f.needed_bandwidth;
	ASSERT_OK(forecast__qemu(&in, &f), "at the needed bandwidth");
	ASSERT_TRUE(f.converges, "converges there");
}

static void test_rejects_bad_input(void)
{
	struct forecast_input in = input(65536, 128, 0.3);
	struct forecast f;

	ASSERT_EQ(forecast__qemu(&in, &f), -EINVAL, "empty curve");
	ws_curve__add(&in.ws, 1, 1);
	in.bandwidth = 0;
	ASSERT_EQ(forecast__qemu(&in, &f), -EINVAL, "zero bandwidth");
	in.bandwidth = 1;
	in.downtime_limit = -1;
	ASSERT_EQ(forecast__qemu(&in, &f), -EINVAL, "negative downtime");
}

int main(void)
{
	RUN_TEST(test_curve_interpolates);
	RUN_TEST(test_idle_converges_in_one_iteration);
	RUN_TEST(test_geometric_sweep);
	RUN_TEST(test_hot_set_does_not_converge);
	RUN_TEST(test_rejects_bad_input);
	return harness_finish();
}
