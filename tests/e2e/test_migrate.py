#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""End-to-end live migrations with real QEMU processes on loopback: the
patched QEMU of tools/qemu, stock pre-copy against the plan of
precopy-plan served through the plan ring (precopy-migrate drives both).

- (a) KVM, -accel kvm,dirty-ring-size=4096, the project's multiboot
  workload guest; (b) TCG booting Debian's kernel with the memwork
  initramfs (tools/linuxguest). Each stock and plan-driven, with a
  bandwidth limit low enough for several iterations (dirty-sync-count
  >= 3 in stock).
- After every migration the destination's memory equals the source's
  (both stopped, pmemsave, compared page by page).
- Plan-driven runs follow plans (QEMU's plans_used counter > 0).
- Faults: the planner SIGKILLed mid-migration, garbage published in the
  ring (rejected and counted), the planner started after QEMU.
- Bad options get a one-line error.

The stock-vs-plan table is printed (medians; ratios are reported, not
asserted: performance targets live in `make bench`).
Env: MIGRATE_RUNS (runs per mode for (a), default 3).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness, Skip, bin_path  # noqa: E402

t = Harness()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MIGRATE = bin_path("precopy-migrate")
QEMU = os.environ.get("PRECOPY_QEMU",
                      os.path.join(ROOT, ".cache", "qemu", "bin",
                                   "qemu-system-x86_64"))
LINUX = os.path.join(ROOT, ".cache", "linuxguest")
RUNS = int(os.environ.get("MIGRATE_RUNS", "3"))
tables = []


def need(accel):
    if os.geteuid() != 0:
        raise Skip("needs root (BPF, /dev/kvm)")
    if not os.access(QEMU, os.X_OK):
        raise Skip(f"no patched QEMU at {QEMU} (make qemu)")
    if accel == "kvm" and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Skip("no usable /dev/kvm")
    if accel == "tcg" and not os.path.exists(os.path.join(LINUX, "vmlinuz")):
        raise Skip(f"no Linux guest in {LINUX} (make linuxguest)")


def migrate(*args, timeout=900):
    """Run precopy-migrate -j; return (exit code, run objects, summary)."""
    cmd = [MIGRATE, "-j", "--qemu", QEMU, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    runs, summary = [], None
    for line in p.stdout.splitlines():
        o = json.loads(line)
        if o.get("summary"):
            summary = o
        else:
            runs.append(o)
    if p.returncode:
        print("  precopy-migrate stderr: " + p.stderr.strip()[-800:])
    return p.returncode, runs, summary


def check_runs(runs, n_expected):
    t.check(len(runs) == n_expected,
            f"{n_expected} migrations reported, got {len(runs)}")
    for r in runs:
        name = f"run {r['run']} {r['mode']}"
        t.check(r["status"] == "completed", f"{name}: status {r['status']}")
        t.check(r["memory_checked"] and r["memory_equal"],
                f"{name}: memory equal (diff pages {r['memory_diff_pages']})")
        print(f"  {name}: {r['total_time_ms']} ms, downtime "
              f"{r['downtime_ms']} ms, {r['transferred']} bytes, "
              f"{r['dirty_sync_count']} syncs, memory equal="
              f"{r['memory_equal']} ({r['memory_bytes']} bytes, fnv64 "
              f"{r['memory_fnv64']})"
              + (f", plans {r['plans_used']}, fallbacks "
                 f"{r['fallback_none'] + r['fallback_stale']}, rejected "
                 f"{r['rejected']}" if r["mode"] == "plan" else ""))


def table(label, summary):
    if not summary or "stock" not in summary or "plan" not in summary:
        return
    s, p, r = summary["stock"], summary["plan"], summary.get("ratio", {})
    tables.append(
        f"{label:<26} stock {s['total_time_ms']:>6} ms {s['downtime_ms']:>4} ms "
        f"{s['transferred'] / 2**20:>7.1f} MiB {s['dirty_sync_count']:>3} syncs | "
        f"plan {p['total_time_ms']:>6} ms {p['downtime_ms']:>4} ms "
        f"{p['transferred'] / 2**20:>7.1f} MiB {p['dirty_sync_count']:>3} syncs | "
        f"plan/stock time {r.get('total_time', -1):.2f} down "
        f"{r.get('downtime', -1):.2f} bytes {r.get('transferred', -1):.2f}")


@t.test
def test_kvm_stock_vs_plan():
    need("kvm")
    rc, runs, summary = migrate("--accel", "kvm", "--runs", str(RUNS))
    check_runs(runs, 2 * RUNS)
    t.check(rc == 0, f"precopy-migrate exited {rc}")
    for r in runs:
        if r["mode"] == "stock":
            t.check(r["dirty_sync_count"] >= 3,
                    f"stock run {r['run']}: several iterations "
                    f"(dirty-sync-count {r['dirty_sync_count']})")
        else:
            t.check(r["plans_used"] > 0,
                    f"plan run {r['run']}: QEMU followed plans "
                    f"(plans_used {r['plans_used']})")
            t.check(r["planner_status"] == 0,
                    f"plan run {r['run']}: planner exited 0 on SIGTERM "
                    f"(status {r['planner_status']})")
    table(f"KVM multiboot (median of {RUNS})", summary)


@t.test
def test_tcg_stock_vs_plan():
    need("tcg")
    rc, runs, summary = migrate("--accel", "tcg", "--runs", "1")
    check_runs(runs, 2)
    t.check(rc == 0, f"precopy-migrate exited {rc}")
    for r in runs:
        if r["mode"] == "plan":
            t.check(r["plans_used"] > 0,
                    f"TCG plan run: QEMU followed plans learned from its "
                    f"sync bitmaps (plans_used {r['plans_used']})")
    table("TCG Linux guest (1 run)", summary)


@t.test
def test_fault_planner_killed():
    need("kvm")
    rc, runs, _ = migrate("--mode", "plan", "--fault", "kill-planner",
                          "--fault-at", "2")
    check_runs(runs, 1)
    t.check(rc == 0, f"precopy-migrate exited {rc}")
    if runs:
        r = runs[0]
        t.check(r["fault_injected"], "the planner was killed mid-migration")
        t.check(r["planner_status"] == -9,
                f"planner died of SIGKILL (status {r['planner_status']})")
        t.check(r["fallback_none"] + r["fallback_stale"] >= 1,
                "QEMU fell back to its own order after the planner died "
                f"(fallbacks {r['fallback_none'] + r['fallback_stale']})")


@t.test
def test_fault_garbage_in_ring():
    need("kvm")
    rc, runs, _ = migrate("--mode", "plan", "--fault", "garbage",
                          "--fault-at", "2")
    check_runs(runs, 1)
    t.check(rc == 0, f"precopy-migrate exited {rc}")
    if runs:
        r = runs[0]
        t.check(r["fault_injected"], "garbage was published in the ring")
        t.check(r["rejected"] >= 1,
                f"QEMU rejected and counted it (rejected {r['rejected']})")


@t.test
def test_planner_started_after_qemu():
    need("kvm")
    rc, runs, _ = migrate("--mode", "plan", "--planner-start", "after")
    check_runs(runs, 1)
    t.check(rc == 0, f"precopy-migrate exited {rc}")
    if runs:
        t.check(runs[0]["plans_used"] > 0,
                "QEMU found the late planner's ring and followed its plans "
                f"(plans_used {runs[0]['plans_used']})")


@t.test
def test_bad_options():
    for args, want in ((["--mode", "sideways"], "unknown mode"),
                       (["--bandwidth", "-3"], "invalid --bandwidth"),
                       (["--qemu", "/nonexistent/qemu"], "no QEMU at")):
        p = subprocess.run([MIGRATE, *args], capture_output=True, text=True)
        lines = p.stderr.strip().splitlines()
        t.check(p.returncode != 0, f"{args}: non-zero exit")
        t.check(len(lines) == 1 and want in lines[0],
                f"{args}: one line with '{want}', got {p.stderr!r}")


if tables:
    print("stock vs plan (medians; from query-migrate):")
    for line in tables:
        print("  " + line)
sys.exit(t.finish())
