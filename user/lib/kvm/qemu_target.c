// SPDX-License-Identifier: GPL-2.0
/* qemu_target.c - tracking a running QEMU/KVM process (see qemu_target.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slot_watch.h"
#include "qemu_target.h"
#include "util/qmp.h"

struct qemu_target {
	pid_t pid;
	struct qmp *qmp;
	struct slot_watch *slots;
	int ring_size;       /* 1: QEMU uses a KVM dirty ring, 0: bitmaps */
	bool migrating;      /* QEMU's own logging is on */
	bool measuring;      /* we started a window that may still run */
	unsigned int window; /* seconds */
	bool unit_ms;        /* calc-time-unit accepted (QEMU 8.2+) */
	double measured_s;   /* the last window's real length, 0 unknown */
	char logging[160];
};

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool migration_active(const char *status)
{
	static const char *const active[] = {
		"setup", "active", "pre-switchover", "device",
		"postcopy-active", "postcopy-paused", "postcopy-recover",
		"wait-unplug", "cancelling",
	};
	unsigned int i;

	for (i = 0; status && i < sizeof(active) / sizeof(active[0]); i++)
		if (!strcmp(status, active[i]))
			return true;
	return false;
}

static struct qemu_target *attach(struct qemu_target *q, char *err,
				  size_t errlen);

struct qemu_target *qemu_target__open(pid_t pid, const char *qmp_path,
				      char *err, size_t errlen)
{
	struct qemu_target *q = calloc(1, sizeof(*q));
	char path[256];
	int ret;

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->pid = pid;
	if (qmp_path) {
		snprintf(path, sizeof(path), "%s", qmp_path);
	} else {
		ret = qmp__find_socket(pid, path, sizeof(path));
		if (ret) {
			snprintf(err, errlen, "QEMU process %d has no QMP unix "
				 "socket on its command line; start it with "
				 "-qmp unix:PATH,server=on,wait=off or pass "
				 "--qmp PATH", (int)pid);
			goto fail;
		}
	}
	q->qmp = qmp__connect(path, err, errlen);
	if (!q->qmp)
		goto fail;
	return attach(q, err, errlen);
fail:
	qemu_target__close(q);
	return NULL;
}

struct qemu_target *qemu_target__open_domain(pid_t pid, const char *domain,
					     char *err, size_t errlen)
{
	struct qemu_target *q = calloc(1, sizeof(*q));

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->pid = pid;
	q->qmp = qmp__connect_domain(domain, err, errlen);
	if (!q->qmp) {
		qemu_target__close(q);
		return NULL;
	}
	return attach(q, err, errlen);
}

/* With q->qmp connected: whether QEMU migrates, and the slot watcher.
 * Returns q, or NULL (q freed) with the reason in err. */
static struct qemu_target *attach(struct qemu_target *q, char *err,
				  size_t errlen)
{
	struct json *r = NULL;
	int ret;

	ret = qmp__command(q->qmp, "query-migrate", NULL, &r, err, errlen);
	if (ret)
		goto fail;
	q->migrating = migration_active(
		json_str(json_get(json_get(r, "return"), "status")));
	json_free(r);
	r = NULL;
	/* Whether QEMU has a dirty ring is learned by the first window:
	 * calc-dirty-rate refuses mode dirty-ring without one. */
	q->ring_size = 1;
	q->unit_ms = true;
	q->slots = slot_watch__open(err, errlen);
	if (!q->slots)
		goto fail;
	ret = slot_watch__watch(q->slots, q->pid);
	if (ret) {
		snprintf(err, errlen, "cannot watch process %d: %s",
			 (int)q->pid, strerror(-ret));
		goto fail;
	}
	return q;
fail:
	json_free(r);
	qemu_target__close(q);
	return NULL;
}

static int start_window(struct qemu_target *q, char *err, size_t errlen)
{
	char args[96];
	int ret;

	for (;;) {
		snprintf(args, sizeof(args),
			 "{\"calc-time\":%u,\"mode\":\"%s\"}", q->window,
			 q->ring_size ? "dirty-ring" : "dirty-bitmap");
		ret = qmp__command(q->qmp, "calc-dirty-rate", args, NULL, err,
				   errlen);
		if (ret == -EREMOTEIO && q->ring_size && strstr(err, "ring")) {
			q->ring_size = 0; /* no dirty ring: bitmap mode */
			continue;
		}
		break;
	}
	if (!ret)
		q->measuring = true;
	return ret;
}

/* Poll query-dirty-rate until the window ends or timeout_ms passes.
 * Returns 1 with *rate_mib set when it ended, 0 if still measuring.
 * Asks for the window's length in milliseconds (QEMU 8.2+) and keeps it
 * in q->measured_s: QEMU divides its count by the real length, which
 * under load exceeds the asked one (dirty_stat_wait), so a rate times
 * the asked length falls short of what QEMU logged (20 % short in one
 * window of a loaded CI run: 1023 against 1280 MiB). */
