/*
 * records.c - receiver records, checked (see records.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "records.h"
#include "utf8.h"
#include "util.h"

void
records_init(struct records *r, const struct intake_config *cfg,
    int listen_fd, uint64_t start_real, uint64_t now_mono)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->last_real = start_real;
	r->conns = xmalloc(cfg->max_connections * sizeof(*r->conns));
	memset(r->conns, 0, cfg->max_connections * sizeof(*r->conns));
	r->buf = xmalloc(RECORDS_BUF);
	r->lis_len = sizeof(r->lis_addr);
	if (getsockname(listen_fd, (struct sockaddr *)&r->lis_addr,
	    &r->lis_len) != 0)
		r->lis_len = 0;
	bucket_init(&r->log_bucket, RECORDS_LOG_RATE, RECORDS_LOG_BURST,
	    now_mono);
}

void
records_close_fds(struct records *r)
{
	while (r->nfds > 0)
		close(r->fds[--r->nfds]);
}

void
records_free(struct records *r)
{
	records_close_fds(r);
	free(r->conns);
	free(r->buf);
	r->conns = NULL;
	r->buf = NULL;
}

void
records_drain_asked(struct records *r)
{
	if (r->state == RECORDS_SERVING)
		r->state = RECORDS_DRAIN_ASKED;
}

#define BAD(...) do { \
	snprintf(r->error, sizeof(r->error), __VA_ARGS__); return -1; \
} while (0)

/* Times: never before the start or the last record, never ahead of now. */
static int
check_time(struct records *r, uint64_t real, uint64_t now_real)
{
	if (real < r->last_real || real > (now_real > r->last_real ?
	    now_real : r->last_real))
		BAD("record time goes back or is ahead of the clock");
	r->last_real = real;
	return 0;
}

static struct rx_conn *
find_open(struct records *r, uint64_t id)
{
	unsigned i;

	for (i = 0; i < r->cfg->max_connections; i++)
		if (r->conns[i].open && r->conns[i].id == id)
			return &r->conns[i];
	return NULL;
}

/*
 * The fd that came with an OPENED record: a connected stream socket whose
 * local address is our listener's (so one accepted from it), not one of
 * the connections already open; its peer's credentials, read by us.
 */
static int
check_conn_fd(struct records *r, int fd, struct rx_conn *c)
{
	struct sockaddr_un a;
	socklen_t alen = sizeof(a), ilen = sizeof(int), clen;
	struct ucred cred;
	struct stat st;
	int type = 0, listening = 1;
	unsigned i;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		BAD("connection %llu: the fd passed is not a socket",
		    (unsigned long long)c->id);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) != 0 ||
	    type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0 ||
	    listening)
		BAD("connection %llu: the fd passed is not a connected stream "
		    "socket", (unsigned long long)c->id);
	memset(&a, 0, sizeof(a));
	if (getsockname(fd, (struct sockaddr *)&a, &alen) != 0 ||
	    r->lis_len == 0 || alen != r->lis_len ||
	    memcmp(&a, &r->lis_addr, alen) != 0)
		BAD("connection %llu: the fd passed was not accepted from our "
		    "listener", (unsigned long long)c->id);
	for (i = 0; i < r->cfg->max_connections; i++)
		if (r->conns[i].open && r->conns[i].dev == st.st_dev &&
		    r->conns[i].ino == st.st_ino)
			BAD("connection %llu: the socket of open connection %llu "
			    "again", (unsigned long long)c->id,
			    (unsigned long long)r->conns[i].id);
	for (i = 0; i < RECORDS_CLOSED_RING && i < r->nclosed; i++)
		if (r->closed[i].dev == st.st_dev && r->closed[i].ino == st.st_ino)
			BAD("connection %llu: the socket of a connection closed "
			    "before", (unsigned long long)c->id);
	clen = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
		BAD("connection %llu: no peer credentials",
		    (unsigned long long)c->id);
	if (!intake_peer_admitted(r->cfg, cred.uid))
		BAD("connection %llu: peer uid %u is not admitted by --peer-uid",
		    (unsigned long long)c->id, (unsigned)cred.uid);
	c->peer_pid = cred.pid;
	c->peer_uid = cred.uid;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return 0;
}

