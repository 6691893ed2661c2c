/*
 * probe_fc.c - host.fc_metrics: Firecracker's metrics, JSON lines written
 * about once a minute to the file or FIFO named by its metrics_path. One
 * event per complete line, the whole object as output.
 *
 * A FIFO is opened non-blocking for reading before readiness, together with
 * a spare write end of our own, so a writer closing it is not an end of file
 * (and poll does not spin on POLLHUP). A regular file is tailed every probe
 * interval. Lines longer than 64 KiB or not JSON are reported, not fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "jcs.h"
#include "probe.h"
#include "util.h"

#define FC_LINE_MAX ((size_t)64 * 1024)

struct fc_state {
	int fd;
	int spare_wr;           /* FIFO only: keeps a writer present */
	int is_fifo;
	int skipping;           /* inside an overlong line: drop to newline */
	char *line;             /* FC_LINE_MAX + 1 */
	size_t len;
	struct buf exact;       /* the line with big integers quoted */
};

static void
fc_report_error(struct probe *p, const char *err)
{
	json_t *inputs = json_object();

	json_object_set_new(inputs, "path", json_string(p->cfg->fc_metrics));
	probe_report(p, inputs, NULL, err);
}

/* Open the path; 0, or -1 (reported when report is set). */
static int
fc_open(struct probe *p, int report)
{
	struct fc_state *s = p->state;
	struct stat st;
	char err[512];

	s->fd = open(p->cfg->fc_metrics, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st) != 0) {
		snprintf(err, sizeof(err), "cannot open %.400s: %s",
		    p->cfg->fc_metrics, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		if (report)
			fc_report_error(p, err);
		return -1;
	}
	s->is_fifo = S_ISFIFO(st.st_mode);
	if (s->is_fifo) {
		s->spare_wr = open(p->cfg->fc_metrics, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		p->fd = s->fd;
		p->events = POLLIN;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, sizeof(err), "%.400s is neither a FIFO nor a "
		    "regular file", p->cfg->fc_metrics);
		close(s->fd);
		s->fd = -1;
		if (report)
			fc_report_error(p, err);
		return -1;
	}
	return 0;
}

static void
fc_line(struct probe *p, const char *line, size_t n)
{
	struct fc_state *s = p->state;
	json_t *inputs, *v;
	json_error_t je;
	char err[256];

	if (n == 0)
		return;
	/* u64 counters past 2^63-1 stay exact, as decimal strings */
	if (jcs_quote_big_ints(line, n, &s->exact) == 0)
		v = json_loadb(s->exact.p, s->exact.len, JSON_REJECT_DUPLICATES, &je);
	else
		v = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL || !json_is_object(v)) {
		snprintf(err, sizeof(err), "line is not a JSON object: %s",
		    v ? "another JSON value" : je.text);
		json_decref(v);
		fc_report_error(p, err);
		return;
	}
	jcs_make_safe(v);
	inputs = json_object();
	json_object_set_new(inputs, "path", json_string(p->cfg->fc_metrics));
	probe_report(p, inputs, v, NULL);
}

/* Read what is there and emit every complete line. */
static void
fc_drain(struct probe *p)
{
	struct fc_state *s = p->state;
	char chunk[16384];
	ssize_t n;
	int rounds = 0;

	/* bounded per wake-up so a fast writer cannot starve guest frames */
	while (rounds++ < 64 && (n = read(s->fd, chunk, sizeof(chunk))) > 0) {
		size_t i, start = 0;

		for (i = 0; i < (size_t)n; i++) {
			if (chunk[i] != '\n')
				continue;
			if (s->skipping) {
				s->skipping = 0;
			} else if (s->len + (i - start) <= FC_LINE_MAX) {
				memcpy(s->line + s->len, chunk + start, i - start);
				s->len += i - start;
				fc_line(p, s->line, s->len);
			}
			s->len = 0;
			start = i + 1;
		}
		if (start < (size_t)n && !s->skipping) {
			size_t rest = (size_t)n - start;

			if (s->len + rest > FC_LINE_MAX) {
				s->skipping = 1;
				s->len = 0;
				fc_report_error(p, "line longer than 65536 bytes; skipped");
			} else {
				memcpy(s->line + s->len, chunk + start, rest);
				s->len += rest;
			}
		}
	}
}

static void
fc_due(struct probe *p, uint64_t now)
{
	struct fc_state *s = p->state;

	p->next_ns = 0;
	if (s->fd < 0 && fc_open(p, 1) != 0) {
		/* retry the open each interval until the path appears */
		p->next_ns = probe_next(p, now);
		return;
	}
	if (!s->is_fifo) {
		fc_drain(p);
		p->next_ns = probe_next(p, now);
	}
}

static void
fc_ready(struct probe *p, short revents, uint64_t now)
{
	(void)revents;
	(void)now;
	fc_drain(p);
}

static void
fc_close(struct probe *p)
{
	struct fc_state *s = p->state;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->spare_wr >= 0)
		close(s->spare_wr);
	free(s->line);
	buf_free(&s->exact);
	free(s);
	p->state = NULL;
	p->fd = -1;
}

static void
fc_setup(struct probe *p)
{
	struct fc_state *s = xmalloc(sizeof(*s));

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->spare_wr = -1;
	s->line = xmalloc(FC_LINE_MAX + 1);
	/* each quoted integer adds two bytes; a line has at most half as
	 * many integers as bytes */
	buf_init(&s->exact, 4096, 2 * FC_LINE_MAX + 2);
	p->state = s;
	p->every_error = 1;
	/* open now, before readiness, so Firecracker can open the write end;
	 * a failure is retried and reported at the first reading, after the
	 * started event */
	if (fc_open(p, 0) == 0 && s->is_fifo)
		p->next_ns = 0;
}

static int
fc_wanted(const struct probe_config *c)
{
	return c->fc_metrics != NULL;
}

const struct probe_ops probe_fc_ops = {
	.name = "fc_metrics",
	.source = "host.fc_metrics",
	.wanted = fc_wanted,
	.open = fc_setup,
	.due = fc_due,
	.ready = fc_ready,
	.close = fc_close,
};
