/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_spawn.h - the command a process trace watches (proc_trace.h):
 * found in PATH, refused up front if the preload library cannot enter it (a
 * statically linked binary), started with the library in LD_PRELOAD and
 * the tracer's socket in $PRECOPY_PROC_SOCK (proc_proto.h), as another user
 * if asked; then reaped, stopped, or left running.
 *
 * Life cycle:
 *	struct proc_spawn c;
 *	proc_spawn__prepare(&c, &opts, err, sizeof(err)); // checks; no process
 *	proc_spawn__run(&c, "@socket-name", err, sizeof(err));
 *	... proc_spawn__reap(&c) when c.pidfd is readable ...
 *	proc_spawn__stop(&c, SIGTERM, 5000);   // or proc_spawn__forget(&c)
 *	proc_spawn__close(&c);
 *
 * All functions return 0 or a negative errno unless said otherwise; those
 * taking (err, errlen) also put a one-sentence reason there.
 */
#ifndef PRECOPY_PROC_SPAWN_H
#define PRECOPY_PROC_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proc_spawn_opts {
	char *const *argv;   /* the command; argv[0] is searched in PATH */
	const char *preload; /* libprecopy-preload.so; NULL: $PRECOPY_PRELOAD,
			      * else ../lib/ beside the running program */
	const char *user;    /* run the command as this user, or NULL */
	int stdin_fd, stdout_fd, stderr_fd; /* for the command; -1 inherits */
};

struct proc_spawn {
	struct proc_spawn_opts o;
	char prog[4096];     /* argv[0] resolved through PATH */
	char preload[4096];  /* the preload library's path */
	bool as_user;        /* o.user was found: */
	uid_t uid;           /* its uid and gid */
	gid_t gid;
	pid_t pid;           /* the command; 0 before run and after forget */
	int pidfd;           /* readable once it exits; -1 if unavailable */
	bool exited;         /* reaped, status holds its wait status */
	int status;
};

/*
 * proc_spawn__prepare() checks everything that can be checked before
 * starting: the command exists and is executable, is not statically
 * linked, the preload library is readable, the user exists. Starts
 * nothing. Returns 0, -EINVAL (no command, static binary), -ENOENT (no
 * such program, library or user), or the errno of access/open.
 */
int proc_spawn__prepare(struct proc_spawn *c, const struct proc_spawn_opts *o,
			char *err, size_t errlen);

/*
 * proc_spawn__run() forks and executes the prepared command with the
 * preload library prepended to LD_PRELOAD and $PRECOPY_PROC_SOCK set to
 * sock. Returns 0 once exec succeeded, or the errno of pipe, fork, or the
 * child's setuid/exec (then no process is left).
 */
int proc_spawn__run(struct proc_spawn *c, const char *sock, char *err,
		    size_t errlen);

/* proc_spawn__reap() reaps the command if it exited, without waiting.
 * Returns c->exited. Cannot fail. */
bool proc_spawn__reap(struct proc_spawn *c);

/*
 * proc_spawn__stop() ends the command if it still runs: signal `sig`, then
 * SIGKILL after timeout_ms, and reaps it. Returns 0, or -ECHILD if there is
 * no command (never run, or forgotten).
 */
int proc_spawn__stop(struct proc_spawn *c, int sig, unsigned int timeout_ms);

/* proc_spawn__forget() leaves the command running and no longer ours to
 * wait for or stop. Cannot fail. */
void proc_spawn__forget(struct proc_spawn *c);

/*
 * proc_spawn__descends() says whether pid is the command or, with follow,
 * one of its descendants (parents read from /proc, at most 64 levels).
 * Cannot fail: an unreadable ancestry is "no".
 */
bool proc_spawn__descends(const struct proc_spawn *c, pid_t pid, bool follow);

/* proc_spawn__close() releases the descriptor; it neither stops nor reaps
 * the command. Cannot fail. */
void proc_spawn__close(struct proc_spawn *c);

#endif /* PRECOPY_PROC_SPAWN_H */
