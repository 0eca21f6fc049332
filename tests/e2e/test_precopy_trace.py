#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""End-to-end tests of precopy-trace against the workload VM runner and
against real QEMU (Debian's, -accel kvm,dirty-ring-size=4096, running the
project's multiboot workload guest).

- The dirty rate it reports agrees with KVM's own log within 2 %: for the
  runner, with the pages precopy-vm harvests from KVM over the same time;
  for QEMU, with QEMU's own calc-dirty-rate measurement of each window.
- QEMU's dirty logging is off again after precopy-trace exits (count
  reached, or Ctrl-C).
- The JSON lines validate against docs/precopy-trace.schema.json.
- The heatmap is well-formed SVG and renders to a non-empty PNG.
- /metrics is scraped with curl and parsed.
- Bad input gets a one-line error and a non-zero exit.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Harness, Skip, QemuVM, bin_path, need_root_kvm,  # noqa
                     start, stop)

t = Harness()
TRACE = bin_path("precopy-trace")
VM = bin_path("precopy-vm")
SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                      "precopy-trace.schema.json")
json_lines = []  # every JSON line any test produced, for the schema test
tmp = tempfile.mkdtemp(prefix="precopy-e2e-")


def run_trace(args, timeout=120):
    p = subprocess.run([TRACE, *args], capture_output=True, text=True,
                       timeout=timeout)
    return p


def parse_json_lines(text):
    out = [json.loads(line) for line in text.splitlines() if line.strip()]
    json_lines.extend(out)
    return out


def overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))


@t.test
def test_runner_rate_matches_kvm_log():
    need_root_kvm()
    # A sweep over 1 GiB writes no page twice within a second, so the
    # pages KVM logs per 100 ms epoch add up to the distinct pages per
    # interval that precopy-trace reports.
    # A second try when the first run ends early: on hosts whose KVM
    # emulates guest code in batches, the dirty ring can overflow and the
    # runner stops with an error (seen once in about twenty CI runs); the
    # first try's reason is printed, the second must succeed.
    for attempt in (1, 2):
        vm = start([VM, "-j", "-e", "100", "-m", "1024", "seqsweep"])
        try:
            time.sleep(1.0)
            tr = run_trace(["-j", "-p", str(vm.pid), "1", "8"])
        finally:
            stop(vm)
        truth = [json.loads(x) for x in vm.stdout.read().splitlines() if x]
        lines = parse_json_lines(tr.stdout) if tr.returncode == 0 else []
        ivs = [x for x in lines if x["type"] == "interval"]
        if attempt == 1 and (tr.returncode != 0 or len(ivs) != 8):
            notes = [x for x in lines if x["type"] not in ("interval", "start")]
            print(f"  first try: precopy-trace exited {tr.returncode} after "
                  f"{len(ivs)} intervals; notes {notes}; precopy-trace "
                  f"stderr {tr.stderr.strip()[-300:]!r}; precopy-vm stderr "
                  f"{vm.stderr.read().strip()[-300:]!r}; trying again")
            continue
        break
    t.require(tr.returncode == 0, f"precopy-trace failed: {tr.stderr}")
    t.require(len(ivs) == 8, f"8 intervals, got {len(ivs)}")
    ours = kvm = 0.0
    for iv in ivs[1:]:  # the first interval starts mid-epoch
        a1 = iv["t_mono"]
        a0 = a1 - iv["interval_s"]
        ours += iv["dirty_pages"]
        for ep in truth:
            b1 = ep["t_end"]
            b0 = b1 - ep["ms"] / 1e3
            kvm += ep["dirty_pages"] * overlap(a0, a1, b0, b1) / (b1 - b0)
    err = abs(ours - kvm) / kvm
    print(f"  runner: precopy-trace {ours:.0f} pages, KVM's log {kvm:.0f} "
          f"pages over the same 7 s: {100 * err:.2f} % apart")
    t.check(kvm > 100000, f"the guest dirtied memory ({kvm:.0f} pages)")
    t.check(err <= 0.02, f"within 2 %: {100 * err:.2f} %")


qemu_vm = None


def get_qemu():
    global qemu_vm
    if qemu_vm is None:
        d = os.path.join(tmp, "qemu-ring")
        os.makedirs(d)
        qemu_vm = QemuVM(d, "pattern=seqsweep", mem_mib=512)
        qemu_vm.wait_guest()
    return qemu_vm


