/*
 * conn.h - one guest connection: its fd, peer credentials, number, frame
 * reassembler and the deadline of a partial frame.
 */
#ifndef CONN_H
#define CONN_H

#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

struct conn {
	int fd;                 /* -1: slot free */
	uint64_t id;            /* 1, 2, 3... per daemon run */
	pid_t peer_pid;
	uid_t peer_uid;
	int have_cred;
	struct wire_reasm reasm;
	uint64_t partial_since; /* monotonic ns a partial frame began, 0 if none */
	uint64_t frames_accepted;
};

/* Accept one pending connection non-blocking with its SO_PEERCRED.
 * Returns the fd, or -1 (errno EAGAIN when none is pending). */
int conn_accept(int listen_fd, pid_t *pid, uid_t *uid, int *have_cred);

void conn_open(struct conn *c, int fd, uint64_t id, pid_t pid, uid_t uid,
    int have_cred, size_t max_frame);
void conn_close(struct conn *c);

#endif
