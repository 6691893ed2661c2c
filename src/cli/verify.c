/*
 * verify.c - stream verification (see include/verify.h).
 *
 * A line is parsed, its `sig` removed, the rest canonicalized (RFC 8785) and
 * checked against the key named by `sigkid`. Sequence numbers must run
 * 1, 2, 3... per streamid with nothing after `stopped`, so a dropped,
 * reordered, replayed or truncated line shows up as a gap or a missing end.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "encode.h"
#include "chain.h"
#include "envelope.h"
#include "event_types.h"
#include "jcs.h"
#include "sign.h"
#include "util.h"
#include "verify.h"

void
verify_init(struct verify *v)
{
	memset(v, 0, sizeof(*v));
}

int
verify_add_ed25519(struct verify *v, const char *kid, const unsigned char pk[32])
{
	struct verify_key *k;

	if (v->nkeys == VERIFY_MAX_KEYS)
		return -1;
	k = &v->keys[v->nkeys++];
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	k->alg = ALG_ED25519;
	memcpy(k->pk, pk, 32);
	return 0;
}

int
verify_add_hmac(struct verify *v, const struct key *hk)
{
	struct verify_key *k;

	if (v->nkeys == VERIFY_MAX_KEYS)
		return -1;
	k = &v->keys[v->nkeys++];
	snprintf(k->kid, sizeof(k->kid), "%s", hk->kid);
	k->alg = ALG_HMAC;
	k->hmac = hk;
	return 0;
}

static const char *
str_member(json_t *o, const char *name)
{
	json_t *m = json_object_get(o, name);

	return json_is_string(m) ? json_string_value(m) : NULL;
}

static int
is_lower_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
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

static const struct verify_key *
find_key(const struct verify *v, const char *kid)
{
	size_t i;

	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].kid, kid) == 0)
			return &v->keys[i];
	return NULL;
}

static struct verify_stream *
find_stream(struct verify *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->nstreams; i++)
		if (strcmp(v->streams[i].id, id) == 0)
			return &v->streams[i];
	if (v->nstreams == VERIFY_MAX_STREAMS)
		return NULL;
	snprintf(v->streams[v->nstreams].id, sizeof(v->streams[0].id), "%s", id);
	return &v->streams[v->nstreams++];
}

static uint64_t
data_u64(json_t *data, const char *name, int *ok)
{
	json_t *m = json_object_get(data, name);

	if (!json_is_integer(m) || json_integer_value(m) < 0) {
		*ok = 0;
		return 0;
	}
	return (uint64_t)json_integer_value(m);
}

/* The envelope members a line is checked by. */
struct line_fields {
	const char *sid, *type, *alg, *kid, *sig, *chain;
	uint64_t seq;
	json_t *data;
};

#define BAD(...) do { snprintf(why, whylen, __VA_ARGS__); return 0; } while (0)

/* CloudEvents attributes and our envelope rules. */
static int
check_envelope(json_t *ev, struct line_fields *f, char *why, size_t whylen)
{
	const char *s, *seqs, *id;
	char want_id[64];

	if (!json_is_object(ev))
		BAD("not a JSON object");
	if ((s = str_member(ev, "specversion")) == NULL || strcmp(s, "1.0") != 0)
		BAD("specversion is not \"1.0\"");
	if ((s = str_member(ev, "datacontenttype")) == NULL ||
	    strcmp(s, "application/json") != 0)
		BAD("datacontenttype is not application/json");
	if ((s = str_member(ev, "source")) == NULL ||
	    strncmp(s, "urn:cellos:cell:", 16) != 0 || s[16] == '\0')
		BAD("source is not urn:cellos:cell:<cell_id>");
	if ((f->type = str_member(ev, "type")) == NULL || f->type[0] == '\0')
		BAD("type is missing");
	if ((s = str_member(ev, "time")) == NULL || !time_ok(s))
		BAD("time is not RFC 3339 UTC with nanoseconds");
	if ((f->sid = str_member(ev, "streamid")) == NULL ||
	    !is_lower_hex(f->sid, 32))
		BAD("streamid is not 32 lowercase hex characters");
	if ((seqs = str_member(ev, "sequence")) == NULL || strlen(seqs) != 20 ||
	    parse_u64(seqs, 1, UINT64_MAX, &f->seq) != 0)
		BAD("sequence is not a 20-digit number from 1");
	snprintf(want_id, sizeof(want_id), "%s-%llu", f->sid,
	    (unsigned long long)f->seq);
	if ((id = str_member(ev, "id")) == NULL || strcmp(id, want_id) != 0)
		BAD("id is not <streamid>-<sequence>");
	f->data = json_object_get(ev, "data");
	if (!json_is_object(f->data))
		BAD("data is not an object");
	f->chain = str_member(ev, "chain");
	f->sig = str_member(ev, "sig");
	if ((f->alg = str_member(ev, "sigalg")) == NULL ||
	    (f->kid = str_member(ev, "sigkid")) == NULL ||
	    (f->sig == NULL && f->chain == NULL))
		BAD("unsigned (sigalg, sigkid or sig missing)");
	return 1;
}

