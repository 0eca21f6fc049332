// SPDX-License-Identifier: GPL-2.0
/* test_json.c - the strict JSON reader used for QMP replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/json.h"

static struct json *parse(const char *s, char *err)
{
	return json_parse(s, strlen(s), err, 160);
}

static void test_qmp_reply(void)
{
	char err[160] = "";
	struct json *j = parse("{\"return\": {\"status\": \"measured\", "
			       "\"dirty-rate\": 228, \"vcpu-dirty-rate\": "
			       "[{\"id\": 0, \"dirty-rate\": 7}]}}", err);
	const struct json *r, *v;
	int64_t x = 0;

	if (!ASSERT_NOT_NULL(j, err))
		return;
	r = json_get(j, "return");
	ASSERT_STREQ(json_str(json_get(r, "status")), "measured", "status");
	ASSERT_OK(json_int(json_get(r, "dirty-rate"), &x), "rate");
	ASSERT_EQ(x, 228, "rate value");
	v = json_at(json_get(r, "vcpu-dirty-rate"), 0);
	ASSERT_OK(json_int(json_get(v, "dirty-rate"), &x), "vcpu rate");
	ASSERT_EQ(x, 7, "vcpu rate value");
	ASSERT_TRUE(json_get(r, "missing") == NULL, "missing member");
	ASSERT_TRUE(json_at(json_get(r, "vcpu-dirty-rate"), 1) == NULL,
		    "past the end");
	json_free(j);
}

static void test_scalars_and_escapes(void)
{
	char err[160] = "";
	struct json *j = parse(" [true, false, null, -0.5e1, 12, "
			       "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"] ",
			       err);
	int64_t x;

	if (!ASSERT_NOT_NULL(j, err))
		return;
	ASSERT_EQ(j->count, 6, "six elements");
	ASSERT_EQ(json_bool(json_at(j, 0)), 1, "true");
	ASSERT_EQ(json_bool(json_at(j, 1)), 0, "false");
	ASSERT_EQ(json_at(j, 2)->type, JSON_NULL, "null");
	ASSERT_TRUE(json_at(j, 3)->num == -5.0, "-0.5e1");
	ASSERT_EQ(json_int(json_at(j, 3), &x), -EINVAL, "not an integer");
	ASSERT_STREQ(json_str(json_at(j, 5)),
		     "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80", "escapes");
	json_free(j);
}

static void test_rejects_bad_input(void)
{
	static const struct {
		const char *text;
		const char *what;
	} bad[] = {
		{ "", "unexpected end" },
		{ "{", "expected a member name" },
		{ "{\"a\" 1}", "expected ':'" },
		{ "[1 2]", "expected ','" },
		{ "[1,]", "unexpected character" },
		{ "01", "trailing data" },
		{ "\"abc", "unterminated string" },
		{ "\"a\tb\"", "control character" },
		{ "\"\\x\"", "bad escape" },
		{ "\"\\ud800\"", "surrogate" },
		{ "\"\xff\"", "invalid UTF-8" },
		{ "\"\xc0\xaf\"", "invalid UTF-8" },
		{ "1.", "bad fraction" },
		{ "1e", "bad exponent" },
		{ "tru", "unexpected character" },
		{ "{} {}", "trailing data" },
	};
	char err[160], deep[300];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json *j = parse(bad[i].text, err);

		ASSERT_TRUE(j == NULL, bad[i].text);
		ASSERT_TRUE(!strncmp(err, "byte ", 5), err);
		ASSERT_TRUE(strstr(err, bad[i].what) != NULL, err);
		json_free(j);
	}
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	ASSERT_TRUE(parse(deep, err) == NULL, "too deep");
	ASSERT_TRUE(strstr(err, "nested deeper") != NULL, err);
}

int main(void)
{
	RUN_TEST(test_qmp_reply);
	RUN_TEST(test_scalars_and_escapes);
	RUN_TEST(test_rejects_bad_input);
	return harness_finish();
}
