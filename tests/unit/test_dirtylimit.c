// SPDX-License-Identifier: GPL-2.0
/*
 * test_dirtylimit - precopy-plan's convergence aid (mig/dirtylimit.h)
 * against a fake QEMU monitor on a unix socket that answers
 * set-vcpu-dirty-limit, query-vcpu-dirty-limit and cancel-vcpu-dirty-limit
 * as QEMU does: the measuring limit at the start, no limit while the
 * migration progresses, the quota from the forecast's throttle when it
 * stalls (or when the planner says it does not converge), QEMU's 25 MB/s
 * dead band respected, halving on a new stall once QEMU's rate followed
 * the limit (or after a while), the lift, and QMP failures;
 * the first pass over RAM (the dirty pages fall by what the link carries)
 * and the planner's verdict alone set no limit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "mig/dirtylimit.h"

/* The fake monitor. */
static struct {
	int lfd;
	char path[108];
	pthread_mutex_t mu;
	long quota;		/* last set-vcpu-dirty-limit; 0 none */
	long current;		/* what query-vcpu-dirty-limit says */
	int sets, cancels;
	bool refuse_set;	/* answer set-vcpu-dirty-limit with an error */
} srv = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void reply(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		return;
}

static void serve(int fd)
{
	char buf[4096], out[256];
	size_t n = 0;
	ssize_t k;
	char *nl;

	reply(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
	for (;;) {
		k = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (k <= 0)
			return;
		n += (size_t)k;
		buf[n] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			pthread_mutex_lock(&srv.mu);
			if (strstr(buf, "\"set-vcpu-dirty-limit\"")) {
				char *r = strstr(buf, "\"dirty-rate\":");

				if (srv.refuse_set) {
					snprintf(out, sizeof(out), "{\"error\": {\"class\": "
						 "\"GenericError\", \"desc\": \"dirty page "
						 "limit feature requires KVM\"}}\r\n");
				} else {
					srv.quota = r ? atol(r + 13) : -1;
					srv.sets++;
					snprintf(out, sizeof(out), "{\"return\": {}}\r\n");
				}
			} else if (strstr(buf, "\"query-vcpu-dirty-limit\"")) {
				snprintf(out, sizeof(out), "{\"return\": [{\"cpu-index\": 0, "
					 "\"limit-rate\": %ld, \"current-rate\": %ld}]}\r\n",
					 srv.quota, srv.current);
			} else if (strstr(buf, "\"cancel-vcpu-dirty-limit\"")) {
				srv.quota = 0;
				srv.cancels++;
				snprintf(out, sizeof(out), "{\"return\": {}}\r\n");
			} else {
				snprintf(out, sizeof(out), "{\"return\": {}}\r\n");
			}
			pthread_mutex_unlock(&srv.mu);
			reply(fd, out);
			n -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, n + 1);
		}
	}
}

static void *server(void *arg)
{
	int fd;

	(void)arg;
	while ((fd = accept(srv.lfd, NULL, NULL)) >= 0) {
		serve(fd);
		close(fd);
	}
	return NULL;
}

static int start_server(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	pthread_t th;

	snprintf(srv.path, sizeof(srv.path), "/tmp/test_dirtylimit.%d.qmp",
		 (int)getpid());
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", srv.path);
	unlink(srv.path);
	srv.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(srv.lfd, 4))
		return -1;
	return pthread_create(&th, NULL, server, NULL) ? -1 : 0;
}

static long quota(void)
{
	long q;

	pthread_mutex_lock(&srv.mu);
	q = srv.quota;
	pthread_mutex_unlock(&srv.mu);
	return q;
}

static void set_current(long c)
{
	pthread_mutex_lock(&srv.mu);
	srv.current = c;
	pthread_mutex_unlock(&srv.mu);
}

/* A sync: a link of 2000 pages/s, a budget of 2000 pages. */
static int sync_at(struct dirtylimit *d, double t, uint64_t it, uint64_t r,
		   bool conv, double thr, char *note, size_t len)
{
	struct dirtylimit_input in = {
		.t_s = t, .iteration = it, .remaining = r, .budget = 2000,
		.converging = conv, .throttle = thr, .bandwidth_pages_s = 2000,
	};

	return dirtylimit__sync(d, &in, note, len);
}

