// SPDX-License-Identifier: GPL-2.0
/* proc_spawn.c - starting and stopping the traced command (see
 * proc_spawn.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/errmsg.h"
#include "proc_proto.h"
#include "proc_spawn.h"
#include "util/paths.h"

/* Resolve name as execvp would: a name with a '/' as it is, else the first
 * executable of $PATH. 0, -ENOENT, or the errno of access(). */
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

/* The preload library: $PRECOPY_PRELOAD, else the helper beside the
 * running program (BIN/../libexec/precopy/, util/paths.h). */
static int default_preload(char *out, size_t outlen)
{
	const char *env = getenv("PRECOPY_PRELOAD");

	if (env) {
		snprintf(out, outlen, "%s", env);
		return 0;
	}
	return paths__helper("libprecopy-preload.so", out, outlen);
}

int proc_spawn__prepare(struct proc_spawn *c, const struct proc_spawn_opts *o,
			char *err, size_t errlen)
{
	struct passwd *pw;
	int ret;

	memset(c, 0, sizeof(*c));
	c->pidfd = -1;
	if (!o || !o->argv || !o->argv[0]) {
		errmsg_set(err, errlen, "no command to trace");
		return -EINVAL;
	}
	c->o = *o;
	ret = find_program(o->argv[0], c->prog, sizeof(c->prog));
	if (ret) {
		errmsg_set(err, errlen, "cannot run %s: %s", o->argv[0],
			   strerror(-ret));
		return ret;
	}
	ret = is_dynamic(c->prog);
	if (ret < 0) {
		errmsg_set(err, errlen, "cannot read %s: %s", c->prog,
			   strerror(-ret));
		return ret;
	}
	if (!ret) {
		errmsg_set(err, errlen, "%s is statically linked: the preload "
			   "library cannot be loaded into it, so it cannot be "
			   "traced", c->prog);
		return -EINVAL;
	}
	if (o->preload) {
		snprintf(c->preload, sizeof(c->preload), "%s", o->preload);
	} else if (default_preload(c->preload, sizeof(c->preload))) {
		errmsg_set(err, errlen, "cannot find libprecopy-preload.so (set "
			   "PRECOPY_PRELOAD or --preload)");
		return -ENOENT;
	}
	if (access(c->preload, R_OK)) {
		ret = -errno;
		errmsg_set(err, errlen, "preload library %s: %s", c->preload,
			   strerror(-ret));
		return ret;
	}
	if (o->user) {
		pw = getpwnam(o->user);
		if (!pw) {
			errmsg_set(err, errlen, "unknown user %s", o->user);
			return -ENOENT;
		}
		c->as_user = true;
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	return 0;
}

/* In the child: set up and exec, or report errno on errfd and exit. */
static void child_exec(const struct proc_spawn *c, const char *sock,
		       int errfd)
{
	const char *old = getenv("LD_PRELOAD");
	char *ld;
	int e;

	if (c->o.stdin_fd >= 0)
		dup2(c->o.stdin_fd, 0);
	if (c->o.stdout_fd >= 0)
		dup2(c->o.stdout_fd, 1);
	if (c->o.stderr_fd >= 0)
		dup2(c->o.stderr_fd, 2);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (c->as_user && (initgroups(c->o.user, c->gid) || setgid(c->gid) ||
			   setuid(c->uid)))
		goto fail;
	if (asprintf(&ld, "%s%s%s", c->preload, old && *old ? ":" : "",
		     old ? old : "") < 0)
		goto fail;
	setenv("LD_PRELOAD", ld, 1);
	setenv(PROC_PROTO_ENV_SOCK, sock, 1);
	execv(c->prog, c->o.argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int proc_spawn__run(struct proc_spawn *c, const char *sock, char *err,
		    size_t errlen)
{
	int pipefd[2], e, ret;
	ssize_t n;

	/* The child's exec closes the pipe; a failure writes its errno. */
	if (pipe2(pipefd, O_CLOEXEC)) {
		ret = -errno;
		errmsg_set(err, errlen, "pipe: %s", strerror(-ret));
		return ret;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		ret = -errno;
		c->pid = 0;
		errmsg_set(err, errlen, "fork: %s", strerror(-ret));
		close(pipefd[0]);
		close(pipefd[1]);
		return ret;
	}
	if (!c->pid) {
		close(pipefd[0]);
		child_exec(c, sock, pipefd[1]);
	}
	close(pipefd[1]);
	n = read(pipefd[0], &e, sizeof(e));
	close(pipefd[0]);
	if (n == sizeof(e)) {
		errmsg_set(err, errlen, "cannot run %s: %s", c->prog,
			   strerror(e));
		waitpid(c->pid, &c->status, 0);
		c->pid = 0;
		return -e;
	}
	c->pidfd = syscall(SYS_pidfd_open, c->pid, 0);
	return 0;
}

bool proc_spawn__reap(struct proc_spawn *c)
{
	int status;

	if (c->pid <= 0 || c->exited)
		return c->exited;
	if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
		c->exited = true;
		c->status = status;
	}
	return c->exited;
}

int proc_spawn__stop(struct proc_spawn *c, int sig, unsigned int timeout_ms)
{
	double deadline = clock_now_s() + timeout_ms / 1e3;

	if (c->pid <= 0)
		return -ECHILD;
	if (proc_spawn__reap(c))
		return 0;
	kill(c->pid, sig);
	while (!proc_spawn__reap(c) && clock_now_s() < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (!c->exited) {
		kill(c->pid, SIGKILL);
		if (waitpid(c->pid, &c->status, 0) == c->pid)
			c->exited = true;
	}
	return 0;
}

void proc_spawn__forget(struct proc_spawn *c)
{
	c->pid = 0;
}

bool proc_spawn__descends(const struct proc_spawn *c, pid_t pid, bool follow)
{
	int depth;

	for (depth = 0; depth < 64 && pid > 1; depth++) {
		char path[64], buf[512], *p;
		ssize_t n;
		int fd;

		if (pid == c->pid)
			return true;
		if (!follow)
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

void proc_spawn__close(struct proc_spawn *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}
