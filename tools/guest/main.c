// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - workload guest: boot info, command line, status block, main loop.
 * See guest_abi.h for the interface.
 */
#include "guest.h"

extern char _end[];
extern const uint32_t guest_isr_table[32];
extern char guest_irq_timer[], guest_irq_ignore[];

static char cmdline[GUEST_CMDLINE_MAX];
static struct params P;

/* ---- failure ---- */
static void status_publish(uint32_t state)
{
	volatile struct guest_status *st = STATUS;

	st->state = state;
	barrier();
	st->magic = GUEST_STATUS_MAGIC;
	barrier();
}

__attribute__((noreturn)) void guest_fail(struct line *l)
{
	volatile struct guest_status *st = STATUS;
	uint32_t i, n = l->len - 15;	/* without "precopy-guest: " */

	line_emit(l);
	if (n > sizeof(st->msg) - 1)
		n = sizeof(st->msg) - 1;
	for (i = 0; i < n; i++)
		st->msg[i] = l->buf[15 + i];
	st->msg[n] = 0;
	status_publish(GUEST_STATE_ERROR);
	halt_forever();
}

static __attribute__((noreturn)) void fail(const char *a, const char *b,
					   uint32_t blen, const char *c)
{
	struct line l;

	line_start(&l);
	line_str(&l, "error: ");
	line_str(&l, a);
	if (b)
		line_strn(&l, b, blen);
	if (c)
		line_str(&l, c);
	guest_fail(&l);
}

void guest_exception(uint32_t vec, uint32_t err, uint32_t eip)
{
	struct line l;

	line_start(&l);
	line_str(&l, "exception ");
	line_u64(&l, vec);
	line_str(&l, " err=");
	line_hex(&l, err);
	line_str(&l, " eip=");
	line_hex(&l, eip);
	guest_fail(&l);
}

/* ---- IDT: report any CPU exception instead of triple-faulting; the
 * PIC's vectors 0x20-0x2f for rate= (clock.c) ---- */
static uint64_t idt[48] __attribute__((aligned(8)));

static void idt_init(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) desc;
	uint32_t i;

	for (i = 0; i < 48; i++) {
		uint32_t a = i < 32 ? guest_isr_table[i] :
			     i == 32 ? (uint32_t)guest_irq_timer :
				       (uint32_t)guest_irq_ignore;

		/* 32-bit interrupt gate, present, DPL 0, selector 0x08 */
		idt[i] = (a & 0xffffu) | (0x08u << 16) |
			 ((uint64_t)(0x8e00u | (a & 0xffff0000u)) << 32);
	}
	desc.limit = sizeof(idt) - 1;
	desc.base = (uint32_t)idt;
	__asm__ __volatile__("lidt %0" : : "m"(desc));
}

/* ---- command line ---- */
enum key_id {
	K_PATTERN, K_DATA_START, K_PAGES, K_SEED, K_DELAY, K_COUNT, K_PROGRESS,
	K_HOT, K_HOTBASE, K_HOTPCT, K_SCATTER, K_STRIDE, K_WS, K_PHASE_WRITES,
	K_TICK, K_RATE,
	K_NR
};

#define PAT(x) (1u << GUEST_PAT_##x)
#define PAT_ALL (PAT(HOTCOLD) | PAT(ZIPF) | PAT(SEQSWEEP) | PAT(RANDOM) | \
		 PAT(PHASES) | PAT(IDLE))
#define PAT_WRITE (PAT_ALL & ~PAT(IDLE))
#define PAT_RNG (PAT(HOTCOLD) | PAT(ZIPF) | PAT(RANDOM) | PAT(PHASES))

