/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guestmem.h - the guest RAM of a running QEMU process, read in place.
 *
 * QEMU keeps a guest's RAM in one contiguous anonymous mapping (its RAM
 * block). guestmem__open() asks QEMU where it starts (HMP `gpa2hva 0`
 * over QMP: the host address of guest-physical 0, i.e. RAM offset 0) and
 * then reads it from the outside with process_vm_readv(2) (the same user
 * with ptrace rights over QEMU, or root): nothing is dumped to a file and
 * nothing is left behind, whatever the guest's size. Offsets are RAM
 * offsets, equal to guest-physical addresses below the PCI hole (guests of
 * up to 3.5 GiB on QEMU's pc machine). Pages the guest never touched read
 * as zeros without being allocated.
 *
 * This is how the migration harness (migrun.h) compares a destination's
 * memory with the source's (guestmem__compare(), both VMs stopped) and how
 * it reads the workload guest's write counter (tools/guest/guest_abi.h)
 * while it runs.
 */
#ifndef PRECOPY_GUESTMEM_H
#define PRECOPY_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memdiff.h"

struct qmp;

struct guestmem {
	pid_t pid;		/* 0: closed */
	uint64_t base;		/* host address of RAM offset 0 in pid */
	uint64_t size;		/* bytes */
};

/*
 * Locate the RAM of QEMU process pid through its QMP connection q (HMP
 * gpa2hva) and check it can be read. size is the guest's RAM in bytes.
 * Returns 0, or -1 with a one-line reason in err.
 */
int guestmem__open(struct guestmem *g, pid_t pid, struct qmp *q,
		   uint64_t size, char *err, size_t errlen);

/* The same for a known address (tests, or a caller that knows it). Checks
 * that the first page can be read. Returns 0, or -1 with err. */
int guestmem__attach(struct guestmem *g, pid_t pid, uint64_t base,
		     uint64_t size, char *err, size_t errlen);

/* Read len bytes at RAM offset off into buf. Returns 0, or a negative
 * errno (-EFAULT past the RAM, -ESRCH, -EPERM). */
int guestmem__read(const struct guestmem *g, uint64_t off, void *buf,
		   size_t len);

/*
 * Compare the RAM of a and b (the same size) page by page, in chunks,
 * skipping the pages inside [skip_start, skip_end) (see memdiff.h).
 * Returns 0 with *d filled, or -1 with a reason in err (sizes differ, a
 * read failed).
 */
int guestmem__compare(const struct guestmem *a, const struct guestmem *b,
		      uint64_t skip_start, uint64_t skip_end,
		      struct memdiff *d, char *err, size_t errlen);

/*
 * The project's workload guest's write counter, to the write: `writes` of
 * its status block (struct guest_status at GUEST_STATUS_GPA, refreshed
 * every GUEST_STATUS_INTERVAL writes), plus the writes since, read from
 * its data pages (write k stores k in its page's first word; one word per
 * data page is read). Returns 0 with *writes set, or -1 when the RAM
 * holds no such block (another guest, not started yet) or cannot be read.
 */
int guestmem__guest_writes(const struct guestmem *g, uint64_t *writes);

/*
 * The same counter from the status block alone: one small read, no scan
 * of the data pages, so cheap enough while a migration runs, but behind by
 * up to GUEST_STATUS_INTERVAL writes (or 250 ms of a paced guest's).
 * Returns 0 with *writes set, or -1 as guestmem__guest_writes().
 */
int guestmem__status_writes(const struct guestmem *g, uint64_t *writes);

#endif /* PRECOPY_GUESTMEM_H */
