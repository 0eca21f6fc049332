// SPDX-License-Identifier: GPL-2.0
/* out_guard.c - see out_guard.h */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>

#include "out_guard.h"

bool out_guard__ready(struct out_guard *g)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLOUT };
	int n;

	do
		n = poll(&pfd, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (n == 1 && (pfd.revents & (POLLOUT | POLLERR | POLLHUP |
						POLLNVAL))))
		return true;
	if (!g->dropped++)
		fprintf(stderr, "%s: nobody reads standard output: dropping its "
			"lines (counted) so that the work goes on\n",
			g->prog ? g->prog : "precopy");
	return false;
}
