// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_json.c - libFuzzer target for the JSON reader that parses QMP
 * replies. Any input must either parse into a tree whose lookups behave,
 * or fail with a message naming a byte offset; never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static size_t walk(const struct json *j, int depth)
{
	size_t n = 1;
	const struct json *c;
	int64_t v;

	if (depth > JSON_MAX_DEPTH + 1)
		abort();
	(void)json_str(j);
	(void)json_int(j, &v);
	(void)json_bool(j);
	if (j->type == JSON_STRING && (!j->str || strlen(j->str) > j->len))
		abort();
	for (c = j->child; c; c = c->next) {
		if (j->type == JSON_OBJECT && (!c->key || json_get(j, c->key) == NULL))
			abort();
		n += walk(c, depth + 1);
	}
	if (j->type == JSON_ARRAY && j->count && !json_at(j, j->count - 1))
		abort();
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];
	struct json *root = json_parse((const char *)data, size, err,
				       sizeof(err));

	if (!root) {
		if (strncmp(err, "byte ", 5))
			abort();
		return 0;
	}
	walk(root, 1);
	json_free(root);
	return 0;
}
