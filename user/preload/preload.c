// SPDX-License-Identifier: GPL-2.0
/*
 * preload.c - libprecopy-preload.so: the part of the process tracer that
 * must run inside the traced process's address space.
 *
 * `precopy-trace -- CMD ARGS` starts CMD with this library in LD_PRELOAD
 * and the name of its unix socket in $PRECOPY_PROC_SOCK (see proc_proto.h).
 * Without that variable the library does nothing at all.
 *
 * With it, the constructor:
 *   - opens a userfaultfd with UFFD_FEATURE_WP_ASYNC (the kernel resolves
 *     write-protect faults itself, so the process never waits for us) and
 *     UFFD_FEATURE_WP_UNPOPULATED, in user-mode-only mode so processes
 *     without CAP_SYS_PTRACE may use it; opens /proc/self/pagemap;
 *   - connects to the tracer and says HELLO (with the errno if any of that
 *     failed, so the tracer can say why this process cannot be traced);
 *   - serves the tracer's first SCAN inline, so the process's memory is
 *     registered before main() runs;
 *   - starts a thread that serves the following SCANs (every epoch) until
 *     DETACH or until the tracer goes away.
 *
 * Each SCAN re-reads /proc/self/maps, so memory mapped after start-up
 * (malloc arenas, brk growth, thread stacks) is registered within one
 * epoch; what it held before is reported UNKNOWN (see proc_proto.h).
 *
 * fork: the kernel does not pass the registration to a child (we do not
 * ask for UFFD_FEATURE_EVENT_FORK) and clears the child's write-protect
 * bits, so a child starts untraced. A pthread_atfork child handler closes
 * the inherited descriptors and checks the child in as a new process, with
 * its own userfaultfd and thread. Children made with vfork or posix_spawn
 * run no handlers; they exec at once.
 * exec: every descriptor of ours is close-on-exec, so the old image's
 * registration dies with its memory; the new image loads this library
 * again (LD_PRELOAD is inherited) and checks in as a new process.
 *
 * The library never writes the process's own memory: its state, buffers
 * and the thread's stack live in mappings of its own, left out of the
 * registration. It calls no malloc.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "proc/proc_proto.h"
#include "proc/proc_uffd.h"

#define MAX_SPANS 8192
#define MAPS_BYTES (2u << 20)
#define VEC_LEN 16384
#define OUT_SPANS 8192
#define STACK_BYTES (256u << 10)
#define FIRST_SCAN_TIMEOUT_MS 10000

struct span_set {
	unsigned int n;
	struct proc_proto_span s[MAX_SPANS];
};

/* Everything the library writes, in one private mapping of its own. */
struct state {
	int sock;
	int uffd;
	int pagemap;
	pid_t pid;
	bool ready;           /* connected and serving */
	uint64_t own_start[4], own_end[4]; /* our mappings, left out */
	unsigned int nown;
	struct span_set vmas;    /* V of the current scan */
	struct span_set shared;  /* the MAP_SHARED part of V */
	struct span_set armed;   /* armed before this scan */
	struct span_set pending; /* reported last time, not armed yet */
	struct span_set tmp;
	struct page_region vec[VEC_LEN];
	struct proc_proto_span out[OUT_SPANS];
	unsigned int nout;
	uint16_t out_type;
	char maps[MAPS_BYTES];
};

static struct state *st;
static void *thread_stack;

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len, int timeout_ms)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (timeout_ms >= 0) {
			int r = poll(&pfd, 1, timeout_ms);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
		}
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int send_msg(uint16_t type, const void *items, uint32_t count,
		    size_t item_size)
{
	struct proc_proto_hdr h = {
		.magic = PROC_PROTO_MAGIC,
		.type = type,
		.version = PROC_PROTO_VERSION,
		.count = count,
	};

	if (write_all(st->sock, &h, sizeof(h)))
		return -1;
	return count ? write_all(st->sock, items, count * item_size) : 0;
}

static int flush_out(void)
{
	int ret = 0;

	if (st->nout)
		ret = send_msg(st->out_type, st->out, st->nout,
			       sizeof(struct proc_proto_span));
	st->nout = 0;
	return ret;
}