def qemu_measuring(vm):
    return vm.qmp.cmd("query-dirty-rate")["status"] == "measuring"


@t.test
def test_qemu_rate_matches_qemu_log():
    need_root_kvm()
    vm = get_qemu()
    tr = run_trace(["-j", "-p", str(vm.pid), "1", "7"])
    t.require(tr.returncode == 0, f"precopy-trace failed: {tr.stderr}")
    lines = parse_json_lines(tr.stdout)
    ivs = [x for x in lines if x["type"] == "interval"]
    t.require(len(ivs) == 7, f"7 intervals, got {len(ivs)}")
    t.check("dirty-ring" in ivs[0].get("logging", ""),
            f"says how logging is on: {ivs[0].get('logging')}")
    # Each QEMU window lies inside one interval and QEMU logs nothing
    # between windows: compare what each logged in the window, in MiB.
    ours = theirs = 0.0
    for iv in ivs[1:]:  # the first window starts as logging switches on
        if iv["vmm_dirty_rate_mib_s"] is None:
            continue
        mine = iv["events_per_s"] * iv["interval_s"] * 4096 / 2**20
        qemu = iv["vmm_dirty_rate_mib_s"] * iv["vmm_window_s"]
        print(f"  interval {iv['elapsed_s']:.0f} s: precopy-trace "
              f"{mine:.1f} MiB, QEMU {qemu:.1f} MiB logged")
        ours += mine
        theirs += qemu
    t.require(theirs > 0, "QEMU measured its windows")
    err = abs(ours - theirs) / theirs
    print(f"  QEMU: {100 * err:.2f} % apart over {len(ivs) - 1} windows")
    t.check(err <= 0.02, f"within 2 %: {100 * err:.2f} %")
    # Logging off again: the last window ended before precopy-trace exited.
    t.check(not qemu_measuring(vm), "no dirty-rate window left running")


@t.test
def test_qemu_logging_off_after_ctrl_c():
    need_root_kvm()
    vm = get_qemu()
    p = start([TRACE, "-p", str(vm.pid)])
    time.sleep(4)
    t.check(qemu_measuring(vm), "logging on while tracing")
    stop(p, signal.SIGINT, timeout=20)
    t.check(p.returncode == 0, f"clean exit on Ctrl-C: {p.returncode} "
            f"{p.stderr.read()}")
    t.check(not qemu_measuring(vm), "logging off after Ctrl-C")


@t.test
def test_heatmap_renders_to_png():
    need_root_kvm()
    svg = os.path.join(tmp, "heat.svg")
    png = os.path.join(tmp, "heat.png")
    tr = run_trace(["-w", "phases ws=1500 phase_writes=40000",
                    "--heatmap", svg, "1", "4"])
    t.require(tr.returncode == 0, f"precopy-trace failed: {tr.stderr}")
    root = ET.parse(svg).getroot()
    t.check(root.tag.endswith("svg"), "an <svg> document")
    rects = [e for e in root.iter() if e.tag.endswith("rect")]
    texts = "".join(e.text or "" for e in root.iter() if e.tag.endswith("text"))
    t.check(len(rects) > 20, f"cells drawn: {len(rects)} rects")
    t.check("guest-physical address" in texts and "MiB/s" in texts,
            "axes and legend labelled")
    if not shutil.which("rsvg-convert"):
        raise Skip("rsvg-convert is not installed (librsvg2-bin)")
    subprocess.run(["rsvg-convert", "-o", png, svg], check=True)
    with open(png, "rb") as f:
        head = f.read(24)
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    print(f"  {png}: {os.path.getsize(png)} bytes, {w}x{h}")
    t.check(head[:8] == b"\x89PNG\r\n\x1a\n", "a PNG")
    t.check(w > 500 and h > 300 and os.path.getsize(png) > 5000,
            "non-empty picture")


