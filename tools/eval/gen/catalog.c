// SPDX-License-Identifier: GPL-2.0
/*
 * catalog.c - families, seeds and split (catalog.h).
 */
#include <errno.h>
#include <string.h>

#include "catalog.h"

static const struct family *const families[] = {
	&fam_kv, &fam_gc, &fam_oltp, &fam_scan, &fam_idle, &fam_phase,
	&fam_stream,
};

const struct family *const *catalog__families(unsigned int *nr)
{
	*nr = sizeof(families) / sizeof(families[0]);
	return families;
}

const struct family *catalog__find(const char *name)
{
	for (unsigned int i = 0; i < sizeof(families) / sizeof(families[0]);
	     i++)
		if (!strcmp(families[i]->name, name))
			return families[i];
	return NULL;
}

enum split catalog__split(uint64_t seed)
{
	return seed % 2 ? SPLIT_TUNE : SPLIT_REPORT;
}

const char *catalog__split_name(enum split s)
{
	return s == SPLIT_TUNE ? "tune" : s == SPLIT_REPORT ? "report" :
	       "all";
}

int catalog__parse_split(const char *name, enum split *s)
{
	if (!strcmp(name, "tune"))
		*s = SPLIT_TUNE;
	else if (!strcmp(name, "report"))
		*s = SPLIT_REPORT;
	else if (!strcmp(name, "all"))
		*s = SPLIT_ALL;
	else
		return -EINVAL;
	return 0;
}
