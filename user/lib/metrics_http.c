// SPDX-License-Identifier: GPL-2.0
/* metrics_http.c - minimal HTTP server for /metrics (see metrics_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics_http.h"

#define REQUEST_MAX 4096
#define REQUEST_TIMEOUT_MS 500

struct metrics_http {
	int fd;
	char *body;
	size_t len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

struct metrics_http *metrics_http__open(const char *addr, char *err,
					size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
					      AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[128], *port;
	struct metrics_http *s;
	int one = 1, ret;

	if (snprintf(host, sizeof(host), "%s", addr) >= (int)sizeof(host) ||
	    !(port = strrchr(host, ':')) || !port[1]) {
		snprintf(err, errlen, "invalid listen address '%s' (expected "
			 "ADDR:PORT)", addr);
		return NULL;
	}
	*port++ = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']') {
			snprintf(err, errlen, "invalid listen address '%s'",
				 addr);
			return NULL;
		}
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	ret = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "invalid listen address '%s': %s", addr,
			 gai_strerror(ret));
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		freeaddrinfo(res);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
					       SOCK_NONBLOCK, 0);
	if (s->fd < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, res->ai_addr, res->ai_addrlen) || listen(s->fd, 16)) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr,
			 strerror(errno));
		freeaddrinfo(res);
		metrics_http__close(s);
		return NULL;
	}
	freeaddrinfo(res);
	return s;
}

void metrics_http__close(struct metrics_http *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->body);
	free(s);
}

int metrics_http__set(struct metrics_http *s, const char *body, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, body, len);
	copy[len] = '\0';
	free(s->body);
	s->body = copy;
	s->len = len;
	return 0;
}

static void send_all(int fd, const char *buf, size_t len)
{
	long long deadline = now_ms() + REQUEST_TIMEOUT_MS;

	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return;
		if (now_ms() >= deadline ||
		    poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			return;
	}
}

static void respond(int fd, const char *status, const char *type,
		    const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s"
			 "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, type, len);

	send_all(fd, head, n);
	send_all(fd, body, len);
}

/* Read the request head (bounded in size and time) and answer it. */
static void handle(struct metrics_http *s, int fd)
{
	long long deadline = now_ms() + REQUEST_TIMEOUT_MS;
	char req[REQUEST_MAX + 1];
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (len && (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")))
			break;
		if (len == REQUEST_MAX) {
			respond(fd, "400 Bad Request", "text/plain", "bad\n", 4);
			return;
		}
		if (now_ms() >= deadline ||
		    poll(&p, 1, (int)(deadline - now_ms())) <= 0) {
			respond(fd, "408 Request Timeout", "text/plain",
				"timeout\n", 8);
			return;
		}
		n = recv(fd, req + len, REQUEST_MAX - len, 0);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			return;
		}
		len += n;
		req[len] = '\0';
	}
	if (strncmp(req, "GET ", 4)) {
		respond(fd, "405 Method Not Allowed", "text/plain", "GET only\n",
			9);
	} else if (!strncmp(req + 4, "/metrics ", 9) ||
		   !strncmp(req + 4, "/metrics?", 9)) {
		if (s->body)
			respond(fd, "200 OK", "text/plain; version=0.0.4; "
				"charset=utf-8", s->body, s->len);
		else
			respond(fd, "503 Service Unavailable", "text/plain",
				"no data yet\n", 12);
	} else {
		respond(fd, "404 Not Found", "text/plain", "try /metrics\n", 13);
	}
}

int metrics_http__serve(struct metrics_http *s, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int served = 0;

	for (;;) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		long long left = deadline - now_ms();
		int fd;

		if (left < 0)
			left = 0;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				return -EINTR;
			return served;
		}
		if (!(p.revents & POLLIN)) {
			if (now_ms() >= deadline)
				return served;
			continue;
		}
		fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		handle(s, fd);
		close(fd);
		served++;
	}
}
