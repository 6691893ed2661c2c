/*
 * listen.h - the per-cell Unix socket: path rules, bind, or an inherited fd.
 *
 * The path is claimed with a lock (PATH.lock) held for the daemon's life,
 * in a directory no other user can write. An existing path is reclaimed
 * only when it is a stale socket (nobody listening); a live socket, or
 * anything that is not a socket, is refused and left alone. On exit the
 * path is unlinked only if it is still ours.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <sys/types.h>

#define LISTEN_PATH_MAX 107     /* sun_path is 108 bytes with the NUL */

struct listener {
	int fd;
	char path[LISTEN_PATH_MAX + 1];
	dev_t dev;
	ino_t ino;
	int owned;              /* we created the path */
	int lock_fd;            /* PATH.lock, held: the claim; -1: none */
};

/* --socket-owner: who the socket file belongs to. */
struct listen_owner {
	uid_t uid;
	gid_t gid;
};

/* Bind <base>_<port> with mode, owned by owner (NULL: by us). Returns 0,
 * or an exit code with err set. */
int listen_open(struct listener *l, const char *base, unsigned port,
    mode_t mode, const struct listen_owner *owner, int backlog, char *err,
    size_t errlen);

/* Use an inherited listening socket. Returns 0 or an exit code. */
int listen_adopt(struct listener *l, int fd, char *err, size_t errlen);

/* Close our fd only (the receiver has its own); the path stays ours to
 * unlink at listen_close(). */
void listen_release(struct listener *l);

/* Close; unlink the path only if it still names the socket we bound;
 * then give up the claim. */
void listen_close(struct listener *l);

#endif