/* Queue [start, end) in a message of `type`, merging with the last span. */
static int emit(uint16_t type, uint64_t start, uint64_t end)
{
	struct proc_proto_span *last;

	if (st->out_type != type && flush_out())
		return -1;
	st->out_type = type;
	last = st->nout ? &st->out[st->nout - 1] : NULL;
	if (last && last->end == start) {
		last->end = end;
		return 0;
	}
	if (st->nout == OUT_SPANS && flush_out())
		return -1;
	st->out[st->nout].start = start;
	st->out[st->nout].end = end;
	st->nout++;
	return 0;
}

static uint64_t hex(const char **p)
{
	uint64_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else
			return v;
	}
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Whether a writable mapping named `name` may hold process memory worth
 * tracing. Device mappings other than /dev/zero and /dev/shm are not. */
static bool eligible_name(const char *name)
{
	if (*name == '[')
		return starts(name, "[heap]") || starts(name, "[stack") ||
		       starts(name, "[anon");
	if (starts(name, "/dev/"))
		return starts(name, "/dev/zero") || starts(name, "/dev/shm/");
	return true;
}

static void set_add(struct span_set *set, uint64_t start, uint64_t end)
{
	struct proc_proto_span *last;

	if (start >= end)
		return;
	last = set->n ? &set->s[set->n - 1] : NULL;
	if (last && last->end == start) {
		last->end = end;
		return;
	}
	if (set->n < MAX_SPANS) {
		set->s[set->n].start = start;
		set->s[set->n].end = end;
		set->n++;
	}
}

/* Add [start, end) minus our own mappings to set (ours are few). */
static void add_minus_own(struct span_set *set, uint64_t start, uint64_t end)
{
	unsigned int i;

	for (i = 0; i < st->nown; i++) {
		if (st->own_end[i] <= start || st->own_start[i] >= end)
			continue;
		add_minus_own(set, start, st->own_start[i]);
		add_minus_own(set, st->own_end[i], end);
		return;
	}
	set_add(set, start, end);
}

static int try_register(uint64_t start, uint64_t end)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = end - start },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	return ioctl(st->uffd, UFFDIO_REGISTER, &reg);
}

/* Read /proc/self/maps into st->vmas, registering each eligible range.
 * Returns the number of writable mappings that refused, or -1. */
static int read_vmas(void)
{
	size_t len = 0;
	int fd, failed = 0;
	char *line, *eol;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, st->maps + len, MAPS_BYTES - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		if (len == MAPS_BYTES - 1)
			break;
	}
	close(fd);
	st->maps[len] = '\0';
	st->vmas.n = 0;
	st->shared.n = 0;
	for (line = st->maps; *line; line = eol + 1) {
		const char *p = line, *name;
		uint64_t start, end;
		char perms[4];
		int field;

		eol = strchr(line, '\n');
		if (!eol)
			break;
		*eol = '\0';
		start = hex(&p);
		if (*p++ != '-')
			continue;
		end = hex(&p);
		if (*p++ != ' ' || strlen(p) < 4)
			continue;
		memcpy(perms, p, 4);
		/* Skip offset, device and inode to the name. */
		for (field = 0; field < 4 && *p; field++) {
			while (*p && *p != ' ')
				p++;
			while (*p == ' ')
				p++;
		}
		name = p;
		if (perms[1] != 'w' || !eligible_name(name) || end <= start)
			continue;
		st->tmp.n = 0;
		add_minus_own(&st->tmp, start, end);
		for (unsigned int i = 0; i < st->tmp.n; i++) {
			if (try_register(st->tmp.s[i].start,
					 st->tmp.s[i].end)) {
				failed++;
				continue;
			}
			set_add(&st->vmas, st->tmp.s[i].start,
				st->tmp.s[i].end);
			if (perms[3] == 's')
				set_add(&st->shared, st->tmp.s[i].start,
					st->tmp.s[i].end);
		}
	}
	return failed;
}

