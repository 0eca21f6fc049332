// SPDX-License-Identifier: GPL-2.0
/* target.c - the VMM process a tool tracks (see target.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target.h"
#include "util/paths.h"

#define SPAWN_TIMEOUT_MS 15000
#define MAX_ARGS 64

static int pidfd_open_compat(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Split a string at blanks into argv[*argc...], in place. */
static int split_args(char *s, char **argv, int *argc)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (*argc >= MAX_ARGS - 1)
			return -E2BIG;
		argv[(*argc)++] = tok;
	}
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int target__spawn_workload(struct target *t, const char *args,
			   const char *vm_opts, char *err, size_t errlen)
{
	char *argv[MAX_ARGS], prog[PATH_MAX], abuf[1024], obuf[256];
	int argc = 0, waited, status, ret;
	pid_t pid;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	if (snprintf(abuf, sizeof(abuf), "%s", args) >= (int)sizeof(abuf) ||
	    snprintf(obuf, sizeof(obuf), "%s", vm_opts ? vm_opts : "") >=
		    (int)sizeof(obuf)) {
		snprintf(err, errlen, "workload arguments too long");
		return -E2BIG;
	}
	/* precopy-vm beside this command; else the one in PATH. */
	if (paths__sibling("precopy-vm", prog, sizeof(prog)))
		snprintf(prog, sizeof(prog), "precopy-vm");
	argv[argc++] = prog;
	argv[argc++] = "-q";
	if (split_args(obuf, argv, &argc) || split_args(abuf, argv, &argc)) {
		snprintf(err, errlen, "too many workload arguments");
		return -E2BIG;
	}
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot start the workload VM: %s",
			 strerror(errno));
		return ret;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp(prog, argv);
		fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	t->child = pid;
	t->pid = pid;
	t->kind = TARGET_WORKVM;
	for (waited = 0; waited < SPAWN_TIMEOUT_MS; waited += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			t->child = 0;
			snprintf(err, errlen, "the workload VM exited at start "
				 "(status %d; its message is above)",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return -ECHILD;
		}
		if (!guest_map__load_pid(pid, &t->map, NULL, 0))
			break;
		sleep_ms(20);
	}
	if (waited >= SPAWN_TIMEOUT_MS) {
		target__close(t);
		snprintf(err, errlen, "the workload VM published no memory map "
			 "within %d s", SPAWN_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	t->pidfd = pidfd_open_compat(pid);
	snprintf(t->comm, sizeof(t->comm), "precopy-vm");
	snprintf(t->desc, sizeof(t->desc), "workload VM %s (pid %d)", args,
		 (int)pid);
	return 0;
}

/* Does the process hold a KVM VM (anon inode "kvm-vm")? */
static int has_kvm_vm(pid_t pid)
{
	char dir[64], path[320], link[128];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:kvm-vm")) {
			found = 1;
			break;
		}
	}
	closedir(d);
	return found;
}

int target__open_pid(struct target *t, pid_t pid, char *err, size_t errlen)
{
	int kvm;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	t->pid = pid;
	if (pid <= 0 || kill(pid, 0)) {
		int e = pid <= 0 ? ESRCH : errno;

		snprintf(err, errlen, e == EPERM ? "not allowed to trace "
			 "process %d (run as root)" : "no process %d",
			 (int)pid);
		return -e;
	}
	read_comm(pid, t->comm, sizeof(t->comm));
	if (!guest_map__load_pid(pid, &t->map, err, errlen)) {
		t->kind = TARGET_WORKVM;
		snprintf(t->desc, sizeof(t->desc), "workload VM (pid %d)",
			 (int)pid);
	} else {
		kvm = has_kvm_vm(pid);
		if (kvm < 0) {
			snprintf(err, errlen, "cannot inspect process %d: %s",
				 (int)pid, strerror(-kvm));
			return kvm;
		}
		if (!kvm) {
			snprintf(err, errlen, "process %d (%s) is not a VMM: it "
				 "has no KVM virtual machine open", (int)pid,
				 t->comm);
			return -ENOTSUP;
		}
		t->kind = TARGET_QEMU;
		memset(&t->map, 0, sizeof(t->map));
		snprintf(t->desc, sizeof(t->desc), "%s (pid %d)", t->comm,
			 (int)pid);
	}
	t->pidfd = pidfd_open_compat(pid);
	return 0;
}

bool target__alive(const struct target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	int status;

	if (t->child)
		return waitpid(t->child, &status, WNOHANG) == 0;
	if (t->pidfd >= 0)
		return poll(&p, 1, 0) == 0;
	return kill(t->pid, 0) == 0;
}

void target__close(struct target *t)
{
	int status, i;

	if (t->child > 0) {
		kill(t->child, SIGTERM);
		for (i = 0; i < 250; i++) {
			if (waitpid(t->child, &status, WNOHANG) == t->child)
				break;
			sleep_ms(20);
		}
		if (i == 250) {
			kill(t->child, SIGKILL);
			waitpid(t->child, &status, 0);
		}
		t->child = 0;
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}
