/*
 * channel.c - receiver -> monitor records (see include/channel.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "utf8.h"

static const char *const close_reasons[] = {
	"eof", "read_error", "framing_error", "frame_timeout", "shutdown",
};
#define NCLOSE (sizeof(close_reasons) / sizeof(close_reasons[0]))

const char *
chan_close_reason(unsigned code)
{
	return code < NCLOSE ? close_reasons[code] : NULL;
}

static unsigned
close_code(const char *reason)
{
	unsigned i;

	for (i = 0; i < NCLOSE; i++)
		if (strcmp(close_reasons[i], reason) == 0)
			return i;
	return NCLOSE;          /* never sent: the monitor would refuse it */
}

/* ---- little-endian fields ---- */

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- writer ---- */

void
chan_writer_init(struct chan_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->flush_fd = -1;
	buf_init(&w->out, 16384, max);
}

void
chan_write_all(struct chan_writer *w)
{
	struct pollfd p = { .fd = w->flush_fd, .events = POLLOUT };
	size_t off = 0;

	while (off < w->out.len) {
		ssize_t n = write(w->flush_fd, w->out.p + off, w->out.len - off);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EINTR))
			poll(&p, 1, -1);
		else
			_exit(0);       /* the monitor is gone */
	}
	w->out.len = 0;
}

/* Start a record of len bytes in w->rec; rec_end() appends it. */
static uint8_t *
rec_begin(struct chan_writer *w, enum chan_type type, size_t len)
{
	memset(w->rec, 0, len);
	w->rec[0] = (uint8_t)type;
	put_le(w->rec + 2, len, 2);
	w->rec_len = len;
	return w->rec + CHAN_HDR;
}

/* The receiver reads guests only while the batch has room for the worst
 * case, so a full batch is a broken invariant: counted, and fatal there. */
static void
rec_end(struct chan_writer *w)
{
	if (w->out.len + w->rec_len > w->out.max && w->flush_fd >= 0)
		chan_write_all(w);
	if (buf_add(&w->out, w->rec, w->rec_len) != 0)
		w->overflow++;
}

/* The wall clock may step back; what we report never does. */
static uint64_t
report_time(struct chan_writer *w, uint64_t real)
{
	if (real < w->last_real)
		real = w->last_real;
	w->last_real = real;
	return real;
}

static void
put_conn_fields(struct chan_writer *w, uint8_t *p, const struct conn *c)
{
	put_le(p, c->id, 8);
	put_le(p + 8, (uint64_t)(uint32_t)c->peer_pid, 4);
	put_le(p + 12, (uint32_t)c->peer_uid, 4);
	p[16] = (uint8_t)(c->have_cred != 0);
	put_le(p + 17, report_time(w, real_ns()), 8);
}

static void
w_opened(void *ctx, const struct conn *c, uint64_t now)
{
	uint8_t *p = rec_begin(ctx, CHAN_OPENED, CHAN_HDR + 25);

	(void)now;
	put_conn_fields(ctx, p, c);
	rec_end(ctx);
}

static void
w_closed(void *ctx, const struct conn *c, const char *reason, uint64_t now)
{
	uint8_t *p = rec_begin(ctx, CHAN_CLOSED, CHAN_HDR + 34);

	(void)now;
	put_conn_fields(ctx, p, c);
	p[25] = (uint8_t)close_code(reason);
	put_le(p + 26, c->frames_accepted, 8);
	rec_end(ctx);
}

static void
w_frame(void *ctx, struct conn *c, const struct wire_frame *f, uint64_t real,
    uint64_t now)
{
	struct chan_writer *w = ctx;
	size_t sl = strlen(f->probe_source), cl = strlen(f->guest_comm);
	uint8_t *p = rec_begin(w, CHAN_FRAME, CHAN_HDR + 35 + sl + cl);

	(void)now;
	real = report_time(w, real);
	put_le(p, c->id, 8);
	put_le(p + 8, real, 8);
	put_le(p + 16, f->guest_monotonic_ns, 8);
	put_le(p + 24, f->guest_pid, 4);
	put_le(p + 28, f->content_version, 2);
	p[30] = (uint8_t)(f->is_heartbeat != 0);
	p[31] = (uint8_t)sl;
	p[32] = (uint8_t)cl;
	memcpy(p + 35, f->probe_source, sl);
	memcpy(p + 35 + sl, f->guest_comm, cl);
	rec_end(w);
}

static void
w_rejected(void *ctx, enum wire_reason why, uint64_t conn, const char *detail)
{
	struct chan_writer *w = ctx;

	if (w->rej_count[why]++ == 0) {
		w->rej_order[w->nrej_order++] = (uint8_t)why;
		w->rej_conn[why] = conn;
		snprintf(w->rej_detail[why], sizeof(w->rej_detail[why]), "%s",
		    detail);
	}
}

