// SPDX-License-Identifier: GPL-2.0
/*
 * test_guest_qemu - boot the workload guest (tools/guest/, built into
 * $OUT/guest/guest.elf) under QEMU with TCG for every pattern and check on
 * its serial output that it parsed its parameters and made progress; check
 * the status block and the written pages through QEMU's monitor; check that
 * bad parameters stop the guest with an error line.
 *
 * Needs qemu-system-x86_64 (env QEMU overrides the binary); skips without it.
 * Most runs use count= so the guest stops by itself and the test does not
 * wait for a fixed time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "harness.h"
#include "../../tools/guest/guest_abi.h"

extern char **environ;

static char elf_path[4096];
static char qemu_bin[4096];
static const char *skip_reason;

#define RUN_TIMEOUT_MS 30000	/* generous: the machine may be loaded */

struct qemu {
	pid_t pid;
	int fd;			/* QEMU's stdout+stderr (the guest's COM1) */
	char out[1 << 16];
	size_t len;
	char mon[108];		/* HMP monitor socket, or "" */
	int mon_fd;
};

static bool find_in_path(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return access(out, X_OK) == 0;
	}
	if (!path)
		path = "/usr/bin:/bin";
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save, *d = strtok_r(buf, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, outlen, "%s/%s", *d ? d : ".", name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

static bool qemu_start(struct qemu *q, const char *append, bool monitor)
{
	posix_spawn_file_actions_t fa;
	char mon_arg[160];
	const char *argv[32];
	int p[2], n = 0, err;
	struct stat st;

	memset(q, 0, sizeof(*q));
	q->mon_fd = -1;
	if (pipe2(p, O_CLOEXEC))
		return false;
	argv[n++] = qemu_bin;
	argv[n++] = "-accel";
	argv[n++] = "tcg";
	argv[n++] = "-kernel";
	argv[n++] = elf_path;
	argv[n++] = "-append";
	argv[n++] = append;
	argv[n++] = "-m";
	argv[n++] = "64";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-nic";
	argv[n++] = "none";
	argv[n++] = "-serial";
	argv[n++] = "stdio";
	argv[n++] = "-no-reboot";
	if (!stat("/usr/share/seabios", &st)) {
		argv[n++] = "-L";
		argv[n++] = "/usr/share/seabios";
	}
	if (!stat("/usr/share/qemu", &st)) {
		argv[n++] = "-L";
		argv[n++] = "/usr/share/qemu";
	}
	if (monitor) {
		snprintf(q->mon, sizeof(q->mon), "/tmp/precopy-guest-test-%d.sock",
			 (int)getpid());
		unlink(q->mon);
		snprintf(mon_arg, sizeof(mon_arg), "unix:%s,server=on,wait=off",
			 q->mon);
		argv[n++] = "-monitor";
		argv[n++] = mon_arg;
	}
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	err = posix_spawn(&q->pid, qemu_bin, &fa, NULL, (char **)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (err) {
		printf("  posix_spawn %s: %s\n", qemu_bin, strerror(err));
		close(p[0]);
		return false;
	}
	q->fd = p[0];
	return true;
}

/* Read output until `needle` appears after byte `from` and the line it is in
 * is complete (returns its offset), or QEMU exits or the timeout passes
 * (returns -1). */
static long qemu_wait_for(struct qemu *q, const char *needle, size_t from,
			  int timeout_ms)
{
	long long deadline = (long long)clock_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		long long left;
		char *hit;
		ssize_t r;

		q->out[q->len] = 0;
		if (from < q->len && (hit = strstr(q->out + from, needle)) &&
		    strchr(hit, '\n'))
			return hit - q->out;
		left = deadline - (long long)clock_now_ms();
		if (left <= 0 || q->len >= sizeof(q->out) - 1)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(q->fd, q->out + q->len, sizeof(q->out) - 1 - q->len);
		if (r <= 0)
			return -1;
		q->len += (size_t)r;
	}
}

static void qemu_stop(struct qemu *q)
{
	int status;

	if (q->mon_fd >= 0)
		close(q->mon_fd);
	if (q->pid > 0) {
		kill(q->pid, SIGTERM);
		for (int i = 0; i < 200; i++) {
			if (waitpid(q->pid, &status, WNOHANG) == q->pid) {
				q->pid = 0;
				break;
			}
			usleep(10000);
		}
		if (q->pid > 0) {
			kill(q->pid, SIGKILL);
			waitpid(q->pid, &status, 0);
		}
	}
	if (q->fd > 0)
		close(q->fd);
	if (q->mon[0])
		unlink(q->mon);
}

static void dump_output(struct qemu *q)
{
	q->out[q->len] = 0;
	printf("  --- QEMU output (%zu bytes) ---\n", q->len);
	printf("%.*s", q->len > 3000 ? 3000 : (int)q->len, q->out);
	if (q->len && q->out[q->len > 3000 ? 2999 : q->len - 1] != '\n')
		printf("\n");
	printf("  --- end ---\n");
}

/* The whole line starting at offset off. */
static void line_at(struct qemu *q, long off, char *buf, size_t len)
{
	const char *s = q->out + off, *e = strchr(s, '\n');
	size_t n = e ? (size_t)(e - s) : strlen(s);

	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (n && buf[n - 1] == '\r')
		buf[n - 1] = 0;
}

/* Does the space-separated line contain the word kv exactly? */
static bool has_word(const char *line, const char *kv)
{
	size_t n = strlen(kv);

	for (const char *p = line; (p = strstr(p, kv)); p++)
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

/* ---- HMP monitor: read guest physical words ---- */
static bool mon_connect(struct qemu *q)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = (long long)clock_now_ms() + 5000;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", q->mon);
	while ((long long)clock_now_ms() < deadline) {
		q->mon_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->mon_fd < 0)
			return false;
		if (!connect(q->mon_fd, (struct sockaddr *)&sa, sizeof(sa)))
			return true;
		close(q->mon_fd);
		q->mon_fd = -1;
		usleep(20000);
	}
	return false;
}

