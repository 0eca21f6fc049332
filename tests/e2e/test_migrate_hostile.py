#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""precopy-migrate against a hostile user and a broken destination, with
real QEMU processes (the patched QEMU of tools/qemu, the KVM multiboot
workload guest):

- SIGTERM mid-migration and SIGINT during the warm-up: both QEMUs and the
  planner are stopped and reaped, the plan ring in /dev/shm and the work
  folder are removed, and precopy-migrate dies of the signal;
- a migration that times out says so with QEMU's status word, not with
  bytes of a freed QMP reply;
- a plan-mode migration that times out still reports the plans QEMU
  used (read from the plan ring before it is removed);
- a guest that refuses its --append (a key its pattern does not take)
  fails the run at once with the guest's own error line, not after the
  90 s wait for it to get ready;
- one byte of the destination's memory flipped after the migration
  (--fault corrupt-dest) makes the check report the memory unequal,
  naming the page, and the command fail.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness, Skip, bin_path, project_qemu  # noqa: E402
import contracts  # noqa: E402

t = Harness()
MIGRATE = bin_path("precopy-migrate")
QEMU = project_qemu()


def need():
    if os.geteuid() != 0:
        raise Skip("needs root (/dev/kvm, the planner's tracker)")
    if not os.access(QEMU, os.X_OK):
        raise Skip(f"no patched QEMU at {QEMU} (make qemu)")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Skip("no usable /dev/kvm")


