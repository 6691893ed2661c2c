/*
 * host_events.c - data of the host's own events (see include/host_events.h).
 */
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "encode.h"
#include "host_events.h"
#include "jcs.h"

#define MS 1000000ull

json_t *
hostev_started(const struct config *cfg, const char *listen_path,
    const char *receiver_user, const char *receiver_root)
{
	json_t *o = json_object(), *lim = json_object();

	json_object_set_new(o, "listen_path", json_string(listen_path));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "version", json_string(VERSION));
	json_object_set_new(lim, "max_frame_bytes",
	    jcs_u64(cfg->intake.max_frame));
	json_object_set_new(lim, "max_connections",
	    jcs_u64(cfg->intake.max_connections));
	json_object_set_new(lim, "frame_timeout_ms",
	    jcs_u64(cfg->intake.frame_timeout_ms));
	json_object_set_new(lim, "silence_timeout_ms",
	    jcs_u64(cfg->silence_timeout_ms));
	json_object_set_new(lim, "checkpoint_interval_ms",
	    jcs_u64(cfg->checkpoint_ms));
	json_object_set_new(lim, "probe_interval_ms",
	    jcs_u64(cfg->probes.interval_ms));
	json_object_set_new(lim, "rate_limit", jcs_u64(cfg->intake.rate_limit));
	json_object_set_new(lim, "rate_burst", jcs_u64(cfg->intake.rate_burst));
	json_object_set_new(o, "limits", lim);
	json_object_set_new(o, "sandbox", json_string(cfg->sandbox ? "seccomp" :
	    "off"));
	json_object_set_new(o, "receiver_user", json_string(receiver_user));
	json_object_set_new(o, "receiver_root", json_string(receiver_root));
	json_object_set_new(o, "sign_mode", json_string(cfg->chain ? "chain" :
	    "line"));
	json_object_set_new(o, "seal_every", jcs_u64(cfg->seal_every));
	json_object_set_new(o, "seal_interval_ms", jcs_u64(cfg->seal_interval_ms));
	json_object_set_new(o, "coalesce_ms", jcs_u64(cfg->coalesce_ms));
	json_object_set_new(o, "sigalg", json_string(keys_alg_name(cfg->key.alg)));
	json_object_set_new(o, "sigkid", cfg->key.alg == ALG_OFF ? json_null() :
	    json_string(cfg->key.kid));
	if (cfg->key.alg == ALG_ED25519) {
		char pk[64];

		b64url_encode(cfg->key.pk, sizeof(cfg->key.pk), pk);
		json_object_set_new(o, "public_key", json_string(pk));
	}
	return o;
}

json_t *
hostev_silenced(const struct config *cfg, const struct keepalive *ka,
    uint64_t silent_ns, uint64_t frames_accepted)
{
	json_t *o = json_object();
	char ts[31];

	json_object_set_new(o, "silence_timeout_ms",
	    jcs_u64(cfg->silence_timeout_ms));
	json_object_set_new(o, "silent_for_ms", jcs_u64(silent_ns / MS));
	if (ka->last_frame_real) {
		rfc3339_ns(ka->last_frame_real, ts);
		json_object_set_new(o, "last_frame_at", json_string(ts));
	} else {
		json_object_set_new(o, "last_frame_at", json_null());
	}
	json_object_set_new(o, "frames_accepted", jcs_u64(frames_accepted));
	return o;
}

json_t *
hostev_resumed(uint64_t silent_ns)
{
	json_t *o = json_object();

	json_object_set_new(o, "silent_for_ms", jcs_u64(silent_ns / MS));
	return o;
}

json_t *
hostev_connection(const struct rx_conn *c, const char *reason)
{
	json_t *o = json_object();

	/* the credentials the monitor read itself (records.c) */
	json_object_set_new(o, "connection", jcs_u64(c->id));
	json_object_set_new(o, "peer_pid", json_integer(c->peer_pid));
	json_object_set_new(o, "peer_uid", json_integer(c->peer_uid));
	if (reason != NULL) {
		json_object_set_new(o, "reason", json_string(reason));
		json_object_set_new(o, "frames_accepted",
		    jcs_u64(c->frames_accepted));
	}
	return o;
}

json_t *
hostev_probe(const struct probe *p, json_t *inputs, json_t *output,
    const char *error, uint64_t real)
{
	json_t *o = json_object();
	char ts[31];

	rfc3339_ns(real, ts);
	json_object_set_new(o, "host_received_at", json_string(ts));
	json_object_set_new(o, "probe_source", json_string(p->ops->source));
	json_object_set_new(o, "inputs", inputs);
	json_object_set_new(o, "output", output ? output : json_null());
	if (error != NULL)
		json_object_set_new(o, "error", json_string(error));
	return o;
}

json_t *
hostev_key_rotated(const struct key *old, const struct key *new)
{
	json_t *o = json_object();

	json_object_set_new(o, "old_kid", json_string(old->kid));
	json_object_set_new(o, "new_kid", json_string(new->kid));
	json_object_set_new(o, "new_sigalg",
	    json_string(keys_alg_name(new->alg)));
	if (new->alg == ALG_ED25519) {
		char pk[64];

		b64url_encode(new->pk, sizeof(new->pk), pk);
		json_object_set_new(o, "new_public_key", json_string(pk));
	}
	return o;
}

json_t *
hostev_seal(uint64_t lines)
{
	json_t *o = json_object();

	json_object_set_new(o, "lines", jcs_u64(lines));
	return o;
}

json_t *
hostev_receiver_failed(const char *why, int status, const char *detail,
    uint64_t records, uint64_t last_connection)
{
	json_t *o = json_object();

	json_object_set_new(o, "reason", json_string(why));
	json_object_set_new(o, "exit_status", WIFEXITED(status) ?
	    json_integer(WEXITSTATUS(status)) : json_null());
	json_object_set_new(o, "signal", WIFSIGNALED(status) ?
	    json_integer(WTERMSIG(status)) : json_null());
	json_object_set_new(o, "detail", detail ? json_string(detail) :
	    json_null());
	json_object_set_new(o, "records", jcs_u64(records));
	json_object_set_new(o, "last_connection", jcs_u64(last_connection));
	return o;
}
