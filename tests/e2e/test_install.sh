#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/e2e/test_install.sh - `make install` into a temporary DESTDIR, and
# the installed commands run from there, after the staged tree was moved
# (so nothing can come from the build tree or the source tree):
#
# - the layout: bin/precopy-*, libexec/precopy/ (guest.elf, the preload
#   library, the patched QEMU and the Linux guest when built), man pages
#   that render and name each command, the JSON schemas; regular files, no
#   links back into the build tree;
# - precopy-sim replays a shipped trace (JSON checked);
# - precopy-vm boots the installed guest.elf for two epochs (root, KVM);
# - precopy-trace traces a process through the installed preload (root);
# - precopy-migrate migrates by the plan with the installed QEMU, guest
#   and precopy-plan, and the memory is equal (root, KVM, patched QEMU);
# - a helper that is missing is named in a one-line error;
# - make uninstall removes every file install wrote.
#
# Env: OUT (build folder, default build). Output: TAP (tests/harness.h).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
OUT=${OUT:-build}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
TMP=$(mktemp -d "${TMPDIR:-/tmp}/precopy-install-test.XXXXXX")
STAGE=$TMP/stage
PREFIX=/opt/precopy

. "$ROOT/tests/lib/tap.sh"
ok() { tap_ok "$@"; }
fail() { tap_fail "$@"; }
skip() { tap_skip "$@"; }
tap_start

cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

is_root() { [[ $(id -u) -eq 0 ]]; }
have_kvm() { [[ -r /dev/kvm && -w /dev/kvm ]]; }

# --- install -------------------------------------------------------------------
if ! make -C "$ROOT" --no-print-directory -s install O="$OUT" \
	DESTDIR="$STAGE" PREFIX="$PREFIX" >"$TMP/install.log" 2>&1; then
	fail install "make install failed: $(tail -n 3 "$TMP/install.log" | tr '\n' '|')"
	tap_end
	exit 1
fi
ok install

# The staged tree moves elsewhere: the commands must find their helpers
# from their own location, not from where they were built or installed.
I=$TMP/moved
mv "$STAGE$PREFIX" "$I"
BIN=$I/bin LX=$I/libexec/precopy

missing=()
for c in precopy-trace precopy-vm precopy-sim precopy-migrate precopy-plan; do
	[[ -f $BIN/$c && -x $BIN/$c && ! -L $BIN/$c ]] || missing+=("bin/$c")
	[[ -f $I/share/man/man1/$c.1 ]] || missing+=("man1/$c.1")
done
for f in guest.elf libprecopy-preload.so; do
	[[ -f $LX/$f && ! -L $LX/$f ]] || missing+=("libexec/precopy/$f")
done
for s in trace sim plan migrate vm; do
	[[ -f $I/share/precopy/precopy-$s.schema.json ]] || missing+=("share/precopy/precopy-$s.schema.json")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	ok install_layout
else
	fail install_layout "missing or not a regular file: ${missing[*]}"
fi
links=$(find "$I" -type l | head -n 3)
if [[ -z $links ]]; then
	ok install_no_links_into_the_build
else
	fail install_no_links_into_the_build "symbolic links installed: $links"
fi

# Man pages render and say what each command is.
bad=()
for c in precopy-trace precopy-vm precopy-sim precopy-migrate precopy-plan; do
	text=$(MANWIDTH=100 man -l -P cat "$I/share/man/man1/$c.1" 2>/dev/null)
	grep -q "^ *$c - " <<<"$text" && grep -q -- '--help' <<<"$text" || bad+=("$c")
