/*
 * event_types.h - the stream's event types: the daemon writes them, verify
 * and the chain's seal rule read them.
 */
#ifndef EVENT_TYPES_H
#define EVENT_TYPES_H

/* Every event type of the stream, spelled here only (SPEC section 5). */
#define EVENT_TYPE_GUEST "cell.observability.guest."    /* + probe_source */
#define EVENT_TYPE_HOST "cell.observability.host.telemetry."
#define EVENT_TYPE_PROBE "cellos.events.host.probe.v1." /* + probe name */
#define EVENT_AGENT_SILENCED EVENT_TYPE_GUEST "agent_silenced"
#define EVENT_AGENT_RESUMED EVENT_TYPE_GUEST "agent_resumed"
#define EVENT_STARTED EVENT_TYPE_HOST "started"
#define EVENT_CONNECTION_OPENED EVENT_TYPE_HOST "connection_opened"
#define EVENT_CONNECTION_CLOSED EVENT_TYPE_HOST "connection_closed"
#define EVENT_FRAMES_REJECTED EVENT_TYPE_HOST "frames_rejected"
#define EVENT_CHECKPOINT EVENT_TYPE_HOST "checkpoint"
#define EVENT_STOPPED EVENT_TYPE_HOST "stopped"
#define EVENT_RECEIVER_FAILED EVENT_TYPE_HOST "receiver_failed"
#define EVENT_SEAL EVENT_TYPE_HOST "seal"
/* SIGHUP loaded another key: old_kid, new_kid, new_sigalg and (Ed25519)
 * new_public_key; signed by the old key (a seal in chain mode), every
 * line after it by the new one (SPEC section 16) */
#define EVENT_KEY_ROTATED EVENT_TYPE_HOST "key_rotated"

#endif
