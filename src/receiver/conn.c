/*
 * conn.c - intake: accept, admit, read, reassemble, decode (see
 * conn.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "util.h"

#define MS 1000000ull
#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_NS (100 * MS)
#define ACCEPT_LOG_EVERY_NS (10000 * MS)

void
intake_init(struct intake *in, const struct intake_config *cfg, int listen_fd,
    const struct intake_ops *ops, void *ctx, uint64_t now)
{
	size_t i;

	memset(in, 0, sizeof(*in));
	in->cfg = cfg;
	in->ops = ops;
	in->ctx = ctx;
	in->listen_fd = listen_fd;
	in->nconns = cfg->max_connections;
	in->conns = xmalloc(in->nconns * sizeof(*in->conns));
	for (i = 0; i < in->nconns; i++)
		in->conns[i].fd = -1;
	in->rbuf = xmalloc(INTAKE_READ_CHUNK);
	/* a spare fd, given up when the table is full so that what waits in
	 * the backlog can still be accepted and refused (and counted) */
	in->reserve_fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 3);
	bucket_init(&in->guest_bucket, cfg->rate_limit, cfg->rate_burst, now);
}

static void
conn_close(struct intake *in, struct conn *c, const char *reason, uint64_t now)
{
	in->ops->closed(in->ctx, c, reason, now);
	close(c->fd);
	c->fd = -1;
	wire_reasm_free(&c->reasm);
}

int
intake_listen_fd(const struct intake *in, uint64_t now)
{
	return in->accept_pause_until > now ? -1 : in->listen_fd;
}

static struct conn *
free_slot(struct intake *in)
{
	size_t k;

	for (k = 0; k < in->nconns; k++)
		if (in->conns[k].fd < 0)
			return &in->conns[k];
	return NULL;
}

/* Out of fds: free the spare, accept and refuse what is pending (so it is
 * counted), then take the spare back. */
static void
refuse_pending(struct intake *in)
{
	int fd, i;

	if (in->reserve_fd < 0)
		return;
	close(in->reserve_fd);
	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(in->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			break;
		close(fd);
		in->ops->refused(in->ctx);
	}
	in->reserve_fd = fcntl(in->listen_fd, F_DUPFD_CLOEXEC, 3);
}

/* accept() failed with errno: pause accepts for a moment rather than spin
 * on a listener that stays readable; one log line per 10 s at most. */
static void
accept_failed(struct intake *in, uint64_t now)
{
	int e = errno;

	if (e == EMFILE || e == ENFILE)
		refuse_pending(in);
	in->accept_pause_until = now + ACCEPT_PAUSE_NS;
	in->accept_failures++;
	if (now >= in->accept_log_next) {
		char q[96];

		log_msg(LOG_WARN, "accept failing; pausing accepts", "error=%s "
		    "failures=%llu", log_quote(strerror(e), q, sizeof(q)),
		    (unsigned long long)in->accept_failures);
		in->accept_failures = 0;
		in->accept_log_next = now + ACCEPT_LOG_EVERY_NS;
	}
}

void
intake_accept(struct intake *in, uint64_t now)
{
	int i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct conn *slot;
		int fd, have_cred;

		fd = accept4(in->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* that one peer went away before we took it */
			if (errno == ECONNABORTED)
				continue;
			accept_failed(in, now);
			return;
		}
		memset(&cred, 0, sizeof(cred));
		have_cred = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
		    &len) == 0;
		slot = free_slot(in);
		if (slot == NULL || !have_cred ||
		    !intake_peer_admitted(in->cfg, cred.uid)) {
			/* accepted and closed at once: counted, no event */
			close(fd);
			in->ops->refused(in->ctx);
			continue;
		}
		memset(slot, 0, sizeof(*slot));
		slot->fd = fd;
		slot->id = ++in->next_conn_id;
		wire_reasm_init(&slot->reasm, in->cfg->max_frame);
		in->ops->opened(in->ctx, slot, now);
	}
}

static void
handle_body(struct intake *in, struct conn *c, const uint8_t *body, size_t len,
    uint64_t now, uint64_t real)
{
	struct wire_frame f;
	struct wire_error err = { .reason = WIRE_OK };

	if (wire_decode(body, len, &in->cfg->sources, &f, &err) != WIRE_OK) {
		in->ops->rejected(in->ctx, err.reason, c->id, err.detail);
		return;
	}
	/* heartbeats count too: a guest's budget is every frame it sends
	 * (silence detection sees rate-limited heartbeats as rejections,
	 * which are counted, never as silence of a guest within its rate) */
	if (!bucket_take(&in->guest_bucket, now)) {
		in->ops->rejected(in->ctx, WIRE_RATE_LIMITED, c->id,
		    "guest event rate limit");
		return;
	}
	c->frames_accepted++;
	in->ops->frame(in->ctx, c, &f, real, now);
}

/* Feed n bytes of in->rbuf to c's reassembler. 0, or -1 when a framing
 * error closed the connection. */
