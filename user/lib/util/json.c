// SPDX-License-Identifier: GPL-2.0
/* json.c - a small, strict JSON reader and the string writer (see
 * json.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char *s;
	size_t len, pos;
	size_t nodes;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parser *p, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "byte %zu: %s", p->pos, msg);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static struct json *new_node(struct parser *p, enum json_type type)
{
	struct json *j;

	if (++p->nodes > JSON_MAX_NODES) {
		fail(p, "more than %u values", JSON_MAX_NODES);
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		fail(p, "out of memory");
		return NULL;
	}
	j->type = type;
	return j;
}

static bool match(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return false;
	p->pos += n;
	return true;
}

static int hex4(struct parser *p, unsigned int *v)
{
	unsigned int i, d;

	if (p->len - p->pos < 4) {
		fail(p, "truncated \\u escape");
		return -1;
	}
	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p->s[p->pos + i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else {
			fail(p, "bad \\u escape");
			return -1;
		}
		*v = *v << 4 | d;
	}
	p->pos += 4;
	return 0;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of a valid UTF-8 sequence at s (n bytes available), 0 if bad. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Parse a string at p->pos (after the opening quote is checked). */
static char *parse_string(struct parser *p, size_t *outlen)
{
	size_t start = ++p->pos, cap = 16, n = 0;
	char *out = malloc(cap), *tmp;

	(void)start;
	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		if (n + 5 > cap) {
			cap *= 2;
			tmp = realloc(out, cap);
			if (!tmp) {
				fail(p, "out of memory");
				goto bad;
			}
			out = tmp;
		}
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			fail(p, "control character in string");
			goto bad;
		}
		if (c == '\\') {
			unsigned int cp, lo;

			if (++p->pos >= p->len) {
				fail(p, "unterminated escape");
				goto bad;
			}
			c = (unsigned char)p->s[p->pos++];
			switch (c) {
			case '"': out[n++] = '"'; break;
			case '\\': out[n++] = '\\'; break;
			case '/': out[n++] = '/'; break;
			case 'b': out[n++] = '\b'; break;
			case 'f': out[n++] = '\f'; break;
			case 'n': out[n++] = '\n'; break;
			case 'r': out[n++] = '\r'; break;
			case 't': out[n++] = '\t'; break;
			case 'u':
				if (hex4(p, &cp))
					goto bad;
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					fail(p, "lone low surrogate");
					goto bad;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (!match(p, "\\u") || hex4(p, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff) {
						fail(p, "bad surrogate pair");
						goto bad;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				}
				n += put_utf8(out + n, cp);
				break;
			default:
				p->pos--;
				fail(p, "bad escape '\\%c'", c);
				goto bad;
			}
			continue;
		}
		{
			size_t l = utf8_len((const unsigned char *)p->s + p->pos,
					    p->len - p->pos);

			if (!l) {
				fail(p, "invalid UTF-8");
				goto bad;
			}
			memcpy(out + n, p->s + p->pos, l);
			n += l;
			p->pos += l;
		}
	}
	out[n] = '\0';
	*outlen = n;
	return out;
bad:
	free(out);
	return NULL;
}

static int parse_number(struct parser *p, struct json *j)
{
	size_t start = p->pos;
	bool frac = false;
	char buf[64], *end;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') {
		fail(p, "bad number");
		return -1;
	}
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		frac = true;
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' ||
		    p->s[p->pos] > '9') {
			fail(p, "bad fraction");
			return -1;
		}
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		frac = true;
		p->pos++;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' ||
		    p->s[p->pos] > '9') {
			fail(p, "bad exponent");
			return -1;
		}
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos - start >= sizeof(buf)) {
		fail(p, "number too long");
		return -1;
	}
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	j->num = strtod(buf, NULL);
	if (!frac) {
		errno = 0;
		j->i64 = strtoll(buf, &end, 10);
		j->is_int = !errno;
	}
	return 0;
}

static struct json *parse_value(struct parser *p, int depth);

static struct json *parse_container(struct parser *p, int depth, bool obj)
{
	struct json *j = new_node(p, obj ? JSON_OBJECT : JSON_ARRAY);
	struct json **tail;
	char close = obj ? '}' : ']';

	if (!j)
		return NULL;
	tail = &j->child;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return j;
	}
	for (;;) {
		struct json *v;
		char *key = NULL;
		size_t klen;

		skip_ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				fail(p, "expected a member name");
				goto bad;
			}
			key = parse_string(p, &klen);
			if (!key)
				goto bad;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				fail(p, "expected ':'");
				goto bad;
			}
			p->pos++;
		}
		v = parse_value(p, depth + 1);
		if (!v) {
			free(key);
			goto bad;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		j->count++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return j;
		}
		fail(p, "expected ',' or '%c'", close);
		goto bad;
	}
bad:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *p, int depth)
{
	struct json *j;

	if (depth > JSON_MAX_DEPTH) {
		fail(p, "nested deeper than %d", JSON_MAX_DEPTH);
		return NULL;
	}
	skip_ws(p);
	if (p->pos >= p->len) {
		fail(p, "unexpected end of input");
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"':
		j = new_node(p, JSON_STRING);
		if (j && !(j->str = parse_string(p, &j->len))) {
			free(j);
			return NULL;
		}
		return j;
	case 't':
		if (match(p, "true"))
			return new_node(p, JSON_TRUE);
		break;
	case 'f':
		if (match(p, "false"))
			return new_node(p, JSON_FALSE);
		break;
	case 'n':
		if (match(p, "null"))
			return new_node(p, JSON_NULL);
		break;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		j = new_node(p, JSON_NUMBER);
		if (j && parse_number(p, j)) {
			free(j);
			return NULL;
		}
		return j;
	}
	if ((unsigned char)p->s[p->pos] >= 0x20 && (unsigned char)p->s[p->pos] < 0x7f)
		fail(p, "unexpected character '%c'", p->s[p->pos]);
	else
		fail(p, "unexpected character 0x%02x",
		     (unsigned char)p->s[p->pos]);
	return NULL;
}

struct json *json_parse(const char *text, size_t len, char *err,
			size_t errlen)
{
	struct parser p = { .s = text, .len = len, .err = err,
			    .errlen = errlen };
	struct json *root;

	if (len > JSON_MAX_BYTES) {
		fail(&p, "document larger than %u bytes", JSON_MAX_BYTES);
		return NULL;
	}
	if (!text && len) {
		fail(&p, "no input");
		return NULL;
	}
	root = parse_value(&p, 1);
	if (!root)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		fail(&p, "trailing data after the document");
		json_free(root);
		return NULL;
	}
	return root;
}

void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;

		json_free(j->child);
		free(j->str);
		free(j->key);
		free(j);
		j = next;
	}
}

const struct json *json_get(const struct json *o, const char *key)
{
	const struct json *c, *found = NULL;

	if (!o || o->type != JSON_OBJECT)
		return NULL;
	for (c = o->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			found = c;
	return found;
}

const struct json *json_at(const struct json *a, size_t i)
{
	const struct json *c;

	if (!a || a->type != JSON_ARRAY)
		return NULL;
	for (c = a->child; c && i; c = c->next)
		i--;
	return c;
}

const char *json_str(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->str : NULL;
}

int json_int(const struct json *j, int64_t *v)
{
	if (!j || j->type != JSON_NUMBER || !j->is_int)
		return -EINVAL;
	*v = j->i64;
	return 0;
}

int json_bool(const struct json *j)
{
	if (j && j->type == JSON_TRUE)
		return 1;
	if (j && j->type == JSON_FALSE)
		return 0;
	return -EINVAL;
}

void json_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
