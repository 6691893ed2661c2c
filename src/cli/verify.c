/*
 * verify.c - one run of `verify` (see verify.h): index every input, then
 * each stream in sequence order (on --jobs threads; streams are
 * independent), then the outputs: the summary, the JSON report, and the
 * --output file renamed into place only when everything verified.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "verify.h"
#include "verify_input.h"
#include "verify_line.h"
#include "verify_report.h"
#include "verify_state.h"

void
verify_config_init(struct verify_config *c)
{
	memset(c, 0, sizeof(*c));
	c->jobs = 1;
	c->pending_max = VERIFY_PENDING_MAX;
}

struct run {
	struct verify_config *c;
	struct verify_opts o;
	struct verify_index ix;
	struct verify_stream *st;
	struct verify_state state;
	struct verify_loose loose;
	pthread_mutex_t lock;
	size_t next;
	FILE *print_to;
	int read_failed, state_failed;
};

static void
say(void *ctx, const char *msg)
{
	struct run *r = ctx;

	pthread_mutex_lock(&r->lock);
	fprintf(stderr, "verify: %s\n", msg);
	pthread_mutex_unlock(&r->lock);
}

static void
emit(void *ctx, const char *p, size_t n)
{
	struct run *r = ctx;

	/* whole lines (or whole sealed runs of them) under the lock: the
	 * lines of two streams never tear into each other */
	pthread_mutex_lock(&r->lock);
	fwrite(p, 1, n, r->print_to);
	pthread_mutex_unlock(&r->lock);
}

/* A line no stream owns (pass 1, one thread). */
static void
loose_bad(void *ctx, const char *file, uint64_t lineno, const char *why)
{
	struct run *r = ctx;
	struct verify_problem *p;
	char msg[1200];

	if (r->loose.nshown == VERIFY_SHOW) {
		r->loose.hidden++;
		return;
	}
	if (r->loose.shown == NULL)
		r->loose.shown = xmalloc(VERIFY_SHOW * sizeof(*p));
	p = &r->loose.shown[r->loose.nshown++];
	memset(p, 0, sizeof(*p));
	if (r->o.name_files)
		verify_escape(file, strlen(file), p->file, sizeof(p->file));
	p->line = lineno;
	verify_escape(why, strlen(why), p->msg, sizeof(p->msg));
	if (p->file[0])
		snprintf(msg, sizeof(msg), "%s line %llu: %s", p->file,
		    (unsigned long long)lineno, p->msg);
	else
		snprintf(msg, sizeof(msg), "line %llu: %s",
		    (unsigned long long)lineno, p->msg);
	say(r, msg);
}

static void
run_stream(struct run *r, struct verify_scratch *s, size_t i)
{
	struct verify_stream *st = &r->st[i];
	struct verify_merge m;
	struct verify_copy *cp = NULL;
	size_t cap = 0, k;
	char line[2048];
	int n;

	verify_stream_init(st, r->ix.streams[i].id, &r->o);
	if (verify_state_resume(&r->state, i, st, line, sizeof(line)) != 0) {
		say(r, line);
		__atomic_store_n(&r->state_failed, 1, __ATOMIC_RELAXED);
	}
	verify_merge_init(&m, &r->ix, i);
	while ((n = verify_merge_next(&m)) > 0) {
		if ((size_t)n > cap) {
			cap = (size_t)n * 2;
			cp = xrealloc(cp, cap * sizeof(*cp));
		}
		for (k = 0; k < (size_t)n; k++) {
			const struct verify_reader *rd = m.group[k];

			cp[k].line = rd->line;
			cp[k].len = rd->len;
			cp[k].file = verify_reader_file(&r->ix, rd);
			cp[k].lineno = rd->lineno;
		}
		verify_stream_seq(st, s, m.group[0]->seq, cp, (size_t)n);
	}
	if (n < 0) {
		snprintf(line, sizeof(line), "stream %s: a read error, or a file "
		    "shorter than when it was indexed", st->id);
		say(r, line);
		__atomic_store_n(&r->read_failed, 1, __ATOMIC_RELAXED);
	}
	verify_merge_free(&m);
	free(cp);
	verify_stream_finish(st, s);
	verify_report_stream_line(st, line, sizeof(line));
	say(r, line);
	if (verify_state_keep(&r->state, i, st) != 0) {
		say(r, "--state: cannot keep a stream's cursor (out of space?)");
		__atomic_store_n(&r->state_failed, 1, __ATOMIC_RELAXED);
	}
	/* what --print held is gone; the counts stay for the report */
	buf_free(&st->cur.pend);
}

