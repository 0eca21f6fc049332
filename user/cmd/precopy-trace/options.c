// SPDX-License-Identifier: GPL-2.0
/* options.c - precopy-trace's command line (see options.h). */
#include <argp.h>
#include <string.h>

#include "util/cli.h"
#include "guest_abi.h"
#include "kvm/tracker.h"
#include "live/profile.h"
#include "options.h"

const char *argp_program_version = "precopy-trace 0.1";
static const char doc[] =
	"Profile how a running VM dirties its memory, with the eBPF tracker.\n"
	"\n"
	"USAGE: precopy-trace [OPTION...] [INTERVAL [COUNT]]\n"
	"       precopy-trace [OPTION...] [INTERVAL [COUNT]] -- CMD [ARG...]\n"
	"\n"
	"Without -p, starts the built-in workload VM (pattern hotcold) and\n"
	"traces it. INTERVAL is in seconds (default 1); COUNT intervals, or\n"
	"until Ctrl-C.\n"
	"\n"
	"With -- CMD, runs CMD (and traces its descendants) with its writable\n"
	"memory write-protected by userfaultfd, re-armed every epoch, and the\n"
	"page-fault tracker watching its write faults; until CMD exits or\n"
	"COUNT intervals (then CMD gets SIGTERM unless --keep).\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-trace                      # built-in workload VM, 1 s lines\n"
	"  precopy-trace -w 'zipf scatter=1' 1 10\n"
	"  precopy-trace -p 1234              # a running precopy-vm or QEMU\n"
	"  precopy-trace --domain vm1         # a libvirt domain's QEMU\n"
	"  precopy-trace -p 1234 -b 1000 -d 50   # forecast at 1000 MiB/s, 50 ms\n"
	"  precopy-trace -j --record vm.trace.gz 1 60\n"
	"  precopy-trace --record redis.trace.gz -- redis-server --port 7777\n"
	"  precopy-trace -o report.txt 1 30 -- python3 job.py\n";

enum {
	OPT_VM_OPTS = 256,
	OPT_QMP,
	OPT_HEATMAP,
	OPT_PROMETHEUS,
	OPT_USER,
	OPT_PRELOAD,
	OPT_KEEP,
	OPT_NO_FOLLOW,
	OPT_TOP,
	OPT_DOMAIN,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this VMM process (precopy-vm or QEMU)", 0 },
	{ "workload", 'w', "SPEC", 0, "Start the workload VM with this pattern "
	  "and parameters (default \"hotcold\")", 0 },
	{ "vm-opts", OPT_VM_OPTS, "OPTS", 0, "Options for the started "
	  "workload VM, e.g. \"-m 512 -l ring\"", 0 },
	{ "qmp", OPT_QMP, "PATH", 0, "QMP socket of the QEMU process (default: "
	  "from its command line)", 0 },
	{ "domain", OPT_DOMAIN, "NAME", 0, "Trace the QEMU of this libvirt "
	  "domain (QMP through libvirt's monitor passthrough, virsh "
	  "qemu-monitor-command; $LIBVIRT_DEFAULT_URI picks the connection)",
	  0 },
	{ "hooks", 'H', "LIST", 0, "Hooks: auto (default) or a list of "
	  "ring_push,page_fault,fast_pf,fentry,kprobe", 0 },
	{ "epoch", 'E', "MS", 0, "Harvest every MS milliseconds (default 100)", 0 },
	{ "bandwidth", 'b', "MIBPS", 0, "Forecast link bandwidth in MiB/s "
	  "(default 128, QEMU's)", 0 },
	{ "downtime-limit", 'd', "MS", 0, "Forecast downtime limit in ms "
	  "(default 300, QEMU's)", 0 },
	{ "top", OPT_TOP, "N", 0, "Hottest 2 MiB regions to show (default 5)", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per interval "
	  "(docs/precopy-trace.schema.json)", 0 },
	{ "record", 't', "FILE", 0, "Record a dirty trace (.gz: "
	  "compressed text, .pctrace: native)", 0 },
	{ "heatmap", OPT_HEATMAP, "FILE.svg", 0, "Write an SVG heatmap of "
	  "guest-physical region x time at exit", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0, "Serve /metrics for "
	  "Prometheus, e.g. 127.0.0.1:9464", 0 },
	{ "verbose", 'v', NULL, 0, "More detail on stderr (libbpf's log)",
	  0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE (process mode: "
	  "keeps it apart from CMD's output)", 0 },
	{ "user", OPT_USER, "NAME", 0, "Process mode: run CMD as this user", 0 },
	{ "preload", OPT_PRELOAD, "PATH", 0, "Process mode: the preload "
	  "library (default: ../libexec/precopy/libprecopy-preload.so)", 0 },
	{ "keep", OPT_KEEP, NULL, 0, "Process mode: when tracing stops first, "
	  "leave CMD running (untraced)", 0 },
	{ "no-follow", OPT_NO_FOLLOW, NULL, 0, "Process mode: trace CMD only, "
	  "not its fork and exec descendants", 0 },
	{},
};

/* The options being parsed (argp's parser has no other way in). */
static struct trace_options *parsing;

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct trace_options *o = parsing;
	char err[160];

