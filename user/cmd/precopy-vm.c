// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-vm - run the project's workload VM on /dev/kvm and report KVM's
 * own dirty log per epoch: the ground truth the tracker is checked against.
 *
 * While it runs, it publishes its guest memory map to
 * /run/precopy/<pid>.memmap so precopy-trace can attach by pid.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/cli.h"
#include "live/recorder.h"
#include "workvm.h"
#include "guest_abi.h"

/* Version of the -j output (docs/precopy-vm.schema.json); bumped when a
 * key is renamed or removed, not when one is added. */
#define VM_JSON_VERSION 2

static struct env {
	struct workvm_config vm;
	unsigned int epoch_ms;
	long epochs;         /* 0: until a signal */
	const char *truth;   /* trace file of KVM's log, or NULL */
	bool json;
	bool quiet;
	char cmdline[1024];
} env = {
	.epoch_ms = 1000,
};


const char *argp_program_version = "precopy-vm 0.1";
static const char doc[] =
	"Run the workload VM and print KVM's own dirty log per epoch.\n"
	"\n"
	"USAGE: precopy-vm [OPTION...] PATTERN [KEY=VALUE...]\n"
	"\n"
	"PATTERN is one of hotcold, zipf, seqsweep, random, phases, idle;\n"
	"KEY=VALUE are the guest's parameters (see tools/guest/guest_abi.h),\n"
	"e.g. hot=128 hotpct=80, ws=4096 phase_writes=100000, delay=100.\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-vm hotcold                  # 256 MiB, ring mode, 1 s epochs\n"
	"  precopy-vm -l bitmap -n 5 seqsweep  # five epochs in bitmap mode\n"
	"  precopy-vm -t truth.trace.gz zipf   # record KVM's log as a trace\n";

