/*
 * receiver.h - the monitor's view of the receiver process (SPEC section 11):
 * find its program, fork and exec it with only its fds, ask for the drain,
 * and reap it without ever waiting on it.
 */
#ifndef RECEIVER_H
#define RECEIVER_H

#include <stddef.h>
#include <sys/types.h>

#include "rxargs.h"

#define RECEIVER_PROGRAM "cellos-telemetryd-receiver"

struct receiver {
	pid_t pid;              /* 0: never started */
	int pidfd;              /* readable once it has exited; -1: none
	                         * (SIGCHLD tells then) or closed */
	int chan;               /* the monitor's end of the socketpair */
	int reaped;             /* its status is in status */
	int status;             /* wait status, once reaped */
};

/*
 * The program to exec: override (--receiver-program), or the one next to
 * our own executable (the build tree), or LIBEXECDIR's: its path into
 * path. Dies with 78 naming what was tried when there is no executable
 * file there.
 */
void receiver_find(const char *override, char *path, size_t cap);

/*
 * Fork and exec the program at path with fds 0-2 on /dev/null, listen_fd
 * as 3, the channel as 4 and nothing else, an environment empty but for
 * LD_PRELOAD and sanitizer settings, s as its command line. 0 with rx
 * filled (the channel non-blocking), or -1 with errno.
 */
int receiver_start(struct receiver *rx, const char *path,
    const struct rx_settings *s, int listen_fd);

/* Ask for the drain: read what guests already sent, close, report, exit. */
int receiver_drain(const struct receiver *rx);

/* Reap it if it has exited, without waiting: 1 when reaped (now or
 * before), 0 while it runs. */
int receiver_reap(struct receiver *rx);

/* SIGKILL, then reap, waiting on its pidfd for at most wait_ms. */
void receiver_kill(struct receiver *rx, int wait_ms);

/* Close the channel and the pidfd (reap first). */
void receiver_close(struct receiver *rx);

#endif
