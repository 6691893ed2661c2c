/*
 * report.c - the intake's reports as channel records (see report.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"

void
report_init(struct report *w, int chan_fd, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->fd = chan_fd;
	buf_init(&w->out, 16384, max);
}

/* Start a record of len bytes in w->rec; rec_end() appends it. */
static uint8_t *
rec_begin(struct report *w, enum chan_type type, size_t len)
{
	memset(w->rec, 0, len);
	w->rec[0] = (uint8_t)type;
	chan_put_le(w->rec + 2, len, 2);
	w->rec_len = len;
	return w->rec + CHAN_HDR;
}

/* The receiver reads guests only while the batch has room for the worst
 * case, so a full batch is a broken invariant: counted, fatal in the loop. */
static void
rec_end(struct report *w)
{
	/* in the drain the monitor is reading: never hold a full batch */
	if (w->draining && w->out.len + w->rec_len > w->out.max)
		(void)report_flush_all(w);
	if (buf_add(&w->out, w->rec, w->rec_len) != 0)
		w->overflow++;
}

/* The wall clock may step back; what we report never does. */
static uint64_t
report_time(struct report *w, uint64_t real)
{
	if (real < w->last_real)
		real = w->last_real;
	w->last_real = real;
	return real;
}

/* Send out[0, n) with the fd that rides with its first byte, if any. */
static ssize_t
send_part(struct report *w, size_t n, int with_fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { w->out.p, n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!with_fd)
		return write(w->fd, w->out.p, n);
	memset(&cm, 0, sizeof(cm));
	m.msg_control = cm.space;
	m.msg_controllen = sizeof(cm.space);
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &w->fds[0].fd, sizeof(int));
	return sendmsg(w->fd, &m, MSG_NOSIGNAL);
}

int
report_flush(struct report *w)
{
	while (w->out.len > 0) {
		/* up to the next fd's record; that record goes with its fd */
		int with_fd = w->nfds > 0 && w->fds[0].at == 0;
		size_t n = w->out.len, k;
		ssize_t r;

		if (w->nfds > 0 && !with_fd)
			n = w->fds[0].at;
		else if (with_fd && w->nfds > 1)
			n = w->fds[1].at;
		r = send_part(w, n, with_fd);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		memmove(w->out.p, w->out.p + r, w->out.len - (size_t)r);
		w->out.len -= (size_t)r;
		if (with_fd) {
			/* the fd went with the record's first byte */
			close(w->fds[0].fd);
			memmove(w->fds, w->fds + 1, (size_t)(w->nfds - 1) *
			    sizeof(w->fds[0]));
			w->nfds--;
		}
		for (k = 0; k < (size_t)w->nfds; k++)
			w->fds[k].at -= (size_t)r;
		if ((size_t)r < n)
			return 0;
	}
	return 0;
}

