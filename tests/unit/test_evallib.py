#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/unit/test_evallib.py - the issue-12 metrics of tools/eval
(evallib.split_metrics, metric_lines), on hand-made simulator results:

- the medians of prob/qemu pages and time, and of oracle/qemu pages (the
  clairvoyant bound) are over the cases where qemu converges;
- the pages line says when the oracle's own median is above 0.85 (no
  schedule reaches the target there), and not when it is below;
- the share of the oracle's savings captured skips cases without room;
- a case more than 2 % worse than qemu, a downtime above the limit, a
  case lost where qemu converges and a rescue are each counted;
- waste_by_risk sums, over the cases where qemu converges and prob's sends
  are tagged, prob's pages beyond the oracle's, its wasted sends, and the
  sends and wasted sends per risk class; waste_lines prints them;
- gap_split splits prob's pages beyond the oracle's into the
  predictions' part and the policy's (prob-clairvoyant), and the
  predictions' part into rates and timing where prob-rates ran in every
  case;
- the fresh split (fresh_traces) draws the asked seeds of the asked
  families with the real eval-gen, once, under fresh-v<version>/ of the
  cache, leaves no temporary file (nor any of a draw that fails), and
  refuses the seeds of the tune and report splits and unknown families.
"""
import shutil
import tempfile
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools", "eval"))
from harness import Harness, Skip  # noqa: E402
import evallib as E  # noqa: E402

t = Harness()


def res(pages, conv=True, down=250.0):
    """One algorithm's result: time follows pages (1 ms a page)."""
    return {"sent_pages": pages, "total_time_ms": float(pages),
            "downtime_ms": down, "converged": conv}


def case(q, p, o, qc=True, pc=True, oc=True, pdown=250.0):
    return {"qemu": res(q, qc), "prob": res(p, pc, pdown),
            "oracle": res(o, oc)}


@t.test
def test_medians_and_oracle_bound():
    cases = [("a", case(1000, 800, 700)),
             ("b", case(1000, 900, 880)),
             ("c", case(1000, 950, 940)),
             ("d", case(1000, 5000, 500, qc=False))]  # qemu never ends
    m = E.split_metrics(cases)
    t.check(m["qemu_converged"] == 3, f"3 converging: {m['qemu_converged']}")
    t.check(abs(m["median_pages"] - 0.9) < 1e-9,
            f"median prob/qemu 0.9: {m['median_pages']}")
    t.check(abs(m["median_oracle_pages"] - 0.88) < 1e-9,
            f"median oracle/qemu 0.88: {m['median_oracle_pages']}")
    line = E.metric_lines(m)[0]
    t.check(line.startswith("FAIL") and "0.880: out of any schedule's reach"
            in line, line)
    m = E.split_metrics(cases[:1])
    line = E.metric_lines(m)[0]
    t.check(line.startswith("PASS") and "reach" not in line, line)


@t.test
def test_capture_skips_cases_without_room():
    # a: 200 of 300 saved (0.667); b: the oracle saves 0.5 % (no room)
    m = E.split_metrics([("a", case(1000, 800, 700)),
                         ("b", case(1000, 1000, 995))])
    t.check(m["capture_cases"] == 1, f"1 case with room: {m}")
    t.check(abs(m["median_capture"] - 2 / 3) < 1e-9,
            f"captured 2/3: {m['median_capture']}")


@t.test
def test_counts_regret_downtime_loss_rescue():
    m = E.split_metrics([
        ("worse", case(1000, 1030, 900)),
        ("late", case(1000, 800, 700, pdown=301.0)),
        ("lost", case(1000, 2000, 700, pc=False)),
        ("rescued", case(9000, 3000, 1000, qc=False)),
        ("hopeless", case(9000, 9000, 9000, qc=False, pc=False, oc=False)),
    ])
    t.check(m["worse"] == ["worse", "lost"], f"worse: {m['worse']}")
    t.check(m["downtime_over"] == ["late"], f"over: {m['downtime_over']}")
    t.check(m["lost"] == ["lost"], f"lost: {m['lost']}")
    t.check(m["hard"] == 1 and m["rescued"] == 1,
            f"1 of 1 rescued: {m['rescued']} of {m['hard']}")
    t.check(not m["pass"]["regret"] and not m["pass"]["downtime"] and
            not m["pass"]["conv"] and m["pass"]["rescue"], f"{m['pass']}")


def tagged(c, sent, wasted, total_wasted):
    """c with prob's send tags (two classes) and its wasted sends."""
    c["prob"].update({"send_tags": ["risk<0.1", "risk>=0.95"],
                      "sent_pages_by_tag": sent,
                      "wasted_pages_by_tag": wasted,
                      "wasted_pages": total_wasted})
    return c


@t.test
def test_waste_by_risk_sums_tagged_converging_cases():
    cases = [("a", tagged(case(1000, 800, 700), [700, 90], [40, 60], 100)),
             ("b", tagged(case(2000, 1500, 1400), [1400, 50], [80, 20],
                          100)),
             # qemu never ends: left out
             ("c", tagged(case(1000, 2000, 700, qc=False), [1900, 0],
                          [900, 0], 900)),
             # not tagged (a real trace's fixed-bandwidth point): left out
             ("d", case(1000, 900, 800))]
    x = E.waste_by_risk(cases)
    t.check(x["cases"] == 2, f"2 cases: {x}")
    t.check(x["excess"] == 100 + 100 and x["wasted"] == 200 and
            x["sent"] == 2300, f"sums: {x}")
    t.check(x["classes"] == [{"tag": "risk<0.1", "sent": 2100, "wasted": 120},
                             {"tag": "risk>=0.95", "sent": 140,
                              "wasted": 80}], f"classes: {x['classes']}")
    L = E.waste_lines(x)
    print("  " + "\n  ".join(L))
    t.check(len(L) == 3 and "2 cases" in L[0] and "200 pages more" in L[0]
            and "(0.057)" in L[1] and "60.0 % of the waste" in L[1] and
            "(0.571)" in L[2], f"lines: {L}")
    t.check(E.waste_lines(E.waste_by_risk(cases[3:])) == [],
            "no line without tags")


