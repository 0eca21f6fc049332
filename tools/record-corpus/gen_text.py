#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen_text.py MIB - print MIB MiB of deterministic text-like data to
stdout: log lines and records built from a Zipf-distributed vocabulary,
numbers and identifiers, so a compressor finds the mix of long and short
matches of real text (input of the xz trace, record-holdout)."""
import random
import sys


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    rnd = random.Random(7)
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    vocab = ["".join(rnd.choice(letters[:10 + i % 16])
                     for _ in range(2 + rnd.randrange(9)))
             for i in range(20000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
    out = sys.stdout
    total, target, t = 0, mib * 2**20, 1700000000.0
    while total < target:
        words = rnd.choices(vocab, weights, k=64)
        lines = []
        for j in range(0, 64, 8):
            t += rnd.expovariate(50)
            lines.append("%.3f %s req=%08x user=%d %s\n" % (
                t, rnd.choice(levels), rnd.getrandbits(32),
                rnd.randrange(100000), " ".join(words[j:j + 8])))
        s = "".join(lines)
        out.write(s)
        total += len(s)


if __name__ == "__main__":
    main()
