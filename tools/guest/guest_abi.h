/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest_abi.h - the interface between the workload guest (tools/guest/) and
 * whatever runs it (QEMU's multiboot loader, the project's KVM runner in
 * user/vm/, tests).
 *
 * This header is shared: it compiles both in the freestanding 32-bit guest
 * (-m32 -ffreestanding) and in ordinary 64-bit host code. It includes only
 * <stdint.h>.
 *
 * Boot protocol (multiboot v1). The guest image is an ELF32 file whose
 * PT_LOAD segments have p_paddr == p_vaddr, starting at GUEST_LOAD_GPA
 * (1 MiB); everything it uses (code, data, bss, stack) stays below
 * GUEST_LOW_END (2 MiB). It is entered at e_entry in flat 32-bit protected
 * mode, paging off, interrupts off, with EAX = GUEST_MB_BOOT_MAGIC and
 * EBX = the GPA of a multiboot info struct (struct guest_mb_info). The guest
 * reads mem_lower/mem_upper (flags bit 0, mandatory unless pages= is given)
 * and cmdline (flags bit 2); it copies the command line before touching any
 * other memory, so the loader may put the info struct and the string
 * anywhere outside the guest image, the status page and the data region.
 * GUEST_MBI_GPA/GUEST_CMDLINE_GPA are suggested places. The guest loads its
 * own GDT and stack and zeroes its own bss; it needs no BIOS state.
 *
 * Command line: whitespace-separated `key=value` words. A first word that
 * has no '=' or that contains '/' is taken as the image name (QEMU and GRUB
 * prepend it) and skipped. `pattern=NAME` is mandatory. All values are
 * unsigned integers, decimal or 0x-hex. An unknown key, a key that does not
 * apply to the chosen pattern, a repeated key, a malformed or out-of-range
 * value makes the guest print "precopy-guest: error: ..." on COM1, set
 * status->state = GUEST_STATE_ERROR (status->msg holds the text) and halt
 * (cli; hlt loop). Nothing is silently ignored.
 *
 *  key          applies to        default            meaning
 *  pattern      all               (required)         hotcold zipf seqsweep random phases idle
 *  data_start   all               0x200000           GPA of data page 0 (4 KiB aligned, >= end of the image)
 *  pages        all               all RAM above      number of data pages (must fit in RAM)
 *                                 data_start
 *  seed         hotcold zipf      1                  PRNG seed (any 32-bit value)
 *               random phases
 *  delay        all but idle      0                  busy-loop iterations between two writes
 *                                                    (delay > 0 also adds a call, ~25 instructions,
 *                                                    per write)
 *  count        all but idle      0                  stop after this many writes (0 = never); then
 *                                                    state = DONE, "done" line, halt
 *  progress     all but idle      20                 print a progress line every 2^progress writes
 *                                                    (0 = never; 12..40)
 *  hot          hotcold           64                 hot set size in pages
 *  hotbase      hotcold           0                  first page of the (contiguous) hot set
 *  hotpct       hotcold           90                 percent of writes that go to the hot set (1..100)
 *  scatter      zipf              0                  0: rank r is page r (hot pages contiguous at 0);
 *                                                    1: ranks permuted across the region
 *  stride       seqsweep          1                  write pages 0, s, 2s, ... then start over (<= pages)
 *  ws           phases            1024               working set size in pages (<= pages)
 *  phase_writes phases            200000             writes per phase; then the set moves by ws
 *  tick         all but idle      32                 write a byte to port 0x80 every tick writes
 *                                                    (0 = never; a power of two <= 4096). The exit
 *                                                    it causes bounds how far KVM can run past a
 *                                                    full dirty ring: this host's KVM emulates guest
 *                                                    code in batches of up to 1024 instructions and
 *                                                    checks the ring only between batches.
 *  rate         all but idle      0                  page writes per second (0 = as fast as the host
 *                                                    runs the guest; 1..10000000). Paced by the TSC,
 *                                                    calibrated at boot against the PIT: the dirty
 *                                                    rate is the same on an idle and on a loaded
 *                                                    host as long as the host keeps up. Between
 *                                                    bursts (<= 1 ms of writes) the guest sleeps in
 *                                                    HLT, woken by PIT channel 0 (IRQ 0, 8259 PIC).
 *                                                    Needs a PIT: QEMU's (KVM or TCG). The project's
 *                                                    KVM runner (precopy-vm, user/vm/) has none: there
 *                                                    the guest stops with "rate= needs the PIT ...".
 *
 * Writes. One write = one aligned 32-bit store to word 0 (offset 0) of a
 * data page, of the running write counter: write number k (1-based, mod
 * 2^32) stores k. So every write changes the page's content, and a page's
 * first word tells which write touched it last (0: never written since boot,
 * provided the loader left the page zeroed; the guest does not clear the
 * data region). Random draws come from a 32-bit LCG (Numerical Recipes
 * constants, full period), mapped to [0, n) by the high half of a 32x32-bit
 * product, so the sequence is a pure function of seed= and the parameters.
 *
 * Patterns:
 *  hotcold   each write goes to the hot set with probability hotpct/100
 *            (a uniformly random page of it), otherwise to the next cold
 *            page: a sweep over the other pages in address order.
 *            passes = completed cold sweeps.
 *  zipf      rank r (0-based) drawn with P(r) = log((r+2)/(r+1)) /
 *            log(pages+1) ~ 1/(r+1) (Zipf-like, s~1: a log-uniform X over
 *            [1, pages+1), piecewise linear in quarter-octave bins,
 *            r = floor(X) - 1). scatter=0: page = r. scatter=1 maps r to page
 *            through a bijection on [0,pages) (odd-multiplier affine map
 *            modulo the next power of two, cycle-walked). passes = writes
 *            / pages (whole multiples reached).
 *  seqsweep  pages 0, stride, 2*stride, ... in address order, repeated.
 *            passes = completed sweeps.
 *  random    uniformly random pages. passes = writes / pages.
 *  phases    uniformly random pages of a window of ws pages; after
 *            phase_writes writes the window moves to the next ws pages
 *            (modulo pages). passes = completed phases.
 *  idle      no writes at all; cli; hlt loop (state = IDLE).
 *
 * Clock. At boot the guest calibrates the TSC against PIT channel 2
 * (ports 0x42, 0x43, gated and read through port 0x61; 25 ms measurements,
 * each bracketed between TSC reads and repeated until one is within
 * 0.2 %), whatever rate= says; without a PIT (port 0x61 does not echo the
 * gate bit) tsc_khz is 0, the guest runs unpaced and reports no rate, and
 * rate= is an error. With rate=R write k is due R-th of a second after
 * write k-1 (t0 = the start of the pattern); writes the host delayed are
 * made up at full speed, at most 100 ms of them: a longer debt is dropped
 * and counted in `missed`.
 *
 * Serial (COM1, 0x3f8). The guest programs the UART once (8N1, FIFO on),
 * then polls LSR (0x3fd) for bit 5 (THR empty) before each byte: a runner
 * that emulates COM1 should answer LSR reads with 0x60. If LSR never shows
 * bit 5 within 2^16 reads (or reads 0xff, no UART), the guest stops polling
 * and writes bytes blindly. Lines:
 *   precopy-guest: pattern=NAME pages=N data_start=0xHEX <key=value ...>
 *   precopy-guest: pattern=NAME ... rate=R tsc_khz=K   (the banner)
 *   precopy-guest: writes=N passes=M [writes_per_s=A [missed=D]]
 *                                             (every 2^progress writes; A:
 *                                             writes/s since the previous
 *                                             line by the guest's clock,
 *                                             when calibrated; D: missed,
 *                                             when paced)
 *   precopy-guest: done writes=N passes=M     (count= reached)
 *   precopy-guest: idle
 *   precopy-guest: error: TEXT
 *   precopy-guest: exception V err=0xE eip=0xA (unexpected CPU exception)
 *
 * Memory the guest dirties besides the data region: the status page
 * (GUEST_STATUS_GPA, once per GUEST_STATUS_INTERVAL writes, and paced
 * guests at least every 250 ms) and its own
 * stack/bss pages below 2 MiB (a few per batch of writes).
 *
 * Speed: the write loops are hand-written (loops.S), about 5 to 20
 * instructions per write, because on this project's host KVM emulates
 * every guest instruction (~0.6 us each). There, one emulated store is one
 * mark_page_dirty: in dirty-ring mode KVM pushes one ring entry per write,
 * not one per page per harvest.
 */
