// SPDX-License-Identifier: GPL-2.0
/* vm_ident.c - a VM's name and UUID from its QEMU command line. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm_ident.h"

#define CMDLINE_MAX (256 * 1024)

/* Read /proc/PID/cmdline into a malloc'ed buffer of *len bytes (NUL
 * separated, NUL terminated). NULL with errno set on failure. */
static char *read_cmdline(pid_t pid, size_t *len)
{
	char path[64], *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(CMDLINE_MAX + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (got < CMDLINE_MAX &&
	       (n = read(fd, buf + got, CMDLINE_MAX - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* The value of -name: "guest=NAME,..." or "NAME,..." (",," is a comma). */
static void parse_name(const char *v, char *out, size_t outlen)
{
	size_t o = 0;

	if (!strncmp(v, "guest=", 6))
		v += 6;
	while (*v && o + 1 < outlen) {
		if (*v == ',') {
			if (v[1] != ',')
				break;
			v++;
		}
		out[o++] = *v++;
	}
	out[o] = '\0';
}

static bool valid_uuid(const char *s)
{
	int i;

	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[36] == '\0';
}

int vm_ident__from_pid(pid_t pid, struct vm_ident *id)
{
	size_t len, i;
	char *buf, *arg, *next;

	memset(id, 0, sizeof(*id));
	buf = read_cmdline(pid, &len);
	if (!buf)
		return -errno;
	for (arg = buf; arg < buf + len; arg = next) {
		next = arg + strlen(arg) + 1;
		if (next >= buf + len)
			break;
		if (!strcmp(arg, "-name") || !strcmp(arg, "--name")) {
			parse_name(next, id->name, sizeof(id->name));
		} else if ((!strcmp(arg, "-uuid") || !strcmp(arg, "--uuid")) &&
			   valid_uuid(next)) {
			for (i = 0; i < 36; i++)
				id->uuid[i] = (char)tolower((unsigned char)next[i]);
			id->uuid[36] = '\0';
		}
	}
	free(buf);
	return 0;
}
