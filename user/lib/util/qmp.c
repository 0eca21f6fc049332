// SPDX-License-Identifier: GPL-2.0
/* qmp.c - a minimal QMP client (see qmp.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "qmp.h"
#include "virsh.h"

struct qmp {
	int fd;
	char *buf;      /* received bytes not yet consumed */
	size_t len, cap;
	char *domain;   /* libvirt's passthrough (virsh.h) instead of fd */
};

/* Read one '\n'-terminated message into a fresh parsed document. */
static int read_message(struct qmp *q, struct json **out, char *err,
			size_t errlen)
{
	int64_t deadline = (int64_t)clock_now_ms() + QMP_TIMEOUT_MS;

	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		int64_t left;
		ssize_t n;

		if (nl) {
			size_t line = nl - q->buf + 1;
			char perr[160];

			*out = json_parse(q->buf, line, perr, sizeof(perr));
			memmove(q->buf, q->buf + line, q->len - line);
			q->len -= line;
			if (!*out) {
				snprintf(err, errlen, "malformed QMP message: "
					 "%s", perr);
				return -EPROTO;
			}
			return 0;
		}
		if (q->len >= QMP_MAX_LINE) {
			snprintf(err, errlen, "QMP message longer than %u "
				 "bytes", QMP_MAX_LINE);
			return -EPROTO;
		}
		if (q->cap - q->len < 4096) {
			size_t cap = q->cap ? q->cap * 2 : 8192;
			char *b = realloc(q->buf, cap);

			if (!b) {
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			q->buf = b;
			q->cap = cap;
		}
		left = deadline - (int64_t)clock_now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(err, errlen, "QMP did not answer within %d s",
				 QMP_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		n = read(q->fd, q->buf + q->len, q->cap - q->len);
		if (n == 0) {
			snprintf(err, errlen, "QEMU closed the QMP socket");
			return -EPIPE;
		}
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errlen, "reading QMP: %s",
				 strerror(errno));
			return -EPIPE;
		}
		q->len += n;
	}
}

/* Write all of s; a QEMU that went away is -EPIPE, never a SIGPIPE that
 * would kill the program using this library. */
static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= w;
	}
	return 0;
}

struct qmp *qmp__connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct json *greeting = NULL;
	struct qmp *q;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "QMP socket path too long: %s", path);
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	strcpy(addr.sun_path, path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0 ||
	    connect(q->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		snprintf(err, errlen, "cannot connect to QMP at %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	if (read_message(q, &greeting, err, errlen)) {
		if (!strncmp(err, "QMP did not answer", 18))
			snprintf(err, errlen, "QMP at %s sent no greeting "
				 "within %d s (another client holds it? a QMP "
				 "socket serves one client at a time)", path,
				 QMP_TIMEOUT_MS / 1000);
		goto fail;
	}
	if (!json_get(greeting, "QMP")) {
		snprintf(err, errlen, "%s does not speak QMP (no greeting)",
			 path);
		goto fail;
	}
	json_free(greeting);
	greeting = NULL;
	if (qmp__command(q, "qmp_capabilities", NULL, NULL, err, errlen))
		goto fail;
	return q;
fail:
	json_free(greeting);
	qmp__close(q);
	return NULL;
}

void qmp__close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q->domain);
	free(q);
}

struct qmp *qmp__connect_domain(const char *domain, char *err, size_t errlen)
{
	struct qmp *q = calloc(1, sizeof(*q));

	if (!q || !(q->domain = strdup(domain))) {
		free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->fd = -1;
	/* one harmless command says whether the passthrough works */
	if (qmp__command(q, "query-status", NULL, NULL, err, errlen)) {
		qmp__close(q);
		return NULL;
	}
	return q;
}

/* The reply document of one command through libvirt's passthrough. */
static int domain_command(struct qmp *q, const char *msg, const char *command,
			  struct json **doc, char *err, size_t errlen)
{
	const char *argv[] = { "qemu-monitor-command", "--domain", q->domain,
			       msg, NULL };
	char *out = malloc(QMP_MAX_LINE), e[256];
	int ret;

