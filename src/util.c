/*
 * util.c - helpers shared by the daemon and the CLI (see include/util.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static const char *progname = "cellos-telemetry";

void
util_set_progname(const char *name)
{
	progname = name;
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die(EXIT_OSERR, "out of memory allocating %zu bytes", n);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		die(EXIT_OSERR, "out of memory allocating %zu bytes", n);
	return q;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration_ms(const char *s, uint64_t *ms)
{
	char num[32];
	const char *unit;
	size_t n;
	uint64_t v, mult;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
		;
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	unit = s + n;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (strcmp(unit, "s") == 0 || *unit == '\0')
		mult = 1000;
	else if (strcmp(unit, "m") == 0)
		mult = 60000;
	else
		return -1;
	/* a day is far beyond any sensible timeout; it also keeps ns in range */
	if (parse_u64(num, 0, 86400000 / mult, &v) != 0)
		return -1;
	*ms = v * mult;
	return 0;
}

uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
put_digits(char *p, unsigned v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
rfc3339_ns(uint64_t ns, char out[31])
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;

	gmtime_r(&sec, &tm);
	/* YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ, by hand: this runs once per event */
	put_digits(out, (unsigned)(tm.tm_year + 1900), 4);
	out[4] = '-';
	put_digits(out + 5, (unsigned)tm.tm_mon + 1, 2);
	out[7] = '-';
	put_digits(out + 8, (unsigned)tm.tm_mday, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)tm.tm_hour, 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)tm.tm_min, 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)tm.tm_sec, 2);
	out[19] = '.';
	put_digits(out + 20, (unsigned)(ns % 1000000000u), 9);
	out[29] = 'Z';
	out[30] = '\0';
}

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or values past U+10FFFF,
 * and no U+0000, which would truncate C strings downstream. */
int
utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t k, need;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return 0;
		i += need + 1;
	}
	return 1;
}

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64url_len(size_t n)
{
	return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

void
b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

long
b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	size_t i, o = 0, bits = 0, pad = 0;
	uint32_t acc = 0;

	while (n > 0 && isspace((unsigned char)in[0])) {
		in++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	while (n > 0 && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* leftover bits must be zero, or two encodings would mean one key */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

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