static const struct key {
	const char *name;
	uint32_t patterns;	/* patterns the key applies to */
	uint64_t min, max;
	uint64_t def;
} keys[K_NR] = {
	[K_PATTERN]	 = { "pattern", PAT_ALL, 0, 0, 0 },
	[K_DATA_START]	 = { "data_start", PAT_ALL, GUEST_PAGE_SIZE, 0xfffff000u,
			     GUEST_DATA_START_DEFAULT },
	[K_PAGES]	 = { "pages", PAT_ALL, 1, 1u << 20, 0 },
	[K_SEED]	 = { "seed", PAT_RNG, 0, 0xffffffffu, GUEST_DEF_SEED },
	[K_DELAY]	 = { "delay", PAT_WRITE, 0, 0xffffffffu, GUEST_DEF_DELAY },
	[K_COUNT]	 = { "count", PAT_WRITE, 0, ~0ull, GUEST_DEF_COUNT },
	[K_PROGRESS]	 = { "progress", PAT_WRITE, 0, 40, GUEST_DEF_PROGRESS },
	[K_HOT]		 = { "hot", PAT(HOTCOLD), 1, 1u << 20, GUEST_DEF_HOT },
	[K_HOTBASE]	 = { "hotbase", PAT(HOTCOLD), 0, 1u << 20, GUEST_DEF_HOTBASE },
	[K_HOTPCT]	 = { "hotpct", PAT(HOTCOLD), 1, 100, GUEST_DEF_HOTPCT },
	[K_SCATTER]	 = { "scatter", PAT(ZIPF), 0, 1, GUEST_DEF_SCATTER },
	[K_STRIDE]	 = { "stride", PAT(SEQSWEEP), 1, 1u << 20, GUEST_DEF_STRIDE },
	[K_WS]		 = { "ws", PAT(PHASES), 1, 1u << 20, GUEST_DEF_WS },
	[K_PHASE_WRITES] = { "phase_writes", PAT(PHASES), 1, 0xffffffffu,
			     GUEST_DEF_PHASE_WRITES },
	[K_TICK]	 = { "tick", PAT_WRITE, 0, GUEST_STATUS_INTERVAL,
			     GUEST_DEF_TICK },
	[K_RATE]	 = { "rate", PAT_WRITE, 0, GUEST_MAX_RATE, GUEST_DEF_RATE },
};

static uint64_t val[K_NR];
static uint32_t given;		/* bit per key_id */

static int streq(const char *a, uint32_t alen, const char *b)
{
	uint32_t i;

	for (i = 0; i < alen; i++)
		if (b[i] != a[i])
			return 0;
	return b[alen] == 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decimal or 0x-hex, the whole of [s, s+n), no overflow. */
static int parse_u64(const char *s, uint32_t n, uint64_t *out)
{
	uint64_t v = 0;
	uint32_t i = 0;
	int hex = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		hex = 1;
		i = 2;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		if (hex) {
			if (v >> 60)
				return -1;
			v = (v << 4) | d;
		} else {
			if (v > 0x1999999999999999ull)
				return -1;
			v = v * 10;
			if (v + d < v)
				return -1;
			v += d;
		}
	}
	*out = v;
	return 0;
}

static void line_num(struct line *l, uint64_t v, int hex)
{
	if (hex)
		line_hex(l, (uint32_t)v);
	else
		line_u64(l, v);
}

