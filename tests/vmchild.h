/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmchild.h - a workload VM in a child process, driven epoch by epoch by the
 * test, for tests that track a VMM from outside as the tools do.
 *
 * The child creates the VM and sends its memory map. Then, for each epoch
 * the parent asks for, it runs the guest for the given time, stops the
 * vCPU, harvests KVM's dirty log into a shared bitmap (`truth`), and
 * replies. Between epochs the guest is stopped, so a tracker harvested then
 * covers exactly the same epoch.
 */
#ifndef PRECOPY_TESTS_VMCHILD_H
#define PRECOPY_TESTS_VMCHILD_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm/guest_map.h"
#include "util/bitops.h"
#include "workvm.h"

/* Why tests that run VMs and load BPF cannot run here, or NULL. */
static inline const char *vmchild_skip_reason(void)
{
	if (geteuid() != 0)
		return "needs root (BPF and /dev/kvm)";
	if (access("/dev/kvm", R_OK | W_OK))
		return "no usable /dev/kvm";
	return NULL;
}

struct vmchild {
	pid_t pid;
	int sock;
	uint64_t *truth;      /* shared: KVM's log of the last epoch */
	size_t truth_len;
	uint64_t pages;
	struct guest_map map;
	char err[256];
};

struct vmchild_reply {
	int ret;
	struct workvm_epoch ep;
	char error[200];
};

static void vmchild__serve(int sock, const struct workvm_config *cfg,
			   uint64_t *truth)
{
	struct vmchild_reply rep;
	struct workvm *vm;
	char err[256] = "";
	unsigned int ms;

	vm = workvm__create(cfg, err, sizeof(err));
	if (!vm) {
		struct guest_map none = { 0 };

		if (write(sock, &none, sizeof(none)) != sizeof(none) ||
		    write(sock, err, sizeof(err)) != sizeof(err))
			_exit(1);
		_exit(1);
	}
	if (write(sock, workvm__memmap(vm), sizeof(struct guest_map)) !=
	    sizeof(struct guest_map))
		_exit(1);
	while (read(sock, &ms, sizeof(ms)) == sizeof(ms) && ms) {
		memset(&rep, 0, sizeof(rep));
		rep.ret = workvm__run(vm, ms, truth, &rep.ep);
		snprintf(rep.error, sizeof(rep.error), "%s", workvm__error(vm));
		if (write(sock, &rep, sizeof(rep)) != sizeof(rep))
			break;
	}
	workvm__destroy(vm);
	_exit(0);
}

/* Start a VM child. Returns 0, or -1 with the reason in c->err. */
static int vmchild__start(struct vmchild *c, const struct workvm_config *cfg)
{
	int sv[2];

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->truth_len = ((cfg->mem_mib << 20) >> 12) / 8 + 8;
	c->truth = mmap(NULL, c->truth_len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->truth == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		snprintf(c->err, sizeof(c->err), "fork: %s", strerror(errno));
		return -1;
	}
	if (c->pid == 0) {
		close(sv[0]);
		vmchild__serve(sv[1], cfg, c->truth);
	}
	close(sv[1]);
	c->sock = sv[0];
	if (read(c->sock, &c->map, sizeof(c->map)) != sizeof(c->map)) {
		snprintf(c->err, sizeof(c->err), "VM child died at start");
		return -1;
	}
	if (!c->map.nslots) {
		if (read(c->sock, c->err, sizeof(c->err)) <= 0)
			snprintf(c->err, sizeof(c->err), "VM child failed");
		c->err[sizeof(c->err) - 1] = '\0';
		return -1;
	}
	c->pages = guest_map__pages(&c->map);
	return 0;
}

/* Ask for an epoch of `ms` without waiting for it. */
static int vmchild__begin(struct vmchild *c, unsigned int ms)
{
	return write(c->sock, &ms, sizeof(ms)) == sizeof(ms) ? 0 : -1;
}

/* Wait for the epoch begun last; its KVM log is then in c->truth. */
static int vmchild__end(struct vmchild *c, struct workvm_epoch *ep)
{
	struct vmchild_reply rep;

	if (read(c->sock, &rep, sizeof(rep)) != sizeof(rep)) {
		snprintf(c->err, sizeof(c->err), "VM child died");
		return -1;
	}
	if (ep)
		*ep = rep.ep;
	if (rep.ret) {
		snprintf(c->err, sizeof(c->err), "epoch failed (%d): %s",
			 rep.ret, rep.error);
		return -1;
	}
	return 0;
}

/* Run one epoch of `ms` and wait for it. */
static int vmchild__epoch(struct vmchild *c, unsigned int ms,
			  struct workvm_epoch *ep)
{
	if (vmchild__begin(c, ms))
		return -1;
	return vmchild__end(c, ep);
}

/* Stop the child (killing it if `kill_now`) and free everything. */
static void vmchild__stop(struct vmchild *c, bool kill_now)
{
	unsigned int zero = 0;

	if (c->pid > 0) {
		if (kill_now)
			kill(c->pid, SIGKILL);
		else if (write(c->sock, &zero, sizeof(zero)) != sizeof(zero))
			kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->sock > 0)
		close(c->sock);
	if (c->truth && c->truth != MAP_FAILED)
		munmap(c->truth, c->truth_len);
	memset(c, 0, sizeof(*c));
	c->pid = -1;
}

struct truth_cmp {
	uint64_t tp, fp, fn;
	double recall, precision;
};

/* Compare the tracker's bitmap with KVM's over `pages` bits. */
static struct truth_cmp truth_compare(const uint64_t *truth,
				      const uint64_t *seen, uint64_t pages)
{
	struct truth_cmp r = { 0 };
	uint64_t w, nw = (pages + 63) / 64;

	for (w = 0; w < nw; w++) {
		r.tp += pop64(truth[w] & seen[w]);
		r.fp += pop64(~truth[w] & seen[w]);
		r.fn += pop64(truth[w] & ~seen[w]);
	}
	r.recall = r.tp + r.fn ? (double)r.tp / (r.tp + r.fn) : 1.0;
	r.precision = r.tp + r.fp ? (double)r.tp / (r.tp + r.fp) : 1.0;
	return r;
}

#endif /* PRECOPY_TESTS_VMCHILD_H */
