// SPDX-License-Identifier: GPL-2.0
/* prom.c - Prometheus text exposition helpers (prom.h). */
#include <errno.h>
#include <string.h>

#include "prom.h"

void prom__head(FILE *f, const char *name, const char *type,
		const char *help)
{
	fprintf(f, "# HELP %s ", name);
	/* HELP text escapes backslash and newline */
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

int prom__label(char *buf, size_t len, const char *key, const char *value)
{
	size_t o = strlen(buf), start = o;

#define PUT(c) do { if (o + 1 >= len) goto full; buf[o++] = (c); } while (0)
	if (!value || !*value)
		return 0;
	if (o)
		PUT(',');
	for (; *key; key++)
		PUT(*key);
	PUT('=');
	PUT('"');
	for (; *value; value++) {
		if (*value == '\\' || *value == '"') {
			PUT('\\');
			PUT(*value);
		} else if (*value == '\n') {
			PUT('\\');
			PUT('n');
		} else {
			PUT(*value);
		}
	}
	PUT('"');
#undef PUT
	buf[o] = '\0';
	return 0;
full:
	buf[start] = '\0';
	return -ENOSPC;
}
