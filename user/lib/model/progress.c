// SPDX-License-Identifier: GPL-2.0
/* progress.c - the non-convergence test (see progress.h). */
#include <string.h>

#include "progress.h"

void progress__init(struct progress *g)
{
	memset(g, 0, sizeof(*g));
	g->rmin_old = UINT64_MAX;
}

bool progress__note(struct progress *g, uint64_t r, uint64_t sent,
		    uint64_t budget)
{
	uint64_t slot = g->syncs % PROGRESS_SYNCS, minr = UINT64_MAX;
	uint64_t sent_old;
	double fall;
	unsigned int i;

	if (g->syncs >= PROGRESS_SYNCS && g->r[slot] < g->rmin_old)
		g->rmin_old = g->r[slot];
	sent_old = g->sent[slot];	/* `sent` PROGRESS_SYNCS syncs ago */
	g->r[slot] = r;
	g->sent[slot] = sent;
	g->syncs++;
	for (i = 0; i < PROGRESS_SYNCS && i < g->syncs; i++)
		if (g->r[i] < minr)
			minr = g->r[i];
	if (r <= budget || g->syncs <= PROGRESS_SYNCS)
		return true;	/* rmin_old is set from the next on */
	fall = (double)g->rmin_old - (double)minr;
	if (fall >= PROGRESS_MIN_FALL * (double)g->rmin_old)
		return true;
	return sent > sent_old &&
	       fall >= PROGRESS_SENT_SHARE * (double)(sent - sent_old);
}
