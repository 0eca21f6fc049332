/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_ident.h - who a VM is, for labels that join with other exporters.
 *
 * libvirt starts QEMU with "-name guest=NAME,..." and "-uuid UUID" (the
 * domain's name and UUID, which libvirt's and KubeVirt's exporters label
 * their metrics with); a hand-started QEMU may have "-name NAME" and
 * "-uuid". vm_ident reads both from the process's command line, so it
 * needs no monitor connection.
 */
#ifndef PRECOPY_VM_IDENT_H
#define PRECOPY_VM_IDENT_H

#include <sys/types.h>

struct vm_ident {
	char name[128];	/* "" when unknown */
	char uuid[40];	/* lower case, "" when unknown */
};

/*
 * vm_ident__from_pid() fills *id from /proc/PID/cmdline (-name, -uuid;
 * "-name guest=NAME,debug-threads=on" and "-name NAME" alike). Fields it
 * does not find are left "". Returns 0, or -errno when the command line
 * cannot be read (*id is then all "").
 */
int vm_ident__from_pid(pid_t pid, struct vm_ident *id);

#endif /* PRECOPY_VM_IDENT_H */
