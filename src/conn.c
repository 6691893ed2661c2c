/*
 * conn.c - guest connections (see include/conn.h).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"

int
conn_accept(int listen_fd, pid_t *pid, uid_t *uid, int *have_cred)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	*have_cred = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
	*pid = *have_cred ? cred.pid : 0;
	*uid = *have_cred ? cred.uid : (uid_t)-1;
	return fd;
}

void
conn_open(struct conn *c, int fd, uint64_t id, pid_t pid, uid_t uid,
    int have_cred, size_t max_frame)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->id = id;
	c->peer_pid = pid;
	c->peer_uid = uid;
	c->have_cred = have_cred;
	wire_reasm_init(&c->reasm, max_frame);
}

void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	wire_reasm_free(&c->reasm);
}
