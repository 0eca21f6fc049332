/* SPDX-License-Identifier: GPL-2.0 */
/* guest.h - internals of the workload guest (freestanding, 32-bit). */
#ifndef PRECOPY_GUEST_H
#define PRECOPY_GUEST_H

#include "guest_abi.h"

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#define STATUS ((volatile struct guest_status *)GUEST_STATUS_GPA)

#define barrier() __asm__ __volatile__("" ::: "memory")

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ __volatile__("cli; hlt" ::: "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* lib.c: string functions, serial port, line formatting. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

void serial_init(void);
void serial_write(const char *s, uint32_t len);

/* A line being built; emitted with line_emit() (adds "\n"). */
struct line {
	char buf[200];
	uint32_t len;
};

void line_start(struct line *l);	/* "precopy-guest: " */
void line_str(struct line *l, const char *s);
void line_strn(struct line *l, const char *s, uint32_t n);
void line_u64(struct line *l, uint64_t v);
void line_hex(struct line *l, uint32_t v);
void line_emit(struct line *l);
/* *v /= d, returns the remainder (d != 0); no libgcc needed. */
uint32_t divmod32(uint64_t *v, uint32_t d);
/* n / d (d != 0), by shift and subtract when d needs more than 32 bits. */
uint64_t udiv64(uint64_t n, uint64_t d);

/* main.c */
__attribute__((noreturn)) void guest_fail(struct line *l);

/* clock.c: the TSC calibrated against the PIT, and rate= pacing. */
#define PACE_MAX_LAG_MS		100	/* debt made up at full speed */
#define PACE_MIN_SLEEP_MS	1	/* shortest sleep between bursts */

/* boot.S: STI; HLT; CLI, woken by any unmasked interrupt. */
void guest_hlt(void);
/* Calibrates the TSC against PIT channel 2; returns its kHz, 0 when no
 * PIT answers (then the clock functions return 0). */
uint32_t clock_calibrate(void);
/* Microseconds since pace_start() by the calibrated TSC, 0 uncalibrated. */
uint64_t clock_us(void);
/* 1 (and *mark = now) when `ms` passed since the TSC value *mark. */
int clock_every(uint64_t *mark, uint32_t ms);
/* Starts the clock; with rate > 0 (needs a calibrated TSC) sets up the
 * PIC and the pacing of `rate` writes/s from now. */
void pace_start(uint32_t rate);
/* Waits (HLT) until a write is due; returns how many are due now, at
 * most `want` (>= 1). */
uint32_t pace_allow(uint32_t want);
/* Records n writes made. */
void pace_done(uint32_t n);
/* Writes dropped because the guest fell behind by more than
 * PACE_MAX_LAG_MS (the host did not run it). */
uint64_t pace_missed(void);

/* patterns.c */
struct params {
	uint32_t pattern;
	uint32_t data_start;
	uint32_t pages;
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
	uint32_t rate;
};

/* Runs n (1..GUEST_STATUS_INTERVAL) writes. */
typedef void (*batch_fn)(uint32_t n);

/* Checks pattern-specific limits (may fail), returns the batch function. */
batch_fn pattern_setup(const struct params *p);
/* Passes completed so far (see guest_abi.h). */
uint64_t pattern_passes(void);

#endif /* !__ASSEMBLER__ */

/*
 * State of the assembly write loops (loops.S), one global `ls`. Offsets are
 * fixed here for the assembler; patterns.c checks them against the struct.
 */
#define LS_CTR		0	/* running write counter: the value stored */
#define LS_RNG		4	/* LCG state */
#define LS_BASE		8	/* GPA of the first page of the range written */
#define LS_END		12	/* GPA one past the range */
#define LS_PAGES	16	/* random: pages in range; zipf: number of bins */
#define LS_PASSES	20	/* incremented by seqsweep/hotcold wrap-arounds */
#define LS_CUR		24	/* seqsweep: next GPA; hotcold: cold cursor GPA */
#define LS_STEP		28	/* seqsweep: stride in bytes */
#define LS_THR		32	/* hotcold: rng <= thr -> hot write */
#define LS_HOT		36	/* hotcold: hot set size in pages */
#define LS_HOT_LO	40	/* hotcold: GPA of the first hot page */
#define LS_HOT_HI	44	/* hotcold: GPA one past the hot set */
#define LS_COLD_WRAP	48	/* hotcold: GPA where the cold sweep restarts */
#define LS_PMUL		52	/* zipf scatter: multiplier (= 1 mod 4) */
#define LS_PADD		56	/* zipf scatter: odd increment << 12 */
#define LS_PMASK	60	/* zipf scatter: (2^k - 1) << 12 */
#define LS_PLIM		64	/* zipf scatter: pages << 12 */
#define LS_ROOM		68	/* random_wrap: end - base */
#define LS_SPAN		72	/* random_wrap: bytes of the whole data region */
#define LS_SIZE		76

#define ZBIN_MAX	96	/* zipf bins: 8 bytes each, {lo, width} */

/* LCG (Numerical Recipes), full period 2^32; the high bits are used. */
#define LCG_A		1664525
#define LCG_C		1013904223
/* Odd multiplier (2^32 / golden ratio) to derive a second draw. */
#define LCG_K		0x9E3779B1

#ifndef __ASSEMBLER__
struct lstate {
	uint32_t ctr, rng, base, end, pages, passes, cur, step;
	uint32_t thr, hot, hot_lo, hot_hi, cold_wrap;
	uint32_t pmul, padd, pmask, plim, room, span;
};

struct zbin {
	uint32_t lo;	/* GPA (or byte offset) of fractional rank 1, minus 4096 */
	uint32_t w;	/* width in bytes (20.12 fixed-point pages) */
};

extern struct lstate ls;
extern struct zbin zbins[ZBIN_MAX];

/* loops.S: each runs n >= 1 writes. */
void loop_seqsweep(uint32_t n);
void loop_random(uint32_t n);
void loop_random_wrap(uint32_t n);
void loop_hotcold(uint32_t n);
void loop_zipf(uint32_t n);
void loop_zipf_scatter(uint32_t n);
#endif /* !__ASSEMBLER__ */

#endif /* PRECOPY_GUEST_H */
