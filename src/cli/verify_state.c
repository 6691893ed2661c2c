/*
 * verify_state.c - --state FILE (see verify_state.h).
 */
#define _GNU_SOURCE             /* getline */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "encode.h"
#include "jcs.h"
#include "utf8.h"
#include "util.h"
#include "verify_state.h"

static void
make_header(char *out, size_t cap, const struct verify_keys *ks)
{
	unsigned char d[32];
	char hex[65];

	verify_keys_digest(ks, d);
	hex_encode(d, sizeof(d), hex);
	snprintf(out, cap, "{\"format\":\"%s\",\"keys\":\"%s\",\"version\":%d}",
	    VERIFY_STATE_FORMAT, hex, VERIFY_STATE_VERSION);
}

static int
rec_cmp(const void *a, const void *b)
{
	return memcmp(((const struct verify_state_rec *)a)->id,
	    ((const struct verify_state_rec *)b)->id, 32);
}

static struct verify_state_rec *
rec_new(struct verify_state *vs, const char *id)
{
	struct verify_state_rec *r;

	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? 2 * vs->cap : 64;
		vs->recs = xrealloc(vs->recs, vs->cap * sizeof(*vs->recs));
	}
	r = &vs->recs[vs->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, id, 32);
	r->id[32] = '\0';
	r->spool_off = -1;
	return r;
}

int
verify_state_load(struct verify_state *vs, const char *path,
    const struct verify_keys *ks, int partial, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t off = 0;
	FILE *f;
	int fd, rc = 0;

	memset(vs, 0, sizeof(*vs));
	vs->fd = -1;
	vs->keys = ks;
	pthread_mutex_init(&vs->lock, NULL);
	if (path == NULL)
		return 0;
	vs->path = path;
	(void)partial;
	make_header(vs->header, sizeof(vs->header), ks);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;       /* the first run */
		snprintf(err, errlen, "--state %s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	if ((f = fdopen(dup(fd), "r")) == NULL) {
		close(fd);
		snprintf(err, errlen, "--state %s: %s", path, strerror(errno));
		return EXIT_OSERR;
	}
	vs->fd = fd;
	if ((len = getline(&line, &cap, f)) <= 0 ||
	    strncmp(line, "{\"format\":\"" VERIFY_STATE_FORMAT "\"",
	    strlen("{\"format\":\"" VERIFY_STATE_FORMAT "\"")) != 0) {
		snprintf(err, errlen, "--state %s is not a verify state file",
		    path);
		rc = EXIT_DATAERR;
	} else if (strstr(line, ",\"version\":1}") == NULL) {
		snprintf(err, errlen, "--state %s is of another format version "
		    "than %d", path, VERIFY_STATE_VERSION);
		rc = EXIT_DATAERR;
	} else if ((size_t)len != strlen(vs->header) + 1 ||
	    strncmp(line, vs->header, strlen(vs->header)) != 0) {
		/* what other keys proved proves nothing under these */
		snprintf(err, errlen, "--state %s was written with another key "
		    "set; use a new state file", path);
		rc = EXIT_DATAERR;
	}
	off = (uint64_t)(len > 0 ? len : 0);
	while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
		struct verify_state_rec *r;

		if (len < 35 || line[32] != ' ' || line[len - 1] != '\n') {
			snprintf(err, errlen, "--state %s: a damaged line", path);
			rc = EXIT_DATAERR;
			break;
		}
		r = rec_new(vs, line);
		r->off = off + 33;
		r->len = (size_t)len - 34;
		off += (uint64_t)len;
	}
	vs->nold = vs->n;
	if (vs->n > 0)
		qsort(vs->recs, vs->n, sizeof(*vs->recs), rec_cmp);
	for (size_t i = 0; rc == 0 && i + 1 < vs->n; i++)
		if (rec_cmp(&vs->recs[i], &vs->recs[i + 1]) == 0) {
			snprintf(err, errlen, "--state %s: stream %s twice",
			    path, vs->recs[i].id);
			rc = EXIT_DATAERR;
		}
	for (size_t i = 0; i < vs->n; i++)
		vs->recs[i].old = 1;
	free(line);
	fclose(f);
	return rc;
}