struct worker {
	struct run *r;
	pthread_t t;
};

static void *
work(void *arg)
{
	struct run *r = ((struct worker *)arg)->r;
	struct verify_scratch *s = xmalloc(sizeof(*s));
	size_t i;

	verify_scratch_init(s);
	while ((i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED)) <
	    r->ix.nstreams)
		run_stream(r, s, i);
	verify_scratch_free(s);
	free(s);
	return NULL;
}

static void
run_all(struct run *r)
{
	struct worker w[VERIFY_MAX_JOBS];
	size_t n = r->c->jobs, i;

	if (n > r->ix.nstreams)
		n = r->ix.nstreams;
	if (n <= 1) {
		w[0].r = r;
		work(&w[0]);
		return;
	}
	for (i = 0; i < n; i++) {
		w[i].r = r;
		if (pthread_create(&w[i].t, NULL, work, &w[i]) != 0)
			die(EXIT_OSERR, "cannot start a thread: %s",
			    strerror(errno));
	}
	for (i = 0; i < n; i++)
		pthread_join(w[i].t, NULL);
}

static const struct run *sort_run;

static int
by_id(const void *a, const void *b)
{
	return strcmp(sort_run->st[*(const size_t *)a].id,
	    sort_run->st[*(const size_t *)b].id);
}

/* FILE.XXXXXX beside path, for a rename into place. */
static FILE *
temp_beside(const char *path, char *tmp, size_t cap)
{
	int fd;
	FILE *f;

	snprintf(tmp, cap, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0)
		die(EXIT_OSERR, "cannot create %s: %s", tmp, strerror(errno));
	if ((f = fdopen(fd, "w")) == NULL)
		die(EXIT_OSERR, "fdopen %s: %s", tmp, strerror(errno));
	return f;
}

/* Close f, written to tmp; rename it to path when keep, else remove it.
 * 0, or -1 (a write error: tmp removed). */
