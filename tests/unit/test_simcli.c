// SPDX-License-Identifier: GPL-2.0
/* test_simcli.c - precopy-sim as scripts use it: the JSON contract, every
 * trace encoding (plain, gzip, zlib, native), the sweep outputs, and a
 * clear one-line error with a non-zero exit for truncated or corrupt
 * traces and bad arguments. Runs $OUT/bin/precopy-sim (OUT defaults to
 * build). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "util/json.h"
#include "sim/sim_report.h"
#include "tracefile/trace.h"

static char bin[2048], dir[] = "/tmp/test_simcli.XXXXXX";

struct out {
	int status;
	char stdout_buf[65536], stderr_buf[4096];
};

/* Run precopy-sim with args (NULL-terminated); capture both streams. */
static int sim(struct out *o, const char *const *args)
{
	char so[4200], se[4200], cmd[8192];
	size_t n = 0;
	unsigned int i;
	FILE *f;

	snprintf(so, sizeof(so), "%s/stdout", dir);
	snprintf(se, sizeof(se), "%s/stderr", dir);
	n += snprintf(cmd + n, sizeof(cmd) - n, "'%s'", bin);
	for (i = 0; args[i]; i++)
		n += snprintf(cmd + n, sizeof(cmd) - n, " '%s'", args[i]);
	snprintf(cmd + n, sizeof(cmd) - n, " >%s 2>%s", so, se);
	o->status = system(cmd);
	o->status = WIFEXITED(o->status) ? WEXITSTATUS(o->status) : 128;
	memset(o->stdout_buf, 0, sizeof(o->stdout_buf));
	memset(o->stderr_buf, 0, sizeof(o->stderr_buf));
	f = fopen(so, "r");
	if (f) {
		if (!fread(o->stdout_buf, 1, sizeof(o->stdout_buf) - 1, f))
			o->stdout_buf[0] = 0;
		fclose(f);
	}
	f = fopen(se, "r");
	if (f) {
		if (!fread(o->stderr_buf, 1, sizeof(o->stderr_buf) - 1, f))
			o->stderr_buf[0] = 0;
		fclose(f);
	}
	return o->status;
}

static unsigned int lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A hot/cold trace of 512 pages, 40 epochs of 100 ms, in format fmt. */
static int write_trace(const char *path, enum trace_format fmt)
{
	struct trace_header h;
	struct trace_writer *w;
	unsigned int e, p;

	if (trace_header__init(&h, 4096, 512))
		return -1;
	w = trace_writer__open(path, fmt, &h);
	if (!w)
		return -1;
	for (e = 0; e < 40; e++) {
		uint64_t t = e * 100000ULL;

		trace_writer__mark_epoch(w, t);
		for (p = 0; p < 8; p++)
			trace_writer__write_event(w, t + p, p);
		for (p = 0; p < 10; p++)
			trace_writer__write_event(w, t + 10 + p,
						  8 + (e * 10 + p) % 504);
	}
	trace_writer__mark_end(w, 40 * 100000ULL);
	return trace_writer__close(w);
}