/* PAGEMAP_SCAN [start, end): re-arm written pages, emit them as `type`. */
static int scan_span(uint64_t start, uint64_t end, uint16_t type,
		     uint64_t *pages)
{
	struct pm_scan_arg arg;

	while (start < end) {
		long n, i;

		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.flags = PM_SCAN_WP_MATCHING;
		arg.start = start;
		arg.end = end;
		arg.vec = (uint64_t)(uintptr_t)st->vec;
		arg.vec_len = VEC_LEN;
		/* written, present or swapped, and not the shared zero page */
		arg.category_mask = PAGE_IS_WRITTEN | PAGE_IS_PFNZERO;
		arg.category_inverted = PAGE_IS_PFNZERO;
		arg.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
		arg.return_mask = PAGE_IS_WRITTEN;
		n = ioctl(st->pagemap, PAGEMAP_SCAN, &arg);
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			*pages += (st->vec[i].end - st->vec[i].start) >> 12;
			if (emit(type, st->vec[i].start, st->vec[i].end))
				return -EPIPE;
		}
		if (arg.walk_end <= start)
			break;
		start = arg.walk_end;
	}
	return 0;
}

/* Intersect each span of `set` with V and scan the pieces. */
static int scan_set(const struct span_set *set, uint16_t type,
		    uint64_t *pages)
{
	const struct span_set *v = &st->vmas;
	unsigned int i = 0, j = 0;
	int ret;

	while (i < set->n && j < v->n) {
		uint64_t s = set->s[i].start > v->s[j].start ? set->s[i].start
							     : v->s[j].start;
		uint64_t e = set->s[i].end < v->s[j].end ? set->s[i].end
							 : v->s[j].end;

		if (s < e) {
			ret = scan_span(s, e, type, pages);
			if (ret)
				return ret;
		}
		if (set->s[i].end < v->s[j].end)
			i++;
		else
			j++;
	}
	return 0;
}

/*
 * Write-protect the pages of the shared ranges in `set` that are not
 * present yet (the kernel leaves a uffd-wp marker in their page table
 * entries). Needed for shared memory only: a read fault maps a shared page
 * writable, so without a marker its first write would take no fault and
 * only PAGEMAP_SCAN would see it. (Private pages are mapped read-only by a
 * read fault and fault on the first write anyway.) Present pages were
 * just armed by the scan.
 */
static void protect_shared_holes(const struct span_set *set)
{
	const struct span_set *sh = &st->shared;
	unsigned int i = 0, j = 0;

	while (i < set->n && j < sh->n) {
		uint64_t s = set->s[i].start > sh->s[j].start ? set->s[i].start
							      : sh->s[j].start;
		uint64_t e = set->s[i].end < sh->s[j].end ? set->s[i].end
							  : sh->s[j].end;

		if (s < e) {
			struct uffdio_writeprotect wp = {
				.range = { .start = s, .len = e - s },
				.mode = UFFDIO_WRITEPROTECT_MODE_WP,
			};

			ioctl(st->uffd, UFFDIO_WRITEPROTECT, &wp);
		}
		if (set->s[i].end < sh->s[j].end)
			i++;
		else
			j++;
	}
}

/* out = a minus b, both sorted. */
static void set_minus(const struct span_set *a, const struct span_set *b,
		      struct span_set *out)
{
	unsigned int i, j = 0;

	out->n = 0;
	for (i = 0; i < a->n; i++) {
		uint64_t s = a->s[i].start, e = a->s[i].end;

		while (j < b->n && b->s[j].end <= s)
			j++;
		for (unsigned int k = j; k < b->n && b->s[k].start < e; k++) {
			if (b->s[k].start > s)
				set_add(out, s, b->s[k].start);
			if (b->s[k].end > s)
				s = b->s[k].end;
		}
		if (s < e)
			set_add(out, s, e);
	}
}

/* out = (a union b) intersected with v; all three sorted, a and b may
 * overlap each other. */
static void set_union_within(const struct span_set *a,
			     const struct span_set *b,
			     const struct span_set *v, struct span_set *out)
{
	unsigned int i = 0, j = 0, k = 0;

	out->n = 0;
	while (i < a->n || j < b->n) {
		const struct proc_proto_span *x;
		uint64_t s, e;

		if (j >= b->n || (i < a->n && a->s[i].start <= b->s[j].start))
			x = &a->s[i++];
		else
			x = &b->s[j++];
		s = x->start;
		e = x->end;
		/* Clip [s, e) against every span of v it meets. */
		while (k < v->n && v->s[k].end <= s)
			k++;
		for (unsigned int m = k; m < v->n && v->s[m].start < e; m++) {
			uint64_t cs = s > v->s[m].start ? s : v->s[m].start;
			uint64_t ce = e < v->s[m].end ? e : v->s[m].end;
			struct proc_proto_span *last;

			if (cs >= ce)
				continue;
			last = out->n ? &out->s[out->n - 1] : NULL;
			if (last && cs <= last->end) {
				if (ce > last->end)
					last->end = ce;
			} else {
				set_add(out, cs, ce);
			}
		}
	}
}

