#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/unit/test_evalgen.py - the evaluation's workload generator
(tools/eval/gen, $OUT/tools/eval-gen).

- every (family, seed) of the catalog draws its parameters inside the
  ranges the generator declares (--describe, the documented table) and
  inside the issue's bounds for every family (RAM 256 MiB .. 4 GiB, a
  multiple of 16 MiB; 30 .. 120 s);
- the split is odd seeds = tune, even seeds = report, 7 families x 6;
- same (family, seed), same bytes; another seed, other bytes;
- the smallest trace of every family loads with precopy-sim --stats and
  has the drawn RAM, length and 100 ms epochs, and a plausible dirty rate;
- it refuses to overwrite a file, to write into a directory that is not
  its cache, and bad arguments, each with a one-line error;
- --cache makes a new cache folder with its missing parents (a fresh
  clone has no .cache/: tools/eval/score failed there).
"""
import filecmp
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness  # noqa: E402

OUT = os.environ.get("OUT", "build")
GEN = os.path.join(OUT, "tools", "eval-gen")
SIM = os.path.join(OUT, "bin", "precopy-sim")
FAMILIES = ["kv", "gc", "oltp", "scan", "idle", "phase", "stream"]
t = Harness()


def check(ok, name, why=""):
    t.point(ok, name, str(why) if why else "")


def run(*args):
    return subprocess.run([GEN] + list(args), capture_output=True,
                          text=True)


def declared():
    """family -> {param: (lo, hi)} from --describe's tables."""
    out = run("--describe").stdout
    fam, table = "common", {}
    for line in out.splitlines():
        m = re.match(r"\*\*(\w+)\*\*", line)
        if m:
            fam = "common" if m.group(1) == "Every" else m.group(1)
        m = re.match(r"\| `(\w+)` \| ([-0-9.e]+) \.\. ([-0-9.e]+)", line)
        if m:
            table.setdefault(fam, {})[m.group(1)] = (float(m.group(2)),
                                                     float(m.group(3)))
    return table


def params(fam, seed):
    p = run("--params", "--family", fam, "--seed", str(seed))
    if p.returncode:
        raise RuntimeError(p.stderr)
    vals = {}
    for line in p.stdout.splitlines():
        name, v, lo, hi, _ = line.split()
        vals[name] = (float(v), float(lo), float(hi))
    return vals


