#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_migrate.sh - plan-driven vs stock live migration, side by side in
# one run: precopy-migrate alternates stock and plan runs (same workload,
# same limits) and prints the medians and the plan/stock ratios of
# total-time, downtime and ram.transferred from query-migrate.
#
# Target (issue 6): on the KVM workloads, plan/stock bytes <= 0.80 with
# downtime and total time ratios <= 1.00.
# Env: OUT (build dir), BENCH_MIGRATE_RUNS (default 3 per mode),
#      BENCH_MIGRATE_ACCELS (default "kvm tcg").
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QEMU=${PRECOPY_QEMU:-$ROOT/.cache/qemu/bin/qemu-system-x86_64}
runs=${BENCH_MIGRATE_RUNS:-3}
if [[ $(id -u) -ne 0 ]]; then
	echo "bench migrate: skipped (needs root)"
	exit 0
fi
if [[ ! -x $QEMU ]]; then
	echo "bench migrate: skipped (no patched QEMU at $QEMU: make qemu)"
	exit 0
fi
rc=0
for accel in ${BENCH_MIGRATE_ACCELS:-kvm tcg}; do
	if [[ $accel == tcg && ! -f $ROOT/.cache/linuxguest/vmlinuz ]]; then
		echo "bench migrate $accel: skipped (make linuxguest)"
		continue
	fi
	if [[ $accel == kvm && ! -w /dev/kvm ]]; then
		echo "bench migrate $accel: skipped (no /dev/kvm)"
		continue
	fi
	"$OUT/bin/precopy-migrate" --qemu "$QEMU" --accel "$accel" --runs "$runs" |
		sed "s/^/bench migrate $accel: /" || rc=1
done
exit $rc
