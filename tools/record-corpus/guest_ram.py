#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""guest_ram.py IN.trace.gz CONSOLE RAM_MIB

Where is the guest's RAM in a process-mode trace of a TCG QEMU
(precopy-trace -- qemu-system-x86_64 ...)? Prints "OFFSET CHECK" on one
line: the trace's pages OFFSET .. OFFSET + RAM pages - 1 are the guest RAM
block, page OFFSET + p being guest-physical page p; CHECK says how sure
(see below). `trace-cut IN OUT --range OFFSET:OFFSET+RAM` then keeps the
guest's RAM only, dropping QEMU's own memory (heap, translation cache,
stacks).

The process tracer numbers pages in order of first registration, so where
the RAM block landed in that numbering is not written down. It is found
from what the guest itself prints: memwork (tools/linuxguest) prints the
guest-physical ranges of its buffer ("memwork: map hot A-B", "map cold
A-B") on the console, and writes its hot range most. For every possible
offset S of the RAM block (0 <= S <= pages - RAM pages), the share of the
trace's dirty pages of the second half of the run (memwork running) that
fall in S + the hot range is computed (prefix sums); the best S is taken,
and the result is refused unless it is clear: at least half of those dirty
pages in the hot range, at least 90 % of them inside the memwork buffer,
and sharp edges: over the second half of the run, the 64 pages just inside
each end of the hot range are written at least 5 times as often as the 64
pages just outside it (a misplaced S blurs the edges).

Messages go to standard error; exit status 1 when the block is not found
clearly.
"""
import gzip
import re
import sys

PAGE = 4096


def die(msg):
    sys.exit("guest_ram: " + msg)


def console_map(path):
    hot, cold = [], []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"memwork: map (hot|cold) 0x([0-9a-f]+)-0x([0-9a-f]+)",
                          line)
            if m:
                run = (int(m.group(2), 16) // PAGE, int(m.group(3), 16) // PAGE)
                (hot if m.group(1) == "hot" else cold).append(run)
    if not hot:
        die("%s: no 'memwork: map hot' line (memwork.map=1 needed)" % path)
    return hot, cold


def load(path):
    head, meta, epochs, end = None, [], [], None
    with gzip.open(path, "rt") as f:
        for line in f:
            if head is None:
                head = line
                if not line.startswith("# precopy-trace v1"):
                    die("%s: not an interchange trace" % path)
                continue
            if line.startswith("# epoch "):
                epochs.append((int(line.split()[2]), []))
            elif line.startswith("# end "):
                end = int(line.split()[2])
            elif line.startswith("#"):
                if not epochs and "=" in line:
                    k, v = line[1:].strip().split("=", 1)
                    meta.append((k.strip(), v.strip()))
            elif line.strip():
                t, p = line.split()
                if not epochs:
                    die("%s: write before the first epoch marker" % path)
                epochs[-1][1].append((int(t), int(p)))
    pages = int(re.search(r"pages=(\d+)", head).group(1))
    return pages, meta, epochs, end


def main():
    if len(sys.argv) != 4:
        die("usage: guest_ram.py IN.trace.gz CONSOLE RAM_MIB")
    src, console, ram_mib = sys.argv[1:]
    ram = int(ram_mib) * 2**20 // PAGE
    hot, cold = console_map(console)
    pages, meta, epochs, end = load(src)
    if pages < ram:
        die("%s has %d pages, fewer than the %d of the guest RAM" % (
            src, pages, ram))
    cnt = [0] * (pages + 1)
    steady = epochs[len(epochs) // 2:]
    total = 0
    for _, ws in steady:
        for _, p in ws:
            cnt[p] += 1
            total += 1
    if not total:
        die("no writes in the second half of the trace")
    pre = [0] * (pages + 1)
    acc = 0
    for i in range(pages):
        acc += cnt[i]
        pre[i + 1] = acc

    def share(s, runs):
        return sum(pre[s + b] - pre[s + a] for a, b in runs) / total

    scores = [(share(s, hot), s) for s in range(pages - ram + 1)]
    best, s0 = max(scores)
    in_buf = share(s0, hot + cold)
    in_ram = (pre[s0 + ram] - pre[s0]) / total

    def dens(a, b):
        a, b = max(a, 0), min(b, pages)
        return (pre[b] - pre[a]) / max(b - a, 1)

    edge = min(min(dens(s0 + a, s0 + a + 64) / max(dens(s0 + a - 64, s0 + a),
                                                   1e-9),
                   dens(s0 + b - 64, s0 + b) / max(dens(s0 + b, s0 + b + 64),
                                                   1e-9))
               for a, b in hot)
    check = ("hot=%.3f buffer=%.3f ram=%.3f edge_contrast=%.1f (second half "
             "of the run)" % (best, in_buf, in_ram, edge))
    print("guest_ram: offset %d: %s" % (s0, check), file=sys.stderr)
    if best < 0.5 or in_buf < 0.9 * in_ram or edge < 5:
        die("guest RAM not found clearly (%s)" % check)
    print("%d %s" % (s0, check.replace(" (second half of the run)", "")))

if __name__ == "__main__":
    main()
