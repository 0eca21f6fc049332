/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - shared command-line helpers of the precopy commands. */
#ifndef PRECOPY_CLI_H
#define PRECOPY_CLI_H

#include <argp.h>

/*
 * cli_usage_error() prints "PROG: MESSAGE (see --help)" on one line to
 * stderr and exits with status 2. For bad command-line values inside an
 * argp parser; never returns.
 */
void cli_usage_error(const struct argp_state *state, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * cli_parse_num() parses arg as a number in [min, max] (strtod syntax,
 * nothing after it). On anything else it reports "invalid WHAT 'ARG'
 * (expected MIN..MAX)" through cli_usage_error() and never returns.
 */
double cli_parse_num(const char *arg, double min, double max,
		     const struct argp_state *state, const char *what);

#endif /* PRECOPY_CLI_H */
