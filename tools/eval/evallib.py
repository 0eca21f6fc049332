# SPDX-License-Identifier: GPL-2.0
"""tools/eval/evallib.py - what `make eval` (run-eval) and tools/eval/score
share: where the traces are, which split each belongs to, running
precopy-sim, and the issue-12 target metrics of a split.

Trace sets and splits
  gen      the generated families (tools/eval/gen, eval-gen), cached in
           $EVAL_CACHE (default .cache/eval-traces) under v<version>/;
           odd seeds are the TUNE split, even seeds the REPORT split.
  holdout  real traces no policy was ever tuned on (tests/data/holdout/):
           part of the REPORT split.
  fresh    seeds beyond 1..6 of every generated family (select("fresh",
           seeds=[...])), drawn on demand into $EVAL_CACHE/fresh-v<version>/:
           workloads of the same families that nobody has looked at, to
           check that a policy tuned on TUNE generalizes to new draws.
  corpus   tests/data/corpus/ (real programs) and
  vm       tests/data/vm/ (the workload VM): the traces the project was
           developed on, the SEEN split (reported, not a generalization
           test).
"""
import glob
import json
import math
import os
import statistics
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("OUT", os.path.join(ROOT, "build"))
if not os.path.isabs(OUT):
    OUT = os.path.join(ROOT, OUT)
SIM = os.path.join(OUT, "bin", "precopy-sim")
GEN = os.path.join(OUT, "tools", "eval-gen")
CACHE = os.environ.get("EVAL_CACHE", os.path.join(ROOT, ".cache",
                                                  "eval-traces"))
LIMIT_MS = 300
SPLITS = ("tune", "report", "seen")
REAL_GROUPS = [("corpus", "tests/data/corpus", "seen"),
               ("vm", "tests/data/vm", "seen"),
               ("holdout", "tests/data/holdout", "report")]
SUFFIXES = (".pctrace", ".trace.gz", ".trace.zlib", ".trace", ".txt.gz",
            ".gz", ".zlib", ".txt")


def trace_name(fn):
    for s in SUFFIXES:
        if fn.endswith(s) and not fn.endswith(".part" + s):
            return fn[: -len(s)]
    return None


def real_traces():
    """Traces found at run time under the real-trace folders."""
    found = []
    for group, rel, split in REAL_GROUPS:
        base = os.path.join(ROOT, rel)
        if not os.path.isdir(base):
            continue
        for dirpath, _, files in sorted(os.walk(base)):
            for fn in sorted(files):
                name = trace_name(fn)
                if name is None:
                    continue
                sub = os.path.relpath(dirpath, base)
                if sub != ".":
                    name = sub.replace(os.sep, "-") + "-" + name
                path = os.path.join(dirpath, fn)
                found.append({"group": group, "name": name, "split": split,
                              "path": path,
                              "rel": os.path.relpath(path, ROOT)})
    return found


