#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""holdout_stats.py DIR - print DIR/README.md for the holdout traces
(tools/record-corpus/record-holdout): what they are, how they were made,
and one row per NAME.pctrace, its numbers from precopy-sim --stats (as
`make eval` reads them: dirty rate in 1 s windows) and its metadata from
the native header (user/lib/tracefile/trace.h). Env: OUT (build
directory, for precopy-sim)."""
import json
import os
import struct
import subprocess
import sys

ORDER = ["linuxguest", "jvm", "xz"]
WHAT = {
    "linuxguest": "the project's Linux guest (Debian bookworm kernel 6.1, "
                  "memwork as /init) under QEMU 7.2 TCG, 1 GiB: boot, "
                  "memwork fills a 512 MiB buffer, then hotcold (32 MiB "
                  "hot, 90 % of 25000 page writes/s); guest RAM only "
                  "(guest_ram.py)",
    "jvm": "OpenJDK 17, G1, 768 MiB heap: CacheJob.java, an LRU session "
           "cache (250k sessions, 0.5-2 KiB payloads) under skewed "
           "requests, 20 % payload rewrites, a report pass every 2 s",
    "xz": "xz 5.4 -9 -T1 compressing 64 MiB of generated log-like text "
          "(gen_text.py 64): bt4 match finder over a 64 MiB dictionary",
}


def native_meta(path):
    """Metadata of a PCTRACE1 file: {key: value}."""
    with open(path, "rb") as f:
        head = f.read(32)
        if head[:8] != b"PCTRACE1":
            raise SystemExit("holdout_stats: %s: not a native trace" % path)
        meta_len, meta_cnt = struct.unpack_from("<II", head, 24)
        raw = f.read(meta_len)
    meta, i = {}, 0
    for _ in range(meta_cnt):
        klen = raw[i]
        key = raw[i + 1:i + 1 + klen].decode()
        i += 1 + klen
        (vlen,) = struct.unpack_from("<H", raw, i)
        meta[key] = raw[i + 2:i + 2 + vlen].decode()
        i += 2 + vlen
    return meta


def main():
    d = sys.argv[1]
    out = os.environ.get("OUT", "build")
    sim = os.path.join(out, "bin", "precopy-sim")
    names = [n for n in ORDER
             if os.path.exists(os.path.join(d, n + ".pctrace"))]
    names += sorted(f[:-8] for f in os.listdir(d)
                    if f.endswith(".pctrace") and f[:-8] not in names)
    p = print
    p("# Holdout traces: real workloads no policy was tuned on\n")
    p("Part of the REPORT split of `make eval` (tools/eval/evallib.py):")
    p("results are judged on them, nothing is tuned on them. Recorded by")
    p("`tools/record-corpus/record-holdout` with the project's process")
    p("tracer (`precopy-trace -E 100 --record NAME.trace.gz 1 N -- CMD`,")
    p("as the corpus of `tests/data/corpus/`; see its README for the")
    p("tracer's method and the header metadata). Text interchange format,")
    p("gzip, 100 ms epochs, pages stamped with their epoch's start.\n")
    p("`linuxguest` traces a whole QEMU process running a TCG guest: the")
    p("tracer sees the guest's RAM writes as QEMU's own writes. Its trace")
    p("is then cut to the guest RAM block and renumbered by guest-physical")
    p("page (`guest_ram.py`: the block's place in the tracer's numbering is")
    p("found from the guest-physical ranges memwork prints on the console,")
    p("and checked; `ram_offset` and `ram_check` in the header), so it is")
    p("what a migration of that guest would see. QEMU's own memory")
    p("(translation cache, heap) is left out.\n")
    p("Regenerate: `make && make linuxguest && "
      "tools/record-corpus/record-holdout [NAME...]`")
    p("(root; `tools/deps corpus` installs what it needs). Rates differ")
    p("from run to run and machine to machine (the recording machine was")
    p("shared and loaded); the shapes are what matters.\n")
    p("| trace | size | length | pages | epochs | dirty pages per "
      "epoch | dirty rate (1 s windows) | workload |")
    p("|---|---:|---:|---:|---:|---:|---:|---|")
    for n in names:
        path = os.path.join(d, n + ".pctrace")
        meta = native_meta(path)
        st = json.loads(subprocess.run(
            [sim, "--trace", path, "--stats", "--json"], check=True,
            capture_output=True, text=True).stdout)
        p(f"| `{n}.pctrace` | {os.path.getsize(path) / 1024:.0f} KiB "
          f"| {st['length_s']:.1f} s | {st['pages']} "
          f"({st['pages'] * st['page_size'] / 2**20:.0f} MiB) "
          f"| {st['epochs']} | {st['dirty_per_epoch']:.0f} "
          f"| {st['dirty_rate_pages']:.0f} pages/s "
          f"({st['dirty_rate_mibps']:.1f} MiB/s) "
          f"| {WHAT.get(n, meta.get('command', ''))} |")
    p("\nPer-trace metadata (from the headers):\n")
    for n in names:
        meta = native_meta(os.path.join(d, n + ".pctrace"))
        extra = ""
        if "ram_offset" in meta:
            extra = "; ram_offset=%s, ram_check: %s" % (
                meta["ram_offset"], meta.get("ram_check", ""))
        p(f"- `{n}`: command `{meta.get('command', '?')}`; processes "
          f"{meta.get('processes', '?')}; {meta.get('bpf_vs_scan', '')}"
          f"{extra}")


if __name__ == "__main__":
    main()
