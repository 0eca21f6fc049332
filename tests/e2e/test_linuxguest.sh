#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/e2e/test_linuxguest.sh - the Linux test guest (tools/linuxguest):
# it builds, a second build is a no-op, and Debian's QEMU under TCG boots
# it: memwork reports ready within the timeout, then progress lines with
# verify=ok follow; a rate limit is kept; a bad parameter gives the
# "memwork: error:" line.
#
# Env: QEMU (default /usr/bin/qemu-system-x86_64),
#      LINUXGUEST_BOOT_TIMEOUT (seconds to "memwork: ready", default 180:
#      under TCG on a busy machine a boot takes 5-20 s).
# Prints TAP version 14 (13 under a prove older than 3.48, as
# tests/harness.h): "ok N - NAME", "not ok N - NAME" after a "# why" line,
# "ok N - NAME # SKIP reason", then the plan "1..N" and a final
# "# N passed, N failed, N skipped".
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
BOOT_TIMEOUT=${LINUXGUEST_BOOT_TIMEOUT:-180}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/linuxguest-test.XXXXXX")
qemu_pid=

. "$ROOT/tests/lib/tap.sh"
ok() { tap_ok "$@"; }
fail() { tap_fail "$@"; }
skip() { tap_skip "$@"; }
tap_start

