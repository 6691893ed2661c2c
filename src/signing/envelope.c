/*
 * envelope.c - the fast read of a daemon line's envelope (see
 * include/envelope.h).
 */
#define _GNU_SOURCE         /* memrchr */
#include <stdio.h>
#include <string.h>

#include "envelope.h"

/* The last occurrence of s in p[0, n): members after "data" come last, and
 * inside a JSON string a quote is always escaped, so this is the top-level
 * member. */
static const char *
last(const char *p, size_t n, const char *s)
{
	size_t m = strlen(s);
	const char *q, *end = p + n;

	/* from one candidate first byte to the one before it (memrchr
	 * skips the rest many bytes at a time) */
	while ((q = memrchr(p, *s, (size_t)(end - p))) != NULL) {
		if ((size_t)(p + n - q) >= m && memcmp(q, s, m) == 0)
			return q;
		end = q;
	}
	return NULL;
}

/* Expect the literal s at *p; advance past it. */
static int
lit(const char **p, const char *end, const char *s)
{
	size_t m = strlen(s);

	if ((size_t)(end - *p) < m || memcmp(*p, s, m) != 0)
		return -1;
	*p += m;
	return 0;
}

/* A string's characters up to its closing quote, no escapes, into out. */
static int
text(const char **p, const char *end, char *out, size_t cap)
{
	/* where an unescaped string ends or needs unescaping */
	static const unsigned char stop[256] = {
		[0x00] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		[0x10] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		['"'] = 1, ['\\'] = 1,
	};
	const char *q = *p;

	while (q < end && !stop[(unsigned char)*q])
		q++;
	if (q == end || *q != '"' || (size_t)(q - *p) >= cap)
		return -1;
	memcpy(out, *p, (size_t)(q - *p));
	out[q - *p] = '\0';
	*p = q + 1;
	return 0;
}

static int
digits(const char **p, const char *end, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if ((size_t)(end - *p) < n)
		return -1;
	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9' || *v > (UINT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(c - '0');
	}
	*p += n;
	return 0;
}

static int
b64url_run(const char *p, const char *end, size_t n)
{
	size_t i;

	if ((size_t)(end - p) < n)
		return -1;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
	}
	return 0;
}

int
envelope_scan(const char *line, size_t n, struct envelope *e)
{
	const char *end = line + n, *p, *sig_start;
	char idbuf[64] = { 0 }, want[24], *d, ts[40], spec[8];
	uint64_t idseq;

	memset(e, 0, sizeof(*e));
	if (n < 2 || line[0] != '{' || line[n - 1] != '}')
		return -1;
	/* {"chain":" + 43 characters + ", : all inside the line */
	if (n >= 10 + 43 + 2 && memcmp(line, "{\"chain\":\"", 10) == 0) {
		if (b64url_run(line + 10, end, 43) != 0 ||
		    memcmp(line + 53, "\",", 2) != 0)
			return -1;
		e->chain = line + 10;
		e->chain_cut = 54;      /* "chain":"<43>", */
	}
	p = last(line, n, ",\"datacontenttype\":\"application/json\",\"id\":\"");
	if (p == NULL)
		return -1;
	p += strlen(",\"datacontenttype\":\"application/json\",\"id\":\"");
	if (text(&p, end, idbuf, sizeof(idbuf)) != 0 ||
	    lit(&p, end, ",\"sequence\":\"") != 0 ||
	    digits(&p, end, 20, &e->seq) != 0 || lit(&p, end, "\"") != 0)
		return -1;
	sig_start = p;
	if (lit(&p, end, ",\"sig\":\"") == 0) {
		e->sig = p;
		while (p < end && *p != '"')
			p++;
		e->sig_len = (size_t)(p - e->sig);
		if (p == end || b64url_run(e->sig, end, e->sig_len) != 0)
			return -1;
		p++;
		e->sig_at = (size_t)(sig_start - line);
		e->sig_cut = (size_t)(p - sig_start);
	}
	if (lit(&p, end, ",\"sigalg\":\"") != 0 ||
	    text(&p, end, e->alg, sizeof(e->alg)) != 0 ||
	    lit(&p, end, ",\"sigkid\":\"") != 0 ||
	    text(&p, end, e->kid, sizeof(e->kid)) != 0 ||
	    lit(&p, end, ",\"source\":\"urn:cellos:cell:") != 0 ||
	    text(&p, end, e->cell, sizeof(e->cell)) != 0 || e->cell[0] == '\0' ||
	    lit(&p, end, ",\"specversion\":\"") != 0 ||
	    text(&p, end, spec, sizeof(spec)) != 0 || strcmp(spec, "1.0") != 0 ||
	    lit(&p, end, ",\"streamid\":\"") != 0 ||
	    text(&p, end, e->streamid, sizeof(e->streamid)) != 0 ||
	    strlen(e->streamid) != 32 ||
	    lit(&p, end, ",\"time\":\"") != 0 ||
	    text(&p, end, ts, sizeof(ts)) != 0 || strlen(ts) != 30 ||
	    lit(&p, end, ",\"type\":\"") != 0 ||
	    text(&p, end, e->type, sizeof(e->type)) != 0 || e->type[0] == '\0' ||
	    p != end - 1)
		return -1;
	/* id is <streamid>-<sequence without padding>; no printf per line */
	idseq = e->seq;
	d = want + sizeof(want) - 1;
	*d = '\0';
	do {
		*--d = (char)('0' + idseq % 10);
		idseq /= 10;
	} while (idseq > 0);
	return strlen(idbuf) > 33 && strncmp(idbuf, e->streamid, 32) == 0 &&
	    idbuf[32] == '-' && strcmp(idbuf + 33, d) == 0 ? 0 : -1;
}
