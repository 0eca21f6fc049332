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
# Four guest patterns (issue 12 asks for three within 0.10), each at its
# own link and limit, runs per mode BENCH_SIMCHECK_RUNS (default 3; about
# 2 minutes a pattern): the default hotcold (16 MiB/s, 300 ms), hotcold
# with a 512-page hot set at the bottom (16, 300), zipf scatter=1 (16,
# 1000) and phases (8, 1000). tools/eval/sim-vs-e2e's header says what is
# and is not modelled. A FAIL is a figure to read, not an error: the
# status is non-zero only when a migration or a trace failed.
# Env: OUT (build dir), BENCH_SIMCHECK_RUNS (default 3 per mode),
#      BENCH_SIMCHECK_PATTERNS (names below, comma-separated; default all).
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
# name|link MiB/s|downtime limit ms|--append ('' = precopy-migrate's default)
patterns=(
	"hotcold|16|300|"
	"hotcold-512-low|16|300|pattern=hotcold pages=8192 hot=512 hotbase=0 hotpct=95 delay=4 tick=2"
	"zipf-scatter|16|1000|pattern=zipf pages=16384 scatter=1 delay=4 tick=2"
	"phases|8|1000|pattern=phases pages=16384 ws=2048 phase_writes=400000 delay=4 tick=2"
)
want=",${BENCH_SIMCHECK_PATTERNS:-hotcold,hotcold-512-low,zipf-scatter,phases},"
rc=0
for p in "${patterns[@]}"; do
	IFS='|' read -r name bw dt append <<<"$p"
	[[ $want == *",$name,"* ]] || continue
	args=(--qemu "$QEMU" --runs "${BENCH_SIMCHECK_RUNS:-3}" -b "$bw" -d "$dt")
	[[ -n $append ]] && args+=(--append "$append")
	OUT=$OUT "$ROOT/tools/eval/sim-vs-e2e" "${args[@]}" 2>/dev/null |
		sed "s/^/bench sim-vs-e2e $name: /"
	st=${PIPESTATUS[0]}
	if ((st > 1)); then
		echo "bench sim-vs-e2e $name: error (status $st)"
		rc=1
	fi
done
exit $rc
