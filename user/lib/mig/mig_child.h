/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig_child.h - the processes a measured migration starts (two QEMUs and
 * the planner): started in a process group of their own that dies with
 * us, optionally inside a network namespace; reaped and stopped with a
 * deadline.
 */
#ifndef PRECOPY_MIG_CHILD_H
#define PRECOPY_MIG_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

struct mig_child {
	pid_t pid;		/* 0: not running */
	const char *name;
};

/*
 * mig_child__spawn() starts argv (argv[0] a path) with stdin from
 * /dev/null and stdout, stderr written to the files out, errf (created or
 * truncated; NULL: /dev/null), in a new process group, with SIGTERM
 * delivered to it if we die first, inside the network namespace
 * /run/netns/NETNS when netns is not NULL. Returns the pid, or -1 when
 * fork fails; a child that cannot start exits 127 after one line on its
 * stderr.
 */
pid_t mig_child__spawn(char *const argv[], const char *out, const char *errf,
		       const char *netns);

/*
 * mig_child__reap() waits up to timeout_s for ch to end. Returns its exit
 * code, or -SIGNAL if a signal killed it, and clears ch->pid; -1000 while
 * it still runs (or if it was not running).
 */
int mig_child__reap(struct mig_child *ch, double timeout_s);

/*
 * mig_child__stop() sends SIGTERM to ch's process group (ch and what it
 * started), waits up to grace_s for ch, then SIGKILLs the group and
 * waits up to 5 s more. Returns the status as mig_child__reap().
 */
int mig_child__stop(struct mig_child *ch, double grace_s);

/* mig_child__alive(): is ch running? Reaps it (pid 0) if it ended. */
bool mig_child__alive(struct mig_child *ch);

#endif /* PRECOPY_MIG_CHILD_H */
