/*
 * receiver.c - the receiver process (see include/receiver.h).
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
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "channel.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "receiver.h"
#include "sandbox.h"
#include "util.h"

#define MS 1000000ull
#define RX_BATCH_MAX ((size_t)256 * 1024)
/* a frame's record is never longer than the frame (its fixed fields are
 * shorter than the key names a frame must carry), rejections are merged,
 * and connection records are few: read (64 KiB at most) only with room
 * for all of one read */
#define RX_READ_ROOM (INTAKE_READ_CHUNK + 8192)
#define RX_DRAIN_NS (250 * MS)
#define RX_DRAIN_QUIET_NS (20 * MS)
#define RX_LISTEN_FD 3
#define RX_CHAN_FD 4
#define RX_FIRST_FREE_FD 5

struct rx {
	struct intake in;
	struct chan_writer w;
	struct pollfd pfd[2 + CONN_MAX];
	uint64_t bytes_sent;            /* bytes_received last reported */
	uint64_t coalesce_ns;           /* --coalesce; 0: every frame at once */
	uint64_t hold_until;            /* monotonic ns; guests unread before */
	uint64_t last_read;             /* monotonic ns of the last bytes read */
};

/* Write what the channel takes now; keep the rest for later. */
static void
flush_some(struct chan_writer *w)
{
	ssize_t n;

	if (w->out.len == 0)
		return;
	n = write(RX_CHAN_FD, w->out.p, w->out.len);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		_exit(0);
	if (n > 0) {
		memmove(w->out.p, w->out.p + n, w->out.len - (size_t)n);
		w->out.len -= (size_t)n;
	}
}

/* Everything the intake reported so far into the batch. */
static void
batch_close(struct rx *R)
{
	chan_flush_rejections(&R->w);
	if (R->in.bytes_received != R->bytes_sent) {
		chan_put_bytes(&R->w, CHAN_BYTES, R->in.bytes_received);
		R->bytes_sent = R->in.bytes_received;
	}
	/* a record that did not fit is a broken invariant: fail loudly,
	 * the monitor reports a receiver failure */
	if (R->w.overflow)
		_exit(70);
}

static struct rx the_rx;

/* The receiver's log lines go to the monitor, which writes them: our
 * RLIMIT_FSIZE is 0, and a stderr that is a file could not take them. */
static void
log_to_monitor(enum log_level lvl, const char *line, size_t n)
{
	chan_put_log(&the_rx.w, (int)lvl, line, n);
}

static void
drain_and_exit(struct rx *R)
{
	/* the monitor reads while we drain: never hold a full batch */
	R->w.flush_fd = RX_CHAN_FD;
	intake_drain_and_close(&R->in, RX_DRAIN_NS, RX_DRAIN_QUIET_NS);
	batch_close(R);
	chan_put_bytes(&R->w, CHAN_DRAINED, R->in.bytes_received);
	chan_write_all(&R->w);
	_exit(0);
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

static void
serve(struct rx *R)
{
	for (;;) {
		uint64_t now = mono_ns(), deadline;
		int room, holding, look, n;
		uint64_t bytes = 0;
		size_t i, np = 2;

		batch_close(R);
		flush_some(&R->w);
		room = R->w.out.max - R->w.out.len >= RX_READ_ROOM;
		/* a frame timeout adds a record: out with the rest */
		deadline = intake_timers(&R->in, now, room);
		batch_close(R);
		flush_some(&R->w);
		if (R->hold_until != 0 && deadline != 0 && deadline <= R->hold_until)
			R->hold_until = 0;
		holding = R->hold_until > now;
		look = R->hold_until != 0 && !holding;
		if (holding && (deadline == 0 || R->hold_until < deadline))
			deadline = R->hold_until;
		R->pfd[0] = (struct pollfd){ .fd = RX_CHAN_FD, .events = POLLIN |
		    (R->w.out.len ? POLLOUT : 0) };
		R->pfd[1] = (struct pollfd){ .fd = intake_listen_fd(&R->in, now),
		    .events = POLLIN };
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

/* Overwrite what earlier frames of this process left below the stack
 * pointer: key derivation ran here before the fork. */
static void __attribute__((noinline))
scrub_stack(void)
{
	unsigned char junk[65536];

	sodium_memzero(junk, sizeof(junk));
	__asm__ __volatile__("" : : "r"(junk) : "memory");
}

/* Only our fds: 0 and 1 on /dev/null, 2 kept, listener on 3, channel on
 * 4, nothing above. */
static void
arrange_fds(int listen_fd, int chan_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int l = fcntl(listen_fd, F_DUPFD_CLOEXEC, 10);
	int c = fcntl(chan_fd, F_DUPFD_CLOEXEC, 10);

	if (null < 0 || l < 0 || c < 0 || dup2(null, 0) < 0 ||
	    dup2(null, 1) < 0 || dup2(l, RX_LISTEN_FD) < 0 ||
	    dup2(c, RX_CHAN_FD) < 0 ||
	    close_range(RX_FIRST_FREE_FD, ~0U, 0) != 0)
		_exit(70);
	fcntl(RX_CHAN_FD, F_SETFL, O_NONBLOCK);
}

static void __attribute__((noreturn))
receiver_main(struct config *cfg, int listen_fd, int chan_fd, pid_t monitor)
{
	int sig;

	/* end with the monitor: its death, or EOF on the channel */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != monitor)
		_exit(0);
	prctl(PR_SET_NAME, "telemetryd-rx", 0, 0, 0);
	/* signals are the monitor's; a file stderr must not kill us */
	for (sig = 1; sig < NSIG; sig++)
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP ||
		    sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGPIPE ||
		    sig == SIGXFSZ)
			signal(sig, SIG_IGN);
	/* the socket path is the monitor's to unlink, never ours */
	util_set_fatal_hook(NULL);
	/* no copy of the key may be here when a guest byte is read */
	keys_free(&cfg->key);
	memset(&cfg->key, 0, sizeof(cfg->key));
	scrub_stack();
	arrange_fds(listen_fd, chan_fd);
	chan_writer_init(&the_rx.w, RX_BATCH_MAX);
	log_set_sink(log_to_monitor);
	if (cfg->sandbox && (sandbox_limits(RX_FIRST_FREE_FD +
	    cfg->intake.max_connections + CONN_FIXED_FDS + 1) != 0 ||
	    sandbox_filter() != 0)) {
		log_msg(LOG_ERROR, "receiver: cannot apply the sandbox",
		    "errno=%d", errno);
		the_rx.w.flush_fd = RX_CHAN_FD;
		chan_write_all(&the_rx.w);
		_exit(70);
	}
	intake_init(&the_rx.in, &cfg->intake, RX_LISTEN_FD, &chan_writer_ops,
	    &the_rx.w, mono_ns());
	the_rx.coalesce_ns = cfg->coalesce_ms * MS;
	serve(&the_rx);
	_exit(0);
}

int
receiver_start(struct receiver *rx, struct config *cfg, int listen_fd)
{
	pid_t monitor = getpid();
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	rx->pid = fork();
	if (rx->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (rx->pid == 0) {
		close(sv[0]);
		receiver_main(cfg, listen_fd, sv[1], monitor);
	}
	close(sv[1]);
	rx->chan = sv[0];
	return 0;
}

int
receiver_drain(const struct receiver *rx)
{
	char cmd = CHAN_CMD_DRAIN;

	return write(rx->chan, &cmd, 1) == 1 ? 0 : -1;
}