/* Serve one SCAN. Returns 0, or -1 when the connection failed. */
static int handle_scan(void)
{
	struct proc_proto_scan_end end;
	uint64_t t0 = clock_now_ns(), t1;
	int failed, ret = 0;
	unsigned int i;

	memset(&end, 0, sizeof(end));
	failed = read_vmas();
	if (failed < 0) {
		end.error = errno;
		failed = 0;
	}
	end.register_failed = failed;
	t1 = clock_now_ns();
	ret = scan_set(&st->armed, PROC_PROTO_WRITTEN, &end.written_pages);
	if (!ret)
		ret = scan_set(&st->pending, PROC_PROTO_UNKNOWN,
			       &end.unknown_pages);
	if (!ret)
		protect_shared_holes(&st->pending);
	if (ret == -EPIPE)
		return -1;
	if (ret)
		end.error = -ret;
	end.scan_ns = clock_now_ns() - t1;
	/* armed = (armed + pending) within V; pending = V - armed */
	set_union_within(&st->armed, &st->pending, &st->vmas, &st->tmp);
	memcpy(&st->armed, &st->tmp, offsetof(struct span_set, s) +
	       st->tmp.n * sizeof(st->tmp.s[0]));
	set_minus(&st->vmas, &st->armed, &st->pending);
	if (flush_out())
		return -1;
	for (i = 0; i < st->vmas.n; i += OUT_SPANS) {
		uint32_t c = st->vmas.n - i < OUT_SPANS ? st->vmas.n - i
							 : OUT_SPANS;

		if (send_msg(PROC_PROTO_RANGES, &st->vmas.s[i], c,
			     sizeof(struct proc_proto_span)))
			return -1;
	}
	end.nranges = st->vmas.n;
	end.total_ns = clock_now_ns() - t0;
	return send_msg(PROC_PROTO_SCAN_END, &end, 1, sizeof(end));
}

/* Undo everything: no registration, no descriptor of ours left. */
static void teardown(void)
{
	unsigned int i;

	if (st->uffd >= 0) {
		for (i = 0; i < st->vmas.n; i++) {
			struct uffdio_range r = {
				.start = st->vmas.s[i].start,
				.len = st->vmas.s[i].end - st->vmas.s[i].start,
			};

			ioctl(st->uffd, UFFDIO_UNREGISTER, &r);
		}
		close(st->uffd);
	}
	if (st->pagemap >= 0)
		close(st->pagemap);
	if (st->sock >= 0)
		close(st->sock);
	st->uffd = st->pagemap = st->sock = -1;
	st->ready = false;
}

/* Serve requests until DETACH or EOF. Returns with everything undone. */
static void serve(int timeout_ms)
{
	struct proc_proto_hdr h;

	while (!read_all(st->sock, &h, sizeof(h), timeout_ms)) {
		if (h.magic != PROC_PROTO_MAGIC || h.count)
			break;
		if (h.type == PROC_PROTO_DETACH)
			break;
		if (h.type != PROC_PROTO_SCAN || handle_scan())
			break;
		if (timeout_ms >= 0)
			return; /* the inline first scan: one request */
	}
	teardown();
}

static void *thread_main(void *arg)
{
	(void)arg;
	serve(-1);
	return NULL;
}

