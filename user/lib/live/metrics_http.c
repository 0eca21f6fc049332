// SPDX-License-Identifier: GPL-2.0
/* metrics_http.c - minimal HTTP server for /metrics, served from a thread
 * of its own (see metrics_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "metrics_http.h"

#define REQUEST_MAX 4096

/* One connection: reading its request, then writing the answer. */
struct client {
	int fd;                 /* -1: a free slot */
	long long deadline_ms;  /* of the phase it is in */
	size_t len;             /* request bytes read */
	char req[REQUEST_MAX + 1];
	char *out;              /* the answer, once the request is read */
	size_t out_len, out_off;
};

struct metrics_http {
	int fd;                 /* listening socket */
	int wake[2];            /* a byte in wake[1] stops the thread */
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;   /* guards body and len, held only to copy */
	char *body;
	size_t len;
	unsigned long served;   /* atomic */
	struct client c[METRICS_HTTP_CLIENTS]; /* the thread's own */
};

static void *serve_thread(void *arg);

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
	s->wake[0] = s->wake[1] = -1;
	for (int i = 0; i < METRICS_HTTP_CLIENTS; i++)
		s->c[i].fd = -1;
	pthread_mutex_init(&s->lock, NULL);
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
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
		metrics_http__close(s);
		return NULL;
	}
	{
		/* The thread takes no signal: SIGINT/SIGTERM must reach the
		 * caller's loop. */
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		ret = pthread_create(&s->thread, NULL, serve_thread, s);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (ret) {
		snprintf(err, errlen, "cannot start the metrics thread: %s",
			 strerror(ret));
		metrics_http__close(s);
		return NULL;
	}
	s->running = true;
	return s;
}

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->len = c->out_len = c->out_off = 0;
}

void metrics_http__close(struct metrics_http *s)
{
	int i;

	if (!s)
		return;
	if (s->running) {
		char b = 1;

		if (write(s->wake[1], &b, 1) < 0) {
			/* the pipe is empty and non-blocking: cannot fail */
		}
		pthread_join(s->thread, NULL);
	}
	for (i = 0; i < METRICS_HTTP_CLIENTS; i++)
		drop(&s->c[i]);
	if (s->fd >= 0)
		close(s->fd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	pthread_mutex_destroy(&s->lock);
	free(s->body);
	free(s);
}

int metrics_http__set(struct metrics_http *s, const char *body, size_t len)
{
	char *copy = malloc(len + 1), *old;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, body, len);
	copy[len] = '\0';
	pthread_mutex_lock(&s->lock);
	old = s->body;
	s->body = copy;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
	return 0;
}

unsigned long metrics_http__served(struct metrics_http *s)
{
	return __atomic_load_n(&s->served, __ATOMIC_RELAXED);
}

/* Make the answer of c: a status line, headers and body. The body of
 * /metrics is copied under the lock. Returns 0 or -ENOMEM. */
static int answer(struct metrics_http *s, struct client *c,
		  const char *status, const char *type, const char *body,
		  bool metrics)
{
	size_t blen = body ? strlen(body) : 0, cap;
	char *out;
	int n;

	if (metrics)
		pthread_mutex_lock(&s->lock);
	if (metrics && s->body) {
		body = s->body;
		blen = s->len;
	} else if (metrics) {
		status = "503 Service Unavailable";
		type = "text/plain";
		body = "no data yet\n";
		blen = strlen(body);
	}
	cap = blen + 256;
	out = malloc(cap);
	if (out) {
		n = snprintf(out, cap, "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n"
			     "\r\n", status, type, blen);
		memcpy(out + n, body, blen);
		c->out = out;
		c->out_len = n + blen;
		c->out_off = 0;
	}
	if (metrics)
		pthread_mutex_unlock(&s->lock);
	if (!out)
		return -ENOMEM;
	c->deadline_ms = (long long)clock_now_ms() + METRICS_HTTP_TIMEOUT_MS;
	return 0;
}

/* c's request head is complete: choose its answer. */
static int route(struct metrics_http *s, struct client *c)
{
	const char *req = c->req;

	if (strncmp(req, "GET ", 4))
		return answer(s, c, "405 Method Not Allowed", "text/plain",
			      "GET only\n", false);
	if (!strncmp(req + 4, "/metrics ", 9) ||
	    !strncmp(req + 4, "/metrics?", 9))
		return answer(s, c, "200 OK", "text/plain; version=0.0.4; "
			      "charset=utf-8", NULL, true);
	return answer(s, c, "404 Not Found", "text/plain", "try /metrics\n",
		      false);
}

/* Read what c sent; answer once the head is complete. Returns false when
 * c is done with (closed by its peer, or out of memory). */
static bool on_readable(struct metrics_http *s, struct client *c)
{
	ssize_t n = recv(c->fd, c->req + c->len, REQUEST_MAX - c->len, 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	c->len += n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		return !route(s, c);
	if (c->len == REQUEST_MAX)
		return !answer(s, c, "400 Bad Request", "text/plain", "bad\n",
			       false);
	return true;
}

/* Send more of c's answer. Returns false when c is done with. */
static bool on_writable(struct metrics_http *s, struct client *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->out_off += n;
	if (c->out_off < c->out_len)
		return true;
	__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
	return false;
}

/* Take every pending connection; with no free slot, a short 503. */
static void accept_all(struct metrics_http *s)
{
	static const char busy[] = "HTTP/1.0 503 Service Unavailable\r\n"
		"Content-Length: 5\r\nConnection: close\r\n\r\nbusy\n";
	int fd, i;

	while ((fd = accept4(s->fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		for (i = 0; i < METRICS_HTTP_CLIENTS && s->c[i].fd >= 0; i++)
			;
		if (i == METRICS_HTTP_CLIENTS) {
			if (send(fd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to do for it */
			}
			close(fd);
			continue;
		}
		s->c[i].fd = fd;
		s->c[i].len = 0;
		s->c[i].deadline_ms = (long long)clock_now_ms() +
				      METRICS_HTTP_TIMEOUT_MS;
	}
}

/* The serving thread: poll the listening socket, the wake pipe and every
 * connection, each connection with its own deadline. */
static void *serve_thread(void *arg)
{
	struct metrics_http *s = arg;
	struct pollfd p[METRICS_HTTP_CLIENTS + 2];
	int who[METRICS_HTTP_CLIENTS + 2];

	for (;;) {
		long long now = (long long)clock_now_ms(), next = -1;
		int n = 2, i, timeout;

		p[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
		for (i = 0; i < METRICS_HTTP_CLIENTS; i++) {
			struct client *c = &s->c[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ms) {
				/* Too slow: a 408 if it has not been
				 * answered yet, else it is dropped. */
				if (c->out || answer(s, c, "408 Request "
						     "Timeout", "text/plain",
						     "timeout\n", false)) {
					drop(c);
					continue;
				}
			}
			if (next < 0 || c->deadline_ms < next)
				next = c->deadline_ms;
			p[n] = (struct pollfd){ .fd = c->fd,
						.events = c->out ? POLLOUT
								 : POLLIN };
			who[n++] = i;
		}
		timeout = next < 0 ? -1 : (int)(next > now ? next - now : 0);
		if (poll(p, n, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			accept_all(s);
		for (i = 2; i < n; i++) {
			struct client *c = &s->c[who[i]];
			bool keep = true;

			if (!p[i].revents)
				continue;
			if (!c->out)
				keep = on_readable(s, c);
			if (keep && c->out)
				keep = on_writable(s, c);
			if (!keep)
				drop(c);
		}
	}
	return NULL;
}
