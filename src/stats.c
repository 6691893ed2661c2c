/*
 * stats.c - counters, token buckets, rejection summaries (see stats.h).
 */
#include <string.h>

#include "jcs.h"
#include "stats.h"

#define NS 1000000000ull

json_t *
stats_u64(uint64_t v)
{
	char s[24];

	if (v <= (uint64_t)JCS_MAX_SAFE_INT)
		return json_integer((json_int_t)v);
	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	return json_string(s);
}

void
stats_to_json(const struct stats *s, json_t *o)
{
	json_t *by = json_object();
	int i;

	for (i = 1; i < WIRE_REASON_COUNT; i++)
		json_object_set_new(by, wire_reason_name((enum wire_reason)i),
		    stats_u64(s->by_reason[i]));
	json_object_set_new(o, "frames_accepted", stats_u64(s->frames_accepted));
	json_object_set_new(o, "frames_rejected", stats_u64(s->frames_rejected));
	json_object_set_new(o, "rejected_by_reason", by);
	json_object_set_new(o, "heartbeats", stats_u64(s->heartbeats));
	json_object_set_new(o, "bytes_received", stats_u64(s->bytes_received));
	json_object_set_new(o, "connections_opened", stats_u64(s->connections_opened));
	json_object_set_new(o, "connections_refused", stats_u64(s->connections_refused));
	json_object_set_new(o, "connection_events_suppressed",
	    stats_u64(s->connection_events_suppressed));
	json_object_set_new(o, "events_emitted", stats_u64(s->events_emitted));
	json_object_set_new(o, "probe_readings", stats_u64(s->probe_readings));
	json_object_set_new(o, "stdout_blocked_ms",
	    stats_u64(s->stdout_blocked_ns / 1000000));
}

void
bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now)
{
	b->rate = rate;
	b->burst = burst ? burst : 1;
	b->credit = b->burst * NS;
	b->last_ns = now;
}

int
bucket_take(struct bucket *b, uint64_t now)
{
	uint64_t cap = b->burst * NS, dt;

	if (b->rate == 0)
		return 1;
	if (now > b->last_ns) {
		dt = now - b->last_ns;
		/* refilling longer than a full bucket takes cannot add more,
		 * and dt * rate must not overflow */
		if (dt > cap / b->rate || b->credit + dt * b->rate > cap)
			b->credit = cap;
		else
			b->credit += dt * b->rate;
		b->last_ns = now;
	}
	if (b->credit < NS)
		return 0;
	b->credit -= NS;
	return 1;
}

void
report_reject(struct report *r, enum wire_reason why, uint64_t conn,
    const char *detail)
{
	r->counts[why]++;
	r->total++;
	r->pending = 1;
	if (!r->have_example) {
		r->have_example = 1;
		r->ex_reason = why;
		r->ex_conn = conn;
		snprintf(r->ex_detail, sizeof(r->ex_detail), "%s", detail);
	}
}

void
report_refused(struct report *r)
{
	r->refused++;
	r->pending = 1;
}

void
report_suppressed(struct report *r)
{
	r->suppressed++;
	r->pending = 1;
}

uint64_t
report_deadline(const struct report *r)
{
	if (!r->pending)
		return 0;
	return r->next_ok_ns ? r->next_ok_ns : 1;
}

json_t *
report_take(struct report *r, uint64_t now)
{
	json_t *o = json_object(), *counts = json_object();
	int i;

	for (i = 1; i < WIRE_REASON_COUNT; i++)
		if (r->counts[i])
			json_object_set_new(counts,
			    wire_reason_name((enum wire_reason)i),
			    stats_u64(r->counts[i]));
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "frames_rejected", stats_u64(r->total));
	json_object_set_new(o, "connections_refused", stats_u64(r->refused));
	json_object_set_new(o, "connection_events_suppressed",
	    stats_u64(r->suppressed));
	if (r->have_example) {
		json_t *ex = json_object();

		json_object_set_new(ex, "reason",
		    json_string(wire_reason_name(r->ex_reason)));
		json_object_set_new(ex, "connection", stats_u64(r->ex_conn));
		json_object_set_new(ex, "detail", json_string(r->ex_detail));
		json_object_set_new(o, "example", ex);
	} else {
		json_object_set_new(o, "example", json_null());
	}
	memset(r->counts, 0, sizeof(r->counts));
	r->total = r->refused = r->suppressed = 0;
	r->have_example = 0;
	r->pending = 0;
	r->next_ok_ns = now + NS;
	return o;
}
