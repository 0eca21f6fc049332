#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_harness.sh - the C test harness (tests/harness.h) cannot pass a
# wrong value: ASSERT_EQ on a floating-point value does not compile (it
# compared integers, so ASSERT_EQ(0.4, 0) passed), and ASSERT_NEAR fails
# outside its tolerance and on NaN.
set -u
cd "$(dirname "$0")/../.."
CC=${CC:-gcc}
tmp=$(mktemp -d /tmp/test_harness.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 n=0
. tests/lib/tap.sh
tap_start

result() { # NAME OK(0/1) DETAIL: one TAP test point
	n=$((n + 1))
	if [[ $2 -eq 0 ]]; then
		echo "ok $n - $1"
		passed=$((passed + 1))
	else
		echo "$3" | sed 's/^/# /'
		echo "not ok $n - $1"
		failed=$((failed + 1))
	fi
}

# ASSERT_EQ and ASSERT_NE refuse doubles and floats at compile time.
names=(eq_refuses_double eq_refuses_float ne_refuses_double)
exprs=('ASSERT_EQ(0.4, 0, "x")' 'ASSERT_EQ(0, 0.4f, "x")' 'ASSERT_NE(d, 1, "x")')
for i in "${!exprs[@]}"; do
	expr=${exprs[$i]}
	printf '#include "harness.h"\nint main(void) { double d = 0.4; (void)d; %s; return 0; }\n' \
		"$expr" >"$tmp/c.c"
	if $CC -std=gnu11 -Itests -fsyntax-only "$tmp/c.c" 2>"$tmp/err"; then
		result "${names[$i]}" 1 "$expr compiled"
	else
		grep -q 'use ASSERT_NEAR' "$tmp/err"
		result "${names[$i]}" $? "$expr: $(head -c 300 "$tmp/err")"
	fi
done

# ASSERT_NEAR at run time: each case prints ok or FAIL as expected.
cat >"$tmp/n.c" <<'C'
#include <math.h>
#include "harness.h"
static void near_ok(void) { ASSERT_NEAR(0.1 + 0.2, 0.3, 1e-12, "sum"); }
static void near_exact(void) { ASSERT_NEAR(0.0, 0, 0, "zero"); }
static void near_far(void) { ASSERT_NEAR(0.4, 0, 1e-6, "far"); }
static void near_nan(void) { ASSERT_NEAR(NAN, NAN, 1, "nan"); }
static void eq_ints(void) { ASSERT_EQ((unsigned char)255, 255, "u8"); }
int main(void)
{
	RUN_TEST(near_ok);
	RUN_TEST(near_exact);
	RUN_TEST(near_far);
	RUN_TEST(near_nan);
	RUN_TEST(eq_ints);
	return harness_finish();
}
C
if $CC -std=gnu11 -Wall -Wextra -Werror -Itests "$tmp/n.c" -lm -o "$tmp/n" 2>"$tmp/err"; then
	"$tmp/n" >"$tmp/out"
	want=$'ok 1 - near_ok\nok 2 - near_exact\nnot ok 3 - near_far\nnot ok 4 - near_nan\nok 5 - eq_ints\n1..5'
	got=$(grep -v '^#\|^TAP' "$tmp/out")
	[[ $got == "$want" ]]
	result assert_near_run_time $? "got: $got"
	grep -q '0.40000000000000002 and 0 differ by more than 1e-06' "$tmp/out"
	result assert_near_message $? "message: $(cat "$tmp/out")"
else
	result assert_near_run_time 1 "does not compile: $(head -c 300 "$tmp/err")"
fi
echo "1..$n"
echo "# $passed passed, $failed failed, 0 skipped"
[[ $failed -eq 0 ]]