#ifndef PRECOPY_GUEST_ABI_H
#define PRECOPY_GUEST_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define GUEST_PAGE_SIZE		4096u
#define GUEST_PAGE_SHIFT	12

/* Guest physical layout. */
#define GUEST_STATUS_GPA	0x5000u		/* struct guest_status, one page */
#define GUEST_MBI_GPA		0x6000u		/* suggested multiboot info place */
#define GUEST_CMDLINE_GPA	0x7000u		/* suggested command line place */
#define GUEST_CMDLINE_MAX	1024u		/* longer command lines are an error */
#define GUEST_LOAD_GPA		0x100000u	/* image (ELF PT_LOAD) lives here */
#define GUEST_LOW_END		0x200000u	/* image + stack end below this */
#define GUEST_DATA_START_DEFAULT 0x200000u
#define GUEST_MIN_RAM		(GUEST_LOW_END + GUEST_PAGE_SIZE)

/* Multiboot v1. */
#define GUEST_MB_HEADER_MAGIC	0x1BADB002u
#define GUEST_MB_BOOT_MAGIC	0x2BADB002u
#define GUEST_MBI_FLAG_MEM	(1u << 0)	/* mem_lower, mem_upper valid */
#define GUEST_MBI_FLAG_CMDLINE	(1u << 2)	/* cmdline valid */

