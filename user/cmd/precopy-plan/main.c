// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-plan - the planner daemon of a patched QEMU's pre-copy
 * migration: serves the shared-memory plan ring (plan_ring.h), learns how
 * the guest dirties its memory (the eBPF tracker under KVM, or the sync
 * bitmaps QEMU publishes), and at each of QEMU's bitmap syncs publishes a
 * plan for the iteration that begins: which pages to send first, in what
 * order, and which to keep for later.
 *
 * One loop, polling every 250 us during a migration (2 ms idle): beat
 * the heartbeat; pop QEMU's events (START: read the layout, size a new
 * model and planner, attach the tracker; SYNC: report the ended iteration
 * to the planner, read the sync bitmaps, plan, publish; COMPLETE: detach
 * and wait for the next migration); every epoch, harvest the tracker into
 * the model.
 *
 * With --converge dirty-limit, a migration that stalls gets QEMU's
 * per-vCPU dirty-page-rate limit at the rate the forecast says converges,
 * lifted after the switchover (user/lib/mig/dirtylimit.h), through QEMU's
 * QMP socket (--qmp, or the one on QEMU's command line).
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/bitops.h"
#include "util/caps.h"
#include "util/cli.h"
#include "util/json.h"
#include "util/out_guard.h"
#include "kvm/guest_map.h"
#include "model/model.h"
#include "ring/plan_serve.h"
#include "model/planner.h"
#include "kvm/tracker.h"
#include "mig/dirtylimit.h"
#include "kvm/vm_ident.h"
#include "live/metrics_http.h"
#include "ring/plan_metrics.h"
#include "ring/plan_libvirt.h"
#include "options.h"

/* Version of the -j output (docs/precopy-plan.schema.json); bumped when a
 * key is renamed or removed, not when one is added. */
#define PLAN_JSON_VERSION 2
#define POLL_MIGRATING_US 250	/* the loop's sleep while QEMU migrates */
#define POLL_IDLE_US 2000	/* and otherwise */
#define GUESS_WINDOW_BYTES (4u << 20)	/* the first window, at most */

/* The planner's nearly free iterations end by its own cap, before QEMU's
 * safety net (PLAN_EXEC_HOLDS syncs in a row where QEMU would have switched
 * over) cuts them short. */
_Static_assert(PLANNER_FREE_ITERS < PLAN_EXEC_HOLDS,
	       "PLANNER_FREE_ITERS must stay under PLAN_EXEC_HOLDS");

static struct plan_options env;

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
	uint64_t *dirty, *written, *epoch;
	uint64_t *seen;		/* TCG: pages QEMU's epochs of the running
				 * iteration showed written */
	uint64_t *unsent;	/* pages dirty at every sync so far and not
				 * written in between: never sent yet (QEMU's
				 * bitmap starts full) */
	uint64_t learned_ns;	/* QEMU's time the model learned up to */
	uint64_t epochs;	/* QEMU epochs learned from (TCG) */
	int vm;			/* tracker handle, -1: learning from syncs */
	uint64_t last_epoch_ns;
	uint64_t iteration;	/* QEMU's current iteration; 0: none */
	bool stopping;		/* QEMU switches over: stay idle */
	bool stop_out;		/* a STOP plan is out: QEMU syncs next, then
				 * switches over or refuses (and runs its
				 * own rules until the sync after): nothing
				 * to plan until that sync, and no CPU to
				 * take from its downtime */
	uint64_t remaining;	/* dirty pages at its sync */
	uint64_t plans, dropped;
};

static struct tracker *tr;
static struct plan_metrics pm;	/* --prometheus */
static char domain_uuid[40];	/* --domain's */
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
	free(m->written);
	free(m->epoch);
	free(m->seen);
	free(m->unsent);
	free(m->layout);
	memset(m, 0, sizeof(*m));
	m->vm = -1;
}

static const char *event_name(uint32_t type)
{
	switch (type) {
	case PLAN_EV_START: return "start";
	case PLAN_EV_SYNC: return "sync";
	case PLAN_EV_COMPLETE: return "complete";
	case PLAN_EV_EPOCH: return "epoch";
	case PLAN_EV_SWITCHOVER: return "switchover";
	}
	return "unknown";
}