	if (!out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = virsh__run(argv, out, QMP_MAX_LINE, err, errlen);
	if (!ret) {
		*doc = json_parse(out, strlen(out), e, sizeof(e));
		if (!*doc) {
			snprintf(err, errlen, "libvirt's reply to %s: %s",
				 command, e);
			ret = -EPROTO;
		}
	} else if (ret != -ENOENT && ret != -ETIMEDOUT) {
		ret = -EREMOTEIO;
	}
	free(out);
	return ret;
}

/* A reply: an error, or a "return" handed to the caller (doc is freed or
 * given away). */
static int check_reply(struct json *doc, const char *command,
		       struct json **reply, char *err, size_t errlen)
{
	const struct json *e = json_get(doc, "error");

	if (e) {
		snprintf(err, errlen, "QEMU refused %s: %s: %s", command,
			 json_str(json_get(e, "class")) ?: "?",
			 json_str(json_get(e, "desc")) ?: "?");
		json_free(doc);
		return -EREMOTEIO;
	}
	if (!json_get(doc, "return")) {
		snprintf(err, errlen, "unexpected QMP reply to %s", command);
		json_free(doc);
		return -EPROTO;
	}
	if (reply)
		*reply = doc;
	else
		json_free(doc);
	return 0;
}

int qmp__command(struct qmp *q, const char *command, const char *args_json,
		 struct json **reply, char *err, size_t errlen)
{
	char *msg = NULL;
	int ret, n;

	if (reply)
		*reply = NULL;
	n = asprintf(&msg, "{\"execute\":\"%s\"%s%s}\n", command,
		     args_json ? ",\"arguments\":" : "",
		     args_json ? args_json : "");
	if (n < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (q->domain) {
		struct json *doc = NULL;

		msg[n - 1] = '\0';	/* no newline for virsh */
		ret = domain_command(q, msg, command, &doc, err, errlen);
		free(msg);
		if (ret)
			return ret;
		return check_reply(doc, command, reply, err, errlen);
	}
	ret = write_all(q->fd, msg, n);
	free(msg);
	if (ret) {
		snprintf(err, errlen, "sending %s to QMP: %s", command,
			 strerror(-ret));
		return -EPIPE;
	}
	for (;;) {
		struct json *doc;

		ret = read_message(q, &doc, err, errlen);
		if (ret)
			return ret;
		if (json_get(doc, "event")) {
			json_free(doc);
			continue;
		}
		return check_reply(doc, command, reply, err, errlen);
	}
}

/* The value of `key=` in a comma-separated option string, or NULL. */
static const char *opt_value(const char *opts, const char *key, char *out,
			     size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, ",");

			if (n >= outlen)
				return NULL;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return out;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

int qmp__find_socket(pid_t pid, char *out, size_t outlen)
{
	char path[64], *args = NULL, *argv[512], chardev_ids[16][64];
	char chardev_paths[16][256], mon_ids[16][64], tmp[256];
	int argc = 0, nchar = 0, nmon = 0, i, j, ret = -ENOENT;
	size_t len = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (;;) {
		char *b;
		size_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			b = realloc(args, cap + 1);
			if (!b || cap > (1u << 22)) {
				free(b ? b : args);
				fclose(f);
				return -ENOMEM;
			}
			args = b;
		}
		n = fread(args + len, 1, cap - len, f);
		len += n;
		if (!n)
			break;
	}
	fclose(f);
	args[len] = '\0';
	for (i = 0; (size_t)i < len && argc < 512; i += strlen(args + i) + 1)
		argv[argc++] = args + i;

	for (i = 0; i + 1 < argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "-qmp") && !strncmp(v, "unix:", 5)) {
			snprintf(out, outlen, "%.*s", (int)strcspn(v + 5, ","),
				 v + 5);
			ret = 0;
			goto done;
		}
		if (!strcmp(a, "-chardev") && !strncmp(v, "socket,", 7) &&
		    nchar < 16 && opt_value(v, "path", tmp, sizeof(tmp)) &&
		    opt_value(v, "id", chardev_ids[nchar], 64)) {
			snprintf(chardev_paths[nchar], 256, "%s", tmp);
			nchar++;
		}
		if (!strcmp(a, "-mon") && nmon < 16 &&
		    opt_value(v, "mode", tmp, sizeof(tmp)) &&
		    !strcmp(tmp, "control") &&
		    opt_value(v, "chardev", mon_ids[nmon], 64))
			nmon++;
	}
	for (i = 0; i < nmon; i++)
		for (j = 0; j < nchar; j++)
			if (!strcmp(mon_ids[i], chardev_ids[j])) {
				snprintf(out, outlen, "%s", chardev_paths[j]);
				ret = 0;
				goto done;
			}
done:
	free(args);
	return ret;
}
