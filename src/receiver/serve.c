/*
 * serve.c - the receiver's loop (see serve.h).
 *
 * Its loop: the channel (the monitor's drain command, or its EOF), the
 * listener, the connections. Guests are read only while the batch of
 * records has room for what one read can produce, so when the monitor
 * stops reading (its stdout is blocked) the receiver stops reading guests
 * and backpressure reaches them; it keeps accepting and refusing, so a
 * connecting VMM never meets a full backlog.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "report.h"
#include "serve.h"

#define MS 1000000ull
#define RX_BATCH_MAX ((size_t)256 * 1024)
/* a frame's record is never longer than the frame (its fixed fields are
 * shorter than the key names a frame must carry), rejections are merged,
 * and connection records are few: read (64 KiB at most) only with room
 * for all of one read */
#define RX_READ_ROOM (INTAKE_READ_CHUNK + 8192)
#define RX_DRAIN_NS (250 * MS)
#define RX_DRAIN_QUIET_NS (20 * MS)

struct rx {
	struct intake in;
	struct report w;
	struct pollfd pfd[2 + CONN_MAX];
	uint64_t coalesce_ns;           /* --coalesce; 0: every frame at once */
	uint64_t hold_until;            /* monotonic ns; guests unread before */
	uint64_t last_read;             /* monotonic ns of the last bytes read */
};

static struct rx the_rx;

/* Everything the intake reported so far into the batch, and out as far as
 * the channel takes it. The monitor gone: nothing left to do. */
static void
batch_out(struct rx *R)
{
	report_close_batch(&R->w);
	/* a record that did not fit is a broken invariant: fail loudly,
	 * the monitor reports a receiver failure */
	if (R->w.overflow)
		_exit(70);
	if (report_flush(&R->w) != 0)
		_exit(0);
}

/* The receiver's log lines go to the monitor, which writes them: our
 * stderr is /dev/null, and the monitor tags and rate-limits them. */
static void
log_to_monitor(enum log_level lvl, const char *line, size_t n)
{
	report_log(&the_rx.w, (int)lvl, line, n);
}

static void __attribute__((noreturn))
drain_and_exit(struct rx *R)
{
	R->w.draining = 1;
	intake_drain_and_close(&R->in, RX_DRAIN_NS, RX_DRAIN_QUIET_NS);
	report_drained(&R->w);
	_exit(report_flush_all(&R->w) == 0 && R->w.overflow == 0 ? 0 : 70);
}

/*
 * Coalescing (--coalesce D). A read that comes less than D after the one
 * before starts a hold: the guests are not polled for D, what they send
 * meanwhile waits in the socket, and one wake-up of each process serves all
 * of it. When the hold ends we look once without waiting: bytes there mean
 * the stream is still busy (read them, hold again); none mean it went quiet,
 * and the next frame is read the moment it comes. Holds are for light,
 * frequent traffic: a rate that would queue COALESCE_MAX_HELD bytes within
 * D is read without pauses, so a hold never fills the socket and stalls a
 * busy guest. A partial frame's deadline ends a hold: the frame timeout
 * stays what the guest was promised.
 */
#define COALESCE_MAX_HELD 4096

static void
coalesce_after_read(struct rx *R, uint64_t now, uint64_t bytes, int look)
{
	uint64_t since = now - R->last_read;

	if (R->coalesce_ns == 0)
		return;
	if (bytes == 0) {
		if (look)
			R->hold_until = 0;
		return;
	}
	R->hold_until = (look || since < R->coalesce_ns) &&
	    bytes * R->coalesce_ns < COALESCE_MAX_HELD * (since ? since : 1) ?
	    now + R->coalesce_ns : 0;
	R->last_read = now;
}

static int
poll_timeout(uint64_t deadline, uint64_t now)
{
	uint64_t ms;

	if (deadline == 0)
		return -1;
	ms = deadline > now ? (deadline - now + MS - 1) / MS : 0;
	return ms > 86400000 ? 86400000 : (int)ms;
}

static void __attribute__((noreturn))
serve(struct rx *R)
{
	for (;;) {
		uint64_t now = mono_ns(), deadline;
		int room, holding, look, n;
		uint64_t bytes = 0;
		size_t i, np = 2;

		batch_out(R);
		room = R->w.out.max - R->w.out.len >= RX_READ_ROOM;
		/* a frame timeout adds a record: out with the rest */
		deadline = intake_timers(&R->in, now, room);
		batch_out(R);
		if (R->hold_until != 0 && deadline != 0 && deadline <= R->hold_until)
			R->hold_until = 0;
		holding = R->hold_until > now;
		look = R->hold_until != 0 && !holding;
		if (holding && (deadline == 0 || R->hold_until < deadline))
			deadline = R->hold_until;
		R->pfd[0] = (struct pollfd){ .fd = RX_CHAN_FD, .events = POLLIN |
		    (R->w.out.len ? POLLOUT : 0) };
		R->pfd[1] = (struct pollfd){ .fd = report_can_open(&R->w) ?
		    intake_listen_fd(&R->in, now) : -1, .events = POLLIN };
		for (i = 0; i < R->in.nconns; i++)
			R->pfd[np++] = (struct pollfd){ .fd = room && !holding ?
			    R->in.conns[i].fd : -1, .events = POLLIN };
		n = poll(R->pfd, np, look ? 0 : poll_timeout(deadline, now));
		if (n <= 0) {
			coalesce_after_read(R, now, 0, look);
			continue;
		}
		now = mono_ns();
		if (R->pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char cmd;
			ssize_t r = read(RX_CHAN_FD, &cmd, 1);

			if (r == 1 && cmd == CHAN_CMD_DRAIN)
				drain_and_exit(R);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				_exit(0);       /* the monitor went away */
		}
		if (R->pfd[1].revents & POLLIN)
			intake_accept(&R->in, now);
		for (i = 0; i < R->in.nconns; i++) {
			struct conn *c = &R->in.conns[i];
			struct pollfd *p = &R->pfd[2 + i];
			ssize_t r;

			if (!p->revents || c->fd < 0 || p->fd != c->fd)
				continue;
			r = intake_read(&R->in, c, now);
			if (r > 0)
				bytes += (uint64_t)r;
		}
		coalesce_after_read(R, now, bytes, look);
	}
}

void
serve_guests(const struct rx_settings *s, unsigned flags, uint32_t uid,
    uint32_t gid)
{
	static struct rx_settings settings;

	settings = *s;
	report_init(&the_rx.w, RX_CHAN_FD, RX_BATCH_MAX);
	report_hello(&the_rx.w, flags, uid, gid);
	log_set_sink(log_to_monitor);
	intake_init(&the_rx.in, &settings.intake, RX_LISTEN_FD, &report_ops,
	    &the_rx.w, mono_ns());
	the_rx.coalesce_ns = settings.coalesce_ms * MS;
	serve(&the_rx);
}