static void parse_word(const char *w, uint32_t n, int first)
{
	uint32_t eq, k;

	for (eq = 0; eq < n && w[eq] != '='; eq++)
		;
	if (first) {
		uint32_t i;
		int slash = 0;

		for (i = 0; i < eq; i++)
			if (w[i] == '/')
				slash = 1;
		if (eq == n || slash)
			return;	/* the image name QEMU/GRUB put first */
	}
	if (eq == n)
		fail("expected key=value, got '", w, n, "'");
	for (k = 0; k < K_NR; k++)
		if (streq(w, eq, keys[k].name))
			break;
	if (k == K_NR)
		fail("unknown key '", w, eq, "'");
	if (given & (1u << k))
		fail("key '", w, eq, "' given twice");
	given |= 1u << k;

	if (k == K_PATTERN) {
		val[k] = guest_pattern_id(w + eq + 1, n - eq - 1);
		if (val[k] == GUEST_PAT_NONE)
			fail("unknown pattern '", w + eq + 1, n - eq - 1,
			     "' (hotcold zipf seqsweep random phases idle)");
		return;
	}
	if (parse_u64(w + eq + 1, n - eq - 1, &val[k]))
		fail("bad number in '", w, n, "'");
	if (val[k] < keys[k].min || val[k] > keys[k].max) {
		struct line l;

		line_start(&l);
		line_str(&l, "error: ");
		line_str(&l, keys[k].name);
		line_str(&l, "=");
		line_num(&l, val[k], k == K_DATA_START && val[k] >> 32 == 0);
		line_str(&l, " out of range [");
		line_num(&l, keys[k].min, k == K_DATA_START);
		line_str(&l, ", ");
		line_num(&l, keys[k].max, k == K_DATA_START);
		line_str(&l, "]");
		guest_fail(&l);
	}
}

static void parse_cmdline(const char *s)
{
	int first = 1;

	while (*s) {
		const char *w;

		while (is_space(*s))
			s++;
		if (!*s)
			break;
		w = s;
		while (*s && !is_space(*s))
			s++;
		parse_word(w, (uint32_t)(s - w), first);
		first = 0;
	}
}

/* "error: <what><v><why><lim>", addresses (hex != 0) in hex */
static __attribute__((noreturn)) void fail_num(const char *what, uint64_t v,
					       const char *why, uint64_t lim,
					       int hex)
{
	struct line l;

	line_start(&l);
	line_str(&l, "error: ");
	line_str(&l, what);
	line_num(&l, v, hex);
	line_str(&l, why);
	line_num(&l, lim, hex);
	guest_fail(&l);
}

