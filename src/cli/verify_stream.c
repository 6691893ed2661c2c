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

#include "event_types.h"
#include "util.h"
#include "verify_report.h"
#include "verify_stream.h"

void
verify_ranges_add(struct verify_ranges *rs, uint64_t a, uint64_t b)
{
	rs->total += b - a + 1;
	if (rs->n > 0 && rs->r[rs->n - 1].b + 1 == a) {
		rs->r[rs->n - 1].b = b;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 8;
		rs->r = xrealloc(rs->r, rs->cap * sizeof(*rs->r));
	}
	rs->r[rs->n].a = a;
	rs->r[rs->n++].b = b;
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
	if (o->expect_stream != NULL && strcmp(o->expect_stream, sid) != 0)
		st->foreign = "not the expected stream";
}

void
verify_stream_free(struct verify_stream *st)
{
	buf_free(&st->pend);
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
	if (st->npend > 0)
		verify_ranges_add(&st->unproven, st->pend_first,
		    st->pend_first + st->npend - 1);
	st->npend = 0;
	st->pend.len = 0;
}

static void
pending_add(struct verify_stream *st, const struct verify_copy *c,
    uint64_t seq)
{
	if (st->npend++ == 0) {
		st->pend_first = seq;
		snprintf(st->pend_file, sizeof(st->pend_file), "%s", c->file);
		st->pend_lineno = c->lineno;
	}
	if (!st->o->print || st->print_over)
		return;
	if (st->pend.p == NULL)
		buf_init(&st->pend, 4096, st->o->pending_max);
	if (buf_add(&st->pend, c->line, c->len) != 0 ||
	    buf_addc(&st->pend, '\n') != 0) {
		/* never drop a line and carry on: the run fails instead */
		st->print_over = 1;
		problem(st, NULL, 0, 0, "more than %zu bytes wait for a seal; "
		    "--print holds no more, so nothing more of this stream is "
		    "printed and verify fails", st->o->pending_max);
		st->pend.len = 0;
	}
}

