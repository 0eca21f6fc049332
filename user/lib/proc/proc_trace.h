/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_trace.h - tracing how a process (and its descendants) dirties its
 * memory: starts a command with the preload library (user/preload/), keeps
 * its writable memory write-protected with userfaultfd in asynchronous
 * mode, re-armed every epoch with PAGEMAP_SCAN, and watches the write
 * faults with the page-fault tracker (proc_track.h).
 *
 * Life cycle:
 *	struct proc_trace_opts o = proc_trace_opts__default();
 *	o.argv = argv;
 *	struct proc_trace *pt = proc_trace__start(&o, err, sizeof(err));
 *	loop:
 *		proc_trace__wait(pt, deadline);    // serve check-ins until then
 *		proc_trace__epoch(pt, &ep);        // end the epoch
 *	proc_trace__detach(pt);                    // leave the processes clean
 *	proc_trace__stop(pt, SIGTERM, 5000, &status);
 *	proc_trace__free(pt);
 *
 * Each epoch yields three views of the pages written, as page indices (see
 * proc_space.h for page identity):
 *   bpf      write faults seen by the BPF programs;
 *   written  PAGEMAP_SCAN's written set: pages write-protected at the
 *            previous re-arm and written since; the ground truth;
 *   unknown  pages found present when their mapping was first armed:
 *            written at an unknown time before, treated as dirty.
 * The BPF epoch ends (buffers switch) just before the scans start, so a
 * page written between the switch and the moment its scan reaches it is in
 * bpf of epoch k+1 and in written of epoch k ("racing"); with the process
 * idle during the switch both views are equal. The finished dirty set of
 * epoch k, given once epoch k+1 ends, is
 *   final(k) = bpf(k) + unknown(k) + missed(k),
 *   missed(k) = written(k) - bpf(k) - bpf(k+1):
 * pages the kernel wrote without a fault (get_user_pages) or whose fault
 * the BPF side could not place. Nothing written is ever left out.
 *
 * Which processes: the command and, with opts.follow, every descendant
 * that checks in (fork children through the preload's atfork handler, exec
 * images through LD_PRELOAD). A process is traced from its check-in to its
 * exit or exec (the new image checks in again with new pages).
 *
 * All functions return 0 or a negative errno unless said otherwise.
 */
#ifndef PRECOPY_PROCTRACE_H
#define PRECOPY_PROCTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_TRACE_MAX_PROCS 32
#define PROC_TRACE_DEFAULT_CAPACITY (4u << 20) /* pages: 16 GiB */

struct proc_trace_opts {
	char *const *argv;       /* the command; argv[0] is searched in PATH */
	const char *preload;     /* libprecopy-preload.so; NULL: $PRECOPY_PRELOAD,
				  * else ../lib/ beside the running program */
	const char *user;        /* run the command as this user, or NULL */
	bool follow;             /* trace descendants too (default true) */
	unsigned int checkin_ms; /* the command must check in within this */
	unsigned int reply_ms;   /* a process must answer a scan within this */
	uint64_t capacity_pages; /* page space; default 4 Mi pages */
	int variant;             /* enum proc_track_variant, -1 = automatic */
	bool verbose;
	int stdin_fd, stdout_fd, stderr_fd; /* for the command; -1 inherits */
};

struct proc_trace_epoch {
	uint32_t index;          /* 0, 1, 2... */
	uint64_t pages;          /* page indices handed out so far */
	const uint64_t *bpf;     /* this epoch's views, `pages` bits each, */
	const uint64_t *written; /* valid until the next proc_trace__epoch() */
	const uint64_t *unknown;
	uint64_t n_bpf, n_written, n_unknown;
	uint64_t n_bpf_only;     /* in bpf, not in written */
	uint64_t n_written_only; /* in written, not in bpf */
	bool have_final;         /* false for the first epoch */
	const uint64_t *final;   /* final dirty set of the previous epoch */
	uint64_t n_final;
	uint64_t n_missed;       /* of those, written but seen by no fault */
	uint64_t n_racing;       /* written(k-1) seen by bpf in epoch k */
	uint64_t n_lost;         /* pages of processes that stopped answering
				  * (all their pages counted in final) */
	unsigned int nprocs;     /* processes answering now */
};

struct proc_trace_proc {
	pid_t pid;
	char exe[128];
	char comm[16];           /* process name at check-in */
	bool alive;
	uint64_t pages;          /* pages indexed for it */
	uint64_t ranges;         /* ranges registered now */
	uint64_t written, unknown; /* pages over all epochs */
	uint64_t scans;
	uint64_t scan_ns;        /* time its preload spent in PAGEMAP_SCAN */
	uint64_t register_failed;
};

struct proc_trace_totals {
	uint64_t epochs;
	uint64_t exact_epochs;   /* epochs where bpf == written */
	uint64_t bpf, written, unknown, bpf_only, written_only;
	uint64_t missed, racing, lost;
	uint64_t checkins, refused; /* processes that checked in / refused */
	uint64_t unindexed;      /* reported pages with no index (never) */
};

