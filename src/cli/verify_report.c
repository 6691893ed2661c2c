/*
 * verify_report.c - messages, the stderr summary and the JSON report (see
 * verify_report.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jcs.h"
#include "utf8.h"
#include "util.h"
#include "verify_report.h"

void
verify_escape(const char *in, size_t n, char *out, size_t cap)
{
	static const char hx[] = "0123456789abcdef";
	size_t i = 0, o = 0;

	if (cap == 0)
		return;
	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		size_t len = 1;

		if (c >= 0x80) {
			/* a whole valid UTF-8 character passes */
			len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (len == 1 || i + len > n ||
			    !utf8_valid((const uint8_t *)in + i, len))
				len = 0;
		}
		if (c >= 0x20 && c != 0x7f && c != '\\' && len > 0) {
			if (o + len >= cap)
				break;
			memcpy(out + o, in + i, len);
			o += len;
			i += len;
			continue;
		}
		if (o + 4 >= cap)
			break;
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hx[c >> 4];
		out[o++] = hx[c & 15];
		i++;
	}
	out[o] = '\0';
}

void
verify_totals_add(struct verify_totals *t, const struct verify_stream *st)
{
	t->streams++;
	if (st->tampered)
		t->tampered++;
	else if (st->incomplete)
		t->incomplete++;
	else
		t->ok++;
	t->copies += st->copies;
	t->lines += st->lines;
	t->verified += st->verified;
	t->dups += st->dups;
	t->bad += st->bad;
	t->equiv += st->equiv;
	t->missing += st->missing.total;
	t->unproven += st->unproven.total;
}

int
verify_totals_exit(const struct verify_totals *t)
{
	if (t->tampered > 0 || t->unowned > 0)
		return 1;
	if (t->incomplete > 0 || t->streams == 0)
		return 2;
	return 0;
}


/* "I/N" into *i and *n: decimal, nothing else. 0, or -1. */
static int
parse_partition(const char *s, uint64_t *i, uint64_t *n)
{
	char num[32];
	const char *slash = strchr(s, '/');

	if (slash == NULL || (size_t)(slash - s) >= sizeof(num))
		return -1;
	snprintf(num, sizeof(num), "%.*s", (int)(slash - s), s);
	return parse_u64(num, 0, UINT64_MAX, i) == 0 &&
	    parse_u64(slash + 1, 0, UINT64_MAX, n) == 0 ? 0 : -1;
}
static const char *
verdict_name(int code)
{
	return code == 1 ? "tampered" : code == 2 ? "incomplete" : "ok";
}

static void
ranges_text(const struct verify_ranges *rs, struct buf *b)
{
	size_t i;

	for (i = 0; i < rs->n && i < 8; i++) {
		if (rs->r[i].a == rs->r[i].b)
			buf_printf(b, "%s%llu", i ? "," : "",
			    (unsigned long long)rs->r[i].a);
		else
			buf_printf(b, "%s%llu-%llu", i ? "," : "",
			    (unsigned long long)rs->r[i].a,
			    (unsigned long long)rs->r[i].b);
	}
	if (rs->n > 8)
		buf_printf(b, ",... (%zu ranges)", rs->n);
}

void
verify_report_stream_line(const struct verify_stream *st, char *out,
    size_t cap)
{
	struct buf b;
	size_t i;

	buf_init(&b, 512, 8192);
	buf_printf(&b, "stream %s (cell %s, run %s, key ", st->id,
	    st->have_cell ? st->cell : "?", st->have_run ? st->run : "?");
	for (i = 0; i < st->nkids; i++)
		buf_printf(&b, "%s%s", i ? "," : "", st->kids[i]);
	if (st->nkids == 0)
		buf_adds(&b, "?");
	if (st->more_kids)
		buf_adds(&b, ",...");
	buf_printf(&b, "): %s: %llu line(s), %llu verified",
	    st->tampered ? "FAILED" : st->incomplete ? "INCOMPLETE" : "OK",
	    (unsigned long long)st->lines, (unsigned long long)st->verified);
	if (st->any)
		buf_printf(&b, ", sequences %llu-%llu",
		    (unsigned long long)st->first, (unsigned long long)st->last);
	if (st->dups)
		buf_printf(&b, ", %llu duplicate(s)", (unsigned long long)st->dups);
	if (st->bad)
		buf_printf(&b, ", %llu bad", (unsigned long long)st->bad);
	if (st->equiv)
		buf_printf(&b, " (%llu equivocation)",
		    (unsigned long long)st->equiv);
	if (st->missing.n) {
		buf_printf(&b, ", %llu missing: ",
		    (unsigned long long)st->missing.total);
		ranges_text(&st->missing, &b);
	}
	if (st->unproven.n) {
		buf_printf(&b, ", %llu unproven: ",
		    (unsigned long long)st->unproven.total);
		ranges_text(&st->unproven, &b);
	}
	if (st->mode == 'c')
		buf_printf(&b, ", sealed to %llu",
		    (unsigned long long)st->sealed_to);
	buf_adds(&b, st->stopped ? ", stopped" : ", no stopped");
	buf_addc(&b, '\0');
	/* every byte of it from the input is escaped */
	verify_escape(b.p, strlen(b.p), out, cap);
	buf_free(&b);
}

