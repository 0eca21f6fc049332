// SPDX-License-Identifier: GPL-2.0
/* proctrace.c - tracing a process's dirty pages (see proctrace.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfproto.h"
#include "pfspace.h"
#include "pftrack.h"
#include "proctrace.h"

#define MAX_RECORDS 256

struct pt_proc {
	bool live;             /* connected and traced */
	int fd;
	int slot;              /* pftrack slot */
	struct pfspace *space;
	struct proctrace_proc info;
};

struct proctrace {
	struct proctrace_opts o;
	struct pftrack *pf;
	int lfd;
	char sockname[64];
	pid_t child;
	int child_pidfd;
	bool child_exited;
	int child_status;
	bool checked_in;       /* the command checked in */
	char refusal[256];     /* why the last refused process was refused */
	struct pt_proc procs[MAX_RECORDS];
	unsigned int nrecords;
	uint64_t next_page, capacity, words;
	uint64_t *bpf, *written, *unknown;
	uint64_t *prev_bpf, *prev_written, *prev_unknown, *final;
	bool have_prev;
	uint32_t epoch;
	struct pfproto_span *spans;   /* PFPROTO_MAX_ITEMS */
	struct pfproto_span *ranges;  /* a reply's RANGES */
	unsigned int nranges, cap_ranges;
	struct proctrace_totals tot;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct proctrace_opts proctrace_opts__default(void)
{
	struct proctrace_opts o = {
		.follow = true,
		.checkin_ms = 5000,
		.reply_ms = 2000,
		.capacity_pages = PROCTRACE_DEFAULT_CAPACITY,
		.variant = -1,
		.stdin_fd = -1,
		.stdout_fd = -1,
		.stderr_fd = -1,
	};
	return o;
}

/* ------------------------------------------------------------------------
 * Messages
 */

/* Read exactly len bytes before the monotonic deadline. Returns 0, -EPIPE
 * at end of file, -ETIMEDOUT, or -errno. */
static int read_full(int fd, void *buf, size_t len, double deadline)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = (int)((deadline - now_s()) * 1000) + 1;
		ssize_t n;