/* Standard output: lines are dropped, not waited for, while nobody reads
 * it (a stalled planner would let QEMU drop its plans). */
static struct out_guard out = { .fd = STDOUT_FILENO, .prog = "precopy-plan" };

static void log_event(const struct plan_ring_event *ev, const char *note)
{
	if (!out_guard__ready(&out))
		return;
	if (env.json) {
		printf("{\"version\":%d,\"type\":\"event\",\"event\":\"%s\","
		       "\"generation\":%"
		       PRIu64 ",\"iteration\":%" PRIu64 ",\"flags\":%u,"
		       "\"sent_pages\":%" PRIu64 ",\"iter_ms\":%.3f,"
		       "\"remaining_pages\":%" PRIu64 ",\"bandwidth_bytes_per_s\":%" PRIu64
		       ",\"plan_id\":%" PRIu64 ",\"fallbacks\":%" PRIu64
		       ",\"threshold_bytes\":%" PRIu64 ",\"downtime_limit_ms\":%"
		       PRIu64 ",\"max_bandwidth_bytes_per_s\":%" PRIu64
		       ",\"plan_wait_ms\":%.3f,\"note\":", PLAN_JSON_VERSION,
		       event_name(ev->type), ev->generation,
		       ev->iteration, ev->flags, ev->pages_sent,
		       ev->iter_ns / 1e6, ev->remaining, ev->bandwidth,
		       ev->plan_id, ev->fallbacks, ev->threshold,
		       ev->downtime_limit_ms, ev->max_bandwidth,
		       ev->wait_ns / 1e6);
		json_write_str(stdout, note);
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

	if (!out_guard__ready(&out))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (env.json) {
		printf("{\"version\":%d,\"type\":\"note\",\"note\":",
		       PLAN_JSON_VERSION);
		json_write_str(stdout, buf);
		printf("}\n");
	} else {
		printf("precopy-plan: %s\n", buf);
	}
	fflush(stdout);
}

static void log_plan(const struct mig *m, uint64_t iteration,
		     const struct plan *p, const struct plan_serve_pub *pub,
		     int published, uint64_t remaining, double plan_ms)
{
	const char *action = p->action == PLAN_STOP ? "stop" : "send";
	double mib = p->bandwidth / (1 << 20);
	double leak = planner__leak(m->planner);

	if (!out_guard__ready(&out))
		return;
	if (env.json) {
		printf("{\"version\":%d,\"type\":\"plan\",\"generation\":%" PRIu64
		       ",\"iteration\":%" PRIu64 ",\"id\":%" PRIu64
		       ",\"published\":%s,\"action\":\"%s\",\"window_pages\":%"
		       PRIu64 ",\"send_pages\":%" PRIu64 ",\"deferred_pages\":%"
		       PRIu64 ",\"send_ranges\":%" PRIu64 ",\"deferred_ranges\":%"
		       PRIu64 ",\"cut_send_pages\":%" PRIu64
		       ",\"cut_deferred_pages\":%" PRIu64 ",\"budget_pages\":%"
		       PRIu64 ",\"dirty_pages\":%" PRIu64 ",\"remaining_pages\":%"
		       PRIu64 ",\"bandwidth_bytes_per_s\":%.0f"
		       ",\"need_bandwidth_bytes_per_s\":%.0f"
		       ",\"converging\":%s,\"source\":\"%s\",\"objective\":"
		       "\"%s\",\"held_back_pages\":%" PRIu64 ",\"fallback\":%s,"
		       "\"regret_pages\":%" PRId64 ",\"reason\":",
		       PLAN_JSON_VERSION, m->generation, iteration, pub->id,
		       published == 0 ? "true" : "false", action, p->window,
		       p->nr_send, p->nr_deferred, pub->nr_send,
		       pub->nr_deferred, pub->cut_send, pub->cut_deferred,
		       p->budget, p->dirty, remaining, p->bandwidth,
		       p->need_bandwidth, p->converging ? "true" : "false",
		       source_name(m), planner_objective__name(env.objective),
		       p->nr_risky, p->fallback ? "true" : "false", p->regret);
		json_write_str(stdout, p->reason);
		/* what the held-back share rests on (planner.h, Leak) */
		if (p->action == PLAN_SEND)
			printf(",\"expected_next_pages\":%.0f",
			       p->expected_next);
		if (leak >= 0)
			printf(",\"leak_pages_per_s\":%.1f", leak);
		else
			printf(",\"leak_pages_per_s\":null");
		printf(",\"plan_ms\":%.3f}\n", plan_ms);
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

/* ---------------------------------------------------------------------------
 * --converge dirty-limit (mig/dirtylimit.h)
 */

static struct dirtylimit *dl;
static char dl_last_err[320];

/* A dirty-limit line: what changed, with the controller's state. */
static void log_limit(const struct mig *m, const char *text)
{
	struct dirtylimit_state st;

	if (!out_guard__ready(&out))
		return;
	dirtylimit__state(dl, &st);
	if (env.json) {
		printf("{\"type\":\"dirty_limit\",\"generation\":%" PRIu64
		       ",\"iteration\":%" PRIu64 ",\"quota\":%" PRIu64
		       ",\"free_rate\":%.0f,\"current_rate\":%.0f,"
		       "\"changes\":%u,\"note\":", m->generation, m->iteration,
		       st.quota, st.free_rate, st.current_rate, st.changes);
		json_write_str(stdout, text);
		printf("}\n");
	} else {
		printf("gen %" PRIu64 " it %" PRIu64 ": %s\n", m->generation,
		       m->iteration, text);
	}
	fflush(stdout);
}

/* A failure, said once until it changes. */
static void limit_failed(const char *text)
{
	if (strcmp(text, dl_last_err)) {
		snprintf(dl_last_err, sizeof(dl_last_err), "%s", text);
		note("%s", text);
	}
}

static void converge_start(const struct mig *m)
{
	char path[512], msg[320];

	if (!env.converge)
		return;
	if (!env.qmp) {		/* QEMU's own socket: found per migration */
		dirtylimit__free(dl);
		dl = NULL;
		if (dirtylimit__find_qmp(m->pid, path, sizeof(path))) {
			limit_failed("--converge: QEMU has no QMP unix socket on "
				     "its command line: give --qmp");
			return;
		}
	}
	if (!dl) {
		dl = dirtylimit__new(env.qmp ? env.qmp : path);
		if (!dl) {
			limit_failed("--converge: out of memory");
			return;
		}
	}
	if (dirtylimit__start(dl, msg, sizeof(msg)))
		limit_failed(msg);
	else
		log_limit(m, "measuring QEMU's per-vCPU dirty rate (no limit yet)");
}

static void converge_sync(const struct mig *m)
{
	struct dirtylimit_input in = {
		.t_s = plan_ring_now_ns() / 1e9,
		.iteration = m->iteration,
		.remaining = m->plan->dirty,
		.budget = m->plan->budget,
		.converging = m->plan->converging,
	};
	char msg[320];
	double need, mu, sd;
	uint64_t w;
	int rc;

	if (!dl)
		return;
	planner__advise(m->planner, m->plan->dirty, &need, &in.throttle);
	planner__bandwidth(m->planner, &mu, &sd);
	in.bandwidth_pages_s = mu / m->page_size;
	for (w = 0; w < m->words; w++)
		in.unsent += pop64(m->unsent[w]);
	rc = dirtylimit__sync(dl, &in, msg, sizeof(msg));
	if (rc > 0)
		log_limit(m, msg);
	else if (rc < 0)
		limit_failed(msg);
}

static void converge_end(const struct mig *m)
{
	char msg[320];
	int rc;

	if (!dl)
		return;
	rc = dirtylimit__lift(dl, msg, sizeof(msg));
	if (rc > 0)
		log_limit(m, msg);
	else if (rc < 0)
		limit_failed(msg);
}

/* The tracker's memory map from the layout: entries QEMU maps into KVM. */
static int layout_memmap(const struct plan_ring_layout *l, uint32_t page_size,
			 struct guest_map *map)
{
	uint32_t i;

	memset(map, 0, sizeof(*map));
	for (i = 0; i < l->nr; i++) {
		const struct plan_ring_block *b = &l->blocks[i];

		if (b->gpa == PLAN_RING_NO_GPA || b->kvm_slot < 0 || !b->pages)
			continue;
		if (guest_map__add(map, (uint32_t)b->kvm_slot, b->gpa,
				b->pages * page_size / 4096, 0, b->name))
			continue;	/* a duplicate slot or a full map */
	}
	return map->nslots ? 0 : -ENOENT;
}

/* Attach the tracker to the migrating QEMU, if the source allows. */
static void attach_tracker(struct mig *m)
{
	struct tracker_opts o = tracker_opts__default();
	struct guest_map map;
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
	if (m->layout) {
		memcpy(m->layout, s->layout, lsize);
		attach_tracker(m);	/* sets the source: m->vm */
	}
	model_params__default(&mp, m->ram_pages, m->page_size, epoch_s);
	m->model = model__new(&mp);
	planner_params__default(&pp, m->ram_pages, m->page_size,
				env.downtime_ms / 1e3, epoch_s,
				env.bandwidth_mib * (1 << 20));
	pp.objective = env.objective;
	pp.handover = env.handover;
	if (env.free_share >= 0)
		pp.free_share = env.free_share;
	/* the guess is QEMU's max-bandwidth, a cap and not a rate (1000
	 * MiB/s over a 64 Mbit/s link): the first window is a few MiB, and
	 * the next ones come from what that one measured */
	pp.guess_window = GUESS_WINDOW_BYTES / m->page_size;
	/* Learning from QEMU's sync bitmaps (TCG; no tracker), the model
	 * learns from QEMU's epochs between syncs as well, while every sync
	 * costs the migration thread a bitmap sync and a wait for the plan:
	 * iterations of 100 ms, each ended early by its window, made the
	 * default TCG migration 1.11-1.16x stock's time for 0.98x its bytes,
	 * and 0.99x with 0.5 s iterations. */
	if (m->vm < 0 && pp.iter_s < PLANNER_LONG_ITER_S)
		pp.iter_s = PLANNER_LONG_ITER_S;
	m->planner = m->model ? planner__new(&pp, m->model) : NULL;
	m->plan = plan__new(m->ram_pages);
	m->dirty = calloc(m->words, 8);
	m->written = calloc(m->words, 8);
	m->epoch = calloc(m->words, 8);
	m->seen = calloc(m->words, 8);
	m->unsent = malloc(m->words * 8);
	if (!m->layout || !m->model || !m->planner || !m->plan || !m->dirty ||
	    !m->written || !m->epoch || !m->seen || !m->unsent) {
		note("generation %" PRIu64 ": out of memory for %" PRIu64
		     " pages", generation, m->ram_pages);
		mig_end(m);
		return -1;
	}
	memset(m->unsent, 0xff, m->words * 8);
	if (m->words)
		m->unsent[m->words - 1] = last_word_mask(m->ram_pages);
	m->active = true;
	converge_start(m);
	note("generation %" PRIu64 ": %" PRIu64 " MiB of RAM in %u blocks, "
	     "%s, learning from %s", generation,
	     m->ram_pages * m->page_size >> 20, m->layout->nr,
	     m->accel == PLAN_ACCEL_KVM ? "KVM" :
	     m->accel == PLAN_ACCEL_TCG ? "TCG" : "accel unknown",
	     source_name(m));
	plan_metrics__start(&pm);
	if (env.domain) {
		plan_metrics__vm(&pm, env.domain, domain_uuid, (int)m->pid);
	} else {
		struct vm_ident id;

		vm_ident__from_pid(m->pid, &id);
		plan_metrics__vm(&pm, id.name, id.uuid, (int)m->pid);
	}
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
	if (m->planner)
		planner__epoch(m->planner, m->epoch, ep.length_s);
}

/* Plan QEMU's current iteration over the dirty bitmap of its sync and
 * publish the plan (again: the tracker refreshes the model every epoch,
 * and QEMU adopts a newer plan for the same iteration). */
static void plan_and_publish(struct plan_serve *s, struct mig *m)
{
	struct plan_serve_pub pub;
	uint64_t t0 = plan_ring_now_ns();
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
	plan_metrics__plan(&pm, m->iteration, m->plan, ret == 0);
	if (ret == 0 && m->plan->action == PLAN_STOP)
		m->stop_out = true;
	if (ret == 0)
		m->plans++;
	else
		m->dropped++;
	log_plan(m, m->iteration, m->plan, &pub, ret, m->remaining,
		 (plan_ring_now_ns() - t0) / 1e6);
}

static void on_sync(struct plan_serve *s, struct mig *m,
		    const struct plan_ring_event *ev)
{
	struct plan_serve_sync si;
	int ret, tries;
	uint64_t w;
	bool ok;

	for (tries = 0; tries < 50; tries++) {
		ret = plan_serve__read_sync(s, m->dirty, m->written, m->words,
					    &si);
		if (ret != -EAGAIN)
			break;
	}
	ok = !ret && si.generation == ev->generation &&
	     si.iteration == ev->iteration && si.pages == m->ram_pages;
	if (ev->iter_ns && (ev->pages_sent || ev->bandwidth)) {
		/* the fresh count of this sync measures the leak of the
		 * iteration that ended (planner.h, "Leak") */
		struct planner_feedback fb = {
			.duration_s = ev->iter_ns / 1e9,
			.pages_sent = ev->pages_sent,
			/* an iteration that sent nothing did not use the
			 * link: QEMU's reading is then its bytes over the
			 * setup or a sync, not the link's rate */
			.bandwidth = ev->pages_sent ? (double)ev->bandwidth : 0,
			.remaining = ev->remaining,
			.has_fresh = ok,
			.fresh = ok ? si.fresh_count : 0,
			.threshold = ev->threshold,
		};

		planner__feedback(m->planner, &fb);
	}
	if (ret) {
		note("iteration %" PRIu64 ": cannot read the sync bitmaps: %s",
		     ev->iteration, strerror(-ret));
		return;
	}
	if (!ok) {
		note("iteration %" PRIu64 ": the sync bitmaps are of iteration %"
		     PRIu64 " already: not planning it", ev->iteration,
		     si.iteration);
		return;
	}
	/* still dirty and not written since the last sync: never sent */
	for (w = 0; w < m->words; w++)
		m->unsent[w] &= m->dirty[w] & ~m->written[w];
	if (m->vm < 0) {
		/* Learn from the sync: every page QEMU's dirty log saw written
		 * in the iteration that ended, less what its epochs showed
		 * already (on_epoch, TCG). */
		struct model_epoch ep = { .dirty = m->epoch };

		for (w = 0; w < m->words; w++) {
			m->epoch[w] = m->written[w] & ~m->seen[w];
			m->seen[w] = 0;
		}
		ep.length_s = m->learned_ns && ev->time_ns > m->learned_ns ?
			      (ev->time_ns - m->learned_ns) / 1e9 :
			      ev->iter_ns / 1e9;
		model__update(m->model, &ep);
		planner__epoch(m->planner, m->epoch, ep.length_s);
		m->learned_ns = ev->time_ns;
	}
	m->iteration = ev->iteration;
	m->remaining = ev->remaining;
	plan_and_publish(s, m);
	converge_sync(m);
}

/* An epoch of QEMU's dirty log (TCG): learn the pages written since the
 * last piece learned, and refresh the plan of the running iteration. */
static void on_epoch(struct plan_serve *s, struct mig *m,
		     const struct plan_ring_event *ev)
{
	struct plan_serve_epoch ei;
	struct model_epoch ep = { .dirty = m->epoch };
	int ret, tries;
	uint64_t w;

	if (m->vm >= 0 || !m->iteration)
		return;		/* the tracker's epochs are finer */
	for (tries = 0; tries < 50; tries++) {
		ret = plan_serve__read_epoch(s, m->epoch, m->words, &ei);
		if (ret != -EAGAIN)
			break;
	}
	if (ret) {
		note("iteration %" PRIu64 ": cannot read QEMU's epoch: %s",
		     ev->iteration, strerror(-ret));
		return;
	}
	/* the section is cumulative over its iteration; one of a later
	 * iteration is read when its own event comes, the sync covers an
	 * earlier one */
	if (ei.generation != ev->generation || ei.pages != m->ram_pages ||
	    ei.iteration != m->iteration || ei.end_ns <= m->learned_ns)
		return;
	for (w = 0; w < m->words; w++) {
		uint64_t x = m->epoch[w] & ~m->seen[w];

		m->seen[w] |= m->epoch[w];
		m->epoch[w] = x;
	}
	ep.length_s = m->learned_ns ? (ei.end_ns - m->learned_ns) / 1e9
				    : (ei.end_ns - ei.start_ns) / 1e9;
	model__update(m->model, &ep);
	planner__epoch(m->planner, m->epoch, ep.length_s);
	m->learned_ns = ei.end_ns;
	m->epochs++;
	if (!m->stop_out)
		plan_and_publish(s, m);
}

/* Returns true when a migration completed. */
static bool on_event(struct plan_serve *s, struct mig *m,
		     const struct plan_ring_event *ev)
{
	char buf[256];

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
		if (m->stopping || (ev->flags & PLAN_EV_F_LAST)) {
			/* the stop-and-copy runs: nothing to plan, and no
			 * CPU to take from QEMU during the downtime */
			log_event(ev, "stop-and-copy");
			return false;
		}
		/* what QEMU sent in the iteration that ended, m->iteration */
		plan_metrics__sync(&pm, m->iteration, ev->pages_sent,
				   ev->remaining, ev->bandwidth);
		if (m->stop_out && (ev->flags & PLAN_EV_F_STOP)) {
			/* the sync QEMU takes on a STOP: it switches over
			 * now, or refuses and follows no plan until its
			 * next sync; either way no plan of this iteration
			 * is used (plan_exec_adopt) */
			log_event(ev, "ended by STOP: not planned");
			if (m->vm < 0 && m->seen)	/* as on_sync's */
				memset(m->seen, 0, m->words * sizeof(*m->seen));
			m->iteration = ev->iteration;
			m->remaining = ev->remaining;
			return false;
		}
		m->stop_out = false;
		log_event(ev, NULL);
		on_sync(s, m, ev);
		return false;
	case PLAN_EV_SWITCHOVER:
		log_event(ev, "switchover: idle until the migration ends");
		if (m->active && m->generation == ev->generation)
			m->stopping = true;
		return false;
	case PLAN_EV_EPOCH:
		if (m->active && m->generation == ev->generation &&
		    !m->stopping)
			on_epoch(s, m, ev);
		return false;
	case PLAN_EV_COMPLETE:
		snprintf(buf, sizeof(buf), "%s; %" PRIu64 " plans published, %"
			 PRIu64 " dropped, %" PRIu64 " epochs of QEMU's dirty "
			 "log learned; QEMU used %" PRIu64 " plans in all, "
			 "fell back %" PRIu64 " + %" PRIu64 " (stale), rejected %"
			 PRIu64, ev->flags & 1 ? "migration failed" :
			 "migration completed", m->plans, m->dropped, m->epochs,
			 (uint64_t)atomic_load(&s->hdr->plans_used),
			 (uint64_t)atomic_load(&s->hdr->fallback_none),
			 (uint64_t)atomic_load(&s->hdr->fallback_stale),
			 (uint64_t)atomic_load(&s->hdr->rejected));
		log_event(ev, buf);
		converge_end(m);
		plan_metrics__end(&pm, ev->flags & 1);
		mig_end(m);
		return true;
	default:
		log_event(ev, "unknown event type, ignored");
		return false;
	}
}

/* The latest metrics into the /metrics body. */
static void publish_metrics(struct metrics_http *http,
			    const struct plan_serve *s)
{
	char *body;
	size_t len;

	if (!plan_metrics__render(&pm, s->hdr, &body, &len)) {
		metrics_http__set(http, body, len);
		free(body);
	}
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static bool pid_gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) && errno == ESRCH;
}

int main(int argc, char **argv)
{
	struct plan_serve_opts so;
	struct plan_serve s;
	struct plan_ring_event ev;
	struct mig m;
	char err[320];
	uint64_t now, next_check = 0, next_render = 0, epoch_ns;
	struct metrics_http *http = NULL;
	int ret, status = 1;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	memset(&m, 0, sizeof(m));
	m.vm = -1;
	plan_options__parse(&env, argc, argv);
	if (env.pid && pid_gone(env.pid)) {
		fprintf(stderr, "precopy-plan: no process %d\n", (int)env.pid);
		return 1;
	}
	if (env.source == SRC_TRACKER && !caps_can_trace(err, sizeof(err))) {
		fprintf(stderr, "precopy-plan: --source tracker needs %s to "
			"load the tracker\n", err);
		return 1;
	}
	if (env.domain) {
		pid_t pid;

		if (plan_libvirt__attach(env.domain, env.ring, &pid,
					 domain_uuid, err, sizeof(err))) {
			fprintf(stderr, "precopy-plan: %s\n", err);
			return 1;
		}
		if (env.pid && env.pid != pid) {
			fprintf(stderr, "precopy-plan: domain %s is QEMU %d, "
				"not -p %d\n", env.domain, (int)pid,
				(int)env.pid);
			return 1;
		}
		env.pid = pid;
		note("libvirt domain %s (%s): QEMU %d, its x-precopy-plan set "
		     "to the ring", env.domain, domain_uuid, (int)pid);
	}
	if (env.prometheus &&
	    !(http = metrics_http__open(env.prometheus, err, sizeof(err)))) {
		fprintf(stderr, "precopy-plan: %s\n", err);
		return 1;
	}
	plan_metrics__init(&pm, env.source == SRC_SYNC ? "sync" :
			   env.source == SRC_TRACKER ? "tracker" : "auto",
			   env.ring, argp_program_version);
	if (env.domain)
		plan_metrics__vm(&pm, env.domain, domain_uuid, (int)env.pid);
	cli_catch_stop_signals();
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
	} else if (env.source == SRC_AUTO && caps_can_trace(NULL, 0)) {
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
	while (!cli_exiting) {
		bool done = false;

		plan_serve__beat(&s);
		while (!cli_exiting && (ret = plan_serve__pop_event(&s, &ev)) == 1)
			done |= on_event(&s, &m, &ev);
		if (ret < 0)
			note("event ring indices corrupt: unread events "
			     "skipped");
		if (done && env.once) {
			status = 0;
			goto cleanup;
		}
		now = plan_ring_now_ns();
		if (m.active && m.vm >= 0 && !m.stopping && !m.stop_out &&
		    now - m.last_epoch_ns >= epoch_ns) {
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
		/* /metrics is served from its own thread (metrics_http.h) */
		if (http && now >= next_render) {
			next_render = now + 250000000ULL;
			publish_metrics(http, &s);
		}
		/* QEMU waits for the plan of each iteration: poll often while
		 * it migrates (a plan a millisecond sooner is a millisecond
		 * more on the link, 3 % of a 30 ms iteration), rarely idle */
		sleep_us(m.active && !m.stopping ? POLL_MIGRATING_US :
			 POLL_IDLE_US);
	}
	status = 0;
cleanup:
	if (dl && m.active)
		converge_end(&m);
	dirtylimit__free(dl);	/* lifts a limit still set */
	mig_end(&m);
	tracker__close(tr);
	plan_serve__close(&s);
	metrics_http__close(http);
	if (status == 0 && cli_exiting)
		note("exiting on a signal");
	if (out.dropped)
		fprintf(stderr, "precopy-plan: %" PRIu64 " output lines dropped "
			"(standard output was not read)\n", out.dropped);
	return status;
}
