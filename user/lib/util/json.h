/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a small, strict JSON reader for replies from the outside world
 * (QMP), and the one string writer of libprecopy's JSON output. The reader
 * parses one complete document (RFC 8259) into a tree and offers typed
 * lookups. Hostile input is expected: nesting depth, document size and
 * node count are bounded, strings are validated, and every error names the
 * byte offset and what is wrong. Writers print numbers and punctuation
 * themselves and every string through json_write_str().
 */
#ifndef PRECOPY_JSON_H
#define PRECOPY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_BYTES (4u << 20)
#define JSON_MAX_NODES 200000

enum json_type {
	JSON_NULL = 0,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	double num;           /* JSON_NUMBER */
	bool is_int;          /* a number without fraction or exponent */
	int64_t i64;          /* the number, if is_int and it fits */
	char *str;            /* JSON_STRING: decoded, NUL-terminated */
	size_t len;           /* string bytes (may contain NUL) */
	char *key;            /* member name, when inside an object */
	struct json *child;   /* first element/member */
	struct json *next;    /* next sibling */
	size_t count;         /* elements/members */
};

/*
 * json_parse() parses len bytes of text. Returns the root (free it with
 * json_free()), or NULL with a message "byte N: what" in err (errlen
 * bytes): malformed, trailing data, too deep, too big, bad UTF-8 or
 * escape, out of memory.
 */
struct json *json_parse(const char *text, size_t len, char *err,
			size_t errlen);

/* json_free() frees a tree from json_parse(). NULL is a no-op. */
void json_free(struct json *root);

/* json_get() returns member `key` of object o, or NULL (o not an object,
 * no such member). With duplicate keys, the last one wins. */
const struct json *json_get(const struct json *o, const char *key);

/* json_at() returns element i of array a, or NULL. */
const struct json *json_at(const struct json *a, size_t i);

/* json_str() returns the string value, or NULL if j is not a string. */
const char *json_str(const struct json *j);

/* json_int() stores an integer value in *v; returns 0, or -EINVAL if j is
 * not an integer that fits in int64. */
int json_int(const struct json *j, int64_t *v);

/* json_bool() returns 1/0 for true/false, -EINVAL otherwise. */
int json_bool(const struct json *j);

/*
 * json_write_str() writes s to f as a JSON string, quotes included: '"'
 * and '\\' escaped, control characters as \u00XX, other bytes (UTF-8) as
 * they are; NULL writes "". Cannot fail (write errors stay in ferror(f)).
 */
void json_write_str(FILE *f, const char *s);

#endif /* PRECOPY_JSON_H */
