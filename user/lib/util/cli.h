/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - the command-line conventions every precopy command shares.
 *
 * Exit statuses (README "Command-line conventions"):
 *   0   success
 *   1   failure at run time (a file that cannot be written, a VM that
 *       dies, a migration that fails)
 *   2   a bad value on the command line (a number out of range, an
 *       unknown name, a path that cannot be used)
 *   64  wrong usage: unknown option, missing or unexpected argument,
 *       options that exclude each other or do not apply in this mode
 *
 * Options every command has: -h/--help, --usage, -V/--version. Short
 * options that several commands have mean the same in each:
 *   -b MIBPS bandwidth, -d MS downtime limit, -E MS epoch length,
 *   -j JSON output, -m MIB guest memory, -o FILE output file,
 *   -p PID process to trace, -t FILE a dirty trace file (read or
 *   written), -v more detail on stderr.
 */
#ifndef PRECOPY_CLI_H
#define PRECOPY_CLI_H

#include <argp.h>
#include <signal.h>
#include <sys/types.h>

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_BAD_VALUE = 2,
	CLI_EXIT_USAGE = 64,
};

/*
 * cli_parse() parses argv with argp plus the shared -h/--help, --usage and
 * -V/--version (printed from argp_program_version). Help and version exit
 * 0; argp's own errors (unknown option, missing argument) exit
 * CLI_EXIT_USAGE. flags are argp_parse()'s. Returns 0; exits on errors.
 * It also makes the program exit with CLI_EXIT_FAILURE, with a one-line
 * message, when standard output could not be written in full (a full
 * disk, /dev/full): checked at exit, whatever main() returns.
 */
int cli_parse(const struct argp *argp, int argc, char **argv,
	      unsigned int flags, int *arg_index);

/*
 * cli_usage_error() prints "PROG: MESSAGE (see --help)" on one line to
 * stderr and exits with CLI_EXIT_USAGE: for unexpected arguments and
 * options that do not go together. Never returns.
 */
void cli_usage_error(const struct argp_state *state, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * cli_value_error() is the same for a bad value of an option (a number
 * out of range, an unknown name, an unusable path) and exits with
 * CLI_EXIT_BAD_VALUE. state may be NULL after parsing. Never returns.
 */
void cli_value_error(const struct argp_state *state, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * cli_parse_num() parses arg as a number in [min, max] (strtod syntax,
 * nothing after it). On anything else it reports "invalid WHAT 'ARG'
 * (expected MIN..MAX)" through cli_value_error() and never returns.
 */
double cli_parse_num(const char *arg, double min, double max,
		     const struct argp_state *state, const char *what);

/*
 * The values several commands take, with one range each, reported as
 * cli_parse_num() does:
 *   cli_parse_pid()           a process id, 1..4194304 (PID_MAX_LIMIT);
 *   cli_parse_bandwidth_mib() a link bandwidth in MiB/s, 0.001..1e7;
 *   cli_parse_downtime_ms()   a downtime limit in ms, 1..3.6e6 (an hour);
 *   cli_parse_epoch_ms()      a tracker epoch in ms, 10..60000.
 */
pid_t cli_parse_pid(const char *arg, const struct argp_state *state);
double cli_parse_bandwidth_mib(const char *arg, const struct argp_state *state);
double cli_parse_downtime_ms(const char *arg, const struct argp_state *state);
unsigned int cli_parse_epoch_ms(const char *arg,
				const struct argp_state *state);

/*
 * cli_exiting becomes 1 at the first SIGINT or SIGTERM once
 * cli_catch_stop_signals() has run: the stop flag of a command's main
 * loop. A blocking call the signal interrupts returns EINTR.
 */
extern volatile sig_atomic_t cli_exiting;

/* cli_catch_stop_signals() installs the handler of SIGINT and SIGTERM
 * that sets cli_exiting. Cannot fail. */
void cli_catch_stop_signals(void);

/*
 * cli_check_output() checks, before any work is done, that a file named
 * on the command line can be created or replaced: its folder exists and
 * is writable, and the path is not a folder. what names the option
 * ("--heatmap"). Returns 0, or exits through cli_value_error() with the
 * reason. The file itself is neither created nor touched.
 */
int cli_check_output(const char *path, const char *what);

#endif /* PRECOPY_CLI_H */
