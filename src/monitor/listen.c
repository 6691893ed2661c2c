/*
 * listen.c - socket path rules and bind (see include/listen.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "util.h"

static int
path_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * 1: something listens there; 0: stale (connection refused). Non-blocking:
 * a live listener whose backlog is full answers EAGAIN at once, where a
 * blocking connect would wait (with SIGTERM masked) for it to accept.
 */
static int
socket_is_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int live;

	if (fd < 0)
		return 1;       /* cannot tell: treat as live, never unlink */
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return live;
}

/* A user other than root, us and the one the socket is for. */
static int
foreign(uid_t uid, const struct listen_owner *owner)
{
	return uid != 0 && uid != geteuid() &&
	    !(owner != NULL && uid == owner->uid);
}

/*
 * The socket's directory, and every one above it, must be ours: not
 * writable by another user (unless sticky and owned by root or us, as
 * /tmp), and not reached through a symlink another user owns. Else that
 * user could replace or redirect the socket between our bind and the
 * VMM's connect. The directory itself may belong to the socket's owner
 * (--socket-owner: a jailed VMM's chroot).
 */
static int
check_dirs(const char *path, const struct listen_owner *owner, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], real[PATH_MAX], part[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t i, n;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	/* symlinks on the way as written */
	for (i = 1, n = strlen(dir); i <= n; i++) {
		if (i < n && dir[i] != '/')
			continue;
		snprintf(part, sizeof(part), "%.*s", (int)i, dir);
		if (lstat(part, &st) == 0 && S_ISLNK(st.st_mode) &&
		    foreign(st.st_uid, NULL)) {
			snprintf(err, errlen, "the socket directory is reached "
			    "through %s, a symlink owned by uid %u: that user "
			    "could redirect it; use a path without it", part,
			    (unsigned)st.st_uid);
			return EXIT_INUSE;
		}
	}
	if (realpath(dir, real) == NULL)
		return 0;       /* bind says what is missing */
	/* every directory from / down to the socket's */
	for (i = 1, n = strlen(real); i <= n; i++) {
		int last = i == n;

		if (!last && real[i] != '/')
			continue;
		snprintf(part, sizeof(part), "%.*s", (int)(i == 1 && n > 1 ?
		    1 : i), real);
		if (stat(part, &st) != 0)
			continue;
		if (((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !((st.st_mode & S_ISVTX) && !foreign(st.st_uid, NULL))) ||
		    foreign(st.st_uid, last ? owner : NULL)) {
			snprintf(err, errlen, "the socket directory %s is not ours: "
			    "%s (uid %u, mode %04o) can be written by another user, "
			    "who could replace the socket; use a directory only "
			    "root or we can write (mkdir -m 0700), or a sticky one "
			    "owned by root", real, part, (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777));
			return EXIT_INUSE;
		}
	}
	return 0;
}

/*
 * Claim the path for as long as we run: an exclusive lock on PATH.lock.
 * Two daemons started on one path at the same instant both see a missing
 * or stale socket; only the lock's holder goes on to remove and bind it.
 * The lock file stays when we exit (removing it would race with the next
 * daemon's open of it).
 */
static int
claim(struct listener *l, char *err, size_t errlen)
{
	char lock[LISTEN_PATH_MAX + 8];

	snprintf(lock, sizeof(lock), "%s.lock", l->path);
	l->lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0600);
	if (l->lock_fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open the lock %s: %s%s", lock,
		    strerror(e), e == ELOOP ? " (a symlink: remove it)" : "");
		return e == ENOENT || e == ENOTDIR ? -1 : EXIT_INUSE;
	}
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s is in use by a live listener: another "
		    "cellos-telemetryd holds its lock %s; is another "
		    "cellos-telemetryd running for this cell?", l->path, lock);
		close(l->lock_fd);
		l->lock_fd = -1;
		return EXIT_INUSE;
	}
	return 0;
}

