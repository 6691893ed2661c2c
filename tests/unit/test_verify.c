/*
 * test_verify.c - the stream verifier catches a modified, dropped,
 * reordered, duplicated, truncated or foreign-key line.
 */
#include <stdlib.h>

#include "buf.h"
#include "event.h"
#include "t.h"
#include "verify_line.h"
#include "verify_report.h"
#include "verify_stream.h"

#define STREAM "00112233445566778899aabbccddeeff"

struct lines {
	char *l[8];
	size_t n[8];
	int count;
};

static void
make_stream(struct key *k, struct lines *ls)
{
	struct event_ctx e;
	struct buf out;
	struct wire_frame f;
	json_t *o;
	char err[64];
	size_t off = 0;

	if (keys_from_text("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", 43,
	    ALG_ED25519, k, err, sizeof(err)) != 0)
		abort();
	event_init(&e, "c", "r", NULL, k, STREAM);
	buf_init(&out, 4096, 1 << 20);
	o = json_object();
	event_json(&e, "cell.observability.host.telemetry.started", 1, o, &out);
	json_decref(o);
	memset(&f, 0, sizeof(f));
	f.content_version = 256;
	snprintf(f.probe_source, sizeof(f.probe_source), "process.spawned");
	event_guest(&e, &f, 2, 1, &out);
	event_guest(&e, &f, 3, 1, &out);
	o = json_object();
	json_object_set_new(o, "frames_accepted", json_integer(2));
	json_object_set_new(o, "heartbeats", json_integer(0));
	json_object_set_new(o, "frames_rejected", json_integer(0));
	json_object_set_new(o, "events_emitted", json_integer(4));
	event_json(&e, "cell.observability.host.telemetry.stopped", 4, o, &out);
	json_decref(o);
	ls->count = 0;
	while (off < out.len) {
		char *nl = memchr(out.p + off, '\n', out.len - off);
		size_t n = (size_t)(nl - (out.p + off));

		ls->l[ls->count] = malloc(n + 1);
		memcpy(ls->l[ls->count], out.p + off, n);
		ls->l[ls->count][n] = 0;
		ls->n[ls->count++] = n;
		off += n + 1;
	}
	buf_free(&out);
	event_free(&e);
}

static void
free_stream(struct lines *ls)
{
	for (int i = 0; i < ls->count; i++)
		free(ls->l[i]);
}

static char said[4096];

static void
say(void *ctx, const char *msg)
{
	(void)ctx;
	snprintf(said + strlen(said), sizeof(said) - strlen(said), "%s\n", msg);
}

static struct verify_keys ks;
static struct verify_opts opts;

static void
setup(struct key *k)
{
	memset(&ks, 0, sizeof(ks));
	verify_keys_add_ed25519(&ks, k->kid, k->pk);
	memset(&opts, 0, sizeof(opts));
	opts.keys = &ks;
	opts.say = say;
	opts.pending_max = VERIFY_PENDING_MAX;
	said[0] = '\0';
}

/* Hand sequences to a stream as the merge would: order[i] is the line
 * for sequence seq[i]; copies of one sequence go in together. Returns
 * 1 tampered, 2 incomplete, 0 ok. */
static int
run(struct key *k, struct lines *ls, const int *order, int n,
    struct verify_stream *st)
{
	static struct verify_scratch s;
	struct verify_copy c[4];
	int i = 0, m;

	setup(k);
	verify_scratch_init(&s);
	verify_stream_init(st, STREAM, &opts);
	while (i < n) {
		uint64_t seq = (uint64_t)order[i] + 1;

		for (m = 0; i < n && (uint64_t)order[i] + 1 == seq && m < 4;
		    i++, m++) {
			c[m].line = ls->l[order[i]];
			c[m].len = ls->n[order[i]];
			c[m].file = "-";
			c[m].lineno = (uint64_t)i + 1;
		}
		verify_stream_seq(st, &s, seq, c, (size_t)m);
	}
	verify_stream_finish(st, &s);
	verify_scratch_free(&s);
	return st->tampered ? 1 : st->incomplete ? 2 : 0;
}

