#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/unit/test_matrix_verdicts.py - the matrix's downtime verdicts
(tests/lib/matrix.py), on hand-made precopy-migrate runs:

- rank_p_greater is the one-sided Mann-Whitney probability: exact against
  a count of every arrangement of small samples without ties, 1/20 for
  3 runs wholly above 3, and None for an empty sample;
- row() gives the rank test over the completed runs' downtime_us; a
  run that did not complete or has no reading is left out;
- targets() keeps the medians' verdict as the target; checks() gives the
  rank test beside it: a plan whose median is 1 % longer but within the
  scatter passes the rank check, one longer in every run fails it;
- a case where no migration completed has no memory that differs (the
  table says "none completed"), and its plan did not complete; one
  completed migration with unequal memory still fails the memory target.
"""
import itertools
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness  # noqa: E402
import matrix as M  # noqa: E402

t = Harness()


def brute_p(x, y):
    """P(U >= u) by listing every split of the pooled values."""
    pool, m = x + y, len(x)
    u = sum(a > b for a in x for b in y)
    hits = total = 0
    for pick in itertools.combinations(range(len(pool)), m):
        xs = [pool[i] for i in pick]
        ys = [pool[i] for i in range(len(pool)) if i not in pick]
        total += 1
        hits += sum(a > b for a in xs for b in ys) >= u
    return hits / total


@t.test
def test_rank_p_exact():
    rnd = random.Random(7)
    worst = 0.0
    for _ in range(150):
        x = [rnd.random() for _ in range(rnd.randint(1, 5))]
        y = [rnd.random() for _ in range(rnd.randint(1, 5))]
        worst = max(worst, abs(M.rank_p_greater(x, y) - brute_p(x, y)))
    t.check(worst < 1e-12, f"exact over 150 random pairs: worst {worst}")
    p = M.rank_p_greater([4, 5, 6], [1, 2, 3])
    t.check(abs(p - 0.05) < 1e-12, f"3 wholly above 3: 1/20, got {p}")
    p = M.rank_p_greater([1, 2, 3], [4, 5, 6])
    t.check(p == 1.0, f"3 wholly below 3: 1, got {p}")
    t.check(M.rank_p_greater([], [1]) is None, "empty sample: None")


def runs(stock_us, plan_us):
    """Completed runs, alternated, with downtime_us; plus one plan run
    that timed out and one without a reading (both left out)."""
    out = []
    for i, (s, p) in enumerate(zip(stock_us, plan_us)):
        for mode, us in (("stock", s), ("plan", p)):
            out.append(dict(run=i + 1, mode=mode, status="completed",
                            downtime_ms=us // 1000, downtime_us=us,
                            memory_checked=True, memory_equal=True))
    out.append(dict(run=99, mode="plan", status="timeout", downtime_ms=0,
                    downtime_us=1))
    out.append(dict(run=98, mode="plan", status="completed", downtime_ms=9,
                    memory_checked=True, memory_equal=True))
    return out


def summary(stock_us, plan_us):
    return {m: dict(total_time_ms=1000, transferred_bytes=1 << 20,
                    downtime_ms=M.median(v) // 1000,
                    downtime_us=M.median(v))
            for m, v in (("stock", stock_us), ("plan", plan_us))}


def verdicts(stock_us, plan_us):
    c = dict(name="case", bw=8, dt=1000, append="")
    r = M.row(c, runs(stock_us, plan_us), summary(stock_us, plan_us))
    med = [x for x in M.targets([r])
           if x[1].startswith("plan median downtime")][0]
    rank = M.checks([r])[0]
    t.check(rank[1].startswith("no case where a rank test"), rank[1])
    return r, med, rank


@t.test
def test_scatter_is_not_a_loss():
    stock = [5000, 4200, 6100, 4700, 5300, 4400, 5900, 4800, 5500, 5100]
    plan = [x + 50 for x in stock[1:] + stock[:1]]  # 1 % longer, shuffled
    r, med, rank = verdicts(stock, plan)
    print(f"  p {r['d_us_p']:.3f}; {med[1]}; {rank[1]}")
    t.check(not med[0], "the medians' target: missed (plan 1 % longer)")
    t.check(rank[0] and r["d_us_p"] > 0.2,
            f"the rank check: no evidence, p {r['d_us_p']:.3f}")


@t.test
def test_longer_every_run_fails_the_rank_check():
    stock = [5000, 4200, 6100, 4700, 5300, 4400, 5900, 4800, 5500, 5100]
    plan = [x + 2000 for x in stock]
    r, med, rank = verdicts(stock, plan)
    print(f"  p {r['d_us_p']:.5f}; {rank[1]}")
    t.check(not rank[0] and r["d_us_p"] < 0.01 and "case (p" in rank[1],
            f"the rank check fails: p {r['d_us_p']}")
    r, med, rank = verdicts(plan, stock)
    t.check(med[0] and rank[0] and r["d_us_p"] > 0.99,
            f"the plan shorter every run: both pass, p {r['d_us_p']}")


@t.test
def test_too_few_runs_is_no_check():
    # 3 a mode, the plan longer in every run: p is 1/20, the smallest 3
    # and 3 allow, so the rank test cannot tell; it says so, not "passed"
    stock, plan = [5000, 4200, 6100], [9000, 9500, 9900]
    c = dict(name="case", bw=8, dt=1000, append="")
    r = M.row(c, runs(stock, plan), summary(stock, plan))
    t.check(abs(r["d_us_min_p"] - 0.05) < 1e-12,
            f"3 and 3: at best 1/20, got {r['d_us_min_p']}")
    (ok, text), = M.checks([r])
    print(f"  {text}")
    t.check(ok is None and text.startswith("no rank test"),
            f"not run: {ok}, {text}")
    # with a 4th run a mode it can: 1/70 < 0.05, and it fails
    r4 = M.row(c, runs(stock + [4500], plan + [9700]),
               summary(stock + [4500], plan + [9700]))
    (ok, text), = M.checks([r4])
    t.check(ok is False and r4["d_us_p"] < 0.05, f"4 and 4: {text}")
    # a case with too few runs beside one with enough is named, not tested
    (ok, text), = M.checks([r4, dict(r, name="short")])
    t.check(ok is False and "too few runs to test: short" in text, text)


@t.test
def test_none_completed_is_not_a_memory_failure():
    # the bench's first pair of a guest that converges in neither mode:
    # no memory to compare, so none differs; what failed is completing
    c = dict(name="stuck", bw=8, dt=1000, append="")
    timeouts = [dict(run=1, mode=m, status="timeout", downtime_ms=0)
                for m in ("stock", "plan")]
    r = M.row(c, timeouts, None)
    line = M.table([r])[1]
    verdict = {text.split(" (")[0]: ok for ok, text in M.targets([r])}
    print(f"  {line.split('   ')[-1].strip()}; {verdict}")
    t.check(r["mem_ok"] and "none completed (0 checked)" in line,
            f"memory: none completed, none differs ({line})")
    t.check(verdict.get("memory equal after every completed migration")
            and verdict.get("plan completed in every case") is False,
            f"targets: memory met, plan completed missed ({verdict})")
    # one completed migration whose memory differs still fails
    bad = timeouts + [dict(run=2, mode="plan", status="completed",
                           downtime_ms=9, memory_checked=True,
                           memory_equal=False)]
    r = M.row(c, bad, None)
    t.check(not r["mem_ok"] and "DIFFERS" in M.table([r])[1],
            "a completed migration with memory unequal: DIFFERS")


if __name__ == "__main__":
    sys.exit(t.finish())