def gen_traces(split="all", jobs=2, quiet=False):
    """Generate (if missing) and list the generated traces of a split
    ("tune", "report" or "all")."""
    if not os.access(GEN, os.X_OK):
        raise SystemExit("%s is not built (make)" % GEN)
    p = subprocess.run([GEN, "--cache", CACHE, "--split", split, "--jobs",
                        str(jobs)], capture_output=quiet, text=True)
    if p.returncode:
        raise SystemExit("eval-gen failed%s" % (
            ": " + p.stderr.strip() if quiet else ""))
    out = subprocess.run([GEN, "--list", split, "--cache", CACHE],
                         capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        name, fam, seed, sp, path = line.split()
        found.append({"group": "gen", "name": name, "split": sp,
                      "family": fam, "seed": int(seed), "path": path,
                      "rel": os.path.relpath(path, ROOT)})
    return found


FIRST_FRESH_SEED = 7	# seeds 1..6 are the TUNE and REPORT splits
CACHE_MARKER = ".eval-gen-cache"	# eval-gen's (tools/eval/gen/main.c)


def own_cache():
    """Claim $EVAL_CACHE as eval-gen does before writing there: it holds
    eval-gen's marker, or it is new or empty (then made, with the marker);
    anything else is refused. Fresh draws and results written first into
    a cache without the marker made eval-gen refuse it afterwards."""
    marker = os.path.join(CACHE, CACHE_MARKER)
    if os.path.exists(marker):
        return
    os.makedirs(CACHE, exist_ok=True)
    if os.listdir(CACHE):
        raise SystemExit("%s is not empty and has no %s: not an eval-gen "
                         "cache, refusing to write there" %
                         (CACHE, CACHE_MARKER))
    with open(marker, "a"):
        pass


def fresh_traces(seeds, quiet=False, families=None):
    """Generate (if missing) and list seeds (each >= FIRST_FRESH_SEED) of
    every generated family (or of those named in families), in
    $EVAL_CACHE/fresh-v<version>/. A trace is written under a temporary
    name and renamed; a failed or interrupted draw (an exception, SIGINT,
    or SIGTERM in a program that turns it into SystemExit, as score does)
    removes it, so no partial trace is left behind."""
    if not os.access(GEN, os.X_OK):
        raise SystemExit("%s is not built (make)" % GEN)
    bad = [n for n in seeds if n < FIRST_FRESH_SEED]
    if bad or not seeds:
        raise SystemExit("fresh seeds must be %d or more (1..6 are the tune "
                         "and report splits): %s" % (FIRST_FRESH_SEED, bad))
    # NAME FAMILY SEED SPLIT PATH, PATH in $EVAL_CACHE/v<version>/
    listing = [line.split() for line in subprocess.run(
        [GEN, "--list", "all", "--cache", CACHE], capture_output=True,
        text=True, check=True).stdout.splitlines()]
    fams = []
    for f in listing:
        if f[1] not in fams:
            fams.append(f[1])
    if families:
        unknown = sorted(set(families) - set(fams))
        if unknown:
            raise SystemExit("no generated family %s (eval-gen has %s)" % (
                ", ".join(unknown), ", ".join(fams)))
        fams = [f for f in fams if f in families]
    base = os.path.join(CACHE, "fresh-" +
                        os.path.basename(os.path.dirname(listing[0][4])))
    own_cache()
    os.makedirs(base, exist_ok=True)
    found = []
    for n in seeds:
        for fam in fams:
            name = "%s-%d" % (fam, n)
            path = os.path.join(base, name + ".pctrace")
            if not os.path.exists(path):
                tmp = os.path.join(base, ".%s.%d.tmp" % (name, os.getpid()))
                try:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
                    p = subprocess.run([GEN, "--family", fam, "--seed",
                                        str(n), "--out", tmp],
                                       capture_output=quiet, text=True)
                    if p.returncode:
                        raise SystemExit("eval-gen failed on %s%s" % (
                            name, ": " + p.stderr.strip() if quiet else ""))
                    os.replace(tmp, path)
                finally:
                    # failed or interrupted: no partial trace, neither
                    # ours nor eval-gen's own (tmp + ".part.tmp.XXXXXX",
                    # left when subprocess.run kills it on an exception)
                    for x in glob.glob(glob.escape(tmp) + "*"):
                        os.unlink(x)
            found.append({"group": "gen", "name": name, "split": "fresh",
                          "family": fam, "seed": n, "path": path,
                          "rel": os.path.relpath(path, ROOT)})
    return found


def select(split, jobs=2, quiet=False, seeds=(), families=None):
    """Traces of a split: tune, report, seen, holdout, gen, all, or fresh
    (the given seeds of every family, or of families: fresh_traces)."""
    if split == "fresh":
        return fresh_traces(list(seeds), quiet, families)
    ts = []
    if split in ("tune", "report", "gen", "all"):
        ts += gen_traces(split if split in ("tune", "report") else "all",
                         jobs, quiet)
    for t in real_traces():
        if (split == "all" or t["split"] == split or
                t["group"] == split):
            ts.append(t)
    return ts


def sim(args):
    p = subprocess.run([SIM] + args, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(p.stderr.strip() or "exit %d" % p.returncode)
    return p.stdout


def sim_json(args):
    return [json.loads(l) for l in sim(args + ["--json"]).splitlines() if l]


# The version of precopy-sim --json this reads (docs/precopy-sim.schema.json).
SIM_JSON_VERSION = 2


HOPELESS_CAP = 2	# RAMs: cap of the runs where even the oracle fails


def sim_point(path, bw, algos, extra=()):
    """Run algos (names) on one trace at one bandwidth (MiB/s), downtime
    limit LIMIT_MS; returns {algo: precopy-sim --json result}.

    The oracle runs first. When even it cannot meet the downtime limit
    before the simulator's cap (20 x the RAM sent), no algorithm can (it
    is the lower bound over every schedule, sim_oracle.c), and the others
    run with a cap of HOPELESS_CAP x the RAM instead: the same verdict (not
    converged), for a fraction of the cost (prob's simulation costs
    O(pages) per 100 ms sync, so a 4 GiB guest at 16 MiB/s running to 20 x
    its RAM takes minutes of CPU). Their results say "capped": true and
    their pages sent are the smaller cap's."""
    common = ["--trace", path, "--bandwidth", "%.4f" % bw,
              "--downtime-limit", str(LIMIT_MS)] + list(extra)
    out = {}
    if "oracle" in algos:
        out["oracle"] = sim_json(common + ["--algo", "oracle"])[0]
    others = [a for a in algos if a != "oracle"]
    capped = "oracle" in out and not out["oracle"]["converged"]
    if others:
        for x in sim_json(common + ["--algo", ",".join(others)] +
                          (["--max-sent", str(HOPELESS_CAP)] if capped
                           else [])):
            x["capped"] = capped
            out[x["algo"]] = x
    return out


def stats(t):
    """precopy-sim --stats of a trace; generated traces keep theirs next
    to them (they never change under one generator version)."""
    side = t["path"] + ".stats.json" if t["group"] == "gen" else None
    if side and os.path.exists(side):
        with open(side) as f:
            cached = json.load(f)
        # Kept only while precopy-sim's JSON keys are the same version.
        if cached.get("version") == SIM_JSON_VERSION:
            return cached
    s = sim_json(["--trace", t["path"], "--stats"])[0]
    if side:
        tmp = side + ".%d.tmp" % os.getpid()
        with open(tmp, "w") as f:
            json.dump(s, f)
        os.replace(tmp, side)
    return s


def k_bandwidth(st, k):
    """Bandwidth (MiB/s) of the proportional setting k: k x the trace's
    dirty rate, and at least the RAM in 30 s."""
    ram = st["pages"] * st["page_size_bytes"] / 2**20
    return max(k * st["dirty_rate_mib_per_s"], ram / 30)


# ------------------------------------------------------------- metrics
def ratio(a, b):
    if b == 0:
        return 1.0 if a == 0 else math.inf
    return a / b


def med(xs):
    return statistics.median(xs) if xs else float("nan")


TARGETS = {
    "pages": "median prob/qemu pages <= 0.85 (where qemu converges)",
    "time": "median prob/qemu total time <= 1.00 (where qemu converges)",
    "downtime": "prob downtime never above the limit (where qemu "
                "converges)",
    "capture": "median share of oracle savings captured >= 0.60",
    "regret": "no case more than 2 % worse than qemu in pages or time "
              "(every case)",
    "conv": "prob converges wherever qemu converges",
    "rescue": "prob converges on >= half the cases where qemu does not "
              "but oracle does",
}


def split_metrics(cases, limit_ms=LIMIT_MS):
    """cases: list of (label, {algo: sim result}) with qemu, prob and
    oracle. Returns a dict of the issue-12 metrics with pass marks."""
    conv = [(l, a) for l, a in cases if a["qemu"]["converged"]]
    pq = [ratio(a["prob"]["sent_pages"], a["qemu"]["sent_pages"])
          for _, a in conv]
    tq = [ratio(a["prob"]["total_time_ms"], a["qemu"]["total_time_ms"])
          for _, a in conv]
    # the clairvoyant bound on the same cases: where its own median is
    # above 0.85, no schedule meets the pages target there
    oq = [ratio(a["oracle"]["sent_pages"], a["qemu"]["sent_pages"])
          for _, a in conv]
    cap = []
    for _, a in conv:
        q, p, o = (a[x]["sent_pages"] for x in ("qemu", "prob", "oracle"))
        if q - o > 0.01 * q:	# room to save: at least 1 % of qemu's
            cap.append((q - p) / (q - o))
    over = [l for l, a in conv
            if a["prob"]["downtime_ms"] > limit_ms * (1 + 1e-9)]
    worse = [l for l, a in cases
             if ratio(a["prob"]["sent_pages"], a["qemu"]["sent_pages"]) >
             1.02 or ratio(a["prob"]["total_time_ms"],
                           a["qemu"]["total_time_ms"]) > 1.02]
    lost = [l for l, a in conv if not a["prob"]["converged"]]
    hard = [(l, a) for l, a in cases
            if not a["qemu"]["converged"] and a["oracle"]["converged"]]
    rescued = [l for l, a in hard if a["prob"]["converged"]]
    worst = sorted(((ratio(a["prob"]["sent_pages"],
                           a["qemu"]["sent_pages"]), l, a)
                    for l, a in conv), key=lambda x: -x[0])[:5]
    m = {
        "cases": len(cases), "qemu_converged": len(conv),
        "median_pages": med(pq), "median_time": med(tq),
        "median_oracle_pages": med(oq),
        "median_capture": med(cap), "capture_cases": len(cap),
        "downtime_over": over, "worse": worse, "lost": lost,
        "hard": len(hard), "rescued": len(rescued),
        "worst": [{"case": l, "prob_qemu_pages": r,
                   "prob_qemu_time": ratio(a["prob"]["total_time_ms"],
                                           a["qemu"]["total_time_ms"]),
                   "prob_downtime_ms": a["prob"]["downtime_ms"],
                   "qemu_downtime_ms": a["qemu"]["downtime_ms"],
                   "oracle_qemu_pages": ratio(a["oracle"]["sent_pages"],
                                              a["qemu"]["sent_pages"])}
                  for r, l, a in worst],
    }
    m["pass"] = {
        "pages": bool(pq) and m["median_pages"] <= 0.85,
        "time": bool(tq) and m["median_time"] <= 1.0,
        "downtime": not over,
        "capture": bool(cap) and m["median_capture"] >= 0.60,
        "regret": not worse,
        "conv": not lost,
        "rescue": 2 * len(rescued) >= len(hard),
    }
    return m


def waste_by_risk(cases):
    """Where prob's pages beyond the oracle's go, over the cases of cases
    (list of (label, {algo: sim result})) where qemu converges and prob's
    result carries its send tags (precopy-sim tags each send of prob with
    the risk the plan gave the page, sim_prob.c): the pages prob sent
    beyond the oracle, prob's wasted sends (sent, then written again
    before the stop, so sent again), and per tag the sends and the wasted
    ones. Returns {"cases", "excess", "wasted", "sent", "classes": [{"tag",
    "sent", "wasted"}]} (classes in precopy-sim's order)."""
    out = {"cases": 0, "excess": 0, "wasted": 0, "sent": 0, "classes": []}
    idx = {}
    for _, a in cases:
        p = a["prob"]
        if not a["qemu"]["converged"] or "send_tags" not in p:
            continue
        out["cases"] += 1
        out["excess"] += p["sent_pages"] - a["oracle"]["sent_pages"]
        out["wasted"] += p["wasted_pages"]
        out["sent"] += p["sent_pages"]
        for t, n, w in zip(p["send_tags"], p["sent_pages_by_tag"],
                           p["wasted_pages_by_tag"]):
            if t not in idx:
                idx[t] = len(out["classes"])
                out["classes"].append({"tag": t, "sent": 0, "wasted": 0})
            c = out["classes"][idx[t]]
            c["sent"] += n
            c["wasted"] += w
    return out


def waste_rows(x):
    """The classes of waste_by_risk() output that had sends, as (tag,
    sends, wasted, share of the sends wasted, share of all the waste)."""
    return [(c["tag"], c["sent"], c["wasted"], c["wasted"] / c["sent"],
             c["wasted"] / x["wasted"] if x["wasted"] else 0)
            for c in x["classes"] if c["sent"]]


def waste_lines(x):
    """Human lines for waste_by_risk() output ([] when no case had
    tags)."""
    if not x["cases"]:
        return []
    L = ["where prob's pages beyond the oracle's go (%d cases where qemu "
         "converges): %s pages more than the oracle; %s of prob's %s pages "
         "sent were wasted (the page was written again before the stop); by the "
         "risk the plan gave the page when it was sent:" % (
             x["cases"], "{:,}".format(x["excess"]),
             "{:,}".format(x["wasted"]), "{:,}".format(x["sent"]))]
    for tag, sent, wasted, share, of_all in waste_rows(x):
        L.append("  %-11s %13s sent, %11s wasted (%.3f), %5.1f %% of the "
                 "waste" % (tag, "{:,}".format(sent), "{:,}".format(wasted),
                            share, 100.0 * of_all))
    return L


def gap_split(cases):
    """prob's pages beyond the oracle's, over the cases of cases where qemu
    converges and prob-clairvoyant ran, split in two: what perfect
    predictions of the next write would save (prob - prob-clairvoyant) and
    what the policy leaves even then (prob-clairvoyant - oracle). Returns
    {"cases", "prob_excess", "predictions", "policy"} (pages, summed).
    Where prob-rates ran too (in every such case), the predictions' part
    splits again: "rates", what perfect rates would save (prob -
    prob-rates), and "timing", the rest (prob-rates - prob-clairvoyant);
    else both are None."""
    out = {"cases": 0, "prob_excess": 0, "predictions": 0, "policy": 0,
           "rates": 0, "timing": 0}
    with_rates = True
    for _, a in cases:
        if not a["qemu"]["converged"] or "prob-clairvoyant" not in a:
            continue
        p, c, o = (a[x]["sent_pages"] for x in
                   ("prob", "prob-clairvoyant", "oracle"))
        out["cases"] += 1
        out["prob_excess"] += p - o
        out["predictions"] += p - c
        out["policy"] += c - o
        if "prob-rates" in a:
            r = a["prob-rates"]["sent_pages"]
            out["rates"] += p - r
            out["timing"] += r - c
        else:
            with_rates = False
    if not with_rates or not out["cases"]:
        out["rates"] = out["timing"] = None
    return out


def gap_lines(g):
    """Human lines for gap_split() output."""
    if not g["cases"]:
        return []
    ex = g["prob_excess"]
    return ["prob's pages beyond the oracle's (%d cases where qemu "
            "converges): %s; perfect predictions of the next write would "
            "save %s of them (%.0f %%), the policy leaves %s (%.0f %%)" % (
                g["cases"], "{:,}".format(ex),
                "{:,}".format(g["predictions"]),
                100.0 * g["predictions"] / ex if ex else 0,
                "{:,}".format(g["policy"]),
                100.0 * g["policy"] / ex if ex else 0)] + (
        [] if g.get("rates") is None else
        ["  of the predictions' part, perfect write rates around now "
         "(prob-rates) would save %s (%.0f %% of the excess), the timing "
         "of the writes the other %s (%.0f %%)" % (
             "{:,}".format(g["rates"]),
             100.0 * g["rates"] / ex if ex else 0,
             "{:,}".format(g["timing"]),
             100.0 * g["timing"] / ex if ex else 0)])


def fmt(x, nd=3):
    if isinstance(x, float) and math.isnan(x):
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    return ("%." + str(nd) + "f") % x


def metric_lines(m, mark=lambda ok: "PASS" if ok else "FAIL"):
    """Human lines for split_metrics() output."""
    p = m["pass"]
    L = [
        "%s median prob/qemu pages %s (<= 0.85; %d cases where qemu "
        "converges, of %d; the oracle's median %s%s)" % (
            mark(p["pages"]), fmt(m["median_pages"]), m["qemu_converged"],
            m["cases"], fmt(m["median_oracle_pages"]),
            ": out of any schedule's reach"
            if m["median_oracle_pages"] > 0.85 else ""),
        "%s median prob/qemu total time %s (<= 1.00)" % (
            mark(p["time"]), fmt(m["median_time"])),
        "%s prob downtime above %d ms: %d case%s%s" % (
            mark(p["downtime"]), LIMIT_MS, len(m["downtime_over"]),
            "" if len(m["downtime_over"]) == 1 else "s",
            (" (" + ", ".join(m["downtime_over"][:8]) + ")")
            if m["downtime_over"] else ""),
        "%s median share of oracle savings captured %s (>= 0.60; %d cases "
        "with room >= 1 %%)" % (mark(p["capture"]),
                                fmt(m["median_capture"]),
                                m["capture_cases"]),
        "%s cases more than 2 %% worse than qemu (pages or time): %d%s" % (
            mark(p["regret"]), len(m["worse"]),
            (" (" + ", ".join(m["worse"][:8]) +
             (", ..." if len(m["worse"]) > 8 else "") + ")")
            if m["worse"] else ""),
        "%s prob converges wherever qemu does: %d lost%s" % (
            mark(p["conv"]), len(m["lost"]),
            (" (" + ", ".join(m["lost"][:8]) + ")") if m["lost"] else ""),
        "%s prob converges on %d of the %d cases where qemu does not but "
        "oracle does (>= half)" % (mark(p["rescue"]), m["rescued"],
                                   m["hard"]),
    ]
    return L
