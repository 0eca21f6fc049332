// SPDX-License-Identifier: GPL-2.0
/*
 * migrun.c - one measured live migration between two QEMU processes, on
 * loopback or between network namespaces, stock, with QEMU's convergence
 * aids or plan-driven, with memory comparison and faults. See migrun.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/errmsg.h"
#include "downtime_trace.h"
#include "guestmem.h"
#include "memdiff.h"
#include "mig_child.h"
#include "migrun.h"
#include "ring/plan_ring.h"
#include "util/qmp.h"

#define MAX_ARGS 64
#define POLL_MS 50
#define LEGACY_START 0xa0000ULL
#define LEGACY_END 0x100000ULL

void migrun_config__default(struct migrun_config *c)
{
	memset(c, 0, sizeof(*c));
	c->accel = MIGRUN_KVM;
	c->dirty_ring = MIGRUN_RING_AUTO;
	c->mem_mib = 256;
	c->warmup_s = 2.0;
	c->bandwidth_mibps = 64;
	c->downtime_ms = 300;
	c->mode = MIGRUN_STOCK;
	c->vcpu_dirty_limit = 1;
	c->planner_start = MIGRUN_PLANNER_BEFORE;
	c->fault = MIGRUN_FAULT_NONE;
	c->fault_iteration = 2;
	c->timeout_s = 180;
}

static const char *const mode_names[MIGRUN_MODES] = {
	[MIGRUN_STOCK] = "stock",
	[MIGRUN_PLAN] = "plan",
	[MIGRUN_AUTO_CONVERGE] = "auto-converge",
	[MIGRUN_DIRTY_LIMIT] = "dirty-limit-hand",
};

const char *const migrun__files[] = {
	"src.qmp", "dst.qmp", "src.serial", "dst.serial", "src.stderr",
	"dst.stderr", "planner.jsonl", "planner.stderr", "src.mem", "dst.mem",
	"src-plan.qmp", "src.trace", "dst.trace", NULL,
};

unsigned int migrun_ring_size(const struct migrun_config *c)
{
	if (c->dirty_ring != MIGRUN_RING_AUTO)
		return c->dirty_ring;
	if (c->mode == MIGRUN_DIRTY_LIMIT ||
	    (c->mode == MIGRUN_PLAN && c->converge))
		return 4096;
	return 65536;
}

const char *migrun_mode__name(enum migrun_mode m)
{
	return (unsigned int)m < MIGRUN_MODES ? mode_names[m] : "?";
}

int migrun_mode__parse(const char *name)
{
	int m;

	for (m = 0; m < MIGRUN_MODES; m++)
		if (!strcmp(name, mode_names[m]))
			return m;
	return -1;
}

/* The workload guest's write rate over the warm-up, from its counter
 * sampled at every poll (exact, guestmem__guest_writes()); the rate is
 * taken between the first and the last change seen, timed to the poll. */
struct ratemeter {
	bool any;		/* a first sample was taken */
	uint64_t last;		/* the last value seen */
	int steps;		/* changes seen */
	double t0, t1;		/* when the first and the last change was seen */
	uint64_t w0, w1;
};

static void rate_sample(struct ratemeter *m, double t, uint64_t w)
{
	if (!m->any) {
		m->any = true;
		m->last = w;
		return;
	}
	if (w == m->last)
		return;
	m->last = w;
	if (!m->steps++) {
		m->t0 = t;
		m->w0 = w;
	}
	m->t1 = t;
	m->w1 = w;
}

/* Writes per second, or -1 with fewer than two changes seen. */
static double rate_of(const struct ratemeter *m)
{
	if (m->steps < 2 || m->t1 <= m->t0)
		return -1;
	return (double)(m->w1 - m->w0) / (m->t1 - m->t0);
}

/* Everything a run owns, released by run_cleanup(). */
struct run {
	const struct migrun_config *c;
	struct mig_child src, dst, planner;
	struct qmp *qsrc, *qdst;
	char ring[128];
	char src_qmp[512], dst_qmp[512], src_serial[512], dst_serial[512];
	char src_mem[512], dst_mem[512], plan_log[512], plan_err[512];
	char src_err[512], dst_err[512], plan_qmp[512];
	char src_trace[512], dst_trace[512];
	int port;
	bool planner_started;
	struct guestmem gsrc;	/* the source's RAM, located once it runs */
	struct ratemeter before;
	bool during_read;	/* the count at `migrate` was read: */
	uint64_t during_w0;	/* that count */
	double during_t0;	/* and when it was read */
	bool have_writes;
};