struct proc_trace;

/* proc_trace_opts__default() returns the defaults. Cannot fail. */
struct proc_trace_opts proc_trace_opts__default(void);

/*
 * proc_trace__start() loads the page-fault tracker, starts the command with
 * the preload library and waits until it has checked in and registered its
 * memory. Returns the session, or NULL with a one-sentence reason in err:
 * no privileges for BPF, the preload library missing, the command not
 * found, a statically linked command, a command that did not check in
 * within opts.checkin_ms (set-user-ID programs and programs that clear
 * LD_PRELOAD), one whose userfaultfd setup failed (with the errno), or one
 * that exited before checking in. Nothing is left running on failure.
 */
struct proc_trace *proc_trace__start(const struct proc_trace_opts *opts,
				   char *err, size_t errlen);

/*
 * proc_trace__wait() serves check-ins and notices exits until the
 * CLOCK_MONOTONIC time `deadline` (seconds), or until the command exits.
 * Returns 0, or -EINTR if a signal interrupted it.
 */
int proc_trace__wait(struct proc_trace *pt, double deadline);

/*
 * proc_trace__epoch() ends the current epoch: switches the BPF buffers, has
 * every traced process re-arm and report, updates the range tables, and
 * fills *ep. A process that fails to answer is no longer traced (its pages
 * are counted dirty, n_lost). Returns 0; -ENOMEM.
 */
int proc_trace__epoch(struct proc_trace *pt, struct proc_trace_epoch *ep);

/*
 * proc_trace__final_last() gives the final dirty set of the last epoch
 * ended, when no later epoch will come (the end of a session): bpf +
 * unknown + all of written. Sets *final (valid until the next call) and
 * *pages. Returns 0, or -ENODATA if no epoch is waiting for it.
 */
int proc_trace__final_last(struct proc_trace *pt, const uint64_t **final,
			  uint64_t *pages);

/* proc_trace__command_exited() says whether the command has exited, and
 * its wait status in *status (if not NULL). Cannot fail. */
bool proc_trace__command_exited(struct proc_trace *pt, int *status);

/* proc_trace__command_pid() returns the command's pid. Cannot fail. */
pid_t proc_trace__command_pid(const struct proc_trace *pt);

/*
 * proc_trace__detach() asks every traced process to undo its registration
 * and close its descriptors, and waits up to opts.reply_ms for them to
 * confirm (by closing the connection). The processes keep running,
 * untraced. Returns 0, or -ETIMEDOUT if some did not confirm.
 */
int proc_trace__detach(struct proc_trace *pt);

/*
 * proc_trace__stop() ends the command if it still runs: signal `sig`, then
 * SIGKILL after timeout_ms. *status (if not NULL) gets its wait status.
 * Returns 0 or -ECHILD if it was already reaped.
 */
int proc_trace__stop(struct proc_trace *pt, int sig, unsigned int timeout_ms,
		    int *status);

/* proc_trace__free() detaches, kills the command if it still runs, and
 * frees everything. NULL is a no-op. */
void proc_trace__free(struct proc_trace *pt);

/* proc_trace__release() detaches and frees everything but leaves the
 * command running, untraced (it is no longer waited for). NULL is a
 * no-op. */
void proc_trace__release(struct proc_trace *pt);

/* proc_trace__procs() copies up to max per-process records (every process
 * that checked in, in check-in order). Returns how many. Cannot fail. */
unsigned int proc_trace__procs(const struct proc_trace *pt,
			      struct proc_trace_proc *out, unsigned int max);

/* proc_trace__totals() copies the cumulative counts. Cannot fail. */
void proc_trace__totals(const struct proc_trace *pt,
		       struct proc_trace_totals *out);

/* proc_trace__describe() returns the hooks line of the tracker. */
const char *proc_trace__describe(const struct proc_trace *pt);

/* proc_trace__tracker() returns the page-fault tracker (for its stats). */
struct proc_track *proc_trace__tracker(const struct proc_trace *pt);

/*
 * proc_trace__each_piece() calls fn once per piece of page space of every
 * process traced so far (proc_space.h): process pid's virtual range
 * [start, end) holds pages page, page + 1, ... Returns the number of
 * pieces. Cannot fail.
 */
unsigned int proc_trace__each_piece(const struct proc_trace *pt,
				    void (*fn)(void *arg, pid_t pid,
					       uint64_t start, uint64_t end,
					       uint64_t page),
				    void *arg);

/* proc_trace__page_of() returns the page index of address addr of process
 * pid, or -1 if it has none. Cannot fail. */
int64_t proc_trace__page_of(const struct proc_trace *pt, pid_t pid,
			   uint64_t addr);

/* proc_trace__capacity() returns the page space size. Cannot fail. */
uint64_t proc_trace__capacity(const struct proc_trace *pt);

#endif /* PRECOPY_PROCTRACE_H */
