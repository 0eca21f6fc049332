// SPDX-License-Identifier: GPL-2.0
/*
 * memwork.c - /init of the Linux test guest: a memory-writing workload.
 *
 * Runs as PID 1 in a tiny initramfs under a stock Debian kernel (x86_64),
 * so end-to-end migration tests have a real Linux guest whose dirty pages
 * they control. It never exits: the kernel would panic. On a fatal error it
 * prints one "memwork: error: ..." line and sleeps forever.
 *
 * Parameters come from the kernel command line (the kernel keeps dotted
 * words for itself, so they are read from /proc/cmdline):
 *
 *   memwork.pattern=hotcold|random|seq|idle   (hotcold)
 *   memwork.mib=N        buffer size in MiB                        (64)
 *   memwork.hot_mib=N    hotcold: hot region, the buffer's start    (4)
 *   memwork.hotpct=N     hotcold: percent of writes to it          (90)
 *   memwork.rate=N       page writes per second, 0 = flat out       (0)
 *   memwork.report=N     seconds between progress lines             (2)
 *   memwork.seed=N       random generator seed                      (1)
 *   memwork.verify=0|1   check every page at each progress line     (1)
 *   memwork.map=0|1      print the buffer's guest-physical ranges   (1)
 *
 * Start-up: every page of the buffer is written in full with content that
 * is non-zero and different in every page (QEMU sends zero pages as a flag
 * only). Then "memwork: ready ..." is printed on the console and the
 * pattern runs forever; each write changes one 64-bit word of one 4 KiB
 * page, so one write is one dirty page.
 *
 * Verification (a check that migration lost no dirty page): word 0 and the
 * last word of page i hold a tag of i, word 1 holds the sequence number of
 * the page's last write, also recorded in a side array (8 bytes a page,
 * itself in guest memory and migrated too). At each progress line every
 * page is compared with the array; a mismatch is fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define HUGE_SIZE (2UL << 20)
#define PAGE_WORDS (PAGE_SIZE / sizeof(uint64_t))
#define BATCH 4096
#define MAP_LINES 64	/* at most this many "memwork: map" runs printed */	/* writes between two looks at the clock */

enum pattern { PAT_HOTCOLD, PAT_RANDOM, PAT_SEQ, PAT_IDLE };
static const char *const pattern_names[] = { "hotcold", "random", "seq", "idle" };

static struct {
	enum pattern pattern;
	unsigned long mib, hot_mib, hotpct, rate, report, seed, verify, map;
} cfg = {
	.pattern = PAT_HOTCOLD, .mib = 64, .hot_mib = 4, .hotpct = 90,
	.rate = 0, .report = 2, .seed = 1, .verify = 1, .map = 1,
};

static uint64_t *buf;		/* the buffer, pages * PAGE_WORDS words */
static uint64_t *expect;	/* sequence number of each page's last write */
static unsigned long pages, hot_pages;
static uint64_t seq;		/* writes so far (initial fill included) */
static uint64_t rng;

/* Print "memwork: error: ..." and stop for good (PID 1 must not exit). */
static void __attribute__((noreturn, format(printf, 1, 2))) fatal(const char *fmt, ...)
{
	va_list ap;

	printf("memwork: error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	for (;;)
		pause();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: fast, good enough to pick pages. */
static uint64_t next_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n) (n > 0), without the modulo bias that would matter. */
static unsigned long rand_below(unsigned long n)
{
	return (unsigned long)(((unsigned __int128)next_rand() * n) >> 64);
}

static uint64_t tag(unsigned long i)
{
	return 0x6d656d776f726bULL ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL) ^ 1;
}

/*
 * Make fds 0-2 the console. The kernel opens /dev/console for init when
 * the initramfs has it; when it was built without the node (no mknod
 * rights), devtmpfs provides it.
 */