/*
 * The guest's write counter is not read during the migration: a reading
 * scans the first word of every data page of the source's RAM
 * (guestmem__guest_writes(), 8 process_vm_readv calls of 1,024 pieces for
 * 8,192 pages, about 1-2 ms), and each piece takes the source's mmap lock.
 * Read every 50 ms, it overlapped the switchover in about 3 of 10 runs on
 * a 2-core host: the source's migration thread waited in D state on the
 * lock, and stopping the vCPUs took 0.7-5.9 ms instead of 0.3 (perf sched,
 * 2026-12-06); read every 200 ms, 1 of 8 runs still had such a stop. The
 * rate during the migration is taken from two readings instead: just
 * before `migrate`, and once the migration has ended (the source is then
 * stopped at the switchover, so its count is the count at the stop).
 *
 * Writes per second from `migrate` to the switchover (or, when the
 * migration did not complete, to now, the source still running): the
 * count at `migrate` and the count now, over QEMU's total time less its
 * downtime (the writes stop when the vCPUs stop). -1 when unread. */
static double rate_during(const struct run *R, const struct migrun_result *r)
{
	uint64_t w;
	double dt;

	if (!R->during_read || guestmem__guest_writes(&R->gsrc, &w) ||
	    w < R->during_w0)
		return -1;
	if (!strcmp(r->status, "completed"))
		dt = (double)(r->total_time_ms - r->downtime_ms) / 1000.0;
	else
		dt = clock_now_s() - R->during_t0;
	if (dt <= 0)
		return -1;
	return (double)(w - R->during_w0) / dt;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Has the caller asked the run to stop (SIGINT, SIGTERM)? */
static bool stopped(const struct migrun_config *c)
{
	return c->stop && *c->stop;
}

static void say(const struct migrun_config *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct migrun_config *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "migrun: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A free TCP port on 127.0.0.1 (bound and released: a small race only). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* First line of a log file, for error messages. */
static void log_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	out[0] = 0;
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/*
 * Whether the first 64 KiB of the file at @path hold @text; if so and
 * @line is not NULL, the line holding it goes there (at most @linelen - 1
 * bytes, NUL-terminated).
 */
static bool file_line(const char *path, const char *text, char *line,
		      size_t linelen)
{
	char buf[65536], *hit, *start, *end;
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	hit = strstr(buf, text);
	if (!hit)
		return false;
	if (line && linelen) {
		for (start = hit; start > buf && start[-1] != '\n'; start--)
			;
		end = strchr(hit, '\n');
		n = end ? (size_t)(end - start) : strlen(start);
		if (n && start[n - 1] == '\r')
			n--;
		if (n >= linelen)
			n = linelen - 1;
		memcpy(line, start, n);
		line[n] = 0;
	}
	return true;
}

static bool file_has(const char *path, const char *text)
{
	return file_line(path, text, NULL, 0);
}

static pid_t start_qemu(struct run *R, bool dst)
{
	const struct migrun_config *c = R->c;
	char mem[16], qmp[600], qmp2[600], serial[600], incoming[64], accel[64];
	char uuid[40], trace[600];
	const char *argv[MAX_ARGS];
	unsigned int ring;
	int n = 0;

	snprintf(mem, sizeof(mem), "%u", c->mem_mib);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off",
		 dst ? R->dst_qmp : R->src_qmp);
	snprintf(serial, sizeof(serial), "file:%s",
		 dst ? R->dst_serial : R->src_serial);
	argv[n++] = c->qemu;
	argv[n++] = "-accel";
	if (c->accel == MIGRUN_TCG)
		snprintf(accel, sizeof(accel), "tcg");
	else if ((ring = migrun_ring_size(c)))
		snprintf(accel, sizeof(accel), "kvm,dirty-ring-size=%u", ring);
	else
		snprintf(accel, sizeof(accel), "kvm");
	argv[n++] = accel;
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-nic";
	argv[n++] = "none";
	argv[n++] = "-no-user-config";
	/* A name and UUID as libvirt gives its domains (the same on both
	 * sides): what precopy-plan's metrics are labelled with. */
	snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012x",
		 (unsigned int)getpid());
	argv[n++] = "-name";
	argv[n++] = "guest=precopy-migrate,debug-threads=on";
	argv[n++] = "-uuid";
	argv[n++] = uuid;
	argv[n++] = "-L";
	argv[n++] = "/usr/share/seabios";
	argv[n++] = "-L";
	argv[n++] = "/usr/share/qemu";
	argv[n++] = "-qmp";
	argv[n++] = qmp;
	/* QEMU's downtime checkpoints, timestamped to the microsecond
	 * (downtime_trace.h) */
	snprintf(trace, sizeof(trace), "enable=%s,file=%s",
		 DOWNTIME_TRACE_EVENT, dst ? R->dst_trace : R->src_trace);
	argv[n++] = "-trace";
	argv[n++] = trace;
	argv[n++] = "-msg";
	argv[n++] = "timestamp=on";
	if (!dst && c->mode == MIGRUN_PLAN && c->converge) {
		/* the planner's own monitor: one client per QMP socket */
		snprintf(qmp2, sizeof(qmp2), "unix:%s,server=on,wait=off",
			 R->plan_qmp);
		argv[n++] = "-qmp";
		argv[n++] = qmp2;
	}
	argv[n++] = "-serial";
	argv[n++] = serial;
	argv[n++] = "-kernel";
	argv[n++] = c->kernel;
	if (c->initrd) {
		argv[n++] = "-initrd";
		argv[n++] = c->initrd;
	}
	argv[n++] = "-append";
	argv[n++] = c->append ? c->append : "";
	if (dst) {
		snprintf(incoming, sizeof(incoming), "tcp:%s:%d",
			 c->dst_addr ? c->dst_addr : "127.0.0.1", R->port);
		argv[n++] = "-incoming";
		argv[n++] = incoming;
		argv[n++] = "-S";
		/*
		 * Pages the plan holds back reach the destination for the
		 * first time in the stop-and-copy; allocated on demand, each
		 * then costs the destination a page fault inside the
		 * downtime (stock sent them before, in pre-copy). Allocated
		 * at the start, as destinations that reserve their memory
		 * do, neither mode pays for it during the migration.
		 */
		if (!c->dst_ram_on_demand)
			argv[n++] = "-mem-prealloc";
	}
	argv[n] = NULL;
	return mig_child__spawn((char *const *)argv, NULL, dst ? R->dst_err : R->src_err,
		     dst ? c->dst_netns : c->src_netns);
}