static struct verify_state_rec *
rec_find(struct verify_state_rec *recs, size_t n, const char *id)
{
	struct verify_state_rec key;

	if (n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	memcpy(key.id, id, 32);
	return bsearch(&key, recs, n, sizeof(*recs), rec_cmp);
}

void
verify_state_streams(struct verify_state *vs, const struct verify_index *ix)
{
	size_t i;

	if (vs->path == NULL)
		return;
	/* an old record for each stream of this run, or a new one; then all
	 * by id, as the file keeps them */
	for (i = 0; i < ix->nstreams; i++)
		if (rec_find(vs->recs, vs->nold, ix->streams[i].id) == NULL)
			rec_new(vs, ix->streams[i].id);
	if (vs->n > 0)
		qsort(vs->recs, vs->n, sizeof(*vs->recs), rec_cmp);
}

static struct verify_state_rec *
rec_of(struct verify_state *vs, const char *id)
{
	return rec_find(vs->recs, vs->n, id);
}

/* ---- a stream's record ---- */

static json_t *
b64_json(const unsigned char *p, size_t n)
{
	char *t = xmalloc(b64url_len(n) + 1);
	json_t *s;

	b64url_encode_public(p, n, t);
	s = json_string(t);
	free(t);
	return s;
}

static json_t *
ranges_json(const struct verify_ranges *rs)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < rs->n; i++)
		json_array_append_new(a, json_pack("[oo]", jcs_u64(rs->r[i].a),
		    jcs_u64(rs->r[i].b)));
	return a;
}

/* A line's bytes as a JSON string; null if they are not UTF-8 (such a
 * line failed anyway, and proves nothing later). */
static json_t *
text_json(const char *p, size_t n)
{
	return n == 0 || utf8_valid((const uint8_t *)p, n) ?
	    json_stringn(p, n) : json_null();
}