static void setup_console(void)
{
	int fd;

	if (fcntl(1, F_GETFD) >= 0)
		return;
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		fd = open("/dev/ttyS0", O_RDWR);
	if (fd < 0)
		for (;;)
			pause();	/* nowhere to say anything */
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static unsigned long parse_num(const char *key, const char *val,
			       unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-' || v < min || v > max)
		fatal("bad memwork.%s=%s (want an integer in %lu..%lu)",
		      key, val, min, max);
	return v;
}

static void parse_param(char *word)
{
	char *key = word + strlen("memwork."), *val = strchr(key, '=');
	unsigned i;

	if (!val)
		fatal("memwork.%s needs a value (memwork.%s=...)", key, key);
	*val++ = '\0';
	if (!strcmp(key, "pattern")) {
		for (i = 0; i < sizeof(pattern_names) / sizeof(*pattern_names); i++)
			if (!strcmp(val, pattern_names[i]))
				break;
		if (i == sizeof(pattern_names) / sizeof(*pattern_names))
			fatal("bad memwork.pattern=%s (want hotcold, random, seq or idle)", val);
		cfg.pattern = i;
	} else if (!strcmp(key, "mib")) {
		cfg.mib = parse_num(key, val, 1, 1UL << 20);
	} else if (!strcmp(key, "hot_mib")) {
		cfg.hot_mib = parse_num(key, val, 1, 1UL << 20);
	} else if (!strcmp(key, "hotpct")) {
		cfg.hotpct = parse_num(key, val, 0, 100);
	} else if (!strcmp(key, "rate")) {
		cfg.rate = parse_num(key, val, 0, 1UL << 40);
	} else if (!strcmp(key, "report")) {
		cfg.report = parse_num(key, val, 1, 3600);
	} else if (!strcmp(key, "seed")) {
		cfg.seed = parse_num(key, val, 0, ~0UL);
	} else if (!strcmp(key, "verify")) {
		cfg.verify = parse_num(key, val, 0, 1);
	} else if (!strcmp(key, "map")) {
		cfg.map = parse_num(key, val, 0, 1);
	} else {
		fatal("unknown parameter memwork.%s (known: pattern mib hot_mib hotpct rate report seed verify map)", key);
	}
}

/*
 * Read the parameters from /proc/cmdline, or, when not PID 1 (a test on
 * the host), from the words of `args` if there are any.
 */
static void parse_cmdline(int argc, char **argv)
{
	static char line[4096];
	char *word, *save;
	ssize_t n;
	int fd, i;

	if (getpid() != 1 && argc > 1) {
		line[0] = '\0';
		for (i = 1; i < argc; i++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 "%s ", argv[i]);
	} else {
		if (getpid() == 1) {
			mkdir("/proc", 0555);
			if (mount("proc", "/proc", "proc", 0, NULL) && errno != EBUSY)
				fatal("mount /proc: %s", strerror(errno));
		}
		fd = open("/proc/cmdline", O_RDONLY);
		if (fd < 0)
			fatal("open /proc/cmdline: %s", strerror(errno));
		n = read(fd, line, sizeof(line) - 1);
		if (n < 0)
			fatal("read /proc/cmdline: %s", strerror(errno));
		close(fd);
		line[n] = '\0';
	}
	for (word = strtok_r(line, " \t\n", &save); word;
	     word = strtok_r(NULL, " \t\n", &save))
		if (!strncmp(word, "memwork.", strlen("memwork.")))
			parse_param(word);

	if (cfg.pattern == PAT_HOTCOLD && cfg.hot_mib >= cfg.mib)
		fatal("memwork.hot_mib=%lu must be below memwork.mib=%lu",
		      cfg.hot_mib, cfg.mib);
}

/*
 * The kernel turns transparent huge pages off in guests under 512 MiB;
 * turn them back on for madvise()d memory (only as PID 1: in the guest).
 * Without them the buffer is scattered in 4 KiB frames. Not fatal.
 */
static void enable_thp(void)
{
	static const char path[] = "/sys/kernel/mm/transparent_hugepage/enabled";
	int fd;

	if (getpid() != 1)
		return;
	mkdir("/sys", 0555);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "madvise", 7) != 7)
		printf("memwork: no transparent huge pages: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void allocate(void)
{
	struct sysinfo si;
	unsigned long long want, side, avail;
	void *map;

	pages = cfg.mib << 20 >> 12;
	hot_pages = cfg.pattern == PAT_HOTCOLD ? cfg.hot_mib << 20 >> 12 : 0;
	side = (pages * sizeof(uint64_t) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	want = ((unsigned long long)cfg.mib << 20) + side;
	if (sysinfo(&si))
		fatal("sysinfo: %s", strerror(errno));
	/* Leave 16 MiB for the kernel: the OOM killer would kill PID 1. */
	avail = (unsigned long long)si.freeram * si.mem_unit;
	if (want + (16ULL << 20) > avail)
		fatal("memwork.mib=%lu does not fit: %llu MiB free (give QEMU more -m)",
		      cfg.mib, avail >> 20);
	/*
	 * 2 MiB aligned, for 2 MiB guest pages (transparent huge pages): they
	 * keep the buffer in 2 MiB runs contiguous in guest-physical memory.
	 */
	map = mmap(NULL, (cfg.mib << 20) + HUGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect = mmap(NULL, side, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || expect == MAP_FAILED)
		fatal("mmap %lu MiB: %s", cfg.mib, strerror(errno));
	buf = (uint64_t *)(((uintptr_t)map + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	madvise(buf, cfg.mib << 20, MADV_HUGEPAGE);
}

/* Write page i in full: distinct, non-zero content. */
static void fill_page(unsigned long i)
{
	uint64_t *p = buf + i * PAGE_WORDS, t = tag(i);
	unsigned long w;

	for (w = 0; w < PAGE_WORDS; w++)
		p[w] = t + w * 0x100000001b3ULL;
	p[0] = t;
	p[1] = expect[i] = ++seq;
	p[PAGE_WORDS - 1] = ~t;
}

/* One write: page i gets a new sequence number (one dirty page). */
static inline void touch(unsigned long i)
{
	buf[i * PAGE_WORDS + 1] = expect[i] = ++seq;
}

static unsigned long pick(void)
{
	static unsigned long cur;

	switch (cfg.pattern) {
	case PAT_HOTCOLD:
		if (rand_below(100) < cfg.hotpct)
			return rand_below(hot_pages);
		return hot_pages + rand_below(pages - hot_pages);
	case PAT_RANDOM:
		return rand_below(pages);
	case PAT_SEQ:
		if (++cur >= pages)
			cur = 0;
		return cur;
	case PAT_IDLE:
		break;
	}
	return 0;
}

/* Print one run of guest-physical pages [first, last] of a region. */
static void print_run(const char *what, uint64_t first, uint64_t last,
		      unsigned long *lines)
{
	if (++*lines <= MAP_LINES)
		printf("memwork: map %s 0x%llx-0x%llx\n", what,
		       (unsigned long long)first << 12,
		       (unsigned long long)(last + 1) << 12);
}

/*
 * Print where the buffer is in guest-physical memory, as runs of
 * contiguous frames from /proc/self/pagemap: "memwork: map hot|cold|buf
 * START-END" (END exclusive). The guest kernel may still move pages later
 * (compaction, khugepaged), rarely without memory pressure. Not fatal.
 */
static const char *region(unsigned long i)
{
	return !hot_pages ? "buf" : i < hot_pages ? "hot" : "cold";
}

static void print_map(void)
{
	unsigned long i, lines = 0;
	uint64_t e, pfn, first = 0, last = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		printf("memwork: map unavailable: /proc/self/pagemap: %s\n", strerror(errno));
		return;
	}
	for (i = 0; i < pages; i++) {
		off_t off = (off_t)((uintptr_t)(buf + i * PAGE_WORDS) / PAGE_SIZE * 8);

		if (pread(fd, &e, sizeof(e), off) != sizeof(e) ||
		    !(e & (1ULL << 63)) || !(pfn = e & ((1ULL << 55) - 1))) {
			printf("memwork: map unavailable: page %lu has no frame\n", i);
			close(fd);
			return;
		}
		if (i && pfn == last + 1 && i != hot_pages) {
			last = pfn;	/* the run goes on */
			continue;
		}
		if (i)
			print_run(region(i - 1), first, last, &lines);
		first = last = pfn;
	}
	print_run(region(pages - 1), first, last, &lines);
	close(fd);
	if (lines > MAP_LINES)
		printf("memwork: map ... %lu more runs not shown\n", lines - MAP_LINES);
	printf("memwork: map runs=%lu\n", lines);
}

static void verify(void)
{
	unsigned long i;

	for (i = 0; i < pages; i++) {
		const uint64_t *p = buf + i * PAGE_WORDS;

		if (p[0] != tag(i) || p[PAGE_WORDS - 1] != ~tag(i) || p[1] != expect[i])
			fatal("verify: page %lu of %lu holds seq %llu, expected %llu%s",
			      i, pages, (unsigned long long)p[1],
			      (unsigned long long)expect[i],
			      p[0] != tag(i) || p[PAGE_WORDS - 1] != ~tag(i) ?
			      " (and a wrong tag)" : "");
	}
}

static void sleep_until(double t)
{
	double d = t - now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void __attribute__((noreturn)) run(void)
{
	double start = now(), next_report = start + cfg.report, last = start;
	uint64_t writes = 0, last_writes = 0;
	unsigned long i, batch;

	/* With a rate, batches of 1/100 s of writes (at least one). */
	batch = cfg.rate ? (cfg.rate + 99) / 100 : BATCH;
	for (;;) {
		double t;

		if (cfg.pattern != PAT_IDLE) {
			for (i = 0; i < batch; i++)
				touch(pick());
			writes += batch;
		}
		if (cfg.pattern == PAT_IDLE)
			sleep_until(next_report);
		else if (cfg.rate)
			sleep_until(start + (double)writes / cfg.rate);
		t = now();
		if (t < next_report)
			continue;
		if (cfg.verify)
			verify();
		printf("memwork: t=%.1fs writes=%llu rate=%.0f/s%s\n",
		       t - start, (unsigned long long)writes,
		       (writes - last_writes) / (t - last),
		       cfg.verify ? " verify=ok" : "");
		last = t;
		last_writes = writes;
		while (next_report <= t)
			next_report += cfg.report;
	}
}

int main(int argc, char **argv)
{
	unsigned long i;
	double t0;

	setup_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getpid() != 1)
		printf("memwork: not PID 1 (pid %d): testing outside a guest\n",
		       (int)getpid());
	parse_cmdline(argc, argv);
	rng = cfg.seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (!rng)
		rng = 1;
	enable_thp();
	allocate();
	t0 = now();
	for (i = 0; i < pages; i++)
		fill_page(i);
	printf("memwork: ready pattern=%s mib=%lu pages=%lu hot_mib=%lu hotpct=%lu"
	       " rate=%lu buf=%p fill=%.2fs\n",
	       pattern_names[cfg.pattern], cfg.mib, pages,
	       cfg.pattern == PAT_HOTCOLD ? cfg.hot_mib : 0,
	       cfg.pattern == PAT_HOTCOLD ? cfg.hotpct : 0,
	       cfg.rate, (void *)buf, now() - t0);
	if (cfg.map)
		print_map();
	run();
}
