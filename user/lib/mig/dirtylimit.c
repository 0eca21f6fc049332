// SPDX-License-Identifier: GPL-2.0
/*
 * dirtylimit.c - QEMU's per-vCPU dirty-page-rate limit, set by
 * precopy-plan when a migration stalls. See dirtylimit.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirtylimit.h"
#include "util/errmsg.h"
#include "util/median.h"
#include "util/qmp.h"

#define HIST 256		/* recent syncs kept */
#define MEASURE_EVERY_S 0.5
#define STALL_SHARE 0.5	/* progress = half of what the link carried */
#define STALL_SHRINK 0.9	/* without a bandwidth: below 0.9 of the fewest */
#define NO_ADVICE 0.5		/* throttle when the planner has none */
#define FREE_N 5		/* the free rate: median of the last measures */
#define REACHED 1.5		/* QEMU's rate within 1.5x of the quota (or the
				 * dead band): the limit took effect */
#define TIGHTEN_WAIT_S (3 * DIRTYLIMIT_STALL_S)	/* or tighten anyway */

struct dirtylimit {
	char *path;
	struct qmp *q;
	bool measuring;		/* the measuring limit is set */
	uint64_t quota;		/* a real limit in force (MB/s), 0: none */
	unsigned int changes;
	double free_rate, current_rate, last_measure;
	double t_change;	/* when the quota was last set */
	double free[FREE_N];	/* the last measures without a limit */
	unsigned int nfree;
	/* stall detection: syncs of the last DIRTYLIMIT_STALL_S seconds, and
	 * the fewest dirty pages of the older ones (since the last change) */
	double t[HIST];
	uint64_t r[HIST], u[HIST];	/* dirty and never-sent pages */
	unsigned int head, n;
	uint64_t min_old;	/* UINT64_MAX: none aged yet */
	uint64_t unsent_old;	/* never-sent pages at the last one aged */
};

struct dirtylimit *dirtylimit__new(const char *qmp_path)
{
	struct dirtylimit *d;

	if (!qmp_path) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->path = strdup(qmp_path);
	if (!d->path) {
		free(d);
		return NULL;
	}
	d->min_old = UINT64_MAX;
	d->unsent_old = UINT64_MAX;
	return d;
}

static void forget(struct dirtylimit *d)
{
	d->n = 0;
	d->head = 0;
	d->min_old = UINT64_MAX;
	d->unsent_old = UINT64_MAX;
}

/* Run a QMP command, connecting first if needed; on a broken connection
 * the next call reconnects. 0 or -1 (note set). */
static int command(struct dirtylimit *d, const char *cmd, const char *args,
		   struct json **reply, char *note, size_t len)
{
	char err[256];
	int rc;

	if (!d->q) {
		d->q = qmp__connect(d->path, err, sizeof(err));
		if (!d->q) {
			errmsg_set(note, len, "dirty limit: %s", err);
			return -1;
		}
	}
	rc = qmp__command(d->q, cmd, args, reply, err, sizeof(err));
	if (rc) {
		errmsg_set(note, len, "dirty limit: %s: %s", cmd, err);
		if (rc != -EREMOTEIO) {
			qmp__close(d->q);
			d->q = NULL;
		}
		return -1;
	}
	return 0;
}

static int set_quota(struct dirtylimit *d, uint64_t mbps, char *note,
		     size_t len)
{
	char args[64];

	snprintf(args, sizeof(args), "{\"dirty-rate\": %llu}",
		 (unsigned long long)mbps);
	return command(d, "set-vcpu-dirty-limit", args, NULL, note, len);
}

int dirtylimit__start(struct dirtylimit *d, char *note, size_t len)
{
	if (d->q) {		/* a new migration may be a new QEMU */
		qmp__close(d->q);
		d->q = NULL;
	}
	d->measuring = false;
	d->quota = 0;
	d->free_rate = d->current_rate = 0;
	d->nfree = 0;
	d->last_measure = 0;
	forget(d);
	if (set_quota(d, DIRTYLIMIT_MEASURE, note, len))
		return -1;
	d->measuring = true;
	return 0;
}

/* QEMU's measure: the highest current-rate over the limited vCPUs. */
static int measure(struct dirtylimit *d, char *note, size_t len)
{
	struct json *rep = NULL;
	const struct json *list, *e;
	int64_t v;
	double top = 0;
	size_t i;

	if (command(d, "query-vcpu-dirty-limit", NULL, &rep, note, len))
		return -1;
	list = json_get(rep, "return");
	for (i = 0; (e = json_at(list, i)); i++)
		if (!json_int(json_get(e, "current-rate"), &v) && v > top)
			top = (double)v;
	json_free(rep);
	d->current_rate = top;
	if (!d->quota) {	/* the guest's rate moves with the host's load */
		double v[FREE_N];
		unsigned int n;

		d->free[d->nfree++ % FREE_N] = top;
		n = d->nfree < FREE_N ? d->nfree : FREE_N;
		memcpy(v, d->free, sizeof(v));
		d->free_rate = median_double(v, n);
	}
	return 0;
}

