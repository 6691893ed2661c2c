/*
 * verify_stream.c - one stream in sequence order (see verify_stream.h).
 *
 * Chain mode, as built: a line whose predecessor is present is checked
 * against that predecessor's chain value and waits for the next seal
 * ("pending"); a seal's signature proves every pending line. A line whose
 * predecessor is absent cannot be linked: it is unproven (unless it is a
 * seal, proven by its own signature), and the lines after it link from
 * its chain value, so the next seal proves them. Pending lines cut off
 * by a gap are unproven too: no seal after the gap commits to them.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "event_types.h"
#include "util.h"
#include "verify_report.h"
#include "verify_stream.h"

/* Recount the total and join what touches. */
static void
ranges_tidy(struct verify_ranges *rs)
{
	size_t i, o = 0;

	rs->total = 0;
	for (i = 0; i < rs->n; i++) {
		if (o > 0 && rs->r[o - 1].b + 1 >= rs->r[i].a) {
			if (rs->r[i].b > rs->r[o - 1].b)
				rs->r[o - 1].b = rs->r[i].b;
			continue;
		}
		rs->r[o++] = rs->r[i];
	}
	rs->n = o;
	for (i = 0; i < rs->n; i++)
		rs->total += rs->r[i].b - rs->r[i].a + 1;
}

void
verify_ranges_add(struct verify_ranges *rs, uint64_t a, uint64_t b)
{
	size_t i;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 8;
		rs->r = xrealloc(rs->r, rs->cap * sizeof(*rs->r));
	}
	/* mostly at the end: sequences come in order */
	for (i = rs->n; i > 0 && rs->r[i - 1].a > a; i--)
		rs->r[i] = rs->r[i - 1];
	rs->r[i].a = a;
	rs->r[i].b = b;
	rs->n++;
	ranges_tidy(rs);
}

void
verify_ranges_remove(struct verify_ranges *rs, uint64_t a, uint64_t b)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		struct verify_range *r = &rs->r[i];

		if (r->b < a || r->a > b)
			continue;
		if (r->a < a && r->b > b) {
			/* split in two */
			uint64_t end = r->b;

			r->b = a - 1;
			verify_ranges_add(rs, b + 1, end);
			return;
		}
		if (r->a >= a && r->b <= b) {
			memmove(r, r + 1, (rs->n - i - 1) * sizeof(*r));
			rs->n--;
			i--;
		} else if (r->a < a) {
			r->b = a - 1;
		} else {
			r->a = b + 1;
		}
	}
	ranges_tidy(rs);
}

int
verify_ranges_has(const struct verify_ranges *rs, uint64_t seq)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].a <= seq && seq <= rs->r[i].b)
			return 1;
	return 0;
}

void
verify_ranges_free(struct verify_ranges *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

void
verify_stream_init(struct verify_stream *st, const char *sid,
    const struct verify_opts *o)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->id, sid, 33);
	st->o = o;
	verify_ring_init(&st->ring, o->keys);
	st->fill = -1;
	if (o->expect_stream != NULL && strcmp(o->expect_stream, sid) != 0)
		st->foreign = "not the expected stream";
}

void
verify_stream_free(struct verify_stream *st)
{
	size_t i;

	buf_free(&st->cur.pend);
	buf_free(&st->saved.pend);
	for (i = 0; i < st->ngaps; i++)
		free(st->gaps[i].succ);
	free(st->gaps);
	st->gaps = NULL;
	st->ngaps = st->capgaps = 0;
	free(st->dig);
	st->dig = NULL;
	free(st->shown);
	st->shown = NULL;
	verify_ring_free(&st->ring);
	verify_ranges_free(&st->missing);
	verify_ranges_free(&st->unproven);
}

