/* test_util.c - numbers, durations, time format, UTF-8, base64url. */
#include <stdint.h>

#include "buf.h"
#include "clock.h"
#include "encode.h"
#include "t.h"
#include "utf8.h"
#include "util.h"

static void
durations(void)
{
	uint64_t ms;

	T_EQ_INT(parse_duration_ms("250ms", &ms), 0); T_EQ_INT(ms, 250);
	T_EQ_INT(parse_duration_ms("10s", &ms), 0); T_EQ_INT(ms, 10000);
	T_EQ_INT(parse_duration_ms("2m", &ms), 0); T_EQ_INT(ms, 120000);
	T_EQ_INT(parse_duration_ms("7", &ms), 0); T_EQ_INT(ms, 7000);
	T_EQ_INT(parse_duration_ms("0", &ms), 0); T_EQ_INT(ms, 0);
	T_EQ_INT(parse_duration_ms("", &ms), -1);
	T_EQ_INT(parse_duration_ms("5h", &ms), -1);
	T_EQ_INT(parse_duration_ms("-1s", &ms), -1);
	T_EQ_INT(parse_duration_ms("1.5s", &ms), -1);
	T_EQ_INT(parse_duration_ms("99999999999999999999s", &ms), -1);
}

static void
numbers(void)
{
	uint64_t v;

	T_EQ_INT(parse_u64("64", 64, 65536, &v), 0);
	T_EQ_INT(parse_u64("63", 64, 65536, &v), -1);
	T_EQ_INT(parse_u64("65537", 64, 65536, &v), -1);
	T_EQ_INT(parse_u64("12x", 0, 100, &v), -1);
	T_EQ_INT(parse_u64(" 1", 0, 100, &v), -1);
	T_EQ_INT(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	T_ASSERT(v == UINT64_MAX);
	T_EQ_INT(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -1);
}

static void
rfc3339(void)
{
	char ts[31];

	rfc3339_ns(0, ts);
	T_EQ_STR(ts, "1970-01-01T00:00:00.000000000Z");
	rfc3339_ns(1764384000123456789ull, ts);
	T_EQ_STR(ts, "2025-11-29T02:40:00.123456789Z");
}

static void
utf8(void)
{
	T_ASSERT(utf8_valid((const uint8_t *)"abc", 3));
	T_ASSERT(utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));   /* U+10FFFF */
	T_ASSERT(!utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));  /* past it */
	T_ASSERT(!utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3));      /* overlong */
	T_ASSERT(!utf8_valid((const uint8_t *)"\xed\xbf\xbf", 3));      /* surrogate */
	T_ASSERT(!utf8_valid((const uint8_t *)"\x80", 1));
	T_ASSERT(!utf8_valid((const uint8_t *)"a\0", 2));
	/* the 8-byte ASCII steps: a NUL or a bad byte at every position of a
	 * long run is still found, and a character after the run still checked */
	{
		uint8_t s[40];
		size_t i;

		memset(s, 'a', sizeof(s));
		T_ASSERT(utf8_valid(s, sizeof(s)));
		for (i = 0; i < sizeof(s); i++) {
			s[i] = 0;
			T_ASSERT(!utf8_valid(s, sizeof(s)));
			s[i] = 0x80;
			T_ASSERT(!utf8_valid(s, sizeof(s)));
			s[i] = 'a';
		}
		memcpy(s + 17, "\xc3\xa9", 2);                 /* U+00E9 */
		T_ASSERT(utf8_valid(s, sizeof(s)));
		memcpy(s + 17, "\xc0\xa9", 2);                 /* overlong */
		T_ASSERT(!utf8_valid(s, sizeof(s)));
	}
}

static void
base64url(void)
{
	uint8_t out[64];
	char txt[64];
	const uint8_t in[5] = { 0xfb, 0xff, 0xbf, 0x00, 0x01 };

	b64url_encode(in, 5, txt);
	T_EQ_STR(txt, "-_-_AAE");
	T_EQ_INT(b64url_decode("-_-_AAE", 7, out, sizeof(out)), 5);
	T_ASSERT(memcmp(out, in, 5) == 0);
	/* correct padding and surrounding whitespace tolerated */
	T_EQ_INT(b64url_decode("  -_-_AAE=\n", 11, out, sizeof(out)), 5);
	T_ASSERT(memcmp(out, in, 5) == 0);
	/* the standard alphabet, mixed alphabets, wrong or interior padding,
	 * interior whitespace: refused, never a different key */
	T_EQ_INT(b64url_decode("+/+/AAE", 7, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("-_+/AAE", 7, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("-_-_AAE==", 9, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("-_-_=AAE", 8, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("-_-_ AAE", 8, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("", 0, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("ab$d", 4, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("a", 1, out, sizeof(out)), -1);
	T_EQ_INT(b64url_decode("AAF", 3, out, sizeof(out)), -1);       /* stray bits */
	T_EQ_INT(b64url_decode("AAAA", 4, out, 2), -1);                /* too long */
}

/* The table encoder for public values writes what the constant-time one
 * does, at every length. */
static void
base64url_public_same_text(void)
{
	uint8_t in[70];
	char a[100], b[100];
	size_t n, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		b64url_encode(in, n, a);
		b64url_encode_public(in, n, b);
		T_EQ_STR(b, a);
	}
}

static void
buffer_ceiling(void)
{
	struct buf b;

	buf_init(&b, 4, 10);
	T_EQ_INT(buf_adds(&b, "0123456789"), 0);
	T_EQ_INT(buf_addc(&b, 'x'), -1);
	T_EQ_INT(b.len, 10);
	b.len = 0;
	buf_shrink(&b, 4);
	T_EQ_INT(b.cap, 4);
	buf_free(&b);
}

void
util_tests(void)
{
	RUN(durations);
	RUN(numbers);
	RUN(rfc3339);
	RUN(utf8);
	RUN(base64url);
	RUN(base64url_public_same_text);
	RUN(buffer_ceiling);
}
