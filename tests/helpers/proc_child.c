// SPDX-License-Identifier: GPL-2.0
/*
 * proc_child.c - a program with known writes, for the process tracer's tests.
 *
 * proc_child epochs SEED   Maps region A (64 pages, all touched at start) and
 *     region B (64 pages, untouched). Prints "ready A B" (addresses in hex)
 *     and then, for every 'w' read on stdin, writes one epoch: a random
 *     subset of A with user stores, two pages of A through read(2) from a
 *     pipe (kernel-mode writes), and the next page of B for the first time;
 *     on the 5th 'w' it also maps region C (16 pages) and writes all of it.
 *     Region S (16 pages, MAP_SHARED anonymous) has every page read at
 *     start and one page written per epoch (a read fault maps shared pages
 *     writable: the tracer must still see the first write).
 *     After each epoch it prints "done K a:N... b:N s:N c@ADDR" (page
 *     numbers inside the regions) and waits. 'q' exits 0.
 * proc_child compute N     Fills and mixes N MiB of heap memory, prints a
 *     checksum (the same with and without the tracer) on stdout and the
 *     time the work took ("elapsed SECONDS") on stderr.
 * proc_child crash         Writes memory for 300 ms, then abort()s.
 * proc_child hold          Writes a page, prints "held", waits for stdin EOF.
 * proc_child fork          Forks; parent and child each write 8 pages of a
 *     fresh mapping every 20 ms for 600 ms; prints the child's pid.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "../rng.h"

#define PAGE 4096

static uint64_t rng = RNG_SEED;

static char *map_pages(size_t n)
{
	char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise(p, n * PAGE, MADV_NOHUGEPAGE);
	return p;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int run_epochs(void)
{
	char *a = map_pages(64), *b = map_pages(64), *c = NULL, *sh;
	int pfd[2], k = 0, nb = 0, i;
	volatile char sink = 0;
	char cmd, line[4096];
	size_t len;

	memset(a, 1, 64 * PAGE);
	sh = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || pipe(pfd))
		return 1;
	printf("ready %lx %lx %lx\n", (unsigned long)a, (unsigned long)b,
	       (unsigned long)sh);
	fflush(stdout);
	while (read(0, &cmd, 1) == 1 && cmd == 'w') {
		unsigned char hit[64] = { 0 };

		len = snprintf(line, sizeof(line), "done %d", k);
		for (i = 0; i < 12; i++)
			hit[rng_next(&rng) % 64] = 1;
		for (i = 0; i < 64; i++)
			if (hit[i])
				a[i * PAGE + (rng_next(&rng) % PAGE)]++;
		/* Two pages written by the kernel on our behalf. */
		for (i = 0; i < 2; i++) {
			int pg = rng_next(&rng) % 64;

			if (write(pfd[1], "kernel!", 8) != 8 ||
			    read(pfd[0], a + pg * PAGE + 16, 8) != 8)
				return 1;
			hit[pg] = 1;
		}
		for (i = 0; i < 64; i++)
			if (hit[i])
				len += snprintf(line + len, sizeof(line) - len,
						" a:%d", i);
		/* Read all of S (maps its pages), write one page of it. */
		for (i = 0; i < 16; i++)
			sink += sh[i * PAGE];
		sh[(k % 16) * PAGE + 8] = (char)(k + sink);
		len += snprintf(line + len, sizeof(line) - len, " s:%d", k % 16);
		if (nb < 64) {
			b[nb * PAGE] = 7;
			len += snprintf(line + len, sizeof(line) - len,
					" b:%d", nb++);
		}
		if (k == 4) {
			c = map_pages(16);
			memset(c, 3, 16 * PAGE);
			len += snprintf(line + len, sizeof(line) - len,
					" c@%lx", (unsigned long)c);
		}
		snprintf(line + len, sizeof(line) - len, "\n");
		/* One write(2), then straight back to read(2). */
		if (write(1, line, strlen(line)) < 0)
			return 1;
		k++;
	}
	return 0;
}

static int run_compute(long mib)
{
	size_t n = (size_t)mib << 20, i;
	uint64_t *m = malloc(n), sum = 0;
	double t0;

	if (!m)
		return 1;
	t0 = clock_now_s();
	for (i = 0; i < n / 8; i++)
		m[i] = i * 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 4; round++)
		for (i = 0; i < n / 8; i++) {
			size_t j = rng_next(&rng) % (n / 8);
			uint64_t t = m[i];

			m[i] = m[j] ^ (t >> 3);
			m[j] = t + round;
		}
	for (i = 0; i < n / 8; i++)
		sum = sum * 31 + m[i];
	printf("checksum %016llx\n", (unsigned long long)sum);
	fprintf(stderr, "elapsed %.6f\n", clock_now_s() - t0);
	free(m);
	return 0;
}

static int run_crash(void)
{
	char *p = map_pages(256);

	for (int t = 0; t < 30; t++) {
		for (int i = 0; i < 256; i += 3)
			p[i * PAGE] = t;
		msleep(10);
	}
	abort();
}

static int run_hold(void)
{
	char *p = map_pages(4), c;

	p[0] = 1;
	printf("held\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		p[PAGE] = c;
	return 0;
}

static int run_fork(void)
{
	pid_t pid;
	char *p;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	p = map_pages(8);
	for (int t = 0; t < 30; t++) {
		for (int i = 0; i < 8; i++)
			p[i * PAGE] = t;
		msleep(20);
	}
	if (!pid)
		_exit(0);
	printf("child %d\n", (int)pid);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "epochs")) {
		if (argc >= 3)
			rng ^= strtoull(argv[2], NULL, 0);
		return run_epochs();
	}
	if (argc >= 3 && !strcmp(argv[1], "compute"))
		return run_compute(atol(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "crash"))
		return run_crash();
	if (argc >= 2 && !strcmp(argv[1], "hold"))
		return run_hold();
	if (argc >= 2 && !strcmp(argv[1], "fork"))
		return run_fork();
	fprintf(stderr, "usage: proc_child epochs SEED | compute MIB | crash | "
		"hold | fork\n");
	return 2;
}
