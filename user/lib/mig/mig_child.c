// SPDX-License-Identifier: GPL-2.0
/*
 * mig_child.c - the processes of a measured migration (mig_child.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "mig_child.h"

pid_t mig_child__spawn(char *const argv[], const char *out, const char *errf,
		       const char *netns)
{
	pid_t parent = getpid(), pid = fork();

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
		/* If we die without stopping it (SIGKILL), it is told to go. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		if (netns) {
			char p[300];
			int fd;

			snprintf(p, sizeof(p), "/run/netns/%s", netns);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET)) {
				dprintf(2, "cannot enter network namespace %s: %s\n",
					netns, strerror(errno));
				_exit(127);
			}
			close(fd);
		}
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
}

int mig_child__reap(struct mig_child *ch, double timeout_s)
{
	double end = clock_now_s() + timeout_s;
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
		if (clock_now_s() >= end)
			return -1000;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
}

int mig_child__stop(struct mig_child *ch, double grace_s)
{
	int st;

	if (!ch->pid)
		return -1000;
	/* its whole process group: what it started goes too (a wrapper
	 * script's program, which a signal to the wrapper would orphan) */
	if (kill(-ch->pid, SIGTERM))
		kill(ch->pid, SIGTERM);
	st = mig_child__reap(ch, grace_s);
	if (st == -1000 && ch->pid) {
		if (kill(-ch->pid, SIGKILL))
			kill(ch->pid, SIGKILL);
		st = mig_child__reap(ch, 5);
	}
	return st;
}

bool mig_child__alive(struct mig_child *ch)
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
