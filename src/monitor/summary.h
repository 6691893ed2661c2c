/*
 * summary.h - the frames_rejected summary, which reports losses without one
 * line per frame (SPEC section 5).
 */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdint.h>

#include <jansson.h>

#include "wire.h"

/*
 * The frames_rejected summary: counts by reason since the last one, one
 * example, and refusals/suppressions since the last one. The first is due at
 * once, then at most one per second.
 */
struct reject_summary {
	uint64_t counts[WIRE_REASON_COUNT];
	uint64_t total, refused, suppressed, probe_suppressed;
	int have_example;
	enum wire_reason ex_reason;
	uint64_t ex_conn;
	char ex_detail[96];
	uint64_t next_ok_ns;
	int pending;
};

/* count rejections of one reason; conn and detail are the first one's */
void summary_reject(struct reject_summary *r, enum wire_reason why,
    uint64_t count, uint64_t conn, const char *detail);
void summary_refused(struct reject_summary *r, uint64_t count);
void summary_suppressed(struct reject_summary *r);
void summary_probe_suppressed(struct reject_summary *r);
/* Monotonic ns at which a summary is due, or 0 when none is pending. */
uint64_t summary_deadline(const struct reject_summary *r);
/* Build the summary's data and reset; the next one waits a second. */
json_t *summary_take(struct reject_summary *r, uint64_t now);

#endif