static int
settle(FILE *f, const char *tmp, const char *path, int keep)
{
	int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;

	bad |= fclose(f) != 0;
	if (bad || !keep) {
		unlink(tmp);
		return bad ? -1 : 0;
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
write_report(struct run *r, const struct verify_totals *t)
{
	size_t *order = xmalloc((r->ix.nstreams + 1) * sizeof(*order)), i;
	char tmp[4200];
	FILE *f;
	json_t *o;
	int rc = 0, to_stdout = strcmp(r->c->report, "-") == 0;

	f = to_stdout ? stdout : temp_beside(r->c->report, tmp, sizeof(tmp));
	for (i = 0; i < r->ix.nstreams; i++)
		order[i] = i;
	sort_run = r;
	qsort(order, r->ix.nstreams, sizeof(*order), by_id);
	for (i = 0; i < r->ix.nstreams && rc == 0; i++) {
		o = verify_report_stream_json(&r->st[order[i]]);
		rc = verify_report_write(f, o);
		json_decref(o);
	}
	o = verify_report_totals_json(t, &r->loose);
	if (rc == 0)
		rc = verify_report_write(f, o);
	json_decref(o);
	free(order);
	if (to_stdout)
		return rc == 0 && fflush(stdout) == 0 ? 0 : -1;
	return rc == 0 ? settle(f, tmp, r->c->report, 1) : (settle(f, tmp,
	    r->c->report, 0), -1);
}

int
verify_run(struct verify_config *c, char *const *files, size_t n)
{
	static char *const dash[] = { "-" };
	struct verify_totals t;
	struct run r;
	char err[600], tmp[4200];
	size_t i;
	int rc, code;

	memset(&r, 0, sizeof(r));
	r.c = c;
	pthread_mutex_init(&r.lock, NULL);
	if (n == 0) {
		files = dash;
		n = 1;
	}
	r.o.keys = &c->keys;
	r.o.partial = c->partial;
	r.o.expect_cell = c->expect_cell;
	r.o.expect_run = c->expect_run;
	r.o.expect_stream = c->expect_stream;
	r.o.print = c->print || c->output != NULL;
	r.o.pending_max = c->pending_max;
	r.o.name_files = n > 1;
	r.o.keep = c->state != NULL;
	r.o.emit = emit;
	r.o.emit_ctx = &r;
	r.o.say = say;
	r.o.say_ctx = &r;
	if ((rc = verify_state_load(&r.state, c->state, &c->keys, c->partial,
	    err, sizeof(err))) != 0)
		die(rc, "%s", err);
	verify_index_init(&r.ix, c->part_i, c->part_n, loose_bad, &r);
	for (i = 0; i < n; i++)
		if ((rc = verify_index_open(&r.ix, files[i], err,
		    sizeof(err))) != 0)
			die(rc, "%s", err);
	if ((rc = verify_index_build(&r.ix, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	if (r.loose.hidden > 0) {
		snprintf(err, sizeof(err), "%llu more line(s) no stream owns, "
		    "not shown", (unsigned long long)r.loose.hidden);
		say(&r, err);
	}
	verify_state_streams(&r.state, &r.ix);
	if (c->single_stream && c->expect_stream == NULL && r.ix.nstreams > 0)
		r.o.expect_stream = r.ix.streams[0].id;
	r.print_to = stdout;
	if (c->output != NULL)
		r.print_to = temp_beside(c->output, tmp, sizeof(tmp));
	r.st = xmalloc((r.ix.nstreams + 1) * sizeof(*r.st));
	run_all(&r);

	memset(&t, 0, sizeof(t));
	t.partial = c->partial;
	t.part_i = c->part_i;
	t.part_n = c->part_n;
	t.unowned = r.ix.unowned;
	for (i = 0; i < r.ix.nstreams; i++)
		verify_totals_add(&t, &r.st[i]);
	verify_report_summary(stderr, &t);
	code = verify_totals_exit(&t);
	if (r.read_failed)
		code = EXIT_IOERR;
	if (r.state_failed) {
		fprintf(stderr, "verify: --state %s not updated\n", c->state);
		code = EXIT_DATAERR;
	} else if (verify_state_save(&r.state, err, sizeof(err)) != 0) {
		fprintf(stderr, "verify: %s\n", err);
		code = EXIT_IOERR;
	}
	if (c->report != NULL && write_report(&r, &t) != 0) {
		fprintf(stderr, "verify: writing the report %s: %s\n",
		    c->report, strerror(errno));
		code = EXIT_IOERR;
	}
	if (c->output != NULL) {
		if (settle(r.print_to, tmp, c->output, code == 0) != 0) {
			fprintf(stderr, "verify: writing %s: %s\n", c->output,
			    strerror(errno));
			code = EXIT_IOERR;
		} else if (code != 0) {
			fprintf(stderr, "verify: %s not written: not everything "
			    "verified\n", c->output);
		}
	} else if (r.o.print && (fflush(stdout) != 0 || ferror(stdout))) {
		fprintf(stderr, "verify: writing stdout: %s\n", strerror(errno));
		code = EXIT_IOERR;
	}
	for (i = 0; i < r.ix.nstreams; i++)
		verify_stream_free(&r.st[i]);
	free(r.st);
	free(r.loose.shown);
	verify_state_free(&r.state);
	verify_index_free(&r.ix);
	pthread_mutex_destroy(&r.lock);
	return code;
}
