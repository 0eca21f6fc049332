/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics_http.h - a minimal HTTP/1.0 server for Prometheus scrapes.
 *
 * It serves from a thread of its own, so no client can delay the caller
 * (the tracer harvests its epochs on time whatever scrapers do). That
 * thread serves up to METRICS_HTTP_CLIENTS connections at once with
 * non-blocking sockets, each with its own deadline: a client that sends
 * nothing, or reads slowly, holds only its own connection, for at most
 * METRICS_HTTP_TIMEOUT_MS. GET /metrics answers the latest text set with
 * metrics_http__set() (Prometheus text exposition format 0.0.4); anything
 * else gets 404, a malformed request 400, one too slow 408; beyond
 * METRICS_HTTP_CLIENTS connections a new one gets 503 at once.
 */
#ifndef PRECOPY_METRICS_HTTP_H
#define PRECOPY_METRICS_HTTP_H

#include <stddef.h>

#define METRICS_HTTP_CLIENTS 16
#define METRICS_HTTP_TIMEOUT_MS 500

struct metrics_http;

/*
 * metrics_http__open() listens on "ADDR:PORT" ("127.0.0.1:9464",
 * "0.0.0.0:9464", "[::1]:9464", or ":9464" for every address) and starts
 * the serving thread (with every signal blocked: signals go to the
 * caller's threads). Returns the server, or NULL with a one-sentence
 * reason in err (bad address, port in use, no permission, no thread).
 */
struct metrics_http *metrics_http__open(const char *addr, char *err,
					size_t errlen);

/* metrics_http__close() stops the thread, closes every connection and
 * frees. NULL is a no-op. */
void metrics_http__close(struct metrics_http *s);

/* metrics_http__set() replaces the body served at /metrics; it never waits
 * for a client (the serving thread copies the body under a lock held only
 * for that copy). Returns 0 or -ENOMEM (the previous body stays). */
int metrics_http__set(struct metrics_http *s, const char *body, size_t len);

/* metrics_http__served() returns how many requests got an answer so far
 * (any status). Cannot fail. */
unsigned long metrics_http__served(struct metrics_http *s);

#endif /* PRECOPY_METRICS_HTTP_H */
