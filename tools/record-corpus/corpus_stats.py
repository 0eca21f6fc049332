#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""corpus_stats.py DIR - print DIR/README.md for the dirty-trace corpus:
what the traces are, how they were made, and one row per NAME.trace.gz
with its size, duration, pages, epochs and dirty rates, read from the
traces themselves (interchange format, gzip)."""
import gzip
import os
import sys

ORDER = ["redis", "sqlite", "postgres", "memcached", "compile", "python", "idle"]
WHAT = {
    "redis": "redis-server 7.0 under redis-benchmark (set/get/incr/lpush/hset, 8 clients, 256-byte values, 200k keys)",
    "sqlite": "sqlite3 3.40 running a write-heavy script (WAL, 8 MiB cache; batches of 5000 inserts-or-replaces of 200-byte blobs, updates, deletes)",
    "postgres": "PostgreSQL 15 under pgbench (scale 5, 4 clients, TPC-B-like); traced: the postmaster and every process it forks (backends, checkpointer, background writer, WAL writer, autovacuum)",
    "memcached": "memcached 1.6 under memaslap (memcaslap: 1 thread, 4 connections, 512-byte values, 9:1 get:set)",
    "compile": "gcc 12 -O2 -c of a generated 600 KB C file (tools/record-corpus/gen_bigc.py 1000); traced: the gcc driver and cc1 (exec'd child)",
    "python": "Python 3.11 data-processing job (tools/record-corpus/datajob.py: CSV parse, join, group-by, top-k, re-sorts)",
    "idle": "an idle process (sleep)",
}


def load(path):
    meta, pages, epochs, events = {}, 0, [], 0
    cur = None
    distinct = set()
    end = None
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("# precopy-trace"):
                for field in line.split()[3:]:
                    k, v = field.split("=")
                    if k == "pages":
                        pages = int(v)
            elif line.startswith("# epoch "):
                cur = set()
                epochs.append(cur)
            elif line.startswith("# end "):
                end = int(line.split()[2])
            elif line.startswith("# ") and "=" in line and not epochs:
                k, v = line[2:].rstrip("\n").split("=", 1)
                meta[k.strip()] = v.strip()
            elif line[0].isdigit():
                p = int(line.split()[1])
                if cur is None:
                    cur = set()
                    epochs.append(cur)
                cur.add(p)
                distinct.add(p)
                events += 1
    return meta, pages, epochs, events, len(distinct), end


def main():
    d = sys.argv[1]
    names = [n for n in ORDER if os.path.exists(os.path.join(d, n + ".trace.gz"))]
    names += sorted(f[:-9] for f in os.listdir(d)
                    if f.endswith(".trace.gz") and f[:-9] not in names)
    print("# Dirty-trace corpus: real programs\n")
    print("Recorded by `tools/record-corpus/record` with the project's process")
    print("tracer (`precopy-trace -E 100 --record NAME.trace.gz 1 N -- CMD`):")
    print("userfaultfd asynchronous write-protect re-armed every epoch with")
    print("PAGEMAP_SCAN, write faults seen by BPF on `exceptions:page_fault_user`")
    print("and `page_fault_kernel`. Format: the text interchange format")
    print("(`# precopy-trace v1 page_size=4096 pages=N`), gzip-compressed; every")
    print("epoch is an `# epoch T` marker followed by one line per page dirtied")
    print("in it, stamped with the epoch's start (`timing=epoch`).\n")
    print("Page identity (`page_identity=` in each header): page index inside the")
    print("ranges registered for write protection, numbered in order of first")
    print("registration (address order within one scan), per process, never")
    print("reused; `pages=` is the number of pages registered during the run.")
    print("A page dirtied before its range was armed counts as dirty in the")
    print("epoch it was found (`unknown`). Shared memory is counted in the")
    print("space of each process that maps it. Header metadata also names the")
    print("command, the processes traced (`pid:name`), the epoch length, the")
    print("duration, and the BPF-vs-PAGEMAP_SCAN agreement (`bpf_vs_scan`).\n")
    print("Regenerate: `make && tools/record-corpus/record [NAME...]` (root;")
    print("packages of `tools/deps corpus`). Rates differ from run to run and machine")
    print("to machine; the shapes are what matters.\n")
    print("| trace | size | duration | epoch | pages | epochs | dirty pages/epoch (mean / max) | dirty rate | distinct pages | workload |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in names:
        path = os.path.join(d, n + ".trace.gz")
        meta, pages, epochs, events, distinct, end = load(path)
        size = os.path.getsize(path)
        dur = (end or int(meta.get("duration_us", "0"))) / 1e6
        per = [len(e) for e in epochs] or [0]
        mean = sum(per) / len(per)
        rate = events / dur if dur else 0
        ep_ms = int(meta.get("epoch_us", "0")) / 1000
        print(f"| `{n}.trace.gz` | {size / 1024:.0f} KiB | {dur:.1f} s | {ep_ms:.0f} ms "
              f"| {pages} | {len(epochs)} | {mean:.0f} / {max(per)} "
              f"| {rate:.0f} pages/s ({rate * 4096 / 2**20:.1f} MiB/s) | {distinct} "
              f"| {WHAT.get(n, meta.get('command', ''))} |")
    print("\nPer-trace metadata (from the headers):\n")
    for n in names:
        meta = load(os.path.join(d, n + ".trace.gz"))[0]
        print(f"- `{n}`: command `{meta.get('command', '?')}`; processes "
              f"{meta.get('processes', '?')}; {meta.get('bpf_vs_scan', '')}")


if __name__ == "__main__":
    main()