static pid_t start_planner(struct run *R)
{
	const struct migrun_config *c = R->c;
	char bw[32], dt[32];
	const char *argv[MAX_ARGS];
	int n = 0, i;

	snprintf(bw, sizeof(bw), "%g", c->bandwidth_mibps);
	snprintf(dt, sizeof(dt), "%u", c->downtime_ms);
	argv[n++] = c->planner;
	argv[n++] = "--ring";
	argv[n++] = R->ring;
	argv[n++] = "--bandwidth";
	argv[n++] = bw;
	argv[n++] = "--downtime-limit";
	argv[n++] = dt;
	argv[n++] = "-j";
	if (c->converge) {
		argv[n++] = "--converge";
		argv[n++] = "dirty-limit";
		argv[n++] = "--qmp";
		argv[n++] = R->plan_qmp;
	}
	for (i = 0; c->planner_args && c->planner_args[i] && n < MAX_ARGS - 1; i++)
		argv[n++] = c->planner_args[i];
	argv[n] = NULL;
	return mig_child__spawn((char *const *)argv, R->plan_log, R->plan_err, NULL);
}

/* Connect to a QMP socket that QEMU creates shortly after starting. */
static struct qmp *connect_qmp(const struct migrun_config *c,
			       struct mig_child *ch, const char *path,
			       const char *errlog, char *err, size_t errlen)
{
	double end = clock_now_s() + 30;
	struct qmp *q;

	for (;;) {
		q = qmp__connect(path, err, errlen);
		if (q)
			return q;
		if (stopped(c)) {
			errmsg_set(err, errlen, "interrupted");
			return NULL;
		}
		if (!mig_child__alive(ch)) {
			char line[256];

			log_line(errlog, line, sizeof(line));
			errmsg_set(err, errlen, "%s QEMU exited at start-up: %s",
				   ch->name, line[0] ? line : "(no message)");
			return NULL;
		}
		if (clock_now_s() > end)
			return NULL;
		sleep_s(0.05);
	}
}

static int qmp_do(struct qmp *q, const char *cmd, const char *args,
		  struct json **reply, char *err, size_t errlen)
{
	char e[512];
	int rc = qmp__command(q, cmd, args, reply, e, sizeof(e));

	if (rc)
		errmsg_set(err, errlen, "QMP %s: %s", cmd, e);
	return rc;
}

static int64_t jint(const struct json *o, const char *key)
{
	int64_t v = -1;

	if (o && json_get(o, key))
		json_int(json_get(o, key), &v);
	return v;
}

/* Scribble a slot of random bytes into the ring and publish it, with the
 * planner stopped so that the two producers do not race. */
