#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""precopy-trace needs no tracefs, whether or not the machine has it
mounted (a fresh machine without systemd has none; the vmtest VMs and
machines with systemd do).

Every case runs precopy-trace in a private mount namespace
(`unshare -m`) where tracefs and debugfs (whose tracing/ folder
automounts tracefs) are unmounted, checks that they are, and then:
- follows a running QEMU (-p: the memory-slot watcher, the tracker) and
  sees its guest's writes;
- attaches the fault hooks (kvm_page_fault, fast_page_fault) alone;
- traces a process (-- CMD: the page-fault tracker).
The first case runs a second time with tracefs mounted in the namespace,
so the test says the same on every machine. Runs on the host; in
`make vmtest` (Debian's 6.1 and 6.12 kernels) the QEMU cases are
skipped (skip_nested_qemu) and the process case runs.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Harness, Skip, QemuVM, bin_path,  # noqa: E402
                     need_root_kvm, on_running_guest, skip_nested_qemu)

t = Harness()
TRACE = bin_path("precopy-trace")
tmp = tempfile.mkdtemp(prefix="test_no_tracefs.")

# Unmount tracefs wherever it is, and debugfs (tracing/ under it is an
# automount of tracefs), in this namespace only; then refuse to go on if
# any tracefs is still visible.
UNMOUNT = r"""
for m in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do
	while mountpoint -q "$m"; do umount -l "$m" || exit 98; done
done
if grep -qw tracefs /proc/self/mounts || [ -e /sys/kernel/tracing/events ] \
		|| [ -e /sys/kernel/debug/tracing/events ]; then
	echo "tracefs is still mounted" >&2
	exit 99
fi
"""
MOUNT = r"""
mountpoint -q /sys/kernel/tracing ||
	mount -t tracefs nodev /sys/kernel/tracing || exit 97
[ -e /sys/kernel/tracing/events ] || { echo "no tracefs" >&2; exit 99; }
"""


def in_namespace(setup, args, timeout=120):
    """Run precopy-trace ARGS in a new private mount namespace after the
    shell code `setup`."""
    script = setup + 'exec "$@"\n'
    return subprocess.run(["unshare", "-m", "--propagation", "private",
                           "sh", "-c", script, "sh", TRACE, *args],
                          capture_output=True, text=True, timeout=timeout)


def need_unshare():
    need_root_kvm()
    if not shutil.which("unshare") or not shutil.which("mountpoint"):
        raise Skip("unshare or mountpoint (util-linux) not installed")


qemu = None


def qemu_vm(fresh=False):
    """A QEMU for the tests that need one, started by the first. With
    fresh, a new one (the previous one closed): each case that counts the
    guest's writes gets a guest no earlier trace ran on. On this host's
    KVM (kvm_pvm) a guest traced with -p sometimes stops for good: the
    host KVM emulates guest stores in batches and pushes past a full
    dirty ring (the kernel logs "WARNING ... kvm_dirty_ring_push"), after
    which the vCPU loops on KVM_EXIT_DIRTY_RING_FULL. QEMU's own
    calc-dirty-rate windows trigger it without precopy-trace (QemuVM.stalled;
    README, "Known host bugs"). A shared guest turned one case's stall
    into the next case's failure."""
    global qemu
    if fresh and qemu is not None:
        qemu.close()
        qemu = None
    if qemu is None:
        d = tempfile.mkdtemp(dir=tmp)
        qemu = QemuVM(d, "pattern=seqsweep pages=8192", mem_mib=64,
                      start_timeout=120)
        qemu.wait_guest(timeout=180)
    return qemu


def guest_progress(vm):
    """The guest's last progress line (serial), to tell a stalled guest
    from a tracer that saw nothing."""
    try:
        with open(vm.serial) as f:
            lines = f.read().strip().splitlines()
        return lines[-1] if lines else "(no serial output)"
    except OSError as e:
        return f"(serial log unreadable: {e})"


def check_run(p, what, want_dirty=True, vm=None, before=None):
    t.check(p.returncode == 0, f"{what}: exit {p.returncode}, stderr "
            f"{p.stderr.strip()[-400:]!r}")
    t.check("tracefs" not in p.stderr and "perf event ID" not in p.stderr,
            f"{what}: stderr speaks of tracefs: {p.stderr!r}")
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    banner = next((x for x in lines if x.get("type") == "start"), {})
    ivs = [x for x in lines if x.get("type") == "interval"]
    print(f"  {what}: {banner.get('hooks', '?')}")
    t.check("tracepoint not found" not in banner.get("hooks", ""),
            f"{what}: a hook missed its tracepoint: {banner}")
    t.check(ivs, f"{what}: no interval reported: {p.stdout[-300:]!r}")
    if want_dirty and ivs:
        pages = sum(x.get("dirty_pages", 0) for x in ivs)
        print(f"  {what}: {pages} dirty pages in {len(ivs)} intervals")
        t.check(pages > 0, f"{what}: the guest's writes were not seen; "
                f"guest before: {before}, after: "
                f"{guest_progress(vm) if vm else '?'}; precopy-trace "
                f"stderr: {p.stderr.strip()[-300:]!r}")
    return ivs


def trace_qemu(setup, what):
    """precopy-trace -p on the shared QEMU after the mount setup."""
    skip_nested_qemu()
    need_unshare()
    # Up to 3 guests: one the host's KVM stopped during the trace (its
    # dirty-ring overflow, QemuVM.stalled) is said and replaced.
    progress = {}  # guest -> its progress before the trace

    def run(vm):
        progress[vm] = guest_progress(vm)
        return in_namespace(setup, ["-j", "-p", str(vm.pid), "1", "3"])
    vm, p, _ = on_running_guest(lambda _: qemu_vm(fresh=True), run, what)
    check_run(p, what, vm=vm, before=progress[vm])


@t.test
def test_qemu_without_tracefs():
    trace_qemu(UNMOUNT, "-p QEMU, tracefs unmounted")


@t.test
def test_qemu_with_tracefs():
    trace_qemu(MOUNT, "-p QEMU, tracefs mounted")


@t.test
def test_fault_hooks_without_tracefs():
    # kvm_page_fault and fast_page_fault attach without tracefs (they fire
    # only where guest code runs on hardware: not necessarily here, so
    # only the attach is asserted).
    skip_nested_qemu()
    need_unshare()
    vm = qemu_vm()
    p = in_namespace(UNMOUNT, ["-j", "-H", "page_fault,fast_pf", "-p",
                               str(vm.pid), "1", "2"])
    check_run(p, "-H page_fault,fast_pf", want_dirty=False)


@t.test
def test_process_without_tracefs():
    need_unshare()
    p = in_namespace(UNMOUNT, ["-j", "0.5", "2", "--", "python3", "-c",
                               "import time; b = bytearray(1 << 24); "
                               "[b.__setitem__(i, 1) for i in "
                               "range(0, 1 << 24, 4096)]; time.sleep(2)"])
    if "WP_ASYNC" in p.stderr:
        raise Skip("this kernel's userfaultfd lacks WP_ASYNC (Linux 6.7+)")
    check_run(p, "-- python3", want_dirty=False)


try:
    status = t.finish()
finally:
    if qemu:
        qemu.close()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(status)