void
verify_report_summary(FILE *err, const struct verify_totals *t)
{
	int code = verify_totals_exit(t);

	if (code == 0) {
		fprintf(err, "verify: OK: %llu lines in %llu stream(s)",
		    (unsigned long long)t->verified,
		    (unsigned long long)t->streams);
	} else if (code == 1) {
		fprintf(err, "verify: FAILED: %llu of %llu lines bad, %llu of "
		    "%llu stream(s) tampered",
		    (unsigned long long)t->bad + t->unowned,
		    (unsigned long long)t->copies + t->unowned,
		    (unsigned long long)t->tampered,
		    (unsigned long long)t->streams);
	} else {
		fprintf(err, "verify: INCOMPLETE: nothing forged; %llu of %llu "
		    "stream(s) incomplete, %llu line(s) missing, %llu unproven",
		    (unsigned long long)t->incomplete,
		    (unsigned long long)t->streams,
		    (unsigned long long)t->missing,
		    (unsigned long long)t->unproven);
	}
	if (t->dups)
		fprintf(err, ", %llu duplicate(s)", (unsigned long long)t->dups);
	fputc('\n', err);
}

static json_t *
ranges_json(const struct verify_ranges *rs)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < rs->n; i++) {
		json_t *p = json_array();

		json_array_append_new(p, jcs_u64(rs->r[i].a));
		json_array_append_new(p, jcs_u64(rs->r[i].b));
		json_array_append_new(a, p);
	}
	return a;
}

static json_t *
problems_json(const struct verify_problem *ps, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *p = json_object();

		json_object_set_new(p, "file", ps[i].file[0] ?
		    json_string(ps[i].file) : json_null());
		json_object_set_new(p, "line", ps[i].line ?
		    jcs_u64(ps[i].line) : json_null());
		json_object_set_new(p, "sequence", ps[i].seq ?
		    jcs_u64(ps[i].seq) : json_null());
		json_object_set_new(p, "message", json_string(ps[i].msg));
		json_array_append_new(a, p);
	}
	return a;
}

/* Text from the input, escaped, as a JSON string. */
static json_t *
text_json(const char *s)
{
	char e[1024];

	verify_escape(s, strlen(s), e, sizeof(e));
	return json_string(e);
}

