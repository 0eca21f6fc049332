// SPDX-License-Identifier: GPL-2.0
/*
 * clock.c - the guest's clock, and the pacing of rate=.
 *
 * Time is the TSC, calibrated at boot against channel 2 of the i8254 PIT
 * (1193182 Hz, gated through port 0x61, as Linux calibrates it): QEMU
 * emulates the PIT under KVM (in the kernel) and under TCG. The
 * project's KVM runner (user/vm/workvm.c) has no PIT: port 0x61 reads 0,
 * so the first measurement gives up after two port accesses (tsc_khz 0,
 * rate= refused). Each measurement brackets both ends
 * of 25 ms of PIT time between TSC reads, and is kept only if the bracket
 * is narrow (0.2 %): a vCPU descheduled during a measurement (a loaded
 * host) is measured again, not believed. The TSC itself runs at a
 * constant rate: the host's under KVM, QEMU's host-tick count under TCG.
 *
 * Pacing (rate=R writes/s): write k (1-based) is due at t0 + (k-1)/R.
 * The writer asks pace_allow() how many writes are due; when none is, the
 * guest sleeps in HLT until the next one is due (at least PACE_MIN_SLEEP
 * of 1 ms, so writes come in bursts of at most a millisecond's worth),
 * woken by a one-shot of PIT channel 0 (mode 0, IRQ 0 through the 8259
 * PIC, remapped to vector 0x20): a paced guest leaves the host's CPU
 * alone between its writes. Writes that fall behind because the host did
 * not run the guest are made up at full speed, up to PACE_MAX_LAG (100
 * ms) of them; a longer debt is dropped and counted (`missed`), so a
 * guest the host starved shows it instead of bursting later.
 */
#include "guest.h"

#define PIT_HZ		1193182u
#define PIT_CH0		0x40
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_B		0x61	/* bit 0 gate 2, bit 1 speaker, bit 5 OUT 2 */
#define PIC1		0x20
#define PIC2		0xa0

#define CAL_COUNT	(PIT_HZ / 40)	/* 25 ms of PIT time */
#define CAL_TRIES	8
#define CAL_POLLS	(1u << 22)
#define CAL_TSC_MAX	(1ull << 36)	/* a measurement longer than this: no PIT */

static struct {
	uint32_t khz;		/* TSC kHz, 0: not calibrated */
	uint32_t rate;		/* writes/s, 0: unpaced */
	uint64_t hz;		/* TSC Hz */
	uint64_t t0;		/* TSC when the pattern started */
	uint64_t due;		/* TSC when the next write is due ... */
	uint32_t due_frac;	/* ... and the fraction, 1/2^32 of a tick */
	uint64_t per;		/* TSC ticks per write ... */
	uint32_t per_frac;	/* ... and the fraction */
	uint64_t rate_mult;	/* writes per tick << 32 */
	uint64_t pit_mult;	/* PIT ticks per TSC tick << 32 */
	uint64_t max_lag;	/* PACE_MAX_LAG in ticks */
	uint64_t min_sleep;	/* PACE_MIN_SLEEP in ticks */
	uint64_t missed;	/* writes dropped from the debt */
} pc;

/* One measurement: the TSC ticks of CAL_COUNT PIT ticks lie in [*lo, *hi].
 * Returns -1 when no PIT answers. */
static int cal_once(uint64_t *lo, uint64_t *hi)
{
	uint64_t a, b, before, after = 0, last = 0;
	uint32_t i;

	outb(PORT_B, (uint8_t)((inb(PORT_B) & ~0x02u) | 0x01u));
	if (!(inb(PORT_B) & 0x01))
		return -1;			/* nothing behind port 0x61 */
	outb(PIT_CMD, 0xb0);		/* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2, CAL_COUNT & 0xff);
	a = rdtsc();
	outb(PIT_CH2, CAL_COUNT >> 8);	/* the count starts here */
	b = rdtsc();
	for (i = 0; i < CAL_POLLS; i++) {
		uint8_t v;

		before = rdtsc();
		v = inb(PORT_B);
		after = rdtsc();
		if (v & 0x20)
			break;
		last = before;
		if (after - a > CAL_TSC_MAX)
			return -1;
	}
	/* OUT 2 high at the first read, or never: not a working PIT */
	if (i == CAL_POLLS || !last)
		return -1;
	/* started in [a, b], ended after the last read of 0 began and
	 * before the first read of 1 ended */
	*lo = last - b;
	*hi = after - a;
	return 0;
}

