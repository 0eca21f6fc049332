// SPDX-License-Identifier: GPL-2.0
/* cli.c - shared command-line helpers (see cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

void cli_usage_error(const struct argp_state *state, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", state && state->name ? state->name : "precopy");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

double cli_parse_num(const char *arg, double min, double max,
		     const struct argp_state *state, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !(v >= min && v <= max))
		cli_usage_error(state, "invalid %s '%s' (expected %g..%g)", what,
				arg, min, max);
	return v;
}