/* The signature over the canonical form of the event without sig. */
static int
check_signature(const struct verify *v, json_t *ev, struct line_fields *f,
    char *why, size_t whylen)
{
	const struct verify_key *key;
	uint8_t rawsig[SIGN_MAX_BYTES + 4];
	struct buf canon;
	long siglen;
	int canonical, ok;

	if ((key = find_key(v, f->kid)) == NULL)
		BAD("unknown key id %.80s", f->kid);
	if (strcmp(f->alg, keys_alg_name(key->alg)) != 0)
		BAD("sigalg %.20s does not match key %.80s", f->alg, f->kid);
	siglen = b64url_decode(f->sig, strlen(f->sig), rawsig, sizeof(rawsig));
	if (siglen < 0)
		BAD("sig is not base64url");
	/* the signed bytes are the event without sig; sig is decoded above
	 * and its text goes with the member */
	json_object_del(ev, "sig");
	f->sig = NULL;
	buf_init(&canon, 1024, 1 << 26);
	canonical = jcs_value(&canon, ev) == 0;
	ok = canonical && (key->alg == ALG_ED25519 ?
	    sign_verify_ed25519(key->pk, (const uint8_t *)canon.p, canon.len,
	    rawsig, (size_t)siglen) :
	    sign_verify_hmac(key->hmac->secret, key->hmac->secret_len,
	    (const uint8_t *)canon.p, canon.len, rawsig, (size_t)siglen));
	buf_free(&canon);
	if (!canonical)
		BAD("cannot canonicalize (a float or an unsafe integer)");
	if (!ok)
		BAD("bad signature");
	return 1;
}

/* Canonical bytes of ev into b (emptied first). */
static int
canonical(json_t *ev, struct buf *b)
{
	b->len = 0;
	return jcs_value(b, ev);
}

/*
 * A chain line: chain_n must be BLAKE2b-256(chain_{n-1} || JCS without
 * chain and sig); a seal's signature covers the event with its chain.
 * Returns VERIFY_OK (a good seal), VERIFY_PENDING or VERIFY_BAD.
 */
static int
check_chain(struct verify *v, json_t *ev, struct line_fields *f,
    struct verify_stream *st, char *why, size_t whylen)
{
	const struct verify_key *key;
	unsigned char claimed[CHAIN_BYTES + 4], want[CHAIN_BYTES];
	uint8_t rawsig[SIGN_MAX_BYTES + 4];
	long siglen = 0;
	char chain_text[CHAIN_TEXT + 1];
	struct buf canon;
	int ok;

