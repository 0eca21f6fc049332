#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/unit/test_trace_cut.py - trace-cut (tools/record-corpus/trace_cut.c),
which stores the holdout traces and cuts a QEMU process trace down to its
guest's RAM: on a generated trace, two complementary ranges keep every
write between them and the epochs and length unchanged; the metadata is
set; it refuses an existing output, a range past the trace, bad input."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness  # noqa: E402

OUT = os.environ.get("OUT", "build")
CUT = os.path.join(OUT, "tools", "trace-cut")
GEN = os.path.join(OUT, "tools", "eval-gen")
SIM = os.path.join(OUT, "bin", "precopy-sim")
t = Harness()


def check(ok, name, why=""):
    t.point(ok, name, str(why) if why else "")


def stats(path):
    p = subprocess.run([SIM, "--trace", path, "--stats", "--json"],
                       capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr}


def cut(*args):
    return subprocess.run([CUT] + list(args), capture_output=True, text=True)


def main():
    if not all(os.access(x, os.X_OK) for x in (CUT, GEN, SIM)):
        t.skip("trace_cut", "build first (make)")
        return
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "src.pctrace")
        r = subprocess.run([GEN, "--family", "idle", "--seed", "4", "--out",
                            src], capture_output=True, text=True)
        if r.returncode:
            check(False, "make_input", r.stderr)
            return
        s0 = stats(src)
        lo_p, hi_p = os.path.join(d, "lo.pctrace"), os.path.join(d, "hi.gz")
        split = 4096 + 1000
        a = cut(src, lo_p, "--range", "0:%d" % split, "--meta",
                "page_identity=test")
        b = cut(src, hi_p, "--range", "%d:%d" % (split, s0["pages"]),
                "--format", "text.gz")
        sa, sb = stats(lo_p), stats(hi_p)
        check(a.returncode == 0 and b.returncode == 0 and
              sa.get("pages") == split and
              sb.get("pages") == s0["pages"] - split and
              sa["writes"] + sb["writes"] == s0["writes"] and
              sa["writes"] > 0 and sb["writes"] > 0 and
              sa["epochs"] == sb["epochs"] == s0["epochs"] and
              sa["length_s"] == sb["length_s"] == s0["length_s"],
              "ranges_partition_the_writes", (a.stderr, b.stderr, sa, sb))
        txt = os.path.join(d, "all.txt")
        r = cut(src, txt, "--format", "text", "--meta", "ram_offset=7")
        head = open(txt).read(4096) if r.returncode == 0 else ""
        check("# ram_offset=7\n" in head and "family=idle" in head and
              stats(txt).get("writes") == s0["writes"],
              "copies_metadata_and_sets_new", r.stderr)
        before = open(lo_p, "rb").read()
        r = cut(src, lo_p)
        check(r.returncode == 1 and "exists" in r.stderr and
              open(lo_p, "rb").read() == before, "refuses_to_overwrite",
              r.stderr)
        for args, what in (([src, os.path.join(d, "x"), "--range",
                             "0:%d" % (s0["pages"] + 1)], "past"),
                           ([src, os.path.join(d, "x"), "--range", "5:5"],
                            "bad --range"),
                           ([os.path.join(d, "none"), os.path.join(d, "x")],
                            "No such file"),
                           ([src, os.path.join(d, "x"), "--meta", "nokey"],
                            "bad --meta")):
            r = cut(*args)
            check(r.returncode != 0 and what in r.stderr and
                  not os.path.exists(os.path.join(d, "x")),
                  "rejects_" + what.replace(" ", "_").replace("-", ""),
                  r.stderr)
        garbage = os.path.join(d, "garbage")
        open(garbage, "w").write("not a trace\n")
        r = cut(garbage, os.path.join(d, "x"))
        check(r.returncode == 1 and r.stderr.count("\n") == 1 and
              not os.path.exists(os.path.join(d, "x")),
              "rejects_garbage_in_one_line", r.stderr)


if __name__ == "__main__":
    main()
    sys.exit(t.finish())