	switch (key) {
	case 'p':
		o->pid = cli_parse_pid(arg, state);
		break;
	case 'w':
		/* Refuse a pattern the guest does not know before a VM
		 * boots; the guest checks its parameters itself. */
		if (guest_pattern_id(arg, strcspn(arg, " \t")) ==
		    GUEST_PAT_NONE)
			cli_value_error(state, "unknown pattern '%.*s' (%s)",
					(int)strcspn(arg, " \t"), arg,
					GUEST_PATTERN_LIST);
		o->workload = arg;
		break;
	case OPT_VM_OPTS:
		o->vm_opts = arg;
		break;
	case OPT_DOMAIN:
		if (!*arg)
			cli_value_error(state, "empty domain name");
		o->domain = arg;
		break;
	case OPT_QMP:
		o->qmp = arg;
		break;
	case 'H':
		if (tracker_hooks__parse(arg, &o->hooks, err, sizeof(err)))
			cli_value_error(state, "%s", err);
		break;
	case 'E':
		o->epoch_ms = cli_parse_epoch_ms(arg, state);
		break;
	case 'b':
		o->bandwidth_mib = cli_parse_bandwidth_mib(arg, state);
		break;
	case 'd':
		o->downtime_ms = cli_parse_downtime_ms(arg, state);
		break;
	case OPT_TOP:
		o->top = (unsigned int)cli_parse_num(arg, 0, PROFILE_MAX_TOP,
						  state, "top count");
		break;
	case 'j':
		o->json = true;
		break;
	case 't':
		o->record = arg;
		break;
	case OPT_HEATMAP:
		o->heatmap = arg;
		break;
	case OPT_PROMETHEUS:
		o->prometheus = arg;
		break;
	case 'v':
		o->verbose = true;
		break;
	case 'o':
		o->output = arg;
		break;
	case OPT_USER:
		o->user = arg;
		break;
	case OPT_PRELOAD:
		o->preload = arg;
		break;
	case OPT_KEEP:
		o->keep = true;
		break;
	case OPT_NO_FOLLOW:
		o->no_follow = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0)
			o->interval_s = cli_parse_num(arg, 0.01, 3600, state,
						   "interval");
		else if (state->arg_num == 1)
			o->count = (long)cli_parse_num(arg, 1, 1e12, state,
						    "count");
		else
			cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (o->pid && o->workload)
			cli_usage_error(state, "-p and -w exclude each other");
		if (o->domain && (o->pid || o->workload || o->qmp))
			cli_usage_error(state, "--domain excludes -p, -w and "
					"--qmp");
		if (o->interval_s * 1000 < o->epoch_ms)
			o->epoch_ms = (unsigned int)(o->interval_s * 1000);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Process mode: everything after "--" is the command; argv is cut there. */
static char **split_command(int *argc, char **argv)
{
	int i;

	for (i = 1; i < *argc; i++)
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			*argc = i;
			return argv + i + 1;
		}
	return NULL;
}

/* What only a VM, or only a command, can use is refused in the other
 * mode; output files are checked before anything starts. */
static void check_mode(const struct trace_options *o)
{
	if (o->cmd) {
		if (!o->cmd[0])
			cli_usage_error(NULL, "no command after --");
		if (o->pid || o->workload || o->domain)
			cli_usage_error(NULL, "-p/-w/--domain and -- CMD "
					"exclude each other");
		if (o->qmp || o->heatmap || o->prometheus || o->hooks ||
		    o->vm_opts)
			cli_usage_error(NULL, "--qmp, --heatmap, --prometheus, "
					"--hooks and --vm-opts apply to VM "
					"tracing, not to -- CMD");
		if (o->output)
			cli_check_output(o->output, "-o");
	} else {
		if (o->output || o->user || o->keep || o->no_follow ||
		    o->preload)
			cli_usage_error(NULL, "-o, --user, --keep, --no-follow "
					"and --preload apply to process "
					"tracing (-- CMD), not to a VM");
		/* The started workload VM is precopy-vm, not QEMU; a
		 * running VMM is not started, so has no options to take. */
		if (o->qmp && !o->pid)
			cli_usage_error(NULL, "--qmp applies to a QEMU given "
					"with -p, not to the started workload "
					"VM");
		if (o->vm_opts && (o->pid || o->domain))
			cli_usage_error(NULL, "--vm-opts applies to the "
					"started workload VM, not to -p or "
					"--domain");
		if (o->heatmap)
			cli_check_output(o->heatmap, "--heatmap");
	}
	if (o->record)
		cli_check_output(o->record, "--record");
}

void trace_options__parse(struct trace_options *o, int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL,
					  NULL, NULL };

	*o = (struct trace_options){
		.epoch_ms = 100,
		.interval_s = 1.0,
		.bandwidth_mib = 128,
		.downtime_ms = 300,
		.top = 5,
	};
	o->cmd = split_command(&argc, argv);
	parsing = o;
	cli_parse(&argp, argc, argv, 0, NULL);
	parsing = NULL;
	check_mode(o);
}