static json_t *
record_json(const struct verify_stream *st)
{
	json_t *o = json_object(), *a;
	const struct verify_cursor *c = &st->cur;
	size_t i;

	json_object_set_new(o, "cell", st->have_cell ? json_string(st->cell) :
	    json_null());
	json_object_set_new(o, "run", st->have_run ? json_string(st->run) :
	    json_null());
	a = json_array();
	for (i = 0; i < st->nkids; i++)
		json_array_append_new(a, json_string(st->kids[i]));
	json_object_set_new(o, "kids", a);
	json_object_set_new(o, "more_kids", json_boolean(st->more_kids));
	json_object_set_new(o, "mode", jcs_u64((uint64_t)st->mode));
	json_object_set_new(o, "any", json_boolean(st->any));
	json_object_set_new(o, "first", jcs_u64(st->first));
	json_object_set_new(o, "last", jcs_u64(st->last));
	json_object_set_new(o, "sealed_to", jcs_u64(st->sealed_to));
	json_object_set_new(o, "cur_last", jcs_u64(c->last));
	json_object_set_new(o, "chain", c->chain_known ?
	    b64_json(c->chain, CHAIN_BYTES) : json_null());
	json_object_set_new(o, "prev_seal", c->have_prev_seal ?
	    jcs_u64(c->prev_seal) : json_null());
	json_object_set_new(o, "pend_first", jcs_u64(c->pend_first));
	json_object_set_new(o, "npend", jcs_u64(c->npend));
	json_object_set_new(o, "pend", text_json(c->pend.p ? c->pend.p : "",
	    c->pend.p ? c->pend.len : 0));
	json_object_set_new(o, "pend_file", json_string(c->pend_file));
	json_object_set_new(o, "pend_lineno", jcs_u64(c->pend_lineno));
	json_object_set_new(o, "succ", jcs_u64(c->succ));
	if (st->prefix_missing) {
		/* not kept: a later run (with --partial or not) says */
		struct verify_ranges m = { 0 };
		size_t k;

		for (k = 0; k < st->missing.n; k++)
			verify_ranges_add(&m, st->missing.r[k].a,
			    st->missing.r[k].b);
		verify_ranges_remove(&m, 1, st->first - 1);
		json_object_set_new(o, "missing", ranges_json(&m));
		verify_ranges_free(&m);
	} else {
		json_object_set_new(o, "missing", ranges_json(&st->missing));
	}
	json_object_set_new(o, "unproven", ranges_json(&st->unproven));
	json_object_set_new(o, "copies", jcs_u64(st->copies));
	json_object_set_new(o, "lines", jcs_u64(st->lines));
	json_object_set_new(o, "verified", jcs_u64(st->verified));
	json_object_set_new(o, "dups", jcs_u64(st->dups));
	json_object_set_new(o, "bad", jcs_u64(st->bad));
	json_object_set_new(o, "equiv", jcs_u64(st->equiv));
	json_object_set_new(o, "stopped", json_boolean(st->stopped));
	json_object_set_new(o, "stopped_seq", jcs_u64(st->stopped_seq));
	json_object_set_new(o, "st_acc", jcs_u64(st->st_acc));
	json_object_set_new(o, "st_hb", jcs_u64(st->st_hb));
	json_object_set_new(o, "st_rej", jcs_u64(st->st_rej));
	json_object_set_new(o, "st_emitted", jcs_u64(st->st_emitted));
	json_object_set_new(o, "st_counters", json_boolean(st->st_counters));
	json_object_set_new(o, "stopped_file", json_string(st->stopped_file));
	json_object_set_new(o, "stopped_lineno", jcs_u64(st->stopped_lineno));
	json_object_set_new(o, "guest_events", jcs_u64(st->guest_events));
	json_object_set_new(o, "summary_rejected",
	    jcs_u64(st->summary_rejected));
	json_object_set_new(o, "print_over", json_boolean(st->print_over));
	a = json_array();
	for (i = 0; i < st->ring.nextra; i++) {
		const struct verify_key *k = &st->ring.extra[i];
		json_t *e = json_object();

		json_object_set_new(e, "kid", json_string(k->kid));
		json_object_set_new(e, "how", jcs_u64((uint64_t)st->ring.how[i]));
		if (k->alg == ALG_ED25519) {
			json_object_set_new(e, "pk", b64_json(k->pk, 32));
		} else {
			size_t t;

			/* the trusted key it is, by its own kid */
			for (t = 0; t < st->ring.trusted->n; t++)
				if (st->ring.trusted->keys[t].hmac == k->hmac)
					json_object_set_new(e, "hmac", json_string(
					    st->ring.trusted->keys[t].kid));
		}
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "ring", a);
	a = json_array();
	for (i = 0; i < st->nshown; i++) {
		const struct verify_problem *p = &st->shown[i];

		json_array_append_new(a, json_pack("{sssoso ss}", "file", p->file,
		    "line", jcs_u64(p->line), "seq", jcs_u64(p->seq), "msg",
		    p->msg));
	}
	json_object_set_new(o, "problems", a);
	json_object_set_new(o, "hidden", jcs_u64(st->hidden));
	json_object_set_new(o, "dig_base", jcs_u64(st->dig_base));
	json_object_set_new(o, "dig", b64_json(st->dig ? st->dig :
	    (const unsigned char *)"", (size_t)st->dig_n * VERIFY_DIGEST));
	a = json_array();
	for (i = 0; i < st->ngaps; i++) {
		const struct verify_gap *g = &st->gaps[i];
		json_t *e = json_object();

		json_object_set_new(e, "a", jcs_u64(g->a));
		json_object_set_new(e, "b", jcs_u64(g->b));
		json_object_set_new(e, "before", g->have_before ?
		    b64_json(g->before, CHAIN_BYTES) : json_null());
		json_object_set_new(e, "cut_first", jcs_u64(g->cut_first));
		json_object_set_new(e, "succ", g->succ ? text_json(g->succ,
		    g->succ_len) : json_null());
		json_object_set_new(e, "committed", json_boolean(g->committed));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "gaps", a);
	return o;
}