	if ((key = find_key(v, f->kid)) == NULL)
		BAD("unknown key id %.80s", f->kid);
	if (strcmp(f->alg, keys_alg_name(key->alg)) != 0)
		BAD("sigalg %.20s does not match key %.80s", f->alg, f->kid);
	if (b64url_decode(f->chain, strlen(f->chain), claimed, sizeof(claimed)) !=
	    CHAIN_BYTES)
		BAD("chain is not base64url of 32 bytes");
	if (f->sig != NULL && (siglen = b64url_decode(f->sig, strlen(f->sig),
	    rawsig, sizeof(rawsig))) < 0)
		BAD("sig is not base64url");
	snprintf(chain_text, sizeof(chain_text), "%s", f->chain);
	json_object_del(ev, "sig");
	json_object_del(ev, "chain");
	f->sig = f->chain = NULL;
	buf_init(&canon, 1024, 1 << 26);
	if (canonical(ev, &canon) != 0) {
		buf_free(&canon);
		BAD("cannot canonicalize (a float or an unsafe integer)");
	}
	chain_next(st->chain, canon.p, canon.len, want);
	st->chained = 1;
	/* carry on from the line's own chain: one report per break */
	memcpy(st->chain, claimed, CHAIN_BYTES);
	if (sodium_memcmp(want, claimed, CHAIN_BYTES) != 0) {
		buf_free(&canon);
		BAD("chain does not match: this line, or one before it in stream "
		    "%s, was altered, dropped or reordered", f->sid);
	}
	if (siglen == 0) {
		buf_free(&canon);
		return VERIFY_PENDING;
	}
	json_object_set_new(ev, "chain", json_string(chain_text));
	ok = canonical(ev, &canon) == 0 && (key->alg == ALG_ED25519 ?
	    sign_verify_ed25519(key->pk, (const uint8_t *)canon.p, canon.len,
	    rawsig, (size_t)siglen) :
	    sign_verify_hmac(key->hmac->secret, key->hmac->secret_len,
	    (const uint8_t *)canon.p, canon.len, rawsig, (size_t)siglen));
	buf_free(&canon);
	if (!ok)
		BAD("bad signature on a seal");
	return VERIFY_OK;
}

/* What stopped claims must match what the stream showed. */
static int
check_stopped(const struct verify_stream *st, const struct line_fields *f,
    char *why, size_t whylen)
{
	int okc = 1;
	uint64_t acc = data_u64(f->data, "frames_accepted", &okc);
	uint64_t hb = data_u64(f->data, "heartbeats", &okc);
	uint64_t rej = data_u64(f->data, "frames_rejected", &okc);
	uint64_t emitted = data_u64(f->data, "events_emitted", &okc);

	if (!okc)
		BAD("stopped lacks its counters");
	if (emitted != f->seq)
		BAD("stopped says %llu events, stream has %llu",
		    (unsigned long long)emitted, (unsigned long long)f->seq);
	if (acc < hb)
		BAD("stopped counts more heartbeats than accepted frames");
	if (acc - hb != st->guest_events)
		BAD("stopped counts %llu guest events, stream has %llu",
		    (unsigned long long)(acc - hb),
		    (unsigned long long)st->guest_events);
	if (rej != st->summary_rejected)
		BAD("stopped counts %llu rejected frames, summaries %llu",
		    (unsigned long long)rej,
		    (unsigned long long)st->summary_rejected);
	return 1;
}

/* The line's place in its stream: contiguous, nothing after stopped. */
static int
check_stream(struct verify *v, const struct line_fields *f, char *why,
    size_t whylen)
{
	struct verify_stream *st;
	int okc = 1;

	if ((st = find_stream(v, f->sid)) == NULL)
		BAD("too many streams in one input");
	if (st->stopped)
		BAD("line after stopped in stream %s", f->sid);
	if (f->seq <= st->last_seq)
		BAD("sequence %llu repeats or goes back (last %llu): duplicate "
		    "or reordered line", (unsigned long long)f->seq,
		    (unsigned long long)st->last_seq);
	if (f->seq != st->last_seq + 1) {
		uint64_t last = st->last_seq;

		/* resynchronize: the gap is reported once, here, and the
		 * counters in stopped can no longer add up */
		st->last_seq = f->seq;
		st->incomplete = 1;
		BAD("sequence %llu follows %llu: %llu line(s) missing or bad",
		    (unsigned long long)f->seq, (unsigned long long)last,
		    (unsigned long long)(f->seq - last - 1));
	}
	st->last_seq = f->seq;
	if (strncmp(f->type, EVENT_TYPE_GUEST, strlen(EVENT_TYPE_GUEST)) == 0 &&
	    strcmp(f->type, EVENT_AGENT_SILENCED) != 0 &&
	    strcmp(f->type, EVENT_AGENT_RESUMED) != 0)
		st->guest_events++;
	if (strcmp(f->type, EVENT_FRAMES_REJECTED) == 0) {
		st->summary_rejected += data_u64(f->data, "frames_rejected", &okc);
		if (!okc)
			BAD("summary lacks frames_rejected");
	}
	if (strcmp(f->type, EVENT_STOPPED) == 0) {
		st->stopped = 1;
		/* after a gap the mismatch is already reported */
		return st->incomplete || check_stopped(st, f, why, whylen);
	}
	return 1;
}

