// SPDX-License-Identifier: GPL-2.0
/* proc_trace.c - tracing a process's dirty pages (see proc_trace.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/bitops.h"
#include "util/clock.h"
#include "util/errmsg.h"
#include "proc_proto.h"
#include "proc_space.h"
#include "proc_spawn.h"
#include "proc_track.h"
#include "proc_trace.h"

#define MAX_RECORDS 256

struct pt_proc {
	bool live;             /* connected and traced */
	int fd;
	int slot;              /* proc_track slot */
	struct proc_space *space;
	struct proc_trace_proc info;
};

struct proc_trace {
	struct proc_trace_opts o;
	struct proc_track *pf;
	int lfd;
	char sockname[64];
	struct proc_spawn cmd;  /* the command */
	bool checked_in;       /* the command checked in */
	char refusal[256];     /* why the last refused process was refused */
	struct pt_proc procs[MAX_RECORDS];
	unsigned int nrecords;
	uint64_t next_page, capacity, words;
	uint64_t *bpf, *written, *unknown;
	uint64_t *prev_bpf, *prev_written, *prev_unknown, *final;
	bool have_prev;
	uint32_t epoch;
	struct proc_proto_span *spans;   /* PROC_PROTO_MAX_ITEMS */
	struct proc_proto_span *ranges;  /* a reply's RANGES */
	unsigned int nranges, cap_ranges;
	struct proc_trace_totals tot;
};

struct proc_trace_opts proc_trace_opts__default(void)
{
	struct proc_trace_opts o = {
		.follow = true,
		.checkin_ms = 5000,
		.reply_ms = 2000,
		.capacity_pages = PROC_TRACE_DEFAULT_CAPACITY,
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
		int ms = (int)((deadline - clock_now_s()) * 1000) + 1;
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
	struct proc_proto_hdr h = {
		.magic = PROC_PROTO_MAGIC,
		.type = type,
		.version = PROC_PROTO_VERSION,
	};
	ssize_t n;

