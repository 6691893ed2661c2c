/*
 * summary.c - the frames_rejected summary (see include/summary.h).
 */
#include <stdio.h>
#include <string.h>

#include "jcs.h"
#include "summary.h"

#define NS 1000000000ull

void
summary_reject(struct reject_summary *r, enum wire_reason why,
    uint64_t count, uint64_t conn, const char *detail)
{
	r->counts[why] += count;
	r->total += count;
	r->pending = 1;
	if (!r->have_example) {
		r->have_example = 1;
		r->ex_reason = why;
		r->ex_conn = conn;
		snprintf(r->ex_detail, sizeof(r->ex_detail), "%s", detail);
	}
}

void
summary_refused(struct reject_summary *r, uint64_t count)
{
	r->refused += count;
	r->pending = 1;
}

void
summary_suppressed(struct reject_summary *r)
{
	r->suppressed++;
	r->pending = 1;
}

void
summary_probe_suppressed(struct reject_summary *r)
{
	r->probe_suppressed++;
	r->pending = 1;
}

uint64_t
summary_deadline(const struct reject_summary *r)
{
	if (!r->pending)
		return 0;
	return r->next_ok_ns ? r->next_ok_ns : 1;
}

json_t *
summary_take(struct reject_summary *r, uint64_t now)
{
	json_t *o = json_object(), *counts = json_object();
	int i;

	for (i = 1; i < WIRE_REASON_COUNT; i++)
		if (r->counts[i])
			json_object_set_new(counts,
			    wire_reason_name((enum wire_reason)i),
			    jcs_u64(r->counts[i]));
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "frames_rejected", jcs_u64(r->total));
	json_object_set_new(o, "connections_refused", jcs_u64(r->refused));
	json_object_set_new(o, "connection_events_suppressed",
	    jcs_u64(r->suppressed));
	json_object_set_new(o, "probe_readings_suppressed",
	    jcs_u64(r->probe_suppressed));
	if (r->have_example) {
		json_t *ex = json_object();

		json_object_set_new(ex, "reason",
		    json_string(wire_reason_name(r->ex_reason)));
		json_object_set_new(ex, "connection", jcs_u64(r->ex_conn));
		json_object_set_new(ex, "detail", json_string(r->ex_detail));
		json_object_set_new(o, "example", ex);
	} else {
		json_object_set_new(o, "example", json_null());
	}
	memset(r->counts, 0, sizeof(r->counts));
	r->total = r->refused = r->suppressed = r->probe_suppressed = 0;
	r->have_example = 0;
	r->pending = 0;
	r->next_ok_ns = now + NS;
	return o;
}
