/*
 * keepalive.c - silence detection (see include/keepalive.h).
 */
#include <string.h>

#include "keepalive.h"

void
ka_init(struct keepalive *k, uint64_t timeout_ns, uint64_t now)
{
	memset(k, 0, sizeof(*k));
	k->timeout_ns = timeout_ns;
	k->last_ns = now;
}

int
ka_frame(struct keepalive *k, uint64_t now, uint64_t real,
    uint64_t *silent_for_ns)
{
	k->last_frame_real = real;
	if (k->silent) {
		k->silent = 0;
		*silent_for_ns = now - k->silent_since;
		k->last_ns = now;
		return 1;
	}
	k->last_ns = now;
	return 0;
}

uint64_t
ka_deadline(const struct keepalive *k)
{
	if (k->timeout_ns == 0 || k->fired || k->paused)
		return 0;
	return k->last_ns + k->timeout_ns;
}

uint64_t
ka_fire(struct keepalive *k, uint64_t now)
{
	k->fired = 1;
	k->silent = 1;
	k->silent_since = k->last_ns;
	return now - k->last_ns;
}

void
ka_pause(struct keepalive *k)
{
	k->paused = 1;
}

void
ka_resume(struct keepalive *k, uint64_t now)
{
	k->paused = 0;
	k->last_ns = now;
}
