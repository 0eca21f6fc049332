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

#endif /* PRECOPY_CLI_H */
