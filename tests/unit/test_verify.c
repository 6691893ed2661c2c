/*
 * test_verify.c - the stream verifier catches a modified, dropped,
 * reordered, duplicated, truncated or foreign-key line.
 */
#include <stdlib.h>

#include "buf.h"
#include "event.h"
#include "t.h"
#include "verify.h"

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

/* Verify lines in the given order; return the 1-based line that failed
 * first, 0 when all verified and the stream closed, -1 when only the end
 * was missing. */
static int
run(struct key *k, struct lines *ls, const int *order, int n)
{
	static struct verify v;
	char why[256];

	verify_init(&v);
	verify_add_ed25519(&v, k->kid, k->pk);
	for (int i = 0; i < n; i++)
		if (!verify_line(&v, ls->l[order[i]], ls->n[order[i]], why, sizeof(why)))
			return i + 1;
	return verify_finish(&v, why, sizeof(why)) ? -1 : 0;
}

static void
verify_catches_tampering(void)
{
	struct key k;
	struct lines ls;
	int all[] = { 0, 1, 2, 3 }, dropped[] = { 0, 2, 3 },
	    reordered[] = { 0, 2, 1, 3 }, dup[] = { 0, 1, 1, 2, 3 },
	    truncated[] = { 0, 1, 2 };
	char *p;

	make_stream(&k, &ls);
	T_EQ_INT(ls.count, 4);
	T_EQ_INT(run(&k, &ls, all, 4), 0);
	T_EQ_INT(run(&k, &ls, dropped, 3), 2);
	T_EQ_INT(run(&k, &ls, reordered, 4), 2);
	T_EQ_INT(run(&k, &ls, dup, 5), 3);
	T_EQ_INT(run(&k, &ls, truncated, 3), -1);
	/* modified: change the pid in line 2 */
	p = strstr(ls.l[1], "\"guest_pid\":0");
	T_ASSERT(p != NULL);
	p[12] = '1';
	T_EQ_INT(run(&k, &ls, all, 4), 2);
	free_stream(&ls);
	keys_free(&k);
}

static void
verify_rejects_unknown_key(void)
{
	struct key k, other;
	struct lines ls;
	static struct verify v;
	char why[256];

	make_stream(&k, &ls);
	keys_generate(ALG_ED25519, &other);
	verify_init(&v);
	verify_add_ed25519(&v, other.kid, other.pk);
	T_EQ_INT(verify_line(&v, ls.l[0], ls.n[0], why, sizeof(why)), 0);
	T_ASSERT(strstr(why, "unknown key id") != NULL);
	/* the right kid with the wrong public key: a forgery */
	verify_init(&v);
	verify_add_ed25519(&v, k.kid, other.pk);
	T_EQ_INT(verify_line(&v, ls.l[0], ls.n[0], why, sizeof(why)), 0);
	T_EQ_STR(why, "bad signature");
	free_stream(&ls);
	keys_free(&k);
	keys_free(&other);
}

static void
verify_rejects_garbage(void)
{
	static struct verify v;
	char why[256];

	verify_init(&v);
	T_EQ_INT(verify_line(&v, "{", 1, why, sizeof(why)), 0);
	T_ASSERT(strncmp(why, "not JSON", 8) == 0);
	T_EQ_INT(verify_line(&v, "[]", 2, why, sizeof(why)), 0);
	T_EQ_INT(verify_line(&v, "{\"specversion\":\"1.0\"}", 21, why, sizeof(why)), 0);
}

void
verify_tests(void)
{
	RUN(verify_catches_tampering);
	RUN(verify_rejects_unknown_key);
	RUN(verify_rejects_garbage);
}
