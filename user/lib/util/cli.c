// SPDX-License-Identifier: GPL-2.0
/* cli.c - shared command-line conventions (see cli.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_USAGE = 0x7f01 };

static const struct argp_option common_opts[] = {
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the program version", -1 },
	{},
};

/* A stream that drops what is written to it. */
static ssize_t discard_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)size;
}

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	extern const char *argp_program_version;
	static FILE *discard;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		/* getopt has already said what is wrong, on one line: drop
		 * argp's second line ("Try `PROG --help' ..."). */
		if (!discard)
			discard = fopencookie(NULL, "w", (cookie_io_functions_t){
						.write = discard_write });
		if (discard)
			state->err_stream = discard;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case OPT_USAGE:
		argp_state_help(state, stdout,
				ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		break;
	case 'V':
		printf("%s\n", argp_program_version ? argp_program_version
						    : state->name);
		exit(CLI_EXIT_OK);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp common_argp = { common_opts, common_parse, NULL,
					 NULL, NULL, NULL, NULL };

/* At exit: a result that could not be written (a full disk, /dev/full)
 * fails the command, whatever main() returned. A reader that went away
 * (EPIPE) is not an error worth a message. */
static void close_stdout(void)
{
	bool failed = ferror(stdout);
	int err = errno;

	if (fclose(stdout))
		failed = true, err = errno;
	else if (failed && !err)
		err = EIO;
	if (failed && err != EPIPE) {
		fprintf(stderr, "%s: cannot write the output: %s\n",
			program_invocation_short_name, strerror(err));
		_exit(CLI_EXIT_FAILURE);
	}
}

int cli_parse(const struct argp *argp, int argc, char **argv,
	      unsigned int flags, int *arg_index)
{
	static const struct argp_child children[] = {
		{ &common_argp, 0, NULL, -1 },
		{},
	};
	struct argp a = *argp;
	error_t err;

	a.children = children;
	if (argc > 0) /* getopt names the program by argv[0] */
		argv[0] = program_invocation_short_name;
	argp_err_exit_status = CLI_EXIT_USAGE;
	atexit(close_stdout);
	err = argp_parse(&a, argc, argv, flags | ARGP_NO_HELP, arg_index, NULL);
	if (err) {
		fprintf(stderr, "%s: %s (see --help)\n",
			program_invocation_short_name, strerror(err));
		exit(CLI_EXIT_USAGE);
	}
	return 0;
}

static void __attribute__((noreturn))
vexit_error(const struct argp_state *state, int status, const char *fmt,
	    va_list ap)
{
	fprintf(stderr, "%s: ", state && state->name
					? state->name
					: program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see --help)\n");
	exit(status);
}

void cli_usage_error(const struct argp_state *state, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexit_error(state, CLI_EXIT_USAGE, fmt, ap);
}

void cli_value_error(const struct argp_state *state, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexit_error(state, CLI_EXIT_BAD_VALUE, fmt, ap);
}

double cli_parse_num(const char *arg, double min, double max,
		     const struct argp_state *state, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !(v >= min && v <= max))
		cli_value_error(state, "invalid %s '%s' (expected %g..%g)", what,
				arg, min, max);
	return v;
}

pid_t cli_parse_pid(const char *arg, const struct argp_state *state)
{
	pid_t pid = (pid_t)cli_parse_num(arg, 1, 4194304, state, "pid");

	if (strchr(arg, '.') || strchr(arg, 'e') || strchr(arg, 'E'))
		cli_value_error(state, "invalid pid '%s'", arg);
	return pid;
}

double cli_parse_bandwidth_mib(const char *arg, const struct argp_state *state)
{
	return cli_parse_num(arg, 0.001, 1e7, state, "bandwidth");
}

double cli_parse_downtime_ms(const char *arg, const struct argp_state *state)
{
	return cli_parse_num(arg, 1, 3.6e6, state, "downtime limit");
}

unsigned int cli_parse_epoch_ms(const char *arg,
				const struct argp_state *state)
{
	return (unsigned int)cli_parse_num(arg, 10, 60000, state, "epoch");
}

volatile sig_atomic_t cli_exiting;

static void on_stop_signal(int sig)
{
	(void)sig;
	cli_exiting = 1;
}

void cli_catch_stop_signals(void)
{
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
}

int cli_check_output(const char *path, const char *what)
{
	char buf[PATH_MAX], *dir;
	struct stat st;

	if (!path || !*path)
		cli_value_error(NULL, "%s: empty path", what);
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		cli_value_error(NULL, "%s %s: is a folder", what, path);
	if (strlen(path) >= sizeof(buf))
		cli_value_error(NULL, "%s: path too long", what);
	strcpy(buf, path);
	dir = dirname(buf);
	if (stat(dir, &st))
		cli_value_error(NULL, "%s %s: folder %s: %s", what, path, dir,
				strerror(errno));
	if (!S_ISDIR(st.st_mode))
		cli_value_error(NULL, "%s %s: %s is not a folder", what, path,
				dir);
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS))
		cli_value_error(NULL, "%s %s: cannot write in %s: %s", what,
				path, dir, strerror(errno));
	return 0;
}