#undef BAD

static int chain_settle(struct verify *v, struct verify_stream *st, int rc);

/* A line of a chain stream: its place in the stream, then its chain and
 * (on a seal) its signature, which settles the lines before it. */
static int
chain_line(struct verify *v, json_t *ev, struct line_fields *f, char *why,
    size_t whylen)
{
	struct verify_stream *st;
	int rc;

	if ((st = find_stream(v, f->sid)) == NULL) {
		snprintf(why, whylen, "too many streams in one input");
		return VERIFY_BAD;
	}
	v->cur = st;
	rc = check_chain(v, ev, f, st, why, whylen);
	/* sequence and counters too (the fields were read before the dels):
	 * both keep their state, and a gap is the clearer report */
	if (!check_stream(v, f, why, whylen))
		rc = VERIFY_BAD;
	return chain_settle(v, st, rc);
}

/* A seal settles the lines that waited for it; a break discards them. */
static int
chain_settle(struct verify *v, struct verify_stream *st, int rc)
{
	if (rc == VERIFY_PENDING) {
		if (st->unsealed++ == 0)
			st->first_unsealed = v->lineno;
	} else if (rc == VERIFY_OK) {
		v->ok_lines += st->unsealed;    /* sealed now */
		st->unsealed = 0;
	} else if (st->unsealed > 0) {
		/* a broken chain or seal: what waited for it is not verified */
		v->bad_lines += st->unsealed;
		st->unsealed = 0;
	}
	return rc;
}

/* The signed or hashed bytes of a line (n <= VERIFY_FAST_MAX): it without
 * [cut1, cut1 + len1) and [cut2, cut2 + len2), in v->scratch. */
static void
cut_out(struct verify *v, const char *line, size_t n, size_t cut1,
    size_t len1, size_t cut2, size_t len2)
{
	size_t a = cut2 - cut1 - len1;

	memcpy(v->scratch, line, cut1);
	memcpy(v->scratch + cut1, line + cut1 + len1, a);
	memcpy(v->scratch + cut1 + a, line + cut2 + len2, n - cut2 - len2);
	v->scratch_len = cut1 + a + n - cut2 - len2;
}

static int
fast_sig_ok(const struct verify *v, const struct verify_key *key,
    const struct envelope *e)
{
	const uint8_t *msg = (const uint8_t *)v->scratch;
	uint8_t raw[SIGN_MAX_BYTES + 4];
	long len = b64url_decode(e->sig, e->sig_len, raw, sizeof(raw));

	if (len < 0)
		return 0;
	return key->alg == ALG_ED25519 ?
	    sign_verify_ed25519(key->pk, msg, v->scratch_len, raw, (size_t)len) :
	    sign_verify_hmac(key->hmac->secret, key->hmac->secret_len, msg,
	    v->scratch_len, raw, (size_t)len);
}

/*
 * The fast path (see envelope.h): the line's own bytes, cut where the
 * template says, against its signature or chain. Returns -1 to send the
 * line down the full path (which also gives the precise report), or what
 * verify_line returns.
 */