json_t *
verify_report_stream_json(const struct verify_stream *st)
{
	json_t *o = json_object(), *kids = json_array();
	size_t i;

	json_object_set_new(o, "report", json_string("stream"));
	json_object_set_new(o, "streamid", json_string(st->id));
	json_object_set_new(o, "cell_id", st->have_cell ? text_json(st->cell) :
	    json_null());
	json_object_set_new(o, "run_id", st->have_run ? text_json(st->run) :
	    json_null());
	for (i = 0; i < st->nkids; i++)
		json_array_append_new(kids, text_json(st->kids[i]));
	json_object_set_new(o, "key_ids", kids);
	json_object_set_new(o, "mode", st->mode == 'c' ? json_string("chain") :
	    st->mode == 'l' ? json_string("line") : json_null());
	json_object_set_new(o, "verdict", json_string(st->tampered ?
	    "tampered" : st->incomplete ? "incomplete" : "ok"));
	json_object_set_new(o, "first_sequence", st->any ? jcs_u64(st->first) :
	    json_null());
	json_object_set_new(o, "last_sequence", st->any ? jcs_u64(st->last) :
	    json_null());
	json_object_set_new(o, "copies", jcs_u64(st->copies));
	json_object_set_new(o, "lines", jcs_u64(st->lines));
	json_object_set_new(o, "verified", jcs_u64(st->verified));
	json_object_set_new(o, "duplicates", jcs_u64(st->dups));
	json_object_set_new(o, "bad", jcs_u64(st->bad));
	json_object_set_new(o, "equivocations", jcs_u64(st->equiv));
	json_object_set_new(o, "missing", ranges_json(&st->missing));
	json_object_set_new(o, "missing_lines", jcs_u64(st->missing.total));
	json_object_set_new(o, "unproven", ranges_json(&st->unproven));
	json_object_set_new(o, "unproven_lines", jcs_u64(st->unproven.total));
	json_object_set_new(o, "sealed_to", st->mode == 'c' && st->sealed_to ?
	    jcs_u64(st->sealed_to) : json_null());
	json_object_set_new(o, "stopped", json_boolean(st->stopped));
	json_object_set_new(o, "problems", problems_json(st->shown,
	    st->nshown));
	json_object_set_new(o, "problems_not_shown", jcs_u64(st->hidden));
	return o;
}

json_t *
verify_report_totals_json(const struct verify_totals *t,
    const struct verify_loose *loose)
{
	json_t *o = json_object();
	int code = verify_totals_exit(t);

	json_object_set_new(o, "report", json_string("totals"));
	json_object_set_new(o, "verdict", json_string(verdict_name(code)));
	json_object_set_new(o, "exit", json_integer(code));
	json_object_set_new(o, "partial", json_boolean(t->partial));
	if (t->part_n) {
		char p[48];

		snprintf(p, sizeof(p), "%llu/%llu", (unsigned long long)t->part_i,
		    (unsigned long long)t->part_n);
		json_object_set_new(o, "partition", json_string(p));
	} else {
		json_object_set_new(o, "partition", json_null());
	}
	json_object_set_new(o, "streams", jcs_u64(t->streams));
	json_object_set_new(o, "streams_ok", jcs_u64(t->ok));
	json_object_set_new(o, "streams_incomplete", jcs_u64(t->incomplete));
	json_object_set_new(o, "streams_tampered", jcs_u64(t->tampered));
	json_object_set_new(o, "copies", jcs_u64(t->copies));
	json_object_set_new(o, "lines", jcs_u64(t->lines));
	json_object_set_new(o, "verified", jcs_u64(t->verified));
	json_object_set_new(o, "duplicates", jcs_u64(t->dups));
	json_object_set_new(o, "bad", jcs_u64(t->bad));
	json_object_set_new(o, "equivocations", jcs_u64(t->equiv));
	json_object_set_new(o, "unowned_lines", jcs_u64(t->unowned));
	json_object_set_new(o, "missing_lines", jcs_u64(t->missing));
	json_object_set_new(o, "unproven_lines", jcs_u64(t->unproven));
	json_object_set_new(o, "problems", problems_json(loose->shown,
	    loose->nshown));
	json_object_set_new(o, "problems_not_shown", jcs_u64(loose->hidden));
	return o;
}

int
verify_report_write(FILE *f, json_t *o)
{
	struct buf b;
	int rc;

	buf_init(&b, 1024, (size_t)1 << 26);
	rc = jcs_value(&b, o) == 0 && buf_addc(&b, '\n') == 0 &&
	    fwrite(b.p, 1, b.len, f) == b.len ? 0 : -1;
	buf_free(&b);
	return rc;
}

/* ---- --merge-reports ---- */

/* A count of a report: an integer, or a decimal string past 2^53-1. */
static int
u64_of(json_t *o, const char *name, uint64_t *v)
{
	return jcs_get_u64(json_object_get(o, name), v);
}

static int
stream_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "streamid")),
	    json_string_value(json_object_get(y, "streamid")));
}

struct merge {
	json_t **streams;
	size_t n, cap;
	struct verify_totals t;
	json_t *problems;
	uint64_t hidden;
	unsigned char *seen_part;
	uint64_t part_n;
	int have_partial;
};

#define MERGE_FAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); \
	rc = (code); goto out; } while (0)

