// SPDX-License-Identifier: GPL-2.0
/*
 * migrun.c - one measured live migration between two QEMU processes on
 * loopback, stock or plan-driven, with memory comparison and faults.
 * See migrun.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "memdiff.h"
#include "migrun.h"
#include "plan_ring.h"
#include "qmp.h"

#define MAX_ARGS 64
#define POLL_MS 50
#define LEGACY_START 0xa0000ULL
#define LEGACY_END 0x100000ULL

void migrun_config__default(struct migrun_config *c)
{
	memset(c, 0, sizeof(*c));
	c->accel = MIGRUN_KVM;
	c->dirty_ring = 4096;
	c->mem_mib = 256;
	c->warmup_s = 2.0;
	c->bandwidth_mibps = 64;
	c->downtime_ms = 300;
	c->planner_start = MIGRUN_PLANNER_BEFORE;
	c->fault = MIGRUN_FAULT_NONE;
	c->fault_iteration = 2;
	c->timeout_s = 180;
}

struct child {
	pid_t pid;		/* 0: not running */
	const char *name;
};

/* Everything a run owns, released by run_cleanup(). */
struct run {
	const struct migrun_config *c;
	struct child src, dst, planner;
	struct qmp *qsrc, *qdst;
	char ring[128];
	char src_qmp[512], dst_qmp[512], src_serial[512], dst_serial[512];
	char src_mem[512], dst_mem[512], plan_log[512], plan_err[512];
	char src_err[512], dst_err[512];
	int port;
	bool planner_started;
};

