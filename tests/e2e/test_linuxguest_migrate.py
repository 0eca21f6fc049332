#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Live migration of the Linux test guest (tools/linuxguest) under TCG,
between two QEMU processes over loopback:

- the migration completes while memwork writes (random, 5000 pages/s);
- on the destination the guest goes on: memwork's progress lines follow,
  each after a verify pass over every page (a page lost or sent stale
  would be an "memwork: error: verify" line), and the kernel does not oops.

QEMU: $LINUXGUEST_MIGRATE_QEMU, else the project's QEMU 10.0.2 if built
(.cache/qemu/bin, `make qemu`). Debian's QEMU 7.2 is not used by default:
it corrupts this guest's kernel in TCG migrations while memwork writes
(see tools/linuxguest/README.md); point LINUXGUEST_MIGRATE_QEMU at it to
see that.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import QMP, Harness, Skip, dies_with_parent, stop  # noqa

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BOOT_TIMEOUT = int(os.environ.get("LINUXGUEST_BOOT_TIMEOUT", "180"))
t = Harness()
tmp = tempfile.mkdtemp(prefix="linuxguest-migrate-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # SIGTERM too


def migrate_qemu():
    q = os.environ.get("LINUXGUEST_MIGRATE_QEMU")
    if q:
        return q
    q = os.path.join(os.environ.get("QEMU_CACHE", os.path.join(ROOT, ".cache", "qemu")),
                     "bin", "qemu-system-x86_64")
    if os.access(q, os.X_OK):
        return q
    raise Skip("the project's QEMU is not built (make qemu), and Debian's 7.2 "
               "corrupts this guest in TCG migrations; or set LINUXGUEST_MIGRATE_QEMU")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Guest:
    def __init__(self, qemu, kernel, initrd, name, append, extra=()):
        self.serial = os.path.join(tmp, name + ".serial")
        self.qmp_path = os.path.join(tmp, name + ".qmp")
        open(self.serial, "w").close()
        self.proc = subprocess.Popen(
            ["nice", qemu, "-accel", "tcg", "-m", "256", "-display", "none",
             "-nic", "none", "-monitor", "none", "-no-user-config",
             "-L", "/usr/share/seabios", "-L", "/usr/share/qemu",
             "-serial", "file:" + self.serial,
             "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
             "-kernel", kernel, "-initrd", initrd, "-append", append, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=dies_with_parent(signal.SIGKILL))
        self.qmp = None
        try:
            self.qmp = QMP(self.qmp_path)
        except Exception:
            self.close()
            raise

    def text(self):
        with open(self.serial, errors="replace") as f:
            return f.read()

    def wait(self, what, count, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.text()
            if text.count(what) >= count:
                return True
            if "Kernel panic" in text:
                return False
            if self.proc.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def close(self):
        if self.qmp:
            self.qmp.close()
        stop(self.proc, timeout=10)


@t.test
def test_linuxguest_tcg_migrate():
    qemu = migrate_qemu()
    p = subprocess.run([os.path.join(ROOT, "tools", "linuxguest", "build")],
                       capture_output=True, text=True)
    t.require(p.returncode == 0, "tools/linuxguest/build: " + p.stderr.strip()[-300:])
    kernel, initrd = p.stdout.split()
    append = ("console=ttyS0 quiet memwork.pattern=random memwork.mib=64 "
              "memwork.rate=5000 memwork.report=1")
    port = free_port()
    src = Guest(qemu, kernel, initrd, "src", append)
    dst = None
    try:
        dst = Guest(qemu, kernel, initrd, "dst", append,
                    ["-incoming", f"tcp:127.0.0.1:{port}"])
        t.require(src.wait("memwork: ready", 1, BOOT_TIMEOUT),
                  f"no 'memwork: ready' in {BOOT_TIMEOUT} s: {src.text()[-300:]!r}")
        t.require(src.wait("verify=ok", 1, 30), "no progress line on the source")
        src.qmp.cmd("migrate-set-parameters", **{"downtime-limit": 300,
                                                  "max-bandwidth": 100 << 20})
        t0 = time.time()
        src.qmp.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
        while True:
            r = src.qmp.cmd("query-migrate")
            if r.get("status") in ("completed", "failed", "cancelled"):
                break
            t.require(time.time() - t0 < 120, f"migration not done in 120 s: {r}")
            time.sleep(0.5)
        t.require(r["status"] == "completed", f"migration {r['status']}: {r}")
        print(f"# migrated in {r.get('total-time')} ms, downtime "
              f"{r.get('downtime')} ms, {r['ram']['transferred'] >> 20} MiB sent",
              flush=True)
        ok = dst.wait("verify=ok", 3, 60)
        out = dst.text()
        for bad in ("memwork: error", "Oops", "Kernel panic", "BUG:"):
            lines = [line for line in out.splitlines() if bad in line]
            t.check(not lines, f"destination console: {lines[:1]}")
        t.check(ok, f"destination: no 3 verified progress lines in 60 s: {out[-300:]!r}")
    finally:
        src.close()
        if dst:
            dst.close()


sys.exit(t.finish())
