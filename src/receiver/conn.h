/*
 * conn.h - intake: the listening socket and the guest connections. Accept
 * with SO_PEERCRED admission (the monitor reads the credentials again on
 * its own copy of the fd), read, reassemble, decode strictly, hold the
 * partial-frame deadline and the guest rate limit. It runs in the receiver
 * process and builds no events: what happens is reported through struct
 * intake_ops, which the receiver turns into records (report.c) and the
 * monitor's loop, from those records, into events and counters.
 */
#ifndef CONN_H
#define CONN_H

#include <stdint.h>
#include <sys/types.h>

#include "bucket.h"
#include "rxargs.h"
#include "wire.h"

struct conn {
	int fd;                 /* -1: slot free */
	uint64_t id;            /* 1, 2, 3... per daemon run */
	struct wire_reasm reasm;
	uint64_t partial_since; /* monotonic ns a partial frame began, 0 if none */
	uint64_t frames_accepted;
};

/* What the intake reports, in the order it happens. now is monotonic ns. */
struct intake_ops {
	void (*opened)(void *ctx, const struct conn *c, uint64_t now);
	/* reason: eof, read_error, framing_error, frame_timeout, shutdown */
	void (*closed)(void *ctx, const struct conn *c, const char *reason,
	    uint64_t now);
	/* A frame passed decoding and the rate limit (heartbeats included);
	 * real is CLOCK_REALTIME when its last byte was read. */
	void (*frame)(void *ctx, struct conn *c, const struct wire_frame *f,
	    uint64_t real, uint64_t now);
	void (*rejected)(void *ctx, enum wire_reason why, uint64_t conn,
	    const char *detail);
	/* A connection was accepted and closed at once (over the limit or a
	 * uid not admitted). */
	void (*refused)(void *ctx);
	/* n more bytes were read from a guest. */
	void (*bytes)(void *ctx, size_t n);
};

struct intake {
	const struct intake_config *cfg;
	const struct intake_ops *ops;
	void *ctx;
	int listen_fd;
	struct conn *conns;             /* cfg->max_connections slots */
	size_t nconns;
	uint64_t next_conn_id;
	uint64_t accept_pause_until;    /* monotonic ns; 0: accepting */
	uint64_t accept_failures;       /* since the last log line */
	uint64_t accept_log_next;       /* monotonic ns */
	int reserve_fd;                 /* spare, for refusing when out of fds */
	int paused;                     /* reading stopped by backpressure */
	struct bucket guest_bucket;
	uint8_t *rbuf;
	uint64_t bytes_received;
};

/* fds the intake may hold at once beyond its connections: the listener,
 * the spare, and one accepted to be refused. */
#define CONN_FIXED_FDS 3

/* Size the tables once; nothing is allocated after this. */
void intake_init(struct intake *in, const struct intake_config *cfg,
    int listen_fd, const struct intake_ops *ops, void *ctx, uint64_t now);

/* The listening fd to poll now: -1 while accepts are paused. */
int intake_listen_fd(const struct intake *in, uint64_t now);

/* Accept what is pending (a bounded batch). */
void intake_accept(struct intake *in, uint64_t now);

/* One read from c. Returns bytes read (> 0), 0 when nothing was there, or
 * -1 when the connection was closed. */
ssize_t intake_read(struct intake *in, struct conn *c, uint64_t now);

/* Close connections whose partial frame is past --frame-timeout (while
 * reading is 0, under backpressure, partial frames wait without a clock).
 * Returns the next deadline the intake needs (monotonic ns), 0 if none. */
uint64_t intake_timers(struct intake *in, uint64_t now, int reading);

/*
 * Shutdown: read what the guests have already sent until the sockets stay
 * quiet for quiet_ns or drain_ns has passed, then close every connection
 * (a frame cut off counts as truncated_frame).
 */
void intake_drain_and_close(struct intake *in, uint64_t drain_ns,
    uint64_t quiet_ns);

#endif
