#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""libvirt-managed VMs, for real: Debian's libvirtd runs the project's
workload guest (the multiboot kernel, <os><kernel>) on the patched QEMU
(<emulator>), and `virsh migrate --live` moves it to a second libvirtd on
this host, by the plan of precopy-plan --domain.

Two libvirtd on one host: libvirt refuses a migration to the daemon it
comes from ("Attempt to migrate guest to the same host": it compares host
UUIDs). Each daemon here runs in a mount namespace of its own (its
/etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt and
/var/cache/libvirt are folders of this test), with its own host_uuid and
its sockets in a folder of this test; they share the network, so the
migration stream goes over loopback. QEMU runs as root, without cgroups
or namespaces (there is no systemd here). The test starts both daemons and
stops them; on a machine where libvirtd cannot start it says why in one
line and skips.

- precopy-plan --domain finds the domain's QEMU, sets its x-precopy-plan
  through libvirt's monitor passthrough (no second QMP socket) and serves
  the migration: QEMU follows its plans.
- The guest's RAM is a memfd (<memoryBacking><source type='memfd'/>), so
  the test keeps the source's RAM open after libvirt ends the source QEMU,
  and compares it page by page with the destination's (paused there with
  --suspend): they are equal. The guest has no kvmclock: SeaBIOS would
  register one, and KVM rewrites that structure on the destination host
  (its version and TSC-stable flag are the host's, by design), which is not
  migrated memory.
- precopy-plan's /metrics carries the domain's name and UUID.
- precopy-trace --domain reads the domain through the same passthrough.
"""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Harness, Skip, bin_path, free_port, guest_elf, stop  # noqa: E402
import prom  # noqa: E402

t = Harness()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("OUT", "build")
QEMU = os.environ.get("PRECOPY_QEMU",
                      os.path.join(OUT, "libexec", "precopy",
                                   "qemu-system-x86_64"))
NAME = "precopy-lv"
UUID = "5e1f0c0e-0000-4000-8000-%012x" % os.getpid()
MEM_MIB = 256
signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
tmp = tempfile.mkdtemp(prefix="precopy-libvirt-")
os.chmod(tmp, 0o755)
daemons = {}   # "a"/"b" -> Popen
made_dirs = []  # mount points this test created
state = {}

QEMU_CONF = """user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
"""


def uri(side):
    return f"qemu+unix:///system?socket={tmp}/{side}/sock/libvirt-sock"


def virsh(side, *args, timeout=60, check=True):
    p = subprocess.run(["virsh", "-q", "-c", uri(side), *args],
                       capture_output=True, text=True, timeout=timeout)
    if check and p.returncode:
        raise RuntimeError(f"virsh {' '.join(args[:2])}: "
                           f"{p.stderr.strip() or p.stdout.strip()}")
    return p.stdout.strip()


def start_libvirtd(side, host_uuid):
    """libvirtd in its own mount namespace; returns None or why not."""
    d = os.path.join(tmp, side)
    dirs = {"etc": "/etc/libvirt", "run": "/run/libvirt",
            "lib": "/var/lib/libvirt", "log": "/var/log/libvirt",
            "cache": "/var/cache/libvirt"}
    for sub in list(dirs) + ["sock"]:
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    with open(os.path.join(d, "etc", "libvirtd.conf"), "w") as f:
        f.write(f'unix_sock_dir = "{d}/sock"\nunix_sock_rw_perms = "0700"\n'
                f'auth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                f'host_uuid = "{host_uuid}"\n'
                f'log_outputs = "3:file:{d}/libvirtd.log"\n')
    with open(os.path.join(d, "etc", "qemu.conf"), "w") as f:
        f.write(QEMU_CONF)
    for target in dirs.values():
        if not os.path.isdir(target):        # a mount point (empty),
            os.makedirs(target)              # removed again at the end
            made_dirs.append(target)
    script = "set -e\n" + "".join(
        f"mount --bind {d}/{sub} {target}\n" for sub, target in dirs.items()
    ) + f"exec libvirtd -f /etc/libvirt/libvirtd.conf -p {d}/libvirtd.pid\n"
    log = open(os.path.join(d, "start.log"), "w")
    daemons[side] = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         script], stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    sock = os.path.join(d, "sock", "libvirt-sock")
    deadline = time.time() + 30
    while time.time() < deadline:
        if daemons[side].poll() is not None:
            break
        if os.path.exists(sock):
            try:
                virsh(side, "version", timeout=10)
                return None
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        time.sleep(0.3)
    why = ""
    for path in (os.path.join(d, "start.log"),
                 os.path.join(d, "libvirtd.log")):
        try:
            with open(path) as f:
                lines = [x.strip() for x in f if "error" in x.lower()
                         or path.endswith("start.log")]
            why = why or (lines[-1] if lines else "")
        except OSError:
            pass
    return why or "no socket within 30 s"


def stop_libvirtd(side):
    p = daemons.pop(side, None)
    if p and p.poll() is None:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def qemu_pid():
    """The QEMU started with -uuid UUID (one at a time here)."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"-uuid" in args and UUID.encode() in args:
            return int(d)
    return None


def open_ram(pid):
    """An fd on the guest RAM memfd of QEMU pid: it outlives QEMU."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s+(.*)",
                         line)
            if m and "memfd:" in m.group(3) and \
                    int(m.group(2), 16) - int(m.group(1), 16) == MEM_MIB << 20:
                return os.open(f"/proc/{pid}/map_files/{m.group(1)}-"
                               f"{m.group(2)}", os.O_RDONLY)
    raise RuntimeError(f"no {MEM_MIB} MiB memfd mapping in QEMU {pid}")


def domain_xml(serial):
    return f"""<domain type='kvm'>
  <name>{NAME}</name>
  <uuid>{UUID}</uuid>
  <memory unit='MiB'>{MEM_MIB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{os.path.abspath(guest_elf())}</kernel>
    <cmdline>pattern=hotcold pages=8192 hot=1024 hotbase=7168 hotpct=95 delay=4 tick=2</cmdline>
  </os>
  <features><acpi/><kvm><dirty-ring state='on' size='65536'/></kvm></features>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <clock offset='utc'><timer name='kvmclock' present='no'/></clock>
  <devices>
    <emulator>{os.path.realpath(QEMU)}</emulator>
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
"""


@atexit.register
def cleanup():
    """Every domain, daemon and file this test made goes away (also on
    SIGINT/SIGTERM)."""
    for side in ("b", "a"):
        if side in daemons:
            virsh(side, "destroy", NAME, check=False, timeout=30)
    for side in ("b", "a"):
        stop_libvirtd(side)
    shutil.rmtree(tmp, ignore_errors=True)
    for d in reversed(made_dirs):
        try:
            os.rmdir(d)
        except OSError:
            pass


def setup():
    """Both daemons and the running domain, once; raises Skip."""
    if "skip" in state:
        raise Skip(state["skip"])
    if "ready" in state:
        return
    why = None
    if os.geteuid() != 0:
        why = "needs root (libvirtd, BPF)"
    elif not os.access("/dev/kvm", os.R_OK | os.W_OK):
        why = "no usable /dev/kvm"
    elif not (shutil.which("libvirtd") and shutil.which("virsh")):
        why = "libvirt is not installed (tools/deps test installs it)"
    elif not os.access(QEMU, os.X_OK):
        why = f"no patched QEMU at {QEMU} (make qemu)"
    elif not shutil.which("unshare"):
        why = "no unshare"
    if not why:
        for side, hu in (("a", "11111111-1111-4111-8111-%012x"),
                         ("b", "22222222-2222-4222-8222-%012x")):
            err = start_libvirtd(side, hu % os.getpid())
            if err:
                why = f"libvirtd cannot run here: {err}"
                break
    if why:
        state["skip"] = why
        print(f"# skip libvirt: {why}", flush=True)
        raise Skip(why)
    serial = os.path.join(tmp, "serial.log")
    xml = os.path.join(tmp, "domain.xml")
    with open(xml, "w") as f:
        f.write(domain_xml(serial))
    virsh("a", "create", xml)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with open(serial) as f:
                if "precopy-guest: pattern=" in f.read():
                    break
        except OSError:
            pass
        time.sleep(0.3)
    else:
        raise RuntimeError("the guest did not start under libvirt in 60 s")
    state["ready"] = True


@t.test
def test_trace_domain():
    setup()
    env = dict(os.environ, LIBVIRT_DEFAULT_URI=uri("a"))
    p = subprocess.run([bin_path("precopy-trace"), "--domain", NAME, "-j",
                        "1", "3"], capture_output=True, text=True,
                       timeout=120, env=env)
    if p.returncode and "sys_enter_ioctl" in p.stderr:
        # QMP through libvirt worked; the slot watcher needs tracefs
        raise Skip("the slot watcher's tracepoint needs tracefs, which is "
                   "not mounted here")
    t.require(p.returncode == 0, f"precopy-trace --domain: exit "
              f"{p.returncode}: {p.stderr.strip()[-300:]}")
    ivs = [json.loads(x) for x in p.stdout.splitlines()
           if '"interval"' in x]
    t.check(len(ivs) == 3 and ivs[-1]["dirty_pages"] > 0,
            f"3 intervals with dirty pages: {ivs[-1:]}")


@t.test
def test_virsh_migrate_by_the_plan():
    setup()
    env = dict(os.environ, LIBVIRT_DEFAULT_URI=uri("a"))
    ring = f"/dev/shm/precopy-libvirt-test.{os.getpid()}"
    port = free_port()
    mport = 49152 + os.getpid() % 60
    src = qemu_pid()
    t.require(src, "the source QEMU runs")
    ram_src = open_ram(src)
    # Its output goes to files: a pipe nobody reads during the migration
    # fills (64 KiB, ~84 plans' JSON lines), the planner blocks on its
    # write, its heartbeat goes stale and QEMU drops its plans.
    plan_out = open(os.path.join(tmp, "plan.jsonl"), "w+")
    plan_err = open(os.path.join(tmp, "plan.stderr"), "w+")
    plan = subprocess.Popen(
        [bin_path("precopy-plan"), "-j", "--once", "--ring", ring,
         "--domain", NAME, "--prometheus", f"127.0.0.1:{port}",
         "--downtime-limit", "1000", "--bandwidth", "4"],
        stdout=plan_out, stderr=plan_err, text=True, env=env)
    ram_dst = None
    try:
        deadline = time.time() + 30
        set_ok = False
        while time.time() < deadline and plan.poll() is None:
            reply = virsh("a", "qemu-monitor-command", NAME,
                          '{"execute":"query-migrate-parameters"}')
            if ring in reply:
                set_ok = True
                break
            time.sleep(0.3)
        t.require(set_ok, "precopy-plan --domain set x-precopy-plan "
                  "through libvirt")
        virsh("a", "migrate-setmaxdowntime", NAME, "1000")
        metrics = []
        mig = subprocess.Popen(
            ["virsh", "-c", uri("a"), "migrate", "--live", "--suspend",
             "--bandwidth", "4", NAME, uri("b"), "--migrateuri",
             f"tcp://127.0.0.1:{mport}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.time()
        while mig.poll() is None and time.time() - t0 < 300:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    metrics.append(r.read().decode())
            except OSError:
                pass
        if mig.poll() is None:
            mig.kill()
        _, err = mig.communicate()
        t.require(mig.returncode == 0, f"virsh migrate --live: {err.strip()}")
        took = time.time() - t0
        state_b = virsh("b", "domstate", NAME)
        t.check(state_b == "paused", f"the domain is paused on the "
                f"destination daemon (--suspend): {state_b!r}")
        t.check(virsh("a", "list", "--name") == "",
                "the source daemon no longer runs it")
        dst = qemu_pid()
        t.require(dst and dst != src, "the destination QEMU runs")
        ram_dst = open_ram(dst)
        diff = nonzero = 0
        page = 4096
        for off in range(0, MEM_MIB << 20, 1 << 20):
            a = os.pread(ram_src, 1 << 20, off)
            b = os.pread(ram_dst, 1 << 20, off)
            if a != b:
                for i in range(0, len(a), page):
                    if a[i:i + page] != b[i:i + page]:
                        diff += 1
                        if diff <= 5:
                            n = sum(x != y for x, y in
                                    zip(a[i:i + page], b[i:i + page]))
                            print(f"  page at 0x{off + i:x} differs "
                                  f"({n} bytes)")
            nonzero += sum(a[i:i + page].count(0) != page
                           for i in range(0, len(a), page))
        print(f"  virsh migrate --live: {took:.1f} s; memory: "
              f"{MEM_MIB} MiB compared, {nonzero} pages written, "
              f"{diff} differ")
        if diff:
            # what the source QEMU said of its dirty ring and of the plan
            qlog = os.path.join(tmp, "a", "log", "qemu", NAME + ".log")
            try:
                with open(qlog, errors="replace") as f:
                    for line in f:
                        if "dirty ring" in line or "x-precopy-plan" in line:
                            print("  source QEMU: " + line.strip()[:300])
            except OSError as e:
                print(f"  no source QEMU log: {e}")
        t.check(diff == 0, f"destination memory equals the source's "
                f"({diff} pages differ)")
        t.check(nonzero > 1000, f"the guest wrote its memory ({nonzero} "
                "non-zero pages)")
        try:
            plan.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stop(plan)
        plan_out.seek(0)
        plan_err.seek(0)
        out, perr = plan_out.read(), plan_err.read()
        t.check(plan.returncode == 0, f"precopy-plan --once exited "
                f"{plan.returncode}: {perr.strip()[-300:]}")
        objs = [json.loads(x) for x in out.splitlines() if x.strip()]
        plans = sum(o["type"] == "plan" and o["published"] for o in objs)
        done = [o for o in objs if o.get("event") == "complete"]
        used = re.search(r"QEMU used (\d+) plans", done[-1]["note"]) \
            if done else None
        print(f"  precopy-plan: {plans} plans published; "
              f"{done[-1]['note'] if done else 'no complete event'}")
        t.check(used and int(used.group(1)) > 0,
                "QEMU followed the plans during virsh migrate")
        stale = re.search(r"fell back \d+ \+ (\d+) \(stale\)",
                          done[-1]["note"]) if done else None
        t.check(stale and int(stale.group(1)) == 0,
                "the planner's heartbeat never went stale during the "
                "migration")
        # The planner's metrics name the domain as libvirt does.
        body = next((m for m in reversed(metrics)
                     if "precopy_plan_plans_total" in m), "")
        t.require(body, "/metrics scraped during the migration")
        problems, fams = prom.check(body)
        t.check(not problems, f"exposition accepted: {problems[:3]}")
        lab = prom.labels_of(fams, "precopy_plan_plans_total")
        t.check(lab.get("name") == NAME and lab.get("uuid") == UUID,
                f"metrics labelled name={NAME} uuid={UUID}: {lab}")
    finally:
        os.close(ram_src)
        if ram_dst is not None:
            os.close(ram_dst)
        stop(plan)
        plan_out.close()
        plan_err.close()
        try:
            os.unlink(ring)
        except OSError:
            pass


sys.exit(t.finish())
