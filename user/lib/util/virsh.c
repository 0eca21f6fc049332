// SPDX-License-Identifier: GPL-2.0
/* virsh.c - libvirt's client as a subprocess (virsh.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errmsg.h"
#include "virsh.h"

#define MAX_ARGS 32

/* Read what fd gives into buf (cut to len) until EOF or the deadline. */
static int drain(int fd, char *buf, size_t len, size_t *got, double end)
{
	char sink[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = (int)((end - clock_now_s()) * 1000);
		ssize_t n;

		if (ms <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, ms) <= 0)
			continue;
		if (*got + 1 < len)
			n = read(fd, buf + *got, len - 1 - *got);
		else
			n = read(fd, sink, sizeof(sink));
		if (n <= 0)
			return 0;
		if (*got + 1 < len)
			*got += (size_t)n;
	}
}

int virsh__run(const char *const *argv, char *out, size_t outlen, char *err,
	       size_t errlen)
{
	const char *args[MAX_ARGS + 3];
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status, i, n = 0, ret;
	char ebuf[512];
	size_t got = 0, egot = 0;
	double end = clock_now_s() + VIRSH_TIMEOUT_MS / 1e3;
	pid_t pid;

	args[n++] = "virsh";
	args[n++] = "-q";
	for (i = 0; argv[i] && n < MAX_ARGS + 2; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		ret = -errno;
		errmsg_set(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		errmsg_set(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execvp("virsh", (char *const *)args);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	ret = drain(po[0], out, outlen, &got, end);
	if (!ret)
		ret = drain(pe[0], ebuf, sizeof(ebuf), &egot, end);
	if (ret == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[got] = '\0';
	while (got && (out[got - 1] == '\n' || out[got - 1] == '\r'))
		out[--got] = '\0';
	ebuf[egot] = '\0';
	if (ret == -ETIMEDOUT) {
		errmsg_set(err, errlen, "virsh %s: no answer in %d s", argv[0],
			   VIRSH_TIMEOUT_MS / 1000);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		ret = -ENOENT;
		errmsg_set(err, errlen, "virsh is not installed (Debian's "
			   "libvirt-clients)");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char *line = ebuf, *nl;

		/* virsh's message: the first non-empty line, "error: " cut */
		while (*line == '\n')
			line++;
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (!strncmp(line, "error: ", 7))
			line += 7;
		ret = -EREMOTEIO;
		errmsg_set(err, errlen, "virsh %s: %s", argv[0],
			   *line ? line : "failed");
	}
out:
	for (i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return ret;
}

/* The pid of the process started with -uuid UUID (case-insensitive). */
static pid_t find_uuid(const char *uuid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -ESRCH;
	char path[64], buf[65536];

	if (!d)
		return -ESRCH;
	while (found < 0 && (e = readdir(d))) {
		char *end, *a;
		long pid = strtol(e->d_name, &end, 10);
		ssize_t n;
		int fd;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (a = buf; a < buf + n; a += strlen(a) + 1)
			if (!strcmp(a, "-uuid") && a + 6 < buf + n &&
			    !strcasecmp(a + 6, uuid))
				found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

pid_t virsh__domain_pid(const char *domain, char *uuid, char *err,
			size_t errlen)
{
	const char *argv[] = { "domuuid", "--domain", domain, NULL };
	char out[128];
	pid_t pid;
	int ret;

	ret = virsh__run(argv, out, sizeof(out), err, errlen);
	if (ret)
		return ret;
	if (strlen(out) != 36) {
		errmsg_set(err, errlen, "virsh domuuid %s: unexpected answer "
			   "'%.40s'", domain, out);
		return -EPROTO;
	}
	if (uuid)
		snprintf(uuid, 37, "%s", out);
	pid = find_uuid(out);
	if (pid < 0)
		errmsg_set(err, errlen, "libvirt domain %s (%s) is not "
			   "running here", domain, out);
	return pid;
}