static int inject_garbage(struct run *R)
{
	struct plan_ring_hdr *h;
	struct stat st;
	unsigned char *slot;
	uint64_t head, i, x = (uint64_t)clock_now_s() * 2654435761u | 1;
	int fd, ret = -1;

	fd = open(R->ring, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st))
		goto out;
	h = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (h == MAP_FAILED)
		goto out;
	if (!plan_ring_check(h, (size_t)st.st_size, NULL)) {
		head = atomic_load(&h->plan_head);
		slot = (unsigned char *)plan_ring_slot(h, head);
		for (i = 0; i < h->plan_slot_size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			slot[i] = (unsigned char)x;
		}
		/* a plausible-looking prefix, so the checks past the counts run */
		((struct plan_ring_plan *)slot)->nr_send = 4;
		((struct plan_ring_plan *)slot)->nr_deferred = 0;
		atomic_store(&h->plan_head, head + 1);
		ret = 0;
	}
	munmap(h, (size_t)st.st_size);
out:
	close(fd);
	return ret;
}

static void read_ring_counters(struct run *R, struct migrun_result *r)
{
	struct plan_ring_hdr *h;
	struct stat st;
	int fd = open(R->ring, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (!fstat(fd, &st) && st.st_size > 0) {
		h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (h != MAP_FAILED) {
			if (!plan_ring_check(h, (size_t)st.st_size, NULL)) {
				r->plans_used = atomic_load(&h->plans_used);
				r->fallback_none = atomic_load(&h->fallback_none);
				r->fallback_stale = atomic_load(&h->fallback_stale);
				r->rejected = atomic_load(&h->rejected);
				r->ring_read = true;
			}
			munmap(h, (size_t)st.st_size);
		}
	}
	close(fd);
}

static int wait_ready(struct run *R, char *err, size_t errlen)
{
	const struct migrun_config *c = R->c;
	double end = clock_now_s() + 90;
	char line[200];

	while (!file_has(R->src_serial, c->ready_text)) {
		if (stopped(c)) {
			errmsg_set(err, errlen, "interrupted");
			return -1;
		}
		/* a guest that refused its arguments never gets ready */
		if (c->error_text &&
		    file_line(R->src_serial, c->error_text, line, sizeof(line))) {
			errmsg_set(err, errlen, "the guest stopped: %s", line);
			return -1;
		}
		if (!mig_child__alive(&R->src)) {
			errmsg_set(err, errlen, "source QEMU exited before the guest got ready");
			return -1;
		}
		if (clock_now_s() > end) {
			errmsg_set(err, errlen, "the guest did not print '%s' within 90 s (see %s)",
				   c->ready_text, R->src_serial);
			return -1;
		}
		sleep_s(0.1);
	}
	return 0;
}

/* Poll query-migrate until the migration ends; inject faults, start a late
 * planner. */
static int follow(struct run *R, struct migrun_result *r, char *err,
		  size_t errlen)
{
	const struct migrun_config *c = R->c;
	double end = clock_now_s() + c->timeout_s;
	struct json *rep = NULL;
	const struct json *ret, *ram;
	const char *status;
	char last[24];
	int64_t syncs, v;
	uint64_t w;
	bool plan = c->mode == MIGRUN_PLAN;
	double next_say = 0;

	for (;;) {
		json_free(rep);
		rep = NULL;
		if (qmp_do(R->qsrc, "query-migrate", NULL, &rep, err, errlen))
			return -1;
		ret = json_get(rep, "return");
		status = json_str(json_get(ret, "status"));
		ram = json_get(ret, "ram");
		syncs = jint(ram, "dirty-sync-count");
		if (!status)
			status = "?";
		v = jint(ret, "cpu-throttle-percentage");
		if (v > r->max_cpu_throttle)
			r->max_cpu_throttle = v;
		v = jint(ret, "dirty-limit-throttle-time-per-round");
		if (v > r->max_dirty_limit_us)
			r->max_dirty_limit_us = v;
		if (c->verbose && clock_now_s() >= next_say) {
			next_say = clock_now_s() + 1;
			w = 0;
			if (R->have_writes)
				guestmem__status_writes(&R->gsrc, &w);
			say(c, "%s: %lld syncs, %lld MiB sent, %lld MiB dirty, "
			    "cpu throttle %lld%%, dirty-limit sleep %lld us, "
			    "guest writes %llu", status, (long long)syncs,
			    (long long)jint(ram, "transferred") >> 20,
			    (long long)jint(ram, "remaining") >> 20,
			    (long long)jint(ret, "cpu-throttle-percentage"),
			    (long long)jint(ret, "dirty-limit-throttle-time-per-round"),
			    (unsigned long long)w);
		}
		if (!strcmp(status, "completed") || !strcmp(status, "failed") ||
		    !strcmp(status, "cancelled")) {
			snprintf(r->status, sizeof(r->status), "%s", status);
			r->total_time_ms = jint(ret, "total-time");
			r->downtime_ms = jint(ret, "downtime");
			r->setup_time_ms = jint(ret, "setup-time");
			r->transferred = jint(ram, "transferred");
			r->dirty_syncs = syncs;
			r->normal_pages = jint(ram, "normal");
			r->duplicate_pages = jint(ram, "duplicate");
			r->downtime_bytes = json_get(ram, "downtime-bytes") ?
					    jint(ram, "downtime-bytes") : -1;
			json_free(rep);
			return 0;
		}
		if (plan && c->planner_start == MIGRUN_PLANNER_AFTER &&
		    !R->planner_started && syncs >= 1) {
			say(c, "starting the planner after QEMU (sync %lld)",
			    (long long)syncs);
			R->planner_started = true;
			R->planner.pid = start_planner(R);
			if (R->planner.pid < 0)
				R->planner.pid = 0;
		}
		if (plan && c->fault != MIGRUN_FAULT_NONE && !r->fault_injected &&
		    syncs >= (int64_t)c->fault_iteration && R->planner.pid) {
			if (c->fault == MIGRUN_FAULT_KILL_PLANNER) {
				say(c, "killing the planner at sync %lld", (long long)syncs);
				kill(R->planner.pid, SIGKILL);
				r->planner_status = mig_child__reap(&R->planner, 5);
				r->fault_injected = true;
			} else if (c->fault == MIGRUN_FAULT_GARBAGE) {
				uint64_t before;
				double until;

				kill(R->planner.pid, SIGSTOP);
				read_ring_counters(R, r);
				before = r->rejected;
				if (!inject_garbage(R)) {
					say(c, "garbage slot published at sync %lld",
					    (long long)syncs);
					r->fault_injected = true;
					until = clock_now_s() + 10;
					do {
						sleep_s(0.05);
						read_ring_counters(R, r);
					} while (r->rejected == before && clock_now_s() < until);
				}
				kill(R->planner.pid, SIGCONT);
			}
		}
		if (clock_now_s() > end || stopped(c)) {
			/* status points into rep: keep a copy */
			snprintf(last, sizeof(last), "%s", status);
			if (!stopped(c))
				snprintf(r->status, sizeof(r->status), "timeout");
			r->transferred = jint(ram, "transferred");
			r->dirty_syncs = syncs;
			json_free(rep);
			rep = NULL;
			qmp_do(R->qsrc, "migrate_cancel", NULL, NULL, err, errlen);
			if (stopped(c))
				errmsg_set(err, errlen, "interrupted");
			else
				errmsg_set(err, errlen, "the migration did not "
					   "end within %.0f s (status %s, %lld "
					   "syncs): cancelled", c->timeout_s,
					   last, (long long)syncs);
			return -1;
		}
		sleep_s(POLL_MS / 1000.0);
	}
}

/* MIGRUN_FAULT_CORRUPT_DEST: invert one byte of the destination's guest
 * memory at c->corrupt_gpa, found with QEMU's gpa2hva and written through
 * /proc/PID/mem (we started that QEMU). Returns 0 or -1 with err set. */
static int corrupt_destination(struct run *R, char *err, size_t errlen)
{
	uint64_t gpa = R->c->corrupt_gpa;
	unsigned long long hva;
	struct json *rep = NULL;
	const char *text, *at;
	char args[96], path[64];
	unsigned char b;
	int fd, ret = -1;

	snprintf(args, sizeof(args), "{\"command-line\": \"gpa2hva 0x%llx\"}",
		 (unsigned long long)gpa);
	if (qmp_do(R->qdst, "human-monitor-command", args, &rep, err, errlen))
		return -1;
	text = json_str(json_get(rep, "return"));
	at = text ? strstr(text, " is 0x") : NULL;
	if (!at || sscanf(at, " is 0x%llx", &hva) != 1) {
		errmsg_set(err, errlen, "gpa2hva 0x%llx: %s",
			   (unsigned long long)gpa, text ? text : "no answer");
		json_free(rep);
		return -1;
	}
	json_free(rep);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)R->dst.pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, &b, 1, (off_t)hva) != 1) {
		errmsg_set(err, errlen, "cannot read %s: %s", path,
			   strerror(errno));
		goto cleanup;
	}
	b ^= 0xff;
	if (pwrite(fd, &b, 1, (off_t)hva) != 1) {
		errmsg_set(err, errlen, "cannot write %s: %s", path,
			   strerror(errno));
		goto cleanup;
	}
	say(R->c, "corrupted the destination's byte at 0x%llx",
	    (unsigned long long)gpa);
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Write a copy of a guest's RAM to path (for --keep): 0 or -1. */
static int write_copy(const char *path, const struct guestmem *g)
{
	static unsigned char buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint64_t off, n;
	int ret = -1;

	if (fd < 0)
		return -1;
	for (off = 0; off < g->size; off += n) {
		n = g->size - off < sizeof(buf) ? g->size - off : sizeof(buf);
		if (guestmem__read(g, off, buf, n) ||
		    write(fd, buf, n) != (ssize_t)n)
			goto cleanup;
	}
	ret = 0;
cleanup:
	close(fd);
	return ret;
}

