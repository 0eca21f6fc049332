/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_proto.h - the wire protocol between the process tracer (proc_trace.c,
 * in precopy-trace) and the preload library that runs inside each traced
 * process (user/preload/preload.c). Plain types, no code: both sides
 * include it.
 *
 * Transport: a SOCK_STREAM unix socket in the abstract namespace whose name
 * the tracer puts in $PROC_PROTO_ENV_SOCK ("@name"). Every process that loads
 * the preload library with that variable set connects once, from its
 * constructor (and again from a fork child), and sends HELLO. All integers
 * are host-endian: both ends run on one machine.
 *
 * Every message is a struct proc_proto_hdr followed by `count` items of the
 * type's item size:
 *
 *   preload -> tracer
 *     HELLO     1 struct proc_proto_hello
 *     WRITTEN   struct proc_proto_span: pages written since the previous scan
 *               (write-protected before, written now): the ground truth
 *     UNKNOWN   struct proc_proto_span: pages found present when their range
 *               was first armed: written at an unknown time before
 *     RANGES    struct proc_proto_span: every range now registered for
 *               write protection (sorted, the complete list)
 *     SCAN_END  1 struct proc_proto_scan_end; closes one reply
 *
 *   tracer -> preload
 *     SCAN      0 items: arm and report (see below)
 *     DETACH    0 items: unregister everything, close the userfaultfd and
 *               the socket, end the preload thread
 *
 * A reply to SCAN is any number of WRITTEN, UNKNOWN and RANGES messages
 * followed by SCAN_END. The preload handles one SCAN as follows:
 *   1. read /proc/self/maps; the writable mappings it can register (minus
 *      its own memory) are V;
 *   2. register every range of V with UFFDIO_REGISTER_MODE_WP (idempotent,
 *      so a mapping replaced at the same address is registered again);
 *   3. PAGEMAP_SCAN with PM_SCAN_WP_MATCHING each range armed before or
 *      reported pending in the previous reply: the written-and-present
 *      pages of the former are WRITTEN, those of the latter UNKNOWN;
 *      all are write-protected again;
 *   4. ranges of V not armed yet become pending (armed at the next SCAN,
 *      once the tracer has installed them in its range table); reply V.
 */
#ifndef PRECOPY_PFPROTO_H
#define PRECOPY_PFPROTO_H

#include <stdint.h>

#define PROC_PROTO_ENV_SOCK "PRECOPY_PROC_SOCK"
#define PROC_PROTO_MAGIC 0x50465031u /* "PFP1" */
#define PROC_PROTO_VERSION 1
#define PROC_PROTO_MAX_ITEMS 65536u  /* items per message */

enum proc_proto_type {
	PROC_PROTO_HELLO = 1,
	PROC_PROTO_WRITTEN,
	PROC_PROTO_UNKNOWN,
	PROC_PROTO_RANGES,
	PROC_PROTO_SCAN_END,
	PROC_PROTO_SCAN = 16,
	PROC_PROTO_DETACH,
};

struct proc_proto_hdr {
	uint32_t magic;
	uint16_t type;    /* enum proc_proto_type */
	uint16_t version;
	uint32_t count;   /* items that follow */
	uint32_t reserved;
};

struct proc_proto_span {
	uint64_t start;   /* page aligned virtual address */
	uint64_t end;     /* exclusive */
};

struct proc_proto_hello {
	int32_t pid;
	int32_t ppid;
	int32_t error;    /* 0, or the errno that keeps tracing from working */
	uint32_t how;     /* 0: started, 1: fork child */
	char what[64];    /* NUL-terminated: which setup step failed, or "" */
	char exe[128];    /* NUL-terminated: /proc/self/exe, cut */
	char comm[16];    /* NUL-terminated: /proc/self/comm (process name) */
};

struct proc_proto_scan_end {
	uint64_t scan_ns;      /* time spent in PAGEMAP_SCAN */
	uint64_t total_ns;     /* time spent handling the SCAN */
	uint32_t nranges;      /* ranges in V */
	uint32_t register_failed; /* writable mappings that refused */
	uint64_t written_pages;
	uint64_t unknown_pages;
	int32_t error;         /* 0, or errno of a failed PAGEMAP_SCAN */
	uint32_t pad;
};

#endif /* PRECOPY_PFPROTO_H */