/* Record a sync; true when the migration stalled (see dirtylimit.h). */
static bool stalled(struct dirtylimit *d, const struct dirtylimit_input *in)
{
	uint64_t recent = in->remaining;
	unsigned int i, k;
	double need;

	/* age out what is older than the window */
	while (d->n && (d->t[d->head] < in->t_s - DIRTYLIMIT_STALL_S ||
			d->n == HIST)) {
		if (d->r[d->head] < d->min_old)
			d->min_old = d->r[d->head];
		d->unsent_old = d->u[d->head];
		d->head = (d->head + 1) % HIST;
		d->n--;
	}
	k = (d->head + d->n) % HIST;
	d->t[k] = in->t_s;
	d->r[k] = in->remaining;
	d->u[k] = in->unsent;
	d->n++;
	for (i = 0; i < d->n; i++)
		if (d->r[(d->head + i) % HIST] < recent)
			recent = d->r[(d->head + i) % HIST];
	if (in->remaining <= in->budget || d->min_old == UINT64_MAX)
		return false;
	if (in->bandwidth_pages_s > 0)
		need = STALL_SHARE * in->bandwidth_pages_s * DIRTYLIMIT_STALL_S;
	else
		need = (1 - STALL_SHRINK) * (double)d->min_old;
	/* the first pass, while it progresses */
	if (in->unsent > in->budget && d->unsent_old != UINT64_MAX &&
	    (double)d->unsent_old - (double)in->unsent >= need)
		return false;
	return (double)recent > (double)d->min_old - need;
}

int dirtylimit__sync(struct dirtylimit *d, const struct dirtylimit_input *in,
		     char *note, size_t len)
{
	bool stall, verdict;
	double x, q;
	uint64_t quota;

	if (!d->measuring && dirtylimit__start(d, note, len))
		return -1;
	if (in->t_s - d->last_measure >= MEASURE_EVERY_S) {
		d->last_measure = in->t_s;
		if (measure(d, note, len))
			return -1;
	}
	stall = stalled(d, in);
	verdict = !in->converging;
	if (!stall)
		return 0;
	if (!d->quota) {
		if (d->free_rate <= 0)
			return 0;	/* not measured yet: next sync */
		x = in->throttle > 0 ? in->throttle : NO_ADVICE;
		q = floor((1 - x) * d->free_rate);
		if (q > d->free_rate - DIRTYLIMIT_DEADBAND - 1)
			q = d->free_rate - DIRTYLIMIT_DEADBAND - 1;
		quota = q < 1 ? 1 : (uint64_t)q;
		if (set_quota(d, quota, note, len))
			return -1;
		errmsg_set(note, len, "dirty limit %llu MB/s per vCPU: %s at %llu "
			   "dirty pages (budget %llu, %llu never sent); "
			   "throttle %.2f%s of a free rate of %.0f MB/s",
			   (unsigned long long)quota,
			   verdict ? "stalled (the planner agrees)" : "stalled",
			   (unsigned long long)in->remaining,
			   (unsigned long long)in->budget,
			   (unsigned long long)in->unsent, x,
			   in->throttle > 0 ? " (forecast)" : " (no forecast)",
			   d->free_rate);
	} else {
		if (d->quota <= 1)
			return 0;
		/* QEMU has not brought the vCPUs down to the limit yet: a
		 * lower one would only add to its lag */
		if (d->current_rate > fmax(REACHED * (double)d->quota,
					   (double)d->quota +
						   DIRTYLIMIT_DEADBAND) &&
		    in->t_s - d->t_change < TIGHTEN_WAIT_S)
			return 0;
		quota = d->quota / 2 ? d->quota / 2 : 1;
		if (set_quota(d, quota, note, len))
			return -1;
		errmsg_set(note, len, "dirty limit %llu MB/s per vCPU: still "
			   "stalled at %llu dirty pages (budget %llu) under %llu "
			   "MB/s (QEMU measures %.0f)", (unsigned long long)quota,
			   (unsigned long long)in->remaining,
			   (unsigned long long)in->budget,
			   (unsigned long long)d->quota, d->current_rate);
	}
	d->quota = quota;
	d->changes++;
	d->t_change = in->t_s;
	forget(d);
	return 1;
}

int dirtylimit__lift(struct dirtylimit *d, char *note, size_t len)
{
	bool was = d->measuring || d->quota;

	if (!was)
		return 0;
	if (command(d, "cancel-vcpu-dirty-limit", NULL, NULL, note, len))
		return -1;
	if (d->quota)
		errmsg_set(note, len, "dirty limit lifted (was %llu MB/s, %u "
			   "change%s)", (unsigned long long)d->quota, d->changes,
			   d->changes == 1 ? "" : "s");
	else
		errmsg_set(note, len, "dirty-rate measuring stopped (no limit "
			   "was needed)");
	d->measuring = false;
	d->quota = 0;
	return 1;
}

int dirtylimit__find_qmp(pid_t pid, char *out, size_t outlen)
{
	return qmp__find_socket(pid, out, outlen);
}

void dirtylimit__state(const struct dirtylimit *d, struct dirtylimit_state *s)
{
	s->connected = d->q != NULL;
	s->measuring = d->measuring;
	s->quota = d->quota;
	s->free_rate = d->free_rate;
	s->current_rate = d->current_rate;
	s->changes = d->changes;
}

void dirtylimit__free(struct dirtylimit *d)
{
	if (!d)
		return;
	if (d->q && (d->measuring || d->quota))
		dirtylimit__lift(d, NULL, 0);
	qmp__close(d->q);
	free(d->path);
	free(d);
}