static void
w_refused(void *ctx)
{
	struct chan_writer *w = ctx;

	w->refused++;
}

const struct intake_ops chan_writer_ops = {
	.opened = w_opened,
	.closed = w_closed,
	.frame = w_frame,
	.rejected = w_rejected,
	.refused = w_refused,
};

void
chan_flush_rejections(struct chan_writer *w)
{
	int k;

	for (k = 0; k < w->nrej_order; k++) {
		int i = w->rej_order[k];

		while (w->rej_count[i] > 0) {
			uint32_t n = w->rej_count[i] > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)w->rej_count[i];
			size_t dl = strlen(w->rej_detail[i]);
			uint8_t *p = rec_begin(w, CHAN_REJECTED, CHAN_HDR + 14 + dl);

			p[0] = (uint8_t)i;
			put_le(p + 1, n, 4);
			put_le(p + 5, w->rej_conn[i], 8);
			p[13] = (uint8_t)dl;
			memcpy(p + 14, w->rej_detail[i], dl);
			rec_end(w);
			w->rej_count[i] -= n;
		}
	}
	while (w->refused > 0) {
		uint32_t n = w->refused > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)w->refused;
		uint8_t *p = rec_begin(w, CHAN_REFUSED, CHAN_HDR + 4);

		put_le(p, n, 4);
		rec_end(w);
		w->refused -= n;
	}
	w->nrej_order = 0;
}

void
chan_put_bytes(struct chan_writer *w, enum chan_type type,
    uint64_t bytes_received)
{
	uint8_t *p = rec_begin(w, type, CHAN_HDR + 8);

	put_le(p, bytes_received, 8);
	rec_end(w);
}

void
chan_put_log(struct chan_writer *w, int level, const char *line, size_t n)
{
	uint8_t *p;

	if (n > CHAN_RECORD_MAX - CHAN_HDR - 1)
		n = CHAN_RECORD_MAX - CHAN_HDR - 1;
	p = rec_begin(w, CHAN_LOG, CHAN_HDR + 1 + n);
	p[0] = (uint8_t)level;
	memcpy(p + 1, line, n);
	rec_end(w);
}

/* ---- reader ---- */

void
chan_reader_init(struct chan_reader *r)
{
	memset(r, 0, sizeof(*r));
}

#define BAD(...) do { \
	snprintf(r->error, sizeof(r->error), __VA_ARGS__); return -1; \
} while (0)

/* The fields OPENED and CLOSED share; checks the connection number. */
/* Times: never back, never ahead of the monitor's clock. */
static int
check_time(struct chan_reader *r, uint64_t real, uint64_t now_real)
{
	if (real < r->last_real || real > (now_real > r->last_real ?
	    now_real : r->last_real))
		BAD("record time goes back or is ahead of the clock");
	r->last_real = real;
	return 0;
}

static int
get_conn(struct chan_reader *r, const uint8_t *p, struct conn *c, int opening,
    uint64_t now_real)
{
	memset(c, 0, sizeof(*c));
	c->id = get_le(p, 8);
	c->peer_pid = (pid_t)(int32_t)(uint32_t)get_le(p + 8, 4);
	c->peer_uid = (uid_t)get_le(p + 12, 4);
	c->have_cred = p[16];
	c->event_real = get_le(p + 17, 8);
	if (check_time(r, c->event_real, now_real) != 0)
		return -1;
	if (p[16] > 1)
		BAD("connection %llu: credential flag %u", (unsigned long long)c->id,
		    p[16]);
	if (opening ? c->id != r->last_conn + 1 : c->id == 0 ||
	    c->id > r->last_conn)
		BAD("connection %llu out of order (last opened %llu)",
		    (unsigned long long)c->id, (unsigned long long)r->last_conn);
	return 0;
}

static int
get_frame(struct chan_reader *r, const uint8_t *p, size_t len,
    const struct wire_sources *sources, struct conn *c,
    struct wire_frame *f, uint64_t *real, uint64_t now_real)
{
	size_t sl, cl;