static int open_uffd(const char **what)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED |
			    UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	};
	int fd;

	*what = "userfaultfd";
	fd = syscall(SYS_userfaultfd,
		     O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -errno;
	*what = "UFFDIO_API with WP_ASYNC";
	if (ioctl(fd, UFFDIO_API, &api)) {
		int e = errno;

		/* An older kernel may lack WP_HUGETLBFS_SHMEM: retry. */
		close(fd);
		fd = syscall(SYS_userfaultfd,
			     O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
		if (fd < 0)
			return -errno;
		api.api = UFFD_API;
		api.features = UFFD_FEATURE_WP_ASYNC |
			       UFFD_FEATURE_WP_UNPOPULATED;
		if (ioctl(fd, UFFDIO_API, &api)) {
			close(fd);
			return -(errno ? errno : e);
		}
	}
	return fd;
}

static int connect_tracer(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd;

	if (name[0] != '@' || len < 2 || len > sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path + 1, name + 1, len - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa,
		    offsetof(struct sockaddr_un, sun_path) + len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void add_own(uint64_t start, uint64_t end)
{
	if (st->nown < 4) {
		st->own_start[st->nown] = start & ~4095ull;
		st->own_end[st->nown] = (end + 4095) & ~4095ull;
		st->nown++;
	}
}

/* Our own data mapping: the VMA holding `st` (the library's .bss). */
static void add_own_data(void)
{
	const char *p;
	uint64_t a = (uint64_t)(uintptr_t)&st;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, st->maps + len, MAPS_BYTES - 1 - len);

		if (n <= 0 || (len += n) == MAPS_BYTES - 1)
			break;
	}
	close(fd);
	st->maps[len] = '\0';
	for (p = st->maps; *p;) {
		uint64_t s = hex(&p), e;

		if (*p++ != '-')
			break;
		e = hex(&p);
		if (a >= s && a < e) {
			add_own(s, e);
			return;
		}
		p = strchr(p, '\n');
		if (!p)
			return;
		p++;
	}
}

static void check_in(uint32_t how);

static void atfork_child(void)
{
	/* The inherited descriptors belong to the parent's session. */
	if (!st)
		return;
	if (st->uffd >= 0)
		close(st->uffd);
	if (st->pagemap >= 0)
		close(st->pagemap);
	if (st->sock >= 0)
		close(st->sock);
	st->uffd = st->pagemap = st->sock = -1;
	st->ready = false;
	check_in(1);
}

static void check_in(uint32_t how)
{
	const char *name = getenv(PROC_PROTO_ENV_SOCK), *what = "";
	struct proc_proto_hello hello;
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t tid;
	ssize_t n;
	int err = 0;

	if (!name)
		return;
	st->pid = getpid();
	st->sock = connect_tracer(name);
	if (st->sock < 0)
		return; /* no tracer (any more): stay out of the way */
	st->uffd = open_uffd(&what);
	if (st->uffd < 0) {
		err = -st->uffd;
	} else {
		st->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (st->pagemap < 0) {
			err = errno;
			what = "open /proc/self/pagemap";
		}
	}
	memset(&hello, 0, sizeof(hello));
	hello.pid = st->pid;
	hello.ppid = getppid();
	hello.error = err;
	hello.how = how;
	strncpy(hello.what, err ? what : "", sizeof(hello.what) - 1);
	n = readlink("/proc/self/exe", hello.exe, sizeof(hello.exe) - 1);
	if (n < 0)
		hello.exe[0] = '\0';
	n = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	if (n >= 0) {
		int fd = (int)n;

		n = read(fd, hello.comm, sizeof(hello.comm) - 1);
		close(fd);
		if (n > 0 && hello.comm[n - 1] == '\n')
			hello.comm[n - 1] = '\0';
	}
	st->armed.n = st->pending.n = st->vmas.n = 0;
	if (send_msg(PROC_PROTO_HELLO, &hello, 1, sizeof(hello)) || err) {
		teardown();
		return;
	}
	/* The first SCAN registers our memory before the program goes on. */
	serve(FIRST_SCAN_TIMEOUT_MS);
	if (st->sock < 0)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, thread_stack, STACK_BYTES);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&tid, &attr, thread_main, NULL))
		teardown();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

__attribute__((constructor)) static void preload_init(void)
{
	void *mem;

	if (!getenv(PROC_PROTO_ENV_SOCK))
		return;
	mem = mmap(NULL, sizeof(struct state), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return;
	thread_stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (thread_stack == MAP_FAILED) {
		munmap(mem, sizeof(struct state));
		return;
	}
	st = mem;
	st->uffd = st->pagemap = st->sock = -1;
	add_own((uint64_t)(uintptr_t)mem,
		(uint64_t)(uintptr_t)mem + sizeof(struct state));
	add_own((uint64_t)(uintptr_t)thread_stack,
		(uint64_t)(uintptr_t)thread_stack + STACK_BYTES);
	add_own_data();
	pthread_atfork(NULL, NULL, atfork_child);
	check_in(0);
}
