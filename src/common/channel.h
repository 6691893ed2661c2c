/*
 * channel.h - the records the receiver sends the monitor (SPEC section 11),
 * and the one command the monitor sends back. Both programs include this;
 * the receiver writes records (src/receiver/report.c), the monitor checks
 * them (src/monitor/records.c).
 *
 * A record, all integers little-endian:
 *
 *   0      1      2             4
 *   +------+------+-------------+---------------------------+
 *   | type | 0    | total len   | fields of that type       |
 *   +------+------+-------------+---------------------------+
 *
 *   HELLO     flags u8, uid u32, gid u32      (first, once: confinement)
 *   FRAME     conn u64, real_ns u64, guest_monotonic_ns u64, guest_pid u32,
 *             content_version u16, heartbeat u8, source_len u8,
 *             comm_len u8, source, comm            (texts: 0..64 bytes)
 *   OPENED    conn u64, real_ns u64; the connection's fd rides with it
 *             (SCM_RIGHTS): the monitor reads the peer's credentials itself
 *   CLOSED    conn u64, real_ns u64, reason u8
 *   REJECTED  reason u8, count u32, conn u64, detail_len u8, detail
 *             (count rejections of one reason, merged within a batch;
 *             conn and detail are the first one's; reasons in the order
 *             they first came, so the first record holds the first)
 *   REFUSED   count u32
 *   BYTES     bytes_received u64 (the running total)
 *   DRAINED   bytes_received u64 (the last record; only after a drain
 *             command)
 *   LOG       level u8, text (escaped by the monitor, tagged as the
 *             receiver's, rate-limited)
 *
 * Counts and byte steps are bounded by what one batch can carry
 * (CHAN_COUNT_MAX, CHAN_BYTES_STEP_MAX): the receiver splits larger ones,
 * the monitor refuses them. Everything else the monitor checks is listed in
 * src/monitor/records.h.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "rxargs.h"
#include "wire.h"

enum chan_type {
	CHAN_HELLO = 1, CHAN_FRAME, CHAN_OPENED, CHAN_CLOSED, CHAN_REJECTED,
	CHAN_REFUSED, CHAN_BYTES, CHAN_DRAINED, CHAN_LOG, CHAN_TYPE_END
};

#define CHAN_HDR 4
#define CHAN_RECORD_MAX 1100            /* the longest record (a LOG) */
#define CHAN_CMD_DRAIN 'D'              /* monitor -> receiver */

/* Field lengths after the header. */
#define CHAN_HELLO_LEN 9
#define CHAN_FRAME_FIXED 35
#define CHAN_OPENED_LEN 16
#define CHAN_CLOSED_LEN 17
#define CHAN_REJECTED_FIXED 14
#define CHAN_DETAIL_MAX 95

/* A batch reads at most one INTAKE_READ_CHUNK from each connection, and
 * every rejected frame took at least its length prefix. */
#define CHAN_COUNT_MAX ((uint32_t)(CONN_MAX * INTAKE_READ_CHUNK / \
	WIRE_LEN_BYTES))
#define CHAN_BYTES_STEP_MAX ((uint64_t)CONN_MAX * INTAKE_READ_CHUNK)

/* HELLO flags: what the receiver put in place before reading a guest byte. */
#define CHAN_CONF_SECCOMP 0x01  /* the filter is loaded */
#define CHAN_CONF_LIMITS 0x02   /* the rlimits are set */
#define CHAN_CONF_USER 0x04     /* switched to the user asked for */
#define CHAN_CONF_ROOT 0x08     /* an empty read-only root of its own */
#define CHAN_CONF_NOCAPS 0x10   /* no capabilities, bounding set empty */
#define CHAN_CONF_ALL 0x1f

/* Close reasons on the wire, in this order: eof, read_error,
 * framing_error, frame_timeout, shutdown. NULL for an unknown code;
 * chan_close_code returns the count for an unknown name. */
const char *chan_close_reason(unsigned code);
unsigned chan_close_code(const char *reason);

static inline void
chan_put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t
chan_get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