static void
verify_catches_tampering(void)
{
	struct key k;
	struct lines ls;
	struct verify_stream st;
	int all[] = { 0, 1, 2, 3 }, dropped[] = { 0, 2, 3 },
	    dup[] = { 0, 1, 1, 2, 3 }, truncated[] = { 0, 1, 2 };
	char *p, *orig;

	make_stream(&k, &ls);
	T_EQ_INT(ls.count, 4);
	T_EQ_INT(run(&k, &ls, all, 4, &st), 0);
	T_EQ_INT(st.verified, 4);
	verify_stream_free(&st);
	/* a lost line: incomplete, the gap as a range, nothing forged */
	T_EQ_INT(run(&k, &ls, dropped, 3, &st), 2);
	T_EQ_INT(st.missing.n, 1);
	T_EQ_INT(st.missing.r[0].a, 2);
	T_EQ_INT(st.missing.r[0].b, 2);
	T_EQ_INT(st.bad, 0);
	T_ASSERT(strstr(said, "line 2: sequence 3 follows 1: 1 line(s) "
	    "missing") != NULL);
	verify_stream_free(&st);
	/* a redelivered line: counted, not a failure */
	T_EQ_INT(run(&k, &ls, dup, 5, &st), 0);
	T_EQ_INT(st.dups, 1);
	verify_stream_free(&st);
	T_EQ_INT(run(&k, &ls, truncated, 3, &st), 2);
	T_ASSERT(strstr(said, "without a stopped line (truncated)") != NULL);
	verify_stream_free(&st);
	/* modified: change the pid in line 2 */
	orig = strdup(ls.l[1]);
	p = strstr(ls.l[1], "\"guest_pid\":0");
	T_ASSERT(p != NULL);
	p[12] = '1';
	T_EQ_INT(run(&k, &ls, all, 4, &st), 1);
	T_ASSERT(strstr(said, "line 2: bad signature") != NULL);
	verify_stream_free(&st);
	/* equivocation: the honest and the modified line side by side */
	{
		struct verify_copy c[2] = {
			{ orig, strlen(orig), "-", 2 },
			{ ls.l[1], ls.n[1], "-", 9 },
		};
		static struct verify_scratch s;

		setup(&k);
		verify_scratch_init(&s);
		verify_stream_init(&st, STREAM, &opts);
		verify_stream_seq(&st, &s, 2, c, 2);
		T_EQ_INT(st.equiv, 1);
		T_EQ_INT(st.bad, 1);
		T_ASSERT(strstr(said, "line 9: sequence 2 of stream " STREAM
		    " differs from line 2: equivocation") != NULL);
		verify_stream_free(&st);
		verify_scratch_free(&s);
	}
	free(orig);
	free_stream(&ls);
	keys_free(&k);
}

static int
check(struct key *k, const char *line, char *why)
{
	static struct verify_scratch s;
	struct verify_ring r;
	struct verify_line L;
	int rc;

	setup(k);
	verify_scratch_init(&s);
	verify_ring_init(&r, &ks);
	rc = verify_line_check(&r, &s, line, strlen(line), NULL, 0, &L, why,
	    256);
	verify_line_clear(&L);
	verify_ring_free(&r);
	verify_scratch_free(&s);
	return rc;
}

static void
verify_rejects_unknown_key(void)
{
	struct key k, other;
	struct lines ls;
	char why[256];

	make_stream(&k, &ls);
	keys_generate(ALG_ED25519, &other);
	T_EQ_INT(check(&other, ls.l[0], why), 0);
	T_ASSERT(strstr(why, "unknown key id") != NULL);
	/* the right kid with the wrong public key: a forgery */
	memcpy(other.kid, k.kid, sizeof(k.kid));
	T_EQ_INT(check(&other, ls.l[0], why), 0);
	T_EQ_STR(why, "bad signature");
	T_EQ_INT(check(&k, ls.l[0], why), 1);
	free_stream(&ls);
	keys_free(&k);
	keys_free(&other);
}

/* What the daemon never writes fails even where no signed value
 * changed: re-encodings and padded base64. */