static int
fast_line(struct verify *v, const char *line, size_t n, char *why,
    size_t whylen)
{
	const struct verify_key *key;
	struct verify_stream *st;
	struct line_fields f;
	struct envelope e;
	unsigned char next[CHAIN_BYTES];
	char next_text[CHAIN_TEXT + 1];
	size_t sig_at;
	int seal;

	if (n > VERIFY_FAST_MAX || envelope_scan(line, n, &e) != 0 ||
	    /* these carry counters the stream checks read from data */
	    strcmp(e.type, EVENT_FRAMES_REJECTED) == 0 ||
	    strcmp(e.type, EVENT_STOPPED) == 0 ||
	    (key = find_key(v, e.kid)) == NULL ||
	    strcmp(e.alg, keys_alg_name(key->alg)) != 0)
		return -1;
	memset(&f, 0, sizeof(f));
	f.sid = e.streamid;
	f.seq = e.seq;
	f.type = e.type;
	sig_at = e.sig ? e.sig_at : n - 1;
	if (e.chain == NULL) {
		if (e.sig == NULL)
			return -1;
		cut_out(v, line, n, sig_at, e.sig_cut, n, 0);
		if (!fast_sig_ok(v, key, &e))
			return -1;
		return check_stream(v, &f, why, whylen);
	}
	seal = chain_is_seal(e.type);
	if (seal != (e.sig != NULL) ||
	    (st = find_stream(v, e.streamid)) == NULL)
		return -1;
	cut_out(v, line, n, 1, e.chain_cut, sig_at, e.sig_cut);
	chain_next(st->chain, v->scratch, v->scratch_len, next);
	/* the chain is public: compare its text, no decode needed */
	b64url_encode_public(next, CHAIN_BYTES, next_text);
	if (memcmp(next_text, e.chain, CHAIN_TEXT) != 0)
		return -1;
	if (seal) {
		cut_out(v, line, n, sig_at, e.sig_cut, n, 0);
		if (!fast_sig_ok(v, key, &e))
			return -1;
	}
	v->cur = st;
	st->chained = 1;
	memcpy(st->chain, next, CHAIN_BYTES);
	return chain_settle(v, st, check_stream(v, &f, why, whylen) ?
	    (seal ? VERIFY_OK : VERIFY_PENDING) : VERIFY_BAD);
}

int
verify_line(struct verify *v, const char *line, size_t n, char *why,
    size_t whylen)
{
	struct line_fields f;
	json_error_t jerr;
	json_t *ev;
	int good;

	v->lineno++;
	v->cur = NULL;
	why[0] = '\0';
	if ((good = fast_line(v, line, n, why, whylen)) >= 0) {
		if (good == VERIFY_OK)
			v->ok_lines++;
		else if (good == VERIFY_BAD)
			v->bad_lines++;
		return good;
	}
	ev = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	if (ev == NULL) {
		snprintf(why, whylen, "not JSON: %s", jerr.text);
		good = 0;
	} else if (!check_envelope(ev, &f, why, whylen)) {
		good = VERIFY_BAD;
	} else if (f.chain == NULL) {
		good = check_signature(v, ev, &f, why, whylen) &&
		    check_stream(v, &f, why, whylen);
	} else {
		good = chain_line(v, ev, &f, why, whylen);
	}
	json_decref(ev);
	if (good == VERIFY_OK)
		v->ok_lines++;
	else if (good == VERIFY_BAD)
		v->bad_lines++;
	return good;
}

int
verify_add_keys_json(struct verify *v, const char *path, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je), *val;
	const char *kid;
	char why[200];
	unsigned char pk[32];
	int rc = 0;

	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "--keys-json %s: expected {\"kid\": "
		    "\"base64url public key\"}: %s", path,
		    o ? "not an object" : je.text);
		json_decref(o);
		return EXIT_CONFIG;
	}
	json_object_foreach(o, kid, val) {
		if (!json_is_string(val)) {
			snprintf(err, errlen, "%s: key %s is not a string", path, kid);
			rc = EXIT_CONFIG;
		} else if (keys_parse_public(json_string_value(val),
		    json_string_length(val), pk, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: key %s: %s", path, kid, why);
			rc = EXIT_CONFIG;
		} else if (verify_add_ed25519(v, kid, pk) != 0) {
			snprintf(err, errlen, "too many keys (at most %d)",
			    VERIFY_MAX_KEYS);
			rc = EXIT_USAGE;
		}
		if (rc != 0)
			break;
	}
	json_decref(o);
	return rc;
}

