#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_converge.sh - converging guests that stock pre-copy cannot end:
# the planner's dirty limit (precopy-plan --converge dirty-limit) against
# QEMU's own answers, its CPU throttle (auto-converge) and its dirty limit
# set by hand (dirty-limit-hand, QEMU's default 1 MB/s), on the two
# non-converging guests of issue 13. precopy-migrate --compare alternates
# the three modes (medians of BENCH_CONVERGE_RUNS, default 3), checks
# memory after every migration, and reads the guest's write rate before
# and during each migration from its status block.
#
# Prints precopy-migrate's table per guest, then
#   "bench converge NAME: plan/auto-converge time T, bytes B, downtime D,
#    guest writes/s during the migration W (target W >= 1.5, T <= 1.00)"
# and the guest's writes lost to each mode (rate before minus rate during,
# times the migration's length): the work throttling cost it in all.
# Target (issue 13): each guest completes in plan mode, keeps at least
# 1.5x the write throughput it has under auto-converge, with the same or
# a lower total time. Exits non-zero when a migration failed or memory
# differed (targets are reported, met or missed).
# Env: OUT (build dir), BENCH_CONVERGE_RUNS, PRECOPY_QEMU.
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QEMU=${PRECOPY_QEMU:-$ROOT/.cache/qemu/bin/qemu-system-x86_64}
runs=${BENCH_CONVERGE_RUNS:-3}
if [[ $(id -u) -ne 0 ]]; then
	echo "bench converge: skipped (needs root)"
	exit 0
fi
if [[ ! -x $QEMU ]]; then
	echo "bench converge: skipped (no patched QEMU at $QEMU: make qemu)"
	exit 0
fi
if [[ ! -w /dev/kvm ]]; then
	echo "bench converge: skipped (no /dev/kvm: QEMU's dirty limit needs KVM's dirty ring)"
	exit 0
fi
# name, link MiB/s, guest (--append); downtime limit 1 s for both
guests=(
	"hotcold-wide:8:pattern=hotcold pages=16384 hot=4096 hotbase=0 hotpct=80 delay=8 tick=2"
	"seqsweep:16:pattern=seqsweep pages=16384 delay=16 tick=2"
)
rc=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for g in "${guests[@]}"; do
	IFS=: read -r name bw append <<<"$g"
	"$OUT/bin/precopy-migrate" --qemu "$QEMU" --compare --runs "$runs" \
		--bandwidth "$bw" --downtime-limit 1000 --append "$append" \
		--json >"$out"
	code=$?
	python3 - "$name" "$out" "$code" "$ROOT/tests/lib" <<'EOF' || rc=1
import sys
name, path, code = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, sys.argv[4])
import matrix  # noqa: E402
with open(path) as f:
    rows, summ = matrix.parse_migrate_json(f.read())
rows = [o for o in rows if "mode" in o]
for o in rows:
    print(f"bench converge {name}: run {o.get('run')} {o.get('mode')}: "
          f"{o.get('status')}, {o.get('total_time_ms')} ms, downtime "
          f"{o.get('downtime_ms')} ms, "
          f"{o.get('transferred_bytes', 0) / 2**20:.1f} MiB, memory equal "
          f"{o.get('memory_equal')}, guest writes/s "
          f"{o.get('guest_writes_per_s')} (before "
          f"{o.get('guest_writes_before_per_s')})")
bad = code != 0 or any(o.get("memory_equal") is False or
                       o.get("status") != "completed" for o in rows)
r = (summ or {}).get("ratios", {}).get("plan/auto-converge")
if not r:
    print(f"bench converge {name}: no plan/auto-converge ratio "
          f"(precopy-migrate exit {code})")
    sys.exit(1)
hand = (summ or {}).get("ratios", {}).get("dirty-limit-hand/auto-converge", {})


def lost(mode):
    """Median over the completed runs of mode: the guest's writes lost
    to the migration, (rate before - rate during) x total time."""
    v = sorted(max(0.0, o["guest_writes_before_per_s"] -
                   o["guest_writes_per_s"]) * o["total_time_ms"] / 1000
               for o in rows if o.get("mode") == mode and
               o.get("status") == "completed" and
               o.get("guest_writes_per_s") is not None and
               o.get("guest_writes_before_per_s") is not None)
    return v[len(v) // 2] if v else None


lp, la, lh = lost("plan"), lost("auto-converge"), lost("dirty-limit-hand")
if lp is not None and la:
    print(f"bench converge {name}: guest writes lost to the migration "
          f"(rate before - during, x total time), medians: plan {lp:.0f}, "
          f"auto-converge {la:.0f}, dirty-limit-hand "
          f"{'n/a' if lh is None else f'{lh:.0f}'}; plan/auto-converge "
          f"{lp / la:.2f}")
ok_w, ok_t = r["guest_writes"] >= 1.5, 0 < r["total_time"] <= 1.0
print(f"bench converge {name}: plan/auto-converge time {r['total_time']:.2f}, "
      f"bytes {r['transferred']:.2f}, downtime {r['downtime']:.2f}, guest "
      f"writes/s during the migration {r['guest_writes']:.2f} (target "
      f"writes >= 1.5: {'met' if ok_w else 'MISSED'}, time <= 1.00: "
      f"{'met' if ok_t else 'MISSED'}); dirty-limit-hand/auto-converge "
      f"time {hand.get('total_time', -1):.2f}, writes/s "
      f"{hand.get('guest_writes', -1):.2f}")
sys.exit(1 if bad else 0)
EOF
done
exit $rc