def main():
    if not os.access(GEN, os.X_OK):
        t.skip("evalgen", "%s not built" % GEN)
        return
    table = declared()
    check(sorted(table) == sorted(FAMILIES + ["common"]) and
          all(len(table[f]) >= 5 for f in table),
          "describe_lists_every_family", str(sorted(table)))

    lst = run("--list").stdout.split("\n")
    rows = [l.split() for l in lst if l]
    check(len(rows) == 42 and
          all(r[3] == ("tune" if int(r[2]) % 2 else "report")
              for r in rows) and
          sorted({r[1] for r in rows}) == sorted(FAMILIES),
          "catalog_42_traces_odd_tune_even_report", "%d rows" % len(rows))
    tune = run("--list", "tune").stdout.split()
    check(len(tune) == 21 * 4 and "kv-1" in tune and "kv-2" not in tune,
          "list_tune_is_the_odd_seeds")

    bad = []
    sizes = {}
    for fam in FAMILIES:
        for seed in range(1, 7):
            ps = params(fam, seed)
            for name, (v, lo, hi) in ps.items():
                dl = table.get(fam, {}).get(name) or \
                    table["common"].get(name)
                if dl is None or (lo, hi) != dl or not lo <= v <= hi:
                    bad.append("%s-%d %s=%g [%g, %g] declared %s" % (
                        fam, seed, name, v, lo, hi, dl))
            ram, length = ps["ram_mib"][0], ps["length_s"][0]
            if not (256 <= ram <= 4096 and ram % 16 == 0 and
                    30 <= length <= 120 and length == int(length)):
                bad.append("%s-%d ram %g length %g" % (fam, seed, ram,
                                                       length))
            sizes[(fam, seed)] = (ram * length, ram, length)
    check(not bad, "params_within_declared_ranges", "; ".join(bad[:5]))
    rams = [v[1] for v in sizes.values()]
    check(min(rams) < 512 and max(rams) > 2048,
          "ram_spread_over_the_range", "%g..%g" % (min(rams), max(rams)))

    with tempfile.TemporaryDirectory() as d:
        det = []
        for fam in FAMILIES:
            seed = min(range(1, 7), key=lambda s: sizes[(fam, s)][0])
            a, b = os.path.join(d, fam + "-a"), os.path.join(d, fam + "-b")
            ra = run("--family", fam, "--seed", str(seed), "--out", a)
            rb = run("--family", fam, "--seed", str(seed), "--out", b)
            if ra.returncode or rb.returncode:
                det.append("%s: %s" % (fam, ra.stderr + rb.stderr))
                continue
            if not filecmp.cmp(a, b, shallow=False):
                det.append("%s-%d differs between runs" % (fam, seed))
            st = subprocess.run([SIM, "--trace", a, "--stats", "--json"],
                                capture_output=True, text=True)
            if st.returncode:
                det.append("%s: precopy-sim: %s" % (fam, st.stderr))
                continue
            s = json.loads(st.stdout)
            _, ram, length = sizes[(fam, seed)]
            if (s["pages"] != ram * 256 or s["page_size_bytes"] != 4096 or
                    abs(s["length_s"] - length) > 1e-6 or
                    s["epochs"] != length * 10 or
                    abs(s["epoch_ms"] - 100) > 1e-6 or s["writes"] <= 0 or
                    not 0.01 <= s["dirty_rate_mib_per_s"] <= 1500):
                det.append("%s-%d stats %s" % (fam, seed, st.stdout))
            if fam == "kv":
                other = os.path.join(d, "kv-other")
                run("--family", fam, "--seed", str(seed % 6 + 1), "--out",
                    other)
                check(os.path.exists(other) and
                      not filecmp.cmp(a, other, shallow=False),
                      "another_seed_other_bytes")
                # never overwrite
                before = open(a, "rb").read()
                r = run("--family", "kv", "--seed", "2", "--out", a)
                check(r.returncode != 0 and "exists" in r.stderr and
                      r.stderr.count("\n") == 1 and
                      open(a, "rb").read() == before,
                      "refuses_to_overwrite", r.stderr)
        check(not det, "deterministic_and_loads_with_the_trace_reader",
              "; ".join(det[:4]))

        foreign = os.path.join(d, "foreign")
        os.mkdir(foreign)
        open(os.path.join(foreign, "keep"), "w").write("x")
        r = run("--cache", foreign, "--family", "idle", "--split", "tune")
        check(r.returncode != 0 and "not an eval-gen cache" in r.stderr and
              os.listdir(foreign) == ["keep"], "refuses_foreign_directory",
              r.stderr)
        # as on a fresh clone: neither .cache/ nor .cache/eval-traces/
        # exists yet (tools/eval/score failed there with "eval-gen:
        # .cache/eval-traces: No such file or directory")
        cache = os.path.join(d, "fresh", ".cache", "eval-traces")
        seed = min((1, 3, 5), key=lambda s: sizes[("idle", s)][0])
        r = run("--cache", cache, "--family", "idle", "--split", "tune")
        check(r.returncode == 0 and
              os.path.exists(os.path.join(cache, ".eval-gen-cache")),
              "cache_made_with_missing_parents", r.stderr)
        names = sorted(os.listdir(os.path.join(cache, "v1"))) \
            if r.returncode == 0 else []
        check(names == ["idle-1.pctrace", "idle-3.pctrace",
                        "idle-5.pctrace"], "cache_fills_a_split",
              r.stderr + str(names))
        if names:
            p = os.path.join(cache, "v1", "idle-%d.pctrace" % seed)
            m = os.stat(p).st_mtime_ns
            r = run("--cache", cache, "--family", "idle", "--split", "tune")
            check(r.returncode == 0 and os.stat(p).st_mtime_ns == m and
                  "wrote" not in r.stdout, "cache_keeps_present_traces")

    for args, what in ((["--family", "nope", "--seed", "1", "--out", "x"],
                        "unknown family"),
                       (["--family", "kv", "--seed", "0", "--out", "x"],
                        "bad seed"),
                       (["--list", "nope"], "unknown split"),
                       ([], "nothing to do")):
        r = run(*args)
        check(r.returncode == 2 and what in r.stderr and
              r.stderr.count("\n") == 1, "rejects_" + what.replace(" ", "_"),
              r.stderr)


if __name__ == "__main__":
    main()
    sys.exit(t.finish())
