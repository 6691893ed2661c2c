/*
 * receiver.h - the receiver process (SPEC section 11): the listening
 * socket and the guest connections, confined, keyless, reporting to the
 * monitor over a socketpair in the records of channel.h.
 */
#ifndef RECEIVER_H
#define RECEIVER_H

#include <sys/types.h>

#include "config.h"

struct receiver {
	pid_t pid;              /* 0: gone (reaped) */
	int chan;               /* the monitor's end of the socketpair */
};

/*
 * Fork the receiver. In the child: drop the key (its memory unmapped and
 * the stack scrubbed), keep only the listener, the channel and stderr
 * (0 and 1 become /dev/null), take the name telemetryd-rx, die with the
 * monitor, and unless sandbox is off apply the rlimits and the seccomp
 * filter; then serve guests until the monitor asks for the drain or goes
 * away. The child never returns. In the monitor: 0 with rx filled, or -1
 * with errno.
 */
int receiver_start(struct receiver *rx, struct config *cfg, int listen_fd);

/* Ask for the drain: read what guests already sent, close, report, exit. */
int receiver_drain(const struct receiver *rx);

#endif
