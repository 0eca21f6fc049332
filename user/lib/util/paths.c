// SPDX-License-Identifier: GPL-2.0
/* paths.c - a command's helpers, found from its own location (paths.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

int paths__self_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	snprintf(out, len, ".");
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s", exe) >= len) {
		snprintf(out, len, ".");
		return -ENAMETOOLONG;
	}
	return 0;
}

int paths__helper(const char *name, char *out, size_t len)
{
	char dir[PATH_MAX], cand[PATH_MAX + 64], first[PATH_MAX + 64] = "";
	unsigned int up;

	paths__self_dir(dir, sizeof(dir));
	/* BIN/.. then BIN/../.., written without "..": the folder above. */
	for (up = 0; up < 2; up++) {
		char *slash = strrchr(dir, '/'), real[PATH_MAX];

		if (!slash)
			break;
		*slash = '\0';
		if ((size_t)snprintf(cand, sizeof(cand), "%s/%s/%s", dir,
				     PATHS_HELPER_DIR, name) >= sizeof(cand))
			continue;
		if (!first[0])
			snprintf(first, sizeof(first), "%s", cand);
		if (!access(cand, F_OK) && realpath(cand, real) &&
		    strlen(real) < len) {
			snprintf(out, len, "%s", real);
			return 0;
		}
	}
	snprintf(out, len, "%s", first[0] ? first : name);
	return -ENOENT;
}

int paths__sibling(const char *name, char *out, size_t len)
{
	char dir[PATH_MAX];

	paths__self_dir(dir, sizeof(dir));
	if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return access(out, X_OK) ? -ENOENT : 0;
}