/* Syncs every dt seconds after *t (which follows them), at iterations
 * it0, it0 + 1, ..., with r dirty pages, converging, advice thr, until
 * one changes the limit or n syncs were made. Returns the last sync's
 * result (0: no change in n syncs); *made: the syncs made. */
static int sync_until_change(struct dirtylimit *d, double *t, double dt,
			     uint64_t it0, uint64_t r, double thr, int n,
			     int *made, char *note, size_t len)
{
	int i, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		*t += dt;
		rc = sync_at(d, *t, it0 + (uint64_t)i, r, true, thr, note, len);
	}
	*made = i;
	return rc;
}

static void test_stall_limit_tighten_lift(void)
{
	struct dirtylimit *d = dirtylimit__new(srv.path);
	struct dirtylimit_state st;
	char note[320] = "";
	double t = 100;
	int rc, i;

	if (!ASSERT_NOT_NULL(d, "new"))
		return;
	set_current(200);
	if (!ASSERT_OK(dirtylimit__start(d, note, sizeof(note)), note))
		goto cleanup;
	ASSERT_EQ(quota(), DIRTYLIMIT_MEASURE, "the measuring limit is set first");
	/* first pass, then progress: R falls by half every second */
	ASSERT_EQ(sync_at(d, t, 1, 60000, true, 0.6, note, sizeof(note)), 0,
		  "first pass: nothing to do");
	for (i = 0; i < 5; i++) {
		t += 1;
		rc = sync_at(d, t, 2 + i, 40000 >> i, true, 0.6, note, sizeof(note));
		ASSERT_EQ(rc, 0, "progressing: no limit");
	}
	dirtylimit__state(d, &st);
	ASSERT_NEAR(st.free_rate, 200, 0, "QEMU's rate measured while free");
	ASSERT_EQ(quota(), DIRTYLIMIT_MEASURE, "still only measuring");
	/* stall: R stays at 5000 (> budget 2000) for more than 2 s */
	rc = sync_until_change(d, &t, 0.5, 10, 5000, 0.6, 6, &i, note,
			       sizeof(note));
	ASSERT_EQ(rc, 1, note);
	ASSERT_EQ(quota(), 80, "quota = (1 - 0.6) x 200 MB/s");
	ASSERT_TRUE(strstr(note, "stalled") != NULL, note);
	ASSERT_GE(i, 4, "not before 2 s of no progress");
	/* throttled: QEMU measures less; a new stall halves the quota, not
	 * earlier than 2 s after the change */
	set_current(90);
	rc = sync_until_change(d, &t, 0.5, 20, 4800, 0.6, 10, &i, note,
			       sizeof(note));
	ASSERT_EQ(rc, 1, note);
	ASSERT_EQ(quota(), 40, "halved");
	ASSERT_GE(i, 5, "a stall of its own");
	dirtylimit__state(d, &st);
	ASSERT_NEAR(st.free_rate, 200, 0, "the free rate is kept under a limit");
	ASSERT_EQ(st.changes, 2, "two changes");
	/* QEMU still measures 90 MB/s under 40: a new stall waits for the
	 * limit to take effect, at most 6 s after the change */
	rc = sync_until_change(d, &t, 0.5, 60, 4700, 0.6, 40, &i, note,
			       sizeof(note));
	ASSERT_EQ(rc, 1, note);
	ASSERT_EQ(quota(), 20, "halved again, in the end");
	ASSERT_GE(i, 12, "not before 6 s while QEMU lags (90 > 1.5 x 40)");
	/* the migration converges: nothing more */
	t += 0.5;
	ASSERT_EQ(sync_at(d, t, 40, 1500, true, 0, note, sizeof(note)), 0,
		  "under the budget");
	ASSERT_EQ(dirtylimit__lift(d, note, sizeof(note)), 1, note);
	ASSERT_EQ(quota(), 0, "cancelled");
	ASSERT_TRUE(strstr(note, "lifted") != NULL, note);
	ASSERT_EQ(dirtylimit__lift(d, note, sizeof(note)), 0, "nothing to lift");
cleanup:
	dirtylimit__free(d);
}