int
verify_state_keep(struct verify_state *vs, size_t i,
    const struct verify_stream *st)
{
	struct verify_state_rec *r;
	struct buf b;
	json_t *o;
	int rc = 0;

	(void)i;
	if (vs->path == NULL)
		return 0;
	o = record_json(st);
	buf_init(&b, 4096, (size_t)1 << 30);
	if (jcs_value(&b, o) != 0)
		rc = -1;
	json_decref(o);
	pthread_mutex_lock(&vs->lock);
	if (rc == 0 && vs->spool == NULL && (vs->spool = tmpfile()) == NULL)
		rc = -1;
	r = rec_of(vs, st->id);
	if (rc == 0 && r != NULL) {
		long at = ftell(vs->spool);

		if (at < 0 || fwrite(b.p, 1, b.len, vs->spool) != b.len)
			rc = -1;
		r->spool_off = at;
		r->spool_len = b.len;
	}
	pthread_mutex_unlock(&vs->lock);
	buf_free(&b);
	return rc;
}

/* ---- reading a record back ---- */

static int
u64_get(json_t *o, const char *name, uint64_t *v)
{
	return jcs_get_u64(json_object_get(o, name), v);
}

static int
b64_get(json_t *m, unsigned char *out, size_t n)
{
	return json_is_string(m) && verify_b64_exact(json_string_value(m),
	    json_string_length(m), out, n) == 0 ? 0 : -1;
}

static int
ranges_get(json_t *a, struct verify_ranges *rs)
{
	size_t i;

	if (!json_is_array(a))
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *p = json_array_get(a, i);
		uint64_t x, y;

		if (jcs_get_u64(json_array_get(p, 0), &x) != 0 ||
		    jcs_get_u64(json_array_get(p, 1), &y) != 0 || x > y)
			return -1;
		verify_ranges_add(rs, x, y);
	}
	return 0;
}

static void
str_get(json_t *o, const char *name, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, name));

	snprintf(out, cap, "%s", s ? s : "");
}

