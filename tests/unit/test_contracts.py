#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The JSON output contracts, without privileges.

- Every docs/*.schema.json is a valid Draft 2020-12 schema, requires
  "version" in each kind of object, and accepts added keys everywhere
  (additionalProperties is never false).
- The numeric properties the schemas name carry their unit (the key
  convention of tests/lib/contracts.py).
- precopy-sim's real --json outputs (results of every algorithm, --stats,
  --quality) on shipped traces validate against docs/precopy-sim.schema.json,
  carry their unit in every key, and a broken object fails while an object
  with an added key passes.
The other commands' outputs are validated where they run: precopy-trace
and precopy-vm in tests/e2e/test_precopy_trace.py, precopy-migrate and
precopy-plan in tests/e2e/test_migrate.py.
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness, Skip, bin_path  # noqa: E402
import contracts  # noqa: E402

t = Harness()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SIM = bin_path("precopy-sim")
TRACES = [os.path.join(ROOT, "tests", "data", "vm", "hotcold.pctrace"),
          os.path.join(ROOT, "tests", "data", "corpus", "sqlite.trace.gz")]
SCHEMAS = sorted(glob.glob(os.path.join(contracts.DOCS, "*.schema.json")))


def walk_objects(node, path="$"):
    """Every sub-schema of node that describes an object, with its path."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield path, node
        for k, v in node.items():
            yield from walk_objects(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_objects(v, f"{path}[{i}]")


@t.test
def test_schemas_are_valid_and_open():
    try:
        import jsonschema
    except ImportError:
        raise Skip("python3-jsonschema is not installed")
    t.require(len(SCHEMAS) >= 5, f"schemas in docs/: {SCHEMAS}")
    for path in SCHEMAS:
        name = os.path.basename(path)
        with open(path) as f:
            s = json.load(f)
        try:
            jsonschema.Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            t.check(False, f"{name}: not a valid schema: {e.message}")
            continue
        for variant in s.get("oneOf", [s]):
            t.check("version" in variant.get("required", []),
                    f"{name}: a kind of object without a required version")
        for p, o in walk_objects(s):
            t.check(o.get("additionalProperties", True) is not False,
                    f"{name} {p}: refuses added keys")


@t.test
def test_schema_keys_carry_units():
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        raise Skip("python3-jsonschema is not installed")
    for path in SCHEMAS:
        name = os.path.basename(path)
        with open(path) as f:
            s = json.load(f)
        for p, o in walk_objects(s):
            for k, sub in o.get("properties", {}).items():
                types = sub.get("type", [])
                types = types if isinstance(types, list) else [types]
                if ("number" in types or "integer" in types) and \
                        not k.endswith(contracts.UNIT_SUFFIXES) and \
                        k not in contracts.UNITLESS:
                    t.check(False, f"{name} {p}: numeric key '{k}' names "
                            "no unit")


def sim_json(*args):
    p = subprocess.run([SIM, *args, "--json"], capture_output=True,
                       text=True, timeout=300)
    if p.returncode:
        raise AssertionError(f"precopy-sim {' '.join(args)}: exit "
                             f"{p.returncode}: {p.stderr.strip()}")
    return contracts.json_lines(p.stdout)


sim_objs = []


@t.test
def test_sim_outputs_validate():
    if not os.access(SIM, os.X_OK):
        raise Skip(f"no {SIM} (make)")
    for tr in TRACES:
        res = sim_json("--trace", tr, "--bandwidth", "64",
                       "--downtime-limit", "300")
        t.check(sorted(r["algo"] for r in res) ==
                ["oracle", "prob", "qemu", "tsb", "xen"],
                f"{tr}: one result per algorithm, got {len(res)}")
        stats = sim_json("--trace", tr, "--stats")
        quality = sim_json("--trace", tr, "--quality")
        t.check(len(stats) == 1 and len(quality) == 1,
                f"{tr}: one --stats and one --quality object")
        sim_objs.extend(res + stats + quality)
    errs = contracts.validate("precopy-sim", sim_objs)
    for e in errs[:5]:
        print(f"  invalid: {e}")
    print(f"  {len(sim_objs)} precopy-sim objects checked against "
          "docs/precopy-sim.schema.json")
    t.check(not errs, f"{len(errs)} objects invalid")
    for o in sim_objs:
        bad = contracts.unit_violations(o)
        t.check(not bad, f"{o['type']}: keys without a unit: {bad}")
    t.check(all(o["version"] == 2 for o in sim_objs), "version 2")


@t.test
def test_sim_schema_constrains():
    if not sim_objs:
        raise Skip("no precopy-sim output collected")
    v = contracts.validator("precopy-sim")
    result = next(o for o in sim_objs if o["type"] == "result")
    added = dict(result, resent_pages=3)
    t.check(not list(v.iter_errors(added)), "an added key is accepted")
    old = dict(result)
    old["pages_sent"] = old.pop("sent_pages")
    t.check(list(v.iter_errors(old)), "a version-1 key (pages_sent) fails")
    wrong = dict(result, converged="yes")
    t.check(list(v.iter_errors(wrong)), "a wrong type fails")
    t.check(contracts.unit_violations({"bandwidth": 3, "x_mib_per_s": 1}) ==
            ["bandwidth"], "the unit check catches a unit-less key")


sys.exit(t.finish())
