#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_qemu_migration_test.sh - QEMU's own tests/qtest/migration-test
# against the patched QEMU (tools/qemu/migration-test): the default list
# without a plan, and the precopy and multifd groups of --full without a
# plan and with x-precopy-plan set (precopy-plan --source sync serving the
# ring). The default list with a plan runs in `make test`
# (tests/e2e/test_qemu_migration_test.sh). About an hour: each case takes a
# minute or more here. Prints each run's results and
# "bench qemu migration-test CONFIG: N passed, N failed, N skipped".
# Env: OUT (build dir), QEMU_CACHE (default .cache/qemu).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${QEMU_CACHE:-$ROOT/.cache/qemu}
out=
# the summary's scratch file goes on every exit, a signal's too
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ ! -x $CACHE/bin/qemu-system-x86_64 || ! -f $CACHE/build/build.ninja ]]; then
	echo "bench qemu migration-test: skipped (no patched QEMU build in $CACHE: make qemu)"
	exit 0
fi
groups=(/x86_64/migration/precopy /x86_64/migration/multifd)
rc=0
for cfg in "default, no plan:" "full precopy+multifd, no plan:--full" \
	   "full precopy+multifd, x-precopy-plan:--full --plan"; do
	name=${cfg%%:*}
	read -r -a args <<<"${cfg#*:}"
	[[ " ${args[*]} " == *" --full "* ]] && args+=("${groups[@]}")
	out=$(mktemp)
	start=$SECONDS
	"$ROOT/tools/qemu/migration-test" "${args[@]}" --timeout 5400 | tee "$out"
	((PIPESTATUS[0])) && rc=1
	echo "bench qemu migration-test $name: $(tail -n 1 "$out") ($((SECONDS - start)) s)"
	rm -f "$out"
done
exit $rc
