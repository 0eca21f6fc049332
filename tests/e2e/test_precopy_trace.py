#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""End-to-end tests of precopy-trace against the workload VM runner and
against real QEMU (Debian's, -accel kvm,dirty-ring-size=65536, running the
project's multiboot workload guest).

- The dirty rate it reports agrees with KVM's own log within 2 %: for the
  runner, with the pages precopy-vm harvests from KVM over the same time;
  for QEMU, with QEMU's own calc-dirty-rate measurement of each window.
- QEMU's dirty logging is off again after precopy-trace exits (count
  reached, or Ctrl-C).
- The JSON lines validate against docs/precopy-trace.schema.json (and
  precopy-vm's against docs/precopy-vm.schema.json), units in every key.
- The heatmap is well-formed SVG and renders to a non-empty PNG.
- /metrics is scraped with curl and parsed.
- Bad input gets a one-line error and a non-zero exit.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import contracts  # noqa: E402
import prom  # noqa: E402
from harness import (Harness, Skip, QemuVM, bin_path, need_root_kvm,  # noqa
                     free_port, on_running_guest, wait_listening,
                     start, stop)

t = Harness()
TRACE = bin_path("precopy-trace")
VM = bin_path("precopy-vm")
json_lines = []  # every JSON line any test produced, for the schema test
vm_json_lines = []  # precopy-vm -j's, likewise
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
    # A second try when the first run ends early (the runner used to stop
    # when this host's KVM overflowed its dirty ring, about once in twenty
    # CI runs; it now goes on and counts ring_lost, a few entries against
    # the 2 % asserted); the first try's reason is printed, the second
    # must succeed.
    for attempt in (1, 2):
        vm = start([VM, "-j", "-E", "100", "-m", "1024", "seqsweep"])
        try:
            time.sleep(1.0)
            tr = run_trace(["-j", "-p", str(vm.pid), "1", "8"])
        finally:
            stop(vm)
        truth = [json.loads(x) for x in vm.stdout.read().splitlines() if x]
        vm_json_lines.extend(truth)
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
        a1 = iv["t_mono_s"]
        a0 = a1 - iv["interval_s"]
        ours += iv["dirty_pages"]
        for ep in truth:
            b1 = ep["t_end_s"]
            b0 = b1 - ep["epoch_ms"] / 1e3
            kvm += ep["dirty_pages"] * overlap(a0, a1, b0, b1) / (b1 - b0)
    err = abs(ours - kvm) / kvm
    print(f"  runner: precopy-trace {ours:.0f} pages, KVM's log {kvm:.0f} "
          f"pages over the same 7 s: {100 * err:.2f} % apart")
    # Enough pages for 2 % to mean something; the guest's pace follows
    # the host's load (155,000 pages here when calm, 98,800 at load 13).
    t.check(kvm > 20000, f"the guest dirtied memory ({kvm:.0f} pages)")
    t.check(err <= 0.02, f"within 2 %: {100 * err:.2f} %")


qemu_vm = None


def get_qemu(fresh=False):
    """The QEMU the -p tests share; with fresh, a new one (the guest of
    the last one stopped: see QemuVM.stalled)."""
    global qemu_vm
    if fresh and qemu_vm is not None:
        qemu_vm.close()
        qemu_vm = None
    if qemu_vm is None:
        d = tempfile.mkdtemp(prefix="qemu-ring-", dir=tmp)
        qemu_vm = QemuVM(d, "pattern=seqsweep", mem_mib=512)
        qemu_vm.wait_guest()
    return qemu_vm


def qemu_measuring(vm):
    return vm.qmp.cmd("query-dirty-rate")["status"] == "measuring"


@t.test
def test_qemu_rate_matches_qemu_log():
    need_root_kvm()
    # Up to 3 guests: one whose vCPU the host's KVM stopped for good (its
    # known dirty-ring overflow, QEMU's logging windows trigger it: about
    # one trace in three here) is said and replaced; any other failure
    # fails at once.
    vm, tr, stalled = on_running_guest(
        lambda attempt: get_qemu(fresh=attempt > 1),
        lambda vm: run_trace(["-j", "-p", str(vm.pid), "1", "7"]),
        "-p QEMU")
    t.require(tr.returncode == 0, f"precopy-trace failed: {tr.stderr}")
    t.require(not stalled, "a guest that kept running in 3 tries")
    lines = parse_json_lines(tr.stdout)
    ivs = [x for x in lines if x["type"] == "interval"]
    t.require(len(ivs) == 7, f"7 intervals, got {len(ivs)}")
    t.check("dirty-ring" in ivs[0].get("logging", ""),
            f"says how logging is on: {ivs[0].get('logging')}")
    # Each QEMU window lies inside one interval and QEMU logs nothing
    # between windows: compare what each logged in the window, in MiB.
    ours = theirs = 0.0
    for iv in ivs[1:]:  # the first window starts as logging switches on
        if iv["vmm_dirty_mib_per_s"] is None:
            continue
        mine = iv["events_per_s"] * iv["interval_s"] * 4096 / 2**20
        qemu = iv["vmm_dirty_mib_per_s"] * iv["vmm_window_s"]
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
    vm = get_qemu(fresh=qemu_vm is not None and qemu_vm.stalled())
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
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    p = start([TRACE, "-w", "hotcold", "--prometheus",
               f"127.0.0.1:{port}", "1", "8"])
    bodies = []

    def scrape(not_yet_ok=False):
        # 503 until the first interval is counted (the VM boots first).
        r = subprocess.run(["curl", "-sS", "-f", "-m", "5", f"{url}/metrics"],
                           capture_output=True, text=True, timeout=10)
        if r.returncode == 22 and "503" in r.stderr and not_yet_ok:
            return ""
        if r.returncode:
            # Say why: curl's own words, and precopy-trace's if it ended.
            why = f"curl: {r.returncode} {r.stderr.strip()}"
            if p.poll() is not None:
                why += (f"; precopy-trace exited with {p.returncode}: "
                        f"{p.stderr.read()[-400:]!r}")
            t.require(False, why)
        return r.stdout

    try:
        why = wait_listening(p, port)
        t.require(why is None, f"precopy-trace /metrics: {why}")
        # The first scrape once an interval was counted (the VM boots
        # first), the second 2 s later: the counter must have grown.
        deadline = time.monotonic() + 30
        while True:
            body = scrape(not_yet_ok=True)
            _, fams0 = prom.check(body)
            if (prom.value(fams0, "precopy_dirty_pages_total") or 0) > 0:
                break
            t.require(time.monotonic() < deadline,
                      "no dirty page counted within 30 s")
            time.sleep(0.25)
        bodies.append(body)
        time.sleep(2.0)
        bodies.append(scrape())
        missing = subprocess.run(["curl", "-s", "-m", "5", "-o", "/dev/null",
                                  "-w", "%{http_code}", f"{url}/other"],
                                 capture_output=True, text=True, timeout=10)
    finally:
        stop(p)
    # Prometheus' own parser (promtool check metrics, lint included) and
    # the Python client's accept the exposition.
    problems, fams = prom.check(bodies[-1])
    for line in problems[:8]:
        print(f"  {line}")
    t.check(not problems, f"{len(problems)} complaints of the parsers")
    print(f"  precopy-trace /metrics: {len(fams)} families accepted by "
          f"{'promtool and ' if shutil.which('promtool') else ''}"
          "the Python client's parser")
    for name in ["precopy_trace_info", "precopy_dirty_pages_total",
                 "precopy_dirty_bytes_total", "precopy_working_set_pages",
                 "precopy_forecast_converges", "precopy_events_total",
                 "precopy_dropped_events_total"]:
        t.check(prom.value(fams, name) is not None, f"{name} exported")
    # Rates are counters: they grow, Prometheus computes rate().
    _, first = prom.check(bodies[0])
    a = prom.value(first, "precopy_dirty_pages_total")
    b = prom.value(fams, "precopy_dirty_pages_total")
    t.check(a is not None and b is not None and b > a > 0,
            f"precopy_dirty_pages_total grows: {a} then {b}")
    t.check(not any(n.endswith("_per_second") and
                    n != "precopy_forecast_bandwidth_bytes_per_second" and
                    "needed_bandwidth" not in n for n in fams),
            "no rate gauges (rates are _total counters)")
    t.check(prom.labels_of(fams, "precopy_dirty_pages_total").get("pid"),
            "series carry the VM's pid label")
    t.check(prom.value(fams, "precopy_trace_info", target="precopy-vm") == 1,
            "precopy_trace_info{target=precopy-vm} 1")
    t.check(missing.stdout == "404", f"other paths 404: {missing.stdout}")


def idle_clients(port, n, stop_flag, opened):
    """Keep n TCP connections to port open that never send a byte (the
    server drops each after its deadline: reconnect at once)."""
    socks = []
    while not stop_flag.is_set():
        socks = [x for x in socks if x.fileno() >= 0]
        for x in list(socks):
            try:
                if x.recv(4096, socket.MSG_DONTWAIT) == b"":
                    x.close()
                    socks.remove(x)
            except BlockingIOError:
                pass
            except OSError:
                x.close()
                socks.remove(x)
        while len(socks) < n:
            try:
                socks.append(socket.create_connection(("127.0.0.1", port),
                                                      timeout=1))
                opened[0] += 1
            except OSError:
                break
        time.sleep(0.02)
    for x in socks:
        x.close()


def longest_epochs(extra, port):
    """precopy-trace -j on the workload VM for 5 intervals, with `extra`
    running meanwhile; returns (intervals, scrape result)."""
    p = start([TRACE, "-j", "-w", "hotcold", "--prometheus",
               f"127.0.0.1:{port}", "1", "5"])
    stop_flag, opened, scrape = threading.Event(), [0], None
    th = threading.Thread(target=extra, args=(port, stop_flag, opened))
    try:
        why = wait_listening(p, port)
        t.require(why is None, f"precopy-trace /metrics: {why}")
        th.start()
        time.sleep(3)
        scrape = subprocess.run(["curl", "-s", "-m", "5", "-o", "/dev/null",
                                 "-w", "%{http_code} %{time_total}",
                                 f"http://127.0.0.1:{port}/metrics"],
                                capture_output=True, text=True, timeout=10)
        out, err = p.communicate(timeout=60)
    finally:
        stop_flag.set()
        if th.is_alive():
            th.join()
        stop(p)
    ivs = [x for x in parse_json_lines(out) if x.get("type") == "interval"]
    return ivs, scrape, opened[0], err


@t.test
def test_prometheus_idle_clients_do_not_delay_epochs():
    # Four clients that connect to /metrics and send nothing: the epochs
    # stay 100 ms apart (the server runs in its own thread, each client
    # with its own deadline), and a real scrape is still answered.
    need_root_kvm()
    quiet, _, _, _ = longest_epochs(lambda port, ev, n: ev.wait(),
                                    free_port())
    ivs, scrape, opened, err = longest_epochs(
        lambda port, ev, n: idle_clients(port, 4, ev, n), free_port())
    worst_quiet = max((x.get("longest_epoch_ms", -1) for x in quiet),
                      default=-1)
    worst = max((x.get("longest_epoch_ms", -1) for x in ivs), default=-1)
    # The clients reconnect as soon as they are dropped: served from the
    # tracing loop they would stretch an epoch in every interval. One long
    # epoch alone is the host's load (260 ms once in 5 hand runs with 4
    # idle clients at load 8 on 2 cores; 163 ms alone): the median of the
    # intervals' longest epochs is asserted.
    longest = sorted(x.get("longest_epoch_ms", -1) for x in ivs)
    median = longest[len(longest) // 2] if longest else -1
    print(f"  longest epoch: {worst_quiet:.1f} ms alone, {worst:.1f} ms "
          f"with 4 idle clients (median of the intervals' {median:.1f} ms;"
          f" {opened} connections made); epochs per "
          f"interval {[x['epochs'] for x in ivs]}; scrape meanwhile: "
          f"{scrape.stdout if scrape else '-'}")
    t.check(len(ivs) == 5, f"5 intervals: {len(ivs)}; {err[-300:]!r}")
    t.check(opened >= 4, f"the idle clients connected: {opened}")
    t.check(0 < median < 250, f"epochs kept their 100 ms cadence: longest "
            f"per interval {longest} ms")
    t.check(all(x["epochs"] >= 9 for x in ivs), "about 10 epochs a second")
    # (Served from the tracing loop, the same clients made intervals of
    # 2.02, 0.00, 1.54, 0.51 and 2.03 s: epochs lumped together.)
    lens = [x["interval_s"] for x in ivs]
    t.check(all(0.8 < x < 1.2 for x in lens), f"1 s intervals: {lens}")
    t.check(scrape and scrape.stdout.startswith("200"),
            f"a scrape among idle clients is answered: {scrape}")


@t.test
def test_json_validates_against_schema():
    if not json_lines:
        raise Skip("no JSON output collected (the tracing tests skipped)")
    v = contracts.validator("precopy-trace")
    for name, objs in (("precopy-trace", json_lines),
                       ("precopy-vm", vm_json_lines)):
        errs = contracts.validate(name, objs)
        for e in errs[:5]:
            print(f"  {name}: invalid: {e}")
        print(f"  {len(objs)} {name} objects checked")
        t.check(not errs, f"{name}: {len(errs)} objects invalid")
        bad = {k for o in objs for k in contracts.unit_violations(o)}
        t.check(not bad, f"{name}: keys without a unit: {sorted(bad)}")
    # The schema really constrains: a broken object must fail.
    broken = dict(next(x for x in json_lines if x["type"] == "interval"))
    broken["dirty_pages_per_s"] = "fast"
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
        (["-p", "1", "-w", "idle"], "exclude each other"),
        (["--prometheus", "nonsense", "1", "1"], "invalid listen address"),
        (["-w", "nosuchpattern", "1", "1"], "unknown pattern"),
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
        t.check(p.returncode != 0 and "needs CAP_BPF" in p.stderr,
                f"unprivileged: {p.stderr!r}")


@t.test
def test_runner_refuses_rate_without_pit():
    # The project's KVM runner has no PIT: the guest's TSC calibration
    # must give up at once (port 0x61 does not echo the gate bit), an
    # unpaced guest runs as before, and rate= is refused in one line.
    need_root_kvm()
    t0 = time.monotonic()
    p = subprocess.run([VM, "-n", "1", "-E", "300", "-s", "hotcold",
                        "rate=1000"], capture_output=True, text=True,
                       timeout=60)
    took = time.monotonic() - t0
    lines = [x for x in p.stderr.splitlines()
             if x.startswith("precopy-vm:") and "pid" not in x]
    t.check(p.returncode != 0, f"rate= without a PIT: exit {p.returncode}")
    t.check(len(lines) == 1 and "rate= needs the PIT" in lines[0],
            f"one line naming the PIT: {p.stderr!r}")
    t.check(took < 10, f"refused after {took:.1f} s")
    p = subprocess.run([VM, "-n", "1", "-E", "300", "-s", "hotcold"],
                       capture_output=True, text=True, timeout=60)
    t.check(p.returncode == 0 and "tsc_khz=0" in p.stderr and
            "guest writes/s" in p.stdout,
            f"unpaced guest runs, uncalibrated: exit {p.returncode}, "
            f"{p.stdout.strip()[-200:]!r} {p.stderr.strip()[-300:]!r}")


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
        t.check("dirty-ring-size=65536" in p.stdout + p.stderr,
                f"names the fix: {p.stdout!r} {p.stderr!r}")
        p = run_trace(["-p", str(vm.pid), "--qmp", "/nonexistent.sock",
                       "1", "1"])
        t.check(p.returncode != 0 and "cannot connect to QMP" in p.stderr,
                f"QMP unreachable: {p.stderr!r}")
    finally:
        vm.close()


@t.test
def test_qemu_quits_trace_kept():
    # QEMU closes its QMP sockets as it quits, a moment before it exits:
    # the trace recorded until then is kept and precopy-trace exits 0
    # (it used to fail on the broken QMP socket and discard the trace).
    need_root_kvm()
    d = os.path.join(tmp, "qemu-quits")
    os.makedirs(d)
    vm = QemuVM(d, "pattern=hotcold", mem_mib=64)
    rec = os.path.join(d, "quit.trace.gz")
    try:
        vm.wait_guest()
        p = start([TRACE, "-p", str(vm.pid), "--record", rec, "1"])
        time.sleep(3.5)
        vm.qmp.cmd("quit")
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            stop(p, signal.SIGINT)
        err = p.stderr.read()
        t.check(p.returncode == 0, f"exit 0 when QEMU quits: "
                f"{p.returncode} {err!r}")
        t.require(os.path.exists(rec), f"trace kept: {err!r}")
        sim = subprocess.run([bin_path("precopy-sim"), "--trace", rec,
                              "--stats", "--json"], capture_output=True,
                             text=True, timeout=60)
        t.check(sim.returncode == 0, f"the trace reads: {sim.stderr!r}")
        st = json.loads(sim.stdout) if sim.returncode == 0 else {}
        t.check(st.get("writes", 0) > 0,
                f"it has the guest's writes: {sim.stdout[:200]!r}")
    finally:
        vm.close()


try:
    status = t.finish()
finally:
    if qemu_vm:
        qemu_vm.close()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(status)
