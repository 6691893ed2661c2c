/*
 * wire_decode.c - reassembly and strict decoding of guest frames (see
 * wire.h). The only code of the daemon that parses guest bytes.
 *
 * The body is walked item by item with libcbor's streaming decoder, which
 * reports each item head through a callback and never allocates; every
 * declared count is checked against the bytes that remain before it is
 * trusted. cbor_load() is never used on guest bytes: it pre-allocates
 * whatever a frame declares.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cbor.h>

#include "utf8.h"
#include "util.h"
#include "wire.h"

/* ---- item-level reader over cbor_stream_decode ---- */

enum ikind {
	IK_NONE, IK_UINT, IK_NEGINT, IK_BYTES, IK_TEXT, IK_ARRAY, IK_MAP,
	IK_SIMPLE,      /* true, false, null, undefined */
	IK_INDEF,       /* indefinite-length string, array or map */
	IK_TAG, IK_FLOAT, IK_BREAK
};

struct item {
	enum ikind k;
	uint64_t u;             /* integer value or collection count */
	const uint8_t *s;       /* string bytes, inside the body */
	size_t slen;
};

#define ITEM(ctx) ((struct item *)(ctx))

static void cb_u8(void *c, uint8_t v) { ITEM(c)->k = IK_UINT; ITEM(c)->u = v; }
static void cb_u16(void *c, uint16_t v) { ITEM(c)->k = IK_UINT; ITEM(c)->u = v; }
static void cb_u32(void *c, uint32_t v) { ITEM(c)->k = IK_UINT; ITEM(c)->u = v; }
static void cb_u64(void *c, uint64_t v) { ITEM(c)->k = IK_UINT; ITEM(c)->u = v; }
static void cb_n8(void *c, uint8_t v) { (void)v; ITEM(c)->k = IK_NEGINT; }
static void cb_n16(void *c, uint16_t v) { (void)v; ITEM(c)->k = IK_NEGINT; }
static void cb_n32(void *c, uint32_t v) { (void)v; ITEM(c)->k = IK_NEGINT; }
static void cb_n64(void *c, uint64_t v) { (void)v; ITEM(c)->k = IK_NEGINT; }
static void
cb_bytes(void *c, cbor_data d, size_t n)
{
	ITEM(c)->k = IK_BYTES;
	ITEM(c)->s = d;
	ITEM(c)->slen = n;
}
static void
cb_text(void *c, cbor_data d, size_t n)
{
	ITEM(c)->k = IK_TEXT;
	ITEM(c)->s = d;
	ITEM(c)->slen = n;
}
static void cb_indef(void *c) { ITEM(c)->k = IK_INDEF; }
static void cb_array(void *c, size_t n) { ITEM(c)->k = IK_ARRAY; ITEM(c)->u = n; }
static void cb_map(void *c, size_t n) { ITEM(c)->k = IK_MAP; ITEM(c)->u = n; }
static void cb_tag(void *c, uint64_t v) { (void)v; ITEM(c)->k = IK_TAG; }
static void cb_f4(void *c, float v) { (void)v; ITEM(c)->k = IK_FLOAT; }
static void cb_f8(void *c, double v) { (void)v; ITEM(c)->k = IK_FLOAT; }
static void cb_simple(void *c) { ITEM(c)->k = IK_SIMPLE; }
static void cb_bool(void *c, bool v) { (void)v; ITEM(c)->k = IK_SIMPLE; }
static void cb_break(void *c) { ITEM(c)->k = IK_BREAK; }

static const struct cbor_callbacks item_callbacks = {
	.uint8 = cb_u8, .uint16 = cb_u16, .uint32 = cb_u32, .uint64 = cb_u64,
	.negint8 = cb_n8, .negint16 = cb_n16, .negint32 = cb_n32,
	.negint64 = cb_n64,
	.byte_string_start = cb_indef, .byte_string = cb_bytes,
	.string = cb_text, .string_start = cb_indef,
	.indef_array_start = cb_indef, .array_start = cb_array,
	.indef_map_start = cb_indef, .map_start = cb_map,
	.tag = cb_tag,
	.float2 = cb_f4, .float4 = cb_f4, .float8 = cb_f8,
	.undefined = cb_simple, .null = cb_simple, .boolean = cb_bool,
	.indef_break = cb_break,
};