		if (ms <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

static int send_req(int fd, uint16_t type)
{
	struct pfproto_hdr h = {
		.magic = PFPROTO_MAGIC,
		.type = type,
		.version = PFPROTO_VERSION,
	};
	ssize_t n;

	do
		n = send(fd, &h, sizeof(h), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == sizeof(h) ? 0 : -EPIPE;
}

static int read_hdr(int fd, struct pfproto_hdr *h, double deadline)
{
	int ret = read_full(fd, h, sizeof(*h), deadline);

	if (ret)
		return ret;
	if (h->magic != PFPROTO_MAGIC || h->version != PFPROTO_VERSION ||
	    h->count > PFPROTO_MAX_ITEMS)
		return -EPROTO;
	return 0;
}

/* ------------------------------------------------------------------------
 * Processes
 */

static void retire(struct proctrace *pt, struct pt_proc *p)
{
	if (!p->live)
		return;
	pftrack__remove_proc(pt->pf, p->slot);
	close(p->fd);
	p->fd = -1;
	p->live = false;
	p->info.alive = false;
}

/* Count every page of p's current table as dirty in `bitmap`. */
static uint64_t mark_all(struct pt_proc *p, uint64_t *bitmap)
{
	const struct pftrack_range *r;
	unsigned int n, i;
	uint64_t pages = 0;

	r = pfspace__table(p->space, &n);
	for (i = 0; i < n; i++)
		pages += pfspace__mark(p->space, r[i].start, r[i].end, bitmap,
				       NULL);
	return pages;
}

/* Read one reply to SCAN from p and apply it. Returns 0 or -errno. */
static int read_reply(struct proctrace *pt, struct pt_proc *p)
{
	double deadline = now_s() + pt->o.reply_ms / 1e3;
	const struct pftrack_range *tab;
	struct pfproto_scan_end end;
	struct pfproto_hdr h;
	unsigned int ntab, i;
	int ret;

	pt->nranges = 0;
	for (;;) {
		ret = read_hdr(p->fd, &h, deadline);
		if (ret)
			return ret;
		if (h.type == PFPROTO_SCAN_END) {
			if (h.count != 1)
				return -EPROTO;
			ret = read_full(p->fd, &end, sizeof(end), deadline);
			if (ret)
				return ret;
			break;
		}
		if (h.type != PFPROTO_WRITTEN && h.type != PFPROTO_UNKNOWN &&
		    h.type != PFPROTO_RANGES)
			return -EPROTO;
		ret = read_full(p->fd, pt->spans, h.count * sizeof(*pt->spans),
				deadline);
		if (ret)
			return ret;
		for (i = 0; i < h.count; i++) {
			const struct pfproto_span *s = &pt->spans[i];

			if (s->end <= s->start || (s->start | s->end) & 4095)
				return -EPROTO;
			if (h.type == PFPROTO_WRITTEN)
				p->info.written += pfspace__mark(
					p->space, s->start, s->end,
					pt->written, &pt->tot.unindexed);
			else if (h.type == PFPROTO_UNKNOWN)
				p->info.unknown += pfspace__mark(
					p->space, s->start, s->end,
					pt->unknown, &pt->tot.unindexed);
		}
		if (h.type != PFPROTO_RANGES)
			continue;
		if (pt->nranges + h.count > pt->cap_ranges) {
			unsigned int cap = pt->nranges + h.count + 1024;
			struct pfproto_span *r;

			r = realloc(pt->ranges, cap * sizeof(*r));
			if (!r)
				return -ENOMEM;
			pt->ranges = r;
			pt->cap_ranges = cap;
		}
		memcpy(pt->ranges + pt->nranges, pt->spans,
		       h.count * sizeof(*pt->spans));
		pt->nranges += h.count;
	}
	p->info.scans++;
	p->info.scan_ns += end.scan_ns;
	p->info.register_failed = end.register_failed;
	ret = (int)pfspace__update(p->space, pt->ranges, pt->nranges,
				   &pt->next_page, pt->capacity);
	if (ret == -EINVAL || ret == -ENOMEM)
		return ret;
	/* -ENOSPC: the page space is full; what fits is traced. */
	tab = pfspace__table(p->space, &ntab);
	if (ntab > PFTRACK_MAX_RANGES)
		ntab = PFTRACK_MAX_RANGES; /* the rest is caught by the scans */
	p->info.ranges = pt->nranges;
	p->info.pages = pfspace__pages(p->space);
	return pftrack__set_ranges(pt->pf, p->slot, tab, ntab);
}

/* Ancestry: is pid the command or one of its descendants? */
static bool descends(const struct proctrace *pt, pid_t pid)
{
	int depth;

	for (depth = 0; depth < 64 && pid > 1; depth++) {
		char path[64], buf[512], *p;
		ssize_t n;
		int fd;

		if (pid == pt->child)
			return true;
		if (!pt->o.follow)
			return false;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %d", &pid) != 1)
			return false;
	}
	return false;
}

static struct pt_proc *new_record(struct proctrace *pt)
{
	unsigned int i;

	if (pt->nrecords < MAX_RECORDS)
		return &pt->procs[pt->nrecords++];
	/* Reuse the oldest record of a process gone. */
	for (i = 0; i < MAX_RECORDS; i++)
		if (!pt->procs[i].live) {
			pfspace__free(pt->procs[i].space);
			memset(&pt->procs[i], 0, sizeof(pt->procs[i]));
			return &pt->procs[i];
		}
	return NULL;
}

/* Accept one connection and check it in. */
static void accept_one(struct proctrace *pt)
{
	struct pfproto_hello hello;
	struct pfproto_hdr h;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct pt_proc *p;
	unsigned int i;
	int fd, ret;

	fd = accept4(pt->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    !descends(pt, cred.pid))
		goto refuse;
	ret = read_hdr(fd, &h, now_s() + 1.0);
	if (ret || h.type != PFPROTO_HELLO || h.count != 1 ||
	    read_full(fd, &hello, sizeof(hello), now_s() + 1.0))
		goto refuse;
	hello.what[sizeof(hello.what) - 1] = '\0';
	hello.exe[sizeof(hello.exe) - 1] = '\0';
	hello.comm[sizeof(hello.comm) - 1] = '\0';
	if (hello.error) {
		snprintf(pt->refusal, sizeof(pt->refusal),
			 "process %d (%s) cannot be traced: %s failed: %s",
			 (int)cred.pid, hello.exe, hello.what,
			 strerror(hello.error));
		pt->tot.refused++;
		close(fd);
		return;
	}
	/* An exec'd image checks in under the same pid: retire the old. */
	for (i = 0; i < pt->nrecords; i++)
		if (pt->procs[i].live && pt->procs[i].info.pid == cred.pid)
			retire(pt, &pt->procs[i]);
	p = new_record(pt);
	if (!p)
		goto refuse;
	memset(p, 0, sizeof(*p));
	p->space = pfspace__new();
	if (!p->space)
		goto refuse;
	p->slot = pftrack__add_proc(pt->pf, cred.pid);
	if (p->slot < 0) {
		pfspace__free(p->space);
		p->space = NULL;
		goto refuse;
	}
	p->fd = fd;
	p->live = true;
	p->info.pid = cred.pid;
	p->info.alive = true;
	snprintf(p->info.exe, sizeof(p->info.exe), "%s", hello.exe);
	snprintf(p->info.comm, sizeof(p->info.comm), "%s", hello.comm);
	pt->tot.checkins++;
	if (cred.pid == pt->child)
		pt->checked_in = true;
	/* The preload's constructor waits for this first scan. */
	if (send_req(fd, PFPROTO_SCAN) || read_reply(pt, p))
		retire(pt, p);
	return;
refuse:
	pt->tot.refused++;
	send_req(fd, PFPROTO_DETACH);
	close(fd);
}

static void reap_command(struct proctrace *pt)
{
	int status;

	if (pt->child <= 0 || pt->child_exited)
		return;
	if (waitpid(pt->child, &status, WNOHANG) == pt->child) {
		pt->child_exited = true;
		pt->child_status = status;
	}
}

/* Handle whatever is pending, waiting up to timeout_ms. */
static int service(struct proctrace *pt, int timeout_ms)
{
	struct pollfd pfd[MAX_RECORDS + 2];
	struct pt_proc *who[MAX_RECORDS + 2];
	unsigned int n = 0, i;
	int ret;

	pfd[n].fd = pt->lfd;
	pfd[n].events = POLLIN;
	who[n++] = NULL;
	if (pt->child_pidfd >= 0 && !pt->child_exited) {
		pfd[n].fd = pt->child_pidfd;
		pfd[n].events = POLLIN;
		who[n++] = NULL;
	}
	for (i = 0; i < pt->nrecords; i++)
		if (pt->procs[i].live) {
			pfd[n].fd = pt->procs[i].fd;
			pfd[n].events = POLLIN;
			who[n++] = &pt->procs[i];
		}
	ret = poll(pfd, n, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? -EINTR : 0;
	for (i = 0; i < n && ret; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == pt->lfd)
			accept_one(pt);
		else if (!who[i])
			reap_command(pt);
		else
			retire(pt, who[i]); /* EOF, or unasked data */
	}
	reap_command(pt);
	return 0;
}

int proctrace__wait(struct proctrace *pt, double deadline)
{
	for (;;) {
		double left = deadline - now_s();
		int ret;

		if (left <= 0)
			return 0;
		ret = service(pt, (int)(left * 1000) + 1);
		if (ret)
			return ret;
	}
}

/* ------------------------------------------------------------------------
 * Epochs
 */

static uint64_t popcount_words(const uint64_t *w, uint64_t n)
{
	uint64_t c = 0, i;

	for (i = 0; i < n; i++)
		c += __builtin_popcountll(w[i]);
	return c;
}

int proctrace__epoch(struct proctrace *pt, struct proctrace_epoch *ep)
{
	const uint64_t *src;
	uint64_t words, i, *tmp, lost = 0;
	unsigned int k, nlive = 0;

	words = (pt->next_page + 63) / 64;
	pftrack__harvest(pt->pf);
	src = pftrack__bitmap(pt->pf, NULL);
	memcpy(pt->bpf, src, words * 8);

	for (k = 0; k < pt->nrecords; k++) {
		struct pt_proc *p = &pt->procs[k];

		if (p->live && send_req(p->fd, PFPROTO_SCAN))
			retire(pt, p);
	}
	for (k = 0; k < pt->nrecords; k++) {
		struct pt_proc *p = &pt->procs[k];
		int ret;

		if (!p->live)
			continue;
		ret = read_reply(pt, p);
		if (ret == -ENOMEM)
			return ret;
		if (ret == -ETIMEDOUT || ret == -EPROTO) {
			/* Whatever it wrote is unknown: all of it is dirty. */
			lost += mark_all(p, pt->unknown);
			send_req(p->fd, PFPROTO_DETACH);
		}
		if (ret)
			retire(pt, p);
		else
			nlive++;
	}
	reap_command(pt);

	words = (pt->next_page + 63) / 64;
	memset(ep, 0, sizeof(*ep));
	ep->index = pt->epoch++;
	ep->pages = pt->next_page;
	ep->bpf = pt->bpf;
	ep->written = pt->written;
	ep->unknown = pt->unknown;
	ep->nprocs = nlive;
	ep->n_lost = lost;
	for (i = 0; i < words; i++) {
		uint64_t b = pt->bpf[i], w = pt->written[i];

		ep->n_bpf += __builtin_popcountll(b);
		ep->n_written += __builtin_popcountll(w);
		ep->n_unknown += __builtin_popcountll(pt->unknown[i]);
		ep->n_bpf_only += __builtin_popcountll(b & ~w);
		ep->n_written_only += __builtin_popcountll(w & ~b);
	}
	if (pt->have_prev) {
		for (i = 0; i < words; i++) {
			uint64_t pw = pt->prev_written[i], pb = pt->prev_bpf[i];
			uint64_t missed = pw & ~pb & ~pt->bpf[i];

			pt->final[i] = pb | pt->prev_unknown[i] | missed;
			ep->n_missed += __builtin_popcountll(missed);
			ep->n_racing += __builtin_popcountll(pw & ~pb &
							     pt->bpf[i]);
		}
		ep->have_final = true;
		ep->final = pt->final;
		ep->n_final = popcount_words(pt->final, words);
	}
	pt->tot.epochs++;
	pt->tot.exact_epochs += !ep->n_bpf_only && !ep->n_written_only;
	pt->tot.bpf += ep->n_bpf;
	pt->tot.written += ep->n_written;
	pt->tot.unknown += ep->n_unknown;
	pt->tot.bpf_only += ep->n_bpf_only;
	pt->tot.written_only += ep->n_written_only;
	pt->tot.missed += ep->n_missed;
	pt->tot.racing += ep->n_racing;
	pt->tot.lost += lost;

	/* This epoch becomes the previous one; ep keeps pointing at it. */
	tmp = pt->prev_bpf; pt->prev_bpf = pt->bpf; pt->bpf = tmp;
	tmp = pt->prev_written; pt->prev_written = pt->written; pt->written = tmp;
	tmp = pt->prev_unknown; pt->prev_unknown = pt->unknown; pt->unknown = tmp;
	pt->have_prev = true;
	/* The new current views start empty (first scans of processes
	 * checking in before the next epoch mark into them). */
	memset(pt->written, 0, words * 8);
	memset(pt->unknown, 0, words * 8);
	return 0;
}

int proctrace__final_last(struct proctrace *pt, const uint64_t **final,
			  uint64_t *pages)
{
	uint64_t words = (pt->next_page + 63) / 64, i;

	if (!pt->have_prev)
		return -ENODATA;
	/* No later epoch to tell racing from missed: take all written. */
	for (i = 0; i < words; i++)
		pt->final[i] = pt->prev_bpf[i] | pt->prev_unknown[i] |
			       pt->prev_written[i];
	*final = pt->final;
	*pages = pt->next_page;
	pt->have_prev = false;
	return 0;
}

/* ------------------------------------------------------------------------
 * Starting the command
 */

static int find_program(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH"), *p, *colon;

	if (strchr(name, '/')) {
		if (access(name, X_OK))
			return -errno;
		snprintf(out, outlen, "%s", name);
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *colon ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		snprintf(out, outlen, "%.*s/%s", (int)(colon - p),
			 colon == p ? "." : p, name);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* Whether path is a dynamically linked ELF (has PT_INTERP) or a script.
 * Returns 1 yes, 0 static, -errno if unreadable. */
static int is_dynamic(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) < 2) {
		ret = -EIO;
		goto out;
	}
	if (!memcmp(&eh, "#!", 2)) {
		ret = 1; /* a script: its interpreter decides */
		goto out;
	}
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		ret = 1; /* not ours to judge; the check-in timeout will */
		goto out;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP) {
			ret = 1;
			break;
		}
	}
out:
	close(fd);
	return ret;
}

static int default_preload(char *out, size_t outlen)
{
	const char *env = getenv("PRECOPY_PRELOAD");
	static const char *const rel[] = {
		"/../lib/libprecopy-preload.so",
		"/../../lib/libprecopy-preload.so",
	};
	char self[4096], *slash;
	ssize_t n;
	unsigned int i;

	if (env) {
		snprintf(out, outlen, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -ENOENT;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	for (i = 0; i < 2; i++) {
		char cand[4096 + 64];

		snprintf(cand, sizeof(cand), "%s%s", self, rel[i]);
		if (!access(cand, R_OK) && realpath(cand, out))
			return 0;
	}
	return -ENOENT;
}

static void child_exec(const struct proctrace *pt, const char *prog,
		       const char *preload, const struct passwd *pw, int errfd)
{
	const char *old = getenv("LD_PRELOAD");
	char *ld;
	int e;

	if (pt->o.stdin_fd >= 0)
		dup2(pt->o.stdin_fd, 0);
	if (pt->o.stdout_fd >= 0)
		dup2(pt->o.stdout_fd, 1);
	if (pt->o.stderr_fd >= 0)
		dup2(pt->o.stderr_fd, 2);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (pw && (initgroups(pw->pw_name, pw->pw_gid) ||
		   setgid(pw->pw_gid) || setuid(pw->pw_uid)))
		goto fail;
	if (asprintf(&ld, "%s%s%s", preload, old && *old ? ":" : "",
		     old ? old : "") < 0)
		goto fail;
	setenv("LD_PRELOAD", ld, 1);
	setenv(PFPROTO_ENV_SOCK, pt->sockname, 1);
	execv(prog, pt->o.argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

struct proctrace *proctrace__start(const struct proctrace_opts *opts,
				   char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char prog[4096], preload[4096];
	struct passwd *pw = NULL;
	struct proctrace *pt;
	int pipefd[2] = { -1, -1 }, e, ret;
	ssize_t n;
	double deadline;
	size_t len;

	if (!opts || !opts->argv || !opts->argv[0]) {
		set_err(err, errlen, "no command to trace");
		return NULL;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	pt->o = *opts;
	pt->lfd = pt->child_pidfd = -1;
	if (!pt->o.checkin_ms)
		pt->o.checkin_ms = 5000;
	if (!pt->o.reply_ms)
		pt->o.reply_ms = 2000;
	if (!pt->o.capacity_pages)
		pt->o.capacity_pages = PROCTRACE_DEFAULT_CAPACITY;

	ret = find_program(opts->argv[0], prog, sizeof(prog));
	if (ret) {
		set_err(err, errlen, "cannot run %s: %s", opts->argv[0],
			strerror(-ret));
		goto fail;
	}
	ret = is_dynamic(prog);
	if (ret < 0) {
		set_err(err, errlen, "cannot read %s: %s", prog,
			strerror(-ret));
		goto fail;
	}
	if (!ret) {
		set_err(err, errlen, "%s is statically linked: the preload "
			"library cannot be loaded into it, so it cannot be "
			"traced", prog);
		goto fail;
	}
	if (opts->preload)
		snprintf(preload, sizeof(preload), "%s", opts->preload);
	else if (default_preload(preload, sizeof(preload))) {
		set_err(err, errlen, "cannot find libprecopy-preload.so (set "
			"PRECOPY_PRELOAD or --preload)");
		goto fail;
	}
	if (access(preload, R_OK)) {
		set_err(err, errlen, "preload library %s: %s", preload,
			strerror(errno));
		goto fail;
	}
	if (opts->user) {
		pw = getpwnam(opts->user);
		if (!pw) {
			set_err(err, errlen, "unknown user %s", opts->user);
			goto fail;
		}
	}

	pt->pf = NULL;
	{
		struct pftrack_opts po = pftrack_opts__default();

		po.capacity_pages = pt->o.capacity_pages;
		po.variant = pt->o.variant;
		po.verbose = pt->o.verbose;
		pt->pf = pftrack__open(&po, err, errlen);
		if (!pt->pf)
			goto fail;
	}
	pt->capacity = pt->o.capacity_pages;
	pt->words = pt->capacity / 64;
	pt->bpf = calloc(pt->words, 8);
	pt->written = calloc(pt->words, 8);
	pt->unknown = calloc(pt->words, 8);
	pt->prev_bpf = calloc(pt->words, 8);
	pt->prev_written = calloc(pt->words, 8);
	pt->prev_unknown = calloc(pt->words, 8);
	pt->final = calloc(pt->words, 8);
	pt->spans = malloc(PFPROTO_MAX_ITEMS * sizeof(*pt->spans));
	if (!pt->bpf || !pt->written || !pt->unknown || !pt->prev_bpf ||
	    !pt->prev_written || !pt->prev_unknown || !pt->final ||
	    !pt->spans) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}

	/* An abstract socket: no file to clean up, none to leak. */
	snprintf(pt->sockname, sizeof(pt->sockname), "@precopy-pftrace-%d-%lx",
		 (int)getpid(), (unsigned long)(now_s() * 1e6));
	len = strlen(pt->sockname);
	memcpy(sa.sun_path + 1, pt->sockname + 1, len - 1);
	pt->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 0);
	if (pt->lfd < 0 ||
	    bind(pt->lfd, (struct sockaddr *)&sa,
		 offsetof(struct sockaddr_un, sun_path) + len) ||
	    listen(pt->lfd, 64)) {
		set_err(err, errlen, "cannot create the control socket: %s",
			strerror(errno));
		goto fail;
	}

	if (pipe2(pipefd, O_CLOEXEC)) {
		set_err(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	pt->child = fork();
	if (pt->child < 0) {
		set_err(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (!pt->child) {
		close(pipefd[0]);
		child_exec(pt, prog, preload, pw, pipefd[1]);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	n = read(pipefd[0], &e, sizeof(e));
	close(pipefd[0]);
	pipefd[0] = -1;
	if (n == sizeof(e)) {
		set_err(err, errlen, "cannot run %s: %s", prog, strerror(e));
		goto fail;
	}
	pt->child_pidfd = syscall(SYS_pidfd_open, pt->child, 0);

	deadline = now_s() + pt->o.checkin_ms / 1e3;
	while (!pt->checked_in && !pt->child_exited && now_s() < deadline) {
		if (pt->refusal[0] && !pt->tot.checkins)
			break;
		service(pt, 50);
	}
	if (!pt->checked_in) {
		if (pt->refusal[0])
			set_err(err, errlen, "%s", pt->refusal);
		else if (pt->child_exited)
			set_err(err, errlen, "%s exited (status %d) without "
				"checking in: it did not load the preload "
				"library (set-user-ID programs and programs "
				"that clear LD_PRELOAD cannot be traced)", prog,
				WIFEXITED(pt->child_status)
					? WEXITSTATUS(pt->child_status)
					: 128 + WTERMSIG(pt->child_status));
		else
			set_err(err, errlen, "%s did not load the preload "
				"library within %u ms: a set-user-ID program "
				"or one that clears LD_PRELOAD cannot be "
				"traced", prog, pt->o.checkin_ms);
		goto fail;
	}
	return pt;
fail:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	proctrace__free(pt);
	return NULL;
}

bool proctrace__command_exited(struct proctrace *pt, int *status)
{
	reap_command(pt);
	if (pt->child_exited && status)
		*status = pt->child_status;
	return pt->child_exited;
}

pid_t proctrace__command_pid(const struct proctrace *pt)
{
	return pt->child;
}

int proctrace__detach(struct proctrace *pt)
{
	double deadline = now_s() + pt->o.reply_ms / 1e3;
	unsigned int k;
	int ret = 0;

	for (k = 0; k < pt->nrecords; k++)
		if (pt->procs[k].live)
			send_req(pt->procs[k].fd, PFPROTO_DETACH);
	/* The preload confirms by closing its end after undoing all. */
	for (k = 0; k < pt->nrecords; k++) {
		struct pt_proc *p = &pt->procs[k];
		char c;

		if (!p->live)
			continue;
		if (read_full(p->fd, &c, 1, deadline) == -ETIMEDOUT)
			ret = -ETIMEDOUT;
		retire(pt, p);
	}
	/* Late check-ins are refused from now on. */
	if (pt->lfd >= 0) {
		close(pt->lfd);
		pt->lfd = -1;
	}
	return ret;
}

int proctrace__stop(struct proctrace *pt, int sig, unsigned int timeout_ms,
		    int *status)
{
	double deadline = now_s() + timeout_ms / 1e3;

	if (pt->child <= 0)
		return -ECHILD;
	reap_command(pt);
	if (!pt->child_exited) {
		kill(pt->child, sig);
		while (!pt->child_exited && now_s() < deadline) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			reap_command(pt);
		}
		if (!pt->child_exited) {
			kill(pt->child, SIGKILL);
			if (waitpid(pt->child, &pt->child_status, 0) ==
			    pt->child)
				pt->child_exited = true;
		}
	}
	if (status)
		*status = pt->child_status;
	return 0;
}

void proctrace__free(struct proctrace *pt)
{
	unsigned int k;

	if (!pt)
		return;
	if (pt->pf)
		proctrace__detach(pt);
	if (pt->child > 0 && !pt->child_exited)
		proctrace__stop(pt, SIGKILL, 1000, NULL);
	for (k = 0; k < pt->nrecords; k++) {
		retire(pt, &pt->procs[k]);
		pfspace__free(pt->procs[k].space);
	}
	if (pt->lfd >= 0)
		close(pt->lfd);
	if (pt->child_pidfd >= 0)
		close(pt->child_pidfd);
	pftrack__close(pt->pf);
	free(pt->bpf);
	free(pt->written);
	free(pt->unknown);
	free(pt->prev_bpf);
	free(pt->prev_written);
	free(pt->prev_unknown);
	free(pt->final);
	free(pt->spans);
	free(pt->ranges);
	free(pt);
}

void proctrace__release(struct proctrace *pt)
{
	if (!pt)
		return;
	if (pt->pf)
		proctrace__detach(pt);
	pt->child = 0; /* not ours to stop any more */
	proctrace__free(pt);
}

unsigned int proctrace__procs(const struct proctrace *pt,
			      struct proctrace_proc *out, unsigned int max)
{
	unsigned int k, n = 0;

	for (k = 0; k < pt->nrecords && n < max; k++)
		out[n++] = pt->procs[k].info;
	return n;
}

void proctrace__totals(const struct proctrace *pt,
		       struct proctrace_totals *out)
{
	*out = pt->tot;
}

const char *proctrace__describe(const struct proctrace *pt)
{
	return pftrack__describe(pt->pf);
}

struct pftrack *proctrace__tracker(const struct proctrace *pt)
{
	return pt->pf;
}

int64_t proctrace__page_of(const struct proctrace *pt, pid_t pid,
			   uint64_t addr)
{
	unsigned int k;

	for (k = pt->nrecords; k-- > 0;)
		if (pt->procs[k].info.pid == pid && pt->procs[k].space)
			return pfspace__page_of(pt->procs[k].space, addr);
	return -1;
}

uint64_t proctrace__capacity(const struct proctrace *pt)
{
	return pt->capacity;
}
