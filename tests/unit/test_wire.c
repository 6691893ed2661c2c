/*
 * test_wire.c - the strict decoder at every limit and one past it, and the
 * reassembler under arbitrary chunking. Frames are written byte by byte here
 * with a tiny test-only CBOR writer, independent of the project's encoder.
 */
#include <stdint.h>
#include <stdlib.h>

#include "t.h"
#include "util.h"
#include "wire.h"

/* ---- an independent CBOR writer: heads written by hand (RFC 8949 3.1) ---- */

struct tb {
	uint8_t b[70000];
	size_t n;
};

static void
tb_head(struct tb *t, int major, uint64_t v)
{
	uint8_t m = (uint8_t)(major << 5);

	if (v < 24) {
		t->b[t->n++] = m | (uint8_t)v;
	} else if (v <= 0xFF) {
		t->b[t->n++] = m | 24;
		t->b[t->n++] = (uint8_t)v;
	} else if (v <= 0xFFFF) {
		t->b[t->n++] = m | 25;
		t->b[t->n++] = (uint8_t)(v >> 8);
		t->b[t->n++] = (uint8_t)v;
	} else if (v <= 0xFFFFFFFFu) {
		t->b[t->n++] = m | 26;
		for (int s = 24; s >= 0; s -= 8)
			t->b[t->n++] = (uint8_t)(v >> s);
	} else {
		t->b[t->n++] = m | 27;
		for (int s = 56; s >= 0; s -= 8)
			t->b[t->n++] = (uint8_t)(v >> s);
	}
}

static void tb_uint(struct tb *t, uint64_t v) { tb_head(t, 0, v); }
static void tb_map(struct tb *t, uint64_t n) { tb_head(t, 5, n); }
static void
tb_textn(struct tb *t, const char *s, size_t n)
{
	tb_head(t, 3, n);
	memcpy(t->b + t->n, s, n);
	t->n += n;
}
static void tb_text(struct tb *t, const char *s) { tb_textn(t, s, strlen(s)); }
static void
tb_raw(struct tb *t, const char *hex)
{
	while (hex[0] && hex[1]) {
		unsigned v;
		sscanf(hex, "%2x", &v);
		t->b[t->n++] = (uint8_t)v;
		hex += 2;
		while (*hex == ' ')
			hex++;
	}
}

/* The five fields in order, leaving the map head to the caller. */
static void
tb_fields(struct tb *t, uint64_t ver, const char *src, uint64_t pid,
    const char *comm, uint64_t mono)
{
	tb_text(t, "content_version"); tb_uint(t, ver);
	tb_text(t, "probe_source"); tb_text(t, src);
	tb_text(t, "guest_pid"); tb_uint(t, pid);
	tb_text(t, "guest_comm"); tb_text(t, comm);
	tb_text(t, "guest_monotonic_ns"); tb_uint(t, mono);
}

static void
tb_good(struct tb *t)
{
	t->n = 0;
	tb_map(t, 5);
	tb_fields(t, 0x0100, "process.spawned", 4242, "sh", 123456789);
}

static enum wire_reason
dec(struct tb *t, struct wire_frame *f)
{
	struct wire_error e;

	return wire_decode(t->b, t->n, NULL, f, &e);
}

#define EXPECT(t, reason) do { struct wire_frame _f; \
	enum wire_reason _r = dec((t), &_f); \
	T_EQ_STR(wire_reason_name(_r), (reason)); } while (0)

static void
decodes_hand_written_frame(void)
{
	/* {"content_version": 256, "probe_source": "process.exited",
	 *  "guest_pid": 7, "guest_comm": "", "guest_monotonic_ns": 1} */
	struct tb t = { .n = 0 };
	struct wire_frame f;

	tb_raw(&t, "a5 6f636f6e74656e745f76657273696f6e 190100"
	    " 6c70726f62655f736f75726365 6e70726f636573732e657869746564"
	    " 6967756573745f706964 07"
	    " 6a67756573745f636f6d6d 60"
	    " 7267756573745f6d6f6e6f746f6e69635f6e73 01");
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_INT(f.content_version, 0x0100);
	T_EQ_STR(f.probe_source, "process.exited");
	T_EQ_INT(f.guest_pid, 7);
	T_EQ_STR(f.guest_comm, "");
	T_EQ_INT(f.guest_monotonic_ns, 1);
	T_EQ_INT(f.is_heartbeat, 0);
}