/* Everything but the digests, which are decoded apart (they are big). */
static int
record_restore(json_t *o, struct verify_stream *st)
{
	struct verify_cursor *c = &st->cur;
	json_t *a, *m;
	uint64_t v;
	size_t i;
	int bad = 0;

#define U(name, dst) do { if (u64_get(o, name, &v) != 0) bad = 1; \
	else (dst) = v; } while (0)
	if ((m = json_object_get(o, "cell")) && json_is_string(m)) {
		str_get(o, "cell", st->cell, sizeof(st->cell));
		st->have_cell = 1;
	}
	if ((m = json_object_get(o, "run")) && json_is_string(m)) {
		str_get(o, "run", st->run, sizeof(st->run));
		st->have_run = 1;
	}
	a = json_object_get(o, "kids");
	for (i = 0; i < json_array_size(a) && i < 4; i++) {
		snprintf(st->kids[i], KEY_KID_MAX, "%s",
		    json_string_value(json_array_get(a, i)) ?
		    json_string_value(json_array_get(a, i)) : "");
		st->nkids = i + 1;
	}
	st->more_kids = json_is_true(json_object_get(o, "more_kids"));
	U("mode", st->mode);
	st->any = json_is_true(json_object_get(o, "any"));
	U("first", st->first);
	U("last", st->last);
	U("sealed_to", st->sealed_to);
	U("cur_last", c->last);
	if (!json_is_null(json_object_get(o, "chain"))) {
		if (b64_get(json_object_get(o, "chain"), c->chain,
		    CHAIN_BYTES) != 0)
			bad = 1;
		c->chain_known = 1;
	}
	if (!json_is_null(json_object_get(o, "prev_seal"))) {
		U("prev_seal", c->prev_seal);
		c->have_prev_seal = 1;
	}
	U("pend_first", c->pend_first);
	U("npend", c->npend);
	m = json_object_get(o, "pend");
	if (json_is_string(m) && json_string_length(m) > 0 && st->o->print) {
		buf_init(&c->pend, json_string_length(m), st->o->pending_max);
		if (buf_add(&c->pend, json_string_value(m),
		    json_string_length(m)) != 0)
			bad = 1;
	}
	str_get(o, "pend_file", c->pend_file, sizeof(c->pend_file));
	U("pend_lineno", c->pend_lineno);
	U("succ", c->succ);
	if (ranges_get(json_object_get(o, "missing"), &st->missing) != 0 ||
	    ranges_get(json_object_get(o, "unproven"), &st->unproven) != 0)
		bad = 1;
	U("copies", st->copies);
	U("lines", st->lines);
	U("verified", st->verified);
	U("dups", st->dups);
	U("bad", st->bad);
	U("equiv", st->equiv);
	st->stopped = json_is_true(json_object_get(o, "stopped"));
	U("stopped_seq", st->stopped_seq);
	U("st_acc", st->st_acc);
	U("st_hb", st->st_hb);
	U("st_rej", st->st_rej);
	U("st_emitted", st->st_emitted);
	st->st_counters = json_is_true(json_object_get(o, "st_counters"));
	str_get(o, "stopped_file", st->stopped_file, sizeof(st->stopped_file));
	U("stopped_lineno", st->stopped_lineno);
	U("guest_events", st->guest_events);
	U("summary_rejected", st->summary_rejected);
	st->print_over = json_is_true(json_object_get(o, "print_over"));
	a = json_object_get(o, "ring");
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		const char *kid = json_string_value(json_object_get(e, "kid"));
		const char *hk = json_string_value(json_object_get(e, "hmac"));
		char why[200];

		if (kid == NULL) {
			bad = 1;
			continue;
		}
		if (json_object_get(e, "pk") != NULL) {
			const char *pk = json_string_value(json_object_get(e, "pk"));

			if (verify_ring_rotate(&st->ring, kid, "ed25519", pk, why,
			    sizeof(why)) != 0)
				bad = 1;
		} else if (hk != NULL) {
			size_t t;

			for (t = 0; t < st->ring.trusted->n; t++)
				if (strcmp(st->ring.trusted->keys[t].kid, hk) == 0 &&
				    st->ring.trusted->keys[t].alg == ALG_HMAC)
					break;
			if (t == st->ring.trusted->n ||
			    st->ring.nextra == VERIFY_RING_EXTRA) {
				bad = 1;
				continue;
			}
			if (st->ring.extra == NULL)
				st->ring.extra = xmalloc(VERIFY_RING_EXTRA *
				    sizeof(*st->ring.extra));
			st->ring.how[st->ring.nextra] = 'h';
			st->ring.extra[st->ring.nextra] =
			    st->ring.trusted->keys[t];
			snprintf(st->ring.extra[st->ring.nextra].kid, KEY_KID_MAX,
			    "%s", kid);
			st->ring.nextra++;
		}
	}
	a = json_object_get(o, "problems");
	for (i = 0; i < json_array_size(a) && i < VERIFY_SHOW; i++) {
		json_t *e = json_array_get(a, i);
		struct verify_problem *p;

		if (st->shown == NULL)
			st->shown = xmalloc(VERIFY_SHOW * sizeof(*st->shown));
		p = &st->shown[st->nshown++];
		memset(p, 0, sizeof(*p));
		str_get(e, "file", p->file, sizeof(p->file));
		str_get(e, "msg", p->msg, sizeof(p->msg));
		if (u64_get(e, "line", &p->line) != 0 ||
		    u64_get(e, "seq", &p->seq) != 0)
			bad = 1;
	}
	U("hidden", st->hidden);
	a = json_object_get(o, "gaps");
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct verify_gap *g;

		if (st->ngaps == st->capgaps) {
			st->capgaps = st->capgaps ? 2 * st->capgaps : 4;
			st->gaps = xrealloc(st->gaps, st->capgaps *
			    sizeof(*st->gaps));
		}
		g = &st->gaps[st->ngaps++];
		memset(g, 0, sizeof(*g));
		if (u64_get(e, "a", &g->a) != 0 || u64_get(e, "b", &g->b) != 0 ||
		    u64_get(e, "cut_first", &g->cut_first) != 0 || g->a > g->b)
			bad = 1;
		if (!json_is_null(json_object_get(e, "before"))) {
			if (b64_get(json_object_get(e, "before"), g->before,
			    CHAIN_BYTES) != 0)
				bad = 1;
			g->have_before = 1;
		}
		m = json_object_get(e, "succ");
		if (json_is_string(m)) {
			g->succ_len = json_string_length(m);
			g->succ = xmalloc(g->succ_len + 1);
			memcpy(g->succ, json_string_value(m), g->succ_len);
		}
		g->committed = json_is_true(json_object_get(e, "committed"));
	}