/* The planner's dirty-limit log lines (precopy-plan -j). */
static void read_limits(struct run *R, struct migrun_result *r)
{
	char line[4096], e[64];
	struct json *o;
	int64_t q, n;
	double fr;
	FILE *f = fopen(R->plan_log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "\"type\":\"dirty_limit\""))
			continue;
		o = json_parse(line, strlen(line), e, sizeof(e));
		if (!o)
			continue;
		if (!json_int(json_get(o, "changes"), &n) &&
		    !json_int(json_get(o, "quota"), &q) && !q && n > 0)
			r->limit_lifted = true;
		if (!json_int(json_get(o, "changes"), &n) &&
		    !json_int(json_get(o, "quota"), &q) && q > 0 &&
		    (unsigned int)n > r->limit_changes) {
			r->limit_changes = (unsigned int)n;
			if (!r->limit_first)
				r->limit_first = (uint64_t)q;
			r->limit_last = (uint64_t)q;
		}
		fr = json_get(o, "free_rate") ? json_get(o, "free_rate")->num : 0;
		if (fr > 0)
			r->limit_free_rate = fr;
		json_free(o);
	}
	fclose(f);
}

/* Both VMs stopped: compare their RAM in place. */
static int compare_memory(struct run *R, struct migrun_result *r, char *err,
			  size_t errlen)
{
	const struct migrun_config *c = R->c;
	uint64_t size = (uint64_t)c->mem_mib << 20;
	struct guestmem gdst;
	struct json *rep = NULL;
	struct memdiff d;
	double end = clock_now_s() + 30;

	/* the destination finishes loading a little after the source */
	for (;;) {
		const char *st;

		if (qmp_do(R->qdst, "query-status", NULL, &rep, err, errlen))
			return -1;
		st = json_str(json_get(json_get(rep, "return"), "status"));
		if (st && strcmp(st, "inmigrate")) {
			json_free(rep);
			break;
		}
		json_free(rep);
		rep = NULL;
		if (stopped(c)) {
			errmsg_set(err, errlen, "interrupted");
			return -1;
		}
		if (clock_now_s() > end) {
			errmsg_set(err, errlen, "the destination never left 'inmigrate'");
			return -1;
		}
		sleep_s(0.05);
	}
	if (c->fault == MIGRUN_FAULT_CORRUPT_DEST) {
		if (corrupt_destination(R, err, errlen))
			return -1;
		r->fault_injected = true;
	}
	if (!R->gsrc.pid &&
	    guestmem__open(&R->gsrc, R->src.pid, R->qsrc, size, err, errlen))
		return -1;
	if (guestmem__open(&gdst, R->dst.pid, R->qdst, size, err, errlen))
		return -1;
	/* The legacy window [640 KiB, 1 MiB) is not compared: guests see it
	 * through the chipset's PAM and VGA mappings, and it holds the
	 * kvmclock page SeaBIOS registered (0xe8c20 here), which KVM itself
	 * rewrites on the destination when the clock state is loaded (2
	 * bytes differ even in stock migrations of an idle guest). */
	if (guestmem__compare(&R->gsrc, &gdst, LEGACY_START, LEGACY_END, &d,
			      err, errlen))
		return -1;
	if (c->keep_dumps && d.diff_pages &&
	    (write_copy(R->src_mem, &R->gsrc) || write_copy(R->dst_mem, &gdst)))
		say(c, "cannot write the RAM copies to %s", c->workdir);
	r->mem_checked = true;
	r->mem_equal = d.diff_pages == 0;
	r->mem_bytes = d.bytes;
	r->mem_diff_pages = d.diff_pages;
	r->mem_first_diff = d.first_diff;
	r->mem_hash = d.hash_a;
	return 0;
}