done
if [[ ${#bad[@]} -eq 0 ]]; then
	ok man_pages_render
else
	fail man_pages_render "no NAME line or options in: ${bad[*]}"
fi

# --- the installed commands, run from the moved tree ---------------------------
cd /
if out=$("$BIN/precopy-sim" --trace "$ROOT/tests/data/vm/hotcold.pctrace" \
	--algo prob,qemu -b 64 -d 300 --json 2>"$TMP/sim.err") &&
	python3 -c '
import json, sys
objs = [json.loads(l) for l in sys.stdin if l.strip()]
assert [o["algo"] for o in objs] == ["prob", "qemu"], objs
assert all(o["version"] == 2 and o["verified"] and o["sent_pages"] > 0 for o in objs)
print("# precopy-sim (installed): prob %d pages, qemu %d pages" %
      (objs[0]["sent_pages"], objs[1]["sent_pages"]))' <<<"$out"; then
	ok installed_sim_replays_a_trace
else
	fail installed_sim_replays_a_trace "$(head -c 300 "$TMP/sim.err") $(head -c 300 <<<"$out")"
fi

if ! is_root || ! have_kvm; then
	skip installed_vm_boots_the_installed_guest "needs root and /dev/kvm"
elif out=$(timeout 120 "$BIN/precopy-vm" -j -n 2 -E 300 -m 64 hotcold 2>"$TMP/vm.err") &&
	[[ $(grep -c '"type":"epoch"' <<<"$out") -eq 2 ]] &&
	grep -q '"dirty_pages":[1-9]' <<<"$out"; then
	ok installed_vm_boots_the_installed_guest
else
	fail installed_vm_boots_the_installed_guest "$(tail -n 2 "$TMP/vm.err" | tr '\n' '|') $(head -c 200 <<<"$out")"
fi

if ! is_root; then
	skip installed_trace_loads_the_installed_preload "needs root (BPF)"
elif timeout 120 "$BIN/precopy-trace" -E 100 -o "$TMP/trace.report" \
	--record "$TMP/proc.trace" 1 2 -- sh -c 'sleep 3' >"$TMP/trace.out" 2>&1 &&
	[[ -s $TMP/proc.trace ]]; then
	ok installed_trace_loads_the_installed_preload
else
	fail installed_trace_loads_the_installed_preload "$(tail -n 3 "$TMP/trace.out" | tr '\n' '|')"
fi

if [[ ! -x $LX/qemu-system-x86_64 ]]; then
	skip installed_migrate_by_the_plan "no patched QEMU was installed (make qemu before make install)"
elif ! is_root || ! have_kvm; then
	skip installed_migrate_by_the_plan "needs root and /dev/kvm"
elif out=$(timeout 300 "$BIN/precopy-migrate" -j --mode plan --warmup 2 \
	--workdir "$TMP" 2>"$TMP/migrate.err") &&
	python3 -c '
import json, sys
objs = [json.loads(l) for l in sys.stdin if l.strip()]
run = next(o for o in objs if o["type"] == "run")
assert run["status"] == "completed" and run["memory_equal"], run
assert run["plans_used"] > 0 and run["planner_status"] == 0, run
print("# precopy-migrate (installed): %s in %d ms, %d plans, memory equal" %
      (run["status"], run["total_time_ms"], run["plans_used"]))' <<<"$out"; then
	ok installed_migrate_by_the_plan
else
	fail installed_migrate_by_the_plan "$(tail -n 2 "$TMP/migrate.err" | tr '\n' '|') $(head -c 300 <<<"$out")"
fi

# A missing helper is named in one line.
mv "$LX/guest.elf" "$LX/guest.elf.away"
err=$("$BIN/precopy-migrate" --accel kvm 2>&1 >/dev/null)
mv "$LX/guest.elf.away" "$LX/guest.elf"
if [[ $(wc -l <<<"$err") -eq 1 && $err == *"$LX/guest.elf"* ]]; then
	ok missing_helper_named
else
	fail missing_helper_named "got: $err"
fi

# --- uninstall -----------------------------------------------------------------
mv "$I" "$STAGE$PREFIX"
if make -C "$ROOT" --no-print-directory -s uninstall O="$OUT" \
	DESTDIR="$STAGE" PREFIX="$PREFIX" >"$TMP/uninstall.log" 2>&1 &&
	[[ -z $(find "$STAGE" -type f -o -type l | head -n 1) ]]; then
	ok uninstall_removes_everything
else
	fail uninstall_removes_everything "left: $(find "$STAGE" -type f | head -n 3 | tr '\n' ' ')"
fi

tap_end
