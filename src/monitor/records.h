/*
 * records.h - the monitor's side of the channel: every record the
 * receiver sends is input, checked as a frame is (STYLE: the monitor
 * distrusts its own child), and only then turned into calls of
 * struct records_ops.
 *
 * Checked, each a receiver failure when it does not hold:
 *  - a known type, its exact length, known reason and close codes, texts
 *    that are short, valid UTF-8 and (the probe source) known;
 *  - the order of the conversation: HELLO first and once; DRAINED only
 *    after the monitor asked for the drain; nothing after DRAINED;
 *  - counts of 1..CHAN_COUNT_MAX, applied in one step; a byte count that
 *    never goes back nor jumps more than CHAN_BYTES_STEP_MAX;
 *  - times not before the monitor's start nor the previous record, and
 *    not after now;
 *  - connections: numbered 1, 2, 3... and opened once; at most
 *    --max-connections open; nothing for one that is not open; each
 *    OPENED comes with the connection's fd, which the monitor checks
 *    (a connected stream socket on our listener's address, neither one
 *    already open nor one closed lately) and reads the peer's credentials
 *    from itself (and the --peer-uid list against them); an fd that no
 *    OPENED claims is refused; frames are counted here.
 * Log records are written tagged origin=receiver, escaped, and at most
 * RECORDS_LOG_RATE a second (dropped lines counted).
 */
#ifndef RECORDS_H
#define RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "bucket.h"
#include "channel.h"

/* A guest connection as the monitor knows it. */
struct rx_conn {
	uint64_t id;
	pid_t peer_pid;                 /* from SO_PEERCRED, ours */
	uid_t peer_uid;
	dev_t dev;                      /* the socket, to refuse a reuse */
	ino_t ino;
	uint64_t frames_accepted;
	int open;
};

struct records_ops {
	void (*opened)(void *ctx, const struct rx_conn *c, uint64_t real);
	void (*closed)(void *ctx, const struct rx_conn *c, const char *reason,
	    uint64_t real);
	void (*frame)(void *ctx, const struct rx_conn *c,
	    const struct wire_frame *f, uint64_t real, uint64_t now);
	void (*rejected)(void *ctx, enum wire_reason why, uint32_t count,
	    uint64_t conn, const char *detail);
	void (*refused)(void *ctx, uint32_t count);
};

enum records_state {
	RECORDS_STARTING,               /* waiting for HELLO */
	RECORDS_SERVING,
	RECORDS_DRAIN_ASKED,
	RECORDS_DRAINED
};

#define RECORDS_FDS_MAX 4               /* fds received, not yet claimed */
/* sockets of connections closed lately: never reported open again (socket
 * inode numbers are not reused for 2^32 sockets) */
#define RECORDS_CLOSED_RING 256
#define RECORDS_BUF ((size_t)64 * 1024)
#define RECORDS_LOG_RATE 20
#define RECORDS_LOG_BURST 100

struct records {
	const struct intake_config *cfg;
	struct sockaddr_un lis_addr;    /* the listener's, for fd checks */
	socklen_t lis_len;
	enum records_state state;
	unsigned hello_flags;
	uint32_t hello_uid, hello_gid;
	uint64_t records;               /* records accepted so far */
	uint64_t last_conn;             /* highest connection opened */
	uint64_t last_real;
	uint64_t bytes_received;
	struct rx_conn *conns;          /* cfg->max_connections */
	int fds[RECORDS_FDS_MAX];
	int nfds;
	struct { dev_t dev; ino_t ino; } closed[RECORDS_CLOSED_RING];
	unsigned nclosed;               /* closed so far; the ring's next slot */
	struct bucket log_bucket;
	uint64_t log_dropped;           /* receiver lines not written */
	uint8_t *buf;                   /* records read, a partial one kept */
	size_t have;
	char error[160];                /* why a record was refused */
};

/* Set up for a receiver serving listen_fd (its address is noted), started
 * at start_real (CLOCK_REALTIME ns). */
void records_init(struct records *r, const struct intake_config *cfg,
    int listen_fd, uint64_t start_real, uint64_t now_mono);
void records_free(struct records *r);

/*
 * Check and deliver the complete records in p[0, n) through ops. Returns
 * the bytes consumed (a partial record is left for the next call; a
 * dispatch ends after HELLO), or -1 with r->error set when a record is
 * bad.
 */
long records_dispatch(struct records *r, const uint8_t *p, size_t n,
    const struct records_ops *ops, void *ctx, uint64_t now_real,
    uint64_t now_mono);

/* Dispatch the records read and not yet delivered: a dispatch stops after
 * HELLO, so that nothing is delivered before the monitor is ready. 0, or
 * -2 with r->error set. */
int records_dispatch_held(struct records *r, const struct records_ops *ops,
    void *ctx);

/*
 * One read of the channel (with the fds that ride on it), then dispatch.
 * Returns 1 when records were read, 0 when nothing was there, -1 at EOF
 * (r->have says whether a partial record was left), -2 with r->error set
 * for a bad record or a bad fd.
 */
int records_read(struct records *r, int chan, const struct records_ops *ops,
    void *ctx);

/* The monitor asked for the drain. */
void records_drain_asked(struct records *r);

/* Close the fds received and not claimed (the receiver has exited). */
void records_close_fds(struct records *r);

/* One line for the receiver's log lines dropped since the last one. */
void records_log_drops(struct records *r);

#endif
