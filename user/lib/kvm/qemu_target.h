/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qemu_target.h - tracking a running QEMU/KVM process.
 *
 * QEMU publishes no KVM slot map and turns KVM dirty logging on only while
 * it migrates or measures its dirty rate. qemu_target:
 *  - talks QMP to it (socket found from its command line, or given);
 *  - learns its memory slots from the slot ioctls QEMU makes when dirty
 *    logging is switched on (slot_watch.h);
 *  - when QEMU is not migrating, keeps dirty logging on by running QMP
 *    calc-dirty-rate (dirty-ring mode when QEMU has a dirty ring, else
 *    dirty-bitmap) in back-to-back windows of the reporting interval. Each
 *    finished window also gives QEMU's own dirty-rate measurement for it.
 *    Nothing is left behind: logging stops when the last window ends, and
 *    qemu_target__close() waits for that.
 */
#ifndef PRECOPY_QEMU_TARGET_H
#define PRECOPY_QEMU_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "guest_map.h"

struct qemu_target;

/*
 * qemu_target__open() connects to QEMU process `pid` (its QMP socket at
 * qmp_path, or found from its command line when NULL) and prepares slot
 * learning. Returns the target, or NULL with a one-sentence reason in err:
 * no QMP socket, QMP refused, the slot watcher cannot load.
 */
struct qemu_target *qemu_target__open(pid_t pid, const char *qmp_path,
				      char *err, size_t errlen);

/*
 * qemu_target__open_domain() is qemu_target__open() for the QEMU (process
 * pid) of libvirt domain `domain`, whose monitor libvirt owns: QMP goes
 * through libvirt's monitor passthrough (util/qmp.h qmp__connect_domain).
 */
struct qemu_target *qemu_target__open_domain(pid_t pid, const char *domain,
					     char *err, size_t errlen);

/*
 * qemu_target__start() makes sure dirty logging is on (starting the first
 * measurement window of window_s seconds, rounded to whole seconds, at
 * least 1, unless QEMU is migrating) and learns the memory map into *map.
 * Returns 0, or a negative errno with the reason in err: QMP refused the
 * measurement, QEMU is migrating and its slots were registered before we
 * attached, no slot registration seen.
 */
int qemu_target__start(struct qemu_target *q, double window_s,
		       struct guest_map *map, char *err, size_t errlen);

/*
 * qemu_target__end_window() is called as a reporting interval ends, before
 * its last harvest: it waits (up to 2 s) for QEMU's current measurement
 * window to end, so that every page logged in the window lands in this
 * interval (logging is off between windows). *rate_mib gets QEMU's own
 * dirty rate for the window and *have_rate says if there was one; *window_s
 * its length. Returns 0, or a negative errno with the reason in err (QMP
 * failed). With QEMU migrating it returns at once with no rate.
 */
int qemu_target__end_window(struct qemu_target *q, double *rate_mib,
			    bool *have_rate, double *window_s, char *err,
			    size_t errlen);

/*
 * qemu_target__next_window() starts the next measurement window (not while
 * QEMU migrates) and applies slot registrations seen meanwhile to *map
 * (*map_changed says if the layout changed). Returns 0, or a negative errno
 * with the reason in err.
 */
int qemu_target__next_window(struct qemu_target *q, struct guest_map *map,
			     bool *map_changed, char *err, size_t errlen);

/* qemu_target__logging() says in a phrase how dirty logging is on. */
const char *qemu_target__logging(const struct qemu_target *q);

/* qemu_target__ring() says whether QEMU uses a KVM dirty ring. */
bool qemu_target__ring(const struct qemu_target *q);

/*
 * qemu_target__close() stops starting windows, waits (up to the window
 * length plus 2 s) until QEMU's last one has ended so no dirty logging is
 * left on, and frees q. NULL is a no-op.
 */
void qemu_target__close(struct qemu_target *q);

#endif /* PRECOPY_QEMU_TARGET_H */
