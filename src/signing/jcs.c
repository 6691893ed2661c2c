/*
 * jcs.c - RFC 8785 canonical JSON writer (see include/jcs.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jcs.h"
#include "util.h"
#include "utf8.h"

/* The one rule for numbers in the stream (SPEC section 5). */
int
jcs_get_u64(const json_t *m, uint64_t *v)
{
	if (json_is_integer(m) && json_integer_value(m) >= 0) {
		*v = (uint64_t)json_integer_value(m);
		return 0;
	}
	if (json_is_string(m))
		return parse_u64(json_string_value(m), 0, UINT64_MAX, v);
	return -1;
}

int
jcs_int_safe(long long x)
{
	return x <= JCS_MAX_SAFE_INT && x >= -JCS_MAX_SAFE_INT;
}

json_t *
jcs_u64(uint64_t v)
{
	char s[24];

	if (v <= (uint64_t)JCS_MAX_SAFE_INT)
		return json_integer((json_int_t)v);
	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	return json_string(s);
}

static json_t *
safe_scalar(json_t *v)
{
	char s[40];

	if (json_is_real(v)) {
		double d = json_real_value(v);
		int prec;

		/* the shortest text that reads back as the same double */
		for (prec = 15; prec <= 17; prec++) {
			snprintf(s, sizeof(s), "%.*g", prec, d);
			if (strtod(s, NULL) == d)
				break;
		}
		return json_string(s);
	}
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);

		if (!jcs_int_safe(x)) {
			snprintf(s, sizeof(s), "%lld", (long long)x);
			return json_string(s);
		}
	}
	return NULL;
}

void
jcs_make_safe(json_t *v)
{
	size_t i;
	const char *k;
	json_t *m, *r;

	if (json_is_object(v)) {
		json_object_foreach(v, k, m) {
			if ((r = safe_scalar(m)) != NULL)
				json_object_set_new(v, k, r);
			else
				jcs_make_safe(m);
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			m = json_array_get(v, i);
			if ((r = safe_scalar(m)) != NULL)
				json_array_set_new(v, i, r);
			else
				jcs_make_safe(m);
		}
	}
}

/* 1 when the digits d[0, n) are above 2^53-1. */
static int
digits_unsafe(const char *d, size_t n)
{
	static const char max[] = "9007199254740991";

	if (n != sizeof(max) - 1)
		return n > sizeof(max) - 1;
	return memcmp(d, max, n) > 0;
}

int
jcs_quote_big_ints(const char *in, size_t n, struct buf *out)
{
	size_t i = 0, run = 0;
	int in_str = 0;

	out->len = 0;
	while (i < n) {
		char c = in[i];
		size_t s, e;

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			i++;
			continue;
		}
		if (c != '-' && !(c >= '0' && c <= '9')) {
			i++;
			continue;
		}
		/* a number token: its integer digits, then is it an integer? */
		s = i + (c == '-');
		for (e = s; e < n && in[e] >= '0' && in[e] <= '9'; e++)
			;
		if (e < n && (in[e] == '.' || in[e] == 'e' || in[e] == 'E')) {
			for (i = e; i < n && strchr("0123456789.eE+-", in[i]); i++)
				;
			continue;
		}
		if (e > s && digits_unsafe(in + s, e - s)) {
			if (buf_add(out, in + run, i - run) != 0 ||
			    buf_addc(out, '"') != 0 ||
			    buf_add(out, in + i, e - i) != 0 ||
			    buf_addc(out, '"') != 0)
				return -1;
			run = e;
		}
		i = e > i ? e : i + 1;
	}
	return buf_add(out, in + run, n - run);
}

int
jcs_string(struct buf *b, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	/* what RFC 8785 escapes: control characters, '"' and '\\' (a table:
	 * every string of every line passes through here) */
	static const unsigned char escaped[256] = {
		[0x00] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		[0x10] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		['"'] = 1, ['\\'] = 1,
	};
	size_t i, run = 0;

	if (buf_addc(b, '"') != 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t elen = 2;

		if (!escaped[c])
			continue;
		if (buf_add(b, s + run, i - run) != 0)
			return -1;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hx[c >> 4];
			esc[5] = hx[c & 15];
			elen = 6;
		}
		if (buf_add(b, esc, elen) != 0)
			return -1;
	}
	if (buf_add(b, s + run, n - run) != 0)
		return -1;
	return buf_addc(b, '"');
}