static void
decodes_all_fields(void)
{
	struct tb t;
	struct wire_frame f;

	tb_good(&t);
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_STR(f.probe_source, "process.spawned");
	T_EQ_INT(f.guest_pid, 4242);
	T_EQ_STR(f.guest_comm, "sh");
	T_EQ_INT(f.guest_monotonic_ns, 123456789);
}

static void
heartbeat_is_flagged(void)
{
	struct tb t = { .n = 0 };
	struct wire_frame f;

	tb_map(&t, 5);
	tb_fields(&t, 0x0100, "agent.heartbeat", 2, "agent", 5);
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_INT(f.is_heartbeat, 1);
}

static void
version_boundaries(void)
{
	struct tb t;
	uint64_t ok[] = { 0x0100, 0x01FF }, bad[] = { 0x00FF, 0x0200, 0 };

	for (size_t i = 0; i < 2; i++) {
		t.n = 0; tb_map(&t, 5);
		tb_fields(&t, ok[i], "process.spawned", 1, "a", 1);
		EXPECT(&t, "ok");
	}
	for (size_t i = 0; i < 3; i++) {
		t.n = 0; tb_map(&t, 5);
		tb_fields(&t, bad[i], "process.spawned", 1, "a", 1);
		EXPECT(&t, "unsupported_version");
	}
	t.n = 0; tb_map(&t, 5);
	tb_fields(&t, 0x10000, "process.spawned", 1, "a", 1);
	EXPECT(&t, "integer_overflow");
}

static void
version_gate_before_rest(void)
{
	/* a v2 frame whose later fields are garbage still says version */
	struct tb t = { .n = 0 };

	tb_map(&t, 2);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0200);
	tb_raw(&t, "ff ff ff");
	EXPECT(&t, "unsupported_version");
}

static void
pid_boundaries(void)
{
	struct tb t = { .n = 0 };
	struct wire_frame f;

	tb_map(&t, 5);
	tb_fields(&t, 0x0100, "process.spawned", 0xFFFFFFFFu, "a", 1);
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_INT(f.guest_pid, 0xFFFFFFFFu);
	t.n = 0; tb_map(&t, 5);
	tb_fields(&t, 0x0100, "process.spawned", 0x100000000ull, "a", 1);
	EXPECT(&t, "integer_overflow");
}

static void
monotonic_max(void)
{
	struct tb t = { .n = 0 };
	struct wire_frame f;

	tb_map(&t, 5);
	tb_fields(&t, 0x0100, "process.spawned", 1, "a", UINT64_MAX);
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_ASSERT(f.guest_monotonic_ns == UINT64_MAX);
}

static void
non_shortest_integers_accepted(void)
{
	struct tb t = { .n = 0 };
	struct wire_frame f;

	tb_map(&t, 5);
	tb_text(&t, "content_version"); tb_raw(&t, "1b 0000000000000100");
	tb_text(&t, "probe_source"); tb_text(&t, "process.spawned");
	tb_text(&t, "guest_pid"); tb_raw(&t, "1a 00000005");
	tb_text(&t, "guest_comm"); tb_text(&t, "x");
	tb_text(&t, "guest_monotonic_ns"); tb_raw(&t, "18 07");
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_INT(f.guest_pid, 5);
	T_EQ_INT(f.guest_monotonic_ns, 7);
}

static void
text_boundaries(void)
{
	char s64[65], s65[66];
	struct tb t;
	struct wire_frame f;

	memset(s64, 'c', 64); s64[64] = 0;
	memset(s65, 'c', 65); s65[65] = 0;
	t.n = 0; tb_map(&t, 5);
	tb_fields(&t, 0x0100, "process.spawned", 1, s64, 1);
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_INT(strlen(f.guest_comm), 64);
	t.n = 0; tb_map(&t, 5);
	tb_fields(&t, 0x0100, "process.spawned", 1, s65, 1);
	EXPECT(&t, "text_too_long");
	t.n = 0; tb_map(&t, 5);
	tb_fields(&t, 0x0100, s65, 1, "a", 1);
	EXPECT(&t, "text_too_long");
}