static void test_first_pass_verdict_dead_band(void)
{
	struct dirtylimit *d = dirtylimit__new(srv.path);
	char note[320] = "";
	double t = 10;
	int cancels, i, rc;

	if (!ASSERT_NOT_NULL(d, "new"))
		return;
	set_current(100);
	if (!ASSERT_OK(dirtylimit__start(d, note, sizeof(note)), note))
		goto cleanup;
	/* the first pass: 65000 dirty pages fall by 1200 a second (2000
	 * sent, 800 dirtied again), 10 plans a second, and the planner says
	 * "not converging" all along: no limit */
	for (i = 0; i < 60; i++) {
		t += 0.1;
		rc = sync_at(d, t, 1 + i, 65000 - 120 * (uint64_t)i, false, 0.05,
			     note, sizeof(note));
		if (!ASSERT_EQ(rc, 0, "first pass: no limit"))
			break;
	}
	ASSERT_EQ(quota(), DIRTYLIMIT_MEASURE, "only measuring");
	/* stalled: the dirty pages fall by less than 1000 in 2 s; a small
	 * throttle is deepened past QEMU's dead band: 100 - 26 */
	for (i = 0, rc = 0; i < 40 && rc == 0; i++) {
		t += 0.1;
		/* a measure far off (the host was idle a moment): the free
		 * rate is the median of the last ones, not the highest */
		set_current(i >= 12 && i <= 16 ? 300 : 100);
		rc = sync_at(d, t, 100 + i, 8000 - 10 * (uint64_t)i, true, 0.05,
			     note, sizeof(note));
	}
	ASSERT_EQ(rc, 1, note);
	ASSERT_EQ(quota(), 100 - DIRTYLIMIT_DEADBAND - 1,
		  "past the dead band, from the median free rate");
	ASSERT_GE(i, 20, "after 2 s of it");
	/* dirtylimit__free lifts a limit still set */
	pthread_mutex_lock(&srv.mu);
	cancels = srv.cancels;
	pthread_mutex_unlock(&srv.mu);
	dirtylimit__free(d);
	d = NULL;
	pthread_mutex_lock(&srv.mu);
	ASSERT_EQ(srv.cancels, cancels + 1, "freed: lifted");
	pthread_mutex_unlock(&srv.mu);
	ASSERT_EQ(quota(), 0, "no limit left");
	/* no forecast advice: half the guest's time */
	d = dirtylimit__new(srv.path);
	if (!ASSERT_NOT_NULL(d, "new"))
		return;
	set_current(300);
	ASSERT_OK(dirtylimit__start(d, note, sizeof(note)), note);
	t = 20;
	rc = sync_until_change(d, &t, 0.1, 1, 9000, 0, 40, &i, note,
			       sizeof(note));
	ASSERT_EQ(rc, 1, note);
	ASSERT_EQ(quota(), 150, "no advice: 0.5");
cleanup:
	dirtylimit__free(d);
}

/* A dirtylimit measuring a free rate of `current` MB/s (QEMU's fake), or
 * NULL (an assertion failed). */
static struct dirtylimit *measuring(int current, char *note, size_t len)
{
	struct dirtylimit *d = dirtylimit__new(srv.path);

	if (!ASSERT_NOT_NULL(d, "new"))
		return NULL;
	set_current(current);
	if (!ASSERT_OK(dirtylimit__start(d, note, len), note)) {
		dirtylimit__free(d);
		return NULL;
	}
	return d;
}

/* A guest in its first pass: 15000 pages dirty against a budget of 2000,
 * a link of 2000 pages/s, the planner's advice 0.5. */
static const struct dirtylimit_input first_pass = {
	.remaining = 15000, .budget = 2000, .converging = false,
	.throttle = 0.5, .bandwidth_pages_s = 2000,
};

/* A guest that dirties pages almost as fast as the link carries them: in
 * its first pass the dirty pages hardly fall, yet no limit comes while
 * more pages than the budget were never sent; one comes after that, as
 * they fall by less than half of what the link carries. */