#ifndef __ASSEMBLER__
/* The leading part of the multiboot v1 info struct that the guest reads. */
struct guest_mb_info {
	uint32_t flags;
	uint32_t mem_lower;	/* KiB of memory from 0 (max 640) */
	uint32_t mem_upper;	/* KiB of memory from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;	/* GPA of a NUL-terminated string */
};

/* Pattern ids (status->pattern). 0 is never a valid pattern. */
enum guest_pattern {
	GUEST_PAT_NONE = 0,
	GUEST_PAT_HOTCOLD = 1,
	GUEST_PAT_ZIPF = 2,
	GUEST_PAT_SEQSWEEP = 3,
	GUEST_PAT_RANDOM = 4,
	GUEST_PAT_PHASES = 5,
	GUEST_PAT_IDLE = 6,
	GUEST_PAT_COUNT = 7,	/* one past the last id */
};

/* The pattern names, for messages. */
#define GUEST_PATTERN_LIST "hotcold, zipf, seqsweep, random, phases, idle"

/* Parameter defaults. */
#define GUEST_DEF_SEED		1u
#define GUEST_DEF_DELAY		0u
#define GUEST_DEF_COUNT		0u	/* 0 = run forever */
#define GUEST_DEF_PROGRESS	20u	/* log2 writes per progress line */
#define GUEST_DEF_HOT		64u
#define GUEST_DEF_HOTBASE	0u
#define GUEST_DEF_HOTPCT	90u
#define GUEST_DEF_SCATTER	0u
#define GUEST_DEF_STRIDE	1u
#define GUEST_DEF_WS		1024u
#define GUEST_DEF_PHASE_WRITES	200000u
#define GUEST_DEF_TICK		32u
#define GUEST_DEF_RATE		0u	/* unpaced */
#define GUEST_MAX_RATE		10000000u

/* I/O port the guest writes a byte to every `tick` writes (POST port: QEMU
 * ignores it; the project's runner uses it to check its dirty ring). */
#define GUEST_TICK_PORT		0x80u

/* The status block is refreshed at least every this many writes. */
#define GUEST_STATUS_INTERVAL	4096u

#define GUEST_STATUS_MAGIC	0x50435047u	/* "GPCP" little-endian */
#define GUEST_ABI_VERSION	2u	/* 2: rate, clock, achieved, missed */

enum guest_state {
	GUEST_STATE_BOOT = 0,	/* magic not yet written: not started */
	GUEST_STATE_RUNNING = 1,
	GUEST_STATE_IDLE = 2,	/* pattern=idle: halted with no writes */
	GUEST_STATE_DONE = 3,	/* count= writes done, halted */
	GUEST_STATE_ERROR = 4,	/* bad command line or exception; msg says */
};

/*
 * At GUEST_STATUS_GPA. The guest fills every field, then writes magic and
 * state last. writes/passes are 64-bit and the guest is 32-bit, so they are
 * published under a sequence count: seq is odd while the guest updates
 * them. Read them with guest_status_read_counters().
 */