static int wait_window(struct qemu_target *q, unsigned int timeout_ms,
		       double *rate_mib, char *err, size_t errlen)
{
	unsigned int waited = 0;

	for (;;) {
		struct json *r = NULL;
		const struct json *ret;
		const char *status;
		int64_t rate = -1;
		int e;

		e = qmp__command(q->qmp, "query-dirty-rate", q->unit_ms ?
				 "{\"calc-time-unit\":\"millisecond\"}" : NULL,
				 &r, err, errlen);
		if (e == -EREMOTEIO && q->unit_ms &&
		    strstr(err, "calc-time-unit")) {
			q->unit_ms = false;	/* QEMU before 8.2 */
			continue;
		}
		if (e)
			return e;
		ret = json_get(r, "return");
		status = json_str(json_get(ret, "status"));
		if (status && strcmp(status, "measuring")) {
			const char *unit = json_str(json_get(ret,
							     "calc-time-unit"));
			int64_t ct = 0;

			json_int(json_get(ret, "dirty-rate"), &rate);
			*rate_mib = rate >= 0 ? (double)rate : NAN;
			json_int(json_get(ret, "calc-time"), &ct);
			q->measured_s = unit && !strcmp(unit, "millisecond") &&
					ct > 0 ? ct / 1000.0 : 0;
			json_free(r);
			q->measuring = false;
			return 1;
		}
		json_free(r);
		if (waited >= timeout_ms)
			return 0;
		sleep_ms(10);
		waited += 10;
	}
}

int qemu_target__start(struct qemu_target *q, double window_s,
		       struct guest_map *map, char *err, size_t errlen)
{
	unsigned int waited = 0, quiet = 0;
	double rate;
	int ret;

	q->window = window_s < 1 ? 1 : (unsigned int)lround(window_s);
	memset(map, 0, sizeof(*map));
	if (q->migrating) {
		snprintf(q->logging, sizeof(q->logging),
			 "on by QEMU's migration");
	} else {
		/* A window someone else started must end first. */
		ret = wait_window(q, 61000, &rate, err, errlen);
		if (ret < 0)
			return ret;
		ret = start_window(q, err, errlen);
		if (ret)
			return ret;
		snprintf(q->logging, sizeof(q->logging),
			 "started by precopy-trace: QMP calc-dirty-rate "
			 "(%s mode) in %u s windows",
			 q->ring_size ? "dirty-ring" : "dirty-bitmap", q->window);
	}
	/* Learn the slots: QEMU re-registers each RAM slot as logging starts;
	 * wait until registrations stop coming for 300 ms. */
	while (waited < 3000 && (quiet < 300 || !map->nslots)) {
		ret = slot_watch__poll(q->slots, q->pid, map, 50, NULL);
		if (ret < 0) {
			snprintf(err, errlen, "learning QEMU's memory slots: %s",
				 strerror(-ret));
			return ret;
		}
		quiet = ret ? 0 : quiet + 50;
		waited += 50;
	}
	if (!map->nslots) {
		snprintf(err, errlen, q->migrating ?
			 "QEMU is migrating and registered its memory slots "
			 "before precopy-trace started: start precopy-trace "
			 "before the migration" :
			 "QEMU registered no memory slot when dirty logging "
			 "started");
		return -ENODATA;
	}
	return 0;
}

int qemu_target__end_window(struct qemu_target *q, double *rate_mib,
			    bool *have_rate, double *window_s, char *err,
			    size_t errlen)
{
	int ret;

	*have_rate = false;
	*window_s = q->window;
	if (q->migrating || !q->measuring)
		return 0;
	ret = wait_window(q, 2000, rate_mib, err, errlen);
	if (ret < 0)
		return ret;
	*have_rate = ret == 1 && !isnan(*rate_mib);
	if (*have_rate && q->measured_s > 0)
		*window_s = q->measured_s;
	return 0;
}

int qemu_target__next_window(struct qemu_target *q, struct guest_map *map,
			     bool *map_changed, char *err, size_t errlen)
{
	int ret, changes = 0;

	*map_changed = false;
	ret = slot_watch__poll(q->slots, q->pid, map, 0, NULL);
	if (ret < 0)
		goto slot_error;
	changes += ret;
	if (!q->migrating && !q->measuring) {
		ret = start_window(q, err, errlen);
		if (ret)
			return ret;
		/* The slots re-registered as logging switched on. */
		ret = slot_watch__poll(q->slots, q->pid, map, 0, NULL);
		if (ret < 0)
			goto slot_error;
		changes += ret;
	}
	*map_changed = changes > 0;
	return 0;
slot_error:
	snprintf(err, errlen, "learning QEMU's memory slots: %s",
		 strerror(-ret));
	return ret;
}

const char *qemu_target__logging(const struct qemu_target *q)
{
	return q->logging;
}

bool qemu_target__ring(const struct qemu_target *q)
{
	return q->ring_size > 0;
}

void qemu_target__close(struct qemu_target *q)
{
	char err[256];
	double rate;

	if (!q)
		return;
	if (q->qmp && q->measuring)
		wait_window(q, q->window * 1000 + 2000, &rate, err,
			    sizeof(err));
	qmp__close(q->qmp);
	slot_watch__close(q->slots);
	free(q);
}
