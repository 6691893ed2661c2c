/*
 * stats.c - the named counters (see include/stats.h).
 */
#include "jcs.h"
#include "stats.h"

void
stats_to_json(const struct stats *s, json_t *o)
{
	json_t *by = json_object();
	int i;

	for (i = 1; i < WIRE_REASON_COUNT; i++)
		json_object_set_new(by, wire_reason_name((enum wire_reason)i),
		    jcs_u64(s->by_reason[i]));
	json_object_set_new(o, "frames_accepted", jcs_u64(s->frames_accepted));
	json_object_set_new(o, "frames_rejected", jcs_u64(s->frames_rejected));
	json_object_set_new(o, "rejected_by_reason", by);
	json_object_set_new(o, "heartbeats", jcs_u64(s->heartbeats));
	json_object_set_new(o, "bytes_received", jcs_u64(s->bytes_received));
	json_object_set_new(o, "connections_opened", jcs_u64(s->connections_opened));
	json_object_set_new(o, "connections_refused", jcs_u64(s->connections_refused));
	json_object_set_new(o, "connection_events_suppressed",
	    jcs_u64(s->connection_events_suppressed));
	json_object_set_new(o, "events_emitted", jcs_u64(s->events_emitted));
	json_object_set_new(o, "probe_readings", jcs_u64(s->probe_readings));
	json_object_set_new(o, "probe_readings_suppressed",
	    jcs_u64(s->probe_readings_suppressed));
	json_object_set_new(o, "read_errors", jcs_u64(s->read_errors));
	json_object_set_new(o, "stdout_blocked_ms",
	    jcs_u64(s->stdout_blocked_ns / 1000000));
}