static int
feed(struct intake *in, struct conn *c, size_t n, uint64_t now, uint64_t real)
{
	size_t off = 0;
	int was_partial = wire_reasm_partial(&c->reasm), restarted = 0;

	while (off < n) {
		const uint8_t *body = NULL;
		size_t used = 0, blen = 0;
		enum wire_step s = wire_reasm_push(&c->reasm, in->rbuf + off,
		    n - off, &used, &body, &blen);

		off += used;
		if (s == WIRE_STEP_MORE)
			break;
		restarted = 1;
		if (s == WIRE_STEP_FRAME) {
			handle_body(in, c, body, blen, now, real);
		} else if (s == WIRE_STEP_EMPTY) {
			in->ops->rejected(in->ctx, c->reasm.err.reason, c->id,
			    c->reasm.err.detail);
		} else {
			in->ops->rejected(in->ctx, c->reasm.err.reason, c->id,
			    c->reasm.err.detail);
			conn_close(in, c, "framing_error", now);
			return -1;
		}
	}
	/* the partial-frame clock runs from the first byte of a frame */
	if (!wire_reasm_partial(&c->reasm))
		c->partial_since = 0;
	else if (!was_partial || restarted)
		c->partial_since = now;
	return 0;
}

ssize_t
intake_read(struct intake *in, struct conn *c, uint64_t now)
{
	ssize_t n = read(c->fd, in->rbuf, INTAKE_READ_CHUNK);

	if (n < 0) {
		char q[96];

		if (errno == EAGAIN || errno == EINTR)
			return 0;
		/* the peer's reset or a fault: either way the connection is
		 * done, and what was in flight is lost: say so */
		log_msg(LOG_WARN, "read error on a guest connection",
		    "connection=%llu error=%s", (unsigned long long)c->id,
		    log_quote(strerror(errno), q, sizeof(q)));
		if (wire_reasm_end(&c->reasm))
			in->ops->rejected(in->ctx, c->reasm.err.reason, c->id,
			    c->reasm.err.detail);
		conn_close(in, c, "read_error", now);
		return -1;
	}
	if (n == 0) {
		if (wire_reasm_end(&c->reasm)) {
			in->ops->rejected(in->ctx, c->reasm.err.reason, c->id,
			    c->reasm.err.detail);
			conn_close(in, c, "framing_error", now);
		} else {
			conn_close(in, c, "eof", now);
		}
		return -1;
	}
	in->bytes_received += (uint64_t)n;
	in->ops->bytes(in->ctx, (size_t)n);
	/* the frame's last byte was read by this call */
	if (feed(in, c, (size_t)n, now, real_ns()) != 0)
		return -1;
	return n;
}

static uint64_t
earlier(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	return b != 0 && b < a ? b : a;
}

uint64_t
intake_timers(struct intake *in, uint64_t now, int reading)
{
	uint64_t next = 0, timeout = in->cfg->frame_timeout_ms * MS;
	size_t i;

	/* not reading (backpressure): the wait is ours, not the guest's;
	 * partial frames' clocks start again when reading does */
	if (!reading) {
		in->paused = 1;
		return in->accept_pause_until > now ? in->accept_pause_until : 0;
	}
	for (i = 0; i < in->nconns; i++) {
		struct conn *c = &in->conns[i];

		if (c->fd < 0 || c->partial_since == 0)
			continue;
		if (in->paused)
			c->partial_since = now;
		if (now >= c->partial_since + timeout) {
			in->ops->rejected(in->ctx, WIRE_FRAME_TIMEOUT, c->id,
			    "partial frame held past --frame-timeout");
			conn_close(in, c, "frame_timeout", now);
		} else {
			next = earlier(next, c->partial_since + timeout);
		}
	}
	in->paused = 0;
	if (in->accept_pause_until > now)
		next = earlier(next, in->accept_pause_until);
	return next;
}

void
intake_drain_and_close(struct intake *in, uint64_t drain_ns, uint64_t quiet_ns)
{
	uint64_t now = mono_ns();
	uint64_t deadline = now + drain_ns, quiet_until = now + quiet_ns;
	struct pollfd pfd[CONN_MAX];
	size_t i, open;

	/* a writer in the middle of a burst is not cut off between two
	 * writes: the drain ends after a quiet spell, or at the deadline */
	for (;;) {
		uint64_t until = quiet_until < deadline ? quiet_until : deadline;
		int n;

		now = mono_ns();
		if (now >= until)
			break;
		for (i = 0, open = 0; i < in->nconns; i++) {
			pfd[i] = (struct pollfd){ .fd = in->conns[i].fd,
			    .events = POLLIN };
			open += in->conns[i].fd >= 0;
		}
		if (open == 0)
			break;
		n = poll(pfd, in->nconns, (int)((until - now + MS - 1) / MS));
		if (n <= 0)
			continue;
		for (i = 0; i < in->nconns; i++) {
			struct conn *c = &in->conns[i];

			if (!pfd[i].revents || c->fd < 0 || pfd[i].fd != c->fd)
				continue;
			while (c->fd >= 0 && mono_ns() < deadline &&
			    intake_read(in, c, mono_ns()) > 0)
				quiet_until = mono_ns() + quiet_ns;
		}
	}
	now = mono_ns();
	for (i = 0; i < in->nconns; i++) {
		struct conn *c = &in->conns[i];

		if (c->fd < 0)
			continue;
		if (wire_reasm_partial(&c->reasm))
			in->ops->rejected(in->ctx, WIRE_TRUNCATED_FRAME, c->id,
			    "shutdown inside a frame");
		conn_close(in, c, "shutdown", now);
	}
}
