#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_sim_vs_e2e.sh - does the simulator predict the patched QEMU?
# (issue 12 item 4) tools/eval/sim-vs-e2e migrates the workload guest
# with precopy-migrate (stock and plan alternating, the tracer on the
# source recording the guest's writes during each run), replays each
# trace with precopy-sim under QEMU's dirty log and sync points, and
# compares the simulated prob/qemu pages with the measured plan/stock
# transferred bytes: PASS within 0.10.
#
# The quick variant: the default hotcold guest, 16 MiB/s, 300 ms, two runs
# per mode (about 90 s). The full check (5 patterns, medians of 3) is in
# the header of tools/eval/sim-vs-e2e. A FAIL is a figure to read (single
# runs on a loaded host are noisy), not an error: the status is non-zero
# only when a migration or a trace failed.
# Env: OUT (build dir), BENCH_SIMCHECK_RUNS (default 2 per mode).
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QEMU=${PRECOPY_QEMU:-$ROOT/.cache/qemu/bin/qemu-system-x86_64}
if [[ $(id -u) -ne 0 ]]; then
	echo "bench sim-vs-e2e: skipped (needs root)"
	exit 0
fi
if [[ ! -x $QEMU ]]; then
	echo "bench sim-vs-e2e: skipped (no patched QEMU at $QEMU: make qemu)"
	exit 0
fi
if [[ ! -w /dev/kvm ]]; then
	echo "bench sim-vs-e2e: skipped (no /dev/kvm)"
	exit 0
fi
OUT=$OUT "$ROOT/tools/eval/sim-vs-e2e" --qemu "$QEMU" \
	--runs "${BENCH_SIMCHECK_RUNS:-2}" -b 16 -d 300 2>/dev/null |
	sed 's/^/bench sim-vs-e2e: /'
rc=${PIPESTATUS[0]}
# 1: a pattern outside the tolerance (printed), 2: an error
[[ $rc -le 1 ]] && exit 0
echo "bench sim-vs-e2e: error (status $rc)"
exit 1
