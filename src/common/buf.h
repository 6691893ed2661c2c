/*
 * buf.h - a growable byte buffer with a hard ceiling set when it is created.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <string.h>

/* A growable byte buffer with a hard ceiling set when created. */
struct buf {
	char *p;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t initial, size_t max);
void buf_free(struct buf *b);
/* Make room for n more bytes; 0, or -1 past the ceiling (nothing changed). */
int buf_grow(struct buf *b, size_t n);

/* Append; returns 0, or -1 when the ceiling would be passed (nothing added).
 * Inline: a line is built from a few dozen appends, and an out-of-line call
 * (and a run-time strlen of each literal) cost as much as the copying. */
static inline int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len && buf_grow(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static inline int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

static inline int
buf_addc(struct buf *b, char c)
{
	if (b->len == b->cap && buf_grow(b, 1) != 0)
		return -1;
	b->p[b->len++] = c;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shrink back to initial capacity after a burst. */
void buf_shrink(struct buf *b, size_t initial);

#endif
