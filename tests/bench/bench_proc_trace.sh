#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_proc_trace - slowdown of a program traced by the process tracer
# (precopy-trace -- CMD), measured side by side in one run:
#
#  1. redis: two redis-servers on loopback, one untraced and one traced
#     (epochs of 100 ms); redis-benchmark runs against them in turns
#     (A B A B ...), ROUNDS times, so both see the same machine load.
#     Reports the median ops/s of each, the ratio, and the write faults.
#  2. fixed work: proc_child compute (random writes over 32 MiB), untraced
#     and traced in turns; the extra time divided by the write faults the
#     tracer saw is the whole cost of one fault (kernel write-protect
#     fault, BPF program, re-arming); the BPF program's own share comes
#     from the kernel's BPF run-time statistics.
#
# Env: OUT (build dir), ROUNDS (default 5), N (requests per run, 100000),
#      MIB (compute size, default 32).
# Prints "bench ..." lines. Needs root, redis-server and redis-benchmark.
set -euo pipefail
OUT=${OUT:-build}
OUT=$(cd "$OUT" && pwd)
ROUNDS=${ROUNDS:-5}
N=${N:-100000}
MIB=${MIB:-32}
TRACER=$OUT/bin/precopy-trace
CHILD=$OUT/tests/helpers/proc_child
work=$(mktemp -d /tmp/bench-proc-trace.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	sysctl -q kernel.bpf_stats_enabled="${stats_was:-0}" || true
	rm -rf "$work"
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]] || ! command -v redis-server >/dev/null ||
   ! command -v redis-benchmark >/dev/null; then
	echo "bench proc_trace: skipped (needs root, redis-server, redis-benchmark)"
	exit 0
fi
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

wait_port() {
	for _ in $(seq 100); do
		redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "bench proc_trace: redis on port $1 did not start" >&2
	exit 1
}

# --- 1. redis-benchmark, untraced vs traced, in turns ---------------------
redis-server --port 7801 --bind 127.0.0.1 --save '' --appendonly no \
	>/dev/null &
pids+=($!)
"$TRACER" -E 100 -o "$work/traced.report" 1 100000 -- \
	"$(command -v redis-server)" --port 7802 --bind 127.0.0.1 --save '' \
	--appendonly no >/dev/null &
tracer=$!
pids+=($tracer)
wait_port 7801
wait_port 7802
run_bench() {
	redis-benchmark -p "$1" -n "$N" -c 8 -d 256 -r 100000 -t set,get,lpush \
		--csv -q 2>/dev/null | tr -d '"' |
		awk -F, '$1 ~ /^(SET|GET|LPUSH)/ {s += $2; n++} END {printf "%.0f\n", s / n}'
}
: >"$work/plain" ; : >"$work/traced"
for r in $(seq "$ROUNDS"); do
	run_bench 7801 >>"$work/plain"
	run_bench 7802 >>"$work/traced"
done
kill -INT "$tracer"
wait "$tracer" || true
plain=$(median <"$work/plain")
traced=$(median <"$work/traced")
faults=$(sed -n 's/.*pages bpf \([0-9]*\).*/\1/p' "$work/traced.report" | tail -n 1)
bpfcost=$(sed -n 's/^BPF cost: \([0-9]*\) ns.*/\1/p' "$work/traced.report" | tail -n 1)
echo "bench redis-benchmark ops/s (median of $ROUNDS, set/get/lpush, 8 clients): untraced $plain traced $traced ratio $(awk -v a="$traced" -v b="$plain" 'BEGIN {printf "%.3f", a / b}') (slowdown $(awk -v a="$traced" -v b="$plain" 'BEGIN {printf "%.1f%%", (1 - a / b) * 100}'))"
echo "bench redis traced: $faults pages dirtied (first-write faults) during the run; BPF program ${bpfcost:-?} ns per fault"

# --- 2. fixed work: whole cost of one fault -------------------------------
# proc_child reports the time its work took, so tracer start-up is left out.
: >"$work/c_plain" ; : >"$work/c_traced" ; : >"$work/c_faults"
for r in $(seq "$ROUNDS"); do
	"$CHILD" compute "$MIB" 2>&1 >/dev/null |
		sed -n 's/^elapsed //p' >>"$work/c_plain"
	"$TRACER" -E 100 -o "$work/c.report" -- "$CHILD" compute "$MIB" \
		2>&1 >/dev/null | sed -n 's/^elapsed //p' >>"$work/c_traced"
	sed -n 's/.*pages bpf \([0-9]*\) scan.*/\1/p' "$work/c.report" |
		tail -n 1 >>"$work/c_faults"
	bpf=$(sed -n 's/^BPF cost: \([0-9]*\) ns.*/\1/p' "$work/c.report" | tail -n 1)
done
tp=$(median <"$work/c_plain")
tt=$(median <"$work/c_traced")
nf=$(median <"$work/c_faults")
echo "bench compute $MIB MiB random writes (median of $ROUNDS): untraced $(printf %.3f "$tp") s traced $(printf %.3f "$tt") s ratio $(awk -v a="$tt" -v b="$tp" 'BEGIN {printf "%.2f", a / b}') with $nf write faults"
echo "bench per-fault cost: $(awk -v a="$tt" -v b="$tp" -v n="$nf" 'BEGIN {printf "%.2f", (a - b) / n * 1e6}') us per write fault in all (write-protect fault, BPF, re-arming), BPF program ${bpf:-?} ns of it"