struct dec {
	const uint8_t *p;
	size_t len, off;
	struct wire_error *err;
};

static enum wire_reason
fail(struct dec *d, enum wire_reason r, const char *detail)
{
	d->err->reason = r;
	snprintf(d->err->detail, sizeof(d->err->detail), "%s", detail);
	return r;
}

/* Read the next item head; the reasons here are about CBOR, not the schema. */
static enum wire_reason
next_item(struct dec *d, struct item *it)
{
	struct cbor_decoder_result res;

	memset(it, 0, sizeof(*it));
	if (d->off >= d->len)
		return fail(d, WIRE_MALFORMED_CBOR, "body ends inside the map");
	res = cbor_stream_decode(d->p + d->off, d->len - d->off,
	    &item_callbacks, it);
	if (res.status == CBOR_DECODER_NEDATA)
		return fail(d, WIRE_MALFORMED_CBOR, "body ends inside an item");
	if (res.status != CBOR_DECODER_FINISHED || it->k == IK_NONE)
		return fail(d, WIRE_MALFORMED_CBOR, "invalid CBOR item head");
	d->off += res.read;
	switch (it->k) {
	case IK_INDEF:
		return fail(d, WIRE_UNSUPPORTED_CBOR, "indefinite length");
	case IK_TAG:
		return fail(d, WIRE_UNSUPPORTED_CBOR, "tagged item");
	case IK_FLOAT:
		return fail(d, WIRE_UNSUPPORTED_CBOR, "floating-point number");
	case IK_BREAK:
		return fail(d, WIRE_MALFORMED_CBOR, "break outside indefinite item");
	default:
		break;
	}
	return WIRE_OK;
}

/* Skip one well-formed value of an unknown key, at most WIRE_MAX_DEPTH
 * containers deep. */
static enum wire_reason
skip_value(struct dec *d)
{
	uint64_t left[WIRE_MAX_DEPTH + 1];
	int depth = 0;
	struct item it;
	enum wire_reason r;

	left[0] = 1;
	while (depth >= 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if ((r = next_item(d, &it)) != WIRE_OK)
			return r;
		if (it.k == IK_TEXT && !utf8_valid(it.s, it.slen))
			return fail(d, WIRE_INVALID_TEXT,
			    "text in an unknown value is not valid UTF-8");
		if ((it.k == IK_ARRAY || it.k == IK_MAP) && it.u > 0) {
			/* every element takes at least a byte: a count past
			 * what remains can never complete (and 2n must not
			 * wrap), so refuse it before walking */
			if (it.u > (d->len - d->off) / (it.k == IK_MAP ? 2 : 1))
				return fail(d, WIRE_MALFORMED_CBOR,
				    "collection count exceeds body");
			if (depth == WIRE_MAX_DEPTH)
				return fail(d, WIRE_UNSUPPORTED_CBOR,
				    "unknown value nested deeper than 8");
			depth++;
			left[depth] = it.k == IK_MAP ? it.u * 2 : it.u;
		}
	}
	return WIRE_OK;
}

enum field {
	F_VERSION, F_SOURCE, F_PID, F_COMM, F_MONO, F_COUNT
};

static const struct named fields[F_COUNT] = {
	NAMED("content_version"), NAMED("probe_source"), NAMED("guest_pid"),
	NAMED("guest_comm"), NAMED("guest_monotonic_ns"),
};

static int
field_lookup(const uint8_t *s, size_t n)
{
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (fields[i].n == n && memcmp(fields[i].s, s, n) == 0)
			return i;
	return -1;
}

static enum wire_reason
read_uint(struct dec *d, int field, uint64_t max, uint64_t *out)
{
	struct item it;
	enum wire_reason r;
	char msg[80];

	if ((r = next_item(d, &it)) != WIRE_OK)
		return r;
	if (it.k != IK_UINT) {
		snprintf(msg, sizeof(msg), "%s is not an unsigned integer",
		    fields[field].s);
		return fail(d, WIRE_WRONG_TYPE, msg);
	}
	if (it.u > max) {
		snprintf(msg, sizeof(msg), "%s above %llu", fields[field].s,
		    (unsigned long long)max);
		return fail(d, WIRE_INTEGER_OVERFLOW, msg);
	}
	*out = it.u;
	return WIRE_OK;
}

