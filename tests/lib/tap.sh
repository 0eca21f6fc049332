# SPDX-License-Identifier: GPL-2.0
# tests/lib/tap.sh - TAP for shell tests, as tests/harness.h prints it:
#
#   . tests/lib/tap.sh
#   tap_start                    # "TAP version 14" (13 for an old prove)
#   tap_ok NAME | tap_fail NAME WHY | tap_skip NAME REASON
#   tap_end                      # the plan, "# N passed, N failed, N skipped";
#                                # returns 1 if anything failed
#
# The version line says 13 to a Test::Harness older than 3.48 (prove sets
# HARNESS_VERSION; bookworm's 3.44 refuses 14): the output uses nothing
# TAP 14 added.
tap_passed=0 tap_failed=0 tap_skipped=0

tap_version() {
	if [[ -n ${HARNESS_VERSION:-} ]] &&
		awk -v v="$HARNESS_VERSION" 'BEGIN { exit !(v + 0 < 3.48) }'; then
		echo 13
	else
		echo 14
	fi
}
tap_start() { echo "TAP version $(tap_version)"; }
tap_n() { echo $((tap_passed + tap_failed + tap_skipped + 1)); }
tap_ok() { echo "ok $(tap_n) - $1"; tap_passed=$((tap_passed + 1)); }
tap_fail() {
	printf '%s\n' "$1: $2" | sed 's/^/# /'
	echo "not ok $(tap_n) - $1"
	tap_failed=$((tap_failed + 1))
}
tap_skip() { echo "ok $(tap_n) - $1 # SKIP $2"; tap_skipped=$((tap_skipped + 1)); }
tap_end() {
	echo "1..$((tap_passed + tap_failed + tap_skipped))"
	echo "# $tap_passed passed, $tap_failed failed, $tap_skipped skipped"
	[[ $tap_failed -eq 0 ]]
}