/* Defaults, applicability to the pattern and cross-checks. */
static void check_params(uint64_t ram_end)
{
	uint32_t k, img_end, avail;

	if (!(given & (1u << K_PATTERN)))
		fail("no pattern= given (hotcold zipf seqsweep random phases idle)",
		     0, 0, 0);
	P.pattern = (uint32_t)val[K_PATTERN];
	for (k = 1; k < K_NR; k++) {
		if (!(given & (1u << k))) {
			val[k] = keys[k].def;
			continue;
		}
		if (!(keys[k].patterns & (1u << P.pattern))) {
			struct line l;

			line_start(&l);
			line_str(&l, "error: key '");
			line_str(&l, keys[k].name);
			line_str(&l, "' does not apply to pattern ");
			line_str(&l, guest_pattern_name(P.pattern));
			guest_fail(&l);
		}
	}

	P.data_start = (uint32_t)val[K_DATA_START];
	img_end = ((uint32_t)_end + GUEST_PAGE_SIZE - 1) & ~(GUEST_PAGE_SIZE - 1);
	if (P.data_start & (GUEST_PAGE_SIZE - 1))
		fail_num("data_start=", P.data_start, " is not a multiple of ",
			 GUEST_PAGE_SIZE, 1);
	if (P.data_start < img_end)
		fail_num("data_start=", P.data_start,
			 " overlaps the guest image, which ends at ", img_end, 1);

	if (ram_end) {
		if (ram_end <= P.data_start)
			fail_num("data_start=", P.data_start,
				 " is at or beyond the end of RAM ", ram_end, 1);
		avail = (uint32_t)((ram_end - P.data_start) >> GUEST_PAGE_SHIFT);
	} else {
		avail = (uint32_t)((0x100000000ull - P.data_start) >>
				   GUEST_PAGE_SHIFT);
		if (!(given & (1u << K_PAGES)))
			fail("no memory size from the loader (multiboot flags bit 0) and no pages= given",
			     0, 0, 0);
	}
	if (given & (1u << K_PAGES)) {
		if (val[K_PAGES] > avail)
			fail_num("pages=", val[K_PAGES],
				 " exceeds the RAM above data_start, pages: ",
				 avail, 0);
		P.pages = (uint32_t)val[K_PAGES];
	} else {
		if (!avail)
			fail("no RAM above data_start", 0, 0, 0);
		P.pages = avail;
	}

	P.seed = (uint32_t)val[K_SEED];
	P.delay = (uint32_t)val[K_DELAY];
	P.count = val[K_COUNT];
	P.progress = (uint32_t)val[K_PROGRESS];
	P.hot = (uint32_t)val[K_HOT];
	P.hotbase = (uint32_t)val[K_HOTBASE];
	P.hotpct = (uint32_t)val[K_HOTPCT];
	P.scatter = (uint32_t)val[K_SCATTER];
	P.stride = (uint32_t)val[K_STRIDE];
	P.ws = (uint32_t)val[K_WS];
	P.phase_writes = (uint32_t)val[K_PHASE_WRITES];
	P.tick = (uint32_t)val[K_TICK];
	P.rate = (uint32_t)val[K_RATE];
	if (P.tick & (P.tick - 1))
		fail_num("tick=", P.tick, " is not a power of two", 0, 0);

	if (P.progress && P.progress < 12)
		fail_num("progress=", P.progress,
			 " too small: 0 (off) or at least ", 12, 0);
	switch (P.pattern) {
	case GUEST_PAT_HOTCOLD:
		if ((uint64_t)P.hotbase + P.hot > P.pages)
			fail_num("hotbase+hot=", (uint64_t)P.hotbase + P.hot,
				 " exceeds pages=", P.pages, 0);
		if (P.hot == P.pages && P.hotpct < 100)
			fail("hot= covers all pages: no cold pages for hotpct<100",
			     0, 0, 0);
		break;
	case GUEST_PAT_SEQSWEEP:
		if (P.stride > P.pages)
			fail_num("stride=", P.stride, " exceeds pages=", P.pages, 0);
		/* the loop's cursor must not wrap past 4 GiB */
		if (P.data_start + ((uint64_t)P.pages + P.stride) *
		    GUEST_PAGE_SIZE > 0x100000000ull)
			fail_num("stride=", P.stride,
				 " too large for a data region ending at ",
				 P.data_start + ((uint64_t)P.pages << GUEST_PAGE_SHIFT), 1);
		break;
	case GUEST_PAT_PHASES:
		if (P.ws > P.pages)
			fail_num("ws=", P.ws, " exceeds pages=", P.pages, 0);
		break;
	}
}

/* ---- status ---- */
/* The achieved rate over the last >= 1 s: a mark (writes, clock). */
static uint64_t ach_writes, ach_us;

static uint32_t rate_between(uint64_t w0, uint64_t us0, uint64_t w1,
			     uint64_t us1)
{
	uint64_t r;

	if (us1 <= us0)
		return 0;
	r = udiv64((w1 - w0) * 1000000, us1 - us0);
	return r > 0xffffffffu ? 0xffffffffu : (uint32_t)r;
}

/* The counters with the guest's clock (a calibrated TSC). */
static __attribute__((noinline)) void status_clock(uint64_t writes,
						   uint64_t passes)
{
	volatile struct guest_status *st = STATUS;
	uint64_t us = clock_us(), missed = pace_missed();

	st->seq++;
	barrier();
	st->writes = writes;
	st->passes = passes;
	st->clock_us = us;
	barrier();
	st->seq++;
	if (us >= ach_us + 1000000) {
		st->achieved = rate_between(ach_writes, ach_us, writes, us);
		ach_writes = writes;
		ach_us = us;
	}
	st->missed = missed > 0xffffffffu ? 0xffffffffu : (uint32_t)missed;
}

/* Uncalibrated (no PIT: the project's runner), the counters only, as
 * before the clock existed: that runner's KVM emulates every store and
 * logs each one in its dirty ring. */