@t.test
def test_prometheus_scrape():
    need_root_kvm()
    port = 19000 + os.getpid() % 1000
    p = start([TRACE, "-w", "hotcold", "--prometheus",
               f"127.0.0.1:{port}", "1", "6"])
    try:
        time.sleep(3.5)
        body = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/metrics"],
                              capture_output=True, text=True, timeout=10)
        missing = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                                  "%{http_code}",
                                  f"http://127.0.0.1:{port}/other"],
                                 capture_output=True, text=True, timeout=10)
    finally:
        stop(p)
    t.require(body.returncode == 0, f"curl: {body.returncode} {body.stderr}")
    metrics = {}
    sample = re.compile(r'^([a-z_]+)(\{[^}]*\})? ([-+0-9.eE]+|NaN)$')
    for line in body.stdout.splitlines():
        if line.startswith("#"):
            t.check(re.match(r"^# (HELP|TYPE) [a-z_]+ ", line), line)
            continue
        m = sample.match(line)
        t.check(m, f"a valid sample line: {line!r}")
        if m:
            metrics.setdefault(m.group(1), []).append(float(m.group(3)))
    for name in ["precopy_dirty_pages_per_second", "precopy_working_set_pages",
                 "precopy_forecast_converges", "precopy_dropped_events_total"]:
        t.check(name in metrics, f"{name} exported")
    t.check(metrics.get("precopy_dirty_pages_per_second", [0])[0] > 0,
            "a dirty rate measured")
    t.check(missing.stdout == "404", f"other paths 404: {missing.stdout}")


@t.test
def test_json_validates_against_schema():
    try:
        import jsonschema
    except ImportError:
        raise Skip("python3-jsonschema is not installed")
    if not json_lines:
        raise Skip("no JSON output collected (the tracing tests skipped)")
    with open(SCHEMA) as f:
        schema = json.load(f)
    v = jsonschema.Draft202012Validator(schema)
    bad = 0
    for obj in json_lines:
        errs = list(v.iter_errors(obj))
        if errs:
            bad += 1
            print(f"  invalid: {errs[0].message}")
    print(f"  {len(json_lines)} objects checked")
    t.check(bad == 0, f"{bad} objects invalid")
    # The schema really constrains: a broken object must fail.
    broken = dict(next(x for x in json_lines if x["type"] == "interval"))
    broken["pages_per_s"] = "fast"
    t.check(list(v.iter_errors(broken)), "a wrong type is rejected")


@t.test
def test_bad_input_gets_one_line_errors():
    need_root_kvm()
    cases = [
        (["-b", "-1"], "invalid bandwidth"),
        (["-d", "0"], "invalid downtime limit"),
        (["abc"], "invalid interval"),
        (["1", "0"], "invalid count"),
        (["-H", "bogus"], "unknown hook"),
        (["-p", "0"], "invalid pid"),
        (["-p", "4000000", "1", "1"], "no process"),
        (["-p", str(os.getpid()), "1", "1"], "is not a VMM"),
        (["-p", "1", "-w", "x"], "exclude each other"),
        (["--prometheus", "nonsense", "1", "1"], "invalid listen address"),
        (["-w", "nosuchpattern", "1", "1"], "exited at start"),
        (["-w", "hotcold hot=0", "1", "1"], "exited at start"),
    ]
    for args, what in cases:
        p = run_trace(args, timeout=60)
        lines = [x for x in p.stderr.splitlines()
                 if x.startswith("precopy-trace:")]
        t.check(p.returncode != 0, f"{args}: non-zero exit")
        t.check(any(what in x for x in lines),
                f"{args}: says '{what}': {p.stderr!r}")
        t.check(len(lines) == 1 and "Traceback" not in p.stderr,
                f"{args}: one line of its own: {p.stderr!r}")
    # Missing privileges.
    if shutil.which("setpriv"):
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                            "--clear-groups", TRACE, "1", "1"],
                           capture_output=True, text=True, timeout=30)
        t.check(p.returncode != 0 and "needs root" in p.stderr,
                f"unprivileged: {p.stderr!r}")


@t.test
def test_qemu_without_ring_or_qmp():
    need_root_kvm()
    d = os.path.join(tmp, "qemu-bitmap")
    os.makedirs(d)
    vm = QemuVM(d, "pattern=hotcold", mem_mib=64, ring=False)
    try:
        # Without a dirty ring only fentry/kprobe, or fault hooks on a
        # hardware-virtualised guest, see QEMU's dirtying: it must say so.
        p = run_trace(["-p", str(vm.pid), "1", "1"])
        t.check("dirty-ring-size=4096" in p.stdout + p.stderr,
                f"names the fix: {p.stdout!r} {p.stderr!r}")
        p = run_trace(["-p", str(vm.pid), "--qmp", "/nonexistent.sock",
                       "1", "1"])
        t.check(p.returncode != 0 and "cannot connect to QMP" in p.stderr,
                f"QMP unreachable: {p.stderr!r}")
    finally:
        vm.close()


try:
    status = t.finish()
finally:
    if qemu_vm:
        qemu_vm.close()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(status)