static void
unknown_keys_skipped(void)
{
	struct tb t = { .n = 0 };
	struct wire_frame f;

	tb_map(&t, 8);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "cell_id"); tb_text(&t, "forged");
	tb_text(&t, "nested"); tb_raw(&t, "84 a1 61 61 80 43 010203 f5 20");
	tb_text(&t, "probe_source"); tb_text(&t, "net.connect_attempted");
	tb_text(&t, "guest_pid"); tb_uint(&t, 9);
	tb_text(&t, "guest_comm"); tb_text(&t, "curl");
	tb_text(&t, "guest_monotonic_ns"); tb_uint(&t, 10);
	tb_text(&t, "flag"); tb_raw(&t, "f6");
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_STR(f.guest_comm, "curl");
	T_EQ_INT(f.guest_pid, 9);
}

static void
sixteen_keys_ok_seventeen_rejected(void)
{
	struct tb t;
	char k[8];

	for (int total = 16; total <= 17; total++) {
		t.n = 0;
		tb_map(&t, (uint64_t)total);
		tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
		for (int i = 5; i < total; i++) {
			snprintf(k, sizeof(k), "x%d", i);
			tb_text(&t, k); tb_uint(&t, (uint64_t)i);
		}
		EXPECT(&t, total == 16 ? "ok" : "too_many_keys");
	}
}

static void
depth_limit(void)
{
	struct tb t;

	for (int depth = 8; depth <= 9; depth++) {
		t.n = 0;
		tb_map(&t, 6);
		tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
		tb_text(&t, "deep");
		for (int i = 0; i < depth; i++)
			tb_raw(&t, "81");
		tb_uint(&t, 0);
		EXPECT(&t, depth == 8 ? "ok" : "unsupported_cbor");
	}
}