/* Report a bad line; pass a verified one to print, and a chain line on
 * once its seal has verified it (held until then, dropped if it fails). */
static void
verify_print(struct verify *v, int rc, const char *line, size_t n,
    const char *why, FILE *print)
{
	struct verify_stream *st = v->cur;

	if (rc == VERIFY_BAD) {
		fprintf(stderr, "verify: line %llu: %s\n",
		    (unsigned long long)v->lineno, why);
		if (st != NULL)
			st->pending.len = 0;
		return;
	}
	if (print == NULL)
		return;
	if (st != NULL && st->pending.p == NULL)
		buf_init(&st->pending, 4096, VERIFY_PENDING_MAX);
	if (rc == VERIFY_PENDING && st != NULL) {
		if (st->pending_lost || buf_add(&st->pending, line, n) != 0 ||
		    buf_addc(&st->pending, '\n') != 0) {
			if (!st->pending_lost)
				fprintf(stderr, "verify: line %llu: more than %zu "
				    "bytes wait for a seal in stream %s; they are "
				    "checked but not printed\n",
				    (unsigned long long)v->lineno,
				    VERIFY_PENDING_MAX, st->id);
			st->pending_lost = 1;
		}
		return;
	}
	if (st != NULL && st->pending.len > 0) {
		fwrite(st->pending.p, 1, st->pending.len, print);
		st->pending.len = 0;
	}
	if (st != NULL)
		st->pending_lost = 0;
	fwrite(line, 1, n, print);
	fputc('\n', print);
}

/* One input line, or one too long to hold (over). */
static void
verify_one(struct verify *v, const char *line, size_t n, int over, FILE *print)
{
	char why[256];

	if (over) {
		v->lineno++;
		v->bad_lines++;
		fprintf(stderr, "verify: line %llu: longer than %zu bytes (no "
		    "cellos-telemetryd line is); skipped\n",
		    (unsigned long long)v->lineno, (size_t)VERIFY_LINE_MAX);
		return;
	}
	verify_print(v, verify_line(v, line, n, why, sizeof(why)), line, n,
	    why, print);
}

void
verify_stream(struct verify *v, FILE *in, FILE *print)
{
	char *line = xmalloc(VERIFY_LINE_MAX), *chunk = xmalloc(65536);
	size_t have = 0, n;
	int over = 0, pending = 0;

	/* bounded: a longer line is skipped, never held */
	while ((n = fread(chunk, 1, 65536, in)) > 0) {
		size_t off = 0;

		while (off < n) {
			char *nl = memchr(chunk + off, '\n', n - off);
			size_t len = nl ? (size_t)(nl - (chunk + off)) : n - off;

			if (over || have + len > VERIFY_LINE_MAX) {
				over = 1;
			} else {
				memcpy(line + have, chunk + off, len);
				have += len;
			}
			pending = 1;
			off += len;
			if (nl != NULL) {
				verify_one(v, line, have, over, print);
				have = 0;
				over = pending = 0;
				off++;
			}
		}
	}
	if (pending)
		verify_one(v, line, have, over, print);
	free(chunk);
	free(line);
}

int
verify_finish(struct verify *v, char *why, size_t whylen)
{
	size_t i;
	int open = 0;

	why[0] = '\0';
	for (i = 0; i < v->nstreams; i++) {
		struct verify_stream *st = &v->streams[i];

		/* an unsealed tail is unverified, whether or not it ends */
		if (st->unsealed > 0) {
			fprintf(stderr, "verify: line %llu: stream %s ends with %llu "
			    "unsealed line(s) from here on: truncated before its "
			    "next seal\n", (unsigned long long)st->first_unsealed,
			    st->id, (unsigned long long)st->unsealed);
			v->bad_lines += st->unsealed;
			st->unsealed = 0;
		}
		buf_free(&st->pending);
		if (v->streams[i].stopped)
			continue;
		if (open++ == 0)
			snprintf(why, whylen, "stream %s ends at sequence %llu "
			    "without a stopped line (truncated)",
			    v->streams[i].id,
			    (unsigned long long)v->streams[i].last_seq);
	}
	return open;
}