static void run_cleanup(struct run *R, struct migrun_result *r)
{
	int st;

	if (R->qsrc) {
		qmp__command(R->qsrc, "quit", NULL, NULL, NULL, 0);
		qmp__close(R->qsrc);
	}
	if (R->qdst) {
		qmp__command(R->qdst, "quit", NULL, NULL, NULL, 0);
		qmp__close(R->qdst);
	}
	if (R->src.pid && mig_child__reap(&R->src, 5) == -1000)
		mig_child__stop(&R->src, 5);
	if (R->dst.pid && mig_child__reap(&R->dst, 5) == -1000)
		mig_child__stop(&R->dst, 5);
	if (R->planner.pid) {
		st = mig_child__stop(&R->planner, 10);
		if (r)
			r->planner_status = st;
	}
	if (R->ring[0])
		unlink(R->ring);
	/* both QEMUs ended: their trace logs are complete */
	if (r && !strcmp(r->status, "completed")) {
		struct downtime_trace t;

		downtime_trace__read(R->src_trace, R->dst_trace, &t);
		r->downtime_us = t.downtime_us;
		r->pause_us = t.pause_us;
	}
	if (!R->c->keep_dumps) {
		unlink(R->src_mem);
		unlink(R->dst_mem);
	}
	if (r && R->c->converge && R->c->mode == MIGRUN_PLAN)
		read_limits(R, r);
}

