#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""precopy-trace runs with CAP_BPF and CAP_PERFMON, not as "root":

- as uid 0 with every other capability dropped from the bounding set
  (capsh --drop), it traces the built-in workload VM and a QEMU started
  the same way (same uid, no more capabilities than the tracer);
- as uid 65534 (nobody) with just those two as ambient capabilities, it
  traces a process (-- CMD);
- with one of the two missing it refuses in one line, naming it.
README "Privileges" lists what else each mode needs.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Harness, Skip, QemuVM, bin_path,  # noqa: E402
                     need_root_kvm, qemu_binary, skip_nested_qemu)

t = Harness()
TRACE = os.path.abspath(bin_path("precopy-trace"))
tmp = tempfile.mkdtemp(prefix="test_least_privilege.")
os.chmod(tmp, 0o755)


def bounding_set():
    out = subprocess.run(["capsh", "--print"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith("Bounding set ="):
            return line.split("=", 1)[1].strip().split(",")
    return []


def need_capsh():
    need_root_kvm()
    if not shutil.which("capsh"):
        raise Skip("capsh not installed (libcap2-bin, tools/deps)")
    if "cap_bpf" not in bounding_set():
        raise Skip("this kernel has no CAP_BPF (Linux < 5.8)")


def only(keep, cmd, timeout=120):
    """Run the shell command cmd as uid 0 with every capability but those
    in keep dropped from the bounding set."""
    drop = ",".join(c for c in bounding_set() if c not in keep)
    return subprocess.run(["capsh", f"--drop={drop}", "--", "-c", cmd],
                          capture_output=True, text=True, timeout=timeout)


def effective(keep):
    p = only(keep, "grep CapEff /proc/self/status")
    return p.stdout.split()[-1] if p.stdout else "?"


def intervals(p):
    return [json.loads(x) for x in p.stdout.splitlines()
            if x.startswith("{") and '"interval"' in x]


def check_traced(p, what, want_dirty=True):
    ivs = intervals(p)
    t.check(p.returncode == 0, f"{what}: exit {p.returncode}: "
            f"{p.stderr.strip()[-300:]!r}")
    t.check(ivs, f"{what}: intervals reported")
    pages = sum(x["dirty_pages"] for x in ivs)
    print(f"  {what}: exit {p.returncode}, {len(ivs)} intervals, {pages} "
          "dirty pages")
    if want_dirty:
        t.check(pages > 0, f"{what}: writes seen")


@t.test
def test_workload_vm_with_bpf_and_perfmon_only():
    need_capsh()
    caps = effective({"cap_bpf", "cap_perfmon"})
    print(f"  CapEff {caps} (CAP_BPF 39, CAP_PERFMON 38: 000000c000000000)")
    t.check(caps == "000000c000000000", f"only the two: {caps}")
    p = only({"cap_bpf", "cap_perfmon"}, f"'{TRACE}' -j -w hotcold 1 2")
    check_traced(p, "-w hotcold")


@t.test
def test_qemu_with_bpf_and_perfmon_only():
    need_capsh()
    skip_nested_qemu()
    # QEMU under the same restriction: same uid, no capability the tracer
    # lacks, so its /proc entries are the tracer's to read.
    d = os.path.join(tmp, "qemu")
    os.makedirs(d)
    drop = ",".join(c for c in bounding_set()
                    if c not in ("cap_bpf", "cap_perfmon"))
    qemu = qemu_binary()  # the project's (survives ring overflows)
    wrapper = os.path.join(d, "qemu-restricted")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec capsh --drop={drop} -- -c \'exec "$0" '
                f'"$@"\' {qemu} "$@"\n')
    os.chmod(wrapper, 0o755)
    vm = QemuVM(d, "pattern=seqsweep pages=4096", mem_mib=64, qemu=wrapper,
                start_timeout=120)
    try:
        vm.wait_guest(timeout=180)
        # the wrapper exec'd QEMU: the pid is QEMU's
        with open(f"/proc/{vm.pid}/status") as f:
            caps = [x.split()[1] for x in f if x.startswith("CapEff")]
        print(f"  QEMU CapEff {caps}")
        p = only({"cap_bpf", "cap_perfmon"},
                 f"'{TRACE}' -j -p {vm.pid} 1 2")
        check_traced(p, "-p QEMU")
    finally:
        vm.close()


@t.test
def test_process_as_nobody_with_ambient_caps():
    need_capsh()
    cmd = (f"cd {tmp} && '{TRACE}' -j 0.5 2 -- python3 -c "
           "'b = bytearray(1 << 24); [b.__setitem__(i, 1) for i in "
           "range(0, 1 << 24, 4096)]; import time; time.sleep(1)'")
    p = subprocess.run(["capsh", "--caps=cap_bpf,cap_perfmon+eip "
                        "cap_setuid,cap_setgid,cap_setpcap+ep", "--keep=1",
                        "--user=nobody", "--addamb=cap_bpf,cap_perfmon",
                        "--", "-c", "grep CapEff /proc/self/status; id -u; "
                        + cmd], capture_output=True, text=True, timeout=120)
    if "WP_ASYNC" in p.stderr:
        raise Skip("this kernel's userfaultfd lacks WP_ASYNC (Linux 6.7+)")
    head = p.stdout.splitlines()[:2]
    print(f"  as {head}")
    t.check(len(head) == 2 and head[0].endswith("000000c000000000")
            and head[1] == "65534", f"uid 65534 with the two: {head}")
    check_traced(p, "-- python3 as nobody", want_dirty=False)


@t.test
def test_refuses_naming_what_is_missing():
    need_capsh()
    for keep, missing in (({"cap_bpf"}, "CAP_PERFMON"),
                          ({"cap_perfmon"}, "CAP_BPF"),
                          (set(), "CAP_BPF and CAP_PERFMON")):
        for args in ("-w idle 1 1", "1 1 -- true"):
            p = only(keep, f"'{TRACE}' {args}")
            lines = p.stderr.splitlines()
            t.check(p.returncode == 1 and len(lines) == 1 and
                    f"needs {missing} " in lines[0],
                    f"with {sorted(keep)} ({args}): exit {p.returncode}, "
                    f"{p.stderr!r}")


try:
    status = t.finish()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(status)
