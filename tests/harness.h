/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - the project's minimal C test harness.
 *
 * A test program defines test functions and lists them in main():
 *
 *	static void test_roundtrip(void)
 *	{
 *		if (!ASSERT_EQ(a, b, "values"))
 *			return;
 *	}
 *	int main(void)
 *	{
 *		RUN_TEST(test_roundtrip);
 *		return harness_finish();
 *	}
 *
 * The output is TAP version 14, so `prove` (and anything reading TAP) runs
 * a test program: "TAP version 14" first (13 for an older prove, see
 * harness_tap_start()), then one line per test,
 * "ok N - NAME", "not ok N - NAME" or "ok N - NAME # SKIP reason".
 * ASSERT_EQ/ASSERT_NE compare integers (a floating-point operand does not
 * compile); ASSERT_NEAR(a, b, eps) compares floating-point values.
 * ASSERT_* macros print the failing expression with file and line (as a
 * "# " diagnostic line), mark the current test failed and return false, so
 * a test can `goto cleanup`. TEST_SKIP(reason) marks the current test
 * skipped (a stated reason is mandatory). harness_finish() prints the plan
 * "1..N" and the summary "# N passed, N failed, N skipped" and returns the
 * exit status (1 if anything failed). tests/run sums the summaries over all
 * test programs. Other lines a test prints are not TAP and TAP readers
 * ignore them; start them with "# " to make them diagnostics.
 */
#ifndef PRECOPY_TESTS_HARNESS_H
#define PRECOPY_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_passed, harness_failed, harness_skipped;
static int harness_cur_failed, harness_cur_skipped;
static char harness_skip_reason[256];

/*
 * The TAP version line, first of all: printed before main() runs. The
 * output uses nothing TAP 14 added (no subtests, no pragmas), so it is TAP
 * 13 as well, and says 13 to a Test::Harness older than 3.48 (`prove` sets
 * HARNESS_VERSION; bookworm's 3.44 refuses version 14 as unknown).
 */
__attribute__((constructor)) static void harness_tap_start(void)
{
	const char *hv = getenv("HARNESS_VERSION");

	printf("TAP version %d\n", hv && strtod(hv, NULL) < 3.48 ? 13 : 14);
	fflush(stdout);
}

/* One TAP test point for the test that just ran. */
static inline void harness_report(const char *name)
{
	int n = harness_passed + harness_failed + harness_skipped + 1;

	if (harness_cur_failed) {
		harness_failed++;
		printf("not ok %d - %s\n", n, name);
	} else if (harness_cur_skipped) {
		harness_skipped++;
		printf("ok %d - %s # SKIP %s\n", n, name, harness_skip_reason);
	} else {
		harness_passed++;
		printf("ok %d - %s\n", n, name);
	}
	fflush(stdout);
}

