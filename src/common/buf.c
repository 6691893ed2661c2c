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
	/* cap never exceeds max: the inline appends check only cap */
	if (initial > max)
		initial = max;
	b->p = xmalloc(initial ? initial : 1);
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
buf_grow(struct buf *b, size_t n)
{
	size_t c = b->cap ? b->cap : 64;

	if (n > b->max - b->len)
		return -1;
	while (c < b->len + n)
		c = c > b->max / 2 ? b->max : c * 2;
	if (c > b->max)
		c = b->max;
	if (c > b->cap) {
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	return 0;
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