stop_qemu() {
	if [[ -n $qemu_pid ]]; then
		kill "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
		qemu_pid=
	fi
}
cleanup() {
	stop_qemu
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# boot LOG APPEND...: start the guest under TCG, serial console into LOG.
boot() {
	local log=$1
	shift
	: >"$log"
	nice "$QEMU" -accel tcg -m 256 -display none -nic none -monitor none \
		-serial "file:$log" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet $*" </dev/null >>"$log.qemu" 2>&1 &
	qemu_pid=$!
}

# wait_for LOG REGEX COUNT SECS: wait until COUNT lines of LOG match REGEX
# (extended), while QEMU runs. Returns 1 on timeout or QEMU's death.
wait_for() {
	local log=$1 re=$2 count=$3 deadline=$((SECONDS + $4))
	while ((SECONDS < deadline)); do
		(($(grep -aEc "$re" "$log") >= count)) && return 0
		kill -0 "$qemu_pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# last_lines LOG: the guest's last console lines, for a failure message.
last_lines() {
	tail -n 3 "$1" "$1.qemu" 2>/dev/null | tr -d '\r' | grep -v '^$' | tr '\n' '|'
}

# --- build -------------------------------------------------------------------
KERNEL= INITRD=
if out=$("$ROOT/tools/linuxguest/build" 2>"$TMP/build.err"); then
	KERNEL=$(sed -n 1p <<<"$out") INITRD=$(sed -n 2p <<<"$out")
	if [[ -s $KERNEL && -s $INITRD ]]; then
		ok linuxguest_build
	else
		fail linuxguest_build "it printed '$out', not two files"
		KERNEL=
	fi
else
	fail linuxguest_build "$(tail -n 1 "$TMP/build.err")"
fi

if [[ -n $KERNEL ]]; then
	before=$(stat -c %Y.%i "$INITRD")
	"$ROOT/tools/linuxguest/build" >/dev/null 2>"$TMP/build2.err"
	after=$(stat -c %Y.%i "$INITRD")
	if [[ -s $TMP/build2.err ]]; then
		fail linuxguest_rebuild_noop "second build said: $(head -n 1 "$TMP/build2.err")"
	elif [[ $before != "$after" ]]; then
		fail linuxguest_rebuild_noop "second build rewrote $INITRD"
	else
		ok linuxguest_rebuild_noop
	fi
	# The initramfs holds /init, /dev/console and /proc.
	list=$(zcat "$INITRD" | cpio -it --quiet 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')
	if [[ $list == "dev dev/console init proc " ]]; then
		ok linuxguest_initrd_contents
	elif [[ $list == "dev init proc " && $(id -u) -ne 0 ]]; then
		ok linuxguest_initrd_contents # without mknod rights; devtmpfs stands in
	else
		fail linuxguest_initrd_contents "it holds: $list"
	fi
fi

# --- boots ---------------------------------------------------------------------
boot_tests() {
	local log=$TMP/hotcold.log t0 t
	t0=$SECONDS
	boot "$log" memwork.pattern=hotcold memwork.mib=64 memwork.hot_mib=4 memwork.hotpct=90
	if wait_for "$log" '^memwork: ready pattern=hotcold mib=64 ' 1 "$BOOT_TIMEOUT"; then
		t=$((SECONDS - t0))
		echo "# linuxguest: 'memwork: ready' ${t} s after QEMU started"
		ok linuxguest_tcg_ready
		if wait_for "$log" '^memwork: t=[0-9.]+s writes=[1-9][0-9]* rate=[0-9]+/s verify=ok' 2 30; then
			ok linuxguest_tcg_progress
		else
			fail linuxguest_tcg_progress "no two progress lines in 30 s: $(last_lines "$log")"
		fi
		# The guest-physical map: hot and cold runs, then the count.
		if grep -aqE '^memwork: map hot 0x[0-9a-f]+-0x[0-9a-f]+' "$log" &&
			grep -aqE '^memwork: map cold 0x[0-9a-f]+-0x[0-9a-f]+' "$log" &&
			grep -aqE '^memwork: map runs=[1-9]' "$log"; then
			ok linuxguest_tcg_map
		else
			fail linuxguest_tcg_map "no 'memwork: map' hot, cold and runs= lines: $(grep -a 'memwork: map' "$log" | head -n 3 | tr '\n' '|')"
		fi
		if grep -aq 'memwork: error' "$log"; then
			fail linuxguest_tcg_no_error "$(grep -a 'memwork: error' "$log" | head -n 1)"
		else
			ok linuxguest_tcg_no_error
		fi
	else
		fail linuxguest_tcg_ready "no 'memwork: ready' in $BOOT_TIMEOUT s: $(last_lines "$log")"
		skip linuxguest_tcg_progress "not ready"
		skip linuxguest_tcg_map "not ready"
		skip linuxguest_tcg_no_error "not ready"
	fi
	stop_qemu

	# A rate limit is kept: 2000 writes/s, within 10 % on the 2nd report.
	log=$TMP/rate.log
	boot "$log" memwork.pattern=random memwork.mib=16 memwork.rate=2000 memwork.report=1
	if wait_for "$log" '^memwork: t=.* rate=' 3 "$BOOT_TIMEOUT"; then
		rate=$(grep -aE '^memwork: t=.* rate=' "$log" | sed -n 3p | sed 's/.* rate=\([0-9]*\).*/\1/')
		if ((rate >= 1800 && rate <= 2200)); then
			echo "# linuxguest: asked 2000 writes/s, got ${rate}/s"
			ok linuxguest_tcg_rate
		else
			fail linuxguest_tcg_rate "asked 2000 writes/s, got ${rate}/s"
		fi
	else
		fail linuxguest_tcg_rate "no progress lines in $BOOT_TIMEOUT s: $(last_lines "$log")"
	fi
	stop_qemu

	# A bad parameter: one error line, and the guest stays up (PID 1
	# sleeps instead of exiting, which would panic the kernel).
	log=$TMP/bad.log
	boot "$log" memwork.pattern=bogus
	if wait_for "$log" '^memwork: error: bad memwork.pattern=bogus' 1 "$BOOT_TIMEOUT"; then
		sleep 1
		if grep -aq 'Kernel panic' "$log" || ! kill -0 "$qemu_pid" 2>/dev/null; then
			fail linuxguest_tcg_bad_param "the guest did not stay up: $(last_lines "$log")"
		elif grep -aq '^memwork: ready' "$log"; then
			fail linuxguest_tcg_bad_param "it went on to 'memwork: ready'"
		else
			ok linuxguest_tcg_bad_param
		fi
	else
		fail linuxguest_tcg_bad_param "no 'memwork: error:' line in $BOOT_TIMEOUT s: $(last_lines "$log")"
	fi
	stop_qemu
}

if [[ -z $KERNEL ]]; then
	for n in tcg_ready tcg_progress tcg_map tcg_no_error tcg_rate tcg_bad_param; do
		skip "linuxguest_$n" "the guest did not build"
	done
elif [[ ! -x $QEMU ]]; then
	for n in tcg_ready tcg_progress tcg_map tcg_no_error tcg_rate tcg_bad_param; do
		skip "linuxguest_$n" "no $QEMU (make deps installs qemu-system-x86)"
	done
else
	boot_tests
fi

tap_end
