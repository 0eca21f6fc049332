#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""datajob.py - a Python data-processing job for the dirty-trace corpus.

Generates synthetic sales records in batches, parses them from CSV text,
joins them with a product table, aggregates by region and month, keeps a
running top-k, and periodically rebuilds a sorted index: the allocation
churn and dictionary growth of a typical pandas-free ETL script.
Deterministic (fixed seed). Runs for about SECONDS seconds (default 30).
"""
import csv
import io
import random
import sys
import time
from collections import defaultdict

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
rng = random.Random(4)
products = {i: (f"p{i:05d}", rng.choice("ABCDEFGH"), rng.uniform(1, 200))
            for i in range(20000)}
totals = defaultdict(float)
counts = defaultdict(int)
history = []
top = []
t_end = time.monotonic() + seconds
batch = 0
while time.monotonic() < t_end:
    buf = io.StringIO()
    w = csv.writer(buf)
    for _ in range(20000):
        w.writerow((rng.randrange(20000), rng.choice(("north", "south", "east", "west")),
                    rng.randrange(1, 13), rng.randrange(1, 20)))
    buf.seek(0)
    rows = [(int(p), r, int(m), int(q)) for p, r, m, q in csv.reader(buf)]
    for p, region, month, qty in rows:
        name, cat, price = products[p]
        key = (region, month, cat)
        totals[key] += qty * price
        counts[key] += qty
    history.append(sum(q for *_, q in rows))
    if len(history) > 200:
        history = history[-100:]
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:50]
    if batch % 10 == 0:
        index = sorted(rows, key=lambda r: (r[1], r[2], r[0]))
        del index
    batch += 1
print(f"batches {batch} groups {len(totals)} top {top[0][0]}")