static double now_s(void)
{
	return plan_ring_now_ns() / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
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

/* Start argv with stdout/stderr to files (NULL: /dev/null). */
static pid_t spawn(char *const argv[], const char *out, const char *errf)
{
	pid_t pid = fork();

	if (pid)
		return pid;	/* parent, or -1 */
	{
		int o = open(out ? out : "/dev/null",
			     O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(errf ? errf : "/dev/null",
			     O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int n = open("/dev/null", O_RDONLY);

		if (o < 0 || e < 0 || n < 0)
			_exit(127);
		dup2(n, 0);
		dup2(o, 1);
		dup2(e, 2);
		setpgid(0, 0);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
}

/* Wait for a child up to timeout_s; returns its status code (exit code, or
 * -signal), or -1000 if still running. */
static int reap(struct child *ch, double timeout_s)
{
	double end = now_s() + timeout_s;
	int st;

	if (!ch->pid)
		return -1000;
	for (;;) {
		pid_t p = waitpid(ch->pid, &st, WNOHANG);

		if (p == ch->pid) {
			ch->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
		}
		if (p < 0) {
			ch->pid = 0;
			return -1000;
		}
		if (now_s() >= end)
			return -1000;
		sleep_s(0.02);
	}
}

/* SIGTERM, wait, then SIGKILL; returns the status as reap(). */
static int stop_child(struct child *ch, double grace_s)
{
	int st;

	if (!ch->pid)
		return -1000;
	kill(ch->pid, SIGTERM);
	st = reap(ch, grace_s);
	if (st == -1000 && ch->pid) {
		kill(ch->pid, SIGKILL);
		st = reap(ch, 5);
	}
	return st;
}

static bool child_alive(struct child *ch)
{
	int st;

	if (!ch->pid)
		return false;
	if (waitpid(ch->pid, &st, WNOHANG) == ch->pid) {
		ch->pid = 0;
		return false;
	}
	return true;
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

static bool file_has(const char *path, const char *text)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "r");
	bool hit = false;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	hit = strstr(buf, text) != NULL;
	fclose(f);
	return hit;
}

static pid_t start_qemu(struct run *R, bool dst)
{
	const struct migrun_config *c = R->c;
	char mem[16], qmp[600], serial[600], incoming[64], accel[64];
	const char *argv[MAX_ARGS];
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
	else if (c->dirty_ring)
		snprintf(accel, sizeof(accel), "kvm,dirty-ring-size=%u", c->dirty_ring);
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
	argv[n++] = "-L";
	argv[n++] = "/usr/share/seabios";
	argv[n++] = "-L";
	argv[n++] = "/usr/share/qemu";
	argv[n++] = "-qmp";
	argv[n++] = qmp;
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
		snprintf(incoming, sizeof(incoming), "tcp:127.0.0.1:%d", R->port);
		argv[n++] = "-incoming";
		argv[n++] = incoming;
		argv[n++] = "-S";
	}
	argv[n] = NULL;
	return spawn((char *const *)argv, NULL, dst ? R->dst_err : R->src_err);
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
	for (i = 0; c->planner_args && c->planner_args[i] && n < MAX_ARGS - 1; i++)
		argv[n++] = c->planner_args[i];
	argv[n] = NULL;
	return spawn((char *const *)argv, R->plan_log, R->plan_err);
}

/* Connect to a QMP socket that QEMU creates shortly after starting. */
static struct qmp *connect_qmp(struct child *ch, const char *path,
			       const char *errlog, char *err, size_t errlen)
{
	double end = now_s() + 30;
	struct qmp *q;

	for (;;) {
		q = qmp__connect(path, err, errlen);
		if (q)
			return q;
		if (!child_alive(ch)) {
			char line[256];

			log_line(errlog, line, sizeof(line));
			errmsg_set(err, errlen, "%s QEMU exited at start-up: %s",
				   ch->name, line[0] ? line : "(no message)");
			return NULL;
		}
		if (now_s() > end)
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
	uint64_t head, i, x = (uint64_t)now_s() * 2654435761u | 1;
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
	double end = now_s() + 90;

	while (!file_has(R->src_serial, c->ready_text)) {
		if (!child_alive(&R->src)) {
			errmsg_set(err, errlen, "source QEMU exited before the guest got ready");
			return -1;
		}
		if (now_s() > end) {
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
	double end = now_s() + c->timeout_s;
	struct json *rep = NULL;
	const struct json *ret, *ram;
	const char *status;
	int64_t syncs;

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
			json_free(rep);
			return 0;
		}
		if (c->plan && c->planner_start == MIGRUN_PLANNER_AFTER &&
		    !R->planner_started && syncs >= 1) {
			say(c, "starting the planner after QEMU (sync %lld)",
			    (long long)syncs);
			R->planner_started = true;
			R->planner.pid = start_planner(R);
			if (R->planner.pid < 0)
				R->planner.pid = 0;
		}
		if (c->plan && c->fault != MIGRUN_FAULT_NONE && !r->fault_injected &&
		    syncs >= (int64_t)c->fault_iteration && R->planner.pid) {
			if (c->fault == MIGRUN_FAULT_KILL_PLANNER) {
				say(c, "killing the planner at sync %lld", (long long)syncs);
				kill(R->planner.pid, SIGKILL);
				r->planner_status = reap(&R->planner, 5);
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
					until = now_s() + 10;
					do {
						sleep_s(0.05);
						read_ring_counters(R, r);
					} while (r->rejected == before && now_s() < until);
				}
				kill(R->planner.pid, SIGCONT);
			}
		}
		if (now_s() > end) {
			json_free(rep);
			rep = NULL;
			qmp_do(R->qsrc, "migrate_cancel", NULL, NULL, err, errlen);
			errmsg_set(err, errlen, "the migration did not end within %.0f s "
				   "(status %s, %lld syncs): cancelled", c->timeout_s,
				   status, (long long)syncs);
			return -1;
		}
		sleep_s(POLL_MS / 1000.0);
	}
}

/* Both VMs stopped: dump [0, mem) of each and compare. */
static int compare_memory(struct run *R, struct migrun_result *r, char *err,
			  size_t errlen)
{
	const struct migrun_config *c = R->c;
	struct json *rep = NULL;
	struct memdiff d;
	char args[700];
	double end = now_s() + 30;
	int rc;

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
		if (now_s() > end) {
			errmsg_set(err, errlen, "the destination never left 'inmigrate'");
			return -1;
		}
		sleep_s(0.05);
	}
	snprintf(args, sizeof(args), "{\"val\": 0, \"size\": %llu, \"filename\": \"%s\"}",
		 (unsigned long long)c->mem_mib << 20, R->src_mem);
	if (qmp_do(R->qsrc, "pmemsave", args, NULL, err, errlen))
		return -1;
	snprintf(args, sizeof(args), "{\"val\": 0, \"size\": %llu, \"filename\": \"%s\"}",
		 (unsigned long long)c->mem_mib << 20, R->dst_mem);
	if (qmp_do(R->qdst, "pmemsave", args, NULL, err, errlen))
		return -1;
	/* The legacy window [640 KiB, 1 MiB) is not compared: pmemsave reads
	 * it through the chipset's PAM and VGA mappings, and it holds the
	 * kvmclock page SeaBIOS registered (0xe8c20 here), which KVM itself
	 * rewrites on the destination when the clock state is loaded (2
	 * bytes differ even in stock migrations of an idle guest). */
	rc = memdiff__files(R->src_mem, R->dst_mem, LEGACY_START, LEGACY_END,
			    &d, err, errlen);
	if (!c->keep_dumps) {
		unlink(R->src_mem);
		unlink(R->dst_mem);
	}
	if (rc)
		return -1;
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
	if (R->src.pid && reap(&R->src, 5) == -1000)
		stop_child(&R->src, 5);
	if (R->dst.pid && reap(&R->dst, 5) == -1000)
		stop_child(&R->dst, 5);
	if (R->planner.pid) {
		st = stop_child(&R->planner, 10);
		if (r)
			r->planner_status = st;
	}
	if (R->ring[0])
		unlink(R->ring);
}

int migrun__run(const struct migrun_config *c, struct migrun_result *r,
		char *err, size_t errlen)
{
	static unsigned int seq;
	struct run R = { .c = c };
	char args[1024];
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->planner_status = -1000;
	R.src.name = "source";
	R.dst.name = "destination";
	R.planner.name = "planner";
	if (!c->qemu || !c->kernel || !c->ready_text || !c->workdir ||
	    (c->plan && !c->planner) || c->mem_mib < 16 || c->mem_mib > 4096 ||
	    !(c->bandwidth_mibps > 0) || !c->downtime_ms || !c->fault_iteration) {
		errmsg_set(err, errlen, "migrun: incomplete or invalid configuration");
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
#undef PATHF
	unlink(R.ring);
	unlink(R.src_serial);
	R.port = free_port();
	if (R.port < 0) {
		errmsg_set(err, errlen, "no free TCP port on 127.0.0.1");
		return -1;
	}
	if (c->plan && c->planner_start == MIGRUN_PLANNER_BEFORE) {
		R.planner.pid = start_planner(&R);
		R.planner_started = true;
		if (R.planner.pid < 0) {
			R.planner.pid = 0;
			errmsg_set(err, errlen, "cannot start %s: %s", c->planner,
				   strerror(errno));
			goto cleanup;
		}
		sleep_s(0.3);
		if (!child_alive(&R.planner)) {
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
	R.qdst = connect_qmp(&R.dst, R.dst_qmp, R.dst_err, err, errlen);
	if (!R.qdst)
		goto cleanup;
	R.qsrc = connect_qmp(&R.src, R.src_qmp, R.src_err, err, errlen);
	if (!R.qsrc)
		goto cleanup;
	if (wait_ready(&R, err, errlen))
		goto cleanup;
	say(c, "guest ready; warming up %.1f s", c->warmup_s);
	sleep_s(c->warmup_s);
	if (c->plan)
		snprintf(args, sizeof(args),
			 "{\"max-bandwidth\": %llu, \"downtime-limit\": %u, "
			 "\"x-precopy-plan\": \"%s\"}",
			 (unsigned long long)(c->bandwidth_mibps * 1048576.0),
			 c->downtime_ms, R.ring);
	else
		snprintf(args, sizeof(args),
			 "{\"max-bandwidth\": %llu, \"downtime-limit\": %u}",
			 (unsigned long long)(c->bandwidth_mibps * 1048576.0),
			 c->downtime_ms);
	if (qmp_do(R.qsrc, "migrate-set-parameters", args, NULL, err, errlen))
		goto cleanup;
	snprintf(args, sizeof(args), "{\"uri\": \"tcp:127.0.0.1:%d\"}", R.port);
	if (qmp_do(R.qsrc, "migrate", args, NULL, err, errlen))
		goto cleanup;
	say(c, "migrating (%s)", c->plan ? "plan" : "stock");
	if (follow(&R, r, err, errlen))
		goto cleanup;
	say(c, "%s: total %lld ms, downtime %lld ms, %lld bytes, %lld syncs",
	    r->status, (long long)r->total_time_ms, (long long)r->downtime_ms,
	    (long long)r->transferred, (long long)r->dirty_syncs);
	if (!strcmp(r->status, "completed") && compare_memory(&R, r, err, errlen))
		goto cleanup;
	if (c->plan)
		read_ring_counters(&R, r);
	ret = 0;
cleanup:
	run_cleanup(&R, r);
	return ret;
}
