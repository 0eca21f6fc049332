#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""End-to-end: the reduced guest matrix of issue 13 (the full one is
tests/bench/bench_matrix.py), with real QEMU processes, stock and plan
alternated, memory compared in place after every migration:

- two guests the project was not tuned for (hotcold with a small hot set
  at the top, 16 MiB/s, 300 ms; the control: random writes over a set
  that fits the downtime budget, 4 MiB/s, 1 s);
- a 2 GiB guest (memory checked through the memfd backends, no dump);
- a migration between two network namespaces this test creates, over a
  veth pair shaped by tc (netem rate and delay, or tbf where the kernel
  has no netem), deleted afterwards;
- a guest stock pre-copy cannot converge (hotcold, 16 MiB hot at 80 % of
  the writes, 8 MiB/s, 1 s): precopy-plan --converge dirty-limit sets
  QEMU's dirty limit, the migration completes, the limit is lifted.

Asserts completion and memory equality (and for the last, that a limit was
set and lifted); prints the ratios (performance targets live in make
bench). Env: MATRIX_RUNS (runs per mode, default 1).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness, Skip  # noqa: E402
import matrix  # noqa: E402

t = Harness()
RUNS = int(os.environ.get("MATRIX_RUNS", "1"))
rows = []
NONCONV = dict(name="hotcold-nonconverging", bw=8, dt=1000,
               append="pattern=hotcold pages=16384 hot=4096 hotbase=0 "
                      "hotpct=80 delay=8 tick=2")


def need():
    if os.geteuid() != 0:
        raise Skip("needs root (BPF, /dev/kvm)")
    if not os.access(matrix.QEMU, os.X_OK):
        raise Skip(f"no patched QEMU at {matrix.QEMU} (make qemu)")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Skip("no usable /dev/kvm")


def check(c, out, n_expected):
    t.check(len(out) == n_expected,
            f"{c['name']}: {n_expected} migrations reported, got {len(out)}")
    for o in out:
        name = f"{c['name']} run {o['run']} {o['mode']}"
        t.check(o["status"] == "completed", f"{name}: status {o['status']}"
                + (f" ({o['error']})" if o.get("error") else ""))
        t.check(o["memory_checked"] and o["memory_equal"],
                f"{name}: memory equal (diff pages "
                f"{o['memory_diff_pages']})")
        t.check(o["memory_bytes"] == c.get("mem", 256) << 20,
                f"{name}: all {c.get('mem', 256)} MiB compared "
                f"({o['memory_bytes']} bytes)")
        print(f"  {name}: {o['total_time_ms']} ms, downtime "
              f"{o['downtime_ms']} ms, {o['transferred_bytes'] / 2**20:.1f} MiB, "
              f"{o['dirty_sync_count']} syncs, memory equal="
              f"{o['memory_equal']} ({o['memory_bytes'] >> 20} MiB)", flush=True)


def stock_vs_plan(name):
    need()
    c = matrix.case(name)
    rc, out, summary, note = matrix.migrate(c, RUNS)
    if note:
        print(f"  link: {note}")
    check(c, out, 2 * RUNS)
    t.check(rc == 0, f"{name}: precopy-migrate exited {rc}")
    rows.append(matrix.row(c, out, summary))


@t.test
def test_matrix_hotcold_small_top():
    stock_vs_plan("hotcold-small-top")


@t.test
def test_matrix_random_fits_control():
    stock_vs_plan("random-fits")


@t.test
def test_matrix_2gib_guest():
    stock_vs_plan("hotcold-2GiB")


@t.test
def test_matrix_netns_shaped_link():
    need()
    why = matrix.can_netns()
    if why:
        raise Skip(why)
    before = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") \
        else set()
    stock_vs_plan("hotcold-netns")
    after = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") \
        else set()
    t.check(after <= before, "the test's namespaces are gone "
            f"(left: {sorted(after - before)})")
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                           text=True).stdout
    t.check("pcva" not in links and "pcvb" not in links,
            "the veth pair is gone")


@t.test
def test_converge_by_dirty_limit():
    need()
    rc, out, _, _ = matrix.migrate(NONCONV, 1, modes="plan",
                                   extra=("--converge", "dirty-limit"),
                                   timeout_s=120)
    check(NONCONV, out, 1)
    t.check(rc == 0, f"precopy-migrate exited {rc}")
    if out:
        o = out[0]
        print(f"  dirty limit: {o.get('limit_changes')} change(s), first "
              f"{o.get('limit_first_mb_per_s')} MB/s, last "
              f"{o.get('limit_last_mb_per_s')} MB/s of a free rate of "
              f"{o.get('limit_free_mb_per_s')} MB/s; guest writes/s "
              f"{o.get('guest_writes_per_s')} during, "
              f"{o.get('guest_writes_before_per_s')} before")
        t.check(o.get("limit_changes", 0) >= 1,
                "precopy-plan set QEMU's dirty limit "
                f"(changes {o.get('limit_changes')})")
        t.check(o.get("limit_lifted"), "and lifted it after the switchover")


if rows:
    print("stock vs plan (medians of %d; ms, ms, MiB):" % RUNS)
    for line in matrix.table(rows):
        print("  " + line)
sys.exit(t.finish())