/* Read a text field into out (WIRE_MAX_TEXT + 1 bytes, NUL-terminated). */
static enum wire_reason
read_text(struct dec *d, int field, char *out)
{
	struct item it;
	enum wire_reason r;
	char msg[80];

	if ((r = next_item(d, &it)) != WIRE_OK)
		return r;
	if (it.k != IK_TEXT) {
		snprintf(msg, sizeof(msg), "%s is not a text string",
		    fields[field].s);
		return fail(d, WIRE_WRONG_TYPE, msg);
	}
	if (it.slen > WIRE_MAX_TEXT) {
		snprintf(msg, sizeof(msg), "%s is %zu bytes, limit %d",
		    fields[field].s, it.slen, WIRE_MAX_TEXT);
		return fail(d, WIRE_TEXT_TOO_LONG, msg);
	}
	if (!utf8_valid(it.s, it.slen)) {
		snprintf(msg, sizeof(msg), "%s is not valid UTF-8 or holds U+0000",
		    fields[field].s);
		return fail(d, WIRE_INVALID_TEXT, msg);
	}
	memcpy(out, it.s, it.slen);
	out[it.slen] = '\0';
	return WIRE_OK;
}

enum wire_reason
wire_decode(const uint8_t *body, size_t len, const struct wire_sources *extra,
    struct wire_frame *f, struct wire_error *err)
{
	struct dec d = { body, len, 0, err };
	struct item it;
	struct { const uint8_t *s; size_t n; } unknown[WIRE_MAX_KEYS];
	size_t nunknown = 0;
	unsigned seen = 0;
	uint64_t v, i, nkeys;
	enum wire_reason r;
	int fi;
	size_t k;

	memset(f, 0, sizeof(*f));
	err->reason = WIRE_OK;
	err->detail[0] = '\0';
	if (len == 0)
		return fail(&d, WIRE_EMPTY_FRAME, "zero-length body");

	if ((r = next_item(&d, &it)) != WIRE_OK)
		return r;
	if (it.k != IK_MAP)
		return fail(&d, WIRE_NOT_A_MAP, "body is not a CBOR map");
	nkeys = it.u;
	if (nkeys > WIRE_MAX_KEYS)
		return fail(&d, WIRE_TOO_MANY_KEYS, "map has more than 16 entries");

	for (i = 0; i < nkeys; i++) {
		if ((r = next_item(&d, &it)) != WIRE_OK)
			return r;
		if (it.k != IK_TEXT)
			return fail(&d, WIRE_WRONG_TYPE, "map key is not a text string");
		/* a known key is ASCII, and seen says whether it repeats:
		 * only unknown keys need the UTF-8 check and the comparisons */
		fi = field_lookup(it.s, it.slen);
		if (fi < 0 && !utf8_valid(it.s, it.slen))
			return fail(&d, WIRE_INVALID_TEXT,
			    "map key is not valid UTF-8 or holds U+0000");
		if (i == 0 && fi != F_VERSION)
			return fail(&d, WIRE_CONTENT_VERSION_NOT_FIRST,
			    "first key is not content_version");
		if (fi >= 0 && (seen & (1u << fi)))
			return fail(&d, WIRE_DUPLICATE_KEY, fields[fi].s);
		for (k = 0; fi < 0 && k < nunknown; k++)
			if (unknown[k].n == it.slen &&
			    memcmp(unknown[k].s, it.s, it.slen) == 0)
				return fail(&d, WIRE_DUPLICATE_KEY,
				    "an unknown key repeats");
		if (fi < 0) {
			unknown[nunknown].s = it.s;
			unknown[nunknown++].n = it.slen;
		}

		switch (fi) {
		case F_VERSION:
			if ((r = read_uint(&d, fi, 0xFFFF, &v)) != WIRE_OK)
				return r;
			if ((v >> 8) != WIRE_CONTENT_VERSION_MAJOR)
				return fail(&d, WIRE_UNSUPPORTED_VERSION,
				    "content_version major is not 1");
			f->content_version = (uint16_t)v;
			break;
		case F_PID:
			if ((r = read_uint(&d, fi, 0xFFFFFFFFu, &v)) != WIRE_OK)
				return r;
			f->guest_pid = (uint32_t)v;
			break;
		case F_MONO:
			if ((r = read_uint(&d, fi, UINT64_MAX, &v)) != WIRE_OK)
				return r;
			f->guest_monotonic_ns = v;
			break;
		case F_SOURCE:
			if ((r = read_text(&d, fi, f->probe_source)) != WIRE_OK)
				return r;
			if (!wire_source_known(f->probe_source,
			    strlen(f->probe_source), extra))
				return fail(&d, WIRE_UNKNOWN_PROBE_SOURCE,
				    "probe_source is not a known source");
			break;
		case F_COMM:
			if ((r = read_text(&d, fi, f->guest_comm)) != WIRE_OK)
				return r;
			break;
		default:
			if ((r = skip_value(&d)) != WIRE_OK)
				return r;
			continue;
		}
		seen |= 1u << fi;
	}
	if (d.off != d.len)
		return fail(&d, WIRE_TRAILING_BYTES, "bytes after the map");
	for (fi = 0; fi < F_COUNT; fi++) {
		if (!(seen & (1u << fi))) {
			char msg[64];

			snprintf(msg, sizeof(msg), "%s is missing", fields[fi].s);
			return fail(&d, WIRE_MISSING_FIELD, msg);
		}
	}
	f->is_heartbeat = strcmp(f->probe_source, "agent.heartbeat") == 0;
	return WIRE_OK;
}