uint32_t clock_calibrate(void)
{
	uint64_t lo, hi, best_lo = 0, best_w = ~0ull, t;
	uint32_t i;

	for (i = 0; i < CAL_TRIES; i++) {
		if (cal_once(&lo, &hi))
			break;
		if (hi - lo < best_w) {
			best_w = hi - lo;
			best_lo = lo;
		}
		if (best_w * 500 <= best_lo)
			break;			/* within 0.2 % */
	}
	outb(PORT_B, (uint8_t)(inb(PORT_B) & ~0x03u));	/* gate 2 off */
	if (best_w == ~0ull)
		return 0;
	/* kHz = ticks * PIT_HZ / CAL_COUNT / 1000 */
	t = (best_lo + best_w / 2) * PIT_HZ;
	divmod32(&t, CAL_COUNT);
	divmod32(&t, 1000);
	pc.khz = (uint32_t)t;
	pc.hz = (uint64_t)pc.khz * 1000;
	return pc.khz;
}

/* 8259 PICs: IRQ 0-7 at vectors 0x20-0x27, 8-15 at 0x28-0x2f, only IRQ 0
 * unmasked. The guest runs with interrupts off except inside the HLT of
 * pace_sleep(). */
static void pic_init(void)
{
	outb(PIC1, 0x11);	/* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, 0x20);	/* ICW2: vector base */
	outb(PIC2 + 1, 0x28);
	outb(PIC1 + 1, 0x04);	/* ICW3: slave on IRQ 2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01);	/* ICW4: 8086 mode */
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, 0xfe);	/* masks: IRQ 0 only */
	outb(PIC2 + 1, 0xff);
}

void pace_start(uint32_t rate)
{
	uint64_t q;
	uint32_t r;

	pc.rate = rate;
	pc.t0 = rdtsc();
	pc.due = pc.t0;
	pc.due_frac = 0;
	if (!rate || !pc.khz)
		return;
	q = pc.hz;
	r = divmod32(&q, rate);
	pc.per = q;
	q = (uint64_t)r << 32;
	divmod32(&q, rate);
	pc.per_frac = (uint32_t)q;
	pc.rate_mult = udiv64((uint64_t)rate << 32, pc.hz);
	pc.pit_mult = udiv64((uint64_t)PIT_HZ << 32, pc.hz);
	pc.max_lag = (uint64_t)pc.khz * PACE_MAX_LAG_MS;
	pc.min_sleep = (uint64_t)pc.khz * PACE_MIN_SLEEP_MS;
	pic_init();
}

/* HLT for about `t` TSC ticks (at most 54.9 ms: the PIT's 16 bits). */
static void pace_sleep(uint64_t t)
{
	uint64_t c = (t * pc.pit_mult) >> 32;

	if (c < 2)
		c = 2;
	if (c > 0xffff)
		c = 0xffff;
	outb(PIT_CMD, 0x30);		/* channel 0, lobyte/hibyte, mode 0 */
	outb(PIT_CH0, (uint8_t)c);
	outb(PIT_CH0, (uint8_t)(c >> 8));
	guest_hlt();
}

uint32_t pace_allow(uint32_t want)
{
	for (;;) {
		uint64_t now = rdtsc(), lag, k;

		if ((int64_t)(now - pc.due) >= 0) {
			lag = now - pc.due;
			if (lag > pc.max_lag) {
				pc.missed += udiv64(lag - pc.max_lag, pc.per);
				pc.due = now - pc.max_lag;
				lag = pc.max_lag;
			}
			k = ((lag * pc.rate_mult) >> 32) + 1;
			return k < want ? (uint32_t)k : want;
		}
		lag = pc.due - now;
		pace_sleep(lag < pc.min_sleep ? pc.min_sleep : lag);
	}
}

void pace_done(uint32_t n)
{
	uint64_t f = (uint64_t)pc.due_frac + (uint64_t)n * pc.per_frac;

	pc.due += (uint64_t)n * pc.per + (f >> 32);
	pc.due_frac = (uint32_t)f;
}

uint64_t pace_missed(void)
{
	return pc.missed;
}

uint64_t clock_us(void)
{
	uint64_t t;

	if (!pc.khz)
		return 0;
	t = (rdtsc() - pc.t0) * 1000;
	divmod32(&t, pc.khz);
	return t;
}

int clock_every(uint64_t *mark, uint32_t ms)
{
	uint64_t now = rdtsc();

	if (!pc.khz || now - *mark < (uint64_t)pc.khz * ms)
		return 0;
	*mark = now;
	return 1;
}