static int
on_opened(struct records *r, const uint8_t *b, size_t blen, uint64_t now_real,
    struct rx_conn **out)
{
	struct rx_conn c, *slot = NULL;
	unsigned i;
	int fd, rc;

	if (blen != CHAN_OPENED_LEN)
		BAD("connection_opened record of %zu bytes", blen);
	memset(&c, 0, sizeof(c));
	c.id = chan_get_le(b, 8);
	if (c.id != r->last_conn + 1)
		BAD("connection %llu opened out of order (last opened %llu)",
		    (unsigned long long)c.id, (unsigned long long)r->last_conn);
	if (check_time(r, chan_get_le(b + 8, 8), now_real) != 0)
		return -1;
	for (i = 0; i < r->cfg->max_connections && slot == NULL; i++)
		if (!r->conns[i].open)
			slot = &r->conns[i];
	if (slot == NULL)
		BAD("connection %llu: more than --max-connections %u open",
		    (unsigned long long)c.id, r->cfg->max_connections);
	if (r->nfds == 0)
		BAD("connection %llu opened without its fd",
		    (unsigned long long)c.id);
	fd = r->fds[0];
	memmove(r->fds, r->fds + 1, (size_t)(r->nfds - 1) * sizeof(int));
	r->nfds--;
	rc = check_conn_fd(r, fd, &c);
	close(fd);
	if (rc != 0)
		return -1;
	c.open = 1;
	*slot = c;
	r->last_conn = c.id;
	*out = slot;
	return 0;
}

static int
get_frame(struct records *r, const uint8_t *p, size_t len,
    struct rx_conn **c, struct wire_frame *f, uint64_t *real,
    uint64_t now_real)
{
	size_t sl, cl;
	uint64_t id;

	if (len < CHAN_FRAME_FIXED)
		BAD("frame record of %zu bytes", len);
	memset(f, 0, sizeof(*f));
	id = chan_get_le(p, 8);
	*real = chan_get_le(p + 8, 8);
	f->guest_monotonic_ns = chan_get_le(p + 16, 8);
	f->guest_pid = (uint32_t)chan_get_le(p + 24, 4);
	f->content_version = (uint16_t)chan_get_le(p + 28, 2);
	f->is_heartbeat = p[30];
	sl = p[31];
	cl = p[32];
	if ((*c = find_open(r, id)) == NULL)
		BAD("frame on connection %llu, which is not open",
		    (unsigned long long)id);
	if (p[30] > 1 || sl == 0 || sl > WIRE_MAX_TEXT || cl > WIRE_MAX_TEXT ||
	    len != CHAN_FRAME_FIXED + sl + cl)
		BAD("frame record fields out of range");
	if (f->content_version >> 8 != WIRE_CONTENT_VERSION_MAJOR)
		BAD("frame record with content_version %#x", f->content_version);
	memcpy(f->probe_source, p + CHAN_FRAME_FIXED, sl);
	memcpy(f->guest_comm, p + CHAN_FRAME_FIXED + sl, cl);
	if (!utf8_valid((const uint8_t *)f->probe_source, sl) ||
	    !utf8_valid((const uint8_t *)f->guest_comm, cl))
		BAD("frame record text is not valid UTF-8");
	if (!wire_source_known(f->probe_source, sl, &r->cfg->sources))
		BAD("frame record with an unknown probe source");
	if ((strcmp(f->probe_source, "agent.heartbeat") == 0) != f->is_heartbeat)
		BAD("frame record heartbeat flag does not match its source");
	return check_time(r, *real, now_real);
}

static int
get_count(struct records *r, const uint8_t *p, uint32_t *count)
{
	*count = (uint32_t)chan_get_le(p, 4);
	if (*count == 0 || *count > CHAN_COUNT_MAX)
		BAD("count %u is more than one batch can carry", *count);
	return 0;
}

/* A receiver log line: tagged, every byte outside printable ASCII shown
 * as \xNN, at most RECORDS_LOG_RATE a second. */