static void
verify_is_strict(void)
{
	struct key k;
	struct lines ls;
	char why[256], buf[4096], *p;

	make_stream(&k, &ls);
	/* a space after the first '{' */
	snprintf(buf, sizeof(buf), "{ %s", ls.l[1] + 1);
	T_EQ_INT(check(&k, buf, why), 0);
	T_EQ_STR(why, "not canonical JSON (RFC 8785): differs from its "
	    "canonical form at byte 2");
	/* a CR at the end */
	snprintf(buf, sizeof(buf), "%s\r", ls.l[1]);
	T_EQ_INT(check(&k, buf, why), 0);
	T_ASSERT(strncmp(why, "not", 3) == 0);
	/* an escape for a plain character */
	snprintf(buf, sizeof(buf), "%s", ls.l[1]);
	p = strstr(buf, "\"specversion\":\"1.0\"");
	T_ASSERT(p != NULL);
	memmove(p + 6, p + 1, strlen(p + 1) + 1);
	memcpy(p + 1, "\\u0073", 6);
	T_EQ_INT(check(&k, buf, why), 0);
	T_ASSERT(strstr(why, "not canonical") != NULL);
	/* the signature padded with '=' */
	snprintf(buf, sizeof(buf), "%s", ls.l[1]);
	p = strstr(buf, "\",\"sigalg\"");
	T_ASSERT(p != NULL);
	memmove(p + 2, p, strlen(p) + 1);
	memcpy(p, "==", 2);
	T_EQ_INT(check(&k, buf, why), 0);
	T_ASSERT(strstr(why, "sig is not the base64url text") != NULL);
	T_EQ_INT(check(&k, ls.l[1], why), 1);
	free_stream(&ls);
	keys_free(&k);
}

static void
verify_rejects_garbage(void)
{
	struct key k;
	char why[256];

	keys_generate(ALG_ED25519, &k);
	T_EQ_INT(check(&k, "{", why), 0);
	T_ASSERT(strncmp(why, "not JSON", 8) == 0);
	T_EQ_INT(check(&k, "[]", why), 0);
	T_EQ_INT(check(&k, "{\"specversion\":\"1.0\"}", why), 0);
	keys_free(&k);
}

static void
verify_escapes_messages(void)
{
	char out[64];

	verify_escape("a\x1b[2Jb\\c\xff\xc3\xa9", 11, out, sizeof(out));
	T_EQ_STR(out, "a\\x1b[2Jb\\x5cc\\xff\xc3\xa9");
}

/* Missing and unproven ranges: added in any order, removed in part. */
static void
verify_ranges_add_remove(void)
{
	struct verify_ranges rs = { 0 };

	verify_ranges_add(&rs, 10, 12);
	verify_ranges_add(&rs, 1, 1);
	verify_ranges_add(&rs, 13, 15);         /* joins 10-12 */
	verify_ranges_add(&rs, 11, 11);         /* already there */
	T_EQ_INT(rs.n, 2);
	T_EQ_INT(rs.total, 7);
	T_EQ_INT(rs.r[1].a, 10);
	T_EQ_INT(rs.r[1].b, 15);
	verify_ranges_remove(&rs, 12, 13);      /* splits */
	T_EQ_INT(rs.n, 3);
	T_EQ_INT(rs.total, 5);
	T_ASSERT(verify_ranges_has(&rs, 11) && !verify_ranges_has(&rs, 12));
	verify_ranges_remove(&rs, 1, 11);
	T_EQ_INT(rs.n, 1);
	T_EQ_INT(rs.r[0].a, 14);
	T_EQ_INT(rs.total, 2);
	verify_ranges_remove(&rs, 0, 100);
	T_EQ_INT(rs.n, 0);
	T_EQ_INT(rs.total, 0);
	verify_ranges_free(&rs);
}

void
verify_tests(void)
{
	RUN(verify_ranges_add_remove);
	RUN(verify_catches_tampering);
	RUN(verify_rejects_unknown_key);
	RUN(verify_is_strict);
	RUN(verify_rejects_garbage);
	RUN(verify_escapes_messages);
}