static void status_counters(uint64_t writes, uint64_t passes)
{
	volatile struct guest_status *st = STATUS;

	if (st->tsc_khz) {
		status_clock(writes, passes);
		return;
	}
	st->seq++;
	barrier();
	st->writes = writes;
	st->passes = passes;
	barrier();
	st->seq++;
}

static void status_init(uint32_t ram_end)
{
	volatile struct guest_status *st = STATUS;

	st->version = GUEST_ABI_VERSION;
	st->pattern = P.pattern;
	st->data_start = P.data_start;
	st->data_pages = P.pages;
	st->ram_end = ram_end;
	st->seed = P.seed;
	st->delay = P.delay;
	st->count = P.count;
	st->progress = P.progress;
	st->hot = P.hot;
	st->hotbase = P.hotbase;
	st->hotpct = P.hotpct;
	st->scatter = P.scatter;
	st->stride = P.stride;
	st->ws = P.ws;
	st->phase_writes = P.phase_writes;
	st->tick = P.tick;
	st->rate = P.rate;
}

static void banner(void)
{
	struct line l;
	uint32_t k;

	line_start(&l);
	line_str(&l, "pattern=");
	line_str(&l, guest_pattern_name(P.pattern));
	line_str(&l, " pages=");
	line_u64(&l, P.pages);
	line_str(&l, " data_start=");
	line_hex(&l, P.data_start);
	for (k = K_SEED; k < K_NR; k++) {
		if (!(keys[k].patterns & (1u << P.pattern)))
			continue;
		line_str(&l, " ");
		line_str(&l, keys[k].name);
		line_str(&l, "=");
		line_u64(&l, val[k]);
	}
	if (P.pattern != GUEST_PAT_IDLE) {
		line_str(&l, " tsc_khz=");
		line_u64(&l, STATUS->tsc_khz);
	}
	line_emit(&l);
}

/* The previous progress line: (writes, clock). */
static uint64_t prog_writes, prog_us;

static void counters_line(const char *what, uint64_t writes, uint64_t passes)
{
	uint64_t us = clock_us();
	struct line l;

	line_start(&l);
	line_str(&l, what);
	line_str(&l, "writes=");
	line_u64(&l, writes);
	line_str(&l, " passes=");
	line_u64(&l, passes);
	if (STATUS->tsc_khz && !*what) {
		line_str(&l, " writes_per_s=");
		line_u64(&l, rate_between(prog_writes, prog_us, writes, us));
		if (P.rate) {
			line_str(&l, " missed=");
			line_u64(&l, pace_missed());
		}
	}
	prog_writes = writes;
	prog_us = us;
	line_emit(&l);
}

/* Every GUEST_STATUS_INTERVAL writes, and at count=: the status block,
 * the progress line, the end. */
static void after_interval(uint64_t writes, uint64_t pmask)
{
	status_counters(writes, pattern_passes());
	if (pmask && !(writes & pmask))
		counters_line("", writes, pattern_passes());
	if (P.count && writes == P.count) {
		STATUS->state = GUEST_STATE_DONE;
		counters_line("done ", writes, pattern_passes());
		halt_forever();
	}
}

/* rate=: each batch is the writes due now (clock.c), at most up to the
 * next tick; the status block is refreshed at least every 250 ms. */
static __attribute__((noreturn, noinline)) void run_paced(batch_fn batch,
							  uint64_t pmask)
{
	uint64_t writes = 0, mark = 0;

	for (;;) {
		uint32_t chunk = P.tick ? P.tick : GUEST_STATUS_INTERVAL;
		uint32_t n = chunk - ((uint32_t)writes & (chunk - 1));

		if (P.count && P.count - writes < n)
			n = (uint32_t)(P.count - writes);
		n = pace_allow(n);
		batch(n);
		writes += n;
		pace_done(n);
		if (P.tick && !(writes & (P.tick - 1)))
			outb(GUEST_TICK_PORT, 0);
		if (!(writes & (GUEST_STATUS_INTERVAL - 1)) ||
		    (P.count && writes == P.count))
			after_interval(writes, pmask);
		else if (clock_every(&mark, 250))
			status_counters(writes, pattern_passes());
	}
}

