# SPDX-License-Identifier: GPL-2.0
"""contracts.py - the JSON output contracts (docs/*.schema.json) for tests.

Every command's JSON output has a schema in docs/ and follows one key
convention: a key holding a quantity ends with its unit (_us, _ms, _s, _pages,
_bytes, _pages_per_s, _bytes_per_s, _mib_per_s); counts whose unit is the
thing itself (iterations, epochs, ranges, plans, ...) and unitless ratios
and scores are named in UNITLESS below. Every object carries "version".

    errs = validate("precopy-sim", objs)   # [] when all are valid
    bad = unit_violations(obj)            # keys breaking the convention
"""
import json
import os

from harness import Skip

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "docs")

UNIT_SUFFIXES = ("_us", "_ms", "_s", "_pages", "_bytes", "_per_s", "_pct")

# Numeric keys whose value is a count of the thing the key names, an
# identifier, a ratio or a score: no unit to carry.
UNITLESS = {
    "version", "pages", "epoch", "epochs", "iteration", "iterations",
    "generation", "id", "plan_id", "flags", "loops", "run", "runs", "failed",
    "fallbacks", "send_ranges", "deferred_ranges", "plans_used",
    "fallback_none", "fallback_stale", "rejected", "dirty_sync_count",
    "planner_status", "writes", "vcpu", "ring_entries", "ring_full",
    "ring_resyncs", "ring_lost", "guest_writes", "ringbuf", "unknown_slot", "n",
    "rate", "brier", "logloss", "auc", "share", "top_share",
    "neighbour_share", "total_time", "downtime", "transferred",
    "downtime_precise", "pause",
    "limit_changes",
    # a guest-physical address, not an amount
    "gpa",
}


def schema(name):
    """The parsed schema docs/NAME.schema.json."""
    with open(os.path.join(DOCS, name + ".schema.json")) as f:
        return json.load(f)


def validator(name):
    """A Draft 2020-12 validator for docs/NAME.schema.json; raises Skip
    without python3-jsonschema."""
    try:
        import jsonschema
    except ImportError:
        raise Skip("python3-jsonschema is not installed")
    return jsonschema.Draft202012Validator(schema(name))


def validate(name, objs):
    """Validate every object; returns one message per invalid object."""
    v = validator(name)
    out = []
    for o in objs:
        errs = list(v.iter_errors(o))
        if errs:
            best = min(errs, key=lambda e: len(e.message))
            out.append(f"{o.get('type', '?')}: {best.message}")
    return out


def unit_violations(obj, path=""):
    """Keys of obj (recursively) holding a number whose name carries no
    unit suffix and is not a known unitless count."""
    bad = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{path}.{k}" if path else k
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if not k.endswith(UNIT_SUFFIXES) and k not in UNITLESS:
                    bad.append(p)
            bad.extend(unit_violations(v, p))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            bad.extend(unit_violations(v, f"{path}[{i}]"))
    return bad


def json_lines(text):
    """Parse JSON lines, skipping blank ones."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
