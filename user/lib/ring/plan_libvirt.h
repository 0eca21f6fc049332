/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan_libvirt.h - serving the plan ring to the QEMU of a libvirt domain.
 *
 * libvirt owns its QEMU's monitor, so the migration parameter that points
 * the patched QEMU at the ring is set through libvirt's monitor
 * passthrough (util/virsh.h): the same as
 *
 *   virsh qemu-monitor-command DOMAIN \
 *       '{"execute":"migrate-set-parameters",
 *         "arguments":{"x-precopy-plan":"/dev/shm/precopy-plan"}}'
 *
 * libvirt sets only the migration parameters it knows when it migrates,
 * so this one stays for the `virsh migrate --live` that follows.
 */
#ifndef PRECOPY_PLAN_LIBVIRT_H
#define PRECOPY_PLAN_LIBVIRT_H

#include <stddef.h>
#include <sys/types.h>

/*
 * plan_libvirt__attach() finds the running QEMU of `domain` (*pid; its
 * UUID into uuid, 37 bytes) and sets its x-precopy-plan to `ring` (made
 * absolute). Returns 0, or a negative errno with a one-sentence reason in
 * err: no virsh, no such domain, not running, a QEMU without the precopy
 * patches (x-precopy-plan unknown).
 */
int plan_libvirt__attach(const char *domain, const char *ring, pid_t *pid,
			 char *uuid, char *err, size_t errlen);

#endif /* PRECOPY_PLAN_LIBVIRT_H */
