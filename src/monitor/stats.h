/*
 * stats.h - the named counters of SPEC section 5, reported in checkpoint
 * and stopped.
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
	uint64_t probe_readings_suppressed;     /* over the probe rate limit */
	uint64_t read_errors;                   /* connections closed by one */
	uint64_t stdout_blocked_ns;
};

/* Add every counter to obj (rejected_by_reason lists every reason). */
void stats_to_json(const struct stats *s, json_t *obj);

#endif