static void
frame_reasons(void)
{
	static struct tb t;
	struct wire_frame f;
	struct wire_error e;

	/* empty_frame */
	T_EQ_STR(wire_reason_name(wire_decode(t.b, 0, NULL, &f, &e)), "empty_frame");

	/* malformed_cbor: reserved additional info 28 */
	t.n = 0; tb_raw(&t, "bc");
	EXPECT(&t, "malformed_cbor");
	/* malformed_cbor: the body ends inside the map */
	tb_good(&t); t.n -= 3;
	EXPECT(&t, "malformed_cbor");
	/* a top-level map declaring 2^32 entries: too many keys, not walked */
	t.n = 0; tb_raw(&t, "ba ffffffff 00");
	EXPECT(&t, "too_many_keys");
	/* malformed_cbor: nested counts that can never fit the body, including
	 * a map of 2^63 entries whose 2n would wrap to zero */
	t.n = 0; tb_map(&t, 6);
	tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
	tb_text(&t, "x"); tb_raw(&t, "9b 7fffffffffffffff 00");
	EXPECT(&t, "malformed_cbor");
	t.n = 0; tb_map(&t, 6);
	tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
	tb_text(&t, "x"); tb_raw(&t, "bb 8000000000000000");
	EXPECT(&t, "malformed_cbor");

	/* unsupported_cbor: indefinite map, tag, float, indefinite string */
	t.n = 0; tb_raw(&t, "bf ff");
	EXPECT(&t, "unsupported_cbor");
	t.n = 0; tb_raw(&t, "c1 a0");
	EXPECT(&t, "unsupported_cbor");
	t.n = 0; tb_map(&t, 6);
	tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
	tb_text(&t, "f"); tb_raw(&t, "fb 3ff0000000000000");
	EXPECT(&t, "unsupported_cbor");
	t.n = 0; tb_map(&t, 2);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "guest_comm"); tb_raw(&t, "7f 6161 ff");
	EXPECT(&t, "unsupported_cbor");
	t.n = 0; tb_map(&t, 2);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "guest_pid"); tb_raw(&t, "c2 41 01");
	EXPECT(&t, "unsupported_cbor");

	/* not_a_map */
	t.n = 0; tb_raw(&t, "80");
	EXPECT(&t, "not_a_map");
	t.n = 0; tb_text(&t, "hello");
	EXPECT(&t, "not_a_map");

	/* content_version_not_first */
	t.n = 0; tb_map(&t, 5);
	tb_text(&t, "probe_source"); tb_text(&t, "process.spawned");
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "guest_pid"); tb_uint(&t, 1);
	tb_text(&t, "guest_comm"); tb_text(&t, "a");
	tb_text(&t, "guest_monotonic_ns"); tb_uint(&t, 1);
	EXPECT(&t, "content_version_not_first");
	t.n = 0; tb_map(&t, 0);
	EXPECT(&t, "missing_field");

	/* missing_field */
	t.n = 0; tb_map(&t, 4);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "probe_source"); tb_text(&t, "process.spawned");
	tb_text(&t, "guest_pid"); tb_uint(&t, 1);
	tb_text(&t, "guest_comm"); tb_text(&t, "a");
	EXPECT(&t, "missing_field");

	/* duplicate_key: a known key, and an unknown one */
	t.n = 0; tb_map(&t, 6);
	tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
	tb_text(&t, "guest_pid"); tb_uint(&t, 2);
	EXPECT(&t, "duplicate_key");
	t.n = 0; tb_map(&t, 7);
	tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
	tb_text(&t, "z"); tb_uint(&t, 2);
	tb_text(&t, "z"); tb_uint(&t, 3);
	EXPECT(&t, "duplicate_key");

	/* wrong_type: text pid, int comm, negative pid, non-text key */
	t.n = 0; tb_map(&t, 5);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "probe_source"); tb_text(&t, "process.spawned");
	tb_text(&t, "guest_pid"); tb_text(&t, "1");
	EXPECT(&t, "wrong_type");
	t.n = 0; tb_map(&t, 5);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "guest_comm"); tb_uint(&t, 3);
	EXPECT(&t, "wrong_type");
	t.n = 0; tb_map(&t, 5);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_text(&t, "guest_pid"); tb_raw(&t, "20");
	EXPECT(&t, "wrong_type");
	t.n = 0; tb_map(&t, 5);
	tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
	tb_uint(&t, 1); tb_uint(&t, 1);
	EXPECT(&t, "wrong_type");
	t.n = 0; tb_map(&t, 1);
	tb_text(&t, "content_version"); tb_text(&t, "1.0");
	EXPECT(&t, "wrong_type");

	/* invalid_text: bad UTF-8, overlong, surrogate, NUL */
	const char *bad[] = { "\xff", "\xc0\x80", "\xed\xa0\x80", "a\0b", "\xe2\x82" };
	size_t badn[] = { 1, 2, 3, 3, 2 };
	for (size_t i = 0; i < 5; i++) {
		t.n = 0; tb_map(&t, 5);
		tb_text(&t, "content_version"); tb_uint(&t, 0x0100);
		tb_text(&t, "probe_source"); tb_text(&t, "process.spawned");
		tb_text(&t, "guest_pid"); tb_uint(&t, 1);
		tb_text(&t, "guest_comm"); tb_textn(&t, bad[i], badn[i]);
		tb_text(&t, "guest_monotonic_ns"); tb_uint(&t, 1);
		EXPECT(&t, "invalid_text");
	}
	t.n = 0; tb_map(&t, 6);
	tb_fields(&t, 0x0100, "process.spawned", 1, "a", 1);
	tb_textn(&t, "k\xff", 2); tb_uint(&t, 1);
	EXPECT(&t, "invalid_text");

	/* trailing_bytes */
	tb_good(&t); tb_raw(&t, "00");
	EXPECT(&t, "trailing_bytes");

	/* unknown_probe_source, including empty */
	t.n = 0; tb_map(&t, 5);
	tb_fields(&t, 0x0100, "process.teleported", 1, "a", 1);
	EXPECT(&t, "unknown_probe_source");
	t.n = 0; tb_map(&t, 5);
	tb_fields(&t, 0x0100, "", 1, "a", 1);
	EXPECT(&t, "unknown_probe_source");
}

