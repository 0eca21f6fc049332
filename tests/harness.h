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
 * Every test prints one line: "ok NAME", "FAIL NAME" or "skip NAME: reason".
 * ASSERT_* macros print the failing expression with file and line, mark the
 * current test failed and return false, so a test can `goto cleanup`.
 * TEST_SKIP(reason) marks the current test skipped (a stated reason is
 * mandatory). harness_finish() prints "N passed, N failed, N skipped" and
 * returns the exit status (1 if anything failed). tests/run sums these lines
 * over all test programs.
 */
#ifndef PRECOPY_TESTS_HARNESS_H
#define PRECOPY_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed, harness_skipped;
static int harness_cur_failed, harness_cur_skipped;
static char harness_skip_reason[256];

#define RUN_TEST(fn)                                                         \
	do {                                                                 \
		harness_cur_failed = 0;                                      \
		harness_cur_skipped = 0;                                     \
		fn();                                                        \
		if (harness_cur_failed) {                                    \
			harness_failed++;                                    \
			printf("FAIL %s\n", #fn);                            \
		} else if (harness_cur_skipped) {                            \
			harness_skipped++;                                   \
			printf("skip %s: %s\n", #fn, harness_skip_reason);   \
		} else {                                                     \
			harness_passed++;                                    \
			printf("ok %s\n", #fn);                              \
		}                                                            \
		fflush(stdout);                                              \
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
		printf("  %s:%d: %s: %s\n", file, line, what, detail);
	}
	return ok;
}

#define ASSERT_TRUE(cond, what)                                              \
	harness_check(!!(cond), __FILE__, __LINE__, what, "expected true: " #cond)

#define ASSERT_FALSE(cond, what)                                             \
	harness_check(!(cond), __FILE__, __LINE__, what, "expected false: " #cond)

#define ASSERT_EQ(a, b, what)                                                \
	({                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);          \
		char _d[160];                                                \
		snprintf(_d, sizeof(_d), "%s == %s: %lld != %lld", #a, #b,   \
			 _a, _b);                                            \
		harness_check(_a == _b, __FILE__, __LINE__, what, _d);       \
	})

#define ASSERT_NE(a, b, what)                                                \
	({                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);          \
		char _d[160];                                                \
		snprintf(_d, sizeof(_d), "%s != %s: both %lld", #a, #b, _a); \
		harness_check(_a != _b, __FILE__, __LINE__, what, _d);       \
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

/* Print the summary line and return the program's exit status. */
static inline int harness_finish(void)
{
	printf("%d passed, %d failed, %d skipped\n", harness_passed,
	       harness_failed, harness_skipped);
	return harness_failed ? 1 : 0;
}

#endif /* PRECOPY_TESTS_HARNESS_H */