/* A seal proved the pending lines. */
static void
pending_proven(struct verify_stream *st)
{
	st->verified += st->npend;
	emit(st, st->pend.p, st->pend.len);
	st->npend = 0;
	st->pend.len = 0;
	if (st->pend.cap > 65536)
		buf_shrink(&st->pend, 4096);
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
	if (st->o->expect_cell != NULL && strcmp(L->cell, st->o->expect_cell)) {
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
		if (st->have_prev_seal && lines != L->seq - st->prev_seal - 1) {
			snprintf(why, whylen, "seal says %llu lines since the "
			    "previous seal, there are %llu",
			    (unsigned long long)lines,
			    (unsigned long long)(L->seq - st->prev_seal - 1));
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

static void
bad_line(struct verify_stream *st, const struct verify_copy *c, uint64_t seq,
    const char *why)
{
	st->bad++;
	problem(st, c->file, c->lineno, seq, "%s", why);
}

void
verify_stream_seq(struct verify_stream *st, struct verify_scratch *s,
    uint64_t seq, const struct verify_copy *c, size_t n)
{
	static const unsigned char zero[CHAIN_BYTES];
	const unsigned char *prev;
	struct verify_line L;
	char why[400];
	size_t i;
	int rc, proven;

	st->copies += n;
	/* at-least-once: the same bytes again are a duplicate; other bytes
	 * for the same sequence are equivocation, always a failure */
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
	st->lines++;
	if (st->foreign != NULL) {
		if (!st->any)
			st->first = seq;
		st->any = 1;
		st->last = seq;
		st->bad++;
		return;
	}
	if (st->stopped && seq > st->stopped_seq) {
		bad_line(st, c, seq, "line after stopped");
		return;
	}
	/* loss: reported once, as a range, at the line after it */
	if (!st->any) {
		st->first = seq;
		if (!st->o->partial && seq > 1) {
			verify_ranges_add(&st->missing, 1, seq - 1);
			problem(st, c->file, c->lineno, seq, "stream %s starts at "
			    "sequence %llu: %llu line(s) missing before it",
			    st->id, (unsigned long long)seq,
			    (unsigned long long)(seq - 1));
		}
	} else if (seq > st->last + 1) {
		verify_ranges_add(&st->missing, st->last + 1, seq - 1);
		problem(st, c->file, c->lineno, seq, "sequence %llu follows %llu: "
		    "%llu line(s) missing", (unsigned long long)seq,
		    (unsigned long long)st->last,
		    (unsigned long long)(seq - st->last - 1));
		pending_unproven(st);
		st->chain_known = 0;
		/* the gap may have held a seal: the next one's count is not
		 * checkable */
		st->have_prev_seal = 0;
	}
	prev = seq == 1 ? zero : st->any && seq == st->last + 1 &&
	    st->chain_known ? st->chain : NULL;
	st->any = 1;
	st->last = seq;
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
			memcpy(st->chain, L.chain, CHAIN_BYTES);
			st->chain_known = 1;
		} else {
			st->chain_known = 0;
		}
		if (L.chained && L.seal) {
			st->prev_seal = seq;
			st->have_prev_seal = 1;
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
		memcpy(st->chain, L.chain, CHAIN_BYTES);
		st->chain_known = 1;
	}
	if (proven == 1 && L.chained) {
		/* a seal: what linked up to it is proven, and itself */
		if (L.linked == 1)
			pending_proven(st);
		else
			pending_unproven(st);
		st->verified++;
		st->sealed_to = seq;
		emit_line(st, c);
	} else if (proven == 1) {
		st->verified++;
		st->sealed_to = seq;
		emit_line(st, c);
	} else if (proven == 0 && L.linked == 1) {
		pending_add(st, c, seq);
	} else if (proven == 0) {
		/* nothing before it: its own bytes are not proven, the
		 * lines after it are, by the next seal */
		pending_unproven(st);
		verify_ranges_add(&st->unproven, seq, seq);
	}
	if (L.chained && L.seal) {
		st->prev_seal = seq;
		st->have_prev_seal = 1;
	}
	verify_line_clear(&L);
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
verify_stream_finish(struct verify_stream *st)
{
	char why[256];

	if (st->foreign != NULL) {
		problem(st, NULL, 0, 0, "%s (%s): its %llu line(s) fail",
		    st->foreign, st->o->expect_stream,
		    (unsigned long long)st->lines);
	}
	/* an unsealed tail is unproven, whether or not the stream ends */
	if (st->npend > 0) {
		const struct verify_copy c = { .file = st->pend_file,
		    .lineno = st->pend_lineno };

		problem(st, c.file, c.lineno, st->pend_first, "stream %s ends "
		    "with %llu unsealed line(s) from here on: %s", st->id,
		    (unsigned long long)st->npend, st->o->partial ?
		    "not proven yet" : "truncated before its next seal");
		pending_unproven(st);
	}
	if (st->any && !st->stopped && !st->o->partial && st->foreign == NULL)
		problem(st, NULL, 0, 0, "stream %s ends at sequence %llu without "
		    "a stopped line (truncated)", st->id,
		    (unsigned long long)st->last);
	/* the counters add up only over the whole stream */
	if (st->stopped && st->first == 1 && st->missing.n == 0 &&
	    st->bad == 0 && st->unproven.n == 0 && !check_stopped(st, why,
	    sizeof(why))) {
		st->bad++;
		problem(st, st->stopped_file, st->stopped_lineno,
		    st->stopped_seq, "%s", why);
	}
	if (st->hidden > 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "stream %s: %llu more problem(s) not "
		    "shown", st->id, (unsigned long long)st->hidden);
		st->o->say(st->o->say_ctx, msg);
	}
	st->tampered = st->bad > 0;
	st->incomplete = st->missing.total > 0 || st->print_over ||
	    (!st->o->partial && (st->unproven.total > 0 || !st->stopped));
}