struct guest_status {
	uint32_t magic;		/* GUEST_STATUS_MAGIC once initialised */
	uint32_t version;	/* GUEST_ABI_VERSION */
	uint32_t state;		/* enum guest_state */
	uint32_t pattern;	/* enum guest_pattern */
	uint32_t data_start;	/* GPA of data page 0 */
	uint32_t data_pages;	/* pages in the data region */
	uint32_t ram_end;	/* first GPA above RAM (from mem_upper), 0 if unknown */
	uint32_t seq;		/* sequence count for writes/passes */
	uint64_t writes;	/* writes done so far */
	uint64_t passes;	/* pattern-specific, see the table above */
	/* Parameters in effect (defaults filled in). */
	uint32_t seed;
	uint32_t delay;
	uint64_t count;
	uint32_t progress;
	uint32_t hot;
	uint32_t hotbase;
	uint32_t hotpct;
	uint32_t scatter;
	uint32_t stride;
	uint32_t ws;
	uint32_t phase_writes;
	uint32_t tick;
	uint32_t rate;		/* rate= (writes/s), 0 unpaced */
	uint64_t clock_us;	/* guest clock at `writes` (under seq): us
				 * since the pattern started, 0 uncalibrated */
	uint32_t tsc_khz;	/* calibrated TSC frequency, 0: no PIT */
	uint32_t achieved;	/* writes/s over the last >= 1 s (guest clock) */
	uint32_t missed;	/* paced: writes dropped, the host fell behind
				 * by more than 100 ms (saturates) */
	uint32_t reserved[1];
	char msg[128];		/* NUL-terminated error text (state ERROR) */
};

_Static_assert(sizeof(struct guest_status) == 256, "guest_status layout");
_Static_assert(__builtin_offsetof(struct guest_status, clock_us) == 104,
	       "guest_status clock_us");

/* Pattern name for an id, or NULL. */
static inline const char *guest_pattern_name(uint32_t id)
{
	switch (id) {
	case GUEST_PAT_HOTCOLD:		return "hotcold";
	case GUEST_PAT_ZIPF:		return "zipf";
	case GUEST_PAT_SEQSWEEP:	return "seqsweep";
	case GUEST_PAT_RANDOM:		return "random";
	case GUEST_PAT_PHASES:		return "phases";
	case GUEST_PAT_IDLE:		return "idle";
	default:			return (const char *)0;
	}
}

/* Pattern id for the first len bytes of name, or GUEST_PAT_NONE. */
static inline uint32_t guest_pattern_id(const char *name, uint32_t len)
{
	uint32_t id, i;

	for (id = 1; id < GUEST_PAT_COUNT; id++) {
		const char *p = guest_pattern_name(id);

		for (i = 0; i < len && p[i] && p[i] == name[i]; i++)
			;
		if (i == len && !p[i])
			return id;
	}
	return GUEST_PAT_NONE;
}

/*
 * Read a consistent snapshot of the counters of a status block mapped in
 * host memory (or read by the guest itself): writes, passes and the
 * guest's clock at that count, each output NULL if not wanted, under the
 * block's sequence count. Returns 0 on success, -1 if the guest kept
 * updating during all attempts (then the outputs are unset).
 */
static inline int guest_status_snapshot(const volatile struct guest_status *s,
					uint64_t *writes, uint64_t *passes,
					uint64_t *clock_us)
{
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		uint32_t s1 = s->seq, s2;
		uint64_t w, p, c;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		w = s->writes;
		p = s->passes;
		c = s->clock_us;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = s->seq;
		if (s1 == s2 && !(s1 & 1)) {
			if (writes)
				*writes = w;
			if (passes)
				*passes = p;
			if (clock_us)
				*clock_us = c;
			return 0;
		}
	}
	return -1;
}

/* The (writes, passes) pair of guest_status_snapshot(). */
static inline int guest_status_read_counters(const volatile struct guest_status *s,
					     uint64_t *writes, uint64_t *passes)
{
	return guest_status_snapshot(s, writes, passes, (uint64_t *)0);
}

/* The (writes, clock_us) pair of guest_status_snapshot(): two samples
 * give the achieved write rate by the guest's own clock. */
static inline int guest_status_read_clock(const volatile struct guest_status *s,
					  uint64_t *writes, uint64_t *clock_us)
{
	return guest_status_snapshot(s, writes, (uint64_t *)0, clock_us);
}
#endif /* !__ASSEMBLER__ */

#endif /* PRECOPY_GUEST_ABI_H */
