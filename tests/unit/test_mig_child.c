// SPDX-License-Identifier: GPL-2.0
/* test_mig_child.c - the processes a measured migration starts: stopping
 * one stops what it started too (a wrapper script that runs its program
 * without exec), and its exit status is reported. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"
#include "mig/mig_child.h"

/* Whether pid runs (a zombie, which an init that does not reap leaves,
 * does not). */
static bool runs(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* The pid a wrapper wrote to path, waiting up to 5 s for it. */
static pid_t read_pid(const char *path)
{
	int tries, v = 0;
	FILE *f;

	for (tries = 0; tries < 250; tries++) {
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &v) != 1)
				v = 0;
			fclose(f);
			if (v > 0)
				return v;
		}
		usleep(20000);
	}
	return 0;
}

static void test_stop_takes_the_group(void)
{
	char dir[] = "/tmp/test_mig_child.XXXXXX", pidfile[128], script[256];
	struct mig_child ch = { 0, "wrapper" };
	pid_t grandchild;
	int st, tries;

	/* the wrapper's orphans come back to us, to be reaped below */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_TRUE(mkdtemp(dir) != NULL, "scratch folder");
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	/* a wrapper that runs its program as a child, not by exec */
	snprintf(script, sizeof(script), "sleep 60 & echo $! > %s; wait",
		 pidfile);
	ch.pid = mig_child__spawn((char *const[]){ "/bin/sh", "-c", script,
						  NULL }, NULL, NULL, NULL);
	ASSERT_TRUE(ch.pid > 0, "spawned");
	grandchild = read_pid(pidfile);
	ASSERT_TRUE(grandchild > 0 && runs(grandchild), "its program runs");
	st = mig_child__stop(&ch, 5);
	ASSERT_EQ(st, -SIGTERM, "the wrapper ended by SIGTERM");
	ASSERT_EQ(ch.pid, 0, "reaped");
	for (tries = 0; tries < 250 && runs(grandchild); tries++)
		usleep(20000);
	ASSERT_FALSE(runs(grandchild), "the wrapper's program went too");
	if (runs(grandchild))
		kill(grandchild, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	unlink(pidfile);
	rmdir(dir);
}

static void test_stop_reports_the_exit(void)
{
	struct mig_child ch = { 0, "true" };

	ch.pid = mig_child__spawn((char *const[]){ "/bin/sh", "-c", "exit 3",
						  NULL }, NULL, NULL, NULL);
	ASSERT_TRUE(ch.pid > 0, "spawned");
	ASSERT_EQ(mig_child__reap(&ch, 5), 3, "exit code");
	ASSERT_EQ(mig_child__stop(&ch, 1), -1000, "nothing left to stop");
}

int main(void)
{
	RUN_TEST(test_stop_takes_the_group);
	RUN_TEST(test_stop_reports_the_exit);
	return harness_finish();
}
