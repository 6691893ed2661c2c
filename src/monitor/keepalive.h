/*
 * keepalive.h - agent silence detection (SPEC section 5), clock injected so
 * the rules can be tested without sleeping.
 *
 * The window starts at readiness; accepted frames and heartbeats restart it.
 * agent_silenced fires at most once per run; agent_resumed once after it.
 * Paused (SIGUSR1) means no deadline; resuming (SIGUSR2) opens a new window.
 */
#ifndef KEEPALIVE_H
#define KEEPALIVE_H

#include <stdint.h>

struct keepalive {
	uint64_t timeout_ns;    /* 0: detection off */
	uint64_t last_ns;       /* start of the current window (monotonic) */
	uint64_t last_frame_real;       /* 0: no frame yet */
	uint64_t silent_since;  /* window start when silence fired */
	int fired, silent, paused;
};

void ka_init(struct keepalive *k, uint64_t timeout_ns, uint64_t now);
/* An accepted frame at now (real: its wall-clock time). Returns 1 when it
 * ends a reported silence: emit agent_resumed with *silent_for_ns. */
int ka_frame(struct keepalive *k, uint64_t now, uint64_t real,
    uint64_t *silent_for_ns);
/* Monotonic deadline of the silence check, 0 when none. */
uint64_t ka_deadline(const struct keepalive *k);
/* Mark silence reported at now; returns how long it has been silent. */
uint64_t ka_fire(struct keepalive *k, uint64_t now);
void ka_pause(struct keepalive *k);
void ka_resume(struct keepalive *k, uint64_t now);

#endif
