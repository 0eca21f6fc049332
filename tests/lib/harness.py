# SPDX-License-Identifier: GPL-2.0
"""harness.py - the project's test harness for Python end-to-end tests.

Same output as tests/harness.h: one line per test, "ok NAME", "FAIL NAME"
(with the failed checks above it) or "skip NAME: reason", then
"N passed, N failed, N skipped". Use:

    t = Harness()

    @t.test
    def test_something():
        t.check(a == b, f"a == b: {a} != {b}")

    sys.exit(t.finish())

A test raises Skip("reason") to skip; any other exception fails it with
its message. Also: a QMP client and process helpers shared by the tests.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

OUT = os.environ.get("OUT", "build")


class Skip(Exception):
    """Raised by a test that cannot run here; the message says why."""


class CheckFailed(Exception):
    pass


class Harness:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def check(self, cond, what):
        """Record a failed check (and keep going) when cond is false."""
        if not cond:
            self.failures.append(what)
            print(f"  check failed: {what}", flush=True)
        return bool(cond)

    def require(self, cond, what):
        """Like check, but stop the test."""
        if not cond:
            raise CheckFailed(what)

    def test(self, fn):
        self.failures = []
        try:
            fn()
        except Skip as e:
            self.skipped += 1
            print(f"skip {fn.__name__}: {e}", flush=True)
            return fn
        except CheckFailed as e:
            self.failures.append(str(e))
            print(f"  check failed: {e}", flush=True)
        except Exception as e:  # a test's own error is a failure
            self.failures.append(repr(e))
            print(f"  error: {e!r}", flush=True)
            traceback.print_exc(limit=3, file=sys.stdout)
        if self.failures:
            self.failed += 1
            print(f"FAIL {fn.__name__}", flush=True)
        else:
            self.passed += 1
            print(f"ok {fn.__name__}", flush=True)
        return fn

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed, "
              f"{self.skipped} skipped", flush=True)
        return 1 if self.failed else 0


def need_root_kvm():
    if os.geteuid() != 0:
        raise Skip("needs root (BPF and /dev/kvm)")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Skip("no usable /dev/kvm")


def bin_path(name):
    return os.path.join(OUT, "bin", name)


def guest_elf():
    return os.path.join(OUT, "guest", "guest.elf")


class QMP:
    """A small synchronous QMP client."""

    def __init__(self, path, timeout=10):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile("rw")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError("QMP closed")
            reply = json.loads(line)
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError(f"QMP {name}: {reply['error']}")
            return reply["return"]

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def qemu_binary():
    """The system QEMU (stock, from Debian's packages)."""
    q = shutil.which("qemu-system-x86_64")
    if not q:
        raise Skip("qemu-system-x86_64 is not installed")
    return q


class QemuVM:
    """QEMU running the project's multiboot workload guest under KVM with a
    dirty ring, with a QMP socket. Stopped by close()."""

    def __init__(self, workdir, cmdline, mem_mib=256, ring=True,
                 qemu=None, extra=()):
        # Two QMP monitors: the first for the tool under test (which finds
        # it on the command line), the second for the test itself; a QMP
        # socket serves one client at a time.
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        self.test_qmp_path = os.path.join(workdir, "qmp-test.sock")
        self.serial = os.path.join(workdir, "serial.log")
        accel = "kvm,dirty-ring-size=4096" if ring else "kvm"
        args = [qemu or qemu_binary(), "-accel", accel, "-m", str(mem_mib),
                "-kernel", guest_elf(), "-append", cmdline,
                "-display", "none", "-nic", "none", "-no-user-config",
                "-L", "/usr/share/seabios", "-L", "/usr/share/qemu",
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
                "-qmp", f"unix:{self.test_qmp_path},server=on,wait=off",
                "-serial", f"file:{self.serial}", *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        self.qmp = None
        try:
            self.qmp = QMP(self.test_qmp_path)
        except Exception:
            self.close()
            raise

    def wait_guest(self, timeout=60):
        """Wait until the guest printed its banner (SeaBIOS is slow)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("QEMU exited: " + self.proc.stderr.read())
            try:
                with open(self.serial) as f:
                    if "precopy-guest: pattern=" in f.read():
                        return
            except FileNotFoundError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the guest did not start within %d s" % timeout)

    def close(self):
        if self.qmp:
            try:
                self.qmp.cmd("quit")
            except Exception:
                pass
            self.qmp.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(args, **kw):
    return subprocess.Popen(args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def stop(proc, sig=signal.SIGTERM, timeout=15):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
