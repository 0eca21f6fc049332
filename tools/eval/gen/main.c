// SPDX-License-Identifier: GPL-2.0
/*
 * eval-gen - the parametric workload generator of `make eval`.
 *
 * Writes dirty-page traces (native PCTRACE1 format, user/lib/trace.h)
 * drawn from workload families of the live-migration literature; every
 * (family, seed) pair gives its own parameters and the same bytes on
 * every run. See catalog.h for the families, seeds and the tune/report
 * split, gen.h for the common parameters, fam_*.c for each model.
 *
 * It never overwrites a file it did not create: --out refuses an
 * existing path, and --cache writes only into a directory that holds its
 * marker file (it creates both when the directory is new or empty).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "gen.h"

#define CACHE_MARKER ".eval-gen-cache"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char usage[] =
	"Usage: eval-gen --family NAME --seed N --out FILE\n"
	"       eval-gen --cache DIR [--split tune|report|all] [--family NAME]\n"
	"                [--jobs N]\n"
	"       eval-gen --list [tune|report|all] [--cache DIR]\n"
	"       eval-gen --params --family NAME --seed N\n"
	"       eval-gen --describe\n"
	"\n"
	"Generate dirty-page traces of the evaluation's workload families\n"
	"(native trace format, 100 ms epochs). Same family and seed, same\n"
	"bytes. Seeds 1..%d of every family; odd seeds are the TUNE split,\n"
	"even seeds the REPORT split (never tune on it).\n"
	"\n"
	"  --out FILE     write one trace to FILE (refuses an existing FILE)\n"
	"  --cache DIR    write the traces of a split missing from DIR/v%d/\n"
	"                 (NAME.pctrace); DIR must be new, empty, or an\n"
	"                 eval-gen cache (it holds " CACHE_MARKER "); a new\n"
	"                 DIR is made with its missing parents\n"
	"  --jobs N       generate N traces at once (with --cache)\n"
	"  --list [SPLIT] print NAME FAMILY SEED SPLIT [PATH] per trace\n"
	"  --params       print the drawn parameters: NAME VALUE LO HI UNIT\n"
	"  --describe     print every family's model and parameter ranges\n"
	"                 (Markdown)\n"
	"  --version      print the generator version\n"
	"  --help         this text\n"
	"Families: kv gc oltp scan idle phase stream.\n";

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "eval-gen: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see eval-gen --help)\n");
	return 2;
}

static int parse_seed(const char *s, uint64_t *seed)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < 1)
		return -EINVAL;
	*seed = v;
	return 0;
}

/* One trace to FILE, never over an existing file. */
static int write_out(const struct gen_spec *s, const char *out)
{
	char part[4096], err[512];
	struct stat st;
	int ret;

	if (lstat(out, &st) == 0) {
		fprintf(stderr, "eval-gen: %s exists; refusing to overwrite "
			"it\n", out);
		return 1;
	}
	if (snprintf(part, sizeof(part), "%s.%d.part", out, (int)getpid()) >=
	    (int)sizeof(part)) {
		fprintf(stderr, "eval-gen: %s: path too long\n", out);
		return 1;
	}
	ret = gen__write(s, part, &stop, err, sizeof(err));
	if (ret) {
		unlink(part);
		fprintf(stderr, "eval-gen: %s\n", err);
		return ret == -EINTR ? 130 : 1;
	}
	if (link(part, out)) {	/* fails if out appeared meanwhile */
		fprintf(stderr, "eval-gen: %s: %s\n", out, strerror(errno));
		unlink(part);
		return 1;
	}
	unlink(part);
	return 0;
}

/* Create DIR and any missing parents (mkdir -p; a fresh tree has no
 * .cache/ yet). Existing directories are left as they are. Returns 0, or
 * -1 with a one-line error. */
static int make_dirs(const char *dir)
{
	char path[4096];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		fprintf(stderr, "eval-gen: %s: bad cache directory\n", dir);
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			fprintf(stderr, "eval-gen: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		if (i < n)
			path[i] = '/';
	}
	return 0;
}

/* DIR is ours: it holds the marker, or is new or empty (then mark it).
 * Missing parents of DIR are created. */
