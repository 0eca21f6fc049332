// SPDX-License-Identifier: GPL-2.0
/* plan_libvirt.c - the plan ring for a libvirt domain (plan_libvirt.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plan_libvirt.h"
#include "util/qmp.h"
#include "util/virsh.h"

int plan_libvirt__attach(const char *domain, const char *ring, pid_t *pid,
			 char *uuid, char *err, size_t errlen)
{
	char args[PATH_MAX + 64], path[PATH_MAX], cwd[PATH_MAX];
	struct qmp *q;
	int ret;

	*pid = virsh__domain_pid(domain, uuid, err, errlen);
	if (*pid < 0)
		return (int)*pid;
	if (ring[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(path, sizeof(path), "%s", ring);
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", cwd, ring) >=
		 sizeof(path))
		return -ENAMETOOLONG;
	if (strchr(path, '"') || strchr(path, '\\')) {
		snprintf(err, errlen, "ring path %s: quotes and backslashes "
			 "are not passed to QEMU", path);
		return -EINVAL;
	}
	q = qmp__connect_domain(domain, err, errlen);
	if (!q)
		return -EREMOTEIO;
	snprintf(args, sizeof(args), "{\"x-precopy-plan\": \"%s\"}", path);
	ret = qmp__command(q, "migrate-set-parameters", args, NULL, err,
			   errlen);
	qmp__close(q);
	return ret;
}