#undef U
	return bad ? -1 : 0;
}

int
verify_state_resume(struct verify_state *vs, size_t i,
    struct verify_stream *st, char *err, size_t errlen)
{
	struct verify_state_rec *r;
	char *text;
	json_t *o, *d;
	json_error_t je;
	uint64_t base;
	int rc = 0;

	(void)i;
	if (vs->path == NULL)
		return 0;
	pthread_mutex_lock(&vs->lock);
	r = rec_of(vs, st->id);
	pthread_mutex_unlock(&vs->lock);
	if (r == NULL || !r->old)
		return 0;
	text = xmalloc(r->len + 1);
	if (pread(vs->fd, text, r->len, (off_t)r->off) != (ssize_t)r->len) {
		free(text);
		snprintf(err, errlen, "--state %s: cannot read stream %s",
		    vs->path, st->id);
		return -1;
	}
	o = json_loadb(text, r->len, 0, &je);
	free(text);
	if (o == NULL || record_restore(o, st) != 0) {
		json_decref(o);
		snprintf(err, errlen, "--state %s: the record of stream %s is "
		    "damaged", vs->path, st->id);
		return -1;
	}
	d = json_object_get(o, "dig");
	if (json_is_string(d) && json_string_length(d) > 0) {
		size_t n = json_string_length(d) * 3 / 4 + 4;

		st->dig = xmalloc(n);
		rc = (int)b64url_decode(json_string_value(d),
		    json_string_length(d), st->dig, n);
		if (rc < 0 || rc % VERIFY_DIGEST != 0 ||
		    u64_get(o, "dig_base", &base) != 0) {
			json_decref(o);
			snprintf(err, errlen, "--state %s: the digests of stream "
			    "%s are damaged", vs->path, st->id);
			return -1;
		}
		st->dig_base = base;
		st->dig_n = (uint64_t)rc / VERIFY_DIGEST;
		st->dig_cap = st->dig_n;
		rc = 0;
	}
	json_decref(o);
	return rc;
}

/* ---- writing the new state ---- */

static int
copy_range(int from, uint64_t off, size_t len, FILE *to)
{
	char buf[65536];

	while (len > 0) {
		size_t want = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t n = pread(from, buf, want, (off_t)off);

		if (n <= 0 || fwrite(buf, 1, (size_t)n, to) != (size_t)n)
			return -1;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int
verify_state_save(struct verify_state *vs, char *err, size_t errlen)
{
	char tmp[4200], dir[4200];
	struct verify_state_rec *r;
	size_t i;
	FILE *f;
	int fd, bad = 0;

	if (vs->path == NULL)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", vs->path);
	if ((fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "--state: cannot create %s: %s", tmp,
		    strerror(errno));
		return EXIT_OSERR;
	}
	if (vs->spool != NULL)
		fflush(vs->spool);
	fprintf(f, "%s\n", vs->header);
	for (i = 0; i < vs->n && !bad; i++) {
		r = &vs->recs[i];
		if (r->spool_off < 0 && !r->old)
			continue;       /* a stream of this run not kept */
		fprintf(f, "%s ", r->id);
		if (r->spool_off >= 0)
			bad = copy_range(fileno(vs->spool), (uint64_t)r->spool_off,
			    r->spool_len, f) != 0;
		else
			bad = copy_range(vs->fd, r->off, r->len, f) != 0;
		fputc('\n', f);
	}
	/* on disk before it replaces the old one: a crash leaves one whole */
	bad |= fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, vs->path) != 0) {
		snprintf(err, errlen, "--state: writing %s: %s", tmp,
		    strerror(errno ? errno : EIO));
		unlink(tmp);
		return EXIT_IOERR;
	}
	snprintf(dir, sizeof(dir), "%s", vs->path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

void
verify_state_free(struct verify_state *vs)
{
	if (vs->fd >= 0)
		close(vs->fd);
	if (vs->spool != NULL)
		fclose(vs->spool);
	free(vs->recs);
	pthread_mutex_destroy(&vs->lock);
	memset(vs, 0, sizeof(*vs));
	vs->fd = -1;
}
