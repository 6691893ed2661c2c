/*
 * util.h - small helpers shared by both programs: memory, numbers,
 * durations, clocks, UTF-8, base64url, and a growable byte buffer.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* sysexits(3) codes used throughout (SPEC section 7). */
enum {
	EXIT_USAGE = 64, EXIT_NOINPUT = 66, EXIT_OSERR = 71,
	EXIT_INUSE = 73, EXIT_IOERR = 74, EXIT_NOPERM = 77, EXIT_CONFIG = 78
};

/* Allocation failure is a broken invariant here: exit 71 with a message. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);

/* Print "prog: message" to stderr and exit with code. */
void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void util_set_progname(const char *name);

/* Parse a decimal unsigned integer in [min, max]; 0 on success, -1 if not. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parse "250ms", "10s", "2m" or a bare number of seconds into ms. */
int parse_duration_ms(const char *s, uint64_t *ms);

/* Clocks in nanoseconds. */
uint64_t mono_ns(void);
uint64_t real_ns(void);

/* RFC 3339 UTC with 9 fraction digits and Z; out needs 31 bytes. */
void rfc3339_ns(uint64_t ns, char out[31]);

/* Strict UTF-8: no overlongs, surrogates, values past U+10FFFF, or U+0000. */
int utf8_valid(const uint8_t *s, size_t n);

/* base64url without padding. out needs b64url_len(n) + 1 bytes. */
size_t b64url_len(size_t n);
void b64url_encode(const uint8_t *in, size_t n, char *out);

/* Decode base64url (or standard base64), tolerating '=' padding and
 * surrounding whitespace. Returns decoded length or -1. */
long b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* Lowercase hex of n bytes into out (2n + 1). */
void hex_encode(const uint8_t *in, size_t n, char *out);

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