/* One report's totals line into m. */
static int
merge_totals(struct merge *m, json_t *o, const char *path, char *err,
    size_t errlen)
{
	static const char *const names[] = { "copies", "unowned_lines" };
	uint64_t *dst[] = { &m->t.copies, &m->t.unowned };
	json_t *part = json_object_get(o, "partition"), *ps, *p;
	int partial = json_is_true(json_object_get(o, "partial"));
	uint64_t v, pi = 0, pn = 0, hidden;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (u64_of(o, names[i], &v) != 0) {
			snprintf(err, errlen, "%s: its totals lack %s", path,
			    names[i]);
			return EXIT_DATAERR;
		}
		*dst[i] += v;
	}
	if (m->have_partial && m->t.partial != partial) {
		snprintf(err, errlen, "%s: one report was made with --partial, "
		    "another without", path);
		return EXIT_DATAERR;
	}
	m->have_partial = 1;
	m->t.partial = partial;
	if (json_is_string(part)) {
		if (parse_partition(json_string_value(part), &pi, &pn) != 0 ||
		    pn == 0 || pi >= pn || (m->part_n && m->part_n != pn)) {
			snprintf(err, errlen, "%s: partition %s does not fit the "
			    "others", path, json_string_value(part));
			return EXIT_DATAERR;
		}
		if (m->seen_part == NULL) {
			m->part_n = pn;
			m->seen_part = xmalloc(pn);
			memset(m->seen_part, 0, pn);
		}
		if (m->seen_part[pi]++) {
			snprintf(err, errlen, "%s: partition %llu/%llu given "
			    "twice", path, (unsigned long long)pi,
			    (unsigned long long)pn);
			return EXIT_DATAERR;
		}
	} else if (m->part_n) {
		snprintf(err, errlen, "%s: a whole run among partitions", path);
		return EXIT_DATAERR;
	}
	ps = json_object_get(o, "problems");
	for (i = 0; json_is_array(ps) && i < json_array_size(ps); i++) {
		p = json_array_get(ps, i);
		if (json_array_size(m->problems) < VERIFY_SHOW)
			json_array_append(m->problems, p);
		else
			m->hidden++;
	}
	if (u64_of(o, "problems_not_shown", &hidden) == 0)
		m->hidden += hidden;
	return 0;
}

/* One finished stream's object into the totals. */
static int
merge_stream(struct merge *m, json_t *o, const char *path, char *err,
    size_t errlen)
{
	const char *verdict = json_string_value(json_object_get(o, "verdict"));
	const char *sid = json_string_value(json_object_get(o, "streamid"));
	uint64_t v[8];
	static const char *const names[] = { "lines", "verified", "duplicates",
	    "bad", "equivocations", "missing_lines", "unproven_lines", "copies" };
	size_t i;

	if (verdict == NULL || sid == NULL) {
		snprintf(err, errlen, "%s: a stream without streamid or verdict",
		    path);
		return EXIT_DATAERR;
	}
	for (i = 0; i < 8; i++)
		if (u64_of(o, names[i], &v[i]) != 0) {
			snprintf(err, errlen, "%s: stream %.40s lacks %s", path,
			    sid, names[i]);
			return EXIT_DATAERR;
		}
	m->t.streams++;
	if (strcmp(verdict, "tampered") == 0)
		m->t.tampered++;
	else if (strcmp(verdict, "incomplete") == 0)
		m->t.incomplete++;
	else
		m->t.ok++;
	m->t.lines += v[0];
	m->t.verified += v[1];
	m->t.dups += v[2];
	m->t.bad += v[3];
	m->t.equiv += v[4];
	m->t.missing += v[5];
	m->t.unproven += v[6];
	(void)v[7];                     /* in the totals' copies already */
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers, by design */
		m->streams = xrealloc(m->streams, m->cap * sizeof(*m->streams));
	}
	json_incref(o);
	m->streams[m->n++] = o;
	return 0;
}