/* Read until the "(qemu) " prompt; returns bytes in buf. */
static size_t mon_read_prompt(struct qemu *q, char *buf, size_t len)
{
	long long deadline = (long long)clock_now_ms() + 5000;
	size_t n = 0;

	while ((long long)clock_now_ms() < deadline && n < len - 1) {
		struct pollfd pfd = { .fd = q->mon_fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		r = read(q->mon_fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "(qemu) "))
			break;
	}
	buf[n] = 0;
	return n;
}

/* Words [addr, addr + 4*nwords) of guest physical memory via "xp". */
static bool mon_xp(struct qemu *q, uint32_t addr, unsigned nwords, uint32_t *out)
{
	char cmd[64], buf[8192];
	unsigned got = 0;

	if (q->mon_fd < 0) {
		if (!mon_connect(q))
			return false;
		mon_read_prompt(q, buf, sizeof(buf));
	}
	snprintf(cmd, sizeof(cmd), "xp /%uwx 0x%x\n", nwords, addr);
	if (write(q->mon_fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return false;
	mon_read_prompt(q, buf, sizeof(buf));
	/* lines "<16 hex digits>: 0x........ 0x........ ..." */
	for (char *p = buf; (p = strstr(p, ": 0x")); p += 2) {
		char *s = p;
		unsigned long long a;

		while (s > buf && ((s[-1] >= '0' && s[-1] <= '9') ||
				   (s[-1] >= 'a' && s[-1] <= 'f')))
			s--;
		a = strtoull(s, NULL, 16);
		if (a < addr || a >= addr + 4ull * nwords)
			continue;
		for (char *w = p + 1; got < nwords; ) {
			char *e;
			unsigned long v;

			while (*w == ' ')
				w++;
			if (strncmp(w, "0x", 2))
				break;
			v = strtoul(w, &e, 16);
			out[(a - addr) / 4] = (uint32_t)v;
			a += 4;
			got++;
			w = e;
		}
	}
	return got == nwords;
}

/* ---- the checks ---- */

#define NEED_QEMU()                                                          \
	do {                                                                 \
		if (skip_reason) {                                           \
			TEST_SKIP("%s", skip_reason);                        \
			return;                                              \
		}                                                            \
	} while (0)

/*
 * Boot with `append` (which must set count=COUNT progress=16 and
 * pages=PAGES), wait for the banner and the "done" line. Check that the
 * banner has every word of `expect` and that passes matches (if >= 0).
 */
#define COUNT 300000
#define PAGES 1000

static void run_pattern(const char *name, const char *append,
			const char *expect, long long want_passes)
{
	char line[512], want[64], words[512];
	unsigned long long w = 0, p = 0;
	struct qemu q;
	long off, done;

	if (!ASSERT_TRUE(qemu_start(&q, append, false), "start QEMU"))
		return;
	off = qemu_wait_for(&q, "precopy-guest: pattern=", 0, RUN_TIMEOUT_MS);
	if (!ASSERT_TRUE(off >= 0, "banner line"))
		goto out;
	line_at(&q, off, line, sizeof(line));
	snprintf(want, sizeof(want), "pattern=%s", name);
	ASSERT_TRUE(has_word(line, want), "banner names the pattern");
	snprintf(want, sizeof(want), "pages=%d", PAGES);
	ASSERT_TRUE(has_word(line, want), "banner has pages=");
	ASSERT_TRUE(has_word(line, "data_start=0x200000"), "banner has data_start");
	snprintf(words, sizeof(words), "%s", expect);
	for (char *save, *t = strtok_r(words, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		if (!has_word(line, t)) {
			printf("  banner lacks '%s': %s\n", t, line);
			ASSERT_TRUE(false, "banner shows the parsed parameters");
		}
	}

	/* a progress line every 2^16 writes, then "done" */
	ASSERT_TRUE(qemu_wait_for(&q, "precopy-guest: writes=65536 passes=", off,
				  RUN_TIMEOUT_MS) >= 0, "progress line");
	done = qemu_wait_for(&q, "precopy-guest: done ", off, RUN_TIMEOUT_MS);
	if (!ASSERT_TRUE(done >= 0, "done line (count= reached)"))
		goto out;
	line_at(&q, done, line, sizeof(line));
	if (!ASSERT_EQ(sscanf(line, "precopy-guest: done writes=%llu passes=%llu",
			      &w, &p), 2, "parse done line"))
		goto out;
	ASSERT_EQ(w, COUNT, "writes counted");
	ASSERT_TRUE(w > 0, "made progress");
	if (want_passes >= 0)
		ASSERT_EQ(p, want_passes, "passes");
	else
		ASSERT_TRUE(p > 0, "passes > 0");
	ASSERT_TRUE(!strstr(q.out, "error") && !strstr(q.out, "exception"),
		    "no error or exception line");
out:
	if (harness_cur_failed)
		dump_output(&q);
	qemu_stop(&q);
}

#define COMMON "count=300000 progress=16 pages=1000"

static void test_hotcold(void)
{
	NEED_QEMU();
	/* 30% cold writes over 1000-32 cold pages: ~93 passes */
	run_pattern("hotcold", "pattern=hotcold " COMMON " hot=32 hotpct=70 seed=5",
		    "hot=32 hotpct=70 hotbase=0 seed=5 count=300000 progress=16", -1);
}

static void test_hotcold_hotbase(void)
{
	NEED_QEMU();
	run_pattern("hotcold", "pattern=hotcold " COMMON " hotbase=0x100",
		    "hot=64 hotpct=90 hotbase=256 seed=1 delay=0", -1);
}

static void test_zipf(void)
{
	NEED_QEMU();
	run_pattern("zipf", "pattern=zipf " COMMON, "scatter=0 seed=1", COUNT / PAGES);
}

static void test_zipf_scatter(void)
{
	NEED_QEMU();
	run_pattern("zipf", "pattern=zipf " COMMON " scatter=1 seed=0xdeadbeef",
		    "scatter=1 seed=3735928559", COUNT / PAGES);
}

static void test_seqsweep(void)
{
	NEED_QEMU();
	run_pattern("seqsweep", "pattern=seqsweep " COMMON " stride=2", "stride=2",
		    COUNT / (PAGES / 2));
}

static void test_random(void)
{
	NEED_QEMU();
	run_pattern("random", "pattern=random " COMMON " seed=42", "seed=42",
		    COUNT / PAGES);
}

static void test_phases(void)
{
	NEED_QEMU();
	run_pattern("phases", "pattern=phases " COMMON " ws=300 phase_writes=7000",
		    "ws=300 phase_writes=7000", COUNT / 7000);
}

static void test_delay(void)
{
	NEED_QEMU();
	run_pattern("random", "pattern=random " COMMON " delay=3", "delay=3",
		    COUNT / PAGES);
}

/* Without count= the guest runs forever: progress lines keep coming. */
static void test_runs_until_stopped(void)
{
	char line[256];
	unsigned long long w1 = 0, w2 = 0;
	struct qemu q;
	long a, b;

	NEED_QEMU();
	if (!ASSERT_TRUE(qemu_start(&q, "pattern=seqsweep progress=16", false),
			 "start QEMU"))
		return;
	a = qemu_wait_for(&q, "precopy-guest: writes=", 0, RUN_TIMEOUT_MS);
	if (!ASSERT_TRUE(a >= 0, "first progress line"))
		goto out;
	b = qemu_wait_for(&q, "precopy-guest: writes=", (size_t)a + 1,
			  RUN_TIMEOUT_MS);
	if (!ASSERT_TRUE(b >= 0, "second progress line"))
		goto out;
	line_at(&q, a, line, sizeof(line));
	sscanf(line, "precopy-guest: writes=%llu", &w1);
	line_at(&q, b, line, sizeof(line));
	sscanf(line, "precopy-guest: writes=%llu", &w2);
	ASSERT_EQ(w1, 65536, "first progress at 2^16 writes");
	ASSERT_EQ(w2, 2 * 65536, "second progress at 2^17 writes");
out:
	if (harness_cur_failed)
		dump_output(&q);
	qemu_stop(&q);
}

static void test_idle(void)
{
	struct qemu q;
	long off;

	NEED_QEMU();
	if (!ASSERT_TRUE(qemu_start(&q, "pattern=idle", false), "start QEMU"))
		return;
	off = qemu_wait_for(&q, "precopy-guest: pattern=idle ", 0, RUN_TIMEOUT_MS);
	if (!ASSERT_TRUE(off >= 0, "banner"))
		goto out;
	ASSERT_TRUE(qemu_wait_for(&q, "precopy-guest: idle\n", off,
				  RUN_TIMEOUT_MS) >= 0, "idle line");
	/* no writes: no progress line in the next half second */
	ASSERT_TRUE(qemu_wait_for(&q, "writes=", off, 500) < 0, "no writes");
out:
	if (harness_cur_failed)
		dump_output(&q);
	qemu_stop(&q);
}

static void expect_error(const char *append, const char *msg)
{
	struct qemu q;

	if (!ASSERT_TRUE(qemu_start(&q, append, false), "start QEMU"))
		return;
	if (!ASSERT_TRUE(qemu_wait_for(&q, msg, 0, RUN_TIMEOUT_MS) >= 0, msg))
		dump_output(&q);
	else
		ASSERT_TRUE(!strstr(q.out, "writes="), "no writes after an error");
	qemu_stop(&q);
}

static void test_bad_parameters(void)
{
	NEED_QEMU();
	expect_error("pattern=random bogus=1",
		     "precopy-guest: error: unknown key 'bogus'\n");
	expect_error("pattern=hotcold hot=12x",
		     "precopy-guest: error: bad number in 'hot=12x'\n");
	expect_error("pattern=random hot=5",
		     "precopy-guest: error: key 'hot' does not apply to pattern random\n");
	expect_error("pattern=nosuch",
		     "precopy-guest: error: unknown pattern 'nosuch'");
	expect_error("seed=1", "precopy-guest: error: no pattern= given");
	expect_error("pattern=random pages=999999",
		     "precopy-guest: error: pages=999999 exceeds the RAM above data_start");
}

/* rate=R: the writes are paced by the guest's TSC, calibrated against
 * the PIT. 3 x 4096 writes at R = 4000/s must take 3.07 s of the host's
 * time +-15 % (progress lines timed as they arrive), and the guest's own
 * writes_per_s and the status block's achieved rate must say R +-15 %. */
#define PACE_RATE	4000
#define PACE_TOL	0.15

static bool near_rate(double got)
{
	return got >= PACE_RATE * (1 - PACE_TOL) &&
	       got <= PACE_RATE * (1 + PACE_TOL);
}

static void test_paced(void)
{
	uint32_t st[sizeof(struct guest_status) / 4];
	const struct guest_status *s = (const void *)st;
	unsigned long long w = 0, p = 0, wps = 0, missed = ~0ull, khz = 0;
	char line[512], needle[64];
	long long t[4];
	long off = 0, at;
	struct qemu q;
	int i;

	NEED_QEMU();
	if (!ASSERT_TRUE(qemu_start(&q, "pattern=random pages=1000 rate=4000 "
				    "progress=12", true), "start QEMU"))
		return;
	at = qemu_wait_for(&q, "precopy-guest: pattern=random ", 0,
			   RUN_TIMEOUT_MS);
	if (!ASSERT_TRUE(at >= 0, "banner"))
		goto out;
	line_at(&q, at, line, sizeof(line));
	ASSERT_TRUE(has_word(line, "rate=4000"), "banner shows rate=4000");
	if (!ASSERT_TRUE(strstr(line, " tsc_khz=") &&
			 sscanf(strstr(line, " tsc_khz="), " tsc_khz=%llu",
				&khz) == 1 && khz > 100000,
			 "banner shows the calibrated TSC (> 100 MHz)"))
		goto out;
	for (i = 0; i < 4; i++) {
		snprintf(needle, sizeof(needle), "precopy-guest: writes=%u ",
			 (unsigned)(i + 1) * 4096u);
		at = qemu_wait_for(&q, needle, (size_t)off, RUN_TIMEOUT_MS);
		t[i] = (long long)clock_now_ms();
		if (!ASSERT_TRUE(at >= 0, "progress line"))
			goto out;
		off = at;
	}
	printf("  host: 3 x 4096 writes in %lld ms (%.0f writes/s, want %d)\n",
	       t[3] - t[0], 3 * 4096 * 1000.0 / (double)(t[3] - t[0]),
	       PACE_RATE);
	ASSERT_TRUE(t[3] > t[0] &&
		    near_rate(3 * 4096 * 1000.0 / (double)(t[3] - t[0])),
		    "host's clock: the rate is rate= +-15 %");
	line_at(&q, off, line, sizeof(line));
	printf("  guest: %s\n", line);
	if (ASSERT_EQ(sscanf(line, "precopy-guest: writes=%llu passes=%llu "
			     "writes_per_s=%llu missed=%llu", &w, &p, &wps,
			     &missed), 4, "progress line has writes_per_s= missed="))
		ASSERT_TRUE(near_rate((double)wps),
			    "guest's clock: writes_per_s is rate= +-15 %");
	if (!ASSERT_TRUE(mon_xp(&q, GUEST_STATUS_GPA, 64, st),
			 "read status via monitor"))
		goto out;
	ASSERT_EQ(s->version, GUEST_ABI_VERSION, "ABI version");
	ASSERT_EQ(s->rate, PACE_RATE, "status: rate");
	ASSERT_EQ(s->tsc_khz, khz, "status: tsc_khz as in the banner");
	ASSERT_TRUE(near_rate(s->achieved), "status: achieved is rate= +-15 %");
	ASSERT_TRUE(s->clock_us > 3000000, "status: the guest's clock runs");
	printf("  status: achieved %u writes/s, missed %u, tsc_khz %u\n",
	       s->achieved, s->missed, s->tsc_khz);
out:
	if (harness_cur_failed)
		dump_output(&q);
	qemu_stop(&q);
}

/* The status block and page contents, read through QEMU's monitor. */
static void test_status_block(void)
{
	uint32_t st[sizeof(struct guest_status) / 4], v;
	const struct guest_status *s = (const void *)st;
	struct qemu q;

	NEED_QEMU();
	if (!ASSERT_TRUE(qemu_start(&q, "pattern=seqsweep count=10500 pages=1000 progress=0",
				    true), "start QEMU"))
		return;
	if (!ASSERT_TRUE(qemu_wait_for(&q, "precopy-guest: done writes=10500 passes=10\n",
				       0, RUN_TIMEOUT_MS) >= 0, "done line"))
		goto out;
	if (!ASSERT_TRUE(mon_xp(&q, GUEST_STATUS_GPA, 32, st), "read status via monitor"))
		goto out;
	ASSERT_EQ(s->magic, GUEST_STATUS_MAGIC, "magic");
	ASSERT_EQ(s->version, GUEST_ABI_VERSION, "version");
	ASSERT_EQ(s->state, GUEST_STATE_DONE, "state");
	ASSERT_EQ(s->pattern, GUEST_PAT_SEQSWEEP, "pattern id");
	ASSERT_STREQ(guest_pattern_name(s->pattern), "seqsweep", "pattern name");
	ASSERT_EQ(s->data_start, GUEST_DATA_START_DEFAULT, "data_start");
	ASSERT_EQ(s->data_pages, 1000, "data_pages");
	ASSERT_TRUE(s->ram_end > GUEST_LOW_END && s->ram_end <= 64u << 20, "ram_end");
	ASSERT_EQ(s->seq % 2, 0, "seq even (not mid-update)");
	ASSERT_EQ(s->writes, 10500, "writes");
	ASSERT_EQ(s->passes, 10, "passes");
	ASSERT_EQ(s->stride, 1, "stride");
	ASSERT_EQ(s->count, 10500, "count");
	ASSERT_EQ(s->rate, 0, "rate (unpaced)");
	ASSERT_TRUE(s->tsc_khz > 100000, "tsc_khz: calibrated against QEMU's PIT");
	/* word 0 of a page = 1-based index of its last write:
	 * page p was last written by write 10000 + p + 1 (p < 500) or
	 * 9000 + p + 1 (p >= 500). */
	if (ASSERT_TRUE(mon_xp(&q, GUEST_DATA_START_DEFAULT + 7 * 4096, 1, &v), "xp page 7"))
		ASSERT_EQ(v, 10008, "page 7 word 0");
	if (ASSERT_TRUE(mon_xp(&q, GUEST_DATA_START_DEFAULT + 999 * 4096, 1, &v), "xp page 999"))
		ASSERT_EQ(v, 10000, "page 999 word 0");
out:
	if (harness_cur_failed)
		dump_output(&q);
	qemu_stop(&q);
}

int main(void)
{
	const char *out = getenv("OUT");
	const char *qemu = getenv("QEMU");
	long long t0 = (long long)clock_now_ms();

	snprintf(elf_path, sizeof(elf_path), "%s/guest/guest.elf",
		 out && *out ? out : "build");
	if (!find_in_path(qemu && *qemu ? qemu : "qemu-system-x86_64", qemu_bin,
			  sizeof(qemu_bin)))
		skip_reason = "qemu-system-x86_64 not installed "
			      "(apt-get install qemu-system-x86, or set QEMU=)";
	else if (access(elf_path, R_OK)) {
		printf("  %s: %s (build it with 'make guest')\n", elf_path,
		       strerror(errno));
		/* fail every test rather than skip: the guest is part of the build */
	}

	RUN_TEST(test_hotcold);
	RUN_TEST(test_hotcold_hotbase);
	RUN_TEST(test_zipf);
	RUN_TEST(test_zipf_scatter);
	RUN_TEST(test_seqsweep);
	RUN_TEST(test_random);
	RUN_TEST(test_phases);
	RUN_TEST(test_delay);
	RUN_TEST(test_runs_until_stopped);
	RUN_TEST(test_idle);
	RUN_TEST(test_paced);
	RUN_TEST(test_bad_parameters);
	RUN_TEST(test_status_block);
	printf("  (%.1f s)\n", ((long long)clock_now_ms() - t0) / 1000.0);
	return harness_finish();
}