def children(pid):
    """{pid: cmdline} of the processes whose parent is pid."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                with open(f"/proc/{d}/cmdline") as f:
                    out[int(d)] = f.read().replace("\0", " ").strip()
        except (OSError, ValueError, IndexError):
            pass
    return out


def interrupt(sig, when, extra):
    """Start a plan-mode run, wait until stderr says `when`, send sig, and
    check that nothing it started or made is left."""
    p = subprocess.Popen([MIGRATE, "-v", "--qemu", QEMU, "--mode", "plan",
                          "-b", "1", "--warmup", "3", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    seen, kids = [], {}
    deadline = time.monotonic() + 120
    try:
        for line in p.stderr:
            seen.append(line.rstrip())
            if when in line:
                break
            if time.monotonic() > deadline:
                break
        time.sleep(0.5)
        kids = children(p.pid)
        t.check(len(kids) >= 3, f"QEMU x2 and the planner running: {kids}")
        workdirs = {m.group(1) for c in kids.values()
                    for m in [re.search(r"(/tmp/precopy-migrate\.\w+)/", c)]
                    if m}
        rings = [f for f in os.listdir("/dev/shm")
                 if f.startswith(f"precopy-migrun.{p.pid}.")]
        t.check(workdirs and all(os.path.isdir(d) for d in workdirs),
                f"work folder seen: {workdirs}")
        t.check(rings, "plan ring seen in /dev/shm")
        p.send_signal(sig)
        t0 = time.monotonic()
        rc = p.wait(60)
        took = time.monotonic() - t0
        rest = p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    print(f"  {signal.Signals(sig).name} at '{when}': exit {rc} after "
          f"{took:.1f} s; stderr tail: {rest.strip()[-200:]!r}")
    t.check(rc == -sig, f"died of {signal.Signals(sig).name}: exit {rc}")
    t.check(took < 40, f"stopped within 40 s: {took:.1f} s")
    left = [k for k in kids if os.path.exists(f"/proc/{k}")]
    t.check(not left, f"processes left: {[kids[k][:60] for k in left]}")
    rings = [f for f in os.listdir("/dev/shm")
             if f.startswith(f"precopy-migrun.{p.pid}.")]
    t.check(not rings, f"/dev/shm files left: {rings}")
    for d in workdirs:
        t.check(not os.path.exists(d), f"work folder left: {d} "
                f"{os.listdir(d) if os.path.isdir(d) else ''}")


@t.test
def test_sigterm_mid_migration_reaps_everything():
    need()
    # "active:", not "migrating": at "migrating" QEMU is still in its
    # setup (status setup, no sync yet); the first "active:" progress line
    # comes once RAM is being sent.
    interrupt(signal.SIGTERM, "active: ", [])


@t.test
def test_sigint_during_warmup_reaps_everything():
    need()
    interrupt(signal.SIGINT, "warming up", [])


@t.test
def test_timeout_message_names_the_status():
    need()
    p = subprocess.run([MIGRATE, "--qemu", QEMU, "--mode", "stock", "-b",
                        "1", "--warmup", "0.5", "--timeout", "2"],
                       capture_output=True, text=True, timeout=180)
    msg = [x for x in p.stderr.splitlines() if "did not end" in x]
    print(f"  {msg}")
    t.check(p.returncode == 1, f"exit {p.returncode}")
    t.check(len(msg) == 1 and re.search(
        r"within 2 s \(status (active|setup|device|pre-switchover), \d+ "
        r"syncs\): cancelled$", msg[0]), f"message: {p.stderr!r}")


@t.test
def test_timeout_still_reports_the_plans_used():
    need()
    p = subprocess.run([MIGRATE, "-j", "--qemu", QEMU, "--mode", "plan",
                        "-b", "1", "--warmup", "0.5", "--timeout", "3"],
                       capture_output=True, text=True, timeout=180)
    runs = [json.loads(x) for x in p.stdout.splitlines()
            if x.startswith("{") and '"type": "run"' in x]
    print(f"  {[(r.get('status'), r.get('ring_read'), r.get('plans_used')) for r in runs]}")
    t.check(p.returncode == 1, f"exit {p.returncode}")
    t.check(len(runs) == 1 and runs[0]["status"] == "timeout",
            f"runs: {runs}")
    t.check(runs and runs[0].get("ring_read") is True and
            runs[0].get("plans_used", 0) > 0,
            f"ring counters of the timed-out run: {runs}")


@t.test
def test_guest_error_fails_at_once():
    need()
    t0 = time.monotonic()
    p = subprocess.run([MIGRATE, "--qemu", QEMU, "--mode", "stock",
                        "--append", "pattern=idle pages=1024 tick=2"],
                       capture_output=True, text=True, timeout=180)
    took = time.monotonic() - t0
    msg = [x for x in p.stderr.splitlines() if "the guest stopped" in x]
    print(f"  {took:.1f} s: {msg}")
    t.check(p.returncode == 1, f"exit {p.returncode}")
    t.check(len(msg) == 1 and msg[0].endswith(
        "the guest stopped: precopy-guest: error: key 'tick' does not "
        "apply to pattern idle"), f"message: {p.stderr!r}")
    t.check(took < 60, f"failed within 60 s, not after the 90 s wait: "
            f"{took:.1f} s")


@t.test
def test_corrupted_destination_reported_unequal():
    need()
    mem = 64
    gpa = (mem << 19) + 0x123
    p = subprocess.run([MIGRATE, "-j", "--qemu", QEMU, "--mode", "stock",
                        "-m", str(mem), "-b", "200", "--warmup", "1",
                        "--fault", "corrupt-dest"],
                       capture_output=True, text=True, timeout=300)
    runs = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    run = next((r for r in runs if r.get("type") == "run"), None)
    t.require(run, f"no run reported: {p.stdout!r} {p.stderr!r}")
    keys = ("status", "memory_equal", "memory_diff_pages",
            "memory_first_diff_offset_bytes", "fault_injected")
    print(f"  exit {p.returncode}; {({k: run.get(k) for k in keys})}")
    errs = contracts.validate("precopy-migrate", runs)
    t.check(not errs, f"JSON against its schema: {errs}")
    t.check(run["status"] == "completed", f"status {run['status']}")
    t.check(run["fault_injected"], "the corruption was made")
    t.check(run["memory_checked"] and not run["memory_equal"],
            "memory reported unequal")
    t.check(run["memory_diff_pages"] == 1, "one page differs: "
            f"{run['memory_diff_pages']}")
    t.check(run["memory_first_diff_offset_bytes"] == gpa, f"the page named: "
            f"{run['memory_first_diff_offset_bytes']:#x} != {gpa:#x}")
    t.check(p.returncode == 1, f"the command fails: exit {p.returncode}")
    # The table says it too.
    p = subprocess.run([MIGRATE, "--qemu", QEMU, "--mode", "stock", "-m",
                        str(mem), "-b", "200", "--warmup", "1", "--fault",
                        "corrupt-dest"],
                       capture_output=True, text=True, timeout=300)
    line = [x for x in p.stdout.splitlines() if "DIFFERS" in x]
    print(f"  {line}")
    t.check(line and f"DIFFERS (1 page, first at {gpa:#x})" in line[0],
            f"table: {p.stdout!r}")


sys.exit(t.finish())