static void
receiver_log(struct records *r, enum log_level lvl, const uint8_t *p,
    size_t n, uint64_t now_mono)
{
	char line[1024];
	size_t o, i;

	if (!log_enabled(lvl))
		return;
	if (!bucket_take(&r->log_bucket, now_mono)) {
		r->log_dropped++;
		return;
	}
	records_log_drops(r);
	o = (size_t)snprintf(line, sizeof(line), "origin=receiver ");
	for (i = 0; i < n && o + 5 < sizeof(line); i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			line[o++] = (char)p[i];
		else
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    "\\x%02x", p[i]);
	}
	log_line(lvl, line, o);
}

void
records_log_drops(struct records *r)
{
	if (r->log_dropped == 0)
		return;
	log_msg(LOG_WARN, "receiver log lines dropped (rate limit)",
	    "dropped=%llu", (unsigned long long)r->log_dropped);
	r->log_dropped = 0;
}

static int
on_bytes(struct records *r, const uint8_t *b, size_t blen)
{
	uint64_t v;

	if (blen != 8)
		BAD("byte count record of %zu bytes", blen);
	v = chan_get_le(b, 8);
	if (v < r->bytes_received || v - r->bytes_received > CHAN_BYTES_STEP_MAX)
		BAD("byte count goes back or jumps past a batch");
	r->bytes_received = v;
	return 0;
}

long
records_dispatch(struct records *r, const uint8_t *p, size_t n,
    const struct records_ops *ops, void *ctx, uint64_t now_real,
    uint64_t now_mono)
{
	size_t off = 0;

	while (n - off >= CHAN_HDR) {
		const uint8_t *q = p + off, *b = q + CHAN_HDR;
		size_t len = (size_t)chan_get_le(q + 2, 2), blen;
		unsigned type = q[0];
		struct wire_frame f;
		struct rx_conn *c;
		uint64_t real, v;
		uint32_t count;

		if (q[1] != 0 || len < CHAN_HDR || len > CHAN_RECORD_MAX ||
		    type == 0 || type >= CHAN_TYPE_END)
			BAD("record header type %u length %zu", type, len);
		if (n - off < len)
			break;
		blen = len - CHAN_HDR;
		if (r->state == RECORDS_DRAINED)
			BAD("record after the drain was complete");
		if ((r->state == RECORDS_STARTING) != (type == CHAN_HELLO) &&
		    type != CHAN_LOG)
			BAD(type == CHAN_HELLO ? "a second hello" :
			    "record before the hello");
		switch (type) {
		case CHAN_HELLO:
			if (blen != CHAN_HELLO_LEN || (b[0] & ~CHAN_CONF_ALL))
				BAD("bad hello record");
			r->hello_flags = b[0];
			r->hello_uid = (uint32_t)chan_get_le(b + 1, 4);
			r->hello_gid = (uint32_t)chan_get_le(b + 5, 4);
			r->state = RECORDS_SERVING;
			break;
		case CHAN_FRAME:
			if (get_frame(r, b, blen, &c, &f, &real, now_real) != 0)
				return -1;
			c->frames_accepted++;
			ops->frame(ctx, c, &f, real, now_mono);
			break;
		case CHAN_OPENED:
			if (on_opened(r, b, blen, now_real, &c) != 0)
				return -1;
			ops->opened(ctx, c, r->last_real);
			break;
		case CHAN_CLOSED:
			if (blen != CHAN_CLOSED_LEN || chan_close_reason(b[16]) == NULL)
				BAD("bad connection_closed record");
			v = chan_get_le(b, 8);
			if ((c = find_open(r, v)) == NULL)
				BAD("close of connection %llu, which is not open",
				    (unsigned long long)v);
			if (check_time(r, chan_get_le(b + 8, 8), now_real) != 0)
				return -1;
			c->open = 0;
			r->closed[r->nclosed++ % RECORDS_CLOSED_RING].dev = c->dev;
			r->closed[(r->nclosed - 1) % RECORDS_CLOSED_RING].ino = c->ino;
			ops->closed(ctx, c, chan_close_reason(b[16]), r->last_real);
			break;
		case CHAN_REJECTED: {
			char detail[CHAN_DETAIL_MAX + 1];
			size_t dl;

			if (blen < CHAN_REJECTED_FIXED || b[0] == WIRE_OK ||
			    b[0] >= WIRE_REASON_COUNT)
				BAD("bad rejection record");
			if (get_count(r, b + 1, &count) != 0)
				return -1;
			v = chan_get_le(b + 5, 8);
			dl = b[13];
			/* conn: the first rejected frame's, maybe closed since */
			if (blen != CHAN_REJECTED_FIXED + dl ||
			    dl > CHAN_DETAIL_MAX || v > r->last_conn)
				BAD("bad rejection record");
			memcpy(detail, b + CHAN_REJECTED_FIXED, dl);
			detail[dl] = '\0';
			if (!utf8_valid((const uint8_t *)detail, dl) ||
			    memchr(detail, '\0', dl) != NULL)
				BAD("rejection detail is not valid text");
			ops->rejected(ctx, (enum wire_reason)b[0], count, v, detail);
			break;
		}
		case CHAN_REFUSED:
			if (blen != 4)
				BAD("bad refusal record");
			if (get_count(r, b, &count) != 0)
				return -1;
			ops->refused(ctx, count);
			break;
		case CHAN_LOG:
			if (blen < 1 || b[0] > LOG_DEBUG)
				BAD("bad log record");
			receiver_log(r, (enum log_level)b[0], b + 1, blen - 1,
			    now_mono);
			break;
		case CHAN_BYTES:
			if (on_bytes(r, b, blen) != 0)
				return -1;
			break;
		case CHAN_DRAINED:
			/* a drain nobody asked for is not a clean end */
			if (r->state != RECORDS_DRAIN_ASKED)
				BAD("drained record, but no drain was asked for");
			if (on_bytes(r, b, blen) != 0)
				return -1;
			r->state = RECORDS_DRAINED;
			break;
		}
		r->records++;
		off += len;
		/* what follows HELLO waits until the monitor is ready for it
		 * (records_dispatch_held) */
		if (type == CHAN_HELLO)
			break;
	}
	return (long)off;
}