@t.test
def test_gap_split_predictions_policy_rates_timing():
    def diag(c, clair, rates=None):
        c["prob-clairvoyant"] = res(clair)
        if rates is not None:
            c["prob-rates"] = res(rates)
        return c
    cases = [("a", diag(case(1000, 900, 700), 720, 880)),
             ("b", diag(case(2000, 1800, 1500), 1550, 1700)),
             # qemu never ends: left out
             ("c", diag(case(1000, 3000, 700, qc=False), 800, 900))]
    g = E.gap_split(cases)
    t.check(g["cases"] == 2 and g["prob_excess"] == 200 + 300 and
            g["predictions"] == 180 + 250 and g["policy"] == 20 + 50,
            f"predictions / policy: {g}")
    t.check(g["rates"] == 20 + 100 and g["timing"] == 160 + 150,
            f"rates / timing: {g}")
    L = E.gap_lines(g)
    print("  " + "\n  ".join(L))
    t.check(len(L) == 2 and "(86 %)" in L[0] and "(14 %)" in L[0] and
            "save 120 (24 %" in L[1] and "other 310 (62 %)" in L[1],
            f"lines: {L}")
    # one case without prob-rates: no rates/timing split
    del cases[1][1]["prob-rates"]
    g = E.gap_split(cases)
    t.check(g["rates"] is None and g["timing"] is None and
            len(E.gap_lines(g)) == 1, f"without prob-rates: {g}")


@t.test
def test_fresh_split_draws_new_seeds_once():
    if not os.access(E.GEN, os.X_OK):
        raise Skip(f"{E.GEN} is not built (make)")
    tmp = tempfile.mkdtemp(prefix="evallib-fresh.")
    saved = E.CACHE
    try:
        E.CACHE = tmp
        ts = E.fresh_traces([7, 9], quiet=True, families=["idle"])
        t.check([x["name"] for x in ts] == ["idle-7", "idle-9"],
                f"names: {[x['name'] for x in ts]}")
        t.check(all(x["split"] == "fresh" and x["family"] == "idle" and
                    os.path.getsize(x["path"]) > 0 for x in ts),
                f"traces: {ts}")
        d = os.path.dirname(ts[0]["path"])
        t.check(os.path.basename(d).startswith("fresh-v"), d)
        # the cache is claimed as eval-gen claims it: make eval after a
        # fresh draw into a new cache found no marker and refused it
        t.check(os.path.exists(os.path.join(tmp, E.CACHE_MARKER)),
                f"eval-gen's marker in the new cache: {os.listdir(tmp)}")
        t.check(sorted(os.listdir(d)) == ["idle-7.pctrace",
                                           "idle-9.pctrace"],
                f"no temporary file left: {os.listdir(d)}")
        before = os.stat(ts[0]["path"]).st_mtime_ns
        E.fresh_traces([7], quiet=True, families=["idle"])
        t.check(os.stat(ts[0]["path"]).st_mtime_ns == before,
                "a trace already drawn is not drawn again")
        # a draw that fails half-way (the trace half written) leaves
        # nothing behind
        fake = os.path.join(tmp, "fake-gen")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\n[ "$1" = --list ] && exec %s "$@"\n'
                    'for a; do out=$a; done\necho half > "$out"\n'
                    'echo "eval-gen: disk full" >&2\nexit 1\n' % E.GEN)
        os.chmod(fake, 0o755)
        real, E.GEN = E.GEN, fake
        try:
            E.fresh_traces([11], quiet=True, families=["idle"])
            t.check(False, "a failed draw raises")
        except SystemExit as e:
            print(f"  failed draw: {e}")
        finally:
            E.GEN = real
        t.check(sorted(os.listdir(d)) == ["idle-7.pctrace",
                                           "idle-9.pctrace"],
                f"nothing left of the failed draw: {os.listdir(d)}")
        # a folder that is not an eval-gen cache is not written to
        foreign = os.path.join(tmp, "foreign")
        os.makedirs(foreign)
        with open(os.path.join(foreign, "notes.txt"), "w") as f:
            f.write("mine\n")
        E.CACHE = foreign
        try:
            E.fresh_traces([7], quiet=True, families=["idle"])
            t.check(False, "a foreign folder refused")
        except SystemExit as e:
            print(f"  foreign folder: {e}")
        t.check(os.listdir(foreign) == ["notes.txt"],
                f"nothing written to a foreign folder: {os.listdir(foreign)}")
        E.CACHE = tmp
        for bad, why in (([6], "a report seed"), ([7], "an unknown family")):
            try:
                E.fresh_traces(bad, quiet=True,
                               families=["idle"] if bad == [6] else ["nope"])
                t.check(False, f"{why} refused")
            except SystemExit as e:
                print(f"  {why}: {e}")
    finally:
        E.CACHE = saved
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(t.finish())
