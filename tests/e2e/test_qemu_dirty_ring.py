#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The patched QEMU keeps a guest running through dirty-ring overflows.

On this project's build machines (Linux 6.18, kvm_pvm) KVM emulates guest
stores in batches and can push past a full dirty ring. Afterwards KVM
counts entries whose places the next reset cleared: an unpatched QEMU
finds nothing to harvest at its fetch index for good, never resets the
ring again, and the vCPU loops on KVM_EXIT_DIRTY_RING_FULL: the guest
stops (README, "Known host bugs"). tools/qemu/patches/0003 skips those
entries (and marks all memory dirty, as entries were lost). An
overflowing KVM also writes into entries QEMU has just collected, and its
reset then passes fewer entries than QEMU reaped: QEMU 10.0.2 asserts
they are equal and aborted (CI44, in the fifth window); the patch moves
its fetch index to where KVM's reset stopped.

The trigger: QEMU's own calc-dirty-rate in dirty-ring mode, windows of
1 s, on the workload guest sweeping 512 MiB with delay=4 (it stopped
Debian's QEMU 7.2 and the unpatched 10.0.2 in the first window, 4 of 4
tries). The second case needs QEMU's reaping thread preempted while the
vCPU runs on past the full ring: the windows run beside one CPU spinner
per host CPU (the patch without that part aborted in 1 of 8 runs of 20
windows so, and in none of 10 on an idle host).
Asserted: with the patched QEMU the guest writes after every
window. Whether this host overflowed at all is printed (QEMU warns once):
on a host that does not, the test passes without having met the case.
The system QEMU's fate on the same guest is printed, not asserted.
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Harness, Skip, QemuVM, dies_with_parent,  # noqa: E402
                     project_qemu)

t = Harness()
QEMU = project_qemu()
GUEST = "pattern=seqsweep delay=4"
WINDOWS = 16
SPIN_S = 300        # a spinner's longest life
tmp = tempfile.mkdtemp(prefix="precopy-ring-")
atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # SIGTERM too


def need(qemu):
    if os.geteuid() != 0:
        raise Skip("needs root (/dev/kvm)")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Skip("no usable /dev/kvm")
    if not qemu or not os.access(qemu, os.X_OK):
        raise Skip(f"no QEMU at {qemu}")


def spinners():
    """One busy process per host CPU; each dies with this test (parent
    death signal) or after SPIN_S."""
    code = (f"import time\nend = time.time() + {SPIN_S}\n"
            "while time.time() < end:\n    pass\n")
    return [subprocess.Popen([sys.executable, "-c", code],
                             preexec_fn=dies_with_parent(signal.SIGKILL))
            for _ in range(os.cpu_count() or 1)]


def windows(qemu, n, load=False):
    """n calc-dirty-rate windows of 1 s on a fresh guest (with load: beside
    spinners()). Returns (the windows the guest kept writing through,
    QEMU's stderr)."""
    vm = QemuVM(tempfile.mkdtemp(dir=tmp), GUEST, mem_mib=512, qemu=qemu,
                start_timeout=60)
    alive = 0
    spin = []
    try:
        vm.wait_guest(timeout=120)
        if load:
            spin = spinners()
        for _ in range(n):
            t0 = time.time()
            vm.qmp.cmd("calc-dirty-rate", **{"calc-time": 1,
                                             "mode": "dirty-ring"})
            # "unstarted" until QEMU's measuring thread runs
            while (vm.qmp.cmd("query-dirty-rate")["status"] != "measured"
                   and time.time() - t0 < 20):
                time.sleep(0.05)
            if vm.stalled(wait=1.0):
                break
            alive += 1
    except OSError as e:
        # QMP broke: QEMU died; say how, with what it printed (CI42 lost it)
        vm.close()
        err = vm.proc.stderr.read() if vm.proc.stderr else ""
        raise AssertionError(f"QEMU quit after {alive} windows ({e!r}, exit "
                             f"status {vm.proc.returncode}): "
                             f"{err.strip()[-2000:]}") from e
    finally:
        for p in spin:
            p.kill()
            p.wait()
        vm.close()
    return alive, vm.proc.stderr.read() if vm.proc.stderr else ""


@t.test
def test_patched_qemu_guest_survives_ring_overflows():
    need(QEMU)
    alive, err = windows(QEMU, WINDOWS, load=True)
    overflowed = "was full to its last entry" in err
    skipped = "lost to an overflow" in err
    resynced = "where KVM stopped" in err
    print(f"  patched QEMU: the guest wrote after {alive} of {WINDOWS} "
          f"windows; ring overflowed: {'yes' if overflowed else 'no'}"
          f"{', lost entries skipped' if skipped else ''}"
          f"{', a reset that fell short resynchronized' if resynced else ''}")
    for line in err.splitlines():
        if "dirty ring" in line:
            print(f"    {line.strip()}")
    t.check(alive == WINDOWS, f"the guest kept writing: {alive} of "
            f"{WINDOWS} windows")


@t.test
def test_system_qemu_on_the_same_guest():
    # The host bug shown on the stock QEMU (printed, not asserted: on a
    # host whose KVM does not overflow the ring it keeps running).
    q = shutil.which("qemu-system-x86_64")
    need(q)
    alive, _ = windows(q, 4)
    print(f"  {q}: the guest wrote after {alive} of 4 windows"
          f"{'' if alive == 4 else ' (stopped: the host KVM overflowed its dirty ring)'}")


sys.exit(t.finish())
