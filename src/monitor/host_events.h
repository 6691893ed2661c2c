/*
 * host_events.h - the data of the events the host writes about itself
 * (SPEC section 5): started, agent_silenced/resumed, connection
 * opened/closed, host probe readings. Each builder returns a new JSON
 * object for event_json(); attribution is added there.
 */
#ifndef HOST_EVENTS_H
#define HOST_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "records.h"
#include "keepalive.h"
#include "probe.h"

/* started: where we listen, who we are, the effective limits, the key. */
json_t *hostev_started(const struct config *cfg, const char *listen_path,
    const char *receiver_user, const char *receiver_root);

/* agent_silenced after silent_ns without a frame. */
json_t *hostev_silenced(const struct config *cfg, const struct keepalive *ka,
    uint64_t silent_ns, uint64_t frames_accepted);

/* agent_resumed after silent_ns. */
json_t *hostev_resumed(uint64_t silent_ns);

/* connection_opened (reason NULL) or connection_closed. */
json_t *hostev_connection(const struct rx_conn *c, const char *reason);

/* key_rotated: the old key's kid, the new one's, its algorithm and (for
 * Ed25519) its public key. */
json_t *hostev_key_rotated(const struct key *old, const struct key *new);

/* seal: the lines since the previous seal. */
json_t *hostev_seal(uint64_t lines);

/* receiver_failed: why (exited, bad_record, channel_closed,
 * drain_timeout), its wait status (exit code or signal; -1: not known),
 * what was wrong, how far it got. */
json_t *hostev_receiver_failed(const char *why, int status, const char *detail,
    uint64_t records, uint64_t last_connection);

/* A host probe reading at real-time ns; inputs and output (NULL for a
 * failure, with error set) are consumed. */
json_t *hostev_probe(const struct probe *p, json_t *inputs, json_t *output,
    const char *error, uint64_t real);

#endif