static void
utf8_in_comm_kept(void)
{
	struct tb t = { .n = 0 };
	struct wire_frame f;

	tb_map(&t, 5);
	tb_fields(&t, 0x0100, "process.spawned", 1, "caf\xc3\xa9 \xf0\x9f\x98\x80", 1);
	T_EQ_STR(wire_reason_name(dec(&t, &f)), "ok");
	T_EQ_STR(f.guest_comm, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

static void
extra_sources_allowed(void)
{
	struct tb t = { .n = 0 };
	struct wire_frame f;
	struct wire_error e;
	struct wire_sources extra = { .n = 1 };

	snprintf(extra.name[0], sizeof(extra.name[0]), "%s", "dns.query");
	tb_map(&t, 5);
	tb_fields(&t, 0x0100, "dns.query", 1, "a", 1);
	T_EQ_STR(wire_reason_name(wire_decode(t.b, t.n, NULL, &f, &e)),
	    "unknown_probe_source");
	T_EQ_STR(wire_reason_name(wire_decode(t.b, t.n, &extra, &f, &e)), "ok");
	T_ASSERT(wire_source_name_ok("dns.query"));
	T_ASSERT(!wire_source_name_ok("Bad Name"));
	T_ASSERT(!wire_source_name_ok(""));
}

/* ---- reassembler ---- */

struct collected {
	int frames, empties, errors;
	uint8_t bodies[200][128];
	size_t lens[200];
};

static void
feed(struct wire_reasm *r, const uint8_t *p, size_t n, struct collected *c)
{
	while (n > 0) {
		size_t used;
		const uint8_t *body;
		size_t blen;
		enum wire_step s = wire_reasm_push(r, p, n, &used, &body, &blen);

		p += used;
		n -= used;
		if (s == WIRE_STEP_FRAME) {
			if (c->frames < 200 && blen <= 128) {
				memcpy(c->bodies[c->frames], body, blen);
				c->lens[c->frames] = blen;
			}
			c->frames++;
		} else if (s == WIRE_STEP_EMPTY) {
			c->empties++;
		} else if (s == WIRE_STEP_ERROR) {
			c->errors++;
			return;
		}
	}
}

static size_t
make_stream(uint8_t *out, int count)
{
	size_t off = 0;

	for (int i = 0; i < count; i++) {
		struct tb t = { .n = 0 };
		tb_map(&t, 5);
		tb_fields(&t, 0x0100, "process.spawned", (uint64_t)i, "x", (uint64_t)i * 7);
		out[off++] = (uint8_t)t.n;
		out[off++] = 0; out[off++] = 0; out[off++] = 0;
		memcpy(out + off, t.b, t.n);
		off += t.n;
	}
	return off;
}

static void
reasm_chunking_invariant(void)
{
	static uint8_t stream[200 * 128];
	static struct collected whole, bytes, odd;
	size_t n = make_stream(stream, 100);
	struct wire_reasm r;

	memset(&whole, 0, sizeof(whole));
	memset(&bytes, 0, sizeof(bytes));
	memset(&odd, 0, sizeof(odd));
	wire_reasm_init(&r, 4096);
	feed(&r, stream, n, &whole);
	T_ASSERT(!wire_reasm_partial(&r));
	wire_reasm_free(&r);

	wire_reasm_init(&r, 4096);
	for (size_t i = 0; i < n; i++)
		feed(&r, stream + i, 1, &bytes);
	wire_reasm_free(&r);

	wire_reasm_init(&r, 4096);
	for (size_t i = 0, step = 1; i < n; i += step, step = step % 13 + 2)
		feed(&r, stream + i, i + step > n ? n - i : step, &odd);
	wire_reasm_free(&r);

	T_EQ_INT(whole.frames, 100);
	T_EQ_INT(bytes.frames, 100);
	T_EQ_INT(odd.frames, 100);
	for (int i = 0; i < 100; i++) {
		struct wire_frame f;
		struct wire_error e;

		T_EQ_INT(bytes.lens[i], whole.lens[i]);
		T_ASSERT(memcmp(bytes.bodies[i], whole.bodies[i], whole.lens[i]) == 0);
		T_ASSERT(memcmp(odd.bodies[i], whole.bodies[i], whole.lens[i]) == 0);
		T_EQ_INT(wire_decode(bytes.bodies[i], bytes.lens[i], NULL, &f, &e), WIRE_OK);
		T_EQ_INT(f.guest_pid, i);
	}
}

static void
reasm_max_and_one_past(void)
{
	static uint8_t buf[4 + 4097];
	struct wire_reasm r;
	size_t used, blen;
	const uint8_t *body;

	memset(buf, 0xa0, sizeof(buf));
	wire_reasm_init(&r, 4096);
	buf[0] = 0x00; buf[1] = 0x10; buf[2] = 0; buf[3] = 0;      /* 4096 */
	T_EQ_INT(wire_reasm_push(&r, buf, 4 + 4096, &used, &body, &blen), WIRE_STEP_FRAME);
	T_EQ_INT(blen, 4096);
	T_EQ_INT(used, 4100);
	buf[0] = 0x01;                                             /* 4097 */
	T_EQ_INT(wire_reasm_push(&r, buf, 4, &used, &body, &blen), WIRE_STEP_ERROR);
	T_EQ_INT(used, 4);
	wire_reasm_free(&r);

	/* the declared length is refused before any body byte arrives */
	wire_reasm_init(&r, 4096);
	buf[0] = 0xff; buf[1] = 0xff; buf[2] = 0xff; buf[3] = 0xff;
	T_EQ_INT(wire_reasm_push(&r, buf, 4, &used, &body, &blen), WIRE_STEP_ERROR);
	T_ASSERT(r.body == NULL);
	wire_reasm_free(&r);
}

static void
reasm_empty_and_partial(void)
{
	uint8_t z[4] = { 0, 0, 0, 0 }, part[6] = { 5, 0, 0, 0, 0xa0, 0xa0 };
	struct wire_reasm r;
	size_t used, blen;
	const uint8_t *body;

	wire_reasm_init(&r, 4096);
	T_EQ_INT(wire_reasm_push(&r, z, 4, &used, &body, &blen), WIRE_STEP_EMPTY);
	T_ASSERT(!wire_reasm_partial(&r));
	T_EQ_INT(wire_reasm_push(&r, part, 2, &used, &body, &blen), WIRE_STEP_MORE);
	T_ASSERT(wire_reasm_partial(&r));       /* half a length prefix */
	T_EQ_INT(wire_reasm_push(&r, part + 2, 4, &used, &body, &blen), WIRE_STEP_MORE);
	T_ASSERT(wire_reasm_partial(&r));       /* 2 of 5 body bytes */
	wire_reasm_free(&r);
}

static void
encoder_round_trip(void)
{
	struct wire_frame in = { .content_version = 0x0100, .guest_pid = 77,
	    .guest_monotonic_ns = UINT64_MAX };
	struct wire_frame out;
	struct wire_error e;
	uint8_t buf[256];
	size_t n;

	snprintf(in.probe_source, sizeof(in.probe_source), "capability.denied");
	snprintf(in.guest_comm, sizeof(in.guest_comm), "nginx");
	n = wire_encode(&in, buf, sizeof(buf));
	T_ASSERT(n > 4);
	T_EQ_INT(buf[0] | buf[1] << 8, n - 4);
	T_EQ_INT(wire_decode(buf + 4, n - 4, NULL, &out, &e), WIRE_OK);
	T_EQ_STR(out.probe_source, "capability.denied");
	T_EQ_STR(out.guest_comm, "nginx");
	T_EQ_INT(out.guest_pid, 77);
	T_ASSERT(out.guest_monotonic_ns == UINT64_MAX);
	T_EQ_INT(wire_encode(&in, buf, 20), 0);
}

static void
reason_names_stable(void)
{
	T_EQ_STR(wire_reason_name(WIRE_FRAME_TOO_LARGE), "frame_too_large");
	T_EQ_STR(wire_reason_name(WIRE_RATE_LIMITED), "rate_limited");
	for (int i = 0; i < WIRE_REASON_COUNT; i++)
		T_ASSERT(wire_reason_name((enum wire_reason)i) != NULL);
	T_EQ_STR(wire_reason_name(WIRE_REASON_COUNT), "unknown");
}

void
wire_tests(void)
{
	RUN(decodes_hand_written_frame);
	RUN(decodes_all_fields);
	RUN(heartbeat_is_flagged);
	RUN(version_boundaries);
	RUN(version_gate_before_rest);
	RUN(pid_boundaries);
	RUN(monotonic_max);
	RUN(non_shortest_integers_accepted);
	RUN(text_boundaries);
	RUN(unknown_keys_skipped);
	RUN(sixteen_keys_ok_seventeen_rejected);
	RUN(depth_limit);
	RUN(frame_reasons);
	RUN(utf8_in_comm_kept);
	RUN(extra_sources_allowed);
	RUN(reasm_chunking_invariant);
	RUN(reasm_max_and_one_past);
	RUN(reasm_empty_and_partial);
	RUN(encoder_round_trip);
	RUN(reason_names_stable);
}