int
listen_open(struct listener *l, const char *base, unsigned port, mode_t mode,
    const struct listen_owner *owner, int backlog, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int n, rc;

	memset(l, 0, sizeof(*l));
	l->fd = l->lock_fd = -1;
	n = snprintf(l->path, sizeof(l->path), "%s_%u", base, port);
	if (n < 0 || (size_t)n >= sizeof(l->path) || path_addr(l->path, &sa) != 0) {
		snprintf(err, errlen, "socket path %s_%u is %d bytes, over the "
		    "%d-byte sun_path limit; use a shorter --uds-base", base,
		    port, n, LISTEN_PATH_MAX);
		return EXIT_CONFIG;
	}
	if ((rc = check_dirs(l->path, owner, err, errlen)) != 0)
		return rc;
	/* a missing directory: bind below says what to create */
	if ((rc = claim(l, err, errlen)) > 0)
		return rc;
	if (lstat(l->path, &st) == 0) {
		/* only a socket can be stale; a file, link or directory may
		 * belong to someone else, so never unlink it */
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket; "
			    "refusing to replace it (remove it or choose another "
			    "--uds-base)", l->path);
			return EXIT_INUSE;
		}
		if (socket_is_live(&sa)) {
			snprintf(err, errlen, "%s is in use by a live listener; "
			    "is another cellos-telemetryd running for this cell?",
			    l->path);
			return EXIT_INUSE;
		}
		if (unlink(l->path) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove stale socket %s: %s",
			    l->path, strerror(errno));
			return EXIT_INUSE;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "cannot inspect %s: %s", l->path,
		    strerror(errno));
		return errno == EACCES ? EXIT_INUSE : EXIT_OSERR;
	}

	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return EXIT_OSERR;
	}
	/* the mode is right from the first instant: no chmod window */
	old = umask((mode_t)(~mode & 0777));
	rc = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0) {
		int e = errno;

		if (e == ENOENT || e == ENOTDIR) {
			/* the one a new user meets first: say what to create */
			const char *slash = strrchr(l->path, '/');
			int dl = slash ? (int)(slash - l->path) : 1;

			snprintf(err, errlen, "cannot bind %s: its directory %.*s "
			    "does not exist; create it (mkdir -p -m 0700 %.*s) before "
			    "starting, or let the service manager do it "
			    "(systemd: RuntimeDirectory=)", l->path, dl, l->path, dl,
			    l->path);
		} else {
			snprintf(err, errlen, "cannot bind %s: %s", l->path,
			    strerror(e));
		}
		close(l->fd);
		l->fd = -1;
		if (e == EADDRINUSE)
			return EXIT_INUSE;
		return e == ENOENT || e == ENOTDIR ? EXIT_CONFIG : EXIT_OSERR;
	}
	l->owned = 1;
	if (stat(l->path, &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	/* the jailed VMM's uid: with the mode, it and no one else connects */
	if (owner != NULL && lchown(l->path, owner->uid, owner->gid) != 0) {
		snprintf(err, errlen, "cannot give %s to uid %u gid %u "
		    "(--socket-owner): %s", l->path, (unsigned)owner->uid,
		    (unsigned)owner->gid, strerror(errno));
		listen_close(l);
		return errno == EPERM ? EXIT_CONFIG : EXIT_OSERR;
	}
	if (listen(l->fd, backlog) != 0) {
		snprintf(err, errlen, "listen %s: %s", l->path, strerror(errno));
		listen_close(l);
		return EXIT_OSERR;
	}
	return 0;
}

int
listen_adopt(struct listener *l, int fd, char *err, size_t errlen)
{
	int acc = 0, type = 0;
	socklen_t len = sizeof(acc);
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	memset(l, 0, sizeof(*l));
	l->fd = l->lock_fd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 || !acc) {
		snprintf(err, errlen, "--listen-fd %d is not a listening socket",
		    fd);
		return EXIT_CONFIG;
	}
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_STREAM) {
		snprintf(err, errlen, "--listen-fd %d is not a stream socket", fd);
		return EXIT_CONFIG;
	}
	l->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) == 0 &&
	    sa.sun_family == AF_UNIX && sa.sun_path[0] != '\0')
		snprintf(l->path, sizeof(l->path), "%.*s",
		    (int)sizeof(sa.sun_path), sa.sun_path);
	return 0;
}

void
listen_release(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void
listen_close(struct listener *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	/* someone may have replaced the path since: unlink only our inode */
	if (l->owned && lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	l->owned = 0;
	/* the claim ends last: no one binds before our unlink */
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	l->lock_fd = -1;
}
