/*
 * buf.h - a growable byte buffer with a hard ceiling set when it is created.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

/* A growable byte buffer with a hard ceiling set when created. */
struct buf {
	char *p;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t initial, size_t max);
void buf_free(struct buf *b);
/* Append; returns 0, or -1 when the ceiling would be passed (nothing added). */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shrink back to initial capacity after a burst. */
void buf_shrink(struct buf *b, size_t initial);

#endif