/* Report a problem: shown in full for the first few, then counted. */
static void problem(struct verify_stream *st, const char *file,
    uint64_t line, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
problem(struct verify_stream *st, const char *file, uint64_t line,
    uint64_t seq, const char *fmt, ...)
{
	struct verify_problem *p;
	char raw[512], where[400], msg[1024];
	va_list ap;

	if (st->nshown == VERIFY_SHOW) {
		st->hidden++;
		return;
	}
	if (st->shown == NULL)
		st->shown = xmalloc(VERIFY_SHOW * sizeof(*st->shown));
	p = &st->shown[st->nshown++];
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	verify_escape(raw, strlen(raw), p->msg, sizeof(p->msg));
	p->file[0] = '\0';
	if (file != NULL && st->o->name_files)
		verify_escape(file, strlen(file), p->file, sizeof(p->file));
	p->line = line;
	p->seq = seq;
	if (line == 0)
		snprintf(where, sizeof(where), "stream %s", st->id);
	else if (p->file[0] != '\0')
		snprintf(where, sizeof(where), "%s line %llu", p->file,
		    (unsigned long long)line);
	else
		snprintf(where, sizeof(where), "line %llu",
		    (unsigned long long)line);
	snprintf(msg, sizeof(msg), "%s: %s", where, p->msg);
	st->o->say(st->o->say_ctx, msg);
}

static void
emit(struct verify_stream *st, const char *p, size_t n)
{
	if (st->o->print && !st->print_over && n > 0)
		st->o->emit(st->o->emit_ctx, p, n);
}

/* Pending lines will never be proven (a gap or a break after them). */
static void
pending_unproven(struct verify_stream *st)
{
	if (st->cur.npend > 0)
		verify_ranges_add(&st->unproven, st->cur.pend_first,
		    st->cur.pend_first + st->cur.npend - 1);
	st->cur.npend = 0;
	st->cur.pend.len = 0;
	st->cur.succ = 0;
}

static void
pending_add(struct verify_stream *st, const struct verify_copy *c,
    uint64_t seq)
{
	if (st->cur.npend++ == 0) {
		st->cur.pend_first = seq;
		snprintf(st->cur.pend_file, sizeof(st->cur.pend_file), "%s", c->file);
		st->cur.pend_lineno = c->lineno;
	}
	if (!st->o->print || st->print_over)
		return;
	if (st->cur.pend.p == NULL)
		buf_init(&st->cur.pend, 4096, st->o->pending_max);
	if (buf_add(&st->cur.pend, c->line, c->len) != 0 ||
	    buf_addc(&st->cur.pend, '\n') != 0) {
		/* never drop a line and carry on: the run fails instead */
		st->print_over = 1;
		problem(st, NULL, 0, 0, "more than %zu bytes wait for a seal; "
		    "--print holds no more, so nothing more of this stream is "
		    "printed and verify fails", st->o->pending_max);
		st->cur.pend.len = 0;
	}
}

/* A seal proved the pending lines. */
static void
pending_proven(struct verify_stream *st)
{
	/* a fill can prove lines an earlier run left unproven */
	if (st->cur.npend > 0)
		verify_ranges_remove(&st->unproven, st->cur.pend_first,
		    st->cur.pend_first + st->cur.npend - 1);
	st->verified += st->cur.npend;
	emit(st, st->cur.pend.p, st->cur.pend.len);
	st->cur.npend = 0;
	st->cur.pend.len = 0;
	if (st->cur.pend.cap > 65536)
		buf_shrink(&st->cur.pend, 4096);
}

static void
emit_line(struct verify_stream *st, const struct verify_copy *c)
{
	char nl = '\n';

	if (!st->o->print || st->print_over)
		return;
	emit(st, c->line, c->len);
	emit(st, &nl, 1);
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

static const char *
data_str(json_t *data, const char *name)
{
	json_t *m = json_object_get(data, name);

	return json_is_string(m) ? json_string_value(m) : NULL;
}

static void
note_kid(struct verify_stream *st, const char *kid)
{
	size_t i;

	for (i = 0; i < st->nkids; i++)
		if (strcmp(st->kids[i], kid) == 0)
			return;
	if (st->nkids == sizeof(st->kids) / sizeof(st->kids[0])) {
		st->more_kids = 1;
		return;
	}
	snprintf(st->kids[st->nkids++], KEY_KID_MAX, "%s", kid);
}

/* The line's cell and run against the stream's and the expected ones.
 * 1 when it binds, 0 with why set. */
static int
binding(struct verify_stream *st, const struct verify_line *L, char *why,
    size_t whylen)
{
	json_t *data = L->ev ? json_object_get(L->ev, "data") : NULL;
	const char *run = data ? data_str(data, "run_id") : NULL;
	const char *dcell = data ? data_str(data, "cell_id") : NULL;

	if (dcell != NULL && strcmp(dcell, L->cell) != 0) {
		snprintf(why, whylen, "data.cell_id %.128s is not the source's "
		    "cell %.128s", dcell, L->cell);
		return 0;
	}
	if (st->o->expect_cell != NULL && strcmp(L->cell, st->o->expect_cell) != 0) {
		snprintf(why, whylen, "a line of cell %.128s, not the expected "
		    "%.128s", L->cell, st->o->expect_cell);
		return 0;
	}
	if (run != NULL && st->o->expect_run != NULL &&
	    strcmp(run, st->o->expect_run) != 0) {
		snprintf(why, whylen, "a line of run %.128s, not the expected "
		    "%.128s", run, st->o->expect_run);
		return 0;
	}
	if (st->have_cell && strcmp(st->cell, L->cell) != 0) {
		snprintf(why, whylen, "cell %.128s in a stream of cell %.128s",
		    L->cell, st->cell);
		return 0;
	}
	if (run != NULL && st->have_run && strcmp(st->run, run) != 0) {
		snprintf(why, whylen, "run %.128s in a stream of run %.128s",
		    run, st->run);
		return 0;
	}
	if (!st->have_cell) {
		snprintf(st->cell, sizeof(st->cell), "%s", L->cell);
		st->have_cell = 1;
	}
	if (run != NULL && !st->have_run && strlen(run) < sizeof(st->run)) {
		snprintf(st->run, sizeof(st->run), "%s", run);
		st->have_run = 1;
	}
	return 1;
}

/* What a verified line's data means for the stream. 1, or 0 with why. */
static int
line_data(struct verify_stream *st, const struct verify_line *L,
    const struct verify_copy *c, int proven, char *why, size_t whylen)
{
	json_t *data = L->ev ? json_object_get(L->ev, "data") : NULL;
	int ok = 1;

	if (strncmp(L->type, EVENT_TYPE_GUEST, strlen(EVENT_TYPE_GUEST)) == 0 &&
	    strcmp(L->type, EVENT_AGENT_SILENCED) != 0 &&
	    strcmp(L->type, EVENT_AGENT_RESUMED) != 0)
		st->guest_events++;
	if (strcmp(L->type, EVENT_FRAMES_REJECTED) == 0) {
		st->summary_rejected += data_u64(data, "frames_rejected", &ok);
		if (!ok) {
			snprintf(why, whylen, "summary lacks frames_rejected");
			return 0;
		}
	}
	if (strcmp(L->type, EVENT_SEAL) == 0) {
		uint64_t lines = data_u64(data, "lines", &ok);

		if (!ok) {
			snprintf(why, whylen, "seal lacks lines");
			return 0;
		}
		if (st->cur.have_prev_seal && lines != L->seq - st->cur.prev_seal - 1) {
			snprintf(why, whylen, "seal says %llu lines since the "
			    "previous seal, there are %llu",
			    (unsigned long long)lines,
			    (unsigned long long)(L->seq - st->cur.prev_seal - 1));
			return 0;
		}
	}
	if (strcmp(L->type, EVENT_STOPPED) == 0) {
		st->stopped = 1;
		st->stopped_seq = L->seq;
		snprintf(st->stopped_file, sizeof(st->stopped_file), "%s",
		    c->file);
		st->stopped_lineno = c->lineno;
		st->st_acc = data_u64(data, "frames_accepted", &ok);
		st->st_hb = data_u64(data, "heartbeats", &ok);
		st->st_rej = data_u64(data, "frames_rejected", &ok);
		st->st_emitted = data_u64(data, "events_emitted", &ok);
		st->st_counters = ok;
	}
	if (strcmp(L->type, EVENT_KEY_ROTATED) == 0) {
		const char *old = data_str(data, "old_kid");
		const char *nk = data_str(data, "new_kid");
		const char *na = data_str(data, "new_sigalg");

		/* only a rotation its signer vouched for introduces a key */
		if (!proven) {
			snprintf(why, whylen, "key_rotated is not proven, so its "
			    "new key is not trusted");
			return 0;
		}
		if (old == NULL || nk == NULL || na == NULL ||
		    strcmp(old, L->kid) != 0) {
			snprintf(why, whylen, "key_rotated lacks old_kid, new_kid "
			    "or new_sigalg, or old_kid is not its signer");
			return 0;
		}
		if (verify_ring_rotate(&st->ring, nk, na,
		    data_str(data, "new_public_key"), why, whylen) != 0)
			return 0;
	}
	return 1;
}

/* --state: the digest of the line at seq (all zero: none). */
static unsigned char *
digest_at(struct verify_stream *st, uint64_t seq)
{
	if (st->dig == NULL || seq < st->dig_base ||
	    seq - st->dig_base >= st->dig_n)
		return NULL;
	return st->dig + (seq - st->dig_base) * VERIFY_DIGEST;
}

static void
digest_of(const char *line, size_t n, unsigned char out[VERIFY_DIGEST])
{
	crypto_generichash(out, VERIFY_DIGEST, (const unsigned char *)line, n,
	    NULL, 0);
}

/* Keep the digest of the line at seq, growing the table either way. */
static void
digest_keep(struct verify_stream *st, uint64_t seq, const char *line,
    size_t n)
{
	uint64_t lo, hi, need;

	if (!st->o->keep)
		return;
	if (st->dig == NULL) {
		st->dig_base = seq;
		st->dig_n = 0;
	}
	lo = seq < st->dig_base ? seq : st->dig_base;
	hi = st->dig_n == 0 || seq >= st->dig_base + st->dig_n ? seq + 1 :
	    st->dig_base + st->dig_n;
	need = hi - lo;
	if (need > st->dig_cap) {
		st->dig_cap = need * 2;
		st->dig = xrealloc(st->dig, st->dig_cap * VERIFY_DIGEST);
	}
	if (lo < st->dig_base && st->dig_n > 0) {
		memmove(st->dig + (st->dig_base - lo) * VERIFY_DIGEST, st->dig,
		    st->dig_n * VERIFY_DIGEST);
		memset(st->dig, 0, (st->dig_base - lo) * VERIFY_DIGEST);
	}
	if (st->dig_n > 0 && hi > st->dig_base + st->dig_n)
		memset(st->dig + (st->dig_base + st->dig_n - lo) * VERIFY_DIGEST,
		    0, (hi - st->dig_base - st->dig_n) * VERIFY_DIGEST);
	st->dig_base = lo;
	st->dig_n = need;
	digest_of(line, n, digest_at(st, seq));
}

/* --state: remember a gap [a, b] and what it cut off. */
static struct verify_gap *
gap_add(struct verify_stream *st, uint64_t a, uint64_t b)
{
	struct verify_gap *g;

	if (st->ngaps == st->capgaps) {
		st->capgaps = st->capgaps ? 2 * st->capgaps : 4;
		st->gaps = xrealloc(st->gaps, st->capgaps * sizeof(*st->gaps));
	}
	g = &st->gaps[st->ngaps++];
	memset(g, 0, sizeof(*g));
	g->a = a;
	g->b = b;
	if (st->cur.chain_known) {
		memcpy(g->before, st->cur.chain, CHAIN_BYTES);
		g->have_before = 1;
	}
	if (a == 1) {
		memset(g->before, 0, CHAIN_BYTES);
		g->have_before = 1;
	}
	g->cut_first = st->cur.npend ? st->cur.pend_first : 0;
	return g;
}

static void
gap_succ(struct verify_gap *g, const struct verify_copy *c)
{
	g->succ = xmalloc(c->len + 1);
	memcpy(g->succ, c->line, c->len);
	g->succ_len = c->len;
}

static long
gap_of(const struct verify_stream *st, uint64_t seq)
{
	size_t i;

	for (i = 0; i < st->ngaps; i++)
		if (st->gaps[i].a <= seq && seq <= st->gaps[i].b)
			return (long)i;
	return -1;
}

/* A verified seal committed to the chain of the line after a gap. */
static void
gap_committed(struct verify_stream *st, uint64_t succ)
{
	size_t i;

	for (i = st->ngaps; i > 0; i--)
		if (st->gaps[i - 1].b + 1 == succ)
			st->gaps[i - 1].committed = 1;
}

static void
gap_del(struct verify_stream *st, size_t i)
{
	free(st->gaps[i].succ);
	memmove(&st->gaps[i], &st->gaps[i + 1], (st->ngaps - i - 1) *
	    sizeof(st->gaps[0]));
	st->ngaps--;
}

static void
bad_line(struct verify_stream *st, const struct verify_copy *c, uint64_t seq,
    const char *why)
{
	st->bad++;
	problem(st, c->file, c->lineno, seq, "%s", why);
}

/* At-least-once: the same bytes again are a duplicate; other bytes for
 * the same sequence are equivocation, always a failure. */
static void
copies_check(struct verify_stream *st, uint64_t seq,
    const struct verify_copy *c, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (c[i].len == c[0].len && memcmp(c[i].line, c[0].line,
		    c[0].len) == 0) {
			st->dups++;
			continue;
		}
		st->equiv++;
		st->bad++;
		if (c[0].file != c[i].file && st->o->name_files)
			problem(st, c[i].file, c[i].lineno, seq, "sequence %llu of "
			    "stream %s differs from %s line %llu: equivocation",
			    (unsigned long long)seq, st->id, c[0].file,
			    (unsigned long long)c[0].lineno);
		else
			problem(st, c[i].file, c[i].lineno, seq, "sequence %llu of "
			    "stream %s differs from line %llu: equivocation",
			    (unsigned long long)seq, st->id,
			    (unsigned long long)c[0].lineno);
	}
}

/*
 * One line at seq, on the current cursor. In a fill (--state, a late
 * chunk inside a gap an earlier run saw) its gap was reported then: it
 * is not reported again, and the line is no longer missing.
 */
static void
line_one(struct verify_stream *st, struct verify_scratch *s, uint64_t seq,
    const struct verify_copy *c, int fill)
{
	static const unsigned char zero[CHAIN_BYTES];
	const unsigned char *prev;
	struct verify_gap *g = NULL;
	struct verify_line L;
	char why[400];
	int rc, proven, first = !st->any;

	if (st->stopped && seq > st->stopped_seq) {
		bad_line(st, c, seq, "line after stopped");
		digest_keep(st, seq, c->line, c->len);
		st->last = seq;
		return;
	}
	/* loss: reported once, as a range, at the line after it */
	if (first) {
		st->first = seq;
		if (seq > 1 && st->o->keep)
			g = gap_add(st, 1, seq - 1);
		if (!st->o->partial && seq > 1) {
			/* added to missing at the end: a later run may bring
			 * them (--state) */
			problem(st, c->file, c->lineno, seq, "stream %s starts at "
			    "sequence %llu: %llu line(s) missing before it",
			    st->id, (unsigned long long)seq,
			    (unsigned long long)(seq - 1));
		}
	} else if (seq > st->cur.last + 1) {
		if (st->o->keep)
			g = gap_add(st, st->cur.last + 1, seq - 1);
		if (!fill) {
			verify_ranges_add(&st->missing, st->cur.last + 1, seq - 1);
			problem(st, c->file, c->lineno, seq, "sequence %llu follows "
			    "%llu: %llu line(s) missing", (unsigned long long)seq,
			    (unsigned long long)st->cur.last,
			    (unsigned long long)(seq - st->cur.last - 1));
		}
		pending_unproven(st);
		st->cur.chain_known = 0;
		/* the gap may have held a seal: the next one's count is not
		 * checkable */
		st->cur.have_prev_seal = 0;
	}
	if (g != NULL)
		gap_succ(g, c);
	if (fill) {
		verify_ranges_remove(&st->missing, seq, seq);
		if (seq < st->first)
			st->first = seq;
	}
	prev = seq == 1 ? zero : !first && seq == st->cur.last + 1 &&
	    st->cur.chain_known ? st->cur.chain : NULL;
	st->any = 1;
	st->cur.last = seq;
	if (seq > st->last)
		st->last = seq;
	digest_keep(st, seq, c->line, c->len);
	rc = verify_line_check(&st->ring, s, c->line, c->len, prev,
	    !st->have_run, &L, why, sizeof(why));
	if (rc && (strcmp(L.sid, st->id) != 0 || L.seq != seq)) {
		snprintf(why, sizeof(why), "the line changed while verify read "
		    "it (the file was rewritten)");
		rc = 0;
	}
	if (rc && st->mode != 0 && st->mode != (L.chained ? 'c' : 'l')) {
		snprintf(why, sizeof(why), "a %s line in a %s stream",
		    L.chained ? "chain mode" : "line mode",
		    st->mode == 'c' ? "chain mode" : "line mode");
		rc = 0;
	}
	if (rc && !binding(st, &L, why, sizeof(why)))
		rc = 0;
	if (rc == 0) {
		bad_line(st, c, seq, why);
		/* the chain goes on from the line's own value, one report
		 * per break; what waited for a seal does only if it links */
		if (L.chained && L.linked != 1)
			pending_unproven(st);
		if (L.have_chain) {
			memcpy(st->cur.chain, L.chain, CHAIN_BYTES);
			st->cur.chain_known = 1;
		} else {
			st->cur.chain_known = 0;
		}
		if (L.chained && L.seal) {
			st->cur.prev_seal = seq;
			st->cur.have_prev_seal = 1;
		}
		verify_line_clear(&L);
		return;
	}
	st->mode = L.chained ? 'c' : 'l';
	note_kid(st, L.kid);
	/* 1 proven now; 0 waits for a seal (or, with nothing before it,
	 * stays unproven) */
	proven = !L.chained || L.seal;
	if (!line_data(st, &L, c, proven, why, sizeof(why))) {
		bad_line(st, c, seq, why);
		proven = -1;
	}
	if (L.chained) {
		memcpy(st->cur.chain, L.chain, CHAIN_BYTES);
		st->cur.chain_known = 1;
	}
	if (proven == 1 && L.chained) {
		/* a seal: what linked up to it is proven, and itself; so is
		 * the chain of the line after a gap they link from */
		if (L.linked == 1) {
			if (st->cur.succ)
				gap_committed(st, st->cur.succ);
			pending_proven(st);
		} else {
			pending_unproven(st);
			gap_committed(st, seq);
		}
		st->cur.succ = 0;
		st->verified++;
		if (seq > st->sealed_to)
			st->sealed_to = seq;
		emit_line(st, c);
	} else if (proven == 1) {
		st->verified++;
		if (seq > st->sealed_to)
			st->sealed_to = seq;
		emit_line(st, c);
	} else if (proven == 0 && L.linked == 1) {
		pending_add(st, c, seq);
	} else if (proven == 0) {
		/* nothing before it: its own bytes are not proven, the
		 * lines after it are, by the next seal */
		pending_unproven(st);
		verify_ranges_add(&st->unproven, seq, seq);
		st->cur.succ = seq;
	}
	if (L.chained && L.seal) {
		st->cur.prev_seal = seq;
		st->cur.have_prev_seal = 1;
	}
	verify_line_clear(&L);
}

/* A fill ends: linked into the line after its gap, and that line's chain
 * committed by a verified seal, it proves itself and what the gap cut
 * off; else what it holds stays unproven, and what is still missing is
 * a gap again. */
static void
fill_end(struct verify_stream *st, struct verify_scratch *s)
{
	struct verify_gap *g = &st->gaps[st->fill];
	struct verify_line L;
	char why[400];
	size_t i = (size_t)st->fill;
	int linked = 0;

	if (st->cur.last == g->b && g->succ != NULL) {
		linked = verify_line_check(&st->ring, s, g->succ, g->succ_len,
		    st->cur.chain_known ? st->cur.chain : NULL, 0, &L, why,
		    sizeof(why)) && L.linked == 1 &&
		    (g->committed || (L.seal && L.sig_ok));
		if (linked && !L.chained)
			linked = 0;     /* line mode needs no links */
		verify_line_clear(&L);
	}
	if (linked) {
		pending_proven(st);
		if (verify_ranges_has(&st->unproven, g->b + 1)) {
			verify_ranges_remove(&st->unproven, g->b + 1, g->b + 1);
			st->verified++;
		}
		gap_del(st, i);
	} else if (st->cur.last < g->b) {
		/* what is still missing, after what the fill holds */
		struct verify_gap *t = gap_add(st, st->cur.last + 1, g->b);

		g = &st->gaps[i];
		t->succ = g->succ;
		t->succ_len = g->succ_len;
		t->committed = g->committed;
		g->succ = NULL;
		pending_unproven(st);
		gap_del(st, i);
	} else {
		pending_unproven(st);
		gap_del(st, i);
	}
	buf_free(&st->cur.pend);
	st->cur = st->saved;
	memset(&st->saved, 0, sizeof(st->saved));
	st->fill = -1;
}

/* A fill begins at gap i: the chain before it, the lines it cut off
 * waiting again for a seal. */
static void
fill_begin(struct verify_stream *st, long i)
{
	const struct verify_gap *g = &st->gaps[i];

	st->saved = st->cur;
	memset(&st->cur, 0, sizeof(st->cur));
	st->cur.last = g->a - 1;
	memcpy(st->cur.chain, g->before, CHAIN_BYTES);
	st->cur.chain_known = g->have_before;
	if (g->cut_first) {
		/* their bytes are an earlier run's: counted, not printed */
		st->cur.pend_first = g->cut_first;
		st->cur.npend = g->a - g->cut_first;
	}
	st->fill = i;
}

/* A sequence at or before the last one an earlier run kept (--state). */
static void
restored_seq(struct verify_stream *st, struct verify_scratch *s,
    uint64_t seq, const struct verify_copy *c, size_t n)
{
	unsigned char d[VERIFY_DIGEST], *have;
	long g = gap_of(st, seq);
	size_t i;

	if (g >= 0) {
		if (st->fill >= 0 && st->fill != g)
			fill_end(st, s);
		g = gap_of(st, seq);
		if (st->fill < 0)
			fill_begin(st, g);
		copies_check(st, seq, c, n);
		st->lines++;
		line_one(st, s, seq, c, 1);
		return;
	}
	if (st->fill >= 0)
		fill_end(st, s);
	/* verified before: a redelivery, or another line */
	have = digest_at(st, seq);
	for (i = 0; i < n; i++) {
		digest_of(c[i].line, c[i].len, d);
		if (have != NULL && sodium_memcmp(d, have, VERIFY_DIGEST) == 0) {
			st->dups++;
			continue;
		}
		st->equiv++;
		st->bad++;
		problem(st, c[i].file, c[i].lineno, seq, "sequence %llu of stream "
		    "%s differs from the line an earlier run verified "
		    "(--state): equivocation", (unsigned long long)seq, st->id);
	}
}

void
verify_stream_seq(struct verify_stream *st, struct verify_scratch *s,
    uint64_t seq, const struct verify_copy *c, size_t n)
{
	st->copies += n;
	if (st->foreign != NULL) {
		if (!st->any || seq < st->first)
			st->first = seq;
		st->any = 1;
		if (seq > st->last)
			st->last = seq;
		st->lines++;
		st->bad++;
		return;
	}
	if (st->o->keep && st->any && (seq <= st->last || seq < st->first)) {
		restored_seq(st, s, seq, c, n);
		return;
	}
	if (st->fill >= 0)
		fill_end(st, s);
	copies_check(st, seq, c, n);
	st->lines++;
	line_one(st, s, seq, c, 0);
}

/* What stopped claims must match what the stream showed. */
static int
check_stopped(const struct verify_stream *st, char *why, size_t whylen)
{
	if (!st->st_counters) {
		snprintf(why, whylen, "stopped lacks its counters");
		return 0;
	}
	if (st->st_emitted != st->stopped_seq) {
		snprintf(why, whylen, "stopped says %llu events, stream has %llu",
		    (unsigned long long)st->st_emitted,
		    (unsigned long long)st->stopped_seq);
		return 0;
	}
	if (st->st_acc < st->st_hb) {
		snprintf(why, whylen, "stopped counts more heartbeats than "
		    "accepted frames");
		return 0;
	}
	if (st->st_acc - st->st_hb != st->guest_events) {
		snprintf(why, whylen, "stopped counts %llu guest events, stream "
		    "has %llu", (unsigned long long)(st->st_acc - st->st_hb),
		    (unsigned long long)st->guest_events);
		return 0;
	}
	if (st->st_rej != st->summary_rejected) {
		snprintf(why, whylen, "stopped counts %llu rejected frames, "
		    "summaries %llu", (unsigned long long)st->st_rej,
		    (unsigned long long)st->summary_rejected);
		return 0;
	}
	return 1;
}

void
verify_stream_finish(struct verify_stream *st, struct verify_scratch *s)
{
	char why[256], msg[1200];

	if (st->fill >= 0)
		fill_end(st, s);
	if (st->any && st->first > 1 && !st->o->partial &&
	    st->foreign == NULL) {
		verify_ranges_add(&st->missing, 1, st->first - 1);
		st->prefix_missing = 1;
	}

	if (st->foreign != NULL) {
		problem(st, NULL, 0, 0, "%s (%s): its %llu line(s) fail",
		    st->foreign, st->o->expect_stream,
		    (unsigned long long)st->lines);
	}
	/* an unsealed tail is unproven, whether or not the stream ends;
	 * with --state it stays pending, for its seal in a later run (what
	 * the stream is now: said, not kept among its problems) */
	if (st->cur.npend > 0) {
		char where[400];

		if (st->o->name_files)
			verify_escape(st->cur.pend_file, strlen(st->cur.pend_file),
			    where, sizeof(where));
		snprintf(msg, sizeof(msg), "%s%sline %llu: stream %s ends with "
		    "%llu unsealed line(s) from here on: %s",
		    st->o->name_files ? where : "", st->o->name_files ? " " : "",
		    (unsigned long long)st->cur.pend_lineno, st->id,
		    (unsigned long long)st->cur.npend, st->o->partial ?
		    "not proven yet" : "truncated before its next seal");
		st->o->say(st->o->say_ctx, msg);
		if (st->o->keep)
			verify_ranges_add(&st->unproven, st->cur.pend_first,
			    st->cur.pend_first + st->cur.npend - 1);
		else
			pending_unproven(st);
	}
	if (st->any && !st->stopped && !st->o->partial && st->foreign == NULL) {
		snprintf(msg, sizeof(msg), "stream %s ends at sequence %llu "
		    "without a stopped line (truncated)", st->id,
		    (unsigned long long)st->last);
		st->o->say(st->o->say_ctx, msg);
	}
	/* the counters add up only over the whole stream */
	if (st->stopped && st->first == 1 && st->missing.n == 0 &&
	    st->bad == 0 && st->unproven.n == 0 && !check_stopped(st, why,
	    sizeof(why))) {
		st->bad++;
		problem(st, st->stopped_file, st->stopped_lineno,
		    st->stopped_seq, "%s", why);
	}
	if (st->hidden > 0) {
		snprintf(msg, sizeof(msg), "stream %s: %llu more problem(s) not "
		    "shown", st->id, (unsigned long long)st->hidden);
		st->o->say(st->o->say_ctx, msg);
	}
	st->tampered = st->bad > 0;
	st->incomplete = st->missing.total > 0 || st->print_over ||
	    (!st->o->partial && (st->unproven.total > 0 || !st->stopped));
}
