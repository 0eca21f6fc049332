// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-plan - the planner daemon of a patched QEMU's pre-copy
 * migration: serves the shared-memory plan ring (plan_ring.h), learns how
 * the guest dirties its memory (the eBPF tracker under KVM, or the sync
 * bitmaps QEMU publishes), and at each of QEMU's bitmap syncs publishes a
 * plan for the iteration that begins: which pages to send first, in what
 * order, and which to keep for later.
 *
 * One loop, polling every 2 ms: beat the heartbeat; pop QEMU's events
 * (START: read the layout, size a new model and planner, attach the
 * tracker; SYNC: report the ended iteration to the planner, read the sync
 * bitmaps, plan, publish; COMPLETE: detach and wait for the next
 * migration); every epoch, harvest the tracker into the model.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "memmap.h"
#include "model.h"
#include "plan_serve.h"
#include "planner.h"
#include "tracker.h"

enum source { SRC_AUTO, SRC_TRACKER, SRC_SYNC };

static struct env {
	const char *ring;
	pid_t pid;
	double bandwidth_mib;
	double downtime_ms;
	unsigned int epoch_ms;
	enum source source;
	uint64_t max_ram;
	bool once;
	bool json;
	bool verbose;
} env = {
	.ring = PLAN_SERVE_PATH,
	.bandwidth_mib = 128,
	.downtime_ms = 300,
	.epoch_ms = 100,
	.max_ram = 64ULL << 30,
};

static volatile sig_atomic_t exiting;

const char *argp_program_version = "precopy-plan 0.1";
static const char doc[] =
	"Plan a patched QEMU's pre-copy live migration through the shared-memory\n"
	"plan ring.\n"
	"\n"
	"USAGE: precopy-plan [OPTION...]\n"
	"\n"
	"Creates (or reuses) the ring file, then serves every migration QEMU\n"
	"runs through it: at each bitmap sync it publishes the send order and\n"
	"the pages to defer for the iteration that begins. Runs until SIGINT or\n"
	"SIGTERM (or one migration with --once); QEMU exiting does not stop it.\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-plan                         # /dev/shm/precopy-plan\n"
	"  precopy-plan -j --once               # JSON lines, one migration\n"
	"  precopy-plan --source sync -b 1000 -d 50\n";

enum {
	OPT_RING = 256,
	OPT_SOURCE,
	OPT_MAX_RAM,
	OPT_ONCE,
};

