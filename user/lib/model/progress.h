/* SPDX-License-Identifier: GPL-2.0 */
/*
 * progress.h - is a pre-copy migration still getting closer to its stop?
 * The test behind the planner's non-convergence (planner.h,
 * "Non-convergence"), from R (the dirty pages) and the pages sent at each
 * sync.
 *
 *	progress__init(&g);
 *	at each sync: ok = progress__note(&g, r, sent, budget);
 *
 * The rule: progressing while R <= budget, during the first PROGRESS_SYNCS
 * syncs, and whenever, over the last PROGRESS_SYNCS syncs, the smallest R
 * fell by at least PROGRESS_MIN_FALL of the smallest R seen before them,
 * or by at least PROGRESS_SENT_SHARE of the pages sent meanwhile (QEMU's
 * auto-converge asks that share of a period). The second clause keeps a
 * first pass over a large memory progressing: there R falls by about what
 * is sent, under 5 % of R in 8 syncs.
 *
 * No allocation; progress__note is O(PROGRESS_SYNCS) and can't fail.
 */
#ifndef PRECOPY_PROGRESS_H
#define PRECOPY_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define PROGRESS_SYNCS 8		/* syncs looked at */
#define PROGRESS_MIN_FALL 0.05		/* of the smallest R before them */
#define PROGRESS_SENT_SHARE 0.5		/* of the pages sent meanwhile */

struct progress {
	/* private */
	uint64_t syncs;			/* noted */
	uint64_t r[PROGRESS_SYNCS];	/* R at the last syncs (ring) */
	uint64_t sent[PROGRESS_SYNCS];	/* pages sent by then (ring) */
	uint64_t rmin_old;		/* smallest R before those */
};

/* Start with no sync noted. */
void progress__init(struct progress *g);

/* Note a sync: r dirty pages, `sent` pages sent since the migration began
 * (never decreasing), the budget of the stop-and-copy. Returns whether the
 * migration is progressing by the rule above. */
bool progress__note(struct progress *g, uint64_t r, uint64_t sent,
		    uint64_t budget);

#endif /* PRECOPY_PROGRESS_H */