/* The warm-up: the guest runs; over its second half, its write rate is
 * measured (when it is the workload guest). 0, or -1 when interrupted. */
static int warm_up(struct run *R, char *err, size_t errlen)
{
	const struct migrun_config *c = R->c;
	double start = clock_now_s(), end = start + c->warmup_s;
	uint64_t w;

	bool located = !guestmem__open(&R->gsrc, R->src.pid, R->qsrc,
				       (uint64_t)c->mem_mib << 20, NULL, 0);

	while (clock_now_s() < end) {
		if (stopped(c)) {
			errmsg_set(err, errlen, "interrupted");
			return -1;
		}
		/* the guest prints its banner a moment before its status
		 * block says it runs */
		if (located && !guestmem__guest_writes(&R->gsrc, &w)) {
			R->have_writes = true;
			if (clock_now_s() >= start + c->warmup_s / 2)
				rate_sample(&R->before, clock_now_s(), w);
		}
		sleep_s(POLL_MS / 1000.0);
	}
	return 0;
}

/* Capabilities and parameters of the mode; 0 or -1 (err set). */
static int set_up_migration(struct run *R, char *err, size_t errlen)
{
	const struct migrun_config *c = R->c;
	char args[1024];
	int n;

	if (c->mode == MIGRUN_AUTO_CONVERGE || c->mode == MIGRUN_DIRTY_LIMIT) {
		snprintf(args, sizeof(args), "{\"capabilities\": [{\"capability\": "
			 "\"%s\", \"state\": true}]}",
			 c->mode == MIGRUN_AUTO_CONVERGE ? "auto-converge" :
			 "dirty-limit");
		if (qmp_do(R->qsrc, "migrate-set-capabilities", args, NULL,
			   err, errlen))
			return -1;
	}
	n = snprintf(args, sizeof(args),
		     "{\"max-bandwidth\": %llu, \"downtime-limit\": %u",
		     (unsigned long long)(c->bandwidth_mibps * 1048576.0),
		     c->downtime_ms);
	if (c->mode == MIGRUN_PLAN)
		n += snprintf(args + n, sizeof(args) - n,
			      ", \"x-precopy-plan\": \"%s\"", R->ring);
	if (c->mode == MIGRUN_DIRTY_LIMIT)
		n += snprintf(args + n, sizeof(args) - n,
			      ", \"vcpu-dirty-limit\": %u", c->vcpu_dirty_limit);
	snprintf(args + n, sizeof(args) - n, "}");
	return qmp_do(R->qsrc, "migrate-set-parameters", args, NULL, err, errlen);
}