static const struct argp_option opts[] = {
	{ "ring", OPT_RING, "PATH", 0, "The plan ring file (default "
	  PLAN_SERVE_PATH ")", 0 },
	{ "pid", 'p', "PID", 0, "The QEMU process (default: the one that "
	  "attaches to the ring)", 0 },
	{ "bandwidth", 'b', "MIBPS", 0, "First guess of the link bandwidth in "
	  "MiB/s (default 128)", 0 },
	{ "downtime-limit", 'd', "MS", 0, "Downtime limit in ms (default 300)",
	  0 },
	{ "epoch", 'E', "MS", 0, "Harvest the tracker every MS milliseconds "
	  "(default 100)", 0 },
	{ "source", OPT_SOURCE, "SRC", 0, "Where writes are learned: auto "
	  "(default: the tracker under KVM when it attaches, else sync), "
	  "tracker, or sync (QEMU's sync bitmaps)", 0 },
	{ "max-ram", OPT_MAX_RAM, "SIZE", 0, "Largest guest the ring holds, "
	  "e.g. 64G (default)", 0 },
	{ "once", OPT_ONCE, NULL, 0, "Exit after one migration completes", 0 },
	{ "json", 'j', NULL, 0, "JSON lines: one per event and per plan", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{},
};

/* SIZE: bytes with an optional K, M, G or T suffix (powers of 1024). */
static uint64_t parse_size(const char *arg, struct argp_state *state)
{
	char *end;
	double v;
	int shift = 0;

	errno = 0;
	v = strtod(arg, &end);
	if (end != arg && *end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: shift = -1;
		}
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	v *= (double)(1ULL << (shift < 0 ? 0 : shift));
	if (errno || end == arg || *end || shift < 0 || !(v >= 1 << 20) ||
	    v > (double)PLAN_RING_MAX_PAGES * 4096)
		cli_usage_error(state, "invalid size '%s' (expected e.g. 512M, "
				"64G; 1M..4P)", arg);
	return (uint64_t)v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_RING:
		if (!*arg)
			cli_usage_error(state, "empty ring path");
		env.ring = arg;
		break;
	case 'p':
		env.pid = (pid_t)cli_parse_num(arg, 1, 4194304, state, "pid");
		if (strchr(arg, '.'))
			cli_usage_error(state, "invalid pid '%s'", arg);
		break;
	case 'b':
		env.bandwidth_mib = cli_parse_num(arg, 0.001, 1e7, state,
					      "bandwidth");
		break;
	case 'd':
		env.downtime_ms = cli_parse_num(arg, 1, 3.6e6, state,
					    "downtime limit");
		break;
	case 'E':
		env.epoch_ms = (unsigned int)cli_parse_num(arg, 10, 60000, state,
						       "epoch");
		break;
	case OPT_SOURCE:
		if (!strcmp(arg, "auto"))
			env.source = SRC_AUTO;
		else if (!strcmp(arg, "tracker"))
			env.source = SRC_TRACKER;
		else if (!strcmp(arg, "sync"))
			env.source = SRC_SYNC;
		else
			cli_usage_error(state, "invalid source '%s' (expected "
					"auto, tracker or sync)", arg);
		break;
	case OPT_MAX_RAM:
		env.max_ram = parse_size(arg, state);
		break;
	case OPT_ONCE:
		env.once = true;
		break;
	case 'j':
		env.json = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* ---------------------------------------------------------------------------
 * One migration (a generation of the ring)
 */

struct mig {
	bool active;
	uint64_t generation;
	uint64_t ram_pages;
	uint32_t page_size;
	uint32_t accel;
	pid_t pid;
	struct plan_ring_layout *layout; /* copy: s.layout is reread */
	struct model *model;
	struct planner *planner;
	struct plan *plan;
	uint64_t words;
	uint64_t *dirty, *fresh, *epoch, *prev_held;
	bool have_prev;		/* prev_held: the last plan's risky pages */
	int vm;			/* tracker handle, -1: learning from syncs */
	uint64_t last_epoch_ns;
	uint64_t iteration;	/* QEMU's current iteration; 0: none */
	uint64_t remaining;	/* dirty pages at its sync */
	uint64_t plans, dropped;
};

static struct tracker *tr;
static bool tracker_failed;	/* auto: tried once, not available */

static const char *source_name(const struct mig *m)
{
	return m->vm >= 0 ? "tracker" : "sync";
}

static void mig_end(struct mig *m)
{
	if (tr && m->vm >= 0)
		tracker__remove_vm(tr, m->vm);
	plan__free(m->plan);
	planner__free(m->planner);
	model__free(m->model);
	free(m->dirty);
	free(m->fresh);
	free(m->epoch);
	free(m->prev_held);
	free(m->layout);
	memset(m, 0, sizeof(*m));
	m->vm = -1;
}

/* Print a string as a JSON string. */
static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *event_name(uint32_t type)
{
	switch (type) {
	case PLAN_EV_START: return "start";
	case PLAN_EV_SYNC: return "sync";
	case PLAN_EV_COMPLETE: return "complete";
	}
	return "unknown";
}

static void log_event(const struct plan_ring_event *ev, const char *note)
{
	if (env.json) {
		printf("{\"type\":\"event\",\"event\":\"%s\",\"generation\":%"
		       PRIu64 ",\"iteration\":%" PRIu64 ",\"flags\":%u,"
		       "\"pages_sent\":%" PRIu64 ",\"iter_ms\":%.3f,"
		       "\"remaining\":%" PRIu64 ",\"bandwidth\":%" PRIu64
		       ",\"plan_id\":%" PRIu64 ",\"fallbacks\":%" PRIu64
		       ",\"note\":", event_name(ev->type), ev->generation,
		       ev->iteration, ev->flags, ev->pages_sent,
		       ev->iter_ns / 1e6, ev->remaining, ev->bandwidth,
		       ev->plan_id, ev->fallbacks);
		json_str(note);
		printf("}\n");
	} else {
		printf("gen %" PRIu64 " it %" PRIu64 ": %s%s%s\n",
		       ev->generation, ev->iteration, event_name(ev->type),
		       note && *note ? ": " : "", note ? note : "");
	}
	fflush(stdout);
}

/* A one-line note, JSON or text. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (env.json) {
		printf("{\"type\":\"note\",\"note\":");
		json_str(buf);
		printf("}\n");
	} else {
		printf("precopy-plan: %s\n", buf);
	}
	fflush(stdout);
}

static void log_plan(const struct mig *m, uint64_t iteration,
		     const struct plan *p, const struct plan_serve_pub *pub,
		     int published, uint64_t remaining)
{
	const char *action = p->action == PLAN_STOP ? "stop" : "send";
	double mib = p->bandwidth / (1 << 20);

	if (env.json) {
		printf("{\"type\":\"plan\",\"generation\":%" PRIu64
		       ",\"iteration\":%" PRIu64 ",\"id\":%" PRIu64
		       ",\"published\":%s,\"action\":\"%s\",\"window\":%" PRIu64
		       ",\"nr_send\":%" PRIu64 ",\"deferred\":%" PRIu64
		       ",\"send_ranges\":%" PRIu64 ",\"deferred_ranges\":%"
		       PRIu64 ",\"cut_send\":%" PRIu64 ",\"cut_deferred\":%"
		       PRIu64 ",\"budget\":%" PRIu64 ",\"dirty\":%" PRIu64
		       ",\"remaining\":%" PRIu64 ",\"bandwidth\":%.0f"
		       ",\"converging\":%s,\"source\":\"%s\",\"reason\":",
		       m->generation, iteration, pub->id,
		       published == 0 ? "true" : "false", action, p->window,
		       p->nr_send, p->nr_deferred, pub->nr_send,
		       pub->nr_deferred, pub->cut_send, pub->cut_deferred,
		       p->budget, p->dirty, remaining, p->bandwidth,
		       p->converging ? "true" : "false", source_name(m));
		json_str(p->reason);
		printf("}\n");
	} else {
		printf("gen %" PRIu64 " it %" PRIu64 ": plan %" PRIu64 " %s "
		       "window %" PRIu64 " send %" PRIu64 " (%" PRIu64
		       " ranges) deferred %" PRIu64 " budget %" PRIu64
		       " dirty %" PRIu64 " at %.1f MiB/s%s: %s\n",
		       m->generation, iteration, pub->id, action, p->window,
		       p->nr_send, pub->nr_send, p->nr_deferred, p->budget,
		       p->dirty, mib, published == 0 ? "" :
		       " (DROPPED: plan ring full)", p->reason ? p->reason : "");
	}
	fflush(stdout);
}

/* The tracker's memory map from the layout: entries QEMU maps into KVM. */
static int layout_memmap(const struct plan_ring_layout *l, uint32_t page_size,
			 struct memmap *map)
{
	uint32_t i;

	memset(map, 0, sizeof(*map));
	for (i = 0; i < l->nr; i++) {
		const struct plan_ring_block *b = &l->blocks[i];

		if (b->gpa == PLAN_RING_NO_GPA || b->kvm_slot < 0 || !b->pages)
			continue;
		if (memmap__add(map, (uint32_t)b->kvm_slot, b->gpa,
				b->pages * page_size / 4096, 0, b->name))
			continue;	/* a duplicate slot or a full map */
	}
	return map->nslots ? 0 : -ENOENT;
}

/* Attach the tracker to the migrating QEMU, if the source allows. */
static void attach_tracker(struct mig *m)
{
	struct tracker_opts o = tracker_opts__default();
	struct memmap map;
	char err[256];
	int vm;

	if (env.source == SRC_SYNC)
		return;
	if (env.source == SRC_AUTO && m->accel != PLAN_ACCEL_KVM) {
		note("QEMU runs without KVM: learning from its sync bitmaps");
		return;
	}
	if (m->page_size != 4096 || !m->pid) {
		note("cannot track this QEMU (page size %u, pid %d): learning "
		     "from its sync bitmaps", m->page_size, (int)m->pid);
		return;
	}
	if (!tr && !tracker_failed) {
		o.verbose = env.verbose;
		tr = tracker__open(&o, err, sizeof(err));
		if (!tr) {
			tracker_failed = true;
			note("no tracker (%s): learning from QEMU's sync "
			     "bitmaps", err);
			return;
		}
	}
	if (!tr)
		return;
	if (layout_memmap(m->layout, m->page_size, &map)) {
		note("QEMU's layout names no KVM slot: learning from its sync "
		     "bitmaps");
		return;
	}
	vm = tracker__add_vm(tr, m->pid, &map);
	if (vm < 0) {
		note("cannot track QEMU %d: %s: learning from its sync bitmaps",
		     (int)m->pid, strerror(-vm));
		return;
	}
	m->vm = vm;
	tracker__harvest(tr);	/* the first epoch starts now */
	m->last_epoch_ns = plan_ring_now_ns();
	note("tracking QEMU %d with %s", (int)m->pid, tracker__describe(tr));
}

/* Set up migration `generation` from the layout QEMU published. Returns 0,
 * or -1 (logged) when there is no usable layout for it. */
static int mig_start(struct plan_serve *s, struct mig *m, uint64_t generation)
{
	struct model_params mp;
	struct planner_params pp;
	size_t lsize;
	double epoch_s = env.epoch_ms / 1e3;
	int ret, tries;

	mig_end(m);
	for (tries = 0; tries < 50; tries++) {
		ret = plan_serve__read_layout(s);
		if (ret != -EAGAIN)
			break;
	}
	if (ret) {
		note("generation %" PRIu64 ": no usable layout (%s)", generation,
		     ret == -EINVAL ? "larger than the ring or inconsistent; "
		     "raise --max-ram" : strerror(-ret));
		return -1;
	}
	if (s->layout->generation != generation) {
		note("generation %" PRIu64 ": the layout is of generation %"
		     PRIu64, generation, s->layout->generation);
		return -1;
	}
	m->generation = generation;
	m->ram_pages = s->layout->ram_pages;
	m->page_size = s->hdr->page_size;
	m->accel = s->layout->accel;
	m->pid = env.pid ? env.pid :
		 (pid_t)atomic_load(&s->hdr->qemu_pid);
	m->words = plan_ring_words(m->ram_pages);
	lsize = sizeof(*s->layout) +
		(size_t)s->layout->nr * sizeof(s->layout->blocks[0]);
	m->layout = malloc(lsize);
	model_params__default(&mp, m->ram_pages, m->page_size, epoch_s);
	m->model = model__new(&mp);
	planner_params__default(&pp, m->ram_pages, m->page_size,
				env.downtime_ms / 1e3, epoch_s,
				env.bandwidth_mib * (1 << 20));
	m->planner = m->model ? planner__new(&pp, m->model) : NULL;
	m->plan = plan__new(m->ram_pages);
	m->dirty = calloc(m->words, 8);
	m->fresh = calloc(m->words, 8);
	m->epoch = calloc(m->words, 8);
	m->prev_held = calloc(m->words, 8);
	if (!m->layout || !m->model || !m->planner || !m->plan || !m->dirty ||
	    !m->fresh || !m->epoch || !m->prev_held) {
		note("generation %" PRIu64 ": out of memory for %" PRIu64
		     " pages", generation, m->ram_pages);
		mig_end(m);
		return -1;
	}
	memcpy(m->layout, s->layout, lsize);
	m->active = true;
	attach_tracker(m);
	note("generation %" PRIu64 ": %" PRIu64 " MiB of RAM in %u blocks, "
	     "%s, learning from %s", generation,
	     m->ram_pages * m->page_size >> 20, m->layout->nr,
	     m->accel == PLAN_ACCEL_KVM ? "KVM" :
	     m->accel == PLAN_ACCEL_TCG ? "TCG" : "accel unknown",
	     source_name(m));
	return 0;
}

/* One tracker epoch into the model. */
static void harvest(struct mig *m)
{
	uint64_t now = plan_ring_now_ns(), np = 0;
	const uint64_t *bm;
	struct model_epoch ep = { .dirty = m->epoch };

	tracker__harvest(tr);
	bm = tracker__vm_bitmap(tr, m->vm, &np);
	memset(m->epoch, 0, m->words * 8);
	if (bm)
		plan_serve__gfn_bitmap_to_ram(m->layout, m->page_size, bm, np,
					      m->epoch, m->ram_pages);
	ep.length_s = (now - m->last_epoch_ns) / 1e9;
	m->last_epoch_ns = now;
	model__update(m->model, &ep);
}

/* Plan QEMU's current iteration over the dirty bitmap of its sync and
 * publish the plan (again: the tracker refreshes the model every epoch,
 * and QEMU adopts a newer plan for the same iteration). */
static void plan_and_publish(struct plan_serve *s, struct mig *m)
{
	struct plan_serve_pub pub;
	int ret;

	ret = planner__plan(m->planner, m->dirty, m->plan);
	if (ret) {
		note("iteration %" PRIu64 ": planning failed: %s", m->iteration,
		     strerror(-ret));
		return;
	}
	ret = plan_serve__publish(s, m->plan, m->generation, m->iteration,
				  m->ram_pages, &pub);
	if (ret < 0) {
		note("iteration %" PRIu64 ": cannot publish: %s", m->iteration,
		     strerror(-ret));
		return;
	}
	memcpy(m->prev_held, m->plan->risky, m->words * 8);
	m->have_prev = true;
	if (ret == 0)
		m->plans++;
	else
		m->dropped++;
	log_plan(m, m->iteration, m->plan, &pub, ret, m->remaining);
}

static void on_sync(struct plan_serve *s, struct mig *m,
		    const struct plan_ring_event *ev)
{
	struct plan_serve_sync si;
	uint64_t w;
	int ret, tries;

	if (ev->iter_ns && (ev->pages_sent || ev->bandwidth)) {
		struct planner_feedback fb = {
			.duration_s = ev->iter_ns / 1e9,
			.pages_sent = ev->pages_sent,
			.bandwidth = (double)ev->bandwidth,
			.remaining = ev->remaining,
		};

		planner__feedback(m->planner, &fb);
	}
	for (tries = 0; tries < 50; tries++) {
		ret = plan_serve__read_sync(s, m->dirty, m->fresh, m->words, &si);
		if (ret != -EAGAIN)
			break;
	}
	if (ret) {
		note("iteration %" PRIu64 ": cannot read the sync bitmaps: %s",
		     ev->iteration, strerror(-ret));
		return;
	}
	if (si.generation != ev->generation || si.iteration != ev->iteration ||
	    si.pages != m->ram_pages) {
		note("iteration %" PRIu64 ": the sync bitmaps are of iteration %"
		     PRIu64 " already: not planning it", ev->iteration,
		     si.iteration);
		return;
	}
	if (m->vm < 0) {
		/* Learn from the sync: what it found written (fresh), and the
		 * pages the last plan held back for their risk, whose writes
		 * no sync can see (they were still dirty): those with a write
		 * history count as written again. */
		struct model_epoch ep = {
			.dirty = m->epoch,
			.length_s = ev->iter_ns / 1e9,
		};

		for (w = 0; w < m->words; w++) {
			uint64_t x = m->have_prev ? m->dirty[w] &
				     m->prev_held[w] : 0;

			m->epoch[w] = m->fresh[w];
			for (; x; x &= x - 1) {
				unsigned int b = __builtin_ctzll(x);

				if (model__hist(m->model, w * 64 + b))
					m->epoch[w] |= 1ULL << b;
			}
		}
		model__update(m->model, &ep);
	}
	m->iteration = ev->iteration;
	m->remaining = ev->remaining;
	plan_and_publish(s, m);
}

/* Returns true when a migration completed. */
static bool on_event(struct plan_serve *s, struct mig *m,
		     const struct plan_ring_event *ev)
{
	char buf[160];

	switch (ev->type) {
	case PLAN_EV_START:
		log_event(ev, NULL);
		mig_start(s, m, ev->generation);
		return false;
	case PLAN_EV_SYNC:
		if (!m->active || m->generation != ev->generation) {
			/* joined mid-migration (a restarted planner) */
			if (mig_start(s, m, ev->generation)) {
				log_event(ev, "not planned: no migration "
					  "started for it");
				return false;
			}
		}
		log_event(ev, NULL);
		on_sync(s, m, ev);
		return false;
	case PLAN_EV_COMPLETE:
		snprintf(buf, sizeof(buf), "%s; %" PRIu64 " plans published, %"
			 PRIu64 " dropped; QEMU used %" PRIu64 " plans in all, "
			 "fell back %" PRIu64 " + %" PRIu64 " (stale), rejected %"
			 PRIu64, ev->flags & 1 ? "migration failed" :
			 "migration completed", m->plans, m->dropped,
			 (uint64_t)atomic_load(&s->hdr->plans_used),
			 (uint64_t)atomic_load(&s->hdr->fallback_none),
			 (uint64_t)atomic_load(&s->hdr->fallback_stale),
			 (uint64_t)atomic_load(&s->hdr->rejected));
		log_event(ev, buf);
		mig_end(m);
		return true;
	default:
		log_event(ev, "unknown event type, ignored");
		return false;
	}
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool pid_gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) && errno == ESRCH;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL,
					  NULL, NULL };
	struct plan_serve_opts so;
	struct plan_serve s;
	struct plan_ring_event ev;
	struct mig m;
	char err[320];
	uint64_t now, next_check = 0, epoch_ns;
	int ret, status = 1;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	memset(&m, 0, sizeof(m));
	m.vm = -1;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	if (env.pid && pid_gone(env.pid)) {
		fprintf(stderr, "precopy-plan: no process %d\n", (int)env.pid);
		return 1;
	}
	if (env.source == SRC_TRACKER && geteuid() != 0) {
		fprintf(stderr, "precopy-plan: --source tracker needs root "
			"(CAP_BPF and CAP_PERFMON) to load the tracker\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* Load the tracker now, not when a migration starts: loading takes
	 * a while, and the first sync comes soon after the start. */
	if (env.source == SRC_TRACKER) {
		struct tracker_opts o = tracker_opts__default();

		o.verbose = env.verbose;
		tr = tracker__open(&o, err, sizeof(err));
		if (!tr) {
			fprintf(stderr, "precopy-plan: %s\n", err);
			return 1;
		}
	} else if (env.source == SRC_AUTO && geteuid() == 0) {
		struct tracker_opts o = tracker_opts__default();

		o.verbose = env.verbose;
		tr = tracker__open(&o, err, sizeof(err));
		if (!tr) {
			tracker_failed = true;
			note("no tracker (%s): will learn from QEMU's sync "
			     "bitmaps", err);
		}
	} else if (env.source == SRC_AUTO) {
		tracker_failed = true;
		note("not root: no tracker; will learn from QEMU's sync "
		     "bitmaps");
	}
	plan_serve_opts__default(&so, env.max_ram);
	ret = plan_serve__open(&s, env.ring, &so, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "precopy-plan: %s\n", err);
		goto cleanup;
	}
	note("%s plan ring %s (up to %" PRIu64 " MiB of guest RAM, %" PRIu64
	     " ranges per plan); waiting for QEMU",
	     s.reused ? "reusing the" : "serving a new", env.ring,
	     so.max_pages * so.page_size >> 20, so.max_ranges);
	epoch_ns = env.epoch_ms * 1000000ULL;
	while (!exiting) {
		bool done = false;

		plan_serve__beat(&s);
		while (!exiting && (ret = plan_serve__pop_event(&s, &ev)) == 1)
			done |= on_event(&s, &m, &ev);
		if (ret < 0)
			note("event ring indices corrupt: unread events "
			     "skipped");
		if (done && env.once) {
			status = 0;
			goto cleanup;
		}
		now = plan_ring_now_ns();
		if (m.active && m.vm >= 0 && now - m.last_epoch_ns >= epoch_ns) {
			harvest(&m);
			if (m.iteration)
				plan_and_publish(&s, &m);
		}
		if (now >= next_check) {
			next_check = now + 500000000ULL;
			if (m.active && pid_gone(m.pid)) {
				note("QEMU %d exited: generation %" PRIu64
				     " abandoned; still serving the ring",
				     (int)m.pid, m.generation);
				mig_end(&m);
			}
		}
		sleep_ms(2);
	}
	status = 0;
cleanup:
	mig_end(&m);
	tracker__close(tr);
	plan_serve__close(&s);
	if (status == 0 && exiting)
		note("exiting on a signal");
	return status;
}
