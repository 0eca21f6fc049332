#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_qemu_migration_test.sh - QEMU's own tests/qtest/migration-test (the
# default list) against the patched QEMU with x-precopy-plan set for every
# migration and precopy-plan --source sync serving the ring: the patch must
# not break QEMU's migration, and the migrations must follow the plans
# (tools/qemu/migration-test fails when no iteration did). About 15 min.
# The default list without a plan and the precopy and multifd groups of
# --full, with and without a plan, run in `make bench`
# (tests/bench/bench_qemu_migration_test.sh).
# Env: OUT (build dir), QEMU_CACHE (default .cache/qemu).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${QEMU_CACHE:-$ROOT/.cache/qemu}
if [[ ! -x $CACHE/bin/qemu-system-x86_64 || ! -f $CACHE/build/build.ninja ]]; then
	. "$ROOT/tests/lib/tap.sh"
	tap_start
	tap_skip qemu_migration_test "no patched QEMU build in $CACHE (make qemu)"
	tap_end
	exit 0
fi
exec "$ROOT/tools/qemu/migration-test" --plan --timeout 3600
