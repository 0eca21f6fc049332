# SPDX-License-Identifier: GPL-2.0
"""prom.py - checking a Prometheus text exposition with Prometheus' own
parser (`promtool check metrics`, Debian package prometheus) and with the
Python client's (python3-prometheus-client).

    problems, families = check(text)
    problems: one line per complaint of either parser ([] when both accept
    it, lint included); families: {metric family: [(labels, value)]} as
    the Python client parsed it (samples keep their own names: a counter
    family "x" has samples "x_total").
Raises harness.Skip when the Python client's parser is not installed
(the families come from it); promtool is used when installed.
"""
import shutil
import subprocess

from harness import Skip


def promtool(text):
    """promtool's complaints ([] when it accepts the text), or None when it
    is not installed."""
    exe = shutil.which("promtool")
    if not exe:
        return None
    p = subprocess.run([exe, "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    out = (p.stdout + p.stderr).strip()
    if p.returncode == 0 and not out:
        return []
    return [f"promtool (exit {p.returncode}): {line}"
            for line in out.splitlines() or ["(no message)"]]


def client(text):
    """(complaints, families) of the Python client's parser, or None."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        return None
    fams = {}
    try:
        for fam in text_string_to_metric_families(text):
            fams[fam.name] = [(s.name, s.labels, s.value)
                              for s in fam.samples]
    except Exception as e:  # the parser's own error is the complaint
        return [f"prometheus_client: {e!r}"], fams
    return [], fams


def check(text):
    a = promtool(text)
    b = client(text)
    if b is None:
        # The tests read values through the client's families: without
        # it they would fail on missing values, not skip.
        raise Skip("python3-prometheus-client is not installed (for this "
                   "python3: run the tests by their shebang, "
                   "/usr/bin/python3)")
    problems = list(a or []) + list(b[0])
    return problems, b[1]


def value(families, sample, **labels):
    """The value of the first sample named `sample` whose labels include
    `labels`, or None."""
    for samples in families.values():
        for name, lab, v in samples:
            if name == sample and all(lab.get(k) == x
                                      for k, x in labels.items()):
                return v
    return None


def labels_of(families, sample):
    """The labels of the first sample named `sample`, or {}."""
    for samples in families.values():
        for name, lab, _ in samples:
            if name == sample:
                return lab
    return {}