static const struct argp_option opts[] = {
	{ "mem", 'm', "MIB", 0, "Guest memory in MiB, 4..3072 (default 256)", 0 },
	{ "log", 'l', "MODE", 0, "Dirty logging: ring (default) or bitmap", 0 },
	{ "ring-entries", 'r', "N", 0, "Dirty ring entries, power of two in 64..65536 (default: one per guest page, 4096..65536)", 0 },
	{ "epoch", 'E', "MS", 0, "Epoch length in ms (default 1000)", 0 },
	{ "epochs", 'n', "N", 0, "Stop after N epochs (default: until Ctrl-C)", 0 },
	{ "guest", 'g', "FILE", 0, "Guest image (default: ../libexec/precopy/guest.elf)", 0 },
	{ "truth", 't', "FILE", 0, "Record KVM's log as a trace (.gz: compressed)", 0 },
	{ "serial", 's', NULL, 0, "Show the guest's serial output", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per epoch", 0 },
	{ "quiet", 'q', NULL, 0, "Print nothing per epoch", 0 },
	{},
};

static long parse_long(const char *arg, long min, long max,
		       struct argp_state *state, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < min || v > max)
		cli_value_error(state, "invalid %s '%s' (expected %ld..%ld)",
				what, arg, min, max);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	size_t n;

	switch (key) {
	case 'm':
		env.vm.mem_mib = parse_long(arg, 4, 3072, state, "memory size");
		break;
	case 'l':
		if (!strcmp(arg, "ring"))
			env.vm.mode = WORKVM_LOG_RING;
		else if (!strcmp(arg, "bitmap"))
			env.vm.mode = WORKVM_LOG_BITMAP;
		else
			cli_value_error(state, "invalid log mode '%s' (ring or "
					"bitmap)", arg);
		break;
	case 'r':
		env.vm.ring_entries = parse_long(arg, 64, 65536, state,
						 "ring entries");
		break;
	case 'E':
		env.epoch_ms = parse_long(arg, 1, 3600000, state, "epoch");
		break;
	case 'n':
		env.epochs = parse_long(arg, 1, 1L << 40, state, "epoch count");
		break;
	case 'g':
		env.vm.guest_path = arg;
		break;
	case 't':
		env.truth = arg;
		break;
	case 's':
		env.vm.serial_echo = true;
		break;
	case 'j':
		env.json = true;
		break;
	case 'q':
		env.quiet = true;
		break;
	case ARGP_KEY_ARG:
		n = strlen(env.cmdline);
		if (state->arg_num == 0) {
			if (guest_pattern_id(arg, strlen(arg)) ==
			    GUEST_PAT_NONE)
				cli_value_error(state, "unknown pattern '%s' "
						"(%s)", arg, GUEST_PATTERN_LIST);
			snprintf(env.cmdline, sizeof(env.cmdline),
				 "pattern=%s", arg);
		} else if (!strchr(arg, '=')) {
			cli_value_error(state, "guest parameter '%s' is not "
					"KEY=VALUE", arg);
		} else if (n + strlen(arg) + 2 > sizeof(env.cmdline)) {
			cli_value_error(state, "guest parameters too long");
		} else {
			snprintf(env.cmdline + n, sizeof(env.cmdline) - n,
				 " %s", arg);
		}
		break;
	case ARGP_KEY_END:
		if (state->arg_num < 1)
			cli_usage_error(state, "PATTERN is required");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL,
					  NULL, NULL };
	struct recorder *rec = NULL;
	struct workvm *vm = NULL;
	struct workvm_epoch ep;
	bool lost_said = false;	/* the ring-overflow note, once */
	uint64_t *truth = NULL, pages, t_us = 0;
	char err[256];
	long e;
	int ret, status = 1;

	env.vm = workvm_config__default();
	cli_parse(&argp, argc, argv, 0, NULL);
	env.vm.cmdline = env.cmdline;

	cli_catch_stop_signals();
	vm = workvm__create(&env.vm, err, sizeof(err));
	if (!vm) {
		fprintf(stderr, "precopy-vm: %s\n", err);
		return 1;
	}
	pages = workvm__pages(vm);
	truth = calloc((pages + 63) / 64, 8);
	if (!truth) {
		fprintf(stderr, "precopy-vm: out of memory\n");
		goto cleanup;
	}
	if (env.truth) {
		rec = recorder__open(env.truth, pages, "kvm-dirty-log",
				     env.epoch_ms * 1000ull, env.cmdline, err,
				     sizeof(err));
		if (!rec) {
			fprintf(stderr, "precopy-vm: %s\n", err);
			goto cleanup;
		}
	}
	/* Publish only a VM whose guest accepted its parameters, so a tool
	 * that waits for the map learns of a bad pattern from our exit. */
	ret = workvm__start(vm, 10000);
	if (ret) {
		if (ret != -EINTR)
			fprintf(stderr, "precopy-vm: %s\n", workvm__error(vm));
		goto cleanup;
	}
	ret = guest_map__publish(getpid(), workvm__memmap(vm));
	if (ret) {
		fprintf(stderr, "precopy-vm: cannot publish the memory map in "
			MEMMAP_DIR ": %s\n", strerror(-ret));
		goto cleanup;
	}
	if (!env.quiet && !env.json)
		printf("precopy-vm: pid %d, %llu MiB, %s mode, guest \"%s\"\n",
		       (int)getpid(), (unsigned long long)env.vm.mem_mib,
		       env.vm.mode == WORKVM_LOG_RING ? "ring" : "bitmap",
		       env.cmdline);
	fflush(stdout);

	for (e = 0; !cli_exiting && (!env.epochs || e < env.epochs); e++) {
		ret = workvm__run(vm, env.epoch_ms, truth, &ep);
		if (ret == -EIO) {
			fprintf(stderr, "precopy-vm: %s\n", workvm__error(vm));
			goto cleanup;
		}
		if (rec && recorder__epoch(rec, t_us, truth)) {
			fprintf(stderr, "precopy-vm: %s\n",
				recorder__error(rec));
			goto cleanup;
		}
		t_us += (uint64_t)(ep.run_ms * 1e3);
		if (env.json)
			printf("{\"version\":%d,\"type\":\"epoch\","
			       "\"epoch\":%ld,\"t_end_s\":%.6f,\"epoch_ms\":%.1f,"
			       "\"dirty_pages\":%llu,"
			       "\"ring_entries\":%llu,\"ring_full\":%llu,"
			       "\"ring_resyncs\":%llu,\"ring_lost\":%llu,"
			       "\"guest_writes\":%llu}\n", VM_JSON_VERSION, e,
			       clock_now_s(), ep.run_ms,
			       (unsigned long long)ep.dirty_pages,
			       (unsigned long long)ep.ring_entries,
			       (unsigned long long)ep.ring_full,
			       (unsigned long long)ep.ring_resyncs,
			       (unsigned long long)ep.ring_lost,
			       (unsigned long long)ep.guest_writes);
		if (ep.ring_lost && !lost_said) {
			fprintf(stderr, "precopy-vm: epoch %ld: KVM pushed past "
				"the full dirty ring (a host KVM bug: README, "
				"\"Known host bugs\"): its log of that epoch is "
				"incomplete; going on\n", e);
			lost_said = true;
		}
		if (!env.json && !env.quiet)
			printf("epoch %ld: %llu dirty pages (%.0f pages/s), "
			       "%llu guest writes/s\n", e,
			       (unsigned long long)ep.dirty_pages,
			       ep.dirty_pages * 1e3 / ep.run_ms,
			       (unsigned long long)(ep.guest_writes * 1e3 /
						    ep.run_ms));
		fflush(stdout);
	}
	status = 0;
cleanup:
	if (status) {
		recorder__discard(rec);
	} else if (recorder__close(rec, t_us, err, sizeof(err))) {
		fprintf(stderr, "precopy-vm: %s\n", err);
		status = 1;
	}
	guest_map__unpublish(getpid());
	free(truth);
	workvm__destroy(vm);
	return status;
}