static int own_cache(const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int fd, empty = 1;

	snprintf(path, sizeof(path), "%s/" CACHE_MARKER, dir);
	if (access(path, F_OK) == 0)
		return 0;
	if (make_dirs(dir))
		return -1;
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "eval-gen: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty) {
		fprintf(stderr, "eval-gen: %s is not empty and has no %s: not "
			"an eval-gen cache, refusing to write there\n", dir,
			CACHE_MARKER);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 && errno != EEXIST) {
		fprintf(stderr, "eval-gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static void cache_path(char *buf, size_t len, const char *dir,
		       const struct family *f, uint64_t seed)
{
	snprintf(buf, len, "%s/v%d/%s-%llu.pctrace", dir, CATALOG_VERSION,
		 f->name, (unsigned long long)seed);
}

/* Write the trace of (f, seed) into the cache unless it is there. Returns
 * 0, 1 on error (message printed) or 130 when interrupted. */
static int cache_one(const char *dir, const struct family *f, uint64_t seed)
{
	char path[4096], part[4200], err[4400];
	struct gen_spec s;
	struct timespec t0, t1;
	struct stat st;
	int ret;

	cache_path(path, sizeof(path), dir, f, seed);
	if (stat(path, &st) == 0)
		return 0;
	snprintf(part, sizeof(part), "%s.%d.part", path, (int)getpid());
	gen__draw(f, seed, &s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = gen__write(&s, part, &stop, err, sizeof(err));
	if (!ret && rename(part, path)) {
		ret = -errno;
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
	}
	if (ret) {
		unlink(part);
		fprintf(stderr, "eval-gen: %s\n", err);
		return ret == -EINTR ? 130 : 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stat(path, &st);
	printf("eval-gen: wrote %s-%llu (%.0f MiB RAM, %.0f s, %.1f MiB, "
	       "%.1f s)\n", f->name, (unsigned long long)seed,
	       s.common[G_RAM], s.common[G_LEN], st.st_size / 1048576.0,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
	return 0;
}

struct sel {
	const struct family *fam;	/* NULL: all */
	enum split split;
};

/* Calls fn(arg, family, seed) for each trace of sel, in catalog order,
 * stopping at the first non-zero return, which it returns. */
static int for_each(const struct sel *sel,
		    int (*fn)(void *, const struct family *, uint64_t),
		    void *arg)
{
	unsigned int nr, i;
	const struct family *const *fams = catalog__families(&nr);
	uint64_t seed;
	int ret;

	for (i = 0; i < nr; i++) {
		if (sel->fam && sel->fam != fams[i])
			continue;
		for (seed = 1; seed <= CATALOG_SEEDS; seed++) {
			if (sel->split != SPLIT_ALL &&
			    catalog__split(seed) != sel->split)
				continue;
			ret = fn(arg, fams[i], seed);
			if (ret)
				return ret;
		}
	}
	return 0;
}

struct job_arg {
	const char *dir;
	unsigned int jobs, me, n;
};

static int job_fn(void *arg, const struct family *f, uint64_t seed)
{
	struct job_arg *a = arg;

	if (a->n++ % a->jobs != a->me)
		return 0;
	return cache_one(a->dir, f, seed);
}

static int run_cache(const char *dir, const struct sel *sel,
		     unsigned int jobs)
{
	char vdir[4096];
	pid_t pids[64];
	unsigned int i, started = 0;
	int ret = 0, status;

	if (own_cache(dir))
		return 1;
	snprintf(vdir, sizeof(vdir), "%s/v%d", dir, CATALOG_VERSION);
	if (mkdir(vdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "eval-gen: %s: %s\n", vdir, strerror(errno));
		return 1;
	}
	if (jobs <= 1) {
		struct job_arg a = { dir, 1, 0, 0 };

		return for_each(sel, job_fn, &a);
	}
	for (i = 0; i < jobs; i++) {
		pid_t p = fork();

		if (p < 0) {
			fprintf(stderr, "eval-gen: fork: %s\n", strerror(errno));
			ret = 1;
			break;
		}
		if (p == 0) {
			struct job_arg a = { dir, jobs, i, 0 };

			_exit(for_each(sel, job_fn, &a));
		}
		pids[started++] = p;
	}
	for (i = 0; i < started; i++) {
		while (waitpid(pids[i], &status, 0) < 0) {
			if (errno != EINTR)
				break;
			if (stop)	/* pass it on: children clean up */
				for (unsigned int j = 0; j < started; j++)
					kill(pids[j], SIGTERM);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = ret ?: (WIFEXITED(status) ?
				      WEXITSTATUS(status) : 1);
	}
	return stop ? 130 : ret;
}

struct list_arg {
	const char *dir;
};

static int list_fn(void *arg, const struct family *f, uint64_t seed)
{
	struct list_arg *a = arg;
	char path[4096];

	printf("%s-%llu %s %llu %s", f->name, (unsigned long long)seed,
	       f->name, (unsigned long long)seed,
	       catalog__split_name(catalog__split(seed)));
	if (a->dir) {
		cache_path(path, sizeof(path), a->dir, f, seed);
		printf(" %s", path);
	}
	printf("\n");
	return 0;
}

static void describe_params(const struct param_spec *p, unsigned int n)
{
	static const char *const kinds[] = { "uniform", "log-uniform",
					     "integer", "integer, log-uniform" };

	printf("| parameter | range | draw | meaning |\n|---|---|---|---|\n");
	for (unsigned int i = 0; i < n; i++)
		printf("| `%s` | %.6g .. %.6g%s%s | %s | %s |\n", p[i].name,
		       p[i].lo, p[i].hi, *p[i].unit ? " " : "", p[i].unit,
		       kinds[p[i].kind], p[i].doc);
	printf("\n");
}

static void describe(void)
{
	unsigned int nr, i;
	const struct family *const *fams = catalog__families(&nr);

	printf("Generator version %d; seeds 1..%d per family; odd seeds: "
	       "tune split, even seeds: report split.\n\n", CATALOG_VERSION,
	       CATALOG_SEEDS);
	printf("**Every family** (guest and kernel background):\n\n");
	describe_params(gen_common_params, G_NR);
	for (i = 0; i < nr; i++) {
		printf("**%s**: %s.\n\n", fams[i]->name, fams[i]->model);
		describe_params(fams[i]->params, fams[i]->nr_params);
	}
}

enum { O_FAMILY = 0x100, O_SEED, O_OUT, O_CACHE, O_SPLIT, O_JOBS, O_LIST,
       O_PARAMS, O_DESCRIBE, O_VERSION, O_HELP };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "family", required_argument, NULL, O_FAMILY },
		{ "seed", required_argument, NULL, O_SEED },
		{ "out", required_argument, NULL, O_OUT },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "split", required_argument, NULL, O_SPLIT },
		{ "jobs", required_argument, NULL, O_JOBS },
		{ "list", optional_argument, NULL, O_LIST },
		{ "params", no_argument, NULL, O_PARAMS },
		{ "describe", no_argument, NULL, O_DESCRIBE },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *cache = NULL, *list = NULL;
	struct sel sel = { NULL, SPLIT_ALL };
	int do_list = 0, do_params = 0, c;
	uint64_t seed = 0;
	unsigned long jobs = 1;
	struct sigaction sa = { .sa_handler = on_signal };
	struct gen_spec s;
	char *end;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_FAMILY:
			sel.fam = catalog__find(optarg);
			if (!sel.fam)
				return bad("unknown family '%s'", optarg);
			break;
		case O_SEED:
			if (parse_seed(optarg, &seed))
				return bad("bad seed '%s': a positive integer",
					   optarg);
			break;
		case O_OUT:
			out = optarg;
			break;
		case O_CACHE:
			cache = optarg;
			break;
		case O_SPLIT:
			if (catalog__parse_split(optarg, &sel.split))
				return bad("unknown split '%s': tune, report or "
					   "all", optarg);
			break;
		case O_JOBS:
			errno = 0;
			jobs = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || jobs < 1 ||
			    jobs > 64)
				return bad("bad --jobs '%s': 1..64", optarg);
			break;
		case O_LIST:
			do_list = 1;
			list = optarg;
			if (!list && optind < argc && argv[optind][0] != '-')
				list = argv[optind++];
			break;
		case O_PARAMS:
			do_params = 1;
			break;
		case O_DESCRIBE:
			describe();
			return 0;
		case O_VERSION:
			printf("eval-gen %d\n", CATALOG_VERSION);
			return 0;
		case O_HELP:
			printf(usage, CATALOG_SEEDS, CATALOG_VERSION);
			return 0;
		default:
			return bad("%s", "bad option");
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (do_list) {
		struct list_arg a = { cache };

		if (list && catalog__parse_split(list, &sel.split))
			return bad("unknown split '%s': tune, report or all",
				   list);
		return for_each(&sel, list_fn, &a);
	}
	if (do_params || out) {
		if (!sel.fam || !seed)
			return bad("%s", "--family and --seed are needed");
		gen__draw(sel.fam, seed, &s);
		if (do_params) {
			gen__print_params(stdout, &s);
			return 0;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (out)
		return write_out(&s, out);
	if (cache) {
		if (seed)
			return bad("%s", "--seed goes with --out or --params");
		return run_cache(cache, &sel, (unsigned int)jobs);
	}
	return bad("%s", "nothing to do: --out, --cache, --list, --params or "
		   "--describe");
}
