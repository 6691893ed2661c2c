/*
 * buf.c - the growable byte buffer with a ceiling (see include/buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

void
buf_init(struct buf *b, size_t initial, size_t max)
{
	b->p = xmalloc(initial);
	b->len = 0;
	b->cap = initial;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len)
		return -1;
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap : 64;

		while (c < b->len + n)
			c = c > b->max / 2 ? b->max : c * 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return buf_add(b, tmp, (size_t)n);
}

void
buf_shrink(struct buf *b, size_t initial)
{
	if (b->cap > initial && b->len <= initial) {
		b->p = xrealloc(b->p, initial);
		b->cap = initial;
	}
}