static void test_no_stall_before_first_pass_ends(void)
{
	struct dirtylimit_input in = first_pass;
	char note[320] = "";
	struct dirtylimit *d = measuring(200, note, sizeof(note));
	int i, rc = 0;

	if (!d)
		return;
	/* 6 s of first pass: 12000 never-sent pages fall by 200 a sync, the
	 * dirty pages by 60 (600 a second, under a third of the link) */
	for (i = 0, in.t_s = 10; i < 60; i++) {
		in.t_s += 0.1;
		in.iteration = 1 + (uint64_t)i;
		in.unsent = 12000 - 200 * (uint64_t)i;
		in.remaining = 15000 - 60 * (uint64_t)i;
		if (in.unsent <= in.budget)
			break;
		rc = dirtylimit__sync(d, &in, note, sizeof(note));
		if (!ASSERT_EQ(rc, 0, "never-sent pages above the budget: "
			       "no limit"))
			break;
	}
	ASSERT_EQ(quota(), DIRTYLIMIT_MEASURE, "only measuring");
	/* the first pass is over; the dirty pages fall by 700 a second, a
	 * third of the link: the guest dirties more than half of what the
	 * link carries (QEMU's auto-converge trigger): stalled, at once (the
	 * last DIRTYLIMIT_STALL_S showed it); with a quarter as the trigger
	 * it never would be */
	for (i = 0, rc = 0; i < 40 && rc == 0; i++) {
		in.t_s += 0.1;
		in.iteration++;
		in.unsent = 300;
		in.remaining -= 70;
		rc = dirtylimit__sync(d, &in, note, sizeof(note));
	}
	ASSERT_EQ(rc, 1, note);
	ASSERT_EQ(quota(), 100, "a limit: (1 - 0.5) x 200 MB/s");
	dirtylimit__free(d);
}

/* A first pass that makes no progress itself (the same pages never sent,
 * e.g. a link too slow for what the guest dirties) is a stall: the gate
 * above must not hold off the limit for ever. */
static void test_stalled_first_pass(void)
{
	struct dirtylimit_input in = first_pass;
	char note[320] = "";
	struct dirtylimit *d = measuring(200, note, sizeof(note));
	int i, rc = 0;

	if (!d)
		return;
	in.unsent = 9000;
	for (i = 0, in.t_s = 10; i < 40 && rc == 0; i++) {
		in.t_s += 0.1;
		in.iteration = 1 + (uint64_t)i;
		in.unsent -= 10;	/* 100 a second: under half the link */
		rc = dirtylimit__sync(d, &in, note, sizeof(note));
	}
	ASSERT_EQ(rc, 1, note);
	ASSERT_EQ(quota(), 100, "a limit: (1 - 0.5) x 200 MB/s");
	ASSERT_GE(i, 20, "after 2 s of it");
	dirtylimit__free(d);
}

static void test_qmp_failures(void)
{
	struct dirtylimit *d = dirtylimit__new("/nonexistent/precopy.qmp");
	char note[320] = "";

	if (!ASSERT_NOT_NULL(d, "new"))
		return;
	ASSERT_TRUE(dirtylimit__start(d, note, sizeof(note)) < 0, "no socket");
	ASSERT_TRUE(strstr(note, "dirty limit:") != NULL, note);
	ASSERT_TRUE(sync_at(d, 1, 2, 9000, false, 0.5, note, sizeof(note)) < 0,
		    "a sync retries and fails too");
	dirtylimit__free(d);
	/* QEMU refuses (no dirty ring): the reason is passed on */
	d = dirtylimit__new(srv.path);
	if (!ASSERT_NOT_NULL(d, "new"))
		return;
	pthread_mutex_lock(&srv.mu);
	srv.refuse_set = true;
	pthread_mutex_unlock(&srv.mu);
	ASSERT_TRUE(dirtylimit__start(d, note, sizeof(note)) < 0, "refused");
	ASSERT_TRUE(strstr(note, "requires KVM") != NULL, note);
	pthread_mutex_lock(&srv.mu);
	srv.refuse_set = false;
	pthread_mutex_unlock(&srv.mu);
	dirtylimit__free(d);
	ASSERT_TRUE(dirtylimit__new(NULL) == NULL, "a NULL path");
}

int main(void)
{
	if (start_server()) {
		printf("FAIL cannot start the fake QMP server\n");
		return 1;
	}
	RUN_TEST(test_stall_limit_tighten_lift);
	RUN_TEST(test_first_pass_verdict_dead_band);
	RUN_TEST(test_no_stall_before_first_pass_ends);
	RUN_TEST(test_stalled_first_pass);
	RUN_TEST(test_qmp_failures);
	unlink(srv.path);
	return harness_finish();
}
