/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virsh.h - a libvirt-managed VM, through libvirt's own client.
 *
 * libvirt owns the QEMU monitor of its domains: a second QMP socket is not
 * there to connect to. Its QEMU monitor passthrough is: `virsh
 * qemu-monitor-command DOMAIN JSON` (virDomainQemuMonitorCommand) runs
 * one QMP command in the domain's QEMU and prints the reply. precopy uses
 * it through virsh, so the build needs no libvirt (virsh is Debian's
 * libvirt-clients, wanted only where libvirt runs). The connection is
 * virsh's: $LIBVIRT_DEFAULT_URI, or its default (qemu:///system as root).
 * Every call is bounded in time (VIRSH_TIMEOUT_MS).
 */
#ifndef PRECOPY_VIRSH_H
#define PRECOPY_VIRSH_H

#include <stddef.h>
#include <sys/types.h>

#define VIRSH_TIMEOUT_MS 15000

/*
 * virsh__run() runs `virsh -q ARGV...` (argv NULL-terminated, without
 * "virsh") and puts its standard output in out (outlen bytes, trailing
 * newlines removed, cut to fit). Returns 0 on exit status 0; -ENOENT when
 * virsh is not installed; -ETIMEDOUT; -EREMOTEIO when virsh failed, with
 * its first error line in err.
 */
int virsh__run(const char *const *argv, char *out, size_t outlen, char *err,
	       size_t errlen);

/*
 * virsh__domain_pid() finds the running QEMU of libvirt domain `domain`:
 * its UUID from `virsh domuuid`, then the process started with that
 * -uuid. uuid (37 bytes, may be NULL) gets the UUID. Returns the pid, or a
 * negative errno with the reason in err (no such domain, not running, no
 * virsh).
 */
pid_t virsh__domain_pid(const char *domain, char *uuid, char *err,
			size_t errlen);

#endif /* PRECOPY_VIRSH_H */