/* Next UTF-16 code unit of a valid UTF-8 string; *pend holds a pending low
 * surrogate between calls. */
static unsigned
next_unit(const unsigned char **p, const unsigned char *end, unsigned *pend)
{
	unsigned cp;
	const unsigned char *s = *p;

	if (*pend) {
		cp = *pend;
		*pend = 0;
		return cp;
	}
	if (s[0] < 0x80) {
		cp = s[0];
		s += 1;
	} else if (s[0] < 0xE0 && s + 1 < end) {
		cp = (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu);
		s += 2;
	} else if (s[0] < 0xF0 && s + 2 < end) {
		cp = (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
		s += 3;
	} else if (s + 3 < end) {
		cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 |
		    (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
		s += 4;
	} else {
		cp = s[0];      /* truncated: callers pass valid UTF-8 */
		s = end;
	}
	*p = s;
	if (cp >= 0x10000) {
		cp -= 0x10000;
		*pend = 0xDC00 + (cp & 0x3FF);
		return 0xD800 + (cp >> 10);
	}
	return cp;
}

int
jcs_key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	const unsigned char *pa = (const unsigned char *)a, *ea = pa + an;
	const unsigned char *pb = (const unsigned char *)b, *eb = pb + bn;
	unsigned pend_a = 0, pend_b = 0;

	while ((pa < ea || pend_a) && (pb < eb || pend_b)) {
		unsigned ua = next_unit(&pa, ea, &pend_a);
		unsigned ub = next_unit(&pb, eb, &pend_b);

		if (ua != ub)
			return ua < ub ? -1 : 1;
	}
	if (pa < ea || pend_a)
		return 1;
	if (pb < eb || pend_b)
		return -1;
	return 0;
}

struct member {
	const char *key;
	size_t klen;
	json_t *val;
};

static int
member_cmp(const void *x, const void *y)
{
	const struct member *a = x, *b = y;

	return jcs_key_cmp(a->key, a->klen, b->key, b->klen);
}

int
jcs_value(struct buf *b, const json_t *v)
{
	char num[32];
	size_t i, n;
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_NULL:
		return buf_adds(b, "null");
	case JSON_TRUE:
		return buf_adds(b, "true");
	case JSON_FALSE:
		return buf_adds(b, "false");
	case JSON_INTEGER: {
		json_int_t x = json_integer_value(v);

		if (!jcs_int_safe(x))
			return -1;
		snprintf(num, sizeof(num), "%lld", (long long)x);
		return buf_adds(b, num);
	}
	case JSON_REAL:
		return -1;
	case JSON_STRING: {
		const char *s = json_string_value(v);

		n = json_string_length(v);
		if (!utf8_valid((const uint8_t *)s, n))
			return -1;
		return jcs_string(b, s, n);
	}
	case JSON_ARRAY:
		if (buf_addc(b, '[') != 0)
			return -1;
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0 && buf_addc(b, ',') != 0)
				return -1;
			if (jcs_value(b, json_array_get(v, i)) != 0)
				return -1;
		}
		return buf_addc(b, ']');
	case JSON_OBJECT: {
		struct member *m;
		const char *key;
		size_t klen;
		json_t *val;

		n = json_object_size(v);
		m = xmalloc((n ? n : 1) * sizeof(*m));
		i = 0;
		json_object_keylen_foreach((json_t *)(uintptr_t)v, key, klen, val) {
			m[i].key = key;
			m[i].klen = klen;
			m[i].val = val;
			i++;
		}
		qsort(m, n, sizeof(*m), member_cmp);
		rc = buf_addc(b, '{');
		for (i = 0; rc == 0 && i < n; i++) {
			if (i > 0)
				rc = buf_addc(b, ',');
			if (rc == 0 && !utf8_valid((const uint8_t *)m[i].key,
			    m[i].klen))
				rc = -1;
			if (rc == 0)
				rc = jcs_string(b, m[i].key, m[i].klen);
			if (rc == 0)
				rc = buf_addc(b, ':');
			if (rc == 0)
				rc = jcs_value(b, m[i].val);
		}
		if (rc == 0)
			rc = buf_addc(b, '}');
		free(m);
		return rc;
	}
	}
	return -1;
}
