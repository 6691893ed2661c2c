/*
 * channel.h - the records the receiver sends the monitor (SPEC section 11),
 * and the one command the monitor sends back.
 *
 * A record, all integers little-endian:
 *
 *   0      1      2             4
 *   +------+------+-------------+---------------------------+
 *   | type | 0    | total len   | fields of that type       |
 *   +------+------+-------------+---------------------------+
 *
 *   FRAME     conn u64, real_ns u64, guest_monotonic_ns u64, guest_pid u32,
 *             content_version u16, heartbeat u8, source_len u8,
 *             comm_len u8, source, comm            (texts: 0..64 bytes)
 *   OPENED    conn u64, peer_pid i32, peer_uid u32, have_cred u8,
 *             real_ns u64
 *   CLOSED    conn u64, peer_pid i32, peer_uid u32, have_cred u8,
 *             real_ns u64, reason u8, frames_accepted u64
 *   REJECTED  reason u8, count u32, conn u64, detail_len u8, detail
 *             (count rejections of one reason, merged within a batch;
 *             conn and detail are the first one's; reasons in the order
 *             they first came, so the first record holds the first)
 *   REFUSED   count u32
 *   BYTES     bytes_received u64 (the running total)
 *   DRAINED   bytes_received u64 (the last record)
 *   LOG       level u8, a logfmt line (printable ASCII, no newline)
 *
 * The monitor checks every record as it checks guest bytes: known type and
 * exact length, known reason and close codes, texts short, valid UTF-8 and
 * a known probe source, connection numbers opened in order, times never
 * going back and never ahead of the monitor's clock. A bad record is a
 * receiver failure.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "log.h"
#include "wire.h"

enum chan_type {
	CHAN_FRAME = 1, CHAN_OPENED, CHAN_CLOSED, CHAN_REJECTED, CHAN_REFUSED,
	CHAN_BYTES, CHAN_DRAINED, CHAN_LOG, CHAN_TYPE_END
};

#define CHAN_HDR 4
#define CHAN_RECORD_MAX 1100            /* the longest record (a LOG) */
#define CHAN_CMD_DRAIN 'D'              /* monitor -> receiver */

/* Close reasons on the wire, in this order: eof, read_error,
 * framing_error, frame_timeout, shutdown. NULL for an unknown code. */
const char *chan_close_reason(unsigned code);

/* ---- the receiver's side: the intake reports into records ---- */

/*
 * A batch of records on its way to the monitor. Rejections are merged per
 * reason until chan_flush_rejections(), so a flood of tiny bad frames costs
 * one record per reason and batch, not one per frame.
 */
struct chan_writer {
	struct buf out;
	uint64_t rej_count[WIRE_REASON_COUNT];
	uint8_t rej_order[WIRE_REASON_COUNT];   /* reasons as they first came */
	int nrej_order;
	uint64_t rej_conn[WIRE_REASON_COUNT];
	char rej_detail[WIRE_REASON_COUNT][96];
	uint64_t refused;
	uint64_t last_real;             /* times sent never go back */
	uint64_t overflow;              /* records that did not fit: a bug */
	int flush_fd;                   /* >= 0: write a full batch out there */
	uint8_t rec[CHAN_RECORD_MAX];   /* the record being built */
	size_t rec_len;
};

void chan_writer_init(struct chan_writer *w, size_t max);
/* The intake_ops that append to w (ctx is the writer). */
extern const struct intake_ops chan_writer_ops;
/* Write the whole batch to w->flush_fd, waiting while it is full (the
 * receiver exits if the monitor has gone). */
void chan_write_all(struct chan_writer *w);
/* Move merged rejections and refusals into the batch. */
void chan_flush_rejections(struct chan_writer *w);
void chan_put_bytes(struct chan_writer *w, enum chan_type type,
    uint64_t bytes_received);
void chan_put_log(struct chan_writer *w, int level, const char *line,
    size_t n);

/* ---- the monitor's side: records back into intake_ops calls ---- */

struct chan_reader {
	uint64_t records;               /* records accepted so far */
	uint64_t last_conn;             /* highest connection opened */
	uint64_t last_real;
	uint64_t bytes_received;
	int drained;                    /* DRAINED seen */
	char error[160];                /* why a record was refused */
};

void chan_reader_init(struct chan_reader *r);

/*
 * Check and deliver the complete records in p[0, n) through ops (calls as
 * intake makes them; conn structs are rebuilt from the records). Returns
 * the bytes consumed (a partial record is left for the next call), or -1
 * with r->error set when a record is bad. now_real bounds the times;
 * now_mono is passed on to ops.
 */
long chan_dispatch(struct chan_reader *r, const uint8_t *p, size_t n,
    const struct wire_sources *sources, const struct intake_ops *ops,
    void *ctx, uint64_t now_real, uint64_t now_mono);

#endif
