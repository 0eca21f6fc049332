#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen_bigc.py - write a large, deterministic C file for the compile
workload of the dirty-trace corpus: N functions with loops, switches and
inlinable helpers, so that gcc -O2 works on it for tens of seconds."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
rng = random.Random(7)
out = [ "#include <stdint.h>", "#include <string.h>",
        "static inline uint64_t mix(uint64_t a, uint64_t b)"
        " { a ^= b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2); return a; }" ]
for i in range(n):
    k = rng.randrange(3, 9)
    cases = "\n".join(f"\t\tcase {c}: acc = mix(acc, v[j] * {rng.randrange(1, 99)}u); break;"
                      for c in range(k))
    out.append(f"""
uint64_t f{i}(const uint32_t *v, int n, uint64_t seed)
{{
	uint64_t acc = seed ^ {rng.randrange(1 << 30)}u;
	uint32_t tab[{rng.randrange(8, 64)}];
	memset(tab, {rng.randrange(0, 255)}, sizeof(tab));
	for (int j = 0; j < n; j++) {{
		switch ((v[j] + j) % {k}) {{
{cases}
		default: acc += tab[j % (sizeof(tab) / sizeof(tab[0]))]; break;
		}}
		if (acc & {1 << rng.randrange(1, 20)}u)
			acc = mix(acc, f{max(i - 1, 0)}_helper(j));
	}}
	return acc;
}}""".replace(f"f{max(i - 1, 0)}_helper", "helper"))
out.insert(3, "static uint64_t helper(int j) { return (uint64_t)j * 2654435761u; }")
sys.stdout.write("\n".join(out) + "\n")