static char *path_in(const char *name)
{
	static char buf[8][4200];
	static unsigned int i;
	char *b = buf[i++ % 8];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static void test_json_contract(void)
{
	const char *fmts[] = { "t.txt", "t.gz", "t.zlib", "t.pctrace" };
	enum trace_format ff[] = { TRACE_FMT_TEXT, TRACE_FMT_TEXT_GZ,
				   TRACE_FMT_TEXT_ZLIB, TRACE_FMT_NATIVE };
	const char *keys[] = { "version", "algo", "total_time_ms",
			       "downtime_ms", "sent_pages", "iterations",
			       "converged" };
	static struct out o;
	char err[128];
	unsigned int i, k;

	for (i = 0; i < 4; i++) {
		const char *args[] = { "--trace", path_in(fmts[i]), "--algo",
				       "prob", "--bandwidth", "2",
				       "--downtime-limit", "300", "--json",
				       NULL };
		struct json *j;

		if (!ASSERT_OK(write_trace(args[1], ff[i]), "write trace"))
			return;
		if (!ASSERT_EQ(sim(&o, args), 0, fmts[i])) {
			printf("  %s", o.stderr_buf);
			continue;
		}
		ASSERT_EQ(lines(o.stdout_buf), 1, "one line");
		j = json_parse(o.stdout_buf, strlen(o.stdout_buf), err,
			       sizeof(err));
		if (!ASSERT_NOT_NULL(j, "valid JSON"))
			continue;
		for (k = 0; k < 7; k++)
			ASSERT_NOT_NULL(json_get(j, keys[k]), keys[k]);
		ASSERT_STREQ(json_get(j, "algo")->str, "prob", "algo");
		ASSERT_TRUE(json_get(j, "converged")->type == JSON_TRUE ||
			    json_get(j, "converged")->type == JSON_FALSE,
			    "converged is a boolean");
		ASSERT_TRUE(json_get(j, "sent_pages")->is_int &&
			    json_get(j, "sent_pages")->i64 >= 512, "pages");
		ASSERT_TRUE(json_get(j, "version")->is_int &&
			    json_get(j, "version")->i64 == SIM_JSON_VERSION,
			    "version");
		json_free(j);
	}
	{
		const char *args[] = { "--trace", path_in("t.gz"),
				       "--bandwidth", "2", "--json", NULL };

		ASSERT_EQ(sim(&o, args), 0, "all algorithms");
		ASSERT_EQ(lines(o.stdout_buf), 5, "one line per algorithm");
	}
	{
		const char *args[] = { "--trace", path_in("t.gz"),
				       "--bandwidth", "2", NULL };

		ASSERT_EQ(sim(&o, args), 0, "table");
		ASSERT_TRUE(strstr(o.stdout_buf, "pages_sent") &&
			    strstr(o.stdout_buf, "oracle"), "human table");
	}
}

/* The default rules are QEMU's: the sync dirty log and qemu's sync at the
 * threshold (what tools/eval/sim-vs-e2e checks against the patched QEMU),
 * and they are not the exact log's. */
static void test_default_rules(void)
{
	static struct out def, qemu, exact;
	const char *a_def[] = { "--trace", path_in("t.gz"), "--algo",
				"qemu,prob", "--bandwidth", "2", "--json",
				NULL };
	const char *a_qemu[] = { "--trace", path_in("t.gz"), "--algo",
				 "qemu,prob", "--bandwidth", "2", "--json",
				 "--dirty-log", "sync", "--param",
				 "qemu.threshold_sync=1", NULL };
	const char *a_exact[] = { "--trace", path_in("t.gz"), "--algo",
				  "qemu,prob", "--bandwidth", "2", "--json",
				  "--dirty-log", "exact", "--param",
				  "qemu.threshold_sync=0", NULL };

	if (!ASSERT_OK(write_trace(a_def[1], TRACE_FMT_TEXT_GZ), "trace") ||
	    !ASSERT_EQ(sim(&def, a_def), 0, "defaults") ||
	    !ASSERT_EQ(sim(&qemu, a_qemu), 0, "QEMU's rules") ||
	    !ASSERT_EQ(sim(&exact, a_exact), 0, "exact log"))
		return;
	if (!ASSERT_TRUE(!strcmp(def.stdout_buf, qemu.stdout_buf),
			 "the defaults are QEMU's rules"))
		printf("  defaults:\n%s  QEMU's rules:\n%s", def.stdout_buf,
		       qemu.stdout_buf);
	ASSERT_TRUE(strcmp(def.stdout_buf, exact.stdout_buf) != 0,
		    "the exact log gives other results");
}

static unsigned long long json_num(const char *s, const char *key)
{
	const char *x = strstr(s, key);

	return x ? strtoull(x + strlen(key), NULL, 10) : 0;
}

/* A STOP that QEMU refuses leaves an iteration to QEMU's own rule: prob
 * must follow qemu.threshold_sync there (1: sync once what is unsent
 * fits the budget; 0: a whole pass). On the sequential sweep at 64 MiB/s
 * with prob.handover=0 the plan hands over and QEMU refuses STOPs. */
static void test_prob_follows_qemu_sync_rule(void)
{
	static struct out o1, o0;
	const char *trace = "tests/data/vm/seqsweep.pctrace";
	const char *a1[] = { "--trace", trace, "--algo", "prob", "--bandwidth",
			     "64", "--json", "--param", "prob.handover=0",
			     "--param", "qemu.threshold_sync=1", NULL };
	const char *a0[] = { "--trace", trace, "--algo", "prob", "--bandwidth",
			     "64", "--json", "--param", "prob.handover=0",
			     "--param", "qemu.threshold_sync=0", NULL };
	struct stat st;
	unsigned long long i1, i0;

	if (stat(trace, &st)) {
		TEST_SKIP("no tests/data/vm/seqsweep.pctrace (run from the tree)");
		return;
	}
	if (!ASSERT_EQ(sim(&o1, a1), 0, "threshold syncs") ||
	    !ASSERT_EQ(sim(&o0, a0), 0, "pass-end syncs (prob alone takes "
		       "qemu.threshold_sync)"))
		return;
	i1 = json_num(o1.stdout_buf, "\"iterations\":");
	i0 = json_num(o0.stdout_buf, "\"iterations\":");
	printf("  prob's iterations: %llu with threshold syncs, %llu with "
	       "pass-end syncs\n", i1, i0);
	ASSERT_GE(i1, i0 + 1, "QEMU's refused-STOP iterations end at its "
		  "threshold, more of them than whole passes");
}

static void test_sweep(void)
{
	const char *args[] = { "--trace", path_in("t.gz"), "--sweep", "1,2,8",
			       "--out", path_in("sw"), NULL };
	static struct out o;
	char buf[256];
	FILE *f;

	if (!ASSERT_EQ(sim(&o, args), 0, "sweep")) {
		printf("  %s", o.stderr_buf);
		return;
	}
	f = fopen(path_in("sw.csv"), "r");
	if (!ASSERT_NOT_NULL(f, "csv"))
		return;
	{
		unsigned int n = 0;

		while (fgets(buf, sizeof(buf), f))
			n++;
		ASSERT_EQ(n, 1 + 3 * 5, "header + 3 bandwidths x 5 algorithms");
	}
	fclose(f);
	f = fopen(path_in("sw.svg"), "r");
	if (!ASSERT_NOT_NULL(f, "svg"))
		return;
	ASSERT_TRUE(fgets(buf, sizeof(buf), f) && !strncmp(buf, "<?xml", 5),
		    "an SVG document");
	fclose(f);
}

static void copy_prefix(const char *from, const char *to, double share,
			int flip_at)
{
	char buf[1 << 16];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n, total, keep;

	if (!in || !out)
		goto out;
	fseek(in, 0, SEEK_END);
	total = ftell(in);
	fseek(in, 0, SEEK_SET);
	keep = (size_t)(total * share);
	while (keep && (n = fread(buf, 1, keep < sizeof(buf) ? keep :
				  sizeof(buf), in)) > 0) {
		if (flip_at >= 0 && (size_t)flip_at < n)
			buf[flip_at] ^= 0x5a;
		flip_at -= (int)n;
		fwrite(buf, 1, n, out);
		keep -= n;
	}
out:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}

/* A bad trace: exit status 1, one line on stderr naming the file. */
static void expect_bad(const char *file, const char *what, const char *word)
{
	const char *args[] = { "--trace", file, "--bandwidth", "2", NULL };
	static struct out o;

	ASSERT_EQ(sim(&o, args), 1, what);
	ASSERT_EQ(lines(o.stderr_buf), 1, "one line");
	ASSERT_TRUE(strstr(o.stderr_buf, "precopy-sim: ") == o.stderr_buf,
		    "prefixed");
	ASSERT_TRUE(strstr(o.stderr_buf, file) != NULL, "names the file");
	if (!ASSERT_TRUE(strstr(o.stderr_buf, word) != NULL, what))
		printf("  stderr: %s", o.stderr_buf);
	ASSERT_EQ(o.stdout_buf[0], 0, "no output");
}

static void test_bad_traces(void)
{
	const char *gz = path_in("t.gz"), *txt = path_in("t.txt");
	const char *nat = path_in("t.pctrace");

	copy_prefix(gz, path_in("trunc.gz"), 0.5, -1);
	expect_bad(path_in("trunc.gz"), "truncated gzip", "truncated");
	copy_prefix(txt, path_in("trunc.txt"), 0.5, -1);
	expect_bad(path_in("trunc.txt"), "truncated text", "line");
	copy_prefix(nat, path_in("trunc.pctrace"), 0.6, -1);
	expect_bad(path_in("trunc.pctrace"), "truncated native", "byte");
	copy_prefix(nat, path_in("flip.pctrace"), 1.0, 200);
	expect_bad(path_in("flip.pctrace"), "corrupt native", "byte");
	copy_prefix(gz, path_in("flip.gz"), 1.0, 100);
	expect_bad(path_in("flip.gz"), "corrupt gzip", "t");
	copy_prefix(txt, path_in("empty.txt"), 0.0, -1);
	expect_bad(path_in("empty.txt"), "empty file", "empty.txt");
	expect_bad(path_in("missing.gz"), "missing file", "No such file");
}

static void test_bad_arguments(void)
{
	const char *a1[] = { "--trace", path_in("t.gz"), "--bandwidth", "-3",
			     NULL };
	const char *a2[] = { "--trace", path_in("t.gz"), "--bandwidth", "2",
			     "--algo", "magic", NULL };
	const char *a3[] = { "--bandwidth", "2", NULL };
	const char *a4[] = { "--trace", path_in("t.gz"), "--bandwidth", "2",
			     "--param", "prob.defer_risk=7", NULL };
	const char *a5[] = { "--trace", path_in("t.gz"), "--bandwidth", "2",
			     "--start-ms", "99999", NULL };
	static struct out o;

	ASSERT_NE(sim(&o, a1), 0, "negative bandwidth");
	ASSERT_TRUE(strstr(o.stderr_buf, "bandwidth") != NULL, "says which");
	ASSERT_NE(sim(&o, a2), 0, "unknown algorithm");
	ASSERT_TRUE(strstr(o.stderr_buf, "magic") != NULL, "names it");
	ASSERT_NE(sim(&o, a3), 0, "no trace");
	ASSERT_EQ(sim(&o, a4), 1, "bad parameter");
	ASSERT_TRUE(strstr(o.stderr_buf, "defer_risk") != NULL, "names it");
	ASSERT_EQ(sim(&o, a5), 1, "start past the end");
	ASSERT_EQ(lines(o.stderr_buf), 1, "one line");
}

static void test_not_built(void)
{
	TEST_SKIP("precopy-sim is not built in $OUT/bin (run make)");
}

int main(void)
{
	const char *out = getenv("OUT");
	struct stat st;

	snprintf(bin, sizeof(bin), "%s/bin/precopy-sim", out ? out : "build");
	if (stat(bin, &st)) {
		RUN_TEST(test_not_built);
		return harness_finish();
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN_TEST(test_json_contract);
	RUN_TEST(test_default_rules);
	RUN_TEST(test_prob_follows_qemu_sync_rule);
	RUN_TEST(test_sweep);
	RUN_TEST(test_bad_traces);
	RUN_TEST(test_bad_arguments);
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return harness_finish();
}