#define RUN_TEST(fn)                                                         \
	do {                                                                 \
		harness_cur_failed = 0;                                      \
		harness_cur_skipped = 0;                                     \
		fn();                                                        \
		harness_report(#fn);                                         \
	} while (0)

#define TEST_SKIP(...)                                                       \
	do {                                                                 \
		harness_cur_skipped = 1;                                     \
		snprintf(harness_skip_reason, sizeof(harness_skip_reason),   \
			 __VA_ARGS__);                                       \
	} while (0)

static inline bool harness_check(bool ok, const char *file, int line,
				 const char *what, const char *detail)
{
	if (!ok) {
		harness_cur_failed = 1;
		printf("# %s:%d: %s: %s\n", file, line, what, detail);
	}
	return ok;
}

#define ASSERT_TRUE(cond, what)                                              \
	harness_check(!!(cond), __FILE__, __LINE__, what, "expected true: " #cond)

#define ASSERT_FALSE(cond, what)                                             \
	harness_check(!(cond), __FILE__, __LINE__, what, "expected false: " #cond)

/* 1 if x has a floating-point type. ASSERT_EQ and ASSERT_NE refuse such
 * operands at compile time: they compare integers (as long long), and a
 * double cast to an integer makes the test pass for the wrong value (0.4
 * == 0). Doubles are compared with ASSERT_NEAR. */
#define HARNESS_IS_FLOAT(x)                                                  \
	_Generic((x), float: 1, double: 1, long double: 1, default: 0)

#define HARNESS_NO_FLOAT(a, b, macro)                                        \
	_Static_assert(!HARNESS_IS_FLOAT(a) && !HARNESS_IS_FLOAT(b),         \
		       macro " compares integers; use ASSERT_NEAR for "      \
		       "floating-point values")

#define ASSERT_EQ(a, b, what)                                                \
	({                                                                   \
		HARNESS_NO_FLOAT(a, b, "ASSERT_EQ");                         \
		long long _a = (long long)(a), _b = (long long)(b);          \
		char _d[160];                                                \
		snprintf(_d, sizeof(_d), "%s == %s: %lld != %lld", #a, #b,   \
			 _a, _b);                                            \
		harness_check(_a == _b, __FILE__, __LINE__, what, _d);       \
	})

#define ASSERT_NE(a, b, what)                                                \
	({                                                                   \
		HARNESS_NO_FLOAT(a, b, "ASSERT_NE");                         \
		long long _a = (long long)(a), _b = (long long)(b);          \
		char _d[160];                                                \
		snprintf(_d, sizeof(_d), "%s != %s: both %lld", #a, #b, _a); \
		harness_check(_a != _b, __FILE__, __LINE__, what, _d);       \
	})

/* |a - b| <= eps, for floating-point values; NaN never passes. */
#define ASSERT_NEAR(a, b, eps, what)                                         \
	({                                                                   \
		double _a = (double)(a), _b = (double)(b), _e = (eps);       \
		char _d[200];                                                \
		snprintf(_d, sizeof(_d), "%s ~ %s: %.17g and %.17g differ by " \
			 "more than %g", #a, #b, _a, _b, _e);                \
		harness_check(_a - _b <= _e && _b - _a <= _e, __FILE__,      \
			      __LINE__, what, _d);                           \
	})

#define ASSERT_LE(a, b, what)                                                \
	({                                                                   \
		double _a = (double)(a), _b = (double)(b);                   \
		char _d[160];                                                \
		snprintf(_d, sizeof(_d), "%s <= %s: %g > %g", #a, #b, _a,    \
			 _b);                                                \
		harness_check(_a <= _b, __FILE__, __LINE__, what, _d);       \
	})

#define ASSERT_GE(a, b, what) ASSERT_LE(b, a, what)

#define ASSERT_OK(err, what)                                                 \
	({                                                                   \
		long long _e = (long long)(err);                             \
		char _d[160];                                                \
		snprintf(_d, sizeof(_d), "%s returned %lld (%s)", #err, _e,  \
			 _e < 0 ? strerror((int)-_e) : "");                  \
		harness_check(_e == 0, __FILE__, __LINE__, what, _d);        \
	})

#define ASSERT_STREQ(a, b, what)                                             \
	({                                                                   \
		const char *_a = (a), *_b = (b);                             \
		char _d[256];                                                \
		snprintf(_d, sizeof(_d), "\"%s\" != \"%s\"", _a ? _a : "(null)", \
			 _b ? _b : "(null)");                                \
		harness_check(_a && _b && !strcmp(_a, _b), __FILE__, __LINE__, \
			      what, _d);                                     \
	})

#define ASSERT_NOT_NULL(p, what)                                             \
	harness_check((p) != NULL, __FILE__, __LINE__, what, #p " is NULL")

/* Print the TAP plan and the summary line; return the program's exit
 * status. */
static inline int harness_finish(void)
{
	printf("1..%d\n", harness_passed + harness_failed + harness_skipped);
	printf("# %d passed, %d failed, %d skipped\n", harness_passed,
	       harness_failed, harness_skipped);
	return harness_failed ? 1 : 0;
}

#endif /* PRECOPY_TESTS_HARNESS_H */