	if (len < 35)
		BAD("frame record of %zu bytes", len);
	memset(c, 0, sizeof(*c));
	memset(f, 0, sizeof(*f));
	c->id = get_le(p, 8);
	*real = get_le(p + 8, 8);
	f->guest_monotonic_ns = get_le(p + 16, 8);
	f->guest_pid = (uint32_t)get_le(p + 24, 4);
	f->content_version = (uint16_t)get_le(p + 28, 2);
	f->is_heartbeat = p[30];
	sl = p[31];
	cl = p[32];
	if (c->id == 0 || c->id > r->last_conn)
		BAD("frame on connection %llu, never opened",
		    (unsigned long long)c->id);
	if (p[30] > 1 || sl == 0 || sl > WIRE_MAX_TEXT || cl > WIRE_MAX_TEXT ||
	    len != 35 + sl + cl)
		BAD("frame record fields out of range");
	if (f->content_version >> 8 != WIRE_CONTENT_VERSION_MAJOR)
		BAD("frame record with content_version %#x", f->content_version);
	memcpy(f->probe_source, p + 35, sl);
	memcpy(f->guest_comm, p + 35 + sl, cl);
	if (!utf8_valid((const uint8_t *)f->probe_source, sl) ||
	    !utf8_valid((const uint8_t *)f->guest_comm, cl))
		BAD("frame record text is not valid UTF-8");
	if (!wire_source_known(f->probe_source, sl, sources))
		BAD("frame record with an unknown probe source");
	if ((strcmp(f->probe_source, "agent.heartbeat") == 0) != f->is_heartbeat)
		BAD("frame record heartbeat flag does not match its source");
	return check_time(r, *real, now_real);
}

long
chan_dispatch(struct chan_reader *r, const uint8_t *p, size_t n,
    const struct wire_sources *sources, const struct intake_ops *ops,
    void *ctx, uint64_t now_real, uint64_t now_mono)
{
	size_t off = 0;

	while (n - off >= CHAN_HDR) {
		const uint8_t *q = p + off, *b = q + CHAN_HDR;
		size_t len = (size_t)get_le(q + 2, 2), blen;
		unsigned type = q[0];
		struct wire_frame f;
		struct conn c;
		uint64_t real, v;
		uint32_t count;

		if (q[1] != 0 || len < CHAN_HDR || len > CHAN_RECORD_MAX ||
		    type == 0 || type >= CHAN_TYPE_END)
			BAD("record header type %u length %zu", type, len);
		if (n - off < len)
			break;
		blen = len - CHAN_HDR;
		if (r->drained)
			BAD("record after the drain was complete");
		switch (type) {
		case CHAN_FRAME:
			if (get_frame(r, b, blen, sources, &c, &f, &real,
			    now_real) != 0)
				return -1;
			ops->frame(ctx, &c, &f, real, now_mono);
			break;
		case CHAN_OPENED:
			if (blen != 25)
				BAD("connection_opened record of %zu bytes", blen);
			if (get_conn(r, b, &c, 1, now_real) != 0)
				return -1;
			r->last_conn = c.id;
			ops->opened(ctx, &c, now_mono);
			break;
		case CHAN_CLOSED:
			if (blen != 34 || chan_close_reason(b[25]) == NULL)
				BAD("bad connection_closed record");
			if (get_conn(r, b, &c, 0, now_real) != 0)
				return -1;
			c.frames_accepted = get_le(b + 26, 8);
			ops->closed(ctx, &c, chan_close_reason(b[25]), now_mono);
			break;
		case CHAN_REJECTED: {
			char detail[96];
			size_t dl;

			if (blen < 14 || b[0] == WIRE_OK || b[0] >= WIRE_REASON_COUNT)
				BAD("bad rejection record");
			count = (uint32_t)get_le(b + 1, 4);
			v = get_le(b + 5, 8);
			dl = b[13];
			if (count == 0 || blen != 14 + dl || dl >= sizeof(detail) ||
			    v > r->last_conn)
				BAD("bad rejection record");
			memcpy(detail, b + 14, dl);
			detail[dl] = '\0';
			if (!utf8_valid((const uint8_t *)detail, dl))
				BAD("rejection detail is not valid UTF-8");
			while (count-- > 0)
				ops->rejected(ctx, (enum wire_reason)b[0], v, detail);
			break;
		}
		case CHAN_REFUSED:
			if (blen != 4 || (count = (uint32_t)get_le(b, 4)) == 0)
				BAD("bad refusal record");
			while (count-- > 0)
				ops->refused(ctx);
			break;
		case CHAN_LOG: {
			size_t i;

			/* never raw bytes of a compromised receiver on stderr */
			if (blen < 2 || b[0] > LOG_DEBUG)
				BAD("bad log record");
			for (i = 1; i < blen; i++)
				if (b[i] < 0x20 || b[i] > 0x7e)
					BAD("log record with a byte outside printable ASCII");
			log_line((enum log_level)b[0], (const char *)b + 1, blen - 1);
			break;
		}
		case CHAN_BYTES:
		case CHAN_DRAINED:
			if (blen != 8 || (v = get_le(b, 8)) < r->bytes_received)
				BAD("bad byte count record");
			r->bytes_received = v;
			r->drained = type == CHAN_DRAINED;
			break;
		}
		r->records++;
		off += len;
	}
	return (long)off;
}
