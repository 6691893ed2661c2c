/*
 * test_event.c - CloudEvent lines: envelope, attribution, canonical form,
 * signature, and a known answer for a fixed key, stream and time.
 */
#include <stdlib.h>

#include "buf.h"
#include "event.h"
#include "jcs.h"
#include "sign.h"
#include "t.h"
#include "verify.h"

#define STREAM "0123456789abcdef0123456789abcdef"
#define T0 1764384000123456789ull

static void
test_key(struct key *k)
{
	/* RFC 8032 test 1 seed, base64url */
	const char *seed = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
	char err[128];

	if (keys_from_text(seed, strlen(seed), ALG_ED25519, k, err, sizeof(err)) != 0)
		abort();
}

static void
test_frame(struct wire_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->content_version = 0x0100;
	f->guest_pid = 4242;
	f->guest_monotonic_ns = 18446744073709551615ull;
	snprintf(f->probe_source, sizeof(f->probe_source), "process.spawned");
	snprintf(f->guest_comm, sizeof(f->guest_comm), "sh \"x\"\n");
}

/* The line must be its own canonical form. */
static int
is_canonical(const char *line, size_t n)
{
	json_error_t e;
	json_t *v = json_loadb(line, n, 0, &e);
	struct buf b;
	int ok;

	if (v == NULL)
		return 0;
	buf_init(&b, 512, 1 << 20);
	ok = jcs_value(&b, v) == 0 && b.len == n && memcmp(b.p, line, n) == 0;
	buf_free(&b);
	json_decref(v);
	return ok;
}

static const char known_line[] =
#include "known_guest_line.inc"
;

static void
guest_event_known_answer(void)
{
	struct key k;
	struct event_ctx e;
	struct wire_frame f;
	struct buf out;

	test_key(&k);
	test_frame(&f);
	event_init(&e, "cell-1", "run-7", NULL, &k, STREAM);
	buf_init(&out, 1024, 1 << 20);
	T_EQ_INT(event_guest(&e, &f, T0, 3, &out), 0);
	T_ASSERT(out.len > 0 && out.p[out.len - 1] == '\n');
	T_ASSERT(is_canonical(out.p, out.len - 1));
	if (getenv("PRINT_KNOWN"))
		printf("%.*s", (int)out.len, out.p);
	T_EQ_INT(out.len, strlen(known_line));
	T_ASSERT(memcmp(out.p, known_line, out.len) == 0);
	buf_free(&out);
	event_free(&e);
	keys_free(&k);
}

static void
guest_fast_path_matches_generic(void)
{
	struct key k;
	struct event_ctx e1, e2;
	struct wire_frame f;
	struct buf a, b;
	json_t *o = json_object();

	test_key(&k);
	test_frame(&f);
	event_init(&e1, "c", "r", "sha256:" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", &k, STREAM);
	event_init(&e2, "c", "r", "sha256:" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", &k, STREAM);
	buf_init(&a, 1024, 1 << 20);
	buf_init(&b, 1024, 1 << 20);
	T_EQ_INT(event_guest(&e1, &f, T0, 9, &a), 0);
	json_object_set_new(o, "connection", json_integer(9));
	json_object_set_new(o, "content_version", json_integer(256));
	json_object_set_new(o, "guest_comm", json_string(f.guest_comm));
	json_object_set_new(o, "guest_monotonic_ns", json_string("18446744073709551615"));
	json_object_set_new(o, "guest_pid", json_integer(4242));
	json_object_set_new(o, "host_received_at", json_string("2025-11-29T02:40:00.123456789Z"));
	json_object_set_new(o, "probe_source", json_string("process.spawned"));
	T_EQ_INT(event_json(&e2, "cell.observability.guest.process.spawned", T0, o, &b), 0);
	T_EQ_INT(a.len, b.len);
	T_ASSERT(memcmp(a.p, b.p, a.len) == 0);
	json_decref(o);
	buf_free(&a);
	buf_free(&b);
	event_free(&e1);
	event_free(&e2);
	keys_free(&k);
}

static void
sequence_and_id(void)
{
	struct event_ctx e;
	struct buf out;
	json_t *v;
	json_error_t je;
	char *nl;

	event_init(&e, "c", "r", NULL, NULL, STREAM);
	buf_init(&out, 1024, 1 << 20);
	for (int i = 0; i < 3; i++) {
		json_t *o = json_object();
		T_EQ_INT(event_json(&e, "t", T0, o, &out), 0);
		json_decref(o);
	}
	nl = memchr(out.p, '\n', out.len);
	nl = memchr(nl + 1, '\n', out.len - (size_t)(nl + 1 - out.p));
	v = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, &je);
	T_ASSERT(v != NULL);
	T_EQ_STR(json_string_value(json_object_get(v, "sequence")), "00000000000000000003");
	T_EQ_STR(json_string_value(json_object_get(v, "id")), STREAM "-3");
	T_EQ_STR(json_string_value(json_object_get(v, "source")), "urn:cellos:cell:c");
	T_ASSERT(json_object_get(v, "sig") == NULL);     /* off: no sig* at all */
	T_ASSERT(json_object_get(v, "sigalg") == NULL);
	T_ASSERT(json_is_null(json_object_get(json_object_get(v, "data"),
	    "spec_signature_hash")));
	json_decref(v);
	buf_free(&out);
	event_free(&e);
}

static void
attribution_cannot_be_overridden(void)
{
	struct event_ctx e;
	struct buf out;
	json_t *o = json_object(), *v;
	json_error_t je;

	/* host-built data that tries to carry its own attribution loses it */
	json_object_set_new(o, "cell_id", json_string("evil"));
	event_init(&e, "good", "r", NULL, NULL, STREAM);
	buf_init(&out, 1024, 1 << 20);
	T_EQ_INT(event_json(&e, "t", T0, o, &out), 0);
	v = json_loadb(out.p, out.len, 0, &je);
	T_ASSERT(v != NULL);
	T_EQ_STR(json_string_value(json_object_get(json_object_get(v, "data"), "cell_id")), "good");
	json_decref(v);
	json_decref(o);
	buf_free(&out);
	event_free(&e);
}

static void
ids_and_hash_rules(void)
{
	char long_id[130];

	memset(long_id, 'a', 129);
	long_id[129] = 0;
	T_ASSERT(event_id_ok("cell-1.a_b:c"));
	T_ASSERT(!event_id_ok(""));
	T_ASSERT(!event_id_ok("a b"));
	T_ASSERT(!event_id_ok("a/b"));
	T_ASSERT(!event_id_ok(long_id));
	long_id[128] = 0;
	T_ASSERT(event_id_ok(long_id));
	T_ASSERT(event_spec_hash_ok("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	T_ASSERT(!event_spec_hash_ok("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	T_ASSERT(!event_spec_hash_ok("sha256:abc"));
}

void
event_tests(void)
{
	RUN(guest_event_known_answer);
	RUN(guest_fast_path_matches_generic);
	RUN(sequence_and_id);
	RUN(attribution_cannot_be_overridden);
	RUN(ids_and_hash_rules);
}
