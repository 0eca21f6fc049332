#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""test_cli.py - the command-line conventions every command shares
(README "Command-line conventions", user/lib/util/cli.h): -h and -V on
every command; one short flag, one meaning, in every command that has it;
exit status 64 for wrong usage, 2 for a bad value, 1 for a failure at run
time, each with one line on stderr; a result that cannot be written fails
the command; paths are checked before the work starts. Needs no
privileges: every case stops before anything is loaded or started.
"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness, bin_path  # noqa: E402

t = Harness()
CMDS = ["precopy-trace", "precopy-vm", "precopy-sim", "precopy-plan",
        "precopy-migrate"]
TRACE = "tests/data/vm/hotcold.pctrace"
tmp = tempfile.mkdtemp(prefix="test_cli.")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # SIGTERM too


def run(cmd, args, timeout=30, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([os.path.abspath(bin_path(cmd))] + args, text=True,
                          timeout=timeout, **kw)


def one_line(p):
    return len(p.stderr.splitlines()) == 1


def help_text(cmd):
    return run(cmd, ["--help"]).stdout


def short_flags(cmd):
    """{letter: (long name, help text)} from the command's --help."""
    flags = {}
    for m in re.finditer(r"^\s+-(\w), --([\w-]+)(?:[ =]\S+)?\s+(.*)$",
                         help_text(cmd), re.M):
        flags[m.group(1)] = (m.group(2), m.group(3))
    return flags


@t.test
def test_help_and_version_everywhere():
    for c in CMDS:
        for opt in ("-h", "--help"):
            p = run(c, [opt])
            t.check(p.returncode == 0 and "Usage:" in p.stdout
                    and "-h, --help" in p.stdout,
                    f"{c} {opt}: {p.returncode} {p.stdout[:80]!r}")
        p = run(c, ["-V"])
        t.check(p.returncode == 0 and p.stdout.startswith(c),
                f"{c} -V: {p.returncode} {p.stdout!r}")


@t.test
def test_short_flags_mean_one_thing():
    # The letter -> the long option it stands for, in every command that
    # has the letter at all.
    meaning = {"b": "bandwidth", "d": "downtime-limit", "j": "json",
               "v": "verbose", "h": "help", "V": "version", "p": "pid",
               "m": "mem"}
    epoch = {"epoch", "epoch-ms"}
    trace_file = {"trace", "truth", "record"}
    output = {"output", "out"}
    seen = {}
    for c in CMDS:
        f = short_flags(c)
        t.check(f, f"{c}: no options parsed from --help")
        seen[c] = f
        for letter, (name, _) in f.items():
            if letter in meaning:
                t.check(name == meaning[letter],
                        f"{c} -{letter} is --{name}, elsewhere "
                        f"--{meaning[letter]}")
            elif letter == "E":
                t.check(name in epoch, f"{c} -E is --{name}")
            elif letter == "t":
                t.check(name in trace_file, f"{c} -t is --{name}, not a "
                        "trace file")
            elif letter == "o":
                t.check(name in output, f"{c} -o is --{name}")
            elif letter == "e":
                t.check(False, f"{c} has -e (--{name}); epochs are -E")
    # Bandwidth and downtime limit wherever a command takes them.
    for c in ("precopy-trace", "precopy-sim", "precopy-plan",
              "precopy-migrate"):
        t.check("b" in seen[c] and "d" in seen[c], f"{c}: -b/-d missing")
    for c in ("precopy-trace", "precopy-vm", "precopy-sim", "precopy-plan"):
        t.check("E" in seen[c], f"{c}: -E missing")
    for c in CMDS:
        if c != "precopy-vm":
            t.check("v" in seen[c], f"{c}: -v missing")


@t.test
def test_usage_errors_exit_64():
    cases = [(c, ["--no-such-option"]) for c in CMDS]
    cases += [(c, ["-Z"]) for c in CMDS]
    cases += [
        ("precopy-sim", ["--trace", TRACE, "-b", "1", "extra"]),
        ("precopy-sim", ["-b", "1"]),                  # --trace missing
        ("precopy-sim", ["--trace", TRACE, "--quality", "--stats"]),
        ("precopy-plan", ["extra"]),
        ("precopy-migrate", ["extra"]),
        ("precopy-vm", []),                            # PATTERN missing
        ("precopy-vm", ["-E"]),                        # argument missing
        ("precopy-trace", ["1", "2", "3"]),
        ("precopy-trace", ["-p", "1", "-w", "idle"]),
        ("precopy-trace", ["-o", os.path.join(tmp, "r.txt"), "1", "1"]),
        ("precopy-trace", ["--user", "nobody", "1", "1"]),
        ("precopy-trace", ["--keep", "1", "1"]),
        ("precopy-trace", ["--no-follow", "1", "1"]),
        ("precopy-trace", ["--preload", "/x.so", "1", "1"]),
        ("precopy-trace", ["--heatmap", "x.svg", "--", "true"]),
        # the started workload VM is precopy-vm, not QEMU: no QMP
        ("precopy-trace", ["--qmp", os.path.join(tmp, "q.sock"), "1", "1"]),
        ("precopy-trace", ["-w", "idle", "--qmp", "q.sock", "1", "1"]),
        # a running VMM is not started: no options to start it with
        ("precopy-trace", ["-p", "1", "--vm-opts", "-m 64", "1", "1"]),
        ("precopy-trace", ["--domain", "vm1", "--vm-opts", "-m 64", "1",
                           "1"]),
        ("precopy-trace", ["--"]),
    ]
    for c, args in cases:
        p = run(c, args)
        t.check(p.returncode == 64 and one_line(p),
                f"{c} {args}: exit {p.returncode}, stderr {p.stderr!r}")


@t.test
def test_bad_values_exit_2():
    cases = [
        ("precopy-sim", ["--trace", TRACE, "-b", "0"]),
        ("precopy-sim", ["--trace", TRACE, "-b", "1", "--algo", "nope"]),
        ("precopy-sim", ["--trace", TRACE, "-b", "1", "-E", "x"]),
        ("precopy-vm", ["nosuchpattern"]),
        ("precopy-vm", ["-E", "0", "idle"]),
        ("precopy-vm", ["-l", "nope", "idle"]),
        ("precopy-plan", ["--max-ram", "3X"]),
        ("precopy-plan", ["--source", "nope"]),
        ("precopy-plan", ["-b", "-1"]),
        ("precopy-plan", ["--free-share", "2"]),
        ("precopy-migrate", ["-b", "0"]),
        ("precopy-migrate", ["-d", "x"]),
        ("precopy-migrate", ["-m", "1"]),
        ("precopy-migrate", ["--mode", "nope"]),
        ("precopy-trace", ["-b", "-1"]),
        ("precopy-trace", ["-H", "bogus"]),
        ("precopy-trace", ["-p", "0"]),
        ("precopy-trace", ["--top", "1000"]),
    ]
    for c, args in cases:
        p = run(c, args)
        t.check(p.returncode == 2 and one_line(p),
                f"{c} {args}: exit {p.returncode}, stderr {p.stderr!r}")


@t.test
def test_workload_pattern_refused_first():
    # An unknown pattern is refused before any VM boots, in one line.
    t0 = time.monotonic()
    p = run("precopy-trace", ["-w", "nosuchpattern", "1", "1"])
    took = time.monotonic() - t0
    t.check(p.returncode == 2 and one_line(p)
            and "unknown pattern 'nosuchpattern'" in p.stderr,
            f"exit {p.returncode}: {p.stderr!r}")
    t.check(took < 2, f"refused after {took:.1f} s")
    p = run("precopy-vm", ["nosuchpattern"])
    t.check(p.returncode == 2 and one_line(p)
            and "unknown pattern" in p.stderr, f"precopy-vm: {p.stderr!r}")


@t.test
def test_outputs_checked_at_start():
    # Output paths are checked before the work, not after it.
    missing = "/nonexistent-dir/x"
    cases = [
        ("precopy-sim", ["--trace", TRACE, "--sweep", "64,128", "--out",
                         missing]),
        ("precopy-trace", ["--heatmap", missing + ".svg", "1", "1"]),
        ("precopy-trace", ["--record", missing + ".gz", "1", "1"]),
        ("precopy-trace", ["-t", tmp, "1", "1"]),      # a folder
        ("precopy-trace", ["-o", missing, "1", "1", "--", "true"]),
        ("precopy-trace", ["-t", missing, "1", "1", "--", "true"]),
    ]
    for c, args in cases:
        t0 = time.monotonic()
        p = run(c, args)
        took = time.monotonic() - t0
        t.check(p.returncode == 2 and one_line(p) and took < 2,
                f"{c} {args}: exit {p.returncode} after {took:.1f} s, "
                f"stderr {p.stderr!r}")


@t.test
def test_sweep_default_name_keeps_files():
    # --sweep without --out writes sweep.csv and sweep.svg in the current
    # folder: a file of that name there is not the command's to replace.
    d = tempfile.mkdtemp(dir=tmp)
    mine = os.path.join(d, "sweep.csv")
    with open(mine, "w") as f:
        f.write("my notes\n")
    args = ["--trace", os.path.abspath(TRACE), "--sweep", "64", "-a", "qemu"]
    p = run("precopy-sim", args, cwd=d)
    with open(mine) as f:
        kept = f.read()
    t.check(p.returncode == 2 and one_line(p) and "sweep.csv exists"
            in p.stderr, f"exit {p.returncode}: {p.stderr!r}")
    t.check(kept == "my notes\n" and not os.path.exists(
        os.path.join(d, "sweep.svg")), f"files changed: {kept[:40]!r}")
    # Named with --out, the user asked for them: replaced, and said so.
    p = run("precopy-sim", args + ["--out", "sweep"], cwd=d)
    with open(mine) as f:
        head = f.readline()
    t.check(p.returncode == 0 and p.stdout.startswith(
        "precopy-sim: wrote sweep.csv and sweep.svg"), f"--out sweep: exit "
        f"{p.returncode}, {p.stdout!r} {p.stderr!r}")
    t.check(head.startswith("bandwidth_mib_per_s,"), f"csv: {head!r}")
    with open("/dev/full", "w") as full:
        p = run("precopy-sim", args + ["--out", "sweep"], cwd=d,
                stdout=full)
    t.check(p.returncode == 1 and one_line(p), f"--sweep > /dev/full: exit "
            f"{p.returncode}, {p.stderr!r}")


@t.test
def test_sim_slow_link_shows_progress():
    # A link so slow that the replay loops for an hour: it must say so
    # while it runs, not stay silent.
    p = subprocess.Popen([bin_path("precopy-sim"), "--trace", TRACE, "-b",
                          "0.001", "--algo", "qemu"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4.5)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    lines = err.splitlines()
    print(f"  {lines[:1]}")
    t.check(lines and re.match(r"precopy-sim: qemu at 0.001 MiB/s: \d+ s of "
                               r"migration simulated, [0-9.]+ of at most 20 "
                               r"RAMs sent, after \d+ s", lines[0]),
            f"progress within 4.5 s: {err!r}")


@t.test
def test_plan_ring_refuses_other_files():
    # precopy-plan --ring FILE refuses a file that is not a plan ring, in
    # one line, and leaves it as it was.
    notes = os.path.join(tmp, "notes.txt")
    with open(notes, "w") as f:
        f.write("buy milk, eggs\n")
    p = run("precopy-plan", ["--source", "sync", "--ring", notes], timeout=10)
    with open(notes) as f:
        kept = f.read()
    t.check(p.returncode == 1 and one_line(p)
            and "is not a plan ring" in p.stderr,
            f"exit {p.returncode}: {p.stderr!r}")
    t.check(kept == "buy milk, eggs\n", f"notes.txt changed: {kept[:40]!r}")


@t.test
def test_migrate_workdir_keeps_files():
    # precopy-migrate --workdir DIR: DIR is the user's; a file there that a
    # run would replace (or, with --keep, a runN-MODE folder) is refused
    # before anything starts, and left as it was.
    d = tempfile.mkdtemp(dir=tmp)
    mine = os.path.join(d, "src.stderr")
    with open(mine, "w") as f:
        f.write("my own log\n")
    kept_runs = tempfile.mkdtemp(dir=tmp)
    os.mkdir(os.path.join(kept_runs, "run1-plan"))
    traced = tempfile.mkdtemp(dir=tmp)
    with open(os.path.join(traced, "dst.trace"), "w") as f:
        f.write("my trace\n")
    comma = tempfile.mkdtemp(dir=tmp, prefix="a,b")
    cases = [(["--workdir", d], "src.stderr exists"),
             (["--workdir", traced], "dst.trace exists"),
             (["--workdir", comma], "a comma in the path"),
             (["--workdir", mine], "not a folder"),
             (["--workdir", os.path.join(d, "nosuchdir")], "No such file"),
             (["--workdir", kept_runs, "--keep", "--mode", "plan"],
              "run1-plan exists")]
    for args, want in cases:
        p = run("precopy-migrate", args)
        t.check(p.returncode == 2 and one_line(p) and want in p.stderr,
                f"{args}: exit {p.returncode}, {p.stderr!r}")
    with open(mine) as f:
        kept = f.read()
    t.check(kept == "my own log\n" and os.listdir(d) == ["src.stderr"],
            f"the folder changed: {os.listdir(d)}, {kept[:40]!r}")


@t.test
def test_unwritable_stdout_fails():
    with open("/dev/full", "w") as full:
        p = run("precopy-sim", ["--trace", TRACE, "-b", "128", "--algo",
                                "qemu"], stdout=full, stderr=subprocess.PIPE)
        t.check(p.returncode == 1 and "No space left" in p.stderr
                and one_line(p),
                f"precopy-sim > /dev/full: exit {p.returncode}, "
                f"{p.stderr!r}")
        p = run("precopy-sim", ["--trace", TRACE, "--stats", "--json"],
                stdout=full, stderr=subprocess.PIPE)
        t.check(p.returncode == 1, f"--stats > /dev/full: {p.returncode}")
        for c in CMDS:
            p = run(c, ["--help"], stdout=full, stderr=subprocess.PIPE)
            t.check(p.returncode == 1, f"{c} --help > /dev/full: "
                    f"{p.returncode}")


sys.exit(t.finish())