/* ---- reassembler ---- */

void
wire_reasm_init(struct wire_reasm *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void
wire_reasm_free(struct wire_reasm *r)
{
	free(r->body);
	r->body = NULL;
	r->hdr_have = 0;
	r->body_have = 0;
}

int
wire_reasm_partial(const struct wire_reasm *r)
{
	return r->hdr_have > 0 && !(r->body != NULL && r->body_have == r->body_len);
}

int
wire_reasm_end(struct wire_reasm *r)
{
	if (!wire_reasm_partial(r))
		return 0;
	r->err.reason = WIRE_TRUNCATED_FRAME;
	if (r->hdr_have < WIRE_LEN_BYTES)
		snprintf(r->err.detail, sizeof(r->err.detail), "input ended "
		    "inside a length prefix (%zu of 4 bytes)", r->hdr_have);
	else
		snprintf(r->err.detail, sizeof(r->err.detail), "input ended "
		    "inside a frame (%zu of %u body bytes)", r->body_have,
		    (unsigned)r->body_len);
	return 1;
}

enum wire_step
wire_reasm_push(struct wire_reasm *r, const uint8_t *p, size_t n, size_t *used,
    const uint8_t **body, size_t *blen)
{
	size_t i = 0, take;

	if (r->body != NULL && r->body_have == r->body_len) {
		/* the previous call delivered from our buffer: give it back */
		wire_reasm_free(r);
	}
	while (r->hdr_have < WIRE_LEN_BYTES) {
		if (i == n) {
			*used = i;
			return WIRE_STEP_MORE;
		}
		r->hdr[r->hdr_have++] = p[i++];
	}
	if (r->body == NULL) {	/* a new body: nothing of it is held yet */
		r->body_len = wire_get_len(r->hdr);
		if (r->body_len == 0) {
			r->hdr_have = 0;
			*used = i;
			r->err.reason = WIRE_EMPTY_FRAME;
			snprintf(r->err.detail, sizeof(r->err.detail),
			    "zero-length frame");
			return WIRE_STEP_EMPTY;
		}
		/* the declared length is checked before anything is buffered */
		if (r->body_len > r->max) {
			*used = i;
			r->err.reason = WIRE_FRAME_TOO_LARGE;
			snprintf(r->err.detail, sizeof(r->err.detail),
			    "declared %u bytes, limit %zu", (unsigned)r->body_len,
			    r->max);
			return WIRE_STEP_ERROR;
		}
		if (n - i >= r->body_len) {
			*body = p + i;
			*blen = r->body_len;
			r->hdr_have = 0;
			*used = i + r->body_len;
			return WIRE_STEP_FRAME;
		}
		r->body = xmalloc(r->body_len);
	}
	take = r->body_len - r->body_have;
	if (take > n - i)
		take = n - i;
	memcpy(r->body + r->body_have, p + i, take);
	r->body_have += take;
	i += take;
	*used = i;
	if (r->body_have < r->body_len)
		return WIRE_STEP_MORE;
	*body = r->body;
	*blen = r->body_len;
	return WIRE_STEP_FRAME;
}
