/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadow.h - stock QEMU pre-copy replayed alongside a planned migration,
 * on the writes the planner sees, so the planner can measure online what
 * following its plan costs against what QEMU would have done (its regret)
 * and fall back when the plan is not winning (planner.h, "Guard").
 *
 * The shadow keeps QEMU's state: `need`, the pages that still need a send
 * (never sent, or written since their last send), and `pass`, the pages
 * of the current pass (the migration bitmap at its last sync, less what
 * the pass sent). It sends in address order from a cursor; when the pass
 * is done it syncs (pass = need) and, like QEMU, stops once need fits the
 * budget: then its total is frozen. Writes come as bitmaps (one per epoch
 * of the tracker); sends as counts (the shadow sends as many pages as the
 * real migration did, at the same link rate).
 *
 * Cost: 2 bits per page; shadow__write O(words); shadow__send O(pages sent
 * + words skipped).
 */
#ifndef PRECOPY_SHADOW_H
#define PRECOPY_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

struct shadow;

/* A shadow of a migration of `pages` pages, all still to send. Returns
 * NULL with errno EINVAL (pages 0 or over 2^40) or ENOMEM. */
struct shadow *shadow__new(uint64_t pages);

/* Free; NULL is ignored. */
void shadow__free(struct shadow *sh);

/* Pages written (bitmap of model__words() words; bits past `pages`
 * ignored): each becomes a page to send again. Can't fail. */
void shadow__write(struct shadow *sh, const uint64_t *bm);

/* Send up to n pages the way QEMU does, syncing at the end of each pass
 * and stopping (for good) at a sync where the pages to send are at most
 * `budget`. Can't fail. */
void shadow__send(struct shadow *sh, uint64_t n, uint64_t budget);

/* Bytes of state per page (its two bitmaps). */
double shadow__bytes_per_page(const struct shadow *sh);

/* Pages sent live so far. */
uint64_t shadow__sent(const struct shadow *sh);

/* Pages that still need a send (after a stop: the stop-and-copy). */
uint64_t shadow__need(const struct shadow *sh);

/* Whether the shadow stopped: its total is then shadow__sent() +
 * shadow__need(). */
bool shadow__stopped(const struct shadow *sh);

#endif /* PRECOPY_SHADOW_H */
