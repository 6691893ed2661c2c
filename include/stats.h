/*
 * stats.h - the named counters of SPEC section 5, token buckets, and the
 * frames_rejected summary that reports losses without one line per frame.
 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

#include <jansson.h>

#include "wire.h"

struct stats {
	uint64_t frames_accepted;
	uint64_t frames_rejected;
	uint64_t by_reason[WIRE_REASON_COUNT];
	uint64_t heartbeats;
	uint64_t bytes_received;
	uint64_t connections_opened;
	uint64_t connections_refused;
	uint64_t connection_events_suppressed;
	uint64_t events_emitted;
	uint64_t probe_readings;
	uint64_t stdout_blocked_ns;
};

/* Add every counter to obj (rejected_by_reason lists every reason). */
void stats_to_json(const struct stats *s, json_t *obj);

/* A JSON integer, or a decimal string past 2^53-1 (SPEC section 5). */
json_t *stats_u64(uint64_t v);

/* Token bucket: rate per second, burst capacity; rate 0 = unlimited. */
struct bucket {
	uint64_t rate, burst;
	uint64_t credit;        /* tokens scaled by 1e9 */
	uint64_t last_ns;
};

void bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now);
/* 1 and one token taken, or 0 when empty. */
int bucket_take(struct bucket *b, uint64_t now);

/*
 * The frames_rejected summary: counts by reason since the last one, one
 * example, and refusals/suppressions since the last one. The first is due at
 * once, then at most one per second.
 */
struct report {
	uint64_t counts[WIRE_REASON_COUNT];
	uint64_t total, refused, suppressed;
	int have_example;
	enum wire_reason ex_reason;
	uint64_t ex_conn;
	char ex_detail[96];
	uint64_t next_ok_ns;
	int pending;
};

void report_reject(struct report *r, enum wire_reason why, uint64_t conn,
    const char *detail);
void report_refused(struct report *r);
void report_suppressed(struct report *r);
/* Monotonic ns at which a summary is due, or 0 when none is pending. */
uint64_t report_deadline(const struct report *r);
/* Build the summary's data and reset; the next one waits a second. */
json_t *report_take(struct report *r, uint64_t now);

#endif