int migrun__run(const struct migrun_config *c, struct migrun_result *r,
		char *err, size_t errlen)
{
	static unsigned int seq;
	struct run R = { .c = c };
	char args[1024];
	bool plan = c->mode == MIGRUN_PLAN;
	uint64_t w;
	int ret = -1, followed;

	memset(r, 0, sizeof(*r));
	r->planner_status = -1000;
	r->downtime_bytes = -1;	/* "not reported" until QEMU says */
	r->downtime_us = -1;
	r->pause_us = -1;
	R.src.name = "source";
	R.dst.name = "destination";
	R.planner.name = "planner";
	if (!c->qemu || !c->kernel || !c->ready_text || !c->workdir ||
	    (unsigned int)c->mode >= MIGRUN_MODES || (plan && !c->planner) ||
	    c->mem_mib < 16 || c->mem_mib > 4096 ||
	    !(c->bandwidth_mibps > 0) || !c->downtime_ms || !c->fault_iteration ||
	    !c->vcpu_dirty_limit || (c->src_netns && !c->dst_addr)) {
		errmsg_set(err, errlen, "migrun: incomplete or invalid configuration");
		return -1;
	}
	if ((c->mode == MIGRUN_DIRTY_LIMIT || (plan && c->converge)) &&
	    (c->accel != MIGRUN_KVM || !migrun_ring_size(c))) {
		errmsg_set(err, errlen, "QEMU's dirty limit needs KVM with a dirty ring");
		return -1;
	}
	snprintf(R.ring, sizeof(R.ring), "/dev/shm/precopy-migrun.%d.%u",
		 (int)getpid(), seq++);
#define PATHF(f, name) snprintf(R.f, sizeof(R.f), "%s/%s", c->workdir, name)
	PATHF(src_qmp, "src.qmp");
	PATHF(dst_qmp, "dst.qmp");
	PATHF(src_serial, "src.serial");
	PATHF(dst_serial, "dst.serial");
	PATHF(src_mem, "src.mem");
	PATHF(dst_mem, "dst.mem");
	PATHF(src_err, "src.stderr");
	PATHF(dst_err, "dst.stderr");
	PATHF(plan_log, "planner.jsonl");
	PATHF(plan_err, "planner.stderr");
	PATHF(plan_qmp, "src-plan.qmp");
	PATHF(src_trace, "src.trace");
	PATHF(dst_trace, "dst.trace");
#undef PATHF
	unlink(R.ring);
	unlink(R.src_serial);
	/* an earlier run's checkpoints must not be read as this run's */
	unlink(R.src_trace);
	unlink(R.dst_trace);
	R.port = free_port();
	if (R.port < 0) {
		errmsg_set(err, errlen, "no free TCP port on 127.0.0.1");
		return -1;
	}
	if (plan && c->planner_start == MIGRUN_PLANNER_BEFORE) {
		R.planner.pid = start_planner(&R);
		R.planner_started = true;
		if (R.planner.pid < 0) {
			R.planner.pid = 0;
			errmsg_set(err, errlen, "cannot start %s: %s", c->planner,
				   strerror(errno));
			goto cleanup;
		}
		sleep_s(0.3);
		if (!mig_child__alive(&R.planner)) {
			char line[256];

			log_line(R.plan_err, line, sizeof(line));
			errmsg_set(err, errlen, "the planner exited at start-up: %s", line);
			goto cleanup;
		}
	}
	R.dst.pid = start_qemu(&R, true);
	R.src.pid = start_qemu(&R, false);
	if (R.dst.pid < 0 || R.src.pid < 0) {
		R.dst.pid = R.dst.pid < 0 ? 0 : R.dst.pid;
		R.src.pid = R.src.pid < 0 ? 0 : R.src.pid;
		errmsg_set(err, errlen, "cannot start QEMU: %s", strerror(errno));
		goto cleanup;
	}
	R.qdst = connect_qmp(c, &R.dst, R.dst_qmp, R.dst_err, err, errlen);
	if (!R.qdst)
		goto cleanup;
	R.qsrc = connect_qmp(c, &R.src, R.src_qmp, R.src_err, err, errlen);
	if (!R.qsrc)
		goto cleanup;
	if (wait_ready(&R, err, errlen))
		goto cleanup;
	say(c, "guest ready; warming up %.1f s", c->warmup_s);
	if (warm_up(&R, err, errlen) || set_up_migration(&R, err, errlen))
		goto cleanup;
	if (R.have_writes && !guestmem__guest_writes(&R.gsrc, &w)) {
		R.during_read = true;
		R.during_w0 = w;
		R.during_t0 = clock_now_s();
	}
	snprintf(args, sizeof(args), "{\"uri\": \"tcp:%s:%d\"}",
		 c->dst_addr ? c->dst_addr : "127.0.0.1", R.port);
	if (qmp_do(R.qsrc, "migrate", args, NULL, err, errlen))
		goto cleanup;
	say(c, "migrating (%s%s)", migrun_mode__name(c->mode),
	    plan && c->converge ? ", converge by dirty limit" : "");
	followed = follow(&R, r, err, errlen);
	/* the plan's counters, also of a migration that timed out (read
	 * before run_cleanup removes the ring) */
	if (plan)
		read_ring_counters(&R, r);
	if (followed)
		goto cleanup;
	if (R.have_writes) {
		r->guest_rate_before = rate_of(&R.before);
		r->guest_rate_during = rate_during(&R, r);
		r->guest_rate_read = r->guest_rate_before >= 0 &&
				     r->guest_rate_during >= 0;
	}
	say(c, "%s: total %lld ms, downtime %lld ms, %lld bytes, %lld syncs",
	    r->status, (long long)r->total_time_ms, (long long)r->downtime_ms,
	    (long long)r->transferred, (long long)r->dirty_syncs);
	if (!strcmp(r->status, "completed") && compare_memory(&R, r, err, errlen))
		goto cleanup;
	ret = 0;
cleanup:
	run_cleanup(&R, r);
	return ret;
}
