/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qmp.h - a minimal QEMU Machine Protocol client over a unix socket, or
 * through libvirt's monitor passthrough for a libvirt-managed QEMU.
 *
 * qmp__connect() reads the greeting and negotiates capabilities;
 * qmp__command() sends one command and waits for its reply, skipping
 * asynchronous events. Replies are parsed with json.h; anything malformed,
 * oversized or late is an error with a message, never a crash or a hang.
 */
#ifndef PRECOPY_QMP_H
#define PRECOPY_QMP_H

#include <stddef.h>
#include <sys/types.h>

#include "json.h"

#define QMP_TIMEOUT_MS 5000
#define QMP_MAX_LINE (1u << 20)

struct qmp;

/*
 * qmp__connect() connects to the QMP socket at `path`. Returns the client,
 * or NULL with a one-sentence reason in err (cannot connect, no greeting,
 * not QMP, capabilities refused).
 */
struct qmp *qmp__connect(const char *path, char *err, size_t errlen);

/*
 * qmp__connect_domain() talks to the QEMU of libvirt domain `domain`
 * through libvirt's monitor passthrough (virsh qemu-monitor-command,
 * util/virsh.h), since libvirt owns that QEMU's monitor. The same
 * qmp__command() works on it (no events are seen). Returns the client, or
 * NULL with a one-sentence reason in err (no virsh, no such domain, not
 * running, libvirt refused).
 */
struct qmp *qmp__connect_domain(const char *domain, char *err, size_t errlen);

/* qmp__close() closes and frees. NULL is a no-op. */
void qmp__close(struct qmp *q);

/*
 * qmp__command() runs `command` with arguments `args_json` (a JSON object
 * text, or NULL). On success returns 0 and *reply (if not NULL) gets the
 * parsed reply document (free with json_free()); its "return" member holds
 * the result. Returns -EREMOTEIO when QEMU answered with an error (its
 * class and description are in err), -ETIMEDOUT, -EPIPE (QEMU closed the
 * socket), -EPROTO (malformed or oversized reply; err names the byte).
 */
int qmp__command(struct qmp *q, const char *command, const char *args_json,
		 struct json **reply, char *err, size_t errlen);

/*
 * qmp__find_socket() finds the QMP unix socket of QEMU process `pid` from
 * its command line (-qmp unix:PATH..., or -chardev socket,path=PATH with a
 * -mon ...,mode=control on it). Returns 0 with the path in out, -ENOENT if
 * it has none, or another negative errno.
 */
int qmp__find_socket(pid_t pid, char *out, size_t outlen);

#endif /* PRECOPY_QMP_H */