int
records_dispatch_held(struct records *r, const struct records_ops *ops,
    void *ctx)
{
	long used = records_dispatch(r, r->buf, r->have, ops, ctx, real_ns(),
	    mono_ns());

	if (used < 0)
		return -2;
	memmove(r->buf, r->buf + used, r->have - (size_t)used);
	r->have -= (size_t)used;
	/* an fd rides with its OPENED record, which ends the read it came
	 * in: one left over with no record pending is no connection's (a
	 * copy of the receiver's own channel end would keep EOF away) */
	if (r->nfds > 0 && r->have == 0) {
		snprintf(r->error, sizeof(r->error), "an fd that no opened "
		    "connection claims");
		return -2;
	}
	return 0;
}

int
records_read(struct records *r, int chan, const struct records_ops *ops,
    void *ctx)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { r->buf + r->have, RECORDS_BUF - r->have };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.space, .msg_controllen = sizeof(cm.space) };
	struct cmsghdr *h;
	ssize_t n;

	n = recvmsg(chan, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* fds first: what came with these bytes is ours to close either way */
	for (h = CMSG_FIRSTHDR(&m); n >= 0 && h != NULL; h = CMSG_NXTHDR(&m, h)) {
		size_t k, nf;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		nf = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nf; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + k * sizeof(int), sizeof(int));
			if (r->nfds < RECORDS_FDS_MAX)
				r->fds[r->nfds++] = fd;
			else
				close(fd);
		}
		if (r->nfds == RECORDS_FDS_MAX) {
			snprintf(r->error, sizeof(r->error), "more fds than "
			    "connections being opened");
			return -2;
		}
	}
	if (n > 0 && (m.msg_flags & MSG_CTRUNC)) {
		snprintf(r->error, sizeof(r->error), "more than one fd at once");
		return -2;
	}
	if (n <= 0)
		return -1;
	r->have += (size_t)n;
	/* the clock after the read: no record can be newer than that */
	return records_dispatch_held(r, ops, ctx) == 0 ? 1 : -2;
}