int
verify_report_merge(char *const *paths, size_t n, FILE *out, FILE *errf,
    char *err, size_t errlen)
{
	struct merge m;
	struct verify_loose loose = { 0 };
	char *line = NULL, msg[1200];
	size_t cap = 0, i;
	ssize_t len;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	m.problems = json_array();
	for (i = 0; i < n; i++) {
		FILE *f = strcmp(paths[i], "-") == 0 ? stdin :
		    fopen(paths[i], "r");
		int have_totals = 0;
		uint64_t lineno = 0;

		if (f == NULL)
			MERGE_FAIL(EXIT_NOINPUT, "cannot open %s: %s", paths[i],
			    strerror(errno));
		while ((len = getline(&line, &cap, f)) > 0) {
			json_error_t je;
			json_t *o = json_loadb(line, (size_t)len, 0, &je);
			const char *kind = json_string_value(
			    json_object_get(o, "report"));

			lineno++;
			if (o == NULL || kind == NULL || have_totals) {
				json_decref(o);
				if (f != stdin)
					fclose(f);
				MERGE_FAIL(EXIT_DATAERR, "%s line %llu: not a "
				    "line of a verify report%s", paths[i],
				    (unsigned long long)lineno, have_totals ?
				    " (after its totals)" : "");
			}
			if (strcmp(kind, "totals") == 0) {
				have_totals = 1;
				rc = merge_totals(&m, o, paths[i], err, errlen);
			} else {
				rc = merge_stream(&m, o, paths[i], err, errlen);
			}
			json_decref(o);
			if (rc != 0) {
				if (f != stdin)
					fclose(f);
				goto out;
			}
		}
		if (f != stdin)
			fclose(f);
		if (!have_totals)
			MERGE_FAIL(EXIT_DATAERR, "%s: no totals line: the report "
			    "is cut short", paths[i]);
	}
	for (i = 0; i < m.part_n; i++)
		if (!m.seen_part[i])
			MERGE_FAIL(EXIT_DATAERR, "no report of partition %zu/%llu",
			    i, (unsigned long long)m.part_n);
	if (m.n > 0)
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		qsort(m.streams, m.n, sizeof(*m.streams), stream_cmp);
	for (i = 0; i + 1 < m.n; i++)
		if (stream_cmp(&m.streams[i], &m.streams[i + 1]) == 0)
			MERGE_FAIL(EXIT_DATAERR, "stream %.40s is in two reports",
			    json_string_value(json_object_get(m.streams[i],
			    "streamid")));
	for (i = 0; i < m.n; i++)
		if (verify_report_write(out, m.streams[i]) != 0)
			MERGE_FAIL(EXIT_IOERR, "writing the report: %s",
			    strerror(errno));
	{
		json_t *t;
		size_t k;

		/* the loose problems as the single run keeps them */
		loose.nshown = json_array_size(m.problems);
		loose.shown = xmalloc((loose.nshown + 1) * sizeof(*loose.shown));
		for (k = 0; k < loose.nshown; k++) {
			json_t *p = json_array_get(m.problems, k);
			const char *s;
			uint64_t v;

			memset(&loose.shown[k], 0, sizeof(loose.shown[k]));
			if ((s = json_string_value(json_object_get(p, "file"))))
				snprintf(loose.shown[k].file,
				    sizeof(loose.shown[k].file), "%s", s);
			if (u64_of(p, "line", &v) == 0)
				loose.shown[k].line = v;
			if (u64_of(p, "sequence", &v) == 0)
				loose.shown[k].seq = v;
			if ((s = json_string_value(json_object_get(p,
			    "message"))))
				snprintf(loose.shown[k].msg,
				    sizeof(loose.shown[k].msg), "%s", s);
		}
		loose.hidden = m.hidden;
		t = verify_report_totals_json(&m.t, &loose);
		rc = verify_report_write(out, t);
		json_decref(t);
		if (rc != 0 || fflush(out) != 0)
			MERGE_FAIL(EXIT_IOERR, "writing the report: %s",
			    strerror(errno));
	}
	for (i = 0; i < m.n; i++) {
		json_t *o = m.streams[i];

		snprintf(msg, sizeof(msg), "verify: stream %s: %s",
		    json_string_value(json_object_get(o, "streamid")),
		    json_string_value(json_object_get(o, "verdict")));
		fprintf(errf, "%s\n", msg);
	}
	verify_report_summary(errf, &m.t);
	rc = verify_totals_exit(&m.t);
out:
	for (i = 0; i < m.n; i++)
		json_decref(m.streams[i]);
	free(m.streams);
	free(m.seen_part);
	free(loose.shown);
	json_decref(m.problems);
	free(line);
	return rc;
}