int
report_flush_all(struct report *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLOUT };

	while (w->out.len > 0) {
		if (report_flush(w) != 0)
			return -1;
		if (w->out.len > 0 && poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

int
report_can_open(const struct report *w)
{
	return w->nfds + CONN_MAX <= REPORT_FDS_MAX;
}

static void
w_opened(void *ctx, const struct conn *c, uint64_t now)
{
	struct report *w = ctx;
	uint8_t *p = rec_begin(w, CHAN_OPENED, CHAN_HDR + CHAN_OPENED_LEN);
	int fd = fcntl(c->fd, F_DUPFD_CLOEXEC, RX_FIRST_FREE_FD);

	(void)now;
	chan_put_le(p, c->id, 8);
	chan_put_le(p + 8, report_time(w, real_ns()), 8);
	/* without its fd the monitor refuses the record: out of fds or
	 * slots is a broken invariant, and says so as a receiver failure */
	if (fd < 0 || w->nfds == REPORT_FDS_MAX) {
		if (fd >= 0)
			close(fd);
		w->overflow++;
		return;
	}
	w->fds[w->nfds].fd = fd;
	w->fds[w->nfds].at = w->out.len;
	w->nfds++;
	rec_end(w);
}

static void
w_closed(void *ctx, const struct conn *c, const char *reason, uint64_t now)
{
	struct report *w = ctx;
	uint8_t *p = rec_begin(w, CHAN_CLOSED, CHAN_HDR + CHAN_CLOSED_LEN);

	(void)now;
	chan_put_le(p, c->id, 8);
	chan_put_le(p + 8, report_time(w, real_ns()), 8);
	p[16] = (uint8_t)chan_close_code(reason);
	rec_end(w);
}

static void
w_frame(void *ctx, struct conn *c, const struct wire_frame *f, uint64_t real,
    uint64_t now)
{
	struct report *w = ctx;
	size_t sl = strlen(f->probe_source), cl = strlen(f->guest_comm);
	uint8_t *p = rec_begin(w, CHAN_FRAME, CHAN_HDR + CHAN_FRAME_FIXED +
	    sl + cl);

	(void)now;
	chan_put_le(p, c->id, 8);
	chan_put_le(p + 8, report_time(w, real), 8);
	chan_put_le(p + 16, f->guest_monotonic_ns, 8);
	chan_put_le(p + 24, f->guest_pid, 4);
	chan_put_le(p + 28, f->content_version, 2);
	p[30] = (uint8_t)(f->is_heartbeat != 0);
	p[31] = (uint8_t)sl;
	p[32] = (uint8_t)cl;
	memcpy(p + CHAN_FRAME_FIXED, f->probe_source, sl);
	memcpy(p + CHAN_FRAME_FIXED + sl, f->guest_comm, cl);
	rec_end(w);
}

static void
w_rejected(void *ctx, enum wire_reason why, uint64_t conn, const char *detail)
{
	struct report *w = ctx;

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
	struct report *w = ctx;

	w->refused++;
}

static void
put_bytes(struct report *w, enum chan_type type)
{
	uint8_t *p = rec_begin(w, type, CHAN_HDR + 8);

	chan_put_le(p, w->bytes_total, 8);
	rec_end(w);
	w->bytes_sent = w->bytes_total;
}

static void
w_bytes(void *ctx, size_t n)
{
	struct report *w = ctx;

	/* one BYTES record never claims more than a batch can read */
	if (w->bytes_total + n - w->bytes_sent > CHAN_BYTES_STEP_MAX)
		put_bytes(w, CHAN_BYTES);
	w->bytes_total += n;
}

const struct intake_ops report_ops = {
	.opened = w_opened,
	.closed = w_closed,
	.frame = w_frame,
	.rejected = w_rejected,
	.refused = w_refused,
	.bytes = w_bytes,
};

void
report_close_batch(struct report *w)
{
	int k;

	for (k = 0; k < w->nrej_order; k++) {
		int i = w->rej_order[k];

		while (w->rej_count[i] > 0) {
			uint32_t n = w->rej_count[i] > CHAN_COUNT_MAX ?
			    CHAN_COUNT_MAX : (uint32_t)w->rej_count[i];
			size_t dl = strlen(w->rej_detail[i]);
			uint8_t *p = rec_begin(w, CHAN_REJECTED, CHAN_HDR +
			    CHAN_REJECTED_FIXED + dl);

			p[0] = (uint8_t)i;
			chan_put_le(p + 1, n, 4);
			chan_put_le(p + 5, w->rej_conn[i], 8);
			p[13] = (uint8_t)dl;
			memcpy(p + CHAN_REJECTED_FIXED, w->rej_detail[i], dl);
			rec_end(w);
			w->rej_count[i] -= n;
		}
	}
	w->nrej_order = 0;
	while (w->refused > 0) {
		uint32_t n = w->refused > CHAN_COUNT_MAX ? CHAN_COUNT_MAX :
		    (uint32_t)w->refused;
		uint8_t *p = rec_begin(w, CHAN_REFUSED, CHAN_HDR + 4);

		chan_put_le(p, n, 4);
		rec_end(w);
		w->refused -= n;
	}
	if (w->bytes_total != w->bytes_sent)
		put_bytes(w, CHAN_BYTES);
}

void
report_hello(struct report *w, unsigned flags, uint32_t uid, uint32_t gid)
{
	uint8_t *p = rec_begin(w, CHAN_HELLO, CHAN_HDR + CHAN_HELLO_LEN);

	p[0] = (uint8_t)flags;
	chan_put_le(p + 1, uid, 4);
	chan_put_le(p + 5, gid, 4);
	rec_end(w);
}

void
report_drained(struct report *w)
{
	report_close_batch(w);
	put_bytes(w, CHAN_DRAINED);
}

void
report_log(struct report *w, int level, const char *line, size_t n)
{
	uint8_t *p;

	if (n > CHAN_RECORD_MAX - CHAN_HDR - 1)
		n = CHAN_RECORD_MAX - CHAN_HDR - 1;
	p = rec_begin(w, CHAN_LOG, CHAN_HDR + 1 + n);
	p[0] = (uint8_t)level;
	memcpy(p + 1, line, n);
	rec_end(w);
}