	do
		n = send(fd, &h, sizeof(h), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == sizeof(h) ? 0 : -EPIPE;
}

static int read_hdr(int fd, struct proc_proto_hdr *h, double deadline)
{
	int ret = read_full(fd, h, sizeof(*h), deadline);

	if (ret)
		return ret;
	if (h->magic != PROC_PROTO_MAGIC || h->version != PROC_PROTO_VERSION ||
	    h->count > PROC_PROTO_MAX_ITEMS)
		return -EPROTO;
	return 0;
}

/* ------------------------------------------------------------------------
 * Processes
 */

static void retire(struct proc_trace *pt, struct pt_proc *p)
{
	if (!p->live)
		return;
	proc_track__remove_proc(pt->pf, p->slot);
	close(p->fd);
	p->fd = -1;
	p->live = false;
	p->info.alive = false;
}

/* Count every page of p's current table as dirty in `bitmap`. */
static uint64_t mark_all(struct pt_proc *p, uint64_t *bitmap)
{
	const struct proc_track_range *r;
	unsigned int n, i;
	uint64_t pages = 0;

	r = proc_space__table(p->space, &n);
	for (i = 0; i < n; i++)
		pages += proc_space__mark(p->space, r[i].start, r[i].end, bitmap,
				       NULL);
	return pages;
}

/* Read one reply to SCAN from p and apply it. Returns 0 or -errno. */
static int read_reply(struct proc_trace *pt, struct pt_proc *p)
{
	double deadline = clock_now_s() + pt->o.reply_ms / 1e3;
	const struct proc_track_range *tab;
	struct proc_proto_scan_end end;
	struct proc_proto_hdr h;
	unsigned int ntab, i;
	int ret;

	pt->nranges = 0;
	for (;;) {
		ret = read_hdr(p->fd, &h, deadline);
		if (ret)
			return ret;
		if (h.type == PROC_PROTO_SCAN_END) {
			if (h.count != 1)
				return -EPROTO;
			ret = read_full(p->fd, &end, sizeof(end), deadline);
			if (ret)
				return ret;
			break;
		}
		if (h.type != PROC_PROTO_WRITTEN && h.type != PROC_PROTO_UNKNOWN &&
		    h.type != PROC_PROTO_RANGES)
			return -EPROTO;
		ret = read_full(p->fd, pt->spans, h.count * sizeof(*pt->spans),
				deadline);
		if (ret)
			return ret;
		for (i = 0; i < h.count; i++) {
			const struct proc_proto_span *s = &pt->spans[i];

			if (s->end <= s->start || (s->start | s->end) & 4095)
				return -EPROTO;
			if (h.type == PROC_PROTO_WRITTEN)
				p->info.written += proc_space__mark(
					p->space, s->start, s->end,
					pt->written, &pt->tot.unindexed);
			else if (h.type == PROC_PROTO_UNKNOWN)
				p->info.unknown += proc_space__mark(
					p->space, s->start, s->end,
					pt->unknown, &pt->tot.unindexed);
		}
		if (h.type != PROC_PROTO_RANGES)
			continue;
		if (pt->nranges + h.count > pt->cap_ranges) {
			unsigned int cap = pt->nranges + h.count + 1024;
			struct proc_proto_span *r;

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
	ret = (int)proc_space__update(p->space, pt->ranges, pt->nranges,
				   &pt->next_page, pt->capacity);
	if (ret == -EINVAL || ret == -ENOMEM)
		return ret;
	/* -ENOSPC: the page space is full; what fits is traced. */
	tab = proc_space__table(p->space, &ntab);
	if (ntab > PROC_TRACK_MAX_RANGES)
		ntab = PROC_TRACK_MAX_RANGES; /* the rest is caught by the scans */
	p->info.ranges = pt->nranges;
	p->info.pages = proc_space__pages(p->space);
	return proc_track__set_ranges(pt->pf, p->slot, tab, ntab);
}

static struct pt_proc *new_record(struct proc_trace *pt)
{
	unsigned int i;

	if (pt->nrecords < MAX_RECORDS)
		return &pt->procs[pt->nrecords++];
	/* Reuse the oldest record of a process gone. */
	for (i = 0; i < MAX_RECORDS; i++)
		if (!pt->procs[i].live) {
			proc_space__free(pt->procs[i].space);
			memset(&pt->procs[i], 0, sizeof(pt->procs[i]));
			return &pt->procs[i];
		}
	return NULL;
}

/* Accept one connection and check it in. */
static void accept_one(struct proc_trace *pt)
{
	struct proc_proto_hello hello;
	struct proc_proto_hdr h;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct pt_proc *p;
	unsigned int i;
	int fd, ret;

	fd = accept4(pt->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    !proc_spawn__descends(&pt->cmd, cred.pid, pt->o.follow))
		goto refuse;
	ret = read_hdr(fd, &h, clock_now_s() + 1.0);
	if (ret || h.type != PROC_PROTO_HELLO || h.count != 1 ||
	    read_full(fd, &hello, sizeof(hello), clock_now_s() + 1.0))
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
	p->space = proc_space__new();
	if (!p->space)
		goto refuse;
	p->slot = proc_track__add_proc(pt->pf, cred.pid);
	if (p->slot < 0) {
		proc_space__free(p->space);
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
	if (cred.pid == pt->cmd.pid)
		pt->checked_in = true;
	/* The preload's constructor waits for this first scan. */
	if (send_req(fd, PROC_PROTO_SCAN) || read_reply(pt, p))
		retire(pt, p);
	return;
refuse:
	pt->tot.refused++;
	send_req(fd, PROC_PROTO_DETACH);
	close(fd);
}

/* Handle whatever is pending, waiting up to timeout_ms. */
static int service(struct proc_trace *pt, int timeout_ms)
{
	struct pollfd pfd[MAX_RECORDS + 2];
	struct pt_proc *who[MAX_RECORDS + 2];
	unsigned int n = 0, i;
	int ret;

	pfd[n].fd = pt->lfd;
	pfd[n].events = POLLIN;
	who[n++] = NULL;
	if (pt->cmd.pidfd >= 0 && !pt->cmd.exited) {
		pfd[n].fd = pt->cmd.pidfd;
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
			proc_spawn__reap(&pt->cmd);
		else
			retire(pt, who[i]); /* EOF, or unasked data */
	}
	proc_spawn__reap(&pt->cmd);
	return 0;
}

int proc_trace__wait(struct proc_trace *pt, double deadline)
{
	for (;;) {
		double left = deadline - clock_now_s();
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
		c += pop64(w[i]);
	return c;
}

int proc_trace__epoch(struct proc_trace *pt, struct proc_trace_epoch *ep)
{
	const uint64_t *src;
	uint64_t words, i, *tmp, lost = 0;
	unsigned int k, nlive = 0;

	words = (pt->next_page + 63) / 64;
	proc_track__harvest(pt->pf);
	src = proc_track__bitmap(pt->pf, NULL);
	memcpy(pt->bpf, src, words * 8);

	for (k = 0; k < pt->nrecords; k++) {
		struct pt_proc *p = &pt->procs[k];

		if (p->live && send_req(p->fd, PROC_PROTO_SCAN))
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
			send_req(p->fd, PROC_PROTO_DETACH);
		}
		if (ret)
			retire(pt, p);
		else
			nlive++;
	}
	proc_spawn__reap(&pt->cmd);

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

		ep->n_bpf += pop64(b);
		ep->n_written += pop64(w);
		ep->n_unknown += pop64(pt->unknown[i]);
		ep->n_bpf_only += pop64(b & ~w);
		ep->n_written_only += pop64(w & ~b);
	}
	if (pt->have_prev) {
		for (i = 0; i < words; i++) {
			uint64_t pw = pt->prev_written[i], pb = pt->prev_bpf[i];
			uint64_t missed = pw & ~pb & ~pt->bpf[i];

			pt->final[i] = pb | pt->prev_unknown[i] | missed;
			ep->n_missed += pop64(missed);
			ep->n_racing += pop64(pw & ~pb &
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

int proc_trace__final_last(struct proc_trace *pt, const uint64_t **final,
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

struct proc_trace *proc_trace__start(const struct proc_trace_opts *opts,
				   char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct proc_track_opts po = proc_track_opts__default();
	struct proc_spawn_opts so;
	struct proc_trace *pt;
	double deadline;
	size_t len;

	pt = calloc(1, sizeof(*pt));
	if (!pt) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	if (opts)
		pt->o = *opts;
	pt->lfd = -1;
	pt->cmd.pidfd = -1;
	if (!pt->o.checkin_ms)
		pt->o.checkin_ms = 5000;
	if (!pt->o.reply_ms)
		pt->o.reply_ms = 2000;
	if (!pt->o.capacity_pages)
		pt->o.capacity_pages = PROC_TRACE_DEFAULT_CAPACITY;

	so = (struct proc_spawn_opts){
		.argv = pt->o.argv,
		.preload = pt->o.preload,
		.user = pt->o.user,
		.stdin_fd = pt->o.stdin_fd,
		.stdout_fd = pt->o.stdout_fd,
		.stderr_fd = pt->o.stderr_fd,
	};
	if (proc_spawn__prepare(&pt->cmd, &so, err, errlen))
		goto fail;

	po.capacity_pages = pt->o.capacity_pages;
	po.variant = pt->o.variant;
	po.verbose = pt->o.verbose;
	pt->pf = proc_track__open(&po, err, errlen);
	if (!pt->pf)
		goto fail;
	pt->capacity = pt->o.capacity_pages;
	pt->words = pt->capacity / 64;
	pt->bpf = calloc(pt->words, 8);
	pt->written = calloc(pt->words, 8);
	pt->unknown = calloc(pt->words, 8);
	pt->prev_bpf = calloc(pt->words, 8);
	pt->prev_written = calloc(pt->words, 8);
	pt->prev_unknown = calloc(pt->words, 8);
	pt->final = calloc(pt->words, 8);
	pt->spans = malloc(PROC_PROTO_MAX_ITEMS * sizeof(*pt->spans));
	if (!pt->bpf || !pt->written || !pt->unknown || !pt->prev_bpf ||
	    !pt->prev_written || !pt->prev_unknown || !pt->final ||
	    !pt->spans) {
		errmsg_set(err, errlen, "out of memory");
		goto fail;
	}

	/* An abstract socket: no file to clean up, none to leak. */
	snprintf(pt->sockname, sizeof(pt->sockname), "@precopy-proc-%d-%lx",
		 (int)getpid(), (unsigned long)(clock_now_s() * 1e6));
	len = strlen(pt->sockname);
	memcpy(sa.sun_path + 1, pt->sockname + 1, len - 1);
	pt->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 0);
	if (pt->lfd < 0 ||
	    bind(pt->lfd, (struct sockaddr *)&sa,
		 offsetof(struct sockaddr_un, sun_path) + len) ||
	    listen(pt->lfd, 64)) {
		errmsg_set(err, errlen, "cannot create the control socket: %s",
			   strerror(errno));
		goto fail;
	}
	if (proc_spawn__run(&pt->cmd, pt->sockname, err, errlen))
		goto fail;

	deadline = clock_now_s() + pt->o.checkin_ms / 1e3;
	while (!pt->checked_in && !pt->cmd.exited &&
	       clock_now_s() < deadline) {
		if (pt->refusal[0] && !pt->tot.checkins)
			break;
		service(pt, 50);
	}
	if (!pt->checked_in) {
		if (pt->refusal[0])
			errmsg_set(err, errlen, "%s", pt->refusal);
		else if (pt->cmd.exited)
			errmsg_set(err, errlen, "%s exited (status %d) without "
				"checking in: it did not load the preload "
				"library (set-user-ID programs and programs "
				"that clear LD_PRELOAD cannot be traced)",
				pt->cmd.prog,
				WIFEXITED(pt->cmd.status)
					? WEXITSTATUS(pt->cmd.status)
					: 128 + WTERMSIG(pt->cmd.status));
		else
			errmsg_set(err, errlen, "%s did not load the preload "
				"library within %u ms: a set-user-ID program "
				"or one that clears LD_PRELOAD cannot be "
				"traced", pt->cmd.prog, pt->o.checkin_ms);
		goto fail;
	}
	return pt;
fail:
	proc_trace__free(pt);
	return NULL;
}

bool proc_trace__command_exited(struct proc_trace *pt, int *status)
{
	proc_spawn__reap(&pt->cmd);
	if (pt->cmd.exited && status)
		*status = pt->cmd.status;
	return pt->cmd.exited;
}

pid_t proc_trace__command_pid(const struct proc_trace *pt)
{
	return pt->cmd.pid;
}

int proc_trace__detach(struct proc_trace *pt)
{
	double deadline = clock_now_s() + pt->o.reply_ms / 1e3;
	unsigned int k;
	int ret = 0;

	for (k = 0; k < pt->nrecords; k++)
		if (pt->procs[k].live)
			send_req(pt->procs[k].fd, PROC_PROTO_DETACH);
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

int proc_trace__stop(struct proc_trace *pt, int sig, unsigned int timeout_ms,
		    int *status)
{
	int ret = proc_spawn__stop(&pt->cmd, sig, timeout_ms);

	if (!ret && status)
		*status = pt->cmd.status;
	return ret;
}

void proc_trace__free(struct proc_trace *pt)
{
	unsigned int k;

	if (!pt)
		return;
	if (pt->pf)
		proc_trace__detach(pt);
	if (pt->cmd.pid > 0 && !pt->cmd.exited)
		proc_spawn__stop(&pt->cmd, SIGKILL, 1000);
	for (k = 0; k < pt->nrecords; k++) {
		retire(pt, &pt->procs[k]);
		proc_space__free(pt->procs[k].space);
	}
	if (pt->lfd >= 0)
		close(pt->lfd);
	proc_spawn__close(&pt->cmd);
	proc_track__close(pt->pf);
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

void proc_trace__release(struct proc_trace *pt)
{
	if (!pt)
		return;
	if (pt->pf)
		proc_trace__detach(pt);
	proc_spawn__forget(&pt->cmd); /* not ours to stop any more */
	proc_trace__free(pt);
}

unsigned int proc_trace__procs(const struct proc_trace *pt,
			      struct proc_trace_proc *out, unsigned int max)
{
	unsigned int k, n = 0;

	for (k = 0; k < pt->nrecords && n < max; k++)
		out[n++] = pt->procs[k].info;
	return n;
}

void proc_trace__totals(const struct proc_trace *pt,
		       struct proc_trace_totals *out)
{
	*out = pt->tot;
}

const char *proc_trace__describe(const struct proc_trace *pt)
{
	return proc_track__describe(pt->pf);
}

struct proc_track *proc_trace__tracker(const struct proc_trace *pt)
{
	return pt->pf;
}

unsigned int proc_trace__each_piece(const struct proc_trace *pt,
				    void (*fn)(void *arg, pid_t pid,
					       uint64_t start, uint64_t end,
					       uint64_t page),
				    void *arg)
{
	unsigned int k, i, n = 0;
	uint64_t start, end, page;

	for (k = 0; k < pt->nrecords; k++) {
		if (!pt->procs[k].space)
			continue;
		for (i = 0; !proc_space__piece(pt->procs[k].space, i, &start,
					       &end, &page); i++, n++)
			fn(arg, pt->procs[k].info.pid, start, end, page);
	}
	return n;
}

int64_t proc_trace__page_of(const struct proc_trace *pt, pid_t pid,
			   uint64_t addr)
{
	unsigned int k;

	for (k = pt->nrecords; k-- > 0;)
		if (pt->procs[k].info.pid == pid && pt->procs[k].space)
			return proc_space__page_of(pt->procs[k].space, addr);
	return -1;
}

uint64_t proc_trace__capacity(const struct proc_trace *pt)
{
	return pt->capacity;
}