void guest_main(uint32_t magic, const struct guest_mb_info *mbi);

void guest_main(uint32_t magic, const struct guest_mb_info *mbi)
{
	uint64_t ram_end = 0, writes = 0, pmask;
	uint32_t flags;
	int too_long = 0;
	batch_fn batch;

	/* Copy what we need from the boot info before touching memory. */
	if (magic == GUEST_MB_BOOT_MAGIC) {
		flags = mbi->flags;
		if (flags & GUEST_MBI_FLAG_MEM)
			ram_end = 0x100000ull + (uint64_t)mbi->mem_upper * 1024;
		if (flags & GUEST_MBI_FLAG_CMDLINE) {
			const char *s = (const char *)mbi->cmdline;
			uint32_t i;

			for (i = 0; i < GUEST_CMDLINE_MAX - 1 && s[i]; i++)
				cmdline[i] = s[i];
			cmdline[i] = 0;
			too_long = s[i] != 0;
		}
	}
	if (ram_end > 0xfffff000ull)
		ram_end = 0xfffff000ull;

	memset((void *)GUEST_STATUS_GPA, 0, sizeof(struct guest_status));
	serial_init();
	idt_init();
	if (magic != GUEST_MB_BOOT_MAGIC) {
		struct line l;

		line_start(&l);
		line_str(&l, "error: not booted by a multiboot loader (eax=");
		line_hex(&l, magic);
		line_str(&l, ")");
		guest_fail(&l);
	}
	if (too_long)
		fail("command line longer than 1023 bytes", 0, 0, 0);

	parse_cmdline(cmdline);
	check_params(ram_end);
	status_init((uint32_t)ram_end);
	if (P.pattern != GUEST_PAT_IDLE)
		STATUS->tsc_khz = clock_calibrate();
	if (P.rate && !STATUS->tsc_khz)
		fail("rate= needs the PIT to calibrate the TSC, and none "
		     "answered on port 0x61", 0, 0, 0);
	/* pacing counts in TSC ticks: at least 1000 per write (a 2.6 GHz
	 * TSC allows rate < 2600000) */
	if (P.rate >= STATUS->tsc_khz && P.rate)
		fail_num("rate=", P.rate, " is not below the TSC's kHz ",
			 STATUS->tsc_khz, 0);
	banner();

	if (P.pattern == GUEST_PAT_IDLE) {
		struct line l;

		status_publish(GUEST_STATE_IDLE);
		line_start(&l);
		line_str(&l, "idle");
		line_emit(&l);
		halt_forever();
	}

	batch = pattern_setup(&P);
	pace_start(P.rate);
	status_counters(0, 0);
	status_publish(GUEST_STATE_RUNNING);
	pmask = P.progress ? (1ull << P.progress) - 1 : 0;
	if (P.rate)
		run_paced(batch, pmask);

	/* Unpaced: as fast as the host runs the guest (the loop as it was
	 * before rate= existed; see the dirty-ring note in boot.S). */
	for (;;) {
		uint32_t chunk = P.tick ? P.tick : GUEST_STATUS_INTERVAL;
		uint32_t n = chunk - ((uint32_t)writes & (chunk - 1));

		if (P.count && P.count - writes < n)
			n = (uint32_t)(P.count - writes);
		batch(n);
		writes += n;
		if (P.tick)
			outb(GUEST_TICK_PORT, 0);
		if ((writes & (GUEST_STATUS_INTERVAL - 1)) &&
		    !(P.count && writes == P.count))
			continue;
		after_interval(writes, pmask);
	}
}
