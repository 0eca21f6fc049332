/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics_http.h - a minimal HTTP/1.0 server for Prometheus scrapes.
 *
 * Single-threaded: the caller's loop calls metrics_http__serve() while it
 * would otherwise sleep. GET /metrics answers the latest text set with
 * metrics_http__set() (Prometheus text exposition format 0.0.4); anything
 * else gets 404, a malformed or slow request 400/408. Requests are bounded
 * in size and time, so a client cannot stall the tracer.
 */
#ifndef PRECOPY_METRICS_HTTP_H
#define PRECOPY_METRICS_HTTP_H

#include <stddef.h>

struct metrics_http;

/*
 * metrics_http__open() listens on "ADDR:PORT" ("127.0.0.1:9464",
 * "0.0.0.0:9464", "[::1]:9464", or ":9464" for every address). Returns the
 * server, or NULL with a one-sentence reason in err (bad address, port in
 * use, no permission).
 */
struct metrics_http *metrics_http__open(const char *addr, char *err,
					size_t errlen);

/* metrics_http__close() stops listening and frees. NULL is a no-op. */
void metrics_http__close(struct metrics_http *s);

/* metrics_http__set() replaces the body served at /metrics. Returns 0 or
 * -ENOMEM (the previous body stays). */
int metrics_http__set(struct metrics_http *s, const char *body, size_t len);

/*
 * metrics_http__serve() answers requests for up to timeout_ms
 * milliseconds, then returns the number served. Returns -EINTR early if a
 * signal arrives. Errors of single connections are not returned.
 */
int metrics_http__serve(struct metrics_http *s, int timeout_ms);

#endif /* PRECOPY_METRICS_HTTP_H */
