// SPDX-License-Identifier: GPL-2.0
/* lib.c - freestanding helpers: mem*, COM1, line formatting. */
#include "guest.h"

/* mem* in string instructions: the compiler may call these, and must not
 * turn their own loops back into calls to themselves. */
void *memset(void *s, int c, size_t n)
{
	void *d = s;

	__asm__ __volatile__("rep stosb"
			     : "+D"(d), "+c"(n)
			     : "a"(c)
			     : "memory");
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *dd = d;

	__asm__ __volatile__("rep movsb"
			     : "+D"(dd), "+S"(s), "+c"(n)
			     :
			     : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	if ((uintptr_t)d - (uintptr_t)s >= n)
		return memcpy(d, s, n);	/* no harmful overlap */
	{
		unsigned char *dd = (unsigned char *)d + n - 1;
		const unsigned char *ss = (const unsigned char *)s + n - 1;

		__asm__ __volatile__("std; rep movsb; cld"
				     : "+D"(dd), "+S"(ss), "+c"(n)
				     :
				     : "memory");
	}
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* ---- COM1 ---- */
#define COM1 0x3f8
#define LSR_THRE 0x20
#define POLL_LIMIT (1u << 16)

static int serial_blind;	/* LSR never says "empty": stop polling */

void serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* no interrupts */
	outb(COM1 + 3, 0x80);	/* DLAB */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0x07);	/* FIFO on, cleared */
	outb(COM1 + 4, 0x03);	/* DTR, RTS */
	if (inb(COM1 + 5) == 0xff)
		serial_blind = 1;	/* floating bus: no UART */
}

void serial_write(const char *s, uint32_t len)
{
	while (len--) {
		if (!serial_blind) {
			uint32_t i;

			for (i = 0; i < POLL_LIMIT; i++)
				if (inb(COM1 + 5) & LSR_THRE)
					break;
			if (i == POLL_LIMIT)
				serial_blind = 1;
		}
		outb(COM1, (uint8_t)*s++);
	}
}

/* ---- lines ---- */
void line_start(struct line *l)
{
	l->len = 0;
	line_str(l, "precopy-guest: ");
}

void line_strn(struct line *l, const char *s, uint32_t n)
{
	while (n-- && *s && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = *s++;
}

void line_str(struct line *l, const char *s)
{
	line_strn(l, s, sizeof(l->buf));
}

uint32_t divmod32(uint64_t *v, uint32_t d)
{
	uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v, qhi, qlo, r;

	qhi = hi / d;
	r = hi % d;
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	*v = ((uint64_t)qhi << 32) | qlo;
	return r;
}

uint64_t udiv64(uint64_t n, uint64_t d)
{
	uint64_t q = 0, bit = 1;

	if (!(d >> 32)) {
		divmod32(&n, (uint32_t)d);
		return n;
	}
	while (d < n && !(d >> 63)) {
		d <<= 1;
		bit <<= 1;
	}
	for (; bit; d >>= 1, bit >>= 1)
		if (n >= d) {
			n -= d;
			q |= bit;
		}
	return q;
}

void line_u64(struct line *l, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + divmod32(&v, 10));
	while (v);
	while (n && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = tmp[--n];
}

void line_hex(struct line *l, uint32_t v)
{
	char tmp[8];
	int n = 0;

	line_str(l, "0x");
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = tmp[--n];
}

void line_emit(struct line *l)
{
	l->buf[l->len] = '\n';
	serial_write(l->buf, l->len + 1);
}
