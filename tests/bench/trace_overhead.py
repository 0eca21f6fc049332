#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""trace_overhead.py - how much tracing slows the guest.

The workload VM's write throughput is measured by KVM itself: precopy-vm
reports the dirty-ring entries it harvests per 1 s epoch (one entry per
guest write on this host's KVM; the guest's own counter moves in steps of
4096 writes, too coarse). precopy-trace (1 s interval, default 100 ms
harvests) is attached and detached in alternation, ROUNDS times each, in
one run; the ratio is the median traced epoch over the median untraced
one. Target: >= 0.95. The machine is shared: medians of many epochs.
"""
import json
import os
import subprocess
import sys
import threading
import time

OUT = os.environ.get("OUT", "build")
VM = os.path.join(OUT, "bin", "precopy-vm")
TRACE = os.path.join(OUT, "bin", "precopy-trace")
PHASE_S = 3
ROUNDS = 10


def measure(pattern):
    vm = subprocess.Popen([VM, "-j", "-E", "1000", pattern],
                          stdout=subprocess.PIPE, text=True)
    epochs = []
    reader = threading.Thread(
        target=lambda: [epochs.append(json.loads(l)) for l in vm.stdout])
    reader.start()
    windows = {"untraced": [], "traced": []}
    try:
        time.sleep(2)
        for _ in range(ROUNDS):
            t0 = time.monotonic()
            time.sleep(PHASE_S)
            windows["untraced"].append((t0 + 0.5, time.monotonic()))
            tr = subprocess.Popen([TRACE, "-p", str(vm.pid), "1",
                                   str(PHASE_S + 1)],
                                  stdout=subprocess.PIPE, text=True)
            first = tr.stdout.readline()  # banner: the tracker is attached
            while first and not first.startswith("["):
                first = tr.stdout.readline()
            t0 = time.monotonic()
            tr.wait()
            windows["traced"].append((t0, time.monotonic() - 0.3))
    finally:
        vm.terminate()
        vm.wait()
        reader.join()
    rates = {}
    for kind, spans in windows.items():
        per = sorted(ep["ring_entries"] * 1e3 / ep["epoch_ms"] for ep in epochs
                     if any(a0 <= ep["t_end_s"] - ep["epoch_ms"] / 1e3 and
                            ep["t_end_s"] <= a1 for a0, a1 in spans))
        rates[kind] = per[len(per) // 2] if per else float("nan")
        rates[kind + "_n"] = len(per)
    return rates


def main():
    if os.geteuid() != 0:
        print("bench trace_overhead: skipped (needs root)")
        return 0
    for pattern in ["random", "hotcold"]:
        r = measure(pattern)
        ratio = r["traced"] / r["untraced"]
        print(f"bench trace_overhead pattern={pattern} "
              f"untraced={r['untraced']:.0f} writes/s "
              f"({r['untraced_n']} epochs) traced={r['traced']:.0f} "
              f"writes/s ({r['traced_n']} epochs) ratio={ratio:.3f} "
              f"target>=0.95 {'OK' if ratio >= 0.95 else 'UNDER'}",
              flush=True)
    return 0


sys.exit(main())
