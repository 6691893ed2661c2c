/*
 * verify_line.c - one line, strictly (see verify_line.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "encode.h"
#include "envelope.h"
#include "event_types.h"
#include "jcs.h"
#include "sign.h"
#include "util.h"
#include "verify_line.h"

void
verify_scratch_init(struct verify_scratch *s)
{
	s->cut_len = 0;
	buf_init(&s->canon, 4096, (size_t)1 << 26);
}

void
verify_scratch_free(struct verify_scratch *s)
{
	buf_free(&s->canon);
}

void
verify_line_clear(struct verify_line *L)
{
	json_decref(L->ev);
	L->ev = NULL;
}

int
verify_is_streamid(const char *s)
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[32] == '\0';
}

static const char *
str_member(json_t *o, const char *name)
{
	json_t *m = json_object_get(o, name);

	return json_is_string(m) ? json_string_value(m) : NULL;
}

/* The types whose data the stream checks read. */
static int
needs_data(const char *type)
{
	return strcmp(type, EVENT_STOPPED) == 0 ||
	    strcmp(type, EVENT_FRAMES_REJECTED) == 0 ||
	    strcmp(type, EVENT_SEAL) == 0 ||
	    strcmp(type, EVENT_KEY_ROTATED) == 0;
}

static int
time_ok(const char *t)
{
	/* YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
	size_t i;

	if (strlen(t) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != shape[i])
			return 0;
	return 1;
}

#define BAD(...) do { snprintf(why, whylen, __VA_ARGS__); return 0; } while (0)

int
verify_line_locate(const char *line, size_t n, char sid[33], uint64_t *seq,
    char *why, size_t whylen)
{
	struct envelope e;
	json_error_t jerr;
	json_t *ev;
	const char *s, *q;
	int ok = 0;

	if (n <= VERIFY_FAST_MAX && envelope_scan(line, n, &e) == 0 &&
	    verify_is_streamid(e.streamid)) {
		memcpy(sid, e.streamid, 33);
		*seq = e.seq;
		return *seq >= 1 ? 0 : (snprintf(why, whylen, "sequence is "
		    "not a 20-digit number from 1"), -1);
	}
	ev = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	if (ev == NULL) {
		snprintf(why, whylen, "not JSON: %s", jerr.text);
		return -1;
	}
	if (!json_is_object(ev))
		snprintf(why, whylen, "not a JSON object");
	else if ((s = str_member(ev, "streamid")) == NULL ||
	    !verify_is_streamid(s))
		snprintf(why, whylen, "streamid is not 32 lowercase hex "
		    "characters");
	else if ((q = str_member(ev, "sequence")) == NULL || strlen(q) != 20 ||
	    parse_u64(q, 1, UINT64_MAX, seq) != 0)
		snprintf(why, whylen, "sequence is not a 20-digit number from 1");
	else {
		memcpy(sid, s, 33);
		ok = 1;
	}
	json_decref(ev);
	return ok ? 0 : -1;
}

/* CloudEvents attributes and our envelope rules, on a parsed line. */
static int
check_envelope(json_t *ev, struct verify_line *L, const char **sig,
    const char **chain, char *why, size_t whylen)
{
	const char *s, *seqs, *id, *t;
	char want_id[64];
	json_t *m;

	if (!json_is_object(ev))
		BAD("not a JSON object");
	if ((s = str_member(ev, "specversion")) == NULL || strcmp(s, "1.0") != 0)
		BAD("specversion is not \"1.0\"");
	if ((s = str_member(ev, "datacontenttype")) == NULL ||
	    strcmp(s, "application/json") != 0)
		BAD("datacontenttype is not application/json");
	if ((s = str_member(ev, "source")) == NULL ||
	    strncmp(s, "urn:cellos:cell:", 16) != 0 || s[16] == '\0' ||
	    strlen(s + 16) >= sizeof(L->cell))
		BAD("source is not urn:cellos:cell:<cell_id>");
	snprintf(L->cell, sizeof(L->cell), "%s", s + 16);
	if ((t = str_member(ev, "type")) == NULL || t[0] == '\0' ||
	    strlen(t) >= sizeof(L->type))
		BAD("type is missing");
	snprintf(L->type, sizeof(L->type), "%s", t);
	if ((s = str_member(ev, "time")) == NULL || !time_ok(s))
		BAD("time is not RFC 3339 UTC with nanoseconds");
	if ((s = str_member(ev, "streamid")) == NULL || !verify_is_streamid(s))
		BAD("streamid is not 32 lowercase hex characters");
	memcpy(L->sid, s, 33);
	if ((seqs = str_member(ev, "sequence")) == NULL || strlen(seqs) != 20 ||
	    parse_u64(seqs, 1, UINT64_MAX, &L->seq) != 0)
		BAD("sequence is not a 20-digit number from 1");
	snprintf(want_id, sizeof(want_id), "%s-%llu", L->sid,
	    (unsigned long long)L->seq);
	if ((id = str_member(ev, "id")) == NULL || strcmp(id, want_id) != 0)
		BAD("id is not <streamid>-<sequence>");
	if (!json_is_object(json_object_get(ev, "data")))
		BAD("data is not an object");
	if ((m = json_object_get(ev, "chain")) != NULL && !json_is_string(m))
		BAD("chain is not a string");
	*sig = str_member(ev, "sig");
	*chain = str_member(ev, "chain");
	if ((s = str_member(ev, "sigalg")) == NULL ||
	    verify_sig_len(s) == 0)
		BAD("sigalg is missing or not ed25519 or hmac-sha256");
	snprintf(L->alg, sizeof(L->alg), "%s", s);
	if ((s = str_member(ev, "sigkid")) == NULL || s[0] == '\0' ||
	    strlen(s) >= sizeof(L->kid))
		BAD("sigkid is missing");
	snprintf(L->kid, sizeof(L->kid), "%s", s);
	if (json_object_get(ev, "sig") == NULL && *chain == NULL)
		BAD("unsigned (no sig)");
	return 1;
}

/* ring_check's answer as verify_line_check's. */
static int
sig_checked(struct verify_ring *ring, struct verify_line *L,
    const uint8_t *msg, size_t n, const uint8_t *raw, size_t rawlen,
    const char *what, char *why, size_t whylen)
{
	char w[200];
	int rc = verify_ring_check(ring, L->kid, L->alg, msg, n, raw, rawlen,
	    w, sizeof(w));

	if (rc == 1) {
		L->sig_ok = 1;
		return 1;
	}
	if (rc == 0)
		BAD("bad signature%s", what);
	BAD("%s", w);
}

/* The full path: parse, compare with the canonical form, check. */
static int
slow_line(struct verify_ring *ring, struct verify_scratch *s,
    const char *line, size_t n, const unsigned char *prev,
    struct verify_line *L, char *why, size_t whylen)
{
	const char *sig, *chain;
	char chain_text[CHAIN_TEXT + 1], sig_text[SIGN_MAX_TEXT + 2];
	uint8_t raw[SIGN_MAX_BYTES];
	unsigned char link[CHAIN_BYTES];
	size_t siglen, i;
	int has_sig, sig_is_str, sig_long;
	json_error_t jerr;
	struct buf *c = &s->canon;

	L->ev = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	if (L->ev == NULL)
		BAD("not JSON: %s", jerr.text);
	c->len = 0;
	if (jcs_value(c, L->ev) != 0)
		BAD("cannot canonicalize (a float, an unsafe integer or an "
		    "oversized line)");
	if (c->len != n || memcmp(c->p, line, n) != 0) {
		for (i = 0; i < n && i < c->len && c->p[i] == line[i]; i++)
			;
		BAD("not canonical JSON (RFC 8785): differs from its canonical "
		    "form at byte %zu", i + 1);
	}
	if (!check_envelope(L->ev, L, &sig, &chain, why, whylen))
		return 0;
	siglen = verify_sig_len(L->alg);
	L->chained = chain != NULL;
	L->seal = chain_is_seal(L->type);
	/* present means a string: no "sig":null or "sig":{...} riding along */
	has_sig = json_object_get(L->ev, "sig") != NULL;
	if (chain == NULL) {
		/* line mode: the signed bytes are the event without sig */
		if (sig == NULL)
			BAD("sig is not a string");
		if (verify_b64_exact(sig, strlen(sig), raw, siglen) != 0)
			BAD("sig is not the base64url text of a %s signature "
			    "(%zu characters)", L->alg, b64url_len(siglen));
		json_object_del(L->ev, "sig");
		c->len = 0;
		if (jcs_value(c, L->ev) != 0)
			BAD("cannot canonicalize");
		return sig_checked(ring, L, (const uint8_t *)c->p, c->len, raw,
		    siglen, "", why, whylen);
	}
	if (verify_b64_exact(chain, strlen(chain), L->chain, CHAIN_BYTES) != 0)
		BAD("chain is not the base64url text of 32 bytes (43 "
		    "characters)");
	L->have_chain = 1;
	snprintf(chain_text, sizeof(chain_text), "%s", chain);
	/* the members' texts go with them below: keep what is needed */
	sig_is_str = sig != NULL;
	sig_long = sig != NULL && strlen(sig) >= sizeof(sig_text);
	if (sig != NULL)
		snprintf(sig_text, sizeof(sig_text), "%.*s",
		    (int)(sizeof(sig_text) - 1), sig);
	sig = chain = NULL;
	/* the link first: a line with a bad member still carries the chain
	 * on, one report per break */
	json_object_del(L->ev, "sig");
	json_object_del(L->ev, "chain");
	c->len = 0;
	if (jcs_value(c, L->ev) != 0)
		BAD("cannot canonicalize");
	if (prev != NULL) {
		chain_next(prev, c->p, c->len, link);
		L->linked = sodium_memcmp(link, L->chain, CHAIN_BYTES) == 0;
		if (!L->linked)
			BAD("chain does not match: this line, or one before it "
			    "in the stream, was altered, dropped or reordered");
	}
	if (!L->seal && has_sig)
		BAD("sig on a line that is not a seal (%.80s): only seals are "
		    "signed in chain mode", L->type);
	if (!L->seal)
		return 1;
	if (!has_sig)
		BAD("a seal (%.80s) without sig", L->type);
	if (!sig_is_str)
		BAD("sig is not a string");
	if (sig_long ||
	    verify_b64_exact(sig_text, strlen(sig_text), raw, siglen) != 0)
		BAD("sig is not the base64url text of a %s signature "
		    "(%zu characters)", L->alg, b64url_len(siglen));
	json_object_set_new(L->ev, "chain", json_string(chain_text));
	c->len = 0;
	if (jcs_value(c, L->ev) != 0)
		BAD("cannot canonicalize");
	return sig_checked(ring, L, (const uint8_t *)c->p, c->len, raw, siglen,
	    " on a seal", why, whylen);
}

/* line without [cut1, cut1 + len1) and [cut2, cut2 + len2), into s->cut. */
static void
cut_out(struct verify_scratch *s, const char *line, size_t n, size_t cut1,
    size_t len1, size_t cut2, size_t len2)
{
	size_t a = cut2 - cut1 - len1;

	memcpy(s->cut, line, cut1);
	memcpy(s->cut + cut1, line + cut1 + len1, a);
	memcpy(s->cut + cut1 + a, line + cut2 + len2, n - cut2 - len2);
	s->cut_len = cut1 + a + n - cut2 - len2;
}

static int
fast_sig(struct verify_ring *ring, struct verify_scratch *s,
    struct verify_line *L, const struct envelope *e)
{
	uint8_t raw[SIGN_MAX_BYTES];
	size_t siglen = verify_sig_len(L->alg);
	char w[200];

	if (siglen == 0 || verify_b64_exact(e->sig, e->sig_len, raw,
	    siglen) != 0)
		return 0;
	if (verify_ring_check(ring, L->kid, L->alg, (const uint8_t *)s->cut,
	    s->cut_len, raw, siglen, w, sizeof(w)) != 1)
		return 0;
	L->sig_ok = 1;
	return 1;
}

/*
 * The fast path (see envelope.h). 1 when the line's own bytes proved it
 * (a good signature, or a chain that follows prev); 0 to take the full
 * path, which also gives the precise report.
 */
static int
fast_line(struct verify_ring *ring, struct verify_scratch *s,
    const char *line, size_t n, const unsigned char *prev,
    struct verify_line *L)
{
	struct envelope e;
	unsigned char next[CHAIN_BYTES];
	char next_text[CHAIN_TEXT + 1];
	size_t sig_at;

	if (n > VERIFY_FAST_MAX || envelope_scan(line, n, &e) != 0 ||
	    !verify_is_streamid(e.streamid) || e.seq == 0)
		return 0;
	memcpy(L->sid, e.streamid, 33);
	L->seq = e.seq;
	snprintf(L->type, sizeof(L->type), "%s", e.type);
	snprintf(L->kid, sizeof(L->kid), "%s", e.kid);
	snprintf(L->alg, sizeof(L->alg), "%s", e.alg);
	snprintf(L->cell, sizeof(L->cell), "%s", e.cell);
	sig_at = e.sig ? e.sig_at : n - 1;
	if (e.chain == NULL) {
		if (e.sig == NULL)
			return 0;
		cut_out(s, line, n, sig_at, e.sig_cut, n, 0);
		return fast_sig(ring, s, L, &e);
	}
	L->chained = 1;
	L->seal = chain_is_seal(e.type);
	L->linked = -1;
	if (L->seal != (e.sig != NULL))
		return 0;
	if (prev != NULL) {
		cut_out(s, line, n, 1, e.chain_cut, sig_at, e.sig_cut);
		chain_next(prev, s->cut, s->cut_len, next);
		/* the chain is public: compare its text, no decode needed */
		b64url_encode_public(next, CHAIN_BYTES, next_text);
		if (memcmp(next_text, e.chain, CHAIN_TEXT) != 0)
			return 0;
		memcpy(L->chain, next, CHAIN_BYTES);
		L->linked = 1;
	} else if (!L->seal || verify_b64_exact(e.chain, CHAIN_TEXT, L->chain,
	    CHAIN_BYTES) != 0) {
		/* nothing proves a lone line's bytes: the full path */
		return 0;
	}
	L->have_chain = 1;
	if (!L->seal)
		return 1;
	cut_out(s, line, n, sig_at, e.sig_cut, n, 0);
	return fast_sig(ring, s, L, &e);
}

int
verify_line_check(struct verify_ring *ring, struct verify_scratch *s,
    const char *line, size_t n, const unsigned char *prev, int want_json,
    struct verify_line *L, char *why, size_t whylen)
{
	json_error_t jerr;

	memset(L, 0, sizeof(*L));
	why[0] = '\0';
	if (fast_line(ring, s, line, n, prev, L)) {
		if (want_json || needs_data(L->type)) {
			/* bytes that verified: they parse */
			L->ev = json_loadb(line, n, 0, &jerr);
			if (L->ev == NULL)
				BAD("not JSON: %s", jerr.text);
			json_object_del(L->ev, "sig");
		}
		return 1;
	}
	/* the full path, from a clean slate */
	memset(L, 0, sizeof(*L));
	L->linked = -1;
	return slow_line(ring, s, line, n, prev, L, why, whylen);
}

#undef BAD
